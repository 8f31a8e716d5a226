/* trainer.h — training in a background thread for the studio's training
 * view: the training job `reel train` runs too (learn/job.h: load the
 * corpus, hold tunes out for validation, build the network or resume the
 * model file, train_run), with pause, stop and a look at the weights while
 * it runs.  What is here: what the form's settings mean to the job, the
 * thread, and the MPI job as a child process.
 *
 * Threads.  trainer_start starts one thread that owns the training job (its
 * Corpus and Datasets) and the Model.  train_run's callback runs on that thread: it
 * copies each event into a ring under the trainer's mutex (the UI drains
 * it with trainer_drain), waits on a condition variable while paused, and
 * hands over a copy of the weights when the UI asked for one (also while
 * paused).  Stop sets train_run's stop flag (and wakes a pause): the loop
 * writes a checkpoint and returns; starting again resumes from it.  The
 * thread wakes the UI by writing a byte to wake_fd (at most ~10 times a
 * second for batch events).  The Model stays allocated until
 * trainer_join, so the UI may read it after the thread has finished.
 *
 * BLAS: the thread uses whatever blas_set_threads says (the studio sets 1,
 * leaving a core for the screen and the audio).  No curses here.
 *
 * Several ranks (cfg.ranks > 1): the thread runs `mpirun -np N reel train
 * ... --progress -` as a child process (this binary, /proc/self/exe) and
 * turns its progress lines into the same events; the child's stderr goes to
 * MODEL.mpi.log and its progress lines to MODEL.progress.  Stop sends
 * SIGUSR1 to mpirun, which passes it on (every rank stops at the same batch,
 * rank 0 writes the checkpoint; a job that has not ended a minute later gets
 * SIGINT); pause is not offered; the weights
 * to listen to are the last checkpoint's.  mpirun's flags: --oversubscribe
 * (and --allow-run-as-root as root), or $REEL_MPIRUN_FLAGS.
 */
#ifndef REEL_UI_TRAINER_H
#define REEL_UI_TRAINER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "corpus.h"
#include "data.h"
#include "encode.h"
#include "model.h"
#include "optim.h"
#include "train.h"

typedef struct {
    char corpus[4096];     /* folder or file of MIDI/ABC */
    char out[4096];        /* model file (checkpoints overwrite it) */
    EncKind enc;
    bool lookback;         /* melody: lookback inputs and repeat labels ("melody-lookback",
                              the shipped default model's encoding) */
    bool durations;        /* tokens */
    int hidden, layers, dense;
    float dropout;
    int window, batch, epochs;
    float lr;
    OptimKind optimizer;
    long max_tunes;        /* 0: all */
    float val_split;
    uint64_t seed;
    bool resume;           /* continue the model in `out` (its settings win) */
    int ranks;             /* 1: a thread here; > 1: mpirun -np ranks reel train (above) */
} TrainerConfig;

/* The defaults of `reel train`, and a melody model of 2 x 128. */
void trainer_config_defaults(TrainerConfig *c);
/* The training form's encoding names: enc_name's, and "melody-lookback"
 * (melody --lookback --repeat-labels).  Parse: false for an unknown name. */
const char *trainer_enc_name(const TrainerConfig *c);
bool trainer_enc_parse(TrainerConfig *c, const char *name);
#define TRAINER_ENCODINGS "roll13, roll13o, roll128, melody, melody-lookback, tokens, regress"


typedef enum {
    TR_IDLE = 0,
    TR_LOADING,            /* reading the corpus, encoding */
    TR_RUNNING,
    TR_DONE,               /* every epoch done */
    TR_STOPPED,            /* stopped on request; checkpoint written */
    TR_FAILED,             /* msg says why */
} TrainerPhase;

#define TRAINER_RING 2048

typedef struct {
    TrainerConfig cfg;     /* copied at start */
    int wake_fd;           /* UI's pipe, or -1 */
    pthread_t th;
    bool started;          /* a thread was started (join it) */
    atomic_int stop;
    atomic_int wake_pending;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* ---- under mu ---- */
    TrainerPhase phase;
    bool paused;           /* asked to pause */
    bool waiting;          /* the thread is waiting (paused at a batch boundary) */
    double paused_total;   /* seconds spent paused in this run */
    double paused_since;
    char msg[512];         /* why it failed; what it finished with */
    long files_done, files_total;
    /* summary, set before TR_RUNNING */
    long tunes_train, tunes_val, files_skipped;
    long notes;
    int64_t positions;     /* predictions per epoch */
    size_t n_params;
    int resumed_epoch;     /* -1: a new model */
    int ranks;             /* processes training: 1, or the MPI job's ranks */
    pid_t child;           /* mpirun, while it runs; 0 otherwise */
    char log_path[4200];   /* the MPI job's stderr */
    TrainEvent ring[TRAINER_RING];
    uint64_t w, r;         /* events written, read */
    bool want_weights, have_weights;
    float *wp, *wb;        /* copies of params, buffers */
    size_t wn, bn;
    int64_t w_batch;       /* global batch of the copy */
    int w_epoch;
    /* ---- owned by the thread until it ends, then readable until join ---- */
    Model m;
    bool have_model;       /* m holds a network */
    double last_wake;
} Trainer;

void trainer_init(Trainer *t);
/* Start the thread.  REEL_EARG when one is still running. */
ReelStatus trainer_start(Trainer *t, const TrainerConfig *c, int wake_fd, ReelError *err);
/* Pause (true) or resume (false).  False when the run cannot pause (an MPI
 * job). */
bool trainer_pause(Trainer *t, bool pause);
/* Ask to stop (checkpoint, then the thread ends). */
void trainer_stop(Trainer *t);
/* Wait for the thread to end and free what it owned (the Model too). */
void trainer_join(Trainer *t);
void trainer_free(Trainer *t);   /* stop, join, free */

/* A running thread (loading or training, paused or not). */
bool trainer_active(Trainer *t);
TrainerPhase trainer_phase(Trainer *t);

/* Copy out up to max events not read yet; returns how many.  Clears the
 * pending-wake flag. */
int trainer_drain(Trainer *t, TrainEvent *out, int max);

/* Ask for a copy of the current weights (the next batch boundary, or at
 * once while paused). */
void trainer_request_weights(Trainer *t);
/* When the copy has arrived (or the thread has ended: then the model file
 * is loaded), build a model for generation in *out (model_init'ed by the
 * caller; freed with model_free).  REEL_EEMPTY while the copy has not come
 * yet (*ready false), other errors when there is no model at all. */
ReelStatus trainer_take_model(Trainer *t, Model *out, bool *ready, char *what, size_t what_size,
                              ReelError *err);

#endif
