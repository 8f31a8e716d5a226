/* num.h — numbers as people read and write them: thousands separators and
 * strict parsing of option values. */
#ifndef REEL_NUM_H
#define REEL_NUM_H

#include <stdbool.h>

/* s, all of it, as a decimal whole number from lo to hi (leading blanks
 * allowed, nothing after).  False, *out unchanged, otherwise. */
bool num_long(const char *s, long lo, long hi, long *out);
/* s, all of it (trailing blanks allowed), as a finite number from lo to hi.
 * False, *out unchanged, otherwise. */
bool num_double(const char *s, double lo, double hi, double *out);

/* "1,234,567" into buf (at least 32 bytes).  Returns buf. */
char *num_thousands(long v, char *buf);

#endif
