/* soundfont.c — the soundfont lookup of soundfont.h. */
#include "soundfont.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const system_files[] = {"default-GM.sf2", "FluidR3_GM.sf2", "TimGM6mb.sf2"};

ReelStatus soundfont_check(const char *path, ReelError *err)
{
    unsigned char head[12];
    struct stat st;
    ssize_t got;
    int fd;
    if (!path || !*path)
        return reel_fail(err, REEL_EARG, "no soundfont path given");
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return reel_fail(err, REEL_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return reel_fail(err, REEL_EIO, "%s: not a regular file", path);
    }
    got = read(fd, head, sizeof head);
    close(fd);
    if (got < 0)
        return reel_fail(err, REEL_EIO, "%s: %s", path, strerror(errno));
    if (got < (ssize_t)sizeof head || memcmp(head, "RIFF", 4) != 0 || memcmp(head + 8, "sfbk", 4) != 0)
        return reel_fail(err, REEL_EFORMAT, "%s: not a SoundFont 2 file (no RIFF sfbk header)",
                         path);
    return REEL_OK;
}

static int has_sf_ext(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && name[0] != '.' &&
           (!strcasecmp(name + n - 4, ".sf2") || !strcasecmp(name + n - 4, ".sf3"));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first usable soundfont in dir (name order) into out; 0 if none. */
static int find_in_dir(const char *dir, char *out, size_t out_size)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char *names[256];
    int n = 0, found = 0;
    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL && n < (int)(sizeof names / sizeof names[0]))
        if (has_sf_ext(de->d_name) && (names[n] = strdup(de->d_name)) != NULL)
            n++;
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    for (int i = 0; i < n; i++) {
        if (!found) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (soundfont_check(path, NULL) == REEL_OK && strlen(path) < out_size) {
                snprintf(out, out_size, "%s", path);
                found = 1;
            }
        }
        free(names[i]);
    }
    return found;
}

/* Append printf text to a fixed buffer, never overflowing. */
static void add(char *buf, size_t size, const char *s)
{
    size_t len = strlen(buf);
    if (len + 1 < size)
        snprintf(buf + len, size - len, "%s", s);
}

ReelStatus soundfont_find(const SoundfontQuery *q, char *out, size_t out_size, ReelError *err)
{
    static const SoundfontQuery none = {NULL, NULL, 0, false, false};
    char looked[400] = "", item[300];
    const char *env;
    ReelError e;
    if (!q)
        q = &none;
    if (!out || out_size < 2)
        return reel_fail(err, REEL_EARG, "soundfont_find: no room for the path");
    out[0] = '\0';
    if (q->path) {
        if (soundfont_check(q->path, &e))
            return reel_fail(err, e.status, "soundfont %s", e.msg);
        snprintf(out, out_size, "%s", q->path);
        return REEL_OK;
    }
    env = q->no_env ? NULL : getenv("REEL_SOUNDFONT");
    if (env && *env) {
        if (soundfont_check(env, &e))
            return reel_fail(err, e.status, "$REEL_SOUNDFONT: %s", e.msg);
        snprintf(out, out_size, "%s", env);
        return REEL_OK;
    }
    add(looked, sizeof looked, q->no_env ? "" : "$REEL_SOUNDFONT (not set); ");
    for (int i = 0; i < q->n_dirs; i++) {
        if (!q->dirs[i])
            continue;
        if (find_in_dir(q->dirs[i], out, out_size))
            return REEL_OK;
        snprintf(item, sizeof item, "%s/*.sf2 (none); ", q->dirs[i]);
        add(looked, sizeof looked, item);
    }
    if (!q->no_system) {
        for (size_t i = 0; i < sizeof system_files / sizeof system_files[0]; i++) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", SOUNDFONT_SYSTEM_DIR, system_files[i]);
            if (soundfont_check(path, NULL) == REEL_OK) {
                snprintf(out, out_size, "%s", path);
                return REEL_OK;
            }
        }
        add(looked, sizeof looked, SOUNDFONT_SYSTEM_DIR "/default-GM.sf2, FluidR3_GM.sf2, "
                                   "TimGM6mb.sf2 (missing)");
    }
    return reel_fail(err, REEL_EEMPTY,
                     "no soundfont found; reel looked at: %s. Install one (apt-get install "
                     "fluid-soundfont-gm), or give --soundfont FILE.sf2 (see soundfonts/README)",
                     looked);
}
