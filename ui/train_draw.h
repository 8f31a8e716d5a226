/* train_draw.h — the training view's screen (train_draw.c). */
#ifndef REEL_UI_TRAIN_DRAW_H
#define REEL_UI_TRAIN_DRAW_H

#include "studio.h"

/* Rows 1..h-3 and the footer of the training view. */
void train_draw(const Studio *s);

#endif
