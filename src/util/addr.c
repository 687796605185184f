/*
 * util/addr.c: lists of IP addresses and networks ("127.0.0.1 ::1
 * 10.0.0.0/8 fd00::/8"), as site.ini's [server] metrics_allow takes them,
 * and whether a peer's address falls in one. inet_pton does the parsing;
 * only the "/prefix" and the bit comparison are ours (libc has no CIDR
 * matcher). An IPv4 peer seen through a dual-stack socket (::ffff:a.b.c.d)
 * matches the IPv4 entries. Also the client behind trusted proxies, from
 * X-Forwarded-For (mh_addr_forwarded_client).
 */
#include "util/util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

struct net {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int prefix; /* bits that must match */
};

/* Parses one "ADDR" or "ADDR/PREFIX" token of n bytes. */
static bool parse_net(const char *p, size_t n, struct net *out)
{
	char tok[INET6_ADDRSTRLEN + 8];
	if (n == 0 || n >= sizeof(tok))
		return false;
	memcpy(tok, p, n);
	tok[n] = '\0';
	char *slash = strchr(tok, '/');
	int prefix = -1;
	if (slash != NULL) {
		*slash = '\0';
		int64_t v;
		if (slash[1] == '\0' || slash[1] == '+' || slash[1] == '-' || !mh_str_to_i64(mh_str_c(slash + 1), &v) ||
		    v < 0 || v > 128)
			return false;
		prefix = (int)v;
	}
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, tok, out->addr) == 1) {
		out->family = AF_INET;
		if (prefix > 32)
			return false;
		out->prefix = prefix < 0 ? 32 : prefix;
	} else if (inet_pton(AF_INET6, tok, out->addr) == 1) {
		out->family = AF_INET6;
		out->prefix = prefix < 0 ? 128 : prefix;
	} else {
		return false;
	}
	return true;
}

/* Calls fn for each token of the space-separated list; false at the first
 * bad one (its text in bad, when given). */
static bool each_net(const char *list, bool (*fn)(const struct net *, void *), void *arg, struct mh_str *bad)
{
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, " \t");
		if (n == 0)
			break;
		struct net net;
		if (!parse_net(p, n, &net)) {
			if (bad != NULL)
				*bad = (struct mh_str){ p, n };
			return false;
		}
		if (fn != NULL && fn(&net, arg))
			return true;
		p += n;
	}
	return true;
}

bool mh_addr_list_valid(const char *list, struct mh_str *bad)
{
	return each_net(list, NULL, NULL, bad);
}

struct peer {
	int family;
	unsigned char addr[16];
	bool matched;
};

static bool match_one(const struct net *n, void *arg)
{
	struct peer *p = arg;
	if (n->family != p->family)
		return false;
	int full = n->prefix / 8, rest = n->prefix % 8;
	if (memcmp(n->addr, p->addr, (size_t)full) != 0)
		return false;
	if (rest != 0) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((n->addr[full] & mask) != (p->addr[full] & mask))
			return false;
	}
	p->matched = true;
	return true; /* stop */
}

bool mh_addr_list_match(const char *list, const struct sockaddr *sa)
{
	struct peer p = { 0 };
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		p.family = AF_INET;
		memcpy(p.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			p.family = AF_INET;
			memcpy(p.addr, a6->s6_addr + 12, 4);
		} else {
			p.family = AF_INET6;
			memcpy(p.addr, a6->s6_addr, 16);
		}
	} else {
		return false;
	}
	if (!each_net(list, match_one, &p, NULL))
		return false;
	return p.matched;
}

/* One address token of X-Forwarded-For, trimmed, as a sockaddr. */
static bool parse_hop(const char *p, size_t n, struct sockaddr_storage *out)
{
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	char tok[INET6_ADDRSTRLEN + 1];
	if (n == 0 || n >= sizeof(tok))
		return false;
	memcpy(tok, p, n);
	tok[n] = '\0';
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *in = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, tok, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, tok, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

bool mh_addr_forwarded_client(const char *trusted, const struct sockaddr_storage *peer, struct mh_str xff,
			      struct sockaddr_storage *out)
{
	*out = *peer;
	if (trusted == NULL || trusted[0] == '\0' || !mh_addr_list_match(trusted, (const struct sockaddr *)peer))
		return false;
	/* right to left: each proxy appends the address it was reached from,
	 * so the first one not ours is the client; what is left of it was
	 * written by the client and proves nothing */
	size_t end = xff.len;
	bool took = false;
	while (end > 0) {
		size_t start = end;
		while (start > 0 && xff.ptr[start - 1] != ',')
			start--;
		struct sockaddr_storage hop;
		if (!parse_hop(xff.ptr + start, end - start, &hop))
			return took; /* not an address: keep the last one we trust */
		*out = hop;
		took = true;
		if (!mh_addr_list_match(trusted, (const struct sockaddr *)&hop))
			return true;
		end = start > 0 ? start - 1 : 0;
	}
	return took;
}
