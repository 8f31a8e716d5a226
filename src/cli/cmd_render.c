/* cmd_render.c — `reel render FILE -o out.wav`: a tune to a WAV file through
 * FluidSynth's file renderer, with the release tail.  Needs no sound card.
 * The schedule is the one `reel play` plays (same player, same 64-frame
 * rule), so a render and a live capture sound the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "cli.h"
#include "player.h"

static void render_usage(FILE *f)
{
    fprintf(f,
        "usage: reel render [OPTIONS] FILE -o OUT.wav\n"
        "\n"
        "Render FILE (MIDI or ABC) to a WAV file with FluidSynth: the melody as reel reads\n"
        "it (quantized to 16th notes), with the file's tempo map, then the release tail\n"
        "until every voice has faded (plus a quarter second of reverb), at most --tail\n"
        "seconds.  The file is written beside OUT.wav and renamed when complete.\n"
        "\n"
        "options:\n"
        "  -o, --output FILE   the WAV file to write (required)\n"
        "  --rate HZ           sample rate, 8000..96000 (default 44100)\n"
        "  --tail SECONDS      longest release tail after the last note-off (default 5)\n"
        "  --float             32-bit float samples (default 16-bit)\n"
        "  -h, --help          this text\n"
        "\n");
    cli_music_help(f);
    fprintf(f, "\nExit status: 0 written, 1 failure (nothing written), 2 bad usage.\n");
}

typedef struct {
    CliMusic m;
    const char *output, *input;
    double tail;
    long rate;
    bool f32;
} Render;

enum { OPT_RATE = 256, OPT_TAIL, OPT_FLOAT };

static const struct option own_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"rate", required_argument, NULL, OPT_RATE},
    {"tail", required_argument, NULL, OPT_TAIL},
    {"float", no_argument, NULL, OPT_FLOAT},
    {"help", no_argument, NULL, 'h'},
};

/* One option: -1 taken, else the exit status (0 after --help). */
static int take_option(void *ctx, int ch, const char *v)
{
    Render *x = ctx;
    switch (ch) {
    case 'o': x->output = v; return -1;
    case 'v': x->m.verbose++; return -1;
    case OPT_RATE:
        if (!num_long(v, 8000, 96000, &x->rate)) {
            fprintf(stderr, "reel render: --rate needs 8000..96000 Hz, not '%s'\n", v);
            return 2;
        }
        return -1;
    case OPT_TAIL:
        if (!num_double(v, 0, 600, &x->tail) || !(x->tail > 0)) {
            fprintf(stderr, "reel render: --tail needs seconds, more than 0 and at most 600, "
                            "not '%s'\n", v);
            return 2;
        }
        return -1;
    case OPT_FLOAT: x->f32 = true; return -1;
    case 'h': render_usage(stdout); return 0;
    default: return cli_music_take(&x->m, ch, v, "render", render_usage);
    }
}

static int parse_args(Render *x, int argc, char **argv)
{
    struct option longopts[40];
    int rc;
    memset(x, 0, sizeof *x);
    cli_music_init(&x->m);
    x->tail = 5;
    x->rate = 44100;
    cli_music_longopts(longopts, own_opts, sizeof own_opts / sizeof own_opts[0]);
    if ((rc = cli_getopt(argc, argv, "o:hv", longopts, take_option, x)) >= 0)
        return rc;
    if (optind != argc - 1 || !x->output) {
        fprintf(stderr, "reel render: give one MIDI or ABC file and -o OUT.wav\n");
        render_usage(stderr);
        return 2;
    }
    x->input = argv[optind];
    return -1;
}

/* Render p with the soundfont sf: 0, or 1. */
static int render(const Render *x, Player *p, double from, const char *sf)
{
    AudioSynthOpts so;
    AudioSynth *synth = NULL;
    AudioRenderOpts ro;
    AudioRenderInfo info;
    ReelError err;
    char preset[64] = "";
    int program = player_program(p, 0), rc = 1;
    memset(&so, 0, sizeof so);
    so.soundfont = sf;
    so.rate = (int)x->rate;
    so.gain = x->m.play.gain > 0 ? (float)x->m.play.gain : 0;
    if (audio_synth_new(&synth, &so, &err)) {
        fprintf(stderr, "reel render: %s\n", err.msg);
        return 1;
    }
    audio_synth_preset_name(synth, 0, program, preset, sizeof preset);
    if (!preset[0])
        fprintf(stderr, "reel render: warning: %s has no preset for GM program %d; FluidSynth "
                        "substitutes another\n", sf, program + 1);
    memset(&ro, 0, sizeof ro);
    ro.path = x->output;
    ro.tail = x->tail;
    ro.float32 = x->f32;
    if (player_render(p, synth, from, &ro, &info, &err)) {
        fprintf(stderr, "reel render: %s\n", err.msg);
    } else {
        fprintf(stderr, "%s: %ld notes, %d:%04.1f (release tail %.1f s), %ld Hz stereo %s, %s "
                        "(GM %d); rendered in %.2f s (%.0fx real time)\n",
                x->output, x->m.n_notes, (int)(info.seconds / 60),
                info.seconds - 60 * (int)(info.seconds / 60), info.tail_seconds, x->rate,
                x->f32 ? "32-bit float" : "16-bit", preset[0] ? preset : "?", program + 1,
                info.wall_seconds, info.wall_seconds > 0 ? info.seconds / info.wall_seconds : 0);
        if (x->m.verbose)
            fprintf(stderr, "reel render: soundfont %s\n", sf);
        rc = 0;
    }
    audio_synth_free(synth);
    return rc;
}

int cmd_render(int argc, char **argv)
{
    Render x;
    Player *p = NULL;
    ReelError err;
    char sf[4096];
    double from = 0;
    uint64_t log_cursor;
    int rc = parse_args(&x, argc, argv);
    if (rc >= 0)
        return rc;
    audio_log_capture();
    log_cursor = audio_log_end();
    if (player_new(&p, NULL, &err)) {
        fprintf(stderr, "reel render: %s\n", err.msg);
        return 1;
    }
    rc = 1;
    if (!cli_music_load(&x.m, x.input, p, &from, "render") &&
        !cli_music_soundfont(&x.m, sf, sizeof sf, "render"))
        rc = render(&x, p, from, sf);
    player_free(p);
    if (x.m.verbose)
        cli_music_log(&log_cursor, UINT64_MAX, "render");
    return rc;
}
