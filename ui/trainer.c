/* trainer.c — the training thread of the studio (see trainer.h). */
#include "files.h"
#include "clock.h"
#include "trainer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dist.h"
#include "job.h"
#include "vocab.h"

extern char **environ;

#define WAKE_BATCH_SEC 0.1   /* batch events wake the UI at most this often */
#define MPI_STOP_WAIT 60.0   /* seconds an MPI job may take to stop before it is ended */

void trainer_config_defaults(TrainerConfig *c)
{
    memset(c, 0, sizeof *c);
    c->enc = ENC_MELODY;
    c->hidden = 128;
    c->layers = 2;
    c->window = 64;
    c->batch = 32;
    c->epochs = 10;
    c->lr = 0.001f;
    c->optimizer = OPTIM_ADAM;
    c->val_split = 0.05f;
    c->seed = 1;
    c->ranks = 1;
}

const char *trainer_enc_name(const TrainerConfig *c)
{
    return c->lookback && c->enc == ENC_MELODY ? "melody-lookback" : enc_name(c->enc);
}

bool trainer_enc_parse(TrainerConfig *c, const char *name)
{
    EncKind k;
    if (!strcmp(name, "melody-lookback")) {
        c->enc = ENC_MELODY;
        c->lookback = true;
        return true;
    }
    if ((k = enc_parse(name)) == ENC_COUNT)
        return false;
    c->enc = k;
    c->lookback = false;
    return true;
}

void trainer_init(Trainer *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->wake_fd = -1;
    t->resumed_epoch = -1;
    model_init(&t->m);
}

static void wake(Trainer *t)
{
    char c = 1;
    if (t->wake_fd >= 0 && atomic_exchange(&t->wake_pending, 1) == 0) {
        ssize_t r = write(t->wake_fd, &c, 1);
        (void)r;
    }
}

static void set_phase(Trainer *t, TrainerPhase ph, const char *msg)
{
    pthread_mutex_lock(&t->mu);
    t->phase = ph;
    if (msg)
        snprintf(t->msg, sizeof t->msg, "%s", msg);
    pthread_mutex_unlock(&t->mu);
    wake(t);
}

/* Copy the weights if asked (under mu, on the training thread). */
static void serve_weights(Trainer *t, const TrainEvent *ev)
{
    size_t wn, bn;
    if (!t->want_weights || !t->m.nn)
        return;
    wn = net_n_params(t->m.nn);
    bn = net_n_buffers(t->m.nn);
    if (wn != t->wn) {
        free(t->wp);
        t->wp = malloc(wn * sizeof *t->wp);
        t->wn = t->wp ? wn : 0;
    }
    if (bn != t->bn) {
        free(t->wb);
        t->wb = bn ? malloc(bn * sizeof *t->wb) : NULL;
        t->bn = t->wb ? bn : 0;
    }
    if ((wn && !t->wp) || (bn && !t->wb))
        return;
    memcpy(t->wp, net_params(t->m.nn), wn * sizeof *t->wp);
    if (bn)
        memcpy(t->wb, net_buffers(t->m.nn), bn * sizeof *t->wb);
    t->w_batch = ev ? ev->global_batch : t->m.progress.batches;
    t->w_epoch = ev ? ev->epoch : t->m.progress.epoch;
    t->want_weights = false;
    t->have_weights = true;
    wake(t);
}

static void on_train_event(void *user, const TrainEvent *ev)
{
    Trainer *t = user;
    double now = now_sec();
    bool wake_now;
    pthread_mutex_lock(&t->mu);
    t->ring[t->w % TRAINER_RING] = *ev;
    t->w++;
    if (t->w - t->r > TRAINER_RING)
        t->r = t->w - TRAINER_RING;
    serve_weights(t, ev);
    if (t->paused && !atomic_load(&t->stop)) {
        t->waiting = true;
        pthread_mutex_unlock(&t->mu);
        wake(t);
        pthread_mutex_lock(&t->mu);
    }
    while (t->paused && !atomic_load(&t->stop)) {
        serve_weights(t, ev);
        pthread_cond_wait(&t->cv, &t->mu);
    }
    t->waiting = false;
    serve_weights(t, ev);
    pthread_mutex_unlock(&t->mu);
    wake_now = ev->kind != TRAIN_EV_BATCH || now - t->last_wake >= WAKE_BATCH_SEC;
    if (wake_now) {
        t->last_wake = now;
        wake(t);
    }
}

static void on_corpus_progress(void *user, long done, long total, const char *path)
{
    Trainer *t = user;
    double now = now_sec();
    (void)path;
    pthread_mutex_lock(&t->mu);
    t->files_done = done;
    t->files_total = total;
    pthread_mutex_unlock(&t->mu);
    if (now - t->last_wake >= WAKE_BATCH_SEC) {
        t->last_wake = now;
        wake(t);
    }
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Make the folder path goes in; 0, or -1 with errno. */
static int mkdir_for(const char *path)
{
    char dir[4096];
    if (!strchr(path, '/'))
        return 0;
    file_dir_of(path, dir, sizeof dir);
    return file_mkdirs(dir);
}

/* ---- several ranks: an MPI job as a child process -------------------------- */

typedef struct {
    char **v;
    int n, cap;
    bool oom;
} Argv;

static void arg_add(Argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg_add(Argv *a, const char *fmt, ...)
{
    va_list ap;
    char buf[4400];
    if (a->n + 2 > a->cap) {
        int cap = a->cap ? a->cap * 2 : 64;
        char **p = realloc(a->v, (size_t)cap * sizeof *p);
        if (!p) {
            a->oom = true;
            return;
        }
        a->v = p;
        a->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!(a->v[a->n] = strdup(buf))) {
        a->oom = true;
        return;
    }
    a->v[++a->n] = NULL;
}

static void arg_free(Argv *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* mpirun's flags, then -np N, this binary and the train options. */
static void mpi_args(Argv *a, const TrainerConfig *c, const Model *resumed, const char *progress)
{
    const char *flags = getenv("REEL_MPIRUN_FLAGS");
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    arg_add(a, "mpirun");
    if (flags && *flags) {
        char buf[1024], *save = NULL;
        snprintf(buf, sizeof buf, "%s", flags);
        for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
            arg_add(a, "%s", w);
    } else {
        arg_add(a, "--oversubscribe");
        if (geteuid() == 0)
            arg_add(a, "--allow-run-as-root");
    }
    arg_add(a, "-np");
    arg_add(a, "%d", c->ranks);
    arg_add(a, "%s", self[0] ? self : "reel");
    arg_add(a, "train");
    arg_add(a, "%s", c->corpus);
    arg_add(a, "-o");
    arg_add(a, "%s", c->out);
    arg_add(a, "--progress");
    arg_add(a, "%s", progress);
    arg_add(a, "-q");
    if (c->max_tunes > 0) {
        arg_add(a, "--max-tunes");
        arg_add(a, "%ld", c->max_tunes);
    }
    if (resumed) {
        arg_add(a, "--resume");
        arg_add(a, "--epochs");
        arg_add(a, "%d", resumed->train.epochs);
        return;
    }
    arg_add(a, "--encoding");
    arg_add(a, "%s", enc_name(c->enc));
    if (c->lookback) {
        arg_add(a, "--lookback");
        arg_add(a, "--repeat-labels");
    }
    if (c->durations)
        arg_add(a, "--durations");
    arg_add(a, "--hidden");
    arg_add(a, "%d", c->hidden);
    arg_add(a, "--layers");
    arg_add(a, "%d", c->layers);
    if (c->dense > 0) {
        arg_add(a, "--dense");
        arg_add(a, "%d", c->dense);
    }
    if (c->dropout > 0) {
        arg_add(a, "--dropout");
        arg_add(a, "%g", (double)c->dropout);
    }
    arg_add(a, "--window");
    arg_add(a, "%d", c->window);
    arg_add(a, "--batch");
    arg_add(a, "%d", c->batch);
    arg_add(a, "--epochs");
    arg_add(a, "%d", c->epochs);
    arg_add(a, "--optimizer");
    arg_add(a, "%s", optim_name(c->optimizer));
    arg_add(a, "--lr");
    arg_add(a, "%.9g", (double)c->lr);
    arg_add(a, "--val-split");
    arg_add(a, "%.9g", (double)c->val_split);
    arg_add(a, "--seed");
    arg_add(a, "%llu", (unsigned long long)c->seed);
}

/* One --progress line (cmd_train.c documents the format) into an event;
 * the info line into the summary.  Returns the event kind, -1 for info, -2
 * for an error line (msg filled), -3 for anything else. */
static int mpi_parse(Trainer *t, char *line, TrainEvent *ev, char *msg, size_t msg_size)
{
    static const char *const kinds[] = {"start", "batch", "epoch", "checkpoint", "done",
                                        "stopped", "rollback"};
    char kind[16], *tab = strchr(line, '\t'), *nl;
    int at = 0, head = -1;
    long long b, bs, gb;
    if ((nl = strchr(line, '\n')) != NULL)
        *nl = '\0';
    if (sscanf(line, "reel-progress 1 %15s %n", kind, &at) != 1)
        return -3;
    if (!strcmp(kind, "error")) {
        snprintf(msg, msg_size, "%s", tab ? tab + 1 : "the MPI job failed");
        return -2;
    }
    if (!strcmp(kind, "info")) {
        long tr, va, sk;
        long long pos;
        size_t np;
        int res, ranks;
        if (sscanf(line + at, "%ld %ld %ld %lld %zu %d %d", &tr, &va, &sk, &pos, &np, &res,
                   &ranks) != 7)
            return -3;
        pthread_mutex_lock(&t->mu);
        t->tunes_train = tr;
        t->tunes_val = va;
        t->files_skipped = sk;
        t->positions = pos;
        t->n_params = np;
        t->resumed_epoch = res;
        t->ranks = ranks;
        t->phase = TR_RUNNING;
        pthread_mutex_unlock(&t->mu);
        wake(t);
        return -1;
    }
    memset(ev, 0, sizeof *ev);
    for (int k = 0; k < (int)(sizeof kinds / sizeof kinds[0]); k++)
        if (!strcmp(kind, kinds[k])) {
            ev->kind = (TrainEventKind)k;
            head = 0;
        }
    if (head < 0 ||
        sscanf(line + at, "%d %d %lld %lld %lld %f %f %f %f %f %f %f %f %f %f %f %lf %lf %lf %d %d",
               &ev->epoch, &ev->epochs, &b, &bs, &gb, &ev->loss, &ev->acc, &ev->acc_bits,
               &ev->acc_argmax, &ev->grad_norm, &ev->epoch_loss, &ev->epoch_acc, &ev->val_loss,
               &ev->val_acc, &ev->val_acc_bits, &ev->val_acc_argmax, &ev->steps_per_sec,
               &ev->elapsed, &ev->eta, &head, &ev->ranks) != 21)
        return -3;
    ev->batch = b;
    ev->batches = bs;
    ev->global_batch = gb;
    ev->head = (HeadKind)head;
    snprintf(ev->msg, sizeof ev->msg, "%s", tab ? tab + 1 : "");
    return (int)ev->kind;
}

/* The last line of the job's log that says what went wrong. */
static void mpi_log_reason(const char *path, char *msg, size_t size)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (!strncmp(line, "reel train: ", 12) || strstr(line, "mpirun") || strstr(line, "MPI"))
            snprintf(msg, size, "%.400s", !strncmp(line, "reel train: ", 12) ? line + 12 : line);
    }
    fclose(f);
}

/* Start mpirun (a.v) in its own process group: stdin and stdout
 * /dev/null, stderr the job's log.  The pid, or 0 with msg filled. */
static pid_t mpi_spawn(const Trainer *t, char **argv, char *msg, size_t msg_size)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dflt;
    pid_t pid = 0;
    int rc;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, t->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_init(&at);
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGHUP);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGCHLD);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    /* Its own process group: the terminal's signals are the studio's. */
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawnp(&pid, "mpirun", &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        snprintf(msg, msg_size, "cannot start mpirun: %s%s", strerror(rc),
                 rc == ENOENT ? " (make deps installs openmpi-bin)" : "");
        return 0;
    }
    return pid;
}

/* Turn the complete lines in buf[0..*have) into events; keeps the rest.
 * *last: the kind of the last event (or -2 for an error line). */
static void mpi_lines(Trainer *t, char *buf, size_t *have, size_t cap, int *last, char *msg,
                      size_t msg_size)
{
    char *p, *nl;
    TrainEvent ev;
    for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        int k;
        *nl = '\0';
        k = mpi_parse(t, p, &ev, msg, msg_size);
        if (k >= 0)
            on_train_event(t, &ev);
        if (k >= 0 || k == -2)
            *last = k;
    }
    *have -= (size_t)(p - buf);
    memmove(buf, p, *have);
    if (*have == cap - 1)
        *have = 0; /* a line longer than the buffer: not ours */
}

/* Follow the progress file fd until mpirun (pid) has ended and the file
 * is read; *status: its wait status.  Returns the kind of the last event
 * (-2: an error line, msg filled; -3: none). */
static int mpi_follow(Trainer *t, pid_t pid, int fd, int *status, char *msg, size_t msg_size)
{
    char buf[8192];
    size_t have = 0;
    int last = -3;
    bool ended = false, forced = false;
    double stop_at = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n > 0) {
            have += (size_t)n;
            buf[have] = '\0';
            mpi_lines(t, buf, &have, sizeof buf, &last, msg, msg_size);
            continue;
        }
        if (ended)
            break;
        {
            pid_t w = waitpid(pid, status, WNOHANG);
            if (w == pid || (w < 0 && errno != EINTR)) {
                ended = true; /* one more read for the last lines */
                continue;
            }
        }
        /* A stop the job does not answer: mpirun's own ending (SIGTERM to
         * the ranks, SIGKILL a second later), then its process group. */
        if (atomic_load(&t->stop)) {
            double now = now_sec();
            if (stop_at == 0)
                stop_at = now;
            if (now - stop_at > MPI_STOP_WAIT && !forced) {
                kill(pid, SIGINT);
                forced = true;
            } else if (now - stop_at > MPI_STOP_WAIT + 10) {
                kill(-pid, SIGKILL);
            }
        }
        {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return last;
}

/* The phase an MPI job ended in: its last event, else why it failed. */
static void mpi_end(Trainer *t, int last, int status, char *msg, size_t msg_size)
{
    const TrainerConfig *c = &t->cfg;
    char full[700];
    if (last == TRAIN_EV_DONE || last == TRAIN_EV_STOPPED) {
        snprintf(msg, msg_size, "%s %.400s (%d ranks)",
                 last == TRAIN_EV_STOPPED ? "stopped; checkpoint in" : "done; model saved to",
                 c->out, c->ranks);
        set_phase(t, last == TRAIN_EV_STOPPED ? TR_STOPPED : TR_DONE, msg);
        return;
    }
    if (last != -2) {
        snprintf(msg, msg_size, "the MPI job ended (%s %d)",
                 WIFSIGNALED(status) ? "signal" : "exit status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        mpi_log_reason(t->log_path, msg, msg_size);
    }
    snprintf(full, sizeof full, "%.500s (log: %.150s)", msg, t->log_path);
    set_phase(t, TR_FAILED, full);
}

/* Run the job and turn its progress into events; sets the final phase. */
static void mpi_run(Trainer *t, const Model *resumed)
{
    const TrainerConfig *c = &t->cfg;
    Argv a = {NULL, 0, 0, false};
    int fd = -1, status = 0, last;
    pid_t pid;
    char prog_path[4300], msg[700] = "";

    if (!dist_built_with_mpi()) {
        set_phase(t, TR_FAILED, "this reel was built without MPI: one process only (set the "
                                "processes to 1; make deps and a rebuild bring MPI)");
        return;
    }
    if (!resumed) {
        /* What the view shows before the job's first line. */
        t->m.enc.kind = c->enc;
        t->m.enc.lookback = t->m.enc.repeats = c->lookback;
        t->m.net.layers = c->layers;
        t->m.net.hidden = c->hidden;
        t->m.train.window = c->window;
        t->m.train.batch = c->batch;
        t->m.train.optim.lr = c->lr;
    }
    if (mkdir_for(c->out) != 0) {
        snprintf(msg, sizeof msg, "cannot make the folder for %.300s: %s", c->out,
                 strerror(errno));
        set_phase(t, TR_FAILED, msg);
        return;
    }
    /* The progress lines go to a file beside the log, not through mpirun's
     * stdout: mpirun stops forwarding when told to end the job, and rank 0
     * would block on a full pipe before its checkpoint. */
    job_path_beside(c->out, ".progress", prog_path, sizeof prog_path);
    mpi_args(&a, c, resumed, prog_path);
    fd = open(prog_path, O_RDONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (a.oom || fd < 0) {
        snprintf(msg, sizeof msg, "cannot start mpirun: %.300s: %s", a.oom ? "arguments" : prog_path,
                 a.oom ? "out of memory" : strerror(errno));
        set_phase(t, TR_FAILED, msg);
        goto done;
    }
    if (!(pid = mpi_spawn(t, a.v, msg, sizeof msg))) {
        set_phase(t, TR_FAILED, msg);
        goto done;
    }
    pthread_mutex_lock(&t->mu);
    t->child = pid;
    t->ranks = c->ranks;
    pthread_mutex_unlock(&t->mu);
    if (atomic_load(&t->stop))
        kill(pid, SIGUSR1); /* stopped before it started */
    last = mpi_follow(t, pid, fd, &status, msg, sizeof msg);
    pthread_mutex_lock(&t->mu);
    t->child = 0;
    pthread_mutex_unlock(&t->mu);
    mpi_end(t, last, status, msg, sizeof msg);
done:
    if (fd >= 0)
        close(fd);
    arg_free(&a);
}

/* ---- one process: the training job (job.h) on this thread ----------------- */

/* What the studio's training settings mean to a training job. */
static void trainer_job_config(Trainer *t, const char *const *paths, const char *log_path,
                               JobConfig *j)
{
    const TrainerConfig *c = &t->cfg;
    memset(j, 0, sizeof *j);
    j->paths = paths;
    j->n_paths = 1;
    j->corpus.progress = on_corpus_progress;
    j->corpus.progress_user = t;
    j->max_tunes = c->max_tunes;
    j->enc = (EncOpts){.kind = c->enc, .durations = c->durations, .lookback = c->lookback,
                       .repeats = c->lookback};
    j->vocab_min = 1;
    j->net.hidden = c->hidden;
    j->net.layers = c->layers;
    j->net.dense = c->dense;
    j->net.dropout = c->dropout;
    j->train.window = c->window;
    j->train.batch = c->batch;
    j->train.epochs = c->epochs;
    j->train.val_split = c->val_split;
    j->train.seed = c->seed;
    j->train.threads = 1;
    j->train.optim = optim_defaults(c->optimizer);
    j->train.optim.lr = c->lr;
    j->out = c->out;
    j->resume = c->resume && file_exists(c->out);
    j->resume_epochs = c->epochs;
    j->resume_raise_only = true;
    j->log_path = log_path;
    j->checkpoint_secs = 600; /* a crash of the studio loses at most 10 minutes (as reel train) */
}

/* Resume the model file; false (phase failed, saying why) when it cannot. */
static bool trainer_resume(Trainer *t, TrainJob *job)
{
    ReelError err;
    char msg[700];
    switch (job_resume(job, &err)) {
    case JOB_RESUME_OK:
        return true;
    case JOB_RESUME_UNREADABLE:
        snprintf(msg, sizeof msg, "cannot resume: %.500s", err.msg);
        break;
    case JOB_RESUME_NO_STATE:
        snprintf(msg, sizeof msg, "%.300s holds no optimizer state (saved for sharing): give "
                                  "another model file to start a new run", t->cfg.out);
        break;
    default:
        snprintf(msg, sizeof msg, "%.400s: raise the epochs to go on", err.msg);
        break;
    }
    set_phase(t, TR_FAILED, msg);
    return false;
}

/* The corpus, the split, a new network, the datasets, then the summary
 * and TR_RUNNING; false (phase failed) when a step failed. */
static bool trainer_prepare(Trainer *t, TrainJob *job)
{
    ReelError err;
    ReelStatus s;
    char msg[700];
    if ((s = job_load(job, &err)) || (s = job_split(job, &err))) {
        if (s == REEL_EEMPTY && job->order)
            snprintf(msg, sizeof msg, "%d tune(s) in %.300s: too few to train and validate on",
                     job->n_tunes, t->cfg.corpus);
        else
            snprintf(msg, sizeof msg, "%s", err.msg);
        set_phase(t, TR_FAILED, msg);
        return false;
    }
    if (job_build(job, &err) || job_data(job, &err)) {
        set_phase(t, TR_FAILED, err.msg);
        return false;
    }
    pthread_mutex_lock(&t->mu);
    t->tunes_train = job->n_train;
    t->tunes_val = job->n_val;
    t->files_skipped = job->skipped;
    t->notes = job->notes;
    t->positions = job->train.positions;
    t->n_params = net_n_params(t->m.nn);
    t->resumed_epoch = job->resumed ? t->m.progress.epoch : -1;
    t->have_model = true;
    t->phase = TR_RUNNING;
    pthread_mutex_unlock(&t->mu);
    wake(t);
    return true;
}

/* The loop; sets the final phase. */
static void trainer_train(Trainer *t, TrainJob *job)
{
    const TrainerConfig *c = &t->cfg;
    ReelError err;
    char msg[700];
    int64_t w;
    TrainEventKind k;
    if (mkdir_for(c->out) != 0) {
        snprintf(msg, sizeof msg, "cannot make the folder for %.300s: %s", c->out, strerror(errno));
        set_phase(t, TR_FAILED, msg);
        return;
    }
    if (job_train(job, &t->stop, on_train_event, t, &err)) {
        set_phase(t, TR_FAILED, err.msg);
        return;
    }
    pthread_mutex_lock(&t->mu);
    w = (int64_t)t->w;
    k = w > 0 ? t->ring[(w - 1) % TRAINER_RING].kind : TRAIN_EV_DONE;
    pthread_mutex_unlock(&t->mu);
    snprintf(msg, sizeof msg, "%s %.400s", k == TRAIN_EV_STOPPED ? "stopped; checkpoint in"
                                                              : "done; model saved to", c->out);
    set_phase(t, k == TRAIN_EV_STOPPED ? TR_STOPPED : TR_DONE, msg);
}

static void *trainer_main(void *arg)
{
    Trainer *t = arg;
    const char *paths[1] = {t->cfg.corpus};
    char log_path[4200];
    JobConfig jc;
    TrainJob job;

    job_path_beside(t->cfg.out, ".csv", log_path, sizeof log_path);
    trainer_job_config(t, paths, log_path, &jc);
    job_init(&job, &jc, &t->m, NULL);
    if (jc.resume && !trainer_resume(t, &job))
        goto out;
    if (t->cfg.ranks > 1) {
        /* Several ranks: an MPI job in a child process (trainer.h). */
        pthread_mutex_lock(&t->mu);
        t->resumed_epoch = job.resumed ? t->m.progress.epoch : -1;
        pthread_mutex_unlock(&t->mu);
        mpi_run(t, job.resumed ? &t->m : NULL);
        goto out;
    }
    if (trainer_prepare(t, &job))
        trainer_train(t, &job);
out:
    pthread_mutex_lock(&t->mu);
    /* A request that came too late is served from the final weights. */
    serve_weights(t, NULL);
    pthread_mutex_unlock(&t->mu);
    job_free(&job);
    return NULL;
}

ReelStatus trainer_start(Trainer *t, const TrainerConfig *c, int wake_fd, ReelError *err)
{
    if (trainer_active(t))
        return reel_fail(err, REEL_EARG, "training is already running");
    trainer_join(t);
    pthread_mutex_lock(&t->mu);
    t->cfg = *c;
    t->wake_fd = wake_fd;
    t->phase = TR_LOADING;
    t->paused = false;
    t->paused_total = 0;
    t->msg[0] = '\0';
    t->files_done = t->files_total = 0;
    t->tunes_train = t->tunes_val = t->files_skipped = 0;
    t->positions = 0;
    t->n_params = 0;
    t->resumed_epoch = -1;
    t->ranks = c->ranks > 1 ? c->ranks : 1;
    t->child = 0;
    /* an MPI job's stderr (set here: the view reads it while the job runs) */
    job_path_beside(c->out, ".mpi.log", t->log_path, sizeof t->log_path);
    t->w = t->r = 0;
    t->want_weights = t->have_weights = false;
    t->have_model = false;
    pthread_mutex_unlock(&t->mu);
    atomic_store(&t->stop, 0);
    model_free(&t->m);
    model_init(&t->m);
    if (pthread_create(&t->th, NULL, trainer_main, t) != 0) {
        t->phase = TR_FAILED;
        return reel_fail(err, REEL_ENOMEM, "cannot start the training thread");
    }
    t->started = true;
    return REEL_OK;
}

bool trainer_pause(Trainer *t, bool pause)
{
    double now = now_sec();
    if (t->cfg.ranks > 1 && pause)
        return false;
    pthread_mutex_lock(&t->mu);
    if (pause && !t->paused)
        t->paused_since = now;
    if (!pause && t->paused)
        t->paused_total += now - t->paused_since;
    t->paused = pause;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return true;
}

void trainer_stop(Trainer *t)
{
    atomic_store(&t->stop, 1);
    pthread_mutex_lock(&t->mu);
    if (t->child > 0)
        kill(t->child, SIGUSR1); /* mpirun passes it on: every rank stops, rank 0 saves */
    if (t->paused)
        t->paused_total += now_sec() - t->paused_since;
    t->paused = false;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void trainer_join(Trainer *t)
{
    if (!t->started)
        return;
    pthread_join(t->th, NULL);
    t->started = false;
}

void trainer_free(Trainer *t)
{
    if (t->started) {
        trainer_stop(t);
        trainer_join(t);
    }
    model_free(&t->m);
    free(t->wp);
    free(t->wb);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    memset(t, 0, sizeof *t);
}

TrainerPhase trainer_phase(Trainer *t)
{
    TrainerPhase ph;
    pthread_mutex_lock(&t->mu);
    ph = t->phase;
    pthread_mutex_unlock(&t->mu);
    return ph;
}

bool trainer_active(Trainer *t)
{
    TrainerPhase ph = trainer_phase(t);
    return t->started && (ph == TR_LOADING || ph == TR_RUNNING);
}

int trainer_drain(Trainer *t, TrainEvent *out, int max)
{
    int n = 0;
    atomic_store(&t->wake_pending, 0);
    pthread_mutex_lock(&t->mu);
    while (t->r < t->w && n < max)
        out[n++] = t->ring[t->r++ % TRAINER_RING];
    pthread_mutex_unlock(&t->mu);
    return n;
}

void trainer_request_weights(Trainer *t)
{
    pthread_mutex_lock(&t->mu);
    t->have_weights = false;
    t->want_weights = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static ReelStatus copy_vocab(const Vocab *v, Vocab **out, ReelError *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    ReelStatus st;
    *out = NULL;
    if (!v)
        return REEL_OK;
    if (!(f = open_memstream(&buf, &len)))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    st = vocab_write(v, f, err);
    fclose(f);
    if (st) {
        free(buf);
        return st;
    }
    if (!(f = fmemopen(buf, len, "r"))) {
        free(buf);
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    }
    st = vocab_read(out, f, "vocabulary", err);
    fclose(f);
    free(buf);
    return st;
}

ReelStatus trainer_take_model(Trainer *t, Model *out, bool *ready, char *what, size_t what_size,
                              ReelError *err)
{
    ReelStatus st;
    bool have;
    TrainerPhase ph;
    *ready = false;
    if (t->cfg.ranks > 1) {
        /* An MPI job: its weights are in the last checkpoint. */
        if (!file_exists(t->cfg.out))
            return reel_fail(err, REEL_EARG, "no checkpoint yet: the MPI job writes one after "
                                             "each epoch");
        if ((st = model_load(out, t->cfg.out, 0, 0, err)))
            return st;
        *ready = true;
        snprintf(what, what_size, "the checkpoint after epoch %d, batch %lld",
                 out->progress.epoch, (long long)out->progress.batches);
        return REEL_OK;
    }
    pthread_mutex_lock(&t->mu);
    ph = t->phase;
    have = t->have_weights && t->have_model;
    pthread_mutex_unlock(&t->mu);
    if (!have) {
        if ((ph == TR_DONE || ph == TR_STOPPED) && file_exists(t->cfg.out)) {
            if ((st = model_load(out, t->cfg.out, 0, 0, err)))
                return st;
            *ready = true;
            snprintf(what, what_size, "%s, epoch %d", t->cfg.out, out->progress.epoch);
            return REEL_OK;
        }
        if (ph == TR_LOADING || ph == TR_RUNNING)
            return reel_fail(err, REEL_EEMPTY, "the weights are on their way");
        return reel_fail(err, REEL_EARG, "no model yet: start training first (s)");
    }
    /* The configuration does not change while training: read it as it is. */
    out->enc = t->m.enc;
    out->net = t->m.net;
    out->train = t->m.train;
    if ((st = copy_vocab(t->m.vocab, &out->vocab, err)))
        return st;
    if ((st = net_new(&out->nn, &out->net, 0, 0, err)))
        return st;
    pthread_mutex_lock(&t->mu);
    if (net_n_params(out->nn) != t->wn || net_n_buffers(out->nn) != t->bn) {
        pthread_mutex_unlock(&t->mu);
        return reel_fail(err, REEL_EARG, "the weights do not fit the network");
    }
    memcpy(net_params(out->nn), t->wp, t->wn * sizeof *t->wp);
    if (t->bn)
        memcpy(net_buffers(out->nn), t->wb, t->bn * sizeof *t->wb);
    snprintf(what, what_size, "weights after epoch %d, batch %lld", t->w_epoch + 1,
             (long long)t->w_batch);
    out->progress.epoch = t->w_epoch;
    out->progress.batches = t->w_batch;
    pthread_mutex_unlock(&t->mu);
    *ready = true;
    return REEL_OK;
}
