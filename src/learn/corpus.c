/* corpus.c — walk folders, load MIDI and ABC files, and measure the result.
 * See corpus.h.
 */
#include "corpus.h"
#include "grow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abc.h"
#include "midi.h"

#define DEFAULT_MAX_FILES 1000000L
#define MAX_DEPTH 64

void corpus_init(Corpus *c)
{
    memset(c, 0, sizeof *c);
}

void corpus_free(Corpus *c)
{
    if (!c)
        return;
    for (int32_t i = 0; i < c->n_tunes; i++)
        tune_free(&c->tunes[i]);
    for (int32_t i = 0; i < c->n_skips; i++)
        free(c->skips[i].path);
    free(c->tunes);
    free(c->skips);
    corpus_init(c);
}

/* ---- the list of files -------------------------------------------------- */

typedef struct {
    char **paths;
    int32_t n, cap;     /* max keeps n far below INT32_MAX */
    long max;
    bool full;          /* stopped at max */
} FileList;

static bool list_add(FileList *l, const char *path)
{
    char *p;
    if (l->n >= l->max) {
        l->full = true;
        return true;
    }
    if (!grow((void **)&l->paths, &l->cap, l->n + 1, sizeof *l->paths))
        return false;
    p = strdup(path);
    if (!p)
        return false;
    l->paths[l->n++] = p;
    return true;
}

static void list_free(FileList *l)
{
    for (long i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static ReelStatus corpus_skip(Corpus *c, const char *path, const ReelError *why)
{
    CorpusSkip *s;
    if (!grow((void **)&c->skips, &c->cap_skips, c->n_skips + 1, sizeof *c->skips))
        return REEL_ENOMEM;
    s = &c->skips[c->n_skips];
    s->path = strdup(path);
    if (!s->path)
        return REEL_ENOMEM;
    s->err = *why;
    c->n_skips++;
    return REEL_OK;
}

/* Record a skip whose message is "path: why". */
static void skip_msg(Corpus *c, const char *path, ReelStatus st, const char *why)
{
    ReelError e;
    reel_fail(&e, st, "%s: %s", path, why);
    corpus_skip(c, path, &e);
}

/* Recursively collect the regular files under dir.  Problems with a folder
 * (unreadable, too deep) become skips. */
static ReelStatus walk(Corpus *c, FileList *l, const char *dir, int depth)
{
    DIR *d;
    struct dirent *de;
    size_t dlen = strlen(dir);
    if (depth > MAX_DEPTH) {
        skip_msg(c, dir, REEL_EUNSUPPORTED, "folders nested deeper than 64 levels");
        return REEL_OK;
    }
    d = opendir(dir);
    if (!d) {
        char why[300];
        snprintf(why, sizeof why, "cannot open folder: %s", strerror(errno));
        skip_msg(c, dir, REEL_EIO, why);
        return REEL_OK;
    }
    while ((de = readdir(d)) != NULL && !l->full) {
        char *path;
        struct stat st, lst;
        if (de->d_name[0] == '.')
            continue; /* ., .., and hidden files */
        path = malloc(dlen + strlen(de->d_name) + 2);
        if (!path) {
            closedir(d);
            return REEL_ENOMEM;
        }
        sprintf(path, "%s%s%s", dir, dlen && dir[dlen - 1] == '/' ? "" : "/", de->d_name);
        if (stat(path, &st) != 0) {
            /* A dangling link or a file that vanished: the loader says why. */
            if (!list_add(l, path))
                goto nomem;
        } else if (S_ISDIR(st.st_mode)) {
            /* Follow a symlinked folder only at the top, to avoid cycles. */
            if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
                skip_msg(c, path, REEL_EUNSUPPORTED, "symbolic link to a folder, not followed");
            else if (walk(c, l, path, depth + 1) == REEL_ENOMEM)
                goto nomem;
        } else if (!list_add(l, path)) {
            goto nomem;
        }
        free(path);
        continue;
    nomem:
        free(path);
        closedir(d);
        return REEL_ENOMEM;
    }
    closedir(d);
    return REEL_OK;
}

/* ---- one file ----------------------------------------------------------- */

typedef enum { KIND_MIDI, KIND_ABC, KIND_OTHER } FileKind;

static bool has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

/* Decide by name, then by the first bytes. */
static FileKind file_kind(const char *path)
{
    char buf[512];
    ssize_t got;
    int fd;
    if (has_ext(path, ".mid") || has_ext(path, ".midi") || has_ext(path, ".smf") ||
        has_ext(path, ".kar"))
        return KIND_MIDI;
    if (has_ext(path, ".abc"))
        return KIND_ABC;
    fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return KIND_MIDI; /* the MIDI loader reports why it cannot be read */
    got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got >= 4 && memcmp(buf, "MThd", 4) == 0)
        return KIND_MIDI;
    if (got > 0) {
        buf[got] = '\0';
        if (strncmp(buf, "X:", 2) == 0 || strstr(buf, "\nX:"))
            return KIND_ABC;
    }
    return KIND_OTHER;
}

/* File name without folders and extension. */
static void stem_of(const char *path, char *out, size_t len)
{
    const char *b = strrchr(path, '/');
    const char *dot;
    size_t n;
    b = b ? b + 1 : path;
    dot = strrchr(b, '.');
    n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    if (n >= len)
        n = len - 1;
    memcpy(out, b, n);
    out[n] = '\0';
}

static ReelStatus push_tune(Corpus *c, Tune *t)
{
    if (!grow((void **)&c->tunes, &c->cap_tunes, c->n_tunes + 1, sizeof *c->tunes))
        return REEL_ENOMEM;
    c->tunes[c->n_tunes++] = *t;
    return REEL_OK;
}

static const QuantOpts *quant_opts(const CorpusOpts *o)
{
    return o ? &o->quant : NULL;
}

static bool load_midi(Corpus *c, const char *path, const CorpusOpts *opts)
{
    MidiSong song;
    Tune t;
    ReelError e;
    char stem[256];
    if (midi_load_file(path, &song, &e)) {
        corpus_skip(c, path, &e);
        return false;
    }
    stem_of(path, stem, sizeof stem);
    if (quant_tune(&song, quant_opts(opts), stem, path, &t, &e)) {
        midi_song_free(&song);
        corpus_skip(c, path, &e);
        return false;
    }
    midi_song_free(&song);
    if (push_tune(c, &t)) {
        tune_free(&t);
        reel_fail(&e, REEL_ENOMEM, "%s: out of memory", path);
        corpus_skip(c, path, &e);
        return false;
    }
    return true;
}

static bool load_abc(Corpus *c, const char *path, const CorpusOpts *opts)
{
    AbcFile f;
    ReelError e;
    char stem[256], name[300], label[4200];
    bool any = false;
    if (abc_tool_check(&e) || abc_convert_file(path, &f, &e)) {
        corpus_skip(c, path, &e);
        return false;
    }
    stem_of(path, stem, sizeof stem);
    for (int i = 0; i < f.n; i++) {
        AbcTune *a = &f.tunes[i];
        MidiSong song;
        Tune t;
        if (f.n == 1)
            snprintf(name, sizeof name, "%s", stem);
        else
            snprintf(name, sizeof name, "%s#%d", stem, a->x);
        snprintf(label, sizeof label, "%s (tune X:%d)", path, a->x);
        if (!a->midi) {
            corpus_skip(c, f.n == 1 ? path : label, &a->err);
            continue;
        }
        if (midi_load_memory(a->midi, a->midi_len, f.n == 1 ? path : label, &song, &e)) {
            corpus_skip(c, f.n == 1 ? path : label, &e);
            continue;
        }
        if (quant_tune(&song, quant_opts(opts), name, path, &t, &e)) {
            midi_song_free(&song);
            corpus_skip(c, f.n == 1 ? path : label, &e);
            continue;
        }
        midi_song_free(&song);
        if (push_tune(c, &t)) {
            tune_free(&t);
            continue;
        }
        any = true;
        c->abc_tunes++;
        if (a->warnings)
            c->abc_warnings++;
    }
    abc_file_free(&f);
    return any;
}

void corpus_load_file(Corpus *c, const char *path, const CorpusOpts *opts)
{
    bool ok = false;
    struct stat st;
    c->files_seen++;
    /* A FIFO or a device would block the reader, or never end. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        skip_msg(c, path, REEL_EUNSUPPORTED,
                 S_ISDIR(st.st_mode) ? "is a folder, not a file"
                                     : "not a regular file (a pipe or a device)");
        return;
    }
    switch (file_kind(path)) {
    case KIND_MIDI: ok = load_midi(c, path, opts); break;
    case KIND_ABC: ok = load_abc(c, path, opts); break;
    case KIND_OTHER:
        skip_msg(c, path, REEL_EFORMAT, "not a MIDI or ABC file");
        break;
    }
    if (ok)
        c->files_loaded++;
}

ReelStatus corpus_load_tune(const char *path, const CorpusOpts *opts, long tune_no, Tune *out,
                            ReelError *err)
{
    Corpus c;
    ReelStatus s;
    tune_init(out);
    corpus_init(&c);
    corpus_load_file(&c, path, opts);
    if (c.n_tunes == 0) {
        if (c.n_skips)
            s = reel_fail(err, c.skips[0].err.status, "%s", c.skips[0].err.msg);
        else
            s = reel_fail(err, REEL_EEMPTY, "no tune in the file");
    } else if (tune_no > c.n_tunes) {
        s = reel_fail(err, REEL_EARG, "%s holds %ld tune%s, not %ld", path, (long)c.n_tunes,
                      c.n_tunes == 1 ? "" : "s", tune_no);
    } else {
        s = tune_copy(out, &c.tunes[tune_no - 1], err);
    }
    corpus_free(&c);
    return s;
}

ReelStatus corpus_load(Corpus *c, const char *const *paths, int n_paths, const CorpusOpts *opts,
                       ReelError *err)
{
    FileList l = {NULL, 0, 0, DEFAULT_MAX_FILES, false};
    int32_t tunes_before = c->n_tunes;
    if (opts && opts->max_files > 0)
        l.max = opts->max_files;
    for (int i = 0; i < n_paths; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            long first = l.n;
            if (walk(c, &l, paths[i], 0) == REEL_ENOMEM) {
                list_free(&l);
                return reel_fail(err, REEL_ENOMEM, "%s: out of memory listing files", paths[i]);
            }
            if (l.n > first)
                qsort(l.paths + first, (size_t)(l.n - first), sizeof *l.paths, path_cmp);
            else
                skip_msg(c, paths[i], REEL_EEMPTY, "folder holds no files");
        } else if (!list_add(&l, paths[i])) {
            list_free(&l);
            return reel_fail(err, REEL_ENOMEM, "out of memory listing files");
        }
    }
    for (long i = 0; i < l.n; i++) {
        if (opts && opts->shards > 1 && i % opts->shards != opts->shard)
            continue;
        corpus_load_file(c, l.paths[i], opts);
        if (opts && opts->progress)
            opts->progress(opts->progress_user, i + 1, l.n, l.paths[i]);
    }
    if (l.full) {
        ReelError e;
        reel_fail(&e, REEL_EUNSUPPORTED, "stopped after %ld files (the limit); the rest were not read",
                  l.max);
        corpus_skip(c, n_paths ? paths[0] : ".", &e);
    }
    list_free(&l);
    if (c->n_tunes > tunes_before || c->n_tunes > 0)
        return REEL_OK;
    if (n_paths == 0)
        return reel_fail(err, REEL_EEMPTY, "no files given");
    if (c->n_skips == 1)
        return reel_fail(err, REEL_EEMPTY, "nothing could be loaded: %s", c->skips[0].err.msg);
    return reel_fail(err, REEL_EEMPTY, "nothing could be loaded: %ld file%s looked at, %ld skipped",
                     c->files_seen, c->files_seen == 1 ? "" : "s", (long)c->n_skips);
}

bool corpus_relocate(const char *recorded, char *out, size_t len)
{
    struct stat st;
    const char *root = getenv("REEL_CORPUS"), *tail = NULL;
    snprintf(out, len, "%s", recorded);
    if (stat(recorded, &st) == 0)
        return true;
    for (const char *p = strstr(recorded, "corpus/"); p; p = strstr(p + 1, "corpus/"))
        tail = p + 7;
    if (!root || !*root || !tail || !*tail)
        return false;
    snprintf(out, len, "%s/%s", root, tail);
    if (stat(out, &st) == 0)
        return true;
    snprintf(out, len, "%s", recorded);
    return false;
}

/* ---- figures -------------------------------------------------------------- */

ReelStatus corpus_vocab(const Corpus *c, const EncOpts *o, Vocab **out, ReelError *err)
{
    Vocab *v = vocab_new();
    ReelStatus s;
    if (!v)
        return reel_fail(err, REEL_ENOMEM, "out of memory building a vocabulary");
    for (int32_t i = 0; i < c->n_tunes; i++) {
        if ((s = enc_tokens_count(o, &c->tunes[i], v, err))) {
            vocab_free(v);
            return s;
        }
    }
    vocab_finish(v);
    *out = v;
    return REEL_OK;
}

/* Encode and decode every tune; count the notes that come back unchanged. */
static ReelStatus measure_encoding(const Corpus *c, CorpusEncFigure *f, const Vocab *v,
                                   ReelError *err)
{
    for (int32_t i = 0; i < c->n_tunes; i++) {
        const Tune *t = &c->tunes[i];
        Encoded e;
        Tune back;
        long m;
        ReelStatus s = enc_encode(&f->enc, v, t, &e, err);
        if (s)
            return s;
        s = enc_decode(&f->enc, v, &e, t, &back, err);
        if (s) {
            enc_free(&e);
            return s;
        }
        m = tune_count_matching(t, &back);
        if (m < 0) {
            enc_free(&e);
            tune_free(&back);
            return reel_fail(err, REEL_ENOMEM, "out of memory comparing notes");
        }
        f->notes += t->n_notes;
        f->exact += m;
        f->tunes_exact += m == t->n_notes && back.n_notes == t->n_notes;
        f->st.notes += e.st.notes;
        f->st.shifted += e.st.shifted;
        f->st.folded += e.st.folded;
        f->st.dropped += e.st.dropped;
        f->st.unknown += e.st.unknown;
        enc_free(&e);
        tune_free(&back);
    }
    return REEL_OK;
}

static void add_sig(CorpusStats *s, const Tune *t)
{
    TimeSig g = tune_sig_at(t, 0);
    for (int i = 0; i < s->n_sigs; i++) {
        if (s->sigs[i].num == g.num && s->sigs[i].den == g.den) {
            s->sigs[i].tunes++;
            return;
        }
    }
    if (s->n_sigs < CORPUS_MAX_SIGS) {
        s->sigs[s->n_sigs].num = g.num;
        s->sigs[s->n_sigs].den = g.den;
        s->sigs[s->n_sigs].tunes = 1;
        s->n_sigs++;
    }
}

static int sig_cmp(const void *a, const void *b)
{
    const CorpusSigCount *x = a, *y = b;
    return x->tunes < y->tunes ? 1 : x->tunes > y->tunes ? -1 : 0;
}

ReelStatus corpus_stats(const Corpus *c, CorpusStats *s, ReelError *err)
{
    static const struct { EncKind k; bool plain, dur; const char *label; } list[] = {
        {ENC_ROLL13, false, false, "roll13"},
        {ENC_ROLL13, true, false, "roll13 --plain"},
        {ENC_ROLL13_ONSET, false, false, "roll13o"},
        {ENC_ROLL128, false, false, "roll128"},
        {ENC_MELODY, false, false, "melody"},
        {ENC_TOKENS, false, true, "tokens --durations"},
        {ENC_TOKENS, false, false, "tokens"},
        {ENC_REGRESS, false, false, "regress"},
    };
    ReelStatus st;
    memset(s, 0, sizeof *s);
    s->pitch_lo = s->pitch_hi = -1;
    for (int32_t i = 0; i < c->n_tunes; i++) {
        const Tune *t = &c->tunes[i];
        int32_t sounding_until = 0;
        s->tunes++;
        s->notes += t->n_notes;
        s->notes_in += t->q.notes_in;
        s->steps += t->n_steps;
        s->q.notes_in += t->q.notes_in;
        s->q.on_grid += t->q.on_grid;
        s->q.onset_moved += t->q.onset_moved;
        s->q.dur_changed += t->q.dur_changed;
        s->q.zero_dur += t->q.zero_dur;
        s->q.merged += t->q.merged;
        s->q.collided += t->q.collided;
        s->q.trimmed += t->q.trimmed;
        s->q.overlaps_cut += t->q.overlaps_cut;
        s->q.sigs_replaced += t->q.sigs_replaced;
        s->sig_changes += t->n_sigs > 1;
        s->tempo_changes += t->n_tempos > 1;
        add_sig(s, t);
        for (int32_t j = 0; j < t->n_notes; j++) {
            const Note *n = &t->notes[j];
            s->hist[n->pitch]++;
            if (s->pitch_lo < 0 || n->pitch < s->pitch_lo)
                s->pitch_lo = n->pitch;
            if (n->pitch > s->pitch_hi)
                s->pitch_hi = n->pitch;
            if (n->onset < sounding_until)
                s->polyphonic_notes++;
            if (n->onset + n->dur > sounding_until)
                sounding_until = n->onset + n->dur;
        }
    }
    qsort(s->sigs, (size_t)s->n_sigs, sizeof s->sigs[0], sig_cmp);

    for (size_t k = 0; k < sizeof list / sizeof list[0]; k++) {
        CorpusEncFigure *f = &s->enc[s->n_enc++];
        Vocab *v = NULL;
        memset(f, 0, sizeof *f);
        f->enc.kind = list[k].k;
        f->enc.plain = list[k].plain;
        f->enc.durations = list[k].dur;
        f->label = list[k].label;
        if (f->enc.kind == ENC_TOKENS) {
            if ((st = corpus_vocab(c, &f->enc, &v, err)))
                return st;
            if (f->enc.durations)
                s->vocab_size = vocab_size(v);
            else
                s->vocab_size_nodur = vocab_size(v);
        }
        st = measure_encoding(c, f, v, err);
        vocab_free(v);
        if (st)
            return st;
    }
    return REEL_OK;
}
