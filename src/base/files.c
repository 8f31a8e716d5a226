/* files.c — atomic writes and folders (files.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

#define TMP_TAG ".tmp-"
#define TMP_PATTERN TMP_TAG "XXXXXX"

ReelStatus file_lock(const char *path, int *fd, ReelError *err)
{
    char lock[PATH_MAX];
    *fd = -1;
    if (snprintf(lock, sizeof lock, "%s.lock", path) >= (int)sizeof lock)
        return reel_fail(err, REEL_EIO, "%s: the path is too long", path);
    if ((*fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
        return reel_fail(err, REEL_EIO, "%s: cannot make its lock file %s: %s", path, lock,
                         strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        if (e == EWOULDBLOCK)
            return reel_fail(err, REEL_EIO, "%s: another reel is writing it (its lock %s is "
                             "held): wait for it, or write to another name", path, lock);
        return reel_fail(err, REEL_EIO, "%s: cannot lock %s: %s", path, lock, strerror(e));
    }
    return REEL_OK;
}

void file_unlock(const char *path, int fd)
{
    char lock[PATH_MAX];
    if (fd < 0)
        return;
    if (snprintf(lock, sizeof lock, "%s.lock", path) < (int)sizeof lock)
        (void)unlink(lock);
    close(fd);
}

bool file_same(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

void file_dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n;
    if (!slash) {
        snprintf(dir, size, ".");
        return;
    }
    if (slash == path) {
        snprintf(dir, size, "/");
        return;
    }
    n = (size_t)(slash - path);
    if (n > size - 1)
        n = size - 1;
    snprintf(dir, size, "%.*s", (int)n, path);
}

/* Make a rename in path's folder durable; best effort: some file systems
 * cannot sync a folder. */
static void sync_dir(const char *path)
{
    char dir[PATH_MAX];
    int fd;
    file_dir_of(path, dir, sizeof dir);
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* The file to replace: path itself, or the regular file a symbolic link at
 * path points to.  Refuses anything else that exists. */
static ReelStatus target_of(const char *path, char **out, ReelError *err)
{
    struct stat st;
    char *real = NULL;
    *out = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        if (stat(path, &st) == 0) {
            if (!S_ISREG(st.st_mode))
                return reel_fail(err, REEL_EIO, "%s: not a regular file (it links to a device, "
                                 "a FIFO or a folder); reel does not write over it", path);
            real = realpath(path, NULL);
        }
    } else if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        return reel_fail(err, REEL_EIO, "%s: not a regular file (%s); reel does not write over it",
                         path, S_ISDIR(st.st_mode) ? "a folder" : S_ISFIFO(st.st_mode) ? "a FIFO"
                         : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a special file");
    }
    *out = real ? real : strdup(path);
    if (!*out)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", path);
    return REEL_OK;
}

ReelStatus file_can_write(const char *path, ReelError *err)
{
    struct stat st;
    char *real = NULL, dir[PATH_MAX];
    size_t n = path ? strlen(path) : 0;
    ReelStatus s;
    if (n == 0)
        return reel_fail(err, REEL_EIO, "an empty file name: give the file to write");
    if (path[n - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return reel_fail(err, REEL_EIO, "%s: a folder, not a file: give a file name in it", path);
    if ((s = target_of(path, &real, err)))
        return s;
    file_dir_of(real, dir, sizeof dir);
    free(real);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return reel_fail(err, REEL_EIO, "%s: the folder %s does not exist", path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return reel_fail(err, REEL_EIO, "%s: cannot write in the folder %s: %s", path, dir,
                         strerror(errno));
    return REEL_OK;
}

static ReelStatus begin(FileAtomic *a, const char *path, bool named, ReelError *err)
{
    ReelStatus st;
    int fd;
    memset(a, 0, sizeof *a);
    if (!path || !*path)
        return reel_fail(err, REEL_EARG, "no file name to write");
    if ((st = target_of(path, &a->path, err)))
        return st;
    if (!(a->tmp = malloc(strlen(a->path) + sizeof TMP_PATTERN))) {
        file_atomic_abort(a);
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", path);
    }
    strcpy(a->tmp, a->path);
    strcat(a->tmp, TMP_PATTERN);
    if ((fd = mkstemp(a->tmp)) < 0) {
        st = reel_fail(err, REEL_EIO, "%s: cannot create a temporary file beside it: %s", path,
                       strerror(errno));
        free(a->tmp);
        a->tmp = NULL;
        file_atomic_abort(a);
        return st;
    }
    (void)fchmod(fd, 0644); /* mkstemp made it 0600; best effort */
    if (named) {
        close(fd);
        return REEL_OK;
    }
    if (!(a->f = fdopen(fd, "wb"))) {
        st = reel_fail(err, REEL_EIO, "%s: %s", path, strerror(errno));
        close(fd);
        file_atomic_abort(a);
        return st;
    }
    return REEL_OK;
}

ReelStatus file_atomic_begin(FileAtomic *a, const char *path, ReelError *err)
{
    return begin(a, path, false, err);
}

ReelStatus file_atomic_begin_named(FileAtomic *a, const char *path, ReelError *err)
{
    return begin(a, path, true, err);
}

/* Flush the temporary to disk; 0 or -1 with errno. */
static int flush_tmp(FileAtomic *a)
{
    int fd, rc = 0;
    if (a->f) {
        FILE *f = a->f;
        a->f = NULL;
        if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)
            rc = -1;
        if (fclose(f) != 0)
            rc = -1;
        if (rc && !errno)
            errno = EIO;
        return rc;
    }
    if ((fd = open(a->tmp, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    if (fsync(fd) != 0)
        rc = -1;
    close(fd);
    return rc;
}

ReelStatus file_atomic_commit(FileAtomic *a, ReelError *err)
{
    ReelStatus st;
    if (!a->tmp) {
        file_atomic_abort(a);
        return reel_fail(err, REEL_EARG, "file_atomic_commit: no write begun");
    }
    errno = 0;
    if (flush_tmp(a) != 0) {
        st = reel_fail(err, REEL_EIO, "%s: writing failed: %s (the old file, if any, is "
                       "unchanged)", a->path, strerror(errno));
        file_atomic_abort(a);
        return st;
    }
    if (rename(a->tmp, a->path) != 0) {
        st = reel_fail(err, REEL_EIO, "%s: cannot rename the new file into place: %s (the old "
                       "file, if any, is unchanged)", a->path, strerror(errno));
        file_atomic_abort(a);
        return st;
    }
    sync_dir(a->path);
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
    return REEL_OK;
}

void file_atomic_abort(FileAtomic *a)
{
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
}

ReelStatus file_write_atomic(const char *path, const void *data, size_t len, ReelError *err)
{
    FileAtomic a;
    ReelStatus st = file_atomic_begin(&a, path, err);
    if (st)
        return st;
    if (len && fwrite(data, 1, len, a.f) != len) {
        st = reel_fail(err, REEL_EIO, "%s: writing failed: %s (the old file, if any, is "
                       "unchanged)", path, strerror(errno));
        file_atomic_abort(&a);
        return st;
    }
    return file_atomic_commit(&a, err);
}

int file_clean_temps(const char *path)
{
    char dir[PATH_MAX], prefix[PATH_MAX];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t plen;
    DIR *d;
    struct dirent *e;
    int removed = 0;
    file_dir_of(path, dir, sizeof dir);
    snprintf(prefix, sizeof prefix, "%s" TMP_TAG, base);
    plen = strlen(prefix);
    if (!(d = opendir(dir)))
        return 0;
    while ((e = readdir(d)) != NULL) {
        char full[2 * PATH_MAX];
        if (strncmp(e->d_name, prefix, plen) || strlen(e->d_name) != plen + 6)
            continue;
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        if (unlink(full) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int file_mkdirs(const char *dir)
{
    char buf[PATH_MAX];
    size_t n = strlen(dir);
    if (n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, dir, n + 1);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}
