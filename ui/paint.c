/* paint.c — curses helpers shared by the studio and training views (paint.h). */
#include "paint.h"

bool paint_init_colors(void)
{
    if (!has_colors())
        return false;
    start_color();
    use_default_colors();
    init_pair(C_HEADER, COLOR_BLACK, COLOR_CYAN);
    init_pair(C_SEED, COLOR_CYAN, -1);
    init_pair(C_GEN, COLOR_YELLOW, -1);
    init_pair(C_GRID, COLOR_BLUE, -1);
    init_pair(C_CURSOR, COLOR_BLACK, COLOR_WHITE);
    init_pair(C_PLAYHEAD, COLOR_BLACK, COLOR_GREEN);
    init_pair(C_ERROR, COLOR_RED, -1);
    init_pair(C_OK, COLOR_GREEN, -1);
    init_pair(C_SERIES1, COLOR_CYAN, -1);
    init_pair(C_SERIES2, COLOR_MAGENTA, -1);
    init_pair(C_PIANO, COLOR_BLACK, COLOR_YELLOW);
    init_pair(C_RECORD, COLOR_WHITE, COLOR_RED);
    init_pair(C_DIM, COLOR_BLUE, -1);
    init_pair(C_BAR, COLOR_WHITE, -1);
    return true;
}

attr_t paint_pair(const View *v, int p)
{
    return v->colors ? (attr_t)COLOR_PAIR(p) : 0;
}

void paint_put(int y, int x, int w, const char *text)
{
    int room = COLS - x;
    if (w > room)
        w = room; /* never past the end of the line: nothing wraps */
    if (w <= 0 || y < 0 || y >= LINES || x < 0)
        return;
    mvaddnstr(y, x, text, w);
}

void paint_fill(int y, int x, int w)
{
    for (int i = 0; i < w; i++)
        mvaddch(y, x + i, ' ');
}
