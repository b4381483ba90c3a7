/* probe/probe_explain.h: the extra connections that explain a failure — hand-built hellos that
 * learn which TLS versions an origin accepts and whether it would pick RC4 — and the plain
 * HTTP check of a backend without TLS. Internal to probe/. */
#ifndef FO_PROBE_SCAN_H
#define FO_PROBE_SCAN_H

#include "probe_net.h"
#include "fixorigin/probe.h"

/* The most bytes read from an origin in answer to one hello. */
#define FO_EXPLAIN_MAX_REPLY (32u * 1024)

/* The descriptors set aside, within a file limit of fd_limit, for probes explaining a
 * failure (each holds FO_EXPLAIN_HELLO_FDS at once beyond its own): an eighth of what the limit
 * leaves the probes, for at most 32 such probes at once. */
long fo_explain_fds(long fd_limit);
#define FO_EXPLAIN_HELLO_FDS 5

/* Sends, on parallel connections to addr, one ClientHello per TLS version 1.0-1.3 and one
 * offering RC4 only, all within timeout_ms, and records facts->protocols and
 * facts->rc4_only (FO_UNTESTED where the origin gave no answer in time). Waits first, when
 * need be, for room in the descriptors set aside for this (fo_explain_fds): running out
 * of descriptors must not become the origin's answer. Returns 0 or FO_ENOMEM. */
int fo_explain_hellos(fo_probe_facts *facts, const fo_net_addr *addr, const char *sni,
                      double timeout_ms) FO_WARN_UNUSED;

/* Sends an HTTP HEAD request on the connected socket fd and records facts->plain_http and
 * facts->reply_start from the answer, waiting at most timeout_ms. */
void fo_explain_http(fo_probe_facts *facts, int fd, const char *host, int port, double timeout_ms);

#endif
