/* evaljob.c — an evaluation job (evaljob.h). */
#include "evaljob.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "data.h"
#include "generate.h"
#include "roundtrip.h"

/* ---- columns ------------------------------------------------------------ */

static void column_init(EvalColumn *col, const char *label, double temperature)
{
    snprintf(col->label, sizeof col->label, "%s", label);
    col->temperature = temperature;
    metrics_set_init(&col->set);
}

static ReelStatus query_into(EvalColumn *col, const OriginIndex *ix, const Tune *t,
                             int32_t exclude, MelodyMetrics *mm, ReelError *err)
{
    double t0 = now_sec();
    ReelStatus s = origin_query(ix, t, exclude, &mm->origin, err);
    if (s)
        return s;
    col->query_sec += now_sec() - t0;
    col->queries++;
    mm->has_origin = true;
    return REEL_OK;
}

/* One reference tune's pieces of `bars` complete bars from bar 1 (only the
 * first with first_only), each against the other tunes. */
static ReelStatus add_pieces(EvalColumn *col, const EvalRef *r, int32_t i, int32_t bars,
                             bool first_only, ReelError *err)
{
    const Tune *t = &r->ref[i];
    int32_t nb = tune_bars(t, NULL, 0);
    for (int32_t b = 0; b + bars <= nb && !(first_only && b > 0); b += bars) {
        Tune piece;
        MelodyMetrics mm;
        ReelStatus s = gen_excerpt(t, b, bars, &piece, err);
        if (s)
            return s;
        if (!(s = metrics_compute(&piece, NULL, &mm, err)))
            s = query_into(col, r->ix, &piece, i, &mm, err);
        tune_free(&piece);
        if (s)
            return s;
        if (mm.notes > 0)
            metrics_set_add(&col->set, &mm);
    }
    return REEL_OK;
}

/* Whole tunes (bars <= 0) or their pieces of `bars` bars (the first of
 * each with first_only). */
static ReelStatus corpus_column(EvalColumn *col, const EvalRef *r, int32_t bars, bool first_only,
                                ReelError *err)
{
    ReelStatus s;
    for (int32_t i = 0; i < r->n_ref; i++) {
        const Tune *t = &r->ref[i];
        MelodyMetrics mm;
        if (t->n_notes == 0)
            continue;
        if (bars > 0) {
            if ((s = add_pieces(col, r, i, bars, first_only, err)))
                return s;
            continue;
        }
        if ((s = metrics_compute(t, NULL, &mm, err)) ||
            (s = query_into(col, r->ix, t, i, &mm, err)))
            return s;
        metrics_set_add(&col->set, &mm);
    }
    metrics_set_finish(&col->set);
    col->origin_loo = true;
    return REEL_OK;
}

/* ---- generating ------------------------------------------------------------ */

/* The metre and tempo of a reference tune drawn with rng, for a silent prime. */
static ReelStatus meta_from_corpus(const EvalRef *r, Rng *rng, Tune *meta, ReelError *err)
{
    const Tune *t = &r->ref[rng_below(rng, (uint64_t)r->n_ref)];
    TimeSig s = tune_sig_at(t, 0);
    ReelStatus st = REEL_OK;
    tune_init(meta);
    if (t->n_sigs > 0)
        st = tune_add_sig(meta, 0, s.num, s.den, err);
    if (!st && t->n_tempos > 0)
        st = tune_add_tempo(meta, 0, tune_tempo_at(t, 0), err);
    return st;
}

static ReelStatus prime_one(Generator *g, const EvalRef *r, EvalPrime pk, Rng *rng, Tune *seed,
                            ReelError *err)
{
    ReelStatus s;
    if (pk == EVAL_PRIME_RESTS) {
        if ((s = meta_from_corpus(r, rng, seed, err)))
            return s;
        return gen_prime_rests(g, 1, seed, NULL, err);
    } else {
        Corpus view = evalref_view(r);
        if ((s = gen_corpus_excerpt(&view, EVAL_PRIME_BARS, rng, seed, NULL, NULL, err)))
            return s;
        return gen_prime_tune(g, seed, NULL, err);
    }
}

/* The first bar of whole that starts at or after step. */
static ReelStatus bar_at(const Tune *whole, int32_t step, int32_t *bar, ReelError *err)
{
    int32_t nb = tune_bars(whole, NULL, 0);
    int32_t *starts = malloc(((size_t)nb + 1) * sizeof *starts);
    if (!starts)
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    tune_bars(whole, starts, nb + 1);
    for (*bar = 0; *bar < nb && starts[*bar] < step; (*bar)++)
        ;
    free(starts);
    return REEL_OK;
}

/* One melody: its generated bars into *out. */
static ReelStatus generate_one(Generator *g, const EvalRef *r, EvalPrime pk, uint64_t seed,
                               int32_t bars, Tune *out, ReelError *err)
{
    Rng rng;
    Tune prime, whole;
    GenSpan span;
    bool reached;
    int32_t end, first_bar = 0;
    ReelStatus s;
    tune_init(&prime);
    tune_init(&whole);
    tune_init(out);
    rng_seed(&rng, seed ^ 0x5eed5eed5eedull);
    gen_reseed(g, seed);
    if ((s = prime_one(g, r, pk, &rng, &prime, err)))
        goto done;
    end = gen_bars_end(g, (int)bars);
    if ((s = gen_until(g, end, 0, &reached, err)) || (s = gen_tune(g, end, &whole, &span, err)))
        goto done;
    if (pk == EVAL_PRIME_CORPUS && (s = bar_at(&whole, span.start_step, &first_bar, err)))
        goto done;
    s = gen_excerpt(&whole, first_bar, bars, out, err);
done:
    tune_free(&prime);
    tune_free(&whole);
    return s;
}

static ReelStatus add_copy(EvalColumn *col, const Tune *t, uint64_t seed, const OriginResult *o,
                           ReelError *err)
{
    EvalCopy *c = realloc(col->copies, ((size_t)col->n_copies + 1) * sizeof *c);
    TimeSig ts = tune_sig_at(t, 0);
    if (!c)
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    col->copies = c;
    c[col->n_copies].seed = seed;
    c[col->n_copies].num = ts.num;
    c[col->n_copies].den = ts.den;
    c[col->n_copies++].o = *o;
    return REEL_OK;
}

static ReelStatus generated_column(EvalColumn *col, const EvalJobOpts *o, const EvalRef *r,
                                   ReelError *err)
{
    SampleOpts so = sample_defaults();
    Generator *g = NULL;
    char what[64];
    ReelStatus s;
    so.temperature = (float)col->temperature;
    so.top_k = o->top_k;
    if (o->top_p > 0)
        so.top_p = (float)o->top_p;
    if ((s = gen_new(&g, o->m, &so, o->seed, err)))
        return s;
    snprintf(what, sizeof what, "generating at T=%g:", col->temperature);
    for (long i = 0; i < o->n && !s; i++) {
        uint64_t seed = o->seed + (uint64_t)i;
        Tune t;
        MelodyMetrics mm;
        if (o->progress)
            o->progress(o->user, what, i, o->n);
        if ((s = generate_one(g, r, o->prime, seed, (int32_t)o->bars, &t, err)))
            break;
        if (!(s = metrics_compute(&t, NULL, &mm, err)) &&
            !(s = query_into(col, r->ix, &t, -1, &mm, err)) && mm.origin.copied > 0)
            s = add_copy(col, &t, seed, &mm.origin, err);
        tune_free(&t);
        if (!s)
            metrics_set_add(&col->set, &mm);
    }
    if (!s && o->progress)
        o->progress(o->user, what, o->n, o->n);
    if (!s)
        metrics_set_finish(&col->set);
    gen_free(g);
    return s;
}

/* ---- the three kinds ------------------------------------------------------- */

static ReelStatus load_ref(EvalJob *j, const EvalJobOpts *o, ReelError *err)
{
    j->stage = EVAL_AT_CORPUS;
    if (o->progress)
        o->progress(o->user, o->corpus->paths[0], 0, -1);
    return evalref_load(&j->ref, o->corpus, o->m, err);
}

static ReelStatus run_model(EvalJob *j, const EvalJobOpts *o, ReelError *err)
{
    ReelStatus s;
    char label[48];
    if ((s = load_ref(j, o, err)))
        return s;
    j->stage = EVAL_AT_COLUMNS;
    column_init(&j->cols[0], "corpus", 0);
    snprintf(label, sizeof label, "first %ld bars", o->bars);
    column_init(&j->first, label, 0);
    if ((s = corpus_column(&j->cols[0], &j->ref, (int32_t)o->bars, false, err)) ||
        (s = corpus_column(&j->first, &j->ref, (int32_t)o->bars, true, err)))
        return s;
    j->has_first = true;
    j->nc = 1;
    for (int i = 0; i < o->n_temps; i++, j->nc++) {
        EvalColumn *c = &j->cols[j->nc];
        snprintf(label, sizeof label, "T=%g", o->temps[i]);
        column_init(c, label, o->temps[i]);
        if ((s = generated_column(c, o, &j->ref, err)))
            return s;
        metrics_compare(&j->cols[0].set, &c->set, c->cmp);
        metrics_compare(&j->first.set, &c->set, c->cmp_first);
        c->has_cmp = true;
    }
    return REEL_OK;
}

static ReelStatus run_corpus(EvalJob *j, const EvalJobOpts *o, ReelError *err)
{
    ReelStatus s;
    char label[48];
    if ((s = load_ref(j, o, err)))
        return s;
    j->stage = EVAL_AT_COLUMNS;
    snprintf(label, sizeof label, "%ld-bar pieces", o->bars);
    column_init(&j->cols[0], "whole tunes", 0);
    column_init(&j->cols[1], label, 0);
    if ((s = corpus_column(&j->cols[0], &j->ref, 0, false, err)) ||
        (s = corpus_column(&j->cols[1], &j->ref, (int32_t)o->bars, false, err)))
        return s;
    j->nc = 2;
    return REEL_OK;
}

static ReelStatus run_melody(EvalJob *j, const EvalJobOpts *o, ReelError *err)
{
    EvalColumn *mel = &j->cols[0], *corpus = &j->cols[1];
    ReelStatus s;
    j->stage = EVAL_AT_MELODY;
    if ((s = corpus_load_tune(o->file, NULL, 1, &j->mel, err)) ||
        (s = metrics_compute(&j->mel, NULL, &j->mm, err)))
        return s;
    column_init(mel, "melody", 0);
    j->nc = 1;
    if (o->corpus && o->corpus->n > 0) {
        int32_t bars = j->mm.bars > 0 ? j->mm.bars : 1;
        if ((s = load_ref(j, o, err)))
            return s;
        j->stage = EVAL_AT_COLUMNS;
        if ((s = query_into(mel, j->ref.ix, &j->mel, -1, &j->mm, err)))
            return s;
        column_init(corpus, "corpus", 0);
        if ((s = corpus_column(corpus, &j->ref, bars, false, err)))
            return s;
        metrics_compare(&corpus->set, &mel->set, mel->cmp);
        mel->has_cmp = true;
        j->nc = 2;
    }
    metrics_set_add(&mel->set, &j->mm);
    metrics_set_finish(&mel->set);
    return REEL_OK;
}

/* Notes of the tunes d holds, as m's encoding gives them back (a tune that
 * does not round-trip counts its own notes). */
static int64_t test_notes(const Model *m, const Corpus *c, const Dataset *d)
{
    int64_t n = 0;
    for (int32_t i = 0; i < d->n_tunes; i++) {
        const Tune *t = &c->tunes[d->src[i]];
        Tune back;
        ReelError e;
        if (roundtrip_tune(&m->enc, m->vocab, t, &back, &e) == REEL_OK)
            n += back.n_notes;
        else
            n += t->n_notes;
        tune_free(&back);
    }
    return n;
}

/* The model's loss and accuracy on the tunes in dir; the loss per note. */
static ReelStatus run_test(EvalJob *j, const EvalJobOpts *o, ReelError *err)
{
    const char *paths[1] = {o->test_dir};
    Corpus c;
    CorpusOpts co;
    Dataset d;
    ReelError e;
    ReelStatus s;
    EncOpts held = o->m->enc;
    held.shifts = 0; /* as training holds tunes out: as they are, not transposed */
    j->stage = EVAL_AT_TEST;
    corpus_init(&c);
    memset(&d, 0, sizeof d);
    memset(&co, 0, sizeof co);
    if (o->corpus && o->corpus->part[0])
        co.quant.part = o->corpus->part;
    if (!(s = corpus_load(&c, paths, 1, &co, &e))) {
        j->test_tunes = c.n_tunes;
        if (!(s = data_build(&d, c.tunes, NULL, c.n_tunes, &held, o->m->vocab, &e)))
            s = train_evaluate(o->m, &d, &j->test, &e);
        if (!s) {
            j->test_notes = test_notes(o->m, &c, &d);
            j->test_loss_note = j->test_notes > 0 ? j->test.loss * (double)j->test.positions /
                                                        (double)j->test_notes
                                                  : NAN;
        }
    }
    data_free(&d);
    corpus_free(&c);
    return s ? reel_fail(err, s, "%s: %s", o->test_dir, e.msg) : REEL_OK;
}

ReelStatus evaljob_run(EvalJob *j, const EvalJobOpts *o, ReelError *err)
{
    ReelStatus s;
    memset(j, 0, sizeof *j);
    evalref_init(&j->ref);
    tune_init(&j->mel);
    if (!(j->cols = calloc(EVAL_MAX_TEMPS + 2, sizeof *j->cols)))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    if (o->file)
        s = run_melody(j, o, err);
    else if (!o->m)
        s = run_corpus(j, o, err);
    else
        s = run_model(j, o, err);
    if (!s && o->test_dir && o->m)
        s = run_test(j, o, err);
    if (!s)
        j->stage = EVAL_AT_DONE;
    return s;
}

void evaljob_free(EvalJob *j)
{
    for (int c = 0; j->cols && c < EVAL_MAX_TEMPS + 2; c++)
        free(j->cols[c].copies);
    free(j->cols);
    j->cols = NULL;
    tune_free(&j->mel);
    evalref_free(&j->ref);
}

/* ---- targets ---------------------------------------------------------------- */

static bool within(double v, double ref, double rel)
{
    return !isnan(v) && !isnan(ref) && fabs(v - ref) <= rel * ref + 1e-12;
}

EvalTargets evaljob_targets(const EvalColumn *corpus, const EvalColumn *gen)
{
    EvalTargets t;
    double ik = gen->set.s[METRICS_IN_KEY].mean, ref = corpus->set.s[METRICS_IN_KEY].mean;
    t.in_key = !isnan(ik) && !isnan(ref) && ik >= ref - 0.05;
    t.rep1 = within(gen->set.s[METRICS_REP1].mean, corpus->set.s[METRICS_REP1].mean, 0.3);
    t.rep2 = within(gen->set.s[METRICS_REP2].mean, corpus->set.s[METRICS_REP2].mean, 0.3);
    t.copies = gen->set.copied_melodies == 0;
    return t;
}
