/* test_model.c — model files: round trip, and every kind of bad file. */
#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include "model.h"
#include "testlib.h"

/* A small model of the given encoding with random weights and, when
 * with_optim, an optimizer state with something in it. */
static void make_model(Model *m, EncKind kind, bool with_optim)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc.kind = kind;
    if (kind == ENC_TOKENS) {
        m->enc.durations = true;
        m->vocab = vocab_new();
        REQUIRE(m->vocab != NULL, "vocab");
        vocab_count(m->vocab, "C4/4");
        vocab_count(m->vocab, "C4/4");
        vocab_count(m->vocab, "D4.F#4/2");
        vocab_count(m->vocab, "r/16");
        vocab_finish(m->vocab);
    }
    m->net.hidden = 8;
    m->net.layers = 2;
    m->net.dense = kind == ENC_TOKENS ? 6 : 0;
    m->net.batchnorm = kind == ENC_TOKENS;
    m->net.dropout = 0.25f;
    REQUIRE(model_net_for_encoding(&m->enc, m->vocab, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, 42);
    net_init(m->nn, &r);
    m->train.window = 16;
    m->train.batch = 4;
    m->train.epochs = 3;
    m->train.val_split = 0.05f;
    m->train.seed = 1234567890123ull;
    m->train.threads = 1;
    m->train.optim = optim_defaults(OPTIM_RMSPROP);
    snprintf(m->train.corpus, sizeof m->train.corpus, "some/folder\nwith a newline");
    m->progress.epoch = 2;
    m->progress.batches = 77;
    m->progress.batch_in_epoch = 5;
    m->progress.val_loss = 1.25f;
    m->progress.best_val_loss = 1.125f;
    rng_seed(&m->progress.drop_rng, 99);
    if (with_optim) {
        REQUIRE(optim_init(&m->optim, &m->train.optim, net_n_params(m->nn), &err) == REEL_OK,
                "%s", err.msg);
        for (size_t i = 0; i < optim_state_len(OPTIM_RMSPROP, m->optim.n); i++)
            m->optim.state[i] = (float)i * 0.001f;
    }
}

/* FNV-1a 64, to forge files whose checksum is right but whose contents lie. */
static uint64_t fnv(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Where str first occurs in b[0..n), or NULL. */
static char *find(unsigned char *b, size_t n, const char *str)
{
    size_t k = strlen(str);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(b + i, str, k) == 0)
            return (char *)b + i;
    return NULL;
}

static void reseal(const char *path, unsigned char *b, size_t n)
{
    /* The checksum line is the last 26 bytes: "checksum " + 16 hex + "\n". */
    char line[32];
    size_t body = n - 26;
    snprintf(line, sizeof line, "checksum %016llx\n", (unsigned long long)fnv(b, body));
    memcpy(b + body, line, 26);
    test_write(path, b, n);
}

static void expect_fail(const char *path, ReelStatus want, const char *words)
{
    Model m;
    ReelError err;
    ReelStatus s = model_load(&m, path, 0, 0, &err);
    CHECK(s == want, "%s: status %d, wanted %d (%s)", path, s, want, s ? err.msg : "loaded");
    if (s) {
        CHECK(strstr(err.msg, path) != NULL, "message names the file: %s", err.msg);
        CHECK(!words || strstr(err.msg, words), "message says '%s': %s", words, err.msg);
    } else {
        model_free(&m);
    }
}

static void test_round_trip(const char *dir, EncKind kind)
{
    Model a, b;
    ReelError err;
    char path[600];
    snprintf(path, sizeof path, "%s/%s.reel", dir, enc_name(kind));
    make_model(&a, kind, true);
    REQUIRE(model_save(&a, path, true, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(model_load(&b, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(b.enc.kind == kind && b.enc.durations == a.enc.durations, "encoding kept");
    CHECK(memcmp(&a.net, &b.net, sizeof a.net) == 0, "network config kept");
    CHECK(net_n_params(a.nn) == net_n_params(b.nn) &&
              memcmp(net_params(a.nn), net_params(b.nn), net_n_params(a.nn) * sizeof(float)) == 0,
          "weights bit for bit");
    CHECK(net_n_buffers(a.nn) == net_n_buffers(b.nn), "buffers kept");
    CHECK(b.optim.state && memcmp(a.optim.state, b.optim.state,
                                  optim_state_len(OPTIM_RMSPROP, a.optim.n) * sizeof(float)) == 0,
          "optimizer state kept");
    CHECK(b.train.seed == 1234567890123ull && b.train.window == 16 && b.train.batch == 4 &&
              b.train.optim.kind == OPTIM_RMSPROP && b.train.optim.lr == a.train.optim.lr,
          "settings kept");
    CHECK(strchr(b.train.corpus, '\n') == NULL && strstr(b.train.corpus, "some/folder"),
          "corpus text on one line: %s", b.train.corpus);
    CHECK(b.progress.epoch == 2 && b.progress.batches == 77 && b.progress.batch_in_epoch == 5,
          "progress kept");
    CHECK(b.progress.val_loss == 1.25f && b.progress.best_val_loss == 1.125f, "figures kept");
    CHECK(memcmp(&a.progress.drop_rng, &b.progress.drop_rng, sizeof(Rng)) == 0, "rng kept");
    CHECK(a.checksum == b.checksum && a.checksum != 0, "checksum kept");
    if (kind == ENC_TOKENS) {
        CHECK(b.vocab && vocab_size(b.vocab) == vocab_size(a.vocab), "vocabulary kept");
        CHECK(b.vocab && vocab_id(b.vocab, "D4.F#4/2") == vocab_id(a.vocab, "D4.F#4/2"),
              "token ids kept");
    }
    model_free(&b);
    /* Saved without the optimizer: smaller, loads, no state. */
    REQUIRE(model_save(&a, path, false, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(model_load(&b, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(b.optim.state == NULL, "no optimizer state");
    model_free(&b);
    model_free(&a);
}

static void test_bad_files(const char *dir)
{
    Model a;
    ReelError err;
    char good[600], bad[600];
    unsigned char *b, *c;
    size_t n;
    long truncs = 0;
    snprintf(good, sizeof good, "%s/good.reel", dir);
    snprintf(bad, sizeof bad, "%s/bad.reel", dir);
    make_model(&a, ENC_MELODY, true);
    REQUIRE(model_save(&a, good, true, &err) == REEL_OK, "%s", err.msg);
    model_free(&a);
    b = test_read(good, &n);
    c = malloc(n);
    REQUIRE(c != NULL, "memory");

    /* Every truncation fails, names the file, and never crashes. */
    for (size_t len = 0; len < n; len += len < 400 || len > n - 400 ? 1 : 97) {
        Model m;
        ReelStatus s;
        test_write(bad, b, len);
        s = model_load(&m, bad, 0, 0, &err);
        truncs++;
        CHECK(s != REEL_OK, "truncated at %zu of %zu loaded", len, n);
        if (s == REEL_OK)
            model_free(&m);
        else
            CHECK(strstr(err.msg, bad) != NULL, "message names the file: %s", err.msg);
    }
    printf("truncations tried: %ld of a %zu-byte model\n", truncs, n);
    test_write(bad, b, n - 30);
    expect_fail(bad, REEL_EFORMAT, "truncated");

    /* A flipped bit anywhere is caught by the checksum. */
    for (size_t at = 0; at < n - 26; at += 1 + at / 3) {
        memcpy(c, b, n);
        c[at] ^= 0x10;
        test_write(bad, c, n);
        {
            Model m;
            ReelStatus s = model_load(&m, bad, 0, 0, &err);
            CHECK(s != REEL_OK, "bit flip at %zu loaded", at);
            if (s == REEL_OK)
                model_free(&m);
        }
    }
    memcpy(c, b, n);
    c[n - 100] ^= 0x01; /* in the weights */
    test_write(bad, c, n);
    expect_fail(bad, REEL_EFORMAT, "checksum");

    /* Another version. */
    memcpy(c, b, n);
    c[strlen(MODEL_MAGIC) + 8] = '7'; /* "version 1" -> "version 7" */
    reseal(bad, c, n);
    expect_fail(bad, REEL_EUNSUPPORTED, "version 7");

    /* Not a model at all. */
    test_write(bad, (const unsigned char *)"MThd\0\0\0\6\0\0\0\1\1\340", 14);
    expect_fail(bad, REEL_EFORMAT, "not a reel model");
    test_write(bad, (const unsigned char *)"", 0);
    expect_fail(bad, REEL_EFORMAT, "empty");
    expect_fail(dir, REEL_EIO, "not a regular file");
    snprintf(bad, sizeof bad, "%s/missing.reel", dir);
    expect_fail(bad, REEL_EIO, "No such file");
    snprintf(bad, sizeof bad, "%s/bad.reel", dir);

    /* A header that lies about the sizes, with a correct checksum. */
    {
        char *h = find(b, n, "hidden 8\n");
        REQUIRE(h != NULL, "hidden line");
        memcpy(c, b, n);
        c[h - (char *)b + 7] = '9';
        reseal(bad, c, n);
        expect_fail(bad, REEL_EFORMAT, "weights block holds");
    }
    /* An encoding the header cannot have. */
    {
        char *e = find(b, n, "encoding melody\n");
        REQUIRE(e != NULL, "encoding line");
        memcpy(c, b, n);
        memcpy(c + (e - (char *)b), "encoding melodx\n", 16);
        reseal(bad, c, n);
        expect_fail(bad, REEL_EFORMAT, "unknown encoding");
    }
    free(b);
    free(c);
}

/* Header fields out of their range, in files whose checksum is right
 * (model_save writes what the struct holds): each refused, naming the
 * field (issue 14: batch_in_epoch -1 read out of bounds in training,
 * batches 2^63-1 overflowed the optimizer, val_split nan was cast). */
static void test_header_limits(const char *dir)
{
    static const char *const fields[] = {"batch_in_epoch", "batches", "val_split", "window",
                                         "batch", "threads", "lr", "epoch", "dropout",
                                         "cond_key", "seconds", "hidden", "epochs", "eps"};
    char path[600];
    snprintf(path, sizeof path, "%s/limits.reel", dir);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        Model m;
        ReelError err;
        char words[64];
        make_model(&m, ENC_MELODY, false);
        switch (i) {
        case 0: m.progress.batch_in_epoch = -1; break;
        case 1: m.progress.batches = INT64_MAX; break;
        case 2: m.train.val_split = NAN; break;
        case 3: m.train.window = 0; break;
        case 4: m.train.batch = -1; break;
        case 5: m.train.threads = 100000; break;
        case 6: m.train.optim.lr = NAN; break;
        case 7: m.progress.epoch = -1; break;
        case 8: m.net.dropout = 2.0f; break;
        case 9: m.enc.lookback = true; m.enc.cond = true; m.enc.cond_key = 99; break;
        case 10: m.progress.seconds = -5; break;
        case 11: m.net.hidden = 0; break;
        case 12: m.train.epochs = 0; break;
        default: m.train.optim.eps = INFINITY; break;
        }
        if (i == 9) { /* a form model, so that cond_key is written */
            REQUIRE(model_net_for_encoding(&m.enc, NULL, &m.net, &err) == REEL_OK, "%s", err.msg);
            net_free(m.nn);
            REQUIRE(net_new(&m.nn, &m.net, 0, 0, &err) == REEL_OK, "%s", err.msg);
        }
        REQUIRE(model_save(&m, path, false, &err) == REEL_OK, "%s", err.msg);
        model_free(&m);
        snprintf(words, sizeof words, "header field %s is", fields[i]);
        expect_fail(path, REEL_EFORMAT, words);
    }
    {
        Model m, back;
        ReelError err;
        make_model(&m, ENC_MELODY, false);
        m.progress.val_loss = NAN;
        m.progress.best_val_loss = INFINITY;
        REQUIRE(model_save(&m, path, false, &err) == REEL_OK, "%s", err.msg);
        CHECK(model_load(&back, path, 0, 0, &err) == REEL_OK,
              "a loss not measured yet (nan, inf) still loads: %s", err.msg);
        model_free(&back);
        model_free(&m);
    }
}

static bool has_control(const char *t)
{
    for (; *t; t++)
        if ((unsigned char)*t < 0x20 || *t == 0x7f)
            return true;
    return false;
}

/* Escape sequences a file carries never reach the terminal: in the text
 * fields reel info prints, and in the messages that quote a damaged line. */
static void test_no_escapes(const char *dir)
{
    Model m, back;
    ReelError err;
    char path[600];
    unsigned char *b;
    size_t n;
    char *at;
    snprintf(path, sizeof path, "%s/escapes.reel", dir);
    make_model(&m, ENC_MELODY, false);
    snprintf(m.train.corpus, sizeof m.train.corpus, "AAAAAAAAAA");
    REQUIRE(model_save(&m, path, false, &err) == REEL_OK, "%s", err.msg);
    model_free(&m);
    b = test_read(path, &n);
    REQUIRE((at = find(b, n, "AAAAAAAAAA")) != NULL, "the corpus line");
    memcpy(at, "\033[2J\033]0;x\007", 10); /* clear the screen, retitle the terminal */
    reseal(path, b, n);
    REQUIRE(model_load(&back, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(!has_control(back.train.corpus) && strstr(back.train.corpus, "?[2J?]0;x?"),
          "the corpus text arrives without its control characters: '%s'", back.train.corpus);
    model_free(&back);
    REQUIRE((at = find(b, n, "\ncorpus ")) != NULL, "the corpus line");
    memcpy(at + 1, "corpus\033[2J", 10); /* "corpus" + ESC...: a line without a blank */
    reseal(path, b, n);
    CHECK(model_load(&back, path, 0, 0, &err) != REEL_OK && strstr(err.msg, "damaged header line") &&
              !has_control(err.msg),
          "a damaged line is quoted without its control characters: %s", err.msg);
    free(b);
}

/* b with the first `from` replaced by `to`, resealed into path. */
static void forge(const char *path, unsigned char *b, size_t n, const char *from,
                  const char *to)
{
    char *at = find(b, n, from);
    size_t lf = strlen(from), lt = strlen(to), off, m = n - lf + lt;
    unsigned char *c = malloc(m);
    REQUIRE(at && c, "'%s' in the file", from);
    off = (size_t)(at - (char *)b);
    memcpy(c, b, off);
    memcpy(c + off, to, lt);
    memcpy(c + off + lt, b + off + lf, n - off - lf);
    reseal(path, c, m);
    free(c);
}

/* Messages that say what is wrong, not something near it (issue 14 item 7). */
static void test_messages(const char *dir)
{
    Model m;
    ReelError err;
    char good[600], bad[600];
    unsigned char *b;
    size_t n;
    snprintf(good, sizeof good, "%s/msg-good.reel", dir);
    snprintf(bad, sizeof bad, "%s/msg-bad.reel", dir);
    make_model(&m, ENC_MELODY, false);
    REQUIRE(model_save(&m, good, false, &err) == REEL_OK, "%s", err.msg);
    model_free(&m);
    b = test_read(good, &n);
    forge(bad, b, n, "version 1\n", "version 99999999999\n");
    expect_fail(bad, REEL_EUNSUPPORTED, "version 99999999999");
    forge(bad, b, n, "REELMODEL\n", "REELMODEL");
    expect_fail(bad, REEL_EFORMAT, "REELMODEL is not followed by a line break");
    forge(bad, b, n, "\nhead 1\n", "\nhead 0\n");
    expect_fail(bad, REEL_EFORMAT, "header field head is 0");
    forge(bad, b, n, "\nin_classes 1\n", "\nin_classes 0\n");
    expect_fail(bad, REEL_EFORMAT, "header field in_classes is 0");
    forge(bad, b, n, "\nbatches 77\n", "\nbatches 7x7\n");
    expect_fail(bad, REEL_EFORMAT, "batches has a bad value '7x7'; it must be a whole number");
    forge(bad, b, n, "\nepoch_rng ", "\nepoch_rng zz");
    expect_fail(bad, REEL_EFORMAT, "four words of 16 hex digits");
    free(b);
}

static void test_save_failure(const char *dir)
{
    Model a, b;
    ReelError err;
    char path[600], good[600];
    snprintf(path, sizeof path, "%s/no/such/folder/m.reel", dir);
    snprintf(good, sizeof good, "%s/keep.reel", dir);
    make_model(&a, ENC_ROLL13, false);
    CHECK(model_save(&a, path, true, &err) == REEL_EIO, "save into a missing folder fails");
    CHECK(strstr(err.msg, "no/such/folder") != NULL, "message names it: %s", err.msg);
    REQUIRE(model_save(&a, good, false, &err) == REEL_OK, "%s", err.msg);
    /* A directory where the temporary file should go fails, old file intact. */
    {
        char d[700];
        snprintf(d, sizeof d, "%s/keep.reel", dir);
        REQUIRE(model_load(&b, d, 0, 0, &err) == REEL_OK, "%s", err.msg);
        model_free(&b);
    }
    model_free(&a);
}

int main(void)
{
    const char *dir = test_tmpdir();
    for (int k = 0; k < ENC_COUNT; k++)
        test_round_trip(dir, (EncKind)k);
    test_bad_files(dir);
    test_header_limits(dir);
    test_no_escapes(dir);
    test_messages(dir);
    test_save_failure(dir);
    TEST_END();
}
