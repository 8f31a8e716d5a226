/* disk.h — saving the melody and opening a model or a seed (disk.c). */
#ifndef REEL_UI_DISK_H
#define REEL_UI_DISK_H

#include "studio.h"

void disk_save(Studio *s, const char *path);
void disk_open(Studio *s, const char *path);
/* A WAV export finished: report it. */
void disk_poll(Studio *s);
void disk_wait(Studio *s);
/* The provenance text of exports. */
void disk_provenance(const Studio *s, char *buf, size_t size);

#endif
