/* abc.h — ABC notation in, through Debian's abc2midi.
 *
 * An ABC file may hold many tunes (each starts with "X:").  Each tune is
 * cleaned the way ../shared/corpus/ryans-mammoth/SOURCE.md found necessary
 * (e-mail quoted-printable damage undone, R: commented out so hornpipes are
 * not swung, staccato dots, rolls, trills and other decorations removed,
 * invisible bar lines removed — only in tune-body lines, never inside "..."
 * or !...!), converted by `abc2midi FILE -NGUI -NGRA -NFER -o OUT` in a
 * private temporary folder, and read back as MIDI bytes.  Nothing is
 * printed: abc2midi's output is captured and its error lines kept.
 */
#ifndef REEL_ABC_H
#define REEL_ABC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct {
    char *title;          /* owned: T: of the tune, or NULL */
    int x;                /* its X: number */
    uint8_t *midi;        /* owned: the MIDI bytes abc2midi wrote; NULL if it failed */
    size_t midi_len;
    char *warnings;       /* owned: abc2midi's error/warning lines, or NULL */
    ReelError err;        /* why midi is NULL */
} AbcTune;

typedef struct {
    AbcTune *tunes;       /* owned */
    int n;
} AbcFile;

/* Apply the clean-ups to one tune's text.  Returns a new string (caller frees)
 * or NULL when out of memory. */
char *abc_clean(const char *text, size_t len);

/* Is abc2midi on PATH?  Fills err with how to install it when not. */
ReelStatus abc_tool_check(ReelError *err);

/* Split path into tunes and convert each.  Fails as a whole only when the
 * file cannot be read or holds no tune; a tune abc2midi cannot convert gets
 * its own err.  Free with abc_file_free. */
ReelStatus abc_convert_file(const char *path, AbcFile *out, ReelError *err);
void abc_file_free(AbcFile *f);

#endif
