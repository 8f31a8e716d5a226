/* optim.h — Adam and RMSprop over one flat parameter block, and gradient
 * clipping by global norm.
 *
 * The optimizer state (Adam: m then v; RMSprop: the running mean square) is
 * one float block of 2n or n floats, so a checkpoint saves it with one write.
 * Defaults are Keras' (the papers used Keras): Adam lr 0.001, beta1 0.9,
 * beta2 0.999, eps 1e-7; RMSprop lr 0.001, rho 0.9, eps 1e-7.
 */
#ifndef REEL_OPTIM_H
#define REEL_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef enum { OPTIM_ADAM = 0, OPTIM_RMSPROP = 1 } OptimKind;

typedef struct {
    OptimKind kind;
    float lr;
    float beta1, beta2;   /* Adam */
    float rho;            /* RMSprop */
    float eps;
    float clip_norm;      /* clip gradients to this global L2 norm; 0 = no clipping */
} OptimConfig;

typedef struct {
    OptimConfig c;
    size_t n;             /* parameters */
    float *state;         /* owned: (2n) Adam m, v; (n) RMSprop mean square */
    int64_t t;            /* steps taken (Adam bias correction) */
} Optim;

/* Keras' defaults for kind. */
OptimConfig optim_defaults(OptimKind kind);
const char *optim_name(OptimKind kind);      /* "adam", "rmsprop" */
int optim_parse(const char *name);           /* OptimKind, or -1 */
size_t optim_state_len(OptimKind kind, size_t n);

ReelStatus optim_init(Optim *o, const OptimConfig *c, size_t n, ReelError *err);
void optim_free(Optim *o);

/* Global L2 norm of g; when max_norm > 0 and the norm exceeds it, scale g
 * down to max_norm.  Returns the norm before clipping. */
float optim_clip(float *g, size_t n, float max_norm);

/* One update of params from grads (grads are clipped first when c.clip_norm > 0). */
void optim_step(Optim *o, float *params, float *grads);

#endif
