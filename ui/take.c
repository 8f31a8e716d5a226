/* take.c — the take's state (take.h): its seed, whether the song holds
 * it, and the figures the panel shows, each computed again only when what
 * it depends on changed.
 */
#include "take.h"

#include "rng.h"

#include <stdio.h>
#include <string.h>

uint64_t take_fresh_seed(void)
{
    return rng_clock_seed(1000000u) + 1; /* short enough to read and type back */
}

bool take_cancel(Take *t)
{
    if (!gw_take_pending(&t->gw))
        return false;
    gw_take_cancel(&t->gw);
    t->generating = false;
    return true;
}

bool take_live(const Take *t, const Song *song)
{
    return t->gc_ok && t->gc.primed && song->version == t->version;
}

void take_update_metrics(Take *t, const Song *song, const CorpusIndex *cix)
{
    Tune tune;
    ReelError err;
    if (t->mm_ok && t->mm_version == song->version && t->mm_with_ix == (cix->ix != NULL))
        return;
    t->mm_ok = false;
    t->mm_version = song->version;
    t->mm_with_ix = cix->ix != NULL;
    if (song_tune(song, &tune, &err))
        return;
    if (metrics_compute(&tune, cix->ix, &t->mm, &err) == REEL_OK)
        t->mm_ok = true;
    tune_free(&tune);
}

void take_update_dist(Take *t, const Song *song, int32_t focus, bool regress)
{
    const GcDist *d = NULL;
    if (!t->gc_ok) {
        t->has_dist = false;
        return;
    }
    if (take_live(t, song) && focus >= t->gc.start)
        d = gc_dist_at(&t->gc, focus);
    if (d) {
        t->dist = *d;
        t->has_dist = true;
        t->dist_labelled = false;
        t->dist_focus = focus;
        return;
    }
    if (focus <= 4096 && !regress && t->gw_ok) {
        unsigned key = song->version * 2654435761u ^ (unsigned)(t->so.temperature * 1000) ^
                       (unsigned)t->so.top_k * 40503u ^ (unsigned)(t->so.top_p * 1000) * 7919u;
        Tune upto;
        ReelError err;
        switch (gw_probe_get(&t->gw, focus, key, &t->probe)) {
        case GW_READY:
            t->dist = t->probe.d;
            t->has_dist = true;
            t->dist_labelled = true;
            t->dist_focus = focus;
            return;
        case GW_WAITING:
            return; /* what was shown stays until the answer comes */
        case GW_NOT_ASKED:
            if (song_tune_upto(song, focus, &upto, &err) == REEL_OK) {
                gw_probe_request(&t->gw, &upto, key, &t->so, t->key);
                tune_free(&upto);
                return;
            }
            break;
        case GW_NONE:
            break;
        }
    }
    t->has_dist = false;
    t->dist_focus = focus;
}

char *take_dist_label(const Take *t, int i, char *buf, size_t size)
{
    if (t->dist_labelled && i >= 0 && i < t->dist.n) {
        snprintf(buf, size, "%s", t->probe.label[i]);
        return buf;
    }
    return gc_label(&t->gc, &t->dist, t->dist.top[i].cls, buf, size);
}
