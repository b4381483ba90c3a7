#include "scanserve_fixture.h"

#include <check.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void ss_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *fleet_state(const fx_testbed *tb, const ss_service *services, size_t count,
                         const ss_comment *comments, size_t comment_count)
{
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++) {
        json_t *backends = json_array();
        for (int j = 0; j < SS_MAX_BACKENDS && services[i].cases[j]; j++) {
            char name[16];
            snprintf(name, sizeof(name), "b%d", j);
            json_array_append_new(backends, fix_case_backend(tb, services[i].cases[j], name));
        }
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:[{s:i, s:b, s:b, s:s, s:o, s:[{s:s}]}]}", "id",
                            services[i].id, "name", services[i].id, "type", "vcl", "versions",
                            "number", 1, "active", 1, "locked", 1, "comment", "", "backends",
                            backends, "domains", "name", "www.origin.test"));
        for (size_t c = 0; c < comment_count; c++) {
            if (strcmp(comments[c].service_id, services[i].id) != 0)
                continue;
            json_t *service = json_array_get(list, i);
            json_t *version = json_array_get(json_object_get(service, "versions"), 0);
            json_object_set_new(service, "comment",
                                json_string(comments[c].comment ? comments[c].comment : ""));
            json_object_set_new(
                version, "comment",
                json_string(comments[c].version_comment ? comments[c].version_comment : ""));
        }
    }
    json_t *state = json_pack("{s:s, s:o}", "customer_id", "CUST0FLEET", "services", list);
    char *text = json_dumps(state, JSON_COMPACT);
    json_decref(state);
    return text;
}

void ss_fleet_start(ss_fleet *f, const ss_service *services, size_t count,
                    const char *const *mock_args)
{
    ss_fleet_start_comments(f, services, count, NULL, 0, mock_args);
}

void ss_fleet_start_comments(ss_fleet *f, const ss_service *services, size_t count,
                             const ss_comment *comments, size_t comment_count,
                             const char *const *mock_args)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/fo-scanserve-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    snprintf(f->state_dir, sizeof(f->state_dir), "%s/state", f->dir);
    ck_assert_msg(fx_testbed_start(&f->tb, NULL), "testbed-origins did not start");
    char *state = fleet_state(&f->tb, services, count, comments, comment_count);
    mock_start(&f->mock, state, mock_args);
    free(state);
    snprintf(f->env_endpoint, sizeof(f->env_endpoint), "FASTLY_API_ENDPOINT=http://127.0.0.1:%u",
             f->mock.port);
    snprintf(f->env_token, sizeof(f->env_token), "FASTLY_API_TOKEN=%s", MOCK_TOKEN);
    snprintf(f->env_trust, sizeof(f->env_trust), "FIXORIGIN_TRUST_BUNDLE=%s", f->tb.trust_bundle);
    f->env[0] = f->env_endpoint;
    f->env[1] = f->env_token;
    f->env[2] = f->env_trust;
    f->env[3] = NULL;
}

void ss_fleet_stop(ss_fleet *f)
{
    mock_cleanup(&f->mock);
    int status = fx_testbed_stop(&f->tb);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_msg(status == 0, "testbed-origins stopped with status %d", status);
}

void ss_assert_valid(const ss_fleet *f, const char *schema, const char *text, bool ndjson,
                     const char *what)
{
    char path[300], cmd[1200];
    snprintf(path, sizeof(path), "%s/contract.json", f->dir);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
    snprintf(cmd, sizeof(cmd),
             "python3 '%s/tests/contracts/check_json.py' '%s/docs/schemas' '%s' '%s'%s",
             FO_SOURCE_DIR, FO_SOURCE_DIR, schema, path, ndjson ? " --ndjson" : "");
    int status = system(cmd);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s: output not valid against %s (see stderr):\n%.2000s", what, schema, text);
}

void ss_assert_no_token(const char *text, const char *what)
{
    ck_assert_msg(!text || !strstr(text, MOCK_TOKEN), "%s shows the Fastly token", what);
}

/* argv of fixorigin args and env of the fleet plus extra, into fixed arrays. */
static void build(const char **argv, size_t argv_max, const char **env, size_t env_max,
                  const ss_fleet *f, const char *const *args, const char *const *extra_env)
{
    size_t n = 0, e = 0;
    argv[n++] = fx_bin("fixorigin");
    for (; args && *args && n + 1 < argv_max; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    for (size_t i = 0; f->env[i] && e + 1 < env_max; i++)
        env[e++] = f->env[i];
    for (; extra_env && *extra_env && e + 1 < env_max; extra_env++)
        env[e++] = *extra_env;
    env[e] = NULL;
}

int ss_fixorigin(tb_run *run, const ss_fleet *f, const char *const *args,
                 const char *const *extra_env, int timeout_ms)
{
    const char *argv[64], *env[16];
    build(argv, 64, env, 16, f, args, extra_env);
    /* fx_bin's buffer is static: keep our own copy of the program's path. */
    char program[512];
    snprintf(program, sizeof(program), "%s", argv[0]);
    argv[0] = program;
    fx_run_argv(run, argv, env, timeout_ms);
    ss_assert_no_token(run->out, "stdout");
    ss_assert_no_token(run->err, "stderr");
    /* Built with sanitizers, a report is a failure whatever the exit code says. */
    ck_assert_msg(!strstr(run->err, "Sanitizer") && !strstr(run->err, "runtime error"), "%s",
                  run->err);
    return run->exit_code;
}

json_t *ss_ndjson(const char *text)
{
    json_t *lines = json_array();
    for (const char *line = text; line && *line;) {
        size_t len = strcspn(line, "\n");
        if (len > 0) {
            json_error_t jerr;
            json_t *obj = json_loadb(line, len, 0, &jerr);
            ck_assert_msg(obj != NULL, "not a JSON line (%s): %.*s", jerr.text, (int)len, line);
            json_array_append_new(lines, obj);
        }
        line += len + (line[len] == '\n');
    }
    return lines;
}

json_t *ss_report(const json_t *reports, const char *id)
{
    size_t i;
    json_t *r;
    json_array_foreach(reports, i, r)
    {
        const char *sid = json_string_value(json_object_get(json_object_get(r, "service"), "id"));
        if (sid && strcmp(sid, id) == 0)
            return r;
    }
    return NULL;
}

void ss_spawn(ss_proc *p, const ss_fleet *f, const char *name, const char *const *args,
              const char *const *extra_env)
{
    const char *argv[64], *env[16];
    build(argv, 64, env, 16, f, args, extra_env);
    snprintf(p->out, sizeof(p->out), "%s/%s.out", f->dir, name);
    snprintf(p->err, sizeof(p->err), "%s/%s.err", f->dir, name);
    /* A program of the same name may have run before: its output must not be read as this
     * one's before the child opens the files anew. */
    unlink(p->out);
    unlink(p->err);
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        /* A failed assertion ends the test: the program must not outlive it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int out = open(p->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(p->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_RDONLY);
        if (out < 0 || err < 0 || null < 0)
            _exit(126);
        dup2(null, 0);
        dup2(out, 1);
        dup2(err, 2);
        for (size_t i = 0; env[i]; i++)
            putenv((char *)env[i]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
}

int ss_wait(ss_proc *p, int timeout_ms)
{
    int status = 0;
    if (p->pid <= 0)
        return -1;
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        ss_sleep_ms(10);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
    p->pid = 0;
    return -1;
}

int ss_stop(ss_proc *p, int timeout_ms)
{
    if (p->pid > 0)
        kill(p->pid, SIGTERM);
    return ss_wait(p, timeout_ms);
}

size_t ss_log_count(const ss_fleet *f, const char *method, const char *glob)
{
    json_t *log = mock_log(&f->mock);
    size_t i, count = 0;
    json_t *line;
    json_array_foreach(log, i, line)
    {
        const char *m = json_string_value(json_object_get(line, "method"));
        const char *path = json_string_value(json_object_get(line, "path"));
        count += m && path && strcmp(m, method) == 0 && fnmatch(glob, path, FNM_PATHNAME) == 0;
    }
    json_decref(log);
    return count;
}

void ss_serve_start(ss_serve *s, const ss_fleet *f, const char *const *args,
                    const char *const *extra_env)
{
    const char *argv[32] = {"serve", "--listen", "127.0.0.1:0", "--state-dir", f->state_dir};
    size_t n = 5;
    for (; args && *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    memset(s, 0, sizeof(*s));
    ss_spawn(&s->proc, f, "serve", argv, extra_env);
    const char *marker = "listening on http://127.0.0.1:";
    for (int waited = 0; waited < 30000; waited += 20) {
        char *out = read_file(s->proc.out);
        const char *at = out ? strstr(out, marker) : NULL;
        if (at && strchr(at, '\n'))
            s->port = (unsigned)strtoul(at + strlen(marker), NULL, 10);
        free(out);
        if (s->port)
            return;
        ss_sleep_ms(20);
    }
    char *err = read_file(s->proc.err);
    ck_abort_msg("fixorigin serve did not start: %s", err ? err : "?");
}

void ss_serve_stop(ss_serve *s)
{
    int code = ss_stop(&s->proc, 30000);
    char *out = read_file(s->proc.out);
    char *err = read_file(s->proc.err);
    ss_assert_no_token(out, "serve's stdout");
    ss_assert_no_token(err, "serve's stderr");
    bool clean = code == 0 && !(err && (strstr(err, "Sanitizer") || strstr(err, "runtime error")));
    char said[2048];
    snprintf(said, sizeof(said), "%s", err ? err : "");
    free(out);
    free(err);
    ck_assert_msg(clean, "fixorigin serve stopped with %d: %s", code, said);
}

void ss_http(http_resp *out, unsigned port, const char *method, const char *path,
             const char *const *headers, const char *body, bool chunked)
{
    http_request(out, port, method, path, headers, body, chunked, 120000);
    ss_assert_no_token(out->body, "a response");
}

char *ss_run_on_terminal(const ss_fleet *f, const char *const *args, const char *const *answers,
                         int *status, int *asked)
{
    const char *argv[64], *env[16];
    build(argv, 64, env, 16, f, args, NULL);
    char *text = fix_run_on_terminal(argv, env, answers, 120000, status, asked);
    ss_assert_no_token(text, "the terminal");
    return text;
}
