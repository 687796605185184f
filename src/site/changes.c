/*
 * Following the change log: every committed change names the cache keys it
 * made stale (content/changes.c); each server reads the log and drops those
 * pages. The watcher waits on mh_store_changes_wait (PostgreSQL: LISTEN, woken
 * by the NOTIFY of each commit on any node; SQLite: a nap) up to interval_ms,
 * then reads the log from its cursor. When its connection was lost, the node
 * may have missed changes: once it is back, the whole page cache is dropped
 * and the watcher goes on from the log's end.
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
	bool lost; /* the database went away; drop everything when it is back */
};

#define WATCH_BATCH 256
#define WATCH_KEEP_SECONDS (24 * 3600)

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Whether a change's keys name key (a whole word). */
static bool names_key(const char *keys, const char *key)
{
	size_t kn = strlen(key);
	for (const char *p = keys; (p = strstr(p, key)) != NULL; p += kn)
		if ((p == keys || p[-1] == ' ') && (p[kn] == ' ' || p[kn] == '\0'))
			return true;
	return false;
}

static bool names_site_key(const char *keys)
{
	return names_key(keys, MH_CONTENT_SITE_KEY);
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
		if (rc != MH_OK && !w->lost)
			mh_log(MH_LOG_WARN, "change log: cannot read it (will retry)");
		if (rc == MH_UNAVAILABLE)
			w->lost = true;
		size_t applied = 0;
		for (size_t i = 0; i < n; i++) {
			/* issue 9: the redirect rules changed: load them again
			 * (retried with the entry when it fails) */
			if (names_key(c[i].keys, MH_CONTENT_REDIRECTS_KEY)) {
				enum mh_store_rc rrc = mh_site_redirects_reload(w->site, w->store);
				if (rrc != MH_OK) {
					mh_log(MH_LOG_WARN, "change log: cannot read the redirects (will retry)");
					if (rrc == MH_UNAVAILABLE)
						w->lost = true;
					rc = rrc;
					break;
				}
			}
			if (names_site_key(c[i].keys)) {
				/* the site settings changed: read them again (this
				 * drops every page); a failure is retried with the
				 * entry, as a lost connection is */
				enum mh_store_rc src = mh_site_settings_reload(w->site, w->store);
				if (src != MH_OK) {
					mh_log(MH_LOG_WARN, "change log: cannot read the site settings (will retry)");
					if (src == MH_UNAVAILABLE)
						w->lost = true;
					rc = src;
					break;
				}
			} else {
				mh_site_invalidate(w->site, mh_str_c(c[i].keys));
			}
			w->cursor = c[i].id;
			applied++;
		}
		mh_arena_free(a);
		total += applied;
		if (rc != MH_OK || n < WATCH_BATCH)
			return total;
	}
}

/* Back after losing the database: changes may have been missed, so every
 * cached page goes, and the log is followed from its end. */
static bool recover(struct mh_site_watch *w)
{
	int64_t last = 0;
	if (mh_store_change_last(w->store, &last) != MH_OK)
		return false;
	/* a settings change may be among the missed ones: read them again
	 * (which drops every page) */
	if (mh_site_settings_reload(w->site, w->store) != MH_OK)
		return false;
	if (mh_site_redirects_reload(w->site, w->store) != MH_OK) /* issue 9 */
		return false;
	w->cursor = last;
	w->lost = false;
	mh_log(MH_LOG_INFO, "change log: database back; page cache dropped (changes may have been missed)");
	return true;
}

static void *watch_main(void *arg)
{
	struct mh_site_watch *w = arg;
	int64_t last_prune = 0;
	while (!atomic_load(&w->stop)) {
		/* waits of at most 250 ms, so that stopping never waits long */
		int left = w->interval_ms;
		while (left > 0 && !atomic_load(&w->stop)) {
			int step = left < 250 ? left : 250;
			enum mh_store_rc rc = mh_store_changes_wait(w->store, step);
			if (rc == MH_UNAVAILABLE) {
				if (!w->lost)
					mh_log(MH_LOG_WARN, "change log: database connection lost (reconnecting)");
				w->lost = true;
			} else if (rc != MH_OK) {
				sleep_ms(step); /* never spin */
			} else {
				break; /* woken (or the nap is over): read the log */
			}
			left -= step;
		}
		if (atomic_load(&w->stop))
			break;
		if (w->lost && !recover(w))
			continue;
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
	struct mh_site_watch *w = calloc(1, sizeof(*w));
	MH_ASSERT(w != NULL);
	w->site = site;
	w->interval_ms = interval_ms;
	/* the cursor first: a settings change logged after it is read again */
	if (mh_site_store_open(site, &w->store, err) != MH_OK ||
	    mh_store_change_last(w->store, &w->cursor) != MH_OK ||
	    mh_site_settings_reload(site, w->store) != MH_OK ||
	    mh_site_redirects_reload(site, w->store) != MH_OK) { /* issue 9 */
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
