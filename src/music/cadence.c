/* cadence.c — a melody coming to rest at a bar line (cadence.h). */
#include "cadence.h"

#include "keyprofile.h"

int32_t cadence_beat(TimeSig s)
{
    return s.den == 8 && s.num % 3 == 0 && s.num > 3 ? 6 : 4;
}

bool cadence_at(const Tune *t, int32_t end, Cadence *c)
{
    Cadence local;
    double h[12] = {0};
    int32_t last = -1;
    if (!c)
        c = &local;
    c->tonic = c->last_pitch = -1;
    c->minor = false;
    c->held = 0;
    c->beat = cadence_beat(tune_sig_at(t, end > 0 ? end - 1 : 0));
    for (int32_t i = 0; i < t->n_notes && t->notes[i].onset < end; i++) {
        const Note *a = &t->notes[i];
        int32_t off = a->onset + a->dur < end ? a->onset + a->dur : end;
        h[a->pitch % 12] += (double)(off - a->onset);
        if (last < 0 || a->onset > t->notes[last].onset ||
            (a->onset == t->notes[last].onset && a->pitch > t->notes[last].pitch))
            last = i;
    }
    if (last < 0)
        return false;
    c->tonic = keyprofile_best(h, &c->minor);
    c->last_pitch = t->notes[last].pitch;
    c->held = t->notes[last].onset + t->notes[last].dur < end ? t->notes[last].dur
                                                               : end - t->notes[last].onset;
    return c->tonic >= 0 && c->last_pitch % 12 == c->tonic && c->held >= c->beat;
}
