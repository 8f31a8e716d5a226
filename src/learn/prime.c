/* prime.c — the prime a model continues (prime.h). */
#include "prime.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "corpus.h"
#include "generate.h"
#include "rng.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* A file that exists, or a name that says it is one (so a missing file is
 * named as such, not read as notes). */
static bool names_file(const char *p)
{
    static const char *const exts[] = {".mid", ".midi", ".smf", ".kar", ".abc"};
    struct stat st;
    if (stat(p, &st) == 0 && !S_ISDIR(st.st_mode))
        return true;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (ends_with(p, exts[i]))
            return true;
    return false;
}

ReelStatus prime_init(Prime *p, const char *arg, long bars, ReelError *err)
{
    memset(p, 0, sizeof *p);
    tune_init(&p->tune);
    p->arg = arg;
    p->bars = bars;
    if (strcmp(arg, "rests") == 0) {
        p->kind = PRIME_RESTS;
        snprintf(p->desc, sizeof p->desc, "rests (%ld bar%s)", bars > 0 ? bars : 1,
                 bars > 1 ? "s" : "");
        return REEL_OK;
    }
    if (strncmp(arg, "corpus:", 7) == 0) {
        p->kind = PRIME_CORPUS;
        p->dir = arg + 7;
        return REEL_OK;
    }
    if (names_file(arg)) {
        p->kind = PRIME_FILE;
        return REEL_OK;
    }
    p->kind = PRIME_NOTES;
    snprintf(p->desc, sizeof p->desc, "notes \"%.400s%s\"", arg, strlen(arg) > 400 ? "..." : "");
    return gen_parse_notes(arg, &p->tune, err);
}

static ReelStatus load_file(Prime *p, ReelError *err)
{
    Tune whole;
    ReelError e;
    ReelStatus s = corpus_load_tune(p->arg, NULL, 1, &whole, err);
    if (s)
        return s;
    s = gen_excerpt(&whole, 0, p->bars > 0 ? (int32_t)p->bars : 0, &p->tune, &e);
    tune_free(&whole);
    if (s)
        return reel_fail(err, s, "%s: %s", p->arg, e.msg);
    if (p->bars > 0)
        snprintf(p->desc, sizeof p->desc, "%.500s, first %ld bar%s", p->arg, p->bars,
                 p->bars > 1 ? "s" : "");
    else
        snprintf(p->desc, sizeof p->desc, "%.500s", p->arg);
    return REEL_OK;
}

static ReelStatus load_corpus(Prime *p, uint64_t seed, ReelError *err)
{
    const char *paths[1] = {p->dir};
    long nb = p->bars > 0 ? p->bars : PRIME_CORPUS_BARS;
    int32_t which = 0, bar = 0;
    Corpus c;
    Rng r;
    ReelError e;
    ReelStatus s;
    const Tune *t;
    corpus_init(&c);
    if ((s = corpus_load(&c, paths, 1, NULL, &e)))
        goto fail;
    rng_seed(&r, seed ^ 0x5eed5eed5eedull);
    if ((s = gen_corpus_excerpt(&c, (int32_t)nb, &r, &p->tune, &which, &bar, &e)))
        goto fail;
    t = &c.tunes[which];
    snprintf(p->desc, sizeof p->desc, "corpus %.300s: bars %ld-%ld of %.200s", p->dir,
             (long)bar + 1, (long)bar + nb, t->source ? t->source : t->name ? t->name : "?");
    corpus_free(&c);
    return REEL_OK;
fail:
    corpus_free(&c);
    return reel_fail(err, s, "%s: %s", p->arg, e.msg);
}

ReelStatus prime_load(Prime *p, uint64_t seed, ReelError *err)
{
    if (p->kind == PRIME_FILE)
        return load_file(p, err);
    if (p->kind == PRIME_CORPUS)
        return load_corpus(p, seed, err);
    return REEL_OK;
}

ReelStatus prime_shape(Prime *p, int num, int den, double bpm, ReelError *err)
{
    ReelStatus s;
    if (p->kind == PRIME_NOTES && p->bars > 0) {
        Tune cut;
        if (num > 0 && (s = tune_set_meter(&p->tune, num, den, err)))
            return s;
        if ((s = gen_excerpt(&p->tune, 0, (int32_t)p->bars, &cut, err)))
            return s;
        tune_free(&p->tune);
        p->tune = cut;
    }
    if (num > 0 && (s = tune_set_meter(&p->tune, num, den, err)))
        return s;
    if (bpm > 0 && (s = tune_set_bpm(&p->tune, bpm, err)))
        return s;
    if (p->kind != PRIME_RESTS && p->tune.n_steps > PRIME_MAX_STEPS)
        return reel_fail(err, REEL_EUNSUPPORTED,
                         "the prime is %ld 16th steps long; reel primes with at most %d (take "
                         "its first bars with --prime-bars N)", (long)p->tune.n_steps,
                         PRIME_MAX_STEPS);
    return REEL_OK;
}

int prime_rest_bars(const Prime *p)
{
    return p->bars > 0 ? (int)p->bars : 1;
}

void prime_free(Prime *p)
{
    tune_free(&p->tune);
}
