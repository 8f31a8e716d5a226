/* draw.h — the studio's screen (draw.c): drawn from the state, computing
 * nothing (look.h computes what it shows before the frame). */
#ifndef REEL_UI_DRAW_H
#define REEL_UI_DRAW_H

#include "studio.h"

/* The parts of the screen marked dirty (the caller clears the marks). */
void draw_screen(const Studio *s);

#endif
