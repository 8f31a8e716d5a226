/* view.c — the view's state (view.h): the status line's message and its
 * time, the size, the roll's geometry and scroll.
 */
#include "view.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "clock.h"

#define STATUS_SEC 6.0           /* messages stay this long (errors twice as long) */

void view_status(View *v, int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->status, sizeof v->status, fmt, ap);
    va_end(ap);
    v->status_kind = kind;
    v->status_until = now_sec() + (kind == 2 ? STATUS_SEC * 2 : STATUS_SEC);
    v->dirty |= DIRTY_STATUS;
}

bool view_status_expire(View *v, double now)
{
    if (v->status_until <= 0 || now < v->status_until)
        return false;
    v->status[0] = '\0';
    v->status_until = 0;
    v->dirty |= DIRTY_STATUS;
    return true;
}

void view_ask(View *v, int purpose, const char *label, const char *text, bool paths)
{
    prompt_begin(&v->prompt, label, text, paths, purpose);
    v->hist[purpose].at = v->hist[purpose].n;
    v->prompting = true;
    v->dirty |= DIRTY_STATUS;
}

bool view_set_size(View *v, int w, int h)
{
    bool changed = w != v->w || h != v->h;
    v->w = w;
    v->h = h;
    v->too_small = w < STUDIO_MIN_W || h < STUDIO_MIN_H;
    if (changed)
        v->dirty = DIRTY_ALL;
    return changed;
}

int view_panel_h(const View *v)
{
    return v->h >= 40 ? VIEW_PANEL_H + 2 : VIEW_PANEL_H;
}

int view_roll_rows(const View *v, bool roll13)
{
    int rows = v->h - 2 - view_panel_h(v) - 2;
    if (roll13 && rows > 13)
        rows = 13;
    return rows < 1 ? 1 : rows;
}

int32_t view_roll_steps(const View *v)
{
    int cols = v->w - VIEW_RULER_W;
    if (cols < 1)
        cols = 1;
    return v->zoom == 0 ? cols : v->zoom == 1 ? cols / 2 : cols * 2;
}

void view_follow(View *v, double step)
{
    int32_t n = view_roll_steps(v), st = (int32_t)floor(step);
    if (v->w <= 0)
        return;
    if (st < v->view_start || st >= v->view_start + n - n / 8) {
        int32_t start = st - n / 4;
        if (start < 0)
            start = 0;
        if (v->zoom == 2)
            start &= ~1;
        v->view_start = start;
        v->dirty |= DIRTY_ROLL;
    }
}

void view_col_steps(const View *v, int c, int32_t *s0, int32_t *s1, bool *first)
{
    int32_t vs = v->view_start;
    if (v->zoom == 0) {
        *s0 = vs + c;
        *s1 = *s0 + 1;
        *first = true;
    } else if (v->zoom == 1) {
        *s0 = vs + c / 2;
        *s1 = *s0 + 1;
        *first = c % 2 == 0;
    } else {
        *s0 = vs + c * 2;
        *s1 = *s0 + 2;
        *first = true;
    }
}
