/* watch.c — the model file on disk, watched.
 *
 * `reel train` may finish a checkpoint over the model the studio uses, or
 * someone copies another (or a damaged) file over it.  The folder is
 * watched with inotify (nothing to do while nothing changes; without
 * inotify the file is stat'ed every few seconds when the loop wakes); a
 * change to the file (another inode, size or mtime) is looked at once it
 * has been quiet for WATCH_SETTLE_SEC: a file that loads and differs from
 * the model in use replaces it, with a message; a file that does not load
 * is named on the status line and the model in use stays.  One studio per
 * process, so the watch is this file's own state.
 */
#include "watch.h"

#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define WATCH_SETTLE_SEC 0.25
#define WATCH_STAT_SEC 3.0

typedef struct {
    bool ok;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} FileSig;

static struct {
    int fd;                  /* inotify; -1: none (stat now and then) */
    int wd;                  /* the watched folder; -1: none */
    char path[4096];         /* the model file watched ("" when none) */
    char base[256];          /* its name in the folder */
    FileSig sig;             /* the file as the model in use was read from it */
    bool pending;            /* it changed; look at due */
    double due;
    double last_stat;
} mw = {-1, -1, "", "", {false, 0, 0, 0, {0, 0}}, false, 0, 0};

static FileSig file_sig(const char *path)
{
    FileSig g;
    struct stat st;
    memset(&g, 0, sizeof g);
    if (stat(path, &st) != 0)
        return g;
    g.ok = true;
    g.dev = st.st_dev;
    g.ino = st.st_ino;
    g.size = st.st_size;
    g.mtime = st.st_mtim;
    return g;
}

static bool sig_same(const FileSig *a, const FileSig *b)
{
    return a->ok == b->ok && (!a->ok || (a->dev == b->dev && a->ino == b->ino &&
                                         a->size == b->size &&
                                         a->mtime.tv_sec == b->mtime.tv_sec &&
                                         a->mtime.tv_nsec == b->mtime.tv_nsec));
}

/* Watch the model in use (after it was loaded from s->model_path). */
static void watch_model(Studio *s)
{
    char dir[4096];
    const char *slash;
    if (!s->have_model || !s->model_path[0]) {
        mw.path[0] = '\0';
        return;
    }
    snprintf(mw.path, sizeof mw.path, "%s", s->model_path);
    mw.sig = file_sig(mw.path);
    mw.pending = false;
    mw.last_stat = now_sec();
    slash = strrchr(mw.path, '/');
    snprintf(mw.base, sizeof mw.base, "%.255s", slash ? slash + 1 : mw.path);
    if (slash == mw.path)
        snprintf(dir, sizeof dir, "/");
    else if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - mw.path), mw.path);
    else
        snprintf(dir, sizeof dir, ".");
    if (mw.fd < 0)
        mw.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (mw.fd < 0)
        return;
    if (mw.wd >= 0)
        inotify_rm_watch(mw.fd, mw.wd);
    mw.wd = inotify_add_watch(mw.fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                                               IN_CREATE | IN_DELETE | IN_ATTRIB);
}

void watch_close(void)
{
    if (mw.fd >= 0)
        close(mw.fd);
    mw.fd = mw.wd = -1;
    mw.path[0] = '\0';
}

/* The model file changed: load it, or say why not. */
static void watch_look(Studio *s)
{
    FileSig now = file_sig(mw.path);
    Model m;
    ReelError err;
    char path[4096], old_hex[17], new_hex[17], what[200];
    mw.pending = false;
    mw.last_stat = now_sec();
    if (sig_same(&now, &mw.sig))
        return;
    mw.sig = now;
    if (!now.ok) {
        view_status(&s->view, 2, "the model file %s is gone; the model loaded from it stays in use",
                      mw.path);
        return;
    }
    snprintf(path, sizeof path, "%s", mw.path);
    model_init(&m);
    if (model_load(&m, path, 0, 0, &err)) {
        view_status(&s->view, 2, "%s changed on disk and cannot be used (%s); the model loaded "
                            "before stays in use", path, err.msg);
        model_free(&m);
        return;
    }
    model_checksum_hex(&s->model, old_hex);
    model_checksum_hex(&m, new_hex);
    if (s->have_model && !strcmp(old_hex, new_hex)) {
        model_free(&m);
        return; /* the same weights written again */
    }
    snprintf(what, sizeof what, "reloaded: the file changed on disk; epoch %d",
             m.progress.epoch);
    if (studio_use_model(s, &m, path, what))
        watch_model(s);
}

void watch_tick(Studio *s, double now)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    if (!s->have_model) {
        mw.path[0] = '\0';
        return;
    }
    if (strcmp(mw.path, s->model_path) != 0)
        watch_model(s);
    if (mw.fd >= 0 && mw.wd >= 0) {
        while ((n = read(mw.fd, buf, sizeof buf)) > 0) {
            for (char *p = buf; p < buf + n;) {
                const struct inotify_event *ev = (const struct inotify_event *)p;
                if (ev->len && !strcmp(ev->name, mw.base)) {
                    mw.pending = true;
                    mw.due = now + WATCH_SETTLE_SEC;
                }
                p += sizeof *ev + ev->len;
            }
        }
    } else if (now - mw.last_stat >= WATCH_STAT_SEC) {
        FileSig g = file_sig(mw.path);
        mw.last_stat = now;
        if (!sig_same(&g, &mw.sig) && !mw.pending) {
            mw.pending = true;
            mw.due = now + WATCH_SETTLE_SEC;
        }
    }
    if (mw.pending && now >= mw.due)
        watch_look(s);
}

bool watch_due(double now, double *sec)
{
    if (mw.pending)
        *sec = mw.due - now;
    else if (mw.path[0] && (mw.fd < 0 || mw.wd < 0))
        *sec = WATCH_STAT_SEC;
    else
        return false;
    return true;
}

int watch_fd(void)
{
    return mw.fd;
}
