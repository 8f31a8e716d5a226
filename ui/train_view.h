/* train_view.h — the training view's actions and the training thread's
 * events (train_view.c). */
#ifndef REEL_UI_TRAIN_VIEW_H
#define REEL_UI_TRAIN_VIEW_H

#include "studio.h"

/* A key's action in the training view. */
void train_view_action(Studio *s, Action a);
/* Take the training thread's events; true when something changed. */
bool train_view_poll(Studio *s);

#endif
