/* closing.c — tunes that close (closing.h). */
#include "closing.h"

#include "cadence.h"
#include "rng.h"

/* How well a draw closes the tune at step end: 2 a cadence, 1 the last
 * note on the tonic, 0 neither; the model's own end chance breaks ties. */
typedef struct {
    int tier;
    double chance;
} Close;

static bool better(Close a, Close b)
{
    return a.tier != b.tier ? a.tier > b.tier : a.chance > b.chance;
}

/* The seed of draw k. */
static uint64_t draw_seed(uint64_t seed, int k)
{
    Rng r;
    rng_seed(&r, seed ^ 0x636c6f7365ULL ^ ((uint64_t)k << 40));
    return rng_u64(&r);
}

/* One draw from snapshot `at`: on to step `from` with the seed of draw 0
 * (the same bars every time), then to step end with draw k's; k < 0: the
 * generator's own draws all the way, as if nothing were chosen. */
static ReelStatus draw_end(Generator *g, const GenSnapshot *at, uint64_t seed, int32_t from,
                           int k, int32_t end, Close *c, ReelError *err)
{
    ReelStatus s;
    Tune t;
    Cadence cad;
    if ((s = gen_restore(g, at, err)))
        return s;
    if (k >= 0) {
        gen_reseed(g, draw_seed(seed, 0));
        if ((s = gen_until(g, from, 0, NULL, err)))
            return s;
        gen_reseed(g, draw_seed(seed, k));
    }
    if ((s = gen_until(g, end, 0, NULL, err)) || (s = gen_tune(g, end, &t, NULL, err)))
        return s;
    c->tier = cadence_at(&t, end, &cad) ? 2
              : cad.last_pitch >= 0 && cad.tonic >= 0 && cad.last_pitch % 12 == cad.tonic ? 1
                                                                                             : 0;
    c->chance = gen_end_chance(g);
    tune_free(&t);
    return REEL_OK;
}

bool closing_applies(Generator *g)
{
    return gen_end_chance(g) >= 0.0;
}

int32_t closing_window(const Generator *g, int bar)
{
    int back = bar < CLOSE_BARS ? bar : CLOSE_BARS;
    return back < bar ? gen_bars_end(g, bar - back) : gen_seed_end(g);
}

ReelStatus closing_bar(Generator *g, int bar, uint64_t seed, bool *reached, ReelError *err)
{
    int back = bar < CLOSE_BARS ? bar : CLOSE_BARS;
    int32_t end = gen_bars_end(g, bar), start = closing_window(g, bar);
    GenSnapshot *at;
    ReelStatus s;
    Close best = {-1, -1.0}, kept;
    int32_t best_from = 0;
    int best_k = -1, k = 1 + 3 * CLOSE_TRIES * bar;
    *reached = false;
    if ((s = gen_until(g, start, 0, reached, err)) || !*reached || gen_ended(g))
        return s;
    if (!(at = gen_snapshot_new(g)))
        return reel_fail(err, REEL_ENOMEM, "out of memory closing the tune");
    if (!(s = draw_end(g, at, seed, end, -1, end, &best, err)) && gen_ended(g))
        goto done;
    for (int r = 1; r <= back && best.tier <= 0 && !s; r *= 2) {
        int32_t from = r < bar ? gen_bars_end(g, bar - r) : start;
        for (int i = 0; i < CLOSE_TRIES && !s; i++, k++) {
            Close c;
            if (!(s = draw_end(g, at, seed, from, k, end, &c, err)) && better(c, best)) {
                best = c;
                best_from = from;
                best_k = k;
            }
        }
    }
    if (!s)
        s = draw_end(g, at, seed, best_from, best_k, end, &kept, err);
done:
    *reached = !s && gen_time(g) >= end;
    gen_snapshot_free(at);
    return s;
}

ReelStatus closing_tune(Generator *g, int bars, uint64_t seed, bool *reached, ReelError *err)
{
    ReelStatus s = REEL_OK;
    *reached = true;
    for (int b = CLOSE_STRAIN_BARS; b < bars && !s && *reached && !gen_ended(g);
         b += CLOSE_STRAIN_BARS)
        s = closing_bar(g, b, seed, reached, err);
    if (!s && *reached && !gen_ended(g))
        s = closing_bar(g, bars, seed, reached, err);
    return s;
}
