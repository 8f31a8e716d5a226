/* test_ui_capture.c — does a WAV hold the pitches the studio's roll shows?
 *
 *   test_ui_capture                    self-test: render a melody with
 *                                      FluidSynth, draw its roll the way the
 *                                      studio does, check one against the other
 *   test_ui_capture --roll PANE        the notes on a captured roll, a line each
 *   test_ui_capture WAV STATS PANE     the studio test (tests/studio.sh): the
 *                                      WAV captured from the real-time path
 *                                      (ALSA's file plugin), the studio's
 *                                      REEL_STUDIO_STATS file (where and how
 *                                      fast the last play started), and the
 *                                      screen read back with tmux capture-pane
 *
 * The roll is read as the studio draws it (ui/draw.c): rows start with a
 * pitch name, then a separator, then one column per 16th step from the
 * view's start (Home puts it at step 0); a note's first column is an onset
 * glyph ('▐' seed, '▓' generated; ASCII '[' and '(').  For every onset the
 * pitch in the WAV is measured (YIN, half an octave either side of the
 * row's pitch) over the first part of the note, at
 * the frame the play's origin and tempo put it, and compared with the row's
 * pitch (within 50 cents).  Exit 0 when at least 90% match.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "player.h"
#include "test_audio_wav.h"
#include "testlib.h"
#include "tune.h"

#define MAX_NOTES 4096

typedef struct {
    int32_t step;
    int pitch;
    bool gen;
} RollNote;

/* UTF-8 code points of a line into cp (at most max); returns how many. */
static int decode(const char *s, unsigned *cp, int max)
{
    int n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && *p != '\n' && n < max) {
        unsigned c = *p;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (more)
            c &= 0x3Fu >> more;
        p++;
        while (more-- && *p)
            c = c << 6 | (*p++ & 0x3F);
        cp[n++] = c;
    }
    return n;
}

/* The notes on a captured roll. */
static int read_pane(const char *path, RollNote *out, int max)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    int n = 0;
    if (!f)
        return -1;
    int32_t first = 0;   /* the step of the roll's first column, from the ruler */
    while (fgets(line, sizeof line, f)) {
        unsigned cp[4096];
        char name[8];
        int k = decode(line, cp, 4096), pitch, i;
        if (k > 6 && cp[0] == 'b' && cp[1] == 'a' && cp[2] == 'r') {
            /* "bar  1   ·   ·   ·   2": the first bar number and its column (4/4,
             * a column a step) */
            for (int c = 5; c < k; c++)
                if (cp[c] >= '0' && cp[c] <= '9') {
                    long b = 0;
                    int d = c;
                    while (d < k && cp[d] >= '0' && cp[d] <= '9')
                        b = b * 10 + (long)(cp[d++] - '0');
                    first = (int32_t)((b - 1) * 16 - (c - 5));
                    break;
                }
            continue;
        }
        if (k < 6 || (cp[4] != 0x2502 && cp[4] != '|'))
            continue;
        for (i = 0; i < 4 && cp[i] != ' '; i++)
            name[i] = (char)cp[i];
        name[i] = '\0';
        if ((pitch = pitch_parse(name)) < 0)
            continue;
        for (int c = 5; c < k && n < max; c++)
            if (cp[c] == 0x2590 || cp[c] == 0x2593 || cp[c] == '[' || cp[c] == '(') {
                out[n].step = first + c - 5;
                out[n].pitch = pitch;
                out[n].gen = cp[c] == 0x2593 || cp[c] == '(';
                n++;
            }
    }
    fclose(f);
    /* by step */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j - 1].step > out[j].step; j--) {
            RollNote x = out[j];
            out[j] = out[j - 1];
            out[j - 1] = x;
        }
    return n;
}

/* The note at pitch sounds in x: YIN, searching half an octave around the
 * pitch (a violin's short notes make YIN pick a subharmonic when it may look
 * an octave or more down), finds it within 50 cents.  A roll a tone off
 * finds the real pitch and misses by 200 cents; an octave off finds no
 * period in its range. */
static bool sounds(const float *x, size_t n, int rate, int pitch, double *hz_out, double *cents_out)
{
    double f = midi_hz(pitch);
    double hz = yin_pitch(x, n, rate, f / 1.4142, f * 1.4142), cents = cents_off(hz, pitch);
    *hz_out = hz;
    *cents_out = cents;
    return fabs(cents) <= 50;
}

/* Check every onset; returns how many matched, prints each when verbose. */
static int check(const Wav *w, double origin_sec, double from_step, double step_sec,
                 const RollNote *notes, int n, bool verbose, int *measured)
{
    int ok = 0;
    *measured = 0;
    for (int i = 0; i < n; i++) {
        double t0 = origin_sec + (notes[i].step - from_step) * step_sec;
        double next = i + 1 < n ? notes[i + 1].step - notes[i].step : 4;
        double len = next * step_sec - 0.045;
        size_t a, m;
        double hz, cents;
        bool good;
        if (notes[i].step < from_step)
            continue;
        if (len > 0.15)
            len = 0.15;
        if (len < 0.05)
            len = 0.05;
        if (t0 + 0.035 < 0)
            continue;
        a = (size_t)((t0 + 0.035) * w->rate);
        m = (size_t)(len * w->rate);
        if (a + m > w->frames)
            continue;
        (*measured)++;
        good = sounds(w->x + a, m, w->rate, notes[i].pitch, &hz, &cents);
        ok += good;
        if (verbose)
            printf("step %4d %-4s%s heard %7.1f Hz (%+.0f cents) %s\n", (int)notes[i].step,
                   pitch_name(notes[i].pitch, (char[6]){0}), notes[i].gen ? " gen " : " seed",
                   hz, fabs(cents) < 1e6 ? cents : 0,
                   good ? "ok" : "WRONG");
    }
    return ok;
}

static int studio_mode(const char *wav_path, const char *stats_path, const char *pane_path)
{
    Wav w;
    char why[300], line[512];
    FILE *f;
    unsigned long long origin = 0;
    int rate = 0, n, ok, measured;
    double bpm = 0, from = 0;
    RollNote *notes = malloc(MAX_NOTES * sizeof *notes);
    if (!notes)
        return 1;
    if (!(f = fopen(stats_path, "r"))) {
        printf("capture: no stats file %s\n", stats_path);
        free(notes);
        return 1;
    }
    while (fgets(line, sizeof line, f))
        sscanf(line, "play origin %llu rate %d bpm %lf from %lf", &origin, &rate, &bpm, &from);
    fclose(f);
    if (!rate || bpm <= 0) {
        printf("capture: the stats file says nothing about a play\n");
        free(notes);
        return 1;
    }
    n = read_pane(pane_path, notes, MAX_NOTES);
    if (n <= 0) {
        printf("capture: no notes on the roll in %s\n", pane_path);
        free(notes);
        return 1;
    }
    if (wav_read(wav_path, &w, why, sizeof why)) {
        printf("capture: %s\n", why);
        free(notes);
        return 1;
    }
    ok = check(&w, (double)origin / rate, from, 60.0 / bpm / 4, notes, n, true, &measured);
    printf("capture: %d of %d notes on the roll sound at the roll's pitch in the WAV (%d Hz, "
           "%.1f s; the play starts at %.3f s)\n", ok, measured, w.rate,
           (double)w.frames / w.rate, (double)origin / rate);
    wav_free(&w);
    free(notes);
    return measured > 0 && ok * 10 >= measured * 9 ? 0 : 1;
}

/* Self-test: a fiddle-like line rendered offline, drawn as a roll. */
static void self_test(void)
{
    static const char *const sf = "/usr/share/sounds/sf2/TimGM6mb.sf2";
    const int steps[] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 17, 18, 20, 24, 26, 28, 30, 32, 36};
    const int pitch[] = {62, 66, 69, 74, 76, 78, 76, 74, 73, 71, 71, 69, 67, 66, 64, 64, 62, 74};
    int n = (int)(sizeof steps / sizeof steps[0]), got, ok, measured;
    Tune t;
    ReelError err;
    Player *p = NULL;
    AudioSynth *s = NULL;
    AudioSynthOpts so;
    AudioRenderOpts ro;
    AudioRenderInfo info;
    char dir[600], wav_path[700], pane_path[700];
    FILE *f;
    RollNote notes[64];
    Wav w;
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    snprintf(wav_path, sizeof wav_path, "%s/m.wav", dir);
    snprintf(pane_path, sizeof pane_path, "%s/pane.txt", dir);
    tune_init(&t);
    for (int i = 0; i < n; i++)
        tune_add_note(&t, steps[i], (i + 1 < n ? steps[i + 1] : 40) - steps[i], pitch[i], 100,
                      &err);
    tune_add_tempo(&t, 0, 500000, &err);
    tune_sort(&t);
    /* the roll as the studio draws it (rows high to low, onsets, bodies) */
    REQUIRE((f = fopen(pane_path, "w")) != NULL, "pane");
    fprintf(f, " reel  header line\nbar  1   ·   ·\n");
    for (int row = 80; row >= 60; row--) {
        char name[6], label[8];
        pitch_name(row, name);
        snprintf(label, sizeof label, "%-4s", name);
        fprintf(f, "%s\u2502", label);
        for (int c = 0; c < 48; c++) {
            const char *g = c % 16 == 0 ? "\u2502" : c % 4 == 0 ? "\u250a" : " ";
            for (int i = 0; i < n; i++)
                if (pitch[i] == row && c >= steps[i] && c < (i + 1 < n ? steps[i + 1] : 40))
                    g = c == steps[i] ? (i >= 8 ? "\u2593" : "\u2590") : (i >= 8 ? "\u2592" : "\u2588");
            fputs(g, f);
        }
        fputc('\n', f);
    }
    fclose(f);
    got = read_pane(pane_path, notes, 64);
    CHECK(got == n, "the roll reads back %d notes, not %d", n, got);
    for (int i = 0; i < got && i < n; i++)
        CHECK(notes[i].step == steps[i] && notes[i].pitch == pitch[i] && notes[i].gen == (i >= 8),
              "roll note %d: step %d pitch %d", i, (int)notes[i].step, notes[i].pitch);
    /* render it */
    memset(&so, 0, sizeof so);
    so.soundfont = sf;
    so.rate = 16000;
    memset(&ro, 0, sizeof ro);
    ro.path = wav_path;
    REQUIRE(player_new(&p, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(player_load_tune(p, &t, PLAYER_VIOLIN, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(audio_synth_new(&s, &so, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(player_render(p, s, 0, &ro, &info, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(wav_read(wav_path, &w, dir, sizeof dir) == 0, "%s", dir);
    ok = check(&w, 0, 0, 0.125, notes, got, false, &measured);
    CHECK(measured == n && ok == n, "%d of %d rendered notes at their pitch", ok, measured);
    /* the same with the play starting later and from step 8: the notes before are skipped */
    ok = check(&w, -1.0, 8, 0.125, notes, got, false, &measured);
    CHECK(measured > 0 && ok * 3 <= measured, "a wrong origin finds little (%d of %d)", ok,
          measured);
    /* and a transposed roll does not match */
    for (int i = 0; i < got; i++)
        notes[i].pitch += 2;
    ok = check(&w, 0, 0, 0.125, notes, got, false, &measured);
    CHECK(ok == 0, "a whole tone off: %d match", ok);
    /* an octave too high: a subharmonic of the sound is not the sound */
    for (int i = 0; i < got; i++)
        notes[i].pitch += 10;
    ok = check(&w, 0, 0, 0.125, notes, got, false, &measured);
    CHECK(ok * 5 <= measured, "an octave off: %d of %d match", ok, measured);
    wav_free(&w);
    audio_synth_free(s);
    player_free(p);
    tune_free(&t);
}

/* --roll PANE: the notes on a captured roll, one "step pitch seed|gen" a line. */
static int roll_mode(const char *pane)
{
    RollNote *notes = malloc(MAX_NOTES * sizeof *notes);
    int n;
    char name[6];
    if (!notes)
        return 1;
    n = read_pane(pane, notes, MAX_NOTES);
    for (int i = 0; i < n; i++)
        printf("%d %s %s\n", (int)notes[i].step, pitch_name(notes[i].pitch, name),
               notes[i].gen ? "gen" : "seed");
    free(notes);
    return n < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--roll"))
        return roll_mode(argv[2]);
    if (argc == 4)
        return studio_mode(argv[1], argv[2], argv[3]);
    if (argc != 1) {
        fprintf(stderr, "usage: test_ui_capture [WAV STATS PANE]\n");
        return 2;
    }
    audio_log_capture();
    self_test();
    TEST_END();
}
