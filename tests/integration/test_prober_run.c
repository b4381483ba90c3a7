/* The probe library on real sockets: fo_probe_run_many over every testbed case with one
 * shared prober, the evidence the remediation builds on, refusals to run, and a hostile
 * origin that floods records. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "fo.h"
#include "probe.h"
#include "testbed_fixture.h"

Suite *prober_run_suite(void);

static fx_testbed tb;
static bool tb_up;

static void testbed_up(void)
{
    tb_up = fx_testbed_start(&tb, NULL);
}

static void testbed_down(void)
{
    if (tb_up)
        fx_testbed_stop(&tb);
    tb_up = false;
}

struct collected {
    size_t calls;
    int seen[128];
    fo_class class_of[128];
    bool inside; /* a callback is running */
    bool overlapped;
};

static void collect(void *ctx, size_t index, fo_diagnosis *d, const fo_error *err)
{
    struct collected *c = ctx;
    if (c->inside)
        c->overlapped = true;
    c->inside = true;
    usleep(1000); /* widen the window an overlapping call would need */
    c->calls++;
    if (index < 128) {
        c->seen[index]++;
        c->class_of[index] = d ? d->verdict.class : FO_CLASS_COUNT;
    }
    if (!d)
        fprintf(stderr, "target %zu could not run: %s\n", index, err->msg);
    fo_diagnosis_free(d);
    c->inside = false;
}

START_TEST(run_many_diagnoses_every_case_once)
{
    ck_assert(tb_up);
    char path[400];
    snprintf(path, sizeof(path), "%s/targets.txt", tb.dir);
    fo_error err = {0};
    fo_probe_target_list *list = NULL;
    fo_prober *prober = NULL;
    ck_assert_msg(fo_probe_targets_load(&list, path, &err) == 0, "%s", err.msg);
    ck_assert_uint_le(list->count, 128);
    ck_assert_int_eq(fo_prober_new(&prober, tb.trust_bundle, &err), 0);

    struct collected c = {0};
    ck_assert_int_eq(fo_probe_run_many(prober, list->targets, list->count, 8, collect, &c, &err),
                     0);
    ck_assert_uint_eq(c.calls, list->count);
    ck_assert(!c.overlapped);
    json_t *cases = json_object_get(tb.manifest, "cases");
    for (size_t i = 0; i < list->count; i++) {
        ck_assert_int_eq(c.seen[i], 1);
        json_t *entry = NULL;
        size_t k;
        json_t *item;
        json_array_foreach(cases, k, item)
        {
            if (json_integer_value(json_object_get(item, "targets_line")) == list->lines[i])
                entry = item;
        }
        ck_assert_msg(entry != NULL, "line %ld has no case", list->lines[i]);
        const char *expected = json_string_value(json_object_get(entry, "expected_class"));
        ck_assert_msg(strcmp(fo_class_id(c.class_of[i]), expected) == 0, "%s: %s, expected %s",
                      json_string_value(json_object_get(entry, "case")), fo_class_id(c.class_of[i]),
                      expected);
    }
    fo_prober_free(prober);
    fo_probe_target_list_free(list);
}
END_TEST

START_TEST(run_many_refuses_a_bad_concurrency)
{
    fo_error err = {0};
    fo_prober *prober = NULL;
    struct collected c = {0};
    fo_probe_target target = {.host = "nxdomain.fixorigin.invalid", .port = 443};
    fo_probe_settings_init(&target.settings);
    target.settings.cert_hostname = "www.origin.test";
    ck_assert_int_eq(fo_prober_new(&prober, NULL, &err), 0);
    ck_assert_int_eq(fo_probe_run_many(prober, &target, 1, 0, collect, &c, &err), FO_EINVAL);
    ck_assert_int_eq(fo_probe_run_many(prober, &target, 1, 1025, collect, &c, &err), FO_EINVAL);
    ck_assert_uint_eq(c.calls, 0);
    ck_assert_int_eq(fo_probe_run_many(prober, &target, 0, 4, collect, &c, &err), 0);
    ck_assert_uint_eq(c.calls, 0);
    ck_assert_int_eq(fo_probe_run_many(prober, &target, 1, 64, collect, &c, &err), 0);
    ck_assert_uint_eq(c.calls, 1);
    ck_assert_int_eq(c.class_of[0], FO_CLASS_DNS_FAILURE);
    fo_prober_free(prober);
}
END_TEST

static fo_probe_target case_target(const char *name)
{
    json_t *entry = fx_case(&tb, name);
    ck_assert_msg(entry != NULL, "no case %s", name);
    fo_probe_target t = {.host = fx_case_host(entry), .port = fx_case_port(entry)};
    fo_probe_settings_init(&t.settings);
    t.settings.sni_hostname = fx_setting(entry, "ssl_sni_hostname");
    t.settings.cert_hostname = fx_setting(entry, "ssl_cert_hostname");
    return t;
}

START_TEST(diagnosis_carries_the_presented_certificates)
{
    ck_assert(tb_up);
    fo_error err = {0};
    fo_prober *prober = NULL;
    fo_diagnosis *d = NULL;
    ck_assert_int_eq(fo_prober_new(&prober, tb.trust_bundle, &err), 0);

    fo_probe_target t = case_target("self_signed_certificate_in_chain");
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), 0);
    ck_assert_int_eq(d->verdict.class, FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN);
    ck_assert_uint_ge(d->facts.chain_count, 2);
    const fo_cert_facts *root = &d->facts.chain[d->facts.chain_count - 1];
    ck_assert(root->self_signed && root->is_ca);
    ck_assert_ptr_nonnull(strstr(root->pem, "-----BEGIN CERTIFICATE-----"));
    /* The target is echoed with strings of the diagnosis' own. */
    ck_assert_ptr_ne(d->target.host, t.host);
    ck_assert_str_eq(d->target.host, t.host);
    ck_assert_str_eq(d->target.settings.cert_hostname, "www.origin.test");
    char *pem = fo_strdup(root->pem);
    fo_diagnosis_free(d);
    d = NULL;

    /* Trusting that root as ssl_ca_cert is the fix, and the probe proves it. */
    t.settings.ca_cert_pem = pem;
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), 0);
    ck_assert_msg(d->verdict.class == FO_CLASS_OK, "%s", d->verdict.detail);
    ck_assert_uint_eq(d->ca_cert_count, 1);
    ck_assert_str_eq(d->ca_certs[0].sha256, d->facts.chain[d->facts.chain_count - 1].sha256);
    fo_diagnosis_free(d);
    free(pem);
    fo_prober_free(prober);
}
END_TEST

START_TEST(run_refuses_what_it_cannot_probe)
{
    fo_error err = {0};
    fo_prober *prober = NULL;
    fo_diagnosis *d = NULL;
    ck_assert_int_eq(fo_prober_new(&prober, NULL, &err), 0);
    fo_probe_target t = {.host = "127.0.0.1", .port = 0};
    fo_probe_settings_init(&t.settings);
    t.settings.cert_hostname = "www.origin.test";
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), FO_EINVAL);
    ck_assert_ptr_null(d);
    t.port = 443;
    t.settings.connect_timeout_ms = 0;
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "connect_timeout must be 1 to 60000 ms");
    t.settings.connect_timeout_ms = 1000;
    t.settings.ca_cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "ssl_ca_cert holds a PEM certificate that does not parse");
    t.settings.ca_cert_pem = NULL;
    t.settings.ciphers = "NOT-A-CIPHER";
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), FO_EINVAL);
    ck_assert_ptr_null(d);
    fo_prober_free(prober);

    prober = NULL;
    ck_assert_int_eq(fo_prober_new(&prober, "/nonexistent/bundle.pem", &err), FO_EIO);
    ck_assert_ptr_null(prober);
}
END_TEST

/* A hostile origin: reads the hello, then sends handshake records without end. */
struct flood {
    int listener;
    pthread_t thread;
};

static void *flood_serve(void *arg)
{
    struct flood *f = arg;
    for (;;) {
        int fd = accept(f->listener, NULL, NULL);
        if (fd < 0)
            return NULL;
        char hello[2048];
        (void)recv(fd, hello, sizeof(hello), 0);
        static unsigned char record[5 + 16384] = {22, 3, 3, 0x40, 0x00, 2, 0, 0x3f, 0xfc};
        while (send(fd, record, sizeof(record), MSG_NOSIGNAL) > 0)
            ;
        close(fd);
    }
}

START_TEST(flooding_origin_is_cut_off)
{
    struct flood f;
    f.listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    ck_assert_int_eq(bind(f.listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(f.listener, 16), 0);
    ck_assert_int_eq(getsockname(f.listener, (struct sockaddr *)&addr, &len), 0);
    ck_assert_int_eq(pthread_create(&f.thread, NULL, flood_serve, &f), 0);

    fo_error err = {0};
    fo_prober *prober = NULL;
    fo_diagnosis *d = NULL;
    ck_assert_int_eq(fo_prober_new(&prober, NULL, &err), 0);
    fo_probe_target t = {.host = "127.0.0.1", .port = ntohs(addr.sin_port)};
    fo_probe_settings_init(&t.settings);
    t.settings.cert_hostname = "www.origin.test";
    double start = fo_now_ms();
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), 0);
    double took = fo_now_ms() - start;
    ck_assert_int_eq(d->verdict.class, FO_CLASS_HANDSHAKE_FAILURE);
    ck_assert_msg(took < 5000, "took %.0f ms", took);
    /* The version hellos met the same flood: a broken ServerHello is a refusal. */
    for (int v = 0; v < FO_TLS_VERSION_COUNT; v++)
        ck_assert_int_eq(d->facts.protocols[v], FO_NO);
    fo_diagnosis_free(d);
    fo_prober_free(prober);
    shutdown(f.listener, SHUT_RDWR);
    close(f.listener);
    pthread_join(f.thread, NULL);
}
END_TEST

Suite *prober_run_suite(void)
{
    Suite *s = suite_create("prober_run");
    TCase *origins = tcase_create("origins");
    tcase_set_timeout(origins, 240);
    tcase_add_unchecked_fixture(origins, testbed_up, testbed_down);
    tcase_add_test(origins, run_many_diagnoses_every_case_once);
    tcase_add_test(origins, diagnosis_carries_the_presented_certificates);
    suite_add_tcase(s, origins);
    TCase *alone = tcase_create("alone");
    tcase_set_timeout(alone, 60);
    tcase_add_test(alone, run_many_refuses_a_bad_concurrency);
    tcase_add_test(alone, run_refuses_what_it_cannot_probe);
    tcase_add_test(alone, flooding_origin_is_cut_off);
    suite_add_tcase(s, alone);
    return s;
}
