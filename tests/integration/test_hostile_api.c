/* An API that answers wrongly, late or never: a stand-in inside this process (one thread a
 * connection, loopback) that drips its answer a byte a second, sends a body over the size
 * limit, never answers, or pages without end. The client gives up within its deadline,
 * never fetches an oversized body twice, and ends a listing that repeats itself or runs on;
 * every fixorigin command ends within its documented bound (docs/reliability.md) and under
 * a memory cap, with the bounds shortened through the environment. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "fixorigin/api.h"

Suite *hostile_api_suite(void);

#define TOKEN "hostile-token-6c1e22d9a0"
#define MAX_THREADS 64

typedef enum hostile_mode {
    DRIP,       /* headers, then one body byte a second */
    HUGE,       /* a body of 80 MiB, sent as fast as the socket takes it */
    SILENT,     /* reads the request, never answers */
    SAME_PAGE,  /* GET /service: the same page every time, always with a next link */
    NEW_PAGES,  /* GET /service: new services on every page, always with a next link */
    EMPTY_NEXT, /* GET /service: an empty page with a next link */
} hostile_mode;

static struct {
    int listen_fd;
    int port;
    hostile_mode mode;
    pthread_t acceptor;
    pthread_t threads[MAX_THREADS];
    int nthreads;
    pthread_mutex_t lock;
    int requests;
    int connections;
    int service_list_requests;
    volatile int stop;
} hs;

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0 && !hs.stop) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

/* Sleeps ms in short slices so a stop is quick. */
static void nap(long ms)
{
    for (long waited = 0; waited < ms && !hs.stop; waited += 50)
        usleep(50 * 1000);
}

static const char page_head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                "Link: <http://127.0.0.1/service?page=9999>; rel=\"next\"\r\n";

static void answer_page(int fd, int page)
{
    char body[4096], head[512];
    size_t n = 0;
    if (hs.mode == EMPTY_NEXT) {
        n = (size_t)snprintf(body, sizeof(body), "[]");
    } else {
        n = (size_t)snprintf(body, sizeof(body), "[");
        for (int i = 0; i < 20; i++) {
            int id = hs.mode == SAME_PAGE ? i : page * 20 + i;
            n += (size_t)snprintf(body + n, sizeof(body) - n,
                                  "%s{\"id\":\"SVC%07d\",\"name\":\"s\",\"type\":\"vcl\","
                                  "\"version\":1,\"versions\":[]}",
                                  i ? "," : "", id);
        }
        n += (size_t)snprintf(body + n, sizeof(body) - n, "]");
    }
    int h = snprintf(head, sizeof(head), "%sContent-Length: %zu\r\n\r\n", page_head, n);
    send_all(fd, head, (size_t)h);
    send_all(fd, body, n);
}

static void *serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[8192];
    size_t have = 0;
    struct timeval tv = {.tv_sec = 0, .tv_usec = 100 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (!hs.stop) {
        ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
        if (n == 0 || (n < 0 && have == sizeof(buf) - 1))
            break;
        if (n < 0)
            continue;
        have += (size_t)n;
        buf[have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        /* Bodies of writes are small here; a request's body is not read. */
        bool is_list = strncmp(buf, "GET /service?", 13) == 0;
        int page = 1;
        const char *p = strstr(buf, "page=");
        if (p)
            page = atoi(p + 5);
        have = 0;
        pthread_mutex_lock(&hs.lock);
        hs.requests++;
        hs.service_list_requests += is_list;
        pthread_mutex_unlock(&hs.lock);
        if (is_list && (hs.mode == SAME_PAGE || hs.mode == NEW_PAGES || hs.mode == EMPTY_NEXT)) {
            answer_page(fd, page);
        } else if (hs.mode == DRIP) {
            static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       "Content-Length: 100000\r\n\r\n";
            send_all(fd, head, sizeof(head) - 1);
            while (!hs.stop) {
                send_all(fd, " ", 1);
                nap(1000);
            }
        } else if (hs.mode == HUGE) {
            static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       "Content-Length: 83886080\r\n\r\n";
            static char chunk[65536];
            memset(chunk, ' ', sizeof(chunk));
            send_all(fd, head, sizeof(head) - 1);
            for (int i = 0; i < 1280 && !hs.stop; i++)
                send_all(fd, chunk, sizeof(chunk));
        } else {
            while (!hs.stop) /* SILENT, or a listing mode's other requests */
                nap(100);
        }
    }
    close(fd);
    return NULL;
}

static void *accept_loop(void *arg)
{
    (void)arg;
    struct timeval tv = {.tv_sec = 0, .tv_usec = 100 * 1000};
    setsockopt(hs.listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (!hs.stop) {
        int fd = accept(hs.listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&hs.lock);
        hs.connections++;
        if (hs.nthreads < MAX_THREADS &&
            pthread_create(&hs.threads[hs.nthreads], NULL, serve_conn, (void *)(intptr_t)fd) == 0)
            hs.nthreads++;
        else
            close(fd);
        pthread_mutex_unlock(&hs.lock);
    }
    return NULL;
}

static void start_hostile(hostile_mode mode)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof(addr);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    hs.mode = mode;
    hs.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(hs.listen_fd, 0);
    ck_assert_int_eq(bind(hs.listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(hs.listen_fd, 64), 0);
    ck_assert_int_eq(getsockname(hs.listen_fd, (struct sockaddr *)&addr, &len), 0);
    hs.port = ntohs(addr.sin_port);
    ck_assert_int_eq(pthread_create(&hs.acceptor, NULL, accept_loop, NULL), 0);
}

static void setup(void)
{
    memset(&hs, 0, sizeof(hs));
    hs.listen_fd = -1;
    pthread_mutex_init(&hs.lock, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void teardown(void)
{
    if (hs.listen_fd < 0)
        return;
    hs.stop = 1;
    pthread_join(hs.acceptor, NULL);
    for (int i = 0; i < hs.nthreads; i++)
        pthread_join(hs.threads[i], NULL);
    close(hs.listen_fd);
}

static int count(int *field)
{
    pthread_mutex_lock(&hs.lock);
    int n = *field;
    pthread_mutex_unlock(&hs.lock);
    return n;
}

/* ---- the client ---- */

static fo_api *client(long deadline_ms, long stall_ms)
{
    char base[64];
    fo_api_config cfg;
    fo_api *api = NULL;
    fo_error err;
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", hs.port);
    fo_api_config_init(&cfg);
    cfg.base_url = base;
    cfg.token = TOKEN;
    cfg.deadline_ms = deadline_ms;
    cfg.stall_ms = stall_ms;
    cfg.backoff_initial_ms = 100;
    cfg.backoff_max_ms = 200;
    ck_assert_int_eq(fo_api_new(&api, &cfg, &err), 0);
    return api;
}

START_TEST(a_drip_ends_at_the_stall_limit_and_the_deadline)
{
    fo_error err;
    fo_service *s = NULL;
    start_hostile(DRIP);
    /* The stall limit ends each attempt after about a second; the retries end with the
     * call's deadline. */
    fo_api *api = client(4000, 1000);
    double start = fo_now_ms();
    ck_assert_int_eq(fo_api_service_details(api, &s, "SVC1", 0, &err), FO_ETIMEOUT);
    double took = fo_now_ms() - start;
    ck_assert_msg(took < 4000 + 1000, "took %.0f ms", took);
    ck_assert_msg(count(&hs.requests) >= 2, "%d attempts", count(&hs.requests));
    ck_assert_msg(strstr(err.msg, "stalled") || strstr(err.msg, "timed out") ||
                      strstr(err.msg, "no answer within"),
                  "%s", err.msg);
    fo_api_free(api);
    /* Without a stall limit the deadline alone ends it. */
    api = client(1500, 0);
    start = fo_now_ms();
    ck_assert_int_eq(fo_api_service_details(api, &s, "SVC1", 0, &err), FO_ETIMEOUT);
    took = fo_now_ms() - start;
    ck_assert_msg(took < 1500 + 1000, "took %.0f ms", took);
    fo_api_free(api);
}
END_TEST

START_TEST(an_oversized_body_is_fetched_once)
{
    fo_error err;
    fo_service *s = NULL;
    start_hostile(HUGE);
    fo_api *api = client(30000, 5000);
    ck_assert_int_eq(fo_api_service_details(api, &s, "SVC1", 0, &err), FO_EPROTO);
    ck_assert_str_eq(err.msg, "Fastly API: response larger than 67108864 bytes");
    ck_assert_int_eq(count(&hs.requests), 1);
    fo_api_free(api);
}
END_TEST

START_TEST(a_listing_that_repeats_itself_ends)
{
    fo_error err;
    fo_service_list *list = NULL;
    start_hostile(SAME_PAGE);
    fo_api *api = client(5000, 2000);
    ck_assert_int_eq(fo_api_service_list(api, &list, &err), FO_EPROTO);
    ck_assert_str_eq(err.msg, "Fastly API: the service listing repeats itself: page 2 names no "
                              "service not listed before, yet says there is a next");
    ck_assert_int_eq(count(&hs.service_list_requests), 2);
    fo_api_free(api);
}
END_TEST

START_TEST(empty_pages_that_say_next_end)
{
    fo_error err;
    fo_service_list *list = NULL;
    start_hostile(EMPTY_NEXT);
    fo_api *api = client(5000, 2000);
    ck_assert_int_eq(fo_api_service_list(api, &list, &err), FO_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.msg, "repeats itself: page 2"));
    fo_api_free(api);
}
END_TEST

START_TEST(a_listing_without_end_stops_at_its_caps)
{
    fo_error err;
    fo_service_list *list = NULL;
    char base[64];
    start_hostile(NEW_PAGES);
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", hs.port);
    fo_api_config cfg;
    fo_api *api = NULL;
    fo_api_config_init(&cfg);
    cfg.base_url = base;
    cfg.token = TOKEN;
    cfg.list_max_pages = 30;
    ck_assert_int_eq(fo_api_new(&api, &cfg, &err), 0);
    ck_assert_int_eq(fo_api_service_list(api, &list, &err), FO_EPROTO);
    ck_assert_str_eq(err.msg, "Fastly API: the service listing goes on past 30 pages "
                              "(FIXORIGIN_API_MAX_PAGES)");
    ck_assert_int_eq(count(&hs.service_list_requests), 30);
    fo_api_free(api);

    cfg.list_max_pages = 1000;
    cfg.list_max_items = 250;
    ck_assert_int_eq(fo_api_new(&api, &cfg, &err), 0);
    ck_assert_int_eq(fo_api_service_list(api, &list, &err), FO_EPROTO);
    ck_assert_str_eq(err.msg, "Fastly API: the service listing holds over 250 services "
                              "(FIXORIGIN_API_MAX_SERVICES)");
    fo_api_free(api);

    cfg.list_max_items = 100000;
    cfg.list_deadline_ms = 300;
    ck_assert_int_eq(fo_api_new(&api, &cfg, &err), 0);
    double start = fo_now_ms();
    ck_assert_int_eq(fo_api_service_list(api, &list, &err), FO_ETIMEOUT);
    ck_assert_msg(fo_now_ms() - start < 300 + 2000, "took %.0f ms", fo_now_ms() - start);
    ck_assert_ptr_nonnull(strstr(err.msg, "the service listing took over 0 s"));
    fo_api_free(api);
}
END_TEST

/* ---- the commands ---- */

typedef struct run_result {
    int status; /* exit code, or -1 when killed */
    double ms;
    long max_rss_kb;
    char *output;
    /* With inspect_runs: the process as /proc showed it once it had connected here. */
    bool inspected;
    char secret_found[64]; /* the first secret its environment block still held, or "" */
    long core_soft, core_hard;
} run_result;

/* Secrets in every run's environment besides the token: none may stay in the block. */
#define API_KEY "hostile-key-9b0f3c77d1"
#define SERVE_TOKEN "hostile-serve-2f8e41a6b5c9"
#define SLACK_SECRET "hostile-slack-83d1e0c4a7f2"
static bool inspect_runs;

/* /proc/PID/NAME of the running command, whole and NUL-ended, into text (caller clears). */
static void read_proc(fo_buf *text, pid_t pid, const char *name)
{
    char path[64], buf[4096];
    size_t n;
    snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s cannot be read (the suite runs as root)", path);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        ck_assert_int_eq(fo_buf_append(text, buf, n), 0);
    fclose(f);
    ck_assert_int_eq(fo_buf_append(text, "", 0), 0);
}

/* Reads the running command's environment block and core limit into out. */
static void inspect(pid_t pid, run_result *out)
{
    fo_buf block = {0}, limits = {0};
    read_proc(&block, pid, "environ");
    ck_assert_msg(memmem(block.data, block.len, "FASTLY_API_ENDPOINT=", 20),
                  "an empty environment block");
    static const char *const secrets[] = {TOKEN, API_KEY, SERVE_TOKEN, SLACK_SECRET};
    out->secret_found[0] = '\0';
    for (size_t i = 0; i < 4 && !out->secret_found[0]; i++) {
        if (memmem(block.data, block.len, secrets[i], strlen(secrets[i])))
            snprintf(out->secret_found, sizeof(out->secret_found), "%s", secrets[i]);
    }
    read_proc(&limits, pid, "limits");
    const char *core = strstr(limits.data, "Max core file size");
    ck_assert_ptr_nonnull(core);
    if (sscanf(core + strlen("Max core file size"), " %ld %ld", &out->core_soft, &out->core_hard) !=
        2)
        out->core_soft = out->core_hard = -1; /* "unlimited" */
    fo_buf_clear(&block);
    fo_buf_clear(&limits);
    out->inspected = true;
}

/* Runs fixorigin with args, the API at the stand-in and the bounds short, killed after
 * limit_s (a failure of the bound, reported by the caller). */
static void run_fixorigin(run_result *out, const char *const *args, int limit_s)
{
    char out_path[] = "/tmp/fo-hostile-out-XXXXXX";
    int fd = mkstemp(out_path);
    ck_assert_int_ge(fd, 0);
    char endpoint[96];
    snprintf(endpoint, sizeof(endpoint), "FASTLY_API_ENDPOINT=http://127.0.0.1:%d", hs.port);
    /* A state directory of this run's own: under the default one its --apply run's service
     * lock would meet other suites' runs for SVC1 (and leave files outside the build). */
    char state_dir[] = "/tmp/fo-hostile-state-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(state_dir));
    char state_env[64];
    snprintf(state_env, sizeof(state_env), "XDG_STATE_HOME=%s", state_dir);
    /* ASAN_OPTIONS is read only by a sanitizer build: ASan keeps freed memory in a quarantine
     * of 256 MiB by default, which counts in the RSS capped here (a plain build holds about
     * 76 MiB against the 80 MiB body). */
    const char *env[] = {endpoint,
                         state_env,
                         "FASTLY_API_TOKEN=" TOKEN,
                         "FASTLY_API_KEY=" API_KEY,
                         "FIXORIGIN_SERVE_TOKEN=" SERVE_TOKEN,
                         "SLACK_SIGNING_SECRET=" SLACK_SECRET,
                         "FIXORIGIN_API_DEADLINE_MS=3000",
                         "FIXORIGIN_API_STALL_MS=1000",
                         "FIXORIGIN_API_MAX_PAGES=50",
                         "FIXORIGIN_API_LIST_DEADLINE_MS=8000",
                         "PATH=/usr/bin:/bin",
                         "HOME=/tmp",
                         "ASAN_OPTIONS=quarantine_size_mb=8:detect_leaks=1",
                         NULL};
    const char *argv[32] = {FO_BIN_DIR "/fixorigin"};
    int argc = 1;
    for (int i = 0; args[i] && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    memset(out, 0, sizeof(*out));
    int connected = count(&hs.connections);
    double start = fo_now_ms();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execve(argv[0], (char *const *)argv, (char *const *)env);
        _exit(127);
    }
    close(fd);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    for (;;) {
        pid_t got = wait4(pid, &status, WNOHANG, &ru);
        if (got == pid)
            break;
        /* Once it has connected, it has long read its secrets: look at it while it waits. */
        if (inspect_runs && !out->inspected && count(&hs.connections) > connected)
            inspect(pid, out);
        if (fo_now_ms() - start > limit_s * 1000.0) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &ru);
            break;
        }
        usleep(20 * 1000);
    }
    out->ms = fo_now_ms() - start;
    out->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    out->max_rss_kb = ru.ru_maxrss;
    FILE *f = fopen(out_path, "r");
    fo_buf text = {0};
    char buf[4096];
    size_t n;
    while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        ck_assert_int_eq(fo_buf_append(&text, buf, n), 0);
    if (f)
        fclose(f);
    ck_assert_int_eq(fo_buf_append(&text, "", 0), 0);
    out->output = fo_buf_steal(&text);
    unlink(out_path);
    char rm[128];
    snprintf(rm, sizeof(rm), "rm -rf '%s'", state_dir);
    ck_assert_int_eq(system(rm), 0);
}

/* Every command that reads the API, each against each hostile mode: it ends with an error
 * (exit 1) within its bound: a few requests, each at most FIXORIGIN_API_DEADLINE_MS (3 s). */
static const char *const *const commands[] = {
    (const char *const[]){"show", "--service", "SVC1", NULL},
    (const char *const[]){"--service", "SVC1", NULL},
    (const char *const[]){"--service", "SVC1", "--apply", "--yes", NULL},
    (const char *const[]){"scan", "--service", "SVC1", NULL},
    (const char *const[]){"scan", "--all", "--format", "ndjson", NULL},
};

static void commands_end_in_time(hostile_mode mode, long bound_ms, long rss_cap_kb)
{
    start_hostile(mode);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        run_result r;
        run_fixorigin(&r, commands[i], 60);
        ck_assert_msg(r.status == 1 && r.ms < (double)bound_ms && r.max_rss_kb < rss_cap_kb,
                      "%s %s: exit %d after %.0f ms (bound %ld), %ld KiB (cap %ld):\n%s",
                      commands[i][0], commands[i][1], r.status, r.ms, bound_ms, r.max_rss_kb,
                      rss_cap_kb, r.output);
        ck_assert_msg(!strstr(r.output, TOKEN), "the token in the output:\n%s", r.output);
        fprintf(stderr, "hostile_api mode %d: fixorigin %s %s: exit %d in %.0f ms, %ld KiB\n",
                (int)mode, commands[i][0], commands[i][1], r.status, r.ms, r.max_rss_kb);
        free(r.output);
    }
}

START_TEST(commands_against_a_drip)
{
    commands_end_in_time(DRIP, 3000 + 2000, 64 * 1024);
}
END_TEST

START_TEST(commands_against_silence)
{
    commands_end_in_time(SILENT, 3000 + 2000, 64 * 1024);
}
END_TEST

START_TEST(commands_against_an_oversized_body)
{
    /* One body up to the 64 MiB limit is held, and never twice. */
    commands_end_in_time(HUGE, 15000, 200 * 1024);
}
END_TEST

/* Every command, while it waits on a silent API (or, probe, a silent origin): no secret left
 * in its environment block (what /proc/PID/environ and a core dump show) and no core dump
 * (RLIMIT_CORE 0; not dumpable, which ptrace and /proc ownership show only to non-root).
 * Before, only serve did this: a core of `fix --apply` held the Fastly token. */
START_TEST(no_command_keeps_secrets_in_its_environment_or_a_core)
{
    start_hostile(SILENT);
    char origin[32];
    snprintf(origin, sizeof(origin), "127.0.0.1:%d", hs.port);
    const char *const probe[] = {"probe", origin, NULL};
    const char *const *const runs[] = {commands[0], commands[1], commands[2], commands[3], probe};
    inspect_runs = true;
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        run_result r;
        run_fixorigin(&r, runs[i], 60);
        ck_assert_msg(r.inspected, "%s %s never connected:\n%s", runs[i][0], runs[i][1], r.output);
        ck_assert_msg(!r.secret_found[0], "%s %s: /proc/PID/environ still holds %s", runs[i][0],
                      runs[i][1], r.secret_found);
        ck_assert_msg(r.core_soft == 0 && r.core_hard == 0, "%s %s: core limit %ld %ld", runs[i][0],
                      runs[i][1], r.core_soft, r.core_hard);
        free(r.output);
    }
    inspect_runs = false;
}
END_TEST

START_TEST(scan_all_against_endless_pages)
{
    static const hostile_mode modes[] = {SAME_PAGE, NEW_PAGES};
    for (size_t m = 0; m < 2; m++) {
        start_hostile(modes[m]);
        run_result r;
        run_fixorigin(&r, (const char *const[]){"scan", "--all", NULL}, 60);
        ck_assert_msg(r.status == 1 && r.ms < 8000 + 3000 && r.max_rss_kb < 64 * 1024,
                      "exit %d after %.0f ms, %ld KiB:\n%s", r.status, r.ms, r.max_rss_kb,
                      r.output);
        ck_assert_msg(strstr(r.output, m == 0 ? "repeats itself" : "past 50 pages"), "%s",
                      r.output);
        fprintf(stderr, "hostile_api endless pages (%s): scan --all exit %d in %.0f ms, %ld KiB\n",
                m == 0 ? "the same page" : "new services", r.status, r.ms, r.max_rss_kb);
        free(r.output);
        teardown();
        setup();
    }
}
END_TEST

START_TEST(bounds_from_the_environment_are_checked)
{
    fo_api_config cfg;
    fo_error err;
    char *token = NULL;
    setenv("FASTLY_API_TOKEN", TOKEN, 1);
    setenv("FIXORIGIN_API_DEADLINE_MS", "2500", 1);
    setenv("FIXORIGIN_API_MAX_PAGES", "7", 1);
    fo_api_config_init(&cfg);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, NULL, &err), 0);
    ck_assert_int_eq(cfg.deadline_ms, 2500);
    ck_assert_int_eq(cfg.timeout_ms, 2500); /* no attempt outlives the call */
    ck_assert_int_eq(cfg.list_max_pages, 7);
    ck_assert_int_eq(cfg.stall_ms, 30000);
    fo_secret_free(token);
    setenv("FIXORIGIN_API_DEADLINE_MS", "soon", 1);
    fo_api_config_init(&cfg);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, NULL, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "FIXORIGIN_API_DEADLINE_MS must be a whole number from 100 to "
                              "3600000");
    unsetenv("FIXORIGIN_API_DEADLINE_MS");
    unsetenv("FIXORIGIN_API_MAX_PAGES");
    unsetenv("FASTLY_API_TOKEN");
}
END_TEST

Suite *hostile_api_suite(void)
{
    Suite *s = suite_create("hostile_api");
    TCase *tc = tcase_create("client");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_drip_ends_at_the_stall_limit_and_the_deadline);
    tcase_add_test(tc, an_oversized_body_is_fetched_once);
    tcase_add_test(tc, a_listing_that_repeats_itself_ends);
    tcase_add_test(tc, empty_pages_that_say_next_end);
    tcase_add_test(tc, a_listing_without_end_stops_at_its_caps);
    tcase_add_test(tc, bounds_from_the_environment_are_checked);
    suite_add_tcase(s, tc);
    tc = tcase_create("commands");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, commands_against_a_drip);
    tcase_add_test(tc, commands_against_silence);
    tcase_add_test(tc, commands_against_an_oversized_body);
    tcase_add_test(tc, scan_all_against_endless_pages);
    tcase_add_test(tc, no_command_keeps_secrets_in_its_environment_or_a_core);
    suite_add_tcase(s, tc);
    return s;
}
