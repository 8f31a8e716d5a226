/* test_encode.c — every encoding on hand-made tunes: exact round trips where
 * the encoding can carry the notes, the documented losses where it cannot,
 * then random tunes (fixed seed) and a timing check. */
#include "clock.h"
#include "encode.h"
#include "testlib.h"

#include <math.h>
#include <stdint.h>
#include <time.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

typedef struct {
    uint64_t s;
} Rng;

static uint32_t rng_next(Rng *r)
{
    uint64_t x = r->s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    r->s = x;
    return (uint32_t)(x >> 32);
}

static int rng_int(Rng *r, int lo, int hi) /* lo..hi inclusive */
{
    return lo + (int)(rng_next(r) % (uint32_t)(hi - lo + 1));
}

static void mk(Tune *t, const char *name)
{
    ReelError err;
    ReelStatus s;
    tune_init(t);
    s = tune_set_strings(t, name, NULL, NULL, &err);
    REQUIRE(s == REEL_OK, "names: %s", err.msg);
}

static void add(Tune *t, int32_t onset, int32_t dur, int pitch)
{
    ReelError err;
    ReelStatus s = tune_add_note(t, onset, dur, pitch, 100, &err);
    if (s != REEL_OK) /* setup: counted as a check only when it fails */
        REQUIRE(s == REEL_OK, "add note: %s", err.msg);
}

static void addv(Tune *t, int32_t onset, int32_t dur, int pitch, int vel)
{
    ReelError err;
    ReelStatus s = tune_add_note(t, onset, dur, pitch, vel, &err);
    if (s != REEL_OK) /* setup: counted as a check only when it fails */
        REQUIRE(s == REEL_OK, "add note: %s", err.msg);
}

static void sig(Tune *t, int32_t step, int num, int den)
{
    ReelError err;
    ReelStatus s = tune_add_sig(t, step, num, den, &err);
    if (s != REEL_OK) /* setup: counted as a check only when it fails */
        REQUIRE(s == REEL_OK, "add sig: %s", err.msg);
}

static EncOpts opts(EncKind k)
{
    EncOpts o;
    memset(&o, 0, sizeof o);
    o.kind = k;
    return o;
}

static void encode(const EncOpts *o, const Vocab *v, const Tune *t, Encoded *e)
{
    ReelError err;
    ReelStatus s;
    reel_error_clear(&err);
    s = enc_encode(o, v, t, e, &err);
    REQUIRE(s == REEL_OK, "encode %s of %s: %s", enc_name(o->kind), t->name, err.msg);
}

static void decode(const EncOpts *o, const Vocab *v, const Encoded *e, const Tune *meta,
                   Tune *out)
{
    ReelError err;
    ReelStatus s;
    reel_error_clear(&err);
    s = enc_decode(o, v, e, meta, out, &err);
    REQUIRE(s == REEL_OK, "decode %s: %s", enc_name(o->kind), err.msg);
}

/* Encode, decode with t as meta, return the decoded tune in *out. */
static void round_trip(const EncOpts *o, const Vocab *v, const Tune *t, Tune *out,
                       EncStats *st)
{
    Encoded e;
    encode(o, v, t, &e);
    if (st)
        *st = e.st;
    decode(o, v, &e, t, out);
    enc_free(&e);
}

static bool has_note(const Tune *t, int32_t onset, int32_t dur, int pitch)
{
    for (int32_t i = 0; i < t->n_notes; i++)
        if (t->notes[i].onset == onset && t->notes[i].dur == dur && t->notes[i].pitch == pitch)
            return true;
    return false;
}

/* Same notes (pitch, onset, duration), as multisets. */
static bool same_notes(const Tune *a, const Tune *b)
{
    return a->n_notes == b->n_notes && tune_count_matching(a, b) == a->n_notes;
}

static void dump(const char *what, const Tune *t)
{
    fprintf(stderr, "  %s (%ld notes, %ld steps):", what, (long)t->n_notes, (long)t->n_steps);
    for (int32_t i = 0; i < t->n_notes && i < 40; i++)
        fprintf(stderr, " %d@%ld+%ld", t->notes[i].pitch, (long)t->notes[i].onset,
                (long)t->notes[i].dur);
    fputc('\n', stderr);
}

/* Check an exact round trip; on failure show both tunes. */
static void expect_exact(const EncOpts *o, const Vocab *v, const Tune *t, const char *what)
{
    Tune d;
    round_trip(o, v, t, &d, NULL);
    CHECK(same_notes(t, &d), "%s: %s does not round-trip exactly", what, enc_name(o->kind));
    if (!same_notes(t, &d)) {
        dump("in", t);
        dump("out", &d);
    }
    tune_free(&d);
}

static Vocab *vocab_of(const EncOpts *o, const Tune *const *tunes, int n)
{
    Vocab *v = vocab_new();
    REQUIRE(v != NULL, "vocab_new");
    for (int i = 0; i < n; i++) {
        ReelError err;
        ReelStatus s = enc_tokens_count(o, tunes[i], v, &err);
        REQUIRE(s == REEL_OK, "count tokens: %s", err.msg);
    }
    vocab_finish(v);
    return v;
}

static const char *tok_at(const Vocab *v, const Encoded *e, int32_t i)
{
    return i < e->n ? vocab_token(v, e->ids[i]) : "(none)";
}

/* ------------------------------------------------------------------------ */
/* Names and widths                                                          */

static void test_names(void)
{
    static const char *const names[ENC_COUNT] = {"roll13", "roll13o", "roll128",
                                                 "melody", "tokens", "regress"};
    static const int widths[ENC_COUNT] = {13, 26, 256, 130, 7, 3};
    Vocab *v = vocab_new();
    REQUIRE(v != NULL, "vocab_new");
    for (int i = 0; i < 6; i++) {
        char tok[16];
        snprintf(tok, sizeof tok, "C%d", i);
        vocab_count(v, tok);
    }
    vocab_finish(v);
    for (int k = 0; k < ENC_COUNT; k++) {
        EncOpts o = opts((EncKind)k);
        CHECK(strcmp(enc_name((EncKind)k), names[k]) == 0, "name of %d: %s", k,
              enc_name((EncKind)k));
        CHECK(enc_parse(names[k]) == (EncKind)k, "parse %s", names[k]);
        CHECK(strlen(enc_describe((EncKind)k)) > 20, "description of %s", names[k]);
        CHECK(enc_width(&o, v) == widths[k], "width of %s: %d, want %d", names[k],
              enc_width(&o, v), widths[k]);
        CHECK(enc_is_classes((EncKind)k) == (k == ENC_MELODY || k == ENC_TOKENS),
              "classes flag of %s", names[k]);
    }
    CHECK(enc_parse("roll13-onset") == ENC_ROLL13_ONSET, "alias roll13-onset");
    CHECK(enc_parse("roll12") == ENC_COUNT && enc_parse("") == ENC_COUNT &&
              enc_parse(NULL) == ENC_COUNT && enc_parse("Roll13") == ENC_COUNT,
          "unknown names");
    CHECK(strcmp(enc_name(ENC_COUNT), "?") == 0, "name of ENC_COUNT");
    {
        EncOpts o = opts(ENC_TOKENS);
        CHECK(enc_width(&o, NULL) == 0, "tokens without a vocabulary: width 0");
        o.durations = true;
        CHECK(enc_width(&o, v) == 7, "tokens with durations: vocabulary size");
        o = opts(ENC_ROLL13);
        o.plain = true;
        CHECK(enc_width(&o, NULL) == 13, "plain roll13 width");
    }
    vocab_free(v);
}

/* ------------------------------------------------------------------------ */
/* roll13                                                                    */

static void test_roll13_frames(void)
{
    Tune t, d;
    Encoded e;
    EncOpts o = opts(ENC_ROLL13);
    mk(&t, "frames");
    add(&t, 0, 4, 60);
    add(&t, 4, 2, 64);
    add(&t, 4, 3, 72);
    tune_sort(&t);
    encode(&o, NULL, &t, &e);
    CHECK(e.kind == ENC_ROLL13 && e.n == 7 && e.f == 13 && e.x && !e.ids, "shape n=%ld f=%d",
          (long)e.n, e.f);
    CHECK(e.shift == 0, "no shift for a tune in range: %d", e.shift);
    CHECK(e.st.notes == 3 && e.st.shifted == 0 && e.st.folded == 0 && e.st.dropped == 0,
          "stats %ld %ld %ld %ld", e.st.notes, e.st.shifted, e.st.folded, e.st.dropped);
    for (int s = 0; s < 7; s++)
        for (int q = 0; q < 13; q++) {
            float want = (q == 0 && s < 4) || (q == 4 && s >= 4 && s < 6) ||
                                 (q == 12 && s >= 4)
                             ? 1.0f
                             : 0.0f;
            CHECK(e.x[s * 13 + q] == want, "frame %d pitch %d = %g", s, 60 + q,
                  (double)e.x[s * 13 + q]);
        }
    decode(&o, NULL, &e, &t, &d);
    CHECK(same_notes(&t, &d), "simple roll13 round trip");
    CHECK(d.n_steps == 7, "decoded length %ld", (long)d.n_steps);
    CHECK(d.n_notes == 3 && d.notes[0].vel == ENC_DECODE_VEL, "decoded velocity");
    enc_free(&e);
    CHECK(e.x == NULL && e.n == 0, "enc_free zeroes");
    enc_free(&e);
    enc_free(NULL);
    tune_free(&d);
    tune_free(&t);
}

/* Two C4s back to back at step a (each len long), decoded with roll13. */
static void repeated(const Tune *meta_sigs, int32_t a, int32_t len, Tune *d)
{
    Tune t;
    EncOpts o = opts(ENC_ROLL13);
    ReelError err;
    ReelStatus s;
    s = tune_copy_meta(&t, meta_sigs, &err);
    REQUIRE(s == REEL_OK, "copy meta");
    add(&t, a, len, 60);
    add(&t, a + len, len, 60);
    tune_sort(&t);
    round_trip(&o, NULL, &t, d, NULL);
    tune_free(&t);
}

static void test_roll13_bars(void)
{
    Tune m44, m34, m68, mchg, d;
    mk(&m44, "4/4");
    sig(&m44, 0, 4, 4);
    mk(&m34, "3/4");
    sig(&m34, 0, 3, 4);
    mk(&m68, "6/8");
    sig(&m68, 0, 6, 8);
    mk(&mchg, "4/4 then 3/4");
    sig(&mchg, 0, 4, 4);
    sig(&mchg, 16, 3, 4);

    /* 4/4: within a bar the two C4s merge into one note; across the bar
     * line at 16 they stay apart. */
    repeated(&m44, 0, 4, &d);
    CHECK(d.n_notes == 1 && has_note(&d, 0, 8, 60), "4/4: two C4s in a bar merge");
    tune_free(&d);
    repeated(&m44, 12, 4, &d);
    CHECK(d.n_notes == 2 && has_note(&d, 12, 4, 60) && has_note(&d, 16, 4, 60),
          "4/4: a bar line at 16 keeps them apart");
    tune_free(&d);
    repeated(&m44, 8, 4, &d);
    CHECK(d.n_notes == 1 && has_note(&d, 8, 8, 60), "4/4: no bar line at 12");
    tune_free(&d);

    /* 3/4: bars of 12 steps. */
    repeated(&m34, 8, 4, &d);
    CHECK(d.n_notes == 2 && has_note(&d, 8, 4, 60) && has_note(&d, 12, 4, 60),
          "3/4: bar line at 12");
    tune_free(&d);
    repeated(&m34, 12, 4, &d);
    CHECK(d.n_notes == 1 && has_note(&d, 12, 8, 60), "3/4: merge inside the second bar");
    tune_free(&d);
    repeated(&m34, 20, 4, &d);
    CHECK(d.n_notes == 2 && has_note(&d, 20, 4, 60) && has_note(&d, 24, 4, 60),
          "3/4: bar line at 24");
    tune_free(&d);

    /* 6/8: also 12 steps a bar, with eighth-note pairs. */
    repeated(&m68, 10, 2, &d);
    CHECK(d.n_notes == 2 && has_note(&d, 10, 2, 60) && has_note(&d, 12, 2, 60),
          "6/8: bar line at 12");
    tune_free(&d);
    repeated(&m68, 6, 2, &d);
    CHECK(d.n_notes == 1 && has_note(&d, 6, 4, 60), "6/8: merge at the half bar");
    tune_free(&d);

    /* A change of time signature restarts the bar count: 4/4 bar 0..16,
     * then 3/4 bars at 16, 28, 40. */
    repeated(&mchg, 24, 4, &d);
    CHECK(d.n_notes == 2 && has_note(&d, 24, 4, 60) && has_note(&d, 28, 4, 60),
          "sig change: bar line at 28");
    tune_free(&d);
    repeated(&mchg, 32, 4, &d);
    CHECK(d.n_notes == 1 && has_note(&d, 32, 8, 60), "sig change: no bar line at 36");
    tune_free(&d);

    /* meta NULL means 4/4: the 6/8 bar line at 12 is not seen. */
    {
        Tune t, n;
        Encoded e;
        EncOpts o = opts(ENC_ROLL13);
        ReelError err;
        ReelStatus s = tune_copy_meta(&t, &m68, &err);
        REQUIRE(s == REEL_OK, "copy meta");
        add(&t, 10, 2, 62);
        add(&t, 12, 2, 62);
        tune_sort(&t);
        encode(&o, NULL, &t, &e);
        decode(&o, NULL, &e, NULL, &n);
        CHECK(n.n_notes == 1 && has_note(&n, 10, 4, 62), "NULL meta decodes as 4/4");
        CHECK(n.name == NULL && n.n_sigs == 0, "NULL meta: bare tune");
        tune_free(&n);
        decode(&o, NULL, &e, &t, &n);
        CHECK(n.n_notes == 2 && strcmp(n.name, t.name) == 0 && n.n_sigs == 1,
              "meta supplies bars and names");
        tune_free(&n);
        enc_free(&e);
        tune_free(&t);
    }

    /* A note held over a bar line comes back as two notes (a loss of the
     * paper's rule). */
    {
        Tune t, n;
        EncOpts o = opts(ENC_ROLL13);
        mk(&t, "tied");
        add(&t, 12, 8, 67);
        tune_sort(&t);
        round_trip(&o, NULL, &t, &n, NULL);
        CHECK(n.n_notes == 2 && has_note(&n, 12, 4, 67) && has_note(&n, 16, 4, 67),
              "held note split at the bar line");
        tune_free(&n);
        /* roll13o keeps it whole */
        o = opts(ENC_ROLL13_ONSET);
        round_trip(&o, NULL, &t, &n, NULL);
        CHECK(n.n_notes == 1 && has_note(&n, 12, 8, 67), "roll13o keeps a tied note");
        tune_free(&n);
        tune_free(&t);
    }
    tune_free(&m44);
    tune_free(&m34);
    tune_free(&m68);
    tune_free(&mchg);
}

static void test_roll13_shift(void)
{
    /* Octave 5: eight notes in 72..84, one above (88) and one below (60). */
    static const int pitches[10] = {60, 72, 74, 76, 77, 79, 81, 83, 84, 88};
    Tune t, d;
    Encoded e;
    EncOpts o = opts(ENC_ROLL13);
    EncStats st;
    mk(&t, "octave 5");
    for (int i = 0; i < 10; i++) /* 2 steps on, 2 off: no two notes touch */
        add(&t, 4 * i, 2, pitches[i]);
    tune_sort(&t);
    encode(&o, NULL, &t, &e);
    CHECK(e.shift == -12, "shift %d, want -12", e.shift);
    CHECK(e.st.notes == 10 && e.st.shifted == 10 && e.st.folded == 2 && e.st.dropped == 0,
          "stats: notes %ld shifted %ld folded %ld dropped %ld", e.st.notes, e.st.shifted,
          e.st.folded, e.st.dropped);
    /* 72 sits at row 0 (60 after the shift), 84 at row 12; 88 folds to 64,
     * 60 to 60 (48 after the shift, folded up). */
    CHECK(e.x[4 * 13 + 0] == 1.0f, "72 -> C4 row");
    CHECK(e.x[32 * 13 + 12] == 1.0f, "84 -> C5 row");
    CHECK(e.x[36 * 13 + 4] == 1.0f, "88 folded onto E4");
    CHECK(e.x[0 * 13 + 0] == 1.0f, "60 folded onto C4");
    decode(&o, NULL, &e, &t, &d);
    CHECK(d.n_notes == 10 && tune_count_matching(&t, &d) == 8,
          "8 of 10 notes come back (%ld)", tune_count_matching(&t, &d));
    CHECK(has_note(&d, 36, 2, 76) && has_note(&d, 0, 2, 72),
          "folded notes come back an octave off");
    CHECK(has_note(&d, 32, 2, 84), "84 comes back");
    enc_free(&e);
    tune_free(&d);

    /* roll13o shifts the same way and keeps the eight. */
    o = opts(ENC_ROLL13_ONSET);
    round_trip(&o, NULL, &t, &d, &st);
    CHECK(st.shifted == 10 && st.folded == 2, "roll13o stats");
    CHECK(tune_count_matching(&t, &d) == 8, "roll13o: 8 of 10");
    tune_free(&d);

    /* Plain: no shift, only 60 and 72 survive. */
    o = opts(ENC_ROLL13);
    o.plain = true;
    encode(&o, NULL, &t, &e);
    CHECK(e.shift == 0 && e.st.shifted == 0 && e.st.folded == 0 && e.st.dropped == 8,
          "plain: shift %d shifted %ld folded %ld dropped %ld", e.shift, e.st.shifted,
          e.st.folded, e.st.dropped);
    decode(&o, NULL, &e, &t, &d);
    CHECK(d.n_notes == 2 && has_note(&d, 0, 2, 60) && has_note(&d, 4, 2, 72), "plain keeps two");
    enc_free(&e);
    tune_free(&d);
    tune_free(&t);

    /* Tie between +12 and -12 (one note each way): the downward shift wins. */
    mk(&t, "tie");
    add(&t, 0, 2, 48);
    add(&t, 2, 2, 84);
    tune_sort(&t);
    o = opts(ENC_ROLL13);
    encode(&o, NULL, &t, &e);
    CHECK(e.shift == -12 && e.st.folded == 1, "tie: shift %d folded %ld", e.shift, e.st.folded);
    enc_free(&e);
    tune_free(&t);

    /* Tie between 0 and a shift: no shift.  60..72 and 72..84 both hold a
     * lone C5. */
    mk(&t, "c5");
    add(&t, 0, 2, 72);
    tune_sort(&t);
    encode(&o, NULL, &t, &e);
    CHECK(e.shift == 0 && e.st.shifted == 0, "lone C5: shift %d", e.shift);
    enc_free(&e);
    tune_free(&t);

    /* Low octaves: a tune in octave 1 moves up by 3 octaves. */
    mk(&t, "low");
    add(&t, 0, 2, 24);
    add(&t, 2, 2, 31);
    add(&t, 4, 2, 36);
    tune_sort(&t);
    encode(&o, NULL, &t, &e);
    CHECK(e.shift == 36 && e.st.folded == 0 && e.st.shifted == 3, "low: shift %d", e.shift);
    enc_free(&e);
    expect_exact(&o, NULL, &t, "octave 1 through roll13");
    tune_free(&t);

    /* Pitch 0 and 127: no shift helps; both fold. */
    mk(&t, "extremes");
    add(&t, 0, 2, 0);
    add(&t, 2, 2, 127);
    tune_sort(&t);
    encode(&o, NULL, &t, &e);
    CHECK(e.shift == 0 && e.st.folded == 2, "extremes: shift %d folded %ld", e.shift,
          e.st.folded);
    CHECK(e.x[0 * 13 + 0] == 1.0f && e.x[2 * 13 + 7] == 1.0f, "0 -> C4, 127 -> G4");
    decode(&o, NULL, &e, &t, &d);
    CHECK(has_note(&d, 0, 2, 60) && has_note(&d, 2, 2, 67), "extremes decode folded");
    enc_free(&e);
    tune_free(&d);
    o = opts(ENC_ROLL128);
    expect_exact(&o, NULL, &t, "pitch 0 and 127 through roll128");
    o = opts(ENC_MELODY);
    expect_exact(&o, NULL, &t, "pitch 0 and 127 through melody");
    tune_free(&t);
}

/* ------------------------------------------------------------------------ */
/* Onset rolls                                                               */

static void test_onset_rolls(void)
{
    Tune t, d;
    Encoded e;
    EncOpts o = opts(ENC_ROLL13_ONSET);
    ReelError err;
    mk(&t, "repeats");
    add(&t, 0, 4, 60);
    add(&t, 4, 4, 60);
    add(&t, 8, 1, 65);
    add(&t, 9, 1, 65);
    add(&t, 10, 6, 65);
    tune_sort(&t);
    encode(&o, NULL, &t, &e);
    CHECK(e.n == 16 && e.f == 26, "roll13o shape %ld x %d", (long)e.n, e.f);
    CHECK(e.x[0 * 26 + 13] == 1.0f && e.x[4 * 26 + 13] == 1.0f && e.x[2 * 26 + 13] == 0.0f,
          "onset bits of C4");
    CHECK(e.x[3 * 26 + 0] == 1.0f && e.x[4 * 26 + 0] == 1.0f, "sounding bits of C4");
    CHECK(e.x[9 * 26 + 13 + 5] == 1.0f && e.x[10 * 26 + 13 + 5] == 1.0f, "onset bits of F4");
    decode(&o, NULL, &e, &t, &d);
    CHECK(same_notes(&t, &d), "repeated notes survive roll13o");
    enc_free(&e);
    tune_free(&d);

    o = opts(ENC_ROLL128);
    encode(&o, NULL, &t, &e);
    CHECK(e.n == 16 && e.f == 256, "roll128 shape");
    CHECK(e.x[4 * 256 + 128 + 60] == 1.0f && e.x[4 * 256 + 60] == 1.0f, "roll128 bits");
    decode(&o, NULL, &e, &t, &d);
    CHECK(same_notes(&t, &d), "repeated notes survive roll128");
    enc_free(&e);
    tune_free(&d);
    tune_free(&t);

    /* Polyphony: a chord, a touching repeat, a long bass under moving notes. */
    mk(&t, "poly");
    add(&t, 0, 4, 60);
    add(&t, 0, 4, 64);
    add(&t, 0, 4, 67);
    add(&t, 4, 4, 60);
    add(&t, 0, 32, 36);
    add(&t, 8, 2, 127);
    add(&t, 10, 2, 0);
    tune_sort(&t);
    o = opts(ENC_ROLL128);
    expect_exact(&o, NULL, &t, "polyphonic");
    tune_free(&t);

    /* Overlapping same-pitch notes cannot survive: the first is cut at the
     * second onset, which lasts to the end of the union. */
    mk(&t, "overlap");
    add(&t, 0, 8, 62);
    add(&t, 4, 2, 62);
    tune_sort(&t);
    round_trip(&o, NULL, &t, &d, NULL);
    CHECK(d.n_notes == 2 && has_note(&d, 0, 4, 62) && has_note(&d, 4, 4, 62),
          "overlap: cut at the second onset");
    tune_free(&d);
    tune_free(&t);

    /* Hand-made model output: an onset bit without the sounding bit is a
     * one-step note; sounding without an onset bit starts a note too. */
    {
        Encoded m;
        float x[5 * 26] = {0}; /* (5, 26) */
        memset(&m, 0, sizeof m);
        m.kind = ENC_ROLL13_ONSET;
        m.n = 5;
        m.f = 26;
        m.x = x;
        x[1 * 26 + 13 + 0] = 1.0f;                             /* C4 onset only at 1 */
        x[2 * 26 + 2] = x[3 * 26 + 2] = 0.9f;                  /* D4 sounding 2..3 */
        x[0 * 26 + 4] = x[1 * 26 + 4] = x[2 * 26 + 4] = 0.6f;  /* E4 0..2 */
        x[2 * 26 + 13 + 4] = 0.7f;                             /* ... onset again at 2 */
        x[4 * 26 + 5] = 0.5f;                                  /* not > 0.5 */
        o = opts(ENC_ROLL13_ONSET);
        decode(&o, NULL, &m, NULL, &d);
        CHECK(d.n_notes == 4, "model output: %ld notes", (long)d.n_notes);
        CHECK(has_note(&d, 1, 1, 60) && has_note(&d, 2, 2, 62) && has_note(&d, 0, 2, 64) &&
                  has_note(&d, 2, 1, 64),
              "model output notes");
        if (d.n_notes != 4)
            dump("model output", &d);
        tune_free(&d);
        m.shift = -12;
        decode(&o, NULL, &m, NULL, &d);
        CHECK(has_note(&d, 1, 1, 72), "decoding subtracts the shift");
        tune_free(&d);
        /* wrong width */
        m.f = 13;
        CHECK(enc_decode(&o, NULL, &m, NULL, &d, &err) == REEL_EARG, "decode with wrong width");
        m.f = 26;
        o = opts(ENC_ROLL13);
        CHECK(enc_decode(&o, NULL, &m, NULL, &d, &err) == REEL_EARG, "kind mismatch refused");
    }
}

/* ------------------------------------------------------------------------ */
/* Melody                                                                    */

static void test_melody(void)
{
    Tune t, d;
    Encoded e;
    EncOpts o = opts(ENC_MELODY);
    mk(&t, "chord");
    add(&t, 0, 4, 60);
    add(&t, 0, 4, 64);
    add(&t, 0, 4, 67);
    add(&t, 4, 8, 62); /* cut by the E4 at 8 */
    add(&t, 8, 2, 64);
    t.n_steps = 16;    /* two bars of silence at the end */
    tune_sort(&t);
    encode(&o, NULL, &t, &e);
    CHECK(e.n == 16 && e.f == 0 && e.ids && !e.x, "melody shape");
    CHECK(e.st.dropped == 2 && e.st.resized == 1, "dropped %ld resized %ld", e.st.dropped,
          e.st.resized);
    {
        static const int32_t want[16] = {2 + 67, 1, 1, 1, 2 + 62, 1, 1, 1, 2 + 64, 1,
                                         0,      0, 0, 0, 0,      0};
        for (int i = 0; i < 16; i++)
            CHECK(e.ids[i] == want[i], "class at %d: %ld, want %ld", i, (long)e.ids[i],
                  (long)want[i]);
    }
    decode(&o, NULL, &e, &t, &d);
    CHECK(d.n_notes == 3 && has_note(&d, 0, 4, 67) && has_note(&d, 4, 4, 62) &&
              has_note(&d, 8, 2, 64),
          "melody keeps the top note and cuts the overlap");
    CHECK(d.n_steps == 16, "trailing silence kept: %ld", (long)d.n_steps);
    enc_free(&e);
    tune_free(&d);
    tune_free(&t);

    /* Repeated pitch: two note-ons. */
    mk(&t, "repeat");
    add(&t, 0, 2, 69);
    add(&t, 2, 2, 69);
    add(&t, 6, 1, 69);
    tune_sort(&t);
    expect_exact(&o, NULL, &t, "melody repeats");
    tune_free(&t);

    /* Hand-made classes: holds after silence are silence; out-of-range ids
     * are silence. */
    {
        Encoded m;
        int32_t ids[8] = {1, 1, 2 + 60, 1, 0, 1, 2 + 127, 200}; /* (8) */
        memset(&m, 0, sizeof m);
        m.kind = ENC_MELODY;
        m.n = 8;
        m.ids = ids;
        decode(&o, NULL, &m, NULL, &d);
        CHECK(d.n_notes == 2 && has_note(&d, 2, 2, 60) && has_note(&d, 6, 1, 127),
              "hand-made melody");
        tune_free(&d);
    }
}

/* ------------------------------------------------------------------------ */
/* Tokens                                                                    */

static void test_token_parse(void)
{
    EncToken k;
    CHECK(enc_token_parse("C4.E4.G4/2", &k) && !k.rest && k.n == 3 && k.pitch[0] == 60 &&
              k.pitch[1] == 64 && k.pitch[2] == 67 && k.dur == 2,
          "chord with duration");
    CHECK(enc_token_parse("G4.C4.E4", &k) && k.n == 3 && k.pitch[0] == 60 && k.dur == 0,
          "unsorted chord, no duration");
    CHECK(enc_token_parse("C4.C4", &k) && k.n == 1, "duplicates collapse");
    CHECK(enc_token_parse("r/16", &k) && k.rest && k.n == 0 && k.dur == 16, "rest");
    CHECK(enc_token_parse("R", &k) && k.rest && k.dur == 0, "bare rest");
    CHECK(enc_token_parse("Bb3/8", &k) && k.n == 1 && k.pitch[0] == 58 && k.dur == 8, "flat");
    CHECK(enc_token_parse("C#4/64", &k) && k.pitch[0] == 61 && k.dur == 64, "sharp, 64");
    CHECK(enc_token_parse("C-1", &k) && k.pitch[0] == 0, "C-1");
    CHECK(enc_token_parse("C#-1.G9", &k) && k.n == 2 && k.pitch[0] == 1 && k.pitch[1] == 127,
          "C#-1.G9");
    CHECK(!enc_token_parse("G#9", &k), "pitch 128");
    CHECK(!enc_token_parse("C4/0", &k) && !enc_token_parse("C4/65", &k) &&
              !enc_token_parse("C4/", &k) && !enc_token_parse("C4/x", &k) &&
              !enc_token_parse("C4/2/2", &k),
          "bad durations");
    CHECK(!enc_token_parse("", &k) && !enc_token_parse("X4", &k) &&
              !enc_token_parse("C4..E4", &k) && !enc_token_parse("C4.", &k) &&
              !enc_token_parse(".C4", &k) && !enc_token_parse("/4", &k) &&
              !enc_token_parse("<unk>", &k) && !enc_token_parse("rr/2", &k) &&
              !enc_token_parse(NULL, &k),
          "bad tokens");
}

static void test_tokens_plain(void)
{
    Tune t, d;
    const Tune *list[1];
    Encoded e;
    EncOpts o = opts(ENC_TOKENS);
    Vocab *v;
    mk(&t, "chords");
    add(&t, 0, 4, 60);
    add(&t, 0, 4, 64);
    add(&t, 0, 4, 67);
    add(&t, 0, 4, 67); /* a doubled G4: one name */
    add(&t, 5, 1, 61);
    add(&t, 9, 3, 62);
    add(&t, 20, 1, 61);
    tune_sort(&t);
    list[0] = &t;
    v = vocab_of(&o, list, 1);
    CHECK(vocab_size(v) == 4, "vocabulary: <unk> + 3 tokens, got %d", vocab_size(v));
    CHECK(vocab_id(v, "C#4") == 1 && vocab_freq(v, 1) == 2, "C#4 counted twice, first");
    encode(&o, v, &t, &e);
    CHECK(e.n == 4 && e.f == 0 && e.ids && !e.x, "4 tokens, got %ld", (long)e.n);
    CHECK(strcmp(tok_at(v, &e, 0), "C4.E4.G4") == 0, "chord string %s", tok_at(v, &e, 0));
    CHECK(strcmp(tok_at(v, &e, 1), "C#4") == 0 && strcmp(tok_at(v, &e, 2), "D4") == 0,
          "sharp names");
    CHECK(e.st.dropped == 1 && e.st.unknown == 0, "dropped %ld unknown %ld", e.st.dropped,
          e.st.unknown);
    decode(&o, v, &e, &t, &d);
    CHECK(d.n_notes == 6 && has_note(&d, 0, 2, 60) && has_note(&d, 0, 2, 67) &&
              has_note(&d, 2, 2, 61) && has_note(&d, 4, 2, 62) && has_note(&d, 6, 2, 61),
          "plain tokens decode 2 steps apart");
    CHECK(d.n_steps == 8, "4 tokens, 8 steps: %ld", (long)d.n_steps);
    enc_free(&e);
    tune_free(&d);

    /* Unknown tokens: a tune with F#4 against this vocabulary. */
    {
        Tune u;
        mk(&u, "unknown");
        add(&u, 0, 1, 61);
        add(&u, 1, 1, 66);
        add(&u, 2, 1, 66);
        add(&u, 3, 1, 62);
        tune_sort(&u);
        encode(&o, v, &u, &e);
        CHECK(e.n == 4 && e.st.unknown == 2, "unknown %ld", e.st.unknown);
        CHECK(e.ids[1] == VOCAB_UNK && e.ids[2] == VOCAB_UNK && e.ids[3] == vocab_id(v, "D4"),
              "unknown ids");
        decode(&o, v, &e, &u, &d);
        CHECK(d.n_notes == 2 && has_note(&d, 0, 2, 61) && has_note(&d, 6, 2, 62),
              "<unk> keeps its 2-step slot in plain tokens");
        tune_free(&d);
        enc_free(&e);
        tune_free(&u);
    }
    {
        ReelError err;
        CHECK(enc_encode(&o, NULL, &t, &e, &err) == REEL_EARG, "tokens need a vocabulary");
        CHECK(enc_tokens_count(&o, &t, v, &err) == REEL_EARG && strstr(err.msg, "finished"),
              "counting into a finished vocabulary: %s", err.msg);
    }
    vocab_free(v);
    tune_free(&t);
}

static void test_tokens_durations(void)
{
    static const char *const want[] = {"r/4", "C4/4", "E4/2", "r/2", "G4/4", "r/16", "r/8",
                                       "C4.E4/8"};
    const int nwant = (int)(sizeof want / sizeof *want);
    Tune t, d;
    const Tune *list[1];
    Encoded e;
    EncOpts o = opts(ENC_TOKENS);
    Vocab *v;
    o.durations = true;
    mk(&t, "rests");
    add(&t, 4, 4, 60);
    add(&t, 8, 2, 64);
    add(&t, 12, 4, 67);
    add(&t, 40, 8, 60);
    add(&t, 40, 4, 64); /* shorter chord note: decodes with the chord's 8 */
    tune_sort(&t);
    list[0] = &t;
    v = vocab_of(&o, list, 1);
    encode(&o, v, &t, &e);
    CHECK(e.n == nwant, "%ld tokens, want %d", (long)e.n, nwant);
    for (int i = 0; i < nwant; i++)
        CHECK(strcmp(tok_at(v, &e, i), want[i]) == 0, "token %d: %s, want %s", i,
              tok_at(v, &e, i), want[i]);
    CHECK(e.st.resized == 1 && e.st.unknown == 0, "resized %ld", e.st.resized);
    decode(&o, v, &e, &t, &d);
    CHECK(d.n_notes == 5 && tune_count_matching(&t, &d) == 4 && has_note(&d, 40, 8, 64),
          "all but the short chord note come back exactly");
    CHECK(d.n_steps == 48, "decoded length %ld", (long)d.n_steps);
    enc_free(&e);
    tune_free(&d);
    vocab_free(v);
    tune_free(&t);

    /* A note that overlaps the next onset is cut there; a note longer than
     * 64 steps is cut to 64 and the rest of the time becomes rests. */
    mk(&t, "long");
    add(&t, 0, 8, 60);
    add(&t, 4, 100, 62);
    add(&t, 124, 2, 64);
    add(&t, 200, 5000, 65);
    tune_sort(&t);
    list[0] = &t;
    v = vocab_of(&o, list, 1);
    encode(&o, v, &t, &e);
    {
        static const char *const w2[] = {"C4/4", "D4/64", "r/16", "r/16", "r/16", "r/8",
                                         "E4/2", "r/16", "r/16", "r/16", "r/16", "r/10",
                                         "F4/64"};
        const int n2 = (int)(sizeof w2 / sizeof *w2);
        CHECK(e.n == n2, "%ld tokens, want %d", (long)e.n, n2);
        for (int i = 0; i < n2; i++)
            CHECK(strcmp(tok_at(v, &e, i), w2[i]) == 0, "token %d: %s, want %s", i,
                  tok_at(v, &e, i), w2[i]);
    }
    CHECK(e.st.resized == 3, "resized %ld", e.st.resized);
    decode(&o, v, &e, &t, &d);
    CHECK(d.n_notes == 4 && has_note(&d, 0, 4, 60) && has_note(&d, 4, 64, 62) &&
              has_note(&d, 124, 2, 64) && has_note(&d, 200, 64, 65),
          "long notes: onsets exact, durations capped");
    enc_free(&e);
    tune_free(&d);

    /* <unk> in the durations mode takes no time. */
    {
        Tune u;
        mk(&u, "unknown");
        add(&u, 0, 4, 60);
        add(&u, 4, 4, 61);
        add(&u, 8, 4, 62);
        tune_sort(&u);
        encode(&o, v, &u, &e);
        CHECK(e.n == 3 && e.st.unknown == 2 && e.ids[0] == vocab_id(v, "C4/4"),
              "unknown with durations: %ld", e.st.unknown);
        decode(&o, v, &e, &u, &d);
        CHECK(d.n_notes == 1 && has_note(&d, 0, 4, 60) && d.n_steps == 4,
              "<unk> skipped without time");
        tune_free(&d);
        enc_free(&e);
        tune_free(&u);
    }
    vocab_free(v);
    tune_free(&t);

    /* Chords whose notes all last to the next onset round-trip. */
    mk(&t, "chords");
    add(&t, 0, 2, 60);
    add(&t, 0, 2, 64);
    add(&t, 0, 2, 67);
    add(&t, 2, 6, 62);
    add(&t, 2, 6, 65);
    add(&t, 8, 16, 48);
    add(&t, 8, 16, 96);
    tune_sort(&t);
    list[0] = &t;
    v = vocab_of(&o, list, 1);
    expect_exact(&o, v, &t, "chords with equal durations");
    vocab_free(v);
    tune_free(&t);
}

/* ------------------------------------------------------------------------ */
/* Regress                                                                   */

static void test_regress(void)
{
    Tune t, d;
    Encoded e;
    EncOpts o = opts(ENC_REGRESS);
    mk(&t, "legato");
    addv(&t, 2, 2, 60, 100);
    addv(&t, 4, 4, 64, 80);
    addv(&t, 8, 4, 67, 127);
    tune_sort(&t);
    encode(&o, NULL, &t, &e);
    CHECK(e.n == 3 && e.f == 3 && e.x && !e.ids, "regress shape");
    {
        const float want[9] = {60 / 127.0f, 100 / 127.0f, 2 / 16.0f, 64 / 127.0f, 80 / 127.0f,
                               2 / 16.0f,   67 / 127.0f,  1.0f,       4 / 16.0f};
        for (int i = 0; i < 9; i++)
            CHECK(fabsf(e.x[i] - want[i]) < 1e-6f, "x[%d] = %g, want %g", i, (double)e.x[i],
                  (double)want[i]);
    }
    CHECK(e.st.resized == 0, "legato: nothing resized");
    decode(&o, NULL, &e, &t, &d);
    CHECK(same_notes(&t, &d), "legato regress round trip");
    for (int32_t i = 0; i < d.n_notes && i < 3; i++)
        CHECK(d.notes[i].vel == t.notes[i].vel, "velocity %ld: %d vs %d", (long)i,
              d.notes[i].vel, t.notes[i].vel);
    enc_free(&e);
    tune_free(&d);
    tune_free(&t);

    /* A chord: delta 0 within it; each note lasts to the next later onset. */
    mk(&t, "chord");
    addv(&t, 0, 4, 60, 90);
    addv(&t, 0, 4, 64, 90);
    addv(&t, 4, 1, 67, 90);
    tune_sort(&t);
    encode(&o, NULL, &t, &e);
    CHECK(e.x[2] == 0.0f && e.x[5] == 0.0f && e.x[8] == 0.25f, "deltas %g %g %g",
          (double)e.x[2], (double)e.x[5], (double)e.x[8]);
    CHECK(e.st.resized == 1, "last note resized: %ld", e.st.resized);
    decode(&o, NULL, &e, &t, &d);
    CHECK(d.n_notes == 3 && has_note(&d, 0, 4, 60) && has_note(&d, 0, 4, 64) &&
              has_note(&d, 4, ENC_REGRESS_LAST_DUR, 67),
          "chord decode");
    enc_free(&e);
    tune_free(&d);
    tune_free(&t);

    /* Clamping of model output. */
    {
        Encoded m;
        float x[9] = {1.5f, -0.2f, -1.0f, NAN, 2.0f, 0.26f, 0.5f, 0.5f, 1e30f}; /* (3, 3) */
        ReelError err;
        memset(&m, 0, sizeof m);
        m.kind = ENC_REGRESS;
        m.n = 2;
        m.f = 3;
        m.x = x;
        decode(&o, NULL, &m, NULL, &d);
        CHECK(d.n_notes == 2, "clamped: %ld notes", (long)d.n_notes);
        CHECK(d.n_notes == 2 && d.notes[0].pitch == 127 && d.notes[0].vel == 1 &&
                  d.notes[0].onset == 0 && d.notes[0].dur == 4,
              "first clamped note");
        CHECK(d.n_notes == 2 && d.notes[1].pitch == 0 && d.notes[1].vel == 127 &&
                  d.notes[1].onset == 4 && d.notes[1].dur == ENC_REGRESS_LAST_DUR,
              "second clamped note (0.26*16 rounds to 4)");
        tune_free(&d);
        m.n = 3;
        CHECK(enc_decode(&o, NULL, &m, NULL, &d, &err) == REEL_EARG,
              "a delta beyond ENC_MAX_STEPS is refused");
    }
}

/* ------------------------------------------------------------------------ */
/* Edge cases                                                                */

static void test_edges(void)
{
    Tune t, d;
    Encoded e;
    ReelError err;
    Vocab *v = vocab_new();
    REQUIRE(v != NULL, "vocab_new");
    vocab_finish(v);

    /* An empty tune: every encoding gives no rows and decodes to nothing. */
    mk(&t, "empty");
    for (int k = 0; k < ENC_COUNT; k++) {
        EncOpts o = opts((EncKind)k);
        for (int dur = 0; dur < 2; dur++) {
            o.durations = dur;
            encode(&o, v, &t, &e);
            CHECK(e.n == 0 && e.kind == (EncKind)k, "empty %s: %ld rows", enc_name((EncKind)k),
                  (long)e.n);
            CHECK(enc_is_classes((EncKind)k) ? e.ids != NULL : e.x != NULL,
                  "empty %s: arrays are not NULL", enc_name((EncKind)k));
            decode(&o, v, &e, &t, &d);
            CHECK(d.n_notes == 0 && d.n_steps == 0, "empty %s decodes empty",
                  enc_name((EncKind)k));
            tune_free(&d);
            enc_free(&e);
        }
    }
    /* Silence only: frames, all off. */
    t.n_steps = 8;
    {
        EncOpts o = opts(ENC_MELODY);
        encode(&o, NULL, &t, &e);
        CHECK(e.n == 8 && e.ids[7] == MELODY_OFF, "silent melody");
        enc_free(&e);
        o = opts(ENC_ROLL13);
        encode(&o, NULL, &t, &e);
        CHECK(e.n == 8 && e.shift == 0, "silent roll13");
        decode(&o, NULL, &e, &t, &d);
        CHECK(d.n_notes == 0 && d.n_steps == 8, "silent roll13 decodes to 8 silent steps");
        tune_free(&d);
        enc_free(&e);
    }
    tune_free(&t);

    /* Onset far from 0, and a very long note, through everything exact. */
    mk(&t, "far");
    add(&t, 20000, 4, 65);
    add(&t, 20004, 5000, 67);
    add(&t, 25004, 4, 69);
    tune_sort(&t);
    for (int k = 0; k < ENC_COUNT; k++) {
        EncOpts o = opts((EncKind)k);
        Vocab *tv = NULL;
        const Tune *list[1] = {&t};
        if (k == ENC_TOKENS) {
            o.durations = true;
            tv = vocab_of(&o, list, 1);
        }
        encode(&o, tv, &t, &e);
        if (k == ENC_TOKENS) {
            /* 1250 r/16, F4/4, G4/64, 308 r/16 + r/8 (the rest of 5000), A4/4 */
            CHECK(e.n == 1250 + 1 + 1 + 309 + 1, "far tokens: %ld", (long)e.n);
            CHECK(e.st.resized == 1, "the 5000-step note is capped");
        } else if (k == ENC_REGRESS) {
            CHECK(e.x[2] == 1250.0f && e.x[5] == 0.25f && e.x[8] == 312.5f, "far deltas");
        } else {
            CHECK(e.n == 25008, "%s: %ld rows", enc_name((EncKind)k), (long)e.n);
        }
        decode(&o, tv, &e, &t, &d);
        if (k == ENC_TOKENS) {
            CHECK(d.n_notes == 3 && has_note(&d, 20000, 4, 65) && has_note(&d, 20004, 64, 67) &&
                      has_note(&d, 25004, 4, 69),
                  "far tokens decode");
        } else if (k == ENC_ROLL13) {
            /* held over bar lines: the 5000 steps of G4 in 4/4 come back
             * as 12 + 311 bars + 12 steps, 313 notes */
            CHECK(d.n_notes == 315 && has_note(&d, 20000, 4, 65) && has_note(&d, 20004, 12, 67) &&
                      has_note(&d, 25004, 4, 69),
                  "far roll13: %ld notes", (long)d.n_notes);
        } else {
            CHECK(same_notes(&t, &d), "far %s exact", enc_name((EncKind)k));
        }
        tune_free(&d);
        enc_free(&e);
        vocab_free(tv);
    }
    tune_free(&t);

    /* Refusals: unsorted, too long, missing arguments. */
    {
        EncOpts o = opts(ENC_MELODY);
        mk(&t, "unsorted");
        add(&t, 4, 1, 60);
        add(&t, 0, 1, 62);
        CHECK(enc_encode(&o, NULL, &t, &e, &err) == REEL_EARG && strstr(err.msg, "unsorted") &&
                  strstr(err.msg, "sorted"),
              "unsorted: %s", err.msg);
        tune_free(&t);
        mk(&t, "same onset, falling pitch");
        add(&t, 0, 1, 64);
        add(&t, 0, 1, 60);
        CHECK(enc_encode(&o, NULL, &t, &e, &err) == REEL_EARG, "pitch order checked");
        tune_free(&t);
        mk(&t, "huge");
        add(&t, ENC_MAX_STEPS, 1, 60);
        for (int k = 0; k < ENC_COUNT; k++) {
            EncOpts ok = opts((EncKind)k);
            CHECK(enc_encode(&ok, v, &t, &e, &err) == REEL_EARG && strstr(err.msg, "huge"),
                  "too long for %s: %s", enc_name((EncKind)k), err.msg);
        }
        tune_free(&t);
        mk(&t, "x");
        CHECK(enc_encode(NULL, NULL, &t, &e, &err) == REEL_EARG, "no options");
        o.kind = ENC_COUNT;
        CHECK(enc_encode(&o, NULL, &t, &e, &err) == REEL_EARG, "bad kind");
        tune_free(&t);
    }
    vocab_free(v);
}

/* ------------------------------------------------------------------------ */
/* Random tunes                                                              */

/* A monophonic tune: notes one after another (gaps of 0..20 steps), each
 * 1..64 steps, pitches in one octave window (so roll13's shift recovers them
 * all), a random time signature, sometimes trailing silence. */
static void random_mono(Rng *r, Tune *t, int idx)
{
    static const int sigs[4][2] = {{4, 4}, {3, 4}, {6, 8}, {2, 4}};
    char name[32];
    int n = rng_int(r, 0, 60), base = 60 + 12 * rng_int(r, -3, 3);
    int32_t at = rng_int(r, 0, 3) == 0 ? rng_int(r, 1, 40) : 0;
    const int *s = sigs[rng_int(r, 0, 3)];
    snprintf(name, sizeof name, "mono%d", idx);
    mk(t, name);
    sig(t, 0, s[0], s[1]);
    for (int i = 0; i < n; i++) {
        int dur = rng_int(r, 0, 3) ? rng_int(r, 1, 8) : rng_int(r, 1, 64);
        add(t, at, dur, base + rng_int(r, 0, 12));
        at += dur + (rng_int(r, 0, 2) ? 0 : rng_int(r, 1, 20));
    }
    if (rng_int(r, 0, 3) == 0)
        t->n_steps += rng_int(r, 1, 30);
    tune_sort(t);
}

/* Polyphonic: per pitch, a chain of notes that never overlap (they may
 * touch); chords and overlaps between pitches everywhere. */
static void random_poly(Rng *r, Tune *t, int idx)
{
    char name[32];
    int voices = rng_int(r, 1, 12);
    snprintf(name, sizeof name, "poly%d", idx);
    mk(t, name);
    for (int v = 0; v < voices; v++) {
        int p = rng_int(r, 0, 127);
        int32_t at = rng_int(r, 0, 16);
        int n = rng_int(r, 0, 30);
        bool used = false;
        for (int32_t i = 0; i < t->n_notes; i++)
            used |= t->notes[i].pitch == p;
        if (used)
            continue;
        for (int i = 0; i < n; i++) {
            int dur = rng_int(r, 1, 12);
            add(t, at, dur, p);
            at += dur + (rng_int(r, 0, 1) ? 0 : rng_int(r, 1, 8));
        }
    }
    tune_sort(t);
}

static void test_random(void)
{
    enum { N_MONO = 300, N_POLY = 200 };
    Rng r = {0x9E3779B97F4A7C15ull};
    static Tune mono[N_MONO];
    const Tune *list[N_MONO];
    EncOpts tok = opts(ENC_TOKENS);
    Vocab *v;
    long fails[ENC_COUNT] = {0}, notes = 0, fails_plain_tok = 0;
    tok.durations = true;
    for (int i = 0; i < N_MONO; i++) {
        random_mono(&r, &mono[i], i);
        list[i] = &mono[i];
        notes += mono[i].n_notes;
    }
    CHECK(notes > 5000, "random tunes hold %ld notes", notes);
    v = vocab_of(&tok, list, N_MONO);
    for (int i = 0; i < N_MONO; i++) {
        static const EncKind kinds[4] = {ENC_MELODY, ENC_ROLL13_ONSET, ENC_ROLL128, ENC_TOKENS};
        for (int j = 0; j < 4; j++) {
            EncOpts o = j == 3 ? tok : opts(kinds[j]);
            Tune d;
            EncStats st;
            round_trip(&o, v, &mono[i], &d, &st);
            if (!same_notes(&mono[i], &d) || st.dropped || st.unknown || st.resized ||
                st.folded ||
                (kinds[j] != ENC_TOKENS && d.n_steps != mono[i].n_steps)) {
                if (fails[kinds[j]]++ == 0) {
                    fprintf(stderr, "  %s fails on %s\n", enc_name(kinds[j]), mono[i].name);
                    dump("in", &mono[i]);
                    dump("out", &d);
                }
            }
            tune_free(&d);
        }
        /* Plain tokens keep the pitch sequence. */
        {
            EncOpts o = opts(ENC_TOKENS);
            const Tune *one[1] = {&mono[i]};
            Vocab *pv = vocab_of(&o, one, 1);
            Tune d;
            bool ok;
            round_trip(&o, pv, &mono[i], &d, NULL);
            ok = d.n_notes == mono[i].n_notes;
            for (int32_t k = 0; ok && k < d.n_notes; k++)
                ok = d.notes[k].pitch == mono[i].notes[k].pitch && d.notes[k].onset == 2 * k &&
                     d.notes[k].dur == 2;
            fails_plain_tok += !ok;
            tune_free(&d);
            vocab_free(pv);
        }
    }
    CHECK(fails[ENC_MELODY] == 0, "melody: %ld of %d random tunes", fails[ENC_MELODY], N_MONO);
    CHECK(fails[ENC_ROLL13_ONSET] == 0, "roll13o: %ld of %d random tunes",
          fails[ENC_ROLL13_ONSET], N_MONO);
    CHECK(fails[ENC_ROLL128] == 0, "roll128: %ld of %d", fails[ENC_ROLL128], N_MONO);
    CHECK(fails[ENC_TOKENS] == 0, "tokens/durations: %ld of %d", fails[ENC_TOKENS], N_MONO);
    CHECK(fails_plain_tok == 0, "plain tokens: %ld of %d", fails_plain_tok, N_MONO);

    /* Regress round-trips legato lines (each note lasts to the next onset,
     * the last 4 steps), velocities included. */
    {
        long bad = 0;
        EncOpts o = opts(ENC_REGRESS);
        for (int i = 0; i < N_MONO; i++) {
            Tune t, d;
            bool ok;
            mk(&t, "legato");
            for (int32_t k = 0; k < mono[i].n_notes; k++) {
                const Note *a = &mono[i].notes[k];
                int32_t dur = k + 1 < mono[i].n_notes ? mono[i].notes[k + 1].onset - a->onset
                                                      : ENC_REGRESS_LAST_DUR;
                addv(&t, a->onset, dur, a->pitch, rng_int(&r, 1, 127));
            }
            tune_sort(&t);
            round_trip(&o, NULL, &t, &d, NULL);
            ok = same_notes(&t, &d);
            for (int32_t k = 0; ok && k < d.n_notes; k++)
                ok = d.notes[k].vel == t.notes[k].vel;
            bad += !ok;
            tune_free(&d);
            tune_free(&t);
        }
        CHECK(bad == 0, "regress: %ld of %d legato tunes", bad, N_MONO);
    }
    for (int i = 0; i < N_MONO; i++)
        tune_free(&mono[i]);
    vocab_free(v);

    /* Polyphonic through roll128. */
    {
        long bad = 0, pnotes = 0;
        EncOpts o = opts(ENC_ROLL128);
        for (int i = 0; i < N_POLY; i++) {
            Tune t, d;
            random_poly(&r, &t, i);
            pnotes += t.n_notes;
            round_trip(&o, NULL, &t, &d, NULL);
            if (!same_notes(&t, &d) && bad++ == 0) {
                dump("in", &t);
                dump("out", &d);
            }
            tune_free(&d);
            tune_free(&t);
        }
        CHECK(pnotes > 10000, "polyphonic notes %ld", pnotes);
        CHECK(bad == 0, "roll128: %ld of %d polyphonic tunes", bad, N_POLY);
    }
}

/* ------------------------------------------------------------------------ */
/* Speed                                                                     */

/* A corpus the size of Ryan's (1000 tunes of 358 steps, ~215,000 notes),
 * encoded with every kind; and one tune of 357,600 steps that must come back
 * whole.  The times are printed for a look, not asserted: speed is measured
 * in `make bench`, not in tests on a shared machine. */
static void test_speed(void)
{
    enum { TUNES = 1000 };
    static Tune c[TUNES];
    const Tune *list[TUNES + 1];
    Rng r = {12345};
    Tune big;
    EncOpts tok = opts(ENC_TOKENS);
    Vocab *v;
    const int n = test_quick() ? TUNES / 10 : TUNES; /* REEL_TEST_QUICK (valgrind) */
    tok.durations = true;
    mk(&big, "big");
    for (int i = 0; i < n; i++) {
        int32_t at = 0;
        mk(&c[i], "speed");
        sig(&c[i], 0, 2, 4);
        while (at < 356) {
            int dur = rng_int(&r, 1, 2), p = rng_int(&r, 62, 83);
            add(&c[i], at, dur, p);
            add(&big, at + 358 * i, dur, p);
            at += dur;
        }
        tune_sort(&c[i]);
        list[i] = &c[i];
    }
    tune_sort(&big);
    list[n] = &big; /* the long tune has rests between the short ones */
    v = vocab_of(&tok, list, n + 1);
    for (int k = 0; k < ENC_COUNT; k++) {
        EncOpts o = k == ENC_TOKENS ? tok : opts((EncKind)k);
        double t0 = now_sec(), t1, t2;
        long rows = 0;
        for (int i = 0; i < n; i++) {
            Encoded e;
            encode(&o, v, &c[i], &e);
            rows += e.n;
            enc_free(&e);
        }
        t1 = now_sec();
        {
            Encoded e;
            Tune d;
            encode(&o, v, &big, &e);
            decode(&o, v, &e, &big, &d);
            if (k == ENC_MELODY || k == ENC_ROLL128 || k == ENC_TOKENS)
                CHECK(same_notes(&big, &d), "big tune through %s", enc_name((EncKind)k));
            tune_free(&d);
            enc_free(&e);
        }
        t2 = now_sec();
        fprintf(stderr, "  %-8s corpus encode %.3f s (%ld rows); 357,600-step tune "
                        "encode+decode %.3f s\n",
                enc_name((EncKind)k), t1 - t0, rows, t2 - t1);
    }
    for (int i = 0; i < n; i++)
        tune_free(&c[i]);
    tune_free(&big);
    vocab_free(v);
}

int main(void)
{
    test_names();
    test_roll13_frames();
    test_roll13_bars();
    test_roll13_shift();
    test_onset_rolls();
    test_melody();
    test_token_parse();
    test_tokens_plain();
    test_tokens_durations();
    test_regress();
    test_edges();
    test_random();
    test_speed();
    TEST_END();
}
