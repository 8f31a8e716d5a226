/* train_view.c — the training view's actions: the keys of the form and of
 * a run (start, pause, stop, listen, use), the training thread's events
 * taken into the state, and samples of the weights as they are, played
 * while the training goes on (trainer.h does the thread; train_state.h
 * holds the view's state, train_draw.c draws it).
 */
#include "train_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"

#define NCURSES_WIDECHAR 1
#include <curses.h>

#define SAMPLE_BARS 4

/* ---- samples --------------------------------------------------------------------------- */

static void play_sample(Studio *s)
{
    ReelError err;
    if (!s->snd_ok || !s->th.n_sample)
        return;
    player_stop(s->snd.p);
    s->tp.sample_playing = true;
    player_set_notes(s->snd.p, 0, s->th.sample, s->th.n_sample, &err);
    player_set_loop(s->snd.p, false, 0, 0);
    player_set_metronome(s->snd.p, false);
    s->tp.player_version = s->song.version - 1; /* the song goes back when the studio plays */
    if (player_play(s->snd.p, 0, &err) == REEL_OK) {
        s->tp.playing = true;
        s->tp.playhead = 0;
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
    if (gc_init(&gc, m, &s->take.so, s->take.seed, &err)) {
        view_status(&s->view, 2, "sample: %s", err.msg);
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
        view_status(&s->view, 1, "playing %d bars from %s (Space replays)", SAMPLE_BARS, what);
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
        view_status(&s->view, 2, "%s", err.msg);
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

bool train_view_poll(Studio *s)
{
    TrainEvent ev[256];
    int n;
    bool changed = false;
    TrainerPhase ph;
    if (!s->tr.started && s->tr.phase == TR_IDLE)
        return false;
    while ((n = trainer_drain(&s->tr, ev, 256)) > 0) {
        for (int i = 0; i < n; i++)
            train_hist_event(&s->th, &ev[i], &s->view);
        changed = true;
    }
    ph = trainer_phase(&s->tr);
    if (ph != s->th.shown_phase) {
        char msg[600];
        pthread_mutex_lock(&s->tr.mu);
        snprintf(msg, sizeof msg, "%s", s->tr.msg);
        pthread_mutex_unlock(&s->tr.mu);
        if (ph == TR_FAILED)
            view_status(&s->view, 2, "training: %s", msg);
        else if (ph == TR_DONE || ph == TR_STOPPED)
            view_status(&s->view, 1, "training %s (u uses the model, l listens)", msg);
        else if (ph == TR_RUNNING)
            view_status(&s->view, 0, "training: p pauses, x stops, l plays the weights as they are");
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

/* Enter: open the form after a run, or type the chosen field's value. */
static void edit_field(Studio *s, bool active)
{
    char v[4200], label[64], *sp;
    int f = s->th.field;
    bool paths = f == F_CORPUS || f == F_OUT;
    if (!active && !s->th.form) {
        s->th.form = true;
        return;
    }
    if (active)
        return;
    if (f == F_CORPUS)
        snprintf(v, sizeof v, "%s", s->tcfg.corpus);
    else if (f == F_OUT)
        snprintf(v, sizeof v, "%s", s->tcfg.out);
    else if (f == F_MAXTUNES)
        snprintf(v, sizeof v, "%ld", s->tcfg.max_tunes);
    else if (f == F_RESUME)
        snprintf(v, sizeof v, "%d", s->tcfg.resume ? 1 : 0);
    else if (f == F_RANKS)
        snprintf(v, sizeof v, "%d", s->tcfg.ranks);
    else
        train_field_value(&s->tcfg, f, v, sizeof v);
    snprintf(label, sizeof label, "%s: ", train_field_name(f));
    if (f != F_CORPUS && f != F_OUT && (sp = strchr(v, ' ')) != NULL)
        *sp = '\0';
    prompt_begin(&s->view.prompt, label, v, paths, PR_TRAIN_FIELD);
    s->view.prompting = true;
}

/* s: start a run (or go on with a stopped one). */
static void start_run(Studio *s, bool active, TrainerPhase ph)
{
    ReelError err;
    if (active) {
        view_status(&s->view, 0, "training is running (p pauses, x stops)");
        return;
    }
    if (!s->tcfg.corpus[0]) {
        view_status(&s->view, 2, "choose a corpus folder first (Enter on 'corpus')");
        return;
    }
    if ((ph == TR_STOPPED) && !s->tcfg.resume)
        s->tcfg.resume = true; /* s after x goes on where it stopped */
    train_hist_reset(&s->th);
    s->th.shown_phase = TR_IDLE;
    s->th.form = false;
    if (trainer_start(&s->tr, &s->tcfg, s->wake[1], &err))
        view_status(&s->view, 2, "%s", err.msg);
    else if (s->tcfg.ranks > 1)
        view_status(&s->view, 0, "starting mpirun -np %d reel train on %s ...", s->tcfg.ranks,
                    s->tcfg.corpus);
    else
        view_status(&s->view, 0, "loading %s ...", s->tcfg.corpus);
}

/* p: pause or resume. */
static void pause_run(Studio *s, bool active)
{
    if (!active) {
        view_status(&s->view, 0, "no training is running (s starts)");
        return;
    }
    if (!trainer_pause(&s->tr, !s->tr.paused)) {
        view_status(&s->view, 0, "an MPI job cannot pause: x stops it with a checkpoint, s goes "
                                 "on from there");
        s->th.epoch_said = now_sec(); /* the epoch lines wait a moment */
        return;
    }
    view_status(&s->view, 0, s->tr.paused ? "paused (p resumes; l still plays the weights)"
                                          : "resumed");
}

/* x: stop with a checkpoint. */
static void stop_run(Studio *s, bool active)
{
    if (!active) {
        view_status(&s->view, 0, "no training is running");
        return;
    }
    trainer_stop(&s->tr);
    view_status(&s->view, 0, "stopping after this batch; a checkpoint is written (s resumes)");
}

/* The form's arrows: choose a field, change it (after a run they bring the form back). */
static void form_key(Studio *s, Action a, bool active)
{
    if (!active && s->th.form) {
        if (a == ACT_T_UP && s->th.field > 0)
            s->th.field--;
        else if (a == ACT_T_DOWN && s->th.field < F_COUNT - 1)
            s->th.field++;
        else if (a == ACT_T_DEC || a == ACT_T_INC)
            train_field_step(&s->th, &s->tcfg, s->th.field, a == ACT_T_INC ? 1 : -1);
    }
    s->th.form = !active;
}

void train_view_action(Studio *s, Action a)
{
    TrainerPhase ph = trainer_phase(&s->tr);
    bool active = trainer_active(&s->tr);
    switch (a) {
    case ACT_T_UP:
    case ACT_T_DOWN:
    case ACT_T_DEC:
    case ACT_T_INC:
        form_key(s, a, active);
        break;
    case ACT_T_EDIT:
        edit_field(s, active);
        break;
    case ACT_T_START:
        start_run(s, active, ph);
        break;
    case ACT_T_PAUSE:
        pause_run(s, active);
        break;
    case ACT_T_STOP:
        stop_run(s, active);
        break;
    case ACT_T_LISTEN:
        trainer_request_weights(&s->tr);
        s->th.want_sample = true;
        s->th.requested_at = now_sec();
        view_status(&s->view, 0, "taking the weights at the next batch ...");
        serve_requests(s);
        break;
    case ACT_T_USE:
        trainer_request_weights(&s->tr);
        s->th.want_use = true;
        serve_requests(s);
        break;
    case ACT_VIEW_STUDIO:
        if (s->tp.sample_playing) {
            studio_stop(s);
            s->tp.sample_playing = false;
        }
        s->view.page = VIEW_STUDIO;
        clear();
        break;
    default:
        break;
    }
}
