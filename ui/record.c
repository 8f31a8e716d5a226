/* record.c — quantizing what is played in record mode (see record.h). */
#include "record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rec_init(Recorder *r, int32_t start, int32_t grid, int32_t max_dur)
{
    memset(r, 0, sizeof *r);
    r->start = start < 0 ? 0 : start;
    r->grid = grid >= 1 ? grid : 1;
    r->max_dur = max_dur >= r->grid ? max_dur : r->grid;
    r->end = r->start;
}

void rec_free(Recorder *r)
{
    free(r->notes);
    memset(r, 0, sizeof *r);
}

int32_t rec_quantize(double step, int32_t start, int32_t grid)
{
    double k;
    if (grid < 1)
        grid = 1;
    k = floor((step - start) / grid + 0.5);
    if (k < 0)
        k = 0;
    return start + (int32_t)k * grid;
}

/* Close the sounding note at quantized step q. */
static void close_at(Recorder *r, int32_t q)
{
    int32_t dur;
    if (!r->open)
        return;
    r->open = false;
    dur = q - r->open_on;
    if (dur < r->grid)
        dur = r->grid;
    if (dur > r->max_dur)
        dur = r->max_dur;
    if (r->n > 0 && r->notes[r->n - 1].onset == r->open_on)
        r->n--; /* a note already there at this onset: the later press wins */
    r->notes[r->n].onset = r->open_on;
    r->notes[r->n].dur = dur;
    r->notes[r->n].pitch = (uint8_t)r->open_pitch;
    r->notes[r->n].vel = 100;
    r->n++;
}

bool rec_press(Recorder *r, double step, int pitch)
{
    int32_t q;
    if (step < r->start - r->grid * 0.5 || pitch < 0 || pitch > 127)
        return false;
    if (r->n + 2 > r->cap) {
        int32_t cap = r->cap ? r->cap * 2 : 64;
        Note *p = realloc(r->notes, (size_t)cap * sizeof *p);
        if (!p)
            return false;
        r->notes = p;
        r->cap = cap;
    }
    q = rec_quantize(step, r->start, r->grid);
    if (r->open && q == r->open_on) {
        /* Two presses on one grid point: the later one wins. */
        r->open_pitch = pitch;
        return true;
    }
    close_at(r, q);
    /* An earlier note that ends after this onset (max_dur does not apply to
     * it) is cut here: the recording is one line. */
    if (r->n > 0 && r->notes[r->n - 1].onset + r->notes[r->n - 1].dur > q)
        r->notes[r->n - 1].dur = q - r->notes[r->n - 1].onset;
    if (r->n > 0 && r->notes[r->n - 1].dur < 1)
        r->n--;
    r->open = true;
    r->open_pitch = pitch;
    r->open_on = q;
    return true;
}

void rec_release(Recorder *r, double step)
{
    if (r->open)
        close_at(r, rec_quantize(step, r->start, r->grid));
}

void rec_stop(Recorder *r, double step)
{
    int32_t q = rec_quantize(step, r->start, r->grid);
    int32_t end;
    if (r->open)
        close_at(r, q > r->open_on ? q : r->open_on + r->grid);
    end = q;
    if (r->n > 0 && r->notes[r->n - 1].onset + r->notes[r->n - 1].dur > end)
        end = r->notes[r->n - 1].onset + r->notes[r->n - 1].dur;
    r->end = end < r->start ? r->start : end;
}
