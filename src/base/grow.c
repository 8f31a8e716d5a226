/* grow.c — growing arrays by doubling (grow.h). */
#include <stdlib.h>

#include "grow.h"

bool grow(void **arr, int32_t *cap, int32_t need, size_t elem)
{
    int32_t c = *cap ? *cap : 16;
    void *p;
    if (need <= *cap)
        return true;
    while (c < need) {
        if (c > INT32_MAX / 2)
            return false;
        c *= 2;
    }
    p = realloc(*arr, (size_t)c * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = c;
    return true;
}
