/* actions.h — the studio view's key actions (actions.c). */
#ifndef REEL_UI_ACTIONS_H
#define REEL_UI_ACTIONS_H

#include "look.h"
#include "studio.h"

/* Do what action a (from key ch) means in the studio view. */
void actions_run(Studio *s, Action a, int ch);
/* q: quit, asking first when training runs or the melody is not saved. */
void studio_ask_quit(Studio *s);
/* The melody has changes not saved. */
bool studio_unsaved(const Studio *s);

#endif
