/* midi.h — Standard MIDI Files in and out: the one module that includes smf.h.
 *
 * Reading: the bytes are walked and checked here first (chunks, lengths,
 * variable-length numbers, running status, event sizes), because libsmf 1.3
 * aborts or reads freed memory on damaged files.  Only bytes that pass are
 * handed to libsmf.  Some valid files libsmf 1.3 misreads (a header longer
 * than 6 bytes, unknown chunks, meta events of 128 bytes or more, 0xF7
 * sysex escapes): libsmf then gets a normalized copy (header trimmed, unknown
 * chunks dropped, metas cut to 127 bytes, 0xF7 turned into a 0xFF 0x7F meta),
 * which changes no note, tempo or time signature.  midi.c lists every check
 * and why.  glib messages from libsmf never reach the terminal: they are
 * captured and, on failure, become part of the error message.
 *
 * A MidiSong is the file as it is, in ticks: every note of every track and
 * channel, tempo and time-signature changes.  Choosing the melody and
 * quantizing it to 16th steps is quant.h's job.
 *
 * Note pairing, per (track, channel, pitch): a note-off (0x8n, or 0x9n with
 * velocity 0) closes the OLDEST sounding note (FIFO), so overlapping
 * same-pitch notes stay overlapped as written (quant.c cuts them).  A note
 * whose off falls on its onset is kept, 1 tick long.  Notes still sounding
 * at the end of their track end there (counted in unclosed); note-offs with
 * nothing sounding are dropped (counted in stray_offs).
 */
#ifndef REEL_MIDI_H
#define REEL_MIDI_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "tune.h"

typedef struct {
    uint32_t on, off;     /* absolute ticks; off > on (zero-length notes get off = on + 1) */
    uint8_t pitch, vel;   /* vel 1..127 (the note-on's) */
    uint8_t chan;         /* 0..15; 9 is General MIDI drums */
    uint16_t track;       /* index into MidiSong.tracks */
} MidiNote;

typedef struct {
    uint32_t tick;
    uint32_t usec_per_quarter;
} MidiTempo;

typedef struct {
    uint32_t tick;
    uint8_t num, den;     /* den as a number: 4 means quarter */
} MidiTimeSig;

typedef struct {
    char *name;           /* owned: first track name (meta 0x03), NULL if none; raw bytes
                           * (not checked as UTF-8), control characters made '?' */
    int program[16];      /* first program change per channel, -1 if none */
    int32_t n_notes;      /* notes in this track */
} MidiTrack;

typedef struct {
    int format;           /* 0 or 1 (format 2 is rejected) */
    int ppq;              /* ticks per quarter note, > 0 */
    MidiTrack *tracks;    /* owned, n_tracks */
    int32_t n_tracks;
    MidiNote *notes;      /* owned; sorted by on, then pitch */
    int32_t n_notes;
    MidiTempo *tempos;    /* owned; sorted by tick */
    int32_t n_tempos;
    MidiTimeSig *sigs;    /* owned; sorted by tick */
    int32_t n_sigs;
    uint32_t end_tick;    /* last event of any track (and >= every note's off) */
    int32_t unclosed;     /* note-ons without a note-off: closed at the track end */
    int32_t stray_offs;   /* note-offs without a sounding note: ignored */
} MidiSong;

/* Check that buf[0..len) is a Standard MIDI File that midi_load_memory can
 * read (format 0 or 1, ticks per quarter, every declared track present and
 * complete).  Bytes after the last declared track are ignored.  On failure
 * err says what is wrong and where (byte offset, track number counted from
 * 1 as midicsv does): REEL_EFORMAT (damaged), REEL_EUNSUPPORTED (format 2,
 * SMPTE time, > 64 MiB, > 2 million events), REEL_EEMPTY (0 bytes, 0 tracks).
 * name is used in the message (the path, usually; NULL gives "(memory)"). */
ReelStatus midi_validate(const uint8_t *buf, size_t len, const char *name, ReelError *err);

/* Validate, then parse with libsmf into *out (overwritten; free with
 * midi_song_free).  buf is only read, and not kept.  On failure *out is left
 * empty (midi_song_free on it is harmless).  Thread-safe. */
ReelStatus midi_load_memory(const uint8_t *buf, size_t len, const char *name,
                            MidiSong *out, ReelError *err);
/* Read a whole regular file (at most 64 MiB) and midi_load_memory it.
 * REEL_EIO for a missing, unreadable or non-regular path (a folder...),
 * REEL_EEMPTY for 0 bytes, REEL_EUNSUPPORTED when too large. */
ReelStatus midi_load_file(const char *path, MidiSong *out, ReelError *err);

/* Free what a MidiSong owns and zero it.  Accepts a zeroed song and NULL. */
void midi_song_free(MidiSong *s);

typedef struct {
    int channel;             /* 0..15; 0 by default */
    int program;             /* -1: use tune->program, or none if that is -1 too */
    const char *provenance;  /* text meta event (0x01) at tick 0, or NULL; longer than
                              * 127 bytes: several events, split between UTF-8 characters */
    int ppq;                 /* ticks per quarter, a multiple of 4; 0 means 480 */
} MidiWriteOpts;

/* Write a tune as a format-1 file with libsmf: a conductor track (tempo
 * changes, time signatures, the provenance text) and one note track (name =
 * tune->part or tune->name, cut to 127 bytes; program change; notes, ppq/4
 * ticks per 16th step, note-offs before note-ons at the same tick).  Both
 * tracks end at tune->n_steps (or the last note-off, if later).  Written to
 * a temporary file beside path (path.XXXXXX, mode 0644) and renamed, so a
 * failure never leaves half a file and never touches an existing one.
 * REEL_EARG for a tune or option out of range (nothing written), REEL_EIO
 * when the file cannot be written.  opts may be NULL for the defaults. */
ReelStatus midi_write_tune(const char *path, const Tune *t, const MidiWriteOpts *opts,
                           ReelError *err);

#endif
