/* gm.h — General MIDI program names (gm.c): for the instrument prompt and
 * the header when no soundfont is loaded to ask.  Programs are 0-based. */
#ifndef REEL_UI_GM_H
#define REEL_UI_GM_H

#include <stddef.h>

/* The program's name into buf ("?" when out of range). */
const char *studio_program_name(int program, char *buf, size_t size);
/* A program from "1".."128" or a name (a unique prefix will do); -1: none. */
int studio_program_parse(const char *s);

#endif
