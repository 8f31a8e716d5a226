/* origin.c — see origin.h.  A suffix array per token stream (verbatim and
 * transposed), built by induced sorting (SA-IS); a query walks
 * it token by token from every note of the melody. */
#include "origin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

/* Token ids in a stream's text: 0 ends the text (once, last), 1 separates
 * tunes, 2.. are the tokens (index into vocab + 2).  A melody token the
 * corpus lacks is NO_TOKEN and matches nothing. */
#define ID_END 0
#define ID_SEP 1
#define ID_FIRST 2
#define NO_TOKEN (-1)
#define MAX_NOTES 500000000

#define RAW_NOTE 0x40000000u
#define RAW_LINK 0x80000000u
#define FIELD20 0xFFFFFu

typedef struct {
    uint32_t *vocab;      /* (n_vocab) sorted raw token values */
    int32_t n_vocab;
    int32_t *text;        /* (n) ids */
    int32_t *sa;          /* (n) suffix array of text */
    int32_t n;
} Stream;

struct OriginIndex {
    Stream st[2];         /* [0] verbatim, [1] transposed */
    int32_t n_tunes;
    int32_t *tune_tok;    /* (n_tunes + 1) first token of each tune in text */
    int64_t *tune_note;   /* (n_tunes + 1) first line note of each tune */
    int32_t *note_bar;    /* (line notes) bar of each note in its tune, -1 outside bars */
    int32_t *gap_before;  /* (line notes) onset gap from the note before; INT32_MAX: first */
    int32_t *gap_after;   /* (line notes) onset gap to the note after; INT32_MAX: last */
    char **names;         /* (n_tunes) owned */
    int64_t notes;
};

/* ---- the line and its tokens ---------------------------------------------- */

int32_t origin_line(const Tune *t, int32_t *idx, int32_t *dur)
{
    int32_t n = 0;
    for (int32_t i = 0; i < t->n_notes; i++) {
        /* Of the notes sharing an onset, tune_sort puts the highest last. */
        if (i + 1 < t->n_notes && t->notes[i + 1].onset == t->notes[i].onset)
            continue;
        idx[n] = i;
        dur[n] = t->notes[i].dur;
        if (n > 0) {
            int32_t gap = t->notes[i].onset - t->notes[idx[n - 1]].onset;
            if (dur[n - 1] > gap)
                dur[n - 1] = gap;
        }
        n++;
    }
    return n;
}

static uint32_t clip20(int64_t v)
{
    return v < 0 ? 0 : v > (int64_t)FIELD20 ? FIELD20 : (uint32_t)v;
}

/* The raw tokens of a line of m notes: 2m - 1 per stream. */
static void line_tokens(const Tune *t, const int32_t *idx, const int32_t *dur, int32_t m,
                        uint32_t *exact, uint32_t *trans)
{
    for (int32_t i = 0; i < m; i++) {
        const Note *a = &t->notes[idx[i]];
        exact[2 * i] = RAW_NOTE | ((uint32_t)a->pitch << 20) | clip20(dur[i]);
        trans[2 * i] = RAW_NOTE | clip20(dur[i]);
        if (i + 1 < m) {
            const Note *b = &t->notes[idx[i + 1]];
            int32_t gap = b->onset - a->onset;
            exact[2 * i + 1] = RAW_LINK | clip20(gap);
            trans[2 * i + 1] = RAW_LINK | ((uint32_t)((int)b->pitch - (int)a->pitch + 128) << 20) |
                               clip20(gap);
        }
    }
}

/* Sort a (n) by the upper 32 bits, an LSD radix sort 8 bits at a time
 * (stable); tmp holds n. */
static void radix_sort_hi(uint64_t *a, uint64_t *tmp, int32_t n)
{
    for (int shift = 32; shift < 64; shift += 8) {
        int32_t cnt[257] = {0};
        for (int32_t i = 0; i < n; i++)
            cnt[((a[i] >> shift) & 0xFF) + 1]++;
        for (int i = 1; i <= 256; i++)
            cnt[i] += cnt[i - 1];
        for (int32_t i = 0; i < n; i++)
            tmp[cnt[(a[i] >> shift) & 0xFF]++] = a[i];
        memcpy(a, tmp, (size_t)n * sizeof *a);
    }
}

static int32_t token_id(const Stream *s, uint32_t raw)
{
    int32_t a = 0, b = s->n_vocab;
    while (a < b) {
        int32_t m = a + (b - a) / 2;
        if (s->vocab[m] < raw)
            a = m + 1;
        else
            b = m;
    }
    return a < s->n_vocab && s->vocab[a] == raw ? a + ID_FIRST : NO_TOKEN;
}

/* ---- suffix array ---------------------------------------------------------- */

/* Suffix array of s (n values in 0..upper) into sa, by induced sorting
 * (SA-IS, Nong, Zhang and Chan 2009): linear time, whatever the repeats.
 * A suffix that is a prefix of another sorts first.  false: no memory. */
static bool sa_is(const int32_t *s, int32_t n, int32_t upper, int32_t *sa);

/* Place the LMS suffixes lms (m, in the order wanted), then induce the L
 * and S suffixes from them. */
static void sa_induce(const int32_t *s, int32_t n, const uint8_t *ls, const int32_t *lms,
                      int32_t m, const int32_t *sum_l, const int32_t *sum_s, int32_t upper,
                      int32_t *buf, int32_t *sa)
{
    for (int32_t i = 0; i < n; i++)
        sa[i] = -1;
    memcpy(buf, sum_s, ((size_t)upper + 1) * sizeof *buf);
    for (int32_t i = 0; i < m; i++)
        if (lms[i] != n)
            sa[buf[s[lms[i]]]++] = lms[i];
    memcpy(buf, sum_l, ((size_t)upper + 1) * sizeof *buf);
    sa[buf[s[n - 1]]++] = n - 1;
    for (int32_t i = 0; i < n; i++) {
        int32_t v = sa[i];
        if (v >= 1 && !ls[v - 1])
            sa[buf[s[v - 1]]++] = v - 1;
    }
    memcpy(buf, sum_l, ((size_t)upper + 1) * sizeof *buf);
    for (int32_t i = n - 1; i >= 0; i--) {
        int32_t v = sa[i];
        if (v >= 1 && ls[v - 1])
            sa[--buf[s[v - 1] + 1]] = v - 1;
    }
}

static bool sa_is(const int32_t *s, int32_t n, int32_t upper, int32_t *sa)
{
    uint8_t *ls;
    int32_t *sum_l, *sum_s, *buf, *lms_map, *lms, *sorted, *rec_s, *rec_sa, m = 0;
    bool ok = false;
    if (n == 0)
        return true;
    if (n == 1) {
        sa[0] = 0;
        return true;
    }
    if (n == 2) {
        sa[0] = s[0] < s[1] ? 0 : 1;
        sa[1] = 1 - sa[0];
        return true;
    }
    ls = calloc((size_t)n, 1);
    sum_l = calloc((size_t)upper + 2, sizeof *sum_l);
    sum_s = calloc((size_t)upper + 2, sizeof *sum_s);
    buf = malloc(((size_t)upper + 2) * sizeof *buf);
    lms_map = malloc(((size_t)n + 1) * sizeof *lms_map);
    lms = calloc((size_t)n / 2 + 1, sizeof *lms);
    sorted = malloc(((size_t)n / 2 + 1) * sizeof *sorted);
    rec_s = malloc(((size_t)n / 2 + 1) * sizeof *rec_s);
    rec_sa = malloc(((size_t)n / 2 + 1) * sizeof *rec_sa);
    if (!ls || !sum_l || !sum_s || !buf || !lms_map || !lms || !sorted || !rec_s || !rec_sa)
        goto out;
    /* ls[i]: suffix i is S-type (smaller than suffix i+1). */
    for (int32_t i = n - 2; i >= 0; i--)
        ls[i] = s[i] == s[i + 1] ? ls[i + 1] : s[i] < s[i + 1];
    for (int32_t i = 0; i < n; i++) {
        if (!ls[i])
            sum_s[s[i]]++;
        else
            sum_l[s[i] + 1]++;
    }
    for (int32_t i = 0; i <= upper; i++) {
        sum_s[i] += sum_l[i];
        if (i < upper)
            sum_l[i + 1] += sum_s[i];
    }
    for (int32_t i = 0; i <= n; i++)
        lms_map[i] = -1;
    for (int32_t i = 1; i < n; i++)
        if (!ls[i - 1] && ls[i]) {
            lms_map[i] = m;
            lms[m++] = i;
        }
    sa_induce(s, n, ls, lms, m, sum_l, sum_s, upper, buf, sa);
    if (m) {
        int32_t k = 0, rec_upper = 0;
        for (int32_t i = 0; i < n; i++)
            if (lms_map[sa[i]] != -1)
                sorted[k++] = sa[i];
        rec_s[lms_map[sorted[0]]] = 0;
        for (int32_t i = 1; i < m; i++) {
            int32_t l = sorted[i - 1], r = sorted[i];
            int32_t end_l = lms_map[l] + 1 < m ? lms[lms_map[l] + 1] : n;
            int32_t end_r = lms_map[r] + 1 < m ? lms[lms_map[r] + 1] : n;
            bool same = true;
            if (end_l - l != end_r - r) {
                same = false;
            } else {
                while (l < end_l && s[l] == s[r]) {
                    l++;
                    r++;
                }
                if (l == n || s[l] != s[r])
                    same = false;
            }
            if (!same)
                rec_upper++;
            rec_s[lms_map[sorted[i]]] = rec_upper;
        }
        if (!sa_is(rec_s, m, rec_upper, rec_sa))
            goto out;
        for (int32_t i = 0; i < m; i++)
            sorted[i] = lms[rec_sa[i]];
        sa_induce(s, n, ls, sorted, m, sum_l, sum_s, upper, buf, sa);
    }
    ok = true;
out:
    free(ls);
    free(sum_l);
    free(sum_s);
    free(buf);
    free(lms_map);
    free(lms);
    free(sorted);
    free(rec_s);
    free(rec_sa);
    return ok;
}

/* Fill s from raw tokens (0 = separator), n of them plus the end: the
 * vocabulary is the sorted distinct values, ids follow it. */
static bool stream_build(Stream *s, const uint32_t *raw, int32_t n)
{
    uint64_t *key = malloc(((size_t)n + 1) * sizeof *key), *tmp = malloc(((size_t)n + 1) * sizeof *tmp);
    bool ok = false;
    s->n = n + 1;
    s->text = malloc((size_t)s->n * sizeof *s->text);
    s->sa = malloc((size_t)s->n * sizeof *s->sa);
    s->vocab = malloc(((size_t)n + 1) * sizeof *s->vocab);
    if (!key || !tmp || !s->text || !s->sa || !s->vocab)
        goto out;
    for (int32_t i = 0; i < n; i++)
        key[i] = (uint64_t)raw[i] << 32 | (uint32_t)i;
    radix_sort_hi(key, tmp, n);
    s->n_vocab = 0;
    for (int32_t i = 0; i < n; i++) {
        uint32_t r = (uint32_t)(key[i] >> 32);
        int32_t at = (int32_t)(uint32_t)key[i];
        if (r == 0) {
            s->text[at] = ID_SEP;
            continue;
        }
        if (s->n_vocab == 0 || s->vocab[s->n_vocab - 1] != r)
            s->vocab[s->n_vocab++] = r;
        s->text[at] = s->n_vocab - 1 + ID_FIRST;
    }
    s->text[n] = ID_END;
    ok = sa_is(s->text, s->n, s->n_vocab + ID_FIRST - 1, s->sa);
out:
    free(key);
    free(tmp);
    return ok;
}

static void stream_free(Stream *s)
{
    free(s->vocab);
    free(s->text);
    free(s->sa);
    memset(s, 0, sizeof *s);
}

/* ---- building ----------------------------------------------------------------- */

void origin_free(OriginIndex *ix)
{
    if (!ix)
        return;
    stream_free(&ix->st[0]);
    stream_free(&ix->st[1]);
    if (ix->names)
        for (int32_t i = 0; i < ix->n_tunes; i++)
            free(ix->names[i]);
    free(ix->names);
    free(ix->tune_tok);
    free(ix->tune_note);
    free(ix->note_bar);
    free(ix->gap_before);
    free(ix->gap_after);
    free(ix);
}

ReelStatus origin_build(OriginIndex **out, const Tune *tunes, int32_t n_tunes, ReelError *err)
{
    OriginIndex *ix;
    int64_t notes = 0, tokens = 0;
    int32_t max_notes = 0, max_bars = 0, pos = 0;
    uint32_t *raw[2] = {NULL, NULL};
    int32_t *idx = NULL, *dur = NULL, *starts = NULL;

    *out = NULL;
    if (n_tunes < 0)
        return reel_fail(err, REEL_EARG, "origin_build: negative tune count");
    for (int32_t i = 0; i < n_tunes; i++) {
        notes += tunes[i].n_notes;
        if (tunes[i].n_notes > max_notes)
            max_notes = tunes[i].n_notes;
    }
    if (notes > MAX_NOTES)
        return reel_fail(err, REEL_EARG, "the corpus has %lld notes; the copy index holds at "
                         "most %d", (long long)notes, MAX_NOTES);
    if (!(ix = calloc(1, sizeof *ix)))
        return reel_fail(err, REEL_ENOMEM, "out of memory for the copy index");
    ix->n_tunes = n_tunes;
    ix->tune_tok = calloc((size_t)n_tunes + 1, sizeof *ix->tune_tok);
    ix->tune_note = calloc((size_t)n_tunes + 1, sizeof *ix->tune_note);
    ix->names = calloc((size_t)n_tunes + 1, sizeof *ix->names);
    ix->note_bar = malloc(((size_t)notes + 1) * sizeof *ix->note_bar);
    ix->gap_before = malloc(((size_t)notes + 1) * sizeof *ix->gap_before);
    ix->gap_after = malloc(((size_t)notes + 1) * sizeof *ix->gap_after);
    idx = malloc(((size_t)max_notes + 1) * sizeof *idx);
    dur = malloc(((size_t)max_notes + 1) * sizeof *dur);
    raw[0] = malloc(((size_t)notes * 2 + 1) * sizeof *raw[0]);
    raw[1] = malloc(((size_t)notes * 2 + 1) * sizeof *raw[1]);
    if (!ix->tune_tok || !ix->tune_note || !ix->names || !ix->note_bar || !ix->gap_before ||
        !ix->gap_after || !idx || !dur || !raw[0] || !raw[1])
        goto nomem;

    for (int32_t i = 0; i < n_tunes; i++) {
        const Tune *t = &tunes[i];
        int32_t m = origin_line(t, idx, dur), nb = tune_bars(t, NULL, 0), b = 0;
        if (!(ix->names[i] = strdup(t->name ? t->name : "")))
            goto nomem;
        ix->tune_tok[i] = (int32_t)tokens;
        ix->tune_note[i] = ix->notes;
        if (m == 0)
            continue;
        if (nb + 1 > max_bars) {
            int32_t *p = realloc(starts, ((size_t)nb + 1) * sizeof *starts);
            if (!p)
                goto nomem;
            starts = p;
            max_bars = nb + 1;
        }
        tune_bars(t, starts, nb + 1);
        for (int32_t j = 0; j < m; j++) {
            int32_t on = t->notes[idx[j]].onset;
            while (b < nb && on >= starts[b + 1])
                b++;
            ix->note_bar[ix->notes + j] = b < nb && on >= starts[b] ? b : -1;
            ix->gap_before[ix->notes + j] =
                j > 0 ? on - t->notes[idx[j - 1]].onset : INT32_MAX;
            ix->gap_after[ix->notes + j] =
                j + 1 < m ? t->notes[idx[j + 1]].onset - on : INT32_MAX;
        }
        line_tokens(t, idx, dur, m, raw[0] + tokens, raw[1] + tokens);
        tokens += 2 * (int64_t)m - 1;
        raw[0][tokens] = raw[1][tokens] = 0; /* the separator */
        tokens++;
        ix->notes += m;
    }
    ix->tune_tok[n_tunes] = (int32_t)tokens;
    ix->tune_note[n_tunes] = ix->notes;
    pos = (int32_t)tokens;
    for (int s = 0; s < 2; s++)
        if (!stream_build(&ix->st[s], raw[s], pos))
            goto nomem;
    free(raw[0]);
    free(raw[1]);
    free(idx);
    free(dur);
    free(starts);
    *out = ix;
    return REEL_OK;
nomem:
    free(raw[0]);
    free(raw[1]);
    free(idx);
    free(dur);
    free(starts);
    origin_free(ix);
    return reel_fail(err, REEL_ENOMEM, "out of memory for the copy index (%lld notes)",
                     (long long)notes);
}

int32_t origin_tunes(const OriginIndex *ix) { return ix->n_tunes; }
int64_t origin_notes(const OriginIndex *ix) { return ix->notes; }

size_t origin_bytes(const OriginIndex *ix)
{
    size_t b = sizeof *ix;
    for (int s = 0; s < 2; s++)
        b += (size_t)ix->st[s].n * 2 * sizeof(int32_t) +
             (size_t)ix->st[s].n_vocab * sizeof(uint32_t);
    b += ((size_t)ix->n_tunes + 1) * (sizeof(int32_t) + sizeof(int64_t) + sizeof(char *));
    b += (size_t)ix->notes * 3 * sizeof(int32_t);
    for (int32_t i = 0; i < ix->n_tunes; i++)
        b += strlen(ix->names[i]) + 1;
    return b;
}

const char *origin_tune_name(const OriginIndex *ix, int32_t i)
{
    return i >= 0 && i < ix->n_tunes ? ix->names[i] : "";
}

/* ---- queries -------------------------------------------------------------------- */

/* True when a suffix in sa[lo..hi) lies outside tune ex. */
static bool has_other(const OriginIndex *ix, const Stream *s, int32_t lo, int32_t hi, int32_t ex)
{
    int32_t a = ix->tune_tok[ex], b = ix->tune_tok[ex + 1];
    if (hi - lo > b - a)
        return true;
    for (int32_t k = lo; k < hi; k++)
        if (s->sa[k] < a || s->sa[k] >= b)
            return true;
    return false;
}

/* Narrow sa[*lo..*hi), whose suffixes all start with the same l tokens,
 * to those whose token l is c.  False when none is. */
static bool narrow(const Stream *s, int32_t *lo, int32_t *hi, int32_t l, int32_t c)
{
    int32_t a = *lo, b = *hi, nlo;
    /* Every suffix in [lo, hi) starts with l tokens of a melody, which hold
     * no separator or end, so text[sa[k] + l] is inside the text. */
    while (a < b) {
        int32_t m = a + (b - a) / 2;
        if (s->text[s->sa[m] + l] < c)
            a = m + 1;
        else
            b = m;
    }
    nlo = a;
    b = *hi;
    while (a < b) {
        int32_t m = a + (b - a) / 2;
        if (s->text[s->sa[m] + l] <= c)
            a = m + 1;
        else
            b = m;
    }
    if (a == nlo)
        return false;
    *lo = nlo;
    *hi = a;
    return true;
}

/* Longest prefix of q[i..nq) that occurs in the text (outside tune ex when
 * ex >= 0); *pos gets a text position where it starts (-1 when 0 long). */
static int32_t longest_match(const OriginIndex *ix, const Stream *s, const int32_t *q, int32_t nq,
                             int32_t i, int32_t ex, int32_t *pos)
{
    int32_t lo = 0, hi = s->n, l = 0;
    while (i + l < nq && q[i + l] != NO_TOKEN) {
        int32_t nlo = lo, nhi = hi;
        if (!narrow(s, &nlo, &nhi, l, q[i + l]) || (ex >= 0 && !has_other(ix, s, nlo, nhi, ex)))
            break;
        lo = nlo;
        hi = nhi;
        l++;
    }
    *pos = -1;
    if (l > 0) {
        for (int32_t k = lo; k < hi; k++)
            if (ex < 0 || s->sa[k] < ix->tune_tok[ex] || s->sa[k] >= ix->tune_tok[ex + 1]) {
                *pos = s->sa[k];
                break;
            }
    }
    return l;
}

static int32_t tune_at(const OriginIndex *ix, int32_t pos);

/* Is the window of line notes j..k (lead: steps from the window's start to
 * note j; tail: from note k's onset to the window's end) somewhere in a
 * corpus tune other than ex: the same tokens, the note before more than
 * lead steps earlier, the note after at least tail steps later? */
static bool window_found(const OriginIndex *ix, const Stream *s, const int32_t *q, int32_t j,
                         int32_t k, int32_t lead, int32_t tail, int32_t ex)
{
    int32_t lo = 0, hi = s->n;
    for (int32_t l = 0; l <= 2 * (k - j); l++)
        if (q[2 * j + l] == NO_TOKEN || !narrow(s, &lo, &hi, l, q[2 * j + l]))
            return false;
    for (int32_t x = lo; x < hi; x++) {
        int32_t p = s->sa[x], t = tune_at(ix, p);
        int64_t g;
        if (t == ex)
            continue;
        g = ix->tune_note[t] + (p - ix->tune_tok[t]) / 2;
        if (ix->gap_before[g] > lead && ix->gap_after[g + (k - j)] >= tail)
            return true;
    }
    return false;
}

static int32_t tune_at(const OriginIndex *ix, int32_t pos)
{
    int32_t a = 0, b = ix->n_tunes;   /* last tune whose first token <= pos */
    while (b - a > 1) {
        int32_t m = a + (b - a) / 2;
        if (ix->tune_tok[m] <= pos)
            a = m;
        else
            b = m;
    }
    return a;
}

ReelStatus origin_query(const OriginIndex *ix, const Tune *t, int32_t exclude, OriginResult *out,
                        ReelError *err)
{
    int32_t n = t->n_notes > 0 ? t->n_notes : 1, m, nq, nb;
    int32_t *idx = malloc((size_t)n * sizeof *idx), *dur = malloc((size_t)n * sizeof *dur);
    int32_t *q[2] = {malloc((size_t)n * 2 * sizeof(int32_t)), malloc((size_t)n * 2 * sizeof(int32_t))};
    int32_t *len[2] = {malloc((size_t)n * sizeof(int32_t)), malloc((size_t)n * sizeof(int32_t))};
    int32_t *starts = NULL, *note_bar = malloc((size_t)n * sizeof *note_bar);
    uint32_t *raw[2] = {malloc((size_t)n * 2 * sizeof(uint32_t)),
                        malloc((size_t)n * 2 * sizeof(uint32_t))};
    ReelStatus st = REEL_OK;

    memset(out, 0, sizeof *out);
    out->run_note = out->run_bar = out->run_tune = out->run_tune_bar = -1;
    if (exclude >= ix->n_tunes)
        exclude = -1;
    nb = tune_bars(t, NULL, 0);
    starts = malloc(((size_t)nb + 1) * sizeof *starts);
    if (!idx || !dur || !q[0] || !q[1] || !len[0] || !len[1] || !starts || !note_bar || !raw[0] ||
        !raw[1]) {
        st = reel_fail(err, REEL_ENOMEM, "out of memory searching the corpus for copies");
        goto done;
    }
    tune_bars(t, starts, nb + 1);
    m = origin_line(t, idx, dur);
    out->notes = m;
    if (m == 0)
        goto done;
    line_tokens(t, idx, dur, m, raw[0], raw[1]);
    nq = 2 * m - 1;
    for (int s = 0; s < 2; s++)
        for (int32_t i = 0; i < nq; i++)
            q[s][i] = token_id(&ix->st[s], raw[s][i]);
    for (int32_t j = 0, b = 0; j < m; j++) {
        int32_t on = t->notes[idx[j]].onset;
        while (b < nb && on >= starts[b + 1])
            b++;
        note_bar[j] = b < nb && on >= starts[b] ? b : -1;
    }
    /* Longest matches from every note, in both streams. */
    for (int32_t j = 0; j < m; j++) {
        int32_t pos, notes;
        len[0][j] = longest_match(ix, &ix->st[0], q[0], nq, 2 * j, exclude, &pos);
        notes = (len[0][j] + 1) / 2;
        if (notes > out->run) {
            int32_t tu = tune_at(ix, pos);
            int64_t g = ix->tune_note[tu] + (pos - ix->tune_tok[tu]) / 2;
            out->run = notes;
            out->run_note = j;
            out->run_bar = note_bar[j];
            out->run_tune = tu;
            out->run_tune_bar = ix->note_bar[g];
        }
        len[1][j] = longest_match(ix, &ix->st[1], q[1], nq, 2 * j, exclude, &pos);
        if ((len[1][j] + 1) / 2 > out->run_transposed)
            out->run_transposed = (len[1][j] + 1) / 2;
    }
    /* 2-bar windows: line notes j..k with onsets in bars b, b+1. */
    for (int32_t b = 0, j = 0; b + 1 < nb; b++) {
        int32_t k, lead, tail;
        while (j < m && t->notes[idx[j]].onset < starts[b])
            j++;
        for (k = j; k < m && t->notes[idx[k]].onset < starts[b + 2]; k++)
            ;
        if (k - j < ORIGIN_WINDOW_MIN_NOTES)
            continue;
        out->windows++;
        lead = t->notes[idx[j]].onset - starts[b];
        tail = starts[b + 2] - t->notes[idx[k - 1]].onset;
        /* The longest matches say where no copy can be; the window search
         * decides where one may be. */
        if (len[0][j] >= 2 * (k - 1 - j) + 1 &&
            window_found(ix, &ix->st[0], q[0], j, k - 1, lead, tail, exclude)) {
            out->copied++;
            if (b < 64)
                out->copied_mask |= (uint64_t)1 << b;
        }
        if (len[1][j] >= 2 * (k - 1 - j) + 1 &&
            window_found(ix, &ix->st[1], q[1], j, k - 1, lead, tail, exclude))
            out->copied_transposed++;
    }
done:
    free(idx);
    free(dur);
    free(q[0]);
    free(q[1]);
    free(len[0]);
    free(len[1]);
    free(starts);
    free(note_bar);
    free(raw[0]);
    free(raw[1]);
    return st;
}
