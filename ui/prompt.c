/* prompt.c — the status line's editor and path completion (see prompt.h). */
#include "prompt.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

#define CTRL(c) ((c) & 0x1f)

void prompt_begin(Prompt *p, const char *label, const char *text, bool paths, int purpose)
{
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label);
    snprintf(p->text, sizeof p->text, "%s", text ? text : "");
    p->len = p->pos = (int)strlen(p->text);
    p->paths = paths;
    p->purpose = purpose;
}

void prompt_history_add(PromptHistory *h, const char *text)
{
    if (!text || !*text)
        return;
    if (h->n > 0 && !strcmp(h->items[h->n - 1], text)) {
        h->at = h->n;
        return;
    }
    if (h->n == PROMPT_HISTORY) {
        memmove(h->items[0], h->items[1], (size_t)(PROMPT_HISTORY - 1) * PROMPT_MAX);
        h->n--;
    }
    snprintf(h->items[h->n++], PROMPT_MAX, "%s", text);
    h->at = h->n;
}

static void set_text(Prompt *p, const char *s)
{
    snprintf(p->text, sizeof p->text, "%s", s);
    p->len = p->pos = (int)strlen(p->text);
}

/* Start of the UTF-8 character before byte pos. */
static int char_before(const char *s, int pos)
{
    if (pos <= 0)
        return 0;
    pos--;
    while (pos > 0 && ((unsigned char)s[pos] & 0xC0) == 0x80)
        pos--;
    return pos;
}

static int char_after(const char *s, int len, int pos)
{
    if (pos >= len)
        return len;
    pos++;
    while (pos < len && ((unsigned char)s[pos] & 0xC0) == 0x80)
        pos++;
    return pos;
}

PromptResult prompt_key(Prompt *p, int ch, PromptHistory *h)
{
    p->hint[0] = '\0';
    switch (ch) {
    case '\n': case '\r': case KEY_ENTER:
        if (h)
            prompt_history_add(h, p->text);
        return PROMPT_ACCEPT;
    case 27: case CTRL('c'): case CTRL('g'):
        return PROMPT_CANCEL;
    case KEY_LEFT:
        p->pos = char_before(p->text, p->pos);
        break;
    case KEY_RIGHT:
        p->pos = char_after(p->text, p->len, p->pos);
        break;
    case KEY_HOME: case CTRL('a'):
        p->pos = 0;
        break;
    case KEY_END: case CTRL('e'):
        p->pos = p->len;
        break;
    case KEY_BACKSPACE: case 127: case 8:
        if (p->pos > 0) {
            int a = char_before(p->text, p->pos);
            memmove(p->text + a, p->text + p->pos, (size_t)(p->len - p->pos + 1));
            p->len -= p->pos - a;
            p->pos = a;
        }
        break;
    case KEY_DC: case CTRL('d'):
        if (p->pos < p->len) {
            int b = char_after(p->text, p->len, p->pos);
            memmove(p->text + p->pos, p->text + b, (size_t)(p->len - b + 1));
            p->len -= b - p->pos;
        }
        break;
    case CTRL('u'):
        memmove(p->text, p->text + p->pos, (size_t)(p->len - p->pos + 1));
        p->len -= p->pos;
        p->pos = 0;
        break;
    case CTRL('k'):
        p->text[p->pos] = '\0';
        p->len = p->pos;
        break;
    case KEY_UP:
        if (h && h->n > 0) {
            if (h->at > 0)
                h->at--;
            set_text(p, h->items[h->at]);
        }
        break;
    case KEY_DOWN:
        if (h && h->n > 0) {
            if (h->at < h->n - 1) {
                h->at++;
                set_text(p, h->items[h->at]);
            } else {
                h->at = h->n;
                set_text(p, "");
            }
        }
        break;
    case '\t':
        if (p->paths && p->pos == p->len) {
            prompt_complete_path(p->text, sizeof p->text, p->hint, sizeof p->hint);
            p->len = p->pos = (int)strlen(p->text);
        }
        break;
    default:
        if (ch >= 32 && ch < 256 && ch != 127 && p->len + 1 < PROMPT_MAX) {
            memmove(p->text + p->pos + 1, p->text + p->pos, (size_t)(p->len - p->pos + 1));
            p->text[p->pos++] = (char)ch;
            p->len++;
        }
        break;
    }
    return PROMPT_EDITING;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int prompt_complete_path(char *text, size_t size, char *hint, size_t hint_size)
{
    char dir[PROMPT_MAX + 2], base[PROMPT_MAX], full[PROMPT_MAX * 2 + 2];
    const char *slash = strrchr(text, '/');
    const char *home = getenv("HOME");
    char expanded[PROMPT_MAX * 2];
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    int n = 0, cap = 0;
    size_t blen, common = 0;
    if (hint_size)
        hint[0] = '\0';
    /* ~/ at the start */
    if (text[0] == '~' && (text[1] == '/' || !text[1]) && home)
        snprintf(expanded, sizeof expanded, "%s%s", home, text + 1);
    else
        snprintf(expanded, sizeof expanded, "%s", text);
    slash = strrchr(expanded, '/');
    if (slash) {
        size_t dl = (size_t)(slash - expanded) + 1;
        snprintf(dir, sizeof dir, "%.*s", (int)dl, expanded);
        snprintf(base, sizeof base, "%s", slash + 1);
    } else {
        snprintf(dir, sizeof dir, "%s", "");
        snprintf(base, sizeof base, "%.*s", (int)sizeof base - 1, expanded);
    }
    blen = strlen(base);
    if (!(d = opendir(dir[0] ? dir : ".")))
        return 0;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (de->d_name[0] == '.' && (blen == 0 || base[0] != '.'))
            continue;
        if (strncmp(de->d_name, base, blen) != 0)
            continue;
        if (n == cap) {
            int nc = cap ? cap * 2 : 32;
            char **p = realloc(names, (size_t)nc * sizeof *p);
            if (!p)
                break;
            names = p;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n == 0) {
        free(names);
        return 0;
    }
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    common = strlen(names[0]);
    for (int i = 1; i < n; i++) {
        size_t k = 0;
        while (k < common && names[i][k] == names[0][k])
            k++;
        common = k;
    }
    snprintf(full, sizeof full, "%s%.*s", dir, (int)common, names[0]);
    if (n == 1) {
        struct stat st;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
            strncat(full, "/", sizeof full - strlen(full) - 1);
    } else if (hint_size) {
        size_t o = 0;
        for (int i = 0; i < n && o + 2 < hint_size; i++) {
            int w = snprintf(hint + o, hint_size - o, "%s%s", i ? "  " : "", names[i]);
            if (w < 0 || (size_t)w >= hint_size - o) {
                hint[o] = '\0';
                break;
            }
            o += (size_t)w;
        }
    }
    snprintf(text, size, "%s", full);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return n;
}
