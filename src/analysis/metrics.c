/* metrics.c — see metrics.h. */
#include "metrics.h"
#include "keyprofile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scale degrees of the key's scale: major, natural minor. */
static const bool scale_major[12] = {1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1};
static const bool scale_minor[12] = {1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0};

static const char *const pc_names[12] = {"C", "C#", "D", "D#", "E", "F",
                                         "F#", "G", "G#", "A", "A#", "B"};

/* ---- key ------------------------------------------------------------------- */

MetricsKey metrics_key_of(const double pc[METRICS_PC])
{
    MetricsKey k = {-1, false, NAN};
    k.tonic = keyprofile_best(pc, &k.minor);
    if (k.tonic >= 0)
        k.r = keyprofile_correlate(pc, k.minor ? keyprofile_minor : keyprofile_major, k.tonic);
    else
        k.minor = false;
    return k;
}

const int metrics_rep_k[METRICS_REP_K] = {1, 2, 4, 8};

char *metrics_key_name(MetricsKey k, char buf[16])
{
    if (k.tonic < 0 || k.tonic > 11)
        snprintf(buf, 16, "no key");
    else
        snprintf(buf, 16, "%s %s", keyprofile_tonic_name(k.tonic, k.minor),
                 k.minor ? "minor" : "major");
    return buf;
}

int metrics_key_bin(MetricsKey k)
{
    if (k.tonic < 0 || k.tonic > 11)
        return -1;
    return k.tonic + (k.minor ? 12 : 0);
}

char *metrics_key_bin_name(int bin, char buf[16])
{
    if (bin < 0 || bin >= METRICS_KEYS)
        snprintf(buf, 16, "?");
    else
        snprintf(buf, 16, "%s%s", keyprofile_tonic_name(bin % 12, bin >= 12),
                 bin >= 12 ? "m" : "");
    return buf;
}

static bool in_scale(MetricsKey k, int pitch)
{
    int deg = ((pitch % 12) - k.tonic + 12) % 12;
    return k.minor ? scale_minor[deg] : scale_major[deg];
}

static bool same_key(MetricsKey a, MetricsKey b)
{
    return a.tonic == b.tonic && a.minor == b.minor;
}

/* ---- one melody ------------------------------------------------------------- */

typedef struct {
    int32_t nb;           /* complete bars */
    int32_t *starts;      /* (nb + 1) */
    int32_t *first;       /* (nb + 1) first note of each bar; first[nb]: past the last */
} Bars;

static void bars_free(Bars *b)
{
    free(b->starts);
    free(b->first);
}

static bool bars_make(const Tune *t, Bars *b)
{
    int32_t j = 0;
    b->nb = tune_bars(t, NULL, 0);
    b->starts = malloc(((size_t)b->nb + 1) * sizeof *b->starts);
    b->first = malloc(((size_t)b->nb + 1) * sizeof *b->first);
    if (!b->starts || !b->first)
        return false;
    tune_bars(t, b->starts, b->nb + 1);
    for (int32_t i = 0; i <= b->nb; i++) {
        while (j < t->n_notes && t->notes[j].onset < b->starts[i])
            j++;
        b->first[i] = j;
    }
    return true;
}

/* Notes of bar i: first[i] .. first[i+1] - 1 (the last bar's end is a bar line). */
static int32_t bar_notes(const Bars *b, int32_t i)
{
    return b->first[i + 1] - b->first[i];
}

static int32_t bar_len(const Bars *b, int32_t i)
{
    return b->starts[i + 1] - b->starts[i];
}

/* Bars x and y hold the same notes relative to their starts; transposed:
 * up to one interval for all of them. */
static bool bars_equal(const Tune *t, const Bars *b, int32_t x, int32_t y, bool transposed)
{
    int32_t n = bar_notes(b, x), shift;
    if (n != bar_notes(b, y) || bar_len(b, x) != bar_len(b, y))
        return false;
    if (n == 0)
        return true;
    shift = (int)t->notes[b->first[x]].pitch - (int)t->notes[b->first[y]].pitch;
    if (!transposed && shift != 0)
        return false;
    for (int32_t i = 0; i < n; i++) {
        const Note *p = &t->notes[b->first[x] + i], *q = &t->notes[b->first[y] + i];
        if (p->onset - b->starts[x] != q->onset - b->starts[y] || p->dur != q->dur ||
            (int)p->pitch - (int)q->pitch != shift)
            return false;
    }
    return true;
}

/* Step states of bar i into st (bar_len entries): 0 silent, else
 * 2 * (pitch + 1) + onset, the highest pitch winning. */
static void bar_states(const Tune *t, const Bars *b, int32_t i, int32_t *st)
{
    int32_t s0 = b->starts[i], len = bar_len(b, i);
    memset(st, 0, (size_t)len * sizeof *st);
    for (int32_t j = b->first[i]; j < b->first[i + 1]; j++) {
        const Note *a = &t->notes[j];
        int32_t end = a->onset - s0 + a->dur;
        if (end > len)
            end = len;
        for (int32_t s = a->onset - s0; s < end; s++) {
            int32_t v = 2 * (a->pitch + 1) + (s == a->onset - s0);
            if (v / 2 > st[s] / 2 || (v / 2 == st[s] / 2 && v > st[s]))
                st[s] = v;
        }
    }
}

static int length_bin(int32_t d)
{
    static const int32_t upper[METRICS_LENGTHS - 1] = {1, 2, 3, 4, 6, 8, 12, 16};
    for (int i = 0; i < METRICS_LENGTHS - 1; i++)
        if (d <= upper[i])
            return i;
    return METRICS_LENGTHS - 1;
}

static void metrics_clear(const Tune *t, MelodyMetrics *out)
{
    memset(out, 0, sizeof *out);
    out->key.tonic = -1;
    out->key.r = NAN;
    out->lo = out->hi = -1;
    out->in_key = out->key_stability = out->range = out->density = NAN;
    out->rep1 = out->rep2 = out->rep4 = out->rep8 = NAN;
    out->rep1_transposed = out->rep2_transposed = out->self_sim = NAN;
    out->strain = out->last_tonic = out->cad_full = out->cad_half = NAN;
    out->cad_full_beat = out->cad_half_beat = NAN;
    out->last_pitch = -1;
    out->notes = t->n_notes;
}

/* Pitch classes, lengths, range; the key and the in-key share. */
static void pitch_figures(const Tune *t, MelodyMetrics *out)
{
    double dur_all = 0, dur_in = 0;
    for (int32_t i = 0; i < t->n_notes; i++) {
        const Note *a = &t->notes[i];
        out->pc[a->pitch % 12] += a->dur;
        out->length[length_bin(a->dur)] += 1;
        if (out->lo < 0 || a->pitch < out->lo)
            out->lo = a->pitch;
        if (a->pitch > out->hi)
            out->hi = a->pitch;
    }
    if (t->n_notes > 0)
        out->range = out->hi - out->lo;
    out->key = metrics_key_of(out->pc);
    if (out->key.tonic < 0)
        return;
    for (int32_t i = 0; i < t->n_notes; i++) {
        const Note *a = &t->notes[i];
        dur_all += a->dur;
        if (in_scale(out->key, a->pitch))
            dur_in += a->dur;
    }
    out->in_key = dur_all > 0 ? dur_in / dur_all : NAN;
}

/* Per bar: notes and density; the share of bars (with notes) whose
 * neighbourhood (the bar and the ones beside it) is in the tune's key. */
static ReelStatus bar_figures(const Tune *t, const Bars *b, MelodyMetrics *out)
{
    double (*barpc)[12] = calloc((size_t)b->nb + 1, sizeof *barpc);
    int32_t in_bars = 0, stable = 0;
    if (!barpc)
        return REEL_ENOMEM;
    for (int32_t i = 0; i < b->nb; i++) {
        if (bar_notes(b, i) > 0)
            out->bars_with_notes++;
        in_bars += bar_notes(b, i);
        for (int32_t j = b->first[i]; j < b->first[i + 1]; j++)
            barpc[i][t->notes[j].pitch % 12] += t->notes[j].dur;
    }
    if (b->nb > 0)
        out->density = (double)in_bars / b->nb;
    if (out->key.tonic >= 0 && out->bars_with_notes > 0) {
        for (int32_t i = 0; i < b->nb; i++) {
            double w[12] = {0};
            if (bar_notes(b, i) == 0)
                continue;
            for (int32_t k = i - 1; k <= i + 1; k++)
                if (k >= 0 && k < b->nb)
                    for (int p = 0; p < 12; p++)
                        w[p] += barpc[k][p];
            if (same_key(metrics_key_of(w), out->key))
                stable++;
        }
        out->key_stability = (double)stable / out->bars_with_notes;
    }
    free(barpc);
    return REEL_OK;
}

static double share_of(int32_t n, int32_t of)
{
    return of > 0 ? (double)n / of : NAN;
}

/* Bars equal to the bar 1, 2, 4, 8 before (and 1 and 2 before, transposed). */
static void repetition(const Tune *t, const Bars *b, MelodyMetrics *out)
{
    int32_t *tr[2] = {&out->rep1_transposed_equal, &out->rep2_transposed_equal};
    for (int r = 0; r < METRICS_REP_K; r++) {
        int k = metrics_rep_k[r];
        for (int32_t i = k; i < b->nb; i++) {
            if (bar_notes(b, i) == 0)
                continue;
            out->rep_pairs[r]++;
            if (bars_equal(t, b, i, i - k, false))
                out->rep_equal[r]++;
            if (k <= 2 && bars_equal(t, b, i, i - k, true))
                (*tr[k - 1])++;
        }
    }
    out->rep1 = share_of(out->rep_equal[0], out->rep_pairs[0]);
    out->rep2 = share_of(out->rep_equal[1], out->rep_pairs[1]);
    out->rep4 = share_of(out->rep_equal[2], out->rep_pairs[2]);
    out->rep8 = share_of(out->rep_equal[3], out->rep_pairs[3]);
    out->rep1_transposed = share_of(out->rep1_transposed_equal, out->rep_pairs[0]);
    out->rep2_transposed = share_of(out->rep2_transposed_equal, out->rep_pairs[1]);
}

/* Bars 9-15 equal to bars 1-7 (some of them with notes). */
static void strain(const Tune *t, const Bars *b, MelodyMetrics *out)
{
    const int32_t half = METRICS_STRAIN_BARS / 2;
    bool same = true, notes = false;
    if (b->nb < METRICS_STRAIN_BARS)
        return;
    for (int32_t i = 0; i < half - 1; i++) {
        notes = notes || bar_notes(b, i) > 0;
        same = same && bars_equal(t, b, i + half, i, false);
    }
    out->strain = same && notes ? 1.0 : 0.0;
}

/* A beat of bar i (steps) and whether offset (steps from the bar line) is
 * a strong beat. */
static int32_t beat_steps(const Tune *t, const Bars *b, int32_t i, int32_t offset, bool *strong)
{
    TimeSig ts = tune_sig_at(t, b->starts[i]);
    bool compound = ts.den == 8 && ts.num % 3 == 0 && ts.num > 3;
    int32_t beat = compound ? 6 : 16 / (ts.den > 0 && ts.den <= 16 ? ts.den : 4);
    int32_t beats = compound ? ts.num / 3 : ts.num;
    if (beat < 1)
        beat = 1;
    *strong = offset == 0 || (beats == 4 && offset == 2 * beat);
    return beat;
}

/* The last line note, and the cadences at the ends of the 4-bar phrases. */
static void cadences(const Tune *t, const Bars *b, const int32_t *line, int32_t nl,
                     MelodyMetrics *out)
{
    int32_t j = 0;
    if (nl == 0)
        return;
    out->last_pitch = t->notes[line[nl - 1]].pitch;
    if (out->key.tonic < 0)
        return;
    out->last_tonic = out->last_pitch % 12 == out->key.tonic ? 1.0 : 0.0;
    for (int32_t p = 0; p + METRICS_PHRASE_BARS <= b->nb; p += METRICS_PHRASE_BARS) {
        int32_t end = b->starts[p + METRICS_PHRASE_BARS], last = -1, bar = p;
        const Note *n;
        bool strong;
        int32_t beat, deg;
        for (; j < nl && t->notes[line[j]].onset < end; j++)
            if (t->notes[line[j]].onset >= b->starts[p])
                last = line[j];
        if (last < 0)
            continue;
        n = &t->notes[last];
        while (bar + 1 < p + METRICS_PHRASE_BARS && b->starts[bar + 1] <= n->onset)
            bar++;
        beat = beat_steps(t, b, bar, n->onset - b->starts[bar], &strong);
        deg = (n->pitch % 12 - out->key.tonic + 12) % 12;
        out->phrases++;
        out->cad_full_n += deg == 0;
        out->cad_half_n += deg == 7;
        if (strong || n->dur >= beat) {
            out->cad_full_beat_n += deg == 0;
            out->cad_half_beat_n += deg == 7;
        }
    }
    out->cad_full = share_of(out->cad_full_n, out->phrases);
    out->cad_half = share_of(out->cad_half_n, out->phrases);
    out->cad_full_beat = share_of(out->cad_full_beat_n, out->phrases);
    out->cad_half_beat = share_of(out->cad_half_beat_n, out->phrases);
}

/* The mean share of equal steps over the pairs of bars with notes
 * (states: every bar's step states, offs: where each bar's start). */
static double states_similarity(const Bars *b, const int32_t *states, const int32_t *offs)
{
    double sum = 0;
    int64_t pairs = 0;
    for (int32_t i = 0; i < b->nb; i++) {
        if (bar_notes(b, i) == 0)
            continue;
        for (int32_t j = i + 1; j < b->nb; j++) {
            int32_t li = bar_len(b, i), lj = bar_len(b, j), n = li < lj ? li : lj, same = 0;
            const int32_t *x = states + offs[i], *y = states + offs[j];
            if (bar_notes(b, j) == 0)
                continue;
            for (int32_t k = 0; k < n; k++)
                same += x[k] == y[k];
            sum += (double)same / (li > lj ? li : lj);
            pairs++;
        }
    }
    return pairs > 0 ? sum / (double)pairs : NAN;
}

/* Self-similarity over the bars with notes (two at least). */
static ReelStatus self_similarity(const Tune *t, const Bars *b, MelodyMetrics *out)
{
    int32_t total = 0, *states, *offs;
    if (out->bars_with_notes < 2)
        return REEL_OK;
    for (int32_t i = 0; i < b->nb; i++)
        total += bar_len(b, i);
    states = malloc(((size_t)total + 1) * sizeof *states);
    offs = malloc(((size_t)b->nb + 1) * sizeof *offs);
    if (!states || !offs) {
        free(states);
        free(offs);
        return REEL_ENOMEM;
    }
    for (int32_t i = 0, o = 0; i < b->nb; i++) {
        offs[i] = o;
        bar_states(t, b, i, states + o);
        o += bar_len(b, i);
    }
    out->self_sim = states_similarity(b, states, offs);
    free(states);
    free(offs);
    return REEL_OK;
}

/* Intervals along the melody line; its last note and the cadences. */
static ReelStatus line_figures(const Tune *t, const Bars *b, MelodyMetrics *out)
{
    int32_t *line = malloc(((size_t)t->n_notes + 1) * sizeof *line);
    int32_t *ldur = malloc(((size_t)t->n_notes + 1) * sizeof *ldur);
    int32_t nl;
    if (!line || !ldur) {
        free(line);
        free(ldur);
        return REEL_ENOMEM;
    }
    nl = origin_line(t, line, ldur);
    cadences(t, b, line, nl, out);
    for (int32_t i = 1; i < nl; i++) {
        int d = (int)t->notes[line[i]].pitch - (int)t->notes[line[i - 1]].pitch;
        if (d < -METRICS_INTERVAL_MAX)
            d = -METRICS_INTERVAL_MAX;
        if (d > METRICS_INTERVAL_MAX)
            d = METRICS_INTERVAL_MAX;
        out->interval[d + METRICS_INTERVAL_MAX] += 1;
    }
    free(line);
    free(ldur);
    return REEL_OK;
}

ReelStatus metrics_compute(const Tune *t, const OriginIndex *ix, MelodyMetrics *out,
                           ReelError *err)
{
    Bars b = {0, NULL, NULL};
    ReelStatus st = REEL_OK;
    metrics_clear(t, out);
    if (!bars_make(t, &b)) {
        bars_free(&b);
        return reel_fail(err, REEL_ENOMEM, "out of memory computing melody metrics");
    }
    out->bars = b.nb;
    pitch_figures(t, out);
    repetition(t, &b, out);
    strain(t, &b, out);
    if (bar_figures(t, &b, out) || self_similarity(t, &b, out) || line_figures(t, &b, out))
        st = reel_fail(err, REEL_ENOMEM, "out of memory computing melody metrics");
    bars_free(&b);
    if (st || !ix)
        return st;
    if ((st = origin_query(ix, t, -1, &out->origin, err)))
        return st;
    out->has_origin = true;
    return REEL_OK;
}

int32_t metrics_bar_keys(const Tune *t, MetricsKey *out, int32_t max)
{
    Bars b = {0, NULL, NULL};
    double (*barpc)[12];
    int32_t nb;
    if (!bars_make(t, &b)) {
        bars_free(&b);
        return -1;
    }
    nb = b.nb;
    if (!(barpc = calloc((size_t)nb + 1, sizeof *barpc))) {
        bars_free(&b);
        return -1;
    }
    for (int32_t i = 0; i < nb; i++)
        for (int32_t j = b.first[i]; j < b.first[i + 1]; j++)
            barpc[i][t->notes[j].pitch % 12] += t->notes[j].dur;
    for (int32_t i = 0; i < nb && i < max; i++) {
        double w[12] = {0};
        for (int32_t k = i - 1; k <= i + 1; k++)
            if (k >= 0 && k < nb)
                for (int p = 0; p < 12; p++)
                    w[p] += barpc[k][p];
        out[i] = metrics_key_of(w);
    }
    free(barpc);
    bars_free(&b);
    return nb;
}

static char *pct(double v, char buf[8])
{
    if (isnan(v))
        snprintf(buf, 8, "-");
    else
        snprintf(buf, 8, "%.0f%%", 100 * v);
    return buf;
}

char *metrics_summary(const MelodyMetrics *m, const OriginIndex *ix, char *buf, size_t size)
{
    char key[16], a[8], b[8], c[8];
    size_t n;
    if (size == 0)
        return buf;
    if (m->notes == 0) {
        snprintf(buf, size, "no notes");
        return buf;
    }
    n = (size_t)snprintf(buf, size, "%s, %s in key | repeats %s/%s", metrics_key_name(m->key, key),
                         pct(m->in_key, a), pct(m->rep1, b), pct(m->rep2, c));
    if (n < size && !isnan(m->rep4))
        n += (size_t)snprintf(buf + n, size - n, " | 4/8 back %s/%s", pct(m->rep4, b),
                              pct(m->rep8, c));
    if (n < size && !isnan(m->last_tonic))
        n += (size_t)snprintf(buf + n, size - n, " | ends %s tonic",
                              m->last_tonic > 0 ? "on the" : "off the");
    if (n < size && !isnan(m->self_sim))
        n += (size_t)snprintf(buf + n, size - n, " | sim %.2f", m->self_sim);
    if (n < size)
        n += (size_t)snprintf(buf + n, size - n, " | range %d", m->hi - m->lo);
    if (n < size && !isnan(m->density))
        n += (size_t)snprintf(buf + n, size - n, " | %.1f notes/bar", m->density);
    if (n < size && m->has_origin) {
        const OriginResult *o = &m->origin;
        if (o->copied > 0)
            n += (size_t)snprintf(buf + n, size - n, " | COPIED: %d of %d windows", o->copied,
                                  o->windows);
        else
            n += (size_t)snprintf(buf + n, size - n, " | 0 of %d windows copied", o->windows);
        if (n < size && o->run > 0) {
            n += (size_t)snprintf(buf + n, size - n, ", run %d notes", o->run);
            if (n < size && ix && o->run_tune >= 0)
                snprintf(buf + n, size - n, " (bar %d of %s)", o->run_tune_bar + 1,
                         origin_tune_name(ix, o->run_tune));
        }
    }
    return buf;
}

/* ---- sets -------------------------------------------------------------------- */

static const struct {
    const char *key, *label;
} scalar_names[METRICS_SCALARS] = {
    [METRICS_MAJOR] = {"major", "in a major key"},
    [METRICS_KEY_R] = {"key_correlation", "key correlation"},
    [METRICS_IN_KEY] = {"in_key", "in-key share"},
    [METRICS_KEY_STABILITY] = {"key_stability", "key stability (3-bar keys)"},
    [METRICS_DENSITY] = {"notes_per_bar", "notes per bar"},
    [METRICS_RANGE] = {"pitch_range", "pitch range (semitones)"},
    [METRICS_REP1] = {"repeat_1bar", "bar repeats bar before"},
    [METRICS_REP2] = {"repeat_2bar", "bar repeats bar 2 before"},
    [METRICS_REP1_TRANSPOSED] = {"repeat_1bar_transposed", "... up to transposition"},
    [METRICS_SELF_SIM] = {"self_similarity", "self-similarity of bars"},
    [METRICS_RUN] = {"copied_run", "longest copied run (notes)"},
    [METRICS_RUN_TRANSPOSED] = {"copied_run_transposed", "... up to transposition"},
    [METRICS_COPIED_ANY] = {"copied_any", "with a copied 2-bar window"},
    [METRICS_REP2_TRANSPOSED] = {"repeat_2bar_transposed", "... up to transposition"},
    [METRICS_REP4] = {"repeat_4bar", "bar repeats bar 4 before"},
    [METRICS_REP8] = {"repeat_8bar", "bar repeats bar 8 before"},
    [METRICS_STRAIN] = {"strain_repeated", "strain repeated (bars 9-15 = 1-7)"},
    [METRICS_LAST_TONIC] = {"last_note_tonic", "last note on the tonic"},
    [METRICS_CAD_FULL] = {"cadence_tonic", "phrase ends on the tonic"},
    [METRICS_CAD_HALF] = {"cadence_dominant", "phrase ends on the dominant"},
    [METRICS_CAD_FULL_BEAT] = {"cadence_tonic_beat", "... on a strong beat or held"},
    [METRICS_CAD_HALF_BEAT] = {"cadence_dominant_beat", "... on a strong beat or held"},
};

static const struct {
    const char *key, *label;
    int bins;
} hist_names[METRICS_HISTS] = {
    [METRICS_H_PC] = {"pitch_classes", "pitch classes", METRICS_PC},
    [METRICS_H_INTERVAL] = {"intervals", "intervals", METRICS_INTERVALS},
    [METRICS_H_LENGTH] = {"note_lengths", "note lengths", METRICS_LENGTHS},
    [METRICS_H_RANGE] = {"pitch_range", "pitch range", METRICS_RANGE_BINS},
    [METRICS_H_DENSITY] = {"notes_per_bar", "notes per bar", METRICS_DENSITY_BINS},
    [METRICS_H_KEY] = {"keys", "keys", METRICS_KEYS},
};

const char *metrics_scalar_key(MetricsScalar k)
{
    return k < METRICS_SCALARS ? scalar_names[k].key : "?";
}

const char *metrics_scalar_label(MetricsScalar k)
{
    return k < METRICS_SCALARS ? scalar_names[k].label : "?";
}

const char *metrics_hist_key(MetricsHist h)
{
    return h < METRICS_HISTS ? hist_names[h].key : "?";
}

const char *metrics_hist_label(MetricsHist h)
{
    return h < METRICS_HISTS ? hist_names[h].label : "?";
}

int metrics_hist_bins(MetricsHist h)
{
    return h < METRICS_HISTS ? hist_names[h].bins : 0;
}

char *metrics_hist_bin_name(MetricsHist h, int i, char buf[16])
{
    static const char *const lengths[METRICS_LENGTHS] = {"1", "2", "3", "4", "5-6",
                                                         "7-8", "9-12", "13-16", "17+"};
    buf[0] = '\0';
    switch (h) {
    case METRICS_H_PC: snprintf(buf, 16, "%s", pc_names[i % 12]); break;
    case METRICS_H_INTERVAL: snprintf(buf, 16, "%+d", i - METRICS_INTERVAL_MAX); break;
    case METRICS_H_LENGTH: snprintf(buf, 16, "%s", lengths[i % METRICS_LENGTHS]); break;
    case METRICS_H_RANGE:
        if (i == METRICS_RANGE_BINS - 1)
            snprintf(buf, 16, "%d+", 2 * i);
        else
            snprintf(buf, 16, "%d-%d", 2 * i, 2 * i + 1);
        break;
    case METRICS_H_DENSITY:
        snprintf(buf, 16, i == METRICS_DENSITY_BINS - 1 ? "%d+" : "%d", i);
        break;
    case METRICS_H_KEY: metrics_key_bin_name(i, buf); break;
    case METRICS_HISTS: break;
    }
    return buf;
}

double metrics_scalar(const MelodyMetrics *m, MetricsScalar k)
{
    switch (k) {
    case METRICS_MAJOR: return m->key.tonic < 0 ? NAN : m->key.minor ? 0.0 : 1.0;
    case METRICS_KEY_R: return m->key.r;
    case METRICS_IN_KEY: return m->in_key;
    case METRICS_KEY_STABILITY: return m->key_stability;
    case METRICS_DENSITY: return m->density;
    case METRICS_RANGE: return m->range;
    case METRICS_REP1: return m->rep1;
    case METRICS_REP2: return m->rep2;
    case METRICS_REP1_TRANSPOSED: return m->rep1_transposed;
    case METRICS_SELF_SIM: return m->self_sim;
    case METRICS_RUN: return m->has_origin ? m->origin.run : NAN;
    case METRICS_RUN_TRANSPOSED: return m->has_origin ? m->origin.run_transposed : NAN;
    case METRICS_COPIED_ANY:
        return m->has_origin ? (m->origin.copied > 0 ? 1.0 : 0.0) : NAN;
    case METRICS_REP2_TRANSPOSED: return m->rep2_transposed;
    case METRICS_REP4: return m->rep4;
    case METRICS_REP8: return m->rep8;
    case METRICS_STRAIN: return m->strain;
    case METRICS_LAST_TONIC: return m->last_tonic;
    case METRICS_CAD_FULL: return m->cad_full;
    case METRICS_CAD_HALF: return m->cad_half;
    case METRICS_CAD_FULL_BEAT: return m->cad_full_beat;
    case METRICS_CAD_HALF_BEAT: return m->cad_half_beat;
    case METRICS_SCALARS: break;
    }
    return NAN;
}

void metrics_set_init(MetricsSet *s)
{
    memset(s, 0, sizeof *s);
    metrics_set_finish(s);
}

const double *metrics_set_hist(const MetricsSet *s, MetricsHist h)
{
    switch (h) {
    case METRICS_H_PC: return s->pc;
    case METRICS_H_INTERVAL: return s->interval;
    case METRICS_H_LENGTH: return s->length;
    case METRICS_H_RANGE: return s->range;
    case METRICS_H_DENSITY: return s->density;
    case METRICS_H_KEY: return s->key;
    case METRICS_HISTS: break;
    }
    return s->pc;
}

void metrics_set_add(MetricsSet *s, const MelodyMetrics *m)
{
    s->melodies++;
    s->notes += m->notes;
    s->bars += m->bars;
    for (int k = 0; k < METRICS_SCALARS; k++) {
        double v = metrics_scalar(m, (MetricsScalar)k);
        if (isnan(v))
            continue;
        s->sum_[k] += v;
        s->sum2_[k] += v * v;
        s->s[k].n++;
    }
    for (int i = 0; i < METRICS_PC; i++)
        s->pc[i] += m->pc[i];
    for (int i = 0; i < METRICS_INTERVALS; i++)
        s->interval[i] += m->interval[i];
    for (int i = 0; i < METRICS_LENGTHS; i++)
        s->length[i] += m->length[i];
    if (!isnan(m->range)) {
        int bin = (int)m->range / 2;
        s->range[bin < METRICS_RANGE_BINS ? bin : METRICS_RANGE_BINS - 1] += 1;
    }
    if (!isnan(m->density)) {
        int bin = (int)floor(m->density);
        s->density[bin < METRICS_DENSITY_BINS ? bin : METRICS_DENSITY_BINS - 1] += 1;
    }
    if (metrics_key_bin(m->key) >= 0)
        s->key[metrics_key_bin(m->key)] += 1;
    if (m->has_origin) {
        s->with_origin++;
        s->windows += m->origin.windows;
        s->copied += m->origin.copied;
        s->copied_transposed += m->origin.copied_transposed;
        if (m->origin.copied > 0)
            s->copied_melodies++;
        if (m->origin.run > s->run_max)
            s->run_max = m->origin.run;
    }
}

void metrics_set_finish(MetricsSet *s)
{
    for (int k = 0; k < METRICS_SCALARS; k++) {
        int32_t n = s->s[k].n;
        if (n == 0) {
            s->s[k].mean = s->s[k].sd = NAN;
            continue;
        }
        s->s[k].mean = s->sum_[k] / n;
        {
            double var = s->sum2_[k] / n - s->s[k].mean * s->s[k].mean;
            s->s[k].sd = var > 0 ? sqrt(var) : 0;
        }
    }
}

double metrics_set_copied_share(const MetricsSet *s, bool transposed)
{
    if (s->windows == 0)
        return NAN;
    return (double)(transposed ? s->copied_transposed : s->copied) / (double)s->windows;
}

/* ---- comparing --------------------------------------------------------------- */

void metrics_normalise(const double *h, int n, double *out)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += h[i];
    for (int i = 0; i < n; i++)
        out[i] = sum > 0 ? h[i] / sum : 0;
}

static double hist_sum(const double *h, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += h[i];
    return s;
}

double metrics_kl(const double *p, const double *q, int n)
{
    double sp = hist_sum(p, n), sq = hist_sum(q, n), kl = 0;
    if (!(sp > 0) || !(sq > 0))
        return NAN;
    for (int i = 0; i < n; i++) {
        double a = (p[i] / sp + METRICS_SMOOTH) / (1 + n * METRICS_SMOOTH);
        double b = (q[i] / sq + METRICS_SMOOTH) / (1 + n * METRICS_SMOOTH);
        kl += a * log(a / b);
    }
    return kl;
}

double metrics_overlap(const double *p, const double *q, int n)
{
    double sp = hist_sum(p, n), sq = hist_sum(q, n), ov = 0;
    if (!(sp > 0) || !(sq > 0))
        return NAN;
    for (int i = 0; i < n; i++)
        ov += fmin(p[i] / sp, q[i] / sq);
    return ov;
}

/* (h[i], -i) comes before (h[j], -j) in the order of metrics_hist_top. */
static bool hist_before(const double *h, int i, int j)
{
    return h[i] > h[j] || (h[i] == h[j] && i < j);
}

int metrics_hist_top(const double *h, int bins, int n, int *top, double *share)
{
    double sum = hist_sum(h, bins);
    int k = 0;
    for (; k < n; k++) {
        int best = -1;
        for (int i = 0; i < bins; i++)
            if (h[i] > 0 && (k == 0 || hist_before(h, top[k - 1], i)) &&
                (best < 0 || hist_before(h, i, best)))
                best = i;
        if (best < 0)
            break;
        top[k] = best;
        if (share)
            share[k] = h[best] / sum;
    }
    return k;
}

void metrics_compare(const MetricsSet *ref, const MetricsSet *set,
                     MetricsCompare out[METRICS_HISTS])
{
    for (int h = 0; h < METRICS_HISTS; h++) {
        const double *p = metrics_set_hist(ref, (MetricsHist)h),
                     *q = metrics_set_hist(set, (MetricsHist)h);
        int n = metrics_hist_bins((MetricsHist)h);
        out[h].kl = metrics_kl(p, q, n);
        out[h].overlap = metrics_overlap(p, q, n);
    }
}
