/* One TLS handshake with deadlines and a byte budget, as plain facts (see tls.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "probe_certs.h"
#include "probe_hello.h"
#include "probe_net.h"
#include "probe_tls.h"

#define FIRST_BYTES 128
#define REPLY_LINE_MAX 100

/* What the callbacks of one handshake record; reached through SSL_get_app_data. */
struct handshake_state {
    fo_verify_error errors[FO_TLS_MAX_VERIFY_ERRORS];
    size_t error_count;
    int alert; /* the fatal alert received, -1 when none */
    bool cert_requested;
};

int fo_tls_verify_callback(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct handshake_state *state = ssl ? SSL_get_app_data(ssl) : NULL;
    if (!preverify_ok && state && state->error_count < FO_TLS_MAX_VERIFY_ERRORS) {
        fo_verify_error *e = &state->errors[state->error_count++];
        e->depth = X509_STORE_CTX_get_error_depth(store);
        e->code = X509_STORE_CTX_get_error(store);
        snprintf(e->error, sizeof(e->error), "%s", X509_verify_cert_error_string(e->code));
    }
    return 1; /* go on: the probe reports every error, and Fastly's result is the final one */
}

static void message_callback(int write_p, int version, int content_type, const void *buf,
                             size_t len, SSL *ssl, void *arg)
{
    (void)version;
    (void)ssl;
    struct handshake_state *state = arg;
    const unsigned char *bytes = buf;
    if (!write_p && content_type == SSL3_RT_ALERT && len >= 2 && bytes[0] == SSL3_AL_FATAL &&
        state->alert < 0)
        state->alert = bytes[1];
    if (!write_p && content_type == SSL3_RT_HANDSHAKE && len >= 1 &&
        bytes[0] == SSL3_MT_CERTIFICATE_REQUEST)
        state->cert_requested = true;
}

static void set_verify_name(SSL *ssl, const char *name)
{
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (fo_net_is_address(name))
        X509_VERIFY_PARAM_set1_ip_asc(param, name);
    else
        X509_VERIFY_PARAM_set1_host(param, name, 0);
}

/* Moves what OpenSSL wrote to the socket. Returns 0, or -1 when the origin went away. */
static int flush_output(BIO *wbio, int fd, double deadline)
{
    char buf[4096];
    while (BIO_ctrl_pending(wbio) > 0) {
        int n = BIO_read(wbio, buf, sizeof(buf));
        if (n <= 0)
            break;
        if (fo_net_send_all(fd, buf, (size_t)n, deadline) != 0)
            return -1;
    }
    return 0;
}

/* The first line of a reply that is not TLS, printable. */
static char *reply_line(const unsigned char *bytes, size_t len)
{
    char line[REPLY_LINE_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i < len && n < REPLY_LINE_MAX; i++) {
        if (bytes[i] == '\r' || bytes[i] == '\n')
            break;
        line[n++] = bytes[i] >= 0x20 && bytes[i] < 0x7f ? (char)bytes[i] : '?';
    }
    line[n] = '\0';
    return fo_strdup(line);
}

void fo_tls_facts_clear_chain(fo_probe_facts *facts)
{
    for (size_t i = 0; i < facts->chain_count; i++)
        fo_certs_facts_clear(&facts->chain[i]);
    free(facts->chain);
    facts->chain = NULL;
    facts->chain_count = 0;
    free(facts->verify_errors);
    facts->verify_errors = NULL;
    facts->verify_error_count = 0;
}

static int record_chain(fo_probe_facts *facts, SSL *ssl, const struct handshake_state *state)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    int n = chain ? sk_X509_num(chain) : 0;
    if (n > FO_TLS_MAX_CHAIN)
        n = FO_TLS_MAX_CHAIN;
    if (n > 0) {
        facts->chain = calloc((size_t)n, sizeof(*facts->chain));
        if (!facts->chain)
            return FO_ENOMEM;
        for (int i = 0; i < n; i++) {
            if (fo_certs_facts(&facts->chain[i], sk_X509_value(chain, i)) != 0)
                return FO_ENOMEM;
            facts->chain_count++;
        }
    }
    if (state->error_count > 0) {
        facts->verify_errors = calloc(state->error_count, sizeof(*facts->verify_errors));
        if (!facts->verify_errors)
            return FO_ENOMEM;
        memcpy(facts->verify_errors, state->errors,
               state->error_count * sizeof(*facts->verify_errors));
        facts->verify_error_count = state->error_count;
    }
    return 0;
}

static void set_problem(fo_probe_facts *facts, const char *text)
{
    free(facts->problem);
    facts->problem = fo_strdup(text);
}

/* Names how a failed handshake ended, from what was seen on the wire. reason is OpenSSL's,
 * read as the handshake failed (the error queue is the thread's, and other probes share a
 * thread on a probe loop). */
static void record_failure(fo_probe_facts *facts, const struct handshake_state *state, bool closed,
                           const unsigned char *first, size_t first_len, const char *reason)
{
    fo_hello_reply reply;
    fo_hello_parse(&reply, first, first_len);
    if (first_len > 0 && reply.status == FO_HELLO_NOT_TLS) {
        facts->outcome = FO_OUTCOME_NOT_TLS;
        facts->reply_start = reply_line(first, first_len);
        set_problem(facts, "the reply is not TLS");
    } else if (state->alert >= 0) {
        facts->outcome = FO_OUTCOME_ALERT;
        facts->alert = state->alert;
        set_problem(facts, fo_probe_alert_name(state->alert));
    } else if (closed) {
        facts->outcome = FO_OUTCOME_CLOSED;
        set_problem(facts, "the origin closed the connection");
    } else {
        facts->outcome = FO_OUTCOME_TLS_ERROR;
        set_problem(facts, reason ? reason : "the handshake failed");
    }
}

/* A TLS 1.3 server checks the client's certificate after the handshake is complete on our
 * side, so an origin that requires one (mutual TLS) refuses us only at the first read: send
 * the request Fastly would send and see whether an answer comes back. Only run when the
 * origin asked for a certificate, so the healthy path stays one handshake. An alert lands
 * in state->alert through the message callback. Returns true when the origin refused: an
 * alert, or a close or reset before any answer (a reset can overtake the alert, and the
 * kernel then drops the unread alert). Silence until the deadline is not a refusal. */
static bool client_cert_refused(SSL *ssl, BIO *rbio, BIO *wbio, int fd, const char *host,
                                double deadline, const struct handshake_state *state)
{
    char request[512];
    int len = snprintf(request, sizeof(request),
                       "HEAD / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                       host ? host : "localhost");
    if (len <= 0 || (size_t)len >= sizeof(request) || SSL_write(ssl, request, len) != len)
        return state->alert >= 0;
    if (flush_output(wbio, fd, deadline) != 0)
        return true;
    size_t total = 0;
    for (;;) {
        char byte;
        ERR_clear_error();
        int r = SSL_read(ssl, &byte, 1);
        if (r > 0)
            return false; /* an answer */
        if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ)
            return true; /* an alert or the end of the connection */
        if (flush_output(wbio, fd, deadline) != 0)
            return true;
        if (fo_net_wait(fd, POLLIN, deadline) <= 0)
            return state->alert >= 0;
        unsigned char buf[4096];
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return true; /* closed or reset before answering */
        total += (size_t)n;
        if (total > FO_TLS_MAX_HANDSHAKE_BYTES || BIO_write(rbio, buf, (int)n) != n)
            return false;
    }
}

/* How the handshake loop ended. */
enum loop_end { END_DONE, END_FAILED, END_CLOSED, END_DEADLINE, END_TOO_MUCH };

int fo_tls_handshake(fo_probe_facts *facts, int fd, const fo_tls_params *params)
{
    int rc = 0;
    struct handshake_state state = {.alert = -1};
    unsigned char first[FIRST_BYTES];
    size_t first_len = 0, total = 0;
    bool timed_out = false;
    enum loop_end end = END_FAILED;
    const char *reason = NULL; /* OpenSSL's, when the handshake failed on our side */
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(BIO_s_mem());
    SSL *ssl = SSL_new(params->ctx);

    if (!rbio || !wbio || !ssl) {
        BIO_free(rbio);
        BIO_free(wbio);
        rc = FO_ENOMEM;
        goto out;
    }
    SSL_set_bio(ssl, rbio, wbio); /* ssl owns both now */
    SSL_set_connect_state(ssl);
    SSL_set_app_data(ssl, &state);
    SSL_set_msg_callback(ssl, message_callback);
    SSL_set_msg_callback_arg(ssl, &state);
    if (params->sni) {
        if (SSL_set_tlsext_host_name(ssl, params->sni) != 1) {
            rc = FO_EINVAL; /* a name SNI cannot carry */
            goto out;
        }
        if (!(facts->sni_sent = fo_strdup(params->sni))) {
            rc = FO_ENOMEM;
            goto out;
        }
    }
    if (params->verify_name)
        set_verify_name(ssl, params->verify_name);

    double start = fo_now_ms();
    double deadline = start + params->timeout_ms;
    for (;;) {
        /* Time spent queueing for our own CPU is not the origin's: the clock stops. */
        double queued = fo_now_ms();
        if (params->cpu_slots)
            sem_wait(params->cpu_slots);
        queued = fo_now_ms() - queued;
        start += queued;
        deadline += queued;
        ERR_clear_error();
        int r = SSL_do_handshake(ssl);
        /* Read at once: the error queue is the thread's, and sending may let another probe
         * run on this thread. */
        int ssl_error = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
        if (ssl_error != SSL_ERROR_NONE && ssl_error != SSL_ERROR_WANT_READ)
            reason = ERR_reason_error_string(ERR_peek_last_error());
        if (params->cpu_slots)
            sem_post(params->cpu_slots);
        if (flush_output(wbio, fd, deadline) != 0) {
            end = END_CLOSED;
            break;
        }
        if (r == 1) {
            end = END_DONE;
            break;
        }
        if (ssl_error != SSL_ERROR_WANT_READ) {
            end = END_FAILED;
            break;
        }
        /* Time the probe loop took to come back to a ready socket stops the clock too. */
        int ready = fo_net_wait_queued(fd, POLLIN, deadline, &queued);
        start += queued;
        deadline += queued;
        if (ready == 0 && !timed_out) {
            /* Past the deadline Fastly gives up; keep listening to learn how late it is. */
            timed_out = true;
            deadline = start + params->patience_ms;
            continue;
        }
        if (ready <= 0) {
            end = END_DEADLINE;
            break;
        }
        unsigned char buf[8192];
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            end = END_CLOSED;
            break;
        }
        if (first_len < FIRST_BYTES) {
            size_t room = FIRST_BYTES - first_len;
            size_t take = (size_t)n < room ? (size_t)n : room;
            memcpy(first + first_len, buf, take);
            first_len += take;
        }
        total += (size_t)n;
        if (total > FO_TLS_MAX_HANDSHAKE_BYTES) {
            end = END_TOO_MUCH;
            break;
        }
        if (BIO_write(rbio, buf, (int)n) != (int)n) {
            rc = FO_ENOMEM;
            goto out;
        }
    }
    double elapsed = fo_now_ms() - start;

    if (end == END_DONE && state.cert_requested && !timed_out &&
        SSL_version(ssl) == TLS1_3_VERSION) {
        if (client_cert_refused(ssl, rbio, wbio, fd,
                                params->sni ? params->sni : params->verify_name,
                                fo_now_ms() + params->timeout_ms, &state))
            /* Refused after all, as TLS 1.2 would refuse during the handshake. */
            end = state.alert >= 0 ? END_FAILED : END_CLOSED;
    }
    if (end == END_DONE) {
        facts->outcome = FO_OUTCOME_OK;
        const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
        facts->protocol = fo_strdup(SSL_get_version(ssl));
        facts->cipher = fo_strdup(cipher ? SSL_CIPHER_get_name(cipher) : "");
        if (!facts->protocol || !facts->cipher) {
            rc = FO_ENOMEM;
            goto out;
        }
        if (SSL_shutdown(ssl) >= 0) /* a polite close_notify; the reply is not awaited */
            (void)flush_output(wbio, fd, fo_now_ms());
    } else if (end == END_TOO_MUCH) {
        facts->outcome = FO_OUTCOME_TLS_ERROR;
        set_problem(facts, "the origin sent more than 256 KiB during the handshake");
    } else {
        record_failure(facts, &state, end == END_CLOSED, first, first_len, reason);
    }
    facts->plain_http = first_len == 0                                     ? FO_UNTESTED
                        : first_len >= 5 && memcmp(first, "HTTP/", 5) == 0 ? FO_YES
                                                                           : FO_NO;
    if (timed_out) {
        /* An answer in the extra time is one a longer connect_timeout would get; a close or
         * silence is not an answer. */
        if (end == END_DONE || end == END_FAILED || end == END_TOO_MUCH)
            facts->late_answer_ms = elapsed;
        facts->outcome = FO_OUTCOME_HANDSHAKE_TIMEOUT;
        set_problem(facts, "no TLS handshake within the deadline");
    } else {
        facts->handshake_ms = elapsed;
    }
    facts->client_cert_requested = state.cert_requested;
    rc = record_chain(facts, ssl, &state);
out:
    SSL_free(ssl);
    ERR_clear_error(); /* the origin's failures are facts now, not this thread's errors */
    return rc;
}
