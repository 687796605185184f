/*
 * The "media_sizes" job, payload a media item's id, queued by mh_media_add
 * in the upload's transaction (dedupe "media_sizes:ID"): makes and stores
 * every derived size of the image that is not stored yet. Idempotent: a
 * run after a node died mid-way makes only what is missing, and a size
 * stored twice keeps the first (mh_store_media_size_put).
 */
#include "jobs/jobs.h"
#include "media/media.h"

enum mh_jobs_result mh_jobs_media_sizes(const struct mh_jobs_env *env, const struct mh_job *job, struct mh_buf *err)
{
	int64_t id;
	if (!mh_str_to_i64(mh_str_c(job->payload), &id) || id <= 0) {
		mh_buf_append_c(err, "payload: expected a media id, got '");
		mh_log_sanitize(err, mh_str_c(job->payload));
		mh_buf_append_ch(err, '\'');
		return MH_JOBS_FAILED;
	}
	int made = 0;
	struct mh_buf why = MH_BUF_INIT;
	enum mh_store_rc rc = mh_media_make_sizes(env->store, id, &made, &why);
	if (rc != MH_OK) {
		mh_buf_printf(err, "media %lld: %s", (long long)id,
			      why.len > 0 ? mh_buf_cstr(&why) : "the database did not answer");
		mh_buf_free(&why);
		return MH_JOBS_FAILED;
	}
	mh_buf_free(&why);
	if (made > 0)
		mh_log(MH_LOG_INFO, "made %d size%s of media %lld", made, made == 1 ? "" : "s", (long long)id);
	return MH_JOBS_DONE;
}
