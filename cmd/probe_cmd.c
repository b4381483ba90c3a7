/* `fixorigin probe`: names the error Fastly would report for an origin, with evidence. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fixorigin/probe.h"
#include "fixorigin/report.h"

#define DEFAULT_CONCURRENCY FO_PROBE_DEFAULT_CONCURRENCY

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fixorigin probe [options] HOST[:PORT]\n"
            "       fixorigin probe --targets FILE [--concurrency N] [--trust-bundle FILE]\n"
            "\n"
            "Connects to an origin the way Fastly does and names the error Fastly would\n"
            "report, with the evidence. PORT defaults to 443; IPv6 as [::1]:8443. A HOST\n"
            "that is a name is also the SNI and certificate hostname, as `fastly backend\n"
            "create` fills them, unless --sni, --cert-hostname or --as-backend say otherwise.\n"
            "\n"
            "options (Fastly's backend fields):\n"
            "  --sni NAME               ssl_sni_hostname (default: HOST when it is a name)\n"
            "  --cert-hostname NAME     ssl_cert_hostname (default: HOST when it is a name)\n"
            "  --as-backend             probe with exactly the fields given, as a backend\n"
            "                           holds them: no SNI, no name check unless set\n"
            "  --ca-file PEM            ssl_ca_cert (a file of PEM CA certificates)\n"
            "  --no-check-cert          ssl_check_cert off\n"
            "  --min-tls V, --max-tls V min/max_tls_version: 1.0 1.1 1.2 1.3\n"
            "  --ciphers STR            ssl_ciphers (OpenSSL cipher string, TLS <= 1.2)\n"
            "  --connect-timeout MS     connect_timeout (default 1000)\n"
            "  --no-tls                 use_ssl off (plain TCP and an HTTP HEAD request)\n"
            "  --prefer-ipv6            prefer_ipv6: a name's IPv6 addresses first (Compute's\n"
            "                           default); else IPv4 first, as Fastly does\n"
            "other options:\n"
            "  --trust-bundle FILE      CAs standing for Fastly's trust store (default: the\n"
            "                           system's; env FIXORIGIN_TRUST_BUNDLE)\n"
            "  --hosts FILE             resolve names from FILE (hosts(5) format: ADDRESS\n"
            "                           NAME...) instead of DNS; a name on several lines\n"
            "                           has several addresses\n"
            "  --json                   print one JSON object (schema fixorigin.probe/v1)\n"
            "  --targets FILE           probe every target of FILE (`host:port key=value ...`\n"
            "                           a line) and print one JSON object a line\n"
            "  --concurrency N          probes at once with --targets, 1-1024 (default 512,\n"
            "                           or as many as the file limit allows when fewer)\n"
            "  --expiry-warning DAYS    warn when a certificate expires within DAYS\n"
            "                           (default 30; 0: never)\n"
            "  -h, --help               this help\n"
            "\n"
            "exit: 0 ok, 2 a problem was found, 1 the probe could not run, 64 usage error\n");
}

enum {
    OPT_SNI = FO_OPT_OWN,
    OPT_CERT_HOSTNAME,
    OPT_CA_FILE,
    OPT_NO_CHECK_CERT,
    OPT_MIN_TLS,
    OPT_MAX_TLS,
    OPT_CIPHERS,
    OPT_CONNECT_TIMEOUT,
    OPT_NO_TLS,
    OPT_PREFER_IPV6,
    OPT_AS_BACKEND,
    OPT_HOSTS,
    OPT_TARGETS,
    OPT_CONCURRENCY,
    OPT_EXPIRY_WARNING,
};

static const struct option long_options[] = {
    {"sni", required_argument, NULL, OPT_SNI},
    {"cert-hostname", required_argument, NULL, OPT_CERT_HOSTNAME},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"no-check-cert", no_argument, NULL, OPT_NO_CHECK_CERT},
    {"min-tls", required_argument, NULL, OPT_MIN_TLS},
    {"max-tls", required_argument, NULL, OPT_MAX_TLS},
    {"ciphers", required_argument, NULL, OPT_CIPHERS},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"no-tls", no_argument, NULL, OPT_NO_TLS},
    {"prefer-ipv6", no_argument, NULL, OPT_PREFER_IPV6},
    {"as-backend", no_argument, NULL, OPT_AS_BACKEND},
    {"hosts", required_argument, NULL, OPT_HOSTS},
    {"trust-bundle", required_argument, NULL, FO_OPT_TRUST_BUNDLE},
    {"json", no_argument, NULL, FO_OPT_JSON},
    {"targets", required_argument, NULL, OPT_TARGETS},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"expiry-warning", required_argument, NULL, OPT_EXPIRY_WARNING},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct probe_args {
    fo_probe_settings settings;
    const char *ca_file;
    fo_cmd_common_args common;       /* --json, --trust-bundle */
    const char *trust_bundle_source; /* for messages (fo_cmd_trust_bundle) */
    const char *hosts_file;
    const char *targets_file;
    const char *hostport;
    bool as_backend;     /* the fields exactly as given: nothing taken from HOST */
    bool sni_given;      /* --sni, even "" (no SNI): HOST does not fill it */
    bool cert_given;     /* --cert-hostname, likewise */
    bool target_options; /* a backend setting was given on the command line */
    long concurrency;
    bool concurrency_given;
    bool help; /* --help was printed: nothing more to do */
};

#define usage_error(...) fo_cmd_usage_error("probe", __VA_ARGS__)

/* Parses the arguments into a. Returns FO_EXIT_OK to go on (or, with a->help, after printing
 * the help), else the exit code of a usage error it has printed. */
static int parse_args(struct probe_args *a, int argc, char **argv)
{
    fo_probe_settings_init(&a->settings);
    a->concurrency = DEFAULT_CONCURRENCY;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        long number = 0;
        a->target_options |= opt >= OPT_SNI && opt <= OPT_PREFER_IPV6; /* backend fields */
        switch (opt) {
        case 'h':
            usage(stdout);
            a->help = true;
            return FO_EXIT_OK;
        case OPT_SNI:
            a->settings.sni_hostname = optarg;
            a->sni_given = true;
            break;
        case OPT_CERT_HOSTNAME:
            a->settings.cert_hostname = optarg;
            a->cert_given = true;
            break;
        case OPT_AS_BACKEND:
            a->as_backend = true;
            break;
        case OPT_CA_FILE:
            a->ca_file = optarg;
            break;
        case OPT_NO_CHECK_CERT:
            a->settings.check_cert = false;
            break;
        case OPT_MIN_TLS:
        case OPT_MAX_TLS:
            if (fo_tls_version_parse(opt == OPT_MIN_TLS ? &a->settings.min_tls
                                                        : &a->settings.max_tls,
                                     optarg) != 0 ||
                fo_str_empty(optarg))
                return usage_error("TLS version must be 1.0, 1.1, 1.2 or 1.3, not '%s'", optarg);
            break;
        case OPT_CIPHERS:
            a->settings.ciphers = optarg;
            break;
        case OPT_CONNECT_TIMEOUT:
            if (!fo_cmd_parse_int(optarg, 1, FO_MAX_CONNECT_TIMEOUT_MS, &number))
                return usage_error("--connect-timeout takes milliseconds from 1 to 60000, not '%s'",
                                   optarg);
            a->settings.connect_timeout_ms = number;
            break;
        case OPT_NO_TLS:
            a->settings.use_ssl = false;
            break;
        case OPT_PREFER_IPV6:
            a->settings.prefer_ipv6 = true;
            break;
        case OPT_HOSTS:
            a->hosts_file = optarg;
            break;
        case OPT_TARGETS:
            a->targets_file = optarg;
            break;
        case OPT_EXPIRY_WARNING:
            if (!fo_cmd_parse_int(optarg, 0, FO_MAX_EXPIRY_WARNING_DAYS, &number))
                return usage_error("--expiry-warning takes days from 0 to %d, not '%s'",
                                   FO_MAX_EXPIRY_WARNING_DAYS, optarg);
            a->settings.expiry_warning_days = (int)number;
            break;
        case OPT_CONCURRENCY:
            if (!fo_cmd_parse_int(optarg, 1, 1024, &a->concurrency))
                return usage_error("--concurrency takes a number from 1 to 1024, not '%s'", optarg);
            a->concurrency_given = true;
            break;
        default:
            if (!fo_cmd_common_option(&a->common, opt, optarg))
                return fo_cmd_option_error("probe", opt, argv);
        }
    }
    if (optind < argc)
        a->hostport = argv[optind++];
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (a->targets_file && a->hostport)
        return usage_error("give HOST or --targets, not both ('%s')", a->hostport);
    if (!a->targets_file && !a->hostport)
        return usage_error("%s", "missing HOST[:PORT]");
    if (a->targets_file && a->target_options)
        return usage_error("%s", "with --targets, put backend settings on the targets lines");
    fo_error err = {0};
    if (fo_probe_settings_check(&a->settings, &err) != 0)
        return usage_error("%s", err.msg);
    a->common.trust_bundle = fo_cmd_trust_bundle(a->common.trust_bundle, &a->trust_bundle_source);
    return FO_EXIT_OK;
}

static void print_json(json_t *object)
{
    char *text = object ? json_dumps(object, FO_REPORT_JSON_FLAGS) : NULL;
    if (text) {
        puts(text);
        fflush(stdout);
    } else {
        fo_report_errorf("out of memory writing JSON");
    }
    free(text);
}

static const char *yes_no(fo_tristate t)
{
    return t == FO_YES ? "yes" : t == FO_NO ? "no" : "not tested";
}

/* "  label      " then text from the origin, cleaned, then a newline. */
static void print_line(FILE *out, const char *label, const char *text)
{
    fprintf(out, "  %-10s ", label);
    fo_report_put_clean(out, text);
    fputc('\n', out);
}

/* Certificate names, the detail sentence and warnings carry the origin's own text (a
 * subject or SAN may hold escape sequences): cleaned here; --json keeps them exact. */
static void print_text(FILE *out, const fo_diagnosis *d, const char *note)
{
    const fo_verdict *v = &d->verdict;
    const fo_probe_facts *f = &d->facts;
    bool color = fo_report_use_color(stdout); /* the terminal's, not the buffer's */
    bool ok = v->class == FO_CLASS_OK;
    const char *fastly = fo_verdict_fastly_error(v);
    bool v6 = strchr(d->target.host, ':') != NULL;

    fprintf(out, "%s%s%s:%d  %s%s%s  %s\n", v6 ? "[" : "", d->target.host, v6 ? "]" : "",
            d->target.port, color ? (ok ? "\033[1;32m" : "\033[1;31m") : "", fo_class_id(v->class),
            color ? "\033[0m" : "", fastly ? fastly : "ok");
    fprintf(out, "  ");
    fo_report_put_clean(out, v->detail);
    fputc('\n', out);
    if (note && note[0])
        fprintf(out, "  %-10s %s\n", "note", note);
    if (f->address) {
        fprintf(out, "  %-10s %s", "address", f->address);
        if (f->connect_ms >= 0)
            fprintf(out, " (connect %.2f ms", f->connect_ms);
        if (f->connect_ms >= 0 && f->handshake_ms >= 0)
            fprintf(out, ", handshake %.2f ms", f->handshake_ms);
        fprintf(out, "%s\n", f->connect_ms >= 0 ? ")" : "");
    }
    for (size_t i = 0; f->address_result_count > 1 && i < f->address_result_count; i++) {
        const fo_address_result *r = &f->address_results[i];
        fprintf(out, "  %-10s %s%s  %s", i == 0 ? "addresses" : "", r->address,
                i == 0 ? " (Fastly's choice)" : "",
                r->probed ? fo_class_id(r->class) : "not tried");
        if (!r->probed || (r->class != FO_CLASS_OK && r->problem[0])) {
            fprintf(out, ": ");
            fo_report_put_clean(out, r->problem);
        }
        fputc('\n', out);
    }
    if (f->late_answer_ms >= 0)
        fprintf(out, "  %-10s answered after %.0f ms\n", "late", f->late_answer_ms);
    if (f->protocol)
        fprintf(out, "  %-10s %s %s, SNI %s\n", "tls", f->protocol, f->cipher ? f->cipher : "",
                f->sni_sent ? f->sni_sent : "none");
    if (f->alert >= 0)
        fprintf(out, "  %-10s %d %s\n", "alert", f->alert, fo_probe_alert_name(f->alert));
    if (f->reply_start)
        print_line(out, "reply", f->reply_start);
    if (f->chain_count > 0) {
        const fo_cert_facts *leaf = &f->chain[0];
        char from[32], to[32];
        fo_format_time(from, sizeof(from), leaf->not_before);
        fo_format_time(to, sizeof(to), leaf->not_after);
        print_line(out, "leaf", leaf->subject);
        fprintf(out, "  %-10s", "names");
        for (size_t i = 0; i < leaf->san_count; i++) {
            fprintf(out, "%s%s:", i ? ", " : " ", fo_cert_san_is_ip(leaf, i) ? "IP" : "DNS");
            fo_report_put_clean(out, leaf->san[i]);
        }
        fprintf(out, "%s\n", leaf->san_count ? "" : " (no subjectAltName)");
        fprintf(out, "  %-10s %s to %s\n", "valid", from, to);
        fprintf(out, "  %-10s %zu certificate%s\n", "chain", f->chain_count,
                f->chain_count == 1 ? "" : "s");
    }
    if (f->verify_code != 0)
        fprintf(out, "  %-10s %d %s\n", "verify", f->verify_code, fo_probe_verify_text(f));
    if (f->protocols[0] != FO_UNTESTED || f->protocols[3] != FO_UNTESTED) {
        fprintf(out, "  %-10s", "protocols");
        for (int i = 0; i < FO_TLS_VERSION_COUNT; i++)
            fprintf(out, " %s %s%s", fo_tls_version_name((fo_tls_version)(FO_TLS_1_0 + i)),
                    yes_no(f->protocols[i]), i + 1 < FO_TLS_VERSION_COUNT ? "," : "");
        fprintf(out, "\n");
    }
    if (f->rc4_only != FO_UNTESTED)
        fprintf(out, "  %-10s %s\n", "rc4 hello",
                f->rc4_only == FO_YES ? "an RC4-only hello gets RC4"
                                      : "an RC4-only hello is refused");
    if (f->needs_sni != FO_UNTESTED)
        fprintf(out, "  %-10s %s\n", "needs SNI", yes_no(f->needs_sni));
    if (v->also_count > 0) {
        fprintf(out, "  %-10s", "also");
        for (size_t i = 0; i < v->also_count; i++)
            fprintf(out, "%s%s", i ? ", " : " ", fo_class_id(v->also[i]));
        fprintf(out, "\n");
    }
    for (size_t i = 0; i < v->warning_count; i++)
        print_line(out, "warning", v->warnings[i]);
}

/* A probe that could not run: the message on stderr, and with --json the error object on
 * stdout too (schema fixorigin.probe/v1, line_error: target when known), so that a caller
 * reading stdout learns why. Returns FO_EXIT_ERROR. */
static int probe_failed(const struct probe_args *a, const char *host, int port, const char *fmt,
                        ...) FO_PRINTF(4, 5);

static int probe_failed(const struct probe_args *a, const char *host, int port, const char *fmt,
                        ...)
{
    char message[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    fo_report_errorf("%s", message);
    if (a->common.json) {
        json_t *object = json_pack("{s:s}", "schema", FO_PROBE_SCHEMA);
        if (object && host)
            json_object_set_new(
                object, "target",
                json_pack("{s:o, s:i}", "host", fo_report_json_string(host), "port", port));
        if (object)
            json_object_set_new(object, "error", fo_report_json_string(message));
        print_json(object);
        json_decref(object);
    }
    return FO_EXIT_ERROR;
}

static bool is_ip_literal(const char *host)
{
    unsigned char address[16];
    return inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
}

/* What a user typing `fixorigin probe www.example.com` means: the origin as `fastly backend
 * create --address www.example.com` makes it, the name filling ssl_sni_hostname and
 * ssl_cert_hostname. Not for an IP address (no name to check or send), nor for a field the
 * user set (even to ""), nor with --as-backend or without TLS. A name that cannot be sent as
 * SNI (too long, odd characters) fills nothing: the probe then says what is missing. Writes
 * the note that says so into note (empty when nothing was taken); name holds the name. */
static void take_names_from_host(fo_probe_settings *s, char *note, size_t note_size, char *name,
                                 size_t name_size, const struct probe_args *a, const char *host)
{
    note[0] = '\0';
    if (a->as_backend || !s->use_ssl || is_ip_literal(host) || (a->sni_given && a->cert_given))
        return;
    /* "www.example.com." is the same name; SNI never carries the root's dot (RFC 6066). */
    size_t len = strlen(host);
    if (len > 1 && host[len - 1] == '.')
        len--;
    if (len >= name_size)
        return;
    memcpy(name, host, len);
    name[len] = '\0';
    if (!fo_probe_sni_name_ok(name))
        return;
    const char *taken = a->sni_given    ? "certificate hostname"
                        : a->cert_given ? "SNI"
                                        : "certificate hostname and SNI";
    if (!a->sni_given)
        s->sni_hostname = name;
    if (!a->cert_given)
        s->cert_hostname = name;
    snprintf(note, note_size,
             "%s taken from the target; --as-backend to probe with the backend's exact fields",
             taken);
}

static int probe_one(fo_prober *prober, struct probe_args *a)
{
    fo_probe_target target = {.settings = a->settings};
    fo_diagnosis *d = NULL;
    fo_error err = {0};
    char *host = NULL, *ca_pem = NULL;
    char note[160] = "", name[FO_SNI_NAME_MAX + 2];
    int code = FO_EXIT_ERROR;

    if (fo_probe_parse_hostport(&host, &target.port, a->hostport, 443, &err) != 0) {
        code = usage_error("%s", err.msg);
        goto out;
    }
    target.host = host;
    take_names_from_host(&target.settings, note, sizeof(note), name, sizeof(name), a, host);
    if (a->ca_file) {
        if (fo_probe_read_ca_file(&ca_pem, a->ca_file, &err) != 0) {
            code = probe_failed(a, host, target.port, "--ca-file: %s", err.msg);
            goto out;
        }
        target.settings.ca_cert_pem = ca_pem;
    }
    if (fo_probe_run(prober, &d, &target, &err) != 0) {
        /* Name the file when it is what the probe refused: a user may keep several. */
        if (a->ca_file && strstr(err.msg, "ssl_ca_cert"))
            code = probe_failed(a, host, target.port, "cannot probe %s: --ca-file %s: %s",
                                a->hostport, a->ca_file, err.msg);
        else
            code = probe_failed(a, host, target.port, "cannot probe %s: %s", a->hostport, err.msg);
        goto out;
    }
    if (a->common.json) {
        json_t *object = fo_report_diagnosis_json(d, 0);
        if (object && note[0])
            json_object_set_new(object, "note", json_string(note));
        print_json(object);
        json_decref(object);
    } else {
        fo_wrapped w;
        print_text(fo_wrapped_begin(&w, stdout), d, note);
        fo_wrapped_end(&w);
    }
    code = d->verdict.class == FO_CLASS_OK ? FO_EXIT_OK : FO_EXIT_PROBLEM;
out:
    fo_diagnosis_free(d);
    free(host);
    free(ca_pem);
    return code;
}

struct many_state {
    const fo_probe_target_list *list;
    bool problem;
    bool error;
    fo_progress progress; /* on a terminal's stderr only */
    bool *finished;       /* by target: done */
    size_t done, oldest;  /* oldest: the first target not done, the longest waited on */
    int concurrency;
};

/* What the run waits on: the oldest target not done (targets start in file order) and how
 * many others are in flight. */
static void say_progress(struct many_state *state)
{
    const fo_probe_target_list *list = state->list;
    while (state->oldest < list->count && state->finished[state->oldest])
        state->oldest++;
    if (state->oldest >= list->count) {
        fo_progress_update(&state->progress, state->done, NULL);
        return;
    }
    const fo_probe_target *t = &list->targets[state->oldest];
    size_t pending = list->count - state->done;
    size_t flying = pending < (size_t)state->concurrency ? pending : (size_t)state->concurrency;
    char waiting[200], more[32] = "";
    bool v6 = strchr(t->host, ':') != NULL;
    if (flying > 1)
        snprintf(more, sizeof(more), " and %zu more", flying - 1);
    snprintf(waiting, sizeof(waiting), "%s%s%s:%d (line %ld)%s", v6 ? "[" : "", t->host,
             v6 ? "]" : "", t->port, list->lines[state->oldest], more);
    fo_progress_update(&state->progress, state->done, waiting);
}

static void target_done(void *ctx, size_t index, fo_diagnosis *d, const fo_error *err)
{
    struct many_state *state = ctx;
    long line = state->list->lines[index];
    json_t *object = NULL;
    if (d) {
        object = fo_report_diagnosis_json(d, line);
        state->problem |= d->verdict.class != FO_CLASS_OK;
    } else {
        /* The probe could not run for this line: say so in the stream, keep going. */
        const fo_probe_target *t = &state->list->targets[index];
        object = json_pack("{s:s, s:I, s:{s:s?, s:i}, s:o?}", "schema", FO_PROBE_SCHEMA, "line",
                           (json_int_t)line, "target", "host", t->host, "port", t->port, "error",
                           fo_report_json_string(err->msg));
        state->error = true;
    }
    fo_progress_hide(&state->progress); /* stdout may be the same terminal */
    print_json(object);
    json_decref(object);
    fo_diagnosis_free(d);
    state->finished[index] = true;
    state->done++;
    say_progress(state);
}

static int probe_many(fo_prober *prober, const struct probe_args *a)
{
    fo_probe_target_list *list = NULL;
    fo_error err = {0};
    if (fo_probe_targets_load(&list, a->targets_file, &err) != 0)
        return probe_failed(a, NULL, 0, "--targets %s", err.msg);
    /* Not a backend field: it applies to every line alike. */
    for (size_t i = 0; i < list->count; i++)
        list->targets[i].settings.expiry_warning_days = a->settings.expiry_warning_days;
    struct many_state state = {.list = list};
    int code = FO_EXIT_OK;
    int concurrency = fo_cmd_fit_concurrency(a->concurrency, a->concurrency_given, "--concurrency");
    state.concurrency = concurrency;
    state.finished = calloc(list->count ? list->count : 1, sizeof(*state.finished));
    if (!state.finished) {
        fo_probe_target_list_free(list);
        return probe_failed(a, NULL, 0, "out of memory");
    }
    fo_progress_start(&state.progress, stderr, "probe", "targets", list->count);
    say_progress(&state);
    int rc = fo_probe_run_many(prober, list->targets, list->count, concurrency, target_done, &state,
                               &err);
    fo_progress_end(&state.progress);
    free(state.finished);
    if (rc != 0) {
        fo_report_errorf("%s", err.msg);
        code = FO_EXIT_ERROR;
    } else if (state.error) {
        code = FO_EXIT_ERROR;
    } else if (state.problem) {
        code = FO_EXIT_PROBLEM;
    }
    fo_probe_target_list_free(list);
    return code;
}

int fo_cmd_probe(int argc, char **argv)
{
    fo_cmd_forget_secrets(); /* a probe needs no token: gone from the environment at once */
    struct probe_args args = {0};
    int code = parse_args(&args, argc, argv);
    if (code != FO_EXIT_OK || args.help)
        return code;
    fo_prober *prober = NULL;
    fo_error err = {0};
    /* Each message names the option or variable the bad file came from. */
    if (fo_prober_new(&prober, args.common.trust_bundle, &err) != 0) {
        fo_prober_free(prober);
        return probe_failed(&args, NULL, 0, "%s: %s", args.trust_bundle_source, err.msg);
    }
    if (args.hosts_file && fo_prober_set_hosts(prober, args.hosts_file, &err) != 0) {
        fo_prober_free(prober);
        return probe_failed(&args, NULL, 0, "--hosts %s", err.msg);
    }
    code = args.targets_file ? probe_many(prober, &args) : probe_one(prober, &args);
    fo_prober_free(prober);
    return code;
}
