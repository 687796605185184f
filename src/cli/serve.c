/*
 * masthead serve: the web server for one site folder.
 */
#include <getopt.h>
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
		   "finish, then exit 0.\n");
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

	struct mh_site_options so = {
		.settings = &cfg.site,
		.cache = &cfg.cache,
		.database = cfg.store.url,
		.dir = cfg.dir,
		.themes_dir = mh_site_default_themes_dir(),
		.threads = threads,
		.dev = dev,
	};
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
	mh_http_wait(srv);
	mh_log(MH_LOG_INFO, "stopped");
	rc = 0;
out:
	/* the current job finishes first; its lease would hand it over anyway */
	mh_jobs_stop(jobs);
	mh_site_watch_stop(watch);
	if (srv != NULL)
		mh_http_free(srv);
	mh_site_free(site);
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	return rc;
}
