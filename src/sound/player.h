/* player.h — plays notes through the audio engine, frame-accurately, and
 * renders them to WAV.
 *
 * A Player holds a song (tempo map, time signatures: from a Tune) and up to
 * PLAYER_MAX_PARTS parts, each a note list with its own MIDI channel, GM
 * program and velocity.  It plays them from a step, once or looping a
 * region, with an optional metronome click, and reports the playhead in
 * steps.  Notes can be added while it plays (the studio streams generated
 * bars ahead of the playhead).
 *
 * How time works.  Step times come from the tempo map (each tempo change
 * honoured; --bpm scales the whole map); an event at step s is scheduled at
 * frame round(seconds(s) * rate) after the start.  A player thread turns
 * notes into events a little ahead of the engine's frame clock (0.3 s, or
 * more when the output runs faster than real time) and sends them on the
 * engine's sequence port; the audio callback applies each at its frame (see
 * audio.h).  Changing the tempo, the loop, the metronome or the notes while
 * playing reschedules from a few milliseconds ahead: events already sent
 * for later frames are dropped (AUDIO_EV_CLEAR) and made again, notes that
 * are sounding go on sounding.
 *
 * The player never touches FluidSynth or PortAudio itself.  All functions
 * may be called from any thread (one lock inside; never held by the audio
 * callback).
 */
#ifndef REEL_PLAYER_H
#define REEL_PLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio.h"
#include "err.h"
#include "tune.h"

#define PLAYER_MAX_PARTS 15          /* MIDI channels less the percussion channel */
#define PLAYER_DRUM_CHANNEL 9        /* the metronome clicks here (GM percussion) */
#define PLAYER_VIOLIN 40             /* GM program 41, 0-based: reel's default instrument */
#define PLAYER_PIANO 0               /* GM program 1 */
#define PLAYER_CLICK_HIGH 76         /* GM Hi Wood Block: the first beat of a bar */
#define PLAYER_CLICK_LOW 77          /* GM Low Wood Block: the other beats */

typedef struct Player Player;

typedef struct {
    bool playing;        /* started, and neither stopped nor finished */
    bool finished;       /* played to the end (not looping) */
    double step;         /* the step being heard now (fractional; latency included) */
    long pass;           /* loop pass being heard, 0 for the first */
    double seconds;      /* time heard since play */
    bool started;        /* the engine has begun this play (origin is known) */
    uint64_t origin;     /* the engine frame this play started at, when started */
} PlayerStatus;

/* A player for engine e (borrowed; it must outlive the player), or for
 * offline rendering only when e is NULL (then play/stop are not allowed).
 * Starts the player thread when e is given. */
ReelStatus player_new(Player **out, AudioEngine *e, ReelError *err);
/* Stop (notes off), end the thread, free.  Accepts NULL. */
void player_free(Player *p);

/* ---- what to play ------------------------------------------------------ */

/* Take the tempo map, time signatures and length of t (not its notes).
 * Clears every part. */
ReelStatus player_set_song(Player *p, const Tune *t, ReelError *err);
/* A new part on the next free channel (0..8, 10..15), playing GM program
 * 0..127; its index in *part. */
ReelStatus player_add_part(Player *p, int program, int *part, ReelError *err);
/* Replace a part's notes (copied). */
ReelStatus player_set_notes(Player *p, int part, const Note *notes, int32_t n, ReelError *err);
/* Add notes to a part (copied), while playing too: notes ahead of what has
 * been scheduled simply play; earlier ones make the player reschedule. */
ReelStatus player_append(Player *p, int part, const Note *notes, int32_t n, ReelError *err);
/* set_song(t) and one part with t's notes.  program -1 takes t->program,
 * and violin when t has none. */
ReelStatus player_load_tune(Player *p, const Tune *t, int program, ReelError *err);

void player_set_program(Player *p, int part, int program);
/* 0: the notes' own velocities; 1..127: every note of the part at this one. */
void player_set_velocity(Player *p, int part, int velocity);
/* 0: the song's tempo map; else the map scaled so that it starts at bpm. */
void player_set_bpm(Player *p, double bpm);
/* Loop [from, to) (steps; to <= from: the whole song, to the bar line
 * after its last note), or play once. */
void player_set_loop(Player *p, bool on, int32_t from, int32_t to);
void player_set_metronome(Player *p, bool on);
/* FluidSynth master gain, 0..10. */
void player_set_gain(Player *p, float gain);

int player_program(const Player *p, int part);
int player_channel(const Player *p, int part);
/* Last note-off of any part (the song's length when there are no notes). */
int32_t player_end_step(Player *p);
/* Tempo at a step, in quarter notes per minute (after --bpm). */
double player_bpm_at(Player *p, double step);
/* Seconds from step a to step b at the current tempo. */
double player_seconds(Player *p, double a, double b);
/* Bar (from 1) and beat in the bar (from 1; the metronome's beats) of a
 * step, from the song's time signatures. */
void player_bar_beat(Player *p, double step, long *bar, int *beat);
/* The step where bar (from 1) starts. */
int32_t player_bar_step(Player *p, long bar);

/* ---- playing ----------------------------------------------------------- */

/* Start from a step (fractional allowed); plays at once if already playing. */
ReelStatus player_play(Player *p, double from_step, ReelError *err);
/* Stop: scheduled events are dropped and every note is released. */
void player_stop(Player *p);
PlayerStatus player_status(Player *p);

/* ---- offline ----------------------------------------------------------- */

/* The whole schedule from a step, once (no loop), frames from 0 at rate,
 * sorted as audio_render_wav wants, programs first.  *out is the caller's
 * to free. */
ReelStatus player_events(Player *p, int rate, double from_step, AudioEvent **out, size_t *n,
                         ReelError *err);
/* Render the schedule from a step to a WAV file with synth s (see
 * audio_render_wav; the gain set here applies). */
ReelStatus player_render(Player *p, AudioSynth *s, double from_step, const AudioRenderOpts *o,
                         AudioRenderInfo *info, ReelError *err);

#endif
