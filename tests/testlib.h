/* testlib.h — the smallest test harness that can fail.
 *
 * CHECK(cond, fmt, ...) records a failure with file:line and a message and
 * goes on; TEST_END returns non-zero from main when anything failed.  Tests
 * that need the corpus find it through $REEL_CORPUS (default
 * ../shared/corpus) and fail — not skip — when it is missing.  Below them:
 * temporary folders, whole files read and written, and stderr caught in a
 * file (what a library prints where it should not).
 */
#ifndef REEL_TESTLIB_H
#define REEL_TESTLIB_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int test_failures;
static int test_checks;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        test_checks++;                                                          \
        if (!(cond)) {                                                          \
            test_failures++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

/* Stop the test at once (setup failed: nothing after it can mean anything). */
#define REQUIRE(cond, ...)                                                      \
    do {                                                                        \
        int require_failures_ = test_failures;                                  \
        CHECK(cond, __VA_ARGS__);                                               \
        if (test_failures != require_failures_) {                               \
            fprintf(stderr, "%s: giving up after a failed REQUIRE\n", __FILE__); \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

#define TEST_END()                                                              \
    do {                                                                        \
        fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, test_checks,    \
                test_failures);                                                 \
        return test_failures ? 1 : 0;                                           \
    } while (0)

/* REEL_TEST_QUICK=1 (make valgrind sets it): do less of the slow work
 * (fewer and smaller models, fewer files), keeping every kind of check. */
static inline int test_quick(void)
{
    const char *q = getenv("REEL_TEST_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* $REEL_CORPUS/sub, in a static buffer; exits when the folder is missing. */
static inline const char *test_corpus(const char *sub)
{
    static char buf[4096];
    const char *root = getenv("REEL_CORPUS");
    struct stat st;
    if (!root || !*root)
        root = "../shared/corpus";
    snprintf(buf, sizeof buf, "%s/%s", root, sub);
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "corpus folder %s not found: set REEL_CORPUS\n", buf);
        exit(1);
    }
    return buf;
}

/* Temporary folders made by test_tmpdir, removed when the test's own
 * process exits (not a forked child's; REEL_TEST_KEEP=1 keeps them). */
static char test_tmp_dirs[8][512];
static int test_tmp_n;
static pid_t test_tmp_pid;

static inline void test_tmp_clean(void)
{
    if (getpid() != test_tmp_pid || getenv("REEL_TEST_KEEP"))
        return;
    for (int i = 0; i < test_tmp_n; i++) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%.512s'", test_tmp_dirs[i]);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", test_tmp_dirs[i]);
    }
}

/* A fresh temporary folder for this test (mkdtemp under $TMPDIR or /tmp),
 * removed at exit. */
static inline const char *test_tmpdir(void)
{
    static char buf[512];
    const char *t = getenv("TMPDIR");
    snprintf(buf, sizeof buf, "%s/reel-test-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        exit(1);
    }
    if (test_tmp_n < 8) {
        if (!test_tmp_n) {
            test_tmp_pid = getpid();
            atexit(test_tmp_clean);
        }
        snprintf(test_tmp_dirs[test_tmp_n++], sizeof test_tmp_dirs[0], "%s", buf);
    }
    return buf;
}

/* The whole of path in a malloc'd buffer (the caller frees it) with a NUL
 * after the last byte, its length in *len.  One check (a REQUIRE): the test
 * stops when the file cannot be read. */
static inline unsigned char *test_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n = -1;
    int whole = 0;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL)
        whole = fread(buf, 1, (size_t)n, f) == (size_t)n;
    if (f)
        fclose(f);
    REQUIRE(whole, "cannot read %s", path);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* Write n bytes to path (created or emptied).  One check (a REQUIRE): the
 * test stops when the file cannot be written. */
static inline void test_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    int whole = 0;
    if (f) {
        whole = fwrite(data, 1, n, f) == n;
        whole = fclose(f) == 0 && whole;
    }
    REQUIRE(whole, "cannot write %s", path);
}

/* stderr (descriptor 2) into the file dir/name, from test_stderr_begin to
 * test_stderr_end: what the libraries under test print where a user would
 * see it.  One capture at a time. */
static int test_stderr_fd = -1;
static char test_stderr_path[1024];

static inline void test_stderr_begin(const char *dir, const char *name)
{
    int fd;
    snprintf(test_stderr_path, sizeof test_stderr_path, "%s/%s", dir, name);
    fflush(stderr);
    test_stderr_fd = dup(2);
    fd = open(test_stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
}

/* stderr back; returns how many bytes were written to it meanwhile (-1 when
 * the file is gone), and shows the first 2000 after the line "--- what:". */
static inline long test_stderr_end(const char *what)
{
    struct stat st;
    fflush(stderr);
    dup2(test_stderr_fd, 2);
    close(test_stderr_fd);
    test_stderr_fd = -1;
    if (stat(test_stderr_path, &st) != 0)
        return -1;
    if (st.st_size > 0) {
        char cmd[1100];
        snprintf(cmd, sizeof cmd, "head -c 2000 '%s' >&2", test_stderr_path);
        fprintf(stderr, "--- %s:\n", what);
        if (system(cmd) != 0)
            fprintf(stderr, "(could not show it)\n");
    }
    return (long)st.st_size;
}

#endif
