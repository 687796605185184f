/*
 * donations/client.c: the one HTTP client of the providers, libcurl's easy
 * interface: a bounded time for the whole call (connect included), no
 * redirects followed, the answer kept whole up to 1 MB.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

#include "donations/donations.h"

#define MAX_ANSWER (1u << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct mh_buf *b = ctx;
	if (b->len + size * n > MAX_ANSWER)
		return 0; /* stops the transfer: an answer this large is no API's */
	mh_buf_append(b, p, size * n);
	return size * n;
}

void mh_donation_form_add(struct mh_buf *b, const char *name, const char *value)
{
	if (b->len > 0)
		mh_buf_append_ch(b, '&');
	mh_escape_url(b, mh_str_c(name));
	mh_buf_append_ch(b, '=');
	mh_escape_url(b, mh_str_c(value));
}

enum mh_donation_rc mh_donation_http(struct mh_arena *a, const struct mh_donation_http *q, long *status,
				     struct mh_str *body, struct mh_buf *why)
{
	pthread_once(&curl_once, curl_init);
	*status = 0;
	*body = MH_STR("");
	CURL *c = curl_easy_init();
	if (c == NULL) {
		mh_buf_append_c(why, "libcurl could not start a call");
		return MH_DONATION_UNAVAILABLE;
	}
	struct mh_buf answer = MH_BUF_INIT, h = MH_BUF_INIT;
	struct curl_slist *headers = NULL;
	headers = curl_slist_append(headers, "Accept: application/json");
	if (q->content_type != NULL) {
		mh_buf_printf(&h, "Content-Type: %s", q->content_type);
		headers = curl_slist_append(headers, mh_buf_cstr(&h));
	}
	if (q->bearer != NULL) {
		mh_buf_reset(&h);
		mh_buf_printf(&h, "Authorization: Bearer %s", q->bearer);
		headers = curl_slist_append(headers, mh_buf_cstr(&h));
	}
	if (q->idempotency != NULL && q->idempotency_header != NULL) {
		mh_buf_reset(&h);
		mh_buf_printf(&h, "%s: %s", q->idempotency_header, q->idempotency);
		headers = curl_slist_append(headers, mh_buf_cstr(&h));
	}
	curl_easy_setopt(c, CURLOPT_URL, q->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)q->timeout_s * 1000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)q->timeout_s * 1000L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Masthead/" MH_VERSION);
	if (q->user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, q->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, q->pass != NULL ? q->pass : "");
	}
	if (strcmp(q->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body.ptr != NULL ? q->body.ptr : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)q->body.len);
	}
	CURLcode cc = curl_easy_perform(c);
	enum mh_donation_rc rc = MH_DONATION_OK;
	if (cc != CURLE_OK) {
		mh_buf_printf(why, "%s", curl_easy_strerror(cc));
		rc = MH_DONATION_UNAVAILABLE;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		*body = mh_arena_str(a, mh_buf_str(&answer));
		if (*status >= 500 || *status < 200) {
			mh_buf_printf(why, "answered HTTP %ld", *status);
			rc = MH_DONATION_UNAVAILABLE;
		} else if (*status >= 300) {
			mh_buf_printf(why, "answered HTTP %ld", *status);
			rc = MH_DONATION_REFUSED;
		}
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	mh_buf_free(&answer);
	mh_buf_free(&h);
	return rc;
}
