/*
 * The owner's screens: site settings (/admin/settings) and the newsroom's
 * accounts (/admin/users: roles, disabling, bylines, invitations). The
 * route table lets only roles with MH_PERM_SETTINGS and
 * MH_PERM_MANAGE_USERS in, and checks the CSRF token of every POST.
 * Settings are checked by site.ini's own rows (site/settings.c) and saved
 * through the change log (content/changes.c), so every node reloads them
 * and drops its pages. An invitation is a pending account (store.h's
 * MH_USER_INVITED_HASH) and a one-time "invite" link, mailed when [mail]
 * smtp_url is set, else shown once here; admin_auth.c's /admin/invite
 * takes it.
 */
#include <stdlib.h>
#include <string.h>

#include "audience/newsletter.h"
#include "site/site.h"

/* How long an invitation link works. */
#define INVITE_HOURS 72

/* A form field without surrounding blanks, NUL-terminated in the arena.
 * A NUL byte inside (%00) becomes 0x01, so that the checks after, which
 * read C strings, refuse it as a control character instead of seeing a
 * shorter value. */
static struct mh_str form_trimmed(struct mh_site_req *r, const char *name)
{
	struct mh_str v = MH_STR("");
	mh_request_form(r->http, name, &v);
	while (v.len > 0 && (v.ptr[0] == ' ' || v.ptr[0] == '\t'))
		v.ptr++, v.len--;
	while (v.len > 0 && (v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t'))
		v.len--;
	struct mh_str c = mh_arena_str(r->a, v);
	for (size_t i = 0; i < c.len; i++)
		if (c.ptr[i] == '\0')
			((char *)c.ptr)[i] = 0x01;
	return c;
}

static void send_message(struct mh_site_req *r, int status, const char *title, const char *text, const char *back)
{
	mh_site_admin_message(r, status, title, text, back, "Back");
}

static void unavailable(struct mh_site_req *r, const char *back)
{
	send_message(r, 503, "Temporarily unavailable",
		     "The site's database is not answering right now. Nothing was changed. Try again in a few seconds.",
		     back);
}

static void see_other(struct mh_site_req *r, const char *to)
{
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "location", to);
	mh_response_send(r->http, 303, "text/plain; charset=utf-8", mh_str_c("See Other\n"));
}

/* ---- /admin/settings ---- */

/* The screen's fields, in order: the [site] key, its label, a hint. */
static const struct {
	const char *key, *label, *hint;
} FIELDS[MH_SITE_DB_KEYS] = {
	{ "title", "Title", "The site's name, at the top of every page." },
	{ "tagline", "Tagline", "One line under the name; also the description of pages that have none." },
	{ "timezone", "Time zone",
	  "An IANA name such as Europe/Berlin: dates are shown and scheduled in it, on every server as soon as "
	  "it is saved." },
	{ "social", "Social links", "Name=https://...; separated by ';', e.g. Mastodon=https://example.social/@us" },
	{ "video_channel_url", "Video channel", "The address of the video channel (empty: none)." },
};

/* The value each field holds now: what the admin saved, else the running one. */
static const char *current_value(struct mh_site_req *r, const struct mh_site_setting *rows, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].key, key) == 0)
			return rows[i].value;
	const struct mh_site_settings *cfg = mh_site_config(r->site);
	if (strcmp(key, "title") == 0)
		return cfg->title;
	if (strcmp(key, "tagline") == 0)
		return cfg->tagline;
	if (strcmp(key, "timezone") == 0)
		return cfg->timezone;
	if (strcmp(key, "social") == 0)
		return cfg->social_links;
	return cfg->video_channel_url != NULL ? cfg->video_channel_url : "";
}

/* values[i] and errors[i] (NULL: none) go with FIELDS[i]. */
static void settings_page(struct mh_site_req *r, int status, const char *const *values, const char *const *errors,
			  const char *notice, const char *error)
{
	mh_site_admin_ctx(r, "Site settings");
	struct mh_val *fields = mh_val_list(r->a);
	for (size_t i = 0; i < MH_SITE_DB_KEYS; i++) {
		struct mh_val *f = mh_val_map(r->a);
		mh_val_set_cstr(r->a, f, "key", FIELDS[i].key);
		mh_val_set_cstr(r->a, f, "label", FIELDS[i].label);
		mh_val_set_cstr(r->a, f, "hint", FIELDS[i].hint);
		mh_val_set_cstr(r->a, f, "value", values[i]);
		if (errors != NULL && errors[i] != NULL)
			mh_val_set_cstr(r->a, f, "error", errors[i]);
		mh_val_push(r->a, fields, f);
	}
	mh_val_set(r->a, r->ctx, "fields", fields);
	mh_val_set_cstr(r->a, r->ctx, "running_zone", mh_site_config(r->site)->timezone);
	if (notice != NULL)
		mh_val_set_cstr(r->a, r->ctx, "notice", notice);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	mh_site_admin_send(r, status, "settings");
}

void mh_site_admin_settings(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	r->store = mh_site_store(r);
	if (r->store == NULL) {
		unavailable(r, "/admin/settings");
		return;
	}
	struct mh_site_setting *rows = NULL;
	size_t n = 0;
	if (mh_store_site_settings(r->store, r->a, &rows, &n) != MH_OK) {
		unavailable(r, "/admin/settings");
		return;
	}
	const char *values[MH_SITE_DB_KEYS], *errors[MH_SITE_DB_KEYS] = { 0 };
	if (!mh_str_eq_c(r->http->method, "POST")) {
		for (size_t i = 0; i < MH_SITE_DB_KEYS; i++)
			values[i] = current_value(r, rows, n, FIELDS[i].key);
		struct mh_str saved;
		bool was_saved = mh_request_query(r->http, "saved", &saved) && mh_str_eq_c(saved, "1");
		settings_page(r, 200, values, NULL, was_saved ? "Saved. Every page of the site shows it now." : NULL,
			      NULL);
		return;
	}
	/* every field checked before anything is saved: one bad field keeps
	 * the form as typed and changes nothing. Only changed values are
	 * saved: one left alone keeps following site.ini. */
	struct mh_site_setting kv[MH_SITE_DB_KEYS];
	size_t bad = 0, changed = 0;
	for (size_t i = 0; i < MH_SITE_DB_KEYS; i++) {
		struct mh_str v = form_trimmed(r, FIELDS[i].key);
		values[i] = v.ptr;
		if (strcmp(v.ptr, current_value(r, rows, n, FIELDS[i].key)) != 0) {
			kv[changed].key = FIELDS[i].key;
			kv[changed].value = v.ptr;
			changed++;
		}
		struct mh_buf why = MH_BUF_INIT;
		if (!mh_site_setting_check(FIELDS[i].key, v.ptr, &why)) {
			errors[i] = mh_arena_printf(r->a, "%s: %s", FIELDS[i].label, mh_buf_cstr(&why));
			bad++;
		}
		mh_buf_free(&why);
	}
	if (bad > 0) {
		const char *first = NULL;
		for (size_t i = 0; first == NULL && i < MH_SITE_DB_KEYS; i++)
			first = errors[i];
		settings_page(r, 422, values, errors, NULL,
			      mh_arena_printf(r->a, "Nothing was saved. %s", first));
		return;
	}
	if (changed == 0) {
		see_other(r, "/admin/settings?saved=1");
		return;
	}
	struct mh_buf err = MH_BUF_INIT;
	int failed = mh_content_site_settings_save(r->store, kv, changed, r->user->email, &err);
	if (failed) {
		mh_log(MH_LOG_ERROR, "site settings: not saved: %s", mh_buf_cstr(&err));
		mh_buf_free(&err);
		unavailable(r, "/admin/settings");
		return;
	}
	mh_buf_free(&err);
	/* this node at once (its watcher would within a second): the next
	 * page anyone asks for here shows the new settings */
	if (mh_site_settings_reload(r->site, r->store) != MH_OK)
		mh_log(MH_LOG_WARN, "site settings: saved, but not read back yet (the change log will)");
	see_other(r, "/admin/settings?saved=1");
}

/* ---- /admin/users ---- */

static bool invited(const struct mh_user *u)
{
	return strcmp(u->password_hash, MH_USER_INVITED_HASH) == 0;
}

static const char *status_of(const struct mh_user *u)
{
	return u->disabled ? "disabled" : invited(u) ? "invited" : "active";
}

static const char *fmt_time(struct mh_site_req *r, int64_t t)
{
	if (t <= 0)
		return "";
	struct mh_buf b = MH_BUF_INIT;
	mh_time_format(&b, t, "%Y-%m-%d %H:%M");
	const char *s = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return s;
}

static struct mh_val *role_options(struct mh_site_req *r, enum mh_role selected)
{
	struct mh_val *list = mh_val_list(r->a);
	for (int k = MH_ROLE_CONTRIBUTOR; k <= MH_ROLE_OWNER; k++) {
		struct mh_val *o = mh_val_map(r->a);
		mh_val_set_cstr(r->a, o, "name", mh_role_name((enum mh_role)k));
		mh_val_set_bool(r->a, o, "selected", k == (int)selected);
		mh_val_push(r->a, list, o);
	}
	return list;
}

/* What the invite form shows again after an error (NULL: empty). */
struct invite_form {
	const char *email, *name;
	enum mh_role role;
};

/* The list of accounts; invite_link (NULL: none) is shown once, after an
 * invitation. */
static void users_page(struct mh_site_req *r, int status, const char *notice, const char *error,
		       const struct invite_form *inv, const char *invite_link, const char *invitee)
{
	struct mh_user *users = NULL;
	size_t n = 0;
	struct mh_user_seen *seen = NULL;
	size_t n_seen = 0;
	struct mh_author *authors = NULL;
	size_t n_authors = 0;
	if (mh_store_users(r->store, r->a, &users, &n) != MH_OK ||
	    mh_store_users_last_seen(r->store, r->a, &seen, &n_seen) != MH_OK ||
	    mh_store_authors(r->store, r->a, &authors, &n_authors) != MH_OK) {
		unavailable(r, "/admin/users");
		return;
	}
	mh_site_admin_ctx(r, "Users");
	struct mh_val *rows = mh_val_list(r->a);
	for (size_t i = 0; i < n; i++) {
		const struct mh_user *u = &users[i];
		struct mh_val *row = mh_val_map(r->a);
		mh_val_set_int(r->a, row, "id", u->id);
		mh_val_set_cstr(r->a, row, "email", u->email);
		mh_val_set_cstr(r->a, row, "name", u->name);
		mh_val_set_cstr(r->a, row, "role", mh_role_name(u->role));
		mh_val_set_cstr(r->a, row, "status", status_of(u));
		mh_val_set_bool(r->a, row, "disabled", u->disabled);
		mh_val_set_bool(r->a, row, "invited", invited(u));
		mh_val_set_bool(r->a, row, "me", u->id == r->user->id);
		for (size_t k = 0; k < n_seen; k++)
			if (seen[k].user_id == u->id)
				mh_val_set_cstr(r->a, row, "last_seen", fmt_time(r, seen[k].last_seen_at));
		mh_val_set(r->a, row, "roles", role_options(r, u->role));
		struct mh_val *opts = mh_val_list(r->a);
		for (size_t k = 0; k < n_authors; k++) {
			struct mh_val *o = mh_val_map(r->a);
			mh_val_set_int(r->a, o, "id", authors[k].id);
			mh_val_set_cstr(r->a, o, "name", authors[k].name);
			mh_val_set_bool(r->a, o, "selected", authors[k].id == u->author_id);
			if (authors[k].id == u->author_id)
				mh_val_set_cstr(r->a, row, "author", authors[k].name);
			mh_val_push(r->a, opts, o);
		}
		mh_val_set(r->a, row, "authors", opts);
		mh_val_push(r->a, rows, row);
	}
	mh_val_set(r->a, r->ctx, "users", rows);
	struct mh_val *f = mh_val_map(r->a);
	mh_val_set_cstr(r->a, f, "email", inv != NULL ? inv->email : "");
	mh_val_set_cstr(r->a, f, "name", inv != NULL ? inv->name : "");
	mh_val_set(r->a, f, "roles", role_options(r, inv != NULL ? inv->role : MH_ROLE_AUTHOR));
	mh_val_set(r->a, r->ctx, "invite", f);
	if (invite_link != NULL) {
		struct mh_val *l = mh_val_map(r->a);
		mh_val_set_cstr(r->a, l, "url", invite_link);
		mh_val_set_cstr(r->a, l, "email", invitee);
		mh_val_set_int(r->a, l, "hours", INVITE_HOURS);
		mh_val_set(r->a, r->ctx, "invite_link", l);
	}
	if (notice != NULL)
		mh_val_set_cstr(r->a, r->ctx, "notice", notice);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	mh_site_admin_send(r, status, "users");
}

static void invite(struct mh_site_req *r)
{
	struct invite_form inv = { form_trimmed(r, "email").ptr, form_trimmed(r, "name").ptr, MH_ROLE_AUTHOR };
	struct mh_str role = form_trimmed(r, "role");
	if (!mh_role_parse(role, &inv.role)) {
		users_page(r, 422, NULL, "Role: choose contributor, author, editor or owner. Nobody was invited.", &inv,
			   NULL, NULL);
		return;
	}
	struct mh_user *u = NULL;
	enum mh_store_rc rc = mh_store_user_by_email(r->store, r->a, mh_str_c(inv.email), &u);
	if (rc != MH_OK && rc != MH_NOT_FOUND) {
		unavailable(r, "/admin/users");
		return;
	}
	if (rc == MH_OK && !invited(u)) {
		users_page(r, 422, NULL,
			   mh_arena_printf(r->a, "Email: %s already has an account. Nobody was invited.", u->email), &inv,
			   NULL, NULL);
		return;
	}
	struct mh_user nu = { 0 };
	if (rc == MH_OK)
		nu = *u; /* invited before: the new link replaces the old one */
	nu.email = inv.email;
	nu.name = inv.name;
	nu.role = inv.role;
	nu.password_hash = MH_USER_INVITED_HASH;
	nu.disabled = false;
	char token[MH_TOKEN_CHARS + 1], hash[MH_TOKEN_HASH_CHARS + 1];
	mh_auth_token_new(token);
	mh_auth_token_hash(mh_str_c(token), hash);
	struct mh_buf err = MH_BUF_INIT;
	rc = mh_store_begin(r->store);
	if (rc == MH_OK)
		rc = mh_store_user_save(r->store, &nu, &err);
	if (rc == MH_OK)
		rc = mh_store_auth_tokens_drop(r->store, nu.id, "invite");
	if (rc == MH_OK)
		rc = mh_store_auth_token_add(r->store, hash, nu.id, "invite", mh_time_now() + INVITE_HOURS * 3600);
	if (rc == MH_OK)
		rc = mh_store_commit(r->store);
	else
		mh_store_rollback(r->store);
	if (rc == MH_INVALID || rc == MH_CONFLICT) {
		/* the store's message names the field: "email: ..." */
		const char *msg = mh_arena_printf(r->a, "%s. Nobody was invited.", mh_buf_cstr(&err));
		char *m = (char *)msg;
		if (m[0] >= 'a' && m[0] <= 'z')
			m[0] = (char)(m[0] - 32);
		mh_buf_free(&err);
		users_page(r, 422, NULL, msg, &inv, NULL, NULL);
		return;
	}
	mh_buf_free(&err);
	if (rc != MH_OK) {
		unavailable(r, "/admin/users");
		return;
	}
	const char *link = mh_arena_printf(r->a, "%s/admin/invite?token=%s", mh_site_config(r->site)->base_url, token);
	/* with [mail] smtp_url set the link goes by mail (issue 10); shown
	 * here only when there is no relay or the relay did not take it */
	const struct mh_newsletter_env *env = mh_newsletter_env();
	if (env != NULL && mh_mail_enabled(env->mail)) {
		struct mh_buf why = MH_BUF_INIT;
		enum mh_mail_result mr =
			mh_newsletter_mail_link(nu.email, "invite", link, INVITE_HOURS, mh_role_name(nu.role), &why);
		const char *said = mr == MH_MAIL_SENT
					   ? mh_arena_printf(r->a, "%s is invited as %s; the invitation was mailed.",
							     nu.email, mh_role_name(nu.role))
					   : mh_arena_printf(r->a,
							     "%s is invited as %s, but the mail did not go out (%s): "
							     "give them the link below.",
							     nu.email, mh_role_name(nu.role), mh_mail_result_name(mr));
		mh_buf_free(&why);
		users_page(r, 200, said, NULL, NULL, mr == MH_MAIL_SENT ? NULL : link, nu.email);
		return;
	}
	users_page(r, 200, mh_arena_printf(r->a, "%s is invited as %s.", nu.email, mh_role_name(nu.role)), NULL, NULL,
		   link, nu.email);
}

void mh_site_admin_users(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	r->store = mh_site_store(r);
	if (r->store == NULL) {
		unavailable(r, "/admin/users");
		return;
	}
	if (!mh_str_eq_c(r->http->method, "POST")) {
		struct mh_str done;
		const char *notice = NULL;
		if (mh_request_query(r->http, "done", &done)) {
			if (mh_str_eq_c(done, "role"))
				notice = "The role is changed; it applies at once.";
			else if (mh_str_eq_c(done, "disable"))
				notice = "The account is disabled: its sessions have ended and it cannot log in.";
			else if (mh_str_eq_c(done, "enable"))
				notice = "The account is enabled: it can log in again.";
			else if (mh_str_eq_c(done, "author"))
				notice = "The byline is changed.";
		}
		users_page(r, 200, notice, NULL, NULL, NULL, NULL);
		return;
	}
	struct mh_str action = form_trimmed(r, "action");
	if (mh_str_eq_c(action, "invite")) {
		invite(r);
		return;
	}
	int64_t id = 0;
	struct mh_user *u = NULL;
	if (!mh_str_to_i64(form_trimmed(r, "id"), &id) || id <= 0) {
		users_page(r, 422, NULL, "No account was chosen; nothing was changed.", NULL, NULL, NULL);
		return;
	}
	enum mh_store_rc rc = mh_store_user_by_id(r->store, r->a, id, &u);
	if (rc == MH_NOT_FOUND) {
		users_page(r, 422, NULL, "That account does not exist (any more); nothing was changed.", NULL, NULL, NULL);
		return;
	}
	if (rc != MH_OK) {
		unavailable(r, "/admin/users");
		return;
	}
	struct mh_user nu = *u;
	const char *done;
	if (mh_str_eq_c(action, "role")) {
		if (!mh_role_parse(form_trimmed(r, "role"), &nu.role)) {
			users_page(r, 422, NULL, "Role: choose contributor, author, editor or owner. Nothing was changed.",
				   NULL, NULL, NULL);
			return;
		}
		done = "role";
	} else if (mh_str_eq_c(action, "disable") || mh_str_eq_c(action, "enable")) {
		nu.disabled = mh_str_eq_c(action, "disable");
		done = nu.disabled ? "disable" : "enable";
	} else if (mh_str_eq_c(action, "author")) {
		struct mh_str a = form_trimmed(r, "author_id");
		int64_t aid = 0;
		if (a.len > 0 && (!mh_str_to_i64(a, &aid) || aid < 0)) {
			users_page(r, 422, NULL, "Byline: choose one of the authors. Nothing was changed.", NULL, NULL,
				   NULL);
			return;
		}
		nu.author_id = aid;
		done = "author";
	} else {
		users_page(r, 422, NULL, "Unknown action; nothing was changed.", NULL, NULL, NULL);
		return;
	}
	struct mh_buf err = MH_BUF_INIT;
	/* disabling ends the sessions too; the store refuses to leave the site
	 * without an active owner (MH_INVALID, with the sentence shown) */
	rc = mh_store_user_save(r->store, &nu, &err);
	if (rc == MH_INVALID) {
		const char *msg = mh_arena_printf(r->a, "%s. Nothing was changed.", mh_buf_cstr(&err));
		mh_buf_free(&err);
		users_page(r, 422, NULL, msg, NULL, NULL, NULL);
		return;
	}
	mh_buf_free(&err);
	if (rc != MH_OK) {
		unavailable(r, "/admin/users");
		return;
	}
	see_other(r, mh_arena_printf(r->a, "/admin/users?done=%s", done));
}
