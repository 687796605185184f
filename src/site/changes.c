/*
 * Following the change log: every committed change names the cache keys it
 * made stale (content/changes.c); each server reads the log and drops those
 * pages within a quarter of a second.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "site/site.h"

/* ---- following the change log ---- */

struct mh_site_watch {
	struct mh_site *site;
	struct mh_store *store;
	pthread_t thread;
	atomic_bool stop;
	int64_t cursor;
	int interval_ms;
};

#define WATCH_BATCH 256
#define WATCH_KEEP_SECONDS (24 * 3600)

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Applies everything logged since the cursor; returns how many entries. */
size_t mh_site_watch_poll(struct mh_site_watch *w)
{
	size_t total = 0;
	for (;;) {
		struct mh_arena *a = mh_arena_new();
		struct mh_change *c = NULL;
		size_t n = 0;
		enum mh_store_rc rc = mh_store_changes_since(w->store, a, w->cursor, WATCH_BATCH, &c, &n);
		if (rc != MH_OK)
			mh_log(MH_LOG_WARN, "change log: cannot read it (will retry)");
		for (size_t i = 0; i < n; i++) {
			mh_site_invalidate(w->site, mh_str_c(c[i].keys));
			w->cursor = c[i].id;
		}
		mh_arena_free(a);
		total += n;
		if (rc != MH_OK || n < WATCH_BATCH)
			return total;
	}
}

static void *watch_main(void *arg)
{
	struct mh_site_watch *w = arg;
	int64_t last_prune = 0;
	while (!atomic_load(&w->stop)) {
		/* short naps, so that stopping never waits a whole interval */
		for (int slept = 0; slept < w->interval_ms && !atomic_load(&w->stop); slept += 50)
			sleep_ms(w->interval_ms - slept < 50 ? w->interval_ms - slept : 50);
		if (atomic_load(&w->stop))
			break;
		mh_site_watch_poll(w);
		int64_t now = mh_time_now();
		if (now - last_prune > 3600) {
			last_prune = now;
			mh_store_changes_prune(w->store, now - WATCH_KEEP_SECONDS);
		}
	}
	return NULL;
}

struct mh_site_watch *mh_site_watch_start(struct mh_site *site, int interval_ms, struct mh_buf *err)
{
	const struct mh_config *cfg = mh_site_config(site);
	struct mh_site_watch *w = calloc(1, sizeof(*w));
	MH_ASSERT(w != NULL);
	w->site = site;
	w->interval_ms = interval_ms;
	if (mh_store_open(cfg->database, cfg->dir, false, &w->store, err) != MH_OK ||
	    mh_store_change_last(w->store, &w->cursor) != MH_OK) {
		if (err->len == 0)
			mh_buf_append_c(err, "cannot read the change log");
		if (w->store != NULL)
			mh_store_close(w->store);
		free(w);
		return NULL;
	}
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		mh_buf_append_c(err, "cannot start the change-log thread");
		mh_store_close(w->store);
		free(w);
		return NULL;
	}
	return w;
}

void mh_site_watch_stop(struct mh_site_watch *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	mh_store_close(w->store);
	free(w);
}
