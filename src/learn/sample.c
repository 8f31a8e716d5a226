/* sample.c — see sample.h.  Sums are kept in double so that vocabularies of
 * thousands of classes renormalise without drift. */
#include "sample.h"

#include <math.h>
#include <stdlib.h>

SampleOpts sample_defaults(void)
{
    SampleOpts o;
    o.temperature = 1.0f;
    o.top_k = 0;
    o.top_p = 1.0f;
    o.noise = 1.0f;
    o.roll = SAMPLE_ROLL_AUTO;
    return o;
}

ReelStatus sample_opts_check(const SampleOpts *o, ReelError *err)
{
    if (!o)
        return reel_fail(err, REEL_EARG, "no sampling options");
    if (!(o->temperature > 0.0f) || !isfinite(o->temperature))
        return reel_fail(err, REEL_EARG,
                         "--temperature must be a number > 0, not %g (1 is the model's own "
                         "distribution, lower is safer, higher wilder)", (double)o->temperature);
    if (o->top_k < 0)
        return reel_fail(err, REEL_EARG, "--top-k must be 0 (off) or more, not %d", o->top_k);
    if (!(o->top_p > 0.0f && o->top_p <= 1.0f))
        return reel_fail(err, REEL_EARG, "--top-p must be in (0, 1] (1 is off), not %g",
                         (double)o->top_p);
    if (!(o->noise >= 0.0f) || !isfinite(o->noise))
        return reel_fail(err, REEL_EARG, "--noise must be 0 or more, not %g", (double)o->noise);
    if (o->roll < SAMPLE_ROLL_AUTO || o->roll > SAMPLE_ROLL_POLY)
        return reel_fail(err, REEL_EARG, "unknown roll sampling mode %d", (int)o->roll);
    return REEL_OK;
}

void sample_softmax(const float *logits, int n, float temperature, float *probs)
{
    double max = -INFINITY, sum = 0.0;
    if (n <= 0)
        return;
    for (int i = 0; i < n; i++) {
        double z = (double)logits[i] / (double)temperature;
        if (z == z && z > max) /* NaN fails z == z */
            max = z;
    }
    if (max == -INFINITY) {
        for (int i = 0; i < n; i++)
            probs[i] = 1.0f / (float)n;
        return;
    }
    for (int i = 0; i < n; i++) {
        double z = (double)logits[i] / (double)temperature;
        double e = z == z && z > -INFINITY ? exp(z - max) : 0.0;
        probs[i] = (float)e;
        sum += e;
    }
    for (int i = 0; i < n; i++)
        probs[i] = (float)((double)probs[i] / sum);
}

float sample_sigmoid(float logit, float temperature)
{
    double z = (double)logit / (double)temperature;
    if (z != z)
        return 0.5f;
    return (float)(1.0 / (1.0 + exp(-z)));
}

/* Most likely first; equal probabilities: lower class first. */
static int top_cmp(const void *a, const void *b)
{
    const SampleTop *x = a, *y = b;
    if (x->p != y->p)
        return x->p > y->p ? -1 : 1;
    return x->cls < y->cls ? -1 : x->cls > y->cls;
}

static void sort_desc(const float *probs, int n, SampleTop *s)
{
    for (int i = 0; i < n; i++) {
        s[i].cls = i;
        s[i].p = probs[i];
    }
    qsort(s, (size_t)n, sizeof *s, top_cmp);
}

static int normalise(float *probs, int n)
{
    double sum = 0.0;
    int live = 0;
    for (int i = 0; i < n; i++)
        sum += probs[i];
    if (sum <= 0.0)
        return 0;
    for (int i = 0; i < n; i++) {
        probs[i] = (float)((double)probs[i] / sum);
        live += probs[i] > 0.0f;
    }
    return live;
}

static int count_live(const float *probs, int n)
{
    int live = 0;
    for (int i = 0; i < n; i++)
        live += probs[i] > 0.0f;
    return live;
}

int sample_top_k(float *probs, int n, int k, SampleTop *scratch)
{
    if (n <= 0)
        return 0;
    if (k <= 0 || k >= n)
        return count_live(probs, n);
    sort_desc(probs, n, scratch);
    for (int i = k; i < n; i++)
        probs[scratch[i].cls] = 0.0f;
    return normalise(probs, n);
}

int sample_top_p(float *probs, int n, float p, SampleTop *scratch)
{
    double total = 0.0, cum = 0.0, want;
    int keep;
    if (n <= 0)
        return 0;
    if (!(p < 1.0f))
        return count_live(probs, n);
    for (int i = 0; i < n; i++)
        total += probs[i];
    if (total <= 0.0)
        return 0;
    /* "At least p" up to float rounding of the probabilities themselves. */
    want = (double)p * total * (1.0 - 1e-6);
    sort_desc(probs, n, scratch);
    for (keep = 0; keep < n && scratch[keep].p > 0.0f;) {
        cum += scratch[keep++].p;
        if (cum >= want)
            break;
    }
    if (keep == 0)
        keep = 1;
    for (int i = keep; i < n; i++)
        probs[scratch[i].cls] = 0.0f;
    return normalise(probs, n);
}

void sample_dist(const float *logits, int n, const SampleOpts *o, float *probs,
                 SampleTop *scratch)
{
    sample_softmax(logits, n, o->temperature, probs);
    if (o->top_k > 0)
        sample_top_k(probs, n, o->top_k, scratch);
    if (o->top_p < 1.0f)
        sample_top_p(probs, n, o->top_p, scratch);
}

int sample_categorical(const float *probs, int n, Rng *r)
{
    double total = 0.0, u, cum = 0.0;
    int last = 0;
    for (int i = 0; i < n; i++)
        if (probs[i] > 0.0f)
            total += probs[i];
    u = rng_double(r) * total;
    if (total <= 0.0)
        return 0;
    for (int i = 0; i < n; i++) {
        if (!(probs[i] > 0.0f))
            continue;
        cum += probs[i];
        last = i;
        if (u < cum)
            return i;
    }
    return last; /* rounding left u at the very top: the last live class */
}

double sample_entropy(const float *probs, int n)
{
    double h = 0.0;
    for (int i = 0; i < n; i++)
        if (probs[i] > 0.0f)
            h -= (double)probs[i] * log2((double)probs[i]);
    return h;
}

int sample_top(const float *probs, int n, SampleTop *out, int max)
{
    int m = 0;
    if (n <= 0 || max <= 0)
        return 0;
    /* Insertion into a list of at most max: n is a vocabulary, max a screen. */
    for (int i = 0; i < n; i++) {
        float p = probs[i];
        int j;
        if (m == max && !(p > out[m - 1].p))
            continue;
        j = m < max ? m++ : m - 1;
        while (j > 0 && p > out[j - 1].p) {
            out[j] = out[j - 1];
            j--;
        }
        out[j].cls = i;
        out[j].p = p;
    }
    return m;
}

void sample_bernoulli(const float *logits, int n, float temperature, int top_k, Rng *r,
                      float *out, SampleTop *scratch)
{
    bool limit = top_k > 0 && top_k < n;
    if (limit) {
        /* Rank by logit (monotone in probability at any temperature). */
        for (int i = 0; i < n; i++) {
            scratch[i].cls = i;
            scratch[i].p = logits[i] == logits[i] ? logits[i] : -INFINITY;
        }
        qsort(scratch, (size_t)n, sizeof *scratch, top_cmp);
    }
    for (int i = 0; i < n; i++)
        out[i] = rng_float(r) < sample_sigmoid(logits[i], temperature) ? 1.0f : 0.0f;
    if (limit)
        for (int i = top_k; i < n; i++)
            out[scratch[i].cls] = 0.0f;
}
