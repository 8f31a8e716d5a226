/* test_audio.c — sound without a device: soundfont lookup, library
 * messages kept off the terminal, the player's schedule, WAV rendering
 * measured note by note, and the real-time callback path driven by hand
 * (a manual engine: the same code the PortAudio callback runs) for
 * playing, looping, appending, tempo changes and stop.
 *
 * How a note is measured (test_audio_wav.h): its pitch by YIN over the
 * steady part of the note, within 10 cents; its onset by matching the
 * first 20 ms of the same key rendered alone at a known frame (the same
 * instrument's own attack, so a violin's slow attack is no excuse), within
 * 1 ms of the exact step time (FluidSynth starts voices on a 64-frame grid:
 * 0.67 ms at most); and for the piano also the literal check, the envelope
 * reaching 10% of the note's peak within 10 ms of the step.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio.h"
#include "clock.h"
#include "player.h"
#include "soundfont.h"
#include "test_audio_wav.h"
#include "testlib.h"

#define SF_SMALL "/usr/share/sounds/sf2/TimGM6mb.sf2"
#define SF_BIG "/usr/share/sounds/sf2/FluidR3_GM.sf2"
#define RATE 48000
#define MELODY_UPQ 535714   /* 112 bpm: onsets off the 64-frame grid */

static const char *tmp;

/* ---- soundfont lookup ------------------------------------------------------ */

static void test_soundfont_find(void)
{
    char dir_a[600], dir_b[600], path[1024], out[1024];
    const char *dirs[2];
    SoundfontQuery q = {NULL, dirs, 2, true, true};
    ReelError err;
    static const char fake[] = "RIFF\x10\0\0\0sfbkLIST";

    snprintf(dir_a, sizeof dir_a, "%s/sfa", tmp);
    snprintf(dir_b, sizeof dir_b, "%s/sfb", tmp);
    mkdir(dir_a, 0755);
    mkdir(dir_b, 0755);
    dirs[0] = dir_a;
    dirs[1] = dir_b;

    /* Nothing anywhere: the message lists each place. */
    CHECK(soundfont_find(&q, out, sizeof out, &err) == REEL_EEMPTY, "empty folders: %s", err.msg);
    CHECK(strstr(err.msg, dir_a) && strstr(err.msg, dir_b), "message lists the folders: %s",
          err.msg);
    q.no_system = false;
    CHECK(soundfont_find(&q, out, sizeof out, &err) == REEL_OK, "system soundfont found");
    CHECK(!strcmp(out, "/usr/share/sounds/sf2/default-GM.sf2") || strstr(out, "/usr/share/sounds/sf2/"),
          "system soundfont first in order: %s", out);
    q.no_system = true;

    /* Folders in order, files in name order, non-soundfonts skipped. */
    snprintf(path, sizeof path, "%s/README", dir_b);
    test_write(path, "text", 4);
    snprintf(path, sizeof path, "%s/b.sf2", dir_b);
    test_write(path, fake, sizeof fake - 1);
    snprintf(path, sizeof path, "%s/a.sf2", dir_b);
    test_write(path, "not a soundfont at all", 22);
    CHECK(soundfont_find(&q, out, sizeof out, &err) == REEL_OK, "finds b.sf2: %s", err.msg);
    CHECK(strstr(out, "sfb/b.sf2") != NULL, "the valid file in the second folder: %s", out);
    snprintf(path, sizeof path, "%s/z.SF2", dir_a);
    test_write(path, fake, sizeof fake - 1);
    CHECK(soundfont_find(&q, out, sizeof out, &err) == REEL_OK && strstr(out, "sfa/z.SF2"),
          "the first folder wins: %s", out);

    /* An explicit path is used as given, or refused with its reason. */
    q.path = "/nonexistent/x.sf2";
    CHECK(soundfont_find(&q, out, sizeof out, &err) == REEL_EIO, "missing --soundfont");
    CHECK(strstr(err.msg, "/nonexistent/x.sf2") && strstr(err.msg, "No such file"),
          "names the missing file: %s", err.msg);
    snprintf(path, sizeof path, "%s/a.sf2", dir_b);
    q.path = path;
    CHECK(soundfont_find(&q, out, sizeof out, &err) == REEL_EFORMAT, "not a soundfont");
    CHECK(strstr(err.msg, "not a SoundFont") != NULL, "says why: %s", err.msg);
    q.path = dir_a;
    CHECK(soundfont_find(&q, out, sizeof out, &err) == REEL_EIO, "a folder is refused: %s",
          err.msg);

    /* $REEL_SOUNDFONT comes before the folders, and is not second-guessed. */
    q.path = NULL;
    q.no_env = false;
    setenv("REEL_SOUNDFONT", SF_SMALL, 1);
    CHECK(soundfont_find(&q, out, sizeof out, &err) == REEL_OK && !strcmp(out, SF_SMALL),
          "$REEL_SOUNDFONT used: %s", out);
    setenv("REEL_SOUNDFONT", "/nonexistent/env.sf2", 1);
    CHECK(soundfont_find(&q, out, sizeof out, &err) == REEL_EIO &&
              strstr(err.msg, "$REEL_SOUNDFONT") && strstr(err.msg, "env.sf2"),
          "a bad $REEL_SOUNDFONT is an error: %s", err.msg);
    unsetenv("REEL_SOUNDFONT");
}

/* ---- library messages ------------------------------------------------------ */

static void test_quiet_libraries(void)
{
    char path[600], msg[300];
    /* A file that passes reel's header check but is no soundfont inside:
     * FluidSynth complains, into the log. */
    static const char bad[] = "RIFF\x40\0\0\0sfbkLIST\x04\0\0\0INFOgarbage-garbage-garbage-garbage";
    AudioSynthOpts so = {path, RATE, 0, 0, false, false};
    AudioSynth *s = NULL;
    ReelError err;
    uint64_t cur;
    AudioLogLevel lv;
    bool fluid_said = false;
    long written;

    snprintf(path, sizeof path, "%s/bad.sf2", tmp);
    test_write(path, bad, sizeof bad - 1);
    audio_log_capture();
    cur = audio_log_end();
    test_stderr_begin(tmp, "stderr.txt");
    CHECK(audio_synth_new(&s, &so, &err) != REEL_OK, "a damaged soundfont is refused");
    written = test_stderr_end("written to stderr");
    CHECK(written == 0, "FluidSynth wrote %ld bytes to stderr", written);
    CHECK(strstr(err.msg, "bad.sf2") && strstr(err.msg, "FluidSynth could not load it"),
          "the error names the file: %s", err.msg);
    while (audio_log_next(&cur, msg, sizeof msg, &lv))
        if (strstr(msg, "fluidsynth:"))
            fluid_said = true;
    CHECK(fluid_said, "FluidSynth's own words are in the log");
    audio_synth_free(s);

    /* PortAudio's start on a machine without sound: ALSA and JACK complain
     * (see PLATFORM.md), into the log too. */
    {
        AudioEngine *e = NULL;
        AudioEngineOpts eo = {.rate = 0};
        test_stderr_begin(tmp, "stderr.txt");
        CHECK(audio_engine_open(&e, &eo, &err) == REEL_OK, "engine opens: %s", err.msg);
        audio_engine_close(e);
        written = test_stderr_end("written to stderr");
        CHECK(written == 0, "PortAudio/ALSA/JACK wrote %ld bytes to stderr", written);
    }
}

/* ---- the schedule ---------------------------------------------------------- */

static const AudioEvent *find_ev(const AudioEvent *ev, size_t n, int type, int chan, int key,
                                 size_t *from)
{
    for (size_t i = from ? *from : 0; i < n; i++)
        if (ev[i].type == type && ev[i].chan == chan && (key < 0 || ev[i].d1 == key)) {
            if (from)
                *from = i + 1;
            return &ev[i];
        }
    return NULL;
}

static void test_schedule(void)
{
    Player *p;
    Tune t;
    ReelError err;
    AudioEvent *ev;
    size_t n, at;
    int part;

    test_melody(&t, 500000);
    REQUIRE(player_new(&p, NULL, &err) == REEL_OK, "player_new: %s", err.msg);
    REQUIRE(player_load_tune(p, &t, -1, &err) == REEL_OK, "load: %s", err.msg);
    CHECK(player_program(p, 0) == PLAYER_VIOLIN, "a tune without a program plays on the violin");
    CHECK(player_end_step(p) == 40, "end step %d", (int)player_end_step(p));
    CHECK(fabs(player_bpm_at(p, 0) - 120) < 1e-9 && fabs(player_bpm_at(p, 20) - 90) < 1e-3,
          "tempo map: %g then %g bpm", player_bpm_at(p, 0), player_bpm_at(p, 20));
    CHECK(fabs(player_seconds(p, 0, 16) - 2.0) < 1e-9, "16 steps at 120 bpm = 2 s");
    CHECK(fabs(player_seconds(p, 16, 20) - 4 * 0.6666670 / 4) < 1e-9, "4 steps at 90 bpm");

    REQUIRE(player_events(p, RATE, 0, &ev, &n, &err) == REEL_OK, "events: %s", err.msg);
    CHECK(n == 1 + 20, "a program change and 20 note events, got %zu", n);
    CHECK(ev[0].type == AUDIO_EV_PROGRAM && ev[0].v.i == PLAYER_VIOLIN && ev[0].frame == 0,
          "the program comes first");
    /* Every on at round(seconds * rate), tempo change honoured. */
    at = 0;
    for (int i = 0; i < t.n_notes; i++) {
        const AudioEvent *on = find_ev(ev, n, AUDIO_EV_NOTE_ON, 0, t.notes[i].pitch, &at);
        double sec = t.notes[i].onset < 16 ? t.notes[i].onset * 0.125
                                           : 2.0 + (t.notes[i].onset - 16) * 0.16666675;
        CHECK(on && on->frame == (uint64_t)llround(sec * RATE) && on->d2 == 100,
              "note %d at frame %llu, wanted %lld", i, on ? (unsigned long long)on->frame : 0ull,
              (long long)llround(sec * RATE));
    }
    for (size_t i = 1; i < n; i++)
        CHECK(ev[i].frame >= ev[i - 1].frame, "events sorted at %zu", i);
    free(ev);

    /* From step 16: the first note at frame 0, none before. */
    REQUIRE(player_events(p, RATE, 16, &ev, &n, &err) == REEL_OK, "events: %s", err.msg);
    at = 0;
    {
        const AudioEvent *on = find_ev(ev, n, AUDIO_EV_NOTE_ON, 0, -1, &at);
        CHECK(on && on->frame == 0 && on->d1 == t.notes[4].pitch, "from step 16: note 5 first");
        CHECK(n == 1 + 12, "6 notes from step 16, %zu events", n);
    }
    free(ev);

    /* From the middle of a note: it is not started, and not stopped. */
    REQUIRE(player_events(p, RATE, 1, &ev, &n, &err) == REEL_OK, "events: %s", err.msg);
    CHECK(!find_ev(ev, n, AUDIO_EV_NOTE_OFF, 0, 60, NULL) ||
              find_ev(ev, n, AUDIO_EV_NOTE_OFF, 0, 60, NULL)->frame > 0,
          "no note-off for the note cut by the start");
    CHECK(n == 1 + 18, "9 notes from step 1, %zu events", n);
    free(ev);

    /* Velocity, bpm override (scales the whole map). */
    player_set_velocity(p, 0, 64);
    player_set_bpm(p, 60);
    REQUIRE(player_events(p, RATE, 0, &ev, &n, &err) == REEL_OK, "events: %s", err.msg);
    at = 0;
    find_ev(ev, n, AUDIO_EV_NOTE_ON, 0, -1, &at);
    {
        const AudioEvent *on = find_ev(ev, n, AUDIO_EV_NOTE_ON, 0, -1, &at);
        const AudioEvent *fifth = NULL;
        for (int i = 0; i < 3; i++)
            fifth = find_ev(ev, n, AUDIO_EV_NOTE_ON, 0, -1, &at);
        CHECK(on && on->frame == 2 * 24000 && on->d2 == 64, "at 60 bpm a 4-step gap is 1 s, "
              "velocity 64: frame %llu vel %d", on ? (unsigned long long)on->frame : 0ull,
              on ? on->d2 : 0);
        CHECK(fifth && fifth->frame == 4 * RATE, "the tempo change at step 16 comes at 4 s");
    }
    free(ev);
    player_set_bpm(p, 0);
    player_set_velocity(p, 0, 0);

    /* The metronome: 4/4 clicks every 4 steps, high on the bar line;
     * 6/8 every 6 steps (dotted quarters). */
    player_set_metronome(p, true);
    REQUIRE(player_events(p, RATE, 0, &ev, &n, &err) == REEL_OK, "events: %s", err.msg);
    {
        int high = 0, low = 0;
        for (size_t i = 0; i < n; i++)
            if (ev[i].type == AUDIO_EV_NOTE_ON && ev[i].chan == PLAYER_DRUM_CHANNEL)
                *(ev[i].d1 == PLAYER_CLICK_HIGH ? &high : &low) += 1;
        CHECK(high == 3 && low == 7, "40 steps of 4/4: 3 bar clicks, 7 beat clicks (%d, %d)",
              high, low);
    }
    free(ev);
    tune_add_sig(&t, 0, 6, 8, &err);
    REQUIRE(player_load_tune(p, &t, PLAYER_PIANO, &err) == REEL_OK, "load: %s", err.msg);
    REQUIRE(player_events(p, RATE, 0, &ev, &n, &err) == REEL_OK, "events: %s", err.msg);
    {
        int clicks = 0, bad = 0;
        for (size_t i = 0; i < n; i++)
            if (ev[i].type == AUDIO_EV_NOTE_ON && ev[i].chan == PLAYER_DRUM_CHANNEL) {
                double step = (double)ev[i].frame / RATE / 0.125;
                clicks++;
                if (ev[i].frame < 2 * RATE && fabs(step - 6 * lround(step / 6)) > 1e-6)
                    bad++;
                if (ev[i].frame < 2 * RATE && (ev[i].d1 == PLAYER_CLICK_HIGH) !=
                                                  (lround(step) % 12 == 0))
                    bad++;
            }
        CHECK(clicks == 7 && bad == 0, "6/8: 7 clicks on dotted quarters (%d, %d off)", clicks,
              bad);
    }
    CHECK(player_program(p, 0) == PLAYER_PIANO, "program given");
    free(ev);

    /* Two parts on their own channels; a repeated note is re-struck: its
     * off comes before its on at the same frame. */
    {
        Note a[2] = {{0, 4, 60, 90}, {4, 4, 60, 90}};
        Note b[1] = {{0, 8, 48, 70}};
        player_set_metronome(p, false);
        REQUIRE(player_set_song(p, &t, &err) == REEL_OK, "song");
        REQUIRE(player_add_part(p, PLAYER_VIOLIN, &part, &err) == REEL_OK && part == 0, "part 0");
        REQUIRE(player_set_notes(p, 0, a, 2, &err) == REEL_OK, "notes a");
        REQUIRE(player_add_part(p, 42, &part, &err) == REEL_OK && part == 1, "part 1");
        REQUIRE(player_append(p, 1, b, 1, &err) == REEL_OK, "notes b");
        CHECK(player_channel(p, 0) == 0 && player_channel(p, 1) == 1, "channels 0 and 1");
        REQUIRE(player_events(p, RATE, 0, &ev, &n, &err) == REEL_OK, "events");
        CHECK(n == 2 + 6, "2 programs + 6 note events: %zu", n);
        at = 0;
        for (size_t i = 0; i < n; i++)
            if (ev[i].frame == RATE / 2 && ev[i].chan == 0) {
                CHECK(ev[i].type == AUDIO_EV_NOTE_OFF && i + 1 < n &&
                          ev[i + 1].type == AUDIO_EV_NOTE_ON && ev[i + 1].frame == RATE / 2,
                      "off then on at the repeated note");
                break;
            }
        free(ev);
        {
            Note badn = {0, 0, 60, 90};
            CHECK(player_append(p, 0, &badn, 1, &err) == REEL_EARG, "a zero-length note refused");
            CHECK(player_append(p, 7, a, 1, &err) == REEL_EARG, "no part 7");
        }
    }
    player_free(p);
    tune_free(&t);
}

/* ---- rendering, measured ----------------------------------------------------- */

typedef struct {
    Wav w;
    TestNote notes[16];
    int n;
    double last_off;   /* frame of the last note-off */
    AudioRenderInfo info;
} Rendered;

static int render_melody(const char *sf2, int program, const char *name, Rendered *r)
{
    Player *p;
    Tune t;
    ReelError err;
    AudioSynth *s;
    AudioSynthOpts so = {sf2, RATE, 0, 0, false, false};
    char path[700], why[200];
    AudioRenderOpts ro = {path, 5.0, false};

    memset(r, 0, sizeof *r);
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    test_melody(&t, MELODY_UPQ);
    if (player_new(&p, NULL, &err) || player_load_tune(p, &t, program, &err) ||
        audio_synth_new(&s, &so, &err)) {
        CHECK(0, "render setup: %s", err.msg);
        return -1;
    }
    r->n = test_expected(p, &t, RATE, r->notes);
    r->last_off = r->notes[r->n - 1].off_frame;
    CHECK(player_render(p, s, 0, &ro, &r->info, &err) == REEL_OK, "render: %s", err.msg);
    audio_synth_free(s);
    player_free(p);
    tune_free(&t);
    if (wav_read(path, &r->w, why, sizeof why)) {
        CHECK(0, "reading the render: %s", why);
        return -1;
    }
    return 0;
}

static void test_render(void)
{
    Rendered r, r2;
    TestRefs refs;
    NoteFigures f;
    char path[700], path2[700];
    double tail_s, speed;

    /* Piano (GM 1): the strict onset check on its fast attack, too. */
    if (render_melody(SF_SMALL, PLAYER_PIANO, "piano.wav", &r))
        return;
    CHECK(r.w.rate == RATE && r.w.channels == 2 && r.w.bits == 16, "48 kHz stereo 16-bit: %d %d %d",
          r.w.rate, r.w.channels, r.w.bits);
    REQUIRE(refs_make(&refs, SF_SMALL, RATE, PLAYER_PIANO, r.notes, r.n, tmp) == 0, "refs");
    f = check_notes_in("render piano", r.w.x, r.w.frames, RATE, 0, r.notes, r.n, &refs, 10, 1.0,
                       0.10, 10);
    CHECK(f.checked == 10, "every note measured");
    printf("render piano (TimGM6mb): %d notes, pitch error max %.2f cents, onset error max %.3f ms "
           "mean %.3f ms (reference match >= %.3f), envelope onset max %.2f ms\n",
           f.checked, f.max_cents, f.max_onset_ms, f.mean_onset_ms, f.min_score, f.max_env_ms);
    refs_free(&refs);

    /* Silence before the first note; the release tail rendered; silence
     * after the end plus release; the file stops soon after. */
    tail_s = ((double)r.w.frames - r.last_off) / RATE;
    CHECK(r.w.frames == r.info.frames, "the file holds what was rendered");
    CHECK(tail_s > 0.3 && tail_s <= 2.0, "tail after the last note-off: %.3f s", tail_s);
    {
        double just = rms_db(r.w.x + (size_t)r.last_off, (size_t)(0.05 * RATE));
        double later = rms_db(r.w.x + (size_t)(r.last_off + 0.5 * RATE), (size_t)(0.05 * RATE));
        CHECK(just > -70 && just > later + 15,
              "the release sounds and fades after the last note-off (%.1f dB, then %.1f dB)",
              just, later);
    }
    {
        size_t quiet_from = (size_t)(r.last_off + 1.1 * RATE);
        CHECK(quiet_from < r.w.frames, "file reaches release end");
        if (quiet_from < r.w.frames)
            CHECK(peak_db(r.w.x + quiet_from, r.w.frames - quiet_from) < -80,
                  "nothing sounds 1.1 s after the last note-off: peak %.1f dBFS",
                  peak_db(r.w.x + quiet_from, r.w.frames - quiet_from));
        printf("render piano: %.2f s written, release tail %.2f s, peak after end+1.1 s %.1f dBFS\n",
               (double)r.w.frames / RATE, tail_s,
               quiet_from < r.w.frames ? peak_db(r.w.x + quiet_from, r.w.frames - quiet_from) : 0);
    }
    speed = r.info.seconds / r.info.wall_seconds;
    printf("render speed (TimGM6mb, one voice): %.0fx real time\n", speed);

    /* The same render again: the same bytes (a schedule is deterministic). */
    if (render_melody(SF_SMALL, PLAYER_PIANO, "piano2.wav", &r2) == 0) {
        CHECK(r2.w.frames == r.w.frames && !memcmp(r2.w.x, r.w.x, r.w.frames * sizeof(float)),
              "two renders are identical");
        wav_free(&r2.w);
    }
    snprintf(path, sizeof path, "%s/piano.wav", tmp);
    snprintf(path2, sizeof path2, "%s/piano.wav.", tmp);
    {
        /* No temporary file left beside it. */
        char cmd[1600];
        snprintf(cmd, sizeof cmd, "ls '%s'* 2>/dev/null | grep -q '%s'", path2, path2);
        CHECK(system(cmd) != 0, "no temporary file left next to %s", path);
    }
    wav_free(&r.w);

    /* Violin (GM 41), reel's default: a slow attack, so its onsets are
     * measured against its own attack rendered alone. */
    if (render_melody(SF_SMALL, PLAYER_VIOLIN, "violin.wav", &r))
        return;
    REQUIRE(refs_make(&refs, SF_SMALL, RATE, PLAYER_VIOLIN, r.notes, r.n, tmp) == 0, "refs");
    f = check_notes_in("render violin", r.w.x, r.w.frames, RATE, 0, r.notes, r.n, &refs, 10, 1.0,
                       0, 0);
    printf("render violin (TimGM6mb): %d notes, pitch error max %.2f cents, onset error max "
           "%.3f ms mean %.3f ms (reference match >= %.3f)\n",
           f.checked, f.max_cents, f.max_onset_ms, f.mean_onset_ms, f.min_score);
    refs_free(&refs);
    wav_free(&r.w);

    /* An unwritable destination: an error, nothing left behind. */
    {
        AudioSynth *s;
        AudioSynthOpts so = {SF_SMALL, RATE, 0, 0, false, false};
        AudioRenderOpts ro = {"/nonexistent-dir/x.wav", 1, false};
        ReelError err;
        REQUIRE(audio_synth_new(&s, &so, &err) == REEL_OK, "synth");
        CHECK(audio_render_wav(s, NULL, 0, &ro, NULL, &err) == REEL_EIO &&
                  strstr(err.msg, "/nonexistent-dir/x.wav"),
              "unwritable: %s", err.msg);
        audio_synth_free(s);
    }
}

/* ---- background loading ------------------------------------------------------- */

static void test_background_load(void)
{
    AudioLoad *l;
    AudioSynth *s = NULL;
    AudioSynthOpts so = {SF_BIG, RATE, 0, 0, false, false};
    ReelError err;
    double t0 = now_sec(), t_start, t_done;
    char name[64];
    int polls = 0;

    REQUIRE(audio_load_start(&l, &so, &err) == REEL_OK, "load start: %s", err.msg);
    t_start = now_sec() - t0;
    while (!audio_load_done(l)) {
        polls++;
        usleep(1000);
        if (now_sec() - t0 > 20)
            break;
    }
    t_done = now_sec() - t0;
    CHECK(audio_load_finish(l, &s, &err) == REEL_OK && s, "loaded: %s", err.msg);
    CHECK(t_start < 0.02, "starting the load returns at once (%.1f ms)", t_start * 1000);
    CHECK(polls > 0, "the caller kept running while it loaded (%d polls)", polls);
    printf("background load of FluidR3_GM.sf2 (148 MB): start returned in %.2f ms, loaded in "
           "%.0f ms, %d polls meanwhile\n",
           t_start * 1000, t_done * 1000, polls);
    CHECK(audio_synth_preset_name(s, 0, PLAYER_VIOLIN, name, sizeof name) &&
              strstr(name, "Violin"),
          "GM 41 is a violin: '%s'", name);
    CHECK(!audio_synth_preset_name(s, 5, 3, name, sizeof name) && !name[0], "no bank 5");
    audio_synth_free(s);

    so.soundfont = "/nonexistent.sf2";
    REQUIRE(audio_load_start(&l, &so, &err) == REEL_OK, "load start");
    CHECK(audio_load_finish(l, &s, &err) == REEL_EIO && !s && strstr(err.msg, "nonexistent.sf2"),
          "a failed load says why: %s", err.msg);
}

/* ---- the callback path, by hand ------------------------------------------------ */

typedef struct {
    AudioEngine *e;
    Player *p;
    float *buf;        /* stereo, everything pulled */
    size_t frames, cap;
} Live;

static void live_open(Live *L, int program, const Tune *t)
{
    AudioEngineOpts eo = {.rate = RATE, .buffer_frames = 256, .manual = true};
    AudioSynthOpts so = {SF_SMALL, RATE, 0, 0, false, false};
    AudioSynth *s;
    ReelError err;
    memset(L, 0, sizeof *L);
    REQUIRE(audio_engine_open(&L->e, &eo, &err) == REEL_OK, "manual engine: %s", err.msg);
    REQUIRE(audio_synth_new(&s, &so, &err) == REEL_OK, "synth: %s", err.msg);
    REQUIRE(audio_engine_set_synth(L->e, s, &err) == REEL_OK, "set synth: %s", err.msg);
    REQUIRE(player_new(&L->p, L->e, &err) == REEL_OK, "player: %s", err.msg);
    if (t)
        REQUIRE(player_load_tune(L->p, t, program, &err) == REEL_OK, "load: %s", err.msg);
    L->cap = (size_t)RATE * 40;
    L->buf = calloc(L->cap * 2, sizeof(float));
}

/* Pull seconds of output in 256-frame buffers (5.3 ms each), sleeping
 * sleep_us after each: 300 us is ~10x real time, 1000 us ~5x. */
static void live_pull(Live *L, double seconds, int sleep_us)
{
    size_t want = (size_t)(seconds * RATE);
    for (size_t k = 0; k < want; k += 256) {
        REQUIRE(L->frames + 256 <= L->cap, "test buffer full");
        audio_engine_pull(L->e, L->buf + 2 * L->frames, 256);
        L->frames += 256;
        usleep((useconds_t)sleep_us);
    }
}

static double live_origin(Live *L)
{
    uint64_t o = 0;
    int32_t session;
    CHECK(audio_engine_origin(L->e, &o, &session), "origin known");
    return (double)o;
}

static void live_close(Live *L)
{
    player_free(L->p);
    audio_engine_close(L->e);
    free(L->buf);
}

static void test_live_melody(void)
{
    Live L;
    Tune t;
    ReelError err;
    TestNote notes[16];
    TestRefs refs;
    NoteFigures f;
    float *m;
    int n;
    double origin;
    AudioStats st;

    test_melody(&t, MELODY_UPQ);
    live_open(&L, PLAYER_PIANO, &t);
    n = test_expected(L.p, &t, RATE, notes);
    REQUIRE(refs_make(&refs, SF_SMALL, RATE, PLAYER_PIANO, notes, n, tmp) == 0, "refs");
    live_pull(&L, 0.1, 300);      /* the synth is picked up, some silence first */
    CHECK(audio_engine_has_synth(L.e), "the engine took the synth");
    REQUIRE(player_play(L.p, 0, &err) == REEL_OK, "play: %s", err.msg);
    live_pull(&L, 1.0, 300);
    {
        PlayerStatus ps = player_status(L.p);
        CHECK(ps.playing && ps.step > 6 && ps.step < 9, "playhead after ~0.9 s: step %.2f",
              ps.step);
    }
    live_pull(&L, 6.5, 300);
    {
        PlayerStatus ps = player_status(L.p);
        CHECK(!ps.playing && ps.finished && fabs(ps.step - 40) < 1e-6,
              "finished at the end: playing %d finished %d step %.2f", ps.playing, ps.finished,
              ps.step);
    }
    origin = live_origin(&L);
    CHECK(origin >= 0.1 * RATE && fmod(origin - 256 * 0, 64) == 0,
          "the origin (%.0f) is on FluidSynth's block grid", origin);
    m = mono_of(L.buf, L.frames);
    CHECK(peak_db(m, (size_t)origin) < -100, "silence before play");
    f = check_notes_in("live piano", m, L.frames, RATE, origin, notes, n, &refs, 10, 1.0, 0.10,
                       10);
    printf("live (manual clock) piano: %d notes, pitch max %.2f cents, onset max %.3f ms mean "
           "%.3f ms, envelope max %.2f ms\n",
           f.checked, f.max_cents, f.max_onset_ms, f.mean_onset_ms, f.max_env_ms);
    audio_engine_stats(L.e, &st);
    CHECK(st.late_events == 0, "no event came late: %llu", (unsigned long long)st.late_events);
    free(m);
    refs_free(&refs);
    live_close(&L);
    tune_free(&t);
}

/* Quarter notes every 4 steps, 1 step long, at 120 bpm (0.5 s apart). */
static void quarter_tune(Tune *t, int count)
{
    static const int pitches[] = {60, 64, 67, 72};
    ReelError err;
    tune_init(t);
    tune_add_tempo(t, 0, 500000, &err);
    for (int i = 0; i < count; i++)
        tune_add_note(t, i * 4, 1, pitches[i % 4], 100, &err);
    tune_sort(t);
}

static void test_live_loop_stop(void)
{
    Live L;
    Tune t;
    ReelError err;
    TestNote notes[16];
    TestRefs refs;
    NoteFigures f;
    float *m;
    double origin, stop_at;
    int n = 0;

    /* Loop [0, 16): four notes, three passes, every pass on time. */
    quarter_tune(&t, 4);
    live_open(&L, PLAYER_PIANO, &t);
    player_set_loop(L.p, true, 0, 0);
    REQUIRE(player_play(L.p, 0, &err) == REEL_OK, "play");
    live_pull(&L, 2.0 * 3 - 0.25, 300);
    {
        PlayerStatus ps = player_status(L.p);
        CHECK(ps.playing && ps.pass == 2 && ps.step > 13 && ps.step < 16,
              "third pass, near its end: pass %ld step %.2f", ps.pass, ps.step);
    }
    player_stop(L.p);
    stop_at = (double)L.frames;
    live_pull(&L, 2.0, 300);
    origin = live_origin(&L);
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < 4; i++) {
            notes[n].pitch = t.notes[i].pitch;
            notes[n].frame = pass * 2.0 * RATE + t.notes[i].onset * 0.125 * RATE;
            notes[n].off_frame = notes[n].frame + 0.125 * RATE;
            n++;
        }
    REQUIRE(refs_make(&refs, SF_SMALL, RATE, PLAYER_PIANO, notes, n, tmp) == 0, "refs");
    m = mono_of(L.buf, L.frames);
    f = check_notes_in("loop", m, L.frames, RATE, origin, notes, n, &refs, 10, 1.0, 0, 0);
    printf("loop: 3 passes, %d notes, onset max %.3f ms (pass 3 ends %.0f frames after pass 1 "
           "began: no drift)\n",
           f.checked, f.max_onset_ms, notes[n - 1].frame);
    /* Stop: nothing new after it; silent once the release is over. */
    CHECK(first_sound(m, L.frames, (size_t)(stop_at + 0.02 * RATE), -45, RATE) < 0 ||
              rms_db(m + (size_t)stop_at + RATE / 2, RATE / 2) < -70,
          "no note after stop");
    CHECK(peak_db(m + (size_t)(stop_at + 1.2 * RATE), (size_t)(0.5 * RATE)) < -80,
          "silent 1.2 s after stop: peak %.1f dBFS",
          peak_db(m + (size_t)(stop_at + 1.2 * RATE), (size_t)(0.5 * RATE)));
    {
        PlayerStatus ps = player_status(L.p);
        CHECK(!ps.playing && !ps.finished, "stopped, not finished");
    }
    free(m);
    refs_free(&refs);
    live_close(&L);
    tune_free(&t);
}

static void test_live_append(void)
{
    Live L;
    Tune t, all;
    ReelError err;
    TestNote notes[16];
    TestRefs refs;
    NoteFigures f;
    float *m;
    int n;
    double origin;
    Note late[4] = {{6, 1, 64, 100}, {20, 1, 67, 100}, {24, 1, 72, 100}, {28, 1, 60, 100}};

    /* Start with notes at steps 0 and 12; while playing add one at step 6
     * (already scheduled past: the player reschedules) and three bars
     * ahead (simply appended), as the studio streams generated bars. */
    tune_init(&t);
    tune_add_tempo(&t, 0, 500000, &err);
    tune_add_note(&t, 0, 1, 60, 100, &err);
    tune_add_note(&t, 12, 1, 72, 100, &err);
    tune_sort(&t);
    live_open(&L, PLAYER_PIANO, &t);
    REQUIRE(player_play(L.p, 0, &err) == REEL_OK, "play");
    live_pull(&L, 0.3, 1000);
    REQUIRE(player_append(L.p, 0, late, 1, &err) == REEL_OK, "append before the horizon");
    live_pull(&L, 0.3, 1000);
    REQUIRE(player_append(L.p, 0, late + 1, 3, &err) == REEL_OK, "append ahead");
    live_pull(&L, 4.5, 1000);
    {
        PlayerStatus ps = player_status(L.p);
        CHECK(ps.finished, "finished after the appended notes (step %.2f)", ps.step);
    }
    origin = live_origin(&L);
    tune_copy(&all, &t, &err);
    for (int i = 0; i < 4; i++)
        tune_add_note(&all, late[i].onset, late[i].dur, late[i].pitch, late[i].vel, &err);
    tune_sort(&all);
    n = test_expected(L.p, &all, RATE, notes);
    REQUIRE(refs_make(&refs, SF_SMALL, RATE, PLAYER_PIANO, notes, n, tmp) == 0, "refs");
    m = mono_of(L.buf, L.frames);
    f = check_notes_in("append", m, L.frames, RATE, origin, notes, n, &refs, 10, 1.0, 0, 0);
    CHECK(f.checked == 6, "all six notes played");
    printf("append while playing: %d notes, onset max %.3f ms\n", f.checked, f.max_onset_ms);
    free(m);
    refs_free(&refs);
    live_close(&L);
    tune_free(&t);
    tune_free(&all);
}

static void test_live_tempo_change(void)
{
    Live L;
    Tune t;
    ReelError err;
    TestRefs refs;
    TestNote one[4];
    float *m;
    double origin, on[16];
    int found = 0, bad = 0, k = 0;

    /* Twelve quarter notes at 120 bpm; after 2.1 s the tempo drops to 60:
     * the first five notes keep their times, the last six are 1 s apart,
     * none is lost or doubled. */
    quarter_tune(&t, 12);
    live_open(&L, PLAYER_PIANO, &t);
    REQUIRE(player_play(L.p, 0, &err) == REEL_OK, "play");
    live_pull(&L, 2.1, 1000);
    player_set_bpm(L.p, 60);
    live_pull(&L, 9.0, 1000);
    origin = live_origin(&L);
    for (int i = 0; i < 4; i++) {
        one[i].pitch = t.notes[i].pitch;
        one[i].frame = 0;
    }
    REQUIRE(refs_make(&refs, SF_SMALL, RATE, PLAYER_PIANO, one, 4, tmp) == 0, "refs");
    m = mono_of(L.buf, L.frames);
    /* Find every onset: sound rising out of near-silence, refined by the
     * reference attack of its key. */
    for (size_t at = (size_t)origin; found < 16;) {
        long s = first_sound(m, L.frames, at, -40, RATE), lag;
        const float *ref;
        double score;
        if (s < 0)
            break;
        ref = refs.at[t.notes[found % 4].pitch];
        lag = match_lag(m, L.frames, s, ref, REF_LEN, (long)(0.01 * RATE), &score);
        on[found++] = (double)(s + lag) - origin;
        at = (size_t)(s + lag) + (size_t)(0.45 * RATE);
    }
    CHECK(found == 12, "twelve onsets, found %d", found);
    /* Notes before the change keep their exact times (0.5 s apart); one
     * interval spans the change; after it, exactly 1 s apart. */
    for (int i = 0; i < found; i++)
        if (fabs(on[i] - i * 0.5 * RATE) <= 0.001 * RATE)
            k = i + 1;
        else
            break;
    CHECK(k >= 5, "the notes heard before the change (0..2 s) keep their times: %d did", k);
    if (k < found)
        CHECK(on[k] - on[k - 1] > 0.5 * RATE && on[k] - on[k - 1] <= 1.0 * RATE + 32,
              "the interval across the change lies between the tempos: %.4f s",
              (on[k] - on[k - 1]) / RATE);
    for (int i = k + 1; i < found; i++)
        if (fabs(on[i] - on[i - 1] - 1.0 * RATE) > 0.001 * RATE)
            bad++;
    CHECK(bad == 0, "%d intervals after the change are not 1 s", bad);
    printf("tempo change 120 -> 60 bpm while playing: %d onsets, %d on the old grid, the rest "
           "1 s apart (%d off by more than 1 ms)\n", found, k, bad);
    free(m);
    refs_free(&refs);
    live_close(&L);
    tune_free(&t);
}

/* The silent clock: no device, and the playhead still moves in real time. */
static void test_silent_clock(void)
{
    AudioEngine *e;
    AudioEngineOpts eo = {.rate = RATE, .no_output = true};
    Player *p;
    Tune t;
    ReelError err;
    double t0;
    PlayerStatus ps;

    quarter_tune(&t, 2);    /* 5 steps: 0.625 s */
    REQUIRE(audio_engine_open(&e, &eo, &err) == REEL_OK, "silent engine");
    CHECK(!audio_engine_has_output(e) && strstr(audio_engine_device(e), "turned off"),
          "no output: %s", audio_engine_device(e));
    REQUIRE(player_new(&p, e, &err) == REEL_OK && player_load_tune(p, &t, -1, &err) == REEL_OK,
            "player");
    REQUIRE(player_play(p, 0, &err) == REEL_OK, "play");
    t0 = now_sec();
    usleep(300000);
    ps = player_status(p);
    CHECK(ps.playing && ps.step > 1.5 && ps.step < 3.5, "after 0.3 s the playhead is near step "
          "2.4: %.2f", ps.step);
    while ((ps = player_status(p)).playing && now_sec() - t0 < 5)
        usleep(5000);
    CHECK(ps.finished && now_sec() - t0 > 0.55 && now_sec() - t0 < 1.0,
          "finished in real time: %.3f s for 0.625 s", now_sec() - t0);
    player_free(p);
    audio_engine_close(e);
    tune_free(&t);
}

int main(void)
{
    double t0 = now_sec();
    setvbuf(stdout, NULL, _IOLBF, 0);
    tmp = test_tmpdir();
    test_soundfont_find();
    test_quiet_libraries();
    test_schedule();
    test_render();
    test_background_load();
    test_live_melody();
    test_live_loop_stop();
    test_live_append();
    test_live_tempo_change();
    test_silent_clock();
    printf("test_audio: %.1f s\n", now_sec() - t0);
    TEST_END();
}
