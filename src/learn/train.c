/* train.c — see train.h. */
#include "clock.h"
#include "train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Buffers for one batch, time-major. */
typedef struct {
    int W, B, F;
    float *x, *y, *mask;
    int32_t *x_ids, *y_ids;
} BatchBuf;

static void batch_free(BatchBuf *b)
{
    free(b->x);
    free(b->y);
    free(b->mask);
    free(b->x_ids);
    free(b->y_ids);
    memset(b, 0, sizeof *b);
}

static bool batch_alloc(BatchBuf *b, const Dataset *d, int W, int B)
{
    size_t n = (size_t)W * (size_t)B;
    memset(b, 0, sizeof *b);
    b->W = W;
    b->B = B;
    b->F = d->width;
    b->mask = malloc(n * sizeof *b->mask);
    if (d->classes && d->in_floats) {
        /* melody --lookback: float input rows, class targets */
        b->x = malloc(n * (size_t)d->in_floats * sizeof *b->x);
        b->y_ids = malloc(n * sizeof *b->y_ids);
    } else if (d->classes) {
        b->x_ids = malloc(n * sizeof *b->x_ids);
        b->y_ids = malloc(n * sizeof *b->y_ids);
    } else {
        b->x = malloc(n * (size_t)d->width * sizeof *b->x);
        b->y = malloc(n * (size_t)d->width * sizeof *b->y);
    }
    if (!b->mask || (d->classes ? (!b->x_ids && !b->x) || !b->y_ids : !b->x || !b->y)) {
        batch_free(b);
        return false;
    }
    return true;
}

static NetBatch batch_view(const BatchBuf *b, const Dataset *d, int T)
{
    NetBatch nb;
    nb.T = T;
    nb.B = b->B;
    nb.x = d->classes && !d->in_floats ? NULL : b->x;
    nb.x_ids = d->classes && !d->in_floats ? b->x_ids : NULL;
    nb.y = d->classes ? NULL : b->y;
    nb.y_ids = d->classes ? b->y_ids : NULL;
    nb.mask = b->mask;
    return nb;
}

/* Accuracy counts of the last forward over a batch. */
typedef struct {
    double right, right_bits, right_argmax;
    int64_t positions;
} AccCount;

static void count_accuracy(const Net *n, const NetBatch *b, AccCount *a)
{
    const NetConfig *c = net_config(n);
    const float *out = net_outputs(n);
    int F = c->n_out;
    for (int t = 0; t < b->T; t++) {
        for (int k = 0; k < b->B; k++) {
            size_t pos = (size_t)t * (size_t)b->B + (size_t)k;
            const float *p = out + pos * (size_t)F;
            if (b->mask && b->mask[pos] == 0.0f)
                continue;
            a->positions++;
            if (c->head == HEAD_SOFTMAX_CE) {
                int best = 0;
                for (int f = 1; f < F; f++)
                    if (p[f] > p[best])
                        best = f;
                a->right += best == b->y_ids[pos];
            } else if (c->head == HEAD_SIGMOID_BCE) {
                const float *y = b->y + pos * (size_t)F;
                int bits = 0, bp = 0, by = 0;
                for (int f = 0; f < F; f++) {
                    bits += (p[f] > 0.5f) == (y[f] > 0.5f);
                    if (p[f] > p[bp])
                        bp = f;
                    if (y[f] > y[by])
                        by = f;
                }
                a->right += bits == F;
                a->right_bits += (double)bits / F;
                a->right_argmax += bp == by;
            } else {
                const float *y = b->y + pos * (size_t)F;
                a->right += lroundf(p[0] * 127.0f) == lroundf(y[0] * 127.0f);
            }
        }
    }
}

static double share(double a, int64_t n)
{
    return n ? a / (double)n : 0.0;
}

ReelStatus train_evaluate(Model *m, const Dataset *d, EvalResult *out, ReelError *err)
{
    int W = m->train.window, B = m->train.batch;
    Window *w = NULL;
    int64_t nw;
    BatchBuf bb;
    AccCount a = {0, 0, 0, 0};
    double loss_sum = 0;
    Net *net = NULL;
    ReelStatus s;

    memset(out, 0, sizeof *out);
    if (d->n_tunes == 0)
        return REEL_OK;
    if ((s = net_new(&net, &m->net, W, B, err)))
        return s;
    memcpy(net_params(net), net_params(m->nn), net_n_params(net) * sizeof(float));
    memcpy(net_buffers(net), net_buffers(m->nn), net_n_buffers(net) * sizeof(float));
    nw = data_windows(d, W, NULL, &w);
    if (nw < 0 || !batch_alloc(&bb, d, W, B)) {
        free(w);
        net_free(net);
        return reel_fail(err, REEL_ENOMEM, "out of memory for validation batches");
    }
    for (int64_t i = 0; i < nw; i += B) {
        int nb = (int)(nw - i < B ? nw - i : B);
        NetBatch view;
        int64_t before = a.positions;
        float loss;
        data_fill(d, w + i, nb, W, B, bb.x, bb.x_ids, bb.y, bb.y_ids, bb.mask);
        view = batch_view(&bb, d, W);
        loss = net_forward(net, &view, false, NULL);
        count_accuracy(net, &view, &a);
        loss_sum += (double)loss * (double)(a.positions - before);
    }
    out->positions = a.positions;
    out->loss = share(loss_sum, a.positions);
    out->acc = share(a.right, a.positions);
    out->acc_bits = share(a.right_bits, a.positions);
    out->acc_argmax = share(a.right_argmax, a.positions);
    batch_free(&bb);
    free(w);
    net_free(net);
    return REEL_OK;
}

/* The shuffle of epoch e depends on the seed and e only, so a resumed run
 * rebuilds the same order. */
static Rng epoch_rng(uint64_t seed, int epoch)
{
    Rng r;
    rng_seed(&r, seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(epoch + 1)));
    return r;
}

static void emit(const TrainRun *run, TrainEvent *ev)
{
    ev->ranks = run->shard ? dist_size(run->shard->dist) : 1;
    if (run->cb)
        run->cb(run->user, ev);
}

/* ---- data-parallel training (TrainShard, see train.h) -------------------
 * Every function here is a collective: every rank calls it at the same
 * point, or a rank waits forever.  *agreed is set when an error is known to
 * every rank (they all return it); an error that is not (this rank's alone,
 * or MPI failing) makes train_run set shard->alone. */

static bool shard_on(const TrainRun *run)
{
    return run->shard && dist_size(run->shard->dist) > 1;
}

/* Every rank says whether it failed (mine); REEL_OK when none did.  A rank
 * that failed keeps its message; the others get one naming it. */
static ReelStatus shard_agree(const TrainRun *run, ReelStatus mine, bool *agreed, ReelError *err)
{
    TrainShard *sh = run->shard;
    double f[2] = {mine ? 1.0 : 0.0, mine ? (double)dist_rank(sh->dist) : 0.0};
    ReelError e;
    if (dist_sum_f64(sh->dist, f, 2, &e)) {
        if (!mine && err)
            *err = e;
        return mine ? mine : e.status;
    }
    if (f[0] == 0)
        return REEL_OK;
    *agreed = true;
    sh->own = mine != REEL_OK;
    if (mine)
        return mine;
    if (f[0] == 1)
        return reel_fail(err, REEL_EIO, "rank %d failed (its message says why)", (int)f[1]);
    return reel_fail(err, REEL_EIO, "%d ranks failed (their messages say why)", (int)f[0]);
}

static uint64_t fnv_floats(const float *x, size_t n)
{
    const unsigned char *b = (const unsigned char *)x;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n * sizeof *x; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* After a checkpoint (saved, the status of rank 0's save): agree on it, and
 * check that every rank holds the same weights and buffers. */
static ReelStatus shard_checkpoint(const TrainRun *run, Net *net, ReelStatus saved, int64_t batches,
                                   bool *agreed, ReelError *err)
{
    TrainShard *sh = run->shard;
    int n = dist_size(sh->dist);
    uint64_t h[2] = {fnv_floats(net_params(net), net_n_params(net)),
                     fnv_floats(net_buffers(net), net_n_buffers(net))};
    int64_t mine[2], *all = NULL, *counts = NULL;
    ReelStatus s;
    if ((s = shard_agree(run, saved, agreed, err)))
        return s;
    if (!(counts = malloc((size_t)n * sizeof *counts)))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    memcpy(mine, h, sizeof mine);
    s = dist_gather_i64(sh->dist, mine, 2, &all, counts, err);
    for (int r = 1; !s && r < n; r++)
        if (counts[r] != 2 || all[2 * r] != all[0] || all[2 * r + 1] != all[1]) {
            *agreed = true;
            sh->own = dist_rank(sh->dist) == 0;
            s = reel_fail(err, REEL_EFORMAT,
                          "the weights of rank %d differ from rank 0's after batch %lld: the "
                          "ranks did not compute the same steps (the checkpoint holds rank 0's)",
                          r, (long long)batches);
        }
    if (!s)
        sh->checksum = h[0];
    free(all);
    free(counts);
    return s;
}

/* Dropout masks of one rank's part of a batch: a stream per (seed, batch,
 * rank), so that no rank needs another's state and a resume needs none. */
static Rng shard_drop_rng(uint64_t seed, int64_t batch, int rank)
{
    Rng r;
    rng_seed(&r, seed ^ 0xD50FD50FD50FD50Full ^ (0x9E3779B97F4A7C15ull * (uint64_t)(batch + 1)) ^
                     (0xBF58476D1CE4E5B9ull * (uint64_t)(rank + 1)));
    return r;
}

/* Balanced batches: item k of a batch of nb is computed by rank k R / nb
 * (every rank the same share, give or take one), whoever holds its tune;
 * the holder sends the window's rows there (dist_exchange).  Not for
 * datasets whose input rows need more of the tune than the window
 * (in_floats: melody --lookback): there the holder computes. */
typedef struct {
    unsigned char *send, *recv;   /* (B (W + 1) rows) each */
    int64_t *counts;              /* (2 R): bytes to each rank, from each rank */
    Dataset view;                 /* the received rows as a Dataset (borrows recv) */
} ShardXfer;

static size_t row_bytes(const Dataset *d)
{
    return d->ids ? sizeof *d->ids : d->vals ? (size_t)d->width * sizeof *d->vals
                                             : (size_t)d->width;
}

static bool shard_xfer_init(ShardXfer *xf, const Dataset *train, const TrainShard *sh, int W,
                            int B)
{
    size_t n = (size_t)B * (size_t)(W + 1) * row_bytes(train);
    memset(xf, 0, sizeof *xf);
    if (!sh->owner || train->in_floats)
        return true; /* the holder computes */
    xf->send = malloc(n);
    xf->recv = malloc(n);
    xf->counts = malloc(2 * (size_t)dist_size(sh->dist) * sizeof *xf->counts);
    xf->view.enc = train->enc;
    xf->view.width = train->width;
    xf->view.classes = train->classes;
    return xf->send && xf->recv && xf->counts;
}

static void shard_xfer_free(ShardXfer *xf)
{
    free(xf->send);
    free(xf->recv);
    free(xf->counts);
    memset(xf, 0, sizeof *xf);
}

/* This rank's windows of the batch (into mine) and where their rows are
 * (*src: train, or the rows received). */
static ReelStatus shard_windows(const Dataset *train, const TrainShard *sh, ShardXfer *xf,
                                const Window *items, int nb, Window *mine, int *n_mine,
                                const Dataset **src, ReelError *err)
{
    int R = dist_size(sh->dist), me = dist_rank(sh->dist), nl = 0;
    size_t rb = row_bytes(train);
    int64_t *sc = xf->counts, *rc = xf->counts + R, off = 0;
    const unsigned char *rows = train->ids ? (const unsigned char *)train->ids
                              : train->vals ? (const unsigned char *)train->vals : train->bits;
    unsigned char *p = xf->send;
    ReelStatus s;

    *src = train;
    if (!xf->send) {
        for (int k = 0; k < nb; k++) {
            int32_t gt = items[k].tune, lt = sh->local[gt];
            if (lt < 0)
                continue;
            mine[nl] = items[k];
            mine[nl].tune = lt;
            mine[nl++].start = train->start[lt] + (items[k].start - sh->all->start[gt]);
        }
        *n_mine = nl;
        return REEL_OK;
    }
#define COMPUTER(k) ((int)((int64_t)(k) * R / nb))
    memset(xf->counts, 0, 2 * (size_t)R * sizeof *xf->counts);
    for (int k = 0; k < nb; k++) {
        int64_t bytes = (int64_t)(items[k].len + 1) * (int64_t)rb;
        int owner = sh->owner[items[k].tune], to = COMPUTER(k);
        if (owner == me)
            sc[to] += bytes;
        if (to == me)
            rc[owner] += bytes;
    }
    for (int r = 0; r < R; r++)
        for (int k = 0; k < nb; k++) {
            int32_t gt = items[k].tune, lt = sh->local[gt];
            size_t n = (size_t)(items[k].len + 1) * rb;
            if (lt < 0 || COMPUTER(k) != r)
                continue;
            memcpy(p, rows + (size_t)(train->start[lt] + (items[k].start - sh->all->start[gt])) * rb,
                   n);
            p += n;
        }
    if ((s = dist_exchange(sh->dist, xf->send, sc, xf->recv, rc, err)))
        return s;
    /* In the order they came: by sender, then by place in the batch. */
    for (int r = 0; r < R; r++)
        for (int k = 0; k < nb; k++) {
            if (COMPUTER(k) != me || sh->owner[items[k].tune] != r)
                continue;
            mine[nl].tune = nl;
            mine[nl].start = off;
            mine[nl++].len = items[k].len;
            off += items[k].len + 1;
        }
#undef COMPUTER
    xf->view.ids = train->ids ? (int32_t *)(void *)xf->recv : NULL;
    xf->view.vals = train->vals ? (float *)(void *)xf->recv : NULL;
    xf->view.bits = !train->ids && !train->vals ? xf->recv : NULL;
    *src = &xf->view;
    *n_mine = nl;
    return REEL_OK;
}

/* One global batch (items: its nb windows, cut on shard->all) on this rank:
 * its share of the windows (shard_windows; into mine, room for B), forward
 * and backward, then the sums over ranks.  Afterwards the gradient block
 * holds the whole batch's gradient, *loss its mean loss (NaN when any
 * rank's was not finite), *a its counts, and *stop_all says whether any
 * rank was asked to stop. */
static ReelStatus shard_batch(Model *m, const Dataset *train, const TrainRun *run, BatchBuf *bb,
                              ShardXfer *xf, const Window *items, int nb, Window *mine,
                              int64_t batch_no, float *loss, AccCount *a, bool *stop_all,
                              ReelError *err)
{
    TrainShard *sh = run->shard;
    Net *net = m->nn;
    size_t np = net_n_params(net), nbuf = net_n_buffers(net);
    float *g = net_grads(net), *buf = net_buffers(net);
    int nl = 0, T = 0;
    float l = 0;
    AccCount my = {0, 0, 0, 0};
    double st[7];
    const Dataset *src;
    ReelStatus s;

    if ((s = shard_windows(train, sh, xf, items, nb, mine, &nl, &src, err)))
        return s;
    for (int k = 0; k < nl; k++)
        if (mine[k].len > T)
            T = mine[k].len;
    if (nl > 0) {
        NetBatch view;
        Rng drop = shard_drop_rng(m->train.seed, batch_no, dist_rank(sh->dist));
        /* A batch of nl columns: no padding columns to compute. */
        data_fill(src, mine, nl, m->train.window, nl, bb->x, bb->x_ids, bb->y, bb->y_ids,
                  bb->mask);
        view = batch_view(bb, src, T);
        view.B = nl;
        l = net_forward(net, &view, true, &drop);
        count_accuracy(net, &view, &my);
        net_backward(net, &view);
        /* The gradient of this part's mean loss, weighted by its positions:
         * summed over ranks and divided by the batch's positions, it is the
         * gradient of the batch's mean loss.  The same for the batch-norm
         * running statistics this forward updated. */
        for (size_t i = 0; i < np; i++)
            g[i] *= (float)my.positions;
        for (size_t i = 0; i < nbuf; i++)
            buf[i] *= (float)my.positions;
    } else {
        memset(g, 0, np * sizeof *g);
        if (nbuf)
            memset(buf, 0, nbuf * sizeof *buf);
    }
    st[0] = (double)my.positions;
    st[1] = (double)l * (double)my.positions;
    st[2] = my.right;
    st[3] = my.right_bits;
    st[4] = my.right_argmax;
    st[5] = run->stop && atomic_load(run->stop) ? 1.0 : 0.0;
    st[6] = nl > 0 && !isfinite(l) ? 1.0 : 0.0;
    if ((s = dist_sum_f64(sh->dist, st, 7, err)) || (s = dist_sum_f32(sh->dist, g, np, err)) ||
        (nbuf && (s = dist_sum_f32(sh->dist, buf, nbuf, err))))
        return s;
    if (st[0] > 0) {
        for (size_t i = 0; i < np; i++)
            g[i] = (float)((double)g[i] / st[0]);
        for (size_t i = 0; i < nbuf; i++)
            buf[i] = (float)((double)buf[i] / st[0]);
    }
    *loss = st[6] > 0 ? NAN : st[0] > 0 ? (float)(st[1] / st[0]) : 0.0f;
    a->right = st[2];
    a->right_bits = st[3];
    a->right_argmax = st[4];
    a->positions = (int64_t)st[0];
    *stop_all = st[5] > 0;
    return REEL_OK;
}

/* Validation on every rank's own val tunes, summed. */
static ReelStatus shard_evaluate(Model *m, const Dataset *val, const TrainRun *run,
                                 EvalResult *vr, bool *agreed, ReelError *err)
{
    ReelStatus mine = train_evaluate(m, val, vr, err), s;
    double st[5] = {vr->loss * (double)vr->positions, vr->acc * (double)vr->positions,
                    vr->acc_bits * (double)vr->positions, vr->acc_argmax * (double)vr->positions,
                    (double)vr->positions};
    if ((s = shard_agree(run, mine, agreed, err)))
        return s;
    if ((s = dist_sum_f64(run->shard->dist, st, 5, err)))
        return s;
    vr->positions = (int64_t)st[4];
    vr->loss = share(st[0], vr->positions);
    vr->acc = share(st[1], vr->positions);
    vr->acc_bits = share(st[2], vr->positions);
    vr->acc_argmax = share(st[3], vr->positions);
    return REEL_OK;
}

static void log_header(FILE *f)
{
    fprintf(f, "kind,epoch,batch,global_batch,loss,acc,acc_bits,acc_argmax,grad_norm,lr,"
               "positions,seconds\n");
}

/* ---- the last checkpoint, kept in memory ---------------------------------
 *
 * A loss or gradient that is not finite sends training back to the last
 * checkpoint (the weights, optimizer state and progress the file on disk
 * holds; at the start, what the run started from) with half the learning
 * rate, up to MAX_ROLLBACKS times in a run. */
#define MAX_ROLLBACKS 8

typedef struct {
    float *params, *buffers, *ostate;
    size_t np, nb, ns;
    int64_t t;
    TrainProgress pg;
    bool ok;
} Snapshot;

static void snap_free(Snapshot *sn)
{
    free(sn->params);
    free(sn->buffers);
    free(sn->ostate);
    memset(sn, 0, sizeof *sn);
}

static bool all_finite(const float *x, size_t n)
{
    float acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += x[i] * 0.0f; /* NaN or Inf makes it NaN */
    return acc == 0.0f;
}

/* Copy m's state; false (and no snapshot) when out of memory. */
static bool snap_take(Snapshot *sn, const Model *m)
{
    size_t np = net_n_params(m->nn), nb = net_n_buffers(m->nn);
    size_t ns = m->optim.state ? optim_state_len(m->optim.c.kind, m->optim.n) : 0;
    if (!sn->params) {
        sn->params = malloc((np ? np : 1) * sizeof(float));
        sn->buffers = malloc((nb ? nb : 1) * sizeof(float));
        sn->ostate = malloc((ns ? ns : 1) * sizeof(float));
        sn->np = np;
        sn->nb = nb;
        sn->ns = ns;
    }
    if (!sn->params || !sn->buffers || !sn->ostate || sn->np != np || sn->nb != nb || sn->ns != ns) {
        snap_free(sn);
        return false;
    }
    memcpy(sn->params, net_params(m->nn), np * sizeof(float));
    memcpy(sn->buffers, net_buffers(m->nn), nb * sizeof(float));
    if (ns)
        memcpy(sn->ostate, m->optim.state, ns * sizeof(float));
    sn->t = m->optim.t;
    sn->pg = m->progress;
    sn->ok = true;
    return true;
}

static void snap_restore(const Snapshot *sn, Model *m)
{
    double seconds = m->progress.seconds;
    memcpy(net_params(m->nn), sn->params, sn->np * sizeof(float));
    memcpy(net_buffers(m->nn), sn->buffers, sn->nb * sizeof(float));
    if (sn->ns)
        memcpy(m->optim.state, sn->ostate, sn->ns * sizeof(float));
    m->optim.t = sn->t;
    m->progress = sn->pg;
    m->progress.seconds = seconds;
}

/* Save a checkpoint (rank 0 of a data-parallel run; every rank checks the
 * weights), remember it in sn and say so. */
static ReelStatus checkpoint(Model *m, const TrainRun *run, Net *net, float clip, bool *agreed,
                             Snapshot *sn, ReelError *err)
{
    ReelStatus s = REEL_OK;
    TrainEvent ev;
    m->optim.c.clip_norm = clip;
    if (!shard_on(run) || dist_rank(run->shard->dist) == 0)
        s = model_save(m, run->out_path, true, err);
    if (shard_on(run))
        s = shard_checkpoint(run, net, s, m->progress.batches, agreed, err);
    m->optim.c.clip_norm = 0;
    if (s)
        return s;
    (void)snap_take(sn, m);
    memset(&ev, 0, sizeof ev);
    ev.kind = TRAIN_EV_CHECKPOINT;
    ev.epoch = m->progress.epoch;
    ev.epochs = m->train.epochs;
    ev.batch = m->progress.batch_in_epoch;
    ev.global_batch = m->progress.batches;
    ev.val_loss = m->progress.val_loss;
    ev.val_acc = m->progress.val_acc;
    ev.head = m->net.head;
    snprintf(ev.msg, sizeof ev.msg, "%s", run->out_path);
    emit(run, &ev);
    return REEL_OK;
}

ReelStatus train_run(Model *m, const Dataset *train, const Dataset *val, const TrainRun *run,
                     ReelError *err)
{
    TrainSettings *ts = &m->train;
    TrainProgress *pg = &m->progress;
    int W = ts->window, B = ts->batch;
    Net *net = NULL;
    Window *win = NULL;
    int32_t *order = NULL;
    BatchBuf bb;
    FILE *log = NULL;
    TrainEvent ev;
    ReelStatus s = REEL_OK;
    double t0 = now_sec(), seconds_before = pg->seconds;
    int64_t positions_run = 0, batches_run = 0;
    size_t np;
    float clip = ts->optim.clip_norm;
    bool stopped = false;
    /* Data-parallel (TrainShard): the epoch is cut on every rank's tunes. */
    const Dataset *cut = shard_on(run) ? run->shard->all : train;
    Window *shard_sel = NULL;
    ShardXfer xfer;
    bool shard_stop = false, agreed = false, set_up = false;
    Snapshot snap;
    bool rolled = false;
    int rollbacks = 0;
    float bad = 0;
    const char *bad_what = "loss";
    int64_t bad_batch = 0;
    double last_ckpt = now_sec();

    memset(&bb, 0, sizeof bb);
    memset(&xfer, 0, sizeof xfer);
    memset(&snap, 0, sizeof snap);
    if (W < 1 || B < 1)
        return reel_fail(err, REEL_EARG, "window and batch must be at least 1");
    if (cut->n_tunes == 0)
        return reel_fail(err, REEL_EEMPTY, "no tune long enough to train on");
    /* The training network: sized for W x B, weights from the model. */
    if ((s = net_new(&net, &m->net, W, B, err)))
        goto done;
    np = net_n_params(net);
    memcpy(net_params(net), net_params(m->nn), np * sizeof(float));
    memcpy(net_buffers(net), net_buffers(m->nn), net_n_buffers(net) * sizeof(float));
    net_free(m->nn);
    m->nn = net;
    if (!m->optim.state) {
        OptimConfig oc = ts->optim;
        if ((s = optim_init(&m->optim, &oc, np, err)))
            goto done;
    }
    /* The loop clips itself (to log the norm); the optimizer must not again. */
    m->optim.c.clip_norm = 0;
    if (!batch_alloc(&bb, train, W, B)) {
        s = reel_fail(err, REEL_ENOMEM, "out of memory for batches of %d x %d", W, B);
        goto done;
    }
    if (run->log_path) {
        bool fresh = pg->batches == 0;
        log = fopen(run->log_path, fresh ? "w" : "a");
        if (!log) {
            s = reel_fail(err, REEL_EIO, "%s: cannot write the training log: %s", run->log_path,
                          strerror(errno));
            goto done;
        }
        if (fresh)
            log_header(log);
    }
    if (shard_on(run)) {
        /* Every rank set up (or says it failed) before the first batch. */
        set_up = true;
        if (!(shard_sel = malloc((size_t)B * sizeof *shard_sel)) ||
            !shard_xfer_init(&xfer, train, run->shard, W, B))
            s = reel_fail(err, REEL_ENOMEM, "out of memory");
        if ((s = shard_agree(run, s, &agreed, err)))
            goto done;
    }

    if (pg->batches == 0) {
        /* A fresh run: dropout masks from the seed. */
        rng_seed(&pg->drop_rng, ts->seed ^ 0xD50FD50FD50FD50Full);
    }
    /* where a non-finite loss goes back to until the first checkpoint */
    (void)snap_take(&snap, m);
    memset(&ev, 0, sizeof ev);
    ev.kind = TRAIN_EV_START;
    ev.epoch = pg->epoch;
    ev.epochs = ts->epochs;
    ev.head = m->net.head;
    ev.val_loss = pg->val_loss;
    ev.val_acc = pg->val_acc;
    ev.val_acc_bits = ev.val_acc_argmax = NAN;
    emit(run, &ev);

    while (pg->epoch < ts->epochs && !stopped) {
        Rng er = epoch_rng(ts->seed, pg->epoch);
        int64_t nw, nbatches;
        double loss_sum = 0;
        AccCount acc = {0, 0, 0, 0};
        pg->epoch_rng = er;
        free(win);
        free(order);
        order = NULL;
        nw = data_windows(cut, W, &er, &win);
        if (nw < 0 || !(order = malloc((size_t)(nw ? nw : 1) * sizeof *order))) {
            s = reel_fail(err, REEL_ENOMEM, "out of memory for the epoch's windows");
            goto done;
        }
        for (int64_t i = 0; i < nw; i++)
            order[i] = (int32_t)i;
        rng_shuffle_i32(&er, order, nw);
        nbatches = (nw + B - 1) / B;
        if (pg->batch_in_epoch == 0)
            pg->train_loss = pg->train_acc = 0;
        /* Resumed mid-epoch: the batches before batch_in_epoch are done.  Their
         * running loss is what the checkpoint kept. */
        loss_sum = (double)pg->train_loss * (double)pg->batch_in_epoch;
        acc.right = (double)pg->train_acc * (double)pg->batch_in_epoch;
        acc.positions = pg->batch_in_epoch;

        for (int64_t bi = pg->batch_in_epoch; bi < nbatches; bi++) {
            Window sel[1024];
            Window *selp = B <= 1024 ? sel : NULL;
            int nb = (int)(nw - bi * B < B ? nw - bi * B : B);
            NetBatch view;
            AccCount a = {0, 0, 0, 0};
            float loss, gnorm;
            int T = 0;
            if (!selp && !(selp = malloc((size_t)B * sizeof *selp))) {
                s = reel_fail(err, REEL_ENOMEM, "out of memory");
                goto done;
            }
            for (int k = 0; k < nb; k++) {
                selp[k] = win[order[bi * B + k]];
                if (selp[k].len > T)
                    T = selp[k].len;
            }
            if (shard_on(run)) {
                /* Data-parallel: this rank's part of the batch; the gradient
                 * block, loss and counts are the whole batch's after it. */
                s = shard_batch(m, train, run, &bb, &xfer, selp, nb, shard_sel, pg->batches,
                                &loss, &a, &shard_stop, err);
                if (selp != sel)
                    free(selp);
                if (s)
                    goto done;
                if (!isfinite(loss)) {
                    /* the whole batch's loss: every rank rolls back alike */
                    bad = loss;
                    bad_what = "loss";
                    bad_batch = bi + 1;
                    rolled = true;
                    break;
                }
                goto shard_stepped;
            }
            data_fill(train, selp, nb, W, B, bb.x, bb.x_ids, bb.y, bb.y_ids, bb.mask);
            if (selp != sel)
                free(selp);
            /* Time-major: the first T rows of the (W, B) buffers are the batch. */
            view = batch_view(&bb, train, T);
            loss = net_forward(net, &view, true, &pg->drop_rng);
            if (!isfinite(loss)) {
                bad = loss;
                bad_what = "loss";
                bad_batch = bi + 1;
                rolled = true;
                break;
            }
            count_accuracy(net, &view, &a);
            net_backward(net, &view);
        shard_stepped:
            gnorm = optim_clip(net_grads(net), np, clip);
            if (!isfinite(gnorm)) { /* after the allreduce: the same on every rank */
                bad = gnorm;
                bad_what = "gradient";
                bad_batch = bi + 1;
                rolled = true;
                break;
            }
            optim_step(&m->optim, net_params(net), net_grads(net));
            if (!all_finite(net_params(net), np)) { /* the weights are the same on every rank */
                /* an update overflowed, or a weight was not finite with no gradient */
                bad = NAN;
                bad_what = "weights";
                bad_batch = bi + 1;
                rolled = true;
                break;
            }

            pg->batches++;
            pg->batch_in_epoch = bi + 1;
            batches_run++;
            positions_run += a.positions;
            loss_sum += loss;
            acc.right += share(a.right, a.positions);
            acc.positions++;
            pg->train_loss = (float)(loss_sum / (double)(bi + 1));
            pg->train_acc = (float)(acc.right / (double)(bi + 1));
            pg->seconds = seconds_before + (now_sec() - t0);

            memset(&ev, 0, sizeof ev);
            ev.kind = TRAIN_EV_BATCH;
            ev.epoch = pg->epoch;
            ev.epochs = ts->epochs;
            ev.batch = bi + 1;
            ev.batches = nbatches;
            ev.global_batch = pg->batches;
            ev.loss = loss;
            ev.acc = (float)share(a.right, a.positions);
            ev.acc_bits = (float)share(a.right_bits, a.positions);
            ev.acc_argmax = (float)share(a.right_argmax, a.positions);
            ev.grad_norm = gnorm;
            ev.epoch_loss = pg->train_loss;
            ev.epoch_acc = pg->train_acc;
            ev.val_loss = pg->val_loss;
            ev.val_acc = pg->val_acc;
            ev.val_acc_bits = ev.val_acc_argmax = NAN;
            ev.elapsed = now_sec() - t0;
            ev.steps_per_sec = ev.elapsed > 0 ? (double)positions_run / ev.elapsed : 0;
            ev.head = m->net.head;
            {
                int64_t left = (nbatches - bi - 1) + (int64_t)(ts->epochs - pg->epoch - 1) * nbatches;
                ev.eta = batches_run ? ev.elapsed / (double)batches_run * (double)left : 0;
            }
            if (log)
                fprintf(log, "train,%d,%lld,%lld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6g,%lld,%.3f\n",
                        pg->epoch + 1, (long long)bi + 1, (long long)pg->batches, loss, ev.acc,
                        ev.acc_bits, ev.acc_argmax, gnorm, ts->optim.lr, (long long)a.positions,
                        pg->seconds);
            emit(run, &ev);
            if ((shard_on(run) ? shard_stop : run->stop && atomic_load(run->stop)) ||
                (run->max_batches > 0 && batches_run >= run->max_batches)) {
                stopped = true;
                break;
            }
            /* Checkpoints within the epoch (its end makes one anyway): every
             * checkpoint_batches batches (the same batches on every rank), or
             * every checkpoint_secs seconds in one process. */
            if (bi + 1 < nbatches &&
                ((run->checkpoint_batches > 0 && pg->batches % run->checkpoint_batches == 0) ||
                 (!shard_on(run) && run->checkpoint_secs > 0 &&
                  now_sec() - last_ckpt >= run->checkpoint_secs))) {
                if (log)
                    fflush(log);
                pg->seconds = seconds_before + (now_sec() - t0);
                if ((s = checkpoint(m, run, net, clip, &agreed, &snap, err)))
                    goto done;
                last_ckpt = now_sec();
            }
        }
        if (rolled) {
            /* Not finite: back to the last checkpoint with half the rate. */
            int at_epoch = pg->epoch + 1;
            rolled = false;
            if (!snap.ok || ++rollbacks > MAX_ROLLBACKS) {
                if (shard_on(run)) {
                    agreed = true;
                    run->shard->own = dist_rank(run->shard->dist) == 0;
                }
                s = reel_fail(err, REEL_EFORMAT,
                              "the %s became %f at epoch %d batch %lld%s; the last checkpoint "
                              "(%s) is intact: lower the learning rate (--lr) or clip (--clip)",
                              bad_what, (double)bad,
                              at_epoch, (long long)bad_batch,
                              snap.ok ? " after 8 rollbacks" : "", run->out_path);
                goto done;
            }
            snap_restore(&snap, m);
            ts->optim.lr *= 0.5f;
            m->optim.c.lr = ts->optim.lr;
            memset(&ev, 0, sizeof ev);
            ev.kind = TRAIN_EV_ROLLBACK;
            ev.epoch = pg->epoch;
            ev.epochs = ts->epochs;
            ev.batch = pg->batch_in_epoch;
            ev.global_batch = pg->batches;
            ev.loss = bad;
            ev.val_loss = pg->val_loss;
            ev.val_acc = pg->val_acc;
            ev.head = m->net.head;
            {
                char where[64];
                if (pg->batches == 0)
                    snprintf(where, sizeof where, "the start");
                else if (pg->batch_in_epoch == 0)
                    snprintf(where, sizeof where, "the end of epoch %d", pg->epoch);
                else
                    snprintf(where, sizeof where, "epoch %d batch %lld", pg->epoch + 1,
                             (long long)pg->batch_in_epoch);
                snprintf(ev.msg, sizeof ev.msg,
                         "the %s became %g at epoch %d batch %lld: back to the last checkpoint "
                         "(%s), learning rate halved to %g (rollback %d of at most %d)",
                         bad_what, (double)bad, at_epoch, (long long)bad_batch, where,
                         (double)ts->optim.lr, rollbacks, MAX_ROLLBACKS);
            }
            if (log)
                fprintf(log, "rollback,%d,%lld,%lld,%.6f,,,,,%.6g,,%.3f\n", at_epoch,
                        (long long)bad_batch, (long long)pg->batches, (double)bad,
                        ts->optim.lr, pg->seconds);
            emit(run, &ev);
            continue;
        }
        if (!stopped) {
            EvalResult vr;
            if ((s = shard_on(run) ? shard_evaluate(m, val, run, &vr, &agreed, err)
                                   : train_evaluate(m, val, &vr, err)))
                goto done;
            pg->epoch++;
            pg->batch_in_epoch = 0;
            pg->val_loss = vr.positions ? (float)vr.loss : NAN;
            pg->val_acc = vr.positions ? (float)vr.acc : NAN;
            if (vr.positions && vr.loss < pg->best_val_loss)
                pg->best_val_loss = (float)vr.loss;
            memset(&ev, 0, sizeof ev);
            ev.kind = TRAIN_EV_EPOCH;
            ev.epoch = pg->epoch - 1;
            ev.epochs = ts->epochs;
            ev.batch = ev.batches = nbatches;
            ev.global_batch = pg->batches;
            ev.epoch_loss = pg->train_loss;
            ev.epoch_acc = pg->train_acc;
            ev.val_loss = pg->val_loss;
            ev.val_acc = pg->val_acc;
            ev.val_acc_bits = vr.positions ? (float)vr.acc_bits : NAN;
            ev.val_acc_argmax = vr.positions ? (float)vr.acc_argmax : NAN;
            ev.elapsed = now_sec() - t0;
            ev.steps_per_sec = ev.elapsed > 0 ? (double)positions_run / ev.elapsed : 0;
            ev.head = m->net.head;
            if (log)
                fprintf(log, "val,%d,,%lld,%.6f,%.6f,%.6f,%.6f,,,%lld,%.3f\n", pg->epoch,
                        (long long)pg->batches, vr.loss, vr.acc, vr.acc_bits, vr.acc_argmax,
                        (long long)vr.positions, pg->seconds);
            emit(run, &ev);
        }
        /* A checkpoint after every epoch, and when stopping. */
        if (log)
            fflush(log);
        pg->seconds = seconds_before + (now_sec() - t0);
        /* Data-parallel: rank 0 saves, and every rank checks the weights. */
        if ((s = checkpoint(m, run, net, clip, &agreed, &snap, err)))
            goto done;
        last_ckpt = now_sec();
    }
    memset(&ev, 0, sizeof ev);
    ev.kind = stopped ? TRAIN_EV_STOPPED : TRAIN_EV_DONE;
    ev.epoch = pg->epoch;
    ev.epochs = ts->epochs;
    ev.batch = pg->batch_in_epoch;
    ev.global_batch = pg->batches;
    ev.epoch_loss = pg->train_loss;
    ev.epoch_acc = pg->train_acc;
    ev.val_loss = pg->val_loss;
    ev.val_acc = pg->val_acc;
    ev.elapsed = now_sec() - t0;
    ev.steps_per_sec = ev.elapsed > 0 ? (double)positions_run / ev.elapsed : 0;
    ev.head = m->net.head;
    snprintf(ev.msg, sizeof ev.msg, "%s", run->out_path);
    emit(run, &ev);
done:
    if (shard_on(run) && s) {
        /* Ranks that failed before the first batch tell the others there. */
        if (!set_up)
            s = shard_agree(run, s, &agreed, err);
        if (!agreed) {
            run->shard->alone = true;
            run->shard->own = true;
        }
    }
    free(shard_sel);
    shard_xfer_free(&xfer);
    snap_free(&snap);
    m->optim.c.clip_norm = clip;
    if (log)
        fclose(log);
    batch_free(&bb);
    free(win);
    free(order);
    return s;
}
