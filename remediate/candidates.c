/* The pure planner: which backend changes could make Fastly reach an origin, in the order to
 * prove them, with their safety (the table is in README.md, "fixorigin --service ID"). No
 * I/O: what it cannot know it asks the caller to gather (AIA fetches, extra probes). */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "remediate_int.h"

typedef struct builder {
    fo_candidates *out;
    const fo_candidates_input *in;
    const fo_remediate_options *opt;
    const fo_probe_facts *facts;
    fo_probe_target target; /* the backend's settings as probed */
    int rc;                 /* the first failure (FO_ENOMEM) */
} builder;

static const fo_remediate_options no_consent;

static void fail(builder *b, int rc)
{
    if (b->rc == 0)
        b->rc = rc;
}

static bool same_text(const char *a, const char *b)
{
    return fo_str_empty(a) ? fo_str_empty(b) : !fo_str_empty(b) && strcasecmp(a, b) == 0;
}

static bool same_fix(const fo_fix *a, const fo_fix *b)
{
    if (a->change_count != b->change_count)
        return false;
    for (size_t i = 0; i < a->change_count; i++) {
        const fo_change *x = &a->changes[i], *y = &b->changes[i];
        if (strcmp(x->field, y->field) != 0 || !same_text(x->to, y->to))
            return false;
    }
    return true;
}

/* Takes over fix (cleared either way); a repeat of an earlier candidate is dropped. */
static void push(builder *b, fo_fix *fix)
{
    bool keep = b->rc == 0 && fix->change_count > 0 && b->out->count < FO_REM_MAX_CANDIDATES;
    for (size_t i = 0; keep && i < b->out->count; i++)
        keep = !same_fix(&b->out->fixes[i], fix);
    if (keep && (fix->summary == NULL || fix->reason == NULL)) {
        fail(b, FO_ENOMEM);
        keep = false;
    }
    if (keep) {
        fo_fix *grown = realloc(b->out->fixes, (b->out->count + 1) * sizeof(*grown));
        if (!grown) {
            fail(b, FO_ENOMEM);
        } else {
            b->out->fixes = grown;
            b->out->fixes[b->out->count++] = *fix;
            memset(fix, 0, sizeof(*fix));
        }
    }
    fo_fix_clear(fix);
}

/* Adds a change of field from the backend's current value. */
static void add_change(builder *b, fo_fix *fix, const char *field, const char *to)
{
    char *from = NULL;
    if (fo_remediate_field_text(&from, b->in->backend, field) != 0 ||
        fo_rem_fix_add(fix, field, from, to) != 0)
        fail(b, FO_ENOMEM);
    free(from);
}

/* A new safe fix changing one field. */
static void start_fix(builder *b, fo_fix *fix, const char *field, const char *to)
{
    memset(fix, 0, sizeof(*fix));
    fix->allowed = true;
    add_change(b, fix, field, to);
}

static void set_consent(builder *b, fo_fix *fix, fo_safety safety, const char *flag, bool given)
{
    fix->safety = safety;
    fix->allowed = given;
    if (flag && !(fix->consent = fo_strdup(flag)))
        fail(b, FO_ENOMEM);
}

static void set_advice(builder *b, char *text)
{
    if (!text) {
        fail(b, FO_ENOMEM);
        return;
    }
    free(b->out->advice);
    b->out->advice = text;
}

static void need_url(builder *b, const char *url)
{
    const fo_gathered *g = b->in->gathered;
    if (fo_str_empty(url))
        return;
    for (size_t i = 0; g && i < g->tried_url_count; i++) {
        if (strcmp(g->tried_urls[i], url) == 0)
            return;
    }
    for (size_t i = 0; i < b->out->aia_url_count; i++) {
        if (strcmp(b->out->aia_urls[i], url) == 0)
            return;
    }
    char **grown = realloc(b->out->aia_urls, (b->out->aia_url_count + 1) * sizeof(*grown));
    char *copy = fo_strdup(url);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            b->out->aia_urls = grown;
        fail(b, FO_ENOMEM);
        return;
    }
    b->out->aia_urls = grown;
    b->out->aia_urls[b->out->aia_url_count++] = copy;
    b->out->needs |= FO_NEED_AIA;
}

static bool is_ip_literal(const char *s)
{
    unsigned char bytes[16];
    return s && (inet_pton(AF_INET, s, bytes) == 1 || inet_pton(AF_INET6, s, bytes) == 1);
}

static const fo_cert_facts *leaf_of(const builder *b)
{
    return b->facts->chain_count > 0 ? &b->facts->chain[0] : NULL;
}

/* ---- names: hostname_mismatch, missing_cert_hostname, origins that need SNI ---- */

/* The names the backend already trusts, with what each is, in order of preference. */
typedef struct trusted {
    const char *name;
    const char *role;
} trusted;

static size_t trusted_names(const builder *b, trusted *out, size_t max)
{
    size_t n = 0;
    const fo_backend *be = b->in->backend;
    trusted all[3] = {{be->address, "the backend's address"},
                      {be->override_host, "the backend's override_host"},
                      {b->target.settings.sni_hostname, "the SNI name"}};
    for (size_t i = 0; i < 3 + b->in->domain_count && n < max; i++) {
        trusted t = i < 3 ? all[i] : (trusted){b->in->domains[i - 3], "a domain of the service"};
        bool seen = fo_str_empty(t.name);
        for (size_t j = 0; !seen && j < n; j++)
            seen = same_text(out[j].name, t.name);
        if (!seen)
            out[n++] = t;
    }
    return n;
}

static bool accepted(const builder *b, const char *name)
{
    for (size_t i = 0; i < b->opt->accept_count; i++) {
        if (same_text(b->opt->accept_cert_hostnames[i], name))
            return true;
    }
    return false;
}

/* Whether trusting name is as safe as what the backend already trusts; why says so. */
static bool name_is_safe(const builder *b, const char *name, char *why, size_t size)
{
    trusted names[64];
    size_t n = trusted_names(b, names, 64);
    char domain[256], other[256];
    for (size_t i = 0; i < n; i++) {
        if (same_text(names[i].name, name)) {
            snprintf(why, size, "%s is %s.", name, names[i].role);
            return true;
        }
    }
    fo_remediate_registrable_domain(domain, sizeof(domain), name);
    for (size_t i = 0; domain[0] && i < n; i++) {
        fo_remediate_registrable_domain(other, sizeof(other), names[i].name);
        if (strcmp(domain, other) == 0) {
            snprintf(why, size, "%s shares the registrable domain %s with %s %s.", name, domain,
                     names[i].role, names[i].name);
            return true;
        }
    }
    snprintf(why, size,
             "%s is none of the backend's names and shares no registrable domain with them: "
             "trusting it trusts whoever holds a certificate for it.",
             name);
    return false;
}

/* ssl_cert_hostname := name (and ssl_sni_hostname with it when with_sni). */
static void propose_cert_hostname(builder *b, const char *name, bool with_sni)
{
    fo_fix fix;
    char why[512];
    if (fo_str_empty(name) || strchr(name, '*') ||
        same_text(name, b->target.settings.cert_hostname))
        return;
    bool safe = name_is_safe(b, name, why, sizeof(why));
    start_fix(b, &fix, "ssl_cert_hostname", name);
    if (with_sni)
        add_change(b, &fix, "ssl_sni_hostname", name);
    if (!safe) {
        char flag[300];
        snprintf(flag, sizeof(flag), "--accept-cert-hostname %s", name);
        set_consent(b, &fix, FO_SAFETY_CONSENT, flag, accepted(b, name));
    }
    fix.summary = with_sni
                      ? fo_rem_strdupf("set ssl_cert_hostname and ssl_sni_hostname to %s", name)
                      : fo_rem_strdupf("set ssl_cert_hostname to %s", name);
    fix.reason = fo_rem_strdupf("The origin's certificate covers %s. %s", name, why);
    push(b, &fix);
}

static void propose_sni(builder *b, const char *name, const char *why)
{
    fo_fix fix;
    if (fo_str_empty(name) || same_text(name, b->target.settings.sni_hostname))
        return;
    start_fix(b, &fix, "ssl_sni_hostname", name);
    fix.summary = fo_rem_strdupf("set ssl_sni_hostname to %s", name);
    fix.reason =
        fo_rem_strdupf("%s The SNI name only selects the certificate; it trusts nothing.", why);
    push(b, &fix);
}

/* The certificate's names as a list for advice: "a, b, c". */
static void covered_names(char *out, size_t size, const fo_cert_facts *leaf)
{
    out[0] = '\0';
    for (size_t i = 0; leaf && i < leaf->san_count; i++)
        fo_str_appendf(out, size, "%s%s", i ? ", " : "", leaf->san[i]);
    if (!out[0])
        snprintf(out, size, "%s", leaf && leaf->subject ? leaf->subject : "no name");
}

/* The names a certificate could be checked against, preferred first. */
static void propose_names(builder *b, const fo_cert_facts *leaf, bool with_sni)
{
    trusted names[64];
    size_t n = trusted_names(b, names, 64);
    for (size_t i = 0; i < n; i++) {
        if (fo_remediate_cert_covers(leaf, names[i].name))
            propose_cert_hostname(b, names[i].name, with_sni);
    }
    for (size_t i = 0; i < b->opt->accept_count; i++) {
        if (fo_remediate_cert_covers(leaf, b->opt->accept_cert_hostnames[i]))
            propose_cert_hostname(b, b->opt->accept_cert_hostnames[i], with_sni);
    }
    for (size_t i = 0; i < leaf->san_count; i++)
        propose_cert_hostname(b, leaf->san[i], with_sni);
}

static void plan_names(builder *b)
{
    const fo_cert_facts *leaf = leaf_of(b);
    const char *cert_hostname = b->target.settings.cert_hostname;
    const char *sni = b->target.settings.sni_hostname;
    bool missing = b->in->diagnosis->verdict.class == FO_CLASS_MISSING_CERT_HOSTNAME;
    char names[512];
    covered_names(names, sizeof(names), leaf);

    /* The origin may serve the right certificate once asked for it by name. */
    if (!missing && !fo_str_empty(cert_hostname) && !same_text(sni, cert_hostname) &&
        b->facts->needs_sni != FO_NO) {
        char why[512];
        snprintf(why, sizeof(why), "%sWith SNI %s the origin may present a certificate for it.",
                 b->facts->needs_sni == FO_YES
                     ? "Without SNI the origin presents another certificate. "
                     : "",
                 cert_hostname);
        propose_sni(b, cert_hostname, why);
    }
    if (!leaf) {
        set_advice(b, fo_strdup("The origin presented no certificate to check a name against."));
        return;
    }
    bool sni_first = missing && fo_str_empty(sni) && b->facts->needs_sni == FO_YES;
    propose_names(b, leaf, sni_first);
    if (missing && fo_str_empty(sni))
        propose_names(b, leaf, !sni_first);
    if (missing)
        set_advice(b, fo_rem_strdupf(
                          "Set ssl_cert_hostname to a name the origin's certificate covers (%s); "
                          "pass --accept-cert-hostname NAME to trust one fixorigin cannot vouch "
                          "for, or install a certificate for the backend's name on the origin.",
                          names));
    else
        set_advice(
            b, fo_rem_strdupf("The origin's certificate covers %s, not %s: install a certificate "
                              "for %s on the origin, or pass --accept-cert-hostname NAME to check "
                              "it against one of the names it covers.",
                              names, cert_hostname ? cert_hostname : "the backend's name",
                              cert_hostname ? cert_hostname : "it"));
}

/* A handshake that fails without SNI and works (or shows another certificate) with it. */
static void plan_sni(builder *b)
{
    const char *name = b->target.settings.cert_hostname;
    if (fo_str_empty(name) && !is_ip_literal(b->in->backend->address))
        name = b->in->backend->address;
    if (fo_str_empty(name) && b->in->domain_count > 0)
        name = b->in->domains[0];
    propose_sni(b, name, "Without SNI the origin refuses the handshake; with it, it answers.");
}

/* ---- chains: the ssl_ca_cert fixes ---- */

static bool pem_has(const fo_cert_list *list, const char *sha256)
{
    for (size_t i = 0; list && i < list->count; i++) {
        if (strcmp(list->certs[i].sha256, sha256) == 0)
            return true;
    }
    return false;
}

static fo_cert_list *parse_pem(builder *b, const char *pem)
{
    fo_cert_list *list = NULL;
    if (fo_str_empty(pem))
        return NULL;
    int rc = fo_probe_certs_parse(&list, pem, strlen(pem), "PEM", NULL);
    if (rc == FO_ENOMEM)
        fail(b, rc);
    return rc == 0 ? list : NULL;
}

/* ssl_cert := what it holds, then each of certs it does not hold yet. */
static void propose_ca(builder *b, const fo_cert_facts *const *certs, size_t count,
                       fo_safety safety, const char *flag, bool given, const char *why,
                       const char *note)
{
    const char *existing = b->in->backend->ssl_ca_cert;
    fo_cert_list *held = parse_pem(b, existing);
    fo_buf pem = {0}, names = {0};
    fo_fix fix;
    int rc = fo_buf_puts(&pem, fo_str_empty(existing) ? "" : existing);
    if (rc == 0 && pem.len > 0 && pem.data[pem.len - 1] != '\n')
        rc = fo_buf_puts(&pem, "\n");
    size_t added = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        bool repeat = pem_has(held, certs[i]->sha256);
        for (size_t j = 0; !repeat && j < i; j++)
            repeat = strcmp(certs[j]->sha256, certs[i]->sha256) == 0;
        if (repeat)
            continue;
        rc = fo_buf_puts(&pem, certs[i]->pem);
        if (rc == 0)
            rc = fo_buf_printf(&names, "%s%s", added ? " and " : "", certs[i]->subject);
        added++;
    }
    if (rc != 0) {
        fail(b, FO_ENOMEM);
    } else if (added > 0) {
        start_fix(b, &fix, "ssl_ca_cert", pem.data);
        if (safety != FO_SAFETY_SAFE)
            set_consent(b, &fix, safety, flag, given);
        fix.summary = fo_rem_strdupf("add %s to ssl_ca_cert", names.data);
        fix.reason = fo_strdup(why);
        if (note && !(fix.note = fo_strdup(note)))
            fail(b, FO_ENOMEM);
        push(b, &fix);
    }
    fo_buf_clear(&pem);
    fo_buf_clear(&names);
    fo_cert_list_free(held);
}

/* Every certificate of --ca-file, as a candidate the flag consents to. */
static void propose_ca_file(builder *b)
{
    fo_cert_list *file = parse_pem(b, b->opt->ca_file_pem);
    const fo_cert_facts *certs[FO_CERT_LIST_MAX];
    for (size_t i = 0; file && i < file->count; i++)
        certs[i] = &file->certs[i];
    if (file)
        propose_ca(b, certs, file->count, FO_SAFETY_CONSENT, "--ca-file", true,
                   "You gave these CA certificates with --ca-file: Fastly trusts them for this "
                   "backend.",
                   NULL);
    fo_cert_list_free(file);
}

/* A gathered issuer of cert, by name. Only an intermediate counts: a certificate in
 * ssl_ca_cert is a trust anchor, so a self-signed one fetched from a URL the origin's own
 * certificate names would pass any proof and trust whoever made it. An intermediate has to
 * chain to a root Fastly trusts for the proof to pass. A self-signed one found is kept in
 * *rejected (may be NULL) for the advice. */
static const fo_cert_facts *gathered_issuer(const builder *b, const fo_cert_facts *cert,
                                            const fo_cert_facts **rejected)
{
    const fo_gathered *g = b->in->gathered;
    for (size_t i = 0; g && i < g->issuer_count; i++) {
        if (!g->issuers[i].subject || !cert->issuer ||
            strcmp(g->issuers[i].subject, cert->issuer) != 0)
            continue;
        if (!g->issuers[i].self_signed)
            return &g->issuers[i];
        if (rejected && !*rejected)
            *rejected = &g->issuers[i];
    }
    return NULL;
}

/* The advice when the AIA URL served a self-signed CA: only the user can vouch for it. */
static char *self_signed_aia_advice(const fo_cert_facts *root)
{
    return fo_rem_strdupf("The AIA URL serves the self-signed CA %s (SHA-256 %s), which Fastly "
                          "does not trust: if it is the origin's own CA, pass it with --ca-file.",
                          root->subject, root->sha256);
}

/* unable_to_verify_first_certificate: the leaf came alone; its AIA URL names the issuer. */
static void plan_first_certificate(builder *b)
{
    const fo_cert_facts *leaf = leaf_of(b);
    const fo_cert_facts *rejected = NULL;
    const fo_cert_facts *issuer = leaf ? gathered_issuer(b, leaf, &rejected) : NULL;
    char why[600];
    if (leaf && !issuer)
        need_url(b, leaf->aia_issuer_url);
    if (issuer) {
        snprintf(why, sizeof(why),
                 "The origin sends its certificate without the intermediate %s; the "
                 "certificate's AIA URL serves it, and it chains to a CA Fastly trusts.",
                 issuer->subject);
        propose_ca(b, &issuer, 1, FO_SAFETY_SAFE, NULL, true, why,
                   "The origin should serve its full chain (certificate and intermediate).");
    }
    propose_ca_file(b);
    const char *wanted = leaf && leaf->issuer ? leaf->issuer : "its issuer";
    if (rejected)
        set_advice(b, self_signed_aia_advice(rejected));
    else if (b->facts->chain_count > 1)
        set_advice(b, fo_rem_strdupf("The origin sends the wrong intermediate (%s) with its "
                                     "certificate: configure it to send %s instead.",
                                     b->facts->chain[1].subject, wanted));
    else if (leaf && !leaf->aia_issuer_url)
        set_advice(b, fo_rem_strdupf("The origin sends its certificate alone and its issuer %s is "
                                     "not trusted; the certificate names no AIA URL. If %s is a "
                                     "private root, pass --ca-file with it; if it is an "
                                     "intermediate, configure the origin to serve the full chain.",
                                     wanted, wanted));
    else
        set_advice(b, fo_strdup("The origin sends its certificate without the intermediate CA: "
                                "configure it to serve the full chain, or pass --ca-file with the "
                                "intermediate."));
}

/* unable_to_get_issuer_certificate: a certificate trusted through ssl_ca_cert whose own
 * issuer is missing; its AIA URL or --ca-file may have it. */
static void plan_missing_issuer(builder *b)
{
    fo_cert_list *held = parse_pem(b, b->in->backend->ssl_ca_cert);
    fo_cert_list *file = parse_pem(b, b->opt->ca_file_pem);
    const fo_cert_facts *found[FO_CERT_LIST_MAX];
    size_t found_count = 0;
    const char *orphan = NULL, *wanted = NULL;
    const fo_cert_facts *rejected = NULL;
    bool from_file = false;
    for (size_t i = 0; held && i < held->count; i++) {
        const fo_cert_facts *c = &held->certs[i];
        bool has_issuer = c->self_signed;
        for (size_t j = 0; !has_issuer && j < held->count; j++)
            has_issuer = strcmp(held->certs[j].subject, c->issuer) == 0;
        if (has_issuer)
            continue;
        orphan = orphan ? orphan : c->subject;
        wanted = wanted ? wanted : c->issuer;
        const fo_cert_facts *issuer = gathered_issuer(b, c, &rejected);
        for (size_t j = 0; !issuer && file && j < file->count; j++) {
            if (strcmp(file->certs[j].subject, c->issuer) == 0) {
                issuer = &file->certs[j];
                from_file = true;
            }
        }
        if (!issuer)
            need_url(b, c->aia_issuer_url);
        else if (found_count < FO_CERT_LIST_MAX)
            found[found_count++] = issuer;
    }
    if (found_count > 0) {
        char why[600];
        snprintf(why, sizeof(why),
                 "ssl_ca_cert holds %s but not its issuer %s; with it the chain reaches a root.",
                 orphan, wanted);
        propose_ca(b, found, found_count, from_file ? FO_SAFETY_CONSENT : FO_SAFETY_SAFE,
                   from_file ? "--ca-file" : NULL, true, why, NULL);
    }
    propose_ca_file(b);
    if (rejected)
        set_advice(b, self_signed_aia_advice(rejected));
    else
        set_advice(b, orphan
                          ? fo_rem_strdupf("ssl_ca_cert holds %s but not its issuer %s: pass "
                                           "--ca-file with that issuer (up to its root).",
                                           orphan, wanted)
                          : fo_strdup("A trusted certificate's issuer is missing: pass --ca-file "
                                      "with the issuing CA up to its root."));
    fo_cert_list_free(held);
    fo_cert_list_free(file);
}

/* A fingerprint as users write it (fo_sha256_parse) against one of ours, by their bytes. */
static bool same_fingerprint(const char *given, const char *sha256)
{
    unsigned char a[FO_SHA256_LEN], b[FO_SHA256_LEN];
    return fo_sha256_parse(a, given, NULL) == 0 && fo_sha256_parse(b, sha256, NULL) == 0 &&
           memcmp(a, b, sizeof(a)) == 0;
}

/* self_signed_certificate, self_signed_certificate_in_chain,
 * unable_to_get_local_issuer_certificate: only the user can say the CA is the origin's. */
static void plan_untrusted_ca(builder *b)
{
    const fo_probe_facts *f = b->facts;
    const fo_cert_facts *presented = NULL;
    fo_class class = b->in->diagnosis->verdict.class;
    if (class == FO_CLASS_SELF_SIGNED_CERTIFICATE && f->chain_count > 0)
        presented = &f->chain[0];
    for (size_t i = 0; class == FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN && i < f->chain_count;
         i++) {
        if (f->chain[i].self_signed)
            presented = &f->chain[i];
    }
    if (class == FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE && f->chain_count > 1 &&
        f->chain[f->chain_count - 1].is_ca)
        presented = &f->chain[f->chain_count - 1];
    propose_ca_file(b);
    const char *pinned = b->opt->trust_presented_sha256;
    bool other = presented && pinned && !same_fingerprint(pinned, presented->sha256);
    if (presented) {
        char why[700];
        snprintf(why, sizeof(why),
                 "Trusts %s (SHA-256 %s) as the origin presents it. Only you can tell it is the "
                 "origin's own CA: check the fingerprint.%s",
                 presented->subject, presented->sha256,
                 other ? " It is not the one --trust-presented-ca names." : "");
        propose_ca(b, &presented, 1, FO_SAFETY_CONSENT, "--trust-presented-ca",
                   b->opt->trust_presented_ca && !other, why, NULL);
    }
    if (other)
        set_advice(b, fo_rem_strdupf("The origin presents %s (SHA-256 %s), not the certificate "
                                     "--trust-presented-ca names (%s): check who answers for "
                                     "the origin.",
                                     presented->subject, presented->sha256, pinned));
    else
        set_advice(b, presented
                          ? fo_rem_strdupf("The origin's chain ends at %s (SHA-256 %s), which "
                                           "Fastly does not trust: pass --ca-file with the "
                                           "origin's CA, or --trust-presented-ca to trust it "
                                           "as presented.",
                                           presented->subject, presented->sha256)
                          : fo_strdup("The origin's chain ends at a CA Fastly does not trust "
                                      "and does not present it: pass --ca-file with the "
                                      "origin's CA (up to its root)."));
}

/* ---- connections and handshakes ---- */

static void plan_timeout(builder *b)
{
    const fo_probe_facts *f = b->facts;
    long now = b->target.settings.connect_timeout_ms;
    if (f->late_answer_ms < 0) {
        set_advice(b, fo_rem_strdupf("The origin did not answer within %ld ms, nor in the "
                                     "extra wait after it: check that it runs and that its "
                                     "firewall lets Fastly in.",
                                     now));
        return;
    }
    /* The measured time and half again, in steps of 500 ms: margin for a slower day. */
    long wanted = lround(ceil(f->late_answer_ms * 1.5 / 500.0)) * 500;
    if (wanted <= now)
        wanted = now + 500;
    if (wanted > FO_REM_MAX_TIMEOUT_MS) {
        set_advice(b, fo_rem_strdupf("The origin answered only after %.0f ms: more than "
                                     "fixorigin sets connect_timeout to (%d ms). Make the origin "
                                     "answer faster.",
                                     f->late_answer_ms, FO_REM_MAX_TIMEOUT_MS));
        return;
    }
    char to[32];
    fo_fix fix;
    snprintf(to, sizeof(to), "%ld", wanted);
    start_fix(b, &fix, "connect_timeout", to);
    fix.summary = fo_rem_strdupf("raise connect_timeout to %ld ms", wanted);
    fix.reason = fo_rem_strdupf("The origin answers, after %.0f ms, past connect_timeout %ld ms; "
                                "%ld ms leaves a margin.",
                                f->late_answer_ms, now, wanted);
    fix.note = fo_strdup("The origin is slow to answer: worth a look.");
    push(b, &fix);
    set_advice(b, fo_rem_strdupf("The origin answers only after %.0f ms: make it answer within "
                                 "connect_timeout (%ld ms).",
                                 f->late_answer_ms, now));
}

static fo_tls_version version_at(int index)
{
    return (fo_tls_version)(FO_TLS_1_0 + index);
}

/* The origin accepts versions, none inside the backend's min/max: move the nearer bound. */
static void plan_versions(builder *b)
{
    const fo_probe_settings *s = &b->target.settings;
    fo_tls_version lo = s->min_tls == FO_TLS_UNSET ? FO_TLS_1_0 : s->min_tls;
    fo_tls_version hi = s->max_tls == FO_TLS_UNSET ? FO_TLS_1_3 : s->max_tls;
    fo_tls_version above = FO_TLS_UNSET, below = FO_TLS_UNSET;
    for (int i = 0; i < FO_TLS_VERSION_COUNT; i++) {
        fo_tls_version v = version_at(i);
        if (b->facts->protocols[i] != FO_YES)
            continue;
        if (v >= lo && v <= hi)
            return; /* a version in common: not the versions */
        if (v > hi && above == FO_TLS_UNSET)
            above = v;
        if (v < lo)
            below = v;
    }
    fo_fix fix;
    if (above != FO_TLS_UNSET) {
        start_fix(b, &fix, "max_tls_version", fo_tls_version_name(above));
        fix.summary = fo_rem_strdupf("raise max_tls_version to %s", fo_tls_version_name(above));
        fix.reason = fo_rem_strdupf("The origin accepts TLS %s, above the backend's "
                                    "max_tls_version %s.",
                                    fo_tls_version_name(above), fo_tls_version_name(hi));
        push(b, &fix);
    } else if (below != FO_TLS_UNSET) {
        /* Lowering the floor is weakening TLS whatever the version: only the user decides. */
        start_fix(b, &fix, "min_tls_version", fo_tls_version_name(below));
        set_consent(b, &fix, FO_SAFETY_DOWNGRADE, "--allow-downgrade", b->opt->allow_downgrade);
        fix.summary = fo_rem_strdupf("lower min_tls_version to %s", fo_tls_version_name(below));
        fix.reason = fo_rem_strdupf("The origin accepts at most TLS %s, below the backend's "
                                    "min_tls_version %s; lowering the minimum is a downgrade%s.",
                                    fo_tls_version_name(below), fo_tls_version_name(lo),
                                    below < FO_TLS_1_2 ? ", to TLS below 1.2" : "");
        push(b, &fix);
    }
}

/* A TLS 1.2 cipher (OpenSSL's name) with forward secrecy and an AEAD mode: adding it to
 * ssl_ciphers weakens nothing. Anything else (static RSA key exchange, CBC) does. */
static bool strong_cipher(const char *name)
{
    bool forward_secret = strncmp(name, "ECDHE-", 6) == 0 || strncmp(name, "DHE-", 4) == 0;
    bool aead = strstr(name, "-GCM-") || strstr(name, "CHACHA20-POLY1305") || strstr(name, "-CCM");
    return forward_secret && aead;
}

/* The backend's own ssl_ciphers leave nothing in common: add the cipher the origin picks
 * when the list is unset (learnt by probing without it). */
static void plan_ciphers(builder *b)
{
    const fo_diagnosis *open = b->in->gathered ? b->in->gathered->without_ciphers : NULL;
    const char *ciphers = b->target.settings.ciphers;
    if (fo_str_empty(ciphers))
        return;
    if (!open) {
        b->out->needs |= FO_NEED_WITHOUT_CIPHERS;
        return;
    }
    const char *picked = open->facts.cipher;
    const char *protocol = open->facts.protocol;
    if (open->facts.outcome != FO_OUTCOME_OK || fo_str_empty(picked) || !protocol ||
        strcmp(protocol, "TLSv1.3") == 0 || strstr(ciphers, picked))
        return; /* not the ciphers: without them it fails too (or TLS 1.3 ignores them) */
    bool old = strcmp(protocol, "TLSv1.2") != 0;
    bool weak = !old && !strong_cipher(picked);
    char *to = fo_rem_strdupf("%s:%s", ciphers, picked);
    fo_fix fix;
    if (!to) {
        fail(b, FO_ENOMEM);
        return;
    }
    start_fix(b, &fix, "ssl_ciphers", to);
    if (old || weak)
        set_consent(b, &fix, FO_SAFETY_DOWNGRADE, "--allow-downgrade", b->opt->allow_downgrade);
    fix.summary = fo_rem_strdupf("add %s to ssl_ciphers", picked);
    fix.reason = fo_rem_strdupf("None of the backend's ssl_ciphers is one the origin accepts; "
                                "it picks %s (%s) when offered the default list.%s",
                                picked, protocol,
                                old    ? " TLS below 1.2 is a downgrade."
                                : weak ? " A cipher without forward secrecy or an AEAD mode is a "
                                         "downgrade."
                                       : "");
    push(b, &fix);
    free(to);
}

static void plan_handshake(builder *b)
{
    const fo_probe_facts *f = b->facts;
    char accepted_versions[64] = "";
    for (int i = 0; i < FO_TLS_VERSION_COUNT; i++) {
        if (f->protocols[i] == FO_YES)
            fo_str_appendf(accepted_versions, sizeof(accepted_versions), "%s%s",
                           accepted_versions[0] ? ", " : "", fo_tls_version_name(version_at(i)));
    }
    if (f->needs_sni == FO_YES && fo_str_empty(b->target.settings.sni_hostname))
        plan_sni(b);
    plan_versions(b);
    plan_ciphers(b);
    if (b->in->diagnosis->verdict.class == FO_CLASS_TLSV1_ALERT_INTERNAL_ERROR)
        set_advice(b, fo_strdup("The origin aborts the handshake with an internal_error alert: "
                                "check its TLS configuration and logs."));
    else
        set_advice(b, fo_rem_strdupf("The origin and Fastly have no TLS version or cipher in "
                                     "common%s%s%s: update the origin's TLS configuration "
                                     "(TLS 1.2 or 1.3 with current ciphers).",
                                     accepted_versions[0] ? " (the origin accepts TLS " : "",
                                     accepted_versions, accepted_versions[0] ? ")" : ""));
}

/* Plain HTTP where TLS was expected: turning TLS off is possible, and a downgrade. */
static void plan_plain_http(builder *b)
{
    const fo_diagnosis *port80 = b->in->gathered ? b->in->gathered->port80 : NULL;
    int port = b->target.port;
    set_advice(b, fo_rem_strdupf("The origin does not speak TLS on port %d: enable TLS there, "
                                 "or turn TLS off (with --allow-downgrade when it answers HTTP "
                                 "on port 80).",
                                 port));
    if (port == 80)
        return;
    if (!port80) {
        b->out->needs |= FO_NEED_PORT80;
        return;
    }
    if (port80->verdict.class != FO_CLASS_OK || port80->facts.plain_http != FO_YES)
        return;
    fo_fix fix;
    start_fix(b, &fix, "use_ssl", "false");
    add_change(b, &fix, "port", "80");
    set_consent(b, &fix, FO_SAFETY_DOWNGRADE, "--allow-downgrade", b->opt->allow_downgrade);
    fix.summary = fo_strdup("turn TLS off and use port 80");
    fix.reason = fo_rem_strdupf("The origin does not speak TLS on port %d but answers HTTP on "
                                "port 80. Without TLS, traffic to the origin is readable and "
                                "changeable on the way: a downgrade.",
                                port);
    fix.note = fo_strdup("Enable TLS on the origin, then turn use_ssl back on.");
    push(b, &fix);
}

/* ---- what only a person can fix ---- */

static void plan_human(builder *b)
{
    const fo_probe_facts *f = b->facts;
    const fo_cert_facts *leaf = leaf_of(b);
    char when[32] = "";
    switch (b->in->diagnosis->verdict.class) {
    case FO_CLASS_CERTIFICATE_EXPIRED:
        if (leaf)
            fo_format_time(when, sizeof(when), leaf->not_after);
        set_advice(b, fo_rem_strdupf("Renew the origin's certificate%s%s: it expired on %s.",
                                     leaf ? " " : "", leaf ? leaf->subject : "",
                                     when[0] ? when : "(date unknown)"));
        break;
    case FO_CLASS_CERTIFICATE_NOT_YET_VALID:
        if (leaf)
            fo_format_time(when, sizeof(when), leaf->not_before);
        set_advice(
            b, fo_rem_strdupf("Needs a person. Tell the origin's owner: the certificate%s%s is not "
                              "valid before %s. Put back the previous certificate until then, or "
                              "check the issuing system's clock; renewing will not help.",
                              leaf ? " " : "", leaf ? leaf->subject : "",
                              when[0] ? when : "(date unknown)"));
        break;
    case FO_CLASS_UNSUITABLE_CERTIFICATE_PURPOSE:
        set_advice(b, fo_rem_strdupf("Needs a person. Tell the origin's owner: the certificate%s%s "
                                     "is not issued for TLS servers (extended key usage %s); "
                                     "get one with serverAuth.",
                                     leaf ? " " : "", leaf ? leaf->subject : "",
                                     leaf && leaf->ext_key_usage ? leaf->ext_key_usage : "?"));
        break;
    case FO_CLASS_NAME_CONSTRAINTS_VIOLATION:
        set_advice(b, fo_rem_strdupf("Needs a person. Tell the origin's owner: the CA that issued "
                                     "the certificate may not certify its names (%s); get a "
                                     "certificate from a CA allowed to issue for them.",
                                     fo_verdict_fastly_error(&b->in->diagnosis->verdict)));
        break;
    case FO_CLASS_INVALID_CA:
        set_advice(b, fo_strdup("Needs a person. Tell the origin's owner: the certificate it sends "
                                "as its intermediate is not a CA certificate; send the CA "
                                "certificate that really issued the leaf."));
        break;
    case FO_CLASS_UNHANDLED_CRITICAL_EXTENSION:
        set_advice(b, fo_strdup("Needs a person. Tell the origin's owner: a certificate in its "
                                "chain has a critical extension TLS clients do not know; have "
                                "it reissued without it."));
        break;
    case FO_CLASS_CERTIFICATE_REVOKED:
        set_advice(b, fo_strdup("Needs a person. Tell the origin's owner: its certificate has "
                                "been revoked; install a new one."));
        break;
    case FO_CLASS_KEY_TOO_SMALL:
    case FO_CLASS_CA_MD_TOO_WEAK:
        set_advice(b,
                   fo_rem_strdupf("Needs a person. Tell the origin's owner: its chain is too "
                                  "weak (%s); reissue with RSA 2048+ or ECDSA P-256 and SHA-256.",
                                  fo_verdict_fastly_error(&b->in->diagnosis->verdict)));
        break;
    case FO_CLASS_CERTIFICATE_ERROR:
        set_advice(b, fo_rem_strdupf("Needs a person. Tell the origin's owner: its certificate "
                                     "fails verification: %s.",
                                     b->in->diagnosis->verdict.detail));
        break;
    case FO_CLASS_DNS_FAILURE:
        set_advice(b, fo_rem_strdupf("Fix DNS: %s does not resolve%s%s%s.", b->in->backend->address,
                                     f->problem ? " (" : "", f->problem ? f->problem : "",
                                     f->problem ? ")" : ""));
        break;
    case FO_CLASS_CONNECTION_REFUSED:
        set_advice(b, fo_rem_strdupf("The origin refused the connection to port %d: allow "
                                     "Fastly's address ranges (/public-ip-list) in its firewall, "
                                     "and check that it listens on that port.",
                                     b->target.port));
        break;
    case FO_CLASS_RC4_CIPHER:
        set_advice(b, fo_strdup("The origin offers only RC4, which Fastly refuses: update its "
                                "TLS configuration (TLS 1.2 or 1.3 with AES-GCM or ChaCha20)."));
        break;
    default:
        set_advice(b, fo_rem_strdupf("fixorigin has no automatic fix for %s: %s",
                                     fo_class_id(b->in->diagnosis->verdict.class),
                                     b->in->diagnosis->verdict.detail));
        break;
    }
}

/* Allowed candidates are proven first, so a passing one the user consented to wins over
 * one that waits for consent. Stable. */
static void allowed_first(fo_candidates *c)
{
    for (size_t i = 1; i < c->count; i++) {
        fo_fix fix = c->fixes[i];
        size_t j = i;
        while (j > 0 && fix.allowed && !c->fixes[j - 1].allowed) {
            c->fixes[j] = c->fixes[j - 1];
            j--;
        }
        c->fixes[j] = fix;
    }
}

int fo_remediate_candidates(fo_candidates *out, const fo_candidates_input *in, fo_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!in || !in->backend || !in->diagnosis)
        return fo_error_set(err, FO_EINVAL, "no backend or diagnosis to plan for");
    builder b = {.out = out,
                 .in = in,
                 .opt = in->options ? in->options : &no_consent,
                 .facts = &in->diagnosis->facts};
    int rc = fo_rem_target(&b.target, in->backend, err);
    if (rc != 0)
        return rc;
    switch (in->diagnosis->verdict.class) {
    case FO_CLASS_OK:
        set_advice(&b, fo_strdup("Nothing to fix."));
        break;
    case FO_CLASS_HOSTNAME_MISMATCH:
    case FO_CLASS_MISSING_CERT_HOSTNAME:
        plan_names(&b);
        break;
    case FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE:
        plan_first_certificate(&b);
        break;
    case FO_CLASS_UNABLE_TO_GET_ISSUER_CERTIFICATE:
        plan_missing_issuer(&b);
        break;
    case FO_CLASS_SELF_SIGNED_CERTIFICATE:
    case FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN:
    case FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE:
        plan_untrusted_ca(&b);
        break;
    case FO_CLASS_CONNECTION_TIMEOUT:
        plan_timeout(&b);
        break;
    case FO_CLASS_HANDSHAKE_FAILURE:
    case FO_CLASS_TLSV1_ALERT_INTERNAL_ERROR:
        plan_handshake(&b);
        break;
    case FO_CLASS_UNKNOWN_PROTOCOL:
        plan_plain_http(&b);
        break;
    default:
        plan_human(&b);
        break;
    }
    if (b.rc == 0 && !out->advice)
        set_advice(&b, fo_strdup("No automatic fix."));
    if (b.rc != 0) {
        fo_candidates_clear(out);
        return fo_error_set(err, b.rc, "out of memory");
    }
    allowed_first(out);
    return 0;
}

void fo_candidates_clear(fo_candidates *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        fo_fix_clear(&c->fixes[i]);
    free(c->fixes);
    for (size_t i = 0; i < c->aia_url_count; i++)
        free(c->aia_urls[i]);
    free(c->aia_urls);
    free(c->advice);
    memset(c, 0, sizeof(*c));
}
