/* train.c — see train.h. */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

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
    if (d->classes) {
        b->x_ids = malloc(n * sizeof *b->x_ids);
        b->y_ids = malloc(n * sizeof *b->y_ids);
    } else {
        b->x = malloc(n * (size_t)d->width * sizeof *b->x);
        b->y = malloc(n * (size_t)d->width * sizeof *b->y);
    }
    if (!b->mask || (d->classes ? !b->x_ids || !b->y_ids : !b->x || !b->y)) {
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
    nb.x = d->classes ? NULL : b->x;
    nb.x_ids = d->classes ? b->x_ids : NULL;
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
    if (run->cb)
        run->cb(run->user, ev);
}

static void log_header(FILE *f)
{
    fprintf(f, "kind,epoch,batch,global_batch,loss,acc,acc_bits,acc_argmax,grad_norm,lr,"
               "positions,seconds\n");
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

    memset(&bb, 0, sizeof bb);
    if (W < 1 || B < 1)
        return reel_fail(err, REEL_EARG, "window and batch must be at least 1");
    if (train->n_tunes == 0)
        return reel_fail(err, REEL_EEMPTY, "no tune long enough to train on");
    /* The training network: sized for W x B, weights from the model. */
    if ((s = net_new(&net, &m->net, W, B, err)))
        return s;
    np = net_n_params(net);
    memcpy(net_params(net), net_params(m->nn), np * sizeof(float));
    memcpy(net_buffers(net), net_buffers(m->nn), net_n_buffers(net) * sizeof(float));
    net_free(m->nn);
    m->nn = net;
    if (!m->optim.state) {
        OptimConfig oc = ts->optim;
        if ((s = optim_init(&m->optim, &oc, np, err)))
            return s;
    }
    /* The loop clips itself (to log the norm); the optimizer must not again. */
    m->optim.c.clip_norm = 0;
    if (!batch_alloc(&bb, train, W, B))
        return reel_fail(err, REEL_ENOMEM, "out of memory for batches of %d x %d", W, B);
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

    if (pg->batches == 0) {
        /* A fresh run: dropout masks from the seed. */
        rng_seed(&pg->drop_rng, ts->seed ^ 0xD50FD50FD50FD50Full);
    }
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
        nw = data_windows(train, W, &er, &win);
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
            data_fill(train, selp, nb, W, B, bb.x, bb.x_ids, bb.y, bb.y_ids, bb.mask);
            if (selp != sel)
                free(selp);
            /* Time-major: the first T rows of the (W, B) buffers are the batch. */
            view = batch_view(&bb, train, T);
            loss = net_forward(net, &view, true, &pg->drop_rng);
            if (!isfinite(loss)) {
                s = reel_fail(err, REEL_EFORMAT,
                              "the loss became %f at epoch %d batch %lld; the last checkpoint "
                              "(%s) is intact: lower the learning rate (--lr) or clip (--clip)",
                              (double)loss, pg->epoch + 1, (long long)bi + 1, run->out_path);
                goto done;
            }
            count_accuracy(net, &view, &a);
            net_backward(net, &view);
            gnorm = optim_clip(net_grads(net), np, clip);
            optim_step(&m->optim, net_params(net), net_grads(net));

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
            if ((run->stop && atomic_load(run->stop)) ||
                (run->max_batches > 0 && batches_run >= run->max_batches)) {
                stopped = true;
                break;
            }
        }
        if (!stopped) {
            EvalResult vr;
            if ((s = train_evaluate(m, val, &vr, err)))
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
        m->optim.c.clip_norm = clip;
        s = model_save(m, run->out_path, true, err);
        m->optim.c.clip_norm = 0;
        if (s)
            goto done;
        memset(&ev, 0, sizeof ev);
        ev.kind = TRAIN_EV_CHECKPOINT;
        ev.epoch = pg->epoch;
        ev.epochs = ts->epochs;
        ev.global_batch = pg->batches;
        ev.val_loss = pg->val_loss;
        ev.val_acc = pg->val_acc;
        ev.head = m->net.head;
        snprintf(ev.msg, sizeof ev.msg, "%s", run->out_path);
        emit(run, &ev);
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
    m->optim.c.clip_norm = clip;
    if (log)
        fclose(log);
    batch_free(&bb);
    free(win);
    free(order);
    return s;
}
