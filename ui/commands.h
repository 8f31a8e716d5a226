/* commands.h — the ':' commands (commands.c). */
#ifndef REEL_UI_COMMANDS_H
#define REEL_UI_COMMANDS_H

#include "studio.h"

/* Run one command line ("tempo 90", ":seed random"). */
void commands_run(Studio *s, const char *line);
/* The instrument: a GM number (1-128) or a name. */
void commands_set_program(Studio *s, const char *arg);

#endif
