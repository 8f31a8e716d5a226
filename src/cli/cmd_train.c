/* cmd_train.c — `reel train DATA... -o MODEL`: the headless twin of the
 * studio's training view.  It parses the options into a training job
 * (learn/job.h, which does the work), prints the messages and the progress,
 * and handles the signals.  Under a launcher (`mpirun -np N reel train ...`)
 * it trains data-parallel on N ranks (train.h, TrainShard; job.h):
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
#include "dist.h"
#include "model.h"
#include "job.h"
#include "train.h"

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
        "continues it.  One training writes a model at a time (MODEL.lock beside it\n"
        "while it runs); a model and log that cannot be written are refused at once.\n"
        "The training time it records leaves out time the process was stopped (Ctrl-Z).\n"
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
        "  --lookback-bars L   --lookback looking back the bars in L, a list of 1 2 4 8\n"
        "                      (\"1,2,4,8\"; --lookback alone is 1,2); one repeat label each\n"
        "  --phrase-position   --lookback also reading the bar within 4, 8, 16 and the beat\n"
        "  --tune-events       --lookback with start- and end-of-tune events: generation\n"
        "                      starts as a tune starts and may end by itself\n"
        "  --condition         --lookback also reading the tune's metre and key (reel\n"
        "                      generate --key, --meter choose them)\n"
        "  --transpose T       --lookback: each tune also transposed, by every shift in T\n"
        "                      (\"-2,2,5\", -12..12) or \"all\" (every other key), when its\n"
        "                      notes stay in the corpus's range; held-out tunes are not\n"
        );
    fprintf(f,
        "  --vocab-min N       tokens: tokens seen fewer than N times become <unk> (1)\n"
        "  --part NAME         train on the track NAME (e.g. PIANO) instead of the melody\n"
        "  --no-phase          no grid-phase search when quantizing\n"
        "  --max-tunes N       use only the first N tunes (quick runs)\n"
        "  --val-split F       share of tunes for validation, by tune (0.05)\n"
        "  --test-split F      also keep this share of the tunes aside, neither trained\n"
        "                      on nor validated (0): tools/heldout links them for reel\n"
        "                      eval --test, the loss on tunes no choice was made on\n"
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

/* What the command line asks for, beyond the job's configuration. */
typedef struct {
    JobConfig job;
    const char *log_opt, *progress_opt;
    char log_path[4096];
    bool epochs_given, quiet;
} TrainArgs;

enum { O_ENC = 256, O_PLAIN, O_DUR, O_VMIN, O_PART, O_NOPHASE, O_MAXT, O_VAL, O_HID, O_LAY,
       O_DENSE, O_BN, O_DROP, O_RDROP, O_WIN, O_BATCH, O_EPOCHS, O_OPT, O_LR, O_CLIP,
       O_SEED, O_THR, O_MAXB, O_CKB, O_CKM, O_LOG, O_RESUME, O_MPITO, O_PROGRESS,
       O_LOOKBACK, O_REPEATS, O_LBBARS, O_PHRASE, O_EVENTS, O_COND, O_TRANSPOSE, O_TEST };

static const struct option train_longopts[] = {
    {"encoding", required_argument, NULL, O_ENC}, {"plain", no_argument, NULL, O_PLAIN},
    {"durations", no_argument, NULL, O_DUR}, {"vocab-min", required_argument, NULL, O_VMIN},
    {"lookback", no_argument, NULL, O_LOOKBACK},
    {"repeat-labels", no_argument, NULL, O_REPEATS},
    {"lookback-bars", required_argument, NULL, O_LBBARS},
    {"phrase-position", no_argument, NULL, O_PHRASE},
    {"tune-events", no_argument, NULL, O_EVENTS}, {"condition", no_argument, NULL, O_COND},
    {"transpose", required_argument, NULL, O_TRANSPOSE},
    {"part", required_argument, NULL, O_PART}, {"no-phase", no_argument, NULL, O_NOPHASE},
    {"max-tunes", required_argument, NULL, O_MAXT},
    {"val-split", required_argument, NULL, O_VAL},
    {"test-split", required_argument, NULL, O_TEST},
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

static void train_defaults(TrainArgs *a)
{
    JobConfig *c = &a->job;
    memset(a, 0, sizeof *a);
    c->enc.kind = ENC_ROLL13;
    c->vocab_min = 1;
    c->net.hidden = 256;
    c->net.layers = 2;
    c->train.window = 64;
    c->train.batch = 32;
    c->train.epochs = 10;
    c->train.val_split = 0.05f;
    c->train.seed = 1;
    c->train.threads = 1;
    c->train.optim = optim_defaults(OPTIM_ADAM);
    c->checkpoint_secs = 10 * 60.0;
    c->mpi_timeout = 300;
}

/* The options that take words, not numbers; false (said) when bad. */
static bool train_word_opt(int ch, const char *arg, JobConfig *c)
{
    switch (ch) {
    case O_ENC:
        c->enc.kind = enc_parse(arg);
        if (c->enc.kind == ENC_COUNT) {
            fprintf(stderr, "reel train: unknown encoding '%s' (roll13, roll13o, roll128, "
                            "melody, tokens, regress)\n", arg);
            return false;
        }
        return true;
    case O_OPT: {
        int k = optim_parse(arg);
        float lr = c->train.optim.lr, clip = c->train.optim.clip_norm;
        if (k < 0) {
            fprintf(stderr, "reel train: unknown optimizer '%s' (adam, rmsprop)\n", arg);
            return false;
        }
        c->train.optim = optim_defaults((OptimKind)k);
        c->train.optim.lr = lr;
        c->train.optim.clip_norm = clip;
        return true;
    }
    default: /* O_SEED */
        return cli_seed("reel train", arg, &c->train.seed);
    }
}

/* A comma list of numbers lo..hi into a bit set (bit v - lo); "all" gives
 * all_bits when all_bits != 0.  False (said why) when bad. */
static bool bit_list(const char *opt, const char *arg, long lo, long hi, int all_bits, int *set)
{
    const char *p = arg;
    *set = 0;
    if (all_bits && !strcmp(arg, "all")) {
        *set = all_bits;
        return true;
    }
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < lo || v > hi || (*end && *end != ',')) {
            fprintf(stderr, "reel train: %s wants a list of numbers %ld..%ld%s, not '%s'\n",
                    opt, lo, hi, all_bits ? " or all" : "", arg);
            return false;
        }
        *set |= 1 << (v - lo);
        p = *end ? end + 1 : end;
    }
    return true;
}

/* The form options (encode.h): each implies --lookback. */
static bool form_opt(int ch, const char *arg, EncOpts *e)
{
    int set = 0;
    e->lookback = true;
    switch (ch) {
    case O_LBBARS:
        if (!bit_list("--lookback-bars", arg, 1, 8, 0, &set))
            return false;
        if (set & ~(1 | 2 | 8 | 128)) {
            fprintf(stderr, "reel train: --lookback-bars takes 1, 2, 4 and 8, not '%s'\n", arg);
            return false;
        }
        e->back = (set & 1) | (set & 2) | ((set & 8) >> 1) | ((set & 128) >> 4);
        return true;
    case O_PHRASE: e->phrase = true; return true;
    case O_EVENTS: e->events = true; return true;
    case O_COND: e->cond = true; return true;
    case O_TRANSPOSE:
        if (!bit_list("--transpose", arg, -12, 12, ENC_SHIFTS_ALL, &set))
            return false;
        e->shifts = set & ~(1 << 12);
        return true;
    default: return false;
    }
}

/* One option; false when it was bad (the message said why). */
static bool train_opt(int ch, const char *arg, TrainArgs *a)
{
    JobConfig *c = &a->job;
    const char *cmd = "reel train";
    long x;
    double d;
    switch (ch) {
    case O_ENC: case O_OPT: case O_SEED: return train_word_opt(ch, arg, c);
    case O_PLAIN: c->enc.plain = true; return true;
    case O_DUR: c->enc.durations = true; return true;
    case O_LOOKBACK: c->enc.lookback = true; return true;
    case O_REPEATS: c->enc.repeats = true; return true;
    case O_LBBARS: case O_PHRASE: case O_EVENTS: case O_COND: case O_TRANSPOSE:
        return form_opt(ch, arg, &c->enc);
    case O_VMIN: return cli_long(cmd, "--vocab-min", arg, 1, 1000000, &c->vocab_min);
    case O_PART: c->corpus.quant.part = arg; return true;
    case O_NOPHASE: c->corpus.quant.no_phase = true; return true;
    case O_MAXT: return cli_long(cmd, "--max-tunes", arg, 1, 100000000, &c->max_tunes);
    case O_VAL: if (!cli_double(cmd, "--val-split", arg, 0, 0.9, &d)) return false; c->train.val_split = (float)d; return true;
    case O_TEST: if (!cli_double(cmd, "--test-split", arg, 0, 0.5, &d)) return false; c->train.test_split = (float)d; return true;
    case O_HID: if (!cli_long(cmd, "--hidden", arg, 1, 8192, &x)) return false; c->net.hidden = (int)x; return true;
    case O_LAY: if (!cli_long(cmd, "--layers", arg, 1, 16, &x)) return false; c->net.layers = (int)x; return true;
    case O_DENSE: if (!cli_long(cmd, "--dense", arg, 0, 8192, &x)) return false; c->net.dense = (int)x; return true;
    case O_BN: c->net.batchnorm = true; return true;
    case O_DROP: if (!cli_double(cmd, "--dropout", arg, 0, 0.9, &d)) return false; c->net.dropout = (float)d; return true;
    case O_RDROP: if (!cli_double(cmd, "--rec-dropout", arg, 0, 0.9, &d)) return false; c->net.rec_dropout = (float)d; return true;
    case O_WIN: if (!cli_long(cmd, "--window", arg, 1, 100000, &x)) return false; c->train.window = (int)x; return true;
    case O_BATCH: if (!cli_long(cmd, "--batch", arg, 1, 100000, &x)) return false; c->train.batch = (int)x; return true;
    case O_EPOCHS: if (!cli_long(cmd, "--epochs", arg, 1, 1000000, &x)) return false; c->train.epochs = (int)x; a->epochs_given = true; return true;
    case O_LR: if (!cli_double(cmd, "--lr", arg, 1e-9, 10, &d)) return false; c->train.optim.lr = (float)d; return true;
    case O_CLIP: if (!cli_double(cmd, "--clip", arg, 0, 1e9, &d)) return false; c->train.optim.clip_norm = (float)d; return true;
    case O_THR: if (!cli_long(cmd, "--threads", arg, 1, 256, &x)) return false; c->train.threads = (int)x; return true;
    case O_MAXB: if (!cli_long(cmd, "--max-batches", arg, 1, 1L << 40, &x)) return false; c->max_batches = x; return true;
    case O_CKB: if (!cli_long(cmd, "--checkpoint-every", arg, 0, 1L << 40, &x)) return false; c->checkpoint_batches = x; return true;
    case O_CKM: if (!cli_double(cmd, "--checkpoint-minutes", arg, 0, 1e6, &d)) return false; c->checkpoint_secs = d * 60.0; return true;
    case O_LOG: a->log_opt = arg; return true;
    case O_RESUME: c->resume = true; return true;
    case O_MPITO: return cli_double(cmd, "--mpi-timeout", arg, 0, 1e7, &c->mpi_timeout);
    case O_PROGRESS: a->progress_opt = arg; return true;
    case 'o': c->out = arg; return true;
    case 'q': a->quiet = true; return true;
    default: return false;
    }
}

/* Parse the command line into a; -1 to go on, else the exit code. */
static int train_args(int argc, char **argv, TrainArgs *a)
{
    JobConfig *c = &a->job;
    int ch;
    train_defaults(a);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:qh", train_longopts, NULL)) != -1) {
        if (ch == 'h') {
            train_usage(stdout);
            return 0;
        }
        if (ch == '?' || ch == ':') {
            train_usage(stderr);
            return 2;
        }
        if (!train_opt(ch, optarg, a))
            return 2;
    }
    if (c->enc.lookback && c->enc.kind != ENC_MELODY) {
        fprintf(stderr, "reel train: --lookback works with --encoding melody only, not %s\n",
                enc_name(c->enc.kind));
        return 2;
    }
    if (c->enc.repeats && !c->enc.lookback) {
        fprintf(stderr, "reel train: --repeat-labels goes with --lookback\n");
        return 2;
    }
    if (!c->out || optind >= argc) {
        fprintf(stderr, "reel train: give the training data and -o MODEL\n");
        train_usage(stderr);
        return 2;
    }
    c->paths = (const char *const *)(argv + optind);
    c->n_paths = argc - optind;
    c->resume_epochs = a->epochs_given ? c->train.epochs : 0;
    if (a->log_opt && !strcmp(a->log_opt, "none"))
        c->log_path = NULL;
    else if (a->log_opt)
        c->log_path = a->log_opt;
    else {
        job_path_beside(c->out, ".csv", a->log_path, sizeof a->log_path);
        c->log_path = a->log_path;
    }
    return -1;
}

/* --resume: load the model, or say why it cannot go on. */
static bool train_resume(TrainJob *job)
{
    ReelError err;
    const Model *m = job->m;
    switch (job_resume(job, &err)) {
    case JOB_RESUME_OK: {
        char now[1024];
        fprintf(stderr, "resuming %s at epoch %d, batch %lld (%s)\n", job->cfg.out,
                m->progress.epoch + 1, (long long)m->progress.batch_in_epoch, m->train.corpus);
        if (!job_corpus_matches(job, now, sizeof now))
            fprintf(stderr, "reel train: warning: --resume: %s was trained on %s; this run reads "
                    "%s: another corpus gives another split and other batches (tunes once held "
                    "out may now be trained on)\n", job->cfg.out, m->train.corpus, now);
        return true;
    }
    case JOB_RESUME_UNREADABLE:
        fprintf(stderr, "reel train: --resume: %s\n", err.msg);
        return false;
    case JOB_RESUME_NO_STATE:
        fprintf(stderr, "reel train: --resume: %s; start a new run instead\n", err.msg);
        return false;
    default:
        fprintf(stderr, "reel train: %s; give --epochs N with a larger N to go on\n", err.msg);
        return false;
    }
}

/* A step's failure: every rank that failed itself says so; rank 0 always. */
static void train_step_failed(const TrainJob *job, const ReelError *err)
{
    int me = dist_rank(job->dist);
    if (job_sharded(job) && job->failed_rank == me && me)
        rank_error(job->dist, err->msg);
    fprintf(stderr, "reel train: %s\n", err->msg);
}

/* The corpus, the split, a new network, the datasets; 0 when ready, else
 * the exit code. */
static int train_prepare(TrainJob *job)
{
    ReelError err;
    if (job_load(job, &err)) {
        fprintf(stderr, "reel train: %s\n", err.msg);
        return 1;
    }
    if (job->skipped)
        fprintf(stderr, "reel train: %ld file(s) skipped (reel corpus lists why)\n",
                job->skipped);
    if (job_split(job, &err)) {
        fprintf(stderr, "reel train: %s\n", err.msg);
        return 1;
    }
    if (job_build(job, &err) || job_data(job, &err)) {
        train_step_failed(job, &err);
        return job->alone ? RC_ABORT : 1;
    }
    return 0;
}

/* What is about to be trained, on stderr. */
static void train_summary(const TrainJob *job)
{
    const Model *m = job->m;
    int ranks = dist_size(job->dist);
    fprintf(stderr, "training %s%s%s on %d tunes (%lld positions per epoch), validating on %d; "
                    "%d x %d LSTM%s%s, %zu weights, window %d, batch %d, %s lr %g, %d thread%s",
            enc_name(m->enc.kind),
            m->enc.repeats ? " --lookback --repeat-labels" : m->enc.lookback ? " --lookback" : "",
            enc_form(&m->enc) ? " (form inputs)" : "",
            job->n_train, (long long)m->train.steps_train, job->n_val, m->net.layers,
            m->net.hidden, m->net.dense ? ", dense" : "", m->net.batchnorm ? ", batch norm" : "",
            net_n_params(m->nn), m->train.window, m->train.batch, optim_name(m->train.optim.kind),
            m->train.optim.lr, m->train.threads, m->train.threads == 1 ? "" : "s");
    if (job->n_test > 0)
        fprintf(stderr, "; %d kept aside for testing", job->n_test);
    if (ranks > 1)
        fprintf(stderr, " per rank; %d ranks (MPI), %ld files read", ranks, job->files_loaded);
    fputc('\n', stderr);
    if (m->enc.kind == ENC_TOKENS)
        fprintf(stderr, "vocabulary: %d tokens; %ld unknown in training, %ld in validation\n",
                vocab_size(m->vocab), job->st_train.unknown, job->st_val.unknown);
    if (m->enc.kind == ENC_ROLL13 || m->enc.kind == ENC_ROLL13_ONSET)
        fprintf(stderr, "roll13: %ld of %ld notes moved by octave shifts, %ld folded in, %ld "
                        "dropped\n", job->st_train.shifted + job->st_val.shifted,
                job->st_train.notes + job->st_val.notes,
                job->st_train.folded + job->st_val.folded,
                job->st_train.dropped + job->st_val.dropped);
}

/* --progress: open it and write the summary line; false (said) when it
 * cannot be written. */
static bool train_progress_open(const TrainArgs *a, const TrainJob *job, Progress *prog)
{
    const Model *m = job->m;
    if (!a->progress_opt || dist_rank(job->dist) != 0)
        return true;
    prog->pf = strcmp(a->progress_opt, "-") ? fopen(a->progress_opt, "w") : stdout;
    if (!prog->pf) {
        fprintf(stderr, "reel train: --progress %s: %s\n", a->progress_opt, strerror(errno));
        return false;
    }
    /* The summary: training and validation tunes, files skipped,
     * positions per epoch, weights, the epoch resumed (-1: new), ranks. */
    fprintf(prog->pf, "reel-progress 1 info %d %d %ld %lld %zu %d %d\t%s\n", job->n_train,
            job->n_val, job->skipped, (long long)m->train.steps_train, net_n_params(m->nn),
            job->resumed ? m->progress.epoch : -1, dist_size(job->dist), job->cfg.out);
    fflush(prog->pf);
    return true;
}

static void train_signals(bool ignore_pipe)
{
    struct sigaction sa;
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
    if (ignore_pipe)
        signal(SIGPIPE, SIG_IGN);
}

/* train_run failed: say so, and how the job ends; returns the exit code. */
static int train_failed(const TrainJob *job, const Progress *prog, const ReelError *err)
{
    Dist *dist = job->dist;
    bool sharded = job_sharded(job);
    int rc = 1;
    if (prog->tty)
        fputs("\r\033[K", stderr);
    if (sharded && (job->shard.own || dist_broken(dist) || job->shard.alone))
        rank_error(dist, err->msg);
    else
        fprintf(stderr, "reel train: %s\n", err->msg);
    if (sharded && (dist_broken(dist) || job->shard.alone)) {
        fprintf(rank_err, "reel train: the last checkpoint, %s, is intact (reel info %s); "
                          "continue with --resume, on any number of ranks\n", job->cfg.out,
                job->cfg.out);
        /* MPI failed: leave without MPI_Finalize (the launcher ends the
         * job when a rank exits so).  Failed alone: the others wait for
         * this rank, end the job. */
        if (!dist_broken(dist))
            rc = RC_ABORT;
    }
    if (prog->pf)
        fprintf(prog->pf, "reel-progress 1 error\t%s\n", err->msg);
    return rc;
}

/* Several ranks, done: what the allreduce cost. */
static void train_mpi_stats(const TrainJob *job, int64_t batches, double secs)
{
    DistStats ds;
    dist_stats(job->dist, &ds);
    fprintf(stderr, "mpi: %d ranks, the same weights on every rank (checksum %016llx); "
                    "a batch spent %.2f ms in the gradient allreduce (%.1f%% of the "
                    "time) and %.2f ms waiting for the slowest rank (%.1f%%), on rank 0",
            dist_size(job->dist), (unsigned long long)job->shard.checksum,
            batches ? ds.float_seconds / (double)batches * 1e3 : 0.0,
            secs > 0 ? 100.0 * ds.float_seconds / secs : 0.0,
            batches ? (ds.sum_seconds - ds.float_seconds) / (double)batches * 1e3 : 0.0,
            secs > 0 ? 100.0 * (ds.sum_seconds - ds.float_seconds) / secs : 0.0);
    fputc('\n', stderr);
}

/* The loop, with progress and signals; the exit code. */
static int train_loop(TrainJob *job, const TrainArgs *a, Progress *prog)
{
    Model *m = job->m;
    ReelError err;
    int64_t batches_before = m->progress.batches;
    double seconds_before = m->progress.seconds;
    bool sharded = job_sharded(job);
    if (!train_progress_open(a, job, prog))
        return sharded ? RC_ABORT : 1;
    train_signals(prog->pf || sharded);
    prog->tty = isatty(2);
    prog->head = m->net.head;
    if (dist_rank(job->dist) == 0) {
        int stale = model_clean_temps(job->cfg.out);
        if (stale > 0)
            fprintf(stderr, "reel train: removed %d unfinished checkpoint file%s (%s.tmp-*) left "
                            "by a run that was killed while saving\n", stale, stale > 1 ? "s" : "",
                    job->cfg.out);
    }
    if (job_train(job, &stop_flag, on_event, prog, &err))
        return train_failed(job, prog, &err);
    if (sharded)
        train_mpi_stats(job, m->progress.batches - batches_before,
                        m->progress.seconds - seconds_before);
    return 0;
}

static int train_main(int argc, char **argv, Dist *dist)
{
    TrainArgs a;
    TrainJob job;
    Model m;
    Progress prog = {false, false, HEAD_SIGMOID_BCE, 0, NULL};
    int rc = train_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    prog.quiet = a.quiet;
    model_init(&m);
    job_init(&job, &a.job, &m, dist);
    if (a.job.resume && !train_resume(&job))
        rc = 1;
    else {
        blas_set_threads(job.cfg.train.threads);
        rc = train_prepare(&job);
        if (rc == 0) {
            train_summary(&job);
            rc = train_loop(&job, &a, &prog);
        }
    }
    if (prog.pf && prog.pf != stdout)
        fclose(prog.pf);
    job_free(&job);
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
