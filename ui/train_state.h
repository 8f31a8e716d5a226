/* train_state.h — the training view's state: the settings form (which
 * field is chosen, the TrainerConfig it edits, the model file derived from
 * the corpus) and the memory of a run (smoothed loss and accuracy per
 * batch, validation per epoch, the last event, the last sample).
 *
 * The state and its rules only: no curses here (train_draw.c draws it,
 * train_view.c acts on keys).  Belongs to the UI thread; the training
 * thread is reached through trainer.h.
 */
#ifndef REEL_UI_TRAIN_STATE_H
#define REEL_UI_TRAIN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings.h"
#include "trainer.h"
#include "view.h"

/* The form's fields, top to bottom. */
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

/* The training thread's figures as they were before a frame (taken under
 * its mutex, so drawing needs no lock). */
typedef struct {
    TrainerPhase phase;
    bool active, paused, waiting;
    long files_done, files_total, tunes_train, tunes_val, skipped;
    int64_t positions;
    size_t params;
    int resumed, ranks;           /* resumed: the epoch resumed from (-1: a new model) */
    double paused_total;          /* seconds paused so far */
    char msg[512];                /* why it failed */
} TrainSnap;

typedef struct {
    float *loss, *acc;            /* per batch, smoothed (n) */
    float *x_val, *vloss, *vacc;  /* per epoch: global batch, values (nv) */
    int n, cap, nv, capv;
    float ema_loss, ema_acc;
    TrainEvent last;
    bool have_last;
    int64_t batches_per_epoch;
    int field;                    /* setting chosen in the form */
    char sample_what[256];        /* what the last sample came from */
    char sample_text[1024];       /* its notes */
    bool want_sample;             /* waiting for weights to play them */
    bool want_use;                /* waiting for weights to use them in the studio */
    double requested_at;
    Note *sample;                 /* owned: the last sample's notes (seed and continuation) */
    int32_t n_sample;
    bool out_custom;              /* the model file was typed (not derived from the corpus) */
    TrainerPhase shown_phase;     /* the phase last reported on the status line */
    double epoch_said;            /* when an epoch was last reported */
    bool shown_waiting;           /* the training thread was shown paused */
    bool form;                    /* the settings form is shown (after a run: arrows bring it) */
    char corpus_default[4096];    /* the corpus the form started with (not saved unless changed) */
    TrainSnap snap;               /* taken before the training view is drawn */
} TrainHist;

/* The form from the settings (corpus_dir: --corpus or the last one, "" none). */
void train_state_init(TrainHist *h, TrainerConfig *c, const Settings *st, const char *corpus_dir);
void train_state_save(const TrainHist *h, const TrainerConfig *c, Settings *st);
void train_state_free(TrainHist *h);

const char *train_field_name(int f);
/* A field's value as the form shows it. */
void train_field_value(const TrainerConfig *c, int f, char *buf, size_t n);
/* Left/Right on a field. */
void train_field_step(TrainHist *h, TrainerConfig *c, int f, int dir);
/* A value typed for the chosen field (a bad one is said on the status line). */
void train_field_text(TrainHist *h, TrainerConfig *c, const char *text, View *v);

/* A new run: forget the last one's figures. */
void train_hist_reset(TrainHist *h);
/* One event of the training thread into the memory (an epoch is said on the status line). */
void train_hist_event(TrainHist *h, const TrainEvent *ev, View *v);

/* The training thread's figures now. */
void train_snap_take(TrainSnap *sn, Trainer *t);

#endif
