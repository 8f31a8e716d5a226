/* test_lookback.c — melody --lookback (encode.h): bar positions per step,
 * the feature rows against a reference written here, data_fill's rows
 * (windows that start mid-tune see the history before them), the Generator
 * stepping the same rows as a whole-sequence forward (seed primes and a
 * silent prime), the model header round trip, and a small training run in
 * which the lookback inputs let a network predict 2-bar repeats that a plain
 * melody network of the same size cannot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data.h"
#include "encode.h"
#include "generate.h"
#include "model.h"
#include "sample.h"
#include "testlib.h"
#include "train.h"

static const EncOpts LB = {.kind = ENC_MELODY, .lookback = true};
static const EncOpts LBR = {.kind = ENC_MELODY, .lookback = true, .repeats = true};
static const EncOpts PLAIN = {.kind = ENC_MELODY};

static void add(Tune *t, int32_t onset, int32_t dur, int pitch)
{
    ReelError err;
    REQUIRE(tune_add_note(t, onset, dur, pitch, 100, &err) == REEL_OK, "%s", err.msg);
}

/* A melody of n steps in 4/4, a change to 3/4 at step 20 (mid-bar: bars
 * restart there) and to 6/8 at 44; notes of 1..3 steps with rests between. */
static void meter_tune(Tune *t, int32_t n, uint64_t seed)
{
    ReelError err;
    Rng r;
    tune_init(t);
    rng_seed(&r, seed);
    REQUIRE(tune_add_sig(t, 0, 4, 4, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_sig(t, 20, 3, 4, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_sig(t, 44, 6, 8, &err) == REEL_OK, "%s", err.msg);
    for (int32_t s = 0; s < n - 3;) {
        int32_t d = 1 + (int32_t)rng_below(&r, 3);
        if (rng_below(&r, 5))
            add(t, s, d, 60 + (int)rng_below(&r, 12));
        s += d + (int32_t)rng_below(&r, 2);
    }
    t->n_steps = n;
    tune_sort(t);
}

/* Bar position by walking bar lines one step at a time (tune_is_bar_start). */
static void ref_bar(const Tune *t, int32_t step, int *pos, int *len)
{
    int32_t s = step;
    while (s > 0 && !tune_is_bar_start(t, s))
        s--;
    *pos = step - s;
    *len = tune_bar_steps_at(t, step);
}

/* The row as encode.h describes it, written out longhand. */
static void ref_row(const int32_t *ids, int32_t t, int pos, int len, float *row)
{
    for (int i = 0; i < ENC_LOOKBACK_WIDTH; i++)
        row[i] = 0.0f;
    row[ids[t]] = 1.0f;
    if (t + 1 - len >= 0)
        row[MELODY_CLASSES + ids[t + 1 - len]] = 1.0f;
    if (t + 1 - 2 * len >= 0)
        row[2 * MELODY_CLASSES + ids[t + 1 - 2 * len]] = 1.0f;
    for (int b = 0; b < 5; b++)
        row[390 + b] = (pos / (1 << b)) % 2 ? 1.0f : 0.0f;
    row[395] = t - len >= 0 && ids[t - len] == ids[t] ? 1.0f : 0.0f;
    row[396] = t - 2 * len >= 0 && ids[t - 2 * len] == ids[t] ? 1.0f : 0.0f;
}

static int row_diff(const float *a, const float *b)
{
    for (int i = 0; i < ENC_LOOKBACK_WIDTH; i++)
        if (a[i] != b[i])
            return i;
    return -1;
}

static void test_encoding(void)
{
    Tune t;
    Encoded e, p;
    ReelError err;
    float row[ENC_LOOKBACK_WIDTH], want[ENC_LOOKBACK_WIDTH];
    int bad_bar = 0, bad_row = -1, bad_at = -1, ones = 0;
    meter_tune(&t, 90, 3);
    CHECK(ENC_LOOKBACK_WIDTH == 397, "width %d", ENC_LOOKBACK_WIDTH);
    CHECK(enc_in_width(&LB, NULL) == 397 && enc_width(&LB, NULL) == MELODY_CLASSES &&
          enc_in_width(&PLAIN, NULL) == MELODY_CLASSES && enc_lookback(&LB) &&
          !enc_lookback(&PLAIN), "widths");
    {
        EncOpts roll = {.kind = ENC_ROLL13, .lookback = true};
        CHECK(!enc_lookback(&roll) && enc_in_width(&roll, NULL) == 13, "lookback is melody's");
    }
    REQUIRE(enc_encode(&LB, NULL, &t, &e, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(enc_encode(&PLAIN, NULL, &t, &p, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(e.bar_pos && e.bar_len && e.n == 90, "bar arrays");
    CHECK(!p.bar_pos && !p.bar_len, "plain melody carries no bar arrays");
    CHECK(!memcmp(e.ids, p.ids, (size_t)e.n * sizeof *e.ids), "the classes are melody's");
    for (int32_t s = 0; s < e.n; s++) {
        int pos, len, pos2, len2;
        ref_bar(&t, s, &pos, &len);
        enc_bar_at(&t, s, &pos2, &len2);
        if (e.bar_pos[s] != pos || e.bar_len[s] != len || pos2 != pos || len2 != len) {
            if (!bad_bar++)
                fprintf(stderr, "step %d: bar %d/%d (enc_bar_at %d/%d), want %d/%d\n", (int)s,
                        e.bar_pos[s], e.bar_len[s], pos2, len2, pos, len);
        }
    }
    CHECK(bad_bar == 0, "%d steps with a wrong bar position", bad_bar);
    CHECK(e.bar_len[10] == 16 && e.bar_len[30] == 12 && e.bar_pos[20] == 0 &&
          e.bar_pos[31] == 11 && e.bar_pos[32] == 0 && e.bar_len[50] == 12,
          "4/4, then 3/4 from step 20 (12 steps), 6/8 (12 steps) from 44");
    for (int32_t s = 0; s + 1 < e.n; s++) {
        int d;
        enc_lookback_row(e.ids, s, e.bar_pos[s + 1], e.bar_len[s + 1], row);
        ref_row(e.ids, s, e.bar_pos[s + 1], e.bar_len[s + 1], want);
        for (int i = 0; i < ENC_LOOKBACK_WIDTH; i++)
            ones += row[i] == 1.0f;
        if ((d = row_diff(row, want)) >= 0 && bad_row < 0) {
            bad_row = (int)s;
            bad_at = d;
        }
    }
    CHECK(bad_row < 0, "row for step %d differs from the reference at feature %d", bad_row,
          bad_at);
    CHECK(ones > 2 * (int)e.n, "rows carry lookback one-hots (%d ones)", ones);
    /* By hand: a tune that repeats its first bar exactly. */
    {
        int32_t ids[40];
        for (int i = 0; i < 40; i++)
            ids[i] = i < 16 ? 2 + 60 + (i % 5) : ids[i - 16];
        enc_lookback_row(ids, 20, 5, 16, row);
        CHECK(row[ids[20]] == 1.0f && row[MELODY_CLASSES + ids[5]] == 1.0f &&
              row[2 * MELODY_CLASSES + 0] == 0.0f, "one-hots of the step and 1 bar back");
        CHECK(row[390] == 1 && row[391] == 0 && row[392] == 1 && row[393] == 0 && row[394] == 0,
              "position 5 as 1,0,1,0,0");
        CHECK(row[395] == 1.0f && row[396] == 0.0f, "repeat flags: 1 bar yes, 2 bars too early");
        enc_lookback_row(ids, 35, 4, 16, row);
        CHECK(row[396] == 1.0f && row[2 * MELODY_CLASSES + ids[4]] == 1.0f, "2 bars back");
        enc_lookback_row(ids, 0, 1, 0, row);
        CHECK(row[390] == 1.0f && row[MELODY_CLASSES + ids[0]] == 0.0f, "bar length 0 read as 16");
    }
    enc_free(&e);
    enc_free(&p);
    tune_free(&t);
}

static void test_data_fill(void)
{
    Tune tunes[3];
    Dataset d, dp;
    ReelError err;
    Window *w;
    int64_t nw;
    const int W = 16, B = 5;
    float *x, *mask, row[ENC_LOOKBACK_WIDTH];
    int32_t *y_ids;
    int bad = 0, checked = 0, mid_history = 0;
    for (int i = 0; i < 3; i++)
        meter_tune(&tunes[i], 50 + 17 * i, 10 + (uint64_t)i);
    REQUIRE(data_build(&d, tunes, NULL, 3, &LB, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(data_build(&dp, tunes, NULL, 3, &PLAIN, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(d.classes && d.width == MELODY_CLASSES && d.in_floats == ENC_LOOKBACK_WIDTH &&
          d.bar_pos && d.bar_len, "lookback dataset: class targets, float inputs");
    CHECK(dp.in_floats == 0 && !dp.bar_pos, "plain melody dataset unchanged");
    CHECK(d.rows == dp.rows && !memcmp(d.ids, dp.ids, (size_t)d.rows * sizeof *d.ids),
          "same class rows as melody");
    nw = data_windows(&d, W, NULL, &w);
    REQUIRE(nw > B, "windows");
    x = malloc((size_t)W * B * ENC_LOOKBACK_WIDTH * sizeof *x);
    mask = malloc((size_t)W * B * sizeof *mask);
    y_ids = malloc((size_t)W * B * sizeof *y_ids);
    REQUIRE(x && mask && y_ids, "memory");
    for (int64_t i = 0; i < nw; i += B) {
        int nb = (int)(nw - i < B ? nw - i : B);
        memset(x, 0x7f, (size_t)W * B * ENC_LOOKBACK_WIDTH * sizeof *x); /* garbage */
        data_fill(&d, w + i, nb, W, B, x, NULL, NULL, y_ids, mask);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < W; t++) {
                size_t pos = (size_t)t * B + (size_t)b;
                const float *xr = x + pos * ENC_LOOKBACK_WIDTH;
                if (b >= nb || t >= w[i + b].len) {
                    float sum = 0;
                    for (int f = 0; f < ENC_LOOKBACK_WIDTH; f++)
                        sum += fabsf(xr[f]);
                    bad += mask[pos] != 0.0f || sum != 0.0f;
                    continue;
                }
                {
                    const Window *win = &w[i + b];
                    int64_t s0 = d.start[win->tune], r = win->start + t;
                    int32_t lt = (int32_t)(r - s0);
                    const Tune *tu = &tunes[d.src[win->tune]];
                    int pp, ll;
                    ref_bar(tu, lt + 1, &pp, &ll);
                    ref_row(d.ids + s0, lt, pp, ll, row);
                    bad += mask[pos] != 1.0f || y_ids[pos] != d.ids[r + 1] ||
                           row_diff(xr, row) >= 0;
                    checked++;
                    if (t == 0 && lt >= 16)
                        mid_history += xr[MELODY_CLASSES + d.ids[r + 1 - ll]] == 1.0f;
                }
            }
        }
    }
    CHECK(bad == 0, "%d batch positions differ from the reference rows", bad);
    CHECK(checked == d.positions, "checked %d of %lld positions", checked,
          (long long)d.positions);
    CHECK(mid_history > 0, "windows that start mid-tune read the bars before them");
    free(x);
    free(mask);
    free(y_ids);
    free(w);
    data_free(&d);
    data_free(&dp);
    for (int i = 0; i < 3; i++)
        tune_free(&tunes[i]);
}

static void make_model(Model *m, EncOpts enc, uint64_t wseed)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc = enc;
    m->net.hidden = 12;
    m->net.layers = 2;
    REQUIRE(model_net_for_encoding(&m->enc, NULL, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 100, 1, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, wseed);
    net_init(m->nn, &r);
    for (size_t i = 0; i < net_n_params(m->nn); i++)
        net_params(m->nn)[i] *= 3.0f;
}

/* Softmax outputs of a whole-sequence forward over the lookback rows of
 * ids[0..T) whose next steps have bar positions pos/len, history starting
 * at row `first` (rows before it see no history); the last position's
 * distribution into last (MELODY_CLASSES). */
static void forward_last(Model *m, const int32_t *ids, int T, int first, const int *pos,
                         const int *len, float *last)
{
    float *x = calloc((size_t)T * ENC_LOOKBACK_WIDTH, sizeof *x);
    int32_t *y = calloc((size_t)T, sizeof *y);
    NetBatch b;
    REQUIRE(x && y, "memory");
    for (int t = 0; t < T; t++) {
        float *row = x + (size_t)t * ENC_LOOKBACK_WIDTH;
        if (t >= first) {
            ref_row(ids + first, t - first, pos[t], len[t], row);
        } else {
            /* a silent prime's row: no class, only the bar position */
            ref_row(ids + t, 0, pos[t], len[t], row);
            row[ids[t]] = 0.0f;
        }
    }
    memset(&b, 0, sizeof b);
    b.T = T;
    b.B = 1;
    b.x = x;
    b.y_ids = y;
    net_forward(m->nn, &b, false, NULL);
    {
        const float *o = net_outputs(m->nn) + (size_t)(T - 1) * (size_t)m->net.n_out;
        memcpy(last, o, MELODY_CLASSES * sizeof *last);
        if (m->enc.repeats) {
            /* Labels: the class 1 / 2 bars back in the history from `first`;
             * one with nothing there is dropped and the rest renormalised. */
            double keep = 1.0;
            int32_t cls[2];
            for (int k = 0; k < 2; k++) {
                int64_t back = (int64_t)T - first - (int64_t)(k + 1) * len[T - 1];
                cls[k] = T - 1 >= first && back >= 0 ? ids[first + back] : -1;
                if (cls[k] < 0)
                    keep -= o[MELODY_CLASSES + k];
            }
            for (int k = 0; k < 2; k++)
                if (cls[k] >= 0)
                    last[cls[k]] += o[MELODY_CLASSES + k];
            for (int i = 0; i < MELODY_CLASSES; i++)
                last[i] = (float)(last[i] / keep);
        }
    }
    free(x);
    free(y);
}

/* The generator's next-row distribution at T = 1 (precise weights). */
static void gen_dist(Generator *g, float *p)
{
    SampleTop top[MELODY_CLASSES];
    int n = gen_next_top(g, top, MELODY_CLASSES, NULL, NULL);
    REQUIRE(n == MELODY_CLASSES, "%d classes", n);
    for (int i = 0; i < n; i++)
        p[top[i].cls] = top[i].p;
}

static double max_diff(const float *a, const float *b)
{
    double w = 0;
    for (int i = 0; i < MELODY_CLASSES; i++)
        if (fabs((double)a[i] - (double)b[i]) > w)
            w = fabs((double)a[i] - (double)b[i]);
    return w;
}

static void test_generator(Model *m)
{
    Tune full;
    Encoded e;
    ReelError err;
    Generator *g;
    int pos[100], len[100];
    float want[MELODY_CLASSES], got[MELODY_CLASSES];
    static const int cuts[] = {1, 2, 13, 20, 21, 33, 45, 58, 71};
    double worst = 0;
    meter_tune(&full, 72, 21);
    REQUIRE(enc_encode(&LB, NULL, &full, &e, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_new(&g, m, NULL, 1, &err) == REEL_OK, "%s", err.msg);
    gen_set_precise(g, true);
    /* Seeds: the tune cut at k steps; the pending row predicts step k. */
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        int k = cuts[c];
        Tune seed;
        REQUIRE(gen_excerpt(&full, 0, 0, &seed, &err) == REEL_OK, "%s", err.msg);
        {
            int32_t j = 0;
            for (int32_t i = 0; i < seed.n_notes; i++) {
                Note a = seed.notes[i];
                if (a.onset >= k)
                    continue;
                if (a.onset + a.dur > k)
                    a.dur = k - a.onset;
                seed.notes[j++] = a;
            }
            seed.n_notes = j;
            seed.n_steps = k;
        }
        REQUIRE(gen_prime_tune(g, &seed, NULL, &err) == REEL_OK, "%s", err.msg);
        CHECK(gen_rows(g) == k, "cut %d: %d rows", k, gen_rows(g));
        for (int t = 0; t < k; t++)
            ref_bar(&full, t + 1, &pos[t], &len[t]);
        forward_last(m, e.ids, k, 0, pos, len, want);
        gen_dist(g, got);
        if (max_diff(want, got) > worst)
            worst = max_diff(want, got);
        tune_free(&seed);
    }
    CHECK(worst < 1e-4, "stepped lookback rows differ from the whole-sequence forward by %g",
          worst);
    /* A silent prime of 2 bars of 3/4: 24 rows of note-off before step 0,
     * not history for the rows after it. */
    {
        Tune meta;
        int32_t ids[60] = {0};
        tune_init(&meta);
        REQUIRE(tune_add_sig(&meta, 0, 3, 4, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(gen_prime_rests(g, 2, &meta, NULL, &err) == REEL_OK, "%s", err.msg);
        CHECK(gen_rows(g) == 24, "silent prime rows %d", gen_rows(g));
        for (int t = 0; t < 24; t++) {
            pos[t] = (t + 1) % 12;
            len[t] = 12;
        }
        forward_last(m, ids, 24, 24, pos, len, want);
        gen_dist(g, got);
        CHECK(max_diff(want, got) < 1e-4, "silent prime: differs by %g", max_diff(want, got));
        /* Generated rows, greedy (top-k 1) so that the row each step feeds
         * is the top class gen_next_top shows before it. */
        {
            SampleOpts o = sample_defaults(), d = sample_defaults();
            SampleTop top[1];
            o.top_k = 1;
            REQUIRE(gen_set_opts(g, &o, &err) == REEL_OK, "%s", err.msg);
            for (int t = 0; t < 30; t++) {
                REQUIRE(gen_next_top(g, top, 1, NULL, NULL) == 1, "top");
                ids[24 + t] = top[0].cls;
                REQUIRE(gen_step(g, &err) == REEL_OK, "%s", err.msg);
            }
            REQUIRE(gen_set_opts(g, &d, &err) == REEL_OK, "%s", err.msg);
            for (int t = 0; t < 54; t++) {
                pos[t] = (t + 1) % 12;
                len[t] = 12;
            }
            forward_last(m, ids, 54, 24, pos, len, want);
            gen_dist(g, got);
            CHECK(max_diff(want, got) < 1e-4, "after 30 generated rows: differs by %g",
                  max_diff(want, got));
        }
        /* And it generates, in whole bars. */
        REQUIRE(gen_prime_rests(g, 2, &meta, NULL, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(gen_until(g, gen_bars_end(g, 4), 0, NULL, &err) == REEL_OK, "%s", err.msg);
        CHECK(gen_time(g) == 48, "4 bars of 3/4: %d steps", gen_time(g));
        tune_free(&meta);
    }
    gen_free(g);
    enc_free(&e);
    tune_free(&full);
}

static void test_model_file(Model *m, const char *dir)
{
    char path[600];
    Model a, b;
    ReelError err;
    Generator *g1, *g2;
    float p1[MELODY_CLASSES], p2[MELODY_CLASSES];
    FILE *f;
    char line[256];
    int has_key = 0;
    snprintf(path, sizeof path, "%s/lb.reel", dir);
    REQUIRE(model_save(m, path, false, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(model_load(&a, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(a.enc.kind == ENC_MELODY && a.enc.lookback && a.net.n_in == ENC_LOOKBACK_WIDTH &&
          !a.net.in_classes && a.enc.repeats == m->enc.repeats &&
          a.net.n_out == MELODY_CLASSES + (m->enc.repeats ? 2 : 0), "header round trip");
    REQUIRE(gen_new(&g1, m, NULL, 9, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_new(&g2, &a, NULL, 9, &err) == REEL_OK, "%s", err.msg);
    gen_set_precise(g1, true);
    gen_set_precise(g2, true);
    REQUIRE(gen_prime_rests(g1, 1, NULL, NULL, &err) == REEL_OK && gen_steps(g1, 37, &err) == REEL_OK,
            "%s", err.msg);
    REQUIRE(gen_prime_rests(g2, 1, NULL, NULL, &err) == REEL_OK && gen_steps(g2, 37, &err) == REEL_OK,
            "%s", err.msg);
    gen_dist(g1, p1);
    gen_dist(g2, p2);
    CHECK(max_diff(p1, p2) == 0.0, "the loaded model generates as the saved one");
    gen_free(g1);
    gen_free(g2);
    model_free(&a);

    /* A plain melody model writes no lookback line and loads without it. */
    make_model(&b, PLAIN, 4);
    snprintf(path, sizeof path, "%s/plain.reel", dir);
    REQUIRE(model_save(&b, path, false, &err) == REEL_OK, "%s", err.msg);
    f = fopen(path, "rb");
    REQUIRE(f, "open");
    while (fgets(line, sizeof line, f) && strcmp(line, "weights\n"))
        has_key += !strncmp(line, "lookback", 8);
    fclose(f);
    CHECK(has_key == 0, "plain melody header has no lookback line");
    model_free(&b);
    REQUIRE(model_load(&b, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(!b.enc.lookback && b.net.in_classes && b.net.n_in == MELODY_CLASSES, "plain loads");
    model_free(&b);
}

static void repeat_tunes(Tune *t, int n);

/* Repeat labels: targets and what a label means, against longhand; and
 * data_fill's targets with them. */
static void test_repeat_labels(void)
{
    int32_t ids[64];
    int bad = 0, r1 = 0, r2 = 0;
    Rng r;
    rng_seed(&r, 8);
    for (int i = 0; i < 64; i++)
        ids[i] = i >= 16 && rng_below(&r, 2) ? ids[i - 16 * (1 + (int)rng_below(&r, i >= 32 ? 2 : 1))]
                                             : (int32_t)rng_below(&r, 6);
    for (int32_t t = 0; t + 1 < 64; t++) {
        int32_t want = ids[t + 1], got = enc_repeat_target(ids, t, 16);
        if (t + 1 >= 32 && ids[t + 1 - 32] == ids[t + 1])
            want = ENC_REPEAT2;
        else if (t + 1 >= 16 && ids[t + 1 - 16] == ids[t + 1])
            want = ENC_REPEAT1;
        bad += got != want;
        r1 += got == ENC_REPEAT1;
        r2 += got == ENC_REPEAT2;
        bad += enc_repeat_class(ids, t, 16, got) != ids[t + 1];
        bad += enc_repeat_class(ids, t, 16, ENC_REPEAT1) != (t + 1 >= 16 ? ids[t + 1 - 16] : -1);
        bad += enc_repeat_class(ids, t, 16, ENC_REPEAT2) != (t + 1 >= 32 ? ids[t + 1 - 32] : -1);
        bad += enc_repeat_class(ids, t, 16, 3) != 3 || enc_repeat_class(ids, t, 16, 132) != -1;
    }
    CHECK(bad == 0 && r1 > 5 && r2 > 0, "repeat targets: %d wrong (%d / %d labels)", bad, r1, r2);
    {
        Tune tunes[2];
        Dataset d;
        ReelError err;
        Window *w;
        int64_t nw;
        float *x = malloc(64 * 2 * ENC_LOOKBACK_WIDTH * sizeof *x), mask[128];
        int32_t y[128];
        int labels = 0;
        REQUIRE(x, "memory");
        repeat_tunes(tunes, 2);
        REQUIRE(data_build(&d, tunes, NULL, 2, &LBR, NULL, &err) == REEL_OK, "%s", err.msg);
        nw = data_windows(&d, 64, NULL, &w);
        bad = 0;
        for (int64_t i = 0; i < nw; i += 2) {
            int nb = nw - i < 2 ? (int)(nw - i) : 2;
            data_fill(&d, w + i, nb, 64, 2, x, NULL, NULL, y, mask);
            for (int b = 0; b < nb; b++)
                for (int t = 0; t < w[i + b].len; t++) {
                    int64_t s0 = d.start[w[i + b].tune], row = w[i + b].start + t;
                    int32_t got = y[t * 2 + b];
                    bad += got != enc_repeat_target(d.ids + s0, (int32_t)(row - s0), 16);
                    bad += enc_repeat_class(d.ids + s0, (int32_t)(row - s0), 16, got) !=
                           d.ids[row + 1];
                    labels += got >= MELODY_CLASSES;
                }
        }
        CHECK(bad == 0 && labels > 100, "data_fill repeat targets: %d wrong, %d labels", bad,
              labels);
        free(w);
        free(x);
        data_free(&d);
        tune_free(&tunes[0]);
        tune_free(&tunes[1]);
    }
}

/* Tunes of 2-bar phrases (A B) repeated four times, A and B random per
 * tune: after the first two bars every step is the one 2 bars back. */
static void repeat_tunes(Tune *t, int n)
{
    Rng r;
    rng_seed(&r, 77);
    for (int i = 0; i < n; i++) {
        int32_t phrase[32][2], k = 0;
        tune_init(&t[i]);
        for (int32_t s = 0; s < 32;) {
            int32_t d = 1 + (int32_t)rng_below(&r, 3);
            if (s + d > 32)
                d = 32 - s;
            phrase[k][0] = s;
            phrase[k][1] = d;
            k++;
            s += d;
        }
        for (int32_t j = 0; j < k; j++) {
            int p = 55 + (int)rng_below(&r, 24);
            for (int rep = 0; rep < 4; rep++)
                add(&t[i], rep * 32 + phrase[j][0], phrase[j][1], p);
        }
        t[i].n_steps = 128;
        tune_sort(&t[i]);
    }
}

static float train_acc(EncOpts enc, Tune *tunes, int n, const char *dir)
{
    Model m;
    Dataset tr, va;
    ReelError err;
    TrainRun run;
    int32_t ti[40], vi[8];
    char path[600];
    Rng r;
    for (int i = 0; i < n - 8; i++)
        ti[i] = i;
    for (int i = 0; i < 8; i++)
        vi[i] = n - 8 + i;
    REQUIRE(data_build(&tr, tunes, ti, n - 8, &enc, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(data_build(&va, tunes, vi, 8, &enc, NULL, &err) == REEL_OK, "%s", err.msg);
    model_init(&m);
    m.enc = enc;
    m.net.hidden = 32;
    m.net.layers = 1;
    REQUIRE(model_net_for_encoding(&m.enc, NULL, &m.net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m.nn, &m.net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, 3);
    net_init(m.nn, &r);
    m.train.window = 32;
    m.train.batch = 8;
    m.train.epochs = 12;
    m.train.seed = 3;
    m.train.threads = 1;
    m.train.optim = optim_defaults(OPTIM_ADAM);
    m.train.optim.lr = 0.01f;
    memset(&run, 0, sizeof run);
    snprintf(path, sizeof path, "%s/train-%d%d.reel", dir, (int)enc.lookback, (int)enc.repeats);
    run.out_path = path;
    REQUIRE(train_run(&m, &tr, &va, &run, &err) == REEL_OK, "%s", err.msg);
    {
        float acc = m.progress.val_acc;
        model_free(&m);
        data_free(&tr);
        data_free(&va);
        return acc;
    }
}

static void test_learns_repeats(const char *dir)
{
    Tune tunes[40];
    float lb, lbr, plain;
    repeat_tunes(tunes, 40);
    lb = train_acc(LB, tunes, 40, dir);
    plain = train_acc(PLAIN, tunes, 40, dir);
    lbr = train_acc(LBR, tunes, 40, dir);
    printf("2-bar repeats, validation accuracy: lookback %.1f%%, with repeat labels %.1f%%, "
           "plain melody %.1f%%\n", lb * 100, lbr * 100, plain * 100);
    CHECK(lbr > 0.65f, "lookback with repeat labels: validation accuracy %.3f", lbr);
    /* 3 of the 4 phrases are repeats: a network that copies gets ~75%. */
    CHECK(lb > 0.65f, "lookback validation accuracy %.3f", lb);
    CHECK(lb > plain + 0.15f, "lookback %.3f against plain %.3f", lb, plain);
    for (int i = 0; i < 40; i++)
        tune_free(&tunes[i]);
}

int main(void)
{
    const char *dir = test_tmpdir();
    Model m;
    test_encoding();
    test_data_fill();
    make_model(&m, LB, 11);
    test_generator(&m);
    test_model_file(&m, dir);
    model_free(&m);
    make_model(&m, LBR, 12);
    CHECK(m.net.n_out == MELODY_CLASSES + 2 && m.net.n_in == ENC_LOOKBACK_WIDTH,
          "repeat labels: %d outputs", m.net.n_out);
    test_generator(&m);
    test_model_file(&m, dir);
    model_free(&m);
    test_repeat_labels();
    if (!test_quick()) /* REEL_TEST_QUICK (valgrind): three trainings take many minutes there */
        test_learns_repeats(dir);
    TEST_END();
}
