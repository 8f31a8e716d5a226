/* test_abcrange.c — every MIDI pitch 0..127 written as ABC reads back (through
 * abc2midi) as the same pitch, in every key signature the writer uses, between
 * notes that set accidentals in the bar. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "abcout.h"
#include "corpus.h"
#include "testlib.h"

static void add(Tune *t, int32_t onset, int32_t dur, int pitch)
{
    ReelError err;
    REQUIRE(tune_add_note(t, onset, dur, pitch, 90, &err) == REEL_OK, "%s", err.msg);
}

/* A tune of every pitch from lo to hi, each followed by three in the key of
 * tonic (so the estimate lands there), one bar of 4/4 per pitch. */
static void every_pitch(Tune *t, int lo, int hi, int tonic, bool minor)
{
    static const int major[7] = {0, 2, 4, 5, 7, 9, 11}, minor_s[7] = {0, 2, 3, 5, 7, 8, 11};
    ReelError err;
    int32_t pos = 0;
    tune_init(t);
    REQUIRE(tune_add_sig(t, 0, 4, 4, &err) == REEL_OK, "%s", err.msg);
    for (int p = lo; p <= hi; p++) {
        add(t, pos, 4, p);
        pos += 4;
        for (int j = 0; j < 3; j++) {
            add(t, pos, 4, 60 + tonic + (minor ? minor_s : major)[(p + 2 * j) % 7]);
            pos += 4;
        }
    }
    t->n_steps = pos;
    tune_sort(t);
}

int main(void)
{
    const char *dir = test_tmpdir();
    char path[600];
    for (int tonic = 0; tonic < 12; tonic++)
        for (int minor = 0; minor < 2; minor++) {
            Tune t;
            Corpus c;
            ReelError err;
            char *text = NULL;
            every_pitch(&t, 0, 127, tonic, minor);
            REQUIRE(abcout_text(&t, NULL, &text, &err) == REEL_OK, "written: %s", err.msg);
            free(text);
            snprintf(path, sizeof path, "%s/all%d%c.abc", dir, tonic, minor ? 'm' : 'M');
            REQUIRE(abcout_write(path, &t, NULL, &err) == REEL_OK, "%s", err.msg);
            corpus_init(&c);
            corpus_load_file(&c, path, NULL);
            REQUIRE(c.n_tunes == 1, "%s loads", path);
            CHECK(tune_count_matching(&t, &c.tunes[0]) == t.n_notes &&
                      c.tunes[0].n_notes == t.n_notes,
                  "%s: %ld of %ld notes back", path, tune_count_matching(&t, &c.tunes[0]),
                  (long)t.n_notes);
            corpus_free(&c);
            tune_free(&t);
            unlink(path);
        }
    rmdir(dir);
    TEST_END();
}
