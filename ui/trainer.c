/* trainer.c — the training thread of the studio (see trainer.h). */
#include "trainer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vocab.h"

#define WAKE_BATCH_SEC 0.1   /* batch events wake the UI at most this often */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void trainer_config_defaults(TrainerConfig *c)
{
    memset(c, 0, sizeof *c);
    c->enc = ENC_MELODY;
    c->hidden = 128;
    c->layers = 2;
    c->window = 64;
    c->batch = 32;
    c->epochs = 10;
    c->lr = 0.001f;
    c->optimizer = OPTIM_ADAM;
    c->val_split = 0.05f;
    c->seed = 1;
}

void trainer_init(Trainer *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->wake_fd = -1;
    t->resumed_epoch = -1;
    model_init(&t->m);
}

static void wake(Trainer *t)
{
    char c = 1;
    if (t->wake_fd >= 0 && atomic_exchange(&t->wake_pending, 1) == 0) {
        ssize_t r = write(t->wake_fd, &c, 1);
        (void)r;
    }
}

static void set_phase(Trainer *t, TrainerPhase ph, const char *msg)
{
    pthread_mutex_lock(&t->mu);
    t->phase = ph;
    if (msg)
        snprintf(t->msg, sizeof t->msg, "%s", msg);
    pthread_mutex_unlock(&t->mu);
    wake(t);
}

/* Copy the weights if asked (under mu, on the training thread). */
static void serve_weights(Trainer *t, const TrainEvent *ev)
{
    size_t wn, bn;
    if (!t->want_weights || !t->m.nn)
        return;
    wn = net_n_params(t->m.nn);
    bn = net_n_buffers(t->m.nn);
    if (wn != t->wn) {
        free(t->wp);
        t->wp = malloc(wn * sizeof *t->wp);
        t->wn = t->wp ? wn : 0;
    }
    if (bn != t->bn) {
        free(t->wb);
        t->wb = bn ? malloc(bn * sizeof *t->wb) : NULL;
        t->bn = t->wb ? bn : 0;
    }
    if ((wn && !t->wp) || (bn && !t->wb))
        return;
    memcpy(t->wp, net_params(t->m.nn), wn * sizeof *t->wp);
    if (bn)
        memcpy(t->wb, net_buffers(t->m.nn), bn * sizeof *t->wb);
    t->w_batch = ev ? ev->global_batch : t->m.progress.batches;
    t->w_epoch = ev ? ev->epoch : t->m.progress.epoch;
    t->want_weights = false;
    t->have_weights = true;
    wake(t);
}

static void on_train_event(void *user, const TrainEvent *ev)
{
    Trainer *t = user;
    double now = now_sec();
    bool wake_now;
    pthread_mutex_lock(&t->mu);
    t->ring[t->w % TRAINER_RING] = *ev;
    t->w++;
    if (t->w - t->r > TRAINER_RING)
        t->r = t->w - TRAINER_RING;
    serve_weights(t, ev);
    if (t->paused && !atomic_load(&t->stop)) {
        t->waiting = true;
        pthread_mutex_unlock(&t->mu);
        wake(t);
        pthread_mutex_lock(&t->mu);
    }
    while (t->paused && !atomic_load(&t->stop)) {
        serve_weights(t, ev);
        pthread_cond_wait(&t->cv, &t->mu);
    }
    t->waiting = false;
    serve_weights(t, ev);
    pthread_mutex_unlock(&t->mu);
    wake_now = ev->kind != TRAIN_EV_BATCH || now - t->last_wake >= WAKE_BATCH_SEC;
    if (wake_now) {
        t->last_wake = now;
        wake(t);
    }
}

static void on_corpus_progress(void *user, long done, long total, const char *path)
{
    Trainer *t = user;
    double now = now_sec();
    (void)path;
    pthread_mutex_lock(&t->mu);
    t->files_done = done;
    t->files_total = total;
    pthread_mutex_unlock(&t->mu);
    if (now - t->last_wake >= WAKE_BATCH_SEC) {
        t->last_wake = now;
        wake(t);
    }
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int mkdir_for(const char *path)
{
    char buf[4096];
    char *slash;
    snprintf(buf, sizeof buf, "%s", path);
    slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static void *trainer_main(void *arg)
{
    Trainer *t = arg;
    TrainerConfig *c = &t->cfg;
    Corpus corpus;
    CorpusOpts copts;
    Dataset dtrain, dval;
    TrainRun run;
    ReelError err;
    char log_path[4200], msg[700];
    const char *paths[1];
    int32_t *idx = NULL, n_val, n_train;
    long notes = 0;
    bool resume = false;

    corpus_init(&corpus);
    memset(&dtrain, 0, sizeof dtrain);
    memset(&dval, 0, sizeof dval);
    memset(&copts, 0, sizeof copts);
    copts.progress = on_corpus_progress;
    copts.progress_user = t;

    if (c->resume && file_exists(c->out)) {
        Model m;
        model_init(&m);
        if (model_load(&m, c->out, 0, 0, &err)) {
            snprintf(msg, sizeof msg, "cannot resume: %.500s", err.msg);
            model_free(&m);
            set_phase(t, TR_FAILED, msg);
            return NULL;
        }
        if (!m.optim.state) {
            snprintf(msg, sizeof msg, "%.300s holds no optimizer state (saved for sharing): give "
                                      "another model file to start a new run", c->out);
            model_free(&m);
            set_phase(t, TR_FAILED, msg);
            return NULL;
        }
        if (c->epochs > m.train.epochs)
            m.train.epochs = c->epochs;
        if (m.progress.epoch >= m.train.epochs) {
            snprintf(msg, sizeof msg, "%.300s has finished its %d epochs: raise the epochs to go "
                                      "on", c->out, m.train.epochs);
            model_free(&m);
            set_phase(t, TR_FAILED, msg);
            return NULL;
        }
        model_free(&t->m);
        t->m = m;
        resume = true;
    }

    paths[0] = c->corpus;
    if (corpus_load(&corpus, paths, 1, &copts, &err)) {
        set_phase(t, TR_FAILED, err.msg);
        goto out;
    }
    if (c->max_tunes > 0 && corpus.n_tunes > c->max_tunes) {
        for (int32_t i = (int32_t)c->max_tunes; i < corpus.n_tunes; i++)
            tune_free(&corpus.tunes[i]);
        corpus.n_tunes = (int32_t)c->max_tunes;
    }
    for (int32_t i = 0; i < corpus.n_tunes; i++)
        notes += corpus.tunes[i].n_notes;
    if (!(idx = malloc((size_t)(corpus.n_tunes + 1) * sizeof *idx))) {
        set_phase(t, TR_FAILED, "out of memory");
        goto out;
    }
    for (int32_t i = 0; i < corpus.n_tunes; i++)
        idx[i] = i;
    {
        TrainSettings *ts = resume ? &t->m.train : NULL;
        uint64_t seed = ts ? ts->seed : c->seed;
        float split = ts ? ts->val_split : c->val_split;
        Rng r;
        rng_seed(&r, seed ^ 0x5EED5EED5EED5EEDull);
        rng_shuffle_i32(&r, idx, corpus.n_tunes);
        n_val = (int32_t)floor(split * corpus.n_tunes + 0.5);
        if (split > 0 && n_val == 0 && corpus.n_tunes >= 2)
            n_val = 1;
    }
    n_train = corpus.n_tunes - n_val;
    if (n_train < 1) {
        snprintf(msg, sizeof msg, "%d tune(s) in %.300s: too few to train and validate on",
                 corpus.n_tunes, c->corpus);
        set_phase(t, TR_FAILED, msg);
        goto out;
    }
    if (!resume) {
        Model *m = &t->m;
        NetConfig nc;
        EncOpts enc = {c->enc, false, c->durations};
        memset(&nc, 0, sizeof nc);
        nc.hidden = c->hidden;
        nc.layers = c->layers;
        nc.dense = c->dense;
        nc.dropout = c->dropout;
        m->enc = enc;
        if (enc.kind == ENC_TOKENS) {
            if (!(m->vocab = vocab_new())) {
                set_phase(t, TR_FAILED, "out of memory");
                goto out;
            }
            for (int32_t i = 0; i < n_train; i++)
                if (enc_tokens_count(&enc, &corpus.tunes[idx[n_val + i]], m->vocab, &err)) {
                    set_phase(t, TR_FAILED, err.msg);
                    goto out;
                }
            vocab_finish(m->vocab);
        }
        if (model_net_for_encoding(&enc, m->vocab, &nc, &err) || net_config_check(&nc, &err) ||
            net_new(&m->nn, &nc, 0, 0, &err)) {
            set_phase(t, TR_FAILED, err.msg);
            goto out;
        }
        m->net = nc;
        {
            Rng init;
            rng_seed(&init, c->seed);
            net_init(m->nn, &init);
        }
        memset(&m->train, 0, sizeof m->train);
        m->train.window = c->window;
        m->train.batch = c->batch;
        m->train.epochs = c->epochs;
        m->train.val_split = c->val_split;
        m->train.seed = c->seed;
        m->train.threads = 1;
        m->train.optim = optim_defaults(c->optimizer);
        m->train.optim.lr = c->lr;
        snprintf(m->train.corpus, sizeof m->train.corpus, "%.500s", c->corpus);
    }
    if (data_build(&dtrain, corpus.tunes, idx + n_val, n_train, &t->m.enc, t->m.vocab, &err) ||
        data_build(&dval, corpus.tunes, idx, n_val, &t->m.enc, t->m.vocab, &err)) {
        set_phase(t, TR_FAILED, err.msg);
        goto out;
    }
    t->m.train.tunes_train = n_train;
    t->m.train.tunes_val = n_val;
    t->m.train.steps_train = (long)dtrain.positions;
    pthread_mutex_lock(&t->mu);
    t->tunes_train = n_train;
    t->tunes_val = n_val;
    t->files_skipped = corpus.n_skips;
    t->notes = notes;
    t->positions = dtrain.positions;
    t->n_params = net_n_params(t->m.nn);
    t->resumed_epoch = resume ? t->m.progress.epoch : -1;
    t->have_model = true;
    t->phase = TR_RUNNING;
    pthread_mutex_unlock(&t->mu);
    corpus_free(&corpus);
    wake(t);

    if (mkdir_for(c->out) != 0) {
        snprintf(msg, sizeof msg, "cannot make the folder for %.300s: %s", c->out, strerror(errno));
        set_phase(t, TR_FAILED, msg);
        goto out;
    }
    snprintf(log_path, sizeof log_path, "%s", c->out);
    {
        size_t n = strlen(log_path);
        if (n > 5 && !strcmp(log_path + n - 5, ".reel"))
            log_path[n - 5] = '\0';
        strncat(log_path, ".csv", sizeof log_path - strlen(log_path) - 1);
    }
    memset(&run, 0, sizeof run);
    run.out_path = c->out;
    run.log_path = log_path;
    run.stop = &t->stop;
    run.cb = on_train_event;
    run.user = t;
    if (train_run(&t->m, &dtrain, &dval, &run, &err)) {
        set_phase(t, TR_FAILED, err.msg);
    } else {
        int64_t w;
        TrainEventKind k;
        pthread_mutex_lock(&t->mu);
        w = (int64_t)t->w;
        k = w > 0 ? t->ring[(w - 1) % TRAINER_RING].kind : TRAIN_EV_DONE;
        pthread_mutex_unlock(&t->mu);
        snprintf(msg, sizeof msg, "%s %.400s", k == TRAIN_EV_STOPPED ? "stopped; checkpoint in"
                                                                  : "done; model saved to", c->out);
        set_phase(t, k == TRAIN_EV_STOPPED ? TR_STOPPED : TR_DONE, msg);
    }
out:
    pthread_mutex_lock(&t->mu);
    /* A request that came too late is served from the final weights. */
    serve_weights(t, NULL);
    pthread_mutex_unlock(&t->mu);
    data_free(&dtrain);
    data_free(&dval);
    free(idx);
    corpus_free(&corpus);
    return NULL;
}

ReelStatus trainer_start(Trainer *t, const TrainerConfig *c, int wake_fd, ReelError *err)
{
    if (trainer_active(t))
        return reel_fail(err, REEL_EARG, "training is already running");
    trainer_join(t);
    pthread_mutex_lock(&t->mu);
    t->cfg = *c;
    t->wake_fd = wake_fd;
    t->phase = TR_LOADING;
    t->paused = false;
    t->paused_total = 0;
    t->msg[0] = '\0';
    t->files_done = t->files_total = 0;
    t->tunes_train = t->tunes_val = t->files_skipped = 0;
    t->positions = 0;
    t->n_params = 0;
    t->resumed_epoch = -1;
    t->w = t->r = 0;
    t->want_weights = t->have_weights = false;
    t->have_model = false;
    pthread_mutex_unlock(&t->mu);
    atomic_store(&t->stop, 0);
    model_free(&t->m);
    model_init(&t->m);
    if (pthread_create(&t->th, NULL, trainer_main, t) != 0) {
        t->phase = TR_FAILED;
        return reel_fail(err, REEL_ENOMEM, "cannot start the training thread");
    }
    t->started = true;
    return REEL_OK;
}

void trainer_pause(Trainer *t, bool pause)
{
    double now = now_sec();
    pthread_mutex_lock(&t->mu);
    if (pause && !t->paused)
        t->paused_since = now;
    if (!pause && t->paused)
        t->paused_total += now - t->paused_since;
    t->paused = pause;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void trainer_stop(Trainer *t)
{
    atomic_store(&t->stop, 1);
    pthread_mutex_lock(&t->mu);
    if (t->paused)
        t->paused_total += now_sec() - t->paused_since;
    t->paused = false;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void trainer_join(Trainer *t)
{
    if (!t->started)
        return;
    pthread_join(t->th, NULL);
    t->started = false;
}

void trainer_free(Trainer *t)
{
    if (t->started) {
        trainer_stop(t);
        trainer_join(t);
    }
    model_free(&t->m);
    free(t->wp);
    free(t->wb);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    memset(t, 0, sizeof *t);
}

TrainerPhase trainer_phase(Trainer *t)
{
    TrainerPhase ph;
    pthread_mutex_lock(&t->mu);
    ph = t->phase;
    pthread_mutex_unlock(&t->mu);
    return ph;
}

bool trainer_active(Trainer *t)
{
    TrainerPhase ph = trainer_phase(t);
    return t->started && (ph == TR_LOADING || ph == TR_RUNNING);
}

int trainer_drain(Trainer *t, TrainEvent *out, int max)
{
    int n = 0;
    atomic_store(&t->wake_pending, 0);
    pthread_mutex_lock(&t->mu);
    while (t->r < t->w && n < max)
        out[n++] = t->ring[t->r++ % TRAINER_RING];
    pthread_mutex_unlock(&t->mu);
    return n;
}

void trainer_request_weights(Trainer *t)
{
    pthread_mutex_lock(&t->mu);
    t->have_weights = false;
    t->want_weights = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static ReelStatus copy_vocab(const Vocab *v, Vocab **out, ReelError *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    ReelStatus st;
    *out = NULL;
    if (!v)
        return REEL_OK;
    if (!(f = open_memstream(&buf, &len)))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    st = vocab_write(v, f, err);
    fclose(f);
    if (st) {
        free(buf);
        return st;
    }
    if (!(f = fmemopen(buf, len, "r"))) {
        free(buf);
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    }
    st = vocab_read(out, f, "vocabulary", err);
    fclose(f);
    free(buf);
    return st;
}

ReelStatus trainer_take_model(Trainer *t, Model *out, bool *ready, char *what, size_t what_size,
                              ReelError *err)
{
    ReelStatus st;
    bool have;
    TrainerPhase ph;
    *ready = false;
    pthread_mutex_lock(&t->mu);
    ph = t->phase;
    have = t->have_weights && t->have_model;
    pthread_mutex_unlock(&t->mu);
    if (!have) {
        if ((ph == TR_DONE || ph == TR_STOPPED) && file_exists(t->cfg.out)) {
            if ((st = model_load(out, t->cfg.out, 0, 0, err)))
                return st;
            *ready = true;
            snprintf(what, what_size, "%s, epoch %d", t->cfg.out, out->progress.epoch);
            return REEL_OK;
        }
        if (ph == TR_LOADING || ph == TR_RUNNING)
            return reel_fail(err, REEL_EEMPTY, "the weights are on their way");
        return reel_fail(err, REEL_EARG, "no model yet: start training first (s)");
    }
    /* The configuration does not change while training: read it as it is. */
    out->enc = t->m.enc;
    out->net = t->m.net;
    out->train = t->m.train;
    if ((st = copy_vocab(t->m.vocab, &out->vocab, err)))
        return st;
    if ((st = net_new(&out->nn, &out->net, 0, 0, err)))
        return st;
    pthread_mutex_lock(&t->mu);
    if (net_n_params(out->nn) != t->wn || net_n_buffers(out->nn) != t->bn) {
        pthread_mutex_unlock(&t->mu);
        return reel_fail(err, REEL_EARG, "the weights do not fit the network");
    }
    memcpy(net_params(out->nn), t->wp, t->wn * sizeof *t->wp);
    if (t->bn)
        memcpy(net_buffers(out->nn), t->wb, t->bn * sizeof *t->wb);
    snprintf(what, what_size, "weights after epoch %d, batch %lld", t->w_epoch + 1,
             (long long)t->w_batch);
    out->progress.epoch = t->w_epoch;
    out->progress.batches = t->w_batch;
    pthread_mutex_unlock(&t->mu);
    *ready = true;
    return REEL_OK;
}
