/*
 * jobs: the background job runner every node starts, and the job kinds it
 * knows (one static table in runner.c). A runner thread has its own store
 * connection, claims due jobs from the shared queue with a lease, runs the
 * kind's handler, and marks the job done, or failed with exponential backoff
 * (the store parks a job at its max_attempts). Several nodes run the same
 * queue: a claim is exclusive, and a dead node's jobs are taken over when
 * its lease runs out, so every handler must be idempotent.
 * Memory: a struct mh_jobs is owned by its starter until mh_jobs_stop; the
 * settings (and cache, when given) must outlive it.
 */
#ifndef MH_JOBS_H
#define MH_JOBS_H

#include "cache/cache.h"
#include "store/store.h"
#include "util/util.h"

/* [jobs] and [purge] in site.ini (settings.c); every field is a row. */
struct mh_purge_settings {
	const char *varnish;      /* "" or space-separated http(s) URLs that take BAN */
	const char *url_template; /* "" or an http(s) URL holding {key} */
	const char *method;       /* the template's method */
	const char *header;       /* "" or "Name: value", sent with every purge */
	int timeout_s;            /* per request, connecting included */
};
struct mh_jobs_settings {
	int workers; /* runner threads per node; 0 = this node runs no jobs */
	int lease_s; /* a claimed job is another node's to take after this */
};
extern const struct mh_settings_table mh_jobs_settings_table;  /* [jobs] */
extern const struct mh_settings_table mh_purge_settings_table; /* [purge] */

/* What a handler made of one job. */
enum mh_jobs_result {
	MH_JOBS_DONE = 0,  /* finished (or nothing left to do) */
	MH_JOBS_FAILED,    /* retry later with backoff; reason in err */
	MH_JOBS_REQUEUED,  /* the handler queued the job again itself (same
			    * dedupe key): the runner leaves it alone */
};

/* What a handler gets besides the job. */
struct mh_jobs_env {
	const struct mh_purge_settings *purge;
	struct mh_cache *cache; /* this node's page cache, or NULL */
	struct mh_store *store; /* the runner thread's own connection */
	struct mh_arena *a;     /* dies after the job */
	const char *owner;      /* the node id holding the claim */
	int64_t now;            /* unix seconds when the job was claimed */
};

/* ---- the runner ---- */
struct mh_jobs;
/* Starts settings->workers threads (none when 0: then it returns a runner
 * that does nothing), each with its own store connection. Before the first
 * claim, queues a publishing job for every scheduled article lacking one.
 * NULL with a message in err if a connection cannot be opened. */
struct mh_jobs *mh_jobs_start(const struct mh_jobs_settings *settings, const struct mh_purge_settings *purge,
			      const char *database, const char *dir, struct mh_cache *cache, struct mh_buf *err);
/* Lets each thread finish its current job, then joins them. NULL is fine. */
void mh_jobs_stop(struct mh_jobs *j);
/* This node's id in job owners: "hostname:pid:random". */
const char *mh_jobs_node_id(const struct mh_jobs *j);

/* ---- the pieces, for tests and `masthead jobs run-due` ---- */
/* Seconds to wait before retrying after attempts failed claims:
 * 10 * 2^(attempts-1), at most an hour. */
int64_t mh_jobs_backoff(int attempts);
/* Makes a node id ("hostname:pid:hex") into buf. */
void mh_jobs_make_node_id(char *buf, size_t size);
/* Claims one due job as owner and runs it to done/failed. Returns MH_OK
 * when a job ran (whatever its outcome; *ran_id set when not NULL),
 * MH_NOT_FOUND when nothing was due, or the store's error. */
enum mh_store_rc mh_jobs_run_one(struct mh_store *s, const struct mh_purge_settings *purge, struct mh_cache *cache,
				 const char *owner, int lease_s, int64_t now, int64_t *ran_id);
/* Queues a publishing job (dedupe "publish:ID") for each scheduled article
 * that has no unfinished one; *added (may be NULL) counts them. */
enum mh_store_rc mh_jobs_sweep_scheduled(struct mh_store *s, int *added);

/* ---- the kinds (one file each) ---- */
/* "publish", payload an article id: publishes a scheduled article once its
 * time has come, through mh_content_article_commit (publish.c). */
enum mh_jobs_result mh_jobs_publish(const struct mh_jobs_env *env, const struct mh_job *job, struct mh_buf *err);
/* "purge", payload space-separated cache keys: tells every [purge] target
 * to drop those keys (purge.c). */
enum mh_jobs_result mh_jobs_purge(const struct mh_jobs_env *env, const struct mh_job *job, struct mh_buf *err);
/* "media_sizes", payload a media id: makes the image's missing derived
 * sizes (media_sizes.c, through mh_media_make_sizes). */
enum mh_jobs_result mh_jobs_media_sizes(const struct mh_jobs_env *env, const struct mh_job *job, struct mh_buf *err);
/* "newsletter", payload a newsletter id: sends its due deliveries for a
 * while, then queues itself again until none is left (newsletter.c; the
 * process must have called mh_newsletter_configure). */
enum mh_jobs_result mh_jobs_newsletter(const struct mh_jobs_env *env, const struct mh_job *job, struct mh_buf *err);
/* "newsletter_confirm", payload an address: a sign-up's confirmation mail. */
enum mh_jobs_result mh_jobs_newsletter_confirm(const struct mh_jobs_env *env, const struct mh_job *job,
					       struct mh_buf *err);
/* "newsletter_digest": the scheduled digest of new articles ([newsletter]
 * digest); queues itself again for the next one. */
enum mh_jobs_result mh_jobs_newsletter_digest(const struct mh_jobs_env *env, const struct mh_job *job,
					      struct mh_buf *err);
/* The HTTP requests a purge makes, without the settling pause: for tests. */
enum mh_jobs_result mh_jobs_purge_send(const struct mh_purge_settings *purge, struct mh_str keys, struct mh_buf *err);

#endif
