/* corpusix.h — the training corpus of the studio's model, indexed for the
 * originality figure (origin.h), built in a background thread.
 *
 * Loading a corpus takes a second or two (Ryan's collection: 1.3 s, then
 * 0.1 s to index), so the studio asks for the index when a model arrives
 * and shows "indexing" until it is there.  One job runs at a time; asking
 * for another corpus while one is being read queues it (the newest wins).
 * The index is read-only once built and belongs to the UI thread.
 */
#ifndef REEL_UI_CORPUSIX_H
#define REEL_UI_CORPUSIX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "origin.h"

typedef struct {
    /* the index in use (UI thread) */
    OriginIndex *ix;
    char corpus[1024];       /* what it indexes ("" none) */
    char why[300];           /* why there is none, or "" */
    /* the job */
    pthread_t th;
    bool running;
    atomic_int done;
    char job_corpus[1024];
    OriginIndex *job_ix;     /* the thread's result */
    char job_err[300];
    int wake_fd;
    char queued[1024];       /* next corpus to index ("" none) */
} CorpusIndex;

void cix_init(CorpusIndex *c, int wake_fd);
void cix_free(CorpusIndex *c);   /* waits for a running job */

/* Index the corpus described by `desc` (a model's TrainSettings.corpus:
 * paths separated by blanks, maybe followed by " (part NAME)"; or a
 * folder).  Nothing happens when it is indexed already. */
void cix_request(CorpusIndex *c, const char *desc);
/* A job finished: take its result.  True when something changed. */
bool cix_poll(CorpusIndex *c);
bool cix_busy(const CorpusIndex *c);

#endif
