/* dist.h — data-parallel training over several processes ("ranks"): the
 * one adapter to MPI.  dist.c is the only file that includes mpi.h; nothing
 * in this header needs it.
 *
 * Built with MPI (compiled with -DREEL_MPI, `pkg-config ompi-c`), a process
 * started by a launcher (mpirun, srun) joins the job in dist_init.  Built
 * without MPI, or started on its own, it is rank 0 of 1 and every collective
 * below is a no-op on its own data, so callers need no second code path.
 *
 * Collectives run over MPI_COMM_WORLD with MPI_ERRORS_RETURN: a failure is
 * a ReelStatus, not an abort.  Each one is started non-blocking and polled
 * (spinning briefly, then sleeping 50 us between polls, which leaves the CPU
 * to ranks that share a core), so a waiting rank can notice:
 *   - a rank on the same machine has died (its pid, learnt in dist_init, is
 *     gone or a zombie; looked at 4 times a second);
 *   - the stop flag (dist_watch) was raised and the others do not answer
 *     within DIST_STOP_GRACE seconds (mpirun sends SIGTERM to every rank
 *     when one dies elsewhere, and SIGKILL odls_base_sigkill_timeout
 *     seconds later: 1 by default, docs/CLUSTER.md);
 *   - no answer within the timeout (a rank hangs, a node is gone).
 * After such a failure the Dist is broken: dist_finish leaves out
 * MPI_Finalize (it would wait for the others), and the front end exits
 * non-zero, which makes the launcher end the job.  A rank that fails alone
 * while the others wait for it ends the job with dist_abort.
 *
 * Nothing here prints or exits, except dist_abort (front ends only).
 * Owned by one thread: the one that called dist_init (MPI_THREAD_FUNNELED).
 */
#ifndef REEL_DIST_H
#define REEL_DIST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DIST_STOP_GRACE 5.0   /* seconds a stopped rank waits for the others */

typedef struct Dist Dist;

/* True when this reel was built with MPI. */
bool dist_built_with_mpi(void);

/* The MPI library ("Open MPI v4.1.4, ..."), or a line saying there is none.
 * Static string. */
const char *dist_library(void);

/* The number of ranks a launcher (mpirun, srun, ...) says this process is
 * one of, from its environment (OMPI_COMM_WORLD_SIZE, PMI_SIZE; PMIX_RANK
 * without a size gives 2, "more than one"); 0 when no launcher started it. */
int dist_launched_size(void);

/* Join the job when a launcher started this process (MPI_Init_thread), else
 * make a one-rank Dist.  REEL_EUNSUPPORTED when launched as one of several
 * ranks by a reel built without MPI (running the same job N times would
 * have every copy write the same files). */
ReelStatus dist_init(Dist **out, int *argc, char ***argv, ReelError *err);

/* End MPI (MPI_Finalize when this process joined a job) and free d.
 * Accepts NULL.  Every rank must call it. */
void dist_finish(Dist *d);

/* End every rank of the job now with code (MPI_Abort); for a front end
 * after a failure that left other ranks waiting.  Does not return. */
_Noreturn void dist_abort(Dist *d, int code);

int dist_rank(const Dist *d);          /* 0 for NULL */
int dist_size(const Dist *d);          /* 1 for NULL */
bool dist_broken(const Dist *d);       /* a collective failed (see above) */

/* While a collective waits: watch *stop (may be NULL), and fail after
 * timeout seconds without an answer (0: wait as long as it takes). */
void dist_watch(Dist *d, atomic_int *stop, double timeout);

/* Sum x (n values) over every rank, in place; every rank gets the same sum. */
ReelStatus dist_sum_f32(Dist *d, float *x, size_t n, ReelError *err);
ReelStatus dist_sum_f64(Dist *d, double *x, size_t n, ReelError *err);

/* Every rank's n values, concatenated in rank order, into *all (owned by
 * the caller, free); counts (dist_size entries, caller's) gets each rank's
 * n.  n may differ between ranks and be 0. */
ReelStatus dist_gather_i64(Dist *d, const int64_t *mine, int64_t n, int64_t **all,
                           int64_t *counts, ReelError *err);
ReelStatus dist_gather_bytes(Dist *d, const char *mine, int64_t n, char **all, int64_t *counts,
                             ReelError *err);

/* Bytes from every rank to every rank: send holds, in rank order, the
 * send_counts[r] bytes for rank r; recv gets, in rank order, the
 * recv_counts[r] bytes from rank r.  Every rank must know what it will
 * receive (the counts match the senders').  Counts have dist_size entries. */
ReelStatus dist_exchange(Dist *d, const void *send, const int64_t *send_counts, void *recv,
                         const int64_t *recv_counts, ReelError *err);

/* Where the time of the sums went, since dist_init.  The float sums are
 * the gradient block (and batch-norm buffers) and are counted apart: when
 * the caller sums a few doubles first in each step (train.c does), the
 * waiting for the slowest rank falls in that small sum and the float sums
 * measure the transfer. */
typedef struct {
    int64_t sums;          /* dist_sum_* calls */
    int64_t float_sums;    /* of them, dist_sum_f32 */
    double bytes;          /* summed, per rank */
    double sum_seconds;    /* in dist_sum_* */
    double float_seconds;  /* of it, in dist_sum_f32 */
} DistStats;
void dist_stats(const Dist *d, DistStats *out);

#endif
