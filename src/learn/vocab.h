/* vocab.h — the token vocabulary of a corpus: string <-> id, with counts.
 *
 * Id 0 is always "<unk>".  vocab_finish sorts the others by count (most
 * frequent first, ties by string) so ids are stable for a given corpus.  A
 * vocabulary is saved as text — a header line "reel-vocab 1 N", then one
 * "count<TAB>token" line per id — so a model file can embed it verbatim.
 */
#ifndef REEL_VOCAB_H
#define REEL_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

typedef struct Vocab Vocab;

#define VOCAB_UNK 0
#define VOCAB_UNK_TOKEN "<unk>"
#define VOCAB_TOKEN_MAX 1023   /* longest token, bytes */

Vocab *vocab_new(void);               /* NULL when out of memory */
void vocab_free(Vocab *v);            /* accepts NULL */

/* Count one occurrence of tok (adds it if new; counting "<unk>" counts id 0).
 * A token is 1..VOCAB_TOKEN_MAX bytes without control characters (no tab,
 * no newline), so that it can be saved.  Returns its id, or -1 when out of
 * memory, for a token that is not valid, or after vocab_finish. */
int vocab_count(Vocab *v, const char *tok);
/* Sort by count and freeze.  Ids change here, once. */
void vocab_finish(Vocab *v);
/* True after vocab_finish, and for a vocabulary read from a file. */
bool vocab_finished(const Vocab *v);
/* Drop tokens seen fewer than min_count times (they become <unk>, and their
 * counts are added to its count); call before vocab_finish (ignored after). */
void vocab_prune(Vocab *v, long min_count);

int vocab_size(const Vocab *v);
int vocab_id(const Vocab *v, const char *tok);        /* -1 if absent */
const char *vocab_token(const Vocab *v, int id);      /* NULL if out of range; owned by v */
long vocab_freq(const Vocab *v, int id);

/* Text form (see above).  vocab_read accepts exactly what vocab_write
 * writes and rejects anything else with a message naming `name`: a wrong
 * header or version, a line that is not "count<TAB>token", a first token that
 * is not "<unk>", a duplicate token, an overlong line, a file that ends early.
 * It reads the header and N lines and no further, so a vocabulary can sit
 * inside another file; vocab_load also rejects bytes after the N lines.  The
 * vocabulary read is finished (ids are the line order) and owned by the
 * caller (vocab_free). */
ReelStatus vocab_write(const Vocab *v, FILE *f, ReelError *err);
ReelStatus vocab_read(Vocab **out, FILE *f, const char *name, ReelError *err);
/* Save to path through a temporary file in the same folder and rename, so
 * path holds the old or the new vocabulary, never half of one. */
ReelStatus vocab_save(const Vocab *v, const char *path, ReelError *err);
ReelStatus vocab_load(Vocab **out, const char *path, ReelError *err);

#endif
