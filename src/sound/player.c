/* player.c — the sequencer of player.h.
 *
 * Each part keeps its notes as a sorted list of on and off events (by step,
 * offs before ons).  A scheduler (Sched) walks the steps of the region being
 * played and turns them into AudioEvents at frames computed from an anchor:
 * a frame where a given step is heard, plus the tempo map's seconds from
 * there.  The first pass anchors the start step at frame 0; each loop pass
 * anchors the loop start at the frame where the previous pass ended; a
 * reschedule anchors the step being played at that moment.  Computing every
 * frame from an anchor (never adding rounded durations) keeps long loops
 * from drifting.  Which notes sound is counted per channel and key, so a
 * note-off is only sent for a note that was started (playing from the
 * middle of a note, or a loop that cuts one, never leaves a note hanging:
 * the end of a pass releases what still sounds).
 *
 * Live, the player thread runs the scheduler up to a horizon ahead of the
 * engine's frame clock and keeps the anchors, so the playhead can be mapped
 * back from frames to steps.  Offline, the same scheduler produces the
 * whole schedule at once.
 */
#include "clock.h"
#include "player.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define LOOKAHEAD_MIN 0.3       /* seconds of music sent ahead of the output, at least */
#define LOOKAHEAD_FIRST 10.0    /* ... before the output's speed is known (it may be a sink */
                                /* that takes seconds of music in a millisecond) */
#define LOOKAHEAD_WALL 0.1      /* ... and this much wall time of a fast output */
#define UNPACED_SPEED 4.0       /* an output this many times faster than real time is a file */
#define UNPACED_WALL 5.0        /* ... or null sink: this much of its wall time ahead, so a */
                                /* thread that waits for the CPU cannot fall behind it, */
#define UNPACED_MUSIC 60.0      /* and a minute of music at least */
#define RESCHEDULE_MARGIN 0.03  /* seconds ahead of the output where a change takes effect */
#define PUMP_NS 2000000L        /* the thread wakes every 2 ms while playing */
#define IDLE_NS 10000000L       /* and every 10 ms when not */
#define INFLIGHT_MAX (AUDIO_QUEUE_EVENTS - 4096)
#define HIST_MAX 1024
#define CLICK_SECONDS 0.08

typedef struct {
    int32_t step;
    uint8_t on;            /* 0: note-off, 1: note-on */
    uint8_t pitch, vel;
} PEv;

typedef struct {
    int channel, program, velocity;
    PEv *ev;               /* sorted by step, then offs before ons */
    int32_t n, cap;
    int32_t last_off;      /* latest note-off step */
} Part;

typedef struct {
    double step;           /* where this tempo starts */
    double upq;            /* microseconds per quarter (before the bpm factor) */
    double sec;            /* seconds from step 0 to here (before the factor) */
} Seg;

typedef struct {
    double frame;          /* frame (after the origin) where ... */
    double step;           /* ... this step is heard */
    double sec;            /* seconds of that step in the tempo map, with factor */
    double factor;         /* tempo factor of this mapping */
    long pass;             /* loop pass */
    int32_t pass_start;    /* first step played in this pass */
} Anchor;

typedef struct {
    int32_t r0, r1;        /* region [r0, r1) */
    bool loop;
    int32_t cur;           /* next step to turn into events */
    bool ended;            /* not looping, and everything up to r1 done */
    double end_frame;
    double rate;
    Anchor a;
    uint8_t sounding[16][128];
    int32_t idx[PLAYER_MAX_PARTS];   /* per part: first event at step >= cur */
} Sched;

typedef void (*EmitFn)(Player *p, void *ctx, const AudioEvent *ev);

struct Player {
    AudioEngine *e;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool thread_up, quit;

    Tune meta;             /* tempos, sigs, n_steps; no notes */
    Seg *segs;
    int n_segs;
    double bpm, factor;    /* bpm 0: the map as it is (factor 1) */
    Part parts[PLAYER_MAX_PARTS];
    int n_parts;
    bool loop;
    int32_t loop_from, loop_to;
    bool metronome;
    float gain;            /* 0: not set */

    bool playing, finished;
    int32_t session;
    uint64_t sent, dropped;
    double from;
    Sched g;
    Anchor hist[HIST_MAX]; /* anchors of what was sent, by frame */
    int hist_n;
    double last_on[16][128], last_off[16][128];   /* frames of the last sent on/off, -1 */
    double speed;          /* output frames per wall second, measured */
    uint64_t sp_frames, sp_ns;
};

/* ---- the tempo map ------------------------------------------------------ */

static ReelStatus build_segs(Player *p, ReelError *err)
{
    int n = 0;
    Seg *s = malloc((size_t)(p->meta.n_tempos + 1) * sizeof *s);
    if (!s)
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    if (p->meta.n_tempos == 0 || p->meta.tempos[0].step > 0)
        s[n++] = (Seg){0, 500000, 0};
    for (int32_t i = 0; i < p->meta.n_tempos; i++) {
        double upq = p->meta.tempos[i].usec_per_quarter > 0 ? p->meta.tempos[i].usec_per_quarter
                                                            : 500000;
        double step = p->meta.tempos[i].step;
        if (n && s[n - 1].step >= step)
            s[n - 1].upq = upq;
        else
            s[n++] = (Seg){step, upq, 0};
    }
    for (int i = 1; i < n; i++)
        s[i].sec = s[i - 1].sec + (s[i].step - s[i - 1].step) * s[i - 1].upq / 4e6;
    free(p->segs);
    p->segs = s;
    p->n_segs = n;
    p->factor = p->bpm > 0 ? p->bpm / (60e6 / s[0].upq) : 1.0;
    return REEL_OK;
}

static const Seg *seg_at_step(const Player *p, double step)
{
    int lo = 0, hi = p->n_segs - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (p->segs[mid].step <= step)
            lo = mid;
        else
            hi = mid - 1;
    }
    return &p->segs[lo];
}

/* Seconds from step 0 to step, at tempo factor f. */
static double sec_at(const Player *p, double step, double f)
{
    const Seg *s = seg_at_step(p, step);
    return (s->sec + (step - s->step) * s->upq / 4e6) / f;
}

static double step_at(const Player *p, double sec, double f)
{
    double x = sec * f;
    int lo = 0, hi = p->n_segs - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (p->segs[mid].sec <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return p->segs[lo].step + (x - p->segs[lo].sec) * 4e6 / p->segs[lo].upq;
}

static Anchor make_anchor(const Player *p, double frame, double step, double f, long pass,
                          int32_t pass_start)
{
    Anchor a;
    a.frame = frame;
    a.step = step;
    a.factor = f;
    a.sec = sec_at(p, step, f);
    a.pass = pass;
    a.pass_start = pass_start;
    return a;
}

static double frame_of(const Player *p, const Sched *g, int32_t step)
{
    return g->a.frame + (sec_at(p, step, g->a.factor) - g->a.sec) * g->rate;
}

static double anchor_step(const Player *p, const Anchor *a, double frame, double rate)
{
    return step_at(p, a->sec + (frame - a->frame) / rate, a->factor);
}

/* ---- parts -------------------------------------------------------------- */

static int pev_cmp(const void *a, const void *b)
{
    const PEv *x = a, *y = b;
    if (x->step != y->step)
        return x->step < y->step ? -1 : 1;
    if (x->on != y->on)
        return x->on < y->on ? -1 : 1;
    return (int)x->pitch - (int)y->pitch;
}

static ReelStatus check_notes(const Note *notes, int32_t n, ReelError *err)
{
    if (n < 0 || (n && !notes))
        return reel_fail(err, REEL_EARG, "no notes given");
    for (int32_t i = 0; i < n; i++)
        if (notes[i].onset < 0 || notes[i].dur < 1 || notes[i].pitch > 127 ||
            notes[i].vel > 127 || notes[i].onset > INT32_MAX - notes[i].dur)
            return reel_fail(err, REEL_EARG, "note %d: onset %d, duration %d, pitch %d, "
                             "velocity %d is not a note", (int)i, (int)notes[i].onset,
                             (int)notes[i].dur, notes[i].pitch, notes[i].vel);
    return REEL_OK;
}

static ReelStatus part_reserve(Part *pt, int32_t more, ReelError *err)
{
    int32_t want = pt->n + more;
    PEv *ev;
    if (more > (INT32_MAX - pt->n) / 2)
        return reel_fail(err, REEL_ENOMEM, "too many notes");
    if (want <= pt->cap)
        return REEL_OK;
    if (want < pt->cap * 2)
        want = pt->cap * 2;
    if (want < 64)
        want = 64;
    if (!(ev = realloc(pt->ev, (size_t)want * sizeof *ev)))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    pt->ev = ev;
    pt->cap = want;
    return REEL_OK;
}

/* Insert keeping the order: after every event that sorts before or equal. */
static void part_insert(Part *pt, PEv e)
{
    int32_t lo = 0, hi = pt->n;
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        if (pev_cmp(&pt->ev[mid], &e) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(pt->ev + lo + 1, pt->ev + lo, (size_t)(pt->n - lo) * sizeof e);
    pt->ev[lo] = e;
    pt->n++;
}

static int32_t part_lower_bound(const Part *pt, int32_t step)
{
    int32_t lo = 0, hi = pt->n;
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        if (pt->ev[mid].step < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int32_t parts_end(const Player *p)
{
    int32_t end = 0;
    for (int k = 0; k < p->n_parts; k++)
        if (p->parts[k].last_off > end)
            end = p->parts[k].last_off;
    return end > 0 ? end : p->meta.n_steps;
}

/* The first bar line at or after step. */
static int32_t bar_ceil(const Player *p, int32_t step)
{
    int32_t s = 0;
    while (s < step) {
        int32_t bar = tune_bar_steps_at(&p->meta, s);
        TimeSig next = tune_sig_at(&p->meta, s + bar);
        /* A time signature that starts inside this bar starts a bar itself. */
        if (next.step > s && next.step < s + bar)
            bar = next.step - s;
        s += bar;
    }
    return s;
}

static void region(const Player *p, bool allow_loop, int32_t *r0, int32_t *r1, bool *loop)
{
    int32_t end = parts_end(p);
    *loop = allow_loop && p->loop;
    *r0 = 0;
    *r1 = end;
    if (*loop) {
        int32_t a = p->loop_from > 0 ? p->loop_from : 0;
        int32_t b = p->loop_to > a ? p->loop_to : bar_ceil(p, end);
        if (b > a) {
            *r0 = a;
            *r1 = b;
        } else {
            *loop = false;
        }
    }
}

/* ---- the scheduler ------------------------------------------------------ */

static void emit(Player *p, Sched *g, EmitFn fn, void *ctx, uint8_t type, int chan, int key,
                 int vel, double frame)
{
    AudioEvent ev;
    (void)g;
    memset(&ev, 0, sizeof ev);
    ev.frame = frame <= 0 ? 0 : (uint64_t)llround(frame);
    ev.type = type;
    ev.chan = (uint8_t)chan;
    ev.d1 = (uint8_t)key;
    ev.d2 = (uint8_t)vel;
    fn(p, ctx, &ev);
}

static void sched_seek(const Player *p, Sched *g)
{
    for (int k = 0; k < p->n_parts; k++)
        g->idx[k] = part_lower_bound(&p->parts[k], g->cur);
}

static void sched_flush(Player *p, Sched *g, EmitFn fn, void *ctx, double frame)
{
    for (int ch = 0; ch < 16; ch++)
        for (int key = 0; key < 128; key++)
            if (g->sounding[ch][key]) {
                g->sounding[ch][key] = 0;
                emit(p, g, fn, ctx, AUDIO_EV_NOTE_OFF, ch, key, 0, frame);
            }
}

static void hist_add(Player *p, const Anchor *a)
{
    if (p->hist_n == HIST_MAX) {
        memmove(p->hist, p->hist + 1, (HIST_MAX - 1) * sizeof *p->hist);
        p->hist_n--;
    }
    p->hist[p->hist_n++] = *a;
}

static void sched_begin(Player *p, Sched *g, double from, double frame0, double rate,
                      bool allow_loop)
{
    memset(g, 0, sizeof *g);
    g->rate = rate;
    region(p, allow_loop, &g->r0, &g->r1, &g->loop);
    if (!(from >= 0))
        from = 0;
    if (g->loop && (from < g->r0 || from >= g->r1))
        from = g->r0;
    g->cur = (int32_t)ceil(from - 1e-9);
    g->a = make_anchor(p, frame0, from, p->factor, 0, g->cur);
    if (!g->loop && g->cur >= g->r1) {
        g->ended = true;
        g->end_frame = frame0;
    }
    sched_seek(p, g);
}

static bool is_beat(const Player *p, int32_t s, bool *down)
{
    TimeSig sg = tune_sig_at(&p->meta, s);
    int den = sg.den ? sg.den : 4;
    int32_t bar = (int32_t)sg.num * 16 / den, beat, pos;
    if (bar < 1)
        bar = 1;
    /* Compound metres (6/8, 9/8, 12/8) click on dotted quarters. */
    beat = den == 8 && sg.num % 3 == 0 && sg.num > 3 ? 6 : 16 / den;
    if (beat < 1)
        beat = 1;
    pos = (s - sg.step) % bar;
    *down = pos == 0;
    return pos % beat == 0;
}

/* Turn step g->cur into events and move on (or wrap, or end). */
static void sched_step(Player *p, Sched *g, EmitFn fn, void *ctx, bool live)
{
    int32_t s = g->cur;
    double fr = frame_of(p, g, s);
    bool down;

    for (int k = 0; k < p->n_parts; k++) {
        const Part *pt = &p->parts[k];
        for (int32_t j = g->idx[k]; j < pt->n && pt->ev[j].step == s && !pt->ev[j].on; j++) {
            uint8_t *c = &g->sounding[pt->channel][pt->ev[j].pitch];
            if (*c) {
                (*c)--;
                emit(p, g, fn, ctx, AUDIO_EV_NOTE_OFF, pt->channel, pt->ev[j].pitch, 0, fr);
            }
        }
    }
    if (s >= g->r1) {
        sched_flush(p, g, fn, ctx, fr);
        if (g->loop) {
            g->a = make_anchor(p, fr, g->r0, g->a.factor, g->a.pass + 1, g->r0);
            g->cur = g->r0;
            sched_seek(p, g);
            if (live)
                hist_add(p, &g->a);
        } else {
            g->ended = true;
            g->end_frame = fr;
        }
        return;
    }
    if (p->metronome && is_beat(p, s, &down)) {
        int key = down ? PLAYER_CLICK_HIGH : PLAYER_CLICK_LOW;
        emit(p, g, fn, ctx, AUDIO_EV_NOTE_ON, PLAYER_DRUM_CHANNEL, key, down ? 110 : 80, fr);
        emit(p, g, fn, ctx, AUDIO_EV_NOTE_OFF, PLAYER_DRUM_CHANNEL, key, 0,
             fr + CLICK_SECONDS * g->rate);
    }
    for (int k = 0; k < p->n_parts; k++) {
        const Part *pt = &p->parts[k];
        int32_t j = g->idx[k];
        for (; j < pt->n && pt->ev[j].step == s; j++) {
            uint8_t *c;
            int vel;
            if (!pt->ev[j].on)
                continue;
            c = &g->sounding[pt->channel][pt->ev[j].pitch];
            if (*c < 255)
                (*c)++;
            vel = pt->velocity > 0 ? pt->velocity : pt->ev[j].vel ? pt->ev[j].vel : 80;
            emit(p, g, fn, ctx, AUDIO_EV_NOTE_ON, pt->channel, pt->ev[j].pitch, vel, fr);
        }
        g->idx[k] = j;
    }
    g->cur = s + 1;
}

/* ---- live playing -------------------------------------------------------- */

static void rt_emit(Player *p, void *ctx, const AudioEvent *ev)
{
    (void)ctx;
    if (!audio_engine_send(p->e, AUDIO_PORT_SEQ, ev)) {
        p->dropped++;
        return;
    }
    p->sent++;
    if (ev->chan < 16 && ev->d1 < 128) {
        if (ev->type == AUDIO_EV_NOTE_ON)
            p->last_on[ev->chan][ev->d1] = (double)ev->frame;
        else if (ev->type == AUDIO_EV_NOTE_OFF)
            p->last_off[ev->chan][ev->d1] = (double)ev->frame;
    }
}

static void send_now(Player *p, uint8_t type, uint8_t flags, int chan, int32_t vi, float vf)
{
    AudioEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.flags = (uint8_t)(flags | AUDIO_EVF_NOW);
    ev.chan = (uint8_t)chan;
    if (type == AUDIO_EV_GAIN)
        ev.v.f = vf;
    else
        ev.v.i = vi;
    rt_emit(p, NULL, &ev);
}

/* Frames since the origin of the current session; -1 before it is known. */
static double rel_now(const Player *p, uint64_t frames)
{
    uint64_t origin;
    int32_t session;
    if (!audio_engine_origin(p->e, &origin, &session) || session != (p->session & 0xffff))
        return -1;
    return frames > origin ? (double)(frames - origin) : 0;
}

static uint64_t in_flight(const Player *p)
{
    return p->sent - audio_engine_done(p->e, AUDIO_PORT_SEQ);
}

static const Anchor *anchor_at(const Player *p, double frame)
{
    int lo = 0, hi = p->hist_n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (p->hist[mid].frame <= frame)
            lo = mid;
        else
            hi = mid - 1;
    }
    return &p->hist[lo];
}

static void pump(Player *p)
{
    uint64_t frames = audio_engine_frames(p->e), ns = now_ns();
    double rate = audio_engine_rate(p->e), now, ahead, heard;

    if (!p->sp_ns) {
        p->sp_ns = ns;
        p->sp_frames = frames;
    } else if (ns - p->sp_ns >= PUMP_NS) {
        double inst = (double)(frames - p->sp_frames) / ((double)(ns - p->sp_ns) / 1e9);
        p->speed = inst > p->speed * 0.9 ? inst : p->speed * 0.9;
        p->sp_ns = ns;
        p->sp_frames = frames;
    }
    if (!p->playing)
        return;
    now = rel_now(p, frames);
    if (audio_engine_unpaced(p->e) || p->speed > UNPACED_SPEED * rate)
        ahead = fmax(UNPACED_MUSIC * rate, p->speed * UNPACED_WALL);
    else if (p->speed <= 0)
        ahead = LOOKAHEAD_FIRST * rate;
    else
        ahead = fmax(LOOKAHEAD_MIN * rate, p->speed * LOOKAHEAD_WALL);
    while (!p->g.ended && p->hist_n < HIST_MAX - 1 && in_flight(p) < INFLIGHT_MAX &&
           frame_of(p, &p->g, p->g.cur) < (now < 0 ? 0 : now) + ahead)
        sched_step(p, &p->g, rt_emit, NULL, true);
    if (now < 0)
        return;
    heard = now - audio_engine_latency_frames(p->e);
    if (p->g.ended && heard >= p->g.end_frame) {
        p->playing = false;
        p->finished = true;
    }
    /* Forget anchors the output has passed. */
    if (p->hist_n > 1) {
        int i = (int)(anchor_at(p, heard) - p->hist);
        if (i > 0) {
            memmove(p->hist, p->hist + i, (size_t)(p->hist_n - i) * sizeof *p->hist);
            p->hist_n -= i;
        }
    }
}

/* Drop what was sent for frames from a little ahead of the output and
 * make it again with the current tempo, loop, metronome and notes. */
static void reschedule(Player *p)
{
    Sched *g = &p->g;
    double rate, now, f, s_exact, margin;
    const Anchor *a;
    Anchor base;
    int32_t cur;
    uint8_t model[16][128];
    AudioEvent clear;

    if (!p->e || !p->playing)
        return;
    audio_engine_hold(p->e, AUDIO_PORT_SEQ);
    rate = audio_engine_rate(p->e);
    now = rel_now(p, audio_engine_frames(p->e));
    if (now < 0)
        now = 0;
    margin = fmax(RESCHEDULE_MARGIN * rate, p->speed * 0.01);
    f = floor(now + margin);

    memset(&clear, 0, sizeof clear);
    clear.type = AUDIO_EV_CLEAR;
    clear.frame = (uint64_t)f;
    rt_emit(p, NULL, &clear);

    /* Events were kept when their rounded frame is < f: steps before s_exact. */
    a = anchor_at(p, f - 0.5);
    base = *a;
    p->hist_n = (int)(a - p->hist) + 1;
    s_exact = anchor_step(p, &base, f - 0.5, rate);
    region(p, true, &g->r0, &g->r1, &g->loop);
    cur = (int32_t)ceil(s_exact - 1e-9);

    /* What the new notes say sounds at cur in this pass ... */
    memset(model, 0, sizeof model);
    for (int k = 0; k < p->n_parts; k++) {
        const Part *pt = &p->parts[k];
        for (int32_t j = part_lower_bound(pt, base.pass_start); j < pt->n && pt->ev[j].step < cur;
             j++) {
            uint8_t *c = &model[pt->channel][pt->ev[j].pitch];
            if (pt->ev[j].on && pt->ev[j].step < g->r1)
                *c = *c < 255 ? *c + 1 : 255;
            else if (!pt->ev[j].on && *c)
                (*c)--;
        }
    }
    /* ... and what really sounds: a note-on sent before f whose note-off was
     * not sent, or was dropped.  Those the model does not know end now. */
    memcpy(g->sounding, model, sizeof model);
    for (int ch = 0; ch < 16; ch++)
        for (int key = 0; key < 128; key++) {
            double on = p->last_on[ch][key], off = p->last_off[ch][key];
            bool real = on >= 0 && on < f && (off < on || off >= f);
            if (real && !model[ch][key] && ch != PLAYER_DRUM_CHANNEL)
                emit(p, g, rt_emit, NULL, AUDIO_EV_NOTE_OFF, ch, key, 0, f);
        }

    g->a = make_anchor(p, f - 0.5, s_exact, p->factor, base.pass, base.pass_start);
    g->cur = cur;
    g->ended = false;
    if (cur >= g->r1 || (g->loop && s_exact >= g->r1)) {
        sched_flush(p, g, rt_emit, NULL, f);
        if (g->loop) {
            g->a = make_anchor(p, f, g->r0, p->factor, base.pass + 1, g->r0);
            g->cur = g->r0;
        } else {
            g->ended = true;
            g->end_frame = f;
        }
    }
    sched_seek(p, g);
    hist_add(p, &g->a);
    pump(p);
    audio_engine_release(p->e, AUDIO_PORT_SEQ);
}

static void *player_main(void *arg)
{
    Player *p = arg;
#ifdef __linux__
    prctl(PR_SET_NAME, "reel-player", 0, 0, 0); /* top -H, gdb and the tests can tell it */
#endif
    pthread_mutex_lock(&p->mu);
    while (!p->quit) {
        struct timespec ts;
        uint64_t t;
        pump(p);
        t = now_ns() + (uint64_t)(p->playing ? PUMP_NS : IDLE_NS);
        ts.tv_sec = (time_t)(t / 1000000000u);
        ts.tv_nsec = (long)(t % 1000000000u);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void stop_locked(Player *p)
{
    AudioEvent clear;
    if (!p->e || !p->playing)
        return;
    memset(&clear, 0, sizeof clear);
    clear.type = AUDIO_EV_CLEAR;
    clear.flags = AUDIO_EVF_ALL | AUDIO_EVF_NOW;
    rt_emit(p, NULL, &clear);
    send_now(p, AUDIO_EV_NOTES_OFF, 0, AUDIO_ALL_CHANNELS, 0, 0);
    p->playing = false;
}

/* ---- the API ------------------------------------------------------------- */

ReelStatus player_new(Player **out, AudioEngine *e, ReelError *err)
{
    Player *p;
    pthread_condattr_t ca;
    if (!out)
        return reel_fail(err, REEL_EARG, "player_new: no result pointer");
    *out = NULL;
    if (!(p = calloc(1, sizeof *p)))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    p->e = e;
    p->factor = 1;
    tune_init(&p->meta);
    if (build_segs(p, err)) {
        free(p);
        return err ? err->status : REEL_ENOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (e) {
        if (pthread_create(&p->thread, NULL, player_main, p) != 0) {
            player_free(p);
            return reel_fail(err, REEL_ENOMEM, "cannot start the player thread");
        }
        p->thread_up = true;
    }
    *out = p;
    return REEL_OK;
}

void player_free(Player *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    stop_locked(p);
    p->quit = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (p->thread_up)
        pthread_join(p->thread, NULL);
    for (int k = 0; k < p->n_parts; k++)
        free(p->parts[k].ev);
    free(p->segs);
    tune_free(&p->meta);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

ReelStatus player_set_song(Player *p, const Tune *t, ReelError *err)
{
    Tune meta;
    ReelStatus st;
    if (!p || !t)
        return reel_fail(err, REEL_EARG, "player_set_song: no player or tune");
    if (tune_copy_meta(&meta, t, err))
        return err ? err->status : REEL_ENOMEM;
    pthread_mutex_lock(&p->mu);
    stop_locked(p);
    p->finished = false;
    tune_free(&p->meta);
    p->meta = meta;
    for (int k = 0; k < p->n_parts; k++)
        free(p->parts[k].ev);
    memset(p->parts, 0, sizeof p->parts);
    p->n_parts = 0;
    st = build_segs(p, err);
    pthread_mutex_unlock(&p->mu);
    return st;
}

ReelStatus player_add_part(Player *p, int program, int *part, ReelError *err)
{
    Part *pt;
    if (!p)
        return reel_fail(err, REEL_EARG, "player_add_part: no player");
    if (program < 0 || program > 127)
        return reel_fail(err, REEL_EARG, "program %d: GM programs are 1..128", program + 1);
    pthread_mutex_lock(&p->mu);
    if (p->n_parts == PLAYER_MAX_PARTS) {
        pthread_mutex_unlock(&p->mu);
        return reel_fail(err, REEL_EARG, "at most %d parts", PLAYER_MAX_PARTS);
    }
    pt = &p->parts[p->n_parts];
    memset(pt, 0, sizeof *pt);
    pt->channel = p->n_parts < PLAYER_DRUM_CHANNEL ? p->n_parts : p->n_parts + 1;
    pt->program = program;
    if (part)
        *part = p->n_parts;
    p->n_parts++;
    if (p->e)
        send_now(p, AUDIO_EV_PROGRAM, 0, pt->channel, program, 0);
    pthread_mutex_unlock(&p->mu);
    return REEL_OK;
}

static ReelStatus add_notes(Player *p, int part, const Note *notes, int32_t n, bool replace,
                            ReelError *err)
{
    Part *pt;
    int32_t earliest = INT32_MAX, old_r1;
    if (check_notes(notes, n, err))
        return err ? err->status : REEL_EARG;
    pthread_mutex_lock(&p->mu);
    old_r1 = p->g.r1;
    if (part < 0 || part >= p->n_parts) {
        pthread_mutex_unlock(&p->mu);
        return reel_fail(err, REEL_EARG, "no part %d", part);
    }
    pt = &p->parts[part];
    if (replace) {
        pt->n = 0;
        pt->last_off = 0;
    }
    if (part_reserve(pt, 2 * n, err)) {
        pthread_mutex_unlock(&p->mu);
        return err ? err->status : REEL_ENOMEM;
    }
    for (int32_t i = 0; i < n; i++) {
        PEv on = {notes[i].onset, 1, notes[i].pitch, notes[i].vel};
        PEv off = {notes[i].onset + notes[i].dur, 0, notes[i].pitch, 0};
        if (replace) {
            pt->ev[pt->n++] = on;
            pt->ev[pt->n++] = off;
        } else {
            part_insert(pt, on);
            part_insert(pt, off);
        }
        if (off.step > pt->last_off)
            pt->last_off = off.step;
        if (on.step < earliest)
            earliest = on.step;
    }
    if (replace && pt->n) /* an empty part may have no array: qsort(NULL, 0) is undefined */
        qsort(pt->ev, (size_t)pt->n, sizeof *pt->ev, pev_cmp);
    if (p->playing) {
        int32_t r0, r1;
        bool loop;
        region(p, true, &r0, &r1, &loop);
        if (replace || earliest < p->g.cur || loop != p->g.loop || r0 != p->g.r0 ||
            (loop && r1 != old_r1)) {
            reschedule(p);
        } else if (r1 > p->g.r1) {
            /* Notes after the end: play on (the end's note-offs were sent). */
            p->g.r1 = r1;
            p->g.ended = false;
            sched_seek(p, &p->g);
            pump(p);
        }
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return REEL_OK;
}

ReelStatus player_set_notes(Player *p, int part, const Note *notes, int32_t n, ReelError *err)
{
    if (!p)
        return reel_fail(err, REEL_EARG, "player_set_notes: no player");
    return add_notes(p, part, notes, n, true, err);
}

ReelStatus player_append(Player *p, int part, const Note *notes, int32_t n, ReelError *err)
{
    if (!p)
        return reel_fail(err, REEL_EARG, "player_append: no player");
    return add_notes(p, part, notes, n, false, err);
}

ReelStatus player_load_tune(Player *p, const Tune *t, int program, ReelError *err)
{
    int part;
    if (!p || !t)
        return reel_fail(err, REEL_EARG, "player_load_tune: no player or tune");
    if (program < 0)
        program = t->program >= 0 && t->program <= 127 ? t->program : PLAYER_VIOLIN;
    if (player_set_song(p, t, err) || player_add_part(p, program, &part, err) ||
        player_set_notes(p, part, t->notes, t->n_notes, err))
        return err ? err->status : REEL_EARG;
    return REEL_OK;
}

void player_set_program(Player *p, int part, int program)
{
    if (!p || program < 0 || program > 127)
        return;
    pthread_mutex_lock(&p->mu);
    if (part >= 0 && part < p->n_parts) {
        p->parts[part].program = program;
        if (p->e)
            send_now(p, AUDIO_EV_PROGRAM, 0, p->parts[part].channel, program, 0);
    }
    pthread_mutex_unlock(&p->mu);
}

void player_set_velocity(Player *p, int part, int velocity)
{
    if (!p || velocity < 0 || velocity > 127)
        return;
    pthread_mutex_lock(&p->mu);
    if (part >= 0 && part < p->n_parts)
        p->parts[part].velocity = velocity;
    pthread_mutex_unlock(&p->mu);
}

void player_set_bpm(Player *p, double bpm)
{
    if (!p || !(bpm >= 0 && bpm <= 2000))
        return;
    pthread_mutex_lock(&p->mu);
    p->bpm = bpm;
    p->factor = bpm > 0 ? bpm / (60e6 / p->segs[0].upq) : 1.0;
    reschedule(p);
    pthread_mutex_unlock(&p->mu);
}

void player_set_loop(Player *p, bool on, int32_t from, int32_t to)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->loop = on;
    p->loop_from = from > 0 ? from : 0;
    p->loop_to = to;
    reschedule(p);
    pthread_mutex_unlock(&p->mu);
}

void player_set_metronome(Player *p, bool on)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->metronome != on) {
        p->metronome = on;
        reschedule(p);
    }
    pthread_mutex_unlock(&p->mu);
}

void player_set_gain(Player *p, float gain)
{
    if (!p || !(gain >= 0 && gain <= 10))
        return;
    pthread_mutex_lock(&p->mu);
    p->gain = gain;
    if (p->e)
        send_now(p, AUDIO_EV_GAIN, 0, AUDIO_ALL_CHANNELS, 0, gain);
    pthread_mutex_unlock(&p->mu);
}

int player_program(const Player *p, int part)
{
    return p && part >= 0 && part < p->n_parts ? p->parts[part].program : -1;
}

int player_channel(const Player *p, int part)
{
    return p && part >= 0 && part < p->n_parts ? p->parts[part].channel : -1;
}

int32_t player_end_step(Player *p)
{
    int32_t end;
    if (!p)
        return 0;
    pthread_mutex_lock(&p->mu);
    end = parts_end(p);
    pthread_mutex_unlock(&p->mu);
    return end;
}

double player_bpm_at(Player *p, double step)
{
    double bpm;
    if (!p)
        return 0;
    pthread_mutex_lock(&p->mu);
    bpm = 60e6 / seg_at_step(p, step)->upq * p->factor;
    pthread_mutex_unlock(&p->mu);
    return bpm;
}

double player_seconds(Player *p, double a, double b)
{
    double s;
    if (!p)
        return 0;
    pthread_mutex_lock(&p->mu);
    s = sec_at(p, b, p->factor) - sec_at(p, a, p->factor);
    pthread_mutex_unlock(&p->mu);
    return s;
}

/* Walk the bar lines from step 0 to the bar holding until_step, or to bar
 * until_bar, whichever comes first: its number into *bar, its first step
 * returned. */
static int32_t bar_walk(const Player *p, double until_step, long until_bar, long *bar)
{
    int32_t s = 0;
    long b = 1;
    for (;;) {
        int32_t len = tune_bar_steps_at(&p->meta, s);
        TimeSig next = tune_sig_at(&p->meta, s + len);
        if (next.step > s && next.step < s + len)
            len = next.step - s;
        if (b >= until_bar || s + len > until_step)
            break;
        s += len;
        b++;
    }
    *bar = b;
    return s;
}

void player_bar_beat(Player *p, double step, long *bar, int *beat)
{
    int32_t start, s;
    int n = 0;
    bool down;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    if (step < 0)
        step = 0;
    start = bar_walk(p, step, LONG_MAX, bar);
    for (s = start; s <= (int32_t)step; s++)
        if (is_beat(p, s, &down))
            n++;
    *beat = n > 0 ? n : 1;
    pthread_mutex_unlock(&p->mu);
}

int32_t player_bar_step(Player *p, long bar)
{
    long b;
    int32_t s;
    if (!p)
        return 0;
    pthread_mutex_lock(&p->mu);
    s = bar_walk(p, 1e12, bar < 1 ? 1 : bar, &b);
    pthread_mutex_unlock(&p->mu);
    return s;
}

ReelStatus player_play(Player *p, double from_step, ReelError *err)
{
    AudioEvent start;
    if (!p)
        return reel_fail(err, REEL_EARG, "player_play: no player");
    if (!p->e)
        return reel_fail(err, REEL_EARG, "this player has no audio engine (render only)");
    pthread_mutex_lock(&p->mu);
    audio_engine_hold(p->e, AUDIO_PORT_SEQ);
    stop_locked(p);
    p->session = p->session % 0xfffe + 1;
    memset(&start, 0, sizeof start);
    start.type = AUDIO_EV_START;
    start.flags = AUDIO_EVF_NOW;
    start.v.i = p->session;
    rt_emit(p, NULL, &start);
    for (int k = 0; k < p->n_parts; k++)
        send_now(p, AUDIO_EV_PROGRAM, 0, p->parts[k].channel, p->parts[k].program, 0);
    if (p->gain > 0)
        send_now(p, AUDIO_EV_GAIN, 0, AUDIO_ALL_CHANNELS, 0, p->gain);
    for (int ch = 0; ch < 16; ch++)
        for (int key = 0; key < 128; key++)
            p->last_on[ch][key] = p->last_off[ch][key] = -1;
    sched_begin(p, &p->g, from_step, 0, audio_engine_rate(p->e), true);
    p->hist_n = 0;
    hist_add(p, &p->g.a);
    p->from = from_step;
    p->playing = true;
    p->finished = false;
    pump(p);
    audio_engine_release(p->e, AUDIO_PORT_SEQ);
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return REEL_OK;
}

void player_stop(Player *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    stop_locked(p);
    pthread_mutex_unlock(&p->mu);
}

PlayerStatus player_status(Player *p)
{
    PlayerStatus st;
    double now, heard, rate;
    memset(&st, 0, sizeof st);
    if (!p)
        return st;
    pthread_mutex_lock(&p->mu);
    st.playing = p->playing;
    st.finished = p->finished;
    st.step = p->from;
    if (p->e && (p->playing || p->finished)) {
        uint64_t origin;
        int32_t session;
        if (audio_engine_origin(p->e, &origin, &session) && session == (p->session & 0xffff)) {
            st.started = true;
            st.origin = origin;
        }
    }
    if (p->e && p->hist_n > 0 && (now = rel_now(p, audio_engine_frames(p->e))) >= 0) {
        rate = audio_engine_rate(p->e);
        heard = now - audio_engine_latency_frames(p->e);
        if (heard > 0) {
            const Anchor *a = anchor_at(p, heard);
            st.step = anchor_step(p, a, heard, rate);
            st.pass = a->pass;
            st.seconds = heard / rate;
            if (p->g.ended && heard >= p->g.end_frame)
                st.step = p->g.r1;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return st;
}

/* ---- offline ------------------------------------------------------------- */

typedef struct {
    AudioEvent ev;
    size_t seq;
} SortEv;

typedef struct {
    SortEv *v;
    size_t n, cap;
    bool oom;
} EvList;

static void list_emit(Player *p, void *ctx, const AudioEvent *ev)
{
    EvList *l = ctx;
    (void)p;
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        SortEv *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].ev = *ev;
    l->v[l->n].seq = l->n;
    l->n++;
}

static int sortev_cmp(const void *a, const void *b)
{
    const SortEv *x = a, *y = b;
    int rx, ry;
    if (x->ev.frame != y->ev.frame)
        return x->ev.frame < y->ev.frame ? -1 : 1;
    rx = audio_event_rank(&x->ev);
    ry = audio_event_rank(&y->ev);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

ReelStatus player_events(Player *p, int rate, double from_step, AudioEvent **out, size_t *n,
                         ReelError *err)
{
    EvList l = {NULL, 0, 0, false};
    Sched *g;
    AudioEvent *ev;
    if (!p || !out || !n)
        return reel_fail(err, REEL_EARG, "player_events: bad arguments");
    *out = NULL;
    *n = 0;
    if (rate < 1000 || rate > 1000000)
        return reel_fail(err, REEL_EARG, "sample rate %d Hz", rate);
    if (!(g = malloc(sizeof *g)))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    pthread_mutex_lock(&p->mu);
    for (int k = 0; k < p->n_parts; k++) {
        AudioEvent pc;
        memset(&pc, 0, sizeof pc);
        pc.type = AUDIO_EV_PROGRAM;
        pc.chan = (uint8_t)p->parts[k].channel;
        pc.v.i = p->parts[k].program;
        list_emit(p, &l, &pc);
    }
    if (p->gain > 0) {
        AudioEvent ge;
        memset(&ge, 0, sizeof ge);
        ge.type = AUDIO_EV_GAIN;
        ge.chan = AUDIO_ALL_CHANNELS;
        ge.v.f = p->gain;
        list_emit(p, &l, &ge);
    }
    sched_begin(p, g, from_step, 0, rate, false);
    while (!g->ended && !l.oom)
        sched_step(p, g, list_emit, &l, false);
    pthread_mutex_unlock(&p->mu);
    free(g);
    if (l.oom || !(ev = malloc((l.n ? l.n : 1) * sizeof *ev))) {
        free(l.v);
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    }
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, sortev_cmp);
    for (size_t i = 0; i < l.n; i++)
        ev[i] = l.v[i].ev;
    free(l.v);
    *out = ev;
    *n = l.n;
    return REEL_OK;
}

ReelStatus player_render(Player *p, AudioSynth *s, double from_step, const AudioRenderOpts *o,
                         AudioRenderInfo *info, ReelError *err)
{
    AudioEvent *ev;
    size_t n;
    ReelStatus st;
    if (!s)
        return reel_fail(err, REEL_EARG, "player_render: no synth");
    if ((st = player_events(p, audio_synth_rate(s), from_step, &ev, &n, err)))
        return st;
    st = audio_render_wav(s, ev, n, o, info, err);
    free(ev);
    return st;
}
