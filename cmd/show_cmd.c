/* fixorigin show: a read-only look at a service's versions and every
 * backend's TLS settings, as Fastly holds them. */
#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/api.h"
#include "fixorigin/probe.h"
#include "fixorigin/remediate.h"
#include "cmd.h"

#define SHOW_SCHEMA "fixorigin.show/v1"

typedef struct show_opts {
    const char *service_id;
    const char *service_name; /* --service-name: resolved by the service listing */
    long version;
    bool json;
    const char *token_file;
    bool help; /* --help was printed: nothing more to do */
} show_opts;

static void errorf(FILE *err, const char *fmt, ...) FO_PRINTF(2, 3);

static void errorf(FILE *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fixorigin: ", err);
    vfprintf(err, fmt, ap);
    fputc('\n', err);
    va_end(ap);
}

/* Each retry and wait of the client, with its attempt and wait, on err: a person watching
 * sees why show takes long. A final failure is the one error line show prints itself. */
static void log_api(void *ctx, fo_log_level level, const char *msg)
{
    if (level == FO_LOG_WARN && strstr(msg, "retrying "))
        errorf(ctx, "%s", msg);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: fixorigin show (--service ID | --service-name NAME) [--version N]\n"
                 "                      [--json] [--token-file FILE]\n"
                 "\n"
                 "Prints a Fastly service's active and latest versions and every backend's\n"
                 "address, port and TLS settings. Changes nothing.\n"
                 "\n"
                 "  --service ID       the service (default: $FASTLY_SERVICE_ID)\n"
                 "  --service-name NAME\n"
                 "                     the service by its name (one GET /service listing)\n"
                 "  --version N        show version N (default: the active one, else the latest)\n"
                 "  --json             print " SHOW_SCHEMA " JSON\n"
                 "  --token-file FILE  read the API token from FILE (default: $FASTLY_API_TOKEN,\n"
                 "                     then $FASTLY_API_KEY)\n"
                 "  -h, --help         this help\n"
                 "\n"
                 "The API base URL is $FASTLY_API_ENDPOINT (or $FASTLY_API_URL), "
                 "default\n" FO_API_DEFAULT_BASE_URL ".\n"
                 "\n"
                 "exit: 0 shown, 1 the API call failed, 64 usage error\n");
}

/* Reads every certificate of a PEM value with the probe's parser (what the probe and the
 * planner see is what show prints); NULL when the value holds none or a broken one (then it
 * is shown as unreadable, not silently empty). */
static fo_cert_list *read_certs(const char *pem, const char *field)
{
    fo_cert_list *certs = NULL;
    fo_error e;
    if (fo_probe_certs_parse(&certs, pem, strlen(pem), field, &e) != 0)
        return NULL;
    return certs;
}

/* A fingerprint as `openssl x509 -fingerprint -sha256` shows it: "AB:CD:...". */
static void fingerprint(char out[3 * 32], const fo_cert_facts *cert)
{
    size_t n = 0;
    for (size_t i = 0; cert->sha256[i] && cert->sha256[i + 1] && n + 3 <= 3 * 32; i += 2) {
        if (n > 0)
            out[n++] = ':';
        out[n++] = (char)toupper((unsigned char)cert->sha256[i]);
        out[n++] = (char)toupper((unsigned char)cert->sha256[i + 1]);
    }
    out[n] = '\0';
}

static void put_field(FILE *out, const char *label, const char *value)
{
    fprintf(out, "  %-22s", label);
    if (fo_str_empty(value))
        fputs("(unset)", out);
    else
        fo_report_put_clean(out, value);
    fputc('\n', out);
}

static void put_certs(FILE *out, const char *label, const char *pem)
{
    if (fo_str_empty(pem)) {
        put_field(out, label, NULL);
        return;
    }
    fo_cert_list *certs = read_certs(pem, label);
    if (!certs) {
        fprintf(out, "  %-22sset, but holds no readable PEM certificate (%zu bytes)\n", label,
                strlen(pem));
        return;
    }
    for (size_t i = 0; i < certs->count; i++) {
        char sha256[3 * 32];
        fingerprint(sha256, &certs->certs[i]);
        fprintf(out, "  %-22s", i == 0 ? label : "");
        fo_report_put_clean(out, fo_str_empty(certs->certs[i].subject) ? "(no subject)"
                                                                       : certs->certs[i].subject);
        fprintf(out, "\n  %-22s  SHA-256 %s\n", "", sha256);
    }
    fo_cert_list_free(certs);
}

static const char *version_state(const fo_version *v)
{
    if (v->active)
        return "active";
    return v->locked ? "locked" : "draft";
}

/* One backend field's line, by its kind and slot (api/backend_fields.c). */
static void put_backend_field(FILE *out, const fo_backend *b, const fo_backend_field *f)
{
    switch (f->slot) {
    case FO_SLOT_STRING: {
        const char *text = fo_backend_text(b, f);
        if (f->kind == FO_FIELD_PEM)
            put_certs(out, f->name, text);
        else if (f->kind == FO_FIELD_SECRET) /* a secret: only whether there is one */
            fprintf(out, "  %-22s%s\n", f->name, text ? "set" : "unset");
        else
            put_field(out, f->name, text);
        break;
    }
    case FO_SLOT_LONG: {
        long n = fo_backend_long(b, f);
        if (n < 0)
            fprintf(out, "  %-22s(unset)\n", f->name);
        else
            fprintf(out, "  %-22s%ld%s%s\n", f->name, n, f->unit ? " " : "",
                    f->unit ? f->unit : "");
        break;
    }
    case FO_SLOT_BOOL:
        put_field(out, f->name, fo_backend_bool(b, f) ? "yes" : "no");
        break;
    case FO_SLOT_TRISTATE:
    case FO_SLOT_NONE:
        break;
    }
}

static void print_backend_text(FILE *out, const fo_backend *b, const char *source);

static void print_text(FILE *out, const fo_service *s, const fo_version_config *shown,
                       const fo_origin_list *origins, const char *origins_error)
{
    fputs("service   ", out);
    fo_report_put_clean(out, s->id);
    if (s->name) {
        fputs("  \"", out);
        fo_report_put_clean(out, s->name);
        fputc('"', out);
    }
    if (s->type) {
        fputs(" (", out);
        fo_report_put_clean(out, s->type);
        fputc(')', out);
    }
    fputc('\n', out);
    if (s->active_version > 0)
        fprintf(out, "active    version %ld\n", s->active_version);
    else
        fputs("active    none: no version is active\n", out);
    const fo_version *latest = NULL;
    for (size_t i = 0; i < s->version_count; i++) {
        if (s->versions[i].number == s->latest_version)
            latest = &s->versions[i];
    }
    if (latest)
        fprintf(out, "latest    version %ld (%s)\n", latest->number, version_state(latest));
    fprintf(out, "shown     version %ld (%s)", shown->version.number,
            version_state(&shown->version));
    if (shown->version.comment) {
        fputs(": ", out);
        fo_report_put_clean(out, shown->version.comment);
    }
    fputc('\n', out);
    fputs("domains   ", out);
    for (size_t i = 0; i < shown->domain_count; i++) {
        fputs(i ? ", " : "", out);
        fo_report_put_clean(out, shown->domains[i]);
    }
    fputs(shown->domain_count ? "\n" : "(none)\n", out);
    if (shown->backend_count == 0)
        fputs("\nno backends\n", out);
    for (size_t i = 0; origins && i < origins->note_count; i++) {
        fputs("note      ", out);
        fo_report_put_clean(out, origins->notes[i]);
        fputc('\n', out);
    }
    if (origins_error) {
        fputs("note      origins in custom VCL, snippets and pools cannot be read: ", out);
        fo_report_put_clean(out, origins_error);
        fputc('\n', out);
    }
    for (size_t i = 0; i < shown->backend_count; i++)
        print_backend_text(out, &shown->backends[i], NULL);
    for (size_t i = 0; origins && i < origins->count; i++) {
        const fo_origin_entry *o = &origins->items[i];
        if (o->problem) {
            fputs("\nbackend ", out);
            fo_report_put_clean(out, o->backend->name);
            fputs(" in ", out);
            fo_report_put_clean(out, fo_origin_source(&o->origin));
            fputs("\n  not understood: ", out);
            fo_report_put_clean(out, o->problem);
            fputc('\n', out);
            continue;
        }
        print_backend_text(out, o->backend, fo_origin_source(&o->origin));
    }
}

static void print_backend_text(FILE *out, const fo_backend *b, const char *source)
{
    fputs("\nbackend ", out);
    fo_report_put_clean(out, b->name);
    if (source) {
        fputs(" in ", out);
        fo_report_put_clean(out, source);
    }
    fputc('\n', out);
    size_t count;
    const fo_backend_field *fields = fo_backend_fields(&count);
    for (size_t i = 0; i < count; i++) {
        if (fields[i].uses & FO_FIELD_SHOWN)
            put_backend_field(out, b, &fields[i]);
    }
}

/* ---- JSON ---- */

static json_t *int_or_null(long n)
{
    return n >= 0 ? json_integer(n) : json_null();
}

static json_t *certs_json(const char *pem, const char *field)
{
    if (fo_str_empty(pem))
        return json_null();
    json_t *arr = json_array();
    fo_cert_list *certs = read_certs(pem, field);
    if (!certs)
        json_array_append_new(arr, json_pack("{s:s}", "error", "no readable PEM certificate"));
    for (size_t i = 0; certs && i < certs->count; i++) {
        char sha256[3 * 32];
        fingerprint(sha256, &certs->certs[i]);
        json_array_append_new(arr, json_pack("{s:o, s:s}", "subject",
                                             fo_report_json_string(certs->certs[i].subject),
                                             "sha256", sha256));
    }
    fo_cert_list_free(certs);
    return arr;
}

/* One backend field's value, by its kind and slot (api/backend_fields.c). */
static json_t *backend_field_json(const fo_backend *b, const fo_backend_field *f)
{
    switch (f->slot) {
    case FO_SLOT_STRING: {
        const char *text = fo_backend_text(b, f);
        if (f->kind == FO_FIELD_PEM)
            return certs_json(text, f->name);
        if (f->kind == FO_FIELD_SECRET) /* a secret: only whether there is one */
            return json_string(text ? "set" : "unset");
        return fo_report_json_string(text);
    }
    case FO_SLOT_LONG:
        return int_or_null(fo_backend_long(b, f));
    case FO_SLOT_BOOL:
        return json_boolean(fo_backend_bool(b, f));
    case FO_SLOT_TRISTATE:
    case FO_SLOT_NONE:
        break;
    }
    return json_null();
}

static json_t *backend_json(const fo_backend *b, const char *source)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", fo_report_json_string(b->name));
    json_object_set_new(o, "source", json_string(source ? source : "backend"));
    size_t count;
    const fo_backend_field *fields = fo_backend_fields(&count);
    for (size_t i = 0; i < count; i++) {
        if (fields[i].uses & FO_FIELD_SHOWN)
            json_object_set_new(o, fields[i].name, backend_field_json(b, &fields[i]));
    }
    return o;
}

static int print_json(FILE *out, const fo_service *s, const fo_version_config *shown,
                      const fo_origin_list *origins, const char *origins_error)
{
    json_t *root = json_object();
    json_t *backends = json_array();
    json_t *domains = json_array();
    json_t *notes = json_array();
    for (size_t i = 0; i < shown->backend_count; i++)
        json_array_append_new(backends, backend_json(&shown->backends[i], NULL));
    for (size_t i = 0; origins && i < origins->count; i++) {
        const fo_origin_entry *e = &origins->items[i];
        json_t *o = backend_json(e->backend, fo_origin_source(&e->origin));
        json_object_set_new(o, "not_understood", fo_report_json_string(e->problem));
        json_array_append_new(backends, o);
    }
    for (size_t i = 0; origins && i < origins->note_count; i++)
        json_array_append_new(notes, fo_report_json_string(origins->notes[i]));
    if (origins_error)
        json_array_append_new(notes, fo_report_json_string(origins_error));
    for (size_t i = 0; i < shown->domain_count; i++)
        json_array_append_new(domains, json_string(shown->domains[i]));
    json_object_set_new(root, "schema", json_string(SHOW_SCHEMA));
    json_object_set_new(root, "service",
                        json_pack("{s:o, s:o, s:o}", "id", fo_report_json_string(s->id), "name",
                                  fo_report_json_string(s->name), "type",
                                  fo_report_json_string(s->type)));
    json_object_set_new(root, "active_version",
                        s->active_version > 0 ? json_integer(s->active_version) : json_null());
    json_object_set_new(root, "latest_version", int_or_null(s->latest_version));
    json_object_set_new(
        root, "version",
        json_pack("{s:I, s:s, s:b, s:b, s:o}", "number", (json_int_t)shown->version.number, "state",
                  version_state(&shown->version), "active", shown->version.active, "locked",
                  shown->version.locked, "comment", fo_report_json_string(shown->version.comment)));
    json_object_set_new(root, "domains", domains);
    json_object_set_new(root, "backends", backends);
    json_object_set_new(root, "notes", notes);
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(root);
    return rc == 0 ? 0 : FO_EIO;
}

/* ---- the command ---- */

/* A failure after the arguments were read: on stderr, and with --json also as the error
 * object on stdout (docs/schemas/error.json), so a caller reading stdout learns why. */
static int fail(const show_opts *opts, FILE *out, FILE *err, int exit_code, const char *message)
{
    errorf(err, "%s", message);
    if (opts->json) {
        json_t *o = json_pack("{s:s, s:{s:o, s:i}}", "schema", SHOW_SCHEMA, "error", "message",
                              fo_report_json_string(message), "exit_code", exit_code);
        if (o) {
            json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            fputc('\n', out);
        }
        json_decref(o);
    }
    return exit_code;
}

/* Parses the arguments into opts. Returns FO_EXIT_OK to go on (or, with opts->help, after
 * printing the help), else the exit code of a usage error it has printed. */
static int parse_args(show_opts *opts, int argc, char **argv, FILE *out, FILE *err)
{
    static const struct option longopts[] = {
        {"service", required_argument, NULL, 's'},
        {"service-name", required_argument, NULL, 'n'},
        {"version", required_argument, NULL, 'v'},
        {"json", no_argument, NULL, 'j'},
        {"token-file", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(opts, 0, sizeof(*opts));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            opts->service_id = optarg;
            break;
        case 'n':
            opts->service_name = optarg;
            if (fo_str_empty(optarg)) {
                errorf(err, "--service-name takes a service's name");
                return FO_EXIT_USAGE;
            }
            break;
        case 'v':
            if (!fo_cmd_parse_int(optarg, 1, 1000000000L, &opts->version)) {
                errorf(err, "--version takes a version number, not '%s'", optarg);
                return FO_EXIT_USAGE;
            }
            break;
        case 'j':
            opts->json = true;
            break;
        case 't':
            opts->token_file = optarg;
            break;
        case 'h':
            usage(out);
            opts->help = true;
            return FO_EXIT_OK;
        case ':':
            errorf(err, "%s needs a value (see 'fixorigin show --help')", argv[optind - 1]);
            return FO_EXIT_USAGE;
        default:
            errorf(err, "unknown option '%s' (see 'fixorigin show --help')", argv[optind - 1]);
            return FO_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        errorf(err, "unexpected argument '%s' (see 'fixorigin show --help')", argv[optind]);
        return FO_EXIT_USAGE;
    }
    if (opts->service_id && opts->service_name) {
        errorf(err, "--service and --service-name both name the service: give one");
        return FO_EXIT_USAGE;
    }
    if (!opts->service_id && !opts->service_name) {
        const char *env = getenv("FASTLY_SERVICE_ID");
        opts->service_id = fo_str_empty(env) ? NULL : env;
    }
    if (!opts->service_id && !opts->service_name) {
        errorf(err, "no service: pass --service ID, --service-name NAME or set "
                    "FASTLY_SERVICE_ID");
        return FO_EXIT_USAGE;
    }
    return FO_EXIT_OK;
}

int fo_cmd_show_with(int argc, char **argv, const fo_api_transport *transport, FILE *out, FILE *err)
{
    show_opts opts;
    fo_api_config cfg;
    fo_error e;
    fo_api *api = NULL;
    fo_service *service = NULL;
    fo_origin_list *origins = NULL;
    char *token = NULL;
    int exit_code = parse_args(&opts, argc, argv, out, err);
    if (exit_code != FO_EXIT_OK || opts.help)
        goto out;
    fo_error_clear(&e);
    fo_api_config_init(&cfg);
    if (fo_api_config_from_env(&cfg, &token, opts.token_file, &e) != 0) {
        exit_code =
            fail(&opts, out, err, e.code == FO_EINVAL ? FO_EXIT_USAGE : FO_EXIT_ERROR, e.msg);
        goto out;
    }
    if (!transport)
        fo_cmd_forget_secrets(); /* read and copied (in-process tests keep what they set) */
    cfg.transport = transport;
    cfg.log = log_api; /* a retry is said, not waited out in silence */
    cfg.log_ctx = err;
    transport = NULL; /* fo_api_new takes it over, also when it fails */
    if (fo_api_new(&api, &cfg, &e) != 0) {
        exit_code =
            fail(&opts, out, err, e.code == FO_EINVAL ? FO_EXIT_USAGE : FO_EXIT_ERROR, e.msg);
        goto out;
    }
    char named_id[FO_API_ID_MAX + 1];
    if (opts.service_name) {
        if (fo_api_service_by_name(api, named_id, opts.service_name, &e) != 0) {
            char message[sizeof(e.msg) + 20];
            snprintf(message, sizeof(message), "--service-name: %s", e.msg);
            exit_code = fail(&opts, out, err, FO_EXIT_ERROR, message);
            goto out;
        }
        opts.service_id = named_id;
    }
    if (fo_api_service_details(api, &service, opts.service_id, opts.version, &e) != 0) {
        exit_code = fail(&opts, out, err, FO_EXIT_ERROR, e.msg);
        goto out;
    }
    const fo_version_config *shown = service->version;
    if (!shown) {
        char message[300];
        snprintf(message, sizeof(message), "Fastly API: service %s has no version to show",
                 opts.service_id);
        exit_code = fail(&opts, out, err, FO_EXIT_ERROR, message);
        goto out;
    }
    /* Origins defined outside the API backends: shown with their source; when they cannot
     * be read, a note says so and the rest is still shown. */
    fo_error oe;
    fo_error_clear(&oe);
    if (fo_remediate_origins(&origins, api, service->id ? service->id : opts.service_id,
                             service->type, shown, &oe) != 0)
        origins = NULL;
    const char *origins_error = origins ? NULL : oe.msg;
    if (opts.json) {
        exit_code = print_json(out, service, shown, origins, origins_error) == 0 ? FO_EXIT_OK
                                                                                 : FO_EXIT_ERROR;
    } else {
        fo_wrapped w;
        print_text(fo_wrapped_begin(&w, out), service, shown, origins, origins_error);
        fo_wrapped_end(&w);
        exit_code = FO_EXIT_OK;
    }
    if (fflush(out) != 0) {
        errorf(err, "cannot write the output");
        exit_code = FO_EXIT_ERROR;
    }
out:
    if (transport && transport->destroy)
        transport->destroy(transport->ctx);
    fo_origin_list_free(origins);
    fo_service_free(service);
    fo_api_free(api);
    fo_secret_free(token);
    return exit_code;
}

int fo_cmd_show(int argc, char **argv)
{
    return fo_cmd_show_with(argc, argv, NULL, stdout, stderr);
}
