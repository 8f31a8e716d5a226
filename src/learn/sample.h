/* sample.h — turning a network's logits into a choice: pure functions.
 *
 * What this module is: softmax with a temperature, top-k and top-p (nucleus)
 * filtering, drawing from a categorical distribution with an explicit Rng,
 * per-output Bernoulli draws for sigmoid heads, entropy, and the top-N list
 * the studio draws as the "next-note distribution".  What it is not: it knows
 * no encoding and no network (generate.h puts these pieces together per
 * head).  Nothing here allocates, prints or keeps state; scratch space is the
 * caller's.
 *
 * Temperature T divides the logits before softmax or sigmoid: T = 1 is the
 * model's own distribution, T < 1 sharper (towards the most likely choice),
 * T > 1 flatter (towards uniform).  T must be > 0.
 *
 * Top-k keeps exactly the k most likely classes (ties go to the lower class
 * number); top-p keeps the smallest set of most likely classes whose mass is
 * at least p (same tie rule).  Both renormalise what they keep.  When both are
 * on, top-k comes first, then top-p on what is left.
 */
#ifndef REEL_SAMPLE_H
#define REEL_SAMPLE_H

#include <stdbool.h>

#include "err.h"
#include "rng.h"

/* How a sigmoid-head roll (roll13, roll13o, roll128) becomes a frame. */
typedef enum {
    SAMPLE_ROLL_AUTO = 0, /* mono for roll13/roll13o (melodies), poly for roll128 */
    SAMPLE_ROLL_MONO,     /* at most one pitch per step (see generate.h) */
    SAMPLE_ROLL_POLY,     /* every pitch an independent Bernoulli draw */
} SampleRollMode;

typedef struct {
    float temperature;    /* > 0; 1 = the model's distribution */
    int top_k;            /* 0 = off; else keep the k most likely */
    float top_p;          /* (0, 1]; 1 = off */
    float noise;          /* regress head: scale of the Gaussian noise, >= 0 (0: none) */
    SampleRollMode roll;
} SampleOpts;

/* One class and its probability (a row of the studio's bar chart). */
typedef struct {
    int cls;
    float p;
} SampleTop;

/* Temperature 1, top-k off, top-p off, noise 1, roll auto. */
SampleOpts sample_defaults(void);

/* Check the options: temperature > 0 and finite, top_k >= 0, top_p in
 * (0, 1], noise >= 0.  The message names the option as the CLI spells it
 * ("--temperature must be > 0, not -1"). */
ReelStatus sample_opts_check(const SampleOpts *o, ReelError *err);

/* probs (n) = softmax(logits / temperature).  logits and probs may be the
 * same array.  Logits of -INFINITY get probability 0 (a mask); NaN logits
 * count as -INFINITY.  When every logit is masked, probs is uniform. */
void sample_softmax(const float *logits, int n, float temperature, float *probs);

/* sigmoid(logit / temperature). */
float sample_sigmoid(float logit, float temperature);

/* Keep the k most likely entries of probs (n), zero the others, renormalise.
 * k <= 0 or k >= n changes nothing.  scratch holds n entries.  Returns the
 * number of non-zero entries left. */
int sample_top_k(float *probs, int n, int k, SampleTop *scratch);

/* Keep the smallest set of most likely entries whose mass is >= p (of the
 * total), zero the others, renormalise.  p >= 1 changes nothing.  scratch
 * holds n entries.  Returns the number of non-zero entries left. */
int sample_top_p(float *probs, int n, float p, SampleTop *scratch);

/* Softmax with temperature, then top-k, then top-p, into probs (n). */
void sample_dist(const float *logits, int n, const SampleOpts *o, float *probs,
                 SampleTop *scratch);

/* Draw a class from probs (n, not necessarily normalised, >= 0): class i
 * with probability probs[i] / sum.  Uses one rng_double.  A zero sum gives 0. */
int sample_categorical(const float *probs, int n, Rng *r);

/* Entropy of probs (n, normalised), in bits; zeros contribute nothing. */
double sample_entropy(const float *probs, int n);

/* The max most likely entries of probs (n), most likely first (ties: lower
 * class first), into out.  Returns how many were written (min(max, n)). */
int sample_top(const float *probs, int n, SampleTop *out, int max);

/* Independent Bernoulli draws: out[i] = 1 with probability
 * sigmoid(logits[i] / temperature), else 0.  With top_k > 0 only the top_k
 * outputs of highest logit may be 1 (ties: lower index).  scratch holds n
 * entries (used only when top_k is on).  One rng_float per output. */
void sample_bernoulli(const float *logits, int n, float temperature, int top_k, Rng *r,
                      float *out, SampleTop *scratch);

#endif
