/* corpus.h — a folder of MIDI and ABC files becomes a list of Tunes.
 *
 * Paths may be files or folders; folders are walked recursively (hidden
 * entries skipped, symlinked folders not followed twice) and the files are
 * loaded in sorted order, so the same folder always gives the same corpus.
 * A file reel cannot use is skipped with a reason; loading fails as a whole
 * only when nothing at all could be loaded.  The Corpus owns everything.
 */
#ifndef REEL_CORPUS_H
#define REEL_CORPUS_H

#include <stdbool.h>
#include <stdint.h>

#include "encode.h"
#include "err.h"
#include "quant.h"
#include "tune.h"

typedef struct {
    char *path;           /* owned */
    ReelError err;        /* why it was skipped; err.msg names the file */
} CorpusSkip;

typedef struct {
    Tune *tunes;          /* owned, n_tunes */
    int32_t n_tunes, cap_tunes;
    CorpusSkip *skips;    /* owned, n_skips */
    int32_t n_skips, cap_skips;
    long files_seen;      /* files looked at (loaded or skipped) */
    long files_loaded;    /* files that gave at least one tune */
    long abc_tunes;       /* tunes that came from ABC */
    long abc_warnings;    /* ABC tunes abc2midi warned about (they still converted) */
} Corpus;

/* Called after each file; done counts files, total is known after the walk. */
typedef void (*CorpusProgress)(void *user, long done, long total, const char *path);

typedef struct {
    QuantOpts quant;      /* which part, phase search */
    long max_files;       /* stop the walk after this many files; 0 = 1,000,000 */
    CorpusProgress progress;
    void *progress_user;
    int shard, shards;    /* shards > 1: load only the files i (in the sorted list of every
                             path's files) with i % shards == shard; the others are not read
                             and progress is called for the loaded ones only (data-parallel
                             training: each rank reads its share) */
} CorpusOpts;

void corpus_init(Corpus *c);
void corpus_free(Corpus *c);

/* Load every path into c (which may already hold tunes).  Returns REEL_OK
 * when at least one tune is in c; REEL_EEMPTY, with a message that says why,
 * when none is.  opts may be NULL. */
ReelStatus corpus_load(Corpus *c, const char *const *paths, int n_paths, const CorpusOpts *opts,
                       ReelError *err);

/* Load one file (MIDI or ABC, decided by its bytes and name) into c,
 * recording a skip when it gives no tune. */
void corpus_load_file(Corpus *c, const char *path, const CorpusOpts *opts);

/* Tune number tune_no (from 1) of the file at path, as corpus_load_file
 * reads it, copied into *out (overwritten; the caller frees it with
 * tune_free).  Fails with the skip's reason ("PATH: why") when the file
 * gives no tune, with REEL_EARG "PATH holds N tunes, not K" when it holds
 * fewer than tune_no.  opts may be NULL. */
ReelStatus corpus_load_tune(const char *path, const CorpusOpts *opts, long tune_no, Tune *out,
                            ReelError *err);

/* A corpus path recorded in a model (e.g. "../shared/corpus/pop909/midi")
 * that does not exist here: the same folder under $REEL_CORPUS (the part
 * after the last "corpus/"), when that exists.  Writes the path to use into
 * out (the recorded one when nothing better is found); true when it exists. */
bool corpus_relocate(const char *recorded, char *out, size_t len);

/* ---- figures for the report ---------------------------------------- */

#define CORPUS_MAX_SIGS 16

typedef struct {
    EncOpts enc;          /* the encoding measured */
    const char *label;    /* "roll13", "roll13 --plain", "tokens (no durations)", ... */
    long notes;           /* notes in */
    long exact;           /* notes that came back unchanged after encode + decode */
    EncStats st;          /* summed over tunes */
    long tunes_exact;     /* tunes that round-tripped with no loss */
} CorpusEncFigure;

typedef struct {
    uint8_t num, den;
    long tunes;                        /* tunes that start in this signature */
} CorpusSigCount;

typedef struct {
    long tunes, notes_in, notes, steps;
    int pitch_lo, pitch_hi;            /* over all tunes; -1 when no notes */
    long hist[128];                    /* notes per pitch */
    CorpusSigCount sigs[CORPUS_MAX_SIGS];  /* most common first */
    int n_sigs;                        /* distinct first time signatures */
    long sig_changes;                  /* tunes with more than one time signature */
    long tempo_changes;                /* tunes with more than one tempo */
    QuantStats q;                      /* summed */
    long polyphonic_notes;             /* notes that start while another sounds */
    CorpusEncFigure enc[10];
    int n_enc;
    int vocab_size;                    /* tokens with durations, built on the corpus */
    int vocab_size_nodur;
} CorpusStats;

/* Compute every figure, including the encode/decode round trip of each
 * encoding over every tune (this is the slow part: well under a second for
 * Ryan's collection). */
ReelStatus corpus_stats(const Corpus *c, CorpusStats *out, ReelError *err);

/* Build a token vocabulary over the corpus (caller frees with vocab_free). */
ReelStatus corpus_vocab(const Corpus *c, const EncOpts *o, Vocab **out, ReelError *err);

#endif
