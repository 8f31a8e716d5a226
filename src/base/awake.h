/* awake.h — wall time that leaves out the time the process was suspended.
 *
 * What this module is: a clock for "how long did this take" figures that a
 * SIGSTOP (or Ctrl-Z, or a suspended laptop) must not inflate.  A SIGSTOP
 * cannot be caught, so a watcher thread sleeps AWAKE_TICK_MS at a time and
 * counts every wake-up that came more than AWAKE_GAP_MS late as time the
 * process was not running (a sleeping thread that is merely starved on a
 * busy machine is woken well within that).  What it is not: CPU time (a
 * training that waits for a busy CPU is still training).  Nothing here
 * prints; the watcher only reads the clock.
 */
#ifndef REEL_AWAKE_H
#define REEL_AWAKE_H

#include <stdbool.h>

#define AWAKE_TICK_MS 50
#define AWAKE_GAP_MS 1000

typedef struct Awake Awake;

/* Start watching from now; NULL when no thread can be made (then awake_sec
 * is plain wall time since the start). */
Awake *awake_start(void);
/* Seconds since awake_start, less the time the process was suspended;
 * accepts NULL (0). */
double awake_sec(const Awake *a);
/* Seconds left out so far (accepts NULL: 0). */
double awake_suspended(const Awake *a);
void awake_stop(Awake *a);   /* joins the watcher; accepts NULL */

#endif
