/* Backend settings by Fastly's names, HOST[:PORT], targets files. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixorigin/probe.h"

Suite *probe_settings_suite(void);

static fo_error err;

static void assert_error_has(const char *part)
{
    ck_assert_msg(strstr(err.msg, part) != NULL, "error '%s' lacks '%s'", err.msg, part);
}

START_TEST(defaults_are_fastlys)
{
    fo_probe_settings s;
    memset(&s, 0xff, sizeof(s));
    fo_probe_settings_init(&s);
    ck_assert(s.use_ssl);
    ck_assert(s.check_cert);
    ck_assert_ptr_null(s.sni_hostname);
    ck_assert_ptr_null(s.cert_hostname);
    ck_assert_ptr_null(s.ca_cert_pem);
    ck_assert_ptr_null(s.ciphers);
    ck_assert_int_eq(s.min_tls, FO_TLS_UNSET);
    ck_assert_int_eq(s.max_tls, FO_TLS_UNSET);
    ck_assert_int_eq(s.connect_timeout_ms, 1000);
    ck_assert(!s.prefer_ipv6); /* Fastly connects over IPv4 unless told otherwise */
}
END_TEST

START_TEST(every_field_by_its_fastly_name)
{
    fo_probe_settings s;
    fo_probe_settings_init(&s);
    ck_assert_int_eq(fo_probe_settings_set(&s, "ssl_sni_hostname", "sni.test", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "ssl_cert_hostname", "cert.test", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "ssl_ca_cert", "PEM", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "ssl_ciphers", "ECDHE+AESGCM", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "ssl_check_cert", "false", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "use_ssl", "0", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "min_tls_version", "1.1", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "max_tls_version", "1.2", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "connect_timeout", "2500", &err), 0);
    ck_assert_str_eq(s.sni_hostname, "sni.test");
    ck_assert_str_eq(s.cert_hostname, "cert.test");
    ck_assert_str_eq(s.ca_cert_pem, "PEM");
    ck_assert_str_eq(s.ciphers, "ECDHE+AESGCM");
    ck_assert(!s.check_cert);
    ck_assert(!s.use_ssl);
    ck_assert_int_eq(s.min_tls, FO_TLS_1_1);
    ck_assert_int_eq(s.max_tls, FO_TLS_1_2);
    ck_assert_int_eq(s.connect_timeout_ms, 2500);
    ck_assert_int_eq(fo_probe_settings_set(&s, "ssl_check_cert", "TRUE", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "use_ssl", "1", &err), 0);
    ck_assert(s.check_cert && s.use_ssl);
    ck_assert_int_eq(fo_probe_settings_set(&s, "max_tls_version", "", &err), 0);
    ck_assert_int_eq(s.max_tls, FO_TLS_UNSET);
    ck_assert_int_eq(fo_probe_settings_set(&s, "prefer_ipv6", "true", &err), 0);
    ck_assert(s.prefer_ipv6);
    ck_assert_int_eq(fo_probe_settings_set(&s, "prefer_ipv6", "", &err), 0);
    ck_assert(!s.prefer_ipv6);
    ck_assert_int_eq(fo_probe_settings_set(&s, "prefer_ipv6", "yes", &err), FO_EINVAL);
}
END_TEST

START_TEST(bad_values_say_what_is_wrong)
{
    fo_probe_settings s;
    fo_probe_settings_init(&s);
    ck_assert_int_eq(fo_probe_settings_set(&s, "ssl_check_cert", "yes", &err), FO_EINVAL);
    assert_error_has("ssl_check_cert must be 0, 1, true or false, not 'yes'");
    ck_assert_int_eq(fo_probe_settings_set(&s, "min_tls_version", "1.4", &err), FO_EINVAL);
    assert_error_has("min_tls_version must be 1.0, 1.1, 1.2 or 1.3, not '1.4'");
    ck_assert_int_eq(fo_probe_settings_set(&s, "max_tls_version", "TLSv1.2", &err), FO_EINVAL);
    static const char *bad_timeouts[] = {"0", "60001", "-5", "abc", " ", "10ms", "1e3"};
    for (size_t i = 0; i < sizeof(bad_timeouts) / sizeof(bad_timeouts[0]); i++) {
        ck_assert_int_eq(fo_probe_settings_set(&s, "connect_timeout", bad_timeouts[i], &err),
                         FO_EINVAL);
        assert_error_has("connect_timeout must be a whole number of milliseconds");
    }
    ck_assert_int_eq(s.connect_timeout_ms, 1000);
    ck_assert_int_eq(fo_probe_settings_set(&s, "ssl_hostname", "x", &err), FO_EINVAL);
    assert_error_has("unknown setting 'ssl_hostname'");
    ck_assert_int_eq(s.min_tls, FO_TLS_UNSET);
    ck_assert(s.check_cert);
}
END_TEST

START_TEST(empty_values_unset_like_fastly)
{
    fo_probe_settings s;
    fo_probe_settings_init(&s);
    ck_assert_int_eq(fo_probe_settings_set(&s, "use_ssl", "0", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "ssl_check_cert", "false", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "connect_timeout", "300", &err), 0);
    ck_assert_int_eq(fo_probe_settings_set(&s, "min_tls_version", "1.2", &err), 0);
    ck_assert(!s.use_ssl && !s.check_cert);
    static const char *const keys[] = {"use_ssl", "ssl_check_cert", "connect_timeout",
                                       "min_tls_version"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        ck_assert_msg(fo_probe_settings_set(&s, keys[i], "", &err) == 0, "%s=: %s", keys[i],
                      err.msg);
    ck_assert(s.use_ssl);
    ck_assert(s.check_cert);
    ck_assert_int_eq(s.connect_timeout_ms, 1000);
    ck_assert_int_eq(s.min_tls, FO_TLS_UNSET);
    ck_assert_int_eq(fo_probe_settings_set(&s, "use_ssl", NULL, &err), 0);
    ck_assert(s.use_ssl);
}
END_TEST

START_TEST(settings_that_cannot_be_probed)
{
    char name[300];
    fo_probe_settings s;
    fo_probe_settings_init(&s);
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), 0);
    memset(name, 'a', sizeof(name));
    for (size_t i = 60; i < sizeof(name); i += 61) /* labels of 60 */
        name[i] = '.';
    name[253] = '\0';
    s.sni_hostname = name;
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), 0);
    ck_assert(fo_probe_sni_name_ok(name));
    name[253] = 'a';
    name[256] = '\0';
    ck_assert(!fo_probe_sni_name_ok(name));
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), FO_EINVAL);
    assert_error_has("(256 bytes) is not a name SNI can carry");
    s.sni_hostname = "www.origin.test\nHost: evil";
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), FO_EINVAL);
    s.sni_hostname = "www.origin.test";
    ck_assert(fo_probe_sni_name_ok(s.sni_hostname));
    ck_assert(!fo_probe_sni_name_ok(""));
    ck_assert(!fo_probe_sni_name_ok("a b"));
    s.min_tls = FO_TLS_1_3;
    s.max_tls = FO_TLS_1_2;
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), FO_EINVAL);
    assert_error_has("min_tls_version 1.3 is above max_tls_version 1.2");
    s.max_tls = FO_TLS_1_3;
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), 0);
    s.max_tls = FO_TLS_UNSET;
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), 0);
    s.connect_timeout_ms = 0;
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), FO_EINVAL);
}
END_TEST

START_TEST(tls_version_names)
{
    fo_tls_version v = FO_TLS_1_0;
    ck_assert_int_eq(fo_tls_version_parse(&v, "1.3"), 0);
    ck_assert_int_eq(v, FO_TLS_1_3);
    ck_assert_int_eq(fo_tls_version_parse(&v, NULL), 0);
    ck_assert_int_eq(v, FO_TLS_UNSET);
    ck_assert_int_eq(fo_tls_version_parse(&v, "1"), FO_EINVAL);
    ck_assert_str_eq(fo_tls_version_name(FO_TLS_1_0), "1.0");
    ck_assert_ptr_null(fo_tls_version_name(FO_TLS_UNSET));
}
END_TEST

static void assert_hostport(const char *text, const char *host, int port)
{
    char *got = NULL;
    int got_port = 0;
    ck_assert_msg(fo_probe_parse_hostport(&got, &got_port, text, 443, &err) == 0, "%s: %s", text,
                  err.msg);
    ck_assert_str_eq(got, host);
    ck_assert_int_eq(got_port, port);
    free(got);
}

static void assert_bad_hostport(const char *text, const char *part)
{
    char *got = NULL;
    int port = 0;
    ck_assert_int_eq(fo_probe_parse_hostport(&got, &port, text, 443, &err), FO_EINVAL);
    ck_assert_ptr_null(got);
    assert_error_has(part);
}

START_TEST(host_and_port_forms)
{
    assert_hostport("127.0.0.1:8443", "127.0.0.1", 8443);
    assert_hostport("origin.test", "origin.test", 443);
    assert_hostport("www.origin.test:1", "www.origin.test", 1);
    assert_hostport("[::1]:8443", "::1", 8443);
    assert_hostport("[::1]", "::1", 443);
    assert_hostport("::1", "::1", 443);
    assert_hostport("[fe80::1%lo]:8443", "fe80::1%lo", 8443);
    assert_hostport("localhost:65535", "localhost", 65535);
}
END_TEST

START_TEST(bad_host_and_port_forms)
{
    assert_bad_hostport("", "empty target");
    assert_bad_hostport("[::1", "missing ']'");
    assert_bad_hostport("[::1]8443", "expected ':PORT'");
    assert_bad_hostport("[]:443", "empty or too long");
    assert_bad_hostport("origin.test:", "bad port");
    assert_bad_hostport("origin.test:0", "bad port");
    assert_bad_hostport("origin.test:65536", "bad port");
    assert_bad_hostport("origin.test:44x", "bad port");
    assert_bad_hostport("origin.test:-1", "bad port");
    assert_bad_hostport(":443", "empty or too long");
    assert_bad_hostport("a:b:c", "not an IPv6 address");
    assert_bad_hostport("bad host", "bad character");
    assert_bad_hostport("https://origin.test", "bad port");
}
END_TEST

static char tmp_dir[64];

static void make_tmp(void)
{
    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/fo-probe-settings-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static void remove_tmp(void)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(targets_file_lines)
{
    char ca_path[256], text[1024];
    snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", tmp_dir);
    write_file(ca_path, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    snprintf(text, sizeof(text),
             "# origins\n"
             "\n"
             "127.0.0.1:8443 ssl_cert_hostname=www.origin.test ssl_check_cert=1\r\n"
             "   [::1]:9443\tssl_sni_hostname=sni.test  max_tls_version=1.2 # a comment\n"
             "origin.test ssl_ca_cert=@%s connect_timeout=300 use_ssl=false ssl_ciphers=\n",
             ca_path);
    fo_probe_target_list *list = NULL;
    ck_assert_int_eq(fo_probe_targets_parse(&list, text, "targets.txt", &err), 0);
    ck_assert_uint_eq(list->count, 3);
    ck_assert_int_eq(list->lines[0], 3);
    ck_assert_str_eq(list->targets[0].host, "127.0.0.1");
    ck_assert_int_eq(list->targets[0].port, 8443);
    ck_assert_str_eq(list->targets[0].settings.cert_hostname, "www.origin.test");
    ck_assert_int_eq(list->lines[1], 4);
    ck_assert_str_eq(list->targets[1].host, "::1");
    ck_assert_str_eq(list->targets[1].settings.sni_hostname, "sni.test");
    ck_assert_int_eq(list->targets[1].settings.max_tls, FO_TLS_1_2);
    ck_assert(list->targets[1].settings.check_cert);
    ck_assert_int_eq(list->lines[2], 5);
    ck_assert_int_eq(list->targets[2].port, 443);
    ck_assert_ptr_nonnull(strstr(list->targets[2].settings.ca_cert_pem, "BEGIN CERTIFICATE"));
    ck_assert_int_eq(list->targets[2].settings.connect_timeout_ms, 300);
    ck_assert(!list->targets[2].settings.use_ssl);
    ck_assert_str_eq(list->targets[2].settings.ciphers, "");
    fo_probe_target_list_free(list);

    ck_assert_int_eq(fo_probe_targets_parse(&list, "# nothing\n\n", "empty.txt", &err), 0);
    ck_assert_uint_eq(list->count, 0);
    fo_probe_target_list_free(list);
}
END_TEST

static void assert_bad_targets(const char *text, int code, const char *part)
{
    fo_probe_target_list *list = NULL;
    ck_assert_int_eq(fo_probe_targets_parse(&list, text, "t.txt", &err), code);
    ck_assert_ptr_null(list);
    assert_error_has(part);
}

START_TEST(bad_targets_name_the_line)
{
    assert_bad_targets("127.0.0.1:1\n127.0.0.1:2 colour=red\n", FO_EINVAL,
                       "t.txt:2: unknown setting 'colour'");
    assert_bad_targets("\n\n127.0.0.1:1 ssl_cert_hostname\n", FO_EINVAL,
                       "t.txt:3: 'ssl_cert_hostname' is not key=value");
    assert_bad_targets("127.0.0.1:99999\n", FO_EINVAL, "t.txt:1: bad port");
    assert_bad_targets("127.0.0.1 min_tls_version=1.9\n", FO_EINVAL,
                       "t.txt:1: min_tls_version must be 1.0, 1.1, 1.2 or 1.3");
    assert_bad_targets("127.0.0.1 ssl_ca_cert=PEM\n", FO_EINVAL,
                       "t.txt:1: ssl_ca_cert takes @FILE");
    assert_bad_targets("127.0.0.1 ssl_ca_cert=@/nonexistent/ca.pem\n", FO_EIO,
                       "t.txt:1: ssl_ca_cert: cannot read /nonexistent/ca.pem");
    assert_bad_targets("127.0.0.1:1\n127.0.0.1 min_tls_version=1.3 max_tls_version=1.2\n",
                       FO_EINVAL, "t.txt:2: min_tls_version 1.3 is above max_tls_version 1.2");
    char text[400];
    snprintf(text, sizeof(text), "127.0.0.1:1\n\n127.0.0.1 ssl_sni_hostname=%0300d\n", 0);
    assert_bad_targets(text, FO_EINVAL, "t.txt:3: ssl_sni_hostname '0000");
    assert_bad_targets(text, FO_EINVAL, "(300 bytes) is not a name SNI can carry");
}
END_TEST

/* What a targets file means is never guessed silently. */
START_TEST(targets_values_are_refused_or_stripped_clearly)
{
    assert_bad_targets("127.0.0.1 ssl_sni_hostname=a ssl_sni_hostname=b\n", FO_EINVAL,
                       "t.txt:1: ssl_sni_hostname is given twice");
    assert_bad_targets("127.0.0.1 ssl_sni_hostname=a b\n", FO_EINVAL,
                       "t.txt:1: 'b' is not key=value: a value cannot contain spaces (is it "
                       "part of ssl_sni_hostname?)");
    assert_bad_targets("127.0.0.1 ssl_sni_hostname=\"a b\"\n", FO_EINVAL,
                       "t.txt:1: the value of ssl_sni_hostname has an unmatched quote");
    assert_bad_targets("127.0.0.1 ssl_cert_hostname=\"a\n", FO_EINVAL, "unmatched quote");
    /* A byte order mark anywhere but the start is named, not invisible. */
    assert_bad_targets("127.0.0.1:1\n\xEF\xBB\xBForigin.test\n", FO_EINVAL,
                       "t.txt:2: '': bad character in the host name: byte 0xEF at position 1 "
                       "(a UTF-8 byte order mark?)");
    /* Quotes around a whole value are stripped; a BOM at the start is skipped. */
    fo_probe_target_list *list = NULL;
    ck_assert_int_eq(fo_probe_targets_parse(&list,
                                            "\xEF\xBB\xBForigin.test ssl_sni_hostname=\"a.test\" "
                                            "ssl_cert_hostname='b.test'\n",
                                            "t.txt", &err),
                     0);
    ck_assert_uint_eq(list->count, 1);
    ck_assert_str_eq(list->targets[0].host, "origin.test");
    ck_assert_str_eq(list->targets[0].settings.sni_hostname, "a.test");
    ck_assert_str_eq(list->targets[0].settings.cert_hostname, "b.test");
    fo_probe_target_list_free(list);
}
END_TEST

START_TEST(names_follow_dns_rules)
{
    fo_probe_settings s;
    fo_probe_settings_init(&s);
    static const char *const good[] = {"www.origin.test", "a", "_acme.x-y.test", "A1.B2"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(fo_probe_sni_name_ok(good[i]), "%s refused", good[i]);
    char long_label[80];
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    static const char *const bad[] = {"",    "a..b", ".a",           "a.",
                                      "a b", "a/b",  "\357\273\277a" /* a BOM, then "a" */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!fo_probe_sni_name_ok(bad[i]), "'%s' accepted", bad[i]);
    ck_assert(!fo_probe_sni_name_ok(long_label));
    /* The certificate hostname: the same rules, or an IP address. */
    s.cert_hostname = "127.0.0.1";
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), 0);
    s.cert_hostname = "::1";
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), 0);
    s.cert_hostname = "www.origin.test";
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), 0);
    s.cert_hostname = "www origin";
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), FO_EINVAL);
    assert_error_has("ssl_cert_hostname 'www origin' (10 bytes) is neither a host name");
    s.cert_hostname = "a\x1b[31m";
    ck_assert_int_eq(fo_probe_settings_check(&s, &err), FO_EINVAL);
}
END_TEST

START_TEST(an_empty_ca_file_is_no_ca)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/empty.pem", tmp_dir);
    write_file(path, " \n\n");
    char *pem = NULL;
    ck_assert_int_eq(fo_probe_read_ca_file(&pem, path, &err), FO_EINVAL);
    assert_error_has("empty.pem is empty: it holds no PEM certificate");
    ck_assert_int_eq(fo_probe_read_ca_file(&pem, "/dev/null", &err), FO_EINVAL);
    assert_error_has("/dev/null is empty");
    char text[400];
    snprintf(text, sizeof(text), "127.0.0.1 ssl_ca_cert=@%s\n", path);
    assert_bad_targets(text, FO_EINVAL, "t.txt:1: ssl_ca_cert: ");
}
END_TEST

static mode_t current_umask(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return mask;
}

START_TEST(reading_files_is_bounded)
{
    char path[256];
    char *text = NULL;
    snprintf(path, sizeof(path), "%s/big.txt", tmp_dir);
    write_file(path, "0123456789");
    ck_assert_int_eq(fo_read_file(&text, path, 10, &err), 0);
    ck_assert_str_eq(text, "0123456789");
    free(text);
    text = NULL;
    ck_assert_int_eq(fo_read_file(&text, path, 9, &err), FO_EIO);
    ck_assert_ptr_null(text);
    assert_error_has("is larger than 9 bytes");
    ck_assert_int_eq(fo_read_file(&text, "/nonexistent/x", 9, &err), FO_EIO);
    assert_error_has("cannot read /nonexistent/x: No such file");

    fo_probe_target_list *list = NULL;
    snprintf(path, sizeof(path), "%s/targets.txt", tmp_dir);
    write_file(path, "127.0.0.1:1\n[::1]:2\n");
    ck_assert_int_eq(fo_probe_targets_load(&list, path, &err), 0);
    ck_assert_uint_eq(list->count, 2);
    fo_probe_target_list_free(list);
    list = NULL;
    ck_assert_int_eq(fo_probe_targets_load(&list, "/nonexistent/targets", &err), FO_EIO);
    ck_assert_ptr_null(list);
}
END_TEST

static void write_bytes(const char *path, const char *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
}

START_TEST(nul_byte_is_an_error_naming_its_line)
{
    static const char targets[] = "127.0.0.1:1\n127.0.0.1:2 ssl_sni_hostname=a\0b\n127.0.0.1:3\n";
    char path[256];
    snprintf(path, sizeof(path), "%s/targets.txt", tmp_dir);
    write_bytes(path, targets, sizeof(targets) - 1);
    fo_probe_target_list *list = NULL;
    ck_assert_int_eq(fo_probe_targets_load(&list, path, &err), FO_EINVAL);
    ck_assert_ptr_null(list);
    assert_error_has("targets.txt:2: a NUL byte (not a text file)");
    /* A PEM file too: certificates after the NUL would be dropped without a word. */
    char *text = NULL;
    write_bytes(path, "\0-----BEGIN", 11);
    ck_assert_int_eq(fo_read_file(&text, path, 100, &err), FO_EINVAL);
    ck_assert_ptr_null(text);
    assert_error_has("targets.txt:1: a NUL byte");
    /* The same file without the NUL reads whole. */
    write_bytes(path, targets, 12);
    ck_assert_int_eq(fo_read_file(&text, path, 100, &err), 0);
    ck_assert_str_eq(text, "127.0.0.1:1\n");
    free(text);
}
END_TEST

/* fo_write_file replaces a file whole, with the mode asked for, leaves no temporary file,
 * and refuses to write through a link at its temporary name. */
START_TEST(writing_files_replaces_them_whole)
{
    char path[256], tmp[300], *text = NULL;
    struct stat st;
    snprintf(path, sizeof(path), "%s/written.json", tmp_dir);
    write_file(path, "old and longer than the new text");
    ck_assert_int_eq(fo_write_file(path, "new\n", 4, 0600, &err), 0);
    ck_assert_int_eq(fo_read_file(&text, path, 100, &err), 0);
    ck_assert_str_eq(text, "new\n");
    free(text);
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    ck_assert_int_eq(access(tmp, F_OK), -1);
    unlink(path);
    ck_assert_int_eq(fo_write_file(path, "x", 1, 0640, &err), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640 & ~current_umask());
    ck_assert_int_eq(symlink(path, tmp), 0);
    ck_assert_int_eq(fo_write_file(path, "y", 1, 0600, &err), FO_EIO);
    assert_error_has("cannot create");
    unlink(tmp);
    ck_assert_int_eq(fo_write_file("/nonexistent/dir/f", "y", 1, 0600, &err), FO_EIO);
    assert_error_has("cannot create /nonexistent/dir/f.");
}
END_TEST

START_TEST(a_ca_file_is_read_once_for_every_line_naming_it)
{
    char ca[256], other[256], text[1024];
    snprintf(ca, sizeof(ca), "%s/ca.pem", tmp_dir);
    snprintf(other, sizeof(other), "%s/other.pem", tmp_dir);
    write_file(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    write_file(other, "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n");
    snprintf(text, sizeof(text),
             "127.0.0.1:1 ssl_ca_cert=@%s\n127.0.0.1:2 ssl_ca_cert=@%s\n"
             "127.0.0.1:3 ssl_ca_cert=@%s\n127.0.0.1:4\n",
             ca, other, ca);
    fo_probe_target_list *list = NULL;
    ck_assert_int_eq(fo_probe_targets_parse(&list, text, "t.txt", &err), 0);
    ck_assert_uint_eq(list->count, 4);
    const fo_probe_settings *s = &list->targets[0].settings;
    ck_assert_ptr_nonnull(strstr(s->ca_cert_pem, "MIIB"));
    ck_assert_ptr_eq(list->targets[2].settings.ca_cert_pem, s->ca_cert_pem); /* one copy */
    ck_assert_ptr_nonnull(strstr(list->targets[1].settings.ca_cert_pem, "MIIC"));
    ck_assert_ptr_null(list->targets[3].settings.ca_cert_pem);
    fo_probe_target_list_free(list);
}
END_TEST

Suite *probe_settings_suite(void)
{
    Suite *s = suite_create("probe_settings");
    TCase *tc = tcase_create("settings");
    tcase_add_test(tc, defaults_are_fastlys);
    tcase_add_test(tc, every_field_by_its_fastly_name);
    tcase_add_test(tc, bad_values_say_what_is_wrong);
    tcase_add_test(tc, tls_version_names);
    tcase_add_test(tc, empty_values_unset_like_fastly);
    tcase_add_test(tc, settings_that_cannot_be_probed);
    tcase_add_test(tc, host_and_port_forms);
    tcase_add_test(tc, bad_host_and_port_forms);
    suite_add_tcase(s, tc);
    TCase *files = tcase_create("files");
    tcase_add_checked_fixture(files, make_tmp, remove_tmp);
    tcase_add_test(files, targets_file_lines);
    tcase_add_test(files, targets_values_are_refused_or_stripped_clearly);
    tcase_add_test(files, names_follow_dns_rules);
    tcase_add_test(files, an_empty_ca_file_is_no_ca);
    tcase_add_test(files, bad_targets_name_the_line);
    tcase_add_test(files, reading_files_is_bounded);
    tcase_add_test(files, writing_files_replaces_them_whole);
    tcase_add_test(files, nul_byte_is_an_error_naming_its_line);
    tcase_add_test(files, a_ca_file_is_read_once_for_every_line_naming_it);
    suite_add_tcase(s, files);
    return s;
}
