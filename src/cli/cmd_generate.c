/* cmd_generate.c — `reel generate --model M`: continue a prime (silence,
 * typed notes, a file, a corpus excerpt) with a trained model and write MIDI
 * or ABC, or print the notes.  The headless twin of the studio's `g`. */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "abcout.h"
#include "cli.h"
#include "corpus.h"
#include "generate.h"
#include "midi.h"
#include "model.h"

#define GEN_DEFAULT_BARS 8
#define GEN_CORPUS_BARS 2

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
        GEN_CORPUS_BARS);
    fprintf(f,
        "  --meter N/D           time signature of the output (default: the prime file's,\n"
        "                        else 4/4); bar lengths follow it\n"
        "  --tempo BPM           tempo in quarter notes a minute (the prime's, else 120)\n"
        "\n"
        "length (after the prime):\n"
        "  --bars N              N bars (%d); the output ends on a bar line\n"
        "  --events N            N steps of the model instead: 16th steps (rolls, melody),\n"
        "                        tokens (tokens; the token papers made 500), notes (regress)\n"
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
        GEN_DEFAULT_BARS);
}

#define ME "reel generate"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && !S_ISDIR(st.st_mode);
}

static bool looks_like_file(const char *p)
{
    static const char *const exts[] = {".mid", ".midi", ".smf", ".kar", ".abc"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (ends_with(p, exts[i]))
            return true;
    return false;
}

static uint64_t clock_seed(void)
{
    struct timespec ts;
    uint64_t x;
    clock_gettime(CLOCK_REALTIME, &ts);
    x = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20);
    x ^= x >> 29;
    return x % 1000000000u; /* short enough to type back */
}

/* Replace the time signatures / tempos of t with one at step 0. */
static bool set_meter(Tune *t, int num, int den)
{
    ReelError err;
    free(t->sigs);
    t->sigs = NULL;
    t->n_sigs = 0;
    if (tune_add_sig(t, 0, num, den, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        return false;
    }
    return true;
}

static bool set_tempo(Tune *t, double bpm)
{
    ReelError err;
    free(t->tempos);
    t->tempos = NULL;
    t->n_tempos = 0;
    if (tune_add_tempo(t, 0, (int32_t)lround(60000000.0 / bpm), &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        return false;
    }
    return true;
}

static const char *file_stem(const char *path, char *buf, size_t n)
{
    const char *s = strrchr(path, '/');
    char *dot;
    snprintf(buf, n, "%s", s ? s + 1 : path);
    if ((dot = strrchr(buf, '.')) != NULL && dot != buf)
        *dot = '\0';
    return buf;
}

typedef enum { PRIME_RESTS, PRIME_TEXT, PRIME_FILE, PRIME_CORPUS } PrimeKind;

int cmd_generate(int argc, char **argv)
{
    enum {
        OPT_TOPK = 256, OPT_TOPP, OPT_SEED, OPT_MONO, OPT_POLY, OPT_NOISE, OPT_PRIME,
        OPT_PRIME_BARS, OPT_METER, OPT_TEMPO, OPT_BARS, OPT_EVENTS, OPT_PROGRAM, OPT_PRINT,
        OPT_PRECISE,
        OPT_WEIGHTS,
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
        {"prime", required_argument, NULL, OPT_PRIME},
        {"prime-bars", required_argument, NULL, OPT_PRIME_BARS},
        {"meter", required_argument, NULL, OPT_METER},
        {"tempo", required_argument, NULL, OPT_TEMPO},
        {"bars", required_argument, NULL, OPT_BARS},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"output", required_argument, NULL, 'o'},
        {"program", required_argument, NULL, OPT_PROGRAM},
        {"print", no_argument, NULL, OPT_PRINT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model_path = NULL, *prime = "rests", *output = NULL;
    SampleOpts so = sample_defaults();
    uint64_t seed = 0;
    bool have_seed = false, quiet = false, print = false, abc = false;
    NetWeights weights = NET_W_FAST;
    long prime_bars = -1, bars = -1, events = -1, program = -1, meter_num = 0, meter_den = 0;
    double tempo = 0, v;
    long n;
    int ch, rc = 1;
    PrimeKind pk;
    Model m;
    Generator *g = NULL;
    Tune seed_tune, out;
    Corpus corpus;
    GenPrimeInfo info;
    GenSpan span;
    ReelError err;
    char prov[2048], prime_desc[600], hex[17], stem[256], title[300];
    int32_t end = -1;
    char *text = NULL;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "m:t:o:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm': model_path = optarg; break;
        case 't':
            if (!cli_double(ME, "--temperature", optarg, -HUGE_VAL, HUGE_VAL, &v))
                return 2;
            so.temperature = (float)v;
            break;
        case OPT_TOPK:
            if (!cli_long(ME, "--top-k", optarg, 0, 1000000, &n))
                return 2;
            so.top_k = (int)n;
            break;
        case OPT_TOPP:
            if (!cli_double(ME, "--top-p", optarg, -HUGE_VAL, HUGE_VAL, &v))
                return 2;
            so.top_p = (float)v;
            break;
        case OPT_SEED: {
            char *e;
            unsigned long long s = strtoull(optarg, &e, 10);
            if (!*optarg || *e || optarg[0] == '-') {
                fprintf(stderr, ME ": --seed needs a whole number from 0, not '%s'\n", optarg);
                return 2;
            }
            seed = s;
            have_seed = true;
            break;
        }
        case OPT_MONO: so.roll = SAMPLE_ROLL_MONO; break;
        case OPT_POLY: so.roll = SAMPLE_ROLL_POLY; break;
        case OPT_PRECISE: weights = NET_W_F32; break;
        case OPT_WEIGHTS:
            if (!strcmp(optarg, "f32") || !strcmp(optarg, "float"))
                weights = NET_W_F32;
            else if (!strcmp(optarg, "f16") || !strcmp(optarg, "fp16"))
                weights = NET_W_F16;
            else if (!strcmp(optarg, "int8") || !strcmp(optarg, "i8"))
                weights = NET_W_I8;
            else if (!strcmp(optarg, "auto"))
                weights = NET_W_FAST;
            else {
                fprintf(stderr, ME ": --weights %s: not f32, f16, int8 or auto\n", optarg);
                return 2;
            }
            break;
        case OPT_NOISE:
            if (!cli_double(ME, "--noise", optarg, -HUGE_VAL, HUGE_VAL, &v))
                return 2;
            so.noise = (float)v;
            break;
        case OPT_PRIME: prime = optarg; break;
        case OPT_PRIME_BARS:
            if (!cli_long(ME, "--prime-bars", optarg, 1, 4096, &prime_bars))
                return 2;
            break;
        case OPT_METER: {
            char *e;
            meter_num = strtol(optarg, &e, 10);
            if (*e == '/')
                meter_den = strtol(e + 1, &e, 10);
            if (*e || meter_num < 1 || meter_num > 64 || meter_den < 1 || meter_den > 64 ||
                (meter_den & (meter_den - 1))) {
                fprintf(stderr, ME ": --meter needs a time signature like 4/4, 6/8 or 9/8, not "
                        "'%s'\n", optarg);
                return 2;
            }
            break;
        }
        case OPT_TEMPO:
            if (!cli_double(ME, "--tempo", optarg, -HUGE_VAL, HUGE_VAL, &tempo))
                return 2;
            if (tempo < 4 || tempo > 1000) {
                fprintf(stderr, ME ": --tempo needs quarter notes a minute from 4 to 1000, not "
                        "'%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_BARS:
            if (!cli_long(ME, "--bars", optarg, 1, 100000, &bars))
                return 2;
            break;
        case OPT_EVENTS:
            if (!cli_long(ME, "--events", optarg, 1, 10000000, &events))
                return 2;
            break;
        case 'o': output = optarg; break;
        case OPT_PROGRAM:
            if (!cli_long(ME, "--program", optarg, 1, 128, &program))
                return 2;
            break;
        case OPT_PRINT: print = true; break;
        case 'q': quiet = true; break;
        case 'h': generate_usage(stdout); return 0;
        default: generate_usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, ME ": unexpected argument '%s' (the prime goes after --prime)\n",
                argv[optind]);
        return 2;
    }
    if (!model_path) {
        fprintf(stderr, ME ": give the model with --model FILE (reel train makes one)\n");
        return 2;
    }
    if (bars > 0 && events > 0) {
        fprintf(stderr, ME ": give --bars or --events, not both\n");
        return 2;
    }
    if (sample_opts_check(&so, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        return 2;
    }
    if (output) {
        if (ends_with(output, ".abc")) {
            abc = true;
        } else if (!ends_with(output, ".mid") && !ends_with(output, ".midi")) {
            fprintf(stderr, ME ": -o %s: write FILE.mid (or .midi) for MIDI, FILE.abc for ABC\n",
                    output);
            return 2;
        }
    }
    if (bars < 0 && events < 0)
        bars = GEN_DEFAULT_BARS;
    if (!have_seed)
        seed = clock_seed();

    /* The prime, before the model loads: a typo in it is a usage error. */
    tune_init(&seed_tune);
    tune_init(&out);
    corpus_init(&corpus);
    model_init(&m);
    if (strcmp(prime, "rests") == 0) {
        pk = PRIME_RESTS;
        snprintf(prime_desc, sizeof prime_desc, "rests (%ld bar%s)", prime_bars > 0 ? prime_bars : 1,
                 prime_bars > 1 ? "s" : "");
    } else if (strncmp(prime, "corpus:", 7) == 0) {
        pk = PRIME_CORPUS;
    } else if (is_file(prime) || looks_like_file(prime)) {
        pk = PRIME_FILE;
    } else {
        pk = PRIME_TEXT;
        if (gen_parse_notes(prime, &seed_tune, &err)) {
            fprintf(stderr, ME ": --prime: %s\n", err.msg);
            return 2;
        }
        snprintf(prime_desc, sizeof prime_desc, "notes \"%.400s%s\"", prime,
                 strlen(prime) > 400 ? "..." : "");
    }

    if (model_load(&m, model_path, 0, 0, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        goto done;
    }
    model_checksum_hex(&m, hex);

    if (pk == PRIME_FILE) {
        corpus_load_file(&corpus, prime, NULL);
        if (corpus.n_tunes == 0) {
            fprintf(stderr, ME ": --prime %s\n",
                    corpus.n_skips ? corpus.skips[0].err.msg : "holds no tune");
            goto done;
        }
        if (gen_excerpt(&corpus.tunes[0], 0, prime_bars > 0 ? prime_bars : 0, &seed_tune,
                        &err)) {
            fprintf(stderr, ME ": --prime %s: %s\n", prime, err.msg);
            goto done;
        }
        if (prime_bars > 0)
            snprintf(prime_desc, sizeof prime_desc, "%.500s, first %ld bar%s", prime, prime_bars,
                     prime_bars > 1 ? "s" : "");
        else
            snprintf(prime_desc, sizeof prime_desc, "%.500s", prime);
    } else if (pk == PRIME_CORPUS) {
        const char *dir = prime + 7;
        const char *paths[1];
        Rng r;
        int32_t which = 0, bar = 0;
        long nb = prime_bars > 0 ? prime_bars : GEN_CORPUS_BARS;
        paths[0] = dir;
        if (!*dir) {
            fprintf(stderr, ME ": --prime corpus:DIR needs a folder after 'corpus:'\n");
            rc = 2;
            goto done;
        }
        if (!quiet && cli_stderr_is_tty())
            fprintf(stderr, "reading %s ...\r", dir);
        if (corpus_load(&corpus, paths, 1, NULL, &err)) {
            fprintf(stderr, ME ": --prime %s: %s\n", prime, err.msg);
            goto done;
        }
        rng_seed(&r, seed ^ 0x5eed5eed5eedull);
        if (gen_corpus_excerpt(&corpus, (int32_t)nb, &r, &seed_tune, &which, &bar, &err)) {
            fprintf(stderr, ME ": --prime %s: %s\n", prime, err.msg);
            goto done;
        }
        snprintf(prime_desc, sizeof prime_desc, "corpus %.300s: bars %ld-%ld of %.200s", dir,
                 (long)bar + 1, (long)bar + nb,
                 corpus.tunes[which].source ? corpus.tunes[which].source
                                            : corpus.tunes[which].name ? corpus.tunes[which].name
                                                                       : "?");
    }
    if (pk == PRIME_TEXT && prime_bars > 0) {
        Tune cut;
        if (meter_num && !set_meter(&seed_tune, (int)meter_num, (int)meter_den))
            goto done;
        if (gen_excerpt(&seed_tune, 0, (int32_t)prime_bars, &cut, &err)) {
            fprintf(stderr, ME ": --prime: %s\n", err.msg);
            goto done;
        }
        tune_free(&seed_tune);
        seed_tune = cut;
    }
    if (meter_num && !set_meter(&seed_tune, (int)meter_num, (int)meter_den))
        goto done;
    if (tempo > 0 && !set_tempo(&seed_tune, tempo))
        goto done;

    if (gen_new(&g, &m, &so, seed, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        goto done;
    }
    if (weights != NET_W_FAST)
        gen_set_weights(g, weights);
    if (pk == PRIME_RESTS) {
        if (gen_prime_rests(g, prime_bars > 0 ? (int)prime_bars : 1, &seed_tune, &info, &err)) {
            fprintf(stderr, ME ": %s\n", err.msg);
            goto done;
        }
    } else if (gen_prime_tune(g, &seed_tune, &info, &err)) {
        fprintf(stderr, ME ": --prime %s: %s\n", pk == PRIME_TEXT ? "(notes)" : prime, err.msg);
        goto done;
    }
    if (!quiet) {
        char a[6], b[6];
        if (info.st.unknown)
            fprintf(stderr, ME ": warning: %ld of the prime's tokens are not in the model's "
                    "vocabulary and are fed as <unk> (in token names /N is N sixteenths): %s\n",
                    info.st.unknown, info.unknown);
        if (info.st.folded)
            fprintf(stderr, ME ": note: %ld prime note%s lie outside the octave the model knows "
                    "and were folded into %s..%s by octaves\n", info.st.folded,
                    info.st.folded == 1 ? "" : "s", pitch_name(ROLL13_LO, a),
                    pitch_name(ROLL13_HI, b));
        if (info.st.dropped)
            fprintf(stderr, ME ": note: %ld prime note%s left out (%s keeps one note at a "
                    "time: the top note of a chord)\n", info.st.dropped,
                    info.st.dropped == 1 ? " was" : "s were", enc_name(m.enc.kind));
    }

    if (events > 0) {
        if (gen_steps(g, (int32_t)events, &err)) {
            fprintf(stderr, ME ": %s\n", err.msg);
            goto done;
        }
    } else {
        bool reached;
        end = gen_bars_end(g, (int)bars);
        if (gen_until(g, end, 0, &reached, &err)) {
            fprintf(stderr, ME ": %s\n", err.msg);
            goto done;
        }
        if (!reached && !quiet)
            fprintf(stderr, ME ": warning: the model kept its notes at one time (no time "
                    "passed); the output stops at step %d of %d\n", gen_time(g), end);
    }
    if (gen_tune(g, end, &out, &span, &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        goto done;
    }
    if (program > 0)
        out.program = (int)program - 1;
    else if (out.program < 0)
        out.program = m.enc.kind == ENC_ROLL128 || m.enc.kind == ENC_TOKENS ? 0 : 40;

    snprintf(prov, sizeof prov,
             "reel %s generate: model %.400s (%s%s%s, checksum %s), temperature %g, top-k %d%s, "
             "top-p %g%s, seed %llu, prime %s, %ld %s",
             REEL_VERSION, model_path, enc_name(m.enc.kind), m.enc.plain ? " --plain" : "",
             m.enc.durations ? " --durations" : "", hex, (double)so.temperature, so.top_k,
             so.top_k ? "" : " (off)", (double)so.top_p, so.top_p < 1.0f ? "" : " (off)",
             (unsigned long long)seed, prime_desc, events > 0 ? events : bars,
             events > 0 ? (events == 1 ? "event" : "events") : (bars == 1 ? "bar" : "bars"));
    if (m.enc.kind == ENC_REGRESS && so.noise != 1.0f)
        snprintf(prov + strlen(prov), sizeof prov - strlen(prov), ", noise %g",
                 (double)so.noise);
    if (gen_roll_mode(g) != SAMPLE_ROLL_AUTO && so.roll != SAMPLE_ROLL_AUTO)
        snprintf(prov + strlen(prov), sizeof prov - strlen(prov), ", %s",
                 gen_roll_mode(g) == SAMPLE_ROLL_MONO ? "mono" : "poly");
    snprintf(prov + strlen(prov), sizeof prov - strlen(prov), ", %s weights",
             gen_weights(g) == NET_W_I8 ? "int8" : gen_weights(g) == NET_W_F16 ? "fp16" : "float");

    file_stem(model_path, stem, sizeof stem);
    if (pk == PRIME_RESTS || pk == PRIME_TEXT || !seed_tune.name)
        snprintf(title, sizeof title, "%s, seed %llu", stem, (unsigned long long)seed);
    else
        snprintf(title, sizeof title, "%s, continued by %s", seed_tune.name, stem);
    if (tune_set_strings(&out, title, NULL, "reel generate", &err)) {
        fprintf(stderr, ME ": %s\n", err.msg);
        goto done;
    }

    if (output && abc) {
        AbcOutOpts ao = {1, title, prov};
        if (abcout_write(output, &out, &ao, &err)) {
            fprintf(stderr, ME ": %s: %s\n", output, err.msg);
            goto done;
        }
    } else if (output) {
        MidiWriteOpts wo = {0, -1, prov, 0};
        if (midi_write_tune(output, &out, &wo, &err)) {
            fprintf(stderr, ME ": %s\n", err.msg);
            goto done;
        }
    }
    if (!output || print) {
        if (gen_notes_text(&out, &text, &err)) {
            fprintf(stderr, ME ": %s\n", err.msg);
            goto done;
        }
        printf("%s\n", text);
    }
    if (!quiet) {
        int32_t gen_notes = out.n_notes - span.first_note;
        if (output)
            fprintf(stderr, "wrote %s: ", output);
        fprintf(stderr, "%ld notes generated (%ld steps", (long)gen_notes,
                (long)(out.n_steps - span.start_step));
        if (events < 0)
            fprintf(stderr, ", %ld bar%s", bars, bars == 1 ? "" : "s");
        fprintf(stderr, ") after a prime of %s; seed %llu (--seed %llu repeats it)\n",
                prime_desc, (unsigned long long)seed, (unsigned long long)seed);
    }
    rc = 0;
done:
    free(text);
    gen_free(g);
    tune_free(&out);
    tune_free(&seed_tune);
    corpus_free(&corpus);
    model_free(&m);
    return rc;
}
