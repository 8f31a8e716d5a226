/* playsetup.c — a tune into a Player as the listener asked (playsetup.h). */
#include "playsetup.h"

ReelStatus playsetup_apply(Player *p, const Tune *t, const PlaySetup *s, const char *name,
                           double *from, ReelError *err)
{
    ReelStatus st = player_load_tune(p, t, s->program, err);
    long bar;
    int beat;
    if (st)
        return st;
    if (s->velocity)
        player_set_velocity(p, 0, s->velocity);
    if (s->bpm > 0)
        player_set_bpm(p, s->bpm);
    if (s->gain > 0)
        player_set_gain(p, (float)s->gain);
    player_set_metronome(p, s->metronome);
    *from = s->from_bar ? player_bar_step(p, s->from_bar) : s->from_step;
    if (*from < player_end_step(p))
        return REEL_OK;
    player_bar_beat(p, player_end_step(p) - 1, &bar, &beat);
    return reel_fail(err, REEL_EARG, "%s ends at step %ld (in bar %ld): nothing to play from %s %g",
                     name, (long)player_end_step(p), bar, s->from_bar ? "bar" : "step",
                     s->from_bar ? (double)s->from_bar : s->from_step);
}
