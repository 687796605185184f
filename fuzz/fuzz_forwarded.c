/*
 * fuzz/fuzz_forwarded.c: X-Forwarded-For headers (mh_addr_forwarded_client),
 * which a client may send with any bytes. The input's first line is the
 * trusted list when it is a valid one (else a fixed list), the rest the
 * header; the peer is a trusted proxy, so the header is always read. The
 * answer must be an address, and the peer's when nothing was taken.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d;
	const char *nl = memchr(p, '\n', n);
	char trusted[256] = "127.0.0.1 10.0.0.0/8 ::1 fd00::/8";
	struct mh_str xff = { p, n };
	if (nl != NULL) {
		size_t k = (size_t)(nl - p);
		if (k < sizeof(trusted) && memchr(p, '\0', k) == NULL) {
			char want[256];
			memcpy(want, p, k);
			want[k] = '\0';
			if (mh_addr_list_valid(want, NULL) && want[0] != '\0')
				memcpy(trusted, want, k + 1);
		}
		xff = (struct mh_str){ nl + 1, n - k - 1 };
	}
	struct sockaddr_storage peer = { 0 }, out;
	struct sockaddr_in *in = (struct sockaddr_in *)&peer;
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool took = mh_addr_forwarded_client(trusted, &peer, xff, &out);
	if (out.ss_family != AF_INET && out.ss_family != AF_INET6)
		abort();
	if (!took && memcmp(&out, &peer, sizeof(peer)) != 0)
		abort();
	return 0;
}
