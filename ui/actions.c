/* actions.c — what each key does in the studio view: one small function
 * per action (keys.h names them), found in a table by the action.  The
 * training view's keys are train_view.c's.
 */
#include "actions.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "takes.h"

#define NCURSES_WIDECHAR 1
#include <curses.h>

/* ---- typing ------------------------------------------------------------------------ */

static void type_note(Studio *s, int ch)
{
    ReelError err;
    int pitch = (s->octave + 1) * 12 + keys_piano_offset(ch);
    char name[8], val[16];
    double now = now_sec();
    if (pitch < 0 || pitch > 127) {
        view_status(&s->view, 2, "out of MIDI's range: < and > move the octave");
        return;
    }
    if (s->tp.recording || s->tp.counting_in) {
        if (s->snd_ok)
            snd_preview(&s->snd, pitch, s->tp.rec.max_dur * studio_step_sec(s), now);
        if (!rec_press(&s->tp.rec, studio_record_step(s), pitch) && s->tp.recording)
            view_status(&s->view, 2, "out of memory: a note was lost");
        s->view.dirty |= DIRTY_ROLL;
        return;
    }
    if (s->snd_ok) {
        double d = s->length * studio_step_sec(s);
        snd_preview(&s->snd, pitch, d < 0.15 ? 0.15 : d, now);
    }
    if (song_type_note(&s->song, pitch, s->length, &err)) {
        view_status(&s->view, 2, "%s", err.msg);
        return;
    }
    view_follow(&s->view, s->song.cur.cursor);
    if (!s->view.pitch_manual)
        s->view.pitch_top = -1;
    pitch_name(pitch, name);
    view_status(&s->view, 0, "%s %s", name, keys_value_name(s->length, val, sizeof val));
    s->view.dirty |= DIRTY_ROLL | DIRTY_PANEL | DIRTY_HEADER;
}

static void type_rest(Studio *s)
{
    ReelError err;
    char val[16];
    if (s->tp.recording || s->tp.counting_in) {
        rec_release(&s->tp.rec, studio_record_step(s));
        snd_preview_stop(&s->snd);
        return;
    }
    if (song_type_rest(&s->song, s->length, &err)) {
        view_status(&s->view, 2, "%s", err.msg);
        return;
    }
    view_follow(&s->view, s->song.cur.cursor);
    view_status(&s->view, 0, "rest %s", keys_value_name(s->length, val, sizeof val));
    s->view.dirty |= DIRTY_ROLL | DIRTY_PANEL | DIRTY_HEADER;
}

static void move_cursor(Studio *s, int32_t to)
{
    int32_t end = song_end(&s->song);
    if (to < 0)
        to = 0;
    if (to > end + 64 * song_bar_steps(&s->song))
        to = end;
    song_set_cursor(&s->song, to);
    view_follow(&s->view, to);
    s->view.dirty |= DIRTY_ROLL | DIRTY_PANEL | DIRTY_HEADER;
}

bool studio_unsaved(const Studio *s)
{
    return s->song.dirty && !song_empty(&s->song);
}

void studio_ask_quit(Studio *s)
{
    if (trainer_active(&s->tr)) {
        view_ask(&s->view, PR_QUIT, "Training is running: stop it (a checkpoint is written) and quit? (y/n) ",
            "", false);
        return;
    }
    if (studio_unsaved(s)) {
        view_ask(&s->view, PR_QUIT, "The melody is not saved: quit and lose it? (y/n, s saves) ", "", false);
        return;
    }
    s->quit = true;
}

/* Top-k from fewest choices to all of them (0: off, the top of the ladder). */
static const int topk_steps[] = {1, 2, 3, 4, 5, 8, 10, 12, 16, 20, 30, 40, 60, 100, 0};

/* The next top-k up (more choices) or down (fewer); a value set with :topk
 * between two steps goes to the neighbour on that side. */
static void step_topk(Studio *s, int dir)
{
    int n = (int)(sizeof topk_steps / sizeof topk_steps[0]), i;
    long k = s->take.so.top_k > 0 ? s->take.so.top_k : 1L << 30;
#define RANK(j) (topk_steps[j] > 0 ? (long)topk_steps[j] : 1L << 30)
    if (dir > 0) {
        for (i = 0; i < n - 1 && RANK(i) <= k; i++)
            ;
    } else {
        for (i = n - 1; i > 0 && RANK(i) >= k; i--)
            ;
    }
#undef RANK
    s->take.so.top_k = topk_steps[i];
}

/* ---- the actions ------------------------------------------------------------------- */

static void act_note(Studio *s, Action a, int ch)
{
    (void)a;
    type_note(s, ch);
}

static void act_rest(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    type_rest(s);
}

static void act_quit(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    studio_ask_quit(s);
}

static void act_help(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    s->view.help = true;
    s->view.help_scroll = 0;
}

static void act_redraw(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    clearok(curscr, TRUE);
    s->view.dirty = DIRTY_ALL;
}

static void act_play(Studio *s, Action a, int ch)
{
    double from = s->song.cur.cursor;
    (void)a;
    (void)ch;
    if (transport_recording(&s->tp)) {
        studio_record_finish(s);
        return;
    }
    if (s->tp.playing) {
        studio_stop(s);
        view_status(&s->view, 0, "stopped");
        return;
    }
    if (song_empty(&s->song)) {
        view_status(&s->view, 0, "nothing to play yet: type a seed (Tab for the piano), then g");
        return;
    }
    if (from >= song_end(&s->song))
        from = 0;
    s->tp.sample_playing = false;
    studio_play(s, from);
}

static void act_generate(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    takes_start(s, true);
}

static void act_newtake(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    takes_redraw(s);
}

static void act_keep(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    if (!song_has_gen(&s->song)) {
        view_status(&s->view, 0, "no generated notes to keep");
        return;
    }
    song_keep(&s->song);
    view_status(&s->view, 1, "kept: the generated notes are part of the seed now (g continues "
                             "from the end)");
}

static void act_discard(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    if (take_cancel(&s->take) && !song_has_gen(&s->song)) {
        view_status(&s->view, 0, "the take being made is dropped");
        return;
    }
    if (!song_has_gen(&s->song)) {
        view_status(&s->view, 0, "no generated notes to discard");
        return;
    }
    if (s->tp.playing)
        studio_stop(s);
    song_discard(&s->song);
    view_status(&s->view, 0, "generated notes discarded (u undoes)");
}

static void act_continuous(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    s->tp.continuous = !s->tp.continuous;
    if (s->tp.continuous && s->tp.playing && take_live(&s->take, &s->song))
        gc_set_target(&s->take.gc, takes_continuous_target(s, s->tp.playhead));
    if (s->snd_ok)
        player_set_loop(s->snd.p, s->tp.loop && !s->tp.continuous, 0, 0);
    view_status(&s->view, 0, "continuous %s%s", s->tp.continuous ? "on" : "off",
                s->tp.continuous && !s->tp.playing ? ": g starts it" : "");
}

static void act_loop(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    s->tp.loop = !s->tp.loop;
    if (s->snd_ok)
        player_set_loop(s->snd.p, s->tp.loop && !s->tp.continuous, 0, 0);
    view_status(&s->view, 0, "loop %s%s", s->tp.loop ? "on" : "off",
                s->tp.loop && s->tp.continuous ? " (not while continuous)" : "");
}

static void act_metronome(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    s->tp.metronome = !s->tp.metronome;
    if (s->snd_ok && !s->tp.recording)
        player_set_metronome(s->snd.p, s->tp.metronome);
    view_status(&s->view, 0, "metronome %s", s->tp.metronome ? "on" : "off");
}

static void act_record(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    if (transport_recording(&s->tp))
        studio_record_finish(s);
    else
        studio_record_start(s);
}

static void act_temperature(Studio *s, Action a, int ch)
{
    char what[96];
    double t = s->take.so.temperature, d = t < 0.5 ? 0.05 : t < 2 ? 0.1 : 0.25;
    (void)ch;
    t = a == ACT_TEMP_UP ? t + d : t - d;
    t = floor(t * 100 + 0.5) / 100;
    if (t < 0.05)
        t = 0.05;
    if (t > 5)
        t = 5;
    s->take.so.temperature = (float)t;
    snprintf(what, sizeof what, "temperature %.2f", t);
    takes_options_changed(s, what);
}

static void act_topk(Studio *s, Action a, int ch)
{
    char what[96];
    (void)ch;
    step_topk(s, a == ACT_TOPK_UP ? 1 : -1);
    if (s->take.so.top_k)
        snprintf(what, sizeof what, "top-k %d", s->take.so.top_k);
    else
        snprintf(what, sizeof what, "top-k off");
    takes_options_changed(s, what);
}

static void act_topp(Studio *s, Action a, int ch)
{
    char what[96];
    double p = s->take.so.top_p + (a == ACT_TOPP_UP ? 0.05 : -0.05);
    (void)ch;
    p = floor(p * 100 + 0.5) / 100;
    if (p < 0.05)
        p = 0.05;
    if (p > 1)
        p = 1;
    s->take.so.top_p = (float)p;
    if (p < 1)
        snprintf(what, sizeof what, "top-p %.2f", p);
    else
        snprintf(what, sizeof what, "top-p off");
    takes_options_changed(s, what);
}

static void act_reseed(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    s->take.seed = take_fresh_seed();
    s->take.seed_locked = true;
    view_status(&s->view, 0, "seed %" PRIu64 " for the next takes (:seed random: a new one each "
                             "time)", s->take.seed);
}

static void act_octave(Studio *s, Action a, int ch)
{
    (void)ch;
    if (a == ACT_OCT_DOWN && s->octave > 0)
        s->octave--;
    if (a == ACT_OCT_UP && s->octave < 8)
        s->octave++;
    view_status(&s->view, 0, "octave %d: z is C%d", s->octave, s->octave);
}

static void act_length(Studio *s, Action a, int ch)
{
    char val[16];
    if (a == ACT_LEN_SET)
        s->length = keys_length_digit(ch);
    else if (a == ACT_LEN_LONGER)
        s->length = keys_value_longer(s->length);
    else if (a == ACT_LEN_SHORTER)
        s->length = keys_value_shorter(s->length);
    else
        s->length = keys_value_dot(s->length);
    view_status(&s->view, 0, "note value %s", keys_value_name(s->length, val, sizeof val));
}

static void act_undo(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    if (transport_recording(&s->tp))
        return;
    if (song_undo(&s->song)) {
        view_follow(&s->view, s->song.cur.cursor);
        view_status(&s->view, 0, "undone (Ctrl-R redoes)");
    } else {
        view_status(&s->view, 0, "nothing to undo");
    }
}

static void act_redo(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    if (song_redo(&s->song)) {
        view_follow(&s->view, s->song.cur.cursor);
        view_status(&s->view, 0, "redone");
    } else {
        view_status(&s->view, 0, "nothing to redo");
    }
}

static void act_delete(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    if (!song_delete_at_cursor(&s->song))
        view_status(&s->view, 0, "no seed note at the cursor");
}

static void act_move(Studio *s, Action a, int ch)
{
    int32_t c = s->song.cur.cursor, step = s->view.zoom == 2 ? 2 : 1;
    (void)ch;
    switch (a) {
    case ACT_LEFT: move_cursor(s, c - step); break;
    case ACT_RIGHT: move_cursor(s, c + step); break;
    case ACT_BAR_LEFT: {
        int32_t f = song_bar_floor(&s->song, c);
        move_cursor(s, f < c ? f : song_bar_floor(&s->song, c - 1));
        break;
    }
    case ACT_BAR_RIGHT:
        move_cursor(s, song_bar_floor(&s->song, c) + song_bar_steps(&s->song));
        break;
    case ACT_HOME: move_cursor(s, 0); break;
    default: move_cursor(s, song_end(&s->song)); break;
    }
}

static void act_pitch(Studio *s, Action a, int ch)
{
    int rows = look_roll_rows(s), top = s->view.pitch_top;
    (void)ch;
    if (top < 0)
        top = 84;
    top += (a == ACT_PITCH_UP ? 1 : -1) * (rows > 13 ? rows / 2 : 6);
    if (top > 127)
        top = 127;
    if (top < rows - 1)
        top = rows - 1;
    s->view.pitch_top = top;
    s->view.pitch_manual = true;
}

static void act_zoom(Studio *s, Action a, int ch)
{
    static const char *const names[] = {"1 column a step", "2 columns a step",
                                        "2 steps a column"};
    (void)a;
    (void)ch;
    s->view.zoom = (s->view.zoom + 1) % 3;
    view_follow(&s->view, transport_focus(&s->tp, s->song.cur.cursor));
    view_status(&s->view, 0, "zoom: %s", names[s->view.zoom]);
}

static void act_ask(Studio *s, Action a, int ch)
{
    char name[64];
    (void)ch;
    if (a == ACT_SAVE)
        view_ask(&s->view, PR_SAVE, "Save as (.mid .abc .wav): ",
                 s->last_save[0] ? s->last_save : "melody.mid", true);
    else if (a == ACT_OPEN)
        view_ask(&s->view, PR_OPEN, "Open (.reel model, .mid/.abc seed): ", "", true);
    else if (a == ACT_PROGRAM)
        view_ask(&s->view, PR_PROGRAM, "Instrument (GM 1-128 or a name): ",
                 studio_program_name(s->snd.program, name, sizeof name), false);
    else
        view_ask(&s->view, PR_COMMAND, ":", "", false);
}

static void act_piano(Studio *s, Action a, int ch)
{
    (void)ch;
    if (a == ACT_PIANO_ON) {
        s->view.piano = true;
        view_status(&s->view, 0,
                    "piano: z s x d c ... and q 2 w 3 e ... play notes; Esc for commands");
        return;
    }
    s->view.piano = !s->view.piano;
    view_status(&s->view, 0, s->view.piano ? "piano: z s x d c ... and q 2 w 3 e ... play notes; "
                                             "Esc or Tab for commands"
                                           : "commands (Tab: piano)");
}

static void act_escape(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    if (transport_recording(&s->tp))
        studio_record_finish(s);
    else if (s->view.piano) {
        s->view.piano = false;
        view_status(&s->view, 0, "commands (Tab: piano)");
    }
}

static void act_view_train(Studio *s, Action a, int ch)
{
    (void)a;
    (void)ch;
    s->view.page = VIEW_TRAIN;
    s->view.piano = false;
    clear();
}

typedef void (*ActionFn)(Studio *s, Action a, int ch);

static const ActionFn actions[ACT_COUNT] = {
    [ACT_NOTE] = act_note,           [ACT_REST] = act_rest,
    [ACT_QUIT] = act_quit,           [ACT_HELP] = act_help,
    [ACT_REDRAW] = act_redraw,       [ACT_PLAY] = act_play,
    [ACT_GENERATE] = act_generate,   [ACT_NEWTAKE] = act_newtake,
    [ACT_KEEP] = act_keep,           [ACT_DISCARD] = act_discard,
    [ACT_CONTINUOUS] = act_continuous, [ACT_LOOP] = act_loop,
    [ACT_METRONOME] = act_metronome, [ACT_RECORD] = act_record,
    [ACT_TEMP_DOWN] = act_temperature, [ACT_TEMP_UP] = act_temperature,
    [ACT_TOPK_DOWN] = act_topk,      [ACT_TOPK_UP] = act_topk,
    [ACT_TOPP_DOWN] = act_topp,      [ACT_TOPP_UP] = act_topp,
    [ACT_RESEED] = act_reseed,
    [ACT_OCT_DOWN] = act_octave,     [ACT_OCT_UP] = act_octave,
    [ACT_LEN_SET] = act_length,      [ACT_LEN_LONGER] = act_length,
    [ACT_LEN_SHORTER] = act_length,  [ACT_DOTTED] = act_length,
    [ACT_UNDO] = act_undo,           [ACT_REDO] = act_redo,
    [ACT_DELETE] = act_delete,
    [ACT_LEFT] = act_move,           [ACT_RIGHT] = act_move,
    [ACT_BAR_LEFT] = act_move,       [ACT_BAR_RIGHT] = act_move,
    [ACT_HOME] = act_move,           [ACT_END] = act_move,
    [ACT_PITCH_UP] = act_pitch,      [ACT_PITCH_DOWN] = act_pitch,
    [ACT_ZOOM] = act_zoom,
    [ACT_SAVE] = act_ask,            [ACT_OPEN] = act_ask,
    [ACT_PROGRAM] = act_ask,         [ACT_COMMAND] = act_ask,
    [ACT_PIANO_ON] = act_piano,      [ACT_PIANO_TOGGLE] = act_piano,
    [ACT_ESCAPE] = act_escape,       [ACT_VIEW_TRAIN] = act_view_train,
};

void actions_run(Studio *s, Action a, int ch)
{
    if (a > ACT_NONE && a < ACT_COUNT && actions[a])
        actions[a](s, a, ch);
    s->view.dirty |= DIRTY_ALL;
}
