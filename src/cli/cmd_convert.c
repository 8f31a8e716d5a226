/* cmd_convert.c — `reel convert IN -o OUT.mid`: one tune, as reel sees it.
 *
 * The tune is what every model of reel would be trained on: the melody part,
 * quantized to 16th steps; with --encoding it also goes through that encoding
 * and back, so a musician can hear what an encoding keeps and loses.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "corpus.h"
#include "midi.h"

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

int cmd_convert(int argc, char **argv)
{
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
    CorpusOpts opts;
    EncOpts eo = {.kind = ENC_COUNT};
    MidiWriteOpts wo = {0, -1, NULL, 0};
    Corpus c;
    ReelError err;
    Tune out;
    const char *output = NULL, *input;
    long tune_no = 1;
    int ch, rc = 1;
    char *end, prov[1024];
    const Tune *t;

    memset(&opts, 0, sizeof opts);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o': output = optarg; break;
        case OPT_TUNE:
            tune_no = strtol(optarg, &end, 10);
            if (*end || tune_no < 1) {
                fprintf(stderr, "reel convert: --tune needs a number from 1, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_PART: opts.quant.part = optarg; break;
        case OPT_NOPHASE: opts.quant.no_phase = true; break;
        case OPT_ENC:
            eo.kind = enc_parse(optarg);
            if (eo.kind == ENC_COUNT) {
                fprintf(stderr, "reel convert: unknown encoding '%s' (roll13, roll13o, roll128, "
                                "melody, tokens, regress)\n", optarg);
                return 2;
            }
            break;
        case OPT_PLAIN: eo.plain = true; break;
        case OPT_DUR: eo.durations = true; break;
        case OPT_PROGRAM:
            wo.program = (int)strtol(optarg, &end, 10) - 1;
            if (*end || wo.program < 0 || wo.program > 127) {
                fprintf(stderr, "reel convert: --program needs 1..128, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': convert_usage(stdout); return 0;
        default: convert_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !output) {
        fprintf(stderr, "reel convert: give one input file and -o OUT.mid\n");
        convert_usage(stderr);
        return 2;
    }
    input = argv[optind];

    corpus_init(&c);
    corpus_load_file(&c, input, &opts);
    if (c.n_tunes == 0) {
        fprintf(stderr, "reel convert: %s\n",
                c.n_skips ? c.skips[0].err.msg : "no tune in the file");
        corpus_free(&c);
        return 1;
    }
    if (tune_no > c.n_tunes) {
        fprintf(stderr, "reel convert: %s holds %ld tune%s, not %ld\n", input, (long)c.n_tunes,
                c.n_tunes == 1 ? "" : "s", tune_no);
        corpus_free(&c);
        return 1;
    }
    t = &c.tunes[tune_no - 1];
    tune_init(&out);
    if (eo.kind == ENC_COUNT) {
        if (tune_copy(&out, t, &err))
            goto fail;
        snprintf(prov, sizeof prov, "reel %s convert: %s, tune %s, part %s, quantized to 16ths",
                 REEL_VERSION, input, t->name, t->part ? t->part : "?");
    } else {
        Vocab *v = NULL;
        Encoded e;
        long exact;
        if (eo.kind == ENC_TOKENS) {
            /* The tune's own vocabulary: every token is known. */
            if (!(v = vocab_new())) {
                reel_fail(&err, REEL_ENOMEM, "out of memory");
                goto fail;
            }
            if (enc_tokens_count(&eo, t, v, &err)) {
                vocab_free(v);
                goto fail;
            }
            vocab_finish(v);
        }
        if (enc_encode(&eo, v, t, &e, &err)) {
            vocab_free(v);
            goto fail;
        }
        if (enc_decode(&eo, v, &e, t, &out, &err)) {
            enc_free(&e);
            vocab_free(v);
            goto fail;
        }
        exact = tune_count_matching(t, &out);
        fprintf(stderr, "%s: %ld of %ld notes came back exactly through %s%s\n", t->name, exact,
                (long)t->n_notes, enc_name(eo.kind), eo.plain ? " --plain" : "");
        snprintf(prov, sizeof prov,
                 "reel %s convert: %s, tune %s, part %s, through encoding %s%s%s and back",
                 REEL_VERSION, input, t->name, t->part ? t->part : "?", enc_name(eo.kind),
                 eo.plain ? " --plain" : "", eo.durations ? " --durations" : "");
        enc_free(&e);
        vocab_free(v);
    }
    wo.provenance = prov;
    if (midi_write_tune(output, &out, &wo, &err))
        goto fail;
    fprintf(stderr, "%s: %ld notes, %ld steps written to %s\n", t->name, (long)out.n_notes,
            (long)out.n_steps, output);
    rc = 0;
fail:
    if (rc)
        fprintf(stderr, "reel convert: %s\n", err.msg);
    tune_free(&out);
    corpus_free(&c);
    return rc;
}
