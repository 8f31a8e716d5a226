/* test_corpus.c — the whole of Ryan's Mammoth Collection through the loader
 * and every encoding and back.
 *
 * The figures are checked against SOURCE.md and against counts this test
 * makes itself from the loaded notes (not against numbers written here):
 * where an encoding can represent a tune, the round trip must be exact; where
 * it cannot, the losses are counted and printed.
 */
#include "corpus.h"
#include "testlib.h"

/* Notes that start while an earlier note still sounds. */
static long overlapping_notes(const Tune *t)
{
    long n = 0;
    int32_t until = 0;
    for (int32_t i = 0; i < t->n_notes; i++) {
        if (t->notes[i].onset < until)
            n++;
        if (t->notes[i].onset + t->notes[i].dur > until)
            until = t->notes[i].onset + t->notes[i].dur;
    }
    return n;
}

/* Notes of t inside lo..hi after moving every pitch by shift semitones. */
static long in_range(const Tune *t, int shift, int lo, int hi)
{
    long n = 0;
    for (int32_t i = 0; i < t->n_notes; i++) {
        int p = t->notes[i].pitch + shift;
        n += p >= lo && p <= hi;
    }
    return n;
}

/* Round-trip one tune; returns the notes that came back exactly. */
static long roundtrip(const EncOpts *o, const Vocab *v, const Tune *t, Encoded *e)
{
    ReelError err;
    Tune back;
    long m;
    if (enc_encode(o, v, t, e, &err)) {
        CHECK(0, "%s: encode %s: %s", t->name, enc_name(o->kind), err.msg);
        return -1;
    }
    if (enc_decode(o, v, e, t, &back, &err)) {
        CHECK(0, "%s: decode %s: %s", t->name, enc_name(o->kind), err.msg);
        enc_free(e);
        return -1;
    }
    m = tune_count_matching(t, &back);
    tune_free(&back);
    return m;
}

int main(void)
{
    const char *dir = test_corpus("ryans-mammoth/midi");
    const char *paths[1] = {dir};
    Corpus c;
    CorpusStats *s = calloc(1, sizeof *s);
    ReelError err;
    long notes = 0, mono_tunes = 0, mono_notes = 0, fit_plain = 0, fit_shift = 0;
    long mono_exact[4] = {0};
    Vocab *v = NULL;
    const EncOpts mono_encs[4] = {
        {.kind = ENC_MELODY},
        {.kind = ENC_ROLL13_ONSET},
        {.kind = ENC_ROLL128},
        {.kind = ENC_TOKENS, .durations = true},
    };

    REQUIRE(s != NULL, "memory");
    corpus_init(&c);
    REQUIRE(corpus_load(&c, paths, 1, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(c.n_tunes == 1059, "1059 tunes (SOURCE.md), got %d", c.n_tunes);
    CHECK(c.n_skips == 0, "nothing skipped, got %d (first: %s)", c.n_skips,
          c.n_skips ? c.skips[0].err.msg : "");
    REQUIRE(corpus_stats(&c, s, &err) == REEL_OK, "%s", err.msg);
    CHECK(s->notes_in == 215049, "215,049 notes (SOURCE.md), got %ld", s->notes_in);
    CHECK(s->pitch_lo == 55 && s->pitch_hi == 93, "MIDI 55..93, got %d..%d", s->pitch_lo,
          s->pitch_hi);
    /* SOURCE.md's pitch histogram counts the notes in the files; ours counts
     * them after quantizing, which drops the notes counted in collided and
     * merged.  So ours never exceeds it, and the differences add up to those. */
    {
        static const long source_hist[][2] = {
            {55, 166}, {56, 26}, {57, 532}, {58, 267}, {59, 430}, {60, 669}, {61, 545},
            {62, 5823}, {63, 708}, {64, 6442}, {65, 3447}, {66, 7211}, {67, 13158},
            {68, 1618}, {69, 23946}, {70, 5401}, {71, 19272}, {72, 12625}, {73, 9964},
            {74, 27118}, {75, 2105}, {76, 21190}, {77, 5835}, {78, 14339}, {79, 14690},
            {80, 2284}, {81, 10199}, {82, 1281}, {83, 2757}, {84, 323}, {85, 334}, {86, 242},
            {87, 15}, {88, 81}, {89, 2}, {93, 4}};
        long diff = 0, total = 0;
        for (size_t k = 0; k < sizeof source_hist / sizeof source_hist[0]; k++) {
            long p = source_hist[k][0], want = source_hist[k][1];
            CHECK(s->hist[p] <= want, "pitch %ld: %ld notes, SOURCE.md %ld", p, s->hist[p], want);
            diff += want - s->hist[p];
            total += want;
        }
        CHECK(total == 215049, "the histogram above adds up to SOURCE.md's total");
        CHECK(diff == s->q.collided + s->q.merged,
              "histogram differences (%ld) are the dropped notes (%ld)", diff,
              s->q.collided + s->q.merged);
    }
    CHECK(s->notes + s->q.collided + s->q.merged == s->notes_in,
          "every note is kept or counted: %ld + %ld + %ld != %ld", s->notes, s->q.collided,
          s->q.merged, s->notes_in);
    CHECK(s->steps > 355000 && s->steps < 360000, "about 357,600 steps, got %ld", s->steps);
    CHECK(s->q.on_grid > 0.95 * s->q.notes_in && s->q.on_grid < 0.975 * s->q.notes_in,
          "96.2%% of onsets on the grid (SOURCE.md), got %ld of %ld", s->q.on_grid,
          s->q.notes_in);

    /* Counts made here, from the notes, to hold the encodings to. */
    for (int32_t i = 0; i < c.n_tunes; i++) {
        const Tune *t = &c.tunes[i];
        int best = 0;
        long best_n = -1;
        notes += t->n_notes;
        fit_plain += in_range(t, 0, ROLL13_LO, ROLL13_HI);
        for (int k = -4; k <= 4; k++) {
            long n = in_range(t, 12 * k, ROLL13_LO, ROLL13_HI);
            if (n > best_n || (n == best_n && abs(k) < abs(best))) {
                best_n = n;
                best = k;
            }
        }
        fit_shift += best_n;
    }
    printf("notes after quantizing %ld; in C4..C5 as written %ld (%.1f%%), after the best "
           "octave shift per tune %ld (%.1f%%)\n", notes, fit_plain, 100.0 * fit_plain / notes,
           fit_shift, 100.0 * fit_shift / notes);
    CHECK(fit_plain > 0.46 * notes && fit_plain < 0.48 * notes,
          "46.9%% in C4..C5 (SOURCE.md): %ld of %ld", fit_plain, notes);
    CHECK(fit_shift > 0.65 * notes && fit_shift < 0.67 * notes,
          "66.1%% after octave shifts (SOURCE.md): %ld of %ld", fit_shift, notes);

    printf("%-20s %10s %8s %10s %10s %10s\n", "encoding", "exact", "share", "shifted", "folded",
           "dropped");
    for (int i = 0; i < s->n_enc; i++) {
        const CorpusEncFigure *f = &s->enc[i];
        printf("%-20s %10ld %7.2f%% %10ld %10ld %10ld\n", f->label, f->exact,
               100.0 * f->exact / f->notes, f->st.shifted, f->st.folded, f->st.dropped);
        CHECK(f->notes == notes, "%s saw every note", f->label);
        CHECK(f->exact <= f->notes, "%s: exact <= notes", f->label);
        switch (f->enc.kind) {
        case ENC_ROLL128:
            CHECK(f->exact == notes, "roll128 is exact: %ld of %ld", f->exact, notes);
            break;
        case ENC_ROLL13_ONSET:
            /* With onsets, exactly the notes that fit after the shift come back. */
            CHECK(f->exact == fit_shift, "roll13o: %ld exact, %ld fit", f->exact, fit_shift);
            CHECK(f->st.folded == notes - fit_shift, "roll13o folds the rest: %ld",
                  f->st.folded);
            break;
        case ENC_ROLL13:
            if (f->enc.plain) {
                CHECK(f->st.dropped == notes - fit_plain, "plain drops what is outside: %ld",
                      f->st.dropped);
                CHECK(f->exact < fit_plain, "plain: repeated notes merge (%ld < %ld)", f->exact,
                      fit_plain);
            } else {
                CHECK(f->st.folded == notes - fit_shift, "roll13 folds: %ld", f->st.folded);
                CHECK(f->exact < fit_shift && f->exact > fit_shift / 2,
                      "roll13 loses the repeated notes it merges: %ld of %ld", f->exact,
                      fit_shift);
            }
            break;
        default:
            break;
        }
    }

    /* Every monophonic tune comes back exactly through every encoding that can
     * hold a monophonic melody. */
    {
        EncOpts tok = {.kind = ENC_TOKENS, .durations = true};
        REQUIRE(corpus_vocab(&c, &tok, &v, &err) == REEL_OK, "%s", err.msg);
    }
    for (int32_t i = 0; i < c.n_tunes; i++) {
        const Tune *t = &c.tunes[i];
        if (overlapping_notes(t))
            continue;
        mono_tunes++;
        mono_notes += t->n_notes;
        for (int k = 0; k < 4; k++) {
            Encoded e;
            long m;
            /* roll13o can hold a tune only when all of it fits after the shift. */
            if (mono_encs[k].kind == ENC_ROLL13_ONSET) {
                bool fits = false;
                for (int sh = -4; sh <= 4 && !fits; sh++)
                    fits = in_range(t, 12 * sh, ROLL13_LO, ROLL13_HI) == t->n_notes;
                if (!fits) {
                    mono_exact[k] += t->n_notes;
                    continue;
                }
            }
            m = roundtrip(&mono_encs[k], v, t, &e);
            if (m < 0)
                continue;
            mono_exact[k] += m;
            CHECK(m == t->n_notes, "%s through %s: %ld of %d notes back", t->name,
                  enc_name(mono_encs[k].kind), m, t->n_notes);
            if (mono_encs[k].kind == ENC_MELODY)
                CHECK(e.n == t->n_steps, "%s: one melody class per step (%d, %d)", t->name, e.n,
                      t->n_steps);
            enc_free(&e);
        }
    }
    printf("monophonic tunes %ld (%ld notes): exact through melody %ld, roll13o %ld, roll128 "
           "%ld, tokens --durations %ld\n", mono_tunes, mono_notes, mono_exact[0],
           mono_exact[1], mono_exact[2], mono_exact[3]);
    CHECK(mono_tunes >= 990, "almost every tune is monophonic: %ld", mono_tunes);

    vocab_free(v);
    free(s);
    corpus_free(&c);
    TEST_END();
}
