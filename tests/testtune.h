/* testtune.h — comparing tunes in the tests: the same notes (onset,
 * duration, pitch), in the same order. */
#ifndef REEL_TESTTUNE_H
#define REEL_TESTTUNE_H

#include <stdbool.h>

#include "tune.h"

static inline bool same_notes(const Tune *a, const Tune *b)
{
    if (a->n_notes != b->n_notes)
        return false;
    for (int32_t i = 0; i < a->n_notes; i++)
        if (a->notes[i].onset != b->notes[i].onset || a->notes[i].dur != b->notes[i].dur ||
            a->notes[i].pitch != b->notes[i].pitch)
            return false;
    return true;
}

#endif
