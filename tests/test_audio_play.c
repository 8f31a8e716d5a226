/* test_audio_play.c — the real-time path through PortAudio, listened to.
 *
 * 1. Capture: an ALSA configuration (PLATFORM.md) makes the default device
 *    a plug into ALSA's file plugin on the null device, so the stream that
 *    PortAudio's callback fills lands in a WAV.  The null device is not
 *    paced (callbacks run hundreds of times faster than real time): the
 *    sequencer is clocked by rendered frames, so the content must still be
 *    exact.  Every note is measured as in test_audio.c: pitch within 10
 *    cents, onset within 1 ms of its step (against its own attack), the
 *    envelope within 10 ms; silence before the start and after the end plus
 *    release; nothing from ALSA, JACK, FluidSynth or glib on stderr.
 * 2. No device: a configuration whose default PCM cannot open.  The engine
 *    says why, runs silent, the playhead moves in real time, and stderr
 *    stays empty.
 * 3. A held player: on the unpaced sink, the player thread is stopped for
 *    0.4 s of wall time right after play (as a thread that waits for the
 *    CPU would be) while the output runs on.  Every event must still come
 *    in time: an unpaced output gets the song sent far ahead.
 * 4. Names while playing: the main thread asks for preset names as fast as
 *    it can while a loop plays; every voice must end when its note does and
 *    none may be left after the stop (FluidSynth is called from the audio
 *    thread only; a lookup from another thread once left voices forever).
 * Each runs in a child process: ALSA reads its configuration once.
 */
#include <dirent.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audio.h"
#include "clock.h"
#include "player.h"
#include "test_audio_wav.h"
#include "testlib.h"

#define SF_SMALL "/usr/share/sounds/sf2/TimGM6mb.sf2"
#define RATE 48000
#define MELODY_UPQ 535714

static const char *tmp;

static const char capture_rc[] =
    "pcm.!default {\n"
    "    type plug\n"
    "    slave { pcm \"wavcap\" format S16_LE rate 48000 channels 2 }\n"
    "}\n"
    "pcm.wavcap {\n"
    "    type file\n"
    "    slave.pcm \"null\"\n"
    "    file { @func getenv vars [ AUDIO_CAPTURE_FILE ] default \"/tmp/alsa-capture.wav\" }\n"
    "    format \"wav\"\n"
    "}\n";

/* A default PCM on a card that does not exist: opening it fails. */
static const char nodevice_rc[] =
    "pcm.!default { type hw card 7 device 0 }\n"
    "ctl.!default { type hw card 7 }\n";

static void write_rc(const char *name, const char *text)
{
    char dir[700], path[800];
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/%s/alsa", tmp, name);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/asoundrc", dir);
    test_write(path, text, strlen(text));
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    setenv("XDG_CONFIG_HOME", dir, 1);
}

static void child_capture(void)
{
    char wav_path[700], why[200], ref_path[700];
    AudioEngine *e;
    AudioEngineOpts eo = {.rate = RATE, .buffer_frames = 256};
    AudioSynthOpts so = {SF_SMALL, RATE, 0, 0, false, false};
    AudioSynth *s;
    Player *p;
    Tune t;
    ReelError err;
    TestNote notes[16];
    TestRefs refs;
    NoteFigures f;
    AudioStats st;
    PlayerStatus ps;
    Wav w, r;
    uint64_t origin = 0;
    int32_t session;
    int n;
    double t0, end_frame, wall;
    long written, pre = 0;

    write_rc("xdg-capture", capture_rc);
    snprintf(wav_path, sizeof wav_path, "%s/capture.wav", tmp);
    setenv("AUDIO_CAPTURE_FILE", wav_path, 1);
    test_melody(&t, MELODY_UPQ);

    test_stderr_begin(tmp, "capture-stderr.txt");
    REQUIRE(audio_engine_open(&e, &eo, &err) == REEL_OK, "open: %s", err.msg);
    REQUIRE(audio_engine_has_output(e), "the capture device opened: %s", audio_engine_device(e));
    CHECK(audio_engine_rate(e) == RATE, "48 kHz: %d", audio_engine_rate(e));
    REQUIRE(audio_synth_new(&s, &so, &err) == REEL_OK, "synth: %s", err.msg);
    REQUIRE(audio_engine_set_synth(e, s, &err) == REEL_OK, "set synth: %s", err.msg);
    REQUIRE(player_new(&p, e, &err) == REEL_OK, "player: %s", err.msg);
    REQUIRE(player_load_tune(p, &t, PLAYER_PIANO, &err) == REEL_OK, "load: %s", err.msg);
    n = test_expected(p, &t, RATE, notes);
    end_frame = notes[n - 1].off_frame;
    t0 = now_sec();
    while (!audio_engine_has_synth(e) && now_sec() - t0 < 5)
        usleep(1000);
    REQUIRE(audio_engine_has_synth(e), "the callback took the synth");
    REQUIRE(player_play(p, 0, &err) == REEL_OK, "play: %s", err.msg);
    t0 = now_sec();
    while ((ps = player_status(p)).playing && now_sec() - t0 < 30)
        usleep(1000);
    wall = now_sec() - t0;
    CHECK(ps.finished, "the melody finished (step %.2f)", ps.step);
    while (audio_engine_voices(e) > 0 && now_sec() - t0 < 30)
        usleep(1000);
    CHECK(audio_engine_origin(e, &origin, &session), "origin known");
    CHECK(ps.started && ps.origin == origin, "the player's status names this play's origin: "
          "%d %llu vs %llu", ps.started, (unsigned long long)ps.origin,
          (unsigned long long)origin);
    /* Let the capture run on 2.6 s past the end (instant on the null device). */
    while (audio_engine_frames(e) < origin + (uint64_t)(end_frame + 2.6 * RATE) &&
           now_sec() - t0 < 30)
        usleep(1000);
    audio_engine_stats(e, &st);
    player_free(p);
    audio_engine_close(e);
    written = test_stderr_end("the libraries wrote to stderr");
    CHECK(written == 0, "nothing on stderr from the libraries (%ld bytes)", written);
    printf("capture: origin %llu; %.3f s of music played in %.3f s "
           "wall; %llu callbacks, max %.3f ms, p99 %.3f ms, mean %.3f ms, underruns %llu, late "
           "events %llu\n",
           (unsigned long long)origin, end_frame / RATE, wall, (unsigned long long)st.callbacks, st.max_ms, st.p99_ms,
           st.mean_ms, (unsigned long long)st.underruns, (unsigned long long)st.late_events);
    CHECK(st.late_events == 0, "no event came late: %llu", (unsigned long long)st.late_events);

    REQUIRE(wav_read(wav_path, &w, why, sizeof why) == 0, "capture: %s", why);
    CHECK(w.rate == RATE && w.channels == 2 && w.bits == 16, "S16 stereo 48 kHz: %d %d %d", w.rate,
          w.channels, w.bits);
    REQUIRE(w.frames > origin + (uint64_t)end_frame + RATE, "the capture holds the melody: %zu "
            "frames, origin %llu", w.frames, (unsigned long long)origin);
    REQUIRE(refs_make(&refs, SF_SMALL, RATE, PLAYER_PIANO, notes, n, tmp) == 0, "refs");
    /* PortAudio's ALSA backend writes one buffer of silence before the
     * first callback (the paPrimeOutputBuffersUsingStreamCallback flag
     * makes no difference there), so the file runs `pre` frames behind
     * the engine's clock.  Find pre from the first note (it must look like
     * a buffer of pre-roll: under 0.1 s), then measure every note against
     * origin + pre: each one is its own check of frame accuracy. */
    {
        double score = 0;
        long lag = match_lag(w.x, w.frames, (long)origin + lround(notes[0].frame) + RATE / 20,
                             refs.at[notes[0].pitch], REF_LEN, RATE / 20, &score);
        pre = lag + RATE / 20;
        CHECK(score > 0.9 && pre >= 0 && pre <= RATE / 10,
              "the capture starts %ld frames after the engine's clock (match %.3f)", pre, score);
    }
    CHECK(peak_db(w.x, (size_t)origin + (size_t)pre) < -85, "silence before the start: %.1f dBFS",
          peak_db(w.x, (size_t)origin + (size_t)pre));
    f = check_notes_in("capture", w.x, w.frames, RATE, (double)origin + (double)pre, notes, n,
                       &refs, 10, 1.0, 0.10, 10);
    CHECK(f.checked == n, "all %d notes measured", n);
    {
        size_t a = (size_t)((double)origin + (double)pre + end_frame + 1.1 * RATE);
        size_t len = a < w.frames ? w.frames - a : 0;
        if (len > (size_t)(1.4 * RATE))
            len = (size_t)(1.4 * RATE);
        CHECK(len > 0 && peak_db(w.x + a, len) < -80,
              "nothing sounds 1.1 s after the last note-off: %.1f dBFS", peak_db(w.x + a, len));
    }
    printf("capture: pre-roll %ld frames; %d notes, pitch error max %.2f cents, onset error max "
           "%.3f ms mean %.3f ms (reference match >= %.3f), envelope onset max %.2f ms\n",
           pre, f.checked, f.max_cents, f.max_onset_ms, f.mean_onset_ms, f.min_score,
           f.max_env_ms);

    /* The same melody rendered offline: the capture should be the same
     * sound, sample for sample but for the chorus's phase and 16 bits. */
    {
        Player *q;
        AudioSynth *s2;
        AudioRenderOpts ro = {ref_path, 5, false};
        snprintf(ref_path, sizeof ref_path, "%s/offline.wav", tmp);
        REQUIRE(player_new(&q, NULL, &err) == REEL_OK &&
                    player_load_tune(q, &t, PLAYER_PIANO, &err) == REEL_OK &&
                    audio_synth_new(&s2, &so, &err) == REEL_OK,
                "offline: %s", err.msg);
        REQUIRE(player_render(q, s2, 0, &ro, NULL, &err) == REEL_OK, "render: %s", err.msg);
        audio_synth_free(s2);
        player_free(q);
        REQUIRE(wav_read(ref_path, &r, why, sizeof why) == 0, "offline: %s", why);
        {
            size_t len = (size_t)(end_frame + 0.5 * RATE);
            double sig = 0, diff = 0, db;
            size_t at = (size_t)origin + (size_t)pre;
            for (size_t i = 0; i < len && i < r.frames && at + i < w.frames; i++) {
                double d = (double)w.x[at + i] - r.x[i];
                sig += (double)r.x[i] * r.x[i];
                diff += d * d;
            }
            db = 10 * log10(diff / (sig + 1e-30) + 1e-30);
            CHECK(db < -20, "capture and offline render differ by %.1f dB", db);
            printf("capture vs offline render of the same melody: difference %.1f dB below the "
                   "signal\n", db);
        }
        wav_free(&r);
    }
    refs_free(&refs);
    wav_free(&w);
    tune_free(&t);
}

static void child_no_device(void)
{
    AudioEngine *e;
    Player *p;
    Tune t;
    ReelError err;
    PlayerStatus ps;
    double t0;
    long written;
    uint64_t cur;
    char msg[300], why[300];
    int lines = 0;

    write_rc("xdg-none", nodevice_rc);
    tune_init(&t);
    tune_add_tempo(&t, 0, 500000, &err);
    tune_add_note(&t, 0, 2, 60, 100, &err);
    tune_add_note(&t, 4, 2, 64, 100, &err);
    tune_sort(&t);
    audio_log_capture();
    cur = audio_log_end();
    test_stderr_begin(tmp, "nodevice-stderr.txt");
    REQUIRE(audio_engine_open(&e, NULL, &err) == REEL_OK, "open: %s", err.msg);
    CHECK(!audio_engine_has_output(e), "no output: %s", audio_engine_device(e));
    snprintf(why, sizeof why, "%s", audio_engine_device(e));
    REQUIRE(player_new(&p, e, &err) == REEL_OK && player_load_tune(p, &t, -1, &err) == REEL_OK,
            "player");
    REQUIRE(player_play(p, 0, &err) == REEL_OK, "play: %s", err.msg);
    t0 = now_sec();
    usleep(250000);
    ps = player_status(p);
    CHECK(ps.playing && ps.step > 1 && ps.step < 3.5, "the playhead moves without a device: "
          "step %.2f after 0.25 s", ps.step);
    while ((ps = player_status(p)).playing && now_sec() - t0 < 5)
        usleep(5000);
    CHECK(ps.finished && now_sec() - t0 > 0.7 && now_sec() - t0 < 1.3,
          "finished in real time: %.3f s for 0.75 s", now_sec() - t0);
    player_free(p);
    audio_engine_close(e);
    written = test_stderr_end("the libraries wrote to stderr");
    CHECK(written == 0, "nothing on stderr (%ld bytes)", written);
    while (audio_log_next(&cur, msg, sizeof msg, NULL))
        lines++;
    CHECK(lines > 0, "the libraries' complaints are kept in the log");
    printf("no device: the engine says \"%s\"; %d library messages kept in the log, %ld bytes "
           "on stderr\n", why, lines, written);
    tune_free(&t);
}

static void hold_handler(int sig)
{
    struct timespec ts = {0, 400000000L};
    (void)sig;
    nanosleep(&ts, NULL);   /* async-signal-safe */
}

/* The thread named reel-player in this process, or -1. */
static pid_t player_tid(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;
    pid_t tid = -1;
    if (!d)
        return -1;
    while (tid < 0 && (de = readdir(d))) {
        char path[300], name[32] = "";
        FILE *f;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", de->d_name);
        if ((f = fopen(path, "r"))) {
            if (fgets(name, sizeof name, f) && !strncmp(name, "reel-player", 11))
                tid = (pid_t)atol(de->d_name);
            fclose(f);
        }
    }
    closedir(d);
    return tid;
}

/* An engine on the unpaced capture sink (into tmp/NAME.wav), its synth
 * taken by the callback, and a player: for the children below. */
static void open_unpaced(const char *name, AudioEngine **e, AudioSynth **s, Player **p)
{
    char rc[64], wav_path[700], log[64];
    AudioEngineOpts eo = {.rate = RATE, .buffer_frames = 256};
    AudioSynthOpts so = {SF_SMALL, RATE, 0, 0, false, false};
    ReelError err;
    double t0;
    snprintf(rc, sizeof rc, "xdg-%s", name);
    snprintf(log, sizeof log, "%s-stderr.txt", name);
    snprintf(wav_path, sizeof wav_path, "%s/%s.wav", tmp, name);
    write_rc(rc, capture_rc);
    setenv("AUDIO_CAPTURE_FILE", wav_path, 1);
    test_stderr_begin(tmp, log);
    REQUIRE(audio_engine_open(e, &eo, &err) == REEL_OK, "open: %s", err.msg);
    REQUIRE(audio_engine_has_output(*e), "the capture device opened: %s", audio_engine_device(*e));
    REQUIRE(audio_synth_new(s, &so, &err) == REEL_OK, "synth: %s", err.msg);
    REQUIRE(audio_engine_set_synth(*e, *s, &err) == REEL_OK, "set synth: %s", err.msg);
    REQUIRE(player_new(p, *e, &err) == REEL_OK, "player: %s", err.msg);
    t0 = now_sec();
    while (!audio_engine_has_synth(*e) && now_sec() - t0 < 5)
        usleep(1000);
    REQUIRE(audio_engine_has_synth(*e), "the callback took the synth");
}

/* Threads of this process at a real-time scheduling policy. */
static int realtime_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;
    int n = 0;
    if (!d)
        return -1;
    while ((de = readdir(d))) {
        int pol;
        if (de->d_name[0] == '.')
            continue;
        pol = sched_getscheduler((pid_t)atol(de->d_name));
        n += pol == SCHED_FIFO || pol == SCHED_RR;
    }
    closedir(d);
    return n;
}

static void child_held(void)
{
    AudioEngine *e;
    AudioSynth *s;
    Player *p;
    Tune t;
    ReelError err;
    AudioStats st;
    PlayerStatus ps;
    struct sigaction sa;
    uint64_t f0;
    double t0, speed, music, held;
    int32_t steps;
    pid_t tid;

    open_unpaced("held", &e, &s, &p);
    /* How fast the sink runs: the melody lasts 3x what the output plays in
     * the old lookahead's 0.1 s of wall time, so it cannot all be sent by a
     * lookahead that short (and 20 s at least). */
    f0 = audio_engine_frames(e);
    t0 = now_sec();
    usleep(200000);
    speed = (double)(audio_engine_frames(e) - f0) / RATE / (now_sec() - t0);
    REQUIRE(speed > 8, "the null sink runs faster than real time: %.1fx", speed);
    /* Such a sink's thread gives up real-time priority (as root PortAudio
     * gets SCHED_FIFO for it): spinning at that priority it took a core
     * from the player and the soundfont loader. */
    audio_engine_stats(e, &st);
    CHECK(st.unpaced, "the engine calls the null sink unpaced");
    CHECK(realtime_threads() == 0, "no thread left at real-time priority: %d",
          realtime_threads());
    music = fmax(20.0, speed * 0.3);
    steps = (int32_t)(music * 8); /* 120 bpm: 8 steps a second */
    tune_init(&t);
    tune_add_tempo(&t, 0, 500000, &err);
    for (int32_t i = 0; i + 2 <= steps; i += 2)
        tune_add_note(&t, i, 1, 60 + (i / 2) % 12, 100, &err);
    tune_sort(&t);
    REQUIRE(player_load_tune(p, &t, PLAYER_PIANO, &err) == REEL_OK, "load: %s", err.msg);
    usleep(20000); /* the player has measured the speed */

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = hold_handler;
    sigaction(SIGUSR1, &sa, NULL);
    tid = player_tid();
    REQUIRE(tid > 0, "the player thread is named reel-player");
    REQUIRE(player_play(p, 0, &err) == REEL_OK, "play: %s", err.msg);
    REQUIRE(syscall(SYS_tgkill, getpid(), tid, SIGUSR1) == 0, "hold the player thread");
    /* Through the hold without a call into the player (each takes its lock). */
    f0 = audio_engine_frames(e);
    usleep(400000);
    held = (double)(audio_engine_frames(e) - f0) / RATE;
    t0 = now_sec();
    while ((ps = player_status(p)).playing && now_sec() - t0 < 60)
        usleep(1000);
    CHECK(ps.finished, "the melody finished (step %.2f)", ps.step);
    audio_engine_stats(e, &st);
    player_free(p);
    audio_engine_close(e);
    test_stderr_end("the libraries wrote to stderr");
    printf("held player: the sink runs %.0fx real time; %.0f s of music, the player thread held "
           "0.4 s right after play while the sink played %.0f s; late events %llu\n", speed,
           music, held, (unsigned long long)st.late_events);
    CHECK(st.late_events == 0, "no event came late although the player thread was held: %llu",
          (unsigned long long)st.late_events);
    tune_free(&t);
}

/* FluidSynth is called from the audio thread only: asking for preset names
 * (the studio draws the instrument's) while the engine plays, as fast as
 * the main thread can, must leave every voice to end when the notes do. */
static void child_names(void)
{
    char name[64];
    AudioEngine *e;
    AudioSynth *s;
    Player *p;
    Tune t;
    ReelError err;
    AudioStats st;
    AudioEvent ev;
    double t0;
    long asks = 0, named = 0;
    int part, voices;
    static const int pitches[] = {72, 76, 79, 84, 79, 76};

    open_unpaced("names", &e, &s, &p);
    tune_init(&t);
    tune_add_tempo(&t, 0, 500000, &err);
    for (int i = 0; i < 6; i++)
        tune_add_note(&t, i * 4, 4, pitches[i], 100, &err);
    tune_sort(&t);
    REQUIRE(player_set_song(p, &t, &err) == REEL_OK &&
                player_add_part(p, PLAYER_VIOLIN, &part, &err) == REEL_OK &&
                player_set_notes(p, part, t.notes, t.n_notes, &err) == REEL_OK,
            "song: %s", err.msg);
    usleep(50000); /* the player has measured the output's speed */
    player_set_loop(p, true, 0, 0);
    REQUIRE(player_play(p, 0, &err) == REEL_OK, "play: %s", err.msg);
    t0 = now_sec();
    while (now_sec() - t0 < 0.6) {
        for (int prog = 0; prog < 128; prog++, asks++)
            named += audio_synth_preset_name(s, prog & 1 ? 128 : 0, prog, name, sizeof name);
    }
    player_stop(p);
    memset(&ev, 0, sizeof ev);
    ev.type = AUDIO_EV_SOUND_OFF;
    ev.chan = AUDIO_ALL_CHANNELS;
    ev.flags = AUDIO_EVF_NOW;
    audio_engine_send(e, AUDIO_PORT_LIVE, &ev);
    t0 = now_sec();
    while ((voices = audio_engine_voices(e)) > 0 && now_sec() - t0 < 2)
        usleep(1000);
    audio_engine_stats(e, &st);
    player_free(p);
    audio_engine_close(e);
    test_stderr_end("the libraries wrote to stderr");
    printf("names while playing: %ld names asked (%ld found) while a violin loop played; "
           "voices at most %d, %d left after the stop; late events %llu\n", asks, named, st.max_voices, voices, (unsigned long long)st.late_events);
    CHECK(named > 0, "the soundfont's presets have names");
    CHECK(voices == 0, "every voice ended after the stop: %d left", voices);
    /* (Events that came late pile up: the player thread waited for the CPU.) */
    CHECK(st.late_events > 0 || st.max_voices <= 8,
          "voices end when their notes do (at most %d at once)", st.max_voices);
    tune_free(&t);
}

static bool run_child(const char *name, void (*fn)(void), bool last_try)
{
    pid_t pid;
    int status = 0;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        test_failures = 0;      /* the child's own count */
        test_checks = 0;
        fn();
        printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
        fflush(stdout);
        _exit(test_failures ? 1 : 0);
    }
    waitpid(pid, &status, 0);
    if (!last_try && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        return false;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: child failed (status %d)", name,
          status);
    return true;
}

int main(void)
{
    double t0 = now_sec();
    setvbuf(stdout, NULL, _IOLBF, 0);
    tmp = test_tmpdir();
    /* The ALSA null sink is not paced: the callback runs hundreds of times
     * faster than real time, so on a loaded machine (or under the
     * sanitizers) the player thread can fall a buffer behind.  Up to three
     * tries; the last one's failures count. */
    for (int attempt = 1; attempt <= 3; attempt++) {
        if (run_child("capture", child_capture, attempt == 3))
            break;
        printf("capture: attempt %d failed (unpaced sink, loaded machine); trying again\n",
               attempt);
    }
    run_child("no device", child_no_device, true);
    run_child("held player", child_held, true);
    run_child("names while playing", child_names, true);
    printf("test_audio_play: %.1f s\n", now_sec() - t0);
    TEST_END();
}
