/* train_view.c — the training view: a form of settings, then the run:
 * corpus summary, epoch and batch progress with ETA, steps a second, live
 * charts of loss and accuracy (training, smoothed, and validation after
 * each epoch), and samples of the weights as they are, played while the
 * training goes on (trainer.h does the thread).
 */
#include "studio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datadir.h"
#include "num.h"
#include "version.h"
#include "dist.h"
#include "generate.h"

#define NCURSES_WIDECHAR 1
#include <curses.h>

#define SAMPLE_BARS 4
#define EMA 0.95f

enum {
    F_CORPUS,
    F_MAXTUNES,
    F_ENC,
    F_HIDDEN,
    F_LAYERS,
    F_WINDOW,
    F_BATCH,
    F_EPOCHS,
    F_LR,
    F_OUT,
    F_RESUME,
    F_RANKS,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "corpus", "tunes", "encoding", "hidden units", "layers", "window", "batch", "epochs",
    "learning rate", "model file", "resume", "processes",
};

static attr_t pair(const Studio *s, int p)
{
    return s->colors ? (attr_t)COLOR_PAIR(p) : 0;
}

static void put(int y, int x, int w, const char *text)
{
    if (w > 0)
        mvaddnstr(y, x, text, w);
}

static void fill(int y, int x, int w)
{
    for (int i = 0; i < w; i++)
        mvaddch(y, x + i, ' ');
}

static void fmt_time(double sec, char *buf, size_t n)
{
    long t = sec > 0 && isfinite(sec) ? (long)(sec + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* ---- settings ---------------------------------------------------------------------- */

static void default_out(Studio *s)
{
    const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    char stem[256], *dot;
    const char *c = s->tcfg.corpus, *b;
    size_t n = strlen(c);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", c);
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
        snprintf(s->tcfg.out, sizeof s->tcfg.out, "%s/reel/models/%s-%s.reel", x, stem,
                 trainer_enc_name(&s->tcfg));
    else
        snprintf(s->tcfg.out, sizeof s->tcfg.out, "%s/.local/share/reel/models/%s-%s.reel",
                 home && *home ? home : ".", stem, trainer_enc_name(&s->tcfg));
}

void tv_init(Studio *s)
{
    const Settings *st = &s->settings;
    const char *v;
    TrainerConfig *c = &s->tcfg;
    memset(&s->th, 0, sizeof s->th);
    s->th.form = true;
    trainer_config_defaults(c);
    if (s->corpus_dir[0]) {
        snprintf(c->corpus, sizeof c->corpus, "%s", s->corpus_dir);
    } else {
        const char *root = getenv("REEL_CORPUS");
        char try_[4200];
        struct stat sb;
        snprintf(try_, sizeof try_, "%s/ryans-mammoth/midi", root && *root ? root
                                                                            : "../shared/corpus");
        if (stat(try_, &sb) == 0)
            snprintf(c->corpus, sizeof c->corpus, "%.4000s", try_);
    }
    snprintf(s->th.corpus_default, sizeof s->th.corpus_default, "%s", c->corpus);
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
    default_out(s);
    if ((v = settings_get(st, "train_out")) != NULL && *v) {
        snprintf(c->out, sizeof c->out, "%s", v);
        s->th.out_custom = true;
    }
}

void tv_save_settings(Studio *s)
{
    Settings *st = &s->settings;
    TrainerConfig *c = &s->tcfg;
    if (c->corpus[0] && strcmp(c->corpus, s->th.corpus_default)) {
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
    if (s->th.out_custom)
        settings_set(st, "train_out", c->out);
}

void tv_free(Studio *s)
{
    free(s->th.loss);
    free(s->th.acc);
    free(s->th.x_val);
    free(s->th.vloss);
    free(s->th.vacc);
    free(s->th.sample);
    memset(&s->th, 0, sizeof s->th);
}

static void field_value(const Studio *s, int f, char *buf, size_t n)
{
    const TrainerConfig *c = &s->tcfg;
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

static void field_step(Studio *s, int f, int dir)
{
    TrainerConfig *c = &s->tcfg;
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
        if (!s->th.out_custom)
            default_out(s);
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

void tv_field_text(Studio *s, const char *text)
{
    TrainerConfig *c = &s->tcfg;
    char *end;
    double x;
    switch (s->th.field) {
    case F_CORPUS:
        snprintf(c->corpus, sizeof c->corpus, "%s", text);
        if (!s->th.out_custom)
            default_out(s);
        return;
    case F_OUT:
        snprintf(c->out, sizeof c->out, "%s", text);
        s->th.out_custom = true;
        return;
    case F_ENC:
        if (!trainer_enc_parse(c, text)) {
            studio_status(s, 2, "encodings: " TRAINER_ENCODINGS);
            return;
        }
        if (!s->th.out_custom)
            default_out(s);
        return;
    default:
        break;
    }
    x = strtod(text, &end);
    if (!*text || *end || !isfinite(x) || x < 0) {
        studio_status(s, 2, "%s needs a number", field_names[s->th.field]);
        return;
    }
    switch (s->th.field) {
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

/* ---- history ---------------------------------------------------------------------- */

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

static void hist_reset(TrainHist *h)
{
    h->n = h->nv = 0;
    h->have_last = false;
    h->batches_per_epoch = 0;
}

static void on_event(Studio *s, const TrainEvent *ev)
{
    TrainHist *h = &s->th;
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
            studio_status(s, 1, "epoch %d/%d: loss %.4f, accuracy %.1f%%; checkpoint written",
                          ev->epoch + 1, ev->epochs, (double)ev->epoch_loss,
                          ev->epoch_acc * 100.0);
        }
        break;
    }
    case TRAIN_EV_CHECKPOINT:
        /* after every epoch: the epoch's line says enough; a stop says where it went */
        break;
    case TRAIN_EV_ROLLBACK:
        studio_status(s, 1, "%s", ev->msg);
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

/* ---- samples --------------------------------------------------------------------------- */

static void play_sample(Studio *s)
{
    ReelError err;
    if (!s->snd_ok || !s->th.n_sample)
        return;
    player_stop(s->snd.p);
    s->sample_playing = true;
    player_set_notes(s->snd.p, 0, s->th.sample, s->th.n_sample, &err);
    player_set_loop(s->snd.p, false, 0, 0);
    player_set_metronome(s->snd.p, false);
    s->player_version = s->song.version - 1; /* the song goes back when the studio plays */
    if (player_play(s->snd.p, 0, &err) == REEL_OK) {
        s->playing = true;
        s->playhead = 0;
    }
}

static void make_sample(Studio *s, Model *m, const char *what)
{
    GenCtl gc;
    Tune seed, out;
    GenSpan span;
    ReelError err;
    char *text = NULL;
    int32_t target;
    if (gc_init(&gc, m, &s->so, s->seed, &err)) {
        studio_status(s, 2, "sample: %s", err.msg);
        return;
    }
    if (song_seed_tune(&s->song, &seed, &err) == REEL_OK) {
        if (gc_prime(&gc, seed.n_notes ? &seed : NULL, &seed, &err)) {
            /* a seed this model cannot take: start from silence */
            gc_prime(&gc, NULL, &seed, &err);
        }
        tune_free(&seed);
    }
    target = gc_bars_end(&gc, SAMPLE_BARS);
    gc_set_target(&gc, target);
    while (gc_pending(&gc))
        if (gc_work(&gc, 1.0, NULL, &err))
            break;
    if (gc_decode(&gc, &out, &span, &err) == REEL_OK) {
        free(s->th.sample);
        s->th.sample = NULL;
        s->th.n_sample = 0;
        if (out.n_notes && (s->th.sample = malloc((size_t)out.n_notes * sizeof *s->th.sample))) {
            memcpy(s->th.sample, out.notes, (size_t)out.n_notes * sizeof *out.notes);
            s->th.n_sample = out.n_notes;
        }
        {
            Tune gen;
            if (gen_excerpt(&out, 0, 0, &gen, &err) == REEL_OK) {
                /* the continuation only, as text */
                int32_t k = 0;
                for (int32_t i = 0; i < gen.n_notes; i++)
                    if (gen.notes[i].onset >= span.start_step)
                        gen.notes[k++] = gen.notes[i];
                gen.n_notes = k;
                for (int32_t i = 0; i < gen.n_notes; i++)
                    gen.notes[i].onset -= span.start_step;
                gen.n_steps = gen.n_steps > span.start_step ? gen.n_steps - span.start_step : 0;
                if (gen_notes_text(&gen, &text, &err) == REEL_OK) {
                    for (char *p = text; *p; p++)
                        if (*p == '\n')
                            *p = ' ';
                    snprintf(s->th.sample_text, sizeof s->th.sample_text, "%s", text);
                    free(text);
                }
                tune_free(&gen);
            }
        }
        snprintf(s->th.sample_what, sizeof s->th.sample_what, "%s", what);
        tune_free(&out);
        play_sample(s);
        studio_status(s, 1, "playing %d bars from %s (Space replays)", SAMPLE_BARS, what);
    }
    gc_free(&gc);
}

static void serve_requests(Studio *s)
{
    Model m;
    ReelError err;
    bool ready = false;
    char what[256];
    if (!s->th.want_sample && !s->th.want_use)
        return;
    model_init(&m);
    if (trainer_take_model(&s->tr, &m, &ready, what, sizeof what, &err)) {
        model_free(&m);
        if (err.status == REEL_EEMPTY)
            return; /* not yet */
        studio_status(s, 2, "%s", err.msg);
        s->th.want_sample = s->th.want_use = false;
        return;
    }
    if (s->th.want_sample) {
        s->th.want_sample = false;
        make_sample(s, &m, what);
    }
    if (s->th.want_use) {
        s->th.want_use = false;
        studio_use_model(s, &m, s->tcfg.out, what);
    }
    model_free(&m);
}

bool tv_poll(Studio *s)
{
    TrainEvent ev[256];
    int n;
    bool changed = false;
    TrainerPhase ph;
    if (!s->tr.started && s->tr.phase == TR_IDLE)
        return false;
    while ((n = trainer_drain(&s->tr, ev, 256)) > 0) {
        for (int i = 0; i < n; i++)
            on_event(s, &ev[i]);
        changed = true;
    }
    ph = trainer_phase(&s->tr);
    if (ph != s->th.shown_phase) {
        char msg[600];
        pthread_mutex_lock(&s->tr.mu);
        snprintf(msg, sizeof msg, "%s", s->tr.msg);
        pthread_mutex_unlock(&s->tr.mu);
        if (ph == TR_FAILED)
            studio_status(s, 2, "training: %s", msg);
        else if (ph == TR_DONE || ph == TR_STOPPED)
            studio_status(s, 1, "training %s (u uses the model, l listens)", msg);
        else if (ph == TR_RUNNING)
            studio_status(s, 0, "training: p pauses, x stops, l plays the weights as they are");
        s->th.shown_phase = ph;
        changed = true;
        if (ph == TR_DONE || ph == TR_STOPPED || ph == TR_FAILED)
            trainer_join(&s->tr);
    }
    if (ph == TR_LOADING)
        changed = true;
    {
        bool w;
        pthread_mutex_lock(&s->tr.mu);
        w = s->tr.waiting;
        pthread_mutex_unlock(&s->tr.mu);
        if (w != s->th.shown_waiting) {
            s->th.shown_waiting = w;
            changed = true;
        }
    }
    serve_requests(s);
    return changed;
}

/* ---- keys ---------------------------------------------------------------------------- */

void tv_action(Studio *s, Action a)
{
    TrainerPhase ph = trainer_phase(&s->tr);
    bool active = trainer_active(&s->tr);
    ReelError err;
    switch (a) {
    case ACT_T_UP:
        if (!active && s->th.form && s->th.field > 0)
            s->th.field--;
        s->th.form = !active;
        break;
    case ACT_T_DOWN:
        if (!active && s->th.form && s->th.field < F_COUNT - 1)
            s->th.field++;
        s->th.form = !active;
        break;
    case ACT_T_DEC:
    case ACT_T_INC:
        if (!active && s->th.form)
            field_step(s, s->th.field, a == ACT_T_INC ? 1 : -1);
        s->th.form = !active;
        break;
    case ACT_T_EDIT:
        if (!active && !s->th.form) {
            s->th.form = true;
            break;
        }
        if (!active) {
            char v[4200];
            bool paths = s->th.field == F_CORPUS || s->th.field == F_OUT;
            if (s->th.field == F_CORPUS)
                snprintf(v, sizeof v, "%s", s->tcfg.corpus);
            else if (s->th.field == F_OUT)
                snprintf(v, sizeof v, "%s", s->tcfg.out);
            else if (s->th.field == F_MAXTUNES)
                snprintf(v, sizeof v, "%ld", s->tcfg.max_tunes);
            else if (s->th.field == F_RESUME)
                snprintf(v, sizeof v, "%d", s->tcfg.resume ? 1 : 0);
            else if (s->th.field == F_RANKS)
                snprintf(v, sizeof v, "%d", s->tcfg.ranks);
            else
                field_value(s, s->th.field, v, sizeof v);
            {
                char label[64];
                char *sp;
                snprintf(label, sizeof label, "%s: ", field_names[s->th.field]);
                if (s->th.field != F_CORPUS && s->th.field != F_OUT &&
                    (sp = strchr(v, ' ')) != NULL)
                    *sp = '\0';
                prompt_begin(&s->prompt, label, v, paths, PR_TRAIN_FIELD);
                s->prompting = true;
            }
        }
        break;
    case ACT_T_START:
        if (active) {
            studio_status(s, 0, "training is running (p pauses, x stops)");
            break;
        }
        if (!s->tcfg.corpus[0]) {
            studio_status(s, 2, "choose a corpus folder first (Enter on 'corpus')");
            break;
        }
        if ((ph == TR_STOPPED) && !s->tcfg.resume)
            s->tcfg.resume = true; /* s after x goes on where it stopped */
        hist_reset(&s->th);
        s->th.shown_phase = TR_IDLE;
        s->th.form = false;
        if (trainer_start(&s->tr, &s->tcfg, s->wake[1], &err))
            studio_status(s, 2, "%s", err.msg);
        else if (s->tcfg.ranks > 1)
            studio_status(s, 0, "starting mpirun -np %d reel train on %s ...", s->tcfg.ranks,
                          s->tcfg.corpus);
        else
            studio_status(s, 0, "loading %s ...", s->tcfg.corpus);
        break;
    case ACT_T_PAUSE:
        if (!active) {
            studio_status(s, 0, "no training is running (s starts)");
            break;
        }
        if (!trainer_pause(&s->tr, !s->tr.paused)) {
            studio_status(s, 0, "an MPI job cannot pause: x stops it with a checkpoint, s goes "
                                "on from there");
            s->th.epoch_said = now_sec(); /* the epoch lines wait a moment */
            break;
        }
        studio_status(s, 0, s->tr.paused ? "paused (p resumes; l still plays the weights)"
                                         : "resumed");
        break;
    case ACT_T_STOP:
        if (!active) {
            studio_status(s, 0, "no training is running");
            break;
        }
        trainer_stop(&s->tr);
        studio_status(s, 0, "stopping after this batch; a checkpoint is written (s resumes)");
        break;
    case ACT_T_LISTEN:
        trainer_request_weights(&s->tr);
        s->th.want_sample = true;
        s->th.requested_at = now_sec();
        studio_status(s, 0, "taking the weights at the next batch ...");
        serve_requests(s);
        break;
    case ACT_T_USE:
        trainer_request_weights(&s->tr);
        s->th.want_use = true;
        serve_requests(s);
        break;
    case ACT_VIEW_STUDIO:
        if (s->sample_playing) {
            studio_stop(s);
            s->sample_playing = false;
        }
        s->view = VIEW_STUDIO;
        clear();
        break;
    default:
        break;
    }
}

/* ---- drawing ---------------------------------------------------------------------------- */

static void bar_line(Studio *s, int y, int x, int w, const char *label, double frac,
                     const char *right)
{
    char buf[600], bar[600];
    int lw = (int)strlen(label), rw = (int)strlen(right), bw = w - lw - rw - 4;
    if (bw < 4)
        bw = 4;
    if (bw > 200)
        bw = 200;
    put(y, x, w, label);
    chart_hbar(frac, bw, s->utf8, bar, sizeof bar);
    attrset(pair(s, C_SERIES1) | A_REVERSE * 0);
    mvaddstr(y, x + lw + 1, s->utf8 ? "\u2595" : "[");
    attrset(pair(s, C_SERIES1));
    mvaddstr(y, x + lw + 2, bar);
    attrset(A_NORMAL);
    mvaddstr(y, x + lw + 2 + bw, s->utf8 ? "\u258f" : "]");
    snprintf(buf, sizeof buf, " %s", right);
    put(y, x + lw + 3 + bw, w - lw - 3 - bw, buf);
}

/* One chart with its axis labels: training (series 1) and validation (2). */
static void draw_chart(Studio *s, int y, int x, int w, int h, const char *title, const float *tr,
                       int n, const float *vx, const float *vy, int nv, double x_max,
                       bool percent)
{
    ChartCanvas c;
    double lo = 0, hi = 1, a = 0, b;
    char lab[32], cell[8];
    int aw = 7, cw = w - aw;
    bool any = false;
    if (h < 3 || cw < 4)
        return;
    attrset(A_BOLD);
    put(y, x, w, title);
    attrset(pair(s, C_SERIES1));
    put(y, x + (int)strlen(title) + 2, w, "train");
    attrset(pair(s, C_SERIES2));
    put(y, x + (int)strlen(title) + 8, w, "validation");
    attrset(A_NORMAL);
    h--;
    y++;
    if (chart_minmax(tr, n, &a, &b)) {
        lo = a;
        hi = b;
        any = true;
    }
    if (chart_minmax(vy, nv, &a, &b)) {
        lo = any ? (a < lo ? a : lo) : a;
        hi = any ? (b > hi ? b : hi) : b;
        any = true;
    }
    chart_nice_range(lo, hi, &lo, &hi);
    if (lo < 0 && a >= 0)
        lo = 0; /* losses and accuracies are not negative */
    if (percent && hi > 1)
        hi = 1;
    if (!chart_init(&c, cw, h, s->utf8 ? CHART_BRAILLE : CHART_ASCII))
        return;
    chart_plot(&c, tr, n, x_max, lo, hi, 0);
    /* Validation points at their batches, joined. */
    {
        int W = chart_dots_w(&c), H = chart_dots_h(&c), px = -1, py = -1;
        for (int i = 0; i < nv; i++) {
            int dx = (int)floor(vx[i] / (x_max > 1 ? x_max - 1 : 1) * (W - 1) + 0.5);
            int dy = chart_row_of(vy[i], lo, hi, H);
            if (dx >= W)
                dx = W - 1;
            if (px >= 0)
                chart_line(&c, px, py, dx, dy, 1);
            else
                chart_dot(&c, dx, dy, 1);
            /* a visible mark: the dot and its neighbours */
            chart_dot(&c, dx, dy > 0 ? dy - 1 : dy, 1);
            chart_dot(&c, dx > 0 ? dx - 1 : dx, dy, 1);
            px = dx;
            py = dy;
        }
    }
    for (int r = 0; r < h; r++) {
        double v = hi - (hi - lo) * r / (h > 1 ? h - 1 : 1);
        attrset(pair(s, C_DIM));
        if (r == 0 || r == h - 1 || r == h / 2) {
            if (percent)
                snprintf(lab, sizeof lab, "%5.1f%%", v * 100);
            else
                snprintf(lab, sizeof lab, "%6.3f", v);
        } else {
            snprintf(lab, sizeof lab, "      ");
        }
        put(y + r, x, aw - 1, lab);
        mvaddstr(y + r, x + aw - 1, s->utf8 ? "\u2524" : "|");
        for (int col = 0; col < cw; col++) {
            int owner = chart_cell(&c, col, r, cell);
            attrset(owner == 1 ? pair(s, C_SERIES1) : owner == 2 ? pair(s, C_SERIES2) | A_BOLD
                                                                  : A_NORMAL);
            mvaddstr(y + r, x + aw + col, cell);
        }
    }
    attrset(A_NORMAL);
    chart_free(&c);
}

static void draw_form(Studio *s, int y, int h)
{
    char v[4200], line[4400];
    put(y, 2, s->w - 4, "Choose with Up/Down, change with Left/Right, Enter types a value; s starts.");
    for (int f = 0; f < F_COUNT && f + 2 < h; f++) {
        bool sel = f == s->th.field;
        field_value(s, f, v, sizeof v);
        snprintf(line, sizeof line, "%c %-14s %s", sel ? '>' : ' ', field_names[f], v);
        attrset(sel ? (A_BOLD | (s->colors ? pair(s, C_PIANO) : A_REVERSE)) : A_NORMAL);
        fill(y + 2 + f, 2, s->w - 4);
        put(y + 2 + f, 2, s->w - 4, line);
        attrset(A_NORMAL);
    }
}

void tv_draw(Studio *s)
{
    TrainHist *h = &s->th;
    Trainer *t = &s->tr;
    TrainerPhase ph;
    char line[1200], a[32], b[32];
    int y, w = s->w;
    long files_done, files_total, tunes_train, tunes_val, skipped;
    int64_t positions;
    size_t params;
    int resumed, ranks;
    double paused_total;
    bool paused, waiting;
    pthread_mutex_lock(&t->mu);
    ranks = t->ranks;
    ph = t->phase;
    files_done = t->files_done;
    files_total = t->files_total;
    tunes_train = t->tunes_train;
    tunes_val = t->tunes_val;
    skipped = t->files_skipped;
    positions = t->positions;
    params = t->n_params;
    resumed = t->resumed_epoch;
    paused = t->paused;
    waiting = t->waiting;
    paused_total = t->paused_total + (t->paused ? now_sec() - t->paused_since : 0);
    pthread_mutex_unlock(&t->mu);

    for (int r = 1; r < s->h - 2; r++)
        fill(r, 0, w);
    {
        static const char *const names[] = {"not started", "loading the corpus", "running", "done",
                                            "stopped", "failed"};
        char on[64] = "";
        if (ranks > 1 && ph != TR_IDLE)
            snprintf(on, sizeof on, "  ranks: %d (mpirun)", ranks);
        snprintf(line, sizeof line, " Training  %s%s%s", names[ph],
                 waiting ? " (paused)" : paused ? " (pausing after this batch)" : "", on);
        attrset(A_BOLD | (ph == TR_FAILED ? pair(s, C_ERROR) : ph == TR_RUNNING ? pair(s, C_OK) : 0));
        put(1, 0, w, line);
        attrset(A_NORMAL);
    }
    y = 2;
    if (ph == TR_IDLE || (ph == TR_FAILED && !h->have_last) || (h->form && !trainer_active(t))) {
        draw_form(s, y, s->h - 2 - y);
        if (ph == TR_FAILED) {
            pthread_mutex_lock(&t->mu);
            snprintf(line, sizeof line, "failed: %s", t->msg);
            pthread_mutex_unlock(&t->mu);
            attrset(pair(s, C_ERROR));
            put(s->h - 4, 2, w - 4, line);
            attrset(A_NORMAL);
        }
    } else {
        const TrainEvent *ev = h->have_last ? &h->last : NULL;
        const TrainerConfig *c = &t->cfg;
        char pos[32], par[32];
        double x_max;
        int chart_h, cw;
        snprintf(line, sizeof line, "corpus  %s", c->corpus);
        put(y++, 1, w - 2, line);
        if (ph == TR_LOADING && ranks > 1) {
            snprintf(line, sizeof line, "        %d ranks read their shares of the corpus "
                     "(mpirun -np %d; its messages go to %.300s)", ranks, ranks, t->log_path);
            put(y++, 1, w - 2, line);
        } else if (ph == TR_LOADING) {
            snprintf(line, sizeof line, "%ld of %ld files", files_done, files_total);
            bar_line(s, y++, 1, w - 2, "reading", files_total ? (double)files_done / files_total : 0,
                     line);
        } else {
            snprintf(line, sizeof line, "        %ld tunes to learn from, %ld held out for "
                     "validation%s%s, %s positions an epoch", tunes_train, tunes_val,
                     skipped ? ", files skipped: " : "", skipped ? "some" : "",
                     num_thousands((long)positions, pos));
            put(y++, 1, w - 2, line);
        }
        snprintf(line, sizeof line, "model   %s %dx%d LSTM, %s weights, window %d, batch %d, lr %g"
                 "%s -> %.300s", t->m.enc.lookback ? "melody-lookback" : enc_name(t->m.enc.kind),
                 t->m.net.layers, t->m.net.hidden,
                 num_thousands((long)params, par), t->m.train.window, t->m.train.batch,
                 (double)t->m.train.optim.lr, resumed >= 0 ? " (resumed)" : "", c->out);
        if (ph != TR_LOADING)
            put(y, 1, w - 2, line);
        y++;
        if (ev) {
            double elapsed = ev->elapsed, active = elapsed - paused_total;
            double sps = active > 0 ? ev->steps_per_sec * elapsed / active : ev->steps_per_sec;
            double eta = elapsed > 0 ? ev->eta * (active > 0 ? active / elapsed : 1) : ev->eta;
            int ep = ev->epoch + (ev->kind == TRAIN_EV_EPOCH ? 1 : 0);
            fmt_time(eta, a, sizeof a);
            fmt_time(active, b, sizeof b);
            snprintf(line, sizeof line, "%d/%d  ETA %s  (%s so far)", ev->epoch + 1, ev->epochs,
                     a, b);
            bar_line(s, y++, 1, w - 2, "epoch  ",
                     ev->epochs ? (ep + (ev->batches ? (double)ev->batch / ev->batches : 0) -
                                   (ev->kind == TRAIN_EV_EPOCH ? 1 : 0)) / ev->epochs
                                : 0,
                     line);
            snprintf(line, sizeof line, "%lld/%lld  %s steps/s", (long long)ev->batch,
                     (long long)ev->batches, num_thousands((long)(sps + 0.5), pos));
            bar_line(s, y++, 1, w - 2, "batch  ", ev->batches ? (double)ev->batch / ev->batches : 0,
                     line);
            snprintf(line, sizeof line, "loss    %.4f (epoch mean %.4f)   accuracy %.1f%%   "
                     "validation loss %s   accuracy %s", (double)ev->loss,
                     (double)ev->epoch_loss, ev->acc * 100.0,
                     isnan(ev->val_loss) ? "--" : (snprintf(a, sizeof a, "%.4f",
                                                            (double)ev->val_loss), a),
                     isnan(ev->val_acc) ? "--" : (snprintf(b, sizeof b, "%.1f%%",
                                                           ev->val_acc * 100.0), b));
            attrset(A_BOLD);
            put(y++, 1, w - 2, line);
            attrset(A_NORMAL);
        } else {
            y += 3;
        }
        chart_h = s->h - 2 - y - 2;
        x_max = ev && ev->batches ? (double)ev->batches * ev->epochs : (h->n > 1 ? h->n : 2);
        if (resumed >= 0 && ev && ev->batches)
            x_max = (double)ev->batches * ev->epochs;
        cw = (w - 3) / 2;
        if (chart_h >= 4) {
            /* x of the batch series: index into this run's batches */
            float *vx = NULL;
            if (h->nv && (vx = malloc((size_t)h->nv * sizeof *vx))) {
                int64_t first = ev ? ev->global_batch - h->n : 0;
                for (int i = 0; i < h->nv; i++)
                    vx[i] = h->x_val[i] - (float)first - 1;
            }
            draw_chart(s, y, 1, cw, chart_h, "loss", h->loss, h->n, vx, h->vloss, vx ? h->nv : 0,
                       x_max - (resumed >= 0 && ev ? (double)(ev->global_batch - h->n) : 0),
                       false);
            draw_chart(s, y, 2 + cw, cw, chart_h, "accuracy", h->acc, h->n, vx, h->vacc,
                       vx ? h->nv : 0,
                       x_max - (resumed >= 0 && ev ? (double)(ev->global_batch - h->n) : 0),
                       true);
            free(vx);
        }
        y = s->h - 4;
        if (h->sample_what[0]) {
            snprintf(line, sizeof line, "sample (%.100s): %.900s", h->sample_what, h->sample_text);
            put(y, 1, w - 2, line);
        } else {
            attrset(pair(s, C_DIM));
            put(y, 1, w - 2, "l plays a few bars from the weights as they are, without stopping "
                             "the training");
            attrset(A_NORMAL);
        }
    }
    /* footer */
    fill(s->h - 1, 0, w);
    attrset(pair(s, C_HEADER) | A_BOLD | (s->colors ? 0 : A_REVERSE));
    put(s->h - 1, 0, w, " TRAIN ");
    attrset(A_NORMAL);
    put(s->h - 1, 7, w - 7, trainer_active(t)
                                ? " p: pause/resume  x: stop  l: listen  u: use model  "
                                  "t: studio  ?: help  q: quit"
                                : " Up/Dn Left/Right Enter: settings  s: start  l: listen  "
                                  "u: use model  t: studio  ?: help  q: quit");
}
