/* shard.c — see shard.h. */
#include "shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ReelStatus shard_check(Dist *d, ReelStatus mine, int *who, ReelError *err)
{
    double f[2] = {mine ? 1.0 : 0.0, mine ? (double)dist_rank(d) : 0.0};
    ReelError e;
    ReelStatus s;
    *who = -1;
    if ((s = dist_sum_f64(d, f, 2, &e))) {
        *who = SHARD_UNKNOWN;
        if (!mine && err)
            *err = e;
        return mine ? mine : s;
    }
    if (f[0] == 0)
        return REEL_OK;
    *who = f[0] == 1 ? (int)f[1] : -1;
    if (mine)
        return mine;
    if (f[0] == 1)
        return reel_fail(err, REEL_EIO, "rank %d failed (its message says why)", (int)f[1]);
    return reel_fail(err, REEL_EIO, "%d ranks failed (their messages say why)", (int)f[0]);
}

void shard_corpus_free(ShardCorpus *sc)
{
    free(sc->owner);
    free(sc->lidx);
    memset(sc, 0, sizeof *sc);
}

/* Which file each loaded tune came from: the progress callback runs after
 * each file this rank loads, with the file's place in the sorted list. */
typedef struct {
    const Corpus *c;
    int32_t seen;
    int64_t *file_of;
    int64_t cap;
    bool oom;
} FileTrack;

static void on_file(void *user, long done, long total, const char *path)
{
    FileTrack *t = user;
    (void)total;
    (void)path;
    for (; t->seen < t->c->n_tunes; t->seen++) {
        if (t->seen >= t->cap) {
            int64_t cap = t->cap ? 2 * t->cap : 1024;
            int64_t *p = realloc(t->file_of, (size_t)cap * sizeof *p);
            if (!p) {
                t->oom = true;
                return;
            }
            t->file_of = p;
            t->cap = cap;
        }
        t->file_of[t->seen] = done - 1;
    }
}

typedef struct {
    int64_t file;
    int32_t rank, lidx;
} TunePlace;

static int place_cmp(const void *a, const void *b)
{
    const TunePlace *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return (x->lidx > y->lidx) - (x->lidx < y->lidx);
}

ReelStatus shard_corpus_load(Dist *d, ShardCorpus *sc, Corpus *c, const char *const *paths,
                             int n_paths, const CorpusOpts *opts, long max_tunes, ReelError *err)
{
    int R = dist_size(d), me = dist_rank(d), who;
    CorpusOpts o;
    FileTrack track;
    ReelStatus s = REEL_OK;
    ReelError mine;
    int64_t *files = NULL, *counts = NULL;
    TunePlace *pl = NULL;
    double tot[3];
    int64_t n = 0;
    int32_t kept_here = 0;

    memset(sc, 0, sizeof *sc);
    memset(&track, 0, sizeof track);
    reel_error_clear(&mine);
    o = *opts;
    o.shard = me;
    o.shards = R;
    track.c = c;
    o.progress = on_file;
    o.progress_user = &track;
    s = corpus_load(c, paths, n_paths, &o, &mine);
    if (s == REEL_EEMPTY && c->n_tunes == 0)
        s = REEL_OK; /* nothing in this rank's share; the others may have tunes */
    if (!s && track.oom)
        s = reel_fail(&mine, REEL_ENOMEM, "out of memory listing the tunes");
    if ((s = shard_check(d, s, &who, err))) {
        if (who == me)
            *err = mine;
        goto done;
    }
    tot[0] = c->n_tunes;
    tot[1] = c->n_skips;
    tot[2] = (double)c->files_loaded;
    if ((s = dist_sum_f64(d, tot, 3, err)))
        goto done;
    sc->skips = (long)tot[1];
    sc->files_loaded = (long)tot[2];
    if (tot[0] == 0) {
        /* Rank 0 holds the first file: its message says the most. */
        s = reel_fail(err, REEL_EEMPTY, "%s", mine.msg[0] ? mine.msg : "nothing could be loaded");
        goto done;
    }
    if (tot[0] > 2147483647.0) {
        s = reel_fail(err, REEL_EARG, "%.0f tunes: more than reel can index", tot[0]);
        goto done;
    }
    if (!(counts = malloc((size_t)R * sizeof *counts))) {
        s = reel_fail(err, REEL_ENOMEM, "out of memory");
        goto done;
    }
    if ((s = dist_gather_i64(d, track.file_of, c->n_tunes, &files, counts, err)))
        goto done;
    for (int r = 0; r < R; r++)
        n += counts[r];
    pl = malloc((size_t)(n ? n : 1) * sizeof *pl);
    sc->owner = malloc((size_t)(n ? n : 1) * sizeof *sc->owner);
    sc->lidx = malloc((size_t)(n ? n : 1) * sizeof *sc->lidx);
    if (!pl || !sc->owner || !sc->lidx) {
        s = reel_fail(err, REEL_ENOMEM, "out of memory for %lld tunes", (long long)n);
        goto done;
    }
    for (int r = 0, k = 0; r < R; r++)
        for (int64_t i = 0; i < counts[r]; i++, k++)
            pl[k] = (TunePlace){files[k], r, (int32_t)i};
    /* Files are unique to a rank, and a file's tunes keep their order: the
     * order one process loads them in. */
    qsort(pl, (size_t)n, sizeof *pl, place_cmp);
    if (max_tunes > 0 && n > max_tunes)
        n = max_tunes;
    for (int64_t g = 0; g < n; g++) {
        sc->owner[g] = pl[g].rank;
        sc->lidx[g] = pl[g].lidx;
        if (pl[g].rank == me)
            kept_here++;
    }
    sc->n = (int32_t)n;
    /* The tunes past max_tunes are the last of each rank's list. */
    for (int32_t i = kept_here; i < c->n_tunes; i++)
        tune_free(&c->tunes[i]);
    c->n_tunes = kept_here;
done:
    if (s)
        shard_corpus_free(sc);
    free(track.file_of);
    free(files);
    free(counts);
    free(pl);
    return s;
}

ReelStatus shard_vocab_merge(Dist *d, Vocab **v, ReelError *err)
{
    int R = dist_size(d), who;
    char *buf = NULL, *all = NULL;
    size_t len = 0;
    int64_t *counts = NULL, off = 0;
    Vocab *sum = NULL;
    FILE *f;
    ReelStatus s = REEL_OK;

    if (!(f = open_memstream(&buf, &len)))
        s = reel_fail(err, REEL_ENOMEM, "out of memory");
    else {
        s = vocab_write(*v, f, err);
        if (fclose(f) != 0 && !s)
            s = reel_fail(err, REEL_ENOMEM, "out of memory");
    }
    if (!s && (!(counts = malloc((size_t)R * sizeof *counts)) || !(sum = vocab_new())))
        s = reel_fail(err, REEL_ENOMEM, "out of memory");
    if ((s = shard_check(d, s, &who, err)))
        goto done;
    if ((s = dist_gather_bytes(d, buf, (int64_t)len, &all, counts, err)))
        goto done;
    for (int r = 0; r < R && !s; r++) {
        Vocab *part = NULL;
        char name[64];
        snprintf(name, sizeof name, "the vocabulary of rank %d", r);
        if (!(f = fmemopen(all + off, (size_t)counts[r], "r"))) {
            s = reel_fail(err, REEL_ENOMEM, "out of memory");
            break;
        }
        s = vocab_read(&part, f, name, err);
        fclose(f);
        off += counts[r];
        for (int id = 0; !s && id < vocab_size(part); id++) {
            const char *tok = vocab_token(part, id);
            for (long k = vocab_freq(part, id); k > 0; k--)
                if (vocab_count(sum, tok) < 0) {
                    s = reel_fail(err, REEL_ENOMEM, "out of memory merging the vocabularies");
                    break;
                }
        }
        vocab_free(part);
    }
    if (!s) {
        vocab_free(*v);
        *v = sum;
        sum = NULL;
    }
done:
    vocab_free(sum);
    free(buf);
    free(all);
    free(counts);
    return s;
}

ReelStatus shard_index(Dist *d, const Dataset *mine, const int32_t *pos, int32_t n_list,
                       Dataset *all, int32_t **local, int32_t **owner_of, ReelError *err)
{
    int R = dist_size(d), me = dist_rank(d), who;
    int64_t *send = NULL, *got = NULL, *counts = NULL, *rows = NULL, acc = 0;
    int32_t *owner = NULL, *lk = NULL, kept = 0;
    ReelStatus s = REEL_OK;

    memset(all, 0, sizeof *all);
    *local = NULL;
    *owner_of = NULL;
    send = malloc((size_t)(mine->n_tunes ? mine->n_tunes : 1) * 2 * sizeof *send);
    counts = malloc((size_t)R * sizeof *counts);
    rows = calloc((size_t)(n_list ? n_list : 1), sizeof *rows);
    owner = malloc((size_t)(n_list ? n_list : 1) * sizeof *owner);
    lk = malloc((size_t)(n_list ? n_list : 1) * sizeof *lk);
    if (!send || !counts || !rows || !owner || !lk)
        s = reel_fail(err, REEL_ENOMEM, "out of memory indexing %d tunes", n_list);
    if ((s = shard_check(d, s, &who, err)))
        goto done;
    for (int32_t k = 0; k < mine->n_tunes; k++) {
        send[2 * k] = pos[mine->src[k]];
        send[2 * k + 1] = mine->start[k + 1] - mine->start[k];
    }
    if ((s = dist_gather_i64(d, send, 2 * (int64_t)mine->n_tunes, &got, counts, err)))
        goto done;
    for (int r = 0, j = 0; r < R; r++)
        for (int64_t k = 0; k < counts[r] / 2; k++, j++) {
            int64_t p = got[2 * j];
            if (p < 0 || p >= n_list) {
                s = reel_fail(err, REEL_EARG, "rank %d sent tune %lld of %d", r, (long long)p,
                              n_list);
                goto done;
            }
            rows[p] = got[2 * j + 1];
            owner[p] = r;
            lk[p] = (int32_t)k;
        }
    for (int32_t p = 0; p < n_list; p++)
        kept += rows[p] > 0;
    all->start = malloc((size_t)(kept + 1) * sizeof *all->start);
    *local = malloc((size_t)(kept ? kept : 1) * sizeof **local);
    *owner_of = malloc((size_t)(kept ? kept : 1) * sizeof **owner_of);
    if (!all->start || !*local || !*owner_of) {
        s = reel_fail(err, REEL_ENOMEM, "out of memory indexing %d tunes", kept);
        goto done;
    }
    all->enc = mine->enc;
    all->width = mine->width;
    all->classes = mine->classes;
    for (int32_t p = 0; p < n_list; p++) {
        if (rows[p] <= 0)
            continue;
        (*local)[all->n_tunes] = owner[p] == me ? lk[p] : -1;
        (*owner_of)[all->n_tunes] = owner[p];
        all->start[all->n_tunes++] = acc;
        acc += rows[p];
        all->positions += rows[p] - 1;
    }
    all->start[all->n_tunes] = acc;
    all->rows = acc;
done:
    if (s) {
        data_free(all);
        free(*local);
        free(*owner_of);
        *local = NULL;
        *owner_of = NULL;
    }
    free(send);
    free(got);
    free(counts);
    free(rows);
    free(owner);
    free(lk);
    return s;
}

ReelStatus shard_sum_stats(Dist *d, EncStats *st, ReelError *err)
{
    double v[6] = {(double)st->notes, (double)st->shifted, (double)st->folded,
                   (double)st->dropped, (double)st->unknown, (double)st->resized};
    ReelStatus s = dist_sum_f64(d, v, 6, err);
    if (s)
        return s;
    st->notes = (long)v[0];
    st->shifted = (long)v[1];
    st->folded = (long)v[2];
    st->dropped = (long)v[3];
    st->unknown = (long)v[4];
    st->resized = (long)v[5];
    return REEL_OK;
}
