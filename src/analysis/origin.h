/* origin.h — is a melody copied from the corpus?  An index over a corpus,
 * built once, that answers for one melody in well under a millisecond.
 *
 * What this module is: a suffix array over the corpus's note lines, and the
 * queries the studio and `reel eval` ask of it: the longest run of notes a
 * melody shares with one corpus tune, and which of the melody's 2-bar
 * windows occur in the corpus, verbatim and up to a transposition.  What it
 * is not: it does not load files, print, or keep a clock; the caller times
 * it.  It owns copies of what it needs (the corpus tunes may be freed after
 * origin_build).  An index is read-only after building: any number of
 * threads may query it at once.
 *
 * Definitions (exactly as computed):
 *
 *   The line of a tune: one note per onset (of notes sharing an onset, the
 *   highest; tune_sort order), each ending at the latest where the next
 *   onset starts: dur = min(dur, next onset - onset).  The last note keeps
 *   its duration.  Rests are the gaps between line notes.
 *
 *   Tokens: the line becomes note, link, note, link, ..., note.  Verbatim
 *   stream: a note token is (pitch, duration), a link token the onset gap
 *   to the next note (so rests are in it).  Transposed stream: a note token
 *   is (duration), a link token (interval to the next pitch, onset gap).
 *   The corpus's tunes are concatenated with a separator that no melody
 *   token equals, so no match runs from one tune into the next.
 *
 *   A run of k notes copied: k consecutive line notes of the melody whose
 *   tokens (the k note tokens and the k-1 links between them) occur
 *   consecutively in one corpus tune: the same pitches, the same durations,
 *   the same onset gaps — at any position of that tune (not only at bar
 *   lines; the model does not know where bar lines are).  The gap before
 *   the first note and after the last are not compared.  Up to a
 *   transposition: the same with intervals instead of pitches.
 *
 *   2-bar windows of a melody: at every complete bar b whose next bar is
 *   complete too (bars as metrics.h defines them: from step 0, by the time
 *   signatures), the line notes with onsets in bars b and b+1.  Windows of
 *   fewer than ORIGIN_WINDOW_MIN_NOTES (4) notes are not counted: a note or
 *   two between rests is no phrase to copy (and would be found somewhere
 *   in any corpus).  So an 8-bar melody has up to 7 windows.  A window
 *   is copied verbatim when one corpus tune has a place, anywhere in it
 *   (not only at its bar lines), where a span as long as the window holds
 *   the same notes at the same times: consecutive line notes with the same
 *   pitches, durations and onset gaps, the note before them starting more
 *   than `lead` steps before the first (lead: the window's silence before its
 *   first onset) and the note after them at least `tail` steps after the
 *   last (tail: from the window's last onset to its end).  Before a tune's
 *   first note and after its last is silence.  Up to a transposition: the
 *   same with intervals instead of pitches.  So four notes and a long rest
 *   are a copy only where the corpus has them with that much silence around
 *   them.  The last note's full duration counts, so
 *   a melody cut off in a held note may miss a copy in its last window.
 *
 * Cost: building over Ryan's collection (212,196 line notes, 425k tokens
 * per stream; SA-IS, linear) takes about 0.1 s and keeps 8.9 MB; a query
 * costs O(tokens x longest match x log corpus): 0.2-0.5 ms for 8 bars
 * (bench/bench_metrics.c).
 */
#ifndef REEL_ORIGIN_H
#define REEL_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "tune.h"

/* Notes a 2-bar window needs to be judged at all. */
#define ORIGIN_WINDOW_MIN_NOTES 4

typedef struct OriginIndex OriginIndex;

/* What one query found.  Bars and notes are 0-based. */
typedef struct {
    int32_t notes;              /* notes in the melody's line */
    int32_t run;                /* longest run of notes copied verbatim from one corpus tune */
    int32_t run_note;           /* the melody's line note where that run starts (-1: run 0) */
    int32_t run_bar;            /* its bar in the melody (-1 when before bar 0 / none) */
    int32_t run_tune;           /* the corpus tune (index into the tunes built from), -1 */
    int32_t run_tune_bar;       /* the bar of that tune where the copy starts, -1 */
    int32_t run_transposed;     /* longest run copied up to a transposition (>= run) */
    int32_t windows;            /* 2-bar windows of ORIGIN_WINDOW_MIN_NOTES notes or more */
    int32_t copied;             /* of those, copied verbatim */
    int32_t copied_transposed;  /* copied up to a transposition (verbatim ones included) */
    uint64_t copied_mask;       /* bit b: the window starting at bar b is copied (b < 64) */
} OriginResult;

/* Index the tunes (each sorted, as tune_sort leaves it).  Tunes without
 * notes take no room but keep their index.  *out is owned by the caller
 * (origin_free).  REEL_ENOMEM, or REEL_EARG for a corpus of more than
 * 500 million notes. */
ReelStatus origin_build(OriginIndex **out, const Tune *tunes, int32_t n_tunes, ReelError *err);
void origin_free(OriginIndex *ix);                      /* accepts NULL */

/* Query one melody (sorted).  exclude >= 0 leaves that corpus tune out of
 * the search (a corpus tune against the others); -1 searches all.
 * REEL_ENOMEM only. */
ReelStatus origin_query(const OriginIndex *ix, const Tune *t, int32_t exclude, OriginResult *out,
                        ReelError *err);

int32_t origin_tunes(const OriginIndex *ix);            /* tunes indexed */
int64_t origin_notes(const OriginIndex *ix);            /* line notes indexed */
size_t origin_bytes(const OriginIndex *ix);             /* memory held */
/* Name of corpus tune i (its Tune.name; "" when it had none).  Owned by the
 * index. */
const char *origin_tune_name(const OriginIndex *ix, int32_t i);

/* The line of t (see above) as note indices into t->notes, with durations
 * cut: idx (t->n_notes) and dur (t->n_notes) are the caller's.  Returns the
 * line's length.  For tests and the studio's highlighting. */
int32_t origin_line(const Tune *t, int32_t *idx, int32_t *dur);

#endif
