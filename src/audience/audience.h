/*
 * audience: the newsroom's readers. Views: each read of an article reaches
 * the server as a beacon (however the page itself was served); this module
 * judges it (a bot, a prefetch, the same reader again within 30 minutes),
 * counts it in memory per worker thread and flushes the counts in batches
 * into the store from a thread of its own.
 * Memory: a struct mh_views lives from mh_views_start to mh_views_stop;
 * nothing it returns points into it. No raw address is kept anywhere: a
 * reader is a keyed hash (libsodium's generichash) of address and
 * user agent, under a key derived from the site secret and the day.
 */
#ifndef MH_AUDIENCE_H
#define MH_AUDIENCE_H

#include "store/store.h"
#include "util/util.h"

/* [views] in site.ini (settings.c); every field is a row there. */
struct mh_views_settings {
	bool enabled;
	int flush_interval_s; /* seconds between flushes into the database */
	int refresh_s;        /* seconds a page's count (ID.json) may be kept by browsers and caches */
	int beacon_rate;      /* beacons per second one address may send */
	int beacon_burst;     /* beacons one address may send at once */
};
extern const struct mh_settings_table mh_views_settings_table;

/* How a beacon was judged. Only MH_VIEW_COUNTED adds a read. */
enum mh_view_verdict {
	MH_VIEW_COUNTED = 0,
	MH_VIEW_BOT,      /* user agent on the bot list, or none */
	MH_VIEW_PREFETCH, /* Sec-Purpose/Purpose: prefetch or prerender; or Sec-Fetch-Dest
			   * says it is no page's beacon (a document, a script, ...) */
	MH_VIEW_REPEAT,   /* the same reader read it within 30 minutes */
	MH_VIEW_LIMITED,  /* the address sends more than beacon_rate/burst allow */
	MH_VIEW_INVALID,  /* not an article id */
	MH_VIEW_OFF,      /* [views] enabled = false */
};
const char *mh_view_verdict_name(enum mh_view_verdict v);

/* One beacon, as the request gave it (pointers live as long as the call). */
struct mh_view_read {
	int64_t article_id;
	struct mh_str address;    /* the peer address's bytes (never stored) */
	struct mh_str user_agent; /* User-Agent, maybe empty */
	struct mh_str purpose;    /* Sec-Purpose, else Purpose, else X-Moz; maybe empty */
	struct mh_str fetch_dest; /* Sec-Fetch-Dest; maybe empty */
	int64_t now;              /* unix seconds */
	int64_t now_us;           /* monotonic microseconds, for the rate limit */
};

/* Opens its own connection to the database (url, site_dir as for
 * mh_store_open), reads the site secret "views_key" (made by the first node
 * that asks) and starts the flusher. threads: the HTTP workers. NULL with a
 * sentence in err when the database cannot be opened. */
struct mh_views;
struct mh_views *mh_views_start(const struct mh_views_settings *set, int threads, const char *url,
				const char *site_dir, struct mh_buf *err);
/* Stops the flusher after a last flush (a graceful stop loses no counted
 * read while the database answers) and frees everything. NULL is fine. */
void mh_views_stop(struct mh_views *v);

/* Judges a beacon and, if it counts, adds it to worker's counts (until the
 * next flush). worker: 0..threads-1 (the HTTP worker). With
 * MH_VIEW_LIMITED, *retry_after_s is when the address may send again. */
enum mh_view_verdict mh_views_count(struct mh_views *v, int worker, const struct mh_view_read *rd,
				    int *retry_after_s);

/* Flushes every worker's counts now, in one transaction; returns the reads
 * written (counts kept for the next try when the database fails). */
int64_t mh_views_flush(struct mh_views *v);

/* Whether a user agent is a known bot or crawler (bots.txt, one compiled
 * regular expression), or empty. Pure and thread-safe; fuzzed. */
bool mh_views_is_bot(struct mh_str user_agent);

/* ---- Trending (trending.c): the most-read published articles now ----
 * One thread per node recomputes the lists from the store every [trending]
 * interval (the shared article_view_hours table, so every node computes the
 * same lists) and swaps the result in whole. Readers take a held snapshot
 * (a mutex held for a pointer copy and a count, never during a query) and
 * release it; a snapshot and everything in it is immutable and lives until
 * its last release. */

/* [trending] in site.ini (trending.c); every field is a row there. */
struct mh_trending_settings {
	int interval_s;      /* seconds between recomputations, 1..60 */
	int half_life_hours; /* a read this many hours old weighs half */
	int window_hours;    /* reads older than this do not count, 1..48 */
};
extern const struct mh_settings_table mh_trending_settings_table;

/* The most a list holds (the site's own and each section's). */
#define MH_TRENDING_MAX 10

struct mh_trending_item {
	int64_t article_id;
	const char *slug, *headline;
	int64_t published_at;
	int64_t section_id;
	int64_t views; /* reads in the window */
	int64_t score; /* decayed reads, in millionths */
	int rank;      /* 1.. in its list */
};
/* A section's own list ("Most read in SECTION"); every section is here,
 * those without reads with n == 0. */
struct mh_trending_section {
	int64_t section_id;
	const char *slug, *name;
	const struct mh_trending_item *items;
	size_t n;
};
struct mh_trending_snapshot {
	int64_t computed_at;   /* unix seconds; 0: never computed (empty lists) */
	uint64_t version;      /* goes up each time the lists change */
	const struct mh_trending_item *top; /* the site's list */
	size_t n_top;
	const struct mh_trending_section *sections;
	size_t n_sections;
};

struct mh_trending;
/* Opens its own connection to the database (url, site_dir as for
 * mh_store_open), computes the lists once and starts the thread that
 * recomputes them. NULL with a sentence in err when the database cannot be
 * opened. */
struct mh_trending *mh_trending_start(const struct mh_trending_settings *set, const char *url,
				      const char *site_dir, struct mh_buf *err);
/* Stops the thread and frees t (snapshots still held stay valid until
 * released). NULL is fine. */
void mh_trending_stop(struct mh_trending *t);
/* Called from the recomputing thread each time the lists change (not on a
 * recomputation that finds them the same); set before anything else
 * reads t, or NULL to stop. */
void mh_trending_listen(struct mh_trending *t, void (*changed)(void *ctx), void *ctx);
/* The lists as last computed, held: release with mh_trending_release.
 * Never NULL (an empty snapshot before the first computation). */
const struct mh_trending_snapshot *mh_trending_get(struct mh_trending *t);
void mh_trending_release(const struct mh_trending_snapshot *snap);
/* Recomputes now (what the thread does each interval): MH_OK with
 * *changed whether the lists differ from the last ones. For tests and the
 * first computation. */
enum mh_store_rc mh_trending_recompute(struct mh_trending *t, bool *changed);
/* The section's list in snap by slug, or NULL when no such section. */
const struct mh_trending_section *mh_trending_section_by_slug(const struct mh_trending_snapshot *snap,
							      struct mh_str slug);
const struct mh_trending_section *mh_trending_section_by_id(const struct mh_trending_snapshot *snap, int64_t id);
/* ---- comments (issue 8): comment_text.c, comments.c ----
 * The parts of commenting that need no database: the text's safe subset
 * rendered to HTML, the checks a comment must pass before it is stored,
 * the signed form token, and the commenter's address hash. The site
 * (src/site/comments.c) ties them to the store and the pages. */

/* [comments] in site.ini (comments.c); every field is a row there. The
 * moderation mode set in the admin (site setting "comments_moderation")
 * overrides moderation. */
enum mh_comments_moderation {
	MH_COMMENTS_HOLD_ALL = 0, /* every comment waits for a moderator */
	MH_COMMENTS_HOLD_FIRST,   /* a commenter's first waits; once one is approved, theirs appear at once */
	MH_COMMENTS_OPEN,         /* every comment appears at once */
};
struct mh_comments_settings {
	bool enabled;
	int moderation;       /* enum mh_comments_moderation */
	int close_after_days; /* 0: never */
	int max_length;       /* characters of a comment's text */
	int max_links;        /* links a comment may hold */
	int min_seconds;      /* between the form's loading and its sending */
	int per_minute;       /* comments one address may send per minute */
	int burst;            /* and at once */
};
extern const struct mh_settings_table mh_comments_settings_table;
/* "hold_all", "hold_first", "open"; parse: false for anything else */
const char *mh_comments_moderation_name(int m);
bool mh_comments_moderation_parse(struct mh_str s, int *out);

/* Appends text as HTML (comment_text.c: paragraphs, quotes, emphasis,
 * http(s) links with rel="nofollow ugc noopener"; all else as text), in
 * time linear in text.len. Returns the number of links made. */
int mh_comment_text_render(struct mh_buf *out, struct mh_str text);

/* Why a comment's text may not be posted, as a sentence for the person
 * (NULL: it may): empty, not UTF-8, longer than max_length characters,
 * more than max_links links. */
const char *mh_comment_text_problem(struct mh_arena *a, struct mh_str text, const struct mh_comments_settings *set);

#define MH_COMMENTS_KEY_BYTES 32
/* The form token: "TIME.MAC", TIME the unix second it was made, MAC a
 * keyed hash (crypto_auth) of article id and TIME. Appended to out. */
void mh_comments_token_make(struct mh_buf *out, const unsigned char key[MH_COMMENTS_KEY_BYTES], int64_t article_id,
			    int64_t now);
/* MH_TOKEN_OK, or why not; *age is now - TIME for a genuine token. */
enum mh_comments_token {
	MH_TOKEN_OK = 0,
	MH_TOKEN_BAD,      /* missing, malformed, forged, for another article, from the future */
	MH_TOKEN_TOO_FAST, /* genuine, but younger than min_seconds */
};
enum mh_comments_token mh_comments_token_check(const unsigned char key[MH_COMMENTS_KEY_BYTES], int64_t article_id,
					       struct mh_str token, int64_t now, int min_seconds, int64_t *age);
/* The commenter's address as stored: 32 hex digits of a keyed hash
 * (crypto_generichash) of the address's bytes, into out (replaced). */
void mh_comments_address_hash(struct mh_buf *out, const unsigned char key[MH_COMMENTS_KEY_BYTES], struct mh_str address);

#endif
