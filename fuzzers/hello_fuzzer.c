/* libFuzzer target for the ServerHello parser: it must never read outside its input, and
 * a decision made on a prefix must not change when more bytes arrive (the probe parses
 * as bytes come in). */
#include <stdint.h>
#include <stdlib.h>

#include "probe_hello.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fo_hello_reply full;
    fo_hello_parse(&full, data, size);
    /* Parse a copy of exactly size bytes so ASan catches any read past the end. */
    for (size_t cut = 0; cut < size; cut += 1 + cut / 4) {
        uint8_t *prefix = malloc(cut ? cut : 1);
        if (!prefix)
            return 0;
        for (size_t i = 0; i < cut; i++)
            prefix[i] = data[i];
        fo_hello_reply part;
        fo_hello_parse(&part, prefix, cut);
        free(prefix);
        if (part.status != FO_HELLO_INCOMPLETE && part.status != full.status)
            abort();
        if ((part.status == FO_HELLO_SERVER_HELLO || part.status == FO_HELLO_RETRY_REQUEST) &&
            (part.version != full.version || part.cipher != full.cipher))
            abort();
    }
    return 0;
}
