/* What the fuzz targets share (fuzzers/fuzz_util.c). */
#ifndef FO_FUZZ_UTIL_H
#define FO_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point, which every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as the C string a parser of text gets: a new copy, ended by a NUL (text stops
 * at the first NUL of the input, as it would in the program). NULL when out of memory. */
char *fuzz_text(const uint8_t *data, size_t size);

#endif
