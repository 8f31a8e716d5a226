/* genwork.c — the generation worker's thread, its requests and results
 * (see genwork.h).
 */
#include "genwork.h"

#include <string.h>
#include <unistd.h>

/* ---- the worker's side ------------------------------------------------------------ */

static bool stop_take(void *ctx)
{
    GenWork *w = ctx;
    return atomic_load(&w->stop_all) || atomic_load(&w->take_want) != w->take_cur;
}

/* A probe gives way to any take request and to a newer probe. */
static bool stop_probe(void *ctx)
{
    GenWork *w = ctx;
    return atomic_load(&w->stop_all) || atomic_load(&w->probe_want) != w->probe_cur ||
           atomic_load(&w->take_want) != atomic_load(&w->take_seen);
}

static void wake(GenWork *w)
{
    char b = 'g';
    if (w->wake_fd >= 0) {
        ssize_t r = write(w->wake_fd, &b, 1);
        (void)r;
    }
}

/* The take of request r in the spare. */
static ReelStatus make_take(GenWork *w, const GwTake *r, ReelError *err)
{
    GenCtl *gc = &w->spare;
    ReelStatus st;
    gc_set_stop(gc, stop_take, w);
    if ((st = gc_set_opts(gc, &r->so, err)))
        return st;
    gc_set_seed(gc, r->rng_seed);
    gc_set_key(gc, r->key);
    if ((st = gc_prime(gc, r->seed.n_notes ? &r->seed : NULL, &r->seed, err)))
        return st;
    if (r->close && r->bars > 0 && gc_can_close(gc))
        return gc_close(gc, r->bars, err);
    gc_set_target(gc, gc_bars_end(gc, r->bars > 0 ? r->bars : 1));
    while (!st && gc_pending(gc))
        st = gc_work(gc, 1.0, NULL, err);
    return st;
}

/* The distribution after upto, with its labels. */
static bool make_probe(GenWork *w, const Tune *upto, const SampleOpts *so, int key, GwProbe *out)
{
    memset(out, 0, sizeof *out);
    if (gen_set_opts(w->probe, so, NULL))
        return false;
    gen_set_key(w->probe, key);
    if (!gc_dist_of(w->probe, upto, &out->d))
        return false;
    for (int i = 0; i < out->d.n; i++)
        gen_class_label(w->probe, out->d.top[i].cls, out->label[i], GW_LABEL);
    return true;
}

static void take_job(GenWork *w)
{
    GwTake r = w->take_req;
    ReelError err;
    ReelStatus st;
    tune_init(&w->take_req.seed); /* moved into r */
    w->take_cur = atomic_load(&w->take_want);
    atomic_store(&w->take_seen, w->take_cur);
    w->take_ready = 0; /* a take not collected yet is superseded */
    w->busy = true;
    pthread_mutex_unlock(&w->mu);
    reel_error_clear(&err);
    st = make_take(w, &r, &err);
    tune_free(&r.seed);
    pthread_mutex_lock(&w->mu);
    w->busy = false;
    pthread_cond_broadcast(&w->cv);
    if (st == REEL_ESTOPPED)
        w->takes_stopped++;
    else
        w->takes_made++;
    if (atomic_load(&w->take_want) == w->take_cur && st != REEL_ESTOPPED) {
        w->take_ready = w->take_cur;
        w->take_st = st;
        w->take_err = err;
        wake(w);
    }
}

static void probe_job(GenWork *w)
{
    Tune upto;
    SampleOpts so = w->probe_so;
    int key = w->probe_gen_key;
    unsigned cache_key = w->probe_req_key;
    GwProbe out;
    bool ok;
    w->probe_cur = atomic_load(&w->probe_want);
    w->probe_begun = w->probe_cur;
    /* a copy: the request stays, to be made again if a take stops this one */
    if (tune_copy(&upto, &w->probe_upto, NULL)) {
        w->probe_out.step = -1;
        w->probe_ok = false;
        w->probe_done = w->probe_cur;
        return;
    }
    w->busy = true;
    pthread_mutex_unlock(&w->mu);
    ok = make_probe(w, &upto, &so, key, &out);
    out.step = upto.n_steps;
    out.key = cache_key;
    tune_free(&upto);
    pthread_mutex_lock(&w->mu);
    w->busy = false;
    pthread_cond_broadcast(&w->cv);
    if (atomic_load(&w->probe_want) != w->probe_cur)
        return; /* a newer probe was asked for */
    if (stop_probe(w)) {
        w->probe_begun = 0; /* stopped for a take: made again after it */
        return;
    }
    w->probe_out = out;
    w->probe_ok = ok;
    w->probe_done = w->probe_cur;
    wake(w);
}

static bool has_job(const GenWork *w)
{
    return w->have_model && !w->paused &&
           (atomic_load(&w->take_want) != atomic_load(&w->take_seen) ||
            atomic_load(&w->probe_want) != w->probe_begun);
}

static void *worker_main(void *arg)
{
    GenWork *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && !has_job(w))
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->quit)
            break;
        if (atomic_load(&w->take_want) != atomic_load(&w->take_seen))
            take_job(w);
        else
            probe_job(w);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- the UI thread's side ----------------------------------------------------------- */

bool gw_init(GenWork *w, int wake_fd, ReelError *err)
{
    memset(w, 0, sizeof *w);
    w->wake_fd = wake_fd;
    tune_init(&w->take_req.seed);
    tune_init(&w->probe_upto);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->inited = true;
    if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
        reel_fail(err, REEL_ENOMEM, "cannot start the generation thread");
        return false;
    }
    w->running = true;
    return true;
}

/* Stop what the worker does and wait until it is idle; paused, it starts
 * nothing new until resume.  Called with mu held. */
static void pause_locked(GenWork *w)
{
    w->paused = true;
    atomic_store(&w->stop_all, 1);
    while (w->busy)
        pthread_cond_wait(&w->cv, &w->mu);
    atomic_store(&w->stop_all, 0);
}

static void resume_locked(GenWork *w)
{
    w->paused = false;
    pthread_cond_broadcast(&w->cv);
}

static void drop_locked(GenWork *w)
{
    if (w->have_model) {
        gc_free(&w->spare);
        gen_free(w->probe);
        w->probe = NULL;
    }
    w->have_model = false;
    w->take_ready = 0;
    w->probe_done = 0;
    w->probe_begun = atomic_load(&w->probe_want);
    atomic_store(&w->take_seen, atomic_load(&w->take_want));
    w->take_collected = atomic_load(&w->take_want);
    tune_free(&w->take_req.seed);
    tune_free(&w->probe_upto);
}

void gw_free(GenWork *w)
{
    if (!w->inited)
        return;
    pthread_mutex_lock(&w->mu);
    pause_locked(w);
    w->quit = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->running)
        pthread_join(w->th, NULL);
    drop_locked(w);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    memset(w, 0, sizeof *w);
}

ReelStatus gw_set_model(GenWork *w, const Model *m, const SampleOpts *so, uint64_t seed,
                        ReelError *err)
{
    ReelStatus st;
    pthread_mutex_lock(&w->mu);
    pause_locked(w);
    drop_locked(w);
    st = gc_init(&w->spare, m, so, seed, err);
    if (!st && (st = gen_new(&w->probe, m, so, seed, err)))
        gc_free(&w->spare);
    if (!st) {
        gen_set_stop(w->probe, stop_probe, w);
        w->have_model = true;
    }
    resume_locked(w);
    pthread_mutex_unlock(&w->mu);
    return st;
}

void gw_drop_model(GenWork *w)
{
    if (!w->inited)
        return;
    pthread_mutex_lock(&w->mu);
    pause_locked(w);
    drop_locked(w);
    resume_locked(w);
    pthread_mutex_unlock(&w->mu);
}

unsigned gw_take_request(GenWork *w, GwTake *req)
{
    unsigned serial;
    pthread_mutex_lock(&w->mu);
    tune_free(&w->take_req.seed);
    w->take_req = *req;
    tune_init(&req->seed);
    serial = atomic_load(&w->take_want) + 1;
    if (serial == 0)
        serial = 1;
    atomic_store(&w->take_want, serial); /* a take under way stops at its next row */
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return serial;
}

void gw_take_cancel(GenWork *w)
{
    unsigned serial;
    if (!w->inited)
        return;
    pthread_mutex_lock(&w->mu);
    tune_free(&w->take_req.seed);
    serial = atomic_load(&w->take_want) + 1;
    if (serial == 0)
        serial = 1;
    /* asked and taken up at once: the worker has nothing to begin, and a
     * take under way is not the newest */
    atomic_store(&w->take_seen, serial);
    atomic_store(&w->take_want, serial);
    w->take_ready = 0;
    w->take_collected = serial;
    pthread_mutex_unlock(&w->mu);
}

bool gw_take_pending(const GenWork *w)
{
    return w->inited && w->take_collected != atomic_load(&w->take_want);
}

bool gw_take_collect(GenWork *w, GenCtl *gc, ReelStatus *st, ReelError *err)
{
    bool got = false;
    if (!gw_take_pending(w))
        return false;
    pthread_mutex_lock(&w->mu);
    if (w->take_ready && w->take_ready == atomic_load(&w->take_want)) {
        *st = w->take_st;
        *err = w->take_err;
        if (!w->take_st) {
            GenCtl t = *gc;
            *gc = w->spare;
            w->spare = t;
            gc_set_stop(gc, NULL, NULL); /* the UI thread's now */
        }
        w->take_collected = w->take_ready;
        w->take_ready = 0;
        got = true;
    }
    pthread_mutex_unlock(&w->mu);
    return got;
}

void gw_probe_request(GenWork *w, Tune *upto, unsigned key, const SampleOpts *so, int gen_key)
{
    unsigned serial;
    pthread_mutex_lock(&w->mu);
    tune_free(&w->probe_upto);
    w->probe_upto = *upto;
    tune_init(upto);
    w->probe_req_key = key;
    w->probe_req_step = w->probe_upto.n_steps;
    w->probe_so = *so;
    w->probe_gen_key = gen_key;
    serial = atomic_load(&w->probe_want) + 1;
    if (serial == 0)
        serial = 1;
    atomic_store(&w->probe_want, serial);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

GwAnswer gw_probe_get(GenWork *w, int32_t step, unsigned key, GwProbe *out)
{
    GwAnswer a = GW_NOT_ASKED;
    if (!w->inited)
        return GW_NOT_ASKED;
    pthread_mutex_lock(&w->mu);
    if (w->have_model && w->probe_req_step == step && w->probe_req_key == key &&
        atomic_load(&w->probe_want) != 0) {
        if (w->probe_done == atomic_load(&w->probe_want)) {
            a = w->probe_ok ? GW_READY : GW_NONE;
            if (w->probe_ok)
                *out = w->probe_out;
        } else {
            a = GW_WAITING;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return a;
}

bool gw_fresh(GenWork *w)
{
    unsigned d;
    if (!w->inited)
        return false;
    pthread_mutex_lock(&w->mu);
    d = w->probe_done;
    pthread_mutex_unlock(&w->mu);
    if (d == w->probe_seen)
        return false;
    w->probe_seen = d;
    return true;
}
