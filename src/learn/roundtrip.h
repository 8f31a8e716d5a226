/* roundtrip.h — a tune through an encoding and back.
 *
 * What this module is: the tune a model trained with an encoding could
 * learn, the encoding's rows decoded again (`reel convert --encoding`, the
 * reference corpus of `reel eval`).  What it is not: the encoding itself
 * (encode.h) or its figures over a corpus (corpus_stats).  Never prints.
 */
#ifndef REEL_ROUNDTRIP_H
#define REEL_ROUNDTRIP_H

#include "encode.h"
#include "err.h"
#include "tune.h"
#include "vocab.h"

/* t encoded with o and v and decoded into *out (overwritten; the caller
 * frees it with tune_free; left empty on failure).  Tokens with v NULL: the
 * tune's own vocabulary, so every token is known. */
ReelStatus roundtrip_tune(const EncOpts *o, const Vocab *v, const Tune *t, Tune *out,
                          ReelError *err);

#endif
