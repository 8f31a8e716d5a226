/* audio.h — sound: a FluidSynth synth driven from a PortAudio callback, and
 * offline rendering to WAV.  audio.c is the one file of reel that includes
 * the FluidSynth, PortAudio, ALSA and glib-logging headers; nothing else
 * needs them (the player talks to this API only).
 *
 * Three objects:
 *   AudioSynth   a FluidSynth synth with one soundfont loaded, no FluidSynth
 *                audio driver.  Made synchronously (audio_synth_new) or in a
 *                background thread (audio_load_*), since the 148 MB GM
 *                soundfont takes 120-300 ms to load.
 *   AudioEngine  the output: a PortAudio stream whose callback renders the
 *                synth with fluid_synth_write_float and applies the events
 *                that fall inside each buffer at their frame.  Without an
 *                audio device the engine runs a silent clock instead (same
 *                timing, no sound), so a front end keeps working.
 *   AudioEvent   a MIDI-like event.  Events reach the callback through two
 *                lock-free single-producer single-consumer rings ("ports");
 *                the callback takes no lock, allocates nothing, does no I/O.
 *
 * Time.  The engine counts the frames it has rendered since it opened
 * (audio_engine_frames): that count, not the wall clock, is the sequencer's
 * clock, so an output that runs faster than real time (ALSA's file plugin
 * on a null device) still gets every event at its exact frame.  Events on
 * the sequence port carry a frame relative to an origin that the callback
 * fixes when it applies AUDIO_EV_START; the live port's events apply at the
 * start of the next buffer.
 *
 * Frame accuracy.  FluidSynth starts and stops voices only at the edges of
 * its internal 64-frame blocks.  The callback splits fluid_synth_write_float
 * at the block edge nearest each event's frame and applies the event there,
 * so a note lands within 32 frames (0.67 ms at 48 kHz) of its exact frame,
 * whatever the buffer size, and the result is the same on every run.  The
 * offline renderer uses the same rule, so a WAV and a live capture agree.
 *
 * Library messages.  FluidSynth, glib, ALSA and JACK print to stderr by
 * default (PortAudio's start alone makes ~65 lines on a machine with no
 * sound card).  audio_log_capture installs handlers that put every message
 * into an in-memory log instead; the engine and synth functions call it
 * themselves before touching a library.  A front end reads the log with
 * audio_log_next (the studio shows it on its status line).
 *
 * Threads.  An AudioSynth belongs to one thread at a time: its creator until
 * it is handed to an engine (audio_engine_set_synth), then the audio
 * callback.  Each port has one producer thread at a time (the caller keeps
 * it so, with its own lock if several threads take turns).  The other
 * engine functions may be called from any thread.
 */
#ifndef REEL_AUDIO_H
#define REEL_AUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* ---- library messages ------------------------------------------------- */

typedef enum {
    AUDIO_LOG_ERROR = 0,
    AUDIO_LOG_WARNING,
    AUDIO_LOG_INFO,
    AUDIO_LOG_DEBUG,
} AudioLogLevel;

/* Route FluidSynth (all levels), glib's default handler (domains without a
 * handler of their own: midi.c keeps "libsmf"), ALSA and JACK into the log.
 * Idempotent and thread-safe.  JACK is reached through the libjack that
 * PortAudio already loaded (dlsym), so reel needs no JACK headers. */
void audio_log_capture(void);

/* Cursor just past the newest message: read from here to see only what
 * comes next. */
uint64_t audio_log_end(void);

/* Copy the next message at or after *cursor into buf ("fluidsynth: ...",
 * "ALSA: ...", "JACK: ...", "glib GLib: ..."), set *level if level is not
 * NULL, advance *cursor, return true; false when there is none.  The log
 * keeps the newest 256 messages; older ones are skipped.  Lock-free: safe
 * from any thread, including the audio callback. */
bool audio_log_next(uint64_t *cursor, char *buf, size_t size, AudioLogLevel *level);

/* ---- the synth -------------------------------------------------------- */

typedef struct AudioSynth AudioSynth;

typedef struct {
    const char *soundfont;   /* path of the .sf2 (required; see soundfont.h) */
    int rate;                /* sample rate; 0: 48000 */
    float gain;              /* FluidSynth master gain 0..10; 0: AUDIO_DEFAULT_GAIN */
    int polyphony;           /* voices; 0: 256 */
    bool no_reverb, no_chorus;
} AudioSynthOpts;

#define AUDIO_DEFAULT_GAIN 0.5f

/* Make a synth and load the soundfont (blocks while loading).  The message
 * of a failure names the file and says what FluidSynth said. */
ReelStatus audio_synth_new(AudioSynth **out, const AudioSynthOpts *o, ReelError *err);
/* Free a synth that no engine owns.  Accepts NULL. */
void audio_synth_free(AudioSynth *s);
int audio_synth_rate(const AudioSynth *s);
/* The soundfont's path (owned by s). */
const char *audio_synth_soundfont(const AudioSynth *s);
#define AUDIO_PRESET_NAME 24 /* SoundFont preset names have 20 characters at most */
/* Name of the soundfont's preset for (bank, program), e.g. "Violin", into
 * buf; false (and buf "") when the soundfont has none.  Bank 0 is melodic,
 * 128 percussion.  The names are read when the synth is made, so this is
 * safe while an engine plays s (FluidSynth itself may then be called from
 * the audio thread only: even a lookup enters its API, whose bookkeeping
 * is not atomic, and a race there left voices that never ended). */
bool audio_synth_preset_name(const AudioSynth *s, int bank, int program, char *buf, size_t size);

/* Loading in the background: audio_load_start copies the options and
 * returns at once; audio_load_done tells, without blocking, whether the
 * load has finished; audio_load_finish waits for it if needed, hands over
 * the synth (or the error) and frees the AudioLoad. */
typedef struct AudioLoad AudioLoad;
ReelStatus audio_load_start(AudioLoad **out, const AudioSynthOpts *o, ReelError *err);
bool audio_load_done(const AudioLoad *l);
ReelStatus audio_load_finish(AudioLoad *l, AudioSynth **out, ReelError *err);

/* ---- events ----------------------------------------------------------- */

typedef enum {
    AUDIO_EV_NOTE_ON = 1,  /* chan, d1 = key, d2 = velocity 1..127 */
    AUDIO_EV_NOTE_OFF,     /* chan, d1 = key */
    AUDIO_EV_PROGRAM,      /* chan, v.i = GM program 0..127 (kept across synth changes) */
    AUDIO_EV_CC,           /* chan, d1 = controller, d2 = value */
    AUDIO_EV_PITCH_BEND,   /* chan, v.i = 0..16383, 8192 = centre */
    AUDIO_EV_NOTES_OFF,    /* release every note of chan, or of all with AUDIO_ALL_CHANNELS */
    AUDIO_EV_SOUND_OFF,    /* silence every voice at once, no release */
    AUDIO_EV_GAIN,         /* v.f = master gain 0..10 (kept across synth changes) */
    /* Sequence port only, applied when drained (frame ignored): */
    AUDIO_EV_START,        /* new origin: the next 64-frame block edge; v.i = session id */
    AUDIO_EV_CLEAR,        /* drop the scheduled events whose frame >= this one's frame
                              (relative to the origin); AUDIO_EVF_ALL drops all */
} AudioEvType;

#define AUDIO_ALL_CHANNELS 0xff
#define AUDIO_EVF_NOW 1u   /* sequence port: apply when drained, ignoring frame */
#define AUDIO_EVF_ALL 2u   /* AUDIO_EV_CLEAR: every scheduled event */

typedef struct {
    uint64_t frame;        /* sequence port: frames after the origin; offline: from 0 */
    uint8_t type;          /* AudioEvType */
    uint8_t flags;         /* AUDIO_EVF_* */
    uint8_t chan;          /* 0..15 (9 is GM percussion), or AUDIO_ALL_CHANNELS */
    uint8_t d1, d2;
    union {
        int32_t i;
        float f;
    } v;
} AudioEvent;

/* Order of events at the same frame: releases first, then controls and
 * program changes, then note-ons (a repeated note is re-struck, not cut). */
int audio_event_rank(const AudioEvent *ev);

/* ---- the engine ------------------------------------------------------- */

typedef struct AudioEngine AudioEngine;

typedef enum { AUDIO_PORT_SEQ = 0, AUDIO_PORT_LIVE = 1, AUDIO_PORTS } AudioPort;

/* Events a port's ring holds, and scheduled events the callback keeps: a
 * producer that keeps fewer than this in flight (sent minus
 * audio_engine_done) never finds a ring full nor delays an event. */
#define AUDIO_QUEUE_EVENTS 16384

typedef struct {
    int rate;                /* 0: 48000 (the device's own rate if it refuses 48000) */
    int buffer_frames;       /* frames per callback; 0: 256 */
    double latency;          /* seconds of output buffering asked for; 0: 0.02 */
    const char *device;      /* NULL: the default output; else part of a device name */
    bool no_output;          /* run the silent clock without trying a device */
    bool manual;             /* no device, no clock: the caller pulls every buffer with
                                audio_engine_pull (tests; the callback's own code path) */
    bool normal_priority;    /* do not ask for real-time scheduling of ALSA's callback
                                thread (asked for by default; granted to root or with
                                an rtprio limit, else PortAudio goes on without) */
} AudioEngineOpts;

/* Open the default (or named) output and start the stream.  A missing or
 * failing device is not an error: the engine then runs its silent clock,
 * audio_engine_has_output says false and audio_engine_device says why.
 * Errors: REEL_ENOMEM, REEL_EARG (bad options). */
ReelStatus audio_engine_open(AudioEngine **out, const AudioEngineOpts *o, ReelError *err);
/* Stop the stream (or clock) and free everything, the engine's synth too. */
void audio_engine_close(AudioEngine *e);

/* ---- a device that goes away ---------------------------------------------
 * A device can vanish while it plays (unplugged, its server killed, an
 * error writing to it).  The owner looks with audio_engine_check now and
 * then (its thread, not the callback's): when the stream has ended by
 * itself, or no frame was rendered for AUDIO_STALL_SEC while expect_frames
 * says frames should come (something plays; looks must come less than
 * half a second apart for that to count), the engine closes the stream
 * and goes on with its silent clock: the frame clock, and with it a
 * player, keeps going, nothing is heard, has_output turns false and
 * audio_engine_device says what was lost.  audio_engine_reopen tries the
 * device again (the same options; the synth's rate) and stays silent, with
 * the reason, when it still fails.  audio_engine_set_notify gives a pipe
 * (or any fd) that gets a byte when the stream ends by itself, so an event
 * loop that sleeps learns it at once; -1: none. */
#define AUDIO_STALL_SEC 2
#define AUDIO_STALL_TEXT "2"
void audio_engine_set_notify(AudioEngine *e, int fd);
/* True when the output was just lost (why: the text of audio_engine_device). */
bool audio_engine_check(AudioEngine *e, bool expect_frames, char *why, size_t size);
/* REEL_OK when the engine plays on a device again (also when it never lost
 * one); REEL_EIO with the reason when the device still fails; REEL_EARG for
 * an engine opened without a device (no_output, manual). */
ReelStatus audio_engine_reopen(AudioEngine *e, ReelError *err);
/* For a crash handler (async-signal-safe: atomics, clock_gettime,
 * nanosleep): from now on the callback writes silence; waits up to 100 ms
 * for the device's buffer to hold only that.  The engine is not usable for
 * sound afterwards. */
void audio_engine_crash_silence(AudioEngine *e);

/* A manual engine only: run the callback for n frames into out (n
 * interleaved stereo frames; NULL takes the events without rendering).
 * Call from one thread at a time. */
void audio_engine_pull(AudioEngine *e, float *out, size_t n);

bool audio_engine_has_output(const AudioEngine *e);
/* "ALSA: default" with a device; without, the reason ("no output device"). */
const char *audio_engine_device(const AudioEngine *e);
int audio_engine_rate(const AudioEngine *e);
/* Frames of output buffering after the callback (what the stream reports). */
uint32_t audio_engine_latency_frames(const AudioEngine *e);

/* Hand a synth to the engine (the engine owns it from now on, and frees the
 * one it replaces).  The callback picks it up at its next buffer and plays
 * it with the programs and gain set so far.  Until the first synth arrives
 * the engine runs on silently: events are taken at their frames, and notes
 * that fall before the synth are not heard.  REEL_EARG when its rate is not
 * the engine's (s is then still the caller's). */
ReelStatus audio_engine_set_synth(AudioEngine *e, AudioSynth *s, ReelError *err);
/* True once the callback plays a synth. */
bool audio_engine_has_synth(const AudioEngine *e);

/* Queue an event on a port; false when the ring is full (nothing queued).
 * One producer thread at a time per port. */
bool audio_engine_send(AudioEngine *e, AudioPort port, const AudioEvent *ev);
/* Between hold and release (nestable), events sent on the port reach the
 * callback together, at the release: a START and the notes after it, or a
 * CLEAR and what replaces it, are never split across two buffers.  The
 * producer's thread only. */
void audio_engine_hold(AudioEngine *e, AudioPort port);
void audio_engine_release(AudioEngine *e, AudioPort port);

/* Frames rendered so far (the callback's clock). */
uint64_t audio_engine_frames(const AudioEngine *e);
/* Events the callback has finished with on a port (applied or dropped):
 * with the count sent, the producer knows how many are in flight. */
uint64_t audio_engine_done(const AudioEngine *e, AudioPort port);
/* The origin set by the newest AUDIO_EV_START (engine frames) and its
 * session id; false before the first START was applied. */
bool audio_engine_origin(const AudioEngine *e, uint64_t *frame, int32_t *session);
/* Voices sounding at the end of the last buffer. */
int audio_engine_voices(const AudioEngine *e);
/* The output took frames far faster than real time over its first 0.2 s
 * (a file or null sink, not a device).  Sticky until the stream is reopened. */
bool audio_engine_unpaced(const AudioEngine *e);

typedef struct {
    uint64_t callbacks;      /* buffers rendered by the device callback */
    uint64_t frames;
    double mean_ms, p99_ms, max_ms;   /* callback duration */
    uint64_t underruns;      /* buffers PortAudio flagged as output underflow */
    uint64_t late_events;    /* events that arrived after their frame (applied at once) */
    int max_voices;
    bool unpaced;            /* the output takes frames far faster than real time (a file or
                                null sink): its thread runs at normal priority */
} AudioStats;

void audio_engine_stats(const AudioEngine *e, AudioStats *st);
/* Start the figures afresh (takes effect at the next buffer). */
void audio_engine_stats_reset(AudioEngine *e);

/* Output devices, one "Host: name (N ch, R Hz)" line each, into buf;
 * returns how many.  Opens and closes PortAudio (quietly). */
int audio_list_devices(char *buf, size_t size);

/* ---- offline rendering ------------------------------------------------- */

typedef struct {
    const char *path;        /* WAV file to write: written to path.XXXXXX and renamed */
    double tail;             /* seconds at most after the last event; 0: 5 */
    bool float32;            /* 32-bit float samples instead of 16-bit */
} AudioRenderOpts;

typedef struct {
    uint64_t frames;         /* frames written */
    double seconds;          /* of audio */
    double tail_seconds;     /* of it after the last event */
    double wall_seconds;     /* time it took */
} AudioRenderInfo;

/* Render events (frames from 0, sorted by frame then audio_event_rank)
 * through FluidSynth's file renderer into a WAV at the synth's rate, then
 * the release tail: until no voice sounds plus a quarter second for the
 * reverb, at most o->tail seconds.  s must not belong to an engine. */
ReelStatus audio_render_wav(AudioSynth *s, const AudioEvent *ev, size_t n,
                            const AudioRenderOpts *o, AudioRenderInfo *info, ReelError *err);

#endif
