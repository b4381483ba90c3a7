/* `fixorigin --service ID [--apply]` (also `fixorigin fix ...`): plan the smallest backend
 * change that lets Fastly reach each origin, prove it, and with --apply write it: clone,
 * comment, update, read back, diff, validate, re-check, activate, verify, roll back. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "fixorigin/remediate.h"
#include "fixorigin/report.h"
#include "fixorigin/scan.h"

#define CA_FILE_MAX_BYTES (1u << 20)
#define MAX_LIST 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fixorigin --service ID [options]\n"
            "       fixorigin fix --service ID [options]\n"
            "\n"
            "Probes each TLS backend of the service's active version the way Fastly\n"
            "connects, plans the smallest change that fixes what Fastly sees, proves it by\n"
            "probing again, and with --apply writes it in a new version, activates it,\n"
            "verifies it and rolls back when it does not hold. Without --apply nothing is\n"
            "written.\n"
            "\n"
            "  --service ID                the service (default: $FASTLY_SERVICE_ID)\n"
            "  --service-name NAME         the service by its name (one GET /service listing)\n"
            "  --backend NAME              only this backend (repeatable)\n"
            "  --apply                     write the allowed fixes\n"
            "  --yes                       do not ask (needed when stdin is not a terminal)\n"
            "  --activate=auto|none        none: stop at a validated draft (default auto)\n"
            "  --json                      print one " FO_REPORT_SCHEMA " object\n"
            "  --emit terraform            print the fixes as HCL for the service's backend\n"
            "                              blocks (terraform-provider-fastly), not the\n"
            "                              plan; writes nothing\n"
            "  --terraform, --managed-by-terraform\n"
            "                              Terraform manages this service (also guessed\n"
            "                              from its comment \"Managed by Terraform\"): the\n"
            "                              plan warns that terraform apply reverts a fix\n"
            "  --plan-out FILE             save the plan to FILE for 'fixorigin apply FILE'\n"
            "                              (not with --apply)\n"
            "consent (without these nothing unsafe is written):\n"
            "  --trust-presented-ca[=SHA256]\n"
            "                              trust the self-signed or root CA the origin\n"
            "                              presents (with SHA256: only the certificate of\n"
            "                              that fingerprint)\n"
            "  --ca-file PEM               trust these CA certificates for the origin\n"
            "  --accept-cert-hostname NAME check the certificate against NAME (repeatable)\n"
            "  --allow-downgrade           allow weakening TLS: a lower min_tls_version, TLS\n"
            "                              below 1.2, a weak cipher, or TLS off\n"
            "  --allow-dynamic-snippet     edit a backend declared in a dynamic snippet: it\n"
            "                              takes effect at once, with no version to roll back\n"
            "                              to (the old text is kept and written back if the\n"
            "                              fix does not verify)\n"
            "other options:\n"
            "  --trust-bundle FILE         CAs standing for Fastly's trust store (default:\n"
            "                              the system's; env FIXORIGIN_TRUST_BUNDLE)\n"
            "  --token-file FILE           read the API token from FILE (default:\n"
            "                              $FASTLY_API_TOKEN, then $FASTLY_API_KEY)\n"
            "  --state-dir DIR             per-service locks and intent records, shared with\n"
            "                              scan and serve (default $XDG_STATE_HOME/fixorigin,\n"
            "                              else ~/.local/state/fixorigin)\n"
            "  -h, --help                  this help\n"
            "\n"
            "exit: 0 nothing to fix, or applied and verified; 1 error, nothing activated;\n"
            "      2 fixes planned; 3 activated, failed verification, rolled back;\n"
            "      4 conflict (the service changed meanwhile, or another writer is at work\n"
            "        on it), safe to retry;\n"
            "      5 problems that need a person; 64 usage\n");
}

enum {
    OPT_SERVICE = FO_OPT_OWN,
    OPT_SERVICE_NAME,
    OPT_BACKEND,
    OPT_APPLY,
    OPT_YES,
    OPT_ACTIVATE,
    OPT_TRUST_PRESENTED_CA,
    OPT_CA_FILE,
    OPT_ACCEPT_CERT_HOSTNAME,
    OPT_ALLOW_DOWNGRADE,
    OPT_ALLOW_DYNAMIC_SNIPPET,
    OPT_EMIT,
    OPT_TERRAFORM,
    OPT_PLAN_OUT,
};

static const struct option long_options[] = {
    {"service", required_argument, NULL, OPT_SERVICE},
    {"service-name", required_argument, NULL, OPT_SERVICE_NAME},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"apply", no_argument, NULL, OPT_APPLY},
    {"yes", no_argument, NULL, OPT_YES},
    {"activate", required_argument, NULL, OPT_ACTIVATE},
    {"json", no_argument, NULL, FO_OPT_JSON},
    {"trust-presented-ca", optional_argument, NULL, OPT_TRUST_PRESENTED_CA},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"accept-cert-hostname", required_argument, NULL, OPT_ACCEPT_CERT_HOSTNAME},
    {"allow-downgrade", no_argument, NULL, OPT_ALLOW_DOWNGRADE},
    {"allow-dynamic-snippet", no_argument, NULL, OPT_ALLOW_DYNAMIC_SNIPPET},
    {"trust-bundle", required_argument, NULL, FO_OPT_TRUST_BUNDLE},
    {"token-file", required_argument, NULL, FO_OPT_TOKEN_FILE},
    {"state-dir", required_argument, NULL, FO_OPT_STATE_DIR},
    {"emit", required_argument, NULL, OPT_EMIT},
    {"terraform", no_argument, NULL, OPT_TERRAFORM},
    {"managed-by-terraform", no_argument, NULL, OPT_TERRAFORM},
    {"plan-out", required_argument, NULL, OPT_PLAN_OUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct fix_args {
    const char *service_id;
    const char *service_name; /* --service-name: resolved to service_id by the listing */
    const char *backends[MAX_LIST];
    size_t backend_count;
    const char *accept[MAX_LIST];
    size_t accept_count;
    bool apply, yes, trust_presented_ca, allow_downgrade, allow_dynamic_snippet;
    bool emit_terraform, terraform;
    const char *trust_presented_sha256;
    fo_activate_mode activate;
    const char *ca_file;
    fo_cmd_common_args common;       /* --json, --trust-bundle, --token-file, --state-dir */
    const char *trust_bundle_source; /* for messages (fo_cmd_trust_bundle) */
    const char *plan_out;            /* --plan-out FILE */
    const fo_saved_plan *saved;      /* `fixorigin apply FILE`: the plan to apply */
    const char *ca_pem;              /* the saved plan's --ca-file text */
    bool help;                       /* --help was printed: nothing more to do */
} fix_args;

#define usage_error(...) fo_cmd_usage_error(NULL, __VA_ARGS__)

static bool add_name(const char **list, size_t *count, const char *name)
{
    if (*count >= MAX_LIST || fo_str_empty(name))
        return false;
    list[(*count)++] = name;
    return true;
}

/* Parses the arguments into a. Returns FO_EXIT_OK to go on (or, with a->help, after printing
 * the help), else the exit code of a usage error it has printed. */
static int parse_args(fix_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    opterr = 0;
    optind = 1;
    int opt;
    unsigned char sha256[FO_SHA256_LEN]; /* --trust-presented-ca=SHA256, checked */
    while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            a->help = true;
            return FO_EXIT_OK;
        case OPT_SERVICE:
            a->service_id = optarg;
            break;
        case OPT_SERVICE_NAME:
            if (fo_str_empty(optarg))
                return usage_error("--service-name takes a service's name");
            a->service_name = optarg;
            break;
        case OPT_BACKEND:
            if (!add_name(a->backends, &a->backend_count, optarg))
                return usage_error("--backend takes a name (at most %d)", MAX_LIST);
            break;
        case OPT_APPLY:
            a->apply = true;
            break;
        case OPT_YES:
            a->yes = true;
            break;
        case OPT_ACTIVATE:
            if (!fo_activate_mode_parse(optarg, &a->activate))
                return usage_error("--activate takes auto or none, not '%s'", optarg);
            break;
        case OPT_TRUST_PRESENTED_CA:
            a->trust_presented_ca = true;
            a->trust_presented_sha256 = optarg;
            if (optarg && fo_sha256_parse(sha256, optarg, NULL) != 0)
                return usage_error("--trust-presented-ca=SHA256 takes the certificate's SHA-256 "
                                   "fingerprint (64 hex digits), not '%s'",
                                   optarg);
            break;
        case OPT_CA_FILE:
            a->ca_file = optarg;
            break;
        case OPT_ACCEPT_CERT_HOSTNAME:
            if (!add_name(a->accept, &a->accept_count, optarg))
                return usage_error("--accept-cert-hostname takes a name (at most %d)", MAX_LIST);
            break;
        case OPT_ALLOW_DOWNGRADE:
            a->allow_downgrade = true;
            break;
        case OPT_ALLOW_DYNAMIC_SNIPPET:
            a->allow_dynamic_snippet = true;
            break;
        case OPT_EMIT:
            if (strcmp(optarg, "terraform") != 0)
                return usage_error("--emit takes terraform, not '%s'", optarg);
            a->emit_terraform = true;
            break;
        case OPT_TERRAFORM:
            a->terraform = true;
            break;
        case OPT_PLAN_OUT:
            if (fo_str_empty(optarg))
                return usage_error("--plan-out takes a file name");
            a->plan_out = optarg;
            break;
        default:
            if (!fo_cmd_common_option(&a->common, opt, optarg))
                return fo_cmd_option_error(NULL, opt, argv);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (a->service_id && a->service_name)
        return usage_error("--service and --service-name both name the service: give one");
    if (!a->service_id && !a->service_name) {
        const char *env = getenv("FASTLY_SERVICE_ID");
        a->service_id = fo_str_empty(env) ? NULL : env;
    }
    if (!a->service_id && !a->service_name)
        return usage_error("no service: pass --service ID, --service-name NAME or set "
                           "FASTLY_SERVICE_ID");
    if (a->emit_terraform && (a->apply || a->common.json))
        return usage_error("--emit terraform prints HCL for you to apply with Terraform: it "
                           "takes neither --apply nor --json; nothing was written");
    if (a->emit_terraform && a->plan_out)
        return usage_error("--emit terraform prints HCL, not a plan: not with --plan-out");
    if (a->apply && a->plan_out)
        return usage_error("--plan-out saves a plan for 'fixorigin apply FILE': not with --apply");
    if (a->apply && !a->yes && isatty(STDIN_FILENO) != 1)
        return usage_error("--apply needs --yes when stdin is not a terminal; nothing was "
                           "written");
    a->common.trust_bundle = fo_cmd_trust_bundle(a->common.trust_bundle, &a->trust_bundle_source);
    return FO_EXIT_OK;
}

/* ---- text output ---- */

typedef struct out_ctx {
    FILE *out; /* text goes here: folded to stdout's width (wrap) */
    fo_wrapped wrap;
    bool color;
    bool quiet;         /* --json: steps are not printed */
    long draft, before; /* the apply's draft and the version it was cloned from */
} out_ctx;

static const char *paint(const out_ctx *o, const char *code)
{
    return o->color ? code : "";
}

#define RED "\033[31m"
#define GREEN "\033[32m"
#define BOLD_RED "\033[1;31m"
#define BOLD_GREEN "\033[1;32m"
#define YELLOW "\033[33m"
#define RESET "\033[0m"

/* Prints text lines with an indent; '-' lines red and '+' lines green on a terminal. */
static void print_diff(const out_ctx *o, const char *text, int indent)
{
    for (const char *line = text; line && *line;) {
        size_t len = strcspn(line, "\n");
        const char *color = line[0] == '-' ? RED : line[0] == '+' ? GREEN : "";
        fprintf(o->out, "%*s%s%.*s%s\n", indent, "", paint(o, color), (int)len, line,
                color[0] ? paint(o, RESET) : "");
        line += len + (line[len] == '\n');
    }
}

static void print_label(const out_ctx *o, const char *label, const char *text)
{
    fprintf(o->out, "  %-10s ", label);
    fo_report_put_clean(o->out, text);
    fputc('\n', o->out);
}

static void print_backend(const out_ctx *o, const fo_backend_plan *bp)
{
    const fo_diagnosis *d = bp->diagnosis;
    fo_class class = d ? d->verdict.class : FO_CLASS_OK;
    fprintf(o->out, "\nbackend ");
    fo_report_put_clean(o->out, bp->backend->name);
    fprintf(o->out, " (");
    fo_report_put_clean(o->out, bp->backend->address);
    if (bp->backend->port > 0)
        fprintf(o->out, ":%ld", bp->backend->port);
    fprintf(o->out, ")");
    if (bp->origin.kind != FO_ORIGIN_BACKEND) {
        fprintf(o->out, " in ");
        fo_report_put_clean(o->out, fo_origin_source(&bp->origin));
    }
    fprintf(o->out, "\n");
    if (d) {
        const char *fastly = fo_verdict_fastly_error(&d->verdict);
        fprintf(o->out, "  %s%s%s%s%s\n", paint(o, class == FO_CLASS_OK ? BOLD_GREEN : BOLD_RED),
                fo_class_id(class), paint(o, RESET), fastly ? "  " : "", fastly ? fastly : "");
        print_label(o, "evidence", bp->evidence);
    }
    switch (bp->status) {
    case FO_BACKEND_OK:
        print_label(o, "status", "nothing to fix");
        return;
    case FO_BACKEND_FIX:
    case FO_BACKEND_BLOCKED: {
        fprintf(o->out, "  %-10s ", "fix");
        fo_report_put_clean(o->out, bp->fix.summary);
        if (bp->status == FO_BACKEND_FIX)
            fprintf(o->out, "  %s[%s, proven]%s\n", paint(o, GREEN), fo_safety_name(bp->fix.safety),
                    paint(o, RESET));
        else
            fprintf(o->out, "  %s[needs %s; proven, not applied]%s\n", paint(o, YELLOW),
                    bp->fix.consent ? bp->fix.consent : "consent", paint(o, RESET));
        char *diff = fo_remediate_fix_diff(&bp->fix);
        print_diff(o, diff, 13);
        free(diff);
        if (bp->origin.text_diff) /* where the fix is written: the declaration's own text */
            print_diff(o, bp->origin.text_diff, 13);
        print_label(o, "why", bp->fix.reason);
        if (bp->proof) {
            char *evidence = fo_remediate_evidence(bp->proof);
            fprintf(o->out, "  %-10s the probe with the change passes: ", "proof");
            fo_report_put_clean(o->out, evidence);
            fputc('\n', o->out);
            free(evidence);
        }
        if (bp->fix.note)
            print_label(o, "note", bp->fix.note);
        break;
    }
    case FO_BACKEND_HUMAN:
    case FO_BACKEND_ERROR:
        break;
    }
    for (size_t i = 0; i < bp->attempt_count; i++) {
        fprintf(o->out, "  %-10s ", i == 0 ? "tried" : "");
        fo_report_put_clean(o->out, bp->attempts[i].summary);
        fprintf(o->out, ": still %s\n", fo_class_id(bp->attempts[i].class));
    }
    if (bp->status != FO_BACKEND_FIX && bp->advice)
        print_label(o, bp->status == FO_BACKEND_BLOCKED ? "blocked" : "needs", bp->advice);
}

static void print_plan(const out_ctx *o, const fo_plan *plan)
{
    fprintf(o->out, "service ");
    fo_report_put_clean(o->out, plan->service_id);
    if (plan->service_name) {
        fprintf(o->out, " \"");
        fo_report_put_clean(o->out, plan->service_name);
        fprintf(o->out, "\"");
    }
    fprintf(o->out, ": active version %ld, %zu backend%s\n", plan->active_version,
            plan->backend_count, plan->backend_count == 1 ? "" : "s");
    for (size_t i = 0; i < plan->leftover_count; i++) {
        fprintf(o->out, "  leftover draft %ld from an earlier run, never activated: \"",
                plan->leftovers[i].number);
        fo_report_put_clean(o->out, plan->leftovers[i].comment);
        fprintf(o->out, "\" (a fresh draft is cloned from version %ld)\n", plan->active_version);
    }
    for (size_t i = 0; i < plan->note_count; i++) {
        fprintf(o->out, "  note: ");
        fo_report_put_clean(o->out, plan->notes[i]);
        fputc('\n', o->out);
    }
    if (plan->terraform) {
        fprintf(o->out, "  terraform: Terraform probably manages this service (");
        fo_report_put_clean(o->out, plan->terraform);
        fprintf(o->out, "):\n"
                        "             a fix applied through the API is reverted by the next\n"
                        "             terraform apply; change the HCL instead (--emit terraform\n"
                        "             prints it), or change both\n");
    }
    for (size_t i = 0; i < plan->backend_count; i++)
        print_backend(o, &plan->backends[i]);
}

static void count_statuses(const fo_plan *plan, size_t counts[5])
{
    memset(counts, 0, 5 * sizeof(counts[0]));
    for (size_t i = 0; i < plan->backend_count; i++)
        counts[plan->backends[i].status]++;
}

static void print_plan_summary(const out_ctx *o, const fo_plan *plan, bool apply)
{
    size_t n[5];
    count_statuses(plan, n);
    fprintf(o->out, "\nplan %.12s: %zu fix%s to apply", plan->plan_id, n[FO_BACKEND_FIX],
            n[FO_BACKEND_FIX] == 1 ? "" : "es");
    if (n[FO_BACKEND_BLOCKED])
        fprintf(o->out, ", %zu waiting for consent", n[FO_BACKEND_BLOCKED]);
    if (n[FO_BACKEND_HUMAN] + n[FO_BACKEND_ERROR])
        fprintf(o->out, ", %zu needing a person", n[FO_BACKEND_HUMAN] + n[FO_BACKEND_ERROR]);
    if (n[FO_BACKEND_OK])
        fprintf(o->out, ", %zu ok", n[FO_BACKEND_OK]);
    fprintf(o->out, ".%s\n",
            !apply && n[FO_BACKEND_FIX] ? " Nothing was written; --apply writes the fixes." : "");
}

/* What a run cut short by a signal leaves, as of this event. */
static void note_state(out_ctx *o, const fo_event *ev)
{
    long from = 0, draft = 0;
    if (ev->finished && ev->step == FO_STEP_CLONE && ev->record->ok &&
        sscanf(ev->record->message, "version %ld -> draft %ld", &from, &draft) == 2) {
        o->draft = draft;
        o->before = from;
    }
    if (o->draft == 0)
        return;
    switch (ev->step) {
    case FO_STEP_ACTIVATE:
    case FO_STEP_VERIFY:
        if (ev->step == FO_STEP_VERIFY && ev->finished && ev->record->ok) {
            fo_cmd_signals_state("draft %ld is active and verified", o->draft);
            break;
        }
        fo_cmd_signals_state("draft %ld may be active, unverified (version %ld was active "
                             "before); the intent record stays, and the next run for this "
                             "service verifies it or rolls back to version %ld",
                             o->draft, o->before, o->before);
        break;
    case FO_STEP_ROLLBACK:
        if (ev->finished && ev->record->ok)
            fo_cmd_signals_state("rolled back: version %ld is active again", o->before);
        else
            fo_cmd_signals_state("rolling back from draft %ld to version %ld: unknown which is "
                                 "active; the intent record stays for the next run",
                                 o->draft, o->before);
        break;
    default:
        fo_cmd_signals_state("nothing was activated: version %ld is active; draft %ld is left, "
                             "never activated",
                             o->before, o->draft);
        break;
    }
}

/* Prints each apply step as it finishes. */
static void on_event(void *ctx, const fo_event *ev)
{
    out_ctx *o = ctx;
    note_state(o, ev);
    if (o->quiet || !ev->finished || ev->step == FO_STEP_DETAILS || ev->step == FO_STEP_PROBE)
        return;
    const fo_step_record *r = ev->record;
    fprintf(o->out, "  %-10s %s%-6s%s ", fo_step_name(r->step), paint(o, r->ok ? GREEN : BOLD_RED),
            r->ok ? "ok" : "FAILED", paint(o, RESET));
    if (r->backend && r->step != FO_STEP_READBACK) {
        fo_report_put_clean(o->out, r->backend);
        fprintf(o->out, ": ");
    }
    fo_report_put_clean(o->out, r->message);
    fputc('\n', o->out);
    if (r->diff)
        print_diff(o, r->diff, 20);
    fo_wrapped_flush(&o->wrap);
}

static void print_apply_summary(const out_ctx *o, const fo_apply_result *r,
                                const fo_api_stats *stats)
{
    const char *words = "";
    switch (r->outcome) {
    case FO_APPLY_NOTHING:
        words = "nothing to write";
        break;
    case FO_APPLY_VERIFIED:
        words = "applied and verified";
        break;
    case FO_APPLY_DRAFT:
        words = "draft validated, not activated (--activate=none)";
        break;
    case FO_APPLY_FAILED:
        words = "stopped before activating; the active version is unchanged";
        break;
    case FO_APPLY_CONFLICT:
        words = "conflict: the service changed meanwhile; nothing of ours is active";
        break;
    case FO_APPLY_ROLLED_BACK:
        words = "activated, failed verification, rolled back";
        break;
    case FO_APPLY_UNKNOWN:
        words = "unknown: check the service";
        break;
    }
    bool good = r->outcome == FO_APPLY_VERIFIED || r->outcome == FO_APPLY_DRAFT ||
                r->outcome == FO_APPLY_NOTHING;
    fprintf(o->out, "%sresult%s: %s", paint(o, good ? BOLD_GREEN : BOLD_RED), paint(o, RESET),
            words);
    if (r->active_after > 0)
        fprintf(o->out, "; active version %ld", r->active_after);
    if (r->draft > 0 && r->outcome != FO_APPLY_VERIFIED)
        fprintf(o->out, "; draft %ld", r->draft);
    fprintf(o->out, " (%u API request%s, %u write%s)\n", stats->requests,
            stats->requests == 1 ? "" : "s", stats->writes, stats->writes == 1 ? "" : "s");
    if (r->error.code != 0) {
        fprintf(o->out, "  ");
        fo_report_put_clean(o->out, r->error.msg);
        fputc('\n', o->out);
    }
}

/* What an earlier, killed run left and this one finished, before the plan. */
static void print_earlier(out_ctx *o, const char *earlier)
{
    fprintf(o->out, "earlier run: ");
    fo_report_put_clean(o->out, earlier);
    fputc('\n', o->out);
    fo_wrapped_flush(&o->wrap);
}

/* Asks on the terminal; true for yes. */
static bool confirm(const fo_plan *plan)
{
    size_t n[5];
    char answer[16];
    count_statuses(plan, n);
    printf("\nApply %zu fix%s to service ", n[FO_BACKEND_FIX], n[FO_BACKEND_FIX] == 1 ? "" : "es");
    fo_report_put_clean(stdout, plan->service_id);
    printf(" (a new version cloned from %ld)? [y/N] ", plan->active_version);
    fflush(stdout);
    if (!fgets(answer, sizeof(answer), stdin))
        return false;
    return answer[0] == 'y' || answer[0] == 'Y';
}

void fo_cmd_print_report(const fo_report *report)
{
    fo_report with_code = *report;
    with_code.exit_code = fo_cmd_exit_code(report->result);
    json_t *object = fo_report_json(&with_code);
    char *text = object ? json_dumps(object, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) : NULL;
    if (text)
        puts(text);
    else
        fo_report_errorf("out of memory writing the report");
    free(text);
    json_decref(object);
}

static void log_api(void *ctx, fo_log_level level, const char *msg)
{
    (void)ctx;
    if (level == FO_LOG_WARN)
        fo_report_errorf("%s", msg);
}

/* Saves the plan to --plan-out's file and says so on out, or says why it could not. */
static int save_plan(FILE *out, const fix_args *a, const fo_plan *plan,
                     const fo_plan_options *popts, fo_error *e)
{
    char *text = NULL;
    int rc = fo_saved_plan_text(&text, plan, popts, a->activate, (int64_t)time(NULL), e);
    if (rc == 0)
        rc = fo_saved_plan_write(a->plan_out, text, e);
    free(text);
    if (rc != 0) {
        fo_report_errorf("%s", e->msg);
        return rc;
    }
    if (!a->common.json) {
        fprintf(out, "Saved the plan to ");
        fo_report_put_clean(out, a->plan_out);
        fprintf(out, "; 'fixorigin apply ");
        fo_report_put_clean(out, a->plan_out);
        fprintf(out, "' applies it if the service is still as planned.\n");
    }
    return 0;
}

/* The run of `fixorigin --service ID` and of `fixorigin apply FILE` (a->saved). */
static int run(const fix_args *args)
{
    fix_args a = *args;
    fo_api_config cfg;
    fo_error e;
    fo_api *api = NULL;
    fo_prober *prober = NULL;
    fo_plan *plan = NULL;
    fo_apply_result *applied = NULL;
    char *token = NULL, *ca_pem = NULL;
    fo_report report = {0};
    fo_writer w;
    char named_id[FO_API_ID_MAX + 1];
    memset(&w, 0, sizeof(w));
    int code = FO_EXIT_ERROR;
    out_ctx o = {.out = stdout,
                 .color = !a.common.json && fo_report_use_color(stdout),
                 .quiet = a.common.json};
    if (!a.common.json)
        o.out = fo_wrapped_begin(&o.wrap, stdout);
    /* Only a run that may write needs them: a plan run stays an ordinary process. */
    if (a.apply && fo_cmd_signals_start() != 0) {
        fo_report_errorf("cannot set up signal handling");
        return FO_EXIT_ERROR;
    }
    fo_error_clear(&e);
    report.service_id = a.service_id;
    report.apply_mode = a.apply;
    report.result = FO_RESULT_ERROR;
    if (a.ca_file) {
        fo_cert_list *certs = NULL;
        if (fo_read_file(&ca_pem, a.ca_file, CA_FILE_MAX_BYTES, &e) != 0 ||
            fo_probe_certs_parse(&certs, ca_pem, strlen(ca_pem), fo_input_name(a.ca_file), &e) !=
                0) {
            fo_report_errorf("--ca-file: %s", e.msg);
            code = FO_EXIT_ERROR;
            goto out;
        }
        fo_cert_list_free(certs);
    }
    const char *ca_text = a.saved ? a.ca_pem : ca_pem;
    fo_api_config_init(&cfg);
    if (fo_api_config_from_env(&cfg, &token, a.common.token_file, &e) != 0) {
        fo_report_errorf("%s", e.msg);
        code = e.code == FO_EINVAL ? FO_EXIT_USAGE : FO_EXIT_ERROR;
        goto out;
    }
    fo_cmd_forget_secrets(); /* read and copied */
    cfg.log = log_api;
    if (fo_api_new(&api, &cfg, &e) != 0) {
        fo_report_errorf("%s", e.msg);
        code = e.code == FO_EINVAL ? FO_EXIT_USAGE : FO_EXIT_ERROR;
        goto out;
    }
    if (a.service_name) {
        /* Before the lock: the lock, the plan and the report are the id's. */
        if (fo_api_service_by_name(api, named_id, a.service_name, &e) != 0) {
            fo_report_errorf("--service-name: %s", e.msg);
            report.error = e.msg;
            code = FO_EXIT_ERROR;
            goto report;
        }
        a.service_id = named_id;
        report.service_id = named_id;
    }
    if (fo_prober_new(&prober, a.common.trust_bundle, &e) != 0) {
        fo_report_errorf("%s: %s", a.trust_bundle_source, e.msg);
        code = FO_EXIT_ERROR;
        goto out;
    }
    if (a.apply) {
        /* One writer per service on this machine (the lock), and what an earlier run here
         * left is finished first. */
        char dir[FO_SCAN_PATH_MAX];
        if (fo_scan_state_dir(dir, sizeof(dir), a.common.state_dir, &e) != 0 ||
            fo_writer_begin(&w, dir, a.service_id, &e) != 0) {
            fo_report_errorf("%s", e.msg);
            report.error = e.msg;
            report.result = e.code == FO_ECONFLICT ? FO_RESULT_CONFLICT : FO_RESULT_ERROR;
            code = fo_cmd_exit_code(report.result);
            goto report;
        }
        int recovered = fo_writer_recover(&w, api, prober, &e);
        report.earlier_run = fo_writer_earlier(&w);
        if (report.earlier_run && !a.common.json)
            print_earlier(&o, report.earlier_run);
        if (recovered != 0) {
            fo_report_errorf("%s; nothing was written", e.msg);
            report.error = e.msg;
            code = FO_EXIT_ERROR;
            goto report;
        }
    }
    fo_plan_options popts = {
        .consent = {.trust_presented_ca = a.trust_presented_ca,
                    .trust_presented_sha256 = a.trust_presented_sha256,
                    .ca_file_pem = ca_text,
                    .accept_cert_hostnames = a.accept,
                    .accept_count = a.accept_count,
                    .allow_downgrade = a.allow_downgrade,
                    .allow_dynamic_snippet = a.allow_dynamic_snippet},
        .backends = a.backends,
        .backend_count = a.backend_count,
        .terraform = a.terraform,
    };
    int rc = fo_remediate_plan(&plan, api, prober, a.service_id, &popts, &e);
    if (rc == 0 && a.apply) {
        /* A version another machine's run activated and never verified is finished first. */
        rc = fo_writer_check_active(&w, &plan, api, prober, &popts, &e);
        if (!report.earlier_run && (report.earlier_run = fo_writer_earlier(&w)) && !a.common.json)
            print_earlier(&o, report.earlier_run);
        if (rc == FO_EUNKNOWN) {
            fo_report_errorf("%s; nothing was written", e.msg);
            report.error = e.msg;
            code = FO_EXIT_ERROR;
            goto report;
        }
    }
    if (rc != 0) {
        fo_report_errorf("%s", e.msg);
        report.error = e.msg;
        code = rc == FO_EINVAL ? FO_EXIT_USAGE : FO_EXIT_ERROR; /* an unknown --backend */
        goto report;
    }
    report.plan = plan;
    if (a.emit_terraform) {
        char *hcl = fo_remediate_terraform_hcl(plan);
        if (!hcl) {
            fo_report_errorf("out of memory");
            code = FO_EXIT_ERROR;
            goto out;
        }
        fputs(hcl, stdout);
        free(hcl);
        code = fo_cmd_exit_code(fo_remediate_result(plan, NULL));
        goto report;
    }
    if (!a.common.json) {
        print_plan(&o, plan);
        print_plan_summary(&o, plan, a.apply);
        fo_wrapped_flush(&o.wrap);
    }
    if (a.saved && fo_saved_plan_check(a.saved, plan, &e) != 0) {
        /* As `terraform apply PLAN`: a plan that is no longer current is not applied; the
         * plan as it stands now is shown (above) for the user to review and save again. */
        fo_report_errorf("the saved plan %.12s is stale: %s; nothing was written; this is the "
                         "plan now (save it again with --plan-out)",
                         a.saved->plan_id, e.msg);
        report.error = e.msg;
        report.apply_mode = false;
        report.result = FO_RESULT_CONFLICT;
        code = FO_EXIT_CONFLICT;
        goto report;
    }
    if (a.plan_out && save_plan(o.out, &a, plan, &popts, &e) != 0) {
        report.error = e.msg; /* the JSON report says why, as stderr did */
        report.result = FO_RESULT_ERROR;
        code = FO_EXIT_ERROR;
        goto report;
    }
    bool interactive = a.apply && !a.yes;
    bool go = a.apply;
    size_t n[5];
    count_statuses(plan, n);
    if (go && interactive && n[FO_BACKEND_FIX] > 0 && !confirm(plan)) {
        printf("Nothing was written.\n");
        go = false;
        report.apply_mode = false;
    }
    if (go) {
        fo_apply_options aopts = {.activate = a.activate,
                                  .reread_first = interactive,
                                  .event = on_event,
                                  .event_ctx = &o,
                                  .stop = fo_cmd_stop_requested};
        fo_writer_apply_options(&w, &aopts);
        if (!a.common.json && n[FO_BACKEND_FIX] > 0)
            fprintf(o.out, "\napply\n");
        rc = fo_remediate_apply(&applied, api, prober, plan, &aopts, &e);
        if (rc != 0) {
            fo_report_errorf("%s", e.msg);
            report.error = e.msg;
            code = FO_EXIT_ERROR;
            goto report;
        }
        report.applied = applied;
    }
    report.result = fo_remediate_result(plan, applied);
    code = fo_cmd_exit_code(report.result);
    if (applied && !a.common.json) {
        fo_api_stats stats;
        fo_api_get_stats(api, &stats);
        print_apply_summary(&o, applied, &stats);
    }
report:
    fo_wrapped_end(&o.wrap);
    if (api)
        fo_api_get_stats(api, &report.stats);
    if (code == FO_EXIT_USAGE)
        goto out;
    if (a.common.json)
        fo_cmd_print_report(&report);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        /* A reader that went away (SIGPIPE is ignored) does not change what was done: the
         * exit code still says it. */
        fo_report_errorf("cannot write the output");
        if (!applied)
            code = FO_EXIT_ERROR;
    }
out:
    fo_wrapped_end(&o.wrap); /* idempotent: a run that stopped early still prints its text */
    fo_writer_end(&w);
    fo_apply_result_free(applied);
    fo_plan_free(plan);
    fo_prober_free(prober);
    fo_api_free(api);
    fo_secret_free(token);
    free(ca_pem);
    return code;
}

int fo_cmd_fix(int argc, char **argv)
{
    fix_args a;
    int code = parse_args(&a, argc, argv);
    return code != FO_EXIT_OK || a.help ? code : run(&a);
}

int fo_cmd_fix_saved(const fo_saved_plan *saved, const fo_cmd_common_args *args)
{
    fix_args a;
    memset(&a, 0, sizeof(a));
    if (saved->backend_count > MAX_LIST || saved->accept_count > MAX_LIST) {
        fo_report_errorf("the saved plan names more than %d backends or host names; nothing was "
                         "written",
                         MAX_LIST);
        return FO_EXIT_ERROR;
    }
    a.saved = saved;
    a.service_id = saved->service_id;
    for (size_t i = 0; i < saved->backend_count; i++)
        a.backends[a.backend_count++] = saved->backends[i];
    for (size_t i = 0; i < saved->accept_count; i++)
        a.accept[a.accept_count++] = saved->accept_cert_hostnames[i];
    a.trust_presented_ca = saved->trust_presented_ca;
    a.trust_presented_sha256 = saved->trust_presented_sha256;
    a.ca_pem = saved->ca_file_pem;
    a.allow_downgrade = saved->allow_downgrade;
    a.allow_dynamic_snippet = saved->allow_dynamic_snippet;
    a.activate = saved->activate;
    a.terraform = saved->terraform;
    a.apply = a.yes = true; /* the plan was reviewed: apply does not ask */
    a.common = *args;
    a.common.trust_bundle = fo_cmd_trust_bundle(a.common.trust_bundle, &a.trust_bundle_source);
    return run(&a);
}
