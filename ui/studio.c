/* studio.c — `reel studio`: the ncurses studio.  Options, the state's
 * life, the event loop, and which keys go where (prompts, the help, the
 * training view's keys to train_view.c, the studio view's to actions.c).
 * The top of ui/'s layers (studio.h): it calls everything, nothing calls it.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "blas.h"
#include "commands.h"
#include "datadir.h"
#include "draw.h"
#include "disk.h"
#include "keyprofile.h"
#include "look.h"
#include "paint.h"
#include "takes.h"
#include "train_view.h"
#include "watch.h"

#define FRAME_MIN_SEC 0.016      /* the playhead is drawn at most ~60 times a second */
#define KEYS_SLICE_SEC 0.030     /* keys read in one turn before the screen is drawn */
#define DEFAULT_MODEL "fiddle-form.reel"

/* ---- settings ------------------------------------------------------------------- */

static void load_settings(Studio *s)
{
    ReelError err;
    const char *v;
    settings_path(s->settings_file, sizeof s->settings_file);
    if (settings_load(&s->settings, s->settings_file, &err))
        view_status(&s->view, 2, "settings: %s", err.msg);
    s->take.so.temperature = (float)settings_num(&s->settings, "temperature", 0.05, 5, 1.0);
    s->take.so.top_k = (int)settings_num(&s->settings, "top_k", 0, 100000, 0);
    s->take.so.top_p = (float)settings_num(&s->settings, "top_p", 0.05, 1, 1.0);
    s->song.bpm = settings_num(&s->settings, "tempo", 20, 400, 120);
    s->take.bars = (int)settings_num(&s->settings, "bars", 1, 256, 8);
    s->take.key_choice = (v = settings_get(&s->settings, "key")) != NULL ? keyprofile_parse(v) : -1;
    s->octave = (int)settings_num(&s->settings, "octave", 0, 8, 4);
    s->length = (int)settings_num(&s->settings, "length", 1, 24, 2);
    s->quantize = (int)settings_num(&s->settings, "quantize", 1, 16, 1);
    s->seed_bars = (int)settings_num(&s->settings, "seed_bars", 1, 256, 4);
    s->view.zoom = (int)settings_num(&s->settings, "zoom", 0, 2, 0);
    s->tp.metronome = settings_num(&s->settings, "metronome", 0, 1, 0) > 0;
    s->tp.loop = settings_num(&s->settings, "loop", 0, 1, 0) > 0;
    s->tp.continuous = settings_num(&s->settings, "continuous", 0, 1, 0) > 0;
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
    settings_set_num(t, "temperature", s->take.so.temperature);
    settings_set_num(t, "top_k", s->take.so.top_k);
    settings_set_num(t, "top_p", s->take.so.top_p);
    settings_set_num(t, "tempo", s->song.bpm);
    snprintf(buf, sizeof buf, "%d/%d", s->song.num, s->song.den);
    settings_set(t, "meter", buf);
    settings_set_num(t, "bars", s->take.bars);
    {
        char name[8];
        settings_set(t, "key", s->take.key_choice >= 0 ? keyprofile_name(s->take.key_choice, name)
                                                       : "auto");
    }
    settings_set_num(t, "octave", s->octave);
    settings_set_num(t, "length", s->length);
    settings_set_num(t, "quantize", s->quantize);
    settings_set_num(t, "seed_bars", s->seed_bars);
    settings_set_num(t, "zoom", s->view.zoom);
    settings_set_num(t, "metronome", s->tp.metronome);
    settings_set_num(t, "loop", s->tp.loop);
    settings_set_num(t, "continuous", s->tp.continuous);
    settings_set_num(t, "program", s->snd.program);
    if (s->snd.soundfont[0])
        settings_set(t, "soundfont", s->snd.soundfont);
    if (s->have_model && s->model_path[0]) {
        char abs[4096];
        settings_set(t, "model", realpath(s->model_path, abs) ? abs : s->model_path);
    }
    train_state_save(&s->th, &s->tcfg, &s->settings);
    if (settings_save(t, s->settings_file, &err))
        fprintf(stderr, "reel studio: settings not saved: %s\n", err.msg);
}

/* ---- prompts ------------------------------------------------------------------------ */

static void prompt_done(Studio *s, PromptResult r)
{
    Prompt *p = &s->view.prompt;
    s->view.prompting = false;
    s->view.dirty |= DIRTY_STATUS;
    if (r == PROMPT_CANCEL) {
        view_status(&s->view, 0, "cancelled");
        return;
    }
    switch ((PromptPurpose)p->purpose) {
    case PR_SAVE:
        if (p->text[0])
            disk_save(s, p->text);
        break;
    case PR_OPEN:
        if (p->text[0])
            disk_open(s, p->text);
        break;
    case PR_PROGRAM:
        if (p->text[0])
            commands_set_program(s, p->text);
        break;
    case PR_COMMAND:
        commands_run(s, p->text);
        break;
    case PR_TRAIN_FIELD:
        train_field_text(&s->th, &s->tcfg, p->text, &s->view);
        break;
    default:
        break;
    }
}

static void prompt_key_in(Studio *s, int ch)
{
    PromptResult r;
    if (s->view.prompt.purpose == PR_QUIT) {
        s->view.prompting = false;
        s->view.dirty |= DIRTY_STATUS;
        if (ch == 'y' || ch == 'Y') {
            s->quit = true;
        } else if (ch == 's' || ch == 'S') {
            view_ask(&s->view, PR_SAVE, "Save as (.mid .abc .wav): ",
                     s->last_save[0] ? s->last_save : "melody.mid", true);
        } else {
            view_status(&s->view, 0, "not quitting");
        }
        return;
    }
    r = prompt_key(&s->view.prompt, ch, &s->view.hist[s->view.prompt.purpose]);
    if (r != PROMPT_EDITING)
        prompt_done(s, r);
    s->view.dirty |= DIRTY_STATUS;
}

/* ---- keys --------------------------------------------------------------------------- */

/* A key while the help is shown: scroll, or any other key closes it. */
static void help_key(Studio *s, int ch)
{
    int n = 0;
    keys_help(s->view.page == VIEW_TRAIN ? KEYS_TRAIN : KEYS_STUDIO, &n);
    if (ch == KEY_DOWN || ch == 'j')
        s->view.help_scroll++;
    else if (ch == KEY_UP || ch == 'k')
        s->view.help_scroll--;
    else if (ch == KEY_NPAGE || ch == ' ')
        s->view.help_scroll += 10;
    else if (ch == KEY_PPAGE)
        s->view.help_scroll -= 10;
    else
        s->view.help = false;
    if (s->view.help_scroll < 0)
        s->view.help_scroll = 0;
    if (s->view.help_scroll > 4 * n)
        s->view.help_scroll = 4 * n; /* look.c keeps it within the lines */
    s->view.dirty = DIRTY_ALL;
}

/* A key in the training view: the keys both views share, then its own. */
static void train_key(Studio *s, int ch)
{
    Action a = keys_action(ch, KEYS_TRAIN, false);
    if (a == ACT_QUIT)
        studio_ask_quit(s);
    else if (a == ACT_HELP) {
        s->view.help = true;
        s->view.help_scroll = 0;
    } else if (a == ACT_PLAY) {
        if (s->tp.playing)
            studio_stop(s);
        else if (s->tp.sample_playing)
            studio_play(s, 0);
    } else if (a == ACT_TEMP_DOWN || a == ACT_TEMP_UP) {
        actions_run(s, a, ch);
    } else if (a == ACT_REDRAW) {
        clearok(curscr, TRUE);
    } else {
        train_view_action(s, a);
    }
    s->view.dirty = DIRTY_ALL;
}

static void handle_key(Studio *s, int ch)
{
    Action a;
    if (ch == KEY_RESIZE) {
        s->view.dirty = DIRTY_ALL;
        return;
    }
    if (ch == KEY_MOUSE)
        return;
    if (s->view.prompting) {
        prompt_key_in(s, ch);
        return;
    }
    if (s->view.help) {
        help_key(s, ch);
        return;
    }
    if (s->view.too_small) {
        if (ch == 'q' || ch == 'Q')
            studio_ask_quit(s);
        return;
    }
    if (s->view.page == VIEW_TRAIN) {
        train_key(s, ch);
        return;
    }
    a = keys_action(ch, KEYS_STUDIO, s->view.piano);
    if (a != ACT_NONE)
        actions_run(s, a, ch);
}

/* ---- what is due ---------------------------------------------------------------------- */

/* What is due; keyed: a key came in this turn (its answer is drawn before
 * the model makes more rows). */
static void tick(Studio *s, double now, bool keyed)
{
    char msg[400];
    bool is_error;
    if (s->snd_ok) {
        if (snd_poll(&s->snd)) {
            if (s->snd.error[0])
                view_status(&s->view, 2, "%s", s->snd.error);
            else
                view_status(&s->view, 1, "soundfont %s ready (%s)", s->snd.sf_name, s->snd.device);
            s->view.dirty |= DIRTY_HEADER;
        }
        while (snd_next_message(&s->snd, msg, sizeof msg, &is_error))
            view_status(&s->view, is_error ? 2 : 0, "%s", msg);
        if (snd_check(&s->snd, s->tp.playing, msg, sizeof msg)) {
            view_status(&s->view, 2, "audio output lost: %s; the studio goes on silently "
                                "(:audio tries the device again)", msg);
            s->view.dirty |= DIRTY_HEADER;
        }
        snd_tick(&s->snd, now);
    }
    watch_tick(s, now);
    if (s->tp.counting_in) {
        while (s->tp.counting_in && s->tp.count_done < s->tp.count_beats &&
               now >= s->tp.count_t0 + s->tp.count_done * s->tp.count_beat) {
            snd_click(&s->snd, s->tp.count_done == 0);
            s->tp.count_done++;
            s->view.dirty |= DIRTY_FOOTER | DIRTY_HEADER;
        }
        if (s->tp.counting_in && now >= s->tp.count_t0 + s->tp.count_beats * s->tp.count_beat) {
            s->tp.counting_in = false;
            s->tp.recording = true;
            studio_play(s, s->tp.rec.start);
        }
    }
    studio_poll_player(s);
    takes_tick(s);
    if (s->tp.continuous && s->tp.playing && take_live(&s->take, &s->song) && !s->tp.sample_playing) {
        int32_t want = takes_continuous_target(s, s->tp.playhead);
        if (want > s->take.gc.target)
            gc_set_target(&s->take.gc, want);
        gc_forget_before(&s->take.gc, (int32_t)s->tp.playhead - 4 * song_bar_steps(&s->song));
    }
    if (take_live(&s->take, &s->song) && gc_pending(&s->take.gc) && !keyed &&
        !gw_take_pending(&s->take.gw))
        takes_pump(s, TAKES_SLICE_SEC);
    else if (s->take.generating && !gw_take_pending(&s->take.gw)) {
        s->take.generating = false;
        s->view.dirty |= DIRTY_HEADER;
    }
    if (s->tp.play_pending && (!take_live(&s->take, &s->song) || !gc_pending(&s->take.gc) ||
                            (s->tp.continuous && gc_time(&s->take.gc) > s->tp.play_pending_from +
                                                                   song_bar_steps(&s->song)))) {
        s->tp.play_pending = false;
        if (take_live(&s->take, &s->song))
            studio_play(s, s->tp.play_pending_from);
    }
    studio_sync_player(s);
    if (train_view_poll(s))
        s->view.dirty |= s->view.page == VIEW_TRAIN ? DIRTY_ALL : DIRTY_HEADER;
    disk_poll(s);
    if (cix_poll(&s->cix)) {
        s->take.mm_ok = false;
        s->view.dirty |= DIRTY_PANEL;
    }
    view_status_expire(&s->view, now);
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
    if (take_live(&s->take, &s->song) && gc_pending(&s->take.gc) && !gw_take_pending(&s->take.gw))
        return 0;
    if (s->tp.playing) {
        double sec = studio_step_sec(s) / (s->view.zoom == 1 ? 2 : 1);
        double frac = s->tp.playhead - floor(s->tp.playhead);
        double d = (1 - frac) * sec;
        DUE(d < FRAME_MIN_SEC ? FRAME_MIN_SEC : d > 0.1 ? 0.1 : d);
    }
    if (s->tp.counting_in)
        DUE(s->tp.count_t0 + s->tp.count_done * s->tp.count_beat - now);
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
    if (s->view.status_until > 0)
        DUE(s->view.status_until - now);
    if (trainer_active(&s->tr) && s->view.page == VIEW_TRAIN)
        DUE(1.0); /* the clock and ETA on the training view */
    if (s->th.want_sample || s->th.want_use)
        DUE(0.25);
    {
        double sec;
        if (watch_due(now, &sec))
            DUE(sec);
    }
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

/* The view's size is the terminal's: what curses says, after curses was
 * made to agree with the terminal itself (term_sync_size). */
static void sync_size(Studio *s)
{
    int w, h;
    term_sync_size(&w, &h);
    if (view_set_size(&s->view, w, h))
        erase();
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
        bool more_keys;
        char junk[256];
        s->stats.wakeups++;
        while (read(s->wake[0], junk, sizeof junk) > 0)
            ;
        if (term_signalled()) {
            s->quit = s->quit_now = true;
            break;
        }
        /* The keys that came, for a slice of time at most: then the
         * screen and what is due, and the rest of them in the next turn;
         * a signal between two keys is answered at once. */
        more_keys = false;
        while (!s->quit && (ch = getch()) != ERR) {
            had_key = had_key || ch != KEY_RESIZE;
            handle_key(s, ch);
            if (term_signalled()) {
                s->quit = s->quit_now = true;
                break;
            }
            if (now_sec() - t_wake >= KEYS_SLICE_SEC) {
                more_keys = true;
                break;
            }
        }
        if (s->quit)
            break;
        sync_size(s);
        now = now_sec();
        tick(s, now, had_key);
        if (s->view.dirty) {
            look_update(s);
            draw_screen(s);
            s->view.dirty = 0;
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
        timeout = more_keys ? 0 : next_timeout(s, now_sec());
        fds[2].fd = watch_fd(); /* the model's folder (negative: none) */
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
    disk_save(s, path);
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
    disk_wait(s);
    term_set_crash_audio(NULL);
    if (s->snd_ok)
        snd_close(&s->snd);
    s->snd_ok = false;
    trainer_free(&s->tr);
    train_state_free(&s->th);
    cix_free(&s->cix);
    gw_free(&s->take.gw); /* before the model it reads */
    s->take.gw_ok = false;
    if (s->take.gc_ok)
        gc_free(&s->take.gc);
    if (s->have_model)
        model_free(&s->model);
    rec_free(&s->tp.rec);
    song_free(&s->song);
    settings_free(&s->settings);
    if (s->wake[0] >= 0)
        close(s->wake[0]);
    if (s->wake[1] >= 0)
        close(s->wake[1]);
}

/* The options into s: -1 to go on, else the exit status (after --help or a
 * wrong option). */
static int parse_options(Studio *s, int argc, char **argv, bool *ascii)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'}, {"soundfont", required_argument, NULL, 'S'},
        {"corpus", required_argument, NULL, 'C'}, {"ascii", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm': snprintf(s->model_path, sizeof s->model_path, "%s", optarg); break;
        case 'S': snprintf(s->sf_opt, sizeof s->sf_opt, "%s", optarg); break;
        case 'C': snprintf(s->corpus_dir, sizeof s->corpus_dir, "%s", optarg); break;
        case 'A': *ascii = true; break;
        case 'h': studio_usage(stdout); return 0;
        default: studio_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "reel studio: unexpected argument '%s'\n", argv[optind]);
        studio_usage(stderr);
        return 2;
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "reel studio: the studio needs a terminal (stdin and stdout); the "
                        "commands (reel --help) work without one\n");
        return 1;
    }
    return -1;
}

/* The state, before the screen: what fails here is said on stderr. */
static bool setup_state(Studio *s, bool ascii)
{
    const char *env, *cs;
    if ((env = getenv("REEL_STUDIO_STATS")) != NULL)
        snprintf(s->stats_file, sizeof s->stats_file, "%s", env);
    song_init(&s->song);
    settings_init(&s->settings);
    s->take.so = sample_defaults();
    s->take.seed = take_fresh_seed();
    s->view.pitch_top = -1;
    s->stats.play_origin = UINT64_MAX;
    load_settings(s);
    if (pipe(s->wake) != 0) {
        fprintf(stderr, "reel studio: %s\n", strerror(errno));
        return false;
    }
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(s->wake[i], F_GETFL);
        fcntl(s->wake[i], F_SETFL, fl | O_NONBLOCK);
        fcntl(s->wake[i], F_SETFD, FD_CLOEXEC);
    }
    blas_set_threads(1); /* training leaves a core for the screen and the sound */
    trainer_init(&s->tr);
    train_state_init(&s->th, &s->tcfg, &s->settings, s->corpus_dir);
    cix_init(&s->cix, s->wake[1]);
    {
        ReelError err;
        if (!(s->take.gw_ok = gw_init(&s->take.gw, s->wake[1], &err)))
            fprintf(stderr, "reel studio: %s\n", err.msg);
    }
    setlocale(LC_ALL, "");
    cs = nl_langinfo(CODESET);
    s->view.utf8 = !ascii && cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
    return true;
}

/* The model: --model, the last one, the shipped default. */
static void open_first_model(Studio *s)
{
    char path[4200];
    struct stat st;
    if (!s->model_path[0]) {
        snprintf(path, sizeof path, "%s/models/%s", datadir_path(), DEFAULT_MODEL);
        snprintf(s->model_path, sizeof s->model_path, "%.4000s", path);
    }
    snprintf(path, sizeof path, "%s", s->model_path);
    if (stat(path, &st) == 0)
        studio_open_model(s, path);
    else
        view_status(&s->view, 2, "no model at %s: o opens one, t trains one", path);
}

/* The sound (quietly: the libraries' messages go to the log). */
static void open_sound(Studio *s, int prog)
{
    ReelError err;
    if (snd_open(&s->snd, s->sf_opt[0] ? s->sf_opt : NULL, datadir_path(), prog, 0, &err)) {
        view_status(&s->view, 2, "sound: %s", err.msg);
        return;
    }
    s->snd_ok = true;
    snd_watch(&s->snd, s->wake[1]);
    term_set_crash_audio(s->snd.e);
    studio_player_meter(s);
    if (!s->snd.has_output)
        view_status(&s->view, 2, "no audio output (%s): the studio runs silent; s saves WAV",
                    s->snd.device);
    else if (s->snd.error[0])
        view_status(&s->view, 2, "%s", s->snd.error);
}

/* The one way out: silence, threads, settings, terminal; returns the exit status. */
static int quit_path(Studio *s)
{
    int rc = 0;
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
        bool lost = studio_unsaved(s);
        char kept[4300] = "";
        if (lost)
            rescue_melody(s, kept, sizeof kept);
        fprintf(stderr, "reel studio: stopped by %s%s%s%s\n",
                sig == SIGINT ? "Ctrl-C (SIGINT)" : sig == SIGTERM ? "SIGTERM"
                : sig == SIGHUP ? "SIGHUP (the terminal hung up)" : "the terminal going away",
                lost ? "; the melody was not saved" : "", kept[0] ? ": it is in " : "", kept);
        rc = 128 + (sig ? sig : SIGHUP);
    }
    return rc;
}

int cmd_studio(int argc, char **argv)
{
    Studio *s;
    char msg[600];
    int rc;
    bool ascii = false;
    if (!(s = calloc(1, sizeof *s))) {
        fprintf(stderr, "reel studio: out of memory\n");
        return 1;
    }
    s->wake[0] = s->wake[1] = -1;
    if ((rc = parse_options(s, argc, argv, &ascii)) >= 0) {
        free(s);
        return rc;
    }
    if (!setup_state(s, ascii)) {
        studio_free(s);
        free(s);
        return 1;
    }
    {
        int prog = s->snd.program;
        open_first_model(s);
        open_sound(s, prog);
    }
    if (!term_open(s->wake[1], msg, sizeof msg)) {
        fprintf(stderr, "reel studio: %s\n", msg);
        studio_free(s);
        free(s);
        return 1;
    }
    s->view.colors = paint_init_colors();
    s->view.dirty = DIRTY_ALL;
    if (!s->view.status[0])
        view_status(&s->view, 0, "Tab: piano (type a seed), g: generate, Space: play, ?: every key");
    run_loop(s);
    rc = quit_path(s);
    studio_free(s);
    free(s);
    return rc;
}
