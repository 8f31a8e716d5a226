/* watch.h — the model file in use, watched for changes on disk (watch.c). */
#ifndef REEL_UI_WATCH_H
#define REEL_UI_WATCH_H

#include "studio.h"

/* Look at the folder's events (or stat the file now and then): a changed
 * file that loads replaces the model, one that does not is named. */
void watch_tick(Studio *s, double now);
/* Seconds until the watch wants a look into *sec (may be negative: now);
 * false: only when the folder says so. */
bool watch_due(double now, double *sec);
/* The inotify descriptor the loop polls (negative: none). */
int watch_fd(void);
void watch_close(void);

#endif
