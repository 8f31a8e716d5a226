/* range.c — pitch ranges (range.h). */
#include "range.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PitchRange range_none(void)
{
    PitchRange r = {-1, -1};
    return r;
}

PitchRange range_all(void)
{
    PitchRange r = {0, 127};
    return r;
}

bool range_known(PitchRange r)
{
    return r.lo >= 0 && r.lo <= r.hi && r.hi <= 127;
}

bool range_has(PitchRange r, int pitch)
{
    return range_known(r) && pitch >= r.lo && pitch <= r.hi;
}

PitchRange range_meet(PitchRange a, PitchRange b)
{
    PitchRange r;
    if (!range_known(a))
        a = range_all();
    if (!range_known(b))
        b = range_all();
    r.lo = a.lo > b.lo ? a.lo : b.lo;
    r.hi = a.hi < b.hi ? a.hi : b.hi;
    return r;
}

char *range_name(PitchRange r, char *buf, size_t size)
{
    char a[6], b[6];
    if (!range_known(r))
        snprintf(buf, size, "none");
    else
        snprintf(buf, size, "%s..%s (%d..%d)", pitch_name(r.lo, a), pitch_name(r.hi, b), r.lo,
                 r.hi);
    return buf;
}

/* A pitch name or a MIDI number 0..127 in s[0..len); -1 if neither. */
static int pitch_of(const char *s, size_t len)
{
    char buf[16], *end;
    long v;
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isdigit((unsigned char)buf[0])) {
        v = strtol(buf, &end, 10);
        return *end || v > 127 ? -1 : (int)v;
    }
    return pitch_parse(buf);
}

ReelStatus range_parse(const char *s, PitchRange *out, ReelError *err)
{
    size_t n = s ? strlen(s) : 0;
    *out = range_none();
    if (n == 0)
        return reel_fail(err, REEL_EARG, "--range needs LO-HI, e.g. G3-E7 or 55-100");
    /* "C-1-G9": try every separator; the one where both sides are pitches wins. */
    for (size_t i = 1; i + 1 < n; i++) {
        size_t sep = s[i] == '-' ? 1 : s[i] == '.' && s[i + 1] == '.' ? 2 : 0;
        int lo, hi;
        if (!sep || i + sep >= n)
            continue;
        lo = pitch_of(s, i);
        hi = pitch_of(s + i + sep, n - i - sep);
        if (lo < 0 || hi < 0)
            continue;
        if (lo > hi)
            return reel_fail(err, REEL_EARG, "--range %s: the low end is above the high end "
                             "(write LO-HI)", s);
        out->lo = lo;
        out->hi = hi;
        return REEL_OK;
    }
    return reel_fail(err, REEL_EARG, "--range %s: not LO-HI with pitch names (C4 is middle "
                     "C, F#3, Bb5) or MIDI numbers 0..127, e.g. G3-E7 or 55-100", s);
}

ReelStatus range_of_tunes(const EncOpts *o, const Vocab *v, const Tune *tunes, int32_t n,
                          PitchRange *out, ReelError *err)
{
    PitchRange r = {128, -1};
    for (int32_t i = 0; i < n; i++) {
        Encoded e;
        Tune dec;
        int lo, hi;
        ReelStatus st;
        if (tunes[i].n_notes == 0)
            continue;
        if ((st = enc_encode(o, v, &tunes[i], &e, err)))
            return st;
        e.shift = 0; /* rolls: the encoding's frame, where a generator's outputs are */
        st = enc_decode(o, v, &e, &tunes[i], &dec, err);
        enc_free(&e);
        if (st)
            return st;
        if (tune_pitch_range(&dec, &lo, &hi)) {
            if (lo < r.lo)
                r.lo = lo;
            if (hi > r.hi)
                r.hi = hi;
        }
        tune_free(&dec);
    }
    *out = range_known(r) ? r : range_none();
    return REEL_OK;
}

PitchRange range_of_encoding(const EncOpts *o, const Vocab *v)
{
    PitchRange r = range_all();
    if (o->kind == ENC_ROLL13 || o->kind == ENC_ROLL13_ONSET) {
        r.lo = ROLL13_LO;
        r.hi = ROLL13_HI;
    } else if (o->kind == ENC_TOKENS && v) {
        r.lo = 128;
        r.hi = -1;
        for (int id = 0; id < vocab_size(v); id++) {
            const char *s = id == VOCAB_UNK ? NULL : vocab_token(v, id);
            EncToken tk;
            if (!s || !enc_token_parse(s, &tk))
                continue;
            for (int k = 0; k < tk.n; k++) {
                if (tk.pitch[k] < r.lo)
                    r.lo = tk.pitch[k];
                if (tk.pitch[k] > r.hi)
                    r.hi = tk.pitch[k];
            }
        }
        if (!range_known(r))
            r = range_all();
    }
    return r;
}

PitchRange range_effective(PitchRange recorded, const EncOpts *o, const Vocab *v)
{
    return range_known(recorded) ? recorded : range_of_encoding(o, v);
}
