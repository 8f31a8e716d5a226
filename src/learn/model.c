/* model.c — model files: see model.h for the format. */
#include "files.h"
#include "model.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
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
    m->progress.val_loss = m->progress.val_acc = NAN;
    m->progress.best_val_loss = INFINITY;
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

/* Text fields must stay on one line. */
static void clean_line(char *dst, const char *src, size_t len)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < len; i++)
        dst[i] = (src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
    dst[i] = '\0';
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

/* Apply one header line.  Unknown keys are ignored (a later version 1 writer
 * may add some). */
static ReelStatus header_kv(Model *m, const char *key, const char *v, const char *path,
                            ReelError *err)
{
    NetConfig *c = &m->net;
    TrainSettings *t = &m->train;
    TrainProgress *p = &m->progress;
    char *end = NULL;
    double d = strtod(v, &end);
    bool num = end != v && *end == '\0';
    /* (long)d is undefined for NaN ("val_loss nan") and out-of-range values. */
    long l = fabs(d) < 9.2e18 ? (long)d : 0;

#define INT_KEY(name, field)                                                          \
    if (!strcmp(key, name)) {                                                         \
        if (!num || d != (double)l || l < -2147483647L || l > 2147483647L)            \
            goto bad;                                                                 \
        field = (int)l;                                                               \
        return REEL_OK;                                                               \
    }
#define FLOAT_KEY(name, field)                                                        \
    if (!strcmp(key, name)) {                                                         \
        if (!num && strcmp(v, "nan") && strcmp(v, "inf") && strcmp(v, "-nan"))       \
            goto bad;                                                                 \
        field = (float)d;                                                             \
        return REEL_OK;                                                               \
    }
    if (!strcmp(key, "created")) {
        clean_line(m->created, v, sizeof m->created);
        return REEL_OK;
    }
    if (!strcmp(key, "encoding")) {
        m->enc.kind = enc_parse(v);
        if (m->enc.kind == ENC_COUNT)
            return reel_fail(err, REEL_EFORMAT, "%s: unknown encoding '%s' in the header", path, v);
        return REEL_OK;
    }
    if (!strcmp(key, "plain")) {
        m->enc.plain = atoi(v) != 0;
        return REEL_OK;
    }
    if (!strcmp(key, "durations")) {
        m->enc.durations = atoi(v) != 0;
        return REEL_OK;
    }
    if (!strcmp(key, "lookback")) {
        m->enc.lookback = atoi(v) != 0;
        return REEL_OK;
    }
    if (!strcmp(key, "repeat_labels")) {
        m->enc.repeats = atoi(v) != 0;
        return REEL_OK;
    }
    if (!strcmp(key, "in_classes")) {
        c->in_classes = atoi(v) != 0;
        return REEL_OK;
    }
    if (!strcmp(key, "batchnorm")) {
        c->batchnorm = atoi(v) != 0;
        return REEL_OK;
    }
    INT_KEY("n_in", c->n_in)
    INT_KEY("hidden", c->hidden)
    INT_KEY("layers", c->layers)
    INT_KEY("dense", c->dense)
    INT_KEY("n_out", c->n_out)
    FLOAT_KEY("dropout", c->dropout)
    FLOAT_KEY("rec_dropout", c->rec_dropout)
    if (!strcmp(key, "head")) {
        if (!num || (l != HEAD_SIGMOID_BCE && l != HEAD_SOFTMAX_CE && l != HEAD_LINEAR_MSE))
            goto bad;
        c->head = (HeadKind)l;
        return REEL_OK;
    }
    INT_KEY("window", t->window)
    INT_KEY("batch", t->batch)
    INT_KEY("epochs", t->epochs)
    INT_KEY("threads", t->threads)
    FLOAT_KEY("val_split", t->val_split)
    if (!strcmp(key, "seed")) {
        t->seed = strtoull(v, &end, 10);
        if (*end)
            goto bad;
        return REEL_OK;
    }
    if (!strcmp(key, "optimizer")) {
        int k = optim_parse(v);
        if (k < 0)
            goto bad;
        t->optim.kind = (OptimKind)k;
        return REEL_OK;
    }
    FLOAT_KEY("lr", t->optim.lr)
    FLOAT_KEY("beta1", t->optim.beta1)
    FLOAT_KEY("beta2", t->optim.beta2)
    FLOAT_KEY("rho", t->optim.rho)
    FLOAT_KEY("eps", t->optim.eps)
    FLOAT_KEY("clip", t->optim.clip_norm)
    if (!strcmp(key, "corpus")) {
        clean_line(t->corpus, v, sizeof t->corpus);
        return REEL_OK;
    }
    if (!strcmp(key, "tunes_train")) {
        t->tunes_train = l;
        return num ? REEL_OK : reel_fail(err, REEL_EFORMAT, "%s: bad tunes_train", path);
    }
    if (!strcmp(key, "tunes_val")) {
        t->tunes_val = l;
        return num ? REEL_OK : reel_fail(err, REEL_EFORMAT, "%s: bad tunes_val", path);
    }
    if (!strcmp(key, "steps_train")) {
        t->steps_train = l;
        return num ? REEL_OK : reel_fail(err, REEL_EFORMAT, "%s: bad steps_train", path);
    }
    INT_KEY("epoch", p->epoch)
    if (!strcmp(key, "batches")) {
        p->batches = strtoll(v, &end, 10);
        return *end ? reel_fail(err, REEL_EFORMAT, "%s: bad batches", path) : REEL_OK;
    }
    if (!strcmp(key, "batch_in_epoch")) {
        p->batch_in_epoch = strtoll(v, &end, 10);
        return *end ? reel_fail(err, REEL_EFORMAT, "%s: bad batch_in_epoch", path) : REEL_OK;
    }
    FLOAT_KEY("train_loss", p->train_loss)
    FLOAT_KEY("train_acc", p->train_acc)
    FLOAT_KEY("val_loss", p->val_loss)
    FLOAT_KEY("val_acc", p->val_acc)
    FLOAT_KEY("best_val_loss", p->best_val_loss)
    if (!strcmp(key, "seconds")) {
        p->seconds = d;
        return num ? REEL_OK : reel_fail(err, REEL_EFORMAT, "%s: bad seconds", path);
    }
    if (!strcmp(key, "epoch_rng"))
        return parse_rng(v, &p->epoch_rng) ? REEL_OK
                                          : reel_fail(err, REEL_EFORMAT, "%s: bad epoch_rng", path);
    if (!strcmp(key, "drop_rng"))
        return parse_rng(v, &p->drop_rng) ? REEL_OK
                                         : reel_fail(err, REEL_EFORMAT, "%s: bad drop_rng", path);
    return REEL_OK;
bad:
    return reel_fail(err, REEL_EFORMAT, "%s: header field %s has a bad value '%s'", path, key, v);
#undef INT_KEY
#undef FLOAT_KEY
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

ReelStatus model_load(Model *m, const char *path, int max_T, int max_B, ReelError *err)
{
    unsigned char *buf = NULL;
    size_t len = 0, cs_at;
    Reader r;
    char line[MAX_LINE];
    ReelStatus s;
    Model t;
    uint64_t stated, actual, n_opt;
    int version = 0;
    const char *cs;

    model_init(m);
    if ((s = read_file(path, &buf, &len, err)))
        return s;
    r.p = buf;
    r.len = len;
    r.pos = 0;
    r.path = path;
    model_init(&t);

    if (len < strlen(MODEL_MAGIC) || memcmp(buf, MODEL_MAGIC, strlen(MODEL_MAGIC)) != 0) {
        s = reel_fail(err, REEL_EFORMAT, "%s: not a reel model (it does not start with %s)", path,
                      "REELMODEL");
        goto fail;
    }
    r.pos = strlen(MODEL_MAGIC);
    if (!r_line(&r, line, sizeof line) || sscanf(line, "version %d", &version) != 1) {
        s = reel_fail(err, REEL_EFORMAT, "%s: damaged: no version line after the magic", path);
        goto fail;
    }
    if (version != MODEL_VERSION) {
        s = reel_fail(err, REEL_EUNSUPPORTED,
                      "%s: model format version %d; this reel reads version %d%s", path, version,
                      MODEL_VERSION,
                      version > MODEL_VERSION ? " (a newer reel wrote it: update reel)" : "");
        goto fail;
    }
    /* The checksum line ends the file: "checksum " + 16 hex digits + "\n"
     * (CHECKSUM_LINE bytes).  Check it before trusting anything. */
    cs = len >= CHECKSUM_LINE ? (const char *)buf + len - CHECKSUM_LINE : NULL;
    if (!cs || memcmp(cs, "checksum ", 9) != 0 || buf[len - 1] != '\n') {
        s = reel_fail(err, REEL_EFORMAT, "%s: truncated: the checksum line at the end is missing "
                                         "(%zu bytes; the file was cut short or is damaged)",
                      path, len);
        goto fail;
    }
    cs_at = len - CHECKSUM_LINE;
    {
        char hex[17];
        char *end;
        memcpy(hex, cs + 9, 16);
        hex[16] = '\0';
        stated = strtoull(hex, &end, 16);
        if (*end) {
            s = reel_fail(err, REEL_EFORMAT, "%s: damaged checksum line", path);
            goto fail;
        }
    }
    actual = fnv(FNV_OFFSET, buf, cs_at);
    if (actual != stated) {
        s = reel_fail(err, REEL_EFORMAT,
                      "%s: damaged: checksum %016" PRIx64 " does not match the contents (%016" PRIx64
                      ")", path, stated, actual);
        goto fail;
    }
    r.len = cs_at; /* nothing below may read the checksum line */

    /* Header lines up to "vocab" or "weights". */
    for (int i = 0;; i++) {
        char *sp;
        if (i > MAX_HEADER_LINES || !r_line(&r, line, sizeof line)) {
            s = reel_fail(err, REEL_EFORMAT, "%s: damaged: the header does not end", path);
            goto fail;
        }
        if (!strcmp(line, "vocab") || !strcmp(line, "weights"))
            break;
        sp = strchr(line, ' ');
        if (!sp) {
            s = reel_fail(err, REEL_EFORMAT, "%s: damaged header line '%.60s'", path, line);
            goto fail;
        }
        *sp = '\0';
        if ((s = header_kv(&t, line, sp + 1, path, err)))
            goto fail;
    }
    if (!strcmp(line, "vocab")) {
        FILE *mf = fmemopen(buf + r.pos, r.len - r.pos, "rb");
        long used;
        if (!mf) {
            s = reel_fail(err, REEL_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
        s = vocab_read(&t.vocab, mf, path, err);
        used = ftell(mf);
        fclose(mf);
        if (s)
            goto fail;
        r.pos += (size_t)used;
        if (!r_line(&r, line, sizeof line) || strcmp(line, "weights")) {
            s = reel_fail(err, REEL_EFORMAT, "%s: damaged: no weights after the vocabulary", path);
            goto fail;
        }
    }
    if (t.enc.kind == ENC_TOKENS && !t.vocab) {
        s = reel_fail(err, REEL_EFORMAT, "%s: damaged: a tokens model without its vocabulary", path);
        goto fail;
    }
    {
        NetConfig want = t.net;
        if ((s = model_net_for_encoding(&t.enc, t.vocab, &want, err)))
            goto fail;
        if (want.n_in != t.net.n_in || want.n_out != t.net.n_out ||
            want.in_classes != t.net.in_classes || want.head != t.net.head) {
            s = reel_fail(err, REEL_EFORMAT,
                          "%s: damaged: encoding %s needs %d inputs and %d outputs, the header "
                          "says %d and %d", path, enc_name(t.enc.kind), want.n_in, want.n_out,
                          t.net.n_in, t.net.n_out);
            goto fail;
        }
    }
    if ((s = net_config_check(&t.net, err))) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        s = reel_fail(err, REEL_EFORMAT, "%s: damaged network sizes: %s", path, msg);
        goto fail;
    }
    /* Sizes are trusted only as far as the file holds their weights: a
     * damaged header must not make reel allocate gigabytes. */
    if (net_config_n_params(&t.net) > (r.len - r.pos) / sizeof(float)) {
        s = reel_fail(err, REEL_EFORMAT,
                      "%s: damaged: the header's sizes need %zu weights, the file holds at most "
                      "%zu", path, net_config_n_params(&t.net), (r.len - r.pos) / sizeof(float));
        goto fail;
    }
    if ((s = net_new(&t.nn, &t.net, max_T, max_B, err))) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        s = reel_fail(err, s, "%s: %s", path, msg);
        goto fail;
    }
    if ((s = r_block(&r, net_params(t.nn), net_n_params(t.nn), "weights", err)) ||
        (s = r_block(&r, net_buffers(t.nn), net_n_buffers(t.nn), "batch-norm statistics", err)))
        goto fail;
    if (r.len - r.pos < sizeof n_opt) {
        s = reel_fail(err, REEL_EFORMAT, "%s: truncated before the optimizer state", path);
        goto fail;
    }
    memcpy(&n_opt, buf + r.pos, sizeof n_opt);
    if (n_opt) {
        size_t np = net_n_params(t.nn);
        if (n_opt != optim_state_len(t.train.optim.kind, np)) {
            s = reel_fail(err, REEL_EFORMAT,
                          "%s: damaged: optimizer state of %" PRIu64 " numbers for %zu weights",
                          path, n_opt, np);
            goto fail;
        }
        if ((s = optim_init(&t.optim, &t.train.optim, np, err))) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            s = reel_fail(err, s == REEL_ENOMEM ? s : REEL_EFORMAT, "%s: %s optimizer settings: %s",
                          path, s == REEL_ENOMEM ? "cannot make the" : "damaged", msg);
            goto fail;
        }
        if ((s = r_block(&r, t.optim.state, n_opt, "optimizer state", err)))
            goto fail;
        t.optim.t = t.progress.batches;
    } else {
        r.pos += sizeof n_opt;
    }
    if (r.pos != r.len) {
        s = reel_fail(err, REEL_EFORMAT, "%s: damaged: %zu unexpected bytes after the weights",
                      path, r.len - r.pos);
        goto fail;
    }
    for (size_t i = 0, n = net_n_params(t.nn); i < n; i++) {
        if (!isfinite(net_params(t.nn)[i])) {
            s = reel_fail(err, REEL_EFORMAT, "%s: damaged: weight %zu is not a finite number", path,
                          i);
            goto fail;
        }
    }
    t.checksum = stated;
    free(buf);
    *m = t;
    return REEL_OK;
fail:
    free(buf);
    model_free(&t);
    return s;
}

void model_checksum_hex(const Model *m, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, m->checksum);
}
