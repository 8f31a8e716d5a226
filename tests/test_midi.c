/* test_midi.c — MIDI reading and writing (src/midi.c).
 *
 *   - facts about real files of both corpora (SOURCE.md), cross-checked with midicsv
 *   - hand-made files: every kind of damage the walk must reject, every
 *     rewrite it must make for libsmf, and the note pairing rules
 *   - every truncation of real files, thousands of random mutations: each
 *     loads or fails with a format error naming the file; nothing aborts
 *   - write -> read round trip, checked with Debian's midicsv
 *   - failed writes leave an existing file alone and no temporary behind
 *
 * MIDI_TEST_QUICK=1 runs fewer truncations and mutations (for valgrind).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "midi.h"
#include "testlib.h"
#include "tune.h"

static bool quick;

/* ---------------------------------------------------------------------
 * helpers (REQUIRE evaluates its condition twice: no side effects inside it)
 * ------------------------------------------------------------------- */

static const char *corpus_file(const char *sub, const char *file)
{
    static char buf[8][8300];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", test_corpus(sub), file);
    return b;
}

/* Everything a MidiSong promises (midi.h); "" when it holds, else the reason. */
static const char *song_problem(const MidiSong *s)
{
    static char why[200];
    int32_t per_track = 0;
    if (s->format < 0 || s->format > 1 || s->ppq <= 0 || s->n_tracks < 1)
        return "bad header fields";
    for (int32_t t = 0; t < s->n_tracks; t++) {
        per_track += s->tracks[t].n_notes;
        for (int c = 0; c < 16; c++)
            if (s->tracks[t].program[c] < -1 || s->tracks[t].program[c] > 127)
                return "program out of range";
    }
    if (per_track != s->n_notes)
        return "track note counts do not add up";
    for (int32_t i = 0; i < s->n_notes; i++) {
        const MidiNote *n = &s->notes[i];
        if (n->off <= n->on || n->pitch > 127 || n->vel < 1 || n->vel > 127 || n->chan > 15 ||
            n->track >= s->n_tracks || n->off > s->end_tick) {
            snprintf(why, sizeof why, "note %d is bad (on %u off %u pitch %u vel %u chan %u)",
                     i, n->on, n->off, n->pitch, n->vel, n->chan);
            return why;
        }
        if (i > 0 && (s->notes[i - 1].on > n->on ||
                      (s->notes[i - 1].on == n->on && s->notes[i - 1].pitch > n->pitch)))
            return "notes not sorted";
    }
    for (int32_t i = 0; i < s->n_tempos; i++)
        if (s->tempos[i].usec_per_quarter == 0 || (i && s->tempos[i - 1].tick > s->tempos[i].tick))
            return "bad or unsorted tempo";
    for (int32_t i = 0; i < s->n_sigs; i++)
        if (s->sigs[i].num == 0 || s->sigs[i].den == 0 || (s->sigs[i].den & (s->sigs[i].den - 1)) ||
            (i && s->sigs[i - 1].tick > s->sigs[i].tick))
            return "bad or unsorted time signature";
    return "";
}

static bool is_format_error(ReelStatus st)
{
    return st == REEL_EFORMAT || st == REEL_EUNSUPPORTED || st == REEL_EEMPTY;
}

/* Output of a command and its exit status (-1 when it could not run). */
static char *run_capture(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    REQUIRE(p != NULL && out != NULL, "cannot run %s", cmd);
    for (;;) {
        size_t r;
        if (cap - n < 4096) {
            cap *= 2;
            out = realloc(out, cap);
            REQUIRE(out != NULL, "out of memory");
        }
        r = fread(out + n, 1, cap - n - 1, p);
        if (r == 0)
            break;
        n += r;
    }
    out[n] = '\0';
    {
        int w = pclose(p);
        *status = WIFEXITED(w) ? WEXITSTATUS(w) : -1;
    }
    return out;
}

static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Note-ons with velocity > 0 in a midicsv listing. */
static int csv_note_ons(const char *csv)
{
    int n = 0;
    for (const char *p = strstr(csv, "Note_on_c, "); p; p = strstr(p + 1, "Note_on_c, ")) {
        int ch, pitch, vel;
        if (sscanf(p, "Note_on_c, %d, %d, %d", &ch, &pitch, &vel) == 3 && vel > 0)
            n++;
    }
    return n;
}

/* ---------------------------------------------------------------------
 * a tiny SMF builder for hand-made files
 * ------------------------------------------------------------------- */

typedef struct {
    uint8_t d[8192];
    size_t n, trk;
} Smf;

static void b_arr(Smf *b, const int *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b->d[b->n++] = (uint8_t)v[i];
}
#define B(b, ...) b_arr(b, (const int[]){__VA_ARGS__}, sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

static void b_header(Smf *b, int format, int ntracks, int division)
{
    b->n = 0;
    B(b, 'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, format, ntracks >> 8, ntracks & 255,
      division >> 8, division & 255);
}

static void b_track(Smf *b)
{
    B(b, 'M', 'T', 'r', 'k', 0, 0, 0, 0);
    b->trk = b->n;
}

static void b_track_end(Smf *b)
{
    size_t len = b->n - b->trk;
    b->d[b->trk - 4] = (uint8_t)(len >> 24);
    b->d[b->trk - 3] = (uint8_t)(len >> 16);
    b->d[b->trk - 2] = (uint8_t)(len >> 8);
    b->d[b->trk - 1] = (uint8_t)len;
}

static void b_eot(Smf *b)
{
    B(b, 0, 0xff, 0x2f, 0);
    b_track_end(b);
}

/* A format-0 file of one track (480 ticks a quarter): the events given,
 * then the end of the track. */
#define B_FILE(b, ...)                                                          \
    do {                                                                        \
        b_header(b, 0, 1, 480);                                                 \
        b_track(b);                                                             \
        B(b, __VA_ARGS__);                                                      \
        b_eot(b);                                                               \
    } while (0)

/* A valid one-track file with one note (the base of most damaged files). */
static void b_simple(Smf *b)
{
    B_FILE(b, 0, 0x90, 60, 100, 0x83, 0x60, 0x80, 60, 0);
}

static void expect_fail(const Smf *b, ReelStatus want, const char *frag, const char *what)
{
    MidiSong s;
    ReelError e;
    ReelStatus st = midi_load_memory(b->d, b->n, "hand.mid", &s, &e);
    ReelStatus sv = midi_validate(b->d, b->n, "hand.mid", &e);
    CHECK(st == want, "%s: status %s, want %s (%s)", what, reel_status_name(st),
          reel_status_name(want), st ? e.msg : "loaded");
    CHECK(sv == st, "%s: midi_validate says %s, midi_load_memory %s", what,
          reel_status_name(sv), reel_status_name(st));
    if (st) {
        CHECK(strstr(e.msg, "hand.mid") != NULL, "%s: message without the name: %s", what, e.msg);
        CHECK(!frag || strstr(e.msg, frag) != NULL, "%s: message lacks \"%s\": %s", what, frag,
              e.msg);
        CHECK(s.notes == NULL && s.tracks == NULL && s.n_notes == 0, "%s: song not empty", what);
    } else {
        midi_song_free(&s);
    }
}

/* A corpus file loaded, with what every MidiSong promises; false (a failed
 * check) when it does not load. */
static bool corpus_load(const char *path, MidiSong *s)
{
    ReelError e;
    if (midi_load_file(path, s, &e)) {
        CHECK(0, "%s: %s", path, e.msg);
        return false;
    }
    CHECK(!*song_problem(s), "%s: %s", path, song_problem(s));
    return true;
}

/* midicsv's listing of path has the note-ons, tempos and time signatures
 * that s has. */
static void csv_agrees(const char *path, const MidiSong *s)
{
    char cmd[4200], *csv;
    int rc;
    snprintf(cmd, sizeof cmd, "midicsv '%s'", path);
    csv = run_capture(cmd, &rc);
    CHECK(rc == 0, "midicsv failed on %s", path);
    CHECK(csv_note_ons(csv) == s->n_notes, "%s: midicsv has %d note-ons, we have %d", path,
          csv_note_ons(csv), s->n_notes);
    CHECK(count_lines_with(csv, ", Tempo, ") == s->n_tempos, "%s: midicsv %d tempos, we %d", path,
          count_lines_with(csv, ", Tempo, "), s->n_tempos);
    CHECK(count_lines_with(csv, ", Time_signature, ") == s->n_sigs, "%s: time sig count", path);
    free(csv);
}

static bool expect_load(const Smf *b, MidiSong *s, const char *what)
{
    ReelError e;
    ReelStatus st = midi_load_memory(b->d, b->n, "hand.mid", s, &e);
    CHECK(st == REEL_OK, "%s: did not load: %s", what, e.msg);
    if (st)
        return false;
    CHECK(!*song_problem(s), "%s: %s", what, song_problem(s));
    return true;
}

/* ---------------------------------------------------------------------
 * corpus facts
 * ------------------------------------------------------------------- */

static void test_ryans_files(void)
{
    static const char *files[] = {"LooneyMcTwolterJig.mid", "BeauxOfOakHillReel.mid",
                                  "KittyONeilsChampionJig.mid", "42dHighlandRegimentStrathspey.mid",
                                  "TidalWaveJig.mid"};
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        const char *path = corpus_file("ryans-mammoth/midi", files[f]);
        MidiSong s;
        if (!corpus_load(path, &s))
            continue;
        CHECK(s.format == 0 && s.ppq == 480 && s.n_tracks == 1,
              "%s: format %d ppq %d tracks %d, want 0/480/1", path, s.format, s.ppq, s.n_tracks);
        CHECK(s.n_notes > 50, "%s: only %d notes", path, s.n_notes);
        for (int32_t i = 0; i < s.n_notes; i++)
            if (s.notes[i].chan != 0 || s.notes[i].pitch < 55 || s.notes[i].pitch > 93) {
                CHECK(0, "%s: note %d on channel %d pitch %d (all channel 0, 55..93)", path, i,
                      s.notes[i].chan, s.notes[i].pitch);
                break;
            }
        for (int c = 0; c < 16; c++)
            CHECK(s.tracks[0].program[c] == -1, "%s: program change on channel %d", path, c);
        CHECK(s.n_tempos == 1 && s.tempos[0].tick == 0, "%s: %d tempos", path, s.n_tempos);
        CHECK(s.n_sigs >= 1, "%s: no time signature", path);
        CHECK(s.unclosed == 0 && s.stray_offs == 0, "%s: %d unclosed, %d stray", path, s.unclosed,
              s.stray_offs);
        /* abc2midi: note-ons 1 tick after the grid */
        CHECK(s.notes[0].on % 120 == 1, "%s: first onset %u", path, s.notes[0].on);
        csv_agrees(path, &s);
        if (!strcmp(files[f], "LooneyMcTwolterJig.mid"))
            CHECK(s.n_sigs == 1 && s.sigs[0].num == 6 && s.sigs[0].den == 8 &&
                  s.tempos[0].usec_per_quarter == 500000,
                  "%s: want 6/8 at 120 bpm", path);
        midi_song_free(&s);
    }
}

static void test_pop909_files(void)
{
    static const char *files[] = {"001.mid", "098.mid", "203.mid", "500.mid", "909.mid"};
    static const char *names[] = {NULL, "MELODY", "BRIDGE", "PIANO"};
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        const char *path = corpus_file("pop909/midi", files[f]);
        MidiSong s;
        if (!corpus_load(path, &s))
            continue;
        CHECK(s.format == 1 && s.ppq == 480 && s.n_tracks == 4,
              "%s: format %d ppq %d tracks %d, want 1/480/4", path, s.format, s.ppq, s.n_tracks);
        if (s.n_tracks == 4) {
            CHECK(s.tracks[0].n_notes == 0, "%s: conductor track has notes", path);
            for (int t = 1; t < 4; t++) {
                CHECK(s.tracks[t].name && !strcmp(s.tracks[t].name, names[t]),
                      "%s: track %d is \"%s\", want %s", path, t,
                      s.tracks[t].name ? s.tracks[t].name : "(none)", names[t]);
                CHECK(s.tracks[t].n_notes > 0, "%s: track %d has no notes", path, t);
            }
            CHECK(s.tracks[1].program[0] == 0, "%s: MELODY program %d, want 0", path,
                  s.tracks[1].program[0]);
            for (int32_t i = 0; i < s.n_notes; i++)
                if (s.notes[i].chan != s.notes[i].track - 1) {
                    CHECK(0, "%s: track %d note on channel %d", path, s.notes[i].track,
                          s.notes[i].chan);
                    break;
                }
        }
        CHECK(s.n_tempos >= 1 && s.tempos[0].tick == 0, "%s: no tempo at tick 0", path);
        CHECK(s.n_sigs >= 1, "%s: no time signature", path);
        csv_agrees(path, &s);
        if (!strcmp(files[f], "098.mid"))
            CHECK(s.n_tempos == 1 && s.tempos[0].usec_per_quarter == 810810 && s.n_sigs == 1 &&
                  s.sigs[0].num == 1 && s.sigs[0].den == 4,
                  "%s: want tempo 810810 and 1/4 (midicsv)", path);
        midi_song_free(&s);
    }
}

/* Every file of a corpus folder: all load; totals from SOURCE.md. */
static void load_folder(const char *sub, long *files, long *notes, long track_notes[4],
                        double *secs)
{
    const char *dir = test_corpus(sub);
    DIR *d = opendir(dir);
    struct dirent *ent;
    double t0 = now_sec();
    REQUIRE(d != NULL, "cannot open %s", dir);
    *files = *notes = 0;
    for (int t = 0; t < 4; t++)
        track_notes[t] = 0;
    while ((ent = readdir(d))) {
        char path[4400];
        MidiSong s;
        ReelError e;
        size_t l = strlen(ent->d_name);
        if (l < 5 || strcmp(ent->d_name + l - 4, ".mid"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        if (midi_load_file(path, &s, &e)) {
            CHECK(0, "%s", e.msg);
            continue;
        }
        (*files)++;
        *notes += s.n_notes;
        for (int32_t t = 0; t < s.n_tracks && t < 4; t++)
            track_notes[t] += s.tracks[t].n_notes;
        if (*song_problem(&s))
            CHECK(0, "%s: %s", path, song_problem(&s));
        midi_song_free(&s);
    }
    closedir(d);
    *secs = now_sec() - t0;
}

static void test_whole_corpora(void)
{
    long files, notes, tn[4];
    double secs;
    load_folder("ryans-mammoth/midi", &files, &notes, tn, &secs);
    CHECK(files == 1059 && notes == 215049, "Ryan's: %ld files, %ld notes (want 1059, 215049)",
          files, notes);
    fprintf(stderr, "Ryan's Mammoth: %ld files, %ld notes loaded in %.2f s\n", files, notes, secs);
    load_folder("pop909/midi", &files, &notes, tn, &secs);
    CHECK(files == 909, "POP909: %ld files", files);
    CHECK(tn[1] == 309423 && tn[2] == 247430 && tn[3] == 976585,
          "POP909 notes MELODY %ld BRIDGE %ld PIANO %ld (want 309423, 247430, 976585)", tn[1],
          tn[2], tn[3]);
    fprintf(stderr, "POP909: %ld files, %ld notes loaded in %.2f s\n", files, notes, secs);
}

/* ---------------------------------------------------------------------
 * hand-made files
 * ------------------------------------------------------------------- */

static void test_damage(void)
{
    Smf b;

    b_simple(&b);
    {
        MidiSong s;
        if (expect_load(&b, &s, "simple")) {
            CHECK(s.n_notes == 1 && s.notes[0].on == 0 && s.notes[0].off == 480 &&
                  s.notes[0].pitch == 60 && s.notes[0].vel == 100 && s.end_tick == 480,
                  "simple: wrong note");
            midi_song_free(&s);
        }
    }

    b.n = 0;
    expect_fail(&b, REEL_EEMPTY, "empty", "0 bytes");
    memcpy(b.d, "MThd", 4);
    b.n = 4;
    expect_fail(&b, REEL_EFORMAT, "header", "MThd only");
    b.n = strlen(strcpy((char *)b.d, "This is a text file, not MIDI at all.\n"));
    expect_fail(&b, REEL_EFORMAT, "MThd", "text");

    b_simple(&b);
    b.d[9] = 2;
    expect_fail(&b, REEL_EUNSUPPORTED, "format 2", "format 2");
    b_simple(&b);
    b.d[9] = 7;
    expect_fail(&b, REEL_EFORMAT, "format 7", "format 7");
    b_simple(&b);
    b.d[12] = 0xe7;
    b.d[13] = 40;
    expect_fail(&b, REEL_EUNSUPPORTED, "SMPTE", "SMPTE");
    b_simple(&b);
    b.d[12] = b.d[13] = 0;
    expect_fail(&b, REEL_EFORMAT, "0 ticks", "division 0");

    b_header(&b, 0, 0, 480);
    expect_fail(&b, REEL_EEMPTY, "0 tracks", "ntracks 0");
    b_header(&b, 1, 1, 480);
    expect_fail(&b, REEL_EFORMAT, "declares 1 track,", "no MTrk at all");
    b_simple(&b);
    b.d[11] = 2;
    expect_fail(&b, REEL_EFORMAT, "ends after 1", "fewer MTrk than declared");

    b_simple(&b);
    b.d[21] += 10; /* chunk length low byte */
    expect_fail(&b, REEL_EFORMAT, "track 1 is cut off", "chunk past EOF");
    b_simple(&b);
    b.n -= 1;
    expect_fail(&b, REEL_EFORMAT, "cut off", "last byte missing");

    b_header(&b, 0, 1, 480);
    b_track(&b);
    b_track_end(&b);
    expect_fail(&b, REEL_EFORMAT, "empty", "MTrk with 0 bytes");
    b_header(&b, 0, 1, 480);
    b_track(&b);
    B(&b, 0, 0x90, 60, 100, 10, 0x80, 60, 0);
    b_track_end(&b);
    expect_fail(&b, REEL_EFORMAT, "end-of-track", "no EOT");

    B_FILE(&b, 0, 60, 100);
    expect_fail(&b, REEL_EFORMAT, "status byte", "running status first");
    B_FILE(&b, 0, 0x90, 60, 100, 0, 0xff, 0x01, 1, 'x', 10, 60, 0);
    expect_fail(&b, REEL_EFORMAT, "status byte", "running status after meta");
    B_FILE(&b, 0, 0x90, 60, 100, 0, 0xf0, 2, 0x7e, 0xf7, 10, 60, 0);
    expect_fail(&b, REEL_EFORMAT, "status byte", "running status after sysex");
    B_FILE(&b, 0, 0x90, 60, 0x93);
    expect_fail(&b, REEL_EFORMAT, "data byte", "data byte >= 0x80");
    for (int sys = 0xf1; sys <= 0xfe; sys++) {
        if (sys == 0xf7)
            continue;
        B_FILE(&b, 0, sys, 0, 0);
        expect_fail(&b, REEL_EFORMAT, "system message", "0xF1..0xFE in a track");
    }
    B_FILE(&b, 0x81, 0x81, 0x81, 0x81, 0x01, 0x90, 60, 100);
    expect_fail(&b, REEL_EFORMAT, "longer than 4 bytes", "5-byte delta");
    b_header(&b, 0, 1, 480);
    b_track(&b);
    for (int i = 0; i < 9; i++) /* 9 * (2^28 - 1) ticks */
        B(&b, 0xff, 0xff, 0xff, 0x7f, 0xff, 0x01, 0);
    b_eot(&b);
    expect_fail(&b, REEL_EFORMAT, "2^31", "more than 2^31 ticks");
    B_FILE(&b, 0, 0xff, 0x51, 0);
    expect_fail(&b, REEL_EFORMAT, "tempo", "tempo with 0 bytes");
    B_FILE(&b, 0, 0xff, 0x51, 3, 0, 0, 0);
    expect_fail(&b, REEL_EFORMAT, "0 microseconds", "tempo 0");
    B_FILE(&b, 0, 0xff, 0x58, 2, 4, 2);
    expect_fail(&b, REEL_EFORMAT, "time signature", "short time signature");
    B_FILE(&b, 0, 0xff, 0x58, 4, 4, 200, 24, 8);
    expect_fail(&b, REEL_EFORMAT, "time signature", "denominator 2^200");
    b_header(&b, 0, 1, 480);
    b_track(&b);
    B(&b, 0, 0xff, 0x01, 10, 'a', 'b');
    b_track_end(&b);
    expect_fail(&b, REEL_EFORMAT, "cut off", "meta past chunk end");
    b_header(&b, 0, 1, 480);
    b_track(&b);
    B(&b, 0, 0xf0, 0x85);
    b_track_end(&b);
    expect_fail(&b, REEL_EFORMAT, "cut off", "sysex length cut");
    B_FILE(&b, 0, 0xff, 0x90, 0);
    expect_fail(&b, REEL_EFORMAT, "meta", "meta type >= 0x80");
    b_simple(&b);
    B(&b, 0, 1, 2, 3, 0, 0, 0, 5); /* junk after the declared track: ignored */
    {
        MidiSong s;
        if (expect_load(&b, &s, "trailing junk"))
            midi_song_free(&s);
    }
    b_header(&b, 1, 2, 480);
    b_track(&b);
    b_eot(&b);
    B(&b, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0);
    expect_fail(&b, REEL_EFORMAT, "expected a chunk", "garbage chunk id");
    b_header(&b, 1, 2, 480);
    b_track(&b);
    b_eot(&b);
    B(&b, 'X', 'F', 'I', 'H', 0, 0, 1, 0);
    expect_fail(&b, REEL_EFORMAT, "\"XFIH\" chunk", "unknown chunk cut off");
}

/* Files libsmf 1.3 misreads, which the loader hands over normalized. */
static void test_rewrites(void)
{
    Smf b;
    MidiSong s;
    char text[300];

    /* a 200-byte text meta between notes: libsmf would lose its place */
    b_header(&b, 0, 1, 480);
    b_track(&b);
    B(&b, 0, 0x90, 60, 100, 0, 0xff, 0x01, 0x81, 0x48);
    for (int i = 0; i < 200; i++)
        B(&b, 'a' + i % 26);
    B(&b, 0x83, 0x60, 0x80, 60, 0, 0, 0xff, 0x03, 0x81, 0x00);
    for (int i = 0; i < 128; i++)
        B(&b, 'N');
    B(&b, 0, 0x90, 62, 90, 60, 0x90, 62, 0);
    b_eot(&b);
    CHECK(midi_validate(b.d, b.n, "long.mid", NULL) == REEL_OK, "long meta should be valid");
    if (expect_load(&b, &s, "long meta")) {
        CHECK(s.n_notes == 2 && s.notes[0].off == 480 && s.notes[1].on == 480 &&
              s.notes[1].off == 540 && s.notes[1].pitch == 62,
              "long meta: notes wrong (%d notes)", s.n_notes);
        memset(text, 'N', 127);
        text[127] = '\0';
        CHECK(s.tracks[0].name && !strcmp(s.tracks[0].name, text),
              "long track name not cut to 127 bytes");
        midi_song_free(&s);
    }

    /* a short text whose length is written with a needless 0x80 prefix */
    B_FILE(&b, 0, 0xff, 0x03, 0x80, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0x90, 60, 100, 10, 0x80, 60, 0);
    if (expect_load(&b, &s, "non-minimal meta length")) {
        CHECK(s.n_notes == 1 && s.notes[0].off == 10 && s.tracks[0].name &&
              !strcmp(s.tracks[0].name, "hello"), "non-minimal meta length read wrongly");
        midi_song_free(&s);
    }

    /* 0xF7 escape (sysex continuation) between notes */
    B_FILE(&b, 0, 0xf0, 3, 0x43, 0x12, 0x00, 0, 0x90, 64, 80, 10, 0xf7, 3, 0x00, 0x43, 0xf7, 0x80, 0x10,
      0x90, 64, 0);
    if (expect_load(&b, &s, "0xF7 escape")) {
        CHECK(s.n_notes == 1 && s.notes[0].on == 0 && s.notes[0].off == 10 + 0x10,
              "0xF7: timing lost (off %u)", s.n_notes ? s.notes[0].off : 0);
        midi_song_free(&s);
    }

    /* MThd of 8 bytes, an unknown chunk before the track, bytes after EOT */
    b.n = 0;
    B(&b, 'M', 'T', 'h', 'd', 0, 0, 0, 8, 0, 1, 0, 1, 0x01, 0xe0, 0xaa, 0xbb);
    B(&b, 'X', 'F', 'I', 'H', 0, 0, 0, 3, 1, 2, 3);
    b_track(&b);
    B(&b, 0, 0x91, 70, 50, 0x60, 0x91, 70, 0, 0, 0xff, 0x2f, 0, 0x55, 0x66);
    b_track_end(&b);
    if (expect_load(&b, &s, "long header + unknown chunk")) {
        CHECK(s.ppq == 480 && s.format == 1 && s.n_notes == 1 && s.notes[0].chan == 1 &&
              s.notes[0].off == 0x60, "normalized file read wrongly");
        midi_song_free(&s);
    }
}

/* Pairing of note-ons and note-offs, and what else a song holds. */
static void test_pairing(void)
{
    Smf b;
    MidiSong s;
    b_header(&b, 1, 2, 96);
    b_track(&b);
    B(&b, 0, 0xff, 0x03, 4, 'C', 'o', 'n', 'd', 0, 0xff, 0x51, 3, 0x07, 0xa1, 0x20, 0, 0xff, 0x58,
      4, 3, 2, 24, 8, 100, 0xff, 0x51, 3, 0x0f, 0x42, 0x40);
    b_eot(&b);
    b_track(&b);
    /* FIFO: on@0, on@10, off@20, off@30 -> [0,20) [10,30) */
    B(&b, 0, 0xc0, 5, 0, 0xc0, 7, 0, 0x90, 60, 100, 10, 0x90, 60, 90, 10, 0x80, 60, 0, 10, 0x80,
      60, 0);
    /* zero length at 40; velocity-0 note-on as off; stray off */
    B(&b, 10, 0x92, 64, 70, 0, 0x92, 64, 0, 5, 0x82, 65, 0);
    /* a time signature in this track at 50; a note left open at 50 */
    B(&b, 5, 0xff, 0x58, 4, 6, 3, 24, 8, 0, 0x99, 36, 127, 50, 0xff, 0x2f, 0);
    b_track_end(&b);
    if (expect_load(&b, &s, "pairing")) {
        CHECK(s.n_notes == 4, "pairing: %d notes, want 4", s.n_notes);
        if (s.n_notes == 4) {
            CHECK(s.notes[0].on == 0 && s.notes[0].off == 20 && s.notes[0].vel == 100,
                  "first same-pitch note [%u,%u) want [0,20)", s.notes[0].on, s.notes[0].off);
            CHECK(s.notes[1].on == 10 && s.notes[1].off == 30 && s.notes[1].vel == 90,
                  "second same-pitch note [%u,%u) want [10,30)", s.notes[1].on, s.notes[1].off);
            CHECK(s.notes[2].on == 40 && s.notes[2].off == 41 && s.notes[2].chan == 2,
                  "zero-length note [%u,%u) want [40,41)", s.notes[2].on, s.notes[2].off);
            CHECK(s.notes[3].on == 50 && s.notes[3].off == 100 && s.notes[3].chan == 9 &&
                  s.notes[3].pitch == 36, "open note [%u,%u) want [50,100)", s.notes[3].on,
                  s.notes[3].off);
            CHECK(s.notes[0].track == 1, "track index %u", s.notes[0].track);
        }
        CHECK(s.unclosed == 1 && s.stray_offs == 1, "unclosed %d stray %d, want 1 1", s.unclosed,
              s.stray_offs);
        CHECK(s.tracks[0].name && !strcmp(s.tracks[0].name, "Cond") && !s.tracks[1].name,
              "track names");
        CHECK(s.tracks[1].program[0] == 5 && s.tracks[1].program[1] == -1 &&
              s.tracks[0].program[0] == -1, "first program change per channel");
        CHECK(s.tracks[0].n_notes == 0 && s.tracks[1].n_notes == 4, "per-track note counts");
        CHECK(s.n_tempos == 2 && s.tempos[0].tick == 0 && s.tempos[0].usec_per_quarter == 500000 &&
              s.tempos[1].tick == 100 && s.tempos[1].usec_per_quarter == 1000000, "tempos");
        CHECK(s.n_sigs == 2 && s.sigs[0].tick == 0 && s.sigs[0].num == 3 && s.sigs[0].den == 4 &&
              s.sigs[1].tick == 50 && s.sigs[1].num == 6 && s.sigs[1].den == 8,
              "time signatures from both tracks, in tick order");
        CHECK(s.end_tick == 100 && s.ppq == 96 && s.format == 1, "end_tick %u", s.end_tick);
        midi_song_free(&s);
    }
}

/* ---------------------------------------------------------------------
 * truncations and mutations of real files
 * ------------------------------------------------------------------- */

typedef struct {
    long tried, loaded, rejected, by[8];
} Tally;

/* Load len bytes; the outcome must be a song or a format error naming the file. */
static void try_bytes(const uint8_t *d, size_t len, const char *name, Tally *t, const char *what,
                      size_t arg)
{
    MidiSong s;
    ReelError e;
    ReelStatus st = midi_load_memory(d, len, name, &s, &e);
    t->tried++;
    if (st == REEL_OK) {
        t->loaded++;
        if (*song_problem(&s))
            CHECK(0, "%s %zu of %s: loaded a broken song: %s", what, arg, name, song_problem(&s));
        midi_song_free(&s);
        return;
    }
    t->rejected++;
    t->by[st & 7]++;
    if (!is_format_error(st) || !strstr(e.msg, name))
        CHECK(0, "%s %zu of %s: status %s, message \"%s\"", what, arg, name,
              reel_status_name(st), e.msg);
    if (s.notes || s.tracks || s.n_notes)
        CHECK(0, "%s %zu of %s: failed but the song is not empty", what, arg, name);
}

/* Offsets where chunks begin and end (to test every length around them). */
static size_t chunk_bounds(const uint8_t *d, size_t n, size_t *out, size_t max)
{
    size_t k = 0, pos = 0;
    while (pos + 8 <= n && k + 2 <= max) {
        uint32_t len = (uint32_t)d[pos + 4] << 24 | (uint32_t)d[pos + 5] << 16 |
                       (uint32_t)d[pos + 6] << 8 | d[pos + 7];
        out[k++] = pos;
        out[k++] = pos + 8;
        pos += 8 + (size_t)len;
    }
    return k;
}

static bool near_any(size_t x, const size_t *pts, size_t n, size_t r)
{
    for (size_t i = 0; i < n; i++)
        if (x + r >= pts[i] && x <= pts[i] + r)
            return true;
    return false;
}

/* Every truncation (with a stride in the middle of big files); all must fail. */
static void truncate_file(const char *path, size_t stride, Tally *t)
{
    size_t n, nb, bounds[64];
    uint8_t *d = test_read(path, &n), *copy;
    const char *name = strrchr(path, '/') + 1;
    long rejected0 = t->rejected;
    long tried0 = t->tried;
    nb = chunk_bounds(d, n, bounds, 64);
    for (size_t len = 0; len < n; len++) {
        if (stride > 1 && len > 300 && len + 300 < n && len % stride &&
            !near_any(len, bounds, nb, 20))
            continue;
        /* a fresh exact-size copy, so ASan sees any read past the end */
        copy = malloc(len ? len : 1);
        REQUIRE(copy != NULL, "out of memory");
        memcpy(copy, d, len);
        try_bytes(copy, len, name, t, "truncation to", len);
        free(copy);
    }
    CHECK(t->rejected - rejected0 == t->tried - tried0,
          "%s: %ld of %ld truncations loaded (the file has nothing after its last track)", name,
          (t->tried - tried0) - (t->rejected - rejected0), t->tried - tried0);
    free(d);
}

typedef struct {
    uint64_t s;
} Rng;

static uint64_t rng_next(Rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

/* 1..3 random edits of src into dst (room for n + 3 bytes); returns the new length. */
static size_t mutate(const uint8_t *src, size_t n, uint8_t *dst, Rng *r)
{
    int edits = 1 + (int)(rng_next(r) % 3);
    memcpy(dst, src, n);
    for (int k = 0; k < edits && n > 0; k++) {
        /* a quarter of the edits hit the first 64 bytes: header and first events */
        size_t span = rng_next(r) % 4 == 0 && n > 64 ? 64 : n;
        size_t at = (size_t)(rng_next(r) % span);
        switch (rng_next(r) % 7) {
        case 0: dst[at] ^= (uint8_t)(1u << (rng_next(r) % 8)); break;
        case 1:
            memmove(dst + at + 1, dst + at, n - at);
            dst[at] = (uint8_t)rng_next(r);
            n++;
            break;
        case 2:
            memmove(dst + at, dst + at + 1, n - at - 1);
            n--;
            break;
        case 3: dst[at] = 0x00; break;
        case 4: dst[at] = 0xff; break;
        case 5: dst[at] = 0x80; break;
        default: dst[at] = (uint8_t)rng_next(r); break;
        }
    }
    return n;
}

static void mutate_file(const char *path, int count, Rng *r, Tally *t)
{
    size_t n;
    uint8_t *d = test_read(path, &n);
    const char *name = strrchr(path, '/') + 1;
    for (int i = 0; i < count; i++) {
        uint8_t *m = malloc(n + 4), *exact;
        size_t len;
        REQUIRE(m != NULL, "out of memory");
        len = mutate(d, n, m, r);
        /* an exact-size copy, so ASan sees any read past the end */
        exact = malloc(len ? len : 1);
        REQUIRE(exact != NULL, "out of memory");
        memcpy(exact, m, len);
        free(m);
        try_bytes(exact, len, name, t, "mutation", (size_t)i);
        free(exact);
    }
    free(d);
}

static void report(const char *what, const Tally *t)
{
    fprintf(stderr, "%s: %ld tried, %ld loaded, %ld rejected (bad format %ld, unsupported %ld, "
                    "empty %ld)\n", what, t->tried, t->loaded, t->rejected, t->by[REEL_EFORMAT],
            t->by[REEL_EUNSUPPORTED], t->by[REEL_EEMPTY]);
}

/* A file with everything the walk handles: a long header, an unknown chunk,
 * a long text meta, sysex, 0xF7, running status, every channel message. */
static void b_kitchen(Smf *b)
{
    b->n = 0;
    B(b, 'M', 'T', 'h', 'd', 0, 0, 0, 8, 0, 1, 0, 3, 0, 96, 0, 0);
    B(b, 'X', 'F', 'I', 'H', 0, 0, 0, 2, 7, 7);
    b_track(b);
    B(b, 0, 0xff, 0x51, 3, 0x07, 0xa1, 0x20, 0, 0xff, 0x58, 4, 6, 3, 24, 8, 0, 0xff, 0x01, 0x81,
      0x10);
    for (int i = 0; i < 144; i++)
        B(b, 'A' + i % 26);
    B(b, 48, 0xff, 0x51, 3, 0x0f, 0x42, 0x40);
    b_eot(b);
    b_track(b);
    B(b, 0, 0xff, 0x03, 5, 'f', 'i', 'd', 'd', 'l', 0, 0xf0, 5, 0x7e, 0x7f, 0x09, 0x01, 0xf7, 0,
      0xc0, 40, 0, 0xb0, 7, 100, 0, 0x90, 60, 90, 24, 62, 80, 0, 60, 0, 24, 0x80, 62, 0, 0, 0xe0,
      0, 64, 0, 0xd0, 30, 0, 0xa0, 64, 20, 5, 0xf7, 2, 0xf8, 0xfa, 0, 0x90, 64, 70, 0x81, 0x00,
      0x80, 64, 0);
    b_eot(b);
    b_track(b);
    B(b, 0, 0x99, 36, 100, 12, 42, 90, 12, 0x89, 36, 0, 0, 42, 0, 0, 0xff, 0x2f, 0, 1, 2, 3);
    b_track_end(b);
    B(b, 0, 0, 0);
}

static void test_kitchen_mutations(void)
{
    Smf b;
    Tally t = {0};
    Rng r = {0x2545f4914f6cdd1dull};
    MidiSong s;
    uint8_t m[sizeof b.d + 4], *exact;
    b_kitchen(&b);
    if (expect_load(&b, &s, "kitchen sink")) {
        CHECK(s.n_notes == 5 && s.n_tempos == 2 && s.n_sigs == 1 && s.unclosed == 0 &&
              s.stray_offs == 0 && s.tracks[1].program[0] == 40 &&
              !strcmp(s.tracks[1].name, "fiddl"), "kitchen sink read wrongly");
        midi_song_free(&s);
    }
    for (int i = 0; i < (quick ? 100 : 3000); i++) {
        size_t len = mutate(b.d, b.n, m, &r);
        exact = malloc(len ? len : 1);
        REQUIRE(exact != NULL, "out of memory");
        memcpy(exact, m, len);
        try_bytes(exact, len, "kitchen.mid", &t, "mutation", (size_t)i);
        free(exact);
    }
    CHECK(t.loaded > 0 && t.rejected > 0, "kitchen mutations: %ld loaded, %ld rejected", t.loaded,
          t.rejected);
    report("mutations of a hand-made file", &t);
}

static void test_truncations(void)
{
    Tally t = {0};
    truncate_file(corpus_file("ryans-mammoth/midi", "LooneyMcTwolterJig.mid"), 1, &t);
    truncate_file(corpus_file("ryans-mammoth/midi", "BeauxOfOakHillReel.mid"), 1, &t);
    truncate_file(corpus_file("pop909/midi", "098.mid"), 1, &t);
    truncate_file(corpus_file("pop909/midi", "001.mid"), quick ? 37 : 1, &t);
    truncate_file(corpus_file("pop909/midi", "203.mid"), quick ? 211 : 7, &t);
    CHECK(t.tried > (quick ? 3000 : 20000), "only %ld truncations", t.tried);
    report("truncations", &t);
}

static void test_mutations(void)
{
    Tally t = {0};
    Rng r = {0x9e3779b97f4a7c15ull};
    int n = quick ? 60 : 1200;
    mutate_file(corpus_file("ryans-mammoth/midi", "LooneyMcTwolterJig.mid"), n, &r, &t);
    mutate_file(corpus_file("ryans-mammoth/midi", "BeauxOfOakHillReel.mid"), n, &r, &t);
    mutate_file(corpus_file("pop909/midi", "098.mid"), n, &r, &t);
    mutate_file(corpus_file("pop909/midi", "001.mid"), n / 2, &r, &t);
    CHECK(t.loaded > 0 && t.rejected > 0, "mutations: %ld loaded, %ld rejected", t.loaded,
          t.rejected);
    report("mutations", &t);
}

/* ---------------------------------------------------------------------
 * files on disk
 * ------------------------------------------------------------------- */

static void expect_file_fail(const char *path, ReelStatus want, const char *frag)
{
    MidiSong s;
    ReelError e;
    ReelStatus st = midi_load_file(path, &s, &e);
    CHECK(st == want, "%s: status %s, want %s (%s)", path, reel_status_name(st),
          reel_status_name(want), st ? e.msg : "loaded");
    if (st) {
        CHECK(strstr(e.msg, path) && strstr(e.msg, frag), "%s: message \"%s\" lacks \"%s\"", path,
              e.msg, frag);
        CHECK(!s.notes && !s.tracks, "%s: song not empty", path);
    } else {
        midi_song_free(&s);
    }
}

static void test_files(const char *tmp)
{
    char p[1024];
    Smf b;
    int fd, rc;

    snprintf(p, sizeof p, "%s/does-not-exist.mid", tmp);
    expect_file_fail(p, REEL_EIO, "No such file");
    expect_file_fail(tmp, REEL_EIO, "folder");
    snprintf(p, sizeof p, "%s/empty.mid", tmp);
    test_write(p, "", 0);
    expect_file_fail(p, REEL_EEMPTY, "0 bytes");
    snprintf(p, sizeof p, "%s/mthd.mid", tmp);
    test_write(p, "MThd", 4);
    expect_file_fail(p, REEL_EFORMAT, "header");
    snprintf(p, sizeof p, "%s/notes.txt", tmp);
    test_write(p, "C D E F | G A B c |\n", 20);
    expect_file_fail(p, REEL_EFORMAT, "not a MIDI file");
    snprintf(p, sizeof p, "%s/notracks.mid", tmp);
    b_header(&b, 1, 0, 480);
    test_write(p, b.d, b.n);
    expect_file_fail(p, REEL_EEMPTY, "0 tracks");
    snprintf(p, sizeof p, "%s/nomtrk.mid", tmp);
    b_header(&b, 1, 3, 480);
    test_write(p, b.d, b.n);
    expect_file_fail(p, REEL_EFORMAT, "declares 3 tracks");
    snprintf(p, sizeof p, "%s/huge.mid", tmp);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0, "cannot create %s", p);
    rc = ftruncate(fd, (64 << 20) + 1);
    REQUIRE(rc == 0, "cannot make a sparse file");
    close(fd);
    expect_file_fail(p, REEL_EUNSUPPORTED, "too large");
    unlink(p);
    if (access("/dev/null", R_OK) == 0)
        expect_file_fail("/dev/null", REEL_EIO, "not a regular file");
}

/* ---------------------------------------------------------------------
 * writing
 * ------------------------------------------------------------------- */

static void build_tune(Tune *t)
{
    static const int notes[][4] = {
        /* onset, dur, pitch, vel */
        {0, 2, 67, 100}, {2, 2, 69, 90}, {4, 4, 71, 80}, {4, 4, 74, 80}, /* a double stop */
        {8, 1, 72, 100}, {9, 1, 72, 100},  /* the same pitch back to back */
        {10, 6, 60, 64}, {16, 3, 127, 1}, {19, 1, 0, 127}, {24, 8, 76, 110},
        {40, 2, 79, 100}, {42, 14, 81, 100},
    };
    ReelError e;
    ReelStatus st;
    tune_init(t);
    st = tune_set_strings(t, "RoundTrip", "test", "fiddle part", &e);
    for (size_t i = 0; !st && i < sizeof notes / sizeof *notes; i++)
        st = tune_add_note(t, notes[i][0], notes[i][1], notes[i][2], notes[i][3], &e);
    st = st ? st : tune_add_tempo(t, 0, 428571, &e);
    st = st ? st : tune_add_tempo(t, 24, 600000, &e);
    st = st ? st : tune_add_sig(t, 0, 6, 8, &e);
    st = st ? st : tune_add_sig(t, 24, 2, 4, &e);
    REQUIRE(st == REEL_OK, "building the tune: %s", e.msg);
    t->program = 40;
    tune_sort(t);
    t->n_steps = 64; /* a rest at the end */
}

static void compare_song(const MidiSong *s, const Tune *t, int ppq, int chan, int program,
                         const char *what)
{
    uint32_t tps = (uint32_t)ppq / 4;
    CHECK(!*song_problem(s), "%s: %s", what, song_problem(s));
    CHECK(s->format == 1 && s->ppq == ppq && s->n_tracks == 2, "%s: format %d ppq %d tracks %d",
          what, s->format, s->ppq, s->n_tracks);
    if (s->n_tracks != 2)
        return;
    CHECK(s->n_notes == t->n_notes && s->tracks[1].n_notes == t->n_notes,
          "%s: %d notes back, %d written", what, s->n_notes, t->n_notes);
    for (int32_t i = 0; i < s->n_notes && i < t->n_notes; i++) {
        const MidiNote *m = &s->notes[i];
        const Note *n = &t->notes[i];
        if (m->on != (uint32_t)n->onset * tps || m->off != (uint32_t)(n->onset + n->dur) * tps ||
            m->pitch != n->pitch || m->vel != n->vel || m->chan != chan || m->track != 1)
            CHECK(0, "%s: note %d: [%u,%u) pitch %u vel %u chan %u, want [%u,%u) %u %u %d", what,
                  i, m->on, m->off, m->pitch, m->vel, m->chan, (unsigned)n->onset * tps,
                  (unsigned)(n->onset + n->dur) * tps, n->pitch, n->vel, chan);
    }
    CHECK(s->n_tempos == t->n_tempos, "%s: %d tempos", what, s->n_tempos);
    for (int32_t i = 0; i < s->n_tempos && i < t->n_tempos; i++)
        CHECK(s->tempos[i].tick == (uint32_t)t->tempos[i].step * tps &&
              (int32_t)s->tempos[i].usec_per_quarter == t->tempos[i].usec_per_quarter,
              "%s: tempo %d", what, i);
    CHECK(s->n_sigs == t->n_sigs, "%s: %d time signatures", what, s->n_sigs);
    for (int32_t i = 0; i < s->n_sigs && i < t->n_sigs; i++)
        CHECK(s->sigs[i].tick == (uint32_t)t->sigs[i].step * tps &&
              s->sigs[i].num == t->sigs[i].num && s->sigs[i].den == t->sigs[i].den,
              "%s: time signature %d", what, i);
    CHECK(s->tracks[1].program[chan] == program, "%s: program %d, want %d", what,
          s->tracks[1].program[chan], program);
    CHECK(s->tracks[1].name && !strcmp(s->tracks[1].name, t->part), "%s: track name %s", what,
          s->tracks[1].name ? s->tracks[1].name : "(none)");
    CHECK(s->end_tick == (uint32_t)t->n_steps * tps, "%s: end_tick %u, want %u", what,
          s->end_tick, (unsigned)t->n_steps * tps);
    CHECK(s->unclosed == 0 && s->stray_offs == 0, "%s: unclosed/stray notes", what);
}

static bool file_contains(const char *path, const char *text)
{
    size_t n, k = strlen(text);
    uint8_t *d = test_read(path, &n);
    bool found = false;
    for (size_t i = 0; i + k <= n && !found; i++)
        found = !memcmp(d + i, text, k);
    free(d);
    return found;
}

/* Names in dir that start with prefix (left-over temporary files). */
static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    REQUIRE(d != NULL, "cannot open %s", dir);
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, prefix, strlen(prefix)))
            n++;
    closedir(d);
    return n;
}

static void test_round_trip(const char *tmp)
{
    const char *prov = "reel test: seed 42, model lstm-2x256.bin, temperature 0.9";
    char path[1024], cmd[1200], *csv;
    Tune t;
    MidiSong s;
    ReelError e;
    MidiWriteOpts o = {.channel = 0, .program = -1, .provenance = prov, .ppq = 0};
    int rc;

    build_tune(&t);
    snprintf(path, sizeof path, "%s/round.mid", tmp);
    CHECK(midi_write_tune(path, &t, &o, &e) == REEL_OK, "write: %s", e.msg);
    CHECK(count_prefixed(tmp, "round.mid.") == 0, "temporary file left behind");
    if (midi_load_file(path, &s, &e) == REEL_OK) {
        compare_song(&s, &t, 480, 0, 40, "round trip");
        midi_song_free(&s);
    } else {
        CHECK(0, "reading back: %s", e.msg);
    }
    CHECK(file_contains(path, prov), "provenance text not in the file");

    snprintf(cmd, sizeof cmd, "midicsv '%s'", path);
    csv = run_capture(cmd, &rc);
    CHECK(rc == 0, "midicsv exit status %d", rc);
    CHECK(csv_note_ons(csv) == t.n_notes, "midicsv: %d note-ons, want %d", csv_note_ons(csv),
          t.n_notes);
    CHECK(strstr(csv, "0, 0, Header, 1, 2, 480") != NULL, "midicsv header");
    CHECK(strstr(csv, "1, 0, Tempo, 428571") && strstr(csv, "1, 2880, Tempo, 600000"),
          "midicsv tempos");
    CHECK(strstr(csv, "1, 0, Time_signature, 6, 3,") && strstr(csv, "1, 2880, Time_signature, 2, 2,"),
          "midicsv time signatures");
    CHECK(strstr(csv, "2, 0, Program_c, 0, 40") != NULL, "midicsv program change");
    CHECK(strstr(csv, "2, 0, Title_t, \"fiddle part\"") != NULL, "midicsv track name");
    {
        char want[300];
        snprintf(want, sizeof want, "1, 0, Text_t, \"%s\"", prov);
        CHECK(strstr(csv, want) != NULL, "midicsv: no Text_t with the provenance");
    }
    CHECK(strstr(csv, "2, 0, Note_on_c, 0, 67, 100") && strstr(csv, "2, 240, Note_off_c, 0, 67,"),
          "midicsv first note");
    CHECK(strstr(csv, "2, 7680, End_track") != NULL, "midicsv: the end rest is lost");
    free(csv);

    /* other ppq and channel, program from the options, a long UTF-8 provenance */
    {
        char longprov[400];
        size_t n = 0;
        while (n < 300) {
            memcpy(longprov + n, "\xc3\xa9t\xc3\xa9 ", 6); /* "été " */
            n += 6;
        }
        longprov[n] = '\0';
        o = (MidiWriteOpts){.channel = 5, .program = 73, .provenance = longprov, .ppq = 96};
        CHECK(midi_write_tune(path, &t, &o, &e) == REEL_OK, "write 2: %s", e.msg);
        if (midi_load_file(path, &s, &e) == REEL_OK) {
            compare_song(&s, &t, 96, 5, 73, "round trip 2");
            midi_song_free(&s);
        } else {
            CHECK(0, "reading back 2: %s", e.msg);
        }
        /* split into meta events of at most 127 bytes, never inside a character */
        CHECK(file_contains(path, "\xff\x01\x7e\xc3\xa9t"), "long provenance: first piece");
        snprintf(cmd, sizeof cmd, "midicsv '%s'", path);
        csv = run_capture(cmd, &rc);
        CHECK(rc == 0 && count_lines_with(csv, "Text_t") == 3, "long provenance: %d text events",
              count_lines_with(csv, "Text_t"));
        free(csv);
    }

    /* no program anywhere, no provenance, default options */
    t.program = -1;
    CHECK(midi_write_tune(path, &t, NULL, &e) == REEL_OK, "write 3: %s", e.msg);
    if (midi_load_file(path, &s, &e) == REEL_OK) {
        compare_song(&s, &t, 480, 0, -1, "round trip 3");
        midi_song_free(&s);
    }
    tune_free(&t);

    /* an empty tune is still a valid file */
    tune_init(&t);
    CHECK(midi_write_tune(path, &t, NULL, &e) == REEL_OK, "empty tune: %s", e.msg);
    if (midi_load_file(path, &s, &e) == REEL_OK) {
        CHECK(s.n_notes == 0 && s.n_tracks == 2, "empty tune read back");
        midi_song_free(&s);
    }
    tune_free(&t);
}

static void test_write_failures(const char *tmp)
{
    char path[1100], dir[1024];
    const char *orig = "ORIGINAL CONTENT";
    Tune t;
    ReelError e;
    MidiWriteOpts bad = {.channel = 16, .program = -1, .provenance = NULL, .ppq = 0};
    struct rlimit old, lim;
    size_t n;
    uint8_t *d;
    int saved, logfd, rc;
    ReelStatus st;

    build_tune(&t);
    snprintf(path, sizeof path, "%s/no/such/folder/out.mid", tmp);
    st = midi_write_tune(path, &t, NULL, &e);
    CHECK(st == REEL_EIO && strstr(e.msg, path), "missing folder: %s %s", reel_status_name(st),
          e.msg);

    snprintf(path, sizeof path, "%s/keep.mid", tmp);
    test_write(path, orig, strlen(orig));
    st = midi_write_tune(path, &t, &bad, &e);
    CHECK(st == REEL_EARG && strstr(e.msg, "channel"), "channel 16: %s %s", reel_status_name(st),
          e.msg);
    t.notes[0].pitch = 200;
    st = midi_write_tune(path, &t, NULL, &e);
    CHECK(st == REEL_EARG && strstr(e.msg, "pitch 200"), "pitch 200: %s", e.msg);
    t.notes[0].pitch = 67;

    /* a real write failure: the file-size limit stops libsmf's fwrite/fclose.
     * libsmf logs it with g_critical: that must land in e, not on stderr. */
    signal(SIGXFSZ, SIG_IGN);
    rc = getrlimit(RLIMIT_FSIZE, &old);
    REQUIRE(rc == 0, "getrlimit");
    lim = old;
    lim.rlim_cur = 16;
    fflush(stderr);
    saved = dup(2);
    {
        char logpath[1100];
        snprintf(logpath, sizeof logpath, "%s/stderr.log", tmp);
        logfd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
    }
    REQUIRE(saved >= 0 && logfd >= 0, "cannot open a log file");
    rc = dup2(logfd, 2) == 2 ? setrlimit(RLIMIT_FSIZE, &lim) : -1;
    st = rc == 0 ? midi_write_tune(path, &t, NULL, &e) : REEL_EARG;
    setrlimit(RLIMIT_FSIZE, &old);
    dup2(saved, 2);
    close(saved);
    REQUIRE(rc == 0, "cannot redirect stderr or set the file size limit");
    CHECK(lseek(logfd, 0, SEEK_END) == 0, "something was printed to stderr during a failed write");
    close(logfd);
    CHECK(st == REEL_EIO && strstr(e.msg, path) && strstr(e.msg, "failed"),
          "file size limit: %s \"%s\"", reel_status_name(st), e.msg);
    d = test_read(path, &n);
    CHECK(n == strlen(orig) && !memcmp(d, orig, n), "the existing file was changed");
    free(d);
    CHECK(count_prefixed(tmp, "keep.mid.") == 0, "temporary file left behind after a failure");

    /* the target is a folder with something in it: the rename fails */
    snprintf(dir, sizeof dir, "%s/adir.mid", tmp);
    rc = mkdir(dir, 0755);
    REQUIRE(rc == 0, "mkdir %s", dir);
    snprintf(path, sizeof path, "%s/inside", dir);
    test_write(path, orig, strlen(orig));
    st = midi_write_tune(dir, &t, NULL, &e);
    CHECK(st == REEL_EIO && strstr(e.msg, dir), "folder as target: %s %s", reel_status_name(st),
          e.msg);
    CHECK(access(path, R_OK) == 0, "the folder's content is gone");
    CHECK(count_prefixed(tmp, "adir.mid.") == 0, "temporary file left behind after rename failed");
    unlink(path);
    rmdir(dir);
    tune_free(&t);
}

int main(void)
{
    const char *q = getenv("MIDI_TEST_QUICK");
    char tmp[600];
    double t0 = now_sec();
    quick = q && *q && strcmp(q, "0");
    alarm(quick ? 900 : 300); /* a hang fails the test instead of blocking the suite */
    snprintf(tmp, sizeof tmp, "%s", test_tmpdir());

    test_damage();
    test_rewrites();
    test_pairing();
    test_ryans_files();
    test_pop909_files();
    if (!quick)
        test_whole_corpora();
    test_files(tmp);
    test_round_trip(tmp);
    test_write_failures(tmp);
    test_truncations();
    test_mutations();
    test_kitchen_mutations();

    fprintf(stderr, "test_midi: %.1f s%s\n", now_sec() - t0, quick ? " (quick)" : "");
    TEST_END();
}
