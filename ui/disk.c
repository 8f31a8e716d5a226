/* disk.c — saving the melody (MIDI, ABC, WAV by the name's ending) and
 * opening a model or a MIDI/ABC file as the seed.
 *
 * MIDI and ABC are written at once (a few milliseconds).  WAV renders the
 * melody through FluidSynth's file renderer with a synth of its own, in a
 * thread that owns a copy of the melody, so the screen goes on; the result
 * reaches the status line when the thread is done (files_poll).  WAV works
 * without an audio device.  Every export carries the provenance: model and
 * its checksum, temperature, top-k, top-p, random seed, the seed's notes.
 */
#include "disk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "abcout.h"
#include "datadir.h"
#include "num.h"
#include "version.h"
#include "corpus.h"
#include "generate.h"
#include "midi.h"
#include "player.h"
#include "soundfont.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

void disk_provenance(const Studio *s, char *buf, size_t size)
{
    char hex[17] = "", *seed_text = NULL;
    Tune t;
    ReelError err;
    if (s->have_model)
        model_checksum_hex(&s->model, hex);
    if (song_seed_tune(&s->song, &t, &err) == REEL_OK) {
        gen_notes_text(&t, &seed_text, &err);
        tune_free(&t);
    }
    if (seed_text)
        for (char *p = seed_text; *p; p++)
            if (*p == '\n')
                *p = ' ';
    if (s->have_model && song_has_gen(&s->song))
        snprintf(buf, size,
                 "reel %s studio: model %.300s (%s, checksum %s), temperature %g, top-k %d%s, "
                 "top-p %g%s, seed %llu%s, seed notes \"%.600s\"",
                 REEL_VERSION, s->model_path, s->model_desc, hex, (double)s->take.so.temperature,
                 s->take.so.top_k, s->take.so.top_k ? "" : " (off)", (double)s->take.so.top_p,
                 s->take.so.top_p < 1 ? "" : " (off)", (unsigned long long)s->take.seed,
                 s->take.edited ? " (partly redrawn)" : "", seed_text ? seed_text : "");
    else
        snprintf(buf, size, "reel %s studio: typed melody \"%.900s\"", REEL_VERSION,
                 seed_text ? seed_text : "");
    free(seed_text);
}

static const char *title_of(const Studio *s, char *buf, size_t size)
{
    if (s->have_model && song_has_gen(&s->song))
        snprintf(buf, size, "%s, seed %llu", s->model_name, (unsigned long long)s->take.seed);
    else
        snprintf(buf, size, "reel studio melody");
    return buf;
}

/* ---- WAV in a thread ----------------------------------------------------------------- */

static void *wav_main(void *arg)
{
    WavJob *j = arg;
    Player *p = NULL;
    AudioSynth *synth = NULL;
    AudioSynthOpts so;
    AudioRenderOpts ro;
    AudioRenderInfo info;
    ReelError err;
    char c = 1;
    j->ok = false;
    memset(&so, 0, sizeof so);
    so.soundfont = j->soundfont;
    memset(&ro, 0, sizeof ro);
    ro.path = j->path;
    if (player_new(&p, NULL, &err) || player_load_tune(p, &j->tune, j->program, &err)) {
        snprintf(j->msg, sizeof j->msg, "%.80s: %.500s", j->path, err.msg);
        goto done;
    }
    player_set_bpm(p, j->bpm);
    if (audio_synth_new(&synth, &so, &err)) {
        snprintf(j->msg, sizeof j->msg, "%s", err.msg);
        goto done;
    }
    if (player_render(p, synth, 0, &ro, &info, &err)) {
        snprintf(j->msg, sizeof j->msg, "%.80s: %.500s", j->path, err.msg);
        goto done;
    }
    snprintf(j->msg, sizeof j->msg, "wrote %.500s (%.1f s of audio, %d notes)", j->path, info.seconds,
             (int)j->tune.n_notes);
    j->ok = true;
done:
    audio_synth_free(synth);
    player_free(p);
    atomic_store(&j->done, 1);
    if (j->wake_fd >= 0) {
        ssize_t r = write(j->wake_fd, &c, 1);
        (void)r;
    }
    return NULL;
}

void disk_poll(Studio *s)
{
    WavJob *j = &s->wav;
    if (!j->running || !atomic_load(&j->done))
        return;
    pthread_join(j->th, NULL);
    j->running = false;
    tune_free(&j->tune);
    if (j->ok) {
        s->song.dirty = false;
        view_status(&s->view, 1, "%s", j->msg);
    } else {
        view_status(&s->view, 2, "%s", j->msg);
    }
}

void disk_wait(Studio *s)
{
    if (!s->wav.running)
        return;
    pthread_join(s->wav.th, NULL);
    s->wav.running = false;
    tune_free(&s->wav.tune);
}

static void save_wav(Studio *s, const char *path, const Tune *t)
{
    WavJob *j = &s->wav;
    ReelError err;
    char dir[4200];
    const char *dirs[1] = {dir};
    SoundfontQuery q;
    if (j->running) {
        view_status(&s->view, 2, "a WAV is still being written; try again in a moment");
        return;
    }
    memset(&q, 0, sizeof q);
    snprintf(dir, sizeof dir, "%s/soundfonts", datadir_path());
    q.path = s->snd.soundfont[0] ? s->snd.soundfont : s->sf_opt[0] ? s->sf_opt : NULL;
    q.dirs = dirs;
    q.n_dirs = 1;
    if (soundfont_find(&q, j->soundfont, sizeof j->soundfont, &err)) {
        view_status(&s->view, 2, "WAV needs a soundfont: %s", err.msg);
        return;
    }
    if (tune_copy(&j->tune, t, &err)) {
        view_status(&s->view, 2, "%s", err.msg);
        return;
    }
    snprintf(j->path, sizeof j->path, "%s", path);
    j->program = s->snd.program;
    j->bpm = s->song.bpm;
    j->wake_fd = s->wake[1];
    atomic_store(&j->done, 0);
    if (pthread_create(&j->th, NULL, wav_main, j) != 0) {
        tune_free(&j->tune);
        view_status(&s->view, 2, "cannot start a thread to write the WAV");
        return;
    }
    j->running = true;
    view_status(&s->view, 0, "rendering %s ...", path);
}

void disk_save(Studio *s, const char *path)
{
    Tune t;
    ReelError err;
    char prov[2000], title[200];
    if (song_empty(&s->song)) {
        view_status(&s->view, 2, "nothing to save yet");
        return;
    }
    if (song_tune(&s->song, &t, &err)) {
        view_status(&s->view, 2, "%s", err.msg);
        return;
    }
    t.program = s->snd.program;
    disk_provenance(s, prov, sizeof prov);
    title_of(s, title, sizeof title);
    tune_set_strings(&t, title, NULL, "reel studio", &err);
    snprintf(s->last_save, sizeof s->last_save, "%s", path);
    if (ends_with(path, ".wav")) {
        save_wav(s, path, &t);
    } else if (ends_with(path, ".abc")) {
        AbcOutOpts ao = {1, title, prov};
        if (abcout_write(path, &t, &ao, &err))
            view_status(&s->view, 2, "%s: %s", path, err.msg);
        else {
            s->song.dirty = false;
            view_status(&s->view, 1, "wrote %s (%d notes, ABC)", path, (int)t.n_notes);
        }
    } else if (ends_with(path, ".mid") || ends_with(path, ".midi")) {
        MidiWriteOpts wo = {0, -1, prov, 0};
        if (midi_write_tune(path, &t, &wo, &err))
            view_status(&s->view, 2, "%s", err.msg);
        else {
            s->song.dirty = false;
            view_status(&s->view, 1, "wrote %s (%d notes, MIDI)", path, (int)t.n_notes);
        }
    } else {
        view_status(&s->view, 2, "%s: the name must end in .mid, .abc or .wav", path);
    }
    tune_free(&t);
}

void disk_open(Studio *s, const char *path)
{
    Corpus c;
    Tune seed;
    ReelError err;
    const Tune *t;
    if (!*path) {
        view_status(&s->view, 2, "open what? a .reel model or a .mid/.abc file");
        return;
    }
    if (ends_with(path, ".reel")) {
        studio_open_model(s, path);
        return;
    }
    corpus_init(&c);
    corpus_load_file(&c, path, NULL);
    if (c.n_tunes == 0) {
        view_status(&s->view, 2, "%s", c.n_skips ? c.skips[0].err.msg : "no tune in the file");
        corpus_free(&c);
        return;
    }
    t = &c.tunes[0];
    if (gen_excerpt(t, 0, s->seed_bars, &seed, &err)) {
        view_status(&s->view, 2, "%s: %s", path, err.msg);
        corpus_free(&c);
        return;
    }
    studio_stop(s);
    {
        TimeSig sig = tune_sig_at(&seed, 0);
        s->song.num = sig.num ? sig.num : 4;
        s->song.den = sig.den ? sig.den : 4;
        s->song.bpm = 60000000.0 / tune_tempo_at(&seed, 0);
        if (s->song.bpm < 20 || s->song.bpm > 400)
            s->song.bpm = 120;
        if (s->snd_ok)
            player_set_bpm(s->snd.p, s->song.bpm);
    }
    take_cancel(&s->take); /* a take of the old seed */
    if (song_set_seed(&s->song, seed.notes, seed.n_notes, seed.n_steps, &err))
        view_status(&s->view, 2, "%s", err.msg);
    else
        view_status(&s->view, 1, "seed: the first %d bars of %s (%d notes; :seedbars N takes more), "
                            "%d/%d at %.0f bpm; g continues it", s->seed_bars,
                      t->name ? t->name : path, (int)seed.n_notes, s->song.num, s->song.den,
                      s->song.bpm);
    s->song.dirty = false;
    view_follow(&s->view, s->song.cur.cursor);
    tune_free(&seed);
    corpus_free(&c);
    s->view.dirty = DIRTY_ALL;
}
