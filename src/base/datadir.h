/* datadir.h — where reel's shared files (models/, soundfonts/) are.
 *
 * $REEL_DATA, else PREFIX/share/reel beside an installed binary, else the
 * source tree the binary was built in.  Looked up once; not thread-safe on
 * the first call (call it from main before starting threads).
 */
#ifndef REEL_DATADIR_H
#define REEL_DATADIR_H

/* The folder; a static string, never NULL. */
const char *datadir_path(void);

#endif
