/* A diagnosis as the "fixorigin.probe/v1" JSON object (see README.md for the schema). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/report.h"
#include "report_int.h"

static json_t *ms(double value)
{
    if (value < 0)
        return json_null();
    return json_real(round(value * 1000.0) / 1000.0);
}

static json_t *tristate(fo_tristate t)
{
    return t == FO_UNTESTED ? json_null() : json_boolean(t == FO_YES);
}

static json_t *time_text(int64_t t)
{
    char buf[32];
    fo_format_time(buf, sizeof(buf), t);
    return json_string(buf);
}

static json_t *settings_json(const fo_diagnosis *d, bool *ok)
{
    const fo_probe_settings *s = &d->target.settings;
    json_t *o = json_object();
    if (!o)
        return NULL;
    put(o, "use_ssl", json_boolean(s->use_ssl), ok);
    put(o, "ssl_check_cert", json_boolean(s->check_cert), ok);
    put(o, "ssl_sni_hostname", fo_report_json_string(s->sni_hostname), ok);
    put(o, "ssl_cert_hostname", fo_report_json_string(s->cert_hostname), ok);
    if (d->ca_cert_count == 0) {
        put(o, "ssl_ca_cert", json_null(), ok);
    } else {
        json_t *list = json_array();
        for (size_t i = 0; list && i < d->ca_cert_count; i++) {
            json_t *ca = json_object();
            if (ca) {
                put(ca, "subject", fo_report_json_string(d->ca_certs[i].subject), ok);
                put(ca, "sha256", json_string(d->ca_certs[i].sha256), ok);
            }
            push(list, ca, ok);
        }
        put(o, "ssl_ca_cert", list, ok);
    }
    put(o, "min_tls_version", fo_report_json_string(fo_tls_version_name(s->min_tls)), ok);
    put(o, "max_tls_version", fo_report_json_string(fo_tls_version_name(s->max_tls)), ok);
    put(o, "ssl_ciphers", fo_report_json_string(s->ciphers), ok);
    put(o, "connect_timeout", json_integer(s->connect_timeout_ms), ok);
    put(o, "prefer_ipv6", json_boolean(s->prefer_ipv6), ok);
    return o;
}

static json_t *target_json(const fo_diagnosis *d, bool *ok)
{
    json_t *o = json_object();
    json_t *addresses = json_array();
    if (!o || !addresses) {
        json_decref(o);
        json_decref(addresses);
        return NULL;
    }
    put(o, "host", fo_report_json_string(d->target.host), ok);
    put(o, "port", json_integer(d->target.port), ok);
    for (size_t i = 0; i < d->facts.address_count; i++)
        push(addresses, json_string(d->facts.addresses[i]), ok);
    put(o, "addresses", addresses, ok);
    put(o, "settings", settings_json(d, ok), ok);
    return o;
}

static json_t *cert_json(const fo_cert_facts *c, bool *ok)
{
    json_t *o = json_object();
    json_t *san = json_array();
    if (!o || !san) {
        json_decref(o);
        json_decref(san);
        return NULL;
    }
    put(o, "subject", fo_report_json_string(c->subject), ok);
    put(o, "issuer", fo_report_json_string(c->issuer), ok);
    json_t *san_types = json_array();
    for (size_t i = 0; i < c->san_count; i++) {
        push(san, fo_report_json_string(c->san[i]), ok);
        push(san_types, json_string(fo_cert_san_is_ip(c, i) ? "IP" : "DNS"), ok);
    }
    put(o, "san", san, ok);
    put(o, "san_types", san_types, ok);
    put(o, "ext_key_usage", fo_report_json_string(c->ext_key_usage), ok);
    put(o, "key_type", fo_report_json_string(c->key_type[0] ? c->key_type : NULL), ok);
    put(o, "key_bits", c->key_bits > 0 ? json_integer(c->key_bits) : json_null(), ok);
    put(o, "signature_digest",
        fo_report_json_string(c->signature_digest[0] ? c->signature_digest : NULL), ok);
    put(o, "not_before", time_text(c->not_before), ok);
    put(o, "not_after", time_text(c->not_after), ok);
    put(o, "sha256", json_string(c->sha256), ok);
    put(o, "self_signed", json_boolean(c->self_signed), ok);
    put(o, "is_ca", json_boolean(c->is_ca), ok);
    put(o, "aia_issuer_url", fo_report_json_string(c->aia_issuer_url), ok);
    return o;
}

/* Each address of the name in Fastly's order, with what it gave. */
static json_t *per_address_json(const fo_probe_facts *f, bool *ok)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < f->address_result_count; i++) {
        const fo_address_result *r = &f->address_results[i];
        json_t *o = json_object();
        if (o) {
            put(o, "address", json_string(r->address), ok);
            put(o, "probed", json_boolean(r->probed), ok);
            put(o, "class", r->probed ? json_string(fo_class_id(r->class)) : json_null(), ok);
            put(o, "fastly_error",
                r->probed && r->class != FO_CLASS_OK ? fo_report_json_string(r->fastly_error)
                                                     : json_null(),
                ok);
            put(o, "connect_ms", ms(r->connect_ms), ok);
            put(o, "handshake_ms", ms(r->handshake_ms), ok);
            put(o, "leaf_sha256", r->leaf_sha256[0] ? json_string(r->leaf_sha256) : json_null(),
                ok);
            put(o, "problem", r->problem[0] ? fo_report_json_string(r->problem) : json_null(), ok);
        }
        push(list, o, ok);
    }
    return list;
}

static json_t *evidence_json(const fo_probe_facts *f, bool *ok)
{
    json_t *o = json_object();
    json_t *errors = json_array();
    json_t *chain = json_array();
    json_t *protocols = json_object();
    if (!o || !errors || !chain || !protocols) {
        json_decref(o);
        json_decref(errors);
        json_decref(chain);
        json_decref(protocols);
        return NULL;
    }
    put(o, "address", fo_report_json_string(f->address), ok);
    put(o, "per_address", per_address_json(f, ok), ok);
    put(o, "connect_ms", ms(f->connect_ms), ok);
    put(o, "handshake_ms", ms(f->handshake_ms), ok);
    put(o, "late_answer_ms", ms(f->late_answer_ms), ok);
    put(o, "protocol", fo_report_json_string(f->protocol), ok);
    put(o, "cipher", fo_report_json_string(f->cipher), ok);
    if (f->alert < 0) {
        put(o, "alert", json_null(), ok);
    } else {
        json_t *alert = json_object();
        if (alert) {
            put(alert, "code", json_integer(f->alert), ok);
            put(alert, "name", json_string(fo_probe_alert_name(f->alert)), ok);
        }
        put(o, "alert", alert, ok);
    }
    put(o, "verify_code", json_integer(f->verify_code), ok);
    put(o, "verify_error", json_string(fo_probe_verify_text(f)), ok);
    for (size_t i = 0; i < f->verify_error_count; i++) {
        json_t *e = json_object();
        if (e) {
            put(e, "depth", json_integer(f->verify_errors[i].depth), ok);
            put(e, "code", json_integer(f->verify_errors[i].code), ok);
            put(e, "error", fo_report_json_string(f->verify_errors[i].error), ok);
        }
        push(errors, e, ok);
    }
    put(o, "verify_errors", errors, ok);
    for (size_t i = 0; i < f->chain_count; i++)
        push(chain, cert_json(&f->chain[i], ok), ok);
    put(o, "chain", chain, ok);
    put(o, "sni_sent", fo_report_json_string(f->sni_sent), ok);
    for (int v = 0; v < FO_TLS_VERSION_COUNT; v++)
        put(protocols, fo_tls_version_name((fo_tls_version)(FO_TLS_1_0 + v)),
            tristate(f->protocols[v]), ok);
    put(o, "protocols", protocols, ok);
    put(o, "rc4_only", tristate(f->rc4_only), ok);
    put(o, "needs_sni", tristate(f->needs_sni), ok);
    put(o, "plain_http", tristate(f->plain_http), ok);
    return o;
}

json_t *fo_report_diagnosis_json(const fo_diagnosis *d, long line)
{
    bool ok = true;
    const fo_verdict *v = &d->verdict;
    json_t *o = json_object();
    json_t *also = json_array();
    json_t *warnings = json_array();
    if (!o || !also || !warnings) {
        json_decref(o);
        json_decref(also);
        json_decref(warnings);
        return NULL;
    }
    put(o, "schema", json_string(FO_PROBE_SCHEMA), &ok);
    if (line > 0)
        put(o, "line", json_integer(line), &ok);
    put(o, "target", target_json(d, &ok), &ok);
    put(o, "class", json_string(fo_class_id(v->class)), &ok);
    put(o, "fastly_error", fo_report_json_string(fo_verdict_fastly_error(v)), &ok);
    put(o, "ok", json_boolean(v->class == FO_CLASS_OK), &ok);
    put(o, "detail", fo_report_json_string(v->detail), &ok);
    for (size_t i = 0; i < v->also_count; i++)
        push(also, json_string(fo_class_id(v->also[i])), &ok);
    put(o, "also", also, &ok);
    for (size_t i = 0; i < v->warning_count; i++)
        push(warnings, fo_report_json_string(v->warnings[i]), &ok);
    put(o, "warnings", warnings, &ok);
    put(o, "evidence", evidence_json(&d->facts, &ok), &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}
