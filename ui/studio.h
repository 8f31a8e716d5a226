/* studio.h — the studio: state shared by the files of ui/ that draw and
 * act (studio.c: commands and the event loop; draw.c: the studio view;
 * train_view.c: the training view; files.c: saving and opening; term.c:
 * the terminal).
 *
 * Threads.  Everything here belongs to the UI thread.  Other threads: the
 * audio engine's callback (or its silent clock) and the player's thread
 * (audio.h, player.h: reached only through their APIs), the soundfont
 * loader (audio_load_*), the training thread (trainer.h: reached through
 * its mutex-protected ring), and a WAV export thread (files.c: owns its
 * own copy of the melody).  They wake the event loop through `wake`, a
 * pipe the loop polls together with the terminal.
 */
#ifndef REEL_UI_STUDIO_H
#define REEL_UI_STUDIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "chart.h"
#include "clock.h"
#include "corpusix.h"
#include "genctl.h"
#include "keys.h"
#include "metrics.h"
#include "model.h"
#include "prompt.h"
#include "record.h"
#include "settings.h"
#include "song.h"
#include "sound.h"
#include "trainer.h"

#define STUDIO_MIN_W 80
#define STUDIO_MIN_H 24
#define STUDIO_MAX_BARS 999        /* longest melody continuous mode makes */

typedef enum { VIEW_STUDIO = 0, VIEW_TRAIN } StudioView;

/* What a prompt's text is for. */
typedef enum {
    PR_NONE = 0,
    PR_SAVE,
    PR_OPEN,
    PR_PROGRAM,
    PR_COMMAND,
    PR_QUIT,        /* y/n */
    PR_TRAIN_FIELD,
    PR_COUNT
} PromptPurpose;

/* Parts of the screen to draw again. */
enum {
    DIRTY_HEADER = 1u << 0,
    DIRTY_ROLL = 1u << 1,
    DIRTY_PANEL = 1u << 2,
    DIRTY_STATUS = 1u << 3,
    DIRTY_FOOTER = 1u << 4,
    DIRTY_TRAIN = 1u << 5,
    DIRTY_ALL = 0xffu,
};

/* Colour pairs (0 when the terminal has no colours). */
enum {
    C_HEADER = 1,
    C_SEED,
    C_GEN,
    C_GRID,
    C_CURSOR,
    C_PLAYHEAD,
    C_ERROR,
    C_OK,
    C_SERIES1,
    C_SERIES2,
    C_PIANO,
    C_RECORD,
    C_DIM,
    C_BAR,
    C_COUNT
};

/* The training view's memory of a run. */
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
} TrainHist;

/* A WAV export running in its own thread (files.c). */
typedef struct {
    pthread_t th;
    bool running;
    atomic_int done;
    char path[4096];
    char soundfont[4096];
    Tune tune;                    /* owned by the thread while it runs */
    int program;
    double bpm;
    char msg[600];                /* result */
    bool ok;
    int wake_fd;
} WavJob;

typedef struct {
    uint64_t keys;
    double key_ms_sum, key_ms_max;
    double key_ms[4096];          /* the last ones, for percentiles */
    uint64_t frames, wakeups;
    uint64_t play_origin;         /* engine frame where the last play started */
    double play_from;             /* its first step */
    double play_bpm;
    int play_rate;
} StudioStats;

typedef struct Studio {
    /* ---- options and settings ---- */
    char model_path[4096];
    char sf_opt[4096];
    char corpus_dir[4096];
    char settings_file[4200];
    char stats_file[4096];        /* $REEL_STUDIO_STATS: figures written at exit */
    Settings settings;
    bool utf8;                    /* block and braille glyphs */
    bool colors;

    /* ---- the model and generation ---- */
    Model model;
    bool have_model;
    char model_name[128];         /* file name without .reel */
    char model_desc[160];         /* "melody 2x128" */
    GenCtl gc;
    bool gc_ok;
    SampleOpts so;
    uint64_t seed;                /* random seed of the next (or current) take */
    bool seed_locked;             /* :seed N: every take uses it */
    bool take_edited;             /* n re-drew part of the take with a new stream */
    int bars;                     /* bars g generates */
    bool continuous;
    unsigned take_version;        /* song version the take wrote last */
    bool generating;              /* rows are being made for the take */

    CorpusIndex cix;              /* the model's corpus, for originality */
    MelodyMetrics mm;             /* of the melody (metrics.h) */
    unsigned mm_version;          /* song version mm belongs to */
    bool mm_ok, mm_with_ix;

    /* ---- the melody ---- */
    Song song;
    int octave;                   /* piano: z is C of this octave (C4 = 60) */
    int length;                   /* note value in steps */
    int quantize;                 /* record grid in steps */
    int seed_bars;                /* opening a file: its first N bars become the seed */
    char last_save[4096];

    /* ---- sound ---- */
    Sound snd;
    bool snd_ok;
    bool playing;
    bool loop, metronome;
    bool sample_playing;          /* the player holds a training sample, not the song */
    unsigned player_version;      /* song version the player holds */
    int player_num, player_den;   /* metre the player holds */
    double playhead;              /* step heard now, while playing */
    bool play_pending;            /* play the take from play_pending_from once it is made */
    double play_pending_from;
    double play_from;
    bool recording, counting_in;
    int count_beats, count_done;
    double count_t0, count_beat;  /* wall clock of the first click; seconds a beat */
    Recorder rec;
    bool rec_metro_was;           /* metronome before recording */
    WavJob wav;

    /* ---- the screen ---- */
    StudioView view;
    bool piano;
    int zoom;                     /* 0: 1 column a step, 1: 2 columns, 2: 2 steps a column */
    int32_t view_start;           /* first step on the roll */
    int pitch_top;                /* highest pitch row (full-range rolls) */
    bool pitch_manual;            /* PgUp/PgDn chose it */
    bool help;
    int help_scroll;
    bool prompting;
    Prompt prompt;
    PromptHistory hist[PR_COUNT];
    char status[600];
    int status_kind;              /* 0 info, 1 good, 2 error */
    double status_until;          /* wall clock; 0: stays */
    unsigned dirty;
    int w, h;
    bool too_small;

    /* ---- training ---- */
    Trainer tr;
    TrainerConfig tcfg;
    TrainHist th;

    /* ---- the loop ---- */
    int wake[2];                  /* pipe: other threads write a byte */
    bool quit;
    bool quit_now;                /* a signal: no questions */
    StudioStats stats;
} Studio;

/* ---- studio.c ---------------------------------------------------------- */
int cmd_studio(int argc, char **argv);
void studio_status(Studio *s, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Seconds a step lasts at the song's tempo. */
double studio_step_sec(const Studio *s);
/* Load a model file as the studio's model. */
bool studio_open_model(Studio *s, const char *path);
/* Use a model (taken over: *m is zeroed) as the studio's model. */
bool studio_use_model(Studio *s, Model *m, const char *path, const char *what);
/* Stop playing (and recording). */
void studio_stop(Studio *s);
/* Play the song from a step. */
void studio_play(Studio *s, double from);
/* Hand the player the song (or the sample), if it changed. */
void studio_sync_player(Studio *s);
/* The header line and the sampling options as text (also the training view's). */
const char *studio_program_name(int program, char *buf, size_t size);
int studio_program_parse(const char *s);
void studio_apply_so(Studio *s);
/* The take in the generator is the song's generated part. */
bool studio_take_live(const Studio *s);

/* ---- draw.c ------------------------------------------------------------ */
void draw_init_colors(Studio *s);
void draw_screen(Studio *s);
/* Rows of the roll for the current size and model. */
int draw_roll_rows(const Studio *s);
/* Steps on the roll across its width. */
int32_t draw_roll_steps(const Studio *s);
/* Keep the cursor (or playhead) on the roll. */
void draw_follow(Studio *s, double step);

/* ---- train_view.c ------------------------------------------------------ */
void tv_init(Studio *s);
void tv_free(Studio *s);
void tv_draw(Studio *s);
void tv_action(Studio *s, Action a);
/* Take the training thread's events; true when something changed. */
bool tv_poll(Studio *s);
/* A setting edited in the prompt. */
void tv_field_text(Studio *s, const char *text);
void tv_save_settings(Studio *s);

/* ---- files.c ----------------------------------------------------------- */
void files_save(Studio *s, const char *path);
void files_open(Studio *s, const char *path);
/* A WAV export finished: report it. */
void files_poll(Studio *s);
void files_wait(Studio *s);
/* The provenance text of exports. */
void files_provenance(const Studio *s, char *buf, size_t size);

/* ---- term.c ------------------------------------------------------------ */
/* Start curses on the terminal: false (with a message in err) when it
 * cannot.  Installs the signal handlers: SIGINT, SIGTERM, SIGHUP set the
 * quit flag (term_signalled) and wake the loop; crash signals restore the
 * terminal and die as they would have. */
bool term_open(int wake_fd, char *err, size_t size);
void term_close(void);
/* The signal that asked to quit (0: none). */
int term_signalled(void);
/* The engine a crash silences (audio_engine_crash_silence) before dying; NULL: none. */
void term_set_crash_audio(AudioEngine *e);

#endif
