/* formcheck.c — issue 13's figures for melodies as `reel generate` wrote
 * them, against the first bars of the corpus's tunes in the same metres:
 * `make build/tools/formcheck`, then `build/tools/formcheck CORPUS DIR
 * [BARS]` (tools/formcheck.sh makes DIR with reel generate and runs it).
 *
 * DIR holds the MIDI files (read as the corpus is, music/midi + quant); the
 * corpus side is the first BARS (16) bars of every corpus tune that has that
 * many, in a metre that some melody has.  Figures (analysis/metrics.h
 * definitions): bars equal to the bar 4 and 8 back (pooled over bars), the
 * last note on the tonic, whole strains repeated, the key histogram's
 * overlap and the commonest keys, the pitch-class overlap, in key, empty
 * bars, pitches outside the corpus's range, and the melodies that hold 4
 * bars copied verbatim from a corpus tune: three overlapping 2-bar windows
 * in a row all found in the corpus (origin.h), an upper bound, since the
 * three may come from different places.  Exit 0, 1 on a failure, 2 usage.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "generate.h"
#include "metrics.h"
#include "origin.h"

typedef struct {
    MetricsSet set;
    int64_t pairs4, equal4, pairs8, equal8, bars, empty;
    int32_t melodies, copied4, outside;
} Figures;

static bool metre_seen(const bool *seen, const Tune *t)
{
    TimeSig s = tune_sig_at(t, 0);
    return seen[(s.num & 31) * 32 + (s.den & 31)];
}

static bool copied_4_bars(const OriginResult *o)
{
    uint64_t m = o->copied_mask;
    return (m & (m >> 1) & (m >> 2)) != 0;
}

static ReelStatus add(Figures *f, const Tune *t, const OriginIndex *ix, int lo, int hi,
                      ReelError *err)
{
    MelodyMetrics mm;
    ReelStatus s = metrics_compute(t, ix, &mm, err);
    if (s)
        return s;
    metrics_set_add(&f->set, &mm);
    f->melodies++;
    f->pairs4 += mm.rep_pairs[2];
    f->equal4 += mm.rep_equal[2];
    f->pairs8 += mm.rep_pairs[3];
    f->equal8 += mm.rep_equal[3];
    f->bars += mm.bars;
    f->empty += mm.bars - mm.bars_with_notes;
    if (ix && copied_4_bars(&mm.origin))
        f->copied4++;
    if (mm.lo >= 0 && (mm.lo < lo || mm.hi > hi))
        f->outside++;
    return REEL_OK;
}

static void keys(const Figures *f, char *buf, size_t size)
{
    int top[5];
    double share[5];
    int n = metrics_hist_top(f->set.key, METRICS_KEYS, 5, top, share);
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++) {
        char name[16];
        used += (size_t)snprintf(buf + used, size - used, "%s%s %.0f%%", i ? ", " : "",
                                 metrics_key_bin_name(top[i], name), 100.0 * share[i]);
    }
}

static double pct(int64_t a, int64_t b)
{
    return b > 0 ? 100.0 * (double)a / (double)b : NAN;
}

static void row(const char *what, const Figures *f, const Figures *ref)
{
    char k[160];
    keys(f, k, sizeof k);
    printf("%-10s %5d | 4 back %5.1f%% | 8 back %5.1f%% | strain %5.1f%% | tonic %5.1f%% | in key "
           "%5.1f%% | empty bars %5.1f%% | key ov %.2f | pc ov %.2f | keys %s\n",
           what, f->melodies, pct(f->equal4, f->pairs4), pct(f->equal8, f->pairs8),
           100.0 * f->set.s[METRICS_STRAIN].mean, 100.0 * f->set.s[METRICS_LAST_TONIC].mean,
           100.0 * f->set.s[METRICS_IN_KEY].mean, pct(f->empty, f->bars),
           metrics_overlap(ref->set.key, f->set.key, METRICS_KEYS),
           metrics_overlap(ref->set.pc, f->set.pc, METRICS_PC), k);
}

/* The generated melodies' top 3 keys among the corpus's top 5. */
static int keys_in_top5(const Figures *gen, const Figures *ref)
{
    int g[3], r[5], n = metrics_hist_top(gen->set.key, METRICS_KEYS, 3, g, NULL), hits = 0;
    int m = metrics_hist_top(ref->set.key, METRICS_KEYS, 5, r, NULL);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            hits += g[i] == r[j];
    return hits;
}

int main(int argc, char **argv)
{
    Corpus corpus, gen;
    CorpusOpts co;
    ReelError err;
    OriginIndex *ix = NULL;
    Figures fg, fc;
    bool seen[32 * 32] = {false};
    int bars = argc > 3 ? atoi(argv[3]) : 16, lo = 127, hi = 0, rc = 1;
    const char *cp[1], *gp[1];
    if (argc < 3 || bars < 1) {
        fprintf(stderr, "usage: formcheck CORPUS DIR [BARS]\n");
        return 2;
    }
    cp[0] = argv[1];
    gp[0] = argv[2];
    memset(&co, 0, sizeof co);
    memset(&fg, 0, sizeof fg);
    memset(&fc, 0, sizeof fc);
    metrics_set_init(&fg.set);
    metrics_set_init(&fc.set);
    corpus_init(&corpus);
    corpus_init(&gen);
    if (corpus_load(&corpus, cp, 1, &co, &err) || corpus_load(&gen, gp, 1, &co, &err) ||
        origin_build(&ix, corpus.tunes, corpus.n_tunes, &err)) {
        fprintf(stderr, "formcheck: %s\n", err.msg);
        goto done;
    }
    for (int32_t i = 0; i < corpus.n_tunes; i++)
        for (int32_t k = 0; k < corpus.tunes[i].n_notes; k++) {
            int p = corpus.tunes[i].notes[k].pitch;
            lo = p < lo ? p : lo;
            hi = p > hi ? p : hi;
        }
    for (int32_t i = 0; i < gen.n_tunes; i++) {
        TimeSig s = tune_sig_at(&gen.tunes[i], 0);
        seen[(s.num & 31) * 32 + (s.den & 31)] = true;
        if (add(&fg, &gen.tunes[i], ix, lo, hi, &err))
            goto failed;
    }
    for (int32_t i = 0; i < corpus.n_tunes; i++) {
        Tune first;
        const Tune *t = &corpus.tunes[i];
        ReelStatus s;
        if (!metre_seen(seen, t) || gen_bar_count(t) < bars)
            continue;
        if (gen_excerpt(t, 0, bars, &first, &err))
            goto failed;
        s = add(&fc, &first, NULL, lo, hi, &err);
        tune_free(&first);
        if (s)
            goto failed;
    }
    metrics_set_finish(&fg.set);
    metrics_set_finish(&fc.set);
    row("corpus", &fc, &fc);
    row("generated", &fg, &fc);
    printf("generated: %d of the 3 commonest keys among the corpus's 5 commonest; %d melodies "
           "with a pitch outside the corpus's %d..%d; %d (%.1f%%) with 4 bars copied (at most)\n",
           keys_in_top5(&fg, &fc), fg.outside, lo, hi, fg.copied4,
           pct(fg.copied4, fg.melodies));
    rc = 0;
    goto done;
failed:
    fprintf(stderr, "formcheck: %s\n", err.msg);
done:
    origin_free(ix);
    corpus_free(&corpus);
    corpus_free(&gen);
    return rc;
}
