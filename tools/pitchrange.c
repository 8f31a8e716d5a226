/* pitchrange.c — record a model's pitch range in a model file trained before
 * reel recorded it (issue 13), without retraining: `make build/tools/pitchrange`,
 * then `build/tools/pitchrange MODEL [CORPUS...]`.
 *
 * It reads the corpus the model was trained on (the paths its header names,
 * or the CORPUS paths given, e.g. when the recorded ones are relative to
 * another folder), computes the range exactly as training now does
 * (range_of_tunes: every tune, encoded with the model's encoding), and saves
 * the model again through model_save with the range in its header (the
 * weights, and the optimizer state if the file has one, unchanged; the file's
 * checksum and save time change).  A one-off: models trained since record
 * their range themselves.  A --condition model also gets its key spread
 * (keyspread.h: every tune's key counted, as training now does), so that
 * generation draws its default key from it.  Exit status 0, 1 on any
 * failure (the file is then unchanged), 2 for bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "evalref.h"
#include "model.h"
#include "keyspread.h"
#include "range.h"

#define MAX_PATHS EVALREF_MAX_PATHS

/* The header's "corpus" text split at blanks into paths (inside buf); a
 * "(part NAME)" at the end sets the part. */
int main(int argc, char **argv)
{
    int n = 0, rc = 1;
    const char *paths[MAX_PATHS];
    Model m;
    char name[40];
    EvalPaths ep;
    Corpus c;
    CorpusOpts co;
    PitchRange r;
    ReelError err;
    if (argc < 2 || argc - 2 > MAX_PATHS || !strcmp(argv[1], "-h")) {
        fprintf(stderr, "usage: pitchrange MODEL [CORPUS...]: record the model's pitch range "
                "(from CORPUS, else the corpus its header names) and save it again\n");
        return 2;
    }
    memset(&co, 0, sizeof co);
    if (model_load(&m, argv[1], 0, 0, &err)) {
        fprintf(stderr, "pitchrange: %s\n", err.msg);
        return 1;
    }
    if (argc > 2)
        for (int i = 2; i < argc; i++)
            paths[n++] = argv[i];
    else {
        evalref_paths_from_model(&ep, &m);
        for (int i = 0; i < ep.n; i++)
            paths[n++] = ep.paths[i];
        if (ep.part[0])
            co.quant.part = ep.part;
    }
    corpus_init(&c);
    if (n == 0) {
        fprintf(stderr, "pitchrange: %s names no corpus: give it after the model\n", argv[1]);
    } else if (corpus_load(&c, paths, n, &co, &err) ||
               range_of_tunes(&m.enc, m.vocab, c.tunes, c.n_tunes, &r, &err)) {
        fprintf(stderr, "pitchrange: %s\n", err.msg);
    } else if (!range_known(r)) {
        fprintf(stderr, "pitchrange: the corpus has no notes the model's encoding keeps\n");
    } else {
        m.range = r;
        if (enc_form(&m.enc) && m.enc.cond)
            keyspread_of_tunes(c.tunes, c.n_tunes, &m.keys);
        if (model_save(&m, argv[1], m.optim.state != NULL, &err)) {
            fprintf(stderr, "pitchrange: %s\n", err.msg);
        } else {
            printf("%s: pitch range %s, from %ld tunes of %s\n", argv[1],
                   range_name(r, name, sizeof name), (long)c.n_tunes, paths[0]);
            rc = 0;
        }
    }
    corpus_free(&c);
    model_free(&m);
    return rc;
}
