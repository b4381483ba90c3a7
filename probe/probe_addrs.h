/* probe/probe_addrs.h: a name's addresses as Fastly would try them — a hosts map standing in for
 * DNS, Fastly's order (IPv4 first unless prefer_ipv6) — and every address probed, bounded
 * and concurrently, with a result each. Internal to probe/. */
#ifndef FO_PROBE_ADDRS_H
#define FO_PROBE_ADDRS_H

#include "fixorigin/probe.h"
#include "probe_net.h"

/* At most this many addresses of one name are probed at once. */
#define FO_ADDRS_PARALLEL 8

/* Names and their addresses, read from a hosts(5)-style file. */
typedef struct fo_hosts fo_hosts;

/* Reads path. Returns 0, FO_EIO (unreadable), FO_EINVAL naming the line (not an address,
 * a name that is no DNS name, no name, more than FO_NET_MAX_ADDRESSES for a name),
 * FO_ENOMEM. */
int fo_hosts_load(fo_hosts **out, const char *path, fo_error *err) FO_WARN_UNUSED;
void fo_hosts_free(fo_hosts *hosts);

/* Resolves host for port through hosts (may be NULL) when it names host, else as
 * fo_net_resolve does. Returns the number of addresses, FO_ERESOLVE (problem says why)
 * or FO_ENOMEM. */
int fo_addrs_resolve(fo_net_addr addrs[FO_NET_MAX_ADDRESSES], const fo_hosts *hosts,
                     const char *host, int port, char *problem, size_t problem_size);

/* Orders addrs as Fastly tries them: IPv4 first, or IPv6 first with prefer_ipv6; within
 * a family the resolver's order is kept (Fastly does not publish how it picks among
 * several addresses of one family). Stable. */
void fo_addrs_order(fo_net_addr *addrs, int count, bool prefer_ipv6);

/* Probes one address into facts (fresh, from fo_probe_facts_init): the single-address
 * path of the prober. Returns 0 or an error that stops the probe (err says why); FO_EIO
 * means the address could not be tried from here at all (no socket of its family). */
typedef int (*fo_addrs_probe_fn)(void *ctx, fo_probe_facts *facts, const fo_net_addr *addr,
                                 fo_error *err);

/* Probes every address of addrs (Fastly's order) with probe, at most FO_ADDRS_PARALLEL at
 * once, and classifies each against target. Fastly's first choice gives primary's facts
 * (its addresses are kept); primary->address_results gets one result per address. An
 * address other than the first that cannot be tried from here is recorded as not probed.
 * Returns 0, or the first error of probe, or FO_ENOMEM. */
int fo_addrs_probe_all(fo_probe_facts *primary, const fo_probe_target *target,
                       const fo_net_addr *addrs, int count, fo_addrs_probe_fn probe, void *ctx,
                       fo_error *err) FO_WARN_UNUSED;

/* Frees what facts owns (prober.c) and sets it back to "nothing learnt". */
void fo_prober_facts_clear(fo_probe_facts *facts);

#endif
