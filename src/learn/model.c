/* model.c — model files: see model.h for the format. */
#include "files.h"
#include "model.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADER_LINES 200
#define MAX_LINE 1024
#define CHECKSUM_LINE 26            /* "checksum %016llx\n" */
#define MAX_BLOCK ((uint64_t)1 << 31) /* floats in one block: 8 GiB, far past any model */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model.c writes the host's floats as little-endian: add byte swapping for this host"
#endif

void model_init(Model *m)
{
    memset(m, 0, sizeof *m);
    /* Settings a loaded file must have (the header's limits): a model made
     * in code and saved before training sets its own is still a valid file. */
    m->train.window = 64;
    m->train.batch = 32;
    m->train.epochs = 1;
    m->train.threads = 1;
    m->train.optim = optim_defaults(OPTIM_ADAM);
    m->progress.val_loss = m->progress.val_acc = NAN;
    m->progress.best_val_loss = INFINITY;
    m->range = range_none();
}

void model_free(Model *m)
{
    if (!m)
        return;
    vocab_free(m->vocab);
    net_free(m->nn);
    optim_free(&m->optim);
    model_init(m);
}

ReelStatus model_net_for_encoding(const EncOpts *e, const Vocab *v, NetConfig *c, ReelError *err)
{
    int w;
    if (e->kind == ENC_TOKENS && !v)
        return reel_fail(err, REEL_EARG, "the tokens encoding needs a vocabulary");
    w = enc_width(e, v);
    if (w <= 0)
        return reel_fail(err, REEL_EARG, "encoding %s has no width", enc_name(e->kind));
    c->n_in = enc_in_width(e, v);
    c->n_out = enc_out_width(e, v);
    c->in_classes = enc_is_classes(e->kind) && !enc_lookback(e);
    c->head = enc_is_classes(e->kind) ? HEAD_SOFTMAX_CE
              : e->kind == ENC_REGRESS ? HEAD_LINEAR_MSE
                                        : HEAD_SIGMOID_BCE;
    return REEL_OK;
}

/* ---- writing -------------------------------------------------------------- */

typedef struct {
    FILE *f;
    uint64_t hash;     /* FNV-1a 64 of everything written */
    bool failed;
} Writer;

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    return h;
}

static void w_bytes(Writer *w, const void *p, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (fwrite(p, 1, n, w->f) != n)
        w->failed = true;
    w->hash = fnv(w->hash, p, n);
}

__attribute__((format(printf, 2, 3))) static void w_printf(Writer *w, const char *fmt, ...)
{
    char buf[MAX_LINE + 64];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf) {
        w->failed = true;
        return;
    }
    w_bytes(w, buf, (size_t)n);
}

static void w_block(Writer *w, const float *p, uint64_t n)
{
    w_bytes(w, &n, sizeof n);
    w_bytes(w, p, (size_t)n * sizeof *p);
}

/* Text fields must stay on one line, and text from a file must not reach a
 * terminal with its control characters (an escape sequence in `created`
 * could clear the screen or retitle the terminal): line breaks become
 * blanks, every other control character '?'. */
static void clean_line(char *dst, const char *src, size_t len)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < len; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c == '\n' || c == '\r' ? ' ' : c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    dst[i] = '\0';
}

/* At most 60 bytes of src, cleaned, for a message. */
static const char *shown(const char *src, char buf[64])
{
    clean_line(buf, src, 61);
    return buf;
}

static void w_header(Writer *w, const Model *m)
{
    const NetConfig *c = &m->net;
    const TrainSettings *t = &m->train;
    const TrainProgress *p = &m->progress;
    char corpus[sizeof t->corpus];
    clean_line(corpus, t->corpus, sizeof corpus);
    w_printf(w, "%sversion %d\n", MODEL_MAGIC, MODEL_VERSION);
    w_printf(w, "created %s\n", m->created);
    w_printf(w, "encoding %s\nplain %d\ndurations %d\n", enc_name(m->enc.kind), m->enc.plain,
             m->enc.durations);
    if (m->enc.lookback)
        w_printf(w, "lookback 1\n");
    if (m->enc.repeats)
        w_printf(w, "repeat_labels 1\n");
    if (range_known(m->range))
        w_printf(w, "pitch_range %d %d\n", m->range.lo, m->range.hi);
    if (keyspread_known(&m->keys)) {
        w_printf(w, "key_spread");
        for (int k = 0; k < KEYSPREAD_COUNTS; k++)
            w_printf(w, " %lld", (long long)m->keys.n[k]);
        w_printf(w, "\n");
    }
    if (enc_form(&m->enc))
        w_printf(w, "lookback_bars %d\nphrase %d\ntune_events %d\ncondition %d\n"
                 "cond_key %d\ncond_meter %d\ntranspose %d\n", m->enc.back, m->enc.phrase,
                 m->enc.events, m->enc.cond, m->enc.cond_key, m->enc.cond_meter, m->enc.shifts);
    w_printf(w, "n_in %d\nin_classes %d\nhidden %d\nlayers %d\ndense %d\nbatchnorm %d\n",
             c->n_in, c->in_classes, c->hidden, c->layers, c->dense, c->batchnorm);
    w_printf(w, "dropout %.9g\nrec_dropout %.9g\nn_out %d\nhead %d\n", c->dropout,
             c->rec_dropout, c->n_out, (int)c->head);
    w_printf(w, "window %d\nbatch %d\nepochs %d\nval_split %.9g\nseed %" PRIu64 "\nthreads %d\n",
             t->window, t->batch, t->epochs, t->val_split, t->seed, t->threads);
    w_printf(w, "optimizer %s\nlr %.9g\nbeta1 %.9g\nbeta2 %.9g\nrho %.9g\neps %.9g\nclip %.9g\n",
             optim_name(t->optim.kind), t->optim.lr, t->optim.beta1, t->optim.beta2,
             t->optim.rho, t->optim.eps, t->optim.clip_norm);
    w_printf(w, "corpus %s\ntunes_train %ld\ntunes_val %ld\nsteps_train %ld\n", corpus,
             t->tunes_train, t->tunes_val, t->steps_train);
    if (t->test_split > 0)
        w_printf(w, "test_split %.9g\ntunes_test %ld\n", t->test_split, t->tunes_test);
    w_printf(w, "epoch %d\nbatches %" PRId64 "\nbatch_in_epoch %" PRId64 "\n", p->epoch,
             p->batches, p->batch_in_epoch);
    w_printf(w, "train_loss %.9g\ntrain_acc %.9g\nval_loss %.9g\nval_acc %.9g\n"
                "best_val_loss %.9g\nseconds %.3f\n",
             p->train_loss, p->train_acc, p->val_loss, p->val_acc, p->best_val_loss, p->seconds);
    w_printf(w, "epoch_rng %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n",
             p->epoch_rng.s[0], p->epoch_rng.s[1], p->epoch_rng.s[2], p->epoch_rng.s[3]);
    w_printf(w, "drop_rng %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n",
             p->drop_rng.s[0], p->drop_rng.s[1], p->drop_rng.s[2], p->drop_rng.s[3]);
}

int model_clean_temps(const char *path)
{
    return file_clean_temps(path);
}

ReelStatus model_save(Model *m, const char *path, bool with_optim, ReelError *err)
{
    FileAtomic a;
    Writer w = {NULL, FNV_OFFSET, false};
    time_t now = time(NULL);
    struct tm tmv;
    uint64_t zero = 0;
    char line[40];
    ReelStatus st;

    if (!m->nn)
        return reel_fail(err, REEL_EARG, "%s: no network to save", path);
    gmtime_r(&now, &tmv);
    strftime(m->created, sizeof m->created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    if ((st = file_atomic_begin(&a, path, err)))
        return st;
    w.f = a.f;
    w_header(&w, m);
    if (m->enc.kind == ENC_TOKENS && m->vocab) {
        ReelError verr;
        w_printf(&w, "vocab\n");
        /* The vocabulary goes through a memory stream so it is hashed too. */
        {
            char *buf = NULL;
            size_t len = 0;
            FILE *mf = open_memstream(&buf, &len);
            if (!mf || vocab_write(m->vocab, mf, &verr) || fclose(mf)) {
                free(buf);
                w.failed = true;
            } else {
                w_bytes(&w, buf, len);
                free(buf);
            }
        }
    }
    w_printf(&w, "weights\n");
    w_block(&w, net_params(m->nn), net_n_params(m->nn));
    w_block(&w, net_buffers(m->nn), net_n_buffers(m->nn));
    if (with_optim && m->optim.state)
        w_block(&w, m->optim.state, optim_state_len(m->optim.c.kind, m->optim.n));
    else
        w_bytes(&w, &zero, sizeof zero);
    snprintf(line, sizeof line, "checksum %016" PRIx64 "\n", w.hash);
    if (!w.failed && fwrite(line, 1, strlen(line), w.f) != strlen(line))
        w.failed = true;
    if (w.failed) {
        st = reel_fail(err, REEL_EIO, "%s: writing the model failed: %s (the old file, if any, "
                       "is unchanged)", path, strerror(errno));
        file_atomic_abort(&a);
        return st;
    }
    if ((st = file_atomic_commit(&a, err)))
        return st;
    m->checksum = w.hash;
    return REEL_OK;
}

/* ---- reading -------------------------------------------------------------- */

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    const char *path;
} Reader;

/* Next line without its newline into buf; false at the end or when too long. */
static bool r_line(Reader *r, char *buf, size_t cap)
{
    size_t i = 0;
    while (r->pos < r->len) {
        unsigned char c = r->p[r->pos++];
        if (c == '\n') {
            buf[i] = '\0';
            return true;
        }
        if (i + 1 >= cap)
            return false;
        buf[i++] = (char)c;
    }
    return false;
}

static bool parse_rng(const char *v, Rng *r)
{
    return sscanf(v, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64, &r->s[0], &r->s[1],
                  &r->s[2], &r->s[3]) == 4;
}

/* The header's fields, by how their values are read. */
typedef enum {
    HK_BOOL,      /* "0" or not: atoi(v) != 0 */
    HK_INT,       /* a whole number that fits an int */
    HK_FLOAT,     /* a number, or nan / inf / -nan */
    HK_LONG,      /* a number (counts of tunes and steps) */
    HK_I64,       /* a whole decimal int64 */
    HK_DOUBLE,    /* a number */
    HK_U64,       /* a whole decimal uint64 */
    HK_RNG,       /* four hex words */
    HK_TEXT,      /* the rest of the line */
    HK_ENCODING, HK_HEAD, HK_OPTIMIZER,
    HK_RANGE,     /* two MIDI pitches, 0 <= lo <= hi <= 127 */
    HK_KEYS,      /* KEYSPREAD_COUNTS counts >= 0 */
} HeaderType;

typedef struct {
    const char *key;
    HeaderType type;
    size_t off;   /* in Model */
    size_t size;  /* HK_TEXT: the field's size */
    bool limited; /* numbers: allowed from lo to hi (whatever the checksum says) */
    double lo, hi;
    bool nan_ok;  /* HK_FLOAT: NaN allowed (a loss not measured yet) */
} HeaderKey;

#define HK(key, type, field) {key, type, offsetof(Model, field), sizeof(((Model *)0)->field), \
                              false, 0, 0, false}
/* A number that must lie in [lo, hi]. */
#define HKL(key, type, field, lo, hi) {key, type, offsetof(Model, field), \
                                       sizeof(((Model *)0)->field), true, lo, hi, false}
/* A float that may also be NaN or infinite (losses and accuracies). */
#define HKN(key, field) {key, HK_FLOAT, offsetof(Model, field), sizeof(((Model *)0)->field), \
                         true, -INFINITY, INFINITY, true}
#define HK_COUNT_MAX 9007199254740992.0 /* 2^53: counts a double still holds exactly */

static const HeaderKey header_keys[] = {
    HK("created", HK_TEXT, created),
    HK("encoding", HK_ENCODING, enc.kind),
    HK("plain", HK_BOOL, enc.plain),
    HK("durations", HK_BOOL, enc.durations),
    HK("lookback", HK_BOOL, enc.lookback),
    HK("repeat_labels", HK_BOOL, enc.repeats),
    HK("pitch_range", HK_RANGE, range),
    HK("key_spread", HK_KEYS, keys),
    HKL("lookback_bars", HK_INT, enc.back, 0, (1 << ENC_BACK_MAX) - 1),
    HK("phrase", HK_BOOL, enc.phrase),
    HK("tune_events", HK_BOOL, enc.events),
    HK("condition", HK_BOOL, enc.cond),
    HKL("cond_key", HK_INT, enc.cond_key, -1, 23),
    HKL("cond_meter", HK_INT, enc.cond_meter, -1, ENC_METERS - 1),
    HKL("transpose", HK_INT, enc.shifts, 0, ENC_SHIFTS_ALL | ((1 << 25) - 1)),
    HK("in_classes", HK_BOOL, net.in_classes),
    HK("batchnorm", HK_BOOL, net.batchnorm),
    HKL("n_in", HK_INT, net.n_in, 1, 1 << 24),
    HKL("hidden", HK_INT, net.hidden, 1, 8192),
    HKL("layers", HK_INT, net.layers, 1, 16),
    HKL("dense", HK_INT, net.dense, 0, 8192),
    HKL("n_out", HK_INT, net.n_out, 1, 1 << 24),
    HKL("dropout", HK_FLOAT, net.dropout, 0, 0.95),
    HKL("rec_dropout", HK_FLOAT, net.rec_dropout, 0, 0.95),
    HK("head", HK_HEAD, net.head),
    HKL("window", HK_INT, train.window, 1, 100000),
    HKL("batch", HK_INT, train.batch, 1, 100000),
    HKL("epochs", HK_INT, train.epochs, 1, 1000000),
    HKL("threads", HK_INT, train.threads, 1, 256),
    HKL("val_split", HK_FLOAT, train.val_split, 0, 0.9),
    HKL("test_split", HK_FLOAT, train.test_split, 0, 0.5),
    HK("seed", HK_U64, train.seed),
    HK("optimizer", HK_OPTIMIZER, train.optim.kind),
    HKL("lr", HK_FLOAT, train.optim.lr, 1e-9, 10),
    HKL("beta1", HK_FLOAT, train.optim.beta1, 0, 0.999999),
    HKL("beta2", HK_FLOAT, train.optim.beta2, 0, 0.99999999),
    HKL("rho", HK_FLOAT, train.optim.rho, 0, 0.999999),
    HKL("eps", HK_FLOAT, train.optim.eps, 1e-30, 1),
    HKL("clip", HK_FLOAT, train.optim.clip_norm, 0, 1e9),
    HK("corpus", HK_TEXT, train.corpus),
    HKL("tunes_train", HK_LONG, train.tunes_train, 0, 1e9),
    HKL("tunes_val", HK_LONG, train.tunes_val, 0, 1e9),
    HKL("tunes_test", HK_LONG, train.tunes_test, 0, 1e9),
    HKL("steps_train", HK_LONG, train.steps_train, 0, HK_COUNT_MAX),
    HKL("epoch", HK_INT, progress.epoch, 0, 1000000),
    HKL("batches", HK_I64, progress.batches, 0, HK_COUNT_MAX),
    HKL("batch_in_epoch", HK_I64, progress.batch_in_epoch, 0, HK_COUNT_MAX),
    HKN("train_loss", progress.train_loss),
    HKN("train_acc", progress.train_acc),
    HKN("val_loss", progress.val_loss),
    HKN("val_acc", progress.val_acc),
    HKN("best_val_loss", progress.best_val_loss),
    HKL("seconds", HK_DOUBLE, progress.seconds, 0, 1e12),
    HK("epoch_rng", HK_RNG, progress.epoch_rng),
    HK("drop_rng", HK_RNG, progress.drop_rng),
};

/* "key_spread": KEYSPREAD_COUNTS whole counts 0..2^40, blank-separated. */
static ReelStatus header_keys_value(KeySpread *k, const char *v)
{
    const char *p = v;
    for (int i = 0; i < KEYSPREAD_COUNTS; i++) {
        char *end;
        long long c;
        while (*p == ' ')
            p++;
        if (*p < '0' || *p > '9')
            return REEL_EARG;
        c = strtoll(p, &end, 10);
        if (c < 0 || c > (1LL << 40))
            return REEL_EARG;
        k->n[i] = c;
        p = end;
    }
    return *p == '\0' ? REEL_OK : REEL_EARG;
}

/* The number a numeric field holds. */
static double field_number(const HeaderKey *k, const void *field)
{
    switch (k->type) {
    case HK_INT: return *(const int *)field;
    case HK_FLOAT: return *(const float *)field;
    case HK_LONG: return (double)*(const long *)field;
    case HK_I64: return (double)*(const int64_t *)field;
    case HK_DOUBLE: return *(const double *)field;
    default: return 0;
    }
}

/* k's value in field within its limits, else a message naming the field
 * and what it may be. */
static ReelStatus check_limit(const HeaderKey *k, const void *field, const char *v,
                              const char *path, ReelError *err)
{
    double x = field_number(k, field);
    bool whole = k->type != HK_FLOAT && k->type != HK_DOUBLE;
    char sv[64];
    if (!k->limited || (k->nan_ok && (isnan(x) || isinf(x))) || (x >= k->lo && x <= k->hi))
        return REEL_OK;
    if (whole)
        return reel_fail(err, REEL_EFORMAT,
                         "%s: damaged: header field %s is '%s'; it must be a whole number "
                         "from %.0f to %.0f", path, k->key, shown(v, sv), k->lo, k->hi);
    return reel_fail(err, REEL_EFORMAT,
                     "%s: damaged: header field %s is '%s'; it must be a number from %g to %g",
                     path, k->key, shown(v, sv), k->lo, k->hi);
}

/* What a field's value must look like, for a message. */
static const char *value_kind(const HeaderKey *k)
{
    switch (k->type) {
    case HK_INT: case HK_LONG: case HK_I64: return "a whole number";
    case HK_U64: return "a whole number from 0";
    case HK_FLOAT: case HK_DOUBLE: return "a number";
    case HK_RANGE: return "two MIDI pitches LO HI, 0 <= LO <= HI <= 127";
    case HK_KEYS: return "192 whole counts";
    case HK_HEAD: return "0 (sigmoid), 1 (softmax) or 2 (linear)";
    case HK_OPTIMIZER: return "adam or rmsprop";
    default: return "another value";
    }
}

/* Read v as k says into field.  REEL_EARG: the generic "bad value" message
 * is the caller's; REEL_EFORMAT: err says it. */
static ReelStatus parse_value(const HeaderKey *k, void *field, const char *v, const char *path,
                              ReelError *err)
{
    char *end = NULL;
    double d = strtod(v, &end);
    bool num = end != v && *end == '\0';
    /* (long)d is undefined for NaN ("val_loss nan") and out-of-range values. */
    long l = fabs(d) < 9.2e18 ? (long)d : 0;
    int i;
    char sv[64];
    switch (k->type) {
    case HK_BOOL: *(bool *)field = atoi(v) != 0; return REEL_OK;
    case HK_INT:
        if (!num || d != (double)l || l < -2147483647L || l > 2147483647L)
            return REEL_EARG;
        *(int *)field = (int)l;
        return REEL_OK;
    case HK_FLOAT:
        if (!num && strcmp(v, "nan") && strcmp(v, "inf") && strcmp(v, "-nan"))
            return REEL_EARG;
        *(float *)field = (float)d;
        return REEL_OK;
    case HK_LONG:
        *(long *)field = l;
        return num && d == (double)l ? REEL_OK : REEL_EARG;
    case HK_I64:
        errno = 0;
        *(int64_t *)field = strtoll(v, &end, 10);
        return *end || end == v || errno == ERANGE ? REEL_EARG : REEL_OK;
    case HK_DOUBLE:
        *(double *)field = d;
        return num ? REEL_OK : REEL_EARG;
    case HK_U64:
        *(uint64_t *)field = strtoull(v, &end, 10);
        return *end ? REEL_EARG : REEL_OK;
    case HK_RNG:
        return parse_rng(v, field) ? REEL_OK
                                   : reel_fail(err, REEL_EFORMAT, "%s: header field %s has a bad "
                                               "value '%s'; it must be four words of 16 hex "
                                               "digits", path, k->key, shown(v, sv));
    case HK_TEXT: clean_line(field, v, k->size); return REEL_OK;
    case HK_ENCODING:
        *(EncKind *)field = enc_parse(v);
        if (*(EncKind *)field == ENC_COUNT)
            return reel_fail(err, REEL_EFORMAT, "%s: unknown encoding '%s' in the header", path,
                             shown(v, sv));
        return REEL_OK;
    case HK_HEAD:
        if (!num || (l != HEAD_SIGMOID_BCE && l != HEAD_SOFTMAX_CE && l != HEAD_LINEAR_MSE))
            return REEL_EARG;
        *(HeadKind *)field = (HeadKind)l;
        return REEL_OK;
    case HK_OPTIMIZER:
        if ((i = optim_parse(v)) < 0)
            return REEL_EARG;
        *(OptimKind *)field = (OptimKind)i;
        return REEL_OK;
    case HK_RANGE: {
        PitchRange *r = field;
        char tail;
        if (sscanf(v, "%d %d%c", &r->lo, &r->hi, &tail) != 2 || !range_known(*r))
            return REEL_EARG;
        return REEL_OK;
    }
    case HK_KEYS: return header_keys_value(field, v);
    }
    return REEL_OK;
}

/* Apply one header line.  Unknown keys are ignored (a later version 1 writer
 * may add some). */
static ReelStatus header_kv(Model *m, const char *key, const char *v, const char *path,
                            ReelError *err)
{
    char sk[64], sv[64];
    for (size_t i = 0; i < sizeof header_keys / sizeof header_keys[0]; i++) {
        const HeaderKey *k = &header_keys[i];
        ReelStatus s;
        if (strcmp(key, k->key))
            continue;
        s = parse_value(k, (char *)m + k->off, v, path, err);
        if (!s)
            s = check_limit(k, (char *)m + k->off, v, path, err);
        if (s == REEL_EARG)
            return reel_fail(err, REEL_EFORMAT, "%s: header field %s has a bad value '%s'; it "
                             "must be %s", path, shown(key, sk), shown(v, sv), value_kind(k));
        return s;
    }
    return REEL_OK;
}

/* Read a u64 count and that many floats into dst (which holds want floats). */
static ReelStatus r_block(Reader *r, float *dst, uint64_t want, const char *what, ReelError *err)
{
    uint64_t n;
    if (r->len - r->pos < sizeof n)
        return reel_fail(err, REEL_EFORMAT, "%s: truncated: the file ends before the %s", r->path,
                         what);
    memcpy(&n, r->p + r->pos, sizeof n);
    r->pos += sizeof n;
    if (n != want)
        return reel_fail(err, REEL_EFORMAT,
                         "%s: the %s block holds %" PRIu64 " numbers, the header's sizes need %"
                         PRIu64, r->path, what, n, want);
    if ((r->len - r->pos) / sizeof(float) < n)
        return reel_fail(err, REEL_EFORMAT,
                         "%s: truncated: the %s need %" PRIu64 " bytes, the file has %zu left",
                         r->path, what, n * sizeof(float), r->len - r->pos);
    if (n)
        memcpy(dst, r->p + r->pos, (size_t)n * sizeof(float));
    r->pos += (size_t)n * sizeof(float);
    return REEL_OK;
}

static ReelStatus read_file(const char *path, unsigned char **out, size_t *len, ReelError *err)
{
    FILE *f;
    struct stat st;
    unsigned char *buf;
    if (stat(path, &st) != 0)
        return reel_fail(err, REEL_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return reel_fail(err, REEL_EIO, "%s: not a regular file", path);
    if (st.st_size == 0)
        return reel_fail(err, REEL_EFORMAT, "%s: empty file, not a reel model", path);
    if ((uint64_t)st.st_size > MAX_BLOCK * 4)
        return reel_fail(err, REEL_EFORMAT, "%s: %lld bytes is too large for a reel model", path,
                         (long long)st.st_size);
    f = fopen(path, "rb");
    if (!f)
        return reel_fail(err, REEL_EIO, "%s: %s", path, strerror(errno));
    buf = malloc((size_t)st.st_size);
    if (!buf) {
        fclose(f);
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory reading %lld bytes", path,
                         (long long)st.st_size);
    }
    if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        fclose(f);
        free(buf);
        return reel_fail(err, REEL_EIO, "%s: read failed", path);
    }
    fclose(f);
    *out = buf;
    *len = (size_t)st.st_size;
    return REEL_OK;
}

/* The frame around everything: magic, version, and the checksum line at
 * the end, checked before anything else is trusted.  After it r reads the
 * header lines, and stops before the checksum line; *stated is the
 * checksum. */
static ReelStatus check_frame(Reader *r, uint64_t *stated, ReelError *err)
{
    const unsigned char *buf = r->p;
    size_t len = r->len;
    char line[MAX_LINE], hex[17], *end, sl[64];
    const char *cs;
    long long lversion;
    uint64_t actual;
    if (len >= 9 && memcmp(buf, "REELMODEL", 9) == 0 &&
        (len < strlen(MODEL_MAGIC) || memcmp(buf, MODEL_MAGIC, strlen(MODEL_MAGIC)) != 0))
        return reel_fail(err, REEL_EFORMAT, "%s: damaged: REELMODEL is not followed by a line "
                         "break", r->path);
    if (len < strlen(MODEL_MAGIC) || memcmp(buf, MODEL_MAGIC, strlen(MODEL_MAGIC)) != 0)
        return reel_fail(err, REEL_EFORMAT, "%s: not a reel model (it does not start with %s)",
                         r->path, "REELMODEL");
    r->pos = strlen(MODEL_MAGIC);
    if (!r_line(r, line, sizeof line) || strncmp(line, "version ", 8) != 0)
        return reel_fail(err, REEL_EFORMAT, "%s: damaged: no version line after the magic",
                         r->path);
    errno = 0;
    lversion = strtoll(line + 8, &end, 10);
    if (end == line + 8 || *end || errno == ERANGE)
        return reel_fail(err, REEL_EFORMAT, "%s: damaged version line '%s'", r->path,
                         shown(line, sl));
    if (lversion != MODEL_VERSION)
        return reel_fail(err, REEL_EUNSUPPORTED,
                         "%s: model format version %lld; this reel reads version %d%s", r->path,
                         lversion, MODEL_VERSION,
                         lversion > MODEL_VERSION ? " (a newer reel wrote it: update reel)" : "");
    /* "checksum " + 16 hex digits + "\n" (CHECKSUM_LINE bytes) ends the file. */
    cs = len >= CHECKSUM_LINE ? (const char *)buf + len - CHECKSUM_LINE : NULL;
    if (!cs || memcmp(cs, "checksum ", 9) != 0 || buf[len - 1] != '\n')
        return reel_fail(err, REEL_EFORMAT, "%s: truncated: the checksum line at the end is "
                         "missing (%zu bytes; the file was cut short or is damaged)", r->path, len);
    memcpy(hex, cs + 9, 16);
    hex[16] = '\0';
    *stated = strtoull(hex, &end, 16);
    if (*end)
        return reel_fail(err, REEL_EFORMAT, "%s: damaged checksum line", r->path);
    actual = fnv(FNV_OFFSET, buf, len - CHECKSUM_LINE);
    if (actual != *stated)
        return reel_fail(err, REEL_EFORMAT,
                         "%s: damaged: checksum %016" PRIx64 " does not match the contents (%016"
                         PRIx64 ")", r->path, *stated, actual);
    r->len = len - CHECKSUM_LINE; /* nothing below may read the checksum line */
    return REEL_OK;
}

/* Header lines into t up to "vocab" or "weights" (left in line). */
static ReelStatus read_header(Reader *r, Model *t, char *line, size_t cap, ReelError *err)
{
    for (int i = 0;; i++) {
        char *sp, sl[64];
        ReelStatus s;
        if (i > MAX_HEADER_LINES || !r_line(r, line, cap))
            return reel_fail(err, REEL_EFORMAT, "%s: damaged: the header does not end", r->path);
        if (!strcmp(line, "vocab") || !strcmp(line, "weights"))
            return REEL_OK;
        sp = strchr(line, ' ');
        if (!sp)
            return reel_fail(err, REEL_EFORMAT, "%s: damaged header line '%s'", r->path,
                             shown(line, sl));
        *sp = '\0';
        if ((s = header_kv(t, line, sp + 1, r->path, err)))
            return s;
    }
}

/* After "vocab": the vocabulary, then the "weights" line (buf: r's bytes). */
static ReelStatus read_vocab(Reader *r, unsigned char *buf, Model *t, ReelError *err)
{
    char line[MAX_LINE];
    FILE *mf = fmemopen(buf + r->pos, r->len - r->pos, "rb");
    long used;
    ReelStatus s;
    if (!mf)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", r->path);
    s = vocab_read(&t->vocab, mf, r->path, err);
    used = ftell(mf);
    fclose(mf);
    if (s)
        return s;
    r->pos += (size_t)used;
    if (!r_line(r, line, sizeof line) || strcmp(line, "weights"))
        return reel_fail(err, REEL_EFORMAT, "%s: damaged: no weights after the vocabulary",
                         r->path);
    return REEL_OK;
}

/* "PATH: " + err's message, with status s. */
static ReelStatus fail_in(ReelError *err, ReelStatus s, const char *path, const char *what)
{
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return reel_fail(err, s, "%s: %s%s", path, what, msg);
}

/* The header's sizes against its encoding and against the bytes left. */
static ReelStatus check_sizes(const Reader *r, const Model *t, ReelError *err)
{
    NetConfig want = t->net;
    size_t room = (r->len - r->pos) / sizeof(float);
    ReelStatus s;
    if (t->enc.kind == ENC_TOKENS && !t->vocab)
        return reel_fail(err, REEL_EFORMAT, "%s: damaged: a tokens model without its vocabulary",
                         r->path);
    if ((s = model_net_for_encoding(&t->enc, t->vocab, &want, err)))
        return s;
    if (want.head != t->net.head)
        return reel_fail(err, REEL_EFORMAT,
                         "%s: damaged: header field head is %d; encoding %s has head %d",
                         r->path, (int)t->net.head, enc_name(t->enc.kind), (int)want.head);
    if (want.in_classes != t->net.in_classes)
        return reel_fail(err, REEL_EFORMAT,
                         "%s: damaged: header field in_classes is %d; encoding %s has %d",
                         r->path, (int)t->net.in_classes, enc_name(t->enc.kind),
                         (int)want.in_classes);
    if (want.n_in != t->net.n_in || want.n_out != t->net.n_out)
        return reel_fail(err, REEL_EFORMAT,
                         "%s: damaged: encoding %s needs %d inputs and %d outputs, the header "
                         "says %d and %d", r->path, enc_name(t->enc.kind), want.n_in, want.n_out,
                         t->net.n_in, t->net.n_out);
    if (net_config_check(&t->net, err))
        return fail_in(err, REEL_EFORMAT, r->path, "damaged network sizes: ");
    /* Sizes are trusted only as far as the file holds their weights: a
     * damaged header must not make reel allocate gigabytes. */
    if (net_config_n_params(&t->net) > room)
        return reel_fail(err, REEL_EFORMAT,
                         "%s: damaged: the header's sizes need %zu weights, the file holds at "
                         "most %zu", r->path, net_config_n_params(&t->net), room);
    return REEL_OK;
}

/* The optimizer state block (a count of 0: none kept). */
static ReelStatus read_optim(Reader *r, Model *t, ReelError *err)
{
    uint64_t n_opt;
    size_t np = net_n_params(t->nn);
    ReelStatus s;
    if (r->len - r->pos < sizeof n_opt)
        return reel_fail(err, REEL_EFORMAT, "%s: truncated before the optimizer state", r->path);
    memcpy(&n_opt, r->p + r->pos, sizeof n_opt);
    if (!n_opt) {
        r->pos += sizeof n_opt;
        return REEL_OK;
    }
    if (n_opt != optim_state_len(t->train.optim.kind, np))
        return reel_fail(err, REEL_EFORMAT,
                         "%s: damaged: optimizer state of %" PRIu64 " numbers for %zu weights",
                         r->path, n_opt, np);
    if ((s = optim_init(&t->optim, &t->train.optim, np, err)))
        return fail_in(err, s == REEL_ENOMEM ? s : REEL_EFORMAT, r->path,
                       s == REEL_ENOMEM ? "cannot make the optimizer settings: "
                                        : "damaged optimizer settings: ");
    if ((s = r_block(r, t->optim.state, n_opt, "optimizer state", err)))
        return s;
    t->optim.t = t->progress.batches;
    return REEL_OK;
}

/* The network of the header's sizes and its blocks, then nothing more;
 * every weight finite. */
static ReelStatus read_weights(Reader *r, Model *t, int max_T, int max_B, ReelError *err)
{
    ReelStatus s;
    if ((s = net_new(&t->nn, &t->net, max_T, max_B, err)))
        return fail_in(err, s, r->path, "");
    if ((s = r_block(r, net_params(t->nn), net_n_params(t->nn), "weights", err)) ||
        (s = r_block(r, net_buffers(t->nn), net_n_buffers(t->nn), "batch-norm statistics", err)) ||
        (s = read_optim(r, t, err)))
        return s;
    if (r->pos != r->len)
        return reel_fail(err, REEL_EFORMAT, "%s: damaged: %zu unexpected bytes after the weights",
                         r->path, r->len - r->pos);
    for (size_t i = 0, n = net_n_params(t->nn); i < n; i++)
        if (!isfinite(net_params(t->nn)[i]))
            return reel_fail(err, REEL_EFORMAT, "%s: damaged: weight %zu is not a finite number",
                             r->path, i);
    return REEL_OK;
}

ReelStatus model_load(Model *m, const char *path, int max_T, int max_B, ReelError *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    Reader r;
    char line[MAX_LINE];
    ReelStatus s;
    Model t;
    uint64_t stated = 0;

    model_init(m);
    if ((s = read_file(path, &buf, &len, err)))
        return s;
    r.p = buf;
    r.len = len;
    r.pos = 0;
    r.path = path;
    model_init(&t);
    if (!(s = check_frame(&r, &stated, err)) &&
        !(s = read_header(&r, &t, line, sizeof line, err)) &&
        !(s = strcmp(line, "vocab") ? REEL_OK : read_vocab(&r, buf, &t, err)) &&
        !(s = check_sizes(&r, &t, err)))
        s = read_weights(&r, &t, max_T, max_B, err);
    free(buf);
    if (s) {
        model_free(&t);
        return s;
    }
    t.checksum = stated;
    *m = t;
    return REEL_OK;
}

void model_checksum_hex(const Model *m, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, m->checksum);
}
