/* libfuzzer.c — the libFuzzer entry for one target, chosen at compile time
 * with -DFUZZ_ENTRY=fuzz_midi (see the Makefile's fuzz block). */
#include "fuzz.h"

#ifndef FUZZ_ENTRY
#error "compile with -DFUZZ_ENTRY=fuzz_<target>"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return FUZZ_ENTRY(data, size);
}
