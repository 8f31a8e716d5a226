/* evalref.c — the reference corpus of an evaluation (evalref.h). */
#include "evalref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "roundtrip.h"

void evalref_paths_from_model(EvalPaths *p, const Model *m)
{
    char *s, *save = NULL;
    size_t n;
    memset(p, 0, sizeof *p);
    snprintf(p->line, sizeof p->line, "%s", m->train.corpus);
    n = strlen(p->line);
    if (n > 0 && p->line[n - 1] == ')' && (s = strstr(p->line, " (part ")) != NULL) {
        snprintf(p->part, sizeof p->part, "%.*s", (int)(strlen(s + 7) - 1), s + 7);
        *s = '\0';
    }
    for (s = strtok_r(p->line, " ", &save); s && p->n < EVALREF_MAX_PATHS;
         s = strtok_r(NULL, " ", &save)) {
        corpus_relocate(s, p->buf[p->n], sizeof p->buf[p->n]);
        p->paths[p->n] = p->buf[p->n];
        p->n++;
    }
}

void evalref_init(EvalRef *r)
{
    memset(r, 0, sizeof *r);
    corpus_init(&r->raw);
}

/* Each tune as m's encoding gives it back; one that does not encode is
 * left empty and counted. */
static ReelStatus round_trip(EvalRef *r, const Model *m, ReelError *err)
{
    r->ref = calloc((size_t)r->raw.n_tunes, sizeof *r->ref);
    if (!r->ref)
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    for (int32_t i = 0; i < r->raw.n_tunes; i++) {
        ReelError e;
        if (roundtrip_tune(&m->enc, m->vocab, &r->raw.tunes[i], &r->ref[r->n_ref], &e))
            r->ref_failed++;
        r->n_ref++;
    }
    return REEL_OK;
}

ReelStatus evalref_load(EvalRef *r, const EvalPaths *p, const Model *m, ReelError *err)
{
    CorpusOpts co;
    ReelError e;
    ReelStatus s;
    double t0;
    memset(&co, 0, sizeof co);
    if (p->part[0])
        co.quant.part = p->part;
    if ((s = corpus_load(&r->raw, p->paths, p->n, &co, &e)))
        return reel_fail(err, s, "corpus %s: %s", p->paths[0], e.msg);
    if (!m) {
        r->ref = r->raw.tunes;
        r->n_ref = r->raw.n_tunes;
    } else if ((s = round_trip(r, m, err))) {
        return s;
    }
    t0 = now_sec();
    if ((s = origin_build(&r->ix, r->ref, r->n_ref, err)))
        return s;
    r->build_sec = now_sec() - t0;
    return REEL_OK;
}

void evalref_free(EvalRef *r)
{
    if (r->ref && r->ref != r->raw.tunes) {
        for (int32_t i = 0; i < r->n_ref; i++)
            tune_free(&r->ref[i]);
        free(r->ref);
    }
    origin_free(r->ix);
    corpus_free(&r->raw);
    evalref_init(r);
}

Corpus evalref_view(const EvalRef *r)
{
    Corpus view;
    memset(&view, 0, sizeof view);
    view.tunes = r->ref;
    view.n_tunes = r->n_ref;
    return view;
}
