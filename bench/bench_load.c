/* bench_load.c — how fast reel reads a corpus.
 *
 * Targets (issue #2): all of Ryan's MIDI folder in under 2 s, POP909's 909
 * files in under 10 s.  Each corpus is loaded three times and the fastest
 * run is printed (the machine is shared; the fastest run is the least
 * disturbed one), with the encode+decode pass of every encoding beside it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "corpus.h"

static int bench(const char *label, const char *path, double target)
{
    double best = 1e9, best_stats = 1e9;
    long tunes = 0, notes = 0, skipped = 0;
    for (int run = 0; run < 3; run++) {
        Corpus c;
        CorpusStats *s = malloc(sizeof *s);
        ReelError e;
        const char *paths[1] = {path};
        double t0 = now_sec(), t1, t2;
        corpus_init(&c);
        if (!s || corpus_load(&c, paths, 1, NULL, &e)) {
            fprintf(stderr, "bench: %s\n", s ? e.msg : "out of memory");
            free(s);
            return 1;
        }
        t1 = now_sec();
        if (corpus_stats(&c, s, &e)) {
            fprintf(stderr, "bench: %s\n", e.msg);
            free(s);
            corpus_free(&c);
            return 1;
        }
        t2 = now_sec();
        if (t1 - t0 < best)
            best = t1 - t0;
        if (t2 - t1 < best_stats)
            best_stats = t2 - t1;
        tunes = c.n_tunes;
        notes = s->notes;
        skipped = c.n_skips;
        free(s);
        corpus_free(&c);
    }
    printf("%-22s %5ld tunes %8ld notes %3ld skipped  load %6.3f s (target < %.0f s: %s)  "
           "all encodings round trip %6.3f s\n",
           label, tunes, notes, skipped, best, target, best < target ? "met" : "MISSED",
           best_stats);
    return best < target ? 0 : 1;
}

int main(void)
{
    const char *root = getenv("REEL_CORPUS");
    char ryans[4096], pop[4096];
    int rc = 0;
    if (!root || !*root)
        root = "../shared/corpus";
    snprintf(ryans, sizeof ryans, "%s/ryans-mammoth/midi", root);
    snprintf(pop, sizeof pop, "%s/pop909/midi", root);
    printf("bench_load: fastest of 3 runs, one thread\n");
    rc |= bench("ryans-mammoth/midi", ryans, 2.0);
    rc |= bench("pop909/midi", pop, 10.0);
    return rc;
}
