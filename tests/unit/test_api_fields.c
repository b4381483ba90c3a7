/* api/backend_fields.c: the one table of backend fields is consistent, and the parser reads
 * every field it says fo_backend keeps into that member. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "fixorigin/api.h"

Suite *api_fields_suite(void);

START_TEST(the_table_is_consistent)
{
    size_t count;
    const fo_backend_field *fields = fo_backend_fields(&count);
    ck_assert_uint_ge(count, 30);
    bool kept_done = false;
    for (size_t i = 0; i < count; i++) {
        const fo_backend_field *f = &fields[i];
        ck_assert_ptr_eq(fo_backend_field_find(f->name), f); /* unique names */
        if (f->slot == FO_SLOT_NONE) {
            kept_done = true;
            ck_assert_msg(!(f->uses & (FO_FIELD_PLANNED | FO_FIELD_SHOWN)),
                          "%s: not kept, yet planned or shown", f->name);
            continue;
        }
        /* Kept fields first (show's order), each in a member of its own. */
        ck_assert_msg(!kept_done, "%s: kept, after one that is not", f->name);
        ck_assert_uint_lt(f->offset, sizeof(fo_backend));
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(fields[j].offset != f->offset, "%s and %s share a member", f->name,
                          fields[j].name);
        bool text =
            f->kind == FO_FIELD_TEXT || f->kind == FO_FIELD_PEM || f->kind == FO_FIELD_SECRET;
        ck_assert_msg(text == (f->slot == FO_SLOT_STRING), "%s: kind and slot disagree", f->name);
        ck_assert_msg(f->kind != FO_FIELD_NUMBER || f->slot == FO_SLOT_LONG, "%s", f->name);
        ck_assert_msg(!f->unit || f->slot == FO_SLOT_LONG, "%s: a unit on no number", f->name);
    }
    ck_assert_ptr_null(fo_backend_field_find("no_such_field"));
    ck_assert_ptr_null(fo_backend_field_find(NULL));
    ck_assert_int_eq(fo_backend_field_find("ssl_client_key")->kind, FO_FIELD_SECRET);
    ck_assert_int_eq(fo_backend_field_find("ssl_check_cert")->absent, 1);
}
END_TEST

/* A backend object with a distinct value in every kept field, parsed: each member holds its
 * own value; absent, each holds the table's default. */
START_TEST(the_parser_reads_every_kept_field)
{
    size_t count;
    const fo_backend_field *fields = fo_backend_fields(&count);
    json_t *obj = json_object();
    for (size_t i = 0; i < count; i++) {
        const fo_backend_field *f = &fields[i];
        char text[64];
        snprintf(text, sizeof(text), "v-%s", f->name);
        if (f->slot == FO_SLOT_STRING)
            json_object_set_new(obj, f->name, json_string(text));
        else if (f->slot == FO_SLOT_LONG)
            json_object_set_new(obj, f->name, json_integer(100 + (json_int_t)i));
        else if (f->slot == FO_SLOT_BOOL)
            json_object_set_new(obj, f->name, json_boolean(!f->absent));
        else if (f->slot == FO_SLOT_TRISTATE)
            json_object_set_new(obj, f->name, json_true());
    }
    char *body = json_dumps(obj, JSON_COMPACT);
    fo_backend *b = NULL;
    fo_error e;
    ck_assert_int_eq(fo_api_parse_backend(&b, body, strlen(body), &e), 0);
    for (size_t i = 0; i < count; i++) {
        const fo_backend_field *f = &fields[i];
        char text[64];
        snprintf(text, sizeof(text), "v-%s", f->name);
        if (f->slot == FO_SLOT_STRING)
            ck_assert_str_eq(fo_backend_text(b, f), text);
        else if (f->slot == FO_SLOT_LONG)
            ck_assert_int_eq(fo_backend_long(b, f), 100 + (long)i);
        else if (f->slot == FO_SLOT_BOOL)
            ck_assert_int_eq(fo_backend_bool(b, f), !f->absent);
        else if (f->slot == FO_SLOT_TRISTATE)
            ck_assert_int_eq(*fo_backend_tristate_slot(b, f), 1);
    }
    fo_backend_free(b);
    free(body);
    json_decref(obj);

    ck_assert_int_eq(fo_api_parse_backend(&b, "{\"name\":\"n\"}", 12, &e), 0);
    for (size_t i = 0; i < count; i++) {
        const fo_backend_field *f = &fields[i];
        if (f->slot == FO_SLOT_STRING && strcmp(f->name, "name") != 0)
            ck_assert_ptr_null(fo_backend_text(b, f));
        else if (f->slot == FO_SLOT_LONG)
            ck_assert_int_eq(fo_backend_long(b, f), -1);
        else if (f->slot == FO_SLOT_BOOL)
            ck_assert_int_eq(fo_backend_bool(b, f), f->absent);
        else if (f->slot == FO_SLOT_TRISTATE)
            ck_assert_int_eq(*fo_backend_tristate_slot(b, f), f->absent);
    }
    fo_backend_free(b);
}
END_TEST

Suite *api_fields_suite(void)
{
    Suite *s = suite_create("api_fields");
    TCase *tc = tcase_create("fields");
    tcase_add_test(tc, the_table_is_consistent);
    tcase_add_test(tc, the_parser_reads_every_kept_field);
    suite_add_tcase(s, tc);
    return s;
}
