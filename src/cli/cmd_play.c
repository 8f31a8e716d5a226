/* cmd_play.c — `reel play FILE`: a tune through FluidSynth and the sound
 * card, with a progress line; Ctrl-C stops cleanly.  Also what `reel play`
 * and `reel render` share (cli.h: CliMusic): the music options and loading
 * a file into a Player.
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
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "audio.h"
#include "cli.h"
#include "corpus.h"
#include "player.h"
#include "soundfont.h"

/* ---- shared with `reel render` --------------------------------------------- */

enum {
    OPT_SOUNDFONT = CLI_MUSIC_OPT,
    OPT_PROGRAM,
    OPT_VELOCITY,
    OPT_BPM,
    OPT_GAIN,
    OPT_FROM,
    OPT_BAR,
    OPT_METRONOME,
    OPT_PART,
    OPT_TUNE,
    OPT_VERBOSE,
};

static const struct option music_opts[] = {
    {"soundfont", required_argument, NULL, OPT_SOUNDFONT},
    {"program", required_argument, NULL, OPT_PROGRAM},
    {"velocity", required_argument, NULL, OPT_VELOCITY},
    {"bpm", required_argument, NULL, OPT_BPM},
    {"tempo", required_argument, NULL, OPT_BPM},
    {"gain", required_argument, NULL, OPT_GAIN},
    {"from", required_argument, NULL, OPT_FROM},
    {"bar", required_argument, NULL, OPT_BAR},
    {"metronome", no_argument, NULL, OPT_METRONOME},
    {"part", required_argument, NULL, OPT_PART},
    {"tune", required_argument, NULL, OPT_TUNE},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
};

/* General MIDI programs a musician may name (1-based, as GM numbers them). */
static const struct {
    const char *name;
    int gm;
} program_names[] = {
    {"piano", 1},      {"harpsichord", 7}, {"organ", 20},   {"accordion", 22},
    {"guitar", 25},    {"steel-guitar", 26}, {"bass", 33},  {"violin", 41},
    {"fiddle", 41},    {"viola", 42},      {"cello", 43},   {"harp", 47},
    {"strings", 49},   {"trumpet", 57},    {"clarinet", 72}, {"flute", 74},
    {"recorder", 75},  {"whistle", 79},    {"banjo", 106},  {"bagpipe", 110},
};

void cli_music_init(CliMusic *m)
{
    memset(m, 0, sizeof *m);
    m->tune_no = 1;
    m->program = -1;
}

int cli_music_longopts(struct option *opts, int n)
{
    for (size_t i = 0; i < sizeof music_opts / sizeof music_opts[0]; i++)
        opts[n++] = music_opts[i];
    return n;
}

int cli_music_option(CliMusic *m, int ch, const char *arg, const char *cmd)
{
    long l;
    double d;
    switch (ch) {
    case OPT_SOUNDFONT: m->soundfont = arg; return 0;
    case OPT_PART: m->part = arg; return 0;
    case OPT_METRONOME: m->metronome = 1; return 0;
    case OPT_VERBOSE: m->verbose++; return 0;
    case OPT_TUNE:
        if (!num_long(arg, 1, 1000000, &m->tune_no)) {
            fprintf(stderr, "reel %s: --tune needs a number from 1, not '%s'\n", cmd, arg);
            return 2;
        }
        return 0;
    case OPT_PROGRAM:
        if (num_long(arg, 1, 128, &l)) {
            m->program = (int)l - 1;
            return 0;
        }
        for (size_t i = 0; i < sizeof program_names / sizeof program_names[0]; i++)
            if (!strcasecmp(arg, program_names[i].name)) {
                m->program = program_names[i].gm - 1;
                return 0;
            }
        fprintf(stderr, "reel %s: --program needs a GM program 1..128 or a name (piano, violin, "
                        "flute, ... see --help), not '%s'\n", cmd, arg);
        return 2;
    case OPT_VELOCITY:
        if (!num_long(arg, 1, 127, &l)) {
            fprintf(stderr, "reel %s: --velocity needs 1..127, not '%s'\n", cmd, arg);
            return 2;
        }
        m->velocity = (int)l;
        return 0;
    case OPT_BPM:
        if (!num_double(arg, 10, 1000, &m->bpm)) {
            fprintf(stderr, "reel %s: --bpm needs 10..1000 quarter notes a minute, not '%s'\n",
                    cmd, arg);
            return 2;
        }
        return 0;
    case OPT_GAIN:
        if (!num_double(arg, 0.001, 10, &m->gain)) {
            fprintf(stderr, "reel %s: --gain needs 0.001..10, not '%s'\n", cmd, arg);
            return 2;
        }
        return 0;
    case OPT_FROM:
        if (!num_double(arg, 0, 1e9, &d)) {
            fprintf(stderr, "reel %s: --from needs a step (16th notes from 0), not '%s'\n", cmd,
                    arg);
            return 2;
        }
        m->from_step = d;
        return 0;
    case OPT_BAR:
        if (!num_long(arg, 1, 10000000, &m->from_bar)) {
            fprintf(stderr, "reel %s: --bar needs a bar number from 1, not '%s'\n", cmd, arg);
            return 2;
        }
        return 0;
    default:
        return -1;
    }
}

void cli_music_help(FILE *f)
{
    fprintf(f,
        "music options (play and render):\n"
        "  --soundfont FILE    the .sf2 to play with; else $REEL_SOUNDFONT, soundfonts/ in\n"
        "                      reel's data folder, then /usr/share/sounds/sf2/default-GM.sf2,\n"
        "                      FluidR3_GM.sf2, TimGM6mb.sf2 (see soundfonts/README)\n"
        "  --program P         General MIDI program 1..128, or a name: piano, harpsichord,\n"
        "                      organ, accordion, guitar, steel-guitar, bass, violin (fiddle),\n"
        "                      viola, cello, harp, strings, trumpet, clarinet, flute, recorder,\n"
        "                      whistle, banjo, bagpipe.  Default: the file's own program, and\n"
        "                      the violin (41) when it has none, as Ryan's fiddle tunes\n"
        "  --velocity V        play every note at velocity 1..127 (default: the notes' own)\n"
        "  --bpm BPM           tempo in quarter notes a minute; a file with tempo changes\n"
        "                      keeps them, scaled (--tempo is the same)\n"
        "  --gain G            FluidSynth's master gain, 0.001..10 (default %.1f)\n"
        "  --from STEP         start at this 16th-note step (0 is the start)\n"
        "  --bar N             start at bar N (from 1)\n"
        "  --metronome         a click on every beat (GM wood blocks, high on the bar line;\n"
        "                      compound metres such as 6/8 click on dotted quarters)\n"
        "  --part NAME         take the track NAME instead of the melody ('all': every\n"
        "                      non-drum note of the file)\n"
        "  --tune N            the N-th tune of a file with several (ABC), default 1\n"
        "  -v, --verbose       say more: device, soundfont, timing figures, and what the\n"
        "                      sound libraries (FluidSynth, ALSA, JACK) reported while\n"
        "                      playing; twice: also their complaints while probing devices\n",
        (double)AUDIO_DEFAULT_GAIN);
}

int cli_music_load(CliMusic *m, const char *path, Player *p, double *from, const char *cmd)
{
    CorpusOpts opts;
    Corpus c;
    ReelError err;
    const Tune *t;
    int rc = 1;

    memset(&opts, 0, sizeof opts);
    opts.quant.part = m->part;
    corpus_init(&c);
    corpus_load_file(&c, path, &opts);
    if (c.n_tunes == 0) {
        fprintf(stderr, "reel %s: %s\n", cmd, c.n_skips ? c.skips[0].err.msg : "no tune in the file");
        goto done;
    }
    if (m->tune_no > c.n_tunes) {
        fprintf(stderr, "reel %s: %s holds %ld tune%s, not %ld\n", cmd, path, (long)c.n_tunes,
                c.n_tunes == 1 ? "" : "s", m->tune_no);
        goto done;
    }
    t = &c.tunes[m->tune_no - 1];
    if (t->n_notes == 0) {
        fprintf(stderr, "reel %s: %s: no notes to play\n", cmd, path);
        goto done;
    }
    if (player_load_tune(p, t, m->program, &err)) {
        fprintf(stderr, "reel %s: %s\n", cmd, err.msg);
        goto done;
    }
    snprintf(m->name, sizeof m->name, "%s", t->name ? t->name : path);
    m->n_notes = t->n_notes;
    if (m->velocity)
        player_set_velocity(p, 0, m->velocity);
    if (m->bpm > 0)
        player_set_bpm(p, m->bpm);
    if (m->gain > 0)
        player_set_gain(p, (float)m->gain);
    player_set_metronome(p, m->metronome != 0);
    *from = m->from_bar ? player_bar_step(p, m->from_bar) : m->from_step;
    if (*from >= player_end_step(p)) {
        long bar;
        int beat;
        player_bar_beat(p, player_end_step(p) - 1, &bar, &beat);
        fprintf(stderr, "reel %s: %s ends at step %ld (in bar %ld): nothing to play from %s %g\n",
                cmd, path, (long)player_end_step(p), bar, m->from_bar ? "bar" : "step",
                m->from_bar ? (double)m->from_bar : m->from_step);
        goto done;
    }
    rc = 0;
done:
    corpus_free(&c);
    return rc;
}

int cli_music_soundfont(const CliMusic *m, char *out, size_t size, const char *cmd)
{
    char dir[4200];
    const char *dirs[1] = {dir};
    SoundfontQuery q = {m->soundfont, dirs, 1, false, false};
    ReelError err;
    snprintf(dir, sizeof dir, "%s/soundfonts", datadir_path());
    if (soundfont_find(&q, out, size, &err)) {
        fprintf(stderr, "reel %s: %s\n", cmd, err.msg);
        return 1;
    }
    return 0;
}

void cli_music_log(uint64_t *cursor, uint64_t until, const char *cmd)
{
    char msg[300];
    AudioLogLevel lv;
    static const char *const names[] = {"error", "warning", "info", "debug"};
    while (*cursor < until && audio_log_next(cursor, msg, sizeof msg, &lv))
        if (lv != AUDIO_LOG_DEBUG)
            fprintf(stderr, "reel %s: [%s] %s\n", cmd, names[lv], msg);
}

void cli_music_log_verbose(const CliMusic *m, uint64_t start, uint64_t opened, const char *cmd)
{
    uint64_t cur = start;
    if (!m->verbose)
        return;
    if (m->verbose == 1 && opened > start) {
        fprintf(stderr, "reel %s: %llu messages from ALSA/JACK while looking for an output "
                        "(-v -v shows them)\n", cmd, (unsigned long long)(opened - start));
        cur = opened;
    }
    cli_music_log(&cur, UINT64_MAX, cmd);
}

/* ---- reel play ----------------------------------------------------------------- */

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

int cmd_play(int argc, char **argv)
{
    enum { OPT_LOOP = 256, OPT_LOOP_BARS, OPT_DEVICE, OPT_LIST, OPT_LATENCY };
    static const struct option own[] = {
        {"loop", no_argument, NULL, OPT_LOOP},
        {"loop-bars", required_argument, NULL, OPT_LOOP_BARS},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"list-devices", no_argument, NULL, OPT_LIST},
        {"latency", required_argument, NULL, OPT_LATENCY},
        {"help", no_argument, NULL, 'h'},
    };
    struct option longopts[40];
    CliMusic m;
    AudioEngineOpts eo;
    AudioEngine *e = NULL;
    AudioSynthOpts so;
    AudioSynth *synth = NULL;
    AudioLoad *load = NULL;
    Player *p = NULL;
    ReelError err;
    struct sigaction sa, old_int, old_term;
    char sf[4096], preset[64] = "", t_now[32], t_end[32];
    const char *input;
    double from = 0, latency_ms = 0, total, t0;
    long loop_a = 0, loop_b = 0;
    int ch, n = 0, rc = 1, loop = 0, list = 0, tty = cli_stderr_is_tty(), shown = 0;
    uint64_t log_start, log_opened;
    const char *device = NULL;

    cli_music_init(&m);
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        longopts[n++] = own[i];
    n = cli_music_longopts(longopts, n);
    memset(&longopts[n], 0, sizeof longopts[n]);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
        int r;
        switch (ch) {
        case 'v': m.verbose++; continue;
        case OPT_LOOP: loop = 1; continue;
        case OPT_LOOP_BARS:
            if (sscanf(optarg, "%ld:%ld", &loop_a, &loop_b) != 2 || loop_a < 1 || loop_b < loop_a) {
                fprintf(stderr, "reel play: --loop-bars needs A:B, bars from 1 with A <= B, not "
                                "'%s'\n", optarg);
                return 2;
            }
            loop = 1;
            continue;
        case OPT_DEVICE: device = optarg; continue;
        case OPT_LIST: list = 1; continue;
        case OPT_LATENCY:
            if (!num_double(optarg, 1, 2000, &latency_ms)) {
                fprintf(stderr, "reel play: --latency needs 1..2000 ms, not '%s'\n", optarg);
                return 2;
            }
            continue;
        case 'h': play_usage(stdout); return 0;
        default:
            r = cli_music_option(&m, ch, optarg, "play");
            if (r == 0)
                continue;
            if (r < 0)
                play_usage(stderr);
            return 2;
        }
    }
    audio_log_capture();
    log_start = log_opened = audio_log_end();
    if (list) {
        char buf[8192];
        int k = audio_list_devices(buf, sizeof buf);
        if (k)
            fputs(buf, stdout);
        else
            printf("no output devices\n");
        m.verbose = m.verbose ? 2 : 0;
        cli_music_log_verbose(&m, log_start, log_opened, "play");
        return 0;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "reel play: give one MIDI or ABC file\n");
        play_usage(stderr);
        return 2;
    }
    input = argv[optind];

    /* The output first (quietly): without one there is nothing to play. */
    memset(&eo, 0, sizeof eo);
    eo.device = device;
    eo.latency = latency_ms / 1000;
    if (audio_engine_open(&e, &eo, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        return 1;
    }
    log_opened = audio_log_end();
    if (player_new(&p, e, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        goto out;
    }
    if (cli_music_load(&m, input, p, &from, "play"))
        goto out;
    if (!audio_engine_has_output(e) && device) {
        fprintf(stderr, "reel play: %s (reel play --list-devices lists them)\n",
                audio_engine_device(e));
        goto out;
    }
    if (!audio_engine_has_output(e)) {
        fprintf(stderr, "reel play: no audio output (%s); `reel render %s -o out.wav` writes "
                        "a WAV instead\n", audio_engine_device(e), input);
        rc = 0;
        goto out;
    }
    if (cli_music_soundfont(&m, sf, sizeof sf, "play"))
        goto out;

    /* The soundfont loads in the background: 148 MB takes a moment. */
    memset(&so, 0, sizeof so);
    so.soundfont = sf;
    so.rate = audio_engine_rate(e);
    so.gain = m.gain > 0 ? (float)m.gain : 0;
    if (audio_load_start(&load, &so, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        goto out;
    }
    {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        while (!audio_load_done(load)) {
            clock_gettime(CLOCK_MONOTONIC, &b);
            if (tty && !shown && (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 > 150) {
                fprintf(stderr, "loading %s ...", sf);
                shown = 1;
            }
            usleep(5000);
        }
        if (shown)
            fprintf(stderr, "\r\033[K");
        clock_gettime(CLOCK_MONOTONIC, &b);
        t0 = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    }
    if (audio_load_finish(load, &synth, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        goto out;
    }
    audio_synth_preset_name(synth, 0, player_program(p, 0), preset, sizeof preset);
    if (m.verbose)
        fprintf(stderr, "reel play: soundfont %s (loaded in %.0f ms); output %s, %d Hz, latency "
                        "%.1f ms\n", sf, t0 * 1000, audio_engine_device(e), audio_engine_rate(e),
                audio_engine_latency_frames(e) * 1000.0 / audio_engine_rate(e));
    if (!preset[0])
        fprintf(stderr, "reel play: warning: %s has no preset for GM program %d; FluidSynth "
                        "substitutes another\n", sf, player_program(p, 0) + 1);
    if (audio_engine_set_synth(e, synth, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        audio_synth_free(synth);
        goto out;
    }
    for (int i = 0; i < 200 && !audio_engine_has_synth(e); i++)
        usleep(5000);

    if (loop) {
        int32_t a = loop_a ? player_bar_step(p, loop_a) : 0;
        int32_t b = loop_b ? player_bar_step(p, loop_b + 1) : 0;
        player_set_loop(p, true, a, b);
        if (loop_a && from < a)
            from = a;
    }
    total = player_seconds(p, from, loop && loop_b ? player_bar_step(p, loop_b + 1)
                                                   : player_end_step(p));
    fmt_time(total, t_end, sizeof t_end);
    fprintf(stderr, "playing %s: %ld notes, %s at %.0f bpm, %s (GM %d) via %s%s\n", m.name,
            m.n_notes, t_end, player_bpm_at(p, from), preset[0] ? preset : "?",
            player_program(p, 0) + 1, audio_engine_device(e), loop ? ", looping" : "");

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    play_interrupted = 0;
    audio_engine_stats_reset(e);
    if (player_play(p, from, &err)) {
        fprintf(stderr, "reel play: %s\n", err.msg);
        goto restore;
    }
    for (;;) {
        PlayerStatus st = player_status(p);
        if (tty) {
            long bar;
            int beat;
            player_bar_beat(p, st.step, &bar, &beat);
            fmt_time(st.seconds, t_now, sizeof t_now);
            if (loop)
                fprintf(stderr, "\r\033[K  bar %ld beat %d   %s   pass %ld", bar, beat, t_now,
                        st.pass + 1);
            else
                fprintf(stderr, "\r\033[K  bar %ld beat %d   %s / %s", bar, beat, t_now, t_end);
        }
        if (play_interrupted || !st.playing)
            break;
        usleep(30000);
    }
    if (play_interrupted) {
        PlayerStatus st = player_status(p);
        long bar;
        int beat;
        player_stop(p);
        player_bar_beat(p, st.step, &bar, &beat);
        fmt_time(st.seconds, t_now, sizeof t_now);
        fprintf(stderr, "%sstopped at bar %ld beat %d (%s)\n", tty ? "\r\033[K" : "", bar, beat,
                t_now);
        wait_release(e, 1.5);
        rc = 130;
    } else {
        wait_release(e, 3.0);
        fprintf(stderr, "%splayed %s\n", tty ? "\r\033[K" : "", t_end);
        rc = 0;
    }
    if (m.verbose) {
        AudioStats st;
        audio_engine_stats(e, &st);
        fprintf(stderr, "reel play: %llu buffers, callback mean %.3f ms, p99 %.3f ms, max %.3f ms; "
                        "%llu underruns, %llu late events, up to %d voices\n",
                (unsigned long long)st.callbacks, st.mean_ms, st.p99_ms, st.max_ms,
                (unsigned long long)st.underruns, (unsigned long long)st.late_events,
                st.max_voices);
    }
restore:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
out:
    player_free(p);
    audio_engine_close(e);
    cli_music_log_verbose(&m, log_start, log_opened, "play");
    return rc;
}
