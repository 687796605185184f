/*
 * site/ops.c: the addresses for operators and their tools.
 *   /healthz  200 "ok" while the process serves (a liveness probe)
 *   /readyz   200 when the database answers a trivial query, else 503
 *             (a readiness probe: take the node out of the balancer)
 *   /metrics  Prometheus' text format (metrics.c), only to the addresses in
 *             [server] metrics_allow (loopback by default); 404 to others,
 *             the same answer as for an address that does not exist
 * None of them is ever cached, here or in front.
 */
#include <sys/socket.h>

#include "site/site.h"

static void send_text(struct mh_site_req *r, int status, struct mh_str body)
{
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_send(r->http, status, "text/plain; charset=utf-8", body);
}

void mh_site_healthz(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	send_text(r, 200, MH_STR("ok\n"));
}

void mh_site_readyz(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_store *st = mh_site_store(r);
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc rc = st != NULL ? mh_store_ping(st, &err) : MH_UNAVAILABLE;
	mh_buf_free(&err);
	if (rc != MH_OK) {
		mh_site_metrics_db_error(mh_site_metrics(r->site), r->http->worker, rc);
		mh_response_header_c(r->http, "retry-after", "5");
		send_text(r, 503, MH_STR("database not answering\n"));
		return;
	}
	send_text(r, 200, MH_STR("ready\n"));
}

void mh_site_metrics_page(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct sockaddr_storage peer;
	const struct mh_config *cfg = mh_site_config(r->site);
	if (!mh_request_peer(r->http, &peer) || !mh_addr_list_match(cfg->metrics_allow, (struct sockaddr *)&peer)) {
		mh_response_header_c(r->http, "cache-control", "no-store");
		mh_response_error(r->http, 404, "There is no page at this address.");
		return;
	}
	struct mh_site_metrics_extra x = { 0 };
	struct mh_cache *cache = mh_site_cache(r->site);
	if (cache != NULL) {
		struct mh_cache_stats cs;
		mh_cache_stats(cache, &cs);
		x.cache_bytes = cs.bytes;
		x.cache_pages = cs.pages;
	}
	struct mh_store *st = mh_site_store(r);
	enum mh_store_rc rc = st != NULL ? mh_store_job_counts(st, x.jobs, &x.jobs_retrying) : MH_UNAVAILABLE;
	x.jobs_known = rc == MH_OK;
	if (rc != MH_OK)
		mh_site_metrics_db_error(mh_site_metrics(r->site), r->http->worker, rc);
	struct mh_buf b = MH_BUF_INIT;
	mh_site_metrics_write(mh_site_metrics(r->site), &b, &x);
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_send(r->http, 200, "text/plain; version=0.0.4; charset=utf-8", mh_buf_str(&b));
	mh_buf_free(&b);
}

void mh_site_on_response(struct mh_request *req, int status, size_t bytes, int64_t us, void *ctx)
{
	mh_site_metrics_response(mh_site_metrics(ctx), req, status, bytes, us);
}
