/* midi.c — Standard MIDI Files in and out (see midi.h).  The only file that
 * includes smf.h.
 *
 * Reading has three stages:
 *   1. midi_walk() checks every byte of the file itself (libsmf 1.3 asserts,
 *      over-reads or uses freed memory on damaged input; see the list below).
 *   2. When the file is valid but uses something libsmf 1.3 misreads, the
 *      same walk writes a normalized copy for libsmf (see "Rewrites").
 *   3. smf_load_from_memory() parses the checked bytes; song_build() turns
 *      libsmf's events into a MidiSong.
 *
 * What libsmf 1.3 does with bad input, and the check here that prevents it:
 *   - fewer MTrk chunks than the header declares, or another chunk where it
 *     expects an MTrk: it deletes the half-made track and then writes to it
 *     (use after free)                      -> every declared track must exist;
 *                                              other chunks are dropped first
 *   - a track chunk that ends without an end-of-track meta (0xFF 0x2F),
 *     including an empty chunk: assert in parse_next_event
 *                                           -> each track needs its end-of-track
 *   - chunk lengths past the end of the data: reads past the buffer
 *                                           -> every chunk lies inside the file
 *   - running status after a sysex: assert in extract_sysex_event; after a
 *     meta event it reads the data byte as a meta type
 *                                           -> running status only after a
 *                                              channel message (as the SMF spec says)
 *   - 0xF7 (escaped / continued sysex): it aborts (inverted validity check)
 *     or silently cuts the track            -> rewritten as a 0xFF 0x7F meta
 *   - meta lengths written in more than one byte (128 and more, or with
 *     needless 0x80 prefixes): it reads only the first byte of the
 *     variable-length number and loses its place in the track
 *                                           -> the copy gives such metas a
 *                                              one-byte length, cut to 127 bytes
 *   - a tempo meta shorter than 3 bytes: heap over-read in the tempo map
 *                                           -> tempo must have 3 bytes, not 0 usec
 *   - time signature 2^dd with a huge dd: (int)pow(2, dd) overflows
 *                                           -> 4 data bytes, num >= 1, dd <= 7
 *   - more than 2^31 ticks in a track: int overflow, then assert
 *                                           -> rejected
 *   - MThd length other than 6: it refuses (and leaks)
 *                                           -> longer headers are trimmed in the copy
 *   - 0xF1..0xFE system messages: unknown ones cut the track, known ones are
 *     not file events at all                -> rejected
 * Stricter than libsmf, so that a MidiSong can be trusted: data bytes of
 * channel messages must be below 0x80, meta types below 0x80, delta times at
 * most 4 bytes, at most MIDI_MAX_EVENTS events (libsmf keeps ~100 bytes each).
 * Bytes after the last declared track, and after a track's end-of-track
 * meta inside its chunk, are ignored (libsmf never reads them either).
 *
 * Notes: a note-off (0x8n, or 0x9n with velocity 0) closes the OLDEST
 * sounding note of the same track, channel and pitch (FIFO), so overlapping
 * same-pitch notes stay overlapped as in the file and a note-on written just
 * before the previous note's off at the same tick pairs correctly; quant.c
 * cuts overlaps.  A note whose off falls on its onset is kept with
 * off = on + 1, so every MidiNote has off > on.
 *
 * glib messages from libsmf (log domain "libsmf") are caught by a handler
 * installed once per process and kept in a per-thread buffer; they become
 * part of the error message and never reach the terminal.
 */
#include "files.h"
#include "grow.h"
#include "midi.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <smf.h>

#define MIDI_MAX_BYTES (64u << 20)   /* larger files are refused (midi_load_file, midi_validate) */
#define MIDI_MAX_EVENTS 2000000L     /* per file, summed over tracks */
#define MIDI_MAX_TEXT 127            /* longest meta payload libsmf 1.3 reads correctly */
#define MIDI_MAX_TICK 0x7fffffffu    /* libsmf keeps ticks in an int */

/* ---------------------------------------------------------------------
 * glib log capture
 * ------------------------------------------------------------------- */

/* Messages libsmf logged on this thread since the last midi_log_begin(). */
static _Thread_local char midi_log_text[300];
static _Thread_local size_t midi_log_len;
static pthread_once_t midi_log_once = PTHREAD_ONCE_INIT;

static void midi_log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message,
                             gpointer data)
{
    size_t room, n;
    (void)domain;
    (void)level;
    (void)data;
    if (!message)
        return;
    room = sizeof midi_log_text - midi_log_len;
    if (room <= 1)
        return;
    n = (size_t)snprintf(midi_log_text + midi_log_len, room, "%s%s",
                         midi_log_len ? "; " : "", message);
    midi_log_len = n < room ? midi_log_len + n : sizeof midi_log_text - 1;
}

static void midi_log_install(void)
{
    g_log_set_handler("libsmf", (GLogLevelFlags)(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
                                                 G_LOG_FLAG_RECURSION),
                      midi_log_handler, NULL);
}

/* Install the handler (once) and clear this thread's buffer. */
static void midi_log_begin(void)
{
    pthread_once(&midi_log_once, midi_log_install);
    midi_log_len = 0;
    midi_log_text[0] = '\0';
}

static const char *midi_log_or(const char *fallback)
{
    return midi_log_len ? midi_log_text : fallback;
}

/* ---------------------------------------------------------------------
 * The walk: checking, and writing the normalized copy
 * ------------------------------------------------------------------- */

/* Where the walk writes the copy.  p == NULL: count the bytes only. */
typedef struct {
    uint8_t *p;
    size_t n;
} MidiOut;

typedef struct {
    const uint8_t *buf;   /* the file (borrowed) */
    size_t len;
    const char *name;     /* for messages */
    ReelError *err;
    MidiOut out;          /* the normalized copy (or its size) */
    bool rewrite;         /* libsmf needs the copy, not buf */
    unsigned format, ntracks, ppq;
    long events;
} MidiWalk;

static ReelStatus walk_fail(MidiWalk *w, ReelStatus s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ReelStatus walk_fail(MidiWalk *w, ReelStatus s, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return reel_fail(w->err, s, "%s: %s", w->name, what);
}

static void out_put(MidiOut *o, const uint8_t *src, size_t n)
{
    if (o->p && n)
        memcpy(o->p + o->n, src, n);
    o->n += n;
}

static void out_byte(MidiOut *o, uint8_t b)
{
    if (o->p)
        o->p[o->n] = b;
    o->n++;
}

static void out_be32_at(MidiOut *o, size_t at, uint32_t v)
{
    if (o->p) {
        o->p[at] = (uint8_t)(v >> 24);
        o->p[at + 1] = (uint8_t)(v >> 16);
        o->p[at + 2] = (uint8_t)(v >> 8);
        o->p[at + 3] = (uint8_t)v;
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Read a variable-length number at p[*i], stopping at n.
 * Returns 0 (ok, *i past it), 1 (cut by n) or 2 (longer than 4 bytes). */
static int read_vlq(const uint8_t *p, size_t n, size_t *i, uint32_t *v)
{
    uint32_t x = 0;
    for (int k = 0; k < 4; k++) {
        if (*i >= n)
            return 1;
        x = x << 7 | (p[*i] & 0x7f);
        if (!(p[(*i)++] & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return 2;
}

/* The event under way in a track: its bytes p[0 .. n) (at byte start of
 * the file), the read position i, where the event began (ev) and where its
 * delta time ended (delta_end). */
typedef struct {
    const uint8_t *p;
    size_t n, start, i, ev, delta_end;
    unsigned tn;          /* track number from 1, as in messages and midicsv */
} TrackPos;

static ReelStatus track_cut(MidiWalk *w, const TrackPos *t)
{
    return walk_fail(w, REEL_EFORMAT,
                     "track %u: the event at byte %zu is cut off by the end of the track "
                     "chunk at byte %zu", t->tn, t->start + t->ev, t->start + t->n);
}

/* A channel message: 1 or 2 data bytes. */
static ReelStatus channel_event(MidiWalk *w, TrackPos *t, uint8_t status)
{
    const uint8_t *p = t->p;
    size_t need = ((status & 0xf0) == 0xc0 || (status & 0xf0) == 0xd0) ? 1 : 2;
    if (t->n - t->i < need)
        return track_cut(w, t);
    for (size_t k = 0; k < need; k++)
        if (p[t->i + k] >= 0x80)
            return walk_fail(w, REEL_EFORMAT,
                             "track %u: the 0x%02x event at byte %zu has the data byte "
                             "0x%02x at byte %zu (data bytes are below 0x80)",
                             t->tn, status, t->start + t->delta_end, p[t->i + k],
                             t->start + t->i + k);
    t->i += need;
    out_put(&w->out, p + t->ev, t->i - t->ev);
    return REEL_OK;
}

/* The length and body of a meta or sysex event (what: its name in
 * messages); t->i moves past the body. */
static ReelStatus event_body(MidiWalk *w, TrackPos *t, const char *what, size_t *body,
                             uint32_t *len)
{
    int r = read_vlq(t->p, t->n, &t->i, len);
    if (r == 1)
        return track_cut(w, t);
    if (r == 2)
        return walk_fail(w, REEL_EFORMAT, "track %u: the length of the %s at byte %zu is longer "
                         "than 4 bytes", t->tn, what, t->start + t->delta_end);
    if (t->n - t->i < *len)
        return track_cut(w, t);
    *body = t->i;
    t->i += *len;
    return REEL_OK;
}

/* The event rewritten as the meta event `type` with a one-byte length
 * (libsmf reads meta lengths as one byte): at most MIDI_MAX_TEXT bytes of
 * the body. */
static void put_short_meta(MidiWalk *w, const TrackPos *t, uint8_t type, size_t body,
                           uint32_t len)
{
    uint32_t keep = len < MIDI_MAX_TEXT ? len : MIDI_MAX_TEXT;
    w->rewrite = true;
    out_put(&w->out, t->p + t->ev, t->delta_end - t->ev);
    out_byte(&w->out, 0xff);
    out_byte(&w->out, type);
    out_byte(&w->out, (uint8_t)keep);
    out_put(&w->out, t->p + body, keep);
}

/* A meta event (0xFF, already read); *end: it was the end of the track. */
static ReelStatus meta_event(MidiWalk *w, TrackPos *t, bool *end)
{
    const uint8_t *p = t->p;
    size_t at = t->start + t->delta_end, len_start, body;
    uint32_t len;
    uint8_t type;
    ReelStatus s;
    if (t->n - t->i < 2)
        return track_cut(w, t);
    type = p[t->i++];
    len_start = t->i;
    if (type >= 0x80)
        return walk_fail(w, REEL_EFORMAT, "track %u: the meta event at byte %zu has type 0x%02x "
                         "(meta types are below 0x80)", t->tn, at, type);
    if ((s = event_body(w, t, "meta event", &body, &len)))
        return s;
    if (type == 0x51 && len != 3)
        return walk_fail(w, REEL_EFORMAT, "track %u: the tempo event at byte %zu has %u data "
                         "bytes (it needs 3)", t->tn, at, len);
    if (type == 0x51 && !(p[body] | p[body + 1] | p[body + 2]))
        return walk_fail(w, REEL_EFORMAT, "track %u: the tempo event at byte %zu sets 0 "
                         "microseconds per quarter", t->tn, at);
    if (type == 0x58 && (len != 4 || p[body] == 0 || p[body + 1] > 7))
        return walk_fail(w, REEL_EFORMAT, "track %u: the time signature at byte %zu is not valid "
                         "(%u data bytes; it needs 4, numerator >= 1, denominator at most 2^7)",
                         t->tn, at, len);
    /* A length written in more than one byte (also one with needless 0x80
     * prefixes) is rewritten for libsmf. */
    if (body - len_start > 1)
        put_short_meta(w, t, type, body, len);
    else
        out_put(&w->out, p + t->ev, t->i - t->ev);
    /* End of track: what follows inside the chunk is ignored (by libsmf
     * too, so it does not call for the copy). */
    *end = type == 0x2f;
    return REEL_OK;
}

/* A sysex event (0xF0 or 0xF7, already read). */
static ReelStatus sysex_event(MidiWalk *w, TrackPos *t, uint8_t status)
{
    size_t body;
    uint32_t len;
    ReelStatus s = event_body(w, t, "sysex", &body, &len);
    if (s)
        return s;
    if (status == 0xf0)
        out_put(&w->out, t->p + t->ev, t->i - t->ev);
    else
        /* libsmf 1.3 cannot load 0xF7 events: keep the timing as a
         * sequencer-specific meta (0xFF 0x7F) that nobody reads */
        put_short_meta(w, t, 0x7f, body, len);
    return REEL_OK;
}

/* The delta time of the next event, and the time so far in *tick. */
static ReelStatus event_delta(MidiWalk *w, TrackPos *t, uint64_t *tick)
{
    uint32_t delta;
    int r;
    t->ev = t->i;
    if (++w->events > MIDI_MAX_EVENTS)
        return walk_fail(w, REEL_EUNSUPPORTED, "more than %ld events (track %u, byte %zu)",
                         MIDI_MAX_EVENTS, t->tn, t->start + t->i);
    r = read_vlq(t->p, t->n, &t->i, &delta);
    if (r == 1)
        return track_cut(w, t);
    if (r == 2)
        return walk_fail(w, REEL_EFORMAT,
                         "track %u: the delta time at byte %zu is longer than 4 bytes",
                         t->tn, t->start + t->ev);
    *tick += delta;
    if (*tick > MIDI_MAX_TICK)
        return walk_fail(w, REEL_EFORMAT, "track %u: time passes 2^31 ticks at byte %zu",
                         t->tn, t->start + t->ev);
    t->delta_end = t->i;
    return t->i >= t->n ? track_cut(w, t) : REEL_OK;
}

/* Check one MTrk chunk: data at w->buf[start .. start+n), track number tn
 * (1-based, as in messages and midicsv).  Writes the track to w->out. */
static ReelStatus walk_track(MidiWalk *w, unsigned tn, size_t start, size_t n)
{
    TrackPos t = {w->buf + start, n, start, 0, 0, 0, tn};
    size_t len_at;
    uint64_t tick = 0;
    uint8_t running = 0;

    out_put(&w->out, (const uint8_t *)"MTrk\0\0\0\0", 8);
    len_at = w->out.n - 4;
    if (n == 0)
        return walk_fail(w, REEL_EFORMAT, "track %u (chunk at byte %zu) is empty: 0 bytes, no events",
                         tn, start - 8);
    while (t.i < n) {
        uint8_t status;
        bool end = false;
        ReelStatus s = event_delta(w, &t, &tick);
        if (s)
            return s;
        if (t.p[t.i] < 0x80) {
            if (!running)
                return walk_fail(w, REEL_EFORMAT,
                                 "track %u: byte %zu is 0x%02x, a data byte where a status "
                                 "byte is needed (no running status at this point)",
                                 tn, start + t.i, t.p[t.i]);
            status = running;
        } else {
            status = t.p[t.i++];
        }
        if (status < 0xf0) {
            if ((s = channel_event(w, &t, status)))
                return s;
            running = status;
            continue;
        }
        running = 0;   /* meta and sysex events cancel running status */
        if (status == 0xff)
            s = meta_event(w, &t, &end);
        else if (status == 0xf0 || status == 0xf7)
            s = sysex_event(w, &t, status);
        else
            return walk_fail(w, REEL_EFORMAT,
                             "track %u: byte %zu is the system message 0x%02x, which does not "
                             "belong in a MIDI file", tn, start + t.delta_end, status);
        if (s)
            return s;
        if (end) {
            out_be32_at(&w->out, len_at, (uint32_t)(w->out.n - len_at - 4));
            return REEL_OK;
        }
    }
    return walk_fail(w, REEL_EFORMAT,
                     "track %u (chunk at byte %zu, %zu bytes) has no end-of-track event",
                     tn, start - 8, n);
}

static bool chunk_id_ok(const uint8_t *id)
{
    for (int k = 0; k < 4; k++)
        if (id[k] < 0x20 || id[k] > 0x7e)
            return false;
    return true;
}

/* Check the whole file and write the normalized copy to w->out. */
static ReelStatus midi_walk(MidiWalk *w)
{
    const uint8_t *b = w->buf;
    size_t len = w->len, pos;
    uint32_t hlen;
    unsigned division, found = 0;

    w->out.n = 0;
    w->rewrite = false;
    w->events = 0;
    if (len == 0)
        return walk_fail(w, REEL_EEMPTY, "empty file (0 bytes)");
    if (len > MIDI_MAX_BYTES)
        return walk_fail(w, REEL_EUNSUPPORTED, "too large (%zu bytes; the limit is %u MiB)", len,
                         MIDI_MAX_BYTES >> 20);
    if (len >= 4 && !memcmp(b, "RIFF", 4))
        return walk_fail(w, REEL_EUNSUPPORTED, "RIFF MIDI (.rmi) files are not supported");
    if (len < 4 || memcmp(b, "MThd", 4))
        return walk_fail(w, REEL_EFORMAT, "not a MIDI file (it does not start with \"MThd\")");
    if (len < 14)
        return walk_fail(w, REEL_EFORMAT,
                         "the header is cut off: the file ends at byte %zu, the header needs 14",
                         len);
    hlen = be32(b + 4);
    if (hlen < 6)
        return walk_fail(w, REEL_EFORMAT, "the header chunk says %u bytes (it needs 6)", hlen);
    if (hlen > len - 8)
        return walk_fail(w, REEL_EFORMAT,
                         "the header chunk is cut off (it says %u bytes, the file ends at byte %zu)",
                         hlen, len);
    w->format = be16(b + 8);
    w->ntracks = be16(b + 10);
    division = be16(b + 12);
    if (w->format == 2)
        return walk_fail(w, REEL_EUNSUPPORTED, "format 2 (independent patterns) is not supported");
    if (w->format > 2)
        return walk_fail(w, REEL_EFORMAT, "unknown format %u in the header", w->format);
    if (w->ntracks == 0)
        return walk_fail(w, REEL_EEMPTY, "the header declares 0 tracks");
    if (division & 0x8000)
        return walk_fail(w, REEL_EUNSUPPORTED,
                         "SMPTE time (%d frames per second) is not supported",
                         256 - (int)(division >> 8));
    if (division == 0)
        return walk_fail(w, REEL_EFORMAT, "the header gives 0 ticks per quarter note");
    w->ppq = division;
    if (hlen != 6)
        w->rewrite = true;
    out_put(&w->out, (const uint8_t *)"MThd\0\0\0\6", 8);
    out_put(&w->out, b + 8, 6);

    pos = 8 + (size_t)hlen;
    while (found < w->ntracks) {
        uint32_t clen;
        bool mtrk;
        ReelStatus st;
        if (pos == len)
            return walk_fail(w, REEL_EFORMAT,
                             "the header declares %u track%s, but the file ends after %u "
                             "(at byte %zu)", w->ntracks, w->ntracks == 1 ? "" : "s", found, len);
        if (len - pos < 8)
            return walk_fail(w, REEL_EFORMAT,
                             "the chunk header at byte %zu is cut off (the file ends at byte %zu)",
                             pos, len);
        mtrk = !memcmp(b + pos, "MTrk", 4);
        if (!mtrk && !chunk_id_ok(b + pos))
            return walk_fail(w, REEL_EFORMAT,
                             "expected a chunk (track %u) at byte %zu, found the bytes "
                             "%02x %02x %02x %02x", found + 1, pos, b[pos], b[pos + 1],
                             b[pos + 2], b[pos + 3]);
        clen = be32(b + pos + 4);
        if (clen > len - pos - 8) {
            if (mtrk)
                return walk_fail(w, REEL_EFORMAT,
                                 "track %u is cut off (its chunk at byte %zu says %u bytes, "
                                 "the file ends at byte %zu, %zu bytes short)", found + 1, pos,
                                 clen, len, (size_t)clen - (len - pos - 8));
            return walk_fail(w, REEL_EFORMAT,
                             "the \"%.4s\" chunk at byte %zu is cut off (it says %u bytes, the "
                             "file ends at byte %zu)", (const char *)(b + pos), pos, clen, len);
        }
        if (mtrk) {
            st = walk_track(w, found + 1, pos + 8, clen);
            if (st)
                return st;
            found++;
        } else {
            w->rewrite = true;   /* libsmf would take it for a track: drop it */
        }
        pos += 8 + (size_t)clen;
    }
    return REEL_OK;
}

/* Walk buf (len bytes) into *w: checked, and whether libsmf needs the copy. */
static ReelStatus walk_bytes(MidiWalk *w, const uint8_t *buf, size_t len, const char *name,
                             ReelError *err)
{
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->len = buf ? len : 0;
    w->name = name ? name : "(memory)";
    w->err = err;
    return midi_walk(w);
}

ReelStatus midi_validate(const uint8_t *buf, size_t len, const char *name, ReelError *err)
{
    MidiWalk w;
    if (!buf && len)
        return reel_fail(err, REEL_EARG, "midi_validate: no data given");
    return walk_bytes(&w, buf, len, name, err);
}

/* ---------------------------------------------------------------------
 * Building the MidiSong from libsmf's events
 * ------------------------------------------------------------------- */

/* A tempo or time signature, with its order in the file for a stable sort. */
typedef struct {
    uint32_t tick;
    int32_t seq;
    bool is_sig;
    uint32_t usec;
    uint8_t num, den;
} MetaEv;

typedef struct {
    MidiSong *s;
    int32_t notes_cap;      /* allocated s->notes */
    int32_t *next;          /* owned: FIFO links, parallel to s->notes */
    int32_t next_cap;
    MetaEv *meta;           /* owned, n_meta used */
    int32_t n_meta, meta_cap;
    int32_t head[16 * 128]; /* oldest sounding note per channel*128+pitch, -1 if none */
    int32_t tail[16 * 128];
} SongBuild;

static bool build_note_on(SongBuild *b, uint16_t track, uint8_t chan, uint8_t pitch, uint8_t vel,
                          uint32_t tick)
{
    MidiSong *s = b->s;
    int32_t k = chan * 128 + pitch, idx = s->n_notes;
    if (!grow((void **)&s->notes, &b->notes_cap, idx + 1, sizeof *s->notes) ||
        !grow((void **)&b->next, &b->next_cap, idx + 1, sizeof *b->next))
        return false;
    s->notes[idx] = (MidiNote){.on = tick, .off = 0, .pitch = pitch, .vel = vel, .chan = chan,
                               .track = track};
    b->next[idx] = -1;
    if (b->tail[k] >= 0)
        b->next[b->tail[k]] = idx;
    else
        b->head[k] = idx;
    b->tail[k] = idx;
    s->n_notes++;
    s->tracks[track].n_notes++;
    return true;
}

/* Close the oldest sounding note at (chan, pitch); false if none sounds. */
static bool build_note_off(SongBuild *b, uint8_t chan, uint8_t pitch, uint32_t tick)
{
    int32_t k = chan * 128 + pitch, idx = b->head[k];
    MidiNote *n;
    if (idx < 0)
        return false;
    n = &b->s->notes[idx];
    n->off = tick > n->on ? tick : n->on + 1;
    b->head[k] = b->next[idx];
    if (b->head[k] < 0)
        b->tail[k] = -1;
    return true;
}

static bool build_meta(SongBuild *b, MetaEv m)
{
    if (!grow((void **)&b->meta, &b->meta_cap, b->n_meta + 1, sizeof *b->meta))
        return false;
    m.seq = b->n_meta;
    b->meta[b->n_meta++] = m;
    return true;
}

/* Copy a track name; control characters become '?'.  NULL when out of memory. */
static char *build_name(const unsigned char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        s[i] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : (char)p[i];
    s[n] = '\0';
    return s;
}

static int note_cmp(const void *pa, const void *pb)
{
    const MidiNote *a = pa, *b = pb;
    if (a->on != b->on)
        return a->on < b->on ? -1 : 1;
    if (a->pitch != b->pitch)
        return a->pitch < b->pitch ? -1 : 1;
    if (a->track != b->track)
        return a->track < b->track ? -1 : 1;
    if (a->chan != b->chan)
        return a->chan < b->chan ? -1 : 1;
    if (a->off != b->off)
        return a->off < b->off ? -1 : 1;
    return 0;
}

static int meta_cmp(const void *pa, const void *pb)
{
    const MetaEv *a = pa, *b = pb;
    if (a->tick != b->tick)
        return a->tick < b->tick ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Split b->meta into s->tempos and s->sigs, in tick order. */
static bool build_tempo_sig(SongBuild *b)
{
    MidiSong *s = b->s;
    int32_t nt = 0, ns = 0;
    if (b->n_meta == 0)
        return true;
    qsort(b->meta, (size_t)b->n_meta, sizeof *b->meta, meta_cmp);
    for (int32_t i = 0; i < b->n_meta; i++) {
        if (b->meta[i].is_sig)
            ns++;
        else
            nt++;
    }
    if (nt && !(s->tempos = malloc((size_t)nt * sizeof *s->tempos)))
        return false;
    if (ns && !(s->sigs = malloc((size_t)ns * sizeof *s->sigs)))
        return false;
    for (int32_t i = 0; i < b->n_meta; i++) {
        const MetaEv *m = &b->meta[i];
        if (m->is_sig)
            s->sigs[s->n_sigs++] = (MidiTimeSig){.tick = m->tick, .num = m->num, .den = m->den};
        else
            s->tempos[s->n_tempos++] = (MidiTempo){.tick = m->tick, .usec_per_quarter = m->usec};
    }
    return true;
}

/* Read one libsmf track into the song (track index ti). */
static bool build_track(SongBuild *b, smf_track_t *tr, uint16_t ti)
{
    MidiSong *s = b->s;
    MidiTrack *mt = &s->tracks[ti];
    uint32_t end = 0;

    for (int k = 0; k < 16 * 128; k++)
        b->head[k] = b->tail[k] = -1;
    for (int e = 1; e <= tr->number_of_events; e++) {
        const smf_event_t *ev = smf_track_get_event_by_number(tr, e);
        const unsigned char *m = ev->midi_buffer;
        uint32_t tick = (uint32_t)ev->time_pulses;
        uint8_t hi = m[0] & 0xf0, chan = m[0] & 0x0f;
        end = tick;
        if (m[0] == 0xff) {
            /* the walk guarantees: 3 + m[2] bytes, m[2] <= 127 */
            const unsigned char *d = m + 3;
            if (m[1] == 0x03 && !mt->name && !(mt->name = build_name(d, m[2])))
                return false;
            if (m[1] == 0x51 &&
                !build_meta(b, (MetaEv){.tick = tick,
                                        .usec = (uint32_t)d[0] << 16 | (uint32_t)d[1] << 8 | d[2]}))
                return false;
            if (m[1] == 0x58 &&
                !build_meta(b, (MetaEv){.tick = tick, .is_sig = true, .num = d[0],
                                        .den = (uint8_t)(1u << d[1])}))
                return false;
        } else if (hi == 0x90 && m[2] > 0) {
            if (!build_note_on(b, ti, chan, m[1], m[2], tick))
                return false;
        } else if (hi == 0x80 || hi == 0x90) {
            if (!build_note_off(b, chan, m[1], tick))
                s->stray_offs++;
        } else if (hi == 0xc0 && mt->program[chan] < 0) {
            mt->program[chan] = m[1];
        }
    }
    /* notes still sounding end with the track */
    for (int k = 0; k < 16 * 128; k++)
        while (build_note_off(b, (uint8_t)(k / 128), (uint8_t)(k % 128), end))
            s->unclosed++;
    if (end > s->end_tick)
        s->end_tick = end;
    return true;
}

/* smf_delete() of libsmf 1.3 removes each event with g_ptr_array_remove(),
 * a linear search from the front: quadratic in the events of a track (63% of
 * the load time of POP909).  Freeing the events of each track first, marked
 * as detached (event->track = NULL, which smf_event_delete() honours), and
 * emptying the track arrays makes it linear. */
static void midi_smf_free(smf_t *smf)
{
    for (int t = 1; t <= smf->number_of_tracks; t++) {
        smf_track_t *tr = smf_get_track_by_number(smf, t);
        for (int e = tr->number_of_events; e >= 1; e--) {
            smf_event_t *ev = smf_track_get_event_by_number(tr, e);
            ev->track = NULL;
            smf_event_delete(ev);
        }
        g_ptr_array_set_size(tr->events_array, 0);
        tr->number_of_events = 0;
        tr->next_event_number = -1;
    }
    smf_delete(smf);
}

static ReelStatus song_build(smf_t *smf, MidiSong *s, const char *name, ReelError *err)
{
    SongBuild *b = calloc(1, sizeof *b);
    bool ok = b != NULL;
    s->format = smf->format;
    s->ppq = smf->ppqn;
    if (ok && smf->number_of_tracks > 0) {
        s->tracks = calloc((size_t)smf->number_of_tracks, sizeof *s->tracks);
        ok = s->tracks != NULL;
    }
    if (ok) {
        b->s = s;
        s->n_tracks = smf->number_of_tracks;
        for (int32_t t = 0; t < s->n_tracks; t++)
            for (int c = 0; c < 16; c++)
                s->tracks[t].program[c] = -1;
    }
    for (int32_t t = 0; ok && t < s->n_tracks; t++)
        ok = build_track(b, smf_get_track_by_number(smf, t + 1), (uint16_t)t);
    ok = ok && build_tempo_sig(b);
    if (ok && s->n_notes > 1)
        qsort(s->notes, (size_t)s->n_notes, sizeof *s->notes, note_cmp);
    for (int32_t i = 0; ok && i < s->n_notes; i++)
        if (s->notes[i].off > s->end_tick)
            s->end_tick = s->notes[i].off;
    if (b) {
        free(b->next);
        free(b->meta);
        free(b);
    }
    if (!ok) {
        midi_song_free(s);
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory reading the notes", name);
    }
    return REEL_OK;
}

ReelStatus midi_load_memory(const uint8_t *buf, size_t len, const char *name, MidiSong *out,
                            ReelError *err)
{
    MidiWalk w;
    const uint8_t *data;
    uint8_t *copy = NULL;
    smf_t *smf;
    ReelStatus st;

    if (!out)
        return reel_fail(err, REEL_EARG, "midi_load_memory: no MidiSong given");
    memset(out, 0, sizeof *out);
    if (!buf && len)
        return reel_fail(err, REEL_EARG, "midi_load_memory: no data given");
    st = walk_bytes(&w, buf, len, name, err);
    if (st)
        return st;
    data = buf;
    if (w.rewrite) {
        /* second walk over the same (valid) bytes writes the copy */
        size_t n = w.out.n;
        copy = malloc(n);
        if (!copy)
            return reel_fail(err, REEL_ENOMEM, "%s: out of memory (%zu bytes)", w.name, n);
        w.out.p = copy;
        st = midi_walk(&w);
        if (st || w.out.n != n) {
            free(copy);
            return st ? st : reel_fail(err, REEL_EFORMAT, "%s: internal error normalizing", w.name);
        }
        data = copy;
    }

    midi_log_begin();
    smf = smf_load_from_memory(data, (int)(w.rewrite ? w.out.n : w.len));
    free(copy);
    if (!smf)
        return reel_fail(err, REEL_EFORMAT, "%s: libsmf could not read it: %s", w.name,
                         midi_log_or("no reason given"));
    if (midi_log_len || smf->number_of_tracks != (int)w.ntracks) {
        /* the walk should have caught this: do not trust libsmf's result */
        st = reel_fail(err, REEL_EFORMAT, "%s: libsmf found a problem: %s", w.name,
                       midi_log_or("tracks missing"));
        midi_smf_free(smf);
        return st;
    }
    st = song_build(smf, out, w.name, err);
    midi_smf_free(smf);
    return st;
}

ReelStatus midi_load_file(const char *path, MidiSong *out, ReelError *err)
{
    struct stat st;
    uint8_t *buf;
    size_t got = 0;
    ReelStatus rs;
    int fd;

    if (out)
        memset(out, 0, sizeof *out);
    if (!path || !out)
        return reel_fail(err, REEL_EARG, "midi_load_file: no path or MidiSong given");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return reel_fail(err, REEL_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        rs = reel_fail(err, REEL_EIO, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return rs;
    }
    if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
        close(fd);
        return reel_fail(err, REEL_EIO, "%s: %s, not a MIDI file", path,
                         S_ISDIR(st.st_mode) ? "is a folder" : "is not a regular file");
    }
    if (st.st_size == 0) {
        close(fd);
        return reel_fail(err, REEL_EEMPTY, "%s: empty file (0 bytes)", path);
    }
    if ((uint64_t)st.st_size > MIDI_MAX_BYTES) {
        close(fd);
        return reel_fail(err, REEL_EUNSUPPORTED, "%s: too large (%lld bytes; the limit is %u MiB)",
                         path, (long long)st.st_size, MIDI_MAX_BYTES >> 20);
    }
    buf = malloc((size_t)st.st_size);
    if (!buf) {
        close(fd);
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory (%lld bytes)", path,
                         (long long)st.st_size);
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rs = reel_fail(err, REEL_EIO, "%s: cannot read: %s", path,
                           r < 0 ? strerror(errno) : "the file got shorter while reading");
            free(buf);
            close(fd);
            return rs;
        }
        got += (size_t)r;
    }
    close(fd);
    rs = midi_load_memory(buf, got, path, out, err);
    free(buf);
    return rs;
}

void midi_song_free(MidiSong *s)
{
    if (!s)
        return;
    for (int32_t t = 0; s->tracks && t < s->n_tracks; t++)
        free(s->tracks[t].name);
    free(s->tracks);
    free(s->notes);
    free(s->tempos);
    free(s->sigs);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------- */

/* A channel event of the note track, sorted by (tick, kind, seq): at the same
 * tick note-offs come before note-ons, so a repeated pitch restarts cleanly. */
typedef struct {
    uint32_t tick;
    uint8_t kind;      /* 0 off, 1 on */
    int32_t seq;
    uint8_t pitch, vel;
} WriteNote;

/* A conductor event: tempo (FF 51) or time signature (FF 58). */
typedef struct {
    uint32_t tick;
    int32_t seq;
    uint8_t bytes[7];
    uint8_t len;
} WriteMeta;

static int write_note_cmp(const void *pa, const void *pb)
{
    const WriteNote *a = pa, *b = pb;
    if (a->tick != b->tick)
        return a->tick < b->tick ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int write_meta_cmp(const void *pa, const void *pb)
{
    const WriteMeta *a = pa, *b = pb;
    if (a->tick != b->tick)
        return a->tick < b->tick ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Add an event made by libsmf (NULL = it failed) at a tick.  The track owns it. */
static bool write_add(smf_track_t *tr, smf_event_t *ev, uint32_t tick)
{
    if (!ev)
        return false;
    smf_track_add_event_pulses(tr, ev, (int)tick);
    return true;
}

/* Length of the longest prefix of s (at most max bytes) that does not cut a
 * UTF-8 sequence. */
static size_t utf8_prefix(const char *s, size_t n, size_t max)
{
    size_t k;
    if (n <= max)
        return n;
    k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
        k--;
    return k ? k : max;
}

/* A text-like meta event (type 0x01..0x0F) with at most 127 bytes of text. */
static bool write_text(smf_track_t *tr, uint8_t type, const char *text, size_t n, uint32_t tick)
{
    uint8_t ev[3 + MIDI_MAX_TEXT];
    ev[0] = 0xff;
    ev[1] = type;
    ev[2] = (uint8_t)n;
    memcpy(ev + 3, text, n);
    return write_add(tr, smf_event_new_from_pointer(ev, (int)(3 + n)), tick);
}

/* Check a tune and the options before anything is created.  *program gets
 * the program to write (-1: none), *end_out the tick of the end-of-track. */
static ReelStatus write_check(const char *path, const Tune *t, const MidiWriteOpts *o,
                              int *program, uint32_t *end_out, ReelError *err)
{
    int64_t tps = o->ppq / TUNE_STEPS_PER_QUARTER, end = t->n_steps > 0 ? t->n_steps : 0;
    if (o->ppq <= 0 || o->ppq > 0x7fff || o->ppq % TUNE_STEPS_PER_QUARTER)
        return reel_fail(err, REEL_EARG, "%s: ppq %d must be a multiple of 4 in 4..32764", path,
                         o->ppq);
    if (o->channel < 0 || o->channel > 15)
        return reel_fail(err, REEL_EARG, "%s: channel %d is not 0..15", path, o->channel);
    *program = o->program >= 0 ? o->program : t->program;
    if (*program > 127 || *program < -1)
        return reel_fail(err, REEL_EARG, "%s: program %d is not 0..127", path, *program);
    if (t->n_notes < 0 || t->n_tempos < 0 || t->n_sigs < 0 ||
        (t->n_notes && !t->notes) || (t->n_tempos && !t->tempos) || (t->n_sigs && !t->sigs))
        return reel_fail(err, REEL_EARG, "%s: the tune's arrays are inconsistent", path);
    for (int32_t i = 0; i < t->n_notes; i++) {
        const Note *n = &t->notes[i];
        if (n->onset < 0 || n->dur < 1 || n->pitch > 127 || n->vel < 1 || n->vel > 127)
            return reel_fail(err, REEL_EARG,
                             "%s: note %d is not valid (onset %d, duration %d, pitch %d, "
                             "velocity %d)", path, i, n->onset, n->dur, n->pitch, n->vel);
        if ((int64_t)n->onset + n->dur > end)
            end = (int64_t)n->onset + n->dur;
    }
    for (int32_t i = 0; i < t->n_tempos; i++) {
        const TempoChange *c = &t->tempos[i];
        if (c->step < 0 || c->usec_per_quarter < 1 || c->usec_per_quarter > 0xffffff)
            return reel_fail(err, REEL_EARG,
                             "%s: tempo change %d is not valid (step %d, %d usec per quarter)",
                             path, i, c->step, c->usec_per_quarter);
        if (c->step > end)
            end = c->step;
    }
    for (int32_t i = 0; i < t->n_sigs; i++) {
        const TimeSig *g = &t->sigs[i];
        if (g->step < 0 || g->num < 1 || g->den < 1 || g->den > 128 || (g->den & (g->den - 1)))
            return reel_fail(err, REEL_EARG,
                             "%s: time signature %d is not valid (step %d, %d/%d)", path, i,
                             g->step, g->num, g->den);
        if (g->step > end)
            end = g->step;
    }
    if (end * tps > (int64_t)MIDI_MAX_TICK)
        return reel_fail(err, REEL_EARG, "%s: the tune is too long for a MIDI file (%lld steps)",
                         path, (long long)end);
    *end_out = (uint32_t)(end * tps);
    return REEL_OK;
}

/* Fill the conductor track: provenance text, tempos, time signatures. */
static bool write_conductor(smf_track_t *tr, const Tune *t, const MidiWriteOpts *o, uint32_t tps)
{
    WriteMeta *m;
    int32_t n = 0;
    bool ok = true;
    if (o->provenance) {
        const char *p = o->provenance;
        size_t left = strlen(p);
        while (ok && left > 0) {
            size_t k = utf8_prefix(p, left, MIDI_MAX_TEXT);
            ok = write_text(tr, 0x01, p, k, 0);
            p += k;
            left -= k;
        }
    }
    if (!ok)
        return false;
    if (t->n_tempos + t->n_sigs == 0)
        return true;
    m = malloc((size_t)(t->n_tempos + t->n_sigs) * sizeof *m);
    if (!m)
        return false;
    for (int32_t i = 0; i < t->n_tempos; i++, n++) {
        uint32_t u = (uint32_t)t->tempos[i].usec_per_quarter;
        m[n] = (WriteMeta){.tick = (uint32_t)t->tempos[i].step * tps, .seq = n, .len = 6,
                           .bytes = {0xff, 0x51, 3, (uint8_t)(u >> 16), (uint8_t)(u >> 8),
                                     (uint8_t)u}};
    }
    for (int32_t i = 0; i < t->n_sigs; i++, n++) {
        int dd = 0;
        while ((1 << dd) < t->sigs[i].den)
            dd++;
        /* clocks per metronome click: one beat of the denominator (24 per quarter) */
        m[n] = (WriteMeta){.tick = (uint32_t)t->sigs[i].step * tps, .seq = n, .len = 7,
                           .bytes = {0xff, 0x58, 4, t->sigs[i].num, (uint8_t)dd,
                                     (uint8_t)(96 / t->sigs[i].den ? 96 / t->sigs[i].den : 1), 8}};
    }
    qsort(m, (size_t)n, sizeof *m, write_meta_cmp);
    for (int32_t i = 0; ok && i < n; i++)
        ok = write_add(tr, smf_event_new_from_pointer(m[i].bytes, m[i].len), m[i].tick);
    free(m);
    return ok;
}

/* Fill the note track: name, program change, notes. */
static bool write_notes(smf_track_t *tr, const Tune *t, int chan, int program, uint32_t tps)
{
    const char *name = t->part && *t->part ? t->part : t->name;
    WriteNote *w;
    bool ok = true;
    if (name && *name && !write_text(tr, 0x03, name, utf8_prefix(name, strlen(name), MIDI_MAX_TEXT), 0))
        return false;
    if (program >= 0 && !write_add(tr, smf_event_new_from_bytes(0xc0 | chan, program, -1), 0))
        return false;
    if (t->n_notes == 0)
        return true;
    w = malloc((size_t)t->n_notes * 2 * sizeof *w);
    if (!w)
        return false;
    for (int32_t i = 0; i < t->n_notes; i++) {
        const Note *n = &t->notes[i];
        w[2 * i] = (WriteNote){.tick = (uint32_t)n->onset * tps, .kind = 1, .seq = i,
                               .pitch = n->pitch, .vel = n->vel};
        w[2 * i + 1] = (WriteNote){.tick = (uint32_t)(n->onset + n->dur) * tps, .kind = 0,
                                   .seq = i, .pitch = n->pitch, .vel = 64};
    }
    qsort(w, (size_t)t->n_notes * 2, sizeof *w, write_note_cmp);
    for (int32_t i = 0; ok && i < t->n_notes * 2; i++)
        ok = write_add(tr, smf_event_new_from_bytes((w[i].kind ? 0x90 : 0x80) | chan, w[i].pitch,
                                                    w[i].vel),
                       w[i].tick);
    free(w);
    return ok;
}

/* A MIDI variable-length number (at most 4 bytes for values below 2^28;
 * ticks here are below 2^31, so 5 at most) into p; returns its length. */
static size_t vlq_put(uint8_t *p, uint32_t v)
{
    uint8_t tmp[5];
    size_t k = 0;
    do {
        tmp[k++] = (uint8_t)(v & 0x7f);
        v >>= 7;
    } while (v);
    for (size_t i = 0; i < k; i++)
        p[i] = (uint8_t)(tmp[k - 1 - i] | (i + 1 < k ? 0x80 : 0));
    return k;
}

/* Serialize the tracks built with libsmf into the file tmp (path names the
 * file in messages).  Not smf_save(): Debian's libsmf is built with its
 * self-check on, which loads the saved file again and frees it event by
 * event from the front, quadratic in the events of a track (11 s for 100,000
 * notes, about 20 minutes for a million).  The events written here are
 * channel messages (status byte included, no running status) and metas
 * with one-byte lengths, whose midi_buffer is already their form in a file;
 * a sysex gets its length as a variable-length number. */
static ReelStatus smf_bytes(smf_t *smf, uint8_t **out, size_t *len_out, const char *path,
                            ReelError *err)
{
    size_t cap = 14, n = 0;
    uint8_t *buf;
    for (int t = 1; t <= smf->number_of_tracks; t++) {
        smf_track_t *tr = smf_get_track_by_number(smf, t);
        cap += 8;
        for (int e = 1; tr && e <= tr->number_of_events; e++)
            cap += 10 + (size_t)smf_track_get_event_by_number(tr, e)->midi_buffer_length;
    }
    if (!(buf = malloc(cap)))
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", path);
#define PUT32(v) (buf[n++] = (uint8_t)((v) >> 24), buf[n++] = (uint8_t)((v) >> 16), \
                  buf[n++] = (uint8_t)((v) >> 8), buf[n++] = (uint8_t)(v))
#define PUT16(v) (buf[n++] = (uint8_t)((v) >> 8), buf[n++] = (uint8_t)(v))
    memcpy(buf, "MThd", 4);
    n = 4;
    PUT32(6u);
    PUT16((unsigned)(smf->number_of_tracks > 1 ? 1 : 0));
    PUT16((unsigned)smf->number_of_tracks);
    PUT16((unsigned)smf->ppqn);
    for (int t = 1; t <= smf->number_of_tracks; t++) {
        smf_track_t *tr = smf_get_track_by_number(smf, t);
        size_t len_at;
        int prev = 0;
        memcpy(buf + n, "MTrk", 4);
        n += 4;
        len_at = n;
        n += 4;
        for (int e = 1; tr && e <= tr->number_of_events; e++) {
            const smf_event_t *ev = smf_track_get_event_by_number(tr, e);
            const uint8_t *b = ev->midi_buffer;
            size_t len = (size_t)ev->midi_buffer_length;
            uint32_t d = (uint32_t)(ev->time_pulses > prev ? ev->time_pulses - prev : 0);
            prev = ev->time_pulses;
            n += vlq_put(buf + n, d);
            if (len > 1 && b[0] == 0xf0) {
                buf[n++] = 0xf0;
                n += vlq_put(buf + n, (uint32_t)(len - 1));
                b++;
                len--;
            }
            memcpy(buf + n, b, len);
            n += len;
        }
        {
            size_t body = n - len_at - 4, keep = n;
            n = len_at;
            PUT32((uint32_t)body);
            n = keep;
        }
    }
#undef PUT32
#undef PUT16
    *out = buf;
    *len_out = n;
    return REEL_OK;
}

ReelStatus midi_write_tune(const char *path, const Tune *t, const MidiWriteOpts *opts,
                           ReelError *err)
{
    MidiWriteOpts o = {.channel = 0, .program = -1, .provenance = NULL, .ppq = 480};
    smf_t *smf = NULL;
    smf_track_t *cond, *notes;
    int program = -1;
    uint32_t end = 0, tps;
    ReelStatus st;

    if (!path || !*path || !t)
        return reel_fail(err, REEL_EARG, "midi_write_tune: no path or tune given");
    if (opts)
        o = *opts;
    if (o.ppq == 0)
        o.ppq = 480;
    st = write_check(path, t, &o, &program, &end, err);
    if (st)
        return st;
    tps = (uint32_t)o.ppq / TUNE_STEPS_PER_QUARTER;

    midi_log_begin();
    smf = smf_new();
    if (!smf)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory (%s)", path, midi_log_or("smf_new"));
    /* tracks join the smf before they get events: libsmf asserts otherwise */
    cond = smf_track_new();
    if (cond)
        smf_add_track(smf, cond);
    notes = cond ? smf_track_new() : NULL;
    if (notes)
        smf_add_track(smf, notes);
    if (!notes || smf_set_ppqn(smf, o.ppq) != 0 || !write_conductor(cond, t, &o, tps) ||
        !write_notes(notes, t, o.channel, program, tps) ||
        smf_track_add_eot_pulses(cond, (int)end) != 0 ||
        smf_track_add_eot_pulses(notes, (int)end) != 0) {
        st = reel_fail(err, REEL_ENOMEM, "%s: could not build the MIDI data: %s", path,
                       midi_log_or("out of memory"));
        midi_smf_free(smf);
        return st;
    }

    {
        uint8_t *bytes = NULL;
        size_t n = 0;
        st = smf_bytes(smf, &bytes, &n, path, err);
        midi_smf_free(smf);
        if (st == REEL_OK)
            st = file_write_atomic(path, bytes, n, err);
        free(bytes);
        return st;
    }
}
