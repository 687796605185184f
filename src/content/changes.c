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
	return mh_content_article_save(s, a, before, art, NULL, err);
}

/* A save refused as stale: its text is kept as a conflict revision (after
 * the refused transaction is gone), and sv learns what won. */
static void keep_conflict(struct mh_store *s, const struct mh_article *art, int64_t latest, int64_t updated_at,
			  struct mh_content_save *sv, struct mh_buf *err)
{
	if (sv == NULL)
		return; /* the CLI and the jobs read again and retry: nothing typed */
	sv->conflict = true;
	sv->current_revision_id = latest;
	sv->current_updated_at = updated_at;
	struct mh_buf why = MH_BUF_INIT;
	if (mh_store_revision_keep_conflict(s, art, sv->note, &sv->conflict_revision_id, &why) != MH_OK) {
		sv->conflict_revision_id = 0;
		mh_buf_printf(err, "; and keeping this text as a revision failed too (%s): copy it before leaving",
			      mh_buf_cstr(&why));
	} else {
		mh_buf_printf(err, " (this text is kept as revision %lld)", (long long)sv->conflict_revision_id);
	}
	mh_buf_free(&why);
}

int mh_content_article_save(struct mh_store *s, struct mh_arena *a, const struct mh_article *before,
			    struct mh_article *art, struct mh_content_save *sv, struct mh_buf *err)
{
	if (sv != NULL) {
		sv->revision_id = sv->current_revision_id = sv->current_updated_at = sv->conflict_revision_id = 0;
		sv->conflict = false;
	}
	enum mh_store_rc rc = mh_store_begin(s);
	if (rc != MH_OK) {
		mh_buf_printf(err, "the database is busy; try again");
		return 1;
	}
	struct mh_buf keys = MH_BUF_INIT;
	struct mh_article *after = NULL;
	bool stale = false;
	int64_t latest = 0, stored_at = 0;
	int64_t checked = before != NULL ? before->id : art->id;
	if (checked != 0 && (before != NULL || (sv != NULL && sv->base_revision_id != 0))) {
		/* before was read outside this transaction (and the editor's
		 * text was based on base_revision_id): if another writer (an
		 * editor, a node's publishing job) saved the article since, this
		 * save would undo theirs — refuse instead */
		struct mh_article *now = NULL;
		rc = mh_store_article_lock(s, checked);
		if (rc == MH_OK)
			rc = mh_store_article_by_id(s, a, checked, &now);
		if (rc == MH_OK)
			rc = mh_store_revision_latest(s, checked, &latest);
		if (rc == MH_OK) {
			stored_at = now->updated_at;
			stale = (before != NULL && !same_version(before, now)) ||
				(sv != NULL && sv->base_revision_id != 0 && sv->base_revision_id != latest);
		}
		if (stale) {
			mh_buf_printf(err, "'%s' was changed by someone else since it was read; nothing was saved,"
				      " try again", now->slug);
			rc = MH_CONFLICT;
		}
	}
	int64_t revision = 0;
	if (rc == MH_OK)
		rc = mh_store_article_save_noted(s, art, sv != NULL ? sv->note : NULL, &revision, err);
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
	if (stale) {
		struct mh_article refused = *art;
		refused.id = checked;
		keep_conflict(s, &refused, latest, stored_at, sv, err);
		return 1;
	}
	if (rc != MH_OK) {
		if (err->len == 0)
			mh_buf_printf(err, "saving failed (%s)", rc == MH_UNAVAILABLE ? "database busy" : "database error");
		return 1;
	}
	if (sv != NULL)
		sv->revision_id = revision;
	return 0;
}

int mh_content_revision_restore(struct mh_store *s, struct mh_arena *a, int64_t article_id, int64_t revision_id,
				struct mh_content_save *sv, struct mh_buf *err)
{
	struct mh_revision *rev = NULL;
	struct mh_article *before = NULL;
	enum mh_store_rc rc = mh_store_revision_get(s, a, revision_id, &rev);
	if (rc == MH_NOT_FOUND) {
		mh_buf_printf(err, "revision: there is no revision %lld", (long long)revision_id);
		return 1;
	}
	if (rc == MH_OK && rev->article_id != article_id) {
		mh_buf_printf(err, "revision: %lld is a revision of another article", (long long)revision_id);
		return 1;
	}
	if (rc == MH_OK)
		rc = mh_store_article_by_id(s, a, article_id, &before);
	if (rc == MH_NOT_FOUND) {
		mh_buf_printf(err, "id: no article with id %lld", (long long)article_id);
		return 1;
	}
	if (rc != MH_OK) {
		mh_buf_printf(err, "the database did not answer");
		return 1;
	}
	struct mh_article *art = MH_NEW(a, struct mh_article);
	*art = *before; /* keeps id, status, publication time, staff pick, views */
	const struct mh_article *old = &rev->state;
	art->slug = old->slug;
	art->headline = old->headline;
	art->dek = old->dek;
	art->body_md = old->body_md;
	art->section_id = old->section_id;
	art->section = old->section;
	art->authors = old->authors;
	art->n_authors = old->n_authors;
	/* each tag once, and none removed since (a revision from before a merge
	 * names the merged tag, so two entries can be one tag now) */
	art->tags = MH_NEW_ARRAY(a, struct mh_tag, old->n_tags + 1);
	art->n_tags = 0;
	for (size_t i = 0; i < old->n_tags; i++) {
		bool seen = old->tags[i].name == NULL || old->tags[i].name[0] == '\0';
		for (size_t j = 0; !seen && j < art->n_tags; j++)
			seen = art->tags[j].id == old->tags[i].id;
		if (!seen)
			art->tags[art->n_tags++] = old->tags[i];
	}
	art->via_name = old->via_name;
	art->via_url = old->via_url;
	art->image_url = old->image_url;
	art->image_alt = old->image_alt;
	if (mh_content_prepare_article(a, art, err) != MH_OK)
		return 1;
	struct mh_revision_note note = { 0 };
	struct mh_content_save local = { 0 };
	if (sv == NULL)
		sv = &local;
	if (sv->note != NULL)
		note = *sv->note;
	note.kind = MH_REVISION_RESTORE;
	note.restored_from = revision_id;
	const struct mh_revision_note *given = sv->note;
	sv->note = &note;
	int r = mh_content_article_save(s, a, before, art, sv, err);
	sv->note = given;
	return r;
}

int mh_content_site_settings_save(struct mh_store *s, const struct mh_site_setting *kv, size_t n, const char *by,
				  struct mh_buf *err)
{
	enum mh_store_rc rc = mh_store_begin(s);
	if (rc != MH_OK) {
		mh_buf_printf(err, "the database is busy; try again");
		return 1;
	}
	for (size_t i = 0; rc == MH_OK && i < n; i++)
		rc = mh_store_site_setting_put(s, kv[i].key, kv[i].value, by, err);
	/* every node reloads the settings from the log's entry; the caches in
	 * front drop every page through the purge queue (as for articles) */
	if (rc == MH_OK)
		rc = mh_store_change_add(s, mh_str_c(MH_CONTENT_SITE_KEY));
	if (rc == MH_OK)
		rc = mh_store_job_add(s, "purge", mh_str_c(MH_CONTENT_SITE_KEY), mh_time_now(), NULL, NULL);
	if (rc == MH_OK)
		rc = mh_store_commit(s);
	else
		mh_store_rollback(s);
	if (rc != MH_OK) {
		if (err->len == 0)
			mh_buf_printf(err, "saving failed (%s)", rc == MH_UNAVAILABLE ? "database busy" : "database error");
		return 1;
	}
	return 0;
}

enum mh_store_rc mh_content_change_log(struct mh_store *s, struct mh_str keys)
{
	enum mh_store_rc rc = mh_store_change_add(s, keys);
	if (rc == MH_OK && keys.len > 0)
		rc = mh_store_job_add(s, "purge", keys, mh_time_now(), NULL, NULL);
	return rc;
}
