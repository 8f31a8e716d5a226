/* err.h — error values for the core.
 *
 * The core never prints and never exits: every fallible function returns a
 * ReelStatus and, when it fails, fills a caller-owned ReelError with a message
 * that names the file (or argument) and the problem.  Front ends print it.
 */
#ifndef REEL_ERR_H
#define REEL_ERR_H

typedef enum {
    REEL_OK = 0,
    REEL_EIO,          /* open/read/write/rename failed */
    REEL_EFORMAT,      /* the bytes are not what they claim (bad or truncated file) */
    REEL_EUNSUPPORTED, /* valid, but a variant reel does not handle (SMPTE time, format 2) */
    REEL_EEMPTY,       /* nothing usable inside (no tracks, no notes, only drums) */
    REEL_ENOMEM,       /* allocation failed */
    REEL_EARG,         /* bad argument from the caller */
    REEL_ETOOL,        /* an outside program (abc2midi) is missing or failed */
    REEL_ESTOPPED,     /* stopped on request before it was done (generate.h gen_set_stop) */
} ReelStatus;

typedef struct {
    ReelStatus status;
    char msg[512];     /* "PATH: what is wrong"; empty when status is REEL_OK */
} ReelError;

/* Fill *e (may be NULL) and return s.  printf-style message. */
ReelStatus reel_fail(ReelError *e, ReelStatus s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short name of a status: "i/o error", "bad format", ... Static string. */
const char *reel_status_name(ReelStatus s);

/* Reset *e to REEL_OK with an empty message. */
void reel_error_clear(ReelError *e);

#endif
