/* Fuzzes what fixorigin serve reads from a request (serve/serve_input.c, serve_auth.c): the
 * JSON API's bodies for each action, the fields of a form body, and an Authorization
 * header. Nothing crashes or leaks; a body accepted names a valid service id (and, to
 * apply, a valid plan id); a header is accepted only when it carries the token. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/serve.h"
#include "fuzz_util.h"

static const char token[] = "fuzz-token-0123456789abcdef";

static void json_bodies(const char *body, size_t size)
{
    const fo_serve_action actions[] = {FO_SERVE_DIAGNOSE, FO_SERVE_PLAN, FO_SERVE_APPLY};
    for (size_t i = 0; i < 3; i++) {
        fo_serve_command cmd;
        fo_error err;
        if (fo_serve_json_parse(&cmd, actions[i], body, size, &err) != 0)
            continue;
        if (cmd.action != actions[i] || !fo_api_service_id_valid(cmd.service_id))
            abort();
        if (actions[i] == FO_SERVE_APPLY && !fo_serve_plan_ref_valid(cmd.plan_id))
            abort();
    }
}

static void form_fields(const char *body, size_t size)
{
    static const char *const keys[] = {"text", "user_id", "response_url", "payload", "x"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        char *value = NULL;
        fo_error err;
        if (fo_serve_form_value(&value, body, size, keys[i], &err) == 0 && value &&
            strlen(value) > size)
            abort(); /* decoding never lengthens */
        free(value);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    json_bodies(body, size);
    form_fields(body, size);
    /* The same bytes as an Authorization header. */
    char *header = fuzz_text(data, size);
    if (!header)
        return 0;
    if (fo_serve_bearer_ok(token, header) && !strstr(header, token))
        abort();
    free(header);
    return 0;
}
