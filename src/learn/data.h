/* data.h — a corpus encoded for training, cut into windows, filled into
 * batches.
 *
 * Every tune is encoded once.  Rows are kept compactly: 0/1 bytes for the
 * rolls (a POP909 piano roll128 is 1.1 M rows x 256), floats for regress,
 * class ids for melody and tokens.  A window of W predictions on a tune
 * feeds rows s .. s+len-1 and predicts rows s+1 .. s+len: every position of
 * a window is a prediction, not only its last (the same signal as the
 * papers' one-prediction-per-window, for a fraction of the work).
 */
#ifndef REEL_DATA_H
#define REEL_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "encode.h"
#include "err.h"
#include "rng.h"
#include "tune.h"
#include "vocab.h"

typedef struct {
    EncOpts enc;
    int width;            /* floats per row (float encodings); classes for class encodings */
    bool classes;
    int32_t n_tunes;
    int64_t *start;       /* (n_tunes + 1) owned: row offset of each tune */
    uint8_t *bits;        /* (rows, width) owned: roll encodings */
    float *vals;          /* (rows, width) owned: regress */
    int32_t *ids;         /* (rows) owned: melody, tokens */
    uint16_t *bar_pos;    /* (rows) owned, melody --lookback: each step's place in its bar */
    uint16_t *bar_len;    /* (rows) owned, melody --lookback: that bar's length in steps */
    uint16_t *bar_num;    /* (rows) owned, form phrase inputs: bars since the tune's start */
    uint8_t *beat;        /* (rows) owned, likewise: beat (bits 0-2), 8 = on a beat */
    int8_t *key, *meter;  /* (n_tunes) owned, form cond inputs: each tune's key, metre */
    int key_mode, meter_mode; /* cond: the commonest key and metre of the tunes (before
                             transposition), -1 without tunes */
    int32_t copies;       /* tunes added by transposition (enc.shifts) */
    int lo, hi;           /* the tunes' pitch range (melody), lo > hi without notes */
    int in_floats;        /* > 0: class targets, but the network reads float rows of this
                             width that data_fill builds from the ids (melody --lookback:
                             x (W, B, in_floats) and y_ids, repeat labels among them with
                             enc.repeats); 0: inputs as the targets */
    int64_t rows;
    int64_t positions;    /* predictions per epoch: sum over tunes of rows - 1 */
    int32_t *src;         /* (n_tunes) owned: the i of data_build's list each tune came from
                             (the short tunes left out leave gaps); NULL for a Dataset that
                             only describes lengths (train.h, TrainShard) */
    EncStats st;          /* what encoding the tunes cost */
} Dataset;

typedef struct {
    int32_t tune;
    int64_t start;        /* first input row (absolute) */
    int32_t len;          /* predictions, 1..W */
} Window;

/* Encode tunes[which[i]] for i < n (which NULL: all n).  v is needed for
 * tokens.  Tunes too short to predict anything (< 2 rows) are left out.
 * With e->shifts (melody --lookback) each tune is also added transposed
 * (encode.h), after all the tunes as they are; src names the original.
 * With tune events each tune is cut to its bars with notes first
 * (enc_trim_silence). */
ReelStatus data_build(Dataset *d, const Tune *tunes, const int32_t *which, int32_t n,
                      const EncOpts *e, const Vocab *v, ReelError *err);
void data_free(Dataset *d);

/* Cut every tune into windows of at most W predictions.  With rng, each
 * tune's window grid starts at a random offset (the first window is then
 * shorter), so an epoch sees other boundaries than the last; without, the
 * grid starts at row 0.  Returns the count, or -1 when out of memory;
 * *out is owned by the caller. */
int64_t data_windows(const Dataset *d, int W, Rng *rng, Window **out);

/* Fill one time-major batch from windows w[0..nb): x (W, B, width) or
 * x_ids (W, B) (x (W, B, in_floats) when in_floats > 0: lookback rows, see
 * encode.h); y (W, B, width) or y_ids (W, B); mask (W, B).  Columns
 * nb..B-1 and the positions past a window's len are padding (mask 0). */
void data_fill(const Dataset *d, const Window *w, int nb, int W, int B, float *x,
               int32_t *x_ids, float *y, int32_t *y_ids, float *mask);

#endif
