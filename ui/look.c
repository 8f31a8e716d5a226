/* look.c — what the screen shows that has to be computed (look.h), done
 * before the frame that shows it: the roll's pitch window (the octave that
 * holds the most notes for a 13-row roll, else the window that holds most
 * of the notes on screen), the next-note distribution and the melody's
 * metrics (take.c), the help's scroll bounds.
 */
#include "look.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Lowest and highest pitch of the melody (and what record mode has);
 * false when there are no notes. */
static bool notes_range(const Studio *s, int *lo, int *hi)
{
    const SongState *c = &s->song.cur;
    *lo = 128;
    *hi = -1;
    for (int32_t i = 0; i < c->n_seed; i++) {
        if (c->seed[i].pitch < *lo)
            *lo = c->seed[i].pitch;
        if (c->seed[i].pitch > *hi)
            *hi = c->seed[i].pitch;
    }
    for (int32_t i = 0; i < c->n_gen; i++) {
        if (c->gen[i].pitch < *lo)
            *lo = c->gen[i].pitch;
        if (c->gen[i].pitch > *hi)
            *hi = c->gen[i].pitch;
    }
    for (int32_t i = 0; i < s->tp.rec.n; i++) {
        if (s->tp.rec.notes[i].pitch < *lo)
            *lo = s->tp.rec.notes[i].pitch;
        if (s->tp.rec.notes[i].pitch > *hi)
            *hi = s->tp.rec.notes[i].pitch;
    }
    return *hi >= 0;
}

/* A roll13 model's 13 rows (C to C) hold every note of the melody.  A seed
 * typed outside one octave gets the full-range roll, so no note is hidden. */
bool look_roll13(const Studio *s)
{
    int lo, hi;
    if (!studio_model_roll13(s))
        return false;
    if (!notes_range(s, &lo, &hi))
        return true;
    return lo / 12 * 12 + 12 >= hi;
}

int look_roll_rows(const Studio *s)
{
    return view_roll_rows(&s->view, look_roll13(s));
}

/* A 13-row roll, C to C: the octave that holds the most notes. */
static int roll13_top(const Studio *s)
{
    const SongState *c = &s->song.cur;
    int best = 60, best_n = -1;
    for (int base = 0; base <= 115; base += 12) {
        int n = 0;
        for (int32_t i = 0; i < c->n_seed; i++)
            n += c->seed[i].pitch >= base && c->seed[i].pitch <= base + 12;
        for (int32_t i = 0; i < c->n_gen; i++)
            n += c->gen[i].pitch >= base && c->gen[i].pitch <= base + 12;
        if (n > best_n || (n == best_n && abs(base - 60) < abs(best - 60))) {
            best_n = n;
            best = base;
        }
    }
    return best + 12;
}

/* Too many pitches to show: the top of the window that holds most of the
 * notes on screen. */
static int window_top(const Studio *s, int rows, int lo, int hi)
{
    const SongState *c = &s->song.cur;
    int top;
    double hist[128] = {0}, best = -1;
    int32_t v0 = s->view.view_start, v1 = v0 + view_roll_steps(&s->view);
    for (int k = 0; k < 2; k++) {
        const Note *v = k ? c->gen : c->seed;
        int32_t n = k ? c->n_gen : c->n_seed;
        for (int32_t i = 0; i < n; i++) {
            int32_t a0 = v[i].onset > v0 ? v[i].onset : v0;
            int32_t a1 = v[i].onset + v[i].dur < v1 ? v[i].onset + v[i].dur : v1;
            if (a1 > a0)
                hist[v[i].pitch] += a1 - a0;
        }
    }
    top = hi;
    for (int t = hi; t - rows + 1 >= lo && t >= rows - 1; t--) {
        double sum = 0;
        for (int p = t - rows + 1; p <= t; p++)
            sum += hist[p];
        if (sum > best) {
            best = sum;
            top = t;
        }
    }
    return top;
}

/* The highest pitch on the roll; a full-range roll keeps it in pitch_top
 * (PgUp/PgDn move it from there). */
static int roll_top(Studio *s, int rows)
{
    int lo, hi, top;
    notes_range(s, &lo, &hi);
    if (look_roll13(s))
        return roll13_top(s);
    if (s->view.pitch_manual && s->view.pitch_top >= 0)
        return s->view.pitch_top;
    if (hi < 0) {
        lo = (s->octave + 1) * 12;
        hi = lo + 16;
    }
    if (hi - lo + 1 <= rows)
        top = hi + (rows - (hi - lo + 1)) / 2;
    else
        top = window_top(s, rows, lo, hi);
    if (top > 127)
        top = 127;
    if (top - rows + 1 < 0)
        top = rows - 1 > 127 ? 127 : rows - 1;
    s->view.pitch_top = top;
    return top;
}

/* The help's lines for a width; returns how many (at most max). */
static int help_layout(const KeysHelp *kh, int n, int kw, int dw, HelpLine *out, int max)
{
    int k = 0;
    for (int i = 0; i < n && k < max; i++) {
        const char *w = kh[i].what;
        bool first = true;
        if (kh[i].section && k < max)
            out[k++] = (HelpLine){kh[i].section, NULL, NULL, 0};
        if ((int)strlen(kh[i].keys) > kw && k < max) {
            out[k++] = (HelpLine){NULL, kh[i].keys, "", 0};
            first = false;
        }
        do {
            int len = (int)strlen(w);
            if (len > dw) {
                len = dw;
                while (len > dw / 2 && w[len] != ' ')
                    len--;
            }
            if (k < max)
                out[k++] = (HelpLine){NULL, first ? kh[i].keys : NULL, w, len};
            first = false;
            w += len;
            while (*w == ' ')
                w++;
        } while (*w);
    }
    return k;
}

HelpBox look_help_box(const View *v)
{
    HelpBox b;
    b.bw = v->w - 2 > 100 ? 100 : v->w - 2;
    b.bh = v->h - 2;
    b.x0 = (v->w - b.bw) / 2;
    b.y0 = 1;
    b.kw = b.bw >= 90 ? 24 : 16;
    b.dw = b.bw - b.kw - 5;
    return b;
}

int look_help_lines(const View *v, const HelpBox *b, HelpLine *out, int max)
{
    int n = 0;
    const KeysHelp *kh = keys_help(v->page == VIEW_TRAIN ? KEYS_TRAIN : KEYS_STUDIO, &n);
    return help_layout(kh, n, b->kw, b->dw > 10 ? b->dw : 10, out, max);
}

/* The help's scroll within its lines. */
static void help_bounds(View *v)
{
    HelpBox b = look_help_box(v);
    HelpLine lines[256];
    int nl = look_help_lines(v, &b, lines, 256);
    if (v->help_scroll > nl - (b.bh - 2))
        v->help_scroll = nl - (b.bh - 2) > 0 ? nl - (b.bh - 2) : 0;
}

/* The next-note chart's focus: the playhead while the song plays, else the cursor. */
static int32_t dist_focus(const Studio *s)
{
    if (s->tp.playing && !s->tp.sample_playing)
        return (int32_t)floor(s->tp.playhead);
    return s->song.cur.cursor;
}

void look_update(Studio *s)
{
    unsigned d = s->view.dirty;
    if (s->view.too_small)
        return;
    if (s->view.page == VIEW_STUDIO && (d & DIRTY_ROLL))
        s->view.roll_top = roll_top(s, look_roll_rows(s));
    if (s->view.page == VIEW_STUDIO && (d & (DIRTY_PANEL | DIRTY_ROLL))) {
        if (!s->have_model || !s->take.gc_ok)
            s->take.has_dist = false;
        else
            take_update_dist(&s->take, &s->song, dist_focus(s),
                             s->model.enc.kind == ENC_REGRESS);
        take_update_metrics(&s->take, &s->song, &s->cix);
    }
    if (s->view.page == VIEW_TRAIN)
        train_snap_take(&s->th.snap, &s->tr);
    if (s->view.help)
        help_bounds(&s->view);
}
