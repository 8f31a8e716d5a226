/* bench_generate.c — how fast the shipped models generate (issue 13).
 *
 * Target: a generation step of the form models (fiddle-form, pop909-form:
 * 729 inputs, 135 outputs) within 10% of fiddle-lookback's (the default
 * before them: 397 inputs, 132 outputs).  Measured: microseconds per
 * gen_step from a rests prime, primed again at an end of tune or after 4000
 * rows, 20000 steps a round; the models take turns round by round and each
 * keeps its best of 5 (the machine is shared, so the best is the least
 * disturbed).  Also the whole of a 16-bar `reel generate` request
 * (genreq_run), closed (the default for tune-event models: strain ends
 * redrawn) and cut, the median of 9.  Printed with the CPU and the weights
 * each step read (int8 with AVX-512 VNNI, else fp16: generate.h).
 * Models are looked for in models/ (run from the top of the tree); a model
 * that is not there is skipped and said.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "generate.h"
#include "genrequest.h"
#include "model.h"

#define STEPS 20000
#define ROUNDS 5
#define MAX_ROWS 4000
#define REQUESTS 9
#define TARGET_RATIO 1.10

static const char *const NAMES[] = {"fiddle-lookback", "fiddle-form", "pop909-melody",
                                    "pop909-form"};
#define N_MODELS (int)(sizeof NAMES / sizeof NAMES[0])

typedef struct {
    Model m;
    Generator *g;
    bool ok;
    double best_us;
    double closed_ms, cut_ms;
} Bench;

static void cpu_name(char *out, size_t size)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(out, size, "unknown CPU");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(out, size, "%s", strchr(line, ':') + 2);
            out[strcspn(out, "\n")] = '\0';
            break;
        }
    if (f)
        fclose(f);
}

static double round_us(Generator *g)
{
    ReelError err;
    double t0 = now_sec();
    if (gen_prime_rests(g, 1, NULL, NULL, &err))
        return 1e9;
    for (long s = 0; s < STEPS; s++) {
        if ((gen_ended(g) || gen_rows(g) > MAX_ROWS) && gen_prime_rests(g, 1, NULL, NULL, &err))
            return 1e9;
        if (gen_step(g, &err))
            return 1e9;
    }
    return (now_sec() - t0) / STEPS * 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median milliseconds of REQUESTS 16-bar requests (seeds 1..). */
static double request_ms(const Model *m, bool cut)
{
    double t[REQUESTS];
    Prime p;
    ReelError err;
    GenRequest rq = genreq_defaults();
    rq.bars = 16;
    rq.cut = cut;
    rq.model_path = "bench";
    if (prime_init(&p, "rests", -1, &err))
        return -1;
    for (int i = 0; i < REQUESTS; i++) {
        GenResult r;
        double t0 = now_sec();
        rq.seed = (uint64_t)(i + 1);
        if (genreq_run(&rq, m, &p, &r, &err)) {
            genreq_free(&r);
            prime_free(&p);
            return -1;
        }
        t[i] = (now_sec() - t0) * 1e3;
        genreq_free(&r);
    }
    prime_free(&p);
    qsort(t, REQUESTS, sizeof *t, cmp_double);
    return t[REQUESTS / 2];
}

static const char *weights_name(NetWeights w)
{
    return w == NET_W_I8 ? "int8" : w == NET_W_F16 ? "fp16" : "float";
}

int main(void)
{
    Bench b[N_MODELS];
    char cpu[256];
    int rc = 0;
    cpu_name(cpu, sizeof cpu);
    printf("bench_generate: generation speed of the shipped models, one thread\n  CPU: %s\n", cpu);
    for (int i = 0; i < N_MODELS; i++) {
        char path[256];
        ReelError err;
        memset(&b[i], 0, sizeof b[i]);
        b[i].best_us = 1e9;
        model_init(&b[i].m);
        snprintf(path, sizeof path, "models/%s.reel", NAMES[i]);
        if (model_load(&b[i].m, path, 0, 0, &err) || gen_new(&b[i].g, &b[i].m, NULL, 1, &err)) {
            printf("  %s: skipped (%s)\n", NAMES[i], err.msg);
            continue;
        }
        b[i].ok = true;
    }
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < N_MODELS; i++)
            if (b[i].ok) {
                double us = round_us(b[i].g);
                b[i].best_us = us < b[i].best_us ? us : b[i].best_us;
            }
    printf("  %-16s %5s %5s %8s %12s %11s %9s\n", "model", "in", "out", "weights", "us/step",
           "16 bars cut", "closed");
    for (int i = 0; i < N_MODELS; i++) {
        if (!b[i].ok)
            continue;
        b[i].cut_ms = request_ms(&b[i].m, true);
        b[i].closed_ms = request_ms(&b[i].m, false);
        printf("  %-16s %5d %5d %8s %9.2f us %8.1f ms %6.1f ms\n", NAMES[i], b[i].m.net.n_in,
               b[i].m.net.n_out, weights_name(gen_weights(b[i].g)), b[i].best_us, b[i].cut_ms,
               b[i].closed_ms);
    }
    if (b[0].ok)
        for (int i = 1; i < N_MODELS; i++) {
            double ratio;
            if (!b[i].ok || !strstr(NAMES[i], "form"))
                continue;
            ratio = b[i].best_us / b[0].best_us;
            printf("  %s per step: %.2fx fiddle-lookback's (target <= %.2fx): %s\n", NAMES[i],
                   ratio, TARGET_RATIO, ratio <= TARGET_RATIO ? "met" : "NOT MET");
            rc |= ratio > TARGET_RATIO;
        }
    for (int i = 0; i < N_MODELS; i++) {
        gen_free(b[i].g);
        model_free(&b[i].m);
    }
    return rc;
}
