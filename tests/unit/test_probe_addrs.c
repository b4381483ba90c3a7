/* A name's addresses as Fastly tries them, and the hosts file standing in for DNS. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe_addrs.h"

Suite *probe_addrs_suite(void);

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/fo-test-hosts-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    return path;
}

static void resolve_all(fo_net_addr *addrs, int *count, const char *const *texts, int n)
{
    char problem[128];
    for (int i = 0; i < n; i++) {
        fo_net_addr one[FO_NET_MAX_ADDRESSES];
        ck_assert_int_eq(fo_net_resolve(one, texts[i], 443, problem, sizeof(problem)), 1);
        addrs[i] = one[0];
    }
    *count = n;
}

START_TEST(ipv4_first_unless_ipv6_is_preferred)
{
    static const char *const texts[] = {"::1", "192.0.2.1", "2001:db8::2", "192.0.2.2"};
    fo_net_addr addrs[FO_NET_MAX_ADDRESSES];
    int count = 0;
    resolve_all(addrs, &count, texts, 4);
    fo_addrs_order(addrs, count, false);
    /* Each family keeps the resolver's order. */
    ck_assert_str_eq(addrs[0].text, "192.0.2.1");
    ck_assert_str_eq(addrs[1].text, "192.0.2.2");
    ck_assert_str_eq(addrs[2].text, "::1");
    ck_assert_str_eq(addrs[3].text, "2001:db8::2");
    fo_addrs_order(addrs, count, true);
    ck_assert_str_eq(addrs[0].text, "::1");
    ck_assert_str_eq(addrs[1].text, "2001:db8::2");
    ck_assert_str_eq(addrs[2].text, "192.0.2.1");
    ck_assert_str_eq(addrs[3].text, "192.0.2.2");
}
END_TEST

START_TEST(a_hosts_file_gives_a_name_its_addresses_in_order)
{
    fo_hosts *hosts = NULL;
    fo_error err = {0};
    const char *path = write_temp("# names for tests\n"
                                  "127.0.0.1 dual.origin.test other.origin.test\n"
                                  "\n"
                                  "::1 dual.origin.test   # IPv6 too\n");
    ck_assert_int_eq(fo_hosts_load(&hosts, path, &err), 0);
    fo_net_addr addrs[FO_NET_MAX_ADDRESSES];
    char problem[128];
    ck_assert_int_eq(
        fo_addrs_resolve(addrs, hosts, "DUAL.origin.test", 8443, problem, sizeof(problem)), 2);
    ck_assert_str_eq(addrs[0].text, "127.0.0.1");
    ck_assert_str_eq(addrs[1].text, "::1");
    ck_assert_int_eq(
        fo_addrs_resolve(addrs, hosts, "other.origin.test", 8443, problem, sizeof(problem)), 1);
    /* Not in the file: the resolver as usual (a .invalid name fails without a query). */
    ck_assert_int_eq(
        fo_addrs_resolve(addrs, hosts, "nx.fixorigin.invalid", 443, problem, sizeof(problem)),
        FO_ERESOLVE);
    fo_hosts_free(hosts);
    unlink(path);
}
END_TEST

START_TEST(a_bad_hosts_file_names_the_line)
{
    static const struct {
        const char *text;
        const char *message;
    } bad[] = {
        {"127.0.0.1 ok.test\n1.2.3 a.test\n", ":2: '1.2.3' is not an IP address"},
        {"127.0.0.1\n", ":1: 127.0.0.1 has no name after it"},
        {"127.0.0.1 bad/name\n", ":1: 'bad/name' is not a host name"},
        {"127.0.0.1 10.0.0.1\n", ":1: '10.0.0.1' is not a host name"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fo_hosts *hosts = NULL;
        fo_error err = {0};
        const char *path = write_temp(bad[i].text);
        ck_assert_int_eq(fo_hosts_load(&hosts, path, &err), FO_EINVAL);
        ck_assert_msg(strstr(err.msg, bad[i].message), "'%s' lacks '%s'", err.msg, bad[i].message);
        ck_assert_ptr_null(hosts);
        unlink(path);
    }
    fo_hosts *hosts = NULL;
    fo_error err = {0};
    ck_assert_int_eq(fo_hosts_load(&hosts, "/nonexistent/hosts", &err), FO_EIO);
}
END_TEST

Suite *probe_addrs_suite(void)
{
    Suite *s = suite_create("probe_addrs");
    TCase *tc = tcase_create("addrs");
    tcase_add_test(tc, ipv4_first_unless_ipv6_is_preferred);
    tcase_add_test(tc, a_hosts_file_gives_a_name_its_addresses_in_order);
    tcase_add_test(tc, a_bad_hosts_file_names_the_line);
    suite_add_tcase(s, tc);
    return s;
}
