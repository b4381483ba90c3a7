#include "mock_harness.h"

#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixorigin/fo.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    fo_buf buf = {0};
    char chunk[8192];
    size_t n;
    if (!f)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (fo_buf_append(&buf, chunk, n) != 0)
            break;
    }
    fclose(f);
    return fo_buf_steal(&buf);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

const char *mock_path(const mock_proc *m, const char *name)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", m->dir, name);
    return path;
}

static char *example_state(void)
{
    char tmp[] = "/tmp/fo-mock-example-XXXXXX";
    int fd = mkstemp(tmp);
    ck_assert_int_ge(fd, 0);
    close(fd);
    const char *argv[] = {FO_BIN_DIR "/fastly-mock", "--example-state", NULL};
    int status = run_command(argv, NULL, tmp, 10);
    ck_assert_int_eq(status, 0);
    char *text = read_file(tmp);
    unlink(tmp);
    return text;
}

void mock_start(mock_proc *m, const char *state, const char *const *extra)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->dir, sizeof(m->dir), "/tmp/fo-mock-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(m->dir));
    char *example = state ? NULL : example_state();
    write_file(mock_path(m, "state.json"), state ? state : example);
    free(example);

    char state_path[512], port_path[512], log_path[512], out_path[512], err_path[512];
    snprintf(state_path, sizeof(state_path), "%s/state.json", m->dir);
    snprintf(port_path, sizeof(port_path), "%s/port", m->dir);
    snprintf(log_path, sizeof(log_path), "%s/log.jsonl", m->dir);
    snprintf(out_path, sizeof(out_path), "%s/out.json", m->dir);
    snprintf(err_path, sizeof(err_path), "%s/stderr", m->dir);
    const char *argv[64] = {FO_BIN_DIR "/fastly-mock",
                            "--listen",
                            "127.0.0.1:0",
                            "--state",
                            state_path,
                            "--port-file",
                            port_path,
                            "--log",
                            log_path,
                            "--write-state",
                            out_path,
                            "--token",
                            MOCK_TOKEN};
    size_t n = 13;
    for (size_t i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;

    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* A failed assertion ends the test process: the mock must not outlive it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    m->pid = pid;
    for (int waited = 0; waited < 10000; waited += 20) {
        char *text = read_file(port_path);
        if (text && text[0]) {
            m->port = (unsigned)strtoul(text, NULL, 10);
            free(text);
            return;
        }
        free(text);
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            m->pid = 0;
            char *err = read_file(err_path);
            ck_abort_msg("fastly-mock exited at start: %s", err ? err : "?");
        }
        sleep_ms(20);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    m->pid = 0;
    ck_abort_msg("fastly-mock did not write its port file in 10 s");
}

static int wait_exit(pid_t pid, int timeout_ms)
{
    int status;
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0)
            return -1;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

int mock_stop(mock_proc *m)
{
    if (m->pid <= 0)
        return -1;
    kill(m->pid, SIGTERM);
    int status = wait_exit(m->pid, 10000);
    m->pid = 0;
    return status;
}

/* Removes a directory and what it holds (the CLI writes a HOME tree inside ours). */
static void remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            char child[1024];
            struct stat st;
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                continue;
            snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(child);
            else
                unlink(child);
        }
        closedir(dir);
    }
    rmdir(path);
}

void mock_cleanup(mock_proc *m)
{
    /* A clean stop, and nothing from the sanitizers when the mock was built with them. */
    int status = m->pid > 0 ? mock_stop(m) : 0;
    char *err = m->dir[0] ? read_file(mock_path(m, "stderr")) : NULL;
    bool clean =
        status == 0 && !(err && (strstr(err, "Sanitizer") || strstr(err, "runtime error")));
    char said[2048];
    snprintf(said, sizeof(said), "%s", err ? err : "");
    free(err);
    if (m->dir[0])
        remove_tree(m->dir);
    m->dir[0] = '\0';
    ck_assert_msg(clean, "fastly-mock stopped with status %d: %s", status, said);
}

json_t *mock_log(const mock_proc *m)
{
    char *text = read_file(mock_path(m, "log.jsonl"));
    json_t *lines = json_array();
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        /* The mock may be writing its last line as we read: a line is whole once its newline
         * is there, and the next read sees the rest. */
        if (!next)
            break;
        *next++ = '\0';
        json_error_t jerr;
        json_t *obj = json_loads(line, 0, &jerr);
        ck_assert_msg(obj != NULL, "bad log line '%s': %s", line, jerr.text);
        json_array_append_new(lines, obj);
    }
    free(text);
    return lines;
}

/* ---- HTTP ---- */

static size_t collect(char *data, size_t size, size_t n, void *userdata)
{
    fo_buf *buf = userdata;
    return fo_buf_append(buf, data, size * n) == 0 ? size * n : 0;
}

/* Feeds a body to libcurl in small pieces (a chunked upload). */
typedef struct upload {
    const char *data;
    size_t left;
} upload;

static size_t feed(char *buffer, size_t size, size_t n, void *userdata)
{
    upload *u = userdata;
    size_t take = size * n < 1000 ? size * n : 1000;
    if (take > u->left)
        take = u->left;
    memcpy(buffer, u->data, take);
    u->data += take;
    u->left -= take;
    return take;
}

void http_request(http_resp *out, unsigned port, const char *method, const char *path,
                  const char *const *headers, const char *body, bool chunked, long timeout_ms)
{
    char url[1024];
    fo_buf body_buf = {0}, head_buf = {0};
    struct curl_slist *list = NULL;
    upload u = {body, body ? strlen(body) : 0};
    memset(out, 0, sizeof(*out));
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    CURL *curl = curl_easy_init();
    ck_assert_ptr_nonnull(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body_buf);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &head_buf);
    for (; headers && *headers; headers++)
        list = curl_slist_append(list, *headers);
    list = curl_slist_append(list, "Expect:");
    if (body && chunked) {
        list = curl_slist_append(list, "Transfer-Encoding: chunked");
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, feed);
        curl_easy_setopt(curl, CURLOPT_READDATA, &u);
    } else if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    CURLcode code = curl_easy_perform(curl);
    out->curl_code = (int)code;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    out->body = fo_buf_steal(&body_buf);
    out->headers = fo_buf_steal(&head_buf);
    out->json = json_loads(out->body, JSON_DECODE_ANY, NULL);
}

void http(http_resp *out, const mock_proc *m, const char *method, const char *path,
          const char *token, const char *body, const char *content_type)
{
    char key[512], type[512];
    const char *headers[3] = {NULL, NULL, NULL};
    size_t n = 0;
    if (token) {
        snprintf(key, sizeof(key), "Fastly-Key: %s", token);
        headers[n++] = key;
    }
    if (body) {
        snprintf(type, sizeof(type), "Content-Type: %s",
                 content_type ? content_type : "application/x-www-form-urlencoded");
        headers[n++] = type;
    }
    http_request(out, m->port, method, path, headers, body, false, 30000);
}

json_t *api(const mock_proc *m, const char *method, const char *path, const char *body, long expect)
{
    http_resp r;
    http(&r, m, method, path, MOCK_TOKEN, body, NULL);
    ck_assert_msg(r.curl_code == 0 && r.status == expect, "%s %s: curl %d, status %ld: %s", method,
                  path, r.curl_code, r.status, r.body);
    ck_assert_msg(r.json != NULL, "%s %s: not JSON: %s", method, path, r.body);
    json_t *json = json_incref(r.json);
    http_free(&r);
    return json;
}

void http_free(http_resp *r)
{
    free(r->body);
    free(r->headers);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

const char *http_header(const http_resp *r, const char *name)
{
    static char value[1024];
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        size_t len = strcspn(line, "\r\n");
        if (len > n + 1 && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t vlen = len - (size_t)(v - line);
            if (vlen >= sizeof(value))
                vlen = sizeof(value) - 1;
            memcpy(value, v, vlen);
            value[vlen] = '\0';
            return value;
        }
        line += len;
        while (*line == '\r' || *line == '\n')
            line++;
    }
    return NULL;
}

/* ---- recordings ---- */

json_t *fixture_body(const char *cassette, int nth)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/fastly-api/%s", FO_FIXTURES_DIR, cassette);
    char *text = read_file(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    const char *marker = "  response:\n    body: '";
    const char *p = text;
    for (int i = 0; i <= nth; i++) {
        p = strstr(p, marker);
        ck_assert_msg(p != NULL, "%s: no response %d", cassette, nth);
        p += strlen(marker);
    }
    /* A YAML single-quoted scalar: '' is a quote, a lone ' ends it, and a line break
     * with the next line's indentation folds to a space (blank lines to newlines). */
    fo_buf body = {0};
    for (; *p; p++) {
        if (*p == '\n') {
            while (body.len && body.data[body.len - 1] == ' ')
                body.data[--body.len] = '\0';
            int blank = 0;
            while (p[1] == ' ' || p[1] == '\n') {
                blank += p[1] == '\n';
                p++;
            }
            for (int i = 0; i < (blank ? blank : 1); i++)
                ck_assert_int_eq(fo_buf_append(&body, blank ? "\n" : " ", 1), 0);
        } else if (*p == '\'' && p[1] == '\'') {
            ck_assert_int_eq(fo_buf_append(&body, "'", 1), 0);
            p++;
        } else if (*p == '\'') {
            break;
        } else {
            ck_assert_int_eq(fo_buf_append(&body, p, 1), 0);
        }
    }
    json_error_t jerr;
    json_t *json = json_loads(body.data ? body.data : "", JSON_DECODE_ANY, &jerr);
    ck_assert_msg(json != NULL, "%s: body is not JSON: %s", cassette, jerr.text);
    fo_buf_clear(&body);
    free(text);
    return json;
}

static bool listed(const char *list, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, key, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static int kind(const json_t *v)
{
    return json_is_boolean(v) ? JSON_TRUE : (int)json_typeof(v);
}

void assert_same_shape(const json_t *got, const json_t *recorded, const char *extra,
                       const char *what)
{
    ck_assert_msg(json_is_object(got), "%s: not an object", what);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)recorded, key, value)
    {
        json_t *mine = json_object_get(got, key);
        ck_assert_msg(mine != NULL, "%s: recorded key '%s' is missing", what, key);
        if (!json_is_null(value) && !json_is_null(mine))
            ck_assert_msg(kind(mine) == kind(value), "%s: '%s' has JSON type %d, recorded %d", what,
                          key, kind(mine), kind(value));
    }
    json_object_foreach((json_t *)got, key, value)
    {
        ck_assert_msg(json_object_get(recorded, key) || listed(extra, key),
                      "%s: key '%s' is not in the recording", what, key);
    }
}

/* ---- commands ---- */

int run_command(const char *const *argv, const char *const *env, const char *out_path,
                int timeout_s)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_RDONLY);
        if (fd < 0 || null < 0)
            _exit(126);
        dup2(null, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        close(null);
        if (env) {
            clearenv();
            setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
            for (size_t i = 0; env[i]; i++)
                putenv((char *)env[i]);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return wait_exit(pid, timeout_s * 1000);
}
