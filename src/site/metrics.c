/*
 * site/metrics.c: the counters behind /metrics, kept per worker thread so
 * that counting takes no lock and shares no cache line: each worker writes
 * only its own slot (a relaxed atomic load and store, which compile to plain
 * moves), and a scrape adds the slots up. Written out in Prometheus' text
 * exposition format (version 0.0.4).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "site/site.h"

#define MAX_ROUTES 200 /* rows of routes.c, plus "other": room for the features to come */
#define N_CLASSES 5   /* 1xx .. 5xx */

/* Upper bounds of the latency histogram's buckets, in microseconds. */
static const int64_t bucket_us[] = { 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000 };
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

typedef _Atomic uint64_t counter;

struct slot {
	counter requests[MAX_ROUTES][N_CLASSES];
	counter buckets[N_BUCKETS + 1]; /* not cumulative; the last is +Inf */
	counter duration_us, bytes;
	counter cache_hits, cache_misses;
	counter db_unavailable, db_error;
	counter statements[MAX_ROUTES]; /* database statements pages ran */
} __attribute__((aligned(64)));

struct mh_site_metrics {
	int threads;
	struct slot *slots;
	int64_t started; /* unix seconds */
};

/* Only the slot's own thread writes it: no read-modify-write needed. */
static void bump(counter *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

static uint64_t sum(const struct mh_site_metrics *m, size_t offset)
{
	uint64_t t = 0;
	for (int i = 0; i < m->threads; i++)
		t += atomic_load_explicit((counter *)((char *)&m->slots[i] + offset), memory_order_relaxed);
	return t;
}
#define SUM(m, field) sum((m), offsetof(struct slot, field))

struct mh_site_metrics *mh_site_metrics_new(int threads)
{
	MH_ASSERT(mh_site_route_count() + 1 <= MAX_ROUTES);
	struct mh_site_metrics *m = calloc(1, sizeof(*m));
	MH_ASSERT(m != NULL);
	m->threads = threads;
	m->slots = aligned_alloc(64, sizeof(struct slot) * (size_t)threads);
	MH_ASSERT(m->slots != NULL);
	memset(m->slots, 0, sizeof(struct slot) * (size_t)threads);
	m->started = mh_time_now();
	return m;
}

void mh_site_metrics_free(struct mh_site_metrics *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

void mh_site_metrics_response(struct mh_site_metrics *m, const struct mh_request *req, int status, size_t bytes,
			      int64_t us)
{
	MH_ASSERT(req->worker >= 0 && req->worker < m->threads);
	struct slot *s = &m->slots[req->worker];
	int route = req->route > 0 && (size_t)req->route <= mh_site_route_count() ? req->route : 0;
	int cls = status / 100;
	cls = cls < 1 ? 1 : cls > 5 ? 5 : cls;
	bump(&s->requests[route][cls - 1], 1);
	size_t b = 0;
	while (b < N_BUCKETS && us > bucket_us[b])
		b++;
	bump(&s->buckets[b], 1);
	bump(&s->duration_us, us > 0 ? (uint64_t)us : 0);
	bump(&s->bytes, bytes);
	if (req->cache_hit)
		bump(&s->cache_hits, 1);
	else if (req->cache_miss)
		bump(&s->cache_misses, 1);
}

void mh_site_metrics_db_error(struct mh_site_metrics *m, int worker, enum mh_store_rc rc)
{
	MH_ASSERT(worker >= 0 && worker < m->threads);
	bump(rc == MH_UNAVAILABLE ? &m->slots[worker].db_unavailable : &m->slots[worker].db_error, 1);
}

void mh_site_metrics_statements(struct mh_site_metrics *m, const struct mh_request *req, uint64_t n)
{
	MH_ASSERT(req->worker >= 0 && req->worker < m->threads);
	int route = req->route > 0 && (size_t)req->route <= mh_site_route_count() ? req->route : 0;
	bump(&m->slots[req->worker].statements[route], n);
}

static void help(struct mh_buf *b, const char *name, const char *type, const char *text)
{
	mh_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

void mh_site_metrics_write(const struct mh_site_metrics *m, struct mh_buf *b, const struct mh_site_metrics_extra *x)
{
	help(b, "masthead_http_requests_total", "counter",
	     "Requests answered, by route (the route table's prefix, or other) and status class.");
	size_t nroutes = mh_site_route_count();
	for (size_t r = 0; r <= nroutes; r++) {
		const char *name = r == 0 ? "other" : mh_site_route_name(r);
		for (int c = 1; c < N_CLASSES; c++) {
			uint64_t n = sum(m, offsetof(struct slot, requests) + (r * N_CLASSES + (size_t)c) * sizeof(counter));
			mh_buf_printf(b, "masthead_http_requests_total{route=\"%s\",status=\"%dxx\"} %llu\n", name, c + 1,
				      (unsigned long long)n);
		}
	}

	help(b, "masthead_http_request_duration_seconds", "histogram",
	     "Time from a request's arrival to the start of its response.");
	uint64_t cum = 0;
	for (size_t i = 0; i <= N_BUCKETS; i++) {
		cum += sum(m, offsetof(struct slot, buckets) + i * sizeof(counter));
		if (i < N_BUCKETS)
			mh_buf_printf(b, "masthead_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
				      (double)bucket_us[i] / 1e6, (unsigned long long)cum);
		else
			mh_buf_printf(b, "masthead_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
				      (unsigned long long)cum);
	}
	mh_buf_printf(b, "masthead_http_request_duration_seconds_sum %.6f\n", (double)SUM(m, duration_us) / 1e6);
	mh_buf_printf(b, "masthead_http_request_duration_seconds_count %llu\n", (unsigned long long)cum);

	help(b, "masthead_http_response_bytes_total", "counter", "Response body bytes sent.");
	mh_buf_printf(b, "masthead_http_response_bytes_total %llu\n", (unsigned long long)SUM(m, bytes));

	help(b, "masthead_page_cache_hits_total", "counter", "Requests answered from the page cache.");
	mh_buf_printf(b, "masthead_page_cache_hits_total %llu\n", (unsigned long long)SUM(m, cache_hits));
	help(b, "masthead_page_cache_misses_total", "counter", "Requests for cacheable pages that had to be rendered.");
	mh_buf_printf(b, "masthead_page_cache_misses_total %llu\n", (unsigned long long)SUM(m, cache_misses));
	help(b, "masthead_page_cache_bytes", "gauge", "Memory held by cached pages (all encodings).");
	mh_buf_printf(b, "masthead_page_cache_bytes %llu\n", (unsigned long long)x->cache_bytes);
	help(b, "masthead_page_cache_pages", "gauge", "Pages in the page cache.");
	mh_buf_printf(b, "masthead_page_cache_pages %llu\n", (unsigned long long)x->cache_pages);

	help(b, "masthead_db_errors_total", "counter",
	     "Requests whose database work failed: unavailable (down, busy) or error.");
	mh_buf_printf(b, "masthead_db_errors_total{kind=\"unavailable\"} %llu\n",
		      (unsigned long long)SUM(m, db_unavailable));
	mh_buf_printf(b, "masthead_db_errors_total{kind=\"error\"} %llu\n", (unsigned long long)SUM(m, db_error));

	help(b, "masthead_db_statements_total", "counter",
	     "Database statements run to make pages (not answered from the page cache), by route.");
	for (size_t r = 0; r <= nroutes; r++)
		mh_buf_printf(b, "masthead_db_statements_total{route=\"%s\"} %llu\n", r == 0 ? "other" : mh_site_route_name(r),
			      (unsigned long long)sum(m, offsetof(struct slot, statements) + r * sizeof(counter)));

	if (x->jobs_known) {
		help(b, "masthead_jobs", "gauge", "Jobs in the shared queue, by state (queued is the queue's depth).");
		for (int st = MH_JOB_QUEUED; st <= MH_JOB_PARKED; st++)
			mh_buf_printf(b, "masthead_jobs{state=\"%s\"} %lld\n", mh_job_state_name((enum mh_job_state)st),
				      (long long)x->jobs[st]);
		help(b, "masthead_jobs_retrying", "gauge", "Queued jobs whose last attempt failed.");
		mh_buf_printf(b, "masthead_jobs_retrying %lld\n", (long long)x->jobs_retrying);
	}
	help(b, "masthead_database_up", "gauge", "1 if the database answered this scrape's queries.");
	mh_buf_printf(b, "masthead_database_up %d\n", x->jobs_known ? 1 : 0);
	help(b, "process_start_time_seconds", "gauge", "When the server started (unix seconds).");
	mh_buf_printf(b, "process_start_time_seconds %lld\n", (long long)m->started);
}
