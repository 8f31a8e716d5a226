/* test_vocab.c — counting, ordering, pruning, the text form and its
 * rejections. */
#include "testlib.h"
#include "vocab.h"

#include <unistd.h>

static const char *tmp;

/* Write text to tmp/name and return the path (static buffer per call site). */
static const char *write_file(const char *name, const char *text, size_t len, char *path,
                              size_t cap)
{
    snprintf(path, cap, "%s/%s", tmp, name);
    test_write(path, text, len);
    return path;
}

/* Load text as a vocabulary file; must fail with REEL_EFORMAT (or want)
 * and a message that names the file and contains what. */
static void expect_reject(const char *name, const char *text, size_t len, ReelStatus want,
                          const char *what)
{
    char path[1024];
    ReelError err;
    Vocab *v = (Vocab *)1;
    ReelStatus s;
    reel_error_clear(&err);
    write_file(name, text, len, path, sizeof path);
    s = vocab_load(&v, path, &err);
    CHECK(s == want, "%s: status %d, want %d (%s)", name, (int)s, (int)want, err.msg);
    CHECK(v == NULL, "%s: a rejected file still gave a vocabulary", name);
    CHECK(strstr(err.msg, path) != NULL, "%s: message \"%s\" does not name the file", name,
          err.msg);
    CHECK(!what || strstr(err.msg, what) != NULL, "%s: message \"%s\" lacks \"%s\"", name,
          err.msg, what);
    vocab_free(v);
}

static void test_counting(void)
{
    Vocab *v = vocab_new();
    int a, b, c;
    REQUIRE(v != NULL, "vocab_new");
    CHECK(vocab_size(v) == 1, "new vocabulary has only <unk>: %d", vocab_size(v));
    CHECK(strcmp(vocab_token(v, 0), "<unk>") == 0, "id 0 is %s", vocab_token(v, 0));
    CHECK(vocab_freq(v, 0) == 0, "<unk> count %ld", vocab_freq(v, 0));
    a = vocab_count(v, "C4");
    b = vocab_count(v, "D4");
    c = vocab_count(v, "C4");
    CHECK(a == 1 && b == 2 && c == 1, "ids in insertion order: %d %d %d", a, b, c);
    CHECK(vocab_freq(v, a) == 2 && vocab_freq(v, b) == 1, "counts %ld %ld", vocab_freq(v, a),
          vocab_freq(v, b));
    CHECK(vocab_id(v, "D4") == 2 && vocab_id(v, "E4") == -1, "lookups");
    CHECK(vocab_count(v, "<unk>") == 0 && vocab_freq(v, 0) == 1, "counting <unk> counts id 0");
    CHECK(vocab_count(v, "") == -1, "empty token refused");
    CHECK(vocab_count(v, "a\tb") == -1, "token with a tab refused");
    CHECK(vocab_count(v, "a\nb") == -1, "token with a newline refused");
    CHECK(vocab_size(v) == 3, "refused tokens were not added: %d", vocab_size(v));
    CHECK(vocab_token(v, 3) == NULL && vocab_token(v, -1) == NULL, "out-of-range ids");
    CHECK(vocab_freq(v, 99) == 0, "freq of a missing id");
    CHECK(!vocab_finished(v), "not finished yet");
    vocab_finish(v);
    CHECK(vocab_finished(v), "finished");
    CHECK(vocab_count(v, "E4") == -1 && vocab_size(v) == 3, "no counting after finish");
    vocab_free(v);
    vocab_free(NULL);
}

static void test_long_token(void)
{
    Vocab *v = vocab_new();
    char big[VOCAB_TOKEN_MAX + 2];
    REQUIRE(v != NULL, "vocab_new");
    memset(big, 'x', sizeof big);
    big[VOCAB_TOKEN_MAX] = '\0';
    CHECK(vocab_count(v, big) == 1, "a token of VOCAB_TOKEN_MAX bytes is accepted");
    big[VOCAB_TOKEN_MAX] = 'x';
    big[VOCAB_TOKEN_MAX + 1] = '\0';
    CHECK(vocab_count(v, big) == -1, "a longer token is refused");
    vocab_free(v);
}

static void test_ordering_and_prune(void)
{
    /* counts: G4 5, C4 3, E4 3, A4 1, B4 1, D4 2 */
    static const char *const seq[] = {"A4", "C4", "E4", "G4", "G4", "E4", "C4", "G4", "D4",
                                      "G4", "B4", "G4", "E4", "C4", "D4"};
    static const char *const want[] = {"<unk>", "G4", "C4", "E4", "D4", "A4", "B4"};
    static const long want_n[] = {0, 5, 3, 3, 2, 1, 1};
    Vocab *v = vocab_new(), *p = vocab_new();
    REQUIRE(v && p, "vocab_new");
    for (size_t i = 0; i < sizeof seq / sizeof *seq; i++) {
        int a = vocab_count(v, seq[i]), b = vocab_count(p, seq[i]);
        REQUIRE(a > 0 && b > 0, "count %s", seq[i]);
    }
    vocab_finish(v);
    REQUIRE(vocab_size(v) == 7, "size %d", vocab_size(v));
    for (int i = 0; i < 7; i++) {
        CHECK(strcmp(vocab_token(v, i), want[i]) == 0, "id %d is %s, want %s", i,
              vocab_token(v, i), want[i]);
        CHECK(vocab_freq(v, i) == want_n[i], "id %d count %ld, want %ld", i, vocab_freq(v, i),
              want_n[i]);
        CHECK(vocab_id(v, want[i]) == i, "lookup after sorting: %s -> %d", want[i],
              vocab_id(v, want[i]));
    }
    vocab_finish(v); /* a second finish changes nothing */
    CHECK(vocab_id(v, "G4") == 1, "finish twice");

    vocab_prune(p, 3); /* drops D4 (2), A4 (1), B4 (1): 4 occurrences go to <unk> */
    vocab_finish(p);
    CHECK(vocab_size(p) == 4, "pruned size %d", vocab_size(p));
    CHECK(vocab_id(p, "D4") == -1 && vocab_id(p, "A4") == -1, "rare tokens gone");
    CHECK(vocab_id(p, "G4") == 1 && vocab_id(p, "C4") == 2 && vocab_id(p, "E4") == 3,
          "kept order");
    CHECK(vocab_freq(p, 0) == 4, "<unk> holds the pruned counts: %ld", vocab_freq(p, 0));
    vocab_prune(p, 100); /* ignored after finish */
    CHECK(vocab_size(p) == 4, "prune after finish is ignored");
    vocab_free(v);
    vocab_free(p);
}

static void test_many(void)
{
    /* Enough tokens to make the hash table grow several times. */
    Vocab *v = vocab_new();
    char buf[32];
    REQUIRE(v != NULL, "vocab_new");
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof buf, "t%d", i);
        for (int k = 0; k <= i % 7; k++) {
            int id = vocab_count(v, buf);
            REQUIRE(id == i + 1, "id of %s: %d", buf, id);
        }
    }
    vocab_finish(v);
    CHECK(vocab_size(v) == 5001, "size %d", vocab_size(v));
    CHECK(vocab_freq(v, 1) == 7 && vocab_freq(v, 5000) == 1, "sorted by count");
    CHECK(strcmp(vocab_token(v, 1), "t1000") == 0, "ties by string: %s", vocab_token(v, 1));
    for (int i = 1; i < 5000; i++) {
        long a = vocab_freq(v, i), b = vocab_freq(v, i + 1);
        if (a < b || (a == b && strcmp(vocab_token(v, i), vocab_token(v, i + 1)) >= 0)) {
            CHECK(0, "ids %d and %d out of order", i, i + 1);
            break;
        }
    }
    snprintf(buf, sizeof buf, "t%d", 4321);
    CHECK(strcmp(vocab_token(v, vocab_id(v, buf)), buf) == 0, "round trip of a lookup");
    vocab_free(v);
}

static void test_save_load(void)
{
    char path[1024], text[4096];
    Vocab *v = vocab_new(), *w = NULL;
    ReelError err;
    FILE *f;
    size_t len;
    ReelStatus s;
    REQUIRE(v != NULL, "vocab_new");
    vocab_count(v, "C4.E4.G4/2");
    vocab_count(v, "r/16");
    vocab_count(v, "r/16");
    vocab_count(v, "a token with spaces");
    vocab_finish(v);
    snprintf(path, sizeof path, "%s/v.txt", tmp);
    reel_error_clear(&err);
    s = vocab_save(v, path, &err);
    REQUIRE(s == REEL_OK, "save: %s", err.msg);
    s = vocab_load(&w, path, &err);
    REQUIRE(s == REEL_OK, "load: %s", err.msg);
    CHECK(vocab_finished(w), "a loaded vocabulary is finished");
    CHECK(vocab_size(w) == vocab_size(v), "size %d vs %d", vocab_size(w), vocab_size(v));
    for (int i = 0; i < vocab_size(v) && i < vocab_size(w); i++) {
        CHECK(strcmp(vocab_token(v, i), vocab_token(w, i)) == 0, "token %d", i);
        CHECK(vocab_freq(v, i) == vocab_freq(w, i), "count %d", i);
    }
    CHECK(vocab_id(w, "r/16") == 1, "lookup in a loaded vocabulary");

    /* The exact text. */
    f = fopen(path, "rb");
    REQUIRE(f != NULL, "reopen");
    len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    CHECK(strcmp(text, "reel-vocab 1 4\n0\t<unk>\n2\tr/16\n1\tC4.E4.G4/2\n"
                       "1\ta token with spaces\n") == 0, "saved text:\n%s", text);

    /* A second save replaces the file and leaves no temporary behind. */
    s = vocab_save(w, path, &err);
    REQUIRE(s == REEL_OK, "save again: %s", err.msg);
    {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) -eq 1", tmp);
        CHECK(system(cmd) == 0, "temporary files left in %s", tmp);
    }
    vocab_free(w);

    /* Embedded: vocab_read stops after N lines, the rest of the file is untouched. */
    f = tmpfile();
    REQUIRE(f != NULL, "tmpfile");
    s = vocab_write(v, f, &err);
    REQUIRE(s == REEL_OK, "write: %s", err.msg);
    fputs("MODEL", f);
    rewind(f);
    w = NULL;
    CHECK(vocab_read(&w, f, "model.bin", &err) == REEL_OK, "read embedded: %s", err.msg);
    len = fread(text, 1, 5, f);
    CHECK(len == 5 && memcmp(text, "MODEL", 5) == 0, "reader consumed more than the vocabulary");
    fclose(f);
    vocab_free(w);

    /* Missing file. */
    snprintf(path, sizeof path, "%s/missing.txt", tmp);
    w = NULL;
    CHECK(vocab_load(&w, path, &err) == REEL_EIO && strstr(err.msg, path), "missing: %s",
          err.msg);
    /* Unwritable place. */
    snprintf(path, sizeof path, "%s/no/such/dir/v.txt", tmp);
    CHECK(vocab_save(v, path, &err) == REEL_EIO && strstr(err.msg, path), "save into nothing: %s",
          err.msg);
    vocab_free(v);
}

static void test_rejects(void)
{
    char big[4096];
    size_t n;
    expect_reject("empty.txt", "", 0, REEL_EFORMAT, "empty");
    expect_reject("hdrcut.txt", "reel-vocab 1 1", 14, REEL_EFORMAT, "middle of a line");
    expect_reject("magic.txt", "reel-vocob 1 2\n0\t<unk>\n3\tC4\n", 28, REEL_EFORMAT,
                  "not a reel vocabulary");
    expect_reject("version.txt", "reel-vocab 2 2\n0\t<unk>\n3\tC4\n", 28, REEL_EUNSUPPORTED,
                  "version 2");
    expect_reject("nocount.txt", "reel-vocab 1 \n0\t<unk>\n", 22, REEL_EFORMAT, "token count");
    expect_reject("zero.txt", "reel-vocab 1 0\n", 15, REEL_EFORMAT, "token count");
    expect_reject("junkhdr.txt", "reel-vocab 1 2x\n0\t<unk>\n3\tC4\n", 29, REEL_EFORMAT,
                  "token count");
    expect_reject("fewer.txt", "reel-vocab 1 3\n0\t<unk>\n3\tC4\n", 28, REEL_EFORMAT,
                  "truncated");
    expect_reject("more.txt", "reel-vocab 1 1\n0\t<unk>\n3\tC4\n", 28, REEL_EFORMAT,
                  "more lines");
    expect_reject("cut.txt", "reel-vocab 1 2\n0\t<unk>\n3\tC4", 27, REEL_EFORMAT, "truncated");
    expect_reject("dup.txt", "reel-vocab 1 3\n0\t<unk>\n3\tC4\n2\tC4\n", 33, REEL_EFORMAT,
                  "duplicate");
    expect_reject("tab.txt", "reel-vocab 1 2\n0\t<unk>\n3\tC\t4\n", 29, REEL_EFORMAT, "tab");
    expect_reject("cr.txt", "reel-vocab 1 2\n0\t<unk>\n3\tC4\r\n", 29, REEL_EFORMAT, "control");
    expect_reject("emptytok.txt", "reel-vocab 1 2\n0\t<unk>\n3\t\n", 26, REEL_EFORMAT, "empty");
    expect_reject("nocnt.txt", "reel-vocab 1 2\n0\t<unk>\nC4\n", 26, REEL_EFORMAT,
                  "count<TAB>token");
    expect_reject("negcnt.txt", "reel-vocab 1 2\n0\t<unk>\n-3\tC4\n", 29, REEL_EFORMAT,
                  "count<TAB>token");
    expect_reject("nounk.txt", "reel-vocab 1 2\n3\tC4\n0\t<unk>\n", 28, REEL_EFORMAT, "<unk>");
    expect_reject("nul.txt", "reel-vocab 1 2\n0\t<unk>\n3\tC\0004\n", 29, REEL_EFORMAT, "NUL");
    expect_reject("dupunk.txt", "reel-vocab 1 2\n0\t<unk>\n0\t<unk>\n", 31, REEL_EFORMAT,
                  "duplicate");

    /* An overlong line. */
    n = (size_t)snprintf(big, sizeof big, "reel-vocab 1 2\n0\t<unk>\n1\t");
    memset(big + n, 'x', 2000);
    n += 2000;
    big[n++] = '\n';
    expect_reject("long.txt", big, n, REEL_EFORMAT, "too long");
}

int main(void)
{
    tmp = test_tmpdir();
    test_counting();
    test_long_token();
    test_ordering_and_prune();
    test_many();
    test_save_load();
    test_rejects();
    TEST_END();
}
