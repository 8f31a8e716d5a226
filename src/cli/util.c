/* util.c — small helpers the commands share: JSON strings, terminals. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

int cli_stderr_is_tty(void)
{
    return isatty(2);
}

bool cli_long(const char *cmd, const char *opt, const char *v, long lo, long hi, long *out)
{
    if (num_long(v, lo, hi, out))
        return true;
    fprintf(stderr, "%s: %s needs a whole number from %ld to %ld, not '%s'\n", cmd, opt, lo, hi,
            v ? v : "");
    return false;
}

bool cli_double(const char *cmd, const char *opt, const char *v, double lo, double hi,
                double *out)
{
    if (num_double(v, lo, hi, out))
        return true;
    if (lo == -HUGE_VAL && hi == HUGE_VAL)
        fprintf(stderr, "%s: %s needs a number, not '%s'\n", cmd, opt, v ? v : "");
    else
        fprintf(stderr, "%s: %s needs a number from %g to %g, not '%s'\n", cmd, opt, lo, hi,
                v ? v : "");
    return false;
}

bool cli_seed(const char *cmd, const char *v, uint64_t *out)
{
    char *e;
    unsigned long long s;
    errno = 0;
    s = strtoull(v, &e, 10);
    if (!*v || *e || v[0] == '-' || v[0] == '+' || errno == ERANGE) {
        fprintf(stderr, "%s: --seed needs a whole number from 0 to %llu, not '%s'\n", cmd,
                (unsigned long long)UINT64_MAX, v);
        return false;
    }
    *out = s;
    return true;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               CliTake take, void *ctx)
{
    int ch, rc;
    optind = 1;
    while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
        if ((rc = take(ctx, ch, optarg)) >= 0)
            return rc;
    return -1;
}
