/* Fuzzes the reader of scan --ack files (fo_scan_acks_read, scan/scan_ack.c): a file a person
 * writes and a scheduler reads unattended. Any bytes are read without a crash or a leak;
 * what is accepted is whole (a service id, a backend, a class and a reason on every entry)
 * and can be looked up. */
#define _GNU_SOURCE /* fmemopen */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/scan.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0; /* fmemopen refuses an empty buffer; an empty file is the empty list */
    /* The bytes as the file they would be: the reader reads a stream line by line. */
    FILE *f = fmemopen((void *)(uintptr_t)data, size, "r");
    if (!f)
        return 0;
    fo_scan_acks acks;
    fo_error err;
    if (fo_scan_acks_read(&acks, f, "acks.txt", &err) == 0) {
        for (size_t i = 0; i < acks.count; i++) {
            const fo_scan_ack *a = &acks.items[i];
            if (!a->service_id || !fo_api_service_id_valid(a->service_id) || !a->backend ||
                !a->class_id || !a->reason || !*a->reason || a->expires < 0)
                abort();
            bool expired = false;
            const fo_scan_ack *found =
                fo_scan_acks_find(&acks, a->service_id, a->backend, a->class_id, 0, &expired);
            if (!found || expired)
                abort(); /* at time 0 nothing has expired */
        }
        fo_scan_acks_clear(&acks);
    }
    fclose(f);
    return 0;
}
