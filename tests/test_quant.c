/* test_quant.c — choosing the melody part and quantizing, on hand-made songs. */
#include "quant.h"
#include "testlib.h"

#define MAXN 256

typedef struct {
    MidiSong s;
    MidiTrack tracks[4];
    MidiNote notes[MAXN];
    MidiTempo tempos[4];
    MidiTimeSig sigs[4];
} Song;

static void song_init(Song *g, int ppq, int n_tracks)
{
    memset(g, 0, sizeof *g);
    g->s.format = 1;
    g->s.ppq = ppq;
    g->s.tracks = g->tracks;
    g->s.n_tracks = n_tracks;
    g->s.notes = g->notes;
    g->s.tempos = g->tempos;
    g->s.sigs = g->sigs;
    for (int t = 0; t < 4; t++)
        for (int c = 0; c < 16; c++)
            g->tracks[t].program[c] = -1;
}

static void add(Song *g, int track, int chan, uint32_t on, uint32_t off, int pitch)
{
    MidiNote *n = &g->notes[g->s.n_notes++];
    n->on = on;
    n->off = off;
    n->pitch = (uint8_t)pitch;
    n->vel = 90;
    n->chan = (uint8_t)chan;
    n->track = (uint16_t)track;
    g->tracks[track].n_notes++;
}

static void test_melody_track_wins(void)
{
    Song g;
    Tune t;
    ReelError e;
    char mel[] = "Melody", pno[] = "PIANO";
    song_init(&g, 480, 3);
    g.tracks[1].name = mel;
    g.tracks[2].name = pno;
    for (int i = 0; i < 8; i++)
        add(&g, 1, 0, (uint32_t)i * 480, (uint32_t)i * 480 + 480, 60 + i);
    for (int i = 0; i < 40; i++)
        add(&g, 2, 1, (uint32_t)i * 120, (uint32_t)i * 120 + 120, 40 + i % 12);
    CHECK(quant_tune(&g.s, NULL, "x", "x.mid", &t, &e) == REEL_OK, "%s", e.msg);
    CHECK(t.n_notes == 8, "MELODY track has 8 notes, got %d", t.n_notes);
    CHECK(t.notes[0].pitch == 60 && t.notes[0].dur == 4, "first note C4 of 4 steps");
    CHECK(t.notes[7].onset == 28, "last onset at step 28, got %d", t.notes[7].onset);
    CHECK(t.part && strcmp(t.part, "MELODY") == 0, "part %s", t.part ? t.part : "(null)");
    tune_free(&t);

    /* --part PIANO takes the other track. */
    {
        QuantOpts o = {"piano", false};
        CHECK(quant_tune(&g.s, &o, "x", "x.mid", &t, &e) == REEL_OK, "%s", e.msg);
        CHECK(t.n_notes == 40, "PIANO has 40 notes, got %d", t.n_notes);
        tune_free(&t);
    }
    {
        QuantOpts o = {"BASS", false};
        CHECK(quant_tune(&g.s, &o, "x", "x.mid", &t, &e) == REEL_EEMPTY, "no BASS track");
        CHECK(strstr(e.msg, "x.mid") && strstr(e.msg, "BASS"), "message: %s", e.msg);
    }
    {
        QuantOpts o = {"all", false};
        CHECK(quant_tune(&g.s, &o, "x", "x.mid", &t, &e) == REEL_OK, "%s", e.msg);
        CHECK(t.n_notes == 48, "all: 48 notes, got %d", t.n_notes);
        tune_free(&t);
    }
}

static void test_busiest_monophonic(void)
{
    Song g;
    Tune t;
    ReelError e;
    song_init(&g, 96, 1);
    /* Channel 0: 10 single notes.  Channel 1: 30 notes, as triads (polyphonic).
     * Channel 9: 50 drum hits.  The melody is channel 0. */
    for (int i = 0; i < 10; i++)
        add(&g, 0, 0, (uint32_t)i * 48, (uint32_t)i * 48 + 48, 70);
    for (int i = 0; i < 10; i++)
        for (int k = 0; k < 3; k++)
            add(&g, 0, 1, (uint32_t)i * 96, (uint32_t)i * 96 + 96, 48 + 4 * k);
    for (int i = 0; i < 50; i++)
        add(&g, 0, 9, (uint32_t)i * 24, (uint32_t)i * 24 + 12, 36);
    CHECK(quant_tune(&g.s, NULL, "x", "x.mid", &t, &e) == REEL_OK, "%s", e.msg);
    CHECK(t.n_notes == 10 && t.notes[0].pitch == 70, "channel 0 chosen: %d notes, pitch %d",
          t.n_notes, t.n_notes ? t.notes[0].pitch : -1);
    CHECK(t.notes[1].onset == 2 && t.notes[1].dur == 2, "8ths at 96 ppq: onset %d dur %d",
          t.notes[1].onset, t.notes[1].dur);
    tune_free(&t);

    /* Drums only: rejected, and the message says so. */
    song_init(&g, 96, 1);
    for (int i = 0; i < 5; i++)
        add(&g, 0, 9, (uint32_t)i * 24, (uint32_t)i * 24 + 12, 36);
    CHECK(quant_tune(&g.s, NULL, "d", "drums.mid", &t, &e) == REEL_EEMPTY, "drums only");
    CHECK(strstr(e.msg, "drums.mid") && strstr(e.msg, "drum"), "message: %s", e.msg);

    /* No notes at all. */
    song_init(&g, 96, 1);
    CHECK(quant_tune(&g.s, NULL, "e", "empty.mid", &t, &e) == REEL_EEMPTY, "no notes");
    CHECK(strstr(e.msg, "empty.mid") != NULL, "message: %s", e.msg);
}

static void test_grid_phase(void)
{
    Song g;
    Tune t;
    ReelError e;
    /* POP909-like: every onset 37 ticks after the grid (480 ppq, 120 ticks a
     * step), one note in four a little early or late. */
    song_init(&g, 480, 1);
    for (int i = 0; i < 64; i++) {
        int jitter = i % 4 == 0 ? (i % 8 == 0 ? 5 : -5) : 0;
        uint32_t on = (uint32_t)(37 + i * 240 + jitter);
        add(&g, 0, 0, on, on + 230, 60 + i % 7);
    }
    CHECK(quant_tune(&g.s, NULL, "p", "p.mid", &t, &e) == REEL_OK, "%s", e.msg);
    CHECK(t.q.on_grid == 64, "all on the grid after the phase shift: %ld", t.q.on_grid);
    CHECK(t.q.phase > 0.2 && t.q.phase < 0.4, "phase near 37/120 = 0.31: %f", t.q.phase);
    CHECK(t.notes[0].onset == 0 && t.notes[1].onset == 2 && t.notes[63].onset == 126,
          "onsets 0, 2 .. 126: %d %d %d", t.notes[0].onset, t.notes[1].onset, t.notes[63].onset);
    CHECK(t.notes[5].dur == 2, "230 ticks is 2 steps: %d", t.notes[5].dur);
    tune_free(&t);

    /* Without the phase search most onsets are off the grid. */
    {
        QuantOpts o = {NULL, true};
        CHECK(quant_tune(&g.s, &o, "p", "p.mid", &t, &e) == REEL_OK, "%s", e.msg);
        CHECK(t.q.on_grid < 32, "no phase: few on the grid (%ld)", t.q.on_grid);
        tune_free(&t);
    }

    /* abc2midi-like: note-on 1 tick after the grid keeps phase 0. */
    song_init(&g, 480, 1);
    for (int i = 0; i < 16; i++)
        add(&g, 0, 0, (uint32_t)(1 + i * 120), (uint32_t)((i + 1) * 120), 62);
    CHECK(quant_tune(&g.s, NULL, "r", "r.mid", &t, &e) == REEL_OK, "%s", e.msg);
    CHECK(t.q.phase == 0.0, "phase 0: %f", t.q.phase);
    CHECK(t.n_notes == 16 && t.notes[3].onset == 3 && t.notes[3].dur == 1,
          "16 sixteenths: %d notes, onset %d dur %d", t.n_notes, t.notes[3].onset,
          t.notes[3].dur);
    CHECK(t.q.onset_moved == 0 && t.q.dur_changed == 0, "nothing lost: %ld %ld", t.q.onset_moved,
          t.q.dur_changed);
    tune_free(&t);
}

static void test_losses_counted(void)
{
    Song g;
    Tune t;
    ReelError e;
    song_init(&g, 480, 1);
    /* A quarter-note triplet: onsets 0, 320, 640 -> 0, 3 (2.67), 5 (5.33). */
    add(&g, 0, 0, 0, 320, 60);
    add(&g, 0, 0, 320, 640, 62);
    add(&g, 0, 0, 640, 960, 64);
    /* A grace note of 10 ticks: rounds to no length, lengthened to 1. */
    add(&g, 0, 0, 960, 970, 65);
    /* Two notes of the same pitch and onset (a doubled note): merged. */
    add(&g, 0, 0, 1920, 2400, 67);
    add(&g, 0, 0, 1920, 2160, 67);
    /* Same pitch re-struck inside the first: the first is cut. */
    add(&g, 0, 0, 2880, 3840, 69);
    add(&g, 0, 0, 3360, 3840, 69);
    CHECK(quant_tune(&g.s, NULL, "l", "l.mid", &t, &e) == REEL_OK, "%s", e.msg);
    CHECK(t.q.notes_in == 8, "8 notes in: %ld", t.q.notes_in);
    CHECK(t.q.onset_moved == 2, "two triplet onsets moved: %ld", t.q.onset_moved);
    CHECK(t.q.zero_dur == 1, "one note lengthened: %ld", t.q.zero_dur);
    CHECK(t.q.merged == 1, "one merge: %ld", t.q.merged);
    CHECK(t.q.overlaps_cut == 1, "one cut: %ld", t.q.overlaps_cut);
    CHECK(t.n_notes == 7, "7 notes out: %d", t.n_notes);
    for (int32_t i = 0; i < t.n_notes; i++)
        if (t.notes[i].pitch == 67)
            CHECK(t.notes[i].dur == 4, "the merge keeps the longer note: %d", t.notes[i].dur);
    CHECK(t.notes[t.n_notes - 2].pitch == 69 && t.notes[t.n_notes - 2].dur == 4,
          "cut at the re-strike: %d", t.notes[t.n_notes - 2].dur);
    tune_free(&t);
}

static void test_meta(void)
{
    Song g;
    Tune t;
    ReelError e;
    song_init(&g, 480, 1);
    add(&g, 0, 0, 0, 480, 60);
    add(&g, 0, 0, 7680, 8160, 60);
    g.tempos[0] = (MidiTempo){0, 600000};
    g.tempos[1] = (MidiTempo){3840, 400000};
    g.s.n_tempos = 2;
    g.sigs[0] = (MidiTimeSig){0, 1, 4};   /* POP909's placeholder */
    g.sigs[1] = (MidiTimeSig){3840, 3, 4};
    g.s.n_sigs = 2;
    g.tracks[0].program[0] = 40;
    CHECK(quant_tune(&g.s, NULL, "m", "m.mid", &t, &e) == REEL_OK, "%s", e.msg);
    CHECK(t.n_tempos == 2 && t.tempos[1].step == 32 && t.tempos[1].usec_per_quarter == 400000,
          "tempo change at step 32");
    CHECK(t.n_sigs == 2 && t.sigs[0].num == 4 && t.sigs[0].den == 4, "1/4 read as 4/4");
    CHECK(t.q.sigs_replaced == 1, "counted: %ld", t.q.sigs_replaced);
    CHECK(t.sigs[1].step == 32 && t.sigs[1].num == 3, "3/4 from step 32");
    CHECK(tune_is_bar_start(&t, 16) && !tune_is_bar_start(&t, 8), "4/4 bars");
    CHECK(tune_is_bar_start(&t, 44) && !tune_is_bar_start(&t, 48), "3/4 bars from step 32");
    CHECK(t.program == 40, "program kept: %d", t.program);
    tune_free(&t);
}

static void test_pitch_names(void)
{
    char b[6];
    CHECK(strcmp(pitch_name(60, b), "C4") == 0, "60 is C4");
    CHECK(strcmp(pitch_name(61, b), "C#4") == 0, "61 is C#4");
    CHECK(strcmp(pitch_name(0, b), "C-1") == 0, "0 is C-1: %s", b);
    CHECK(strcmp(pitch_name(127, b), "G9") == 0, "127 is G9");
    CHECK(pitch_parse("C4") == 60 && pitch_parse("c#4") == 61 && pitch_parse("Bb3") == 58,
          "parse");
    CHECK(pitch_parse("C-1") == 0 && pitch_parse("G9") == 127 && pitch_parse("G#9") == -1,
          "range ends");
    CHECK(pitch_parse("H4") == -1 && pitch_parse("C") == -1 && pitch_parse("C4x") == -1 &&
              pitch_parse("") == -1,
          "rejects");
    for (int p = 0; p < 128; p++)
        CHECK(pitch_parse(pitch_name(p, b)) == p, "round trip %d", p);
}

int main(void)
{
    test_melody_track_wins();
    test_busiest_monophonic();
    test_grid_phase();
    test_losses_counted();
    test_meta();
    test_pitch_names();
    TEST_END();
}
