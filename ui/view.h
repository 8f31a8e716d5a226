/* view.h — what the studio's screen shows and where: the page (studio or
 * training), the roll's scroll, zoom and pitch window, the help overlay,
 * the prompt, the status line, the size and the parts to draw again.
 *
 * The state only: no curses here.  draw.c and train_draw.c read it; the
 * event loop (studio.c) sets the size from the terminal; look.c fills in
 * what drawing needs computed (the roll's pitch window, the help's scroll
 * bounds).  Belongs to the UI thread.
 */
#ifndef REEL_UI_VIEW_H
#define REEL_UI_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "prompt.h"

#define STUDIO_MIN_W 80
#define STUDIO_MIN_H 24
#define VIEW_RULER_W 5       /* the roll's pitch names and a separator */
#define VIEW_PANEL_H 6       /* the next-note chart and the melody panel */

typedef enum { VIEW_STUDIO = 0, VIEW_TRAIN } StudioPage;

/* What a prompt's text is for. */
typedef enum {
    PR_NONE = 0,
    PR_SAVE,
    PR_OPEN,
    PR_PROGRAM,
    PR_COMMAND,
    PR_QUIT,        /* y/n */
    PR_TRAIN_FIELD,
    PR_COUNT
} PromptPurpose;

/* Parts of the screen to draw again. */
enum {
    DIRTY_HEADER = 1u << 0,
    DIRTY_ROLL = 1u << 1,
    DIRTY_PANEL = 1u << 2,
    DIRTY_STATUS = 1u << 3,
    DIRTY_FOOTER = 1u << 4,
    DIRTY_TRAIN = 1u << 5,
    DIRTY_ALL = 0xffu,
};

typedef struct {
    StudioPage page;
    bool utf8;                    /* block and braille glyphs */
    bool colors;
    bool piano;                   /* keys play notes */
    int zoom;                     /* 0: 1 column a step, 1: 2 columns, 2: 2 steps a column */
    int32_t view_start;           /* first step on the roll */
    int pitch_top;                /* highest pitch row of a full-range roll (look.c keeps
                                     it; -1: choose again) */
    int roll_top;                 /* highest pitch row the roll shows (look.c) */
    bool pitch_manual;            /* PgUp/PgDn chose it */
    bool help;
    int help_scroll;
    bool prompting;
    Prompt prompt;
    PromptHistory hist[PR_COUNT];
    char status[600];
    int status_kind;              /* 0 info, 1 good, 2 error */
    double status_until;          /* wall clock; 0: stays */
    unsigned dirty;
    int w, h;
    bool too_small;
} View;

/* A message on the status line (kind 0 info, 1 good, 2 error) for a few seconds. */
void view_status(View *v, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The message's time is up at `now`: clear it (true when it was cleared). */
bool view_status_expire(View *v, double now);
/* Open the prompt on the status line (purpose: PromptPurpose). */
void view_ask(View *v, int purpose, const char *label, const char *text, bool paths);
/* The terminal's size: true when it changed (everything is to be drawn again). */
bool view_set_size(View *v, int w, int h);
/* Height of the panel under the roll. */
int view_panel_h(const View *v);
/* Rows of the roll (roll13: a 13-row roll fits the melody). */
int view_roll_rows(const View *v, bool roll13);
/* Steps on the roll across its width. */
int32_t view_roll_steps(const View *v);
/* Keep a step (the cursor or the playhead) on the roll. */
void view_follow(View *v, double step);
/* Steps column c of the roll shows: [*s0, *s1); *first: the column is the
 * first of its step (zoom 1 draws a step in two). */
void view_col_steps(const View *v, int c, int32_t *s0, int32_t *s1, bool *first);

#endif
