/* nn.c — the network of nn.h: forward/backward pairs, one parameter block.
 *
 * ---- The parameter block (net_params; net_grads has the same layout) ----
 *
 *   for each LSTM layer l (I = n_in for l = 0, else H):
 *     W_l   (I + H, 4H)  rows 0..I-1 are Wx (input weights), rows I..I+H-1
 *                        are Wh (recurrent weights): [Wx; Wh] is one matrix,
 *                        so a generation step is one sgemv over [x; h(t-1)]
 *     b_l   (4H)
 *     Columns are four blocks of H in the gate order i, f, g, o (input,
 *     forget, cell candidate, output: PyTorch's order; Keras' i, f, c, o is
 *     the same).  A row-major (I, 4H) Wx is Keras' kernel as stored.
 *   if batchnorm:          bn1.gamma (H), bn1.beta (H)
 *   if dense:              dense.W (H, D), dense.b (D)
 *   if dense && batchnorm: bn2.gamma (D), bn2.beta (D)
 *   head.W (F, n_out), head.b (n_out)        F = D with a dense layer, else H
 *
 * net_tensors() lists these with names, offsets and shapes.
 *
 * ---- The buffer block (net_buffers): batch-norm running statistics ------
 *   if batchnorm: bn1.mean (H), bn1.var (H); if also dense: bn2.mean (D), bn2.var (D)
 *
 * ---- Forward, in order ----------------------------------------------------
 *   LSTM layer 0 <- x;  layer l <- dropout(h of layer l-1)
 *     gates(t) = x(t) Wx + b + (h(t-1) * rmask) Wh      (h(-1) = c(-1) = 0)
 *     i, f, o = sigmoid, g = tanh;  c = f c(t-1) + i g;  h = o tanh(c)
 *   top = h of the last layer -> [bn1] -> dropout -> [dense -> ReLU -> [bn2] -> dropout]
 *       -> head logits -> sigmoid / softmax / identity
 *
 *   Dropout (training only) is inverted dropout: kept units are scaled by
 *   1/(1-p) so inference needs no scaling.  Between layers and after the
 *   stack/dense layer every (t, b, unit) draws its own keep bit, as a Keras
 *   Dropout layer does.  Recurrent dropout draws one mask per (sequence,
 *   unit) per layer and reuses it at every step (Gal & Ghahramani; Keras'
 *   recurrent_dropout with implementation 2).  Masks are drawn from the rng
 *   in a fixed order (layer by layer: input mask, recurrent mask; then the
 *   top's masks), so the same rng state reproduces the same masks.
 *
 *   Batch norm (Keras' defaults: momentum 0.99, epsilon 1e-3) normalises
 *   each feature over all positions of the batch (T x B), weighting each
 *   position by its mask, so padding changes neither the statistics nor the
 *   loss.  Running variance is updated with the unbiased batch variance.
 *
 * ---- Loss (mean over counted positions; w = mask, W = sum of w) ----------
 *   sigmoid: sum_p w_p * mean_k BCE(z_pk, y_pk) / W  (BCE from logits:
 *            max(z,0) - z y + log(1 + e^-|z|), no probability clipping)
 *   softmax: sum_p w_p * (logsumexp(z_p) - z_p[y_p]) / W; a target outside
 *            0..n_out-1 makes the position not count
 *   linear:  sum_p w_p * mean_k (z_pk - y_pk)^2 / W
 *
 * ---- Memory ---------------------------------------------------------------
 * net_new allocates everything: the three blocks and one arena of
 * activations for max_T x max_B positions.  net_forward, net_backward and
 * net_step allocate nothing.  Per position the forward keeps, for the top
 * LSTM layer, the four gates and the cell (5H floats), and for every layer
 * below, only its cell and output (2H): backward recomputes their gates
 * from those, one layer at a time into the top layer's gate buffer, with
 * the same products in the same order, so bit-identical to the forward's
 * (about a tenth more time for a 2-layer net, 3H floats less per position
 * and layer).  The top layer's output lives in a (T, B, H) buffer that
 * becomes the gradient flowing down the stack in backward; the cell writes
 * h(t) = o tanh(c) back over the gradient slot it has just consumed, so
 * after a layer's loop that buffer holds the layer's h for dWh.  Gate
 * gradients overwrite the gates.
 *
 * ---- Speed ----------------------------------------------------------------
 * The input projection of all T steps is one product; per step only the
 * recurrent product (B, H) x (H, 4H) remains, on weights packed once per
 * window (blas_pack: where the CPU has AVX-512, reel's own kernel, which at
 * B = 32 runs about 1.5x as fast as OpenBLAS repacking the weights on every
 * call).  Backward runs the recurrence per step, then forms each weight
 * gradient over the whole window in one product (dWh = h(0..T-2)^T
 * dG(1..T-1), dWx = X^T dG).  Gate nonlinearities and the cell update are
 * one fused pass per step in 16-wide vector code (GCC vector extensions)
 * with exp and tanh polynomials accurate to ~1e-7; on x86-64 GCC builds
 * SSE2, AVX2 and AVX-512 clones of it and picks one at load time (no fused
 * multiply-adds: the clones give identical bits).  Generation (net_step)
 * reads every weight once per step, so it runs at the speed the weights
 * arrive: net_half_build keeps an fp16 copy of the weight matrices at the
 * parameter block's offsets, and net_step then runs each layer as one
 * product over [x; h] on it (blas_hgemv_t, which skips zero inputs).
 */
#include "nn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"

#define BN_EPS 1e-3f
#define BN_MOMENTUM 0.99f
#define MAX_LAYERS 64

/* ------------------------------------------------------------------------ */
/* Vector math                                                              */
/* ------------------------------------------------------------------------ */

#if defined(__GNUC__)
/* Vectors wider than the build's ISA change the calling convention of
 * functions that return them; ours are all inlined where they are used. */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__has_attribute)
#if __has_attribute(target_clones) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define NN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef NN_CLONES
#define NN_CLONES
#endif

#define VW 16
typedef float vf __attribute__((vector_size(VW * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(VW * sizeof(int32_t))));
#define INLINE static inline __attribute__((always_inline))

INLINE vf vsplat(float x)
{
    return (vf){0} + x;
}

/* m ? a : b lane by lane (m lanes all ones or all zeros), min, max. */
#define VSEL(m, a, b) ((vf)(((m) & (vi)(a)) | (~(m) & (vi)(b))))
#define VMIN(a, b) VSEL((a) < (b), a, b)
#define VMAX(a, b) VSEL((a) > (b), a, b)

/* Load/store n <= VW floats (the other lanes load as zero).  A constant
 * n == VW compiles to one vector move; other n go through a small loop. */
INLINE vf vload(const float *p, int n)
{
    vf v = {0};
    if (n == VW)
        memcpy(&v, p, sizeof v);
    else
        for (int i = 0; i < n; i++)
            v[i] = p[i];
    return v;
}

INLINE void vstore(float *p, const vf *v, int n)
{
    if (n == VW)
        memcpy(p, v, sizeof *v);
    else
        for (int i = 0; i < n; i++)
            p[i] = (*v)[i];
}
#define VSTORE(p, v, n)                                                          \
    do {                                                                         \
        vf vstore_ = (v);                                                        \
        vstore((p), &vstore_, (n));                                              \
    } while (0)

/* The helpers below take pointers: GCC notes an ABI change for every
 * function that takes a vector wider than the ISA's by value. */

/* e^x, x clamped to [-87, 88]: Cephes' expf polynomial, relative error < 1e-7. */
INLINE vf vexp(const vf *xp)
{
    vf lo = vsplat(-87.0f), hi = vsplat(88.0f), x = VMAX(*xp, lo);
    x = VMIN(x, hi);
    vf n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round(x / ln 2) */
    vf r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    vf p = vsplat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    vi e = (__builtin_convertvector(n, vi) + 127) << 23; /* 2^n */
    return p * (vf)e;
}

/* 1 / (1 + e^-x); the clamp keeps results out of the (slow) subnormals. */
INLINE vf vsigmoid(const vf *xp)
{
    vf lo = vsplat(-80.0f), x = VMAX(*xp, lo);
    x = -x;
    return 1.0f / (1.0f + vexp(&x));
}

/* tanh: Cephes' odd polynomial below 0.625, 1 - 2 / (e^2|x| + 1) above. */
INLINE vf vtanh(const vf *xp)
{
    vf x = *xp, cap = vsplat(40.0f);
    vi sign = (vi)x & (int32_t)0x80000000u;
    vf a = (vf)((vi)x & 0x7fffffff);
    vf z = x * x;
    vf p = vsplat(-5.70498872745e-3f);
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    vf small = p * z * x + x;
    vf a2 = 2.0f * VMIN(a, cap);
    vf big = 1.0f - 2.0f / (vexp(&a2) + 1.0f);
    big = (vf)((vi)big | sign);
    return VSEL(a < 0.625f, small, big);
}

/* The cell on lanes j .. j+m-1 of one row (m == VW in the main loop,
 * a constant there, so the loads are plain vector moves). */
INLINE void cell_forward_lanes(float *gi, const float *cp, float *cb, float *hb, int H, int j, int m)
{
    float *gf = gi + H, *gg = gf + H, *go = gg + H;
    vf xi = vload(gi + j, m), xf = vload(gf + j, m);
    vf xg = vload(gg + j, m), xo = vload(go + j, m);
    vf i = vsigmoid(&xi), f = vsigmoid(&xf), gc = vtanh(&xg), o = vsigmoid(&xo);
    vf cc = i * gc;
    if (cp)
        cc = f * vload(cp + j, m) + cc;
    VSTORE(gi + j, i, m);
    VSTORE(gf + j, f, m);
    VSTORE(gg + j, gc, m);
    VSTORE(go + j, o, m);
    VSTORE(cb + j, cc, m);
    VSTORE(hb + j, o * vtanh(&cc), m);
}

/* One step of the LSTM cell for B rows.  g (B, 4H): pre-activations in,
 * i f g o out.  cprev (B, H) or NULL for a zero state; c, h (B, H) out.
 * c may be cprev (generation updates in place). */
NN_CLONES static void cell_forward(float *g, const float *cprev, float *c, float *h, int B, int H)
{
    for (int b = 0; b < B; b++) {
        float *gi = g + (size_t)b * 4 * H, *cb = c + (size_t)b * H, *hb = h + (size_t)b * H;
        const float *cp = cprev ? cprev + (size_t)b * H : NULL;
        int j = 0;
        for (; j + VW <= H; j += VW)
            cell_forward_lanes(gi, cp, cb, hb, H, j, VW);
        if (j < H)
            cell_forward_lanes(gi, cp, cb, hb, H, j, H - j);
    }
}

INLINE void cell_backward_lanes(float *gi, const float *cp, const float *cb, float *dhb,
                                float *dcb, int H, int j, int m)
{
    float *gf = gi + H, *gg = gf + H, *go = gg + H;
    vf i = vload(gi + j, m), f = vload(gf + j, m), gc = vload(gg + j, m);
    vf o = vload(go + j, m), d = vload(dhb + j, m);
    vf cj = vload(cb + j, m), tc = vtanh(&cj);
    VSTORE(dhb + j, o * tc, m); /* h(t), as the forward computed it */
    vf dct = vload(dcb + j, m) + d * o * (1.0f - tc * tc);
    vf df = cp ? dct * vload(cp + j, m) * f * (1.0f - f) : vsplat(0.0f);
    VSTORE(gi + j, dct * gc * i * (1.0f - i), m);
    VSTORE(gf + j, df, m);
    VSTORE(gg + j, dct * i * (1.0f - gc * gc), m);
    VSTORE(go + j, d * tc * o * (1.0f - o), m);
    VSTORE(dcb + j, dct * f, m);
}

/* Backward through one step for B rows.  g (B, 4H): i f g o in, the
 * gradients of the pre-activations out.  cprev (B, H) or NULL (t = 0);
 * c (B, H) this step's cells; dh (B, H): the gradient of h(t) in, h(t)
 * itself out (o tanh(c), bit-identical to the forward's); dc (B, H): the
 * gradient of c(t) from step t+1 in, of c(t-1) out. */
NN_CLONES static void cell_backward(float *g, const float *cprev, const float *c, float *dh,
                                    float *dc, int B, int H)
{
    for (int b = 0; b < B; b++) {
        float *gi = g + (size_t)b * 4 * H, *dcb = dc + (size_t)b * H, *dhb = dh + (size_t)b * H;
        const float *cp = cprev ? cprev + (size_t)b * H : NULL;
        const float *cb = c + (size_t)b * H;
        int j = 0;
        for (; j + VW <= H; j += VW)
            cell_backward_lanes(gi, cp, cb, dhb, dcb, H, j, VW);
        if (j < H)
            cell_backward_lanes(gi, cp, cb, dhb, dcb, H, j, H - j);
    }
}

/* The gate nonlinearities alone, in place, for B rows of g (B, 4H): the
 * same operations as cell_forward, so the same bits. */
NN_CLONES static void cell_gates(float *g, int B, int H)
{
    for (int b = 0; b < B; b++) {
        float *gi = g + (size_t)b * 4 * H;
        for (int j = 0; j < 2 * H; j += VW) { /* i, f */
            int m = 2 * H - j < VW ? 2 * H - j : VW;
            vf x = m == VW ? vload(gi + j, VW) : vload(gi + j, m);
            if (m == VW)
                VSTORE(gi + j, vsigmoid(&x), VW);
            else
                VSTORE(gi + j, vsigmoid(&x), m);
        }
        for (int j = 0; j < H; j += VW) { /* g, o */
            int m = H - j < VW ? H - j : VW;
            vf xg = m == VW ? vload(gi + 2 * H + j, VW) : vload(gi + 2 * H + j, m);
            vf xo = m == VW ? vload(gi + 3 * H + j, VW) : vload(gi + 3 * H + j, m);
            if (m == VW) {
                VSTORE(gi + 2 * H + j, vtanh(&xg), VW);
                VSTORE(gi + 3 * H + j, vsigmoid(&xo), VW);
            } else {
                VSTORE(gi + 2 * H + j, vtanh(&xg), m);
                VSTORE(gi + 3 * H + j, vsigmoid(&xo), m);
            }
        }
    }
}

/* y = a * b elementwise (y may be a or b). */
NN_CLONES static void mul(float *y, const float *a, const float *b, size_t n)
{
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        VSTORE(y + i, vload(a + i, VW) * vload(b + i, VW), VW);
    for (; i < n; i++)
        y[i] = a[i] * b[i];
}

/* y += a * b elementwise. */
NN_CLONES static void mul_add(float *y, const float *a, const float *b, size_t n)
{
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        VSTORE(y + i, vload(y + i, VW) + vload(a + i, VW) * vload(b + i, VW), VW);
    for (; i < n; i++)
        y[i] += a[i] * b[i];
}

/* y += x */
NN_CLONES static void add(float *y, const float *x, size_t n)
{
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        VSTORE(y + i, vload(y + i, VW) + vload(x + i, VW), VW);
    for (; i < n; i++)
        y[i] += x[i];
}

/* y += a x */
NN_CLONES static void axpy(float *y, float a, const float *x, size_t n)
{
    size_t i = 0;
    vf va = vsplat(a);
    for (; i + VW <= n; i += VW)
        VSTORE(y + i, vload(y + i, VW) + va * vload(x + i, VW), VW);
    for (; i < n; i++)
        y[i] += a * x[i];
}

/* Every row of y (rows, n) = b. */
static void fill_rows(float *y, const float *b, size_t rows, int n)
{
    for (size_t r = 0; r < rows; r++)
        memcpy(y + r * (size_t)n, b, (size_t)n * sizeof(float));
}

/* ------------------------------------------------------------------------ */
/* The network                                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
    int in;          /* I: n_in for layer 0, else H */
    size_t w, b;     /* parameter offsets: [Wx; Wh] (I + H, 4H), b (4H) */
    float *gates;    /* (T, B, 4H) i f g o, the gate gradients after backward: one
                        buffer for all layers (those below the top recompute) */
    float *c;        /* (T, B, H) cells; scratch for the layer's input in backward */
    float *h;        /* (T, B, H) outputs (layers below the top; the top's are in hbuf) */
    float *xmask;    /* (T, B, I) dropout mask on the input (layers >= 1, dropout > 0) */
    float *rmask;    /* (B, H) recurrent dropout mask (rec_dropout > 0) */
} Layer;

typedef struct {
    int F;                 /* features */
    size_t gamma, beta;    /* parameter offsets (F each) */
    size_t mean, var;      /* buffer offsets (F each) */
    float *xhat;           /* (T, B, F) normalised input */
    float *y;              /* (T, B, F) output */
    float *invstd;         /* (F) 1 / sqrt(var + eps) used by the last forward */
} BatchNorm;

typedef struct {
    float *mask;           /* (T, B, F) 0 or 1 / (1 - p) */
    float *y;              /* (T, B, F) */
} Dropout;

struct Net {
    NetConfig c;
    int max_T, max_B;
    size_t n_params, n_buffers;
    float *params, *grads, *buffers;
    Layer *layer;          /* (layers) */
    BatchNorm bn1, bn2;    /* used when c.batchnorm (bn2 also needs c.dense) */
    Dropout drop1, drop2;  /* after the stack (and bn1); after the dense layer (and bn2) */
    size_t wd, bd;         /* dense W (H, D), b (D) */
    size_t wo, bo;         /* head W (F, n_out), b (n_out) */
    float *dense;          /* (T, B, D) ReLU outputs */
    float *logits;         /* (T, B, n_out) */
    float *out;            /* (T, B, n_out) probabilities or values */
    float *w;              /* (T, B) loss weight of each position */
    float *ones;           /* (T * B) ones, for bias gradients as one product */
    float *hbuf;           /* (T, B, H) outputs of a layer; in backward the gradient
                              flowing down the stack, then the layer's h again */
    float *ddense;         /* (T, B, D) gradient at the dense layer's pre-activation */
    float *dlogits;        /* (T, B, n_out) */
    float *wpack;          /* the recurrent weights of one layer, packed for the
                              per-step products (blas_pack) */
    float *dc;             /* (B, H) cell gradient carried back in time */
    float *dh;             /* (B, H) recurrent-dropout scratch */
    double *acc;           /* (2 * max(H, D)) batch-norm sums */
    float *arena;
    uint16_t *half;        /* (n_params) fp16 copy of the weight matrices (net_half_build),
                              same offsets as params; NULL: none */
    bool half_ok;          /* the copy matches the weights (training clears it) */
    unsigned char *q8mem;  /* int8 copies (net_q8_build); NULL: none */
    BlasQ8 *q8;            /* per layer: [Wx; Wh] (layer 0: Wh only), then dense, head */
    size_t q8work;         /* the largest product's work bytes */
    bool q8_ok;            /* the copies match the weights */
    /* what the last forward did */
    int T, B;
    bool training, dropped, rdropped;
    double wsum;           /* sum of the loss weights */
    const float *z_dense;  /* (T, B, H) input of the dense layer (or of the head) */
    const float *z_head;   /* (T, B, F) input of the head */
};

static bool has_bn2(const NetConfig *c)
{
    return c->batchnorm && c->dense > 0;
}

static int top_features(const NetConfig *c)
{
    return c->dense > 0 ? c->dense : c->hidden;
}

ReelStatus net_config_check(const NetConfig *c, ReelError *err)
{
    if (!c)
        return reel_fail(err, REEL_EARG, "no network configuration");
    if (c->n_in < 1 || c->n_in > (1 << 24))
        return reel_fail(err, REEL_EARG, "inputs: %d (1..%d)", c->n_in, 1 << 24);
    if (c->hidden < 1 || c->hidden > 16384)
        return reel_fail(err, REEL_EARG, "hidden size: %d (1..16384)", c->hidden);
    if (c->layers < 1 || c->layers > MAX_LAYERS)
        return reel_fail(err, REEL_EARG, "LSTM layers: %d (1..%d)", c->layers, MAX_LAYERS);
    if (c->dense < 0 || c->dense > 65536)
        return reel_fail(err, REEL_EARG, "dense size: %d (0 = none, up to 65536)", c->dense);
    if (!(c->dropout >= 0.0f && c->dropout <= 0.9f))
        return reel_fail(err, REEL_EARG, "dropout: %g (0..0.9)", (double)c->dropout);
    if (!(c->rec_dropout >= 0.0f && c->rec_dropout <= 0.9f))
        return reel_fail(err, REEL_EARG, "recurrent dropout: %g (0..0.9)", (double)c->rec_dropout);
    if (c->head != HEAD_SIGMOID_BCE && c->head != HEAD_SOFTMAX_CE && c->head != HEAD_LINEAR_MSE)
        return reel_fail(err, REEL_EARG, "unknown head %d", (int)c->head);
    if (c->n_out < (c->head == HEAD_SOFTMAX_CE ? 2 : 1) || c->n_out > (1 << 24))
        return reel_fail(err, REEL_EARG, "outputs: %d (%s..%d)", c->n_out,
                         c->head == HEAD_SOFTMAX_CE ? "2 for softmax" : "1", 1 << 24);
    return REEL_OK;
}

/* Parameter and buffer offsets; returns n_params. */
static size_t plan_params(Net *n)
{
    const NetConfig *c = &n->c;
    size_t p = 0, q = 0, H = (size_t)c->hidden, D = (size_t)c->dense;
    for (int l = 0; l < c->layers; l++) {
        Layer *L = &n->layer[l];
        L->in = l == 0 ? c->n_in : c->hidden;
        L->w = p;
        p += ((size_t)L->in + H) * 4 * H;
        L->b = p;
        p += 4 * H;
    }
    if (c->batchnorm) {
        n->bn1.F = c->hidden;
        n->bn1.gamma = p, n->bn1.beta = p + H, p += 2 * H;
        n->bn1.mean = q, n->bn1.var = q + H, q += 2 * H;
    }
    if (c->dense) {
        n->wd = p, p += H * D;
        n->bd = p, p += D;
        if (c->batchnorm) {
            n->bn2.F = c->dense;
            n->bn2.gamma = p, n->bn2.beta = p + D, p += 2 * D;
            n->bn2.mean = q, n->bn2.var = q + D, q += 2 * D;
        }
    }
    n->wo = p, p += (size_t)top_features(c) * (size_t)c->n_out;
    n->bo = p, p += (size_t)c->n_out;
    n->n_buffers = q;
    return p;
}

size_t net_config_n_params(const NetConfig *c)
{
    Layer layer[MAX_LAYERS];
    Net n;
    memset(&n, 0, sizeof n);
    n.c = *c;
    n.layer = layer;
    if (c->layers < 1 || c->layers > MAX_LAYERS)
        return 0;
    return plan_params(&n);
}

/* Lay the activations out in base (NULL: only count).  Returns floats used. */
static size_t plan_arena(Net *n, float *base)
{
    const NetConfig *c = &n->c;
    size_t used = 0, P = (size_t)n->max_T * (size_t)n->max_B, B = (size_t)n->max_B;
    size_t H = (size_t)c->hidden, D = (size_t)c->dense, K = (size_t)c->n_out;
#define TAKE(ptr, count)                                                         \
    do {                                                                         \
        size_t count_ = (count);                                                 \
        (ptr) = base && count_ ? base + used : NULL;                             \
        used += (count_ + 15) & ~(size_t)15; /* 64-byte aligned */             \
    } while (0)
    TAKE(n->layer[0].gates, P * 4 * H);
    for (int l = 0; l < c->layers; l++) {
        Layer *L = &n->layer[l];
        L->gates = n->layer[0].gates;
        TAKE(L->c, P * H);
        TAKE(L->h, l < c->layers - 1 ? P * H : 0);
        TAKE(L->xmask, l > 0 && c->dropout > 0 ? P * H : 0);
        TAKE(L->rmask, c->rec_dropout > 0 ? B * H : 0);
    }
    TAKE(n->hbuf, P * H);
    if (c->batchnorm) {
        TAKE(n->bn1.xhat, P * H);
        TAKE(n->bn1.y, P * H);
        TAKE(n->bn1.invstd, H);
    }
    TAKE(n->drop1.mask, c->dropout > 0 ? P * H : 0);
    TAKE(n->drop1.y, c->dropout > 0 ? P * H : 0);
    TAKE(n->dense, P * D);
    if (has_bn2(c)) {
        TAKE(n->bn2.xhat, P * D);
        TAKE(n->bn2.y, P * D);
        TAKE(n->bn2.invstd, D);
    }
    TAKE(n->drop2.mask, c->dropout > 0 ? P * D : 0);
    TAKE(n->drop2.y, c->dropout > 0 ? P * D : 0);
    TAKE(n->logits, P * K);
    TAKE(n->out, P * K);
    TAKE(n->w, P);
    TAKE(n->ones, P);
    TAKE(n->ddense, P * D);
    TAKE(n->dlogits, P * K);
    {
        size_t f = blas_packed_len((int)H, (int)(4 * H)), b = blas_packed_len((int)(4 * H), (int)H);
        TAKE(n->wpack, f > b ? f : b);
    }
    TAKE(n->dc, B * H);
    TAKE(n->dh, B * H);
#undef TAKE
    return used;
}

ReelStatus net_new(Net **out, const NetConfig *c, int max_T, int max_B, ReelError *err)
{
    ReelStatus s;
    Net *n;
    size_t arena;
    *out = NULL;
    if ((s = net_config_check(c, err)))
        return s;
    if (max_T < 0 || max_B < 0 || (max_T == 0) != (max_B == 0))
        return reel_fail(err, REEL_EARG, "batch room %d steps x %d sequences: both 0 or both >= 1",
                         max_T, max_B);
    if ((double)max_T * max_B * 4.0 * c->hidden > 2147483647.0 ||
        (double)max_T * max_B * (c->n_in > c->n_out ? c->n_in : c->n_out) > 2147483647.0)
        return reel_fail(err, REEL_EARG, "batch of %d steps x %d sequences is too large", max_T,
                         max_B);
    if (!(n = calloc(1, sizeof *n)) || !(n->layer = calloc((size_t)c->layers, sizeof *n->layer)))
        goto nomem;
    n->c = *c;
    n->max_T = max_T;
    n->max_B = max_B;
    n->n_params = plan_params(n);
    if (!(n->params = calloc(n->n_params, sizeof(float))) ||
        !(n->grads = calloc(n->n_params, sizeof(float))) ||
        !(n->buffers = calloc(n->n_buffers ? n->n_buffers : 1, sizeof(float))))
        goto nomem;
    /* Running variance 1: a net that was never trained passes batch norm unchanged. */
    if (c->batchnorm)
        for (int f = 0; f < c->hidden; f++)
            n->buffers[n->bn1.var + (size_t)f] = 1.0f;
    if (has_bn2(c))
        for (int f = 0; f < c->dense; f++)
            n->buffers[n->bn2.var + (size_t)f] = 1.0f;
    if (max_T > 0) {
        size_t H = (size_t)c->hidden, D = (size_t)c->dense;
        arena = plan_arena(n, NULL);
        if (!(n->arena = calloc(arena, sizeof(float))) ||
            !(n->acc = calloc(2 * (H > D ? H : D), sizeof(double))))
            goto nomem;
        plan_arena(n, n->arena);
        for (size_t i = 0, P = (size_t)max_T * (size_t)max_B; i < P; i++)
            n->ones[i] = 1.0f;
    }
    *out = n;
    return REEL_OK;
nomem:
    net_free(n);
    return reel_fail(err, REEL_ENOMEM, "out of memory for a network of %d x %d (batch room %d x %d)",
                     c->layers, c->hidden, max_T, max_B);
}

void net_free(Net *n)
{
    if (!n)
        return;
    free(n->params);
    free(n->grads);
    free(n->buffers);
    free(n->arena);
    free(n->acc);
    free(n->half);
    free(n->q8mem);
    free(n->q8);
    free(n->layer);
    free(n);
}

const NetConfig *net_config(const Net *n)
{
    return &n->c;
}

size_t net_n_params(const Net *n)
{
    return n->n_params;
}

float *net_params(Net *n)
{
    return n->params;
}

float *net_grads(Net *n)
{
    return n->grads;
}

size_t net_n_buffers(const Net *n)
{
    return n->n_buffers;
}

float *net_buffers(Net *n)
{
    return n->buffers;
}

const float *net_outputs(const Net *n)
{
    return n->out;
}

int net_tensors(const Net *n, NetTensor *out, int max)
{
    const NetConfig *c = &n->c;
    int k = 0, H = c->hidden, D = c->dense;
#define ADD(nm, l, off, r, cl)                                                   \
    do {                                                                         \
        if (k < max) {                                                           \
            if ((l) >= 0)                                                        \
                snprintf(out[k].name, sizeof out[k].name, "lstm%d.%s", (l), nm); \
            else                                                                 \
                snprintf(out[k].name, sizeof out[k].name, "%s", nm);             \
            out[k].offset = (off);                                               \
            out[k].rows = (r);                                                   \
            out[k].cols = (cl);                                                  \
        }                                                                        \
        k++;                                                                     \
    } while (0)
    for (int l = 0; l < c->layers; l++) {
        const Layer *L = &n->layer[l];
        ADD("Wx", l, L->w, L->in, 4 * H);
        ADD("Wh", l, L->w + (size_t)L->in * 4 * (size_t)H, H, 4 * H);
        ADD("b", l, L->b, 1, 4 * H);
    }
    if (c->batchnorm) {
        ADD("bn1.gamma", -1, n->bn1.gamma, 1, H);
        ADD("bn1.beta", -1, n->bn1.beta, 1, H);
    }
    if (D) {
        ADD("dense.W", -1, n->wd, H, D);
        ADD("dense.b", -1, n->bd, 1, D);
        if (c->batchnorm) {
            ADD("bn2.gamma", -1, n->bn2.gamma, 1, D);
            ADD("bn2.beta", -1, n->bn2.beta, 1, D);
        }
    }
    ADD("head.W", -1, n->wo, top_features(c), c->n_out);
    ADD("head.b", -1, n->bo, 1, c->n_out);
#undef ADD
    return k;
}

/* ---- initialisation ------------------------------------------------------ */

static void glorot_uniform(float *w, int fan_in, int fan_out, Rng *r)
{
    float limit = sqrtf(6.0f / (float)(fan_in + fan_out));
    for (size_t i = 0, m = (size_t)fan_in * (size_t)fan_out; i < m; i++)
        w[i] = (2.0f * rng_float(r) - 1.0f) * limit;
}

/* w (rows, cols), rows <= cols: orthonormal rows from a normal matrix by
 * classical Gram-Schmidt applied twice ("twice is enough"), the products on
 * sgemv.  scratch holds rows floats.  (Keras' orthogonal initializer: the QR
 * of a normal matrix.) */
static void orthogonal_rows(float *w, int rows, int cols, float *scratch, Rng *r)
{
    for (size_t i = 0, m = (size_t)rows * (size_t)cols; i < m; i++)
        w[i] = (float)rng_normal(r);
    for (int i = 0; i < rows; i++) {
        float *v = w + (size_t)i * cols;
        double norm = 0.0;
        for (int pass = 0; pass < 2 && i > 0; pass++) {
            /* scratch = Q v, v -= Q^T scratch, Q = rows 0..i-1 */
            blas_sgemv(BLAS_N, i, cols, 1.0f, w, cols, v, 0.0f, scratch);
            blas_sgemv(BLAS_T, i, cols, -1.0f, w, cols, scratch, 1.0f, v);
        }
        for (int j = 0; j < cols; j++)
            norm += (double)v[j] * v[j];
        norm = sqrt(norm);
        for (int j = 0; j < cols; j++)
            v[j] = norm > 0 ? (float)(v[j] / norm) : 0.0f;
    }
}

void net_init(Net *n, Rng *r)
{
    const NetConfig *c = &n->c;
    int H = c->hidden, F = top_features(c);
    float *p = n->params, *scratch = n->grads; /* grads are free now: H floats of scratch */
    memset(p, 0, n->n_params * sizeof(float));
    for (int l = 0; l < c->layers; l++) {
        Layer *L = &n->layer[l];
        float *wh = p + L->w + (size_t)L->in * 4 * (size_t)H;
        glorot_uniform(p + L->w, L->in, 4 * H, r);
        orthogonal_rows(wh, H, 4 * H, scratch, r);
        for (int j = 0; j < H; j++)
            p[L->b + (size_t)H + (size_t)j] = 1.0f; /* forget gate */
    }
    if (c->batchnorm) {
        for (int j = 0; j < H; j++)
            p[n->bn1.gamma + (size_t)j] = 1.0f;
        for (int j = 0; j < H; j++) {
            n->buffers[n->bn1.mean + (size_t)j] = 0.0f;
            n->buffers[n->bn1.var + (size_t)j] = 1.0f;
        }
    }
    if (c->dense) {
        glorot_uniform(p + n->wd, H, c->dense, r);
        if (c->batchnorm)
            for (int j = 0; j < c->dense; j++) {
                p[n->bn2.gamma + (size_t)j] = 1.0f;
                n->buffers[n->bn2.mean + (size_t)j] = 0.0f;
                n->buffers[n->bn2.var + (size_t)j] = 1.0f;
            }
    }
    glorot_uniform(p + n->wo, F, c->n_out, r);
    memset(n->grads, 0, n->n_params * sizeof(float));
}

/* ---- layers: forward and backward pairs ---------------------------------- */

/* Inverted dropout: y = x * mask, mask 0 with probability p, else 1/(1-p).
 * Two keep decisions per 64 random bits. */
static void dropout_forward(float *y, float *mask, const float *x, size_t len, float p, Rng *r)
{
    uint32_t thr = (uint32_t)((double)p * 4294967296.0);
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < len; i += 2) {
        uint64_t u = rng_u64(r);
        mask[i] = (uint32_t)u >= thr ? keep : 0.0f;
        if (i + 1 < len)
            mask[i + 1] = (uint32_t)(u >> 32) >= thr ? keep : 0.0f;
    }
    if (y)
        mul(y, x, mask, len);
}

/* Batch norm over P positions of F features (x, y (P, F)).  Training: the
 * statistics of the positions weighted by n->w; else the running ones. */
static void batchnorm_forward(Net *n, BatchNorm *bn, const float *x, size_t P, bool training)
{
    int F = bn->F;
    const float *gamma = n->params + bn->gamma, *beta = n->params + bn->beta;
    float *rmean = n->buffers + bn->mean, *rvar = n->buffers + bn->var;
    double *mean = n->acc, *var = n->acc + F, W = n->wsum;
    if (training) {
        memset(n->acc, 0, 2 * (size_t)F * sizeof(double));
        for (size_t p = 0; p < P; p++) {
            const float *xp = x + p * (size_t)F;
            double w = n->w[p];
            if (w != 0.0)
                for (int f = 0; f < F; f++)
                    mean[f] += w * xp[f];
        }
        for (int f = 0; f < F; f++)
            mean[f] = W > 0 ? mean[f] / W : 0.0;
        for (size_t p = 0; p < P; p++) {
            const float *xp = x + p * (size_t)F;
            double w = n->w[p];
            if (w != 0.0)
                for (int f = 0; f < F; f++)
                    var[f] += w * (xp[f] - mean[f]) * (xp[f] - mean[f]);
        }
        for (int f = 0; f < F; f++) {
            var[f] = W > 0 ? var[f] / W : 0.0;
            bn->invstd[f] = (float)(1.0 / sqrt(var[f] + BN_EPS));
            if (W > 0) {
                double unbiased = W > 1 ? var[f] * W / (W - 1) : var[f];
                rmean[f] = (float)(BN_MOMENTUM * rmean[f] + (1.0 - BN_MOMENTUM) * mean[f]);
                rvar[f] = (float)(BN_MOMENTUM * rvar[f] + (1.0 - BN_MOMENTUM) * unbiased);
            }
        }
    } else {
        for (int f = 0; f < F; f++) {
            mean[f] = rmean[f];
            bn->invstd[f] = 1.0f / sqrtf(rvar[f] + BN_EPS);
        }
    }
    for (size_t p = 0; p < P; p++) {
        const float *xp = x + p * (size_t)F;
        float *xh = bn->xhat + p * (size_t)F, *yp = bn->y + p * (size_t)F;
        for (int f = 0; f < F; f++) {
            xh[f] = (float)(xp[f] - mean[f]) * bn->invstd[f];
            yp[f] = gamma[f] * xh[f] + beta[f];
        }
    }
}

/* d (P, F): gradient of the output in, of the input out. */
static void batchnorm_backward(Net *n, BatchNorm *bn, float *d, size_t P)
{
    int F = bn->F;
    const float *gamma = n->params + bn->gamma;
    float *dgamma = n->grads + bn->gamma, *dbeta = n->grads + bn->beta;
    double *sd = n->acc, *sdx = n->acc + F, W = n->wsum;
    memset(n->acc, 0, 2 * (size_t)F * sizeof(double));
    for (size_t p = 0; p < P; p++) {
        const float *dp = d + p * (size_t)F, *xh = bn->xhat + p * (size_t)F;
        for (int f = 0; f < F; f++) {
            sd[f] += dp[f];
            sdx[f] += (double)dp[f] * xh[f];
        }
    }
    for (int f = 0; f < F; f++) {
        dgamma[f] += (float)sdx[f];
        dbeta[f] += (float)sd[f];
    }
    for (size_t p = 0; p < P; p++) {
        float *dp = d + p * (size_t)F;
        const float *xh = bn->xhat + p * (size_t)F;
        double s = n->training && W > 0 ? n->w[p] / W : 0.0;
        for (int f = 0; f < F; f++)
            dp[f] = (float)(gamma[f] * bn->invstd[f] * (dp[f] - s * (sd[f] + xh[f] * sdx[f])));
    }
}

/* Layer l's gates for all T steps: the input projection of all steps at
 * once, then per step the recurrent product on weights packed once.
 * forward: the cell runs too (c, h written; dropout masks drawn from rng);
 * else the outputs h are read from where the forward left them (a layer
 * below the top) and only the gate nonlinearities run, which recomputes
 * the forward's gates bit for bit.  x_scratch: (T, B, H) for the input
 * after dropout. */
static void lstm_gates(Net *n, int l, const NetBatch *bt, Rng *rng, bool forward, float *x_scratch)
{
    const NetConfig *c = &n->c;
    Layer *L = &n->layer[l];
    int T = bt->T, B = bt->B, H = c->hidden, G4 = 4 * H;
    size_t P = (size_t)T * (size_t)B, BH = (size_t)B * (size_t)H;
    const float *W = n->params + L->w, *bias = n->params + L->b;
    const float *Wh = W + (size_t)L->in * (size_t)G4;
    float *out = l == c->layers - 1 ? n->hbuf : L->h;

    fill_rows(L->gates, bias, P, G4);
    if (l == 0 && c->in_classes) {
        for (size_t p = 0; p < P; p++) {
            int32_t id = bt->x_ids[p];
            if (id >= 0 && id < c->n_in)
                add(L->gates + p * (size_t)G4, W + (size_t)id * (size_t)G4, (size_t)G4);
        }
    } else {
        const float *x = l == 0 ? bt->x : n->layer[l - 1].h;
        if (l > 0 && n->dropped) {
            if (forward)
                dropout_forward(x_scratch, L->xmask, x, P * (size_t)H, c->dropout, rng);
            else
                mul(x_scratch, x, L->xmask, P * (size_t)H);
            x = x_scratch;
        }
        blas_sgemm(BLAS_N, BLAS_N, (int)P, G4, L->in, 1.0f, x, L->in, W, G4, 1.0f, L->gates, G4);
    }
    if (forward && n->rdropped)
        dropout_forward(NULL, L->rmask, NULL, BH, c->rec_dropout, rng);

    if (T > 1)
        blas_pack(BLAS_N, H, G4, Wh, G4, n->wpack);
    for (int t = 0; t < T; t++) {
        float *g = L->gates + (size_t)t * B * G4;
        if (t > 0) {
            const float *hp = out + (size_t)(t - 1) * BH;
            if (n->rdropped) {
                mul(n->dh, hp, L->rmask, BH);
                hp = n->dh;
            }
            blas_sgemm_packed(B, G4, H, hp, H, n->wpack, 1.0f, g, G4);
        }
        if (forward)
            cell_forward(g, t > 0 ? L->c + (size_t)(t - 1) * BH : NULL, L->c + (size_t)t * BH,
                         out + (size_t)t * BH, B, H);
        else
            cell_gates(g, B, H);
    }
}

/* dH (T, B, H), n->hbuf: the gradient of the layer's outputs in; out, the
 * gradient of its inputs (layers >= 1).  The gate buffer holds the layer's
 * gates. */
static void lstm_backward(Net *n, int l, const NetBatch *bt)
{
    const NetConfig *c = &n->c;
    Layer *L = &n->layer[l];
    int T = bt->T, B = bt->B, H = c->hidden, G4 = 4 * H;
    size_t P = (size_t)T * (size_t)B, BH = (size_t)B * (size_t)H;
    const float *W = n->params + L->w, *Wh = W + (size_t)L->in * (size_t)G4;
    float *gW = n->grads + L->w, *gWh = gW + (size_t)L->in * (size_t)G4, *gb = n->grads + L->b;
    float *dH = n->hbuf;

    memset(n->dc, 0, BH * sizeof(float));
    if (T > 1)
        blas_pack(BLAS_T, G4, H, Wh, G4, n->wpack); /* Wh^T (4H, H) */
    for (int t = T - 1; t >= 0; t--) {
        float *g = L->gates + (size_t)t * B * G4;
        /* dG(t) over the gates, h(t) over dH(t) */
        cell_backward(g, t > 0 ? L->c + (size_t)(t - 1) * BH : NULL, L->c + (size_t)t * BH,
                      dH + (size_t)t * BH, n->dc, B, H);
        if (t > 0) {
            /* dh(t-1) += dG(t) Wh^T (through the recurrent mask) */
            float *dprev = dH + (size_t)(t - 1) * BH;
            if (n->rdropped) {
                blas_sgemm_packed(B, H, G4, g, G4, n->wpack, 0.0f, n->dh, H);
                mul_add(dprev, n->dh, L->rmask, BH);
            } else {
                blas_sgemm_packed(B, H, G4, g, G4, n->wpack, 1.0f, dprev, H);
            }
        }
    }
    /* Weight gradients over the whole window, one product each.  dH now
     * holds h; the recurrence saw h(t-1) * rmask. */
    if (T > 1) {
        if (n->rdropped)
            for (int t = 0; t < T - 1; t++)
                mul(dH + (size_t)t * BH, dH + (size_t)t * BH, L->rmask, BH);
        blas_sgemm(BLAS_T, BLAS_N, H, G4, (int)(P - (size_t)B), 1.0f, dH, H,
                   L->gates + (size_t)B * G4, G4, 1.0f, gWh, G4);
    }
    blas_sgemv(BLAS_T, (int)P, G4, 1.0f, L->gates, G4, n->ones, 1.0f, gb);
    if (l == 0 && c->in_classes) {
        for (size_t p = 0; p < P; p++) {
            int32_t id = bt->x_ids[p];
            if (id >= 0 && id < c->n_in)
                add(gW + (size_t)id * (size_t)G4, L->gates + p * (size_t)G4, (size_t)G4);
        }
    } else if (l == 0) {
        blas_sgemm(BLAS_T, BLAS_N, L->in, G4, (int)P, 1.0f, bt->x, L->in, L->gates, G4, 1.0f, gW,
                   G4);
    } else {
        /* The input: the layer below's h (after dropout: into this layer's
         * cells, dead by now). */
        const float *x = n->layer[l - 1].h;
        if (n->dropped) {
            mul(L->c, x, L->xmask, P * (size_t)H);
            x = L->c;
        }
        blas_sgemm(BLAS_T, BLAS_N, L->in, G4, (int)P, 1.0f, x, L->in, L->gates, G4, 1.0f, gW, G4);
        /* The input gradient, for the layer below. */
        blas_sgemm(BLAS_N, BLAS_T, (int)P, L->in, G4, 1.0f, L->gates, G4, W, G4, 0.0f, dH, L->in);
        if (n->dropped)
            mul(dH, dH, L->xmask, P * (size_t)L->in);
    }
}

/* ---- the whole net ------------------------------------------------------- */

static bool has_targets(const Net *n, const NetBatch *bt)
{
    return n->c.head == HEAD_SOFTMAX_CE ? bt->y_ids != NULL : bt->y != NULL;
}

/* Head activations and the loss (sum over positions, weighted). */
static double head_forward(Net *n, const NetBatch *bt, size_t P)
{
    const NetConfig *c = &n->c;
    int K = c->n_out;
    bool targets = has_targets(n, bt);
    double loss = 0.0;
    for (size_t p = 0; p < P; p++) {
        const float *z = n->logits + p * (size_t)K;
        float *o = n->out + p * (size_t)K;
        double w = n->w[p], lp = 0.0;
        if (c->head == HEAD_SIGMOID_BCE) {
            const float *y = targets ? bt->y + p * (size_t)K : NULL;
            for (int k = 0; k < K; k++) {
                o[k] = 1.0f / (1.0f + expf(-z[k]));
                if (y)
                    lp += (z[k] > 0 ? z[k] : 0.0) - (double)z[k] * y[k] +
                          log1p(exp(-fabs((double)z[k])));
            }
            lp /= K;
        } else if (c->head == HEAD_SOFTMAX_CE) {
            float m = z[0];
            double s = 0.0;
            for (int k = 1; k < K; k++)
                m = z[k] > m ? z[k] : m;
            for (int k = 0; k < K; k++)
                s += (o[k] = expf(z[k] - m));
            for (int k = 0; k < K; k++)
                o[k] = (float)(o[k] / s);
            if (targets && w != 0.0)
                lp = log(s) + m - z[bt->y_ids[p]];
        } else {
            const float *y = targets ? bt->y + p * (size_t)K : NULL;
            memcpy(o, z, (size_t)K * sizeof(float));
            if (y) {
                for (int k = 0; k < K; k++)
                    lp += ((double)z[k] - y[k]) * ((double)z[k] - y[k]);
                lp /= K;
            }
        }
        if (w != 0.0)
            loss += w * lp;
    }
    return loss;
}

float net_forward(Net *n, const NetBatch *bt, bool training, Rng *rng)
{
    const NetConfig *c = &n->c;
    int T = bt->T, B = bt->B, H = c->hidden, D = c->dense, K = c->n_out, F;
    size_t P;
    const float *z;
    double loss;
    n->T = 0;
    if (T < 1 || B < 1 || T > n->max_T || B > n->max_B || (c->in_classes ? !bt->x_ids : !bt->x))
        return NAN;
    if (training && (c->dropout > 0 || c->rec_dropout > 0) && !rng)
        return NAN;
    P = (size_t)T * (size_t)B;
    n->T = T;
    n->B = B;
    n->training = training;
    if (training)
        n->half_ok = n->q8_ok = false; /* the weights are about to change: net_step uses the floats */
    n->dropped = training && c->dropout > 0;
    n->rdropped = training && c->rec_dropout > 0;

    /* Loss weight of each position. */
    n->wsum = 0.0;
    for (size_t p = 0; p < P; p++) {
        float w = bt->mask ? bt->mask[p] : 1.0f;
        if (c->head == HEAD_SOFTMAX_CE && bt->y_ids && (bt->y_ids[p] < 0 || bt->y_ids[p] >= K))
            w = 0.0f;
        n->w[p] = w;
        n->wsum += w;
    }

    for (int l = 0; l < c->layers; l++)
        lstm_gates(n, l, bt, rng, true, n->hbuf);

    z = n->hbuf;
    F = H;
    if (c->batchnorm) {
        batchnorm_forward(n, &n->bn1, z, P, training);
        z = n->bn1.y;
    }
    if (n->dropped) {
        dropout_forward(n->drop1.y, n->drop1.mask, z, P * (size_t)H, c->dropout, rng);
        z = n->drop1.y;
    }
    n->z_dense = z;
    if (D) {
        fill_rows(n->dense, n->params + n->bd, P, D);
        blas_sgemm(BLAS_N, BLAS_N, (int)P, D, H, 1.0f, z, H, n->params + n->wd, D, 1.0f, n->dense, D);
        for (size_t i = 0; i < P * (size_t)D; i++)
            n->dense[i] = n->dense[i] > 0.0f ? n->dense[i] : 0.0f;
        z = n->dense;
        F = D;
        if (c->batchnorm) {
            batchnorm_forward(n, &n->bn2, z, P, training);
            z = n->bn2.y;
        }
        if (n->dropped) {
            dropout_forward(n->drop2.y, n->drop2.mask, z, P * (size_t)D, c->dropout, rng);
            z = n->drop2.y;
        }
    }
    n->z_head = z;
    fill_rows(n->logits, n->params + n->bo, P, K);
    blas_sgemm(BLAS_N, BLAS_N, (int)P, K, F, 1.0f, z, F, n->params + n->wo, K, 1.0f, n->logits, K);
    loss = head_forward(n, bt, P);
    return n->wsum > 0 ? (float)(loss / n->wsum) : 0.0f;
}

void net_backward(Net *n, const NetBatch *bt)
{
    const NetConfig *c = &n->c;
    int T = n->T, B = n->B, H = c->hidden, D = c->dense, K = c->n_out, F = top_features(c);
    size_t P = (size_t)T * (size_t)B;
    float *dz;
    memset(n->grads, 0, n->n_params * sizeof(float));
    if (T == 0 || T != bt->T || B != bt->B || !has_targets(n, bt) || n->wsum <= 0)
        return;

    /* Head: d loss / d logits. */
    for (size_t p = 0; p < P; p++) {
        const float *o = n->out + p * (size_t)K;
        float *d = n->dlogits + p * (size_t)K;
        float s = (float)(n->w[p] / n->wsum);
        if (c->head == HEAD_SIGMOID_BCE) {
            const float *y = bt->y + p * (size_t)K;
            for (int k = 0; k < K; k++)
                d[k] = (o[k] - y[k]) * s / (float)K;
        } else if (c->head == HEAD_SOFTMAX_CE) {
            for (int k = 0; k < K; k++)
                d[k] = o[k] * s;
            if (s != 0.0f)
                d[bt->y_ids[p]] -= s;
        } else {
            const float *y = bt->y + p * (size_t)K;
            for (int k = 0; k < K; k++)
                d[k] = 2.0f * (o[k] - y[k]) * s / (float)K;
        }
    }
    blas_sgemm(BLAS_T, BLAS_N, F, K, (int)P, 1.0f, n->z_head, F, n->dlogits, K, 1.0f,
               n->grads + n->wo, K);
    blas_sgemv(BLAS_T, (int)P, K, 1.0f, n->dlogits, K, n->ones, 1.0f, n->grads + n->bo);

    /* Down to the stack's output: into hbuf (whatever the head read from it
     * has been used). */
    dz = D ? n->ddense : n->hbuf;
    blas_sgemm(BLAS_N, BLAS_T, (int)P, F, K, 1.0f, n->dlogits, K, n->params + n->wo, K, 0.0f, dz, F);
    if (D) {
        if (n->dropped)
            mul(dz, dz, n->drop2.mask, P * (size_t)D);
        if (c->batchnorm)
            batchnorm_backward(n, &n->bn2, dz, P);
        for (size_t i = 0; i < P * (size_t)D; i++)
            dz[i] = n->dense[i] > 0.0f ? dz[i] : 0.0f;
        blas_sgemm(BLAS_T, BLAS_N, H, D, (int)P, 1.0f, n->z_dense, H, dz, D, 1.0f,
                   n->grads + n->wd, D);
        blas_sgemv(BLAS_T, (int)P, D, 1.0f, dz, D, n->ones, 1.0f, n->grads + n->bd);
        blas_sgemm(BLAS_N, BLAS_T, (int)P, H, D, 1.0f, dz, D, n->params + n->wd, D, 0.0f, n->hbuf,
                   H);
    }
    if (n->dropped)
        mul(n->hbuf, n->hbuf, n->drop1.mask, P * (size_t)H);
    if (c->batchnorm)
        batchnorm_backward(n, &n->bn1, n->hbuf, P);

    /* The stack, top down; each layer leaves its input gradient in hbuf.
     * The layers below the top first get their gates back (the input after
     * dropout goes through the cells of the layer above, dead by now). */
    for (int l = c->layers - 1; l >= 0; l--) {
        if (l < c->layers - 1)
            lstm_gates(n, l, bt, NULL, false, n->layer[l + 1].c);
        lstm_backward(n, l, bt);
    }
}

double net_flops_per_step(const Net *n)
{
    const NetConfig *c = &n->c;
    double H = c->hidden, fwd = 0.0, in0 = c->in_classes ? 0.0 : c->n_in;
    for (int l = 0; l < c->layers; l++)
        fwd += 4.0 * H * ((l == 0 ? in0 : H) + H);
    if (c->dense)
        fwd += H * c->dense;
    fwd += (double)top_features(c) * c->n_out;
    /* backward: a weight gradient and an input gradient per product, except
     * the network's input gradient */
    return 3.0 * fwd - 4.0 * H * in0;
}

/* ---- generation ---------------------------------------------------------- */

struct NetState {
    NetConfig c;
    float *v;        /* per layer l at voff(l): [x_l (I_l); h_l (H)] */
    float *c_;       /* (layers, H) cells */
    float *gates;    /* (4H) */
    float *z;        /* (H) the stack's output, after batch norm */
    float *zd;       /* (D) the dense layer's output */
    float *logits;   /* (n_out) */
    NetWeights weights; /* what this state's steps read */
    size_t n_v;
    float *block;
    void *q8work;    /* the int8 products' quantized input (64-byte aligned) */
    bool flip;       /* this step takes the int8 columns in reverse order (every other
                        step: each starts on what the last left in the cache) */
    size_t q8work_len;
};

static size_t state_voff(const NetConfig *c, int l)
{
    return l == 0 ? 0 : (size_t)c->n_in + (size_t)c->hidden + (size_t)(l - 1) * 2 * (size_t)c->hidden;
}

NetState *net_state_new(const Net *n)
{
    const NetConfig *c = &n->c;
    size_t H = (size_t)c->hidden, D = (size_t)c->dense;
    NetState *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->c = *c;
    s->n_v = state_voff(c, c->layers);
    if (!(s->block = calloc(s->n_v + (size_t)c->layers * H + 4 * H + H + D + (size_t)c->n_out,
                            sizeof(float)))) {
        free(s);
        return NULL;
    }
    s->v = s->block;
    s->c_ = s->v + s->n_v;
    s->gates = s->c_ + (size_t)c->layers * H;
    s->z = s->gates + 4 * H;
    s->zd = s->z + H;
    s->logits = s->zd + D;
    return s;
}

void net_state_free(NetState *s)
{
    if (!s)
        return;
    free(s->q8work);
    free(s->block);
    free(s);
}

void net_state_reset(NetState *s)
{
    memset(s->v, 0, (s->n_v + (size_t)s->c.layers * (size_t)s->c.hidden) * sizeof(float));
}

void net_state_copy(NetState *dst, const NetState *src)
{
    memcpy(dst->v, src->v, (src->n_v + (size_t)src->c.layers * (size_t)src->c.hidden) * sizeof(float));
}

/* ---- half-precision weights for net_step --------------------------------- */

/* The weight matrices: offsets and lengths into the parameter block. */
static int half_spans(const Net *n, size_t *off, size_t *len)
{
    const NetConfig *c = &n->c;
    size_t H = (size_t)c->hidden;
    int k = 0;
    for (int l = 0; l < c->layers; l++) {
        off[k] = n->layer[l].w;
        len[k++] = ((size_t)n->layer[l].in + H) * 4 * H;
    }
    if (c->dense) {
        off[k] = n->wd;
        len[k++] = H * (size_t)c->dense;
    }
    off[k] = n->wo;
    len[k++] = (size_t)top_features(c) * (size_t)c->n_out;
    return k;
}

ReelStatus net_half_build(Net *n, ReelError *err)
{
    size_t off[MAX_LAYERS + 2], len[MAX_LAYERS + 2];
    int k = half_spans(n, off, len);
    n->half_ok = false;
    for (int t = 0; t < k; t++)
        for (size_t i = 0; i < len[t]; i++) {
            float w = n->params[off[t] + i];
            if (!(fabsf(w) <= 65504.0f)) {
                net_half_drop(n);
                return reel_fail(err, REEL_EARG,
                                 "weight %zu of the network is %g: no half-precision copy "
                                 "(finite, |w| <= 65504 only)", off[t] + i, (double)w);
            }
        }
    if (!n->half && !(n->half = malloc(n->n_params * sizeof *n->half)))
        return reel_fail(err, REEL_ENOMEM, "out of memory for the half-precision weights (%zu bytes)",
                         n->n_params * sizeof *n->half);
    for (int t = 0; t < k; t++)
        blas_float_to_half(n->params + off[t], n->half + off[t], len[t]);
    n->half_ok = true;
    return REEL_OK;
}

void net_half_drop(Net *n)
{
    free(n->half);
    n->half = NULL;
    n->half_ok = false;
}

bool net_half_active(const Net *n)
{
    return n->half && n->half_ok;
}

void net_state_set_precise(NetState *s, bool precise)
{
    s->weights = precise ? NET_W_F32 : NET_W_FAST;
}

void net_state_set_weights(NetState *s, NetWeights w)
{
    s->weights = w;
}

/* ---- int8 weights for net_step -------------------------------------------- */

/* The products of a step: rows, columns and where the matrix starts.  Layer
 * 0 leaves out its input rows (net_step adds the input's non-zero rows from
 * the float weights: one-hot and multi-hot inputs cost their ones only, and
 * a dense input keeps its own scale). */
static int q8_spans(const Net *n, int *rows, int *cols, size_t *off)
{
    const NetConfig *c = &n->c;
    int H = c->hidden, k = 0;
    for (int l = 0; l < c->layers; l++) {
        const Layer *L = &n->layer[l];
        rows[k] = l == 0 ? H : L->in + H;
        cols[k] = 4 * H;
        off[k++] = l == 0 ? L->w + (size_t)L->in * 4 * (size_t)H : L->w;
    }
    if (c->dense) {
        rows[k] = H;
        cols[k] = c->dense;
        off[k++] = n->wd;
    }
    rows[k] = top_features(c);
    cols[k] = c->n_out;
    off[k++] = n->wo;
    return k;
}

ReelStatus net_q8_build(Net *n, ReelError *err)
{
    int rows[MAX_LAYERS + 2], cols[MAX_LAYERS + 2], k;
    size_t off[MAX_LAYERS + 2], at[MAX_LAYERS + 2], total = 0, work = 0;
    k = q8_spans(n, rows, cols, off);
    n->q8_ok = false;
    for (int t = 0; t < k; t++) {
        at[t] = total;
        total += blas_q8_bytes(rows[t], cols[t]);
    }
    if (!n->q8mem) {
        n->q8mem = aligned_alloc(64, total);
        n->q8 = calloc((size_t)k, sizeof *n->q8);
        if (!n->q8mem || !n->q8) {
            net_q8_drop(n);
            return reel_fail(err, REEL_ENOMEM, "out of memory for the int8 weights (%zu bytes)", total);
        }
    }
    for (int t = 0; t < k; t++) {
        if (blas_q8_pack(&n->q8[t], rows[t], cols[t], n->params + off[t], cols[t], n->q8mem + at[t])) {
            net_q8_drop(n);
            return reel_fail(err, REEL_EARG, "a weight of the network is not finite: no int8 copy");
        }
        if (blas_q8_work(&n->q8[t]) > work)
            work = blas_q8_work(&n->q8[t]);
    }
    n->q8work = work;
    n->q8_ok = true;
    return REEL_OK;
}

void net_q8_drop(Net *n)
{
    free(n->q8mem);
    free(n->q8);
    n->q8mem = NULL;
    n->q8 = NULL;
    n->q8_ok = false;
}

bool net_q8_active(const Net *n)
{
    return n->q8mem && n->q8_ok;
}

NetWeights net_state_weights(const Net *n, const NetState *s)
{
    bool q8 = net_q8_active(n) && s->q8work_len >= n->q8work;
    switch (s->weights) {
    case NET_W_F32: return NET_W_F32;
    case NET_W_F16: return net_half_active(n) ? NET_W_F16 : NET_W_F32;
    case NET_W_I8: return q8 ? NET_W_I8 : NET_W_F32;
    case NET_W_FAST: default:
        return q8 ? NET_W_I8 : net_half_active(n) ? NET_W_F16 : NET_W_F32;
    }
}

ReelStatus net_state_prepare(const Net *n, NetState *s, ReelError *err)
{
    if (!net_q8_active(n) || s->q8work_len >= n->q8work)
        return REEL_OK;
    free(s->q8work);
    s->q8work_len = 0;
    if (!(s->q8work = aligned_alloc(64, n->q8work)))
        return reel_fail(err, REEL_ENOMEM, "out of memory for a generation state");
    s->q8work_len = n->q8work;
    return REEL_OK;
}

/* At most a quarter of x's n values are not zero. */
static bool mostly_zeros(const float *x, int n)
{
    int nnz = 0;
    for (int i = 0; i < n; i++)
        nnz += x[i] != 0.0f;
    return nnz * 4 <= n;
}

/* gates += x[i] W[i] for the m inputs idx, in order. */
static void rows_from(float *gates, const float *x, const float *W, size_t G4, const int *idx,
                      int m)
{
    for (int k = 0; k < m; k++) {
        if (k + 1 < m) {
            const char *next = (const char *)(W + (size_t)idx[k + 1] * G4);
            for (size_t b = 0; b < G4 * sizeof(float); b += 64)
                __builtin_prefetch(next + b);
        }
        axpy(gates, x[idx[k]], W + (size_t)idx[k] * G4, G4);
    }
}

/* Layer 0's input rows, from the float weights: the non-zero inputs only. */
static void input_rows(const Net *n, const Layer *L, const float *x, int32_t x_id, float *gates)
{
    const NetConfig *c = &n->c;
    size_t G4 = 4 * (size_t)c->hidden;
    const float *W = n->params + L->w;
    if (c->in_classes) {
        if (x_id >= 0 && x_id < c->n_in)
            add(gates, W + (size_t)x_id * G4, G4);
        return;
    }
    /* The non-zero inputs, found a pair at a time (-0 counts as zero, as in
     * x[i] != 0), then their rows in order, the next row's fetch started
     * while one is added: the rows are scattered over a large matrix. */
    int idx[256], m = 0;
    for (int i = 0; i < L->in; i += 2) {
        uint64_t pair;
        if (i + 2 <= L->in) {
            memcpy(&pair, x + i, sizeof pair);
            if (!(pair & 0x7fffffff7fffffffULL))
                continue;
        }
        for (int k = i; k < i + 2 && k < L->in; k++)
            if (x[k] != 0.0f) {
                if (m == (int)(sizeof idx / sizeof idx[0])) {
                    rows_from(gates, x, W, G4, idx, m);
                    m = 0;
                }
                idx[m++] = k;
            }
    }
    rows_from(gates, x, W, G4, idx, m);
}

/* Batch norm at inference on one position, in place. */
static void batchnorm_step(const Net *n, const BatchNorm *bn, float *x)
{
    const float *gamma = n->params + bn->gamma, *beta = n->params + bn->beta;
    const float *rmean = n->buffers + bn->mean, *rvar = n->buffers + bn->var;
    for (int f = 0; f < bn->F; f++) {
        float invstd = 1.0f / sqrtf(rvar[f] + BN_EPS);
        x[f] = gamma[f] * ((x[f] - rmean[f]) * invstd) + beta[f];
    }
}

const float *net_step(const Net *n, NetState *s, const float *x, int32_t x_id)
{
    const NetConfig *c = &n->c;
    int H = c->hidden, G4 = 4 * H, D = c->dense, K = c->n_out, F = H;
    const float *z;
    NetWeights w = net_state_weights(n, s);
    const uint16_t *hw = w == NET_W_F16 ? n->half : NULL;
    const BlasQ8 *q8 = w == NET_W_I8 ? n->q8 : NULL;
    for (int l = 0; l < c->layers; l++) {
        const Layer *L = &n->layer[l];
        const float *W = n->params + L->w, *Wh = W + (size_t)L->in * (size_t)G4;
        float *v = s->v + state_voff(c, l), *h = v + L->in, *cl = s->c_ + (size_t)l * H;
        memcpy(s->gates, n->params + L->b, (size_t)G4 * sizeof(float));
        if (q8) {
            if (l == 0) {
                input_rows(n, L, x, x_id, s->gates);
                blas_q8gemv_t_dir(&q8[0], h, s->gates, s->q8work, s->flip);
            } else {
                blas_q8gemv_t_dir(&q8[l], v, s->gates, s->q8work, s->flip);
            }
        } else if (hw) {
            /* half weights: [x; h] against [Wx; Wh] in one product that skips
             * zero inputs (a multi-hot row costs its ones only) */
            const uint16_t *Wq = hw + L->w;
            if (l == 0 && c->in_classes) {
                static const float one = 1.0f;
                if (x_id >= 0 && x_id < c->n_in)
                    blas_hgemv_t(1, G4, Wq + (size_t)x_id * (size_t)G4, G4, &one, s->gates);
                blas_hgemv_t(H, G4, Wq + (size_t)L->in * (size_t)G4, G4, h, s->gates);
            } else {
                if (l == 0)
                    memcpy(v, x, (size_t)L->in * sizeof(float));
                blas_hgemv_t(L->in + H, G4, Wq, G4, v, s->gates);
            }
        } else if (l == 0 && (c->in_classes || mostly_zeros(x, L->in))) {
            /* one-hot, or multi-hot with few ones: add the rows that count */
            input_rows(n, L, x, x_id, s->gates);
            blas_sgemv(BLAS_T, H, G4, 1.0f, Wh, G4, h, 1.0f, s->gates);
        } else if (l == 0) {
            memcpy(v, x, (size_t)L->in * sizeof(float));
            blas_sgemv(BLAS_T, L->in + H, G4, 1.0f, W, G4, v, 1.0f, s->gates);
        } else {
            blas_sgemv(BLAS_T, L->in + H, G4, 1.0f, W, G4, v, 1.0f, s->gates);
        }
        cell_forward(s->gates, cl, cl, h, 1, H);
        if (l + 1 < c->layers)
            memcpy(s->v + state_voff(c, l + 1), h, (size_t)H * sizeof(float));
    }
    memcpy(s->z, s->v + state_voff(c, c->layers - 1) + n->layer[c->layers - 1].in,
           (size_t)H * sizeof(float));
    if (c->batchnorm)
        batchnorm_step(n, &n->bn1, s->z);
    z = s->z;
    if (D) {
        memcpy(s->zd, n->params + n->bd, (size_t)D * sizeof(float));
        if (q8)
            blas_q8gemv_t_dir(&q8[c->layers], s->z, s->zd, s->q8work, s->flip);
        else if (hw)
            blas_hgemv_t(H, D, hw + n->wd, D, s->z, s->zd);
        else
            blas_sgemv(BLAS_T, H, D, 1.0f, n->params + n->wd, D, s->z, 1.0f, s->zd);
        for (int j = 0; j < D; j++)
            s->zd[j] = s->zd[j] > 0.0f ? s->zd[j] : 0.0f;
        if (c->batchnorm)
            batchnorm_step(n, &n->bn2, s->zd);
        z = s->zd;
        F = D;
    }
    memcpy(s->logits, n->params + n->bo, (size_t)K * sizeof(float));
    if (q8)
        blas_q8gemv_t_dir(&q8[c->layers + (D ? 1 : 0)], z, s->logits, s->q8work, s->flip);
    else if (hw)
        blas_hgemv_t(F, K, hw + n->wo, K, z, s->logits);
    else
        blas_sgemv(BLAS_T, F, K, 1.0f, n->params + n->wo, K, z, 1.0f, s->logits);
    s->flip = !s->flip;
    return s->logits;
}
