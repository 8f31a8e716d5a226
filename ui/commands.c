/* commands.c — the ':' commands: a table of names, each with one small
 * function that checks its argument, changes the state and says so on the
 * status line.  A command whose argument is wrong says what it needs and
 * changes nothing.
 */
#include "commands.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk.h"
#include "generate.h"
#include "keyprofile.h"
#include "num.h"
#include "takes.h"

/* One command: false when its argument was refused (nothing changed). */
typedef bool (*CommandFn)(Studio *s, const char *arg);

static bool cmd_tempo(Studio *s, const char *arg)
{
    double x;
    if (!num_double(arg, 20, 400, &x)) {
        view_status(&s->view, 2, "tempo needs 20..400 quarter notes a minute");
        return false;
    }
    s->song.bpm = x;
    if (s->snd_ok)
        player_set_bpm(s->snd.p, x);
    view_status(&s->view, 1, "tempo %.0f", x);
    return true;
}

static bool cmd_meter(Studio *s, const char *arg)
{
    int a, b;
    if (sscanf(arg, "%d/%d", &a, &b) != 2 || a < 1 || a > 32 ||
        (b != 2 && b != 4 && b != 8 && b != 16)) {
        view_status(&s->view, 2, "meter needs N/D: 4/4, 3/4, 6/8, 2/2 ...");
        return false;
    }
    s->song.num = a;
    s->song.den = b;
    s->song.version++;
    view_status(&s->view, 1, "meter %d/%d", a, b);
    return true;
}

static bool cmd_key(Studio *s, const char *arg)
{
    int k = keyprofile_parse(arg);
    char name[8];
    if (!strcmp(arg, "auto") || !*arg) {
        s->take.key_choice = -1;
        view_status(&s->view, 1, "key: the seed's own, else drawn as the model's corpus has "
                    "them");
        return true;
    }
    if (k < 0) {
        view_status(&s->view, 2, "key needs a key like D, Bb, F#m or Em, or auto");
        return false;
    }
    s->take.key_choice = k;
    view_status(&s->view, 1, "key %s for the next takes%s", keyprofile_name(k, name),
                s->have_model && enc_form(&s->model.enc) && s->model.enc.cond
                    ? ""
                    : " (this model has no key input: train one with --condition)");
    return true;
}

static bool cmd_bars(Studio *s, const char *arg)
{
    double x;
    if (!num_double(arg, 1, 256, &x)) {
        view_status(&s->view, 2, "bars needs 1..256");
        return false;
    }
    s->take.bars = (int)x;
    view_status(&s->view, 1, "g generates %d bar%s", s->take.bars, s->take.bars == 1 ? "" : "s");
    return true;
}

static bool cmd_seed(Studio *s, const char *arg)
{
    double x;
    if (!strcmp(arg, "random") || !*arg) {
        s->take.seed_locked = false;
        view_status(&s->view, 1, "a new random seed for every take");
    } else if (num_double(arg, 0, 1e15, &x)) {
        s->take.seed = (uint64_t)x;
        s->take.seed_locked = true;
        view_status(&s->view, 1, "seed %" PRIu64 " for every take (:seed random frees it)",
                    s->take.seed);
    } else {
        view_status(&s->view, 2, "seed needs a whole number, or 'random'");
        return false;
    }
    return true;
}

static bool cmd_temperature(Studio *s, const char *arg)
{
    char what[64];
    double x;
    if (!num_double(arg, 0.05, 5, &x)) {
        view_status(&s->view, 2, "temperature needs 0.05..5");
        return false;
    }
    s->take.so.temperature = (float)x;
    snprintf(what, sizeof what, "temperature %.2f", x);
    takes_options_changed(s, what);
    return true;
}

static bool cmd_topk(Studio *s, const char *arg)
{
    double x;
    if (!num_double(arg, 0, 100000, &x)) {
        view_status(&s->view, 2, "top-k needs a whole number (0: off)");
        return false;
    }
    s->take.so.top_k = (int)x;
    takes_options_changed(s, "top-k");
    return true;
}

static bool cmd_topp(Studio *s, const char *arg)
{
    double x;
    if (!num_double(arg, 0.01, 1, &x)) {
        view_status(&s->view, 2, "top-p needs 0.01..1 (1: off)");
        return false;
    }
    s->take.so.top_p = (float)x;
    takes_options_changed(s, "top-p");
    return true;
}

static bool cmd_notes(Studio *s, const char *arg)
{
    Tune t;
    ReelError err;
    if (gen_parse_notes(arg, &t, &err)) {
        view_status(&s->view, 2, "%s", err.msg);
        return false;
    }
    take_cancel(&s->take); /* a take of the old seed */
    song_set_seed(&s->song, t.notes, t.n_notes, t.n_steps, &err);
    tune_free(&t);
    view_follow(&s->view, s->song.cur.cursor);
    view_status(&s->view, 1, "seed: %d notes, %d steps (g generates)", (int)s->song.cur.n_seed,
                (int)s->song.cur.seed_end);
    return true;
}

static bool cmd_program(Studio *s, const char *arg)
{
    commands_set_program(s, arg);
    return true;
}

static bool cmd_soundfont(Studio *s, const char *arg)
{
    ReelError err;
    if (snd_set_soundfont(&s->snd, arg, &err))
        view_status(&s->view, 2, "%s", err.msg);
    else
        view_status(&s->view, 0, "loading %s ...", arg);
    return true;
}

static bool cmd_audio(Studio *s, const char *arg)
{
    ReelError err;
    (void)arg;
    if (!s->snd_ok)
        view_status(&s->view, 2, "no audio engine");
    else if (s->snd.has_output)
        view_status(&s->view, 0, "audio output: %s", s->snd.device);
    else if (snd_reopen(&s->snd, &err))
        view_status(&s->view, 2, "still no audio output: %s", err.msg);
    else
        view_status(&s->view, 1, "audio output back: %s", s->snd.device);
    return true;
}

static bool cmd_gain(Studio *s, const char *arg)
{
    double x;
    if (!num_double(arg, 0.01, 10, &x)) {
        view_status(&s->view, 2, "gain needs 0.01..10");
        return false;
    }
    if (s->snd_ok)
        player_set_gain(s->snd.p, (float)x);
    view_status(&s->view, 1, "gain %.2f", x);
    return true;
}

static bool cmd_quantize(Studio *s, const char *arg)
{
    int v = (int)strtol(arg, NULL, 10);
    int steps = v == 16 ? 1 : v == 8 ? 2 : v == 4 ? 4 : v == 2 ? 8 : v == 1 ? 16 : 0;
    if (!steps) {
        view_status(&s->view, 2, "quantize needs a note value: 16, 8, 4, 2 or 1");
        return false;
    }
    s->quantize = steps;
    view_status(&s->view, 1, "record mode quantizes to 1/%d notes", v);
    return true;
}

static bool cmd_seedbars(Studio *s, const char *arg)
{
    double x;
    if (!num_double(arg, 1, 256, &x)) {
        view_status(&s->view, 2, "seedbars needs 1..256");
        return false;
    }
    s->seed_bars = (int)x;
    view_status(&s->view, 1, "opening a file takes its first %d bars as the seed", s->seed_bars);
    return true;
}

static bool cmd_octave(Studio *s, const char *arg)
{
    double x;
    if (!num_double(arg, 0, 8, &x)) {
        view_status(&s->view, 2, "octave needs 0..8 (4: z is middle C)");
        return false;
    }
    s->octave = (int)x;
    return true;
}

static bool cmd_open(Studio *s, const char *arg)
{
    disk_open(s, arg);
    return true;
}

static bool cmd_model(Studio *s, const char *arg)
{
    studio_open_model(s, arg);
    return true;
}

static bool cmd_save(Studio *s, const char *arg)
{
    disk_save(s, arg);
    return true;
}

static bool cmd_clear(Studio *s, const char *arg)
{
    (void)arg;
    studio_stop(s);
    take_cancel(&s->take);
    song_clear(&s->song);
    view_status(&s->view, 0, "cleared (u undoes)");
    return true;
}

static bool cmd_help(Studio *s, const char *arg)
{
    (void)arg;
    s->view.help = true;
    s->view.help_scroll = 0;
    return true;
}

static bool cmd_quit(Studio *s, const char *arg)
{
    (void)arg;
    s->quit = true;
    return true;
}

static const struct {
    const char *name;
    CommandFn fn;
} commands[] = {
    {"tempo", cmd_tempo},         {"bpm", cmd_tempo},
    {"meter", cmd_meter},         {"time", cmd_meter},
    {"bars", cmd_bars},           {"seed", cmd_seed},
    {"key", cmd_key},
    {"temp", cmd_temperature},    {"temperature", cmd_temperature}, {"t", cmd_temperature},
    {"topk", cmd_topk},           {"top-k", cmd_topk},
    {"topp", cmd_topp},           {"top-p", cmd_topp},
    {"notes", cmd_notes},
    {"program", cmd_program},     {"instrument", cmd_program},
    {"soundfont", cmd_soundfont}, {"sf", cmd_soundfont},
    {"audio", cmd_audio},         {"gain", cmd_gain},
    {"quantize", cmd_quantize},   {"q", cmd_quantize},
    {"seedbars", cmd_seedbars},   {"octave", cmd_octave},
    {"open", cmd_open},           {"o", cmd_open},                  {"e", cmd_open},
    {"model", cmd_model},
    {"save", cmd_save},           {"w", cmd_save},
    {"clear", cmd_clear},         {"help", cmd_help},
    {"quit", cmd_quit},           {"q!", cmd_quit},
};

void commands_set_program(Studio *s, const char *arg)
{
    int p = studio_program_parse(arg);
    char name[64];
    if (p < 0) {
        view_status(&s->view, 2, "'%s' is not a GM program: 1..128 or a name (violin, flute, piano, "
                                 "accordion, whistle ...)", arg);
        return;
    }
    snd_set_program(&s->snd, p);
    if (!(s->snd.synth && audio_synth_preset_name(s->snd.synth, 0, p, name, sizeof name)))
        studio_program_name(p, name, sizeof name);
    view_status(&s->view, 1, "instrument: %s (GM %d)", name, p + 1);
    s->view.dirty |= DIRTY_HEADER;
}

void commands_run(Studio *s, const char *line)
{
    char word[64] = "", *arg;
    char buf[PROMPT_MAX];
    size_t k = 0;
    snprintf(buf, sizeof buf, "%s", line);
    arg = buf;
    while (*arg == ' ' || *arg == ':')
        arg++;
    while (*arg && *arg != ' ' && k + 1 < sizeof word)
        word[k++] = *arg++;
    word[k] = '\0';
    while (*arg == ' ')
        arg++;
    if (!word[0])
        return;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!strcmp(word, commands[i].name)) {
            if (commands[i].fn(s, arg))
                s->view.dirty = DIRTY_ALL;
            return;
        }
    }
    view_status(&s->view, 2, "unknown command '%s' (? lists them)", word);
}
