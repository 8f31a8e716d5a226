/* job.c — see job.h. */
#include "job.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"

/* The split's shuffle: its own stream of the seed (the network's init and
 * the dropout masks have theirs). */
#define JOB_SPLIT_SEED 0x5EED5EED5EED5EEDull

void job_init(TrainJob *j, const JobConfig *cfg, Model *m, Dist *dist)
{
    memset(j, 0, sizeof *j);
    j->cfg = *cfg;
    j->m = m;
    j->dist = dist;
    j->failed_rank = -1;
    j->lock_fd = -1;
    corpus_init(&j->corpus);
}

void job_free(TrainJob *j)
{
    data_free(&j->train);
    data_free(&j->val);
    data_free(&j->all);
    shard_corpus_free(&j->sc);
    free(j->local);
    free(j->owner);
    free(j->tr_which);
    free(j->va_which);
    free(j->te_which);
    free(j->tr_pos);
    free(j->order);
    corpus_free(&j->corpus);
    file_unlock(j->cfg.out, j->lock_fd);
    memset(j, 0, sizeof *j);
    j->lock_fd = -1;
    j->failed_rank = -1;
}

bool job_sharded(const TrainJob *j)
{
    return dist_size(j->dist) > 1;
}

void job_path_beside(const char *model, const char *suffix, char *out, size_t n)
{
    size_t len;
    snprintf(out, n, "%s", model);
    len = strlen(out);
    if (len > 5 && !strcmp(out + len - 5, ".reel"))
        out[len - 5] = '\0';
    strncat(out, suffix, n - strlen(out) - 1);
}

JobResume job_resume(TrainJob *j, ReelError *err)
{
    Model *m = j->m;
    JobConfig *c = &j->cfg;
    JobResume why = JOB_RESUME_OK;
    if (model_load(m, c->out, 0, 0, err))
        why = JOB_RESUME_UNREADABLE;
    else if (!m->optim.state) {
        why = JOB_RESUME_NO_STATE;
        reel_fail(err, REEL_EARG, "%s holds no optimizer state (saved for sharing)", c->out);
    } else {
        if (c->resume_epochs > 0 && (!c->resume_raise_only || c->resume_epochs > m->train.epochs))
            m->train.epochs = c->resume_epochs;
        if (m->progress.epoch >= m->train.epochs) {
            why = JOB_RESUME_FINISHED;
            reel_fail(err, REEL_EARG, "%s has finished its %d epochs", c->out, m->train.epochs);
        }
    }
    if (why) {
        model_free(m);
        model_init(m);
        return why;
    }
    c->enc = m->enc;
    c->train = m->train;
    j->resumed = true;
    return JOB_RESUME_OK;
}

/* A step of several ranks: agree on the outcome, and remember whose
 * failure it was. */
static ReelStatus job_agree(TrainJob *j, ReelStatus mine, ReelError *err)
{
    if (!job_sharded(j))
        return mine;
    return shard_check(j->dist, mine, &j->failed_rank, err);
}

ReelStatus job_load(TrainJob *j, ReelError *err)
{
    const JobConfig *c = &j->cfg;
    Corpus *cp = &j->corpus;
    ReelStatus s = REEL_OK;
    /* The model and its log can be written: found out now, not after the
     * training (rank 0 writes them). */
    if (dist_rank(j->dist) == 0 && c->out) {
        s = file_can_write(c->out, err);
        if (!s && c->log_path)
            s = file_can_write(c->log_path, err);
        /* one training writes a model at a time (its log too) */
        if (!s && j->lock_fd < 0)
            s = file_lock(c->out, &j->lock_fd, err);
    }
    if ((s = job_agree(j, s, err)))
        return s;
    if (job_sharded(j)) {
        s = shard_corpus_load(j->dist, &j->sc, cp, c->paths, c->n_paths, &c->corpus,
                              c->max_tunes, err);
        if (s)
            return s;
        j->n_tunes = j->sc.n;
        j->skipped = j->sc.skips;
        j->files_loaded = j->sc.files_loaded;
    } else {
        if ((s = corpus_load(cp, c->paths, c->n_paths, &c->corpus, err)))
            return s;
        if (c->max_tunes > 0 && cp->n_tunes > c->max_tunes) {
            for (int32_t i = (int32_t)c->max_tunes; i < cp->n_tunes; i++)
                tune_free(&cp->tunes[i]);
            cp->n_tunes = (int32_t)c->max_tunes;
        }
        j->n_tunes = cp->n_tunes;
        j->skipped = cp->n_skips;
        j->files_loaded = cp->files_loaded;
    }
    for (int32_t i = 0; i < cp->n_tunes; i++)
        j->notes += cp->tunes[i].n_notes;
    return REEL_OK;
}

ReelStatus job_split(TrainJob *j, ReelError *err)
{
    const TrainSettings *ts = &j->cfg.train;
    int32_t n = j->n_tunes;
    size_t bytes = (size_t)(n + 1) * sizeof(int32_t);
    bool sharded = job_sharded(j);
    int me = dist_rank(j->dist);
    Rng split;

    j->order = malloc(bytes);
    j->tr_which = malloc(bytes);
    j->va_which = malloc(bytes);
    j->te_which = malloc(bytes);
    j->tr_pos = malloc(bytes);
    if (!j->order || !j->tr_which || !j->va_which || !j->te_which || !j->tr_pos)
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    for (int32_t i = 0; i < n; i++)
        j->order[i] = i;
    rng_seed(&split, ts->seed ^ JOB_SPLIT_SEED);
    rng_shuffle_i32(&split, j->order, n);
    j->n_val = (int32_t)floor(ts->val_split * n + 0.5);
    if (ts->val_split > 0 && j->n_val == 0 && n >= 2)
        j->n_val = 1;
    j->n_test = (int32_t)floor(ts->test_split * n + 0.5);
    if (ts->test_split > 0 && j->n_test == 0 && n - j->n_val >= 2)
        j->n_test = 1;
    j->n_train = n - j->n_val - j->n_test;
    if (j->n_train < 1)
        return reel_fail(err, REEL_EEMPTY,
                         "%d tune(s) is too few to hold %.0f%% out for validation%s", n,
                         ts->val_split * 100, j->n_test ? " and keep some aside for testing" : "");
    /* This process's tunes (indices into corpus), in the order of the job's
     * lists: validation first, then the test tunes (in none), then training. */
    for (int32_t i = 0; i < n; i++) {
        int32_t g = j->order[i], held = j->n_val + j->n_test;
        if (sharded && j->sc.owner[g] != me)
            continue;
        if (i < j->n_val) {
            j->va_which[j->n_va++] = sharded ? j->sc.lidx[g] : g;
        } else if (i < held) {
            j->te_which[j->n_te++] = sharded ? j->sc.lidx[g] : g;
        } else {
            j->tr_pos[j->n_tr] = i - held;
            j->tr_which[j->n_tr++] = sharded ? j->sc.lidx[g] : g;
        }
    }
    return REEL_OK;
}

/* Tokens: the vocabulary of the training tunes only (validation must not
 * leak in), of every rank. */
static ReelStatus job_vocab(TrainJob *j, ReelError *err)
{
    Model *m = j->m;
    ReelStatus s = REEL_OK;
    if (!(m->vocab = vocab_new()))
        s = reel_fail(err, REEL_ENOMEM, "out of memory");
    for (int32_t i = 0; !s && i < j->n_tr; i++)
        s = enc_tokens_count(&j->cfg.enc, &j->corpus.tunes[j->tr_which[i]], m->vocab, err);
    if (job_sharded(j) && (s = job_agree(j, s, err)) == REEL_OK)
        s = shard_vocab_merge(j->dist, &m->vocab, err);
    if (s)
        return s;
    vocab_prune(m->vocab, j->cfg.vocab_min);
    vocab_finish(m->vocab);
    return REEL_OK;
}

/* What the model says it was trained on: the paths and the part. */
static void job_describe(const JobConfig *c, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < c->n_paths && used + 2 < n; i++)
        used += (size_t)snprintf(out + used, n - used, "%s%s", i ? " " : "", c->paths[i]);
    if (c->corpus.quant.part && used + 2 < n)
        snprintf(out + used, n - used, " (part %s)", c->corpus.quant.part);
}

/* s's paths (blank-separated, a " (part NAME)" kept as it is), each made
 * absolute where it exists, into out. */
static void corpus_real(const char *s, char *out, size_t n)
{
    char buf[sizeof(((Model *)0)->train.corpus)], *part, *save = NULL;
    size_t used = 0;
    snprintf(buf, sizeof buf, "%s", s);
    out[0] = '\0';
    if ((part = strstr(buf, " (part ")) != NULL)
        *part++ = '\0';
    for (char *tok = strtok_r(buf, " ", &save); tok && used + 2 < n;
         tok = strtok_r(NULL, " ", &save)) {
        char real[PATH_MAX];
        used += (size_t)snprintf(out + used, n - used, "%s%s", used ? " " : "",
                                 realpath(tok, real) ? real : tok);
    }
    if (part && used + 2 < n)
        snprintf(out + used, n - used, " %s", part);
}

bool job_corpus_matches(const TrainJob *j, char *now, size_t n)
{
    char a[2048], b[2048];
    job_describe(&j->cfg, now, n);
    corpus_real(now, a, sizeof a);
    corpus_real(j->m->train.corpus, b, sizeof b);
    return !strcmp(a, b);
}

ReelStatus job_build(TrainJob *j, ReelError *err)
{
    Model *m = j->m;
    NetConfig nc = j->cfg.net;
    Rng init;
    ReelStatus s;
    if (j->resumed)
        return REEL_OK;
    m->enc = j->cfg.enc;
    if (m->enc.kind == ENC_TOKENS && (s = job_vocab(j, err)))
        return s;
    if ((s = model_net_for_encoding(&m->enc, m->vocab, &nc, err)) ||
        (s = net_config_check(&nc, err)) || (s = net_new(&m->nn, &nc, 0, 0, err)))
        return s;
    m->net = nc;
    rng_seed(&init, j->cfg.train.seed);
    net_init(m->nn, &init);
    m->train = j->cfg.train;
    job_describe(&j->cfg, m->train.corpus, sizeof m->train.corpus);
    return REEL_OK;
}

/* The pitches the model may sound (range.h): the corpus's, as encoded; over
 * every rank's share when sharded. */
static ReelStatus job_range(TrainJob *j, ReelError *err)
{
    Model *m = j->m;
    int64_t mine[2], *all = NULL, *counts;
    int ranks = dist_size(j->dist);
    ReelStatus s = range_of_tunes(&m->enc, m->vocab, j->corpus.tunes, j->corpus.n_tunes,
                                  &m->range, err);
    if (!job_sharded(j) || (s = job_agree(j, s, err)))
        return s;
    if (!(counts = calloc((size_t)ranks, sizeof *counts)))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    mine[0] = range_known(m->range) ? m->range.lo : 128;
    mine[1] = range_known(m->range) ? m->range.hi : -1;
    if (!(s = dist_gather_i64(j->dist, mine, 2, &all, counts, err))) {
        PitchRange r = {128, -1};
        for (int i = 0; i < ranks; i++) {
            r.lo = all[2 * i] < r.lo ? (int)all[2 * i] : r.lo;
            r.hi = all[2 * i + 1] > r.hi ? (int)all[2 * i + 1] : r.hi;
        }
        m->range = range_known(r) ? r : range_none();
    }
    free(all);
    free(counts);
    return s;
}

/* A --condition model's key spread: every tune's key, summed over ranks. */
static ReelStatus job_keys(TrainJob *j, ReelError *err)
{
    Model *m = j->m;
    double sum[KEYSPREAD_COUNTS];
    ReelStatus s;
    if (!(enc_form(&m->enc) && m->enc.cond))
        return REEL_OK;
    keyspread_of_tunes(j->corpus.tunes, j->corpus.n_tunes, &m->keys);
    if (!job_sharded(j))
        return REEL_OK;
    for (int k = 0; k < KEYSPREAD_COUNTS; k++)
        sum[k] = (double)m->keys.n[k];
    if ((s = dist_sum_f64(j->dist, sum, KEYSPREAD_COUNTS, err)))
        return s;
    for (int k = 0; k < KEYSPREAD_COUNTS; k++)
        m->keys.n[k] = (int64_t)sum[k];
    return REEL_OK;
}

ReelStatus job_data(TrainJob *j, ReelError *err)
{
    Model *m = j->m;
    const Tune *tunes = j->corpus.tunes;
    bool sharded = job_sharded(j);
    EncOpts held = m->enc;
    ReelStatus s;
    held.shifts = 0; /* transposition is for training; the held-out tunes stay as they are */
    if (sharded && m->enc.shifts)
        return reel_fail(err, REEL_EARG, "--transpose does not work across ranks yet");
    s = data_build(&j->train, tunes, j->tr_which, j->n_tr, &m->enc, m->vocab, err);
    if (!s)
        s = data_build(&j->val, tunes, j->va_which, j->n_va, &held, m->vocab, err);
    if (!s && enc_form(&m->enc) && m->enc.cond && !j->resumed) {
        /* Generation's default conditioning: the training tunes' commonest. */
        m->enc.cond_key = j->train.key_mode;
        m->enc.cond_meter = j->train.meter_mode;
    }
    if (sharded && (s = job_agree(j, s, err)) == REEL_OK)
        s = shard_index(j->dist, &j->train, j->tr_pos, j->n_train, &j->all, &j->local, &j->owner,
                        err);
    if (s)
        return s;
    j->st_train = j->train.st;
    j->st_val = j->val.st;
    if (sharded && ((s = shard_sum_stats(j->dist, &j->st_train, err)) ||
                    (s = shard_sum_stats(j->dist, &j->st_val, err)))) {
        j->alone = true;
        return s;
    }
    m->train.tunes_train = j->n_train;
    m->train.tunes_val = j->n_val;
    m->train.tunes_test = j->n_test;
    m->train.steps_train = (long)(sharded ? j->all.positions : j->train.positions);
    if ((s = job_range(j, err)) || (s = job_keys(j, err)))
        return s;
    corpus_free(&j->corpus); /* the encoded rows are all training needs */
    corpus_init(&j->corpus);
    return REEL_OK;
}

ReelStatus job_train(TrainJob *j, atomic_int *stop, TrainCallback cb, void *user,
                     ReelError *err)
{
    const JobConfig *c = &j->cfg;
    bool rank0 = dist_rank(j->dist) == 0;
    TrainRun run;
    memset(&run, 0, sizeof run);
    run.out_path = c->out;
    run.log_path = rank0 ? c->log_path : NULL;
    run.stop = stop;
    run.cb = rank0 ? cb : NULL;
    run.user = user;
    run.max_batches = c->max_batches;
    run.checkpoint_batches = c->checkpoint_batches;
    run.checkpoint_secs = c->checkpoint_secs;
    if (job_sharded(j)) {
        memset(&j->shard, 0, sizeof j->shard);
        j->shard.dist = j->dist;
        j->shard.all = &j->all;
        j->shard.local = j->local;
        j->shard.owner = j->owner;
        run.shard = &j->shard;
        dist_watch(j->dist, stop, c->mpi_timeout);
    }
    return train_run(j->m, &j->train, &j->val, &run, err);
}
