/* studio.c — `reel studio`: the ncurses studio.  Options, the state's
 * life, what every key does, and the event loop.
 *
 * The loop (Orca-style): wait in poll() on the terminal and the wake pipe
 * with a timeout from the next thing that is due (the playhead reaching the
 * next column, a typed note's release, a count-in click, a status message
 * expiring), or forever when nothing is; then read every key, do what is
 * due, draw the parts of the screen that changed, and wait again.  Rows of
 * the model are made in slices of a few milliseconds between waits, so a
 * key is answered while a big model generates.  One quit path: silence the
 * notes, stop the threads, save the settings, endwin.
 */
#include "clock.h"
#include "studio.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "abcout.h"
#include "blas.h"
#include "datadir.h"
#include "num.h"
#include "version.h"
#include "generate.h"

#define NCURSES_WIDECHAR 1
#include <curses.h>

#define GEN_SLICE_SEC 0.008      /* rows made between two looks at the keyboard */
#define GEN_FIRST_SEC 0.020      /* ... when a take starts (the first bars at once) */
#define STATUS_SEC 6.0           /* messages stay this long */
#define FRAME_MIN_SEC 0.016      /* the playhead is drawn at most ~60 times a second */
#define DEFAULT_MODEL "fiddle-lookback.reel"

void studio_status(Studio *s, int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->status, sizeof s->status, fmt, ap);
    va_end(ap);
    s->status_kind = kind;
    s->status_until = now_sec() + (kind == 2 ? STATUS_SEC * 2 : STATUS_SEC);
    s->dirty |= DIRTY_STATUS;
}

double studio_step_sec(const Studio *s)
{
    double bpm = s->song.bpm > 0 ? s->song.bpm : 120;
    return 60.0 / bpm / TUNE_STEPS_PER_QUARTER;
}

static uint64_t fresh_seed(void)
{
    struct timespec ts;
    uint64_t x;
    clock_gettime(CLOCK_REALTIME, &ts);
    x = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20);
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 31;
    return x % 1000000u + 1; /* short enough to read and type back */
}

bool studio_take_live(const Studio *s)
{
    return s->gc_ok && s->gc.primed && s->song.version == s->take_version;
}

/* ---- the model ------------------------------------------------------------ */

static void model_summary(Studio *s, const char *path)
{
    const char *b = strrchr(path, '/');
    char *dot;
    snprintf(s->model_name, sizeof s->model_name, "%s", b ? b + 1 : path);
    if ((dot = strrchr(s->model_name, '.')) != NULL && dot != s->model_name)
        *dot = '\0';
    snprintf(s->model_desc, sizeof s->model_desc, "%s%s %dx%d",
             s->model.enc.lookback ? "melody-lookback" : enc_name(s->model.enc.kind),
             s->model.enc.plain ? " plain" : "", s->model.net.layers, s->model.net.hidden);
}

bool studio_use_model(Studio *s, Model *m, const char *path, const char *what)
{
    ReelError err;
    GenCtl gc;
    Model old = s->model;
    bool had = s->have_model;
    /* The new generator first: the old model stays when it fails. */
    s->model = *m;
    if (gc_init(&gc, &s->model, &s->so, s->seed, &err)) {
        s->model = old;
        studio_status(s, 2, "%s: %s", path, err.msg);
        model_free(m);
        return false;
    }
    memset(m, 0, sizeof *m);
    if (s->gc_ok)
        gc_free(&s->gc);
    if (had)
        model_free(&old);
    s->gc = gc;
    s->gc_ok = true;
    s->have_model = true;
    cix_request(&s->cix, s->model.train.corpus);
    s->take_version = s->song.version - 1; /* the old take is no one's now */
    s->generating = false;
    snprintf(s->model_path, sizeof s->model_path, "%s", path);
    model_summary(s, path);
    studio_status(s, 1, "model %s: %s (%s)", s->model_name, s->model_desc, what);
    s->dirty = DIRTY_ALL;
    return true;
}

bool studio_open_model(Studio *s, const char *path)
{
    Model m;
    ReelError err;
    char what[200];
    model_init(&m);
    if (model_load(&m, path, 0, 0, &err)) {
        studio_status(s, 2, "%s", err.msg);
        model_free(&m);
        return false;
    }
    snprintf(what, sizeof what, "epoch %d, val acc %.1f%%", m.progress.epoch,
             isnan(m.progress.val_acc) ? 0.0 : m.progress.val_acc * 100.0);
    return studio_use_model(s, &m, path, what);
}

/* ---- the model file on disk --------------------------------------------------------
 * `reel train` may finish a checkpoint over the model the studio uses, or
 * someone copies another (or a damaged) file over it.  The folder is
 * watched with inotify (nothing to do while nothing changes; without
 * inotify the file is stat'ed every few seconds when the loop wakes); a
 * change to the file (another inode, size or mtime) is looked at once it
 * has been quiet for WATCH_SETTLE_SEC: a file that loads and differs from
 * the model in use replaces it, with a message; a file that does not load
 * is named on the status line and the model in use stays.  One studio per
 * process, so the watch is this file's own state. */

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

static void watch_close(void)
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
        studio_status(s, 2, "the model file %s is gone; the model loaded from it stays in use",
                      mw.path);
        return;
    }
    snprintf(path, sizeof path, "%s", mw.path);
    model_init(&m);
    if (model_load(&m, path, 0, 0, &err)) {
        studio_status(s, 2, "%s changed on disk and cannot be used (%s); the model loaded "
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

static void watch_tick(Studio *s, double now)
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

void studio_apply_so(Studio *s)
{
    ReelError err;
    if (s->gc_ok && gc_set_opts(&s->gc, &s->so, &err))
        studio_status(s, 2, "%s", err.msg);
    s->dirty |= DIRTY_HEADER | DIRTY_PANEL;
}

/* ---- the player ------------------------------------------------------------ */

static void player_meter(Studio *s)
{
    Tune meta;
    ReelError err;
    int part;
    if (!s->snd_ok)
        return;
    if (song_seed_tune(&s->song, &meta, &err))
        return;
    tune_free(&meta);
    tune_init(&meta);
    tune_add_sig(&meta, 0, s->song.num, s->song.den, &err);
    tune_add_tempo(&meta, 0, 500000, &err);
    player_set_song(s->snd.p, &meta, &err);
    player_add_part(s->snd.p, s->snd.program, &part, &err);   /* 0: the melody */
    player_add_part(s->snd.p, 0, &part, &err);                /* 1: the record guard */
    {
        /* Give each part its event list now: player.c sorts a part's list
         * with qsort, which must not see the NULL of a part never set
         * (UBSan); later empty lists are then never NULL.  Not playing: silent. */
        Note one = {0, 1, 60, 1};
        player_set_notes(s->snd.p, 0, &one, 1, &err);
        player_set_notes(s->snd.p, 1, &one, 1, &err);
        player_set_notes(s->snd.p, 1, NULL, 0, &err);
    }
    player_set_bpm(s->snd.p, s->song.bpm);
    tune_free(&meta);
    s->player_num = s->song.num;
    s->player_den = s->song.den;
    s->player_version = s->song.version - 1;
}

void studio_sync_player(Studio *s)
{
    Note *v = NULL;
    int32_t n = 0;
    ReelError err;
    if (!s->snd_ok || s->sample_playing)
        return;
    if (s->player_num != s->song.num || s->player_den != s->song.den)
        player_meter(s);
    if (s->player_version == s->song.version)
        return;
    if (song_all_notes(&s->song, &v, NULL, &n, &err) == REEL_OK) {
        player_set_notes(s->snd.p, 0, v, n, &err);
        free(v);
    }
    s->player_version = s->song.version;
}

static void set_guard(Studio *s, bool on)
{
    ReelError err;
    Note g = {0, 1, 0, 1};
    if (!s->snd_ok)
        return;
    g.onset = s->song.cur.cursor + 64 * song_bar_steps(&s->song);
    player_set_notes(s->snd.p, 1, &g, on ? 1 : 0, &err);
}

void studio_play(Studio *s, double from)
{
    ReelError err;
    if (!s->snd_ok)
        return;
    studio_sync_player(s);
    player_set_loop(s->snd.p, s->loop && !s->continuous && !s->recording, 0, 0);
    player_set_metronome(s->snd.p, s->metronome || s->recording);
    if (player_play(s->snd.p, from, &err)) {
        studio_status(s, 2, "%s", err.msg);
        return;
    }
    s->playing = true;
    s->playhead = from;
    s->play_from = from;
    s->stats.play_origin = UINT64_MAX; /* filled in when the engine has started it */
    s->stats.play_from = from;
    s->stats.play_bpm = s->song.bpm;
    s->stats.play_rate = audio_engine_rate(s->snd.e);
    s->dirty |= DIRTY_HEADER | DIRTY_ROLL | DIRTY_PANEL;
}

static void finish_recording(Studio *s);

void studio_stop(Studio *s)
{
    s->play_pending = false;
    if (s->recording || s->counting_in)
        finish_recording(s);
    if (s->snd_ok) {
        player_stop(s->snd.p);
        snd_preview_stop(&s->snd);
    }
    s->playing = false;
    s->dirty |= DIRTY_HEADER | DIRTY_ROLL | DIRTY_PANEL | DIRTY_FOOTER;
}

/* ---- takes ------------------------------------------------------------------ */

static bool need_model(Studio *s)
{
    if (s->have_model && s->gc_ok)
        return true;
    studio_status(s, 2, "no model: o opens one (.reel), t trains one");
    return false;
}

/* Decode the take into the song's generated part. */
static void take_decode(Studio *s)
{
    Tune out;
    GenSpan span;
    ReelError err;
    Note *v;
    int32_t n = 0;
    if (gc_decode(&s->gc, &out, &span, &err)) {
        studio_status(s, 2, "%s", err.msg);
        return;
    }
    v = out.notes ? out.notes + span.first_note : NULL;
    n = out.n_notes - span.first_note;
    /* The part before the take's start belongs to the seed. */
    while (n > 0 && v[0].onset < s->gc.start) {
        v++;
        n--;
    }
    if (song_set_gen(&s->song, v, n, s->gc.start, gc_time(&s->gc), &err))
        studio_status(s, 2, "%s", err.msg);
    s->take_version = s->song.version;
    tune_free(&out);
    s->dirty |= DIRTY_ROLL | DIRTY_PANEL | DIRTY_HEADER;
}

/* Make rows for a while; decode when some came. */
static void take_pump(Studio *s, double budget)
{
    ReelError err;
    int32_t rows = 0;
    if (!studio_take_live(s) || !gc_pending(&s->gc)) {
        s->generating = false;
        return;
    }
    s->generating = true;
    if (gc_work(&s->gc, budget, &rows, &err)) {
        studio_status(s, 2, "%s", err.msg);
        s->generating = false;
        return;
    }
    if (rows)
        take_decode(s);
    if (!gc_pending(&s->gc)) {
        s->generating = false;
        if (s->gc.stalled)
            studio_status(s, 2, "the model stopped moving forward in time (at step %d)",
                          (int)gc_time(&s->gc));
    }
}

static int32_t continuous_target(const Studio *s, double at)
{
    int32_t bar = song_bar_steps(&s->song);
    double ahead = 0.5 / studio_step_sec(s);
    int32_t want = song_bar_ceil(&s->song, (int32_t)ceil(at + bar + ahead));
    int32_t cap = STUDIO_MAX_BARS * bar;
    return want < cap ? want : cap;
}

/* A new take from the seed. */
static void take_start(Studio *s, bool play)
{
    Tune seed;
    ReelError err;
    int32_t target, from;
    if (!need_model(s))
        return;
    if (s->recording || s->counting_in)
        finish_recording(s);
    if (song_seed_tune(&s->song, &seed, &err)) {
        studio_status(s, 2, "%s", err.msg);
        return;
    }
    if (!s->seed_locked)
        s->seed = fresh_seed();
    gc_set_seed(&s->gc, s->seed);
    if (gc_prime(&s->gc, seed.n_notes ? &seed : NULL, &seed, &err)) {
        studio_status(s, 2, "the seed does not fit the model: %s", err.msg);
        tune_free(&seed);
        return;
    }
    tune_free(&seed);
    target = s->continuous ? continuous_target(s, s->gc.start)
                           : gc_bars_end(&s->gc, s->bars);
    gc_set_target(&s->gc, target);
    song_checkpoint(&s->song); /* u brings back what was there */
    song_set_gen(&s->song, NULL, 0, s->gc.start, s->gc.start, &err);
    s->take_version = s->song.version;
    s->take_edited = false;
    take_pump(s, GEN_FIRST_SEC);
    if (s->continuous) {
        studio_status(s, 1, "continuous: generating a bar ahead of the playhead from %s, seed %"
                      PRIu64 " ([ ] change the temperature)",
                      s->song.cur.n_seed ? "the seed" : "silence", s->seed);
    } else {
        char msg[200];
        snprintf(msg, sizeof msg, "generated %d bar%s after the %s; seed %" PRIu64
                 " (k keeps, x discards, n redraws)", s->bars, s->bars == 1 ? "" : "s",
                 s->song.cur.n_seed ? "seed" : "silence", s->seed);
        studio_status(s, 1, "%s", msg);
    }
    if (play) {
        int32_t bar = song_bar_steps(&s->song);
        from = s->gc.start > 0 ? song_bar_floor(&s->song, s->gc.start > bar ? s->gc.start - 1
                                                                             : 0)
                               : 0;
        if (s->gc.start - from > bar)
            from = song_bar_floor(&s->song, s->gc.start - bar);
        studio_stop(s);
        /* Play when the take is made (at once, mostly): a player that ran
         * ahead of the model would stop at the end of what it has. */
        if (gc_pending(&s->gc)) {
            s->play_pending = true;
            s->play_pending_from = from;
        } else {
            studio_play(s, from);
        }
    }
    s->dirty = DIRTY_ALL;
}

/* The first step that may still change: the next bar line the listener has
 * not reached (with room for the output's latency and the player's margin). */
static int32_t unheard_bar(const Studio *s)
{
    double margin = 0.08;
    if (s->snd_ok)
        margin += (double)audio_engine_latency_frames(s->snd.e) / audio_engine_rate(s->snd.e);
    return song_bar_ceil(&s->song, (int32_t)ceil(s->playhead + margin / studio_step_sec(s)));
}

/* After gc_resample_from(at): the bar from `at` made again at once (a few
 * milliseconds), so the player never reaches the end of what it has; the
 * bars after it come in the next slices, between keys. */
static void redraw_first_bar(Studio *s, int32_t at)
{
    ReelError err;
    int32_t target = s->gc.target, until = at + song_bar_steps(&s->song);
    gc_set_target(&s->gc, until < target ? until : target);
    while (gc_pending(&s->gc))
        if (gc_work(&s->gc, GEN_FIRST_SEC, NULL, &err)) {
            studio_status(s, 2, "%s", err.msg);
            break;
        }
    gc_set_target(&s->gc, target);
    take_decode(s);
    studio_sync_player(s);
}

/* The sampling options changed: while a take plays, draw again the bars
 * not heard yet. */
static void options_changed(Studio *s, const char *what)
{
    ReelError err;
    studio_apply_so(s);
    if (s->playing && studio_take_live(s)) {
        int32_t at = gc_resample_from(&s->gc, unheard_bar(s), &err);
        if (at >= 0) {
            redraw_first_bar(s, at);
            studio_status(s, 0, "%s: bars from %ld on drawn again", what,
                          (long)(at / song_bar_steps(&s->song) + 1));
            return;
        }
    }
    studio_status(s, 0, "%s%s", what,
                  studio_take_live(s) && !s->playing ? " (for the next take: g, or n to redraw)" : "");
}

/* n: the bars not heard yet (all of the take when stopped) with a new
 * random stream. */
static void take_redraw(Studio *s)
{
    ReelError err;
    int32_t at;
    uint64_t r;
    if (!need_model(s))
        return;
    if (!studio_take_live(s) || !song_has_gen(&s->song)) {
        take_start(s, true);
        return;
    }
    if (!s->playing)
        song_checkpoint(&s->song);
    at = gc_resample_from(&s->gc, s->playing ? unheard_bar(s) : s->gc.start, &err);
    if (at < 0) {
        studio_status(s, 0, "nothing generated after the playhead yet");
        return;
    }
    r = fresh_seed();
    gen_reseed(s->gc.g, r);
    s->take_edited = true;
    redraw_first_bar(s, at);
    if (!s->playing)
        studio_play(s, song_bar_floor(&s->song, at > 0 ? at - 1 : 0));
    studio_status(s, 1, "bars from %ld on drawn again (stream %" PRIu64 ")",
                  (long)(at / song_bar_steps(&s->song) + 1), r);
}

/* ---- record mode --------------------------------------------------------------- */

static int beats_per_bar(const Studio *s, double *beat_steps)
{
    int num = s->song.num, den = s->song.den;
    if (den == 8 && num % 3 == 0 && num > 3) {
        *beat_steps = 6;
        return num / 3;
    }
    *beat_steps = 16.0 / den;
    return num;
}

static void start_recording(Studio *s)
{
    double beat_steps;
    int32_t max_dur;
    if (!s->snd_ok) {
        studio_status(s, 2, "no player: recording needs the audio engine");
        return;
    }
    studio_stop(s);
    s->count_beats = beats_per_bar(s, &beat_steps);
    s->count_beat = beat_steps * studio_step_sec(s);
    s->count_t0 = now_sec() + 0.05;
    s->count_done = 0;
    s->counting_in = true;
    s->piano = true;
    max_dur = song_bar_steps(&s->song);
    if (max_dur < s->length)
        max_dur = s->length;
    rec_init(&s->rec, s->song.cur.cursor, s->quantize, max_dur);
    s->rec_metro_was = s->metronome;
    set_guard(s, true);
    studio_status(s, 0, "recording from bar %ld after one bar of count-in: play on the piano "
                        "keys; a ends a note; Space or Esc stops",
                  (long)(s->song.cur.cursor / song_bar_steps(&s->song) + 1));
    s->dirty = DIRTY_ALL;
}

/* The step being heard (or, during the count-in, before the start). */
static double record_step(Studio *s)
{
    if (s->counting_in) {
        double t_start = s->count_t0 + s->count_beats * s->count_beat;
        return s->rec.start - (t_start - now_sec()) / studio_step_sec(s);
    }
    if (s->snd_ok) {
        PlayerStatus st = player_status(s->snd.p);
        return st.step;
    }
    return s->rec.start;
}

static void finish_recording(Studio *s)
{
    ReelError err;
    bool was_counting = s->counting_in;
    if (!s->recording && !s->counting_in)
        return;
    rec_stop(&s->rec, was_counting ? s->rec.start : record_step(s));
    s->recording = s->counting_in = false;
    set_guard(s, false);
    if (s->snd_ok) {
        player_stop(s->snd.p);
        snd_preview_stop(&s->snd);
        player_set_metronome(s->snd.p, s->rec_metro_was);
    }
    s->playing = false;
    if (s->rec.n > 0) {
        if (song_put_notes(&s->song, s->rec.notes, s->rec.n, s->rec.start, s->rec.end, &err))
            studio_status(s, 2, "%s", err.msg);
        else {
            char g[16];
            studio_status(s, 1, "recorded %d note%s, quantized to %s (u undoes)", (int)s->rec.n,
                          s->rec.n == 1 ? "" : "s", keys_value_name(s->rec.grid, g, sizeof g));
        }
    } else {
        studio_status(s, 0, "recording stopped: no notes");
    }
    rec_free(&s->rec);
    s->dirty = DIRTY_ALL;
}

/* ---- typing --------------------------------------------------------------------- */

static void type_note(Studio *s, int ch)
{
    ReelError err;
    int pitch = (s->octave + 1) * 12 + keys_piano_offset(ch);
    char name[8], val[16];
    double now = now_sec();
    if (pitch < 0 || pitch > 127) {
        studio_status(s, 2, "out of MIDI's range: < and > move the octave");
        return;
    }
    if (s->recording || s->counting_in) {
        if (s->snd_ok)
            snd_preview(&s->snd, pitch, s->rec.max_dur * studio_step_sec(s), now);
        if (!rec_press(&s->rec, record_step(s), pitch) && s->recording)
            studio_status(s, 2, "out of memory: a note was lost");
        s->dirty |= DIRTY_ROLL;
        return;
    }
    if (s->snd_ok) {
        double d = s->length * studio_step_sec(s);
        snd_preview(&s->snd, pitch, d < 0.15 ? 0.15 : d, now);
    }
    if (song_type_note(&s->song, pitch, s->length, &err)) {
        studio_status(s, 2, "%s", err.msg);
        return;
    }
    draw_follow(s, s->song.cur.cursor);
    if (!s->pitch_manual)
        s->pitch_top = -1;
    pitch_name(pitch, name);
    studio_status(s, 0, "%s %s", name, keys_value_name(s->length, val, sizeof val));
    s->dirty |= DIRTY_ROLL | DIRTY_PANEL | DIRTY_HEADER;
}

static void type_rest(Studio *s)
{
    ReelError err;
    char val[16];
    if (s->recording || s->counting_in) {
        rec_release(&s->rec, record_step(s));
        snd_preview_stop(&s->snd);
        return;
    }
    if (song_type_rest(&s->song, s->length, &err)) {
        studio_status(s, 2, "%s", err.msg);
        return;
    }
    draw_follow(s, s->song.cur.cursor);
    studio_status(s, 0, "rest %s", keys_value_name(s->length, val, sizeof val));
    s->dirty |= DIRTY_ROLL | DIRTY_PANEL | DIRTY_HEADER;
}

static void move_cursor(Studio *s, int32_t to)
{
    int32_t end = song_end(&s->song);
    if (to < 0)
        to = 0;
    if (to > end + 64 * song_bar_steps(&s->song))
        to = end;
    song_set_cursor(&s->song, to);
    draw_follow(s, to);
    s->dirty |= DIRTY_ROLL | DIRTY_PANEL | DIRTY_HEADER;
}

/* ---- settings ------------------------------------------------------------------- */

static void load_settings(Studio *s)
{
    ReelError err;
    const char *v;
    settings_path(s->settings_file, sizeof s->settings_file);
    if (settings_load(&s->settings, s->settings_file, &err))
        studio_status(s, 2, "settings: %s", err.msg);
    s->so.temperature = (float)settings_num(&s->settings, "temperature", 0.05, 5, 1.0);
    s->so.top_k = (int)settings_num(&s->settings, "top_k", 0, 100000, 0);
    s->so.top_p = (float)settings_num(&s->settings, "top_p", 0.05, 1, 1.0);
    s->song.bpm = settings_num(&s->settings, "tempo", 20, 400, 120);
    s->bars = (int)settings_num(&s->settings, "bars", 1, 256, 8);
    s->octave = (int)settings_num(&s->settings, "octave", 0, 8, 4);
    s->length = (int)settings_num(&s->settings, "length", 1, 24, 2);
    s->quantize = (int)settings_num(&s->settings, "quantize", 1, 16, 1);
    s->seed_bars = (int)settings_num(&s->settings, "seed_bars", 1, 256, 4);
    s->zoom = (int)settings_num(&s->settings, "zoom", 0, 2, 0);
    s->metronome = settings_num(&s->settings, "metronome", 0, 1, 0) > 0;
    s->loop = settings_num(&s->settings, "loop", 0, 1, 0) > 0;
    s->continuous = settings_num(&s->settings, "continuous", 0, 1, 0) > 0;
    s->snd.program = (int)settings_num(&s->settings, "program", 0, 127, PLAYER_VIOLIN);
    if ((v = settings_get(&s->settings, "meter")) != NULL) {
        int a, b;
        if (sscanf(v, "%d/%d", &a, &b) == 2 && a >= 1 && a <= 32 &&
            (b == 2 || b == 4 || b == 8 || b == 16)) {
            s->song.num = a;
            s->song.den = b;
        }
    }
    /* --soundfont, then $REEL_SOUNDFONT (soundfont.h), then the last one used */
    if (!s->sf_opt[0] && !(getenv("REEL_SOUNDFONT") && *getenv("REEL_SOUNDFONT")) &&
        (v = settings_get(&s->settings, "soundfont")) != NULL && *v) {
        struct stat st;
        if (stat(v, &st) == 0)
            snprintf(s->sf_opt, sizeof s->sf_opt, "%s", v);
    }
    if (!s->model_path[0] && (v = settings_get(&s->settings, "model")) != NULL && *v) {
        struct stat st;
        if (stat(v, &st) == 0)
            snprintf(s->model_path, sizeof s->model_path, "%s", v);
    }
    if (!s->corpus_dir[0] && (v = settings_get(&s->settings, "corpus")) != NULL && *v)
        snprintf(s->corpus_dir, sizeof s->corpus_dir, "%s", v);
}

static void save_settings(Studio *s)
{
    ReelError err;
    char buf[32];
    Settings *t = &s->settings;
    settings_set_num(t, "temperature", s->so.temperature);
    settings_set_num(t, "top_k", s->so.top_k);
    settings_set_num(t, "top_p", s->so.top_p);
    settings_set_num(t, "tempo", s->song.bpm);
    snprintf(buf, sizeof buf, "%d/%d", s->song.num, s->song.den);
    settings_set(t, "meter", buf);
    settings_set_num(t, "bars", s->bars);
    settings_set_num(t, "octave", s->octave);
    settings_set_num(t, "length", s->length);
    settings_set_num(t, "quantize", s->quantize);
    settings_set_num(t, "seed_bars", s->seed_bars);
    settings_set_num(t, "zoom", s->zoom);
    settings_set_num(t, "metronome", s->metronome);
    settings_set_num(t, "loop", s->loop);
    settings_set_num(t, "continuous", s->continuous);
    settings_set_num(t, "program", s->snd.program);
    if (s->snd.soundfont[0])
        settings_set(t, "soundfont", s->snd.soundfont);
    if (s->have_model && s->model_path[0]) {
        char abs[4096];
        settings_set(t, "model", realpath(s->model_path, abs) ? abs : s->model_path);
    }
    tv_save_settings(s);
    if (settings_save(t, s->settings_file, &err))
        fprintf(stderr, "reel studio: settings not saved: %s\n", err.msg);
}

/* ---- commands (:) ------------------------------------------------------------------ */

static void set_program(Studio *s, const char *arg)
{
    int p = studio_program_parse(arg);
    char name[64];
    if (p < 0) {
        studio_status(s, 2, "'%s' is not a GM program: 1..128 or a name (violin, flute, piano, "
                            "accordion, whistle ...)", arg);
        return;
    }
    snd_set_program(&s->snd, p);
    if (!(s->snd.synth && audio_synth_preset_name(s->snd.synth, 0, p, name, sizeof name)))
        studio_program_name(p, name, sizeof name);
    studio_status(s, 1, "instrument: %s (GM %d)", name, p + 1);
    s->dirty |= DIRTY_HEADER;
}

static void command(Studio *s, const char *line)
{
    char word[64] = "", *arg;
    char buf[PROMPT_MAX];
    double x;
    ReelError err;
    snprintf(buf, sizeof buf, "%s", line);
    arg = buf;
    while (*arg == ' ' || *arg == ':')
        arg++;
    {
        size_t k = 0;
        while (*arg && *arg != ' ' && k + 1 < sizeof word)
            word[k++] = *arg++;
        word[k] = '\0';
    }
    while (*arg == ' ')
        arg++;
    if (!word[0])
        return;
    if (!strcmp(word, "tempo") || !strcmp(word, "bpm")) {
        if (!num_double(arg, 20, 400, &x)) {
            studio_status(s, 2, "tempo needs 20..400 quarter notes a minute");
            return;
        }
        s->song.bpm = x;
        if (s->snd_ok)
            player_set_bpm(s->snd.p, x);
        studio_status(s, 1, "tempo %.0f", x);
    } else if (!strcmp(word, "meter") || !strcmp(word, "time")) {
        int a, b;
        if (sscanf(arg, "%d/%d", &a, &b) != 2 || a < 1 || a > 32 ||
            (b != 2 && b != 4 && b != 8 && b != 16)) {
            studio_status(s, 2, "meter needs N/D: 4/4, 3/4, 6/8, 2/2 ...");
            return;
        }
        s->song.num = a;
        s->song.den = b;
        s->song.version++;
        studio_status(s, 1, "meter %d/%d", a, b);
    } else if (!strcmp(word, "bars")) {
        if (!num_double(arg, 1, 256, &x)) {
            studio_status(s, 2, "bars needs 1..256");
            return;
        }
        s->bars = (int)x;
        studio_status(s, 1, "g generates %d bar%s", s->bars, s->bars == 1 ? "" : "s");
    } else if (!strcmp(word, "seed")) {
        if (!strcmp(arg, "random") || !*arg) {
            s->seed_locked = false;
            studio_status(s, 1, "a new random seed for every take");
        } else if (num_double(arg, 0, 1e15, &x)) {
            s->seed = (uint64_t)x;
            s->seed_locked = true;
            studio_status(s, 1, "seed %" PRIu64 " for every take (:seed random frees it)",
                          s->seed);
        } else {
            studio_status(s, 2, "seed needs a whole number, or 'random'");
            return;
        }
    } else if (!strcmp(word, "temp") || !strcmp(word, "temperature") || !strcmp(word, "t")) {
        char what[64];
        if (!num_double(arg, 0.05, 5, &x)) {
            studio_status(s, 2, "temperature needs 0.05..5");
            return;
        }
        s->so.temperature = (float)x;
        snprintf(what, sizeof what, "temperature %.2f", x);
        options_changed(s, what);
    } else if (!strcmp(word, "topk") || !strcmp(word, "top-k")) {
        if (!num_double(arg, 0, 100000, &x)) {
            studio_status(s, 2, "top-k needs a whole number (0: off)");
            return;
        }
        s->so.top_k = (int)x;
        options_changed(s, "top-k");
    } else if (!strcmp(word, "topp") || !strcmp(word, "top-p")) {
        if (!num_double(arg, 0.01, 1, &x)) {
            studio_status(s, 2, "top-p needs 0.01..1 (1: off)");
            return;
        }
        s->so.top_p = (float)x;
        options_changed(s, "top-p");
    } else if (!strcmp(word, "notes")) {
        Tune t;
        if (gen_parse_notes(arg, &t, &err)) {
            studio_status(s, 2, "%s", err.msg);
            return;
        }
        song_set_seed(&s->song, t.notes, t.n_notes, t.n_steps, &err);
        tune_free(&t);
        draw_follow(s, s->song.cur.cursor);
        studio_status(s, 1, "seed: %d notes, %d steps (g generates)", (int)s->song.cur.n_seed,
                      (int)s->song.cur.seed_end);
    } else if (!strcmp(word, "program") || !strcmp(word, "instrument")) {
        set_program(s, arg);
    } else if (!strcmp(word, "soundfont") || !strcmp(word, "sf")) {
        if (snd_set_soundfont(&s->snd, arg, &err))
            studio_status(s, 2, "%s", err.msg);
        else
            studio_status(s, 0, "loading %s ...", arg);
    } else if (!strcmp(word, "audio")) {
        if (!s->snd_ok)
            studio_status(s, 2, "no audio engine");
        else if (s->snd.has_output)
            studio_status(s, 0, "audio output: %s", s->snd.device);
        else if (snd_reopen(&s->snd, &err))
            studio_status(s, 2, "still no audio output: %s", err.msg);
        else
            studio_status(s, 1, "audio output back: %s", s->snd.device);
    } else if (!strcmp(word, "gain")) {
        if (!num_double(arg, 0.01, 10, &x)) {
            studio_status(s, 2, "gain needs 0.01..10");
            return;
        }
        if (s->snd_ok)
            player_set_gain(s->snd.p, (float)x);
        studio_status(s, 1, "gain %.2f", x);
    } else if (!strcmp(word, "quantize") || !strcmp(word, "q")) {
        int v = (int)strtol(arg, NULL, 10);
        int steps = v == 16 ? 1 : v == 8 ? 2 : v == 4 ? 4 : v == 2 ? 8 : v == 1 ? 16 : 0;
        if (!steps) {
            studio_status(s, 2, "quantize needs a note value: 16, 8, 4, 2 or 1");
            return;
        }
        s->quantize = steps;
        studio_status(s, 1, "record mode quantizes to 1/%d notes", v);
    } else if (!strcmp(word, "seedbars")) {
        if (!num_double(arg, 1, 256, &x)) {
            studio_status(s, 2, "seedbars needs 1..256");
            return;
        }
        s->seed_bars = (int)x;
        studio_status(s, 1, "opening a file takes its first %d bars as the seed", s->seed_bars);
    } else if (!strcmp(word, "octave")) {
        if (!num_double(arg, 0, 8, &x)) {
            studio_status(s, 2, "octave needs 0..8 (4: z is middle C)");
            return;
        }
        s->octave = (int)x;
    } else if (!strcmp(word, "open") || !strcmp(word, "o") || !strcmp(word, "e")) {
        files_open(s, arg);
    } else if (!strcmp(word, "model")) {
        studio_open_model(s, arg);
    } else if (!strcmp(word, "save") || !strcmp(word, "w")) {
        files_save(s, arg);
    } else if (!strcmp(word, "clear")) {
        studio_stop(s);
        song_clear(&s->song);
        studio_status(s, 0, "cleared (u undoes)");
    } else if (!strcmp(word, "help")) {
        s->help = true;
        s->help_scroll = 0;
    } else if (!strcmp(word, "quit") || !strcmp(word, "q!")) {
        s->quit = true;
    } else {
        studio_status(s, 2, "unknown command '%s' (? lists them)", word);
        return;
    }
    s->dirty = DIRTY_ALL;
}

/* ---- prompts ------------------------------------------------------------------------ */

static void ask(Studio *s, PromptPurpose purpose, const char *label, const char *text, bool paths)
{
    prompt_begin(&s->prompt, label, text, paths, purpose);
    s->hist[purpose].at = s->hist[purpose].n;
    s->prompting = true;
    s->dirty |= DIRTY_STATUS;
}

static bool unsaved(const Studio *s)
{
    return s->song.dirty && !song_empty(&s->song);
}

static void ask_quit(Studio *s)
{
    if (trainer_active(&s->tr)) {
        ask(s, PR_QUIT, "Training is running: stop it (a checkpoint is written) and quit? (y/n) ",
            "", false);
        return;
    }
    if (unsaved(s)) {
        ask(s, PR_QUIT, "The melody is not saved: quit and lose it? (y/n, s saves) ", "", false);
        return;
    }
    s->quit = true;
}

static void prompt_done(Studio *s, PromptResult r)
{
    Prompt *p = &s->prompt;
    s->prompting = false;
    s->dirty |= DIRTY_STATUS;
    if (r == PROMPT_CANCEL) {
        studio_status(s, 0, "cancelled");
        return;
    }
    switch ((PromptPurpose)p->purpose) {
    case PR_SAVE:
        if (p->text[0])
            files_save(s, p->text);
        break;
    case PR_OPEN:
        if (p->text[0])
            files_open(s, p->text);
        break;
    case PR_PROGRAM:
        if (p->text[0])
            set_program(s, p->text);
        break;
    case PR_COMMAND:
        command(s, p->text);
        break;
    case PR_TRAIN_FIELD:
        tv_field_text(s, p->text);
        break;
    default:
        break;
    }
}

static void prompt_key_in(Studio *s, int ch)
{
    PromptResult r;
    if (s->prompt.purpose == PR_QUIT) {
        s->prompting = false;
        s->dirty |= DIRTY_STATUS;
        if (ch == 'y' || ch == 'Y') {
            s->quit = true;
        } else if (ch == 's' || ch == 'S') {
            ask(s, PR_SAVE, "Save as (.mid .abc .wav): ",
                s->last_save[0] ? s->last_save : "melody.mid", true);
        } else {
            studio_status(s, 0, "not quitting");
        }
        return;
    }
    r = prompt_key(&s->prompt, ch, &s->hist[s->prompt.purpose]);
    if (r != PROMPT_EDITING)
        prompt_done(s, r);
    s->dirty |= DIRTY_STATUS;
}

/* ---- keys --------------------------------------------------------------------------- */

/* Top-k from fewest choices to all of them (0: off, the top of the ladder). */
static const int topk_steps[] = {1, 2, 3, 4, 5, 8, 10, 12, 16, 20, 30, 40, 60, 100, 0};

/* The next top-k up (more choices) or down (fewer); a value set with :topk
 * between two steps goes to the neighbour on that side. */
static void step_topk(Studio *s, int dir)
{
    int n = (int)(sizeof topk_steps / sizeof topk_steps[0]), i;
    long k = s->so.top_k > 0 ? s->so.top_k : 1L << 30;
#define RANK(j) (topk_steps[j] > 0 ? (long)topk_steps[j] : 1L << 30)
    if (dir > 0) {
        for (i = 0; i < n - 1 && RANK(i) <= k; i++)
            ;
    } else {
        for (i = n - 1; i > 0 && RANK(i) >= k; i--)
            ;
    }
#undef RANK
    s->so.top_k = topk_steps[i];
}

static void studio_action(Studio *s, Action a, int ch)
{
    char what[96], val[16];
    switch (a) {
    case ACT_NOTE:
        type_note(s, ch);
        break;
    case ACT_REST:
        type_rest(s);
        break;
    case ACT_QUIT:
        ask_quit(s);
        break;
    case ACT_HELP:
        s->help = true;
        s->help_scroll = 0;
        break;
    case ACT_REDRAW:
        clearok(curscr, TRUE);
        s->dirty = DIRTY_ALL;
        break;
    case ACT_PLAY:
        if (s->recording || s->counting_in) {
            finish_recording(s);
        } else if (s->playing) {
            studio_stop(s);
            studio_status(s, 0, "stopped");
        } else {
            double from = s->song.cur.cursor;
            if (song_empty(&s->song)) {
                studio_status(s, 0, "nothing to play yet: type a seed (Tab for the piano), "
                                    "then g");
                break;
            }
            if (from >= song_end(&s->song))
                from = 0;
            s->sample_playing = false;
            studio_play(s, from);
        }
        break;
    case ACT_GENERATE:
        take_start(s, true);
        break;
    case ACT_NEWTAKE:
        take_redraw(s);
        break;
    case ACT_KEEP:
        if (!song_has_gen(&s->song)) {
            studio_status(s, 0, "no generated notes to keep");
            break;
        }
        song_keep(&s->song);
        studio_status(s, 1, "kept: the generated notes are part of the seed now (g continues "
                            "from the end)");
        break;
    case ACT_DISCARD:
        if (!song_has_gen(&s->song)) {
            studio_status(s, 0, "no generated notes to discard");
            break;
        }
        if (s->playing)
            studio_stop(s);
        song_discard(&s->song);
        studio_status(s, 0, "generated notes discarded (u undoes)");
        break;
    case ACT_CONTINUOUS:
        s->continuous = !s->continuous;
        if (s->continuous && s->playing && studio_take_live(s))
            gc_set_target(&s->gc, continuous_target(s, s->playhead));
        if (s->snd_ok)
            player_set_loop(s->snd.p, s->loop && !s->continuous, 0, 0);
        studio_status(s, 0, "continuous %s%s", s->continuous ? "on" : "off",
                      s->continuous && !s->playing ? ": g starts it" : "");
        break;
    case ACT_LOOP:
        s->loop = !s->loop;
        if (s->snd_ok)
            player_set_loop(s->snd.p, s->loop && !s->continuous, 0, 0);
        studio_status(s, 0, "loop %s%s", s->loop ? "on" : "off",
                      s->loop && s->continuous ? " (not while continuous)" : "");
        break;
    case ACT_METRONOME:
        s->metronome = !s->metronome;
        if (s->snd_ok && !s->recording)
            player_set_metronome(s->snd.p, s->metronome);
        studio_status(s, 0, "metronome %s", s->metronome ? "on" : "off");
        break;
    case ACT_RECORD:
        if (s->recording || s->counting_in)
            finish_recording(s);
        else
            start_recording(s);
        break;
    case ACT_TEMP_DOWN:
    case ACT_TEMP_UP: {
        double t = s->so.temperature, d = t < 0.5 ? 0.05 : t < 2 ? 0.1 : 0.25;
        t = a == ACT_TEMP_UP ? t + d : t - d;
        t = floor(t * 100 + 0.5) / 100;
        if (t < 0.05)
            t = 0.05;
        if (t > 5)
            t = 5;
        s->so.temperature = (float)t;
        snprintf(what, sizeof what, "temperature %.2f", t);
        options_changed(s, what);
        break;
    }
    case ACT_TOPK_DOWN:
    case ACT_TOPK_UP:
        step_topk(s, a == ACT_TOPK_UP ? 1 : -1);
        if (s->so.top_k)
            snprintf(what, sizeof what, "top-k %d", s->so.top_k);
        else
            snprintf(what, sizeof what, "top-k off");
        options_changed(s, what);
        break;
    case ACT_TOPP_DOWN:
    case ACT_TOPP_UP: {
        double p = s->so.top_p + (a == ACT_TOPP_UP ? 0.05 : -0.05);
        p = floor(p * 100 + 0.5) / 100;
        if (p < 0.05)
            p = 0.05;
        if (p > 1)
            p = 1;
        s->so.top_p = (float)p;
        if (p < 1)
            snprintf(what, sizeof what, "top-p %.2f", p);
        else
            snprintf(what, sizeof what, "top-p off");
        options_changed(s, what);
        break;
    }
    case ACT_RESEED:
        s->seed = fresh_seed();
        s->seed_locked = true;
        studio_status(s, 0, "seed %" PRIu64 " for the next takes (:seed random: a new one each "
                            "time)", s->seed);
        break;
    case ACT_OCT_DOWN:
        if (s->octave > 0)
            s->octave--;
        studio_status(s, 0, "octave %d: z is C%d", s->octave, s->octave);
        break;
    case ACT_OCT_UP:
        if (s->octave < 8)
            s->octave++;
        studio_status(s, 0, "octave %d: z is C%d", s->octave, s->octave);
        break;
    case ACT_LEN_SET:
        s->length = keys_length_digit(ch);
        studio_status(s, 0, "note value %s", keys_value_name(s->length, val, sizeof val));
        break;
    case ACT_LEN_LONGER:
        s->length = keys_value_longer(s->length);
        studio_status(s, 0, "note value %s", keys_value_name(s->length, val, sizeof val));
        break;
    case ACT_LEN_SHORTER:
        s->length = keys_value_shorter(s->length);
        studio_status(s, 0, "note value %s", keys_value_name(s->length, val, sizeof val));
        break;
    case ACT_DOTTED:
        s->length = keys_value_dot(s->length);
        studio_status(s, 0, "note value %s", keys_value_name(s->length, val, sizeof val));
        break;
    case ACT_UNDO:
        if (s->recording || s->counting_in)
            break;
        if (song_undo(&s->song)) {
            draw_follow(s, s->song.cur.cursor);
            studio_status(s, 0, "undone (Ctrl-R redoes)");
        } else {
            studio_status(s, 0, "nothing to undo");
        }
        break;
    case ACT_REDO:
        if (song_redo(&s->song)) {
            draw_follow(s, s->song.cur.cursor);
            studio_status(s, 0, "redone");
        } else {
            studio_status(s, 0, "nothing to redo");
        }
        break;
    case ACT_DELETE:
        if (!song_delete_at_cursor(&s->song))
            studio_status(s, 0, "no seed note at the cursor");
        break;
    case ACT_LEFT:
        move_cursor(s, s->song.cur.cursor - (s->zoom == 2 ? 2 : 1));
        break;
    case ACT_RIGHT:
        move_cursor(s, s->song.cur.cursor + (s->zoom == 2 ? 2 : 1));
        break;
    case ACT_BAR_LEFT: {
        int32_t c = s->song.cur.cursor, f = song_bar_floor(&s->song, c);
        move_cursor(s, f < c ? f : song_bar_floor(&s->song, c - 1));
        break;
    }
    case ACT_BAR_RIGHT:
        move_cursor(s, song_bar_floor(&s->song, s->song.cur.cursor) + song_bar_steps(&s->song));
        break;
    case ACT_HOME:
        move_cursor(s, 0);
        break;
    case ACT_END:
        move_cursor(s, song_end(&s->song));
        break;
    case ACT_PITCH_UP:
    case ACT_PITCH_DOWN: {
        int rows = draw_roll_rows(s), top = s->pitch_top;
        if (top < 0)
            top = 84;
        top += (a == ACT_PITCH_UP ? 1 : -1) * (rows > 13 ? rows / 2 : 6);
        if (top > 127)
            top = 127;
        if (top < rows - 1)
            top = rows - 1;
        s->pitch_top = top;
        s->pitch_manual = true;
        break;
    }
    case ACT_ZOOM: {
        static const char *const names[] = {"1 column a step", "2 columns a step",
                                            "2 steps a column"};
        s->zoom = (s->zoom + 1) % 3;
        draw_follow(s, s->playing ? s->playhead : s->song.cur.cursor);
        studio_status(s, 0, "zoom: %s", names[s->zoom]);
        break;
    }
    case ACT_SAVE:
        ask(s, PR_SAVE, "Save as (.mid .abc .wav): ", s->last_save[0] ? s->last_save : "melody.mid",
            true);
        break;
    case ACT_OPEN:
        ask(s, PR_OPEN, "Open (.reel model, .mid/.abc seed): ", "", true);
        break;
    case ACT_PROGRAM: {
        char name[64];
        ask(s, PR_PROGRAM, "Instrument (GM 1-128 or a name): ",
            studio_program_name(s->snd.program, name, sizeof name), false);
        break;
    }
    case ACT_COMMAND:
        ask(s, PR_COMMAND, ":", "", false);
        break;
    case ACT_PIANO_ON:
        s->piano = true;
        studio_status(s, 0, "piano: z s x d c ... and q 2 w 3 e ... play notes; Esc for commands");
        break;
    case ACT_PIANO_TOGGLE:
        s->piano = !s->piano;
        studio_status(s, 0, s->piano ? "piano: z s x d c ... and q 2 w 3 e ... play notes; Esc "
                                       "or Tab for commands"
                                     : "commands (Tab: piano)");
        break;
    case ACT_ESCAPE:
        if (s->recording || s->counting_in)
            finish_recording(s);
        else if (s->piano) {
            s->piano = false;
            studio_status(s, 0, "commands (Tab: piano)");
        }
        break;
    case ACT_VIEW_TRAIN:
        s->view = VIEW_TRAIN;
        s->piano = false;
        clear();
        break;
    default:
        break;
    }
    s->dirty |= DIRTY_ALL;
}

static void handle_key(Studio *s, int ch)
{
    Action a;
    if (ch == KEY_RESIZE) {
        s->dirty = DIRTY_ALL;
        return;
    }
    if (ch == KEY_MOUSE)
        return;
    if (s->prompting) {
        prompt_key_in(s, ch);
        return;
    }
    if (s->help) {
        int n = 0;
        keys_help(s->view == VIEW_TRAIN ? KEYS_TRAIN : KEYS_STUDIO, &n);
        if (ch == KEY_DOWN || ch == 'j')
            s->help_scroll++;
        else if (ch == KEY_UP || ch == 'k')
            s->help_scroll--;
        else if (ch == KEY_NPAGE || ch == ' ')
            s->help_scroll += 10;
        else if (ch == KEY_PPAGE)
            s->help_scroll -= 10;
        else
            s->help = false;
        if (s->help_scroll < 0)
            s->help_scroll = 0;
        if (s->help_scroll > 4 * n)
            s->help_scroll = 4 * n; /* draw_help keeps it within the lines */
        s->dirty = DIRTY_ALL;
        return;
    }
    if (s->too_small) {
        if (ch == 'q' || ch == 'Q')
            ask_quit(s);
        return;
    }
    if (s->view == VIEW_TRAIN) {
        a = keys_action(ch, KEYS_TRAIN, false);
        if (a == ACT_QUIT)
            ask_quit(s);
        else if (a == ACT_HELP) {
            s->help = true;
            s->help_scroll = 0;
        } else if (a == ACT_PLAY) {
            if (s->playing)
                studio_stop(s);
            else if (s->sample_playing)
                studio_play(s, 0);
        } else if (a == ACT_TEMP_DOWN || a == ACT_TEMP_UP) {
            studio_action(s, a, ch);
        } else if (a == ACT_REDRAW) {
            clearok(curscr, TRUE);
        } else {
            tv_action(s, a);
        }
        s->dirty = DIRTY_ALL;
        return;
    }
    a = keys_action(ch, KEYS_STUDIO, s->piano);
    if (a != ACT_NONE)
        studio_action(s, a, ch);
}

/* ---- what is due ---------------------------------------------------------------------- */

static void poll_player(Studio *s)
{
    PlayerStatus st;
    if (!s->snd_ok || !s->playing)
        return;
    st = player_status(s->snd.p);
    /* This play's own origin (the engine keeps the last start's; a poll
     * right after play could still see the one before). */
    if (s->stats.play_origin == UINT64_MAX && st.started)
        s->stats.play_origin = st.origin;
    if (!st.playing) {
        s->playing = false;
        if (s->recording)
            finish_recording(s);
        else if (!s->sample_playing)
            studio_status(s, 0, "played to the end");
        s->dirty |= DIRTY_ALL;
        return;
    }
    if ((int64_t)floor(st.step) != (int64_t)floor(s->playhead)) {
        s->dirty |= DIRTY_ROLL | DIRTY_PANEL | DIRTY_HEADER;
        if (!s->sample_playing)
            draw_follow(s, st.step);
    }
    s->playhead = st.step;
}

/* What is due; keyed: a key came in this turn (its answer is drawn before
 * the model makes more rows). */
static void tick(Studio *s, double now, bool keyed)
{
    char msg[400];
    bool is_error;
    if (s->snd_ok) {
        if (snd_poll(&s->snd)) {
            if (s->snd.error[0])
                studio_status(s, 2, "%s", s->snd.error);
            else
                studio_status(s, 1, "soundfont %s ready (%s)", s->snd.sf_name, s->snd.device);
            s->dirty |= DIRTY_HEADER;
        }
        while (snd_next_message(&s->snd, msg, sizeof msg, &is_error))
            studio_status(s, is_error ? 2 : 0, "%s", msg);
        if (snd_check(&s->snd, s->playing, msg, sizeof msg)) {
            studio_status(s, 2, "audio output lost: %s; the studio goes on silently "
                                "(:audio tries the device again)", msg);
            s->dirty |= DIRTY_HEADER;
        }
        snd_tick(&s->snd, now);
    }
    watch_tick(s, now);
    if (s->counting_in) {
        while (s->counting_in && s->count_done < s->count_beats &&
               now >= s->count_t0 + s->count_done * s->count_beat) {
            snd_click(&s->snd, s->count_done == 0);
            s->count_done++;
            s->dirty |= DIRTY_FOOTER | DIRTY_HEADER;
        }
        if (s->counting_in && now >= s->count_t0 + s->count_beats * s->count_beat) {
            s->counting_in = false;
            s->recording = true;
            studio_play(s, s->rec.start);
        }
    }
    poll_player(s);
    if (s->continuous && s->playing && studio_take_live(s) && !s->sample_playing) {
        int32_t want = continuous_target(s, s->playhead);
        if (want > s->gc.target)
            gc_set_target(&s->gc, want);
        gc_forget_before(&s->gc, (int32_t)s->playhead - 4 * song_bar_steps(&s->song));
    }
    if (studio_take_live(s) && gc_pending(&s->gc) && !keyed)
        take_pump(s, GEN_SLICE_SEC);
    else if (s->generating) {
        s->generating = false;
        s->dirty |= DIRTY_HEADER;
    }
    if (s->play_pending && (!studio_take_live(s) || !gc_pending(&s->gc) ||
                            (s->continuous && gc_time(&s->gc) > s->play_pending_from +
                                                                   song_bar_steps(&s->song)))) {
        s->play_pending = false;
        if (studio_take_live(s))
            studio_play(s, s->play_pending_from);
    }
    studio_sync_player(s);
    if (tv_poll(s))
        s->dirty |= s->view == VIEW_TRAIN ? DIRTY_ALL : DIRTY_HEADER;
    files_poll(s);
    if (cix_poll(&s->cix)) {
        s->mm_ok = false;
        s->dirty |= DIRTY_PANEL;
    }
    if (s->status_until > 0 && now >= s->status_until) {
        s->status[0] = '\0';
        s->status_until = 0;
        s->dirty |= DIRTY_STATUS;
    }
}

/* Milliseconds until something is due; -1: nothing (wait for a key). */
static int next_timeout(Studio *s, double now)
{
    double t = -1;
#define DUE(x)                                                                                \
    do {                                                                                       \
        double d_ = (x);                                                                       \
        if (d_ < 0)                                                                            \
            d_ = 0;                                                                            \
        if (t < 0 || d_ < t)                                                                   \
            t = d_;                                                                            \
    } while (0)
    if (studio_take_live(s) && gc_pending(&s->gc))
        return 0;
    if (s->playing) {
        double sec = studio_step_sec(s) / (s->zoom == 1 ? 2 : 1);
        double frac = s->playhead - floor(s->playhead);
        double d = (1 - frac) * sec;
        DUE(d < FRAME_MIN_SEC ? FRAME_MIN_SEC : d > 0.1 ? 0.1 : d);
    }
    if (s->counting_in)
        DUE(s->count_t0 + s->count_done * s->count_beat - now);
    if (s->snd_ok) {
        double off = -1;
        for (int i = 0; i < SND_PREVIEW_MAX; i++)
            if (s->snd.pv[i].pitch >= 0 && (off < 0 || s->snd.pv[i].off_at < off))
                off = s->snd.pv[i].off_at;
        if (off >= 0)
            DUE(off - now);
        if (s->snd.loading)
            DUE(0.02);
    }
    if (s->status_until > 0)
        DUE(s->status_until - now);
    if (trainer_active(&s->tr) && s->view == VIEW_TRAIN)
        DUE(1.0); /* the clock and ETA on the training view */
    if (s->th.want_sample || s->th.want_use)
        DUE(0.25);
    if (mw.pending)
        DUE(mw.due - now);
    else if (mw.path[0] && (mw.fd < 0 || mw.wd < 0))
        DUE(WATCH_STAT_SEC);
#undef DUE
    if (t < 0)
        return -1;
    return (int)ceil(t * 1000);
}

static void write_stats(Studio *s)
{
    FILE *f;
    double p95 = 0;
    int n = (int)(s->stats.keys < 4096 ? s->stats.keys : 4096);
    AudioStats as;
    if (!s->stats_file[0] || !(f = fopen(s->stats_file, "w")))
        return;
    if (n > 0) {
        double *v = malloc((size_t)n * sizeof *v);
        if (v) {
            memcpy(v, s->stats.key_ms, (size_t)n * sizeof *v);
            for (int i = 1; i < n; i++) /* insertion sort: a few thousand at most */
                for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
                    double x = v[j];
                    v[j] = v[j - 1];
                    v[j - 1] = x;
                }
            p95 = v[(int)floor(0.95 * (n - 1))];
            free(v);
        }
    }
    fprintf(f, "keys %" PRIu64 "\n", s->stats.keys);
    fprintf(f, "key_ms_mean %.3f\n", s->stats.keys ? s->stats.key_ms_sum / (double)s->stats.keys
                                                   : 0.0);
    fprintf(f, "key_ms_p95 %.3f\n", p95);
    fprintf(f, "key_ms_max %.3f\n", s->stats.key_ms_max);
    fprintf(f, "frames %" PRIu64 "\n", s->stats.frames);
    fprintf(f, "wakeups %" PRIu64 "\n", s->stats.wakeups);
    if (s->snd_ok) {
        audio_engine_stats(s->snd.e, &as);
        fprintf(f, "audio_output %d\n", s->snd.has_output ? 1 : 0);
        fprintf(f, "audio_callbacks %" PRIu64 "\n", as.callbacks);
        fprintf(f, "audio_underruns %" PRIu64 "\n", as.underruns);
        fprintf(f, "audio_late_events %" PRIu64 "\n", as.late_events);
        fprintf(f, "audio_callback_max_ms %.3f\n", as.max_ms);
        fprintf(f, "audio_max_voices %d\n", as.max_voices);
        fprintf(f, "audio_unpaced %d\n", as.unpaced ? 1 : 0);
        fprintf(f, "audio_device %s\n", s->snd.device);
        /* after the quit path's silence: every voice ended or cut */
        fprintf(f, "audio_voices_at_exit %d\n", audio_engine_voices(s->snd.e));
    }
    if (s->stats.play_origin != UINT64_MAX && s->stats.play_rate > 0)
        fprintf(f, "play origin %" PRIu64 " rate %d bpm %.3f from %.3f\n", s->stats.play_origin,
                s->stats.play_rate, s->stats.play_bpm, s->stats.play_from);
    fclose(f);
}

static void run_loop(Studio *s)
{
    struct pollfd fds[3];
    fds[0].fd = STDIN_FILENO;
    fds[0].events = POLLIN;
    fds[1].fd = s->wake[0];
    fds[1].events = POLLIN;
    fds[2].events = POLLIN;
    for (;;) {
        double t_wake = now_sec(), now;
        bool had_key = false;
        int ch, timeout;
        char junk[256];
        s->stats.wakeups++;
        while (read(s->wake[0], junk, sizeof junk) > 0)
            ;
        if (term_signalled()) {
            s->quit = s->quit_now = true;
            break;
        }
        while (!s->quit && (ch = getch()) != ERR) {
            had_key = had_key || ch != KEY_RESIZE;
            handle_key(s, ch);
        }
        if (s->quit)
            break;
        now = now_sec();
        tick(s, now, had_key);
        if (s->dirty) {
            draw_screen(s);
            s->stats.frames++;
        }
        if (had_key) {
            double ms = (now_sec() - t_wake) * 1000;
            s->stats.key_ms[s->stats.keys % 4096] = ms;
            s->stats.keys++;
            s->stats.key_ms_sum += ms;
            if (ms > s->stats.key_ms_max)
                s->stats.key_ms_max = ms;
        }
        timeout = next_timeout(s, now_sec());
        fds[2].fd = mw.fd; /* the model's folder (negative: none) */
        if (poll(fds, 3, timeout) < 0 && errno != EINTR)
            break;
        if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
            /* The terminal went away (its window was closed): leave as after
             * a signal, without questions; the training writes its checkpoint. */
            s->quit = s->quit_now = true;
            break;
        }
    }
}

/* The melody, after a signal: $XDG_STATE_HOME/reel/unsaved-DATE-TIME.mid
 * (path written to out, "" when it could not be saved). */
static void rescue_melody(Studio *s, char *out, size_t size)
{
    char dir[4096], path[4300], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    out[0] = '\0';
    settings_state_dir(dir, sizeof dir);
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(path, sizeof path, "%s/unsaved-%s.mid", dir, stamp);
    files_save(s, path);
    if (!s->song.dirty)
        snprintf(out, size, "%s", path);
}

/* ---- the command ------------------------------------------------------------------------ */

static void studio_usage(FILE *f)
{
    fprintf(f,
        "usage: reel studio [--model M.reel] [--soundfont F.sf2] [--corpus DIR]\n"
        "       reel            (on a terminal: the same)\n"
        "\n"
        "The studio: type a seed melody on the computer keyboard, let a model continue\n"
        "it, listen while you change the temperature, save MIDI, ABC or WAV, and train\n"
        "models with the loss drawn live.  ? inside shows every key.\n"
        "\n"
        "options:\n"
        "  -m, --model FILE      the model to play with (default: the last one used, else\n"
        "                        %s from the shared models folder)\n"
        "  --soundfont FILE      the soundfont (default: $REEL_SOUNDFONT, the last one used,\n"
        "                        soundfonts/, the system's GM soundfont)\n"
        "  --corpus DIR          MIDI/ABC files the training view trains on\n"
        "  --ascii               no Unicode block or braille glyphs\n"
        "  -h, --help            this text\n"
        "\n"
        "Settings (soundfont, instrument, tempo, temperature, last model, training\n"
        "choices) are kept in $XDG_CONFIG_HOME/reel/studio.conf.  Without an audio\n"
        "device the studio runs silent and says \"no audio output\"; saving WAV works.\n"
        "\n"
        "environment: REEL_SOUNDFONT (see reel play --help); REEL_STUDIO_STATS=FILE writes\n"
        "figures at exit (key-to-screen times, frames drawn, audio callbacks, where the\n"
        "last play started) for tests and benchmarks.\n"
        "\n"
        "Exit status: 0 after q, 1 when the studio cannot start (no terminal), 2 bad usage,\n"
        "128 + the signal after one: 130 Ctrl-C (SIGINT), 143 SIGTERM, 129 SIGHUP or the\n"
        "terminal going away; an unsaved melody is then kept in\n"
        "$XDG_STATE_HOME/reel/unsaved-DATE-TIME.mid.  Sound that is playing is faded out\n"
        "first; on a crash the terminal is restored and the sound silenced.  A device\n"
        "that goes away leaves the studio silent (:audio tries it again); a model file\n"
        "replaced on disk is reloaded, or named on the status line when it is damaged.\n",
        DEFAULT_MODEL);
}

static void studio_free(Studio *s)
{
    files_wait(s);
    term_set_crash_audio(NULL);
    if (s->snd_ok)
        snd_close(&s->snd);
    s->snd_ok = false;
    trainer_free(&s->tr);
    tv_free(s);
    cix_free(&s->cix);
    if (s->gc_ok)
        gc_free(&s->gc);
    if (s->have_model)
        model_free(&s->model);
    rec_free(&s->rec);
    song_free(&s->song);
    settings_free(&s->settings);
    if (s->wake[0] >= 0)
        close(s->wake[0]);
    if (s->wake[1] >= 0)
        close(s->wake[1]);
}

int cmd_studio(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'}, {"soundfont", required_argument, NULL, 'S'},
        {"corpus", required_argument, NULL, 'C'}, {"ascii", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    Studio *s;
    ReelError err;
    char msg[600];
    int ch, rc = 0;
    bool ascii = false;
    const char *env;

    if (!(s = calloc(1, sizeof *s))) {
        fprintf(stderr, "reel studio: out of memory\n");
        return 1;
    }
    s->wake[0] = s->wake[1] = -1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm': snprintf(s->model_path, sizeof s->model_path, "%s", optarg); break;
        case 'S': snprintf(s->sf_opt, sizeof s->sf_opt, "%s", optarg); break;
        case 'C': snprintf(s->corpus_dir, sizeof s->corpus_dir, "%s", optarg); break;
        case 'A': ascii = true; break;
        case 'h': studio_usage(stdout); free(s); return 0;
        default: studio_usage(stderr); free(s); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "reel studio: unexpected argument '%s'\n", argv[optind]);
        studio_usage(stderr);
        free(s);
        return 2;
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "reel studio: the studio needs a terminal (stdin and stdout); the "
                        "commands (reel --help) work without one\n");
        free(s);
        return 1;
    }
    if ((env = getenv("REEL_STUDIO_STATS")) != NULL)
        snprintf(s->stats_file, sizeof s->stats_file, "%s", env);

    /* The state, before the screen: what fails here is said on stderr. */
    song_init(&s->song);
    settings_init(&s->settings);
    s->so = sample_defaults();
    s->seed = fresh_seed();
    s->pitch_top = -1;
    s->stats.play_origin = UINT64_MAX;
    load_settings(s);
    if (pipe(s->wake) != 0) {
        fprintf(stderr, "reel studio: %s\n", strerror(errno));
        studio_free(s);
        free(s);
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(s->wake[i], F_GETFL);
        fcntl(s->wake[i], F_SETFL, fl | O_NONBLOCK);
        fcntl(s->wake[i], F_SETFD, FD_CLOEXEC);
    }
    blas_set_threads(1); /* training leaves a core for the screen and the sound */
    trainer_init(&s->tr);
    tv_init(s);
    cix_init(&s->cix, s->wake[1]);

    setlocale(LC_ALL, "");
    {
        const char *cs = nl_langinfo(CODESET);
        s->utf8 = !ascii && cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
    }
    /* The model: --model, the last one, the shipped default. */
    {
        char path[4200];
        int prog = s->snd.program;
        if (!s->model_path[0]) {
            snprintf(path, sizeof path, "%s/models/%s", datadir_path(), DEFAULT_MODEL);
            snprintf(s->model_path, sizeof s->model_path, "%.4000s", path);
        }
        snprintf(path, sizeof path, "%s", s->model_path);
        {
            struct stat st;
            if (stat(path, &st) == 0)
                studio_open_model(s, path);
            else
                studio_status(s, 2, "no model at %s: o opens one, t trains one", path);
        }
        /* The sound (quietly: the libraries' messages go to the log). */
        if (snd_open(&s->snd, s->sf_opt[0] ? s->sf_opt : NULL, datadir_path(), prog,
                     0, &err)) {
            studio_status(s, 2, "sound: %s", err.msg);
        } else {
            s->snd_ok = true;
            snd_watch(&s->snd, s->wake[1]);
            term_set_crash_audio(s->snd.e);
            player_meter(s);
            if (!s->snd.has_output)
                studio_status(s, 2, "no audio output (%s): the studio runs silent; s saves WAV",
                              s->snd.device);
            else if (s->snd.error[0])
                studio_status(s, 2, "%s", s->snd.error);
        }
    }

    if (!term_open(s->wake[1], msg, sizeof msg)) {
        fprintf(stderr, "reel studio: %s\n", msg);
        studio_free(s);
        free(s);
        return 1;
    }
    draw_init_colors(s);
    s->dirty = DIRTY_ALL;
    if (!s->status[0])
        studio_status(s, 0, "Tab: piano (type a seed), g: generate, Space: play, ?: every key");
    run_loop(s);

    /* The one way out: silence, threads, settings, terminal. */
    if (s->snd_ok) {
        player_stop(s->snd.p);
        snd_silence(&s->snd, 0.5);
    }
    if (trainer_active(&s->tr))
        trainer_stop(&s->tr);
    trainer_join(&s->tr);
    term_close();
    watch_close();
    save_settings(s);
    write_stats(s);
    if (s->quit_now) {
        /* A signal, or the terminal went away: nothing was asked, so an
         * unsaved melody is kept in a file. */
        int sig = term_signalled();
        bool lost = unsaved(s);
        char kept[4300] = "";
        if (lost)
            rescue_melody(s, kept, sizeof kept);
        fprintf(stderr, "reel studio: stopped by %s%s%s%s\n",
                sig == SIGINT ? "Ctrl-C (SIGINT)" : sig == SIGTERM ? "SIGTERM"
                : sig == SIGHUP ? "SIGHUP (the terminal hung up)" : "the terminal going away",
                lost ? "; the melody was not saved" : "", kept[0] ? ": it is in " : "", kept);
        rc = 128 + (sig ? sig : SIGHUP);
    }
    studio_free(s);
    free(s);
    return rc;
}
