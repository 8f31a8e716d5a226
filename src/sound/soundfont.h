/* soundfont.h — where reel finds a SoundFont (.sf2) and whether a file is one.
 *
 * Pure file-system code: no FluidSynth here (audio.h loads the file).  The
 * lookup order, first usable file wins:
 *   1. the path given on the command line (--soundfont),
 *   2. $REEL_SOUNDFONT,
 *   3. the folders the caller passes (soundfonts/ in the source tree, or
 *      PREFIX/share/reel/soundfonts after `make install`): the first .sf2 or
 *      .sf3 file in name order,
 *   4. the system's GM soundfonts: /usr/share/sounds/sf2/default-GM.sf2,
 *      FluidR3_GM.sf2, TimGM6mb.sf2 (Debian's fluid-soundfont-gm and
 *      timgm6mb-soundfont).
 * A path given explicitly (1 or 2) that does not work is an error, not a
 * reason to fall back: the user asked for that file.  When nothing is found
 * the error lists every place reel looked.
 */
#ifndef REEL_SOUNDFONT_H
#define REEL_SOUNDFONT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define SOUNDFONT_SYSTEM_DIR "/usr/share/sounds/sf2"

typedef struct {
    const char *path;           /* --soundfont, or NULL */
    const char *const *dirs;    /* folders searched after $REEL_SOUNDFONT (borrowed), n_dirs */
    int n_dirs;
    bool no_env;                /* ignore $REEL_SOUNDFONT */
    bool no_system;             /* skip the system files (tests) */
} SoundfontQuery;

/* Find a soundfont: the path goes into out (out_size bytes).  REEL_EIO or
 * REEL_EFORMAT for an explicit path that is missing, unreadable or not a
 * SoundFont; REEL_EEMPTY when no place had one (the message lists them). */
ReelStatus soundfont_find(const SoundfontQuery *q, char *out, size_t out_size, ReelError *err);

/* Check that path is a readable regular file that starts like a SoundFont
 * ("RIFF" size "sfbk").  REEL_EIO (missing, unreadable, a folder) or
 * REEL_EFORMAT (something else); the message names the path. */
ReelStatus soundfont_check(const char *path, ReelError *err);

#endif
