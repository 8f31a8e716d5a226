/* record.h — record mode: notes played in time against the metronome,
 * quantized to a grid.
 *
 * A terminal reports key presses, never releases.  So a recorded note
 * starts at its key press and lasts until the next key press (legato, as
 * a fiddler plays), until the rest key, until recording stops, or at most
 * max_dur steps.  Onsets and ends are quantized to the nearest point of the
 * grid (grid 1 = 16th notes, 2 = eighths ...) counted from the step where
 * recording started; a press a little before the start (the count-in)
 * lands on the start.  Two presses that quantize to one grid point keep the
 * later one (a corrected wrong note).  Every note lasts at least one grid
 * unit.
 *
 * Steps come in as the fractional step being heard when the key was pressed
 * (PlayerStatus.step).  Pure: no time, no audio, no curses.
 */
#ifndef REEL_UI_RECORD_H
#define REEL_UI_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "tune.h"

typedef struct {
    int32_t start;         /* first step recorded (the punch-in point) */
    int32_t grid;          /* quantize grid in steps, >= 1 */
    int32_t max_dur;       /* longest note in steps, >= grid */
    bool open;             /* a note is sounding */
    int open_pitch;
    int32_t open_on;       /* its quantized onset */
    Note *notes;           /* owned: recorded notes, sorted by onset */
    int32_t n, cap;
    int32_t end;           /* quantized step where recording stopped (after rec_stop) */
} Recorder;

void rec_init(Recorder *r, int32_t start, int32_t grid, int32_t max_dur);
void rec_free(Recorder *r);

/* The grid point nearest to step, counted from start, never before start. */
int32_t rec_quantize(double step, int32_t start, int32_t grid);

/* A key press at `step` (heard step) with pitch.  Returns false when out of
 * memory (the note is lost) or when the press lies more than half a grid
 * unit before the start (ignored). */
bool rec_press(Recorder *r, double step, int pitch);
/* The rest key: the sounding note ends here. */
void rec_release(Recorder *r, double step);
/* Recording stops at step: the sounding note ends (at most max_dur), and
 * r->end is set to the grid point at or after the last note's end (and at
 * or after the stop). */
void rec_stop(Recorder *r, double step);

#endif
