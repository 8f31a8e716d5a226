/* test_train.c — the training loop: it learns, it repeats itself bit for bit
 * with a seed, a stopped run resumes to the same weights as an unbroken one,
 * windows cover every position once, events and the log are complete. */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "data.h"
#include "model.h"
#include "testlib.h"
#include "train.h"

#define N_TUNES 12
#define EPOCHS (test_quick() ? 8 : 60) /* REEL_TEST_QUICK (valgrind): 8, too few to learn */

/* Melodies a small network can learn from windows of 16 steps: C major
 * scales up and down in 2/4, in rhythms that differ from tune to tune. */
static void make_tunes(Tune *t)
{
    ReelError err;
    for (int i = 0; i < N_TUNES; i++) {
        int root = 60;
        static const int scale[8] = {0, 2, 4, 5, 7, 9, 11, 12};
        tune_init(&t[i]);
        tune_add_sig(&t[i], 0, 2, 4, &err);
        for (int k = 0, at = 0; k < 48; k++) {
            int deg = k % 16 < 8 ? k % 8 : 7 - k % 8;
            int dur = 1 + ((k + i) % 3 == 0);
            REQUIRE(tune_add_note(&t[i], at, dur, root + scale[deg], 90, &err) == REEL_OK, "%s",
                    err.msg);
            at += dur;
        }
        tune_sort(&t[i]);
    }
}

static void new_model(Model *m, EncKind kind, uint64_t seed, int epochs)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc.kind = kind;
    m->net.hidden = 24;
    m->net.layers = 2;
    m->net.dropout = 0.1f;
    m->net.rec_dropout = 0.1f;
    REQUIRE(model_net_for_encoding(&m->enc, NULL, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, seed);
    net_init(m->nn, &r);
    m->train.window = 16;
    m->train.batch = 4;
    m->train.epochs = epochs;
    m->train.seed = seed;
    m->train.threads = 1;
    m->train.optim = optim_defaults(OPTIM_ADAM);
    m->train.optim.lr = 0.02f;
}

typedef struct {
    int batches, epochs, checkpoints, done, stopped;
    int stop_epoch, stop_batch;   /* stop after this batch of this epoch (0-based epoch) */
    atomic_int *stop;
    float first_loss, last_epoch_loss;
} Seen;

static void on_event(void *user, const TrainEvent *ev)
{
    Seen *s = user;
    switch (ev->kind) {
    case TRAIN_EV_BATCH:
        if (s->batches == 0)
            s->first_loss = ev->loss;
        s->batches++;
        CHECK(ev->batch >= 1 && ev->batch <= ev->batches, "batch %lld of %lld",
              (long long)ev->batch, (long long)ev->batches);
        CHECK(isfinite(ev->loss) && ev->acc >= 0 && ev->acc <= 1, "loss %f acc %f", ev->loss,
              ev->acc);
        if (s->stop && ev->epoch == s->stop_epoch && ev->batch == s->stop_batch)
            atomic_store(s->stop, 1);
        break;
    case TRAIN_EV_EPOCH:
        s->epochs++;
        s->last_epoch_loss = ev->epoch_loss;
        break;
    case TRAIN_EV_CHECKPOINT: s->checkpoints++; break;
    case TRAIN_EV_DONE: s->done++; break;
    case TRAIN_EV_STOPPED: s->stopped++; break;
    default: break;
    }
}

static ReelStatus run_training(Model *m, const Dataset *tr, const Dataset *va, const char *path,
                               const char *log, Seen *seen, atomic_int *stop, int64_t max_b)
{
    TrainRun run;
    ReelError err;
    ReelStatus s;
    memset(&run, 0, sizeof run);
    run.out_path = path;
    run.log_path = log;
    run.stop = stop;
    run.cb = on_event;
    run.user = seen;
    run.max_batches = max_b;
    s = train_run(m, tr, va, &run, &err);
    CHECK(s == REEL_OK, "train_run: %s", s ? err.msg : "");
    return s;
}

static int count_lines(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int n = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    fclose(f);
    return n;
}

/* ---- crash safety: rollback on a non-finite loss, checkpoints mid-epoch,
 * a full disk ------------------------------------------------------------ */

typedef struct {
    Model *m;
    int64_t poison_from;   /* from this global batch on, poison the weights ... */
    size_t poison_at;      /* (this weight) */
    int poison_times;      /* ... this many times (after each rollback again) */
    int poisoned, rollbacks, checkpoints, done, batches;
    char last_msg[512];
} Poison;

static void on_poison(void *user, const TrainEvent *ev)
{
    Poison *p = user;
    switch (ev->kind) {
    case TRAIN_EV_BATCH:
        p->batches++;
        CHECK(isfinite(ev->loss), "a batch event with loss %f (rollbacks hide those)", ev->loss);
        if (ev->global_batch >= p->poison_from && p->poisoned < p->poison_times) {
            /* what an overflow does: one weight becomes NaN */
            net_params(p->m->nn)[p->poison_at] = NAN;
            p->poisoned++;
        }
        break;
    case TRAIN_EV_ROLLBACK:
        p->rollbacks++;
        snprintf(p->last_msg, sizeof p->last_msg, "%s", ev->msg);
        break;
    case TRAIN_EV_CHECKPOINT: p->checkpoints++; break;
    case TRAIN_EV_DONE: p->done++; break;
    default: break;
    }
}

static bool params_finite(const Model *m)
{
    const float *w = net_params(m->nn);
    for (size_t i = 0; i < net_n_params(m->nn); i++)
        if (!isfinite(w[i]))
            return false;
    return true;
}

static void test_crash_safety(const char *dir, const Dataset *tr, const Dataset *va)
{
    char path[600], log[600];
    Model m, back;
    TrainRun run;
    Poison pz;
    ReelError err;
    ReelStatus s;
    float lr0;
    int per_epoch;

    /* One NaN in epoch 3: back to the checkpoint of epoch 2, half the rate, on to the end. */
    snprintf(path, sizeof path, "%s/nan.reel", dir);
    snprintf(log, sizeof log, "%s/nan.csv", dir);
    new_model(&m, ENC_MELODY, 9, 4);
    lr0 = m.train.optim.lr;
    memset(&pz, 0, sizeof pz);
    pz.m = &m;
    memset(&run, 0, sizeof run);
    run.out_path = path;
    run.log_path = log;
    run.cb = on_poison;
    run.user = &pz;
    REQUIRE(train_run(&m, tr, va, &run, &err) == REEL_OK, "%s", err.msg); /* learn the batch count */
    per_epoch = pz.batches / 4;
    pz.poison_from = per_epoch * 2 + 2; /* epoch 3, its second batch */
    pz.poison_times = 1;
    pz.poison_at = net_n_params(m.nn) / 2; /* a recurrent weight: the loss becomes NaN */
    model_free(&m);
    new_model(&m, ENC_MELODY, 9, 4);
    pz.batches = pz.checkpoints = pz.done = 0;
    pz.m = &m;
    s = train_run(&m, tr, va, &run, &err);
    CHECK(s == REEL_OK, "training with a NaN went on: %s", s ? err.msg : "");
    CHECK(pz.poisoned == 1 && pz.rollbacks == 1 && pz.done == 1,
          "one NaN, one rollback, done (%d, %d, %d)", pz.poisoned, pz.rollbacks, pz.done);
    CHECK(strstr(pz.last_msg, "became nan") && strstr(pz.last_msg, "learning rate halved") &&
              strstr(pz.last_msg, "(the end of epoch 2)"),
          "the rollback says what happened: %s", pz.last_msg);
    CHECK(m.train.optim.lr == lr0 / 2, "learning rate %g after the rollback (was %g)",
          (double)m.train.optim.lr, (double)lr0);
    CHECK(params_finite(&m) && m.progress.epoch == 4, "finite weights, all 4 epochs (%d)",
          m.progress.epoch);
    CHECK(count_lines(log, "rollback,") == 1, "the CSV log has the rollback");
    REQUIRE(model_load(&back, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(back.train.optim.lr == lr0 / 2 && params_finite(&back),
          "the saved model keeps the lower rate (%g)", (double)back.train.optim.lr);
    model_free(&back);
    model_free(&m);

    /* A NaN every time: after 8 rollbacks an error; the checkpoint is intact. */
    new_model(&m, ENC_MELODY, 9, 4);
    memset(&pz, 0, sizeof pz);
    pz.m = &m;
    pz.poison_from = per_epoch + 2; /* from epoch 2 on: epoch 1's checkpoint is written */
    pz.poison_times = 1000;
    pz.poison_at = 3; /* the input row of a class never seen: no gradient, the weight stays NaN */
    snprintf(path, sizeof path, "%s/nan2.reel", dir);
    run.log_path = NULL;
    s = train_run(&m, tr, va, &run, &err);
    CHECK(s != REEL_OK && strstr(err.msg, "after 8 rollbacks") && strstr(err.msg, "nan2.reel") &&
              strstr(err.msg, "weights became nan"),
          "hopeless NaNs end with a message: %s", s ? err.msg : "(none)");
    CHECK(pz.rollbacks == 8, "8 rollbacks before giving up (%d)", pz.rollbacks);
    REQUIRE(model_load(&back, path, 0, 0, &err) == REEL_OK, "the checkpoint after NaNs: %s", err.msg);
    CHECK(params_finite(&back), "no NaN reached the checkpoint");
    model_free(&back);
    model_free(&m);

    /* Checkpoints inside epochs: every 3 batches, besides the epochs' own. */
    new_model(&m, ENC_MELODY, 9, 2);
    memset(&pz, 0, sizeof pz);
    pz.m = &m;
    snprintf(path, sizeof path, "%s/ckb.reel", dir);
    run.checkpoint_batches = 3;
    REQUIRE(train_run(&m, tr, va, &run, &err) == REEL_OK, "%s", err.msg);
    {
        int want = 2 + 2 * ((per_epoch - 1) / 3);
        CHECK(pz.batches == 2 * per_epoch && pz.checkpoints == want,
              "%d checkpoints for 2 epochs of %d batches (want %d)", pz.checkpoints, per_epoch, want);
    }
    run.checkpoint_batches = 0;
    model_free(&m);

    /* A full disk (a file size limit: writes fail as on ENOSPC) while saving:
     * a clear error, and the checkpoint before stays as it was. */
    {
        struct rlimit old, lim;
        uint64_t sum;
        REQUIRE(model_load(&m, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
        sum = m.checksum;
        m.train.epochs = 3;
        REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0, "getrlimit");
        lim = old;
        lim.rlim_cur = 4096;
        signal(SIGXFSZ, SIG_IGN);
        REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0, "setrlimit");
        s = train_run(&m, tr, va, &run, &err);
        setrlimit(RLIMIT_FSIZE, &old);
        CHECK(s == REEL_EIO && strstr(err.msg, "ckb.reel") && strstr(err.msg, "File too large") &&
                  strstr(err.msg, "unchanged"),
              "a failed save says so: %s", s ? err.msg : "(no error)");
        model_free(&m);
        REQUIRE(model_load(&m, path, 0, 0, &err) == REEL_OK, "the old checkpoint: %s", err.msg);
        CHECK(m.checksum == sum && m.progress.epoch == 2, "the old checkpoint is intact");
        model_free(&m);
        CHECK(model_clean_temps(path) == 0, "no temporary file left after the failed save");
    }
}

int main(void)
{
    const char *dir = test_tmpdir();
    Tune tunes[N_TUNES];
    int32_t tr_idx[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, va_idx[2] = {10, 11};
    Dataset tr, va;
    EncOpts eo = {.kind = ENC_MELODY};
    ReelError err;
    char p1[600], p2[600], p3[600], log[600];
    Model a, b, c;
    Seen sa = {0}, sb = {0}, sc = {0};
    atomic_int stop = 0;

    make_tunes(tunes);
    REQUIRE(data_build(&tr, tunes, tr_idx, 10, &eo, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(data_build(&va, tunes, va_idx, 2, &eo, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(tr.n_tunes == 10 && tr.classes && tr.width == MELODY_CLASSES, "dataset shape");

    /* Windows cover every position once, with and without offsets. */
    for (int pass = 0; pass < 2; pass++) {
        Window *w;
        Rng r;
        int64_t nw, covered = 0;
        rng_seed(&r, 7);
        nw = data_windows(&tr, 16, pass ? &r : NULL, &w);
        REQUIRE(nw > 0, "windows");
        for (int64_t i = 0; i < nw; i++) {
            CHECK(w[i].len >= 1 && w[i].len <= 16, "window length %d", w[i].len);
            covered += w[i].len;
        }
        CHECK(covered == tr.positions, "windows cover %lld of %lld positions", (long long)covered,
              (long long)tr.positions);
        free(w);
    }

    /* It learns: the epochs bring the loss well down. */
    snprintf(p1, sizeof p1, "%s/a.reel", dir);
    snprintf(log, sizeof log, "%s/a.csv", dir);
    new_model(&a, ENC_MELODY, 5, EPOCHS);
    run_training(&a, &tr, &va, p1, log, &sa, NULL, 0);
    printf("loss: first batch %.4f, last epoch %.4f; validation %.4f, accuracy %.1f%%\n",
           sa.first_loss, sa.last_epoch_loss, a.progress.val_loss, a.progress.val_acc * 100);
    CHECK(sa.last_epoch_loss < 0.5f * sa.first_loss, "loss fell from %f to %f", sa.first_loss,
          sa.last_epoch_loss);
    CHECK(a.progress.val_acc > 0.5f || test_quick(), "validation accuracy %f", a.progress.val_acc);
    CHECK(sa.epochs == EPOCHS && sa.checkpoints == EPOCHS && sa.done == 1 && sa.stopped == 0,
          "events: %d epochs, %d checkpoints, %d done", sa.epochs, sa.checkpoints, sa.done);
    CHECK(count_lines(log, "train,") == sa.batches, "a CSV line per batch: %d for %d",
          count_lines(log, "train,"), sa.batches);
    CHECK(count_lines(log, "val,") == EPOCHS, "a CSV line per validation");
    CHECK(access(p1, F_OK) == 0, "checkpoint written");

    /* The same seed gives the same weights, bit for bit. */
    snprintf(p2, sizeof p2, "%s/b.reel", dir);
    new_model(&b, ENC_MELODY, 5, EPOCHS);
    run_training(&b, &tr, &va, p2, NULL, &sb, NULL, 0);
    CHECK(memcmp(net_params(a.nn), net_params(b.nn), net_n_params(a.nn) * sizeof(float)) == 0,
          "same seed, same weights");
    model_free(&b);
    new_model(&b, ENC_MELODY, 6, EPOCHS);
    memset(&sb, 0, sizeof sb);
    run_training(&b, &tr, &va, p2, NULL, &sb, NULL, 0);
    CHECK(memcmp(net_params(a.nn), net_params(b.nn), net_n_params(a.nn) * sizeof(float)) != 0,
          "another seed, other weights");
    model_free(&b);

    /* Stopped in the middle of epoch 3 (through the stop flag), loaded from
     * the checkpoint and resumed: the same weights as the unbroken run. */
    snprintf(p3, sizeof p3, "%s/c.reel", dir);
    new_model(&c, ENC_MELODY, 5, EPOCHS);
    sc.stop = &stop;
    sc.stop_epoch = 2;
    sc.stop_batch = 3;
    run_training(&c, &tr, &va, p3, NULL, &sc, &stop, 0);
    CHECK(sc.stopped == 1 && sc.done == 0, "stopped once");
    CHECK(c.progress.epoch == 2 && c.progress.batch_in_epoch == 3, "stopped at epoch %d batch %lld",
          c.progress.epoch, (long long)c.progress.batch_in_epoch);
    model_free(&c);
    REQUIRE(model_load(&c, p3, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(c.optim.state != NULL, "checkpoint keeps the optimizer");
    atomic_store(&stop, 0);
    memset(&sc, 0, sizeof sc);
    run_training(&c, &tr, &va, p3, NULL, &sc, &stop, 2); /* two more batches, then stop */
    model_free(&c);
    REQUIRE(model_load(&c, p3, 0, 0, &err) == REEL_OK, "%s", err.msg);
    memset(&sc, 0, sizeof sc);
    run_training(&c, &tr, &va, p3, NULL, &sc, NULL, 0);
    CHECK(sc.done == 1, "resumed run finished");
    CHECK(c.progress.epoch == EPOCHS, "all epochs: %d", c.progress.epoch);
    CHECK(memcmp(net_params(a.nn), net_params(c.nn), net_n_params(a.nn) * sizeof(float)) == 0,
          "stopped twice and resumed: the same weights as the unbroken run");
    CHECK(c.progress.val_loss == a.progress.val_loss, "and the same validation loss");
    model_free(&c);

    /* Evaluation agrees with what training recorded. */
    {
        EvalResult r;
        REQUIRE(train_evaluate(&a, &va, &r, &err) == REEL_OK, "%s", err.msg);
        CHECK(fabs(r.loss - a.progress.val_loss) < 1e-5, "evaluate %f, recorded %f", r.loss,
              a.progress.val_loss);
        CHECK(r.positions == va.positions, "every validation position counted");
    }
    model_free(&a);

    /* Every encoding trains a few batches without trouble. */
    for (int k = 0; k < ENC_COUNT; k++) {
        Model m;
        Dataset d;
        Vocab *v = NULL;
        Seen s = {0};
        EncOpts o = {.kind = (EncKind)k, .durations = k == ENC_TOKENS};
        char p[600];
        if (k == ENC_TOKENS) {
            v = vocab_new();
            for (int i = 0; i < N_TUNES; i++)
                enc_tokens_count(&o, &tunes[i], v, &err);
            vocab_finish(v);
        }
        REQUIRE(data_build(&d, tunes, NULL, N_TUNES, &o, v, &err) == REEL_OK, "%s", err.msg);
        model_init(&m);
        m.enc = o;
        m.vocab = v;
        m.net.hidden = 8;
        m.net.layers = 1;
        m.net.dense = 4;
        m.net.batchnorm = true;
        REQUIRE(model_net_for_encoding(&o, v, &m.net, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(net_new(&m.nn, &m.net, 0, 0, &err) == REEL_OK, "%s", err.msg);
        {
            Rng r;
            rng_seed(&r, 1);
            net_init(m.nn, &r);
        }
        m.train.window = 8;
        m.train.batch = 3;
        m.train.epochs = 1;
        m.train.seed = 3;
        m.train.optim = optim_defaults(OPTIM_RMSPROP);
        m.train.optim.clip_norm = 1.0f;
        snprintf(p, sizeof p, "%s/%s.reel", dir, enc_name((EncKind)k));
        run_training(&m, &d, &d, p, NULL, &s, NULL, 0);
        CHECK(s.done == 1 && s.batches > 0, "%s trained %d batches", enc_name((EncKind)k),
              s.batches);
        model_free(&m);
        REQUIRE(model_load(&m, p, 0, 0, &err) == REEL_OK, "%s", err.msg);
        CHECK(m.progress.epoch == 1 && !isnan(m.progress.val_loss), "%s: saved after its epoch",
              enc_name((EncKind)k));
        model_free(&m);
        data_free(&d);
    }

    test_crash_safety(dir, &tr, &va);

    data_free(&tr);
    data_free(&va);
    for (int i = 0; i < N_TUNES; i++)
        tune_free(&tunes[i]);
    TEST_END();
}
