/* test_nn.c — the network against a naive double-precision reference and
 * against finite differences.
 *
 *   1. Losses of a tiny net worked out by hand, for the three heads, masks.
 *   2. Forward (loss and outputs) against ref_forward below: the whole net
 *      written as plain loops in double, from nn.c's documented semantics.
 *   3. Backward against central finite differences, every parameter of
 *      every tensor, in two ways:
 *        a. of ref_forward in double (h = 1e-6): tight, for nets without
 *           dropout;
 *        b. of net_forward itself (float; Richardson extrapolation of the
 *           first two agreeing central differences of h = 4e-2, 2e-2, ...
 *           1/400), for every net including dropout, where a copy of the
 *           Rng taken before the forward makes every evaluation draw the
 *           same masks.  A parameter where no two agree (not smooth at
 *           these steps) is skipped and counted; at most 2% may be.
 *      The largest relative error of each tensor is printed.
 *   4. Step-by-step generation (net_step) against net_forward in inference,
 *      and on an fp16 copy of the weights (net_half_build) against float.
 *   5. Padding does not count; determinism; dropout's masks; init.
 */
#include <math.h>
#include <stdint.h>

#include "blas.h"
#include "nn.h"
#include "testlib.h"

#define MAXT 64
#ifndef HSELF
#define HSELF 4e-2f /* the larger step of the float check */
#endif

/* ---- data ----------------------------------------------------------------- */

typedef struct {
    NetBatch b;
    float *x, *y, *mask;
    int32_t *xid, *yid;
} Data;

/* Random inputs and targets.  pad: sequence b is T - (b % (pad + 1)) steps
 * long, the rest masked (pad 0: no mask). multihot: 0/1 float inputs. */
static void data_make(Data *d, const NetConfig *c, int T, int B, Rng *r, int pad, bool multihot)
{
    size_t P = (size_t)T * B;
    memset(d, 0, sizeof *d);
    d->x = calloc(P * (size_t)c->n_in, sizeof(float));
    d->y = calloc(P * (size_t)c->n_out, sizeof(float));
    d->mask = calloc(P, sizeof(float));
    d->xid = calloc(P, sizeof(int32_t));
    d->yid = calloc(P, sizeof(int32_t));
    REQUIRE(d->x && d->y && d->mask && d->xid && d->yid, "out of memory");
    for (size_t i = 0; i < P * (size_t)c->n_in; i++)
        d->x[i] = multihot ? (rng_float(r) < 0.25f ? 1.0f : 0.0f) : 2.0f * rng_float(r) - 1.0f;
    for (size_t i = 0; i < P * (size_t)c->n_out; i++)
        d->y[i] = c->head == HEAD_SIGMOID_BCE ? (rng_float(r) < 0.4f ? 1.0f : 0.0f)
                                              : 2.0f * rng_float(r) - 1.0f;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            size_t p = (size_t)t * B + b;
            d->xid[p] = (int32_t)rng_below(r, (uint64_t)c->n_in);
            d->yid[p] = (int32_t)rng_below(r, (uint64_t)c->n_out);
            d->mask[p] = t < T - (b % (pad + 1)) ? 1.0f : 0.0f;
        }
    d->b.T = T;
    d->b.B = B;
    d->b.x = c->in_classes ? NULL : d->x;
    d->b.x_ids = c->in_classes ? d->xid : NULL;
    d->b.y = c->head == HEAD_SOFTMAX_CE ? NULL : d->y;
    d->b.y_ids = c->head == HEAD_SOFTMAX_CE ? d->yid : NULL;
    d->b.mask = pad ? d->mask : NULL;
}

static void data_free(Data *d)
{
    free(d->x);
    free(d->y);
    free(d->mask);
    free(d->xid);
    free(d->yid);
}

static NetConfig config(int n_in, bool classes, int H, int layers, int dense, bool bn, float drop,
                        float rdrop, int n_out, HeadKind head)
{
    NetConfig c;
    memset(&c, 0, sizeof c);
    c.n_in = n_in;
    c.in_classes = classes;
    c.hidden = H;
    c.layers = layers;
    c.dense = dense;
    c.batchnorm = bn;
    c.dropout = drop;
    c.rec_dropout = rdrop;
    c.n_out = n_out;
    c.head = head;
    return c;
}

/* A net initialised from seed, then every parameter nudged so that biases,
 * beta and gamma are not all 0 and 1. */
static Net *net_make(const NetConfig *c, int T, int B, uint64_t seed)
{
    Net *n;
    ReelError e;
    Rng r;
    REQUIRE(net_new(&n, c, T, B, &e) == REEL_OK, "net_new: %s", e.msg);
    rng_seed(&r, seed);
    net_init(n, &r);
    for (size_t i = 0; i < net_n_params(n); i++)
        net_params(n)[i] += 0.2f * (float)rng_normal(&r);
    return n;
}

static const NetTensor *tensor(const Net *n, const char *name)
{
    static NetTensor t[256];
    int k = net_tensors(n, t, 256);
    for (int i = 0; i < k; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

/* ---- the reference: the whole net in double, plain loops ------------------ */

static double sigm(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* p: parameters (layout of nn.c), buf: batch-norm running statistics.
 * training: batch statistics for batch norm (no dropout here).  out: the
 * head outputs (T, B, n_out), may be NULL.  Returns the mean loss. */
static double ref_forward(const Net *n, const double *p, const double *buf, const NetBatch *bt,
                          bool training, double *out)
{
    const NetConfig *c = net_config(n);
    int T = bt->T, B = bt->B, H = c->hidden, D = c->dense, K = c->n_out;
    size_t P = (size_t)T * B;
    int F = H, bnoff = 0;
    int X = H > c->n_in ? H : c->n_in;
    double *x = calloc(P * (size_t)(X > D ? X : D), sizeof(double));
    double *h = calloc(P * (size_t)H, sizeof(double)), *cs = calloc((size_t)B * H, sizeof(double));
    double *z = calloc(P * (size_t)(H > D ? H : D), sizeof(double));
    double *w = calloc(P, sizeof(double)), W = 0, loss = 0;
    double a[4 * 64];
    char name[32];
    REQUIRE(x && h && cs && z && w && H <= 64, "reference setup");

    for (size_t q = 0; q < P; q++) {
        w[q] = bt->mask ? bt->mask[q] : 1.0;
        if (c->head == HEAD_SOFTMAX_CE && (bt->y_ids[q] < 0 || bt->y_ids[q] >= K))
            w[q] = 0;
        W += w[q];
    }
    if (!c->in_classes)
        for (size_t i = 0; i < P * (size_t)c->n_in; i++)
            x[i] = bt->x[i];
    for (int l = 0; l < c->layers; l++) {
        int I = l == 0 ? c->n_in : H;
        const double *Wx, *Wh, *bias;
        snprintf(name, sizeof name, "lstm%d.Wx", l);
        Wx = p + tensor(n, name)->offset;
        snprintf(name, sizeof name, "lstm%d.Wh", l);
        Wh = p + tensor(n, name)->offset;
        snprintf(name, sizeof name, "lstm%d.b", l);
        bias = p + tensor(n, name)->offset;
        memset(cs, 0, (size_t)B * H * sizeof(double));
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                size_t q = (size_t)t * B + b;
                for (int j = 0; j < 4 * H; j++) {
                    double s = bias[j];
                    if (l == 0 && c->in_classes) {
                        int id = bt->x_ids[q];
                        if (id >= 0 && id < c->n_in)
                            s += Wx[(size_t)id * 4 * H + j];
                    } else {
                        for (int i = 0; i < I; i++)
                            s += x[q * I + i] * Wx[(size_t)i * 4 * H + j];
                    }
                    if (t > 0)
                        for (int i = 0; i < H; i++)
                            s += h[(q - B) * H + i] * Wh[(size_t)i * 4 * H + j];
                    a[j] = s;
                }
                for (int j = 0; j < H; j++) {
                    double ig = sigm(a[j]), fg = sigm(a[H + j]), gg = tanh(a[2 * H + j]);
                    double og = sigm(a[3 * H + j]);
                    cs[b * H + j] = fg * cs[b * H + j] + ig * gg;
                    h[q * H + j] = og * tanh(cs[b * H + j]);
                }
            }
        memcpy(x, h, P * (size_t)H * sizeof(double));
    }
    memcpy(z, h, P * (size_t)H * sizeof(double));
    for (int stage = 0; stage < 2; stage++) {
        /* stage 0: [bn1] on the stack's output; stage 1: dense, ReLU, [bn2] */
        if (stage == 1) {
            const double *Wd, *bd;
            if (!D)
                break;
            Wd = p + tensor(n, "dense.W")->offset;
            bd = p + tensor(n, "dense.b")->offset;
            for (size_t q = 0; q < P; q++)
                for (int j = 0; j < D; j++) {
                    double s = bd[j];
                    for (int i = 0; i < H; i++)
                        s += x[q * H + i] * Wd[(size_t)i * D + j];
                    z[q * D + j] = s > 0 ? s : 0;
                }
            F = D;
        }
        if (c->batchnorm) {
            const double *gamma = p + tensor(n, stage ? "bn2.gamma" : "bn1.gamma")->offset;
            const double *beta = p + tensor(n, stage ? "bn2.beta" : "bn1.beta")->offset;
            for (int f = 0; f < F; f++) {
                double mean = 0, var = 0;
                if (training) {
                    for (size_t q = 0; q < P; q++)
                        mean += w[q] * z[q * F + f];
                    mean = W > 0 ? mean / W : 0;
                    for (size_t q = 0; q < P; q++)
                        var += w[q] * (z[q * F + f] - mean) * (z[q * F + f] - mean);
                    var = W > 0 ? var / W : 0;
                } else {
                    mean = buf[bnoff + f];
                    var = buf[bnoff + F + f];
                }
                for (size_t q = 0; q < P; q++)
                    z[q * F + f] = gamma[f] * (z[q * F + f] - mean) / sqrt(var + 1e-3) + beta[f];
            }
            bnoff += 2 * F;
        }
        memcpy(x, z, P * (size_t)F * sizeof(double));
    }
    {
        const double *Wo = p + tensor(n, "head.W")->offset, *bo = p + tensor(n, "head.b")->offset;
        for (size_t q = 0; q < P; q++) {
            double lg[64], o[64], lp = 0;
            REQUIRE(K <= 64, "reference: too many outputs");
            for (int k = 0; k < K; k++) {
                lg[k] = bo[k];
                for (int i = 0; i < F; i++)
                    lg[k] += x[q * F + i] * Wo[(size_t)i * K + k];
            }
            if (c->head == HEAD_SIGMOID_BCE) {
                for (int k = 0; k < K; k++) {
                    double y = bt->y[q * K + k];
                    o[k] = sigm(lg[k]);
                    lp -= (y * log(o[k]) + (1 - y) * log(1 - o[k])) / K;
                }
            } else if (c->head == HEAD_SOFTMAX_CE) {
                double s = 0;
                for (int k = 0; k < K; k++)
                    s += exp(lg[k]);
                for (int k = 0; k < K; k++)
                    o[k] = exp(lg[k]) / s;
                if (w[q] != 0)
                    lp = -log(o[bt->y_ids[q]]);
            } else {
                for (int k = 0; k < K; k++) {
                    o[k] = lg[k];
                    lp += (lg[k] - bt->y[q * K + k]) * (lg[k] - bt->y[q * K + k]) / K;
                }
            }
            if (out)
                memcpy(out + q * K, o, (size_t)K * sizeof(double));
            loss += w[q] * lp;
        }
    }
    free(x);
    free(h);
    free(cs);
    free(z);
    free(w);
    return W > 0 ? loss / W : 0;
}

/* ---- gradient checks ------------------------------------------------------ */

typedef struct {
    double worst[64];     /* per tensor: largest relative error */
    double worst_all;
    int skipped, checked;
} GradReport;

static double relerr(double a, double b, double floor)
{
    double s = fmax(fmax(fabs(a), fabs(b)), floor);
    return fabs(a - b) / s;
}

static void print_report(const char *label, const Net *n, const GradReport *g)
{
    NetTensor t[64];
    int k = net_tensors(n, t, 64);
    fprintf(stderr, "  %-44s max rel err %.2e (%d checked%s", label, g->worst_all, g->checked,
            g->skipped ? ", " : ")\n");
    if (g->skipped)
        fprintf(stderr, "%d skipped: not smooth at the step)\n", g->skipped);
    for (int i = 0; i < k; i++)
        fprintf(stderr, "      %-10s %.2e\n", t[i].name, g->worst[i]);
}

/* 3a: analytic gradients (net_grads after a training forward/backward) vs
 * central differences of the double reference. */
static GradReport check_vs_ref(Net *n, const Data *d, bool training, double tol, const char *label)
{
    GradReport g;
    NetTensor t[64];
    int k = net_tensors(n, t, 64);
    size_t np = net_n_params(n), nb = net_n_buffers(n);
    double *p = malloc(np * sizeof(double)), *buf = malloc((nb + 1) * sizeof(double));
    float *grad = malloc(np * sizeof(float));
    Rng r;
    memset(&g, 0, sizeof g);
    REQUIRE(p && buf && grad, "out of memory");
    rng_seed(&r, 1);
    for (size_t i = 0; i < nb; i++)
        buf[i] = net_buffers(n)[i]; /* before the forward updates them */
    net_forward(n, &d->b, training, &r);
    net_backward(n, &d->b);
    memcpy(grad, net_grads(n), np * sizeof(float));
    for (size_t i = 0; i < np; i++)
        p[i] = net_params(n)[i];
    for (int ti = 0; ti < k; ti++)
        for (size_t i = t[ti].offset; i < t[ti].offset + (size_t)t[ti].rows * t[ti].cols; i++) {
            double save = p[i], hstep = 1e-6, lp, lm, num, e;
            p[i] = save + hstep;
            lp = ref_forward(n, p, buf, &d->b, training, NULL);
            p[i] = save - hstep;
            lm = ref_forward(n, p, buf, &d->b, training, NULL);
            p[i] = save;
            num = (lp - lm) / (2 * hstep);
            e = relerr(grad[i], num, 1e-4);
            g.checked++;
            if (e > g.worst[ti])
                g.worst[ti] = e;
            if (e > g.worst_all)
                g.worst_all = e;
            if (e > tol)
                CHECK(e <= tol, "%s: %s[%zu] analytic %.8g, numeric %.8g", label, t[ti].name,
                      i - t[ti].offset, (double)grad[i], num);
        }
    print_report(label, n, &g);
    free(p);
    free(buf);
    free(grad);
    return g;
}

/* The loss of net_forward with the parameters as they are and the dropout
 * masks of *r0 (a copy is used: every call draws the same masks). */
static double loss_at(Net *n, const Data *d, bool training, const Rng *r0)
{
    Rng r = *r0;
    return net_forward(n, &d->b, training, &r);
}

/* 3b: analytic vs central differences of net_forward itself. */
static GradReport check_vs_self(Net *n, const Data *d, bool training, double tol, const char *label,
                                const float *corrupt_grad)
{
    GradReport g;
    NetTensor t[64];
    int k = net_tensors(n, t, 64);
    size_t np = net_n_params(n);
    float *grad = malloc(np * sizeof(float)), *p = net_params(n);
    Rng r0;
    memset(&g, 0, sizeof g);
    REQUIRE(grad, "out of memory");
    if (net_config(n)->dense && !corrupt_grad) {
        /* Keep every ReLU away from its kink (the steps below are large, and
         * with batch norm after the ReLU a kink anywhere moves every
         * position): small weights, biases +-2, so half the units are
         * always on and half always off. */
        const NetTensor *wd = tensor(n, "dense.W"), *bd = tensor(n, "dense.b");
        for (int i = 0; i < wd->rows * wd->cols; i++)
            p[wd->offset + (size_t)i] *= 0.3f;
        for (int j = 0; j < bd->cols; j++)
            p[bd->offset + (size_t)j] = j % 2 ? -2.0f : 2.0f;
    }
    rng_seed(&r0, 99);
    loss_at(n, d, training, &r0);
    net_backward(n, &d->b);
    memcpy(grad, corrupt_grad ? corrupt_grad : net_grads(n), np * sizeof(float));
    for (int ti = 0; ti < k; ti++)
        for (size_t i = t[ti].offset; i < t[ti].offset + (size_t)t[ti].rows * t[ti].cols; i++) {
            float save = p[i];
            double dd[5], num, e;
            int lv, ok = 0;
            /* Central differences at h, h/2, h/4, ...: the first two that
             * agree (the loss is smooth enough there) are extrapolated. */
            for (lv = 0; lv < 5 && !ok; lv++) {
                float hstep = HSELF / (float)(1 << lv), up, dn;
                p[i] = save + hstep;
                up = p[i] - save; /* the step as stored */
                dd[lv] = loss_at(n, d, training, &r0);
                p[i] = save - hstep;
                dn = save - p[i];
                dd[lv] = (dd[lv] - loss_at(n, d, training, &r0)) / ((double)up + dn);
                ok = lv > 0 && fabs(dd[lv - 1] - dd[lv]) <=
                                   0.05 * fmax(fabs(dd[lv - 1]), fabs(dd[lv])) + 2e-3;
            }
            p[i] = save;
            if (!ok) {
                g.skipped++;
                if (getenv("NN_DEBUG"))
                    fprintf(stderr, "skip %s[%zu]: %.6g %.6g (analytic %.6g)\n", t[ti].name,
                            i - t[ti].offset, dd[0], dd[4], (double)grad[i]);
                continue;
            }
            num = (4 * dd[lv - 1] - dd[lv - 2]) / 3;
            e = relerr(grad[i], num, 5e-3); /* float noise of the loss: ~2e-5 */
            g.checked++;
            if (e > g.worst[ti])
                g.worst[ti] = e;
            if (e > g.worst_all)
                g.worst_all = e;
            if (e > tol && !corrupt_grad)
                CHECK(e <= tol, "%s: %s[%zu] analytic %.8g, numeric %.8g", label, t[ti].name,
                      i - t[ti].offset, (double)grad[i], num);
        }
    if (!corrupt_grad) {
        print_report(label, n, &g);
        CHECK(g.skipped * 50 <= g.checked + g.skipped, "%s: %d of %d skipped (not smooth)", label,
              g.skipped, g.checked + g.skipped);
    }
    free(grad);
    return g;
}

/* ---- the tests ------------------------------------------------------------ */

static void test_hand_losses(void)
{
    /* All parameters zero: every gate is sigmoid(0) or tanh(0), so c = h = 0
     * and the logits are the head's bias. */
    ReelError e;
    Net *n;
    NetConfig c = config(2, false, 3, 2, 0, false, 0, 0, 2, HEAD_SIGMOID_BCE);
    float x[2 * 2 * 2] = {1, 0, 0, 1, 1, 1, 0, 0};
    float y[2 * 2 * 2] = {1, 0, 0, 1, 1, 1, 0, 0}, mask[4] = {1, 1, 0, 0};
    NetBatch b = {2, 2, x, NULL, y, NULL, mask};
    float loss;
    REQUIRE(net_new(&n, &c, 2, 2, &e) == REEL_OK, "%s", e.msg);
    net_params(n)[tensor(n, "head.b")->offset + 1] = logf(3.0f);
    /* sigma = 0.5, 0.75.  Position 0: y = 1, 0: (ln 2 + ln 4) / 2;
     * position 1: y = 0, 1: (ln 2 + ln 4/3) / 2.  Positions 2, 3 masked. */
    loss = net_forward(n, &b, true, NULL);
    CHECK(fabs(loss - 0.7650677) < 1e-6, "sigmoid BCE by hand: %.7f (want 0.7650677)", (double)loss);
    CHECK(fabsf(net_outputs(n)[0] - 0.5f) < 1e-7f && fabsf(net_outputs(n)[1] - 0.75f) < 1e-7f,
          "sigmoid outputs %g %g", (double)net_outputs(n)[0], (double)net_outputs(n)[1]);
    mask[1] = 0;
    loss = net_forward(n, &b, false, NULL);
    CHECK(fabs(loss - 1.0397208) < 1e-6, "one position counted: %.7f (want 1.0397208)", (double)loss);
    mask[0] = 0;
    CHECK(net_forward(n, &b, true, NULL) == 0.0f, "nothing counted: loss 0");
    net_backward(n, &b);
    {
        int nz = 0;
        for (size_t i = 0; i < net_n_params(n); i++)
            nz += net_grads(n)[i] != 0.0f;
        CHECK(nz == 0, "nothing counted: zero gradients (%d non-zero)", nz);
    }
    net_free(n);

    {
        /* softmax: bias 0, ln 2, ln 5 -> 1/8, 2/8, 5/8.  Targets 2, 0, -1 (not counted). */
        int32_t ids[3] = {0, 1, 2}, yid[3] = {2, 0, -1};
        NetBatch bs = {3, 1, NULL, ids, NULL, yid, NULL};
        c = config(3, true, 2, 1, 4, true, 0, 0, 3, HEAD_SOFTMAX_CE);
        REQUIRE(net_new(&n, &c, 3, 1, &e) == REEL_OK, "%s", e.msg);
        net_params(n)[tensor(n, "head.b")->offset + 1] = logf(2.0f);
        net_params(n)[tensor(n, "head.b")->offset + 2] = logf(5.0f);
        /* gamma 0 (as allocated), beta 0: batch norm outputs 0, ReLU(0) = 0 */
        loss = net_forward(n, &bs, true, NULL);
        CHECK(fabs(loss - 1.2747226) < 1e-6, "softmax CE by hand: %.7f (want 1.2747226)", (double)loss);
        CHECK(fabsf(net_outputs(n)[2] - 0.625f) < 1e-7f, "softmax output %g",
              (double)net_outputs(n)[2]);
        net_free(n);
    }
    {
        /* linear: bias 0.5, -1; targets (1, 1) and (0.5, 0): 2.125 and 0.5 */
        float xl[2] = {0.3f, -0.7f}, yl[4] = {1, 1, 0.5f, 0};
        NetBatch bl = {1, 2, xl, NULL, yl, NULL, NULL};
        c = config(1, false, 2, 1, 0, false, 0, 0, 2, HEAD_LINEAR_MSE);
        REQUIRE(net_new(&n, &c, 1, 2, &e) == REEL_OK, "%s", e.msg);
        net_params(n)[tensor(n, "head.b")->offset] = 0.5f;
        net_params(n)[tensor(n, "head.b")->offset + 1] = -1.0f;
        loss = net_forward(n, &bl, true, NULL);
        CHECK(fabs(loss - 1.3125) < 1e-6, "linear MSE by hand: %.7f (want 1.3125)", (double)loss);
        /* d loss / d b_k = mean over positions of 2 (b_k - y_k) / 2:
         * b0: (-0.5 + 0) / 2, b1: (-2 - 1) / 2 */
        net_backward(n, &bl);
        CHECK(fabsf(net_grads(n)[tensor(n, "head.b")->offset] + 0.25f) < 1e-6f &&
                  fabsf(net_grads(n)[tensor(n, "head.b")->offset + 1] + 1.5f) < 1e-6f,
              "linear bias gradient by hand: %g %g",
              (double)net_grads(n)[tensor(n, "head.b")->offset],
              (double)net_grads(n)[tensor(n, "head.b")->offset + 1]);
        net_free(n);
    }
}

typedef struct {
    const char *label;
    NetConfig c;
    int pad;
    bool multihot;
    bool infer; /* check the gradient of an inference-mode forward (running BN stats) */
} Case;

static void test_forward_and_gradients(void)
{
    const int T = 5, B = 3;
    Case cases[] = {
        {"sigmoid, floats, 1x4", config(3, false, 4, 1, 0, false, 0, 0, 3, HEAD_SIGMOID_BCE), 0, false, false},
        {"sigmoid, multi-hot, 2x5, padded", config(4, false, 5, 2, 0, false, 0, 0, 4, HEAD_SIGMOID_BCE), 2, true, false},
        {"softmax, classes, 2x4, dense 3", config(5, true, 4, 2, 3, false, 0, 0, 3, HEAD_SOFTMAX_CE), 0, false, false},
        {"softmax, classes, 1x9, bn, padded", config(6, true, 9, 1, 0, true, 0, 0, 4, HEAD_SOFTMAX_CE), 1, false, false},
        {"softmax, floats, 2x4, dense 3, bn", config(3, false, 4, 2, 3, true, 0, 0, 3, HEAD_SOFTMAX_CE), 0, false, false},
        {"linear, floats, 3x3, dense 4, bn, padded", config(2, false, 3, 3, 4, true, 0, 0, 3, HEAD_LINEAR_MSE), 2, false, false},
        {"linear, floats, 2x4", config(2, false, 4, 2, 0, false, 0, 0, 1, HEAD_LINEAR_MSE), 0, false, false},
        {"sigmoid, 2x4, dense 3, bn, inference", config(3, false, 4, 2, 3, true, 0, 0, 2, HEAD_SIGMOID_BCE), 1, false, true},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        Case *k = &cases[ci];
        Net *n = net_make(&k->c, T, B, 100 + ci);
        Data d;
        Rng r;
        double *p, *buf, *out, lref;
        size_t np = net_n_params(n), nb = net_n_buffers(n), P = (size_t)T * B;
        float loss;
        rng_seed(&r, 200 + ci);
        data_make(&d, &k->c, T, B, &r, k->pad, k->multihot);
        if (k->c.head == HEAD_SOFTMAX_CE && k->pad == 0)
            d.yid[4] = -1; /* a target that does not count */
        /* running statistics worth using: bn1 mean, var (H each), bn2 (D each) */
        if (k->c.batchnorm) {
            int F[2] = {k->c.hidden, k->c.dense};
            float *bf = net_buffers(n);
            for (int s = 0; s < 2; s++) {
                for (int f = 0; f < F[s]; f++) {
                    bf[f] = rng_float(&r) - 0.5f;
                    bf[F[s] + f] = 0.5f + rng_float(&r);
                }
                bf += 2 * F[s];
            }
        }
        /* 2: forward against the reference, training and inference */
        p = malloc(np * sizeof(double));
        buf = malloc((nb + 1) * sizeof(double));
        out = malloc(P * (size_t)k->c.n_out * sizeof(double));
        REQUIRE(p && buf && out, "out of memory");
        for (size_t i = 0; i < np; i++)
            p[i] = net_params(n)[i];
        for (int mode = 0; mode < 2; mode++) {
            double worst = 0;
            for (size_t i = 0; i < nb; i++)
                buf[i] = net_buffers(n)[i];
            loss = net_forward(n, &d.b, mode == 0, NULL);
            lref = ref_forward(n, p, buf, &d.b, mode == 0, out);
            for (size_t i = 0; i < P * (size_t)k->c.n_out; i++)
                worst = fmax(worst, fabs(net_outputs(n)[i] - out[i]) / fmax(1.0, fabs(out[i])));
            CHECK(relerr(loss, lref, 1e-3) < 2e-5, "%s (%s): loss %.8g, reference %.8g", k->label,
                  mode ? "inference" : "training", (double)loss, lref);
            CHECK(worst < 2e-5, "%s (%s): outputs off by %.3g", k->label,
                  mode ? "inference" : "training", worst);
        }
        free(p);
        free(buf);
        free(out);

        /* 3: gradients */
        {
            char label[96];
            snprintf(label, sizeof label, "%s vs reference", k->label);
            check_vs_ref(n, &d, !k->infer, 1e-3, label);
            snprintf(label, sizeof label, "%s vs itself", k->label);
            check_vs_self(n, &d, !k->infer, 2e-2, label, NULL);
        }
        data_free(&d);
        net_free(n);
    }
}

static void test_dropout_gradients(void)
{
    const int T = 5, B = 3;
    Case cases[] = {
        {"dropout 0.3, 2x4, dense 3, bn, classes", config(5, true, 4, 2, 3, true, 0.3f, 0, 3, HEAD_SOFTMAX_CE), 1, false, false},
        {"recurrent dropout 0.4, 2x5, floats", config(3, false, 5, 2, 0, false, 0, 0.4f, 3, HEAD_SIGMOID_BCE), 0, true, false},
        {"both dropouts, 3x4, dense 4, linear", config(2, false, 4, 3, 4, false, 0.25f, 0.25f, 2, HEAD_LINEAR_MSE), 2, false, false},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        Case *k = &cases[ci];
        Net *n = net_make(&k->c, T, B, 300 + ci);
        Data d;
        Rng r, r1, r2;
        float l1, l2, l3, l0;
        rng_seed(&r, 400 + ci);
        data_make(&d, &k->c, T, B, &r, k->pad, k->multihot);
        /* the same rng state draws the same masks; another draws others */
        rng_seed(&r1, 5);
        r2 = r1;
        l1 = net_forward(n, &d.b, true, &r1);
        l2 = net_forward(n, &d.b, true, &r2);
        l3 = net_forward(n, &d.b, true, &r1);
        l0 = net_forward(n, &d.b, false, NULL);
        CHECK(l1 == l2, "%s: same masks, same loss (%g, %g)", k->label, (double)l1, (double)l2);
        CHECK(l1 != l3, "%s: new masks, another loss", k->label);
        CHECK(l0 != l1, "%s: no dropout in inference", k->label);
        CHECK(isnan(net_forward(n, &d.b, true, NULL)), "%s: training with dropout needs an rng",
              k->label);
        check_vs_self(n, &d, true, 2e-2, k->label, NULL);
        data_free(&d);
        net_free(n);
    }
}

/* A wrong gradient must be caught: the checker on a corrupted copy. */
static void test_checker_can_fail(void)
{
    NetConfig c = config(3, false, 4, 2, 0, false, 0, 0, 3, HEAD_SIGMOID_BCE);
    Net *n = net_make(&c, 4, 2, 77);
    Data d;
    Rng r;
    GradReport g;
    float *bad = malloc(net_n_params(n) * sizeof(float));
    size_t wh = tensor(n, "lstm1.Wh")->offset + 5;
    REQUIRE(bad, "out of memory");
    rng_seed(&r, 78);
    data_make(&d, &c, 4, 2, &r, 0, false);
    net_forward(n, &d.b, true, NULL);
    net_backward(n, &d.b);
    memcpy(bad, net_grads(n), net_n_params(n) * sizeof(float));
    bad[wh] = bad[wh] * 1.1f + 1e-3f; /* 10% off */
    g = check_vs_self(n, &d, true, 2e-2, "corrupted", bad);
    CHECK(g.worst_all > 5e-2, "a 10%% error in one gradient is seen: worst %.3g", g.worst_all);
    free(bad);
    data_free(&d);
    net_free(n);
}

/* Padding: what stands in masked positions changes nothing; a padded batch
 * gives the loss and gradients of the shorter one. */
static void test_padding(void)
{
    NetConfig c = config(4, false, 6, 2, 5, true, 0, 0, 3, HEAD_SIGMOID_BCE);
    Net *n = net_make(&c, 8, 2, 11);
    Data d;
    Rng r;
    size_t np = net_n_params(n);
    float *g1 = malloc(np * sizeof(float)), l1, l2;
    REQUIRE(g1, "out of memory");
    rng_seed(&r, 12);
    data_make(&d, &c, 8, 2, &r, 0, false);
    /* both sequences 5 steps long, then 3 padded */
    for (int t = 0; t < 8; t++)
        for (int b = 0; b < 2; b++)
            d.mask[t * 2 + b] = t < 5 ? 1.0f : 0.0f;
    d.b.mask = d.mask;
    l1 = net_forward(n, &d.b, true, NULL);
    net_backward(n, &d.b);
    memcpy(g1, net_grads(n), np * sizeof(float));
    for (size_t i = 5 * 2 * (size_t)c.n_in; i < 8 * 2 * (size_t)c.n_in; i++)
        d.x[i] = 100.0f * rng_float(&r);
    for (size_t i = 5 * 2 * (size_t)c.n_out; i < 8 * 2 * (size_t)c.n_out; i++)
        d.y[i] = 1.0f - d.y[i];
    l2 = net_forward(n, &d.b, true, NULL);
    net_backward(n, &d.b);
    CHECK(l1 == l2, "padding inputs and targets change the loss: %.9g vs %.9g", (double)l1, (double)l2);
    CHECK(memcmp(g1, net_grads(n), np * sizeof(float)) == 0, "padding changes the gradients");
    /* the same batch cut to 5 steps, no mask */
    d.b.T = 5;
    d.b.mask = NULL;
    l2 = net_forward(n, &d.b, true, NULL);
    net_backward(n, &d.b);
    CHECK(fabsf(l1 - l2) < 1e-6f, "padded vs short batch: %.9g vs %.9g", (double)l1, (double)l2);
    {
        double worst = 0;
        for (size_t i = 0; i < np; i++)
            worst = fmax(worst, relerr(g1[i], net_grads(n)[i], 1e-4));
        CHECK(worst < 1e-4, "padded vs short batch gradients: %.3g", worst);
    }
    free(g1);
    data_free(&d);
    net_free(n);
}

/* net_step, one sequence at a time, against net_forward in inference. */
static void test_step(void)
{
    struct {
        const char *label;
        NetConfig c;
        bool multihot;
    } cases[] = {
        {"multi-hot 13 -> 2x16 sigmoid", config(13, false, 16, 2, 0, false, 0.2f, 0.2f, 13, HEAD_SIGMOID_BCE), true},
        {"floats 6 -> 2x9 linear", config(6, false, 9, 2, 0, false, 0, 0, 2, HEAD_LINEAR_MSE), false},
        {"classes 20 -> 3x12, dense 7, bn, softmax", config(20, true, 12, 3, 7, true, 0.3f, 0, 20, HEAD_SOFTMAX_CE), false},
        {"floats 5 -> 1x8, bn, softmax", config(5, false, 8, 1, 0, true, 0, 0, 4, HEAD_SOFTMAX_CE), false},
    };
    const int T = 12, B = 3;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const NetConfig *c = &cases[ci].c;
        Net *n = net_make(c, T, B, 500 + ci);
        Net *g;
        NetState *s, *s2;
        Data d;
        Rng r;
        ReelError e;
        double worst = 0;
        int K = c->n_out;
        rng_seed(&r, 600 + ci);
        data_make(&d, c, T, B, &r, 0, cases[ci].multihot);
        for (size_t i = 0; i < net_n_buffers(n); i++)
            net_buffers(n)[i] = 0.5f + rng_float(&r); /* positive: also fine as variances */
        net_forward(n, &d.b, false, NULL);
        /* a generation-only net (no batch room) with the same parameters */
        REQUIRE(net_new(&g, c, 0, 0, &e) == REEL_OK, "%s", e.msg);
        memcpy(net_params(g), net_params(n), net_n_params(n) * sizeof(float));
        memcpy(net_buffers(g), net_buffers(n), net_n_buffers(n) * sizeof(float));
        s = net_state_new(g);
        s2 = net_state_new(g);
        REQUIRE(s && s2, "net_state_new");
        for (int b = 0; b < B; b++) {
            net_state_reset(s);
            for (int t = 0; t < T; t++) {
                size_t q = (size_t)t * B + b;
                const float *z = net_step(g, s, d.x + q * (size_t)c->n_in, d.xid[q]);
                const float *o = net_outputs(n) + q * (size_t)K;
                double m = z[0], sum = 0;
                for (int k = 0; k < K; k++)
                    m = fmax(m, z[k]);
                for (int k = 0; k < K; k++)
                    sum += exp(z[k] - m);
                for (int k = 0; k < K; k++) {
                    double v = c->head == HEAD_SIGMOID_BCE ? 1 / (1 + exp(-(double)z[k]))
                               : c->head == HEAD_SOFTMAX_CE ? exp(z[k] - m) / sum
                                                            : z[k];
                    worst = fmax(worst, fabs(v - o[k]) / fmax(1.0, fabs(v)));
                }
            }
        }
        CHECK(worst < 1e-5, "%s: net_step vs net_forward: %.3g", cases[ci].label, worst);
        fprintf(stderr, "  step vs forward, %-40s %.2e\n", cases[ci].label, worst);

        /* copy and reset */
        {
            float a[64], bb[64];
            net_state_reset(s);
            net_step(g, s, d.x, d.xid[0]);
            net_step(g, s, d.x + c->n_in, d.xid[1]);
            net_state_copy(s2, s);
            memcpy(a, net_step(g, s, d.x, d.xid[2]), (size_t)K * sizeof(float));
            memcpy(bb, net_step(g, s2, d.x, d.xid[2]), (size_t)K * sizeof(float));
            CHECK(memcmp(a, bb, (size_t)K * sizeof(float)) == 0, "%s: a copied state steps alike",
                  cases[ci].label);
            net_state_reset(s);
            net_state_reset(s2);
            memcpy(a, net_step(g, s, d.x, d.xid[0]), (size_t)K * sizeof(float));
            net_state_free(s2);
            s2 = net_state_new(g);
            memcpy(bb, net_step(g, s2, d.x, d.xid[0]), (size_t)K * sizeof(float));
            CHECK(memcmp(a, bb, (size_t)K * sizeof(float)) == 0, "%s: reset is a fresh state",
                  cases[ci].label);
        }
        net_state_free(s);
        net_state_free(s2);
        net_free(g);
        data_free(&d);
        net_free(n);
    }
}

/* Largest |a - b| / max(1, |b|) over n logits. */
static double logit_err(const float *a, const float *b, int n)
{
    double w = 0;
    for (int k = 0; k < n; k++)
        w = fmax(w, fabs((double)a[k] - b[k]) / fmax(1.0, fabs((double)b[k])));
    return w;
}

/* Steps T inputs of d's sequence 0 with s on n; the logits into z (T, K). */
static void step_seq(const Net *n, NetState *s, const Data *d, int T, int B, float *z)
{
    const NetConfig *c = net_config(n);
    net_state_reset(s);
    for (int t = 0; t < T; t++) {
        size_t q = (size_t)t * B;
        memcpy(z + (size_t)t * c->n_out, net_step(n, s, d->x + q * (size_t)c->n_in, d->xid[q]),
               (size_t)c->n_out * sizeof(float));
    }
}

/* net_step on an fp16 copy of the weights against the float weights: the
 * logits within HALF_TOL (relative above 1) over 48 steps, for nets as
 * net_init leaves them (the sizes of bench_nn's (a) and (d): about 1e-4)
 * and small ones with every weight nudged (net_make; nudged and then
 * scaled by 1.25, a 2 x 64 net with a dense layer and batch norm reached
 * 3e-2, so that one starts from net_init), the float path bit-identical
 * whether or not a copy exists; the copy is a snapshot that net_half_build
 * refreshes, training marks out of date, and a weight too large refuses. */
#define HALF_TOL 2e-3
static void test_half_step(void)
{
    const struct {
        const char *label;
        NetConfig c;
        bool multihot, nudge;
    } cases[] = {
        {"multi-hot 13 -> 2x256 sigmoid (a)", config(13, false, 256, 2, 0, false, 0, 0, 13, HEAD_SIGMOID_BCE), true, false},
        {"multi-hot 128 -> 2x512 sigmoid (d)", config(128, false, 512, 2, 0, false, 0, 0, 128, HEAD_SIGMOID_BCE), true, false},
        {"classes 40 -> 2x64, dense 32, bn, softmax", config(40, true, 64, 2, 32, true, 0, 0, 40, HEAD_SOFTMAX_CE), false, false},
        {"floats 6 -> 1x9 linear", config(6, false, 9, 1, 0, false, 0, 0, 2, HEAD_LINEAR_MSE), false, true},
        {"multi-hot 13 -> 3x17 sigmoid", config(13, false, 17, 3, 0, false, 0, 0, 13, HEAD_SIGMOID_BCE), true, true},
    };
    const int T = 48, B = 1;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const NetConfig *c = &cases[ci].c;
        int K = c->n_out;
        Net *n;
        NetState *s, *sp;
        Data d;
        Rng r;
        ReelError e;
        float *zf = malloc((size_t)T * K * sizeof(float)), *zh = malloc((size_t)T * K * sizeof(float));
        float *zp;
        double worst = 0;
        if (test_quick() && c->hidden >= 512) { /* REEL_TEST_QUICK (valgrind): not the 2x512 */
            free(zf);
            free(zh);
            continue;
        }
        zp = malloc((size_t)T * K * sizeof(float));
        REQUIRE(zf && zh && zp, "out of memory");
        if (cases[ci].nudge) {
            n = net_make(c, T, B, 900 + ci);
        } else { /* Keras' initialisation, as a net starts training */
            REQUIRE(net_new(&n, c, T, B, &e) == REEL_OK, "%s", e.msg);
            rng_seed(&r, 900 + ci);
            net_init(n, &r);
        }
        rng_seed(&r, 950 + ci);
        data_make(&d, c, T, B, &r, 0, cases[ci].multihot);
        s = net_state_new(n);
        sp = net_state_new(n);
        REQUIRE(s && sp, "net_state_new");
        net_state_set_precise(sp, true);

        CHECK(!net_half_active(n), "%s: no half copy before net_half_build", cases[ci].label);
        step_seq(n, s, &d, T, B, zf);
        REQUIRE(net_half_build(n, &e) == REEL_OK, "%s: net_half_build: %s", cases[ci].label, e.msg);
        CHECK(net_half_active(n), "%s: half copy active", cases[ci].label);
        step_seq(n, s, &d, T, B, zh);
        step_seq(n, sp, &d, T, B, zp);
        CHECK(memcmp(zf, zp, (size_t)T * K * sizeof(float)) == 0,
              "%s: a precise state steps on the float weights, bit for bit", cases[ci].label);
        for (int t = 0; t < T; t++)
            worst = fmax(worst, logit_err(zh + (size_t)t * K, zf + (size_t)t * K, K));
        CHECK(worst > 0 && worst < HALF_TOL, "%s: fp16 vs float logits over %d steps: %.3g (tolerance %g)",
              cases[ci].label, T, worst, HALF_TOL);
        fprintf(stderr, "  fp16 vs float step, %-42s %.2e\n", cases[ci].label, worst);

        /* change the weights: the copy is a snapshot until rebuilt */
        for (size_t i = 0; i < net_n_params(n); i++)
            net_params(n)[i] *= 1.25f;
        step_seq(n, sp, &d, T, B, zf);
        step_seq(n, s, &d, T, B, zh);
        CHECK(logit_err(zh, zf, T * K) > 10 * HALF_TOL, "%s: the stale copy differs (%.3g)",
              cases[ci].label, logit_err(zh, zf, T * K));
        REQUIRE(net_half_build(n, &e) == REEL_OK, "%s", e.msg);
        step_seq(n, s, &d, T, B, zh);
        CHECK(logit_err(zh, zf, T * K) < HALF_TOL, "%s: net_half_build refreshes the copy (%.3g)",
              cases[ci].label, logit_err(zh, zf, T * K));

        /* training marks the copy out of date: float steps until rebuilt */
        if (ci == 0) {
            NetBatch b = d.b;
            net_forward(n, &b, true, &r);
            CHECK(!net_half_active(n), "training mode marks the copy out of date");
            step_seq(n, s, &d, T, B, zh);
            CHECK(memcmp(zh, zf, (size_t)T * K * sizeof(float)) == 0, "an out-of-date copy is not used");
            REQUIRE(net_half_build(n, &e) == REEL_OK, "%s", e.msg);
            CHECK(net_half_active(n), "rebuilt after training");
            net_forward(n, &b, false, NULL);
            CHECK(net_half_active(n), "inference leaves the copy alone");
            /* a weight beyond half range: refused, the copy dropped */
            net_params(n)[0] = 1e5f;
            CHECK(net_half_build(n, &e) == REEL_EARG && strstr(e.msg, "65504"),
                  "a weight of 1e5 refused: %s", e.msg);
            CHECK(!net_half_active(n), "refused build leaves no copy");
            net_params(n)[0] = NAN;
            CHECK(net_half_build(n, &e) == REEL_EARG, "a NaN weight refused");
            net_params(n)[0] = 0.0f;
            REQUIRE(net_half_build(n, &e) == REEL_OK, "%s", e.msg);
            net_half_drop(n);
            CHECK(!net_half_active(n), "net_half_drop");
            net_half_drop(n); /* twice is fine */
        }
        net_state_free(s);
        net_state_free(sp);
        data_free(&d);
        net_free(n); /* frees a copy, if any */
        free(zf);
        free(zh);
        free(zp);
    }
}

/* Same seed, same threads: bit-identical parameters, loss and gradients. */
static void test_determinism(void)
{
    NetConfig c = config(13, false, 64, 2, 16, true, 0.2f, 0.1f, 13, HEAD_SIGMOID_BCE);
    Net *a = net_make(&c, 16, 8, 42), *b = net_make(&c, 16, 8, 42);
    Data d;
    Rng r, ra, rb;
    float la, lb;
    rng_seed(&r, 43);
    data_make(&d, &c, 16, 8, &r, 3, true);
    CHECK(memcmp(net_params(a), net_params(b), net_n_params(a) * sizeof(float)) == 0,
          "same seed, same init");
    blas_set_threads(2);
    rng_seed(&ra, 1);
    rng_seed(&rb, 1);
    for (int i = 0; i < 2; i++) {
        la = net_forward(a, &d.b, true, &ra);
        net_backward(a, &d.b);
        lb = net_forward(b, &d.b, true, &rb);
        net_backward(b, &d.b);
    }
    CHECK(la == lb, "same loss %.9g %.9g", (double)la, (double)lb);
    CHECK(memcmp(net_grads(a), net_grads(b), net_n_params(a) * sizeof(float)) == 0, "same gradients");
    CHECK(memcmp(net_buffers(a), net_buffers(b), net_n_buffers(a) * sizeof(float)) == 0,
          "same running statistics");
    blas_set_threads(1);
    data_free(&d);
    net_free(a);
    net_free(b);
}

/* Inverted dropout on the stack's output: with one layer, a linear head
 * that reads one unit, the output is 0 or h / (1 - p), at rate p. */
static void test_dropout_masks(void)
{
    const float p = 0.3f;
    NetConfig c = config(2, false, 8, 1, 0, false, p, 0, 1, HEAD_LINEAR_MSE);
    Net *n = net_make(&c, 8, 16, 9);
    Data d;
    Rng r, dr;
    float *h = malloc(8 * 16 * sizeof(float));
    size_t wo = tensor(n, "head.W")->offset, bo = tensor(n, "head.b")->offset;
    long zero = 0, kept = 0, bad = 0;
    REQUIRE(h, "out of memory");
    for (int i = 0; i < 8; i++)
        net_params(n)[wo + (size_t)i] = i == 3 ? 1.0f : 0.0f;
    net_params(n)[bo] = 0.0f;
    rng_seed(&r, 10);
    data_make(&d, &c, 8, 16, &r, 0, false);
    net_forward(n, &d.b, false, NULL);
    memcpy(h, net_outputs(n), 8 * 16 * sizeof(float)); /* h unit 3 of every position */
    rng_seed(&dr, 11);
    for (int rep = 0; rep < 50; rep++) {
        net_forward(n, &d.b, true, &dr);
        for (int q = 0; q < 8 * 16; q++) {
            float o = net_outputs(n)[q];
            if (o == 0.0f)
                zero++;
            else if (fabsf(o - h[q] / (1 - p)) <= 1e-6f * fabsf(h[q]) + 1e-7f)
                kept++;
            else
                bad++;
        }
    }
    CHECK(bad == 0, "dropout outputs neither 0 nor h / (1 - p): %ld", bad);
    CHECK(fabs((double)zero / (zero + kept) - p) < 0.03, "drop rate %.3f (want %.2f)",
          (double)zero / (zero + kept), (double)p);
    free(h);
    data_free(&d);
    net_free(n);
}

static void test_init_and_layout(void)
{
    NetConfig c = config(13, false, 32, 2, 24, true, 0, 0, 13, HEAD_SIGMOID_BCE);
    Net *n;
    ReelError e;
    Rng r;
    NetTensor t[64];
    int k;
    size_t at = 0;
    REQUIRE(net_new(&n, &c, 0, 0, &e) == REEL_OK, "%s", e.msg);
    rng_seed(&r, 3);
    net_init(n, &r);
    k = net_tensors(n, t, 64);
    CHECK(k == 14, "tensors: %d", k);
    for (int i = 0; i < k && i < 64; i++) {
        CHECK(t[i].offset == at, "%s at %zu, expected %zu (block order, no gaps)", t[i].name,
              t[i].offset, at);
        at += (size_t)t[i].rows * t[i].cols;
    }
    CHECK(at == net_n_params(n), "tensors cover the block: %zu of %zu", at, net_n_params(n));
    CHECK(net_n_params(n) == (size_t)(13 + 32 + 1) * 128 + (32 + 32 + 1) * 128 + 2 * 32 + 32 * 24 + 24 +
                                 2 * 24 + 24 * 13 + 13,
          "parameter count %zu", net_n_params(n));
    CHECK(net_n_buffers(n) == 2 * 32 + 2 * 24, "buffer count %zu", net_n_buffers(n));
    {
        /* orthonormal rows of Wh */
        const float *wh = net_params(n) + tensor(n, "lstm1.Wh")->offset;
        double worst = 0;
        for (int i = 0; i < 32; i++)
            for (int j = 0; j < 32; j++) {
                double s = 0;
                for (int q = 0; q < 128; q++)
                    s += (double)wh[i * 128 + q] * wh[j * 128 + q];
                worst = fmax(worst, fabs(s - (i == j)));
            }
        CHECK(worst < 1e-5, "Wh rows orthonormal: %.3g", worst);
    }
    {
        const float *b = net_params(n) + tensor(n, "lstm0.b")->offset;
        const float *wx = net_params(n) + tensor(n, "lstm0.Wx")->offset;
        const float *g = net_params(n) + tensor(n, "bn2.gamma")->offset;
        float lim = sqrtf(6.0f / (13 + 128)), mx = 0;
        int ok = 1;
        for (int j = 0; j < 128; j++)
            ok &= b[j] == (j >= 32 && j < 64 ? 1.0f : 0.0f);
        CHECK(ok, "biases 0, forget gates 1");
        for (int j = 0; j < 13 * 128; j++)
            mx = fmaxf(mx, fabsf(wx[j]));
        CHECK(mx <= lim && mx > 0.9f * lim, "Glorot uniform: max |w| %g, limit %g", (double)mx, (double)lim);
        CHECK(g[0] == 1.0f && g[23] == 1.0f && net_buffers(n)[32] == 1.0f && net_buffers(n)[0] == 0.0f,
              "batch norm gamma 1, running variance 1, mean 0");
    }
    CHECK(net_flops_per_step(n) == 3.0 * ((13 + 32) * 128.0 + 64 * 128.0 + 32 * 24 + 24 * 13) - 13 * 128.0,
          "multiply-adds per step %g", net_flops_per_step(n));
    net_free(n);

    /* bad configurations and batches */
    c = config(13, false, 32, 2, 0, false, 0, 0, 13, HEAD_SIGMOID_BCE);
    {
        NetConfig b = c;
        b.hidden = 0;
        CHECK(net_config_check(&b, &e) == REEL_EARG && strstr(e.msg, "hidden"), "hidden 0: %s", e.msg);
        b = c;
        b.dropout = 0.95f;
        CHECK(net_config_check(&b, &e) == REEL_EARG, "dropout 0.95");
        b = c;
        b.rec_dropout = NAN;
        CHECK(net_config_check(&b, &e) == REEL_EARG, "recurrent dropout NaN");
        b = c;
        b.head = HEAD_SOFTMAX_CE;
        b.n_out = 1;
        CHECK(net_config_check(&b, &e) == REEL_EARG, "softmax with one class");
        b = c;
        b.layers = 0;
        CHECK(net_new(&n, &b, 4, 4, &e) == REEL_EARG && n == NULL, "net_new checks the config");
        CHECK(net_new(&n, &c, 4, 0, &e) == REEL_EARG, "room 4 x 0");
        net_free(NULL);
    }
    {
        Data d;
        REQUIRE(net_new(&n, &c, 4, 2, &e) == REEL_OK, "%s", e.msg);
        rng_seed(&r, 4);
        data_make(&d, &c, 5, 2, &r, 0, false);
        CHECK(isnan(net_forward(n, &d.b, true, NULL)), "T above the room: NaN");
        d.b.T = 4;
        d.b.x = NULL;
        CHECK(isnan(net_forward(n, &d.b, true, NULL)), "no inputs: NaN");
        net_backward(n, &d.b); /* after a failed forward: zero gradients, no crash */
        d.b.x = d.x;
        d.b.y = NULL;
        CHECK(net_forward(n, &d.b, false, NULL) == 0.0f, "no targets: outputs only, loss 0");
        data_free(&d);
        net_free(n);
    }
}

int main(void)
{
    blas_set_threads(1);
    test_hand_losses();
    test_init_and_layout();
    test_forward_and_gradients();
    test_dropout_gradients();
    test_checker_can_fail();
    test_padding();
    test_step();
    test_half_step();
    test_dropout_masks();
    test_determinism();
    TEST_END();
}
