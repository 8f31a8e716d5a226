/* closing.h — tunes that close: each strain's end and the last bar drawn
 * again until they end on the tonic.
 *
 * What this module is: what `reel generate --bars N` (genrequest.h) and the
 * studio's g (ui/genctl) do with a model that has tune events (encode.h),
 * whose own draws end a strain on the tonic only now and then (fiddle-form:
 * a third of its 16-bar tunes).  To close bar line `bar`: generate to
 * CLOSE_BARS bars before it, take a snapshot, then
 *   - the generator's own draw to the bar line: when that ends the tune
 *     (its end event), it is kept: the model ended the tune by itself;
 *   - else CLOSE_TRIES draws of the last bar (after the bars before it drawn
 *     once, the same each time), and while no draw so far ends on the
 *     tonic, CLOSE_TRIES of the last 2, then the last 4 bars;
 *   - the best is kept: a cadence (cadence.h: the last note on the tonic of
 *     the melody's key, held a beat) over the last note on the tonic over
 *     anything else, and among equals the one after which the model itself
 *     most expects its end (gen_end_chance).  It is drawn again from the
 *     snapshot, so the generator stands at the bar line with its rows.
 * Every draw has its own seed, made from the request's seed, the bar and the
 * draw's number, so the same seed gives the same tune.  A tune is closed at
 * every CLOSE_STRAIN_BARS bars (a strain of a fiddle tune) and at its last
 * bar.  What it is not: a rule that writes notes; every note is one the
 * model drew.  Redrawing invalidates snapshots taken inside the window
 * (generate.h); closing_window says where it starts.
 */
#ifndef REEL_CLOSING_H
#define REEL_CLOSING_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "generate.h"

#define CLOSE_TRIES 16        /* draws of the last 1, 2 and 4 bars */
#define CLOSE_BARS 4          /* at most the last 4 bars drawn again */
#define CLOSE_STRAIN_BARS 8   /* a strain's end is closed too */

/* The model has tune events, so its tunes can be closed. */
bool closing_applies(Generator *g);

/* The first step closing bar line `bar` (bars after the seed, 1-based) may
 * draw again. */
int32_t closing_window(const Generator *g, int bar);

/* Close bar line `bar` (see above): g is at or before closing_window; it
 * ends at the bar line, or where the model ended the tune.  *reached: the
 * bar line was reached (false when the tune ended, or time stopped). */
ReelStatus closing_bar(Generator *g, int bar, uint64_t seed, bool *reached, ReelError *err);

/* Every strain of `bars` bars and the last bar closed, in order, until the
 * tune ends. */
ReelStatus closing_tune(Generator *g, int bars, uint64_t seed, bool *reached, ReelError *err);

#endif
