/*
 * http/settings.c: the [server] section of site.ini, owned here: where the
 * engine listens and its limits. `masthead serve` turns these into a
 * struct mh_http_config (threads = 0 there becomes one per core).
 */
#include <stddef.h>
#include <string.h>

#include "http/http.h"

/* host:port, IPv6 bracketed; ":8080" (no host) listens on every address. */
static bool check_listen(const char *v, struct mh_buf *why)
{
	const char *colon = strrchr(v, ':');
	bool ok = colon != NULL && !(colon != v && v[0] == '[' && colon[-1] != ']');
	for (const char *p = v; ok && p < colon; p++)
		if (*p == ' ' || *p == '/' || (*p == ':' && v[0] != '['))
			ok = false;
	if (ok) {
		const char *d = colon + 1;
		long port = 0;
		for (; ok && *d; d++) {
			ok = *d >= '0' && *d <= '9' && port <= 65535;
			port = port * 10 + (*d - '0');
		}
		ok = ok && d != colon + 1 && port >= 1 && port <= 65535;
	}
	if (!ok)
		mh_buf_printf(why, "bad address \"%s\" (expected host:port like 127.0.0.1:8080 or [::1]:8080)", v);
	return ok;
}

static bool check_addr_list(const char *v, struct mh_buf *why)
{
	struct mh_str bad;
	if (mh_addr_list_valid(v, &bad))
		return true;
	mh_buf_printf(why, "\"%.*s\" is not an address (expected IPv4 or IPv6 addresses, each optionally /PREFIX, separated by spaces)",
		      (int)bad.len, bad.ptr);
	return false;
}

static const char *const log_formats[] = { "text", "json", NULL };

#define F(field) offsetof(struct mh_http_settings, field)
static const struct mh_setting rows[] = {
	{ .key = "listen", .type = MH_SETTING_TEXT, .offset = F(listen), .def = "127.0.0.1:8080",
	  .check = check_listen, .comment = "address and port: [::1]:8080, or :8080 for every address" },
	{ .key = "threads", .type = MH_SETTING_INT, .offset = F(threads), .min = 0, .max = 1024, .def = "0",
	  .comment = "worker threads, one event loop each; 0 = one per core" },
	{ .key = "http2", .type = MH_SETTING_BOOL, .offset = F(http2), .def = "false",
	  .comment = "HTTP/2 (h2c, and h2 over TLS). Off: Debian's libh2o 2.2.5 lacks the rapid-reset fix\n"
		     "(CVE-2023-44487); for a public site let nginx or a CDN in front speak HTTP/2" },
	{ .key = "tls_cert", .type = MH_SETTING_PATH, .flags = MH_SETTING_OPTIONAL, .offset = F(tls_cert),
	  .def = "", .comment = "PEM certificate chain; with tls_key set too, the server speaks HTTPS" },
	{ .key = "tls_key", .type = MH_SETTING_PATH, .flags = MH_SETTING_OPTIONAL, .offset = F(tls_key),
	  .def = "", .comment = "PEM private key of tls_cert" },
	{ .key = "max_connections", .type = MH_SETTING_INT, .offset = F(max_connections), .min = 1,
	  .max = 1000000, .def = "1024", .comment = "open connections; more are answered 503 and closed" },
	{ .key = "max_body", .type = MH_SETTING_SIZE, .offset = F(max_body_bytes), .min = 1,
	  .max = 4LL * 1024 * 1024 * 1024, .def = "21m",
	  .comment = "larger request bodies get 413 (k, m, g); room for a [media] max_upload image and its form" },
	{ .key = "max_header_bytes", .type = MH_SETTING_SIZE, .offset = F(max_header_bytes), .min = 1024,
	  .max = 1024 * 1024, .def = "16k", .comment = "larger request headers get 431" },
	{ .key = "header_timeout", .type = MH_SETTING_INT, .offset = F(header_timeout_s), .min = 1, .max = 3600,
	  .def = "10", .comment = "seconds a client has to send a request's headers, else 408" },
	{ .key = "idle_timeout", .type = MH_SETTING_INT, .offset = F(idle_timeout_s), .min = 1, .max = 86400,
	  .def = "60", .comment = "seconds an idle keep-alive connection stays open" },
	{ .key = "access_log", .type = MH_SETTING_BOOL, .offset = F(access_log), .def = "true",
	  .comment = "one line per request on stderr" },
	{ .key = "log_format", .type = MH_SETTING_CHOICE, .offset = F(log_format), .choices = log_formats,
	  .def = "text", .comment = "text lines, or one JSON object per line for log collectors" },
	{ .key = "metrics_allow", .type = MH_SETTING_TEXT, .flags = MH_SETTING_OPTIONAL, .offset = F(metrics_allow),
	  .def = "127.0.0.1 ::1", .check = check_addr_list,
	  .comment = "addresses (and /PREFIX ranges) that may read /metrics; others get 404" },
	{ .key = "trusted_proxies", .type = MH_SETTING_TEXT, .flags = MH_SETTING_OPTIONAL, .offset = F(trusted_proxies),
	  .def = "", .check = check_addr_list,
	  .comment = "proxies in front (Varnish, a load balancer): from these, the client is read from "
		     "X-Forwarded-For, for view counts and rate limits" },
};
#undef F

const struct mh_settings_table mh_http_settings_table =
	MH_SETTINGS_TABLE("server", NULL, rows, struct mh_http_settings);
