/* audio.c — FluidSynth + PortAudio (see audio.h): the one adapter for the
 * sound libraries, and for their logging (ALSA, JACK, glib).
 *
 * Layout: the message log; the synth and its background loader; the
 * lock-free rings and the callback's event heap; the engine (the callback,
 * the silent clock, open/close); offline rendering.
 *
 * The callback (engine_process) does only this: pick up a new synth if one
 * was handed over, drain the rings (live events apply at once, sequence
 * events go into a binary heap ordered by frame), then render the buffer
 * with fluid_synth_write_float, split at the 64-frame block edge of every
 * event due inside it.  No lock (the synth is made with
 * synth.threadsafe-api = 0: only the callback touches it), no allocation
 * (rings and heap are allocated at open), no I/O, no BLAS.
 */
#include "files.h"
#include "clock.h"
#include "audio.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <alsa/asoundlib.h>
#include <fluidsynth.h>
#include <glib.h>
#include <pa_linux_alsa.h>
#include <portaudio.h>

#include "soundfont.h"

#define FLUID_BLOCK 64           /* FluidSynth's internal block (FLUID_BUFSIZE) */
#define RING_SIZE AUDIO_QUEUE_EVENTS   /* events per port (power of two) */
#define HEAP_SIZE AUDIO_QUEUE_EVENTS   /* scheduled events the callback holds */
#define HIST_BIN_NS 2000         /* callback duration histogram: 2 us bins */
#define HIST_BINS 2500           /* up to 5 ms; longer ones go in the last bin */
#define REVERB_TAIL 0.25         /* seconds rendered after the last voice ends */

/* =====================================================================
 * The message log: lock-free, any thread (the callback included) writes.
 * Each slot is a seqlock: seq is 2t+1 while ticket t writes it, 2t+2 when
 * done; a reader keeps a copy only if seq was 2t+2 before and after.
 * ===================================================================== */

#define LOG_SLOTS 256
#define LOG_TEXT 256

typedef struct {
    _Atomic uint64_t seq;
    _Atomic int level;
    _Atomic unsigned char text[LOG_TEXT];
} LogSlot;

static LogSlot log_slots[LOG_SLOTS];
static _Atomic uint64_t log_tickets;

static void log_put(AudioLogLevel level, const char *prefix, const char *msg)
{
    uint64_t t = atomic_fetch_add_explicit(&log_tickets, 1, memory_order_relaxed);
    LogSlot *s = &log_slots[t % LOG_SLOTS];
    size_t k = 0;
    atomic_store_explicit(&s->seq, 2 * t + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&s->level, (int)level, memory_order_relaxed);
    for (const char *p = prefix; p && *p && k < LOG_TEXT - 1; p++)
        atomic_store_explicit(&s->text[k++], (unsigned char)*p, memory_order_relaxed);
    for (const char *p = msg ? msg : ""; *p && k < LOG_TEXT - 1; p++) {
        unsigned char c = (unsigned char)*p;
        atomic_store_explicit(&s->text[k++], c < 0x20 ? ' ' : c, memory_order_relaxed);
    }
    while (k > 0 && atomic_load_explicit(&s->text[k - 1], memory_order_relaxed) == ' ')
        k--;
    atomic_store_explicit(&s->text[k], 0, memory_order_relaxed);
    atomic_store_explicit(&s->seq, 2 * t + 2, memory_order_release);
}

uint64_t audio_log_end(void)
{
    return atomic_load_explicit(&log_tickets, memory_order_acquire);
}

bool audio_log_next(uint64_t *cursor, char *buf, size_t size, AudioLogLevel *level)
{
    uint64_t end = atomic_load_explicit(&log_tickets, memory_order_acquire);
    uint64_t t = *cursor;
    if (end > LOG_SLOTS && t < end - LOG_SLOTS)
        t = end - LOG_SLOTS;
    for (; t < end; t++) {
        LogSlot *s = &log_slots[t % LOG_SLOTS];
        uint64_t s1 = atomic_load_explicit(&s->seq, memory_order_acquire), s2;
        char tmp[LOG_TEXT];
        int lv;
        if (s1 < 2 * t + 2)
            break;                      /* still being written: not yet */
        if (s1 > 2 * t + 2)
            continue;                   /* overwritten by a newer message */
        for (size_t k = 0; k < LOG_TEXT; k++)
            if ((tmp[k] = (char)atomic_load_explicit(&s->text[k], memory_order_relaxed)) == 0)
                break;
        tmp[LOG_TEXT - 1] = 0;
        lv = atomic_load_explicit(&s->level, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        s2 = atomic_load_explicit(&s->seq, memory_order_relaxed);
        if (s2 != s1)
            continue;
        if (buf && size)
            snprintf(buf, size, "%s", tmp);
        if (level)
            *level = (AudioLogLevel)lv;
        *cursor = t + 1;
        return true;
    }
    *cursor = t;
    return false;
}

/* The newest message logged since cursor, or fallback. */
static const char *log_last_since(uint64_t cursor, char *buf, size_t size, const char *fallback)
{
    bool any = false;
    while (audio_log_next(&cursor, buf, size, NULL))
        any = true;
    if (!any)
        snprintf(buf, size, "%s", fallback);
    return buf;
}

static void fluid_log_fn(int level, const char *message, void *data)
{
    static const AudioLogLevel map[] = {AUDIO_LOG_ERROR, AUDIO_LOG_ERROR, AUDIO_LOG_WARNING,
                                        AUDIO_LOG_INFO, AUDIO_LOG_DEBUG};
    (void)data;
    log_put(level >= 0 && level <= 4 ? map[level] : AUDIO_LOG_DEBUG, "fluidsynth: ", message);
}

static void glib_log_fn(const gchar *domain, GLogLevelFlags flags, const gchar *message,
                        gpointer data)
{
    char prefix[64];
    AudioLogLevel lv = AUDIO_LOG_DEBUG;
    (void)data;
    if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        lv = AUDIO_LOG_ERROR;
    else if (flags & G_LOG_LEVEL_WARNING)
        lv = AUDIO_LOG_WARNING;
    else if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        lv = AUDIO_LOG_INFO;
    snprintf(prefix, sizeof prefix, "glib %s: ", domain ? domain : "");
    log_put(lv, prefix, message);
}

static void alsa_log_fn(const char *file, int line, const char *function, int err,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void alsa_log_fn(const char *file, int line, const char *function, int err,
                        const char *fmt, ...)
{
    char msg[LOG_TEXT], prefix[96];
    va_list ap;
    (void)file;
    (void)line;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err) {
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof msg - len, ": %s", snd_strerror(err));
    }
    snprintf(prefix, sizeof prefix, "ALSA %s: ", function ? function : "");
    log_put(AUDIO_LOG_WARNING, prefix, msg);
}

static void jack_error_fn(const char *msg)
{
    log_put(AUDIO_LOG_WARNING, "JACK: ", msg);
}

static void jack_info_fn(const char *msg)
{
    log_put(AUDIO_LOG_INFO, "JACK: ", msg);
}

/* libjack is loaded already (PortAudio links it); reach its two setters
 * without JACK headers.  Without libjack there is nothing to silence. */
static void jack_quiet(void)
{
    typedef void (*SetFn)(void (*)(const char *));
    void *lib = dlopen("libjack.so.0", RTLD_LAZY | RTLD_LOCAL);
    void *sym;
    SetFn set;
    if (!lib)
        return;
    if ((sym = dlsym(lib, "jack_set_error_function")) != NULL) {
        memcpy(&set, &sym, sizeof set);
        set(jack_error_fn);
    }
    if ((sym = dlsym(lib, "jack_set_info_function")) != NULL) {
        memcpy(&set, &sym, sizeof set);
        set(jack_info_fn);
    }
    /* lib stays open: libjack keeps our function pointers. */
}

static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_install(void)
{
    for (int lv = FLUID_PANIC; lv <= FLUID_DBG; lv++)
        fluid_set_log_function(lv, fluid_log_fn, NULL);
    g_log_set_default_handler(glib_log_fn, NULL);
    snd_lib_error_set_handler(alsa_log_fn);
    jack_quiet();
}

void audio_log_capture(void)
{
    pthread_once(&log_once, log_install);
}

/* =====================================================================
 * The synth
 * ===================================================================== */

struct AudioSynth {
    fluid_settings_t *settings;
    fluid_synth_t *synth;
    int sfont_id;
    int rate;
    uint64_t frames;          /* rendered so far: where FluidSynth's block edges are */
    char *path;
    /* Preset names of banks 0 and 128, read once when the synth is made:
     * once the engine plays it, only the audio thread may call FluidSynth
     * (threadsafe-api is off, and its API bookkeeping is not atomic). */
    char names[2][128][AUDIO_PRESET_NAME];
};

ReelStatus audio_synth_new(AudioSynth **out, const AudioSynthOpts *o, ReelError *err)
{
    AudioSynth *s;
    uint64_t cur;
    char msg[LOG_TEXT];
    int rate;
    float gain;
    if (!out)
        return reel_fail(err, REEL_EARG, "audio_synth_new: no result pointer");
    *out = NULL;
    if (!o || !o->soundfont)
        return reel_fail(err, REEL_EARG, "no soundfont given");
    rate = o->rate ? o->rate : 48000;
    gain = o->gain > 0 ? o->gain : AUDIO_DEFAULT_GAIN;
    if (rate < 8000 || rate > 96000)
        return reel_fail(err, REEL_EARG, "sample rate %d Hz: FluidSynth takes 8000..96000", rate);
    if (!(gain <= 10.0f))
        return reel_fail(err, REEL_EARG, "gain %g: the range is 0..10", (double)gain);
    if (o->polyphony < 0 || o->polyphony > 65535)
        return reel_fail(err, REEL_EARG, "polyphony %d: the range is 1..65535", o->polyphony);
    if (soundfont_check(o->soundfont, err))
        return err ? err->status : REEL_EIO;
    audio_log_capture();
    if (!(s = calloc(1, sizeof *s)) || !(s->path = strdup(o->soundfont))) {
        free(s);
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    }
    s->rate = rate;
    s->sfont_id = -1;
    cur = audio_log_end();
    if (!(s->settings = new_fluid_settings()))
        goto fail;
    fluid_settings_setnum(s->settings, "synth.sample-rate", rate);
    fluid_settings_setnum(s->settings, "synth.gain", gain);
    fluid_settings_setint(s->settings, "synth.polyphony", o->polyphony ? o->polyphony : 256);
    fluid_settings_setint(s->settings, "synth.threadsafe-api", 0);
    fluid_settings_setint(s->settings, "synth.cpu-cores", 1);
    fluid_settings_setint(s->settings, "synth.reverb.active", !o->no_reverb);
    fluid_settings_setint(s->settings, "synth.chorus.active", !o->no_chorus);
    if (!(s->synth = new_fluid_synth(s->settings)))
        goto fail;
    s->sfont_id = fluid_synth_sfload(s->synth, o->soundfont, 1);
    if (s->sfont_id == FLUID_FAILED) {
        reel_fail(err, REEL_EFORMAT, "soundfont %s: FluidSynth could not load it (%s)",
                  o->soundfont, log_last_since(cur, msg, sizeof msg, "no reason given"));
        audio_synth_free(s);
        return err ? err->status : REEL_EFORMAT;
    }
    {
        fluid_sfont_t *sf = fluid_synth_get_sfont_by_id(s->synth, s->sfont_id);
        for (int b = 0; b < 2 && sf; b++)
            for (int prog = 0; prog < 128; prog++) {
                fluid_preset_t *pr = fluid_sfont_get_preset(sf, b ? 128 : 0, prog);
                const char *name = pr ? fluid_preset_get_name(pr) : NULL;
                snprintf(s->names[b][prog], sizeof s->names[b][prog], "%s", name ? name : "");
            }
    }
    *out = s;
    return REEL_OK;
fail:
    reel_fail(err, REEL_ENOMEM, "FluidSynth could not start a synth (%s)",
              log_last_since(cur, msg, sizeof msg, "out of memory?"));
    audio_synth_free(s);
    return err ? err->status : REEL_ENOMEM;
}

void audio_synth_free(AudioSynth *s)
{
    if (!s)
        return;
    if (s->synth)
        delete_fluid_synth(s->synth);
    if (s->settings)
        delete_fluid_settings(s->settings);
    free(s->path);
    free(s);
}

int audio_synth_rate(const AudioSynth *s)
{
    return s ? s->rate : 0;
}

const char *audio_synth_soundfont(const AudioSynth *s)
{
    return s ? s->path : "";
}

bool audio_synth_preset_name(const AudioSynth *s, int bank, int program, char *buf, size_t size)
{
    const char *name;
    if (buf && size)
        buf[0] = '\0';
    if (!s || program < 0 || program > 127 || (bank != 0 && bank != 128))
        return false;
    name = s->names[bank ? 1 : 0][program];
    if (!name[0])
        return false;
    if (buf && size)
        snprintf(buf, size, "%s", name);
    return true;
}

/* Render frames until the synth sits on one of its block edges. */
static void synth_align(AudioSynth *s, float *scratch /* 2 * FLUID_BLOCK */)
{
    int rest = (int)(s->frames % FLUID_BLOCK);
    if (rest) {
        fluid_synth_write_float(s->synth, FLUID_BLOCK - rest, scratch, 0, 2, scratch, 1, 2);
        s->frames += (uint64_t)(FLUID_BLOCK - rest);
    }
}

/* Apply one event to a FluidSynth synth (fs may be NULL: nothing sounds). */
static void synth_apply(fluid_synth_t *fs, const AudioEvent *ev)
{
    int ch = ev->chan;
    if (!fs)
        return;
    if (ch > 15 && !(ch == AUDIO_ALL_CHANNELS &&
                     (ev->type == AUDIO_EV_NOTES_OFF || ev->type == AUDIO_EV_SOUND_OFF ||
                      ev->type == AUDIO_EV_GAIN)))
        return;
    switch ((AudioEvType)ev->type) {
    case AUDIO_EV_NOTE_ON:
        if (ev->d1 < 128)
            fluid_synth_noteon(fs, ch, ev->d1, ev->d2 > 127 ? 127 : ev->d2);
        break;
    case AUDIO_EV_NOTE_OFF:
        if (ev->d1 < 128)
            fluid_synth_noteoff(fs, ch, ev->d1);
        break;
    case AUDIO_EV_PROGRAM:
        fluid_synth_program_change(fs, ch, ev->v.i & 127);
        break;
    case AUDIO_EV_CC:
        fluid_synth_cc(fs, ch, ev->d1 & 127, ev->d2 & 127);
        break;
    case AUDIO_EV_PITCH_BEND:
        fluid_synth_pitch_bend(fs, ch, ev->v.i < 0 ? 0 : ev->v.i > 16383 ? 16383 : ev->v.i);
        break;
    case AUDIO_EV_NOTES_OFF:
        fluid_synth_all_notes_off(fs, ch == AUDIO_ALL_CHANNELS ? -1 : ch);
        break;
    case AUDIO_EV_SOUND_OFF:
        fluid_synth_all_sounds_off(fs, ch == AUDIO_ALL_CHANNELS ? -1 : ch);
        break;
    case AUDIO_EV_GAIN:
        fluid_synth_set_gain(fs, ev->v.f < 0 ? 0.0f : ev->v.f > 10 ? 10.0f : ev->v.f);
        break;
    case AUDIO_EV_START:
    case AUDIO_EV_CLEAR:
        break;
    }
}

int audio_event_rank(const AudioEvent *ev)
{
    switch ((AudioEvType)ev->type) {
    case AUDIO_EV_NOTE_OFF:
    case AUDIO_EV_NOTES_OFF:
    case AUDIO_EV_SOUND_OFF:
        return 0;
    case AUDIO_EV_NOTE_ON:
        return 2;
    default:
        return 1;
    }
}

/* ---- background loading ------------------------------------------------ */

struct AudioLoad {
    pthread_t thread;
    AudioSynthOpts opts;
    char *path;
    AudioSynth *synth;
    ReelError err;
    ReelStatus status;
    _Atomic bool done;
};

static void *load_main(void *arg)
{
    AudioLoad *l = arg;
    l->status = audio_synth_new(&l->synth, &l->opts, &l->err);
    atomic_store_explicit(&l->done, true, memory_order_release);
    return NULL;
}

ReelStatus audio_load_start(AudioLoad **out, const AudioSynthOpts *o, ReelError *err)
{
    AudioLoad *l;
    if (!out)
        return reel_fail(err, REEL_EARG, "audio_load_start: no result pointer");
    *out = NULL;
    if (!o || !o->soundfont)
        return reel_fail(err, REEL_EARG, "no soundfont given");
    audio_log_capture();
    if (!(l = calloc(1, sizeof *l)) || !(l->path = strdup(o->soundfont))) {
        free(l);
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    }
    l->opts = *o;
    l->opts.soundfont = l->path;
    if (pthread_create(&l->thread, NULL, load_main, l) != 0) {
        free(l->path);
        free(l);
        return reel_fail(err, REEL_ENOMEM, "cannot start a thread to load the soundfont");
    }
    *out = l;
    return REEL_OK;
}

bool audio_load_done(const AudioLoad *l)
{
    return l && atomic_load_explicit(&l->done, memory_order_acquire);
}

ReelStatus audio_load_finish(AudioLoad *l, AudioSynth **out, ReelError *err)
{
    ReelStatus st;
    if (out)
        *out = NULL;
    if (!l)
        return reel_fail(err, REEL_EARG, "audio_load_finish: no load");
    pthread_join(l->thread, NULL);
    st = l->status;
    if (st != REEL_OK) {
        if (err)
            *err = l->err;
    } else if (out) {
        *out = l->synth;
    } else {
        audio_synth_free(l->synth);
    }
    free(l->path);
    free(l);
    return st;
}

/* =====================================================================
 * Rings and the heap
 * ===================================================================== */

typedef struct {
    _Alignas(64) _Atomic uint64_t head;   /* published: the consumer reads up to here */
    _Alignas(64) _Atomic uint64_t tail;   /* next slot the consumer reads */
    _Alignas(64) AudioEvent *buf;         /* RING_SIZE events */
    uint64_t wpos;                        /* producer's: next slot it fills */
    int held;                             /* producer's: > 0 while a batch is being written */
} Ring;

static bool ring_push(Ring *r, const AudioEvent *ev)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (r->wpos - t >= RING_SIZE)
        return false;
    r->buf[r->wpos & (RING_SIZE - 1)] = *ev;
    r->wpos++;
    if (!r->held)
        atomic_store_explicit(&r->head, r->wpos, memory_order_release);
    return true;
}

static bool ring_pop(Ring *r, AudioEvent *ev)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    if (t == h)
        return false;
    *ev = r->buf[t & (RING_SIZE - 1)];
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return true;
}

typedef struct {
    AudioEvent ev;            /* frame is absolute (engine frames) here */
    uint64_t seq;             /* arrival order, the last tie-break */
} HeapItem;

static bool heap_less(const HeapItem *a, const HeapItem *b)
{
    int ra, rb;
    if (a->ev.frame != b->ev.frame)
        return a->ev.frame < b->ev.frame;
    ra = audio_event_rank(&a->ev);
    rb = audio_event_rank(&b->ev);
    if (ra != rb)
        return ra < rb;
    return a->seq < b->seq;
}

static void heap_down(HeapItem *h, uint32_t n, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        HeapItem tmp;
        if (l < n && heap_less(&h[l], &h[m]))
            m = l;
        if (r < n && heap_less(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

static void heap_push(HeapItem *h, uint32_t *n, const HeapItem *it)
{
    uint32_t i = (*n)++;
    h[i] = *it;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        HeapItem tmp;
        if (!heap_less(&h[i], &h[p]))
            break;
        tmp = h[i];
        h[i] = h[p];
        h[p] = tmp;
        i = p;
    }
}

static void heap_pop(HeapItem *h, uint32_t *n)
{
    h[0] = h[--*n];
    heap_down(h, *n, 0);
}

/* Drop items with frame >= from; returns how many. */
static uint32_t heap_drop_from(HeapItem *h, uint32_t *n, uint64_t from)
{
    uint32_t k = 0, dropped;
    for (uint32_t i = 0; i < *n; i++)
        if (h[i].ev.frame < from)
            h[k++] = h[i];
    dropped = *n - k;
    *n = k;
    for (uint32_t i = k / 2; i-- > 0;)
        heap_down(h, k, i);
    return dropped;
}

/* =====================================================================
 * The engine
 * ===================================================================== */

struct AudioEngine {
    Ring ring[AUDIO_PORTS];

    /* Owned by the callback (or the silent clock). */
    HeapItem *heap;
    uint32_t heap_n;
    uint64_t cb_frames;       /* frames rendered */
    uint64_t origin;          /* of the sequence port */
    uint64_t arrivals;
    uint64_t done_local[AUDIO_PORTS];
    AudioSynth *cur;          /* the synth being played */
    uint64_t grid0;           /* engine frame where cur's block edges start */
    int program[16];          /* last program per channel, -1: none */
    float gain;               /* last gain, < 0: none */
    float scratch[2 * FLUID_BLOCK];
    uint64_t late_local;

    /* Shared with the other threads. */
    _Atomic(AudioSynth *) pending;   /* handed over, not yet picked up */
    _Atomic(AudioSynth *) retired;   /* replaced, to be freed outside the callback */
    _Atomic uint64_t frames;
    _Atomic uint64_t origin_packed;  /* 0: none; else (origin + 1) << 16 | session & 0xffff */
    _Atomic uint64_t done[AUDIO_PORTS];
    _Atomic int voices;
    _Atomic bool has_synth;

    /* Figures: written by the callback, read by anyone. */
    _Atomic bool st_reset;
    _Atomic uint64_t st_callbacks, st_frames, st_sum_ns, st_max_ns, st_underruns, st_late;
    _Atomic int st_max_voices;
    _Atomic uint32_t st_hist[HIST_BINS];

    /* Device. */
    PaStream *stream;
    bool pa_up;
    bool has_output;
    int rate;
    uint32_t latency_frames;
    char device[256];

    /* Silent clock. */
    pthread_t clock;
    bool clock_running;
    _Atomic bool clock_quit;

    /* A device that goes away (audio_engine_check) and comes back
     * (audio_engine_reopen); a crash (audio_engine_crash_silence). */
    _Atomic bool lost;               /* the stream ended by itself */
    /* The callback's own pace (its thread only): an output that takes
     * frames far faster than real time is a file or null sink, not a
     * device, and its thread gives up real-time priority. */
    uint64_t pace_ns, pace_frames;
    bool pace_checked;
    _Atomic bool unpaced;
    _Atomic bool closing;            /* reel stops the stream: its end is no loss */
    _Atomic bool mute;               /* the callback writes silence */
    _Atomic int notify_fd;           /* a byte is written here when the stream ends by itself */
    char want_device[160];           /* the options, kept for reopening */
    unsigned long buffer;
    double latency_req;
    bool normal_priority;
    uint64_t seen_frames, seen_ns;   /* the frame clock when audio_engine_check saw it move */
    uint64_t checked_ns;             /* audio_engine_check's last look */
};

/* The engine frame at which an event for frame f is applied: the nearest
 * block edge of the synth being played. */
static uint64_t engine_grid(const AudioEngine *e, uint64_t f)
{
    if (!e->cur || f < e->grid0)
        return f;
    return e->grid0 + (f - e->grid0 + FLUID_BLOCK / 2) / FLUID_BLOCK * FLUID_BLOCK;
}

static void engine_apply(AudioEngine *e, fluid_synth_t *fs, const AudioEvent *ev)
{
    if (ev->type == AUDIO_EV_PROGRAM && ev->chan < 16)
        e->program[ev->chan] = ev->v.i & 127;
    else if (ev->type == AUDIO_EV_GAIN)
        e->gain = ev->v.f;
    synth_apply(fs, ev);
}

static void engine_take_synth(AudioEngine *e, uint64_t start)
{
    AudioSynth *s;
    if (!atomic_load_explicit(&e->pending, memory_order_acquire) ||
        atomic_load_explicit(&e->retired, memory_order_acquire))
        return;
    s = atomic_exchange_explicit(&e->pending, NULL, memory_order_acq_rel);
    if (!s)
        return;
    if (e->cur)
        atomic_store_explicit(&e->retired, e->cur, memory_order_release);
    e->cur = s;
    synth_align(s, e->scratch);
    e->grid0 = start;
    for (int ch = 0; ch < 16; ch++)
        if (e->program[ch] >= 0)
            fluid_synth_program_change(s->synth, ch, e->program[ch]);
    if (e->gain >= 0)
        fluid_synth_set_gain(s->synth, e->gain);
    atomic_store_explicit(&e->has_synth, true, memory_order_release);
}

/* Move sequence events into the heap (control events act at once). */
static void engine_drain(AudioEngine *e, fluid_synth_t *fs, uint64_t start)
{
    AudioEvent ev;
    while (e->heap_n < HEAP_SIZE && ring_pop(&e->ring[AUDIO_PORT_SEQ], &ev)) {
        HeapItem it;
        switch (ev.type) {
        case AUDIO_EV_START:
            /* The first block edge at or after the buffer start. */
            e->origin = start;
            if (e->cur && start > e->grid0)
                e->origin = e->grid0 + (start - e->grid0 + FLUID_BLOCK - 1) / FLUID_BLOCK *
                                           FLUID_BLOCK;
            atomic_store_explicit(&e->origin_packed,
                                  (e->origin + 1) << 16 | ((uint64_t)ev.v.i & 0xffff),
                                  memory_order_release);
            e->done_local[AUDIO_PORT_SEQ]++;
            continue;
        case AUDIO_EV_CLEAR:
            if (ev.flags & AUDIO_EVF_ALL) {
                e->done_local[AUDIO_PORT_SEQ] += e->heap_n;
                e->heap_n = 0;
            } else {
                e->done_local[AUDIO_PORT_SEQ] +=
                    heap_drop_from(e->heap, &e->heap_n, e->origin + ev.frame);
            }
            e->done_local[AUDIO_PORT_SEQ]++;
            continue;
        default:
            break;
        }
        if (ev.flags & AUDIO_EVF_NOW) {
            engine_apply(e, fs, &ev);
            e->done_local[AUDIO_PORT_SEQ]++;
            continue;
        }
        it.ev = ev;
        it.ev.frame += e->origin;
        it.seq = e->arrivals++;
        heap_push(e->heap, &e->heap_n, &it);
    }
}

static void engine_render(AudioEngine *e, float *out, uint64_t from, uint64_t to)
{
    if (!out || to <= from)
        return;
    if (e->cur) {
        fluid_synth_write_float(e->cur->synth, (int)(to - from), out, (int)(2 * from), 2, out,
                                (int)(2 * from + 1), 2);
        e->cur->frames += to - from;
    } else {
        memset(out + 2 * from, 0, (size_t)(to - from) * 2 * sizeof *out);
    }
}

static void engine_stats_clear(AudioEngine *e)
{
    atomic_store_explicit(&e->st_callbacks, 0, memory_order_relaxed);
    atomic_store_explicit(&e->st_frames, 0, memory_order_relaxed);
    atomic_store_explicit(&e->st_sum_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&e->st_max_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&e->st_underruns, 0, memory_order_relaxed);
    atomic_store_explicit(&e->st_late, 0, memory_order_relaxed);
    atomic_store_explicit(&e->st_max_voices, 0, memory_order_relaxed);
    for (int i = 0; i < HIST_BINS; i++)
        atomic_store_explicit(&e->st_hist[i], 0, memory_order_relaxed);
}

/* One buffer: out is n interleaved stereo frames, or NULL for the silent
 * clock (events are taken in time, nothing is rendered). */
static void engine_process(AudioEngine *e, float *out, uint64_t n)
{
    uint64_t t0 = out ? now_ns() : 0;
    uint64_t start = e->cb_frames, end = start + n, pos = 0;
    fluid_synth_t *fs;
    AudioEvent ev;
    int voices = 0;

    if (atomic_load_explicit(&e->st_reset, memory_order_acquire)) {
        engine_stats_clear(e);
        atomic_store_explicit(&e->st_reset, false, memory_order_release);
    }
    engine_take_synth(e, start);
    fs = out && e->cur ? e->cur->synth : NULL;

    while (ring_pop(&e->ring[AUDIO_PORT_LIVE], &ev)) {
        engine_apply(e, fs, &ev);
        e->done_local[AUDIO_PORT_LIVE]++;
    }
    engine_drain(e, fs, start);

    while (e->heap_n) {
        HeapItem *top = &e->heap[0];
        uint64_t at = engine_grid(e, top->ev.frame);
        if (at >= end)
            break;
        if (at < start) {
            e->late_local++;
            at = start;
        }
        if (at < start + pos)
            at = start + pos;
        engine_render(e, out, pos, at - start);
        pos = at - start;
        engine_apply(e, fs, &top->ev);
        heap_pop(e->heap, &e->heap_n);
        e->done_local[AUDIO_PORT_SEQ]++;
    }
    engine_render(e, out, pos, n);
    if (out && atomic_load_explicit(&e->mute, memory_order_relaxed))
        memset(out, 0, (size_t)n * 2 * sizeof *out);

    e->cb_frames = end;
    if (fs)
        voices = fluid_synth_get_active_voice_count(fs);
    atomic_store_explicit(&e->voices, voices, memory_order_relaxed);
    for (int p = 0; p < AUDIO_PORTS; p++)
        atomic_store_explicit(&e->done[p], e->done_local[p], memory_order_release);
    atomic_store_explicit(&e->st_late, e->late_local, memory_order_relaxed);
    atomic_store_explicit(&e->frames, end, memory_order_release);

    if (out) {
        uint64_t d = now_ns() - t0;
        uint64_t bin = d / HIST_BIN_NS;
        atomic_fetch_add_explicit(&e->st_hist[bin < HIST_BINS ? bin : HIST_BINS - 1], 1,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&e->st_callbacks, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&e->st_frames, n, memory_order_relaxed);
        atomic_fetch_add_explicit(&e->st_sum_ns, d, memory_order_relaxed);
        if (d > atomic_load_explicit(&e->st_max_ns, memory_order_relaxed))
            atomic_store_explicit(&e->st_max_ns, d, memory_order_relaxed);
        if (voices > atomic_load_explicit(&e->st_max_voices, memory_order_relaxed))
            atomic_store_explicit(&e->st_max_voices, voices, memory_order_relaxed);
    }
}

/* A sink with no clock of its own (ALSA's null or file plugin) calls back
 * as fast as the CPU allows.  At real-time priority (SCHED_FIFO, asked for
 * every ALSA stream) such a thread would take a whole core from the rest of
 * the process: the soundfont loader and the player, waiting on that core,
 * ran seconds late.  After 0.2 s of wall time, an output that took more than
 * UNPACED_SPEED times real time goes back to normal scheduling. */
#define UNPACED_SPEED 4
static void pace_check(AudioEngine *e)
{
    uint64_t t = now_ns(), f = e->cb_frames;
    if (!e->pace_ns) {
        e->pace_ns = t;
        e->pace_frames = f;
        return;
    }
    if (t - e->pace_ns < 200000000u)
        return;
    e->pace_checked = true;
    if ((double)(f - e->pace_frames) / e->rate > UNPACED_SPEED * (double)(t - e->pace_ns) / 1e9) {
        struct sched_param sp;
        memset(&sp, 0, sizeof sp);
        pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
        atomic_store_explicit(&e->unpaced, true, memory_order_release);
    }
}

static int pa_callback(const void *input, void *output, unsigned long n,
                       const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags flags,
                       void *user)
{
    AudioEngine *e = user;
    (void)input;
    (void)time_info;
    if (flags & paOutputUnderflow)
        atomic_fetch_add_explicit(&e->st_underruns, 1, memory_order_relaxed);
    engine_process(e, output, n);
    if (!e->pace_checked)
        pace_check(e);
    return paContinue;
}

/* PortAudio's thread, when the stream has ended: by Pa_StopStream (closing
 * is set), or by itself after a device error. */
static void pa_finished(void *user)
{
    AudioEngine *e = user;
    int fd;
    char c = 'a';
    if (atomic_load_explicit(&e->closing, memory_order_acquire))
        return;
    atomic_store_explicit(&e->lost, true, memory_order_release);
    if ((fd = atomic_load_explicit(&e->notify_fd, memory_order_acquire)) >= 0) {
        ssize_t r = write(fd, &c, 1);
        (void)r;
    }
}

/* The silent clock: takes events at the pace of real time, 10 ms at a time. */
static void *clock_main(void *arg)
{
    AudioEngine *e = arg;
    uint64_t chunk = (uint64_t)e->rate / 100, period = chunk * 1000000000u / (uint64_t)e->rate;
    uint64_t next = now_ns();
    while (!atomic_load_explicit(&e->clock_quit, memory_order_acquire)) {
        struct timespec ts;
        uint64_t now;
        engine_process(e, NULL, chunk);
        next += period;
        now = now_ns();
        if (next + 1000000000u < now)
            next = now;             /* a second behind (suspended?): do not race */
        ts.tv_sec = (time_t)(next / 1000000000u);
        ts.tv_nsec = (long)(next % 1000000000u);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        }
    }
    return NULL;
}

static const char *pa_error_text(PaError pe, char *buf, size_t size)
{
    const PaHostErrorInfo *hi = pe == paUnanticipatedHostError ? Pa_GetLastHostErrorInfo() : NULL;
    if (hi && hi->errorText && *hi->errorText)
        snprintf(buf, size, "%s: %s", Pa_GetErrorText(pe), hi->errorText);
    else
        snprintf(buf, size, "%s", Pa_GetErrorText(pe));
    return buf;
}

static void engine_free(AudioEngine *e)
{
    if (!e)
        return;
    audio_synth_free(e->cur);
    audio_synth_free(atomic_load(&e->pending));
    audio_synth_free(atomic_load(&e->retired));
    for (int p = 0; p < AUDIO_PORTS; p++)
        free(e->ring[p].buf);
    free(e->heap);
    free(e);
}

/* No device: say why and run the silent clock. */
static ReelStatus engine_go_silent(AudioEngine *e, const char *why, ReelError *err)
{
    if (why != e->device)
        snprintf(e->device, sizeof e->device, "%s", why);
    e->has_output = false;
    e->latency_frames = 0;
    if (e->pa_up) {
        Pa_Terminate();
        e->pa_up = false;
    }
    if (pthread_create(&e->clock, NULL, clock_main, e) != 0)
        return reel_fail(err, REEL_ENOMEM, "cannot start the audio clock thread");
    e->clock_running = true;
    return REEL_OK;
}

static PaDeviceIndex pick_device(const char *want)
{
    int n = Pa_GetDeviceCount();
    if (!want || !*want)
        return Pa_GetDefaultOutputDevice();
    for (int i = 0; i < n; i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        if (d && d->maxOutputChannels > 0 && d->name && strstr(d->name, want))
            return i;
    }
    return paNoDevice;
}

/* Open the output (e->want_device, else the default) and start the stream.
 * any_rate: the device's own rate when it refuses e->rate (at open; a
 * reopen needs the rate the synth runs at).  False, with why, when there is
 * no device or it fails; PortAudio is then terminated again. */
static bool engine_start_stream(AudioEngine *e, bool any_rate, char *why, size_t why_size)
{
    PaStreamParameters par;
    const PaDeviceInfo *info;
    const PaHostApiInfo *host;
    const PaStreamInfo *si;
    PaDeviceIndex dev;
    PaError pe;
    char pa_msg[160];
    double rate;
    const char *want = e->want_device[0] ? e->want_device : NULL;

    if ((pe = Pa_Initialize()) != paNoError) {
        snprintf(why, why_size, "PortAudio did not start: %s",
                 pa_error_text(pe, pa_msg, sizeof pa_msg));
        return false;
    }
    e->pa_up = true;
    dev = pick_device(want);
    if (dev == paNoDevice || !(info = Pa_GetDeviceInfo(dev)) || info->maxOutputChannels < 1) {
        if (want)
            snprintf(why, why_size, "no output device named like '%s'", want);
        else
            snprintf(why, why_size, "no output device");
        goto fail;
    }
    if (info->maxOutputChannels < 2) {
        snprintf(why, why_size, "%s has one channel; reel plays stereo", info->name);
        goto fail;
    }
    memset(&par, 0, sizeof par);
    par.device = dev;
    par.channelCount = 2;
    par.sampleFormat = paFloat32;
    par.suggestedLatency = e->latency_req > 0 ? e->latency_req
                           : info->defaultLowOutputLatency > 0.02 ? info->defaultLowOutputLatency
                                                                 : 0.02;
    rate = e->rate;
    if (Pa_IsFormatSupported(NULL, &par, rate) != paFormatIsSupported) {
        rate = info->defaultSampleRate;
        if (!any_rate || rate < 8000 || rate > 96000 ||
            Pa_IsFormatSupported(NULL, &par, rate) != paFormatIsSupported) {
            snprintf(why, why_size, "%s takes neither %d Hz nor its own rate, stereo float",
                     info->name, e->rate);
            goto fail;
        }
    }
    atomic_store_explicit(&e->closing, false, memory_order_release);
    atomic_store_explicit(&e->lost, false, memory_order_release);
    e->pace_ns = e->pace_frames = 0;
    e->pace_checked = false;
    atomic_store_explicit(&e->unpaced, false, memory_order_release);
    pe = Pa_OpenStream(&e->stream, NULL, &par, rate, e->buffer,
                       paPrimeOutputBuffersUsingStreamCallback, pa_callback, e);
    host = Pa_GetHostApiInfo(info->hostApi);
    /* ALSA's callback thread at real-time priority (SCHED_FIFO) when the
     * system allows it (PortAudio goes on without it otherwise): other
     * processes then cannot delay the callback. */
    if (pe == paNoError && !e->normal_priority && host && host->type == paALSA)
        PaAlsa_EnableRealtimeScheduling(e->stream, 1);
    if (pe == paNoError)
        Pa_SetStreamFinishedCallback(e->stream, pa_finished);
    if (pe == paNoError && (pe = Pa_StartStream(e->stream)) != paNoError) {
        atomic_store_explicit(&e->closing, true, memory_order_release);
        Pa_CloseStream(e->stream);
        e->stream = NULL;
    }
    if (pe != paNoError) {
        e->stream = NULL;
        snprintf(why, why_size, "%s: %s", info->name, pa_error_text(pe, pa_msg, sizeof pa_msg));
        goto fail;
    }
    si = Pa_GetStreamInfo(e->stream);
    if (si && si->sampleRate > 0)
        rate = si->sampleRate;
    e->rate = (int)(rate + 0.5);
    e->latency_frames = si ? (uint32_t)(si->outputLatency * rate + 0.5) : 0;
    snprintf(e->device, sizeof e->device, "%s: %s", host && host->name ? host->name : "?",
             info->name);
    e->has_output = true;
    e->seen_frames = atomic_load_explicit(&e->frames, memory_order_acquire);
    e->seen_ns = now_ns();
    return true;
fail:
    Pa_Terminate();
    e->pa_up = false;
    return false;
}

ReelStatus audio_engine_open(AudioEngine **out, const AudioEngineOpts *o, ReelError *err)
{
    static const AudioEngineOpts defaults = {.rate = 0};
    AudioEngine *e;
    char why[200];
    size_t size = (sizeof *e + 63) / 64 * 64;
    unsigned long buffer;
    ReelStatus st;

    if (!out)
        return reel_fail(err, REEL_EARG, "audio_engine_open: no result pointer");
    *out = NULL;
    if (!o)
        o = &defaults;
    if (o->rate && (o->rate < 8000 || o->rate > 96000))
        return reel_fail(err, REEL_EARG, "sample rate %d Hz: the range is 8000..96000", o->rate);
    if (o->buffer_frames && (o->buffer_frames < 16 || o->buffer_frames > 8192))
        return reel_fail(err, REEL_EARG, "buffer of %d frames: the range is 16..8192",
                         o->buffer_frames);
    if (!(o->latency >= 0 && o->latency <= 2))
        return reel_fail(err, REEL_EARG, "latency %g s: the range is 0..2", o->latency);
    audio_log_capture();

    if (!(e = aligned_alloc(64, size)))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    memset(e, 0, size);
    atomic_init(&e->pending, NULL);
    atomic_init(&e->retired, NULL);
    atomic_init(&e->notify_fd, -1);
    /* malloc + memset, not calloc: every page is touched now, so the
     * callback never takes a page fault on them. */
    for (int p = 0; p < AUDIO_PORTS; p++) {
        if (!(e->ring[p].buf = malloc(RING_SIZE * sizeof(AudioEvent)))) {
            engine_free(e);
            return reel_fail(err, REEL_ENOMEM, "out of memory");
        }
        memset(e->ring[p].buf, 0, RING_SIZE * sizeof(AudioEvent));
    }
    if (!(e->heap = malloc(HEAP_SIZE * sizeof(HeapItem)))) {
        engine_free(e);
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    }
    memset(e->heap, 0, HEAP_SIZE * sizeof(HeapItem));
    for (int ch = 0; ch < 16; ch++)
        e->program[ch] = -1;
    e->gain = -1;
    e->rate = o->rate ? o->rate : 48000;
    buffer = o->buffer_frames ? (unsigned long)o->buffer_frames : 256;

    if (o->manual) {
        snprintf(e->device, sizeof e->device, "manual clock (no device)");
        st = REEL_OK;
        goto done;
    }
    if (o->no_output) {
        st = engine_go_silent(e, "audio output turned off", err);
        goto done;
    }
    snprintf(e->want_device, sizeof e->want_device, "%s", o->device ? o->device : "");
    e->buffer = buffer;
    e->latency_req = o->latency;
    e->normal_priority = o->normal_priority;
    if (!engine_start_stream(e, true, why, sizeof why)) {
        st = engine_go_silent(e, why, err);
        goto done;
    }
    st = REEL_OK;
done:
    if (st != REEL_OK) {
        audio_engine_close(e);
        return st;
    }
    *out = e;
    return REEL_OK;
}

void audio_engine_close(AudioEngine *e)
{
    if (!e)
        return;
    atomic_store_explicit(&e->closing, true, memory_order_release);
    if (e->stream) {
        Pa_StopStream(e->stream);
        Pa_CloseStream(e->stream);
        e->stream = NULL;
    }
    if (e->pa_up) {
        Pa_Terminate();
        e->pa_up = false;
    }
    if (e->clock_running) {
        atomic_store_explicit(&e->clock_quit, true, memory_order_release);
        pthread_join(e->clock, NULL);
        e->clock_running = false;
    }
    engine_free(e);
}

void audio_engine_set_notify(AudioEngine *e, int fd)
{
    if (e)
        atomic_store_explicit(&e->notify_fd, fd, memory_order_release);
}

/* The stream is gone (or given up on): close it and run the silent clock
 * from the frame the callback reached, so the sequencer goes on. */
static void engine_drop_stream(AudioEngine *e, const char *why)
{
    char was[sizeof e->device];
    snprintf(was, sizeof was, "%s", e->device);
    atomic_store_explicit(&e->closing, true, memory_order_release);
    Pa_AbortStream(e->stream);
    Pa_CloseStream(e->stream);
    e->stream = NULL;
    snprintf(e->device, sizeof e->device, "%.120s lost (%.120s)", was, why);
    /* engine_go_silent terminates PortAudio and keeps e->device. */
    if (engine_go_silent(e, e->device, NULL) != REEL_OK) {
        e->has_output = false; /* no clock thread: the sequencer stands still */
    }
}

bool audio_engine_check(AudioEngine *e, bool expect_frames, char *why, size_t size)
{
    uint64_t f, t;
    const char *reason = NULL;
    if (!e || !e->stream)
        return false;
    f = atomic_load_explicit(&e->frames, memory_order_acquire);
    t = now_ns();
    /* Looks far apart (the owner was busy, or the process stopped and went
     * on): no verdict on the time between them. */
    if (t - e->checked_ns > 500000000u)
        e->seen_ns = t;
    e->checked_ns = t;
    if (atomic_load_explicit(&e->lost, memory_order_acquire) || Pa_IsStreamActive(e->stream) != 1)
        reason = "the stream stopped with an error";
    else if (f != e->seen_frames || !expect_frames) {
        e->seen_frames = f;
        e->seen_ns = t;
    } else if (t - e->seen_ns > AUDIO_STALL_SEC * 1000000000ull) {
        reason = "no sound rendered for " AUDIO_STALL_TEXT " seconds";
    }
    if (!reason)
        return false;
    engine_drop_stream(e, reason);
    if (why)
        snprintf(why, size, "%s", e->device);
    return true;
}

ReelStatus audio_engine_reopen(AudioEngine *e, ReelError *err)
{
    char why[200];
    if (!e)
        return reel_fail(err, REEL_EARG, "audio_engine_reopen: no engine");
    if (e->stream)
        return REEL_OK;
    if (!e->clock_running)
        return reel_fail(err, REEL_EARG, "this engine has no device to reopen");
    atomic_store_explicit(&e->clock_quit, true, memory_order_release);
    pthread_join(e->clock, NULL);
    e->clock_running = false;
    atomic_store_explicit(&e->clock_quit, false, memory_order_release);
    /* No thread renders now: what sounded when the device went stays silent. */
    if (e->cur)
        fluid_synth_all_sounds_off(e->cur->synth, -1);
    if (engine_start_stream(e, false, why, sizeof why))
        return REEL_OK;
    engine_go_silent(e, e->device, NULL);
    return reel_fail(err, REEL_EIO, "%s", why);
}

void audio_engine_crash_silence(AudioEngine *e)
{
    struct timespec ts = {0, 2000000}, now;
    uint64_t want, start_ms;
    if (!e)
        return;
    atomic_store_explicit(&e->mute, true, memory_order_relaxed);
    if (!e->stream)
        return;
    /* Until the device's buffer holds only silence, 100 ms at most (the
     * crash may be in the callback's thread itself: then nothing moves). */
    want = atomic_load_explicit(&e->frames, memory_order_relaxed) + 2 * e->latency_frames +
           2 * e->buffer;
    clock_gettime(CLOCK_MONOTONIC, &now);
    start_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    while (atomic_load_explicit(&e->frames, memory_order_relaxed) < want) {
        nanosleep(&ts, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000 > start_ms + 100)
            break;
    }
}

void audio_engine_pull(AudioEngine *e, float *out, size_t n)
{
    if (!e || e->stream || e->clock_running)
        return;
    while (n > 0) {
        size_t k = n < 8192 ? n : 8192;
        engine_process(e, out, k);
        if (out)
            out += 2 * k;
        n -= k;
    }
}

bool audio_engine_has_output(const AudioEngine *e)
{
    return e && e->has_output;
}

const char *audio_engine_device(const AudioEngine *e)
{
    return e ? e->device : "";
}

int audio_engine_rate(const AudioEngine *e)
{
    return e ? e->rate : 0;
}

uint32_t audio_engine_latency_frames(const AudioEngine *e)
{
    return e ? e->latency_frames : 0;
}

ReelStatus audio_engine_set_synth(AudioEngine *e, AudioSynth *s, ReelError *err)
{
    AudioSynth *old;
    if (!e || !s)
        return reel_fail(err, REEL_EARG, "audio_engine_set_synth: no engine or synth");
    if (s->rate != e->rate)
        return reel_fail(err, REEL_EARG, "the synth runs at %d Hz, the output at %d Hz", s->rate,
                         e->rate);
    audio_synth_free(atomic_exchange_explicit(&e->retired, NULL, memory_order_acq_rel));
    old = atomic_exchange_explicit(&e->pending, s, memory_order_acq_rel);
    audio_synth_free(old);
    return REEL_OK;
}

bool audio_engine_has_synth(const AudioEngine *e)
{
    return e && atomic_load_explicit(&e->has_synth, memory_order_acquire);
}

bool audio_engine_send(AudioEngine *e, AudioPort port, const AudioEvent *ev)
{
    if (!e || !ev || (unsigned)port >= AUDIO_PORTS)
        return false;
    return ring_push(&e->ring[port], ev);
}

void audio_engine_hold(AudioEngine *e, AudioPort port)
{
    if (e && (unsigned)port < AUDIO_PORTS)
        e->ring[port].held++;
}

void audio_engine_release(AudioEngine *e, AudioPort port)
{
    Ring *r;
    if (!e || (unsigned)port >= AUDIO_PORTS || e->ring[port].held <= 0)
        return;
    r = &e->ring[port];
    if (--r->held == 0)
        atomic_store_explicit(&r->head, r->wpos, memory_order_release);
}

uint64_t audio_engine_frames(const AudioEngine *e)
{
    return e ? atomic_load_explicit(&e->frames, memory_order_acquire) : 0;
}

uint64_t audio_engine_done(const AudioEngine *e, AudioPort port)
{
    if (!e || (unsigned)port >= AUDIO_PORTS)
        return 0;
    return atomic_load_explicit(&e->done[port], memory_order_acquire);
}

bool audio_engine_origin(const AudioEngine *e, uint64_t *frame, int32_t *session)
{
    uint64_t v = e ? atomic_load_explicit(&e->origin_packed,
                                          memory_order_acquire)
                   : 0;
    if (!v)
        return false;
    if (frame)
        *frame = (v >> 16) - 1;
    if (session)
        *session = (int32_t)(v & 0xffff);
    return true;
}

int audio_engine_voices(const AudioEngine *e)
{
    return e ? atomic_load_explicit(&e->voices, memory_order_relaxed) : 0;
}

bool audio_engine_unpaced(const AudioEngine *e)
{
    return e && atomic_load_explicit(&e->unpaced, memory_order_acquire);
}

void audio_engine_stats(const AudioEngine *e, AudioStats *st)
{
    const AudioEngine *m = e;
    uint64_t n, acc = 0, want;
    memset(st, 0, sizeof *st);
    if (!e)
        return;
    n = atomic_load(&m->st_callbacks);
    st->callbacks = n;
    st->frames = atomic_load(&m->st_frames);
    st->underruns = atomic_load(&m->st_underruns);
    st->late_events = atomic_load(&m->st_late);
    st->max_voices = atomic_load(&m->st_max_voices);
    st->unpaced = atomic_load(&m->unpaced);
    st->max_ms = (double)atomic_load(&m->st_max_ns) / 1e6;
    st->mean_ms = n ? (double)atomic_load(&m->st_sum_ns) / 1e6 / (double)n : 0;
    want = (n * 99 + 99) / 100;
    for (int i = 0; i < HIST_BINS && n; i++) {
        acc += atomic_load(&m->st_hist[i]);
        if (acc >= want) {
            st->p99_ms = (double)(i + 1) * HIST_BIN_NS / 1e6;
            break;
        }
    }
    if (st->p99_ms > st->max_ms)
        st->p99_ms = st->max_ms;
}

void audio_engine_stats_reset(AudioEngine *e)
{
    if (e)
        atomic_store_explicit(&e->st_reset, true, memory_order_release);
}

int audio_list_devices(char *buf, size_t size)
{
    int n = 0;
    size_t len = 0;
    audio_log_capture();
    if (buf && size)
        buf[0] = '\0';
    if (Pa_Initialize() != paNoError)
        return 0;
    for (int i = 0; i < Pa_GetDeviceCount(); i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        const PaHostApiInfo *h = d ? Pa_GetHostApiInfo(d->hostApi) : NULL;
        if (!d || d->maxOutputChannels < 1)
            continue;
        n++;
        if (buf && len < size) {
            int w = snprintf(buf + len, size - len, "%s: %s (%d ch, %.0f Hz)%s\n",
                             h && h->name ? h->name : "?", d->name ? d->name : "?",
                             d->maxOutputChannels, d->defaultSampleRate,
                             i == Pa_GetDefaultOutputDevice() ? "  [default]" : "");
            len = w < 0 ? len : len + (size_t)w;
        }
    }
    Pa_Terminate();
    return n;
}

/* =====================================================================
 * Offline rendering
 * ===================================================================== */

ReelStatus audio_render_wav(AudioSynth *s, const AudioEvent *ev, size_t n,
                            const AudioRenderOpts *o, AudioRenderInfo *info, ReelError *err)
{
    fluid_file_renderer_t *r;
    FileAtomic out;
    const char *tmp;
    char msg[LOG_TEXT];
    float scratch[2 * FLUID_BLOCK];
    uint64_t frame = 0, last = 0, tail_max, quiet = 0, reverb, cursor, t0 = now_ns();
    size_t i = 0;
    struct stat stt;
    int bytes;
    double tail;
    ReelStatus st;

    if (info)
        memset(info, 0, sizeof *info);
    if (!s || !o || !o->path || !*o->path || (n && !ev))
        return reel_fail(err, REEL_EARG, "audio_render_wav: no synth, events or path");
    tail = o->tail > 0 ? o->tail : 5.0;
    if (!(tail <= 600))
        return reel_fail(err, REEL_EARG, "tail of %g s: at most 600", tail);
    for (size_t k = 1; k < n; k++)
        if (ev[k].frame < ev[k - 1].frame)
            return reel_fail(err, REEL_EARG, "audio_render_wav: events out of order at %zu", k);
    if (n)
        last = ev[n - 1].frame;
    tail_max = (uint64_t)(tail * s->rate);
    reverb = (uint64_t)(REVERB_TAIL * s->rate);
    bytes = o->float32 ? 4 : 2;

    if ((st = file_atomic_begin_named(&out, o->path, err)))
        return st;
    tmp = out.tmp;

    audio_log_capture();
    cursor = audio_log_end();
    fluid_settings_setstr(s->settings, "audio.file.name", tmp);
    fluid_settings_setstr(s->settings, "audio.file.type", "wav");
    fluid_settings_setstr(s->settings, "audio.file.format", o->float32 ? "float" : "s16");
    fluid_settings_setint(s->settings, "audio.period-size", FLUID_BLOCK);
    synth_align(s, scratch);
    if (!(r = new_fluid_file_renderer(s->synth))) {
        reel_fail(err, REEL_EIO, "%s: FluidSynth cannot write it (%s)", o->path,
                  log_last_since(cursor, msg, sizeof msg, "no reason given"));
        file_atomic_abort(&out);
        return REEL_EIO;
    }
    for (;;) {
        /* Events go in at the block edge nearest their frame, as live. */
        while (i < n && (ev[i].frame + FLUID_BLOCK / 2) / FLUID_BLOCK * FLUID_BLOCK <= frame)
            synth_apply(s->synth, &ev[i++]);
        if (i == n && frame >= last) {
            if (fluid_synth_get_active_voice_count(s->synth) == 0) {
                if (quiet >= reverb)
                    break;
                quiet += FLUID_BLOCK;
            } else {
                quiet = 0;
            }
            if (frame - last >= tail_max)
                break;
        }
        if (fluid_file_renderer_process_block(r) != FLUID_OK) {
            delete_fluid_file_renderer(r);
            reel_fail(err, REEL_EIO, "%s: writing failed (%s)", o->path,
                      log_last_since(cursor, msg, sizeof msg, "disk full?"));
            file_atomic_abort(&out);
            return REEL_EIO;
        }
        frame += FLUID_BLOCK;
        s->frames += FLUID_BLOCK;
    }
    delete_fluid_file_renderer(r);
    if (stat(tmp, &stt) != 0 || (uint64_t)stt.st_size < frame * 2 * (uint64_t)bytes) {
        reel_fail(err, REEL_EIO, "%s: writing failed (%s)", o->path,
                  log_last_since(cursor, msg, sizeof msg, "file short: disk full?"));
        file_atomic_abort(&out);
        return REEL_EIO;
    }
    if ((st = file_atomic_commit(&out, err)))
        return st;
    if (info) {
        info->frames = frame;
        info->seconds = (double)frame / s->rate;
        info->tail_seconds = frame > last ? (double)(frame - last) / s->rate : 0;
        info->wall_seconds = (double)(now_ns() - t0) / 1e9;
    }
    return REEL_OK;
}
