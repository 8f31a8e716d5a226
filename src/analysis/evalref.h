/* evalref.h — the reference corpus an evaluation measures against.
 *
 * What this module is: the corpus side of `reel eval`: the folders a model
 * says it was trained on (its header's corpus line, relocated under
 * $REEL_CORPUS when recorded on another machine), loaded, read back as the
 * model's encoding gives them (encode + decode: what the model could learn),
 * and indexed for originality queries (origin.h).  What it is not: the
 * metrics (metrics.h) or the columns of a report (evaljob.h).  Never prints.
 */
#ifndef REEL_EVALREF_H
#define REEL_EVALREF_H

#include <stdbool.h>
#include <stdint.h>

#include "corpus.h"
#include "model.h"
#include "origin.h"

#define EVALREF_MAX_PATHS 16

/* Corpus paths and the part to take.  paths[] point into buf or the
 * caller's strings. */
typedef struct {
    const char *paths[EVALREF_MAX_PATHS];
    int n;
    char part[128];                          /* "" : the melody */
    char buf[EVALREF_MAX_PATHS][1024];       /* relocated paths */
    char line[512];                          /* the model's corpus line, split */
} EvalPaths;

/* The paths and part of m's corpus line ("PATH PATH (part NAME)"), each
 * relocated (corpus_relocate).  p->n is 0 when the model does not say. */
void evalref_paths_from_model(EvalPaths *p, const Model *m);

typedef struct {
    Corpus raw;                 /* as loaded */
    Tune *ref;                  /* the reference tunes: raw's, or round-tripped (owned) */
    int32_t n_ref;
    long ref_failed;            /* tunes that did not round-trip (left empty) */
    OriginIndex *ix;
    double build_sec;           /* building the index */
} EvalRef;

/* Load p's paths into r; with m (may be NULL) read each tune back through
 * its encoding.  Then index it.  Errors: "corpus PATH: why" when nothing
 * loads (r->raw.n_tunes is then 0), else what failed. */
ReelStatus evalref_load(EvalRef *r, const EvalPaths *p, const Model *m, ReelError *err);
void evalref_init(EvalRef *r);
void evalref_free(EvalRef *r);

/* The reference tunes as a Corpus that borrows them (for
 * gen_corpus_excerpt); nothing to free. */
Corpus evalref_view(const EvalRef *r);

#endif
