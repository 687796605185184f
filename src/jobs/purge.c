/*
 * Purges: the "purge" job, payload the space-separated cache keys one
 * committed change made stale (queued by mh_content_article_commit in the
 * same transaction). The caches in front of the nodes are told to drop
 * every page tagged with any of them (the Surrogate-Key header site/ sends):
 *
 *   [purge] varnish = URL ...     one BAN request per URL, the keys in the
 *                                 X-Purge-Keys header (contrib/varnish/
 *                                 masthead.vcl turns it into a ban);
 *   [purge] url_template = URL    a CDN's purge API: one request per key,
 *                                 {key} replaced by the URL-escaped key,
 *                                 with [purge] method and [purge] header.
 *
 * Any answer but 2xx, or no answer within [purge] timeout, fails the job:
 * the runner retries it with backoff and parks it in the end. Purging is
 * idempotent, so a retry sends every request again.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "jobs/jobs.h"

/* The header carrying the keys of a BAN (the VCL reads this name). */
#define KEYS_HEADER "X-Purge-Keys"
/* Every node drops a changed page from its own cache within a change-log
 * poll (250 ms, site/changes.c). A purge sent sooner could let the cache in
 * front fetch the old page again from a node that has not dropped it yet,
 * and keep it for s-maxage: so a fresh purge waits this long first. */
#define SETTLE_MS 400

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	/* not thread-safe in older libcurl: once, before any handle */
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *user)
{
	(void)ptr;
	(void)user;
	return size * nmemb;
}

/* One purge request; false with "what: problem" appended to err. */
static bool send_one(const struct mh_purge_settings *cfg, const char *method, const char *url, const char *keys_header,
		     const char *what, struct mh_buf *err)
{
	CURL *h = curl_easy_init();
	if (h == NULL) {
		mh_buf_printf(err, "%s: cannot make an HTTP request (out of memory)", what);
		return false;
	}
	char curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	if (keys_header != NULL)
		headers = curl_slist_append(headers, keys_header);
	if (cfg->header[0] != '\0')
		headers = curl_slist_append(headers, cfg->header);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)cfg->timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)cfg->timeout_s);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "masthead/" MH_VERSION " purge");
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		/* an empty body, announced as such (some APIs want a length) */
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	CURLcode cc = curl_easy_perform(h);
	long status = 0;
	bool ok = false;
	if (cc != CURLE_OK) {
		mh_buf_printf(err, "%s: %s", what, curl_err[0] != '\0' ? curl_err : curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		ok = status >= 200 && status < 300;
		if (!ok)
			mh_buf_printf(err, "%s: answered HTTP %ld", what, status);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	return ok;
}

/* True if keys are printable words (they go into a header and URLs). */
static bool keys_ok(struct mh_str keys)
{
	for (size_t i = 0; i < keys.len; i++)
		if ((unsigned char)keys.ptr[i] < 0x20 || (unsigned char)keys.ptr[i] > 0x7e)
			return false;
	return true;
}

static struct mh_str next_word(struct mh_str s, size_t *pos)
{
	while (*pos < s.len && s.ptr[*pos] == ' ')
		(*pos)++;
	size_t start = *pos;
	while (*pos < s.len && s.ptr[*pos] != ' ')
		(*pos)++;
	return (struct mh_str){ s.ptr + start, *pos - start };
}

static bool has_word(struct mh_str list, struct mh_str w)
{
	size_t pos = 0;
	for (struct mh_str k = next_word(list, &pos); k.len > 0; k = next_word(list, &pos))
		if (mh_str_eq(k, w))
			return true;
	return false;
}

enum mh_jobs_result mh_jobs_purge_send(const struct mh_purge_settings *cfg, struct mh_str keys, struct mh_buf *err)
{
	if (!keys_ok(keys)) {
		mh_buf_append_c(err, "payload: cache keys must be printable ASCII");
		return MH_JOBS_FAILED;
	}
	pthread_once(&curl_once, curl_init_once);
	bool ok = true;
	struct mh_buf url = MH_BUF_INIT, header = MH_BUF_INIT, what = MH_BUF_INIT;
	/* the keys, each once (a change may name a list twice: before and
	 * after), one space apart: the BAN's header, and what the CDN loop
	 * walks */
	struct mh_buf unique = MH_BUF_INIT;
	size_t pos = 0;
	for (struct mh_str k = next_word(keys, &pos); k.len > 0; k = next_word(keys, &pos))
		if (!has_word(mh_buf_str(&unique), k)) {
			if (unique.len > 0)
				mh_buf_append_ch(&unique, ' ');
			mh_buf_append_str(&unique, k);
		}
	keys = mh_buf_str(&unique);
	if (keys.len == 0)
		goto out; /* nothing to purge */
	mh_buf_append_c(&header, KEYS_HEADER ": ");
	mh_buf_append_str(&header, keys);
	struct mh_str targets = mh_str_c(cfg->varnish);
	pos = 0;
	for (struct mh_str t = next_word(targets, &pos); t.len > 0; t = next_word(targets, &pos)) {
		mh_buf_reset(&url);
		mh_buf_append_str(&url, t);
		mh_buf_reset(&what);
		mh_buf_append_c(&what, "varnish ");
		mh_buf_append_str(&what, t);
		/* every target is tried, so one down does not hold the others back */
		if (!send_one(cfg, "BAN", mh_buf_cstr(&url), mh_buf_cstr(&header), mh_buf_cstr(&what),
			      err)) {
			ok = false;
			mh_buf_append_c(err, "; ");
		}
	}
	const char *tpl = cfg->url_template;
	pos = 0;
	for (struct mh_str k = next_word(keys, &pos); tpl[0] != '\0' && k.len > 0; k = next_word(keys, &pos)) {
		mh_buf_reset(&url);
		for (const char *p = tpl; *p != '\0';) {
			if (strncmp(p, "{key}", 5) == 0) {
				mh_escape_url(&url, k);
				p += 5;
			} else {
				mh_buf_append_ch(&url, *p++);
			}
		}
		mh_buf_reset(&what);
		mh_buf_printf(&what, "%s %s", cfg->method, mh_buf_cstr(&url));
		if (!send_one(cfg, cfg->method, mh_buf_cstr(&url), NULL, mh_buf_cstr(&what), err)) {
			ok = false;
			mh_buf_append_c(err, "; ");
			break; /* the rest go out with the retry */
		}
	}
	if (!ok && err->len >= 2)
		err->len -= 2; /* the last "; " */
out:
	mh_buf_free(&unique);
	mh_buf_free(&url);
	mh_buf_free(&header);
	mh_buf_free(&what);
	return ok ? MH_JOBS_DONE : MH_JOBS_FAILED;
}

enum mh_jobs_result mh_jobs_purge(const struct mh_jobs_env *env, const struct mh_job *job, struct mh_buf *err)
{
	const struct mh_purge_settings *cfg = env->purge;
	/* Queued for every change, purged only where targets are set: see
	 * content/changes.c for why. */
	if (cfg->varnish[0] == '\0' && cfg->url_template[0] == '\0')
		return MH_JOBS_DONE;
	struct mh_str keys = mh_str_c(job->payload);
	/* this node's own cache first: it answers the refetch if it is ours */
	if (env->cache != NULL) {
		size_t pos = 0;
		for (struct mh_str k = next_word(keys, &pos); k.len > 0; k = next_word(keys, &pos))
			mh_cache_invalidate(env->cache, k);
	}
	if (job->attempts == 1 && job->created_at >= mh_time_now() - 1) {
		struct timespec ts = { SETTLE_MS / 1000, (long)(SETTLE_MS % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	return mh_jobs_purge_send(cfg, keys, err);
}
