/*
 * The newsroom's taxonomy screens, for accounts that may curate (editors,
 * owners): sections (/admin/sections: list in navigation order, add, edit,
 * Move up/Move down, remove), tags (/admin/tags: list with article counts,
 * filtered and paged by slug; rename and merge) and authors' profiles
 * (/admin/authors: list, add, edit, the account linked to the byline) and
 * the Staff Picks (/admin/picks: add by a search over headlines, remove,
 * Move up/Move down).
 * Every change commits in one transaction with its change-log entry
 * (mh_content_change_log), so the public pages showing it drop from the
 * page cache on every node and in the caches in front:
 *   a section (added, renamed, moved, removed): "nav", on every page;
 *   a tag: "tag:ID" (its pages) and "tagged:ID" (pages showing an article
 *   carrying it); an author: "author:ID" and "byline:ID"; the picks' order:
 *   "home" and the Staff Picks front.
 * A section's slug does not change while articles are filed in it: its
 * address would break, and sections keep no old addresses (tags do).
 */
#include <string.h>

#include "site/site.h"

#define TAGS_PER_PAGE 50
#define NAME_MAX_BYTES 200
#define BIO_MAX_BYTES 5000

static struct mh_str form(struct mh_site_req *r, const char *name)
{
	struct mh_str v = MH_STR("");
	mh_request_form(r->http, name, &v);
	return mh_arena_str(r->a, v);
}

static struct mh_str trimmed(struct mh_site_req *r, const char *name)
{
	struct mh_str v = form(r, name);
	while (v.len > 0 && (v.ptr[0] == ' ' || v.ptr[0] == '\t'))
		v.ptr++, v.len--;
	while (v.len > 0 && (v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t'))
		v.len--;
	return v;
}

static const char *cstr(struct mh_site_req *r, struct mh_str s)
{
	return mh_arena_strndup(r->a, s.ptr != NULL ? s.ptr : "", s.len);
}

static bool is_post(struct mh_site_req *r)
{
	return mh_str_eq_c(r->http->method, "POST");
}

static void send_message(struct mh_site_req *r, int status, const char *title, const char *text, const char *back,
			 const char *back_text)
{
	mh_site_admin_message(r, status, title, text, back, back_text);
}

static void unavailable(struct mh_site_req *r, const char *back)
{
	send_message(r, 503, "Temporarily unavailable",
		     "The site's database is not answering right now. Nothing was changed. Try again in a few seconds.",
		     back, "Back");
}

static void see_other(struct mh_site_req *r, const char *location)
{
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "location", location);
	mh_response_send(r->http, 303, "text/plain; charset=utf-8", mh_str_c("See Other\n"));
}

/* The number in "/admin/x/ID"; 0 when arg is not one. */
static int64_t id_of(struct mh_str arg)
{
	int64_t id = 0;
	if (arg.len == 0 || arg.len > 15)
		return 0;
	for (size_t i = 0; i < arg.len; i++) {
		if (arg.ptr[i] < '0' || arg.ptr[i] > '9')
			return 0;
		id = id * 10 + (arg.ptr[i] - '0');
	}
	return id;
}

/* NULL when name may be stored, else why not (for a person: label first). */
static const char *name_problem(struct mh_str name, size_t max)
{
	if (name.len == 0)
		return "Name: required";
	if (name.len > max)
		return "Name: too long";
	for (size_t i = 0; i < name.len; i++)
		if ((unsigned char)name.ptr[i] < 0x20 || name.ptr[i] == 0x7f)
			return "Name: no control characters (tabs, line breaks) allowed";
	return NULL;
}

/* The slug typed, or when empty the one made from the name; *problem set
 * when the typed one is not a slug. */
static const char *slug_of(struct mh_site_req *r, struct mh_str typed, struct mh_str name, const char **problem)
{
	*problem = NULL;
	if (typed.len == 0) {
		struct mh_buf b = MH_BUF_INIT;
		mh_content_slugify(&b, name);
		const char *s = cstr(r, mh_buf_str(&b));
		mh_buf_free(&b);
		return s;
	}
	if (!mh_content_slug_valid(typed))
		*problem = "Slug: use lower-case letters, digits and single hyphens inside (like city-hall), at most 80";
	return cstr(r, typed);
}

/* A store message ("slug 'x' is already used") as the form labels it. */
static const char *store_error(struct mh_site_req *r, enum mh_store_rc rc, const struct mh_buf *err)
{
	const char *msg = err->len > 0 ? cstr(r, mh_buf_str(err)) : "saving failed";
	if (rc == MH_CONFLICT && strncmp(msg, "slug", 4) == 0)
		return mh_arena_printf(r->a, "Slug: %s; choose another", msg);
	if (strncmp(msg, "avatar_url", 10) == 0)
		return mh_arena_printf(r->a, "Photo%s", msg + 10);
	return msg;
}

/* Commits the write (rc) with its change-log entry, or rolls it back. */
static enum mh_store_rc commit_logged(struct mh_store *s, enum mh_store_rc rc, const char *keys)
{
	if (rc == MH_OK)
		rc = mh_content_change_log(s, mh_str_c(keys));
	if (rc == MH_OK)
		return mh_store_commit(s);
	mh_store_rollback(s);
	return rc;
}

static void notice_from_query(struct mh_site_req *r)
{
	struct mh_str done = MH_STR("");
	mh_request_query(r->http, "done", &done);
	static const struct {
		const char *key, *text;
	} notices[] = {
		{ "added", "Added." },     { "saved", "Saved." },	{ "moved", "Moved." },
		{ "removed", "Removed." }, { "renamed", "Renamed." }, { "merged", "Merged." },
	};
	for (size_t i = 0; i < sizeof(notices) / sizeof(notices[0]); i++)
		if (mh_str_eq_c(done, notices[i].key))
			mh_val_set_cstr(r->a, r->ctx, "notice", notices[i].text);
}

/* ---- sections ---- */

static const char *kind_label(enum mh_section_kind k)
{
	return k == MH_SECTION_LATEST ? "every article" : k == MH_SECTION_PICKS ? "Staff Picks" : "its articles";
}

static void sections_page(struct mh_site_req *r, int status, const char *error, struct mh_str name,
			  struct mh_str slug)
{
	mh_site_admin_ctx(r, "Sections");
	struct mh_val *rows = mh_val_list(r->a);
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct mh_section *sec = &r->sections[i];
		struct mh_val *row = mh_val_map(r->a);
		mh_val_set_int(r->a, row, "id", sec->id);
		mh_val_set_cstr(r->a, row, "name", sec->name);
		mh_val_set_cstr(r->a, row, "slug", sec->slug);
		mh_val_set_cstr(r->a, row, "lists", kind_label(sec->kind));
		mh_val_set_bool(r->a, row, "first", i == 0);
		mh_val_set_bool(r->a, row, "last", i + 1 == r->n_sections);
		mh_val_push(r->a, rows, row);
	}
	mh_val_set(r->a, r->ctx, "sections", rows);
	struct mh_val *f = mh_val_map(r->a);
	mh_val_set(r->a, f, "name", mh_val_str(r->a, name));
	mh_val_set(r->a, f, "slug", mh_val_str(r->a, slug));
	mh_val_set(r->a, r->ctx, "form", f);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	else
		notice_from_query(r);
	mh_site_admin_send(r, status, "sections");
}

/* Move up/down: the sections get positions 0..n-1 in their order, with
 * the two swapped (positions may have been equal or sparse before). */
static enum mh_store_rc section_move(struct mh_site_req *r, size_t at, bool up, struct mh_buf *err)
{
	size_t other = up ? at - 1 : at + 1;
	enum mh_store_rc rc = mh_store_begin(r->store);
	if (rc != MH_OK)
		return rc;
	for (size_t i = 0; rc == MH_OK && i < r->n_sections; i++) {
		struct mh_section sec = r->sections[i];
		int want = (int)(i == at ? other : i == other ? at : i);
		if (sec.position == want)
			continue;
		sec.position = want;
		rc = mh_store_section_save(r->store, &sec, err);
	}
	return commit_logged(r->store, rc, "nav");
}

void mh_site_admin_sections(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	if (mh_store_sections(r->store, r->a, &r->sections, &r->n_sections) != MH_OK) {
		unavailable(r, "/admin/sections");
		return;
	}
	if (!is_post(r)) {
		sections_page(r, 200, NULL, MH_STR(""), MH_STR(""));
		return;
	}
	struct mh_str action = form(r, "action");
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc rc = MH_OK;
	const char *done = NULL;
	if (mh_str_eq_c(action, "add")) {
		struct mh_str name = trimmed(r, "name"), typed = trimmed(r, "slug");
		const char *problem = name_problem(name, NAME_MAX_BYTES), *slug_problem = NULL;
		const char *slug = slug_of(r, typed, name, &slug_problem);
		if (problem == NULL)
			problem = slug_problem;
		if (problem != NULL) {
			sections_page(r, 422, problem, name, typed);
			return;
		}
		struct mh_section sec = { .slug = slug, .name = cstr(r, name), .description = "",
					  .kind = MH_SECTION_PLAIN };
		/* a new section goes last in the navigation */
		if (r->n_sections > 0)
			sec.position = r->sections[r->n_sections - 1].position + 1;
		if ((rc = mh_store_begin(r->store)) == MH_OK)
			rc = commit_logged(r->store, mh_store_section_save(r->store, &sec, &err), "nav");
		if (rc == MH_CONFLICT || rc == MH_INVALID) {
			const char *msg = store_error(r, rc, &err);
			mh_buf_free(&err);
			sections_page(r, 422, msg, name, typed);
			return;
		}
		done = "added";
	} else {
		int64_t id = id_of(form(r, "id"));
		size_t at = r->n_sections;
		for (size_t i = 0; i < r->n_sections; i++)
			if (r->sections[i].id == id)
				at = i;
		if (at == r->n_sections) {
			send_message(r, 404, "No such section", "That section is not there (removed meanwhile?).",
				     "/admin/sections", "Back to the sections");
			return;
		}
		const struct mh_section *sec = &r->sections[at];
		if (mh_str_eq_c(action, "up") || mh_str_eq_c(action, "down")) {
			bool up = mh_str_eq_c(action, "up");
			if ((up && at == 0) || (!up && at + 1 == r->n_sections)) {
				sections_page(r, 422,
					      mh_arena_printf(r->a, "'%s' is already %s.", sec->name,
							      up ? "first" : "last"),
					      MH_STR(""), MH_STR(""));
				return;
			}
			rc = section_move(r, at, up, &err);
			done = "moved";
		} else if (mh_str_eq_c(action, "remove")) {
			int64_t articles = 0;
			if ((rc = mh_store_begin(r->store)) == MH_OK)
				rc = commit_logged(r->store, mh_store_section_remove(r->store, id, &articles, &err), "nav");
			if (rc == MH_CONFLICT) {
				mh_buf_free(&err);
				sections_page(r, 409,
					      mh_arena_printf(r->a,
							      "'%s' still has %lld article%s: move %s to another "
							      "section first. Nothing was removed.",
							      sec->name, (long long)articles, articles == 1 ? "" : "s",
							      articles == 1 ? "it" : "them"),
					      MH_STR(""), MH_STR(""));
				return;
			}
			done = "removed";
		} else {
			mh_buf_free(&err);
			sections_page(r, 400, "Use one of the page's buttons.", MH_STR(""), MH_STR(""));
			return;
		}
	}
	mh_buf_free(&err);
	if (rc != MH_OK) {
		unavailable(r, "/admin/sections");
		return;
	}
	see_other(r, mh_arena_printf(r->a, "/admin/sections?done=%s", done));
}

static void section_form(struct mh_site_req *r, int status, const struct mh_section *sec, struct mh_str name,
			 struct mh_str slug, struct mh_str description, bool no_ads, const char *error)
{
	mh_site_admin_ctx(r, "Edit section");
	struct mh_val *f = mh_val_map(r->a);
	mh_val_set_int(r->a, f, "id", sec->id);
	mh_val_set(r->a, f, "name", mh_val_str(r->a, name));
	mh_val_set(r->a, f, "slug", mh_val_str(r->a, slug));
	mh_val_set(r->a, f, "description", mh_val_str(r->a, description));
	mh_val_set_bool(r->a, f, "no_ads", no_ads); /* issue 9 */
	mh_val_set_cstr(r->a, f, "current_name", sec->name);
	mh_val_set(r->a, r->ctx, "form", f);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	mh_site_admin_send(r, status, "section");
}

void mh_site_admin_section(struct mh_site_req *r, struct mh_str arg)
{
	int64_t id = id_of(arg);
	if (mh_store_sections(r->store, r->a, &r->sections, &r->n_sections) != MH_OK) {
		unavailable(r, "/admin/sections");
		return;
	}
	const struct mh_section *sec = NULL;
	for (size_t i = 0; i < r->n_sections; i++)
		if (r->sections[i].id == id)
			sec = &r->sections[i];
	if (sec == NULL) {
		send_message(r, 404, "No such section", "A section's address is /admin/sections/ and its number.",
			     "/admin/sections", "Back to the sections");
		return;
	}
	if (!is_post(r)) {
		section_form(r, 200, sec, mh_str_c(sec->name), mh_str_c(sec->slug), mh_str_c(sec->description),
			     sec->no_ads, NULL);
		return;
	}
	struct mh_str name = trimmed(r, "name"), typed = trimmed(r, "slug"), description = trimmed(r, "description");
	bool no_ads = trimmed(r, "no_ads").len > 0; /* issue 9: advertisements off in the section */
	const char *problem = name_problem(name, NAME_MAX_BYTES), *slug_problem = NULL;
	const char *slug = slug_of(r, typed, name, &slug_problem);
	if (problem == NULL)
		problem = slug_problem;
	if (problem == NULL && description.len > BIO_MAX_BYTES)
		problem = "Description: too long";
	int64_t articles = 0;
	if (problem == NULL && strcmp(slug, sec->slug) != 0) {
		if (mh_store_section_articles(r->store, id, &articles) != MH_OK) {
			unavailable(r, "/admin/sections");
			return;
		}
		if (articles > 0)
			problem = mh_arena_printf(r->a,
						  "Slug: '%s' has %lld article%s, so its address /section/%s stays as "
						  "it is (readers' links to it would break). Move the articles to "
						  "another section first, or keep the slug.",
						  sec->name, (long long)articles, articles == 1 ? "" : "s", sec->slug);
	}
	if (problem != NULL) {
		section_form(r, 422, sec, name, typed, description, no_ads, problem);
		return;
	}
	struct mh_section changed = *sec;
	changed.name = cstr(r, name);
	changed.slug = slug;
	changed.description = cstr(r, description);
	changed.no_ads = no_ads;
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc rc = mh_store_begin(r->store);
	if (rc == MH_OK)
		rc = commit_logged(r->store, mh_store_section_save(r->store, &changed, &err),
				   mh_arena_printf(r->a, "nav section:%lld", (long long)id));
	if (rc == MH_CONFLICT || rc == MH_INVALID) {
		const char *msg = store_error(r, rc, &err);
		mh_buf_free(&err);
		section_form(r, 422, sec, name, typed, description, no_ads, msg);
		return;
	}
	mh_buf_free(&err);
	if (rc != MH_OK) {
		unavailable(r, "/admin/sections");
		return;
	}
	see_other(r, "/admin/sections?done=saved");
}

/* ---- tags ---- */

void mh_site_admin_tags(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_str q = MH_STR(""), after = MH_STR("");
	mh_request_query(r->http, "q", &q);
	mh_request_query(r->http, "after", &after);
	q = mh_arena_str(r->a, q);
	after = mh_arena_str(r->a, after);
	if (q.len > 200) {
		send_message(r, 400, "Filter too long", "Filter by at most 200 characters.", "/admin/tags",
			     "Back to the tags");
		return;
	}
	struct mh_tag_use *tags = NULL;
	size_t n = 0;
	if (mh_store_tags(r->store, r->a, q, after, TAGS_PER_PAGE + 1, &tags, &n) != MH_OK) {
		unavailable(r, "/admin/tags");
		return;
	}
	bool more = n > TAGS_PER_PAGE;
	if (more)
		n = TAGS_PER_PAGE;
	mh_site_admin_ctx(r, "Tags");
	struct mh_val *rows = mh_val_list(r->a);
	for (size_t i = 0; i < n; i++) {
		struct mh_val *row = mh_val_map(r->a);
		mh_val_set_int(r->a, row, "id", tags[i].tag.id);
		mh_val_set_cstr(r->a, row, "name", tags[i].tag.name);
		mh_val_set_cstr(r->a, row, "slug", tags[i].tag.slug);
		mh_val_set_int(r->a, row, "articles", tags[i].articles);
		mh_val_push(r->a, rows, row);
	}
	mh_val_set(r->a, r->ctx, "tags", rows);
	mh_val_set_bool(r->a, r->ctx, "empty", n == 0);
	mh_val_set(r->a, r->ctx, "q", mh_val_str(r->a, q));
	if (more) {
		struct mh_buf b = MH_BUF_INIT;
		mh_buf_append_c(&b, "/admin/tags?");
		if (q.len > 0) {
			mh_buf_append_c(&b, "q=");
			mh_escape_url(&b, q);
			mh_buf_append_ch(&b, '&');
		}
		mh_buf_append_c(&b, "after=");
		mh_escape_url(&b, mh_str_c(tags[n - 1].tag.slug));
		mh_val_set_cstr(r->a, r->ctx, "next_url", cstr(r, mh_buf_str(&b)));
		mh_buf_free(&b);
	}
	notice_from_query(r);
	mh_site_admin_send(r, 200, "tags");
}

static void tag_form(struct mh_site_req *r, int status, const struct mh_tag *tag, struct mh_str name,
		     struct mh_str slug, struct mh_str into, const char *error)
{
	mh_site_admin_ctx(r, "Edit tag");
	struct mh_val *f = mh_val_map(r->a);
	mh_val_set_int(r->a, f, "id", tag->id);
	mh_val_set(r->a, f, "name", mh_val_str(r->a, name));
	mh_val_set(r->a, f, "slug", mh_val_str(r->a, slug));
	mh_val_set(r->a, f, "into", mh_val_str(r->a, into));
	mh_val_set_cstr(r->a, f, "current_name", tag->name);
	mh_val_set_cstr(r->a, f, "current_slug", tag->slug);
	mh_val_set(r->a, r->ctx, "form", f);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	mh_site_admin_send(r, status, "tag");
}

void mh_site_admin_tag(struct mh_site_req *r, struct mh_str arg)
{
	int64_t id = id_of(arg);
	struct mh_tag *tag = NULL;
	enum mh_store_rc rc = id > 0 ? mh_store_tag_by_id(r->store, r->a, id, &tag) : MH_NOT_FOUND;
	if (rc == MH_NOT_FOUND) {
		send_message(r, 404, "No such tag", "That tag is not there (merged into another, or removed?).",
			     "/admin/tags", "Back to the tags");
		return;
	}
	if (rc != MH_OK) {
		unavailable(r, "/admin/tags");
		return;
	}
	if (!is_post(r)) {
		tag_form(r, 200, tag, mh_str_c(tag->name), mh_str_c(tag->slug), MH_STR(""), NULL);
		return;
	}
	struct mh_str action = form(r, "action");
	struct mh_buf err = MH_BUF_INIT;
	if (mh_str_eq_c(action, "rename")) {
		struct mh_str name = trimmed(r, "name"), typed = trimmed(r, "slug");
		const char *problem = name_problem(name, NAME_MAX_BYTES), *slug_problem = NULL;
		const char *slug = slug_of(r, typed, name, &slug_problem);
		if (problem == NULL)
			problem = slug_problem;
		if (problem != NULL) {
			tag_form(r, 422, tag, name, typed, MH_STR(""), problem);
			return;
		}
		struct mh_tag renamed = { .id = id, .slug = slug, .name = cstr(r, name) };
		if ((rc = mh_store_begin(r->store)) == MH_OK)
			rc = commit_logged(r->store, mh_store_tag_rename(r->store, &renamed, &err),
					   mh_arena_printf(r->a, "tag:%lld tagged:%lld", (long long)id, (long long)id));
		if (rc == MH_CONFLICT || rc == MH_INVALID) {
			const char *msg = store_error(r, rc, &err);
			mh_buf_free(&err);
			tag_form(r, 422, tag, name, typed, MH_STR(""), msg);
			return;
		}
		mh_buf_free(&err);
		if (rc != MH_OK) {
			unavailable(r, "/admin/tags");
			return;
		}
		see_other(r, "/admin/tags?done=renamed");
		return;
	}
	if (mh_str_eq_c(action, "merge")) {
		struct mh_str into_s = trimmed(r, "into");
		struct mh_tag *into = NULL;
		const char *problem = NULL;
		if (into_s.len == 0) {
			problem = "Merge into: give the slug of the tag to keep";
		} else {
			rc = mh_store_tag_by_slug(r->store, r->a, into_s, &into);
			if (rc == MH_NOT_FOUND)
				problem = mh_arena_printf(r->a, "Merge into: there is no tag with the slug '%s'",
							  cstr(r, into_s));
			else if (rc != MH_OK) {
				unavailable(r, "/admin/tags");
				return;
			} else if (into->id == id)
				problem = "Merge into: a tag cannot be merged into itself; give another tag's slug";
		}
		if (problem != NULL) {
			tag_form(r, 422, tag, mh_str_c(tag->name), mh_str_c(tag->slug), into_s, problem);
			return;
		}
		if ((rc = mh_store_begin(r->store)) == MH_OK)
			rc = commit_logged(r->store, mh_store_tag_merge(r->store, id, into->id, &err),
					   mh_arena_printf(r->a, "tag:%lld tagged:%lld tag:%lld tagged:%lld", (long long)id,
							   (long long)id, (long long)into->id, (long long)into->id));
		if (rc == MH_INVALID || rc == MH_NOT_FOUND) {
			const char *msg = store_error(r, rc, &err);
			mh_buf_free(&err);
			tag_form(r, 422, tag, mh_str_c(tag->name), mh_str_c(tag->slug), into_s, msg);
			return;
		}
		mh_buf_free(&err);
		if (rc != MH_OK) {
			unavailable(r, "/admin/tags");
			return;
		}
		see_other(r, "/admin/tags?done=merged");
		return;
	}
	mh_buf_free(&err);
	tag_form(r, 400, tag, mh_str_c(tag->name), mh_str_c(tag->slug), MH_STR(""), "Use one of the page's buttons.");
}

/* ---- authors ---- */

void mh_site_admin_authors(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_author *authors = NULL;
	size_t n = 0;
	struct mh_user *users = NULL;
	size_t n_users = 0;
	if (mh_store_authors(r->store, r->a, &authors, &n) != MH_OK ||
	    mh_store_users(r->store, r->a, &users, &n_users) != MH_OK) {
		unavailable(r, "/admin/authors");
		return;
	}
	struct mh_str name = MH_STR(""), typed = MH_STR("");
	const char *problem = NULL;
	int status = 200;
	if (is_post(r)) {
		name = trimmed(r, "name");
		typed = trimmed(r, "slug");
		problem = name_problem(name, NAME_MAX_BYTES);
		const char *slug_problem = NULL;
		const char *slug = slug_of(r, typed, name, &slug_problem);
		if (problem == NULL)
			problem = slug_problem;
		if (problem == NULL) {
			struct mh_author au = { .slug = slug, .name = cstr(r, name), .bio = "", .avatar_url = "" };
			struct mh_buf err = MH_BUF_INIT;
			enum mh_store_rc rc = mh_store_begin(r->store);
			if (rc == MH_OK)
				rc = commit_logged(r->store, mh_store_author_save(r->store, &au, &err), "");
			if (rc == MH_OK) {
				mh_buf_free(&err);
				see_other(r, mh_arena_printf(r->a, "/admin/authors/%lld?done=added", (long long)au.id));
				return;
			}
			if (rc != MH_CONFLICT && rc != MH_INVALID) {
				mh_buf_free(&err);
				unavailable(r, "/admin/authors");
				return;
			}
			problem = store_error(r, rc, &err);
			mh_buf_free(&err);
		}
		status = 422;
	}
	mh_site_admin_ctx(r, "Authors");
	struct mh_val *rows = mh_val_list(r->a);
	for (size_t i = 0; i < n; i++) {
		struct mh_val *row = mh_val_map(r->a);
		mh_val_set_int(r->a, row, "id", authors[i].id);
		mh_val_set_cstr(r->a, row, "name", authors[i].name);
		mh_val_set_cstr(r->a, row, "slug", authors[i].slug);
		for (size_t j = 0; j < n_users; j++)
			if (users[j].author_id == authors[i].id)
				mh_val_set_cstr(r->a, row, "account", users[j].email);
		mh_val_push(r->a, rows, row);
	}
	mh_val_set(r->a, r->ctx, "authors", rows);
	mh_val_set_bool(r->a, r->ctx, "empty", n == 0);
	struct mh_val *f = mh_val_map(r->a);
	mh_val_set(r->a, f, "name", mh_val_str(r->a, name));
	mh_val_set(r->a, f, "slug", mh_val_str(r->a, typed));
	mh_val_set(r->a, r->ctx, "form", f);
	if (problem != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", problem);
	mh_site_admin_send(r, status, "authors");
}

struct author_fields {
	struct mh_str name, slug, bio, photo, account;
};

static void author_form(struct mh_site_req *r, int status, const struct mh_author *au, const struct author_fields *f,
			const struct mh_user *users, size_t n_users, const char *error)
{
	mh_site_admin_ctx(r, "Edit author");
	struct mh_val *fv = mh_val_map(r->a);
	mh_val_set_int(r->a, fv, "id", au->id);
	mh_val_set(r->a, fv, "name", mh_val_str(r->a, f->name));
	mh_val_set(r->a, fv, "slug", mh_val_str(r->a, f->slug));
	mh_val_set(r->a, fv, "bio", mh_val_str(r->a, f->bio));
	mh_val_set(r->a, fv, "photo", mh_val_str(r->a, f->photo));
	mh_val_set_cstr(r->a, fv, "current_name", au->name);
	mh_val_set_cstr(r->a, fv, "public_url", mh_arena_printf(r->a, "/author/%s", au->slug));
	struct mh_val *accounts = mh_val_list(r->a);
	bool any = false;
	for (size_t i = 0; i < n_users; i++) {
		struct mh_val *u = mh_val_map(r->a);
		mh_val_set_int(r->a, u, "id", users[i].id);
		mh_val_set_cstr(r->a, u, "email", users[i].email);
		mh_val_set_cstr(r->a, u, "name", users[i].name);
		bool sel = mh_str_eq_c(f->account, mh_arena_printf(r->a, "%lld", (long long)users[i].id));
		any = any || sel;
		mh_val_set_bool(r->a, u, "selected", sel);
		mh_val_push(r->a, accounts, u);
	}
	mh_val_set(r->a, fv, "accounts", accounts);
	mh_val_set_bool(r->a, fv, "no_account", !any);
	mh_val_set(r->a, r->ctx, "form", fv);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	else
		notice_from_query(r);
	mh_site_admin_send(r, status, "author");
}

/* Links account want (0: none) to author id: the account linked until now
 * (if another) loses the link; an account linked to another author moves. */
static enum mh_store_rc link_account(struct mh_site_req *r, int64_t id, int64_t want, struct mh_user *users,
				     size_t n_users, struct mh_buf *err)
{
	enum mh_store_rc rc = MH_OK;
	for (size_t i = 0; rc == MH_OK && i < n_users; i++) {
		struct mh_user *u = &users[i];
		int64_t before = u->author_id;
		if (u->id == want)
			u->author_id = id;
		else if (u->author_id == id)
			u->author_id = 0;
		if (u->author_id != before)
			rc = mh_store_user_save(r->store, u, err);
	}
	return rc;
}

void mh_site_admin_author(struct mh_site_req *r, struct mh_str arg)
{
	int64_t id = id_of(arg);
	struct mh_author *authors = NULL, *au = NULL;
	size_t n = 0;
	struct mh_user *users = NULL;
	size_t n_users = 0;
	if (mh_store_authors(r->store, r->a, &authors, &n) != MH_OK ||
	    mh_store_users(r->store, r->a, &users, &n_users) != MH_OK) {
		unavailable(r, "/admin/authors");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (authors[i].id == id)
			au = &authors[i];
	if (au == NULL) {
		send_message(r, 404, "No such author", "An author's address is /admin/authors/ and its number.",
			     "/admin/authors", "Back to the authors");
		return;
	}
	struct author_fields f = { 0 };
	if (!is_post(r)) {
		f.name = mh_str_c(au->name);
		f.slug = mh_str_c(au->slug);
		f.bio = mh_str_c(au->bio);
		f.photo = mh_str_c(au->avatar_url);
		f.account = MH_STR("");
		for (size_t i = 0; i < n_users; i++)
			if (users[i].author_id == id)
				f.account = mh_str_c(mh_arena_printf(r->a, "%lld", (long long)users[i].id));
		author_form(r, 200, au, &f, users, n_users, NULL);
		return;
	}
	f.name = trimmed(r, "name");
	f.slug = trimmed(r, "slug");
	f.bio = form(r, "bio");
	f.photo = trimmed(r, "photo");
	f.account = trimmed(r, "account");
	const char *problem = name_problem(f.name, NAME_MAX_BYTES), *slug_problem = NULL;
	const char *slug = slug_of(r, f.slug, f.name, &slug_problem);
	if (problem == NULL)
		problem = slug_problem;
	if (problem == NULL && f.bio.len > BIO_MAX_BYTES)
		problem = "Bio: too long (at most 5000 bytes)";
	const char *url_problem = mh_store_url_problem(f.photo);
	if (problem == NULL && url_problem != NULL)
		problem = mh_arena_printf(r->a, "Photo: %s (give a /media/... address from the media library, or an "
						"http(s) address)", url_problem);
	int64_t want = 0;
	if (problem == NULL && f.account.len > 0) {
		want = id_of(f.account);
		bool known = false;
		for (size_t i = 0; i < n_users; i++)
			known = known || users[i].id == want;
		if (!known)
			problem = "Account: choose one of the list's accounts";
	}
	if (problem != NULL) {
		author_form(r, 422, au, &f, users, n_users, problem);
		return;
	}
	struct mh_author changed = { .id = id, .slug = slug, .name = cstr(r, f.name), .bio = cstr(r, f.bio),
				     .avatar_url = cstr(r, f.photo) };
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc rc = mh_store_begin(r->store);
	if (rc == MH_OK) {
		rc = mh_store_author_save(r->store, &changed, &err);
		if (rc == MH_OK)
			rc = link_account(r, id, want, users, n_users, &err);
		rc = commit_logged(r->store, rc,
				   mh_arena_printf(r->a, "author:%lld byline:%lld", (long long)id, (long long)id));
	}
	if (rc == MH_CONFLICT || rc == MH_INVALID) {
		const char *msg = store_error(r, rc, &err);
		mh_buf_free(&err);
		author_form(r, 422, au, &f, users, n_users, msg);
		return;
	}
	mh_buf_free(&err);
	if (rc != MH_OK) {
		unavailable(r, "/admin/authors");
		return;
	}
	see_other(r, mh_arena_printf(r->a, "/admin/authors/%lld?done=saved", (long long)id));
}

/* ---- Staff Picks ----
 * Which published articles are picks goes through the article save
 * (a revision with who did it, the editor's conflict check, the article's
 * cache keys); their order is pick_rank (store.h), which only this screen
 * sets: the picks shown get ranks from the top down whenever one is
 * added (on top) or moved. */

#define SEARCH_MAX 20

static int64_t picks_section(struct mh_site_req *r)
{
	for (size_t i = 0; i < r->n_sections; i++)
		if (r->sections[i].kind == MH_SECTION_PICKS)
			return r->sections[i].id;
	return 0;
}

static void picks_page(struct mh_site_req *r, int status, const struct mh_article *picks, size_t n,
		       const char *error)
{
	mh_site_admin_ctx(r, "Staff Picks");
	struct mh_val *rows = mh_val_list(r->a);
	for (size_t i = 0; i < n; i++) {
		struct mh_val *row = mh_val_map(r->a);
		mh_val_set_int(r->a, row, "id", picks[i].id);
		mh_val_set_int(r->a, row, "position", (int64_t)i + 1);
		mh_val_set_cstr(r->a, row, "headline", picks[i].headline);
		mh_val_set_cstr(r->a, row, "slug", picks[i].slug);
		mh_val_set_bool(r->a, row, "first", i == 0);
		mh_val_set_bool(r->a, row, "last", i + 1 == n);
		mh_val_push(r->a, rows, row);
	}
	mh_val_set(r->a, r->ctx, "picks", rows);
	mh_val_set_bool(r->a, r->ctx, "empty", n == 0);
	struct mh_str q = MH_STR("");
	mh_request_query(r->http, "q", &q);
	q = mh_arena_str(r->a, q);
	mh_val_set(r->a, r->ctx, "q", mh_val_str(r->a, q));
	if (q.len > 0 && q.len <= 200) {
		struct mh_article *found = NULL;
		size_t m = 0;
		if (mh_store_articles_by_headline(r->store, r->a, q, SEARCH_MAX, &found, &m) != MH_OK) {
			unavailable(r, "/admin/picks");
			return;
		}
		struct mh_val *res = mh_val_list(r->a);
		for (size_t i = 0; i < m; i++) {
			struct mh_val *row = mh_val_map(r->a);
			mh_val_set_int(r->a, row, "id", found[i].id);
			mh_val_set_cstr(r->a, row, "headline", found[i].headline);
			mh_val_set_cstr(r->a, row, "slug", found[i].slug);
			mh_val_set_bool(r->a, row, "pick", found[i].staff_pick);
			mh_val_push(r->a, res, row);
		}
		mh_val_set(r->a, r->ctx, "results", res);
		mh_val_set_bool(r->a, r->ctx, "searched", true);
		mh_val_set_bool(r->a, r->ctx, "none_found", m == 0);
	} else if (q.len > 200 && error == NULL) {
		error = "Search: at most 200 characters";
		status = 400;
	}
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	else
		notice_from_query(r);
	mh_site_admin_send(r, status, "picks");
}

/* The new order (ids[0..n)) with its change-log entry, in one transaction. */
static enum mh_store_rc picks_order(struct mh_site_req *r, const int64_t *ids, size_t n)
{
	enum mh_store_rc rc = mh_store_begin(r->store);
	if (rc != MH_OK)
		return rc;
	int64_t sec = picks_section(r);
	const char *keys = sec != 0 ? mh_arena_printf(r->a, "home section:%lld", (long long)sec) : "home";
	return commit_logged(r->store, mh_store_pick_ranks(r->store, ids, n), keys);
}

void mh_site_admin_picks(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_article_query pq = { .staff_picks_only = true, .limit = MH_SITE_PICKS_MAX };
	struct mh_article *picks = NULL;
	size_t n = 0;
	if (mh_store_sections(r->store, r->a, &r->sections, &r->n_sections) != MH_OK ||
	    mh_store_articles(r->store, r->a, &pq, &picks, &n) != MH_OK) {
		unavailable(r, "/admin/picks");
		return;
	}
	if (!is_post(r)) {
		picks_page(r, 200, picks, n, NULL);
		return;
	}
	struct mh_str action = form(r, "action");
	int64_t id = id_of(form(r, "id"));
	size_t at = n;
	for (size_t i = 0; i < n; i++)
		if (picks[i].id == id)
			at = i;
	int64_t *order = MH_NEW_ARRAY(r->a, int64_t, n + 1);
	enum mh_store_rc rc = MH_OK;
	const char *done = NULL;
	if (mh_str_eq_c(action, "add") || mh_str_eq_c(action, "remove")) {
		bool add = mh_str_eq_c(action, "add");
		struct mh_article *before = NULL;
		rc = id > 0 ? mh_store_article_by_id(r->store, r->a, id, &before) : MH_NOT_FOUND;
		if (rc == MH_NOT_FOUND) {
			picks_page(r, 422, picks, n, "There is no such article (deleted meanwhile?). Nothing was changed.");
			return;
		}
		if (rc != MH_OK) {
			unavailable(r, "/admin/picks");
			return;
		}
		if (add && (before->status != MH_ARTICLE_PUBLISHED || before->published_at > mh_time_now())) {
			picks_page(r, 422, picks, n,
				   mh_arena_printf(r->a, "'%s' is not published: only published articles can be Staff "
							 "Picks. Nothing was changed.", before->headline));
			return;
		}
		if (add && at < n) {
			picks_page(r, 422, picks, n,
				   mh_arena_printf(r->a, "'%s' is already a Staff Pick.", before->headline));
			return;
		}
		if (!add && !before->staff_pick) {
			picks_page(r, 422, picks, n,
				   mh_arena_printf(r->a, "'%s' is not a Staff Pick.", before->headline));
			return;
		}
		struct mh_article art = *before;
		art.staff_pick = add;
		struct mh_revision_note note = { .user_id = r->user->id, .user_name = r->user->name };
		struct mh_content_save sv = { .note = &note };
		struct mh_buf err = MH_BUF_INIT;
		if (mh_content_article_save(r->store, r->a, before, &art, &sv, &err) != 0) {
			const char *msg = mh_arena_printf(r->a, "'%s' could not be saved: %s. Nothing was changed.",
							  before->headline, err.len > 0 ? mh_buf_cstr(&err) : "error");
			mh_buf_free(&err);
			picks_page(r, sv.conflict ? 409 : 422, picks, n, msg);
			return;
		}
		mh_buf_free(&err);
		if (add) {
			/* on top of the order */
			order[0] = id;
			for (size_t i = 0; i < n; i++)
				order[i + 1] = picks[i].id;
			rc = picks_order(r, order, n + 1 > MH_SITE_PICKS_MAX ? MH_SITE_PICKS_MAX : n + 1);
		}
		done = add ? "added" : "removed";
	} else if (mh_str_eq_c(action, "up") || mh_str_eq_c(action, "down")) {
		bool up = mh_str_eq_c(action, "up");
		if (at == n) {
			picks_page(r, 422, picks, n, "That article is not among the Staff Picks (removed meanwhile?).");
			return;
		}
		if ((up && at == 0) || (!up && at + 1 == n)) {
			picks_page(r, 422, picks, n,
				   mh_arena_printf(r->a, "'%s' is already %s.", picks[at].headline, up ? "first" : "last"));
			return;
		}
		size_t other = up ? at - 1 : at + 1;
		for (size_t i = 0; i < n; i++)
			order[i] = picks[i == at ? other : i == other ? at : i].id;
		rc = picks_order(r, order, n);
		done = "moved";
	} else {
		picks_page(r, 400, picks, n, "Use one of the page's buttons.");
		return;
	}
	if (rc != MH_OK) {
		unavailable(r, "/admin/picks");
		return;
	}
	see_other(r, mh_arena_printf(r->a, "/admin/picks?done=%s", done));
}
