/*
 * Scheduled publishing: the "publish" job, payload an article id, queued by
 * mh_content_article_commit (dedupe "publish:ID", run_at = published_at) and
 * by the runner's start-up sweep. Idempotent: it only acts on an article
 * that is still scheduled and due, so a job taken over from a dead node, or
 * run once more after a lost "done", changes nothing twice.
 */
#include <stdio.h>

#include "content/content.h"
#include "jobs/jobs.h"

enum mh_jobs_result mh_jobs_publish(const struct mh_jobs_env *env, const struct mh_job *job, struct mh_buf *err)
{
	int64_t id;
	if (!mh_str_to_i64(mh_str_c(job->payload), &id) || id <= 0) {
		mh_buf_append_c(err, "payload: expected an article id, got '");
		mh_log_sanitize(err, mh_str_c(job->payload));
		mh_buf_append_ch(err, '\'');
		return MH_JOBS_FAILED;
	}
	/* two copies: the stored state (for the keys it made stale) and the
	 * one to change */
	struct mh_article *before = NULL, *art = NULL;
	enum mh_store_rc rc = mh_store_article_by_id(env->store, env->a, id, &before);
	if (rc == MH_OK)
		rc = mh_store_article_by_id(env->store, env->a, id, &art);
	if (rc == MH_NOT_FOUND)
		return MH_JOBS_DONE; /* deleted meanwhile: nothing to publish */
	if (rc != MH_OK) {
		mh_buf_printf(err, "article %lld: the database did not answer", (long long)id);
		return MH_JOBS_FAILED;
	}
	if (art->status != MH_ARTICLE_SCHEDULED)
		return MH_JOBS_DONE; /* published by hand, unpublished or made a draft */
	if (art->published_at > env->now) {
		/* moved later without its job following (an edit outside
		 * mh_content_article_commit): the dedupe key turns this very
		 * job into the one for the new time */
		char dedupe[48];
		snprintf(dedupe, sizeof(dedupe), "publish:%lld", (long long)id);
		rc = mh_store_job_add(env->store, "publish", mh_str_c(job->payload), art->published_at, dedupe, NULL);
		if (rc != MH_OK) {
			mh_buf_printf(err, "article %lld: cannot queue it for its new time", (long long)id);
			return MH_JOBS_FAILED;
		}
		return MH_JOBS_REQUEUED;
	}
	art->status = MH_ARTICLE_PUBLISHED;
	/* the change log makes every node drop exactly the pages it touches */
	if (mh_content_article_commit(env->store, env->a, before, art, err) != 0)
		return MH_JOBS_FAILED;
	mh_log(MH_LOG_INFO, "published scheduled article %lld", (long long)id);
	return MH_JOBS_DONE;
}
