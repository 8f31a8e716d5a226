/* test_evaljob.c — the evaluation job (evaljob.h) and its reference corpus
 * (evalref.h) on a small folder written here: the corpus's own columns,
 * generated columns that repeat with the same seed, a melody from the
 * corpus found copied, the held-out loss (per step and per note), the
 * corpus's first bars beside the pieces, top-k reaching the sampler, where
 * a failed job stopped, and the model's recorded corpus line read back. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "evaljob.h"
#include "evalref.h"
#include "generate.h"
#include "midi.h"
#include "model.h"
#include "testlib.h"

static const char *const tunes[] = {
    "D4/8 F#4 A4 D5 F#5 A5 D5 A4 | G4/8 B4 D5 G5 B4 D5 G4 B4 | A4/8 C#5 E5 A5 E5 C#5 A4 E4 | "
    "D4/8 F#4 A4 D5 A4/2 | D4/8 F#4 A4 D5 F#5 A5 D5 A4 | G4/8 B4 D5 G5 B4 D5 G4 B4 | "
    "A4/8 C#5 E5 A5 E5 C#5 A4 E4 | D5/2 D4/2",
    "G4/4 B4 D5 B4 | C5/4 E5 G5 E5 | D5/4 B4 G4 B4 | A4/4 F#4 D4/2 | G4/4 B4 D5 B4 | "
    "C5/4 E5 G5 E5 | D5/4 A4 F#4 A4 | G4/1",
    "E4/8 G4 B4 E5 B4 G4 E4 G4 | D4/8 F#4 A4 D5 A4 F#4 D4 F#4 | C4/8 E4 G4 C5 G4 E4 C4 E4 | "
    "B3/8 D#4 F#4 B4 F#4/2 | E4/8 G4 B4 E5 B4 G4 E4 G4 | D4/8 F#4 A4 D5 A4 F#4 D4 F#4 | "
    "C4/8 E4 G4 C5 B3 D#4 F#4 B4 | E4/1",
    "A4/4 A4/8 B4 C5/4 A4 | G4/4 E4 E4/2 | A4/4 A4/8 B4 C5/4 D5 | E5/2 E5/2 | "
    "D5/4 C5 B4 A4 | G4/4 E4 E4/2 | A4/4 C5 B4 G4 | A4/1",
};

static void write_corpus(const char *dir)
{
    for (size_t i = 0; i < sizeof tunes / sizeof tunes[0]; i++) {
        char path[600];
        Tune t;
        ReelError err;
        MidiWriteOpts wo = {0, -1, NULL, 0};
        snprintf(path, sizeof path, "%s/tune%zu.mid", dir, i);
        REQUIRE(gen_parse_notes(tunes[i], &t, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(midi_write_tune(path, &t, &wo, &err) == REEL_OK, "%s", err.msg);
        tune_free(&t);
    }
}

static void make_model(Model *m)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc.kind = ENC_MELODY;
    m->train.window = 16;   /* what reel train records; the held-out loss reads it */
    m->train.batch = 4;
    m->net.hidden = 12;
    m->net.layers = 1;
    REQUIRE(model_net_for_encoding(&m->enc, NULL, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 64, 4, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, 5);
    net_init(m->nn, &r);
}

static EvalJobOpts opts_for(const EvalPaths *p, Model *m)
{
    EvalJobOpts o;
    memset(&o, 0, sizeof o);
    o.m = m;
    o.corpus = p;
    o.temps[0] = 0.5;
    o.temps[1] = 1.0;
    o.n_temps = 2;
    o.n = 3;
    o.bars = 4;
    o.seed = 11;
    o.prime = EVAL_PRIME_RESTS;
    return o;
}

static void test_corpus_mode(const EvalPaths *p)
{
    EvalJobOpts o = opts_for(p, NULL);
    EvalJob j;
    ReelError err;
    EvalTargets t;
    CHECK(evaljob_run(&j, &o, &err) == REEL_OK, "%s", err.msg);
    CHECK(j.stage == EVAL_AT_DONE && j.nc == 2, "two columns: %d", j.nc);
    CHECK(!strcmp(j.cols[0].label, "whole tunes") && !strcmp(j.cols[1].label, "4-bar pieces"),
          "%s / %s", j.cols[0].label, j.cols[1].label);
    CHECK(j.ref.n_ref == 4 && j.ref.ix, "4 tunes, indexed");
    CHECK(j.cols[0].set.melodies == 4, "4 whole tunes: %d", j.cols[0].set.melodies);
    CHECK(j.cols[1].set.melodies == 8, "8 pieces of 4 bars: %d", j.cols[1].set.melodies);
    CHECK(j.cols[0].origin_loo && j.cols[1].queries == 8, "each against the other tunes");
    t = evaljob_targets(&j.cols[0], &j.cols[0]);
    CHECK(t.in_key, "a column meets the in-key target against itself");
    evaljob_free(&j);
}

static void test_model_mode(const EvalPaths *p, Model *m)
{
    EvalJobOpts o = opts_for(p, m);
    EvalJob a, b;
    ReelError err;
    CHECK(evaljob_run(&a, &o, &err) == REEL_OK, "%s", err.msg);
    CHECK(evaljob_run(&b, &o, &err) == REEL_OK, "%s", err.msg);
    CHECK(a.nc == 3, "corpus and two temperatures: %d", a.nc);
    CHECK(!strcmp(a.cols[0].label, "corpus") && !strcmp(a.cols[1].label, "T=0.5") &&
              !strcmp(a.cols[2].label, "T=1"), "labels");
    for (int c = 1; c < a.nc && c < b.nc; c++) {
        CHECK(a.cols[c].set.melodies == 3 && a.cols[c].has_cmp, "3 melodies, compared");
        CHECK(a.cols[c].set.notes == b.cols[c].set.notes &&
                  a.cols[c].set.bars == b.cols[c].set.bars &&
                  a.cols[c].n_copies == b.cols[c].n_copies, "the same seed, the same melodies");
        CHECK(a.cols[c].set.bars == 12, "3 melodies of 4 bars: %lld",
              (long long)a.cols[c].set.bars);
    }
    CHECK(a.has_first && !strcmp(a.first.label, "first 4 bars") && a.first.set.melodies == 4 &&
              a.cols[0].set.melodies == 8, "the first 4 bars of each of the 4 tunes (of 8 "
          "pieces): %d", a.first.set.melodies);
    CHECK(isfinite(a.cols[2].cmp_first[METRICS_H_PC].overlap) &&
              isfinite(a.cols[2].cmp_first[METRICS_H_KEY].overlap),
          "generated melodies compared with the first bars");
    evaljob_free(&a);
    evaljob_free(&b);

    /* top-k 1 takes the likeliest choice: the temperature no longer matters. */
    o.top_k = 1;
    CHECK(evaljob_run(&a, &o, &err) == REEL_OK, "%s", err.msg);
    CHECK(a.cols[1].set.notes == a.cols[2].set.notes &&
              a.cols[1].set.pc[0] == a.cols[2].set.pc[0] &&
              !memcmp(a.cols[1].set.interval, a.cols[2].set.interval,
                      sizeof a.cols[1].set.interval),
          "top-k 1: the same melodies at T=0.5 and T=1 (%lld, %lld notes)",
          (long long)a.cols[1].set.notes, (long long)a.cols[2].set.notes);
    evaljob_free(&a);
    o.top_k = 0;

    o.prime = EVAL_PRIME_CORPUS;
    o.test_dir = p->paths[0];
    CHECK(evaljob_run(&a, &o, &err) == REEL_OK, "%s", err.msg);
    CHECK(a.nc == 3 && a.cols[1].set.melodies == 3, "after corpus excerpts");
    CHECK(a.test_tunes == 4 && a.test.positions > 0 && isfinite(a.test.loss), "held out: %ld "
          "tunes, %lld positions", a.test_tunes, (long long)a.test.positions);
    /* 55 + 28 + 54 + 27 notes in the four tunes; each step predicted once. */
    CHECK(a.test_notes == 164, "held out: %lld notes", (long long)a.test_notes);
    CHECK(fabs(a.test_loss_note - a.test.loss * (double)a.test.positions / 164.0) < 1e-9 &&
              a.test_loss_note > a.test.loss,
          "loss per note %g = loss per step %g x %lld steps / 164 notes", a.test_loss_note,
          a.test.loss, (long long)a.test.positions);
    evaljob_free(&a);
}

static void test_melody_mode(const EvalPaths *p, const char *file)
{
    EvalJobOpts o = opts_for(p, NULL);
    EvalJob j;
    ReelError err;
    o.file = file;
    CHECK(evaljob_run(&j, &o, &err) == REEL_OK, "%s", err.msg);
    CHECK(j.nc == 2 && !strcmp(j.cols[0].label, "melody") && !strcmp(j.cols[1].label, "corpus"),
          "melody and corpus");
    CHECK(j.mm.has_origin && j.mm.origin.copied > 0, "a corpus tune is found in the corpus");
    CHECK(j.cols[0].set.melodies == 1, "one melody");
    evaljob_free(&j);
    o.corpus = NULL;
    CHECK(evaljob_run(&j, &o, &err) == REEL_OK && j.nc == 1 && !j.mm.has_origin,
          "a melody alone");
    evaljob_free(&j);
}

static void test_job_failures(const char *dir)
{
    EvalPaths p;
    char missing[600];
    EvalJobOpts o;
    EvalJob j;
    ReelError err;
    memset(&p, 0, sizeof p);
    snprintf(missing, sizeof missing, "%s/none", dir);
    p.paths[0] = missing;
    p.n = 1;
    o = opts_for(&p, NULL);
    CHECK(evaljob_run(&j, &o, &err) != REEL_OK, "no corpus");
    CHECK(j.stage == EVAL_AT_CORPUS && !strncmp(err.msg, "corpus ", 7), "%d: %s", (int)j.stage,
          err.msg);
    evaljob_free(&j);
    o.file = missing;
    CHECK(evaljob_run(&j, &o, &err) != REEL_OK && j.stage == EVAL_AT_MELODY, "no melody");
    evaljob_free(&j);
}

static void test_model_paths(void)
{
    Model m;
    EvalPaths p;
    model_init(&m);
    snprintf(m.train.corpus, sizeof m.train.corpus, "/a/b /c/d (part MELODY)");
    evalref_paths_from_model(&p, &m);
    CHECK(p.n == 2 && !strcmp(p.paths[0], "/a/b") && !strcmp(p.paths[1], "/c/d"), "%d paths",
          p.n);
    CHECK(!strcmp(p.part, "MELODY"), "part '%s'", p.part);
    m.train.corpus[0] = '\0';
    evalref_paths_from_model(&p, &m);
    CHECK(p.n == 0, "a model that does not say");
}

int main(void)
{
    const char *dir = test_tmpdir();
    char file[600];
    EvalPaths p;
    Model m;
    write_corpus(dir);
    memset(&p, 0, sizeof p);
    p.paths[0] = dir;
    p.n = 1;
    make_model(&m);
    test_corpus_mode(&p);
    test_model_mode(&p, &m);
    snprintf(file, sizeof file, "%s/tune0.mid", dir);
    test_melody_mode(&p, file);
    test_job_failures(dir);
    test_model_paths();
    model_free(&m);
    TEST_END();
}
