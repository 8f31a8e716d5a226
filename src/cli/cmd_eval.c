/* cmd_eval.c — `reel eval`: melody metrics of generated melodies beside the
 * corpus's (key, in-key share, repetition, self-similarity, distributions,
 * originality), validation loss on a held-out folder, the corpus's own
 * figures, or one melody's.  The figures are those of src/metrics.h and
 * src/origin.h, which the studio's panel shows too. */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cli.h"
#include "corpus.h"
#include "data.h"
#include "generate.h"
#include "metrics.h"
#include "model.h"
#include "origin.h"
#include "train.h"

#define ME "reel eval"
#define EVAL_DEFAULT_N 50
#define EVAL_DEFAULT_BARS 8
#define EVAL_MAX_TEMPS 16
#define EVAL_MAX_CORPUS 16
#define EVAL_PRIME_BARS 2        /* --prime corpus: bars of the excerpt */
#define EVAL_JUDGED_T 1.0        /* the temperature the copy target is judged at */

static void eval_usage(FILE *f)
{
    fprintf(f,
        "usage: reel eval --model MODEL [--corpus DIR] [OPTIONS]   generated vs corpus\n"
        "       reel eval --corpus DIR [OPTIONS]                   the corpus's own figures\n"
        "       reel eval FILE [--corpus DIR | --model MODEL]      one melody\n"
        "\n"
        "Melody metrics, the same the studio's panel shows: key (Krumhansl-Schmuckler on\n"
        "the duration-weighted pitch classes), in-key share, key stability bar by bar,\n"
        "notes per bar, pitch range, repetition (bars equal to the bar 1 or 2 before),\n"
        "self-similarity of bars; pitch-class, interval, note-length, range and density\n"
        "distributions compared with the corpus (KL divergence and overlap area, as\n"
        "MGEval); originality: the longest run of notes copied from one corpus tune and\n"
        "the 2-bar windows (of 4 notes or more) found verbatim in the corpus, silences\n"
        "included, anywhere in a tune.  Definitions: src/metrics.h, src/origin.h.\n"
        "\n");
    fprintf(f,
        "With a model, -n melodies of --bars bars are generated at each temperature and\n"
        "set beside the corpus.  The corpus is read as the model's encoding gives it back\n"
        "(encode + decode: what the model could learn; roll13 moves tunes by octaves),\n"
        "and cut into pieces of --bars bars, so both sides are the same length.  A\n"
        "corpus piece's originality is measured against the other tunes.\n"
        "\n"
        "options:\n"
        "  -m, --model FILE      the model (made by reel train)\n"
        "  -c, --corpus DIR      the corpus (MIDI/ABC files or folders; may be repeated);\n"
        "                        default: the folders the model was trained on, as its\n"
        "                        header records them (reel info shows them)\n"
        "  -n, --melodies N      melodies generated per temperature (%d)\n"
        "  --bars N              bars per melody, and per corpus piece (%d)\n"
        "  -t, --temperature T   sampling temperature; a list 0.5,0.8,1 gives a column\n"
        "                        each (the memorisation report) (1)\n"
        "  --temperatures LIST   the same\n"
        "  --seed N              melody i uses seed N+i, the same at every temperature (1)\n",
        EVAL_DEFAULT_N, EVAL_DEFAULT_BARS);
    fprintf(f,
        "  --prime rests         each melody follows 1 bar of silence, in the time\n"
        "                        signature and tempo of a corpus tune drawn with its seed\n"
        "                        (so the metres are the corpus's); the default\n"
        "  --prime corpus        each melody continues a random %d-bar corpus excerpt; only\n"
        "                        the bars after it are measured\n"
        "  --test DIR            also the loss and accuracy of the model on the tunes in\n"
        "                        DIR (held-out data), as reel train validates\n"
        "  --copies              list the generated melodies with a copied window, with\n"
        "                        the reel generate line that makes each again (--json\n"
        "                        always lists them)\n"
        "  --json                everything as one JSON object on stdout\n"
        "  -q, --quiet           no progress or notes on stderr\n"
        "  -h, --help            this text\n"
        "\n"
        "Targets (issue #6), judged against the corpus column and printed with a model:\n"
        "in-key share at least the corpus's minus 5 points; 1- and 2-bar repetition\n"
        "within 30%% of the corpus's; no melody with a 2-bar window copied verbatim at\n"
        "temperature 1.\n"
        "\n"
        "Exit status: 0 success; 1 failure (a model, corpus or file that does not load);\n"
        "2 bad usage.\n",
        EVAL_PRIME_BARS);
}

/* ---- columns ------------------------------------------------------------ */

/* A generated melody with a copied 2-bar window (--copies). */
typedef struct Copy {
    uint64_t seed;
    int num, den;               /* its time signature */
    OriginResult o;
} Copy;

typedef struct {
    char label[48];
    double temperature;         /* generated columns; 0 for the others */
    bool origin_loo;            /* corpus: originality against the other tunes */
    MetricsSet set;
    MetricsCompare cmp[METRICS_HISTS];
    bool has_cmp;
    double query_sec;           /* time spent in origin queries */
    struct Copy *copies;        /* generated melodies with a copied window (owned) */
    int32_t n_copies;
    int32_t queries;
} Column;

typedef struct {
    bool json, quiet, tty;
    const char *model_path;
    Model m;
    bool have_model;
    const char *corpus_paths[EVAL_MAX_CORPUS];
    int n_corpus;
    char corpus_buf[sizeof(((TrainSettings *)0)->corpus)];
    char part[128];
    Corpus raw;                 /* as loaded */
    Tune *ref;                  /* the reference tunes: raw, or round-tripped (owned) */
    int32_t n_ref;
    long ref_failed;            /* tunes that did not round-trip */
    OriginIndex *ix;
    double build_sec;
} Eval;

static void progress(const Eval *x, const char *what, long done, long total)
{
    if (x->quiet || !x->tty)
        return;
    fprintf(stderr, "\r%s %ld/%ld ", what, done, total);
    if (done == total)
        fprintf(stderr, "\r%*s\r", 60, "");
}

/* ---- the corpus ------------------------------------------------------------ */

/* The model's corpus: "path path (part NAME)". */
static void corpus_from_model(Eval *x)
{
    char *p, *save = NULL;
    size_t n;
    snprintf(x->corpus_buf, sizeof x->corpus_buf, "%s", x->m.train.corpus);
    n = strlen(x->corpus_buf);
    if (n > 0 && x->corpus_buf[n - 1] == ')' && (p = strstr(x->corpus_buf, " (part ")) != NULL) {
        snprintf(x->part, sizeof x->part, "%.*s", (int)(strlen(p + 7) - 1), p + 7);
        *p = '\0';
    }
    for (p = strtok_r(x->corpus_buf, " ", &save); p && x->n_corpus < EVAL_MAX_CORPUS;
         p = strtok_r(NULL, " ", &save)) {
        /* Recorded on another machine: look under $REEL_CORPUS. */
        static char moved[EVAL_MAX_CORPUS][1024];
        corpus_relocate(p, moved[x->n_corpus], sizeof moved[x->n_corpus]);
        x->corpus_paths[x->n_corpus] = moved[x->n_corpus];
        x->n_corpus++;
    }
}

static int load_corpus(Eval *x)
{
    CorpusOpts co;
    ReelError err;
    double t0;
    memset(&co, 0, sizeof co);
    if (x->part[0])
        co.quant.part = x->part;
    if (!x->quiet && x->tty)
        fprintf(stderr, "reading %s ...\r", x->corpus_paths[0]);
    if (corpus_load(&x->raw, x->corpus_paths, x->n_corpus, &co, &err)) {
        fprintf(stderr, ME ": corpus %s: %s\n", x->corpus_paths[0], err.msg);
        if (!x->n_corpus || x->have_model)
            fprintf(stderr, ME ": give the corpus with --corpus DIR\n");
        return 1;
    }
    if (!x->have_model) {
        x->ref = x->raw.tunes;
        x->n_ref = x->raw.n_tunes;
    } else {
        /* As the model's encoding gives it back. */
        x->ref = calloc((size_t)x->raw.n_tunes, sizeof *x->ref);
        if (!x->ref) {
            fprintf(stderr, ME ": out of memory\n");
            return 1;
        }
        for (int32_t i = 0; i < x->raw.n_tunes; i++) {
            Encoded e;
            memset(&e, 0, sizeof e);
            tune_init(&x->ref[x->n_ref]);
            if (enc_encode(&x->m.enc, x->m.vocab, &x->raw.tunes[i], &e, &err) ||
                enc_decode(&x->m.enc, x->m.vocab, &e, &x->raw.tunes[i], &x->ref[x->n_ref],
                           &err)) {
                x->ref_failed++;
                tune_free(&x->ref[x->n_ref]);
                tune_init(&x->ref[x->n_ref]);
            }
            x->n_ref++;
            enc_free(&e);
        }
    }
    t0 = now_sec();
    if (origin_build(&x->ix, x->ref, x->n_ref, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        return 1;
    }
    x->build_sec = now_sec() - t0;
    return 0;
}

static bool query_into(Column *col, const OriginIndex *ix, const Tune *t, int32_t exclude,
                       MelodyMetrics *mm, ReelError *err)
{
    double t0 = now_sec();
    if (origin_query(ix, t, exclude, &mm->origin, err))
        return false;
    col->query_sec += now_sec() - t0;
    col->queries++;
    mm->has_origin = true;
    return true;
}

/* Whole tunes (bars <= 0) or every piece of `bars` complete bars from bar 1,
 * each against the other tunes. */
static int corpus_column(Eval *x, Column *col, int32_t bars)
{
    ReelError err;
    for (int32_t i = 0; i < x->n_ref; i++) {
        const Tune *t = &x->ref[i];
        int32_t nb;
        MelodyMetrics mm;
        if (t->n_notes == 0)
            continue;
        if (bars <= 0) {
            if (metrics_compute(t, NULL, &mm, &err) || !query_into(col, x->ix, t, i, &mm, &err))
                goto fail;
            metrics_set_add(&col->set, &mm);
            continue;
        }
        nb = tune_bars(t, NULL, 0);
        for (int32_t b = 0; b + bars <= nb; b += bars) {
            Tune piece;
            bool ok;
            if (gen_excerpt(t, b, bars, &piece, &err))
                goto fail;
            ok = !metrics_compute(&piece, NULL, &mm, &err) &&
                 query_into(col, x->ix, &piece, i, &mm, &err);
            tune_free(&piece);
            if (!ok)
                goto fail;
            if (mm.notes > 0)
                metrics_set_add(&col->set, &mm);
        }
    }
    metrics_set_finish(&col->set);
    col->origin_loo = true;
    return 0;
fail:
    fprintf(stderr, ME ": %s\n", err.msg);
    return 1;
}

/* ---- generating -------------------------------------------------------------- */

typedef enum { PRIME_RESTS, PRIME_CORPUS } PrimeKind;

/* The metre and tempo of a corpus tune drawn with r, for a silent prime. */
static int meta_from_corpus(const Eval *x, Rng *r, Tune *meta)
{
    ReelError err;
    const Tune *t = &x->ref[rng_below(r, (uint64_t)x->n_ref)];
    TimeSig s = tune_sig_at(t, 0);
    tune_init(meta);
    if ((t->n_sigs > 0 && tune_add_sig(meta, 0, s.num, s.den, &err)) ||
        (t->n_tempos > 0 && tune_add_tempo(meta, 0, tune_tempo_at(t, 0), &err))) {
        fprintf(stderr, ME ": %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* One melody: its generated bars into *out. */
static int generate_one(Eval *x, Generator *g, PrimeKind pk, uint64_t seed, int32_t bars,
                        Tune *out)
{
    ReelError err;
    Rng r;
    Tune seed_tune, whole;
    GenSpan span;
    bool reached;
    int32_t end, first_bar = 0;
    int rc = 1;
    tune_init(&seed_tune);
    tune_init(&whole);
    tune_init(out);
    rng_seed(&r, seed ^ 0x5eed5eed5eedull);
    gen_reseed(g, seed);
    if (pk == PRIME_RESTS) {
        if (meta_from_corpus(x, &r, &seed_tune))
            goto done;
        if (gen_prime_rests(g, 1, &seed_tune, NULL, &err))
            goto fail;
    } else {
        Corpus view;
        memset(&view, 0, sizeof view);
        view.tunes = x->ref;
        view.n_tunes = x->n_ref;
        if (gen_corpus_excerpt(&view, EVAL_PRIME_BARS, &r, &seed_tune, NULL, NULL, &err) ||
            gen_prime_tune(g, &seed_tune, NULL, &err))
            goto fail;
    }
    end = gen_bars_end(g, (int)bars);
    if (gen_until(g, end, 0, &reached, &err) || gen_tune(g, end, &whole, &span, &err))
        goto fail;
    if (pk == PRIME_CORPUS) {
        int32_t nb = tune_bars(&whole, NULL, 0);
        int32_t *starts = malloc(((size_t)nb + 1) * sizeof *starts);
        if (!starts) {
            fprintf(stderr, ME ": out of memory\n");
            goto done;
        }
        tune_bars(&whole, starts, nb + 1);
        for (first_bar = 0; first_bar < nb && starts[first_bar] < span.start_step; first_bar++)
            ;
        free(starts);
    }
    if (gen_excerpt(&whole, first_bar, bars, out, &err))
        goto fail;
    rc = 0;
    goto done;
fail:
    fprintf(stderr, ME ": %s\n", err.msg);
done:
    tune_free(&seed_tune);
    tune_free(&whole);
    return rc;
}

static int generated_column(Eval *x, Column *col, double temp, PrimeKind pk, uint64_t seed,
                            long n, int32_t bars)
{
    SampleOpts so = sample_defaults();
    Generator *g = NULL;
    ReelError err;
    char what[64];
    int rc = 1;
    so.temperature = (float)temp;
    if (gen_new(&g, &x->m, &so, seed, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        return 1;
    }
    snprintf(what, sizeof what, "generating at T=%g:", temp);
    for (long i = 0; i < n; i++) {
        Tune t;
        MelodyMetrics mm;
        progress(x, what, i, n);
        if (generate_one(x, g, pk, seed + (uint64_t)i, bars, &t))
            goto done;
        if (metrics_compute(&t, NULL, &mm, &err) || !query_into(col, x->ix, &t, -1, &mm, &err)) {
            fprintf(stderr, ME ": %s\n", err.msg);
            tune_free(&t);
            goto done;
        }
        if (mm.origin.copied > 0) {
            Copy *c = realloc(col->copies, ((size_t)col->n_copies + 1) * sizeof *c);
            TimeSig ts = tune_sig_at(&t, 0);
            if (!c) {
                fprintf(stderr, ME ": out of memory\n");
                tune_free(&t);
                goto done;
            }
            col->copies = c;
            c[col->n_copies].seed = seed + (uint64_t)i;
            c[col->n_copies].num = ts.num;
            c[col->n_copies].den = ts.den;
            c[col->n_copies++].o = mm.origin;
        }
        tune_free(&t);
        metrics_set_add(&col->set, &mm);
    }
    progress(x, what, n, n);
    metrics_set_finish(&col->set);
    rc = 0;
done:
    gen_free(g);
    return rc;
}

/* ---- printing ------------------------------------------------------------------ */

static bool is_share(MetricsScalar k)
{
    return k == METRICS_MAJOR || k == METRICS_IN_KEY || k == METRICS_KEY_STABILITY ||
           k == METRICS_REP1 || k == METRICS_REP2 || k == METRICS_REP1_TRANSPOSED ||
           k == METRICS_COPIED_ANY;
}

static void cell(char *buf, size_t n, double v, bool share, int decimals)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else if (share)
        snprintf(buf, n, "%.1f%%", 100 * v);
    else
        snprintf(buf, n, "%.*f", decimals, v);
}

static void row(const char *label, char cells[][32], int nc)
{
    printf("  %-34s", label);
    for (int c = 0; c < nc; c++)
        printf(" %12s", cells[c]);
    printf("\n");
}

static void print_table(const Column *cols, int nc)
{
    char cells[EVAL_MAX_TEMPS + 2][32];
    static const MetricsScalar shown[] = {
        METRICS_MAJOR, METRICS_KEY_R, METRICS_IN_KEY, METRICS_KEY_STABILITY, METRICS_DENSITY,
        METRICS_RANGE, METRICS_REP1, METRICS_REP2, METRICS_REP1_TRANSPOSED, METRICS_SELF_SIM,
    };
    for (int c = 0; c < nc; c++)
        snprintf(cells[c], 32, "%.12s", cols[c].label);
    row("", cells, nc);
    for (int c = 0; c < nc; c++)
        snprintf(cells[c], 32, "%ld", (long)cols[c].set.melodies);
    row("melodies", cells, nc);
    for (int c = 0; c < nc; c++)
        snprintf(cells[c], 32, "%.1f",
                 cols[c].set.melodies ? (double)cols[c].set.bars / cols[c].set.melodies : 0.0);
    row("bars per melody", cells, nc);
    for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++) {
        for (int c = 0; c < nc; c++)
            cell(cells[c], 32, cols[c].set.s[shown[k]].mean, is_share(shown[k]),
                 shown[k] == METRICS_KEY_R || shown[k] == METRICS_SELF_SIM ? 3 : 2);
        row(metrics_scalar_label(shown[k]), cells, nc);
    }
    {
        bool loo = false;
        for (int c = 0; c < nc; c++)
            loo = loo || cols[c].origin_loo;
        printf("  originality%s\n", loo ? " (corpus: each against the other tunes)" : "");
    }
    for (int c = 0; c < nc; c++)
        cell(cells[c], 32, cols[c].set.s[METRICS_RUN].mean, false, 1);
    row("longest copied run, mean (notes)", cells, nc);
    for (int c = 0; c < nc; c++)
        snprintf(cells[c], 32, "%d", cols[c].set.run_max);
    row("longest copied run, max (notes)", cells, nc);
    for (int c = 0; c < nc; c++)
        cell(cells[c], 32, cols[c].set.s[METRICS_RUN_TRANSPOSED].mean, false, 1);
    row("... up to transposition, mean", cells, nc);
    for (int c = 0; c < nc; c++)
        snprintf(cells[c], 32, "%d", cols[c].set.copied_melodies);
    row("melodies with a copied 2-bar window", cells, nc);
    for (int c = 0; c < nc; c++)
        cell(cells[c], 32, cols[c].set.s[METRICS_COPIED_ANY].mean, true, 1);
    row("... share of melodies", cells, nc);
    for (int c = 0; c < nc; c++)
        cell(cells[c], 32, metrics_set_copied_share(&cols[c].set, false), true, 1);
    row("2-bar windows copied", cells, nc);
    for (int c = 0; c < nc; c++)
        cell(cells[c], 32, metrics_set_copied_share(&cols[c].set, true), true, 1);
    row("... up to transposition", cells, nc);
    if (nc > 1 && cols[1].has_cmp) {
        printf("  distributions against the %s column: KL divergence (nats) / overlap\n",
               cols[0].label);
        for (int h = 0; h < METRICS_HISTS; h++) {
            snprintf(cells[0], 32, "-");
            for (int c = 1; c < nc; c++) {
                if (isnan(cols[c].cmp[h].kl))
                    snprintf(cells[c], 32, "-");
                else
                    snprintf(cells[c], 32, "%.3f/%.2f", cols[c].cmp[h].kl,
                             cols[c].cmp[h].overlap);
            }
            row(metrics_hist_label((MetricsHist)h), cells, nc);
        }
    }
}

/* Every generated melody with a copied window, and how to make it again. */
static void print_copies(const Eval *x, const Column *cols, int nc, PrimeKind pk, long bars)
{
    printf("\nmelodies with a copied 2-bar window\n");
    for (int c = 1; c < nc; c++) {
        for (int32_t i = 0; i < cols[c].n_copies; i++) {
            const Copy *k = &cols[c].copies[i];
            printf("  %s seed %llu (%d/%d): windows at bars", cols[c].label,
                   (unsigned long long)k->seed, k->num, k->den);
            for (int b = 0; b < 64; b++)
                if (k->o.copied_mask >> b & 1)
                    printf(" %d-%d", b + 1, b + 2);
            printf("; longest run %d notes, from bar %d: bar %d of %s\n", k->o.run,
                   k->o.run_bar + 1, k->o.run_tune_bar + 1,
                   origin_tune_name(x->ix, k->o.run_tune));
            if (pk == PRIME_RESTS)
                printf("    reel generate --model %s -t %g --seed %llu --meter %d/%d --bars %ld\n",
                       x->model_path, cols[c].temperature, (unsigned long long)k->seed, k->num,
                       k->den, bars);
        }
        if (cols[c].n_copies == 0)
            printf("  %s: none\n", cols[c].label);
    }
}

/* The targets of issue #6 for a generated column against the corpus. */
typedef struct {
    bool in_key, rep1, rep2, copies;
} Targets;

static bool within(double v, double ref, double rel)
{
    return !isnan(v) && !isnan(ref) && fabs(v - ref) <= rel * ref + 1e-12;
}

static Targets targets_of(const Column *corpus, const Column *gen)
{
    Targets t;
    double ik = gen->set.s[METRICS_IN_KEY].mean, ref = corpus->set.s[METRICS_IN_KEY].mean;
    t.in_key = !isnan(ik) && !isnan(ref) && ik >= ref - 0.05;
    t.rep1 = within(gen->set.s[METRICS_REP1].mean, corpus->set.s[METRICS_REP1].mean, 0.3);
    t.rep2 = within(gen->set.s[METRICS_REP2].mean, corpus->set.s[METRICS_REP2].mean, 0.3);
    t.copies = gen->set.copied_melodies == 0;
    return t;
}

static void print_targets(const Column *cols, int nc, long bars)
{
    char cells[EVAL_MAX_TEMPS + 2][32];
    printf("targets (issue #6), against the corpus column\n");
    snprintf(cells[0], 32, "corpus");
    for (int c = 1; c < nc; c++)
        snprintf(cells[c], 32, "%.12s", cols[c].label);
    row("", cells, nc);
    for (int k = 0; k < 4; k++) {
        static const char *const labels[] = {
            "in-key >= corpus - 5 points", "1-bar repeats within 30%",
            "2-bar repeats within 30%", "no melody with a copied window"};
        static const MetricsScalar sc[] = {METRICS_IN_KEY, METRICS_REP1, METRICS_REP2};
        if (k < 3)
            cell(cells[0], 32, cols[0].set.s[sc[k]].mean, true, 1);
        else
            snprintf(cells[0], 32, "(at T=%g)", EVAL_JUDGED_T);
        for (int c = 1; c < nc; c++) {
            Targets t = targets_of(&cols[0], &cols[c]);
            bool ok = k == 0 ? t.in_key : k == 1 ? t.rep1 : k == 2 ? t.rep2 : t.copies;
            char v[16];
            if (k < 3)
                cell(v, sizeof v, cols[c].set.s[sc[k]].mean, true, 1);
            else
                snprintf(v, sizeof v, "%d", cols[c].set.copied_melodies);
            snprintf(cells[c], 32, "%s %s", ok ? "ok" : "MISSED", v);
        }
        row(labels[k], cells, nc);
    }
    /* Repeats are rare: say when the melodies are too few to judge the band. */
    for (int k = 1; k <= 2 && nc > 1 && bars > k; k++) {
        double p = cols[0].set.s[k == 1 ? METRICS_REP1 : METRICS_REP2].mean;
        long have = cols[1].set.melodies;
        double need_pairs, expect;
        long need;
        if (isnan(p) || p <= 0 || p >= 1)
            continue;
        /* The binomial standard error sqrt(p(1-p)/pairs) at most 15% of p
         * (half the band). */
        need_pairs = (1 - p) / (p * 0.15 * 0.15);
        need = (long)ceil(need_pairs / (double)(bars - k));
        expect = p * (double)have * (double)(bars - k);
        if (have < need)
            printf("note: at the corpus's %d-bar rate (%.1f%%), %ld melodies of %ld bars hold "
                   "about %.1f repeats;\n      judging the 30%% band (one standard error = 15%%) "
                   "needs -n %ld or more\n", k, 100 * p, have, bars, expect, need);
    }
}

/* ---- JSON ------------------------------------------------------------------------- */

static void json_num(double v)
{
    if (isnan(v) || isinf(v))
        printf("null");
    else
        printf("%.6g", v);
}

static const OriginIndex *ix_for_json;   /* names the copied tunes in json_set */

static void json_set(const Column *col, bool with_cmp)
{
    const MetricsSet *s = &col->set;
    printf("{\"label\": ");
    cli_json_string(stdout, col->label);
    printf(", \"melodies\": %d, \"notes\": %lld, \"bars\": %lld", s->melodies,
           (long long)s->notes, (long long)s->bars);
    if (col->temperature > 0) {
        printf(", \"temperature\": ");
        json_num(col->temperature);
    }
    for (int k = 0; k < METRICS_SCALARS; k++) {
        printf(", \"%s\": {\"mean\": ", metrics_scalar_key((MetricsScalar)k));
        json_num(s->s[k].mean);
        printf(", \"sd\": ");
        json_num(s->s[k].sd);
        printf(", \"n\": %d}", s->s[k].n);
    }
    printf(", \"originality\": {\"against_other_tunes\": %s, \"melodies\": %d, "
           "\"copied_melodies\": %d, \"windows\": %lld, \"windows_copied\": %lld, "
           "\"windows_copied_transposed\": %lld, \"share_copied\": ",
           col->origin_loo ? "true" : "false", s->with_origin, s->copied_melodies,
           (long long)s->windows, (long long)s->copied, (long long)s->copied_transposed);
    json_num(metrics_set_copied_share(s, false));
    printf(", \"share_copied_transposed\": ");
    json_num(metrics_set_copied_share(s, true));
    printf(", \"run_max\": %d, \"query_ms\": ", s->run_max);
    json_num(col->queries ? 1e3 * col->query_sec / col->queries : NAN);
    printf("}, \"histograms\": {");
    for (int h = 0; h < METRICS_HISTS; h++) {
        const double *v = metrics_set_hist(s, (MetricsHist)h);
        double norm[32];
        int nb = metrics_hist_bins((MetricsHist)h);
        metrics_normalise(v, nb, norm);
        printf("%s\"%s\": [", h ? ", " : "", metrics_hist_key((MetricsHist)h));
        for (int i = 0; i < nb; i++) {
            printf(i ? ", " : "");
            printf("%.5f", norm[i]);
        }
        printf("]");
    }
    printf("}");
    if (col->temperature > 0) {
        printf(", \"copies\": [");
        for (int32_t i = 0; i < col->n_copies; i++) {
            const Copy *k = &col->copies[i];
            printf("%s{\"seed\": %llu, \"meter\": \"%d/%d\", \"windows_copied\": %d, "
                   "\"window_mask\": %llu, \"run\": %d, \"run_bar\": %d, \"run_tune\": ",
                   i ? ", " : "", (unsigned long long)k->seed, k->num, k->den, k->o.copied,
                   (unsigned long long)k->o.copied_mask, k->o.run, k->o.run_bar + 1);
            cli_json_string(stdout, origin_tune_name(ix_for_json, k->o.run_tune));
            printf(", \"run_tune_bar\": %d}", k->o.run_tune_bar + 1);
        }
        printf("]");
    }
    if (with_cmp && col->has_cmp) {
        printf(", \"compare\": {");
        for (int h = 0; h < METRICS_HISTS; h++) {
            printf("%s\"%s\": {\"kl\": ", h ? ", " : "", metrics_hist_key((MetricsHist)h));
            json_num(col->cmp[h].kl);
            printf(", \"overlap\": ");
            json_num(col->cmp[h].overlap);
            printf("}");
        }
        printf("}");
    }
    printf("}");
}

/* ---- the command -------------------------------------------------------------------- */

static bool parse_temps(const char *v, double *t, int *n)
{
    const char *p = v;
    *n = 0;
    while (*p) {
        char *end;
        double x = strtod(p, &end);
        if (end == p || !(x > 0) || !isfinite(x) || *n == EVAL_MAX_TEMPS ||
            (*end && *end != ',')) {
            fprintf(stderr, ME ": --temperature needs numbers > 0, separated by commas (at most "
                    "%d), not '%s'\n", EVAL_MAX_TEMPS, v);
            return false;
        }
        t[(*n)++] = x;
        p = *end ? end + 1 : end;
    }
    if (*n == 0) {
        fprintf(stderr, ME ": --temperature needs a number\n");
        return false;
    }
    return true;
}

static void eval_free(Eval *x)
{
    if (x->ref && x->ref != x->raw.tunes) {
        for (int32_t i = 0; i < x->n_ref; i++)
            tune_free(&x->ref[i]);
        free(x->ref);
    }
    origin_free(x->ix);
    corpus_free(&x->raw);
    if (x->have_model)
        model_free(&x->m);
}

static int eval_test(Eval *x, const char *dir, EvalResult *res, long *tunes)
{
    Corpus c;
    CorpusOpts co;
    Dataset d;
    ReelError err;
    const char *paths[1] = {dir};
    int rc = 1;
    corpus_init(&c);
    memset(&d, 0, sizeof d);
    memset(&co, 0, sizeof co);
    if (x->part[0])
        co.quant.part = x->part;
    if (corpus_load(&c, paths, 1, &co, &err)) {
        fprintf(stderr, ME ": --test %s: %s\n", dir, err.msg);
        goto done;
    }
    *tunes = c.n_tunes;
    if (data_build(&d, c.tunes, NULL, c.n_tunes, &x->m.enc, x->m.vocab, &err) ||
        train_evaluate(&x->m, &d, res, &err)) {
        fprintf(stderr, ME ": --test %s: %s\n", dir, err.msg);
        goto done;
    }
    rc = 0;
done:
    data_free(&d);
    corpus_free(&c);
    return rc;
}

/* One melody from a file. */
static int eval_file(Eval *x, const char *path, Column *cols, int *nc, Tune *mel,
                     MelodyMetrics *mm)
{
    ReelError err;
    Corpus c;
    corpus_init(&c);
    corpus_load_file(&c, path, NULL);
    if (c.n_tunes == 0) {
        fprintf(stderr, ME ": %s\n", c.n_skips ? c.skips[0].err.msg : "holds no tune");
        corpus_free(&c);
        return 1;
    }
    if (tune_copy(mel, &c.tunes[0], &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        corpus_free(&c);
        return 1;
    }
    corpus_free(&c);
    if (metrics_compute(mel, NULL, mm, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        return 1;
    }
    snprintf(cols[0].label, sizeof cols[0].label, "melody");
    metrics_set_init(&cols[0].set);
    *nc = 1;
    if (x->n_corpus > 0) {
        int32_t bars = mm->bars > 0 ? mm->bars : 1;
        if (load_corpus(x) || !query_into(&cols[0], x->ix, mel, -1, mm, &err))
            return 1;
        metrics_set_init(&cols[1].set);
        snprintf(cols[1].label, sizeof cols[1].label, "corpus");
        if (corpus_column(x, &cols[1], bars))
            return 1;
        metrics_compare(&cols[1].set, &cols[0].set, cols[0].cmp);
        cols[0].has_cmp = true;
        *nc = 2;
    }
    metrics_set_add(&cols[0].set, mm);
    metrics_set_finish(&cols[0].set);
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    enum { OPT_BARS = 256, OPT_TEMPS, OPT_SEED, OPT_PRIME, OPT_TEST, OPT_JSON, OPT_COPIES };
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},
        {"corpus", required_argument, NULL, 'c'},
        {"melodies", required_argument, NULL, 'n'},
        {"bars", required_argument, NULL, OPT_BARS},
        {"temperature", required_argument, NULL, 't'},
        {"temperatures", required_argument, NULL, OPT_TEMPS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"prime", required_argument, NULL, OPT_PRIME},
        {"test", required_argument, NULL, OPT_TEST},
        {"json", no_argument, NULL, OPT_JSON},
        {"copies", no_argument, NULL, OPT_COPIES},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    Eval x;
    Column *cols = NULL;
    int nc = 0, n_temps = 1, ch, rc = 1;
    double temps[EVAL_MAX_TEMPS] = {1.0};
    long n = EVAL_DEFAULT_N, bars = EVAL_DEFAULT_BARS, test_tunes = 0;
    uint64_t seed = 1;
    bool copies = false;
    PrimeKind pk = PRIME_RESTS;
    const char *test_dir = NULL, *file = NULL;
    EvalResult test_res;
    ReelError err;
    Tune mel;
    MelodyMetrics mm;

    memset(&x, 0, sizeof x);
    memset(&test_res, 0, sizeof test_res);
    corpus_init(&x.raw);
    tune_init(&mel);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "m:c:n:t:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm': x.model_path = optarg; break;
        case 'c':
            if (x.n_corpus == EVAL_MAX_CORPUS) {
                fprintf(stderr, ME ": at most %d --corpus paths\n", EVAL_MAX_CORPUS);
                return 2;
            }
            x.corpus_paths[x.n_corpus++] = optarg;
            break;
        case 'n':
            if (!cli_long(ME, "-n", optarg, 1, 100000, &n))
                return 2;
            break;
        case OPT_BARS:
            if (!cli_long(ME, "--bars", optarg, 1, 4096, &bars))
                return 2;
            break;
        case 't':
        case OPT_TEMPS:
            if (!parse_temps(optarg, temps, &n_temps))
                return 2;
            break;
        case OPT_SEED: {
            char *e;
            unsigned long long s = strtoull(optarg, &e, 10);
            if (!*optarg || *e || optarg[0] == '-') {
                fprintf(stderr, ME ": --seed needs a whole number from 0, not '%s'\n", optarg);
                return 2;
            }
            seed = s;
            break;
        }
        case OPT_PRIME:
            if (!strcmp(optarg, "rests"))
                pk = PRIME_RESTS;
            else if (!strcmp(optarg, "corpus"))
                pk = PRIME_CORPUS;
            else {
                fprintf(stderr, ME ": --prime is 'rests' or 'corpus', not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_TEST: test_dir = optarg; break;
        case OPT_JSON: x.json = true; break;
        case OPT_COPIES: copies = true; break;
        case 'q': x.quiet = true; break;
        case 'h': eval_usage(stdout); return 0;
        default: eval_usage(stderr); return 2;
        }
    }
    if (optind < argc)
        file = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, ME ": unexpected argument '%s' (one melody file at most)\n",
                argv[optind]);
        return 2;
    }
    if (!x.model_path && x.n_corpus == 0 && !file) {
        fprintf(stderr, ME ": give --model MODEL, --corpus DIR or a melody FILE (reel eval "
                "--help)\n");
        return 2;
    }
    if (test_dir && !x.model_path) {
        fprintf(stderr, ME ": --test DIR needs --model MODEL\n");
        return 2;
    }
    x.tty = cli_stderr_is_tty();
    if (!(cols = calloc(EVAL_MAX_TEMPS + 2, sizeof *cols))) {
        fprintf(stderr, ME ": out of memory\n");
        return 1;
    }

    if (x.model_path) {
        model_init(&x.m);
        x.have_model = true;
        if (model_load(&x.m, x.model_path, 0, 0, &err)) {
            fprintf(stderr, ME ": %s\n", err.msg);
            goto done;
        }
        if (x.n_corpus == 0) {
            corpus_from_model(&x);
            if (x.n_corpus == 0 && !file) {
                fprintf(stderr, ME ": %s does not say what it was trained on; give --corpus "
                        "DIR\n", x.model_path);
                rc = 2;
                goto done;
            }
        }
    }

    if (file) {
        if (eval_file(&x, file, cols, &nc, &mel, &mm))
            goto done;
    } else if (!x.have_model) {
        if (load_corpus(&x))
            goto done;
        snprintf(cols[0].label, sizeof cols[0].label, "whole tunes");
        snprintf(cols[1].label, sizeof cols[1].label, "%ld-bar pieces", bars);
        metrics_set_init(&cols[0].set);
        metrics_set_init(&cols[1].set);
        if (corpus_column(&x, &cols[0], 0) || corpus_column(&x, &cols[1], (int32_t)bars))
            goto done;
        nc = 2;
    } else {
        if (load_corpus(&x))
            goto done;
        snprintf(cols[0].label, sizeof cols[0].label, "corpus");
        metrics_set_init(&cols[0].set);
        if (corpus_column(&x, &cols[0], (int32_t)bars))
            goto done;
        nc = 1;
        for (int i = 0; i < n_temps; i++, nc++) {
            Column *c = &cols[nc];
            snprintf(c->label, sizeof c->label, "T=%g", temps[i]);
            c->temperature = temps[i];
            metrics_set_init(&c->set);
            if (generated_column(&x, c, temps[i], pk, seed, n, (int32_t)bars))
                goto done;
            metrics_compare(&cols[0].set, &c->set, c->cmp);
            c->has_cmp = true;
        }
    }
    if (test_dir && eval_test(&x, test_dir, &test_res, &test_tunes))
        goto done;

    /* ---- output ---- */
    if (x.json) {
        printf("{\"mode\": \"%s\"", file ? "melody" : x.have_model ? "model" : "corpus");
        if (x.have_model) {
            char hex[17];
            model_checksum_hex(&x.m, hex);
            printf(", \"model\": {\"path\": ");
            cli_json_string(stdout, x.model_path);
            printf(", \"encoding\": \"%s\", \"checksum\": \"%s\", \"epochs\": %d}",
                   enc_name(x.m.enc.kind), hex, x.m.progress.epoch);
        }
        if (x.n_corpus > 0) {
            printf(", \"corpus\": {\"paths\": [");
            for (int i = 0; i < x.n_corpus; i++) {
                printf(i ? ", " : "");
                cli_json_string(stdout, x.corpus_paths[i]);
            }
            printf("], \"tunes\": %d, \"round_trip\": %s, \"round_trip_failed\": %ld, "
                   "\"index_notes\": %lld, \"index_build_ms\": ",
                   x.n_ref, x.have_model ? "true" : "false", x.ref_failed,
                   x.ix ? (long long)origin_notes(x.ix) : 0LL);
            json_num(1e3 * x.build_sec);
            printf(", \"index_mb\": ");
            json_num(x.ix ? (double)origin_bytes(x.ix) / 1048576.0 : NAN);
            printf("}");
        }
        if (x.have_model && !file)
            printf(", \"bars\": %ld, \"melodies_per_temperature\": %ld, \"seed\": %llu, "
                   "\"prime\": \"%s\"", bars, n, (unsigned long long)seed,
                   pk == PRIME_RESTS ? "rests" : "corpus");
        if (file) {
            char key[16];
            printf(", \"file\": ");
            cli_json_string(stdout, file);
            printf(", \"key\": \"%s\", \"copied_window_bars\": [",
                   metrics_key_name(mm.key, key));
            for (int b = 0, k = 0; b < 64 && mm.has_origin; b++)
                if (mm.origin.copied_mask >> b & 1)
                    printf("%s%d", k++ ? ", " : "", b + 1);
            printf("], \"run_tune\": ");
            cli_json_string(stdout, mm.has_origin && mm.origin.run_tune >= 0
                                        ? origin_tune_name(x.ix, mm.origin.run_tune) : "");
            printf(", \"run_tune_bar\": %d", mm.has_origin ? mm.origin.run_tune_bar + 1 : 0);
        }
        ix_for_json = x.ix;
        printf(", \"columns\": [");
        for (int c = 0; c < nc; c++) {
            printf(c ? ", " : "");
            json_set(&cols[c], true);
        }
        printf("]");
        if (x.have_model && !file) {
            printf(", \"targets\": [");
            for (int c = 1; c < nc; c++) {
                Targets t = targets_of(&cols[0], &cols[c]);
                printf("%s{\"temperature\": ", c > 1 ? ", " : "");
                json_num(cols[c].temperature);
                printf(", \"in_key\": %s, \"repeat_1bar\": %s, \"repeat_2bar\": %s, "
                       "\"no_copies\": %s, \"judged_copies\": %s}",
                       t.in_key ? "true" : "false", t.rep1 ? "true" : "false",
                       t.rep2 ? "true" : "false", t.copies ? "true" : "false",
                       fabs(cols[c].temperature - EVAL_JUDGED_T) < 1e-9 ? "true" : "false");
            }
            printf("]");
        }
        if (test_dir) {
            printf(", \"test\": {\"path\": ");
            cli_json_string(stdout, test_dir);
            printf(", \"tunes\": %ld, \"positions\": %lld, \"loss\": ", test_tunes,
                   (long long)test_res.positions);
            json_num(test_res.positions ? test_res.loss : NAN);
            printf(", \"accuracy\": ");
            json_num(test_res.positions ? test_res.acc : NAN);
            printf("}");
        }
        printf("}\n");
        rc = 0;
        goto done;
    }

    if (x.have_model) {
        char hex[17];
        model_checksum_hex(&x.m, hex);
        printf("model      %s (%s, %d x LSTM %d, %d epoch%s, checksum %s)\n", x.model_path,
               enc_name(x.m.enc.kind), x.m.net.layers, x.m.net.hidden, x.m.progress.epoch,
               x.m.progress.epoch == 1 ? "" : "s", hex);
    }
    if (x.n_corpus > 0) {
        printf("corpus    ");
        for (int i = 0; i < x.n_corpus; i++)
            printf(" %s", x.corpus_paths[i]);
        if (x.part[0])
            printf(" (part %s)", x.part);
        printf(": %d tunes", x.n_ref);
        if (x.have_model)
            printf(", as the %s encoding gives them back%s", enc_name(x.m.enc.kind),
                   x.ref_failed ? " (some did not encode: left out)" : "");
        if (file)
            printf("; pieces of %d bars (the melody's length)", mm.bars > 0 ? mm.bars : 1);
        else if (x.have_model)
            printf("; pieces of %ld bars from bar 1", bars);
        else
            printf(", whole and in pieces of %ld bars from bar 1", bars);
        printf("\n");
        printf("copy index %lld notes, built in %.0f ms, %.1f MB; %.3f ms per query\n",
               (long long)origin_notes(x.ix), 1e3 * x.build_sec,
               (double)origin_bytes(x.ix) / 1048576.0,
               cols[nc - 1].queries ? 1e3 * cols[nc - 1].query_sec / cols[nc - 1].queries : 0.0);
    }
    if (x.have_model && !file)
        printf("generated  %ld melod%s of %ld bars per temperature, seeds %llu..%llu, after %s\n",
               n, n == 1 ? "y" : "ies", bars, (unsigned long long)seed,
               (unsigned long long)(seed + (uint64_t)n - 1),
               pk == PRIME_RESTS ? "1 bar of rests in the metre of a corpus tune"
                                 : "a 2-bar corpus excerpt (not measured)");
    if (file) {
        char buf[512], key[16];
        int32_t nb = mm.bars;
        MetricsKey *bk = nb > 0 ? malloc((size_t)nb * sizeof *bk) : NULL;
        printf("melody     %s: %d notes, %d complete bars\n", file, mm.notes, mm.bars);
        printf("summary    %s\n", metrics_summary(&mm, x.ix, buf, sizeof buf));
        if (bk && metrics_bar_keys(&mel, bk, nb) == nb) {
            printf("bar keys  ");
            for (int32_t b = 0; b < nb; b++)
                printf(" %s", metrics_key_name(bk[b], key));
            printf("\n");
        }
        free(bk);
        if (mm.has_origin && mm.origin.copied > 0) {
            printf("copied     2-bar windows at bars");
            for (int b = 0; b < 64; b++)
                if (mm.origin.copied_mask >> b & 1)
                    printf(" %d-%d", b + 1, b + 2);
            printf("\n");
        }
        if (mm.has_origin && mm.origin.run_tune >= 0)
            printf("longest    run of %d notes from bar %d: bar %d of %s\n", mm.origin.run,
                   mm.origin.run_bar + 1, mm.origin.run_tune_bar + 1,
                   origin_tune_name(x.ix, mm.origin.run_tune));
    }
    printf("\n");
    print_table(cols, nc);
    if (x.have_model && !file) {
        printf("\n");
        print_targets(cols, nc, bars);
        if (copies)
            print_copies(&x, cols, nc, pk, bars);
    }
    if (test_dir) {
        printf("\nheld out   %s: %ld tunes, %lld positions: loss %.4f, accuracy %.2f%%", test_dir,
               test_tunes, (long long)test_res.positions, test_res.loss, 100 * test_res.acc);
        if (x.m.net.head == HEAD_SIGMOID_BCE)
            printf(" (Keras: binary %.2f%%, categorical %.2f%%)", 100 * test_res.acc_bits,
                   100 * test_res.acc_argmax);
        printf("\n");
    }
    rc = 0;
done:
    tune_free(&mel);
    eval_free(&x);
    for (int c = 0; cols && c < EVAL_MAX_TEMPS + 2; c++)
        free(cols[c].copies);
    free(cols);
    return rc;
}
