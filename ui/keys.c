/* keys.c — the key map of keys.h. */
#include "keys.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

int keys_piano_offset(int ch)
{
    static const char lower[] = "zsxdcvgbhnjm,l.;/";
    static const char upper[] = "q2w3er5t6y7ui9o0p";
    const char *p;
    if (ch <= 0 || ch > 127)
        return -1;
    if ((p = strchr(lower, ch)) != NULL)
        return (int)(p - lower);
    if ((p = strchr(upper, ch)) != NULL)
        return 12 + (int)(p - upper);
    return -1;
}

int keys_length_digit(int ch)
{
    switch (ch) {
    case '1': return 16;
    case '2': return 8;
    case '4': return 4;
    case '8': return 2;
    case '6': return 1;
    default: return 0;
    }
}

/* Command letters (lowercase); uppercase maps here too. */
static Action letter_action(int c)
{
    switch (c) {
    case 'a': return ACT_REST;
    case 'c': return ACT_CONTINUOUS;
    case 'g': return ACT_GENERATE;
    case 'i': return ACT_PIANO_ON;
    case 'k': return ACT_KEEP;
    case 'l': return ACT_LOOP;
    case 'm': return ACT_METRONOME;
    case 'n': return ACT_NEWTAKE;
    case 'o': return ACT_OPEN;
    case 'p': return ACT_PROGRAM;
    case 'q': return ACT_QUIT;
    case 'r': return ACT_RECORD;
    case 's': return ACT_SAVE;
    case 't': return ACT_VIEW_TRAIN;
    case 'u': return ACT_UNDO;
    case 'x': return ACT_DISCARD;
    case 'z': return ACT_ZOOM;
    default: return ACT_NONE;
    }
}

/* Keys that mean the same in both modes of the studio view. */
static Action common_action(int ch)
{
    switch (ch) {
    case ' ': return ACT_PLAY;
    case '\t': return ACT_PIANO_TOGGLE;
    case KEYS_ESC: return ACT_ESCAPE;
    case '\n': case '\r': case KEY_ENTER: return ACT_GENERATE;
    case '?': case KEY_F(1): return ACT_HELP;
    case KEYS_CTRL('l'): return ACT_REDRAW;
    case KEYS_CTRL('r'): return ACT_REDO;
    case '[': case '-': return ACT_TEMP_DOWN;
    case ']': case '+': case '=': return ACT_TEMP_UP;
    case '{': return ACT_TOPK_DOWN;
    case '}': return ACT_TOPK_UP;
    case '(': return ACT_TOPP_DOWN;
    case ')': return ACT_TOPP_UP;
    case '#': return ACT_RESEED;
    case '<': return ACT_OCT_DOWN;
    case '>': return ACT_OCT_UP;
    case '\'': return ACT_DOTTED;
    case ':': return ACT_COMMAND;
    case KEY_UP: return ACT_LEN_LONGER;
    case KEY_DOWN: return ACT_LEN_SHORTER;
    case KEY_LEFT: return ACT_LEFT;
    case KEY_RIGHT: return ACT_RIGHT;
    case KEY_SLEFT: return ACT_BAR_LEFT;
    case KEY_SRIGHT: return ACT_BAR_RIGHT;
    case KEY_HOME: return ACT_HOME;
    case KEY_END: return ACT_END;
    case KEY_PPAGE: return ACT_PITCH_UP;
    case KEY_NPAGE: return ACT_PITCH_DOWN;
    case KEY_BACKSPACE: case 127: case 8: return ACT_UNDO;
    case KEY_DC: return ACT_DELETE;
    default: return ACT_NONE;
    }
}

static Action train_action(int ch)
{
    switch (ch) {
    case 's': case 'S': case KEY_F(5): return ACT_T_START;
    case 'p': case 'P': return ACT_T_PAUSE;
    case 'x': case 'X': return ACT_T_STOP;
    case 'l': case 'L': return ACT_T_LISTEN;
    case 'u': case 'U': return ACT_T_USE;
    case 't': case 'T': case KEYS_ESC: case '\t': return ACT_VIEW_STUDIO;
    case 'q': case 'Q': return ACT_QUIT;
    case ' ': return ACT_PLAY;
    case KEY_UP: case 'k': return ACT_T_UP;
    case KEY_DOWN: case 'j': return ACT_T_DOWN;
    case KEY_LEFT: case '-': case 'h': return ACT_T_DEC;
    case KEY_RIGHT: case '+': case '=': return ACT_T_INC;
    case '\n': case '\r': case KEY_ENTER: case 'e': return ACT_T_EDIT;
    case '?': case KEY_F(1): return ACT_HELP;
    case KEYS_CTRL('l'): return ACT_REDRAW;
    case '[': return ACT_TEMP_DOWN;
    case ']': return ACT_TEMP_UP;
    default: return ACT_NONE;
    }
}

Action keys_action(int ch, KeysView view, bool piano)
{
    Action a;
    if (view == KEYS_TRAIN)
        return train_action(ch);
    if (piano) {
        if (keys_piano_offset(ch) >= 0)
            return ACT_NOTE;
        if (ch == 'a')
            return ACT_REST;
        if (ch >= 'A' && ch <= 'Z')
            return letter_action(tolower(ch));
        return common_action(ch);
    }
    if ((a = common_action(ch)) != ACT_NONE)
        return a;
    if (keys_length_digit(ch))
        return ACT_LEN_SET;
    if (ch == '.')
        return ACT_DOTTED;
    if (ch > 0 && ch < 128 && isalpha(ch))
        return letter_action(tolower(ch));
    return ACT_NONE;
}

static const KeysHelp studio_help[] = {
    {"Tab  i / Esc", "piano mode on / off (the status bar says which)", "Modes"},
    {"Shift+letter", "in piano mode: that letter's command (G generates, Q quits)", NULL},
    {"z s x d c v g b h n j m , l . ; /", "piano: C to E, white keys on the Z row, sharps above",
     "Piano (piano mode)"},
    {"q 2 w 3 e r 5 t 6 y 7 u i 9 o 0 p", "piano: the octave above, C to E", NULL},
    {"a", "a rest of the current note value", NULL},
    {"< >", "octave down / up", NULL},
    {"Up Down", "note value longer / shorter (1/16 ... 1/1)", NULL},
    {"1 2 4 8 6", "command mode: whole, half, quarter, eighth, sixteenth", NULL},
    {". '", "dotted value on / off (' in piano mode too)", NULL},
    {"r", "record: one bar of count-in, then play in time with the metronome; notes are "
          "quantized to the grid (:quantize 16|8|4); a ends a note; Space, Esc or R stops", NULL},
    {"Left Right", "cursor one step; Shift+Left/Right one bar; Home End", "Editing"},
    {"Backspace u", "undo (the last note typed, or any edit)", NULL},
    {"Ctrl-R", "redo", NULL},
    {"Delete", "delete the note at the cursor", NULL},
    {"PgUp PgDn", "scroll the roll's pitches", NULL},
    {"z", "zoom: 1 column a step, 2 columns a step, 2 steps a column", NULL},
    {"g Enter", "generate: continue the seed for N bars (:bars N) and play", "Generating"},
    {"n", "redraw: the bars not heard yet (all of them when stopped), new random stream", NULL},
    {"k", "keep: the generated notes become part of the seed", NULL},
    {"x", "discard the generated notes", NULL},
    {"c", "continuous: keep generating a bar ahead of the playhead", NULL},
    {"[ ]  - +", "temperature down / up (bars not yet played are sampled again)", NULL},
    {"{ }", "top-k: fewer / more of the likeliest choices (at the top: off, all)", NULL},
    {"( )", "top-p down / up (1 = off)", NULL},
    {"#", "new random seed", NULL},
    {"Space", "play / stop (from the cursor)", "Listening"},
    {"l", "loop on / off", NULL},
    {"m", "metronome on / off", NULL},
    {"p", "instrument (GM program: number or name)", NULL},
    {"s", "save: .mid, .abc or .wav, by the name you type", "Files"},
    {"o", "open: a model (.reel), or a MIDI/ABC file as the seed", NULL},
    {":", "command: tempo N, meter 6/8, key D (or auto), bars N, seed N (or random), temp X, topk N, topp X, "
          "notes D4/8 F#4/8 ... (a seed as text), program violin, soundfont FILE, audio (try "
          "a lost sound device again), gain X, "
          "quantize 8, seedbars N, octave N, open FILE, save FILE, model FILE, clear, quit", NULL},
    {"t", "training view", "Other"},
    {"? F1", "this help", NULL},
    {"Ctrl-L", "redraw the screen", NULL},
    {"q", "quit (asks before unsaved work is lost); Ctrl-C quits at once", NULL},
};

static const KeysHelp train_help[] = {
    {"Up Down", "choose a setting (before starting)", "Training view"},
    {"Left Right", "change it", NULL},
    {"Enter e", "type a value (corpus folder, model file, numbers)", NULL},
    {"s F5", "start training (or resume the model file)", NULL},
    {"p", "pause / resume", NULL},
    {"x", "stop (a checkpoint is written; resume later with s)", NULL},
    {"l", "listen: play a few bars from the current weights (training goes on)", NULL},
    {"Space", "stop / replay what l played", NULL},
    {"u", "use the trained model in the studio", NULL},
    {"t Tab Esc", "back to the studio", NULL},
    {"? F1", "this help", NULL},
    {"q", "quit (asks while training runs)", NULL},
};

const KeysHelp *keys_help(KeysView view, int *n)
{
    if (view == KEYS_TRAIN) {
        *n = (int)(sizeof train_help / sizeof train_help[0]);
        return train_help;
    }
    *n = (int)(sizeof studio_help / sizeof studio_help[0]);
    return studio_help;
}

bool keys_value_dotted(int steps)
{
    return steps == 3 || steps == 6 || steps == 12 || steps == 24;
}

char *keys_value_name(int steps, char *buf, unsigned size)
{
    static const struct {
        int steps;
        const char *name;
    } v[] = {{1, "1/16"}, {2, "1/8"}, {3, "1/8."}, {4, "1/4"}, {6, "1/4."},
             {8, "1/2"},  {12, "1/2."}, {16, "1/1"}, {24, "1/1."}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (v[i].steps == steps) {
            snprintf(buf, size, "%s", v[i].name);
            return buf;
        }
    snprintf(buf, size, "%d steps", steps);
    return buf;
}

int keys_value_longer(int steps)
{
    if (keys_value_dotted(steps))
        return steps >= 24 ? 24 : steps * 2;
    return steps >= 16 ? 16 : steps < 1 ? 1 : steps * 2;
}

int keys_value_shorter(int steps)
{
    if (keys_value_dotted(steps))
        return steps <= 3 ? 3 : steps / 2;
    return steps <= 1 ? 1 : steps / 2;
}

int keys_value_dot(int steps)
{
    if (keys_value_dotted(steps))
        return steps * 2 / 3;
    if (steps <= 1)
        return 1;
    return steps * 3 / 2;
}
