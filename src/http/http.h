/*
 * http: the HTTP engine. Listeners, one event loop per worker thread, request
 * and response, limits, graceful shutdown and the access log — over libh2o,
 * whose types never leave src/http/. Knows nothing of pages or the database.
 * Memory: everything reachable from a struct mh_request (strings, the arena)
 * lives until the response has been sent; copy what must outlive it.
 */
#ifndef MH_HTTP_H
#define MH_HTTP_H

#include "util/util.h"

struct mh_request {
	struct mh_arena *arena; /* dies with the request */
	struct mh_str method;   /* "GET" */
	struct mh_str path;     /* decoded-free raw path, without query: "/articles/x" */
	struct mh_str query;    /* raw text after '?', may be empty */
	struct mh_str body;     /* request body (bounded by max_body_bytes) */
	int worker;             /* 0..threads-1: index for per-thread resources */
	bool is_head;           /* HEAD: the engine sends headers only */
	void *impl;             /* engine-private */
	/* filled by the handler for the access log: "hit" if cache_hit, else
	 * "miss" if cache_miss, else "-" (the page cache was not consulted) */
	bool cache_hit;
	bool cache_miss;
	int route; /* filled by the handler for on_response: which route (0 = none) */
};

/* A handler answers every request it is given (it must call one of the
 * mh_response_send* functions exactly once). */
typedef void (*mh_http_handler)(struct mh_request *req, void *ctx);

/* Called once in each worker thread before it serves, and once after it stops
 * (to open/close per-thread resources such as database connections). */
typedef bool (*mh_http_thread_hook)(int worker, bool starting, void *ctx);

struct mh_http_config {
	const char *listen; /* "127.0.0.1:8080", "[::1]:8080", ":8080" */
	int threads;        /* >= 1 */
	bool http2;
	const char *tls_cert, *tls_key; /* both or neither */
	int max_connections;
	size_t max_body_bytes;
	size_t max_header_bytes;
	int header_timeout_s, idle_timeout_s;
	bool access_log;
	mh_http_handler handler;
	mh_http_thread_hook thread_hook; /* may be NULL */
	/* May be NULL. Called in the worker thread as each response starts,
	 * before its first byte is sent (so a client that has its answer finds
	 * it counted): status, body bytes, microseconds since the request
	 * arrived. For metrics; must not block. */
	void (*on_response)(struct mh_request *req, int status, size_t bytes, int64_t us, void *ctx);
	void *ctx;
};

/* [server] in site.ini (settings.c); every field is a row there. */
struct mh_http_settings {
	const char *listen;
	int threads; /* 0 = one per core */
	bool http2;
	const char *tls_cert, *tls_key; /* NULL = not set */
	int max_connections;
	size_t max_body_bytes, max_header_bytes;
	int header_timeout_s, idle_timeout_s;
	bool access_log;
	int log_format;            /* enum mh_log_format: text or json (reloaded by SIGHUP) */
	const char *metrics_allow; /* addresses/CIDRs that may read /metrics (reloaded by SIGHUP) */
	const char *trusted_proxies; /* addresses/CIDRs whose X-Forwarded-For names the client (SIGHUP too) */
};
extern const struct mh_settings_table mh_http_settings_table;

/* Binds every listener (one SO_REUSEPORT socket per thread, all on one port),
 * starts the workers (each runs thread_hook first) and returns; NULL with a
 * message naming the address/file/setting at fault in err. Ignores SIGPIPE
 * process-wide. Limits: a body over max_body_bytes gets 413, request headers
 * over max_header_bytes 431, a request not complete within header_timeout_s
 * 408 (then close), a keep-alive connection idle for idle_timeout_s is
 * closed, a connection beyond max_connections gets a bare 503 (TLS: a close).
 * HTTP/2 (h2 via ALPN, h2c) only when http2 is set. */
struct mh_http_server;
struct mh_http_server *mh_http_start(const struct mh_http_config *cfg, struct mh_buf *err);
/* The bound port (useful after listening on port 0). */
int mh_http_port(const struct mh_http_server *s);
/* Blocks until SIGTERM/SIGINT (or mh_http_stop): stops accepting, closes idle
 * connections, finishes in-flight requests, joins the workers (each runs
 * thread_hook(worker, false)). Installs SIGTERM/SIGINT handlers while it
 * waits and restores the previous ones before returning. */
void mh_http_wait(struct mh_http_server *s);
void mh_http_stop(struct mh_http_server *s); /* async-signal-safe */
void mh_http_free(struct mh_http_server *s); /* stops and joins first if needed */

/* ---- request accessors ---- */
/* First header with that (lower-case) name; empty ptr=NULL if absent.
 * "host" is the authority (HTTP/2 :authority). The engine consumes
 * content-length, transfer-encoding, expect and upgrade (use body.len). */
struct mh_str mh_request_header(struct mh_request *req, const char *lname);
/* Query or form parameter, decoded; false if absent. A form is
 * application/x-www-form-urlencoded, or multipart/form-data whose fields
 * without a filename are read (as sent, no decoding; a file field is never
 * a form parameter: mh_http_parse_multipart reads those). */
bool mh_request_query(struct mh_request *req, const char *name, struct mh_str *out);
bool mh_request_form(struct mh_request *req, const char *name, struct mh_str *out);
bool mh_request_cookie(struct mh_request *req, const char *name, struct mh_str *out);
/* The client's address (the peer of the connection: a proxy in front, if
 * any). False if unknown. */
struct sockaddr_storage;
bool mh_request_peer(struct mh_request *req, struct sockaddr_storage *out);

/* ---- responses ---- */
/* Adds a response header (name lower-cased and copied; value copied with CR,
 * LF and NUL turned into spaces). Call before sending. Framing headers
 * (content-length, transfer-encoding, connection, date) are the engine's:
 * setting one aborts. Added to every answer: Date (and Content-Length),
 * X-Content-Type-Options: nosniff and Referrer-Policy:
 * strict-origin-when-cross-origin. An error answer (status >= 400) loses
 * any ETag, Last-Modified, Expires and Cache-Control the handler set and
 * carries Cache-Control: no-store instead. */
void mh_response_header(struct mh_request *req, const char *name, struct mh_str value);
void mh_response_header_c(struct mh_request *req, const char *name, const char *value);
/* Sends status (200..999) + body (copied into the request). content_type may
 * be NULL. For HEAD only the headers go out, with the body's Content-Length;
 * 204 and 304 go out without body or Content-Length. */
void mh_response_send(struct mh_request *req, int status, const char *content_type, struct mh_str body);
/* Sends bytes owned by someone else without copying: release(arg) runs once
 * the engine is done with them (e.g. a page-cache reference). */
void mh_response_send_shared(struct mh_request *req, int status, const char *content_type, struct mh_str body,
			     void (*release)(void *), void *arg);
/* Streams len bytes of the open file fd from offset, in bounded chunks as
 * the client takes them (HEAD: the head only, nothing read). Takes fd and
 * closes it once done. A file that cannot be read at the start gets a 500
 * instead; one that fails later (shrank, I/O error) has its response cut. */
void mh_response_send_file(struct mh_request *req, int status, const char *content_type, int fd, uint64_t offset,
			   uint64_t len);
/* A short plain-text error page: "404 Not Found\n\nmessage\n". */
void mh_response_error(struct mh_request *req, int status, const char *message);
const char *mh_http_reason(int status);

/* ---- parsers of outside input (pure; each has a fuzz target) ---- */
/* Iterates "a=1&b=2" pairs, decoding both sides ('+' is a space; strings in
 * the arena, NUL-terminated); cb returns false to stop. A pair with a
 * malformed escape is skipped and makes the result false. */
bool mh_http_parse_urlencoded(struct mh_arena *a, struct mh_str in,
			      bool (*cb)(struct mh_str name, struct mh_str value, void *arg), void *arg);
/* Iterates a Cookie header's "a=1; b=2" (values as sent, one pair of
 * surrounding quotes removed; pointing into `in`). A pair without '=' or
 * with an empty name is skipped and makes the result false. */
bool mh_http_parse_cookies(struct mh_arena *a, struct mh_str in,
			   bool (*cb)(struct mh_str name, struct mh_str value, void *arg), void *arg);
/* Does Accept-Encoding accept this coding (q > 0; "*" counts; case and
 * spacing ignored; "identity" unless excluded)? */
bool mh_http_accepts_encoding(struct mh_str accept_encoding, const char *coding);
/* Does If-None-Match match this strong etag ("*", lists, W/ weak compare)? */
bool mh_http_etag_matches(struct mh_str if_none_match, struct mh_str etag);

/* Counts the Content-Length and Transfer-Encoding fields of a raw HTTP/1
 * request head (request line, then header lines up to the first empty one;
 * CRLF or LF), which h2o consumes before the handler could see them twice. */
void mh_http_head_framing(struct mh_str head, unsigned *content_length, unsigned *transfer_encoding);
/* A Range header against a representation of size bytes (RFC 9110 14.1.2):
 * PART with the one byte range asked for ("a-b", "a-" or the suffix "-n",
 * the end clamped to the file), UNSATISFIABLE (answer 416 with
 * "Content-Range: bytes * /size") when it starts past the end or asks for
 * the last 0 bytes, IGNORE (answer 200 with the whole) when it is absent,
 * malformed, in another unit, or lists several ranges. */
enum mh_http_range { MH_RANGE_IGNORE, MH_RANGE_PART, MH_RANGE_UNSATISFIABLE };
enum mh_http_range mh_http_parse_range(struct mh_str range, uint64_t size, uint64_t *first, uint64_t *len);

/* multipart/form-data (RFC 7578), for forms that upload files. */
struct mh_http_part {
	struct mh_str name;         /* the field's name (never empty) */
	struct mh_str filename;     /* as the client sent it (untrusted: a label, never a path) */
	bool has_filename;          /* a file field, even when filename is "" (none chosen) */
	struct mh_str content_type; /* as sent; "text/plain" when absent (never trust it for a file's type) */
	struct mh_str data;         /* the part's bytes, pointing into the body */
};
/* The boundary of a "multipart/form-data; boundary=..." Content-Type (1-70
 * RFC 2046 characters, quoted or not); false for any other type or a
 * missing or malformed boundary. */
bool mh_http_multipart_boundary(struct mh_arena *a, struct mh_str content_type, struct mh_str *boundary);
/* Splits body into its parts (an arena array; names, filenames and types
 * point into body or the arena, data into body). False, with a sentence
 * for a 400 in *err, when the body is malformed: no boundary, a part without
 * a name, headers beyond 16 lines or 8 KiB, more than max_parts parts, or no
 * closing boundary (a cut-off upload). A preamble and an epilogue are
 * ignored. */
bool mh_http_parse_multipart(struct mh_arena *a, struct mh_str boundary, struct mh_str body, size_t max_parts,
			     struct mh_http_part **out, size_t *n, const char **err);

/* ---- in-memory rate limits (per node) ----
 * A token bucket per key: per_second tokens flow in, at most burst are kept,
 * each request takes one. Memory is fixed at about `keys` entries whatever
 * the number of distinct keys; a key being held back is kept over fresh
 * ones. Thread-safe. */
struct mh_ratelimit;
struct mh_ratelimit *mh_ratelimit_new(size_t keys, double per_second, double burst);
void mh_ratelimit_free(struct mh_ratelimit *rl);
/* True if key may go ahead at now_us (microseconds, e.g. mh_time_now_us);
 * else false with the whole seconds until it may in *retry_after_s (>= 1;
 * may be NULL), for a Retry-After header. */
bool mh_ratelimit_take(struct mh_ratelimit *rl, struct mh_str key, int64_t now_us, int *retry_after_s);

#endif
