/*
 * frontmatter.c: an article as a file, front matter + Markdown body
 * (mh_frontmatter_parse, declared in content.h).
 *
 * The front matter is a deliberately small subset of YAML, not YAML: one
 * "key: value" line per key, keys from a fixed list of twelve, values that
 * are scalars (plain, "double-quoted" with \" and \\ escapes, or
 * 'single-quoted' with '' for a quote) or, for authors and tags, one-line
 * lists ("a, b" or "[a, "b, c"]"). Blank lines and lines starting with '#'
 * are skipped; there are no indented blocks, multi-line values, anchors,
 * tags or inline comments (a '#' inside a value is part of it).
 *
 * Why not libyaml (Debian's libyaml-dev): a full YAML parser would accept far
 * more than there is meaning for (nested maps, multi-documents, implicit
 * typing where "no" is a boolean and 2026-01-02 a timestamp) and then each of
 * those would need refusing after the fact; its events carry marks but every
 * check here is about a key's value, where this parser already knows the
 * line. Errors name FILE:LINE: key: problem, precisely, in ~400 lines with no
 * extra dependency. Every file this parser accepts is also valid YAML with
 * the same strings, except that values are never typed implicitly.
 */
#include <stdarg.h>
#include <string.h>

#include "content/content.h"

#define MAX_AUTHORS 10
#define MAX_TAGS 20
#define TAG_NAME_MAX 100 /* characters */

static const char *const key_names[MH_FM_N_KEYS] = {
	[MH_FM_HEADLINE] = "headline",	   [MH_FM_DEK] = "dek",
	[MH_FM_SLUG] = "slug",		   [MH_FM_SECTION] = "section",
	[MH_FM_AUTHORS] = "authors",	   [MH_FM_TAGS] = "tags",
	[MH_FM_VIA] = "via",		   [MH_FM_IMAGE] = "image",
	[MH_FM_IMAGE_ALT] = "image_alt",   [MH_FM_STAFF_PICK] = "staff_pick",
	[MH_FM_STATUS] = "status",	   [MH_FM_PUBLISH_AT] = "publish_at",
};

const char *mh_fm_key_name(enum mh_fm_key k)
{
	MH_ASSERT((unsigned)k < MH_FM_N_KEYS);
	return key_names[k];
}

int mh_frontmatter_line(const struct mh_frontmatter *fm, enum mh_fm_key k)
{
	MH_ASSERT((unsigned)k < MH_FM_N_KEYS);
	if (fm->lines[k] > 0)
		return fm->lines[k];
	if (k == MH_FM_SLUG && fm->lines[MH_FM_HEADLINE] > 0)
		return fm->lines[MH_FM_HEADLINE];
	return 1;
}

struct parse {
	struct mh_arena *a;
	const char *name;
	struct mh_buf *err;
	int line;	     /* the line being read */
	const char *key;     /* its key, once known */
};

/* Writes "NAME:LINE: key: problem" (key omitted when NULL); returns false. */
static bool fail(struct parse *p, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool fail(struct parse *p, int line, const char *key, const char *fmt, ...)
{
	va_list ap;
	mh_buf_reset(p->err);
	mh_buf_printf(p->err, "%s:%d: ", p->name, line);
	if (key != NULL)
		mh_buf_printf(p->err, "%s: ", key);
	va_start(ap, fmt);
	mh_buf_vprintf(p->err, fmt, ap);
	va_end(ap);
	return false;
}

/* A value quoted for an error message: at most 60 bytes, cut at a UTF-8
 * character boundary. Values reaching here passed text_ok (no controls). */
static const char *shown(struct parse *p, struct mh_str v)
{
	size_t n = v.len;
	bool cut = false;
	if (n > 60) {
		n = 60;
		while (n > 0 && ((unsigned char)v.ptr[n] & 0xc0) == 0x80)
			n--;
		cut = true;
	}
	return mh_arena_printf(p->a, "'%.*s%s'", (int)n, v.ptr, cut ? "..." : "");
}

/* Valid UTF-8 without control characters other than tab. */
static bool text_ok(struct mh_str s)
{
	const unsigned char *u = (const unsigned char *)s.ptr;
	size_t i = 0;
	while (i < s.len) {
		unsigned char c = u[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return false;
			i++;
			continue;
		}
		size_t n;
		long cp;
		if (c >= 0xc2 && c <= 0xdf)
			n = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4, cp = c & 0x07;
		else
			return false;
		if (s.len - i < n)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

static size_t count_chars(struct mh_str s)
{
	size_t n = 0;
	for (size_t i = 0; i < s.len; i++)
		n += ((unsigned char)s.ptr[i] & 0xc0) != 0x80;
	return n;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static struct mh_str trim(struct mh_str s)
{
	while (s.len > 0 && is_space(s.ptr[0]))
		s.ptr++, s.len--;
	while (s.len > 0 && is_space(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

/* The next line from *pos (without its "\n" or "\r\n"); false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, struct mh_str *line)
{
	if (*pos >= len)
		return false;
	const char *start = text + *pos;
	const char *nl = memchr(start, '\n', len - *pos);
	size_t n = nl != NULL ? (size_t)(nl - start) : len - *pos;
	*pos += n + (nl != NULL);
	if (n > 0 && start[n - 1] == '\r')
		n--;
	*line = (struct mh_str){ start, n };
	return true;
}

static bool is_fence(struct mh_str line)
{
	struct mh_str t = line;
	while (t.len > 0 && is_space(t.ptr[t.len - 1]))
		t.len--;
	return mh_str_eq_c(t, "---");
}

/* A quoted scalar starting at s->ptr[0] ('"' or '\''). Appends the unquoted
 * text to out and consumes it from *s. */
static bool quoted(struct parse *p, struct mh_str *s, struct mh_buf *out)
{
	char q = s->ptr[0];
	size_t i = 1;
	for (;;) {
		if (i >= s->len)
			return fail(p, p->line, p->key, "the quoted value has no closing %c", q);
		char c = s->ptr[i];
		if (c == q) {
			if (q == '\'' && i + 1 < s->len && s->ptr[i + 1] == '\'') {
				mh_buf_append_ch(out, '\'');
				i += 2;
				continue;
			}
			break;
		}
		if (q == '"' && c == '\\') {
			char e = i + 1 < s->len ? s->ptr[i + 1] : '\0';
			if (e != '"' && e != '\\')
				return fail(p, p->line, p->key,
					    "unknown escape in a quoted value (only \\\" and \\\\ are escapes)");
			mh_buf_append_ch(out, e);
			i += 2;
			continue;
		}
		mh_buf_append_ch(out, c);
		i++;
	}
	s->ptr += i + 1;
	s->len -= i + 1;
	return true;
}

/* A whole value: quoted (nothing may follow the closing quote) or plain. */
static bool scalar(struct parse *p, struct mh_str raw, const char **out)
{
	if (raw.len == 0 || (raw.ptr[0] != '"' && raw.ptr[0] != '\'')) {
		*out = mh_arena_strndup(p->a, raw.ptr, raw.len);
		return true;
	}
	struct mh_buf b = MH_BUF_INIT;
	struct mh_str rest = raw;
	bool ok = quoted(p, &rest, &b);
	if (ok && trim(rest).len > 0)
		ok = fail(p, p->line, p->key, "text after the closing quote (quote the whole value)");
	if (ok)
		*out = mh_arena_strndup(p->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return ok;
}

/* A one-line list: "a, b" or "[a, b]", items plain or quoted. An empty value
 * or "[]" is an empty list. */
static bool list(struct parse *p, struct mh_str raw, size_t max, const char ***items, size_t *n)
{
	struct mh_str s = raw;
	if (s.len > 0 && s.ptr[0] == '[') {
		if (s.ptr[s.len - 1] != ']')
			return fail(p, p->line, p->key, "a list that opens with '[' must end with ']'");
		s.ptr++;
		s.len -= 2;
	}
	s = trim(s);
	*items = MH_NEW_ARRAY(p->a, const char *, max);
	*n = 0;
	if (s.len == 0)
		return true;
	struct mh_buf b = MH_BUF_INIT;
	bool ok = true;
	for (;;) {
		s = trim(s);
		mh_buf_reset(&b);
		if (s.len > 0 && (s.ptr[0] == '"' || s.ptr[0] == '\'')) {
			if (!(ok = quoted(p, &s, &b)))
				break;
			s = trim(s);
			if (s.len > 0 && s.ptr[0] != ',') {
				ok = fail(p, p->line, p->key, "expected ',' after a quoted item");
				break;
			}
		} else {
			const char *comma = memchr(s.ptr, ',', s.len);
			size_t len = comma != NULL ? (size_t)(comma - s.ptr) : s.len;
			struct mh_str item = trim((struct mh_str){ s.ptr, len });
			if (memchr(item.ptr, '[', item.len) != NULL || memchr(item.ptr, ']', item.len) != NULL) {
				ok = fail(p, p->line, p->key, "nested lists are not supported");
				break;
			}
			mh_buf_append_str(&b, item);
			s.ptr += len;
			s.len -= len;
		}
		if (trim(mh_buf_str(&b)).len == 0) {
			ok = fail(p, p->line, p->key, "empty item in the list");
			break;
		}
		if (*n == max) {
			ok = fail(p, p->line, p->key, "at most %zu items", max);
			break;
		}
		(*items)[(*n)++] = mh_arena_strndup(p->a, b.ptr, b.len);
		if (s.len == 0)
			break;
		/* s starts with ',' */
		s.ptr++;
		s.len--;
		if (trim(s).len == 0) {
			ok = fail(p, p->line, p->key, "empty item in the list (a ',' at the end)");
			break;
		}
	}
	mh_buf_free(&b);
	return ok;
}

/* "Name <URL>" */
static bool via(struct parse *p, const char *v, struct mh_frontmatter *fm)
{
	struct mh_str s = mh_str_c(v);
	const char *lt = s.len > 0 && s.ptr[s.len - 1] == '>' ? memrchr(s.ptr, '<', s.len) : NULL;
	if (lt == NULL)
		return fail(p, p->line, p->key, "expected 'Name <https://address>', got %s", shown(p, s));
	struct mh_str name = trim((struct mh_str){ s.ptr, (size_t)(lt - s.ptr) });
	struct mh_str url = trim((struct mh_str){ lt + 1, (size_t)(s.ptr + s.len - 1 - (lt + 1)) });
	if (name.len == 0)
		return fail(p, p->line, p->key, "the source's name is missing before <%.*s>", (int)url.len, url.ptr);
	if (url.len == 0)
		return fail(p, p->line, p->key, "the address between < and > is empty");
	fm->via_name = mh_arena_strndup(p->a, name.ptr, name.len);
	fm->via_url = mh_arena_strndup(p->a, url.ptr, url.len);
	return true;
}

static bool value(struct parse *p, enum mh_fm_key k, struct mh_str raw, struct mh_frontmatter *fm)
{
	const char *v = NULL;
	if (k != MH_FM_AUTHORS && k != MH_FM_TAGS && !scalar(p, raw, &v))
		return false;
	struct mh_str sv = mh_str_c(v);
	switch (k) {
	case MH_FM_HEADLINE:
		if (trim(sv).len == 0)
			return fail(p, p->line, p->key, "empty (a headline is required)");
		fm->headline = v;
		return true;
	case MH_FM_DEK:
		fm->dek = v;
		return true;
	case MH_FM_SLUG:
		if (sv.len == 0)
			return fail(p, p->line, p->key, "empty (leave the key out to derive the slug from the headline)");
		if (!mh_content_slug_valid(sv))
			return fail(p, p->line, p->key,
				    "%s is not a slug: use 1 to 80 lowercase letters, digits and single hyphens",
				    shown(p, sv));
		fm->slug = v;
		return true;
	case MH_FM_SECTION:
		if (sv.len == 0)
			return fail(p, p->line, p->key, "empty (a section slug, such as news, is required)");
		if (!mh_content_slug_valid(sv))
			return fail(p, p->line, p->key, "%s is not a section slug", shown(p, sv));
		fm->section = v;
		return true;
	case MH_FM_AUTHORS:
		if (!list(p, raw, MAX_AUTHORS, &fm->authors, &fm->n_authors))
			return false;
		for (size_t i = 0; i < fm->n_authors; i++) {
			struct mh_str a = mh_str_c(fm->authors[i]);
			if (!mh_content_slug_valid(a))
				return fail(p, p->line, p->key,
					    "%s is not an author slug (write slugs such as mara-kestrel, not names)",
					    shown(p, a));
			for (size_t j = 0; j < i; j++) {
				if (strcmp(fm->authors[j], fm->authors[i]) == 0)
					return fail(p, p->line, p->key, "%s is listed twice", shown(p, a));
			}
		}
		return true;
	case MH_FM_TAGS:
		if (!list(p, raw, MAX_TAGS, &fm->tag_names, &fm->n_tags))
			return false;
		fm->tag_slugs = MH_NEW_ARRAY(p->a, const char *, fm->n_tags + 1);
		for (size_t i = 0; i < fm->n_tags; i++) {
			struct mh_str name = mh_str_c(fm->tag_names[i]);
			if (count_chars(name) > TAG_NAME_MAX)
				return fail(p, p->line, p->key, "%s is longer than %d characters", shown(p, name),
					    TAG_NAME_MAX);
			struct mh_buf slug = MH_BUF_INIT;
			mh_content_slugify(&slug, name);
			fm->tag_slugs[i] = mh_arena_strndup(p->a, slug.ptr, slug.len);
			mh_buf_free(&slug);
			for (size_t j = 0; j < i; j++) {
				if (strcmp(fm->tag_slugs[j], fm->tag_slugs[i]) == 0)
					return fail(p, p->line, p->key, "%s and %s are the same tag (%s)",
						    shown(p, mh_str_c(fm->tag_names[j])), shown(p, name),
						    fm->tag_slugs[i]);
			}
		}
		return true;
	case MH_FM_VIA:
		return sv.len == 0 ? true : via(p, v, fm);
	case MH_FM_IMAGE:
		fm->image_url = v;
		return true;
	case MH_FM_IMAGE_ALT:
		fm->image_alt = v;
		return true;
	case MH_FM_STAFF_PICK:
		if (mh_str_eq_c(sv, "true"))
			fm->staff_pick = true;
		else if (mh_str_eq_c(sv, "false"))
			fm->staff_pick = false;
		else
			return fail(p, p->line, p->key, "expected true or false, got %s", shown(p, sv));
		return true;
	case MH_FM_STATUS:
		if (!mh_article_status_parse(sv, &fm->status))
			return fail(p, p->line, p->key, "expected draft, review, scheduled or published, got %s",
				    shown(p, sv));
		return true;
	case MH_FM_PUBLISH_AT:
		if (!mh_time_parse(sv, &fm->publish_at))
			return fail(p, p->line, p->key,
				    "%s is not a date and time: expected YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] "
				    "(the site's time zone) or RFC 3339 such as 2026-11-29T06:21:00+01:00",
				    shown(p, sv));
		fm->has_publish_at = true;
		return true;
	case MH_FM_N_KEYS:
		break;
	}
	MH_ASSERT(!"unreachable");
	return false;
}

/* One line inside the block. */
static bool key_line(struct parse *p, struct mh_str line, struct mh_frontmatter *fm)
{
	p->key = NULL;
	if (trim(line).len == 0 || line.ptr[0] == '#')
		return true;
	if (!text_ok(line))
		return fail(p, p->line, NULL, "not valid UTF-8 text (or holds control characters)");
	if (is_space(line.ptr[0]))
		return fail(p, p->line, NULL,
			    "indented line: each key goes on a line of its own, starting at its beginning "
			    "(lists are written on one line: a, b or [a, b])");
	size_t i = 0;
	while (i < line.len && ((line.ptr[i] >= 'a' && line.ptr[i] <= 'z') || (line.ptr[i] >= 'A' && line.ptr[i] <= 'Z') ||
				(line.ptr[i] >= '0' && line.ptr[i] <= '9') || line.ptr[i] == '_' || line.ptr[i] == '-'))
		i++;
	if (i == 0 || i >= line.len || line.ptr[i] != ':')
		return fail(p, p->line, NULL, "expected 'key: value', got %s", shown(p, line));
	struct mh_str key = { line.ptr, i };
	p->key = mh_arena_strndup(p->a, key.ptr, key.len);
	if (i + 1 < line.len && !is_space(line.ptr[i + 1]))
		return fail(p, p->line, p->key, "expected a space after the ':'");
	int k = 0;
	while (k < MH_FM_N_KEYS && !mh_str_eq_c(key, key_names[k]))
		k++;
	if (k == MH_FM_N_KEYS)
		return fail(p, p->line, p->key,
			    "unknown key (the keys are headline, dek, slug, section, authors, tags, via, image, "
			    "image_alt, staff_pick, status, publish_at)");
	if (fm->lines[k] != 0)
		return fail(p, p->line, p->key, "given twice (first on line %d)", fm->lines[k]);
	fm->lines[k] = p->line;
	struct mh_str raw = trim((struct mh_str){ line.ptr + i + 1, line.len - i - 1 });
	return value(p, (enum mh_fm_key)k, raw, fm);
}

bool mh_frontmatter_parse(struct mh_arena *a, const char *name, const char *text, size_t len,
			  struct mh_frontmatter *out, struct mh_buf *err)
{
	struct parse p = { .a = a, .name = name, .err = err, .line = 1 };
	struct mh_frontmatter *fm = out;
	memset(fm, 0, sizeof(*fm));
	fm->headline = fm->dek = fm->slug = fm->section = "";
	fm->via_name = fm->via_url = fm->image_url = fm->image_alt = "";
	fm->body = "";
	fm->status = MH_ARTICLE_DRAFT;

	size_t pos = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	if (memchr(text, '\0', len) != NULL) {
		int line = 1;
		for (const char *c = text; *c != '\0'; c++)
			line += *c == '\n';
		return fail(&p, line, NULL, "holds a NUL byte (not a text file?)");
	}
	struct mh_str line;
	if (!next_line(text, len, &pos, &line) || !is_fence(line))
		return fail(&p, 1, NULL,
			    "no front matter: the file must begin with a line '---', then lines 'key: value', "
			    "then a closing '---' line and the Markdown body");
	/* Find the closing line first, so that a missing one is reported as
	 * such rather than as the body's first line not being "key: value". */
	size_t block = pos, after = pos;
	int closing = 1;
	bool closed = false;
	while (next_line(text, len, &after, &line)) {
		closing++;
		if (is_fence(line)) {
			closed = true;
			break;
		}
	}
	if (!closed)
		return fail(&p, 1, NULL, "the front matter that opens here has no closing '---' line");

	for (p.line = 2; p.line < closing; p.line++) {
		MH_ASSERT(next_line(text, len, &block, &line));
		if (!key_line(&p, line, fm))
			return false;
	}

	if (fm->lines[MH_FM_HEADLINE] == 0)
		return fail(&p, closing, "headline", "missing (every article needs one)");
	if (fm->lines[MH_FM_SECTION] == 0)
		return fail(&p, closing, "section", "missing (the slug of a section, such as news)");
	if (fm->status == MH_ARTICLE_SCHEDULED && !fm->has_publish_at)
		return fail(&p, fm->lines[MH_FM_STATUS], "status",
			    "scheduled needs publish_at (when the article is to appear)");
	if (!mh_article_status_dated(fm->status) && fm->has_publish_at)
		return fail(&p, fm->lines[MH_FM_PUBLISH_AT], "publish_at",
			    fm->status == MH_ARTICLE_REVIEW
				    ? "an article in review has no publication time yet (an editor schedules or"
				      " publishes it)"
				    : "a draft has no publication time (use status: scheduled or published)");
	if (fm->image_alt[0] != '\0' && fm->image_url[0] == '\0')
		return fail(&p, fm->lines[MH_FM_IMAGE_ALT], "image_alt", "given without image");
	if (fm->lines[MH_FM_SLUG] == 0) {
		struct mh_buf slug = MH_BUF_INIT;
		mh_content_slugify(&slug, mh_str_c(fm->headline));
		fm->slug = mh_arena_strndup(a, slug.ptr, slug.len);
		fm->slug_derived = true;
		mh_buf_free(&slug);
	}

	/* The body: the rest, with every line ending (CRLF, or a lone CR, which
	 * Markdown also takes for one) made LF, so that the same article saved
	 * by two editors is the same text. */
	fm->body_line = closing + 1;
	struct mh_buf body = MH_BUF_INIT;
	mh_buf_reserve(&body, len - after + 1);
	for (size_t i = after; i < len; i++) {
		if (text[i] != '\r')
			mh_buf_append_ch(&body, text[i]);
		else if (i + 1 == len || text[i + 1] != '\n')
			mh_buf_append_ch(&body, '\n');
	}
	fm->body = mh_arena_strndup(a, body.ptr != NULL ? body.ptr : "", body.len);
	mh_buf_free(&body);
	return true;
}

/* ---- the other way: an article as a file ---- */

/* A double-quoted scalar: the one form that keeps any text as it is. */
static void put_quoted(struct mh_buf *out, const char *s)
{
	mh_buf_append_ch(out, '"');
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			mh_buf_append_ch(out, '\\');
		mh_buf_append_ch(out, *s);
	}
	mh_buf_append_ch(out, '"');
}

static void put_key(struct mh_buf *out, enum mh_fm_key k, const char *value)
{
	mh_buf_printf(out, "%s: ", key_names[k]);
	put_quoted(out, value);
	mh_buf_append_ch(out, '\n');
}

void mh_frontmatter_write(struct mh_buf *out, const struct mh_article *art)
{
	mh_buf_append_c(out, "---\n");
	put_key(out, MH_FM_HEADLINE, art->headline);
	put_key(out, MH_FM_SLUG, art->slug);
	if (art->dek != NULL && art->dek[0] != '\0')
		put_key(out, MH_FM_DEK, art->dek);
	if (art->section != NULL)
		mh_buf_printf(out, "section: %s\n", art->section->slug);
	if (art->n_authors > 0) {
		mh_buf_append_c(out, "authors: [");
		for (size_t i = 0; i < art->n_authors; i++)
			mh_buf_printf(out, "%s%s", i > 0 ? ", " : "", art->authors[i].slug);
		mh_buf_append_c(out, "]\n");
	}
	if (art->n_tags > 0) {
		mh_buf_append_c(out, "tags: [");
		for (size_t i = 0; i < art->n_tags; i++) {
			if (i > 0)
				mh_buf_append_c(out, ", ");
			put_quoted(out, art->tags[i].name);
		}
		mh_buf_append_c(out, "]\n");
	}
	if (art->via_name != NULL && art->via_name[0] != '\0') {
		struct mh_buf via = MH_BUF_INIT;
		mh_buf_printf(&via, "%s <%s>", art->via_name, art->via_url != NULL ? art->via_url : "");
		put_key(out, MH_FM_VIA, mh_buf_cstr(&via));
		mh_buf_free(&via);
	}
	if (art->image_url != NULL && art->image_url[0] != '\0') {
		put_key(out, MH_FM_IMAGE, art->image_url);
		if (art->image_alt != NULL && art->image_alt[0] != '\0')
			put_key(out, MH_FM_IMAGE_ALT, art->image_alt);
	}
	mh_buf_printf(out, "staff_pick: %s\n", art->staff_pick ? "true" : "false");
	mh_buf_printf(out, "status: %s\n", mh_article_status_name(art->status));
	/* a draft or a piece in review has no publication time to give (the
	 * parser refuses one) */
	if (mh_article_status_dated(art->status) && art->published_at != 0) {
		mh_buf_append_c(out, "publish_at: ");
		mh_time_rfc3339(out, art->published_at);
		mh_buf_append_ch(out, '\n');
	}
	mh_buf_append_c(out, "---\n");
	if (art->body_md != NULL)
		mh_buf_append_c(out, art->body_md);
	if (out->len > 0 && out->ptr[out->len - 1] != '\n')
		mh_buf_append_ch(out, '\n');
}
