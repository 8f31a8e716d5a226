/* test_genrequest.c — the generation request and what it stands on: the
 * prime (prime.h), one tune of a file (corpus_load_tune), a tune through an
 * encoding and back (roundtrip.h), and genreq_run (genrequest.h): the same
 * request gives the same Tune, the length is what was asked, the title and
 * provenance say how to make it again, a prime that does not fit says so
 * at the priming stage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "generate.h"
#include "genrequest.h"
#include "midi.h"
#include "model.h"
#include "prime.h"
#include "roundtrip.h"
#include "testlib.h"

static void make_model(Model *m, EncOpts enc)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc = enc;
    m->net.hidden = 12;
    m->net.layers = 1;
    REQUIRE(model_net_for_encoding(&m->enc, NULL, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, 99);
    net_init(m->nn, &r);
    m->checksum = 0x1234;
}

static void write_tune(const char *path, const char *notes)
{
    Tune t;
    ReelError err;
    MidiWriteOpts wo = {0, -1, NULL, 0};
    REQUIRE(gen_parse_notes(notes, &t, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(midi_write_tune(path, &t, &wo, &err) == REEL_OK, "%s", err.msg);
    tune_free(&t);
}

static bool same_notes(const Tune *a, const Tune *b)
{
    if (a->n_notes != b->n_notes || a->n_steps != b->n_steps)
        return false;
    for (int32_t i = 0; i < a->n_notes; i++)
        if (a->notes[i].onset != b->notes[i].onset || a->notes[i].dur != b->notes[i].dur ||
            a->notes[i].pitch != b->notes[i].pitch || a->notes[i].vel != b->notes[i].vel)
            return false;
    return true;
}

static void test_load_tune(const char *dir)
{
    char path[600], sub[600];
    Tune t;
    ReelError err;
    snprintf(path, sizeof path, "%s/one.mid", dir);
    write_tune(path, "C4/4 D4 E4 F4 | G4/1");
    CHECK(corpus_load_tune(path, NULL, 1, &t, &err) == REEL_OK, "%s", err.msg);
    CHECK(t.n_notes == 5, "5 notes, not %d", t.n_notes);
    tune_free(&t);
    CHECK(corpus_load_tune(path, NULL, 2, &t, &err) == REEL_EARG, "a second tune");
    CHECK(strstr(err.msg, "holds 1 tune, not 2"), "%s", err.msg);
    CHECK(t.n_notes == 0, "nothing loaded");
    snprintf(sub, sizeof sub, "%s/missing.mid", dir);
    CHECK(corpus_load_tune(sub, NULL, 1, &t, &err) != REEL_OK, "a missing file");
    CHECK(strstr(err.msg, "missing.mid"), "the message names the file: %s", err.msg);
    CHECK(corpus_load_tune(dir, NULL, 1, &t, &err) != REEL_OK, "a folder");
    CHECK(strstr(err.msg, "folder"), "%s", err.msg);
}

static void test_prime_kinds(const char *dir)
{
    char path[600];
    Prime p;
    ReelError err;
    snprintf(path, sizeof path, "%s/one.mid", dir);
    CHECK(prime_init(&p, "rests", 2, &err) == REEL_OK && p.kind == PRIME_RESTS, "rests");
    CHECK(!strcmp(p.desc, "rests (2 bars)"), "%s", p.desc);
    CHECK(prime_rest_bars(&p) == 2, "2 bars of rests");
    prime_free(&p);
    CHECK(prime_init(&p, "rests", -1, &err) == REEL_OK && prime_rest_bars(&p) == 1, "1 bar");
    CHECK(!strcmp(p.desc, "rests (1 bar)"), "%s", p.desc);
    prime_free(&p);
    CHECK(prime_init(&p, "corpus:/x/y", -1, &err) == REEL_OK && p.kind == PRIME_CORPUS &&
              !strcmp(p.dir, "/x/y"), "corpus");
    prime_free(&p);
    CHECK(prime_init(&p, path, -1, &err) == REEL_OK && p.kind == PRIME_FILE, "a file");
    prime_free(&p);
    CHECK(prime_init(&p, "nowhere.abc", -1, &err) == REEL_OK && p.kind == PRIME_FILE,
          "a name that says it is a file");
    prime_free(&p);
    CHECK(prime_init(&p, "C4/8 D4/8", -1, &err) == REEL_OK && p.kind == PRIME_NOTES &&
              p.tune.n_notes == 2, "notes");
    CHECK(!strcmp(p.desc, "notes \"C4/8 D4/8\""), "%s", p.desc);
    prime_free(&p);
    CHECK(prime_init(&p, "H4/4", -1, &err) == REEL_EARG, "a note that is not one");
    prime_free(&p);
}

static void test_prime_load(const char *dir)
{
    char path[700], cdir[600], arg[700];
    Prime p, q;
    ReelError err;
    snprintf(path, sizeof path, "%s/one.mid", dir);
    CHECK(prime_init(&p, path, 1, &err) == REEL_OK, "%s", err.msg);
    CHECK(prime_load(&p, 1, &err) == REEL_OK, "%s", err.msg);
    CHECK(p.tune.n_notes == 4 && p.tune.n_steps == 16, "the first bar: %d notes, %d steps",
          p.tune.n_notes, p.tune.n_steps);
    CHECK(strstr(p.desc, ", first 1 bar") && !strstr(p.desc, "bars"), "%s", p.desc);
    prime_free(&p);

    snprintf(path, sizeof path, "%s/missing.mid", dir);
    CHECK(prime_init(&p, path, -1, &err) == REEL_OK, "%s", err.msg);
    CHECK(prime_load(&p, 1, &err) != REEL_OK && strstr(err.msg, "missing.mid"), "%s", err.msg);
    prime_free(&p);

    snprintf(cdir, sizeof cdir, "%s/corpus", dir);
    REQUIRE(mkdir(cdir, 0755) == 0, "mkdir");
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/t%d.mid", cdir, i);
        write_tune(path, i == 1 ? "A4/8 B4 C5 D5 E5 F5 G5 A5 | B5/1 | A4/2 G4/2 | F4/1"
                                : "C4/4 E4 G4 C5 | D4/1 | E4/2 F4/2 | G4/1");
    }
    snprintf(arg, sizeof arg, "corpus:%s", cdir);
    CHECK(prime_init(&p, arg, -1, &err) == REEL_OK && prime_load(&p, 5, &err) == REEL_OK, "%s",
          err.msg);
    CHECK(prime_init(&q, arg, -1, &err) == REEL_OK && prime_load(&q, 5, &err) == REEL_OK, "%s",
          err.msg);
    CHECK(same_notes(&p.tune, &q.tune) && !strcmp(p.desc, q.desc), "the same seed, the same "
          "excerpt: %s / %s", p.desc, q.desc);
    CHECK(!strncmp(p.desc, "corpus ", 7) && strstr(p.desc, "bars "), "%s", p.desc);
    CHECK(p.tune.n_steps <= 32, "2 bars: %d steps", p.tune.n_steps);
    prime_free(&p);
    prime_free(&q);
    snprintf(arg, sizeof arg, "corpus:%s/none", dir);
    CHECK(prime_init(&p, arg, -1, &err) == REEL_OK && prime_load(&p, 5, &err) != REEL_OK,
          "a folder that is not there");
    CHECK(!strncmp(err.msg, arg, strlen(arg)), "the message starts with the argument: %s",
          err.msg);
    prime_free(&p);
}

static void test_prime_shape(void)
{
    Prime p;
    ReelError err;
    TimeSig s;
    CHECK(prime_init(&p, "C4/4 D4 E4 F4 G4/1", 1, &err) == REEL_OK, "%s", err.msg);
    CHECK(prime_shape(&p, 3, 4, 100, &err) == REEL_OK, "%s", err.msg);
    s = tune_sig_at(&p.tune, 0);
    CHECK(s.num == 3 && s.den == 4, "3/4, not %d/%d", s.num, s.den);
    CHECK(p.tune.n_steps == 12 && p.tune.n_notes == 3, "one bar of 3/4: %d steps, %d notes",
          p.tune.n_steps, p.tune.n_notes);
    CHECK(p.tune.n_tempos == 1 && tune_tempo_at(&p.tune, 0) == 600000, "100 bpm");
    prime_free(&p);
}

static void test_roundtrip(void)
{
    EncOpts tok = {.kind = ENC_TOKENS, .durations = true};
    Tune t, back;
    ReelError err;
    REQUIRE(gen_parse_notes("C4/8 D4/8 E4/4 r/4 G4/2", &t, &err) == REEL_OK, "%s", err.msg);
    CHECK(roundtrip_tune(&tok, NULL, &t, &back, &err) == REEL_OK, "%s", err.msg);
    CHECK(tune_count_matching(&t, &back) == t.n_notes, "tokens with their own vocabulary keep "
          "every note");
    tune_free(&back);
    tune_free(&t);
}

static void test_request(void)
{
    EncOpts mel = {.kind = ENC_MELODY};
    EncOpts plain = {.kind = ENC_ROLL13, .plain = true};
    Model m, m2;
    Prime p;
    GenRequest rq = genreq_defaults();
    GenResult a, b;
    ReelError err;
    make_model(&m, mel);
    rq.model_path = "models/tiny.reel";
    rq.seed = 7;
    rq.bars = 2;
    REQUIRE(prime_init(&p, "rests", -1, &err) == REEL_OK, "%s", err.msg);
    CHECK(genreq_run(&rq, &m, &p, &a, &err) == REEL_OK, "%s", err.msg);
    CHECK(genreq_run(&rq, &m, &p, &b, &err) == REEL_OK, "%s", err.msg);
    CHECK(a.stage == GENREQ_DONE && a.reached, "done");
    CHECK(same_notes(&a.tune, &b.tune), "the same request, the same melody");
    CHECK(a.tune.n_steps == 32 && a.end == 32, "2 bars of 4/4: %d steps", a.tune.n_steps);
    CHECK(a.span.first_note == 0 && a.span.start_step == 0, "a silent prime is not output");
    CHECK(!strcmp(a.title, "tiny, seed 7"), "%s", a.title);
    CHECK(a.tune.name && !strcmp(a.tune.name, a.title), "the tune is named by its title");
    CHECK(strstr(a.provenance, "generate: model models/tiny.reel (melody, checksum "
                               "0000000000001234)") &&
              strstr(a.provenance, "seed 7, prime rests (1 bar), 2 bars"), "%s", a.provenance);
    CHECK(a.tune.program == 40, "a melody model plays the violin: %d", a.tune.program);
    genreq_free(&a);
    genreq_free(&b);

    rq.bars = -1;
    rq.events = 10;
    rq.program = 1;
    CHECK(genreq_run(&rq, &m, &p, &a, &err) == REEL_OK, "%s", err.msg);
    CHECK(a.end == -1 && a.time >= 10 - 1, "10 steps: time %d", a.time);
    CHECK(strstr(a.provenance, ", 10 events"), "%s", a.provenance);
    CHECK(a.tune.program == 0, "--program 1");
    genreq_free(&a);
    prime_free(&p);

    /* A roll13 --plain model cannot hold notes outside C4..C5. */
    make_model(&m2, plain);
    rq = genreq_defaults();
    rq.model_path = "plain.reel";
    REQUIRE(prime_init(&p, "C2/4 C7/4", -1, &err) == REEL_OK, "%s", err.msg);
    CHECK(genreq_run(&rq, &m2, &p, &a, &err) == REEL_EARG, "the prime does not fit");
    CHECK(a.stage == GENREQ_PRIME, "it stopped at priming: %d", (int)a.stage);
    genreq_free(&a);
    prime_free(&p);
    model_free(&m);
    model_free(&m2);
}

int main(void)
{
    const char *dir = test_tmpdir();
    test_load_tune(dir);
    test_prime_kinds(dir);
    test_prime_load(dir);
    test_prime_shape();
    test_roundtrip();
    test_request();
    CHECK(genreq_clock_seed() < 1000000000u, "a seed short enough to type");
    TEST_END();
}
