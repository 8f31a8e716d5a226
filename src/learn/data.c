/* data.c — see data.h. */
#include "data.h"

#include <stdlib.h>
#include <string.h>

void data_free(Dataset *d)
{
    if (!d)
        return;
    free(d->start);
    free(d->bits);
    free(d->vals);
    free(d->ids);
    free(d->bar_pos);
    free(d->bar_len);
    free(d->src);
    memset(d, 0, sizeof *d);
}

static void add_stats(EncStats *a, const EncStats *b)
{
    a->notes += b->notes;
    a->shifted += b->shifted;
    a->folded += b->folded;
    a->dropped += b->dropped;
    a->unknown += b->unknown;
    a->resized += b->resized;
}

ReelStatus data_build(Dataset *d, const Tune *tunes, const int32_t *which, int32_t n,
                      const EncOpts *e, const Vocab *v, ReelError *err)
{
    Encoded *enc;
    int64_t rows = 0;
    int32_t kept = 0;
    ReelStatus s = REEL_OK;

    memset(d, 0, sizeof *d);
    d->enc = *e;
    d->classes = enc_is_classes(e->kind);
    d->width = enc_width(e, v);
    d->in_floats = enc_lookback(e) ? enc_in_width(e, v) : 0;
    if (d->width <= 0)
        return reel_fail(err, REEL_EARG, "encoding %s needs a vocabulary", enc_name(e->kind));
    enc = calloc((size_t)(n > 0 ? n : 1), sizeof *enc);
    if (!enc)
        return reel_fail(err, REEL_ENOMEM, "out of memory encoding the corpus");
    for (int32_t i = 0; i < n; i++) {
        const Tune *t = &tunes[which ? which[i] : i];
        if ((s = enc_encode(e, v, t, &enc[i], err)))
            goto done;
        add_stats(&d->st, &enc[i].st);
        if (enc[i].n >= 2) {
            rows += enc[i].n;
            kept++;
        }
    }
    d->start = malloc((size_t)(kept + 1) * sizeof *d->start);
    d->src = malloc((size_t)(kept ? kept : 1) * sizeof *d->src);
    if (d->classes)
        d->ids = malloc((size_t)(rows ? rows : 1) * sizeof *d->ids);
    else if (e->kind == ENC_REGRESS)
        d->vals = malloc((size_t)(rows ? rows : 1) * (size_t)d->width * sizeof *d->vals);
    else
        d->bits = malloc((size_t)(rows ? rows : 1) * (size_t)d->width);
    if (d->in_floats) {
        d->bar_pos = malloc((size_t)(rows ? rows : 1) * sizeof *d->bar_pos);
        d->bar_len = malloc((size_t)(rows ? rows : 1) * sizeof *d->bar_len);
    }
    if (!d->start || !d->src || (!d->ids && !d->vals && !d->bits) ||
        (d->in_floats && (!d->bar_pos || !d->bar_len))) {
        s = reel_fail(err, REEL_ENOMEM, "out of memory: %lld rows of %d", (long long)rows,
                      d->width);
        goto done;
    }
    rows = 0;
    for (int32_t i = 0; i < n; i++) {
        const Encoded *x = &enc[i];
        size_t w = (size_t)d->width;
        if (x->n < 2)
            continue;
        d->src[d->n_tunes] = i;
        d->start[d->n_tunes++] = rows;
        if (d->ids) {
            memcpy(d->ids + rows, x->ids, (size_t)x->n * sizeof *d->ids);
            if (d->in_floats) {
                memcpy(d->bar_pos + rows, x->bar_pos, (size_t)x->n * sizeof *d->bar_pos);
                memcpy(d->bar_len + rows, x->bar_len, (size_t)x->n * sizeof *d->bar_len);
            }
        } else if (d->vals) {
            memcpy(d->vals + (size_t)rows * w, x->x, (size_t)x->n * w * sizeof *d->vals);
        } else {
            uint8_t *b = d->bits + (size_t)rows * w;
            for (size_t k = 0; k < (size_t)x->n * w; k++)
                b[k] = x->x[k] > 0.5f;
        }
        rows += x->n;
        d->positions += x->n - 1;
    }
    d->start[d->n_tunes] = rows;
    d->rows = rows;
done:
    for (int32_t i = 0; i < n; i++)
        enc_free(&enc[i]);
    free(enc);
    if (s)
        data_free(d);
    return s;
}

int64_t data_windows(const Dataset *d, int W, Rng *rng, Window **out)
{
    int64_t count = 0, k = 0;
    Window *w;
    /* Upper bound: every tune may have one extra short window. */
    for (int32_t i = 0; i < d->n_tunes; i++)
        count += (d->start[i + 1] - d->start[i] - 1) / W + 2;
    w = malloc((size_t)(count ? count : 1) * sizeof *w);
    if (!w)
        return -1;
    for (int32_t i = 0; i < d->n_tunes; i++) {
        int64_t s = d->start[i], preds = d->start[i + 1] - d->start[i] - 1, at = 0;
        int64_t first = rng ? (int64_t)rng_below(rng, (uint64_t)W) : 0;
        if (first > preds)
            first = preds;
        if (first > 0) {
            w[k++] = (Window){i, s, (int32_t)first};
            at = first;
        }
        while (at < preds) {
            int64_t len = preds - at < W ? preds - at : W;
            w[k++] = (Window){i, s + at, (int32_t)len};
            at += len;
        }
    }
    *out = w;
    return k;
}

void data_fill(const Dataset *d, const Window *w, int nb, int W, int B, float *x,
               int32_t *x_ids, float *y, int32_t *y_ids, float *mask)
{
    size_t F = (size_t)d->width, FI = (size_t)d->in_floats;
    if (FI)
        memset(x, 0, (size_t)W * (size_t)B * FI * sizeof *x);
    else if (d->classes)
        memset(x_ids, 0, (size_t)W * (size_t)B * sizeof *x_ids);
    if (d->classes) {
        memset(y_ids, 0, (size_t)W * (size_t)B * sizeof *y_ids);
    } else {
        memset(x, 0, (size_t)W * (size_t)B * F * sizeof *x);
        memset(y, 0, (size_t)W * (size_t)B * F * sizeof *y);
    }
    memset(mask, 0, (size_t)W * (size_t)B * sizeof *mask);
    for (int b = 0; b < nb; b++) {
        const Window *win = &w[b];
        for (int t = 0; t < win->len; t++) {
            int64_t row = win->start + t;
            size_t pos = (size_t)t * (size_t)B + (size_t)b;
            mask[pos] = 1.0f;
            if (FI) {
                /* The row predicting step row + 1, from the tune's steps so far. */
                int64_t s0 = d->start[win->tune];
                enc_lookback_row(d->ids + s0, (int32_t)(row - s0), d->bar_pos[row + 1],
                                 d->bar_len[row + 1], x + pos * FI);
                y_ids[pos] = d->enc.repeats ? enc_repeat_target(d->ids + s0, (int32_t)(row - s0),
                                                                d->bar_len[row + 1])
                                            : d->ids[row + 1];
            } else if (d->classes) {
                x_ids[pos] = d->ids[row];
                y_ids[pos] = d->ids[row + 1];
            } else if (d->vals) {
                memcpy(x + pos * F, d->vals + (size_t)row * F, F * sizeof *x);
                memcpy(y + pos * F, d->vals + (size_t)(row + 1) * F, F * sizeof *y);
            } else {
                const uint8_t *a = d->bits + (size_t)row * F, *c = a + F;
                float *xo = x + pos * F, *yo = y + pos * F;
                for (size_t f = 0; f < F; f++) {
                    xo[f] = a[f];
                    yo[f] = c[f];
                }
            }
        }
    }
}
