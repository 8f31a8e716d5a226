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
    free(d->bar_num);
    free(d->beat);
    free(d->key);
    free(d->meter);
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

/* The pitch range of the encoded melodies (note-on classes). */
static void melody_range(const Encoded *enc, int32_t n, int *lo, int *hi)
{
    *lo = 128;
    *hi = -1;
    for (int32_t i = 0; i < n; i++)
        for (int32_t k = 0; enc[i].ids && k < enc[i].n; k++) {
            int32_t c = enc[i].ids[k];
            if (c >= 2 && c < MELODY_CLASSES) {
                *lo = c - 2 < *lo ? c - 2 : *lo;
                *hi = c - 2 > *hi ? c - 2 : *hi;
            }
        }
}

/* The transpositions of x that e->shifts asks for and that keep its notes
 * in lo..hi, into out (at most 24); returns how many. */
static int tune_shifts(const Encoded *x, int shifts, int lo, int hi, int out[24])
{
    int a = 128, b = -1, n = 0;
    melody_range(x, 1, &a, &b);
    if (b < 0 || !shifts)
        return 0;
#define FITS(s) (a + (s) >= lo && b + (s) <= hi)
    for (int k = 1; k < 12 && (shifts & ENC_SHIFTS_ALL); k++) {
        int near = k <= 6 ? k : k - 12, far = k <= 6 ? k - 12 : k;
        if (FITS(near))
            out[n++] = near;
        else if (FITS(far))
            out[n++] = far;
    }
    for (int s = -12; s <= 12 && !(shifts & ENC_SHIFTS_ALL); s++)
        if (s && (shifts & (1 << (s + 12))) && FITS(s))
            out[n++] = s;
#undef FITS
    return n;
}

static int shift_key(int key, int s)
{
    if (key < 0)
        return key;
    return (key / 12) * 12 + ((key % 12 + s) % 12 + 12) % 12;
}

/* The commonest key (or metre class) of the tunes kept (the lowest on
 * ties), -1 if none. */
static int commonest(const Encoded *enc, int32_t n, bool key)
{
    long count[24] = {0};
    int best = -1;
    for (int32_t i = 0; i < n; i++) {
        int v = key ? enc[i].key : enc[i].meter;
        if (enc[i].n >= 2 && v >= 0 && v < 24)
            count[v]++;
    }
    for (int v = 0; v < 24; v++)
        if (count[v] > 0 && (best < 0 || count[v] > count[best]))
            best = v;
    return best;
}

/* Copy encoded tune x, moved by s semitones, to row `rows` as tune k. */
static void put_tune(Dataset *d, const Encoded *x, int s, int64_t rows)
{
    int32_t k = d->n_tunes, n = x->n;
    size_t w = (size_t)d->width;
    d->start[d->n_tunes++] = rows;
    if (d->ids) {
        for (int32_t i = 0; i < n; i++) {
            int32_t c = x->ids[i];
            d->ids[rows + i] = c >= 2 && c < MELODY_CLASSES ? c + s : c;
        }
        if (d->in_floats) {
            memcpy(d->bar_pos + rows, x->bar_pos, (size_t)n * sizeof *d->bar_pos);
            memcpy(d->bar_len + rows, x->bar_len, (size_t)n * sizeof *d->bar_len);
        }
        if (d->bar_num) {
            memcpy(d->bar_num + rows, x->bar_num, (size_t)n * sizeof *d->bar_num);
            memcpy(d->beat + rows, x->beat, (size_t)n * sizeof *d->beat);
        }
        if (d->key) {
            d->key[k] = (int8_t)shift_key(x->key, s);
            d->meter[k] = (int8_t)x->meter;
        }
    } else if (d->vals) {
        memcpy(d->vals + (size_t)rows * w, x->x, (size_t)n * w * sizeof *d->vals);
    } else {
        uint8_t *b = d->bits + (size_t)rows * w;
        for (size_t f = 0; f < (size_t)n * w; f++)
            b[f] = x->x[f] > 0.5f;
    }
    d->positions += n - 1;
}

static ReelStatus data_alloc(Dataset *d, const EncOpts *e, int64_t rows, int32_t tunes,
                             ReelError *err)
{
    size_t r = (size_t)(rows ? rows : 1), nt = (size_t)(tunes ? tunes : 1);
    d->start = malloc((nt + 1) * sizeof *d->start);
    d->src = malloc(nt * sizeof *d->src);
    if (d->classes)
        d->ids = malloc(r * sizeof *d->ids);
    else if (e->kind == ENC_REGRESS)
        d->vals = malloc(r * (size_t)d->width * sizeof *d->vals);
    else
        d->bits = malloc(r * (size_t)d->width);
    if (d->in_floats) {
        d->bar_pos = malloc(r * sizeof *d->bar_pos);
        d->bar_len = malloc(r * sizeof *d->bar_len);
    }
    if (enc_form(e)) {
        d->bar_num = malloc(r * sizeof *d->bar_num);
        d->beat = malloc(r * sizeof *d->beat);
        d->key = malloc(nt * sizeof *d->key);
        d->meter = malloc(nt * sizeof *d->meter);
    }
    if (!d->start || !d->src || (!d->ids && !d->vals && !d->bits) ||
        (d->in_floats && (!d->bar_pos || !d->bar_len)) ||
        (enc_form(e) && (!d->bar_num || !d->beat || !d->key || !d->meter)))
        return reel_fail(err, REEL_ENOMEM, "out of memory: %lld rows of %d", (long long)rows,
                         d->width);
    return REEL_OK;
}

ReelStatus data_build(Dataset *d, const Tune *tunes, const int32_t *which, int32_t n,
                      const EncOpts *e, const Vocab *v, ReelError *err)
{
    Encoded *enc;
    int64_t rows = 0;
    int32_t kept = 0;
    int sh[24];
    bool shifting = enc_lookback(e) && e->shifts;
    ReelStatus s = REEL_OK;

    memset(d, 0, sizeof *d);
    d->enc = *e;
    d->classes = enc_is_classes(e->kind);
    d->width = enc_width(e, v);
    d->in_floats = enc_lookback(e) ? enc_in_width(e, v) : 0;
    d->key_mode = d->meter_mode = -1;
    if (d->width <= 0)
        return reel_fail(err, REEL_EARG, "encoding %s needs a vocabulary", enc_name(e->kind));
    enc = calloc((size_t)(n > 0 ? n : 1), sizeof *enc);
    if (!enc)
        return reel_fail(err, REEL_ENOMEM, "out of memory encoding the corpus");
    for (int32_t i = 0; i < n; i++) {
        const Tune *t = &tunes[which ? which[i] : i];
        if ((s = enc_encode(e, v, t, &enc[i], err)))
            goto done;
        if (e->events)
            enc_trim_silence(&enc[i]);
        add_stats(&d->st, &enc[i].st);
        if (enc[i].n >= 2) {
            rows += enc[i].n;
            kept++;
        }
    }
    d->lo = 128;
    d->hi = -1;
    if (e->kind == ENC_MELODY)
        melody_range(enc, n, &d->lo, &d->hi);
    for (int32_t i = 0; i < n && shifting; i++) {
        int c = enc[i].n >= 2 ? tune_shifts(&enc[i], e->shifts, d->lo, d->hi, sh) : 0;
        rows += (int64_t)c * enc[i].n;
        d->copies += c;
    }
    if ((s = data_alloc(d, e, rows, kept + d->copies, err)))
        goto done;
    if (enc_form(e) && e->cond) {
        d->key_mode = commonest(enc, n, true);
        d->meter_mode = commonest(enc, n, false);
    }
    rows = 0;
    for (int32_t pass = 0; pass < (shifting ? 2 : 1); pass++)
        for (int32_t i = 0; i < n; i++) {
            int c = 1;
            if (enc[i].n < 2)
                continue;
            if (pass)
                c = tune_shifts(&enc[i], e->shifts, d->lo, d->hi, sh);
            else
                sh[0] = 0;
            for (int k = 0; k < c; k++) {
                d->src[d->n_tunes] = i;
                put_tune(d, &enc[i], sh[k], rows);
                rows += enc[i].n;
            }
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
                EncAt at = {d->bar_pos[row + 1], d->bar_len[row + 1], 0, 0, false};
                EncCond c = {-1, -1};
                if (d->bar_num) {
                    at.bar = d->bar_num[row + 1];
                    at.beat = d->beat[row + 1] & 7;
                    at.on_beat = (d->beat[row + 1] & 8) != 0;
                    c.key = d->key[win->tune];
                    c.meter = d->meter[win->tune];
                }
                enc_form_row(&d->enc, d->ids + s0, (int32_t)(row - s0), &at, &c, x + pos * FI);
                y_ids[pos] = enc_form_target(&d->enc, d->ids + s0, (int32_t)(row - s0),
                                             d->bar_len[row + 1]);
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
