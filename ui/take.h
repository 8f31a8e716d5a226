/* take.h — the take: the generator that continues the seed (GenCtl), its
 * sampling options and random seed, how many bars g makes, and what the
 * screen shows of the melody computed from it (the melody's metrics, the
 * next-note distribution at the playhead or cursor).
 *
 * The notes themselves live in the song (song.h: seed, generated part,
 * undo); the take writes its rows there (takes.c).  No curses here.
 * Belongs to the UI thread.
 */
#ifndef REEL_UI_TAKE_H
#define REEL_UI_TAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "corpusix.h"
#include "genctl.h"
#include "genwork.h"
#include "metrics.h"
#include "sample.h"
#include "song.h"

typedef struct {
    GenCtl gc;                    /* the take the song holds (this thread's) */
    bool gc_ok;
    GenWork gw;                   /* the worker: new takes, the probe (genwork.h) */
    bool gw_ok;
    /* asked of the worker, done when it is collected (takes.c) */
    bool want_play;               /* play the new take once it is made */
    int want_key;                 /* its key */
    /* asked this turn, done once at its end (repeated keys collapse) */
    bool opts_changed;            /* the sampling options changed: redraw unheard bars */
    char opts_what[80];
    bool redraw_asked;            /* n */
    SampleOpts so;
    uint64_t seed;                /* random seed of the next (or current) take */
    bool seed_locked;             /* :seed N: every take uses it */
    bool edited;                  /* n re-drew part of the take with a new stream */
    int bars;                     /* bars g generates */
    int key_choice;               /* :key: 0..23 (keyprofile.h), -1 auto (genreq_key) */
    int key;                      /* the take's key (a --condition model), -1 none */
    unsigned version;             /* song version the take wrote last */
    bool generating;              /* rows are being made for the take */
    bool closed;                  /* g made it closed (genctl.h gc_close) */

    /* What the panel shows, computed before it is drawn (look.c). */
    MelodyMetrics mm;             /* of the melody (metrics.h) */
    unsigned mm_version;          /* song version mm belongs to */
    bool mm_ok, mm_with_ix;
    GcDist dist;                  /* next-note distribution at dist_focus */
    bool has_dist;
    bool dist_labelled;           /* from the worker's probe: its labels in probe */
    GwProbe probe;
    int32_t dist_focus;           /* the step it is for (playhead or cursor) */
} Take;

/* A random seed short enough to read and type back (1..1000000). */
uint64_t take_fresh_seed(void);
/* The seed changed or x was pressed: a take the worker is making is
 * dropped (true when there was one). */
bool take_cancel(Take *t);
/* The take in the generator is the song's generated part. */
bool take_live(const Take *t, const Song *song);
/* The melody's metrics again when the song changed (or the corpus index came). */
void take_update_metrics(Take *t, const Song *song, const CorpusIndex *cix);
/* The next-note distribution at step focus: the take's own when it drew
 * that row, else the probe generator's for the melody before focus. */
void take_update_dist(Take *t, const Song *song, int32_t focus, bool regress);
/* The label of class cls of the distribution shown (t->dist) into buf. */
char *take_dist_label(const Take *t, int i, char *buf, size_t size);

#endif
