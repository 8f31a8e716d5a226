/* fuzz.h — one entry point per parser of outside input, shared by the
 * libFuzzer binaries (fuzz/libfuzzer.c, `make fuzz`) and the replay test
 * (tests/test_fuzz_replay.c, which feeds tests/fuzz-regress/<name>/ through
 * them in the normal and the sanitizer builds).
 *
 * Each entry point takes arbitrary bytes, runs them through the parser the
 * way reel does with a file, and checks what the parser promises (sorted
 * notes, round trips, messages that name the file).  A broken promise calls
 * fuzz_fail, which prints and aborts: the fuzzer records the input as a
 * crash, the replay test fails.  Crashes, leaks and hangs are the
 * sanitizers' and libFuzzer's to find.  Entry points always return 0.
 */
#ifndef REEL_FUZZ_H
#define REEL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "tune.h"

typedef int (*FuzzFn)(const uint8_t *data, size_t size);

int fuzz_midi(const uint8_t *data, size_t size);     /* Standard MIDI Files (midi.c, quant.c) */
int fuzz_abc(const uint8_t *data, size_t size);      /* ABC text and abc2midi's output (abc.c) */
int fuzz_notes(const uint8_t *data, size_t size);    /* the notes-text seed syntax */
int fuzz_model(const uint8_t *data, size_t size);    /* .reel model files (model.c, vocab.c) */
int fuzz_settings(const uint8_t *data, size_t size); /* the studio's config file (ui/settings.c) */

typedef struct {
    const char *name;     /* also the folder name under tests/fuzz-regress/ */
    FuzzFn fn;
} FuzzTarget;

extern const FuzzTarget fuzz_targets[];   /* ends with { NULL, NULL } */

/* Print "fuzz: " and the message to stderr, then abort(). */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A path name in this process's private temporary folder (made on first
 * use under /dev/shm when there is one, else $TMPDIR or /tmp; removed at
 * exit), in a static buffer per slot (0..3). */
const char *fuzz_tmp_path(int slot, const char *name);
/* Write data to path, replacing it; aborts through fuzz_fail on failure. */
void fuzz_write_file(const char *path, const void *data, size_t size);
/* Check what tune.h promises of a Tune (sorted notes in range, n_steps
 * covering them, sorted tempos and time signatures); what names it. */
void fuzz_check_tune(const Tune *t, const char *what);
/* Does msg contain needle?  (For "the message names the file".) */
int fuzz_has(const char *msg, const char *needle);

#endif
