/*
 * audience/newsletter.c: signed links, the mails of the newsletter, and
 * the sending loop the "newsletter" job runs.
 * At most once: a delivery is marked 'sending' (committed) before its SMTP
 * exchange and resolved after it. A sender killed in between leaves the
 * row 'sending'; when its lease ends the row becomes 'unknown' and is
 * never tried again, because the relay may already have taken it: a
 * reader may miss one issue, but never gets two.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "audience/newsletter.h"

static _Atomic(const struct mh_newsletter_env *) the_env;

void mh_newsletter_configure(const struct mh_newsletter_env *env)
{
	atomic_store(&the_env, env);
}

const struct mh_newsletter_env *mh_newsletter_env(void)
{
	return atomic_load(&the_env);
}

/* The key never changes once made: kept after the first read, so that a
 * page with the sign-up box costs no statement for it. */
static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static bool key_known;
static struct mh_auth_key key_kept;

enum mh_store_rc mh_newsletter_key(struct mh_store *s, struct mh_auth_key *out)
{
	pthread_mutex_lock(&key_mu);
	bool known = key_known;
	if (known)
		*out = key_kept;
	pthread_mutex_unlock(&key_mu);
	if (known)
		return MH_OK;
	struct mh_buf cand = MH_BUF_INIT, got = MH_BUF_INIT;
	mh_auth_key_generate_hex(&cand);
	enum mh_store_rc rc = mh_store_site_secret(s, "newsletter_key", mh_buf_cstr(&cand), &got);
	if (rc == MH_OK && !mh_auth_key_from_hex(mh_buf_str(&got), out))
		rc = MH_ERROR;
	if (rc == MH_OK) {
		pthread_mutex_lock(&key_mu);
		key_kept = *out;
		key_known = true;
		pthread_mutex_unlock(&key_mu);
	}
	mh_buf_free(&cand);
	mh_buf_free(&got);
	return rc;
}

/* ---- signed links ---- */

#define PURPOSE_CONFIRM "newsletter-confirm"
#define PURPOSE_UNSUBSCRIBE "newsletter-unsubscribe"
#define PURPOSE_FORM "newsletter-form"
/* An unsubscribe link does not expire (it is in every mail ever sent): its
 * signed expiry is this fixed time, 2100-01-01, so a subscriber's token is
 * the same in every mail. */
#define UNSUBSCRIBE_FOREVER 4102444800LL

void mh_newsletter_confirm_token(const struct mh_auth_key *k, struct mh_str email, int64_t expires, struct mh_buf *b)
{
	/* the address in base64url: it holds '.', which a signed value may not */
	size_t cap = sodium_base64_ENCODED_LEN(email.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *enc = malloc(cap);
	MH_ASSERT(enc != NULL);
	sodium_bin2base64(enc, cap, (const unsigned char *)email.ptr, email.len,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	mh_auth_sign(k, PURPOSE_CONFIRM, mh_str_c(enc), expires, b);
	free(enc);
}

enum mh_auth_signed mh_newsletter_confirm_check(const struct mh_auth_key *k, struct mh_arena *a, struct mh_str token,
						int64_t now, const char **email)
{
	*email = NULL;
	struct mh_str value;
	int64_t expires;
	if (token.len > 1024)
		return MH_SIGNED_BAD;
	enum mh_auth_signed v = mh_auth_verify(k, PURPOSE_CONFIRM, token, now, &value, &expires);
	if (v == MH_SIGNED_BAD)
		return v;
	unsigned char *bin = mh_arena_alloc(a, value.len + 1);
	size_t n = 0;
	if (sodium_base642bin(bin, value.len + 1, value.ptr, value.len, NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    !mh_mail_address_valid((struct mh_str){ (const char *)bin, n }))
		return MH_SIGNED_BAD;
	bin[n] = '\0';
	*email = (const char *)bin;
	return v;
}

void mh_newsletter_unsubscribe_token(const struct mh_auth_key *k, int64_t subscriber_id, struct mh_buf *b)
{
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)subscriber_id);
	mh_auth_sign(k, PURPOSE_UNSUBSCRIBE, mh_str_c(id), UNSUBSCRIBE_FOREVER, b);
}

bool mh_newsletter_unsubscribe_check(const struct mh_auth_key *k, struct mh_str token, int64_t *subscriber_id)
{
	struct mh_str value;
	int64_t expires, id;
	if (token.len > 512 || mh_auth_verify(k, PURPOSE_UNSUBSCRIBE, token, mh_time_now(), &value, &expires) !=
					       MH_SIGNED_OK)
		return false;
	if (!mh_str_to_i64(value, &id) || id <= 0)
		return false;
	*subscriber_id = id;
	return true;
}

void mh_newsletter_form_token(const struct mh_auth_key *k, int64_t now, struct mh_buf *b)
{
	char t[24];
	snprintf(t, sizeof(t), "%lld", (long long)now);
	/* expiry far off: the age is checked against the signed time */
	mh_auth_sign(k, PURPOSE_FORM, mh_str_c(t), UNSUBSCRIBE_FOREVER, b);
}

bool mh_newsletter_form_check(const struct mh_auth_key *k, struct mh_str token, int64_t now, int64_t max_age_s)
{
	struct mh_str value;
	int64_t expires, made;
	if (token.len > 256 || mh_auth_verify(k, PURPOSE_FORM, token, now, &value, &expires) != MH_SIGNED_OK)
		return false;
	return mh_str_to_i64(value, &made) && made <= now + 60 && now - made <= max_age_s;
}

/* ---- mail ---- */

static struct mh_val *site_val(struct mh_arena *a, const struct mh_newsletter_env *env)
{
	struct mh_val *site = mh_val_map(a);
	mh_val_set_cstr(a, site, "title", env->site_title);
	mh_val_set_cstr(a, site, "base_url", env->base_url);
	return site;
}

enum mh_mail_result mh_newsletter_send_confirmation(struct mh_store *s, struct mh_arena *a, struct mh_str email,
						    struct mh_buf *err)
{
	const struct mh_newsletter_env *env = mh_newsletter_env();
	if (env == NULL || env->mail_theme == NULL) {
		mh_buf_append_c(err, "the newsletter is not configured in this process");
		return MH_MAIL_REFUSED;
	}
	struct mh_auth_key k;
	if (mh_newsletter_key(s, &k) != MH_OK) {
		mh_buf_append_c(err, "the database did not answer");
		return MH_MAIL_TEMPORARY;
	}
	struct mh_buf tok = MH_BUF_INIT, text = MH_BUF_INIT, html = MH_BUF_INIT;
	mh_newsletter_confirm_token(&k, email, mh_time_now() + (int64_t)env->settings->confirm_hours * 3600, &tok);
	struct mh_val *ctx = mh_val_map(a);
	mh_val_set(a, ctx, "site", site_val(a, env));
	mh_val_set_cstr(a, ctx, "confirm_url",
			mh_arena_printf(a, "%s/newsletter/confirm?token=%s", env->base_url, mh_buf_cstr(&tok)));
	mh_val_set_int(a, ctx, "hours", env->settings->confirm_hours);
	enum mh_mail_result res = MH_MAIL_REFUSED;
	if (!mh_mail_render(env->mail_theme, "confirm", a, ctx, &text, &html)) {
		mh_buf_append_c(err, "the mail theme lacks confirm_text or confirm_html");
	} else {
		struct mh_mail m = {
			.to = mh_arena_strndup(a, email.ptr, email.len),
			.subject = mh_arena_printf(a, "Confirm your subscription to %s", env->site_title),
			.text = mh_buf_str(&text),
			.html = mh_buf_str(&html),
		};
		res = mh_mail_send(env->mail, &m, NULL, err);
	}
	mh_buf_free(&tok);
	mh_buf_free(&text);
	mh_buf_free(&html);
	return res;
}

/* Stands for a subscriber's own unsubscribe link in a newsletter's stored
 * bodies; each message gets its link in its place. Letters, digits and '-'
 * only, so escaping leaves it as it is. */
#define UNSUB_MARK "MH-UNSUBSCRIBE-URL-7d1f"

enum mh_store_rc mh_newsletter_queue_jobs(struct mh_store *s, int64_t id, int64_t run_at)
{
	const struct mh_newsletter_env *env = mh_newsletter_env();
	int senders = env != NULL ? env->settings->senders : 1;
	enum mh_store_rc rc = MH_OK;
	for (int k = 0; k < senders && rc == MH_OK; k++) {
		char payload[24], dedupe[48];
		snprintf(payload, sizeof(payload), "%lld", (long long)id);
		snprintf(dedupe, sizeof(dedupe), "newsletter:%lld:%d", (long long)id, k);
		rc = mh_store_job_add(s, "newsletter", mh_str_c(payload), run_at, dedupe, NULL);
	}
	return rc;
}

enum mh_store_rc mh_newsletter_queue_article(struct mh_store *s, struct mh_arena *a, const struct mh_article *art,
					     const char *created_by, int64_t *nl_id, int64_t *recipients,
					     struct mh_buf *err)
{
	*nl_id = 0;
	*recipients = 0;
	const struct mh_newsletter_env *env = mh_newsletter_env();
	if (env == NULL || env->mail_theme == NULL) {
		mh_buf_append_c(err, "the newsletter is not configured in this process");
		return MH_ERROR;
	}
	if (art->status != MH_ARTICLE_PUBLISHED || art->published_at > mh_time_now()) {
		mh_buf_printf(err, "article '%s' is not published: only a published article can be sent", art->slug);
		return MH_INVALID;
	}
	struct mh_val *ctx = mh_val_map(a);
	mh_val_set(a, ctx, "site", site_val(a, env));
	struct mh_val *av = mh_val_map(a);
	mh_val_set_cstr(a, av, "headline", art->headline);
	mh_val_set_cstr(a, av, "dek", art->dek);
	mh_val_set_cstr(a, av, "url", mh_arena_printf(a, "%s/articles/%s", env->base_url, art->slug));
	mh_val_set(a, av, "body_html", mh_val_html(a, mh_str_c(art->body_html)));
	mh_val_set_cstr(a, av, "body_text", art->body_md);
	mh_val_set(a, ctx, "article", av);
	mh_val_set_cstr(a, ctx, "unsubscribe_url", UNSUB_MARK);
	struct mh_buf text = MH_BUF_INIT, html = MH_BUF_INIT;
	enum mh_store_rc rc = MH_OK;
	if (!mh_mail_render(env->mail_theme, "article", a, ctx, &text, &html)) {
		mh_buf_append_c(err, "the mail theme lacks article_text or article_html");
		rc = MH_ERROR;
	} else {
		struct mh_newsletter nl = {
			.kind = "article",
			.article_id = art->id,
			.subject = art->headline,
			.body_text = mh_buf_cstr(&text),
			.body_html = mh_buf_cstr(&html),
			.created_by = created_by,
		};
		rc = mh_store_newsletter_add(s, &nl, recipients, err);
		if (rc == MH_OK) {
			*nl_id = nl.id;
			rc = mh_newsletter_queue_jobs(s, nl.id, mh_time_now());
			if (rc != MH_OK)
				mh_buf_printf(err, "newsletter %lld is stored but its sending jobs are not queued",
					      (long long)nl.id);
		}
	}
	mh_buf_free(&text);
	mh_buf_free(&html);
	return rc;
}

/* body with every UNSUB_MARK replaced by url */
static void fill_link(struct mh_buf *out, const char *body, const char *url)
{
	mh_buf_reset(out);
	const char *p = body;
	for (;;) {
		const char *m = strstr(p, UNSUB_MARK);
		if (m == NULL) {
			mh_buf_append_c(out, p);
			return;
		}
		mh_buf_append(out, p, (size_t)(m - p));
		mh_buf_append_c(out, url);
		p = m + strlen(UNSUB_MARK);
	}
}

const char *mh_newsletter_state(const int64_t counts[MH_DELIVERY__COUNT])
{
	return counts[MH_DELIVERY_QUEUED] + counts[MH_DELIVERY_DEFERRED] + counts[MH_DELIVERY_SENDING] > 0 ? "sending"
															 : "done";
}

static void sleep_us(int64_t us)
{
	if (us <= 0)
		return;
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

enum mh_store_rc mh_newsletter_run(struct mh_store *s, int64_t id, const char *owner, int64_t deadline,
				   int64_t *sent, struct mh_buf *err)
{
	*sent = 0;
	const struct mh_newsletter_env *env = mh_newsletter_env();
	if (env == NULL) {
		mh_buf_append_c(err, "the newsletter is not configured in this process");
		return MH_ERROR;
	}
	struct mh_arena *a = mh_arena_new();
	struct mh_newsletter *nl = NULL;
	struct mh_auth_key k;
	enum mh_store_rc rc = mh_store_newsletter_get(s, a, id, &nl);
	if (rc == MH_OK)
		rc = mh_newsletter_key(s, &k);
	if (rc != MH_OK) {
		mh_buf_printf(err, "newsletter %lld: %s", (long long)id,
			      rc == MH_NOT_FOUND ? "no such newsletter" : "the database did not answer");
		mh_arena_free(a);
		return rc;
	}
	const char *at = strrchr(env->mail->from, '@');
	char domain[256];
	snprintf(domain, sizeof(domain), "%s", at != NULL ? at + 1 : "localhost");
	char *gt = strchr(domain, '>');
	if (gt != NULL)
		*gt = '\0';
	struct mh_mailer *mailer = mh_mailer_new(env->mail);
	int64_t interval_us = 1000000 / env->settings->rate;
	int64_t next_us = mh_time_now_us();
	struct mh_buf text = MH_BUF_INIT, html = MH_BUF_INIT, tok = MH_BUF_INIT, why = MH_BUF_INIT,
		      url = MH_BUF_INIT, url_attr = MH_BUF_INIT;
	/* a delivery's lease: its SMTP exchange's longest time, and room */
	int64_t lease_s = (int64_t)env->mail->timeout_s * 2 + 5;
	struct mh_arena *row = mh_arena_new();
	while (rc == MH_OK && mh_time_now() < deadline) {
		mh_arena_reset(row);
		/* the pace first, then the claim: a row is 'sending' only for
		 * its SMTP exchange, the window a crash leaves 'unknown' */
		sleep_us(next_us - mh_time_now_us());
		next_us = (next_us > mh_time_now_us() ? next_us : mh_time_now_us()) + interval_us;
		int64_t now = mh_time_now();
		struct mh_delivery d;
		rc = mh_store_newsletter_claim(s, row, id, owner, now, now + lease_s, &d);
		if (rc == MH_NOT_FOUND) {
			rc = MH_OK;
			break;
		}
		if (rc != MH_OK)
			break;
		if (strcmp(d.subscriber_status, "confirmed") != 0) {
			rc = mh_store_newsletter_result(s, id, d.subscriber_id, owner, MH_DELIVERY_SKIPPED, 0,
							"no longer subscribed", 0);
			continue;
		}
		mh_newsletter_unsubscribe_token(&k, d.subscriber_id, &tok);
		mh_buf_reset(&url);
		mh_buf_printf(&url, "%s/newsletter/unsubscribe?token=%s", env->base_url, mh_buf_cstr(&tok));
		mh_buf_reset(&url_attr);
		mh_escape_attr(&url_attr, mh_buf_str(&url));
		fill_link(&text, nl->body_text, mh_buf_cstr(&url));
		fill_link(&html, nl->body_html, mh_buf_cstr(&url_attr));
		struct mh_mail m = {
			.to = d.email,
			.subject = nl->subject,
			.text = mh_buf_str(&text),
			.html = mh_buf_str(&html),
			.unsubscribe_url = mh_buf_cstr(&url),
			.message_id = mh_arena_printf(row, "nl-%lld-%lld@%s", (long long)id, (long long)d.subscriber_id,
						      domain),
		};
		int code = 0;
		mh_buf_reset(&why);
		enum mh_mail_result res = mh_mailer_send(mailer, &m, &code, &why);
		enum mh_delivery_state st = MH_DELIVERY_SENT;
		int64_t next_at = 0;
		switch (res) {
		case MH_MAIL_SENT:
			(*sent)++;
			break;
		case MH_MAIL_TEMPORARY:
			if (d.attempts >= env->settings->max_attempts) {
				st = MH_DELIVERY_FAILED;
			} else {
				st = MH_DELIVERY_DEFERRED;
				int64_t wait = env->settings->retry_after_s;
				for (int i = 1; i < d.attempts && wait < 6 * 3600; i++)
					wait *= 2;
				next_at = mh_time_now() + wait;
			}
			break;
		case MH_MAIL_PERMANENT:
			st = MH_DELIVERY_BOUNCED;
			break;
		case MH_MAIL_REFUSED:
			st = MH_DELIVERY_FAILED;
			break;
		}
		struct mh_buf safe = MH_BUF_INIT;
		mh_log_sanitize(&safe, mh_buf_str(&why));
		rc = mh_store_newsletter_result(s, id, d.subscriber_id, owner, st, code, mh_buf_cstr(&safe), next_at);
		mh_buf_free(&safe);
		if (rc == MH_CONFLICT) {
			/* our lease ran out mid-exchange and the row is 'unknown' now */
			mh_log(MH_LOG_WARN, "newsletter %lld: delivery to subscriber %lld outlived its lease",
			       (long long)id, (long long)d.subscriber_id);
			rc = MH_OK;
		}
	}
	if (rc != MH_OK && err->len == 0)
		mh_buf_printf(err, "newsletter %lld: the database did not answer", (long long)id);
	mh_arena_free(row);
	mh_mailer_free(mailer);
	mh_buf_free(&text);
	mh_buf_free(&html);
	mh_buf_free(&tok);
	mh_buf_free(&why);
	mh_buf_free(&url);
	mh_buf_free(&url_attr);
	mh_arena_free(a);
	return rc;
}

enum mh_mail_result mh_newsletter_mail_link(const char *to, const char *what, const char *url, int hours,
					    const char *role, struct mh_buf *err)
{
	const struct mh_newsletter_env *env = mh_newsletter_env();
	if (env == NULL || !mh_mail_enabled(env->mail)) {
		mh_buf_append_c(err, "no relay: [mail] smtp_url is not set");
		return MH_MAIL_REFUSED;
	}
	struct mh_arena *a = mh_arena_new();
	struct mh_val *ctx = mh_val_map(a);
	struct mh_val *site = mh_val_map(a);
	mh_val_set_cstr(a, site, "title", env->site_title);
	mh_val_set_cstr(a, site, "base_url", env->base_url);
	mh_val_set(a, ctx, "site", site);
	mh_val_set_cstr(a, ctx, "url", url);
	mh_val_set_int(a, ctx, "hours", hours);
	mh_val_set_cstr(a, ctx, "role", role != NULL ? role : "");
	struct mh_buf text = MH_BUF_INIT, html = MH_BUF_INIT;
	enum mh_mail_result r = MH_MAIL_REFUSED;
	if (!mh_mail_render(env->mail_theme, what, a, ctx, &text, &html)) {
		mh_buf_printf(err, "the mail theme lacks %s_text or %s_html", what, what);
	} else {
		struct mh_mail m = {
			.to = to,
			.subject = strcmp(what, "invite") == 0
					   ? mh_arena_printf(a, "Your invitation to %s", env->site_title)
					   : mh_arena_printf(a, "Set a new password for %s", env->site_title),
			.text = mh_buf_str(&text),
			.html = mh_buf_str(&html),
		};
		r = mh_mail_send(env->mail, &m, NULL, err);
	}
	mh_buf_free(&text);
	mh_buf_free(&html);
	mh_arena_free(a);
	return r;
}

/* ---- the digest ---- */

int64_t mh_newsletter_next_digest(int digest, int64_t now)
{
	int64_t day = now - now % 86400 + 86400; /* the next 00:00 UTC */
	if (digest == MH_DIGEST_WEEKLY) {
		/* 1970-01-01 was a Thursday: day / 86400 + 3 is days since a Monday */
		while (((day / 86400) + 3) % 7 != 0)
			day += 86400;
	}
	return day;
}

enum mh_store_rc mh_newsletter_queue_digest(struct mh_store *s, struct mh_arena *a, int64_t now, int64_t *nl_id,
					    int64_t *recipients, struct mh_buf *err)
{
	*nl_id = 0;
	*recipients = 0;
	const struct mh_newsletter_env *env = mh_newsletter_env();
	if (env == NULL || env->mail_theme == NULL) {
		mh_buf_append_c(err, "the newsletter is not configured in this process");
		return MH_ERROR;
	}
	int64_t period = env->settings->digest == MH_DIGEST_WEEKLY ? 7 * 86400 : 86400;
	/* since the last digest, or one period back for the first */
	int64_t since = now - period;
	struct mh_newsletter *nls = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_newsletters(s, a, 1000, &nls, &n);
	for (size_t i = 0; rc == MH_OK && i < n; i++) {
		if (strcmp(nls[i].kind, "digest") == 0) {
			since = nls[i].created_at;
			break;
		}
	}
	struct mh_article *arts = NULL;
	size_t na = 0;
	if (rc == MH_OK) {
		struct mh_article_query q = { .after_published_at = since, .after_id = INT64_MAX, .limit = 50,
					      .now = now, .without_relations = true };
		rc = mh_store_articles(s, a, &q, &arts, &na);
	}
	if (rc != MH_OK) {
		mh_buf_append_c(err, "the database did not answer");
		return rc;
	}
	if (na == 0)
		return MH_NOT_FOUND; /* nothing new: no digest */
	struct mh_val *ctx = mh_val_map(a), *list = mh_val_list(a);
	mh_val_set(a, ctx, "site", site_val(a, env));
	for (size_t i = 0; i < na; i++) {
		struct mh_val *av = mh_val_map(a);
		mh_val_set_cstr(a, av, "headline", arts[i].headline);
		mh_val_set_cstr(a, av, "dek", arts[i].dek);
		mh_val_set_cstr(a, av, "url", mh_arena_printf(a, "%s/articles/%s", env->base_url, arts[i].slug));
		mh_val_push(a, list, av);
	}
	mh_val_set(a, ctx, "articles", list);
	mh_val_set_cstr(a, ctx, "unsubscribe_url", UNSUB_MARK);
	struct mh_buf text = MH_BUF_INIT, html = MH_BUF_INIT;
	if (!mh_mail_render(env->mail_theme, "digest", a, ctx, &text, &html)) {
		mh_buf_append_c(err, "the mail theme lacks digest_text or digest_html");
		rc = MH_ERROR;
	} else {
		struct mh_newsletter nl = {
			.kind = "digest",
			.subject = mh_arena_printf(a, "%s: %s", env->site_title,
						   env->settings->digest == MH_DIGEST_WEEKLY ? "the week's stories"
											     : "today's stories"),
			.body_text = mh_buf_cstr(&text),
			.body_html = mh_buf_cstr(&html),
			.created_by = "digest",
		};
		rc = mh_store_newsletter_add(s, &nl, recipients, err);
		if (rc == MH_OK) {
			*nl_id = nl.id;
			rc = mh_newsletter_queue_jobs(s, nl.id, now);
		}
	}
	mh_buf_free(&text);
	mh_buf_free(&html);
	return rc;
}
