/* test_limits.c — reel at the limits of its input: a 50 MB MIDI file, a
 * tune of 100,000 steps, a folder of 20,000 files, a corpus of one note.
 *
 * The inputs are made here, in a temporary folder (MIDI bytes written by
 * hand; the 20,000 files are hard links to one).  Each command runs as a
 * child of this test ($REEL_BIN, default build/reel) with its peak resident
 * memory taken from wait4() and, outside the sanitizer build, an address
 * space limit (RLIMIT_AS, 2 GiB) that turns a runaway allocation into a
 * clear "out of memory" instead of the OOM killer.  What is checked: the
 * exit status, a message that names the file and the problem, the time, and
 * the peak memory against the bounds the README states:
 *
 *   reel corpus   <= 40 MiB + 2.5 x the MIDI file's bytes + 1.3 KiB a step of
 *                 the longest tune (roll128's 256 floats a step, one tune at
 *                 a time); files over 64 MiB, with over 2,000,000 events, or
 *                 tunes over 2^20 steps are refused with their name
 *   reel convert  <= 40 MiB + 400 bytes a note
 *   reel train    (melody) <= 60 MiB + 300 bytes a step of the corpus
 *   a folder      <= 40 MiB + 1 KiB a file
 *
 * The sanitizer build checks statuses and messages only (its memory is not
 * the program's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "testlib.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

#define MIB (1024.0 * 1024.0)

static const char *tmp;
static const char *reel;

typedef struct {
    int status;          /* exit status, or 128 + signal */
    double rss_mib;      /* peak resident memory */
    double secs;
    char out[8192];      /* the start of stdout and stderr together */
} Run;

/* Run reel with the arguments (NULL-terminated), output to a file.  The
 * child's peak RSS counts the pages it had before exec (this process's), so
 * the test frees its big buffers before it runs anything. */
static void run(Run *r, const char *const *args)
{
    char log[600], *argv[32];
    int n = 0, st = 0, fd;
    struct rusage ru;
    double t0 = now_sec();
    pid_t pid;
    FILE *f;
    memset(r, 0, sizeof *r);
    snprintf(log, sizeof log, "%s/run.log", tmp);
    argv[n++] = strdup(reel);
    for (; *args && n < 31; args++)
        argv[n++] = strdup(*args);
    argv[n] = NULL;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (!SANITIZED) {
            struct rlimit rl = {2048ul << 20, 2048ul << 20};
            setrlimit(RLIMIT_AS, &rl);
        }
        execv(reel, argv);
        _exit(127);
    }
    if (wait4(pid, &st, 0, &ru) < 0) {
        perror("wait4");
        exit(1);
    }
    r->secs = now_sec() - t0;
    r->rss_mib = ru.ru_maxrss / 1024.0;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if ((f = fopen(log, "r")) != NULL) {
        size_t k = fread(r->out, 1, sizeof r->out - 1, f);
        r->out[k] = '\0';
        fclose(f);
    }
    fprintf(stderr, "  reel");
    for (int i = 1; i < n; i++)
        fprintf(stderr, " %s",
                strstr(argv[i], tmp) == argv[i] ? argv[i] + strlen(tmp) + 1 : argv[i]);
    fprintf(stderr, ": exit %d, %.2f s, peak RSS %.1f MiB\n", r->status, r->secs, r->rss_mib);
    for (int i = 0; i < n; i++)
        free(argv[i]);
}

static void check_rss(const Run *r, double bound, const char *what)
{
    if (SANITIZED)
        return;
    CHECK(r->rss_mib <= bound, "%s: peak RSS %.1f MiB over the bound %.1f MiB", what, r->rss_mib,
          bound);
}

/* ---- MIDI by hand --------------------------------------------------------- */

typedef struct {
    unsigned char *b;
    size_t n, cap;
} Buf;

static void put(Buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        if (!(b->b = realloc(b->b, b->cap))) {
            perror("realloc");
            exit(1);
        }
    }
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void put_be(Buf *b, uint32_t v, int bytes)
{
    unsigned char x[4];
    for (int i = 0; i < bytes; i++)
        x[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    put(b, x, (size_t)bytes);
}

static void put_vlq(Buf *b, uint32_t v)
{
    unsigned char x[5];
    int k = 0;
    do {
        x[k++] = (unsigned char)(v & 0x7f);
        v >>= 7;
    } while (v);
    while (k--) {
        unsigned char c = (unsigned char)(x[k] | (k ? 0x80 : 0));
        put(b, &c, 1);
    }
}

/* A format-0 file whose one track is body (end-of-track added). */
static void write_mid(const char *path, const Buf *body, int ppq)
{
    Buf b = {0};
    static const unsigned char eot[] = {0, 0xff, 0x2f, 0};
    FILE *f;
    put(&b, "MThd", 4);
    put_be(&b, 6, 4);
    put_be(&b, 0, 2);
    put_be(&b, 1, 2);
    put_be(&b, (uint32_t)ppq, 2);
    put(&b, "MTrk", 4);
    put_be(&b, (uint32_t)(body->n + sizeof eot), 4);
    put(&b, body->b, body->n);
    put(&b, eot, sizeof eot);
    f = fopen(path, "wb");
    REQUIRE(f && fwrite(b.b, 1, b.n, f) == b.n && fclose(f) == 0, "cannot write %s", path);
    free(b.b);
}

static void buf_free(Buf *b)
{
    free(b->b);
    memset(b, 0, sizeof *b);
}

/* n 16th notes (ppq 480: 120 ticks) walking up and down a scale, running
 * status after the first: 6 bytes a note. */
static void notes_body(Buf *b, long n)
{
    static const int scale[] = {60, 62, 64, 65, 67, 69, 71, 72, 74, 72, 71, 69, 67, 65, 64, 62};
    for (long i = 0; i < n; i++) {
        unsigned char pitch = (unsigned char)scale[i % 16];
        unsigned char first[4] = {0, 0x90, pitch, 80}; /* delta, status, key, velocity */
        unsigned char on[3] = {0, pitch, 80};          /* running status */
        unsigned char off[3] = {0x78, pitch, 0};       /* 120 ticks later, velocity 0 */
        if (i == 0)
            put(b, first, 4);
        else
            put(b, on, 3);
        put(b, off, 3);
    }
}

static const char *path_of(const char *name)
{
    static char buf[8][600];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, name);
    return buf[k];
}

int main(void)
{
    Run r;
    Buf b = {0};
    struct stat st;
    char dir[600];
    double t0;

    reel = getenv("REEL_BIN") && *getenv("REEL_BIN") ? getenv("REEL_BIN") : "build/reel";
    REQUIRE(access(reel, X_OK) == 0, "no reel binary at %s (set REEL_BIN)", reel);
    tmp = test_tmpdir();
    fprintf(stderr, "test_limits: %s in %s%s\n", reel, tmp,
            SANITIZED ? " (sanitizer build: memory bounds not checked)" : "");

    /* ---- a 50 MB MIDI file: 8.7 million events, over the 2,000,000 limit ---- */
    notes_body(&b, 50l * 1000 * 1000 / 6);
    write_mid(path_of("big.mid"), &b, 480);
    buf_free(&b);
    stat(path_of("big.mid"), &st);
    fprintf(stderr, "big.mid: %.1f MB\n", st.st_size / 1e6);
    run(&r, (const char *[]){"corpus", path_of("big.mid"), NULL});
    CHECK(r.status == 1, "a file over the event limit: exit %d, wanted 1\n%s", r.status, r.out);
    CHECK(strstr(r.out, "big.mid") && strstr(r.out, "more than 2000000 events"),
          "the message names the file and the limit: %s", r.out);
    check_rss(&r, 40 + 2.5 * st.st_size / MIB, "corpus of the 50 MB file");
    CHECK(r.secs < 20, "refusing it took %.1f s", r.secs);

    /* ---- 50 MB under the event limit: 50 sysex messages of 1 MB and a few notes ---- */
    buf_free(&b);
    notes_body(&b, 64);
    for (int i = 0; i < 50; i++) {
        size_t len = 1 << 20;
        unsigned char f0[2] = {0, 0xf0}, *blob = malloc(len);
        REQUIRE(blob, "out of memory");
        memset(blob, 0x11, len);
        blob[len - 1] = 0xf7;
        put(&b, f0, 2);
        put_vlq(&b, (uint32_t)len);
        put(&b, blob, len);
        free(blob);
    }
    write_mid(path_of("sysex.mid"), &b, 480);
    buf_free(&b);
    stat(path_of("sysex.mid"), &st);
    run(&r, (const char *[]){"corpus", path_of("sysex.mid"), NULL});
    CHECK(r.status == 0, "a 50 MB file of sysex and 64 notes: exit %d\n%s", r.status, r.out);
    CHECK(strstr(r.out, "tunes loaded       1") != NULL, "it loads: %s", r.out);
    check_rss(&r, 40 + 2.5 * st.st_size / MIB, "corpus of 50 MB of sysex");

    /* ---- over 64 MiB: refused before it is read (a sparse file) ---- */
    {
        int fd = open(path_of("huge.mid"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        REQUIRE(fd >= 0 && write(fd, "MThd", 4) == 4 && ftruncate(fd, 80l << 20) == 0,
                "cannot make huge.mid");
        close(fd);
    }
    run(&r, (const char *[]){"corpus", path_of("huge.mid"), NULL});
    CHECK(r.status == 1 && strstr(r.out, "huge.mid") && strstr(r.out, "too large"),
          "an 80 MiB file is refused by its size: exit %d\n%s", r.status, r.out);
    check_rss(&r, 40, "corpus of an 80 MiB file");

    /* ---- a tune of 100,000 steps ---- */
    buf_free(&b);
    notes_body(&b, 100000);
    write_mid(path_of("long.mid"), &b, 480);
    stat(path_of("long.mid"), &st);
    run(&r, (const char *[]){"corpus", path_of("long.mid"), NULL});
    CHECK(r.status == 0 && strstr(r.out, "100,000"), "corpus of 100,000 steps: exit %d\n%s",
          r.status, r.out);
    check_rss(&r, 40 + 2.5 * st.st_size / MIB + 1.3 * 100000 / 1024, "corpus of 100,000 steps");
    run(&r, (const char *[]){"convert", path_of("long.mid"), "-o", path_of("long-out.mid"), NULL});
    CHECK(r.status == 0 && strstr(r.out, "100000 notes"), "convert 100,000 notes: exit %d\n%s",
          r.status, r.out);
    /* libsmf's own save was quadratic: 11 s here for 100,000 notes */
    CHECK(r.secs < (SANITIZED ? 20 : 4), "convert of 100,000 notes took %.1f s", r.secs);
    check_rss(&r, 40 + 400.0 * 100000 / MIB, "convert of 100,000 notes");
    run(&r,
        (const char *[]){"convert", path_of("long-out.mid"), "-o", path_of("long-2.mid"), NULL});
    CHECK(r.status == 0 && strstr(r.out, "100000 notes"), "the written file reads back: %s", r.out);
    run(&r, (const char *[]){"train", path_of("long.mid"), "--encoding", "melody", "--hidden", "16",
                             "--layers", "1", "--max-batches", "3", "--val-split", "0", "--log",
                             "none", "-q", "-o", path_of("long.reel"), NULL});
    CHECK(r.status == 0, "train on 100,000 steps: exit %d\n%s", r.status, r.out);
    check_rss(&r, 60 + 300.0 * 100000 / MIB, "train (melody) on 100,000 steps");
    run(&r, (const char *[]){"eval", path_of("long.mid"), NULL});
    CHECK(r.status == 0 && strstr(r.out, "in key"), "eval of a 100,000-step melody: exit %d\n%s",
          r.status, r.out);
    check_rss(&r, 40 + 400.0 * 100000 / MIB, "eval of 100,000 steps");

    /* ---- a tune longer than 2^20 steps: refused with its name, the rest loads ---- */
    buf_free(&b);
    {
        unsigned char on[4] = {0, 0x90, 60, 80}, off[4] = {0, 0x80, 60, 0};
        put(&b, on, 4);
        put_vlq(&b, 1u << 22); /* ppq 4: a tick a step, 4,194,304 steps */
        put(&b, off + 1, 3);
    }
    write_mid(path_of("endless.mid"), &b, 4);
    run(&r, (const char *[]){"corpus", path_of("endless.mid"), path_of("long.mid"), NULL});
    CHECK(r.status == 0 && strstr(r.out, "endless.mid") && strstr(r.out, "at most 1048576 steps") &&
              strstr(r.out, "tunes loaded       1"),
          "a 4,194,304-step tune is skipped with its name, the other loads: exit %d\n%s", r.status,
          r.out);
    check_rss(&r, 40 + 2.5 * st.st_size / MIB + 1.3 * 100000 / 1024, "corpus with an endless tune");

    /* ---- a folder of 20,000 files (hard links to one small tune) ---- */
    buf_free(&b);
    notes_body(&b, 16);
    write_mid(path_of("one-bar.mid"), &b, 480);
    snprintf(dir, sizeof dir, "%s", path_of("many"));
    REQUIRE(mkdir(dir, 0755) == 0, "mkdir %s", dir);
    t0 = now_sec();
    {
        int bad = -1;
        for (int i = 0; i < 20000 && bad < 0; i++) {
            char p[700];
            snprintf(p, sizeof p, "%s/tune%05d.mid", dir, i);
            if (link(path_of("one-bar.mid"), p) != 0)
                bad = i;
        }
        REQUIRE(bad < 0, "hard link number %d in %s: %s", bad, dir, strerror(errno));
    }
    fprintf(stderr, "20,000 files made in %.2f s\n", now_sec() - t0);
    run(&r, (const char *[]){"corpus", dir, NULL});
    CHECK(r.status == 0 && strstr(r.out, "tunes loaded       20,000"),
          "corpus of 20,000 files: exit %d\n%s", r.status, r.out);
    check_rss(&r, 40 + 20000.0 * 1024 / MIB, "corpus of 20,000 files");
    CHECK(r.secs < (SANITIZED ? 50 : 15), "20,000 files took %.1f s", r.secs);

    /* ---- a corpus of one note ---- */
    buf_free(&b);
    notes_body(&b, 1);
    write_mid(path_of("one.mid"), &b, 480);
    run(&r, (const char *[]){"corpus", path_of("one.mid"), NULL});
    CHECK(r.status == 0 && strstr(r.out, "tunes loaded       1"), "corpus of one note: exit %d\n%s",
          r.status, r.out);
    run(&r, (const char *[]){"train", path_of("one.mid"), "--hidden", "16", "--layers", "1",
                             "--epochs", "1", "-o", path_of("one.reel"), NULL});
    CHECK(r.status == 1 && strstr(r.out, "no tune long enough"),
          "training on one note: a clear refusal, exit %d\n%s", r.status, r.out);
    CHECK(stat(path_of("one.reel"), &st) != 0, "no model file from one note");
    run(&r, (const char *[]){"eval", "--corpus", path_of("one.mid"), NULL});
    CHECK(r.status == 0 || r.status == 1, "eval of a one-note corpus ends (exit %d)\n%s",
          r.status, r.out);
    CHECK(r.status < 128, "eval of a one-note corpus: killed by signal %d", r.status - 128);

    free(b.b);
    TEST_END();
}
