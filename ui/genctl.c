/* genctl.c — takes, snapshots at bar lines, distributions (see genctl.h). */
#include "clock.h"
#include "closing.h"
#include "genctl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GC_STUCK_MAX 512     /* rows without time passing before a take gives up */
#define GC_DIST_BACK 64      /* steps gc_dist_at looks back */

ReelStatus gc_init(GenCtl *gc, const Model *m, const SampleOpts *so, uint64_t seed,
                   ReelError *err)
{
    memset(gc, 0, sizeof *gc);
    tune_init(&gc->meta);
    gc->m = m;
    gc->so = so ? *so : sample_defaults();
    gc->seed = seed;
    if (gen_new(&gc->g, m, &gc->so, seed, err) || gen_new(&gc->probe, m, &gc->so, seed, err)) {
        gc_free(gc);
        return err ? err->status : REEL_EARG;
    }
    return REEL_OK;
}

static void drop_snaps(GenCtl *gc, int from)
{
    for (int i = from; i < gc->n_snap; i++)
        gen_snapshot_free(gc->snap[i]);
    if (from < gc->n_snap)
        gc->n_snap = from;
}

void gc_free(GenCtl *gc)
{
    drop_snaps(gc, 0);
    free(gc->snap);
    free(gc->snap_step);
    free(gc->dist);
    gen_free(gc->g);
    gen_free(gc->probe);
    tune_free(&gc->meta);
    memset(gc, 0, sizeof *gc);
}

ReelStatus gc_set_opts(GenCtl *gc, const SampleOpts *so, ReelError *err)
{
    if (gen_set_opts(gc->g, so, err) || gen_set_opts(gc->probe, so, err))
        return err ? err->status : REEL_EARG;
    gc->so = *so;
    gc->probe_ok = false;
    return REEL_OK;
}

void gc_set_seed(GenCtl *gc, uint64_t seed)
{
    gc->seed = seed;
}

void gc_set_key(GenCtl *gc, int key)
{
    gen_set_key(gc->g, key);
    gen_set_key(gc->probe, key);
    gc->probe_ok = false;
}

bool gc_ended(const GenCtl *gc)
{
    return gc->primed && gen_ended(gc->g);
}

bool gc_can_close(const GenCtl *gc)
{
    return gc->primed && closing_applies(gc->g);
}

/* Rows up to step `to` the usual way (snapshots, distributions). */
static ReelStatus work_to(GenCtl *gc, int32_t to, ReelError *err)
{
    ReelStatus st = REEL_OK;
    gc_set_target(gc, to);
    while (!st && gc_pending(gc))
        st = gc_work(gc, 1.0, NULL, err);
    return st;
}

/* Bar line `bar` closed: rows to its window the usual way, then the
 * closing draws; what gc kept after the window's start is stale. */
static ReelStatus close_one(GenCtl *gc, int bar, bool *reached, ReelError *err)
{
    int32_t w = closing_window(gc->g, bar);
    int keep = 0;
    ReelStatus st = work_to(gc, w, err);
    if (st || gc_time(gc) < w || gen_ended(gc->g)) {
        *reached = false;
        return st;
    }
    st = closing_bar(gc->g, bar, gc->seed, reached, err);
    while (keep < gc->n_snap && gc->snap_step[keep] <= w)
        keep++;
    drop_snaps(gc, keep);
    if (gc->dist && w + 1 < gc->dist_cap)
        memset(gc->dist + w + 1, 0, (size_t)(gc->dist_cap - w - 1) * sizeof *gc->dist);
    gc->version++;
    return st;
}

ReelStatus gc_close(GenCtl *gc, int bars, ReelError *err)
{
    ReelStatus st = REEL_OK;
    bool reached = true;
    if (!gc_can_close(gc))
        return reel_fail(err, REEL_EARG, "this model's takes cannot be closed (no tune events)");
    for (int b = CLOSE_STRAIN_BARS; !st && reached && b < bars; b += CLOSE_STRAIN_BARS)
        st = close_one(gc, b, &reached, err);
    if (!st && reached)
        st = close_one(gc, bars, &reached, err);
    gc_set_target(gc, gen_bars_end(gc->g, bars));
    return st;
}

static bool snap_add(GenCtl *gc, int32_t step)
{
    GenSnapshot *s;
    if (gc->n_snap == gc->cap_snap) {
        int cap = gc->cap_snap ? gc->cap_snap * 2 : 64;
        GenSnapshot **a = realloc(gc->snap, (size_t)cap * sizeof *a);
        int32_t *b;
        if (!a)
            return false;
        gc->snap = a;
        if (!(b = realloc(gc->snap_step, (size_t)cap * sizeof *b)))
            return false;
        gc->snap_step = b;
        gc->cap_snap = cap;
    }
    if (!(s = gen_snapshot_new(gc->g)))
        return false;
    gc->snap[gc->n_snap] = s;
    gc->snap_step[gc->n_snap] = step;
    gc->n_snap++;
    return true;
}

static bool dist_reserve(GenCtl *gc, int32_t step)
{
    GcDist *d;
    int32_t cap;
    if (step < gc->dist_cap)
        return true;
    cap = gc->dist_cap ? gc->dist_cap : 1024;
    while (cap <= step)
        cap *= 2;
    if (!(d = realloc(gc->dist, (size_t)cap * sizeof *d)))
        return false;
    memset(d + gc->dist_cap, 0, (size_t)(cap - gc->dist_cap) * sizeof *d);
    gc->dist = d;
    gc->dist_cap = cap;
    return true;
}

ReelStatus gc_prime(GenCtl *gc, const Tune *seed, const Tune *meta, ReelError *err)
{
    ReelStatus st;
    Tune m;
    drop_snaps(gc, 0);
    if (gc->dist)
        memset(gc->dist, 0, (size_t)gc->dist_cap * sizeof *gc->dist);
    gc->primed = false;
    gc->stalled = false;
    gc->stuck_rows = 0;
    gc->version++;
    if (meta) {
        if (tune_copy_meta(&m, meta, err))
            return err ? err->status : REEL_ENOMEM;
        tune_free(&gc->meta);
        gc->meta = m;
    }
    gen_reseed(gc->g, gc->seed);
    if (!seed || (seed->n_notes == 0 && seed->n_steps == 0))
        st = gen_prime_rests(gc->g, 1, &gc->meta, NULL, err);
    else
        st = gen_prime_tune(gc->g, seed, NULL, err);
    if (st)
        return st;
    gc->primed = true;
    gc->start = gen_seed_end(gc->g);
    gc->target = gen_time(gc->g);
    if (!snap_add(gc, gen_time(gc->g)))
        return reel_fail(err, REEL_ENOMEM, "out of memory for a snapshot");
    return REEL_OK;
}

int32_t gc_bars_end(const GenCtl *gc, int bars)
{
    return gc->primed ? gen_bars_end(gc->g, bars) : 0;
}

void gc_set_target(GenCtl *gc, int32_t target)
{
    gc->target = target;
}

int32_t gc_time(const GenCtl *gc)
{
    return gc->primed ? gen_time(gc->g) : 0;
}

bool gc_pending(const GenCtl *gc)
{
    return gc->primed && !gc->stalled && !gen_ended(gc->g) && gen_time(gc->g) < gc->target;
}

ReelStatus gc_work(GenCtl *gc, double budget_sec, int32_t *rows, ReelError *err)
{
    double t0 = now_sec();
    int32_t made = 0;
    ReelStatus st = REEL_OK;
    while (gc_pending(gc)) {
        int32_t t = gen_time(gc->g), t1;
        int32_t last = gc->n_snap ? gc->snap_step[gc->n_snap - 1] : -1;
        /* A snapshot at the first row at or after each bar line. */
        if (t > last) {
            int32_t bar = last;
            /* the first bar line after the last snapshot */
            for (int32_t s = last + 1; s <= t; s++)
                if (tune_is_bar_start(&gc->meta, s)) {
                    bar = s;
                    break;
                }
            if (bar > last && !snap_add(gc, t)) {
                st = reel_fail(err, REEL_ENOMEM, "out of memory for a snapshot");
                break;
            }
        }
        if (t >= 0 && dist_reserve(gc, t)) {
            GcDist *d = &gc->dist[t];
            double h = 0;
            bool is_dist = false;
            int n = gen_next_top(gc->g, d->top, GC_TOP, &h, &is_dist);
            d->n = (uint8_t)(n > 0 ? n : 0);
            d->is_dist = is_dist;
            d->entropy = (float)h;
            d->valid = n > 0;
            d->probe = false;
        }
        if ((st = gen_step(gc->g, err)))
            break;
        made++;
        t1 = gen_time(gc->g);
        if (t1 == t) {
            if (++gc->stuck_rows > GC_STUCK_MAX)
                gc->stalled = true;
        } else {
            gc->stuck_rows = 0;
        }
        if ((made & 7) == 0 && now_sec() - t0 >= budget_sec)
            break;
    }
    if (made)
        gc->version++;
    if (rows)
        *rows = made;
    return st;
}

int32_t gc_resample_from(GenCtl *gc, int32_t step, ReelError *err)
{
    int i;
    int32_t at;
    if (!gc->primed)
        return -1;
    for (i = 0; i < gc->n_snap && gc->snap_step[i] < step; i++)
        ;
    if (i == gc->n_snap)
        return -1;
    if (gen_restore(gc->g, gc->snap[i], err))
        return -1;
    at = gc->snap_step[i];
    drop_snaps(gc, i + 1);
    if (gc->dist && at < gc->dist_cap)
        memset(gc->dist + at, 0, (size_t)(gc->dist_cap - at) * sizeof *gc->dist);
    gc->stalled = false;
    gc->stuck_rows = 0;
    gc->version++;
    return at;
}

void gc_forget_before(GenCtl *gc, int32_t step)
{
    int k = 0;
    while (k < gc->n_snap - 1 && gc->snap_step[k] < step)
        k++;
    if (k == 0)
        return;
    for (int i = 0; i < k; i++)
        gen_snapshot_free(gc->snap[i]);
    memmove(gc->snap, gc->snap + k, (size_t)(gc->n_snap - k) * sizeof *gc->snap);
    memmove(gc->snap_step, gc->snap_step + k, (size_t)(gc->n_snap - k) * sizeof *gc->snap_step);
    gc->n_snap -= k;
}

ReelStatus gc_decode(const GenCtl *gc, Tune *out, GenSpan *span, ReelError *err)
{
    tune_init(out);
    if (!gc->primed)
        return reel_fail(err, REEL_EARG, "nothing generated yet");
    return gen_tune(gc->g, gen_time(gc->g), out, span, err);
}

const GcDist *gc_dist_at(const GenCtl *gc, int32_t step)
{
    if (!gc->primed || !gc->dist || step < gc->start)
        return NULL;
    if (step >= gc->dist_cap)
        step = gc->dist_cap - 1;
    for (int32_t s = step; s >= gc->start && s > step - GC_DIST_BACK; s--)
        if (gc->dist[s].valid)
            return &gc->dist[s];
    return NULL;
}

bool gc_dist_of(Generator *g, const Tune *upto, GcDist *d)
{
    double h = 0;
    bool is_dist = false;
    int n;
    memset(d, 0, sizeof *d);
    if (upto->n_notes == 0 && upto->n_steps == 0) {
        if (gen_prime_rests(g, 1, upto, NULL, NULL))
            return false;
    } else if (gen_prime_tune(g, upto, NULL, NULL)) {
        return false;
    }
    n = gen_next_top(g, d->top, GC_TOP, &h, &is_dist);
    d->n = (uint8_t)(n > 0 ? n : 0);
    d->is_dist = is_dist;
    d->entropy = (float)h;
    d->valid = n > 0;
    d->probe = true;
    return d->valid;
}

const GcDist *gc_probe(GenCtl *gc, const Tune *upto, unsigned key)
{
    if (gc->probe_ok && gc->probe_step == upto->n_steps && gc->probe_key == key)
        return gc->probe_dist.valid ? &gc->probe_dist : NULL;
    gc->probe_ok = true;
    gc->probe_step = upto->n_steps;
    gc->probe_key = key;
    return gc_dist_of(gc->probe, upto, &gc->probe_dist) ? &gc->probe_dist : NULL;
}

void gc_set_stop(GenCtl *gc, bool (*stop)(void *ctx), void *ctx)
{
    gen_set_stop(gc->g, stop, ctx);
    gen_set_stop(gc->probe, stop, ctx);
}

char *gc_label(const GenCtl *gc, const GcDist *d, int cls, char *buf, size_t size)
{
    return gen_class_label(d && d->probe ? gc->probe : gc->g, cls, buf, size);
}
