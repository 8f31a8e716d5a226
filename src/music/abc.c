/* abc.c — ABC notation in, through Debian's abc2midi (see abc.h).
 *
 * What this module is: a text cleaner for ABC tunes (the edits that
 * ../shared/corpus/ryans-mammoth/SOURCE.md found necessary before abc2midi
 * 4.84 gives the right notes) and a careful driver of the outside program
 * abc2midi: one private temporary folder, fork/execvp without a shell, its
 * output captured through a pipe, a time limit with SIGKILL.
 *
 * What it is not: an ABC parser.  It only knows enough of the syntax to tell
 * header lines from tune-body lines, and "..." text, !...! decorations,
 * [K:..] inline fields and % comments from the music around them.  Pitches
 * and rhythm are abc2midi's business; reading the MIDI it writes is midi.c's.
 *
 * Nothing here prints or exits; every failure is a ReelError.
 */
#include "clock.h"
#include "abc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ABC_TOOL "abc2midi"
#define ABC_INSTALL_HINT "install it with `make deps` (Debian package abcmidi)"
#define ABC_TIMEOUT_MS 10000          /* one abc2midi run; then SIGKILL */
#define ABC_MAX_FILE (16u << 20)      /* larger .abc files are refused */
#define ABC_MAX_MIDI (64u << 20)      /* larger .mid output is refused */
#define ABC_MAX_OUTPUT (64u << 10)    /* abc2midi chatter kept; the rest is read and dropped */
#define ABC_MAX_TUNES 2000            /* tunes read from one file (one abc2midi run each) */
#define ABC_MAX_HEADER (64u << 10)    /* the file header, copied into every tune */

/* ------------------------------------------------------------------------ */
/* Growable text buffer                                                      */
/* ------------------------------------------------------------------------ */

/* p is owned by the buffer until buf_take hands it over; it is always
 * NUL-terminated once anything was added.  After a failed allocation the
 * buffer ignores further input and oom stays set. */
typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} AbcBuf;

static void buf_putn(AbcBuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (n > SIZE_MAX / 4 - b->len) {
        b->oom = 1;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_putc(AbcBuf *b, char c)
{
    buf_putn(b, &c, 1);
}

/* Hand the text to the caller (who frees it), or NULL after an allocation
 * failure (the buffer is freed either way). */
static char *buf_take(AbcBuf *b)
{
    if (!b->oom && !b->p)
        buf_putn(b, "", 0);
    if (b->oom) {
        free(b->p);
        b->p = NULL;
        return NULL;
    }
    char *p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

/* ------------------------------------------------------------------------ */
/* Lines                                                                     */
/* ------------------------------------------------------------------------ */

/* One line of a text: s[0..n) is its content without the line end, and
 * s[n..n+eol) the line end itself ("\n", "\r\n" or nothing at the end). */
typedef struct {
    const char *s;
    size_t n, eol;
} AbcLine;

/* The line starting at offset pos of t[0..len). */
static AbcLine line_at(const char *t, size_t len, size_t pos)
{
    AbcLine l = { t + pos, 0, 0 };
    const char *nl = memchr(t + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - t) : len;
    l.n = end - pos;
    l.eol = nl ? 1 : 0;
    if (nl && l.n > 0 && l.s[l.n - 1] == '\r') {
        l.n--;
        l.eol = 2;
    }
    return l;
}

/* Is the line a field line "X:..." for this letter (any letter when 0)? */
static int line_is_field(AbcLine l, char letter)
{
    if (l.n < 2 || l.s[1] != ':')
        return 0;
    if (letter)
        return l.s[0] == letter;
    return isalpha((unsigned char)l.s[0]) || l.s[0] == '+';
}

static int line_is_blank(AbcLine l)
{
    for (size_t i = 0; i < l.n; i++)
        if (!isspace((unsigned char)l.s[i]))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Quoted-printable damage                                                   */
/* ------------------------------------------------------------------------ */

/* Some tunes went through e-mail and came back quoted-printable: a trailing
 * space became "=20", a CR "=0D", every '=' "=3D", and long lines were split
 * with a '=' at the end ("soft line break").  None of these can be ABC: a
 * natural sign '=' is followed by a note letter, never by a digit or a line
 * end.  So the text counts as damaged only when it shows one of them; then it
 * is decoded as a whole, header lines included (the damage is the mail's, not
 * the notation's, and the corpus MIDI text events show decoded headers).
 * Other escapes ("=FF") are left alone, as the corpus conversion did. */

static int qp_hex_is(const char *s, size_t n, size_t i, const char *code)
{
    return i + 2 < n && s[i] == '=' &&
           toupper((unsigned char)s[i + 1]) == code[0] &&
           toupper((unsigned char)s[i + 2]) == code[1];
}

/* Does line l show quoted-printable damage? */
static int qp_line_damaged(AbcLine l)
{
    size_t n = l.n;
    if (n > 0 && l.s[0] == '%')
        return 0;
    for (size_t i = 0; i + 2 < n; i++)
        if (qp_hex_is(l.s, n, i, "3D"))
            return 1;
    while (n > 0 && (l.s[n - 1] == ' ' || l.s[n - 1] == '\t'))
        n--;
    if (n >= 1 && l.s[n - 1] == '=')
        return 1;
    if (n >= 3 && (qp_hex_is(l.s, n, n - 3, "20") || qp_hex_is(l.s, n, n - 3, "0D")))
        return !line_is_field(l, 'Q');   /* Q:1/4=20 is a (slow) tempo */
    return 0;
}

static int qp_damaged(const char *t, size_t len)
{
    for (size_t pos = 0; pos < len;) {
        AbcLine l = line_at(t, len, pos);
        if (qp_line_damaged(l))
            return 1;
        pos += l.n + l.eol;
        if (!l.eol)
            break;
    }
    return 0;
}

/* Decode =3D, =20, =0D and soft line breaks in t[0..len) into b. */
static void qp_decode(AbcBuf *b, const char *t, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (t[i] != '=') {
            const char *eq = memchr(t + i, '=', len - i);
            size_t end = eq ? (size_t)(eq - t) : len;
            buf_putn(b, t + i, end - i);
            i = end;
            continue;
        }
        if (qp_hex_is(t, len, i, "3D")) {
            buf_putc(b, '=');
            i += 3;
            continue;
        }
        if (qp_hex_is(t, len, i, "20")) {
            buf_putc(b, ' ');
            i += 3;
            continue;
        }
        if (qp_hex_is(t, len, i, "0D")) {
            i += 3;
            continue;
        }
        size_t j = i + 1;
        while (j < len && (t[j] == ' ' || t[j] == '\t'))
            j++;
        if (j < len && t[j] == '\r')
            j++;
        if (j >= len || t[j] == '\n') {      /* soft line break: join */
            i = j < len ? j + 1 : len;
            continue;
        }
        buf_putc(b, '=');
        i++;
    }
}

/* ------------------------------------------------------------------------ */
/* Clean-ups of tune-body lines                                              */
/* ------------------------------------------------------------------------ */

/* A decoration letter: H-W or h-w (fermata H, segno S, trill T, bowings u v,
 * ...).  Notes are A-G a-g and rests z x Z, so in music these letters carry
 * no pitch and no onset. */
static int is_decoration_letter(char c)
{
    return (c >= 'H' && c <= 'W') || (c >= 'h' && c <= 'w');
}

/* Length of a delimited decoration !name! or +name+ starting at s[i] (which
 * is the delimiter), or 0 when s[i] does not open one: the closing delimiter
 * must follow on the same line with no blank in between.  A lone '!' (an old
 * line break) or " + " stays an ordinary character. */
static size_t decoration_len(const char *s, size_t n, size_t i)
{
    char d = s[i];
    size_t j = i + 1;
    while (j < n && s[j] != d && !isspace((unsigned char)s[j]))
        j++;
    if (j >= n || s[j] != d || j == i + 1)
        return 0;
    return j + 1 - i;
}

static int decoration_is(const char *s, size_t len, const char *name)
{
    size_t k = strlen(name);
    return len == k + 2 && memcmp(s + 1, name, k) == 0;
}

/* Clean the music of one tune-body line s[0..n) into b. */
static void clean_music(AbcBuf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '%') {                        /* comment: kept as written */
            buf_putn(b, s + i, n - i);
            return;
        }
        if (c == '"') {                        /* chord symbol or annotation */
            const char *q = memchr(s + i + 1, '"', n - i - 1);
            size_t end = q ? (size_t)(q - s) + 1 : n;
            buf_putn(b, s + i, end - i);
            i = end;
            continue;
        }
        if (c == '!' || c == '+') {
            size_t k = decoration_len(s, n, i);
            if (k == 0) {
                buf_putc(b, c);
                i++;
            } else {
                if (!decoration_is(s + i, k, "trill") && !decoration_is(s + i, k, "roll"))
                    buf_putn(b, s + i, k);
                i += k;
            }
            continue;
        }
        if (c == '[') {
            if (i + 2 < n && s[i + 1] == '|' && s[i + 2] == ']') {
                i += 3;                        /* invisible bar line [|] */
                continue;
            }
            if (i + 2 < n && isalpha((unsigned char)s[i + 1]) && s[i + 2] == ':') {
                const char *q = memchr(s + i, ']', n - i);
                size_t end = q ? (size_t)(q - s) + 1 : n;
                buf_putn(b, s + i, end - i);   /* inline field [K:D] [M:6/8] */
                i = end;
                continue;
            }
            buf_putc(b, c);                    /* chord, or ending [1 */
            i++;
            continue;
        }
        if (c == '.' || c == '~' || is_decoration_letter(c)) {
            i++;                               /* staccato, roll, H-W h-w */
            continue;
        }
        buf_putc(b, c);
        i++;
    }
}

/* Where a line of the tune text sits. */
typedef enum {
    ABC_AT_HEADER,   /* file header or tune header: fields, kept (R: commented) */
    ABC_AT_BODY,     /* after K: — music lines are cleaned */
    ABC_AT_TEXT,     /* after the blank line that ends a tune: free text */
} AbcPlace;

/* Clean the (already quoted-printable decoded) text t[0..len) into b. */
static void clean_lines(AbcBuf *b, const char *t, size_t len)
{
    /* K: starts the body only after an X: line when the text has one, so a
     * file header is never mistaken for music. */
    int has_x = 0;
    for (size_t pos = 0; pos < len && !has_x;) {
        AbcLine l = line_at(t, len, pos);
        has_x = line_is_field(l, 'X');
        pos += l.n + l.eol;
        if (!l.eol)
            break;
    }

    AbcPlace at = ABC_AT_HEADER;
    int seen_x = 0;
    for (size_t pos = 0; pos < len;) {
        AbcLine l = line_at(t, len, pos);
        if (line_is_field(l, 'X')) {
            at = ABC_AT_HEADER;
            seen_x = 1;
        }
        if (at == ABC_AT_BODY && line_is_blank(l))
            at = ABC_AT_TEXT;

        if (at != ABC_AT_TEXT && line_is_field(l, 'R')) {
            buf_putc(b, '%');                  /* or abc2midi swings hornpipes */
            buf_putn(b, l.s, l.n);
        } else if (at == ABC_AT_BODY && !line_is_field(l, 0) && l.n > 0 && l.s[0] != '%') {
            clean_music(b, l.s, l.n);
        } else {
            buf_putn(b, l.s, l.n);
        }
        buf_putn(b, l.s + l.n, l.eol);

        if (at == ABC_AT_HEADER && line_is_field(l, 'K') && (seen_x || !has_x))
            at = ABC_AT_BODY;
        pos += l.n + l.eol;
        if (!l.eol)
            break;
    }
}

char *abc_clean(const char *text, size_t len)
{
    AbcBuf out = { 0 };
    if (!text)
        len = 0;
    if (len > 0 && qp_damaged(text, len)) {
        AbcBuf dec = { 0 };
        qp_decode(&dec, text, len);
        size_t n = dec.len;
        char *d = buf_take(&dec);
        if (!d)
            return NULL;
        clean_lines(&out, d, n);
        free(d);
    } else if (len > 0) {
        clean_lines(&out, text, len);
    }
    return buf_take(&out);
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

/* Read all of path into *data (caller frees; NUL-terminated, *len without
 * the NUL).  what names the file in messages.  max bounds the size. */
static ReelStatus read_all(const char *path, const char *what, size_t max, char **data,
                           size_t *len, ReelError *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return reel_fail(err, REEL_EIO, "%s: cannot open: %s", what, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return reel_fail(err, REEL_EIO, "%s: cannot stat: %s", what, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return reel_fail(err, REEL_EIO, "%s: is a folder, not a file", what);
    }
    AbcBuf b = { 0 };
    char chunk[16384];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            free(b.p);
            return reel_fail(err, REEL_EIO, "%s: cannot read: %s", what, strerror(e));
        }
        if (r == 0)
            break;
        if (b.len + (size_t)r > max) {
            close(fd);
            free(b.p);
            return reel_fail(err, REEL_EUNSUPPORTED, "%s: larger than %zu MiB", what,
                             (size_t)(max >> 20));
        }
        buf_putn(&b, chunk, (size_t)r);
    }
    close(fd);
    size_t n = b.len;
    char *p = buf_take(&b);
    if (!p)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory reading it", what);
    *data = p;
    *len = n;
    return REEL_OK;
}

/* Write data[0..len) to path (created, private).  0 or an errno value. */
static int write_all(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            return e;
        }
        data += w;
        len -= (size_t)w;
    }
    if (close(fd) != 0)
        return errno;
    return 0;
}

/* Remove the temporary folder dir and everything in it (it is ours). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[4096];
            if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < (int)sizeof p)
                unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* ------------------------------------------------------------------------ */
/* Running abc2midi                                                          */
/* ------------------------------------------------------------------------ */

/* How one run ended. */
typedef struct {
    char *output;     /* owned: stdout and stderr together, NUL-terminated */
    int exited;       /* exited normally (code in code) */
    int code;
    int signaled;     /* killed by a signal (sig) */
    int sig;
    int timed_out;    /* we killed it after ABC_TIMEOUT_MS */
} AbcRun;

/* Exit code of the child when execvp failed (and its marker on the pipe). */
#define ABC_EXEC_FAILED 127
#define ABC_EXEC_MARK "reel: cannot run " ABC_TOOL "\n"

/* The child: its own process group (so a kill reaches anything it
 * starts), stdin from /dev/null, stdout and stderr into the pipe, then
 * abc2midi inside dir.  Only async-signal-safe calls before execvp. */
static void abc_child(const char *dir, const int fds[2], char **argv) __attribute__((noreturn));
static void abc_child(const char *dir, const int fds[2], char **argv)
{
    int in;
    ssize_t w;
    setpgid(0, 0);
    close(fds[0]);
    in = open("/dev/null", O_RDONLY);
    if (in >= 0 && in != 0) {
        dup2(in, 0);
        close(in);
    }
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    if (fds[1] > 2)
        close(fds[1]);
    if (chdir(dir) == 0)
        execvp(argv[0], argv);
    w = write(2, ABC_EXEC_MARK, sizeof ABC_EXEC_MARK - 1);
    (void)w;
    _exit(ABC_EXEC_FAILED);
}

/* Read what the child writes on rfd (at most ABC_MAX_OUTPUT) until it ends
 * or ABC_TIMEOUT_MS pass (then it is killed, run->timed_out set).  Returns
 * 1 when it was reaped (its wait status in *status), -1 when it was not
 * ours to wait for, 0 when killed and not yet waited for. */
static int abc_collect(pid_t pid, int rfd, AbcRun *run, AbcBuf *out, int *status)
{
    long deadline = (long)(now_ns() / 1000000) + ABC_TIMEOUT_MS;
    int open_pipe = 1, reaped = 0;
    char chunk[4096];
    ssize_t got;
    while (!reaped) {
        long left = deadline - (long)(now_ns() / 1000000);
        pid_t w;
        if (left <= 0) {
            /* Not reaped yet, so pid still names the child and its group. */
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            run->timed_out = 1;
            return 0;
        }
        if (open_pipe) {
            struct pollfd p = { rfd, POLLIN, 0 };
            int r = poll(&p, 1, (int)(left < 1000 ? left : 1000));
            if (r < 0 && errno != EINTR)
                open_pipe = 0;
            if (r > 0) {
                got = read(rfd, chunk, sizeof chunk);
                if (got > 0 && out->len < ABC_MAX_OUTPUT)
                    buf_putn(out, chunk, (size_t)got);
                else if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
                    open_pipe = 0;
            }
        } else {
            struct timespec nap = { 0, 200 * 1000L };
            nanosleep(&nap, NULL);
        }
        w = waitpid(pid, status, WNOHANG);
        if (w == pid || (w < 0 && errno == ECHILD))
            reaped = w == pid ? 1 : -1;
    }
    /* After the child ended, what it wrote last may still sit in the pipe. */
    if (reaped == 1 && open_pipe)
        while ((got = read(rfd, chunk, sizeof chunk)) > 0)
            if (out->len < ABC_MAX_OUTPUT)
                buf_putn(out, chunk, (size_t)got);
    return reaped;
}

/* Run `abc2midi tune.abc -NGUI -NGRA -NFER -o tune.mid` inside dir, without
 * a shell, output captured.  Fails only when the process cannot be started
 * (pipe/fork) or memory runs out; how abc2midi itself fared is in *run. */
static ReelStatus run_abc2midi(const char *dir, AbcRun *run, ReelError *err)
{
    memset(run, 0, sizeof *run);
    int fds[2];
    if (pipe(fds) != 0)
        return reel_fail(err, REEL_ETOOL, "cannot run %s: pipe: %s", ABC_TOOL, strerror(errno));

    /* argv is built before fork: the child only calls async-signal-safe
     * functions and execvp. */
    char a0[] = ABC_TOOL, a1[] = "tune.abc", a2[] = "-NGUI", a3[] = "-NGRA", a4[] = "-NFER",
         a5[] = "-o", a6[] = "tune.mid";
    char *argv[] = { a0, a1, a2, a3, a4, a5, a6, NULL };

    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return reel_fail(err, REEL_ETOOL, "cannot run %s: fork: %s", ABC_TOOL, strerror(e));
    }
    if (pid == 0)
        abc_child(dir, fds, argv);

    setpgid(pid, pid);   /* also here, so a kill below never misses the group */
    close(fds[1]);
    int rfd = fds[0];
    fcntl(rfd, F_SETFD, FD_CLOEXEC);
    fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);

    AbcBuf out = { 0 };
    int status = 0;
    int reaped = abc_collect(pid, rfd, run, &out, &status);
    close(rfd);
    if (!reaped) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        reaped = 1;
    }

    if (reaped == 1) {
        if (WIFEXITED(status)) {
            run->exited = 1;
            run->code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            run->signaled = 1;
            run->sig = WTERMSIG(status);
        }
    }
    run->output = buf_take(&out);
    if (!run->output)
        return reel_fail(err, REEL_ENOMEM, "out of memory reading %s output", ABC_TOOL);
    return REEL_OK;
}

/* The lines of out that say "Error" or "Warning", joined by '\n' (caller
 * frees), or NULL when there are none.  *oom set when memory ran out. */
static char *pick_warnings(const char *out, int *oom)
{
    AbcBuf b = { 0 };
    const char *s = out;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' '))
            n--;
        char line[1024];
        size_t k = n < sizeof line - 1 ? n : sizeof line - 1;
        memcpy(line, s, k);
        line[k] = '\0';
        if (strstr(line, "Error") || strstr(line, "Warning")) {
            if (b.len)
                buf_putc(&b, '\n');
            buf_putn(&b, s, n);
        }
        s = nl ? nl + 1 : s + strlen(s);
    }
    if (!b.p && !b.oom)
        return NULL;
    char *w = buf_take(&b);
    if (!w)
        *oom = 1;
    return w;
}

/* The first line of text containing needle, copied into dst (size cap),
 * or an empty string. */
static void first_line_with(const char *text, const char *needle, char *dst, size_t cap)
{
    dst[0] = '\0';
    if (!text)
        return;
    const char *hit = strstr(text, needle);
    if (!hit)
        return;
    const char *start = hit;
    while (start > text && start[-1] != '\n')
        start--;
    size_t n = strcspn(start, "\n");
    while (n > 0 && (start[n - 1] == '\r' || start[n - 1] == ' '))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, start, n);
    dst[n] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Tunes                                                                     */
/* ------------------------------------------------------------------------ */

/* The value of the first field line "letter:" in t[0..len) after its first
 * X: line (from the start when there is none) and before K:, trimmed;
 * caller frees.  NULL when there is none; *oom set when memory ran out. */
static char *header_field(const char *t, size_t len, char letter, int *oom)
{
    int in_tune = 0;
    for (size_t pos = 0; pos < len;) {
        AbcLine l = line_at(t, len, pos);
        if (line_is_field(l, 'X'))
            in_tune = 1;
        if (in_tune && line_is_field(l, letter)) {
            const char *v = l.s + 2;
            size_t n = l.n - 2;
            while (n > 0 && isspace((unsigned char)*v)) {
                v++;
                n--;
            }
            while (n > 0 && isspace((unsigned char)v[n - 1]))
                n--;
            char *r = malloc(n + 1);
            if (!r) {
                *oom = 1;
                return NULL;
            }
            memcpy(r, v, n);
            r[n] = '\0';
            return r;
        }
        if (in_tune && line_is_field(l, 'K'))
            break;
        pos += l.n + l.eol;
        if (!l.eol)
            break;
    }
    return NULL;
}

/* Convert one tune: text (file header + tune, not yet cleaned) into t, using
 * the private folder dir.  Fails only on out-of-memory (then the whole file
 * fails); anything else becomes t->err. */
static ReelStatus convert_tune(const char *path, const char *dir, const char *text, size_t len,
                               AbcTune *t, ReelError *err)
{
    char abc_path[1100], mid_path[1100];   /* dir is shorter than 1024 */
    snprintf(abc_path, sizeof abc_path, "%s/tune.abc", dir);
    snprintf(mid_path, sizeof mid_path, "%s/tune.mid", dir);
    unlink(mid_path);

    char *clean = abc_clean(text, len);
    if (!clean)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory cleaning tune %d", path, t->x);
    int oom = 0;
    t->title = header_field(clean, strlen(clean), 'T', &oom);
    if (oom) {
        free(clean);
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", path);
    }
    const char *title = t->title ? t->title : "untitled";

    int e = write_all(abc_path, clean, strlen(clean));
    free(clean);
    if (e) {
        reel_fail(&t->err, REEL_EIO, "%s: tune %d (%s): cannot write %s: %s", path, t->x,
                  title, abc_path, strerror(e));
        return REEL_OK;
    }

    AbcRun run;
    ReelError rerr;
    reel_error_clear(&rerr);
    ReelStatus s = run_abc2midi(dir, &run, &rerr);
    if (s == REEL_ENOMEM) {
        free(run.output);
        return reel_fail(err, s, "%s: %s", path, rerr.msg);
    }
    if (s != REEL_OK) {
        reel_fail(&t->err, s, "%s: tune %d (%s): %s", path, t->x, title, rerr.msg);
        return REEL_OK;
    }
    t->warnings = pick_warnings(run.output, &oom);
    if (oom) {
        free(run.output);
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", path);
    }

    char why[256];
    first_line_with(run.output, "Error", why, sizeof why);
    if (run.timed_out) {
        reel_fail(&t->err, REEL_ETOOL, "%s: tune %d (%s): %s took longer than %d s and was stopped",
                  path, t->x, title, ABC_TOOL, ABC_TIMEOUT_MS / 1000);
    } else if (run.exited && run.code == ABC_EXEC_FAILED && strstr(run.output, ABC_EXEC_MARK)) {
        reel_fail(&t->err, REEL_ETOOL, "%s: tune %d (%s): %s could not be run (not on PATH?): %s",
                  path, t->x, title, ABC_TOOL, ABC_INSTALL_HINT);
    } else if (run.signaled) {
        reel_fail(&t->err, REEL_ETOOL, "%s: tune %d (%s): %s crashed (signal %d)%s%s", path,
                  t->x, title, ABC_TOOL, run.sig, why[0] ? ": " : "", why);
    } else {
        char *midi = NULL;
        size_t n = 0;
        ReelError merr;
        reel_error_clear(&merr);
        s = read_all(mid_path, mid_path, ABC_MAX_MIDI, &midi, &n, &merr);
        if (s == REEL_ENOMEM) {
            free(run.output);
            return reel_fail(err, s, "%s: %s", path, merr.msg);
        }
        if (s == REEL_OK && n >= 14 && memcmp(midi, "MThd", 4) == 0) {
            t->midi = (uint8_t *)midi;
            t->midi_len = n;
        } else {
            free(midi);
            if (!why[0])
                first_line_with(run.output, "rror", why, sizeof why);
            reel_fail(&t->err, REEL_ETOOL, "%s: tune %d (%s): %s wrote no MIDI%s%s", path, t->x,
                      title, ABC_TOOL, why[0] ? ": " : "", why);
        }
    }
    free(run.output);
    return REEL_OK;
}

ReelStatus abc_tool_check(ReelError *err)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    const char *p = path;
    for (;;) {
        size_t n = strcspn(p, ":");
        char cand[4096];
        int k = n ? snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, ABC_TOOL)
                  : snprintf(cand, sizeof cand, "./%s", ABC_TOOL);
        struct stat st;
        if (k > 0 && k < (int)sizeof cand && stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
            access(cand, X_OK) == 0) {
            reel_error_clear(err);
            return REEL_OK;
        }
        if (!p[n])
            break;
        p += n + 1;
    }
    return reel_fail(err, REEL_ETOOL, "%s not found on PATH: %s", ABC_TOOL, ABC_INSTALL_HINT);
}

void abc_file_free(AbcFile *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n; i++) {
        free(f->tunes[i].title);
        free(f->tunes[i].midi);
        free(f->tunes[i].warnings);
    }
    free(f->tunes);
    f->tunes = NULL;
    f->n = 0;
}

/* Tunes start at X: lines; what comes before the first is the file header,
 * which applies to every tune.  The number of tunes in t[0..len), and in
 * *first where the first starts (len when there is none). */
static int count_tunes(const char *t, size_t len, size_t *first)
{
    int n = 0;
    *first = len;
    for (size_t pos = 0; pos < len;) {
        AbcLine l = line_at(t, len, pos);
        if (line_is_field(l, 'X')) {
            if (!n)
                *first = pos;
            n++;
        }
        pos += l.n + l.eol;
        if (!l.eol)
            break;
    }
    return n;
}

/* Where the tune that starts at pos (its X: line) ends: at the next X: line
 * or at len. */
static size_t tune_end(const char *t, size_t len, size_t pos)
{
    size_t end = pos;
    AbcLine l = line_at(t, len, end);
    end += l.n + l.eol;
    while (end < len) {
        l = line_at(t, len, end);
        if (line_is_field(l, 'X'))
            break;
        end += l.n + l.eol;
    }
    return end;
}

ReelStatus abc_convert_file(const char *path, AbcFile *out, ReelError *err)
{
    if (!out)
        return reel_fail(err, REEL_EARG, "abc_convert_file: out is NULL");
    out->tunes = NULL;
    out->n = 0;
    if (!path || !*path)
        return reel_fail(err, REEL_EARG, "abc_convert_file: no file name");
    reel_error_clear(err);

    char *data;
    size_t len;
    ReelStatus s = read_all(path, path, ABC_MAX_FILE, &data, &len, err);
    if (s != REEL_OK)
        return s;
    if (len == 0) {
        free(data);
        return reel_fail(err, REEL_EEMPTY, "%s: empty file", path);
    }
    if (memchr(data, '\0', len)) {
        free(data);
        return reel_fail(err, REEL_EFORMAT, "%s: not ABC: binary data", path);
    }

    size_t first;
    int n = count_tunes(data, len, &first);
    if (n == 0) {
        free(data);
        return reel_fail(err, REEL_EFORMAT, "%s: not ABC: no tune (no X: line)", path);
    }
    /* Each tune is one abc2midi run with the file header in front: bound
     * the work a small file can ask for. */
    if (n > ABC_MAX_TUNES) {
        free(data);
        return reel_fail(err, REEL_EUNSUPPORTED, "%s: %d tunes in one file; reel reads at most %d "
                         "from a file (split it into several)", path, n, ABC_MAX_TUNES);
    }
    if (first > ABC_MAX_HEADER && n > 1) {
        free(data);
        return reel_fail(err, REEL_EUNSUPPORTED, "%s: a file header of %zu bytes before its first "
                         "X: line, repeated into each of its %d tunes; reel allows %u bytes", path,
                         first, n, ABC_MAX_HEADER);
    }

    out->tunes = calloc((size_t)n, sizeof *out->tunes);
    if (!out->tunes) {
        free(data);
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", path);
    }
    out->n = n;

    const char *tmp = getenv("TMPDIR");
    char dir[1024];
    if (snprintf(dir, sizeof dir, "%s/reel-abc-XXXXXX", tmp && *tmp ? tmp : "/tmp") >= (int)sizeof dir)
        snprintf(dir, sizeof dir, "/tmp/reel-abc-XXXXXX");
    if (!mkdtemp(dir)) {
        s = reel_fail(err, REEL_EIO, "%s: cannot make a temporary folder %s: %s", path, dir,
                      strerror(errno));
        free(data);
        abc_file_free(out);
        return s;
    }

    int i = 0;
    for (size_t pos = first; pos < len && i < n;) {
        size_t end = tune_end(data, len, pos);
        AbcTune *t = &out->tunes[i];
        reel_error_clear(&t->err);
        t->x = (int)strtol(data + pos + 2, NULL, 10);

        char *text = malloc(first + (end - pos) + 1);
        if (!text) {
            s = reel_fail(err, REEL_ENOMEM, "%s: out of memory", path);
            break;
        }
        memcpy(text, data, first);
        memcpy(text + first, data + pos, end - pos);
        text[first + (end - pos)] = '\0';
        s = convert_tune(path, dir, text, first + (end - pos), t, err);
        free(text);
        if (s != REEL_OK)
            break;
        pos = end;
        i++;
    }
    remove_tree(dir);
    free(data);
    if (s != REEL_OK) {
        abc_file_free(out);
        return s;
    }
    return REEL_OK;
}
