/* test_abcout.c — the ABC writer: key estimate, spelling, bars and ties in
 * the text, refusal of chords, and a round trip through abc2midi (the same
 * path `reel corpus` reads ABC by) for many random monophonic tunes that must
 * come back note for note. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abcout.h"
#include "corpus.h"
#include "rng.h"
#include "testlib.h"
#include "tune.h"

static void add(Tune *t, int32_t onset, int32_t dur, int pitch)
{
    ReelError err;
    REQUIRE(tune_add_note(t, onset, dur, pitch, 90, &err) == REEL_OK, "%s", err.msg);
}

static Tune make(int num, int den)
{
    Tune t;
    ReelError err;
    tune_init(&t);
    REQUIRE(tune_add_sig(&t, 0, num, den, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_tempo(&t, 0, 500000, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_set_strings(&t, "test tune", NULL, NULL, &err) == REEL_OK, "%s", err.msg);
    return t;
}

/* The body of the ABC text: everything after the K: line. */
static char *body_of(const Tune *t)
{
    char *text = NULL, *k, *body;
    ReelError err;
    REQUIRE(abcout_text(t, NULL, &text, &err) == REEL_OK, "%s", err.msg);
    k = strstr(text, "\nK:");
    REQUIRE(k != NULL, "no K: line in\n%s", text);
    k = strchr(k + 1, '\n');
    body = strdup(k + 1);
    free(text);
    return body;
}

static void test_key(void)
{
    static const int cmaj[] = {60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60};
    static const int amin[] = {57, 60, 64, 69, 64, 60, 57, 59, 60, 62, 64, 57, 56, 57};
    static const int gmaj[] = {55, 59, 62, 67, 66, 64, 62, 67, 66, 62, 55, 67};
    static const int bbmaj[] = {58, 62, 65, 70, 65, 62, 63, 60, 58, 65, 70};
    struct {
        const int *p;
        int n;
        const char *want;
    } cases[] = {
        {cmaj, 11, "C"}, {amin, 14, "Am"}, {gmaj, 12, "G"}, {bbmaj, 11, "Bb"},
    };
    char name[8];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        Tune t = make(4, 4);
        AbcKey k;
        for (int i = 0; i < cases[c].n; i++)
            add(&t, 4 * i, 4, cases[c].p[i]);
        /* Weight the tonic: a long final note, as tunes end. */
        add(&t, 4 * cases[c].n, 16, cases[c].p[0]);
        tune_sort(&t);
        k = abcout_key_estimate(&t);
        abcout_key_name(k, name);
        CHECK(strcmp(name, cases[c].want) == 0, "key of case %zu: %s, wanted %s (score %.3f)", c,
              name, cases[c].want, k.score);
        tune_free(&t);
    }
    {
        Tune t = make(4, 4);
        AbcKey k = abcout_key_estimate(&t);
        CHECK(k.tonic == 0 && !k.minor && k.score == 0.0, "empty tune: C major");
        tune_free(&t);
    }
    {
        AbcKey k = {6, false, 6, 0};
        CHECK(strcmp(abcout_key_name(k, name), "F#") == 0, "F# major named %s", name);
        k.tonic = 3;
        k.minor = true;
        CHECK(strcmp(abcout_key_name(k, name), "D#m") == 0, "D# minor named %s", name);
        k.tonic = 10;
        CHECK(strcmp(abcout_key_name(k, name), "Bbm") == 0, "Bb minor named %s", name);
    }
}

static void test_text(void)
{
    char *text, *body;
    ReelError err;
    AbcOutOpts o = {3, "Reel of Tests", "reel 0.1.0 generate: model m.reel\nseed 42"};

    /* Header fields, provenance, a C major bar of quarter notes. */
    {
        Tune t = make(4, 4);
        add(&t, 0, 4, 60);
        add(&t, 4, 4, 62);
        add(&t, 8, 4, 64);
        add(&t, 12, 4, 65);
        add(&t, 16, 16, 60);
        tune_sort(&t);
        t.program = 40;
        REQUIRE(abcout_text(&t, &o, &text, &err) == REEL_OK, "%s", err.msg);
        CHECK(strncmp(text, "X:3\nT:Reel of Tests\n", 20) == 0, "X: and T: first:\n%s", text);
        CHECK(strstr(text, "% reel 0.1.0 generate: model m.reel\n% seed 42\n") != NULL,
              "provenance as comments:\n%s", text);
        CHECK(strstr(text, "N:reel 0.1.0 generate: model m.reel; seed 42\n") != NULL,
              "provenance as N:\n%s", text);
        CHECK(strstr(text, "M:4/4\nL:1/8\nQ:1/4=120\n") != NULL, "M: L: Q:\n%s", text);
        CHECK(strstr(text, "%%MIDI program 40\n") != NULL, "program\n%s", text);
        CHECK(strstr(text, "K:C\nC2 D2 E2 F2 | C8|]\n") != NULL, "body:\n%s", text);
        free(text);
        tune_free(&t);
    }
    /* 2/4 (L:1/16): octaves, sixteenths and a dotted eighth beamed by beat,
     * a tie over the bar line. */
    {
        Tune t = make(2, 4);
        add(&t, 0, 1, 48);   /* C3 */
        add(&t, 1, 1, 72);   /* C5 */
        add(&t, 2, 2, 84);   /* C6 */
        add(&t, 4, 3, 59);   /* B3 */
        add(&t, 7, 3, 60);   /* over the bar line: 1 + 2 */
        add(&t, 10, 6, 86);  /* D6, dotted quarter */
        tune_sort(&t);
        body = body_of(&t);
        CHECK(strcmp(body, "C,cc'2 B,3C- | C2d'6|]\n") == 0, "octaves and tie: [%s]", body);
        REQUIRE(abcout_text(&t, NULL, &text, &err) == REEL_OK, "%s", err.msg);
        CHECK(strstr(text, "M:2/4\nL:1/16\n") != NULL, "2/4 in sixteenths:\n%s", text);
        free(text);
        free(body);
        tune_free(&t);
    }
    /* Accidentals in G major: F natural, then carried through the bar (same
     * octave only: the f above needs its own), F sharp restored with ^ in the
     * same bar, and the natural written again after the bar line. */
    {
        Tune t = make(3, 4);
        static const int p[] = {67, 71, 74, 79, 78, 79, 67, 71, 74, 79, 78, 79,
                                65, 65, 77, 66, 67, 67, 65, 67, 66, 67};
        for (int i = 0; i < 22; i++)
            add(&t, 2 * i, 2, p[i]);
        add(&t, 48, 4, 67);
        add(&t, 52, 8, 79);
        tune_sort(&t);
        REQUIRE(abcout_text(&t, NULL, &text, &err) == REEL_OK, "%s", err.msg);
        CHECK(strstr(text, "K:G\n") != NULL, "G major:\n%s", text);
        free(text);
        body = body_of(&t);
        CHECK(strcmp(body, "GB dg fg | GB dg fg | =FF =f^F GG | =FG ^FG z2 |\nG2 g4|]\n") == 0,
              "accidentals: [%s]", body);
        free(body);
        tune_free(&t);
    }
    /* 6/8: beamed in dotted quarters; a long note split into tied pieces
     * over the bar line (12 + 8 + 2 sixteenths). */
    {
        Tune t = make(6, 8);
        static const int p[] = {62, 64, 66};
        for (int i = 0; i < 6; i++)
            add(&t, 2 * i, 2, p[i % 3]);
        add(&t, 12, 22, 69);
        tune_sort(&t);
        body = body_of(&t);
        CHECK(strcmp(body, "DEF DEF | A6- | A4-A|]\n") == 0, "6/8: [%s]", body);
        free(body);
        tune_free(&t);
    }
    /* Flat keys: Bb major spells Eb from the signature and E natural with =;
     * D minor raises its leading note to C#. */
    {
        Tune t = make(4, 4);
        static const int p[] = {58, 62, 65, 70, 63, 62, 60, 58, 64, 65, 58, 58};
        for (int i = 0; i < 12; i++)
            add(&t, 4 * i, 4, p[i]);
        tune_sort(&t);
        body = body_of(&t);
        CHECK(strcmp(body, "B,2 D2 F2 B2 | E2 D2 C2 B,2 | =E2 F2 B,2 B,2|]\n") == 0,
              "Bb major: [%s]", body);
        free(body);
        tune_free(&t);
    }
    {
        Tune t = make(4, 4);
        static const int p[] = {62, 65, 69, 74, 73, 74, 69, 65, 64, 62, 61, 62};
        for (int i = 0; i < 12; i++)
            add(&t, 4 * i, 4, p[i]);
        add(&t, 48, 16, 62);
        tune_sort(&t);
        REQUIRE(abcout_text(&t, NULL, &text, &err) == REEL_OK, "%s", err.msg);
        CHECK(strstr(text, "K:Dm\n") != NULL, "D minor:\n%s", text);
        free(text);
        body = body_of(&t);
        CHECK(strcmp(body, "D2 F2 A2 d2 | ^c2 d2 A2 F2 | E2 D2 ^C2 D2 | D8|]\n") == 0,
              "D minor: [%s]", body);
        free(body);
        tune_free(&t);
    }
    /* Chords are refused with a pointer to MIDI. */
    {
        Tune t = make(4, 4);
        add(&t, 0, 4, 60);
        add(&t, 0, 4, 64);
        add(&t, 2, 4, 67);
        tune_sort(&t);
        text = NULL;
        CHECK(abcout_text(&t, NULL, &text, &err) == REEL_EARG, "chords refused");
        CHECK(text == NULL, "no text for chords");
        CHECK(strstr(err.msg, ".mid") != NULL && strstr(err.msg, "2 notes") != NULL,
              "message: %s", err.msg);
        tune_free(&t);
    }
}

/* ---- round trip through abc2midi -------------------------------------- */

static const int major_steps[7] = {0, 2, 4, 5, 7, 9, 11};
static const int minor_steps[7] = {0, 2, 3, 5, 7, 8, 10};

static Tune random_tune(Rng *r, int num, int den, int *tonic_out, bool *minor_out)
{
    Tune t = make(num, den);
    int tonic = (int)rng_below(r, 12);
    bool minor = rng_below(r, 2) == 1;
    int32_t pos = 0, bar = (int32_t)num * 16 / den;
    int32_t len = bar * (int32_t)(4 + rng_below(r, 6));
    int degree = 7 * 5 + (int)rng_below(r, 7);
    static const int32_t durs[] = {1, 2, 2, 2, 2, 3, 4, 4, 6, 8, 12, 5, 7, 10, 20};
    ReelError err;
    if (rng_below(r, 3) == 0) {
        /* a tempo other than 120 */
        REQUIRE(tune_add_tempo(&t, 0, 60000000 / (int32_t)(60 + rng_below(r, 100)), &err) ==
                    REEL_OK, "%s", err.msg);
    }
    while (pos < len) {
        int32_t d = durs[rng_below(r, sizeof durs / sizeof durs[0])];
        if (pos + d > len)
            d = len - pos;
        if (rng_below(r, 8) == 0) {
            pos += d; /* a rest */
            continue;
        }
        degree += (int)rng_below(r, 5) - 2;
        if (degree < 7 * 3)
            degree = 7 * 3 + 2;
        if (degree > 7 * 7)
            degree = 7 * 7 - 2;
        {
            int oct = degree / 7, step = degree % 7;
            int p = 12 * oct + tonic + (minor ? minor_steps[step] : major_steps[step]);
            if (rng_below(r, 6) == 0)
                p += rng_below(r, 2) ? 1 : -1; /* chromatic */
            if (p < 36)
                p = 36;
            if (p > 96)
                p = 96;
            add(&t, pos, d, p);
        }
        pos += d;
    }
    t.n_steps = len;
    tune_sort(&t);
    *tonic_out = tonic;
    *minor_out = minor;
    return t;
}

static void test_round_trip(void)
{
    static const int metres[][2] = {{2, 4}, {3, 4}, {4, 4}, {6, 8}, {9, 8}};
    const char *dir = test_tmpdir();
    Rng r;
    long tunes = 0, exact = 0, notes = 0, accidentals = 0, ties = 0, keys_seen = 0;
    bool key_seen[24] = {false};
    rng_seed(&r, 20240601);
    for (int i = 0; i < 60; i++) {
        int num = metres[i % 5][0], den = metres[i % 5][1], tonic;
        bool minor;
        Tune t = random_tune(&r, num, den, &tonic, &minor);
        char path[600];
        char *text = NULL;
        Corpus c;
        ReelError err;
        AbcKey k;
        snprintf(path, sizeof path, "%s/t%02d.abc", dir, i);
        REQUIRE(abcout_write(path, &t, NULL, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(abcout_text(&t, NULL, &text, &err) == REEL_OK, "%s", err.msg);
        k = abcout_key_estimate(&t);
        if (!key_seen[k.tonic * 2 + k.minor]) {
            key_seen[k.tonic * 2 + k.minor] = true;
            keys_seen++;
        }
        for (char *s = strstr(text, "\nK:"); s && *s; s++) {
            accidentals += *s == '^' || *s == '_' || *s == '=';
            ties += *s == '-';
        }
        corpus_init(&c);
        corpus_load_file(&c, path, NULL);
        CHECK(c.n_tunes == 1, "%s: %d tunes loaded (%s)", path, (int)c.n_tunes,
              c.n_skips ? c.skips[0].err.msg : "");
        if (c.n_tunes == 1) {
            const Tune *b = &c.tunes[0];
            long m = tune_count_matching(&t, b);
            TimeSig s = tune_sig_at(b, 0);
            bool same = m == t.n_notes && b->n_notes == t.n_notes;
            CHECK(same, "%s: %ld of %ld notes came back (%ld loaded) from\n%s", path, m,
                  (long)t.n_notes, (long)b->n_notes, text);
            CHECK(s.num == num && s.den == den, "%s: metre %d/%d came back as %d/%d", path, num,
                  den, s.num, s.den);
            CHECK(abs(tune_tempo_at(b, 0) - tune_tempo_at(&t, 0)) * 200 <=
                      tune_tempo_at(&t, 0),
                  "%s: tempo %d came back as %d", path, tune_tempo_at(&t, 0),
                  tune_tempo_at(b, 0));
            exact += same;
            notes += t.n_notes;
        }
        tunes++;
        free(text);
        corpus_free(&c);
        tune_free(&t);
        unlink(path);
    }
    rmdir(dir);
    fprintf(stderr, "round trip: %ld of %ld tunes exact (%ld notes, %ld accidentals, %ld ties, "
                    "%ld keys)\n", exact, tunes, notes, accidentals, ties, keys_seen);
    CHECK(exact == tunes, "every tune exact");
    CHECK(accidentals > 100, "the tunes exercised accidentals (%ld)", accidentals);
    CHECK(ties > 50, "the tunes exercised ties (%ld)", ties);
    CHECK(keys_seen >= 10, "the tunes were in many keys (%ld)", keys_seen);
}

/* Every pitch from C0 to G9, between notes that set accidentals in the bar
 * (other octaves, other letters), in several keys: exact after abc2midi. */
static void test_range(void)
{
    static const int bases[] = {60, 65, 66, 62, 70, 57};
    const char *dir = test_tmpdir();
    char path[600];
    for (size_t k = 0; k < sizeof bases / sizeof bases[0]; k++) {
        Tune t = make(4, 4);
        Corpus c;
        ReelError err;
        int32_t pos = 0;
        for (int p = 12; p < 128; p++) {
            add(&t, pos, 2, p);
            pos += 2;
            for (int j = 0; j < 3; j++) {
                add(&t, pos, 2, bases[k] + (p * 5 + j * 7) % 12);
                pos += 2;
            }
        }
        tune_sort(&t);
        snprintf(path, sizeof path, "%s/range%zu.abc", dir, k);
        REQUIRE(abcout_write(path, &t, NULL, &err) == REEL_OK, "%s", err.msg);
        corpus_init(&c);
        corpus_load_file(&c, path, NULL);
        REQUIRE(c.n_tunes == 1, "%s loads", path);
        CHECK(tune_count_matching(&t, &c.tunes[0]) == t.n_notes &&
              c.tunes[0].n_notes == t.n_notes, "%s: %ld of %ld notes back", path,
              tune_count_matching(&t, &c.tunes[0]), (long)t.n_notes);
        corpus_free(&c);
        tune_free(&t);
        unlink(path);
    }
    rmdir(dir);
}

static void test_write_errors(void)
{
    /* Below C0 (issue 13: every MIDI pitch is written): octave -1 carries
     * its accidental on every note (abc2midi misreads the key signature
     * there; test_abcrange reads every pitch back); C0 itself as before. */
    {
        Tune t = make(4, 4);
        char *text = NULL;
        ReelError err;
        add(&t, 0, 4, 11);
        tune_sort(&t);
        CHECK(abcout_text(&t, NULL, &text, &err) == REEL_OK && strstr(text, "=B,,,,,2"),
              "B-1 written: %s", text ? text : err.msg);
        free(text);
        text = NULL;
        t.notes[0].pitch = 12;
        CHECK(abcout_text(&t, NULL, &text, &err) == REEL_OK && strstr(text, "C,,,,2"),
              "C0 written: %s", text ? text : err.msg);
        free(text);
        tune_free(&t);
    }
    Tune t = make(4, 4);
    ReelError err;
    add(&t, 0, 4, 60);
    tune_sort(&t);
    CHECK(abcout_write("/nonexistent-folder/x.abc", &t, NULL, &err) == REEL_EIO,
          "unwritable folder");
    CHECK(strstr(err.msg, "/nonexistent-folder/x.abc") != NULL, "path named: %s", err.msg);
    tune_free(&t);
}

int main(void)
{
    test_key();
    test_text();
    test_write_errors();
    test_range();
    test_round_trip();
    TEST_END();
}
