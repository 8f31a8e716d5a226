/* draw.c — the studio view: header, piano roll, the next-note chart and
 * the melody panel, status line, key hints, help overlay.
 *
 *   row 0        header: model, tempo and metre, sampling, transport, audio
 *   row 1        time ruler: bar numbers, beats, cursor, generated part
 *   rows 2..     piano roll: pitch ruler on the left, seed notes, generated
 *                notes (other colour and glyphs), bar and beat lines, the
 *                cursor column, the playhead column
 *   6 rows       next-note distribution at the playhead (or cursor) | melody
 *   row h-2      status line: messages, errors, library log, prompts
 *   row h-1      mode and the keys that matter now
 *
 * Parts are drawn again only when marked dirty; curses sends only the
 * cells that changed.  Glyphs: block elements on a UTF-8 terminal, ASCII
 * otherwise; colours when the terminal has them, else attributes (seed
 * notes bold, cursor reversed).
 */
#include "studio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define NCURSES_WIDECHAR 1
#include <curses.h>

#define RULER_W 5       /* pitch names and a separator */
#define PANEL_H 6

/* ---- colours and glyphs ---------------------------------------------------- */

void draw_init_colors(Studio *s)
{
    s->colors = has_colors();
    if (!s->colors)
        return;
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
}

static attr_t pair(const Studio *s, int p)
{
    return s->colors ? (attr_t)COLOR_PAIR(p) : 0;
}

typedef struct {
    const char *seed_on, *seed_body, *gen_on, *gen_body, *bar, *beat, *vline, *hline;
    const char *play, *stop, *rec, *quarter, *cursor_mark;
} Glyphs;

static const Glyphs utf8_glyphs = {
    "\u2590", "\u2588", "\u2593", "\u2592", "\u2502", "\u250a", "\u2502", "\u2500",
    "\u25b6", "\u25a0", "\u25cf", "\u2669", "\u25bc",
};
static const Glyphs ascii_glyphs = {
    "[", "=", "(", "-", "|", ":", "|", "-", ">", "#", "*", "q", "v",
};

static const Glyphs *glyphs(const Studio *s)
{
    return s->utf8 ? &utf8_glyphs : &ascii_glyphs;
}

/* Write text at (y, x) cut to at most w columns (ASCII-width text). */
static void put(int y, int x, int w, const char *text)
{
    if (w <= 0)
        return;
    mvaddnstr(y, x, text, w);
}

static void fill(int y, int x, int w)
{
    for (int i = 0; i < w; i++)
        mvaddch(y, x + i, ' ');
}

/* ---- geometry ----------------------------------------------------------------- */

static int panel_h(const Studio *s)
{
    return s->h >= 40 ? PANEL_H + 2 : PANEL_H;
}

static bool is_roll13(const Studio *s)
{
    return s->have_model &&
           (s->model.enc.kind == ENC_ROLL13 || s->model.enc.kind == ENC_ROLL13_ONSET);
}

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
    for (int32_t i = 0; i < s->rec.n; i++) {
        if (s->rec.notes[i].pitch < *lo)
            *lo = s->rec.notes[i].pitch;
        if (s->rec.notes[i].pitch > *hi)
            *hi = s->rec.notes[i].pitch;
    }
    return *hi >= 0;
}

/* A roll13 model's 13 rows (C to C) hold every note of the melody.  A seed
 * typed outside one octave gets the full-range roll, so no note is hidden. */
static bool roll13_rows(const Studio *s)
{
    int lo, hi;
    if (!is_roll13(s))
        return false;
    if (!notes_range(s, &lo, &hi))
        return true;
    return lo / 12 * 12 + 12 >= hi;
}

int draw_roll_rows(const Studio *s)
{
    int rows = s->h - 2 - panel_h(s) - 2;
    if (roll13_rows(s) && rows > 13)
        rows = 13;
    return rows < 1 ? 1 : rows;
}

int32_t draw_roll_steps(const Studio *s)
{
    int cols = s->w - RULER_W;
    if (cols < 1)
        cols = 1;
    return s->zoom == 0 ? cols : s->zoom == 1 ? cols / 2 : cols * 2;
}

void draw_follow(Studio *s, double step)
{
    int32_t v = draw_roll_steps(s), st = (int32_t)floor(step);
    if (s->w <= 0)
        return;
    if (st < s->view_start || st >= s->view_start + v - v / 8) {
        int32_t start = st - v / 4;
        if (start < 0)
            start = 0;
        if (s->zoom == 2)
            start &= ~1;
        s->view_start = start;
        s->dirty |= DIRTY_ROLL;
    }
}

/* The highest pitch on the roll. */
static int roll_top(Studio *s, int rows)
{
    int lo, hi, top;
    const SongState *c = &s->song.cur;
    notes_range(s, &lo, &hi);
    if (roll13_rows(s)) {
        /* 13 rows, C to C: the octave that holds the most notes. */
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
    if (s->pitch_manual && s->pitch_top >= 0)
        return s->pitch_top;
    if (hi < 0) {
        lo = (s->octave + 1) * 12;
        hi = lo + 16;
    }
    if (hi - lo + 1 <= rows) {
        int extra = rows - (hi - lo + 1);
        top = hi + extra / 2;
    } else {
        /* Too many to show: the window that holds most of the notes on screen. */
        double hist[128] = {0}, best = -1;
        int32_t v0 = s->view_start, v1 = v0 + draw_roll_steps(s);
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
    }
    if (top > 127)
        top = 127;
    if (top - rows + 1 < 0)
        top = rows - 1 > 127 ? 127 : rows - 1;
    s->pitch_top = top;
    return top;
}

/* ---- header ---------------------------------------------------------------------- */

/* Columns a UTF-8 string takes (every glyph reel draws is one column). */
static int dwidth(const char *t)
{
    int n = 0;
    for (; *t; t++)
        n += ((unsigned char)*t & 0xC0) != 0x80;
    return n;
}

/* Cut a UTF-8 string to at most cols columns. */
static void dcut(char *t, int cols)
{
    int n = 0;
    char *p = t;
    if (cols <= 0) {
        *t = '\0';
        return;
    }
    for (; *p; p++)
        if (((unsigned char)*p & 0xC0) != 0x80 && n++ == cols)
            break;
    *p = '\0';
}

static void draw_header(Studio *s)
{
    const Glyphs *g = glyphs(s);
    char left[200], mid[200], right[200], tr[80], snd[120], k[24], p[24];
    long bar;
    int beat, w = s->w, lw, mw, rw;
    attrset(pair(s, C_HEADER) | (s->colors ? 0 : A_REVERSE));
    fill(0, 0, w);
    {
        double at = s->playing ? s->playhead : s->song.cur.cursor;
        int32_t bs = song_bar_steps(&s->song);
        bar = (long)(at / bs) + 1;
        beat = (int)(fmod(at, bs) / (16.0 / s->song.den)) + 1;
    }
    if (s->counting_in)
        snprintf(tr, sizeof tr, "%s count-in %d", g->rec, s->count_beats - s->count_done + 1);
    else if (s->recording)
        snprintf(tr, sizeof tr, "%s REC %ld.%d", g->rec, bar, beat);
    else if (s->playing)
        snprintf(tr, sizeof tr, "%s %ld.%d%s", g->play, bar, beat,
                 s->continuous ? " cont" : s->loop ? " loop" : "");
    else
        snprintf(tr, sizeof tr, "%s %ld.%d", g->stop, bar, beat);
    if (s->generating)
        strncat(tr, " gen", sizeof tr - strlen(tr) - 1);
    if (s->snd_ok)
        snd_state_text(&s->snd, snd, sizeof snd);
    else
        snprintf(snd, sizeof snd, "no audio");
    snprintf(right, sizeof right, "%.60s  %.100s ", tr, snd);
    if (s->so.top_k)
        snprintf(k, sizeof k, "k %d", s->so.top_k);
    else
        snprintf(k, sizeof k, "k off");
    if (s->so.top_p < 1)
        snprintf(p, sizeof p, "p %.2f", (double)s->so.top_p);
    else
        snprintf(p, sizeof p, "p off");
    snprintf(mid, sizeof mid, "%s%.0f %d/%d  T %.2f  %s  %s  seed %llu%s", g->quarter,
             s->song.bpm, s->song.num, s->song.den, (double)s->so.temperature, k, p,
             (unsigned long long)s->seed, s->take_edited ? "*" : "");
    if (s->have_model)
        snprintf(left, sizeof left, " reel  %.80s (%.60s)", s->model_name, s->model_desc);
    else
        snprintf(left, sizeof left, " reel  no model");
    mw = dwidth(mid);
    rw = dwidth(right);
    lw = dwidth(left);
    if (lw + mw + rw + 4 > w) {
        /* Narrow: shorter forms, then the model's description goes, then its name is cut. */
        snprintf(mid, sizeof mid, "%s%.0f %d/%d T %.2f %s %s #%llu%s", g->quarter, s->song.bpm,
                 s->song.num, s->song.den, (double)s->so.temperature, k, p,
                 (unsigned long long)s->seed, s->take_edited ? "*" : "");
        if (s->snd_ok && !s->snd.has_output)
            snprintf(right, sizeof right, "%s  silent ", tr);
        mw = dwidth(mid);
        rw = dwidth(right);
        if (s->have_model && lw + mw + rw + 4 > w) {
            snprintf(left, sizeof left, " reel  %.80s", s->model_name);
            lw = dwidth(left);
        }
        if (lw + mw + rw + 4 > w) {
            dcut(left, w - mw - rw - 4);
            lw = dwidth(left);
        }
    }
    put(0, 0, w, left);
    if (lw + 2 + mw <= w)
        mvaddstr(0, lw + 2, mid);
    attron(A_BOLD);
    if (rw <= w)
        mvaddstr(0, w - rw, right);
    attroff(A_BOLD);
    attrset(A_NORMAL);
}

/* ---- the roll -------------------------------------------------------------------- */

typedef struct {
    const char *g;
    attr_t a;
} Cell;

static void paint_note(Studio *s, Cell *cells, int rows, int cols, int top, const Note *n,
                       const char *on, const char *body, attr_t a)
{
    int32_t vs = s->view_start;
    int r = top - n->pitch;
    if (r < 0 || r >= rows)
        return;
    for (int c = 0; c < cols; c++) {
        int32_t s0, s1;
        bool onset;
        if (s->zoom == 0) {
            s0 = vs + c;
            s1 = s0 + 1;
        } else if (s->zoom == 1) {
            s0 = vs + c / 2;
            s1 = s0 + 1;
        } else {
            s0 = vs + c * 2;
            s1 = s0 + 2;
        }
        if (s1 <= n->onset || s0 >= n->onset + n->dur)
            continue;
        onset = n->onset >= s0 && n->onset < s1 && (s->zoom != 1 || c % 2 == 0);
        cells[r * cols + c].g = onset ? on : body;
        cells[r * cols + c].a = a;
    }
}

static void col_steps(const Studio *s, int c, int32_t *s0, int32_t *s1, bool *first)
{
    int32_t vs = s->view_start;
    if (s->zoom == 0) {
        *s0 = vs + c;
        *s1 = *s0 + 1;
        *first = true;
    } else if (s->zoom == 1) {
        *s0 = vs + c / 2;
        *s1 = *s0 + 1;
        *first = c % 2 == 0;
    } else {
        *s0 = vs + c * 2;
        *s1 = *s0 + 2;
        *first = true;
    }
}

static void draw_roll(Studio *s)
{
    const Glyphs *g = glyphs(s);
    int rows = draw_roll_rows(s), cols = s->w - RULER_W, top, y0 = 2;
    int32_t bar = song_bar_steps(&s->song), beat = 16 / (s->song.den > 0 ? s->song.den : 4);
    int32_t cursor = s->song.cur.cursor, ph = (int32_t)floor(s->playhead);
    Cell *cells;
    const SongState *c = &s->song.cur;
    if (cols < 1)
        return;
    if (s->song.den == 8 && s->song.num % 3 == 0 && s->song.num > 3)
        beat = 6;
    if (!(cells = calloc((size_t)rows * (size_t)cols, sizeof *cells)))
        return;
    top = roll_top(s, rows);
    /* Grid. */
    for (int col = 0; col < cols; col++) {
        int32_t s0, s1;
        bool first, is_bar = false, is_beat = false;
        col_steps(s, col, &s0, &s1, &first);
        for (int32_t st = s0; st < s1 && first; st++) {
            if (st % bar == 0)
                is_bar = true;
            else if (st % beat == 0)
                is_beat = true;
        }
        for (int r = 0; r < rows; r++) {
            Cell *x = &cells[r * cols + col];
            x->g = is_bar ? g->bar : is_beat ? g->beat : " ";
            x->a = pair(s, is_bar ? C_BAR : C_DIM) | (is_bar ? 0 : A_DIM);
        }
    }
    /* Notes: seed, generated, what record mode has so far. */
    for (int32_t i = 0; i < c->n_seed; i++)
        paint_note(s, cells, rows, cols, top, &c->seed[i], g->seed_on, g->seed_body,
                   pair(s, C_SEED) | A_BOLD);
    for (int32_t i = 0; i < c->n_gen; i++)
        paint_note(s, cells, rows, cols, top, &c->gen[i], g->gen_on, g->gen_body,
                   pair(s, C_GEN));
    if (s->recording || s->counting_in) {
        for (int32_t i = 0; i < s->rec.n; i++)
            paint_note(s, cells, rows, cols, top, &s->rec.notes[i], g->seed_on, g->seed_body,
                       pair(s, C_ERROR) | A_BOLD);
        if (s->rec.open && s->recording) {
            Note n = {s->rec.open_on, (int32_t)ceil(s->playhead) - s->rec.open_on,
                      (uint8_t)s->rec.open_pitch, 100};
            if (n.dur < 1)
                n.dur = 1;
            paint_note(s, cells, rows, cols, top, &n, g->seed_on, g->seed_body,
                       pair(s, C_ERROR) | A_BOLD);
        }
    }
    /* Cursor and playhead columns. */
    for (int col = 0; col < cols; col++) {
        int32_t s0, s1;
        bool first, is_cur, is_ph;
        col_steps(s, col, &s0, &s1, &first);
        is_cur = cursor >= s0 && cursor < s1 && !s->playing;
        is_ph = s->playing && ph >= s0 && ph < s1;
        if (!is_cur && !is_ph)
            continue;
        for (int r = 0; r < rows; r++) {
            Cell *x = &cells[r * cols + col];
            if (is_ph) {
                if (s->colors)
                    x->a = (x->a & ~A_COLOR) | pair(s, C_PLAYHEAD);
                else
                    x->a |= A_REVERSE;
                if (!strcmp(x->g, " ") || x->g == g->beat)
                    x->g = g->vline;
            } else {
                x->a = (s->colors ? (x->a & ~A_COLOR) | pair(s, C_CURSOR) : x->a | A_REVERSE);
            }
        }
    }
    /* Out to the screen: the pitch ruler, then the cells. */
    for (int r = 0; r < rows; r++) {
        int p = top - r;
        char name[8], lab[8];
        bool black = (p % 12 == 1 || p % 12 == 3 || p % 12 == 6 || p % 12 == 8 || p % 12 == 10);
        pitch_name(p, name);
        snprintf(lab, sizeof lab, "%-4s", name);
        attrset(black ? pair(s, C_DIM) : (p % 12 == 0 ? A_BOLD : A_NORMAL));
        put(y0 + r, 0, 4, lab);
        attrset(pair(s, C_DIM));
        mvaddstr(y0 + r, 4, g->vline);
        for (int col = 0; col < cols; col++) {
            Cell *x = &cells[r * cols + col];
            attrset(x->a);
            mvaddstr(y0 + r, RULER_W + col, x->g ? x->g : " ");
        }
    }
    attrset(A_NORMAL);
    /* Rows under a 13-row roll. */
    for (int y = y0 + rows; y < s->h - panel_h(s) - 2; y++)
        fill(y, 0, s->w);
    /* The time ruler: bar numbers, beats, the generated part, cursor, playhead. */
    attrset(A_NORMAL);
    fill(1, 0, s->w);
    {
        char lab[8];
        snprintf(lab, sizeof lab, "%s", s->zoom == 0 ? "bar" : s->zoom == 1 ? "bar+" : "bar-");
        attrset(pair(s, C_DIM));
        put(1, 0, 4, lab);
    }
    for (int col = 0; col < cols; col++) {
        int32_t s0, s1;
        bool first, in_gen;
        const char *gl = " ";
        char num[16];
        col_steps(s, col, &s0, &s1, &first);
        in_gen = song_has_gen(&s->song) && s0 >= c->gen_start && s0 < c->gen_end;
        attrset(in_gen ? pair(s, C_GEN) | A_UNDERLINE : pair(s, C_DIM));
        for (int32_t st = s0; st < s1 && first; st++)
            if (st % beat == 0 && st % bar != 0)
                gl = s->utf8 ? "\u00b7" : ".";
        if (first && s0 % bar == 0 && s1 - s0 >= 1) {
            int32_t b = s0 / bar + 1;
            snprintf(num, sizeof num, "%ld", (long)b);
            attrset(in_gen ? pair(s, C_GEN) | A_BOLD | A_UNDERLINE : A_BOLD);
            mvaddnstr(1, RULER_W + col, num, cols - col);
            col += (int)strlen(num) - 1;
            continue;
        }
        mvaddstr(1, RULER_W + col, gl);
    }
    for (int col = 0; col < cols; col++) {
        int32_t s0, s1;
        bool first;
        col_steps(s, col, &s0, &s1, &first);
        if (!first)
            continue;
        if (!s->playing && cursor >= s0 && cursor < s1) {
            attrset(pair(s, C_CURSOR) | A_BOLD | (s->colors ? 0 : A_REVERSE));
            mvaddstr(1, RULER_W + col, g->cursor_mark);
        }
        if (s->playing && ph >= s0 && ph < s1) {
            attrset(pair(s, C_PLAYHEAD) | A_BOLD | (s->colors ? 0 : A_REVERSE));
            mvaddstr(1, RULER_W + col, g->play);
        }
    }
    attrset(A_NORMAL);
    free(cells);
}

/* ---- the panel: next-note chart and the melody ------------------------------------- */

/* What the melody has at a step, for marking the chart: the pitch that
 * starts there, or sounds there, or nothing. */
static void actual_at(const Studio *s, int32_t step, int *onset_pitch, int *sounding)
{
    bool gen;
    const Note *n = song_note_at(&s->song, step, -1, &gen);
    *onset_pitch = n && n->onset == step ? n->pitch : -1;
    *sounding = n ? n->pitch : -1;
}

static bool is_chosen(const char *label, int onset_pitch, int sounding, bool roll)
{
    char name[8];
    if (sounding == -2)
        return false;
    if (!strcmp(label, "rest"))
        return sounding < 0;
    if (!strcmp(label, "hold"))
        return sounding >= 0 && onset_pitch < 0;
    if (onset_pitch >= 0 && !strcmp(label, pitch_name(onset_pitch, name)))
        return true;
    if (roll && sounding >= 0 && !strcmp(label, pitch_name(sounding, name)))
        return true;
    return false;
}

static void draw_dist(Studio *s, int y, int x, int w, int h)
{
    int32_t focus = s->playing ? (int32_t)floor(s->playhead) : s->song.cur.cursor;
    const GcDist *d = NULL;
    char title[160], label[64], bar[200], line[300];
    int onset_pitch, sounding, bw;
    bool roll = s->have_model && (s->model.enc.kind == ENC_ROLL13 ||
                                  s->model.enc.kind == ENC_ROLL13_ONSET ||
                                  s->model.enc.kind == ENC_ROLL128);
    for (int r = 0; r < h; r++)
        fill(y + r, x, w);
    if (!s->have_model || !s->gc_ok) {
        attrset(A_BOLD);
        put(y, x, w, "Next note");
        attrset(pair(s, C_DIM));
        put(y + 1, x, w, "no model loaded");
        attrset(A_NORMAL);
        return;
    }
    if (s->sample_playing)
        focus = s->song.cur.cursor;
    if (studio_take_live(s) && focus >= s->gc.start)
        d = gc_dist_at(&s->gc, focus);
    if (!d && focus <= 4096 && s->model.enc.kind != ENC_REGRESS) {
        Tune t;
        ReelError err;
        unsigned key = s->song.version * 2654435761u ^ (unsigned)(s->so.temperature * 1000) ^
                       (unsigned)s->so.top_k * 40503u ^ (unsigned)(s->so.top_p * 1000) * 7919u;
        if (song_tune_upto(&s->song, focus, &t, &err) == REEL_OK) {
            d = gc_probe(&s->gc, &t, key);
            tune_free(&t);
        }
    }
    {
        long b = (long)(focus / song_bar_steps(&s->song)) + 1;
        int beat = (int)(focus % song_bar_steps(&s->song)) / (16 / (s->song.den ? s->song.den : 4)) + 1;
        if (d)
            snprintf(title, sizeof title, "Next note at %ld.%d  %.2f bits%s", b, beat,
                     (double)d->entropy, d->is_dist ? "" : " (each pitch's chance)");
        else
            snprintf(title, sizeof title, "Next note at %ld.%d", b, beat);
    }
    attrset(A_BOLD);
    put(y, x, w, title);
    attrset(A_NORMAL);
    if (!d) {
        attrset(pair(s, C_DIM));
        put(y + 1, x, w, s->model.enc.kind == ENC_REGRESS
                             ? "a regression model draws values, not choices"
                             : "no distribution here");
        attrset(A_NORMAL);
        return;
    }
    actual_at(s, focus, &onset_pitch, &sounding);
    if (focus >= song_end(&s->song))
        onset_pitch = sounding = -2; /* past the melody: nothing to mark */
    bw = w - 18;
    if (bw < 4)
        bw = 4;
    for (int i = 0; i < d->n && i < h - 1; i++) {
        bool chosen;
        gc_label(&s->gc, d, d->top[i].cls, label, sizeof label);
        chosen = is_chosen(label, onset_pitch, sounding, roll);
        chart_hbar(d->top[i].p, bw, s->utf8, bar, sizeof bar);
        attrset(chosen ? A_BOLD : A_NORMAL);
        snprintf(line, sizeof line, "%-6.6s", label);
        put(y + 1 + i, x, 6, line);
        attrset(pair(s, i == 0 ? C_SERIES1 : C_SERIES2));
        mvaddstr(y + 1 + i, x + 7, bar);
        attrset(chosen ? A_BOLD : A_NORMAL);
        snprintf(line, sizeof line, "%3.0f%%%s", d->top[i].p * 100.0, chosen ? " <" : "");
        put(y + 1 + i, x + 8 + bw, w - 8 - bw, line);
    }
    attrset(A_NORMAL);
}

/* The melody's figures (metrics.h), again when it changed. */
static void update_metrics(Studio *s)
{
    Tune t;
    ReelError err;
    if (s->mm_ok && s->mm_version == s->song.version && s->mm_with_ix == (s->cix.ix != NULL))
        return;
    s->mm_ok = false;
    s->mm_version = s->song.version;
    s->mm_with_ix = s->cix.ix != NULL;
    if (song_tune(&s->song, &t, &err))
        return;
    if (metrics_compute(&t, s->cix.ix, &s->mm, &err) == REEL_OK)
        s->mm_ok = true;
    tune_free(&t);
}

static void pct(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "--");
    else
        snprintf(buf, n, "%.0f%%", v * 100);
}

static void draw_melody(Studio *s, int y, int x, int w, int h)
{
    char line[400], kname[16], val[16], q[16], prog[64], a[16], b[16], c[16];
    const SongState *cs = &s->song.cur;
    const MelodyMetrics *m = &s->mm;
    int32_t bs = song_bar_steps(&s->song);
    int row = 1;
    for (int r = 0; r < h; r++)
        fill(y + r, x, w);
    update_metrics(s);
    attrset(A_BOLD);
    put(y, x, w, "Melody");
    attrset(A_NORMAL);
    if (song_has_gen(&s->song))
        snprintf(line, sizeof line, "%d seed + %d new notes, %d bars", (int)cs->n_seed,
                 (int)cs->n_gen, (int)((song_end(&s->song) + bs - 1) / bs));
    else
        snprintf(line, sizeof line, "%d seed note%s, %d bar%s", (int)cs->n_seed,
                 cs->n_seed == 1 ? "" : "s", (int)((cs->seed_end + bs - 1) / bs),
                 (cs->seed_end + bs - 1) / bs == 1 ? "" : "s");
    attrset(pair(s, C_SEED));
    put(y, x + 7, w - 7, line);
    attrset(A_NORMAL);
    if (s->mm_ok && m->notes > 0) {
        pct(a, sizeof a, m->in_key);
        pct(b, sizeof b, m->key_stability);
        snprintf(line, sizeof line, "%s, %s in key, stable %s", metrics_key_name(m->key, kname), a, b);
        put(y + row++, x, w, line);
        pct(a, sizeof a, m->rep1);
        pct(b, sizeof b, m->rep2);
        pct(c, sizeof c, m->rep1_transposed);
        snprintf(line, sizeof line, "repeats %s, 2 back %s, transp %s", a, b, c);
        if (!isnan(m->self_sim))
            snprintf(line + strlen(line), sizeof line - strlen(line), ", sim %.2f", m->self_sim);
        put(y + row++, x, w, line);
        if (m->has_origin) {
            const OriginResult *o = &m->origin;
            if (o->windows == 0)
                snprintf(line, sizeof line, "original: no 2-bar window yet");
            else if (o->run > 0 && o->run_tune >= 0)
                snprintf(line, sizeof line, "original %d/%d bars, copied run %d (%.40s)",
                         o->windows - o->copied, o->windows, o->run,
                         origin_tune_name(s->cix.ix, o->run_tune));
            else
                snprintf(line, sizeof line, "original %d/%d 2-bar windows", o->windows - o->copied,
                         o->windows);
        } else if (cix_busy(&s->cix)) {
            snprintf(line, sizeof line, "original: indexing the corpus ...");
        } else {
            snprintf(line, sizeof line, "original: --  (%.200s)",
                     s->cix.why[0] ? s->cix.why : "no corpus index");
        }
        put(y + row++, x, w, line);
    } else {
        attrset(pair(s, C_DIM));
        put(y + row++, x, w, "key, in-key share, repetition and originality");
        put(y + row++, x, w, "appear with the first notes");
        attrset(A_NORMAL);
        row++;
    }
    snprintf(q, sizeof q, "1/%d", 16 / s->quantize);
    snprintf(line, sizeof line, "g: %d bars  cont %s  loop %s  metro %s", s->bars,
             s->continuous ? "ON" : "off", s->loop ? "ON" : "off", s->metronome ? "ON" : "off");
    if (row < h)
        put(y + row++, x, w, line);
    if (!(s->snd.synth && audio_synth_preset_name(s->snd.synth, 0, s->snd.program, prog,
                                                  sizeof prog)))
        studio_program_name(s->snd.program, prog, sizeof prog);
    snprintf(line, sizeof line, "octave %d (z=C%d)  %s  rec grid %s  %s", s->octave, s->octave,
             keys_value_name(s->length, val, sizeof val), q, prog);
    if (row < h)
        put(y + row++, x, w, line);
    if (row < h) {
        snprintf(line, sizeof line, "cursor %ld.%d", (long)(cs->cursor / bs) + 1,
                 (int)(cs->cursor % bs) + 1);
        attrset(pair(s, C_DIM));
        put(y + row, x, w, line);
        attrset(A_NORMAL);
    }
}

static void draw_panel(Studio *s)
{
    int ph = panel_h(s), y = s->h - 2 - ph, lw = s->w / 2 - 1;
    draw_dist(s, y, 0, lw, ph);
    attrset(pair(s, C_DIM));
    for (int r = 0; r < ph; r++)
        mvaddstr(y + r, lw, glyphs(s)->vline);
    attrset(A_NORMAL);
    draw_melody(s, y, lw + 2, s->w - lw - 2, ph);
}

/* ---- status and footer ------------------------------------------------------------- */

static void draw_status(Studio *s)
{
    int y = s->h - 2;
    attrset(A_NORMAL);
    fill(y, 0, s->w);
    if (s->prompting) {
        Prompt *p = &s->prompt;
        int lw = (int)strlen(p->label), tw = s->w - lw - 1, off = 0;
        attrset(A_BOLD);
        put(y, 0, s->w, p->label);
        attrset(A_NORMAL);
        if (p->pos > tw - 1)
            off = p->pos - tw + 1;
        put(y, lw, tw, p->text + off);
        attrset(A_REVERSE);
        mvaddch(y, lw + p->pos - off, p->pos < p->len ? (chtype)(unsigned char)p->text[p->pos]
                                                       : ' ');
        attrset(A_NORMAL);
        return;
    }
    if (s->status[0]) {
        attrset(s->status_kind == 2 ? pair(s, C_ERROR) | A_BOLD
                : s->status_kind == 1 ? pair(s, C_OK) : A_NORMAL);
        put(y, 0, s->w, s->status);
        attrset(A_NORMAL);
    }
}

static void draw_footer(Studio *s)
{
    int y = s->h - 1;
    const char *mode, *hint;
    int mp;
    char val[16], buf[300];
    fill(y, 0, s->w);
    if (s->prompting && s->prompt.hint[0]) {
        attrset(pair(s, C_DIM));
        put(y, 0, s->w, s->prompt.hint);
        attrset(A_NORMAL);
        return;
    }
    if (s->recording || s->counting_in) {
        mode = " REC ";
        mp = C_RECORD;
        hint = "piano keys: play in time   a: end a note   Space/Esc/R: stop";
    } else if (s->piano) {
        mode = " PIANO ";
        mp = C_PIANO;
        hint = "zsxdcvgbhnjm,l./ q2w3er5t6y7ui9o0p: notes  a: rest  Up/Dn: value  < >: oct  "
               "Enter: generate  Bksp: undo  Esc: commands  Shift+key: command";
    } else {
        mode = " KEYS ";
        mp = C_HEADER;
        hint = "Tab: piano  g: generate  Space: play  [ ]: temp  c: continuous  n: redraw  "
               "k/x: keep/discard  s: save  o: open  t: train  ?: help  q: quit";
    }
    attrset(pair(s, mp) | A_BOLD | (s->colors ? 0 : A_REVERSE));
    put(y, 0, s->w, mode);
    attrset(A_NORMAL);
    snprintf(buf, sizeof buf, " %s o%d ", keys_value_name(s->length, val, sizeof val),
             s->octave);
    attrset(A_BOLD);
    put(y, (int)strlen(mode), s->w - (int)strlen(mode), buf);
    attrset(A_NORMAL);
    put(y, (int)(strlen(mode) + strlen(buf)), s->w - (int)(strlen(mode) + strlen(buf)), hint);
}

/* ---- help ------------------------------------------------------------------------- */

/* One line of the help overlay: a section title, or keys and a piece of
 * their description (descriptions wrap; keys too long for their column get
 * a line of their own). */
typedef struct {
    const char *section;
    const char *keys;     /* NULL on continuation lines */
    const char *what;     /* start of this line's piece */
    int what_len;
} HelpLine;

/* The help's lines for a width; returns how many (at most max). */
static int help_lines(const KeysHelp *kh, int n, int kw, int dw, HelpLine *out, int max)
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

static void draw_help(Studio *s)
{
    int n = 0, bw = s->w - 2 > 100 ? 100 : s->w - 2, bh = s->h - 2, x0 = (s->w - bw) / 2, y0 = 1;
    const KeysHelp *kh = keys_help(s->view == VIEW_TRAIN ? KEYS_TRAIN : KEYS_STUDIO, &n);
    int kw = bw >= 90 ? 24 : 16, dw = bw - kw - 5, nl, shown = 0;
    HelpLine lines[256];
    char buf[400];
    attrset(A_NORMAL);
    erase();
    attrset(pair(s, C_HEADER) | A_BOLD | (s->colors ? 0 : A_REVERSE));
    fill(y0, x0, bw);
    put(y0, x0 + 1, bw - 2, s->view == VIEW_TRAIN ? " Keys: training view" : " Keys: studio");
    put(y0, x0 + bw - 28 > x0 ? x0 + bw - 28 : x0, 27, "Up/Dn scroll, any key closes");
    attrset(A_NORMAL);
    nl = help_lines(kh, n, kw, dw > 10 ? dw : 10, lines, 256);
    if (s->help_scroll > nl - (bh - 2))
        s->help_scroll = nl - (bh - 2) > 0 ? nl - (bh - 2) : 0;
    for (int i = s->help_scroll; i < nl && shown < bh - 2; i++) {
        int y = y0 + 1 + shown++;
        if (lines[i].section) {
            attrset(A_BOLD | pair(s, C_SEED));
            put(y, x0 + 1, bw - 2, lines[i].section);
            attrset(A_NORMAL);
            continue;
        }
        if (lines[i].keys) {
            attrset(A_BOLD);
            snprintf(buf, sizeof buf, "  %s", lines[i].keys);
            put(y, x0 + 1, (int)strlen(lines[i].keys) > kw ? bw - 2 : kw + 2, buf);
            attrset(A_NORMAL);
        }
        snprintf(buf, sizeof buf, "%.*s", lines[i].what_len, lines[i].what);
        put(y, x0 + kw + 4, dw, buf);
    }
    attrset(pair(s, C_DIM));
    if (s->help_scroll + bh - 2 < nl)
        put(y0 + bh - 1, x0 + 1, bw - 2, "  more below: Down, PgDn");
    attrset(A_NORMAL);
}

/* ---- the screen -------------------------------------------------------------------- */

void draw_screen(Studio *s)
{
    int h, w;
    getmaxyx(stdscr, h, w);
    if (h != s->h || w != s->w) {
        s->h = h;
        s->w = w;
        s->dirty = DIRTY_ALL;
        erase();
    }
    s->too_small = w < STUDIO_MIN_W || h < STUDIO_MIN_H;
    if (s->too_small) {
        char msg[160];
        erase();
        snprintf(msg, sizeof msg, "reel needs at least %dx%d; this terminal is %dx%d.", STUDIO_MIN_W,
                 STUDIO_MIN_H, w, h);
        attrset(A_BOLD);
        mvaddnstr(h / 2 > 0 ? h / 2 - 1 : 0, 0, msg, w);
        attrset(A_NORMAL);
        mvaddnstr(h / 2, 0, "Make the window larger (q quits).", w);
        if (s->prompting)
            draw_status(s);
        s->dirty = 0;
        refresh();
        return;
    }
    if (s->view == VIEW_TRAIN) {
        if (s->dirty & DIRTY_HEADER)
            draw_header(s);
        tv_draw(s);
        if (s->dirty & DIRTY_STATUS)
            draw_status(s);
    } else {
        if (s->dirty & DIRTY_HEADER)
            draw_header(s);
        if (s->dirty & DIRTY_ROLL)
            draw_roll(s);
        if (s->dirty & (DIRTY_PANEL | DIRTY_ROLL))
            draw_panel(s);
        if (s->dirty & DIRTY_STATUS)
            draw_status(s);
        if (s->dirty & DIRTY_FOOTER)
            draw_footer(s);
    }
    if (s->help)
        draw_help(s);
    s->dirty = 0;
    refresh();
}
