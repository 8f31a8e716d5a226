/* gen_speed.c — a measurement aid for issue 13 (not built by make, not part
 * of reel): microseconds per generation step (gen_step) of each model
 * named, from a rests prime, primed anew at an end-of-tune event or after
 * 4000 rows; 20000 steps a round, the best of 3 rounds.  Models with tune
 * events cannot be timed with `reel generate --events N` (they may stop).
 *
 * Build from the top of the tree after `make`:
 *   cc -O2 -Isrc/base -Isrc/music -Isrc/learn tools/gen_speed.c build/libreel-learn.a \
 *      build/libreel-music.a build/libreel-base.a -lopenblas -lpthread -lm -o build/gen_speed
 *   OPENBLAS_NUM_THREADS=1 build/gen_speed models/fiddle-lookback.reel ...
 */
#include <stdio.h>

#include "clock.h"
#include "generate.h"
#include "model.h"

#define SPEED_STEPS 20000
#define SPEED_ROUNDS 3
#define SPEED_MAX_ROWS 4000

static int speed_of(const char *path)
{
    Model m;
    Generator *g;
    ReelError err;
    double best = 1e9;
    model_init(&m);
    if (model_load(&m, path, 0, 0, &err) || gen_new(&g, &m, NULL, 1, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        model_free(&m);
        return 1;
    }
    for (int r = 0; r < SPEED_ROUNDS; r++) {
        double t0 = now_sec(), us;
        if (gen_prime_rests(g, 1, NULL, NULL, &err))
            break;
        for (long s = 0; s < SPEED_STEPS; s++) {
            if ((gen_ended(g) || gen_rows(g) > SPEED_MAX_ROWS) &&
                gen_prime_rests(g, 1, NULL, NULL, &err))
                break;
            if (gen_step(g, &err))
                break;
        }
        us = (now_sec() - t0) / SPEED_STEPS * 1e6;
        best = us < best ? us : best;
    }
    printf("%s %.1f us/step\n", path, best);
    gen_free(g);
    model_free(&m);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int a = 1; a < argc; a++)
        rc |= speed_of(argv[a]);
    return rc;
}
