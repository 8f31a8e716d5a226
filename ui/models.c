/* models.c — the model in use: loaded from a file or handed over by the
 * training view, with its generator (the old model stays when the new one
 * cannot be used), and its name and description for the header.
 */
#include "studio.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void model_summary(Studio *s, const char *path)
{
    const char *b = strrchr(path, '/');
    char *dot;
    snprintf(s->model_name, sizeof s->model_name, "%s", b ? b + 1 : path);
    if ((dot = strrchr(s->model_name, '.')) != NULL && dot != s->model_name)
        *dot = '\0';
    snprintf(s->model_desc, sizeof s->model_desc, "%s%s %dx%d",
             s->model.enc.lookback ? "melody-lookback" : enc_name(s->model.enc.kind),
             s->model.enc.plain ? " plain" : "", s->model.net.layers, s->model.net.hidden);
}

bool studio_use_model(Studio *s, Model *m, const char *path, const char *what)
{
    ReelError err;
    GenCtl gc;
    Model old = s->model;
    bool had = s->have_model;
    /* The worker lets go of the model first (its generators read it). */
    gw_drop_model(&s->take.gw);
    /* The new generator first: the old model stays when it fails. */
    s->model = *m;
    if (gc_init(&gc, &s->model, &s->take.so, s->take.seed, &err)) {
        s->model = old;
        view_status(&s->view, 2, "%s: %s", path, err.msg);
        model_free(m);
        if (had && s->take.gw_ok)
            gw_set_model(&s->take.gw, &s->model, &s->take.so, s->take.seed, NULL);
        return false;
    }
    memset(m, 0, sizeof *m);
    if (s->take.gc_ok)
        gc_free(&s->take.gc);
    if (had)
        model_free(&old);
    s->take.gc = gc;
    s->take.gc_ok = true;
    if (s->take.gw_ok && gw_set_model(&s->take.gw, &s->model, &s->take.so, s->take.seed, &err))
        view_status(&s->view, 2, "%s: %s (new takes cannot be made)", path, err.msg);
    s->have_model = true;
    cix_request(&s->cix, s->model.train.corpus);
    s->take.version = s->song.version - 1; /* the old take is no one's now */
    s->take.generating = false;
    snprintf(s->model_path, sizeof s->model_path, "%s", path);
    model_summary(s, path);
    view_status(&s->view, 1, "model %s: %s (%s)", s->model_name, s->model_desc, what);
    s->view.dirty = DIRTY_ALL;
    return true;
}

bool studio_open_model(Studio *s, const char *path)
{
    Model m;
    ReelError err;
    char what[200];
    model_init(&m);
    if (model_load(&m, path, 0, 0, &err)) {
        view_status(&s->view, 2, "%s", err.msg);
        model_free(&m);
        return false;
    }
    snprintf(what, sizeof what, "epoch %d, val acc %.1f%%", m.progress.epoch,
             isnan(m.progress.val_acc) ? 0.0 : m.progress.val_acc * 100.0);
    return studio_use_model(s, &m, path, what);
}

bool studio_model_roll13(const Studio *s)
{
    return s->have_model &&
           (s->model.enc.kind == ENC_ROLL13 || s->model.enc.kind == ENC_ROLL13_ONSET);
}
