/* test_ui_genwork.c — the studio's generation worker on small random
 * models: a take it makes is the take made on this thread; fifty requests
 * in a row make one take, the newest (the rest are dropped, or stopped
 * within a row; a few may end between two requests); a take priming a long
 * seed stops within a row when a new one is asked for, when it is
 * cancelled, when the model is dropped, and when the worker is freed; the
 * probe's answer is gc_probe's, with the same labels. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "genwork.h"
#include "testlib.h"
#include "testtune.h"

static void make_model(Model *m, int hidden, uint64_t wseed)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc = (EncOpts){.kind = ENC_MELODY};
    m->net.hidden = hidden;
    m->net.layers = 2;
    REQUIRE(model_net_for_encoding(&m->enc, m->vocab, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, wseed);
    net_init(m->nn, &r);
    for (size_t i = 0; i < net_n_params(m->nn); i++)
        net_params(m->nn)[i] *= 3.0f; /* choices that depend on the state */
}

/* A seed of n eighth notes walking up and down D major, in 4/4. */
static void seed_of(Tune *t, int n)
{
    static const int scale[] = {62, 64, 66, 67, 69, 71, 73, 74};
    ReelError err;
    tune_init(t);
    for (int i = 0; i < n; i++)
        REQUIRE(tune_add_note(t, i * 2, 2, scale[(i / 8) % 2 ? 7 - i % 8 : i % 8], 80, &err) ==
                REEL_OK, "%s", err.msg);
    tune_add_sig(t, 0, 4, 4, &err);
    tune_add_tempo(t, 0, 500000, &err);
    t->n_steps = n * 2;
}

static GwTake request(int notes, uint64_t rng_seed, int bars)
{
    GwTake r;
    memset(&r, 0, sizeof r);
    seed_of(&r.seed, notes);
    r.so = sample_defaults();
    r.rng_seed = rng_seed;
    r.key = -1;
    r.bars = bars;
    return r;
}

/* The same take made here, decoded. */
static void direct_take(const Model *m, int notes, uint64_t rng_seed, int bars, Tune *out)
{
    GenCtl gc;
    Tune seed;
    ReelError err;
    GenSpan span;
    SampleOpts so = sample_defaults();
    seed_of(&seed, notes);
    REQUIRE(gc_init(&gc, m, &so, rng_seed, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gc_prime(&gc, &seed, &seed, &err) == REEL_OK, "%s", err.msg);
    gc_set_target(&gc, gc_bars_end(&gc, bars));
    while (gc_pending(&gc))
        REQUIRE(gc_work(&gc, 1.0, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gc_decode(&gc, out, &span, &err) == REEL_OK, "%s", err.msg);
    gc_free(&gc);
    tune_free(&seed);
}

/* Wait (at most 60 s) for the newest take; *gc gets it. */
static bool collect(GenWork *w, int wake_fd, GenCtl *gc, ReelStatus *st, ReelError *err)
{
    double t0 = now_sec();
    char junk[64];
    while (now_sec() - t0 < 60) {
        struct pollfd p = {.fd = wake_fd, .events = POLLIN};
        if (gw_take_collect(w, gc, st, err))
            return true;
        poll(&p, 1, 100);
        while (read(wake_fd, junk, sizeof junk) > 0)
            ;
    }
    return false;
}

static unsigned begun(GenWork *w)
{
    return atomic_load(&w->take_seen);
}

int main(void)
{
    Model m, big;
    GenWork w;
    GenCtl gc;
    ReelError err;
    ReelStatus st = REEL_OK;
    SampleOpts so = sample_defaults();
    int fds[2];
    Tune got, want;
    GenSpan span;

    REQUIRE(pipe(fds) == 0, "pipe");
    for (int i = 0; i < 2; i++)
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    make_model(&m, 16, 7);
    REQUIRE(gc_init(&gc, &m, &so, 1, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gw_init(&w, fds[1], &err), "%s", err.msg);
    REQUIRE(gw_set_model(&w, &m, &so, 1, &err) == REEL_OK, "%s", err.msg);
    CHECK(!gw_take_pending(&w), "nothing asked yet");

    /* one take: the worker's is the take made here */
    {
        GwTake r = request(16, 42, 8);
        gw_take_request(&w, &r);
        CHECK(r.seed.notes == NULL && r.seed.n_notes == 0, "the request's seed is taken over");
        CHECK(gw_take_pending(&w), "pending once asked");
        REQUIRE(collect(&w, fds[0], &gc, &st, &err), "the take came");
        CHECK(st == REEL_OK, "made: %s", err.msg);
        CHECK(!gw_take_pending(&w), "collected");
        CHECK(gc.start == 32 && gc_time(&gc) == gc_bars_end(&gc, 8) && !gc_pending(&gc),
              "the seed's end and 8 bars (start %d, time %d)", (int)gc.start, (int)gc_time(&gc));
        REQUIRE(gc_decode(&gc, &got, &span, &err) == REEL_OK, "%s", err.msg);
        direct_take(&m, 16, 42, 8, &want);
        CHECK(same_notes(&got, &want), "the worker's take is the one made here (%d and %d notes)",
              (int)got.n_notes, (int)want.n_notes);
        tune_free(&got);
        tune_free(&want);
        /* the collected take works on this thread: more rows, a resample */
        gc_set_target(&gc, gc_bars_end(&gc, 10));
        while (gc_pending(&gc) && st == REEL_OK)
            st = gc_work(&gc, 1.0, NULL, &err);
        CHECK(st == REEL_OK && gc_time(&gc) == gc_bars_end(&gc, 10), "the take grows here: %s",
              err.msg);
        CHECK(gc_resample_from(&gc, 64, &err) == 64, "and resamples here");
    }

    /* fifty requests in a row: one take made from the newest */
    {
        unsigned made0 = w.takes_made, stopped0 = w.takes_stopped, ended;
        for (int i = 1; i <= 50; i++) {
            GwTake r = request(400, (uint64_t)i, 8);
            gw_take_request(&w, &r);
        }
        REQUIRE(collect(&w, fds[0], &gc, &st, &err), "the take came");
        CHECK(st == REEL_OK, "made: %s", err.msg);
        REQUIRE(gc_decode(&gc, &got, &span, &err) == REEL_OK, "%s", err.msg);
        direct_take(&m, 400, 50, 8, &want);
        CHECK(same_notes(&got, &want), "the take is the newest request's");
        tune_free(&got);
        tune_free(&want);
        pthread_mutex_lock(&w.mu);
        ended = w.takes_made - made0 + w.takes_stopped - stopped0;
        pthread_mutex_unlock(&w.mu);
        /* begun and stopped within a row, or never begun: a few made at most */
        CHECK(ended >= 1 && ended <= 50 && w.takes_made - made0 <= 5,
              "50 requests: %u takes begun, %u of them made", ended, w.takes_made - made0);
        printf("test_ui_genwork: 50 requests in a row: %u takes begun, %u made\n", ended,
               w.takes_made - made0);
    }

    /* a long seed priming stops within a row for a newer request */
    make_model(&big, 256, 9);
    {
        GenCtl g2;
        unsigned stopped0;
        double t0;
        REQUIRE(gw_set_model(&w, &big, &so, 1, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(gc_init(&g2, &big, &so, 1, &err) == REEL_OK, "%s", err.msg);
        stopped0 = w.takes_stopped;
        {
            GwTake r = request(16000, 3, 8); /* 32,000 steps: seconds of priming */
            unsigned serial = gw_take_request(&w, &r);
            t0 = now_sec();
            while (begun(&w) != serial && now_sec() - t0 < 10)
                usleep(1000);
            CHECK(begun(&w) == serial, "the long take was begun");
        }
        usleep(20000);
        {
            GwTake r = request(8, 4, 2);
            gw_take_request(&w, &r);
        }
        REQUIRE(collect(&w, fds[0], &g2, &st, &err), "the short take came");
        CHECK(st == REEL_OK && g2.start == 16, "the short take is the one collected (start %d)",
              (int)g2.start);
        CHECK(w.takes_stopped == stopped0 + 1, "the long one was stopped (%u stopped)",
              w.takes_stopped - stopped0);
        printf("test_ui_genwork: a long prime gave way to a new take after %.0f ms\n",
               (now_sec() - t0) * 1000);

        /* cancelled (the seed changed): the take under way stops, none comes */
        {
            GwTake r = request(16000, 8, 8);
            unsigned serial = gw_take_request(&w, &r);
            t0 = now_sec();
            while (begun(&w) != serial && now_sec() - t0 < 10)
                usleep(1000);
            gw_take_cancel(&w);
            CHECK(!gw_take_pending(&w), "nothing pending once cancelled");
            t0 = now_sec();
            pthread_mutex_lock(&w.mu);
            while (w.takes_stopped < stopped0 + 2 && now_sec() - t0 < 10) {
                pthread_mutex_unlock(&w.mu);
                usleep(1000);
                pthread_mutex_lock(&w.mu);
            }
            pthread_mutex_unlock(&w.mu);
            CHECK(w.takes_stopped == stopped0 + 2, "the cancelled take was stopped");
            CHECK(!gw_take_collect(&w, &g2, &st, &err), "and none is collected");
            stopped0++;
        }

        /* dropping the model, and freeing the worker, stop a take under way */
        {
            GwTake r = request(16000, 5, 8);
            unsigned serial = gw_take_request(&w, &r);
            t0 = now_sec();
            while (begun(&w) != serial && now_sec() - t0 < 10)
                usleep(1000);
        }
        t0 = now_sec();
        gw_drop_model(&w);
        CHECK(!gw_take_pending(&w), "nothing pending after the model is dropped");
        CHECK(w.takes_stopped == stopped0 + 2, "the take under way was stopped");
        printf("test_ui_genwork: dropping the model took %.1f ms\n", (now_sec() - t0) * 1000);
        {
            GwTake r = request(8, 4, 2);
            gw_take_request(&w, &r); /* no model: nothing happens */
            usleep(20000);
            CHECK(!gw_take_collect(&w, &g2, &st, &err), "no take without a model");
        }
        REQUIRE(gw_set_model(&w, &big, &so, 1, &err) == REEL_OK, "%s", err.msg);
        {
            GwTake r = request(16000, 6, 8);
            unsigned serial = gw_take_request(&w, &r);
            t0 = now_sec();
            while (begun(&w) != serial && now_sec() - t0 < 10)
                usleep(1000);
        }
        gc_free(&g2);
    }
    gw_free(&w); /* with a take under way */
    CHECK(w.running == false && w.inited == false, "freed");

    /* the probe: gc_probe's answer, with its labels */
    REQUIRE(gw_init(&w, fds[1], &err), "%s", err.msg);
    REQUIRE(gw_set_model(&w, &m, &so, 1, &err) == REEL_OK, "%s", err.msg);
    gc_free(&gc);
    REQUIRE(gc_init(&gc, &m, &so, 1, &err) == REEL_OK, "%s", err.msg);
    for (int steps = 0; steps <= 24; steps += 12) {
        Tune up, up2;
        GwProbe pr;
        GwAnswer a = GW_WAITING;
        const GcDist *d;
        double t0 = now_sec();
        char label[32];
        seed_of(&up, steps / 2);
        seed_of(&up2, steps / 2);
        CHECK(gw_probe_get(&w, up.n_steps, 99, &pr) == GW_NOT_ASKED, "not asked yet");
        gw_probe_request(&w, &up, 99, &so, -1);
        CHECK(up.n_notes == 0 && up.notes == NULL, "the melody is taken over");
        while ((a = gw_probe_get(&w, up2.n_steps, 99, &pr)) == GW_WAITING && now_sec() - t0 < 10)
            usleep(1000);
        CHECK(a == GW_READY, "the probe answered (%d)", (int)a);
        CHECK(gw_probe_get(&w, up2.n_steps, 98, &pr) == GW_NOT_ASKED, "another key: not asked");
        d = gc_probe(&gc, &up2, 1);
        REQUIRE(d != NULL, "gc_probe answers");
        CHECK(a == GW_READY && pr.d.n == d->n, "%d choices, gc_probe %d", pr.d.n, d->n);
        for (int i = 0; a == GW_READY && i < d->n && i < pr.d.n; i++) {
            CHECK(pr.d.top[i].cls == d->top[i].cls && pr.d.top[i].p == d->top[i].p,
                  "step %d choice %d: class %d p %g, gc_probe %d %g", steps, i,
                  pr.d.top[i].cls, (double)pr.d.top[i].p, d->top[i].cls, (double)d->top[i].p);
            gc_label(&gc, d, d->top[i].cls, label, sizeof label);
            CHECK(!strcmp(label, pr.label[i]), "label '%s', gc_label '%s'", pr.label[i], label);
        }
        CHECK(gw_fresh(&w) && !gw_fresh(&w), "a fresh answer, once");
        tune_free(&up2);
    }
    gw_free(&w);
    gw_free(&w); /* twice: nothing */
    gc_free(&gc);
    model_free(&m);
    model_free(&big);
    close(fds[0]);
    close(fds[1]);
    TEST_END();
}
