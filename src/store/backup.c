/*
 * backup.c: the store's operations side — is the database answering
 * (/readyz), how deep is the job queue (/metrics), a consistent copy of a
 * live SQLite database (masthead backup) and its integrity (masthead
 * restore). Kept apart from store.c: these are for operators, not pages.
 * The SQL here is fixed text, run through the backends' raw access.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static enum mh_store_rc ping_row(void *ctx, const char *const *vals)
{
	*(bool *)ctx = vals[0] != NULL && strcmp(vals[0], "1") == 0;
	return MH_OK;
}

enum mh_store_rc mh_store_ping(struct mh_store *s, struct mh_buf *err)
{
	bool one = false;
	enum mh_store_rc rc = s->ops->raw_rows(s, "SELECT 1", 1, ping_row, &one, err);
	if (rc == MH_OK && !one) {
		mh_store_set_err(err, "database answered SELECT 1 with something else");
		rc = MH_ERROR;
	}
	return rc;
}

struct job_counts {
	int64_t *by_state;
	int64_t *retrying;
};

static enum mh_store_rc job_count_row(void *ctx, const char *const *vals)
{
	struct job_counts *c = ctx;
	enum mh_job_state st;
	if (vals[0] == NULL || !mh_job_state_parse(mh_str_c(vals[0]), &st))
		return MH_OK; /* a state this version does not know: not counted */
	c->by_state[st] = vals[1] != NULL ? strtoll(vals[1], NULL, 10) : 0;
	if (st == MH_JOB_QUEUED && vals[2] != NULL)
		*c->retrying = strtoll(vals[2], NULL, 10);
	return MH_OK;
}

enum mh_store_rc mh_store_job_counts(struct mh_store *s, int64_t by_state[4], int64_t *retrying)
{
	memset(by_state, 0, 4 * sizeof(by_state[0]));
	*retrying = 0;
	struct job_counts c = { by_state, retrying };
	return s->ops->raw_rows(s,
				"SELECT state, count(*), sum(CASE WHEN last_error <> '' THEN 1 ELSE 0 END)"
				" FROM jobs GROUP BY state",
				3, job_count_row, &c, NULL);
}

enum mh_store_rc mh_store_backup(struct mh_store *s, const char *path, struct mh_buf *err)
{
	if (s->ops->backup == NULL) {
		mh_store_set_err(err, "the %s backend has no built-in backup (use its own tools: pg_dump)", s->ops->name);
		return MH_INVALID;
	}
	if (s->ops->in_transaction(s)) {
		mh_store_set_err(err, "backup: not inside a transaction");
		return MH_INVALID;
	}
	return s->ops->backup(s, path, err);
}

enum mh_store_rc mh_store_check(struct mh_store *s, struct mh_buf *err)
{
	if (s->ops->check == NULL)
		return mh_store_ping(s, err);
	return s->ops->check(s, err);
}
