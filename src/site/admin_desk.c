/*
 * The desk: the newsroom's dashboard (/admin) and an article's revisions
 * (/admin/articles/ID/revisions). The dashboard's lists are each one keyset
 * read of a few rows through the store's status filter (the
 * (status, published_at, id) index), plus the newest failed publishing jobs
 * of the job queue; contributors and authors see only articles with their
 * byline, editors and owners everyone's. The revisions screen lists every
 * revision, compares any two line by line (content/diff.c) and restores
 * one through mh_content_revision_restore, the editor's save path, so the
 * public page follows through the change log like any save.
 */
#include <stdlib.h>
#include <string.h>

#include "content/content.h"
#include "site/site.h"

#define DESK_ROWS 5        /* articles per dashboard list */
#define DESK_FAILED_ROWS 5 /* failed publications shown */
#define DESK_JOBS_READ 50  /* newest jobs of a state read to find them */
#define REVISIONS_PER_PAGE 50
#define DIFF_CONTEXT 3     /* unchanged lines shown around a change */

static void unavailable(struct mh_site_req *r)
{
	mh_site_admin_message(r, 503, "Temporarily unavailable",
		     "The site's database is not answering right now. Nothing was changed. Try again in a few seconds.",
		     "/admin", "Back to the dashboard");
}

/* A time in the site's display zone, "" for none. */
static const char *when(struct mh_site_req *r, int64_t t)
{
	if (t <= 0)
		return "";
	struct mh_buf b = MH_BUF_INIT;
	mh_time_format(&b, t, "%Y-%m-%d %H:%M");
	const char *s = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return s;
}

static const char *byline(struct mh_site_req *r, const struct mh_article *art)
{
	struct mh_buf names = MH_BUF_INIT;
	for (size_t i = 0; i < art->n_authors; i++)
		mh_buf_printf(&names, "%s%s", i > 0 ? ", " : "", art->authors[i].name);
	const char *s = mh_arena_strndup(r->a, names.ptr != NULL ? names.ptr : "", names.len);
	mh_buf_free(&names);
	return s;
}

static struct mh_val *desk_item(struct mh_site_req *r, const struct mh_article *art, int64_t at)
{
	struct mh_val *it = mh_val_map(r->a);
	mh_val_set_int(r->a, it, "id", art->id);
	mh_val_set_cstr(r->a, it, "headline", art->headline);
	mh_val_set_cstr(r->a, it, "authors", byline(r, art));
	mh_val_set_cstr(r->a, it, "when", when(r, at));
	return it;
}

/* One dashboard list: up to DESK_ROWS articles of status st (the caller's
 * own when author_id is set), newest first, or soonest first (ascending). */
static enum mh_store_rc desk_list(struct mh_site_req *r, const char *key, enum mh_article_status st, int64_t author_id,
				  bool soonest_first)
{
	struct mh_article_query q = { .any_status = true, .status_only = true, .status = st, .author_id = author_id,
				      .limit = DESK_ROWS };
	if (soonest_first) {
		q.after_published_at = 1; /* every dated article lies after 1970-01-01 00:00:01 */
		q.after_id = 0;
	}
	struct mh_article *arts = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_articles(r->store, r->a, &q, &arts, &n);
	if (rc != MH_OK)
		return rc;
	struct mh_val *list = mh_val_list(r->a);
	for (size_t i = 0; i < n; i++)
		mh_val_push(r->a, list, desk_item(r, &arts[i], mh_article_status_dated(st) ? arts[i].published_at
											      : arts[i].updated_at));
	mh_val_set(r->a, r->ctx, key, list);
	mh_val_set_bool(r->a, r->ctx, mh_arena_printf(r->a, "%s_empty", key), n == 0);
	return MH_OK;
}

/* Scheduled publications that failed: "publish" jobs parked after their
 * last attempt, or waiting to try again after a failure, whose article is
 * still scheduled (one published by hand since went out after all). */
static enum mh_store_rc desk_failed(struct mh_site_req *r, bool everyone)
{
	struct mh_val *list = mh_val_list(r->a);
	size_t shown = 0;
	static const enum mh_job_state states[] = { MH_JOB_PARKED, MH_JOB_QUEUED };
	for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
		struct mh_job *jobs = NULL;
		size_t n = 0;
		enum mh_store_rc rc = mh_store_jobs(r->store, r->a, (int)states[k], DESK_JOBS_READ, &jobs, &n);
		if (rc != MH_OK)
			return rc;
		for (size_t i = 0; i < n && shown < DESK_FAILED_ROWS; i++) {
			const struct mh_job *j = &jobs[i];
			int64_t id = 0;
			if (strcmp(j->kind, "publish") != 0 || j->last_error == NULL || j->last_error[0] == '\0' ||
			    !mh_str_to_i64(mh_str_c(j->payload), &id) || id <= 0)
				continue;
			struct mh_article *art = NULL;
			rc = mh_store_article_by_id(r->store, r->a, id, &art);
			if (rc == MH_NOT_FOUND)
				continue;
			if (rc != MH_OK)
				return rc;
			if (art->status != MH_ARTICLE_SCHEDULED || (!everyone && !mh_site_admin_may_open(r, art)))
				continue;
			struct mh_val *it = desk_item(r, art, art->published_at);
			mh_val_set_cstr(r->a, it, "reason", j->last_error);
			mh_val_set_cstr(r->a, it, "next",
					j->state == MH_JOB_PARKED
						? "Gave up after its last attempt: publish it by hand, or ask an operator to "
						  "retry the job (masthead jobs retry)."
						: mh_arena_printf(r->a, "Will try again at %s.", when(r, j->run_at)));
			mh_val_push(r->a, list, it);
			shown++;
		}
	}
	mh_val_set(r->a, r->ctx, "failed", list);
	mh_val_set_bool(r->a, r->ctx, "failed_empty", shown == 0);
	return MH_OK;
}

void mh_site_admin_home(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	mh_site_admin_ctx(r, "Newsroom");
	bool everyone = mh_role_may(r->user->role, MH_PERM_EDIT_ANY);
	int64_t own = everyone ? 0 : r->user->author_id;
	mh_val_set_bool(r->a, r->ctx, "everyone", everyone);
	mh_val_set_cstr(r->a, r->ctx, "timezone", mh_site_config(r->site)->timezone);
	mh_val_set_bool(r->a, r->ctx, "no_byline", !everyone && own == 0);
	enum mh_store_rc rc = MH_OK;
	if (everyone || own != 0) {
		if (rc == MH_OK)
			rc = desk_list(r, "drafts", MH_ARTICLE_DRAFT, own, false);
		if (rc == MH_OK)
			rc = desk_list(r, "review", MH_ARTICLE_REVIEW, own, false);
		if (rc == MH_OK)
			rc = desk_list(r, "scheduled", MH_ARTICLE_SCHEDULED, own, true);
		if (rc == MH_OK)
			rc = desk_list(r, "published", MH_ARTICLE_PUBLISHED, own, false);
		if (rc == MH_OK)
			rc = desk_failed(r, everyone);
	}
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	mh_site_admin_send(r, 200, "home");
}

/* ---- revisions ---- */

static bool parse_id(struct mh_str s, int64_t *out)
{
	int64_t v = 0;
	if (s.len == 0 || s.len > 15)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return false;
		v = v * 10 + (s.ptr[i] - '0');
	}
	*out = v;
	return v > 0;
}

static const char *kind_text(struct mh_site_req *r, const struct mh_revision *rev)
{
	switch (rev->kind) {
	case MH_REVISION_RESTORE:
		return mh_arena_printf(r->a, "restore of revision %lld", (long long)rev->restored_from);
	case MH_REVISION_CONFLICT:
		return "conflict: refused, kept";
	case MH_REVISION_SAVE:
		break;
	}
	return "save";
}

/* The revision of article id called for by query parameter name: MH_OK
 * with *out (NULL when the parameter is absent), MH_INVALID for a value
 * that is not a number, MH_NOT_FOUND for none of this article's. */
static enum mh_store_rc revision_param(struct mh_site_req *r, const char *name, int64_t article_id,
				       struct mh_revision **out)
{
	struct mh_str v = MH_STR("");
	*out = NULL;
	if (!mh_request_query(r->http, name, &v) || v.len == 0)
		return MH_OK;
	int64_t id = 0;
	if (!parse_id(v, &id))
		return MH_INVALID;
	enum mh_store_rc rc = mh_store_revision_get(r->store, r->a, id, out);
	if (rc == MH_OK && (*out)->article_id != article_id)
		rc = MH_NOT_FOUND;
	return rc;
}

/* The revision just older than id (0 = the newest) of the article: NULL
 * when there is none. */
static enum mh_store_rc revision_before(struct mh_site_req *r, int64_t article_id, int64_t id, struct mh_revision **out)
{
	struct mh_revision *list = NULL;
	size_t n = 0;
	*out = NULL;
	enum mh_store_rc rc = mh_store_revisions(r->store, r->a, article_id, id, 1, &list, &n);
	if (rc != MH_OK || n == 0)
		return rc;
	return mh_store_revision_get(r->store, r->a, list[0].id, out);
}

static const char *field_label(const char *name)
{
	static const struct {
		const char *name, *label;
	} labels[] = {
		{ "headline", "Headline" },   { "dek", "Dek" },     { "slug", "Slug" },
		{ "section", "Section" },     { "authors", "Authors" }, { "tags", "Tags" },
		{ "via", "Via" },             { "image", "Image" }, { "image_alt", "Image description" },
		{ "staff_pick", "Staff pick" }, { "status", "Status" }, { "publish_at", "Publish at" },
		{ "body", "Body" },
	};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(name, labels[i].name) == 0)
			return labels[i].label;
	return name;
}

static struct mh_val *revision_summary(struct mh_site_req *r, const struct mh_revision *rev)
{
	struct mh_val *v = mh_val_map(r->a);
	mh_val_set_int(r->a, v, "id", rev->id);
	mh_val_set_cstr(r->a, v, "when", when(r, rev->created_at));
	mh_val_set_cstr(r->a, v, "who", rev->user_name != NULL && rev->user_name[0] != '\0' ? rev->user_name
											      : "(the command line)");
	mh_val_set_cstr(r->a, v, "kind", kind_text(r, rev));
	mh_val_set_cstr(r->a, v, "headline", rev->state.headline);
	mh_val_set_cstr(r->a, v, "status", mh_article_status_name(rev->state.status));
	return v;
}

/* The comparison of from (older) and to into the context's "compare". */
static void compare(struct mh_site_req *r, const struct mh_revision *from, const struct mh_revision *to)
{
	struct mh_val *c = mh_val_map(r->a);
	mh_val_set(r->a, c, "from", revision_summary(r, from));
	mh_val_set(r->a, c, "to", revision_summary(r, to));
	struct mh_diff_field *fields = NULL;
	size_t n = 0;
	mh_content_revision_diff(r->a, &from->state, &to->state, DIFF_CONTEXT, &fields, &n);
	struct mh_val *fl = mh_val_list(r->a);
	int added = 0, removed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct mh_diff_field *f = &fields[i];
		struct mh_val *fv = mh_val_map(r->a);
		mh_val_set_cstr(r->a, fv, "label", field_label(f->name));
		mh_val_set_bool(r->a, fv, "by_line", f->lines);
		mh_val_set_cstr(r->a, fv, "before", f->before);
		mh_val_set_cstr(r->a, fv, "after", f->after);
		mh_val_set_bool(r->a, fv, "before_empty", f->before == NULL || f->before[0] == '\0');
		mh_val_set_bool(r->a, fv, "after_empty", f->after == NULL || f->after[0] == '\0');
		if (f->lines) {
			mh_val_set_bool(r->a, fv, "whole", f->diff.whole);
			added += f->diff.added;
			removed += f->diff.removed;
			struct mh_val *hunks = mh_val_list(r->a);
			for (size_t h = 0; h < f->diff.n_hunks; h++) {
				const struct mh_diff_hunk *hk = &f->diff.hunks[h];
				struct mh_val *hv = mh_val_map(r->a);
				mh_val_set_cstr(r->a, hv, "header",
						mh_arena_printf(r->a, "Lines %d to %d before, %d to %d after",
								hk->old_start, hk->old_start + hk->old_count - 1,
								hk->new_start, hk->new_start + hk->new_count - 1));
				struct mh_val *lines = mh_val_list(r->a);
				for (size_t l = 0; l < hk->n_lines; l++) {
					const struct mh_diff_line *ln = &hk->lines[l];
					struct mh_val *lv = mh_val_map(r->a);
					mh_val_set_bool(r->a, lv, "del", ln->op == MH_DIFF_DEL);
					mh_val_set_bool(r->a, lv, "add", ln->op == MH_DIFF_ADD);
					mh_val_set_bool(r->a, lv, "keep", ln->op == MH_DIFF_KEEP);
					if (ln->old_no > 0)
						mh_val_set_int(r->a, lv, "old_no", ln->old_no);
					if (ln->new_no > 0)
						mh_val_set_int(r->a, lv, "new_no", ln->new_no);
					mh_val_set(r->a, lv, "text", mh_val_str(r->a, ln->text));
					mh_val_push(r->a, lines, lv);
				}
				mh_val_set(r->a, hv, "lines", lines);
				mh_val_push(r->a, hunks, hv);
			}
			mh_val_set(r->a, fv, "hunks", hunks);
		}
		mh_val_push(r->a, fl, fv);
	}
	mh_val_set(r->a, c, "fields", fl);
	mh_val_set_bool(r->a, c, "same", n == 0);
	mh_val_set_int(r->a, c, "added", added);
	mh_val_set_int(r->a, c, "removed", removed);
	mh_val_set(r->a, r->ctx, "compare", c);
}

static void restore(struct mh_site_req *r, const struct mh_article *art, const char *back)
{
	if (!mh_site_admin_may_change(r, art)) {
		mh_site_admin_message(r, 403, "Not allowed",
			     mh_arena_printf(r->a, "Your role (%s) may not change this article as it stands (%s). "
						   "Nothing was changed.",
					     mh_role_name(r->user->role), mh_article_status_name(art->status)),
			     back, "Back to the revisions");
		return;
	}
	struct mh_str rev_s = MH_STR(""), base_s = MH_STR("");
	mh_request_form(r->http, "restore", &rev_s);
	mh_request_form(r->http, "base_revision", &base_s);
	int64_t rev_id = 0, base = 0;
	if (!parse_id(rev_s, &rev_id) || (base_s.len > 0 && !parse_id(base_s, &base))) {
		mh_site_admin_message(r, 400, "Which revision?",
			     "Use a Restore button of the revisions list: the form names the revision to bring back. "
			     "Nothing was changed.",
			     back, "Back to the revisions");
		return;
	}
	struct mh_revision *rev = NULL;
	enum mh_store_rc rc = mh_store_revision_get(r->store, r->a, rev_id, &rev);
	if (rc == MH_OK && rev->article_id != art->id)
		rc = MH_NOT_FOUND;
	if (rc == MH_NOT_FOUND) {
		mh_site_admin_message(r, 404, "No such revision",
			     "This article has no revision with that number. Nothing was changed.", back,
			     "Back to the revisions");
		return;
	}
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	/* a restore from a stale page is refused here, before anything is
	 * kept; one racing another save past this check is refused by the save
	 * itself (and its text kept as a conflict revision, as the editor's) */
	int64_t latest = 0;
	if (base != 0 && (rc = mh_store_revision_latest(r->store, art->id, &latest)) != MH_OK) {
		unavailable(r);
		return;
	}
	struct mh_revision_note note = { .user_id = r->user->id, .user_name = r->user->name };
	struct mh_content_save sv = { .note = &note, .base_revision_id = base };
	struct mh_buf err = MH_BUF_INIT;
	int res = base != 0 && latest != base ? 1 : mh_content_revision_restore(r->store, r->a, art->id, rev_id, &sv, &err);
	const char *msg = mh_arena_strndup(r->a, err.ptr != NULL ? err.ptr : "", err.len);
	mh_buf_free(&err);
	if (res != 0 && (sv.conflict || (base != 0 && latest != base))) {
		mh_site_admin_message(r, 409, "Saved by someone else meanwhile",
			     "Someone saved this article after you opened its revisions, so the restore was refused "
			     "and nothing was changed. Look at the list again and restore once more if you still want "
			     "to.",
			     back, "Back to the revisions");
		return;
	}
	if (res != 0) {
		mh_site_admin_message(r, 422, "Cannot restore that revision",
			     mh_arena_printf(r->a, "%s. Nothing was changed.", msg), back, "Back to the revisions");
		return;
	}
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "location",
			     mh_arena_printf(r->a, "%s?restored=%lld", back, (long long)sv.revision_id));
	mh_response_send(r->http, 303, "text/plain; charset=utf-8", mh_str_c("See Other\n"));
}

void mh_site_admin_revisions(struct mh_site_req *r, struct mh_str arg)
{
	int64_t id = 0;
	if (!parse_id(arg, &id)) {
		mh_site_admin_message(r, 404, "No such article", "An article's revisions are at /admin/articles/NUMBER/revisions.",
			     "/admin/articles", "Back to the articles");
		return;
	}
	struct mh_article *art = NULL;
	enum mh_store_rc rc = mh_store_article_by_id(r->store, r->a, id, &art);
	if (rc == MH_NOT_FOUND) {
		mh_site_admin_message(r, 404, "No such article", "There is no article with that number.", "/admin/articles",
			     "Back to the articles");
		return;
	}
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	if (!mh_site_admin_may_open(r, art)) {
		mh_site_admin_message(r, 403, "Not allowed",
			     "This is another person's article: you may see the revisions only of articles with your "
			     "byline.",
			     "/admin/articles", "Back to the articles");
		return;
	}
	const char *back = mh_arena_printf(r->a, "/admin/articles/%lld/revisions", (long long)id);
	if (mh_str_eq_c(r->http->method, "POST")) {
		restore(r, art, back);
		return;
	}
	/* the page of the list: newest first, keyset by revision id */
	struct mh_str before_s = MH_STR("");
	int64_t before = 0;
	if (mh_request_query(r->http, "before", &before_s) && before_s.len > 0 && !parse_id(before_s, &before)) {
		mh_site_admin_message(r, 400, "Bad page address", "The before= value must be a revision number.", back,
			     "Back to the revisions");
		return;
	}
	struct mh_revision *from = NULL, *to = NULL, *revs = NULL;
	size_t n = 0;
	int64_t current = 0;
	rc = revision_param(r, "from", id, &from);
	if (rc == MH_OK)
		rc = revision_param(r, "to", id, &to);
	if (rc == MH_INVALID) {
		mh_site_admin_message(r, 400, "Bad revision number", "from= and to= must be revision numbers of this article.",
			     back, "Back to the revisions");
		return;
	}
	if (rc == MH_NOT_FOUND) {
		mh_site_admin_message(r, 404, "No such revision", "This article has no revision with that number.", back,
			     "Back to the revisions");
		return;
	}
	if (rc == MH_OK)
		rc = mh_store_revisions(r->store, r->a, id, before, REVISIONS_PER_PAGE + 1, &revs, &n);
	if (rc == MH_OK)
		rc = mh_store_revision_latest(r->store, id, &current);
	/* by default: the newest revision against the one before it */
	if (rc == MH_OK && to == NULL && before == 0 && from == NULL && n > 0)
		rc = mh_store_revision_get(r->store, r->a, revs[0].id, &to);
	if (rc == MH_OK && to == NULL && from != NULL)
		rc = revision_before(r, id, 0, &to); /* from alone: against the newest */
	if (rc == MH_OK && to != NULL && from == NULL)
		rc = revision_before(r, id, to->id, &from);
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	mh_site_admin_ctx(r, "Revisions");
	struct mh_val *av = mh_val_map(r->a);
	mh_val_set_int(r->a, av, "id", art->id);
	mh_val_set_cstr(r->a, av, "headline", art->headline);
	mh_val_set_cstr(r->a, av, "status", mh_article_status_name(art->status));
	mh_val_set(r->a, r->ctx, "article", av);
	bool may_restore = mh_site_admin_may_change(r, art);
	mh_val_set_bool(r->a, r->ctx, "may_restore", may_restore);
	mh_val_set_int(r->a, r->ctx, "current_revision", current);
	bool more = n > REVISIONS_PER_PAGE;
	if (more)
		n = REVISIONS_PER_PAGE;
	struct mh_val *list = mh_val_list(r->a);
	for (size_t i = 0; i < n; i++) {
		struct mh_val *v = revision_summary(r, &revs[i]);
		mh_val_set_bool(r->a, v, "current", revs[i].id == current);
		mh_val_set_bool(r->a, v, "restorable", may_restore && revs[i].id != current);
		/* the one before it: next in this list, or on the next page */
		if (i + 1 < n || more)
			mh_val_set_int(r->a, v, "previous", revs[i + 1].id);
		mh_val_set_bool(r->a, v, "shown",
				to != NULL && from != NULL && (revs[i].id == to->id || revs[i].id == from->id));
		mh_val_push(r->a, list, v);
	}
	mh_val_set(r->a, r->ctx, "revisions", list);
	mh_val_set_bool(r->a, r->ctx, "empty", n == 0);
	if (more)
		mh_val_set_cstr(r->a, r->ctx, "older_url",
				mh_arena_printf(r->a, "%s?before=%lld", back, (long long)revs[n - 1].id));
	if (from != NULL && to != NULL) {
		/* shown older first, whichever way they were asked */
		if (from->id > to->id) {
			struct mh_revision *t = from;
			from = to;
			to = t;
		}
		compare(r, from, to);
	}
	struct mh_str restored = MH_STR("");
	int64_t rid = 0;
	if (mh_request_query(r->http, "restored", &restored) && parse_id(restored, &rid))
		mh_val_set_cstr(r->a, r->ctx, "notice",
				mh_arena_printf(r->a, "Restored, as the new revision %lld: it is now the article's text%s.",
						(long long)rid,
						art->status == MH_ARTICLE_PUBLISHED ? ", on the public page too" : ""));
	mh_site_admin_send(r, 200, "revisions");
}
