/* clock.h — the monotonic clock, for durations (never for dates). */
#ifndef REEL_CLOCK_H
#define REEL_CLOCK_H

#include <stdint.h>

/* Seconds since an arbitrary start (CLOCK_MONOTONIC). */
double now_sec(void);
/* Nanoseconds since the same start. */
uint64_t now_ns(void);

#endif
