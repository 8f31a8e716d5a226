/* test_ui_logic.c — the studio's pure logic: the key map and the piano,
 * note values, the melody with its entry rules and undo, record-mode
 * quantizing, chart scaling and glyphs, settings files, path completion,
 * GM names, the view's state (size, scroll, status line). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#include "chart.h"
#include "keys.h"
#include "prompt.h"
#include "record.h"
#include "settings.h"
#include "song.h"
#include "studio.h"
#include "testlib.h"
#include "view.h"

/* ---- keys ------------------------------------------------------------------- */

static void test_piano(void)
{
    /* White keys of the Z row: C D E F G A B C D E. */
    const char *white = "zxcvbnm,./";
    const int white_st[] = {0, 2, 4, 5, 7, 9, 11, 12, 14, 16};
    const char *sharp = "sdghjl;";
    const int sharp_st[] = {1, 3, 6, 8, 10, 13, 15};
    const char *qwhite = "qwertyuiop";
    const char *qsharp = "235679" "0";
    const int qsharp_st[] = {13, 15, 18, 20, 22, 25, 27};
    for (int i = 0; white[i]; i++)
        CHECK(keys_piano_offset(white[i]) == white_st[i], "%c: %d", white[i],
              keys_piano_offset(white[i]));
    for (int i = 0; sharp[i]; i++)
        CHECK(keys_piano_offset(sharp[i]) == sharp_st[i], "%c", sharp[i]);
    for (int i = 0; qwhite[i]; i++)
        CHECK(keys_piano_offset(qwhite[i]) == 12 + white_st[i], "%c", qwhite[i]);
    for (int i = 0; qsharp[i]; i++)
        CHECK(keys_piano_offset(qsharp[i]) == qsharp_st[i], "%c", qsharp[i]);
    /* Not piano keys: the gaps of the keyboard, digits 1 4 8, shifted letters. */
    for (const char *p = "afk148'[]-=ZQ <>"; *p; p++)
        CHECK(keys_piano_offset(*p) == -1, "'%c' is no piano key", *p);
    CHECK(keys_piano_offset(KEY_LEFT) == -1, "KEY_LEFT");
}

static void test_actions(void)
{
    /* Piano mode: letters play, Shift+letter commands, the rest as in command mode. */
    CHECK(keys_action('g', KEYS_STUDIO, true) == ACT_NOTE, "g plays F# in piano mode");
    CHECK(keys_action('G', KEYS_STUDIO, true) == ACT_GENERATE, "G generates in piano mode");
    CHECK(keys_action('q', KEYS_STUDIO, true) == ACT_NOTE, "q plays C");
    CHECK(keys_action('Q', KEYS_STUDIO, true) == ACT_QUIT, "Q quits");
    CHECK(keys_action('2', KEYS_STUDIO, true) == ACT_NOTE, "2 is C#");
    CHECK(keys_action('a', KEYS_STUDIO, true) == ACT_REST, "a rests");
    CHECK(keys_action('\n', KEYS_STUDIO, true) == ACT_GENERATE, "Enter generates");
    CHECK(keys_action(' ', KEYS_STUDIO, true) == ACT_PLAY, "Space plays");
    CHECK(keys_action(']', KEYS_STUDIO, true) == ACT_TEMP_UP, "] in piano mode");
    CHECK(keys_action(KEY_BACKSPACE, KEYS_STUDIO, true) == ACT_UNDO, "Backspace undoes");
    CHECK(keys_action(27, KEYS_STUDIO, true) == ACT_ESCAPE, "Esc");
    CHECK(keys_action('<', KEYS_STUDIO, true) == ACT_OCT_DOWN, "<");
    CHECK(keys_action('>', KEYS_STUDIO, true) == ACT_OCT_UP, ">");
    CHECK(keys_action(KEY_UP, KEYS_STUDIO, true) == ACT_LEN_LONGER, "Up");
    CHECK(keys_action('R', KEYS_STUDIO, true) == ACT_RECORD, "R records");
    /* Command mode. */
    CHECK(keys_action('g', KEYS_STUDIO, false) == ACT_GENERATE, "g");
    CHECK(keys_action('s', KEYS_STUDIO, false) == ACT_SAVE, "s");
    CHECK(keys_action('o', KEYS_STUDIO, false) == ACT_OPEN, "o");
    CHECK(keys_action('q', KEYS_STUDIO, false) == ACT_QUIT, "q");
    CHECK(keys_action('?', KEYS_STUDIO, false) == ACT_HELP, "?");
    CHECK(keys_action('[', KEYS_STUDIO, false) == ACT_TEMP_DOWN, "[");
    CHECK(keys_action('-', KEYS_STUDIO, false) == ACT_TEMP_DOWN, "-");
    CHECK(keys_action('+', KEYS_STUDIO, false) == ACT_TEMP_UP, "+");
    CHECK(keys_action('4', KEYS_STUDIO, false) == ACT_LEN_SET, "4");
    CHECK(keys_action('.', KEYS_STUDIO, false) == ACT_DOTTED, ".");
    CHECK(keys_action('l', KEYS_STUDIO, false) == ACT_LOOP, "l");
    CHECK(keys_action('L', KEYS_STUDIO, false) == ACT_LOOP, "L is l (Caps Lock)");
    CHECK(keys_action('c', KEYS_STUDIO, false) == ACT_CONTINUOUS, "c");
    CHECK(keys_action('k', KEYS_STUDIO, false) == ACT_KEEP, "k");
    CHECK(keys_action('x', KEYS_STUDIO, false) == ACT_DISCARD, "x");
    CHECK(keys_action('n', KEYS_STUDIO, false) == ACT_NEWTAKE, "n");
    CHECK(keys_action('t', KEYS_STUDIO, false) == ACT_VIEW_TRAIN, "t");
    CHECK(keys_action('\t', KEYS_STUDIO, false) == ACT_PIANO_TOGGLE, "Tab");
    CHECK(keys_action('\t', KEYS_STUDIO, true) == ACT_PIANO_TOGGLE, "Tab in piano mode");
    /* Training view. */
    CHECK(keys_action('s', KEYS_TRAIN, false) == ACT_T_START, "s starts training");
    CHECK(keys_action('p', KEYS_TRAIN, false) == ACT_T_PAUSE, "p");
    CHECK(keys_action('x', KEYS_TRAIN, false) == ACT_T_STOP, "x");
    CHECK(keys_action('l', KEYS_TRAIN, false) == ACT_T_LISTEN, "l");
    CHECK(keys_action('u', KEYS_TRAIN, false) == ACT_T_USE, "u");
    CHECK(keys_action('t', KEYS_TRAIN, false) == ACT_VIEW_STUDIO, "t");
}

/* Every command a key reaches is in the help overlay. */
static void test_help_covers(void)
{
    int n = 0;
    const KeysHelp *h = keys_help(KEYS_STUDIO, &n);
    char all[8192] = "";
    for (int i = 0; i < n; i++) {
        strncat(all, " ", sizeof all - strlen(all) - 1);
        strncat(all, h[i].keys, sizeof all - strlen(all) - 1);
        strncat(all, " ", sizeof all - strlen(all) - 1);
    }
    for (const char *k = "gnkxclmrspoutaz"; *k; k++) {
        char pat[4] = {' ', *k, ' ', 0};
        if (keys_action(*k, KEYS_STUDIO, false) != ACT_NONE)
            CHECK(strstr(all, pat) != NULL, "help lists '%c'", *k);
    }
    for (const char *k = "[]{}()#<>?:"; *k; k++)
        CHECK(strchr(all, *k) != NULL, "help lists '%c'", *k);
    CHECK(strstr(all, "Space") && strstr(all, "Tab") && strstr(all, "Backspace"), "named keys");
    h = keys_help(KEYS_TRAIN, &n);
    CHECK(n >= 8, "training help");
}

static void test_values(void)
{
    char b[16];
    CHECK(!strcmp(keys_value_name(2, b, sizeof b), "1/8"), "%s", b);
    CHECK(!strcmp(keys_value_name(6, b, sizeof b), "1/4."), "%s", b);
    CHECK(keys_length_digit('1') == 16 && keys_length_digit('2') == 8 &&
          keys_length_digit('4') == 4 && keys_length_digit('8') == 2 &&
          keys_length_digit('6') == 1 && keys_length_digit('3') == 0, "digits");
    CHECK(keys_value_longer(2) == 4 && keys_value_longer(16) == 16, "longer");
    CHECK(keys_value_shorter(2) == 1 && keys_value_shorter(1) == 1, "shorter");
    CHECK(keys_value_dot(4) == 6 && keys_value_dot(6) == 4 && keys_value_dot(1) == 1, "dot");
    CHECK(keys_value_longer(6) == 12 && keys_value_shorter(6) == 3 && keys_value_shorter(3) == 3,
          "dotted values stay dotted");
}

/* ---- the melody ---------------------------------------------------------------- */

static void test_song(void)
{
    Song s;
    ReelError err;
    Tune t;
    Note g[3] = {{16, 4, 67, 100}, {20, 4, 69, 100}, {24, 8, 71, 100}};
    song_init(&s);
    CHECK(song_empty(&s) && song_end(&s) == 0, "empty");
    CHECK(song_type_note(&s, 62, 2, &err) == REEL_OK, "%s", err.msg);
    CHECK(song_type_note(&s, 66, 2, &err) == REEL_OK, "type");
    CHECK(song_type_rest(&s, 4, &err) == REEL_OK, "rest");
    CHECK(song_type_note(&s, 69, 8, &err) == REEL_OK, "type");
    CHECK(s.cur.n_seed == 3 && s.cur.cursor == 16 && s.cur.seed_end == 16, "%d notes, cursor %d",
          (int)s.cur.n_seed, (int)s.cur.cursor);
    CHECK(s.cur.seed[2].onset == 8 && s.cur.seed[2].dur == 8, "after the rest");
    CHECK(s.dirty, "dirty after typing");
    /* Undo takes back one note at a time; redo returns it. */
    CHECK(song_undo(&s) && s.cur.n_seed == 2 && s.cur.cursor == 8, "undo the last note");
    CHECK(song_undo(&s) && s.cur.n_seed == 2 && s.cur.cursor == 4, "undo the rest");
    CHECK(song_redo(&s) && song_redo(&s) && s.cur.n_seed == 3 && s.cur.cursor == 16, "redo");
    /* Typing over a note replaces it; a note sounding into the span is cut. */
    song_set_cursor(&s, 1);
    CHECK(song_type_note(&s, 64, 2, &err) == REEL_OK, "overwrite");
    CHECK(s.cur.n_seed == 3 && s.cur.seed[0].dur == 1 && s.cur.seed[1].pitch == 64,
          "D cut to a 16th, E at 1 replaced F#: %d notes", (int)s.cur.n_seed);
    /* The generated part. */
    song_set_cursor(&s, 16);
    CHECK(song_set_gen(&s, g, 3, 16, 32, &err) == REEL_OK, "set gen");
    CHECK(song_has_gen(&s) && song_end(&s) == 32, "gen end");
    CHECK(song_tune(&s, &t, &err) == REEL_OK && t.n_notes == 6 && t.n_steps == 32, "tune: %d",
          t.n_notes);
    tune_free(&t);
    CHECK(song_tune_upto(&s, 22, &t, &err) == REEL_OK && t.n_notes == 5 && t.n_steps == 22 &&
              t.notes[4].dur == 2, "upto cuts");
    tune_free(&t);
    {
        bool gen = false;
        const Note *n = song_note_at(&s, 21, -1, &gen);
        CHECK(n && n->pitch == 69 && gen, "note at 21 is the generated A4");
        n = song_note_at(&s, 10, -1, &gen);
        CHECK(n && n->pitch == 69 && !gen, "note at 10 is the seed's A4");
    }
    /* Typing inside the generated part keeps what comes before the cursor. */
    song_set_cursor(&s, 22);
    CHECK(song_type_note(&s, 74, 2, &err) == REEL_OK, "type in gen");
    CHECK(!song_has_gen(&s) && s.cur.n_seed == 6 && s.cur.seed_end == 24,
          "gen before the cursor joined the seed: %d notes, end %d", (int)s.cur.n_seed,
          (int)s.cur.seed_end);
    CHECK(s.cur.seed[4].pitch == 69 && s.cur.seed[4].dur == 2, "the A cut at the cursor");
    CHECK(song_undo(&s) && song_has_gen(&s) && s.cur.n_gen == 3, "undo brings the take back");
    /* Typing inside the seed drops the generated part. */
    song_set_cursor(&s, 4);
    CHECK(song_type_note(&s, 60, 2, &err) == REEL_OK && !song_has_gen(&s), "gen dropped");
    CHECK(song_undo(&s), "undo");
    /* keep and discard */
    song_keep(&s);
    CHECK(!song_has_gen(&s) && s.cur.n_seed == 6 && s.cur.seed_end == 32 && s.cur.cursor == 32,
          "keep");
    CHECK(song_undo(&s) && song_has_gen(&s), "undo keep");
    song_discard(&s);
    CHECK(!song_has_gen(&s) && s.cur.n_seed == 3, "discard");
    /* recording puts notes over a span */
    {
        Note r[2] = {{4, 2, 72, 100}, {6, 6, 74, 100}};
        CHECK(song_put_notes(&s, r, 2, 4, 12, &err) == REEL_OK, "put");
        CHECK(s.cur.n_seed == 4 && s.cur.cursor == 12, "put: %d notes", (int)s.cur.n_seed);
    }
    CHECK(song_delete_at_cursor(&s) == false, "nothing at 12");
    song_set_cursor(&s, 7);
    CHECK(song_delete_at_cursor(&s) && s.cur.n_seed == 3, "delete at the cursor");
    /* metre */
    s.num = 6;
    s.den = 8;
    CHECK(song_bar_steps(&s) == 12 && song_bar_ceil(&s, 13) == 24 && song_bar_floor(&s, 13) == 12,
          "6/8 bars");
    song_clear(&s);
    CHECK(song_empty(&s) && song_undo(&s) && !song_empty(&s), "clear and undo");
    /* many edits: the history is bounded */
    for (int i = 0; i < SONG_UNDO_MAX + 50; i++)
        song_type_note(&s, 60 + i % 12, 1, &err);
    CHECK(s.n_undo == SONG_UNDO_MAX, "undo levels %d", s.n_undo);
    song_free(&s);
}

/* ---- record mode --------------------------------------------------------------------- */

static void test_record(void)
{
    Recorder r;
    CHECK(rec_quantize(3.4, 0, 1) == 3 && rec_quantize(3.6, 0, 1) == 4, "16ths");
    CHECK(rec_quantize(2.9, 0, 2) == 2 && rec_quantize(3.1, 0, 2) == 4, "8ths");
    CHECK(rec_quantize(-0.4, 0, 2) == 0, "a little early lands on the start");
    CHECK(rec_quantize(17.2, 16, 4) == 16 && rec_quantize(18.1, 16, 4) == 20, "from start");
    rec_init(&r, 16, 2, 16);
    CHECK(!rec_press(&r, 14.0, 60), "a press a bar early is ignored");
    CHECK(rec_press(&r, 15.7, 60), "a little early: on the start");
    CHECK(rec_press(&r, 18.2, 62), "press");       /* C4 16..18 */
    CHECK(rec_press(&r, 19.8, 64), "press");       /* D4 18..20 */
    CHECK(rec_press(&r, 20.1, 65), "correction");  /* E4 at 20 replaced by F4 at 20 */
    rec_release(&r, 22.2);                          /* F4 20..22 */
    CHECK(rec_press(&r, 24.0, 67), "press");       /* G4 24.. */
    rec_stop(&r, 60.0);                             /* capped at max_dur 16: 24..40 */
    CHECK(r.n == 4, "4 notes, not %d", (int)r.n);
    if (r.n == 4) {
        CHECK(r.notes[0].onset == 16 && r.notes[0].dur == 2 && r.notes[0].pitch == 60, "C4");
        CHECK(r.notes[1].onset == 18 && r.notes[1].dur == 2 && r.notes[1].pitch == 62, "D4");
        CHECK(r.notes[2].onset == 20 && r.notes[2].dur == 2 && r.notes[2].pitch == 65,
              "F4 won: %d", r.notes[2].pitch);
        CHECK(r.notes[3].onset == 24 && r.notes[3].dur == 16, "G4 capped: %d",
              (int)r.notes[3].dur);
    }
    CHECK(r.end == 60, "end %d", (int)r.end);
    rec_free(&r);
    /* A held note at the stop gets at least a grid unit. */
    rec_init(&r, 0, 4, 16);
    rec_press(&r, 0.2, 70);
    rec_stop(&r, 0.9);
    CHECK(r.n == 1 && r.notes[0].dur == 4 && r.end == 4, "one unit, end %d", (int)r.end);
    rec_free(&r);
}

/* ---- charts ---------------------------------------------------------------------------- */

static void test_chart(void)
{
    ChartCanvas c;
    char g[8];
    double lo, hi;
    float y[5] = {5, 4, 3, 2, 1};
    float flat[3] = {2, 2, 2};
    char bar[128];
    chart_nice_range(0.31, 0.87, &lo, &hi);
    CHECK(lo <= 0.31 && hi >= 0.87 && lo >= 0.2 && hi <= 1.0, "nice %g %g", lo, hi);
    chart_nice_range(2, 2, &lo, &hi);
    CHECK(lo < 2 && hi > 2, "a flat series gets a range: %g %g", lo, hi);
    chart_nice_range(NAN, 1, &lo, &hi);
    CHECK(lo == 0 && hi == 1, "NaN");
    CHECK(chart_row_of(1, 1, 5, 8) == 7 && chart_row_of(5, 1, 5, 8) == 0 &&
          chart_row_of(3, 1, 5, 9) == 4, "rows");
    CHECK(chart_row_of(99, 1, 5, 8) == 0 && chart_row_of(-9, 1, 5, 8) == 7, "clamped");
    CHECK(chart_minmax(y, 5, &lo, &hi) && lo == 1 && hi == 5, "minmax");
    {
        float nanv[2] = {NAN, NAN};
        CHECK(!chart_minmax(nanv, 2, &lo, &hi), "all NaN");
    }
    /* Braille: a falling line from the top left to the bottom right. */
    REQUIRE(chart_init(&c, 5, 2, CHART_BRAILLE), "init");
    CHECK(chart_dots_w(&c) == 10 && chart_dots_h(&c) == 8, "dots");
    chart_plot(&c, y, 5, 0, 1, 5, 0);
    CHECK(chart_cell(&c, 0, 0, g) == 1 && (unsigned char)g[0] == 0xE2, "braille top left: %s", g);
    CHECK(chart_cell(&c, 4, 1, g) == 1, "braille bottom right");
    CHECK(chart_cell(&c, 4, 0, g) == 0 && !strcmp(g, " "), "empty top right");
    CHECK(chart_cell(&c, 0, 1, g) == 0, "empty bottom left");
    chart_clear(&c);
    chart_dot(&c, 0, 0, 1);
    chart_cell(&c, 0, 0, g);
    CHECK(!strcmp(g, "\u2801"), "one dot is U+2801");
    chart_dot(&c, 1, 3, 1);
    chart_cell(&c, 0, 0, g);
    CHECK(!strcmp(g, "\u2881"), "dots 1 and 8: U+2881, %s", g);
    chart_free(&c);
    /* ASCII: the same line, one dot across and two down a cell. */
    REQUIRE(chart_init(&c, 5, 2, CHART_ASCII), "ascii");
    chart_plot(&c, y, 5, 0, 1, 5, 1);
    CHECK(chart_cell(&c, 0, 0, g) == 2 && strchr("'.:", g[0]) && !g[1], "ascii glyph %s", g);
    CHECK(chart_cell(&c, 4, 1, g) == 2, "ascii bottom right");
    chart_free(&c);
    /* Blocks. */
    REQUIRE(chart_init(&c, 3, 3, CHART_BLOCK), "block");
    chart_plot(&c, flat, 3, 0, 0, 4, 0);
    for (int x = 0; x < 3; x++)
        CHECK(chart_cell(&c, x, 1, g) == 1, "flat line in the middle row (%d)", x);
    chart_free(&c);
    /* More points than dots: means per column, still across the canvas. */
    {
        float many[1000];
        for (int i = 0; i < 1000; i++)
            many[i] = (float)i;
        REQUIRE(chart_init(&c, 10, 4, CHART_BRAILLE), "many");
        chart_plot(&c, many, 1000, 0, 0, 999, 0);
        CHECK(chart_cell(&c, 0, 3, g) && chart_cell(&c, 9, 0, g), "rising across");
        chart_free(&c);
        /* x_max: a run that is 10% done fills a tenth of the width. */
        REQUIRE(chart_init(&c, 10, 4, CHART_BRAILLE), "x_max");
        chart_plot(&c, many, 100, 999, 0, 999, 0);
        CHECK(chart_cell(&c, 0, 3, g) && !chart_cell(&c, 5, 3, g) && !chart_cell(&c, 9, 0, g),
              "a tenth of the way");
        chart_free(&c);
    }
    /* Bars. */
    chart_hbar(0.5, 10, false, bar, sizeof bar);
    CHECK(!strcmp(bar, "#####     "), "ascii bar '%s'", bar);
    chart_hbar(1.0 / 16, 2, true, bar, sizeof bar);
    CHECK(!strcmp(bar, "\u258f "), "an eighth of a cell");
    chart_hbar(1.0, 3, true, bar, sizeof bar);
    CHECK(!strcmp(bar, "\u2588\u2588\u2588"), "full");
    chart_hbar(2.0, 3, false, bar, sizeof bar);
    CHECK(!strcmp(bar, "###"), "clamped");
    chart_hbar(0.5, 100, true, bar, 20);
    CHECK(strlen(bar) < 20, "bounded by the buffer");
}

/* ---- settings ------------------------------------------------------------------------- */

static void test_settings(void)
{
    Settings s, t;
    ReelError err;
    char path[600], buf[4200];
    const char *dir = test_tmpdir();
    FILE *f;
    settings_init(&s);
    snprintf(path, sizeof path, "%s/deep/er/studio.conf", dir);
    CHECK(settings_load(&s, path, &err) == REEL_OK && s.n == 0, "a missing file is fine");
    CHECK(settings_set(&s, "tempo", "96"), "set");
    CHECK(settings_set_num(&s, "temperature", 1.25), "set num");
    CHECK(settings_set(&s, "model", "/a b/c.reel"), "spaces");
    CHECK(settings_set(&s, "tempo", "100"), "replace");
    CHECK(settings_set(&s, "odd", "two\nlines"), "line break");
    CHECK(settings_save(&s, path, &err) == REEL_OK, "save: %s", err.msg);
    settings_init(&t);
    CHECK(settings_load(&t, path, &err) == REEL_OK, "load: %s", err.msg);
    CHECK(t.n == 4, "4 items, not %d", t.n);
    CHECK(settings_num(&t, "tempo", 20, 400, 120) == 100, "tempo");
    CHECK(settings_num(&t, "temperature", 0, 5, 1) == 1.25, "temperature");
    CHECK(settings_num(&t, "tempo", 200, 400, 120) == 120, "out of range: default");
    CHECK(settings_num(&t, "model", 0, 1, 7) == 7, "not a number: default");
    CHECK(!strcmp(settings_get(&t, "model"), "/a b/c.reel"), "string");
    CHECK(!strcmp(settings_get(&t, "odd"), "two lines"), "one line");
    CHECK(settings_get(&t, "nope") == NULL, "absent");
    settings_free(&t);
    /* comments, blanks, unknown keys kept */
    f = fopen(path, "w");
    fprintf(f, "# comment\n\n  future_key =  x y  \ntempo=90\n");
    fclose(f);
    settings_init(&t);
    CHECK(settings_load(&t, path, &err) == REEL_OK && !strcmp(settings_get(&t, "future_key"),
                                                             "x y"), "trimmed");
    settings_free(&t);
    f = fopen(path, "w");
    fprintf(f, "no equals sign\n");
    fclose(f);
    settings_init(&t);
    CHECK(settings_load(&t, path, &err) == REEL_EFORMAT && strstr(err.msg, ":1:"), "bad line: %s",
          err.msg);
    settings_free(&t);
    settings_free(&s);
    /* The path: XDG_CONFIG_HOME, else ~/.config. */
    setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
    CHECK(!strcmp(settings_path(buf, sizeof buf), "/x/cfg/reel/studio.conf"), "%s", buf);
    setenv("XDG_CONFIG_HOME", "relative", 1);
    setenv("HOME", "/home/u", 1);
    CHECK(!strcmp(settings_path(buf, sizeof buf), "/home/u/.config/reel/studio.conf"), "%s", buf);
}

/* ---- prompt ------------------------------------------------------------------------------ */

static void test_prompt(void)
{
    Prompt p;
    PromptHistory h;
    char path[700], text[PROMPT_MAX], hint[200];
    const char *dir = test_tmpdir();
    FILE *f;
    memset(&h, 0, sizeof h);
    prompt_begin(&p, "Save as: ", "melody.mid", true, 1);
    CHECK(p.pos == 10, "cursor at the end");
    prompt_key(&p, KEY_LEFT, &h);
    prompt_key(&p, KEY_LEFT, &h);
    prompt_key(&p, KEY_LEFT, &h);
    prompt_key(&p, KEY_BACKSPACE, &h);
    prompt_key(&p, KEY_BACKSPACE, &h);
    prompt_key(&p, KEY_BACKSPACE, &h);
    prompt_key(&p, KEY_BACKSPACE, &h);
    prompt_key(&p, 'a', &h);
    prompt_key(&p, 'b', &h);
    prompt_key(&p, 'c', &h);
    CHECK(!strcmp(p.text, "melabcmid"), "edit: %s", p.text);
    CHECK(prompt_key(&p, '\n', &h) == PROMPT_ACCEPT && h.n == 1, "accept");
    prompt_begin(&p, "x", "", false, 1);
    CHECK(prompt_key(&p, KEY_UP, &h) == PROMPT_EDITING && !strcmp(p.text, h.items[0]), "history");
    CHECK(prompt_key(&p, 27, &h) == PROMPT_CANCEL, "Esc cancels");
    /* completion */
    snprintf(path, sizeof path, "%s/tune-one.mid", dir);
    f = fopen(path, "w");
    fclose(f);
    snprintf(path, sizeof path, "%s/tune-two.mid", dir);
    f = fopen(path, "w");
    fclose(f);
    snprintf(path, sizeof path, "%s/folder", dir);
    mkdir(path, 0755);
    snprintf(text, sizeof text, "%s/tu", dir);
    CHECK(prompt_complete_path(text, sizeof text, hint, sizeof hint) == 2, "two matches");
    snprintf(path, sizeof path, "%s/tune-", dir);
    CHECK(!strcmp(text, path), "common prefix: %s", text);
    CHECK(strstr(hint, "tune-one.mid") && strstr(hint, "tune-two.mid"), "hint: %s", hint);
    snprintf(text, sizeof text, "%s/fo", dir);
    CHECK(prompt_complete_path(text, sizeof text, hint, sizeof hint) == 1, "folder");
    snprintf(path, sizeof path, "%s/folder/", dir);
    CHECK(!strcmp(text, path), "a folder gets its slash: %s", text);
    snprintf(text, sizeof text, "%s/zz", dir);
    CHECK(prompt_complete_path(text, sizeof text, hint, sizeof hint) == 0, "none");
}

/* ---- GM names -------------------------------------------------------------------------- */

static void test_gm(void)
{
    char b[64];
    CHECK(studio_program_parse("violin") == 40, "violin");
    CHECK(studio_program_parse("41") == 40, "41 is the violin (1-based)");
    CHECK(studio_program_parse("Acoustic Grand Piano") == 0, "full name");
    CHECK(studio_program_parse("tin whistle") == -1, "unknown");
    CHECK(studio_program_parse("0") == -1 && studio_program_parse("129") == -1, "range");
    CHECK(studio_program_parse("flute") == 73, "flute");
    CHECK(studio_program_parse("ocar") == 79, "a unique prefix");
    CHECK(!strcmp(studio_program_name(40, b, sizeof b), "Violin"), "%s", b);
    for (int i = 0; i < 128; i++) {
        if (i == 110)
            continue; /* "Fiddle" (GM 111) is what fiddlers call the violin: 41 */
        studio_program_name(i, b, sizeof b);
        CHECK(b[0] && strcmp(b, "?") && studio_program_parse(b) == i, "GM %d: %s", i + 1, b);
    }
}

/* The training form's encodings: every core name, and melody-lookback. */
static void test_train_encodings(void)
{
    TrainerConfig c;
    trainer_config_defaults(&c);
    CHECK(!c.lookback && !strcmp(trainer_enc_name(&c), "melody"), "default: %s",
          trainer_enc_name(&c));
    CHECK(trainer_enc_parse(&c, "melody-lookback") && c.enc == ENC_MELODY && c.lookback,
          "melody-lookback parses");
    CHECK(!strcmp(trainer_enc_name(&c), "melody-lookback"), "and names itself: %s",
          trainer_enc_name(&c));
    CHECK(!trainer_enc_parse(&c, "lookback") && c.lookback, "an unknown name changes nothing");
    for (int k = 0; k < ENC_COUNT; k++) {
        CHECK(trainer_enc_parse(&c, enc_name((EncKind)k)) && c.enc == (EncKind)k && !c.lookback,
              "%s parses (and clears lookback)", enc_name((EncKind)k));
        CHECK(!strcmp(trainer_enc_name(&c), enc_name((EncKind)k)), "%s names itself",
              enc_name((EncKind)k));
        CHECK(strstr(TRAINER_ENCODINGS, enc_name((EncKind)k)) != NULL,
              "the form's list names %s", enc_name((EncKind)k));
    }
}

/* ---- the view's state ---------------------------------------------------------- */

static void test_view(void)
{
    View v;
    int32_t s0, s1;
    bool first;
    memset(&v, 0, sizeof v);
    CHECK(view_set_size(&v, 80, 24) && v.dirty == DIRTY_ALL && !v.too_small, "80x24 is enough");
    v.dirty = 0;
    CHECK(!view_set_size(&v, 80, 24) && v.dirty == 0, "the same size changes nothing");
    CHECK(view_set_size(&v, 79, 30) && v.too_small, "79 columns are too few");
    view_set_size(&v, 100, 30);
    CHECK(view_panel_h(&v) == VIEW_PANEL_H, "panel %d", view_panel_h(&v));
    CHECK(view_roll_rows(&v, false) == 30 - 2 - VIEW_PANEL_H - 2, "rows %d", view_roll_rows(&v, false));
    CHECK(view_roll_rows(&v, true) == 13, "a 13-row roll");
    CHECK(view_roll_steps(&v) == 100 - VIEW_RULER_W, "steps %d", (int)view_roll_steps(&v));
    v.zoom = 1;
    CHECK(view_roll_steps(&v) == (100 - VIEW_RULER_W) / 2, "zoom 1: two columns a step");
    view_col_steps(&v, 3, &s0, &s1, &first);
    CHECK(s0 == 1 && s1 == 2 && !first, "zoom 1: column 3 is the second half of step 1");
    v.zoom = 2;
    view_col_steps(&v, 3, &s0, &s1, &first);
    CHECK(s0 == 6 && s1 == 8 && first, "zoom 2: column 3 holds steps 6 and 7");
    v.zoom = 0;
    v.view_start = 0;
    view_follow(&v, 10);
    CHECK(v.view_start == 0, "a step on the roll does not scroll it");
    view_follow(&v, 500);
    CHECK(v.view_start == 500 - view_roll_steps(&v) / 4 && (v.dirty & DIRTY_ROLL),
          "a step off the roll scrolls it a quarter in: %d", (int)v.view_start);
    v.dirty = 0;
    view_status(&v, 2, "a long message %d", 42);
    CHECK(!strcmp(v.status, "a long message 42") && v.status_kind == 2 && (v.dirty & DIRTY_STATUS),
          "the status line");
    CHECK(!view_status_expire(&v, v.status_until - 1) && v.status[0], "it stays a while");
    CHECK(view_status_expire(&v, v.status_until + 1) && !v.status[0], "then it goes");
    view_ask(&v, PR_COMMAND, ":", "tempo", false);
    CHECK(v.prompting && !strcmp(v.prompt.text, "tempo") && v.prompt.purpose == PR_COMMAND, "a prompt");
}

int main(void)
{
    test_train_encodings();
    test_piano();
    test_actions();
    test_help_covers();
    test_values();
    test_song();
    test_record();
    test_chart();
    test_settings();
    test_prompt();
    test_gm();
    test_view();
    TEST_END();
}
