/* genrequest.c — one generation request (genrequest.h). */
#include "genrequest.h"

#include <stdio.h>
#include <string.h>

#include "keyprofile.h"
#include "rng.h"
#include "version.h"

GenRequest genreq_defaults(void)
{
    GenRequest r;
    memset(&r, 0, sizeof r);
    r.who = "generate";
    r.so = sample_defaults();
    r.weights = NET_W_FAST;
    r.bars = GENREQ_DEFAULT_BARS;
    r.events = -1;
    r.program = -1;
    r.range = range_none();
    r.key = -1;
    return r;
}

int genreq_key(const Model *m, int given, const Tune *prime, uint64_t seed)
{
    TimeSig s = prime ? tune_sig_at(prime, prime->n_steps) : (TimeSig){0, 4, 4};
    int key;
    if (given >= 0 && given < KEYSPREAD_KEYS)
        return given;
    if (prime && prime->n_notes > 0 && (key = enc_tune_key(prime)) >= 0)
        return key;
    if ((key = keyspread_draw(&m->keys, enc_meter_class(s.num, s.den), seed)) >= 0)
        return key;
    return m->enc.cond_key;
}

uint64_t genreq_clock_seed(void)
{
    return rng_clock_seed(1000000000u);
}

static const char *weights_name(NetWeights w)
{
    return w == NET_W_I8 ? "int8" : w == NET_W_F16 ? "fp16" : "float";
}

static void provenance(const GenRequest *rq, const Model *m, const Prime *p, const Generator *g,
                       char *buf, size_t size)
{
    const SampleOpts *so = &rq->so;
    char hex[17];
    size_t n;
    long len = rq->events > 0 ? rq->events : rq->bars;
    model_checksum_hex(m, hex);
    snprintf(buf, size,
             "reel %s %s: model %.400s (%s%s%s, checksum %s), temperature %g, top-k %d%s, "
             "top-p %g%s, seed %llu, prime %s, %ld %s",
             REEL_VERSION, rq->who, rq->model_path, enc_name(m->enc.kind),
             m->enc.plain ? " --plain" : "", m->enc.durations ? " --durations" : "", hex,
             (double)so->temperature, so->top_k, so->top_k ? "" : " (off)", (double)so->top_p,
             so->top_p < 1.0f ? "" : " (off)", (unsigned long long)rq->seed, p->desc, len,
             rq->events > 0 ? (len == 1 ? "event" : "events") : (len == 1 ? "bar" : "bars"));
    if (m->enc.kind == ENC_REGRESS && so->noise != 1.0f) {
        n = strlen(buf);
        snprintf(buf + n, size - n, ", noise %g", (double)so->noise);
    }
    if (gen_roll_mode(g) != SAMPLE_ROLL_AUTO && so->roll != SAMPLE_ROLL_AUTO) {
        n = strlen(buf);
        snprintf(buf + n, size - n, ", %s", gen_roll_mode(g) == SAMPLE_ROLL_MONO ? "mono" : "poly");
    }
    if (rq->events <= 0 && !rq->cut && !rq->to_cadence && enc_end_label(&m->enc) >= 0) {
        n = strlen(buf);
        snprintf(buf + n, size - n, ", closed (the last bar the likeliest end of %d draws)",
                 GENREQ_CLOSE_TRIES);
    }
    if (rq->to_cadence && rq->events <= 0) {
        n = strlen(buf);
        snprintf(buf + n, size - n, " then to the next cadence (at most %d more)",
                 GENREQ_CADENCE_BARS);
    }
    if (enc_form(&m->enc) && m->enc.cond) {
        char key[8];
        n = strlen(buf);
        snprintf(buf + n, size - n, ", key %s", keyprofile_name(gen_key(g), key));
    }
    if (range_known(rq->range)) {
        char r[40];
        n = strlen(buf);
        snprintf(buf + n, size - n, ", range %s", range_name(gen_range(g), r, sizeof r));
    }
    n = strlen(buf);
    snprintf(buf + n, size - n, ", %s weights", weights_name(gen_weights(g)));
}

/* "STEM, seed N" for silence and typed notes, "NAME, continued by STEM" for
 * a file's or corpus's melody. */
static void title(const GenRequest *rq, const Prime *p, char *buf, size_t size)
{
    const char *path = rq->model_path ? rq->model_path : "model";
    const char *s = strrchr(path, '/');
    char stem[256], *dot;
    snprintf(stem, sizeof stem, "%s", s ? s + 1 : path);
    if ((dot = strrchr(stem, '.')) != NULL && dot != stem)
        *dot = '\0';
    if (p->kind == PRIME_RESTS || p->kind == PRIME_NOTES || !p->tune.name)
        snprintf(buf, size, "%s, seed %llu", stem, (unsigned long long)rq->seed);
    else
        snprintf(buf, size, "%s, continued by %s", p->tune.name, stem);
}

static ReelStatus prime_generator(Generator *g, const Prime *p, GenResult *out, ReelError *err)
{
    if (p->kind == PRIME_RESTS)
        return gen_prime_rests(g, prime_rest_bars(p), &p->tune, &out->info, err);
    return gen_prime_tune(g, &p->tune, &out->info, err);
}

/* Bar by bar past rq->bars until the bar line at out->end has a cadence, or
 * GENREQ_CADENCE_BARS more bars were made. */
static ReelStatus to_cadence(const GenRequest *rq, Generator *g, GenResult *out, ReelError *err)
{
    ReelStatus s = REEL_OK;
    for (;;) {
        Tune t;
        if ((s = gen_tune(g, out->end, &t, NULL, err)))
            return s;
        out->cadence = cadence_at(&t, out->end, &out->cad);
        tune_free(&t);
        if (out->cadence || out->extra_bars >= GENREQ_CADENCE_BARS)
            return REEL_OK;
        out->extra_bars++;
        out->end = gen_bars_end(g, (int)rq->bars + out->extra_bars);
        if ((s = gen_until(g, out->end, 0, &out->reached, err)) || !out->reached)
            return s;
    }
}

/* The seed of the k-th draw of the last bar. */
static uint64_t close_seed(uint64_t seed, int k)
{
    Rng r;
    rng_seed(&r, seed ^ 0x636c6f7365ULL ^ ((uint64_t)k << 40));
    return rng_u64(&r);
}

/* How well a draw closes the tune at step end: 2 a cadence (cadence.h:
 * the tonic held a beat), 1 the last note on the tonic, 0 neither; the
 * model's own chance of its end breaks ties. */
typedef struct {
    int tier;
    double chance;
} Close;

static bool better(Close a, Close b)
{
    return a.tier != b.tier ? a.tier > b.tier : a.chance > b.chance;
}

/* One draw from snapshot `at`: on to step `from` with the seed numbered 0
 * (the same bars every time), then to step end with the k-th seed; k < 0:
 * the generator's own draws all the way, as if nothing were chosen. */
static ReelStatus draw_end(Generator *g, const GenSnapshot *at, uint64_t seed, int32_t from,
                           int k, int32_t end, Close *c, ReelError *err)
{
    ReelStatus s;
    Tune t;
    Cadence cad;
    if ((s = gen_restore(g, at, err)))
        return s;
    if (k >= 0) {
        gen_reseed(g, close_seed(seed, 0));
        if ((s = gen_until(g, from, 0, NULL, err)))
            return s;
        gen_reseed(g, close_seed(seed, k));
    }
    if ((s = gen_until(g, end, 0, NULL, err)) || (s = gen_tune(g, end, &t, NULL, err)))
        return s;
    c->tier = cadence_at(&t, end, &cad) ? 2
              : cad.last_pitch >= 0 && cad.tonic >= 0 && cad.last_pitch % 12 == cad.tonic ? 1
                                                                                             : 0;
    c->chance = gen_end_chance(g);
    tune_free(&t);
    return REEL_OK;
}

/* Close bar `bar` (1-based, counted after the prime): up to
 * GENREQ_CLOSE_BARS bars before its end, then the last bar chosen among
 * the generator's own draw and GENREQ_CLOSE_TRIES more, and while none ends
 * on the tonic the last 2, then 4 bars among as many more (genrequest.h:
 * cut).  When its own draw ends the tune, that is kept: the model ended it
 * by itself.  Every draw starts from the same snapshot; the one kept is
 * drawn again. */
static ReelStatus close_at(const GenRequest *rq, Generator *g, int bar, GenResult *out,
                           ReelError *err)
{
    const int K = GENREQ_CLOSE_TRIES;
    int back = bar < GENREQ_CLOSE_BARS ? bar : GENREQ_CLOSE_BARS;
    int32_t end = gen_bars_end(g, bar);
    int32_t start = back < bar ? gen_bars_end(g, bar - back) : gen_time(g);
    GenSnapshot *at;
    ReelStatus s;
    Close best = {-1, -1.0}, kept = {0, 0.0};
    int32_t best_from = 0;
    int best_k = 0, k = 1 + 3 * K * bar;
    if ((s = gen_until(g, start, 0, &out->reached, err)) || !out->reached || gen_ended(g))
        return s;
    if (!(at = gen_snapshot_new(g)))
        return reel_fail(err, REEL_ENOMEM, "out of memory closing the tune");
    if (!(s = draw_end(g, at, rq->seed, end, -1, end, &best, err)) && gen_ended(g))
        goto done;
    best_k = -1;
    for (int r = 1; r <= back && best.tier <= 0 && !s; r *= 2) {
        int32_t from = r < bar ? gen_bars_end(g, bar - r) : gen_time(g);
        for (int i = 0; i < K && !s; i++, k++) {
            Close c;
            if (!(s = draw_end(g, at, rq->seed, from, k, end, &c, err)) && better(c, best)) {
                best = c;
                best_from = from;
                best_k = k;
            }
        }
    }
    if (!s)
        s = draw_end(g, at, rq->seed, best_from, best_k, end, &kept, err);
done:
    out->end_chance = gen_end_chance(g);
    out->reached = !s && gen_time(g) >= end;
    gen_snapshot_free(at);
    return s;
}

/* Each strain (GENREQ_STRAIN_BARS bars) closed, and the last bar. */
static ReelStatus close_tune(const GenRequest *rq, Generator *g, GenResult *out, ReelError *err)
{
    ReelStatus s = REEL_OK;
    out->reached = true;
    for (long b = GENREQ_STRAIN_BARS; b < rq->bars && !s && out->reached && !gen_ended(g);
         b += GENREQ_STRAIN_BARS)
        s = close_at(rq, g, (int)b, out, err);
    if (!s && out->reached && !gen_ended(g))
        s = close_at(rq, g, (int)rq->bars, out, err);
    out->closed = !s;
    return s;
}

static ReelStatus generate(const GenRequest *rq, Generator *g, GenResult *out, ReelError *err)
{
    ReelStatus s;
    out->end = -1;
    if (rq->events > 0) {
        s = gen_steps(g, (int32_t)rq->events, err);
        out->reached = true;
    } else {
        out->end = gen_bars_end(g, (int)rq->bars);
        if (!rq->cut && !rq->to_cadence && gen_end_chance(g) >= 0.0)
            s = close_tune(rq, g, out, err);
        else
            s = gen_until(g, out->end, 0, &out->reached, err);
        if (!s && out->reached && rq->to_cadence)
            s = to_cadence(rq, g, out, err);
    }
    out->time = gen_time(g);
    return s;
}

static ReelStatus decode(const GenRequest *rq, const Model *m, const Prime *p, Generator *g,
                         GenResult *out, ReelError *err)
{
    char part[64];
    ReelStatus s = gen_tune(g, out->end, &out->tune, &out->span, err);
    if (s)
        return s;
    if (rq->program > 0)
        out->tune.program = rq->program - 1;
    else if (out->tune.program < 0)
        out->tune.program = m->enc.kind == ENC_ROLL128 || m->enc.kind == ENC_TOKENS ? 0 : 40;
    provenance(rq, m, p, g, out->provenance, sizeof out->provenance);
    title(rq, p, out->title, sizeof out->title);
    snprintf(part, sizeof part, "reel %s", rq->who);
    return tune_set_strings(&out->tune, out->title, NULL, part, err);
}

ReelStatus genreq_run(const GenRequest *rq, const Model *m, const Prime *p, GenResult *out,
                      ReelError *err)
{
    Generator *g = NULL;
    ReelStatus s;
    memset(out, 0, sizeof *out);
    tune_init(&out->tune);
    out->stage = GENREQ_SETUP;
    if ((s = gen_new(&g, m, &rq->so, rq->seed, err)))
        return s;
    if (rq->weights != NET_W_FAST)
        gen_set_weights(g, rq->weights);
    if ((s = gen_set_range(g, rq->range, err)))
        goto done;
    if (rq->key >= 0)
        gen_set_key(g, rq->key);
    out->stage = GENREQ_PRIME;
    if ((s = prime_generator(g, p, out, err)))
        goto done;
    out->stage = GENREQ_GENERATE;
    if ((s = generate(rq, g, out, err)))
        goto done;
    out->stage = GENREQ_DECODE;
    if ((s = decode(rq, m, p, g, out, err)))
        goto done;
    out->stage = GENREQ_DONE;
done:
    gen_free(g);
    return s;
}

void genreq_free(GenResult *r)
{
    tune_free(&r->tune);
}
