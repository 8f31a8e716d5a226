/* test_generate.c — the Generator on small random-weight models of every
 * encoding: repeatable seeds, exact lengths in bars, carried LSTM state and
 * snapshots, temperature changes after a restore, every kind of seed, the
 * next-note distribution, note text, excerpts, and the errors a musician can
 * run into. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abcout.h"
#include "blas.h"
#include "corpus.h"
#include "generate.h"
#include "midi.h"
#include "model.h"
#include "testlib.h"
#include "testtune.h"

typedef struct {
    const char *label;
    EncOpts enc;
} Kind;

static const Kind kinds[] = {
    {"roll13", {.kind = ENC_ROLL13}},
    {"roll13 --plain", {.kind = ENC_ROLL13, .plain = true}},
    {"roll13o", {.kind = ENC_ROLL13_ONSET}},
    {"roll128", {.kind = ENC_ROLL128}},
    {"melody", {.kind = ENC_MELODY}},
    {"tokens --durations", {.kind = ENC_TOKENS, .durations = true}},
    {"tokens", {.kind = ENC_TOKENS}},
    {"regress", {.kind = ENC_REGRESS}},
    {"melody --lookback", {.kind = ENC_MELODY, .lookback = true}},
    {"melody --lookback --repeat-labels", {.kind = ENC_MELODY, .lookback = true, .repeats = true}},
};
#define N_KINDS ((int)(sizeof kinds / sizeof kinds[0]))

/* A tune to build the token vocabulary from: C major around C4..C5, with
 * every rest length 1..16 and a chord. */
static void vocab_tune(Tune *t)
{
    static const int scale[8] = {60, 62, 64, 65, 67, 69, 71, 72};
    ReelError err;
    int32_t pos = 0;
    tune_init(t);
    for (int i = 0; i < 64; i++) {
        int d = 1 + (i / 8) % 8;
        REQUIRE(tune_add_note(t, pos, d, scale[i % 8], 100, &err) == REEL_OK, "%s", err.msg);
        pos += d;
        if (i < 16)
            pos += 1 + i; /* rests r/1 .. r/16 */
    }
    REQUIRE(tune_add_note(t, pos, 4, 60, 100, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_note(t, pos, 4, 64, 100, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_note(t, pos, 4, 67, 100, &err) == REEL_OK, "%s", err.msg);
    tune_sort(t);
}

static void make_model(Model *m, EncOpts enc, uint64_t wseed)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc = enc;
    if (enc.kind == ENC_TOKENS) {
        Tune t;
        vocab_tune(&t);
        m->vocab = vocab_new();
        REQUIRE(m->vocab, "vocab");
        REQUIRE(enc_tokens_count(&enc, &t, m->vocab, &err) == REEL_OK, "%s", err.msg);
        vocab_finish(m->vocab);
        tune_free(&t);
    }
    m->net.hidden = 12;
    m->net.layers = 2;
    m->net.dense = enc.kind == ENC_TOKENS ? 10 : 0;
    REQUIRE(model_net_for_encoding(&m->enc, m->vocab, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 80, 1, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, wseed);
    net_init(m->nn, &r);
    /* Random weights give near-uniform outputs; make them bolder so that
     * the choices depend on the weights and the state. */
    {
        float *p = net_params(m->nn);
        size_t np = net_n_params(m->nn);
        for (size_t i = 0; i < np; i++)
            p[i] *= 3.0f;
        if (enc.kind == ENC_REGRESS) {
            /* The head (nn.c's layout: head.W (H, 3), then head.b (3) at the
             * end): around G4, velocity 90, an eighth apart. */
            for (size_t i = np - 3 - 3 * (size_t)m->net.hidden; i < np - 3; i++)
                p[i] *= 0.02f;
            p[np - 3] = 67.0f / 127.0f;
            p[np - 2] = 90.0f / 127.0f;
            p[np - 1] = 2.0f / 16.0f;
        }
    }
}

static Tune text_tune(const char *text)
{
    Tune t;
    ReelError err;
    REQUIRE(gen_parse_notes(text, &t, &err) == REEL_OK, "'%s': %s", text, err.msg);
    return t;
}

/* Generate `bars` bars after a prime (text, or rests when NULL) with a seed. */
static void run(const Model *m, const char *prime, int bars, uint64_t seed, const SampleOpts *o,
                Tune *out, GenSpan *span)
{
    Generator *g;
    ReelError err;
    int32_t end;
    bool reached;
    REQUIRE(gen_new(&g, m, o, seed, &err) == REEL_OK, "%s", err.msg);
    if (prime) {
        Tune t = text_tune(prime);
        REQUIRE(gen_prime_tune(g, &t, NULL, &err) == REEL_OK, "%s", err.msg);
        tune_free(&t);
    } else {
        REQUIRE(gen_prime_rests(g, 1, NULL, NULL, &err) == REEL_OK, "%s", err.msg);
    }
    end = gen_bars_end(g, bars);
    REQUIRE(gen_until(g, end, 0, &reached, &err) == REEL_OK, "%s", err.msg);
    CHECK(reached, "%s: reached step %d (at %d)", enc_name(m->enc.kind), end, gen_time(g));
    REQUIRE(gen_tune(g, end, out, span, &err) == REEL_OK, "%s", err.msg);
    gen_free(g);
}

/* ---- per encoding --------------------------------------------------------- */

static void test_repeatable_and_lengths(const Kind *k, const Model *m)
{
    Tune a, b, c;
    GenSpan sa, sb;
    SampleOpts o = sample_defaults();
    const char *seed_text = "C4/4 D4/4 E4/8 G4/8 | C5/4 B4/4 A4/4"; /* 1.5 bars */

    run(m, NULL, 8, 1234, &o, &a, &sa);
    run(m, NULL, 8, 1234, &o, &b, &sb);
    CHECK(same_notes(&a, &b), "%s: the same seed gave different melodies", k->label);
    CHECK(a.n_steps == 128 && sa.end_step == 128, "%s: 8 bars of 4/4 after rests are 128 steps, "
          "not %d", k->label, a.n_steps);
    CHECK(sa.start_step == 0 && sa.first_note == 0, "%s: a rest prime leaves no seed (%d, %d)",
          k->label, sa.start_step, sa.first_note);
    CHECK(a.n_notes > 0, "%s: no notes generated", k->label);
    for (int32_t i = 0; i < a.n_notes; i++)
        CHECK(a.notes[i].onset + a.notes[i].dur <= 128, "%s: note %d runs past the end",
              k->label, (int)i);
    run(m, NULL, 8, 1235, &o, &c, NULL);
    CHECK(!same_notes(&a, &c), "%s: seeds 1234 and 1235 gave the same melody", k->label);
    tune_free(&a);
    tune_free(&b);
    tune_free(&c);

    /* After a seed of 1 bar and a half: the output ends on a bar line, 8
     * bars after the bar the seed ends in.  Plain tokens have their own
     * clock: 2 steps a token. */
    run(m, seed_text, 8, 77, &o, &a, &sa);
    {
        int32_t seed_end = k->enc.kind == ENC_TOKENS && !k->enc.durations ? 14 : 24;
        int32_t want = (seed_end <= 16 ? 16 : 32) + 128;
        CHECK(a.n_steps == want, "%s: text seed + 8 bars: %d steps, wanted %d", k->label,
              a.n_steps, want);
        if (k->enc.kind != ENC_REGRESS)
            CHECK(sa.start_step == seed_end, "%s: generated part starts at %d, not %d", k->label,
                  sa.start_step, seed_end);
        CHECK(sa.first_note == 7 || (k->enc.kind == ENC_REGRESS && sa.first_note >= 6),
              "%s: 7 seed notes, first generated note %d", k->label, sa.first_note);
    }
    tune_free(&a);

    /* 3/4 and 6/8 rests: bars of 12 steps. */
    {
        Generator *g;
        Tune meta, out;
        ReelError err;
        tune_init(&meta);
        REQUIRE(tune_add_sig(&meta, 0, 6, 8, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(gen_new(&g, m, &o, 5, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(gen_prime_rests(g, 2, &meta, NULL, &err) == REEL_OK, "%s", err.msg);
        CHECK(gen_bars_end(g, 5) == 60, "%s: 5 bars of 6/8: %d", k->label, gen_bars_end(g, 5));
        REQUIRE(gen_until(g, 60, 0, NULL, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(gen_tune(g, 60, &out, NULL, &err) == REEL_OK, "%s", err.msg);
        CHECK(out.n_steps == 60 && tune_sig_at(&out, 0).num == 6, "%s: 6/8 kept, %d steps",
              k->label, out.n_steps);
        tune_free(&out);
        tune_free(&meta);
        gen_free(g);
    }
}

static void test_events(const Kind *k, const Model *m)
{
    Generator *g;
    ReelError err;
    REQUIRE(gen_new(&g, m, NULL, 9, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_rests(g, 1, NULL, NULL, &err) == REEL_OK, "%s", err.msg);
    {
        int32_t before = gen_rows(g);
        REQUIRE(gen_steps(g, 500, &err) == REEL_OK, "%s", err.msg);
        CHECK(gen_rows(g) - before == 500, "%s: 500 events are 500 rows", k->label);
    }
    gen_free(g);
}

/* Generating 2N rows in one go equals N rows, a snapshot, N rows of
 * something else, a restore and N rows: the snapshot carries the LSTM state,
 * the pending logits and the random stream. */
static void test_snapshots(const Kind *k, const Model *m)
{
    const int32_t N = 40;
    Generator *g, *h;
    GenSnapshot *s, *s2;
    Tune whole, again, hot, prefix_a, prefix_b;
    SampleOpts o = sample_defaults(), wild = sample_defaults();
    ReelError err;
    int32_t t_snap;
    Tune seed = text_tune("E4/8 G4/8 C5/4 E4/8 D4/8 C4/2");

    REQUIRE(gen_new(&g, m, &o, 4242, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_tune(g, &seed, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_steps(g, 2 * N, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_tune(g, -1, &whole, NULL, &err) == REEL_OK, "%s", err.msg);

    REQUIRE(gen_new(&h, m, &o, 4242, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_tune(h, &seed, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_steps(h, N, &err) == REEL_OK, "%s", err.msg);
    s = gen_snapshot_new(h);
    REQUIRE(s, "snapshot");
    t_snap = gen_time(h);
    CHECK(gen_snapshot_rows(s) == gen_rows(h), "snapshot rows");
    wild.temperature = 2.5f;
    REQUIRE(gen_set_opts(h, &wild, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_steps(h, N + 7, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_set_opts(h, &o, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_restore(h, s, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_rows(h) == gen_rows(g) - N && gen_time(h) == t_snap, "%s: restore goes back to "
          "the snapshot's row and time", k->label);
    REQUIRE(gen_steps(h, N, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_tune(h, -1, &again, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(same_notes(&whole, &again), "%s: 2N rows differ from N + snapshot + restore + N "
          "(%d and %d notes)", k->label, whole.n_notes, again.n_notes);

    /* A snapshot can be restored again; a hotter temperature after it
     * changes only what comes after it. */
    REQUIRE(gen_restore(h, s, &err) == REEL_OK, "%s", err.msg);
    wild.temperature = 3.0f;
    REQUIRE(gen_set_opts(h, &wild, &err) == REEL_OK, "%s", err.msg);
    s2 = gen_snapshot_new(h);
    REQUIRE(gen_steps(h, N, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_tune(h, -1, &hot, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(!same_notes(&whole, &hot), "%s: temperature 3 after the snapshot changed nothing",
          k->label);
    REQUIRE(gen_tune(g, t_snap, &prefix_a, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_tune(h, t_snap, &prefix_b, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(same_notes(&prefix_a, &prefix_b) && prefix_a.n_notes > 0,
          "%s: the part before the snapshot changed (%d and %d notes)", k->label,
          prefix_a.n_notes, prefix_b.n_notes);

    /* Stale snapshots are refused: s2 saw rows that the restore below
     * throws away and generating replaces. */
    REQUIRE(gen_restore(h, s, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_steps(h, 3, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_restore(h, s2, &err) == REEL_OK, "%s: s2 sits at s's row: still valid (%s)",
          k->label, err.msg);
    gen_snapshot_take(h, s2);
    REQUIRE(gen_steps(h, 5, &err) == REEL_OK, "%s", err.msg);
    gen_snapshot_take(h, s2);
    REQUIRE(gen_restore(h, s, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_steps(h, 5, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_restore(h, s2, &err) == REEL_EARG, "%s: a snapshot of replaced rows is refused",
          k->label);
    CHECK(gen_restore(g, s, &err) == REEL_EARG && strstr(err.msg, "another generator"),
          "%s: another generator's snapshot is refused", k->label);
    REQUIRE(gen_prime_tune(h, &seed, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_steps(h, 2 * N, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_restore(h, s, &err) == REEL_EARG, "%s: a snapshot from before a new prime is "
          "refused", k->label);

    gen_snapshot_free(s);
    gen_snapshot_free(s2);
    tune_free(&whole);
    tune_free(&again);
    tune_free(&hot);
    tune_free(&prefix_a);
    tune_free(&prefix_b);
    tune_free(&seed);
    gen_free(g);
    gen_free(h);
}

/* The seed comes back at the start of the output. */
static void test_seed_kept(const Kind *k, const Model *m)
{
    Generator *g;
    Tune seed = text_tune("C4/4 D4/4 E4/8 r/8 G4/4 A4/4"), out;
    GenPrimeInfo info;
    GenSpan span;
    ReelError err;
    int32_t ok = 0;
    REQUIRE(gen_new(&g, m, NULL, 3, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_tune(g, &seed, &info, &err) == REEL_OK, "%s", err.msg);
    CHECK(info.notes == 5 && !info.rests && info.rows > 0, "%s: prime info: %d notes, %d rows",
          k->label, info.notes, info.rows);
    REQUIRE(gen_steps(g, 30, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_tune(g, -1, &out, &span, &err) == REEL_OK, "%s", err.msg);
    for (int32_t i = 0; i + 1 < seed.n_notes && i < out.n_notes; i++)
        ok += out.notes[i].pitch == seed.notes[i].pitch &&
              out.notes[i].onset == (k->enc.kind == ENC_TOKENS && !k->enc.durations
                                         ? 2 * i : seed.notes[i].onset);
    CHECK(ok == 4, "%s: the seed's first 4 notes are the output's (%d)", k->label, ok);
    CHECK(span.first_note == (k->enc.kind == ENC_REGRESS ? span.first_note : 5),
          "%s: first generated note %d", k->label, span.first_note);
    tune_free(&seed);
    tune_free(&out);
    gen_free(g);
}

static void test_next_dist(const Kind *k, const Model *m)
{
    Generator *g;
    SampleTop top[8];
    SampleOpts o = sample_defaults();
    ReelError err;
    double h1, h2, h3;
    bool dist;
    char label[64];
    int n;
    REQUIRE(gen_new(&g, m, &o, 1, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_next_top(g, top, 8, &h1, &dist) == 0, "%s: nothing before a prime", k->label);
    REQUIRE(gen_prime_rests(g, 1, NULL, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_steps(g, 5, &err) == REEL_OK, "%s", err.msg);
    n = gen_next_top(g, top, 8, &h1, &dist);
    if (k->enc.kind == ENC_REGRESS) {
        CHECK(n == 0, "regress has no distribution");
        gen_free(g);
        return;
    }
    CHECK(n == 8, "%s: 8 of the most likely (%d)", k->label, n);
    for (int i = 1; i < n; i++)
        CHECK(top[i].p <= top[i - 1].p, "%s: sorted", k->label);
    CHECK(dist == (k->enc.kind != ENC_ROLL128), "%s: is a distribution: %d", k->label, dist);
    gen_class_label(g, top[0].cls, label, sizeof label);
    CHECK(label[0] && strcmp(label, "?") != 0, "%s: label of class %d: %s", k->label, top[0].cls,
          label);
    o.temperature = 0.5f;
    gen_set_opts(g, &o, &err);
    gen_next_top(g, top, 8, &h2, NULL);
    o.temperature = 2.0f;
    gen_set_opts(g, &o, &err);
    gen_next_top(g, top, 8, &h3, NULL);
    CHECK(h2 < h1 && h1 < h3, "%s: entropy rises with temperature: %.3f %.3f %.3f", k->label, h2,
          h1, h3);
    if (k->enc.kind == ENC_MELODY) {
        CHECK(strcmp(gen_class_label(g, 62, label, sizeof label), "C4") == 0, "melody 62: %s",
              label);
        CHECK(strcmp(gen_class_label(g, 1, label, sizeof label), "hold") == 0, "melody 1");
    }
    if (k->enc.kind == ENC_ROLL13)
        CHECK(strcmp(gen_class_label(g, 0, label, sizeof label), "rest") == 0 &&
              strcmp(gen_class_label(g, 1, label, sizeof label), "C4") == 0 &&
              strcmp(gen_class_label(g, 13, label, sizeof label), "C5") == 0, "roll13 labels");
    gen_free(g);
}

/* Mono rolls, melody and monophonic tokens give one line: the ABC writer takes it. */
static void test_mono(const Kind *k, const Model *m)
{
    Tune out;
    char *abc = NULL;
    ReelError err;
    SampleOpts o = sample_defaults();
    if (k->enc.kind == ENC_ROLL128 || k->enc.kind == ENC_TOKENS || k->enc.kind == ENC_REGRESS)
        return;
    run(m, NULL, 8, 31, &o, &out, NULL);
    {
        long overlaps = 0, low = 0;
        int32_t end = 0;
        for (int32_t i = 0; i < out.n_notes; i++) {
            overlaps += out.notes[i].onset < end;
            low += out.notes[i].pitch < 12;
            if (out.notes[i].onset + out.notes[i].dur > end)
                end = out.notes[i].onset + out.notes[i].dur;
        }
        CHECK(overlaps == 0, "%s: %ld notes start while another sounds", k->label, overlaps);
        if (low == 0)
            CHECK(abcout_text(&out, NULL, &abc, &err) == REEL_OK, "%s: one line of melody: %s",
                  k->label, err.msg);
        free(abc);
    }
    if (k->enc.kind == ENC_ROLL13 || k->enc.kind == ENC_ROLL13_ONSET)
        for (int32_t i = 0; i < out.n_notes; i++)
            CHECK(out.notes[i].pitch >= 60 && out.notes[i].pitch <= 72, "%s: pitch %d",
                  k->label, out.notes[i].pitch);
    tune_free(&out);
    if (k->enc.kind == ENC_ROLL13) {
        /* Poly: several pitches at once, as the paper's independent outputs. */
        long overlaps = 0;
        o.roll = SAMPLE_ROLL_POLY;
        run(m, NULL, 8, 31, &o, &out, NULL);
        for (int32_t i = 1; i < out.n_notes; i++)
            overlaps += out.notes[i].onset == out.notes[i - 1].onset;
        CHECK(overlaps > 0, "roll13 poly: no chords at all");
        tune_free(&out);
    }
}

/* Rolls: the rows fed back are exactly the encoding of the decoded output
 * (no onset bit without sound, an onset at every note start), so a fresh
 * generator primed with the output is in the same state. */
static void test_fed_rows_are_output(const Kind *k, const Model *m)
{
    Generator *g, *h;
    Tune seed, out;
    SampleTop a[16], b[16];
    ReelError err;
    int na, nb, same = 0;
    if (!(k->enc.kind == ENC_ROLL13 || k->enc.kind == ENC_ROLL13_ONSET ||
          k->enc.kind == ENC_ROLL128))
        return;
    seed = text_tune("C4/8 E4/8 G4/4 C5/2 B4/8 A4/8");
    REQUIRE(gen_new(&g, m, NULL, 21, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_new(&h, m, NULL, 21, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_tune(g, &seed, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_steps(g, 60, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_tune(g, -1, &out, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_tune(h, &out, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_rows(h) == gen_rows(g), "%s: %d rows, re-encoded %d", k->label, gen_rows(g),
          gen_rows(h));
    na = gen_next_top(g, a, 16, NULL, NULL);
    nb = gen_next_top(h, b, 16, NULL, NULL);
    for (int i = 0; i < na && i < nb; i++)
        same += a[i].cls == b[i].cls && fabsf(a[i].p - b[i].p) < 1e-5f;
    CHECK(na == nb && same == na, "%s: the network was fed other rows than the output "
          "encodes (%d of %d predictions agree)", k->label, same, na);
    tune_free(&out);
    tune_free(&seed);
    gen_free(g);
    gen_free(h);
}

/* ---- the network state, against a whole-sequence forward pass ------------ */

static void test_state_matches_forward(void)
{
    for (int w = 0; w < 2; w++) {
        Model m;
        EncOpts e = {.kind = w ? ENC_MELODY : ENC_ROLL13_ONSET};
        const int T = 60;
        int F, K;
        float *x = NULL, *stepped;
        int32_t *ids = NULL;
        NetState *s;
        NetBatch b;
        const float *outp;
        double worst = 0;
        Rng r;
        make_model(&m, e, 17);
        F = m.net.n_in;
        K = m.net.n_out;
        rng_seed(&r, 5);
        if (w) {
            ids = malloc((size_t)T * sizeof *ids);
            for (int t = 0; t < T; t++)
                ids[t] = (int32_t)rng_below(&r, (uint64_t)F);
        } else {
            x = calloc((size_t)T * (size_t)F, sizeof *x);
            for (int t = 0; t < T * F; t++)
                x[t] = rng_below(&r, 5) == 0 ? 1.0f : 0.0f;
        }
        stepped = malloc((size_t)T * (size_t)K * sizeof *stepped);
        s = net_state_new(m.nn);
        REQUIRE(s && stepped, "memory");
        /* as a Generator leaves the net: an fp16 copy; the comparison is of
         * the float steps (--precise), exact up to summation order */
        REQUIRE(net_half_build(m.nn, NULL) == REEL_OK, "net_half_build");
        net_state_set_precise(s, true);
        for (int t = 0; t < T; t++) {
            const float *l = net_step(m.nn, s, w ? NULL : x + (size_t)t * F, w ? ids[t] : 0);
            if (w)
                sample_softmax(l, K, 1.0f, stepped + (size_t)t * K);
            else
                for (int k = 0; k < K; k++)
                    stepped[(size_t)t * K + k] = sample_sigmoid(l[k], 1.0f);
        }
        memset(&b, 0, sizeof b);
        b.T = T;
        b.B = 1;
        b.x = x;
        b.x_ids = ids;
        {
            float *y = calloc((size_t)T * (size_t)K, sizeof *y);
            int32_t *y_ids = calloc((size_t)T, sizeof *y_ids);
            b.y = y;
            b.y_ids = y_ids;
            net_forward(m.nn, &b, false, NULL);
            outp = net_outputs(m.nn);
            for (int i = 0; i < T * K; i++) {
                double d = fabs((double)outp[i] - (double)stepped[i]);
                if (d > worst)
                    worst = d;
            }
            free(y);
            free(y_ids);
        }
        CHECK(worst < 1e-4, "%s: net_step (precise) with carried state differs from the "
              "whole-sequence forward by %g", enc_name(e.kind), worst);
        net_state_free(s);
        free(stepped);
        free(x);
        free(ids);
        model_free(&m);
    }
}

/* ---- seeds ------------------------------------------------------------------ */

/* The note values after '/', as a musician reads them, and their steps. */
static const struct {
    const char *value;
    int32_t steps;
} note_values_want[] = {
    {"1", 16}, {"2", 8}, {"4", 4}, {"8", 2}, {"16", 1},
    {"1.", 24}, {"2.", 12}, {"4.", 6}, {"8.", 3},
};
#define N_VALUES_WANT ((int)(sizeof note_values_want / sizeof note_values_want[0]))

/* The steps of note text's chain "/V+V..." (after the token's name), -1 if
 * it is not one: an independent reading for the tests. */
static int32_t chain_steps(const char *chain)
{
    int32_t sum = 0;
    const char *p = chain;
    if (*p++ != '/')
        return -1;
    for (;;) {
        size_t n = strcspn(p, "+");
        int k;
        for (k = 0; k < N_VALUES_WANT; k++)
            if (strlen(note_values_want[k].value) == n &&
                strncmp(note_values_want[k].value, p, n) == 0)
                break;
        if (k == N_VALUES_WANT)
            return -1;
        sum += note_values_want[k].steps;
        if (!p[n])
            return sum;
        p += n + 1;
    }
}

static void test_note_text(void)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"C4/4 H4/4", "'H4/4' is not a note: 'H' is not a note letter"},
        {"C4/4 \xef\xbc\xa3" "4/4", "is not a note: '\xef\xbc\xa3' is not a note letter"}, /* full-width C, whole */
        {"C4/x", "'C4/x' is not a note: 'x' is not a note value"},
        {"C", "'C' is not a note: 'C' needs an octave number"},
        {"C4.", "a chord ends in '.'"},
        {"C4./4", "a dotted note is C4/4."},
        {"C4..E4", "an empty name in a chord"},
        {"C99", "'C99' is not a note"},
        {"/4", "'/4' is not a note: the note name is missing"},
        {"", "no notes"},
        {"  |  | ", "no notes"},
    };
    /* Durations that are no note value: the message names the token, the
     * bad part, and lists what is allowed. */
    static const struct {
        const char *token, *part;
    } bad_values[] = {
        {"C4/3", "'3'"}, {"C4/32", "'32'"}, {"C4/0", "'0'"}, {"C4/4..", "'4..'"},
        {"r/6", "'6'"}, {"C4/64", "'64'"}, {"C4/04", "'04'"}, {"C4/-4", "'-4'"},
        {"C4.E4/12", "'12'"}, {"C4/4+3", "'3'"}, {"C4/4/4", "'4/4'"}, {"C4/.4", "'.4'"},
        {"C4/16.", "dotted sixteenth"}, {"C4/", "missing"}, {"C4/4+", "missing next to '+'"},
        {"C4/+4", "missing next to '+'"}, {"C4/4++16", "missing next to '+'"},
    };
    static const char *const allowed[] = {
        "1 whole", "2 half", "4 quarter", "8 eighth", "16 sixteenth", "C4/8 is an eighth note",
        "1. 2. 4. 8.", "+ to tie",
    };
    /* Durations as gen_notes_text writes them: the shortest chain, the
     * fewest dots, longest first. */
    static const struct {
        int32_t steps;
        const char *text;
    } chains[] = {
        {1, "C4/16"}, {2, "C4/8"}, {3, "C4/8."}, {4, "C4/4"}, {5, "C4/4+16"}, {6, "C4/4."},
        {7, "C4/4.+16"}, {8, "C4/2"}, {9, "C4/2+16"}, {10, "C4/2+8"}, {12, "C4/2."},
        {16, "C4/1"}, {20, "C4/1+4"}, {21, "C4/1+4+16"}, {24, "C4/1."}, {32, "C4/1+1"},
        {40, "C4/1.+1"}, {48, "C4/1.+1."}, {64, "C4/1.+1.+1"},
    };
    Tune t, u;
    char *text;
    ReelError err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(gen_parse_notes(bad[i].text, &t, &err) == REEL_EARG, "'%s' accepted", bad[i].text);
        CHECK(strstr(err.msg, bad[i].want) != NULL, "'%s': message '%s' lacks '%s'", bad[i].text,
              err.msg, bad[i].want);
        CHECK(t.n_notes == 0 && t.notes == NULL, "nothing left behind");
    }
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        char line[64], named[64];
        snprintf(line, sizeof line, "C4/4 D4/8 %s E4/4", bad_values[i].token);
        snprintf(named, sizeof named, "'%s' is not a note", bad_values[i].token);
        CHECK(gen_parse_notes(line, &t, &err) == REEL_EARG, "'%s' accepted", line);
        CHECK(strstr(err.msg, named) != NULL, "'%s': message '%s' does not name the token",
              line, err.msg);
        CHECK(strstr(err.msg, bad_values[i].part) != NULL, "'%s': message '%s' lacks '%s'",
              line, err.msg, bad_values[i].part);
        for (size_t k = 0; k < sizeof allowed / sizeof allowed[0]; k++)
            CHECK(strstr(err.msg, allowed[k]) != NULL, "'%s': message '%s' does not list '%s'",
                  line, err.msg, allowed[k]);
        CHECK(t.n_notes == 0 && t.notes == NULL, "nothing left behind");
    }

    /* Every plain and dotted value, on a note, a chord and a rest. */
    for (int k = 0; k < N_VALUES_WANT; k++) {
        char line[64];
        int32_t s = note_values_want[k].steps;
        snprintf(line, sizeof line, "C4/%s E4.G4/%s r/%s A4", note_values_want[k].value,
                 note_values_want[k].value, note_values_want[k].value);
        t = text_tune(line);
        CHECK(t.n_notes == 4 && t.n_steps == 4 * s, "'%s': %d notes, %d steps (wanted 4, %d)",
              line, t.n_notes, t.n_steps, 4 * s);
        if (t.n_notes == 4) {
            CHECK(t.notes[0].onset == 0 && t.notes[0].dur == s && t.notes[0].pitch == 60,
                  "'%s': C4 lasts %d, not %d", line, t.notes[0].dur, s);
            CHECK(t.notes[1].onset == s && t.notes[1].dur == s && t.notes[2].onset == s &&
                  t.notes[2].dur == s && t.notes[1].pitch == 64 && t.notes[2].pitch == 67,
                  "'%s': the chord", line);
            CHECK(t.notes[3].onset == 3 * s && t.notes[3].dur == s && t.notes[3].pitch == 69,
                  "'%s': a rest of %d steps, then A4 takes the value before it", line, s);
        }
        tune_free(&t);
    }
    /* The issue's text; the first note without a value is a quarter. */
    t = text_tune("C4/8 D4/8 E4/4 r/8");
    CHECK(t.n_notes == 3 && t.notes[0].dur == 2 && t.notes[1].onset == 2 &&
          t.notes[1].dur == 2 && t.notes[2].onset == 4 && t.notes[2].dur == 4 && t.n_steps == 10,
          "C4/8 D4/8 E4/4 r/8: eighths, a quarter, an eighth's rest");
    tune_free(&t);
    t = text_tune("C4 D4 r G4");
    CHECK(t.n_notes == 3 && t.notes[0].dur == 4 && t.notes[1].onset == 4 &&
          t.notes[2].onset == 12 && t.n_steps == 16, "no value at all: quarters");
    tune_free(&t);
    /* Ties, and a tied length carried to the notes after it. */
    t = text_tune("C4/4+16 D4 E4/2+4+8+16 F4/1.+1. G4/8.+8. r/1+1 | A4");
    CHECK(t.n_notes == 6, "6 notes: %d", t.n_notes);
    if (t.n_notes == 6) {
        CHECK(t.notes[0].dur == 5, "C4/4+16 is 5 steps: %d", t.notes[0].dur);
        CHECK(t.notes[1].onset == 5 && t.notes[1].dur == 5, "D4 carries 5: %d",
              t.notes[1].dur);
        CHECK(t.notes[2].onset == 10 && t.notes[2].dur == 15, "/2+4+8+16 is 15: %d",
              t.notes[2].dur);
        CHECK(t.notes[3].onset == 25 && t.notes[3].dur == 48, "/1.+1. is 48: %d",
              t.notes[3].dur);
        CHECK(t.notes[4].onset == 73 && t.notes[4].dur == 6, "/8.+8. is 6: %d",
              t.notes[4].dur);
        CHECK(t.notes[5].onset == 79 + 32 && t.notes[5].dur == 32,
              "r/1+1 rests 32 and A4 carries it: %d %d", t.notes[5].onset, t.notes[5].dur);
    }
    tune_free(&t);
    /* Bar lines with or without blanks, other rests. */
    t = text_tune("|C4/4|D4/4 || E4/2| R/8 z/8 |");
    CHECK(t.n_notes == 3 && t.notes[1].onset == 4 && t.notes[2].onset == 8 &&
          t.notes[2].dur == 8 && t.n_steps == 20, "bar lines are for the eye; R and z rest");
    tune_free(&t);

    /* Printing: the shortest chain for each length, read back the same. */
    for (size_t i = 0; i < sizeof chains / sizeof chains[0]; i++) {
        tune_init(&t);
        REQUIRE(tune_add_note(&t, 0, chains[i].steps, 60, 100, &err) == REEL_OK, "%s", err.msg);
        t.n_steps = chains[i].steps;
        REQUIRE(gen_notes_text(&t, &text, &err) == REEL_OK, "%s", err.msg);
        CHECK(strcmp(text, chains[i].text) == 0, "%d steps: '%s', wanted '%s'",
              chains[i].steps, text, chains[i].text);
        free(text);
        tune_free(&t);
    }
    /* Up to 400 steps: as few values as can make the length (counted here
     * by dynamic programming), and the chain adds up. */
    {
        int least[401];
        least[0] = 0;
        for (int n = 1; n <= 400; n++) {
            least[n] = n;
            for (int k = 0; k < N_VALUES_WANT; k++)
                if (note_values_want[k].steps <= n &&
                    least[n - note_values_want[k].steps] + 1 < least[n])
                    least[n] = least[n - note_values_want[k].steps] + 1;
        }
        for (int n = 1; n <= 400; n++) {
            int terms = 1;
            tune_init(&t);
            REQUIRE(tune_add_note(&t, 0, n, 60, 100, &err) == REEL_OK, "%s", err.msg);
            t.n_steps = n;
            REQUIRE(gen_notes_text(&t, &text, &err) == REEL_OK, "%s", err.msg);
            for (const char *c = text; *c; c++)
                terms += *c == '+';
            CHECK(strncmp(text, "C4", 2) == 0 && chain_steps(text + 2) == n,
                  "%d steps printed as '%s'", n, text);
            CHECK(terms == least[n], "%d steps: '%s' has %d values, %d would do", n, text,
                  terms, least[n]);
            free(text);
            tune_free(&t);
        }
    }

    /* Chords, rests, sharps; bar lines written where a token starts a bar. */
    t = text_tune("C4/4 D4 E4/8 r/8 | Bb3.D4.F4/2 c#5/1 G4");
    CHECK(t.n_notes == 8, "8 notes: %d", t.n_notes);
    CHECK(t.notes[3].onset == 12 && t.notes[3].pitch == 58 && t.notes[5].pitch == 65 &&
          t.notes[3].dur == 8, "Bb3.D4.F4/2 after a rest of 2");
    CHECK(t.notes[6].onset == 20 && t.notes[6].pitch == 73 && t.notes[6].dur == 16, "c#5/1");
    CHECK(t.notes[7].onset == 36 && t.notes[7].dur == 16, "G4 takes /1");
    CHECK(t.n_steps == 52, "length %d", t.n_steps);
    REQUIRE(gen_notes_text(&t, &text, &err) == REEL_OK, "%s", err.msg);
    CHECK(strcmp(text, "C4/4 D4/4 E4/8 r/8 A#3.D4.F4/2 C#5/1 G4/1") == 0, "text: '%s'", text);
    REQUIRE(gen_parse_notes(text, &u, &err) == REEL_OK, "%s", err.msg);
    CHECK(same_notes(&t, &u) && u.n_steps == t.n_steps,
          "printed text reads back as the same notes");
    free(text);
    tune_free(&t);
    tune_free(&u);

    /* Long rests split at bar lines, a note over several bars is one token,
     * line breaks every 4 bars. */
    t = text_tune("C4/1 r/2 D4/1+1+1+1 E4/2");
    {
        Tune v;
        tune_init(&v);
        REQUIRE(tune_copy(&v, &t, &err) == REEL_OK, "%s", err.msg);
        v.notes[1].dur = 72; /* D4 over 4.5 bars */
        v.notes[2].onset = 24 + 72;
        v.n_steps = 24 + 72 + 8 + 20;
        tune_sort(&v);
        REQUIRE(gen_notes_text(&v, &text, &err) == REEL_OK, "%s", err.msg);
        CHECK(strcmp(text, "C4/1 | r/2 D4/1.+1.+1. | E4/2 r/2 | r/2.") == 0, "text: '%s'",
              text);
        REQUIRE(gen_parse_notes(text, &u, &err) == REEL_OK, "%s", err.msg);
        CHECK(same_notes(&v, &u) && u.n_steps == v.n_steps, "a 72-step note reads back");
        free(text);
        tune_free(&u);
        tune_free(&v);
    }
    tune_free(&t);
    t = text_tune("C4/1 D4 E4 F4/2 r/2 G4/1");
    REQUIRE(gen_notes_text(&t, &text, &err) == REEL_OK, "%s", err.msg);
    CHECK(strcmp(text, "C4/1 | D4/1 | E4/1 | F4/2 r/2 |\nG4/1") == 0, "text: '%s'", text);
    free(text);
    tune_free(&t);
    /* 6/8: rests split at its bars of 12 steps. */
    tune_init(&t);
    REQUIRE(tune_add_sig(&t, 0, 6, 8, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_note(&t, 2, 3, 62, 100, &err) == REEL_OK, "%s", err.msg);
    t.n_steps = 40;
    REQUIRE(gen_notes_text(&t, &text, &err) == REEL_OK, "%s", err.msg);
    CHECK(strcmp(text, "r/8 D4/8. r/4.+16 | r/2. | r/2. | r/4") == 0, "6/8 text: '%s'", text);
    free(text);
    tune_free(&t);
}

/* Random tunes on the 16th grid (one line or chords whose notes share a
 * duration, rests, long notes, time signatures): printed and parsed back,
 * they are the same notes and length, and the text prints the same again. */
static void test_note_text_round_trip(void)
{
    static const int sigs[][2] = {{4, 4}, {3, 4}, {6, 8}, {2, 4}, {5, 4}, {7, 8}, {2, 2}};
    Rng r;
    ReelError err;
    long bad = 0, notes = 0;
    rng_seed(&r, 20240611);
    for (int it = 0; it < 2000; it++) {
        Tune t, u;
        char *text = NULL, *again = NULL;
        int32_t pos = 0;
        int events = 1 + (int)rng_below(&r, 40), sig = (int)rng_below(&r, 8);
        tune_init(&t);
        if (sig < 7) {
            REQUIRE(tune_add_sig(&t, 0, sigs[sig][0], sigs[sig][1], &err) == REEL_OK, "%s",
                    err.msg);
            if (rng_below(&r, 4) == 0) {
                int s2 = (int)rng_below(&r, 7);
                REQUIRE(tune_add_sig(&t, 48, sigs[s2][0], sigs[s2][1], &err) == REEL_OK, "%s",
                        err.msg);
            }
        }
        for (int e = 0; e < events; e++) {
            int32_t dur;
            int chord = rng_below(&r, 5) == 0 ? 2 + (int)rng_below(&r, 3) : 1;
            bool used[128] = {false};
            if (rng_below(&r, 3) == 0)
                pos += 1 + (int32_t)rng_below(&r, rng_below(&r, 8) == 0 ? 80 : 12);
            dur = rng_below(&r, 10) == 0 ? 1 + (int32_t)rng_below(&r, 200)
                                          : 1 + (int32_t)rng_below(&r, 16);
            for (int c = 0; c < chord; c++) {
                int p = 21 + (int)rng_below(&r, 88);
                if (used[p])
                    continue;
                used[p] = true;
                REQUIRE(tune_add_note(&t, pos, dur, p, 100, &err) == REEL_OK, "%s", err.msg);
                notes++;
            }
            pos += dur;
        }
        t.n_steps = pos + (rng_below(&r, 2) ? (int32_t)rng_below(&r, 40) : 0);
        tune_sort(&t);
        REQUIRE(gen_notes_text(&t, &text, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(gen_parse_notes(text, &u, &err) == REEL_OK, "tune %d: '%s': %s", it, text,
                err.msg);
        if (!same_notes(&t, &u) || u.n_steps != t.n_steps) {
            if (bad++ < 5)
                CHECK(false, "tune %d: '%s' reads back as %d notes, %d steps (not %d, %d)", it,
                      text, u.n_notes, u.n_steps, t.n_notes, t.n_steps);
        }
        /* The same bar lines, the same text. */
        for (int32_t i = 0; i < t.n_sigs; i++)
            REQUIRE(tune_add_sig(&u, t.sigs[i].step, t.sigs[i].num, t.sigs[i].den, &err) ==
                        REEL_OK, "%s", err.msg);
        REQUIRE(gen_notes_text(&u, &again, &err) == REEL_OK, "%s", err.msg);
        if (strcmp(text, again) != 0 && bad++ < 5)
            CHECK(false, "tune %d: '%s' prints again as '%s'", it, text, again);
        free(text);
        free(again);
        tune_free(&t);
        tune_free(&u);
    }
    CHECK(bad == 0, "%ld of 2000 random tunes (%ld notes) do not round-trip", bad, notes);

    /* Random typed text, values chained, left out and barred at random:
     * read as the values say (counted here on their own). */
    for (int it = 0; it < 500; it++) {
        static const char *const names[] = {"C4", "F#3", "Bb5", "c#4", "E4.G4", "r", "R", "z"};
        char text[4096];
        size_t len = 0;
        int32_t pos = 0, last = 4, want_on[64], want_dur[64], n_want = 0;
        int tokens = 1 + (int)rng_below(&r, 30);
        Tune v;
        bool ok;
        for (int k = 0; k < tokens; k++) {
            int which = (int)rng_below(&r, 8);
            char chain[64] = "";
            size_t cl = 0;
            if (rng_below(&r, 4) != 0) {
                int terms = 1 + (rng_below(&r, 4) == 0 ? (int)rng_below(&r, 3) : 0);
                for (int i = 0; i < terms; i++)
                    cl += (size_t)snprintf(chain + cl, sizeof chain - cl, "%s%s",
                                           i ? "+" : "/",
                                           note_values_want[rng_below(&r, N_VALUES_WANT)].value);
                last = chain_steps(chain);
            }
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s%s",
                                    k ? (rng_below(&r, 5) == 0 ? " | " : " ") : "",
                                    names[which], chain);
            if (which < 5 && n_want < 64) {
                want_on[n_want] = pos;
                want_dur[n_want++] = last;
            }
            pos += last;
        }
        REQUIRE(gen_parse_notes(text, &v, &err) == REEL_OK, "'%s': %s", text, err.msg);
        ok = v.n_steps == pos;
        for (int32_t i = 0, w = 0; ok && i < v.n_notes; i++) {
            while (w < n_want && want_on[w] < v.notes[i].onset)
                w++;
            ok = w < n_want && want_on[w] == v.notes[i].onset && want_dur[w] == v.notes[i].dur;
        }
        CHECK(ok, "'%s': read as %d steps, wanted %d", text, v.n_steps, pos);
        tune_free(&v);
    }
}

static void test_excerpts(void)
{
    Tune src, ex;
    ReelError err;
    Corpus c;
    Rng r;
    int32_t which = -1, bar = -1;
    /* 6/8 for 4 bars, then 2/4 from step 48, a tempo change at step 30. */
    tune_init(&src);
    REQUIRE(tune_add_sig(&src, 0, 6, 8, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_sig(&src, 48, 2, 4, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_tempo(&src, 0, 500000, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_tempo(&src, 30, 400000, &err) == REEL_OK, "%s", err.msg);
    for (int32_t s = 0; s < 80; s += 2)
        REQUIRE(tune_add_note(&src, s, s == 10 ? 6 : 2, 60 + s % 12, 90, &err) == REEL_OK, "%s",
                err.msg);
    tune_sort(&src);
    CHECK(gen_bar_count(&src) == 8, "bars: %d", gen_bar_count(&src));
    CHECK(gen_bar_step(&src, 4) == 48 && gen_bar_step(&src, 5) == 56, "bar steps %d %d",
          gen_bar_step(&src, 4), gen_bar_step(&src, 5));
    REQUIRE(gen_excerpt(&src, 0, 1, &ex, &err) == REEL_OK, "%s", err.msg);
    CHECK(ex.n_steps == 12 && ex.n_notes == 6, "bar 1: %d steps %d notes", ex.n_steps,
          ex.n_notes);
    CHECK(ex.notes[5].onset == 10 && ex.notes[5].dur == 2, "a note cut at the excerpt's end");
    tune_free(&ex);
    REQUIRE(gen_excerpt(&src, 2, 3, &ex, &err) == REEL_OK, "%s", err.msg);
    CHECK(ex.n_steps == 24 + 8 && ex.notes[0].onset == 0 && ex.notes[0].pitch == 60,
          "bars 3-5: %d steps", ex.n_steps);
    CHECK(tune_sig_at(&ex, 0).num == 6 && tune_sig_at(&ex, 24).num == 2,
          "signatures moved with it");
    CHECK(tune_tempo_at(&ex, 0) == 500000 && tune_tempo_at(&ex, 6) == 400000,
          "tempo change moved with it");
    tune_free(&ex);
    REQUIRE(gen_excerpt(&src, 6, 10, &ex, &err) == REEL_OK, "%s", err.msg);
    CHECK(ex.n_steps == 16, "past the end: the last 2 bars only (%d)", ex.n_steps);
    tune_free(&ex);

    corpus_init(&c);
    c.tunes = calloc(2, sizeof *c.tunes);
    c.n_tunes = c.cap_tunes = 2;
    REQUIRE(tune_copy(&c.tunes[0], &src, &err) == REEL_OK, "%s", err.msg);
    tune_init(&c.tunes[1]);
    REQUIRE(tune_add_note(&c.tunes[1], 0, 4, 60, 90, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, 8);
    for (int i = 0; i < 20; i++) {
        REQUIRE(gen_corpus_excerpt(&c, 2, &r, &ex, &which, &bar, &err) == REEL_OK, "%s",
                err.msg);
        CHECK(which == 0 && bar >= 0 && bar <= 6, "only the long tune has 2 bars: %d bar %d",
              which, bar);
        CHECK(ex.n_notes > 0 && ex.n_steps >= 16, "an excerpt with notes");
        tune_free(&ex);
    }
    CHECK(gen_corpus_excerpt(&c, 40, &r, &ex, NULL, NULL, &err) == REEL_EEMPTY &&
          strstr(err.msg, "40 bars"), "no tune that long: %s", err.msg);
    corpus_free(&c);
    tune_free(&src);
}

/* A MIDI file and a corpus folder as seeds, through the loaders the CLI uses. */
static void test_file_seeds(const Model *m)
{
    const char *dir = test_tmpdir();
    char path[600], sub[600];
    Tune seed = text_tune("D4/8 E4/8 F#4/4 A4/4 B4/2 | A4/4 F#4/4 D4/2"), ex, out;
    Corpus c;
    ReelError err;
    Generator *g;
    GenSpan span;
    Rng r;
    const char *paths[1];
    REQUIRE(tune_add_sig(&seed, 0, 4, 4, &err) == REEL_OK, "%s", err.msg);
    snprintf(sub, sizeof sub, "%s/folder", dir);
    REQUIRE(mkdir(sub, 0755) == 0, "mkdir");
    snprintf(path, sizeof path, "%s/folder/seed.mid", dir);
    REQUIRE(midi_write_tune(path, &seed, NULL, &err) == REEL_OK, "%s", err.msg);
    corpus_init(&c);
    corpus_load_file(&c, path, NULL);
    REQUIRE(c.n_tunes == 1, "the MIDI seed loads");
    CHECK(same_notes(&c.tunes[0], &seed), "the MIDI seed is the seed");
    REQUIRE(gen_excerpt(&c.tunes[0], 0, 1, &ex, &err) == REEL_OK, "%s", err.msg);
    CHECK(ex.n_notes == 5 && ex.n_steps == 16, "--prime-bars 1: the first bar (%d notes)",
          ex.n_notes);
    REQUIRE(gen_new(&g, m, NULL, 2, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_tune(g, &ex, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_until(g, gen_bars_end(g, 2), 0, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_tune(g, gen_bars_end(g, 2), &out, &span, &err) == REEL_OK, "%s", err.msg);
    CHECK(out.n_steps == 48 && span.start_step == 16 && span.first_note == 5,
          "MIDI seed of 1 bar + 2 bars: %d steps, from %d, note %d", out.n_steps,
          span.start_step, span.first_note);
    tune_free(&out);
    tune_free(&ex);
    corpus_free(&c);

    corpus_init(&c);
    paths[0] = sub;
    REQUIRE(corpus_load(&c, paths, 1, NULL, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, 1);
    REQUIRE(gen_corpus_excerpt(&c, 1, &r, &ex, NULL, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_tune(g, &ex, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_seed_end(g) == 16, "a corpus excerpt of one bar: %d", gen_seed_end(g));
    tune_free(&ex);
    corpus_free(&c);
    gen_free(g);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
    tune_free(&seed);
}

/* ---- errors ------------------------------------------------------------------- */

static void test_errors(const Model *plain13, const Model *roll13, const Model *tok)
{
    Generator *g;
    SampleOpts o = sample_defaults();
    GenPrimeInfo info;
    ReelError err;
    Tune high = text_tune("C6/4 D6/4 E6/4 C4/4"), unk = text_tune("C4/4 D#7/8. C4/4 F#1/4+16"), out;

    o.temperature = 0.0f;
    CHECK(gen_new(&g, roll13, &o, 1, &err) == REEL_EARG && strstr(err.msg, "--temperature"),
          "temperature 0 refused: %s", err.msg);
    o.temperature = -2.0f;
    CHECK(gen_new(&g, roll13, &o, 1, &err) == REEL_EARG, "temperature -2 refused");
    o = sample_defaults();
    o.top_p = 1.5f;
    CHECK(gen_new(&g, roll13, &o, 1, &err) == REEL_EARG && strstr(err.msg, "--top-p"),
          "top-p 1.5 refused");
    o = sample_defaults();
    o.top_k = -3;
    CHECK(gen_new(&g, roll13, &o, 1, &err) == REEL_EARG && strstr(err.msg, "--top-k"),
          "top-k -3 refused");

    o = sample_defaults();
    REQUIRE(gen_new(&g, plain13, &o, 1, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_step(g, &err) == REEL_EARG && strstr(err.msg, "prime"), "a step before priming");
    o.temperature = -1.0f;
    CHECK(gen_set_opts(g, &o, &err) == REEL_EARG && gen_opts(g)->temperature == 1.0f,
          "a bad temperature change is refused and changes nothing");
    CHECK(gen_prime_tune(g, &high, &info, &err) == REEL_EARG, "roll13 --plain and octave 6");
    CHECK(strstr(err.msg, "3 of 4 notes outside C4..C5 (C6..E6)") &&
              strstr(err.msg, "--plain"), "message: %s", err.msg);
    CHECK(gen_step(g, &err) == REEL_EARG, "not primed after a failed prime");
    gen_free(g);

    REQUIRE(gen_new(&g, roll13, NULL, 1, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_prime_tune(g, &high, &info, &err) == REEL_OK, "default roll13 folds: %s",
          err.msg);
    CHECK(info.st.folded == 1 && info.st.shifted == 4, "roll13 moved the seed down an "
          "octave (4 notes) and folded C4 (1): %ld %ld", info.st.shifted, info.st.folded);
    REQUIRE(gen_steps(g, 16, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_tune(g, -1, &out, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(out.notes[0].pitch == 84, "the seed decodes in its own octave: %d", out.notes[0].pitch);
    /* Shifted down 2 octaves (C6 D6 E6 into range, C4 folded): the
     * generated part comes back up by 2 octaves. */
    for (int32_t i = 4; i < out.n_notes; i++)
        CHECK(out.notes[i].pitch >= 84 && out.notes[i].pitch <= 96,
              "generated notes in the seed's octave: %d", out.notes[i].pitch);
    tune_free(&out);
    gen_free(g);

    REQUIRE(gen_new(&g, tok, NULL, 1, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_prime_tune(g, &unk, &info, &err) == REEL_OK, "unknown tokens are fed: %s",
          err.msg);
    CHECK(info.st.unknown == 2, "2 unknown tokens counted: %ld", info.st.unknown);
    CHECK(strstr(info.unknown, "D#7/3") && strstr(info.unknown, "F#1/5"), "listed: '%s'",
          info.unknown);
    gen_free(g);
    tune_free(&high);
    tune_free(&unk);

    {
        Model empty;
        model_init(&empty);
        CHECK(gen_new(&g, &empty, NULL, 1, &err) == REEL_EARG, "a model without a network");
    }
}

/* Tokens with durations keep the seed's trailing rest; tokens never draw
 * <unk>, even from a model that favours it. */
static void test_tokens(const Model *tok)
{
    Generator *g;
    Tune seed = text_tune("C4/4 E4/4 r/2"), out;
    ReelError err;
    float *bias_unk = net_params(tok->nn) + net_n_params(tok->nn) - tok->net.n_out, keep;
    keep = *bias_unk;
    *bias_unk = 50.0f;
    REQUIRE(gen_new(&g, tok, NULL, 6, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_tune(g, &seed, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_seed_end(g) == 16, "the trailing rest is kept: seed ends at %d", gen_seed_end(g));
    REQUIRE(gen_steps(g, 300, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_tune(g, -1, &out, NULL, &err) == REEL_OK, "%s", err.msg);
    {
        /* Every row has a length: 300 tokens take at least 300 steps. */
        CHECK(gen_time(g) >= 16 + 300, "no <unk> drawn: %d steps", gen_time(g));
    }
    *bias_unk = keep;
    tune_free(&out);
    tune_free(&seed);
    gen_free(g);
}

/* ---- fp16 weights (the default) against float (--precise) ---------------- */

/* A model of the benchmark's sizes as net_init leaves it (no batch room). */
static void make_big_model(Model *m, EncOpts enc, int hidden, uint64_t wseed)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc = enc;
    m->net.hidden = hidden;
    m->net.layers = 2;
    REQUIRE(model_net_for_encoding(&m->enc, m->vocab, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, wseed);
    net_init(m->nn, &r);
}

/* Tolerances on the logits, absolute: fp16 weights round each weight to
 * 2^-11 relative; int8 rounds each weight to 1/254 of its unit's largest and
 * each input to 1/254 of the step's largest. */
#define HALF_LOGIT_TOL 2e-3
#define Q8_LOGIT_TOL 0.1

static void test_fast_weights(void)
{
    static const struct {
        const char *label;
        EncOpts enc;
        int hidden, seeds;
    } cases[] = {
        {"roll13 2x256 (bench (a))", {.kind = ENC_ROLL13}, 256, 12},
        {"roll128 2x512 (bench (d))", {.kind = ENC_ROLL128}, 512, 6},
        {"melody 2x256", {.kind = ENC_MELODY}, 256, 12},
    };
    static const struct {
        NetWeights w;
        const char *name;
        double tol;
        int agree4; /* of 4 seeds at least this many draw the same 4 bars */
    } wkinds[] = {{NET_W_F16, "fp16", HALF_LOGIT_TOL, 3}, {NET_W_I8, "int8", Q8_LOGIT_TOL, 2}};
    /* REEL_TEST_QUICK (valgrind): the first model, 2 seeds */
    const size_t n_cases = test_quick() ? 1 : sizeof cases / sizeof cases[0];
    for (size_t ci = 0; ci < n_cases; ci++) {
        const int seeds = test_quick() ? 2 : cases[ci].seeds;
        Model m;
        Generator *g, *h;
        ReelError err;
        int F, K, T = 64, classes;
        float *x;
        make_big_model(&m, cases[ci].enc, cases[ci].hidden, 70 + ci);
        classes = enc_is_classes(m.enc.kind);
        F = m.net.n_in;
        K = m.net.n_out;
        x = calloc((size_t)F, sizeof *x);
        REQUIRE(x, "memory");

        /* gen_new takes the fast copy: int8 with VNNI, else fp16; --precise does not use it */
        CHECK(!net_half_active(m.nn) && !net_q8_active(m.nn), "%s: no copy before gen_new",
              cases[ci].label);
        REQUIRE(gen_new(&g, &m, NULL, 1, &err) == REEL_OK, "%s", err.msg);
        CHECK(gen_weights(g) == (blas_q8_level() ? NET_W_I8 : NET_W_F16) && !gen_precise(g),
              "%s: gen_new steps on the fast copy (%d)", cases[ci].label, (int)gen_weights(g));
        REQUIRE(gen_new(&h, &m, NULL, 1, &err) == REEL_OK, "%s", err.msg);
        gen_set_precise(h, true);
        CHECK(gen_precise(h) && gen_weights(h) == NET_W_F32, "%s: gen_set_precise", cases[ci].label);
        gen_set_precise(h, false);
        CHECK(!gen_precise(h), "%s: gen_set_precise(false)", cases[ci].label);
        gen_set_precise(h, true);

        for (size_t ki = 0; ki < sizeof wkinds / sizeof wkinds[0]; ki++) {
            NetState *sq = net_state_new(m.nn), *sf = net_state_new(m.nn);
            double worst = 0;
            int same = 0;
            Rng r;
            gen_set_weights(g, wkinds[ki].w);
            CHECK(gen_weights(g) == wkinds[ki].w, "%s: gen_set_weights(%s)", cases[ci].label,
                  wkinds[ki].name);
            REQUIRE(sq && sf && net_state_prepare(m.nn, sq, &err) == REEL_OK, "memory");
            net_state_set_weights(sq, wkinds[ki].w);
            net_state_set_precise(sf, true);
            CHECK(net_state_weights(m.nn, sq) == wkinds[ki].w && net_state_weights(m.nn, sf) == NET_W_F32,
                  "%s: states step on %s and float", cases[ci].label, wkinds[ki].name);

            /* logits on the same rows: within the tolerance, and not the same */
            rng_seed(&r, 3);
            for (int t = 0; t < T; t++) {
                const float *lq, *lf;
                int32_t id = classes ? (int32_t)rng_below(&r, (uint64_t)F) : 0;
                for (int i = 0; i < F && !classes; i++)
                    x[i] = rng_below(&r, 8) == 0 ? 1.0f : 0.0f;
                lq = net_step(m.nn, sq, classes ? NULL : x, id);
                lf = net_step(m.nn, sf, classes ? NULL : x, id);
                for (int k = 0; k < K; k++)
                    worst = fmax(worst, fabs((double)lq[k] - lf[k]));
            }
            CHECK(worst > 0 && worst < wkinds[ki].tol,
                  "%s: %s logits differ from float by %.3g over %d steps (tolerance %g)",
                  cases[ci].label, wkinds[ki].name, worst, T, wkinds[ki].tol);

            /* the same seed samples the same notes, mostly: four bars from
             * rests, the copy against precise, for several seeds */
            for (int sd = 0; sd < seeds; sd++) {
                Tune a, b;
                bool ra, rb;
                gen_reseed(g, 500 + (uint64_t)sd);
                gen_reseed(h, 500 + (uint64_t)sd);
                REQUIRE(gen_prime_rests(g, 1, NULL, NULL, &err) == REEL_OK, "%s", err.msg);
                REQUIRE(gen_prime_rests(h, 1, NULL, NULL, &err) == REEL_OK, "%s", err.msg);
                REQUIRE(gen_until(g, gen_bars_end(g, 4), 0, &ra, &err) == REEL_OK, "%s", err.msg);
                REQUIRE(gen_until(h, gen_bars_end(h, 4), 0, &rb, &err) == REEL_OK, "%s", err.msg);
                REQUIRE(gen_tune(g, -1, &a, NULL, &err) == REEL_OK, "%s", err.msg);
                REQUIRE(gen_tune(h, -1, &b, NULL, &err) == REEL_OK, "%s", err.msg);
                same += same_notes(&a, &b) && gen_rows(g) == gen_rows(h);
                tune_free(&a);
                tune_free(&b);
            }
            /* (not for int8 on roll128: 64 steps of 128 independent draws
             * each, and a logit off by 4e-3 flips one of 8192 now and then) */
            CHECK(same * 4 >= seeds * wkinds[ki].agree4 ||
                      (wkinds[ki].w == NET_W_I8 && cases[ci].enc.kind == ENC_ROLL128),
                  "%s: %s and precise generation agree for %d of %d seeds (want %d/4)",
                  cases[ci].label, wkinds[ki].name, same, seeds, wkinds[ki].agree4);
            fprintf(stderr, "  %s vs float, %-26s logits %.2e, same 4 bars for %d of %d seeds\n",
                    wkinds[ki].name, cases[ci].label, worst, same, seeds);
            net_state_free(sq);
            net_state_free(sf);
        }
        free(x);
        gen_free(g);
        gen_free(h);
        model_free(&m);
    }
}

int main(void)
{
    Model models[N_KINDS];
    for (int i = 0; i < N_KINDS; i++)
        make_model(&models[i], kinds[i].enc, 100 + (uint64_t)i);
    for (int i = 0; i < N_KINDS; i++) {
        fprintf(stderr, "%s\n", kinds[i].label);
        test_repeatable_and_lengths(&kinds[i], &models[i]);
        test_events(&kinds[i], &models[i]);
        test_snapshots(&kinds[i], &models[i]);
        test_seed_kept(&kinds[i], &models[i]);
        test_next_dist(&kinds[i], &models[i]);
        test_mono(&kinds[i], &models[i]);
        test_fed_rows_are_output(&kinds[i], &models[i]);
    }
    test_state_matches_forward();
    test_fast_weights();
    test_note_text();
    test_note_text_round_trip();
    test_excerpts();
    test_file_seeds(&models[4]);
    test_errors(&models[1], &models[0], &models[5]);
    test_tokens(&models[5]);
    for (int i = 0; i < N_KINDS; i++)
        model_free(&models[i]);
    TEST_END();
}
