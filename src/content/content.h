/*
 * content: what an article is made of before it is stored — Markdown to HTML
 * through cmark-gfm (smart punctuation, tables, autolinks, footnotes,
 * strikethrough), click-to-load video embeds, slugs and validation.
 * Memory: results are appended to caller buffers; nothing is retained.
 */
#ifndef MH_CONTENT_H
#define MH_CONTENT_H

#include "store/store.h"
#include "util/util.h"

/* Renders Markdown to trusted HTML. Raw HTML in the source is not passed
 * through (cmark's safe mode: replaced by an HTML comment; javascript: and
 * data: links lose their href); a top-level paragraph holding only a YouTube
 * URL (bare, <autolinked> or www.-autolinked; not [text](url)) becomes a
 * click-to-load embed (see mh_content_video_embed). Smart punctuation turns
 * "--" into an en dash and "---" into an em dash. Appends to html; when
 * lead is not NULL, also appends the opening paragraphs (up to lead_paras
 * top-level paragraphs/quotes, skipping embeds and headings) to lead. */
void mh_content_markdown(struct mh_str md, struct mh_buf *html, struct mh_buf *lead, int lead_paras);
/* The body holds this marker (an HTML comment, invisible as it is) between
 * blocks where the page may place an advertisement: after every
 * MH_CONTENT_SLOT_EVERY top-level blocks, never last. Only the renderer
 * writes it: raw HTML in the source is not passed through. */
#define MH_CONTENT_SLOT_MARK "<!-- mh:slot -->\n"
#define MH_CONTENT_SLOT_EVERY 4

/* If url is a YouTube watch/short/embed/youtu.be URL, writes its 11-character
 * video id into id (NUL-terminated) and returns true. */
bool mh_content_youtube_id(struct mh_str url, char id[12]);
/* The privacy-preserving embed: a link to the video that works without
 * JavaScript, marked up so the theme script swaps in a youtube-nocookie.com
 * iframe only when the reader clicks. Nothing is loaded from the video host
 * before that click (no thumbnail, no script). The markup, which the theme's
 * CSS and JS rely on (ID is the 11-character id, always [A-Za-z0-9_-]):
 *
 *   <figure class="video-embed" data-video-id="ID">
 *   <a class="video-embed__link" href="https://www.youtube.com/watch?v=ID">Watch the video on YouTube</a>
 *   <button type="button" class="video-embed__play">Play video</button>
 *   <figcaption class="video-embed__note">Playing loads the video from YouTube.</figcaption>
 *   </figure>
 *
 * The script hooks button.video-embed__play and replaces the figure's content
 * with <iframe src="https://www.youtube-nocookie.com/embed/ID?autoplay=1">;
 * without JS the link works (the theme may hide the button then). url is the
 * address as written; the href is rebuilt from the id, never copied. */
void mh_content_video_embed(struct mh_buf *html, const char id[12], struct mh_str url);

/* "Hello, Wörld!" -> "hello-world"; ASCII letters/digits and '-', at most 80
 * bytes, never empty ("article" if nothing is left). */
void mh_content_slugify(struct mh_buf *out, struct mh_str text);
/* True if s is a valid slug: [a-z0-9]+(-[a-z0-9]+)*, 1..80 bytes. */
bool mh_content_slug_valid(struct mh_str s);

/* The body's length as the editor shows it (and editor.js counts it while
 * typing, the same way): a word is a run of bytes other than ASCII
 * whitespace (space, \t, \n, \v, \f, \r) holding at least one ASCII
 * letter or digit or one non-ASCII byte, counted over the Markdown as
 * typed, so "#" or "-" alone is no word. Reading time: MH_CONTENT_WPM words
 * a minute, rounded up; 0 words is 0 minutes. */
#define MH_CONTENT_WPM 230
size_t mh_content_word_count(struct mh_str md);
int mh_content_reading_minutes(size_t words);

/* Checks required fields and lengths, derives the slug from the headline
 * when empty, and renders body_html and lead_html from body_md into arena
 * memory. MH_INVALID with "field: problem" in err. */
enum mh_store_rc mh_content_prepare_article(struct mh_arena *a, struct mh_article *art, struct mh_buf *err);

/* ---- front matter: an article as a file (frontmatter.c) ----
 * A file is a front matter block between a first line "---" and a closing
 * "---" line, then the Markdown body:
 *
 *   ---
 *   headline: Ferry timetable changes from Monday
 *   slug: ferry-timetable-changes
 *   section: news
 *   authors: jonah-pell, mara-kestrel
 *   tags: [Ferries, Transit]
 *   status: published
 *   ---
 *   The body, in Markdown.
 *
 * Keys are one "key: value" line each (see frontmatter.c for the exact
 * subset of YAML). This parser checks syntax and each value on its own;
 * whether the section, authors and article exist is the caller's business,
 * which uses lines[] to name the line at fault. */
enum mh_fm_key {
	MH_FM_HEADLINE, MH_FM_DEK, MH_FM_SLUG, MH_FM_SECTION, MH_FM_AUTHORS, MH_FM_TAGS, MH_FM_VIA,
	MH_FM_IMAGE, MH_FM_IMAGE_ALT, MH_FM_STAFF_PICK, MH_FM_STATUS, MH_FM_PUBLISH_AT,
	MH_FM_N_KEYS
};
/* The key's name as written in files ("publish_at"). */
const char *mh_fm_key_name(enum mh_fm_key k);

struct mh_frontmatter {
	/* never NULL; "" when not given (slug: derived, see slug_derived) */
	const char *headline, *dek, *slug, *section;
	const char *via_name, *via_url; /* from "via: Name <URL>" */
	const char *image_url, *image_alt;
	const char **authors;  /* author slugs, in byline order (valid slugs, no repeats) */
	size_t n_authors;
	const char **tag_names; /* as written */
	const char **tag_slugs; /* mh_content_slugify of each name (no repeats) */
	size_t n_tags;
	bool staff_pick;
	enum mh_article_status status; /* default draft */
	bool has_publish_at;
	int64_t publish_at;  /* unix seconds; read in the display zone unless an offset is given */
	bool slug_derived;   /* no slug key: slug is mh_content_slugify(headline) */
	const char *body;    /* the Markdown after the closing line, CRLF turned into LF */
	int body_line;       /* its first line's number */
	int lines[MH_FM_N_KEYS]; /* where each key was given; 0 = absent */
};

/* Parses a whole article file (len bytes, need not be NUL-terminated; a UTF-8
 * BOM and CRLF line endings are accepted). Strings go into arena a. On
 * failure returns false with one line "NAME:LINE: key: problem" (or
 * "NAME:LINE: problem" when no key is involved) in err; *out is then
 * unspecified. mh_time_parse reads publish_at, so set the display zone
 * first. */
bool mh_frontmatter_parse(struct mh_arena *a, const char *name, const char *text, size_t len,
			  struct mh_frontmatter *out, struct mh_buf *err);
/* The line to blame for a key's value: where it was given, else for a
 * derived slug the headline's line, else 1. */
int mh_frontmatter_line(const struct mh_frontmatter *fm, enum mh_fm_key k);
/* The other way: appends art (as read with its section, authors, tags and
 * body) as a file mh_frontmatter_parse reads back to the same article, every
 * text value double-quoted. */
void mh_frontmatter_write(struct mh_buf *out, const struct mh_article *art);

/* ---- saving an article and what it makes stale ---- */
/* Articles per batch of the Continue Reading stream (site/ shows this many;
 * a change invalidates the pages of that many newer articles). */
#define MH_CONTENT_STREAM_BATCH 3
/* Appends to keys the cache keys that a change of one article makes stale:
 * before is its state until now (NULL when new), after its saved state (NULL
 * when deleted). */
enum mh_store_rc mh_content_article_change_keys(struct mh_store *s, struct mh_arena *a,
						const struct mh_article *before, const struct mh_article *after,
						struct mh_buf *keys);
/* Saves art and, in the same transaction, logs the cache keys the change
 * makes stale, queues the purge of those keys at the configured Varnish/CDN
 * targets and (for a scheduled article) queues its publishing job; before
 * is the stored state (NULL for a new article), read before: if the article
 * was saved by someone else since, nothing is saved (1, "changed by someone
 * else"). Returns 0, or 1 with a message in err. Every writer of articles
 * goes through here. */
int mh_content_article_commit(struct mh_store *s, struct mh_arena *a, const struct mh_article *before,
			      struct mh_article *art, struct mh_buf *err);

/* The cache key every public page carries (site/): what the site settings
 * show (title, tagline, links) is on every page. */
#define MH_CONTENT_SITE_KEY "site"
/* Saves the site settings in kv (n of them; their values checked by the
 * caller, site/, which owns what they mean) in one transaction with the
 * change-log entry MH_CONTENT_SITE_KEY (every node's watcher reloads the
 * settings and drops its whole page cache) and a purge of that key at the
 * caches in front. by is who (kept with each value). Returns 0, or 1 with a
 * message in err; nothing is saved then. */
int mh_content_site_settings_save(struct mh_store *s, const struct mh_site_setting *kv, size_t n, const char *by,
				  struct mh_buf *err);

/* ---- saving with who and against what, restoring a revision ----
 * (changes.c) What the admin's editor needs around mh_content_article_commit:
 * who saves (kept in the revision), the revision the edit started from, and
 * on a refused save both texts. */
struct mh_content_save {
	/* in */
	const struct mh_revision_note *note; /* who; NULL = nobody known */
	/* the revision the editor's text was based on: the save is refused
	 * (conflict) when the article's newest revision is another one. 0 =
	 * not checked (before, when given, is still compared) */
	int64_t base_revision_id;
	/* out */
	int64_t revision_id; /* saved: the revision this save made */
	/* refused because someone saved the article since it was read (the
	 * function returned 1 with "changed by someone else" in err): */
	bool conflict;
	int64_t current_revision_id;  /* the article's newest revision: the other text */
	int64_t current_updated_at;   /* and when it was saved */
	int64_t conflict_revision_id; /* this save's text, kept as a 'conflict'
				       * revision of the article (0 if even that
				       * failed: then err says so) */
};
/* mh_content_article_commit with sv (may be NULL: as commit). A refused
 * stale save keeps its text as a revision of kind MH_REVISION_CONFLICT
 * (never applied; restoring it is how an editor takes it) and reports the
 * revision that won, so that both texts can be shown side by side and
 * nothing either person typed is lost. */
int mh_content_article_save(struct mh_store *s, struct mh_arena *a, const struct mh_article *before,
			    struct mh_article *art, struct mh_content_save *sv, struct mh_buf *err);
/* Brings back revision_id of article article_id through the normal save
 * (its own new revision, kind restore, and the cache keys it makes stale).
 * What comes back is the text: headline, dek, slug (the current one stays
 * an old address if it was published), section, byline, tags, via, image
 * and its description, body. What does not: status, publication time and
 * staff pick, which are the newsroom's decisions of today (a restore never
 * publishes or withdraws anything). sv->note's kind and restored_from are
 * set by this function. Returns 0, or 1 with "revision: ..." or the save's
 * message in err (a revision of another article is refused). */
int mh_content_revision_restore(struct mh_store *s, struct mh_arena *a, int64_t article_id, int64_t revision_id,
				struct mh_content_save *sv, struct mh_buf *err);

/* ---- differences (diff.c) ----
 * A line diff (Myers) as data for the admin to render, and the comparison of
 * two revisions field by field. Results are in the arena; line texts point
 * into the inputs, which must outlive them. Line endings are not content:
 * "\r\n" and "\n" end a line alike, and a final line ending makes no
 * extra empty line. */
#define MH_DIFF_MAX_LINES 20000 /* per side, past the common first/last lines */
#define MH_DIFF_MAX_EDITS 1000  /* lines removed + added */
enum mh_diff_op { MH_DIFF_KEEP = 0, MH_DIFF_DEL, MH_DIFF_ADD };
struct mh_diff_line {
	enum mh_diff_op op;
	struct mh_str text;  /* without its line ending */
	int old_no, new_no;  /* 1-based line numbers; 0 on the side it is not on */
};
/* As unified diff's "@@ -old_start,old_count +new_start,new_count @@". */
struct mh_diff_hunk {
	int old_start, old_count, new_start, new_count;
	struct mh_diff_line *lines;
	size_t n_lines;
};
struct mh_diff {
	struct mh_diff_hunk *hunks; /* none when the texts have the same lines */
	size_t n_hunks;
	int added, removed; /* lines */
	/* past MH_DIFF_MAX_LINES or MH_DIFF_MAX_EDITS: the changed middle is
	 * shown as all of its old lines removed and all new ones added */
	bool whole;
};
/* Compares old and new line by line; hunks hold every change with context
 * kept lines around it (context < 0: one hunk with every line). Within a
 * run of changes the removed lines come before the added ones. */
void mh_diff_lines(struct mh_arena *a, struct mh_str old, struct mh_str new_text, int context, struct mh_diff *out);

/* One field that differs between two revisions. */
struct mh_diff_field {
	const char *name;          /* headline, dek, slug, section, authors, tags, via, image, image_alt,
				    * staff_pick, status, publish_at, body (front matter's names) */
	const char *before, *after; /* as shown: section and authors by slug, tags by name (sorted: a set),
				     * via "Name <URL>", times RFC 3339, staff_pick true/false */
	bool lines;                /* body: compared line by line in diff */
	struct mh_diff diff;
};
/* The fields of x (older) and y (newer), two revisions' states
 * (mh_revision.state, with body), that differ, in the order above. */
void mh_content_revision_diff(struct mh_arena *a, const struct mh_article *x, const struct mh_article *y, int context,
			      struct mh_diff_field **out, size_t *n);
/* Appends the fields as text, unified-diff-like: "name:" then "-before" /
 * "+after", or for the body "@@ -a,b +c,d @@" hunks of " ", "-", "+" lines. */
void mh_diff_field_text(struct mh_buf *out, const struct mh_diff_field *f, size_t n);

/* A change other than an article save (sections, tags, authors): inside the
 * caller's transaction (mh_store_begin), logs keys so every node drops
 * those pages, and queues the purge of the caches in front, as an article
 * save does. Keys: "nav" is on every public page (its header lists the
 * sections); see content/changes.c for the others. */
enum mh_store_rc mh_content_change_log(struct mh_store *s, struct mh_str keys);

/* ---- redirects (issue 9; redirects.c) ----
 * The rules as one immutable table per node, looked up where a page would
 * be a 404. Reference counted: whoever holds one releases it. */
/* The change-log key of a change to the rules: every node's watcher loads
 * them again (site/changes.c). */
#define MH_CONTENT_REDIRECTS_KEY "redirects"
struct mh_redirects;
/* A table of rules[0..n) (copied); never NULL. */
struct mh_redirects *mh_redirects_build(const struct mh_redirect *rules, size_t n);
/* The same from the store's rules (*out NULL unless MH_OK). */
enum mh_store_rc mh_redirects_load(struct mh_store *s, struct mh_redirects **out);
void mh_redirects_hold(struct mh_redirects *t);
void mh_redirects_release(struct mh_redirects *t); /* NULL: nothing */
size_t mh_redirects_count(const struct mh_redirects *t);
/* Where a request for path (and query, "" for none) goes: an exact rule for
 * "path?query", for path, or for path with its trailing '/' added or taken
 * away; else the longest prefix rule, the rest of path appended to its to.
 * True with location (replaced) and status filled; t may be NULL. */
bool mh_redirects_find(const struct mh_redirects *t, struct mh_str path, struct mh_str query, struct mh_buf *location,
		       int *status);
/* Adds or replaces a rule, in one transaction with its change-log entry:
 * checked as mh_store_redirect_problem says, and refused when following it
 * through the other rules comes back to its from (a loop) or goes on for
 * more than 10 hops. Returns 0, 2 for a rule refused (err "FIELD: why"),
 * 1 when the database failed. */
int mh_content_redirect_add(struct mh_store *s, const struct mh_redirect *r, struct mh_buf *err);
/* Removes the rule for from: 0, or 1 with err (no such rule, or the database). */
int mh_content_redirect_remove(struct mh_store *s, struct mh_str from, struct mh_buf *err);

#endif
