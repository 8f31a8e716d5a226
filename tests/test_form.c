/* test_form.c — the form inputs of melody --lookback (encode.h, issue 13):
 * input and output widths per option, exact rows of known tunes at chosen
 * steps (4 and 8 bars back, phrase position and beat, start event, metre
 * and key), targets (repeat labels 4 and 8 back, the end label), encode /
 * decode round trips with each option, transposition in data_build (which
 * shifts fit, the key following), the model header's new fields and an
 * older header loading unchanged, a small training run with every option
 * (the loss falls), a model overfitted on one tune that ends by itself at
 * its end event, and the conditioning rows that --key / --meter choose. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "encode.h"
#include "generate.h"
#include "keyprofile.h"
#include "model.h"
#include "testlib.h"
#include "train.h"

static const EncOpts LB = {.kind = ENC_MELODY, .lookback = true};
static const EncOpts ALL = {.kind = ENC_MELODY, .lookback = true, .repeats = true, .back = 15,
                            .phrase = true, .events = true, .cond = true};

static void add(Tune *t, int32_t onset, int32_t dur, int pitch)
{
    ReelError err;
    REQUIRE(tune_add_note(t, onset, dur, pitch, 100, &err) == REEL_OK, "%s", err.msg);
}

/* bars bars of 4/4, bar k one whole note of pitch base + k % span. */
static void whole_notes(Tune *t, int bars, int base, int span)
{
    tune_init(t);
    for (int k = 0; k < bars; k++)
        add(t, 16 * k, 16, base + k % span);
    t->n_steps = 16 * bars;
    tune_sort(t);
}

static void tune_in(Tune *t, int num, int den)
{
    ReelError err;
    tune_init(t);
    REQUIRE(tune_add_sig(t, 0, num, den, &err) == REEL_OK, "%s", err.msg);
}

static void encode(const EncOpts *o, const Tune *t, Encoded *e)
{
    ReelError err;
    REQUIRE(enc_encode(o, NULL, t, e, &err) == REEL_OK, "%s", err.msg);
}

static void test_widths(void)
{
    EncOpts o = LB;
    CHECK(enc_in_width(&o, NULL) == ENC_LOOKBACK_WIDTH && enc_out_width(&o, NULL) == 130,
          "--lookback: 397 in, 130 out");
    o.repeats = true;
    CHECK(enc_out_width(&o, NULL) == 132 && enc_end_label(&o) < 0, "repeat labels: 132 out");
    o.back = 15;
    CHECK(enc_in_width(&o, NULL) == 5 * 130 + 5 + 4, "1,2,4,8: %d in", enc_in_width(&o, NULL));
    CHECK(enc_out_width(&o, NULL) == 134, "1,2,4,8 repeat labels: %d out",
          enc_out_width(&o, NULL));
    o.back = 2 | 8; /* 2 and 8 bars */
    CHECK(enc_in_width(&o, NULL) == 3 * 130 + 5 + 2 && enc_out_width(&o, NULL) == 132,
          "2,8: %d in, %d out", enc_in_width(&o, NULL), enc_out_width(&o, NULL));
    o = LB;
    o.phrase = true;
    CHECK(enc_in_width(&o, NULL) == 397 + ENC_PHRASE_WIDTH && enc_out_width(&o, NULL) == 130,
          "phrase: %d in", enc_in_width(&o, NULL));
    o = LB;
    o.events = true;
    CHECK(enc_in_width(&o, NULL) == 398 && enc_out_width(&o, NULL) == 131 &&
          enc_end_label(&o) == 130, "events: 398 in, 131 out, end label 130");
    o = LB;
    o.cond = true;
    CHECK(enc_in_width(&o, NULL) == 397 + ENC_COND_WIDTH, "cond: %d in", enc_in_width(&o, NULL));
    CHECK(enc_in_width(&ALL, NULL) == 659 + 1 + 37 + 32 && enc_out_width(&ALL, NULL) == 135 &&
          enc_end_label(&ALL) == 134, "all: %d in, %d out", enc_in_width(&ALL, NULL),
          enc_out_width(&ALL, NULL));
    CHECK(!enc_form(&LB) && enc_form(&ALL), "enc_form");
}

/* 9 whole notes C#4.. (class 2 + 61 + k): the row predicting step 128
 * (bar 8) with 1,2,4,8 bars back. */
static void test_rows_back(void)
{
    EncOpts o = LB;
    Tune t;
    Encoded e;
    float row[800];
    EncAt at;
    int32_t lab;
    o.back = 15;
    o.repeats = true;
    whole_notes(&t, 9, 61, 9);
    encode(&o, &t, &e);
    REQUIRE(e.n == 144 && e.bar_num && e.beat, "9 bars: %d rows", e.n);
    enc_at(&t, 128, &at);
    CHECK(at.pos == 0 && at.len == 16 && at.bar == 8 && at.beat == 0 && at.on_beat, "enc_at 128");
    enc_form_row(&o, e.ids, 127, &at, NULL, row);
    for (int i = 0; i < enc_in_width(&o, NULL); i++) {
        float want = 0.0f;
        if (i == MELODY_HOLD || i == 130 + 2 + 61 + 7 || i == 260 + 2 + 61 + 6 ||
            i == 390 + 2 + 61 + 4 || i == 520 + 2 + 61 + 0)
            want = 1.0f;
        if (i >= 655 && i <= 657) /* step 127 is a hold, as 111, 95, 63; 8 bars back is before 0 */
            want = 1.0f;
        CHECK(row[i] == want, "row 127 [%d] = %g, not %g", i, row[i], want);
    }
    /* Step 128 repeats nothing; a tune whose bar 8 is bar 0 and bar 4: label "8 back". */
    CHECK(enc_form_target(&o, e.ids, 127, 16) == 2 + 61 + 8, "target 128 is its class");
    enc_free(&e);
    tune_free(&t);
    whole_notes(&t, 9, 60, 4); /* bars 0, 4, 8 alike; 1 2 3 5 6 7 others */
    encode(&o, &t, &e);
    lab = enc_form_target(&o, e.ids, 127, 16);
    CHECK(lab == ENC_REPEAT1 + 3, "bar 8 = bar 0: label 8 back (%d)", lab);
    CHECK(enc_form_target(&o, e.ids, 63, 16) == ENC_REPEAT1 + 2, "bar 4 = bar 0: label 4 back");
    CHECK(enc_form_class(&o, e.ids, 127, 16, ENC_REPEAT1 + 3) == 62 &&
          enc_form_class(&o, e.ids, 127, 16, ENC_REPEAT1 + 2) == 62 &&
          enc_form_class(&o, e.ids, 127, 16, ENC_REPEAT1 + 1) == 64 &&
          enc_form_class(&o, e.ids, 127, 16, ENC_REPEAT1) == 65, "what the labels mean at 128");
    CHECK(enc_form_class(&o, e.ids, 100, 16, ENC_REPEAT1 + 3) == -1, "nothing 8 bars before 101");
    enc_free(&e);
    tune_free(&t);
}

/* Phrase position in 6/8 (beats of 6 steps) and the start event. */
static void test_rows_phrase_events(void)
{
    EncOpts o = LB;
    Tune t;
    Encoded e;
    float row[800];
    EncAt at;
    int base = 397 + 1; /* events bit first, then the phrase block */
    o.phrase = true;
    o.events = true;
    tune_in(&t, 6, 8);
    for (int k = 0; k < 20 * 12; k += 3)
        add(&t, k, 3, 62 + (k / 3) % 5);
    t.n_steps = 20 * 12;
    tune_sort(&t);
    encode(&o, &t, &e);
    CHECK(e.n == 242 && e.ids[0] == ENC_EV_START && e.ids[241] == ENC_EV_END &&
          e.ids[1] == 2 + 62, "events: start, 240 steps, end");
    CHECK(e.bar_pos[1] == 0 && e.bar_pos[0] == 11 && e.bar_len[241] == 12 && e.bar_num[241] == 20,
          "event rows' places: step -1 and step 240");
    CHECK(enc_form_target(&o, e.ids, 240, 12) == 130, "the last target is the end label");
    /* Row predicting step 12 * 13 + 7 (bar 13, second beat, off the beat): array index t+1. */
    enc_at(&t, 13 * 12 + 7, &at);
    CHECK(at.bar == 13 && at.pos == 7 && at.beat == 1 && !at.on_beat, "enc_at in 6/8");
    enc_form_row(&o, e.ids, 13 * 12 + 7, &at, NULL, row);
    CHECK(row[397] == 0.0f, "not the start");
    for (int i = 0; i < ENC_PHRASE_WIDTH; i++) {
        float want = i == 13 % 4 || i == 4 + 13 % 8 || i == 12 + 13 || i == 28 + 1 ? 1.0f : 0.0f;
        CHECK(row[base + i] == want, "phrase [%d] = %g", i, row[base + i]);
    }
    enc_at(&t, 0, &at);
    enc_form_row(&o, e.ids, 0, &at, NULL, row);
    CHECK(row[397] == 1.0f && row[ENC_EV_START % 130] == 0.0f && row[base + 0] == 1.0f &&
          row[base + 4] == 1.0f && row[base + 12] == 1.0f && row[base + 28] == 1.0f &&
          row[base + 36] == 1.0f, "the start row: start bit, bar 0, beat 0, on the beat");
    for (int i = 0; i < 130; i++)
        CHECK(row[i] == 0.0f, "the start row has no class [%d]", i);
    enc_free(&e);
    tune_free(&t);
}

/* enc_trim_silence: two empty bars of 4/4 before the melody and a bar and
 * a half of silence after it are cut; bar numbers start again at 0. */
static void test_trim_silence(void)
{
    EncOpts o = ALL;
    Tune t;
    Encoded e, plain;
    tune_in(&t, 4, 4);
    add(&t, 2 * 16 + 4, 4, 67);   /* bar 2, second beat */
    add(&t, 3 * 16, 8, 69);       /* bar 3, ends mid-bar */
    t.n_steps = 5 * 16 + 8;
    tune_sort(&t);
    encode(&o, &t, &e);
    CHECK(e.n == 88 + 2, "events around 88 steps");
    CHECK(enc_trim_silence(&e) == 88 - 32, "2 bars before and 1.5 after cut: %ld rows",
          (long)(e.n));
    CHECK(e.n == 32 + 2 && e.ids[0] == ENC_EV_START && e.ids[33] == ENC_EV_END,
          "start, bars 2 and 3, end");
    CHECK(e.ids[1] == MELODY_OFF && e.ids[5] == 2 + 67 && e.ids[17] == 2 + 69 &&
          e.ids[25] == MELODY_OFF, "the notes where they were in their bars");
    CHECK(e.bar_pos[1] == 0 && e.bar_num[1] == 0 && e.bar_num[17] == 1 && e.bar_pos[0] == 15 &&
          e.bar_num[0] == 65535 && e.bar_pos[33] == 0 && e.bar_num[33] == 2,
          "bars counted from the first kept; the events at steps -1 and 32");
    CHECK(enc_trim_silence(&e) == 0 && e.n == 34, "trimming again changes nothing");
    enc_free(&e);
    o.events = false;
    encode(&o, &t, &plain);
    CHECK(enc_trim_silence(&plain) == 0 && plain.n == 88, "no events: untouched");
    enc_free(&plain);
    tune_free(&t);
}

/* Metre and key inputs: D major in 6/8, E minor in 4/4. */
static void test_rows_cond(void)
{
    static const int d_major[] = {62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62, 62};
    EncCond c;
    EncAt at;
    float row[800];
    Encoded e;
    Tune t;
    EncOpts o = LB;
    o.cond = true;
    tune_in(&t, 6, 8);
    for (int k = 0; k < 12; k++)
        add(&t, 3 * k, k == 0 || k == 11 ? 6 : 3, d_major[k]);
    tune_sort(&t);
    encode(&o, &t, &e);
    CHECK(e.key == keyprofile_parse("D") && e.key == 2, "key of the D tune: %d", e.key);
    CHECK(e.meter == enc_meter_class(6, 8) && e.meter == 3, "6/8 is metre class 3");
    c.key = e.key;
    c.meter = e.meter;
    enc_at(&t, 10, &at);
    enc_form_row(&o, e.ids, 9, &at, &c, row);
    for (int i = 0; i < ENC_COND_WIDTH; i++)
        CHECK(row[397 + i] == (i == 3 || i == ENC_METERS + 2 ? 1.0f : 0.0f), "cond [%d]", i);
    enc_free(&e);
    tune_free(&t);
    CHECK(keyprofile_parse("Em") == 16 && keyprofile_parse("Bb") == 10 &&
          keyprofile_parse("f#m") == 18 && keyprofile_parse("H") < 0 &&
          keyprofile_parse("Dx") < 0, "key names");
    {
        char b[8];
        CHECK(!strcmp(keyprofile_name(10, b), "Bb") && !strcmp(keyprofile_name(16, b), "Em"),
              "keyprofile_name");
    }
    CHECK(enc_meter_class(4, 4) == 2 && enc_meter_class(5, 4) == 7 && enc_meter_class(2, 2) == 6,
          "metre classes");
}

/* Every option decodes back to what plain melody gives. */
static void test_round_trips(void)
{
    EncOpts opts[6] = {LB, LB, LB, LB, LB, ALL};
    Tune t, want;
    Encoded e0;
    ReelError err;
    EncOpts plain = {.kind = ENC_MELODY};
    Rng r;
    opts[0].back = 15;
    opts[1].phrase = true;
    opts[2].events = true;
    opts[3].cond = true;
    opts[4].repeats = true;
    opts[4].back = 4 | 8;
    tune_init(&t);
    rng_seed(&r, 5);
    REQUIRE(tune_add_sig(&t, 0, 3, 4, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(tune_add_sig(&t, 50, 9, 8, &err) == REEL_OK, "%s", err.msg);
    for (int32_t s = 2; s < 300;) {
        int32_t d = 1 + (int32_t)rng_below(&r, 4);
        add(&t, s, d, 55 + (int)rng_below(&r, 30));
        s += d + (int32_t)rng_below(&r, 2);
    }
    t.n_steps = 310;
    tune_sort(&t);
    encode(&plain, &t, &e0);
    REQUIRE(enc_decode(&plain, NULL, &e0, &t, &want, &err) == REEL_OK, "%s", err.msg);
    for (int k = 0; k < 6; k++) {
        Encoded e;
        Tune got;
        encode(&opts[k], &t, &e);
        CHECK(e.n == e0.n + (opts[k].events ? 2 : 0), "option %d: %d rows", k, e.n);
        REQUIRE(enc_decode(&opts[k], NULL, &e, &t, &got, &err) == REEL_OK, "%s", err.msg);
        CHECK(got.n_notes == want.n_notes && got.n_steps == want.n_steps &&
              tune_count_matching(&got, &want) == want.n_notes,
              "option %d round trip: %d notes of %d", k, got.n_notes, want.n_notes);
        tune_free(&got);
        enc_free(&e);
    }
    enc_free(&e0);
    tune_free(&want);
    tune_free(&t);
}

/* A: 60..64 over 8 bars, B: 62..72.  The corpus's range is 60..72. */
static void test_transpose(void)
{
    Tune tunes[2];
    Dataset d;
    ReelError err;
    EncOpts o = LB;
    o.cond = true;
    whole_notes(&tunes[0], 8, 60, 5);
    whole_notes(&tunes[1], 11, 62, 11);
    o.shifts = (1 << (12 - 2)) | (1 << (12 + 2)) | (1 << (12 + 5));
    REQUIRE(data_build(&d, tunes, NULL, 2, &o, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(d.lo == 60 && d.hi == 72, "range %d..%d", d.lo, d.hi);
    CHECK(d.copies == 3 && d.n_tunes == 5, "-2,2,5: %d copies (A +2 +5, B -2)", d.copies);
    CHECK(d.src[2] == 0 && d.src[3] == 0 && d.src[4] == 1, "copies name their tune");
    CHECK(d.ids[d.start[2]] == 2 + 62 && d.ids[d.start[3]] == 2 + 65 && d.ids[d.start[4]] == 2 + 60,
          "shifted ids");
    CHECK(d.ids[d.start[2] + 1] == MELODY_HOLD, "holds stay holds");
    CHECK(d.key[2] == (d.key[0] + 2) % 12 + (d.key[0] / 12) * 12 &&
          d.key[4] == (d.key[1] + 10) % 12 + (d.key[1] / 12) * 12, "the key follows: %d -> %d",
          d.key[0], d.key[2]);
    CHECK(d.positions == 3 * (8 * 16 - 1) + 2 * (11 * 16 - 1), "positions %lld",
          (long long)d.positions);
    data_free(&d);
    o.shifts = ENC_SHIFTS_ALL;
    REQUIRE(data_build(&d, tunes, NULL, 2, &o, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(d.copies == 8 + 2, "all: %d copies (A 8 keys, B 2)", d.copies);
    data_free(&d);
    o.shifts = 0;
    REQUIRE(data_build(&d, tunes, NULL, 2, &o, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(d.copies == 0 && d.n_tunes == 2 && d.key_mode >= 0 && d.meter_mode == 2,
          "no shifts: the tunes as they are; commonest metre 4/4");
    data_free(&d);
    tune_free(&tunes[0]);
    tune_free(&tunes[1]);
}

static void make_model(Model *m, EncOpts enc, int hidden, uint64_t wseed)
{
    ReelError err;
    Rng r;
    model_init(m);
    m->enc = enc;
    m->net.hidden = hidden;
    m->net.layers = 1;
    REQUIRE(model_net_for_encoding(&m->enc, NULL, &m->net, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(net_new(&m->nn, &m->net, 0, 0, &err) == REEL_OK, "%s", err.msg);
    rng_seed(&r, wseed);
    net_init(m->nn, &r);
}

static bool header_has(const char *path, const char *key)
{
    FILE *f = fopen(path, "rb");
    char line[256];
    bool has = false;
    REQUIRE(f, "open %s", path);
    while (fgets(line, sizeof line, f) && strcmp(line, "weights\n"))
        has |= !strncmp(line, key, strlen(key));
    fclose(f);
    return has;
}

static void test_model_file(const char *dir)
{
    Model m, a;
    ReelError err;
    char path[600];
    EncOpts o = ALL;
    o.cond_key = 7;
    o.cond_meter = 3;
    o.shifts = ENC_SHIFTS_ALL;
    make_model(&m, o, 8, 1);
    snprintf(path, sizeof path, "%s/form.reel", dir);
    REQUIRE(model_save(&m, path, false, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(model_load(&a, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(a.enc.back == 15 && a.enc.phrase && a.enc.events && a.enc.cond && a.enc.repeats &&
          a.enc.cond_key == 7 && a.enc.cond_meter == 3 && a.enc.shifts == ENC_SHIFTS_ALL &&
          a.net.n_in == enc_in_width(&ALL, NULL) && a.net.n_out == 135,
          "the form fields round trip");
    model_free(&a);
    model_free(&m);
    /* Today's --lookback --repeat-labels: no new lines, loads as before. */
    o = LB;
    o.repeats = true;
    make_model(&m, o, 8, 2);
    snprintf(path, sizeof path, "%s/lb.reel", dir);
    REQUIRE(model_save(&m, path, false, &err) == REEL_OK, "%s", err.msg);
    CHECK(!header_has(path, "lookback_bars") && !header_has(path, "phrase") &&
          !header_has(path, "tune_events") && !header_has(path, "condition") &&
          !header_has(path, "transpose"), "an older kind of model writes no form lines");
    REQUIRE(model_load(&a, path, 0, 0, &err) == REEL_OK, "%s", err.msg);
    CHECK(a.enc.lookback && a.enc.repeats && !enc_form(&a.enc) && a.enc.back == 0 &&
          a.net.n_in == ENC_LOOKBACK_WIDTH && a.net.n_out == 132, "and loads as it was");
    model_free(&a);
    model_free(&m);
    /* The shipped model (written before the form fields) loads unchanged. */
    if (model_load(&a, "models/fiddle-lookback.reel", 0, 0, &err) == REEL_OK) {
        CHECK(!enc_form(&a.enc) && a.net.n_in == 397 && a.net.n_out == 132,
              "models/fiddle-lookback.reel: no form options");
        model_free(&a);
    }
}

static void set_training(Model *m, int epochs, float lr)
{
    m->train.window = 64;
    m->train.batch = 8;
    m->train.epochs = epochs;
    m->train.seed = 3;
    m->train.threads = 1;
    m->train.optim = optim_defaults(OPTIM_ADAM);
    m->train.optim.lr = lr;
}

/* A few batches with every option on: the training loss falls well below
 * the untrained network's (about ln 135 = 4.9). */
static void test_training(const char *dir)
{
    Tune tunes[12];
    Dataset tr, va;
    Model m;
    ReelError err;
    TrainRun run;
    char path[600];
    EncOpts o = ALL;
    o.shifts = (1 << 10) | (1 << 14);
    for (int i = 0; i < 12; i++)
        whole_notes(&tunes[i], 8 + i % 3, 60 + i % 4, 4);
    REQUIRE(data_build(&tr, tunes, NULL, 10, &o, NULL, &err) == REEL_OK, "%s", err.msg);
    o.shifts = 0;
    REQUIRE(data_build(&va, tunes + 10, NULL, 2, &o, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(tr.copies > 0 && tr.in_floats == enc_in_width(&ALL, NULL), "training data: %d copies",
          tr.copies);
    make_model(&m, ALL, 24, 4);
    set_training(&m, 6, 0.01f);
    memset(&run, 0, sizeof run);
    snprintf(path, sizeof path, "%s/train-all.reel", dir);
    run.out_path = path;
    REQUIRE(train_run(&m, &tr, &va, &run, &err) == REEL_OK, "%s", err.msg);
    printf("all options: train loss %.3f, val loss %.3f after %d epochs\n", m.progress.train_loss,
           m.progress.val_loss, m.progress.epoch);
    CHECK(m.progress.train_loss < 0.5f * logf(135.0f), "the loss falls: %.3f",
          m.progress.train_loss);
    CHECK(isfinite(m.progress.val_loss), "val loss %.3f", m.progress.val_loss);
    model_free(&m);
    data_free(&tr);
    data_free(&va);
    for (int i = 0; i < 12; i++)
        tune_free(&tunes[i]);
}

/* One 3-bar tune, learnt by heart with events: generated from the start
 * event, the model plays it and stops at its end. */
static void test_ends_by_itself(const char *dir)
{
    Tune tune[8];
    Dataset tr;
    Model m;
    ReelError err;
    TrainRun run;
    Generator *g;
    SampleOpts so = sample_defaults();
    char path[600];
    EncOpts o = LB;
    bool reached = true;
    Tune out;
    o.events = true;
    o.phrase = true;
    for (int i = 0; i < 8; i++) {
        tune_init(&tune[i]);
        for (int k = 0; k < 12; k++)
            add(&tune[i], 4 * k, 4, 60 + (k * 5) % 12);
        tune[i].n_steps = 48;
        tune_sort(&tune[i]);
    }
    REQUIRE(data_build(&tr, tune, NULL, 8, &o, NULL, &err) == REEL_OK, "%s", err.msg);
    make_model(&m, o, 32, 5);
    set_training(&m, 60, 0.02f);
    memset(&run, 0, sizeof run);
    snprintf(path, sizeof path, "%s/ends.reel", dir);
    run.out_path = path;
    REQUIRE(train_run(&m, &tr, &tr, &run, &err) == REEL_OK, "%s", err.msg);
    printf("one tune by heart: train loss %.4f\n", m.progress.train_loss);
    so.temperature = 0.2f;
    REQUIRE(gen_new(&g, &m, &so, 1, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_rests(g, 1, NULL, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_rows(g) == 1 && gen_input_row(g)[397] == 1.0f, "primed with the start event alone");
    REQUIRE(gen_until(g, 16 * 8, 0, &reached, &err) == REEL_OK, "%s", err.msg);
    CHECK(gen_ended(g) && !reached, "the tune ended by itself");
    CHECK(gen_time(g) == 48, "at its end, step %d (the tune's 48)", gen_time(g));
    REQUIRE(gen_tune(g, -1, &out, NULL, &err) == REEL_OK, "%s", err.msg);
    CHECK(out.n_notes == 12 && tune_count_matching(&out, &tune[0]) == 12,
          "the tune it knows: %d notes, %ld as learnt", out.n_notes,
          tune_count_matching(&out, &tune[0]));
    CHECK(gen_step(g, &err) == REEL_OK && gen_time(g) == 48, "nothing after the end");
    tune_free(&out);
    gen_free(g);
    model_free(&m);
    data_free(&tr);
    for (int i = 0; i < 8; i++)
        tune_free(&tune[i]);
}

/* The key and metre a generator feeds: the model's default, or the one
 * set (as reel generate --key / --meter set them). */
static void test_conditioning(void)
{
    Model m;
    Generator *g;
    ReelError err;
    Tune meta;
    EncOpts o = LB;
    int at = 397;
    const float *row;
    o.cond = true;
    o.cond_key = 7; /* G */
    o.cond_meter = 2;
    make_model(&m, o, 8, 6);
    REQUIRE(gen_new(&g, &m, NULL, 1, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_rests(g, 1, NULL, NULL, &err) == REEL_OK && gen_steps(g, 3, &err) == REEL_OK,
            "%s", err.msg);
    row = gen_input_row(g);
    for (int i = 0; i < ENC_COND_WIDTH; i++)
        CHECK(row[at + i] == (i == 2 || i == ENC_METERS + 7 ? 1.0f : 0.0f),
              "default: 4/4 and G [%d]", i);
    gen_free(g);
    m.enc.cond_key = keyprofile_parse("Em");
    tune_init(&meta);
    REQUIRE(tune_set_meter(&meta, 6, 8, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_new(&g, &m, NULL, 1, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(gen_prime_rests(g, 1, &meta, NULL, &err) == REEL_OK && gen_steps(g, 5, &err) == REEL_OK,
            "%s", err.msg);
    row = gen_input_row(g);
    for (int i = 0; i < ENC_COND_WIDTH; i++)
        CHECK(row[at + i] == (i == 3 || i == ENC_METERS + 16 ? 1.0f : 0.0f),
              "--key Em --meter 6/8 [%d]", i);
    gen_free(g);
    tune_free(&meta);
    model_free(&m);
}

/* The first k steps of t (notes cut there). */
static void cut(const Tune *t, int32_t k, Tune *out)
{
    ReelError err;
    REQUIRE(tune_copy_meta(out, t, &err) == REEL_OK, "%s", err.msg);
    for (int32_t i = 0; i < t->n_notes; i++) {
        Note a = t->notes[i];
        if (a.onset < k)
            add(out, a.onset, a.onset + a.dur > k ? k - a.onset : a.dur, a.pitch);
    }
    out->n_steps = k;
    tune_sort(out);
}

/* A generator primed with a tune's first k steps feeds the row that
 * data_fill makes for predicting step k: training and generation agree. */
static void test_rows_agree(void)
{
    Tune t;
    Dataset d;
    Model m;
    ReelError err;
    EncOpts o = ALL;
    Window w;
    static float x[256 * 729];
    static int32_t y[256];
    static float mask[256];
    int F = enc_in_width(&ALL, NULL);
    tune_in(&t, 9, 8);
    REQUIRE(tune_add_sig(&t, 90, 2, 4, &err) == REEL_OK, "%s", err.msg);
    for (int32_t s = 0, k = 0; s + 3 <= 200; s += 1 + k % 3, k++)
        add(&t, s, 1 + k % 3, 62 + (k * 7) % 12);
    t.n_steps = 200;
    tune_sort(&t);
    REQUIRE(data_build(&d, &t, NULL, 1, &o, NULL, &err) == REEL_OK, "%s", err.msg);
    REQUIRE(d.n_tunes == 1 && d.rows == 202, "one tune of 202 rows, not %d of %lld", d.n_tunes, (long long)d.rows);
    w = (Window){0, 0, 201};
    data_fill(&d, &w, 1, 256, 1, x, NULL, NULL, y, mask);
    CHECK(y[200] == enc_end_label(&ALL), "the last target is the end");
    o.cond_key = d.key[0];
    make_model(&m, o, 8, 7);
    for (int32_t k = 1; k <= 200; k += 37) {
        Generator *g;
        Tune part;
        tune_init(&part);
        cut(&t, k, &part);
        REQUIRE(gen_new(&g, &m, NULL, 1, &err) == REEL_OK, "%s", err.msg);
        REQUIRE(gen_prime_tune(g, &part, NULL, &err) == REEL_OK, "%s", err.msg);
        CHECK(gen_rows(g) == k + 1 && gen_time(g) == k, "primed: start and %d rows", k);
        CHECK(memcmp(gen_input_row(g), x + (size_t)k * (size_t)F, (size_t)F * sizeof *x) == 0,
              "the generator's row predicting step %d is data_fill's", k);
        gen_free(g);
        tune_free(&part);
    }
    model_free(&m);
    data_free(&d);
    tune_free(&t);
}

int main(void)
{
    const char *dir = test_tmpdir();
    test_widths();
    test_rows_back();
    test_rows_phrase_events();
    test_rows_cond();
    test_trim_silence();
    test_round_trips();
    test_transpose();
    test_model_file(dir);
    test_conditioning();
    test_rows_agree();
    test_training(dir);
    test_ends_by_itself(dir);
    TEST_END();
}
