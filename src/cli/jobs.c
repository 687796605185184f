/*
 * masthead jobs: the shared job queue seen from the command line — list
 * jobs (parked ones above all: they wait for a person), put a parked job
 * back in the queue, or run the due jobs once from this process.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "jobs/jobs.h"

int mh_cli_jobs(int argc, char **argv);

static void jobs_usage(FILE *f)
{
	fprintf(f, "usage: masthead jobs [--site DIR] [COMMAND]\n\n"
		   "  list [--state S] [--limit N]  jobs, newest first (the default command)\n"
		   "                                S: queued, running, done, parked\n"
		   "  retry ID                      queue a parked job again, due now\n"
		   "  run-due                       run every due job once from this process\n"
		   "  --site DIR                    the site folder (default: the current folder)\n"
		   "Every `masthead serve` runs the queue by itself; a job that failed\n"
		   "[max attempts] times is parked until retried.\n");
}

static void print_field(struct mh_str s, size_t max)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_log_sanitize(&b, s.len > max ? (struct mh_str){ s.ptr, max } : s);
	if (s.len > max)
		mh_buf_append_c(&b, "...");
	fputs(b.len > 0 ? mh_buf_cstr(&b) : "-", stdout);
	mh_buf_free(&b);
}

static int list_jobs(struct mh_store *s, int state, int limit)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_job *jobs = NULL;
	size_t n = 0;
	if (mh_store_jobs(s, a, state, limit, &jobs, &n) != MH_OK) {
		fprintf(stderr, "masthead jobs list: the database did not answer\n");
		mh_arena_free(a);
		return 1;
	}
	printf("%-7s %-8s %-7s %-8s %-16s %-24s %s\n", "ID", "KIND", "STATE", "ATTEMPTS", "RUN AT", "PAYLOAD",
	       "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		const struct mh_job *j = &jobs[i];
		struct mh_buf when = MH_BUF_INIT, tries = MH_BUF_INIT;
		mh_time_format(&when, j->run_at, "%Y-%m-%d %H:%M");
		mh_buf_printf(&tries, "%d/%d", j->attempts, j->max_attempts);
		struct mh_buf kind = MH_BUF_INIT;
		mh_log_sanitize(&kind, mh_str_c(j->kind));
		printf("%-7lld %-8s %-7s %-8s %-16s ", (long long)j->id, mh_buf_cstr(&kind), mh_job_state_name(j->state),
		       mh_buf_cstr(&tries), mh_buf_cstr(&when));
		mh_buf_free(&kind);
		struct mh_buf payload = MH_BUF_INIT;
		mh_log_sanitize(&payload, mh_str_c(j->payload));
		if (payload.len > 24) {
			payload.len = 21;
			mh_buf_append_c(&payload, "...");
		}
		printf("%-24s ", payload.len > 0 ? mh_buf_cstr(&payload) : "-");
		print_field(mh_str_c(j->last_error), 400);
		putchar('\n');
		mh_buf_free(&payload);
		mh_buf_free(&when);
		mh_buf_free(&tries);
	}
	mh_arena_free(a);
	return 0;
}

static int retry_job(struct mh_store *s, const char *arg)
{
	int64_t id;
	if (!mh_str_to_i64(mh_str_c(arg), &id) || id <= 0) {
		fprintf(stderr, "masthead jobs retry: ID: expected a job id (a number, see 'masthead jobs list'), got '%s'\n",
			arg);
		return 2;
	}
	enum mh_store_rc rc = mh_store_job_retry(s, id);
	if (rc == MH_NOT_FOUND) {
		fprintf(stderr, "masthead jobs retry: no parked or queued job %lld (see 'masthead jobs list')\n",
			(long long)id);
		return 1;
	}
	if (rc != MH_OK) {
		fprintf(stderr, "masthead jobs retry: the database did not answer\n");
		return 1;
	}
	printf("job %lld queued again, due now\n", (long long)id);
	return 0;
}

static int run_due_jobs(struct mh_store *s, const struct mh_config *cfg);

static int run_due(struct mh_store *s, const struct mh_config *cfg)
{
	/* a newsletter job sends mail: configure it first */
	struct mh_buf merr = MH_BUF_INIT;
	if (mh_cli_mail_setup(cfg, &merr) != 0) {
		fprintf(stderr, "masthead jobs run-due: mail theme: %s\n", mh_buf_cstr(&merr));
		mh_buf_free(&merr);
		return 1;
	}
	mh_buf_free(&merr);
	int rc = run_due_jobs(s, cfg);
	mh_cli_mail_teardown();
	return rc;
}

static int run_due_jobs(struct mh_store *s, const struct mh_config *cfg)
{
	char owner[160];
	mh_jobs_make_node_id(owner, sizeof(owner));
	int ran = 0;
	/* a bound, so that a job failing into an instant retry cannot loop
	 * forever (backoff makes that impossible today) */
	for (int i = 0; i < 10000; i++) {
		enum mh_store_rc rc = mh_jobs_run_one(s, &cfg->purge, NULL, owner, cfg->jobs.lease_s, mh_time_now(), NULL);
		if (rc == MH_NOT_FOUND)
			break;
		if (rc != MH_OK) {
			fprintf(stderr, "masthead jobs run-due: the database did not answer after %d job%s\n", ran,
				ran == 1 ? "" : "s");
			return 1;
		}
		ran++;
	}
	printf("ran %d job%s\n", ran, ran == 1 ? "" : "s");
	return 0;
}

int mh_cli_jobs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = ".", *state_arg = NULL, *limit_arg = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 't':
			state_arg = optarg;
			break;
		case 'l':
			limit_arg = optarg;
			break;
		case 'h':
			jobs_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead jobs: unknown or incomplete option '%s'\n", argv[optind - 1]);
			jobs_usage(stderr);
			return 2;
		}
	}
	const char *cmd = optind < argc ? argv[optind++] : "list";
	int nargs = argc - optind;
	bool is_list = strcmp(cmd, "list") == 0, is_retry = strcmp(cmd, "retry") == 0;
	bool is_run = strcmp(cmd, "run-due") == 0;
	if (!is_list && !is_retry && !is_run) {
		fprintf(stderr, "masthead jobs: unknown command '%s' (list, retry, run-due)\n", cmd);
		return 2;
	}
	if ((is_retry && nargs != 1) || (!is_retry && nargs != 0)) {
		fprintf(stderr, "masthead jobs %s: wrong number of arguments%s\n", cmd,
			is_retry ? " (expected one job ID)" : "");
		return 2;
	}
	if ((state_arg != NULL || limit_arg != NULL) && !is_list) {
		fprintf(stderr, "masthead jobs %s: --state and --limit go with list\n", cmd);
		return 2;
	}
	int state = -1, limit = 100;
	if (state_arg != NULL) {
		enum mh_job_state st;
		if (!mh_job_state_parse(mh_str_c(state_arg), &st)) {
			fprintf(stderr, "masthead jobs list: --state: expected queued, running, done or parked, got '%s'\n",
				state_arg);
			return 2;
		}
		state = (int)st;
	}
	if (limit_arg != NULL) {
		int64_t n;
		if (!mh_str_to_i64(mh_str_c(limit_arg), &n) || n < 1 || n > 10000) {
			fprintf(stderr, "masthead jobs list: --limit: expected a number from 1 to 10000, got '%s'\n",
				limit_arg);
			return 2;
		}
		limit = (int)n;
	}
	struct mh_config cfg;
	struct mh_store *store = NULL;
	struct mh_buf err = MH_BUF_INIT;
	if (mh_cli_site_open(dir, &cfg, &store, &err) != 0) {
		fprintf(stderr, "masthead jobs: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return 1;
	}
	mh_time_set_zone(cfg.site.timezone);
	int rc;
	if (is_list)
		rc = list_jobs(store, state, limit);
	else if (is_retry)
		rc = retry_job(store, argv[optind]);
	else
		rc = run_due(store, &cfg);
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	return rc;
}
