/* fuzz_notes.c — the notes text a musician types as a seed (`reel generate
 * --prime`, the studio's `:notes`): gen_parse_notes, and under it
 * enc_token_parse and pitch_parse.  The input is the text up to its first
 * NUL byte (the functions take C strings).
 *
 * Checked: a failure has a message; parsed notes are what tune.h promises,
 * at most ENC_MAX_STEPS long; gen_notes_text writes them and gen_parse_notes
 * reads that back to the same notes and length (generate.h promises an
 * exact round trip for what the parser makes: chord notes share one value
 * and never overlap the next onset); a token's pitches are distinct and
 * rising, its value 0..ENC_TOKEN_MAX_DUR; a pitch name written by
 * pitch_name parses back to the same pitch.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "generate.h"

static int same_notes(const Tune *a, const Tune *b)
{
    if (a->n_notes != b->n_notes || a->n_steps != b->n_steps)
        return 0;
    for (int32_t i = 0; i < a->n_notes; i++)
        if (a->notes[i].onset != b->notes[i].onset || a->notes[i].dur != b->notes[i].dur ||
            a->notes[i].pitch != b->notes[i].pitch || a->notes[i].vel != b->notes[i].vel)
            return 0;
    return 1;
}

static void check_token(const char *s)
{
    EncToken tk;
    if (strlen(s) >= ENC_TOKEN_MAX_LEN || !enc_token_parse(s, &tk))
        return;
    if (tk.dur < 0 || tk.dur > ENC_TOKEN_MAX_DUR || tk.n < 0 || tk.n > 128 ||
        (tk.rest && tk.n != 0) || (!tk.rest && tk.n == 0))
        fuzz_fail("token '%.80s': rest %d dur %d n %d", s, tk.rest, tk.dur, tk.n);
    for (int i = 0; i < tk.n; i++)
        if (tk.pitch[i] > 127 || (i > 0 && tk.pitch[i - 1] >= tk.pitch[i]))
            fuzz_fail("token '%.80s': pitches not distinct and rising at %d", s, i);
}

static void check_pitch(const char *s)
{
    char name[6];
    int p = pitch_parse(s);
    if (p < -1 || p > 127)
        fuzz_fail("pitch_parse('%.80s') = %d", s, p);
    if (p >= 0 && pitch_parse(pitch_name(p, name)) != p)
        fuzz_fail("pitch %d is named '%s', which parses as %d", p, name, pitch_parse(name));
}

int fuzz_notes(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    Tune t, back;
    ReelError err;
    char *written = NULL;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    check_token(text);
    check_pitch(text);

    if (gen_parse_notes(text, &t, &err) != REEL_OK) {
        if (!err.msg[0])
            fuzz_fail("notes: failed (%d) with an empty message", err.status);
        if (t.n_notes || t.notes)
            fuzz_fail("notes: failed but left %d notes in the tune", t.n_notes);
        free(text);
        return 0;
    }
    fuzz_check_tune(&t, "notes");
    if (t.n_steps < 1 || t.n_steps > ENC_MAX_STEPS)
        fuzz_fail("notes: n_steps %d", t.n_steps);
    if (gen_notes_text(&t, &written, &err) != REEL_OK)
        fuzz_fail("notes: gen_notes_text failed on parsed notes: %s", err.msg);
    if (gen_parse_notes(written, &back, &err) != REEL_OK)
        fuzz_fail("notes: the written text does not parse back: %s\ntext: %.300s", err.msg,
                  written);
    if (!same_notes(&t, &back))
        fuzz_fail("notes: round trip changed the notes (%d notes %d steps -> %d notes %d steps)"
                  "\ntext: %.300s", t.n_notes, t.n_steps, back.n_notes, back.n_steps, written);
    tune_free(&back);
    tune_free(&t);
    free(written);
    free(text);
    return 0;
}
