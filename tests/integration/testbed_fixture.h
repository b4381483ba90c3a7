/* tests/integration/testbed_fixture.h: what integration suites share to drive
 * testbed-origins and the programs under test: start the testbed in a fresh
 * temporary directory, read its manifest, run a program with a deadline and
 * capture what it prints (testbed/origins/harness.h does the process work).
 * Uses jansson for the JSON the programs write. */
#ifndef FO_TESTBED_FIXTURE_H
#define FO_TESTBED_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>

#include "harness.h"

typedef struct fx_testbed {
    tb_harness process;
    const char *dir; /* process.dir */
    char trust_bundle[320];
    json_t *manifest; /* owned */
} fx_testbed;

/* Starts build/bin/testbed-origins (extra_args: NULL-terminated, may be NULL)
 * and waits for its ready line. False (with a message on stderr) on failure. */
bool fx_testbed_start(fx_testbed *tb, const char *const *extra_args);
/* The testbed most suites share: fx_setup (an unchecked fixture) starts it
 * with no extra arguments, fx_teardown stops it; fx_tb_ready says it started. */
extern fx_testbed fx_tb;
extern bool fx_tb_ready;
void fx_setup(void);
void fx_teardown(void);

/* SIGTERM, waits (bounded) and removes the directory. Returns the exit status
 * (0 for a clean shutdown), or -1 when it had to be killed. */
int fx_testbed_stop(fx_testbed *tb);
/* The manifest entry of case `name` (borrowed), or NULL. */
json_t *fx_case(const fx_testbed *tb, const char *name);
const char *fx_case_host(const json_t *entry);
int fx_case_port(const json_t *entry);
/* The entry's setting `key` as a string, or NULL when unset or not a string. */
const char *fx_setting(const json_t *entry, const char *key);

/* A command line being built; argv stays NULL-terminated. */
typedef struct fx_args {
    const char *argv[64];
    int argc;
    char target[300];
    char timeout[32];
} fx_args;

/* Appends one argument (borrowed); ignored when full. */
void fx_args_add(fx_args *a, const char *arg);
/* Appends the `fixorigin probe` options that express the entry's settings,
 * then HOST:PORT. Strings are borrowed from entry or kept in a. */
void fx_probe_args(fx_args *a, const json_t *entry);

/* Runs argv (argv[0] a path) with stdin from /dev/null, capturing stdout and
 * stderr, killing it after timeout_ms. env: extra "K=V" entries (may be NULL).
 * Free with tb_run_free. */
void fx_run_argv(tb_run *out, const char *const *argv, const char *const *env, int timeout_ms);

/* Asserts that narrow (text output at width columns) is wide (the same output unfolded)
 * folded: every line at most width cells, but for one holding a word too long for any
 * line (a fingerprint, a URL), the same words in the same order, and at least one line of
 * wide longer than width (else the test proves nothing). what names the output. */
void fx_assert_folded(const char *narrow, const char *wide, int width, const char *what);

/* Runs `fixorigin probe --json --trust-bundle TRUST <settings> HOST:PORT` for a
 * case and parses its JSON into *json (owned; NULL when not JSON). */
void fx_probe_case(tb_run *run, json_t **json, const fx_testbed *tb, const char *case_name,
                   const char *const *extra_args);

/* Path of a program in build/bin. */
const char *fx_bin(const char *name);

/* True when `name` is found on PATH. */
bool fx_have_program(const char *name);

#endif
