/* dist.c — see dist.h.  The only file that includes mpi.h. */
#include "clock.h"
#include "dist.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef REEL_MPI
#include <mpi.h>
#endif

#define SPIN_POLLS 2000       /* polls before sleeping between them */
#define POLL_SLEEP_NS 50000L
#define PEER_CHECK_SEC 0.25   /* how often a waiting rank looks at its neighbours */

struct Dist {
    int rank, size;
    bool joined;              /* MPI_Init ran here: MPI_Finalize at the end */
    bool broken;
    atomic_int *stop;
    double timeout;
    int *peer_pid;            /* (size) pid of each rank on this machine; 0 elsewhere and self */
    DistStats st;
};

static int env_int(const char *name)
{
    const char *v = getenv(name);
    char *end;
    long x;
    if (!v || !*v)
        return -1;
    x = strtol(v, &end, 10);
    return *end || x < 0 || x > 1000000 ? -1 : (int)x;
}

int dist_launched_size(void)
{
    int n = env_int("OMPI_COMM_WORLD_SIZE");
    if (n < 0)
        n = env_int("PMI_SIZE");
    if (n < 0 && env_int("PMIX_RANK") >= 0)
        n = 2;
    return n < 0 ? 0 : n;
}

bool dist_built_with_mpi(void)
{
#ifdef REEL_MPI
    return true;
#else
    return false;
#endif
}

const char *dist_library(void)
{
#ifdef REEL_MPI
    static char lib[256];
    if (!lib[0]) {
        char v[MPI_MAX_LIBRARY_VERSION_STRING];
        int len = 0;
        char *nl;
        if (MPI_Get_library_version(v, &len) != MPI_SUCCESS)
            snprintf(v, sizeof v, "MPI %d.%d", MPI_VERSION, MPI_SUBVERSION);
        if ((nl = strchr(v, '\n')) != NULL)
            *nl = '\0';
        snprintf(lib, sizeof lib, "%.200s", v);
    }
    return lib;
#else
    return "none (built without MPI: install libopenmpi-dev, or run make deps, and rebuild)";
#endif
}

int dist_rank(const Dist *d)
{
    return d ? d->rank : 0;
}

int dist_size(const Dist *d)
{
    return d ? d->size : 1;
}

bool dist_broken(const Dist *d)
{
    return d && d->broken;
}

void dist_watch(Dist *d, atomic_int *stop, double timeout)
{
    if (!d)
        return;
    d->stop = stop;
    d->timeout = timeout > 0 ? timeout : 0;
}

void dist_stats(const Dist *d, DistStats *out)
{
    memset(out, 0, sizeof *out);
    if (d)
        *out = d->st;
}

#ifdef REEL_MPI
static ReelStatus mpi_fail(Dist *d, int rc, const char *what, ReelError *err)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    d->broken = true;
    if (MPI_Error_string(rc, s, &len) != MPI_SUCCESS)
        snprintf(s, sizeof s, "error %d", rc);
    return reel_fail(err, REEL_EIO, "MPI %s failed: %s", what, s);
}

/* A process on this machine that has ended (gone, or a zombie). */
static bool pid_gone(int pid)
{
    char path[64], buf[256], *p;
    FILE *f;
    size_t n;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return true;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (!(f = fopen(path, "r")))
        return false;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* The rank of a neighbour on this machine that has died, or -1. */
static int dead_peer(const Dist *d)
{
    for (int r = 0; d->peer_pid && r < d->size; r++)
        if (d->peer_pid[r] > 0 && pid_gone(d->peer_pid[r]))
            return r;
    return -1;
}

/* Poll a started collective to its end, watching the stop flag, the
 * neighbours on this machine and the timeout (dist.h). */
static ReelStatus wait_for(Dist *d, MPI_Request *rq, const char *what, ReelError *err)
{
    double t0 = now_sec(), stopped_at = 0, checked = t0;
    long polls = 0;
    for (;;) {
        int done = 0, rc = MPI_Test(rq, &done, MPI_STATUS_IGNORE);
        double now;
        if (rc != MPI_SUCCESS)
            return mpi_fail(d, rc, what, err);
        if (done)
            return REEL_OK;
        if (++polls < SPIN_POLLS)
            continue;
        now = now_sec();
        if (now - checked >= PEER_CHECK_SEC) {
            int r = dead_peer(d);
            checked = now;
            if (r >= 0) {
                d->broken = true;
                return reel_fail(err, REEL_EIO, "rank %d (pid %d, on this machine) has died; "
                                                "the job cannot go on", r, d->peer_pid[r]);
            }
        }
        if (d->stop && atomic_load(d->stop) && stopped_at == 0)
            stopped_at = now;
        if (stopped_at > 0 && now - stopped_at > DIST_STOP_GRACE) {
            d->broken = true;
            return reel_fail(err, REEL_EIO,
                             "told to stop while waiting for the other ranks, and they did not "
                             "answer within %.1f s: a rank has died or the job is being ended",
                             DIST_STOP_GRACE);
        }
        if (d->timeout > 0 && now - t0 > d->timeout) {
            d->broken = true;
            return reel_fail(err, REEL_EIO,
                             "no answer from the other ranks in %.0f s (%s): a rank has died or "
                             "hangs (--mpi-timeout)", d->timeout, what);
        }
        {
            struct timespec ts = {0, POLL_SLEEP_NS};
            nanosleep(&ts, NULL);
        }
    }
}

static ReelStatus sum_any(Dist *d, void *x, size_t n, MPI_Datatype type, size_t elem,
                          ReelError *err)
{
    MPI_Request rq;
    double t0, t1;
    bool grad = type == MPI_FLOAT;
    int rc;
    ReelStatus s;
    if (d->broken)
        return reel_fail(err, REEL_EIO, "an earlier MPI call failed");
    if (n > (size_t)0x7fffffff)
        return reel_fail(err, REEL_EARG, "dist: %zu values are too many for one sum", n);
    t0 = now_sec();
    rc = MPI_Iallreduce(MPI_IN_PLACE, x, (int)n, type, MPI_SUM, MPI_COMM_WORLD, &rq);
    if (rc != MPI_SUCCESS)
        return mpi_fail(d, rc, "allreduce", err);
    if ((s = wait_for(d, &rq, "allreduce", err)))
        return s;
    t1 = now_sec();
    d->st.sums++;
    d->st.bytes += (double)n * (double)elem;
    d->st.sum_seconds += t1 - t0;
    if (grad) {
        d->st.float_sums++;
        d->st.float_seconds += t1 - t0;
    }
    return REEL_OK;
}

static ReelStatus gather_any(Dist *d, const void *mine, int64_t n, MPI_Datatype type, size_t elem,
                             void **all, int64_t *counts, ReelError *err)
{
    int *cnt = NULL, *disp = NULL;
    long long mine_n = n, *ns = NULL, total = 0;
    MPI_Request rq;
    char *buf = NULL;
    int rc;
    ReelStatus s = REEL_OK;
    *all = NULL;
    if (d->broken)
        return reel_fail(err, REEL_EIO, "an earlier MPI call failed");
    ns = malloc((size_t)d->size * sizeof *ns);
    cnt = malloc((size_t)d->size * sizeof *cnt);
    disp = malloc((size_t)d->size * sizeof *disp);
    if (!ns || !cnt || !disp) {
        s = reel_fail(err, REEL_ENOMEM, "out of memory gathering from %d ranks", d->size);
        goto done;
    }
    rc = MPI_Iallgather(&mine_n, 1, MPI_LONG_LONG, ns, 1, MPI_LONG_LONG, MPI_COMM_WORLD, &rq);
    if (rc != MPI_SUCCESS) {
        s = mpi_fail(d, rc, "allgather", err);
        goto done;
    }
    if ((s = wait_for(d, &rq, "allgather", err)))
        goto done;
    for (int r = 0; r < d->size; r++) {
        if (total + ns[r] > 0x7fffffff) {
            s = reel_fail(err, REEL_EARG, "dist: more than 2^31 values to gather");
            goto done;
        }
        disp[r] = (int)total;
        cnt[r] = (int)ns[r];
        counts[r] = ns[r];
        total += ns[r];
    }
    if (!(buf = malloc((size_t)(total ? total : 1) * elem))) {
        s = reel_fail(err, REEL_ENOMEM, "out of memory gathering %lld values", total);
        goto done;
    }
    rc = MPI_Iallgatherv(mine, (int)n, type, buf, cnt, disp, type, MPI_COMM_WORLD, &rq);
    if (rc != MPI_SUCCESS) {
        s = mpi_fail(d, rc, "allgatherv", err);
        goto done;
    }
    if ((s = wait_for(d, &rq, "allgatherv", err)))
        goto done;
    *all = buf;
    buf = NULL;
done:
    free(buf);
    free(ns);
    free(cnt);
    free(disp);
    return s;
}
#endif

ReelStatus dist_init(Dist **out, int *argc, char ***argv, ReelError *err)
{
    Dist *d = calloc(1, sizeof *d);
    int launched = dist_launched_size();
    *out = NULL;
    if (!d)
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    d->size = 1;
#ifdef REEL_MPI
    if (launched > 0) {
        int provided = 0, rc;
        rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS) {
            free(d);
            return reel_fail(err, REEL_EIO, "MPI_Init failed (error %d)", rc);
        }
        d->joined = true;
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
        MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &d->size);
        if (d->size > 1) {
            /* Which ranks share this machine: their pids can be watched. */
            char host[256] = "";
            uint64_t h = 1469598103934665603ull;
            int64_t mine[2], *all = NULL, *counts = malloc((size_t)d->size * sizeof *counts);
            void *p = NULL;
            gethostname(host, sizeof host - 1);
            for (const char *c = host; *c; c++)
                h = (h ^ (unsigned char)*c) * 1099511628211ull;
            mine[0] = (int64_t)(h >> 1);
            mine[1] = (int64_t)getpid();
            d->peer_pid = calloc((size_t)d->size, sizeof *d->peer_pid);
            if (counts && d->peer_pid &&
                gather_any(d, mine, 2, MPI_INT64_T, sizeof *mine, &p, counts, err) == REEL_OK) {
                all = p;
                for (int r = 0; r < d->size; r++)
                    if (r != d->rank && counts[r] == 2 && all[2 * r] == mine[0])
                        d->peer_pid[r] = (int)all[2 * r + 1];
            }
            free(all);
            free(counts);
            if (d->broken) {
                ReelStatus s = err ? err->status : REEL_EIO;
                free(d->peer_pid);
                free(d);
                return s;
            }
        }
    }
#else
    (void)argc;
    (void)argv;
    if (launched > 1) {
        free(d);
        return reel_fail(err, REEL_EUNSUPPORTED,
                         "started as one of %d ranks by a launcher (mpirun, srun), but this reel "
                         "was built without MPI: install libopenmpi-dev (make deps) and rebuild; "
                         "reel --version says whether MPI is in", launched);
    }
#endif
    {
        /* srun without a PMI that Open MPI can use starts every task as a
         * rank 0 of 1: they would all write the same files. */
        int tasks = env_int("SLURM_STEP_NUM_TASKS");
        if (tasks > 1 && d->size == 1 && env_int("SLURM_PROCID") >= 0) {
            int id = env_int("SLURM_PROCID");
            dist_finish(d);
            return reel_fail(err, REEL_EUNSUPPORTED,
                             "started by srun as task %d of %d, but MPI sees one process: run "
                             "srun --mpi=pmix (srun --mpi=list shows what this Slurm has), or "
                             "mpirun inside the allocation (docs/CLUSTER.md)", id, tasks);
        }
    }
    *out = d;
    return REEL_OK;
}

void dist_finish(Dist *d)
{
    if (!d)
        return;
#ifdef REEL_MPI
    if (d->joined && !d->broken)
        MPI_Finalize();
#endif
    free(d->peer_pid);
    free(d);
}

_Noreturn void dist_abort(Dist *d, int code)
{
#ifdef REEL_MPI
    if (d && d->joined) {
        fflush(NULL);
        MPI_Abort(MPI_COMM_WORLD, code);
    }
#else
    (void)d;
#endif
    fflush(NULL);
    _Exit(code);
}

ReelStatus dist_sum_f32(Dist *d, float *x, size_t n, ReelError *err)
{
#ifdef REEL_MPI
    if (d && d->size > 1)
        return sum_any(d, x, n, MPI_FLOAT, sizeof *x, err);
#endif
    (void)d;
    (void)x;
    (void)n;
    (void)err;
    return REEL_OK;
}

ReelStatus dist_sum_f64(Dist *d, double *x, size_t n, ReelError *err)
{
#ifdef REEL_MPI
    if (d && d->size > 1)
        return sum_any(d, x, n, MPI_DOUBLE, sizeof *x, err);
#endif
    (void)d;
    (void)x;
    (void)n;
    (void)err;
    return REEL_OK;
}

/* One rank: a copy of its own values. */
static ReelStatus gather_self(const void *mine, int64_t n, size_t elem, void **all,
                              int64_t *counts, ReelError *err)
{
    void *buf = malloc((size_t)(n > 0 ? n : 1) * elem);
    *all = NULL;
    if (!buf)
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    if (n > 0)
        memcpy(buf, mine, (size_t)n * elem);
    counts[0] = n;
    *all = buf;
    return REEL_OK;
}

ReelStatus dist_gather_i64(Dist *d, const int64_t *mine, int64_t n, int64_t **all,
                           int64_t *counts, ReelError *err)
{
    void *p = NULL;
    ReelStatus s;
#ifdef REEL_MPI
    if (d && d->size > 1)
        s = gather_any(d, mine, n, MPI_INT64_T, sizeof *mine, &p, counts, err);
    else
#endif
        s = gather_self(mine, n, sizeof *mine, &p, counts, err);
    (void)d;
    *all = p;
    return s;
}

ReelStatus dist_gather_bytes(Dist *d, const char *mine, int64_t n, char **all, int64_t *counts,
                             ReelError *err)
{
    void *p = NULL;
    ReelStatus s;
#ifdef REEL_MPI
    if (d && d->size > 1)
        s = gather_any(d, mine, n, MPI_CHAR, 1, &p, counts, err);
    else
#endif
        s = gather_self(mine, n, 1, &p, counts, err);
    (void)d;
    *all = p;
    return s;
}

ReelStatus dist_exchange(Dist *d, const void *send, const int64_t *send_counts, void *recv,
                         const int64_t *recv_counts, ReelError *err)
{
#ifdef REEL_MPI
    if (d && d->size > 1) {
        int *c = malloc(4 * (size_t)d->size * sizeof *c), rc;
        long long so = 0, ro = 0;
        MPI_Request rq;
        ReelStatus s = REEL_OK;
        if (d->broken)
            s = reel_fail(err, REEL_EIO, "an earlier MPI call failed");
        else if (!c)
            s = reel_fail(err, REEL_ENOMEM, "out of memory");
        for (int r = 0; !s && r < d->size; r++) {
            if (so + send_counts[r] > 0x7fffffff || ro + recv_counts[r] > 0x7fffffff) {
                s = reel_fail(err, REEL_EARG, "dist: more than 2 GiB to exchange");
                break;
            }
            c[r] = (int)send_counts[r];
            c[d->size + r] = (int)so;
            c[2 * d->size + r] = (int)recv_counts[r];
            c[3 * d->size + r] = (int)ro;
            so += send_counts[r];
            ro += recv_counts[r];
        }
        if (!s) {
            rc = MPI_Ialltoallv(send, c, c + d->size, MPI_BYTE, recv, c + 2 * d->size,
                                c + 3 * d->size, MPI_BYTE, MPI_COMM_WORLD, &rq);
            s = rc != MPI_SUCCESS ? mpi_fail(d, rc, "alltoallv", err)
                                  : wait_for(d, &rq, "alltoallv", err);
        }
        free(c);
        return s;
    }
#endif
    (void)d;
    (void)err;
    if (send_counts[0] > 0)
        memcpy(recv, send, (size_t)(send_counts[0] < recv_counts[0] ? send_counts[0]
                                                                      : recv_counts[0]));
    return REEL_OK;
}
