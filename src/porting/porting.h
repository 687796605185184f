/*
 * porting: bringing a site in from elsewhere. For now WordPress: its WXR
 * export read as a stream (libxml2's xmlTextReader, one item in memory at a
 * time), its post HTML turned into our Markdown through an allow-list walk
 * of libxml2's HTML tree, and the import that stores it all, resumably.
 * Memory: an item handed to a callback lives in the reader's arena until
 * the callback returns; converted bodies are appended to caller buffers.
 */
#ifndef MH_PORTING_H
#define MH_PORTING_H

#include "store/store.h"
#include "util/util.h"

struct mh_media_settings;

/* ---- the WXR reader (wxr.c) ---- */
struct mh_wxr_term {
	const char *domain; /* "category", "post_tag", ... */
	const char *slug;   /* nicename */
	const char *name;
};
struct mh_wxr_meta {
	const char *key, *value;
};
struct mh_wxr_author {
	const char *login, *display_name;
};
/* One <item>; strings are never NULL ("" when absent). */
struct mh_wxr_item {
	int line; /* where its <item> opens */
	const char *title, *link, *creator, *content, *excerpt;
	const char *post_name, *status, *post_type, *post_date, *post_date_gmt, *attachment_url;
	int64_t post_id, post_parent;
	struct mh_wxr_term *terms;
	size_t n_terms;
	struct mh_wxr_meta *meta;
	size_t n_meta;
};
/* What the channel says before its first item. */
struct mh_wxr_channel {
	const char *link, *base_blog_url, *wxr_version;
	struct mh_wxr_author *authors;
	size_t n_authors;
	struct mh_wxr_term *categories; /* domain "category", slug, name */
	size_t n_categories;
};
struct mh_wxr_handler {
	/* once, at the first item (or the end when there is none) */
	int (*channel)(void *ctx, const struct mh_wxr_channel *ch);
	/* each item; a non-zero return stops the reading with that value */
	int (*item)(void *ctx, const struct mh_wxr_item *it);
	void *ctx;
};
/* Reads the export at path (or, with path NULL, the len bytes at buf: the
 * fuzz entry point) as a stream. Returns 0 at the end; a callback's
 * non-zero value; or -1 with "line N: problem" in err for malformed input:
 * not well-formed XML (an unclosed or mismatched tag, a truncated file, bytes
 * that are not the declared encoding), not an RSS export, no wp: namespace
 * of a WXR 1.0-1.2 export, an item outside a channel. No network, no
 * entities from outside, no DTD. */
int mh_wxr_read(const char *path, const char *buf, size_t len, const struct mh_wxr_handler *h, struct mh_buf *err);

/* ---- WordPress HTML to Markdown (wphtml.c) ---- */
struct mh_wphtml {
	/* where an image's address leads now: the new address (in a), or NULL
	 * to keep url (not ours to bring, or its download failed) */
	const char *(*image)(void *arg, struct mh_arena *a, const char *url);
	/* a gallery's attachment id: its address (in a), or NULL if unknown */
	const char *(*attachment)(void *arg, struct mh_arena *a, int64_t id);
	void *arg;
	/* out: what was not mapped, each once ("unknown block wp:foo",
	 * "unknown shortcode [foo] kept as text", "iframe from HOST dropped",
	 * "script dropped", ...), in a */
	const char **notes;
	size_t n_notes, cap_notes;
};
/* Converts a post's content (WordPress HTML with block comments and
 * shortcodes; the classic editor's blank lines as paragraphs) into Markdown
 * appended to md. Allow-list: paragraphs, headings, lists, quotes, code,
 * tables, links and images with http(s) or site addresses, emphasis, line
 * breaks; YouTube iframes, [embed] and [youtube] become a paragraph of the
 * video's address (the renderer's click-to-load embed); [caption] a figure
 * with its caption; [gallery ids=...] its images. Everything else keeps
 * its text only (script, style and their kin lose their text too), and no
 * attribute but href, src, alt and title is read: the Markdown renderer's
 * safe mode is the second wall, not the first. Text is escaped so it stays
 * text. */
void mh_wphtml_to_markdown(struct mh_arena *a, struct mh_str html, struct mh_wphtml *cv, struct mh_buf *md);
/* The text of html (tags dropped, entities decoded, spaces collapsed): an
 * excerpt as a dek. */
void mh_wphtml_text(struct mh_str html, struct mh_buf *out);

/* ---- the import (wpimport.c) ---- */
enum mh_wp_categories { MH_WP_CATEGORIES_SECTIONS = 0, MH_WP_CATEGORIES_TAGS };
struct mh_wp_options {
	const char *file;
	const char *uploads_dir;   /* NULL: download from the old addresses */
	bool pages;                /* pages too */
	enum mh_wp_categories categories;
	const char *permalink;     /* "/%year%/%monthnum%/%postname%/"; NULL = none */
	const struct mh_media_settings *media;
	int batch;                 /* items per transaction; 0 = 100 */
	long download_timeout_s;   /* 0 = 30 */
	bool progress;             /* on stderr (a terminal) */
};
/* Counts per kind, for the report. */
struct mh_wp_report {
	int64_t posts, pages, attachments, images, sections, tags, authors, redirects;
	int64_t unchanged; /* items a former run brought already */
	int64_t skipped, failed_downloads;
	struct mh_buf lines; /* "line N: kind 'title': why" each, for the report */
};
/* Imports the file into s; the report (free its lines) says what. Returns
 * 0 (also with skipped items and failed downloads: the next run tries
 * those again), 1 with err for a database failure or malformed input
 * (err names the line; what earlier batches brought stays, whole). */
int mh_wp_import(struct mh_store *s, const struct mh_wp_options *o, struct mh_wp_report *rep, struct mh_buf *err);

#endif
