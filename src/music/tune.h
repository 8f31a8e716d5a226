/* tune.h — a melody on the 16th-note grid: the unit every encoding, model and
 * exporter works on.
 *
 * Time is counted in 16th steps from the start of the tune (step 0).  A Tune
 * owns all of its arrays; tune_free releases them.  Notes are kept sorted by
 * onset, then pitch (tune_sort).  A Tune may be polyphonic (chords, double
 * stops); encodings that need one note at a time say what they drop.
 */
#ifndef REEL_TUNE_H
#define REEL_TUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define TUNE_STEPS_PER_QUARTER 4

typedef struct {
    int32_t onset;   /* 16th steps from the start, >= 0 */
    int32_t dur;     /* 16th steps, >= 1 */
    uint8_t pitch;   /* MIDI 0..127 */
    uint8_t vel;     /* 1..127 */
} Note;

typedef struct {
    int32_t step;
    int32_t usec_per_quarter;   /* 500000 = 120 bpm */
} TempoChange;

typedef struct {
    int32_t step;
    uint8_t num;     /* beats per bar */
    uint8_t den;     /* beat unit: 2, 4, 8, 16 ... */
} TimeSig;

/* What quantizing to the 16th grid cost (per tune; summed over a corpus). */
typedef struct {
    long notes_in;        /* notes before quantizing */
    long on_grid;         /* onsets within 0.1 step of a grid point (after the phase shift) */
    long onset_moved;     /* onsets moved by more than 0.1 step */
    long dur_changed;     /* durations changed by more than 0.1 step */
    long zero_dur;        /* durations that rounded to 0, set to 1 step */
    long merged;          /* same pitch and onset as another note: merged into one */
    long collided;        /* a note of a line that rounded onto the step of the note
                             before it (16th triplets, grace notes): dropped */
    long trimmed;         /* a note of a line that rounded past the next onset: ended there */
    long overlaps_cut;    /* same-pitch notes that overlapped: the earlier one cut */
    long sigs_replaced;   /* time signatures with bars under a half note, read as 4/4 */
    double phase;         /* grid phase chosen, in steps (0 <= phase < 1) */
} QuantStats;

typedef struct {
    char *name;           /* owned: tune name (file stem, "#N" for the N-th ABC tune) */
    char *source;         /* owned: path it came from, or NULL */
    char *part;           /* owned: which track/channel became this tune, or NULL */
    Note *notes;          /* owned, n_notes used, cap allocated; sorted by onset, pitch */
    int32_t n_notes, cap;
    int32_t n_steps;      /* length: at least the last note-off */
    TempoChange *tempos;  /* owned; sorted by step; tempos[0].step == 0 when n_tempos > 0 */
    int32_t n_tempos;
    TimeSig *sigs;        /* owned; sorted by step; empty means 4/4 */
    int32_t n_sigs;
    int program;          /* General MIDI program 0..127 of the part, -1 if none given */
    int shift;            /* semitones already added to every pitch (0 unless transposed) */
    QuantStats q;
} Tune;

/* Zero a tune (no allocation). */
void tune_init(Tune *t);
/* Free everything a tune owns and zero it.  Accepts a zeroed tune. */
void tune_free(Tune *t);
/* Deep copy of src into *dst (which is overwritten, not freed). */
ReelStatus tune_copy(Tune *dst, const Tune *src, ReelError *err);
/* Copy only the metadata of src (name, source, part, tempos, sigs, program,
 * shift, n_steps) into *dst, with no notes. */
ReelStatus tune_copy_meta(Tune *dst, const Tune *src, ReelError *err);

ReelStatus tune_add_note(Tune *t, int32_t onset, int32_t dur, int pitch, int vel, ReelError *err);
ReelStatus tune_add_tempo(Tune *t, int32_t step, int32_t usec_per_quarter, ReelError *err);
ReelStatus tune_add_sig(Tune *t, int32_t step, int num, int den, ReelError *err);
ReelStatus tune_set_strings(Tune *t, const char *name, const char *source, const char *part,
                            ReelError *err);
/* Replace every time signature of t with num/den at step 0; every tempo
 * with bpm quarter notes a minute at step 0. */
ReelStatus tune_set_meter(Tune *t, int num, int den, ReelError *err);
ReelStatus tune_set_bpm(Tune *t, double bpm, ReelError *err);

/* Sort notes by onset then pitch and extend n_steps to the last note-off. */
void tune_sort(Tune *t);

/* Time signature in force at a step (4/4 when none). */
TimeSig tune_sig_at(const Tune *t, int32_t step);
/* Length of the bar containing step, in 16th steps (>= 1). */
int32_t tune_bar_steps_at(const Tune *t, int32_t step);
/* True when a bar line falls at the start of this step (step 0 included). */
bool tune_is_bar_start(const Tune *t, int32_t step);
/* The bar line after the bar that starts at step s: s plus the bar's length,
 * or sooner where a time-signature change cuts the bar short. */
int32_t tune_next_bar(const Tune *t, int32_t s);
/* Complete bars of t (from step 0, each ending by n_steps); their start steps
 * into starts (room for max; the bar after the last complete one starts at
 * starts[count] when max > count).  starts may be NULL.  Returns the count
 * of complete bars. */
int32_t tune_bars(const Tune *t, int32_t *starts, int32_t max);
/* Tempo in force at a step, in microseconds per quarter (500000 when none). */
int32_t tune_tempo_at(const Tune *t, int32_t step);

/* Count the notes of a that occur in b with the same pitch, onset and duration
 * (each note of b matched at most once).  Both must be sorted. */
long tune_count_matching(const Tune *a, const Tune *b);

/* Lowest and highest pitch; returns false for a tune without notes. */
bool tune_pitch_range(const Tune *t, int *lo, int *hi);

/* Scientific pitch name of a MIDI note, "C4" = 60, sharps only: "C#4".
 * buf must hold 6 bytes.  Returns buf. */
char *pitch_name(int pitch, char buf[6]);
/* Parse "C4", "c#4", "Bb3", "E-1"; returns -1 if it is not a note in 0..127. */
int pitch_parse(const char *s);

#endif
