/*
 * http/request.c: turns an h2o request into a struct mh_request, calls the
 * handler, and sends what it answers. Also the request accessors and the
 * access log.
 *
 * Memory per request: one h2o shared allocation (struct reqstate, linked to
 * req->pool so its dispose callback runs when h2o is done with the request)
 * and the request's arena — the worker's kept one, reset and reused, unless
 * another request of the worker holds it (HTTP/2, a response still going
 * out), then a new one. Everything else — header copies, the response
 * body copy — comes from h2o's per-request pool.
 */
#include "http/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct reqstate {
	struct mh_request req; /* what the handler sees */
	h2o_req_t *h2o;
	struct mh_conn *conn; /* HTTP/1 only */
	struct mh_worker *w;
	int64_t start_us;
	bool responded;
	void (*release)(void *);
	void *release_arg;
};

static h2o_generator_t no_generator = { NULL, NULL };

static struct reqstate *state_of(struct mh_request *req)
{
	return req->impl;
}

static struct mh_str str_of(h2o_iovec_t v)
{
	return (struct mh_str){ v.base != NULL ? v.base : "", v.len };
}

static void log_access(struct reqstate *st)
{
	h2o_req_t *r = st->h2o;
	struct mh_worker *w = st->w;
	struct mh_log_access a = {
		.method = st->req.method,
		.path = st->req.path,
		.status = r->res.status,
		.bytes = r->bytes_sent,
		.duration_us = mh_time_now_us() - st->start_us,
		.cache = st->req.cache_hit ? "hit" : st->req.cache_miss ? "miss" : "-",
	};
	if (mh_log_access(&w->log, &a) && w->log.b.len > 0 && !h2o_timeout_is_linked(&w->log_flush_entry))
		h2o_timeout_link(w->loop, &w->log_flush_timeout, &w->log_flush_entry);
}

void mh_http__log_flush(h2o_timeout_entry_t *entry)
{
	struct mh_worker *w = H2O_STRUCT_FROM_MEMBER(struct mh_worker, log_flush_entry, entry);
	mh_log_buf_flush(&w->log);
}

/* Runs when h2o clears the request's pool: the response has been sent (or
 * the connection died). Releases what the request held. */
static void on_request_disposed(void *p)
{
	struct reqstate *st = p;
	if (st->w->server->cfg.access_log && st->responded)
		log_access(st);
	if (st->w->arena_spare == NULL) {
		mh_arena_reset(st->req.arena); /* runs its destructors now, as a free would */
		st->w->arena_spare = st->req.arena;
	} else {
		mh_arena_free(st->req.arena);
	}
	if (st->release != NULL)
		st->release(st->release_arg);
	if (st->conn != NULL)
		mh_http__conn_request_done(st->conn, st->h2o->http1_is_persistent);
}

/* Request line + header bytes as they arrived, give or take separators. */
static size_t header_bytes(h2o_req_t *r)
{
	size_t n = r->input.method.len + r->input.path.len + 12 + r->input.authority.len + 8;
	for (size_t i = 0; i < r->headers.size; i++)
		n += r->headers.entries[i].name->len + r->headers.entries[i].value.len + 4;
	return n;
}

/* An absolute-form target ("http://host/path", RFC 9112 3.2.2, which a
 * server must accept): how many bytes precede its path. 0 for a path. */
static size_t absolute_form_skip(struct mh_str p)
{
	size_t i = 0;
	if (p.len >= 7 && strncasecmp(p.ptr, "http://", 7) == 0)
		i = 7;
	else if (p.len >= 8 && strncasecmp(p.ptr, "https://", 8) == 0)
		i = 8;
	else
		return 0;
	while (i < p.len && p.ptr[i] != '/')
		i++;
	return i;
}

/* What RFC 9112 makes a 400 that h2o 2.2.5 lets through: both
 * Content-Length and Transfer-Encoding (a request-smuggling attempt: 6.3),
 * several Content-Length fields, or a request-target that is neither a path
 * nor "*" for OPTIONS (3.2). NULL if the request is fine. */
static const char *request_framing_problem(h2o_req_t *r, struct mh_conn *c)
{
	/* h2o has consumed the framing fields by now, but the request's raw
	 * head is still at the start of the connection's input buffer. */
	if (c != NULL && c->sock->input->size > 0) {
		unsigned cl, te;
		mh_http_head_framing((struct mh_str){ c->sock->input->bytes, c->sock->input->size }, &cl, &te);
		if (cl > 0 && te > 0)
			return "A request may not carry both Content-Length and Transfer-Encoding.";
		if (cl > 1)
			return "A request may carry only one Content-Length.";
	}
	h2o_iovec_t p = r->input.path;
	bool asterisk = p.len == 1 && p.base[0] == '*' && h2o_memis(r->method.base, r->method.len, H2O_STRLIT("OPTIONS"));
	size_t origin = p.len > 0 ? absolute_form_skip((struct mh_str){ p.base, p.len }) : 0;
	if (p.len == 0 || (p.base[0] != '/' && !asterisk && (origin == 0 || origin == p.len || p.base[origin] != '/')))
		return "The request target must be a path starting with \"/\" (or an absolute http URL).";
	return NULL;
}

int mh_http__on_req(h2o_handler_t *self, h2o_req_t *r)
{
	(void)self;
	struct mh_worker *w = H2O_STRUCT_FROM_MEMBER(struct mh_worker, ctx, r->conn->ctx);
	const struct mh_http_config *cfg = &w->server->cfg;
	struct reqstate *st = h2o_mem_alloc_shared(&r->pool, sizeof(*st), on_request_disposed);
	memset(st, 0, sizeof(*st));
	st->h2o = r;
	st->w = w;
	st->start_us = mh_time_now_us();
	struct mh_conn *c = mh_http__conn_of(r);
	if (c != NULL && r->version >= 0x200) {
		mh_http__conn_is_h2(c);
	} else if (c != NULL) {
		st->conn = c;
		mh_http__conn_request_started(c);
	}

	struct mh_request *req = &st->req;
	/* the worker's kept arena when no other request holds it */
	req->arena = w->arena_spare != NULL ? w->arena_spare : mh_arena_new();
	w->arena_spare = NULL;
	req->impl = st;
	req->worker = w->index;
	req->method = str_of(r->method);
	size_t path_len = r->query_at != SIZE_MAX ? r->query_at : r->path.len;
	req->path = (struct mh_str){ r->path.base != NULL ? r->path.base : "", path_len };
	size_t origin = absolute_form_skip(req->path);
	req->path.ptr += origin;
	req->path.len -= origin;
	if (r->query_at != SIZE_MAX)
		req->query = (struct mh_str){ r->path.base + r->query_at + 1, r->path.len - r->query_at - 1 };
	else
		req->query = MH_STR("");
	req->body = str_of(r->entity);
	req->is_head = h2o_memis(r->method.base, r->method.len, H2O_STRLIT("HEAD"));

	if (header_bytes(r) > cfg->max_header_bytes) {
		r->http1_is_persistent = 0;
		mh_response_error(req, 431, "The request's header fields are too large.");
		return 0;
	}
	/* RFC 9112 3.2: an HTTP/1.1 request without Host is a 400. h2o fills a
	 * missing Host in with the host entry's own name (that very pointer),
	 * so that is how a missing one shows. */
	const h2o_hostconf_t *hc = w->server->globalconf.hosts[0];
	if (r->version == 0x101 && (r->input.authority.len == 0 || r->input.authority.base == hc->authority.hostport.base ||
				    h2o_find_header(&r->headers, H2O_TOKEN_HOST, -1) >= 0)) {
		r->http1_is_persistent = 0;
		mh_response_error(req, 400, "An HTTP/1.1 request needs a Host header.");
		return 0;
	}
	if (r->version < 0x200) {
		const char *bad = request_framing_problem(r, c);
		if (bad != NULL) {
			r->http1_is_persistent = 0;
			mh_response_error(req, 400, bad);
			return 0;
		}
	}
	cfg->handler(req, cfg->ctx);
	/* The contract: every request is answered exactly once, synchronously. */
	MH_ASSERT(st->responded);
	return 0;
}

/* ---- accessors ---- */

bool mh_request_peer(struct mh_request *req, struct sockaddr_storage *out)
{
	h2o_req_t *r = state_of(req)->h2o;
	memset(out, 0, sizeof(*out));
	if (r->conn == NULL || r->conn->callbacks->get_peername == NULL)
		return false;
	return r->conn->callbacks->get_peername(r->conn, (struct sockaddr *)out) > 0;
}

struct mh_str mh_request_header(struct mh_request *req, const char *lname)
{
	h2o_req_t *r = state_of(req)->h2o;
	size_t n = strlen(lname);
	/* h2o keeps Host apart from the other headers. */
	if (n == 4 && memcmp(lname, "host", 4) == 0)
		return r->input.authority.base != NULL ? str_of(r->input.authority) : MH_STR_NULL;
	const h2o_token_t *tok = h2o_lookup_token(lname, n);
	ssize_t i = tok != NULL ? h2o_find_header(&r->headers, tok, -1)
				: h2o_find_header_by_str(&r->headers, lname, n, -1);
	if (i < 0)
		return MH_STR_NULL;
	return str_of(r->headers.entries[i].value);
}

struct lookup {
	const char *name;
	size_t len;
	struct mh_str *out;
	bool found;
};

static bool lookup_cb(struct mh_str name, struct mh_str value, void *arg)
{
	struct lookup *l = arg;
	if (name.len == l->len && memcmp(name.ptr, l->name, l->len) == 0) {
		*l->out = value;
		l->found = true;
		return false;
	}
	return true;
}

bool mh_request_query(struct mh_request *req, const char *name, struct mh_str *out)
{
	struct lookup l = { name, strlen(name), out, false };
	mh_http_parse_urlencoded(req->arena, req->query, lookup_cb, &l);
	return l.found;
}

/* The parts a multipart form may have for mh_request_form to read it. */
#define FORM_MAX_PARTS 64

bool mh_request_form(struct mh_request *req, const char *name, struct mh_str *out)
{
	struct mh_str ct = mh_request_header(req, "content-type");
	struct mh_str boundary;
	if (ct.ptr != NULL && mh_http_multipart_boundary(req->arena, ct, &boundary)) {
		/* a form that uploads a file carries its other fields (the CSRF
		 * token among them) as parts without a filename; a body that does
		 * not parse has none */
		struct mh_http_part *parts = NULL;
		size_t n = 0;
		const char *why = NULL;
		if (!mh_http_parse_multipart(req->arena, boundary, req->body, FORM_MAX_PARTS, &parts, &n, &why))
			return false;
		for (size_t i = 0; i < n; i++) {
			if (!parts[i].has_filename && mh_str_eq_c(parts[i].name, name)) {
				*out = parts[i].data;
				return true;
			}
		}
		return false;
	}
	static const char form[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(form) - 1;
	if (ct.len < n || !mh_str_case_eq_c((struct mh_str){ ct.ptr, n }, form) ||
	    (ct.len > n && ct.ptr[n] != ';' && ct.ptr[n] != ' ' && ct.ptr[n] != '\t'))
		return false;
	struct lookup l = { name, strlen(name), out, false };
	mh_http_parse_urlencoded(req->arena, req->body, lookup_cb, &l);
	return l.found;
}

bool mh_request_cookie(struct mh_request *req, const char *name, struct mh_str *out)
{
	h2o_req_t *r = state_of(req)->h2o;
	struct lookup l = { name, strlen(name), out, false };
	/* HTTP/2 clients may split cookies over several header fields. */
	for (ssize_t i = -1; (i = h2o_find_header(&r->headers, H2O_TOKEN_COOKIE, i)) >= 0;) {
		mh_http_parse_cookies(req->arena, str_of(r->headers.entries[i].value), lookup_cb, &l);
		if (l.found)
			return true;
	}
	return false;
}

/* ---- responses ---- */

static bool is_framing_header(const char *lname)
{
	return strcmp(lname, "content-length") == 0 || strcmp(lname, "transfer-encoding") == 0 ||
	       strcmp(lname, "connection") == 0 || strcmp(lname, "date") == 0;
}

/* A copy of s in the request pool with CR, LF and NUL turned into spaces, so
 * that no value can split or end the header block. */
static h2o_iovec_t pool_value(h2o_req_t *r, struct mh_str s)
{
	char *d = h2o_mem_alloc_pool(&r->pool, s.len + 1);
	if (s.len > 0)
		memcpy(d, s.ptr, s.len);
	d[s.len] = '\0';
	/* copied whole, then the rare bad byte found with memchr (vectorised
	 * in libc): every answer carries several long values (the CSP) */
	static const char bad[3] = { '\r', '\n', '\0' };
	for (int k = 0; k < 3; k++)
		for (char *p = memchr(d, bad[k], s.len); p != NULL; p = memchr(p + 1, bad[k], s.len - (size_t)(p + 1 - d)))
			*p = ' ';
	return h2o_iovec_init(d, s.len);
}

void mh_response_header(struct mh_request *req, const char *name, struct mh_str value)
{
	struct reqstate *st = state_of(req);
	h2o_req_t *r = st->h2o;
	MH_ASSERT(!st->responded);
	size_t n = strlen(name);
	MH_ASSERT(n > 0);
	/* A name h2o knows, written in lower case (what the pages send on
	 * every answer: etag, vary, cache-control, content-encoding...): its
	 * static token, nothing copied. */
	const h2o_token_t *tok = h2o_lookup_token(name, n);
	if (tok != NULL) {
		MH_ASSERT(!is_framing_header(name));
		h2o_iovec_t v = pool_value(r, value);
		h2o_add_header(&r->pool, &r->res.headers, tok, NULL, v.base, v.len);
		return;
	}
	/* Lower-case (HTTP/2 requires it) so that known names become tokens. */
	char *lname = h2o_mem_alloc_pool(&r->pool, n + 1);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		MH_ASSERT(c > ' ' && c < 0x7f && c != ':');
		lname[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	lname[n] = '\0';
	/* The engine owns framing; a handler setting these is a bug. */
	MH_ASSERT(!is_framing_header(lname));
	h2o_iovec_t v = pool_value(r, value);
	h2o_add_header_by_str(&r->pool, &r->res.headers, lname, n, 1, NULL, v.base, v.len);
}

void mh_response_header_c(struct mh_request *req, const char *name, const char *value)
{
	mh_response_header(req, name, mh_str_c(value));
}

static void delete_all(h2o_headers_t *headers, const h2o_token_t *tok)
{
	ssize_t i;
	while ((i = h2o_find_header(headers, tok, -1)) >= 0)
		h2o_delete_header(headers, i);
}

/* What every answer carries, whatever the handler set: the two security
 * headers, and for an error (4xx/5xx) no validator and no lifetime but
 * "no-store", so that no cache in between keeps an error or answers a
 * later If-None-Match for it with 304. */
static void start_head(struct reqstate *st, int status, const char *content_type, size_t body_len)
{
	h2o_req_t *r = st->h2o;
	MH_ASSERT(!st->responded);
	MH_ASSERT(status >= 200 && status <= 999);
	st->responded = true;
	const struct mh_http_config *cfg = &st->w->server->cfg;
	if (cfg->on_response != NULL)
		/* counted before a byte goes out: a client that has its answer
		 * finds it counted (metrics) */
		cfg->on_response(&st->req, status, body_len, mh_time_now_us() - st->start_us, cfg->ctx);
	r->res.status = status;
	r->res.reason = mh_http_reason(status);
	if (content_type != NULL) {
		h2o_iovec_t v = pool_value(r, mh_str_c(content_type));
		h2o_add_header(&r->pool, &r->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, v.base, v.len);
	}
	if (status >= 400) {
		delete_all(&r->res.headers, H2O_TOKEN_ETAG);
		delete_all(&r->res.headers, H2O_TOKEN_LAST_MODIFIED);
		delete_all(&r->res.headers, H2O_TOKEN_CACHE_CONTROL);
		delete_all(&r->res.headers, H2O_TOKEN_EXPIRES);
		h2o_add_header(&r->pool, &r->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
	}
	h2o_add_header_by_str(&r->pool, &r->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
			      H2O_STRLIT("nosniff"));
	h2o_add_header_by_str(&r->pool, &r->res.headers, H2O_STRLIT("referrer-policy"), 0, NULL,
			      H2O_STRLIT("strict-origin-when-cross-origin"));
}

static void send_body(struct reqstate *st, int status, const char *content_type, h2o_iovec_t body)
{
	h2o_req_t *r = st->h2o;
	start_head(st, status, content_type, body.len);
	bool bodyless = status == 204 || status == 304;
	r->res.content_length = bodyless ? SIZE_MAX : body.len;
	h2o_start_response(r, &no_generator);
	if (bodyless || st->req.is_head || body.len == 0)
		h2o_send(r, NULL, 0, H2O_SEND_STATE_FINAL);
	else
		h2o_send(r, &body, 1, H2O_SEND_STATE_FINAL);
}

void mh_response_send(struct mh_request *req, int status, const char *content_type, struct mh_str body)
{
	struct reqstate *st = state_of(req);
	h2o_iovec_t b = { NULL, 0 };
	if (body.len > 0 && !req->is_head) {
		b.base = h2o_mem_alloc_pool(&st->h2o->pool, body.len);
		memcpy(b.base, body.ptr, body.len);
	}
	b.len = body.len;
	send_body(st, status, content_type, b);
}

void mh_response_send_shared(struct mh_request *req, int status, const char *content_type, struct mh_str body,
			     void (*release)(void *), void *arg)
{
	struct reqstate *st = state_of(req);
	/* Released from on_request_disposed, once h2o no longer needs the bytes. */
	st->release = release;
	st->release_arg = arg;
	send_body(st, status, content_type, h2o_iovec_init(body.ptr, body.len));
}

/* ---- files ---- */

/* A file streamed in chunks: h2o pulls the next one (proceed) once the
 * previous has been written to the socket, so a response holds one chunk of
 * memory however large the file and however slow the client. The pread of
 * one chunk is the only disk access on the event loop; a regular file's
 * pages mostly come from the page cache, and a chunk bounds the wait. */
#define FILE_CHUNK (16 * 1024)

struct file_gen {
	h2o_generator_t super; /* first: h2o hands us back this pointer */
	int fd;
	uint64_t off, left;
	size_t got; /* bytes of buf read ahead and not yet sent */
	char *buf;
};

static void file_gen_dispose(void *p)
{
	struct file_gen *g = p;
	if (g->fd >= 0)
		close(g->fd);
	free(g->buf);
}

/* Reads the next chunk into buf; false on an error or a file that shrank. */
static bool file_read(struct file_gen *g)
{
	size_t want = g->left < FILE_CHUNK ? (size_t)g->left : FILE_CHUNK;
	size_t got = 0;
	while (got < want) {
		ssize_t n = pread(g->fd, g->buf + got, want - got, (off_t)(g->off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	g->got = got;
	return true;
}

static void file_proceed(h2o_generator_t *self, h2o_req_t *r)
{
	struct file_gen *g = (struct file_gen *)self;
	if (g->got == 0 && !file_read(g)) {
		/* the head is out: all we can do is cut the response short */
		h2o_send(r, NULL, 0, H2O_SEND_STATE_ERROR);
		return;
	}
	h2o_iovec_t v = h2o_iovec_init(g->buf, g->got);
	g->off += g->got;
	g->left -= g->got;
	g->got = 0;
	h2o_send(r, &v, 1, g->left == 0 ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void file_stop(h2o_generator_t *self, h2o_req_t *r)
{
	(void)self;
	(void)r; /* the pool's dispose closes the file */
}

void mh_response_send_file(struct mh_request *req, int status, const char *content_type, int fd, uint64_t offset,
			   uint64_t len)
{
	struct reqstate *st = state_of(req);
	h2o_req_t *r = st->h2o;
	struct file_gen *g = h2o_mem_alloc_shared(&r->pool, sizeof(*g), file_gen_dispose);
	memset(g, 0, sizeof(*g));
	g->super.proceed = file_proceed;
	g->super.stop = file_stop;
	g->fd = fd;
	g->off = offset;
	g->left = len;
	if (!req->is_head && len > 0) {
		g->buf = malloc(FILE_CHUNK);
		MH_ASSERT(g->buf != NULL);
		/* The first chunk before the head, so that a file that cannot be
		 * read gets a 500 rather than a cut-off 200. */
		if (!file_read(g)) {
			mh_log(MH_LOG_ERROR, "http: reading a file to send: %s", strerror(errno ? errno : EIO));
			r->http1_is_persistent = 0;
			mh_response_error(req, 500, "The file could not be read.");
			return;
		}
	}
	start_head(st, status, content_type, (size_t)len);
	r->res.content_length = len;
	if (req->is_head || len == 0) {
		h2o_start_response(r, &no_generator);
		h2o_send(r, NULL, 0, H2O_SEND_STATE_FINAL);
		return;
	}
	h2o_start_response(r, &g->super);
	file_proceed(&g->super, r);
}

void mh_response_error(struct mh_request *req, int status, const char *message)
{
	const char *reason = mh_http_reason(status);
	char *text = mh_arena_printf(req->arena, "%d %s\n\n%s\n", status, reason, message ? message : "");
	mh_response_send(req, status, "text/plain; charset=utf-8", mh_str_c(text));
}
