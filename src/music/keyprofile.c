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

int keyprofile_best(const double h[12])
{
    int best = -1;
    double top = -2.0;
    for (int k = 0; k < KEYPROFILE_KEYS; k++) {
        double r = keyprofile_correlate(h, k < 12 ? keyprofile_major : keyprofile_minor, k % 12);
        if (!isnan(r) && r > top) {
            top = r;
            best = k;
        }
    }
    return best;
}

char *keyprofile_name(int key, char buf[8])
{
    static const char *const major[12] = {"C", "Db", "D", "Eb", "E", "F",
                                          "F#", "G", "Ab", "A", "Bb", "B"};
    static const char *const minor[12] = {"C", "C#", "D", "Eb", "E", "F",
                                          "F#", "G", "G#", "A", "Bb", "B"};
    if (key < 0 || key >= KEYPROFILE_KEYS)
        snprintf(buf, 8, "?");
    else if (key < 12)
        snprintf(buf, 8, "%s", major[key]);
    else
        snprintf(buf, 8, "%sm", minor[key - 12]);
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
