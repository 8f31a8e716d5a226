/* bench_audio.c — how fast and how steady reel's sound path is.
 *
 * 1. Offline rendering (FluidSynth's file renderer, WAV to disk): a minute
 *    of a fiddle tune in eighth notes, and of 16-note string chords, with
 *    both GM soundfonts.  Target (issue #4): >= 50x real time for the
 *    melody; 16-voice chords are shown beside it.
 * 2. The audio callback with 16 voices sounding: 8 notes of FluidR3
 *    strings (two voices a note), chords changing every 2 s so note-ons and
 *    note-offs go through the callback (up to 32 voices while a release
 *    overlaps the next chord).  The callback is the
 *    engine's own (audio_engine_pull on a manual engine runs exactly what
 *    the PortAudio callback runs), driven by a thread paced like a sound
 *    card: a 256-frame period at 48 kHz (5.33 ms), woken at each period's
 *    start with clock_nanosleep, with two periods of buffering; a buffer
 *    not ready by the end of the next period is an underrun.  Measured
 *    alone, and with a training-sized sgemm loop (3200x512 times 512x2048,
 *    the shape of an LSTM's input projection over a window) in another
 *    thread on one OpenBLAS thread, as PLATFORM.md advises (leave a core
 *    for audio); and, for information, with OpenBLAS on both cores.
 *    Target: callback max <= 1 ms, 0 underruns.
 *
 * 3. With REEL_BENCH_DEVICE=1, the same through the default output device
 *    (PortAudio's own callback thread): figures from the engine's
 *    histogram, underruns as PortAudio flags them.  A headless machine can
 *    pace it with a private PulseAudio server and a null sink (PLATFORM.md):
 *      apt-get install pulseaudio pulseaudio-utils libasound2-plugins
 *      export XDG_RUNTIME_DIR=$(mktemp -d)
 *      pulseaudio -n --daemonize=no --exit-idle-time=-1 \
 *          -L module-native-protocol-unix -L "module-null-sink sink_name=null" &
 *      parecord -d null.monitor /dev/null &
 *      REEL_BENCH_DEVICE=1 build/bench/bench_audio
 *
 * cblas.h is included here only (src/ keeps it in its math module).
 */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audio.h"
#include "clock.h"
#include "player.h"

#define SF_BIG "/usr/share/sounds/sf2/FluidR3_GM.sf2"
#define SF_SMALL "/usr/share/sounds/sf2/TimGM6mb.sf2"
#define RATE 48000
#define PERIOD 256
#define STRINGS 48          /* GM 49 */

/* A minute of eighth notes at 120 bpm (a fiddle line up and down D major). */
static void tune_line(Tune *t)
{
    static const int scale[] = {62, 64, 66, 67, 69, 71, 73, 74, 76, 78, 79, 81};
    ReelError err;
    tune_init(t);
    tune_add_tempo(t, 0, 500000, &err);
    for (int i = 0; i < 240; i++) {
        int k = i % 22 < 11 ? i % 22 : 22 - i % 22;
        tune_add_note(t, i * 2, 2, scale[k], 90, &err);
    }
    tune_sort(t);
}

/* Chords of n notes, each held 2 s (16 steps at 120 bpm), for seconds. */
static void tune_chords(Tune *t, double seconds, int n)
{
    ReelError err;
    int chords = (int)(seconds / 2);
    tune_init(t);
    tune_add_tempo(t, 0, 500000, &err);
    for (int c = 0; c < chords; c++)
        for (int k = 0; k < n; k++)
            tune_add_note(t, c * 16, 16, 40 + k * 4 + (c % 2), 80, &err);
    tune_sort(t);
}

static int bench_render(const char *label, const char *sf2, const Tune *t, int program,
                        bool target, double *speed)
{
    Player *p;
    AudioSynth *s;
    AudioSynthOpts so = {sf2, 44100, 0, 0, false, false};
    AudioRenderOpts ro = {"/tmp/reel-bench-render.wav", 5, false};
    AudioRenderInfo info;
    ReelError err;
    double best = 0;
    for (int run = 0; run < 3; run++) {
        if (player_new(&p, NULL, &err) || player_load_tune(p, t, program, &err) ||
            audio_synth_new(&s, &so, &err)) {
            fprintf(stderr, "bench_audio: %s\n", err.msg);
            return 1;
        }
        if (player_render(p, s, 0, &ro, &info, &err)) {
            fprintf(stderr, "bench_audio: %s\n", err.msg);
            return 1;
        }
        if (info.seconds / info.wall_seconds > best)
            best = info.seconds / info.wall_seconds;
        audio_synth_free(s);
        player_free(p);
    }
    unlink(ro.path);
    printf("  %-44s %6.1f s of audio   %5.0fx real time", label, info.seconds, best);
    if (target)
        printf("   (target >= 50x: %s)", best >= 50 ? "met" : "MISSED");
    printf("\n");
    *speed = best;
    return 0;
}

/* ---- the paced callback ---------------------------------------------------- */

static _Atomic int sgemm_stop;
static _Atomic long sgemm_calls;

static void *sgemm_main(void *arg)
{
    const int m = 3200, n = 2048, k = 512;
    float *a = malloc((size_t)m * k * sizeof *a), *b = malloc((size_t)k * n * sizeof *b),
          *c = malloc((size_t)m * n * sizeof *c);
    (void)arg;
    for (size_t i = 0; i < (size_t)m * k; i++)
        a[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
    for (size_t i = 0; i < (size_t)k * n; i++)
        b[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
    while (!atomic_load(&sgemm_stop)) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f,
                    c, n);
        atomic_fetch_add(&sgemm_calls, 1);
    }
    free(a);
    free(b);
    free(c);
    return NULL;
}

typedef struct {
    double max_ms, p99_ms, mean_ms, late_max_ms, cpu_max_ms;
    long buffers, underruns;
    int voices_min, voices_max;
    double gflops;
} PacedResult;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Drive the engine like a sound card for seconds; sgemm_threads 0: alone. */
static int run_paced(AudioEngine *e, double seconds, int sgemm_threads, PacedResult *r)
{
    static float buf[2 * PERIOD];
    long n = (long)(seconds * RATE / PERIOD);
    double *dur = malloc((size_t)n * sizeof *dur);
    double period = (double)PERIOD / RATE, t0, t_start;
    pthread_t th;
    long calls0;
    memset(r, 0, sizeof *r);
    r->voices_min = 1 << 30;
    if (!dur)
        return 1;
    if (sgemm_threads) {
        openblas_set_num_threads(sgemm_threads);
        atomic_store(&sgemm_stop, 0);
        pthread_create(&th, NULL, sgemm_main, NULL);
        usleep(300000);   /* let it get going */
    }
    calls0 = atomic_load(&sgemm_calls);
    audio_engine_stats_reset(e);
    t0 = now_sec() + 0.01;
    t_start = now_sec();
    for (long i = 0; i < n; i++) {
        double wake_at = t0 + (double)i * period, woke, done, cpu;
        struct timespec ts, c0, c1;
        ts.tv_sec = (time_t)wake_at;
        ts.tv_nsec = (long)((wake_at - (double)ts.tv_sec) * 1e9);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        woke = now_sec();
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        audio_engine_pull(e, buf, PERIOD);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        done = now_sec();
        dur[i] = (done - woke) * 1000;
        cpu = (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
        if (cpu > r->cpu_max_ms)
            r->cpu_max_ms = cpu;
        if (woke - wake_at > r->late_max_ms / 1000)
            r->late_max_ms = (woke - wake_at) * 1000;
        if (done > wake_at + period)       /* two periods of buffering */
            r->underruns++;
        if (i > RATE / PERIOD) {           /* voices once the chords are on */
            int v = audio_engine_voices(e);
            if (v < r->voices_min)
                r->voices_min = v;
            if (v > r->voices_max)
                r->voices_max = v;
        }
    }
    if (sgemm_threads) {
        double secs = now_sec() - t_start;
        r->gflops = (double)(atomic_load(&sgemm_calls) - calls0) * 2.0 * 3200 * 2048 * 512 / secs /
                    1e9;
        atomic_store(&sgemm_stop, 1);
        pthread_join(th, NULL);
    }
    r->buffers = n;
    for (long i = 0; i < n; i++)
        r->mean_ms += dur[i] / (double)n;
    qsort(dur, (size_t)n, sizeof *dur, cmp_double);
    r->max_ms = dur[n - 1];
    r->p99_ms = dur[(size_t)((double)n * 0.99)];
    free(dur);
    return 0;
}

static void print_paced(const char *label, const PacedResult *r, bool target)
{
    printf("    %-31s max %5.3f ms (CPU %5.3f)  p99 %5.3f ms  mean %5.3f ms  woken late by up "
           "to %5.3f ms  underruns %ld/%ld  voices %d..%d",
           label, r->max_ms, r->cpu_max_ms, r->p99_ms, r->mean_ms, r->late_max_ms, r->underruns,
           r->buffers, r->voices_min, r->voices_max);
    if (r->gflops > 0)
        printf("  sgemm %.0f GFLOP/s", r->gflops);
    if (target)
        printf("  (target max <= 1 ms, 0 underruns: %s)",
               r->max_ms <= 1.0 && r->underruns == 0 ? "met" : "MISSED");
    printf("\n");
}

/* Through the default device: PortAudio's callback thread, paced by it. */
static int run_device(double seconds, int sgemm_threads, const Tune *chords)
{
    AudioEngine *e;
    AudioEngineOpts eo = {.rate = RATE, .buffer_frames = PERIOD};
    AudioSynthOpts so = {SF_BIG, RATE, 0, 0, false, false};
    AudioSynth *s;
    Player *p;
    ReelError err;
    AudioStats st;
    pthread_t th;
    char label[64];
    if (audio_engine_open(&e, &eo, &err)) {
        fprintf(stderr, "bench_audio: %s\n", err.msg);
        return 1;
    }
    if (!audio_engine_has_output(e)) {
        printf("  no output device (%s): skipped\n", audio_engine_device(e));
        audio_engine_close(e);
        return 0;
    }
    so.rate = audio_engine_rate(e);
    if (audio_synth_new(&s, &so, &err) || audio_engine_set_synth(e, s, &err) ||
        player_new(&p, e, &err) || player_load_tune(p, chords, STRINGS, &err)) {
        fprintf(stderr, "bench_audio: %s\n", err.msg);
        return 1;
    }
    if (sgemm_threads) {
        openblas_set_num_threads(sgemm_threads);
        atomic_store(&sgemm_stop, 0);
        pthread_create(&th, NULL, sgemm_main, NULL);
    }
    player_set_loop(p, true, 0, 0);
    usleep(200000);
    player_play(p, 0, &err);
    usleep(300000);
    audio_engine_stats_reset(e);
    usleep((useconds_t)(seconds * 1e6));
    audio_engine_stats(e, &st);
    if (sgemm_threads) {
        atomic_store(&sgemm_stop, 1);
        pthread_join(th, NULL);
    }
    snprintf(label, sizeof label, sgemm_threads ? "%s, sgemm on %d thread%s" : "%s",
             audio_engine_device(e), sgemm_threads, sgemm_threads > 1 ? "s" : "");
    printf("  %-36s max %5.3f ms  p99 %5.3f ms  mean %5.3f ms  underruns %llu/%llu  late events "
           "%llu  voices up to %d\n",
           label, st.max_ms, st.p99_ms, st.mean_ms, (unsigned long long)st.underruns,
           (unsigned long long)st.callbacks, (unsigned long long)st.late_events, st.max_voices);
    player_free(p);
    audio_engine_close(e);
    return 0;
}

int main(void)
{
    Tune line, chords;
    double speed;
    int rc = 0;
    AudioEngine *e;
    AudioEngineOpts eo = {.rate = RATE, .buffer_frames = PERIOD, .manual = true};
    AudioSynthOpts so = {SF_BIG, RATE, 0, 0, false, false};
    AudioSynth *s;
    Player *p;
    ReelError err;
    PacedResult r;
    double secs = getenv("REEL_BENCH_SECONDS") ? atof(getenv("REEL_BENCH_SECONDS")) : 8;

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("bench_audio: offline render to WAV, 44.1 kHz 16-bit, best of 3\n");
    tune_line(&line);
    rc |= bench_render("FluidR3_GM, violin line (eighths, 1 min)", SF_BIG, &line, PLAYER_VIOLIN,
                       true, &speed) || speed < 50;
    rc |= bench_render("TimGM6mb, violin line (eighths, 1 min)", SF_SMALL, &line, PLAYER_VIOLIN,
                       true, &speed) || speed < 50;
    /* 16 voices: FluidR3 plays a string note with two, TimGM6mb a piano note with one. */
    tune_chords(&chords, 60, 8);
    rc |= bench_render("FluidR3_GM, 8-note string chords (16 voices)", SF_BIG, &chords, STRINGS,
                       false, &speed);
    tune_free(&chords);
    tune_chords(&chords, 60, 16);
    rc |= bench_render("TimGM6mb, 16-note piano chords (16 voices)", SF_SMALL, &chords,
                       PLAYER_PIANO, false, &speed);

    printf("bench_audio: the audio callback, 256 frames at 48 kHz paced like a sound card "
           "(%.0f s each),\n  FluidR3_GM strings: 8 notes held = 16 voices (up to 32 while a chord's release "
           "overlaps the next)\n", secs);
    if (audio_engine_open(&e, &eo, &err) || audio_synth_new(&s, &so, &err) ||
        audio_engine_set_synth(e, s, &err) || player_new(&p, e, &err)) {
        fprintf(stderr, "bench_audio: %s\n", err.msg);
        return 1;
    }
    tune_free(&chords);
    tune_chords(&chords, 8, 8);
    if (player_load_tune(p, &chords, STRINGS, &err)) {
        fprintf(stderr, "bench_audio: %s\n", err.msg);
        return 1;
    }
    player_set_loop(p, true, 0, 0);
    player_play(p, 0, &err);
    /* First at normal priority, then at SCHED_FIFO: what reel asks PortAudio
     * for its ALSA callback thread (granted to root or with an rtprio limit). */
    for (int fifo = 0; fifo < 2; fifo++) {
        bool target;
        if (fifo) {
            struct sched_param sp = {.sched_priority = 50};
            if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp)) {
                printf("  SCHED_FIFO refused (no rtprio limit): the figures above are what "
                       "reel gets here\n");
                break;
            }
        }
        printf("  %s:\n", fifo ? "at SCHED_FIFO priority 50, as reel asks for ALSA's callback "
                                 "thread" : "at normal priority");
        /* The target applies to what reel runs: FIFO when it is granted. */
        target = fifo || getuid() != 0;
        if (run_paced(e, secs, 0, &r))
            return 1;
        print_paced("alone", &r, target);
        if (target)
            rc |= r.max_ms > 1.0 || r.underruns;
        if (run_paced(e, secs, 1, &r))
            return 1;
        print_paced("with sgemm, 1 OpenBLAS thread", &r, target);
        if (target)
            rc |= r.max_ms > 1.0 || r.underruns;
        if (run_paced(e, secs, 2, &r))
            return 1;
        print_paced("with sgemm, 2 OpenBLAS threads", &r, false);
    }
    {
        struct sched_param sp = {.sched_priority = 0};
        pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
    }
    player_free(p);
    audio_engine_close(e);
    if (getenv("REEL_BENCH_DEVICE")) {
        printf("bench_audio: the same through the default output device (PortAudio callback), "
               "%.0f s each\n", secs);
        rc |= run_device(secs, 0, &chords);
        rc |= run_device(secs, 1, &chords);
        rc |= run_device(secs, 2, &chords);
    }
    tune_free(&line);
    tune_free(&chords);
    return rc ? 1 : 0;
}
