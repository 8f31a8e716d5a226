/* files.h — files written whole or not at all, and folders made on the way.
 *
 * An atomic write creates PATH.tmp-XXXXXX beside the target (mode 0644),
 * fills it, flushes it to disk and renames it over PATH, then syncs the
 * folder, so a crash or a full disk at any moment leaves either the old file
 * or the new one, never half of one.  A target that exists and is not a
 * regular file (a device such as /dev/null, a FIFO, a folder) is never
 * renamed over: the write is refused before anything is created.  A
 * symbolic link to a regular file keeps the link; the file it points to is
 * replaced.
 *
 * Not thread-safe on one FileAtomic; separate ones are independent.
 */
#ifndef REEL_FILES_H
#define REEL_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

typedef struct {
    char *path;   /* owned: the file replaced at commit */
    char *tmp;    /* owned: the temporary beside it, PATH.tmp-XXXXXX */
    FILE *f;      /* open for writing on tmp (file_atomic_begin); NULL after
                     file_atomic_begin_named, or once committed */
} FileAtomic;

/* Start an atomic write of path: a temporary file beside it, open in a->f.
 * On failure nothing is left behind and *a is empty (abort is harmless). */
ReelStatus file_atomic_begin(FileAtomic *a, const char *path, ReelError *err);
/* The same with the temporary closed, for a library that writes a file by
 * its name (libsmf, FluidSynth's file renderer): write a->tmp, then commit. */
ReelStatus file_atomic_begin_named(FileAtomic *a, const char *path, ReelError *err);
/* Finish: flush and sync the temporary, rename it over the path, sync the
 * folder.  On failure the temporary is removed and the old file, if any, is
 * unchanged (the message says so).  *a is emptied either way. */
ReelStatus file_atomic_commit(FileAtomic *a, ReelError *err);
/* Give up: close and remove the temporary.  Accepts an empty (zeroed) one. */
void file_atomic_abort(FileAtomic *a);

/* Write len bytes to path atomically. */
ReelStatus file_write_atomic(const char *path, const void *data, size_t len, ReelError *err);

/* Remove the temporaries PATH.tmp-XXXXXX that a write cut short by a kill
 * left beside path.  Returns how many were removed. */
int file_clean_temps(const char *path);

/* mkdir -p: dir and its missing parents, mode 0755.  0, or -1 with errno. */
int file_mkdirs(const char *dir);

/* The folder path is in: "." for a bare name, "/" at the root. */
void file_dir_of(const char *path, char *dir, size_t size);

/* Whether file_atomic could write path, asked before long work: a name
 * (not empty, not a folder), a regular file or nothing at path (as
 * file_atomic_begin refuses anything else), and a folder that exists and
 * may be written in.  REEL_EIO with a message naming path. */
ReelStatus file_can_write(const char *path, ReelError *err);

/* One writer at a time for path: an advisory lock (flock) on PATH.lock
 * beside it, created if needed.  *fd gets the descriptor that holds it.
 * REEL_EIO when another process holds it (naming path) or the lock file
 * cannot be made.  A lock dies with its process; file_unlock releases it
 * and removes PATH.lock (fd < 0: nothing to do). */
ReelStatus file_lock(const char *path, int *fd, ReelError *err);
void file_unlock(const char *path, int fd);

/* Both paths name one existing file (the same device and inode: hard and
 * symbolic links, "./x" and "x"): an output that would replace its input. */
bool file_same(const char *a, const char *b);

#endif
