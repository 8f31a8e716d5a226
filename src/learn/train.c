/* train.c — see train.h. */
#include "awake.h"
#include "clock.h"
#include "shard.h"
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

/* A fresh event of kind k: the epoch under way, the epochs, the head and
 * the last validation; the rest is the caller's. */
static void event_start(TrainEvent *ev, TrainEventKind k, const Model *m)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = k;
    ev->epoch = m->progress.epoch;
    ev->epochs = m->train.epochs;
    ev->head = m->net.head;
    ev->val_loss = m->progress.val_loss;
    ev->val_acc = m->progress.val_acc;
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

/* Every rank says whether it failed (mine); REEL_OK when none did (shard.h,
 * shard_check).  *agreed: the failure is known to every rank. */
static ReelStatus shard_agree(const TrainRun *run, ReelStatus mine, bool *agreed, ReelError *err)
{
    int who;
    ReelStatus s = shard_check(run->shard->dist, mine, &who, err);
    if (s && who != SHARD_UNKNOWN) {
        *agreed = true;
        run->shard->own = mine != REEL_OK;
    }
    return s;
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
    event_start(&ev, TRAIN_EV_CHECKPOINT, m);
    ev.batch = m->progress.batch_in_epoch;
    ev.global_batch = m->progress.batches;
    snprintf(ev.msg, sizeof ev.msg, "%s", run->out_path);
    emit(run, &ev);
    return REEL_OK;
}

/* ---- the loop, in its parts -------------------------------------------------
 *
 * train_run: loop_open (the training network, the optimizer, the batch
 * buffers, the log, the data-parallel set-up), then epochs of batches
 * (loop_epoch_open cuts and shuffles the windows; loop_batch runs one:
 * forward and backward, the step, the log line and event, the checkpoints
 * within the epoch); a value that is not finite ends the epoch in
 * loop_rollback; an epoch's end is loop_validate and a checkpoint. */

typedef struct {
    Model *m;
    const Dataset *train, *val;
    const Dataset *cut;         /* the windows are cut on it: train, or every rank's (TrainShard) */
    const TrainRun *run;
    int W, B;
    Net *net;                   /* m->nn, sized W x B */
    size_t np;
    float clip;                 /* the settings' clip norm (the loop clips, not the optimizer) */
    BatchBuf bb;
    Window *sel;                /* (B) the windows of the batch under way */
    FILE *log;
    /* the epoch under way */
    Window *win;
    int32_t *order;
    int64_t nw, nbatches;
    double loss_sum;
    AccCount acc;
    /* this run */
    double t0, seconds_before, last_ckpt;
    int64_t positions_run, batches_run;
    bool stopped;
    /* data-parallel */
    Window *shard_sel;
    ShardXfer xfer;
    bool shard_stop, agreed, set_up;
    /* rollback */
    Snapshot snap;
    bool rolled;
    int rollbacks;
    float bad;
    const char *bad_what;
    int64_t bad_batch;
    Awake *awake;          /* the time suspended (SIGSTOP) is not training time */
} Loop;

/* Seconds of this run, the time the process was suspended left out. */
static double loop_elapsed(const Loop *L)
{
    return now_sec() - L->t0 - awake_suspended(L->awake);
}

static double loop_rate(const Loop *L, double elapsed)
{
    return elapsed > 0 ? (double)L->positions_run / elapsed : 0;
}

/* The training network, the optimizer, buffers, the log; the START event. */
static ReelStatus loop_open(Loop *L, ReelError *err)
{
    Model *m = L->m;
    const TrainRun *run = L->run;
    TrainProgress *pg = &m->progress;
    ReelStatus s = REEL_OK;
    TrainEvent ev;
    /* The training network: sized for W x B, weights from the model. */
    if ((s = net_new(&L->net, &m->net, L->W, L->B, err)))
        return s;
    L->np = net_n_params(L->net);
    memcpy(net_params(L->net), net_params(m->nn), L->np * sizeof(float));
    memcpy(net_buffers(L->net), net_buffers(m->nn), net_n_buffers(L->net) * sizeof(float));
    net_free(m->nn);
    m->nn = L->net;
    if (!m->optim.state) {
        OptimConfig oc = m->train.optim;
        if ((s = optim_init(&m->optim, &oc, L->np, err)))
            return s;
    }
    /* The loop clips itself (to log the norm); the optimizer must not again. */
    m->optim.c.clip_norm = 0;
    if (!batch_alloc(&L->bb, L->train, L->W, L->B) ||
        !(L->sel = malloc((size_t)L->B * sizeof *L->sel)))
        return reel_fail(err, REEL_ENOMEM, "out of memory for batches of %d x %d", L->W, L->B);
    if (run->log_path) {
        bool fresh = pg->batches == 0;
        L->log = fopen(run->log_path, fresh ? "w" : "a");
        if (!L->log)
            return reel_fail(err, REEL_EIO, "%s: cannot write the training log: %s",
                             run->log_path, strerror(errno));
        if (fresh)
            log_header(L->log);
    }
    if (shard_on(run)) {
        /* Every rank set up (or says it failed) before the first batch. */
        L->set_up = true;
        if (!(L->shard_sel = malloc((size_t)L->B * sizeof *L->shard_sel)) ||
            !shard_xfer_init(&L->xfer, L->train, run->shard, L->W, L->B))
            s = reel_fail(err, REEL_ENOMEM, "out of memory");
        if ((s = shard_agree(run, s, &L->agreed, err)))
            return s;
    }
    if (pg->batches == 0) {
        /* A fresh run: dropout masks from the seed. */
        rng_seed(&pg->drop_rng, m->train.seed ^ 0xD50FD50FD50FD50Full);
    }
    /* where a non-finite loss goes back to until the first checkpoint */
    (void)snap_take(&L->snap, m);
    event_start(&ev, TRAIN_EV_START, m);
    ev.val_acc_bits = ev.val_acc_argmax = NAN;
    emit(run, &ev);
    return REEL_OK;
}

/* The epoch's windows, in its shuffled order; the sums of the batches a
 * resumed epoch has done. */
static ReelStatus loop_epoch_open(Loop *L, ReelError *err)
{
    TrainProgress *pg = &L->m->progress;
    Rng er = epoch_rng(L->m->train.seed, pg->epoch);
    pg->epoch_rng = er;
    free(L->win);
    free(L->order);
    L->order = NULL;
    L->nw = data_windows(L->cut, L->W, &er, &L->win);
    if (L->nw < 0 || !(L->order = malloc((size_t)(L->nw ? L->nw : 1) * sizeof *L->order)))
        return reel_fail(err, REEL_ENOMEM, "out of memory for the epoch's windows");
    for (int64_t i = 0; i < L->nw; i++)
        L->order[i] = (int32_t)i;
    rng_shuffle_i32(&er, L->order, L->nw);
    L->nbatches = (L->nw + L->B - 1) / L->B;
    if (pg->batch_in_epoch < 0 || pg->batch_in_epoch > L->nbatches)
        return reel_fail(err, REEL_EFORMAT,
                         "the model stopped at batch %lld of epoch %d, but this corpus gives %lld "
                         "batches an epoch (was it trained on another corpus?)",
                         (long long)pg->batch_in_epoch, pg->epoch + 1, (long long)L->nbatches);
    if (pg->batch_in_epoch == 0)
        pg->train_loss = pg->train_acc = 0;
    /* Resumed mid-epoch: the batches before batch_in_epoch are done.  Their
     * running loss is what the checkpoint kept. */
    L->loss_sum = (double)pg->train_loss * (double)pg->batch_in_epoch;
    L->acc = (AccCount){(double)pg->train_acc * (double)pg->batch_in_epoch, 0, 0,
                        pg->batch_in_epoch};
    return REEL_OK;
}

/* Something became what it is (not finite) in batch bi: roll back. */
static void loop_bad(Loop *L, float bad, const char *what, int64_t bi)
{
    L->bad = bad;
    L->bad_what = what;
    L->bad_batch = bi + 1;
    L->rolled = true;
}

/* Forward and backward over batch bi (on several ranks: this rank's part,
 * and then the sums); *loss and *a are the whole batch's. */
static ReelStatus batch_compute(Loop *L, int64_t bi, float *loss, AccCount *a, ReelError *err)
{
    int64_t from = bi * L->B;
    int nb = (int)(L->nw - from < L->B ? L->nw - from : L->B), T = 0;
    NetBatch view;
    for (int k = 0; k < nb; k++) {
        L->sel[k] = L->win[L->order[from + k]];
        if (L->sel[k].len > T)
            T = L->sel[k].len;
    }
    if (shard_on(L->run))
        return shard_batch(L->m, L->train, L->run, &L->bb, &L->xfer, L->sel, nb, L->shard_sel,
                           L->m->progress.batches, loss, a, &L->shard_stop, err);
    data_fill(L->train, L->sel, nb, L->W, L->B, L->bb.x, L->bb.x_ids, L->bb.y, L->bb.y_ids,
              L->bb.mask);
    /* Time-major: the first T rows of the (W, B) buffers are the batch. */
    view = batch_view(&L->bb, L->train, T);
    *loss = net_forward(L->net, &view, true, &L->m->progress.drop_rng);
    if (!isfinite(*loss))
        return REEL_OK;
    count_accuracy(L->net, &view, a);
    net_backward(L->net, &view);
    return REEL_OK;
}

/* After batch bi's step: the progress, its log line and event. */
static void batch_report(Loop *L, int64_t bi, float loss, float gnorm, const AccCount *a)
{
    Model *m = L->m;
    TrainProgress *pg = &m->progress;
    const TrainSettings *ts = &m->train;
    TrainEvent ev;
    int64_t left;
    pg->batches++;
    pg->batch_in_epoch = bi + 1;
    L->batches_run++;
    L->positions_run += a->positions;
    L->loss_sum += loss;
    L->acc.right += share(a->right, a->positions);
    L->acc.positions++;
    pg->train_loss = (float)(L->loss_sum / (double)(bi + 1));
    pg->train_acc = (float)(L->acc.right / (double)(bi + 1));
    pg->seconds = L->seconds_before + loop_elapsed(L);

    event_start(&ev, TRAIN_EV_BATCH, m);
    ev.batch = bi + 1;
    ev.batches = L->nbatches;
    ev.global_batch = pg->batches;
    ev.loss = loss;
    ev.acc = (float)share(a->right, a->positions);
    ev.acc_bits = (float)share(a->right_bits, a->positions);
    ev.acc_argmax = (float)share(a->right_argmax, a->positions);
    ev.grad_norm = gnorm;
    ev.epoch_loss = pg->train_loss;
    ev.epoch_acc = pg->train_acc;
    ev.val_acc_bits = ev.val_acc_argmax = NAN;
    ev.elapsed = loop_elapsed(L);
    ev.steps_per_sec = loop_rate(L, ev.elapsed);
    left = (L->nbatches - bi - 1) + (int64_t)(ts->epochs - pg->epoch - 1) * L->nbatches;
    ev.eta = L->batches_run ? ev.elapsed / (double)L->batches_run * (double)left : 0;
    if (L->log)
        fprintf(L->log, "train,%d,%lld,%lld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6g,%lld,%.3f\n",
                pg->epoch + 1, (long long)bi + 1, (long long)pg->batches, loss, ev.acc,
                ev.acc_bits, ev.acc_argmax, gnorm, ts->optim.lr, (long long)a->positions,
                pg->seconds);
    emit(L->run, &ev);
}

/* A checkpoint: the log flushed, the time counted, the file saved. */
static ReelStatus loop_checkpoint(Loop *L, ReelError *err)
{
    ReelStatus s;
    if (L->log)
        fflush(L->log);
    L->m->progress.seconds = L->seconds_before + loop_elapsed(L);
    if ((s = checkpoint(L->m, L->run, L->net, L->clip, &L->agreed, &L->snap, err)))
        return s;
    L->last_ckpt = now_sec();
    return REEL_OK;
}

/* Batch bi: compute, step, report; then a stop or a checkpoint when due.
 * Sets L->rolled (a value not finite) or L->stopped. */
static ReelStatus loop_batch(Loop *L, int64_t bi, ReelError *err)
{
    const TrainRun *run = L->run;
    AccCount a = {0, 0, 0, 0};
    float loss, gnorm;
    ReelStatus s;
    if ((s = batch_compute(L, bi, &loss, &a, err)))
        return s;
    if (!isfinite(loss)) {
        /* on several ranks, the whole batch's: every rank rolls back alike */
        loop_bad(L, loss, "loss", bi);
        return REEL_OK;
    }
    gnorm = optim_clip(net_grads(L->net), L->np, L->clip);
    if (!isfinite(gnorm)) { /* after the allreduce: the same on every rank */
        loop_bad(L, gnorm, "gradient", bi);
        return REEL_OK;
    }
    optim_step(&L->m->optim, net_params(L->net), net_grads(L->net));
    if (!all_finite(net_params(L->net), L->np)) { /* the weights are the same on every rank */
        /* an update overflowed, or a weight was not finite with no gradient */
        loop_bad(L, NAN, "weights", bi);
        return REEL_OK;
    }
    batch_report(L, bi, loss, gnorm, &a);
    if ((shard_on(run) ? L->shard_stop : run->stop && atomic_load(run->stop)) ||
        (run->max_batches > 0 && L->batches_run >= run->max_batches)) {
        L->stopped = true;
        return REEL_OK;
    }
    /* Checkpoints within the epoch (its end makes one anyway): every
     * checkpoint_batches batches (the same batches on every rank), or
     * every checkpoint_secs seconds in one process. */
    if (bi + 1 < L->nbatches &&
        ((run->checkpoint_batches > 0 && L->m->progress.batches % run->checkpoint_batches == 0) ||
         (!shard_on(run) && run->checkpoint_secs > 0 &&
          now_sec() - L->last_ckpt >= run->checkpoint_secs)))
        return loop_checkpoint(L, err);
    return REEL_OK;
}

/* Not finite: back to the last checkpoint with half the rate, or fail
 * after MAX_ROLLBACKS. */
static ReelStatus loop_rollback(Loop *L, ReelError *err)
{
    Model *m = L->m;
    TrainProgress *pg = &m->progress;
    TrainSettings *ts = &m->train;
    const TrainRun *run = L->run;
    int at_epoch = pg->epoch + 1;
    TrainEvent ev;
    char where[64];
    L->rolled = false;
    if (!L->snap.ok || ++L->rollbacks > MAX_ROLLBACKS) {
        if (shard_on(run)) {
            L->agreed = true;
            run->shard->own = dist_rank(run->shard->dist) == 0;
        }
        return reel_fail(err, REEL_EFORMAT,
                         "the %s became %f at epoch %d batch %lld%s; the last checkpoint "
                         "(%s) is intact: lower the learning rate (--lr) or clip (--clip)",
                         L->bad_what, (double)L->bad, at_epoch, (long long)L->bad_batch,
                         L->snap.ok ? " after 8 rollbacks" : "", run->out_path);
    }
    snap_restore(&L->snap, m);
    ts->optim.lr *= 0.5f;
    m->optim.c.lr = ts->optim.lr;
    event_start(&ev, TRAIN_EV_ROLLBACK, m);
    ev.batch = pg->batch_in_epoch;
    ev.global_batch = pg->batches;
    ev.loss = L->bad;
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
             L->bad_what, (double)L->bad, at_epoch, (long long)L->bad_batch, where,
             (double)ts->optim.lr, L->rollbacks, MAX_ROLLBACKS);
    if (L->log)
        fprintf(L->log, "rollback,%d,%lld,%lld,%.6f,,,,,%.6g,,%.3f\n", at_epoch,
                (long long)L->bad_batch, (long long)pg->batches, (double)L->bad, ts->optim.lr,
                pg->seconds);
    emit(run, &ev);
    return REEL_OK;
}

/* The epoch is done: validation, its log line and the EPOCH event. */
static ReelStatus loop_validate(Loop *L, ReelError *err)
{
    Model *m = L->m;
    TrainProgress *pg = &m->progress;
    EvalResult vr;
    TrainEvent ev;
    ReelStatus s;
    if ((s = shard_on(L->run) ? shard_evaluate(m, L->val, L->run, &vr, &L->agreed, err)
                              : train_evaluate(m, L->val, &vr, err)))
        return s;
    pg->epoch++;
    pg->batch_in_epoch = 0;
    pg->val_loss = vr.positions ? (float)vr.loss : NAN;
    pg->val_acc = vr.positions ? (float)vr.acc : NAN;
    if (vr.positions && vr.loss < pg->best_val_loss)
        pg->best_val_loss = (float)vr.loss;
    event_start(&ev, TRAIN_EV_EPOCH, m);
    ev.epoch = pg->epoch - 1;
    ev.batch = ev.batches = L->nbatches;
    ev.global_batch = pg->batches;
    ev.epoch_loss = pg->train_loss;
    ev.epoch_acc = pg->train_acc;
    ev.val_acc_bits = vr.positions ? (float)vr.acc_bits : NAN;
    ev.val_acc_argmax = vr.positions ? (float)vr.acc_argmax : NAN;
    ev.elapsed = loop_elapsed(L);
    ev.steps_per_sec = loop_rate(L, ev.elapsed);
    if (L->log)
        fprintf(L->log, "val,%d,,%lld,%.6f,%.6f,%.6f,%.6f,,,%lld,%.3f\n", pg->epoch,
                (long long)pg->batches, vr.loss, vr.acc, vr.acc_bits, vr.acc_argmax,
                (long long)vr.positions, pg->seconds);
    emit(L->run, &ev);
    return REEL_OK;
}

/* One epoch (or what is left of it): its batches, then a rollback, or
 * validation, and a checkpoint. */
static ReelStatus loop_epoch(Loop *L, ReelError *err)
{
    ReelStatus s;
    if ((s = loop_epoch_open(L, err)))
        return s;
    for (int64_t bi = L->m->progress.batch_in_epoch; bi < L->nbatches; bi++) {
        if ((s = loop_batch(L, bi, err)))
            return s;
        if (L->rolled || L->stopped)
            break;
    }
    if (L->rolled)
        return loop_rollback(L, err);
    if (!L->stopped && (s = loop_validate(L, err)))
        return s;
    /* A checkpoint after every epoch, and when stopping.  Data-parallel:
     * rank 0 saves, and every rank checks the weights. */
    return loop_checkpoint(L, err);
}

/* Every epoch done, or stopped: the last event. */
static void loop_end(Loop *L)
{
    Model *m = L->m;
    TrainProgress *pg = &m->progress;
    TrainEvent ev;
    event_start(&ev, L->stopped ? TRAIN_EV_STOPPED : TRAIN_EV_DONE, m);
    ev.batch = pg->batch_in_epoch;
    ev.global_batch = pg->batches;
    ev.epoch_loss = pg->train_loss;
    ev.epoch_acc = pg->train_acc;
    ev.elapsed = loop_elapsed(L);
    ev.steps_per_sec = loop_rate(L, ev.elapsed);
    snprintf(ev.msg, sizeof ev.msg, "%s", L->run->out_path);
    emit(L->run, &ev);
}

static ReelStatus loop_close(Loop *L, ReelStatus s, ReelError *err)
{
    const TrainRun *run = L->run;
    if (shard_on(run) && s) {
        /* Ranks that failed before the first batch tell the others there. */
        if (!L->set_up)
            s = shard_agree(run, s, &L->agreed, err);
        if (!L->agreed) {
            run->shard->alone = true;
            run->shard->own = true;
        }
    }
    free(L->shard_sel);
    shard_xfer_free(&L->xfer);
    snap_free(&L->snap);
    L->m->optim.c.clip_norm = L->clip;
    if (L->log)
        fclose(L->log);
    batch_free(&L->bb);
    free(L->sel);
    free(L->win);
    free(L->order);
    return s;
}

ReelStatus train_run(Model *m, const Dataset *train, const Dataset *val, const TrainRun *run,
                     ReelError *err)
{
    Loop L;
    ReelStatus s;
    memset(&L, 0, sizeof L);
    L.m = m;
    L.train = train;
    L.val = val;
    /* Data-parallel (TrainShard): the epoch is cut on every rank's tunes. */
    L.cut = shard_on(run) ? run->shard->all : train;
    L.run = run;
    L.W = m->train.window;
    L.B = m->train.batch;
    L.clip = m->train.optim.clip_norm;
    L.t0 = L.last_ckpt = now_sec();
    L.seconds_before = m->progress.seconds;
    L.bad_what = "loss";
    if (L.W < 1 || L.B < 1)
        return reel_fail(err, REEL_EARG, "window and batch must be at least 1");
    if (L.cut->n_tunes == 0)
        return reel_fail(err, REEL_EEMPTY, "no tune long enough to train on");
    L.awake = awake_start();
    s = loop_open(&L, err);
    while (!s && m->progress.epoch < m->train.epochs && !L.stopped)
        s = loop_epoch(&L, err);
    if (!s)
        loop_end(&L);
    s = loop_close(&L, s, err);
    awake_stop(L.awake);
    return s;
}
