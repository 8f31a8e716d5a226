/* tune.c — see tune.h. */
#include "grow.h"
#include "tune.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tune_init(Tune *t)
{
    memset(t, 0, sizeof *t);
    t->program = -1;
}

void tune_free(Tune *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->source);
    free(t->part);
    free(t->notes);
    free(t->tempos);
    free(t->sigs);
    tune_init(t);
}

static char *dup_or_null(const char *s, bool *fail)
{
    char *d;
    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        *fail = true;
    return d;
}

ReelStatus tune_set_strings(Tune *t, const char *name, const char *source, const char *part,
                            ReelError *err)
{
    bool fail = false;
    char *n = dup_or_null(name, &fail), *s = dup_or_null(source, &fail),
         *p = dup_or_null(part, &fail);
    if (fail) {
        free(n);
        free(s);
        free(p);
        return reel_fail(err, REEL_ENOMEM, "out of memory copying tune names");
    }
    free(t->name);
    free(t->source);
    free(t->part);
    t->name = n;
    t->source = s;
    t->part = p;
    return REEL_OK;
}

ReelStatus tune_copy_meta(Tune *dst, const Tune *src, ReelError *err)
{
    Tune d;
    tune_init(&d);
    if (tune_set_strings(&d, src->name, src->source, src->part, err))
        return err ? err->status : REEL_ENOMEM;
    if (src->n_tempos) {
        d.tempos = malloc((size_t)src->n_tempos * sizeof *d.tempos);
        if (!d.tempos)
            goto nomem;
        memcpy(d.tempos, src->tempos, (size_t)src->n_tempos * sizeof *d.tempos);
        d.n_tempos = src->n_tempos;
    }
    if (src->n_sigs) {
        d.sigs = malloc((size_t)src->n_sigs * sizeof *d.sigs);
        if (!d.sigs)
            goto nomem;
        memcpy(d.sigs, src->sigs, (size_t)src->n_sigs * sizeof *d.sigs);
        d.n_sigs = src->n_sigs;
    }
    d.program = src->program;
    d.shift = src->shift;
    d.n_steps = src->n_steps;
    d.q = src->q;
    *dst = d;
    return REEL_OK;
nomem:
    tune_free(&d);
    return reel_fail(err, REEL_ENOMEM, "out of memory copying a tune");
}

ReelStatus tune_copy(Tune *dst, const Tune *src, ReelError *err)
{
    Tune d;
    ReelStatus s = tune_copy_meta(&d, src, err);
    if (s)
        return s;
    if (src->n_notes) {
        d.notes = malloc((size_t)src->n_notes * sizeof *d.notes);
        if (!d.notes) {
            tune_free(&d);
            return reel_fail(err, REEL_ENOMEM, "out of memory copying a tune");
        }
        memcpy(d.notes, src->notes, (size_t)src->n_notes * sizeof *d.notes);
        d.n_notes = d.cap = src->n_notes;
    }
    *dst = d;
    return REEL_OK;
}

ReelStatus tune_add_note(Tune *t, int32_t onset, int32_t dur, int pitch, int vel, ReelError *err)
{
    Note *n;
    if (onset < 0 || dur < 1 || pitch < 0 || pitch > 127 || vel < 1 || vel > 127 ||
        onset > INT32_MAX - dur)
        return reel_fail(err, REEL_EARG, "note out of range (onset %ld, duration %ld, pitch %d, "
                                         "velocity %d)", (long)onset, (long)dur, pitch, vel);
    if (!grow((void **)&t->notes, &t->cap, t->n_notes + 1, sizeof *t->notes))
        return reel_fail(err, REEL_ENOMEM, "out of memory adding a note");
    n = &t->notes[t->n_notes++];
    n->onset = onset;
    n->dur = dur;
    n->pitch = (uint8_t)pitch;
    n->vel = (uint8_t)vel;
    if (onset + dur > t->n_steps)
        t->n_steps = onset + dur;
    return REEL_OK;
}

ReelStatus tune_add_tempo(Tune *t, int32_t step, int32_t usec_per_quarter, ReelError *err)
{
    TempoChange *p;
    if (step < 0 || usec_per_quarter <= 0 || usec_per_quarter > 0xFFFFFF)
        return reel_fail(err, REEL_EARG, "tempo out of range (%ld us per quarter at step %ld)",
                         (long)usec_per_quarter, (long)step);
    /* A change at the same step as the last one replaces it. */
    if (t->n_tempos && t->tempos[t->n_tempos - 1].step == step) {
        t->tempos[t->n_tempos - 1].usec_per_quarter = usec_per_quarter;
        return REEL_OK;
    }
    p = realloc(t->tempos, (size_t)(t->n_tempos + 1) * sizeof *p);
    if (!p)
        return reel_fail(err, REEL_ENOMEM, "out of memory adding a tempo");
    t->tempos = p;
    p[t->n_tempos].step = step;
    p[t->n_tempos].usec_per_quarter = usec_per_quarter;
    t->n_tempos++;
    return REEL_OK;
}

static bool power_of_two(int d)
{
    return d > 0 && (d & (d - 1)) == 0;
}

ReelStatus tune_add_sig(Tune *t, int32_t step, int num, int den, ReelError *err)
{
    TimeSig *p;
    if (step < 0 || num < 1 || num > 255 || !power_of_two(den) || den > 64)
        return reel_fail(err, REEL_EARG, "time signature %d/%d at step %ld is not valid", num,
                         den, (long)step);
    if (t->n_sigs && t->sigs[t->n_sigs - 1].step == step) {
        t->sigs[t->n_sigs - 1].num = (uint8_t)num;
        t->sigs[t->n_sigs - 1].den = (uint8_t)den;
        return REEL_OK;
    }
    p = realloc(t->sigs, (size_t)(t->n_sigs + 1) * sizeof *p);
    if (!p)
        return reel_fail(err, REEL_ENOMEM, "out of memory adding a time signature");
    t->sigs = p;
    p[t->n_sigs].step = step;
    p[t->n_sigs].num = (uint8_t)num;
    p[t->n_sigs].den = (uint8_t)den;
    t->n_sigs++;
    return REEL_OK;
}

ReelStatus tune_set_meter(Tune *t, int num, int den, ReelError *err)
{
    free(t->sigs);
    t->sigs = NULL;
    t->n_sigs = 0;
    return tune_add_sig(t, 0, num, den, err);
}

ReelStatus tune_set_bpm(Tune *t, double bpm, ReelError *err)
{
    free(t->tempos);
    t->tempos = NULL;
    t->n_tempos = 0;
    return tune_add_tempo(t, 0, (int32_t)lround(60000000.0 / bpm), err);
}

static int note_cmp(const void *a, const void *b)
{
    const Note *x = a, *y = b;
    if (x->onset != y->onset)
        return x->onset < y->onset ? -1 : 1;
    if (x->pitch != y->pitch)
        return x->pitch < y->pitch ? -1 : 1;
    if (x->dur != y->dur)
        return x->dur < y->dur ? -1 : 1;
    return (int)x->vel - (int)y->vel;
}

void tune_sort(Tune *t)
{
    if (t->n_notes > 1)
        qsort(t->notes, (size_t)t->n_notes, sizeof *t->notes, note_cmp);
    for (int32_t i = 0; i < t->n_notes; i++)
        if (t->notes[i].onset + t->notes[i].dur > t->n_steps)
            t->n_steps = t->notes[i].onset + t->notes[i].dur;
}

TimeSig tune_sig_at(const Tune *t, int32_t step)
{
    TimeSig s = {0, 4, 4};
    for (int32_t i = 0; i < t->n_sigs && t->sigs[i].step <= step; i++)
        s = t->sigs[i];
    return s;
}

static int32_t sig_bar_steps(TimeSig s)
{
    /* A bar of num beats of 1/den: num * 16/den sixteenths.  Beats shorter
     * than a 16th (den 32, 64) round the bar up to at least one step. */
    int32_t steps = (int32_t)s.num * 16 / (s.den ? s.den : 4);
    return steps > 0 ? steps : 1;
}

int32_t tune_bar_steps_at(const Tune *t, int32_t step)
{
    return sig_bar_steps(tune_sig_at(t, step));
}

bool tune_is_bar_start(const Tune *t, int32_t step)
{
    TimeSig s = {0, 4, 4};
    /* Bars restart at each time-signature change. */
    for (int32_t i = 0; i < t->n_sigs && t->sigs[i].step <= step; i++)
        s = t->sigs[i];
    return (step - s.step) % sig_bar_steps(s) == 0;
}

int32_t tune_next_bar(const Tune *t, int32_t s)
{
    int32_t e = s + tune_bar_steps_at(t, s);
    for (int32_t i = 0; i < t->n_sigs; i++)
        if (t->sigs[i].step > s && t->sigs[i].step < e)
            e = t->sigs[i].step;
    return e;
}

int32_t tune_bars(const Tune *t, int32_t *starts, int32_t max)
{
    int32_t count = 0, s = 0;
    while (s < t->n_steps) {
        int32_t e = tune_next_bar(t, s);
        if (e > t->n_steps)
            break;
        if (starts && count < max)
            starts[count] = s;
        count++;
        s = e;
    }
    if (starts && count < max)
        starts[count] = s;
    return count;
}

int32_t tune_tempo_at(const Tune *t, int32_t step)
{
    int32_t u = 500000;
    for (int32_t i = 0; i < t->n_tempos && t->tempos[i].step <= step; i++)
        u = t->tempos[i].usec_per_quarter;
    return u;
}

long tune_count_matching(const Tune *a, const Tune *b)
{
    /* Both sorted by onset: walk b's window of equal onsets for each note of a. */
    long match = 0;
    int32_t j0 = 0;
    bool *used;
    if (!a->n_notes || !b->n_notes)
        return 0;
    used = calloc((size_t)b->n_notes, 1);
    if (!used)
        return -1;
    for (int32_t i = 0; i < a->n_notes; i++) {
        const Note *x = &a->notes[i];
        while (j0 < b->n_notes && b->notes[j0].onset < x->onset)
            j0++;
        for (int32_t j = j0; j < b->n_notes && b->notes[j].onset == x->onset; j++) {
            if (!used[j] && b->notes[j].pitch == x->pitch && b->notes[j].dur == x->dur) {
                used[j] = true;
                match++;
                break;
            }
        }
    }
    free(used);
    return match;
}

bool tune_pitch_range(const Tune *t, int *lo, int *hi)
{
    int l = 128, h = -1;
    for (int32_t i = 0; i < t->n_notes; i++) {
        if (t->notes[i].pitch < l)
            l = t->notes[i].pitch;
        if (t->notes[i].pitch > h)
            h = t->notes[i].pitch;
    }
    if (h < 0)
        return false;
    *lo = l;
    *hi = h;
    return true;
}

static const char *const pitch_names[12] = {"C", "C#", "D", "D#", "E", "F",
                                            "F#", "G", "G#", "A", "A#", "B"};

char *pitch_name(int pitch, char buf[6])
{
    if (pitch < 0 || pitch > 127) {
        strcpy(buf, "?");
        return buf;
    }
    /* MIDI 60 = C4, so octave = pitch/12 - 1 (MIDI 0 is C-1). */
    snprintf(buf, 6, "%s%d", pitch_names[pitch % 12], pitch / 12 - 1);
    return buf;
}

int pitch_parse(const char *s)
{
    static const int base[7] = {9, 11, 0, 2, 4, 5, 7}; /* A B C D E F G */
    int p, oct, sign = 1;
    char c;
    if (!s || !*s)
        return -1;
    c = (char)toupper((unsigned char)*s++);
    if (c < 'A' || c > 'G')
        return -1;
    p = base[c - 'A'];
    while (*s == '#' || *s == 'b') {
        p += *s == '#' ? 1 : -1;
        s++;
    }
    if (*s == '-') {
        sign = -1;
        s++;
    }
    if (!isdigit((unsigned char)*s))
        return -1;
    oct = 0;
    while (isdigit((unsigned char)*s)) {
        oct = oct * 10 + (*s++ - '0');
        if (oct > 20)
            return -1;
    }
    if (*s)
        return -1;
    p += (sign * oct + 1) * 12;
    return p >= 0 && p <= 127 ? p : -1;
}
