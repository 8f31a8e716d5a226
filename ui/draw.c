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
 *
 * Drawing reads the state and computes nothing: the roll's pitch window,
 * the next-note distribution and the melody's figures come from look.c,
 * computed before the frame.  The training view is train_draw.c's.
 */
#include "draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "look.h"
#include "paint.h"
#include "train_draw.h"

/* ---- colours and glyphs ---------------------------------------------------- */

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
    return s->view.utf8 ? &utf8_glyphs : &ascii_glyphs;
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

static void draw_header(const Studio *s)
{
    const Glyphs *g = glyphs(s);
    char left[200], mid[200], right[200], tr[80], snd[120], k[24], p[24];
    long bar;
    int beat, w = s->view.w, lw, mw, rw;
    attrset(paint_pair(&s->view, C_HEADER) | (s->view.colors ? 0 : A_REVERSE));
    paint_fill(0, 0, w);
    {
        double at = s->tp.playing ? s->tp.playhead : s->song.cur.cursor;
        int32_t bs = song_bar_steps(&s->song);
        bar = (long)(at / bs) + 1;
        beat = (int)(fmod(at, bs) / (16.0 / s->song.den)) + 1;
    }
    if (s->tp.counting_in)
        snprintf(tr, sizeof tr, "%s count-in %d", g->rec, s->tp.count_beats - s->tp.count_done + 1);
    else if (s->tp.recording)
        snprintf(tr, sizeof tr, "%s REC %ld.%d", g->rec, bar, beat);
    else if (s->tp.playing)
        snprintf(tr, sizeof tr, "%s %ld.%d%s", g->play, bar, beat,
                 s->tp.continuous ? " cont" : s->tp.loop ? " loop" : "");
    else
        snprintf(tr, sizeof tr, "%s %ld.%d", g->stop, bar, beat);
    if (s->take.generating)
        strncat(tr, " gen", sizeof tr - strlen(tr) - 1);
    if (s->snd_ok)
        snd_state_text(&s->snd, snd, sizeof snd);
    else
        snprintf(snd, sizeof snd, "no audio");
    snprintf(right, sizeof right, "%.60s  %.100s ", tr, snd);
    if (s->take.so.top_k)
        snprintf(k, sizeof k, "k %d", s->take.so.top_k);
    else
        snprintf(k, sizeof k, "k off");
    if (s->take.so.top_p < 1)
        snprintf(p, sizeof p, "p %.2f", (double)s->take.so.top_p);
    else
        snprintf(p, sizeof p, "p off");
    snprintf(mid, sizeof mid, "%s%.0f %d/%d  T %.2f  %s  %s  seed %llu%s", g->quarter,
             s->song.bpm, s->song.num, s->song.den, (double)s->take.so.temperature, k, p,
             (unsigned long long)s->take.seed, s->take.edited ? "*" : "");
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
                 s->song.num, s->song.den, (double)s->take.so.temperature, k, p,
                 (unsigned long long)s->take.seed, s->take.edited ? "*" : "");
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
    paint_put(0, 0, w, left);
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

/* The cells of the roll (rows x cols), drawn into before they go out. */
typedef struct {
    Cell *cells;
    int rows, cols, top;
    int32_t bar, beat;        /* steps a bar, steps a beat */
} Roll;

static void paint_note(const Studio *s, Roll *r, const Note *n, const char *on, const char *body,
                       attr_t a)
{
    int row = r->top - n->pitch;
    if (row < 0 || row >= r->rows)
        return;
    for (int c = 0; c < r->cols; c++) {
        int32_t s0, s1;
        bool first;
        view_col_steps(&s->view, c, &s0, &s1, &first);
        if (s1 <= n->onset || s0 >= n->onset + n->dur)
            continue;
        r->cells[row * r->cols + c].g = n->onset >= s0 && n->onset < s1 && first ? on : body;
        r->cells[row * r->cols + c].a = a;
    }
}

/* Bar and beat lines. */
static void roll_grid(const Studio *s, Roll *r)
{
    const Glyphs *g = glyphs(s);
    for (int col = 0; col < r->cols; col++) {
        int32_t s0, s1;
        bool first, is_bar = false, is_beat = false;
        view_col_steps(&s->view, col, &s0, &s1, &first);
        for (int32_t st = s0; st < s1 && first; st++) {
            if (st % r->bar == 0)
                is_bar = true;
            else if (st % r->beat == 0)
                is_beat = true;
        }
        for (int row = 0; row < r->rows; row++) {
            Cell *x = &r->cells[row * r->cols + col];
            x->g = is_bar ? g->bar : is_beat ? g->beat : " ";
            x->a = paint_pair(&s->view, is_bar ? C_BAR : C_DIM) | (is_bar ? 0 : A_DIM);
        }
    }
}

/* Notes: seed, generated, what record mode has so far. */
static void roll_notes(const Studio *s, Roll *r)
{
    const Glyphs *g = glyphs(s);
    const SongState *c = &s->song.cur;
    const Recorder *rec = &s->tp.rec;
    for (int32_t i = 0; i < c->n_seed; i++)
        paint_note(s, r, &c->seed[i], g->seed_on, g->seed_body, paint_pair(&s->view, C_SEED) | A_BOLD);
    for (int32_t i = 0; i < c->n_gen; i++)
        paint_note(s, r, &c->gen[i], g->gen_on, g->gen_body, paint_pair(&s->view, C_GEN));
    if (!transport_recording(&s->tp))
        return;
    for (int32_t i = 0; i < rec->n; i++)
        paint_note(s, r, &rec->notes[i], g->seed_on, g->seed_body, paint_pair(&s->view, C_ERROR) | A_BOLD);
    if (rec->open && s->tp.recording) {
        Note n = {rec->open_on, (int32_t)ceil(s->tp.playhead) - rec->open_on,
                  (uint8_t)rec->open_pitch, 100};
        if (n.dur < 1)
            n.dur = 1;
        paint_note(s, r, &n, g->seed_on, g->seed_body, paint_pair(&s->view, C_ERROR) | A_BOLD);
    }
}

/* The cursor and playhead columns. */
static void roll_marks(const Studio *s, Roll *r)
{
    const Glyphs *g = glyphs(s);
    int32_t cursor = s->song.cur.cursor, ph = (int32_t)floor(s->tp.playhead);
    for (int col = 0; col < r->cols; col++) {
        int32_t s0, s1;
        bool first, is_cur, is_ph;
        view_col_steps(&s->view, col, &s0, &s1, &first);
        is_cur = cursor >= s0 && cursor < s1 && !s->tp.playing;
        is_ph = s->tp.playing && ph >= s0 && ph < s1;
        if (!is_cur && !is_ph)
            continue;
        for (int row = 0; row < r->rows; row++) {
            Cell *x = &r->cells[row * r->cols + col];
            if (is_ph) {
                if (s->view.colors)
                    x->a = (x->a & ~A_COLOR) | paint_pair(&s->view, C_PLAYHEAD);
                else
                    x->a |= A_REVERSE;
                if (!strcmp(x->g, " ") || x->g == g->beat)
                    x->g = g->vline;
            } else {
                x->a = (s->view.colors ? (x->a & ~A_COLOR) | paint_pair(&s->view, C_CURSOR) : x->a | A_REVERSE);
            }
        }
    }
}

/* Out to the screen from row y0: the pitch ruler, then the cells. */
static void roll_out(const Studio *s, const Roll *r, int y0)
{
    const Glyphs *g = glyphs(s);
    for (int row = 0; row < r->rows; row++) {
        int p = r->top - row;
        char name[8], lab[8];
        bool black = (p % 12 == 1 || p % 12 == 3 || p % 12 == 6 || p % 12 == 8 || p % 12 == 10);
        pitch_name(p, name);
        snprintf(lab, sizeof lab, "%-4s", name);
        attrset(black ? paint_pair(&s->view, C_DIM) : (p % 12 == 0 ? A_BOLD : A_NORMAL));
        paint_put(y0 + row, 0, 4, lab);
        attrset(paint_pair(&s->view, C_DIM));
        mvaddstr(y0 + row, 4, g->vline);
        for (int col = 0; col < r->cols; col++) {
            const Cell *x = &r->cells[row * r->cols + col];
            attrset(x->a);
            mvaddstr(y0 + row, VIEW_RULER_W + col, x->g ? x->g : " ");
        }
    }
    attrset(A_NORMAL);
}

/* The time ruler (row 1): bar numbers, beats, the generated part. */
static void ruler_bars(const Studio *s, const Roll *r)
{
    const SongState *c = &s->song.cur;
    char lab[8];
    attrset(A_NORMAL);
    paint_fill(1, 0, s->view.w);
    snprintf(lab, sizeof lab, "%s", s->view.zoom == 0 ? "bar" : s->view.zoom == 1 ? "bar+" : "bar-");
    attrset(paint_pair(&s->view, C_DIM));
    paint_put(1, 0, 4, lab);
    for (int col = 0; col < r->cols; col++) {
        int32_t s0, s1;
        bool first, in_gen;
        const char *gl = " ";
        char num[16];
        view_col_steps(&s->view, col, &s0, &s1, &first);
        in_gen = song_has_gen(&s->song) && s0 >= c->gen_start && s0 < c->gen_end;
        attrset(in_gen ? paint_pair(&s->view, C_GEN) | A_UNDERLINE : paint_pair(&s->view, C_DIM));
        for (int32_t st = s0; st < s1 && first; st++)
            if (st % r->beat == 0 && st % r->bar != 0)
                gl = s->view.utf8 ? "\u00b7" : ".";
        if (first && s0 % r->bar == 0 && s1 - s0 >= 1) {
            snprintf(num, sizeof num, "%ld", (long)(s0 / r->bar + 1));
            attrset(in_gen ? paint_pair(&s->view, C_GEN) | A_BOLD | A_UNDERLINE : A_BOLD);
            mvaddnstr(1, VIEW_RULER_W + col, num, r->cols - col);
            col += (int)strlen(num) - 1;
            continue;
        }
        mvaddstr(1, VIEW_RULER_W + col, gl);
    }
}

/* The cursor and playhead marks on the time ruler. */
static void ruler_marks(const Studio *s, const Roll *r)
{
    const Glyphs *g = glyphs(s);
    int32_t cursor = s->song.cur.cursor, ph = (int32_t)floor(s->tp.playhead);
    for (int col = 0; col < r->cols; col++) {
        int32_t s0, s1;
        bool first;
        view_col_steps(&s->view, col, &s0, &s1, &first);
        if (!first)
            continue;
        if (!s->tp.playing && cursor >= s0 && cursor < s1) {
            attrset(paint_pair(&s->view, C_CURSOR) | A_BOLD | (s->view.colors ? 0 : A_REVERSE));
            mvaddstr(1, VIEW_RULER_W + col, g->cursor_mark);
        }
        if (s->tp.playing && ph >= s0 && ph < s1) {
            attrset(paint_pair(&s->view, C_PLAYHEAD) | A_BOLD | (s->view.colors ? 0 : A_REVERSE));
            mvaddstr(1, VIEW_RULER_W + col, g->play);
        }
    }
    attrset(A_NORMAL);
}

static void draw_roll(const Studio *s)
{
    Roll r;
    int y0 = 2;
    r.rows = look_roll_rows(s);
    r.cols = s->view.w - VIEW_RULER_W;
    r.top = s->view.roll_top;
    r.bar = song_bar_steps(&s->song);
    r.beat = 16 / (s->song.den > 0 ? s->song.den : 4);
    if (r.cols < 1)
        return;
    if (s->song.den == 8 && s->song.num % 3 == 0 && s->song.num > 3)
        r.beat = 6;
    if (!(r.cells = calloc((size_t)r.rows * (size_t)r.cols, sizeof *r.cells)))
        return;
    roll_grid(s, &r);
    roll_notes(s, &r);
    roll_marks(s, &r);
    roll_out(s, &r, y0);
    /* Rows under a 13-row roll. */
    for (int y = y0 + r.rows; y < s->view.h - view_panel_h(&s->view) - 2; y++)
        paint_fill(y, 0, s->view.w);
    ruler_bars(s, &r);
    ruler_marks(s, &r);
    free(r.cells);
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

static void draw_dist(const Studio *s, int y, int x, int w, int h)
{
    int32_t focus = s->take.dist_focus;
    const GcDist *d = s->take.has_dist ? &s->take.dist : NULL;
    char title[160], label[64], bar[200], line[300];
    int onset_pitch, sounding, bw;
    bool roll = s->have_model && (s->model.enc.kind == ENC_ROLL13 ||
                                  s->model.enc.kind == ENC_ROLL13_ONSET ||
                                  s->model.enc.kind == ENC_ROLL128);
    for (int r = 0; r < h; r++)
        paint_fill(y + r, x, w);
    if (!s->have_model || !s->take.gc_ok) {
        attrset(A_BOLD);
        paint_put(y, x, w, "Next note");
        attrset(paint_pair(&s->view, C_DIM));
        paint_put(y + 1, x, w, "no model loaded");
        attrset(A_NORMAL);
        return;
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
    paint_put(y, x, w, title);
    attrset(A_NORMAL);
    if (!d) {
        attrset(paint_pair(&s->view, C_DIM));
        paint_put(y + 1, x, w, s->model.enc.kind == ENC_REGRESS
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
        take_dist_label(&s->take, i, label, sizeof label);
        chosen = is_chosen(label, onset_pitch, sounding, roll);
        chart_hbar(d->top[i].p, bw, s->view.utf8, bar, sizeof bar);
        attrset(chosen ? A_BOLD : A_NORMAL);
        snprintf(line, sizeof line, "%-6.6s", label);
        paint_put(y + 1 + i, x, 6, line);
        attrset(paint_pair(&s->view, i == 0 ? C_SERIES1 : C_SERIES2));
        mvaddstr(y + 1 + i, x + 7, bar);
        attrset(chosen ? A_BOLD : A_NORMAL);
        snprintf(line, sizeof line, "%3.0f%%%s", d->top[i].p * 100.0, chosen ? " <" : "");
        paint_put(y + 1 + i, x + 8 + bw, w - 8 - bw, line);
    }
    attrset(A_NORMAL);
}

static void pct(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "--");
    else
        snprintf(buf, n, "%.0f%%", v * 100);
}

/* The first of the candidate lines (longest first, NULL-ended) that fits
 * w columns, else the last. */
static const char *fitting(int w, const char *const *lines)
{
    const char *best = lines[0];
    for (int i = 0; lines[i]; i++) {
        best = lines[i];
        if ((int)strlen(lines[i]) <= w)
            break;
    }
    return best;
}

/* The melody's key, repetition and form (metrics.h): as much as fits in w
 * columns; a tall panel (extra rows) also gets the phrase endings. */
static int draw_form(const Studio *s, int y, int x, int w, int row, bool tall)
{
    const MelodyMetrics *m = &s->take.mm;
    char k1[160], k2[160], r1[200], r2[160], r3[160], kname[16];
    char a[16], b[16], c[16], d[16], e[16], f[16];
    const char *ends = isnan(m->last_tonic) ? ""
                       : m->last_tonic > 0  ? ", ends on tonic"
                                            : ", ends off tonic";
    const char *key_lines[] = {k1, k2, NULL}, *rep_lines[] = {r1, r2, r3, NULL};
    pct(a, sizeof a, m->in_key);
    pct(b, sizeof b, m->key_stability);
    metrics_key_name(m->key, kname);
    snprintf(k1, sizeof k1, "%s, %s in key, stable %s%s", kname, a, b, ends);
    snprintf(k2, sizeof k2, "%s, %s in key%s", kname, a, ends);
    paint_put(y + row++, x, w, fitting(w, key_lines));
    pct(a, sizeof a, m->rep1);
    pct(b, sizeof b, m->rep2);
    pct(c, sizeof c, m->rep4);
    pct(d, sizeof d, m->rep8);
    pct(e, sizeof e, m->rep1_transposed);
    snprintf(r1, sizeof r1, "repeats %s, 2 back %s, 4 back %s, 8 back %s, transp %s", a, b, c, d,
             e);
    if (!isnan(m->self_sim))
        snprintf(r1 + strlen(r1), sizeof r1 - strlen(r1), ", sim %.2f", m->self_sim);
    snprintf(r2, sizeof r2, "repeats %s, 2 back %s, 4 back %s, 8 back %s", a, b, c, d);
    snprintf(r3, sizeof r3, "repeats %s, 2/4/8 back %s/%s/%s", a, b, c, d);
    paint_put(y + row++, x, w, fitting(w, rep_lines));
    if (tall) {
        pct(e, sizeof e, m->cad_full);
        pct(f, sizeof f, m->cad_half);
        if (m->phrases > 0)
            snprintf(r1, sizeof r1, "%d phrase%s: %s end on tonic, %s dominant%s", m->phrases,
                     m->phrases == 1 ? "" : "s", e, f,
                     m->strain > 0 ? "; strain repeats" : "");
        else
            snprintf(r1, sizeof r1, "phrase endings: from 4 bars");
        paint_put(y + row++, x, w, r1);
    }
    return row;
}

static void draw_melody(const Studio *s, int y, int x, int w, int h)
{
    char line[400], val[16], q[16], prog[64];
    const SongState *cs = &s->song.cur;
    const MelodyMetrics *m = &s->take.mm;
    int32_t bs = song_bar_steps(&s->song);
    int row = 1;
    for (int r = 0; r < h; r++)
        paint_fill(y + r, x, w);
    attrset(A_BOLD);
    paint_put(y, x, w, "Melody");
    attrset(A_NORMAL);
    if (song_has_gen(&s->song))
        snprintf(line, sizeof line, "%d seed + %d new notes, %d bars", (int)cs->n_seed,
                 (int)cs->n_gen, (int)((song_end(&s->song) + bs - 1) / bs));
    else
        snprintf(line, sizeof line, "%d seed note%s, %d bar%s", (int)cs->n_seed,
                 cs->n_seed == 1 ? "" : "s", (int)((cs->seed_end + bs - 1) / bs),
                 (cs->seed_end + bs - 1) / bs == 1 ? "" : "s");
    attrset(paint_pair(&s->view, C_SEED));
    paint_put(y, x + 7, w - 7, line);
    attrset(A_NORMAL);
    if (s->take.mm_ok && m->notes > 0) {
        row = draw_form(s, y, x, w, row, h > VIEW_PANEL_H);
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
        paint_put(y + row++, x, w, line);
    } else {
        attrset(paint_pair(&s->view, C_DIM));
        paint_put(y + row++, x, w, "key, in-key share, repetition and originality");
        paint_put(y + row++, x, w, "appear with the first notes");
        attrset(A_NORMAL);
        row += h > VIEW_PANEL_H ? 2 : 1;
    }
    snprintf(q, sizeof q, "1/%d", 16 / s->quantize);
    snprintf(line, sizeof line, "g: %d bars  cont %s  loop %s  metro %s", s->take.bars,
             s->tp.continuous ? "ON" : "off", s->tp.loop ? "ON" : "off", s->tp.metronome ? "ON" : "off");
    if (row < h)
        paint_put(y + row++, x, w, line);
    if (!(s->snd.synth && audio_synth_preset_name(s->snd.synth, 0, s->snd.program, prog,
                                                  sizeof prog)))
        studio_program_name(s->snd.program, prog, sizeof prog);
    snprintf(line, sizeof line, "octave %d (z=C%d)  %s  rec grid %s  %s", s->octave, s->octave,
             keys_value_name(s->length, val, sizeof val), q, prog);
    if (row < h)
        paint_put(y + row++, x, w, line);
    if (row < h) {
        snprintf(line, sizeof line, "cursor %ld.%d", (long)(cs->cursor / bs) + 1,
                 (int)(cs->cursor % bs) + 1);
        attrset(paint_pair(&s->view, C_DIM));
        paint_put(y + row, x, w, line);
        attrset(A_NORMAL);
    }
}

static void draw_panel(const Studio *s)
{
    int ph = view_panel_h(&s->view), y = s->view.h - 2 - ph, lw = s->view.w / 2 - 1;
    draw_dist(s, y, 0, lw, ph);
    attrset(paint_pair(&s->view, C_DIM));
    for (int r = 0; r < ph; r++)
        mvaddstr(y + r, lw, glyphs(s)->vline);
    attrset(A_NORMAL);
    draw_melody(s, y, lw + 2, s->view.w - lw - 2, ph);
}

/* ---- status and footer ------------------------------------------------------------- */

static void draw_status(const Studio *s)
{
    int y = s->view.h - 2;
    attrset(A_NORMAL);
    paint_fill(y, 0, s->view.w);
    if (s->view.prompting) {
        const Prompt *p = &s->view.prompt;
        int lw = (int)strlen(p->label), tw = s->view.w - lw - 1, off = 0;
        attrset(A_BOLD);
        paint_put(y, 0, s->view.w, p->label);
        attrset(A_NORMAL);
        if (p->pos > tw - 1)
            off = p->pos - tw + 1;
        paint_put(y, lw, tw, p->text + off);
        attrset(A_REVERSE);
        mvaddch(y, lw + p->pos - off, p->pos < p->len ? (chtype)(unsigned char)p->text[p->pos]
                                                       : ' ');
        attrset(A_NORMAL);
        return;
    }
    if (s->view.status[0]) {
        attrset(s->view.status_kind == 2 ? paint_pair(&s->view, C_ERROR) | A_BOLD
                : s->view.status_kind == 1 ? paint_pair(&s->view, C_OK) : A_NORMAL);
        paint_put(y, 0, s->view.w, s->view.status);
        attrset(A_NORMAL);
    }
}

static void draw_footer(const Studio *s)
{
    int y = s->view.h - 1;
    const char *mode, *hint;
    int mp;
    char val[16], buf[300];
    paint_fill(y, 0, s->view.w);
    if (s->view.prompting && s->view.prompt.hint[0]) {
        attrset(paint_pair(&s->view, C_DIM));
        paint_put(y, 0, s->view.w, s->view.prompt.hint);
        attrset(A_NORMAL);
        return;
    }
    if (s->tp.recording || s->tp.counting_in) {
        mode = " REC ";
        mp = C_RECORD;
        hint = "piano keys: play in time   a: end a note   Space/Esc/R: stop";
    } else if (s->view.piano) {
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
    attrset(paint_pair(&s->view, mp) | A_BOLD | (s->view.colors ? 0 : A_REVERSE));
    paint_put(y, 0, s->view.w, mode);
    attrset(A_NORMAL);
    snprintf(buf, sizeof buf, " %s o%d ", keys_value_name(s->length, val, sizeof val),
             s->octave);
    attrset(A_BOLD);
    paint_put(y, (int)strlen(mode), s->view.w - (int)strlen(mode), buf);
    attrset(A_NORMAL);
    paint_put(y, (int)(strlen(mode) + strlen(buf)), s->view.w - (int)(strlen(mode) + strlen(buf)), hint);
}

/* ---- help ------------------------------------------------------------------------- */

static void draw_help(const Studio *s)
{
    HelpBox hb = look_help_box(&s->view);
    int bw = hb.bw, bh = hb.bh, x0 = hb.x0, y0 = hb.y0, kw = hb.kw, dw = hb.dw, nl, shown = 0;
    HelpLine lines[256];
    char buf[400];
    attrset(A_NORMAL);
    erase();
    attrset(paint_pair(&s->view, C_HEADER) | A_BOLD | (s->view.colors ? 0 : A_REVERSE));
    paint_fill(y0, x0, bw);
    paint_put(y0, x0 + 1, bw - 2, s->view.page == VIEW_TRAIN ? " Keys: training view" : " Keys: studio");
    paint_put(y0, x0 + bw - 28 > x0 ? x0 + bw - 28 : x0, 27, "Up/Dn scroll, any key closes");
    attrset(A_NORMAL);
    nl = look_help_lines(&s->view, &hb, lines, 256);
    for (int i = s->view.help_scroll; i < nl && shown < bh - 2; i++) {
        int y = y0 + 1 + shown++;
        if (lines[i].section) {
            attrset(A_BOLD | paint_pair(&s->view, C_SEED));
            paint_put(y, x0 + 1, bw - 2, lines[i].section);
            attrset(A_NORMAL);
            continue;
        }
        if (lines[i].keys) {
            attrset(A_BOLD);
            snprintf(buf, sizeof buf, "  %s", lines[i].keys);
            paint_put(y, x0 + 1, (int)strlen(lines[i].keys) > kw ? bw - 2 : kw + 2, buf);
            attrset(A_NORMAL);
        }
        snprintf(buf, sizeof buf, "%.*s", lines[i].what_len, lines[i].what);
        paint_put(y, x0 + kw + 4, dw, buf);
    }
    attrset(paint_pair(&s->view, C_DIM));
    if (s->view.help_scroll + bh - 2 < nl)
        paint_put(y0 + bh - 1, x0 + 1, bw - 2, "  more below: Down, PgDn");
    attrset(A_NORMAL);
}

/* ---- the screen -------------------------------------------------------------------- */

/* The message for a terminal smaller than the studio needs. */
static void draw_too_small(const Studio *s)
{
    char msg[160];
    int w = s->view.w, h = s->view.h;
    erase();
    snprintf(msg, sizeof msg, "reel needs at least %dx%d; this terminal is %dx%d.", STUDIO_MIN_W,
             STUDIO_MIN_H, w, h);
    attrset(A_BOLD);
    mvaddnstr(h / 2 > 0 ? h / 2 - 1 : 0, 0, msg, w);
    attrset(A_NORMAL);
    mvaddnstr(h / 2, 0, "Make the window larger (q quits).", w);
    if (s->view.prompting)
        draw_status(s);
}

void draw_screen(const Studio *s)
{
    unsigned dirty = s->view.dirty;
    if (s->view.too_small) {
        draw_too_small(s);
        refresh();
        return;
    }
    if (dirty & DIRTY_HEADER)
        draw_header(s);
    if (s->view.page == VIEW_TRAIN) {
        train_draw(s);
    } else {
        if (dirty & DIRTY_ROLL)
            draw_roll(s);
        if (dirty & (DIRTY_PANEL | DIRTY_ROLL))
            draw_panel(s);
    }
    if (dirty & DIRTY_STATUS)
        draw_status(s);
    if (s->view.page == VIEW_STUDIO && (dirty & DIRTY_FOOTER))
        draw_footer(s);
    if (s->view.help)
        draw_help(s);
    refresh();
}
