/*
 * site/admin_comments.c: the comment moderation queue (issue 8), for editors
 * and owners (MH_PERM_MODERATE).
 *   GET  /admin/comments        the queue: ?status=pending (the default),
 *                               approved, spam, deleted or all; a
 *                               commenter's history with ?email= or
 *                               ?address= (every status); ?article=ID one
 *                               article's; ?before=ID the next page. Also
 *                               the bans, and the moderation mode
 *   POST /admin/comments        action=approve|spam|delete|pending on the
 *                               checked ids (bulk), or one=ACTION:ID (a
 *                               row's button); action=ban (kind, value),
 *                               unban; moderation (mode); close or open
 *                               (article): then 303 back with a notice
 *   GET  /admin/comments/ID     one comment's edit form
 *   POST /admin/comments/ID     its new name and text
 * A change to what an article page shows (an approval, a removal of an
 * approved comment, an edit of one, closing) is logged as comments:ID in
 * the same transaction: every node and the caches in front drop that
 * article's pages, and nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site/site.h"

#define PAGE 50
#define MAX_BULK 500

static void message(struct mh_site_req *r, int status, const char *title, const char *text)
{
	mh_site_admin_message(r, status, title, text, "/admin/comments", "Back to the comments");
}

static bool parse_id(struct mh_str v, int64_t *id)
{
	if (v.len == 0 || v.len > 18)
		return false;
	for (size_t i = 0; i < v.len; i++)
		if (v.ptr[i] < '0' || v.ptr[i] > '9')
			return false;
	return mh_str_to_i64(v, id) && *id > 0;
}

static const char *when(struct mh_site_req *r, int64_t t)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_time_format(&b, t, "%Y-%m-%d %H:%M");
	const char *s = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return s;
}

static void redirect(struct mh_site_req *r, const char *to)
{
	mh_response_header_c(r->http, "location", to);
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_send(r->http, 303, "text/plain; charset=utf-8", MH_STR("See the comments.\n"));
}

/* Where a POST goes back to: the form's "back" when it is a queue address. */
static const char *back_to(struct mh_site_req *r, const char *done)
{
	struct mh_str b = MH_STR("");
	const char *base = "/admin/comments";
	if (mh_request_form(r->http, "back", &b) && b.len >= 15 && b.len < 1000 &&
	    memcmp(b.ptr, "/admin/comments", 15) == 0 && (b.len == 15 || b.ptr[15] == '?') &&
	    memchr(b.ptr, '\n', b.len) == NULL && memchr(b.ptr, '\r', b.len) == NULL)
		base = mh_arena_strndup(r->a, b.ptr, b.len);
	return mh_arena_printf(r->a, "%s%sdone=%s", base, strchr(base, '?') != NULL ? "&" : "?", done);
}

/* ---- the queue ---- */

static struct mh_val *comment_row(struct mh_site_req *r, const struct mh_comment *c)
{
	struct mh_arena *a = r->a;
	struct mh_val *m = mh_val_map(a);
	mh_val_set_int(a, m, "id", c->id);
	mh_val_set_cstr(a, m, "name", c->name);
	mh_val_set_cstr(a, m, "email", c->email);
	if (c->email[0] != '\0') {
		struct mh_buf u = MH_BUF_INIT;
		mh_buf_append_c(&u, "/admin/comments?email=");
		mh_escape_url(&u, mh_str_c(c->email));
		mh_val_set_cstr(a, m, "email_url", mh_arena_strndup(a, u.ptr, u.len));
		mh_buf_free(&u);
	}
	mh_val_set_cstr(a, m, "address_hash", c->address_hash);
	mh_val_set_cstr(a, m, "address_url", mh_arena_printf(a, "/admin/comments?address=%s", c->address_hash));
	mh_val_set_cstr(a, m, "status", mh_comment_status_name(c->status));
	mh_val_set_bool(a, m, "approved", c->status == MH_COMMENT_APPROVED);
	mh_val_set_bool(a, m, "pending", c->status == MH_COMMENT_PENDING);
	mh_val_set_bool(a, m, "reply", c->parent_id != 0);
	mh_val_set_cstr(a, m, "time", when(r, c->created_at));
	mh_val_set_cstr(a, m, "headline", c->article_headline);
	mh_val_set_cstr(a, m, "article_url", mh_arena_printf(a, "/articles/%s#comments", c->article_slug));
	mh_val_set_cstr(a, m, "article_queue_url",
			mh_arena_printf(a, "/admin/comments?status=all&article=%lld", (long long)c->article_id));
	struct mh_buf html = MH_BUF_INIT;
	mh_comment_text_render(&html, mh_str_c(c->body));
	mh_val_set(a, m, "html", mh_val_html(a, mh_arena_str(a, mh_buf_str(&html))));
	mh_buf_free(&html);
	return m;
}

static void notice_from_query(struct mh_site_req *r)
{
	struct mh_str done = MH_STR("");
	mh_request_query(r->http, "done", &done);
	static const struct {
		const char *key, *text;
	} notices[] = {
		{ "approve", "Approved." },   { "spam", "Marked as spam." },     { "delete", "Deleted." },
		{ "pending", "Held again." }, { "ban", "Banned." },	         { "unban", "Ban lifted." },
		{ "moderation", "Moderation mode saved." }, { "close", "Comments closed on that article." },
		{ "open", "Comments opened on that article." }, { "saved", "Comment saved." },
	};
	for (size_t i = 0; i < sizeof(notices) / sizeof(notices[0]); i++)
		if (mh_str_eq_c(done, notices[i].key))
			mh_val_set_cstr(r->a, r->ctx, "notice", notices[i].text);
}

static void queue(struct mh_site_req *r)
{
	struct mh_arena *a = r->a;
	struct mh_comment_filter f = { .status = MH_COMMENT_PENDING };
	struct mh_str v;
	bool history = false;
	const char *status_word = "pending";
	if (mh_request_query(r->http, "email", &v) && v.len > 0) {
		f.email = mh_arena_strndup(a, v.ptr, v.len);
		history = true;
	}
	if (mh_request_query(r->http, "address", &v) && v.len > 0) {
		f.address_hash = mh_arena_strndup(a, v.ptr, v.len);
		history = true;
	}
	if (history)
		f.status = -1, status_word = "all";
	if (mh_request_query(r->http, "status", &v)) {
		enum mh_comment_status st;
		if (mh_str_eq_c(v, "all")) {
			f.status = -1;
		} else if (mh_comment_status_parse(v, &st)) {
			f.status = (int)st;
		} else {
			message(r, 400, "Unknown status",
				"status= is pending, approved, spam, deleted or all, as in the queue's links.");
			return;
		}
		status_word = mh_arena_strndup(a, v.ptr, v.len);
	}
	if (mh_request_query(r->http, "article", &v) && !parse_id(v, &f.article_id)) {
		message(r, 400, "Unknown article", "article= is an article's number, as in the queue's links.");
		return;
	}
	int64_t before = 0;
	if (mh_request_query(r->http, "before", &v) && !parse_id(v, &before)) {
		message(r, 400, "Bad page address", "before= is a comment's number, as in the More link.");
		return;
	}
	r->store = mh_site_store(r);
	if (r->store == NULL) {
		message(r, 503, "Temporarily unavailable", "The site's database is not answering right now.");
		return;
	}
	struct mh_comment *cs = NULL;
	size_t n = 0;
	struct mh_comment_ban *bans = NULL;
	size_t n_bans = 0;
	enum mh_store_rc rc = mh_store_comments_list(r->store, a, &f, before, PAGE + 1, &cs, &n);
	if (rc == MH_OK)
		rc = mh_store_comment_bans(r->store, a, &bans, &n_bans);
	int mode = rc == MH_OK ? mh_site_comments_moderation(r, r->store) : 0;
	if (rc != MH_OK) {
		message(r, rc == MH_UNAVAILABLE ? 503 : 500, "Temporarily unavailable",
			"The comments could not be read from the database. Please try again in a few seconds.");
		return;
	}
	mh_site_admin_ctx(r, "Comments");
	notice_from_query(r);
	bool more = n > PAGE;
	if (more)
		n = PAGE;
	struct mh_val *list = mh_val_list(a);
	for (size_t i = 0; i < n; i++)
		mh_val_push(a, list, comment_row(r, &cs[i]));
	mh_val_set(a, r->ctx, "comments", list);
	mh_val_set_bool(a, r->ctx, "empty", n == 0);
	/* this very address, for the forms to come back to */
	struct mh_buf self = MH_BUF_INIT;
	mh_buf_append_c(&self, "/admin/comments?status=");
	mh_escape_url(&self, mh_str_c(status_word));
	if (f.email != NULL) {
		mh_buf_append_c(&self, "&email=");
		mh_escape_url(&self, mh_str_c(f.email));
	}
	if (f.address_hash != NULL) {
		mh_buf_append_c(&self, "&address=");
		mh_escape_url(&self, mh_str_c(f.address_hash));
	}
	if (f.article_id > 0)
		mh_buf_printf(&self, "&article=%lld", (long long)f.article_id);
	const char *self_url = mh_arena_strndup(a, self.ptr, self.len);
	mh_val_set_cstr(a, r->ctx, "back", self_url);
	if (more)
		mh_val_set_cstr(a, r->ctx, "next_url",
				mh_arena_printf(a, "%s&before=%lld", self_url, (long long)cs[n - 1].id));
	mh_buf_free(&self);
	struct mh_val *tabs = mh_val_list(a);
	static const char *const words[] = { "pending", "approved", "spam", "deleted", "all" };
	for (size_t i = 0; i < 5; i++) {
		struct mh_val *t = mh_val_map(a);
		mh_val_set_cstr(a, t, "name", words[i]);
		mh_val_set_cstr(a, t, "url", mh_arena_printf(a, "/admin/comments?status=%s", words[i]));
		mh_val_set_bool(a, t, "current", !history && strcmp(status_word, words[i]) == 0);
		mh_val_push(a, tabs, t);
	}
	mh_val_set(a, r->ctx, "tabs", tabs);
	if (history) {
		mh_val_set_cstr(a, r->ctx, "history_of", f.email != NULL ? f.email : f.address_hash);
		mh_val_set_cstr(a, r->ctx, "history_kind", f.email != NULL ? "email" : "address");
	}
	if (f.article_id > 0)
		mh_val_set_int(a, r->ctx, "article_id", f.article_id);
	struct mh_val *bl = mh_val_list(a);
	for (size_t i = 0; i < n_bans; i++) {
		struct mh_val *b = mh_val_map(a);
		mh_val_set_cstr(a, b, "kind", bans[i].kind);
		mh_val_set_cstr(a, b, "value", bans[i].value);
		mh_val_set_cstr(a, b, "by", bans[i].created_by);
		mh_val_set_cstr(a, b, "time", when(r, bans[i].created_at));
		mh_val_push(a, bl, b);
	}
	mh_val_set(a, r->ctx, "bans", bl);
	struct mh_val *modes = mh_val_list(a);
	static const char *const labels[] = { "Hold every comment for a moderator",
					      "Hold a commenter's first comment, then trust them",
					      "Open: every comment appears at once" };
	for (int i = 0; i <= MH_COMMENTS_OPEN; i++) {
		struct mh_val *m = mh_val_map(a);
		mh_val_set_cstr(a, m, "value", mh_comments_moderation_name(i));
		mh_val_set_cstr(a, m, "label", labels[i]);
		mh_val_set_bool(a, m, "selected", i == mode);
		mh_val_push(a, modes, m);
	}
	mh_val_set(a, r->ctx, "modes", modes);
	mh_site_admin_send(r, 200, "comments");
}

/* ---- actions ---- */

struct ids {
	int64_t v[MAX_BULK];
	size_t n;
	bool bad;
};

static bool collect_id(struct mh_str name, struct mh_str value, void *arg)
{
	struct ids *ids = arg;
	if (!mh_str_eq_c(name, "ids"))
		return true;
	int64_t id;
	if (!parse_id(value, &id) || ids->n >= MAX_BULK) {
		ids->bad = true;
		return false;
	}
	ids->v[ids->n++] = id;
	return true;
}

static void add_key(struct mh_buf *keys, int64_t article_id)
{
	char k[48];
	snprintf(k, sizeof k, "comments:%lld", (long long)article_id);
	/* each article once (mh_buf_cstr: the buffer's bytes are not
	 * NUL-terminated until asked) */
	size_t kl = strlen(k);
	for (const char *p = mh_buf_cstr(keys); (p = strstr(p, k)) != NULL; p += kl)
		if ((p == keys->ptr || p[-1] == ' ') && (p[kl] == ' ' || p[kl] == '\0'))
			return;
	if (keys->len > 0)
		mh_buf_append_ch(keys, ' ');
	mh_buf_append_c(keys, k);
}

/* New status for each id, in one transaction with the log of the articles
 * whose shown comments changed. */
static enum mh_store_rc set_statuses(struct mh_site_req *r, const int64_t *ids, size_t n, enum mh_comment_status st)
{
	struct mh_store *s = r->store;
	struct mh_buf keys = MH_BUF_INIT;
	enum mh_store_rc rc = mh_store_begin(s);
	for (size_t i = 0; rc == MH_OK && i < n; i++) {
		struct mh_comment *c = NULL;
		rc = mh_store_comment_by_id(s, r->a, ids[i], &c);
		if (rc == MH_OK)
			rc = mh_store_comment_set_status(s, ids[i], st, NULL);
		if (rc == MH_OK && c->status != st && (c->status == MH_COMMENT_APPROVED || st == MH_COMMENT_APPROVED))
			add_key(&keys, c->article_id);
	}
	if (rc == MH_OK && keys.len > 0)
		rc = mh_content_change_log(s, mh_buf_str(&keys));
	if (rc == MH_OK)
		rc = mh_store_commit(s);
	else
		mh_store_rollback(s);
	mh_buf_free(&keys);
	return rc;
}

static void failed(struct mh_site_req *r, enum mh_store_rc rc)
{
	if (rc == MH_NOT_FOUND)
		message(r, 404, "Unknown comment", "One of the comments is not there any more; nothing was changed.");
	else
		message(r, rc == MH_UNAVAILABLE ? 503 : 500, "Not saved",
			"The database did not take the change, so nothing was changed. Please try again.");
}

static void act(struct mh_site_req *r)
{
	r->store = mh_site_store(r);
	if (r->store == NULL) {
		message(r, 503, "Temporarily unavailable", "The site's database is not answering right now.");
		return;
	}
	struct mh_str action = MH_STR(""), one = MH_STR("");
	mh_request_form(r->http, "action", &action);
	struct ids ids = { .n = 0 };
	if (mh_request_form(r->http, "one", &one) && one.len > 0) {
		/* a row's own button: "approve:12" */
		const char *colon = memchr(one.ptr, ':', one.len);
		int64_t id;
		if (colon == NULL || !parse_id((struct mh_str){ colon + 1, one.len - (size_t)(colon - one.ptr) - 1 }, &id)) {
			message(r, 400, "Unknown action", "A row's button says what to do with which comment.");
			return;
		}
		action = (struct mh_str){ one.ptr, (size_t)(colon - one.ptr) };
		ids.v[ids.n++] = id;
	} else {
		mh_http_parse_urlencoded(r->a, r->http->body, collect_id, &ids);
	}
	if (ids.bad) {
		message(r, 400, "Too many or bad ids",
			mh_arena_printf(r->a, "Choose at most %d comments at once, by the boxes in the queue.", MAX_BULK));
		return;
	}
	enum mh_comment_status st = MH_COMMENT_PENDING;
	if (mh_comment_status_parse(action, &st) || mh_str_eq_c(action, "approve") || mh_str_eq_c(action, "delete")) {
		if (mh_str_eq_c(action, "approve"))
			st = MH_COMMENT_APPROVED;
		else if (mh_str_eq_c(action, "delete"))
			st = MH_COMMENT_DELETED;
		if (ids.n == 0) {
			message(r, 422, "Nothing chosen", "Tick the comments to change first, then choose what to do.");
			return;
		}
		enum mh_store_rc rc = set_statuses(r, ids.v, ids.n, st);
		if (rc != MH_OK) {
			failed(r, rc);
			return;
		}
		redirect(r, back_to(r, mh_arena_strndup(r->a, action.ptr, action.len)));
		return;
	}
	if (mh_str_eq_c(action, "ban") || mh_str_eq_c(action, "unban")) {
		struct mh_str kind = MH_STR(""), value = MH_STR("");
		mh_request_form(r->http, "kind", &kind);
		mh_request_form(r->http, "value", &value);
		const char *k = mh_arena_strndup(r->a, kind.ptr, kind.len), *val = mh_arena_strndup(r->a, value.ptr, value.len);
		struct mh_buf err = MH_BUF_INIT;
		enum mh_store_rc rc = mh_str_eq_c(action, "ban") ? mh_store_comment_ban_add(r->store, k, val, r->user->email, &err)
								 : mh_store_comment_ban_remove(r->store, k, val);
		if (rc == MH_INVALID) {
			message(r, 422, "Not banned",
				mh_arena_printf(r->a, "A ban is of an email or an address hash, not empty (%s).",
						err.len > 0 ? mh_buf_cstr(&err) : "unknown kind"));
		} else if (rc == MH_NOT_FOUND) {
			message(r, 404, "No such ban", "That ban is not there (any more).");
		} else if (rc != MH_OK) {
			failed(r, rc);
		} else {
			redirect(r, back_to(r, mh_arena_strndup(r->a, action.ptr, action.len)));
		}
		mh_buf_free(&err);
		return;
	}
	if (mh_str_eq_c(action, "moderation")) {
		struct mh_str mode = MH_STR("");
		int m;
		if (!mh_request_form(r->http, "mode", &mode) || !mh_comments_moderation_parse(mode, &m)) {
			message(r, 422, "Unknown mode", "The mode is hold_all, hold_first or open.");
			return;
		}
		/* read when a comment arrives, never shown on a page: nothing to drop */
		enum mh_store_rc rc = mh_store_site_setting_put(r->store, "comments_moderation",
								mh_comments_moderation_name(m), r->user->email, NULL);
		if (rc != MH_OK) {
			failed(r, rc);
			return;
		}
		redirect(r, back_to(r, "moderation"));
		return;
	}
	if (mh_str_eq_c(action, "close") || mh_str_eq_c(action, "open")) {
		struct mh_str av = MH_STR("");
		int64_t article = 0;
		if (!mh_request_form(r->http, "article", &av) || !parse_id(av, &article)) {
			message(r, 422, "Unknown article", "Give the article's number.");
			return;
		}
		enum mh_store_rc rc = mh_store_begin(r->store);
		if (rc == MH_OK)
			rc = mh_store_comments_close(r->store, article, mh_str_eq_c(action, "close"));
		if (rc == MH_OK)
			rc = mh_content_change_log(r->store,
						   mh_str_c(mh_arena_printf(r->a, "comments:%lld", (long long)article)));
		if (rc == MH_OK)
			rc = mh_store_commit(r->store);
		else
			mh_store_rollback(r->store);
		if (rc == MH_NOT_FOUND) {
			message(r, 404, "Unknown article", "There is no article with this number.");
			return;
		}
		if (rc != MH_OK) {
			failed(r, rc);
			return;
		}
		redirect(r, back_to(r, mh_arena_strndup(r->a, action.ptr, action.len)));
		return;
	}
	message(r, 400, "Unknown action",
		"The queue's buttons approve, mark as spam, delete, hold, ban, unban, close or open.");
}

void mh_site_admin_comments(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	if (mh_str_eq_c(r->http->method, "POST"))
		act(r);
	else
		queue(r);
}

/* ---- one comment ---- */

void mh_site_admin_comment(struct mh_site_req *r, struct mh_str arg)
{
	int64_t id = 0;
	if (!parse_id(arg, &id)) {
		message(r, 404, "Unknown comment", "Comments are at /admin/comments/ID, ID a comment's number.");
		return;
	}
	r->store = mh_site_store(r);
	if (r->store == NULL) {
		message(r, 503, "Temporarily unavailable", "The site's database is not answering right now.");
		return;
	}
	struct mh_comment *c = NULL;
	enum mh_store_rc rc = mh_store_comment_by_id(r->store, r->a, id, &c);
	if (rc == MH_NOT_FOUND) {
		message(r, 404, "Unknown comment", "There is no comment with this number.");
		return;
	}
	if (rc != MH_OK) {
		failed(r, rc);
		return;
	}
	int status = 200;
	const char *problem = NULL;
	struct mh_str name = mh_str_c(c->name), body = mh_str_c(c->body);
	if (mh_str_eq_c(r->http->method, "POST")) {
		mh_request_form(r->http, "name", &name);
		mh_request_form(r->http, "comment", &body);
		const char *n = mh_arena_strndup(r->a, name.ptr, name.len), *b = mh_arena_strndup(r->a, body.ptr, body.len);
		struct mh_buf err = MH_BUF_INIT;
		rc = mh_store_begin(r->store);
		if (rc == MH_OK)
			rc = mh_store_comment_edit(r->store, id, n, b, &err);
		if (rc == MH_OK && c->status == MH_COMMENT_APPROVED)
			rc = mh_content_change_log(r->store,
						   mh_str_c(mh_arena_printf(r->a, "comments:%lld", (long long)c->article_id)));
		if (rc == MH_OK)
			rc = mh_store_commit(r->store);
		else
			mh_store_rollback(r->store);
		if (rc == MH_OK) {
			mh_buf_free(&err);
			redirect(r, mh_arena_printf(r->a, "/admin/comments/%lld?done=saved", (long long)id));
			return;
		}
		if (rc != MH_INVALID) {
			mh_buf_free(&err);
			failed(r, rc);
			return;
		}
		status = 422;
		problem = mh_arena_strndup(r->a, err.ptr != NULL ? err.ptr : "", err.len);
		mh_buf_free(&err);
	}
	mh_site_admin_ctx(r, "Edit comment");
	notice_from_query(r);
	struct mh_val *row = comment_row(r, c);
	mh_val_set(r->a, row, "form_name", mh_val_str(r->a, mh_arena_str(r->a, name)));
	mh_val_set(r->a, row, "form_body", mh_val_str(r->a, mh_arena_str(r->a, body)));
	mh_val_set(r->a, r->ctx, "comment", row);
	if (problem != NULL)
		mh_val_set_cstr(r->a, r->ctx, "problem", problem);
	mh_site_admin_send(r, status, "comment");
}
