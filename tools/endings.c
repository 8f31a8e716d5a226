/* endings.c — how generated melodies end, measured as issue 13 asks:
 * `make build/tools/endings`, then
 *   build/tools/endings MODEL [SEEDS [BARS [TEMPERATURE]]]
 * makes melodies exactly as `reel generate -m MODEL --bars BARS --seed N -t T`
 * does (N = 1..SEEDS; 200, 16 and 1 by default), each once as it is and once
 * with `--end cadence`, and prints for both: the share whose last note is on
 * the tonic of the melody's key (keyprofile_best over the whole melody,
 * duration-weighted), the share that has a cadence at its last bar line
 * (music/cadence.h), the mean bars made past BARS, and the melodies with a
 * pitch outside the model's range.  Exit status 0, 1 on a failure, 2 for bad
 * usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cadence.h"
#include "genrequest.h"
#include "keyprofile.h"
#include "model.h"
#include "prime.h"
#include "range.h"

typedef struct {
    long melodies, tonic, cadence, extra, outside;
} Tally;

/* The last note's pitch class against the key of the whole tune. */
static bool ends_on_tonic(const Tune *t)
{
    double h[12] = {0};
    int32_t last = -1;
    for (int32_t i = 0; i < t->n_notes; i++) {
        h[t->notes[i].pitch % 12] += t->notes[i].dur;
        if (last < 0 || t->notes[i].onset > t->notes[last].onset ||
            (t->notes[i].onset == t->notes[last].onset &&
             t->notes[i].pitch > t->notes[last].pitch))
            last = i;
    }
    return last >= 0 && t->notes[last].pitch % 12 == keyprofile_best(h, NULL);
}

static ReelStatus tally_one(const Model *m, GenRequest *rq, const Prime *p, Tally *t,
                            ReelError *err)
{
    GenResult r;
    PitchRange own = range_effective(m->range, &m->enc, m->vocab);
    ReelStatus s = genreq_run(rq, m, p, &r, err);
    if (!s) {
        t->melodies++;
        t->tonic += ends_on_tonic(&r.tune);
        t->cadence += cadence_at(&r.tune, r.tune.n_steps, NULL);
        t->extra += r.extra_bars;
        for (int32_t i = r.span.first_note; i < r.tune.n_notes; i++)
            if (!range_has(own, r.tune.notes[i].pitch)) {
                t->outside++;
                break;
            }
    }
    genreq_free(&r);
    return s;
}

static void tally_print(const char *what, const Tally *t)
{
    double n = t->melodies > 0 ? (double)t->melodies : 1.0;
    printf("%-16s %ld melodies: last note on the tonic %.1f%%, cadence at the end %.1f%%, "
           "%.2f bars past N, %ld with a pitch outside the range\n", what, t->melodies,
           100.0 * (double)t->tonic / n, 100.0 * (double)t->cadence / n, (double)t->extra / n,
           t->outside);
}

int main(int argc, char **argv)
{
    long seeds = argc > 2 ? atol(argv[2]) : 200, bars = argc > 3 ? atol(argv[3]) : 16;
    double temp = argc > 4 ? atof(argv[4]) : 1.0;
    Tally plain = {0}, cad = {0};
    GenRequest rq = genreq_defaults();
    ReelError err;
    Model m;
    Prime p;
    ReelStatus s = REEL_OK;
    if (argc < 2 || seeds < 1 || bars < 1 || !(temp > 0)) {
        fprintf(stderr, "usage: endings MODEL [SEEDS [BARS [TEMPERATURE]]]\n");
        return 2;
    }
    if (model_load(&m, argv[1], 0, 0, &err) || prime_init(&p, "rests", -1, &err) ||
        prime_shape(&p, 0, 0, 0, &err)) {
        fprintf(stderr, "endings: %s\n", err.msg);
        return 1;
    }
    rq.model_path = argv[1];
    rq.bars = bars;
    rq.so.temperature = (float)temp;
    for (long seed = 1; seed <= seeds && !s; seed++) {
        rq.seed = (uint64_t)seed;
        rq.to_cadence = false;
        if (!(s = tally_one(&m, &rq, &p, &plain, &err))) {
            rq.to_cadence = true;
            s = tally_one(&m, &rq, &p, &cad, &err);
        }
    }
    if (s)
        fprintf(stderr, "endings: %s\n", err.msg);
    printf("%s, %ld bars, T = %g, seeds 1..%ld\n", argv[1], bars, temp, seeds);
    tally_print("--end bars", &plain);
    tally_print("--end cadence", &cad);
    prime_free(&p);
    model_free(&m);
    return s ? 1 : 0;
}
