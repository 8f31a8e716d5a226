/* cmd_generate.c — `reel generate --model M`: continue a prime (silence,
 * typed notes, a file, a corpus excerpt) with a trained model and write MIDI
 * or ABC, or print the notes.  The headless twin of the studio's `g`.  The
 * work is the core's (learn/prime.h: the prime; learn/genrequest.h: the
 * run, title and provenance): this file parses, writes and tells. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "abcout.h"
#include "cli.h"
#include "genrequest.h"
#include "closing.h"
#include "keyprofile.h"
#include "midi.h"
#include "model.h"
#include "prime.h"

static void generate_usage(FILE *f)
{
    fprintf(f,
        "usage: reel generate --model MODEL [OPTIONS]\n"
        "\n"
        "Continue a prime with a trained model, one step at a time (the LSTM state is\n"
        "carried, so every step costs the same), and write the result as MIDI or ABC,\n"
        "or print its notes.  The same --seed and options give the same melody.\n"
        "\n"
        "model and sampling:\n"
        "  -m, --model FILE      the model to play (made by reel train -o FILE)\n"
        "  -t, --temperature T   > 0; 1 plays the model's own odds (the default), lower is\n"
        "                        safer and more repetitive, higher wilder\n"
        "  --top-k K             draw only among the K most likely choices (0: off)\n"
        "  --top-p P             draw only among the most likely choices that together\n"
        "                        have probability P, 0 < P <= 1 (1: off)\n"
        "  --seed N              random seed (default: from the clock, and printed, so\n"
        "                        --seed N repeats a melody you liked)\n"
        "  --mono                rolls: at most one note at a time (the default for roll13\n"
        "                        and roll13o: fiddle tunes are one line)\n"
        "  --poly                rolls: every pitch drawn on its own (independent sigmoid\n"
        "                        outputs), chords possible (the default for roll128)\n"
        "                        roll13 cannot tell a held note from repeated ones:\n"
        "                        repeated frames in a bar become one long note (the paper's\n"
        "                        rule); roll13o and the others keep repeated notes\n"
        "  --noise X             regress models: Gaussian noise of X times the temperature\n"
        "                        (1 semitone, 8 velocity steps, half a 16th at X = 1); 0\n"
        "                        plays the model's values as they are (1)\n"
        "  --weights W           what the network's steps read: int8 (the default where\n"
        "                        the CPU has AVX-512 VNNI: 3-7x faster than float, the\n"
        "                        next-note odds within a mean KL divergence of ~1e-4\n"
        "                        nats), f16 (the default elsewhere: 2-3x faster, ~1e-7),\n"
        "                        f32 (what training computes).  So a --seed may now and\n"
        "                        then draw a different note with another W\n"
        "  --precise             the same as --weights f32\n"
        "  --range LO-HI         sound only pitches LO..HI (an instrument's range): pitch\n"
        "                        names or MIDI numbers, e.g. G3-E7 or 55-100.  Without it\n"
        "                        the model's range (reel info shows it: the pitches of the\n"
        "                        tunes it was trained on); --range narrows that\n"
        "\n");
    fprintf(f,
        "prime (what the model continues):\n"
        "  --prime rests         silence (the default; the paper primed with rests); the\n"
        "                        output is the continuation only\n"
        "  --prime \"NOTES\"       typed notes, e.g. \"C4/8 D4/8 E4/4 r/2 | G4/1\":\n"
        "                          C4 F#3 Bb5   letter, # or b, octave (C4 = middle C)\n"
        "                          C4.E4.G4     a chord;  r  a rest;  |  a bar line (ignored)\n"
        "                          /V           the note value, as in music: /1 whole,\n"
        "                                       /2 half, /4 quarter, /8 eighth, /16\n"
        "                                       sixteenth.  /8 is an eighth note.\n"
        "                          /4.          dotted: half as long again (/1. /2. /4. /8.)\n"
        "                          /4+16        tied: the values add up (a quarter and a\n"
        "                                       sixteenth); r/1+1 is two bars' rest in 4/4\n"
        "                        A note without /V lasts as long as the one before (the\n"
        "                        first: a quarter).  --print shows notes in this form, so\n"
        "                        what it prints can be typed back.\n"
        "  --prime FILE          a MIDI or ABC file: its melody (first tune), as reel corpus\n"
        "                        reads it\n"
        "  --prime corpus:DIR    a random excerpt of the MIDI/ABC files in DIR (drawn with\n"
        "                        --seed)\n"
        "  --prime-bars N        rests: bars of silence (1); NOTES, FILE: their first N\n"
        "                        bars (all); corpus: the excerpt's length (%d)\n",
        PRIME_CORPUS_BARS);
    fprintf(f,
        "  --meter N/D           time signature of the output (default: the prime file's,\n"
        "                        else the training tunes' commonest for a --condition\n"
        "                        model, else 4/4); bar lengths follow it\n"
        "  --key K               a --condition model: the key to write in (\"D\", \"Bb\",\n"
        "                        \"Em\"; default: a prime's own key, else one drawn by\n"
        "                        the seed as often as the training tunes in the metre\n"
        "                        have it (reel info lists them))\n"
        "  --tempo BPM           tempo in quarter notes a minute (the prime's, else 120)\n"
        "\n"
        "length (after the prime):\n"
        "  --bars N              N bars (%d); the output ends on a bar line\n"
        "  --events N            N steps of the model instead: 16th steps (rolls, melody),\n"
        "                        tokens (tokens; the token papers made 500), notes (regress)\n"
        "  --end cadence         with --bars N: go on past bar N, a bar at a time, until a\n"
        "                        bar ends in a cadence (the last note on the tonic of the\n"
        "                        melody's key, held at least a beat), at most %d bars more\n"
        "                        (then it stops anyway and says so).  --end bars (the\n"
        "                        default): stop at bar N; with a model that has tune\n"
        "                        events, closed: each strain's end (every 8 bars) and the\n"
        "                        last bar are drawn again (up to %d times, the last 1, 2,\n"
        "                        then 4 bars) until they end on the tonic, the model's\n"
        "                        own end chance breaking ties.  --end cut: bar N as the\n"
        "                        draws fall\n"
        "\n"
        "output:\n"
        "  -o, --output FILE     FILE.mid or FILE.midi: MIDI; FILE.abc: ABC notation (one\n"
        "                        line of melody: chords are refused, write .mid). Both\n"
        "                        carry provenance (model checksum, temperature, seed,\n"
        "                        prime).  Without -o the notes are printed.\n"
        "  --program N           General MIDI instrument 1..128 (default: the prime file's,\n"
        "                        else 41 violin, or 1 piano for roll128 and tokens models)\n"
        "  --print               print the notes as text on stdout (also with -o)\n"
        "  -q, --quiet           no messages but errors\n"
        "  -h, --help            this text\n"
        "\n"
        "Exit status: 0 success; 1 failure (the model or prime file does not load, the\n"
        "prime does not fit the model, the output cannot be written); 2 bad usage\n"
        "(unknown option, bad number, a note name or note value that is not one).\n",
        GENREQ_DEFAULT_BARS, GENREQ_CADENCE_BARS, 1 + 3 * CLOSE_TRIES);
}

#define ME "reel generate"

/* What the command line asks for. */
typedef struct {
    GenRequest rq;
    const char *prime, *output;
    long prime_bars, meter_num, meter_den;
    int key;                 /* --key: 0..23 (keyprofile.h), -1 when not given */
    double tempo;
    bool have_seed, quiet, print, abc;
} GenArgs;

enum {
    OPT_TOPK = 256, OPT_TOPP, OPT_SEED, OPT_MONO, OPT_POLY, OPT_NOISE, OPT_PRIME,
    OPT_PRIME_BARS, OPT_METER, OPT_TEMPO, OPT_BARS, OPT_EVENTS, OPT_PROGRAM, OPT_PRINT,
    OPT_PRECISE,
    OPT_WEIGHTS, OPT_RANGE, OPT_END, OPT_KEY,
};

static const struct option longopts[] = {
    {"model", required_argument, NULL, 'm'},
    {"temperature", required_argument, NULL, 't'},
    {"top-k", required_argument, NULL, OPT_TOPK},
    {"top-p", required_argument, NULL, OPT_TOPP},
    {"seed", required_argument, NULL, OPT_SEED},
    {"mono", no_argument, NULL, OPT_MONO},
    {"poly", no_argument, NULL, OPT_POLY},
    {"noise", required_argument, NULL, OPT_NOISE},
    {"precise", no_argument, NULL, OPT_PRECISE},
    {"weights", required_argument, NULL, OPT_WEIGHTS},
    {"range", required_argument, NULL, OPT_RANGE},
    {"prime", required_argument, NULL, OPT_PRIME},
    {"prime-bars", required_argument, NULL, OPT_PRIME_BARS},
    {"meter", required_argument, NULL, OPT_METER},
    {"key", required_argument, NULL, OPT_KEY},
    {"tempo", required_argument, NULL, OPT_TEMPO},
    {"bars", required_argument, NULL, OPT_BARS},
    {"events", required_argument, NULL, OPT_EVENTS},
    {"end", required_argument, NULL, OPT_END},
    {"output", required_argument, NULL, 'o'},
    {"program", required_argument, NULL, OPT_PROGRAM},
    {"print", no_argument, NULL, OPT_PRINT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static bool parse_weights(const char *v, NetWeights *w)
{
    if (!strcmp(v, "f32") || !strcmp(v, "float"))
        *w = NET_W_F32;
    else if (!strcmp(v, "f16") || !strcmp(v, "fp16"))
        *w = NET_W_F16;
    else if (!strcmp(v, "int8") || !strcmp(v, "i8"))
        *w = NET_W_I8;
    else if (!strcmp(v, "auto"))
        *w = NET_W_FAST;
    else {
        fprintf(stderr, ME ": --weights %s: not f32, f16, int8 or auto\n", v);
        return false;
    }
    return true;
}

static bool parse_meter(const char *v, long *num, long *den)
{
    char *e;
    *num = strtol(v, &e, 10);
    if (*e == '/')
        *den = strtol(e + 1, &e, 10);
    if (*e || *num < 1 || *num > 64 || *den < 1 || *den > 64 || (*den & (*den - 1))) {
        fprintf(stderr, ME ": --meter needs a time signature like 4/4, 6/8 or 9/8, not '%s'\n", v);
        return false;
    }
    return true;
}

/* The sampling options: true when ch was one (*bad: its value was not). */
static bool sampling_option(GenArgs *a, int ch, const char *v, bool *bad)
{
    SampleOpts *so = &a->rq.so;
    ReelError err;
    double d = 0;
    long n = 0;
    switch (ch) {
    case 't':
        *bad = !cli_double(ME, "--temperature", v, -HUGE_VAL, HUGE_VAL, &d);
        so->temperature = (float)d;
        return true;
    case OPT_TOPK:
        *bad = !cli_long(ME, "--top-k", v, 0, 1000000, &n);
        so->top_k = (int)n;
        return true;
    case OPT_TOPP:
        *bad = !cli_double(ME, "--top-p", v, -HUGE_VAL, HUGE_VAL, &d);
        so->top_p = (float)d;
        return true;
    case OPT_NOISE:
        *bad = !cli_double(ME, "--noise", v, -HUGE_VAL, HUGE_VAL, &d);
        so->noise = (float)d;
        return true;
    case OPT_SEED:
        *bad = !cli_seed(ME, v, &a->rq.seed);
        a->have_seed = true;
        return true;
    case OPT_MONO: so->roll = SAMPLE_ROLL_MONO; return true;
    case OPT_POLY: so->roll = SAMPLE_ROLL_POLY; return true;
    case OPT_PRECISE: a->rq.weights = NET_W_F32; return true;
    case OPT_WEIGHTS: *bad = !parse_weights(v, &a->rq.weights); return true;
    case OPT_RANGE:
        if ((*bad = range_parse(v, &a->rq.range, &err) != REEL_OK))
            fprintf(stderr, ME ": %s\n", err.msg);
        return true;
    default: return false;
    }
}

/* One option: -1 taken, else the exit status (0 after --help). */
static int take_option(void *ctx, int ch, const char *v)
{
    GenArgs *a = ctx;
    long program;
    bool bad = false;
    if (sampling_option(a, ch, v, &bad))
        return bad ? 2 : -1;
    switch (ch) {
    case 'm': a->rq.model_path = v; return -1;
    case OPT_PRIME: a->prime = v; return -1;
    case OPT_PRIME_BARS: return cli_long(ME, "--prime-bars", v, 1, 4096, &a->prime_bars) ? -1 : 2;
    case OPT_METER: return parse_meter(v, &a->meter_num, &a->meter_den) ? -1 : 2;
    case OPT_KEY:
        if ((a->key = keyprofile_parse(v)) < 0) {
            fprintf(stderr, ME ": --key needs a key like D, Bb, F#m or Em, not '%s'\n", v);
            return 2;
        }
        return -1;
    case OPT_TEMPO:
        if (!cli_double(ME, "--tempo", v, -HUGE_VAL, HUGE_VAL, &a->tempo))
            return 2;
        if (a->tempo < 4 || a->tempo > 1000) {
            fprintf(stderr, ME ": --tempo needs quarter notes a minute from 4 to 1000, not "
                    "'%s'\n", v);
            return 2;
        }
        return -1;
    case OPT_BARS: return cli_long(ME, "--bars", v, 1, 100000, &a->rq.bars) ? -1 : 2;
    case OPT_EVENTS: return cli_long(ME, "--events", v, 1, 10000000, &a->rq.events) ? -1 : 2;
    case OPT_END:
        if (strcmp(v, "cadence") && strcmp(v, "bars") && strcmp(v, "cut")) {
            fprintf(stderr, ME ": --end is bars, cadence or cut, not '%s'\n", v);
            return 2;
        }
        a->rq.to_cadence = !strcmp(v, "cadence");
        a->rq.cut = !strcmp(v, "cut");
        return -1;
    case 'o': a->output = v; return -1;
    case OPT_PROGRAM:
        if (!cli_long(ME, "--program", v, 1, 128, &program))
            return 2;
        a->rq.program = (int)program;
        return -1;
    case OPT_PRINT: a->print = true; return -1;
    case 'q': a->quiet = true; return -1;
    case 'h': generate_usage(stdout); return 0;
    default: generate_usage(stderr); return 2;
    }
}

/* What the options ask for together: -1 fine, else the exit status. */
static int check_args(GenArgs *a, int argc, char **argv)
{
    ReelError err;
    if (optind != argc) {
        fprintf(stderr, ME ": unexpected argument '%s' (the prime goes after --prime)\n",
                argv[optind]);
        return 2;
    }
    if (!a->rq.model_path) {
        fprintf(stderr, ME ": give the model with --model FILE (reel train makes one)\n");
        return 2;
    }
    if (a->rq.bars > 0 && a->rq.events > 0) {
        fprintf(stderr, ME ": give --bars or --events, not both\n");
        return 2;
    }
    if (a->rq.to_cadence && a->rq.events > 0) {
        fprintf(stderr, ME ": --end cadence counts bars: give --bars N, not --events\n");
        return 2;
    }
    if (sample_opts_check(&a->rq.so, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        return 2;
    }
    if (a->output) {
        if (ends_with(a->output, ".abc")) {
            a->abc = true;
        } else if (!ends_with(a->output, ".mid") && !ends_with(a->output, ".midi")) {
            fprintf(stderr, ME ": -o %s: write FILE.mid (or .midi) for MIDI, FILE.abc for ABC\n",
                    a->output);
            return 2;
        }
    }
    if (a->rq.bars < 0 && a->rq.events < 0)
        a->rq.bars = GENREQ_DEFAULT_BARS;
    if (!a->have_seed)
        a->rq.seed = genreq_clock_seed();
    return -1;
}

static int parse_args(GenArgs *a, int argc, char **argv)
{
    int rc;
    memset(a, 0, sizeof *a);
    a->rq = genreq_defaults();
    a->rq.bars = -1;
    a->prime = "rests";
    a->prime_bars = -1;
    a->key = -1;
    if ((rc = cli_getopt(argc, argv, "m:t:o:qh", longopts, take_option, a)) >= 0)
        return rc;
    return check_args(a, argc, argv);
}

/* The prime read and shaped for the model: 0, or the exit status. */
static int prime_ready(const GenArgs *a, Prime *p)
{
    ReelError err;
    if (p->kind == PRIME_CORPUS && !*p->dir) {
        fprintf(stderr, ME ": --prime corpus:DIR needs a folder after 'corpus:'\n");
        return 2;
    }
    if (p->kind == PRIME_CORPUS && !a->quiet && cli_stderr_is_tty())
        fprintf(stderr, "reading %s ...\r", p->dir);
    if (prime_load(p, a->rq.seed, &err)) {
        fprintf(stderr, ME ": --prime %s\n", err.msg);
        return 1;
    }
    if (prime_shape(p, (int)a->meter_num, (int)a->meter_den, a->tempo, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* What priming and generating did that the user should know. */
static void print_warnings(const GenResult *r, const Model *m)
{
    const GenPrimeInfo *info = &r->info;
    char a[6], b[6];
    if (r->stage >= GENREQ_GENERATE) {
        if (info->st.unknown)
            fprintf(stderr, ME ": warning: %ld of the prime's tokens are not in the model's "
                    "vocabulary and are fed as <unk> (in token names /N is N sixteenths): %s\n",
                    info->st.unknown, info->unknown);
        if (info->st.folded)
            fprintf(stderr, ME ": note: %ld prime note%s lie outside the octave the model knows "
                    "and were folded into %s..%s by octaves\n", info->st.folded,
                    info->st.folded == 1 ? "" : "s", pitch_name(ROLL13_LO, a),
                    pitch_name(ROLL13_HI, b));
        if (info->st.dropped)
            fprintf(stderr, ME ": note: %ld prime note%s left out (%s keeps one note at a "
                    "time: the top note of a chord)\n", info->st.dropped,
                    info->st.dropped == 1 ? " was" : "s were", enc_name(m->enc.kind));
    }
    if (r->stage >= GENREQ_DECODE && !r->reached && enc_end_label(&m->enc) >= 0)
        fprintf(stderr, ME ": the tune ended by itself (the model's end of a tune) at step %d, "
                "before the %d asked for\n", r->time, r->end);
    else if (r->stage >= GENREQ_DECODE && !r->reached)
        fprintf(stderr, ME ": warning: the model kept its notes at one time (no time "
                "passed); the output stops at step %d of %d\n", r->time, r->end);
}

/* Where --end cadence stopped, and why. */
static void print_cadence(const GenArgs *a, const GenResult *r)
{
    static const char *const pcs[12] = {"C", "C#", "D", "Eb", "E", "F",
                                        "F#", "G", "Ab", "A", "Bb", "B"};
    const Cadence *c = &r->cad;
    char last[6];
    if (r->cadence) {
        fprintf(stderr, "stopped at a cadence on %s (%s %s) after bar %ld", pcs[c->tonic],
                pcs[c->tonic], c->minor ? "minor" : "major", a->rq.bars + r->extra_bars);
        if (r->extra_bars)
            fprintf(stderr, ", %d bar%s past %ld", r->extra_bars, r->extra_bars == 1 ? "" : "s",
                    a->rq.bars);
        fprintf(stderr, "\n");
    } else if (r->reached) {
        fprintf(stderr, ME ": warning: no cadence within %d bars after bar %ld: stopped at bar "
                "%ld anyway (the last note %s, %d steps, in %s %s)\n", GENREQ_CADENCE_BARS,
                a->rq.bars, a->rq.bars + r->extra_bars,
                c->last_pitch >= 0 ? pitch_name(c->last_pitch, last) : "none", (int)c->held,
                c->tonic >= 0 ? pcs[c->tonic] : "no key", c->minor ? "minor" : "major");
    }
}

/* The file, the notes on stdout, the summary: 0 or 1. */
static int write_result(const GenArgs *a, const Model *m, const Prime *p, const GenResult *r)
{
    ReelError err;
    char *text = NULL;
    if (a->output && a->abc) {
        AbcOutOpts ao = {1, r->title, r->provenance};
        if (abcout_write(a->output, &r->tune, &ao, &err)) {
            fprintf(stderr, ME ": %s: %s\n", a->output, err.msg);
            return 1;
        }
    } else if (a->output) {
        MidiWriteOpts wo = {0, -1, r->provenance, 0};
        if (midi_write_tune(a->output, &r->tune, &wo, &err)) {
            fprintf(stderr, ME ": %s\n", err.msg);
            return 1;
        }
    }
    if (!a->output || a->print) {
        if (gen_notes_text(&r->tune, &text, &err)) {
            fprintf(stderr, ME ": %s\n", err.msg);
            return 1;
        }
        printf("%s\n", text);
        free(text);
    }
    if (!a->quiet) {
        long bars = a->rq.bars + r->extra_bars;
        if (a->output)
            fprintf(stderr, "wrote %s: ", a->output);
        fprintf(stderr, "%ld notes generated (%ld steps", (long)(r->tune.n_notes - r->span.first_note),
                (long)(r->tune.n_steps - r->span.start_step));
        if (a->rq.events < 0)
            fprintf(stderr, ", %ld bar%s", bars, bars == 1 ? "" : "s");
        fprintf(stderr, ") after a prime of %s; seed %llu (--seed %llu repeats it)\n",
                genreq_prime_desc(m, p),
                (unsigned long long)a->rq.seed, (unsigned long long)a->rq.seed);
        if (a->rq.to_cadence)
            print_cadence(a, r);
    }
    return 0;
}

/* --key and the default metre of a --condition model (encode.h): 0, or 2
 * when the model cannot take the key.  The key itself is set once the prime
 * is read (genreq_key). */
static int conditioning(GenArgs *a, Model *m)
{
    int num, den;
    if (a->key >= 0 && !(enc_form(&m->enc) && m->enc.cond)) {
        fprintf(stderr, ME ": --key needs a model trained with --condition; %s was not\n",
                a->rq.model_path);
        return 2;
    }
    if (!(enc_form(&m->enc) && m->enc.cond))
        return 0;
    if (a->meter_num <= 0 && a->prime && !strcmp(a->prime, "rests") &&
        enc_meter_sig(m->enc.cond_meter, &num, &den)) {
        a->meter_num = num;
        a->meter_den = den;
    }
    return 0;
}

static int run(const GenArgs *a, const Model *m, const Prime *p)
{
    GenResult r;
    ReelError err;
    int rc = 1;
    if (genreq_run(&a->rq, m, p, &r, &err)) {
        if (!a->quiet)
            print_warnings(&r, m);
        if (r.stage == GENREQ_PRIME && p->kind != PRIME_RESTS)
            fprintf(stderr, ME ": --prime %s: %s\n", p->kind == PRIME_NOTES ? "(notes)" : p->arg,
                    err.msg);
        else
            fprintf(stderr, ME ": %s\n", err.msg);
    } else {
        if (!a->quiet)
            print_warnings(&r, m);
        rc = write_result(a, m, p, &r);
    }
    genreq_free(&r);
    return rc;
}

int cmd_generate(int argc, char **argv)
{
    GenArgs a;
    Prime p;
    Model m;
    ReelError err;
    int rc = parse_args(&a, argc, argv);
    if (rc >= 0)
        return rc;
    /* The prime before the model loads: a typo in it is a usage error. */
    if (prime_init(&p, a.prime, a.prime_bars, &err)) {
        fprintf(stderr, ME ": --prime: %s\n", err.msg);
        prime_free(&p);
        return 2;
    }
    model_init(&m);
    if (model_load(&m, a.rq.model_path, 0, 0, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        rc = 1;
    } else if ((rc = conditioning(&a, &m)) == 0 && (rc = prime_ready(&a, &p)) == 0) {
        if (enc_form(&m.enc) && m.enc.cond)
            a.rq.key = genreq_key(&m, a.key, &p.tune, a.rq.seed);
        rc = run(&a, &m, &p);
    }
    prime_free(&p);
    model_free(&m);
    return rc;
}
