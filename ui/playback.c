/* playback.c — the transport and the player together: the song handed to
 * the player when it changed, play and stop, the playhead followed, and
 * record mode (a bar of count-in, then the notes played go into the song).
 * The state is transport.h's; the player is sound.h's.  No curses here.
 */
#include "studio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

double studio_step_sec(const Studio *s)
{
    double bpm = s->song.bpm > 0 ? s->song.bpm : 120;
    return 60.0 / bpm / TUNE_STEPS_PER_QUARTER;
}

void studio_apply_so(Studio *s)
{
    ReelError err;
    if (s->take.gc_ok && gc_set_opts(&s->take.gc, &s->take.so, &err))
        view_status(&s->view, 2, "%s", err.msg);
    s->view.dirty |= DIRTY_HEADER | DIRTY_PANEL;
}

void studio_player_meter(Studio *s)
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
    s->tp.player_num = s->song.num;
    s->tp.player_den = s->song.den;
    s->tp.player_version = s->song.version - 1;
}

void studio_sync_player(Studio *s)
{
    Note *v = NULL;
    int32_t n = 0;
    ReelError err;
    if (!s->snd_ok || s->tp.sample_playing)
        return;
    if (s->tp.player_num != s->song.num || s->tp.player_den != s->song.den)
        studio_player_meter(s);
    if (s->tp.player_version == s->song.version)
        return;
    if (song_all_notes(&s->song, &v, NULL, &n, &err) == REEL_OK) {
        player_set_notes(s->snd.p, 0, v, n, &err);
        free(v);
    }
    s->tp.player_version = s->song.version;
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
    player_set_loop(s->snd.p, s->tp.loop && !s->tp.continuous && !s->tp.recording, 0, 0);
    player_set_metronome(s->snd.p, s->tp.metronome || s->tp.recording);
    if (player_play(s->snd.p, from, &err)) {
        view_status(&s->view, 2, "%s", err.msg);
        return;
    }
    s->tp.playing = true;
    s->tp.playhead = from;
    s->tp.play_from = from;
    s->stats.play_origin = UINT64_MAX; /* filled in when the engine has started it */
    s->stats.play_from = from;
    s->stats.play_bpm = s->song.bpm;
    s->stats.play_rate = audio_engine_rate(s->snd.e);
    s->view.dirty |= DIRTY_HEADER | DIRTY_ROLL | DIRTY_PANEL;
}

void studio_stop(Studio *s)
{
    s->tp.play_pending = false;
    if (s->tp.recording || s->tp.counting_in)
        studio_record_finish(s);
    if (s->snd_ok) {
        player_stop(s->snd.p);
        snd_preview_stop(&s->snd);
    }
    s->tp.playing = false;
    s->view.dirty |= DIRTY_HEADER | DIRTY_ROLL | DIRTY_PANEL | DIRTY_FOOTER;
}

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

void studio_record_start(Studio *s)
{
    double beat_steps;
    int32_t max_dur;
    if (!s->snd_ok) {
        view_status(&s->view, 2, "no player: recording needs the audio engine");
        return;
    }
    studio_stop(s);
    s->tp.count_beats = beats_per_bar(s, &beat_steps);
    s->tp.count_beat = beat_steps * studio_step_sec(s);
    s->tp.count_t0 = now_sec() + 0.05;
    s->tp.count_done = 0;
    s->tp.counting_in = true;
    s->view.piano = true;
    max_dur = song_bar_steps(&s->song);
    if (max_dur < s->length)
        max_dur = s->length;
    rec_init(&s->tp.rec, s->song.cur.cursor, s->quantize, max_dur);
    s->tp.rec_metro_was = s->tp.metronome;
    set_guard(s, true);
    view_status(&s->view, 0, "recording from bar %ld after one bar of count-in: play on the piano "
                        "keys; a ends a note; Space or Esc stops",
                  (long)(s->song.cur.cursor / song_bar_steps(&s->song) + 1));
    s->view.dirty = DIRTY_ALL;
}

/* The step being heard (or, during the count-in, before the start). */
double studio_record_step(Studio *s)
{
    if (s->tp.counting_in) {
        double t_start = s->tp.count_t0 + s->tp.count_beats * s->tp.count_beat;
        return s->tp.rec.start - (t_start - now_sec()) / studio_step_sec(s);
    }
    if (s->snd_ok) {
        PlayerStatus st = player_status(s->snd.p);
        return st.step;
    }
    return s->tp.rec.start;
}

void studio_record_finish(Studio *s)
{
    ReelError err;
    bool was_counting = s->tp.counting_in;
    if (!s->tp.recording && !s->tp.counting_in)
        return;
    rec_stop(&s->tp.rec, was_counting ? s->tp.rec.start : studio_record_step(s));
    s->tp.recording = s->tp.counting_in = false;
    set_guard(s, false);
    if (s->snd_ok) {
        player_stop(s->snd.p);
        snd_preview_stop(&s->snd);
        player_set_metronome(s->snd.p, s->tp.rec_metro_was);
    }
    s->tp.playing = false;
    if (s->tp.rec.n > 0) {
        if (song_put_notes(&s->song, s->tp.rec.notes, s->tp.rec.n, s->tp.rec.start, s->tp.rec.end, &err))
            view_status(&s->view, 2, "%s", err.msg);
        else {
            char g[16];
            view_status(&s->view, 1, "recorded %d note%s, quantized to %s (u undoes)", (int)s->tp.rec.n,
                          s->tp.rec.n == 1 ? "" : "s", keys_value_name(s->tp.rec.grid, g, sizeof g));
        }
    } else {
        view_status(&s->view, 0, "recording stopped: no notes");
    }
    rec_free(&s->tp.rec);
    s->view.dirty = DIRTY_ALL;
}

void studio_poll_player(Studio *s)
{
    PlayerStatus st;
    if (!s->snd_ok || !s->tp.playing)
        return;
    st = player_status(s->snd.p);
    /* This play's own origin (the engine keeps the last start's; a poll
     * right after play could still see the one before). */
    if (s->stats.play_origin == UINT64_MAX && st.started)
        s->stats.play_origin = st.origin;
    if (!st.playing) {
        s->tp.playing = false;
        if (s->tp.recording)
            studio_record_finish(s);
        else if (!s->tp.sample_playing)
            view_status(&s->view, 0, "played to the end");
        s->view.dirty |= DIRTY_ALL;
        return;
    }
    if ((int64_t)floor(st.step) != (int64_t)floor(s->tp.playhead)) {
        s->view.dirty |= DIRTY_ROLL | DIRTY_PANEL | DIRTY_HEADER;
        if (!s->tp.sample_playing)
            view_follow(&s->view, st.step);
    }
    s->tp.playhead = st.step;
}
