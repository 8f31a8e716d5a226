/* util.c — small helpers the commands share: data folder, number and JSON
 * formatting. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_data_dir(void)
{
    static char dir[PATH_MAX];
    char exe[PATH_MAX], try_[PATH_MAX + 32];
    const char *env = getenv("REEL_DATA");
    ssize_t n;
    char *slash;
    if (dir[0])
        return dir;
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(dir, sizeof dir, ".");
        return dir;
    }
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    /* Installed: PREFIX/bin/reel -> PREFIX/share/reel. */
    snprintf(try_, sizeof try_, "%s/../share/reel", exe);
    if (is_dir(try_) && realpath(try_, dir))
        return dir;
    /* In the source tree: ./reel or build/reel beside models/. */
    snprintf(try_, sizeof try_, "%s/models", exe);
    if (is_dir(try_)) {
        snprintf(dir, sizeof dir, "%s", exe);
        return dir;
    }
    snprintf(try_, sizeof try_, "%s/../models", exe);
    if (is_dir(try_) && realpath(exe, dir) && (slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        return dir;
    }
    snprintf(dir, sizeof dir, "%s", exe);
    return dir;
}

char *cli_thousands(long v, char *buf)
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
