/*
 * masthead serve: the web server for one site folder.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "http/http.h"
#include "jobs/jobs.h"
#include "site/site.h"

static void serve_usage(FILE *f)
{
	fprintf(f, "usage: masthead serve [--site DIR] [--listen ADDR:PORT] [--threads N] [--dev]\n\n"
		   "Serves the site in DIR (default: the current folder) over HTTP.\n"
		   "  --site DIR          the site folder (holds site.ini)\n"
		   "  --listen ADDR:PORT  address to listen on (default: [server] listen in site.ini)\n"
		   "  --threads N         worker threads (default: [server] threads, 0 = one per core)\n"
		   "  --dev               reload changed templates on the next request (one thread)\n"
		   "Also runs background jobs ([jobs] workers threads): scheduled publishing and\n"
		   "purges of the caches in front ([purge] in site.ini).\n"
		   "Stops gracefully on SIGTERM or SIGINT: in-flight requests and the running job\n"
		   "finish, then exit 0. SIGHUP reads site.ini and the theme again without dropping\n"
		   "a connection ([site] texts, [cache] max-age, [server] log_format and\n"
		   "metrics_allow; other changes are logged as needing a restart). A site.ini\n"
		   "that does not load is logged and the running settings stay.\n");
}

/* ---- SIGHUP: settings and theme, live ----
 * SIGHUP is blocked in every thread (the mask is set before the first one
 * starts) and taken by one thread of ours with sigwait, so the reload runs
 * as ordinary code, never in a signal handler. */
struct reloader {
	pthread_t thread;
	atomic_bool stop;
	struct mh_site *site;
	const char *dir;
	const struct mh_config *running; /* what the server started with */
};

static bool differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* Logs each setting whose change only a restart applies. (The time zone is
 * not one: the site switches it on a reload, the admin's over site.ini's.) */
static void warn_restart_only(const struct mh_config *o, const struct mh_config *n)
{
	const char *changed[24];
	int k = 0;
#define STR(field, name) if (differs(o->field, n->field)) changed[k++] = name
#define NUM(field, name) if (o->field != n->field) changed[k++] = name
	STR(store.url, "[database] url");
	STR(server.listen, "[server] listen");
	NUM(server.threads, "[server] threads");
	NUM(server.http2, "[server] http2");
	STR(server.tls_cert, "[server] tls_cert");
	STR(server.tls_key, "[server] tls_key");
	NUM(server.max_connections, "[server] max_connections");
	NUM(server.max_body_bytes, "[server] max_body");
	NUM(server.max_header_bytes, "[server] max_header_bytes");
	NUM(server.header_timeout_s, "[server] header_timeout");
	NUM(server.idle_timeout_s, "[server] idle_timeout");
	NUM(server.access_log, "[server] access_log");
	NUM(cache.enabled, "[cache] enabled");
	NUM(cache.max_bytes, "[cache] max_bytes");
	NUM(jobs.workers, "[jobs] workers");
	NUM(jobs.lease_s, "[jobs] lease");
	STR(purge.varnish, "[purge] varnish");
	STR(purge.url_template, "[purge] url_template");
	STR(purge.method, "[purge] method");
	STR(purge.header, "[purge] header");
	NUM(purge.timeout_s, "[purge] timeout");
	STR(site.theme_dir, "[theme] dir");
#undef STR
#undef NUM
	for (int i = 0; i < k; i++)
		mh_log(MH_LOG_WARN, "reload: %s changed: it takes effect after a restart", changed[i]);
}

static void free_config(void *c)
{
	mh_config_free(c);
	free(c);
}

static void reload(struct reloader *r)
{
	struct mh_config *nc = calloc(1, sizeof(*nc));
	MH_ASSERT(nc != NULL);
	struct mh_buf err = MH_BUF_INIT;
	if (!mh_config_load(nc, r->dir, &err)) {
		mh_log(MH_LOG_ERROR, "reload: %s; the running settings stay", mh_buf_cstr(&err));
		goto fail;
	}
	struct mh_site_reload n = {
		.settings = &nc->site,
		.server = &nc->server,
		.cache = &nc->cache,
		.owner = nc,
		.owner_free = free_config,
	};
	if (!mh_site_reload(r->site, &n, &err)) {
		mh_log(MH_LOG_ERROR, "reload: theme: %s; the running settings and theme stay", mh_buf_cstr(&err));
		goto fail;
	}
	/* nc belongs to the site now */
	warn_restart_only(r->running, nc);
	mh_log_set_format((enum mh_log_format)nc->server.log_format);
	mh_log(MH_LOG_INFO, "reload: site.ini and theme read again");
	mh_buf_free(&err);
	return;
fail:
	mh_config_free(nc);
	free(nc);
	mh_buf_free(&err);
}

static void *reloader_main(void *arg)
{
	struct reloader *r = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (atomic_load(&r->stop))
			break;
		reload(r);
	}
	return NULL;
}

int mh_cli_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },  { "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' }, { "dev", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },        { 0 },
	};
	const char *dir = ".", *listen = NULL;
	int threads = -1;
	bool dev = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 't': {
			int64_t n;
			if (!mh_str_to_i64(mh_str_c(optarg), &n) || n < 0 || n > 256) {
				fprintf(stderr, "masthead serve: --threads: expected a number from 0 to 256, got '%s'\n",
					optarg);
				return 2;
			}
			threads = (int)n;
			break;
		}
		case 'd':
			dev = true;
			break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead serve: unknown or incomplete option '%s'\n", argv[optind - 1]);
			serve_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "masthead serve: unexpected argument '%s' (the site folder goes after --site)\n",
			argv[optind]);
		return 2;
	}

	/* before any thread exists, so that every thread inherits it: SIGHUP
	 * is taken by the reloader alone */
	sigset_t hup;
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, NULL);

	struct mh_config cfg;
	struct mh_store *store = NULL;
	struct mh_buf err = MH_BUF_INIT;
	if (mh_cli_site_open(dir, &cfg, &store, &err) != 0) {
		fprintf(stderr, "masthead serve: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return 1;
	}
	int rc = 1;
	struct mh_site *site = NULL;
	struct mh_http_server *srv = NULL;
	struct mh_site_watch *watch = NULL;
	struct mh_jobs *jobs = NULL;
	struct mh_views *views = NULL;
	struct mh_trending *trending = NULL;
	struct reloader rl = { .dir = dir, .running = &cfg };
	bool rl_started = false;
	mh_log_set_format((enum mh_log_format)cfg.server.log_format);
	if (!mh_time_set_zone(cfg.site.timezone)) {
		fprintf(stderr, "masthead serve: %s: [site] timezone: unknown time zone '%s'\n", cfg.path,
			cfg.site.timezone);
		goto out;
	}
	if (threads < 0)
		threads = cfg.server.threads;
	if (threads == 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	if (dev)
		threads = 1;

	/* reads counted by beacons, flushed every [views] flush_interval */
	if (cfg.views.enabled) {
		views = mh_views_start(&cfg.views, threads, cfg.store.url, cfg.dir, &err);
		if (views == NULL) {
			fprintf(stderr, "masthead serve: %s\n", mh_buf_cstr(&err));
			goto out;
		}
	}
	/* Trending: this node's lists, recomputed every [trending] interval */
	trending = mh_trending_start(&cfg.trending, cfg.store.url, cfg.dir, &err);
	if (trending == NULL) {
		fprintf(stderr, "masthead serve: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	struct mh_site_options so = {
		.settings = &cfg.site,
		.server = &cfg.server,
		.cache = &cfg.cache,
		.auth = &cfg.auth,
		.media = &cfg.media,
		.database = cfg.store.url,
		.dir = cfg.dir,
		.themes_dir = mh_site_default_themes_dir(),
		.threads = threads,
		.dev = dev,
		.views = views,
		.views_settings = &cfg.views,
		.feeds = &cfg.feeds,
		.trending = trending,
		.trending_settings = &cfg.trending,
		.comments_settings = &cfg.comments,
		.ads = &cfg.ads,
		.donations = &cfg.donations,
	};
	/* the engine refuses a body over max_body before any handler sees it,
	 * with a bare 413 that cannot name the media limit */
	if (cfg.server.max_body_bytes < cfg.media.max_upload + 64 * 1024)
		mh_log(MH_LOG_WARN,
		       "[server] max_body (%zu bytes) is below [media] max_upload (%zu bytes): uploads are "
		       "limited to max_body; raise max_body above max_upload (plus 64k for the form) to take them",
		       cfg.server.max_body_bytes, cfg.media.max_upload);
	site = mh_site_new(&so, &err);
	if (site == NULL) {
		fprintf(stderr, "masthead serve: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	/* other processes (masthead article ..., other nodes) change content:
	 * follow their change log so no page stays stale */
	watch = mh_site_watch_start(site, 250, &err);
	if (watch == NULL) {
		fprintf(stderr, "masthead serve: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	/* mail (newsletter, confirmations, resets): before the jobs that send it */
	if (mh_cli_mail_setup(&cfg, &err) != 0) {
		fprintf(stderr, "masthead serve: mail theme: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	/* the digest ([newsletter] digest): one job, whichever node queues it */
	if (cfg.newsletter.digest != MH_DIGEST_OFF &&
	    mh_store_job_add(store, "newsletter_digest", MH_STR(""),
			     mh_newsletter_next_digest(cfg.newsletter.digest, mh_time_now()), "newsletter_digest",
			     NULL) != MH_OK)
		mh_log(MH_LOG_WARN, "newsletter: cannot queue the digest (the database did not answer)");
	/* background work (scheduled publishing, purges) shared with every
	 * other node through the database's job queue */
	jobs = mh_jobs_start(&cfg.jobs, &cfg.purge, cfg.store.url, cfg.dir, mh_site_cache(site), &err);
	if (jobs == NULL) {
		fprintf(stderr, "masthead serve: job runner: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	struct mh_http_config hc = {
		.listen = listen != NULL ? listen : cfg.server.listen,
		.threads = threads,
		.http2 = cfg.server.http2,
		.tls_cert = cfg.server.tls_cert != NULL && cfg.server.tls_cert[0] != '\0' ? cfg.server.tls_cert : NULL,
		.tls_key = cfg.server.tls_key != NULL && cfg.server.tls_key[0] != '\0' ? cfg.server.tls_key : NULL,
		.max_connections = cfg.server.max_connections,
		.max_body_bytes = cfg.server.max_body_bytes,
		.max_header_bytes = cfg.server.max_header_bytes,
		.header_timeout_s = cfg.server.header_timeout_s,
		.idle_timeout_s = cfg.server.idle_timeout_s,
		.access_log = cfg.server.access_log,
		.handler = mh_site_handle,
		.thread_hook = mh_site_thread,
		.on_response = mh_site_on_response,
		.ctx = site,
	};
	srv = mh_http_start(&hc, &err);
	if (srv == NULL) {
		fprintf(stderr, "masthead serve: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	const char *addr = hc.listen;
	const char *colon = strrchr(addr, ':');
	int hostlen = colon != NULL ? (int)(colon - addr) : (int)strlen(addr);
	printf("masthead %s serving %s://%.*s:%d/\n  site:    %s\n  threads: %d%s\n", MH_VERSION,
	       hc.tls_cert != NULL ? "https" : "http", hostlen == 0 ? 9 : hostlen, hostlen == 0 ? "localhost" : addr,
	       mh_http_port(srv), cfg.dir, threads, dev ? " (--dev: templates reload when changed)" : "");
	fflush(stdout);
	rl.site = site;
	if (pthread_create(&rl.thread, NULL, reloader_main, &rl) == 0)
		rl_started = true;
	else
		mh_log(MH_LOG_WARN, "cannot start the SIGHUP thread: settings reload only with a restart");
	mh_http_wait(srv);
	mh_log(MH_LOG_INFO, "stopped");
	rc = 0;
out:
	if (rl_started) {
		atomic_store(&rl.stop, true);
		pthread_kill(rl.thread, SIGHUP);
		pthread_join(rl.thread, NULL);
	}
	/* the current job finishes first; its lease would hand it over anyway */
	mh_jobs_stop(jobs);
	mh_site_watch_stop(watch);
	if (srv != NULL)
		mh_http_free(srv);
	/* after the workers have stopped: the last flush holds every read */
	mh_views_stop(views);
	/* before the site it tells of changes */
	mh_trending_stop(trending);
	mh_site_free(site);
	mh_cli_mail_teardown();
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	return rc;
}
