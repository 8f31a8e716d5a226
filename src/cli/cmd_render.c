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

int cmd_render(int argc, char **argv)
{
    enum { OPT_RATE = 256, OPT_TAIL, OPT_FLOAT };
    static const struct option own[] = {
        {"output", required_argument, NULL, 'o'},
        {"rate", required_argument, NULL, OPT_RATE},
        {"tail", required_argument, NULL, OPT_TAIL},
        {"float", no_argument, NULL, OPT_FLOAT},
        {"help", no_argument, NULL, 'h'},
    };
    struct option longopts[40];
    CliMusic m;
    AudioSynthOpts so;
    AudioSynth *synth = NULL;
    AudioRenderOpts ro;
    AudioRenderInfo info;
    Player *p = NULL;
    ReelError err;
    char sf[4096], preset[64] = "", *end;
    const char *output = NULL, *input;
    double from = 0, tail = 5;
    long rate = 44100;
    int ch, n = 0, rc = 1, f32 = 0;
    uint64_t log_cursor;

    cli_music_init(&m);
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        longopts[n++] = own[i];
    n = cli_music_longopts(longopts, n);
    memset(&longopts[n], 0, sizeof longopts[n]);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:hv", longopts, NULL)) != -1) {
        int r;
        switch (ch) {
        case 'o': output = optarg; continue;
        case 'v': m.verbose++; continue;
        case OPT_RATE:
            rate = strtol(optarg, &end, 10);
            if (*end || rate < 8000 || rate > 96000) {
                fprintf(stderr, "reel render: --rate needs 8000..96000 Hz, not '%s'\n", optarg);
                return 2;
            }
            continue;
        case OPT_TAIL:
            tail = strtod(optarg, &end);
            if (*end || end == optarg || !(tail > 0 && tail <= 600)) {
                fprintf(stderr, "reel render: --tail needs seconds, more than 0 and at most 600, "
                                "not '%s'\n", optarg);
                return 2;
            }
            continue;
        case OPT_FLOAT: f32 = 1; continue;
        case 'h': render_usage(stdout); return 0;
        default:
            r = cli_music_option(&m, ch, optarg, "render");
            if (r == 0)
                continue;
            if (r < 0)
                render_usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1 || !output) {
        fprintf(stderr, "reel render: give one MIDI or ABC file and -o OUT.wav\n");
        render_usage(stderr);
        return 2;
    }
    input = argv[optind];
    audio_log_capture();
    log_cursor = audio_log_end();

    if (player_new(&p, NULL, &err)) {
        fprintf(stderr, "reel render: %s\n", err.msg);
        return 1;
    }
    if (cli_music_load(&m, input, p, &from, "render") ||
        cli_music_soundfont(&m, sf, sizeof sf, "render"))
        goto out;
    memset(&so, 0, sizeof so);
    so.soundfont = sf;
    so.rate = (int)rate;
    so.gain = m.gain > 0 ? (float)m.gain : 0;
    if (audio_synth_new(&synth, &so, &err)) {
        fprintf(stderr, "reel render: %s\n", err.msg);
        goto out;
    }
    audio_synth_preset_name(synth, 0, player_program(p, 0), preset, sizeof preset);
    if (!preset[0])
        fprintf(stderr, "reel render: warning: %s has no preset for GM program %d; FluidSynth "
                        "substitutes another\n", sf, player_program(p, 0) + 1);
    memset(&ro, 0, sizeof ro);
    ro.path = output;
    ro.tail = tail;
    ro.float32 = f32 != 0;
    if (player_render(p, synth, from, &ro, &info, &err)) {
        fprintf(stderr, "reel render: %s\n", err.msg);
        goto out;
    }
    fprintf(stderr, "%s: %ld notes, %d:%04.1f (release tail %.1f s), %ld Hz stereo %s, %s (GM %d)"
                    "; rendered in %.2f s (%.0fx real time)\n",
            output, m.n_notes, (int)(info.seconds / 60),
            info.seconds - 60 * (int)(info.seconds / 60), info.tail_seconds, rate,
            f32 ? "32-bit float" : "16-bit", preset[0] ? preset : "?", player_program(p, 0) + 1,
            info.wall_seconds, info.wall_seconds > 0 ? info.seconds / info.wall_seconds : 0);
    if (m.verbose)
        fprintf(stderr, "reel render: soundfont %s\n", sf);
    rc = 0;
out:
    audio_synth_free(synth);
    player_free(p);
    if (m.verbose) {
        uint64_t cur = log_cursor;
        cli_music_log(&cur, UINT64_MAX, "render");
    }
    return rc;
}
