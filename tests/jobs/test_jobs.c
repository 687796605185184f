/* jobs: the runner's pieces on a real site (init.c) on a temporary SQLite
 * database — backoff, dispatch by kind, scheduled publishing with its change
 * log entry, parking, purges sent to a local listener (standing in for
 * Varnish and a CDN's purge API) or to a closed port, the start-up sweep,
 * and a running runner publishing on time. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "content/content.h"
#include "jobs/jobs.h"

static char dir[64];
static struct mh_config cfg;
static struct mh_store *st;
static struct mh_arena *ar;
static struct mh_buf err;
static int64_t sec_news;
static const char *OWNER = "test-node:1:abc";

static void setup(void)
{
	strcpy(dir, "/tmp/mh-jobs-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	err = MH_BUF_INIT;
	cr_assert_eq(mh_cli_site_create(dir, "Test", &cfg, &st, &err), 0, "%s", mh_buf_cstr(&err));
	ar = mh_arena_new();
	struct mh_section s[] = {
		{ .slug = "latest", .name = "Latest", .position = 1, .kind = MH_SECTION_LATEST },
		{ .slug = "news", .name = "News", .position = 2 },
	};
	for (size_t i = 0; i < 2; i++)
		cr_assert_eq(mh_store_section_save(st, &s[i], &err), MH_OK, "%s", mh_buf_cstr(&err));
	sec_news = s[1].id;
}

/* Sets [purge] key as a line of site.ini would: checked, and freed by
 * mh_config_free. */
static void set_purge(const char *key, const char *value)
{
	struct mh_settings_slot slots[MH_CONFIG_SLOTS];
	size_t n = mh_config_slots(&cfg, slots);
	cr_assert(mh_settings_apply(slots, n, "test", "purge", key, value, &err), "%s", mh_buf_cstr(&err));
}

static void teardown(void)
{
	mh_store_close(st);
	mh_config_free(&cfg);
	mh_arena_free(ar);
	mh_buf_free(&err);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(jobs, .init = setup, .fini = teardown, .timeout = 60);

/* A new article saved the one way (so its publishing job is queued). */
static int64_t add_article(const char *slug, enum mh_article_status status, int64_t published_at)
{
	struct mh_article a = {
		.slug = slug, .headline = slug, .body_md = "Body.", .section_id = sec_news, .status = status,
		.published_at = published_at,
	};
	cr_assert_eq(mh_content_prepare_article(ar, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_content_article_commit(st, ar, NULL, &a, &err), 0, "%s", mh_buf_cstr(&err));
	return a.id;
}

static struct mh_job *job_by_id(int64_t id)
{
	struct mh_job *jobs = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_jobs(st, ar, -1, 10000, &jobs, &n), MH_OK);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].id == id)
			return &jobs[i];
	return NULL;
}

/* The newest job of a kind (NULL if none). */
static struct mh_job *newest(const char *kind)
{
	struct mh_job *jobs = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_jobs(st, ar, -1, 10000, &jobs, &n), MH_OK);
	for (size_t i = 0; i < n; i++)
		if (strcmp(jobs[i].kind, kind) == 0)
			return &jobs[i];
	return NULL;
}

static size_t count_jobs(const char *kind, int state)
{
	struct mh_job *jobs = NULL;
	size_t n = 0, c = 0;
	cr_assert_eq(mh_store_jobs(st, ar, state, 10000, &jobs, &n), MH_OK);
	for (size_t i = 0; i < n; i++)
		c += strcmp(jobs[i].kind, kind) == 0;
	return c;
}

/* Runs every job due at now; returns how many ran. */
static int run_all(int64_t now)
{
	int ran = 0;
	enum mh_store_rc rc;
	while ((rc = mh_jobs_run_one(st, &cfg.purge, NULL, OWNER, 60, now, NULL)) == MH_OK)
		ran++;
	cr_assert_eq(rc, MH_NOT_FOUND);
	return ran;
}

static bool has_key(const char *keys, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = keys; (p = strstr(p, key)) != NULL; p++)
		if ((p == keys || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

Test(jobs, backoff_doubles_from_ten_seconds_up_to_an_hour)
{
	cr_assert_eq(mh_jobs_backoff(1), 10);
	cr_assert_eq(mh_jobs_backoff(2), 20);
	cr_assert_eq(mh_jobs_backoff(3), 40);
	cr_assert_eq(mh_jobs_backoff(4), 80);
	cr_assert_eq(mh_jobs_backoff(9), 2560);
	cr_assert_eq(mh_jobs_backoff(10), 3600);
	cr_assert_eq(mh_jobs_backoff(1000), 3600);
	cr_assert_eq(mh_jobs_backoff(0), 10);
}

Test(jobs, node_ids_are_host_pid_random_and_differ)
{
	char a[128], b[128];
	mh_jobs_make_node_id(a, sizeof(a));
	mh_jobs_make_node_id(b, sizeof(b));
	cr_assert_str_neq(a, b);
	char pid[32];
	snprintf(pid, sizeof(pid), ":%ld:", (long)getpid());
	cr_assert_not_null(strstr(a, pid), "%s", a);
	const char *last = strrchr(a, ':');
	cr_assert_eq(strlen(last + 1), 8, "%s", a);
	for (const char *p = a; *p; p++)
		cr_assert(*p > 0x20 && *p < 0x7f, "%s", a);
}

Test(jobs, a_due_scheduled_article_is_published_once_with_its_change_keys)
{
	int64_t now = mh_time_now();
	int64_t id = add_article("due-soon", MH_ARTICLE_SCHEDULED, now + 30);
	struct mh_job *pub = newest("publish");
	cr_assert_not_null(pub);
	cr_assert_eq(pub->run_at, now + 30);
	char want_payload[32];
	snprintf(want_payload, sizeof(want_payload), "%lld", (long long)id);
	cr_assert_str_eq(pub->payload, want_payload);
	run_all(now); /* the article's own purge job, nothing else */
	struct mh_article *a = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &a), MH_OK);
	cr_assert_eq(a->status, MH_ARTICLE_SCHEDULED, "not due yet");
	int64_t last_change = 0;
	cr_assert_eq(mh_store_change_last(st, &last_change), MH_OK);

	cr_assert_eq(run_all(now + 31), 2, "the publish job, then the purge it queued");
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &a), MH_OK);
	cr_assert_eq(a->status, MH_ARTICLE_PUBLISHED);
	cr_assert_eq(a->published_at, now + 30, "published at its scheduled time");
	cr_assert_eq(job_by_id(pub->id)->state, MH_JOB_DONE);
	/* one change-log entry naming its pages, and a purge of the same keys */
	struct mh_change *ch = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_changes_since(st, ar, last_change, 100, &ch, &n), MH_OK);
	cr_assert_eq(n, 1);
	char key[48];
	snprintf(key, sizeof(key), "article:%lld", (long long)id);
	cr_assert(has_key(ch[0].keys, key), "%s", ch[0].keys);
	cr_assert(has_key(ch[0].keys, "home"), "%s", ch[0].keys);
	snprintf(key, sizeof(key), "section:%lld", (long long)sec_news);
	cr_assert(has_key(ch[0].keys, key), "%s", ch[0].keys);
	struct mh_job *purge = newest("purge");
	cr_assert_str_eq(purge->payload, ch[0].keys);
	cr_assert_eq(purge->state, MH_JOB_DONE, "no [purge] target: done at once");
	/* running again changes nothing */
	cr_assert_eq(run_all(now + 3600), 0);
	cr_assert_eq(count_jobs("publish", MH_JOB_DONE), 1);
}

Test(jobs, a_job_for_an_article_no_longer_scheduled_just_ends)
{
	int64_t now = mh_time_now();
	int64_t id = add_article("withdrawn", MH_ARTICLE_SCHEDULED, now + 30);
	struct mh_article *before = NULL, *a = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &before), MH_OK);
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &a), MH_OK);
	a->status = MH_ARTICLE_DRAFT;
	cr_assert_eq(mh_content_article_commit(st, ar, before, a, &err), 0, "%s", mh_buf_cstr(&err));
	int64_t last_change = 0;
	cr_assert_eq(mh_store_change_last(st, &last_change), MH_OK);
	run_all(now + 31);
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &a), MH_OK);
	cr_assert_eq(a->status, MH_ARTICLE_DRAFT, "a draft stays a draft");
	cr_assert_eq(count_jobs("publish", MH_JOB_DONE), 1);
	int64_t after = 0;
	cr_assert_eq(mh_store_change_last(st, &after), MH_OK);
	cr_assert_eq(after, last_change, "nothing changed, nothing logged");
}

Test(jobs, a_time_moved_later_outside_the_commit_requeues_the_job)
{
	int64_t now = mh_time_now();
	int64_t id = add_article("moved", MH_ARTICLE_SCHEDULED, now + 30);
	struct mh_job *pub = newest("publish");
	struct mh_article *a = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &a), MH_OK);
	a->published_at = now + 5000; /* bypassing mh_content_article_commit */
	cr_assert_eq(mh_store_article_save(st, a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	run_all(now + 31);
	struct mh_job *j = job_by_id(pub->id);
	cr_assert_eq(j->state, MH_JOB_QUEUED);
	cr_assert_eq(j->run_at, now + 5000);
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &a), MH_OK);
	cr_assert_eq(a->status, MH_ARTICLE_SCHEDULED);
	run_all(now + 5001);
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &a), MH_OK);
	cr_assert_eq(a->status, MH_ARTICLE_PUBLISHED);
	cr_assert_eq(job_by_id(pub->id)->state, MH_JOB_DONE);
}

Test(jobs, an_unknown_kind_fails_with_backoff_and_is_parked_at_max_attempts)
{
	int64_t id = 0, now = mh_time_now();
	cr_assert_eq(mh_store_job_add(st, "teleport", MH_STR("x"), now, NULL, &id), MH_OK);
	int64_t t = now;
	for (int attempt = 1; attempt <= 8; attempt++) {
		int64_t ran = 0;
		cr_assert_eq(mh_jobs_run_one(st, &cfg.purge, NULL, OWNER, 60, t, &ran), MH_OK, "attempt %d", attempt);
		cr_assert_eq(ran, id);
		struct mh_job *j = job_by_id(id);
		cr_assert_eq(j->attempts, attempt);
		cr_assert_not_null(strstr(j->last_error, "unknown job kind 'teleport'"), "%s", j->last_error);
		if (attempt < 8) {
			cr_assert_eq(j->state, MH_JOB_QUEUED);
			int64_t wait = j->run_at - mh_time_now();
			cr_assert(wait >= mh_jobs_backoff(attempt) - 2 && wait <= mh_jobs_backoff(attempt),
				  "attempt %d: retry in %llds", attempt, (long long)wait);
			/* not before its time */
			cr_assert_eq(mh_jobs_run_one(st, &cfg.purge, NULL, OWNER, 60, j->run_at - 1, NULL), MH_NOT_FOUND);
			t = j->run_at;
		} else {
			cr_assert_eq(j->state, MH_JOB_PARKED);
		}
	}
	cr_assert_eq(mh_jobs_run_one(st, &cfg.purge, NULL, OWNER, 60, now + 100000, NULL), MH_NOT_FOUND, "parked stays");
	cr_assert_eq(mh_store_job_retry(st, id), MH_OK);
	cr_assert_eq(job_by_id(id)->state, MH_JOB_QUEUED);
}

/* A port nothing listens on. */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	return ntohs(sa.sin_port);
}

Test(jobs, a_purge_to_a_closed_port_fails_and_is_retried_with_backoff)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
	set_purge("varnish", url);
	int64_t id = 0, now = mh_time_now();
	cr_assert_eq(mh_store_job_add(st, "purge", MH_STR("home article:7"), now, NULL, &id), MH_OK);
	cr_assert_eq(mh_jobs_run_one(st, &cfg.purge, NULL, OWNER, 60, now, NULL), MH_OK);
	struct mh_job *j = job_by_id(id);
	cr_assert_eq(j->state, MH_JOB_QUEUED);
	cr_assert_eq(j->attempts, 1);
	cr_assert_not_null(strstr(j->last_error, url), "%s", j->last_error);
	int64_t first_retry = j->run_at;
	cr_assert(first_retry >= now + 10 && first_retry <= mh_time_now() + 10, "retry at +%lld",
		  (long long)(first_retry - now));
	cr_assert_eq(mh_jobs_run_one(st, &cfg.purge, NULL, OWNER, 60, first_retry, NULL), MH_OK);
	j = job_by_id(id);
	cr_assert_eq(j->attempts, 2);
	cr_assert(j->run_at >= mh_time_now() + 18 && j->run_at <= mh_time_now() + 20, "second backoff is 20s");
}

Test(jobs, a_purge_without_targets_ends_at_once)
{
	int64_t id = 0, now = mh_time_now();
	cr_assert_eq(mh_store_job_add(st, "purge", MH_STR("home"), now, NULL, &id), MH_OK);
	cr_assert_eq(mh_jobs_run_one(st, &cfg.purge, NULL, OWNER, 60, now, NULL), MH_OK);
	cr_assert_eq(job_by_id(id)->state, MH_JOB_DONE);
}

/* ---- a local listener: stands in for Varnish and a CDN's purge API ---- */
struct listener {
	int fd, port;
	int status; /* what it answers */
	int max;    /* requests to take */
	char requests[4][1024];
	int n;
	pthread_t thread;
};

static void *listen_main(void *arg)
{
	struct listener *l = arg;
	while (l->n < l->max) {
		int c = accept(l->fd, NULL, NULL);
		if (c < 0)
			break;
		char *buf = l->requests[l->n];
		size_t got = 0;
		while (got < 1023 && strstr(buf, "\r\n\r\n") == NULL) {
			ssize_t r = read(c, buf + got, 1023 - got);
			if (r <= 0)
				break;
			got += (size_t)r;
			buf[got] = '\0';
		}
		char resp[128];
		int len = snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
				   l->status);
		if (write(c, resp, (size_t)len) < 0)
			break;
		close(c);
		l->n++;
	}
	return NULL;
}

static void listener_start(struct listener *l, int status, int max)
{
	memset(l, 0, sizeof(*l));
	l->status = status;
	l->max = max;
	l->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(l->fd, 8), 0);
	socklen_t len = sizeof(sa);
	getsockname(l->fd, (struct sockaddr *)&sa, &len);
	l->port = ntohs(sa.sin_port);
	cr_assert_eq(pthread_create(&l->thread, NULL, listen_main, l), 0);
}

static void listener_stop(struct listener *l)
{
	shutdown(l->fd, SHUT_RDWR);
	pthread_join(l->thread, NULL);
	close(l->fd);
}

Test(jobs, varnish_gets_one_ban_carrying_every_key)
{
	struct listener l;
	listener_start(&l, 200, 1);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", l.port);
	set_purge("varnish", url);
	cr_assert_eq(mh_jobs_purge_send(&cfg.purge, MH_STR("home  article:7 section:2 home"), &err), MH_JOBS_DONE, "%s",
		     mh_buf_cstr(&err));
	listener_stop(&l);
	cr_assert_eq(l.n, 1);
	cr_assert(strncmp(l.requests[0], "BAN / HTTP/1.1\r\n", 16) == 0, "%s", l.requests[0]);
	cr_assert_not_null(strstr(l.requests[0], "\r\nX-Purge-Keys: home article:7 section:2\r\n"), "%s",
			   l.requests[0]);
}

Test(jobs, a_cdn_template_gets_one_request_per_key_escaped_with_method_and_header)
{
	struct listener l;
	listener_start(&l, 204, 2);
	char url[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/purge?key={key}&again={key}", l.port);
	set_purge("url_template", url);
	set_purge("method", "PURGE");
	set_purge("header", "Authorization: Bearer t0k");
	cr_assert_eq(mh_jobs_purge_send(&cfg.purge, MH_STR("home article:7 home"), &err), MH_JOBS_DONE, "%s",
		     mh_buf_cstr(&err));
	listener_stop(&l);
	cr_assert_eq(l.n, 2, "each key once");
	cr_assert(strncmp(l.requests[0], "PURGE /purge?key=home&again=home HTTP/1.1\r\n", 43) == 0, "%s",
		  l.requests[0]);
	cr_assert(strncmp(l.requests[1], "PURGE /purge?key=article%3A7&again=article%3A7 HTTP/1.1\r\n", 57) == 0,
		  "%s", l.requests[1]);
	cr_assert_not_null(strstr(l.requests[1], "\r\nAuthorization: Bearer t0k\r\n"), "%s", l.requests[1]);
	cr_assert_null(strstr(l.requests[1], "X-Purge-Keys"), "the keys header is Varnish's");
}

Test(jobs, a_target_answering_an_error_fails_the_purge_naming_it)
{
	struct listener l;
	listener_start(&l, 503, 1);
	char url[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/p/{key}", l.port);
	set_purge("url_template", url);
	cr_assert_eq(mh_jobs_purge_send(&cfg.purge, MH_STR("home article:7"), &err), MH_JOBS_FAILED);
	listener_stop(&l);
	cr_assert_eq(l.n, 1, "the rest wait for the retry");
	cr_assert(strncmp(l.requests[0], "POST /p/home HTTP/1.1\r\n", 23) == 0, "%s", l.requests[0]);
	cr_assert_not_null(strstr(mh_buf_cstr(&err), "answered HTTP 503"), "%s", mh_buf_cstr(&err));
	cr_assert_not_null(strstr(mh_buf_cstr(&err), "/p/home"), "%s", mh_buf_cstr(&err));
	mh_buf_reset(&err);
	cr_assert_eq(mh_jobs_purge_send(&cfg.purge, MH_STR("bad\nkey"), &err), MH_JOBS_FAILED);
	cr_assert_not_null(strstr(mh_buf_cstr(&err), "payload"), "%s", mh_buf_cstr(&err));
}

Test(jobs, the_sweep_queues_publishing_for_scheduled_articles_lacking_it)
{
	int64_t now = mh_time_now();
	add_article("has-job", MH_ARTICLE_SCHEDULED, now + 100);
	/* written past the queue, as an old demo did */
	struct mh_article a = {
		.slug = "no-job", .headline = "No job", .body_md = "b", .section_id = sec_news,
		.status = MH_ARTICLE_SCHEDULED, .published_at = now + 200,
	};
	cr_assert_eq(mh_content_prepare_article(ar, &a, &err), MH_OK);
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK);
	add_article("plain", MH_ARTICLE_PUBLISHED, now - 10);
	cr_assert_eq(count_jobs("publish", -1), 1);
	int added = -1;
	cr_assert_eq(mh_jobs_sweep_scheduled(st, &added), MH_OK);
	cr_assert_eq(added, 1);
	struct mh_job *j = newest("publish");
	char payload[32];
	snprintf(payload, sizeof(payload), "%lld", (long long)a.id);
	cr_assert_str_eq(j->payload, payload);
	cr_assert_eq(j->run_at, now + 200);
	cr_assert_eq(mh_jobs_sweep_scheduled(st, &added), MH_OK);
	cr_assert_eq(added, 0, "idempotent");
	cr_assert_eq(count_jobs("publish", -1), 2);
}

/* More scheduled articles than one sweep batch (200), many at the same
 * time (ties on published_at), among published and draft ones: the keyset
 * walk must give every scheduled one exactly one job and skip the rest. */
Test(jobs, the_sweep_walks_every_scheduled_article_in_batches_without_repeats)
{
	int64_t now = mh_time_now();
	enum { N = 450 };
	int64_t ids[N];
	cr_assert_eq(mh_store_begin(st), MH_OK);
	for (int i = 0; i < N + 100; i++) {
		char slug[32];
		snprintf(slug, sizeof(slug), "a-%d", i);
		bool sched = i < N;
		struct mh_article a = {
			.slug = slug, .headline = slug, .body_md = "b", .section_id = sec_news,
			.status = sched ? MH_ARTICLE_SCHEDULED : (i % 2 ? MH_ARTICLE_PUBLISHED : MH_ARTICLE_DRAFT),
			/* groups of 7 share a time: ties cross batch edges */
			.published_at = sched ? now + 100 + i / 7 : now - 1000 - i,
		};
		cr_assert_eq(mh_content_prepare_article(ar, &a, &err), MH_OK);
		cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
		if (sched)
			ids[i] = a.id;
	}
	cr_assert_eq(mh_store_commit(st), MH_OK);
	/* one of them already has its job: the sweep leaves it alone */
	char dedupe[48], payload[32];
	snprintf(payload, sizeof(payload), "%lld", (long long)ids[3]);
	snprintf(dedupe, sizeof(dedupe), "publish:%s", payload);
	cr_assert_eq(mh_store_job_add(st, "publish", mh_str_c(payload), now + 100, dedupe, NULL), MH_OK);
	int added = -1;
	cr_assert_eq(mh_jobs_sweep_scheduled(st, &added), MH_OK);
	cr_assert_eq(added, N - 1);
	cr_assert_eq(count_jobs("publish", MH_JOB_QUEUED), N);
	struct mh_job *jobs = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_jobs(st, ar, MH_JOB_QUEUED, 10000, &jobs, &n), MH_OK);
	for (int i = 0; i < N; i++) {
		snprintf(payload, sizeof(payload), "%lld", (long long)ids[i]);
		int found = 0;
		for (size_t k = 0; k < n; k++)
			found += strcmp(jobs[k].payload, payload) == 0;
		cr_assert_eq(found, 1, "article %d (id %s) has %d jobs", i, payload, found);
	}
	cr_assert_eq(mh_jobs_sweep_scheduled(st, &added), MH_OK);
	cr_assert_eq(added, 0, "idempotent");
}

Test(jobs, a_running_runner_publishes_on_time_and_stops)
{
	int64_t now = mh_time_now();
	int64_t id = add_article("on-time", MH_ARTICLE_SCHEDULED, now + 1);
	cfg.jobs.workers = 2;
	struct mh_jobs *j = mh_jobs_start(&cfg.jobs, &cfg.purge, cfg.store.url, cfg.dir, NULL, &err);
	cr_assert_not_null(j, "%s", mh_buf_cstr(&err));
	struct mh_article *a = NULL;
	int64_t start = mh_time_now_us();
	do {
		usleep(50 * 1000);
		cr_assert_eq(mh_store_article_by_id(st, ar, id, &a), MH_OK);
	} while (a->status != MH_ARTICLE_PUBLISHED && mh_time_now_us() - start < 5000000);
	cr_assert_eq(a->status, MH_ARTICLE_PUBLISHED, "not published within 5 s");
	cr_assert_geq(mh_time_now(), now + 1, "not before its time");
	mh_jobs_stop(j);
	cr_assert_eq(count_jobs("publish", MH_JOB_DONE), 1);
	/* no workers: a runner that does nothing */
	cfg.jobs.workers = 0;
	j = mh_jobs_start(&cfg.jobs, &cfg.purge, cfg.store.url, cfg.dir, NULL, &err);
	cr_assert_not_null(j);
	mh_jobs_stop(j);
}
