/* test_audio_wav.h — listening helpers for the audio tests: read a WAV,
 * measure the pitch of a note (YIN autocorrelation), find its onset
 * (against a reference attack, or by its envelope), and levels.
 *
 * A melody for the tests is a list of TestNote with exact onset frames;
 * check_notes_in measures every note of it in a signal and reports the
 * worst errors.
 */
#ifndef REEL_TEST_AUDIO_WAV_H
#define REEL_TEST_AUDIO_WAV_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "player.h"
#include "testlib.h"
#include "tune.h"

typedef struct {
    int rate, channels, bits;
    float *x;             /* mono (the channels averaged), frames */
    size_t frames;
} Wav;

static inline uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Read a PCM 16-bit or float 32-bit WAV.  Returns 0, or -1 with why. */
static inline int wav_read(const char *path, Wav *w, char *why, size_t whysz)
{
    FILE *f = fopen(path, "rb");
    unsigned char *d = NULL, *fmt = NULL, *data = NULL;
    long len;
    size_t pos = 12, data_len = 0;
    int format = 0;
    memset(w, 0, sizeof *w);
    if (!f) {
        snprintf(why, whysz, "%s: cannot open", path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (len < 44 || !(d = malloc((size_t)len)) || fread(d, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(d);
        snprintf(why, whysz, "%s: too short or unreadable", path);
        return -1;
    }
    fclose(f);
    if (memcmp(d, "RIFF", 4) || memcmp(d + 8, "WAVE", 4)) {
        free(d);
        snprintf(why, whysz, "%s: not RIFF/WAVE", path);
        return -1;
    }
    while (pos + 8 <= (size_t)len) {
        uint32_t sz = le32(d + pos + 4);
        if (!memcmp(d + pos, "fmt ", 4))
            fmt = d + pos + 8;
        if (!memcmp(d + pos, "data", 4)) {
            data = d + pos + 8;
            data_len = (size_t)len - (pos + 8);
            if (sz < data_len)
                data_len = sz;
            break;
        }
        pos += 8 + sz + (sz & 1);
    }
    if (!fmt || !data) {
        free(d);
        snprintf(why, whysz, "%s: no fmt or data chunk", path);
        return -1;
    }
    format = le16(fmt);
    w->channels = le16(fmt + 2);
    w->rate = (int)le32(fmt + 4);
    w->bits = le16(fmt + 14);
    if (format == 0xFFFE)      /* WAVE_FORMAT_EXTENSIBLE: the subformat's first two bytes */
        format = le16(fmt + 24);
    if (w->channels < 1 || !((format == 1 && w->bits == 16) || (format == 3 && w->bits == 32))) {
        free(d);
        snprintf(why, whysz, "%s: format %d, %d bits: not 16-bit PCM or float", path, format,
                 w->bits);
        return -1;
    }
    w->frames = data_len / (size_t)(w->channels * w->bits / 8);
    w->x = malloc((w->frames ? w->frames : 1) * sizeof *w->x);
    for (size_t i = 0; i < w->frames; i++) {
        double sum = 0;
        for (int c = 0; c < w->channels; c++) {
            const unsigned char *p = data + (i * (size_t)w->channels + (size_t)c) * (size_t)(w->bits / 8);
            if (format == 1) {
                sum += (int16_t)le16(p) / 32768.0;
            } else {
                uint32_t u = le32(p);
                float v;
                memcpy(&v, &u, 4);
                sum += v;
            }
        }
        w->x[i] = (float)(sum / w->channels);
    }
    free(d);
    return 0;
}

static inline void wav_free(Wav *w)
{
    free(w->x);
    memset(w, 0, sizeof *w);
}

/* Interleaved stereo float buffer to mono. */
static inline float *mono_of(const float *st, size_t frames)
{
    float *m = malloc((frames ? frames : 1) * sizeof *m);
    for (size_t i = 0; i < frames; i++)
        m[i] = 0.5f * (st[2 * i] + st[2 * i + 1]);
    return m;
}

static inline double rms_db(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return n ? 10 * log10(s / (double)n + 1e-30) : -300;
}

static inline double peak_db(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m)
            m = fabs(x[i]);
    return 20 * log10(m + 1e-30);
}

/* Fundamental of x[0..n) by YIN (de Cheveigné & Kawahara): the first lag
 * whose cumulative-mean-normalized difference dips under 0.15, refined by
 * a parabola.  Searches fmin..fmax; 0 when nothing is periodic. */
static inline double yin_pitch(const float *x, size_t n, int rate, double fmin, double fmax)
{
    size_t tmin = (size_t)(rate / fmax), tmax = (size_t)(rate / fmin) + 2, w;
    double *d, run = 0, best = 0;
    size_t tau, pick = 0;
    if (n < 2 * tmax)
        return 0;
    w = n - tmax;
    d = calloc(tmax + 1, sizeof *d);
    for (tau = 1; tau <= tmax; tau++) {
        double s = 0;
        for (size_t j = 0; j < w; j++) {
            double e = (double)x[j] - x[j + tau];
            s += e * e;
        }
        run += s;
        d[tau] = run > 0 ? s * (double)tau / run : 1;
    }
    for (tau = tmin > 2 ? tmin : 2; tau < tmax; tau++)
        if (d[tau] < 0.15) {
            while (tau + 1 < tmax && d[tau + 1] < d[tau])
                tau++;
            pick = tau;
            break;
        }
    if (!pick) {   /* no dip under the threshold: the global minimum */
        double m = 1e9;
        for (tau = tmin > 2 ? tmin : 2; tau < tmax; tau++)
            if (d[tau] < m) {
                m = d[tau];
                pick = tau;
            }
        if (m > 0.5)
            pick = 0;
    }
    if (pick) {
        double a = d[pick - 1], b = d[pick], c = d[pick + 1], den = a - 2 * b + c;
        best = (double)pick + (den != 0 ? 0.5 * (a - c) / den : 0);
    }
    free(d);
    return best > 0 ? rate / best : 0;
}

static inline double midi_hz(int pitch)
{
    return 440.0 * pow(2.0, (pitch - 69) / 12.0);
}

static inline double cents_off(double hz, int pitch)
{
    return hz > 0 ? 1200.0 * log2(hz / midi_hz(pitch)) : 1e9;
}

/* The lag (frames, within +-maxlag of expected) at which ref matches x
 * best (normalized cross-correlation); *score gets the correlation. */
static inline long match_lag(const float *x, size_t n, long expected, const float *ref, size_t rn,
                      long maxlag, double *score)
{
    double er = 0, bestc = -2;
    long best = 0;
    for (size_t k = 0; k < rn; k++)
        er += (double)ref[k] * ref[k];
    for (long lag = -maxlag; lag <= maxlag; lag++) {
        long at = expected + lag;
        double c = 0, ex = 0;
        if (at < 0 || (size_t)at + rn > n)
            continue;
        for (size_t k = 0; k < rn; k++) {
            c += (double)x[at + (long)k] * ref[k];
            ex += (double)x[at + (long)k] * x[at + (long)k];
        }
        c = c / sqrt(er * ex + 1e-30);
        if (c > bestc) {
            bestc = c;
            best = lag;
        }
    }
    if (score)
        *score = bestc;
    return best;
}

/* Envelope onset: the first frame from expected - pre where |x| reaches
 * frac of the note's peak (the peak over [expected, expected + span)). */
static inline long env_onset(const float *x, size_t n, long expected, long pre, long span, double frac)
{
    double peak = 0;
    long a = expected - pre < 0 ? 0 : expected - pre;
    for (long i = expected; i < expected + span && (size_t)i < n; i++)
        if (fabs(x[i]) > peak)
            peak = fabs(x[i]);
    for (long i = a; i < expected + span && (size_t)i < n; i++)
        if (fabs(x[i]) >= frac * peak)
            return i;
    return -1;
}

/* ---- a melody and its expected frames ----------------------------------- */

typedef struct {
    int pitch;
    double frame;       /* exact onset frame (unrounded) */
    double off_frame;
} TestNote;

/* Frames of every note of t (sorted) from the player's own tempo map,
 * played from step 0, at rate. */
static inline int test_expected(Player *p, const Tune *t, int rate, TestNote *out)
{
    for (int32_t i = 0; i < t->n_notes; i++) {
        out[i].pitch = t->notes[i].pitch;
        out[i].frame = player_seconds(p, 0, t->notes[i].onset) * rate;
        out[i].off_frame = player_seconds(p, 0, t->notes[i].onset + t->notes[i].dur) * rate;
    }
    return t->n_notes;
}

/* Reference attacks: each pitch of the melody rendered alone at a known
 * frame (a multiple of 64: exactly on FluidSynth's block grid) with the
 * same soundfont and program.  refs[pitch] is REF_LEN frames from the
 * onset, or NULL. */
#define REF_LEN 960     /* 20 ms at 48 kHz */
typedef struct {
    float *at[128];
} TestRefs;

static inline void refs_free(TestRefs *r)
{
    for (int i = 0; i < 128; i++)
        free(r->at[i]);
    memset(r, 0, sizeof *r);
}

static inline int refs_make(TestRefs *r, const char *sf2, int rate, int program, const TestNote *notes,
                     int n, const char *tmpdir)
{
    char path[1024];
    memset(r, 0, sizeof *r);
    for (int i = 0; i < n; i++) {
        int pitch = notes[i].pitch;
        AudioSynthOpts so = {sf2, rate, 0, 0, false, false};
        AudioSynth *s;
        ReelError err;
        AudioEvent ev[3];
        AudioRenderOpts ro = {path, 1.0, true};
        Wav w;
        char why[256];
        const long at = 64 * 100;
        if (r->at[pitch])
            continue;
        snprintf(path, sizeof path, "%s/ref-%d.wav", tmpdir, pitch);
        memset(ev, 0, sizeof ev);
        ev[0].type = AUDIO_EV_PROGRAM;
        ev[0].v.i = program;
        ev[1].frame = (uint64_t)at;
        ev[1].type = AUDIO_EV_NOTE_ON;
        ev[1].d1 = (uint8_t)pitch;
        ev[1].d2 = 100;
        ev[2].frame = (uint64_t)at + (uint64_t)rate / 4;
        ev[2].type = AUDIO_EV_NOTE_OFF;
        ev[2].d1 = (uint8_t)pitch;
        if (audio_synth_new(&s, &so, &err)) {
            fprintf(stderr, "reference synth: %s\n", err.msg);
            return -1;
        }
        if (audio_render_wav(s, ev, 3, &ro, NULL, &err)) {
            fprintf(stderr, "reference render: %s\n", err.msg);
            audio_synth_free(s);
            return -1;
        }
        audio_synth_free(s);
        if (wav_read(path, &w, why, sizeof why) || w.frames < (size_t)at + REF_LEN) {
            fprintf(stderr, "reference: %s\n", why);
            return -1;
        }
        r->at[pitch] = malloc(REF_LEN * sizeof(float));
        memcpy(r->at[pitch], w.x + at, REF_LEN * sizeof(float));
        wav_free(&w);
    }
    return 0;
}

typedef struct {
    double max_cents;       /* worst |pitch error| */
    double max_onset_ms;    /* worst |onset error| against the reference attack */
    double mean_onset_ms;
    double max_env_ms;      /* worst |envelope onset - scheduled| (if measured) */
    double min_score;       /* worst reference match */
    int checked;
} NoteFigures;

/* Measure every note in x (mono, rate) whose scheduled onset is at
 * base + notes[i].frame.  Pitch over 60..160 ms after the onset, past the
 * attack (shorter notes: their middle), onset by the reference attack within +-15 ms;
 * env_frac > 0 also measures the envelope onset.  CHECKs each note against
 * the limits and returns the figures. */
static inline NoteFigures check_notes_in(const char *what, const float *x, size_t n, int rate,
                                  double base, const TestNote *notes, int count,
                                  const TestRefs *refs, double cents_max, double onset_ms_max,
                                  double env_frac, double env_ms_max)
{
    NoteFigures f;
    memset(&f, 0, sizeof f);
    f.min_score = 1;
    for (int i = 0; i < count; i++) {
        double exact = base + notes[i].frame, score = 0, hz, c, on_ms;
        long expected = lround(exact), lag;
        size_t a = (size_t)(exact + 0.060 * rate), len = (size_t)(0.100 * rate);
        double dur = notes[i].off_frame - notes[i].frame;
        if (dur < 0.18 * rate) {
            a = (size_t)(exact + dur * 0.25);
            len = (size_t)(dur * 0.6);
        }
        if (a + len > n) {
            CHECK(0, "%s: note %d (pitch %d) at frame %.0f is past the end (%zu frames)", what, i,
                  notes[i].pitch, exact, n);
            continue;
        }
        hz = yin_pitch(x + a, len, rate, 50, 2500);
        c = cents_off(hz, notes[i].pitch);
        CHECK(fabs(c) <= cents_max, "%s: note %d should be MIDI %d (%.1f Hz), measured %.2f Hz "
              "(%+.1f cents)", what, i, notes[i].pitch, midi_hz(notes[i].pitch), hz, c);
        if (fabs(c) > f.max_cents)
            f.max_cents = fabs(c);
        if (refs && refs->at[notes[i].pitch]) {
            lag = match_lag(x, n, expected, refs->at[notes[i].pitch], REF_LEN,
                            (long)(0.015 * rate), &score);
            on_ms = ((double)(expected + lag) - exact) * 1000.0 / rate;
            CHECK(fabs(on_ms) <= onset_ms_max && score > 0.8,
                  "%s: note %d (MIDI %d) starts %+.3f ms from its step (match %.3f)", what, i,
                  notes[i].pitch, on_ms, score);
            if (fabs(on_ms) > f.max_onset_ms)
                f.max_onset_ms = fabs(on_ms);
            f.mean_onset_ms += fabs(on_ms) / count;
            if (score < f.min_score)
                f.min_score = score;
        }
        if (env_frac > 0) {
            long e = env_onset(x, n, expected, (long)(0.020 * rate), (long)(0.100 * rate),
                               env_frac);
            double ems = e < 0 ? 1e9 : ((double)e - exact) * 1000.0 / rate;
            CHECK(fabs(ems) <= env_ms_max, "%s: note %d (MIDI %d): envelope reaches %.0f%% of "
                  "its peak %+.2f ms from its step", what, i, notes[i].pitch, env_frac * 100, ems);
            if (fabs(ems) > f.max_env_ms)
                f.max_env_ms = fabs(ems);
        }
        f.checked++;
    }
    return f;
}

/* The first frame at or after from where the rms over 5 ms exceeds db. */
static inline long first_sound(const float *x, size_t n, size_t from, double db, int rate)
{
    size_t w = (size_t)(0.005 * rate);
    for (size_t i = from; i + w <= n; i += w / 2)
        if (rms_db(x + i, w) > db)
            return (long)i;
    return -1;
}

/* A test melody on C major, every note 2 steps long with 2 steps of rest
 * (the last one 4), upq microseconds per quarter until step 16, then 90
 * bpm.  At 112 bpm (535714) the onsets fall between FluidSynth's 64-frame
 * block edges, so the grid's rounding is part of what is measured. */
static inline void test_melody(Tune *t, int32_t upq)
{
    static const int pitches[] = {60, 64, 67, 72, 71, 69, 65, 62, 60, 76};
    ReelError err;
    tune_init(t);
    tune_add_tempo(t, 0, upq, &err);
    tune_add_tempo(t, 16, 666667, &err);
    for (int i = 0; i < 10; i++)
        tune_add_note(t, i * 4, i == 9 ? 4 : 2, pitches[i], 100, &err);
    tune_set_strings(t, "test", NULL, NULL, &err);
    tune_sort(t);
}

#endif
