/* vocab.c — see vocab.h.
 *
 * Tokens live in two parallel arrays indexed by id (strings and counts); an
 * open-addressing hash table of ids finds a string's id.  Ids are insertion
 * order until vocab_finish sorts them, once.  This module does no I/O except
 * through the FILE or path the caller names, and never prints.
 */
#include "files.h"
#include "vocab.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VOCAB_MAGIC "reel-vocab"
#define VOCAB_VERSION 1
#define VOCAB_MAX_SIZE 10000000        /* most tokens a file may declare */
#define VOCAB_COUNT_DIGITS 18          /* counts fit a 64-bit long with room */
#define VOCAB_LINE_MAX (VOCAB_COUNT_DIGITS + 1 + VOCAB_TOKEN_MAX)   /* without '\n' */

struct Vocab {
    char **tok;       /* (cap) owned strings, n used; tok[0] = "<unk>" */
    long *cnt;        /* (cap) occurrences per id */
    int n, cap;
    int32_t *slot;    /* (nslot) ids, -1 = empty; nslot a power of two, load <= 1/2 */
    size_t nslot;
    bool frozen;      /* after vocab_finish (or vocab_read) */
};

/* ------------------------------------------------------------------------ */
/* Hash table                                                                */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* Slot holding tok, or the empty slot where it would go. */
static size_t find_slot(const Vocab *v, const char *tok)
{
    size_t mask = v->nslot - 1, i = (size_t)hash_str(tok) & mask;
    while (v->slot[i] >= 0 && strcmp(v->tok[v->slot[i]], tok) != 0)
        i = (i + 1) & mask;
    return i;
}

/* Rebuild the table for ids 0..n-1 with at least 2*(want) slots. */
static bool rehash(Vocab *v, int want)
{
    size_t ns = 16;
    int32_t *s;
    while (ns < (size_t)want * 2) {
        if (ns > SIZE_MAX / 4 / sizeof *s)
            return false;
        ns *= 2;
    }
    s = malloc(ns * sizeof *s);
    if (!s)
        return false;
    for (size_t i = 0; i < ns; i++)
        s[i] = -1;
    free(v->slot);
    v->slot = s;
    v->nslot = ns;
    for (int id = 0; id < v->n; id++)
        v->slot[find_slot(v, v->tok[id])] = id;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Building                                                                  */

static bool token_ok(const char *tok)
{
    size_t len = 0;
    if (!tok || !*tok)
        return false;
    for (const unsigned char *p = (const unsigned char *)tok; *p; p++, len++)
        if (*p < 0x20 || *p == 0x7f || len >= VOCAB_TOKEN_MAX)
            return false;
    return true;
}

/* Append tok (not present) with count c; returns its id or -1. */
static int add_token(Vocab *v, const char *tok, long c)
{
    char *d;
    if (v->n == v->cap) {
        int nc = v->cap ? v->cap * 2 : 64;
        char **t;
        long *k;
        if (v->cap > INT_MAX / 2)
            return -1;
        t = realloc(v->tok, (size_t)nc * sizeof *t);
        if (!t)
            return -1;
        v->tok = t;
        k = realloc(v->cnt, (size_t)nc * sizeof *k);
        if (!k)
            return -1;
        v->cnt = k;
        v->cap = nc;
    }
    if ((size_t)(v->n + 1) * 2 > v->nslot && !rehash(v, v->n + 1))
        return -1;
    d = strdup(tok);
    if (!d)
        return -1;
    v->tok[v->n] = d;
    v->cnt[v->n] = c;
    v->slot[find_slot(v, d)] = v->n;
    return v->n++;
}

Vocab *vocab_new(void)
{
    Vocab *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    if (add_token(v, VOCAB_UNK_TOKEN, 0) != VOCAB_UNK) {
        vocab_free(v);
        return NULL;
    }
    return v;
}

void vocab_free(Vocab *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->n; i++)
        free(v->tok[i]);
    free(v->tok);
    free(v->cnt);
    free(v->slot);
    free(v);
}

int vocab_count(Vocab *v, const char *tok)
{
    size_t i;
    if (!v || v->frozen || !token_ok(tok))
        return -1;
    i = find_slot(v, tok);
    if (v->slot[i] >= 0) {
        int id = v->slot[i];
        if (v->cnt[id] < LONG_MAX)
            v->cnt[id]++;
        return id;
    }
    return add_token(v, tok, 1);
}

typedef struct {
    char *tok;
    long cnt;
} Entry;

static int entry_cmp(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    if (x->cnt != y->cnt)
        return x->cnt > y->cnt ? -1 : 1;
    return strcmp(x->tok, y->tok);
}

void vocab_finish(Vocab *v)
{
    Entry *e;
    int m;
    if (!v || v->frozen)
        return;
    m = v->n - 1;
    if (m > 1) {
        e = malloc((size_t)m * sizeof *e);
        if (e) {
            for (int i = 0; i < m; i++) {
                e[i].tok = v->tok[i + 1];
                e[i].cnt = v->cnt[i + 1];
            }
            qsort(e, (size_t)m, sizeof *e, entry_cmp);
            for (int i = 0; i < m; i++) {
                v->tok[i + 1] = e[i].tok;
                v->cnt[i + 1] = e[i].cnt;
            }
            free(e);
        } else {
            /* No memory for the index: an insertion sort in place is slow
             * but needs none, and ids must still come out sorted. */
            for (int i = 2; i < v->n; i++) {
                Entry x = {v->tok[i], v->cnt[i]};
                int j = i;
                for (; j > 1; j--) {
                    Entry y = {v->tok[j - 1], v->cnt[j - 1]};
                    if (entry_cmp(&y, &x) <= 0)
                        break;
                    v->tok[j] = y.tok;
                    v->cnt[j] = y.cnt;
                }
                v->tok[j] = x.tok;
                v->cnt[j] = x.cnt;
            }
        }
    }
    /* Same number of ids as before, so the table needs no new memory. */
    for (size_t i = 0; i < v->nslot; i++)
        v->slot[i] = -1;
    for (int id = 0; id < v->n; id++)
        v->slot[find_slot(v, v->tok[id])] = id;
    v->frozen = true;
}

bool vocab_finished(const Vocab *v)
{
    return v && v->frozen;
}

void vocab_prune(Vocab *v, long min_count)
{
    int j = 1;
    if (!v || v->frozen)
        return;
    for (int i = 1; i < v->n; i++) {
        if (v->cnt[i] < min_count) {
            v->cnt[VOCAB_UNK] = v->cnt[i] > LONG_MAX - v->cnt[VOCAB_UNK]
                                    ? LONG_MAX
                                    : v->cnt[VOCAB_UNK] + v->cnt[i];
            free(v->tok[i]);
        } else {
            v->tok[j] = v->tok[i];
            v->cnt[j] = v->cnt[i];
            j++;
        }
    }
    v->n = j;
    for (size_t i = 0; i < v->nslot; i++)
        v->slot[i] = -1;
    for (int id = 0; id < v->n; id++)
        v->slot[find_slot(v, v->tok[id])] = id;
}

/* ------------------------------------------------------------------------ */
/* Lookup                                                                    */

int vocab_size(const Vocab *v)
{
    return v ? v->n : 0;
}

int vocab_id(const Vocab *v, const char *tok)
{
    if (!v || !tok)
        return -1;
    return v->slot[find_slot(v, tok)];
}

const char *vocab_token(const Vocab *v, int id)
{
    return v && id >= 0 && id < v->n ? v->tok[id] : NULL;
}

long vocab_freq(const Vocab *v, int id)
{
    return v && id >= 0 && id < v->n ? v->cnt[id] : 0;
}

/* ------------------------------------------------------------------------ */
/* Text form                                                                 */

ReelStatus vocab_write(const Vocab *v, FILE *f, ReelError *err)
{
    if (!v || !f)
        return reel_fail(err, REEL_EARG, "vocab_write: no vocabulary or no file");
    fprintf(f, "%s %d %d\n", VOCAB_MAGIC, VOCAB_VERSION, v->n);
    for (int i = 0; i < v->n; i++)
        fprintf(f, "%ld\t%s\n", v->cnt[i], v->tok[i]);
    if (ferror(f))
        return reel_fail(err, REEL_EIO, "writing the vocabulary: %s", strerror(errno));
    return REEL_OK;
}

enum { LINE_OK, LINE_EOF, LINE_LONG, LINE_CUT, LINE_NUL, LINE_ERR };

/* Read one line (without its '\n') into buf (VOCAB_LINE_MAX + 1 bytes).
 * Reads nothing past the '\n'. */
static int read_line(FILE *f, char *buf, size_t *len)
{
    size_t n = 0;
    int c;
    for (;;) {
        c = getc(f);
        if (c == EOF) {
            *len = n;
            if (ferror(f))
                return LINE_ERR;
            return n ? LINE_CUT : LINE_EOF;
        }
        if (c == '\n')
            break;
        if (c == '\0')
            return LINE_NUL;
        if (n == VOCAB_LINE_MAX)
            return LINE_LONG;
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    *len = n;
    return LINE_OK;
}

/* Parse a decimal number of 1..maxdig digits (no sign) at *s; advances *s. */
static bool parse_num(const char **s, int maxdig, long *out)
{
    long x = 0;
    int d = 0;
    while (**s >= '0' && **s <= '9') {
        if (++d > maxdig)
            return false;
        x = x * 10 + (**s - '0');
        (*s)++;
    }
    *out = x;
    return d > 0;
}

static const char *line_problem(int r)
{
    switch (r) {
    case LINE_EOF: return "the file ends early";
    case LINE_CUT: return "the file ends in the middle of a line";
    case LINE_NUL: return "a NUL byte";
    case LINE_LONG: return "line too long";
    default: return "read error";
    }
}

ReelStatus vocab_read(Vocab **out, FILE *f, const char *name, ReelError *err)
{
    char *buf;
    size_t len;
    const char *s;
    long want, ver, c;
    int r;
    Vocab *v = NULL;
    ReelStatus st = REEL_EFORMAT;

    if (!out || !f)
        return reel_fail(err, REEL_EARG, "vocab_read: no output or no file");
    if (!name)
        name = "vocabulary";
    *out = NULL;
    buf = malloc(VOCAB_LINE_MAX + 1);
    if (!buf)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory reading the vocabulary", name);

    r = read_line(f, buf, &len);
    if (r != LINE_OK) {
        if (r == LINE_EOF)
            reel_fail(err, st, "%s: empty file, not a reel vocabulary", name);
        else if (r == LINE_ERR)
            st = reel_fail(err, REEL_EIO, "%s: %s", name, strerror(errno));
        else
            reel_fail(err, st, "%s: line 1: %s, not a reel vocabulary header", name,
                      line_problem(r));
        goto fail;
    }
    s = buf;
    if (strncmp(s, VOCAB_MAGIC " ", sizeof VOCAB_MAGIC) != 0) {
        reel_fail(err, REEL_EFORMAT, "%s: line 1: not a reel vocabulary (expected \"%s %d N\")",
                  name, VOCAB_MAGIC, VOCAB_VERSION);
        goto fail;
    }
    s += sizeof VOCAB_MAGIC;
    if (!parse_num(&s, 9, &ver) || *s != ' ') {
        reel_fail(err, REEL_EFORMAT, "%s: line 1: bad version in the header", name);
        goto fail;
    }
    if (ver != VOCAB_VERSION) {
        st = REEL_EUNSUPPORTED;
        reel_fail(err, st, "%s: vocabulary version %ld; this reel reads version %d", name, ver,
                  VOCAB_VERSION);
        goto fail;
    }
    s++;
    if (!parse_num(&s, 9, &want) || *s || want < 1 || want > VOCAB_MAX_SIZE) {
        reel_fail(err, REEL_EFORMAT, "%s: line 1: bad token count in the header "
                                     "(1..%d expected)", name, VOCAB_MAX_SIZE);
        goto fail;
    }

    v = calloc(1, sizeof *v);
    if (!v)
        goto nomem;
    for (long i = 0; i < want; i++) {
        long line = i + 2;
        const char *tok;
        r = read_line(f, buf, &len);
        if (r == LINE_ERR) {
            st = REEL_EIO;
            reel_fail(err, st, "%s: %s", name, strerror(errno));
            goto fail;
        }
        if (r == LINE_EOF || r == LINE_CUT) {
            reel_fail(err, REEL_EFORMAT, "%s: truncated: the header promises %ld tokens, "
                                         "the file ends after %ld", name, want, i);
            goto fail;
        }
        if (r != LINE_OK) {
            reel_fail(err, REEL_EFORMAT, "%s: line %ld: %s", name, line, line_problem(r));
            goto fail;
        }
        s = buf;
        if (!parse_num(&s, VOCAB_COUNT_DIGITS, &c) || *s != '\t') {
            reel_fail(err, REEL_EFORMAT, "%s: line %ld: expected \"count<TAB>token\"", name, line);
            goto fail;
        }
        tok = s + 1;
        if (!token_ok(tok)) {
            reel_fail(err, REEL_EFORMAT, "%s: line %ld: the token is empty, too long or holds "
                                         "a tab or control character", name, line);
            goto fail;
        }
        if (i == 0 && strcmp(tok, VOCAB_UNK_TOKEN) != 0) {
            reel_fail(err, REEL_EFORMAT, "%s: line 2: the first token must be %s", name,
                      VOCAB_UNK_TOKEN);
            goto fail;
        }
        if (v->nslot && v->slot[find_slot(v, tok)] >= 0) {
            reel_fail(err, REEL_EFORMAT, "%s: line %ld: duplicate token \"%s\"", name, line, tok);
            goto fail;
        }
        if (add_token(v, tok, c) < 0)
            goto nomem;
    }
    v->frozen = true;
    free(buf);
    *out = v;
    return REEL_OK;

nomem:
    st = REEL_ENOMEM;
    reel_fail(err, st, "%s: out of memory reading the vocabulary", name);
fail:
    free(buf);
    vocab_free(v);
    return st;
}

ReelStatus vocab_save(const Vocab *v, const char *path, ReelError *err)
{
    FileAtomic a;
    ReelStatus st;
    if (!v || !path || !*path)
        return reel_fail(err, REEL_EARG, "vocab_save: no vocabulary or no path");
    if ((st = file_atomic_begin(&a, path, err)))
        return st;
    if ((st = vocab_write(v, a.f, err))) {
        file_atomic_abort(&a);
        return st;
    }
    return file_atomic_commit(&a, err);
}

ReelStatus vocab_load(Vocab **out, const char *path, ReelError *err)
{
    FILE *f;
    ReelStatus st;
    if (!out || !path)
        return reel_fail(err, REEL_EARG, "vocab_load: no output or no path");
    *out = NULL;
    f = fopen(path, "rb");
    if (!f)
        return reel_fail(err, REEL_EIO, "%s: %s", path, strerror(errno));
    st = vocab_read(out, f, path, err);
    if (st == REEL_OK && getc(f) != EOF) {
        vocab_free(*out);
        *out = NULL;
        st = reel_fail(err, REEL_EFORMAT, "%s: more lines than the header's token count", path);
    }
    fclose(f);
    return st;
}
