/*
 * jobs/newsletter.c: the "newsletter" job kind. Payload: a newsletter id.
 * Each run sends what is due for a slice of time (well inside the job's
 * lease), then queues itself again under its own dedupe key for when the
 * next delivery is due (a deferred one's retry, another node's lease), or
 * ends when none is left. Several such jobs per newsletter
 * ([newsletter] senders) let several nodes send one newsletter: each
 * delivery row is claimed by one of them only (store.h).
 */
#include <stdio.h>

#include "audience/newsletter.h"
#include "jobs/jobs.h"

/* Seconds one run sends before it gives its runner thread back. */
#define SLICE_S 10

enum mh_jobs_result mh_jobs_newsletter(const struct mh_jobs_env *env, const struct mh_job *job, struct mh_buf *err)
{
	int64_t id = 0;
	if (!mh_str_to_i64(mh_str_c(job->payload), &id) || id <= 0) {
		mh_buf_append_c(err, "payload: expected a newsletter id");
		return MH_JOBS_FAILED;
	}
	int64_t sent = 0;
	enum mh_store_rc rc = mh_newsletter_run(env->store, id, env->owner, mh_time_now() + SLICE_S, &sent, err);
	if (rc == MH_NOT_FOUND)
		return MH_JOBS_DONE; /* deleted meanwhile: nothing to send */
	if (rc != MH_OK)
		return MH_JOBS_FAILED;
	int64_t left = 0, next_at = 0;
	if (mh_store_newsletter_pending(env->store, id, &left, &next_at) != MH_OK) {
		mh_buf_append_c(err, "the database did not answer");
		return MH_JOBS_FAILED;
	}
	if (left == 0)
		return MH_JOBS_DONE;
	int64_t now = mh_time_now();
	if (next_at < now)
		next_at = now;
	if (mh_store_job_add(env->store, "newsletter", mh_str_c(job->payload), next_at,
			     job->dedupe[0] != '\0' ? job->dedupe : NULL, NULL) != MH_OK) {
		mh_buf_append_c(err, "cannot queue the rest of the newsletter");
		return MH_JOBS_FAILED;
	}
	return MH_JOBS_REQUEUED;
}

/* "newsletter_confirm", payload an address: the confirmation mail of a
 * sign-up. A relay that defers (or is down) is tried again with the
 * queue's backoff; one that refuses the address for good ends the job. */
enum mh_jobs_result mh_jobs_newsletter_confirm(const struct mh_jobs_env *env, const struct mh_job *job,
					       struct mh_buf *err)
{
	enum mh_mail_result r = mh_newsletter_send_confirmation(env->store, env->a, mh_str_c(job->payload), err);
	if (r == MH_MAIL_TEMPORARY)
		return MH_JOBS_FAILED;
	if (r != MH_MAIL_SENT) {
		struct mh_buf safe = MH_BUF_INIT;
		mh_log_sanitize(&safe, mh_buf_str(err));
		mh_log(MH_LOG_WARN, "job %lld: confirmation mail not sent (%s): %s", (long long)job->id,
		       mh_mail_result_name(r), mh_buf_cstr(&safe));
		mh_buf_free(&safe);
	}
	return MH_JOBS_DONE;
}

/* "newsletter_digest" (dedupe "newsletter_digest"): queues the digest of
 * new articles when there are any, then itself again for the next one;
 * ends when [newsletter] digest is off. */
enum mh_jobs_result mh_jobs_newsletter_digest(const struct mh_jobs_env *env, const struct mh_job *job,
					      struct mh_buf *err)
{
	const struct mh_newsletter_env *ne = mh_newsletter_env();
	if (ne == NULL || ne->settings->digest == MH_DIGEST_OFF)
		return MH_JOBS_DONE;
	int64_t id = 0, n = 0;
	enum mh_store_rc rc = MH_NOT_FOUND;
	if (mh_mail_enabled(ne->mail)) {
		rc = mh_newsletter_queue_digest(env->store, env->a, mh_time_now(), &id, &n, err);
		if (rc != MH_OK && rc != MH_NOT_FOUND)
			return MH_JOBS_FAILED;
		if (rc == MH_OK)
			mh_log(MH_LOG_INFO, "newsletter %lld: the digest, queued to %lld subscribers", (long long)id,
			       (long long)n);
	}
	if (mh_store_job_add(env->store, "newsletter_digest", MH_STR(""),
			     mh_newsletter_next_digest(ne->settings->digest, mh_time_now()), job->dedupe, NULL) != MH_OK) {
		mh_buf_append_c(err, "cannot queue the next digest");
		return MH_JOBS_FAILED;
	}
	return MH_JOBS_REQUEUED;
}
