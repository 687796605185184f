/*
 * The job runner: threads that claim due jobs from the shared queue and run
 * them, and the table of job kinds. Later kinds (mail, image sizes, view
 * flushing) are one row here and one file beside this one.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobs/jobs.h"

/* Every job kind the queue knows: one place to find them all. */
static const struct {
	const char *kind;
	enum mh_jobs_result (*run)(const struct mh_jobs_env *env, const struct mh_job *job, struct mh_buf *err);
} kinds[] = {
	{ "publish", mh_jobs_publish },
	{ "purge", mh_jobs_purge },
	{ "media_sizes", mh_jobs_media_sizes }, /* MH_MEDIA_JOB_KIND */
	{ "newsletter", mh_jobs_newsletter },   /* issue 10 */
	{ "newsletter_confirm", mh_jobs_newsletter_confirm },
	{ "newsletter_digest", mh_jobs_newsletter_digest },
};

/* An idle runner looks for due jobs this often: a scheduled article goes
 * out within about this much of its time. */
#define POLL_MS 250
/* After the database failed to answer, wait this long before asking again. */
#define ERROR_PAUSE_MS 1000
/* Done jobs are kept this long (for `masthead jobs`), then pruned. */
#define KEEP_DONE_S (24 * 3600)
#define PRUNE_EVERY_S 3600
#define BACKOFF_BASE_S 10
#define BACKOFF_MAX_S 3600

int64_t mh_jobs_backoff(int attempts)
{
	if (attempts < 1)
		attempts = 1;
	int64_t s = BACKOFF_BASE_S;
	for (int i = 1; i < attempts && s < BACKOFF_MAX_S; i++)
		s *= 2;
	return s < BACKOFF_MAX_S ? s : BACKOFF_MAX_S;
}

void mh_jobs_make_node_id(char *buf, size_t size)
{
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		strcpy(host, "localhost");
	/* the store takes owners of printable ASCII without spaces */
	for (char *p = host; *p != '\0'; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			*p = '_';
	host[64] = '\0';
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct mh_rng r;
	mh_rng_seed(&r, (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40) ^
				(uint64_t)(uintptr_t)buf);
	snprintf(buf, size, "%s:%ld:%08x", host, (long)getpid(), (unsigned)(mh_rng_next(&r) & 0xffffffffu));
}

/* The job kind's handler, or NULL. */
static enum mh_jobs_result (*handler_for(const char *kind))(const struct mh_jobs_env *, const struct mh_job *,
							    struct mh_buf *)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].run;
	return NULL;
}

static void log_failure(const struct mh_job *job, struct mh_str why, int64_t retry_in)
{
	struct mh_buf safe = MH_BUF_INIT, kind = MH_BUF_INIT;
	mh_log_sanitize(&safe, why);
	mh_log_sanitize(&kind, mh_str_c(job->kind));
	if (job->attempts >= job->max_attempts)
		mh_log(MH_LOG_ERROR, "job %lld (%s) attempt %d/%d failed: %s; parked (see 'masthead jobs')",
		       (long long)job->id, mh_buf_cstr(&kind), job->attempts, job->max_attempts, mh_buf_cstr(&safe));
	else
		mh_log(MH_LOG_WARN, "job %lld (%s) attempt %d/%d failed: %s; retrying in %llds", (long long)job->id,
		       mh_buf_cstr(&kind), job->attempts, job->max_attempts, mh_buf_cstr(&safe), (long long)retry_in);
	mh_buf_free(&safe);
	mh_buf_free(&kind);
}

enum mh_store_rc mh_jobs_run_one(struct mh_store *s, const struct mh_purge_settings *purge, struct mh_cache *cache,
				 const char *owner, int lease_s, int64_t now, int64_t *ran_id)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_job *job = NULL;
	enum mh_store_rc rc = mh_store_job_claim(s, a, owner, now, lease_s, &job);
	if (rc != MH_OK) {
		mh_arena_free(a);
		return rc;
	}
	if (ran_id != NULL)
		*ran_id = job->id;
	struct mh_jobs_env env = { .purge = purge, .cache = cache, .store = s, .a = a, .owner = owner, .now = now };
	struct mh_buf err = MH_BUF_INIT;
	enum mh_jobs_result (*run)(const struct mh_jobs_env *, const struct mh_job *, struct mh_buf *) =
		handler_for(job->kind);
	enum mh_jobs_result res;
	if (run == NULL) {
		mh_buf_append_c(&err, "unknown job kind '");
		mh_log_sanitize(&err, mh_str_c(job->kind));
		mh_buf_append_c(&err, "' (a newer masthead queued it?)");
		res = MH_JOBS_FAILED;
	} else {
		res = run(&env, job, &err);
	}
	enum mh_store_rc end = MH_OK;
	switch (res) {
	case MH_JOBS_DONE:
		end = mh_store_job_done(s, job->id, owner);
		break;
	case MH_JOBS_FAILED: {
		if (err.len == 0)
			mh_buf_append_c(&err, "failed");
		int64_t retry_in = mh_jobs_backoff(job->attempts);
		log_failure(job, mh_buf_str(&err), retry_in);
		/* the clock of the end, not the claim: a slow attempt still
		 * waits its whole backoff */
		end = mh_store_job_fail(s, job->id, owner, mh_buf_cstr(&err), mh_time_now() + retry_in);
		break;
	}
	case MH_JOBS_REQUEUED:
		break;
	}
	if (end == MH_CONFLICT)
		/* the lease ran out and another node holds the job now (or it
		 * was queued again meanwhile): that claim decides */
		mh_log(MH_LOG_INFO, "job %lld: no longer ours when it ended (lease ran out or it was requeued)",
		       (long long)job->id);
	else if (end != MH_OK)
		mh_log(MH_LOG_WARN, "job %lld: cannot record its end (the database did not answer); it runs again "
				    "after its lease",
		       (long long)job->id);
	mh_buf_free(&err);
	mh_arena_free(a);
	return MH_OK;
}

/* Scheduled articles read per batch by the sweep. */
#define SWEEP_BATCH 200

enum mh_store_rc mh_jobs_sweep_scheduled(struct mh_store *s, int *added)
{
	if (added != NULL)
		*added = 0;
	/* the articles that already have an unfinished publishing job: the
	 * queue's size, not the archive's */
	struct mh_arena *a = mh_arena_new();
	struct mh_buf have = MH_BUF_INIT;
	mh_buf_append_ch(&have, ' ');
	enum mh_store_rc rc = MH_OK;
	static const int states[] = { MH_JOB_QUEUED, MH_JOB_RUNNING };
	for (size_t k = 0; rc == MH_OK && k < 2; k++) {
		struct mh_job *jobs = NULL;
		size_t n = 0;
		rc = mh_store_jobs(s, a, states[k], 10000, &jobs, &n);
		for (size_t i = 0; rc == MH_OK && i < n; i++)
			if (strcmp(jobs[i].kind, "publish") == 0)
				mh_buf_printf(&have, "%s ", jobs[i].payload);
	}
	mh_arena_free(a);
	/* Only the scheduled rows, through the status index, a batch at a
	 * time with the keyset cursor (never OFFSET), each batch in its own
	 * arena: start-up reads and holds the same whatever the archive's
	 * size (tests/e2e/test_archive_scale.py counts it). */
	struct mh_article_query q = { .scheduled_only = true, .limit = SWEEP_BATCH };
	while (rc == MH_OK) {
		a = mh_arena_new();
		struct mh_article *arts = NULL;
		size_t n = 0;
		rc = mh_store_articles(s, a, &q, &arts, &n);
		for (size_t i = 0; rc == MH_OK && i < n; i++) {
			char payload[32], needle[40], dedupe[48];
			snprintf(payload, sizeof(payload), "%lld", (long long)arts[i].id);
			snprintf(needle, sizeof(needle), " %s ", payload);
			if (strstr(mh_buf_cstr(&have), needle) != NULL)
				continue;
			snprintf(dedupe, sizeof(dedupe), "publish:%s", payload);
			rc = mh_store_job_add(s, "publish", mh_str_c(payload), arts[i].published_at, dedupe, NULL);
			if (rc == MH_OK && added != NULL)
				(*added)++;
		}
		bool more = rc == MH_OK && n == SWEEP_BATCH && arts[n - 1].published_at > 0;
		if (more) {
			q.before_published_at = arts[n - 1].published_at;
			q.before_id = arts[n - 1].id;
		}
		mh_arena_free(a);
		if (!more)
			break;
	}
	mh_buf_free(&have);
	return rc;
}

/* ---- the threads ---- */

struct worker {
	struct mh_jobs *jobs;
	struct mh_store *store;
	pthread_t thread;
	bool started;
	int index;
};

struct mh_jobs {
	const struct mh_jobs_settings *settings;
	const struct mh_purge_settings *purge;
	struct mh_cache *cache;
	char node_id[128];
	atomic_bool stop;
	struct worker *workers;
	int n_workers;
};

/* Sleeps ms in short naps, so that stopping never waits long. */
static void nap(struct mh_jobs *j, int ms)
{
	for (int slept = 0; slept < ms && !atomic_load(&j->stop); slept += 50) {
		int step = ms - slept < 50 ? ms - slept : 50;
		struct timespec ts = { 0, (long)step * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct mh_jobs *j = w->jobs;
	int64_t last_prune = 0;
	bool warned = false;
	while (!atomic_load(&j->stop)) {
		int64_t now = mh_time_now();
		if (w->index == 0 && now - last_prune >= PRUNE_EVERY_S) {
			last_prune = now;
			mh_store_jobs_prune(w->store, now - KEEP_DONE_S);
		}
		enum mh_store_rc rc =
			mh_jobs_run_one(w->store, j->purge, j->cache, j->node_id, j->settings->lease_s, now, NULL);
		if (rc == MH_OK) {
			warned = false;
			continue; /* there may be more due: no pause */
		}
		if (rc == MH_NOT_FOUND) {
			warned = false;
			nap(j, POLL_MS);
			continue;
		}
		if (!warned)
			mh_log(MH_LOG_WARN, "jobs: cannot claim from the queue (%s); retrying every %d ms",
			       rc == MH_UNAVAILABLE ? "database unavailable" : "database error", ERROR_PAUSE_MS);
		warned = true;
		nap(j, ERROR_PAUSE_MS);
	}
	return NULL;
}

const char *mh_jobs_node_id(const struct mh_jobs *j)
{
	return j->node_id;
}

struct mh_jobs *mh_jobs_start(const struct mh_jobs_settings *settings, const struct mh_purge_settings *purge,
			      const char *database, const char *dir, struct mh_cache *cache, struct mh_buf *err)
{
	struct mh_jobs *j = calloc(1, sizeof(*j));
	MH_ASSERT(j != NULL);
	j->settings = settings;
	j->purge = purge;
	j->cache = cache;
	atomic_init(&j->stop, false);
	mh_jobs_make_node_id(j->node_id, sizeof(j->node_id));
	j->n_workers = settings->workers;
	if (j->n_workers == 0)
		return j;
	j->workers = calloc((size_t)j->n_workers, sizeof(*j->workers));
	MH_ASSERT(j->workers != NULL);
	for (int i = 0; i < j->n_workers; i++) {
		struct worker *w = &j->workers[i];
		w->jobs = j;
		w->index = i;
		if (mh_store_open(database, dir, false, &w->store, err) != MH_OK) {
			mh_jobs_stop(j);
			return NULL;
		}
	}
	/* articles scheduled before the queue existed (or by a bulk import)
	 * get their job now; the dedupe key makes this harmless on every start */
	int added = 0;
	if (mh_jobs_sweep_scheduled(j->workers[0].store, &added) != MH_OK)
		mh_log(MH_LOG_WARN, "jobs: cannot check scheduled articles for publishing jobs (will not retry)");
	else if (added > 0)
		mh_log(MH_LOG_INFO, "jobs: queued publishing for %d scheduled article%s", added, added == 1 ? "" : "s");
	for (int i = 0; i < j->n_workers; i++) {
		struct worker *w = &j->workers[i];
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			mh_buf_printf(err, "cannot start the job runner's thread");
			mh_jobs_stop(j);
			return NULL;
		}
		w->started = true;
	}
	return j;
}

void mh_jobs_stop(struct mh_jobs *j)
{
	if (j == NULL)
		return;
	atomic_store(&j->stop, true);
	for (int i = 0; i < j->n_workers && j->workers != NULL; i++) {
		struct worker *w = &j->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		if (w->store != NULL)
			mh_store_close(w->store);
	}
	free(j->workers);
	free(j);
}
