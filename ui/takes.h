/* takes.h — making takes (takes.c): start, the slices of rows, redrawing. */
#ifndef REEL_UI_TAKES_H
#define REEL_UI_TAKES_H

#include "studio.h"

#define TAKES_SLICE_SEC 0.008    /* rows made between two looks at the keyboard */
#define TAKES_FIRST_SEC 0.020    /* ... when a take starts (the first bars at once) */

/* A model is loaded (else the status line says how to get one). */
bool takes_need_model(Studio *s);
/* A new take from the seed; play: from the bar before it once it is made.
 * Made by the worker (genwork.h): takes_tick puts it in the song. */
void takes_start(Studio *s, bool play);
/* Once a turn, after the keys: a take the worker made goes into the song;
 * options changed and n asked this turn are done (once, however many
 * keys asked). */
void takes_tick(Studio *s);
/* Make rows for budget seconds; decode them into the song when some came. */
void takes_pump(Studio *s, double budget);
/* n: the bars not heard yet (all of the take when stopped) with a new
 * random stream (at the turn's end: takes_tick). */
void takes_redraw(Studio *s);
/* The sampling options changed (what: for the status line): while a take
 * plays, the bars not heard yet are drawn again (at the turn's end). */
void takes_options_changed(Studio *s, const char *what);
/* Continuous mode: the step the take should reach with the playhead at `at`. */
int32_t takes_continuous_target(const Studio *s, double at);

#endif
