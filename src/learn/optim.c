/* optim.c — see optim.h.
 *
 * The update rules are Keras 2's (the papers trained with Keras):
 *
 *   Adam     lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)      (t counts from 1)
 *            m = beta1 m + (1 - beta1) g
 *            v = beta2 v + (1 - beta2) g^2
 *            p -= lr_t * m / (sqrt(v) + eps)
 *            (eps is added to sqrt(v), not to the bias-corrected sqrt(v_hat) as
 *            in PyTorch; the two agree when eps is small next to sqrt(v))
 *   RMSprop  s = rho s + (1 - rho) g^2
 *            p -= lr * g / (sqrt(s) + eps)
 *
 * Clipping rescales the whole gradient block when its L2 norm exceeds the
 * limit (Keras' global_clipnorm, PyTorch's clip_grad_norm_).  Sums are taken
 * in double and in index order, so results do not depend on anything but the
 * inputs.
 */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

OptimConfig optim_defaults(OptimKind kind)
{
    OptimConfig c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.lr = 0.001f;
    c.beta1 = 0.9f;
    c.beta2 = 0.999f;
    c.rho = 0.9f;
    c.eps = 1e-7f;
    c.clip_norm = 0.0f;
    return c;
}

const char *optim_name(OptimKind kind)
{
    switch (kind) {
    case OPTIM_ADAM:
        return "adam";
    case OPTIM_RMSPROP:
        return "rmsprop";
    }
    return "unknown";
}

int optim_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "adam") == 0)
        return OPTIM_ADAM;
    if (strcmp(name, "rmsprop") == 0)
        return OPTIM_RMSPROP;
    return -1;
}

size_t optim_state_len(OptimKind kind, size_t n)
{
    return kind == OPTIM_ADAM ? 2 * n : n;
}

ReelStatus optim_init(Optim *o, const OptimConfig *c, size_t n, ReelError *err)
{
    memset(o, 0, sizeof *o);
    if (c->kind != OPTIM_ADAM && c->kind != OPTIM_RMSPROP)
        return reel_fail(err, REEL_EARG, "unknown optimizer %d", (int)c->kind);
    if (!(c->lr > 0.0f) || !isfinite(c->lr))
        return reel_fail(err, REEL_EARG, "learning rate %g: must be > 0", (double)c->lr);
    if (c->kind == OPTIM_ADAM && !(c->beta1 >= 0.0f && c->beta1 < 1.0f && c->beta2 >= 0.0f &&
                                   c->beta2 < 1.0f))
        return reel_fail(err, REEL_EARG, "Adam betas %g, %g: must be in [0, 1)", (double)c->beta1,
                         (double)c->beta2);
    if (c->kind == OPTIM_RMSPROP && !(c->rho >= 0.0f && c->rho < 1.0f))
        return reel_fail(err, REEL_EARG, "RMSprop rho %g: must be in [0, 1)", (double)c->rho);
    if (!(c->eps > 0.0f) || !isfinite(c->eps))
        return reel_fail(err, REEL_EARG, "epsilon %g: must be > 0", (double)c->eps);
    if (!(c->clip_norm >= 0.0f))
        return reel_fail(err, REEL_EARG, "clip norm %g: must be >= 0 (0 = off)",
                         (double)c->clip_norm);
    o->c = *c;
    o->n = n;
    o->t = 0;
    if (n && !(o->state = calloc(optim_state_len(c->kind, n), sizeof(float))))
        return reel_fail(err, REEL_ENOMEM, "out of memory for the optimizer state (%zu floats)",
                         optim_state_len(c->kind, n));
    return REEL_OK;
}

void optim_free(Optim *o)
{
    if (!o)
        return;
    free(o->state);
    o->state = NULL;
    o->n = 0;
}

float optim_clip(float *g, size_t n, float max_norm)
{
    double ss = 0.0, norm;
    for (size_t i = 0; i < n; i++)
        ss += (double)g[i] * g[i];
    norm = sqrt(ss);
    if (max_norm > 0.0f && norm > max_norm) {
        float scale = (float)(max_norm / norm);
        for (size_t i = 0; i < n; i++)
            g[i] *= scale;
    }
    return (float)norm;
}

void optim_step(Optim *o, float *params, float *grads)
{
    const OptimConfig *c = &o->c;
    size_t n = o->n;
    if (c->clip_norm > 0.0f)
        optim_clip(grads, n, c->clip_norm);
    o->t++;
    if (n == 0)
        return;
    if (c->kind == OPTIM_ADAM) {
        float *m = o->state, *v = o->state + n;
        double t = (double)o->t;
        float lr_t = (float)(c->lr * sqrt(1.0 - pow(c->beta2, t)) / (1.0 - pow(c->beta1, t)));
        float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
        for (size_t i = 0; i < n; i++) {
            float g = grads[i];
            m[i] = b1 * m[i] + (1.0f - b1) * g;
            v[i] = b2 * v[i] + (1.0f - b2) * g * g;
            params[i] -= lr_t * m[i] / (sqrtf(v[i]) + eps);
        }
    } else {
        float *s = o->state, rho = c->rho, lr = c->lr, eps = c->eps;
        for (size_t i = 0; i < n; i++) {
            float g = grads[i];
            s[i] = rho * s[i] + (1.0f - rho) * g * g;
            params[i] -= lr * g / (sqrtf(s[i]) + eps);
        }
    }
}
