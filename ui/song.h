/* song.h — the melody on the studio's roll: the seed a musician types (or
 * records, or opens) and the part the model generated after it, with an
 * entry cursor and an undo history.
 *
 * Time is in 16th steps from 0.  The seed is notes the person owns; the
 * generated part starts where the generator started (gen_start, the seed's
 * end, or 0 after a silent prime) and reaches gen_end.  Entry is
 * monophonic and step by step: a note or rest typed at the cursor replaces
 * whatever the seed had in its span and moves the cursor past it.  Typing
 * inside or after the generated part first keeps the generated notes before
 * the cursor (they join the seed) and drops the rest (they continued a seed
 * that is no longer there); typing inside the seed drops the generated part.
 * Every edit can be undone (SONG_UNDO_MAX levels) and redone.
 *
 * Pure data: no curses, no audio, no model.  Not thread-safe (the UI thread
 * owns it).
 */
#ifndef REEL_UI_SONG_H
#define REEL_UI_SONG_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "tune.h"

#define SONG_UNDO_MAX 200

typedef struct {
    Note *seed;            /* owned, sorted by onset then pitch */
    int32_t n_seed, cap_seed;
    Note *gen;             /* owned, sorted; every onset >= gen_start */
    int32_t n_gen, cap_gen;
    int32_t seed_end;      /* steps the seed lasts (its notes and typed rests) */
    int32_t gen_start;     /* first step of the generated part */
    int32_t gen_end;       /* where the generated part has got to (0: none) */
    int32_t cursor;        /* entry point, a step */
} SongState;

typedef struct {
    SongState cur;
    SongState *undo;       /* owned, n_undo (oldest first) */
    int n_undo;
    SongState *redo;       /* owned, n_redo */
    int n_redo;
    int num, den;          /* time signature (4/4) */
    double bpm;            /* tempo in quarter notes a minute */
    unsigned version;      /* changes with every change of the notes */
    bool dirty;            /* changed since the last save */
} Song;

void song_init(Song *s);
void song_free(Song *s);

/* Steps in a bar of the song's metre (16 in 4/4, 12 in 6/8). */
int32_t song_bar_steps(const Song *s);
/* The bar line at or before / after step. */
int32_t song_bar_floor(const Song *s, int32_t step);
int32_t song_bar_ceil(const Song *s, int32_t step);
/* The end of the music: max of the seed's end and the generated end. */
int32_t song_end(const Song *s);
bool song_has_gen(const Song *s);
bool song_empty(const Song *s);

/* Edits (each saves an undo level first).  pitch 0..127, dur >= 1. */
ReelStatus song_type_note(Song *s, int pitch, int32_t dur, ReelError *err);
ReelStatus song_type_rest(Song *s, int32_t dur, ReelError *err);
/* Put notes into the seed over [from, to): what the seed had there is
 * replaced (recording); the seed's end grows to `to` at least. */
ReelStatus song_put_notes(Song *s, const Note *notes, int32_t n, int32_t from, int32_t to,
                          ReelError *err);
/* Delete the seed note sounding at the cursor (the latest that starts at
 * or before it); false when there is none. */
bool song_delete_at_cursor(Song *s);
/* Replace the whole seed (opening a file, typing note text). */
ReelStatus song_set_seed(Song *s, const Note *notes, int32_t n, int32_t seed_end, ReelError *err);
void song_clear(Song *s);
/* Keep: the generated notes join the seed; discard: they go. */
void song_keep(Song *s);
void song_discard(Song *s);
bool song_undo(Song *s);
bool song_redo(Song *s);
/* Save an undo level for a change made outside these functions (a new
 * take, a temperature change that re-samples). */
void song_checkpoint(Song *s);

/* The generated part, as the generator has it now (no undo level: the
 * generator calls this often).  Notes are copied. */
ReelStatus song_set_gen(Song *s, const Note *notes, int32_t n, int32_t gen_start,
                        int32_t gen_end, ReelError *err);

void song_set_cursor(Song *s, int32_t step);

/* The seed as a Tune (metre, tempo; n_steps = seed_end), or the whole
 * melody (seed and generated part, n_steps = song_end), or the melody
 * before step `upto` (notes cut there, n_steps = upto).  *out is
 * overwritten; the caller frees it with tune_free. */
ReelStatus song_seed_tune(const Song *s, Tune *out, ReelError *err);
ReelStatus song_tune(const Song *s, Tune *out, ReelError *err);
ReelStatus song_tune_upto(const Song *s, int32_t upto, Tune *out, ReelError *err);

/* All notes, seed and generated, sorted, into a new array (*out, caller
 * frees); is_gen (may be NULL) gets a parallel array of flags. */
ReelStatus song_all_notes(const Song *s, Note **out, bool **is_gen, int32_t *n, ReelError *err);

/* The seed or generated note that sounds at step (the one started last;
 * pitch -1 for any), or NULL; *gen says which list it is in. */
const Note *song_note_at(const Song *s, int32_t step, int pitch, bool *gen);

#endif
