/*
 * audience/trending.c: Trending, the most-read published articles now
 * (issue 8), and its [trending] section of site.ini.
 *
 * The ranking is the store's (mh_store_trending: reads of the last
 * window_hours hours, each hour's weighed by 0.5^(age / half_life), ties to
 * the newer article); one query gives every section's best, and the site's
 * own list is the best of those (an article among the site's best N is
 * among its section's best N). A thread of this module, with a database
 * connection of its own, runs it every interval seconds and swaps the
 * result in whole: a snapshot is an arena holding every string and array,
 * reference-counted, so a page being rendered keeps the one it took while
 * a newer one is published. Readers take the lock only to copy the pointer
 * and count their hold; the query and the building run outside it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audience/audience.h"

#define F(field) offsetof(struct mh_trending_settings, field)
static const struct mh_setting rows[] = {
	{ .key = "interval", .type = MH_SETTING_INT, .offset = F(interval_s), .min = 1, .max = 60, .def = "60",
	  .comment = "seconds between recomputations of the Trending lists on each node (at most 60)" },
	{ .key = "half_life_hours", .type = MH_SETTING_INT, .offset = F(half_life_hours), .min = 1, .max = 168,
	  .def = "12", .comment = "a read this many hours old weighs half as much as one now" },
	{ .key = "window_hours", .type = MH_SETTING_INT, .offset = F(window_hours), .min = 1, .max = 48, .def = "48",
	  .comment = "reads older than this many hours do not count toward Trending" },
};
#undef F

const struct mh_settings_table mh_trending_settings_table =
	MH_SETTINGS_TABLE("trending", NULL, rows, struct mh_trending_settings);

struct snapshot {
	struct mh_trending_snapshot pub; /* first: a held pointer is this */
	atomic_int refs;
	struct mh_arena *arena;
};

struct mh_trending {
	struct mh_trending_settings set;
	struct mh_store *store; /* the thread's (and mh_trending_recompute's) */
	pthread_mutex_t compute_mu; /* one recomputation at a time; guards store */
	pthread_mutex_t snap_mu;    /* guards cur: held for a pointer copy only */
	struct snapshot *cur;
	void (*changed)(void *ctx);
	void *changed_ctx;
	pthread_t thread;
	bool started;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	bool stop;
};

static struct snapshot *snapshot_new(void)
{
	struct snapshot *s = calloc(1, sizeof *s);
	MH_ASSERT(s != NULL);
	s->arena = mh_arena_new();
	atomic_init(&s->refs, 1);
	return s;
}

static void snapshot_release(struct snapshot *s)
{
	if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1) {
		mh_arena_free(s->arena);
		free(s);
	}
}

const struct mh_trending_snapshot *mh_trending_get(struct mh_trending *t)
{
	pthread_mutex_lock(&t->snap_mu);
	struct snapshot *s = t->cur;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&t->snap_mu);
	return &s->pub;
}

void mh_trending_release(const struct mh_trending_snapshot *snap)
{
	if (snap != NULL)
		snapshot_release((struct snapshot *)(void *)snap);
}

const struct mh_trending_section *mh_trending_section_by_slug(const struct mh_trending_snapshot *snap,
							      struct mh_str slug)
{
	for (size_t i = 0; i < snap->n_sections; i++)
		if (mh_str_eq_c(slug, snap->sections[i].slug))
			return &snap->sections[i];
	return NULL;
}

const struct mh_trending_section *mh_trending_section_by_id(const struct mh_trending_snapshot *snap, int64_t id)
{
	for (size_t i = 0; i < snap->n_sections; i++)
		if (snap->sections[i].section_id == id)
			return &snap->sections[i];
	return NULL;
}

static void item_from_row(struct mh_trending_item *it, const struct mh_trending_row *row, int rank)
{
	*it = (struct mh_trending_item){
		.article_id = row->article_id,
		.slug = row->slug,
		.headline = row->headline,
		.published_at = row->published_at,
		.section_id = row->section_id,
		.views = row->views,
		.score = row->score,
		.rank = rank,
	};
}

/* What a reader sees of two lists is the same: the articles, their order
 * and their read counts. */
static bool same_items(const struct mh_trending_item *a, size_t na, const struct mh_trending_item *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].article_id != b[i].article_id || a[i].views != b[i].views ||
		    strcmp(a[i].headline, b[i].headline) != 0 || strcmp(a[i].slug, b[i].slug) != 0)
			return false;
	return true;
}

static bool same_lists(const struct mh_trending_snapshot *a, const struct mh_trending_snapshot *b)
{
	if (!same_items(a->top, a->n_top, b->top, b->n_top) || a->n_sections != b->n_sections)
		return false;
	for (size_t i = 0; i < a->n_sections; i++) {
		const struct mh_trending_section *x = &a->sections[i], *y = &b->sections[i];
		if (x->section_id != y->section_id || strcmp(x->slug, y->slug) != 0 || strcmp(x->name, y->name) != 0 ||
		    !same_items(x->items, x->n, y->items, y->n))
			return false;
	}
	return true;
}

/* Builds the next snapshot from the database into s. */
static enum mh_store_rc build(struct mh_trending *t, struct snapshot *s)
{
	struct mh_arena *a = s->arena;
	struct mh_section *secs = NULL;
	size_t n_secs = 0;
	struct mh_trending_row *rows_ = NULL;
	size_t n = 0;
	int64_t now = mh_time_now();
	enum mh_store_rc rc = mh_store_sections(t->store, a, &secs, &n_secs);
	if (rc == MH_OK)
		rc = mh_store_trending(t->store, a, now, t->set.window_hours, t->set.half_life_hours, MH_TRENDING_MAX,
				       &rows_, &n);
	if (rc != MH_OK)
		return rc;
	/* rows come best first: the site's list is their head */
	size_t n_top = n < MH_TRENDING_MAX ? n : MH_TRENDING_MAX;
	struct mh_trending_item *top = MH_NEW_ARRAY(a, struct mh_trending_item, n_top + 1);
	for (size_t i = 0; i < n_top; i++)
		item_from_row(&top[i], &rows_[i], (int)i + 1);
	struct mh_trending_section *sections = MH_NEW_ARRAY(a, struct mh_trending_section, n_secs + 1);
	for (size_t k = 0; k < n_secs; k++) {
		struct mh_trending_section *sec = &sections[k];
		sec->section_id = secs[k].id;
		sec->slug = secs[k].slug;
		sec->name = secs[k].name;
		size_t count = 0;
		for (size_t i = 0; i < n; i++)
			count += rows_[i].section_id == secs[k].id;
		struct mh_trending_item *items = MH_NEW_ARRAY(a, struct mh_trending_item, count + 1);
		size_t j = 0;
		for (size_t i = 0; i < n && j < MH_TRENDING_MAX; i++)
			if (rows_[i].section_id == secs[k].id) {
				item_from_row(&items[j], &rows_[i], (int)j + 1);
				j++;
			}
		sec->items = items;
		sec->n = j;
	}
	s->pub.computed_at = now;
	s->pub.top = top;
	s->pub.n_top = n_top;
	s->pub.sections = sections;
	s->pub.n_sections = n_secs;
	return MH_OK;
}

enum mh_store_rc mh_trending_recompute(struct mh_trending *t, bool *changed)
{
	*changed = false;
	pthread_mutex_lock(&t->compute_mu);
	struct snapshot *s = snapshot_new();
	enum mh_store_rc rc = build(t, s);
	if (rc != MH_OK) {
		pthread_mutex_unlock(&t->compute_mu);
		snapshot_release(s);
		return rc;
	}
	/* only this function replaces cur, under compute_mu: reading it here
	 * needs no hold */
	struct snapshot *old = t->cur;
	*changed = old->pub.computed_at == 0 || !same_lists(&old->pub, &s->pub);
	s->pub.version = old->pub.version + (*changed ? 1 : 0);
	pthread_mutex_lock(&t->snap_mu);
	t->cur = s;
	pthread_mutex_unlock(&t->snap_mu);
	snapshot_release(old);
	void (*fn)(void *) = t->changed;
	void *ctx = t->changed_ctx;
	pthread_mutex_unlock(&t->compute_mu);
	if (*changed && fn != NULL)
		fn(ctx);
	return MH_OK;
}

void mh_trending_listen(struct mh_trending *t, void (*changed)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&t->compute_mu);
	t->changed = changed;
	t->changed_ctx = ctx;
	pthread_mutex_unlock(&t->compute_mu);
}

static void *recompute_main(void *arg)
{
	struct mh_trending *t = arg;
	enum mh_store_rc last = MH_OK;
	pthread_mutex_lock(&t->stop_mu);
	while (!t->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += t->set.interval_s;
		while (!t->stop && pthread_cond_timedwait(&t->stop_cv, &t->stop_mu, &until) == 0)
			;
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->stop_mu);
		bool changed;
		enum mh_store_rc rc = mh_trending_recompute(t, &changed);
		/* logged once per outage, not every interval; the lists stay
		 * the last ones computed meanwhile */
		if (rc != MH_OK && last == MH_OK)
			mh_log(MH_LOG_ERROR, "trending: the lists could not be recomputed (%s); the last ones stay",
			       rc == MH_UNAVAILABLE ? "database not answering" : "database error");
		else if (rc == MH_OK && last != MH_OK)
			mh_log(MH_LOG_INFO, "trending: recomputed again");
		last = rc;
		pthread_mutex_lock(&t->stop_mu);
	}
	pthread_mutex_unlock(&t->stop_mu);
	return NULL;
}

struct mh_trending *mh_trending_start(const struct mh_trending_settings *set, const char *url,
				      const char *site_dir, struct mh_buf *err)
{
	struct mh_trending *t = calloc(1, sizeof *t);
	MH_ASSERT(t != NULL);
	t->set = *set;
	t->cur = snapshot_new();
	pthread_mutex_init(&t->compute_mu, NULL);
	pthread_mutex_init(&t->snap_mu, NULL);
	pthread_mutex_init(&t->stop_mu, NULL);
	pthread_cond_init(&t->stop_cv, NULL);
	struct mh_buf why = MH_BUF_INIT;
	if (mh_store_open(url, site_dir, false, &t->store, &why) != MH_OK) {
		mh_buf_printf(err, "trending: %s", mh_buf_cstr(&why));
		mh_buf_free(&why);
		mh_trending_stop(t);
		return NULL;
	}
	mh_buf_free(&why);
	bool changed;
	enum mh_store_rc rc = mh_trending_recompute(t, &changed);
	if (rc != MH_OK) /* the thread tries again; the lists are empty meanwhile */
		mh_log(MH_LOG_ERROR, "trending: the first computation failed (%s); trying again in %d s",
		       rc == MH_UNAVAILABLE ? "database not answering" : "database error", set->interval_s);
	if (pthread_create(&t->thread, NULL, recompute_main, t) != 0) {
		mh_buf_printf(err, "trending: cannot start its thread");
		mh_trending_stop(t);
		return NULL;
	}
	t->started = true;
	return t;
}

void mh_trending_stop(struct mh_trending *t)
{
	if (t == NULL)
		return;
	if (t->started) {
		pthread_mutex_lock(&t->stop_mu);
		t->stop = true;
		pthread_cond_signal(&t->stop_cv);
		pthread_mutex_unlock(&t->stop_mu);
		pthread_join(t->thread, NULL);
	}
	snapshot_release(t->cur);
	mh_store_close(t->store);
	pthread_mutex_destroy(&t->compute_mu);
	pthread_mutex_destroy(&t->snap_mu);
	pthread_mutex_destroy(&t->stop_mu);
	pthread_cond_destroy(&t->stop_cv);
	free(t);
}
