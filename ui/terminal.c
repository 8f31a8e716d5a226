/* terminal.c — the terminal: curses on, curses off, and the signals that must
 * leave the terminal as it was (see studio.h).
 *
 * Every exit path restores the terminal: the normal one and SIGINT /
 * SIGTERM / SIGHUP through the event loop's one quit path (term_close:
 * endwin), a crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) through a
 * handler that does only async-signal-safe things: the termios saved at
 * start, the escape strings that end curses' modes (taken from terminfo at
 * start), the audio callback told to write silence (atomics and a bounded
 * nanosleep wait: audio_engine_crash_silence), then the signal again with
 * its default action, so the exit status says what happened.  The same
 * restore runs at exit() and, in the sanitizer build, when a sanitizer ends
 * the process after a report.
 *
 * While curses runs, a stderr that is the same terminal is pointed at a
 * log file ($XDG_STATE_HOME/reel/studio.log), so nothing a library might
 * still print can garble the screen; it is put back at the end.
 */
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <term.h>

#include "settings.h"

static struct termios saved_tio;
static int have_tio;
static char exit_seq[256];
static size_t exit_len;
static int wake_w = -1;
static volatile sig_atomic_t quit_sig;
static int saved_stderr = -1;
static struct sigaction old_winch;
static SCREEN *screen;
static int curses_on;
static AudioEngine *volatile crash_audio;
static pid_t main_tid;

static void poke(void)
{
    char c = 0;
    if (wake_w >= 0) {
        ssize_t r = write(wake_w, &c, 1);
        (void)r;
    }
}

static void on_quit(int sig)
{
    int e = errno;
    quit_sig = sig;
    poke();
    errno = e;
}

static void on_winch(int sig)
{
    int e = errno;
    if (old_winch.sa_handler != SIG_DFL && old_winch.sa_handler != SIG_IGN &&
        old_winch.sa_handler != NULL) {
        if (old_winch.sa_flags & SA_SIGINFO)
            old_winch.sa_sigaction(sig, NULL, NULL);
        else
            old_winch.sa_handler(sig);
    }
    poke();
    errno = e;
}

/* The terminal as it was, with async-signal-safe calls only. */
static void restore_raw(void)
{
    if (!curses_on)
        return;
    if (have_tio)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
    if (exit_len) {
        ssize_t r = write(STDOUT_FILENO, exit_seq, exit_len);
        (void)r;
    }
    if (saved_stderr >= 0)
        dup2(saved_stderr, STDERR_FILENO);
}

static void on_crash(int sig, siginfo_t *info, void *uc)
{
    AudioEngine *e = crash_audio;
    (void)uc;
    /* Sent by another process (kill -SEGV), it may land in any thread, the
     * audio callback's too, which then could not play the silence: hand it
     * to the main thread.  A real fault, or abort() in this process, is
     * handled where it happened. */
    if (info && (info->si_code == SI_USER || info->si_code == SI_QUEUE) &&
        info->si_pid != getpid() && main_tid > 0 && (pid_t)syscall(SYS_gettid) != main_tid) {
        syscall(SYS_tgkill, (pid_t)getpid(), main_tid, sig);
        return;
    }
    restore_raw();
    crash_audio = NULL; /* a second crash (in the audio thread itself) goes straight on */
    if (e)
        audio_engine_crash_silence(e);
    signal(sig, SIG_DFL);
    raise(sig);
}

void term_set_crash_audio(AudioEngine *e)
{
    crash_audio = e;
}

/* exit() from somewhere that is not the quit path (a library), and the
 * sanitizers' reports (they end the process with _exit, not a signal). */
static void on_exit_path(void)
{
    restore_raw();
}

extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void add_cap(const char *name)
{
    char *s = tigetstr(name);
    size_t n;
    if (!s || s == (char *)-1)
        return;
    n = strlen(s);
    if (exit_len + n < sizeof exit_seq) {
        memcpy(exit_seq + exit_len, s, n);
        exit_len += n;
    }
}

static void redirect_stderr(void)
{
    char dir[4096], path[4200];
    int fd;
    if (!isatty(STDERR_FILENO))
        return;
    settings_state_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/studio.log", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 10);
    dup2(fd, STDERR_FILENO);
    close(fd);
}

bool term_open(int wake_fd, char *err, size_t size)
{
    struct sigaction sa;
    static const int crash[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, size, "the studio needs a terminal (stdin and stdout); the commands "
                            "(reel --help) work without one");
        return false;
    }
    if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
        have_tio = 1;
    wake_w = wake_fd;
    if (!(screen = newterm(NULL, stdout, stdin))) {
        snprintf(err, size, "cannot start curses on this terminal (TERM=%s)",
                 getenv("TERM") ? getenv("TERM") : "unset");
        return false;
    }
    set_term(screen);
    curses_on = 1;
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    exit_len = 0;
    add_cap("sgr0");
    add_cap("cnorm");
    add_cap("rmkx");
    add_cap("rmcup");
    redirect_stderr();

    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, &old_winch);
    sa.sa_sigaction = on_crash;
    sa.sa_flags = SA_SIGINFO;
    main_tid = (pid_t)syscall(SYS_gettid);
    for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++)
        sigaction(crash[i], &sa, NULL);
    {
        static bool registered;
        if (!registered) {
            atexit(on_exit_path);
            if (__sanitizer_set_death_callback)
                __sanitizer_set_death_callback(on_exit_path);
            registered = true;
        }
    }
    return true;
}

void term_close(void)
{
    struct sigaction sa;
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGWINCH};
    if (!curses_on)
        return;
    curs_set(1);
    endwin();
    delscreen(screen);
    screen = NULL;
    curses_on = 0;
    if (have_tio)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
    if (saved_stderr >= 0) {
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        saved_stderr = -1;
    }
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    wake_w = -1;
}

int term_signalled(void)
{
    return quit_sig;
}

/* ncurses learns of a new size from its own SIGWINCH flag, looked at in
 * getch() and refresh(); the terminal's own size is the truth.  Asked on
 * every turn of the loop (one ioctl), so curses never draws for a size the
 * terminal no longer has, whatever became of a signal. */
bool term_sync_size(int *w, int *h)
{
    struct winsize ws;
    bool resized = false;
    if (curses_on && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
        ws.ws_row > 0 && (ws.ws_col != COLS || ws.ws_row != LINES)) {
        resizeterm(ws.ws_row, ws.ws_col);
        resized = true;
    }
    getmaxyx(stdscr, *h, *w);
    return resized;
}
