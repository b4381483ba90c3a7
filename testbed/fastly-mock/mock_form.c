/* Form bodies and query strings, decoded the way Fastly's API reads them. */
#include <stdlib.h>
#include <string.h>

#include "mock.h"

/* Decodes in place; plus_is_space for form text, not for path segments. */
static int unescape(char *s, bool plus_is_space)
{
    return fo_percent_decode(s, s, strlen(s), plus_is_space ? FO_PERCENT_PLUS_SPACE : 0, NULL);
}

int fo_mock_unescape_segment(char *segment)
{
    return unescape(segment, false);
}

static char *decode_part(const char *start, size_t len)
{
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    memcpy(s, start, len);
    s[len] = '\0';
    if (unescape(s, true) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

static int form_add(fo_mock_form *form, char *key, char *value)
{
    char **keys = realloc(form->keys, (form->n + 1) * sizeof(*keys));
    if (!keys)
        return FO_ENOMEM;
    form->keys = keys;
    char **values = realloc(form->values, (form->n + 1) * sizeof(*values));
    if (!values)
        return FO_ENOMEM;
    form->values = values;
    form->keys[form->n] = key;
    form->values[form->n] = value;
    form->n++;
    return 0;
}

int fo_mock_form_parse(fo_mock_form *out, const char *text, size_t len, fo_error *err)
{
    memset(out, 0, sizeof(*out));
    if (memchr(text, '\0', len))
        return fo_error_set(err, FO_EINVAL, "the body contains a NUL byte");
    size_t pos = 0;
    while (pos < len) {
        const char *start = text + pos;
        const char *amp = memchr(start, '&', len - pos);
        size_t part = amp ? (size_t)(amp - start) : len - pos;
        pos += part + 1;
        if (part == 0)
            continue;
        const char *eq = memchr(start, '=', part);
        size_t key_len = eq ? (size_t)(eq - start) : part;
        char *key = decode_part(start, key_len);
        char *value = eq ? decode_part(eq + 1, part - key_len - 1) : decode_part("", 0);
        if (!key || !value || form_add(out, key, value) != 0) {
            free(key);
            free(value);
            fo_mock_form_free(out);
            return fo_error_set(err, FO_EINVAL, "malformed form encoding near '%.*s'",
                                (int)(part > 40 ? 40 : part), start);
        }
    }
    return 0;
}

const char *fo_mock_form_get(const fo_mock_form *form, const char *key)
{
    for (size_t i = form->n; i > 0; i--) {
        if (strcmp(form->keys[i - 1], key) == 0)
            return form->values[i - 1];
    }
    return NULL;
}

void fo_mock_form_free(fo_mock_form *form)
{
    if (!form)
        return;
    for (size_t i = 0; i < form->n; i++) {
        free(form->keys[i]);
        free(form->values[i]);
    }
    free(form->keys);
    free(form->values);
    memset(form, 0, sizeof(*form));
}
