/*
 * wxr.c: WordPress's export (WXR 1.0-1.2: RSS 2.0 with the wp:, content:,
 * excerpt: and dc: namespaces) read with libxml2's xmlTextReader, so only
 * the current item is in memory however large the file. Fields are told by
 * their qualified names as WordPress writes them; the wp: prefix's
 * namespace is checked once on the channel. The first error libxml2
 * reports (with its line) ends the reading: a half-read item is never
 * handed on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "porting/porting.h"

enum field {
	F_NONE = 0,
	/* channel */
	F_CH_LINK, F_CH_BLOG, F_CH_VERSION, F_AU_LOGIN, F_AU_NAME, F_CAT_SLUG, F_CAT_NAME,
	/* item */
	F_TITLE, F_LINK, F_CREATOR, F_CONTENT, F_EXCERPT, F_POST_NAME, F_STATUS, F_TYPE, F_DATE, F_DATE_GMT,
	F_ATTACHMENT, F_POST_ID, F_PARENT, F_TERM, F_META_KEY, F_META_VALUE,
};

static const struct {
	const char *name;
	enum field f;
} item_fields[] = {
	{ "title", F_TITLE },		  { "link", F_LINK },
	{ "dc:creator", F_CREATOR },	  { "content:encoded", F_CONTENT },
	{ "excerpt:encoded", F_EXCERPT }, { "wp:post_name", F_POST_NAME },
	{ "wp:status", F_STATUS },	  { "wp:post_type", F_TYPE },
	{ "wp:post_date", F_DATE },	  { "wp:post_date_gmt", F_DATE_GMT },
	{ "wp:attachment_url", F_ATTACHMENT }, { "wp:post_id", F_POST_ID },
	{ "wp:post_parent", F_PARENT },	  { "category", F_TERM },
};

#define MAX_TERMS 256
#define MAX_META 256

struct rd {
	xmlTextReaderPtr r;
	struct mh_buf *err;
	bool failed;
	struct mh_arena *ch_arena, *it_arena;
	struct mh_wxr_channel ch;
	size_t cap_authors, cap_categories;
	bool channel_sent;
	struct mh_wxr_item it;
	struct mh_wxr_term terms[MAX_TERMS];
	struct mh_wxr_meta meta[MAX_META];
	enum field field;
	int field_depth;
	int error_line; /* libxml2's error's */
	struct mh_buf text;
	char *term_domain, *term_slug; /* of the category element being read */
};

static void on_error(void *arg, xmlErrorPtr e)
{
	struct rd *d = arg;
	if (d->failed || e == NULL || e->level < XML_ERR_ERROR)
		return;
	d->failed = true;
	mh_buf_reset(d->err);
	size_t n = e->message != NULL ? strlen(e->message) : 0;
	while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
		n--;
	mh_buf_printf(d->err, "line %d: ", e->line);
	for (size_t i = 0; i < n; i++) /* one line: libxml2's own breaks become "; " */
		if (e->message[i] == '\n')
			mh_buf_append_c(d->err, "; ");
		else
			mh_buf_append_ch(d->err, e->message[i]);
	d->error_line = e->line;
}

/* Lines in the file (an error on the last one is most likely a file cut
 * short, which libxml2 words in other ways). */
static int file_lines(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	int lines = 1, ch;
	while ((ch = getc(f)) != EOF)
		lines += ch == '\n';
	fclose(f);
	return lines;
}

/* The line of the reader's node (the parser itself may be ahead of it). */
static int node_line(struct rd *d)
{
	xmlNodePtr n = xmlTextReaderCurrentNode(d->r);
	long l = n != NULL ? xmlGetLineNo(n) : -1;
	return l > 0 ? (int)l : xmlTextReaderGetParserLineNumber(d->r);
}

static void fail(struct rd *d, const char *fmt, const char *arg)
{
	if (d->failed)
		return;
	d->failed = true;
	mh_buf_reset(d->err);
	mh_buf_printf(d->err, "line %d: ", node_line(d));
	mh_buf_printf(d->err, fmt, arg);
}

static void start_field(struct rd *d, enum field f, int depth)
{
	d->field = f;
	d->field_depth = depth;
	mh_buf_reset(&d->text);
}

static char *attr(struct rd *d, const char *name)
{
	xmlChar *v = xmlTextReaderGetAttribute(d->r, (const xmlChar *)name);
	char *out = mh_arena_strdup(d->it_arena, v != NULL ? (const char *)v : "");
	xmlFree(v);
	return out;
}

static void end_field(struct rd *d)
{
	const char *v = mh_arena_strndup(d->field <= F_CAT_NAME ? d->ch_arena : d->it_arena, d->text.ptr != NULL ? d->text.ptr : "",
					 d->text.len);
	struct mh_wxr_item *it = &d->it;
	int64_t num = 0;
	switch (d->field) {
	case F_CH_LINK: d->ch.link = v; break;
	case F_CH_BLOG: d->ch.base_blog_url = v; break;
	case F_CH_VERSION: d->ch.wxr_version = v; break;
	case F_AU_LOGIN: d->ch.authors[d->ch.n_authors - 1].login = v; break;
	case F_AU_NAME: d->ch.authors[d->ch.n_authors - 1].display_name = v; break;
	case F_CAT_SLUG: d->ch.categories[d->ch.n_categories - 1].slug = v; break;
	case F_CAT_NAME: d->ch.categories[d->ch.n_categories - 1].name = v; break;
	case F_TITLE: it->title = v; break;
	case F_LINK: it->link = v; break;
	case F_CREATOR: it->creator = v; break;
	case F_CONTENT: it->content = v; break;
	case F_EXCERPT: it->excerpt = v; break;
	case F_POST_NAME: it->post_name = v; break;
	case F_STATUS: it->status = v; break;
	case F_TYPE: it->post_type = v; break;
	case F_DATE: it->post_date = v; break;
	case F_DATE_GMT: it->post_date_gmt = v; break;
	case F_ATTACHMENT: it->attachment_url = v; break;
	case F_POST_ID:
	case F_PARENT:
		if (!mh_str_to_i64(mh_str_c(v), &num) || num < 0)
			num = 0;
		if (d->field == F_POST_ID)
			it->post_id = num;
		else
			it->post_parent = num;
		break;
	case F_TERM:
		if (it->n_terms < MAX_TERMS)
			d->terms[it->n_terms++] = (struct mh_wxr_term){ d->term_domain, d->term_slug, v };
		break;
	case F_META_KEY:
		if (it->n_meta > 0)
			d->meta[it->n_meta - 1].key = v;
		break;
	case F_META_VALUE:
		if (it->n_meta > 0)
			d->meta[it->n_meta - 1].value = v;
		break;
	case F_NONE: break;
	}
	d->field = F_NONE;
}

static void item_reset(struct rd *d)
{
	mh_arena_reset(d->it_arena);
	d->it = (struct mh_wxr_item){ .title = "", .link = "", .creator = "", .content = "", .excerpt = "",
				      .post_name = "", .status = "", .post_type = "", .post_date = "",
				      .post_date_gmt = "", .attachment_url = "", .terms = d->terms, .meta = d->meta };
}

static void *grow(void *arr, size_t *cap, size_t n, size_t item)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	void *p = realloc(arr, *cap * item);
	MH_ASSERT(p != NULL);
	return p;
}

/* The wp: prefix must be a WXR namespace: http://wordpress.org/export/1.N/ */
static bool wxr_namespace(struct rd *d)
{
	const char *ns = (const char *)xmlTextReaderConstNamespaceUri(d->r);
	return ns != NULL && (strncmp(ns, "http://wordpress.org/export/1.", 30) == 0 ||
			      strncmp(ns, "https://wordpress.org/export/1.", 31) == 0);
}

static int send_channel(struct rd *d, const struct mh_wxr_handler *h)
{
	d->channel_sent = true;
	if (d->ch.wxr_version[0] == '\0' && !d->failed) {
		fail(d, "%s", "not a WordPress export: the channel has no wp:wxr_version");
		return -1;
	}
	return h->channel != NULL ? h->channel(h->ctx, &d->ch) : 0;
}

int mh_wxr_read(const char *path, const char *buf, size_t len, const struct mh_wxr_handler *h, struct mh_buf *err)
{
	/* no network, no outside entities (XXE), no DTD; CDATA as text */
	int opts = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT | XML_PARSE_BIG_LINES;
	struct rd d = { .err = err };
	d.r = path != NULL ? xmlReaderForFile(path, NULL, opts) : xmlReaderForMemory(buf, (int)len, "wxr", NULL, opts);
	if (d.r == NULL) {
		mh_buf_printf(err, "line 0: cannot open the file");
		return -1;
	}
	xmlTextReaderSetStructuredErrorHandler(d.r, on_error, &d);
	d.ch_arena = mh_arena_new();
	d.it_arena = mh_arena_new();
	d.ch = (struct mh_wxr_channel){ .link = "", .base_blog_url = "", .wxr_version = "" };
	item_reset(&d);
	bool in_item = false, in_channel = false, saw_channel = false, wp_checked = false;
	enum { NONE, AUTHOR, CATEGORY, META } sub = NONE;
	int rc = 0, ret = 1;
	while (rc == 0 && !d.failed && (ret = xmlTextReaderRead(d.r)) == 1) {
		int type = xmlTextReaderNodeType(d.r), depth = xmlTextReaderDepth(d.r);
		const char *name = (const char *)xmlTextReaderConstName(d.r);
		if (name == NULL)
			name = "";
		if (type == XML_READER_TYPE_ELEMENT) {
			bool empty = xmlTextReaderIsEmptyElement(d.r);
			if (!wp_checked && strncmp(name, "wp:", 3) == 0) {
				wp_checked = true;
				if (!wxr_namespace(&d)) {
					fail(&d, "%s", "not a WordPress export: no wp: namespace of WXR 1.0-1.2 "
						       "(xmlns:wp=\"http://wordpress.org/export/1.2/\")");
					break;
				}
			}
			if (depth == 0 && strcmp(name, "rss") != 0) {
				fail(&d, "not a WordPress export: the document is <%s>, not <rss>", name);
				break;
			}
			if (depth == 1) {
				if (strcmp(name, "channel") != 0 || saw_channel) {
					fail(&d, "not a WordPress export: <%s> where one <channel> belongs", name);
					break;
				}
				in_channel = saw_channel = true;
			} else if (depth == 2 && in_channel) {
				sub = NONE;
				if (strcmp(name, "item") == 0) {
					if (!d.channel_sent && (rc = send_channel(&d, h)) != 0)
						break;
					item_reset(&d);
					d.it.line = node_line(&d);
					in_item = !empty;
				} else if (strcmp(name, "wp:author") == 0) {
					d.ch.authors = grow(d.ch.authors, &d.cap_authors, d.ch.n_authors, sizeof(*d.ch.authors));
					d.ch.authors[d.ch.n_authors++] = (struct mh_wxr_author){ "", "" };
					sub = AUTHOR;
				} else if (strcmp(name, "wp:category") == 0) {
					d.ch.categories = grow(d.ch.categories, &d.cap_categories, d.ch.n_categories,
							       sizeof(*d.ch.categories));
					d.ch.categories[d.ch.n_categories++] = (struct mh_wxr_term){ "category", "", "" };
					sub = CATEGORY;
				} else if (strcmp(name, "link") == 0) {
					start_field(&d, F_CH_LINK, depth);
				} else if (strcmp(name, "wp:base_blog_url") == 0) {
					start_field(&d, F_CH_BLOG, depth);
				} else if (strcmp(name, "wp:wxr_version") == 0) {
					start_field(&d, F_CH_VERSION, depth);
				}
			} else if (depth == 3 && in_item) {
				sub = NONE;
				if (strcmp(name, "wp:postmeta") == 0) {
					if (d.it.n_meta < MAX_META)
						d.meta[d.it.n_meta++] = (struct mh_wxr_meta){ "", "" };
					sub = META;
				}
				for (size_t i = 0; i < sizeof(item_fields) / sizeof(item_fields[0]); i++) {
					if (strcmp(name, item_fields[i].name) != 0)
						continue;
					if (item_fields[i].f == F_TERM) {
						d.term_domain = attr(&d, "domain");
						d.term_slug = attr(&d, "nicename");
					}
					start_field(&d, item_fields[i].f, depth);
				}
			} else if (depth == 3 && sub == AUTHOR) {
				if (strcmp(name, "wp:author_login") == 0)
					start_field(&d, F_AU_LOGIN, depth);
				else if (strcmp(name, "wp:author_display_name") == 0)
					start_field(&d, F_AU_NAME, depth);
			} else if (depth == 3 && sub == CATEGORY) {
				if (strcmp(name, "wp:category_nicename") == 0)
					start_field(&d, F_CAT_SLUG, depth);
				else if (strcmp(name, "wp:cat_name") == 0)
					start_field(&d, F_CAT_NAME, depth);
			} else if (depth == 4 && sub == META && in_item) {
				if (strcmp(name, "wp:meta_key") == 0)
					start_field(&d, F_META_KEY, depth);
				else if (strcmp(name, "wp:meta_value") == 0)
					start_field(&d, F_META_VALUE, depth);
			}
			if (empty && d.field != F_NONE && d.field_depth == depth)
				end_field(&d);
		} else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
			   type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || type == XML_READER_TYPE_WHITESPACE) {
			if (d.field != F_NONE && depth == d.field_depth + 1) {
				const char *v = (const char *)xmlTextReaderConstValue(d.r);
				if (v != NULL)
					mh_buf_append_c(&d.text, v);
			}
		} else if (type == XML_READER_TYPE_END_ELEMENT) {
			if (d.field != F_NONE && depth == d.field_depth)
				end_field(&d);
			if (depth == 2 && in_item && strcmp(name, "item") == 0) {
				in_item = false;
				if (h->item != NULL)
					rc = h->item(h->ctx, &d.it);
			} else if (depth == 1) {
				in_channel = false;
			} else if (depth == 2) {
				sub = NONE;
			}
		}
		if (rc == 0 && ret == 1 && d.failed)
			break;
	}
	if (rc == 0 && !d.failed) {
		if (ret < 0)
			fail(&d, "%s", "malformed XML");
		else if (!saw_channel)
			fail(&d, "%s", "not a WordPress export: no <channel>");
		else if (!d.channel_sent)
			rc = send_channel(&d, h);
	}
	if (d.failed && rc == 0)
		rc = -1;
	if (d.failed && d.error_line > 0 && path != NULL && d.error_line >= file_lines(path) - 1)
		mh_buf_printf(err, " (the file ends at line %d: is it cut short?)", file_lines(path));
	xmlFreeTextReader(d.r);
	mh_buf_free(&d.text);
	free(d.ch.authors);
	free(d.ch.categories);
	mh_arena_free(d.ch_arena);
	mh_arena_free(d.it_arena);
	return rc;
}
