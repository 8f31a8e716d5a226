/* bench_nn.c — the engine's speed and memory against PyTorch (issue #3).
 *
 * Same shapes, same random-data set-up, same timing protocol as
 * bench/torch_ref.py, in the same run, one thread each and two threads each:
 *   (a) 13-in multi-hot, LSTM 2 x 256, window 64, batch 32, 13 sigmoid outputs
 *   (d) 128-in multi-hot, LSTM 2 x 512, window 128, batch 64, 128 sigmoid outputs
 * A training step is forward + backward + Adam update over T x B time steps;
 * a generation step is one net_step (batch 1, state carried, head included).
 * Inputs and targets: every feature on with probability 1/8, four batches
 * drawn up front and cycled.  Timing: two warm-up steps, then three rounds of
 * at least two steps and about 1 s; the fastest round counts, and the
 * whole comparison runs twice (BENCH_NN_PASSES), ours and PyTorch's in
 * turn, keeping each side's best: the machine may be shared, and other
 * work only ever makes a figure slower.  Figures are printed as ratios to PyTorch, with GFLOP/s as
 * a share of a large sgemm's rate measured here, and "met"/"MISSED" per
 * target.  The exit status is 0 either way: timings on a shared machine are
 * not a test.
 *
 * Peak RSS is measured in fresh processes that only train (a) for a few
 * steps and generate 200 steps: this program re-executed with --rss, and
 * torch_ref.py with "rss"; both read VmHWM from /proc/self/status (ru_maxrss
 * would count the parent's pages at fork).  OPENBLAS_CORETYPE=Haswell is
 * measured by re-executing this program with --ours (our figures only) and
 * that variable set: OpenBLAS picks its kernels when it loads.
 *
 * Generation is timed three times: on the float weights (what --precise
 * reads), on an fp16 copy of them (net_half_build) and on an int8 copy
 * (net_q8_build, what reel generate reads by default on a CPU with AVX-512
 * VNNI), each against the generation target.  --gen times only that, one
 * thread, BENCH_NN_GEN_RUNS times (default 3), keeping the best.
 *
 * Also printed: reel's packed-weights kernel against OpenBLAS for the
 * per-step products (blas_set_packed_native), and seconds per epoch of
 * config (a) on Ryan's collection.
 *
 * Environment: REEL_TORCH_REF (default bench/torch_ref.py), REEL_PYTHON
 * (default /usr/bin/python3), REEL_CORPUS (for seconds per epoch on Ryan's
 * collection), BENCH_NN_PASSES (default 2), BENCH_NN_QUICK=1 (shorter
 * rounds, one pass, for trying things).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blas.h"
#include "clock.h"
#include "corpus.h"
#include "nn.h"
#include "optim.h"
#include "rng.h"

#define DENSITY 0.125f

typedef struct {
    const char *name;
    int n_in, hidden, layers, T, B, n_out;
    double train_target;   /* ratio to PyTorch's training throughput */
    double gen_target_us;  /* generation step */
} Config;

static const Config CONFIGS[2] = {
    {"a", 13, 256, 2, 64, 32, 13, 1.5, 50.0},
    {"d", 128, 512, 2, 128, 64, 128, 1.3, 200.0},
};

static double round_secs = 1.0, gen_round_secs = 0.5;

static long vmhwm_kib(void)
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            v = strtol(line + 6, NULL, 10);
    fclose(f);
    return v;
}

static const char *verdict(bool ok);

/* ---- our side ------------------------------------------------------------- */

typedef struct {
    const Config *cf;
    Net *net;
    NetState *st;
    Optim opt;
    Rng rng;
    float *x[4], *y[4], *seq;  /* batches; 1024 generation inputs */
    int k;
} Ours;

static void multihot(Rng *r, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = rng_float(r) < DENSITY ? 1.0f : 0.0f;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_nn: %s: %s\n", what, msg);
    exit(1);
}

static void ours_setup(Ours *o, const Config *cf)
{
    NetConfig c;
    ReelError e;
    OptimConfig oc = optim_defaults(OPTIM_ADAM);
    size_t P = (size_t)cf->T * cf->B;
    memset(o, 0, sizeof *o);
    memset(&c, 0, sizeof c);
    o->cf = cf;
    c.n_in = cf->n_in;
    c.hidden = cf->hidden;
    c.layers = cf->layers;
    c.n_out = cf->n_out;
    c.head = HEAD_SIGMOID_BCE;
    rng_seed(&o->rng, 1);
    if (net_new(&o->net, &c, cf->T, cf->B, &e))
        die("net_new", e.msg);
    net_init(o->net, &o->rng);
    if (optim_init(&o->opt, &oc, net_n_params(o->net), &e))
        die("optim_init", e.msg);
    for (int i = 0; i < 4; i++) {
        o->x[i] = malloc(P * (size_t)cf->n_in * sizeof(float));
        o->y[i] = malloc(P * (size_t)cf->n_out * sizeof(float));
        if (!o->x[i] || !o->y[i])
            die("setup", "out of memory");
        multihot(&o->rng, o->x[i], P * (size_t)cf->n_in);
        multihot(&o->rng, o->y[i], P * (size_t)cf->n_out);
    }
    /* generation runs on the trained net: net_step only reads the parameters */
    if (!(o->st = net_state_new(o->net)) || !(o->seq = malloc(1024 * (size_t)cf->n_in * sizeof(float))))
        die("setup", "out of memory");
    multihot(&o->rng, o->seq, 1024 * (size_t)cf->n_in);
}

static void ours_free(Ours *o)
{
    for (int i = 0; i < 4; i++) {
        free(o->x[i]);
        free(o->y[i]);
    }
    free(o->seq);
    net_state_free(o->st);
    net_free(o->net);
    optim_free(&o->opt);
}

static void ours_train_step(void *p)
{
    Ours *o = p;
    NetBatch b;
    memset(&b, 0, sizeof b);
    b.T = o->cf->T;
    b.B = o->cf->B;
    b.x = o->x[o->k % 4];
    b.y = o->y[o->k % 4];
    o->k++;
    net_forward(o->net, &b, true, &o->rng);
    net_backward(o->net, &b);
    optim_step(&o->opt, net_params(o->net), net_grads(o->net));
}

static void ours_gen_step(void *p)
{
    Ours *o = p;
    net_step(o->net, o->st, o->seq + (size_t)(o->k % 1024) * o->cf->n_in, 0);
    o->k++;
}

/* The protocol of torch_ref.py: warm-up, then the fastest of three rounds. */
static double best_seconds_per_step(void (*step)(void *), void *ctx, double secs, int min_steps,
                                    int warm)
{
    double best = INFINITY;
    for (int i = 0; i < warm; i++)
        step(ctx);
    for (int r = 0; r < 3; r++) {
        int n = 0;
        double t0 = now_sec(), el;
        do {
            step(ctx);
            n++;
            el = now_sec() - t0;
        } while (n < min_steps || el < secs);
        if (el / n < best)
            best = el / n;
    }
    return best;
}

/* sgemm 1024^3, fastest of five, GFLOP/s. */
static double sgemm_rate(void)
{
    int n = 1024;
    float *a = malloc((size_t)n * n * sizeof(float)), *b = malloc((size_t)n * n * sizeof(float));
    float *c = calloc((size_t)n * n, sizeof(float));
    double best = INFINITY;
    Rng r;
    if (!a || !b || !c)
        die("sgemm", "out of memory");
    rng_seed(&r, 2);
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i] = rng_float(&r) - 0.5f;
        b[i] = rng_float(&r) - 0.5f;
    }
    blas_sgemm(BLAS_N, BLAS_N, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    for (int i = 0; i < 5; i++) {
        double t0 = now_sec(), t;
        blas_sgemm(BLAS_N, BLAS_N, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        t = now_sec() - t0;
        best = t < best ? t : best;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * n * n * n / best * 1e-9;
}

typedef struct {
    double train_ts, gen_us, gen_half_us, gen_q8_us, gflops, mac_per_step;
} OurFigures;

/* Generation step time on a copy of the weights: NET_W_F16 or NET_W_I8. */
static double gen_copy_us(Ours *o, NetWeights w)
{
    ReelError e;
    double us;
    if ((w == NET_W_F16 ? net_half_build(o->net, &e) : net_q8_build(o->net, &e)) ||
        net_state_prepare(o->net, o->st, &e))
        die("copying the weights", e.msg);
    net_state_set_weights(o->st, w);
    o->k = 0;
    net_state_reset(o->st);
    us = best_seconds_per_step(ours_gen_step, o, gen_round_secs, 50, 50) * 1e6;
    net_state_set_weights(o->st, NET_W_FAST);
    net_half_drop(o->net);
    net_q8_drop(o->net);
    return us;
}

static OurFigures measure_ours(const Config *cf, int threads)
{
    Ours o;
    OurFigures f;
    blas_set_threads(threads);
    ours_setup(&o, cf);
    f.mac_per_step = net_flops_per_step(o.net);
    f.train_ts = (double)cf->T * cf->B /
                 best_seconds_per_step(ours_train_step, &o, round_secs, 2, 2);
    f.gflops = 2.0 * f.mac_per_step * f.train_ts * 1e-9;
    o.k = 0;
    f.gen_us = best_seconds_per_step(ours_gen_step, &o, gen_round_secs, 50, 50) * 1e6;
    f.gen_half_us = gen_copy_us(&o, NET_W_F16);
    f.gen_q8_us = blas_q8_level() ? gen_copy_us(&o, NET_W_I8) : NAN;
    ours_free(&o);
    return f;
}

/* --rss: a short run of (a) only, then the peak resident set. */
static int rss_child(void)
{
    Ours o;

    blas_set_threads(1);
    ours_setup(&o, &CONFIGS[0]);
    for (int i = 0; i < 3; i++)
        ours_train_step(&o);
    for (int i = 0; i < 200; i++)
        ours_gen_step(&o);
    ours_free(&o);
    printf("vmhwm_kib %ld\n", vmhwm_kib());
    return 0;
}

/* --gen: generation steps only, float and fp16 weights, one thread. */
static int gen_child(void)
{
    int runs = getenv("BENCH_NN_GEN_RUNS") ? atoi(getenv("BENCH_NN_GEN_RUNS")) : 3;
    double f32[2] = {INFINITY, INFINITY}, f16[2] = {INFINITY, INFINITY}, i8[2] = {INFINITY, INFINITY};
    blas_set_threads(1);
    printf("bench_nn --gen: generation step (net_step, batch 1, head included), 1 thread,\n"
           "  best of %d runs; half kernel level %d (2 AVX-512, 1 AVX2+F16C, 0 C)\n",
           runs < 1 ? 1 : runs, blas_half_level());
    for (int r = 0; r < (runs < 1 ? 1 : runs); r++)
        for (int ci = 0; ci < 2; ci++) {
            Ours o;
            double a, b, q;
            ours_setup(&o, &CONFIGS[ci]);
            a = best_seconds_per_step(ours_gen_step, &o, gen_round_secs, 50, 50) * 1e6;
            b = gen_copy_us(&o, NET_W_F16);
            q = blas_q8_level() ? gen_copy_us(&o, NET_W_I8) : INFINITY;
            ours_free(&o);
            i8[ci] = q < i8[ci] ? q : i8[ci];
            f32[ci] = a < f32[ci] ? a : f32[ci];
            f16[ci] = b < f16[ci] ? b : f16[ci];
        }
    for (int ci = 0; ci < 2; ci++) {
        const Config *cf = &CONFIGS[ci];
        printf("  (%s) %d-in multi-hot, %dx%d, target <= %.0f us\n", cf->name, cf->n_in, cf->layers,
               cf->hidden, cf->gen_target_us);
        printf("    float weights          %7.1f us  %s\n", f32[ci], verdict(f32[ci] <= cf->gen_target_us));
        printf("    fp16 weights           %7.1f us  %s  (%.2fx the float step)\n", f16[ci],
               verdict(f16[ci] <= cf->gen_target_us), f32[ci] / f16[ci]);
        if (isfinite(i8[ci]))
            printf("    int8 weights (default) %7.1f us  %s  (%.2fx the float step)\n", i8[ci],
                   verdict(i8[ci] <= cf->gen_target_us), f32[ci] / i8[ci]);
    }
    return 0;
}

/* --ours: our figures only (run with OPENBLAS_CORETYPE set). */
static int ours_child(void)
{
    for (int th = 1; th <= 2; th++)
        for (int ci = 0; ci < 2; ci++) {
            OurFigures f = measure_ours(&CONFIGS[ci], th);
            printf("%s_%d_train_ts_per_s %.1f\n%s_%d_gen_us %.2f\n", CONFIGS[ci].name, th,
                   f.train_ts, CONFIGS[ci].name, th, f.gen_us);
        }
    blas_set_threads(1);
    printf("sgemm_1 %.1f\n", sgemm_rate());
    printf("blas %s\n", blas_info());
    return 0;
}

/* ---- child processes ------------------------------------------------------ */

/* Run argv with extra environment (NAME=VALUE strings, NULL-terminated);
 * read "key value" lines from its stdout; return the value of key, or NAN. */
typedef struct {
    char key[64];
    char val[256];
} KV;

static int run_child(char *const argv[], const char *const env[], KV *kv, int max)
{
    int fd[2], n = 0, status;
    pid_t pid;
    FILE *f;
    char line[512];
    if (pipe(fd) != 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        for (int i = 0; env && env[i]; i++)
            putenv((char *)(uintptr_t)env[i]);
        execv(argv[0], argv);
        fprintf(stderr, "bench_nn: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd[1]);
    f = fdopen(fd[0], "r");
    while (f && fgets(line, sizeof line, f))
        if (n < max && sscanf(line, "%63s %255[^\n]", kv[n].key, kv[n].val) == 2)
            n++;
    if (f)
        fclose(f);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? n : -1;
}

static double kv_num(const KV *kv, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return strtod(kv[i].val, NULL);
    return NAN;
}

static const char *kv_str(const KV *kv, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].val;
    return "?";
}

typedef struct {
    double train_ts, gen_us;
} TorchFigures;

static const char *python(void)
{
    const char *p = getenv("REEL_PYTHON");
    return p && *p ? p : "/usr/bin/python3";
}

static const char *torch_ref(void)
{
    const char *p = getenv("REEL_TORCH_REF");
    return p && *p ? p : "bench/torch_ref.py";
}

static char torch_version[256] = "";

static TorchFigures measure_torch(const Config *cf, int threads, const char *mode, long *rss_kib)
{
    TorchFigures t = {NAN, NAN};
    KV kv[16];
    char th[8], omp[32], ob[40];
    const char *env[5];
    char *argv[6];
    int n;
    snprintf(th, sizeof th, "%d", threads);
    snprintf(omp, sizeof omp, "OMP_NUM_THREADS=%d", threads);
    snprintf(ob, sizeof ob, "OPENBLAS_NUM_THREADS=%d", threads);
    env[0] = omp;
    env[1] = ob;
    env[2] = "OMP_WAIT_POLICY=PASSIVE";
    env[3] = "MKL_NUM_THREADS=1";
    env[4] = NULL;
    argv[0] = (char *)(uintptr_t)python();
    argv[1] = (char *)(uintptr_t)torch_ref();
    argv[2] = (char *)(uintptr_t)cf->name;
    argv[3] = th;
    argv[4] = (char *)(uintptr_t)mode;
    argv[5] = NULL;
    n = run_child(argv, env, kv, 16);
    if (n <= 0)
        return t;
    t.train_ts = kv_num(kv, n, "train_ts_per_s");
    t.gen_us = kv_num(kv, n, "gen_us");
    if (rss_kib)
        *rss_kib = (long)kv_num(kv, n, "vmhwm_kib");
    snprintf(torch_version, sizeof torch_version, "%s", kv_str(kv, n, "torch_version"));
    return t;
}

static bool have_torch(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -c 'import torch' >/dev/null 2>&1", python());
    return access(torch_ref(), R_OK) == 0 && system(cmd) == 0;
}

/* ---- the report ----------------------------------------------------------- */

static const char *verdict(bool ok)
{
    return ok ? "met" : "MISSED";
}

/* Windows of 64 over Ryan's collection as roll13 (one row per 16th step):
 * returns the batches of 32 an epoch has, or -1 without the corpus. */
static long ryans_batches(long *windows, long *positions)
{
    const char *root = getenv("REEL_CORPUS");
    char path[4096];
    const char *paths[1] = {path};
    Corpus c;
    ReelError e;
    long w = 0, pos = 0;
    if (!root || !*root)
        root = "../shared/corpus";
    snprintf(path, sizeof path, "%s/ryans-mammoth/midi", root);
    if (access(path, R_OK) != 0)
        return -1;
    corpus_init(&c);
    if (corpus_load(&c, paths, 1, NULL, &e)) {
        corpus_free(&c);
        return -1;
    }
    for (int32_t i = 0; i < c.n_tunes; i++) {
        long pred = (long)c.tunes[i].n_steps - 1;
        if (pred < 1)
            continue;
        w += (pred + 63) / 64;
        pos += pred;
    }
    corpus_free(&c);
    *windows = w;
    *positions = pos;
    return (w + 31) / 32;
}

static double best_max(double a, double b)
{
    return isnan(a) ? b : isnan(b) ? a : a > b ? a : b;
}

static double best_min(double a, double b)
{
    return isnan(a) ? b : isnan(b) ? a : a < b ? a : b;
}

int main(int argc, char **argv)
{
    OurFigures ours[2][2];
    TorchFigures torch[2][2];
    double sgemm[2] = {0, 0}, hz_train[2][2], hz_gen[2][2], openblas_train = NAN;
    int passes = 2;
    long rss_ours = -1, rss_torch = -1, windows = 0, positions = 0, batches;
    bool torch_ok, haswell_ok = false;
    char self[4096];
    ssize_t len;

    if (argc > 1 && strcmp(argv[1], "--rss") == 0)
        return rss_child();
    if (getenv("BENCH_NN_PASSES"))
        passes = atoi(getenv("BENCH_NN_PASSES")) < 1 ? 1 : atoi(getenv("BENCH_NN_PASSES"));
    if (getenv("BENCH_NN_QUICK")) {
        round_secs = 0.3;
        gen_round_secs = 0.1;
        passes = 1;
    }
    if (argc > 1 && strcmp(argv[1], "--ours") == 0)
        return ours_child();
    if (argc > 1 && strcmp(argv[1], "--gen") == 0)
        return gen_child();

    len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        die("readlink /proc/self/exe", strerror(errno));
    self[len] = '\0';

    printf("bench_nn: the LSTM engine against PyTorch, same shapes, same run\n");
    printf("  BLAS: %s; per-step products on %s\n", blas_info(),
           blas_packed_native() ? "reel's packed AVX-512 kernel" : "OpenBLAS");
    {
        FILE *f = fopen("/proc/loadavg", "r");
        char la[64] = "?";
        if (f) {
            if (!fgets(la, sizeof la, f))
                la[0] = '\0';
            fclose(f);
        }
        printf("  load average at start: %.14s (other work on the machine slows both sides)\n", la);
    }
    torch_ok = have_torch();
    if (!torch_ok)
        printf("  PyTorch: not found (%s with %s): no ratios. make bench installs python3-torch.\n",
               python(), torch_ref());

    for (int pass = 0; pass < passes; pass++)
        for (int th = 1; th <= 2; th++) {
            blas_set_threads(th);
            sgemm[th - 1] = best_max(sgemm[th - 1], sgemm_rate());
            for (int ci = 0; ci < 2; ci++) {
                OurFigures o = measure_ours(&CONFIGS[ci], th);
                TorchFigures t = torch_ok ? measure_torch(&CONFIGS[ci], th, "speed", NULL)
                                          : (TorchFigures){NAN, NAN};
                OurFigures *bo = &ours[th - 1][ci];
                TorchFigures *bt = &torch[th - 1][ci];
                if (pass == 0) {
                    *bo = o;
                    *bt = t;
                    continue;
                }
                bo->train_ts = best_max(bo->train_ts, o.train_ts);
                bo->gflops = best_max(bo->gflops, o.gflops);
                bo->gen_us = best_min(bo->gen_us, o.gen_us);
                bo->gen_half_us = best_min(bo->gen_half_us, o.gen_half_us);
                bo->gen_q8_us = best_min(bo->gen_q8_us, o.gen_q8_us);
                bt->train_ts = best_max(bt->train_ts, t.train_ts);
                bt->gen_us = best_min(bt->gen_us, t.gen_us);
            }
        }
    /* the per-step products on OpenBLAS instead: (a), one thread */
    if (blas_packed_native()) {
        blas_set_packed_native(0);
        openblas_train = measure_ours(&CONFIGS[0], 1).train_ts;
        blas_set_packed_native(1);
    }
    if (torch_ok)
        printf("  PyTorch: %s (%s), OMP_WAIT_POLICY=PASSIVE\n", torch_version, python());

    /* peak RSS, (a), fresh processes */
    {
        KV kv[4];
        char *av[3] = {self, (char *)(uintptr_t)"--rss", NULL};
        const char *env[2] = {"OPENBLAS_NUM_THREADS=1", NULL};
        int n = run_child(av, env, kv, 4);
        if (n > 0)
            rss_ours = (long)kv_num(kv, n, "vmhwm_kib");
        if (torch_ok)
            measure_torch(&CONFIGS[0], 1, "rss", &rss_torch);
    }
    /* OpenBLAS' Haswell kernels */
    {
        KV kv[16];
        char *av[3] = {self, (char *)(uintptr_t)"--ours", NULL};
        const char *env[2] = {"OPENBLAS_CORETYPE=Haswell", NULL};
        int n = run_child(av, env, kv, 16);
        if (n > 0) {
            haswell_ok = true;
            for (int th = 1; th <= 2; th++)
                for (int ci = 0; ci < 2; ci++) {
                    char key[64];
                    snprintf(key, sizeof key, "%s_%d_train_ts_per_s", CONFIGS[ci].name, th);
                    hz_train[th - 1][ci] = kv_num(kv, n, key);
                    snprintf(key, sizeof key, "%s_%d_gen_us", CONFIGS[ci].name, th);
                    hz_gen[th - 1][ci] = kv_num(kv, n, key);
                }
            printf("  Haswell run: %s, sgemm 1024^3 %.0f GFLOP/s on 1 thread\n",
                   kv_str(kv, n, "blas"), kv_num(kv, n, "sgemm_1"));
        }
    }
    batches = ryans_batches(&windows, &positions);

    printf("  sgemm 1024^3: %.0f GFLOP/s on 1 thread, %.0f on 2\n\n", sgemm[0], sgemm[1]);
    printf("  %-34s %12s %12s %8s   %s\n", "", "reel", "PyTorch", "ratio", "target");
    for (int ci = 0; ci < 2; ci++) {
        const Config *cf = &CONFIGS[ci];
        printf("  (%s) %d-in multi-hot, %dx%d, window %d, batch %d\n", cf->name, cf->n_in,
               cf->layers, cf->hidden, cf->T, cf->B);
        for (int th = 1; th <= 2; th++) {
            OurFigures *o = &ours[th - 1][ci];
            TorchFigures *t = &torch[th - 1][ci];
            double r = o->train_ts / t->train_ts, g = t->gen_us / o->gen_us;
            double tg = 2.0 * o->mac_per_step * t->train_ts * 1e-9;
            char tgt[64];
            snprintf(tgt, sizeof tgt, ">= %.1fx", cf->train_target);
            printf("    train, %d thread%s %16.0f %12.0f %7.2fx   %s%s%s\n", th, th > 1 ? "s" : " ",
                   o->train_ts, t->train_ts, r, th == 1 ? tgt : "",
                   th == 1 && torch_ok ? "  " : "", th == 1 && torch_ok ? verdict(r >= cf->train_target) : "");
            printf("      time steps/s; GFLOP/s (of sgemm) %5.0f (%3.0f%%) %5.0f (%3.0f%%)\n", o->gflops,
                   100 * o->gflops / sgemm[th - 1], tg, 100 * tg / sgemm[th - 1]);
            printf("    generation step, %d thread%s %7.1f us %9.1f us %7.2fx   <= %.0f us  %s\n", th,
                   th > 1 ? "s" : " ", o->gen_us, t->gen_us, g, cf->gen_target_us,
                   verdict(o->gen_us <= cf->gen_target_us));
            printf("    generation step, fp16 weights %7.1f us %9s %7.2fx   <= %.0f us  %s\n",
                   o->gen_half_us, "", t->gen_us / o->gen_half_us, cf->gen_target_us,
                   verdict(o->gen_half_us <= cf->gen_target_us));
            if (!isnan(o->gen_q8_us))
                printf("    generation step, int8 weights %7.1f us %9s %7.2fx   <= %.0f us  %s  (reel generate's default)\n",
                       o->gen_q8_us, "", t->gen_us / o->gen_q8_us, cf->gen_target_us,
                       verdict(o->gen_q8_us <= cf->gen_target_us));
        }
    }
    if (rss_ours > 0)
        printf("  (a) peak RSS (train + generate)  %9.1f MiB %8.1f MiB %7.2fx   <= 40 MiB  %s\n",
               rss_ours / 1024.0, rss_torch / 1024.0, (double)rss_torch / rss_ours,
               verdict(rss_ours <= 40 * 1024));
    else
        printf("  (a) peak RSS: the measuring process (%s --rss) failed\n", self);
    if (!isnan(openblas_train))
        printf("\n  (a) 1 thread with the per-step products on OpenBLAS: %.0f time steps/s; reel's kernel %.2fx that\n",
               openblas_train, ours[0][0].train_ts / openblas_train);
    if (haswell_ok) {
        printf("\n  OPENBLAS_CORETYPE=Haswell against the default kernels (reel only, ratio > 1: Haswell faster)\n");
        for (int ci = 0; ci < 2; ci++)
            for (int th = 1; th <= 2; th++)
                printf("    (%s) %d thread%s train %8.0f time steps/s (%.2fx)   generation %7.1f us (%.2fx)\n",
                       CONFIGS[ci].name, th, th > 1 ? "s" : " ", hz_train[th - 1][ci],
                       hz_train[th - 1][ci] / ours[th - 1][ci].train_ts, hz_gen[th - 1][ci],
                       ours[th - 1][ci].gen_us / hz_gen[th - 1][ci]);
    }
    if (batches > 0) {
        printf("\n  Ryan's collection as roll13, config (a): %ld predictions, %ld windows of 64, %ld batches of 32\n",
               positions, windows, batches);
        for (int th = 1; th <= 2; th++)
            printf("    about %.0f s per epoch on %d thread%s (reel), %.0f s (PyTorch)\n",
                   batches * 64.0 * 32.0 / ours[th - 1][0].train_ts, th, th > 1 ? "s" : "",
                   batches * 64.0 * 32.0 / torch[th - 1][0].train_ts);
    } else {
        printf("\n  Ryan's collection not found under REEL_CORPUS: no seconds per epoch\n");
    }
    return 0;
}
