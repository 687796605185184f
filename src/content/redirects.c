/*
 * Redirects (issue 9): the rules of the redirects table as one immutable
 * in-memory table per node, looked up only where a page would answer 404.
 * Exact rules are a sorted array (binary search); prefix rules another,
 * matched longest first by trying only the lengths some prefix has (few),
 * each by binary search: O(lengths * log n) per miss, no query. Every
 * change to the rules logs MH_CONTENT_REDIRECTS_KEY, and every node's
 * change-log watcher builds a new table and swaps it in whole.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "content/content.h"

struct rule {
	struct mh_str from, to;
	int status;
};

struct mh_redirects {
	atomic_int refs;
	struct rule *exact, *prefix;
	size_t n_exact, n_prefix;
	size_t *lengths; /* the distinct lengths of the prefixes, longest first */
	size_t n_lengths;
	char *text; /* every from and to, one after the other */
};

static int rule_order(const void *x, const void *y)
{
	const struct rule *a = x, *b = y;
	size_t n = a->from.len < b->from.len ? a->from.len : b->from.len;
	int c = memcmp(a->from.ptr, b->from.ptr, n);
	if (c != 0)
		return c;
	return a->from.len < b->from.len ? -1 : a->from.len > b->from.len;
}

static int length_order(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return a > b ? -1 : a < b; /* longest first */
}

struct mh_redirects *mh_redirects_build(const struct mh_redirect *rules, size_t n)
{
	struct mh_redirects *t = calloc(1, sizeof(*t));
	MH_ASSERT(t != NULL);
	atomic_init(&t->refs, 1);
	size_t bytes = 1;
	for (size_t i = 0; i < n; i++)
		bytes += strlen(rules[i].from) + strlen(rules[i].to);
	t->text = malloc(bytes);
	t->exact = calloc(n + 1, sizeof(*t->exact));
	t->prefix = calloc(n + 1, sizeof(*t->prefix));
	t->lengths = calloc(n + 1, sizeof(*t->lengths));
	MH_ASSERT(t->text != NULL && t->exact != NULL && t->prefix != NULL && t->lengths != NULL);
	char *p = t->text;
	for (size_t i = 0; i < n; i++) {
		struct rule r;
		size_t fl = strlen(rules[i].from), tl = strlen(rules[i].to);
		memcpy(p, rules[i].from, fl);
		r.from = (struct mh_str){ p, fl };
		p += fl;
		memcpy(p, rules[i].to, tl);
		r.to = (struct mh_str){ p, tl };
		p += tl;
		r.status = rules[i].status;
		if (rules[i].prefix)
			t->prefix[t->n_prefix++] = r;
		else
			t->exact[t->n_exact++] = r;
	}
	qsort(t->exact, t->n_exact, sizeof(*t->exact), rule_order);
	qsort(t->prefix, t->n_prefix, sizeof(*t->prefix), rule_order);
	for (size_t i = 0; i < t->n_prefix; i++)
		t->lengths[i] = t->prefix[i].from.len;
	qsort(t->lengths, t->n_prefix, sizeof(*t->lengths), length_order);
	for (size_t i = 0; i < t->n_prefix; i++)
		if (t->n_lengths == 0 || t->lengths[t->n_lengths - 1] != t->lengths[i])
			t->lengths[t->n_lengths++] = t->lengths[i];
	return t;
}

void mh_redirects_hold(struct mh_redirects *t)
{
	if (t != NULL)
		atomic_fetch_add(&t->refs, 1);
}

void mh_redirects_release(struct mh_redirects *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	free(t->exact);
	free(t->prefix);
	free(t->lengths);
	free(t->text);
	free(t);
}

size_t mh_redirects_count(const struct mh_redirects *t)
{
	return t == NULL ? 0 : t->n_exact + t->n_prefix;
}

static const struct rule *search(const struct rule *arr, size_t n, struct mh_str key)
{
	struct rule k = { key, MH_STR_NULL, 0 };
	return bsearch(&k, arr, n, sizeof(*arr), rule_order);
}

bool mh_redirects_find(const struct mh_redirects *t, struct mh_str path, struct mh_str query, struct mh_buf *location,
		       int *status)
{
	if (t == NULL || path.len == 0)
		return false;
	while (path.len > 1 && path.ptr[0] == '/' && path.ptr[1] == '/')
		path.ptr++, path.len--; /* "//x" is "/x" to a rule (a rule's FROM never starts "//") */
	const struct rule *r = NULL;
	struct mh_str rest = MH_STR_NULL;
	if (query.len > 0 && t->n_exact > 0) {
		/* "/?p=123": the path and its query as one exact rule */
		struct mh_buf key = MH_BUF_INIT;
		mh_buf_append(&key, path.ptr, path.len);
		mh_buf_append_ch(&key, '?');
		mh_buf_append(&key, query.ptr, query.len);
		r = search(t->exact, t->n_exact, mh_buf_str(&key));
		mh_buf_free(&key);
	}
	if (r == NULL)
		r = search(t->exact, t->n_exact, path);
	if (r == NULL && path.len > 1) {
		/* WordPress's addresses end in '/', links to them often do not:
		 * the other spelling is the same address */
		char buf[2048];
		if (path.ptr[path.len - 1] == '/') {
			r = search(t->exact, t->n_exact, (struct mh_str){ path.ptr, path.len - 1 });
		} else if (path.len < sizeof(buf)) {
			memcpy(buf, path.ptr, path.len);
			buf[path.len] = '/';
			r = search(t->exact, t->n_exact, (struct mh_str){ buf, path.len + 1 });
		}
	}
	for (size_t i = 0; r == NULL && i < t->n_lengths; i++) {
		size_t len = t->lengths[i];
		if (len > path.len)
			continue;
		r = search(t->prefix, t->n_prefix, (struct mh_str){ path.ptr, len });
		if (r != NULL)
			rest = (struct mh_str){ path.ptr + len, path.len - len };
	}
	if (r == NULL)
		return false;
	mh_buf_reset(location);
	mh_buf_append(location, r->to.ptr, r->to.len);
	mh_buf_append(location, rest.ptr, rest.len);
	*status = r->status;
	return true;
}

enum mh_store_rc mh_redirects_load(struct mh_store *s, struct mh_redirects **out)
{
	*out = NULL;
	struct mh_arena *a = mh_arena_new();
	struct mh_redirect *rules = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_redirects(s, a, &rules, &n);
	if (rc == MH_OK)
		*out = mh_redirects_build(rules, n);
	mh_arena_free(a);
	return rc;
}

/* Whether following r from its target comes back to it: the chain of the
 * table's rules (r replacing the one with its from) is walked up to a bound;
 * a chain longer than that is refused too, since a browser gives up. */
static const char *loop_problem(const struct mh_redirects *t, const struct mh_redirect *r)
{
	struct mh_buf at = MH_BUF_INIT, next = MH_BUF_INIT;
	mh_buf_append_c(&at, r->to);
	const char *why = NULL;
	size_t from_len = strlen(r->from);
	for (int hop = 0; hop < 10 && why == NULL; hop++) {
		struct mh_str p = mh_buf_str(&at);
		if (p.len == 0 || p.ptr[0] != '/')
			break; /* leaves the site */
		if (mh_str_eq_c(p, r->from) || (r->prefix && p.len >= from_len && memcmp(p.ptr, r->from, from_len) == 0)) {
			why = "leads back to FROM through other rules: the addresses would redirect in a loop";
			break;
		}
		const char *q = memchr(p.ptr, '?', p.len);
		struct mh_str path = q != NULL ? (struct mh_str){ p.ptr, (size_t)(q - p.ptr) } : p;
		struct mh_str query = q != NULL ? (struct mh_str){ q + 1, p.len - path.len - 1 } : MH_STR_NULL;
		int status;
		if (!mh_redirects_find(t, path, query, &next, &status))
			break;
		mh_buf_reset(&at);
		mh_buf_append(&at, next.ptr, next.len);
		if (hop == 9)
			why = "starts a chain of more than 10 redirects";
	}
	mh_buf_free(&at);
	mh_buf_free(&next);
	return why;
}

int mh_content_redirect_add(struct mh_store *s, const struct mh_redirect *r, struct mh_buf *err)
{
	const char *field, *why = mh_store_redirect_problem(r, &field);
	if (why != NULL) {
		mh_buf_printf(err, "%s: %s", field, why);
		return 2;
	}
	enum mh_store_rc rc = mh_store_begin(s);
	struct mh_redirects *t = NULL;
	if (rc == MH_OK)
		rc = mh_redirects_load(s, &t);
	if (rc == MH_OK && (why = loop_problem(t, r)) != NULL) {
		mh_redirects_release(t);
		mh_store_rollback(s);
		mh_buf_printf(err, "TO: %s", why);
		return 2;
	}
	mh_redirects_release(t);
	if (rc == MH_OK)
		rc = mh_store_redirect_put(s, r, err);
	if (rc == MH_OK)
		rc = mh_store_change_add(s, mh_str_c(MH_CONTENT_REDIRECTS_KEY));
	if (rc == MH_OK)
		rc = mh_store_commit(s);
	else
		mh_store_rollback(s);
	if (rc != MH_OK) {
		if (err->len == 0)
			mh_buf_printf(err, "the database did not answer");
		return rc == MH_INVALID ? 2 : 1;
	}
	return 0;
}

int mh_content_redirect_remove(struct mh_store *s, struct mh_str from, struct mh_buf *err)
{
	enum mh_store_rc rc = mh_store_begin(s);
	if (rc == MH_OK)
		rc = mh_store_redirect_remove(s, from);
	if (rc == MH_OK)
		rc = mh_store_change_add(s, mh_str_c(MH_CONTENT_REDIRECTS_KEY));
	if (rc == MH_OK)
		rc = mh_store_commit(s);
	else
		mh_store_rollback(s);
	if (rc == MH_NOT_FOUND)
		mh_buf_printf(err, "FROM: no redirect from '%.*s' (see 'masthead redirect list')", (int)from.len, from.ptr);
	else if (rc != MH_OK)
		mh_buf_printf(err, "the database did not answer");
	return rc == MH_OK ? 0 : 1;
}
