/*
 * http/internal.h: what server.c (listeners, loops, connections, shutdown)
 * and request.c (requests, responses, access log) share. Private to
 * src/http/: this is the only header that includes h2o.h, so libh2o's types
 * never reach another module.
 */
#ifndef MH_HTTP_INTERNAL_H
#define MH_HTTP_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include <h2o.h>
#include <h2o/http1.h>
#include <h2o/http2.h>

#include "http/http.h"

struct mh_http_server;

/* One worker thread: its own event loop, h2o context and listening socket. */
struct mh_worker {
	struct mh_http_server *server;
	int index;
	pthread_t thread;
	bool thread_started;
	int listen_fd; /* owned by the listener socket once the loop runs */
	int wake_fd;   /* eventfd: mh_http_stop writes, the loop wakes */
	h2o_evloop_t *loop;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept_ctx;
	h2o_socket_t *listener, *waker;
	/* Per-connection timers: the first request must arrive within
	 * header_timeout; a keep-alive connection may idle for idle_timeout. */
	h2o_timeout_t header_timeout, idle_timeout, shutdown_timeout;
	h2o_timeout_entry_t shutdown_entry;
	h2o_timeout_entry_t accept_pause; /* out of fds: accepting again soon */
	h2o_linklist_t conns; /* struct mh_conn, this loop's open connections */
	size_t nconns;
	bool stopping;
	/* h2o's HTTP/1 "waiting for a request" read callback, learnt from the
	 * first connection: a connection whose socket reads with it is idle. */
	h2o_socket_cb http1_read_cb;
	/* The access log of this thread: lines collected here are written
	 * in batches, at the latest a second after the first one came (the
	 * timer is armed only while lines wait) and when the worker stops. */
	struct mh_log_buf log;
	/* A request's arena, reset when its request was disposed and kept for
	 * the next one (mh_arena_reset): requests reuse its chunks instead of
	 * allocating and zeroing their own. NULL while a request holds it. */
	struct mh_arena *arena_spare;
	h2o_timeout_t log_flush_timeout;
	h2o_timeout_entry_t log_flush_entry;
};

enum mh_conn_state {
	MH_CONN_HANDSHAKE, /* TLS handshake running (header timer armed) */
	MH_CONN_WAIT,      /* HTTP/1 waiting for a request (a timer armed) */
	MH_CONN_BUSY,      /* HTTP/1 response going out (timer watches it move) */
	MH_CONN_H2,        /* HTTP/2: h2o's own idle timeout governs */
	MH_CONN_CLOSING,   /* we cut it (408 or kick); waiting for h2o to close */
};

/* One accepted connection; lives from accept until the socket's on_close. */
struct mh_conn {
	struct mh_worker *w;
	h2o_socket_t *sock;
	h2o_linklist_t link;
	h2o_timeout_entry_t timer;
	enum mh_conn_state state;
	unsigned requests; /* HTTP/1 requests seen */
	uint64_t idle_since;    /* loop ms when the last response was done */
	unsigned partial_ticks; /* timer ticks that saw a partial request */
	int last_outq;          /* kernel send queue at the last BUSY tick */
	uint64_t stalled_since; /* loop ms since the send queue last moved */
	struct timeval connected_at;
	h2o_socket_cb saved_read; /* h2o's read callback, parked while we send 408 */
};

struct mh_http_server {
	struct mh_http_config cfg;
	h2o_globalconf_t globalconf;
	SSL_CTX *ssl_ctx;
	int port;
	int nworkers;
	struct mh_worker *workers;
	atomic_int connections; /* open connections, all workers */
	atomic_int stop_requested;
	int stop_pipe[2]; /* mh_http_stop -> mh_http_wait */
	bool joined;
	/* SIGTERM/SIGINT stop the server from before it listens until
	 * mh_http_wait returns; the actions they had before */
	bool signals_set;
	struct sigaction old_term, old_int;
	/* start-up handshake with the workers */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int nready, nfailed;
};

/* request.c */
int mh_http__on_req(h2o_handler_t *self, h2o_req_t *req);
/* The flush timer's callback: writes the thread's waiting access-log lines. */
void mh_http__log_flush(h2o_timeout_entry_t *entry);

/* server.c: the connection that carries a request (NULL if unknown). */
struct mh_conn *mh_http__conn_of(h2o_req_t *req);
/* The connection turned out to speak HTTP/2 (h2c): our timers stand down. */
void mh_http__conn_is_h2(struct mh_conn *c);
/* A request of this connection reached the handler / its response is done. */
void mh_http__conn_request_started(struct mh_conn *c);
void mh_http__conn_request_done(struct mh_conn *c, bool persistent);

#endif
