/* music.c — what `reel play` and `reel render` share (cli.h: CliMusic): the
 * options that choose and shape the music, loading a file into a Player,
 * finding the soundfont and showing what the sound libraries said. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audio.h"
#include "cli.h"
#include "corpus.h"
#include "player.h"
#include "soundfont.h"

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
    m->play.program = -1;
}

void cli_music_longopts(struct option *opts, const struct option *own, size_t n_own)
{
    size_t n = 0;
    for (size_t i = 0; i < n_own; i++)
        opts[n++] = own[i];
    for (size_t i = 0; i < sizeof music_opts / sizeof music_opts[0]; i++)
        opts[n++] = music_opts[i];
    memset(&opts[n], 0, sizeof opts[n]);
}

int cli_music_take(CliMusic *m, int ch, const char *arg, const char *cmd, void (*usage)(FILE *))
{
    int r = cli_music_option(m, ch, arg, cmd);
    if (r == 0)
        return -1;
    if (r < 0)
        usage(stderr);
    return 2;
}

int cli_music_option(CliMusic *m, int ch, const char *arg, const char *cmd)
{
    long l;
    double d;
    switch (ch) {
    case OPT_SOUNDFONT: m->soundfont = arg; return 0;
    case OPT_PART: m->part = arg; return 0;
    case OPT_METRONOME: m->play.metronome = true; return 0;
    case OPT_VERBOSE: m->verbose++; return 0;
    case OPT_TUNE:
        if (!num_long(arg, 1, 1000000, &m->tune_no)) {
            fprintf(stderr, "reel %s: --tune needs a number from 1, not '%s'\n", cmd, arg);
            return 2;
        }
        return 0;
    case OPT_PROGRAM:
        if (num_long(arg, 1, 128, &l)) {
            m->play.program = (int)l - 1;
            return 0;
        }
        for (size_t i = 0; i < sizeof program_names / sizeof program_names[0]; i++)
            if (!strcasecmp(arg, program_names[i].name)) {
                m->play.program = program_names[i].gm - 1;
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
        m->play.velocity = (int)l;
        return 0;
    case OPT_BPM:
        if (!num_double(arg, 10, 1000, &m->play.bpm)) {
            fprintf(stderr, "reel %s: --bpm needs 10..1000 quarter notes a minute, not '%s'\n",
                    cmd, arg);
            return 2;
        }
        return 0;
    case OPT_GAIN:
        if (!num_double(arg, 0.001, 10, &m->play.gain)) {
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
        m->play.from_step = d;
        return 0;
    case OPT_BAR:
        if (!num_long(arg, 1, 10000000, &m->play.from_bar)) {
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
    ReelError err;
    Tune t;
    int rc = 1;

    memset(&opts, 0, sizeof opts);
    opts.quant.part = m->part;
    if (corpus_load_tune(path, &opts, m->tune_no, &t, &err))
        fprintf(stderr, "reel %s: %s\n", cmd, err.msg);
    else if (t.n_notes == 0)
        fprintf(stderr, "reel %s: %s: no notes to play\n", cmd, path);
    else if (playsetup_apply(p, &t, &m->play, path, from, &err))
        fprintf(stderr, "reel %s: %s\n", cmd, err.msg);
    else
        rc = 0;
    snprintf(m->name, sizeof m->name, "%s", t.name ? t.name : path);
    m->n_notes = t.n_notes;
    tune_free(&t);
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

