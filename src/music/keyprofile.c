/* keyprofile.c — key profiles and their fit to a histogram (keyprofile.h). */
#include "keyprofile.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const double keyprofile_major[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                                     2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
const double keyprofile_minor[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                                     2.54, 4.75, 3.98, 2.69, 3.34, 3.17};

double keyprofile_correlate(const double h[12], const double profile[12], int tonic)
{
    double x[12], mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < 12; i++) {
        x[i] = h[(tonic + i) % 12];
        mx += x[i];
        my += profile[i];
    }
    mx /= 12;
    my /= 12;
    for (int i = 0; i < 12; i++) {
        sxy += (x[i] - mx) * (profile[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (profile[i] - my) * (profile[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

const char *keyprofile_tonic_name(int tonic, bool minor)
{
    static const char *const major[12] = {"C", "Db", "D", "Eb", "E", "F",
                                          "F#", "G", "Ab", "A", "Bb", "B"};
    static const char *const minor_[12] = {"C", "C#", "D", "D#", "E", "F",
                                           "F#", "G", "G#", "A", "Bb", "B"};
    if (tonic < 0 || tonic > 11)
        return "?";
    return minor ? minor_[tonic] : major[tonic];
}

int keyprofile_best(const double h[12], bool *minor)
{
    double best = -INFINITY;
    int tonic = -1;
    bool is_minor = false;
    for (int mode = 0; mode < 2; mode++)
        for (int t = 0; t < 12; t++) {
            double r = keyprofile_correlate(h, mode ? keyprofile_minor : keyprofile_major, t);
            if (r > best) {
                best = r;
                tonic = t;
                is_minor = mode == 1;
            }
        }
    if (minor)
        *minor = is_minor;
    return tonic;
}

int keyprofile_best_key(const double h[12])
{
    bool minor;
    int tonic = keyprofile_best(h, &minor);
    return tonic < 0 ? -1 : tonic + (minor ? 12 : 0);
}

char *keyprofile_name(int key, char buf[8])
{
    if (key < 0 || key >= KEYPROFILE_KEYS)
        snprintf(buf, 8, "?");
    else
        snprintf(buf, 8, "%s%s", keyprofile_tonic_name(key % 12, key >= 12), key >= 12 ? "m" : "");
    return buf;
}

int keyprofile_parse(const char *s)
{
    static const int letter[7] = {9, 11, 0, 2, 4, 5, 7}; /* A..G */
    int pc, c = s ? tolower((unsigned char)s[0]) : 0;
    if (c < 'a' || c > 'g')
        return -1;
    pc = letter[c - 'a'];
    s++;
    if (*s == '#' || *s == 'b') {
        pc = (pc + (*s == '#' ? 1 : 11)) % 12;
        s++;
    }
    if (!*s || !strcmp(s, "maj") || !strcmp(s, "major"))
        return pc;
    if (!strcmp(s, "m") || !strcmp(s, "min") || !strcmp(s, "minor"))
        return 12 + pc;
    return -1;
}
