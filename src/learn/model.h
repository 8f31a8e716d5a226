/* model.h — a trained model: what it encodes, its network, how it was
 * trained, and the file it lives in.
 *
 * File format, version 1 (all of it covered by the checksum):
 *
 *   "REELMODEL\n"                       magic
 *   "version 1\n"
 *   "key value\n" ...                   header: encoding, network sizes,
 *                                       training settings and progress (text,
 *                                       floats with 9 significant digits);
 *                                       "lookback 1" and "repeat_labels 1"
 *                                       only for melody --lookback (absent:
 *                                       0, so older files load as they were);
 *                                       "pitch_range LO HI" (MIDI) when the
 *                                       training tunes' range is known (absent:
 *                                       not recorded, range.h says what then)
 *                                       "lookback_bars", "phrase", "tune_events",
 *                                       "condition", "cond_key", "cond_meter",
 *                                       "transpose" only with a form option
 *                                       (encode.h; absent: 0); "key_spread"
 *                                       and 8 x 24 counts (keyspread.h) when
 *                                       known (absent: none recorded)
 *   "vocab\n" + vocab_write text        only for the tokens encoding
 *   "weights\n"
 *   u64 n, n x f32                      parameters (net_params layout)
 *   u64 n, n x f32                      buffers (net_buffers: batch-norm stats)
 *   u64 n, n x f32                      optimizer state (0 when not kept)
 *   "checksum %016llx\n"                FNV-1a 64 of every byte before this line
 *
 * Numbers in the binary part are little-endian.  Written to a temporary
 * file beside the target and renamed, so a crash leaves the old file or the
 * new one, never half of one.
 */
#ifndef REEL_MODEL_H
#define REEL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "encode.h"
#include "err.h"
#include "nn.h"
#include "optim.h"
#include "keyspread.h"
#include "range.h"
#include "rng.h"
#include "vocab.h"

#define MODEL_MAGIC "REELMODEL\n"
#define MODEL_VERSION 1

typedef struct {
    int window;            /* steps per training window */
    int batch;             /* windows per batch */
    int epochs;            /* epochs asked for */
    float val_split;       /* share of tunes held out for validation */
    float test_split;      /* share of tunes kept aside for testing: never trained on nor
                              validated (learn/job.h); 0 in older files */
    uint64_t seed;
    int threads;           /* BLAS threads */
    OptimConfig optim;
    char corpus[512];      /* what it was trained on (paths, part) */
    long tunes_train, tunes_val, tunes_test;
    long steps_train;      /* predicted positions per epoch */
} TrainSettings;

typedef struct {
    int epoch;             /* epochs completed */
    int64_t batches;       /* batches done in all */
    int64_t batch_in_epoch;/* batches done in the epoch under way (a stop mid-epoch) */
    float train_loss;      /* mean over the last completed epoch (or the part done) */
    float train_acc;
    float val_loss, val_acc;   /* after the last completed epoch; NaN when none */
    float best_val_loss;
    double seconds;        /* training time so far */
    Rng epoch_rng;         /* shuffles the epoch under way: the order is rebuilt from it */
    Rng drop_rng;          /* dropout masks, where they stand now */
} TrainProgress;

typedef struct {
    EncOpts enc;
    Vocab *vocab;          /* owned; tokens only, else NULL */
    NetConfig net;
    TrainSettings train;
    TrainProgress progress;
    Net *nn;               /* owned */
    Optim optim;           /* state kept for --resume; state NULL when not */
    uint64_t checksum;     /* of the file it was loaded from or last saved to */
    char created[32];      /* UTC time of the save, ISO 8601 */
    PitchRange range;      /* the training tunes' pitches after encoding; range_none:
                              not recorded (files from before it) */
    KeySpread keys;        /* --condition: the training corpus's keys; all 0: not
                              recorded (then the default key is enc.cond_key) */
} Model;

/* An empty model (no network; training settings window 64, batch 32, 1
 * epoch, 1 thread, Adam: a file saved as it is loads).  model_free releases
 * what it owns. */
void model_init(Model *m);
void model_free(Model *m);

/* The network config an encoding needs: n_in, in_classes, n_out, head.
 * Sizes (hidden, layers, dense...) are left as they are in *c. */
ReelStatus model_net_for_encoding(const EncOpts *e, const Vocab *v, NetConfig *c,
                                  ReelError *err);

/* Save with the optimizer state (for --resume) or without (smaller, for
 * sharing).  Sets m->checksum and m->created. */
ReelStatus model_save(Model *m, const char *path, bool with_optim, ReelError *err);
/* Remove the temporary files model_save leaves when the process dies while
 * writing (path.tmp-XXXXXX).  Call it before a run that writes path, when
 * no other process writes it.  Returns how many were removed. */
int model_clean_temps(const char *path);

/* Load a model; the network is made for generation and evaluation batches
 * up to max_T x max_B (0, 0: step-by-step only).  Every problem with the
 * file gets a message naming it: not a model, newer version, truncated,
 * damaged (checksum), inconsistent header. */
ReelStatus model_load(Model *m, const char *path, int max_T, int max_B, ReelError *err);

/* Hex form of the checksum, 16 chars + NUL. */
void model_checksum_hex(const Model *m, char out[17]);

#endif
