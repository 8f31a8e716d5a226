/* look.h — what the screen shows that has to be computed, computed before
 * a frame (look_update) and kept in the state, so that drawing only reads:
 * the roll's pitch window, the next-note distribution at the playhead or
 * cursor and the melody's metrics (take.h), the help's scroll bounds.
 * Each is computed only when the part that shows it is to be drawn (the
 * dirty flags say so) and, where it costs, cached by the song's version.
 * No curses here.
 */
#ifndef REEL_UI_LOOK_H
#define REEL_UI_LOOK_H

#include "studio.h"

/* One line of the help overlay: a section title, or keys and a piece of
 * their description (descriptions wrap; keys too long for their column get
 * a line of their own). */
typedef struct {
    const char *section;
    const char *keys;     /* NULL on continuation lines */
    const char *what;     /* start of this line's piece */
    int what_len;
} HelpLine;

/* The help overlay's box for the view's size. */
typedef struct {
    int bw, bh, x0, y0;   /* box width and height, left column, top row */
    int kw, dw;           /* columns of the keys and of the descriptions */
} HelpBox;

/* The roll shows a roll13 model's 13 rows (the melody fits one octave). */
bool look_roll13(const Studio *s);
/* Rows of the roll for the current size and model. */
int look_roll_rows(const Studio *s);
/* The help's box, and its lines for that box (at most max; returns how many). */
HelpBox look_help_box(const View *v);
int look_help_lines(const View *v, const HelpBox *b, HelpLine *out, int max);
/* Compute what the parts about to be drawn (s->view.dirty) show. */
void look_update(Studio *s);

#endif
