/* cmd_play.c — `reel play FILE`: a tune through FluidSynth and the sound
 * card, with a progress line; Ctrl-C stops cleanly.  The music options and
 * loading the file are music.c's (shared with `reel render`).
 *
 * Without an audio device `reel play` says "no audio output" once and
 * succeeds: nothing else reaches the terminal (the libraries' complaints
 * are kept in the audio log and shown with --verbose).
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio.h"
#include "cli.h"
#include "clock.h"
#include "player.h"

static volatile sig_atomic_t play_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    play_interrupted = 1;
}

static void play_usage(FILE *f)
{
    fprintf(f,
        "usage: reel play [OPTIONS] FILE\n"
        "\n"
        "Play FILE (MIDI or ABC) through FluidSynth and the default sound output: the\n"
        "melody, as reel reads it (quantized to 16th notes), with the file's tempo map.\n"
        "A progress line shows bar, beat and time; Ctrl-C stops (notes released, exit 130).\n"
        "Without an audio device reel says \"no audio output\" and exits 0; `reel render`\n"
        "writes a WAV instead.\n"
        "\n"
        "options:\n"
        "  --loop              play again and again from the start (or from --loop-bars);\n"
        "                      Ctrl-C stops\n"
        "  --loop-bars A:B     loop bars A to B (from 1, both included)\n"
        "  --device NAME       play on the output device whose name contains NAME (an\n"
        "                      error when there is none)\n"
        "  --list-devices      list the output devices and exit\n"
        "  --latency MS        output buffering asked for, in ms (default 20)\n"
        "  -h, --help          this text\n"
        "\n");
    cli_music_help(f);
    fprintf(f,
        "\n"
        "Exit status: 0 played (or no audio output), 1 failure, 2 bad usage, 130 stopped by\n"
        "Ctrl-C.\n");
}

static void fmt_time(double s, char *buf, size_t n)
{
    if (s < 0)
        s = 0;
    snprintf(buf, n, "%d:%04.1f", (int)(s / 60), fmod(s, 60));
}

/* Wait until the notes have rung out (or at most max seconds). */
static void wait_release(AudioEngine *e, double max)
{
    for (int i = 0; i < (int)(max * 100) && audio_engine_voices(e) > 0; i++)
        usleep(10000);
    usleep((useconds_t)(audio_engine_latency_frames(e) * 1e6 / audio_engine_rate(e)) + 50000);
}

typedef struct {
    CliMusic m;
    const char *input, *device;
    double latency_ms;
    long loop_a, loop_b;        /* --loop-bars A:B; 0: not given */
    bool loop, list, tty;
    AudioEngine *e;
    Player *p;
    double from;                /* the start step */
    char sf[4096], preset[64], t_end[32];
    uint64_t log_start, log_opened;
} Play;

enum { OPT_LOOP = 256, OPT_LOOP_BARS, OPT_DEVICE, OPT_LIST, OPT_LATENCY };

static const struct option own_opts[] = {
    {"loop", no_argument, NULL, OPT_LOOP},
    {"loop-bars", required_argument, NULL, OPT_LOOP_BARS},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"list-devices", no_argument, NULL, OPT_LIST},
    {"latency", required_argument, NULL, OPT_LATENCY},
    {"help", no_argument, NULL, 'h'},
};

/* One option: -1 taken, else the exit status (0 after --help). */
static int take_option(void *ctx, int ch, const char *v)
{
    Play *x = ctx;
    switch (ch) {
    case 'v': x->m.verbose++; return -1;
    case OPT_LOOP: x->loop = true; return -1;
    case OPT_LOOP_BARS:
        if (sscanf(v, "%ld:%ld", &x->loop_a, &x->loop_b) != 2 || x->loop_a < 1 ||
            x->loop_b < x->loop_a) {
            fprintf(stderr, "reel play: --loop-bars needs A:B, bars from 1 with A <= B, not "
                            "'%s'\n", v);
            return 2;
        }
        x->loop = true;
        return -1;
    case OPT_DEVICE: x->device = v; return -1;
    case OPT_LIST: x->list = true; return -1;
    case OPT_LATENCY:
        if (!num_double(v, 1, 2000, &x->latency_ms)) {
            fprintf(stderr, "reel play: --latency needs 1..2000 ms, not '%s'\n", v);
            return 2;
        }
        return -1;
    case 'h': play_usage(stdout); return 0;
    default: return cli_music_take(&x->m, ch, v, "play", play_usage);
    }
}

static int parse_args(Play *x, int argc, char **argv)
{
    struct option longopts[40];
    int rc;
    memset(x, 0, sizeof *x);
    cli_music_init(&x->m);
    x->tty = cli_stderr_is_tty();
    cli_music_longopts(longopts, own_opts, sizeof own_opts / sizeof own_opts[0]);
    if ((rc = cli_getopt(argc, argv, "hv", longopts, take_option, x)) >= 0)
        return rc;
    return -1;
}

static int list_devices(Play *x)
{
    char buf[8192];
    if (audio_list_devices(buf, sizeof buf))
        fputs(buf, stdout);
    else
        printf("no output devices\n");
    x->m.verbose = x->m.verbose ? 2 : 0;
    cli_music_log_verbose(&x->m, x->log_start, x->log_opened, "play");
    return 0;
}

/* The output, the player with the tune, the soundfont's path: -1 go on,
 * else the exit status (0: no audio output). */
static int open_output(Play *x)
{
    AudioEngineOpts eo;
    ReelError err;
    memset(&eo, 0, sizeof eo);
    eo.device = x->device;
    eo.latency = x->latency_ms / 1000;
    if (audio_engine_open(&x->e, &eo, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        return 1;
    }
    x->log_opened = audio_log_end();
    if (player_new(&x->p, x->e, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        return 1;
    }
    if (cli_music_load(&x->m, x->input, x->p, &x->from, "play"))
        return 1;
    if (!audio_engine_has_output(x->e) && x->device) {
        fprintf(stderr, "reel play: %s (reel play --list-devices lists them)\n",
                audio_engine_device(x->e));
        return 1;
    }
    if (!audio_engine_has_output(x->e)) {
        fprintf(stderr, "reel play: no audio output (%s); `reel render %s -o out.wav` writes "
                        "a WAV instead\n", audio_engine_device(x->e), x->input);
        return 0;
    }
    return cli_music_soundfont(&x->m, x->sf, sizeof x->sf, "play") ? 1 : -1;
}

/* Load the soundfont in the background (148 MB takes a moment), saying so
 * after 150 ms on a terminal; *sec gets how long it took. */
static int load_soundfont(Play *x, AudioSynth **synth, double *sec)
{
    AudioSynthOpts so;
    AudioLoad *load = NULL;
    ReelError err;
    double t0 = now_sec();
    bool shown = false;
    memset(&so, 0, sizeof so);
    so.soundfont = x->sf;
    so.rate = audio_engine_rate(x->e);
    so.gain = x->m.play.gain > 0 ? (float)x->m.play.gain : 0;
    if (audio_load_start(&load, &so, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        return 1;
    }
    while (!audio_load_done(load)) {
        if (x->tty && !shown && now_sec() - t0 > 0.150) {
            fprintf(stderr, "loading %s ...", x->sf);
            shown = true;
        }
        usleep(5000);
    }
    if (shown)
        fprintf(stderr, "\r\033[K");
    *sec = now_sec() - t0;
    if (audio_load_finish(load, synth, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* The soundfont into the engine: 0, or 1. */
static int start_synth(Play *x)
{
    AudioSynth *synth = NULL;
    ReelError err;
    double sec = 0;
    int program = player_program(x->p, 0);
    if (load_soundfont(x, &synth, &sec))
        return 1;
    audio_synth_preset_name(synth, 0, program, x->preset, sizeof x->preset);
    if (x->m.verbose)
        fprintf(stderr, "reel play: soundfont %s (loaded in %.0f ms); output %s, %d Hz, latency "
                        "%.1f ms\n", x->sf, sec * 1000, audio_engine_device(x->e),
                audio_engine_rate(x->e),
                audio_engine_latency_frames(x->e) * 1000.0 / audio_engine_rate(x->e));
    if (!x->preset[0])
        fprintf(stderr, "reel play: warning: %s has no preset for GM program %d; FluidSynth "
                        "substitutes another\n", x->sf, program + 1);
    if (audio_engine_set_synth(x->e, synth, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        audio_synth_free(synth);
        return 1;
    }
    for (int i = 0; i < 200 && !audio_engine_has_synth(x->e); i++)
        usleep(5000);
    return 0;
}

/* The loop region, and the line that says what plays. */
static void announce(Play *x)
{
    Player *p = x->p;
    double total;
    if (x->loop) {
        int32_t a = x->loop_a ? player_bar_step(p, x->loop_a) : 0;
        int32_t b = x->loop_b ? player_bar_step(p, x->loop_b + 1) : 0;
        player_set_loop(p, true, a, b);
        if (x->loop_a && x->from < a)
            x->from = a;
    }
    total = player_seconds(p, x->from, x->loop && x->loop_b ? player_bar_step(p, x->loop_b + 1)
                                                            : player_end_step(p));
    fmt_time(total, x->t_end, sizeof x->t_end);
    fprintf(stderr, "playing %s: %ld notes, %s at %.0f bpm, %s (GM %d) via %s%s\n", x->m.name,
            x->m.n_notes, x->t_end, player_bpm_at(p, x->from), x->preset[0] ? x->preset : "?",
            player_program(p, 0) + 1, audio_engine_device(x->e), x->loop ? ", looping" : "");
}

/* The progress line until the end or Ctrl-C. */
static void follow(const Play *x)
{
    char t_now[32];
    for (;;) {
        PlayerStatus st = player_status(x->p);
        if (x->tty) {
            long bar;
            int beat;
            player_bar_beat(x->p, st.step, &bar, &beat);
            fmt_time(st.seconds, t_now, sizeof t_now);
            if (x->loop)
                fprintf(stderr, "\r\033[K  bar %ld beat %d   %s   pass %ld", bar, beat, t_now,
                        st.pass + 1);
            else
                fprintf(stderr, "\r\033[K  bar %ld beat %d   %s / %s", bar, beat, t_now,
                        x->t_end);
        }
        if (play_interrupted || !st.playing)
            break;
        usleep(30000);
    }
}

/* How it ended: 130 stopped by Ctrl-C, else 0. */
static int finish(const Play *x)
{
    if (play_interrupted) {
        PlayerStatus st = player_status(x->p);
        char t_now[32];
        long bar;
        int beat;
        player_stop(x->p);
        player_bar_beat(x->p, st.step, &bar, &beat);
        fmt_time(st.seconds, t_now, sizeof t_now);
        fprintf(stderr, "%sstopped at bar %ld beat %d (%s)\n", x->tty ? "\r\033[K" : "", bar,
                beat, t_now);
        wait_release(x->e, 1.5);
        return 130;
    }
    wait_release(x->e, 3.0);
    fprintf(stderr, "%splayed %s\n", x->tty ? "\r\033[K" : "", x->t_end);
    return 0;
}

static void print_stats(const Play *x)
{
    AudioStats st;
    audio_engine_stats(x->e, &st);
    fprintf(stderr, "reel play: %llu buffers, callback mean %.3f ms, p99 %.3f ms, max %.3f ms; "
                    "%llu underruns, %llu late events, up to %d voices\n",
            (unsigned long long)st.callbacks, st.mean_ms, st.p99_ms, st.max_ms,
            (unsigned long long)st.underruns, (unsigned long long)st.late_events, st.max_voices);
}

/* Play with Ctrl-C and SIGTERM caught: the exit status. */
static int play(Play *x)
{
    struct sigaction sa, old_int, old_term;
    ReelError err;
    int rc = 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    play_interrupted = 0;
    audio_engine_stats_reset(x->e);
    if (player_play(x->p, x->from, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
    } else {
        follow(x);
        rc = finish(x);
        if (x->m.verbose)
            print_stats(x);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}

int cmd_play(int argc, char **argv)
{
    Play x;
    int rc = parse_args(&x, argc, argv);
    if (rc >= 0)
        return rc;
    audio_log_capture();
    x.log_start = x.log_opened = audio_log_end();
    if (x.list)
        return list_devices(&x);
    if (optind != argc - 1) {
        fprintf(stderr, "reel play: give one MIDI or ABC file\n");
        play_usage(stderr);
        return 2;
    }
    x.input = argv[optind];
    /* The output first (quietly): without one there is nothing to play. */
    rc = open_output(&x);
    if (rc < 0) {
        rc = 1;
        if (!start_synth(&x)) {
            announce(&x);
            rc = play(&x);
        }
    }
    if (x.e || x.p) {
        player_free(x.p);
        audio_engine_close(x.e);
        cli_music_log_verbose(&x.m, x.log_start, x.log_opened, "play");
    }
    return rc;
}
