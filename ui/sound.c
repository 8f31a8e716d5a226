/* sound.c — engine, player, background soundfont, preview notes (see
 * sound.h). */
#include "clock.h"
#include "sound.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "soundfont.h"

static void sf_short_name(const char *path, char *out, size_t size)
{
    const char *b = strrchr(path, '/');
    char *dot;
    snprintf(out, size, "%s", b ? b + 1 : path);
    if ((dot = strrchr(out, '.')) != NULL && dot != out)
        *dot = '\0';
}

static ReelStatus start_load(Sound *s, const char *path, ReelError *err)
{
    AudioSynthOpts so;
    memset(&so, 0, sizeof so);
    so.soundfont = path;
    so.rate = audio_engine_rate(s->e);
    so.gain = s->gain;
    if (audio_load_start(&s->load, &so, err))
        return err ? err->status : REEL_EIO;
    snprintf(s->soundfont, sizeof s->soundfont, "%s", path);
    sf_short_name(path, s->sf_name, sizeof s->sf_name);
    s->loading = true;
    s->error[0] = '\0';
    return REEL_OK;
}

ReelStatus snd_open(Sound *s, const char *sf_opt, const char *data_dir, int program, float gain,
                    ReelError *err)
{
    AudioEngineOpts eo;
    ReelError e2;
    char dir[4200], path[4096];
    const char *dirs[1] = {dir};
    SoundfontQuery q;

    memset(s, 0, sizeof *s);
    for (int i = 0; i < SND_PREVIEW_MAX; i++)
        s->pv[i].pitch = -1;
    s->program = program >= 0 && program <= 127 ? program : PLAYER_VIOLIN;
    s->gain = gain > 0 ? gain : AUDIO_DEFAULT_GAIN;
    audio_log_capture();
    s->log_cursor = audio_log_end();
    memset(&eo, 0, sizeof eo);
    if (audio_engine_open(&s->e, &eo, err))
        return err ? err->status : REEL_ENOMEM;
    s->log_opened = audio_log_end();
    s->has_output = audio_engine_has_output(s->e);
    snprintf(s->device, sizeof s->device, "%s", audio_engine_device(s->e));
    if (player_new(&s->p, s->e, err)) {
        audio_engine_close(s->e);
        s->e = NULL;
        return err ? err->status : REEL_ENOMEM;
    }
    if (!s->has_output)
        return REEL_OK; /* nothing to hear: no soundfont needed */
    snprintf(dir, sizeof dir, "%s/soundfonts", data_dir ? data_dir : ".");
    memset(&q, 0, sizeof q);
    q.path = sf_opt && *sf_opt ? sf_opt : NULL;
    q.dirs = dirs;
    q.n_dirs = 1;
    if (soundfont_find(&q, path, sizeof path, &e2)) {
        snprintf(s->error, sizeof s->error, "%s", e2.msg);
        return REEL_OK;
    }
    if (start_load(s, path, &e2))
        snprintf(s->error, sizeof s->error, "%s", e2.msg);
    return REEL_OK;
}

void snd_close(Sound *s)
{
    if (s->load) {
        AudioSynth *x = NULL;
        audio_load_finish(s->load, &x, NULL);
        audio_synth_free(x);
        s->load = NULL;
    }
    snd_preview_stop(s);
    player_free(s->p);
    audio_engine_close(s->e);
    memset(s, 0, sizeof *s);
}

static void send_live(Sound *s, uint8_t type, int chan, int d1, int d2, int32_t vi)
{
    AudioEvent ev;
    if (!s->e)
        return;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.chan = (uint8_t)chan;
    ev.d1 = (uint8_t)d1;
    ev.d2 = (uint8_t)d2;
    ev.v.i = vi;
    audio_engine_send(s->e, AUDIO_PORT_LIVE, &ev);
}

bool snd_poll(Sound *s)
{
    AudioSynth *x = NULL;
    ReelError err;
    if (!s->load || !audio_load_done(s->load))
        return false;
    s->loading = false;
    if (audio_load_finish(s->load, &x, &err)) {
        s->load = NULL;
        snprintf(s->error, sizeof s->error, "%s", err.msg);
        return true;
    }
    s->load = NULL;
    if (audio_engine_set_synth(s->e, x, &err)) {
        audio_synth_free(x);
        snprintf(s->error, sizeof s->error, "%s", err.msg);
        return true;
    }
    s->synth = x;
    send_live(s, AUDIO_EV_PROGRAM, PREVIEW_CHANNEL, 0, 0, s->program);
    player_set_program(s->p, 0, s->program);
    return true;
}

ReelStatus snd_set_soundfont(Sound *s, const char *path, ReelError *err)
{
    if (!s->has_output)
        return reel_fail(err, REEL_EARG, "no audio output: nothing would be heard");
    if (soundfont_check(path, err))
        return err ? err->status : REEL_EIO;
    if (s->load) {
        AudioSynth *x = NULL;
        audio_load_finish(s->load, &x, NULL);
        audio_synth_free(x);
        s->load = NULL;
    }
    return start_load(s, path, err);
}

void snd_set_program(Sound *s, int program)
{
    if (program < 0 || program > 127)
        return;
    s->program = program;
    player_set_program(s->p, 0, program);
    send_live(s, AUDIO_EV_PROGRAM, PREVIEW_CHANNEL, 0, 0, program);
}

const char *snd_state_text(const Sound *s, char *buf, size_t size)
{
    if (!s->e)
        snprintf(buf, size, "no audio");
    else if (!s->has_output)
        snprintf(buf, size, "no audio output");
    else if (s->loading)
        snprintf(buf, size, "loading %s", s->sf_name);
    else if (s->error[0])
        snprintf(buf, size, "no soundfont");
    else
        snprintf(buf, size, "%s", s->sf_name);
    return buf;
}

void snd_preview(Sound *s, int pitch, double dur, double now)
{
    int slot = -1;
    if (!s->has_output || pitch < 0 || pitch > 127)
        return;
    for (int i = 0; i < SND_PREVIEW_MAX; i++) {
        if (s->pv[i].pitch >= 0) {
            send_live(s, AUDIO_EV_NOTE_OFF, PREVIEW_CHANNEL, s->pv[i].pitch, 0, 0);
            s->pv[i].pitch = -1;
        }
        if (slot < 0)
            slot = i;
    }
    send_live(s, AUDIO_EV_NOTE_ON, PREVIEW_CHANNEL, pitch, 100, 0);
    s->pv[slot].pitch = pitch;
    s->pv[slot].off_at = now + dur;
}

void snd_preview_stop(Sound *s)
{
    for (int i = 0; i < SND_PREVIEW_MAX; i++)
        if (s->pv[i].pitch >= 0) {
            send_live(s, AUDIO_EV_NOTE_OFF, PREVIEW_CHANNEL, s->pv[i].pitch, 0, 0);
            s->pv[i].pitch = -1;
        }
}

void snd_click(Sound *s, bool downbeat)
{
    int key = downbeat ? PLAYER_CLICK_HIGH : PLAYER_CLICK_LOW;
    if (!s->has_output)
        return;
    send_live(s, AUDIO_EV_NOTE_OFF, PLAYER_DRUM_CHANNEL, key, 0, 0);
    send_live(s, AUDIO_EV_NOTE_ON, PLAYER_DRUM_CHANNEL, key, downbeat ? 110 : 80, 0);
}

double snd_tick(Sound *s, double now)
{
    double next = -1;
    for (int i = 0; i < SND_PREVIEW_MAX; i++) {
        if (s->pv[i].pitch < 0)
            continue;
        if (s->pv[i].off_at <= now) {
            send_live(s, AUDIO_EV_NOTE_OFF, PREVIEW_CHANNEL, s->pv[i].pitch, 0, 0);
            s->pv[i].pitch = -1;
        } else if (next < 0 || s->pv[i].off_at < next) {
            next = s->pv[i].off_at;
        }
    }
    return next;
}

void snd_watch(Sound *s, int wake_fd)
{
    audio_engine_set_notify(s->e, wake_fd);
}

bool snd_check(Sound *s, bool playing, char *msg, size_t size)
{
    if (!s->e || !s->has_output || !audio_engine_check(s->e, playing, msg, size))
        return false;
    s->has_output = false;
    snprintf(s->device, sizeof s->device, "%s", audio_engine_device(s->e));
    for (int i = 0; i < SND_PREVIEW_MAX; i++)
        s->pv[i].pitch = -1;
    /* What the libraries said about it (write errors, closing the device)
     * is summed up by msg: it would only push msg off the status line. */
    s->log_cursor = s->log_opened = audio_log_end();
    return true;
}

ReelStatus snd_reopen(Sound *s, ReelError *err)
{
    ReelError e2;
    ReelStatus st;
    if (!s->e)
        return reel_fail(err, REEL_EARG, "no audio engine");
    if (s->has_output)
        return REEL_OK;
    st = audio_engine_reopen(s->e, err);
    /* opening probes the devices again: ALSA and JACK complain by design */
    s->log_opened = audio_log_end();
    if (st)
        return st;
    s->has_output = true;
    snprintf(s->device, sizeof s->device, "%s", audio_engine_device(s->e));
    if (!s->synth && !s->load && s->soundfont[0] && start_load(s, s->soundfont, &e2))
        snprintf(s->error, sizeof s->error, "%s", e2.msg);
    return REEL_OK;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int snd_silence(Sound *s, double max_sec)
{
    double t0 = now_sec();
    uint64_t f0;
    int rate, left;
    if (!s->e)
        return 0;
    snd_preview_stop(s);
    send_live(s, AUDIO_EV_NOTES_OFF, AUDIO_ALL_CHANNELS, 0, 0, 0);
    if (!s->has_output)
        return 0;
    rate = audio_engine_rate(s->e);
    /* The releases: the callback reports its voices after every buffer. */
    f0 = audio_engine_frames(s->e);
    while (now_sec() - t0 < max_sec && (audio_engine_frames(s->e) < f0 + (uint64_t)rate / 50 ||
                                         audio_engine_voices(s->e) > 0))
        sleep_ms(5);
    left = audio_engine_voices(s->e);
    send_live(s, AUDIO_EV_SOUND_OFF, AUDIO_ALL_CHANNELS, 0, 0, 0);
    /* The cut, then the device's buffer and a bit of silence played out. */
    f0 = audio_engine_frames(s->e);
    t0 = now_sec();
    while (now_sec() - t0 < 1.0 &&
           (audio_engine_frames(s->e) < f0 + audio_engine_latency_frames(s->e) + (uint64_t)rate / 25 ||
            audio_engine_voices(s->e) > 0))
        sleep_ms(5);
    return left;
}

bool snd_next_message(Sound *s, char *buf, size_t size, bool *is_error)
{
    AudioLogLevel lv;
    while (audio_log_next(&s->log_cursor, buf, size, &lv)) {
        if (s->log_cursor <= s->log_opened)
            continue; /* probing the devices: ALSA and JACK complain by design */
        if (!buf[strspn(buf, " \t\r\n")])
            continue; /* nothing to show */
        if (lv == AUDIO_LOG_ERROR || lv == AUDIO_LOG_WARNING) {
            *is_error = lv == AUDIO_LOG_ERROR;
            return true;
        }
    }
    return false;
}
