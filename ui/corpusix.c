/* corpusix.c — the originality index built in the background (see
 * corpusix.h). */
#include "corpusix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"

void cix_init(CorpusIndex *c, int wake_fd)
{
    memset(c, 0, sizeof *c);
    c->wake_fd = wake_fd;
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* The paths of a corpus description into a list (owned by buf, or by the
 * static relocation slots: folders recorded on another machine are looked
 * for under $REEL_CORPUS). */
static int split_paths(char *buf, const char **paths, int max)
{
    static char moved[16][1024];
    char *part = strstr(buf, " (part ");
    int n = 0;
    if (part)
        *part = '\0';
    if (exists(buf)) {
        paths[0] = buf;
        return 1;
    }
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ", &save); tok && n < max && n < 16;
         tok = strtok_r(NULL, " ", &save)) {
        if (corpus_relocate(tok, moved[n], sizeof moved[n]))
            paths[n] = moved[n], n++;
    }
    return n;
}

static void *job_main(void *arg)
{
    CorpusIndex *c = arg;
    char buf[1024];
    const char *paths[16];
    int n;
    Corpus corpus;
    ReelError err;
    char b = 1;
    snprintf(buf, sizeof buf, "%s", c->job_corpus);
    n = split_paths(buf, paths, 16);
    corpus_init(&corpus);
    if (n == 0) {
        snprintf(c->job_err, sizeof c->job_err, "the model's corpus is not here");
    } else if (corpus_load(&corpus, paths, n, NULL, &err)) {
        snprintf(c->job_err, sizeof c->job_err, "%.280s", err.msg);
    } else if (origin_build(&c->job_ix, corpus.tunes, corpus.n_tunes, &err)) {
        snprintf(c->job_err, sizeof c->job_err, "%.280s", err.msg);
    }
    corpus_free(&corpus);
    atomic_store(&c->done, 1);
    if (c->wake_fd >= 0) {
        ssize_t r = write(c->wake_fd, &b, 1);
        (void)r;
    }
    return NULL;
}

static void start(CorpusIndex *c, const char *desc)
{
    snprintf(c->job_corpus, sizeof c->job_corpus, "%s", desc);
    c->job_ix = NULL;
    c->job_err[0] = '\0';
    atomic_store(&c->done, 0);
    if (pthread_create(&c->th, NULL, job_main, c) != 0) {
        snprintf(c->why, sizeof c->why, "cannot start a thread");
        return;
    }
    c->running = true;
}

void cix_request(CorpusIndex *c, const char *desc)
{
    if (!desc || !*desc) {
        c->why[0] = '\0';
        snprintf(c->why, sizeof c->why, "the model does not say what it was trained on");
        return;
    }
    if (c->running) {
        if (strcmp(desc, c->job_corpus))
            snprintf(c->queued, sizeof c->queued, "%s", desc);
        else
            c->queued[0] = '\0';
        return;
    }
    if (c->ix && !strcmp(desc, c->corpus))
        return;
    start(c, desc);
}

bool cix_poll(CorpusIndex *c)
{
    if (!c->running || !atomic_load(&c->done))
        return false;
    pthread_join(c->th, NULL);
    c->running = false;
    if (c->queued[0]) {
        /* a newer model came meanwhile: this result is not wanted */
        char next[1024];
        origin_free(c->job_ix);
        c->job_ix = NULL;
        snprintf(next, sizeof next, "%s", c->queued);
        c->queued[0] = '\0';
        if (c->ix && !strcmp(next, c->corpus))
            return true;
        start(c, next);
        return true;
    }
    origin_free(c->ix);
    c->ix = c->job_ix;
    c->job_ix = NULL;
    snprintf(c->corpus, sizeof c->corpus, "%s", c->job_corpus);
    snprintf(c->why, sizeof c->why, "%s", c->ix ? "" : c->job_err);
    return true;
}

bool cix_busy(const CorpusIndex *c)
{
    return c->running;
}

void cix_free(CorpusIndex *c)
{
    if (c->running) {
        pthread_join(c->th, NULL);
        c->running = false;
        origin_free(c->job_ix);
    }
    origin_free(c->ix);
    memset(c, 0, sizeof *c);
}
