/* keyspread.c — the keys of a corpus's tunes, and a key drawn from them
 * (keyspread.h). */
#include "keyspread.h"

#include "rng.h"

void keyspread_of_tunes(const Tune *tunes, int32_t n, KeySpread *out)
{
    for (int i = 0; i < KEYSPREAD_COUNTS; i++)
        out->n[i] = 0;
    for (int32_t i = 0; i < n; i++) {
        TimeSig s = tune_sig_at(&tunes[i], 0);
        int key = enc_tune_key(&tunes[i]), meter = enc_meter_class(s.num, s.den);
        if (key >= 0 && key < KEYSPREAD_KEYS && meter >= 0 && meter < ENC_METERS)
            out->n[meter * KEYSPREAD_KEYS + key]++;
    }
}

/* Tunes in key `key` (in `meter`, or all). */
static int64_t count(const KeySpread *k, int meter, int key)
{
    int64_t c = 0;
    for (int m = 0; m < ENC_METERS; m++) {
        int64_t v = k->n[m * KEYSPREAD_KEYS + key];
        if ((meter < 0 || m == meter) && v > 0)
            c += v;
    }
    return c;
}

int64_t keyspread_total(const KeySpread *k, int meter)
{
    int64_t t = 0;
    for (int key = 0; key < KEYSPREAD_KEYS; key++)
        t += count(k, meter, key);
    return t;
}

bool keyspread_known(const KeySpread *k)
{
    return keyspread_total(k, -1) > 0;
}

int keyspread_draw(const KeySpread *k, int meter, uint64_t seed)
{
    Rng r;
    int64_t total, pick;
    if (meter >= ENC_METERS || keyspread_total(k, meter) <= 0)
        meter = -1;
    if ((total = keyspread_total(k, meter)) <= 0)
        return -1;
    /* Its own stream, so the key does not move the notes' draws. */
    rng_seed(&r, seed ^ 0x6b65797370726561ULL);
    pick = (int64_t)rng_below(&r, (uint64_t)total);
    for (int key = 0; key < KEYSPREAD_KEYS; key++) {
        int64_t c = count(k, meter, key);
        if (pick < c)
            return key;
        pick -= c;
    }
    return -1;
}

int keyspread_order(const KeySpread *k, int meter, int *order, double *shares, int max)
{
    int n = 0;
    bool used[KEYSPREAD_KEYS] = {false};
    double total = (double)keyspread_total(k, meter);
    while (n < max) {
        int best = -1;
        for (int key = 0; key < KEYSPREAD_KEYS; key++)
            if (!used[key] && count(k, meter, key) > 0 &&
                (best < 0 || count(k, meter, key) > count(k, meter, best)))
                best = key;
        if (best < 0)
            break;
        used[best] = true;
        if (shares)
            shares[n] = (double)count(k, meter, best) / total;
        order[n++] = best;
    }
    return n;
}
