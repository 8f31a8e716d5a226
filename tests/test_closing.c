/* test_closing.c — what makes a generated tune close (issue 13): the key
 * spread a --condition model records (counted per metre, saved and loaded,
 * drawn from by seed), the key genreq_key chooses (given, the prime's own,
 * drawn), and closing in genreq_run (genrequest.h: every strain's last bars
 * drawn again until one ends on the tonic): the same seed the same tune,
 * --end cut the plain draw, and far more tonic endings than the plain draws
 * from an untrained model whose endings fall where they may. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cadence.h"
#include "genrequest.h"
#include "keyprofile.h"
#include "keyspread.h"
#include "model.h"
#include "testlib.h"
#include "testtune.h"

static void add(Tune *t, int32_t onset, int32_t dur, int pitch)
{
    ReelError err;
    REQUIRE(tune_add_note(t, onset, dur, pitch, 100, &err) == REEL_OK, "%s", err.msg);
}

/* Two bars of a scale on `tonic` (major or minor), ending on it, in num/den. */
static void scale_tune(Tune *t, int tonic, bool minor, int num, int den)
{
    static const int major[8] = {0, 2, 4, 5, 7, 9, 11, 12}, minr[8] = {0, 2, 3, 5, 7, 8, 10, 12};
    ReelError err;
    tune_init(t);
    REQUIRE(tune_add_sig(t, 0, num, den, &err) == REEL_OK, "%s", err.msg);
    for (int k = 0; k < 8; k++)
        add(t, 2 * k, 2, 60 + tonic + (minor ? minr[k] : major[k]));
    add(t, 16, 8, 60 + tonic);
    add(t, 24, 4, 60 + tonic + 7);
    add(t, 28, 8, 60 + tonic);
    t->n_steps = 36;
    tune_sort(t);
}

static void test_spread(const char *dir)
{
    Tune t[6];
    KeySpread k;
    Model m, back;
    ReelError err;
    char path[600];
    int hits[KEYSPREAD_KEYS] = {0}, order[3], n;
    double shares[3];
    int D = keyprofile_parse("D"), G = keyprofile_parse("G"), Am = keyprofile_parse("Am");
    scale_tune(&t[0], 2, false, 2, 4);
    scale_tune(&t[1], 2, false, 2, 4);
    scale_tune(&t[2], 2, false, 2, 4);
    scale_tune(&t[3], 7, false, 2, 4);
    scale_tune(&t[4], 9, true, 6, 8);
    tune_init(&t[5]); /* no notes, no key */
    keyspread_of_tunes(t, 6, &k);
    CHECK(keyspread_total(&k, -1) == 5 && keyspread_total(&k, enc_meter_class(2, 4)) == 4 &&
          keyspread_total(&k, enc_meter_class(6, 8)) == 1, "5 tunes with a key, 4 in 2/4");
    CHECK(k.n[enc_meter_class(2, 4) * KEYSPREAD_KEYS + D] == 3 &&
          k.n[enc_meter_class(6, 8) * KEYSPREAD_KEYS + Am] == 1, "D three times, Am in 6/8");
    for (uint64_t s = 1; s <= 4000; s++)
        hits[keyspread_draw(&k, enc_meter_class(2, 4), s)]++;
    CHECK(hits[D] > 2850 && hits[D] < 3150 && hits[G] + hits[D] == 4000,
          "2/4: D %d, G %d of 4000 (3:1)", hits[D], hits[G]);
    CHECK(keyspread_draw(&k, enc_meter_class(2, 4), 99) == keyspread_draw(&k, 1, 99) ||
              keyspread_total(&k, 1) == 0,
          "the same seed, the same key");
    for (uint64_t s = 1; s <= 50; s++)
        CHECK(keyspread_draw(&k, enc_meter_class(6, 8), s) == Am, "6/8: only Am");
    memset(hits, 0, sizeof hits);
    for (uint64_t s = 1; s <= 1000; s++)
        hits[keyspread_draw(&k, enc_meter_class(3, 4), s)]++;
    CHECK(hits[Am] > 120 && hits[Am] < 280, "a metre without tunes: all of them (Am %d of 1000)",
          hits[Am]);
    n = keyspread_order(&k, -1, order, shares, 3);
    CHECK(n == 3 && order[0] == D && fabs(shares[0] - 0.6) < 1e-9 && order[2] == Am,
          "order: D 60%%, then G and Am (the lower key first on ties)");
    model_init(&m);
    memset(&k, 0, sizeof k);
    CHECK(!keyspread_known(&k) && keyspread_draw(&k, -1, 1) == -1, "empty: nothing to draw");
    keyspread_of_tunes(t, 6, &m.keys);
    m.enc.kind = ENC_MELODY;
    m.net.hidden = 8;
    m.net.layers = 1;
    REQUIRE(model_net_for_encoding(&m.enc, NULL, &m.net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m.nn, &m.net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/keys.reel", dir);
    REQUIRE(model_save(&m, path, false, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(model_load(&back, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(!memcmp(&back.keys, &m.keys, sizeof m.keys), "the key spread is saved and loaded");
    model_free(&back);
    model_free(&m);
    for (int i = 0; i < 6; i++)
        tune_free(&t[i]);
}

/* An untrained model with tune events and key conditioning. */
static void events_model(Model *m, bool events)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc.kind = ENC_MELODY;
    m->enc.lookback = true;
    m->enc.repeats = true;
    m->enc.back = 15;
    m->enc.phrase = true;
    m->enc.events = events;
    m->enc.cond = true;
    m->enc.cond_key = keyprofile_parse("G");
    m->net.hidden = 16;
    m->net.layers = 1;
    m->range = (PitchRange){60, 84};
    REQUIRE(model_net_for_encoding(&m->enc, NULL, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, 3);
    net_init(m->nn, &r);
    if (events) {
        /* Untrained, it would draw its end anywhere: make that rare, so that
         * the tunes run their 16 bars and closing is what decides the end. */
        NetTensor t[16];
        int n = net_tensors(m->nn, t, 16);
        for (int i = 0; i < n; i++)
            if (!strcmp(t[i].name, "head.b"))
                net_params(m->nn)[t[i].offset + (size_t)enc_end_label(&m->enc)] = -8.0f;
    }
}

static void test_key_choice(void)
{
    Model m;
    Prime rests, notes;
    ReelError err;
    int G = keyprofile_parse("G"), E = keyprofile_parse("E"), Bb = keyprofile_parse("Bb");
    Tune t;
    events_model(&m, true);
    REQUIRE(prime_init(&rests, "rests", -1, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(prime_init(&notes, "E4/8 G#4/8 B4/8 E5/4 B4/8 G#4/8 E4/2", -1, &err) == REEL_OK,
            "%s", err.msg);
    CHECK(genreq_key(&m, Bb, &rests.tune, 1) == Bb, "--key wins");
    CHECK(genreq_key(&m, -1, NULL, 1) == G, "no prime, no spread: the default");
    CHECK(genreq_key(&m, -1, &rests.tune, 1) == G, "no spread: the model's default");
    CHECK(genreq_key(&m, -1, &notes.tune, 1) == E, "a prime with notes: its own key (E major)");
    scale_tune(&t, 5, false, 4, 4);
    keyspread_of_tunes(&t, 1, &m.keys);
    for (uint64_t s = 1; s <= 20; s++)
        CHECK(genreq_key(&m, -1, &rests.tune, s) == keyprofile_parse("F"), "drawn: F, the only key");
    tune_free(&t);
    prime_free(&rests);
    prime_free(&notes);
    model_free(&m);
}

static bool same_take(const Tune *a, const Tune *b)
{
    return a->n_steps == b->n_steps && same_notes(a, b);
}

/* The last note on the tonic of the melody's key (cadence.h's key). */
static bool on_tonic(const GenResult *r)
{
    Cadence c;
    cadence_at(&r->tune, r->tune.n_steps, &c);
    return c.last_pitch >= 0 && c.tonic >= 0 && c.last_pitch % 12 == c.tonic;
}

static void test_closing(void)
{
    Model m, plain;
    Prime p;
    ReelError err;
    GenRequest rq = genreq_defaults();
    int closed_tonic = 0, cut_tonic = 0, N = test_quick() ? 12 : 40;
    events_model(&m, true);
    events_model(&plain, false);
    REQUIRE(prime_init(&p, "rests", -1, &err) == REEL_OK, "%s", err.msg);
    rq.model_path = "tiny.reel";
    rq.bars = 16;
    for (int s = 1; s <= N; s++) {
        GenResult a, b, c;
        rq.seed = (uint64_t)s;
        rq.cut = false;
        REQUIRE(genreq_run(&rq, &m, &p, &a, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(genreq_run(&rq, &m, &p, &b, &err) == REEL_OK, "%s", err.msg);
        rq.cut = true;
        REQUIRE(genreq_run(&rq, &m, &p, &c, &err) == REEL_OK, "%s", err.msg);
        CHECK(a.closed && !c.closed, "seed %d: closed unless cut", s);
        CHECK(same_take(&a.tune, &b.tune), "seed %d: the same seed, the same closed tune", s);
        CHECK(a.tune.n_steps == 16 * 16 || (a.tune.n_steps < 256 && a.tune.n_steps > 0),
              "seed %d: 16 bars of 4/4 (%d steps), or fewer when the model ended it", s,
              a.tune.n_steps);
        if (s == 1)
            CHECK(strstr(a.provenance, ", closed (") && !strstr(c.provenance, ", closed ("),
                  "the provenance says so: %s", a.provenance);
        closed_tonic += on_tonic(&a);
        cut_tonic += on_tonic(&c);
        genreq_free(&a);
        genreq_free(&b);
        genreq_free(&c);
    }
    printf("last note on the tonic: %d of %d closed, %d cut\n", closed_tonic, N, cut_tonic);
    CHECK(closed_tonic * 10 >= N * 9 && closed_tonic * 4 > cut_tonic * 4 + N,
          "closing ends on the tonic: %d of %d (cut: %d)", closed_tonic, N, cut_tonic);
    {
        GenResult a, c;
        rq.seed = 5;
        rq.cut = true;
        REQUIRE(genreq_run(&rq, &m, &p, &a, &err) == REEL_OK, "%s", err.msg);
        rq.key = keyprofile_parse("Bb");
        REQUIRE(genreq_run(&rq, &m, &p, &c, &err) == REEL_OK, "%s", err.msg);
        CHECK(strstr(a.provenance, ", key G,") && strstr(c.provenance, ", key Bb,"),
              "the key in force is in the provenance: %s", c.provenance);
        CHECK(!same_take(&a.tune, &c.tune), "the key input changes the tune");
        rq.key = -1;
        genreq_free(&a);
        genreq_free(&c);
    }
    {
        GenResult a, c;
        rq.seed = 5;
        rq.cut = false;
        REQUIRE(genreq_run(&rq, &plain, &p, &a, &err) == REEL_OK, "%s", err.msg);
        rq.cut = true;
        REQUIRE(genreq_run(&rq, &plain, &p, &c, &err) == REEL_OK, "%s", err.msg);
        CHECK(!a.closed && same_take(&a.tune, &c.tune), "no events: not closed, as cut");
        genreq_free(&a);
        genreq_free(&c);
    }
    prime_free(&p);
    model_free(&m);
    model_free(&plain);
}

int main(void)
{
    const char *dir = test_tmpdir();
    test_spread(dir);
    test_key_choice();
    test_closing();
    TEST_END();
}
