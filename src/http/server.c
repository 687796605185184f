/*
 * http/server.c: listeners, one libh2o event loop per worker thread, the
 * connections they accept, the limits that apply to a connection (count,
 * header/read timeout, keep-alive idle timeout) and graceful shutdown.
 *
 * Why own timers rather than h2o's: libh2o 2.2.5 has a single HTTP/1
 * req_timeout that runs from the moment it starts waiting for a request
 * (idle keep-alive time included) and, when it fires, closes the connection
 * without a word. We want a 408 for a request that is too slow to arrive and
 * a separate idle timeout, so each connection carries one timer of ours and
 * h2o's req_timeout is only a backstop set well above both.
 *
 * The same timer watches a response going out: libh2o 2.2.5 has no HTTP/1
 * write timeout, so a client that stops reading would hold its connection
 * (and a max_connections slot) forever. While a response is in flight the
 * timer ticks every header_timeout and cuts the connection once the kernel
 * send queue has not moved for idle_timeout.
 *
 * How we cut a connection h2o owns: shutdown(2) on its socket ("kick").
 * h2o then reads EOF (or fails to write) and closes the connection through
 * its own code path, which runs the socket's on_close hook where our
 * bookkeeping ends. We never free a socket or connection h2o still uses.
 */
#include "http/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Minimal answers written without involving h2o's request machinery. */
static const char RESP_408[] = "HTTP/1.1 408 Request Timeout\r\n"
			       "Cache-Control: no-store\r\n"
			       "X-Content-Type-Options: nosniff\r\n"
			       "Referrer-Policy: strict-origin-when-cross-origin\r\n"
			       "Connection: close\r\n"
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "Content-Length: 20\r\n"
			       "\r\n"
			       "408 Request Timeout\n";
static const char RESP_503[] = "HTTP/1.1 503 Service Unavailable\r\n"
			       "Cache-Control: no-store\r\n"
			       "X-Content-Type-Options: nosniff\r\n"
			       "Referrer-Policy: strict-origin-when-cross-origin\r\n"
			       "Retry-After: 1\r\n"
			       "Connection: close\r\n"
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "Content-Length: 24\r\n"
			       "\r\n"
			       "503 Service Unavailable\n";

/* ALPN lists (h2o's format: terminated by an empty entry). Without http2
 * we offer only http/1.1, so a client asking for h2 falls back. */
static const h2o_iovec_t ALPN_HTTP1[] = { { (char *)"http/1.1", 8 }, { NULL, 0 } };
static const h2o_iovec_t ALPN_HTTP2[] = { { (char *)"h2", 2 }, { (char *)"http/1.1", 8 }, { NULL, 0 } };

/* ---- connections ---- */

static void kick(struct mh_conn *c)
{
	int fd = h2o_socket_get_fd(c->sock);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

static void conn_disarm(struct mh_conn *c)
{
	if (h2o_timeout_is_linked(&c->timer))
		h2o_timeout_unlink(&c->timer);
}

static void conn_arm(struct mh_conn *c, h2o_timeout_t *t)
{
	conn_disarm(c);
	h2o_timeout_link(c->w->loop, t, &c->timer);
}

static void on_conn_close(void *data)
{
	struct mh_conn *c = data;
	struct mh_worker *w = c->w;
	conn_disarm(c);
	h2o_linklist_unlink(&c->link);
	w->nconns--;
	atomic_fetch_sub(&w->server->connections, 1);
	free(c);
}

static void on_408_written(h2o_socket_t *sock, const char *err)
{
	struct mh_conn *c = sock->on_close.data;
	(void)err;
	/* Hand the socket back to h2o, which reads EOF and closes it. */
	shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
	h2o_socket_read_start(sock, c->saved_read);
}

static void on_conn_timeout(h2o_timeout_entry_t *entry)
{
	struct mh_conn *c = H2O_STRUCT_FROM_MEMBER(struct mh_conn, timer, entry);
	struct mh_worker *w = c->w;
	h2o_socket_t *sock = c->sock;
	if (c->state == MH_CONN_BUSY) {
		/* A response is going out. Cut the connection only if its send
		 * queue has not moved for idle_timeout: the client stopped reading. */
		int outq = -1;
		if (h2o_socket_is_writing(sock))
			ioctl(h2o_socket_get_fd(sock), SIOCOUTQ, &outq);
		if (outq < 0 || outq != c->last_outq) {
			c->last_outq = outq;
			c->stalled_since = h2o_now(w->loop);
		} else if (h2o_now(w->loop) - c->stalled_since >= w->idle_timeout.timeout) {
			c->state = MH_CONN_CLOSING;
			kick(c);
			return;
		}
		conn_arm(c, &w->header_timeout);
		return;
	}
	if (c->state != MH_CONN_WAIT || sock->_cb.read == NULL || sock->_cb.read != w->http1_read_cb ||
	    h2o_socket_is_writing(sock)) {
		/* A handshake that never finished, or a connection in a state
		 * we do not own (e.g. h2c that never sent a request): cut it. */
		c->state = MH_CONN_CLOSING;
		kick(c);
		return;
	}
	if (c->requests > 0) {
		/* Between keep-alive requests the timer ticks every
		 * header_timeout (see mh_http__conn_request_done). */
		bool ticking = w->idle_timeout.timeout > w->header_timeout.timeout;
		if (sock->input->size == 0) {
			c->partial_ticks = 0;
			if (ticking && h2o_now(w->loop) - c->idle_since < w->idle_timeout.timeout) {
				conn_arm(c, &w->header_timeout);
				return;
			}
			c->state = MH_CONN_CLOSING;
			kick(c); /* idle for too long: close without a word */
			return;
		}
		/* Part of a request is here; it gets one more full tick. */
		if (ticking && ++c->partial_ticks < 2) {
			conn_arm(c, &w->header_timeout);
			return;
		}
	}
	/* The request did not arrive in time: answer 408, then close. */
	static h2o_iovec_t buf = { (char *)RESP_408, sizeof(RESP_408) - 1 };
	c->state = MH_CONN_CLOSING;
	c->saved_read = sock->_cb.read;
	h2o_socket_read_stop(sock);
	h2o_socket_write(sock, &buf, 1, on_408_written);
	if (w->server->cfg.access_log)
		mh_log(MH_LOG_INFO, "- - 408 20 0us - (request too slow)");
}

struct mh_conn *mh_http__conn_of(h2o_req_t *req)
{
	if (req->conn->callbacks->get_socket == NULL)
		return NULL;
	h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
	if (sock == NULL || sock->on_close.cb != on_conn_close)
		return NULL;
	return sock->on_close.data;
}

void mh_http__conn_request_started(struct mh_conn *c)
{
	c->state = MH_CONN_BUSY;
	c->requests++;
	/* watch the response go out (see on_conn_timeout) */
	c->last_outq = -1;
	c->stalled_since = h2o_now(c->w->loop);
	conn_arm(c, &c->w->header_timeout);
}

void mh_http__conn_is_h2(struct mh_conn *c)
{
	/* h2c (prior knowledge or Upgrade): h2o's HTTP/2 idle timeout rules. */
	if (c->state == MH_CONN_WAIT || c->state == MH_CONN_BUSY) {
		conn_disarm(c);
		c->state = MH_CONN_H2;
	}
}

void mh_http__conn_request_done(struct mh_conn *c, bool persistent)
{
	if (c->state != MH_CONN_BUSY)
		return;
	if (!persistent) {
		c->state = MH_CONN_CLOSING; /* h2o closes it after this */
		return;
	}
	c->state = MH_CONN_WAIT;
	if (c->w->stopping) {
		/* Shutting down: no next request on this connection. */
		c->state = MH_CONN_CLOSING;
		kick(c);
		return;
	}
	/* Idle until the next request. If idle_timeout is the longer one, tick
	 * every header_timeout instead, so that a next request which starts
	 * but dribbles in is still cut about header_timeout after it began. */
	struct mh_worker *w = c->w;
	c->idle_since = h2o_now(w->loop);
	c->partial_ticks = 0;
	conn_arm(c, w->idle_timeout.timeout > w->header_timeout.timeout ? &w->header_timeout : &w->idle_timeout);
}

static void on_handshake(h2o_socket_t *sock, const char *err)
{
	struct mh_conn *c = sock->data;
	struct mh_worker *w = c->w;
	sock->data = NULL;
	if (err != NULL) {
		h2o_socket_close(sock); /* on_close frees c */
		return;
	}
	h2o_iovec_t proto = h2o_socket_ssl_get_selected_protocol(sock);
	if (w->server->cfg.http2 && proto.len == 2 && memcmp(proto.base, "h2", 2) == 0) {
		conn_disarm(c);
		c->state = MH_CONN_H2;
		h2o_http2_accept(&w->accept_ctx, sock, c->connected_at);
		return;
	}
	c->state = MH_CONN_WAIT;
	h2o_http1_accept(&w->accept_ctx, sock, c->connected_at);
	/* c may be gone now (h2o may close at once); sock's memory is not. */
	if (w->http1_read_cb == NULL && sock->_cb.read != NULL)
		w->http1_read_cb = sock->_cb.read;
}

/* Over the limit: a minimal 503 on plain TCP (TLS gets a bare close). */
static void reject(struct mh_worker *w, h2o_socket_t *sock)
{
	int fd = h2o_socket_get_fd(sock);
	if (w->server->ssl_ctx == NULL) {
		char junk[1024];
		/* Drain what already arrived so close() sends FIN, not RST. */
		while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;
		ssize_t r = send(fd, RESP_503, sizeof(RESP_503) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)r;
		shutdown(fd, SHUT_WR);
	}
	h2o_socket_close(sock);
}

static void on_accept(h2o_socket_t *listener, const char *err);

static void on_accept_resume(h2o_timeout_entry_t *entry)
{
	struct mh_worker *w = H2O_STRUCT_FROM_MEMBER(struct mh_worker, accept_pause, entry);
	if (w->listener != NULL)
		h2o_socket_read_start(w->listener, on_accept);
}

/* Out of file descriptors: the pending connection would make the listener
 * readable forever, so stop accepting for a moment instead of spinning. */
static void pause_accepting(struct mh_worker *w)
{
	if (h2o_timeout_is_linked(&w->accept_pause))
		return;
	mh_log(MH_LOG_WARN, "http: worker %d cannot accept connections (%s); pausing 100 ms", w->index,
	       strerror(errno));
	h2o_socket_read_stop(w->listener);
	w->accept_pause.cb = on_accept_resume;
	h2o_timeout_link(w->loop, &w->ctx.hundred_ms_timeout, &w->accept_pause);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
	struct mh_worker *w = listener->data;
	struct mh_http_server *s = w->server;
	if (err != NULL)
		return;
	/* A few per wake-up: fair to the other listeners and to the loop. */
	for (int i = 0; i < 16; i++) {
		h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
		if (sock == NULL) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				pause_accepting(w);
			return;
		}
		if (atomic_fetch_add(&s->connections, 1) >= s->cfg.max_connections) {
			atomic_fetch_sub(&s->connections, 1);
			reject(w, sock);
			if (s->cfg.access_log)
				mh_log(MH_LOG_INFO, "- - 503 24 0us - (over max_connections)");
			continue;
		}
		struct mh_conn *c = calloc(1, sizeof(*c));
		MH_ASSERT(c != NULL);
		c->w = w;
		c->sock = sock;
		c->timer.cb = on_conn_timeout;
		c->connected_at = *h2o_get_timestamp(&w->ctx, NULL, NULL);
		h2o_linklist_insert(&w->conns, &c->link);
		w->nconns++;
		sock->on_close.cb = on_conn_close;
		sock->on_close.data = c;
		conn_arm(c, &w->header_timeout);
		if (s->ssl_ctx != NULL) {
			c->state = MH_CONN_HANDSHAKE;
			sock->data = c;
			h2o_socket_ssl_handshake(sock, s->ssl_ctx, NULL, on_handshake);
		} else {
			c->state = MH_CONN_WAIT;
			h2o_http1_accept(&w->accept_ctx, sock, c->connected_at);
			if (w->http1_read_cb == NULL && sock->_cb.read != NULL)
				w->http1_read_cb = sock->_cb.read;
		}
	}
}

/* ---- shutdown ---- */

static void on_shutdown_deadline(h2o_timeout_entry_t *entry)
{
	struct mh_worker *w = H2O_STRUCT_FROM_MEMBER(struct mh_worker, shutdown_entry, entry);
	for (h2o_linklist_t *n = w->conns.next; n != &w->conns; n = n->next)
		kick(H2O_STRUCT_FROM_MEMBER(struct mh_conn, link, n));
	/* Sockets kicked while h2o was neither reading nor writing would stay;
	 * keep kicking every second until all are gone. */
	h2o_timeout_link(w->loop, &w->ctx.one_sec_timeout, &w->shutdown_entry);
}

static void begin_shutdown(struct mh_worker *w)
{
	if (w->stopping)
		return;
	w->stopping = true;
	if (w->listener != NULL) {
		h2o_socket_read_stop(w->listener);
		h2o_socket_close(w->listener);
		w->listener = NULL;
	}
	h2o_context_request_shutdown(&w->ctx);
	/* Close connections with nothing in flight; the others finish. */
	for (h2o_linklist_t *n = w->conns.next; n != &w->conns; n = n->next) {
		struct mh_conn *c = H2O_STRUCT_FROM_MEMBER(struct mh_conn, link, n);
		if (c->state == MH_CONN_HANDSHAKE || (c->state == MH_CONN_WAIT && c->sock->input->size == 0)) {
			conn_disarm(c);
			c->state = MH_CONN_CLOSING;
			kick(c);
		}
	}
	h2o_timeout_link(w->loop, &w->shutdown_timeout, &w->shutdown_entry);
}

static void on_wake(h2o_socket_t *sock, const char *err)
{
	struct mh_worker *w = sock->data;
	uint64_t v;
	(void)err;
	if (read(w->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		mh_log(MH_LOG_WARN, "http: worker %d: reading its wake-up eventfd: %s", w->index, strerror(errno));
	if (atomic_load(&w->server->stop_requested)) {
		h2o_socket_read_stop(w->waker);
		h2o_socket_close(w->waker);
		w->waker = NULL;
		begin_shutdown(w);
	}
}

/* ---- worker threads ---- */

static void report_ready(struct mh_worker *w, bool ok)
{
	struct mh_http_server *s = w->server;
	pthread_mutex_lock(&s->mu);
	if (ok)
		s->nready++;
	else
		s->nfailed++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

static void *worker_main(void *arg)
{
	struct mh_worker *w = arg;
	struct mh_http_server *s = w->server;
	const struct mh_http_config *cfg = &s->cfg;

	w->loop = h2o_evloop_create();
	h2o_context_init(&w->ctx, w->loop, &s->globalconf);
	w->accept_ctx.ctx = &w->ctx;
	w->accept_ctx.hosts = s->globalconf.hosts;
	w->accept_ctx.ssl_ctx = s->ssl_ctx;
	h2o_linklist_init_anchor(&w->conns);
	h2o_timeout_init(w->loop, &w->header_timeout, (uint64_t)cfg->header_timeout_s * 1000);
	h2o_timeout_init(w->loop, &w->idle_timeout, (uint64_t)cfg->idle_timeout_s * 1000);
	h2o_timeout_init(w->loop, &w->shutdown_timeout, (uint64_t)cfg->header_timeout_s * 1000 + 5000);
	w->shutdown_entry.cb = on_shutdown_deadline;
	h2o_timeout_init(w->loop, &w->log_flush_timeout, 1000);
	w->log_flush_entry.cb = mh_http__log_flush;

	bool ok = cfg->thread_hook == NULL || cfg->thread_hook(w->index, true, cfg->ctx);
	if (ok) {
		w->listener = h2o_evloop_socket_create(w->loop, w->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
		w->listen_fd = -1; /* the socket owns it now */
		w->listener->data = w;
		h2o_socket_read_start(w->listener, on_accept);
		/* h2o closes the fd it is given; keep ours for mh_http_stop. */
		int wfd = dup(w->wake_fd);
		MH_ASSERT(wfd >= 0);
		w->waker = h2o_evloop_socket_create(w->loop, wfd, H2O_SOCKET_FLAG_DONT_READ);
		w->waker->data = w;
		h2o_socket_read_start(w->waker, on_wake);
	}
	report_ready(w, ok);

	if (ok) {
		/* A stop may have come before the waker was watching. */
		if (atomic_load(&s->stop_requested)) {
			h2o_socket_read_stop(w->waker);
			h2o_socket_close(w->waker);
			w->waker = NULL;
			begin_shutdown(w);
		}
		while (!(w->stopping && w->nconns == 0))
			h2o_evloop_run(w->loop, INT32_MAX);
	}

	if (h2o_timeout_is_linked(&w->shutdown_entry))
		h2o_timeout_unlink(&w->shutdown_entry);
	if (h2o_timeout_is_linked(&w->accept_pause))
		h2o_timeout_unlink(&w->accept_pause);
	if (h2o_timeout_is_linked(&w->log_flush_entry))
		h2o_timeout_unlink(&w->log_flush_entry);
	/* Linked by h2o_context_request_shutdown; h2o_context_dispose wants
	 * every timeout empty. */
	if (h2o_timeout_is_linked(&w->ctx.http2._graceful_shutdown_timeout))
		h2o_timeout_unlink(&w->ctx.http2._graceful_shutdown_timeout);
	if (w->listener != NULL) {
		h2o_socket_read_stop(w->listener);
		h2o_socket_close(w->listener);
		w->listener = NULL;
	}
	if (w->waker != NULL) {
		h2o_socket_read_stop(w->waker);
		h2o_socket_close(w->waker);
		w->waker = NULL;
	}
	h2o_evloop_run(w->loop, 0); /* frees the sockets closed above */
	h2o_timeout_dispose(w->loop, &w->header_timeout);
	h2o_timeout_dispose(w->loop, &w->idle_timeout);
	h2o_timeout_dispose(w->loop, &w->shutdown_timeout);
	h2o_context_dispose(&w->ctx);
	h2o_evloop_run(w->loop, 0);
	/* requests disposed above may have logged: unlink before the dispose */
	if (h2o_timeout_is_linked(&w->log_flush_entry))
		h2o_timeout_unlink(&w->log_flush_entry);
	h2o_timeout_dispose(w->loop, &w->log_flush_timeout);
	h2o_evloop_destroy(w->loop);
	w->loop = NULL;
	/* every request is disposed by now: nothing will park an arena again */
	mh_arena_free(w->arena_spare);
	w->arena_spare = NULL;
	mh_log_buf_free(&w->log); /* a graceful stop loses no line */
	if (ok && cfg->thread_hook != NULL)
		cfg->thread_hook(w->index, false, cfg->ctx);
	return NULL;
}

/* ---- listening ---- */

/* Splits "host:port", "[v6]:port" or ":port"; host "" means every interface. */
static bool parse_listen(const char *listen, char *host, size_t hostsz, int *port, struct mh_buf *err)
{
	const char *colon;
	size_t hlen;
	if (listen == NULL || *listen == '\0') {
		mh_buf_printf(err, "listen address is empty (want host:port, [v6]:port or :port)");
		return false;
	}
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (close == NULL || close[1] != ':') {
			mh_buf_printf(err, "listen address \"%s\": want [v6-address]:port", listen);
			return false;
		}
		hlen = (size_t)(close - listen - 1);
		if (hlen == 0 || hlen >= hostsz) {
			mh_buf_printf(err, "listen address \"%s\": bad IPv6 address", listen);
			return false;
		}
		memcpy(host, listen + 1, hlen);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL) {
			mh_buf_printf(err, "listen address \"%s\": missing \":port\"", listen);
			return false;
		}
		hlen = (size_t)(colon - listen);
		if (hlen >= hostsz || memchr(listen, ':', hlen) != NULL) {
			mh_buf_printf(err, "listen address \"%s\": write IPv6 addresses as [addr]:port", listen);
			return false;
		}
		memcpy(host, listen, hlen);
	}
	host[hlen] = '\0';
	int64_t p;
	if (!mh_str_to_i64(mh_str_c(colon + 1), &p) || p < 0 || p > 65535 || colon[1] == '-' || colon[1] == '+') {
		mh_buf_printf(err, "listen address \"%s\": port must be a number from 0 to 65535", listen);
		return false;
	}
	*port = (int)p;
	return true;
}

static int bind_one(const struct sockaddr *sa, socklen_t len, bool dual_stack, const char *addr, struct mh_buf *err)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		mh_buf_printf(err, "listen address \"%s\": socket: %s", addr, strerror(errno));
		return -1;
	}
	int on = 1, off = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) {
		mh_buf_printf(err, "listen address \"%s\": SO_REUSEPORT: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	if (dual_stack)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (bind(fd, sa, len) != 0) {
		mh_buf_printf(err, "listen address \"%s\": bind: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, H2O_SOMAXCONN) != 0) {
		mh_buf_printf(err, "listen address \"%s\": listen: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

/* Binds one SO_REUSEPORT socket per worker, all on the same port. */
static bool bind_all(struct mh_http_server *s, struct mh_buf *err)
{
	const char *listen = s->cfg.listen;
	char host[256];
	int port;
	if (!parse_listen(listen, host, sizeof(host), &port, err))
		return false;

	struct sockaddr_storage ss;
	socklen_t sslen;
	bool dual = false;
	memset(&ss, 0, sizeof(ss));
	if (host[0] == '\0') {
		/* Every interface: IPv6 "::" dual-stack, or IPv4 if v6 is absent. */
		int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0) {
			close(probe);
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			a->sin6_family = AF_INET6;
			a->sin6_addr = in6addr_any;
			sslen = sizeof(*a);
			dual = true;
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			a->sin_family = AF_INET;
			a->sin_addr.s_addr = htonl(INADDR_ANY);
			sslen = sizeof(*a);
		}
	} else {
		struct addrinfo hints = { 0 }, *res = NULL;
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
		int rc = getaddrinfo(host, NULL, &hints, &res);
		if (rc != 0 || res == NULL) {
			mh_buf_printf(err, "listen address \"%s\": cannot resolve \"%s\": %s", listen, host,
				      rc != 0 ? gai_strerror(rc) : "no address");
			if (res)
				freeaddrinfo(res);
			return false;
		}
		memcpy(&ss, res->ai_addr, res->ai_addrlen);
		sslen = res->ai_addrlen;
		freeaddrinfo(res);
	}

	/* SO_REUSEPORT lets any process of the same user join the port's
	 * group and take a share of its connections, silently. A plain bind
	 * first fails while anyone listens there, so a second server (or a
	 * stale one) is an error at start, not a split site. */
	if (port != 0) {
		set_port(&ss, port);
		int probe = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0) {
			int on = 1, off = 0;
			setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
			if (dual)
				setsockopt(probe, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
			if (bind(probe, (struct sockaddr *)&ss, sslen) != 0 && errno == EADDRINUSE) {
				mh_buf_printf(err, "listen address \"%s\": another process already listens there (%s)",
					      listen, strerror(errno));
				close(probe);
				return false;
			}
			close(probe);
		}
	}

	for (int i = 0; i < s->nworkers; i++) {
		set_port(&ss, port);
		int fd = bind_one((struct sockaddr *)&ss, sslen, dual, listen, err);
		if (fd < 0)
			return false;
		s->workers[i].listen_fd = fd;
		if (i == 0) {
			struct sockaddr_storage got;
			socklen_t glen = sizeof(got);
			if (getsockname(fd, (struct sockaddr *)&got, &glen) != 0) {
				mh_buf_printf(err, "listen address \"%s\": getsockname: %s", listen, strerror(errno));
				return false;
			}
			port = got.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&got)->sin_port)
							 : ntohs(((struct sockaddr_in6 *)&got)->sin6_port);
		}
	}
	s->port = port;
	return true;
}

/* ---- TLS ---- */

static void append_ssl_error(struct mh_buf *err)
{
	unsigned long e = ERR_get_error();
	char buf[256];
	if (e == 0) {
		mh_buf_append_c(err, "unknown error");
		return;
	}
	ERR_error_string_n(e, buf, sizeof(buf));
	mh_buf_append_c(err, buf);
	ERR_clear_error();
}

static bool setup_tls(struct mh_http_server *s, struct mh_buf *err)
{
	const char *cert = s->cfg.tls_cert, *key = s->cfg.tls_key;
	bool has_cert = cert != NULL && *cert != '\0', has_key = key != NULL && *key != '\0';
	if (!has_cert && !has_key)
		return true;
	if (!has_cert || !has_key) {
		mh_buf_printf(err, "TLS needs both tls_cert and tls_key (only %s is set)", has_cert ? "tls_cert" : "tls_key");
		return false;
	}
	if (access(cert, R_OK) != 0) {
		mh_buf_printf(err, "tls_cert \"%s\": %s", cert, strerror(errno));
		return false;
	}
	if (access(key, R_OK) != 0) {
		mh_buf_printf(err, "tls_key \"%s\": %s", key, strerror(errno));
		return false;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	MH_ASSERT(ctx != NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		mh_buf_printf(err, "tls_cert \"%s\": not a usable PEM certificate: ", cert);
		append_ssl_error(err);
		SSL_CTX_free(ctx);
		return false;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		mh_buf_printf(err, "tls_key \"%s\": not a usable PEM private key: ", key);
		append_ssl_error(err);
		SSL_CTX_free(ctx);
		return false;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		mh_buf_printf(err, "tls_key \"%s\" does not match tls_cert \"%s\"", key, cert);
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return false;
	}
	h2o_ssl_register_alpn_protocols(ctx, s->cfg.http2 ? ALPN_HTTP2 : ALPN_HTTP1);
	s->ssl_ctx = ctx;
	return true;
}

/* ---- public API ---- */

static bool check_config(const struct mh_http_config *cfg, struct mh_buf *err)
{
	MH_ASSERT(cfg->handler != NULL);
	if (cfg->threads < 1) {
		mh_buf_printf(err, "threads must be at least 1 (got %d)", cfg->threads);
		return false;
	}
	if (cfg->max_connections < 1) {
		mh_buf_printf(err, "max_connections must be at least 1 (got %d)", cfg->max_connections);
		return false;
	}
	if (cfg->header_timeout_s < 1 || cfg->idle_timeout_s < 1) {
		mh_buf_printf(err, "header_timeout and idle_timeout must be at least 1 second (got %d and %d)",
			      cfg->header_timeout_s, cfg->idle_timeout_s);
		return false;
	}
	if (cfg->max_header_bytes < 1) {
		mh_buf_printf(err, "max_header_bytes must be at least 1");
		return false;
	}
	return true;
}

static void setup_h2o(struct mh_http_server *s)
{
	const struct mh_http_config *cfg = &s->cfg;
	h2o_globalconf_t *g = &s->globalconf;
	h2o_config_init(g);
	g->server_name = h2o_iovec_init(H2O_STRLIT("")); /* no Server header */
	g->max_request_entity_size = cfg->max_body_bytes;
	g->handshake_timeout = (uint64_t)cfg->header_timeout_s * 1000;
	int longest = cfg->header_timeout_s > cfg->idle_timeout_s ? cfg->header_timeout_s : cfg->idle_timeout_s;
	g->http1.req_timeout = (uint64_t)longest * 1000 + 5000; /* backstop; see top */
	g->http1.upgrade_to_http2 = cfg->http2;
	g->http2.idle_timeout = (uint64_t)cfg->idle_timeout_s * 1000;
	g->http2.graceful_shutdown_timeout = 5000;
	h2o_hostconf_t *host = h2o_config_register_host(g, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
	h2o_handler_t *h = h2o_create_handler(path, sizeof(*h));
	h->on_req = mh_http__on_req;
}

static char *dup_or_null(const char *s)
{
	if (s == NULL)
		return NULL;
	char *d = strdup(s);
	MH_ASSERT(d != NULL);
	return d;
}

/* The server SIGTERM and SIGINT stop; a signal before it can be stopped
 * (it is still being made) is kept in signal_early and acted on once it
 * can. Only write(2), atomics and sig_atomic_t in the handler. */
static struct mh_http_server *volatile signal_server;
static volatile sig_atomic_t signal_early;

static void on_signal(int sig)
{
	(void)sig;
	struct mh_http_server *s = signal_server;
	if (s != NULL)
		mh_http_stop(s);
	else
		signal_early = 1;
}

/* From before the port is open: a supervisor (or a test) that sees it
 * answer and sends SIGTERM at once gets a graceful stop, never the
 * default action's sudden death. */
static void signals_set(struct mh_http_server *s)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	signal_early = 0;
	sigaction(SIGTERM, &sa, &s->old_term);
	sigaction(SIGINT, &sa, &s->old_int);
	s->signals_set = true;
}

static void signals_restore(struct mh_http_server *s)
{
	if (!s->signals_set)
		return;
	sigaction(SIGTERM, &s->old_term, NULL);
	sigaction(SIGINT, &s->old_int, NULL);
	signal_server = NULL;
	s->signals_set = false;
}

static void free_server(struct mh_http_server *s)
{
	signals_restore(s);
	for (int i = 0; i < s->nworkers; i++) {
		if (s->workers[i].listen_fd >= 0)
			close(s->workers[i].listen_fd);
		if (s->workers[i].wake_fd >= 0)
			close(s->workers[i].wake_fd);
	}
	free(s->workers);
	if (s->stop_pipe[0] >= 0)
		close(s->stop_pipe[0]);
	if (s->stop_pipe[1] >= 0)
		close(s->stop_pipe[1]);
	if (s->ssl_ctx != NULL)
		SSL_CTX_free(s->ssl_ctx);
	if (s->globalconf.hosts != NULL)
		h2o_config_dispose(&s->globalconf);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cond);
	free((char *)s->cfg.listen);
	free((char *)s->cfg.tls_cert);
	free((char *)s->cfg.tls_key);
	free(s);
}

static void join_all(struct mh_http_server *s)
{
	if (s->joined)
		return;
	for (int i = 0; i < s->nworkers; i++)
		if (s->workers[i].thread_started)
			pthread_join(s->workers[i].thread, NULL);
	s->joined = true;
}

struct mh_http_server *mh_http_start(const struct mh_http_config *cfg, struct mh_buf *err)
{
	if (!check_config(cfg, err))
		return NULL;
	struct mh_http_server *s = calloc(1, sizeof(*s));
	MH_ASSERT(s != NULL);
	s->cfg = *cfg;
	s->cfg.listen = dup_or_null(cfg->listen);
	s->cfg.tls_cert = dup_or_null(cfg->tls_cert);
	s->cfg.tls_key = dup_or_null(cfg->tls_key);
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	signals_set(s);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->nworkers = cfg->threads;
	s->workers = calloc((size_t)s->nworkers, sizeof(*s->workers));
	MH_ASSERT(s->workers != NULL);
	for (int i = 0; i < s->nworkers; i++) {
		struct mh_worker *w = &s->workers[i];
		w->server = s;
		w->index = i;
		w->listen_fd = -1;
		w->wake_fd = -1;
	}

	if (!setup_tls(s, err) || !bind_all(s, err)) {
		free_server(s);
		return NULL;
	}
	if (pipe2(s->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		mh_buf_printf(err, "http: pipe: %s", strerror(errno));
		free_server(s);
		return NULL;
	}
	for (int i = 0; i < s->nworkers; i++) {
		s->workers[i].wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->workers[i].wake_fd < 0) {
			mh_buf_printf(err, "http: eventfd: %s", strerror(errno));
			free_server(s);
			return NULL;
		}
	}
	setup_h2o(s);
	/* from here the server can be stopped: by a signal too, also one
	 * that came while it was being made */
	signal_server = s;
	if (signal_early)
		mh_http_stop(s);
	/* A peer that resets a connection must not kill the process. */
	signal(SIGPIPE, SIG_IGN);

	/* Workers never take SIGTERM/SIGINT: mh_http_wait's thread does. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < s->nworkers; i++) {
		struct mh_worker *w = &s->workers[i];
		int rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc != 0) {
			pthread_mutex_lock(&s->mu);
			s->nfailed += s->nworkers - i;
			pthread_mutex_unlock(&s->mu);
			mh_buf_printf(err, "http: cannot start worker thread %d: %s", i, strerror(rc));
			break;
		}
		w->thread_started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	pthread_mutex_lock(&s->mu);
	while (s->nready + s->nfailed < s->nworkers)
		pthread_cond_wait(&s->cond, &s->mu);
	int failed = s->nfailed;
	pthread_mutex_unlock(&s->mu);
	if (failed > 0) {
		if (err->len == 0)
			mh_buf_printf(err, "http: %d worker thread(s) failed to start (thread hook returned false)", failed);
		mh_http_stop(s);
		join_all(s);
		free_server(s);
		return NULL;
	}
	return s;
}

int mh_http_port(const struct mh_http_server *s)
{
	return s->port;
}

void mh_http_stop(struct mh_http_server *s)
{
	/* Only write(2) and lock-free atomics: callable from a signal handler. */
	if (atomic_exchange(&s->stop_requested, 1))
		return;
	uint64_t one = 1;
	for (int i = 0; i < s->nworkers; i++) {
		ssize_t r = write(s->workers[i].wake_fd, &one, sizeof(one));
		(void)r;
	}
	ssize_t r = write(s->stop_pipe[1], "x", 1);
	(void)r;
}

void mh_http_wait(struct mh_http_server *s)
{
	if (s->joined)
		return;
	/* Block until mh_http_stop (called directly or by the signal handler). */
	while (!atomic_load(&s->stop_requested)) {
		struct pollfd p = { .fd = s->stop_pipe[0], .events = POLLIN };
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
	}
	join_all(s);
	signals_restore(s);
}

void mh_http_free(struct mh_http_server *s)
{
	if (s == NULL)
		return;
	mh_http_stop(s);
	join_all(s);
	free_server(s);
}
