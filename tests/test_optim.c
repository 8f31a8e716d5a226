/* test_optim.c — Adam and RMSprop against their formulas worked out in
 * double, clipping, defaults and argument checks.
 */
#include <math.h>

#include "optim.h"
#include "testlib.h"

#define N 7

static const float g_seq[3][N] = {
    {0.5f, -1.0f, 2.0f, 0.0f, 1e-4f, -3.0f, 0.25f},
    {-0.5f, -1.0f, 1.0f, 0.0f, 1e-4f, 3.0f, 0.125f},
    {0.1f, 2.0f, -2.0f, 1e-3f, 0.0f, -1.0f, 1.0f},
};

static double rel(double a, double b)
{
    double d = fabs(a - b), s = fmax(fabs(a), fabs(b));
    return s > 0 ? d / s : d;
}

int main(void)
{
    ReelError err;

    /* defaults and names */
    {
        OptimConfig a = optim_defaults(OPTIM_ADAM), r = optim_defaults(OPTIM_RMSPROP);
        CHECK(a.lr == 0.001f && a.beta1 == 0.9f && a.beta2 == 0.999f && a.eps == 1e-7f &&
                  a.clip_norm == 0.0f,
              "Adam defaults");
        CHECK(r.lr == 0.001f && r.rho == 0.9f && r.eps == 1e-7f, "RMSprop defaults");
        CHECK(optim_parse("adam") == OPTIM_ADAM && optim_parse("rmsprop") == OPTIM_RMSPROP &&
                  optim_parse("sgd") == -1 && optim_parse(NULL) == -1,
              "parse");
        CHECK(strcmp(optim_name(OPTIM_ADAM), "adam") == 0 &&
                  strcmp(optim_name(OPTIM_RMSPROP), "rmsprop") == 0,
              "names");
        CHECK(optim_state_len(OPTIM_ADAM, 10) == 20 && optim_state_len(OPTIM_RMSPROP, 10) == 10,
              "state lengths");
    }

    /* bad configurations */
    {
        Optim o;
        OptimConfig c = optim_defaults(OPTIM_ADAM);
        c.lr = 0.0f;
        CHECK(optim_init(&o, &c, 4, &err) == REEL_EARG, "lr 0 rejected");
        c = optim_defaults(OPTIM_ADAM);
        c.beta2 = 1.0f;
        CHECK(optim_init(&o, &c, 4, &err) == REEL_EARG, "beta2 1 rejected");
        c = optim_defaults(OPTIM_RMSPROP);
        c.rho = -0.1f;
        CHECK(optim_init(&o, &c, 4, &err) == REEL_EARG, "rho < 0 rejected");
        c = optim_defaults(OPTIM_RMSPROP);
        c.eps = 0.0f;
        CHECK(optim_init(&o, &c, 4, &err) == REEL_EARG, "eps 0 rejected");
        c = optim_defaults(OPTIM_RMSPROP);
        c.clip_norm = -1.0f;
        CHECK(optim_init(&o, &c, 4, &err) == REEL_EARG && strstr(err.msg, "clip"),
              "negative clip rejected: %s", err.msg);
        c.kind = (OptimKind)7;
        CHECK(optim_init(&o, &c, 4, &err) == REEL_EARG, "unknown kind rejected");
    }

    /* Adam, three steps, against Keras' formula in double. */
    {
        Optim o;
        OptimConfig c = optim_defaults(OPTIM_ADAM);
        float p[N], g[N];
        double pd[N], m[N] = {0}, v[N] = {0}, worst = 0;
        c.lr = 0.01f;
        REQUIRE(optim_init(&o, &c, N, &err) == REEL_OK, "%s", err.msg);
        for (int i = 0; i < N; i++)
            pd[i] = p[i] = 0.1f * (float)i - 0.3f;
        for (int t = 1; t <= 3; t++) {
            /* the float hyper-parameters as they are (0.999f is not 0.999) */
            double b1 = c.beta1, b2 = c.beta2, lr = c.lr, eps = c.eps;
            double lr_t = lr * sqrt(1.0 - pow(b2, t)) / (1.0 - pow(b1, t));
            memcpy(g, g_seq[t - 1], sizeof g);
            optim_step(&o, p, g);
            for (int i = 0; i < N; i++) {
                double gi = g_seq[t - 1][i];
                m[i] = b1 * m[i] + (1.0 - b1) * gi;
                v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                pd[i] -= lr_t * m[i] / (sqrt(v[i]) + eps);
            }
            for (int i = 0; i < N; i++) {
                double e = fabs(p[i] - pd[i]);
                worst = e > worst ? e : worst;
            }
        }
        CHECK(o.t == 3, "steps counted: %lld", (long long)o.t);
        CHECK(worst < 2e-6, "Adam vs formula: worst |dp| %.3g", worst);
        for (int i = 0; i < N; i++) {
            CHECK(rel(o.state[i], m[i]) < 1e-5, "Adam m[%d] %g vs %g", i, (double)o.state[i], m[i]);
            CHECK(rel(o.state[N + i], v[i]) < 1e-5, "Adam v[%d] %g vs %g", i,
                  (double)o.state[N + i], v[i]);
        }
        /* The first step moves every parameter with a gradient by about lr. */
        {
            Optim o1;
            float q[N] = {0}, g1[N];
            memcpy(g1, g_seq[0], sizeof g1);
            REQUIRE(optim_init(&o1, &c, N, &err) == REEL_OK, "%s", err.msg);
            optim_step(&o1, q, g1);
            CHECK(fabsf(q[0] + 0.01f) < 1e-6f && fabsf(q[1] - 0.01f) < 1e-6f && q[3] == 0.0f,
                  "first Adam step is -lr * sign(g): %g %g %g", (double)q[0], (double)q[1],
                  (double)q[3]);
            optim_free(&o1);
        }
        optim_free(&o);
    }

    /* RMSprop, three steps. */
    {
        Optim o;
        OptimConfig c = optim_defaults(OPTIM_RMSPROP);
        float p[N], g[N];
        double pd[N], s[N] = {0}, worst = 0;
        REQUIRE(optim_init(&o, &c, N, &err) == REEL_OK, "%s", err.msg);
        for (int i = 0; i < N; i++)
            pd[i] = p[i] = 0.2f * (float)i;
        for (int t = 0; t < 3; t++) {
            memcpy(g, g_seq[t], sizeof g);
            optim_step(&o, p, g);
            for (int i = 0; i < N; i++) {
                double gi = g_seq[t][i], rho = c.rho, lr = c.lr, eps = c.eps;
                s[i] = rho * s[i] + (1.0 - rho) * gi * gi;
                pd[i] -= lr * gi / (sqrt(s[i]) + eps);
            }
            for (int i = 0; i < N; i++) {
                double e = fabs(p[i] - pd[i]);
                worst = e > worst ? e : worst;
            }
        }
        CHECK(worst < 1e-6, "RMSprop vs formula: worst |dp| %.3g", worst);
        for (int i = 0; i < N; i++)
            CHECK(rel(o.state[i], s[i]) < 1e-5, "RMSprop s[%d] %g vs %g", i, (double)o.state[i], s[i]);
        optim_free(&o);
        optim_free(&o); /* twice is harmless */
    }

    /* Clipping: the global norm, scaled down only above the limit. */
    {
        float g[4] = {3, 0, -4, 0}, h[4] = {0.3f, 0, -0.4f, 0};
        float norm = optim_clip(g, 4, 1.0f);
        CHECK(fabsf(norm - 5.0f) < 1e-6f, "norm before clipping %g", (double)norm);
        CHECK(fabsf(g[0] - 0.6f) < 1e-6f && fabsf(g[2] + 0.8f) < 1e-6f, "clipped %g %g",
              (double)g[0], (double)g[2]);
        norm = optim_clip(h, 4, 1.0f);
        CHECK(fabsf(norm - 0.5f) < 1e-6f && h[0] == 0.3f && h[2] == -0.4f, "under the limit: unchanged");
        norm = optim_clip(g, 4, 0.0f);
        CHECK(fabsf(norm - 1.0f) < 1e-6f && fabsf(g[0] - 0.6f) < 1e-6f, "0 = measure only");
    }

    /* optim_step clips when configured: with clip 1 and lr 1, RMSprop's first
     * step is -g_clipped / sqrt(0.1 g_clipped^2) = -sign(g) * sqrt(10). */
    {
        Optim o;
        OptimConfig c = optim_defaults(OPTIM_RMSPROP);
        float p[2] = {0, 0}, g[2] = {30, -40};
        c.lr = 1.0f;
        c.clip_norm = 1.0f;
        REQUIRE(optim_init(&o, &c, 2, &err) == REEL_OK, "%s", err.msg);
        optim_step(&o, p, g);
        CHECK(fabsf(g[0] - 0.6f) < 1e-6f && fabsf(g[1] + 0.8f) < 1e-6f, "grads clipped in place");
        CHECK(fabsf(o.state[0] - 0.036f) < 1e-7f, "state from clipped grads: %g", (double)o.state[0]);
        CHECK(fabsf(p[0] + sqrtf(10.0f)) < 1e-4f && fabsf(p[1] - sqrtf(10.0f)) < 1e-4f,
              "step %g %g", (double)p[0], (double)p[1]);
        optim_free(&o);
    }

    /* An empty block is allowed. */
    {
        Optim o;
        OptimConfig c = optim_defaults(OPTIM_ADAM);
        CHECK(optim_init(&o, &c, 0, &err) == REEL_OK, "n = 0");
        optim_step(&o, NULL, NULL);
        optim_free(&o);
    }
    TEST_END();
}
