/* genctl.h — the studio's generation control: one take of the model's
 * continuation, made a little at a time on the UI thread, with what the
 * roll and the distribution chart need.
 *
 * A take is primed with the seed (or with a bar of silence when there is
 * none) and grows towards a target step: all at once for `g` (the seed's
 * end plus N bars), a bar or so ahead of the playhead in continuous mode.
 * gc_work runs rows until a time budget is spent, so the screen keeps
 * answering keys while a big model generates.
 *
 * Snapshots are taken at every bar line the take reaches.  gc_resample_from
 * goes back to the first bar line at or after a step and forgets what came
 * after it: the studio calls it with the first bar line the listener has
 * not heard yet when the temperature (or top-k, top-p) changes, so the
 * change is heard within a bar and nothing already heard changes.  The
 * random stream is restored with the state, so the same choices come
 * out where the new distribution still makes them.
 *
 * The next-note distribution (the chart): for every row generated, the
 * most likely GC_TOP choices it was drawn from are kept by output step
 * (gc_dist_at).  For other steps (the seed, or before anything was
 * generated) gc_probe primes a second generator with the melody before the
 * step and asks it; the answer is cached until the step, the melody or
 * the options change.
 *
 * Not thread-safe: one thread at a time (the studio's worker builds takes
 * in one, genwork.h); the Model must outlive the GenCtl and not change.
 */
#ifndef REEL_UI_GENCTL_H
#define REEL_UI_GENCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "generate.h"
#include "model.h"
#include "sample.h"
#include "tune.h"

#define GC_TOP 8

typedef struct {
    SampleTop top[GC_TOP];
    uint8_t n;             /* entries in top, most likely first */
    bool is_dist;          /* the p's are one distribution (else per-pitch chances) */
    bool valid;
    bool probe;            /* from the probe generator (labels come from it) */
    float entropy;         /* bits */
} GcDist;

typedef struct {
    const Model *m;        /* borrowed */
    Generator *g;          /* the take (owned) */
    Generator *probe;      /* owned: distributions at other steps */
    SampleOpts so;
    uint64_t seed;         /* random seed of the take */
    Tune meta;             /* owned: metre and tempo (bar lines) */
    bool primed;
    bool stalled;          /* the model stopped advancing time (regress) */
    int32_t start;         /* first generated step */
    int32_t target;        /* generate until the take reaches this step */
    int32_t *snap_step;    /* owned, n_snap: step of each snapshot, rising */
    GenSnapshot **snap;    /* owned */
    int n_snap, cap_snap;
    GcDist *dist;          /* owned, dist_cap entries, by output step */
    int32_t dist_cap;
    unsigned version;      /* bumps whenever the take's rows change */
    int stuck_rows;
    /* probe cache */
    bool probe_ok;
    int32_t probe_step;
    unsigned probe_key;
    GcDist probe_dist;
} GenCtl;

/* A controller for model m (borrowed) with options so and random seed. */
ReelStatus gc_init(GenCtl *gc, const Model *m, const SampleOpts *so, uint64_t seed,
                   ReelError *err);
void gc_free(GenCtl *gc);  /* accepts a zeroed GenCtl */

ReelStatus gc_set_opts(GenCtl *gc, const SampleOpts *so, ReelError *err);
/* The random seed for the next gc_prime. */
void gc_set_seed(GenCtl *gc, uint64_t seed);

/* The key of a --condition model's takes (gen_set_key), from the next row. */
void gc_set_key(GenCtl *gc, int key);
/* The model drew its end of the tune (tune events): nothing more comes. */
bool gc_ended(const GenCtl *gc);

/* Start a take: prime with seed (NULL or no notes and no steps: a bar of
 * silence in meta's metre) and the random seed.  meta supplies the metre
 * and tempo (copied).  The target is the seed's end (nothing to do yet). */
ReelStatus gc_prime(GenCtl *gc, const Tune *seed, const Tune *meta, ReelError *err);
/* Step where `bars` bars after the seed end (gen_bars_end). */
int32_t gc_bars_end(const GenCtl *gc, int bars);
void gc_set_target(GenCtl *gc, int32_t target);
/* Where the take has got to (0 before priming). */
int32_t gc_time(const GenCtl *gc);
/* Rows are still to be made. */
bool gc_pending(const GenCtl *gc);

/* A model with tune events: its takes can be closed (closing.h). */
bool gc_can_close(const GenCtl *gc);
/* Make the take's `bars` bars at once, closed (learn/closing.h: each
 * strain's end and the last bar drawn again until they end on the tonic),
 * as reel generate --bars makes them.  Rows outside the closing windows are
 * made by gc_work (snapshots at their bar lines, the chart's
 * distributions); inside a window the snapshots after its start are
 * dropped and the distributions are the probe's.  The target is then the
 * take's end: nothing is pending.  Takes a few milliseconds a bar. */
ReelStatus gc_close(GenCtl *gc, int bars, ReelError *err);

/* Make rows until the target, or until budget_sec seconds have passed
 * (at least one row).  *rows (may be NULL) gets how many were made. */
ReelStatus gc_work(GenCtl *gc, double budget_sec, int32_t *rows, ReelError *err);

/* Go back to the first snapshot at or after step (a bar line) and forget
 * the rows after it; the take grows again from there on the next gc_work
 * (with the options set now).  Returns the step it went back to, or -1
 * when the take has not reached such a snapshot (nothing to undo: the
 * rows to come will use the new options anyway). */
int32_t gc_resample_from(GenCtl *gc, int32_t step, ReelError *err);

/* Free the snapshots before step (never the newest one). */
void gc_forget_before(GenCtl *gc, int32_t step);

/* Decode the take into *out (overwritten, caller frees): seed and
 * generated part up to where it has got; span says where the generated
 * notes start. */
ReelStatus gc_decode(const GenCtl *gc, Tune *out, GenSpan *span, ReelError *err);

/* The distribution a generated row at or before step (within 64 steps,
 * and not before the take's start) was drawn from; NULL when none. */
const GcDist *gc_dist_at(const GenCtl *gc, int32_t step);

/* The distribution of the next row after `upto` (the melody before a
 * step, n_steps = that step); key identifies the melody version and
 * options for the cache.  NULL when the model cannot take that melody. */
const GcDist *gc_probe(GenCtl *gc, const Tune *upto, unsigned key);
/* The distribution of the next row after priming g with upto, into *d:
 * false when the model cannot take that melody (or g was stopped). */
bool gc_dist_of(Generator *g, const Tune *upto, GcDist *d);

/* gen_set_stop on the take's generators (NULL: never stop). */
void gc_set_stop(GenCtl *gc, bool (*stop)(void *ctx), void *ctx);

/* What class cls of distribution d means ("D5", "rest", "hold", a token)
 * into buf. */
char *gc_label(const GenCtl *gc, const GcDist *d, int cls, char *buf, size_t size);

#endif
