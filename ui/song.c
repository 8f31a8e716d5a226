/* song.c — the studio's melody and its undo history (see song.h). */
#include "song.h"

#include <stdlib.h>
#include <string.h>

/* ---- states ------------------------------------------------------------- */

static void state_free(SongState *st)
{
    free(st->seed);
    free(st->gen);
    memset(st, 0, sizeof *st);
}

static bool notes_dup(Note **dst, int32_t *cap, const Note *src, int32_t n)
{
    *dst = NULL;
    *cap = 0;
    if (n == 0)
        return true;
    if (!(*dst = malloc((size_t)n * sizeof **dst)))
        return false;
    memcpy(*dst, src, (size_t)n * sizeof **dst);
    *cap = n;
    return true;
}

static bool state_copy(SongState *dst, const SongState *src)
{
    *dst = *src;
    if (!notes_dup(&dst->seed, &dst->cap_seed, src->seed, src->n_seed))
        return false;
    if (!notes_dup(&dst->gen, &dst->cap_gen, src->gen, src->n_gen)) {
        free(dst->seed);
        return false;
    }
    return true;
}

static bool reserve(Note **v, int32_t *cap, int32_t want)
{
    Note *p;
    int32_t c;
    if (want <= *cap)
        return true;
    c = *cap ? *cap : 64;
    while (c < want)
        c *= 2;
    if (!(p = realloc(*v, (size_t)c * sizeof *p)))
        return false;
    *v = p;
    *cap = c;
    return true;
}

static int note_cmp(const void *a, const void *b)
{
    const Note *x = a, *y = b;
    if (x->onset != y->onset)
        return x->onset < y->onset ? -1 : 1;
    return (int)x->pitch - (int)y->pitch;
}

/* The seed's notes in order (an empty seed may have no array at all). */
static void sort_seed(SongState *st)
{
    if (st->n_seed > 1)
        qsort(st->seed, (size_t)st->n_seed, sizeof *st->seed, note_cmp);
}

/* ---- the song ------------------------------------------------------------ */

void song_init(Song *s)
{
    memset(s, 0, sizeof *s);
    s->num = 4;
    s->den = 4;
    s->bpm = 120;
}

void song_free(Song *s)
{
    state_free(&s->cur);
    for (int i = 0; i < s->n_undo; i++)
        state_free(&s->undo[i]);
    for (int i = 0; i < s->n_redo; i++)
        state_free(&s->redo[i]);
    free(s->undo);
    free(s->redo);
    memset(s, 0, sizeof *s);
}

int32_t song_bar_steps(const Song *s)
{
    int32_t b = s->den > 0 ? s->num * 16 / s->den : 16;
    return b >= 1 ? b : 16;
}

int32_t song_bar_floor(const Song *s, int32_t step)
{
    int32_t b = song_bar_steps(s);
    if (step <= 0)
        return 0;
    return step / b * b;
}

int32_t song_bar_ceil(const Song *s, int32_t step)
{
    int32_t b = song_bar_steps(s);
    if (step <= 0)
        return 0;
    return (step + b - 1) / b * b;
}

int32_t song_end(const Song *s)
{
    int32_t e = s->cur.seed_end;
    if (s->cur.n_gen > 0 || s->cur.gen_end > 0)
        e = e > s->cur.gen_end ? e : s->cur.gen_end;
    return e;
}

bool song_has_gen(const Song *s)
{
    return s->cur.n_gen > 0 || s->cur.gen_end > s->cur.gen_start;
}

bool song_empty(const Song *s)
{
    return s->cur.n_seed == 0 && s->cur.n_gen == 0;
}

static void changed(Song *s)
{
    s->version++;
    s->dirty = true;
}

void song_checkpoint(Song *s)
{
    SongState copy;
    if (!state_copy(&copy, &s->cur))
        return; /* out of memory: this edit cannot be undone */
    if (s->n_undo == SONG_UNDO_MAX) {
        state_free(&s->undo[0]);
        memmove(s->undo, s->undo + 1, (size_t)(SONG_UNDO_MAX - 1) * sizeof *s->undo);
        s->n_undo--;
    }
    if (!s->undo && !(s->undo = calloc(SONG_UNDO_MAX, sizeof *s->undo))) {
        state_free(&copy);
        return;
    }
    s->undo[s->n_undo++] = copy;
    for (int i = 0; i < s->n_redo; i++)
        state_free(&s->redo[i]);
    s->n_redo = 0;
}

static bool swap_level(Song *s, SongState *from, int *n_from, SongState **to, int *n_to)
{
    SongState copy;
    if (*n_from == 0)
        return false;
    if (!*to && !(*to = calloc(SONG_UNDO_MAX, sizeof **to)))
        return false;
    if (!state_copy(&copy, &s->cur))
        return false;
    if (*n_to == SONG_UNDO_MAX) {
        state_free(&(*to)[0]);
        memmove(*to, *to + 1, (size_t)(SONG_UNDO_MAX - 1) * sizeof **to);
        (*n_to)--;
    }
    (*to)[(*n_to)++] = copy;
    state_free(&s->cur);
    s->cur = from[--(*n_from)];
    memset(&from[*n_from], 0, sizeof from[*n_from]);
    changed(s);
    return true;
}

bool song_undo(Song *s)
{
    return swap_level(s, s->undo, &s->n_undo, &s->redo, &s->n_redo);
}

bool song_redo(Song *s)
{
    return swap_level(s, s->redo, &s->n_redo, &s->undo, &s->n_undo);
}

/* Remove seed notes starting in [a, b); cut one that sounds into a. */
static void seed_clear_span(SongState *st, int32_t a, int32_t b)
{
    int32_t k = 0;
    for (int32_t i = 0; i < st->n_seed; i++) {
        Note x = st->seed[i];
        if (x.onset >= a && x.onset < b)
            continue;
        if (x.onset < a && x.onset + x.dur > a)
            x.dur = a - x.onset;
        st->seed[k++] = x;
    }
    st->n_seed = k;
}

/* Before typing at the cursor: settle the generated part (song.h). */
static bool settle_gen(SongState *st)
{
    if (st->n_gen == 0 && st->gen_end <= st->gen_start) {
        st->gen_end = st->gen_start = 0;
        return true;
    }
    if (st->cursor >= st->gen_start) {
        for (int32_t i = 0; i < st->n_gen; i++) {
            Note x = st->gen[i];
            if (x.onset >= st->cursor)
                break;
            if (x.onset + x.dur > st->cursor)
                x.dur = st->cursor - x.onset;
            if (!reserve(&st->seed, &st->cap_seed, st->n_seed + 1))
                return false;
            st->seed[st->n_seed++] = x;
        }
        sort_seed(st);
        if (st->cursor > st->seed_end)
            st->seed_end = st->cursor;
    }
    st->n_gen = 0;
    st->gen_start = st->gen_end = 0;
    return true;
}

static ReelStatus type_span(Song *s, int pitch, int32_t dur, ReelError *err)
{
    SongState *st = &s->cur;
    if (dur < 1 || dur > 1024 || pitch > 127)
        return reel_fail(err, REEL_EARG, "a note needs a length of 1..1024 steps and a pitch "
                                         "of 0..127");
    song_checkpoint(s);
    if (!settle_gen(st))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    seed_clear_span(st, st->cursor, st->cursor + dur);
    if (pitch >= 0) {
        Note x = {st->cursor, dur, (uint8_t)pitch, 100};
        if (!reserve(&st->seed, &st->cap_seed, st->n_seed + 1))
            return reel_fail(err, REEL_ENOMEM, "out of memory");
        st->seed[st->n_seed++] = x;
        sort_seed(st);
    }
    st->cursor += dur;
    if (st->cursor > st->seed_end)
        st->seed_end = st->cursor;
    changed(s);
    return REEL_OK;
}

ReelStatus song_type_note(Song *s, int pitch, int32_t dur, ReelError *err)
{
    if (pitch < 0)
        return reel_fail(err, REEL_EARG, "no pitch");
    return type_span(s, pitch, dur, err);
}

ReelStatus song_type_rest(Song *s, int32_t dur, ReelError *err)
{
    return type_span(s, -1, dur, err);
}

ReelStatus song_put_notes(Song *s, const Note *notes, int32_t n, int32_t from, int32_t to,
                          ReelError *err)
{
    SongState *st = &s->cur;
    if (from < 0 || to < from)
        return reel_fail(err, REEL_EARG, "bad span");
    song_checkpoint(s);
    st->cursor = from;
    if (!settle_gen(st))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    seed_clear_span(st, from, to);
    if (!reserve(&st->seed, &st->cap_seed, st->n_seed + n))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    for (int32_t i = 0; i < n; i++)
        if (notes[i].dur >= 1 && notes[i].onset >= 0)
            st->seed[st->n_seed++] = notes[i];
    sort_seed(st);
    if (to > st->seed_end)
        st->seed_end = to;
    st->cursor = to;
    changed(s);
    return REEL_OK;
}

bool song_delete_at_cursor(Song *s)
{
    SongState *st = &s->cur;
    int32_t best = -1;
    for (int32_t i = 0; i < st->n_seed; i++)
        if (st->seed[i].onset <= st->cursor && st->seed[i].onset + st->seed[i].dur > st->cursor)
            best = i;
    if (best < 0)
        return false;
    song_checkpoint(s);
    memmove(st->seed + best, st->seed + best + 1,
            (size_t)(st->n_seed - best - 1) * sizeof *st->seed);
    st->n_seed--;
    changed(s);
    return true;
}

ReelStatus song_set_seed(Song *s, const Note *notes, int32_t n, int32_t seed_end, ReelError *err)
{
    SongState *st = &s->cur;
    song_checkpoint(s);
    st->n_seed = 0;
    st->n_gen = 0;
    st->gen_start = st->gen_end = 0;
    if (!reserve(&st->seed, &st->cap_seed, n))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    for (int32_t i = 0; i < n; i++) {
        st->seed[st->n_seed++] = notes[i];
        if (notes[i].onset + notes[i].dur > seed_end)
            seed_end = notes[i].onset + notes[i].dur;
    }
    sort_seed(st);
    st->seed_end = seed_end;
    st->cursor = seed_end;
    changed(s);
    return REEL_OK;
}

void song_clear(Song *s)
{
    song_checkpoint(s);
    s->cur.n_seed = s->cur.n_gen = 0;
    s->cur.seed_end = s->cur.gen_start = s->cur.gen_end = 0;
    s->cur.cursor = 0;
    changed(s);
}

void song_keep(Song *s)
{
    SongState *st = &s->cur;
    if (!song_has_gen(s))
        return;
    song_checkpoint(s);
    if (!reserve(&st->seed, &st->cap_seed, st->n_seed + st->n_gen))
        return;
    if (st->n_gen > 0)
        memcpy(st->seed + st->n_seed, st->gen, (size_t)st->n_gen * sizeof *st->gen);
    st->n_seed += st->n_gen;
    sort_seed(st);
    if (st->gen_end > st->seed_end)
        st->seed_end = st->gen_end;
    st->n_gen = 0;
    st->gen_start = st->gen_end = 0;
    st->cursor = st->seed_end;
    changed(s);
}

void song_discard(Song *s)
{
    if (!song_has_gen(s))
        return;
    song_checkpoint(s);
    s->cur.n_gen = 0;
    s->cur.gen_start = s->cur.gen_end = 0;
    if (s->cur.cursor > s->cur.seed_end)
        s->cur.cursor = s->cur.seed_end;
    changed(s);
}

ReelStatus song_set_gen(Song *s, const Note *notes, int32_t n, int32_t gen_start,
                        int32_t gen_end, ReelError *err)
{
    SongState *st = &s->cur;
    if (!reserve(&st->gen, &st->cap_gen, n))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    if (n)
        memcpy(st->gen, notes, (size_t)n * sizeof *notes);
    st->n_gen = n;
    st->gen_start = gen_start;
    st->gen_end = gen_end;
    changed(s);
    return REEL_OK;
}

void song_set_cursor(Song *s, int32_t step)
{
    s->cur.cursor = step < 0 ? 0 : step;
}

static ReelStatus make_tune(const Song *s, Tune *out, int32_t n_steps, ReelError *err)
{
    tune_init(out);
    if (tune_add_sig(out, 0, s->num, s->den, err) ||
        tune_add_tempo(out, 0, (int32_t)(60000000.0 / (s->bpm > 0 ? s->bpm : 120) + 0.5), err)) {
        tune_free(out);
        return err ? err->status : REEL_ENOMEM;
    }
    out->n_steps = n_steps;
    return REEL_OK;
}

static ReelStatus add_all(Tune *t, const Note *v, int32_t n, int32_t upto, ReelError *err)
{
    for (int32_t i = 0; i < n; i++) {
        Note x = v[i];
        if (x.onset >= upto)
            continue;
        if (x.onset + x.dur > upto)
            x.dur = upto - x.onset;
        if (tune_add_note(t, x.onset, x.dur, x.pitch, x.vel, err))
            return err ? err->status : REEL_ENOMEM;
    }
    return REEL_OK;
}

ReelStatus song_seed_tune(const Song *s, Tune *out, ReelError *err)
{
    if (make_tune(s, out, s->cur.seed_end, err))
        return err ? err->status : REEL_ENOMEM;
    if (add_all(out, s->cur.seed, s->cur.n_seed, INT32_MAX, err)) {
        tune_free(out);
        return err ? err->status : REEL_ENOMEM;
    }
    tune_sort(out);
    out->n_steps = s->cur.seed_end > out->n_steps ? s->cur.seed_end : out->n_steps;
    return REEL_OK;
}

ReelStatus song_tune_upto(const Song *s, int32_t upto, Tune *out, ReelError *err)
{
    if (make_tune(s, out, upto, err))
        return err ? err->status : REEL_ENOMEM;
    if (add_all(out, s->cur.seed, s->cur.n_seed, upto, err) ||
        add_all(out, s->cur.gen, s->cur.n_gen, upto, err)) {
        tune_free(out);
        return err ? err->status : REEL_ENOMEM;
    }
    tune_sort(out);
    out->n_steps = upto;
    return REEL_OK;
}

ReelStatus song_tune(const Song *s, Tune *out, ReelError *err)
{
    ReelStatus st = song_tune_upto(s, INT32_MAX, out, err);
    if (st == REEL_OK) {
        int32_t e = song_end(s);
        int32_t last = 0;
        for (int32_t i = 0; i < out->n_notes; i++)
            if (out->notes[i].onset + out->notes[i].dur > last)
                last = out->notes[i].onset + out->notes[i].dur;
        out->n_steps = e > last ? e : last;
    }
    return st;
}

ReelStatus song_all_notes(const Song *s, Note **out, bool **is_gen, int32_t *n, ReelError *err)
{
    int32_t na = s->cur.n_seed, nb = s->cur.n_gen, i = 0, j = 0, k = 0;
    Note *v = malloc((size_t)(na + nb + 1) * sizeof *v);
    bool *g = is_gen ? malloc((size_t)(na + nb + 1) * sizeof *g) : NULL;
    if (!v || (is_gen && !g)) {
        free(v);
        free(g);
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    }
    while (i < na || j < nb) {
        bool take_gen = i >= na || (j < nb && note_cmp(&s->cur.gen[j], &s->cur.seed[i]) < 0);
        v[k] = take_gen ? s->cur.gen[j++] : s->cur.seed[i++];
        if (g)
            g[k] = take_gen;
        k++;
    }
    *out = v;
    if (is_gen)
        *is_gen = g;
    *n = k;
    return REEL_OK;
}

static const Note *find_in(const Note *v, int32_t n, int32_t step, int pitch)
{
    const Note *best = NULL;
    for (int32_t i = 0; i < n && v[i].onset <= step; i++)
        if (v[i].onset + v[i].dur > step && (pitch < 0 || v[i].pitch == pitch))
            best = &v[i];
    return best;
}

const Note *song_note_at(const Song *s, int32_t step, int pitch, bool *gen)
{
    const Note *a = find_in(s->cur.seed, s->cur.n_seed, step, pitch);
    const Note *b = find_in(s->cur.gen, s->cur.n_gen, step, pitch);
    if (b && (!a || b->onset >= a->onset)) {
        if (gen)
            *gen = true;
        return b;
    }
    if (gen)
        *gen = false;
    return a;
}
