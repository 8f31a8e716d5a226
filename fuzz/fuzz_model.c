/* fuzz_model.c — .reel model files through model_load (the header, the
 * tokens vocabulary with vocab_read, the weight blocks), as `reel info`,
 * `reel generate` and the studio load them (no batch room: 0, 0).
 *
 * The file ends in an FNV-1a checksum line, so almost every mutation would
 * stop at the checksum.  Each input is therefore loaded twice: as it is (the
 * checksum check itself), and re-signed (a trailing checksum line replaced
 * by the right one, or one added) so the fuzzer reaches everything behind
 * it.  model_load reads a path: the bytes go through a file in a private
 * temporary folder.
 *
 * Checked: every failure has a message naming the file; a loaded model has
 * a network of the header's sizes, a vocabulary when it is a tokens model,
 * settings within the limits the loader states (check_settings), and takes
 * one generation step.
 */
#include "fuzz.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define CHECKSUM_LINE 26   /* "checksum %016llx\n", as model.c writes it */

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64, as model.c */
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void step_once(const Model *m)
{
    const NetConfig *c = net_config(m->nn);
    NetState *s = net_state_new(m->nn);
    float *x = calloc((size_t)c->n_in, sizeof *x);
    const float *y;
    if (s && x) {
        y = net_step(m->nn, s, x, 0);
        if (!y)
            fuzz_fail("model: net_step gave no outputs");
    }
    free(x);
    net_state_free(s);
}

/* What model_load promises of the settings training and generation read
 * (issue 14: a header with a right checksum and wrong fields). */
static void check_settings(const Model *m)
{
    const TrainSettings *t = &m->train;
    const TrainProgress *p = &m->progress;
    const OptimConfig *o = &t->optim;
    if (t->window < 1 || t->batch < 1 || t->epochs < 1 || t->threads < 1 || t->threads > 256)
        fuzz_fail("model: loaded with window %d, batch %d, epochs %d, threads %d", t->window,
                  t->batch, t->epochs, t->threads);
    if (!(t->val_split >= 0 && t->val_split <= 0.9f) || !(t->test_split >= 0 && t->test_split <= 0.5f))
        fuzz_fail("model: loaded with val_split %g, test_split %g", (double)t->val_split,
                  (double)t->test_split);
    if (!(o->lr > 0 && o->lr <= 10) || !(o->eps > 0) || !(o->beta1 >= 0 && o->beta1 < 1) ||
        !(o->beta2 >= 0 && o->beta2 < 1) || !(o->rho >= 0 && o->rho < 1) || !(o->clip_norm >= 0))
        fuzz_fail("model: loaded with lr %g, eps %g, beta1 %g, beta2 %g, rho %g, clip %g",
                  (double)o->lr, (double)o->eps, (double)o->beta1, (double)o->beta2,
                  (double)o->rho, (double)o->clip_norm);
    if (p->epoch < 0 || p->batches < 0 || p->batch_in_epoch < 0 || p->batches > (1LL << 53) ||
        !(p->seconds >= 0 && p->seconds <= 1e12))
        fuzz_fail("model: loaded with epoch %d, batches %lld, batch_in_epoch %lld, seconds %g",
                  p->epoch, (long long)p->batches, (long long)p->batch_in_epoch, p->seconds);
    if (!(m->net.dropout >= 0 && m->net.dropout < 1) ||
        !(m->net.rec_dropout >= 0 && m->net.rec_dropout < 1))
        fuzz_fail("model: loaded with dropout %g, recurrent %g", (double)m->net.dropout,
                  (double)m->net.rec_dropout);
}

static void load(const char *path, const uint8_t *data, size_t size)
{
    Model m;
    ReelError err;
    fuzz_write_file(path, data, size);
    if (model_load(&m, path, 0, 0, &err) != REEL_OK) {
        if (!fuzz_has(err.msg, path))
            fuzz_fail("model: the message does not name the file: '%s'", err.msg);
        model_free(&m);
        return;
    }
    if (!m.nn || m.enc.kind < 0 || m.enc.kind >= ENC_COUNT)
        fuzz_fail("model: loaded without a network or with encoding %d", (int)m.enc.kind);
    if ((m.enc.kind == ENC_TOKENS) != (m.vocab != NULL))
        fuzz_fail("model: encoding %s with%s a vocabulary", enc_name(m.enc.kind),
                  m.vocab ? "" : "out");
    if (net_config(m.nn)->hidden != m.net.hidden || net_config(m.nn)->layers != m.net.layers)
        fuzz_fail("model: the network does not have the header's sizes");
    check_settings(&m);
    step_once(&m);
    model_free(&m);
}

int fuzz_model(const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmp_path(0, "fuzz-input.reel");
    size_t body = size;
    uint8_t *signed_copy;
    char line[CHECKSUM_LINE + 1];

    load(path, data, size);

    if (size >= CHECKSUM_LINE && memcmp(data + size - CHECKSUM_LINE, "checksum ", 9) == 0)
        body = size - CHECKSUM_LINE;
    signed_copy = malloc(body + CHECKSUM_LINE);
    if (!signed_copy)
        return 0;
    if (body)
        memcpy(signed_copy, data, body);
    snprintf(line, sizeof line, "checksum %016" PRIx64 "\n", fnv1a(data, body));
    memcpy(signed_copy + body, line, CHECKSUM_LINE);
    load(path, signed_copy, body + CHECKSUM_LINE);
    free(signed_copy);
    return 0;
}
