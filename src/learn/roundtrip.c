/* roundtrip.c — a tune through an encoding and back (roundtrip.h). */
#include "roundtrip.h"

#include <string.h>

/* The tune's own token vocabulary, into *out (caller frees). */
static ReelStatus own_vocab(const EncOpts *o, const Tune *t, Vocab **out, ReelError *err)
{
    Vocab *v = vocab_new();
    ReelStatus s;
    if (!v)
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    if ((s = enc_tokens_count(o, t, v, err))) {
        vocab_free(v);
        return s;
    }
    vocab_finish(v);
    *out = v;
    return REEL_OK;
}

ReelStatus roundtrip_tune(const EncOpts *o, const Vocab *v, const Tune *t, Tune *out,
                          ReelError *err)
{
    Vocab *own = NULL;
    Encoded e;
    ReelStatus s;
    tune_init(out);
    memset(&e, 0, sizeof e);
    if (o->kind == ENC_TOKENS && !v) {
        if ((s = own_vocab(o, t, &own, err)))
            return s;
        v = own;
    }
    if (!(s = enc_encode(o, v, t, &e, err))) {
        if ((s = enc_decode(o, v, &e, t, out, err))) {
            tune_free(out);
            tune_init(out);
        }
    }
    enc_free(&e);
    vocab_free(own);
    return s;
}
