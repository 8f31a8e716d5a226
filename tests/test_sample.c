/* test_sample.c — the sampler's statistics: temperature against entropy,
 * top-k and top-p keep what they promise, draws follow the probabilities,
 * a seed repeats its draws. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rng.h"
#include "sample.h"
#include "testlib.h"

static double sum(const float *p, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += p[i];
    return s;
}

static int live(const float *p, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += p[i] > 0.0f;
    return k;
}

static void test_softmax_and_entropy(void)
{
    float logits[3] = {0.0f, (float)log(2.0), (float)log(4.0)}, p[3];
    float big[40], q[40];
    static const float temps[] = {0.05f, 0.25f, 0.5f, 1.0f, 1.5f, 2.0f, 4.0f, 16.0f};
    double prev = -1.0, h;
    Rng r;

    sample_softmax(logits, 3, 1.0f, p);
    CHECK(fabs(p[0] - 1.0 / 7) < 1e-6 && fabs(p[1] - 2.0 / 7) < 1e-6 && fabs(p[2] - 4.0 / 7) < 1e-6,
          "softmax of log(1,2,4) is 1/7, 2/7, 4/7: %g %g %g", p[0], p[1], p[2]);
    sample_softmax(logits, 3, 2.0f, p);
    CHECK(fabs(p[2] / p[0] - 2.0) < 1e-5, "T = 2 takes the square root of ratios: %g",
          p[2] / p[0]);

    rng_seed(&r, 7);
    for (int i = 0; i < 40; i++)
        big[i] = (float)(rng_normal(&r) * 2.0);
    for (size_t t = 0; t < sizeof temps / sizeof temps[0]; t++) {
        sample_softmax(big, 40, temps[t], q);
        h = sample_entropy(q, 40);
        CHECK(fabs(sum(q, 40) - 1.0) < 1e-5, "T %g: sums to %g", temps[t], sum(q, 40));
        CHECK(h > prev, "entropy rises with temperature: T %g gives %.4f bits, the T before "
              "%.4f", temps[t], h, prev);
        fprintf(stderr, "  T %-5g entropy %.3f bits\n", temps[t], h);
        prev = h;
    }
    sample_softmax(big, 40, 0.05f, q);
    CHECK(sample_entropy(q, 40) < 0.2, "T 0.05 is nearly the argmax");
    sample_softmax(big, 40, 1000.0f, q);
    CHECK(fabs(sample_entropy(q, 40) - log2(40.0)) < 0.01, "T 1000 is nearly uniform");

    for (int i = 0; i < 8; i++)
        q[i] = 0.125f;
    CHECK(fabs(sample_entropy(q, 8) - 3.0) < 1e-9, "uniform over 8: 3 bits");
    q[0] = 1.0f;
    CHECK(sample_entropy(q, 1) == 0.0, "a certainty: 0 bits");

    /* Masks: -inf gets 0, NaN counts as -inf, all masked gives uniform. */
    logits[1] = -INFINITY;
    sample_softmax(logits, 3, 1.0f, p);
    CHECK(p[1] == 0.0f && fabs(p[0] - 0.2) < 1e-6, "masked class: %g %g", p[0], p[1]);
    logits[0] = NAN;
    sample_softmax(logits, 3, 1.0f, p);
    CHECK(p[0] == 0.0f && p[1] == 0.0f && fabs(p[2] - 1.0) < 1e-6, "NaN masked");
    logits[0] = logits[2] = -INFINITY;
    sample_softmax(logits, 3, 1.0f, p);
    CHECK(fabs(p[0] - 1.0 / 3) < 1e-6 && fabs(p[2] - 1.0 / 3) < 1e-6, "all masked: uniform");
}

static void test_top_k(void)
{
    float p[10], orig[10];
    SampleTop s[10];
    Rng r;
    rng_seed(&r, 11);
    for (int k = 1; k <= 10; k++) {
        int kept;
        for (int i = 0; i < 10; i++)
            orig[i] = p[i] = rng_float(&r) + 0.01f;
        kept = sample_top_k(p, 10, k, s);
        CHECK(kept == k && live(p, 10) == k, "top-k %d kept %d", k, live(p, 10));
        if (k < 10)
            CHECK(fabs(sum(p, 10) - 1.0) < 1e-5, "top-k %d renormalised: %g", k, sum(p, 10));
        else
            CHECK(memcmp(p, orig, sizeof p) == 0, "top-k n changes nothing");
        /* Every kept entry is at least as likely as every dropped one. */
        for (int i = 0; i < 10; i++)
            for (int j = 0; j < 10; j++)
                if (p[i] > 0 && p[j] == 0)
                    CHECK(orig[i] >= orig[j], "top-k %d kept %d (%g) over %d (%g)", k, i,
                          orig[i], j, orig[j]);
    }
    /* Ties: exactly k, the lower classes. */
    for (int i = 0; i < 10; i++)
        p[i] = 0.1f;
    CHECK(sample_top_k(p, 10, 3, s) == 3, "ties: exactly 3");
    CHECK(p[0] > 0 && p[1] > 0 && p[2] > 0 && p[3] == 0, "ties go to the lower classes");
    for (int i = 0; i < 10; i++)
        p[i] = 0.1f;
    CHECK(sample_top_k(p, 10, 0, s) == 10 && p[9] == 0.1f, "k = 0 is off");
    CHECK(sample_top_k(p, 10, 99, s) == 10, "k > n keeps all");
}

static void test_top_p(void)
{
    static const float base[4] = {0.5f, 0.25f, 0.15f, 0.1f};
    static const struct {
        float p;
        int keep;
    } cases[] = {{0.1f, 1}, {0.5f, 1}, {0.51f, 2}, {0.75f, 2}, {0.76f, 3}, {0.9f, 3},
                 {0.91f, 4}, {1.0f, 4}};
    float p[4], q[50], orig[50];
    SampleTop s[50];
    Rng r;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        /* Shuffled order, so the order of the classes does not help. */
        p[0] = base[2];
        p[1] = base[0];
        p[2] = base[3];
        p[3] = base[1];
        int kept = sample_top_p(p, 4, cases[c].p, s);
        CHECK(kept == cases[c].keep, "top-p %g kept %d, wanted %d", cases[c].p, kept,
              cases[c].keep);
        CHECK(p[1] > 0, "top-p %g keeps the most likely", cases[c].p);
        CHECK(fabs(sum(p, 4) - 1.0) < 1e-6, "top-p renormalised");
    }
    /* Random distributions: the kept set is the most likely ones, has mass
     * >= p, and is the smallest such set. */
    rng_seed(&r, 99);
    for (int trial = 0; trial < 500; trial++) {
        int n = 2 + (int)rng_below(&r, 48);
        float pp = 0.05f + 0.9f * rng_float(&r), minkept = 2.0f, maxdrop = -1.0f;
        double total = 0, kept_mass = 0;
        for (int i = 0; i < n; i++) {
            orig[i] = (float)exp(rng_normal(&r) * 1.5);
            total += orig[i];
        }
        for (int i = 0; i < n; i++)
            q[i] = orig[i] = (float)(orig[i] / total);
        sample_top_p(q, n, pp, s);
        for (int i = 0; i < n; i++) {
            if (q[i] > 0) {
                kept_mass += orig[i];
                if (orig[i] < minkept)
                    minkept = orig[i];
            } else if (orig[i] > maxdrop) {
                maxdrop = orig[i];
            }
        }
        CHECK(maxdrop <= minkept, "trial %d: dropped %g over kept %g", trial, maxdrop, minkept);
        CHECK(kept_mass >= pp - 1e-5, "trial %d: kept mass %g < p %g", trial, kept_mass, pp);
        CHECK(kept_mass - minkept < pp, "trial %d: not the smallest set (mass %g without "
              "its least %g, p %g)", trial, kept_mass - minkept, minkept, pp);
    }
}

static void test_draws(void)
{
    static const float probs[5] = {0.1f, 0.2f, 0.0f, 0.3f, 0.4f};
    long count[5] = {0};
    const long N = 200000;
    Rng a, b;
    int differ = 0;
    rng_seed(&a, 12345);
    for (long i = 0; i < N; i++)
        count[sample_categorical(probs, 5, &a)]++;
    for (int c = 0; c < 5; c++) {
        double f = (double)count[c] / (double)N;
        fprintf(stderr, "  class %d: p %.2f drawn %.4f\n", c, probs[c], f);
        CHECK(fabs(f - probs[c]) < 0.005, "class %d drawn %.4f of the time, p %.2f", c, f,
              probs[c]);
    }
    CHECK(count[2] == 0, "a zero-probability class is never drawn");

    /* Same seed, same draws; another seed, other draws. */
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        CHECK(sample_categorical(probs, 5, &a) == sample_categorical(probs, 5, &b),
              "draw %d differs under the same seed", i);
    rng_seed(&a, 42);
    rng_seed(&b, 43);
    for (int i = 0; i < 1000; i++)
        differ += sample_categorical(probs, 5, &a) != sample_categorical(probs, 5, &b);
    CHECK(differ > 100, "seeds 42 and 43 drew the same classes (%d differ)", differ);

    /* Filtering then drawing: top-k 2 of these draws only classes 4 and 3. */
    {
        float logits[5], q[5];
        SampleTop s[5];
        SampleOpts o = sample_defaults();
        o.top_k = 2;
        for (int c = 0; c < 5; c++)
            logits[c] = probs[c] > 0 ? (float)log(probs[c]) : -INFINITY;
        sample_dist(logits, 5, &o, q, s);
        rng_seed(&a, 5);
        memset(count, 0, sizeof count);
        for (long i = 0; i < 20000; i++)
            count[sample_categorical(q, 5, &a)]++;
        CHECK(count[0] == 0 && count[1] == 0 && count[2] == 0, "top-k 2 draws only 3 and 4");
        CHECK(fabs((double)count[4] / 20000 - 4.0 / 7) < 0.015, "renormalised: 4/7 for class "
              "4, drawn %.4f", (double)count[4] / 20000);
    }
}

static void test_bernoulli(void)
{
    float logits[6] = {-3.0f, -1.0f, 0.0f, 0.5f, 2.0f, 4.0f}, out[6];
    long on[6] = {0}, most = 0;
    SampleTop s[6];
    const long N = 100000;
    Rng r;
    rng_seed(&r, 3);
    for (long i = 0; i < N; i++) {
        sample_bernoulli(logits, 6, 2.0f, 0, &r, out, s);
        for (int j = 0; j < 6; j++)
            on[j] += out[j] > 0.5f;
    }
    for (int j = 0; j < 6; j++) {
        double want = 1.0 / (1.0 + exp(-logits[j] / 2.0)), f = (double)on[j] / N;
        CHECK(fabs(f - want) < 0.006, "output %d on %.4f of the time, sigmoid(l/2) = %.4f", j,
              f, want);
    }
    memset(on, 0, sizeof on);
    for (long i = 0; i < 20000; i++) {
        long k = 0;
        sample_bernoulli(logits, 6, 1.0f, 2, &r, out, s);
        for (int j = 0; j < 6; j++) {
            on[j] += out[j] > 0.5f;
            k += out[j] > 0.5f;
        }
        if (k > most)
            most = k;
    }
    CHECK(most <= 2, "top-k 2: at most 2 outputs on (%ld)", most);
    CHECK(on[0] + on[1] + on[2] + on[3] == 0 && on[4] > 0 && on[5] > 0,
          "top-k 2: only the two highest logits ever on");
    CHECK(fabs(sample_sigmoid(0.0f, 3.0f) - 0.5f) < 1e-7, "sigmoid(0) = 1/2");
    CHECK(fabs(sample_sigmoid(2.0f, 2.0f) - 1.0 / (1.0 + exp(-1.0))) < 1e-6,
          "sigmoid(2 / 2)");
}

static void test_top_list(void)
{
    static const float p[7] = {0.1f, 0.3f, 0.05f, 0.3f, 0.2f, 0.0f, 0.05f};
    SampleTop t[7];
    int n = sample_top(p, 7, t, 3);
    CHECK(n == 3, "3 of 7");
    CHECK(t[0].cls == 1 && t[1].cls == 3 && t[2].cls == 4, "order: %d %d %d (ties: lower "
          "class first)", t[0].cls, t[1].cls, t[2].cls);
    CHECK(t[0].p == 0.3f && t[2].p == 0.2f, "probabilities carried");
    n = sample_top(p, 7, t, 10);
    CHECK(n == 7 && t[6].cls == 5 && t[4].cls == 2 && t[5].cls == 6, "all 7 sorted");
}

static void test_opts(void)
{
    SampleOpts o = sample_defaults();
    ReelError err;
    CHECK(sample_opts_check(&o, &err) == REEL_OK, "defaults are valid");
    CHECK(o.temperature == 1.0f && o.top_k == 0 && o.top_p == 1.0f, "defaults");
    o.temperature = 0.0f;
    CHECK(sample_opts_check(&o, &err) == REEL_EARG && strstr(err.msg, "--temperature"),
          "temperature 0: %s", err.msg);
    o.temperature = -1.0f;
    CHECK(sample_opts_check(&o, &err) == REEL_EARG, "temperature -1");
    o.temperature = NAN;
    CHECK(sample_opts_check(&o, &err) == REEL_EARG, "temperature NaN");
    o = sample_defaults();
    o.top_p = 0.0f;
    CHECK(sample_opts_check(&o, &err) == REEL_EARG && strstr(err.msg, "--top-p"), "top-p 0: %s",
          err.msg);
    o.top_p = 1.01f;
    CHECK(sample_opts_check(&o, &err) == REEL_EARG, "top-p above 1");
    o = sample_defaults();
    o.top_k = -1;
    CHECK(sample_opts_check(&o, &err) == REEL_EARG && strstr(err.msg, "--top-k"), "top-k -1: %s",
          err.msg);
    o = sample_defaults();
    o.noise = -0.5f;
    CHECK(sample_opts_check(&o, &err) == REEL_EARG && strstr(err.msg, "--noise"), "noise < 0");
}

int main(void)
{
    test_softmax_and_entropy();
    test_top_k();
    test_top_p();
    test_draws();
    test_bernoulli();
    test_top_list();
    test_opts();
    TEST_END();
}
