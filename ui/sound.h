/* sound.h — the studio's sound: the audio engine and its player, the
 * soundfont loading in the background, and the notes that sound while a
 * musician types (the preview).
 *
 * The engine opens at once (without a device it runs its silent clock and
 * the studio says "no audio output"; no soundfont is loaded then).  The
 * soundfont loads in a background thread; snd_poll says when it has
 * arrived.  The player has one part, the melody (channel 0); typed notes
 * sound on PREVIEW_CHANNEL through the engine's live port, and their
 * note-offs are due at wall-clock times the event loop waits for
 * (snd_next_due), as Orca's TUI waits for its next tick.
 *
 * The UI thread is the only producer on the live port.  No curses here.
 */
#ifndef REEL_UI_SOUND_H
#define REEL_UI_SOUND_H

#include <stdbool.h>
#include <stdint.h>

#include "audio.h"
#include "err.h"
#include "player.h"

#define PREVIEW_CHANNEL 15
#define SND_PREVIEW_MAX 16

typedef struct {
    AudioEngine *e;        /* owned */
    Player *p;             /* owned */
    AudioLoad *load;       /* owned while the soundfont loads */
    AudioSynth *synth;     /* borrowed from the engine once handed over (preset names) */
    bool has_output;
    bool loading;
    char device[160];      /* "ALSA: default", or why there is none */
    char soundfont[4096];  /* the soundfont's path ("" when none) */
    char sf_name[64];      /* its file name without .sf2, for the header */
    char error[512];       /* a soundfont that failed to load */
    int program;           /* GM program of the melody, 0..127 */
    float gain;
    struct {
        int pitch;         /* -1: free */
        double off_at;     /* wall-clock second of the note-off */
    } pv[SND_PREVIEW_MAX];
    uint64_t log_cursor;   /* next library message to show */
    uint64_t log_opened;   /* messages before this one came from probing devices */
} Sound;

/* Open the output and start loading the soundfont found from sf_opt
 * (--soundfont / settings, may be NULL) and the usual places (soundfont.h),
 * data_dir/soundfonts first.  Never fails for a missing device or
 * soundfont (the Sound says why: snd_state_text); errors are for memory
 * and threads only. */
ReelStatus snd_open(Sound *s, const char *sf_opt, const char *data_dir, int program, float gain,
                    ReelError *err);
void snd_close(Sound *s);

/* Check the background load; true when something changed (the synth
 * arrived or failed: s->error says why). */
bool snd_poll(Sound *s);
/* Load another soundfont (replaces the current one when it arrives). */
ReelStatus snd_set_soundfont(Sound *s, const char *path, ReelError *err);

void snd_set_program(Sound *s, int program);

/* One line for the header: "TimGM6mb · ALSA: default", "loading FluidR3_GM",
 * "no audio output". */
const char *snd_state_text(const Sound *s, char *buf, size_t size);

/* A typed note: sounds now for dur seconds (now: wall-clock seconds).
 * Notes before it that still sound are released (a melody is one line). */
void snd_preview(Sound *s, int pitch, double dur, double now);
void snd_preview_stop(Sound *s);
/* A click now (the count-in): the metronome's wood blocks. */
void snd_click(Sound *s, bool downbeat);
/* Send the note-offs that are due at `now`; the earliest still pending, or
 * a negative number when none is. */
double snd_tick(Sound *s, double now);

/* The device that goes away (audio.h): the engine writes a byte to
 * wake_fd when its stream ends by itself (so a sleeping loop wakes). */
void snd_watch(Sound *s, int wake_fd);
/* Look at the output (playing: frames are expected to come); true when it
 * was just lost: has_output is false from now on, msg says what happened.
 * Playing goes on, silently, on the engine's clock. */
bool snd_check(Sound *s, bool playing, char *msg, size_t size);
/* Try the device again (:audio); REEL_OK when there is sound again (the
 * soundfont is loaded then if it never was). */
ReelStatus snd_reopen(Sound *s, ReelError *err);
/* Silence before closing: every note released, up to max_sec for the
 * releases to end, then every voice cut and the device's buffer played
 * out (up to a second more, for a device that is slow to take it).
 * Returns the voices still sounding before the cut (0: all ended by
 * themselves). */
int snd_silence(Sound *s, double max_sec);

/* The next library message for the status line (errors and warnings;
 * probing messages from opening the device are counted, not shown): true
 * with the text, or false. */
bool snd_next_message(Sound *s, char *buf, size_t size, bool *is_error);

#endif
