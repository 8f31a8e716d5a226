/* cmd_train.c — `reel train DATA... -o MODEL`: the headless twin of the
 * studio's training view.  Under a launcher (`mpirun -np N reel train ...`)
 * it trains data-parallel on N ranks (train.h, TrainShard; train_dist.h):
 * rank 0 prints, writes the log and the checkpoints; the other ranks' stdout
 * and stderr go to /dev/null, except for the errors that are their own. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "cli.h"
#include "corpus.h"
#include "data.h"
#include "dist.h"
#include "model.h"
#include "train.h"
#include "train_dist.h"

static atomic_int stop_flag;

/* Where a rank's own errors go: stderr on rank 0, a copy of the original
 * stderr on the others (whose stderr is /dev/null). */
static FILE *rank_err;

#define RC_ABORT 99   /* train_main: end every rank of the job (dist_abort) */

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, 1);
}

static void train_usage(FILE *f)
{
    fprintf(f,
        "usage: reel train [OPTIONS] DATA... -o MODEL\n"
        "\n"
        "Train an LSTM on the MIDI and ABC files and folders in DATA (loaded as\n"
        "`reel corpus` loads them).  Every window of W steps predicts every next step.\n"
        "A share of the tunes (--val-split) is held out for validation.  The model file\n"
        "is written after every epoch and on Ctrl-C (or SIGTERM, SIGUSR1); --resume\n"
        "continues it.\n"
        "\n"
        "data:\n"
        "  --encoding E        roll13 (default; the paper's), roll13o, roll128, melody,\n"
        "                      tokens, regress (see reel convert --help)\n"
        "  --plain             roll13: keep pitches, drop notes outside C4..C5\n"
        "  --durations         tokens: with durations (\"C4/4\", rests \"r/2\")\n"
        "  --lookback          melody: the network also reads the steps 1 and 2 bars back\n"
        "                      and the place in the bar (Magenta's Lookback RNN)\n"
        "  --repeat-labels     with --lookback: two more outputs, \"as 1 bar back\" and\n"
        "                      \"as 2 bars back\", so that copying is one choice\n"
        "  --vocab-min N       tokens: tokens seen fewer than N times become <unk> (1)\n"
        "  --part NAME         train on the track NAME (e.g. PIANO) instead of the melody\n"
        "  --no-phase          no grid-phase search when quantizing\n"
        "  --max-tunes N       use only the first N tunes (quick runs)\n"
        "  --val-split F       share of tunes for validation, by tune (0.05)\n"
        "network:\n"
        "  --hidden H          LSTM units per layer (256)\n"
        "  --layers L          LSTM layers (2)\n"
        "  --dense D           a ReLU dense layer of D units before the head (0: none)\n"
        "  --batchnorm         batch normalisation after the LSTMs and the dense layer\n"
        "  --dropout P         dropout after each layer (0)\n"
        "  --rec-dropout P     recurrent dropout on h(t-1) (0)\n"
        "training:\n"
        "  --window W          steps per window (64)\n"
        "  --batch B           windows per batch (32)\n"
        "  --epochs N          epochs (10); with --resume, the total to reach\n"
        "  --optimizer O       adam (default) or rmsprop, Keras' defaults\n"
        "  --lr X              learning rate (0.001)\n"
        "  --clip N            clip gradients to global norm N (0: off, the default)\n"
        "  --seed N            random seed: the same seed and threads give the same run\n"
        "                      bit for bit (1)\n"
        "  --threads N         BLAS threads (1)\n"
        "  --max-batches N     stop after N batches of this run (a checkpoint is written)\n"
        "  --checkpoint-every N  also a checkpoint every N batches within epochs (0)\n"
        "  --checkpoint-minutes M  and one when M minutes passed since the last (10; 0:\n"
        "                      none; one process only, ranks use --checkpoint-every)\n"
        "several processes (mpirun -np N reel train ..., srun; see reel --version):\n"
        "  --mpi-timeout S     a rank that waits S seconds for the others (a rank died or\n"
        "                      hangs) ends the job; 0: wait forever (300)\n"
        "output:\n"
        "  -o, --output MODEL  the model file (required)\n"
        "  --log FILE          CSV log of every batch (default MODEL.csv; 'none': off)\n"
        "  --resume            continue training the model in MODEL where it stopped\n"
        "                      (on any number of ranks)\n"
        "  --progress FILE     machine-readable progress, a line per event, for programs\n"
        "                      (the studio); '-': stdout, but under mpirun give a file\n"
        "                      (its forwarding of stdout can stall a job that stops)\n"
        "  -q, --quiet         only the summary\n"
        "  -h, --help          this text\n"
        "\n"
        "Loss: binary cross-entropy averaged over outputs (rolls), cross-entropy\n"
        "(melody, tokens; perplexity = exp(loss) is printed too), mean squared error\n"
        "(regress).\n"
        "Accuracy:\n"
        "  melody, tokens   the most likely next class is the right one.\n"
        "  rolls            the whole next frame is right (every output on the right\n"
        "                   side of 0.5).  For the paper's Keras set-up two more figures\n"
        "                   are printed: 'bits' is Keras' binary_accuracy (share of the 13\n"
        "                   outputs right), 'argmax' is Keras' categorical_accuracy (the\n"
        "                   largest output is the sounding pitch; silence counts as pitch\n"
        "                   index 0, as Keras does).\n"
        "  regress          the predicted pitch rounds to the right MIDI note.\n"
        "Progress: a bar with ETA on a terminal, plain lines otherwise.\n");
    fprintf(f,
        "\n"
        "Crashes: the model file is written aside and renamed, so a run killed at any\n"
        "moment leaves the last complete checkpoint; --resume continues from it (lost:\n"
        "at most --checkpoint-minutes of work).  A loss or gradient that is not finite\n"
        "goes back to the last checkpoint with half the learning rate, at most 8 times.\n"
        "A full disk stops the run with a message; the old checkpoint stays intact.\n");
    fprintf(f,
        "\n"
        "On N ranks (mpirun -np N reel train ...) each rank reads every N-th file and\n"
        "computes its windows of each batch; the gradients are summed with MPI_Allreduce.\n"
        "With the same --batch and --seed the losses are those of one process (to float\n"
        "rounding) without dropout and batch norm; with them, each rank draws its own\n"
        "masks and uses its own batch statistics.  Rank 0 prints and writes the model\n"
        "and the log.  To stop a job with a checkpoint, send SIGUSR1 to mpirun (Ctrl-C\n"
        "gives the ranks one second).  docs/CLUSTER.md: hostfiles, slurm, scaling.\n");
}

typedef struct {
    bool tty, quiet;
    HeadKind head;
    int64_t last_line;
    FILE *pf;             /* --progress: machine-readable lines, or NULL */
} Progress;

/* --progress: one line per event, fields separated by single spaces, the
 * message last after a tab (the studio's trainer.c reads these):
 *   reel-progress 1 KIND epoch epochs batch batches global_batch loss acc
 *     acc_bits acc_argmax grad_norm epoch_loss epoch_acc val_loss val_acc
 *     val_acc_bits val_acc_argmax steps_per_sec elapsed eta head ranks\tMSG
 * KIND: start batch epoch checkpoint done stopped rollback; also written by
 * cmd_train: "info" (the summary before training, see there) and "error". */
static void progress_line(FILE *f, const TrainEvent *ev)
{
    static const char *const kinds[] = {"start", "batch", "epoch", "checkpoint", "done",
                                        "stopped", "rollback"};
    fprintf(f, "reel-progress 1 %s %d %d %lld %lld %lld %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g "
               "%.6g %.6g %.6g %.6g %.3f %.3f %d %d\t%s\n",
            kinds[ev->kind], ev->epoch, ev->epochs, (long long)ev->batch,
            (long long)ev->batches, (long long)ev->global_batch, ev->loss, ev->acc, ev->acc_bits,
            ev->acc_argmax, ev->grad_norm, ev->epoch_loss, ev->epoch_acc, ev->val_loss,
            ev->val_acc, ev->val_acc_bits, ev->val_acc_argmax, ev->steps_per_sec, ev->elapsed,
            ev->eta, (int)ev->head, ev->ranks, ev->msg);
    fflush(f);
}

static void fmt_time(double s, char *buf, size_t n)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void on_event(void *user, const TrainEvent *ev)
{
    Progress *p = user;
    char eta[32], el[32];
    if (p->pf)
        progress_line(p->pf, ev);
    fmt_time(ev->eta, eta, sizeof eta);
    fmt_time(ev->elapsed, el, sizeof el);
    switch (ev->kind) {
    case TRAIN_EV_BATCH: {
        double frac = ev->batches ? (double)ev->batch / (double)ev->batches : 0;
        if (p->quiet)
            return;
        if (p->tty) {
            char bar[21];
            int fill = (int)(frac * 20);
            for (int i = 0; i < 20; i++)
                bar[i] = i < fill ? '#' : '.';
            bar[20] = '\0';
            fprintf(stderr, "\r\033[Kepoch %d/%d [%s] %3.0f%% loss %.4f acc %5.1f%% %.0f steps/s "
                            "ETA %s", ev->epoch + 1, ev->epochs, bar, frac * 100,
                    ev->epoch_loss, ev->epoch_acc * 100, ev->steps_per_sec, eta);
        } else {
            int64_t step = ev->batches / 10 > 0 ? ev->batches / 10 : 1;
            if (ev->batch % step == 0 || ev->batch == ev->batches)
                fprintf(stderr, "epoch %d/%d batch %lld/%lld loss %.4f acc %.1f%% %.0f steps/s "
                                "ETA %s\n", ev->epoch + 1, ev->epochs, (long long)ev->batch,
                        (long long)ev->batches, ev->epoch_loss, ev->epoch_acc * 100,
                        ev->steps_per_sec, eta);
        }
        break;
    }
    case TRAIN_EV_EPOCH:
        if (p->tty && !p->quiet)
            fputs("\r\033[K", stderr);
        fprintf(stderr, "epoch %d/%d: loss %.4f acc %.2f%%", ev->epoch + 1, ev->epochs,
                ev->epoch_loss, ev->epoch_acc * 100);
        if (ev->head == HEAD_SOFTMAX_CE)
            fprintf(stderr, " ppl %.2f", exp(ev->epoch_loss));
        if (!isnan(ev->val_loss)) {
            fprintf(stderr, " | val loss %.4f acc %.2f%%", ev->val_loss, ev->val_acc * 100);
            if (ev->head == HEAD_SOFTMAX_CE)
                fprintf(stderr, " ppl %.2f", exp(ev->val_loss));
            if (ev->head == HEAD_SIGMOID_BCE)
                fprintf(stderr, " (Keras: bits %.2f%%, argmax %.2f%%)", ev->val_acc_bits * 100,
                        ev->val_acc_argmax * 100);
        }
        fprintf(stderr, " | %.0f steps/s, %s\n", ev->steps_per_sec, el);
        break;
    case TRAIN_EV_STOPPED:
        if (p->tty && !p->quiet)
            fputs("\r\033[K", stderr);
        fprintf(stderr, "stopped in epoch %d after batch %lld; checkpoint saved to %s "
                        "(continue with --resume)\n", ev->epoch + 1, (long long)ev->batch,
                ev->msg);
        break;
    case TRAIN_EV_DONE:
        fprintf(stderr, "done: %d epochs, model saved to %s\n", ev->epochs, ev->msg);
        break;
    case TRAIN_EV_ROLLBACK:
        if (p->tty && !p->quiet)
            fputs("\r\033[K", stderr);
        fprintf(stderr, "reel train: %s\n", ev->msg);
        break;
    default:
        break;
    }
}

/* A rank's own error (every rank that has one says it; rank 0 always). */
static void rank_error(Dist *dist, const char *msg)
{
    if (dist_size(dist) > 1)
        fprintf(rank_err, "reel train: rank %d of %d: %s\n", dist_rank(dist), dist_size(dist),
                msg);
    else
        fprintf(rank_err, "reel train: %s\n", msg);
    fflush(rank_err);
}

static int train_main(int argc, char **argv, Dist *dist)
{
    enum { O_ENC = 256, O_PLAIN, O_DUR, O_VMIN, O_PART, O_NOPHASE, O_MAXT, O_VAL, O_HID, O_LAY,
           O_DENSE, O_BN, O_DROP, O_RDROP, O_WIN, O_BATCH, O_EPOCHS, O_OPT, O_LR, O_CLIP,
           O_SEED, O_THR, O_MAXB, O_CKB, O_CKM, O_LOG, O_RESUME, O_MPITO, O_PROGRESS,
           O_LOOKBACK, O_REPEATS };
    static const struct option longopts[] = {
        {"encoding", required_argument, NULL, O_ENC}, {"plain", no_argument, NULL, O_PLAIN},
        {"durations", no_argument, NULL, O_DUR}, {"vocab-min", required_argument, NULL, O_VMIN},
        {"lookback", no_argument, NULL, O_LOOKBACK},
        {"repeat-labels", no_argument, NULL, O_REPEATS},
        {"part", required_argument, NULL, O_PART}, {"no-phase", no_argument, NULL, O_NOPHASE},
        {"max-tunes", required_argument, NULL, O_MAXT},
        {"val-split", required_argument, NULL, O_VAL},
        {"hidden", required_argument, NULL, O_HID}, {"layers", required_argument, NULL, O_LAY},
        {"dense", required_argument, NULL, O_DENSE}, {"batchnorm", no_argument, NULL, O_BN},
        {"dropout", required_argument, NULL, O_DROP},
        {"rec-dropout", required_argument, NULL, O_RDROP},
        {"window", required_argument, NULL, O_WIN}, {"batch", required_argument, NULL, O_BATCH},
        {"epochs", required_argument, NULL, O_EPOCHS},
        {"optimizer", required_argument, NULL, O_OPT}, {"lr", required_argument, NULL, O_LR},
        {"clip", required_argument, NULL, O_CLIP}, {"seed", required_argument, NULL, O_SEED},
        {"threads", required_argument, NULL, O_THR},
        {"max-batches", required_argument, NULL, O_MAXB},
        {"checkpoint-every", required_argument, NULL, O_CKB},
        {"checkpoint-minutes", required_argument, NULL, O_CKM},
        {"log", required_argument, NULL, O_LOG}, {"resume", no_argument, NULL, O_RESUME},
        {"mpi-timeout", required_argument, NULL, O_MPITO},
        {"progress", required_argument, NULL, O_PROGRESS},
        {"output", required_argument, NULL, 'o'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    EncOpts enc = {.kind = ENC_ROLL13};
    NetConfig nc;
    TrainSettings ts;
    CorpusOpts copts;
    Corpus corpus;
    Model m;
    Dataset dtrain, dval;
    TrainRun run;
    Progress prog = {false, false, HEAD_SIGMOID_BCE, 0, NULL};
    ReelError err;
    const char *out = NULL, *log_opt = NULL, *progress_opt = NULL;
    char log_path[4096];
    long vocab_min = 1, max_tunes = 0, max_batches = 0, x, skipped = 0, ck_batches = 0;
    double ck_minutes = 10;
    double d, mpi_timeout = 300;
    bool resume = false, epochs_given = false;
    int ch, rc = 1;
    int32_t *idx = NULL, n_val = 0, n_train = 0, n_tunes = 0;
    struct sigaction sa;
    /* Several ranks: where the job's tunes are, and this rank's lists. */
    int ranks = dist_size(dist), me = dist_rank(dist), who;
    ShardCorpus sc;
    Dataset dall;
    TrainShard shard;
    int32_t *tr_which = NULL, *va_which = NULL, *tr_pos = NULL, *local = NULL, *owner = NULL;
    int32_t n_tr = 0, n_va = 0;
    EncStats st_train, st_val;
    int64_t batches_before;
    double seconds_before;

    memset(&nc, 0, sizeof nc);
    nc.hidden = 256;
    nc.layers = 2;
    memset(&ts, 0, sizeof ts);
    ts.window = 64;
    ts.batch = 32;
    ts.epochs = 10;
    ts.val_split = 0.05f;
    ts.seed = 1;
    ts.threads = 1;
    ts.optim = optim_defaults(OPTIM_ADAM);
    memset(&copts, 0, sizeof copts);
    memset(&dtrain, 0, sizeof dtrain);
    memset(&dval, 0, sizeof dval);
    memset(&dall, 0, sizeof dall);
    memset(&sc, 0, sizeof sc);
    memset(&shard, 0, sizeof shard);
    corpus_init(&corpus);

    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case O_ENC:
            enc.kind = enc_parse(optarg);
            if (enc.kind == ENC_COUNT) {
                fprintf(stderr, "reel train: unknown encoding '%s' (roll13, roll13o, roll128, "
                                "melody, tokens, regress)\n", optarg);
                return 2;
            }
            break;
        case O_PLAIN: enc.plain = true; break;
        case O_DUR: enc.durations = true; break;
        case O_LOOKBACK: enc.lookback = true; break;
        case O_REPEATS: enc.repeats = true; break;
        case O_VMIN: if (!cli_long("reel train", "--vocab-min", optarg, 1, 1000000, &vocab_min)) return 2; break;
        case O_PART: copts.quant.part = optarg; break;
        case O_NOPHASE: copts.quant.no_phase = true; break;
        case O_MAXT: if (!cli_long("reel train", "--max-tunes", optarg, 1, 100000000, &max_tunes)) return 2; break;
        case O_VAL: if (!cli_double("reel train", "--val-split", optarg, 0, 0.9, &d)) return 2; ts.val_split = (float)d; break;
        case O_HID: if (!cli_long("reel train", "--hidden", optarg, 1, 8192, &x)) return 2; nc.hidden = (int)x; break;
        case O_LAY: if (!cli_long("reel train", "--layers", optarg, 1, 16, &x)) return 2; nc.layers = (int)x; break;
        case O_DENSE: if (!cli_long("reel train", "--dense", optarg, 0, 8192, &x)) return 2; nc.dense = (int)x; break;
        case O_BN: nc.batchnorm = true; break;
        case O_DROP: if (!cli_double("reel train", "--dropout", optarg, 0, 0.9, &d)) return 2; nc.dropout = (float)d; break;
        case O_RDROP: if (!cli_double("reel train", "--rec-dropout", optarg, 0, 0.9, &d)) return 2; nc.rec_dropout = (float)d; break;
        case O_WIN: if (!cli_long("reel train", "--window", optarg, 1, 100000, &x)) return 2; ts.window = (int)x; break;
        case O_BATCH: if (!cli_long("reel train", "--batch", optarg, 1, 100000, &x)) return 2; ts.batch = (int)x; break;
        case O_EPOCHS: if (!cli_long("reel train", "--epochs", optarg, 1, 1000000, &x)) return 2; ts.epochs = (int)x; epochs_given = true; break;
        case O_OPT: {
            int k = optim_parse(optarg);
            float lr = ts.optim.lr, clip = ts.optim.clip_norm;
            if (k < 0) {
                fprintf(stderr, "reel train: unknown optimizer '%s' (adam, rmsprop)\n", optarg);
                return 2;
            }
            ts.optim = optim_defaults((OptimKind)k);
            ts.optim.lr = lr;
            ts.optim.clip_norm = clip;
            break;
        }
        case O_LR: if (!cli_double("reel train", "--lr", optarg, 1e-9, 10, &d)) return 2; ts.optim.lr = (float)d; break;
        case O_CLIP: if (!cli_double("reel train", "--clip", optarg, 0, 1e9, &d)) return 2; ts.optim.clip_norm = (float)d; break;
        case O_SEED: {
            char *end;
            ts.seed = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end) {
                fprintf(stderr, "reel train: --seed needs a whole number, not '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case O_THR: if (!cli_long("reel train", "--threads", optarg, 1, 256, &x)) return 2; ts.threads = (int)x; break;
        case O_MAXB: if (!cli_long("reel train", "--max-batches", optarg, 1, 1L << 40, &max_batches)) return 2; break;
        case O_CKB: if (!cli_long("reel train", "--checkpoint-every", optarg, 0, 1L << 40, &ck_batches)) return 2; break;
        case O_CKM: if (!cli_double("reel train", "--checkpoint-minutes", optarg, 0, 1e6, &ck_minutes)) return 2; break;
        case O_LOG: log_opt = optarg; break;
        case O_RESUME: resume = true; break;
        case O_MPITO: if (!cli_double("reel train", "--mpi-timeout", optarg, 0, 1e7, &mpi_timeout)) return 2; break;
        case O_PROGRESS: progress_opt = optarg; break;
        case 'o': out = optarg; break;
        case 'q': prog.quiet = true; break;
        case 'h': train_usage(stdout); return 0;
        default: train_usage(stderr); return 2;
        }
    }
    if (enc.lookback && enc.kind != ENC_MELODY) {
        fprintf(stderr, "reel train: --lookback works with --encoding melody only, not %s\n",
                enc_name(enc.kind));
        return 2;
    }
    if (enc.repeats && !enc.lookback) {
        fprintf(stderr, "reel train: --repeat-labels goes with --lookback\n");
        return 2;
    }
    if (!out || optind >= argc) {
        fprintf(stderr, "reel train: give the training data and -o MODEL\n");
        train_usage(stderr);
        return 2;
    }
    if (log_opt && !strcmp(log_opt, "none"))
        log_path[0] = '\0';
    else
        snprintf(log_path, sizeof log_path, "%s", log_opt ? log_opt : out);
    if (!log_opt) {
        size_t n = strlen(log_path);
        if (n > 5 && !strcmp(log_path + n - 5, ".reel"))
            log_path[n - 5] = '\0';
        strncat(log_path, ".csv", sizeof log_path - strlen(log_path) - 1);
    }

    model_init(&m);
    if (resume) {
        if (model_load(&m, out, 0, 0, &err)) {
            fprintf(stderr, "reel train: --resume: %s\n", err.msg);
            return 1;
        }
        if (!m.optim.state) {
            fprintf(stderr, "reel train: --resume: %s holds no optimizer state (saved for "
                            "sharing); start a new run instead\n", out);
            model_free(&m);
            return 1;
        }
        enc = m.enc;
        if (epochs_given)
            m.train.epochs = (int)ts.epochs;
        if (m.progress.epoch >= m.train.epochs) {
            fprintf(stderr, "reel train: %s has finished its %d epochs; give --epochs N with a "
                            "larger N to go on\n", out, m.train.epochs);
            model_free(&m);
            return 1;
        }
        ts = m.train;
        fprintf(stderr, "resuming %s at epoch %d, batch %lld (%s)\n", out, m.progress.epoch + 1,
                (long long)m.progress.batch_in_epoch, m.train.corpus);
    }
    blas_set_threads(ts.threads);

    /* The corpus: on several ranks, each reads its share (train_dist.h) and
     * n_tunes counts the tunes of the whole job. */
    if (ranks > 1) {
        if (shard_corpus_load(dist, &sc, &corpus, (const char *const *)(argv + optind),
                              argc - optind, &copts, max_tunes, &err)) {
            fprintf(stderr, "reel train: %s\n", err.msg);
            goto out;
        }
        n_tunes = sc.n;
        skipped = sc.skips;
    } else {
        if (corpus_load(&corpus, (const char *const *)(argv + optind), argc - optind, &copts,
                        &err)) {
            fprintf(stderr, "reel train: %s\n", err.msg);
            goto out;
        }
        if (max_tunes > 0 && corpus.n_tunes > max_tunes) {
            for (int32_t i = (int32_t)max_tunes; i < corpus.n_tunes; i++)
                tune_free(&corpus.tunes[i]);
            corpus.n_tunes = (int32_t)max_tunes;
        }
        n_tunes = corpus.n_tunes;
        skipped = corpus.n_skips;
    }
    if (skipped)
        fprintf(stderr, "reel train: %ld file(s) skipped (reel corpus lists why)\n", skipped);

    /* Split by tune, from the seed. */
    idx = malloc((size_t)(n_tunes + 1) * sizeof *idx);
    tr_which = malloc((size_t)(n_tunes + 1) * sizeof *tr_which);
    va_which = malloc((size_t)(n_tunes + 1) * sizeof *va_which);
    tr_pos = malloc((size_t)(n_tunes + 1) * sizeof *tr_pos);
    if (!idx || !tr_which || !va_which || !tr_pos) {
        fprintf(stderr, "reel train: out of memory\n");
        goto out;
    }
    for (int32_t i = 0; i < n_tunes; i++)
        idx[i] = i;
    {
        Rng split;
        rng_seed(&split, ts.seed ^ 0x5EED5EED5EED5EEDull);
        rng_shuffle_i32(&split, idx, n_tunes);
    }
    n_val = (int32_t)floor(ts.val_split * n_tunes + 0.5);
    if (ts.val_split > 0 && n_val == 0 && n_tunes >= 2)
        n_val = 1;
    n_train = n_tunes - n_val;
    if (n_train < 1) {
        fprintf(stderr, "reel train: %d tune(s) is too few to hold %.0f%% out for validation\n",
                n_tunes, ts.val_split * 100);
        goto out;
    }
    /* This process's tunes (indices into corpus), in the order of the job's
     * training and validation lists; tr_pos: the place in the training list. */
    for (int32_t i = 0; i < n_tunes; i++) {
        int32_t g = idx[i];
        if (ranks > 1 && sc.owner[g] != me)
            continue;
        if (i < n_val) {
            va_which[n_va++] = ranks > 1 ? sc.lidx[g] : g;
        } else {
            tr_pos[n_tr] = i - n_val;
            tr_which[n_tr++] = ranks > 1 ? sc.lidx[g] : g;
        }
    }

    if (!resume) {
        ReelStatus vs = REEL_OK;
        m.enc = enc;
        if (enc.kind == ENC_TOKENS) {
            m.vocab = vocab_new();
            if (!m.vocab)
                vs = reel_fail(&err, REEL_ENOMEM, "out of memory");
            /* Built on the training tunes only: validation must not leak in. */
            for (int32_t i = 0; !vs && i < n_tr; i++)
                vs = enc_tokens_count(&enc, &corpus.tunes[tr_which[i]], m.vocab, &err);
            if (ranks > 1 && (vs = shard_check(dist, vs, &who, &err)) == REEL_OK)
                vs = shard_vocab_merge(dist, &m.vocab, &err);
            if (vs) {
                if (ranks > 1 && who == me && me)
                    rank_error(dist, err.msg);
                fprintf(stderr, "reel train: %s\n", err.msg);
                goto out;
            }
            vocab_prune(m.vocab, vocab_min);
            vocab_finish(m.vocab);
        }
        if (model_net_for_encoding(&enc, m.vocab, &nc, &err) || net_config_check(&nc, &err) ||
            net_new(&m.nn, &nc, 0, 0, &err)) {
            fprintf(stderr, "reel train: %s\n", err.msg);
            goto out;
        }
        m.net = nc;
        {
            Rng init;
            rng_seed(&init, ts.seed);
            net_init(m.nn, &init);
        }
        m.train = ts;
        {
            size_t used = 0;
            for (int i = optind; i < argc && used + 2 < sizeof m.train.corpus; i++)
                used += (size_t)snprintf(m.train.corpus + used, sizeof m.train.corpus - used,
                                         "%s%s", i > optind ? " " : "", argv[i]);
            if (copts.quant.part && used + 2 < sizeof m.train.corpus)
                snprintf(m.train.corpus + used, sizeof m.train.corpus - used, " (part %s)",
                         copts.quant.part);
        }
    }
    {
        ReelStatus ds = data_build(&dtrain, corpus.tunes, tr_which, n_tr, &m.enc, m.vocab, &err);
        if (!ds)
            ds = data_build(&dval, corpus.tunes, va_which, n_va, &m.enc, m.vocab, &err);
        if (ranks > 1 && (ds = shard_check(dist, ds, &who, &err)) == REEL_OK)
            ds = shard_index(dist, &dtrain, tr_pos, n_train, &dall, &local, &owner, &err);
        if (ds) {
            if (ranks > 1 && who == me && me)
                rank_error(dist, err.msg);
            fprintf(stderr, "reel train: %s\n", err.msg);
            goto out;
        }
    }
    st_train = dtrain.st;
    st_val = dval.st;
    if (ranks > 1 && (shard_sum_stats(dist, &st_train, &err) ||
                      shard_sum_stats(dist, &st_val, &err))) {
        fprintf(stderr, "reel train: %s\n", err.msg);
        rc = RC_ABORT;
        goto out;
    }
    m.train.tunes_train = n_train;
    m.train.tunes_val = n_val;
    m.train.steps_train = (long)(ranks > 1 ? dall.positions : dtrain.positions);
    corpus_free(&corpus); /* the encoded rows are all training needs */

    fprintf(stderr, "training %s%s on %d tunes (%lld positions per epoch), validating on %d; "
                    "%d x %d LSTM%s%s, %zu weights, window %d, batch %d, %s lr %g, %d thread%s",
            enc_name(m.enc.kind),
            m.enc.repeats ? " --lookback --repeat-labels" : m.enc.lookback ? " --lookback" : "",
            n_train, (long long)m.train.steps_train, n_val, m.net.layers,
            m.net.hidden, m.net.dense ? ", dense" : "", m.net.batchnorm ? ", batch norm" : "",
            net_n_params(m.nn), m.train.window, m.train.batch, optim_name(m.train.optim.kind),
            m.train.optim.lr, m.train.threads, m.train.threads == 1 ? "" : "s");
    if (ranks > 1)
        fprintf(stderr, " per rank; %d ranks (MPI), %ld files read", ranks, sc.files_loaded);
    fputc('\n', stderr);
    if (m.enc.kind == ENC_TOKENS)
        fprintf(stderr, "vocabulary: %d tokens; %ld unknown in training, %ld in validation\n",
                vocab_size(m.vocab), st_train.unknown, st_val.unknown);
    if (m.enc.kind == ENC_ROLL13 || m.enc.kind == ENC_ROLL13_ONSET)
        fprintf(stderr, "roll13: %ld of %ld notes moved by octave shifts, %ld folded in, %ld "
                        "dropped\n", st_train.shifted + st_val.shifted,
                st_train.notes + st_val.notes, st_train.folded + st_val.folded,
                st_train.dropped + st_val.dropped);

    if (progress_opt && me == 0) {
        prog.pf = strcmp(progress_opt, "-") ? fopen(progress_opt, "w") : stdout;
        if (!prog.pf) {
            fprintf(stderr, "reel train: --progress %s: %s\n", progress_opt, strerror(errno));
            rc = ranks > 1 ? RC_ABORT : 1;
            goto out;
        }
        /* The summary: training and validation tunes, files skipped,
         * positions per epoch, weights, the epoch resumed (-1: new), ranks. */
        fprintf(prog.pf, "reel-progress 1 info %d %d %ld %lld %zu %d %d\t%s\n", n_train, n_val,
                skipped, (long long)m.train.steps_train, net_n_params(m.nn),
                resume ? m.progress.epoch : -1, ranks, out);
        fflush(prog.pf);
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* mpirun passes SIGUSR1 on to every rank without ending the job: the
     * way to stop one with a checkpoint (its SIGTERM comes with a SIGKILL a
     * second later). */
    sigaction(SIGUSR1, &sa, NULL);
    /* A reader of --progress that goes away (mpirun ending a job stops
     * forwarding) must not kill the run before its checkpoint. */
    if (prog.pf || ranks > 1)
        signal(SIGPIPE, SIG_IGN);

    prog.tty = isatty(2);
    prog.head = m.net.head;
    memset(&run, 0, sizeof run);
    run.out_path = out;
    run.log_path = log_path[0] && me == 0 ? log_path : NULL;
    run.stop = &stop_flag;
    run.cb = me == 0 ? on_event : NULL;
    run.user = &prog;
    run.max_batches = max_batches;
    run.checkpoint_batches = ck_batches;
    run.checkpoint_secs = ck_minutes * 60.0;
    if (ranks > 1) {
        shard.dist = dist;
        shard.all = &dall;
        shard.local = local;
        shard.owner = owner;
        run.shard = &shard;
        dist_watch(dist, &stop_flag, mpi_timeout);
    }
    batches_before = m.progress.batches;
    seconds_before = m.progress.seconds;
    if (me == 0) {
        int stale = model_clean_temps(out);
        if (stale > 0)
            fprintf(stderr, "reel train: removed %d unfinished checkpoint file%s (%s.tmp-*) left "
                            "by a run that was killed while saving\n", stale, stale > 1 ? "s" : "", out);
    }
    if (train_run(&m, &dtrain, &dval, &run, &err)) {
        if (prog.tty)
            fputs("\r\033[K", stderr);
        if (ranks > 1 && (shard.own || dist_broken(dist) || shard.alone))
            rank_error(dist, err.msg);
        else
            fprintf(stderr, "reel train: %s\n", err.msg);
        if (ranks > 1 && (dist_broken(dist) || shard.alone)) {
            fprintf(rank_err, "reel train: the last checkpoint, %s, is intact (reel info %s); "
                              "continue with --resume, on any number of ranks\n", out, out);
            /* MPI failed: leave without MPI_Finalize (the launcher ends the
             * job when a rank exits so).  Failed alone: the others wait for
             * this rank, end the job. */
            if (!dist_broken(dist))
                rc = RC_ABORT;
        }
        if (prog.pf)
            fprintf(prog.pf, "reel-progress 1 error\t%s\n", err.msg);
    } else {
        rc = 0;
        if (ranks > 1) {
            DistStats ds;
            int64_t batches = m.progress.batches - batches_before;
            double secs = m.progress.seconds - seconds_before;
            dist_stats(dist, &ds);
            fprintf(stderr, "mpi: %d ranks, the same weights on every rank (checksum %016llx); "
                            "a batch spent %.2f ms in the gradient allreduce (%.1f%% of the "
                            "time) and %.2f ms waiting for the slowest rank (%.1f%%), on rank 0",
                    ranks, (unsigned long long)shard.checksum,
                    batches ? ds.float_seconds / (double)batches * 1e3 : 0.0,
                    secs > 0 ? 100.0 * ds.float_seconds / secs : 0.0,
                    batches ? (ds.sum_seconds - ds.float_seconds) / (double)batches * 1e3 : 0.0,
                    secs > 0 ? 100.0 * (ds.sum_seconds - ds.float_seconds) / secs : 0.0);
            fputc('\n', stderr);
        }
    }
out:
    if (prog.pf && prog.pf != stdout)
        fclose(prog.pf);
    data_free(&dtrain);
    data_free(&dval);
    data_free(&dall);
    shard_corpus_free(&sc);
    free(local);
    free(owner);
    free(tr_which);
    free(va_which);
    free(tr_pos);
    free(idx);
    corpus_free(&corpus);
    model_free(&m);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    Dist *dist = NULL;
    ReelError err;
    int rc;
    rank_err = stderr;
    if (dist_init(&dist, &argc, &argv, &err)) {
        fprintf(stderr, "reel train: %s\n", err.msg);
        return 1;
    }
    if (dist_rank(dist) != 0) {
        /* Only rank 0 talks; a rank's own errors go to rank_err. */
        int fd = dup(STDERR_FILENO);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (f && freopen("/dev/null", "w", stdout) && freopen("/dev/null", "w", stderr))
            rank_err = f;
        else if (f)
            fclose(f);
    }
    rc = train_main(argc, argv, dist);
    if (rc == RC_ABORT)
        dist_abort(dist, 1);
    dist_finish(dist);
    if (rank_err != stderr)
        fclose(rank_err);
    return rc;
}
