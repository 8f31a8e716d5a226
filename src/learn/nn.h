/* nn.h — the network: stacked LSTM layers, optional batch norm and a ReLU
 * dense layer, and one of three heads.
 *
 *   input (T, B, n_in) floats, or (T, B) class ids (one-hot, so the first
 *   product is a row gather)
 *     -> LSTM x layers (hidden H each; dropout between layers; recurrent
 *        dropout on h(t-1), one mask per sequence as Gal & Ghahramani / Keras)
 *     -> [batch norm] -> [dense D + ReLU -> [batch norm]]   (the token papers)
 *     -> dropout -> head: n_out logits
 *   heads: sigmoid + binary cross-entropy (rolls), softmax + cross-entropy
 *   (melody, tokens), linear + mean squared error (regress).
 *
 * Time-major everywhere: (T, B, F) means t * B * F + b * F + f.
 * Every window starts from zero state (as Keras' stateless LSTM).
 *
 * Losses, averaged over the positions whose mask is 1:
 *   sigmoid: mean over the n_out outputs of the binary cross-entropy
 *            (Keras' binary_crossentropy), softmax: cross-entropy of the
 *            target class, linear: mean over outputs of the squared error.
 *
 * Memory: all parameters in one float block, their gradients in another of
 * the same layout, non-trained buffers (batch-norm running statistics) in a
 * third.  Activations for training are allocated once for max_T x max_B;
 * net_forward, net_backward and net_step allocate nothing.  The layout of
 * the parameter block is documented at the top of nn.c (net_tensors lists
 * it); the gate order is i, f, g, o.
 *
 * Dropout is inverted (kept units scaled by 1/(1-p)).  The masks come from
 * the rng handed to net_forward in a fixed order, so a copy of an Rng taken
 * before a forward reproduces the same masks (the gradient checks do this).
 * Batch norm: Keras' momentum 0.99 and epsilon 1e-3; statistics over every
 * counted position of the batch (weighted by the mask).
 *
 * Determinism: the same seed, data and BLAS thread count give bit-identical
 * results run to run.
 *
 * nn.c holds the model; the matrix products live in the one module that
 * includes cblas.h (blas.h).  Nothing here prints or exits.
 */
#ifndef REEL_NN_H
#define REEL_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "rng.h"

typedef enum {
    HEAD_SIGMOID_BCE = 0,
    HEAD_SOFTMAX_CE = 1,
    HEAD_LINEAR_MSE = 2,
} HeadKind;

typedef struct {
    int n_in;            /* floats per step, or number of input classes when in_classes */
    bool in_classes;     /* inputs are class ids (x_ids), one-hot */
    int hidden;          /* LSTM units per layer, >= 1 */
    int layers;          /* LSTM layers, >= 1 */
    int dense;           /* 0: none; else a ReLU dense layer of this size before the head */
    bool batchnorm;      /* batch norm after the LSTM stack and after the dense layer */
    float dropout;       /* 0..0.9: after each LSTM layer and the dense layer (training only) */
    float rec_dropout;   /* 0..0.9: on h(t-1) in every LSTM layer (training only) */
    int n_out;           /* outputs: classes for softmax, features otherwise */
    HeadKind head;
} NetConfig;

typedef struct Net Net;

/* Check a config; fills err with what is wrong. */
ReelStatus net_config_check(const NetConfig *c, ReelError *err);
/* Parameters a network of this (checked) config has, without making one:
 * what a model file must hold before its sizes are trusted. */
size_t net_config_n_params(const NetConfig *c);

/* A network with room to train on batches up to max_T steps x max_B
 * sequences (0, 0 for a network that only generates step by step).
 * Parameters are zero until net_init or a load. */
ReelStatus net_new(Net **out, const NetConfig *c, int max_T, int max_B, ReelError *err);
void net_free(Net *n);                       /* accepts NULL */
const NetConfig *net_config(const Net *n);

size_t net_n_params(const Net *n);
float *net_params(Net *n);                   /* (n_params) one block, owned by n */
float *net_grads(Net *n);                    /* (n_params) same layout */
size_t net_n_buffers(const Net *n);
float *net_buffers(Net *n);                  /* (n_buffers) batch-norm running stats */

/* Initialise (Keras' defaults): Glorot-uniform input, dense and head
 * weights, orthogonal recurrent weights (orthonormal rows of each layer's
 * (H, 4H) Wh), zero biases except the forget gates (1), batch norm gamma 1,
 * beta 0, running mean 0, variance 1.  Also zeroes the gradients. */
void net_init(Net *n, Rng *r);

/* One named tensor of the parameter block: "lstm0.Wx" (I, 4H), "lstm0.Wh"
 * (H, 4H), "lstm0.b" (1, 4H), ..., "bn1.gamma", "bn1.beta", "dense.W",
 * "dense.b", "bn2.gamma", "bn2.beta", "head.W" (F, n_out), "head.b". */
typedef struct {
    char name[24];
    size_t offset;            /* into net_params / net_grads */
    int rows, cols;           /* row-major */
} NetTensor;

/* Fills up to max tensors in block order; returns how many the net has. */
int net_tensors(const Net *n, NetTensor *out, int max);

typedef struct {
    int T, B;                 /* 1 <= T <= max_T, 1 <= B <= max_B */
    const float *x;           /* (T, B, n_in) when !in_classes */
    const int32_t *x_ids;     /* (T, B) when in_classes; ids in 0..n_in-1 */
    const float *y;           /* (T, B, n_out) targets for sigmoid and linear heads */
    const int32_t *y_ids;     /* (T, B) targets for the softmax head */
    const float *mask;        /* (T, B) 1 = counts, 0 = padding; NULL: all count */
} NetBatch;

/* Forward over a batch.  training: dropout masks drawn from rng (may be NULL
 * when not training) and batch statistics for batch norm (running statistics
 * updated); otherwise no dropout and running statistics.  Returns the mean
 * loss over the counted positions (0 when none count, or when the batch has
 * no targets: y / y_ids NULL computes outputs only).  A mask value is the
 * position's weight (1 or 0 in practice); a softmax target outside
 * 0..n_out-1 does not count; an input id outside 0..n_in-1 is a zero input.
 * Returns NaN for a batch that does not fit (T, B above the room given to
 * net_new, missing inputs, or dropout without an rng). */
float net_forward(Net *n, const NetBatch *b, bool training, Rng *rng);

/* Head outputs of the last forward: probabilities (sigmoid, softmax) or
 * values (linear), (T, B, n_out), owned by n. */
const float *net_outputs(const Net *n);

/* Gradients of the last forward's loss (a forward of the same batch, in
 * training mode for training) into net_grads, overwriting them.  All zero
 * when that forward failed, had no targets, or counted no position. */
void net_backward(Net *n, const NetBatch *b);

/* ---- generation: one step at a time ----------------------------------- */

typedef struct NetState NetState;

NetState *net_state_new(const Net *n);       /* zero state, batch 1; NULL if out of memory */
void net_state_free(NetState *s);
void net_state_reset(NetState *s);           /* back to zero */
void net_state_copy(NetState *dst, const NetState *src);

/* Feed one step (x: n_in floats, or x_id when in_classes) and return the
 * head's n_out logits (pre-activation; values for the linear head), owned
 * by s and valid until the next call.  Costs one step whatever came before.
 * Inference semantics (no dropout, batch norm's running statistics): the
 * same outputs as net_forward(training = false) over the same sequence, to
 * float rounding.  Reads n only, so several states may step at once, but
 * not while n trains.  Any Net works, including one made with no batch
 * room (0, 0). */
const float *net_step(const Net *n, NetState *s, const float *x, int32_t x_id);

/* Half-precision weights for net_step.  net_half_build takes an IEEE fp16
 * copy of the current weight matrices (LSTM [Wx; Wh], dense W, head W;
 * biases, batch norm and the cell stay float) and net_step then reads the
 * copy: half the memory traffic per step (a 2 x 256 LSTM's 1.5 MiB stays
 * in a 2 MiB L2 cache), products still summed in float.  Logits then differ
 * from the float weights' by the weights' rounding (relative 2^-11 each):
 * about 1e-4 on the logits of a freshly initialised 2 x 256 or 2 x 512 net,
 * tested below 2e-3.  The copy is owned by n (net_free frees it) and is a
 * snapshot: call net_half_build again after the weights change (it reuses
 * the memory); net_forward in training mode marks it out of date, so net_step
 * falls back to the float weights until it is rebuilt.  REEL_EARG when a
 * weight is not finite or too large for a half (|w| > 65504; the copy is
 * dropped), REEL_ENOMEM.  Neither may run while a state steps on n. */
ReelStatus net_half_build(Net *n, ReelError *err);
void net_half_drop(Net *n);                  /* back to float steps; frees the copy */
bool net_half_active(const Net *n);          /* a copy exists and is up to date */
/* precise: this state's steps use the float weights even when n has a half
 * copy (the default is false: the copy when there is one).  net_state_copy
 * and net_state_reset leave it as it is. */
void net_state_set_precise(NetState *s, bool precise);

/* int8 weights for net_step (blas.h: one scale per output unit, the step's
 * input quantized per product).  A quarter of the float weights' memory:
 * a 2 x 512 LSTM's 3 MiB instead of 12 (fp16: 6).  The logits move by the
 * quantization: about 1e-2 on a trained 2 x 256 model's, small against the
 * sampling temperature's effect (the tests bound it, and bench_nn prints the
 * KL divergence from the float step).  Layer 0's input rows stay float.
 * Like the half copy: owned by n, a snapshot (training marks it out of date),
 * REEL_EARG for a non-finite weight, REEL_ENOMEM.  A state steps on it only
 * after net_state_prepare (its work memory). */
ReelStatus net_q8_build(Net *n, ReelError *err);
void net_q8_drop(Net *n);
bool net_q8_active(const Net *n);
ReelStatus net_state_prepare(const Net *n, NetState *s, ReelError *err);

/* What a state's steps read: NET_W_FAST (the default) the int8 copy when
 * there is one and the state is prepared, else the half copy, else the
 * floats; the others ask for one kind and fall back to the floats when that
 * copy is missing.  net_state_set_precise(s, true) is NET_W_F32. */
typedef enum { NET_W_FAST, NET_W_F32, NET_W_F16, NET_W_I8 } NetWeights;
void net_state_set_weights(NetState *s, NetWeights w);
NetWeights net_state_weights(const Net *n, const NetState *s); /* what the next step will read */

/* Multiply-adds of the matrix products of one training step (forward +
 * backward) per time step and sequence: GFLOP/s = 2 * this * (time steps x
 * sequences per second) / 1e9.  Elementwise work is not counted. */
double net_flops_per_step(const Net *n);

#endif
