/*
 * tests/http/test_engine.c: the HTTP engine end to end. Each test starts a
 * server on 127.0.0.1, port 0, with a small handler, and talks to it over
 * raw sockets (or curl, for TLS and HTTP/2). Timeouts are generous: this
 * machine is shared; nothing here measures speed.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http/http.h"

/* ---- the handler ---- */

static atomic_int released;
static atomic_int slow_started;
static atomic_int hook_starts, hook_stops;
static atomic_int hook_fail_worker = -1;

static void release_cb(void *arg)
{
	cr_assert_eq(arg, (void *)&released);
	atomic_fetch_add(&released, 1);
}

static bool path_is(struct mh_request *req, const char *p)
{
	return mh_str_eq_c(req->path, p);
}

static void handler(struct mh_request *req, void *ctx)
{
	(void)ctx;
	if (path_is(req, "/hello")) {
		mh_response_header_c(req, "X-Worker", mh_arena_printf(req->arena, "%d", req->worker));
		mh_response_send(req, 200, "text/plain", MH_STR("hello world"));
	} else if (path_is(req, "/echo")) {
		struct mh_str q = MH_STR("-"), f = MH_STR("-"), c = MH_STR("-"), c2 = MH_STR("-");
		mh_request_query(req, "x", &q);
		mh_request_form(req, "name", &f);
		mh_request_cookie(req, "sid", &c);
		mh_request_cookie(req, "theme", &c2);
		struct mh_str ua = mh_request_header(req, "user-agent");
		char *out = mh_arena_printf(req->arena, "q=%.*s f=%.*s c=%.*s c2=%.*s ua=%.*s host=%.*s", (int)q.len,
					    q.ptr, (int)f.len, f.ptr, (int)c.len, c.ptr, (int)c2.len, c2.ptr,
					    (int)ua.len, ua.ptr ? ua.ptr : "", (int)mh_request_header(req, "host").len,
					    mh_request_header(req, "host").ptr);
		req->cache_miss = true;
		mh_response_send(req, 200, "text/plain", mh_str_c(out));
	} else if (path_is(req, "/slow")) {
		atomic_store(&slow_started, 1);
		usleep(800 * 1000); /* a request still in flight when stop comes */
		mh_response_send(req, 200, "text/plain", MH_STR("slow done"));
	} else if (path_is(req, "/shared")) {
		static const char page[] = "shared bytes";
		req->cache_hit = true;
		mh_response_send_shared(req, 200, "text/html", MH_STR(page), release_cb, &released);
	} else if (path_is(req, "/big")) {
		/* larger than any socket buffer: written over many loop turns */
		static char big[3 << 20];
		if (big[0] == '\0')
			for (size_t i = 0; i < sizeof(big); i++)
				big[i] = (char)('a' + i % 26);
		mh_response_send_shared(req, 200, "application/octet-stream", (struct mh_str){ big, sizeof(big) },
					release_cb, &released);
	} else if (path_is(req, "/huge")) {
		/* more than the kernel will queue for a reader that stopped */
		static char huge[32 << 20];
		mh_response_send_shared(req, 200, "application/octet-stream", (struct mh_str){ huge, sizeof(huge) },
					release_cb, &released);
	} else if (path_is(req, "/notmodified")) {
		mh_response_header_c(req, "ETag", "\"v1\"");
		mh_response_send(req, 304, NULL, MH_STR(""));
	} else if (path_is(req, "/inject")) {
		mh_response_header(req, "X-Test", MH_STR("a\r\nInjected: yes"));
		mh_response_send(req, 200, "text/plain", MH_STR("ok"));
	} else if (path_is(req, "/fail")) {
		/* a handler that sets a success path's validators, then fails */
		mh_response_header_c(req, "ETag", "\"v1\"");
		mh_response_header_c(req, "Last-Modified", "Mon, 01 Jan 2001 00:00:00 GMT");
		mh_response_header_c(req, "Cache-Control", "public, max-age=86400");
		mh_response_error(req, 500, "it broke");
	} else if (path_is(req, "/file")) {
		/* this test file itself, streamed from offset 3 */
		int fd = open(__FILE__, O_RDONLY | O_CLOEXEC);
		struct stat st;
		cr_assert(fd >= 0 && fstat(fd, &st) == 0);
		mh_response_header_c(req, "ETag", "\"f1\"");
		mh_response_send_file(req, 200, "text/plain", fd, 3, (uint64_t)st.st_size - 3);
	} else if (path_is(req, "/unreadable")) {
		/* a directory opens but cannot be read: 500, without the validators */
		int fd = open("/", O_RDONLY | O_CLOEXEC);
		cr_assert(fd >= 0);
		mh_response_header_c(req, "ETag", "\"d1\"");
		mh_response_header_c(req, "Cache-Control", "public, max-age=86400");
		mh_response_send_file(req, 200, "text/plain", fd, 0, 100);
	} else if (path_is(req, "/body")) {
		mh_response_send(req, 200, "application/octet-stream", req->body);
	} else {
		mh_response_error(req, 404, "no such page");
	}
}

static bool thread_hook(int worker, bool starting, void *ctx)
{
	(void)ctx;
	if (starting) {
		if (worker == atomic_load(&hook_fail_worker))
			return false;
		atomic_fetch_add(&hook_starts, 1);
	} else {
		atomic_fetch_add(&hook_stops, 1);
	}
	return true;
}

static struct mh_http_config base_config(void)
{
	return (struct mh_http_config){
		.listen = "127.0.0.1:0",
		.threads = 2,
		.http2 = false,
		.max_connections = 64,
		.max_body_bytes = 1024,
		.max_header_bytes = 4096,
		.header_timeout_s = 5,
		.idle_timeout_s = 5,
		.access_log = false,
		.handler = handler,
		.thread_hook = NULL,
		.ctx = NULL,
	};
}

static struct mh_http_server *start(const struct mh_http_config *cfg)
{
	struct mh_buf err = MH_BUF_INIT;
	struct mh_http_server *s = mh_http_start(cfg, &err);
	cr_assert_not_null(s, "mh_http_start: %s", mh_buf_cstr(&err));
	mh_buf_free(&err);
	cr_assert_gt(mh_http_port(s), 0);
	return s;
}

/* ---- a raw HTTP/1.1 client ---- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "connect: %s", strerror(errno));
	struct timeval tv = { .tv_sec = 15 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_str(int fd, const char *s)
{
	size_t n = strlen(s), off = 0;
	while (off < n) {
		ssize_t w = send(fd, s + off, n - off, MSG_NOSIGNAL);
		cr_assert_gt(w, 0, "send: %s", strerror(errno));
		off += (size_t)w;
	}
}

struct resp {
	int status;
	char head[8192];
	char body[65536];
	size_t body_len;
	bool closed; /* the server closed right after (only read_all) */
};

/* Reads bytes until "\r\n\r\n"; returns the header length or -1 on EOF. */
static ssize_t read_head(int fd, char *buf, size_t cap, size_t *have)
{
	for (;;) {
		char *end = memmem(buf, *have, "\r\n\r\n", 4);
		if (end)
			return (end - buf) + 4;
		cr_assert_lt(*have, cap - 1, "response header too long");
		ssize_t r = recv(fd, buf + *have, cap - 1 - *have, 0);
		if (r <= 0)
			return -1;
		*have += (size_t)r;
	}
}

static const char *header_value(const char *head, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			const char *v = p + 3 + n;
			while (*v == ' ')
				v++;
			const char *e = strstr(v, "\r\n");
			size_t len = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return out;
		}
	}
	return NULL;
}

/* Reads one response framed by Content-Length (none: no body). Returns
 * false on EOF before a full header. Leftover bytes are not expected. */
static bool read_response(int fd, struct resp *r, bool head_request)
{
	static char buf[65536 + 8192];
	size_t have = 0;
	memset(r, 0, sizeof(*r));
	ssize_t hl = read_head(fd, buf, sizeof(buf), &have);
	if (hl < 0)
		return false;
	cr_assert_lt((size_t)hl, sizeof(r->head));
	memcpy(r->head, buf, (size_t)hl);
	r->head[hl] = '\0';
	cr_assert_eq(sscanf(r->head, "HTTP/1.1 %d", &r->status), 1, "bad status line: %s", r->head);
	char cl[32];
	size_t want = 0;
	if (!head_request && header_value(r->head, "content-length", cl, sizeof(cl)))
		want = (size_t)strtoul(cl, NULL, 10);
	cr_assert_lt(want, sizeof(r->body));
	size_t got = have - (size_t)hl;
	memcpy(r->body, buf + hl, got);
	while (got < want) {
		ssize_t n = recv(fd, r->body + got, want - got, 0);
		cr_assert_gt(n, 0, "EOF inside a body");
		got += (size_t)n;
	}
	cr_assert_eq(got, want, "more bytes than Content-Length");
	r->body_len = got;
	r->body[got] = '\0';
	return true;
}

/* Reads everything until the server closes; returns the byte count. */
static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t have = 0;
	for (;;) {
		ssize_t r = recv(fd, buf + have, cap - 1 - have, 0);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	buf[have] = '\0';
	return have;
}

/* True if the peer closed (EOF or reset) within `secs`. */
static bool closed_within(int fd, double secs, char *got, size_t cap)
{
	double until = now_s() + secs;
	size_t have = 0;
	while (now_s() < until) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t r = recv(fd, got + have, cap - 1 - have, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			got[have] = '\0';
			return true;
		}
		if (r > 0)
			have += (size_t)r;
	}
	got[have] = '\0';
	return false;
}

static struct resp *get(int port, const char *request)
{
	static struct resp r;
	int fd = connect_to(port);
	send_str(fd, request);
	cr_assert(read_response(fd, &r, false), "no response to %s", request);
	close(fd);
	return &r;
}

/* ---- tests: basics ---- */

Test(engine, get_200_with_body_and_date)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	struct resp *r = get(mh_http_port(s), "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(r->body, "hello world");
	char v[256];
	cr_assert_not_null(header_value(r->head, "date", v, sizeof(v)));
	cr_assert_str_eq(header_value(r->head, "content-type", v, sizeof(v)), "text/plain");
	cr_assert_str_eq(header_value(r->head, "content-length", v, sizeof(v)), "11");
	cr_assert_null(header_value(r->head, "server", v, sizeof(v)), "no Server header expected");
	r = get(mh_http_port(s), "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(r->status, 404);
	cr_assert_str_eq(r->body, "404 Not Found\n\nno such page\n");
	mh_http_free(s);
}

Test(engine, keep_alive_two_requests_one_connection)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int fd = connect_to(mh_http_port(s));
	struct resp r;
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert(read_response(fd, &r, false));
	cr_assert_eq(r.status, 200);
	char v[64];
	cr_assert_str_eq(header_value(r.head, "connection", v, sizeof(v)), "keep-alive");
	send_str(fd, "GET /echo?x=second HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert(read_response(fd, &r, false));
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, "q=second") != NULL, "%s", r.body);
	/* Connection: close is honoured */
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	cr_assert(read_response(fd, &r, false));
	char rest[64];
	cr_assert(closed_within(fd, 10, rest, sizeof(rest)));
	close(fd);
	mh_http_free(s);
}

Test(engine, pipelined_requests)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int fd = connect_to(mh_http_port(s));
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
		     "GET /echo?x=2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	static char all[16384];
	read_all(fd, all, sizeof(all));
	char *first = strstr(all, "\r\n\r\nhello worldHTTP/1.1 200 OK\r\n");
	cr_assert_not_null(first, "got: %s", all);
	cr_assert(strstr(first, "q=2 ") != NULL, "got: %s", all);
	close(fd);
	mh_http_free(s);
}

Test(engine, head_has_length_but_no_body)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int fd = connect_to(mh_http_port(s));
	struct resp r;
	send_str(fd, "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert(read_response(fd, &r, true));
	cr_assert_eq(r.status, 200);
	char v[64];
	cr_assert_str_eq(header_value(r.head, "content-length", v, sizeof(v)), "11");
	cr_assert_eq(r.body_len, 0, "HEAD answered with body bytes: %s", r.body);
	/* The next response on the connection starts right away: no stray body. */
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert(read_response(fd, &r, false));
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "hello world");
	close(fd);
	mh_http_free(s);
}

Test(engine, not_modified_has_no_body)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int fd = connect_to(mh_http_port(s));
	struct resp r;
	send_str(fd, "GET /notmodified HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert(read_response(fd, &r, false));
	cr_assert_eq(r.status, 304);
	char v[64];
	cr_assert_str_eq(header_value(r.head, "etag", v, sizeof(v)), "\"v1\"");
	cr_assert_null(header_value(r.head, "transfer-encoding", v, sizeof(v)));
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert(read_response(fd, &r, false));
	cr_assert_str_eq(r.body, "hello world");
	close(fd);
	mh_http_free(s);
}

Test(engine, header_values_cannot_inject)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	struct resp *r = get(mh_http_port(s), "GET /inject HTTP/1.1\r\nHost: t\r\n\r\n");
	char v[64];
	cr_assert_null(header_value(r->head, "injected", v, sizeof(v)), "%s", r->head);
	cr_assert_str_eq(header_value(r->head, "x-test", v, sizeof(v)), "a  Injected: yes");
	mh_http_free(s);
}

Test(engine, accessors_query_form_cookie_header)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	struct resp *r = get(port, "GET /echo?a=1&x=J%C3%B6rg+X HTTP/1.1\r\nHost: example.org\r\n"
				   "User-Agent: tester/1\r\nCookie: theme=dark; sid=\"abc123\"\r\n\r\n");
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(r->body, "q=J\xc3\xb6rg X f=- c=abc123 c2=dark ua=tester/1 host=example.org");

	r = get(port, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
		      "Content-Length: 20\r\n\r\nname=Ada+L&other=%21");
	cr_assert_str_eq(r->body, "q=- f=Ada L c=- c2=- ua= host=t");

	/* form fields only from urlencoded bodies */
	r = get(port, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
		      "Content-Length: 10\r\n\r\nname=Ada+L");
	cr_assert_str_eq(r->body, "q=- f=- c=- c2=- ua= host=t");
	mh_http_free(s);
}

Test(engine, body_is_passed_and_chunked_bodies_work)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	struct resp *r = get(port, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcde");
	cr_assert_str_eq(r->body, "abcde");
	r = get(port, "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(r->body, "abcde");
	mh_http_free(s);
}

Test(engine, shared_body_released_once)
{
	atomic_store(&released, 0);
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	struct resp *r = get(mh_http_port(s), "GET /shared HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_str_eq(r->body, "shared bytes");
	int fd = connect_to(mh_http_port(s));
	send_str(fd, "HEAD /shared HTTP/1.1\r\nHost: t\r\n\r\n");
	struct resp hr;
	cr_assert(read_response(fd, &hr, true));
	cr_assert_eq(hr.body_len, 0);
	close(fd);
	double until = now_s() + 10;
	while (atomic_load(&released) < 2 && now_s() < until)
		usleep(10 * 1000);
	mh_http_free(s);
	cr_assert_eq(atomic_load(&released), 2);
}

Test(engine, big_shared_body_over_slow_reader)
{
	atomic_store(&released, 0);
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int fd = connect_to(mh_http_port(s));
	send_str(fd, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
	usleep(300 * 1000); /* let the server fill the socket buffers first */
	static char buf[(3 << 20) + 4096];
	size_t have = 0;
	char *body = NULL;
	size_t want = 0;
	while (body == NULL || have < (size_t)(body - buf) + want) {
		ssize_t r = recv(fd, buf + have, sizeof(buf) - have, 0);
		cr_assert_gt(r, 0, "connection ended early after %zu bytes", have);
		have += (size_t)r;
		if (body == NULL) {
			char *e = memmem(buf, have, "\r\n\r\n", 4);
			if (e) {
				body = e + 4;
				want = 3 << 20;
			}
		}
	}
	cr_assert_eq(have - (size_t)(body - buf), want);
	for (size_t i = 0; i < want; i += 4099)
		cr_assert_eq(body[i], (char)('a' + i % 26));
	close(fd);
	double until = now_s() + 10;
	while (atomic_load(&released) < 1 && now_s() < until)
		usleep(10 * 1000);
	cr_assert_eq(atomic_load(&released), 1);
	mh_http_free(s);
}

Test(engine, reader_that_stops_reading_is_cut)
{
	struct mh_http_config cfg = base_config();
	cfg.header_timeout_s = 1;
	cfg.idle_timeout_s = 2;
	struct mh_http_server *s = start(&cfg);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)mh_http_port(s)) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	struct timeval tv = { .tv_sec = 15 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	send_str(fd, "GET /huge HTTP/1.1\r\nHost: t\r\n\r\n");
	usleep(6 * 1000 * 1000); /* read nothing for longer than idle_timeout */
	static char buf[1 << 16];
	size_t total = 0;
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0)
			break;
		total += (size_t)r;
	}
	cr_assert_lt(total, (size_t)(32 << 20), "the whole response arrived: the stalled connection was not cut");
	close(fd);
	/* the server is fine afterwards */
	struct resp *r = get(mh_http_port(s), "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(r->status, 200);
	mh_http_free(s);
}

/* ---- limits ---- */

Test(engine, body_too_large_413)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	struct resp *r = get(port, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n");
	cr_assert_eq(r->status, 413);
	/* chunked too: the limit applies to what arrives */
	int fd = connect_to(port);
	send_str(fd, "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
	char part[1024];
	snprintf(part, sizeof(part), "258\r\n%0600d\r\n", 0);
	send_str(fd, part);
	send_str(fd, part);
	struct resp rr;
	cr_assert(read_response(fd, &rr, false));
	cr_assert_eq(rr.status, 413);
	close(fd);
	/* exactly at the limit is fine */
	char req[2048];
	snprintf(req, sizeof(req), "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n\r\n%01024d", 7);
	r = get(port, req);
	cr_assert_eq(r->status, 200);
	cr_assert_eq(r->body_len, 1024);
	mh_http_free(s);
}

Test(engine, headers_too_large_431)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	char big[6000];
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	char *req = NULL;
	cr_assert_gt(asprintf(&req, "GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: %s\r\n\r\n", big), 0);
	int fd = connect_to(mh_http_port(s));
	send_str(fd, req);
	struct resp r;
	cr_assert(read_response(fd, &r, false));
	cr_assert_eq(r.status, 431);
	char rest[64];
	cr_assert(closed_within(fd, 10, rest, sizeof(rest)), "431 should close the connection");
	close(fd);
	free(req);
	/* just under the limit is served */
	struct resp *ok = get(mh_http_port(s), "GET /hello HTTP/1.1\r\nHost: t\r\nX-Small: 1234567890\r\n\r\n");
	cr_assert_eq(ok->status, 200);
	mh_http_free(s);
}

Test(engine, garbage_gets_400)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int fd = connect_to(mh_http_port(s));
	send_str(fd, "THIS IS NOT HTTP\x01\x02\r\n\r\n");
	char buf[4096];
	read_all(fd, buf, sizeof(buf));
	cr_assert(strncmp(buf, "HTTP/1.1 400", 12) == 0, "got: %s", buf);
	close(fd);
	/* HTTP/2 preface with http2 off: not upgraded, refused */
	fd = connect_to(mh_http_port(s));
	send_str(fd, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
	read_all(fd, buf, sizeof(buf));
	cr_assert(strncmp(buf, "HTTP/1.1 400", 12) == 0, "got: %s", buf);
	close(fd);
	mh_http_free(s);
}

Test(engine, slowloris_does_not_block_and_is_cut)
{
	struct mh_http_config cfg = base_config();
	cfg.threads = 1; /* one loop: a blocked loop would stall everything */
	cfg.header_timeout_s = 1;
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	int slow = connect_to(port);
	send_str(slow, "GET /hello HTTP/1.1\r\nHost: t\r\n");
	double t0 = now_s();
	/* While the slow client dribbles, another client is served. */
	struct resp *r = get(port, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(r->status, 200);
	char got[4096];
	/* ...and the slow one was still connected meanwhile (checked only when
	 * this machine was quick enough for it to mean something) */
	if (now_s() - t0 < 0.5)
		cr_assert_not(closed_within(slow, 0.01, got, sizeof(got)));
	bool cut = false;
	for (int i = 0; i < 100 && !cut; i++) {
		if (send(slow, "X", 1, MSG_NOSIGNAL) <= 0) {
			cut = true;
			break;
		}
		cut = closed_within(slow, 0.2, got, sizeof(got));
	}
	if (!cut)
		cut = closed_within(slow, 10, got, sizeof(got));
	cr_assert(cut, "slow client was never cut");
	cr_assert_lt(now_s() - t0, 15.0);
	/* It was told why (unless the close raced the dribble). */
	if (got[0] != '\0')
		cr_assert(strncmp(got, "HTTP/1.1 408", 12) == 0, "got: %s", got);
	close(slow);
	/* A connection that says nothing at all gets a 408 too. */
	int quiet = connect_to(port);
	cr_assert(closed_within(quiet, 15, got, sizeof(got)));
	cr_assert(strncmp(got, "HTTP/1.1 408 Request Timeout", 28) == 0, "got: %s", got);
	close(quiet);
	/* The server is still fine. */
	r = get(port, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(r->status, 200);
	mh_http_free(s);
}

Test(engine, idle_keepalive_is_closed_silently)
{
	struct mh_http_config cfg = base_config();
	cfg.idle_timeout_s = 1;
	struct mh_http_server *s = start(&cfg);
	int fd = connect_to(mh_http_port(s));
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	struct resp r;
	cr_assert(read_response(fd, &r, false));
	char got[256];
	cr_assert(closed_within(fd, 15, got, sizeof(got)), "idle connection kept open");
	cr_assert_str_eq(got, "", "idle close should say nothing, got: %s", got);
	close(fd);
	mh_http_free(s);
}

Test(engine, keepalive_ticks_idle_and_cuts_slow_next_request)
{
	struct mh_http_config cfg = base_config();
	cfg.header_timeout_s = 1;
	cfg.idle_timeout_s = 3;
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	/* idle (3 s) is longer than header (1 s): kept past 1 s, closed later */
	int fd = connect_to(port);
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	struct resp r;
	cr_assert(read_response(fd, &r, false));
	double t0 = now_s();
	char got[256];
	cr_assert_not(closed_within(fd, 1.8, got, sizeof(got)), "closed at the header timeout, not the idle one");
	cr_assert(closed_within(fd, 15, got, sizeof(got)));
	cr_assert_geq(now_s() - t0, 2.0);
	cr_assert_str_eq(got, "");
	close(fd);

	/* a next request that starts but dribbles is cut with 408 long
	 * before the idle timeout would end it */
	cfg.idle_timeout_s = 60;
	mh_http_free(s);
	s = start(&cfg);
	fd = connect_to(mh_http_port(s));
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert(read_response(fd, &r, false));
	send_str(fd, "GET /hello HTTP/1.1\r\n");
	t0 = now_s();
	bool cut = false;
	while (!cut && now_s() - t0 < 30) {
		if (send(fd, "X", 1, MSG_NOSIGNAL) <= 0)
			break;
		cut = closed_within(fd, 0.3, got, sizeof(got));
	}
	cr_assert_lt(now_s() - t0, 30.0, "slow second request never cut");
	if (got[0] != '\0')
		cr_assert(strncmp(got, "HTTP/1.1 408", 12) == 0, "got: %s", got);
	close(fd);
	mh_http_free(s);
}

Test(engine, connection_limit_503)
{
	struct mh_http_config cfg = base_config();
	cfg.threads = 1;
	cfg.max_connections = 2;
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	int a = connect_to(port), b = connect_to(port);
	struct resp r;
	send_str(a, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert(read_response(a, &r, false));
	send_str(b, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert(read_response(b, &r, false));
	int c = connect_to(port);
	char got[4096];
	read_all(c, got, sizeof(got));
	cr_assert(strncmp(got, "HTTP/1.1 503", 12) == 0, "got: %s", got);
	cr_assert(strstr(got, "Retry-After:") != NULL);
	close(c);
	/* Closing one frees a slot. */
	close(a);
	bool ok = false;
	for (int i = 0; i < 100 && !ok; i++) {
		int d = connect_to(port);
		send_str(d, "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
		read_all(d, got, sizeof(got));
		ok = strncmp(got, "HTTP/1.1 200", 12) == 0;
		close(d);
		if (!ok)
			usleep(50 * 1000);
	}
	cr_assert(ok, "slot was not freed");
	close(b);
	mh_http_free(s);
}

Test(engine, out_of_fds_pauses_accepting_then_recovers)
{
	struct mh_http_config cfg = base_config();
	cfg.threads = 1;
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	struct rlimit old, low;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	int probe = dup(0);
	cr_assert_geq(probe, 0);
	close(probe);
	/* the client's socket takes fd `probe`; the server's accept gets EMFILE */
	low = old;
	low.rlim_cur = (rlim_t)probe + 1;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	int fd = connect_to(port);
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	double t0 = now_s();
	usleep(1000 * 1000);
	getrusage(RUSAGE_SELF, &r1);
	double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
		     (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
	double wall = now_s() - t0;
	cr_assert(setrlimit(RLIMIT_NOFILE, &old) == 0);
	/* a spinning accept loop would burn about one core for that second */
	cr_assert_lt(cpu, 0.5 * wall, "accept loop spun: %.2fs CPU in %.2fs", cpu, wall);
	struct resp r;
	cr_assert(read_response(fd, &r, false), "the waiting connection was never served");
	cr_assert_eq(r.status, 200);
	close(fd);
	mh_http_free(s);
}

/* ---- start-up errors, threads ---- */

static void expect_start_error(struct mh_http_config *cfg, const char *needle)
{
	struct mh_buf err = MH_BUF_INIT;
	struct mh_http_server *s = mh_http_start(cfg, &err);
	cr_assert_null(s, "start should fail for %s", needle);
	cr_assert(err.len > 0);
	cr_assert(strstr(mh_buf_cstr(&err), needle) != NULL, "error \"%s\" lacks \"%s\"", err.ptr, needle);
	mh_buf_free(&err);
}

Test(engine, bad_addresses_are_named)
{
	const char *bad[] = { "nonsense", "127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:", "[::1", "[::1]8080",
			      "::1:8080", "256.1.1.1:80", "127.0.0.1:80x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mh_http_config cfg = base_config();
		cfg.listen = bad[i];
		expect_start_error(&cfg, bad[i]);
	}
	struct mh_http_config cfg = base_config();
	cfg.listen = "";
	expect_start_error(&cfg, "listen");
	cfg = base_config();
	cfg.threads = 0;
	expect_start_error(&cfg, "threads");
	cfg = base_config();
	cfg.header_timeout_s = 0;
	expect_start_error(&cfg, "header_timeout");
}

Test(engine, port_in_use_is_an_error)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	/* a plain socket (no SO_REUSEPORT) holding a port makes bind fail */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(a.sin_port));
	cfg.listen = addr;
	expect_start_error(&cfg, addr);
	close(fd);
	mh_http_free(s);
}

Test(engine, address_forms_and_shared_port)
{
	struct mh_http_config cfg = base_config();
	cfg.threads = 3;
	cfg.listen = ":0";
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	for (int i = 0; i < 12; i++) {
		struct resp *r = get(port, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
		cr_assert_eq(r->status, 200);
		char v[16];
		int worker = atoi(header_value(r->head, "x-worker", v, sizeof(v)));
		cr_assert(worker >= 0 && worker < 3);
	}
	mh_http_free(s);

	/* IPv6 loopback, if this machine has it */
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool v6 = probe >= 0 && bind(probe, (struct sockaddr *)&a6, sizeof(a6)) == 0;
	if (probe >= 0)
		close(probe);
	if (v6) {
		cfg = base_config();
		cfg.listen = "[::1]:0";
		s = start(&cfg);
		int fd = socket(AF_INET6, SOCK_STREAM, 0);
		a6.sin6_port = htons((uint16_t)mh_http_port(s));
		cr_assert_eq(connect(fd, (struct sockaddr *)&a6, sizeof(a6)), 0);
		send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
		struct resp r;
		cr_assert(read_response(fd, &r, false));
		cr_assert_eq(r.status, 200);
		close(fd);
		mh_http_free(s);
	}
}

Test(engine, thread_hooks_run_per_worker)
{
	atomic_store(&hook_starts, 0);
	atomic_store(&hook_stops, 0);
	atomic_store(&hook_fail_worker, -1);
	struct mh_http_config cfg = base_config();
	cfg.threads = 3;
	cfg.thread_hook = thread_hook;
	struct mh_http_server *s = start(&cfg);
	cr_assert_eq(atomic_load(&hook_starts), 3);
	cr_assert_eq(atomic_load(&hook_stops), 0);
	mh_http_free(s);
	cr_assert_eq(atomic_load(&hook_stops), 3);

	/* a failing hook fails the start, and the others are stopped */
	atomic_store(&hook_starts, 0);
	atomic_store(&hook_stops, 0);
	atomic_store(&hook_fail_worker, 1);
	expect_start_error(&cfg, "thread");
	cr_assert_eq(atomic_load(&hook_starts), 2);
	cr_assert_eq(atomic_load(&hook_stops), 2);
	atomic_store(&hook_fail_worker, -1);
}

/* ---- graceful shutdown ---- */

struct waiter {
	struct mh_http_server *s;
	atomic_int done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	mh_http_wait(w->s);
	atomic_store(&w->done, 1);
	return NULL;
}

Test(engine, stop_finishes_in_flight_and_closes_idle)
{
	struct mh_http_config cfg = base_config();
	cfg.threads = 1;
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	/* an idle keep-alive connection */
	int idle = connect_to(port);
	struct resp r;
	send_str(idle, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert(read_response(idle, &r, false));
	/* a request in flight */
	int busy = connect_to(port);
	atomic_store(&slow_started, 0);
	send_str(busy, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
	for (int i = 0; i < 1000 && !atomic_load(&slow_started); i++)
		usleep(10 * 1000);
	cr_assert(atomic_load(&slow_started), "the slow request never reached the handler");
	struct waiter w = { s, 0 };
	pthread_t t;
	pthread_create(&t, NULL, wait_thread, &w);
	mh_http_stop(s);
	cr_assert(read_response(busy, &r, false), "in-flight request was dropped");
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "slow done");
	char got[256];
	cr_assert(closed_within(busy, 10, got, sizeof(got)));
	cr_assert(closed_within(idle, 10, got, sizeof(got)), "idle connection left open");
	pthread_join(t, NULL);
	cr_assert(atomic_load(&w.done));
	/* nobody listens any more */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	close(busy);
	close(idle);
	mh_http_free(s);
}

Test(engine, sigterm_stops_wait)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	struct waiter w = { s, 0 };
	pthread_t t;
	pthread_create(&t, NULL, wait_thread, &w);
	/* wait until mh_http_wait has installed its handler */
	for (int i = 0; i < 500; i++) {
		struct sigaction cur;
		sigaction(SIGTERM, NULL, &cur);
		if (cur.sa_handler != SIG_DFL)
			break;
		usleep(10 * 1000);
	}
	struct resp *r = get(mh_http_port(s), "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(r->status, 200);
	kill(getpid(), SIGTERM);
	double until = now_s() + 15;
	while (!atomic_load(&w.done) && now_s() < until)
		usleep(10 * 1000);
	cr_assert(atomic_load(&w.done), "SIGTERM did not stop the server");
	pthread_join(t, NULL);
	struct sigaction cur;
	sigaction(SIGTERM, NULL, &cur);
	cr_assert_eq(cur.sa_handler, SIG_DFL, "signal disposition not restored");
	mh_http_free(s);
}

/* ---- access log ---- */

Test(engine, access_log_lines)
{
	char path[] = "/tmp/mh-http-log-XXXXXX";
	int logfd = mkstemp(path);
	cr_assert_geq(logfd, 0);
	int saved = dup(STDERR_FILENO);
	dup2(logfd, STDERR_FILENO);
	struct mh_http_config cfg = base_config();
	cfg.access_log = true;
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	get(port, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	get(port, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
	get(port, "GET /shared HTTP/1.1\r\nHost: t\r\n\r\n");
	get(port, "GET /nope%0a\xc3\xa9 HTTP/1.1\r\nHost: t\r\n\r\n");
	mh_http_free(s);
	dup2(saved, STDERR_FILENO);
	close(saved);
	struct mh_buf log = MH_BUF_INIT;
	cr_assert(mh_file_read(path, &log));
	const char *t = mh_buf_cstr(&log);
	cr_assert(strstr(t, "GET /hello 200 11 ") != NULL, "log: %s", t);
	cr_assert(strstr(t, "GET /echo 200 ") != NULL && strstr(t, "us miss") != NULL, "log: %s", t);
	cr_assert(strstr(t, "GET /shared 200 12 ") != NULL && strstr(t, "us hit") != NULL, "log: %s", t);
	cr_assert(strstr(t, "us -\n") != NULL, "log: %s", t);
	cr_assert(strstr(t, "GET /nope%0a\\xc3\\xa9 404 ") != NULL, "log: %s", t);
	mh_buf_free(&log);
	close(logfd);
	unlink(path);
}

/* ---- TLS and HTTP/2 (through curl) ---- */

static char tls_dir[64];

/* A throw-away self-signed certificate (P-256), made with OpenSSL's API so
 * the test needs no openssl command. */
static bool make_cert(void)
{
	strcpy(tls_dir, "/tmp/mh-http-tls-XXXXXX");
	cr_assert_not_null(mkdtemp(tls_dir));
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	if (key == NULL || x == NULL)
		return false;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 2 * 86400);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	bool ok = X509_sign(x, key, EVP_sha256()) > 0;
	char path[128];
	snprintf(path, sizeof(path), "%s/key.pem", tls_dir);
	FILE *f = fopen(path, "w");
	ok = ok && f != NULL && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/cert.pem", tls_dir);
	f = fopen(path, "w");
	ok = ok && f != NULL && PEM_write_X509(f, x) == 1;
	if (f)
		fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
	return ok;
}

static void remove_cert(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
	cr_assert_eq(system(cmd), 0);
}

/* Runs curl; returns its stdout (body followed by the -w output). */
static char *curl(const char *args)
{
	static char out[8192];
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "curl -sS --max-time 20 %s 2>&1", args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

Test(engine, tls_http1_and_http2_off)
{
	cr_assert(make_cert(), "could not make a certificate");
	char cert[128], key[128];
	snprintf(cert, sizeof(cert), "%s/cert.pem", tls_dir);
	snprintf(key, sizeof(key), "%s/key.pem", tls_dir);
	struct mh_http_config cfg = base_config();
	cfg.tls_cert = cert;
	cfg.tls_key = key;
	cfg.header_timeout_s = 2;
	struct mh_http_server *s = start(&cfg);
	char args[256];
	snprintf(args, sizeof(args), "-k --http1.1 -w ' %%{http_version}' https://127.0.0.1:%d/hello", mh_http_port(s));
	cr_assert_str_eq(curl(args), "hello world 1.1");
	/* h2 asked for, but http2 is off: ALPN does not pick it */
	snprintf(args, sizeof(args), "-k --http2 -w ' %%{http_version}' https://127.0.0.1:%d/hello", mh_http_port(s));
	cr_assert_str_eq(curl(args), "hello world 1.1");
	/* a slow request over TLS gets its 408 too (encrypted) */
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(cctx);
	int tfd = connect_to(mh_http_port(s));
	SSL_set_fd(ssl, tfd);
	cr_assert_eq(SSL_connect(ssl), 1, "TLS handshake failed");
	const char partial[] = "GET /hello HTTP/1.1\r\n";
	cr_assert_eq(SSL_write(ssl, partial, (int)strlen(partial)), (int)strlen(partial));
	char out[1024];
	size_t n = 0;
	for (;;) {
		int r = SSL_read(ssl, out + n, (int)(sizeof(out) - 1 - n));
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	out[n] = '\0';
	cr_assert(strncmp(out, "HTTP/1.1 408 Request Timeout", 28) == 0, "got: %s", out);
	SSL_free(ssl);
	SSL_CTX_free(cctx);
	close(tfd);
	/* plaintext on the TLS port is not served */
	int fd = connect_to(mh_http_port(s));
	send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	char got[1024];
	read_all(fd, got, sizeof(got));
	cr_assert(strstr(got, "hello world") == NULL);
	close(fd);
	mh_http_free(s);
	remove_cert();
}

Test(engine, tls_http2_on)
{
	cr_assert(make_cert(), "could not make a certificate");
	char cert[128], key[128];
	snprintf(cert, sizeof(cert), "%s/cert.pem", tls_dir);
	snprintf(key, sizeof(key), "%s/key.pem", tls_dir);
	struct mh_http_config cfg = base_config();
	cfg.tls_cert = cert;
	cfg.tls_key = key;
	cfg.http2 = true;
	struct mh_http_server *s = start(&cfg);
	char args[256];
	snprintf(args, sizeof(args), "-k --http2 -w ' %%{http_version}' https://127.0.0.1:%d/hello", mh_http_port(s));
	cr_assert_str_eq(curl(args), "hello world 2");
	snprintf(args, sizeof(args), "-k --http2 -I -w '%%{http_version}' https://127.0.0.1:%d/hello",
		 mh_http_port(s));
	char *head = curl(args);
	cr_assert(strstr(head, "content-length: 11") != NULL, "%s", head);
	cr_assert(strstr(head, "x-worker:") != NULL, "%s", head);
	snprintf(args, sizeof(args), "-k --http1.1 -w ' %%{http_version}' https://127.0.0.1:%d/hello",
		 mh_http_port(s));
	cr_assert_str_eq(curl(args), "hello world 1.1");
	mh_http_free(s);
	remove_cert();
}

Test(engine, h2c_only_when_enabled)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	char args[256];
	snprintf(args, sizeof(args), "--http2 -w ' %%{http_version}' http://127.0.0.1:%d/hello", mh_http_port(s));
	cr_assert_str_eq(curl(args), "hello world 1.1");
	snprintf(args, sizeof(args), "--http2-prior-knowledge -w ' %%{http_version}' http://127.0.0.1:%d/hello",
		 mh_http_port(s));
	cr_assert(strstr(curl(args), "hello world 2") == NULL);
	mh_http_free(s);

	cfg.http2 = true;
	s = start(&cfg);
	snprintf(args, sizeof(args), "--http2 -w ' %%{http_version}' http://127.0.0.1:%d/hello", mh_http_port(s));
	cr_assert_str_eq(curl(args), "hello world 2");
	snprintf(args, sizeof(args), "--http2-prior-knowledge -w ' %%{http_version}' 'http://127.0.0.1:%d/echo?x=h2'",
		 mh_http_port(s));
	char *out = curl(args);
	cr_assert(strncmp(out, "q=h2 ", 5) == 0 && strstr(out, " 2") != NULL, "%s", out);
	mh_http_free(s);

	/* An h2c connection busy for longer than header_timeout is not cut
	 * by the HTTP/1 header timer (the second request reuses it). */
	cfg.header_timeout_s = 1;
	cfg.threads = 1;
	s = start(&cfg);
	/* (Upgrade, not prior knowledge: Debian's curl 7.88 cannot reuse a
	 * prior-knowledge connection for a second URL, whatever the server.) */
	snprintf(args, sizeof(args),
		 "--http2 -w ' %%{http_version}/%%{num_connects};' http://127.0.0.1:%d/slow http://127.0.0.1:%d/slow",
		 mh_http_port(s), mh_http_port(s));
	cr_assert_str_eq(curl(args), "slow done 2/1;slow done 2/0;");
	mh_http_free(s);
}

/* Sends a GET for "/" on an HTTP/2 stream (HPACK static-table entries only). */
static void h2_get(int fd, uint8_t stream)
{
	const uint8_t frame[] = { 0, 0, 3, 1, 0x05, 0, 0, 0, stream, 0x82, 0x86, 0x84 };
	cr_assert_eq(send(fd, frame, sizeof(frame), MSG_NOSIGNAL), (ssize_t)sizeof(frame));
}

/* Reads frames until a HEADERS frame for `stream`; false on EOF/timeout. */
static bool h2_wait_headers(int fd, uint8_t stream)
{
	uint8_t h[9], payload[16384];
	for (;;) {
		size_t got = 0;
		while (got < 9) {
			ssize_t r = recv(fd, h + got, 9 - got, 0);
			if (r <= 0)
				return false;
			got += (size_t)r;
		}
		size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
		cr_assert_leq(len, sizeof(payload));
		for (got = 0; got < len;) {
			ssize_t r = recv(fd, payload + got, len - got, 0);
			if (r <= 0)
				return false;
			got += (size_t)r;
		}
		if (h[3] == 1 && h[8] == stream && h[5] == 0 && h[6] == 0 && h[7] == 0)
			return true;
	}
}

Test(engine, h2c_connection_lives_past_header_timeout)
{
	struct mh_http_config cfg = base_config();
	cfg.http2 = true;
	cfg.header_timeout_s = 1;
	cfg.idle_timeout_s = 30;
	struct mh_http_server *s = start(&cfg);
	int fd = connect_to(mh_http_port(s));
	send_str(fd, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
	const uint8_t settings[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
	cr_assert_eq(send(fd, settings, sizeof(settings), 0), (ssize_t)sizeof(settings));
	h2_get(fd, 1);
	cr_assert(h2_wait_headers(fd, 1), "no HTTP/2 response");
	/* idle for longer than header_timeout: HTTP/2 is governed by idle_timeout */
	char got[64];
	cr_assert_not(closed_within(fd, 2.5, got, sizeof(got)), "h2c connection cut by the header timer");
	h2_get(fd, 3);
	cr_assert(h2_wait_headers(fd, 3), "second stream not answered");
	/* graceful stop closes the idle HTTP/2 connection (GOAWAY, then close) */
	double t0 = now_s();
	mh_http_stop(s);
	mh_http_wait(s);
	cr_assert(closed_within(fd, 10, got, sizeof(got)), "idle HTTP/2 connection left open");
	cr_assert_lt(now_s() - t0, 20.0);
	close(fd);
	mh_http_free(s);
}

Test(engine, http1_keepalive_outlives_header_timeout)
{
	struct mh_http_config cfg = base_config();
	cfg.header_timeout_s = 1;
	cfg.threads = 1;
	struct mh_http_server *s = start(&cfg);
	char args[256];
	snprintf(args, sizeof(args), "-w ' %%{num_connects};' http://127.0.0.1:%d/slow http://127.0.0.1:%d/slow",
		 mh_http_port(s), mh_http_port(s));
	cr_assert_str_eq(curl(args), "slow done 1;slow done 0;");
	mh_http_free(s);
}

Test(engine, tls_bad_files_are_named)
{
	cr_assert(make_cert());
	char cert[128], key[128], junk[128];
	snprintf(cert, sizeof(cert), "%s/cert.pem", tls_dir);
	snprintf(key, sizeof(key), "%s/key.pem", tls_dir);
	snprintf(junk, sizeof(junk), "%s/junk.pem", tls_dir);
	FILE *f = fopen(junk, "w");
	fputs("not a certificate\n", f);
	fclose(f);

	struct mh_http_config cfg = base_config();
	cfg.tls_cert = "/nonexistent/cert.pem";
	cfg.tls_key = key;
	expect_start_error(&cfg, "/nonexistent/cert.pem");
	cfg.tls_cert = cert;
	cfg.tls_key = "/nonexistent/key.pem";
	expect_start_error(&cfg, "/nonexistent/key.pem");
	cfg.tls_cert = junk;
	cfg.tls_key = key;
	expect_start_error(&cfg, junk);
	cfg.tls_cert = cert;
	cfg.tls_key = junk;
	expect_start_error(&cfg, junk);
	cfg.tls_cert = cert;
	cfg.tls_key = NULL;
	expect_start_error(&cfg, "tls_key");
	remove_cert();
}

/* ---- what every answer carries ---- */

static bool has_header(const char *head, const char *name, const char *value)
{
	char v[512];
	return header_value(head, name, v, sizeof(v)) != NULL && (value == NULL || strcmp(v, value) == 0);
}

Test(engine, error_answers_lose_validators_and_are_no_store)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	struct resp *r = get(mh_http_port(s), "GET /fail HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(r->status, 500);
	cr_assert_not(has_header(r->head, "etag", NULL), "%s", r->head);
	cr_assert_not(has_header(r->head, "last-modified", NULL), "%s", r->head);
	cr_assert(has_header(r->head, "cache-control", "no-store"), "%s", r->head);
	const char *first = strcasestr(r->head, "\r\ncache-control:");
	cr_assert(first != NULL && strcasestr(first + 2, "\r\ncache-control:") == NULL, "one Cache-Control: %s",
		  r->head);
	r = get(mh_http_port(s), "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(r->status, 404);
	cr_assert(has_header(r->head, "cache-control", "no-store"), "%s", r->head);
	mh_http_free(s);
}

Test(engine, security_headers_on_every_answer)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	const char *reqs[] = { "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n",
			       "GET /notmodified HTTP/1.1\r\nHost: t\r\n\r\n", "GET /shared HTTP/1.1\r\nHost: t\r\n\r\n",
			       "GET /hello HTTP/1.1\r\n\r\n" };
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct resp *r = get(mh_http_port(s), reqs[i]);
		cr_assert(has_header(r->head, "x-content-type-options", "nosniff"), "%s", r->head);
		cr_assert(has_header(r->head, "referrer-policy", "strict-origin-when-cross-origin"), "%s", r->head);
	}
	mh_http_free(s);
}

Test(engine, http11_without_host_is_400)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	cr_assert_eq(get(port, "GET /hello HTTP/1.1\r\n\r\n")->status, 400);
	cr_assert_eq(get(port, "GET /hello HTTP/1.1\r\nHost:\r\n\r\n")->status, 400);
	cr_assert_eq(get(port, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")->status, 200);
	cr_assert_eq(get(port, "GET /hello HTTP/1.0\r\n\r\n")->status, 200, "HTTP/1.0 needs no Host");
	mh_http_free(s);
}

Test(engine, framing_conflicts_and_odd_targets_are_400)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	int port = mh_http_port(s);
	cr_assert_eq(get(port, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
			       "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")->status, 400);
	cr_assert_eq(get(port, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
			     ->status,
		     400);
	cr_assert_eq(get(port, "GET hello HTTP/1.1\r\nHost: t\r\n\r\n")->status, 400);
	struct resp *r = get(port, "GET http://example.org/hello HTTP/1.1\r\nHost: example.org\r\n\r\n");
	cr_assert_eq(r->status, 200, "absolute-form: %s", r->head);
	cr_assert_str_eq(r->body, "hello world");
	r = get(port, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
	cr_assert_eq(r->status, 200, "one Content-Length is fine");
	cr_assert_str_eq(r->body, "abc");
	mh_http_free(s);
}

static char *slurp_self(size_t *n)
{
	FILE *f = fopen(__FILE__, "rb");
	cr_assert_not_null(f);
	static char buf[1 << 17];
	*n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

Test(engine, file_streamed_from_offset_and_head_has_length_only)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	size_t n;
	char *want = slurp_self(&n);
	cr_assert_gt(n, 3);
	cr_assert_lt(n, (size_t)1 << 17, "the whole file was read");
	/* read it whole on a raw socket */
	int fd = connect_to(mh_http_port(s));
	send_str(fd, "GET /file HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	static char all[1 << 18];
	size_t got = read_all(fd, all, sizeof(all));
	close(fd);
	char *body = memmem(all, got, "\r\n\r\n", 4);
	cr_assert_not_null(body);
	body += 4;
	cr_assert_eq((size_t)(all + got - body), n - 3, "body length");
	cr_assert(memcmp(body, want + 3, n - 3) == 0, "body bytes");
	cr_assert(has_header(all, "etag", "\"f1\""));
	/* HEAD: the length, no body */
	fd = connect_to(mh_http_port(s));
	send_str(fd, "HEAD /file HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	got = read_all(fd, all, sizeof(all));
	close(fd);
	char cl[32];
	cr_assert_not_null(header_value(all, "content-length", cl, sizeof(cl)));
	cr_assert_eq(strtoull(cl, NULL, 10), n - 3);
	cr_assert_eq(strstr(all, "\r\n\r\n") + 4, all + got, "a HEAD body");
	mh_http_free(s);
}

Test(engine, unreadable_file_is_500_without_validators)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	struct resp *r = get(mh_http_port(s), "GET /unreadable HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(r->status, 500, "%s", r->head);
	cr_assert_not(has_header(r->head, "etag", NULL), "%s", r->head);
	cr_assert(has_header(r->head, "cache-control", "no-store"), "%s", r->head);
	cr_assert_not_null(strstr(r->body, "could not be read"));
	mh_http_free(s);
}

/* A SIGTERM as soon as the port answers (before mh_http_wait, while the
 * caller still sets other things up) is a graceful stop: the default
 * action would end the process, and this test with it. Once the server is
 * gone, the signals' earlier actions are back. */
Test(engine, sigterm_between_start_and_wait_stops_gracefully)
{
	struct mh_http_config cfg = base_config();
	struct mh_http_server *s = start(&cfg);
	struct resp *r = get(mh_http_port(s), "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(r->status, 200, "the port answers");
	cr_assert_eq(raise(SIGTERM), 0);
	mh_http_wait(s); /* returns: the signal asked for the stop */
	mh_http_free(s);
	struct sigaction now;
	cr_assert_eq(sigaction(SIGTERM, NULL, &now), 0);
	cr_assert(now.sa_handler == SIG_DFL, "SIGTERM's default action is back");
}
