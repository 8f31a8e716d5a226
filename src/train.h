/* train.h — the training loop: epochs of shuffled minibatches of windows,
 * validation by tune, a checkpoint every epoch and when asked to stop.
 *
 * It reports through a callback after every batch, validation and
 * checkpoint.  The callback runs on the training thread; a front end that
 * draws elsewhere (the studio) copies the event into its own queue.  The
 * loop polls `stop` after every batch: set it from a signal handler or
 * another thread and the loop saves a checkpoint and returns.
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
#include "model.h"

typedef enum {
    TRAIN_EV_START,       /* before the first batch */
    TRAIN_EV_BATCH,       /* after every batch */
    TRAIN_EV_EPOCH,       /* after an epoch and its validation */
    TRAIN_EV_CHECKPOINT,  /* a checkpoint was written (msg: the path) */
    TRAIN_EV_DONE,        /* every epoch done */
    TRAIN_EV_STOPPED,     /* stopped on request; checkpoint written */
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
    char msg[512];
} TrainEvent;

typedef void (*TrainCallback)(void *user, const TrainEvent *ev);

typedef struct {
    const char *out_path;        /* the model file; checkpoints overwrite it */
    const char *log_path;        /* CSV of every batch; NULL: none */
    atomic_int *stop;            /* non-zero: checkpoint and return; may be NULL */
    TrainCallback cb;            /* may be NULL */
    void *user;
    int64_t max_batches;         /* stop (with a checkpoint) after this many batches in this run; 0: no limit */
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
