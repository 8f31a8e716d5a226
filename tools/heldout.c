/* heldout.c — the tunes a model was never trained on: `make
 * build/tools/heldout`, then `build/tools/heldout MODEL OUTDIR [CORPUS...]`.
 *
 * It splits the corpus the model was trained on (the paths its header
 * names, or the CORPUS paths given) exactly as training did (learn/job:
 * the same tunes, the same --val-split, --test-split and --seed, so the
 * same shuffle) and links into OUTDIR (created; a name that is taken gets a
 * number) each file of the tunes kept aside for testing (--test-split), or
 * with --val (or for a model without test tunes) of the validation tunes.
 * The model never learnt from either; the test tunes were not even looked
 * at to choose epochs or settings.  `reel eval --model MODEL --test OUTDIR`
 * then gives the loss per note on unseen tunes.  A file holding several tunes (ABC) is linked once, with
 * all its tunes.  Exit status 0, 1 on any failure, 2 for bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evalref.h"
#include "job.h"

#define MAX_PATHS EVALREF_MAX_PATHS

/* Link src into dir as its base name (NAME-2, -3 ... when taken). */
static int link_into(const char *dir, const char *src)
{
    const char *base = strrchr(src, '/');
    char path[4096], abs[4096];
    base = base ? base + 1 : src;
    if (!realpath(src, abs))
        return -1;
    for (int k = 1; k < 1000; k++) {
        if (k == 1)
            snprintf(path, sizeof path, "%s/%s", dir, base);
        else
            snprintf(path, sizeof path, "%s/%d-%s", dir, k, base);
        if (symlink(abs, path) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *paths[MAX_PATHS];
    EvalPaths ep;
    Model m, scratch;
    JobConfig cfg;
    TrainJob j;
    ReelError err;
    int n = 0, rc = 1, linked = 0;
    bool val = argc > 3 && !strcmp(argv[3], "--val");
    if (val) {
        argv[3] = argv[2];
        argv[2] = argv[1];
        argv++;
        argc--;
    }
    if (argc < 3 || argc - 3 > MAX_PATHS || !strcmp(argv[1], "-h")) {
        fprintf(stderr, "usage: heldout MODEL OUTDIR [--val] [CORPUS...]: link the tunes MODEL "
                        "kept aside for testing (--val: the validation tunes) into OUTDIR\n");
        return 2;
    }
    if (model_load(&m, argv[1], 0, 0, &err)) {
        fprintf(stderr, "heldout: %s\n", err.msg);
        return 1;
    }
    memset(&cfg, 0, sizeof cfg);
    if (argc > 3)
        for (int i = 3; i < argc; i++)
            paths[n++] = argv[i];
    else {
        evalref_paths_from_model(&ep, &m);
        for (int i = 0; i < ep.n; i++)
            paths[n++] = ep.paths[i];
        if (ep.part[0])
            cfg.corpus.quant.part = ep.part;
    }
    if (n == 0) {
        fprintf(stderr, "heldout: %s names no corpus: give it after OUTDIR\n", argv[1]);
        model_free(&m);
        return 1;
    }
    cfg.paths = paths;
    cfg.n_paths = n;
    cfg.enc = m.enc;
    cfg.train = m.train;
    model_init(&scratch);
    job_init(&j, &cfg, &scratch, NULL);
    if (mkdir(argv[2], 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "heldout: %s: %s\n", argv[2], strerror(errno));
    } else if (job_load(&j, &err) || job_split(&j, &err)) {
        fprintf(stderr, "heldout: %s\n", err.msg);
    } else {
        const char *last = NULL;
        const int32_t *which = j.n_te > 0 && !val ? j.te_which : j.va_which;
        int32_t count = j.n_te > 0 && !val ? j.n_te : j.n_va;
        rc = 0;
        for (int32_t i = 0; i < count && !rc; i++) {
            const Tune *t = &j.corpus.tunes[which[i]];
            if (!t->source || (last && !strcmp(last, t->source)))
                continue;
            if (link_into(argv[2], t->source)) {
                fprintf(stderr, "heldout: %s into %s: %s\n", t->source, argv[2], strerror(errno));
                rc = 1;
            }
            last = t->source;
            linked++;
        }
        if (!rc)
            printf("%s: %d %s tunes of %d, %d files linked into %s\n", argv[1], count,
                   which == j.te_which ? "test" : "validation", j.n_tunes, linked, argv[2]);
    }
    job_free(&j);
    model_free(&scratch);
    model_free(&m);
    return rc;
}
