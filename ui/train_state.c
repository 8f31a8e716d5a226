/* train_state.c — the training view's state (train_state.h): the form's
 * settings and their rules, the model file named after the corpus, and the
 * memory of a run built from the training thread's events.
 */
#include "train_state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "dist.h"

#define EMA 0.95f

static const char *const field_names[F_COUNT] = {
    "corpus", "tunes", "encoding", "hidden units", "layers", "window", "batch", "epochs",
    "learning rate", "model file", "resume", "processes",
};

const char *train_field_name(int f)
{
    return f >= 0 && f < F_COUNT ? field_names[f] : "";
}

/* ---- the form ------------------------------------------------------------------------- */

static void default_out(TrainerConfig *c)
{
    const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    char stem[256], *dot;
    const char *b;
    size_t n = strlen(c->corpus);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", c->corpus);
    while (n > 1 && tmp[n - 1] == '/')
        tmp[--n] = '\0';
    b = strrchr(tmp, '/');
    snprintf(stem, sizeof stem, "%.200s", b ? b + 1 : tmp[0] ? tmp : "corpus");
    /* ".../ryans-mammoth/midi" reads better as "ryans-mammoth" */
    if ((!strcmp(stem, "midi") || !strcmp(stem, "abc")) && b && b > tmp) {
        const char *p = b - 1;
        while (p > tmp && *p != '/')
            p--;
        snprintf(stem, sizeof stem, "%.*s", (int)(b - p - (*p == '/' ? 1 : 0)),
                 *p == '/' ? p + 1 : p);
    }
    if ((dot = strrchr(stem, '.')) != NULL && dot != stem)
        *dot = '\0';
    if (x && x[0] == '/')
        snprintf(c->out, sizeof c->out, "%s/reel/models/%s-%s.reel", x, stem,
                 trainer_enc_name(c));
    else
        snprintf(c->out, sizeof c->out, "%s/.local/share/reel/models/%s-%s.reel",
                 home && *home ? home : ".", stem, trainer_enc_name(c));
}

void train_state_init(TrainHist *h, TrainerConfig *c, const Settings *st, const char *corpus_dir)
{
    const char *v;
    memset(h, 0, sizeof *h);
    h->form = true;
    trainer_config_defaults(c);
    if (corpus_dir[0]) {
        snprintf(c->corpus, sizeof c->corpus, "%s", corpus_dir);
    } else {
        const char *root = getenv("REEL_CORPUS");
        char try_[4200];
        struct stat sb;
        snprintf(try_, sizeof try_, "%s/ryans-mammoth/midi", root && *root ? root
                                                                            : "../shared/corpus");
        if (stat(try_, &sb) == 0)
            snprintf(c->corpus, sizeof c->corpus, "%.4000s", try_);
    }
    snprintf(h->corpus_default, sizeof h->corpus_default, "%s", c->corpus);
    if ((v = settings_get(st, "train_encoding")) != NULL)
        trainer_enc_parse(c, v);
    c->hidden = (int)settings_num(st, "train_hidden", 1, 8192, c->hidden);
    c->layers = (int)settings_num(st, "train_layers", 1, 16, c->layers);
    c->window = (int)settings_num(st, "train_window", 1, 100000, c->window);
    c->batch = (int)settings_num(st, "train_batch", 1, 100000, c->batch);
    c->epochs = (int)settings_num(st, "train_epochs", 1, 1000000, c->epochs);
    c->lr = (float)settings_num(st, "train_lr", 1e-9, 10, c->lr);
    c->max_tunes = (long)settings_num(st, "train_max_tunes", 0, 1e8, 0);
    c->ranks = (int)settings_num(st, "train_ranks", 1, 1024, 1);
    default_out(c);
    if ((v = settings_get(st, "train_out")) != NULL && *v) {
        snprintf(c->out, sizeof c->out, "%s", v);
        h->out_custom = true;
    }
}

void train_state_save(const TrainHist *h, const TrainerConfig *c, Settings *st)
{
    if (c->corpus[0] && strcmp(c->corpus, h->corpus_default)) {
        char abs[4096];
        settings_set(st, "corpus", realpath(c->corpus, abs) ? abs : c->corpus);
    }
    settings_set(st, "train_encoding", trainer_enc_name(c));
    settings_set_num(st, "train_hidden", c->hidden);
    settings_set_num(st, "train_layers", c->layers);
    settings_set_num(st, "train_window", c->window);
    settings_set_num(st, "train_batch", c->batch);
    settings_set_num(st, "train_epochs", c->epochs);
    settings_set_num(st, "train_lr", c->lr);
    settings_set_num(st, "train_max_tunes", (double)c->max_tunes);
    settings_set_num(st, "train_ranks", c->ranks);
    if (h->out_custom)
        settings_set(st, "train_out", c->out);
}

void train_state_free(TrainHist *h)
{
    free(h->loss);
    free(h->acc);
    free(h->x_val);
    free(h->vloss);
    free(h->vacc);
    free(h->sample);
    memset(h, 0, sizeof *h);
}

void train_field_value(const TrainerConfig *c, int f, char *buf, size_t n)
{
    switch (f) {
    case F_CORPUS: snprintf(buf, n, "%s", c->corpus[0] ? c->corpus : "(none: Enter to type a folder)"); break;
    case F_MAXTUNES:
        if (c->max_tunes)
            snprintf(buf, n, "the first %ld", c->max_tunes);
        else
            snprintf(buf, n, "all");
        break;
    case F_ENC: snprintf(buf, n, "%s", trainer_enc_name(c)); break;
    case F_HIDDEN: snprintf(buf, n, "%d", c->hidden); break;
    case F_LAYERS: snprintf(buf, n, "%d", c->layers); break;
    case F_WINDOW: snprintf(buf, n, "%d steps", c->window); break;
    case F_BATCH: snprintf(buf, n, "%d windows", c->batch); break;
    case F_EPOCHS: snprintf(buf, n, "%d", c->epochs); break;
    case F_LR: snprintf(buf, n, "%g (adam)", (double)c->lr); break;
    case F_OUT: snprintf(buf, n, "%s", c->out); break;
    case F_RESUME:
        snprintf(buf, n, "%s", c->resume ? "yes: continue the model file where it stopped"
                                         : "no: a new model (the file is replaced)");
        break;
    case F_RANKS:
        if (c->ranks > 1)
            snprintf(buf, n, "%d ranks: mpirun -np %d reel train (MPI%s)", c->ranks, c->ranks,
                     dist_built_with_mpi() ? "" : "; this reel was built without it");
        else
            snprintf(buf, n, "1: here, in a thread%s", dist_built_with_mpi()
                                                          ? " (Right: ranks of an MPI job)" : "");
        break;
    default: buf[0] = '\0';
    }
}

void train_field_step(TrainHist *h, TrainerConfig *c, int f, int dir)
{
    switch (f) {
    case F_MAXTUNES: {
        static const long steps[] = {0, 10, 20, 50, 100, 200, 500, 1000};
        int i = 0, n = (int)(sizeof steps / sizeof steps[0]);
        while (i < n - 1 && steps[i] != c->max_tunes)
            i++;
        if (steps[i] != c->max_tunes)
            i = 0;
        i = (i + dir + n) % n;
        c->max_tunes = steps[i];
        break;
    }
    case F_ENC: {
        /* every encoding, and melody-lookback right after melody */
        int n = ENC_COUNT + 1;
        int i = (int)c->enc + (c->enc > ENC_MELODY || (c->enc == ENC_MELODY && c->lookback));
        i = (i + dir + n) % n;
        c->lookback = i == ENC_MELODY + 1;
        c->enc = (EncKind)(i > ENC_MELODY ? i - 1 : i);
        if (!h->out_custom)
            default_out(c);
        break;
    }
    case F_HIDDEN:
        c->hidden = dir > 0 ? (c->hidden < 2048 ? c->hidden * 2 : 2048)
                            : (c->hidden > 16 ? c->hidden / 2 : 16);
        break;
    case F_LAYERS:
        c->layers += dir;
        if (c->layers < 1)
            c->layers = 1;
        if (c->layers > 6)
            c->layers = 6;
        break;
    case F_WINDOW:
        c->window = dir > 0 ? (c->window < 1024 ? c->window * 2 : 1024)
                            : (c->window > 8 ? c->window / 2 : 8);
        break;
    case F_BATCH:
        c->batch = dir > 0 ? (c->batch < 512 ? c->batch * 2 : 512)
                           : (c->batch > 1 ? c->batch / 2 : 1);
        break;
    case F_EPOCHS:
        c->epochs += dir * (c->epochs >= 20 ? 5 : 1);
        if (c->epochs < 1)
            c->epochs = 1;
        break;
    case F_LR:
        c->lr = dir > 0 ? c->lr * 2 : c->lr / 2;
        if (c->lr < 1e-6f)
            c->lr = 1e-6f;
        if (c->lr > 1)
            c->lr = 1;
        break;
    case F_RESUME:
        c->resume = !c->resume;
        break;
    case F_RANKS:
        c->ranks += dir;
        if (c->ranks < 1)
            c->ranks = 1;
        if (c->ranks > 1024)
            c->ranks = 1024;
        break;
    default:
        break;
    }
}

void train_field_text(TrainHist *h, TrainerConfig *c, const char *text, View *v)
{
    char *end;
    double x;
    switch (h->field) {
    case F_CORPUS:
        snprintf(c->corpus, sizeof c->corpus, "%s", text);
        if (!h->out_custom)
            default_out(c);
        return;
    case F_OUT:
        snprintf(c->out, sizeof c->out, "%s", text);
        h->out_custom = true;
        return;
    case F_ENC:
        if (!trainer_enc_parse(c, text)) {
            view_status(v, 2, "encodings: " TRAINER_ENCODINGS);
            return;
        }
        if (!h->out_custom)
            default_out(c);
        return;
    default:
        break;
    }
    x = strtod(text, &end);
    if (!*text || *end || !isfinite(x) || x < 0) {
        view_status(v, 2, "%s needs a number", field_names[h->field]);
        return;
    }
    switch (h->field) {
    case F_MAXTUNES: c->max_tunes = (long)x; break;
    case F_HIDDEN: if (x >= 1 && x <= 8192) c->hidden = (int)x; break;
    case F_LAYERS: if (x >= 1 && x <= 16) c->layers = (int)x; break;
    case F_WINDOW: if (x >= 1 && x <= 100000) c->window = (int)x; break;
    case F_BATCH: if (x >= 1 && x <= 100000) c->batch = (int)x; break;
    case F_EPOCHS: if (x >= 1) c->epochs = (int)x; break;
    case F_LR: if (x > 0 && x <= 10) c->lr = (float)x; break;
    case F_RESUME: c->resume = x != 0; break;
    case F_RANKS: if (x >= 1 && x <= 1024) c->ranks = (int)x; break;
    default: break;
    }
}

/* ---- the memory of a run ----------------------------------------------------------------- */

static bool push(float **v, int *n, int *cap, float x)
{
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 1024;
        float *p = realloc(*v, (size_t)c * sizeof *p);
        if (!p)
            return false;
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = x;
    return true;
}

void train_hist_reset(TrainHist *h)
{
    h->n = h->nv = 0;
    h->have_last = false;
    h->batches_per_epoch = 0;
}

void train_hist_event(TrainHist *h, const TrainEvent *ev, View *v)
{
    switch (ev->kind) {
    case TRAIN_EV_START:
        break;
    case TRAIN_EV_BATCH: {
        int cap = h->cap;
        if (h->n == 0 || ev->global_batch <= 1) {
            h->ema_loss = ev->loss;
            h->ema_acc = ev->acc;
        } else {
            h->ema_loss = EMA * h->ema_loss + (1 - EMA) * ev->loss;
            h->ema_acc = EMA * h->ema_acc + (1 - EMA) * ev->acc;
        }
        if (push(&h->loss, &h->n, &cap, h->ema_loss)) {
            h->n--;
            cap = h->cap;
            push(&h->acc, &h->n, &cap, h->ema_acc);
            h->cap = cap;
        }
        h->batches_per_epoch = ev->batches;
        break;
    }
    case TRAIN_EV_EPOCH: {
        int capv = h->capv, n = h->nv;
        if (!isnan(ev->val_loss)) {
            push(&h->x_val, &n, &capv, (float)ev->global_batch);
            n = h->nv;
            capv = h->capv;
            push(&h->vloss, &n, &capv, ev->val_loss);
            n = h->nv;
            capv = h->capv;
            push(&h->vacc, &n, &capv, ev->val_acc);
            h->nv = n;
            h->capv = capv;
        }
        if (now_sec() - h->epoch_said >= 2.0) {
            /* fast epochs (a small corpus) would flood the status line */
            h->epoch_said = now_sec();
            view_status(v, 1, "epoch %d/%d: loss %.4f, accuracy %.1f%%; checkpoint written",
                          ev->epoch + 1, ev->epochs, (double)ev->epoch_loss,
                          ev->epoch_acc * 100.0);
        }
        break;
    }
    case TRAIN_EV_CHECKPOINT:
        /* after every epoch: the epoch's line says enough; a stop says where it went */
        break;
    case TRAIN_EV_ROLLBACK:
        view_status(v, 1, "%s", ev->msg);
        break;
    default:
        break;
    }
    if (ev->kind == TRAIN_EV_BATCH || ev->kind == TRAIN_EV_EPOCH ||
        ev->kind == TRAIN_EV_DONE || ev->kind == TRAIN_EV_STOPPED) {
        TrainEvent keep = *ev;
        if (h->have_last && ev->kind != TRAIN_EV_BATCH) {
            /* keep the batch figures the last batch gave */
            keep.batch = ev->kind == TRAIN_EV_EPOCH ? ev->batches : h->last.batch;
            keep.batches = h->last.batches;
            keep.loss = h->last.loss;
            keep.acc = h->last.acc;
            keep.eta = ev->kind == TRAIN_EV_EPOCH ? h->last.eta : 0;
            if (ev->kind == TRAIN_EV_EPOCH)
                keep.epoch = ev->epoch;
        }
        h->last = keep;
        h->have_last = true;
    }
}

/* ---- the thread's figures ----------------------------------------------------------------- */

void train_snap_take(TrainSnap *sn, Trainer *t)
{
    sn->active = trainer_active(t);
    pthread_mutex_lock(&t->mu);
    sn->ranks = t->ranks;
    sn->phase = t->phase;
    sn->files_done = t->files_done;
    sn->files_total = t->files_total;
    sn->tunes_train = t->tunes_train;
    sn->tunes_val = t->tunes_val;
    sn->skipped = t->files_skipped;
    sn->positions = t->positions;
    sn->params = t->n_params;
    sn->resumed = t->resumed_epoch;
    sn->paused = t->paused;
    sn->waiting = t->waiting;
    sn->paused_total = t->paused_total + (t->paused ? now_sec() - t->paused_since : 0);
    snprintf(sn->msg, sizeof sn->msg, "%s", t->msg);
    pthread_mutex_unlock(&t->mu);
}
