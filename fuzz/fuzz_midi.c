/* fuzz_midi.c — Standard MIDI Files, as `reel corpus` reads them: midi.c's
 * own validator, then libsmf on what passed (libsmf aborts or reads freed
 * memory on damaged files, so anything the validator lets through that
 * libsmf cannot take shows up here as a crash), then quant.c choosing the
 * melody and putting it on the 16th grid (by default; for inputs of odd
 * length with part "all", every non-drum note: one of the two per input, as
 * each costs about as much as the load).
 *
 * Checked: a file the validator refuses is refused by the loader too; every
 * failure has a message naming the file; a loaded song is what midi.h
 * promises (notes sorted, in range, inside end_tick, per-track counts
 * adding up, tempos and time signatures sorted, track names without control
 * characters); a quantized tune is what tune.h promises.
 */
#include "fuzz.h"

#include <string.h>

#include "midi.h"
#include "quant.h"

#define NAME "fuzz-input.mid"

static void check_song(const MidiSong *s)
{
    int64_t per_track = 0;
    if (s->format != 0 && s->format != 1)
        fuzz_fail("midi: format %d", s->format);
    if (s->ppq <= 0)
        fuzz_fail("midi: ppq %d", s->ppq);
    if (s->n_tracks < 0 || (s->n_tracks > 0 && !s->tracks))
        fuzz_fail("midi: %d tracks", s->n_tracks);
    for (int32_t i = 0; i < s->n_tracks; i++) {
        const MidiTrack *t = &s->tracks[i];
        per_track += t->n_notes;
        for (const char *c = t->name; c && *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                fuzz_fail("midi: track %d name has control character 0x%02x", i, (unsigned char)*c);
        for (int ch = 0; ch < 16; ch++)
            if (t->program[ch] < -1 || t->program[ch] > 127)
                fuzz_fail("midi: track %d channel %d program %d", i, ch, t->program[ch]);
    }
    if (per_track != s->n_notes)
        fuzz_fail("midi: tracks hold %lld notes, the song %d", (long long)per_track, s->n_notes);
    for (int32_t i = 0; i < s->n_notes; i++) {
        const MidiNote *n = &s->notes[i];
        if (n->off <= n->on || n->pitch > 127 || n->vel < 1 || n->vel > 127 || n->chan > 15 ||
            n->track >= s->n_tracks)
            fuzz_fail("midi: note %d: on %u off %u pitch %d vel %d chan %d track %d", i, n->on,
                      n->off, n->pitch, n->vel, n->chan, n->track);
        if (n->off > s->end_tick)
            fuzz_fail("midi: note %d ends at %u, after end_tick %u", i, n->off, s->end_tick);
        if (i > 0 && (n[-1].on > n->on || (n[-1].on == n->on && n[-1].pitch > n->pitch)))
            fuzz_fail("midi: notes %d and %d out of order", i - 1, i);
    }
    for (int32_t i = 1; i < s->n_tempos; i++)
        if (s->tempos[i - 1].tick > s->tempos[i].tick)
            fuzz_fail("midi: tempos %d and %d out of order", i - 1, i);
    for (int32_t i = 1; i < s->n_sigs; i++)
        if (s->sigs[i - 1].tick > s->sigs[i].tick)
            fuzz_fail("midi: time signatures %d and %d out of order", i - 1, i);
    if (s->unclosed < 0 || s->stray_offs < 0)
        fuzz_fail("midi: unclosed %d, stray offs %d", s->unclosed, s->stray_offs);
}

static void quantize(const MidiSong *song, const char *part)
{
    QuantOpts o;
    Tune t;
    ReelError err;
    memset(&o, 0, sizeof o);
    o.part = part;
    if (quant_tune(song, &o, "fuzz", NAME, &t, &err) == REEL_OK) {
        fuzz_check_tune(&t, part ? "quant (part all)" : "quant");
        tune_free(&t);
    } else if (!fuzz_has(err.msg, NAME)) {
        fuzz_fail("quant: the message does not name the file: '%s'", err.msg);
    }
}

int fuzz_midi(const uint8_t *data, size_t size)
{
    MidiSong song;
    ReelError err, verr;
    ReelStatus valid = midi_validate(data, size, NAME, &verr);
    ReelStatus s = midi_load_memory(data, size, NAME, &song, &err);
    if (s != REEL_OK) {
        if (!fuzz_has(err.msg, NAME))
            fuzz_fail("midi: the message does not name the file: '%s'", err.msg);
        midi_song_free(&song);
        return 0;
    }
    if (valid != REEL_OK)
        fuzz_fail("midi: the validator refused it (%s) but it loaded", verr.msg);
    check_song(&song);
    quantize(&song, size % 2 ? "all" : NULL);
    midi_song_free(&song);
    return 0;
}
