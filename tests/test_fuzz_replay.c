/* test_fuzz_replay.c — replay every input under tests/fuzz-regress/<target>/
 * through the fuzz entry points (fuzz/fuzz.h), in whatever build this is:
 * `make test` runs it in the normal build and `make test-asan` under
 * AddressSanitizer and UBSan, so an input that once crashed a parser (or
 * broke one of its promises) fails the suite if it ever does again.
 *
 *   test_fuzz_replay                      every target, every file
 *   test_fuzz_replay TARGET FILE...       those files through one target
 *
 * An entry point that finds a broken promise aborts, and so does this test.
 * Every target must have its folder with at least one input.
 * $REEL_FUZZ_REGRESS overrides the folder (default tests/fuzz-regress).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "testlib.h"

#define FUZZ_MAX_INPUT (64u << 20)

static int read_input(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f)
        return 0;
    for (;;) {
        size_t got;
        if (len == cap) {
            uint8_t *p;
            cap = cap ? cap * 2 : 4096;
            if (cap > FUZZ_MAX_INPUT || !(p = realloc(buf, cap))) {
                free(buf);
                fclose(f);
                return 0;
            }
            buf = p;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *data = buf;
    *size = len;
    return 1;
}

static int replay(const FuzzTarget *t, const char *path)
{
    uint8_t *data = NULL;
    size_t size = 0;
    if (!read_input(path, &data, &size))
        return 0;
    fprintf(stderr, "  %s %s (%zu bytes)\n", t->name, path, size);
    t->fn(data, size);
    free(data);
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir, in name order; the number replayed, -1 when
 * the folder cannot be read. */
static int replay_dir(const FuzzTarget *t, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    int n = 0, cap = 0, done = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **p = realloc(names, (size_t)(cap = cap ? cap * 2 : 64) * sizeof *p);
            REQUIRE(p != NULL, "out of memory");
            names = p;
        }
        names[n] = strdup(e->d_name);
        REQUIRE(names[n] != NULL, "out of memory");
        n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    for (int i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (replay(t, path))
            done++;
        else
            CHECK(0, "%s: cannot read", path);
        free(names[i]);
    }
    free(names);
    return done;
}

static const FuzzTarget *find_target(const char *name)
{
    for (const FuzzTarget *t = fuzz_targets; t->name; t++)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *root = getenv("REEL_FUZZ_REGRESS");
    if (!root || !*root)
        root = "tests/fuzz-regress";

    if (argc > 1) {
        const FuzzTarget *t = find_target(argv[1]);
        REQUIRE(t != NULL, "unknown target '%s' (midi, abc, notes, model, settings)", argv[1]);
        for (int i = 2; i < argc; i++)
            CHECK(replay(t, argv[i]), "%s: cannot read", argv[i]);
        TEST_END();
    }

    for (const FuzzTarget *t = fuzz_targets; t->name; t++) {
        char dir[4096];
        int n;
        snprintf(dir, sizeof dir, "%s/%s", root, t->name);
        n = replay_dir(t, dir);
        CHECK(n >= 1, "%s: %s", dir, n < 0 ? "missing" : "no inputs");
        fprintf(stderr, "%s: %d inputs replayed\n", t->name, n < 0 ? 0 : n);
    }
    TEST_END();
}
