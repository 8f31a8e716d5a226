/* train_draw.c — the training view on the screen: the settings form, then
 * the run (corpus summary, epoch and batch progress with ETA, steps a
 * second, live charts of loss and accuracy, the last sample).  Drawn from
 * the state only: the training thread's figures come from the snapshot
 * look.c takes before the frame (train_state.h).
 */
#include "train_draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "num.h"
#include "paint.h"

static void fmt_time(double sec, char *buf, size_t n)
{
    long t = sec > 0 && isfinite(sec) ? (long)(sec + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void bar_line(const Studio *s, int y, int x, int w, const char *label, double frac,
                     const char *right)
{
    char buf[600], bar[600];
    int lw = (int)strlen(label), rw = (int)strlen(right), bw = w - lw - rw - 4;
    if (bw < 4)
        bw = 4;
    if (bw > 200)
        bw = 200;
    paint_put(y, x, w, label);
    chart_hbar(frac, bw, s->view.utf8, bar, sizeof bar);
    attrset(paint_pair(&s->view, C_SERIES1) | A_REVERSE * 0);
    mvaddstr(y, x + lw + 1, s->view.utf8 ? "\u2595" : "[");
    attrset(paint_pair(&s->view, C_SERIES1));
    mvaddstr(y, x + lw + 2, bar);
    attrset(A_NORMAL);
    mvaddstr(y, x + lw + 2 + bw, s->view.utf8 ? "\u258f" : "]");
    snprintf(buf, sizeof buf, " %s", right);
    paint_put(y, x + lw + 3 + bw, w - lw - 3 - bw, buf);
}

/* One chart with its axis labels: training (series 1) and validation (2). */
static void draw_chart(const Studio *s, int y, int x, int w, int h, const char *title, const float *tr,
                       int n, const float *vx, const float *vy, int nv, double x_max,
                       bool percent)
{
    ChartCanvas c;
    double lo = 0, hi = 1, a = 0, b;
    char lab[32], cell[8];
    int aw = 7, cw = w - aw;
    bool any = false;
    if (h < 3 || cw < 4)
        return;
    attrset(A_BOLD);
    paint_put(y, x, w, title);
    attrset(paint_pair(&s->view, C_SERIES1));
    paint_put(y, x + (int)strlen(title) + 2, w, "train");
    attrset(paint_pair(&s->view, C_SERIES2));
    paint_put(y, x + (int)strlen(title) + 8, w, "validation");
    attrset(A_NORMAL);
    h--;
    y++;
    if (chart_minmax(tr, n, &a, &b)) {
        lo = a;
        hi = b;
        any = true;
    }
    if (chart_minmax(vy, nv, &a, &b)) {
        lo = any ? (a < lo ? a : lo) : a;
        hi = any ? (b > hi ? b : hi) : b;
        any = true;
    }
    chart_nice_range(lo, hi, &lo, &hi);
    if (lo < 0 && a >= 0)
        lo = 0; /* losses and accuracies are not negative */
    if (percent && hi > 1)
        hi = 1;
    if (!chart_init(&c, cw, h, s->view.utf8 ? CHART_BRAILLE : CHART_ASCII))
        return;
    chart_plot(&c, tr, n, x_max, lo, hi, 0);
    /* Validation points at their batches, joined. */
    {
        int W = chart_dots_w(&c), H = chart_dots_h(&c), px = -1, py = -1;
        for (int i = 0; i < nv; i++) {
            int dx = (int)floor(vx[i] / (x_max > 1 ? x_max - 1 : 1) * (W - 1) + 0.5);
            int dy = chart_row_of(vy[i], lo, hi, H);
            if (dx >= W)
                dx = W - 1;
            if (px >= 0)
                chart_line(&c, px, py, dx, dy, 1);
            else
                chart_dot(&c, dx, dy, 1);
            /* a visible mark: the dot and its neighbours */
            chart_dot(&c, dx, dy > 0 ? dy - 1 : dy, 1);
            chart_dot(&c, dx > 0 ? dx - 1 : dx, dy, 1);
            px = dx;
            py = dy;
        }
    }
    for (int r = 0; r < h; r++) {
        double v = hi - (hi - lo) * r / (h > 1 ? h - 1 : 1);
        attrset(paint_pair(&s->view, C_DIM));
        if (r == 0 || r == h - 1 || r == h / 2) {
            if (percent)
                snprintf(lab, sizeof lab, "%5.1f%%", v * 100);
            else
                snprintf(lab, sizeof lab, "%6.3f", v);
        } else {
            snprintf(lab, sizeof lab, "      ");
        }
        paint_put(y + r, x, aw - 1, lab);
        mvaddstr(y + r, x + aw - 1, s->view.utf8 ? "\u2524" : "|");
        for (int col = 0; col < cw; col++) {
            int owner = chart_cell(&c, col, r, cell);
            attrset(owner == 1 ? paint_pair(&s->view, C_SERIES1) : owner == 2 ? paint_pair(&s->view, C_SERIES2) | A_BOLD
                                                                  : A_NORMAL);
            mvaddstr(y + r, x + aw + col, cell);
        }
    }
    attrset(A_NORMAL);
    chart_free(&c);
}

static void draw_form(const Studio *s, int y, int h)
{
    char v[4200], line[4400];
    paint_put(y, 2, s->view.w - 4, "Choose with Up/Down, change with Left/Right, Enter types a value; s starts.");
    for (int f = 0; f < F_COUNT && f + 2 < h; f++) {
        bool sel = f == s->th.field;
        train_field_value(&s->tcfg, f, v, sizeof v);
        snprintf(line, sizeof line, "%c %-14s %s", sel ? '>' : ' ', train_field_name(f), v);
        attrset(sel ? (A_BOLD | (s->view.colors ? paint_pair(&s->view, C_PIANO) : A_REVERSE)) : A_NORMAL);
        paint_fill(y + 2 + f, 2, s->view.w - 4);
        paint_put(y + 2 + f, 2, s->view.w - 4, line);
        attrset(A_NORMAL);
    }
}

/* Row 1: the phase. */
static void draw_title(const Studio *s, const TrainSnap *sn)
{
    static const char *const names[] = {"not started", "loading the corpus", "running", "done",
                                        "stopped", "failed"};
    char on[64] = "", line[1200];
    TrainerPhase ph = sn->phase;
    if (sn->ranks > 1 && ph != TR_IDLE)
        snprintf(on, sizeof on, "  ranks: %d (mpirun)", sn->ranks);
    snprintf(line, sizeof line, " Training  %s%s%s", names[ph],
             sn->waiting ? " (paused)" : sn->paused ? " (pausing after this batch)" : "", on);
    attrset(A_BOLD | (ph == TR_FAILED ? paint_pair(&s->view, C_ERROR) : ph == TR_RUNNING ? paint_pair(&s->view, C_OK) : 0));
    paint_put(1, 0, s->view.w, line);
    attrset(A_NORMAL);
}

/* The corpus and the model (from row y); returns the next row. */
static int draw_run(const Studio *s, const TrainSnap *sn, int y)
{
    const Trainer *t = &s->tr;
    const TrainerConfig *c = &t->cfg;
    char line[1200], pos[32], par[32];
    int w = s->view.w;
    snprintf(line, sizeof line, "corpus  %.1100s", c->corpus);
    paint_put(y++, 1, w - 2, line);
    if (sn->phase == TR_LOADING && sn->ranks > 1) {
        snprintf(line, sizeof line, "        %d ranks read their shares of the corpus "
                 "(mpirun -np %d; its messages go to %.300s)", sn->ranks, sn->ranks, t->log_path);
        paint_put(y++, 1, w - 2, line);
    } else if (sn->phase == TR_LOADING) {
        snprintf(line, sizeof line, "%ld of %ld files", sn->files_done, sn->files_total);
        bar_line(s, y++, 1, w - 2, "reading",
                 sn->files_total ? (double)sn->files_done / sn->files_total : 0, line);
    } else {
        snprintf(line, sizeof line, "        %ld tunes to learn from, %ld held out for "
                 "validation%s%s, %s positions an epoch", sn->tunes_train, sn->tunes_val,
                 sn->skipped ? ", files skipped: " : "", sn->skipped ? "some" : "",
                 num_thousands((long)sn->positions, pos));
        paint_put(y++, 1, w - 2, line);
    }
    snprintf(line, sizeof line, "model   %s %dx%d LSTM, %s weights, window %d, batch %d, lr %g"
             "%s -> %.300s", t->m.enc.lookback ? "melody-lookback" : enc_name(t->m.enc.kind),
             t->m.net.layers, t->m.net.hidden,
             num_thousands((long)sn->params, par), t->m.train.window, t->m.train.batch,
             (double)t->m.train.optim.lr, sn->resumed >= 0 ? " (resumed)" : "", c->out);
    if (sn->phase != TR_LOADING)
        paint_put(y, 1, w - 2, line);
    return y + 1;
}

/* Epoch and batch bars, the loss line (from row y); returns the next row. */
static int draw_progress(const Studio *s, const TrainSnap *sn, const TrainEvent *ev, int y)
{
    char line[1200], a[32], b[32], pos[32];
    int w = s->view.w;
    double elapsed = ev->elapsed, active = elapsed - sn->paused_total;
    double sps = active > 0 ? ev->steps_per_sec * elapsed / active : ev->steps_per_sec;
    double eta = elapsed > 0 ? ev->eta * (active > 0 ? active / elapsed : 1) : ev->eta;
    int ep = ev->epoch + (ev->kind == TRAIN_EV_EPOCH ? 1 : 0);
    fmt_time(eta, a, sizeof a);
    fmt_time(active, b, sizeof b);
    snprintf(line, sizeof line, "%d/%d  ETA %s  (%s so far)", ev->epoch + 1, ev->epochs, a, b);
    bar_line(s, y++, 1, w - 2, "epoch  ",
             ev->epochs ? (ep + (ev->batches ? (double)ev->batch / ev->batches : 0) -
                           (ev->kind == TRAIN_EV_EPOCH ? 1 : 0)) / ev->epochs
                        : 0,
             line);
    snprintf(line, sizeof line, "%lld/%lld  %s steps/s", (long long)ev->batch,
             (long long)ev->batches, num_thousands((long)(sps + 0.5), pos));
    bar_line(s, y++, 1, w - 2, "batch  ", ev->batches ? (double)ev->batch / ev->batches : 0, line);
    snprintf(line, sizeof line, "loss    %.4f (epoch mean %.4f)   accuracy %.1f%%   "
             "validation loss %s   accuracy %s", (double)ev->loss,
             (double)ev->epoch_loss, ev->acc * 100.0,
             isnan(ev->val_loss) ? "--" : (snprintf(a, sizeof a, "%.4f", (double)ev->val_loss), a),
             isnan(ev->val_acc) ? "--" : (snprintf(b, sizeof b, "%.1f%%", ev->val_acc * 100.0), b));
    attrset(A_BOLD);
    paint_put(y++, 1, w - 2, line);
    attrset(A_NORMAL);
    return y;
}

/* The loss and accuracy charts from row y. */
static void draw_charts(const Studio *s, const TrainSnap *sn, const TrainEvent *ev, int y)
{
    const TrainHist *h = &s->th;
    int chart_h = s->view.h - 2 - y - 2, cw = (s->view.w - 3) / 2;
    double x_max = ev && ev->batches ? (double)ev->batches * ev->epochs : (h->n > 1 ? h->n : 2);
    float *vx = NULL;
    if (sn->resumed >= 0 && ev && ev->batches)
        x_max = (double)ev->batches * ev->epochs;
    if (chart_h < 4)
        return;
    /* x of the batch series: index into this run's batches */
    if (h->nv && (vx = calloc((size_t)h->nv, sizeof *vx))) {
        int64_t first = ev ? ev->global_batch - h->n : 0;
        for (int i = 0; i < h->nv; i++)
            vx[i] = h->x_val[i] - (float)first - 1;
    }
    x_max -= sn->resumed >= 0 && ev ? (double)(ev->global_batch - h->n) : 0;
    draw_chart(s, y, 1, cw, chart_h, "loss", h->loss, h->n, vx, h->vloss, vx ? h->nv : 0, x_max,
               false);
    draw_chart(s, y, 2 + cw, cw, chart_h, "accuracy", h->acc, h->n, vx, h->vacc, vx ? h->nv : 0,
               x_max, true);
    free(vx);
}

/* The last sample's notes (row h-4). */
static void draw_sample(const Studio *s)
{
    const TrainHist *h = &s->th;
    char line[1200];
    int y = s->view.h - 4, w = s->view.w;
    if (h->sample_what[0]) {
        snprintf(line, sizeof line, "sample (%.100s): %.900s", h->sample_what, h->sample_text);
        paint_put(y, 1, w - 2, line);
    } else {
        attrset(paint_pair(&s->view, C_DIM));
        paint_put(y, 1, w - 2, "l plays a few bars from the weights as they are, without stopping "
                         "the training");
        attrset(A_NORMAL);
    }
}

static void draw_footer(const Studio *s, const TrainSnap *sn)
{
    int w = s->view.w, y = s->view.h - 1;
    paint_fill(y, 0, w);
    attrset(paint_pair(&s->view, C_HEADER) | A_BOLD | (s->view.colors ? 0 : A_REVERSE));
    paint_put(y, 0, w, " TRAIN ");
    attrset(A_NORMAL);
    paint_put(y, 7, w - 7, sn->active ? " p: pause/resume  x: stop  l: listen  u: use model  "
                                  "t: studio  ?: help  q: quit"
                                : " Up/Dn Left/Right Enter: settings  s: start  l: listen  "
                                  "u: use model  t: studio  ?: help  q: quit");
}

void train_draw(const Studio *s)
{
    const TrainHist *h = &s->th;
    const TrainSnap *sn = &h->snap;
    TrainerPhase ph = sn->phase;
    int y = 2;
    for (int r = 1; r < s->view.h - 2; r++)
        paint_fill(r, 0, s->view.w);
    draw_title(s, sn);
    if (ph == TR_IDLE || (ph == TR_FAILED && !h->have_last) || (h->form && !sn->active)) {
        draw_form(s, y, s->view.h - 2 - y);
        if (ph == TR_FAILED) {
            char line[1200];
            snprintf(line, sizeof line, "failed: %s", sn->msg);
            attrset(paint_pair(&s->view, C_ERROR));
            paint_put(s->view.h - 4, 2, s->view.w - 4, line);
            attrset(A_NORMAL);
        }
    } else {
        const TrainEvent *ev = h->have_last ? &h->last : NULL;
        y = draw_run(s, sn, y);
        if (ev)
            y = draw_progress(s, sn, ev, y);
        else
            y += 3;
        draw_charts(s, sn, ev, y);
        draw_sample(s);
    }
    draw_footer(s, sn);
}
