/* num.c — numbers as people read them (num.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

char *num_thousands(long v, char *buf)
{
    char tmp[32];
    int len, o = 0, neg = v < 0;
    snprintf(tmp, sizeof tmp, "%ld", neg ? -v : v);
    len = (int)strlen(tmp);
    if (neg)
        buf[o++] = '-';
    for (int i = 0; i < len; i++) {
        buf[o++] = tmp[i];
        if ((len - i - 1) % 3 == 0 && i != len - 1)
            buf[o++] = ',';
    }
    buf[o] = '\0';
    return buf;
}


bool num_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long x;
    if (!s || !*s)
        return false;
    x = strtol(s, &end, 10);
    if (end == s || *end || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

bool num_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double x;
    if (!s || !*s)
        return false;
    x = strtod(s, &end);
    while (end != s && *end == ' ')
        end++;
    if (end == s || *end || !isfinite(x) || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}
