/* chart.h — small charts in character cells: line charts of series (the
 * training view's loss and accuracy) and horizontal bars (the next-note
 * distribution, progress).
 *
 * Three glyph sets, best first:
 *   CHART_BRAILLE  Unicode braille, 2 x 4 dots a cell
 *   CHART_BLOCK    Unicode quadrant blocks, 2 x 2 dots a cell
 *   CHART_ASCII    one dot a cell: '.' ',' ':' '\'' '*' ...
 * The front end picks braille on a UTF-8 terminal and ASCII otherwise.
 *
 * A canvas is a grid of dots; each cell remembers which series drew last
 * in it (for colour).  Pure: no curses; glyphs come out as UTF-8 strings.
 */
#ifndef REEL_UI_CHART_H
#define REEL_UI_CHART_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { CHART_BRAILLE = 0, CHART_BLOCK, CHART_ASCII } ChartGlyphs;

typedef struct {
    int w, h;              /* cells */
    int dx, dy;            /* dots per cell */
    ChartGlyphs glyphs;
    uint8_t *bits;         /* (w * h) owned: dot bits of each cell */
    uint8_t *owner;        /* (w * h) owned: series + 1 that drew last, 0 none */
} ChartCanvas;

/* A canvas of w x h cells (w, h >= 1).  false when out of memory. */
bool chart_init(ChartCanvas *c, int w, int h, ChartGlyphs g);
void chart_free(ChartCanvas *c);
void chart_clear(ChartCanvas *c);

/* Dots across and down. */
int chart_dots_w(const ChartCanvas *c);
int chart_dots_h(const ChartCanvas *c);
/* Set one dot (x from the left, y from the TOP); outside is ignored. */
void chart_dot(ChartCanvas *c, int x, int y, int series);
/* A straight line of dots between two dots. */
void chart_line(ChartCanvas *c, int x0, int y0, int x1, int y1, int series);

/* A "nice" range around [lo, hi] for an axis: a little padding, rounded to
 * a step of 1, 2 or 5 times a power of ten.  lo == hi gets a range around
 * the value; non-finite values are ignored (the range of nothing is 0..1). */
void chart_nice_range(double lo, double hi, double *out_lo, double *out_hi);

/* The min and max of the finite values of y[0..n); false when none. */
bool chart_minmax(const float *y, int n, double *lo, double *hi);

/* The dot row of value v on a canvas of H dots for the range [lo, hi]:
 * lo is the bottom row (H - 1), hi the top (0); clamped. */
int chart_row_of(double v, double lo, double hi, int H);

/* Plot series y[0..n) (x = index) across the canvas: x_max > 0 is the
 * index that reaches the right edge (so a series still growing fills the
 * chart as it will end: the epochs planned).  Points are joined by lines;
 * when there are more points than dot columns, each column shows the mean
 * of its points.  Non-finite values are gaps. */
void chart_plot(ChartCanvas *c, const float *y, int n, double x_max, double lo, double hi,
                int series);

/* The glyph of a cell as UTF-8 (or ASCII) into out (at least 8 bytes); an
 * empty cell is " ".  Returns the series that owns it (0: none). */
int chart_cell(const ChartCanvas *c, int x, int y, char out[8]);

/* A horizontal bar of frac (0..1) of width cells into out (size bytes):
 * full blocks then an eighth block (UTF-8), or '#' (ASCII), padded with
 * spaces to width cells.  Returns out. */
char *chart_hbar(double frac, int width, bool utf8, char *out, int size);

#endif
