/*
 * Redirects (issue 9) on the serving side: the node's table of rules
 * (content/redirects.c), swapped whole when the change log says the rules
 * changed, and the answer where a page would be a 404. A found page never
 * looks here; a miss costs a lookup in memory, no query.
 */
#include <pthread.h>
#include <stdlib.h>

#include "site/site.h"

struct mh_site_redirects {
	pthread_mutex_t mu; /* guards t: taking a reference, swapping */
	struct mh_redirects *t;
};

struct mh_site_redirects *mh_site_redirects_new(void)
{
	struct mh_site_redirects *sr = calloc(1, sizeof(*sr));
	MH_ASSERT(sr != NULL);
	pthread_mutex_init(&sr->mu, NULL);
	return sr;
}

void mh_site_redirects_free(struct mh_site_redirects *sr)
{
	if (sr == NULL)
		return;
	mh_redirects_release(sr->t);
	pthread_mutex_destroy(&sr->mu);
	free(sr);
}

enum mh_store_rc mh_site_redirects_reload(struct mh_site *s, struct mh_store *st)
{
	struct mh_redirects *t = NULL;
	enum mh_store_rc rc = mh_redirects_load(st, &t);
	if (rc != MH_OK)
		return rc;
	struct mh_site_redirects *sr = mh_site_redirects_of(s);
	pthread_mutex_lock(&sr->mu);
	struct mh_redirects *old = sr->t;
	sr->t = t;
	pthread_mutex_unlock(&sr->mu);
	mh_redirects_release(old); /* freed once the last request holding it is done */
	return MH_OK;
}

size_t mh_site_redirects_count(struct mh_site *s)
{
	struct mh_site_redirects *sr = mh_site_redirects_of(s);
	pthread_mutex_lock(&sr->mu);
	size_t n = mh_redirects_count(sr->t);
	pthread_mutex_unlock(&sr->mu);
	return n;
}

bool mh_site_redirect(struct mh_site_req *r)
{
	struct mh_site_redirects *sr = mh_site_redirects_of(r->site);
	pthread_mutex_lock(&sr->mu);
	struct mh_redirects *t = sr->t;
	mh_redirects_hold(t);
	pthread_mutex_unlock(&sr->mu);
	if (t == NULL)
		return false;
	struct mh_buf to = MH_BUF_INIT;
	int status = 0;
	bool found = mh_redirects_find(t, r->http->path, r->http->query, &to, &status);
	mh_redirects_release(t);
	if (found) {
		struct mh_str loc = mh_arena_str(r->a, mh_buf_str(&to));
		mh_response_header(r->http, "location", loc);
		/* a permanent move may be kept by caches in front for a while;
		 * a temporary one never */
		mh_response_header_c(r->http, "cache-control", status == 301 ? "public, max-age=300" : "no-store");
		mh_buf_reset(&r->body);
		mh_buf_append_c(&r->body, "<!doctype html><title>Moved</title><a href=\"");
		mh_escape_attr(&r->body, loc);
		mh_buf_append_c(&r->body, "\">Moved here</a>");
		mh_response_send(r->http, status, "text/html; charset=utf-8", mh_buf_str(&r->body));
	}
	mh_buf_free(&to);
	return found;
}
