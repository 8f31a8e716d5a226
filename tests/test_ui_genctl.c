/* test_ui_genctl.c — the studio's generation control on small random
 * models: takes made a slice at a time equal takes made at once, a
 * temperature change re-samples only from the bar line asked for (what was
 * heard stays), the recorded next-note distributions, the probe. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genctl.h"
#include "testlib.h"

static void make_model(Model *m, EncOpts enc, uint64_t wseed)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc = enc;
    m->net.hidden = 16;
    m->net.layers = 2;
    REQUIRE(model_net_for_encoding(&m->enc, m->vocab, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, wseed);
    net_init(m->nn, &r);
    {
        /* bolder than the initialisation, so choices depend on the state */
        float *p = net_params(m->nn);
        for (size_t i = 0; i < net_n_params(m->nn); i++)
            p[i] *= 3.0f;
    }
}

static void seed_tune(Tune *t)
{
    ReelError err;
    REQUIRE(gen_parse_notes("D4/8 F#4/8 A4/8 D5/8 E5/8 F#5/8 E5/8 D5/8", t, &err) == REEL_OK,
            "%s", err.msg);
    tune_add_sig(t, 0, 4, 4, &err);
    tune_add_tempo(t, 0, 500000, &err);
}

static int notes_from(const Tune *t, int32_t from, int32_t to, Note *out, int max)
{
    int n = 0;
    for (int32_t i = 0; i < t->n_notes && n < max; i++)
        if (t->notes[i].onset >= from && t->notes[i].onset < to)
            out[n++] = t->notes[i];
    return n;
}

static bool same(const Note *a, int na, const Note *b, int nb)
{
    if (na != nb)
        return false;
    for (int i = 0; i < na; i++)
        if (a[i].onset != b[i].onset || a[i].pitch != b[i].pitch)
            return false;
    return true;
}

static void test_kind(EncOpts enc)
{
    Model m;
    GenCtl a, b;
    Tune seed, ta, tb;
    GenSpan span;
    ReelError err;
    SampleOpts so = sample_defaults();
    Note na[512], nb[512];
    int32_t target, at, rows;
    int ka, kb;
    const char *name = enc.lookback ? "melody --lookback" : enc_name(enc.kind);

    make_model(&m, enc, 11);
    seed_tune(&seed);
    REQUIRE(gc_init(&a, &m, &so, 42, &err) == REEL_OK, "%s: %s", name, err.msg);
    REQUIRE(gc_init(&b, &m, &so, 42, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gc_prime(&a, &seed, &seed, &err) == REEL_OK, "%s: %s", name, err.msg);
    REQUIRE(gc_prime(&b, &seed, &seed, &err) == REEL_OK, "%s", err.msg);
    CHECK(a.start == 16, "%s: the take starts after the seed (%d)", name, (int)a.start);
    target = gc_bars_end(&a, 8);
    CHECK(target == 16 + 8 * 16, "%s: 8 bars after the seed end at %d", name, (int)target);
    gc_set_target(&a, target);
    gc_set_target(&b, target);
    /* a: all at once; b: in slices of no time (at least some rows each) */
    while (gc_pending(&a))
        REQUIRE(gc_work(&a, 10.0, NULL, &err) == REEL_OK, "%s", err.msg);
    {
        int slices = 0;
        while (gc_pending(&b)) {
            REQUIRE(gc_work(&b, 0.0, &rows, &err) == REEL_OK, "%s", err.msg);
            CHECK(rows > 0, "%s: a slice makes rows", name);
            slices++;
        }
        CHECK(slices > 1, "%s: sliced (%d)", name, slices);
    }
    CHECK(gc_time(&a) >= target && !gc_pending(&a), "%s: reached %d", name, (int)gc_time(&a));
    REQUIRE(gc_decode(&a, &ta, &span, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gc_decode(&b, &tb, NULL, &err) == REEL_OK, "%s", err.msg);
    ka = notes_from(&ta, 0, 1 << 30, na, 512);
    kb = notes_from(&tb, 0, 1 << 30, nb, 512);
    CHECK(same(na, ka, nb, kb), "%s: slices make the same take", name);
    CHECK(span.start_step == 16 && span.first_note > 0 && ta.n_notes > span.first_note,
          "%s: generated notes after the seed (%d of %d)", name, ta.n_notes - span.first_note,
          ta.n_notes);
    /* snapshots at every bar line */
    CHECK(a.n_snap >= 8, "%s: %d snapshots", name, a.n_snap);
    for (int i = 1; i < a.n_snap; i++)
        CHECK(a.snap_step[i] > a.snap_step[i - 1] && a.snap_step[i] % 16 == 0,
              "%s: snapshot %d at %d", name, i, (int)a.snap_step[i]);
    /* distributions of the generated rows */
    for (int32_t st = 16; st < target; st += 7) {
        const GcDist *d = gc_dist_at(&a, st);
        float sum = 0;
        CHECK(d && d->valid && d->n > 0, "%s: a distribution at %d", name, (int)st);
        if (!d)
            continue;
        for (int i = 0; i < d->n; i++) {
            sum += d->top[i].p;
            if (i)
                CHECK(d->top[i].p <= d->top[i - 1].p, "%s: sorted", name);
        }
        CHECK(sum <= 1.0001f && sum > 0, "%s: mass %g", name, (double)sum);
    }
    CHECK(gc_dist_at(&a, 3) == NULL, "%s: none in the seed", name);
    {
        char label[32];
        const GcDist *d = gc_dist_at(&a, 20);
        if (d) {
            gc_label(&a, d, d->top[0].cls, label, sizeof label);
            CHECK(label[0] && strcmp(label, "?"), "%s: label '%s'", name, label);
        }
    }

    /* Hotter from bar 4 (step 64) on: everything before stays, the rest changes. */
    so.temperature = 3.0f;
    REQUIRE(gc_set_opts(&a, &so, &err) == REEL_OK, "%s", err.msg);
    at = gc_resample_from(&a, 50, &err);
    CHECK(at == 64, "%s: back to the bar line at 64, not %d", name, (int)at);
    CHECK(gc_time(&a) == 64 && gc_pending(&a), "%s: to make again from 64", name);
    CHECK(gc_dist_at(&a, 70) == NULL || gc_dist_at(&a, 70)->valid == false ||
              gc_dist_at(&a, 70) == gc_dist_at(&a, 63), "%s: distributions after 64 dropped", name);
    while (gc_pending(&a))
        REQUIRE(gc_work(&a, 10.0, NULL, &err) == REEL_OK, "%s", err.msg);
    tune_free(&ta);
    REQUIRE(gc_decode(&a, &ta, NULL, &err) == REEL_OK, "%s", err.msg);
    ka = notes_from(&ta, 0, 64, na, 512);
    kb = notes_from(&tb, 0, 64, nb, 512);
    CHECK(same(na, ka, nb, kb), "%s: the bars before 64 did not change", name);
    ka = notes_from(&ta, 64, target, na, 512);
    kb = notes_from(&tb, 64, target, nb, 512);
    CHECK(!same(na, ka, nb, kb), "%s: the bars after 64 changed", name);
    CHECK(gc_resample_from(&a, 100000, &err) == -1, "%s: no snapshot ahead", name);
    gc_forget_before(&a, 100);
    CHECK(a.n_snap >= 1 && a.snap_step[0] >= 96, "%s: old snapshots freed (%d left, first %d)",
          name, a.n_snap, a.n_snap ? (int)a.snap_step[0] : -1);

    /* the probe: the distribution after the melody up to a step, cached */
    {
        Tune up;
        const GcDist *d1, *d2;
        REQUIRE(gen_excerpt(&seed, 0, 0, &up, &err) == REEL_OK, "%s", err.msg);
        up.n_steps = 6;
        for (int32_t i = 0; i < up.n_notes; i++)
            if (up.notes[i].onset >= 6)
                up.n_notes = i;
        d1 = gc_probe(&a, &up, 1);
        d2 = gc_probe(&a, &up, 1);
        CHECK(d1 && d1 == d2 && d1->probe, "%s: probe, cached", name);
        tune_free(&up);
    }
    /* silence as the seed */
    REQUIRE(gc_prime(&b, NULL, &seed, &err) == REEL_OK, "%s", err.msg);
    CHECK(b.start == 0, "%s: silence: the take starts at 0", name);
    gc_set_target(&b, gc_bars_end(&b, 2));
    while (gc_pending(&b))
        REQUIRE(gc_work(&b, 1.0, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(gc_time(&b) >= 32, "%s: two bars from silence", name);

    tune_free(&ta);
    tune_free(&tb);
    tune_free(&seed);
    gc_free(&a);
    gc_free(&b);
    model_free(&m);
}

int main(void)
{
    test_kind((EncOpts){.kind = ENC_MELODY});
    test_kind((EncOpts){.kind = ENC_ROLL13});
    test_kind((EncOpts){.kind = ENC_ROLL13_ONSET});
    test_kind((EncOpts){.kind = ENC_MELODY, .lookback = true, .repeats = true});
    TEST_END();
}
