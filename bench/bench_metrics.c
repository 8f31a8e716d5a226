/* bench_metrics.c — how fast melody metrics and the copy index are.
 *
 * Targets (issue #6): the copy index over Ryan's collection built once in
 * well under a second, and a melody of 8 bars answered in milliseconds.
 * Measured: the index build (best of three: the machine is shared), the
 * queries of every 8-bar piece of the corpus against the other tunes, and
 * metrics_compute (everything but originality) on the same pieces and on
 * whole tunes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "corpus.h"
#include "generate.h"
#include "metrics.h"
#include "origin.h"

#define PIECE_BARS 8
#define TARGET_BUILD_S 1.0
#define TARGET_QUERY_MS 5.0

int main(void)
{
    const char *root = getenv("REEL_CORPUS");
    char path[4096];
    const char *paths[1] = {path};
    Corpus c;
    ReelError err;
    OriginIndex *ix = NULL;
    Tune *pieces = NULL;
    int32_t *owner = NULL, n_pieces = 0, cap = 0;
    double best_build = 1e9, t0, q_total, q_max = 0, m_total, whole;
    long copied_pieces = 0;
    int rc = 0;

    snprintf(path, sizeof path, "%s/ryans-mammoth/midi", root && *root ? root : "../shared/corpus");
    corpus_init(&c);
    if (corpus_load(&c, paths, 1, NULL, &err)) {
        fprintf(stderr, "bench_metrics: %s\n", err.msg);
        return 1;
    }
    for (int run = 0; run < 3; run++) {
        OriginIndex *x;
        t0 = now_sec();
        if (origin_build(&x, c.tunes, c.n_tunes, &err)) {
            fprintf(stderr, "bench_metrics: %s\n", err.msg);
            return 1;
        }
        t0 = now_sec() - t0;
        if (t0 < best_build)
            best_build = t0;
        if (ix)
            origin_free(ix);
        ix = x;
    }

    /* Every 8-bar piece of every tune, from bar 1 on. */
    for (int32_t i = 0; i < c.n_tunes; i++) {
        int32_t nb = tune_bars(&c.tunes[i], NULL, 0);
        for (int32_t b = 0; b + PIECE_BARS <= nb; b += PIECE_BARS) {
            if (n_pieces == cap) {
                cap = cap ? 2 * cap : 1024;
                pieces = realloc(pieces, (size_t)cap * sizeof *pieces);
                owner = realloc(owner, (size_t)cap * sizeof *owner);
                if (!pieces || !owner) {
                    fprintf(stderr, "bench_metrics: out of memory\n");
                    return 1;
                }
            }
            if (gen_excerpt(&c.tunes[i], b, PIECE_BARS, &pieces[n_pieces], &err)) {
                fprintf(stderr, "bench_metrics: %s\n", err.msg);
                return 1;
            }
            owner[n_pieces++] = i;
        }
    }

    q_total = now_sec();
    for (int32_t i = 0; i < n_pieces; i++) {
        OriginResult r;
        double t1 = now_sec();
        if (origin_query(ix, &pieces[i], owner[i], &r, &err)) {
            fprintf(stderr, "bench_metrics: %s\n", err.msg);
            return 1;
        }
        t1 = now_sec() - t1;
        if (t1 > q_max)
            q_max = t1;
        copied_pieces += r.copied > 0;
    }
    q_total = now_sec() - q_total;

    m_total = now_sec();
    for (int32_t i = 0; i < n_pieces; i++) {
        MelodyMetrics m;
        if (metrics_compute(&pieces[i], NULL, &m, &err)) {
            fprintf(stderr, "bench_metrics: %s\n", err.msg);
            return 1;
        }
    }
    m_total = now_sec() - m_total;

    whole = now_sec();
    for (int32_t i = 0; i < c.n_tunes; i++) {
        MelodyMetrics m;
        if (metrics_compute(&c.tunes[i], NULL, &m, &err)) {
            fprintf(stderr, "bench_metrics: %s\n", err.msg);
            return 1;
        }
    }
    whole = now_sec() - whole;

    {
        double per_q = n_pieces ? 1e3 * q_total / n_pieces : 0;
        bool build_ok = best_build < TARGET_BUILD_S, query_ok = per_q < TARGET_QUERY_MS;
        printf("copy index (Ryan's)    %5d tunes %8lld notes  build %6.1f ms (target < %.0f ms: "
               "%s)  %.1f MB\n",
               origin_tunes(ix), (long long)origin_notes(ix), 1e3 * best_build,
               1e3 * TARGET_BUILD_S, build_ok ? "met" : "MISSED",
               (double)origin_bytes(ix) / 1048576.0);
        printf("copy query             %5d pieces of %d bars, each against the other tunes: "
               "%.3f ms each, slowest %.3f ms (target < %.0f ms: %s); %ld with a copied "
               "2-bar window\n",
               n_pieces, PIECE_BARS, per_q, 1e3 * q_max, TARGET_QUERY_MS,
               query_ok ? "met" : "MISSED", copied_pieces);
        printf("melody metrics         %.3f ms per %d-bar piece, %.3f ms per whole tune "
               "(without originality)\n",
               n_pieces ? 1e3 * m_total / n_pieces : 0, PIECE_BARS,
               c.n_tunes ? 1e3 * whole / c.n_tunes : 0);
        rc = build_ok && query_ok ? 0 : 1;
    }
    for (int32_t i = 0; i < n_pieces; i++)
        tune_free(&pieces[i]);
    free(pieces);
    free(owner);
    origin_free(ix);
    corpus_free(&c);
    return rc;
}
