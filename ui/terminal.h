/* terminal.h — the terminal: curses on and off, the size, and the signals that
 * must leave the terminal as it was (terminal.c).
 */
#ifndef REEL_UI_TERMINAL_H
#define REEL_UI_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>

#include "audio.h"

/* Start curses on the terminal: false (with a message in err) when it
 * cannot.  Installs the signal handlers: SIGINT, SIGTERM, SIGHUP set the
 * quit flag (term_signalled) and wake the loop; SIGWINCH wakes it (the
 * loop then calls term_sync_size); crash signals restore the terminal and
 * die as they would have. */
bool term_open(int wake_fd, char *err, size_t size);
void term_close(void);
/* The signal that asked to quit (0: none). */
int term_signalled(void);
/* The engine a crash silences (audio_engine_crash_silence) before dying; NULL: none. */
void term_set_crash_audio(AudioEngine *e);
/* Make curses' size the terminal's own (TIOCGWINSZ), whatever became of a
 * SIGWINCH: true when curses was resized.  *w, *h get the size. */
bool term_sync_size(int *w, int *h);

#endif
