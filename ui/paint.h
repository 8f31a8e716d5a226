/* paint.h — the few curses helpers both views draw with (paint.c): colour
 * pairs that fall back to no attribute, text cut to a width, blank runs.
 * The one other place that includes curses for drawing is draw.c and
 * train_draw.c, which stand on this.
 */
#ifndef REEL_UI_PAINT_H
#define REEL_UI_PAINT_H

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "view.h"

/* Colour pairs (0 when the terminal has no colours). */
enum {
    C_HEADER = 1,
    C_SEED,
    C_GEN,
    C_GRID,
    C_CURSOR,
    C_PLAYHEAD,
    C_ERROR,
    C_OK,
    C_SERIES1,
    C_SERIES2,
    C_PIANO,
    C_RECORD,
    C_DIM,
    C_BAR,
    C_COUNT
};

/* Start the colour pairs (studio.h's C_*): false when the terminal has none. */
bool paint_init_colors(void);
/* Colour pair p when the view has colours, else no attribute. */
attr_t paint_pair(const View *v, int p);
/* Write text at (y, x) cut to at most w columns (ASCII-width text); never past the line. */
void paint_put(int y, int x, int w, const char *text);
/* w blanks at (y, x). */
void paint_fill(int y, int x, int w);

#endif
