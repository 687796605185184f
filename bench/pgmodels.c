/*
 * pgmodels.c: the two ways a Masthead worker could talk to PostgreSQL,
 * measured on the query mix of one cold article page (issue 3, "a
 * connection's socket joins the worker's event loop through libpq's async
 * API, or each worker has its own connection: measure both").
 *
 *   pgmodels CONNINFO SLUGS-FILE blocking|async [-t THREADS] [-k K]
 *            [-s SECONDS] [-w WARMUP] [-d DELAY_US]
 *
 * A page is the statements src/store/postgres.c runs for /articles/SLUG with
 * the page cache off (the store's own SQL text and list parameters, taken
 * from it at start; prepared once per connection, text parameters and
 * results), each depending on the one before: sections; the article by
 * slug; the 3 older articles of the stream (cursor on the article's
 * published_at, id); the authors of all four; their tags (5 statements;
 * 7 before issue 6's fast path read the article's and the stream's
 * bylines and tags together). With -d, one more statement per page,
 * `SELECT pg_sleep(DELAY_US / 1e6)`, stands in for the round trips of a
 * database on another machine (a server-side wait: it costs no CPU).
 *
 *   blocking  each thread one connection, pages one after another, every
 *             statement a blocking PQexecPrepared (what the server does).
 *   async     each thread an epoll loop over K non-blocking connections
 *             (PQsendQueryPrepared, PQconsumeInput, PQisBusy, PQgetResult,
 *             PQflush), one page in flight on each: K pages per thread,
 *             each page's statements in sequence.
 *
 * Slugs come from SLUGS-FILE (one a line), cycled through by every page
 * slot from its own offset. After WARMUP seconds (default 1), it counts for
 * SECONDS (default 10) and prints one line of key=value: pages, pages/s,
 * p50/p99 page latency (pages started and finished inside the window), CPU
 * of this process (getrusage) and of its PostgreSQL backends (utime+stime
 * from /proc/PID/stat of each connection's pg_backend_pid(); the server must
 * be on this machine) per page, and (blocking, with -d) how long the delay
 * statement really took on average, round trip included: PostgreSQL rounds
 * pg_sleep's wait up to whole milliseconds, so -d 500 waits about 1 ms.
 *
 * A benchmark tool, not part of the server, built with it (bench/meson.build)
 * and linked against its library: the statements and the list query's
 * values come from the store (store_int.h's mh_store_postgres_page_sql,
 * mh_store_postgres_list_sql and mh_store_list_values), so a change to the
 * server's SQL is what this measures, never a stale copy.
 * Nothing in src/ depends on it.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "site/site.h"
#include "store/store_int.h"

/* The article page's statements since issue 6's fast path: the bylines and
 * tags of the article and its stream are read together (src/site/pages.c,
 * mh_store_articles_relations). */
enum step { S_SECTIONS, S_ARTICLE, S_STREAM, S_AUTHORS, S_TAGS, S_DELAY, S__COUNT };

static const char *const step_name[S__COUNT] = { "p_sections", "p_article", "p_stream",
						 "p_authors",  "p_tags",    "p_delay" };
/* Filled from the store by load_sql(). */
static const char *step_sql[S__COUNT];
static struct mh_buf stream_sql = MH_BUF_INIT;

/* The next articles of the stream after (published_at, id), as the article
 * page asks for them (src/site/pages.c's add_stream). */
static struct mh_article_query stream_query(int64_t published_at, int64_t id)
{
	return (struct mh_article_query){
		.before_published_at = published_at,
		.before_id = id,
		.limit = MH_SITE_STREAM_BATCH,
	};
}

static void load_sql(void)
{
	step_sql[S_SECTIONS] = mh_store_postgres_page_sql(MH_STORE_PG_SECTIONS);
	step_sql[S_ARTICLE] = mh_store_postgres_page_sql(MH_STORE_PG_ARTICLE_BY_SLUG);
	step_sql[S_AUTHORS] = mh_store_postgres_page_sql(MH_STORE_PG_BATCH_AUTHORS);
	step_sql[S_TAGS] = mh_store_postgres_page_sql(MH_STORE_PG_BATCH_TAGS);
	struct mh_article_query q = stream_query(1, 1);
	mh_store_postgres_list_sql(&stream_sql, mh_store_query_flags(&q), false);
	step_sql[S_STREAM] = mh_buf_cstr(&stream_sql);
	step_sql[S_DELAY] = "SELECT pg_sleep($1::float8)";
}

struct opts {
	const char *conninfo;
	bool async;
	int threads;
	int k;
	double seconds;
	double warmup;
	long delay_us;
	char **slugs;
	size_t n_slugs;
};

static struct opts O;
static atomic_int phase; /* 0 warm-up, 1 counting, 2 stop */
static struct timespec t_count_start;

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pgmodels: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One page in flight: where it is, and what the next statements need. */
struct page {
	PGconn *conn;
	int backend_pid;
	size_t next_slug;
	enum step step;
	double started;
	bool counted; /* started inside the window */
	char id[24], published_at[24], page_ids[128];
	char list_vals[MH_STORE_LIST_NPARAMS][24]; /* the stream query's parameters */
	PGresult *res; /* the current statement's result, until its NULL */
	bool want_write;
};

struct worker {
	pthread_t thread;
	int index;
	struct page *pages;
	int n_pages;
	/* inside the window */
	uint64_t done;
	double *lat;
	size_t n_lat, cap_lat;
	uint64_t errors;
	double delay_sum; /* blocking: time spent in the delay statement */
	uint64_t delay_n;
};

static PGconn *connect_one(int *backend_pid)
{
	PGconn *c = PQconnectdb(O.conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		die("connect: %s", PQerrorMessage(c));
	for (int s = 0; s < S__COUNT; s++) {
		const char *sql = step_sql[s];
		Oid types[MH_STORE_LIST_NPARAMS];
		int n = 0;
		if (s == S_STREAM) {
			n = MH_STORE_LIST_NPARAMS;
			for (int i = 0; i < n; i++)
				types[i] = 20; /* int8, as the store's list statements */
		}
		PGresult *r = PQprepare(c, step_name[s], sql, n, n ? types : NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			die("prepare %s: %s", step_name[s], PQerrorMessage(c));
		PQclear(r);
	}
	PGresult *r = PQexec(c, "SELECT pg_backend_pid()");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die("pg_backend_pid: %s", PQerrorMessage(c));
	*backend_pid = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return c;
}

/* The parameters of p's current step; returns how many. */
static int step_params(struct page *p, const char *v[MH_STORE_LIST_NPARAMS], char scratch[MH_STORE_LIST_NPARAMS][32])
{
	switch (p->step) {
	case S_SECTIONS:
		return 0;
	case S_ARTICLE:
		v[0] = O.slugs[p->next_slug];
		return 1;
	case S_AUTHORS:
	case S_TAGS:
		v[0] = p->page_ids; /* the article's and its stream's */
		return 1;
	case S_STREAM: {
		struct mh_article_query q = stream_query(strtoll(p->published_at, NULL, 10), strtoll(p->id, NULL, 10));
		int64_t vals[MH_STORE_LIST_NPARAMS];
		mh_store_list_values(&q, vals);
		for (int i = 0; i < MH_STORE_LIST_NPARAMS; i++) {
			snprintf(p->list_vals[i], sizeof(p->list_vals[i]), "%lld", (long long)vals[i]);
			v[i] = p->list_vals[i];
		}
		return MH_STORE_LIST_NPARAMS;
	}
	case S_DELAY:
		snprintf(scratch[0], sizeof(scratch[0]), "%.6f", (double)O.delay_us / 1e6);
		v[0] = scratch[0];
		return 1;
	default:
		abort();
	}
}

/* Takes what the next steps need from a finished step's result, and reads
 * every value as a renderer would. Returns false on a bad result. */
static bool step_result(struct page *p, PGresult *r)
{
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "pgmodels: %s: %s", step_name[p->step], PQresultErrorMessage(r));
		return false;
	}
	int rows = PQntuples(r), cols = PQnfields(r);
	size_t bytes = 0;
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < cols; j++)
			bytes += (size_t)PQgetlength(r, i, j);
	(void)bytes;
	if (p->step == S_ARTICLE) {
		if (rows != 1) {
			fprintf(stderr, "pgmodels: no article %s\n", O.slugs[p->next_slug]);
			return false;
		}
		snprintf(p->id, sizeof(p->id), "%s", PQgetvalue(r, 0, 0));
		snprintf(p->published_at, sizeof(p->published_at), "%s", PQgetvalue(r, 0, 12));
	} else if (p->step == S_STREAM) {
		size_t at = 0;
		at += (size_t)snprintf(p->page_ids + at, sizeof(p->page_ids) - at, "{%s", p->id);
		for (int i = 0; i < rows && at < sizeof(p->page_ids); i++)
			at += (size_t)snprintf(p->page_ids + at, sizeof(p->page_ids) - at, ",%s", PQgetvalue(r, i, 0));
		if (at < sizeof(p->page_ids))
			snprintf(p->page_ids + at, sizeof(p->page_ids) - at, "}");
	}
	return true;
}

static void lat_add(struct worker *w, double v)
{
	if (w->n_lat == w->cap_lat) {
		w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 4096;
		w->lat = realloc(w->lat, w->cap_lat * sizeof(*w->lat));
		if (w->lat == NULL)
			die("out of memory");
	}
	w->lat[w->n_lat++] = v;
}

static enum step last_step(void)
{
	return O.delay_us > 0 ? S_DELAY : S_TAGS;
}

static void page_begin(struct page *p)
{
	p->step = S_SECTIONS;
	p->started = now_s();
	p->counted = atomic_load(&phase) == 1;
}

/* A page's last statement finished: count it, move to the next slug. */
static void page_end(struct worker *w, struct page *p)
{
	if (p->counted && atomic_load(&phase) == 1) {
		w->done++;
		lat_add(w, now_s() - p->started);
	}
	p->next_slug = (p->next_slug + 1) % O.n_slugs;
}

static void *run_blocking(void *arg)
{
	struct worker *w = arg;
	struct page *p = &w->pages[0];
	while (atomic_load(&phase) != 2) {
		page_begin(p);
		bool ok = true;
		for (; ok && p->step <= last_step(); p->step++) {
			const char *v[MH_STORE_LIST_NPARAMS];
			char scratch[MH_STORE_LIST_NPARAMS][32];
			int n = step_params(p, v, scratch);
			double t = now_s();
			PGresult *r = PQexecPrepared(p->conn, step_name[p->step], n, v, NULL, NULL, 0);
			if (p->step == S_DELAY && p->counted) {
				w->delay_sum += now_s() - t;
				w->delay_n++;
			}
			ok = step_result(p, r);
			PQclear(r);
		}
		if (!ok) {
			w->errors++;
			p->next_slug = (p->next_slug + 1) % O.n_slugs;
			continue;
		}
		page_end(w, p);
	}
	return NULL;
}

static void async_send(struct worker *w, struct page *p, int ep)
{
	const char *v[MH_STORE_LIST_NPARAMS];
	char scratch[MH_STORE_LIST_NPARAMS][32];
	int n = step_params(p, v, scratch);
	if (!PQsendQueryPrepared(p->conn, step_name[p->step], n, v, NULL, NULL, 0))
		die("send %s: %s", step_name[p->step], PQerrorMessage(p->conn));
	int f = PQflush(p->conn);
	if (f < 0)
		die("flush: %s", PQerrorMessage(p->conn));
	bool want = f == 1;
	if (want != p->want_write) {
		struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = p};
		if (epoll_ctl(ep, EPOLL_CTL_MOD, PQsocket(p->conn), &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
		p->want_write = want;
	}
	(void)w;
}

/* Reads what has arrived on p's connection and moves its page along. */
static void async_ready(struct worker *w, struct page *p, int ep, uint32_t events)
{
	if (events & EPOLLOUT) {
		int f = PQflush(p->conn);
		if (f < 0)
			die("flush: %s", PQerrorMessage(p->conn));
		if (f == 0) {
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
			epoll_ctl(ep, EPOLL_CTL_MOD, PQsocket(p->conn), &ev);
			p->want_write = false;
		}
	}
	if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	if (!PQconsumeInput(p->conn))
		die("connection lost: %s", PQerrorMessage(p->conn));
	while (!PQisBusy(p->conn)) {
		PGresult *r = PQgetResult(p->conn);
		if (r != NULL) {
			if (p->res != NULL)
				PQclear(p->res);
			p->res = r;
			continue;
		}
		/* NULL: the statement is done, its result is p->res */
		bool ok = p->res != NULL && step_result(p, p->res);
		PQclear(p->res);
		p->res = NULL;
		if (!ok) {
			w->errors++;
			p->next_slug = (p->next_slug + 1) % O.n_slugs;
			page_begin(p);
		} else if (p->step == last_step()) {
			page_end(w, p);
			if (atomic_load(&phase) == 2)
				return;
			page_begin(p);
		} else {
			p->step++;
		}
		async_send(w, p, ep);
		return; /* the next result cannot be here yet */
	}
}

static void *run_async(void *arg)
{
	struct worker *w = arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1: %s", strerror(errno));
	for (int i = 0; i < w->n_pages; i++) {
		struct page *p = &w->pages[i];
		if (PQsetnonblocking(p->conn, 1) != 0)
			die("PQsetnonblocking: %s", PQerrorMessage(p->conn));
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, PQsocket(p->conn), &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
		page_begin(p);
		async_send(w, p, ep);
	}
	struct epoll_event evs[64];
	int idle = 0;
	while (atomic_load(&phase) != 2 || idle < w->n_pages) {
		int n = epoll_wait(ep, evs, 64, 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			async_ready(w, evs[i].data.ptr, ep, evs[i].events);
		if (atomic_load(&phase) == 2) {
			/* let the pages in flight finish so the connections end clean */
			idle = 0;
			for (int i = 0; i < w->n_pages; i++)
				idle += !PQisBusy(w->pages[i].conn) && w->pages[i].res == NULL;
			if (n == 0)
				break;
		}
	}
	close(ep);
	return NULL;
}

static double cpu_rusage(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

/* utime+stime of a process from /proc, in seconds; -1 when unreadable. */
static double cpu_proc(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *s = strrchr(buf, ')');
	if (s == NULL)
		return -1;
	unsigned long ut = 0, st = 0;
	/* after ") ": state(3) ... utime is field 14, stime 15 */
	if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double cpu_backends(struct worker *ws)
{
	double t = 0;
	for (int i = 0; i < O.threads; i++)
		for (int j = 0; j < ws[i].n_pages; j++) {
			double v = cpu_proc(ws[i].pages[j].backend_pid);
			if (v < 0)
				return -1;
			t += v;
		}
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void usage(void)
{
	fputs("usage: pgmodels CONNINFO SLUGS-FILE blocking|async [-t THREADS] [-k K] [-s SECONDS]"
	      " [-w WARMUP] [-d DELAY_US]\n",
	      stderr);
	exit(2);
}

static void read_slugs(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	char line[1024];
	size_t cap = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == 0)
			continue;
		if (O.n_slugs == cap) {
			cap = cap ? cap * 2 : 1024;
			O.slugs = realloc(O.slugs, cap * sizeof(*O.slugs));
			if (O.slugs == NULL)
				die("out of memory");
		}
		O.slugs[O.n_slugs++] = strdup(line);
	}
	fclose(f);
	if (O.n_slugs == 0)
		die("%s: no slugs", path);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		usage();
	O.conninfo = argv[1];
	read_slugs(argv[2]);
	load_sql();
	if (strcmp(argv[3], "async") == 0)
		O.async = true;
	else if (strcmp(argv[3], "blocking") != 0)
		usage();
	O.threads = 2;
	O.k = 1;
	O.seconds = 10;
	O.warmup = 1;
	for (int i = 4; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		char *end;
		double d = strtod(v, &end);
		if (*end != 0 || d < 0)
			die("bad value '%s' for %s", v, argv[i - 1]);
		if (strcmp(argv[i - 1], "-t") == 0 && d >= 1 && d <= 256)
			O.threads = (int)d;
		else if (strcmp(argv[i - 1], "-k") == 0 && d >= 1 && d <= 256)
			O.k = (int)d;
		else if (strcmp(argv[i - 1], "-s") == 0 && d > 0 && d <= 600)
			O.seconds = d;
		else if (strcmp(argv[i - 1], "-w") == 0 && d <= 60)
			O.warmup = d;
		else if (strcmp(argv[i - 1], "-d") == 0 && d <= 1e6)
			O.delay_us = (long)d;
		else
			usage();
	}
	if (!O.async && O.k != 1)
		die("blocking runs one page per thread: -k is for async");

	struct worker *ws = calloc((size_t)O.threads, sizeof(*ws));
	if (ws == NULL)
		die("out of memory");
	for (int i = 0; i < O.threads; i++) {
		ws[i].index = i;
		ws[i].n_pages = O.k;
		ws[i].pages = calloc((size_t)O.k, sizeof(*ws[i].pages));
		if (ws[i].pages == NULL)
			die("out of memory");
		for (int j = 0; j < O.k; j++) {
			struct page *p = &ws[i].pages[j];
			p->conn = connect_one(&p->backend_pid);
			p->next_slug = ((size_t)(i * O.k + j) * O.n_slugs) / (size_t)(O.threads * O.k);
		}
	}
	for (int i = 0; i < O.threads; i++)
		if (pthread_create(&ws[i].thread, NULL, O.async ? run_async : run_blocking, &ws[i]) != 0)
			die("pthread_create failed");
	sleep_s(O.warmup);
	double c0 = cpu_rusage(), b0 = cpu_backends(ws), t0 = now_s();
	clock_gettime(CLOCK_MONOTONIC, &t_count_start);
	atomic_store(&phase, 1);
	sleep_s(O.seconds);
	atomic_store(&phase, 2);
	double c1 = cpu_rusage(), b1 = cpu_backends(ws), t1 = now_s();
	for (int i = 0; i < O.threads; i++)
		pthread_join(ws[i].thread, NULL);

	uint64_t pages = 0, errors = 0, delay_n = 0;
	double delay_sum = 0;
	size_t n_lat = 0;
	for (int i = 0; i < O.threads; i++) {
		pages += ws[i].done;
		errors += ws[i].errors;
		n_lat += ws[i].n_lat;
		delay_sum += ws[i].delay_sum;
		delay_n += ws[i].delay_n;
	}
	double *lat = malloc((n_lat ? n_lat : 1) * sizeof(*lat));
	if (lat == NULL)
		die("out of memory");
	size_t at = 0;
	for (int i = 0; i < O.threads; i++) {
		memcpy(lat + at, ws[i].lat, ws[i].n_lat * sizeof(*lat));
		at += ws[i].n_lat;
	}
	qsort(lat, n_lat, sizeof(*lat), cmp_double);
	double p50 = n_lat ? lat[n_lat / 2] : 0, p99 = n_lat ? lat[(n_lat * 99) / 100] : 0;
	double secs = t1 - t0;
	double cl = pages ? (c1 - c0) / (double)pages * 1e6 : 0;
	double be = (pages && b0 >= 0 && b1 >= 0) ? (b1 - b0) / (double)pages * 1e6 : -1;
	printf("model=%s threads=%d k=%d delay_us=%ld connections=%d seconds=%.2f pages=%llu errors=%llu"
	       " pages_per_s=%.0f p50_ms=%.3f p99_ms=%.3f client_cpu_us=%.1f pg_cpu_us=%.1f total_cpu_us=%.1f"
	       " cpu_util=%.2f delay_measured_ms=%.3f\n",
	       O.async ? "async" : "blocking", O.threads, O.k, O.delay_us, O.threads * O.k, secs,
	       (unsigned long long)pages, (unsigned long long)errors, (double)pages / secs, p50 * 1e3, p99 * 1e3,
	       cl, be, be >= 0 ? cl + be : -1, ((c1 - c0) + (b1 - b0)) / secs,
	       delay_n ? delay_sum / (double)delay_n * 1e3 : 0);
	for (int i = 0; i < O.threads; i++) {
		for (int j = 0; j < ws[i].n_pages; j++)
			PQfinish(ws[i].pages[j].conn);
		free(ws[i].pages);
		free(ws[i].lat);
	}
	free(ws);
	free(lat);
	for (size_t i = 0; i < O.n_slugs; i++)
		free(O.slugs[i]);
	free(O.slugs);
	return errors ? 1 : 0;
}
