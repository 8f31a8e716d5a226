/* studio.h — the studio's state, composed of its parts, and the shared
 * actions on it that the files above use.
 *
 * The parts (each its own header, no curses): the view (view.h: page,
 * scroll, zoom, help, prompt, status line, size, dirty parts), the take
 * (take.h: generator, options, seed, metrics and next-note distribution),
 * the transport (transport.h: play, loop, playhead, continuous, record
 * mode) and the training view's state (train_state.h).  The melody is the
 * song (song.h), the sound the Sound (sound.h).
 *
 * Layers within ui/, each file calling only downward (no file calls one
 * above it or beside it in a circle):
 *   studio.c      the command, the event loop, which keys go where, prompts,
 *                 settings
 *   actions.c commands.c
 *                 what each key of the studio view does; the ':' commands
 *   draw.c        the studio view (calls train_draw.c for the training view)
 *   disk.c takes.c train_view.c watch.c train_draw.c paint.c look.c
 *                 saving and opening; making takes; the training view's
 *                 keys and events; the model file's watch; the training
 *                 view's screen; curses helpers; what drawing shows,
 *                 computed before a frame
 *   playback.c models.c
 *                 play, stop and record with the player; the model in use
 *   view.c take.c transport.c train_state.c
 *                 the state's parts (no curses)
 *   song sound genctl trainer keys prompt record settings chart corpusix gm
 *   terminal      the modules the parts stand on
 * Drawing (draw.c, train_draw.c) reads the state only (const Studio *).
 *
 * Threads.  Everything here belongs to the UI thread.  Other threads: the
 * audio engine's callback (or its silent clock) and the player's thread
 * (audio.h, player.h: reached only through their APIs), the soundfont
 * loader (audio_load_*), the training thread (trainer.h: reached through
 * its mutex-protected ring), and a WAV export thread (disk.c: owns its
 * own copy of the melody).  They wake the event loop through `wake`, a
 * pipe the loop polls together with the terminal.
 */
#ifndef REEL_UI_STUDIO_H
#define REEL_UI_STUDIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "corpusix.h"
#include "gm.h"
#include "keys.h"
#include "model.h"
#include "settings.h"
#include "song.h"
#include "sound.h"
#include "take.h"
#include "terminal.h"
#include "train_state.h"
#include "trainer.h"
#include "transport.h"
#include "view.h"

#define STUDIO_MAX_BARS 999        /* longest melody continuous mode makes */

/* A WAV export running in its own thread (disk.c). */
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

    /* ---- the model ---- */
    Model model;
    bool have_model;
    char model_name[128];         /* file name without .reel */
    char model_desc[160];         /* "melody 2x128" */
    CorpusIndex cix;              /* the model's corpus, for originality */

    /* ---- the parts ---- */
    Take take;
    Transport tp;
    View view;

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
    WavJob wav;

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

/* ---- playback.c: the transport and the player ---------------------------- */
/* Seconds a step lasts at the song's tempo. */
double studio_step_sec(const Studio *s);
/* The sampling options into the generator. */
void studio_apply_so(Studio *s);
/* The player's metre and parts for the song (after the sound opened, or the metre changed). */
void studio_player_meter(Studio *s);
/* Hand the player the song (or the sample), if it changed. */
void studio_sync_player(Studio *s);
/* Play the song from a step. */
void studio_play(Studio *s, double from);
/* Stop playing (and recording). */
void studio_stop(Studio *s);
/* Record mode: count in a bar, then record from the cursor. */
void studio_record_start(Studio *s);
/* The step being heard (or, during the count-in, before the start). */
double studio_record_step(Studio *s);
/* End record mode: the notes played go into the song. */
void studio_record_finish(Studio *s);
/* The player's position into the playhead (the roll follows it); the end of a play. */
void studio_poll_player(Studio *s);

/* ---- models.c ---------------------------------------------------------- */
/* Load a model file as the studio's model. */
bool studio_open_model(Studio *s, const char *path);
/* Use a model (taken over: *m is zeroed) as the studio's model. */
bool studio_use_model(Studio *s, Model *m, const char *path, const char *what);
/* The model reads a 13-row roll (C to C). */
bool studio_model_roll13(const Studio *s);

#endif
