/* cmd_eval.c — `reel eval`: melody metrics of generated melodies beside the
 * corpus's (key, in-key share, repetition, form, self-similarity,
 * distributions, originality), validation loss on a held-out folder, the corpus's own
 * figures, or one melody's.  The figures are those of src/analysis/metrics.h
 * and src/analysis/origin.h, which the studio's panel shows too; the work is
 * the core's evaluation job (src/analysis/evaljob.h): this file parses and
 * prints. */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "evaljob.h"
#include "metrics.h"
#include "model.h"
#include "origin.h"

#define ME "reel eval"
#define EVAL_DEFAULT_N 50
#define EVAL_DEFAULT_BARS 8

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
        "self-similarity of bars; form: bars equal to the bar 4 and 8 before, strains\n"
        "repeated (bars 9-15 equal bars 1-7), the last note on the tonic, 4-bar phrases\n"
        "ending on the tonic or the dominant, the commonest keys; pitch-class, interval,\n"
        "note-length, range, density and key distributions compared with the corpus (KL\n"
        "divergence and overlap area, as MGEval); originality: the longest run of notes\n"
        "copied from one corpus tune and the 2-bar windows (of 4 notes or more) found\n"
        "verbatim in the corpus, silences included, anywhere in a tune.  Definitions:\n"
        "src/analysis/metrics.h, src/analysis/origin.h.\n"
        "\n");
    fprintf(f,
        "With a model, -n melodies of --bars bars are generated at each temperature and\n"
        "set beside the corpus.  The corpus is read as the model's encoding gives it back\n"
        "(encode + decode: what the model could learn; roll13 moves tunes by octaves),\n"
        "and cut into pieces of --bars bars, so both sides are the same length; the form\n"
        "table also has the first --bars bars of each tune (how tunes open: --bars 16\n"
        "gives the first strain) and compares keys and pitch classes with them.  A\n"
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
        "  --seed N              melody i uses seed N+i, the same at every temperature (1)\n"
        "  --top-k K             draw only among the K most likely choices, as reel\n"
        "                        generate does (0: off)\n"
        "  --top-p P             draw only among the most likely choices that together\n"
        "                        hold probability P, in (0, 1] (1: off)\n",
        EVAL_DEFAULT_N, EVAL_DEFAULT_BARS);
    fprintf(f,
        "  --prime rests         each melody follows 1 bar of silence, in the time\n"
        "                        signature and tempo of a corpus tune drawn with its seed\n"
        "                        (so the metres are the corpus's); the default\n"
        "  --prime corpus        each melody continues a random %d-bar corpus excerpt; only\n"
        "                        the bars after it are measured\n"
        "  --test DIR            also the loss and accuracy of the model on the tunes in\n"
        "                        DIR (held-out data), as reel train validates: the loss\n"
        "                        per step, and per note (summed over every step of the\n"
        "                        tunes, divided by their notes as the encoding gives them)\n"
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
/* ---- printing ------------------------------------------------------------------ */

static bool is_share(MetricsScalar k)
{
    return k != METRICS_KEY_R && k != METRICS_DENSITY && k != METRICS_RANGE &&
           k != METRICS_SELF_SIM && k != METRICS_RUN && k != METRICS_RUN_TRANSPOSED;
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

static void print_table(const EvalColumn *cols, int nc)
{
    char cells[EVAL_MAX_TEMPS + 2][32];
    static const MetricsScalar shown[] = {
        METRICS_MAJOR, METRICS_KEY_R, METRICS_IN_KEY, METRICS_KEY_STABILITY, METRICS_DENSITY,
        METRICS_RANGE, METRICS_REP1, METRICS_REP1_TRANSPOSED, METRICS_REP2,
        METRICS_REP2_TRANSPOSED, METRICS_SELF_SIM,
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

/* The form figures (metrics.h) of cols, and their keys' and pitch classes'
 * overlap with ref's. */
static void print_form(const EvalColumn *const *cols, int nc, const EvalColumn *ref)
{
    char cells[EVAL_MAX_TEMPS + 3][32];
    static const MetricsScalar shown[] = {METRICS_REP4,       METRICS_REP8,
                                          METRICS_STRAIN,     METRICS_LAST_TONIC,
                                          METRICS_CAD_FULL,   METRICS_CAD_FULL_BEAT,
                                          METRICS_CAD_HALF,   METRICS_CAD_HALF_BEAT};
    printf("  form (metrics.h); overlaps with the %s column\n", ref->label);
    for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++) {
        for (int c = 0; c < nc; c++)
            cell(cells[c], 32, cols[c]->set.s[shown[k]].mean, true, 1);
        row(metrics_scalar_label(shown[k]), cells, nc);
    }
    for (int h = 0; h < 2; h++) {
        MetricsHist which = h ? METRICS_H_PC : METRICS_H_KEY;
        for (int c = 0; c < nc; c++)
            cell(cells[c], 32,
                 metrics_overlap(metrics_set_hist(&ref->set, which),
                                 metrics_set_hist(&cols[c]->set, which),
                                 metrics_hist_bins(which)),
                 false, 2);
        row(h ? "pitch-class histogram overlap" : "key histogram overlap", cells, nc);
    }
    printf("  commonest keys\n");
    for (int c = 0; c < nc; c++) {
        int top[3];
        double sh[3];
        char name[16];
        int k = metrics_hist_top(cols[c]->set.key, METRICS_KEYS, 3, top, sh);
        printf("    %-14.14s", cols[c]->label);
        for (int i = 0; i < k; i++)
            printf("%s%s %.0f%%", i ? ", " : " ", metrics_key_bin_name(top[i], name),
                   100 * sh[i]);
        printf("\n");
    }
}

/* Every generated melody with a copied window, and how to make it again. */
static void print_copies(const OriginIndex *ix, const char *model_path, const EvalColumn *cols,
                         int nc, EvalPrime pk, long bars)
{
    printf("\nmelodies with a copied 2-bar window\n");
    for (int c = 1; c < nc; c++) {
        for (int32_t i = 0; i < cols[c].n_copies; i++) {
            const EvalCopy *k = &cols[c].copies[i];
            printf("  %s seed %llu (%d/%d): windows at bars", cols[c].label,
                   (unsigned long long)k->seed, k->num, k->den);
            for (int b = 0; b < 64; b++)
                if (k->o.copied_mask >> b & 1)
                    printf(" %d-%d", b + 1, b + 2);
            printf("; longest run %d notes, from bar %d: bar %d of %s\n", k->o.run,
                   k->o.run_bar + 1, k->o.run_tune_bar + 1,
                   origin_tune_name(ix, k->o.run_tune));
            if (pk == EVAL_PRIME_RESTS)
                printf("    reel generate --model %s -t %g --seed %llu --meter %d/%d --bars %ld\n",
                       model_path, cols[c].temperature, (unsigned long long)k->seed, k->num,
                       k->den, bars);
        }
        if (cols[c].n_copies == 0)
            printf("  %s: none\n", cols[c].label);
    }
}

static void print_targets(const EvalColumn *cols, int nc, long bars)
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
            EvalTargets t = evaljob_targets(&cols[0], &cols[c]);
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

static void json_set(const EvalColumn *col, bool with_cmp)
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
    printf("}, \"commonest_keys\": [");
    {
        int top[5];
        double sh[5];
        char name[16];
        int k = metrics_hist_top(s->key, METRICS_KEYS, 5, top, sh);
        for (int i = 0; i < k; i++) {
            printf("%s{\"key\": \"%s\", \"share\": ", i ? ", " : "",
                   metrics_key_bin_name(top[i], name));
            json_num(sh[i]);
            printf("}");
        }
    }
    printf("], \"histograms\": {");
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
            const EvalCopy *k = &col->copies[i];
            printf("%s{\"seed\": %llu, \"meter\": \"%d/%d\", \"windows_copied\": %d, "
                   "\"window_mask\": %llu, \"run\": %d, \"run_bar\": %d, \"run_tune\": ",
                   i ? ", " : "", (unsigned long long)k->seed, k->num, k->den, k->o.copied,
                   (unsigned long long)k->o.copied_mask, k->o.run, k->o.run_bar + 1);
            cli_json_string(stdout, origin_tune_name(ix_for_json, k->o.run_tune));
            printf(", \"run_tune_bar\": %d}", k->o.run_tune_bar + 1);
        }
        printf("]");
    }
    for (int w = 0; w < 2 && with_cmp && col->has_cmp; w++) {
        const MetricsCompare *cmp = w ? col->cmp_first : col->cmp;
        if (w && col->temperature <= 0)
            break;
        printf(w ? ", \"compare_first_bars\": {" : ", \"compare\": {");
        for (int h = 0; h < METRICS_HISTS; h++) {
            printf("%s\"%s\": {\"kl\": ", h ? ", " : "", metrics_hist_key((MetricsHist)h));
            json_num(cmp[h].kl);
            printf(", \"overlap\": ");
            json_num(cmp[h].overlap);
            printf("}");
        }
        printf("}");
    }
    printf("}");
}
/* ---- the command -------------------------------------------------------------------- */

typedef struct {
    EvalJobOpts o;
    EvalPaths corpus;           /* --corpus paths, or the model's */
    const char *model_path;
    Model m;
    bool have_model, json, quiet, tty, copies;
} EvalArgs;

enum { OPT_BARS = 256, OPT_TEMPS, OPT_SEED, OPT_PRIME, OPT_TEST, OPT_JSON, OPT_COPIES, OPT_TOPK,
       OPT_TOPP };

static const struct option longopts[] = {
    {"model", required_argument, NULL, 'm'},
    {"corpus", required_argument, NULL, 'c'},
    {"melodies", required_argument, NULL, 'n'},
    {"bars", required_argument, NULL, OPT_BARS},
    {"temperature", required_argument, NULL, 't'},
    {"temperatures", required_argument, NULL, OPT_TEMPS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"top-k", required_argument, NULL, OPT_TOPK},
    {"top-p", required_argument, NULL, OPT_TOPP},
    {"prime", required_argument, NULL, OPT_PRIME},
    {"test", required_argument, NULL, OPT_TEST},
    {"json", no_argument, NULL, OPT_JSON},
    {"copies", no_argument, NULL, OPT_COPIES},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

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

/* One option: -1 taken, else the exit status (0 after --help). */
static int take_option(void *ctx, int ch, const char *v)
{
    EvalArgs *a = ctx;
    EvalJobOpts *o = &a->o;
    switch (ch) {
    case 'm': a->model_path = v; return -1;
    case 'c':
        if (a->corpus.n == EVALREF_MAX_PATHS) {
            fprintf(stderr, ME ": at most %d --corpus paths\n", EVALREF_MAX_PATHS);
            return 2;
        }
        a->corpus.paths[a->corpus.n++] = v;
        return -1;
    case 'n': return cli_long(ME, "-n", v, 1, 100000, &o->n) ? -1 : 2;
    case OPT_BARS: return cli_long(ME, "--bars", v, 1, 4096, &o->bars) ? -1 : 2;
    case 't':
    case OPT_TEMPS: return parse_temps(v, o->temps, &o->n_temps) ? -1 : 2;
    case OPT_SEED: return cli_seed(ME, v, &o->seed) ? -1 : 2;
    case OPT_TOPK: {
        long k;
        if (!cli_long(ME, "--top-k", v, 0, 1000000, &k))
            return 2;
        o->top_k = (int)k;
        return -1;
    }
    case OPT_TOPP:
        if (!cli_double(ME, "--top-p", v, -HUGE_VAL, HUGE_VAL, &o->top_p))
            return 2;
        if (!(o->top_p > 0 && o->top_p <= 1)) {
            fprintf(stderr, ME ": --top-p must be in (0, 1], not %s\n", v);
            return 2;
        }
        return -1;
    case OPT_PRIME:
        if (!strcmp(v, "rests"))
            o->prime = EVAL_PRIME_RESTS;
        else if (!strcmp(v, "corpus"))
            o->prime = EVAL_PRIME_CORPUS;
        else {
            fprintf(stderr, ME ": --prime is 'rests' or 'corpus', not '%s'\n", v);
            return 2;
        }
        return -1;
    case OPT_TEST: o->test_dir = v; return -1;
    case OPT_JSON: a->json = true; return -1;
    case OPT_COPIES: a->copies = true; return -1;
    case 'q': a->quiet = true; return -1;
    case 'h': eval_usage(stdout); return 0;
    default: eval_usage(stderr); return 2;
    }
}

static void on_progress(void *user, const char *what, long done, long total)
{
    const EvalArgs *a = user;
    if (a->quiet || !a->tty)
        return;
    if (total < 0) {
        fprintf(stderr, "reading %s ...\r", what);
        return;
    }
    fprintf(stderr, "\r%s %ld/%ld ", what, done, total);
    if (done == total)
        fprintf(stderr, "\r%*s\r", 60, "");
}

static int parse_args(EvalArgs *a, int argc, char **argv)
{
    int rc;
    memset(a, 0, sizeof *a);
    a->o.temps[0] = 1.0;
    a->o.n_temps = 1;
    a->o.n = EVAL_DEFAULT_N;
    a->o.bars = EVAL_DEFAULT_BARS;
    a->o.seed = 1;
    a->o.prime = EVAL_PRIME_RESTS;
    a->o.progress = on_progress;
    a->o.user = a;
    if ((rc = cli_getopt(argc, argv, "m:c:n:t:qh", longopts, take_option, a)) >= 0)
        return rc;
    if (optind < argc)
        a->o.file = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, ME ": unexpected argument '%s' (one melody file at most)\n",
                argv[optind]);
        return 2;
    }
    if (!a->model_path && a->corpus.n == 0 && !a->o.file) {
        fprintf(stderr, ME ": give --model MODEL, --corpus DIR or a melody FILE (reel eval "
                "--help)\n");
        return 2;
    }
    if (a->o.test_dir && !a->model_path) {
        fprintf(stderr, ME ": --test DIR needs --model MODEL\n");
        return 2;
    }
    a->tty = cli_stderr_is_tty();
    return -1;
}

/* The model, and its corpus when none was given: -1, or the exit status. */
static int load_model(EvalArgs *a)
{
    ReelError err;
    if (!a->model_path)
        return -1;
    model_init(&a->m);
    a->have_model = true;
    a->o.m = &a->m;
    if (model_load(&a->m, a->model_path, 0, 0, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        return 1;
    }
    if (a->corpus.n == 0) {
        evalref_paths_from_model(&a->corpus, &a->m);
        if (a->corpus.n == 0 && !a->o.file) {
            fprintf(stderr, ME ": %s does not say what it was trained on; give --corpus "
                    "DIR\n", a->model_path);
            return 2;
        }
    }
    return -1;
}

/* ---- the report ------------------------------------------------------------------------ */

static bool generated(const EvalArgs *a)
{
    return a->have_model && !a->o.file;
}

static void json_head(const EvalArgs *a, const EvalJob *j)
{
    const EvalRef *r = &j->ref;
    printf("{\"mode\": \"%s\"", a->o.file ? "melody" : a->have_model ? "model" : "corpus");
    if (a->have_model) {
        char hex[17];
        model_checksum_hex(&a->m, hex);
        printf(", \"model\": {\"path\": ");
        cli_json_string(stdout, a->model_path);
        printf(", \"encoding\": \"%s\", \"checksum\": \"%s\", \"epochs\": %d}",
               enc_name(a->m.enc.kind), hex, a->m.progress.epoch);
    }
    if (a->corpus.n > 0) {
        printf(", \"corpus\": {\"paths\": [");
        for (int i = 0; i < a->corpus.n; i++) {
            printf(i ? ", " : "");
            cli_json_string(stdout, a->corpus.paths[i]);
        }
        printf("], \"tunes\": %d, \"round_trip\": %s, \"round_trip_failed\": %ld, "
               "\"index_notes\": %lld, \"index_build_ms\": ",
               r->n_ref, a->have_model ? "true" : "false", r->ref_failed,
               r->ix ? (long long)origin_notes(r->ix) : 0LL);
        json_num(1e3 * r->build_sec);
        printf(", \"index_mb\": ");
        json_num(r->ix ? (double)origin_bytes(r->ix) / 1048576.0 : NAN);
        printf("}");
    }
    if (generated(a))
        printf(", \"bars\": %ld, \"melodies_per_temperature\": %ld, \"seed\": %llu, "
               "\"prime\": \"%s\", \"top_k\": %d, \"top_p\": %g", a->o.bars, a->o.n,
               (unsigned long long)a->o.seed, a->o.prime == EVAL_PRIME_RESTS ? "rests" : "corpus",
               a->o.top_k, a->o.top_p > 0 ? a->o.top_p : 1.0);
}

static void json_melody(const EvalArgs *a, const EvalJob *j)
{
    const MelodyMetrics *mm = &j->mm;
    char key[16];
    printf(", \"file\": ");
    cli_json_string(stdout, a->o.file);
    printf(", \"key\": \"%s\", \"copied_window_bars\": [", metrics_key_name(mm->key, key));
    for (int b = 0, k = 0; b < 64 && mm->has_origin; b++)
        if (mm->origin.copied_mask >> b & 1)
            printf("%s%d", k++ ? ", " : "", b + 1);
    printf("], \"run_tune\": ");
    cli_json_string(stdout, mm->has_origin && mm->origin.run_tune >= 0
                                ? origin_tune_name(j->ref.ix, mm->origin.run_tune) : "");
    printf(", \"run_tune_bar\": %d", mm->has_origin ? mm->origin.run_tune_bar + 1 : 0);
}

static void json_targets(const EvalJob *j)
{
    const EvalColumn *cols = j->cols;
    printf(", \"targets\": [");
    for (int c = 1; c < j->nc; c++) {
        EvalTargets t = evaljob_targets(&cols[0], &cols[c]);
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

static void json_report(const EvalArgs *a, const EvalJob *j)
{
    json_head(a, j);
    if (a->o.file)
        json_melody(a, j);
    ix_for_json = j->ref.ix;
    printf(", \"columns\": [");
    for (int c = 0; c < j->nc; c++) {
        printf(c ? ", " : "");
        json_set(&j->cols[c], true);
    }
    printf("]");
    if (j->has_first) {
        printf(", \"first_bars\": ");
        json_set(&j->first, false);
    }
    if (generated(a))
        json_targets(j);
    if (a->o.test_dir) {
        printf(", \"test\": {\"path\": ");
        cli_json_string(stdout, a->o.test_dir);
        printf(", \"tunes\": %ld, \"positions\": %lld, \"loss\": ", j->test_tunes,
               (long long)j->test.positions);
        json_num(j->test.positions ? j->test.loss : NAN);
        printf(", \"accuracy\": ");
        json_num(j->test.positions ? j->test.acc : NAN);
        printf(", \"notes\": %lld, \"loss_per_note\": ", (long long)j->test_notes);
        json_num(j->test_loss_note);
        printf("}");
    }
    printf("}\n");
}

static void text_corpus(const EvalArgs *a, const EvalJob *j)
{
    const EvalRef *r = &j->ref;
    const EvalColumn *last = &j->cols[j->nc - 1];
    printf("corpus    ");
    for (int i = 0; i < a->corpus.n; i++)
        printf(" %s", a->corpus.paths[i]);
    if (a->corpus.part[0])
        printf(" (part %s)", a->corpus.part);
    printf(": %d tunes", r->n_ref);
    if (a->have_model)
        printf(", as the %s encoding gives them back%s", enc_name(a->m.enc.kind),
               r->ref_failed ? " (some did not encode: left out)" : "");
    if (a->o.file)
        printf("; pieces of %d bars (the melody's length)", j->mm.bars > 0 ? j->mm.bars : 1);
    else if (a->have_model)
        printf("; pieces of %ld bars from bar 1", a->o.bars);
    else
        printf(", whole and in pieces of %ld bars from bar 1", a->o.bars);
    printf("\n");
    printf("copy index %lld notes, built in %.0f ms, %.1f MB; %.3f ms per query\n",
           (long long)origin_notes(r->ix), 1e3 * r->build_sec,
           (double)origin_bytes(r->ix) / 1048576.0,
           last->queries ? 1e3 * last->query_sec / last->queries : 0.0);
}

static void text_melody(const EvalArgs *a, const EvalJob *j)
{
    const MelodyMetrics *mm = &j->mm;
    char buf[512], key[16];
    int32_t nb = mm->bars;
    MetricsKey *bk = nb > 0 ? malloc((size_t)nb * sizeof *bk) : NULL;
    printf("melody     %s: %d notes, %d complete bars\n", a->o.file, mm->notes, mm->bars);
    printf("summary    %s\n", metrics_summary(mm, j->ref.ix, buf, sizeof buf));
    if (bk && metrics_bar_keys(&j->mel, bk, nb) == nb) {
        printf("bar keys  ");
        for (int32_t b = 0; b < nb; b++)
            printf(" %s", metrics_key_name(bk[b], key));
        printf("\n");
    }
    free(bk);
    if (mm->has_origin && mm->origin.copied > 0) {
        printf("copied     2-bar windows at bars");
        for (int b = 0; b < 64; b++)
            if (mm->origin.copied_mask >> b & 1)
                printf(" %d-%d", b + 1, b + 2);
        printf("\n");
    }
    if (mm->has_origin && mm->origin.run_tune >= 0)
        printf("longest    run of %d notes from bar %d: bar %d of %s\n", mm->origin.run,
               mm->origin.run_bar + 1, mm->origin.run_tune_bar + 1,
               origin_tune_name(j->ref.ix, mm->origin.run_tune));
}

/* The form table: model: corpus, its first bars, the generated columns,
 * against the first bars; else the columns against the first. */
static void text_form(const EvalJob *j)
{
    const EvalColumn *cols[EVAL_MAX_TEMPS + 3];
    int nc = 0;
    for (int c = 0; c < j->nc; c++) {
        cols[nc++] = &j->cols[c];
        if (c == 0 && j->has_first)
            cols[nc++] = &j->first;
    }
    printf("\n");
    print_form(cols, nc, j->has_first ? &j->first : cols[nc - 1]);
}

static void text_report(const EvalArgs *a, const EvalJob *j)
{
    const EvalJobOpts *o = &a->o;
    if (a->have_model) {
        char hex[17];
        model_checksum_hex(&a->m, hex);
        printf("model      %s (%s, %d x LSTM %d, %d epoch%s, checksum %s)\n", a->model_path,
               enc_name(a->m.enc.kind), a->m.net.layers, a->m.net.hidden, a->m.progress.epoch,
               a->m.progress.epoch == 1 ? "" : "s", hex);
    }
    if (a->corpus.n > 0)
        text_corpus(a, j);
    if (generated(a))
        printf("generated  %ld melod%s of %ld bars per temperature, seeds %llu..%llu, after %s\n",
               o->n, o->n == 1 ? "y" : "ies", o->bars, (unsigned long long)o->seed,
               (unsigned long long)(o->seed + (uint64_t)o->n - 1),
               o->prime == EVAL_PRIME_RESTS ? "1 bar of rests in the metre of a corpus tune"
                                            : "a 2-bar corpus excerpt (not measured)");
    if (generated(a) && (o->top_k > 0 || (o->top_p > 0 && o->top_p < 1)))
        printf("sampling   top-k %d, top-p %g\n", o->top_k, o->top_p > 0 ? o->top_p : 1.0);
    if (o->file)
        text_melody(a, j);
    printf("\n");
    print_table(j->cols, j->nc);
    text_form(j);
    if (generated(a)) {
        printf("\n");
        print_targets(j->cols, j->nc, o->bars);
        if (a->copies)
            print_copies(j->ref.ix, a->model_path, j->cols, j->nc, o->prime, o->bars);
    }
    if (o->test_dir) {
        printf("\nheld out   %s: %ld tunes, %lld positions: loss %.4f, accuracy %.2f%%", o->test_dir,
               j->test_tunes, (long long)j->test.positions, j->test.loss, 100 * j->test.acc);
        if (a->m.net.head == HEAD_SIGMOID_BCE)
            printf(" (Keras: binary %.2f%%, categorical %.2f%%)", 100 * j->test.acc_bits,
                   100 * j->test.acc_argmax);
        printf("\n           loss %.4f per step, %.4f per note (%lld notes: the loss summed "
               "over every step, over the notes)\n", j->test.loss, j->test_loss_note,
               (long long)j->test_notes);
    }
}

int cmd_eval(int argc, char **argv)
{
    EvalArgs a;
    EvalJob j;
    ReelError err;
    int rc = parse_args(&a, argc, argv);
    if (rc >= 0)
        return rc;
    rc = load_model(&a);
    if (rc < 0) {
        a.o.corpus = &a.corpus;
        if (evaljob_run(&j, &a.o, &err)) {
            if (j.stage == EVAL_AT_TEST)
                fprintf(stderr, ME ": --test %s\n", err.msg);
            else
                fprintf(stderr, ME ": %s\n", err.msg);
            if (j.stage == EVAL_AT_CORPUS && (!a.corpus.n || a.have_model))
                fprintf(stderr, ME ": give the corpus with --corpus DIR\n");
            rc = 1;
        } else {
            if (a.json)
                json_report(&a, &j);
            else
                text_report(&a, &j);
            rc = 0;
        }
        evaljob_free(&j);
    }
    if (a.have_model)
        model_free(&a.m);
    return rc;
}
