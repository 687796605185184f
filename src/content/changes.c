/*
 * Which cached pages a change of an article makes stale, and the one way to
 * save an article: in one transaction with the log of those keys (which every
 * server follows), a job purging them from the caches in front and, for a
 * scheduled article, its publishing job.
 * Cache keys: article:ID on every page showing the article; section:ID,
 * author:ID, tag:ID on those lists; home.
 */
#include <stdio.h>
#include <string.h>

#include "content/content.h"

/* Ids of the sections whose lists every article can appear in. */
static void special_sections(struct mh_store *s, struct mh_arena *a, int64_t *latest, int64_t *picks)
{
	struct mh_section *secs = NULL;
	size_t n = 0;
	*latest = *picks = 0;
	if (mh_store_sections(s, a, &secs, &n) != MH_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		if (secs[i].kind == MH_SECTION_LATEST)
			*latest = secs[i].id;
		else if (secs[i].kind == MH_SECTION_PICKS)
			*picks = secs[i].id;
	}
}

static void add_key(struct mh_buf *keys, const char *kind, int64_t id)
{
	if (keys->len > 0)
		mh_buf_append_ch(keys, ' ');
	if (id == 0)
		mh_buf_append_c(keys, kind);
	else
		mh_buf_printf(keys, "%s:%lld", kind, (long long)id);
}

/* The keys of the lists one state of an article belongs to. */
static enum mh_store_rc state_keys(struct mh_store *s, struct mh_arena *a, const struct mh_article *art,
				   int64_t picks, struct mh_buf *keys)
{
	add_key(keys, "section", art->section_id);
	if (art->staff_pick && picks != 0)
		add_key(keys, "section", picks);
	for (size_t i = 0; i < art->n_authors; i++)
		add_key(keys, "author", art->authors[i].id);
	for (size_t i = 0; i < art->n_tags; i++)
		add_key(keys, "tag", art->tags[i].id);
	if (art->status != MH_ARTICLE_PUBLISHED || art->published_at == 0)
		return MH_OK;
	/* The articles just newer than this one show it in their Continue
	 * Reading stream: when it arrives at this place, their pages change. */
	struct mh_article_query q = {
		.after_published_at = art->published_at,
		.after_id = art->id,
		.limit = MH_CONTENT_STREAM_BATCH,
	};
	struct mh_article *newer = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_articles(s, a, &q, &newer, &n);
	for (size_t i = 0; rc == MH_OK && i < n; i++)
		add_key(keys, "article", newer[i].id);
	return rc;
}

enum mh_store_rc mh_content_article_change_keys(struct mh_store *s, struct mh_arena *a, const struct mh_article *before,
					     const struct mh_article *after, struct mh_buf *keys)
{
	const struct mh_article *any = after != NULL ? after : before;
	MH_ASSERT(any != NULL);
	int64_t latest, picks;
	special_sections(s, a, &latest, &picks);
	/* every page that shows the article carries its key */
	add_key(keys, "article", any->id);
	add_key(keys, "home", 0);
	if (latest != 0)
		add_key(keys, "section", latest);
	enum mh_store_rc rc = MH_OK;
	if (before != NULL)
		rc = state_keys(s, a, before, picks, keys);
	if (rc == MH_OK && after != NULL)
		rc = state_keys(s, a, after, picks, keys);
	return rc;
}

/* The fields every save changes or that a concurrent writer's change
 * would show in (updated_at alone has one-second steps). */
static bool same_version(const struct mh_article *x, const struct mh_article *y)
{
	return x->updated_at == y->updated_at && x->status == y->status && x->published_at == y->published_at &&
	       x->section_id == y->section_id && x->staff_pick == y->staff_pick && strcmp(x->slug, y->slug) == 0 &&
	       strcmp(x->headline, y->headline) == 0 && strcmp(x->dek, y->dek) == 0 &&
	       strcmp(x->body_md, y->body_md) == 0;
}

int mh_content_article_commit(struct mh_store *s, struct mh_arena *a, const struct mh_article *before,
			      struct mh_article *art, struct mh_buf *err)
{
	enum mh_store_rc rc = mh_store_begin(s);
	if (rc != MH_OK) {
		mh_buf_printf(err, "the database is busy; try again");
		return 1;
	}
	struct mh_buf keys = MH_BUF_INIT;
	struct mh_article *after = NULL;
	if (before != NULL) {
		/* before was read outside this transaction: if another writer
		 * (an editor, a node's publishing job) saved the article since,
		 * this save would undo theirs — refuse instead */
		struct mh_article *now = NULL;
		rc = mh_store_article_lock(s, before->id);
		if (rc == MH_OK)
			rc = mh_store_article_by_id(s, a, before->id, &now);
		if (rc == MH_OK && !same_version(before, now)) {
			mh_buf_printf(err, "'%s' was changed by someone else since it was read; nothing was saved,"
				      " try again", before->slug);
			rc = MH_CONFLICT;
		}
	}
	if (rc == MH_OK)
		rc = mh_store_article_save(s, art, err);
	if (rc == MH_OK)
		rc = mh_store_article_by_id(s, a, art->id, &after);
	if (rc == MH_OK)
		rc = mh_content_article_change_keys(s, a, before, after, &keys);
	if (rc == MH_OK)
		rc = mh_store_change_add(s, mh_buf_str(&keys));
	/* The caches in front (Varnish, a CDN) drop the same keys, through the
	 * queue so that a target that is down gets the purge later. Queued for
	 * every change even when no [purge] target is set: this function does
	 * not know the site's settings (the writer may be a CLI process, a
	 * node, a job), the node that runs the job reads them, and a job
	 * without targets ends at once (done jobs are pruned after a day). */
	if (rc == MH_OK)
		rc = mh_store_job_add(s, "purge", mh_buf_str(&keys), mh_time_now(), NULL, NULL);
	if (rc == MH_OK && after->status == MH_ARTICLE_SCHEDULED) {
		/* the queue runs it at publish time, once, on whichever node */
		char payload[32], dedupe[48];
		snprintf(payload, sizeof(payload), "%lld", (long long)after->id);
		snprintf(dedupe, sizeof(dedupe), "publish:%lld", (long long)after->id);
		rc = mh_store_job_add(s, "publish", mh_str_c(payload), after->published_at, dedupe, NULL);
	}
	if (rc == MH_OK)
		rc = mh_store_commit(s);
	else
		mh_store_rollback(s);
	mh_buf_free(&keys);
	if (rc != MH_OK) {
		if (err->len == 0)
			mh_buf_printf(err, "saving failed (%s)", rc == MH_UNAVAILABLE ? "database busy" : "database error");
		return 1;
	}
	return 0;
}
