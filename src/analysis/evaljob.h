/* evaljob.h — an evaluation job: melody metrics in columns, a corpus beside
 * melodies a model generates, or beside one melody.
 *
 * What this module is: the work of `reel eval`, as data.  Three kinds:
 *   model:  a corpus column (the reference cut into pieces of `bars` bars
 *           from bar 1, each piece's originality against the other tunes),
 *           then per temperature n melodies of `bars` bars (melody i with
 *           seed seed + i, the same at every temperature), after 1 bar of
 *           rests in the metre of a corpus tune drawn with that seed, or
 *           after a random EVAL_PRIME_BARS-bar corpus excerpt (not
 *           measured); their metrics, originality against the reference
 *           and distributions compared with the corpus column's.
 *   corpus: the corpus's own figures, whole tunes and pieces of `bars` bars.
 *   melody: one file's first tune (metrics; with a corpus, its originality
 *           and a column of corpus pieces of the melody's length).
 * And, with a model, the loss and accuracy on a held-out folder, and its
 * loss per note (steps per note differ between encodings and notations).
 * A model job also measures the first `bars` bars of each corpus tune (one
 * piece a tune: how tunes open, the form figures' reference).  What it
 * is not: a report; the caller prints the columns (text or JSON).  Never
 * prints; progress goes to a callback.
 */
#ifndef REEL_EVALJOB_H
#define REEL_EVALJOB_H

#include <stdbool.h>
#include <stdint.h>

#include "evalref.h"
#include "metrics.h"
#include "model.h"
#include "origin.h"
#include "train.h"

#define EVAL_MAX_TEMPS 16
#define EVAL_PRIME_BARS 2        /* prime corpus: bars of the excerpt */
#define EVAL_JUDGED_T 1.0        /* the temperature the copy target is judged at */

typedef enum { EVAL_PRIME_RESTS, EVAL_PRIME_CORPUS } EvalPrime;

/* A generated melody with a copied 2-bar window. */
typedef struct {
    uint64_t seed;
    int num, den;               /* its time signature */
    OriginResult o;
} EvalCopy;

typedef struct {
    char label[48];             /* "corpus", "T=0.8", "whole tunes", "8-bar pieces", "melody" */
    double temperature;         /* generated columns; 0 for the others */
    bool origin_loo;            /* corpus: originality against the other tunes */
    MetricsSet set;
    MetricsCompare cmp[METRICS_HISTS];   /* against the corpus column (has_cmp) */
    MetricsCompare cmp_first[METRICS_HISTS]; /* model: against the first-bars column */
    bool has_cmp;
    double query_sec;           /* time spent in origin queries */
    EvalCopy *copies;           /* generated melodies with a copied window (owned) */
    int32_t n_copies;
    int32_t queries;
} EvalColumn;

/* what: "reading PATH" (total < 0) or "generating at T=0.8:" (done of total). */
typedef void (*EvalProgress)(void *user, const char *what, long done, long total);

typedef struct {
    Model *m;                   /* NULL: no model (borrowed; evaluation batches run on it) */
    const EvalPaths *corpus;    /* n 0: none (melody alone) */
    const char *file;           /* melody: the file; NULL: model or corpus */
    const char *test_dir;       /* with m: held-out tunes, or NULL */
    double temps[EVAL_MAX_TEMPS];
    int n_temps;
    long n;                     /* melodies per temperature */
    long bars;
    uint64_t seed;
    int top_k;                  /* sampling: 0 off, else the k most likely (sample.h) */
    double top_p;               /* sampling: (0, 1]; 0 or 1 off */
    EvalPrime prime;
    EvalProgress progress;      /* may be NULL */
    void *user;
} EvalJobOpts;

/* Where a job stopped (for the caller's hints). */
typedef enum {
    EVAL_AT_MELODY,             /* reading or measuring the melody file */
    EVAL_AT_CORPUS,             /* loading the corpus (the error says "corpus PATH: ...") */
    EVAL_AT_COLUMNS,            /* measuring and generating */
    EVAL_AT_TEST,               /* the held-out folder (the error starts "DIR: ") */
    EVAL_AT_DONE,
} EvalStage;

typedef struct {
    EvalStage stage;
    EvalRef ref;                /* the corpus (empty without one) */
    EvalColumn *cols;           /* owned, EVAL_MAX_TEMPS + 2 of them */
    int nc;                     /* model: corpus, then one per temperature; corpus: whole
                                   tunes, pieces; melody: melody (, corpus) */
    Tune mel;                   /* melody: the tune */
    MelodyMetrics mm;           /* melody: its metrics */
    EvalColumn first;           /* model: the first `bars` bars of each corpus tune */
    bool has_first;
    EvalResult test;            /* test_dir: loss and accuracy (loss per step: mean over
                                   test.positions predictions) */
    long test_tunes;
    int64_t test_notes;         /* notes of the tunes evaluated, as the encoding gives them */
    double test_loss_note;      /* loss per note: test.loss * test.positions / test_notes,
                                   the loss summed over every step of every tune (each
                                   predicted once) over their notes; NaN without notes */
} EvalJob;

/* Run the job o describes into *j (overwritten; evaljob_free releases it,
 * also after a failure: j->stage says where it stopped). */
ReelStatus evaljob_run(EvalJob *j, const EvalJobOpts *o, ReelError *err);
void evaljob_free(EvalJob *j);

/* The targets of issue #6 for a generated column against the corpus
 * column: in-key share at least the corpus's minus 5 points; 1- and 2-bar
 * repetition within 30% of the corpus's; no melody with a copied window. */
typedef struct {
    bool in_key, rep1, rep2, copies;
} EvalTargets;

EvalTargets evaljob_targets(const EvalColumn *corpus, const EvalColumn *gen);

#endif
