/* cmd_convert.c — `reel convert IN -o OUT.mid`: one tune, as reel sees it.
 *
 * The tune is what every model of reel would be trained on: the melody part,
 * quantized to 16th steps; with --encoding it also goes through that encoding
 * and back, so a musician can hear what an encoding keeps and loses.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "corpus.h"
#include "files.h"
#include "midi.h"
#include "roundtrip.h"

static void convert_usage(FILE *f)
{
    int k;
    fprintf(f,
        "usage: reel convert [OPTIONS] IN -o OUT.mid\n"
        "\n"
        "Read IN (MIDI or ABC), take its melody the way `reel corpus` does, quantize it\n"
        "to 16th steps and write it as a MIDI file (format 1: a conductor track with\n"
        "tempo, time signature and a provenance text, and one note track).\n"
        "\n"
        "options:\n"
        "  -o, --output FILE   the MIDI file to write (required; written to a temporary\n"
        "                      file and renamed)\n"
        "  --tune N            the N-th tune of a file with several (ABC), default 1\n"
        "  --part NAME         take the track NAME instead of the melody ('all': every\n"
        "                      non-drum note)\n"
        "  --no-phase          do not search for a grid phase\n"
        "  --encoding E        pass the tune through encoding E and back:\n");
    for (k = 0; k < ENC_COUNT; k++)
        fprintf(f, "                        %-8s %s\n", enc_name((EncKind)k),
                enc_describe((EncKind)k));
    fprintf(f,
        "  --plain             roll13/roll13o: keep pitches, drop notes outside C4..C5\n"
        "                      (the default moves the tune by octaves and folds the rest)\n"
        "  --durations         tokens: tokens carry durations (\"C4/4\", \"r/2\")\n"
        "  --program N         General MIDI program 1..128 for the note track (default:\n"
        "                      the file's own, if any)\n"
        "  -h, --help          this text\n");
}

typedef struct {
    CorpusOpts opts;
    EncOpts eo;                 /* kind ENC_COUNT: no encoding */
    MidiWriteOpts wo;
    const char *output, *input;
    long tune_no;
} Convert;

enum { OPT_TUNE = 256, OPT_PART, OPT_NOPHASE, OPT_ENC, OPT_PLAIN, OPT_DUR, OPT_PROGRAM };

static const struct option longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"tune", required_argument, NULL, OPT_TUNE},
    {"part", required_argument, NULL, OPT_PART},
    {"no-phase", no_argument, NULL, OPT_NOPHASE},
    {"encoding", required_argument, NULL, OPT_ENC},
    {"plain", no_argument, NULL, OPT_PLAIN},
    {"durations", no_argument, NULL, OPT_DUR},
    {"program", required_argument, NULL, OPT_PROGRAM},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* One option: -1 taken, else the exit status (0 after --help). */
static int take_option(void *ctx, int ch, const char *v)
{
    Convert *x = ctx;
    long program;
    switch (ch) {
    case 'o': x->output = v; return -1;
    case OPT_TUNE:
        if (!num_long(v, 1, LONG_MAX, &x->tune_no)) {
            fprintf(stderr, "reel convert: --tune needs a number from 1, not '%s'\n", v);
            return 2;
        }
        return -1;
    case OPT_PART: x->opts.quant.part = v; return -1;
    case OPT_NOPHASE: x->opts.quant.no_phase = true; return -1;
    case OPT_ENC:
        x->eo.kind = enc_parse(v);
        if (x->eo.kind == ENC_COUNT) {
            fprintf(stderr, "reel convert: unknown encoding '%s' (roll13, roll13o, roll128, "
                            "melody, tokens, regress)\n", v);
            return 2;
        }
        return -1;
    case OPT_PLAIN: x->eo.plain = true; return -1;
    case OPT_DUR: x->eo.durations = true; return -1;
    case OPT_PROGRAM:
        if (!num_long(v, 1, 128, &program)) {
            fprintf(stderr, "reel convert: --program needs 1..128, not '%s'\n", v);
            return 2;
        }
        x->wo.program = (int)program - 1;
        return -1;
    case 'h': convert_usage(stdout); return 0;
    default: convert_usage(stderr); return 2;
    }
}

static int parse_args(Convert *x, int argc, char **argv)
{
    int rc;
    memset(x, 0, sizeof *x);
    x->eo.kind = ENC_COUNT;
    x->wo.program = -1;
    x->tune_no = 1;
    if ((rc = cli_getopt(argc, argv, "o:h", longopts, take_option, x)) >= 0)
        return rc;
    if (optind != argc - 1 || !x->output) {
        fprintf(stderr, "reel convert: give one input file and -o OUT.mid\n");
        convert_usage(stderr);
        return 2;
    }
    x->input = argv[optind];
    if (file_same(x->input, x->output)) {
        fprintf(stderr, "reel convert: -o %s is the input file itself: write the copy to "
                "another name\n", x->output);
        return 2;
    }
    return -1;
}

/* t as it is, or through the encoding and back, into *out with its
 * provenance line. */
static ReelStatus convert(const Convert *x, const Tune *t, Tune *out, char *prov, size_t size,
                          ReelError *err)
{
    const EncOpts *eo = &x->eo;
    ReelStatus s;
    if (eo->kind == ENC_COUNT) {
        snprintf(prov, size, "reel %s convert: %s, tune %s, part %s, quantized to 16ths",
                 REEL_VERSION, x->input, t->name, t->part ? t->part : "?");
        return tune_copy(out, t, err);
    }
    if ((s = roundtrip_tune(eo, NULL, t, out, err)))
        return s;
    fprintf(stderr, "%s: %ld of %ld notes came back exactly through %s%s\n", t->name,
            tune_count_matching(t, out), (long)t->n_notes, enc_name(eo->kind),
            eo->plain ? " --plain" : "");
    snprintf(prov, size, "reel %s convert: %s, tune %s, part %s, through encoding %s%s%s and back",
             REEL_VERSION, x->input, t->name, t->part ? t->part : "?", enc_name(eo->kind),
             eo->plain ? " --plain" : "", eo->durations ? " --durations" : "");
    return REEL_OK;
}

int cmd_convert(int argc, char **argv)
{
    Convert x;
    MidiWriteOpts wo;
    ReelError err;
    Tune t, out;
    char prov[1024];
    int rc = parse_args(&x, argc, argv);
    if (rc >= 0)
        return rc;
    if (corpus_load_tune(x.input, &x.opts, x.tune_no, &t, &err)) {
        fprintf(stderr, "reel convert: %s\n", err.msg);
        return 1;
    }
    tune_init(&out);
    wo = x.wo;
    wo.provenance = prov;
    rc = 1;
    if (convert(&x, &t, &out, prov, sizeof prov, &err) ||
        midi_write_tune(x.output, &out, &wo, &err)) {
        fprintf(stderr, "reel convert: %s\n", err.msg);
    } else {
        fprintf(stderr, "%s: %ld notes, %ld steps written to %s\n", t.name, (long)out.n_notes,
                (long)out.n_steps, x.output);
        rc = 0;
    }
    tune_free(&out);
    tune_free(&t);
    return rc;
}
