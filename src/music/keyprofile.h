/* keyprofile.h — how well a pitch-class histogram fits a key.
 *
 * What this module is: the Krumhansl & Kessler (1982) probe-tone profiles
 * of the major and minor keys (tonic first) and their correlation with a
 * histogram of pitch classes (Krumhansl-Schmuckler key finding), which the
 * ABC writer (its K: line) and the melody metrics (key, in-key share) both
 * use, and the names musicians give the keys' tonics, which both write.
 * What it is not: choosing among keys (ties and key signatures are the
 * callers' rules).
 */
#ifndef REEL_KEYPROFILE_H
#define REEL_KEYPROFILE_H

#include <stdbool.h>

extern const double keyprofile_major[12];
extern const double keyprofile_minor[12];

/* Pearson's correlation of h rotated to tonic (h[(tonic + i) % 12] against
 * profile[i], i = 0..11); NAN when h is flat (or empty). */
double keyprofile_correlate(const double h[12], const double profile[12], int tonic);

/* The tonic of the key on pitch class tonic (0 = C), spelled as the key
 * signature a musician writes for it: flats for the majors F Bb Eb Ab Db
 * and their relative minors (D G C F Bb), sharps for G D A E B F# and their
 * relative minors (E B F# C# G# D#).  The six-accidental key is F# major and
 * D# minor (6 sharps), as abcout's K: line has it.  "?" outside 0..11. */
const char *keyprofile_tonic_name(int tonic, bool minor);

/* The key whose profile correlates best with h, of the 24 (ties: major
 * before minor, then the lower tonic from C, as the melody metrics have it):
 * its tonic's pitch class, and *minor (may be NULL); -1 when h is flat (or
 * empty). */
int keyprofile_best(const double h[12], bool *minor);

/* A key as one number: 0..11 the major key on that tonic (0 = C), 12..23
 * the minor key on tonic k - 12.  KEYPROFILE_KEYS of them. */
#define KEYPROFILE_KEYS 24

/* keyprofile_best as one key number; -1 when h is flat or empty. */
int keyprofile_best_key(const double h[12]);

/* "D", "Bb", "F#m", "Em" (the tonic as keyprofile_tonic_name spells it,
 * minor with "m") into buf (8 bytes); "?" for a number outside 0..23.
 * Returns buf. */
char *keyprofile_name(int key, char buf[8]);

/* Read a key name: a letter A-G (either case), an optional # or b, an
 * optional "m" (also "min", "minor") or "maj"/"major"; -1 if not a key. */
int keyprofile_parse(const char *s);

#endif
