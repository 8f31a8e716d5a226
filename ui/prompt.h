/* prompt.h — the one-line editor of the status line: file names, commands,
 * numbers, with Tab completion of paths.
 *
 * Keys: printable characters insert at the cursor; Left/Right, Home/End
 * (Ctrl-A/Ctrl-E) move; Backspace and Delete erase; Ctrl-U clears to the
 * start; Tab completes a path (the longest common prefix of the names that
 * match; a folder gets its '/'); Up/Down walk the history; Enter accepts,
 * Esc (or Ctrl-C, Ctrl-G) cancels.  Pure: curses key codes come in as ints.
 */
#ifndef REEL_UI_PROMPT_H
#define REEL_UI_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#define PROMPT_MAX 1024
#define PROMPT_HISTORY 32

typedef enum { PROMPT_EDITING = 0, PROMPT_ACCEPT, PROMPT_CANCEL } PromptResult;

typedef struct {
    char label[128];       /* "Save as: " */
    char text[PROMPT_MAX];
    int len, pos;          /* bytes; the cursor */
    bool paths;            /* Tab completes paths */
    int purpose;           /* the caller's: what to do with the text */
    char hint[160];        /* shown after a Tab with several matches */
} Prompt;

typedef struct {
    char items[PROMPT_HISTORY][PROMPT_MAX];
    int n;
    int at;                /* while walking: index; n when not */
} PromptHistory;

void prompt_begin(Prompt *p, const char *label, const char *text, bool paths, int purpose);
PromptResult prompt_key(Prompt *p, int ch, PromptHistory *h);
void prompt_history_add(PromptHistory *h, const char *text);

/* Complete the path in text (in place, at most size bytes): returns the
 * number of matches (0: none; 1: completed fully).  With several, *hint
 * lists the first few names. */
int prompt_complete_path(char *text, size_t size, char *hint, size_t hint_size);

#endif
