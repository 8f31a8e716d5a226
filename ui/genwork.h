/* genwork.h — the studio's generation worker: a thread that does the
 * model's long work, so the UI thread never waits on it.
 *
 * Two kinds of job, each a request that replaces the one before:
 *   a take: prime a GenCtl with the seed (as long as the seed is), close
 *     its strains (gc_close) or make its first bars.  g pressed 50 times
 *     while one is made is one more take, not 50: a request replaces one
 *     not yet begun, and stops one under way within a row (gen_set_stop).
 *   a probe: the next-note distribution of the melody before a step (the
 *     panel's chart where no take row was drawn), primed in a generator of
 *     its own.  A take request goes first; a probe superseded is dropped.
 *
 * The take is built in a spare GenCtl the worker owns; gw_take_collect
 * swaps it with the studio's when it is ready (and the studio's becomes the
 * spare), so the UI thread only ever touches the GenCtl it holds.  The
 * generators are made on the UI thread (gw_set_model), where gen_new may
 * build the model's fast weight copies; the worker only primes and steps
 * them, which reads the Model and never changes it.
 *
 * The worker writes a byte to wake_fd when a result is ready; the UI thread
 * then polls (gw_take_collect, gw_probe_get).  Nothing here draws.
 */
#ifndef REEL_UI_GENWORK_H
#define REEL_UI_GENWORK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "genctl.h"
#include "tune.h"

#define GW_LABEL 16

/* What a take is made from. */
typedef struct {
    Tune seed;          /* owned by the request: notes (none: a bar of silence) and metre */
    SampleOpts so;
    uint64_t rng_seed;
    int key;            /* a --condition model's key, -1: the model's own */
    int bars;           /* bars after the seed; 0: only the first bar (continuous mode) */
    bool close;         /* closed (gc_close: a tune-event model's strains) */
} GwTake;

/* A distribution the probe found, with its labels (the probe's generator
 * names them; a roll's names depend on the octave the seed was moved by). */
typedef struct {
    GcDist d;
    char label[GC_TOP][GW_LABEL];
    int32_t step;
    unsigned key;
} GwProbe;

typedef enum { GW_NOT_ASKED, GW_WAITING, GW_READY, GW_NONE } GwAnswer;

typedef struct {
    pthread_t th;
    bool inited, running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int wake_fd;
    atomic_int stop_all;       /* stop the job under way (pausing, quitting) */
    atomic_uint take_want;     /* serial of the newest take request */
    atomic_uint take_seen;     /* ... the worker took up last */
    atomic_uint probe_want;    /* serial of the newest probe request */

    /* under mu */
    bool quit, paused;
    bool have_model;           /* spare and probe are made */
    bool busy;                 /* the worker is in a job */
    GwTake take_req;           /* the newest take request (serial take_want) */
    GenCtl spare;              /* the worker's; the next take is made in it */
    unsigned take_ready;       /* serial of the take ready in spare, 0: none */
    ReelStatus take_st;        /* how it went */
    ReelError take_err;
    Tune probe_upto;           /* the newest probe request's melody (owned) */
    unsigned probe_req_key;
    int32_t probe_req_step;
    SampleOpts probe_so;
    int probe_gen_key;
    unsigned probe_begun;      /* serial the worker took up last (0: do it again) */
    Generator *probe;          /* the worker's */
    GwProbe probe_out;         /* the answer to request probe_done */
    unsigned probe_done;
    bool probe_ok;
    unsigned takes_made, takes_stopped; /* take jobs ended (for the tests) */

    /* the worker thread's own */
    unsigned take_cur, probe_cur;
    /* the UI thread's own */
    unsigned take_collected;   /* serial of the take swapped in last */
    unsigned probe_seen;       /* probe_done when gw_fresh looked */
} GenWork;

/* Start the thread (false when it cannot: err says why).  wake_fd gets a
 * byte when a result is ready (negative: none). */
bool gw_init(GenWork *w, int wake_fd, ReelError *err);
/* Stop a job under way (within a row), end the thread, free everything.
 * Accepts a GenWork whose gw_init failed or never ran (zeroed). */
void gw_free(GenWork *w);

/* The model the next jobs are for (borrowed: it must outlive them, or the
 * next gw_set_model / gw_drop_model).  Waits for a job under way to stop. */
ReelStatus gw_set_model(GenWork *w, const Model *m, const SampleOpts *so, uint64_t seed,
                        ReelError *err);
/* Forget the model (before it is freed or replaced); waits as above. */
void gw_drop_model(GenWork *w);

/* Ask for a take (the request is taken over: req->seed is zeroed).
 * Returns its serial. */
unsigned gw_take_request(GenWork *w, GwTake *req);
/* Forget the newest take request: a take under way stops within a row and
 * none is collected (the seed it was asked for has gone). */
void gw_take_cancel(GenWork *w);
/* A take request not yet collected (made or being made). */
bool gw_take_pending(const GenWork *w);
/* The newest take is ready: swap it into *gc (which becomes the worker's
 * spare) and return true with *st and *err saying how it went (on a failure
 * *gc is left as it was).  False: not yet, or nothing asked. */
bool gw_take_collect(GenWork *w, GenCtl *gc, ReelStatus *st, ReelError *err);

/* Ask for the distribution after the melody upto (taken over: *upto is
 * zeroed), for a cache key (melody version and options), with these
 * options and this key of a --condition model. */
void gw_probe_request(GenWork *w, Tune *upto, unsigned key, const SampleOpts *so, int gen_key);
/* The answer for the melody before step with this cache key: GW_READY
 * (*out filled), GW_NONE (the model has none for it), GW_WAITING (asked,
 * being made), GW_NOT_ASKED (the newest request is for something else). */
GwAnswer gw_probe_get(GenWork *w, int32_t step, unsigned key, GwProbe *out);
/* A probe answer came since the last call (the panel is drawn again). */
bool gw_fresh(GenWork *w);

#endif
