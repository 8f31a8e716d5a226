/* grow.h — growing arrays by doubling. */
#ifndef REEL_GROW_H
#define REEL_GROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Grow *arr (items of elem bytes, *cap of them allocated) to hold at least
 * need items, doubling from 16.  False when out of memory or past INT32_MAX
 * items; *arr and *cap are then unchanged. */
bool grow(void **arr, int32_t *cap, int32_t need, size_t elem);

#endif
