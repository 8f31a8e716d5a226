/* genrequest.c — one generation request (genrequest.h). */
#include "genrequest.h"

#include <stdio.h>
#include <string.h>

#include "closing.h"
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

const char *genreq_prime_desc(const Model *m, const Prime *p)
{
    return p->kind == PRIME_RESTS && enc_end_label(&m->enc) >= 0
               ? "the model's start of a tune (no rests)"
               : p->desc;
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
             so->top_p < 1.0f ? "" : " (off)", (unsigned long long)rq->seed,
             genreq_prime_desc(m, p), len,
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
        snprintf(buf + n, size - n, ", closed (strain ends and the last bar drawn again to "
                 "end on the tonic)");
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

/* Each strain and the last bar closed (closing.h). */
static ReelStatus close_tune(const GenRequest *rq, Generator *g, GenResult *out, ReelError *err)
{
    ReelStatus s = closing_tune(g, (int)rq->bars, rq->seed, &out->reached, err);
    out->end_chance = gen_end_chance(g);
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
        if (!rq->cut && !rq->to_cadence && closing_applies(g))
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
