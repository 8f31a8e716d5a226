/* train.h — the training loop: epochs of shuffled minibatches of windows,
 * validation by tune, a checkpoint every epoch and when asked to stop.
 *
 * It reports through a callback after every batch, validation and
 * checkpoint.  The callback runs on the training thread; a front end that
 * draws elsewhere (the studio) copies the event into its own queue.  The
 * loop polls `stop` after every batch: set it from a signal handler or
 * another thread and the loop saves a checkpoint and returns.
 *
 * Crashes: checkpoints are written aside and renamed (model_save), after
 * every epoch and, when asked, every N batches or S seconds within one; a
 * killed run leaves the last complete one.  A loss, gradient or weight that
 * is not finite sends the run back to the last checkpoint (kept in memory)
 * with half the learning rate, saying so (TRAIN_EV_ROLLBACK); after 8 such
 * rollbacks train_run fails, the checkpoint on disk intact.  A failed save
 * (a full disk) fails train_run with the old checkpoint intact.
 *
 * Accuracy, per head:
 *   softmax (melody, tokens): the most likely class is the next one.
 *   sigmoid (rolls): the whole frame is right (every output on the right
 *     side of 0.5).  Also reported, for comparison with the papers' Keras
 *     set-up: Keras' binary_accuracy (share of the outputs right, averaged
 *     over outputs) and categorical_accuracy (the index of the largest
 *     output equals the index of the largest target; an all-silent target
 *     has index 0, as in Keras).
 *   linear (regress): the predicted pitch rounds to the right MIDI note.
 */
#ifndef REEL_TRAIN_H
#define REEL_TRAIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "data.h"
#include "dist.h"
#include "model.h"

typedef enum {
    TRAIN_EV_START,       /* before the first batch */
    TRAIN_EV_BATCH,       /* after every batch */
    TRAIN_EV_EPOCH,       /* after an epoch and its validation */
    TRAIN_EV_CHECKPOINT,  /* a checkpoint was written (msg: the path) */
    TRAIN_EV_DONE,        /* every epoch done */
    TRAIN_EV_STOPPED,     /* stopped on request; checkpoint written */
    TRAIN_EV_ROLLBACK,    /* the loss or gradient was not finite: back to the last
                             checkpoint with a lower learning rate (msg says so) */
} TrainEventKind;

typedef struct {
    TrainEventKind kind;
    int epoch, epochs;           /* epoch is 0-based for the one under way */
    int64_t batch, batches;      /* in this epoch: done, total */
    int64_t global_batch;
    float loss, acc;             /* this batch */
    float acc_bits, acc_argmax;  /* sigmoid heads: Keras' binary and categorical accuracy */
    float grad_norm;
    float epoch_loss, epoch_acc; /* the epoch so far: mean over its batches */
    float val_loss, val_acc;     /* last validation; NaN before the first */
    float val_acc_bits, val_acc_argmax;
    double steps_per_sec;        /* predicted positions per second in this run */
    double elapsed;              /* seconds in this run */
    double eta;                  /* seconds left, estimated */
    HeadKind head;
    int ranks;                   /* processes training together (1 unless data-parallel) */
    char msg[512];
} TrainEvent;

typedef void (*TrainCallback)(void *user, const TrainEvent *ev);

/* ---- data-parallel training over several ranks (dist.h) ----------------
 * Every rank runs train_run in step on its own tunes (train and val hold
 * only them).  Each epoch is cut into windows and shuffled on `all`, the
 * lengths of every training tune of every rank in the order one process
 * would hold them, so every rank knows the single-process order of windows
 * and batches.  Each batch is split evenly over the ranks (the rank that
 * holds a window's tune sends its rows where it is computed; with owner
 * NULL, or for melody --lookback, the holder computes it); each rank runs
 * forward and backward on its part of the batch,
 * the gradient block is summed over the ranks (each part weighted by its
 * positions, so the sum is the gradient of the whole batch's mean loss),
 * clipped, and every rank takes the same optimizer step: the weights stay
 * identical (checked at every checkpoint).
 *
 * Exact up to float rounding (the sum is split differently): losses, the
 * gradient and the weights, for any number of ranks, without dropout and
 * batch norm.  Dropout masks come from a stream per (seed, batch, rank)
 * instead of the one-process stream: the same distribution, other masks.
 * Batch norm uses each rank's own batch statistics (as PyTorch's DDP without
 * SyncBatchNorm); the running statistics are averaged over ranks, weighted by
 * positions, after every batch.  Validation: each rank its own val tunes,
 * summed.  Stop (the flag, --max-batches) is decided together.  Rank 0 saves
 * the checkpoints and writes the log; give cb and log_path there only. */
typedef struct {
    Dist *dist;
    const Dataset *all;       /* n_tunes, start[] (and positions) of every training tune; no rows */
    const int32_t *local;     /* (all->n_tunes) the tune's index in this rank's train, or -1 */
    const int32_t *owner;     /* (all->n_tunes) the rank holding each tune; NULL: every window
                                 is computed where its tune is (else the batch is split evenly
                                 and the rows sent where they are computed) */
    /* out */
    bool alone;               /* failed where the other ranks cannot know: end the job (dist_abort) */
    bool own;                 /* the error is this rank's own (else another rank's, or shared) */
    uint64_t checksum;        /* FNV-1a of the weights at the last checkpoint, equal on all ranks */
} TrainShard;

typedef struct {
    const char *out_path;        /* the model file; checkpoints overwrite it */
    const char *log_path;        /* CSV of every batch; NULL: none */
    atomic_int *stop;            /* non-zero: checkpoint and return; may be NULL */
    TrainCallback cb;            /* may be NULL */
    void *user;
    int64_t max_batches;         /* stop (with a checkpoint) after this many batches in this run; 0: no limit */
    int64_t checkpoint_batches;  /* also a checkpoint every this many batches (mid-epoch); 0: none */
    double checkpoint_secs;      /* also one when this many seconds passed since the last
                                    (one process only: ranks use checkpoint_batches); 0: none */
    TrainShard *shard;           /* data-parallel (above); NULL: one process */
} TrainRun;

/* Train m (network initialised or loaded, progress as saved) on train,
 * validating on val (may have no tunes).  m->train holds the settings.
 * Returns REEL_OK when every epoch is done or when stopped (the last event
 * says which); an error leaves the last checkpoint as it was. */
ReelStatus train_run(Model *m, const Dataset *train, const Dataset *val, const TrainRun *run,
                     ReelError *err);

/* Loss and accuracies of m on d (no dropout), in batches of the model's
 * window and batch size. */
typedef struct {
    double loss, acc, acc_bits, acc_argmax;
    int64_t positions;
} EvalResult;
ReelStatus train_evaluate(Model *m, const Dataset *d, EvalResult *out, ReelError *err);

#endif
