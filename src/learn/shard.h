/* shard.h — what a training job (job.h) does differently on several ranks
 * (mpirun -np N reel train ...): each rank reads its share of the corpus,
 * and the ranks tell each other enough to agree on the tunes of the whole
 * job, in the order one process would load them, the validation split, the
 * vocabulary, and the lengths the epochs are cut on (train.h, TrainShard).
 *
 * Every function is a collective: every rank calls it, in the same order.
 * They print nothing; errors come back in err.
 */
#ifndef REEL_SHARD_H
#define REEL_SHARD_H

#include <stdint.h>

#include "corpus.h"
#include "data.h"
#include "dist.h"
#include "vocab.h"

/* Where the tunes of the whole job are: tune g (in the single-process
 * order) is tune lidx[g] of rank owner[g]'s Corpus. */
typedef struct {
    int32_t n;              /* tunes of the job (after max_tunes) */
    int32_t *owner, *lidx;  /* (n) owned */
    long skips;             /* files skipped, over every rank */
    long files_loaded;
} ShardCorpus;

/* Load this rank's share of paths into c (files i % ranks == rank of the
 * sorted list), and learn where every tune is.  max_tunes > 0 keeps the
 * first max_tunes of the job (the tunes after them are freed).  Fails on
 * every rank when any rank failed (REEL_EIO naming it) or when no rank
 * loaded a tune (REEL_EEMPTY; rank 0's err says why). */
ReelStatus shard_corpus_load(Dist *d, ShardCorpus *sc, Corpus *c, const char *const *paths,
                             int n_paths, const CorpusOpts *opts, long max_tunes, ReelError *err);
void shard_corpus_free(ShardCorpus *sc);

/* Every rank's token counts (v, not finished) added up: *v is replaced by
 * a vocabulary with the counts of the whole job, not finished. */
ReelStatus shard_vocab_merge(Dist *d, Vocab **v, ReelError *err);

/* The lengths of every training tune of the job (all: n_tunes, start[],
 * rows, positions; no rows of data), in the order of the training list,
 * *local[g] = the index in mine of global tune g, or -1, and *owner[g] the
 * rank that holds it (both owned by the caller).  pos[i] is the
 * place in the job's training list of the tune data_build got as which[i]
 * (mine->src maps back to i); n_list is that list's length. */
ReelStatus shard_index(Dist *d, const Dataset *mine, const int32_t *pos, int32_t n_list,
                       Dataset *all, int32_t **local, int32_t **owner_of, ReelError *err);

/* Sum encoding figures over the ranks. */
ReelStatus shard_sum_stats(Dist *d, EncStats *st, ReelError *err);

/* Every rank says whether it failed; REEL_OK when none did.  A rank that
 * failed keeps its status and message; the others get one naming it.
 * *who: the failing rank when only one did, -1 when several did (or none),
 * SHARD_UNKNOWN when the ranks could not tell each other (MPI failed). */
#define SHARD_UNKNOWN (-2)
ReelStatus shard_check(Dist *d, ReelStatus mine, int *who, ReelError *err);

#endif
