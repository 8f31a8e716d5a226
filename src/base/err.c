/* err.c — see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

ReelStatus reel_fail(ReelError *e, ReelStatus s, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->status = s;
    }
    return s;
}

void reel_error_clear(ReelError *e)
{
    if (e) {
        e->status = REEL_OK;
        e->msg[0] = '\0';
    }
}

const char *reel_status_name(ReelStatus s)
{
    switch (s) {
    case REEL_OK: return "ok";
    case REEL_EIO: return "i/o error";
    case REEL_EFORMAT: return "bad format";
    case REEL_EUNSUPPORTED: return "unsupported";
    case REEL_EEMPTY: return "nothing usable";
    case REEL_ENOMEM: return "out of memory";
    case REEL_EARG: return "bad argument";
    case REEL_ETOOL: return "tool failed";
    case REEL_ESTOPPED: return "stopped";
    }
    return "unknown error";
}
