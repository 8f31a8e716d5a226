/* test_ui_trainer.c — the studio's training thread (ui/trainer.c) and
 * `reel train` ($REEL_BIN, default build/reel) train the same run: for the
 * same settings on a few real tunes (ryans-mammoth, copied into a temporary
 * folder) they hold the same tunes out for validation and train the same
 * batches.
 *
 * Compared, for two set-ups (melody --lookback; tokens with a vocabulary,
 * max-tunes, dropout, a dense layer and rmsprop): the training and
 * validation tune counts (the studio's summary, the CLI's --progress info
 * line and both model files), every line of the two CSV logs but its time
 * column (each batch's loss, accuracies, gradient norm, positions; the
 * validation loss and positions, which depend on which tunes were held
 * out), and the saved weights bit for bit.  That the comparison can fail:
 * `reel train` with another --seed must give another log.  Both sides run
 * natively (not under valgrind, whose floats round differently from the
 * child's); make valgrind leaves test_ui_* out.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blas.h"
#include "model.h"
#include "testlib.h"
#include "trainer.h"

static const char *reel_bin(void)
{
    const char *b = getenv("REEL_BIN");
    return b && *b ? b : "build/reel";
}

/* One set-up: the studio's form and the same as `reel train` options. */
typedef struct {
    const char *name;
    TrainerConfig c;
    const char *cli;    /* the options that say what c says */
} Setup;

/* What differs between the set-ups. */
typedef struct {
    const char *name, *enc;
    bool durations;
    int hidden, dense, batch;
    float dropout, lr, val_split;
    OptimKind optimizer;
    uint64_t seed;
    long max_tunes;
    const char *cli;
} Plan;

static const Plan plans[2] = {
    /* melody --lookback --repeat-labels, the studio's own encoding */
    {"lookback", "melody-lookback", false, 16, 0, 4, 0, 0.01f, 0.25f, OPTIM_ADAM, 7, 0,
     "--encoding melody --lookback --repeat-labels --hidden 16 --layers 1 --window 16 "
     "--batch 4 --epochs 1 --lr 0.01 --val-split 0.25 --seed 7 -q"},
    /* tokens: a vocabulary built on the training tunes only */
    {"tokens", "tokens", true, 12, 8, 8, 0.1f, 0.001f, 0.3f, OPTIM_RMSPROP, 3, 6,
     "--encoding tokens --durations --hidden 12 --layers 1 --dense 8 --dropout 0.1 "
     "--window 16 --batch 8 --epochs 1 --optimizer rmsprop --val-split 0.3 --seed 3 "
     "--max-tunes 6 -q"},
};

/* The studio's form as p says (one layer, windows of 16, one epoch). */
static void setup_from(const Plan *p, Setup *s)
{
    TrainerConfig *c = &s->c;
    s->name = p->name;
    s->cli = p->cli;
    trainer_config_defaults(c);
    REQUIRE(trainer_enc_parse(c, p->enc), "%s", p->enc);
    c->durations = p->durations;
    c->hidden = p->hidden;
    c->layers = 1;
    c->dense = p->dense;
    c->dropout = p->dropout;
    c->window = 16;
    c->batch = p->batch;
    c->epochs = 1;
    c->lr = p->lr;
    c->optimizer = p->optimizer;
    c->val_split = p->val_split;
    c->seed = p->seed;
    c->max_tunes = p->max_tunes;
}

/* Read a file's lines into out (at most max, each without its time
 * column, the last one); returns how many. */
static int csv_lines(const char *path, char out[][512], int max)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int n = 0;
    if (!f)
        return -1;
    while (n < max && fgets(line, sizeof line, f)) {
        char *comma = strrchr(line, ',');
        if (comma)
            *comma = '\0';
        snprintf(out[n++], 512, "%s", line);
    }
    fclose(f);
    return n;
}

/* The studio's Trainer on s, until it has finished. */
static void run_studio(const Setup *s, Trainer *t)
{
    ReelError err;
    double waited = 0;
    trainer_init(t);
    REQUIRE(trainer_start(t, &s->c, -1, &err) == REEL_OK, "%s: trainer_start: %s", s->name,
            err.msg);
    while (trainer_active(t) && waited < 300) {
        struct timespec ts = {0, 20 * 1000000L};
        TrainEvent ev[64];
        nanosleep(&ts, NULL);
        waited += 0.02;
        while (trainer_drain(t, ev, 64) > 0)
            ;
    }
    trainer_join(t);
    CHECK(trainer_phase(t) == TR_DONE, "%s: the studio's run ended in phase %d: %s", s->name,
          (int)trainer_phase(t), t->msg);
}

/* reel train on s's data with s's options (and extra); 0 when it ran. */
static int run_cli(const Setup *s, const char *out, const char *progress, const char *extra,
                   const char *errfile)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' train '%s' -o '%s' --progress '%s' %s %s 2> '%s'",
             reel_bin(), s->c.corpus, out, progress, s->cli, extra, errfile);
    return system(cmd);
}

/* The CLI's info line: training and validation tunes. */
static bool cli_info(const char *progress, long *tr, long *va)
{
    FILE *f = fopen(progress, "r");
    char line[1024];
    bool found = false;
    if (!f)
        return false;
    while (!found && fgets(line, sizeof line, f))
        found = sscanf(line, "reel-progress 1 info %ld %ld", tr, va) == 2;
    fclose(f);
    return found;
}

/* Every line of the two logs but the time; returns the lines compared. */
static int compare_logs(const char *name, const char *studio_log, const char *cli_log,
                        char studio_csv[][512])
{
    static char cli_csv[2048][512];
    int ns = csv_lines(studio_log, studio_csv, 2048), nc = csv_lines(cli_log, cli_csv, 2048);
    int trains = 0, vals = 0;
    CHECK(ns == nc && ns > 4, "%s: %d lines in the studio's log, %d in reel train's", name, ns,
          nc);
    for (int i = 0; i < ns && i < nc; i++) {
        CHECK(!strcmp(studio_csv[i], cli_csv[i]), "%s: log line %d: studio '%s', reel train '%s'",
              name, i + 1, studio_csv[i], cli_csv[i]);
        trains += !strncmp(studio_csv[i], "train,", 6);
        vals += !strncmp(studio_csv[i], "val,", 4);
    }
    CHECK(trains >= 3 && vals >= 1, "%s: %d batches and %d validations compared", name, trains,
          vals);
    fprintf(stderr, "%s: %d batches and %d validations the same in both logs\n", name, trains,
            vals);
    return ns;
}

/* The two model files: the same split and the same weights. */
static void compare_models(const char *name, const char *studio_out, const char *cli_out)
{
    Model ms, mc;
    ReelError err;
    model_init(&ms);
    model_init(&mc);
    REQUIRE(model_load(&ms, studio_out, 0, 0, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(model_load(&mc, cli_out, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(ms.train.tunes_train == mc.train.tunes_train && ms.train.tunes_val == mc.train.tunes_val
          && ms.train.steps_train == mc.train.steps_train,
          "%s: models: studio %ld/%ld tunes %ld positions, reel train %ld/%ld %ld", name,
          ms.train.tunes_train, ms.train.tunes_val, ms.train.steps_train, mc.train.tunes_train,
          mc.train.tunes_val, mc.train.steps_train);
    CHECK(ms.progress.epoch == mc.progress.epoch && ms.progress.batches == mc.progress.batches,
          "%s: studio at epoch %d batch %lld, reel train at %d %lld", name, ms.progress.epoch,
          (long long)ms.progress.batches, mc.progress.epoch, (long long)mc.progress.batches);
    CHECK(net_n_params(ms.nn) == net_n_params(mc.nn) &&
          !memcmp(net_params(ms.nn), net_params(mc.nn), net_n_params(ms.nn) * sizeof(float)),
          "%s: the studio's weights and reel train's differ", name);
    model_free(&ms);
    model_free(&mc);
}

static void compare(const Setup *s, const char *dir)
{
    static char studio_csv[2048][512], other_csv[2048][512];
    char cli_out[700], cli_log[700], studio_log[700], prog[700], errf[700], other[700];
    Setup more = *s;
    Trainer t;
    long tr = -1, va = -1;
    int ns, no, differ = 0;

    snprintf(cli_out, sizeof cli_out, "%s/cli-%s.reel", dir, s->name);
    snprintf(cli_log, sizeof cli_log, "%s/cli-%s.csv", dir, s->name);
    snprintf(studio_log, sizeof studio_log, "%s/studio-%s.csv", dir, s->name);
    snprintf(prog, sizeof prog, "%s/cli-%s.progress", dir, s->name);
    snprintf(errf, sizeof errf, "%s/cli-%s.err", dir, s->name);
    snprintf(other, sizeof other, "%s/other-%s.reel", dir, s->name);

    run_studio(s, &t);
    REQUIRE(run_cli(s, cli_out, prog, "", errf) == 0, "%s: reel train failed (see %s)", s->name,
            errf);
    CHECK(cli_info(prog, &tr, &va), "%s: no info line in %s", s->name, prog);
    CHECK(tr == t.tunes_train && va == t.tunes_val && va > 0,
          "%s: held out: studio %ld of %ld tunes, reel train %ld of %ld", s->name, t.tunes_val,
          t.tunes_train + t.tunes_val, va, tr + va);
    fprintf(stderr, "%s: %ld of %ld tunes held out alike\n", s->name, va, tr + va);
    ns = compare_logs(s->name, studio_log, cli_log, studio_csv);
    compare_models(s->name, s->c.out, cli_out);
    trainer_free(&t);

    /* Resumed for a second epoch, each where it stopped: the same again. */
    more.c.resume = true;
    more.c.epochs = 2;
    run_studio(&more, &t);
    REQUIRE(run_cli(s, cli_out, prog, "--resume --epochs 2", errf) == 0,
            "%s: reel train --resume failed (see %s)", s->name, errf);
    CHECK(t.resumed_epoch == 1, "%s: the studio resumed at epoch %d", s->name, t.resumed_epoch);
    CHECK(compare_logs(s->name, studio_log, cli_log, studio_csv) > ns,
          "%s: the resumed runs wrote nothing", s->name);
    compare_models(s->name, s->c.out, cli_out);
    trainer_free(&t);

    /* Another seed: another split and other batches, and the test sees it. */
    REQUIRE(run_cli(s, other, prog, "--seed 99", errf) == 0, "%s: reel train --seed 99 failed",
            s->name);
    snprintf(other, sizeof other, "%s/other-%s.csv", dir, s->name);
    no = csv_lines(other, other_csv, 2048);
    for (int i = 0; i < no && i < ns; i++)
        differ += strcmp(other_csv[i], studio_csv[i]) != 0;
    CHECK(no != ns || differ > 0, "%s: --seed 99 gave the same log: the comparison sees nothing",
          s->name);
}

/* A failure each front end words its own way: the studio's message and
 * reel train's. */
static void check_failure(const Setup *s, const char *extra, const char *studio_says,
                          const char *cli_says, const char *dir)
{
    char prog[700], errf[700], line[1024];
    Trainer t;
    FILE *f;
    bool found = false;
    trainer_init(&t);
    REQUIRE(trainer_start(&t, &s->c, -1, NULL) == REEL_OK, "%s: trainer_start", s->name);
    trainer_join(&t);
    CHECK(trainer_phase(&t) == TR_FAILED && strstr(t.msg, studio_says),
          "%s: the studio says '%s' (phase %d), not '%s'", s->name, t.msg, (int)trainer_phase(&t),
          studio_says);
    trainer_free(&t);
    snprintf(prog, sizeof prog, "%s/fail.progress", dir);
    snprintf(errf, sizeof errf, "%s/fail.err", dir);
    CHECK(run_cli(s, s->c.out, prog, extra, errf) != 0, "%s: reel train succeeded", s->name);
    if ((f = fopen(errf, "r"))) {
        while (!found && fgets(line, sizeof line, f))
            found = strstr(line, cli_says) != NULL;
        fclose(f);
    }
    CHECK(found, "%s: reel train does not say '%s' (see %s)", s->name, cli_says, errf);
}

int main(void)
{
    static const char *const tunes[] = {
        "AcaciaReel", "AcrobatsHornpipe", "AdmiralsHornpipe", "AfterTheHareReel",
        "AlbemarleHornpipe", "AldridgesHornpipe", "BelleOfClaremontHornpipe", "BoysOfBockhillJig",
    };
    const char *src = test_corpus("ryans-mammoth/midi");
    char dir[512], data[600], cmd[8192];
    Setup s[2];

    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    snprintf(data, sizeof data, "%s/tunes", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", data);
    REQUIRE(system(cmd) == 0, "mkdir %s", data);
    for (size_t i = 0; i < sizeof tunes / sizeof tunes[0]; i++) {
        snprintf(cmd, sizeof cmd, "cp '%s/%s.mid' '%s/'", src, tunes[i], data);
        REQUIRE(system(cmd) == 0, "copy %s", tunes[i]);
    }
    REQUIRE(access(reel_bin(), X_OK) == 0, "no reel binary at %s (set REEL_BIN)", reel_bin());
    blas_set_threads(1);

    for (int i = 0; i < 2; i++)
        setup_from(&plans[i], &s[i]);
    for (int i = 0; i < 2; i++) {
        snprintf(s[i].c.corpus, sizeof s[i].c.corpus, "%s", data);
        snprintf(s[i].c.out, sizeof s[i].c.out, "%s/studio-%s.reel", dir, s[i].name);
        compare(&s[i], dir);
    }

    /* A finished model (two epochs of two) cannot be resumed. */
    s[0].c.resume = true;
    s[0].c.epochs = 2;
    s[0].name = "finished";
    check_failure(&s[0], "--resume --epochs 2", "has finished its 2 epochs: raise the epochs",
                  "has finished its 2 epochs; give --epochs N", dir);
    /* One tune is too few to hold half of them out. */
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/one' && cp '%s/%s.mid' '%s/one/'", dir, src, tunes[0],
             dir);
    REQUIRE(system(cmd) == 0, "%s", cmd);
    snprintf(s[1].c.corpus, sizeof s[1].c.corpus, "%s/one", dir);
    snprintf(s[1].c.out, sizeof s[1].c.out, "%s/one.reel", dir);
    s[1].c.val_split = 0.5f;
    s[1].name = "one tune";
    check_failure(&s[1], "--val-split 0.5", "1 tune(s) in", "1 tune(s) is too few to hold 50%",
                  dir);
    TEST_END();
}
