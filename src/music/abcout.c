/* abcout.c — see abcout.h.  Sections: text buffer; key estimate and
 * spelling; the body (bars, pieces, accidentals); files. */
#include "files.h"
#include "abcout.h"
#include "keyprofile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Text buffer                                                               */

typedef struct {
    char *p;       /* owned until handed over; NUL-terminated once anything was added */
    size_t len, cap;
    bool oom;      /* an allocation failed: later input is ignored */
} Sb;

static void sb_putn(Sb *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(Sb *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(Sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(Sb *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sb_putn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Text without control characters (newlines become sep). */
static void sb_put_clean(Sb *b, const char *s, const char *sep)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            sb_puts(b, sep);
        else if (c < 0x20 || c == 0x7f)
            sb_putn(b, " ", 1);
        else
            sb_putn(b, s, 1);
    }
}

/* ------------------------------------------------------------------------ */
/* Key                                                                       */

/* Key signature of the major key on each tonic pitch class (Db, Eb, F#, Ab,
 * Bb rather than their enharmonics). */
static const int major_fifths[12] = {0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5};

AbcKey abcout_key_estimate(const Tune *t)
{
    double h[12] = {0};
    AbcKey best = {0, false, 0, 0.0};
    bool any = false, first = true;
    for (int32_t i = 0; t && i < t->n_notes; i++) {
        h[t->notes[i].pitch % 12] += t->notes[i].dur;
        any = true;
    }
    if (!any)
        return best;
    for (int tonic = 0; tonic < 12; tonic++)
        for (int minor = 0; minor < 2; minor++) {
            AbcKey k;
            k.tonic = tonic;
            k.minor = minor;
            k.fifths = minor ? major_fifths[(tonic + 3) % 12] : major_fifths[tonic];
            k.score = keyprofile_correlate(h, minor ? keyprofile_minor : keyprofile_major, tonic);
            if (isnan(k.score))
                k.score = 0.0;   /* a flat histogram fits every key alike */
            if (first || k.score > best.score + 1e-12 ||
                (fabs(k.score - best.score) <= 1e-12 &&
                 (abs(k.fifths) < abs(best.fifths) ||
                  (abs(k.fifths) == abs(best.fifths) && !k.minor && best.minor)))) {
                best = k;
                first = false;
            }
        }
    return best;
}

char *abcout_key_name(AbcKey k, char *buf)
{
    int t = ((k.tonic % 12) + 12) % 12;
    snprintf(buf, 8, "%s%s", keyprofile_tonic_name(t, k.minor), k.minor ? "m" : "");
    return buf;
}

/* Letters C D E F G A B are 0..6. */
static const int letter_pc[7] = {0, 2, 4, 5, 7, 9, 11};
static const char letter_char[7] = {'C', 'D', 'E', 'F', 'G', 'A', 'B'};

/* Alteration of each letter under a key signature of `fifths`. */
static void key_alterations(int fifths, int alt[7])
{
    static const int sharps[7] = {3, 0, 4, 1, 5, 2, 6}; /* F C G D A E B */
    static const int flats[7] = {6, 2, 5, 1, 4, 0, 3};  /* B E A D G C F */
    for (int l = 0; l < 7; l++)
        alt[l] = 0;
    for (int i = 0; i < fifths && i < 7; i++)
        alt[sharps[i]] = 1;
    for (int i = 0; i < -fifths && i < 7; i++)
        alt[flats[i]] = -1;
}

typedef struct {
    int letter;  /* 0..6 */
    int alt;     /* -1, 0, +1 */
    int octave;  /* of the letter, scientific (C4 = middle C) */
} Spelling;

typedef struct {
    AbcKey key;
    int alt[7];          /* key signature per letter */
    int tonic_letter;
} KeyCtx;

static KeyCtx key_ctx(AbcKey k)
{
    KeyCtx c;
    c.key = k;
    key_alterations(k.fifths, c.alt);
    c.tonic_letter = 0;
    for (int l = 0; l < 7; l++)
        if ((letter_pc[l] + c.alt[l] + 12) % 12 == k.tonic)
            c.tonic_letter = l;
    return c;
}

static Spelling spell(const KeyCtx *c, int pitch)
{
    Spelling s = {0, 0, 0};
    int pc = pitch % 12, found = 0;
    for (int l = 0; l < 7 && !found; l++)
        if ((letter_pc[l] + c->alt[l] + 12) % 12 == pc) {
            s.letter = l;
            s.alt = c->alt[l];
            found = 1;
        }
    for (int l = 0; l < 7 && !found; l++)
        if (letter_pc[l] == pc) {
            s.letter = l;
            s.alt = 0;
            found = 1;
        }
    if (!found) {
        /* A black key outside the key.  The leading note of a minor key is
         * the raised seventh letter; otherwise sharps in sharp keys (and C
         * major, but for Eb and Bb), flats in flat keys. */
        int seventh = (c->tonic_letter + 6) % 7;
        bool sharp;
        if (c->key.minor && pc == (c->key.tonic + 11) % 12 &&
            (letter_pc[seventh] + 1) % 12 == pc) {
            s.letter = seventh;
            s.alt = 1;
            found = 1;
        } else {
            sharp = c->key.fifths > 0 || (c->key.fifths == 0 && pc != 3 && pc != 10);
            for (int l = 0; l < 7; l++)
                if (sharp ? letter_pc[l] == (pc + 11) % 12 : letter_pc[l] == (pc + 1) % 12) {
                    s.letter = l;
                    s.alt = sharp ? 1 : -1;
                }
        }
    }
    s.octave = (pitch - s.alt - letter_pc[s.letter]) / 12 - 1;
    return s;
}

/* ------------------------------------------------------------------------ */
/* Body                                                                      */

#define ABC_OCTAVES 12  /* letter octaves -1..10 */

typedef struct {
    Sb *b;
    KeyCtx key;
    /* Alterations set by accidentals in the current bar: per letter and
     * octave (the standard's rule) and per letter (readers that carry an
     * accidental to every octave).  127 = none yet. */
    int8_t bar_alt[7][ABC_OCTAVES];
    int8_t letter_alt[7];
    int unit;           /* sixteenths in L: 1 (L:1/16) or 2 (L:1/8) */
    bool tied;          /* the last thing written ends in a tie */
} Writer;

static void bar_reset(Writer *w)
{
    memset(w->bar_alt, 127, sizeof w->bar_alt);
    memset(w->letter_alt, 127, sizeof w->letter_alt);
}

/* Length in sixteenths as a multiple of L (unit: 1 = L:1/16, 2 = L:1/8). */
static void put_len(Sb *b, int32_t d, int unit)
{
    if (unit == 1) {
        if (d != 1)
            sb_printf(b, "%ld", (long)d);
    } else if (d % 2 == 0) {
        if (d != 2)
            sb_printf(b, "%ld", (long)(d / 2));
    } else if (d == 1) {
        sb_puts(b, "/");
    } else {
        sb_printf(b, "%ld/2", (long)d);
    }
}

/* The longest plain or dotted length (in sixteenths) that fits in d. */
static int32_t piece_len(int32_t d)
{
    static const int32_t lens[] = {32, 24, 16, 12, 8, 6, 4, 3, 2, 1};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        if (lens[i] <= d)
            return lens[i];
    return 1;
}

static void put_pitch(Writer *w, int pitch)
{
    Spelling s = spell(&w->key, pitch);
    int oi = s.octave + 1, want = s.alt;
    int by_pitch, by_letter;
    char name;
    if (oi < 0)
        oi = 0;
    if (oi >= ABC_OCTAVES)
        oi = ABC_OCTAVES - 1;
    by_pitch = w->bar_alt[s.letter][oi] != 127 ? w->bar_alt[s.letter][oi] : w->key.alt[s.letter];
    by_letter = w->letter_alt[s.letter] != 127 ? w->letter_alt[s.letter] : w->key.alt[s.letter];
    /* Octave -1 (five commas): abc2midi 4.84 applies the key signature to
     * the wrong letter there, so every note in it carries its accidental. */
    if (s.octave < 0 || by_pitch != want || by_letter != want) {
        sb_puts(w->b, want > 0 ? "^" : want < 0 ? "_" : "=");
        w->bar_alt[s.letter][oi] = (int8_t)want;
        w->letter_alt[s.letter] = (int8_t)want;
    }
    name = letter_char[s.letter];
    if (s.octave >= 5) {
        char lower = (char)(name - 'A' + 'a');
        sb_putn(w->b, &lower, 1);
        for (int o = 5; o < s.octave; o++)
            sb_puts(w->b, "'");
    } else {
        sb_putn(w->b, &name, 1);
        for (int o = s.octave; o < 4; o++)
            sb_puts(w->b, ",");
    }
}

/* Write a note (pitch >= 0) or rest (pitch < 0) of len sixteenths starting
 * at pos in a bar that began at bar_start, split into plain and dotted
 * pieces; tie_out: the note goes on after this segment. */
static void put_segment(Writer *w, int pitch, int32_t pos, int32_t len, int32_t bar_start,
                        int32_t beat, bool tie_out)
{
    while (len > 0) {
        int32_t d = piece_len(len);
        if (pos > bar_start && (pos - bar_start) % beat == 0 && !w->tied)
            sb_puts(w->b, " ");
        if (pitch >= 0)
            put_pitch(w, pitch);
        else
            sb_puts(w->b, "z");
        put_len(w->b, d, w->unit);
        len -= d;
        pos += d;
        w->tied = pitch >= 0 && (len > 0 || tie_out);
        if (w->tied)
            sb_puts(w->b, "-");
    }
}

/* Steps of one beat, for spacing: a dotted quarter in compound metres
 * (6/8, 9/8, 12/8), else the beat unit, at least a quarter. */
static int32_t beat_steps(TimeSig s)
{
    int den = s.den ? s.den : 4;
    if (den == 8 && s.num % 3 == 0 && s.num > 3)
        return 6;
    return 16 / den >= 4 ? 16 / den : 4;
}

static int bpm_of(int32_t usec)
{
    return usec > 0 ? (int)lround(60000000.0 / (double)usec) : 120;
}

static ReelStatus check_mono(const Tune *t, ReelError *err)
{
    long overlaps = 0;
    int32_t end = 0;
    for (int32_t i = 0; i < t->n_notes; i++) {
        const Note *a = &t->notes[i];
        if (a->dur < 1 || a->onset < 0)
            return reel_fail(err, REEL_EARG, "ABC: note %ld has onset %ld, duration %ld",
                             (long)i, (long)a->onset, (long)a->dur);
        if (i > 0 && a->onset < t->notes[i - 1].onset)
            return reel_fail(err, REEL_EARG, "ABC: the notes are not sorted (tune_sort)");
        if (i > 0 && a->onset < end)
            overlaps++;
        if (a->onset + a->dur > end)
            end = a->onset + a->dur;
    }
    if (overlaps)
        return reel_fail(err, REEL_EARG,
                         "ABC output is one line of melody, but %ld note%s start%s while another "
                         "still sounds (chords or overlaps): write MIDI (.mid) instead",
                         overlaps, overlaps == 1 ? "" : "s", overlaps == 1 ? "s" : "");
    return REEL_OK;
}

static void put_body(Writer *w, const Tune *t, int32_t end)
{
    int32_t bar_start = 0, i = 0, tempo_i = 0;
    long bars = 0;
    while (tempo_i < t->n_tempos && t->tempos[tempo_i].step <= 0)
        tempo_i++;
    while (bar_start < end) {
        TimeSig sig = tune_sig_at(t, bar_start);
        int32_t bar_end = bar_start + tune_bar_steps_at(t, bar_start);
        int32_t beat = beat_steps(sig), pos = bar_start;
        for (int32_t s = 0; s < t->n_sigs; s++)
            if (t->sigs[s].step > bar_start && t->sigs[s].step < bar_end)
                bar_end = t->sigs[s].step; /* bars restart at a change */
        if (bar_end > end)
            bar_end = end;
        if (bar_start > 0)
            for (int32_t s = 0; s < t->n_sigs; s++)
                if (t->sigs[s].step == bar_start)
                    sb_printf(w->b, "[M:%d/%d]", t->sigs[s].num, t->sigs[s].den);
        bar_reset(w);
        while (pos < bar_end) {
            int32_t seg_end;
            int pitch = -1;
            bool tie_out = false;
            while (i < t->n_notes && t->notes[i].onset + t->notes[i].dur <= pos)
                i++;
            if (tempo_i < t->n_tempos && t->tempos[tempo_i].step <= pos) {
                while (tempo_i + 1 < t->n_tempos && t->tempos[tempo_i + 1].step <= pos)
                    tempo_i++;
                sb_printf(w->b, "[Q:1/4=%d]", bpm_of(t->tempos[tempo_i].usec_per_quarter));
                tempo_i++;
            }
            if (i < t->n_notes && t->notes[i].onset <= pos) {
                int32_t note_end = t->notes[i].onset + t->notes[i].dur;
                pitch = t->notes[i].pitch;
                seg_end = note_end < bar_end ? note_end : bar_end;
                tie_out = note_end > bar_end;
            } else {
                int32_t next = i < t->n_notes ? t->notes[i].onset : end;
                seg_end = next < bar_end ? next : bar_end;
            }
            put_segment(w, pitch, pos, seg_end - pos, bar_start, beat, tie_out);
            pos = seg_end;
        }
        bars++;
        bar_start = bar_end;
        if (bar_start >= end)
            sb_puts(w->b, "|]\n");
        else if (bars % 4 == 0)
            sb_puts(w->b, " |\n");
        else
            sb_puts(w->b, " | ");
    }
}

ReelStatus abcout_text(const Tune *t, const AbcOutOpts *o, char **out, ReelError *err)
{
    Sb b = {NULL, 0, 0, false};
    Writer w;
    AbcKey key;
    TimeSig sig;
    ReelStatus st;
    char kname[8];
    const char *title;
    int32_t end;
    int unit;
    *out = NULL;
    if (!t)
        return reel_fail(err, REEL_EARG, "abcout_text: no tune");
    if ((st = check_mono(t, err)))
        return st;
    end = t->n_steps;
    if (t->n_notes > 0) {
        const Note *last = &t->notes[t->n_notes - 1];
        if (last->onset + last->dur > end)
            end = last->onset + last->dur;
    }
    sig = tune_sig_at(t, 0);
    if (end <= 0)
        end = tune_bar_steps_at(t, 0); /* an empty tune: one bar of rest */

    key = abcout_key_estimate(t);
    title = o && o->title ? o->title : t->name && *t->name ? t->name : "Untitled";
    sb_printf(&b, "X:%d\nT:", o && o->x > 0 ? o->x : 1);
    sb_put_clean(&b, title, " ");
    sb_puts(&b, "\n");
    if (o && o->provenance && *o->provenance) {
        sb_puts(&b, "% ");
        sb_put_clean(&b, o->provenance, "\n% ");
        sb_puts(&b, "\nN:");
        sb_put_clean(&b, o->provenance, "; ");
        sb_puts(&b, "\n");
    }
    /* The standard's default unit: 1/16 for metres under 3/4 (2/4 reels), else 1/8. */
    unit = 4 * sig.num < 3 * sig.den ? 1 : 2;
    sb_printf(&b, "M:%d/%d\nL:1/%d\nQ:1/4=%d\n", sig.num, sig.den, unit == 1 ? 16 : 8,
              bpm_of(tune_tempo_at(t, 0)));
    if (t->program >= 0 && t->program <= 127)
        sb_printf(&b, "%%%%MIDI program %d\n", t->program);
    sb_printf(&b, "K:%s\n", abcout_key_name(key, kname));

    memset(&w, 0, sizeof w);
    w.b = &b;
    w.unit = unit;
    w.key = key_ctx(key);
    put_body(&w, t, end);
    if (b.oom || !b.p) {
        free(b.p);
        return reel_fail(err, REEL_ENOMEM, "out of memory writing ABC");
    }
    *out = b.p;
    return REEL_OK;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */

ReelStatus abcout_write(const char *path, const Tune *t, const AbcOutOpts *o, ReelError *err)
{
    char *text = NULL;
    ReelStatus st;
    if (!path || !*path)
        return reel_fail(err, REEL_EARG, "abcout_write: no path");
    if ((st = abcout_text(t, o, &text, err)))
        return st;
    st = file_write_atomic(path, text, strlen(text), err);
    free(text);
    return st;
}
