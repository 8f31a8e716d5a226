/* test_abc.c — the ABC clean-ups on small strings, then real conversions of
 * Ryan's Mammoth Collection compared with the corpus's own MIDI files.
 *
 * The comparison goes through midicsv (the note-on/off lines: time, channel,
 * note, velocity), not through midi.c, so this test stands on its own.
 * ABC_TEST_ALL=1 also converts all 1059 files and prints how many match.
 */
#include "abc.h"
#include "clock.h"
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* abc_clean(in) must give want. */
#define CLEAN_IS(in, want)                                                      \
    do {                                                                        \
        char *got_ = abc_clean((in), strlen(in));                               \
        REQUIRE(got_ != NULL, "abc_clean returned NULL");                       \
        CHECK(strcmp(got_, (want)) == 0, "\n  in:   [%s]\n  got:  [%s]\n  want: [%s]", \
              (in), got_, (want));                                              \
        free(got_);                                                             \
    } while (0)

static char tmpdir_path[512];

/* Write text to tmpdir/name; returns the path in a static buffer. */
static const char *write_tmp(const char *name, const void *data, size_t len)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmpdir_path, name);
    test_write(path, data, len);
    return path;
}

/* The note events of a MIDI file as midicsv prints them (one
 * "track, time, Note_on_c, channel, note, velocity" line each), joined by
 * '\n'; caller frees.  *count gets the number of note-ons. */
static char *midi_notes_of_file(const char *midpath, int *count)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "midicsv '%s' 2>/dev/null", midpath);
    FILE *p = popen(cmd, "r");
    REQUIRE(p != NULL, "popen midicsv");
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    REQUIRE(out != NULL, "out of memory");
    out[0] = '\0';
    char line[512];
    int ons = 0;
    while (fgets(line, sizeof line, p)) {
        if (!strstr(line, "Note_on_c") && !strstr(line, "Note_off_c"))
            continue;
        if (strstr(line, "Note_on_c"))
            ons++;
        size_t k = strlen(line);
        if (n + k + 1 > cap) {
            cap = 2 * (n + k + 1);
            out = realloc(out, cap);
            REQUIRE(out != NULL, "out of memory");
        }
        memcpy(out + n, line, k + 1);
        n += k;
    }
    int rc = pclose(p);
    REQUIRE(rc == 0, "midicsv %s failed (is midicsv installed? `make deps`)", midpath);
    if (count)
        *count = ons;
    return out;
}

/* The note events of MIDI bytes (through a temporary file). */
static char *midi_notes_of_bytes(const uint8_t *midi, size_t len, int *count)
{
    const char *path = write_tmp("out.mid", midi, len);
    return midi_notes_of_file(path, count);
}

/* Convert corpus stem and compare with midi/stem.mid.  *bytes_same reports
 * a byte-for-byte match; returns whether the notes are identical. */
static int compare_stem(const char *abcdir, const char *mididir, const char *stem,
                        int *bytes_same, int verbose)
{
    char apath[2048], mpath[2048];
    snprintf(apath, sizeof apath, "%s/%s.abc", abcdir, stem);
    snprintf(mpath, sizeof mpath, "%s/%s.mid", mididir, stem);
    AbcFile f;
    ReelError err;
    *bytes_same = 0;
    if (abc_convert_file(apath, &f, &err) != REEL_OK) {
        if (verbose)
            fprintf(stderr, "  %s: %s\n", stem, err.msg);
        return 0;
    }
    int same = 0;
    if (f.n == 1 && f.tunes[0].midi) {
        size_t rlen = 0;
        unsigned char *ref = test_read(mpath, &rlen);
        *bytes_same = rlen == f.tunes[0].midi_len && memcmp(ref, f.tunes[0].midi, rlen) == 0;
        if (*bytes_same) {
            same = 1;
        } else {
            int n1 = 0, n2 = 0;
            char *a = midi_notes_of_bytes(f.tunes[0].midi, f.tunes[0].midi_len, &n1);
            char *b = midi_notes_of_file(mpath, &n2);
            same = strcmp(a, b) == 0;
            if (verbose && !same)
                fprintf(stderr, "  %s: notes differ (%d note-ons here, %d in corpus)\n", stem,
                        n1, n2);
            free(a);
            free(b);
        }
        free(ref);
    } else if (verbose) {
        fprintf(stderr, "  %s: %d tunes, err: %s\n", stem, f.n, f.n ? f.tunes[0].err.msg : "");
    }
    abc_file_free(&f);
    return same;
}

/* ------------------------------------------------------------------------ */
/* abc_clean on small strings                                                */
/* ------------------------------------------------------------------------ */

static void test_clean_qp(void)
{
    /* Soft line break joins, =3D is '=', =20 a space, =0D nothing. */
    CLEAN_IS("X:1\nT:Mail\nZ:x=0D\nK:D\nABc =\ndef|=20\nf=3DF|\n",
             "X:1\nT:Mail\nZ:x\nK:D\nABc def| \nf=F|\n");
    /* One sign is enough: here only "=3D". */
    CLEAN_IS("X:1\nK:C\n=3DF2 =3Dc|\n", "X:1\nK:C\n=F2 =c|\n");
    /* No sign: naturals (also "=A2", "=D" after a '3') are music. */
    CLEAN_IS("X:1\nK:C\n=F2 =c =A2 (3=D=E=F|=B,2\n", "X:1\nK:C\n=F2 =c =A2 (3=D=E=F|=B,2\n");
    /* A tempo of 20 at a line end is not a sign. */
    CLEAN_IS("X:1\nQ:1/4=20\nK:C\n=F=G|\n", "X:1\nQ:1/4=20\nK:C\n=F=G|\n");
    /* CRLF soft line break. */
    CLEAN_IS("X:1\r\nK:C\r\nAB =\r\ncd|\r\n", "X:1\r\nK:C\r\nAB cd|\r\n");
}

static void test_clean_rhythm(void)
{
    CLEAN_IS("X:1\nT:Hp\nR:hornpipe\nM:2/4\nK:D\nabc|\n",
             "X:1\nT:Hp\n%R:hornpipe\nM:2/4\nK:D\nabc|\n");
    CLEAN_IS("X:1\nR: reel\nK:D\n", "X:1\n%R: reel\nK:D\n");
    /* Staccato dots go, also in broken rhythms and chords. */
    CLEAN_IS("X:1\nK:D\n.A.B c>.d [.A.c]|\n", "X:1\nK:D\nAB c>d [Ac]|\n");
}

static void test_clean_ornaments(void)
{
    CLEAN_IS("X:1\nK:G\n~A TB !trill!c !roll!d +trill+e|\n", "X:1\nK:G\nA B c d e|\n");
    /* Other decoration letters H-W h-w: fermata, segno, bowings, ... */
    CLEAN_IS("X:1\nK:G\nHA uB vc kd S| OP QRU IJLMNVW hijlmnopqrstw\n",
             "X:1\nK:G\nA B c d |    \n");
    /* Notes, rests, spacers and octave marks stay. */
    CLEAN_IS("X:1\nK:G\nA,B,C D E F G a b c' d e f g z x Z y|\n",
             "X:1\nK:G\nA,B,C D E F G a b c' d e f g z x Z y|\n");
    /* Invisible bar line. */
    CLEAN_IS("X:1\nK:G\nabc H[|] def[|]|]\n", "X:1\nK:G\nabc  def|]\n");
}

static void test_clean_keeps(void)
{
    /* Text in quotes and other !...! decorations are kept as written. */
    CLEAN_IS("X:1\nK:G\n\"^S.T.u\"A \"D.C. al Fine\"B !fermata!c !4!d !D.C.!e|\n",
             "X:1\nK:G\n\"^S.T.u\"A \"D.C. al Fine\"B !fermata!c !4!d !D.C.!e|\n");
    /* A lone '!' or '+' is an ordinary character (its neighbours are not). */
    CLEAN_IS("X:1\nK:G\nbggb + affa ! uA\n", "X:1\nK:G\nbggb + affa ! A\n");
    /* Header lines, even with '.', '~', T, H-W. */
    CLEAN_IS("X:1\nT:Mr. Tom's ~Hornpipe\nC:Trad.\nN:Use .staccato\nO:Wales\nM:C|\nL:1/8\nK:Dmix\nA|\n",
             "X:1\nT:Mr. Tom's ~Hornpipe\nC:Trad.\nN:Use .staccato\nO:Wales\nM:C|\nL:1/8\nK:Dmix\nA|\n");
    /* Inline fields, endings, chords. */
    CLEAN_IS("X:1\nK:G\n[K:D] ab [M:6/8] [L:1/16] [P:B] cd |1 e :|[2 f [Ace] [Q:1/4=120]|\n",
             "X:1\nK:G\n[K:D] ab [M:6/8] [L:1/16] [P:B] cd |1 e :|[2 f [Ace] [Q:1/4=120]|\n");
    /* Field lines in the body, lyrics, comments. */
    CLEAN_IS("X:1\nK:G\nAB|\nK:Bb\nM:6/8\nL:1/16\nP:Trio\nw:hal-le-lu-jah.\nW:Verse. Two\n%%MIDI program 1\n% Tune. Up\ncd % trailing. Hu\n",
             "X:1\nK:G\nAB|\nK:Bb\nM:6/8\nL:1/16\nP:Trio\nw:hal-le-lu-jah.\nW:Verse. Two\n%%MIDI program 1\n% Tune. Up\ncd % trailing. Hu\n");
    /* A body field R: is commented too. */
    CLEAN_IS("X:1\nK:G\nAB|\nR:hornpipe\ncd|\n", "X:1\nK:G\nAB|\n%R:hornpipe\ncd|\n");
    /* After the blank line that ends the tune: free text, untouched. */
    CLEAN_IS("X:1\nK:D\n.A\n\nTo be. Played\n", "X:1\nK:D\nA\n\nTo be. Played\n");
    /* A file header before X: is not music, even with a K: in it. */
    CLEAN_IS("%abc\nK:G\nT.x\nX:2\nK:D\nT.A|\n", "%abc\nK:G\nT.x\nX:2\nK:D\nA|\n");
    /* Without X: the body starts at K:. */
    CLEAN_IS("K:G\nTA~B|\n", "K:G\nAB|\n");
    /* Continuations. */
    CLEAN_IS("X:1\nK:G\nuA2 \\\n| .A^GAB |\n", "X:1\nK:G\nA2 \\\n| A^GAB |\n");
    /* Degenerate input. */
    CLEAN_IS("", "");
    CLEAN_IS("X:1\nK:G\nA \"unclosed .T", "X:1\nK:G\nA \"unclosed .T");
    CLEAN_IS("X:1\nK:G\n[K:D", "X:1\nK:G\n[K:D");
    CLEAN_IS("X:1\nK:G\n[|", "X:1\nK:G\n[|");
    CLEAN_IS("=", "");   /* a '=' ending a line is a soft line break */
    char *z = abc_clean(NULL, 0);
    CHECK(z && *z == '\0', "abc_clean(NULL, 0) gives an empty string");
    free(z);
}

/* ------------------------------------------------------------------------ */
/* Conversions                                                               */
/* ------------------------------------------------------------------------ */

static void test_corpus_files(void)
{
    const char *abcdir_s = test_corpus("ryans-mammoth/abc");
    char abcdir[2048];
    snprintf(abcdir, sizeof abcdir, "%s", abcdir_s);
    const char *mididir = test_corpus("ryans-mammoth/midi");
    static const char *const stems[] = {
        "AcrobatsHornpipe",           /* R:hornpipe, L:1/16 */
        "TidalWaveJig",               /* quoted-printable, soft breaks, K: changes */
        "KissMeJoeReel",              /* quoted-printable, staccato dots */
        "McDonaldsReel",              /* quoted-printable header lines */
        "CampMeetingJig",             /* ~ rolls, u k S, blank lines at the end */
        "AbithaMugginsFavoriteReel",  /* [|] */
        "ForestFlowerHighlandFling",  /* !sf!, [|]|], chords */
        "CarmichaelsStrathspey",      /* !4! fingerings */
        "MaidMarianHornpipe",         /* a lone '+' */
        "StatueClog",                 /* key changes A->E->A */
        "LochNaGarStrathspey",        /* !4!u */
    };
    int n = (int)(sizeof stems / sizeof stems[0]);
    for (int i = 0; i < n; i++) {
        int bytes = 0;
        int same = compare_stem(abcdir, mididir, stems[i], &bytes, 1);
        CHECK(same, "%s: notes differ from the corpus MIDI", stems[i]);
        CHECK(bytes, "%s: MIDI bytes differ from the corpus MIDI", stems[i]);
    }

    /* Title, X: number and warnings of one of them. */
    char path[4096];
    snprintf(path, sizeof path, "%s/TidalWaveJig.abc", abcdir);
    AbcFile f;
    ReelError err;
    ReelStatus st = abc_convert_file(path, &f, &err);
    REQUIRE(st == REEL_OK, "%s", err.msg);
    REQUIRE(f.n == 1, "one tune, got %d", f.n);
    CHECK(f.tunes[0].x == 1, "x %d", f.tunes[0].x);
    CHECK(f.tunes[0].title && strcmp(f.tunes[0].title, "Tidal Wave -- Jig") == 0, "title %s",
          f.tunes[0].title ? f.tunes[0].title : "(null)");
    CHECK(f.tunes[0].warnings && strstr(f.tunes[0].warnings, "broken rhythm"),
          "abc2midi's errors are kept: %s", f.tunes[0].warnings ? f.tunes[0].warnings : "(null)");
    CHECK(f.tunes[0].err.status == REEL_OK, "no per-tune error: %s", f.tunes[0].err.msg);
    abc_file_free(&f);
    CHECK(f.tunes == NULL && f.n == 0, "abc_file_free empties");
    abc_file_free(&f);
    abc_file_free(NULL);
}

static const char multi_abc[] =
    "%abc-2.1\n"
    "% a file header shared by both tunes\n"
    "L:1/8\n"
    "\n"
    "X:1\n"
    "T:First Tune\n"
    "M:4/4\n"
    "K:G\n"
    "GABc dedB|\n"
    "\n"
    "X: 2\n"
    "T:  Second Tune  \n"
    "R:hornpipe\n"
    "K:D\n"
    ".d.e ~f2|\n";

static void test_multi(void)
{
    const char *path = write_tmp("multi.abc", multi_abc, sizeof multi_abc - 1);
    AbcFile f;
    ReelError err;
    ReelStatus st = abc_convert_file(path, &f, &err);
    REQUIRE(st == REEL_OK, "%s", err.msg);
    REQUIRE(f.n == 2, "2 tunes, got %d", f.n);
    CHECK(f.tunes[0].x == 1 && f.tunes[1].x == 2, "x %d %d", f.tunes[0].x, f.tunes[1].x);
    CHECK(f.tunes[0].title && strcmp(f.tunes[0].title, "First Tune") == 0, "title 1 %s",
          f.tunes[0].title ? f.tunes[0].title : "(null)");
    CHECK(f.tunes[1].title && strcmp(f.tunes[1].title, "Second Tune") == 0, "title 2 %s",
          f.tunes[1].title ? f.tunes[1].title : "(null)");
    REQUIRE(f.tunes[0].midi && f.tunes[1].midi, "both converted: %s / %s", f.tunes[0].err.msg,
            f.tunes[1].err.msg);

    int ons = 0;
    char *notes = midi_notes_of_bytes(f.tunes[0].midi, f.tunes[0].midi_len, &ons);
    CHECK(ons == 8, "tune 1 has 8 notes, got %d", ons);
    CHECK(strstr(notes, "Note_on_c, 0, 67,") == strstr(notes, "Note_on_c"), "first note G4");
    free(notes);
    /* L:1/8 from the file header (abc2midi drops it when the tune has an M:
     * line, so tune 2 has none): d e f2 (F sharp in D), f2 a quarter note. */
    notes = midi_notes_of_bytes(f.tunes[1].midi, f.tunes[1].midi_len, &ons);
    CHECK(ons == 3, "tune 2 has 3 notes, got %d", ons);
    CHECK(strstr(notes, "Note_on_c, 0, 74,") && strstr(notes, "Note_on_c, 0, 76,") &&
              strstr(notes, "Note_on_c, 0, 78,"),
          "tune 2 notes d e f#: %s", notes);
    CHECK(strstr(notes, "1, 481, Note_on_c, 0, 78") && strstr(notes, "1, 960, Note_off_c, 0, 78"),
          "f2 lasts a quarter: %s", notes);
    free(notes);
    abc_file_free(&f);
}

static void test_bad_files(void)
{
    AbcFile f;
    ReelError err;
    char path[1024];

    snprintf(path, sizeof path, "%s/no-such-file.abc", tmpdir_path);
    CHECK(abc_convert_file(path, &f, &err) == REEL_EIO, "missing file");
    CHECK(strstr(err.msg, path) != NULL, "message names the file: %s", err.msg);
    CHECK(f.tunes == NULL && f.n == 0, "nothing to free");

    const char *p = write_tmp("empty.abc", "", 0);
    CHECK(abc_convert_file(p, &f, &err) == REEL_EEMPTY, "empty file: %s", err.msg);
    CHECK(strstr(err.msg, "empty.abc") != NULL, "message names the file: %s", err.msg);

    static const char notabc[] = "T:No Tune Here\nK:G\nGABc|\n";
    p = write_tmp("notabc.abc", notabc, sizeof notabc - 1);
    CHECK(abc_convert_file(p, &f, &err) == REEL_EFORMAT, "no X: line: %s", err.msg);
    CHECK(strstr(err.msg, "notabc.abc") && strstr(err.msg, "X:"), "message: %s", err.msg);

    static const unsigned char bin[] = { 'M', 'T', 'h', 'd', 0, 0, 0, 6, 'X', ':', '1', '\n' };
    p = write_tmp("binary.abc", bin, sizeof bin);
    CHECK(abc_convert_file(p, &f, &err) == REEL_EFORMAT, "binary: %s", err.msg);

    CHECK(abc_convert_file(tmpdir_path, &f, &err) == REEL_EIO, "a folder: %s", err.msg);
    CHECK(abc_convert_file(NULL, &f, &err) == REEL_EARG, "NULL path");
    CHECK(abc_convert_file(path, NULL, &err) == REEL_EARG, "NULL out");

    p = write_tmp("unreadable.abc", "X:1\nK:C\nC|\n", 11);
    if (chmod(p, 0) == 0 && access(p, R_OK) != 0) {   /* root can read anything */
        CHECK(abc_convert_file(p, &f, &err) == REEL_EIO, "unreadable: %s", err.msg);
        CHECK(strstr(err.msg, "unreadable.abc") != NULL, "message names the file: %s", err.msg);
    }
}

/* Small files that would ask for unbounded work are refused at once
 * (issue 14 item 4): 100,000 tiny tunes (100,000 abc2midi runs, hours),
 * and a big header copied into each of 200 tunes. */
static void test_limits(void)
{
    AbcFile f;
    ReelError err;
    size_t cap = 100000 * 16 + 1, n = 0;
    char *b = malloc(cap > (200u << 10) + 200 * 16 ? cap : (200u << 10) + 200 * 16);
    const char *p;
    double t0;
    REQUIRE(b != NULL, "memory");
    for (int i = 1; i <= 100000; i++)
        n += (size_t)sprintf(b + n, "X:%d\nK:C\nC|\n\n", i % 1000);
    p = write_tmp("many.abc", b, n);
    t0 = (double)clock() / CLOCKS_PER_SEC;
    CHECK(abc_convert_file(p, &f, &err) == REEL_EUNSUPPORTED && strstr(err.msg, "many.abc") &&
              strstr(err.msg, "100000 tunes") && strstr(err.msg, "at most 2000"),
          "100,000 tunes in a file: %s", err.msg);
    CHECK((double)clock() / CLOCKS_PER_SEC - t0 < 2.0, "refused without converting them");
    n = 0;
    for (; n < (200u << 10); n++)
        b[n] = n % 64 == 63 ? '\n' : '%';
    for (int i = 1; i <= 200; i++)
        n += (size_t)sprintf(b + n, "X:%d\nK:C\nC|\n\n", i);
    p = write_tmp("header.abc", b, n);
    CHECK(abc_convert_file(p, &f, &err) == REEL_EUNSUPPORTED && strstr(err.msg, "header.abc") &&
              strstr(err.msg, "file header of"),
          "a 200 KB header repeated into 200 tunes: %s", err.msg);
    free(b);
}

static void test_garbage(void)
{
    static const char garbage[] =
        "X:1\nT:Garbage\nK:C\n[[[[ ]]] (((( {{{ }}} ||:: :|:| 9/8/7 ^^^ ___ ,,,, ''' >>> <<< &&&\n"
        "X:2\nT:No Key\nM:2/4\n"
        "X:3\nT:Chords\nK:C\n[[[A [B [c ]]]] (3(3(3 A>>>>>>>B 0000 ////\n"
        "X:4\nT:Fine\nK:C\nCDEF|\n";
    const char *p = write_tmp("garbage.abc", garbage, sizeof garbage - 1);
    AbcFile f;
    ReelError err;
    ReelStatus st = abc_convert_file(p, &f, &err);
    REQUIRE(st == REEL_OK, "%s", err.msg);
    REQUIRE(f.n == 4, "4 tunes, got %d", f.n);
    for (int i = 0; i < f.n; i++) {
        const AbcTune *t = &f.tunes[i];
        CHECK((t->midi != NULL) != (t->err.status != REEL_OK), "tune %d: midi or err", i + 1);
        if (!t->midi) {
            CHECK(strstr(t->err.msg, "garbage.abc") && strstr(t->err.msg, "tune"),
                  "per-tune error names file and tune: %s", t->err.msg);
        }
    }
    CHECK(f.tunes[3].midi != NULL, "a good tune after bad ones converts: %s", f.tunes[3].err.msg);
    CHECK(f.tunes[0].midi == NULL || f.tunes[0].warnings != NULL,
          "garbage converts only with warnings");
    abc_file_free(&f);
}

/* Write an executable shell script. */
static void write_script(const char *path, const char *text)
{
    FILE *s = fopen(path, "w");
    REQUIRE(s != NULL, "cannot write %s", path);
    int ok = fputs(text, s) >= 0;
    ok = (fclose(s) == 0) && ok;
    ok = ok && chmod(path, 0700) == 0;
    REQUIRE(ok, "cannot write %s", path);
}

/* A fake abc2midi on PATH: one that is missing, one that fails, one that
 * hangs (the time limit must stop it). */
static void test_tool(void)
{
    ReelError err;
    CHECK(abc_tool_check(&err) == REEL_OK, "abc2midi installed: %s", err.msg);

    const char *old = getenv("PATH");
    char *saved = strdup(old ? old : "");
    REQUIRE(saved != NULL, "out of memory");
    char bindir[1024];
    snprintf(bindir, sizeof bindir, "%s/bin", tmpdir_path);
    int rc = mkdir(bindir, 0700);
    REQUIRE(rc == 0, "mkdir %s", bindir);
    const char *abcpath = write_tmp("one.abc", "X:1\nT:One\nK:C\nCDEF|\n", 20);
    char abcfile[1024];
    snprintf(abcfile, sizeof abcfile, "%s", abcpath);
    AbcFile f;

    setenv("PATH", bindir, 1);
    CHECK(abc_tool_check(&err) == REEL_ETOOL, "not on PATH");
    CHECK(strstr(err.msg, "make deps") && strstr(err.msg, "abcmidi"), "install hint: %s", err.msg);
    CHECK(abc_convert_file(abcfile, &f, &err) == REEL_OK, "%s", err.msg);
    if (f.n == 1) {
        CHECK(f.tunes[0].midi == NULL && f.tunes[0].err.status == REEL_ETOOL, "tool missing");
        CHECK(strstr(f.tunes[0].err.msg, "make deps") != NULL, "hint: %s", f.tunes[0].err.msg);
    }
    abc_file_free(&f);

    static const char failing[] = "#!/bin/sh\necho 'Error in line-char 4-0 : fake failure'\nexit 0\n";
    char script[1200];
    snprintf(script, sizeof script, "%s/abc2midi", bindir);
    write_script(script, failing);
    CHECK(abc_convert_file(abcfile, &f, &err) == REEL_OK, "%s", err.msg);
    if (f.n == 1) {
        CHECK(f.tunes[0].midi == NULL && f.tunes[0].err.status == REEL_ETOOL, "no output file");
        CHECK(strstr(f.tunes[0].err.msg, "one.abc") && strstr(f.tunes[0].err.msg, "tune 1") &&
                  strstr(f.tunes[0].err.msg, "One") && strstr(f.tunes[0].err.msg, "fake failure"),
              "message names file, tune, title and abc2midi's error: %s", f.tunes[0].err.msg);
    }
    abc_file_free(&f);

    static const char hanging[] = "#!/bin/sh\necho working\nexec sleep 60\n";
    write_script(script, hanging);
    char path2[2200];
    snprintf(path2, sizeof path2, "%s:%s", bindir, saved);   /* sleep must be found */
    setenv("PATH", path2, 1);
    time_t t0 = time(NULL);
    CHECK(abc_convert_file(abcfile, &f, &err) == REEL_OK, "%s", err.msg);
    time_t took = time(NULL) - t0;
    CHECK(took < 30, "the time limit stopped a hanging abc2midi (%ld s)", (long)took);
    if (f.n == 1)
        CHECK(f.tunes[0].midi == NULL && strstr(f.tunes[0].err.msg, "longer than"),
              "timeout error: %s", f.tunes[0].err.msg);
    abc_file_free(&f);

    setenv("PATH", saved, 1);
    free(saved);
    unlink(script);
    rmdir(bindir);
}

/* ------------------------------------------------------------------------ */
/* ABC_TEST_ALL=1: the whole collection                                      */
/* ------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_all(void)
{
    const char *abcdir_s = test_corpus("ryans-mammoth/abc");
    char abcdir[4096];
    snprintf(abcdir, sizeof abcdir, "%s", abcdir_s);
    const char *mididir = test_corpus("ryans-mammoth/midi");
    DIR *d = opendir(abcdir);
    REQUIRE(d != NULL, "open %s", abcdir);
    char **stems = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t k = strlen(e->d_name);
        if (k < 5 || strcmp(e->d_name + k - 4, ".abc") != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            stems = realloc(stems, (size_t)cap * sizeof *stems);
            REQUIRE(stems != NULL, "out of memory");
        }
        stems[n] = strndup(e->d_name, k - 4);
        REQUIRE(stems[n] != NULL, "out of memory");
        n++;
    }
    closedir(d);
    qsort(stems, (size_t)n, sizeof *stems, cmp_str);

    double t0 = now_sec();
    int bytes_same = 0, notes_same = 0;
    for (int i = 0; i < n; i++) {
        int b = 0;
        notes_same += compare_stem(abcdir, mididir, stems[i], &b, 1);
        bytes_same += b;
        if (!b)
            fprintf(stderr, "  %s: bytes differ\n", stems[i]);
        free(stems[i]);
    }
    free(stems);
    double secs = now_sec() - t0;
    fprintf(stderr, "ABC_TEST_ALL: %d files: %d byte-for-byte identical, %d with identical notes, %.1f s\n",
            n, bytes_same, notes_same, secs);
    CHECK(notes_same == n, "%d of %d files differ in notes", n - notes_same, n);
}

int main(void)
{
    snprintf(tmpdir_path, sizeof tmpdir_path, "%s", test_tmpdir());

    test_clean_qp();
    test_clean_rhythm();
    test_clean_ornaments();
    test_clean_keeps();
    test_corpus_files();
    test_multi();
    test_bad_files();
    test_limits();
    test_garbage();
    test_tool();
    const char *all = getenv("ABC_TEST_ALL");
    if (all && strcmp(all, "1") == 0)
        test_all();
    TEST_END();
}
