/* takes.c — takes: a new one from the seed (g), its rows made in slices
 * between keys and written into the song's generated part, the bars not
 * heard yet drawn again when the options change or n asks, and continuous
 * mode's target ahead of the playhead.  The generator is take.h's; the
 * notes go into the song.  No curses here.
 */
#include "takes.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "genrequest.h"
#include "keyprofile.h"

bool takes_need_model(Studio *s)
{
    if (s->have_model && s->take.gc_ok)
        return true;
    view_status(&s->view, 2, "no model: o opens one (.reel), t trains one");
    return false;
}

/* Decode the take into the song's generated part. */
static void takes_decode(Studio *s)
{
    Tune out;
    GenSpan span;
    ReelError err;
    Note *v;
    int32_t n = 0;
    if (gc_decode(&s->take.gc, &out, &span, &err)) {
        view_status(&s->view, 2, "%s", err.msg);
        return;
    }
    v = out.notes ? out.notes + span.first_note : NULL;
    n = out.n_notes - span.first_note;
    /* The part before the take's start belongs to the seed. */
    while (n > 0 && v[0].onset < s->take.gc.start) {
        v++;
        n--;
    }
    if (song_set_gen(&s->song, v, n, s->take.gc.start, gc_time(&s->take.gc), &err))
        view_status(&s->view, 2, "%s", err.msg);
    s->take.version = s->song.version;
    tune_free(&out);
    s->view.dirty |= DIRTY_ROLL | DIRTY_PANEL | DIRTY_HEADER;
}

/* The model drew its end of the tune. */
static void takes_say_ended(Studio *s)
{
    int32_t t = gc_time(&s->take.gc), bar = song_bar_steps(&s->song);
    view_status(&s->view, 1, "the tune ended by itself in bar %d (the model's end of the tune); "
                "seed %" PRIu64 ", g makes another", (int)((t > 0 ? t - 1 : 0) / bar) + 1,
                s->take.seed);
}

/* Make rows for a while; decode when some came. */
void takes_pump(Studio *s, double budget)
{
    ReelError err;
    int32_t rows = 0;
    if (!take_live(&s->take, &s->song) || !gc_pending(&s->take.gc)) {
        s->take.generating = false;
        return;
    }
    s->take.generating = true;
    if (gc_work(&s->take.gc, budget, &rows, &err)) {
        view_status(&s->view, 2, "%s", err.msg);
        s->take.generating = false;
        return;
    }
    if (rows)
        takes_decode(s);
    if (!gc_pending(&s->take.gc)) {
        s->take.generating = false;
        if (s->take.gc.stalled)
            view_status(&s->view, 2, "the model stopped moving forward in time (at step %d)",
                          (int)gc_time(&s->take.gc));
        else if (gc_ended(&s->take.gc))
            takes_say_ended(s);
    }
}

int32_t takes_continuous_target(const Studio *s, double at)
{
    int32_t bar = song_bar_steps(&s->song);
    double ahead = 0.5 / studio_step_sec(s);
    int32_t want = song_bar_ceil(&s->song, (int32_t)ceil(at + bar + ahead));
    int32_t cap = STUDIO_MAX_BARS * bar;
    return want < cap ? want : cap;
}

/* A new take from the seed: asked of the worker (genwork.h), which primes
 * it with the seed and closes it or makes its first bars; takes_poll puts
 * it in the song.  Pressed again before it came, g asks again and the
 * older request is dropped. */
void takes_start(Studio *s, bool play)
{
    GwTake req;
    ReelError err;
    if (!takes_need_model(s))
        return;
    if (!s->take.gw_ok) {
        view_status(&s->view, 2, "no generation thread: the studio cannot make takes");
        return;
    }
    if (s->tp.recording || s->tp.counting_in)
        studio_record_finish(s);
    memset(&req, 0, sizeof req);
    if (song_seed_tune(&s->song, &req.seed, &err)) {
        view_status(&s->view, 2, "%s", err.msg);
        return;
    }
    if (!s->take.seed_locked)
        s->take.seed = take_fresh_seed();
    s->take.want_key = -1;
    if (enc_form(&s->model.enc) && s->model.enc.cond)
        s->take.want_key = genreq_key(&s->model, s->take.key_choice, &req.seed, s->take.seed);
    req.so = s->take.so;
    req.rng_seed = s->take.seed;
    req.key = s->take.want_key;
    /* g with a tune-event model: the take closed, as reel generate makes it */
    req.bars = s->tp.continuous ? 0 : s->take.bars;
    req.close = !s->tp.continuous;
    s->take.want_play = play;
    gw_take_request(&s->take.gw, &req);
    tune_free(&req.seed);
    s->take.generating = true;
    s->view.dirty |= DIRTY_HEADER;
}

/* The take the worker made: into the song, said and played as asked. */
static void takes_begin(Studio *s)
{
    ReelError err;
    int32_t from;
    s->take.key = s->take.want_key;
    if (s->tp.continuous)
        gc_set_target(&s->take.gc, takes_continuous_target(s, s->take.gc.start));
    else if (!gc_can_close(&s->take.gc))
        gc_set_target(&s->take.gc, gc_bars_end(&s->take.gc, s->take.bars));
    song_checkpoint(&s->song); /* u brings back what was there */
    song_set_gen(&s->song, NULL, 0, s->take.gc.start, s->take.gc.start, &err);
    s->take.version = s->song.version;
    s->take.edited = false;
    s->take.closed = !s->tp.continuous && gc_can_close(&s->take.gc);
    takes_decode(s);
    takes_pump(s, TAKES_FIRST_SEC);
    if (s->tp.continuous) {
        view_status(&s->view, 1, "continuous: generating a bar ahead of the playhead from %s, seed %"
                      PRIu64 " ([ ] change the temperature)",
                      s->song.cur.n_seed ? "the seed" : "silence", s->take.seed);
    } else {
        char msg[240], key[40] = "", name[8];
        if (s->take.key >= 0)
            snprintf(key, sizeof key, " in %s%s", keyprofile_name(s->take.key, name),
                     s->take.key_choice < 0 ? " (:key chooses)" : "");
        snprintf(msg, sizeof msg, "generated %d bar%s after the %s%s%s; seed %" PRIu64
                 " (k keeps, x discards, n redraws)", s->take.bars, s->take.bars == 1 ? "" : "s",
                 s->song.cur.n_seed ? "seed" : "silence", key,
                 s->take.closed ? ", closed" : "", s->take.seed);
        view_status(&s->view, 1, "%s", msg);
        if (!gc_pending(&s->take.gc) && gc_ended(&s->take.gc))
            takes_say_ended(s);
    }
    if (s->take.want_play) {
        int32_t bar = song_bar_steps(&s->song);
        from = s->take.gc.start > 0 ? song_bar_floor(&s->song, s->take.gc.start > bar ? s->take.gc.start - 1
                                                                             : 0)
                               : 0;
        if (s->take.gc.start - from > bar)
            from = song_bar_floor(&s->song, s->take.gc.start - bar);
        studio_stop(s);
        /* Play when the take is made (at once, mostly): a player that ran
         * ahead of the model would stop at the end of what it has. */
        if (gc_pending(&s->take.gc)) {
            s->tp.play_pending = true;
            s->tp.play_pending_from = from;
        } else {
            studio_play(s, from);
        }
    }
    s->view.dirty = DIRTY_ALL;
}

static void takes_poll(Studio *s)
{
    ReelStatus st;
    ReelError err;
    if (s->take.gw_ok && gw_fresh(&s->take.gw))
        s->view.dirty |= DIRTY_PANEL; /* the next-note chart's answer came */
    if (!s->take.gw_ok || !gw_take_collect(&s->take.gw, &s->take.gc, &st, &err))
        return;
    s->take.generating = false;
    s->view.dirty |= DIRTY_HEADER;
    if (st) {
        view_status(&s->view, 2, "the seed does not fit the model: %s", err.msg);
        return;
    }
    takes_begin(s);
}

/* The first step that may still change: the next bar line the listener has
 * not reached (with room for the output's latency and the player's margin). */
static int32_t takes_unheard_bar(const Studio *s)
{
    double margin = 0.08;
    if (s->snd_ok)
        margin += (double)audio_engine_latency_frames(s->snd.e) / audio_engine_rate(s->snd.e);
    return song_bar_ceil(&s->song, (int32_t)ceil(s->tp.playhead + margin / studio_step_sec(s)));
}

/* After gc_resample_from(at): the bar from `at` made again at once (a few
 * milliseconds), so the player never reaches the end of what it has; the
 * bars after it come in the next slices, between keys. */
static void takes_redraw_first_bar(Studio *s, int32_t at)
{
    ReelError err;
    int32_t target = s->take.gc.target, until = at + song_bar_steps(&s->song);
    gc_set_target(&s->take.gc, until < target ? until : target);
    while (gc_pending(&s->take.gc))
        if (gc_work(&s->take.gc, TAKES_FIRST_SEC, NULL, &err)) {
            view_status(&s->view, 2, "%s", err.msg);
            break;
        }
    gc_set_target(&s->take.gc, target);
    takes_decode(s);
    studio_sync_player(s);
}

/* The sampling options changed: while a take plays, draw again the bars
 * not heard yet (once a turn, however many keys asked). */
void takes_options_changed(Studio *s, const char *what)
{
    studio_apply_so(s);
    snprintf(s->take.opts_what, sizeof s->take.opts_what, "%s", what);
    s->take.opts_changed = true;
}

static void options_redraw(Studio *s, const char *what)
{
    ReelError err;
    if (s->tp.playing && take_live(&s->take, &s->song)) {
        int32_t at = gc_resample_from(&s->take.gc, takes_unheard_bar(s), &err);
        if (at >= 0) {
            takes_redraw_first_bar(s, at);
            view_status(&s->view, 0, "%s: bars from %ld on drawn again", what,
                          (long)(at / song_bar_steps(&s->song) + 1));
            return;
        }
    }
    view_status(&s->view, 0, "%s%s", what,
                  take_live(&s->take, &s->song) && !s->tp.playing ? " (for the next take: g, or n to redraw)" : "");
}

void takes_redraw(Studio *s)
{
    s->take.redraw_asked = true;
}

/* n: the bars not heard yet (all of the take when stopped) with a new
 * random stream. */
static void redraw_now(Studio *s)
{
    ReelError err;
    int32_t at;
    uint64_t r;
    if (!takes_need_model(s))
        return;
    if (!take_live(&s->take, &s->song) || !song_has_gen(&s->song)) {
        takes_start(s, true);
        return;
    }
    if (!s->tp.playing)
        song_checkpoint(&s->song);
    at = gc_resample_from(&s->take.gc, s->tp.playing ? takes_unheard_bar(s) : s->take.gc.start, &err);
    if (at < 0) {
        view_status(&s->view, 0, "nothing generated after the playhead yet");
        return;
    }
    r = take_fresh_seed();
    gen_reseed(s->take.gc.g, r);
    s->take.edited = true;
    takes_redraw_first_bar(s, at);
    if (!s->tp.playing)
        studio_play(s, song_bar_floor(&s->song, at > 0 ? at - 1 : 0));
    view_status(&s->view, 1, "bars from %ld on drawn again (stream %" PRIu64 ")",
                  (long)(at / song_bar_steps(&s->song) + 1), r);
}

void takes_tick(Studio *s)
{
    char what[sizeof s->take.opts_what];
    takes_poll(s);
    if (s->take.opts_changed) {
        s->take.opts_changed = false;
        snprintf(what, sizeof what, "%s", s->take.opts_what);
        options_redraw(s, what);
    }
    if (s->take.redraw_asked) {
        s->take.redraw_asked = false;
        redraw_now(s);
    }
}
