/* quant.c — choose a file's melody part and put it on the 16th-step grid.
 * See quant.h.  Pure: no I/O, no libraries but libc.
 */
#include "quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DRUM_CHANNEL 9       /* General MIDI channel 10 */
#define GRID_TOLERANCE 0.1   /* an onset within 0.1 step of a grid point is on the grid */
#define PHASES 40            /* phase candidates per step: 3 ticks apart at 480 ppq */
#define MONO_MAX_OVERLAP 0.10 /* a part is monophonic when <= 10% of its notes overlap */
/* The longest tune read: 2^20 16th steps, 65,536 bars of 4/4 (36 hours at
 * 120 bpm).  Longer ones are refused with the file's name rather than
 * loaded: an encoding holds up to 256 floats a step (roll128), so this keeps
 * one tune's encoding under 1 GiB (reel corpus encodes one tune at a time). */
#define QUANT_MAX_STEPS (1 << 20)

/* One channel of one track. */
typedef struct {
    int track, chan;
    int32_t n_notes;
    int32_t overlaps;   /* notes starting while another note of the part sounds */
} Part;

/* Does note n belong to the selection? */
typedef struct {
    int mode;           /* 0: one part (track, chan), 1: whole tracks in mask, 2: all */
    int track, chan;
    const unsigned char *track_mask;
} Selection;

static bool selected(const Selection *s, const MidiNote *n)
{
    if (n->chan == DRUM_CHANNEL)
        return false;
    switch (s->mode) {
    case 0: return n->track == s->track && n->chan == s->chan;
    case 1: return s->track_mask[n->track] != 0;
    default: return true;
    }
}

/* Count notes and overlaps of every (track, channel) part.  parts is
 * (n_tracks * 16), indexed track * 16 + chan. */
static void count_parts(const MidiSong *song, Part *parts)
{
    /* Latest note-off per part, to find notes that start under another. */
    uint32_t *last_off = calloc((size_t)song->n_tracks * 16, sizeof *last_off);
    uint32_t slack = (uint32_t)(song->ppq / 8); /* legato overlaps up to a 32nd are not chords */
    for (int32_t t = 0; t < song->n_tracks; t++)
        for (int c = 0; c < 16; c++) {
            Part *p = &parts[t * 16 + c];
            p->track = (int)t;
            p->chan = c;
            p->n_notes = p->overlaps = 0;
        }
    for (int32_t i = 0; i < song->n_notes; i++) {
        const MidiNote *n = &song->notes[i];
        size_t k = (size_t)n->track * 16 + n->chan;
        parts[k].n_notes++;
        if (last_off) {
            if (n->on + slack < last_off[k])
                parts[k].overlaps++;
            if (n->off > last_off[k])
                last_off[k] = n->off;
        }
    }
    free(last_off);
}

static bool is_mono(const Part *p)
{
    return p->overlaps <= MONO_MAX_OVERLAP * p->n_notes;
}

/* Decide what to take from the song.  Fills *sel and a part description. */
static ReelStatus choose_part(const MidiSong *song, const QuantOpts *opts, const char *source,
                              Selection *sel, unsigned char *mask, char *desc, size_t desc_len,
                              ReelError *err)
{
    Part *parts, *best = NULL;
    bool any_drums = false, any_mask = false;
    const char *want = opts ? opts->part : NULL;

    if (want && strcasecmp(want, "all") == 0) {
        sel->mode = 2;
        snprintf(desc, desc_len, "all");
        return REEL_OK;
    }
    /* A named track: the one asked for, or MELODY when it exists. */
    for (int32_t t = 0; t < song->n_tracks; t++) {
        const char *name = song->tracks[t].name;
        mask[t] = name && strcasecmp(name, want ? want : "MELODY") == 0;
        any_mask |= mask[t];
    }
    if (any_mask) {
        sel->mode = 1;
        sel->track_mask = mask;
        snprintf(desc, desc_len, "%s", want ? want : "MELODY");
        return REEL_OK;
    }
    if (want)
        return reel_fail(err, REEL_EEMPTY, "%s: no track named \"%s\"", source, want);

    parts = malloc((size_t)song->n_tracks * 16 * sizeof *parts);
    if (!parts)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", source);
    count_parts(song, parts);
    for (int32_t k = 0; k < song->n_tracks * 16; k++) {
        Part *p = &parts[k];
        if (!p->n_notes)
            continue;
        if (p->chan == DRUM_CHANNEL) {
            any_drums = true;
            continue;
        }
        /* Monophonic parts beat polyphonic ones; then the busiest. */
        if (!best || (is_mono(p) && !is_mono(best)) ||
            (is_mono(p) == is_mono(best) && p->n_notes > best->n_notes))
            best = p;
    }
    if (!best) {
        free(parts);
        if (any_drums)
            return reel_fail(err, REEL_EEMPTY, "%s: only drums (channel 10), no melody", source);
        return reel_fail(err, REEL_EEMPTY, "%s: no notes", source);
    }
    sel->mode = 0;
    sel->track = best->track;
    sel->chan = best->chan;
    if (song->tracks[best->track].name && *song->tracks[best->track].name)
        snprintf(desc, desc_len, "%s (track %d, channel %d)", song->tracks[best->track].name,
                 best->track + 1, best->chan + 1);
    else
        snprintf(desc, desc_len, "track %d, channel %d", best->track + 1, best->chan + 1);
    free(parts);
    return REEL_OK;
}

/* Distance of x from the nearest integer. */
static double off_grid(double x)
{
    return fabs(x - floor(x + 0.5));
}

/* The phase (in steps, -0.5 < phase <= 0.5) that puts the most onsets on the
 * grid.  Ties go to the phase nearest 0, so files already on the grid keep it. */
static double find_phase(const MidiSong *song, const Selection *sel, double step_ticks)
{
    long score[PHASES] = {0};
    int best = 0;
    for (int32_t i = 0; i < song->n_notes; i++) {
        const MidiNote *n = &song->notes[i];
        double x;
        if (!selected(sel, n))
            continue;
        x = n->on / step_ticks;
        for (int k = 0; k < PHASES; k++)
            if (off_grid(x - (double)k / PHASES) <= GRID_TOLERANCE)
                score[k]++;
    }
    for (int k = 1; k < PHASES; k++) {
        int dk = k <= PHASES / 2 ? k : PHASES - k;
        int db = best <= PHASES / 2 ? best : PHASES - best;
        if (score[k] > score[best] || (score[k] == score[best] && dk < db))
            best = k;
    }
    return best <= PHASES / 2 ? (double)best / PHASES : (double)best / PHASES - 1.0;
}

static int32_t tick_to_step(uint32_t tick, double step_ticks, double phase)
{
    double s = floor(tick / step_ticks - phase + 0.5);
    if (s < 0)
        return 0;
    if (s > INT32_MAX / 2)
        return INT32_MAX / 2;
    return (int32_t)s;
}

/* Merge notes with the same pitch and onset, and cut same-pitch overlaps, so
 * that at any step a pitch is sounded by at most one note. */
static void tidy_notes(Tune *t)
{
    int32_t w = 0;
    tune_sort(t);
    for (int32_t i = 0; i < t->n_notes; i++) {
        Note n = t->notes[i];
        if (w > 0 && t->notes[w - 1].onset == n.onset && t->notes[w - 1].pitch == n.pitch) {
            if (n.dur > t->notes[w - 1].dur)
                t->notes[w - 1].dur = n.dur;
            t->q.merged++;
            continue;
        }
        t->notes[w++] = n;
    }
    t->n_notes = w;
    /* Same pitch, later onset inside the earlier note: end the earlier one. */
    for (int32_t i = 0; i < t->n_notes; i++) {
        Note *a = &t->notes[i];
        for (int32_t j = i + 1; j < t->n_notes && t->notes[j].onset < a->onset + a->dur; j++) {
            if (t->notes[j].pitch == a->pitch) {
                a->dur = t->notes[j].onset - a->onset;
                t->q.overlaps_cut++;
                break;
            }
        }
    }
    t->n_steps = 0;
    tune_sort(t);
}

/* The grid: 16th steps of step_ticks, shifted by phase. */
typedef struct {
    double step_ticks, phase;
    uint32_t slack;        /* overlaps up to a 32nd are legato, not chords */
} Grid;

/* One selected note onto the grid.  Notes that followed one another in the
 * file follow one another on the grid: rounding must not turn a line into
 * chords.  A note that lands on the step of the note before it (the middle
 * of a 16th triplet, a grace note) has no step of its own and is dropped; a
 * note that rounds past the next onset is ended there.  *max_off: the
 * latest note-off so far, in ticks. */
static ReelStatus place_note(Tune *t, const MidiNote *n, const Grid *g, uint32_t *max_off,
                             ReelError *err)
{
    double x_on = n->on / g->step_ticks - g->phase, x_len = (n->off - n->on) / g->step_ticks;
    int32_t on = tick_to_step(n->on, g->step_ticks, g->phase);
    int32_t off = tick_to_step(n->off, g->step_ticks, g->phase);
    t->q.notes_in++;
    if (fabs(x_on - on) <= GRID_TOLERANCE)
        t->q.on_grid++;
    else
        t->q.onset_moved++;
    if (off <= on) {
        off = on + 1;
        t->q.zero_dur++;
    }
    if (fabs(x_len - (off - on)) > GRID_TOLERANCE)
        t->q.dur_changed++;
    if (t->n_notes > 0 && *max_off <= n->on + g->slack) {
        Note *p = &t->notes[t->n_notes - 1];
        if (on == p->onset) {
            t->q.collided++;
            if (n->off > *max_off)
                *max_off = n->off;
            return REEL_OK;
        }
        if (p->onset + p->dur > on) {
            p->dur = on - p->onset;
            t->q.trimmed++;
        }
    }
    if (n->off > *max_off)
        *max_off = n->off;
    return tune_add_note(t, on, off - on, n->pitch, n->vel ? n->vel : 1, err);
}

/* The selected notes onto the grid, tidied; the part's program. */
static ReelStatus place_notes(const MidiSong *song, const Selection *sel, const Grid *g, Tune *t,
                              const char *src, const char *desc, ReelError *err)
{
    uint32_t max_off = 0;
    int64_t end = 0;
    ReelStatus s;
    for (int32_t i = 0; i < song->n_notes; i++) {
        const MidiNote *n = &song->notes[i];
        if (!selected(sel, n))
            continue;
        if (t->program < 0 && song->tracks[n->track].program[n->chan] >= 0)
            t->program = song->tracks[n->track].program[n->chan];
        if ((s = place_note(t, n, g, &max_off, err)))
            return s;
    }
    if (!t->n_notes)
        return reel_fail(err, REEL_EEMPTY, "%s: the %s part has no notes", src, desc);
    tidy_notes(t);
    for (int32_t i = 0; i < t->n_notes; i++)
        if ((int64_t)t->notes[i].onset + t->notes[i].dur > end)
            end = (int64_t)t->notes[i].onset + t->notes[i].dur;
    if (end > QUANT_MAX_STEPS)
        return reel_fail(err, REEL_EUNSUPPORTED,
                         "%s: %lld 16th steps long (%.0f hours at 120 bpm); reel reads tunes of "
                         "at most %d steps (%d bars of 4/4)", src, (long long)end,
                         (double)end / 8 / 3600, QUANT_MAX_STEPS, QUANT_MAX_STEPS / 16);
    return REEL_OK;
}

/* The tempo map and time signatures onto the grid. */
static ReelStatus place_meter(const MidiSong *song, const Grid *g, Tune *t, ReelError *err)
{
    ReelStatus s;
    for (int32_t i = 0; i < song->n_tempos; i++) {
        int32_t step = i == 0 ? 0 : tick_to_step(song->tempos[i].tick, g->step_ticks, g->phase);
        if ((s = tune_add_tempo(t, step, (int32_t)song->tempos[i].usec_per_quarter, err)))
            return s;
    }
    for (int32_t i = 0; i < song->n_sigs; i++) {
        const MidiTimeSig *m = &song->sigs[i];
        int32_t step = i == 0 ? 0 : tick_to_step(m->tick, g->step_ticks, g->phase);
        int num = m->num, den = m->den;
        /* A bar shorter than a half note (or a signature that is not one)
         * (1/4, 2/8, 3/16: POP909 writes 1/4 in two thirds of its files) is
         * a placeholder, not a metre: bar lines would split every note.
         * Read it as 4/4, and count it. */
        if (num < 1 || den < 1 || den > 64 || (den & (den - 1)) || num * 16 / den < 8) {
            num = den = 4;
            t->q.sigs_replaced++;
        }
        if ((s = tune_add_sig(t, step, num, den, err)))
            return s;
    }
    return REEL_OK;
}

ReelStatus quant_tune(const MidiSong *song, const QuantOpts *opts, const char *name,
                      const char *source, Tune *out, ReelError *err)
{
    Tune t;
    Selection sel = {0, 0, 0, NULL};
    unsigned char *mask;
    char desc[256];
    Grid g;
    ReelStatus s;
    const char *src = source ? source : name ? name : "tune";

    tune_init(out);
    if (!song || song->ppq <= 0)
        return reel_fail(err, REEL_EARG, "%s: no MIDI song to quantize", src);
    mask = calloc((size_t)song->n_tracks + 1, 1);
    if (!mask)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", src);
    s = choose_part(song, opts, src, &sel, mask, desc, sizeof desc, err);
    if (s) {
        free(mask);
        return s;
    }
    tune_init(&t);
    g.step_ticks = song->ppq / (double)TUNE_STEPS_PER_QUARTER;
    g.slack = (uint32_t)(song->ppq / 8);
    g.phase = opts && opts->no_phase ? 0.0 : find_phase(song, &sel, g.step_ticks);
    t.q.phase = g.phase < 0 ? g.phase + 1.0 : g.phase;
    if (!(s = place_notes(song, &sel, &g, &t, src, desc, err)) &&
        !(s = place_meter(song, &g, &t, err)))
        s = tune_set_strings(&t, name, source, desc, err);
    free(mask);
    if (s) {
        tune_free(&t);
        return s;
    }
    *out = t;
    return REEL_OK;
}
