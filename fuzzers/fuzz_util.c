/* What the fuzz targets share. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}
