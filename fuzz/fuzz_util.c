/* fuzz_util.c — the target table and what the entry points share (fuzz.h). */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const FuzzTarget fuzz_targets[] = {
    { "midi", fuzz_midi },
    { "abc", fuzz_abc },
    { "notes", fuzz_notes },
    { "model", fuzz_model },
    { "settings", fuzz_settings },
    { NULL, NULL },
};

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("fuzz: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

#define FUZZ_SLOTS 4
static char tmp_dir[512];
static char tmp_paths[FUZZ_SLOTS][600];
static char tmp_names[FUZZ_SLOTS][64];

static void tmp_remove(void)
{
    for (int i = 0; i < FUZZ_SLOTS; i++)
        if (tmp_names[i][0])
            unlink(tmp_paths[i]);
    if (tmp_dir[0])
        rmdir(tmp_dir);
}

const char *fuzz_tmp_path(int slot, const char *name)
{
    if (slot < 0 || slot >= FUZZ_SLOTS || strlen(name) >= sizeof tmp_names[0])
        fuzz_fail("fuzz_tmp_path: bad slot %d or name %s", slot, name);
    if (!tmp_dir[0]) {
        /* Memory, not disk: ext4 flushes a file truncated and rewritten at
         * close, which makes disk 30 times slower here. */
        const char *t = getenv("TMPDIR");
        if (access("/dev/shm", W_OK | X_OK) == 0)
            t = "/dev/shm";
        snprintf(tmp_dir, sizeof tmp_dir, "%s/reel-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmp_dir))
            fuzz_fail("cannot make a temporary folder %s: %s", tmp_dir, strerror(errno));
        atexit(tmp_remove);
    }
    if (strcmp(tmp_names[slot], name) != 0) {
        if (tmp_names[slot][0])
            unlink(tmp_paths[slot]);
        snprintf(tmp_names[slot], sizeof tmp_names[slot], "%s", name);
        snprintf(tmp_paths[slot], sizeof tmp_paths[slot], "%s/%s", tmp_dir, name);
    }
    return tmp_paths[slot];
}

void fuzz_write_file(const char *path, const void *data, size_t size)
{
    const char *p = data;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fuzz_fail("cannot write %s: %s", path, strerror(errno));
    while (size > 0) {
        ssize_t w = write(fd, p, size);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            fuzz_fail("cannot write %s: %s", path, strerror(errno));
        p += w;
        size -= (size_t)w;
    }
    if (close(fd) != 0)
        fuzz_fail("cannot write %s: %s", path, strerror(errno));
}

int fuzz_has(const char *msg, const char *needle)
{
    return msg && needle && strstr(msg, needle) != NULL;
}

void fuzz_check_tune(const Tune *t, const char *what)
{
    if (t->n_notes < 0 || t->n_notes > t->cap || (t->n_notes > 0 && !t->notes))
        fuzz_fail("%s: %d notes, room for %d", what, t->n_notes, t->cap);
    for (int32_t i = 0; i < t->n_notes; i++) {
        const Note *n = &t->notes[i];
        if (n->onset < 0 || n->dur < 1 || n->pitch > 127 || n->vel < 1 || n->vel > 127)
            fuzz_fail("%s: note %d: onset %d dur %d pitch %d vel %d", what, i, n->onset, n->dur,
                      n->pitch, n->vel);
        if ((int64_t)n->onset + n->dur > t->n_steps)
            fuzz_fail("%s: note %d ends at %lld, after n_steps %d", what, i,
                      (long long)n->onset + n->dur, t->n_steps);
        if (i > 0 && (n[-1].onset > n->onset || (n[-1].onset == n->onset && n[-1].pitch > n->pitch)))
            fuzz_fail("%s: notes %d and %d out of order", what, i - 1, i);
    }
    for (int32_t i = 0; i < t->n_tempos; i++) {
        if (t->tempos[i].step < 0 || (i > 0 && t->tempos[i - 1].step > t->tempos[i].step))
            fuzz_fail("%s: tempo %d at step %d out of order", what, i, t->tempos[i].step);
    }
    if (t->n_tempos > 0 && t->tempos[0].step != 0)
        fuzz_fail("%s: the first tempo is at step %d, not 0", what, t->tempos[0].step);
    for (int32_t i = 0; i < t->n_sigs; i++) {
        if (t->sigs[i].step < 0 || (i > 0 && t->sigs[i - 1].step > t->sigs[i].step))
            fuzz_fail("%s: time signature %d at step %d out of order", what, i, t->sigs[i].step);
        if (tune_bar_steps_at(t, t->sigs[i].step) < 1)
            fuzz_fail("%s: time signature %d/%d gives bars of %d steps", what, t->sigs[i].num,
                      t->sigs[i].den, tune_bar_steps_at(t, t->sigs[i].step));
    }
    if (t->program < -1 || t->program > 127)
        fuzz_fail("%s: program %d", what, t->program);
}
