#include "testbed_fixture.h"

#include <check.h>
#include <ctype.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixorigin/fo.h"

enum { START_MS = 30000 };

const char *fx_bin(const char *name)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", FO_BIN_DIR, name);
    return path;
}

bool fx_have_program(const char *name)
{
    const char *path = getenv("PATH");
    char buf[1024];
    while (path && *path) {
        size_t len = strcspn(path, ":");
        buf[0] = '\0';
        if (len + strlen(name) + 2 <= sizeof(buf) &&
            fo_str_appendf(buf, sizeof(buf), "%.*s/%s", (int)len, path, name) > 0 &&
            access(buf, X_OK) == 0)
            return true;
        path += len + (path[len] == ':');
    }
    return false;
}

bool fx_testbed_start(fx_testbed *tb, const char *const *extra_args)
{
    memset(tb, 0, sizeof(*tb));
    fo_error err;
    if (tb_harness_start(&tb->process, fx_bin("testbed-origins"), extra_args, START_MS, &err) !=
        FO_OK) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        return false;
    }
    tb->dir = tb->process.dir;
    snprintf(tb->trust_bundle, sizeof(tb->trust_bundle), "%s/trust.pem", tb->dir);
    json_error_t jerr;
    tb->manifest = json_load_file(tb->process.manifest, 0, &jerr);
    if (!tb->manifest)
        fprintf(stderr, "fixture: manifest %s: %s\n", tb->process.manifest, jerr.text);
    return tb->manifest != NULL;
}

int fx_testbed_stop(fx_testbed *tb)
{
    json_decref(tb->manifest);
    tb->manifest = NULL;
    return tb_harness_stop(&tb->process);
}

fx_testbed fx_tb;
bool fx_tb_ready;

void fx_setup(void)
{
    fx_tb_ready = fx_testbed_start(&fx_tb, NULL);
}

void fx_teardown(void)
{
    int status = fx_testbed_stop(&fx_tb);
    if (status != 0)
        fprintf(stderr, "fixture: testbed-origins stopped with status %d\n", status);
}

json_t *fx_case(const fx_testbed *tb, const char *name)
{
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(tb->manifest, "cases"), i, entry)
    {
        if (strcmp(json_string_value(json_object_get(entry, "case")), name) == 0)
            return entry;
    }
    return NULL;
}

const char *fx_case_host(const json_t *entry)
{
    return json_string_value(json_object_get(entry, "host"));
}

int fx_case_port(const json_t *entry)
{
    return (int)json_integer_value(json_object_get(entry, "port"));
}

const char *fx_setting(const json_t *entry, const char *key)
{
    return json_string_value(json_object_get(json_object_get(entry, "settings"), key));
}

void fx_run_argv(tb_run *out, const char *const *argv, const char *const *env, int timeout_ms)
{
    tb_harness_run(out, argv, env, true, timeout_ms);
}

void fx_args_add(fx_args *a, const char *arg)
{
    if (a->argc < (int)(sizeof(a->argv) / sizeof(a->argv[0])) - 1)
        a->argv[a->argc++] = arg;
    a->argv[a->argc] = NULL;
}

void fx_probe_args(fx_args *a, const json_t *entry)
{
    static const struct {
        const char *key;
        const char *option;
    } options[] = {
        {"ssl_sni_hostname", "--sni"},    {"ssl_cert_hostname", "--cert-hostname"},
        {"ssl_ca_cert", "--ca-file"},     {"min_tls_version", "--min-tls"},
        {"max_tls_version", "--max-tls"}, {"ssl_ciphers", "--ciphers"},
    };
    json_t *settings = json_object_get(entry, "settings");
    /* A case is a backend: its fields exactly, nothing taken from the host's name. */
    fx_args_add(a, "--as-backend");
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        const char *value = fx_setting(entry, options[i].key);
        if (value) {
            fx_args_add(a, options[i].option);
            fx_args_add(a, value);
        }
    }
    json_t *connect_timeout = json_object_get(settings, "connect_timeout");
    if (connect_timeout) {
        snprintf(a->timeout, sizeof(a->timeout), "%lld",
                 (long long)json_integer_value(connect_timeout));
        fx_args_add(a, "--connect-timeout");
        fx_args_add(a, a->timeout);
    }
    if (json_is_false(json_object_get(settings, "ssl_check_cert")))
        fx_args_add(a, "--no-check-cert");
    if (json_is_false(json_object_get(settings, "use_ssl")))
        fx_args_add(a, "--no-tls");
    if (json_is_true(json_object_get(settings, "prefer_ipv6")))
        fx_args_add(a, "--prefer-ipv6");
    /* A name with several addresses resolves through the testbed's hosts file. */
    const char *hosts = json_string_value(json_object_get(entry, "hosts_file"));
    if (hosts) {
        fx_args_add(a, "--hosts");
        fx_args_add(a, hosts);
    }
    bool v6 = strchr(fx_case_host(entry), ':') != NULL;
    snprintf(a->target, sizeof(a->target), "%s%s%s:%d", v6 ? "[" : "", fx_case_host(entry),
             v6 ? "]" : "", fx_case_port(entry));
    fx_args_add(a, a->target);
}

void fx_probe_case(tb_run *run, json_t **json, const fx_testbed *tb, const char *case_name,
                   const char *const *extra_args)
{
    fx_args a = {.argc = 0};
    const char *fixed[] = {fx_bin("fixorigin"), "probe", "--json", "--trust-bundle",
                           tb->trust_bundle};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        fx_args_add(&a, fixed[i]);
    for (; extra_args && *extra_args; extra_args++)
        fx_args_add(&a, *extra_args);
    json_t *entry = fx_case(tb, case_name);
    if (entry)
        fx_probe_args(&a, entry);
    /* Generous: the slowest case waits for a timeout and a late answer. */
    fx_run_argv(run, a.argv, NULL, 30000);
    *json = json_loads(run->out, 0, NULL);
}

/* Display cells of a line (UTF-8 code points; no colour off a terminal). */
static size_t line_cells(const char *line, size_t len)
{
    size_t cells = 0;
    for (size_t i = 0; i < len; i++)
        cells += ((unsigned char)line[i] & 0xc0) != 0x80;
    return cells;
}

/* The next whitespace-separated word at *p (advanced past it); false at the end. */
static bool next_word(const char **p, const char **word, size_t *len)
{
    while (**p && isspace((unsigned char)**p))
        (*p)++;
    if (!**p)
        return false;
    *word = *p;
    while (**p && !isspace((unsigned char)**p))
        (*p)++;
    *len = (size_t)(*p - *word);
    return true;
}

/* Whether two words are the same but for their numbers (timings differ between runs). */
static bool same_but_numbers(const char *a, size_t la, const char *b, size_t lb)
{
    size_t i = 0, j = 0;
    while (i < la && j < lb) {
        bool da = isdigit((unsigned char)a[i]), db = isdigit((unsigned char)b[j]);
        if (da && db) {
            while (i < la && isdigit((unsigned char)a[i]))
                i++;
            while (j < lb && isdigit((unsigned char)b[j]))
                j++;
        } else if (a[i++] != b[j++]) {
            return false;
        }
    }
    return i == la && j == lb;
}

void fx_assert_folded(const char *narrow, const char *wide, int width, const char *what)
{
    ck_assert_msg(narrow && wide, "%s: no output", what);
    bool wide_has_long = false;
    for (const char *line = wide; *line;) {
        size_t len = strcspn(line, "\n");
        wide_has_long |= line_cells(line, len) > (size_t)width;
        line += len + (line[len] == '\n');
    }
    ck_assert_msg(wide_has_long, "%s: no line of the unfolded output is over %d columns:\n%s", what,
                  width, wide);
    for (const char *line = narrow; *line;) {
        size_t len = strcspn(line, "\n");
        if (line_cells(line, len) > (size_t)width) {
            /* Allowed only for a word that fits no line: the longest word is over half. */
            size_t longest = 0, wlen = 0;
            const char *word = NULL;
            char copy[4096];
            snprintf(copy, sizeof(copy), "%.*s", (int)(len < sizeof(copy) ? len : 4095), line);
            for (const char *p = copy; next_word(&p, &word, &wlen);)
                longest = wlen > longest ? wlen : longest;
            ck_assert_msg(longest > (size_t)width / 2, "%s: a line of %zu columns (over %d):\n%.*s",
                          what, line_cells(line, len), width, (int)len, line);
        }
        line += len + (line[len] == '\n');
    }
    const char *a = narrow, *b = wide, *wa = NULL, *wb = NULL;
    size_t la = 0, lb = 0;
    for (;;) {
        bool more_a = next_word(&a, &wa, &la), more_b = next_word(&b, &wb, &lb);
        ck_assert_msg(more_a == more_b, "%s: folding lost or added words", what);
        if (!more_a)
            break;
        ck_assert_msg(same_but_numbers(wa, la, wb, lb), "%s: '%.*s' folded to '%.*s'", what,
                      (int)lb, wb, (int)la, wa);
    }
}
