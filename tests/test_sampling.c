/* test_sampling.c — sampling that keeps to music (issue 13): a generator
 * never sounds a pitch outside its model's range or the one asked for, at
 * any temperature, in every encoding; the range survives the model file and
 * an older file without it still loads; --range reads what musicians write
 * and refuses the rest; --end cadence stops on the tonic when it stops
 * before its limit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abcout.h"
#include "cadence.h"
#include "generate.h"
#include "genrequest.h"
#include "keyprofile.h"
#include "midi.h"
#include "model.h"
#include "range.h"
#include "testlib.h"

static const struct {
    const char *label;
    EncOpts enc;
    SampleRollMode roll;
} kinds[] = {
    {"melody", {.kind = ENC_MELODY}, SAMPLE_ROLL_AUTO},
    {"melody --lookback", {.kind = ENC_MELODY, .lookback = true}, SAMPLE_ROLL_AUTO},
    {"melody --lookback --repeat-labels",
     {.kind = ENC_MELODY, .lookback = true, .repeats = true}, SAMPLE_ROLL_AUTO},
    {"tokens", {.kind = ENC_TOKENS}, SAMPLE_ROLL_AUTO},
    {"tokens --durations", {.kind = ENC_TOKENS, .durations = true}, SAMPLE_ROLL_AUTO},
    {"roll128 poly", {.kind = ENC_ROLL128}, SAMPLE_ROLL_POLY},
    {"roll128 mono", {.kind = ENC_ROLL128}, SAMPLE_ROLL_MONO},
    {"roll13o", {.kind = ENC_ROLL13_ONSET}, SAMPLE_ROLL_AUTO},
    {"regress", {.kind = ENC_REGRESS}, SAMPLE_ROLL_AUTO},
};
#define N_KINDS ((int)(sizeof kinds / sizeof kinds[0]))

/* The tokens vocabulary of three octaves of chromatic notes and chords from
 * C3 up, with rests of many lengths: most tokens lie outside a narrow range. */
static Vocab *chromatic_vocab(const EncOpts *enc)
{
    ReelError err;
    Vocab *v = vocab_new();
    Tune t;
    int32_t at = 0;
    REQUIRE(v != NULL, "vocab");
    tune_init(&t);
    for (int p = 48; p <= 84; p++) {
        int d = 1 + p % 4;
        REQUIRE(tune_add_note(&t, at, d, p, 80, &err) == REEL_OK, "%s", err.msg);
        if (p % 3 == 0)
            REQUIRE(tune_add_note(&t, at, d, p + 4, 80, &err) == REEL_OK, "%s", err.msg);
        at += d + (p - 48) % 17;
    }
    t.n_steps = at;
    tune_sort(&t);
    REQUIRE(enc_tokens_count(enc, &t, v, &err) == REEL_OK, "%s", err.msg);
    vocab_finish(v);
    tune_free(&t);
    return v;
}

/* A model of random, bold weights (so that every pitch has a real chance). */
static void random_model(Model *m, EncOpts enc, uint64_t seed)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc = enc;
    m->vocab = enc.kind == ENC_TOKENS ? chromatic_vocab(&enc) : NULL;
    m->net.layers = 1;
    m->net.hidden = 16;
    REQUIRE(model_net_for_encoding(&enc, m->vocab, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, seed);
    net_init(m->nn, &r);
    for (size_t i = 0; i < net_n_params(m->nn); i++)
        net_params(m->nn)[i] *= enc.kind == ENC_REGRESS ? 0.5f : 4.0f;
    if (enc.kind == ENC_REGRESS) {
        float *b = net_params(m->nn) + net_n_params(m->nn) - 3; /* head bias */
        b[0] = 66.0f / 127.0f;
        b[1] = 0.7f;
        b[2] = 0.125f;
    }
}

/* Pitches of generated notes outside r, over seeds and temperatures; *notes
 * gets how many generated notes there were. */
static long outside(const Model *m, SampleRollMode roll, PitchRange asked, PitchRange r,
                    const Tune *seed, long *notes)
{
    static const float temps[] = {0.5f, 1.0f, 1.5f, 2.0f};
    long bad = 0;
    *notes = 0;
    for (int ti = 0; ti < 4; ti++)
        for (uint64_t s = 1; s <= 6; s++) {
            SampleOpts so = sample_defaults();
            Generator *g;
            Tune out;
            GenSpan span;
            ReelError err;
            so.temperature = temps[ti];
            so.roll = roll;
            so.noise = 4.0f;
            REQUIRE(gen_new(&g, m, &so, s, &err) == REEL_OK, "%s", err.msg);
            REQUIRE(gen_set_range(g, asked, &err) == REEL_OK, "%s", err.msg);
            if (seed)
                REQUIRE(gen_prime_tune(g, seed, NULL, &err) == REEL_OK, "%s", err.msg);
            else
                REQUIRE(gen_prime_rests(g, 1, NULL, NULL, &err) == REEL_OK, "%s", err.msg);
            REQUIRE(gen_until(g, gen_bars_end(g, 3), 0, NULL, &err) == REEL_OK, "%s", err.msg);
            REQUIRE(gen_tune(g, -1, &out, &span, &err) == REEL_OK, "%s", err.msg);
            for (int32_t i = span.first_note; i < out.n_notes; i++) {
                const Note *a = &out.notes[i];
                /* regress: a first step of 0 puts the seed's last note in the span */
                if (seed && a->onset < seed->n_steps && a->pitch >= 79)
                    continue;
                (*notes)++;
                bad += !range_has(r, a->pitch);
            }
            tune_free(&out);
            gen_free(g);
        }
    return bad;
}

static void test_never_outside(void)
{
    PitchRange narrow = {62, 69}, inner = {64, 66};
    Tune high;
    ReelError err;
    tune_init(&high);
    REQUIRE(tune_add_note(&high, 0, 8, 79, 90, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_note(&high, 8, 8, 81, 90, &err) == REEL_OK, "%s", err.msg);
    high.n_steps = 16;
    for (int k = 0; k < N_KINDS; k++) {
        Model m;
        long notes, free_bad, bad;
        random_model(&m, kinds[k].enc, 40 + (uint64_t)k);
        /* Without a range the bold weights stray: the test can fail. */
        free_bad = outside(&m, kinds[k].roll, range_none(), narrow, NULL, &notes);
        CHECK(free_bad > 0 && notes > 50, "%s: without a range %ld of %ld notes outside %d..%d "
              "(the check must be able to fail)", kinds[k].label, free_bad, notes, narrow.lo,
              narrow.hi);
        m.range = narrow;
        bad = outside(&m, kinds[k].roll, range_none(), narrow, NULL, &notes);
        CHECK(bad == 0 && notes > 20, "%s: %ld of %ld notes outside the model's range",
              kinds[k].label, bad, notes);
        bad = outside(&m, kinds[k].roll, inner, inner, NULL, &notes);
        CHECK(bad == 0 && notes > 5, "%s: %ld of %ld notes outside --range 64-66",
              kinds[k].label, bad, notes);
        /* A seed outside the range: its notes stay, the new ones keep to it
         * (roll13o: in the encoding's frame, so an octave up with this seed). */
        bad = outside(&m, kinds[k].roll, range_none(),
                      kinds[k].enc.kind == ENC_ROLL13_ONSET
                          ? (PitchRange){narrow.lo + 12, narrow.hi + 12}
                          : narrow,
                      &high, &notes);
        CHECK(bad == 0, "%s after a high seed: %ld of %ld notes outside", kinds[k].label, bad,
              notes);
        model_free(&m);
    }
    tune_free(&high);
}

/* The recorded range, asked ranges that do not meet it, roll13's frame. */
static void test_range_rules(void)
{
    Model m;
    Generator *g;
    ReelError err;
    PitchRange r;
    random_model(&m, (EncOpts){.kind = ENC_MELODY}, 3);
    REQUIRE(gen_new(&g, &m, NULL, 1, &err) == REEL_OK, "%s", err.msg);
    r = gen_range(g);
    CHECK(r.lo == 0 && r.hi == 127, "no recorded range: every pitch (%d..%d)", r.lo, r.hi);
    gen_free(g);
    m.range = (PitchRange){55, 93};
    REQUIRE(gen_new(&g, &m, NULL, 1, &err) == REEL_OK, "%s", err.msg);
    r = gen_range(g);
    CHECK(r.lo == 55 && r.hi == 93, "the model's range (%d..%d)", r.lo, r.hi);
    CHECK(gen_set_range(g, (PitchRange){20, 40}, &err) == REEL_EARG &&
              strstr(err.msg, "--range") && strstr(err.msg, "G3..A6"),
          "a range that misses the model's is refused: %s", err.msg);
    CHECK(gen_set_range(g, (PitchRange){40, 60}, &err) == REEL_OK &&
              gen_range(g).lo == 55 && gen_range(g).hi == 60,
          "ranges meet: %d..%d", gen_range(g).lo, gen_range(g).hi);
    CHECK(gen_set_range(g, range_none(), &err) == REEL_OK && gen_range(g).hi == 93,
          "range_none: back to the model's");
    gen_free(g);
    model_free(&m);
}

static void test_parse(void)
{
    static const struct {
        const char *s;
        int lo, hi;
    } good[] = {
        {"G3-E7", 55, 100}, {"55-100", 55, 100}, {"C-1-G9", 0, 127}, {"Bb3..F#5", 58, 78},
        {"c4-c5", 60, 72},  {"60-C5", 60, 72},   {"A4-A4", 69, 69},
    };
    static const char *const bad[] = {"", "C4", "C5-C4", "x-y", "0-128", "C4-", "-C4",
                                      "60--72", "C4-H5", "C4 - C5"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        PitchRange r;
        ReelError err;
        CHECK(range_parse(good[i].s, &r, &err) == REEL_OK && r.lo == good[i].lo &&
                  r.hi == good[i].hi, "--range %s: %d..%d (%s)", good[i].s, r.lo, r.hi,
              err.msg);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        PitchRange r;
        ReelError err;
        err.msg[0] = '\0';
        CHECK(range_parse(bad[i], &r, &err) == REEL_EARG && strstr(err.msg, "--range") &&
                  !range_known(r), "--range '%s' refused: %s", bad[i], err.msg);
    }
    {
        PitchRange r;
        ReelError err;
        range_parse("C5-C4", &r, &err);
        CHECK(strstr(err.msg, "low end") != NULL, "says why: %s", err.msg);
    }
}

/* FNV-1a 64 of p[0..n), as model.c checksums a file. */
static uint64_t fnv(const unsigned char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *end = p + n; p < end; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

/* Write buf (len bytes, ending in the checksum line) with the pitch_range
 * line replaced by line (may be ""), the checksum made right. */
static void rewrite_range(const char *path, const unsigned char *buf, size_t len,
                          const char *line)
{
    const char *at = strstr((const char *)buf, "pitch_range ");
    const char *eol = at ? strchr(at, '\n') : NULL;
    size_t head, tail, n = 0;
    unsigned char *out;
    REQUIRE(at && eol, "the saved file has a pitch_range line");
    head = (size_t)(at - (const char *)buf);
    tail = len - 26 - (size_t)(eol + 1 - (const char *)buf);
    REQUIRE((out = malloc(len + 64)) != NULL, "memory");
    memcpy(out, buf, head);
    n = head;
    memcpy(out + n, line, strlen(line));
    n += strlen(line);
    memcpy(out + n, eol + 1, tail);
    n += tail;
    n += (size_t)snprintf((char *)out + n, 40, "checksum %016llx\n",
                          (unsigned long long)fnv(out, n));
    test_write(path, out, n);
    free(out);
}

static void test_file(void)
{
    const char *dir = test_tmpdir();
    char path[600], old[600];
    unsigned char *buf;
    size_t len;
    Model m, back;
    ReelError err;
    snprintf(path, sizeof path, "%s/r.reel", dir);
    snprintf(old, sizeof old, "%s/old.reel", dir);
    random_model(&m, (EncOpts){.kind = ENC_MELODY, .lookback = true}, 5);
    m.range = (PitchRange){57, 88};
    REQUIRE(model_save(&m, path, false, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(model_load(&back, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(back.range.lo == 57 && back.range.hi == 88, "the range comes back: %d..%d",
          back.range.lo, back.range.hi);
    model_free(&back);
    buf = test_read(path, &len);
    /* A file from before the field: no line at all. */
    rewrite_range(old, buf, len, "");
    CHECK(model_load(&back, old, 0, 0, &err) == REEL_OK && !range_known(back.range),
          "a file without pitch_range loads, range not recorded: %s", err.msg);
    model_free(&back);
    {
        Generator *g;
        REQUIRE(model_load(&back, old, 0, 0, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(gen_new(&g, &back, NULL, 1, &err) == REEL_OK, "%s", err.msg);
        CHECK(gen_range(g).lo == 0 && gen_range(g).hi == 127, "and keeps to its encoding's");
        gen_free(g);
        model_free(&back);
    }
    static const char *const damaged[] = {"pitch_range 90 40\n", "pitch_range 0 128\n",
                                          "pitch_range 60\n", "pitch_range 60 70 x\n"};
    for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) {
        rewrite_range(old, buf, len, damaged[i]);
        CHECK(model_load(&back, old, 0, 0, &err) == REEL_EFORMAT && strstr(err.msg, "pitch_range"),
              "'%.*s' is damage: %s", (int)strlen(damaged[i]) - 1, damaged[i], err.msg);
        model_free(&back);
    }
    free(buf);
    m.range = range_none();
    REQUIRE(model_save(&m, path, false, &err) == REEL_OK, "%s", err.msg);
    buf = test_read(path, &len);
    CHECK(strstr((const char *)buf, "pitch_range") == NULL, "no range, no line");
    free(buf);
    model_free(&m);
}

/* range_of_tunes: after encoding (melody keeps a chord's top note; roll13
 * in the encoding's frame). */
static void test_of_tunes(void)
{
    Tune t[2];
    PitchRange r;
    ReelError err;
    tune_init(&t[0]);
    tune_init(&t[1]);
    REQUIRE(tune_add_note(&t[0], 0, 4, 50, 80, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_note(&t[0], 0, 4, 62, 80, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_note(&t[0], 4, 4, 64, 80, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_note(&t[1], 0, 4, 81, 80, &err) == REEL_OK, "%s", err.msg);
    tune_sort(&t[0]);
    REQUIRE(range_of_tunes(&(EncOpts){.kind = ENC_MELODY}, NULL, t, 2, &r, &err) == REEL_OK,
            "%s", err.msg);
    CHECK(r.lo == 62 && r.hi == 81, "melody: the chord's low note is not kept (%d..%d)", r.lo,
          r.hi);
    REQUIRE(range_of_tunes(&(EncOpts){.kind = ENC_ROLL128}, NULL, t, 2, &r, &err) == REEL_OK,
            "%s", err.msg);
    CHECK(r.lo == 50 && r.hi == 81, "roll128 keeps chords (%d..%d)", r.lo, r.hi);
    REQUIRE(range_of_tunes(&(EncOpts){.kind = ENC_ROLL13}, NULL, t, 2, &r, &err) == REEL_OK,
            "%s", err.msg);
    CHECK(r.lo >= 60 && r.hi <= 72, "roll13: in C4..C5 (%d..%d)", r.lo, r.hi);
    REQUIRE(range_of_tunes(&(EncOpts){.kind = ENC_MELODY}, NULL, t, 0, &r, &err) == REEL_OK,
            "%s", err.msg);
    CHECK(!range_known(r), "no tunes: none");
    tune_free(&t[0]);
    tune_free(&t[1]);
}

static void note(Tune *t, int32_t at, int32_t d, int p)
{
    ReelError err;
    REQUIRE(tune_add_note(t, at, d, p, 80, &err) == REEL_OK, "%s", err.msg);
}

static void test_key_best(void)
{
    double flat[12] = {0}, c_major[12] = {5, 0, 2, 0, 3, 2, 0, 4, 0, 2, 0, 1};
    double a_minor[12] = {2, 0, 2, 3, 3, 2, 0, 2, 1, 5, 0, 1}, ones[12];
    bool minor = true;
    for (int i = 0; i < 12; i++)
        ones[i] = 1.0;
    CHECK(keyprofile_best(flat, &minor) == -1 && keyprofile_best(ones, NULL) == -1,
          "no notes, or all alike: no key");
    CHECK(keyprofile_best(c_major, &minor) == 0 && !minor, "C major");
    CHECK(keyprofile_best(a_minor, &minor) == 9 && minor, "A minor");
}

static void test_cadence_rule(void)
{
    static const int line[] = {67, 64, 62, 60, 62, 64, 67, 72, 71, 69, 67, 65, 64, 62};
    Tune t;
    Cadence c;
    ReelError err;
    tune_init(&t);
    for (int i = 0; i < 14; i++)
        note(&t, 2 * i, 2, line[i]);
    note(&t, 28, 4, 60);  /* C4 held a beat to the bar line at 32 */
    tune_sort(&t);
    CHECK(cadence_at(&t, 32, &c) && c.tonic == 0 && !c.minor && c.held == 4,
          "C major ending on C held a beat (tonic %d, held %d)", c.tonic, (int)c.held);
    t.notes[t.n_notes - 1].dur = 2;
    CHECK(!cadence_at(&t, 32, &c), "the tonic held an eighth is no cadence (held %d)",
          (int)c.held);
    t.notes[t.n_notes - 1].dur = 4;
    t.notes[t.n_notes - 1].pitch = 62;
    CHECK(!cadence_at(&t, 32, &c) && c.last_pitch == 62 && c.tonic != 2, "ending on D is none "
          "(tonic %d)", c.tonic);
    CHECK(!cadence_at(&t, 29, &c) && c.held == 1, "a tonic cut by the bar line after a step");
    REQUIRE(tune_add_sig(&t, 0, 6, 8, &err) == REEL_OK, "%s", err.msg);
    t.notes[t.n_notes - 1].pitch = 60;
    CHECK(!cadence_at(&t, 32, &c) && c.beat == 6, "6/8: a beat is a dotted quarter (%d)",
          (int)c.beat);
    tune_free(&t);
    tune_init(&t);
    CHECK(!cadence_at(&t, 16, &c) && c.tonic == -1, "no notes, no cadence");
    tune_free(&t);
}

/* --end cadence on random models: stopping before the limit means the last
 * bar line has a cadence, so the last note is on the tonic. */
static void test_cadence_stop(void)
{
    static const EncOpts encs[] = {{.kind = ENC_MELODY}, {.kind = ENC_TOKENS, .durations = true}};
    long early = 0, limit = 0;
    Prime p;
    ReelError err;
    REQUIRE(prime_init(&p, "rests", -1, &err) == REEL_OK, "%s", err.msg);
    for (int e = 0; e < 2; e++) {
        Model m;
        random_model(&m, encs[e], 70 + (uint64_t)e);
        for (uint64_t s = 1; s <= 60; s++) {
            GenRequest rq = genreq_defaults();
            GenResult r;
            rq.bars = 2;
            rq.seed = s;
            rq.to_cadence = true;
            rq.so.temperature = 0.7f;
            REQUIRE(genreq_run(&rq, &m, &p, &r, &err) == REEL_OK, "%s", err.msg);
            CHECK(r.extra_bars <= GENREQ_CADENCE_BARS, "at most %d bars more (%d)",
                  GENREQ_CADENCE_BARS, r.extra_bars);
            CHECK(r.tune.n_steps == gen_bar_step(&r.tune, 2 + r.extra_bars),
                  "ends on the bar line");
            if (r.cadence) {
                double h[12] = {0};
                int32_t last = r.tune.n_notes - 1;
                early++;
                for (int32_t i = 0; i < r.tune.n_notes; i++)
                    h[r.tune.notes[i].pitch % 12] += fmin(r.tune.notes[i].dur,
                                                          r.tune.n_steps - r.tune.notes[i].onset);
                CHECK(last >= 0 && r.tune.notes[last].pitch % 12 == keyprofile_best(h, NULL) &&
                          cadence_at(&r.tune, r.tune.n_steps, NULL),
                      "seed %llu: stopped early on the tonic", (unsigned long long)s);
            } else {
                limit++;
                CHECK(r.extra_bars == GENREQ_CADENCE_BARS, "no cadence: only at the limit");
            }
            genreq_free(&r);
        }
        model_free(&m);
    }
    fprintf(stderr, "--end cadence: %ld stopped at a cadence, %ld at the limit\n", early, limit);
    CHECK(early >= 5, "some stopped at a cadence (%ld): the check means something", early);
    prime_free(&p);
}

/* The shipped models (run from the top of the tree): 16 bars at T = 0.5 to 2
 * as reel generate makes them, many seeds, write as ABC and MIDI and keep
 * to the model's recorded range. */
static void test_shipped_exports(void)
{
    static const char *const models[] = {"models/fiddle-lookback.reel", "models/fiddle-melody.reel",
                                         "models/paper-roll13.reel", "models/pop909-melody.reel"};
    static const float temps[] = {0.5f, 1.0f, 1.5f, 2.0f};
    const char *dir = test_tmpdir();
    char mid[600];
    Prime p;
    ReelError err;
    snprintf(mid, sizeof mid, "%s/x.mid", dir);
    REQUIRE(prime_init(&p, "rests", -1, &err) == REEL_OK, "%s", err.msg);
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        Model m;
        long runs = 0, abc = 0, midi = 0, outside = 0;
        REQUIRE(model_load(&m, models[k], 0, 0, &err) == REEL_OK, "%s", err.msg);
        CHECK(range_known(m.range), "%s records its range", models[k]);
        /* quick (valgrind): the wildest temperature, one short melody a model */
        for (int ti = test_quick() ? 3 : 0; ti < 4; ti++)
            for (uint64_t s = 1; s <= (test_quick() ? 1 : 20); s++) {
                GenRequest rq = genreq_defaults();
                GenResult r;
                MidiWriteOpts wo = {0, -1, NULL, 0};
                char *text = NULL;
                rq.model_path = models[k];
                rq.bars = test_quick() ? 2 : 16;
                rq.seed = s;
                rq.so.temperature = temps[ti];
                REQUIRE(genreq_run(&rq, &m, &p, &r, &err) == REEL_OK, "%s", err.msg);
                runs++;
                abc += abcout_text(&r.tune, NULL, &text, &err) == REEL_OK;
                free(text);
                midi += midi_write_tune(mid, &r.tune, &wo, &err) == REEL_OK;
                for (int32_t i = 0; i < r.tune.n_notes; i++)
                    if (!range_has(m.range, r.tune.notes[i].pitch)) {
                        outside++;
                        break;
                    }
                genreq_free(&r);
            }
        CHECK(abc == runs && midi == runs && outside == 0,
              "%s: of %ld melodies %ld wrote ABC, %ld MIDI, %ld left the range", models[k],
              runs, abc, midi, outside);
        model_free(&m);
    }
    prime_free(&p);
}

int main(void)
{
    test_parse();
    test_range_rules();
    test_of_tunes();
    test_file();
    test_never_outside();
    test_key_best();
    test_cadence_rule();
    test_cadence_stop();
    test_shipped_exports();
    TEST_END();
}
