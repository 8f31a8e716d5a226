/* awake.c — wall time without the time the process was suspended (awake.h). */
#include "awake.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"

struct Awake {
    pthread_t thread;
    bool running;
    atomic_bool quit;
    double t0;
    _Atomic long long lost_ns;   /* suspended time found so far */
};

static void *watch(void *arg)
{
    Awake *a = arg;
    struct timespec tick = {0, AWAKE_TICK_MS * 1000000L};
    uint64_t last = now_ns();
    while (!atomic_load(&a->quit)) {
        uint64_t t;
        nanosleep(&tick, NULL);
        t = now_ns();
        if (t - last > (uint64_t)AWAKE_GAP_MS * 1000000u)
            atomic_fetch_add(&a->lost_ns, (long long)(t - last) - AWAKE_TICK_MS * 1000000LL);
        last = t;
    }
    return NULL;
}

Awake *awake_start(void)
{
    Awake *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->t0 = now_sec();
    atomic_init(&a->quit, false);
    atomic_init(&a->lost_ns, 0);
    a->running = pthread_create(&a->thread, NULL, watch, a) == 0;
    return a;
}

double awake_suspended(const Awake *a)
{
    return a ? (double)atomic_load(&a->lost_ns) * 1e-9 : 0.0;
}

double awake_sec(const Awake *a)
{
    return a ? now_sec() - a->t0 - awake_suspended(a) : 0.0;
}

void awake_stop(Awake *a)
{
    if (!a)
        return;
    atomic_store(&a->quit, true);
    if (a->running)
        pthread_join(a->thread, NULL);
    free(a);
}
