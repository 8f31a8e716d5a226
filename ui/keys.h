/* keys.h — what every key of the studio does: the QWERTY piano and the
 * command keys, as a table (the help overlay is drawn from it).
 *
 * Two ways of typing in the studio view, as a tracker's edit mode:
 *   command mode  every letter is a command (g generates, s saves ...),
 *                 digits choose the note value;
 *   piano mode    (Tab) the Z row and the Q row are two octaves of piano,
 *                 white keys on the letter rows, sharps on the row above:
 *                    s d   g h j   l ;        2 3   5 6 7   9 0
 *                   z x c v b n m , . /      q w e r t y u i o p
 *                   C D E F G A B C D E      C D E F G A B C D E
 *                 Shift + a letter is that letter's command (Shift-G
 *                 generates, Shift-Q quits); every key that is not part of
 *                 the piano keeps its meaning (Space, arrows, [ ], < > ...).
 * Uppercase letters are the lowercase commands in command mode too (Caps
 * Lock does no harm).  The training view has its own few keys.
 *
 * Pure: no curses here (key codes are curses' KEY_* values, passed in as
 * ints; keys.c includes curses.h only for those constants).
 */
#ifndef REEL_UI_KEYS_H
#define REEL_UI_KEYS_H

#include <stdbool.h>

typedef enum {
    ACT_NONE = 0,
    ACT_NOTE,          /* piano key: keys_piano_offset gives the pitch */
    ACT_REST,
    ACT_QUIT,
    ACT_HELP,
    ACT_REDRAW,
    ACT_PLAY,
    ACT_GENERATE,
    ACT_NEWTAKE,
    ACT_KEEP,
    ACT_DISCARD,
    ACT_CONTINUOUS,
    ACT_LOOP,
    ACT_METRONOME,
    ACT_RECORD,
    ACT_TEMP_DOWN,
    ACT_TEMP_UP,
    ACT_TOPK_DOWN,
    ACT_TOPK_UP,
    ACT_TOPP_DOWN,
    ACT_TOPP_UP,
    ACT_RESEED,
    ACT_OCT_DOWN,
    ACT_OCT_UP,
    ACT_LEN_SET,       /* digit: keys_length_digit gives the steps */
    ACT_LEN_LONGER,
    ACT_LEN_SHORTER,
    ACT_DOTTED,
    ACT_UNDO,
    ACT_REDO,
    ACT_DELETE,
    ACT_LEFT,
    ACT_RIGHT,
    ACT_BAR_LEFT,
    ACT_BAR_RIGHT,
    ACT_HOME,
    ACT_END,
    ACT_PITCH_UP,
    ACT_PITCH_DOWN,
    ACT_ZOOM,
    ACT_SAVE,
    ACT_OPEN,
    ACT_PROGRAM,
    ACT_COMMAND,
    ACT_PIANO_ON,
    ACT_PIANO_TOGGLE,
    ACT_ESCAPE,
    ACT_VIEW_TRAIN,
    /* training view */
    ACT_T_START,
    ACT_T_PAUSE,
    ACT_T_STOP,
    ACT_T_LISTEN,
    ACT_T_USE,
    ACT_T_UP,
    ACT_T_DOWN,
    ACT_T_DEC,
    ACT_T_INC,
    ACT_T_EDIT,
    ACT_VIEW_STUDIO,
    ACT_COUNT
} Action;

typedef enum { KEYS_STUDIO = 0, KEYS_TRAIN = 1 } KeysView;

/* The key code Ctrl-letter sends. */
#define KEYS_CTRL(c) ((c) & 0x1f)
#define KEYS_ESC 27

/* Semitones above C of the current octave for a piano key (z = 0, s = 1 ...
 * / = 16; q = 12 ... p = 28), or -1 when ch is not a piano key. */
int keys_piano_offset(int ch);

/* Steps of the note value a digit picks in command mode: 1 whole (16),
 * 2 half (8), 4 quarter (4), 8 eighth (2), 6 sixteenth (1); 0 otherwise. */
int keys_length_digit(int ch);

/* What key ch does in a view (piano: piano mode is on). */
Action keys_action(int ch, KeysView view, bool piano);

/* One line of the help overlay. */
typedef struct {
    const char *keys;      /* "g  Enter" */
    const char *what;      /* "generate: continue the seed for N bars and play" */
    const char *section;   /* non-NULL starts a section: "Transport" */
} KeysHelp;

/* The help lines of a view; *n gets how many. */
const KeysHelp *keys_help(KeysView view, int *n);

/* Note value names: "1/16", "1/8.", ... for steps 1..24 (plain and dotted
 * values; others as "N steps") into buf; returns buf. */
char *keys_value_name(int steps, char *buf, unsigned size);

/* The next longer / shorter plain value (1, 2, 4, 8, 16), keeping a dot:
 * dotted values are 1.5 times a plain one (3, 6, 12, 24). */
int keys_value_longer(int steps);
int keys_value_shorter(int steps);
/* steps with the dot toggled (a dotted 16th does not exist: 1 stays 1). */
int keys_value_dot(int steps);
bool keys_value_dotted(int steps);

#endif
