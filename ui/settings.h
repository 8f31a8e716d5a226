/* settings.h — what the studio remembers between sessions: soundfont,
 * instrument, tempo, sampling, last model, training choices ...
 *
 * A text file of "key = value" lines ('#' starts a comment) at
 * $XDG_CONFIG_HOME/reel/studio.conf (~/.config/reel/studio.conf when
 * XDG_CONFIG_HOME is unset or not absolute, as the XDG spec says).
 * Unknown keys are kept and written back, so an older reel does not lose
 * a newer one's settings.  Saved through a temporary file and a rename.
 * Pure file code: no curses.
 */
#ifndef REEL_UI_SETTINGS_H
#define REEL_UI_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

typedef struct {
    char key[48];
    char *val;             /* owned */
} SettingsItem;

typedef struct {
    SettingsItem *items;   /* owned, n, in file order */
    int n, cap;
} Settings;

void settings_init(Settings *s);
void settings_free(Settings *s);

/* The settings file's path into buf (folders are not created). */
char *settings_path(char *buf, size_t size);
/* The studio's state folder, $XDG_STATE_HOME/reel (~/.local/state/reel when
 * unset or not absolute), made when missing.  Returns buf. */
char *settings_state_dir(char *buf, size_t size);

/* Read a file into s (added to what s holds).  A missing file is not an
 * error (REEL_OK, nothing read). */
ReelStatus settings_load(Settings *s, const char *path, ReelError *err);
/* Write s to path (the folder is created when missing). */
ReelStatus settings_save(const Settings *s, const char *path, ReelError *err);

/* The value of key, or NULL. */
const char *settings_get(const Settings *s, const char *key);
/* Numbers: the value when it parses and lies in [lo, hi], else dflt. */
double settings_num(const Settings *s, const char *key, double lo, double hi, double dflt);
/* Set (or add) key; values are single lines (line breaks become spaces). */
bool settings_set(Settings *s, const char *key, const char *val);
bool settings_set_num(Settings *s, const char *key, double v);

#endif
