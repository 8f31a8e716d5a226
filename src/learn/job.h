/* job.h — one training run, assembled: the corpus, the split by tune, the
 * vocabulary, a new or resumed network, the datasets, and the loop
 * (train_run).  `reel train` (src/cli/cmd_train.c, also each rank of an
 * mpirun job) and the studio's training thread (ui/trainer.c) both train
 * through it, so the same settings give the same validation tunes and the
 * same batches in either.
 *
 * It is not: option parsing, messages, signals or progress display (the
 * front ends'), nor the loop itself (train.h).  Nothing here prints or
 * exits; every step returns an error value.
 *
 * The steps, in this order (stop at the first that fails; job_free always):
 *   job_init     the configuration, the caller's Model, the Dist (or NULL)
 *   job_resume   (cfg.resume only) load cfg.out and check it can go on; its
 *                settings, encoding and seed win over cfg's from then on
 *   job_load     read the corpus, keep the first max_tunes tunes
 *   job_split    shuffle the tunes from the seed, hold val_split of them out
 *                for validation and keep test_split more aside (te_which:
 *                in no dataset, so reel eval --test can measure tunes the
 *                model never saw and no choice was made on); without a
 *                test share the split is what it always was, and adding
 *                one leaves the validation tunes as they were
 *   job_build    (a new model only) the vocabulary and a new network
 *   job_data     encode the training and validation tunes
 *   job_train    train_run, with the cadence of cfg and the caller's stop
 *                flag and callback
 *
 * Several ranks (a Dist of more than one, dist.h): job_load .. job_train
 * are collectives (every rank calls them, in order).  Each rank reads every
 * N-th file (shard.h) and holds its own tunes; the split, the vocabulary and
 * the batches are those of one process.  When a step fails, failed_rank
 * says whose failure it was (-1: several, or not known) and alone that the
 * other ranks cannot know it (the front end ends the job, dist_abort).
 *
 * Ownership: the Model is the caller's (model_init'ed before job_init; it
 * holds the network and the progress after the steps, and stays the
 * caller's to free).  Everything else here is the job's until job_free.
 */
#ifndef REEL_JOB_H
#define REEL_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "corpus.h"
#include "data.h"
#include "dist.h"
#include "model.h"
#include "shard.h"
#include "train.h"

typedef struct {
    /* data */
    const char *const *paths;  /* files and folders of MIDI and ABC; not owned */
    int n_paths;
    CorpusOpts corpus;         /* part, phase search, progress (the shard fields are the job's) */
    long max_tunes;            /* > 0: only the first max_tunes tunes of the corpus */
    EncOpts enc;
    long vocab_min;            /* tokens: seen fewer times becomes <unk>; 1 keeps every token */
    /* network (hidden, layers, dense, batchnorm, dropout, rec_dropout) */
    NetConfig net;
    /* training: window, batch, epochs, val_split, seed, threads, optim */
    TrainSettings train;
    /* output */
    const char *out;           /* the model file; checkpoints overwrite it */
    bool resume;               /* continue out where it stopped */
    int resume_epochs;         /* with resume: the epochs to reach; 0: the saved total */
    bool resume_raise_only;    /* with resume: resume_epochs only raises the saved total */
    const char *log_path;      /* CSV of every batch; NULL: none */
    int64_t max_batches;       /* stop (with a checkpoint) after this many batches; 0: no limit */
    int64_t checkpoint_batches;/* also a checkpoint every this many batches; 0: none */
    double checkpoint_secs;    /* and one when this many seconds passed (one process); 0: none */
    double mpi_timeout;        /* several ranks: seconds a rank waits for the others; 0: forever */
} JobConfig;

typedef struct {
    JobConfig cfg;             /* copied at job_init; job_resume puts the saved settings in */
    Model *m;                  /* the caller's */
    Dist *dist;                /* NULL: one process */
    bool resumed;              /* job_resume loaded cfg.out */
    /* job_load */
    Corpus corpus;             /* this rank's tunes (freed by job_data) */
    int32_t n_tunes;           /* tunes of the whole job */
    long skipped;              /* files skipped, over every rank */
    long files_loaded;         /* files read, over every rank */
    long notes;                /* notes in this rank's tunes */
    /* job_split */
    int32_t *order;            /* (n_tunes) the job's tunes shuffled: the first n_val are held out */
    int32_t n_train, n_val, n_test; /* of the whole job */
    int32_t *tr_which, *va_which; /* this rank's tunes (indices into corpus), in list order */
    int32_t *te_which;         /* this rank's test tunes (test_split): in no dataset */
    int32_t *tr_pos;           /* (n_tr) each one's place in the job's training list */
    int32_t n_tr, n_va, n_te;
    /* job_data */
    Dataset train, val;        /* this rank's tunes, encoded */
    EncStats st_train, st_val; /* what encoding cost, over every rank */
    /* several ranks */
    ShardCorpus sc;
    Dataset all;               /* lengths of every training tune of the job (no rows) */
    int32_t *local, *owner;    /* (all.n_tunes) see TrainShard */
    TrainShard shard;          /* job_train's; its out fields say how a failure ended */
    int failed_rank;           /* the rank whose failure a step reports; -1: none known */
    bool alone;                /* the failure is not known to every rank: end the job */
    int lock_fd;               /* rank 0, from job_load: the lock on cfg.out (files.h) */
} TrainJob;

/* Why a model file cannot be resumed (each front end words it its own way). */
typedef enum {
    JOB_RESUME_OK = 0,
    JOB_RESUME_UNREADABLE,     /* model_load failed: err says why */
    JOB_RESUME_NO_STATE,       /* saved for sharing: no optimizer state */
    JOB_RESUME_FINISHED,       /* every epoch is done (m->train.epochs of them) */
} JobResume;

/* m: model_init'ed, the caller's.  dist: NULL or the job's ranks. */
void job_init(TrainJob *j, const JobConfig *cfg, Model *m, Dist *dist);
void job_free(TrainJob *j);

/* Several ranks train together. */
bool job_sharded(const TrainJob *j);

/* Load cfg.out into m (resume_epochs applied); on anything but OK m is
 * empty again (model_free, model_init) and err says why. */
JobResume job_resume(TrainJob *j, ReelError *err);

/* After job_resume: whether this run reads the corpus the model records
 * (the same paths, made absolute where they exist, and part); this run's
 * description into now either way.  Another corpus gives another split:
 * tunes once held out may now be trained on (the front end says so). */
bool job_corpus_matches(const TrainJob *j, char *now, size_t n);

ReelStatus job_load(TrainJob *j, ReelError *err);
/* REEL_EEMPTY when too few tunes are left to train on. */
ReelStatus job_split(TrainJob *j, ReelError *err);
ReelStatus job_build(TrainJob *j, ReelError *err);
ReelStatus job_data(TrainJob *j, ReelError *err);

/* train_run on the job's datasets.  stop (may be NULL), cb and user as in
 * TrainRun; on ranks other than 0 neither the callback nor the log is
 * used. */
ReelStatus job_train(TrainJob *j, atomic_int *stop, TrainCallback cb, void *user,
                     ReelError *err);

/* The file beside a model: MODEL.reel (or MODEL) becomes MODEL<suffix>
 * (".csv": the default log). */
void job_path_beside(const char *model, const char *suffix, char *out, size_t n);

#endif
