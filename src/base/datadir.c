/* datadir.c — the shared-data folder (datadir.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datadir.h"

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *datadir_path(void)
{
    static char dir[PATH_MAX];
    char exe[PATH_MAX], try_[PATH_MAX + 32];
    const char *env = getenv("REEL_DATA");
    ssize_t n;
    char *slash;
    if (dir[0])
        return dir;
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(dir, sizeof dir, ".");
        return dir;
    }
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    /* Installed: PREFIX/bin/reel -> PREFIX/share/reel. */
    snprintf(try_, sizeof try_, "%s/../share/reel", exe);
    if (is_dir(try_) && realpath(try_, dir))
        return dir;
    /* In the source tree: ./reel or build/reel beside models/. */
    snprintf(try_, sizeof try_, "%s/models", exe);
    if (is_dir(try_)) {
        snprintf(dir, sizeof dir, "%s", exe);
        return dir;
    }
    snprintf(try_, sizeof try_, "%s/../models", exe);
    if (is_dir(try_) && realpath(exe, dir) && (slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        return dir;
    }
    snprintf(dir, sizeof dir, "%s", exe);
    return dir;
}

