/* settings.c — the studio's remembered settings (see settings.h). */
#include "files.h"
#include "settings.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void settings_init(Settings *s)
{
    memset(s, 0, sizeof *s);
}

void settings_free(Settings *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->items[i].val);
    free(s->items);
    memset(s, 0, sizeof *s);
}

char *settings_path(char *buf, size_t size)
{
    const char *x = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (x && x[0] == '/')
        snprintf(buf, size, "%s/reel/studio.conf", x);
    else
        snprintf(buf, size, "%s/.config/reel/studio.conf", home && *home ? home : ".");
    return buf;
}

char *settings_state_dir(char *buf, size_t size)
{
    const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (x && x[0] == '/')
        snprintf(buf, size, "%s/reel", x);
    else
        snprintf(buf, size, "%s/.local/state/reel", home && *home ? home : "/tmp");
    (void)file_mkdirs(buf); /* best effort: a write there says what is wrong */
    return buf;
}

static char *trim(char *p)
{
    char *e;
    while (isspace((unsigned char)*p))
        p++;
    e = p + strlen(p);
    while (e > p && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return p;
}

/* Lines of any length (getline): a value is as long as the file allows, and
 * what settings_save writes always reads back the same. */
ReelStatus settings_load(Settings *s, const char *path, ReelError *err)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    ReelStatus st = REEL_OK;
    if (!f) {
        if (errno == ENOENT)
            return REEL_OK;
        return reel_fail(err, REEL_EIO, "%s: %s", path, strerror(errno));
    }
    while (getline(&line, &cap, f) >= 0) {
        char *eq, *k, *v;
        lineno++;
        k = trim(line);
        if (!*k || *k == '#')
            continue;
        if (!(eq = strchr(k, '='))) {
            st = reel_fail(err, REEL_EFORMAT, "%s:%d: not 'key = value'", path, lineno);
            break;
        }
        *eq = '\0';
        v = trim(eq + 1);
        k = trim(k);
        if (!*k) {
            st = reel_fail(err, REEL_EFORMAT, "%s:%d: no key before '='", path, lineno);
            break;
        }
        if (strlen(k) >= sizeof s->items[0].key) {
            st = reel_fail(err, REEL_EFORMAT, "%s:%d: key '%.20s...' longer than %zu characters",
                           path, lineno, k, sizeof s->items[0].key - 1);
            break;
        }
        if (!settings_set(s, k, v)) {
            st = reel_fail(err, REEL_ENOMEM, "%s: out of memory", path);
            break;
        }
    }
    if (st == REEL_OK && ferror(f))
        st = reel_fail(err, REEL_EIO, "%s: cannot read", path);
    free(line);
    fclose(f);
    return st;
}

ReelStatus settings_save(const Settings *s, const char *path, ReelError *err)
{
    char dir[4096];
    char *slash;
    FileAtomic a;
    ReelStatus st;
    snprintf(dir, sizeof dir, "%s", path);
    if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
        *slash = '\0';
        if (file_mkdirs(dir) != 0)
            return reel_fail(err, REEL_EIO, "cannot make the folder %s: %s", dir, strerror(errno));
    }
    if ((st = file_atomic_begin(&a, path, err)))
        return st;
    fprintf(a.f, "# reel studio settings (written when the studio closes)\n");
    for (int i = 0; i < s->n; i++)
        fprintf(a.f, "%s = %s\n", s->items[i].key, s->items[i].val);
    return file_atomic_commit(&a, err);
}

const char *settings_get(const Settings *s, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->items[i].key, key))
            return s->items[i].val;
    return NULL;
}

double settings_num(const Settings *s, const char *key, double lo, double hi, double dflt)
{
    const char *v = settings_get(s, key);
    char *end;
    double x;
    if (!v || !*v)
        return dflt;
    x = strtod(v, &end);
    if (*end || !isfinite(x) || x < lo || x > hi)
        return dflt;
    return x;
}

bool settings_set(Settings *s, const char *key, const char *val)
{
    char *v;
    int i;
    if (!key || !*key || strlen(key) >= sizeof s->items[0].key)
        return false;
    if (!(v = strdup(val ? val : "")))
        return false;
    for (char *p = v; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    for (i = 0; i < s->n; i++)
        if (!strcmp(s->items[i].key, key)) {
            free(s->items[i].val);
            s->items[i].val = v;
            return true;
        }
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 32;
        SettingsItem *p = realloc(s->items, (size_t)cap * sizeof *p);
        if (!p) {
            free(v);
            return false;
        }
        s->items = p;
        s->cap = cap;
    }
    snprintf(s->items[s->n].key, sizeof s->items[s->n].key, "%s", key);
    s->items[s->n].val = v;
    s->n++;
    return true;
}

bool settings_set_num(Settings *s, const char *key, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.6g", v);
    return settings_set(s, key, buf);
}
