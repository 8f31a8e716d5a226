/* metrics.h — what a melody is like, in figures, and how a set of melodies
 * compares with a corpus.
 *
 * What this module is: pure functions from a Tune to a MelodyMetrics (key,
 * in-key share, histograms, repetition, self-similarity and, given an
 * OriginIndex, originality), sets of them (a corpus, fifty generated
 * melodies) summed into a MetricsSet, and the distance between two sets'
 * distributions.  The studio's panel and `reel eval` call the same
 * functions.  What it is not: it loads nothing, never prints, keeps no
 * state.
 *
 * Definitions (exactly as computed; steps are 16ths):
 *
 *   Bars: from step 0, one after the other, each as long as the time
 *   signature in force at its start says (4/4 when the tune has none); a
 *   time-signature change starts a new bar (the bar before it is cut short,
 *   as tune_is_bar_start has it).  Only complete bars count: a bar that
 *   ends after n_steps is left out (tune_bars).  A note belongs to the bar its onset is
 *   in.  (abc2midi writes a pickup at step 0, so in such a tune of Ryan's
 *   every bar line sits a pickup's length early.  Repeats a whole number of
 *   bars apart are still found, as the shift is the same for every bar;
 *   a generated melody's bar lines are as arbitrary: the models know no
 *   bar lines.)
 *
 *   Key: Krumhansl-Schmuckler.  The pitch-class histogram is weighted by
 *   duration (steps, every note).  Its Pearson correlation with the
 *   Krumhansl-Kessler major and minor profiles rotated to each of the 12
 *   tonics; the highest of the 24 wins (ties: major before minor, then the
 *   lower tonic from C).  No notes, or a flat histogram: no key (tonic -1).
 *     major: 6.35 2.23 3.48 2.33 4.38 4.09 2.52 5.19 2.39 3.66 2.29 2.88
 *     minor: 6.33 2.68 3.52 5.38 2.60 3.53 2.54 4.75 3.98 2.69 3.34 3.17
 *   In-key share: the share of the duration (steps, every note) on pitch
 *   classes of the key's scale: major 0 2 4 5 7 9 11, minor the natural
 *   minor 0 2 3 5 7 8 10 (so a raised leading note, or a Dorian sixth,
 *   counts as out of key).
 *   Bar keys and key stability: the key of bar b is the key of the notes of
 *   bars b-1, b, b+1 (complete bars; at the ends, the two there are).  Key
 *   stability: the share of the bars with notes whose bar key is the
 *   tune's key.
 *
 *   Pitch range: highest minus lowest pitch, semitones.  Note density: notes
 *   with onsets in complete bars per complete bar.
 *
 *   Histograms (raw, summed over a set, normalised to compare):
 *     pitch classes  12 bins, C..B, weighted by duration in steps;
 *     intervals      25 bins, -12..+12 semitones, from each line note to the
 *                    next (the line: the highest note of each onset; rests
 *                    in between do not break it); larger leaps go into the
 *                    end bins;
 *     note lengths   9 bins of note counts by duration in steps:
 *                    1 | 2 | 3 | 4 | 5-6 | 7-8 | 9-12 | 13-16 | 17+.
 *
 *   Bar equality (repetition): two bars are equal when they are the same
 *   length and hold the same notes: the same number, and in tune_sort order
 *   each with the same onset relative to its bar start, the same duration
 *   (whole, even when it lasts into the next bar) and the same pitch.
 *   Transposed repeats do not count as equal; they are counted apart
 *   ("up to a transposition": the same, with every pitch moved by one
 *   interval, 0 included).
 *   Repetition rate at distance k (1, 2, 4 or 8): over the complete bars
 *   b >= k (counted from 0) that have notes, the share equal to bar b-k.
 *   An empty bar b is not counted at all; a bar with notes after an empty
 *   bar b-k counts and is not equal to it.  Up to a transposition: the
 *   same share with transposed repeats counted equal (k = 1, 2).
 *
 * Form (the figures of issue 13; bars numbered from 1 here):
 *
 *   Strain repeated: a melody of 16 complete bars or more whose bars 9-15
 *   each equal bars 1-7 (bar 9 = bar 1, ..., bar 15 = bar 7), at least one
 *   of bars 1-7 having notes; bar 16 may differ (first and second endings),
 *   bars 17 on are not looked at.  1 or 0; none (NaN) under 16 bars.
 *
 *   Last note: the last note of the line (the highest of the latest
 *   onset).  On the tonic: its pitch class is the tonic of the melody's key
 *   (above).  1 or 0; none without notes or key.
 *
 *   Beats: a bar of num/den has num beats of 16/den steps, except compound
 *   metres (den 8, num 6, 9 or 12): num/3 beats of 6 steps.  Strong beats:
 *   beat 1, and beat 3 of a 4-beat bar (4/4, 12/8).
 *   Phrase-end cadences: phrases are bars 1-4, 5-8, 9-12 ... (complete
 *   bars; a last phrase shorter than 4 bars is left out).  A phrase with
 *   notes ends on its last note: the line's last onset in its four bars.
 *   It ends on the tonic (a full cadence) when that note's pitch class is
 *   the key's tonic, on the dominant (a half cadence) when it is tonic + 7:
 *   each over the phrases with notes; none without key or such phrase.
 *   The same again, counting only a last note that starts on a strong beat
 *   of its bar or lasts a beat or more (its whole duration, as notated).
 *   (Ryan's tunes, with the pickup at step 0, have every bar line early by
 *   the pickup's length, see Bars, and the models learn that grid: the
 *   last onset before such a bar line is mostly a short note off the beat,
 *   so the second pair is small for the corpus too; the first pair, by
 *   pitch alone, does not depend on where the bar lines fall.)
 *
 *   Keys of a set: a 24-bin histogram (C..B major, then C..B minor), one
 *   count per melody with a key; compared as the other histograms are
 *   (overlap area, KL).
 *
 *   Self-similarity: the mean, over all pairs of different complete bars
 *   with notes, of their step similarity: each bar is read as a row of
 *   states, one per step (silent, or the highest pitch sounding among the
 *   notes starting in the bar, with whether it starts at that step; notes
 *   are cut at the bar's end); the similarity of two bars is the number of
 *   steps where their states are equal divided by the longer bar's length.
 *   1: every bar alike.
 *
 *   Originality: see origin.h (longest copied run, copied 2-bar windows).
 *
 *   A set (MetricsSet): each scalar is the mean (and standard deviation)
 *   over the melodies that have it (a melody without notes has no key, one
 *   with a single bar no repetition...); histograms are pooled: the sum of
 *   the melodies' raw counts.  Pitch range and note density are compared as
 *   distributions too: each melody adds one count to the bin of its value
 *   (range: 2-semitone bins 0-1 .. 36+; density: 1-note bins 0 .. 24+).
 *   Originality of a set: melodies with any copied window, windows copied
 *   over all windows (pooled), run means and maximum.
 *
 *   Comparing two sets, per histogram, as MGEval does for its features:
 *   overlap area = sum over bins of min(p, q) of the normalised histograms
 *   (1 = the same, 0 = disjoint), and the Kullback-Leibler divergence
 *   KL(ref || set) = sum p ln(p/q) in nats, after each normalised histogram
 *   is smoothed: p' = (p + 1e-3) / (1 + bins * 1e-3).
 */
#ifndef REEL_METRICS_H
#define REEL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "origin.h"
#include "tune.h"

#define METRICS_PC 12
#define METRICS_INTERVALS 25       /* -12 .. +12 */
#define METRICS_INTERVAL_MAX 12
#define METRICS_LENGTHS 9          /* 1 2 3 4 5-6 7-8 9-12 13-16 17+ */
#define METRICS_RANGE_BINS 19      /* 0-1 2-3 .. 34-35 36+ semitones */
#define METRICS_DENSITY_BINS 25    /* 0 1 .. 23 24+ notes per bar */
#define METRICS_SMOOTH 1e-3
#define METRICS_REP_K 4            /* repetition distances: 1 2 4 8 bars */
#define METRICS_KEYS 24            /* C..B major, C..B minor */
#define METRICS_STRAIN_BARS 16
#define METRICS_PHRASE_BARS 4

typedef struct {
    int tonic;        /* 0 = C .. 11 = B; -1: no key */
    bool minor;
    double r;         /* correlation with the profile, -1..1 (NaN: no key) */
} MetricsKey;

/* One melody.  Shares are 0..1; NaN where a figure does not exist. */
typedef struct {
    int32_t notes;            /* every note */
    int32_t bars;             /* complete bars */
    int32_t bars_with_notes;  /* complete bars with an onset in them */
    MetricsKey key;
    double in_key;            /* duration-weighted share in the key's scale */
    double key_stability;     /* share of bars with notes whose bar key is the key */
    int lo, hi;               /* lowest, highest pitch; -1 without notes */
    double range;             /* hi - lo, semitones */
    double density;           /* notes per complete bar */
    int32_t rep_pairs[METRICS_REP_K]; /* [i]: bars b >= k with notes, k = metrics_rep_k[i] */
    int32_t rep_equal[METRICS_REP_K]; /* of those, equal to bar b-k */
    int32_t rep1_transposed_equal; /* bars equal to bar b-1 up to a transposition */
    int32_t rep2_transposed_equal; /* bars equal to bar b-2 up to a transposition */
    double rep1, rep2;        /* rep_equal / rep_pairs */
    double rep4, rep8;
    double rep1_transposed, rep2_transposed;
    double strain;            /* 1: bars 9-15 repeat bars 1-7; 0: not; NaN: under 16 bars */
    int last_pitch;           /* pitch of the last line note; -1 without notes */
    double last_tonic;        /* 1: the last note is on the tonic; 0: not; NaN: no key */
    int32_t phrases;          /* 4-bar phrases with notes */
    int32_t cad_full_n, cad_half_n; /* of those, ending on the tonic, on the dominant */
    int32_t cad_full_beat_n, cad_half_beat_n; /* the same, on a strong beat or held a beat */
    double cad_full, cad_half;      /* cad_*_n / phrases (NaN: no key or no phrase) */
    double cad_full_beat, cad_half_beat;
    double self_sim;          /* mean pairwise bar similarity */
    double pc[METRICS_PC];              /* steps per pitch class */
    double interval[METRICS_INTERVALS]; /* line intervals -12..+12 */
    double length[METRICS_LENGTHS];     /* notes per duration bin */
    bool has_origin;          /* origin below was computed (an index was given) */
    OriginResult origin;
} MelodyMetrics;

/* Every figure of t (sorted, as tune_sort leaves it); originality too when
 * ix is not NULL (searching the whole index).  REEL_ENOMEM only. */
ReelStatus metrics_compute(const Tune *t, const OriginIndex *ix, MelodyMetrics *out,
                           ReelError *err);

/* One short line for the studio's panel, e.g.
 *   "D major, 96% in key | repeats 25%/33% | 4/8 back 20%/0% | ends on the tonic |
 *    sim 0.31 | range 14 | 7.2 notes/bar |
 *    copied: 2 of 7 windows, run 14 notes (bar 3 of KissMeJoe)"
 * ix (may be NULL) names the corpus tune.  Returns buf. */
char *metrics_summary(const MelodyMetrics *m, const OriginIndex *ix, char *buf, size_t size);

/* The repetition distances, in bars: 1, 2, 4, 8. */
extern const int metrics_rep_k[METRICS_REP_K];

/* "D major", "Bb major", "E minor", "no key" into buf (16 bytes), the
 * tonic spelled as keyprofile_tonic_name has it.  Returns buf. */
char *metrics_key_name(MetricsKey k, char buf[16]);
/* The key's bin in a key histogram (0..23), -1 without key; and back:
 * "G", "Bb", "Em" into buf (16). */
int metrics_key_bin(MetricsKey k);
char *metrics_key_bin_name(int bin, char buf[16]);

/* The key of a duration-weighted pitch-class histogram (see above). */
MetricsKey metrics_key_of(const double pc[METRICS_PC]);

/* The key of each complete bar (bars b-1..b+1, see above) into out (room for
 * max).  Returns the count of complete bars (entries past max not written);
 * -1 when out of memory. */
int32_t metrics_bar_keys(const Tune *t, MetricsKey *out, int32_t max);

/* ---- sets of melodies ------------------------------------------------------- */

typedef enum {
    METRICS_MAJOR,            /* share of melodies in a major key (of those with a key) */
    METRICS_KEY_R,
    METRICS_IN_KEY,
    METRICS_KEY_STABILITY,
    METRICS_DENSITY,
    METRICS_RANGE,
    METRICS_REP1,
    METRICS_REP2,
    METRICS_REP1_TRANSPOSED,
    METRICS_SELF_SIM,
    METRICS_RUN,              /* longest copied run, notes (with an index) */
    METRICS_RUN_TRANSPOSED,
    METRICS_COPIED_ANY,       /* 1 when the melody has a copied window, else 0 */
    METRICS_REP2_TRANSPOSED,
    METRICS_REP4,
    METRICS_REP8,
    METRICS_STRAIN,           /* share of melodies (16 bars or more) with a repeated strain */
    METRICS_LAST_TONIC,
    METRICS_CAD_FULL,
    METRICS_CAD_HALF,
    METRICS_CAD_FULL_BEAT,
    METRICS_CAD_HALF_BEAT,
    METRICS_SCALARS
} MetricsScalar;

typedef enum {
    METRICS_H_PC,
    METRICS_H_INTERVAL,
    METRICS_H_LENGTH,
    METRICS_H_RANGE,
    METRICS_H_DENSITY,
    METRICS_H_KEY,            /* keys of the melodies (24 bins) */
    METRICS_HISTS
} MetricsHist;

typedef struct {
    double mean, sd;          /* NaN when n = 0; sd is the population's */
    int32_t n;                /* melodies that have the figure */
} MetricsStat;

typedef struct {
    int32_t melodies;
    int64_t notes, bars;
    MetricsStat s[METRICS_SCALARS];
    /* pooled raw histograms (metrics_set_hist gives them by MetricsHist) */
    double pc[METRICS_PC], interval[METRICS_INTERVALS], length[METRICS_LENGTHS],
        range[METRICS_RANGE_BINS], density[METRICS_DENSITY_BINS], key[METRICS_KEYS];
    /* originality, over the melodies that had an index */
    int32_t with_origin;
    int32_t copied_melodies;         /* melodies with at least one copied window */
    int64_t windows, copied, copied_transposed;
    int32_t run_max;
    /* sums behind the means (metrics_set_add fills, metrics_set_finish reads) */
    double sum_[METRICS_SCALARS], sum2_[METRICS_SCALARS];
} MetricsSet;

typedef struct {
    double kl;                /* KL(ref || set), nats, smoothed */
    double overlap;           /* overlap area, 0..1 */
} MetricsCompare;

/* The value of one scalar for one melody (NaN when it has none). */
double metrics_scalar(const MelodyMetrics *m, MetricsScalar k);
/* "in_key", "rep1", ... (JSON keys) and a label for tables. */
const char *metrics_scalar_key(MetricsScalar k);
const char *metrics_scalar_label(MetricsScalar k);
const char *metrics_hist_key(MetricsHist h);
const char *metrics_hist_label(MetricsHist h);
int metrics_hist_bins(MetricsHist h);
/* Name of bin i of histogram h ("C#", "-3", "5-6", "24+") into buf (16). */
char *metrics_hist_bin_name(MetricsHist h, int i, char buf[16]);

void metrics_set_init(MetricsSet *s);
void metrics_set_add(MetricsSet *s, const MelodyMetrics *m);
/* Means and deviations from the sums.  Adding more afterwards and
 * finishing again is allowed. */
void metrics_set_finish(MetricsSet *s);
/* Raw pooled histogram h of s (metrics_hist_bins(h) entries). */
const double *metrics_set_hist(const MetricsSet *s, MetricsHist h);
/* Share of copied windows over all windows (NaN when none). */
double metrics_set_copied_share(const MetricsSet *s, bool transposed);

/* Normalise a histogram of n bins into out (sum 1; all zero when empty). */
void metrics_normalise(const double *h, int n, double *out);
/* KL(p || q) in nats of two raw histograms, each normalised and smoothed
 * (see above).  NaN when either is empty. */
double metrics_kl(const double *p, const double *q, int n);
/* Overlap area of two raw histograms, normalised.  NaN when either is empty. */
double metrics_overlap(const double *p, const double *q, int n);
/* The n commonest bins of raw histogram h (bins bins; ties: the lower
 * bin) into top; their shares of the total into share (may be NULL).
 * Returns how many (bins with counts, at most n). */
int metrics_hist_top(const double *h, int bins, int n, int *top, double *share);
/* Every histogram of set against ref (ref is P in the KL). */
void metrics_compare(const MetricsSet *ref, const MetricsSet *set,
                     MetricsCompare out[METRICS_HISTS]);

#endif
