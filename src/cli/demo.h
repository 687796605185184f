/*
 * demo: the generator behind `masthead demo` — a fictional newsroom (The
 * Aldine Dispatch, covering the port city of Port Aldine and its region) with
 * authors, sections, tags, SVG illustrations and N articles of generated news
 * prose. Deterministic: the same n, seed and now give byte-identical rows and
 * files. Nothing is copied from any real outlet; every name is invented.
 */
#ifndef MH_CLI_DEMO_H
#define MH_CLI_DEMO_H

#include "store/store.h"
#include "util/util.h"

struct mh_demo_stats {
	int authors, sections, tags, images;
	int articles, published, scheduled, drafts, picks;
};

/* Called after every batch of articles (about every 1000) and at the end. */
typedef void (*mh_demo_progress_fn)(int done, int total, void *arg);

/* Fills the open, migrated, empty store s: sections, authors, tags, then n
 * articles (n >= 1), the newest published at now, in transactions of 1000.
 * Writes the illustrations and avatars to site_dir/media/demo/. seed picks
 * the prose. Returns 0, or 1 with a message in err (the batch in progress is
 * rolled back; earlier batches stay). stats and progress may be NULL. */
int mh_demo_generate(struct mh_store *s, const char *site_dir, int n, uint64_t seed, int64_t now,
		     mh_demo_progress_fn progress, void *progress_arg, struct mh_demo_stats *stats,
		     struct mh_buf *err);

/* The defaults of `masthead demo`. */
#define MH_DEMO_DEFAULT_ARTICLES 200
#define MH_DEMO_DEFAULT_SEED 20310
#define MH_DEMO_MAX_ARTICLES 1000000
#define MH_DEMO_TITLE "The Aldine Dispatch"
#define MH_DEMO_OWNER "owner@aldine-dispatch.example"
#define MH_DEMO_VIDEO_CHANNEL "https://video.example.org/aldine-dispatch"

#endif
