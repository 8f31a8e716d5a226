/* cmd_corpus.c — `reel corpus PATH...`: load, then report what was loaded,
 * what was skipped and why, and what each encoding keeps. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "corpus.h"
#include "vocab.h"

static void corpus_usage(FILE *f)
{
    fprintf(f,
        "usage: reel corpus [OPTIONS] PATH...\n"
        "\n"
        "Load MIDI (.mid .midi .smf .kar, or anything starting with MThd) and ABC files\n"
        "(.abc, converted by abc2midi with the Ryan's-collection clean-ups), recursing\n"
        "into folders, and report: files read and skipped (with the reason for each),\n"
        "tunes, notes, 16th steps, pitch range, time signatures, what quantizing to the\n"
        "16th grid cost, and for every encoding the share of notes it gives back exactly\n"
        "after encode + decode.\n"
        "\n"
        "Per file the melody is a track named MELODY if there is one, else the busiest\n"
        "monophonic part (one channel of one track) that is not drums (channel 10).\n"
        "Files whose notes sit off the tick grid (POP909) are shifted by the grid phase\n"
        "that puts the most onsets on 16th steps.\n"
        "\n"
        "options:\n"
        "  --json              the same report as JSON on stdout\n"
        "  --list              one line per tune (name, part, notes, steps, metre, range)\n"
        "  --part NAME         take the track NAME (any case) instead of the melody, e.g.\n"
        "                      PIANO for POP909's accompaniment; 'all' takes every\n"
        "                      non-drum note of each file\n"
        "  --no-phase          do not search for a grid phase (quantize from tick 0)\n"
        "  --vocab FILE        save the token vocabulary built on this corpus\n"
        "  --no-durations      with --vocab: tokens without durations (\"C4.E4.G4\")\n"
        "  --max-files N       read at most N files (default 1,000,000)\n"
        "  -q, --quiet         no progress line\n"
        "  -h, --help          this text\n"
        "\n"
        "encodings measured: roll13 (the paper's 13 pitches C4..C5; tunes moved by whole\n"
        "octaves, the rest folded in), roll13 --plain (pitches kept, outside dropped),\n"
        "roll13o (with onsets), roll128, melody, tokens with and without durations,\n"
        "regress.  A note counts as exact when a note of the same pitch, onset and\n"
        "duration comes back; roll13 moves count as exact only when the pitch is back.\n"
        "\n"
        "Exit status: 0 when at least one tune was loaded, 1 when none, 2 bad usage.\n");
}

static void progress(void *user, long done, long total, const char *path)
{
    (void)user;
    (void)path;
    if (done == total || done % 25 == 0)
        fprintf(stderr, "\rreading files: %ld/%ld", done, total);
    if (done == total)
        fputs("\r\033[K", stderr);
}

static double pct(long a, long b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

/* Files, tunes, notes, range, metres, polyphony. */
static void text_summary(const char *const *paths, int n, const Corpus *c, const CorpusStats *s)
{
    char a[32], b[32], lo[6], hi[6];
    printf("corpus:");
    for (int i = 0; i < n; i++)
        printf(" %s", paths[i]);
    printf("\n");
    printf("  files read         %s (%s gave tunes, %ld skipped)\n", num_thousands(c->files_seen, a),
           num_thousands(c->files_loaded, b), (long)c->n_skips);
    printf("  tunes loaded       %s", num_thousands(s->tunes, a));
    if (c->abc_tunes)
        printf(" (%ld from ABC, %ld with abc2midi warnings)", c->abc_tunes, c->abc_warnings);
    printf("\n");
    printf("  notes              %s", num_thousands(s->notes_in, a));
    if (s->notes != s->notes_in)
        printf(" (%s after quantizing)", num_thousands(s->notes, b));
    printf("\n");
    printf("  16th steps         %s\n", num_thousands(s->steps, a));
    if (s->pitch_lo >= 0)
        printf("  pitch range        MIDI %d..%d (%s..%s)\n", s->pitch_lo, s->pitch_hi,
               pitch_name(s->pitch_lo, lo), pitch_name(s->pitch_hi, hi));
    printf("  time signatures   ");
    for (int i = 0; i < s->n_sigs; i++)
        printf(" %d/%d: %ld%s", s->sigs[i].num, s->sigs[i].den, s->sigs[i].tunes,
               i + 1 < s->n_sigs ? "," : "");
    printf("\n");
    if (s->sig_changes || s->q.sigs_replaced)
        printf("                     %ld tune(s) change signature; %ld signatures with bars under a "
               "half note read as 4/4\n", s->sig_changes, s->q.sigs_replaced);
    printf("  tempo changes      %ld tunes have more than one tempo\n", s->tempo_changes);
    printf("  polyphony          %s notes start while another note sounds (%.2f%%)\n",
           num_thousands(s->polyphonic_notes, a), pct(s->polyphonic_notes, s->notes));
}

/* What quantizing to 16th steps cost. */
static void text_quant(const CorpusStats *s)
{
    char a[32];
    printf("\nquantizing to 16th steps\n");
    printf("  onsets on the grid %s (%.1f%%) within 0.1 step, after the phase shift\n",
           num_thousands(s->q.on_grid, a), pct(s->q.on_grid, s->q.notes_in));
    printf("  onsets moved       %s (%.1f%%) by more than 0.1 step (triplets, 32nds, "
           "off-grid playing)\n", num_thousands(s->q.onset_moved, a),
           pct(s->q.onset_moved, s->q.notes_in));
    printf("  durations changed  %s (%.1f%%) by more than 0.1 step\n",
           num_thousands(s->q.dur_changed, a), pct(s->q.dur_changed, s->q.notes_in));
    printf("  lengthened to 1    %s notes that rounded to no length\n",
           num_thousands(s->q.zero_dur, a));
    printf("  no step of own     %s notes of a line rounded onto the step of the one before "
           "(16th triplets, graces): dropped\n", num_thousands(s->q.collided, a));
    printf("  ended early        %s notes of a line rounded past the next onset: ended there\n",
           num_thousands(s->q.trimmed, a));
    printf("  merged             %s notes with the pitch and onset of another\n",
           num_thousands(s->q.merged, a));
    printf("  cut                %s notes ended where the same pitch starts again\n",
           num_thousands(s->q.overlaps_cut, a));
}

/* What each encoding gives back. */
static void text_encodings(const CorpusStats *s)
{
    char a[32], b[32];
    printf("\nencodings: notes given back exactly by encode + decode\n");
    printf("  %-20s %12s %8s %8s  %s\n", "encoding", "exact", "share", "tunes", "what moved");
    for (int i = 0; i < s->n_enc; i++) {
        const CorpusEncFigure *f = &s->enc[i];
        printf("  %-20s %12s %7.2f%% %8ld ", f->label, num_thousands(f->exact, a),
               pct(f->exact, f->notes), f->tunes_exact);
        if (f->st.shifted || f->st.folded)
            printf(" %s shifted by octaves, %s folded in", num_thousands(f->st.shifted, a),
                   num_thousands(f->st.folded, b));
        if (f->st.dropped)
            printf(" %s dropped", num_thousands(f->st.dropped, a));
        if (f->enc.kind == ENC_TOKENS)
            printf(" vocabulary %d", f->enc.durations ? s->vocab_size : s->vocab_size_nodur);
        printf("\n");
    }
    printf("  (tunes: tunes given back whole; roll13 without onsets joins repeated notes\n"
           "   within a bar; tokens without durations keep pitch order, not timing)\n");
}

static void print_text(const char *const *paths, int n, const Corpus *c, const CorpusStats *s,
                       int list)
{
    text_summary(paths, n, c, s);
    text_quant(s);
    text_encodings(s);
    if (list) {
        printf("\ntunes\n");
        for (int32_t i = 0; i < c->n_tunes; i++) {
            const Tune *t = &c->tunes[i];
            int l = 0, h = 0;
            TimeSig g = tune_sig_at(t, 0);
            tune_pitch_range(t, &l, &h);
            printf("  %-40s %6ld notes %7ld steps %2d/%-2d %d..%d  %s\n", t->name,
                   (long)t->n_notes, (long)t->n_steps, g.num, g.den, l, h,
                   t->part ? t->part : "");
        }
    }
    if (c->n_skips) {
        printf("\nskipped (%ld)\n", (long)c->n_skips);
        for (int32_t i = 0; i < c->n_skips; i++)
            printf("  %s\n", c->skips[i].err.msg);
    }
}

static void print_json(const char *const *paths, int n, const Corpus *c, const CorpusStats *s,
                       int list)
{
    printf("{\n  \"paths\": [");
    for (int i = 0; i < n; i++) {
        cli_json_string(stdout, paths[i]);
        printf("%s", i + 1 < n ? ", " : "");
    }
    printf("],\n");
    printf("  \"files_read\": %ld,\n  \"files_loaded\": %ld,\n  \"files_skipped\": %ld,\n",
           c->files_seen, c->files_loaded, (long)c->n_skips);
    printf("  \"tunes\": %ld,\n  \"abc_tunes\": %ld,\n  \"notes\": %ld,\n"
           "  \"notes_quantized\": %ld,\n  \"steps\": %ld,\n",
           s->tunes, c->abc_tunes, s->notes_in, s->notes, s->steps);
    printf("  \"pitch_min\": %d,\n  \"pitch_max\": %d,\n", s->pitch_lo, s->pitch_hi);
    printf("  \"pitch_histogram\": {");
    for (int p = 0, first = 1; p < 128; p++)
        if (s->hist[p]) {
            printf("%s\"%d\": %ld", first ? "" : ", ", p, s->hist[p]);
            first = 0;
        }
    printf("},\n  \"time_signatures\": [");
    for (int i = 0; i < s->n_sigs; i++)
        printf("%s{\"sig\": \"%d/%d\", \"tunes\": %ld}", i ? ", " : "", s->sigs[i].num,
               s->sigs[i].den, s->sigs[i].tunes);
    printf("],\n  \"tunes_changing_signature\": %ld,\n  \"signatures_read_as_4_4\": %ld,\n",
           s->sig_changes, s->q.sigs_replaced);
    printf("  \"tunes_changing_tempo\": %ld,\n  \"polyphonic_notes\": %ld,\n", s->tempo_changes,
           s->polyphonic_notes);
    printf("  \"quantize\": {\"on_grid\": %ld, \"onsets_moved\": %ld, \"durations_changed\": %ld, "
           "\"lengthened\": %ld, \"collided\": %ld, \"trimmed\": %ld, \"merged\": %ld, "
           "\"cut\": %ld},\n",
           s->q.on_grid, s->q.onset_moved, s->q.dur_changed, s->q.zero_dur, s->q.collided,
           s->q.trimmed, s->q.merged, s->q.overlaps_cut);
    printf("  \"encodings\": [\n");
    for (int i = 0; i < s->n_enc; i++) {
        const CorpusEncFigure *f = &s->enc[i];
        printf("    {\"encoding\": ");
        cli_json_string(stdout, f->label);
        printf(", \"notes\": %ld, \"exact\": %ld, \"share\": %.6f, \"tunes_exact\": %ld, "
               "\"shifted\": %ld, \"folded\": %ld, \"dropped\": %ld",
               f->notes, f->exact, f->notes ? (double)f->exact / (double)f->notes : 0.0,
               f->tunes_exact, f->st.shifted, f->st.folded, f->st.dropped);
        if (f->enc.kind == ENC_TOKENS)
            printf(", \"vocabulary\": %d", f->enc.durations ? s->vocab_size : s->vocab_size_nodur);
        printf("}%s\n", i + 1 < s->n_enc ? "," : "");
    }
    printf("  ],\n");
    if (list) {
        printf("  \"tune_list\": [\n");
        for (int32_t i = 0; i < c->n_tunes; i++) {
            const Tune *t = &c->tunes[i];
            TimeSig g = tune_sig_at(t, 0);
            printf("    {\"name\": ");
            cli_json_string(stdout, t->name);
            printf(", \"source\": ");
            cli_json_string(stdout, t->source);
            printf(", \"part\": ");
            cli_json_string(stdout, t->part);
            printf(", \"notes\": %ld, \"steps\": %ld, \"sig\": \"%d/%d\"}%s\n", (long)t->n_notes,
                   (long)t->n_steps, g.num, g.den, i + 1 < c->n_tunes ? "," : "");
        }
        printf("  ],\n");
    }
    printf("  \"skipped\": [");
    for (int32_t i = 0; i < c->n_skips; i++) {
        printf("%s\n    {\"path\": ", i ? "," : "");
        cli_json_string(stdout, c->skips[i].path);
        printf(", \"reason\": ");
        cli_json_string(stdout, c->skips[i].err.msg);
        printf("}");
    }
    printf("%s]\n}\n", c->n_skips ? "\n  " : "");
}

typedef struct {
    CorpusOpts opts;
    const char *vocab_path;
    int json, list, quiet, nodur;
} CorpusArgs;

enum { OPT_JSON = 256, OPT_LIST, OPT_PART, OPT_NOPHASE, OPT_VOCAB, OPT_NODUR, OPT_MAX };

static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"list", no_argument, NULL, OPT_LIST},
    {"part", required_argument, NULL, OPT_PART},
    {"no-phase", no_argument, NULL, OPT_NOPHASE},
    {"vocab", required_argument, NULL, OPT_VOCAB},
    {"no-durations", no_argument, NULL, OPT_NODUR},
    {"max-files", required_argument, NULL, OPT_MAX},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* One option: -1 taken, else the exit status (0 after --help). */
static int take_option(void *ctx, int ch, const char *v)
{
    CorpusArgs *a = ctx;
    switch (ch) {
    case OPT_JSON: a->json = 1; return -1;
    case OPT_LIST: a->list = 1; return -1;
    case OPT_PART: a->opts.quant.part = v; return -1;
    case OPT_NOPHASE: a->opts.quant.no_phase = true; return -1;
    case OPT_VOCAB: a->vocab_path = v; return -1;
    case OPT_NODUR: a->nodur = 1; return -1;
    case OPT_MAX:
        if (!num_long(v, 1, LONG_MAX, &a->opts.max_files)) {
            fprintf(stderr, "reel corpus: --max-files needs a positive number, not '%s'\n", v);
            return 2;
        }
        return -1;
    case 'q': a->quiet = 1; return -1;
    case 'h': corpus_usage(stdout); return 0;
    default: corpus_usage(stderr); return 2;
    }
}

/* --vocab FILE: the corpus's token vocabulary saved.  0 or 1. */
static int save_vocab(const CorpusArgs *a, const Corpus *c)
{
    EncOpts eo = {.kind = ENC_TOKENS, .durations = !a->nodur};
    Vocab *v = NULL;
    ReelError err;
    int rc = 0;
    if (corpus_vocab(c, &eo, &v, &err) || vocab_save(v, a->vocab_path, &err)) {
        fprintf(stderr, "reel corpus: %s\n", err.msg);
        rc = 1;
    } else if (!a->json) {
        printf("\nvocabulary of %d tokens saved to %s\n", vocab_size(v), a->vocab_path);
    }
    vocab_free(v);
    return rc;
}

int cmd_corpus(int argc, char **argv)
{
    CorpusArgs a;
    Corpus c;
    CorpusStats *s;
    ReelError err;
    const char *const *paths;
    int n, rc;

    memset(&a, 0, sizeof a);
    if ((rc = cli_getopt(argc, argv, "qh", longopts, take_option, &a)) >= 0)
        return rc;
    if (optind >= argc) {
        fprintf(stderr, "reel corpus: give at least one file or folder\n");
        corpus_usage(stderr);
        return 2;
    }
    paths = (const char *const *)(argv + optind);
    n = argc - optind;
    if (!a.quiet && cli_stderr_is_tty())
        a.opts.progress = progress;

    corpus_init(&c);
    if (corpus_load(&c, paths, n, &a.opts, &err)) {
        fprintf(stderr, "reel corpus: %s\n", err.msg);
        for (int32_t i = 0; i < c.n_skips && c.n_skips > 1; i++)
            fprintf(stderr, "  %s\n", c.skips[i].err.msg);
        corpus_free(&c);
        return 1;
    }
    s = malloc(sizeof *s);
    if (!s || corpus_stats(&c, s, &err)) {
        fprintf(stderr, "reel corpus: %s\n", s ? err.msg : "out of memory");
        free(s);
        corpus_free(&c);
        return 1;
    }
    if (a.json)
        print_json(paths, n, &c, s, a.list);
    else
        print_text(paths, n, &c, s, a.list);
    rc = a.vocab_path ? save_vocab(&a, &c) : 0;
    free(s);
    corpus_free(&c);
    return rc;
}
