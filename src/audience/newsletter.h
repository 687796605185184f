/*
 * audience/newsletter: the newsletter's subscribers and sends. Sign-up is
 * double opt-in: a confirmation mail carries a link signed with the site
 * secret "newsletter_key" (libsodium's keyed MAC, via auth/) over the
 * address and an expiry, and only a followed link stores the address. A
 * newsletter is rendered once from the mail theme and queued as one
 * delivery row per confirmed subscriber; the "newsletter" job sends them
 * (src/jobs/newsletter.c) at [newsletter] rate, at most once each.
 * Memory: the env given to mh_newsletter_configure must outlive every
 * caller (serve's config, a CLI command's); results go into caller arenas.
 */
#ifndef MH_NEWSLETTER_H
#define MH_NEWSLETTER_H

#include "auth/auth.h"
#include "mail/mail.h"
#include "store/store.h"
#include "util/util.h"

enum mh_newsletter_digest { MH_DIGEST_OFF = 0, MH_DIGEST_DAILY, MH_DIGEST_WEEKLY };

/* [newsletter] in site.ini (newsletter_settings.c); every field is a row. */
struct mh_newsletter_settings {
	bool enabled;          /* the sign-up box and /newsletter */
	int digest;            /* enum mh_newsletter_digest */
	int rate;              /* messages per second, per sending job */
	int senders;           /* sending jobs per newsletter (nodes share them) */
	int max_attempts;      /* tries of a delivery the relay defers (4xx) before it fails */
	int retry_after_s;     /* first wait after a deferral; doubles each time */
	int confirm_hours;     /* a confirmation link works this long */
	int signup_burst;      /* sign-ups one address may make at once */
	int signups_per_hour;  /* and then per hour (more get 429) */
};
extern const struct mh_settings_table mh_newsletter_settings_table;

/* What making and sending mail needs besides a store: set once per
 * process (masthead serve, a CLI command) before the job runner starts or
 * the site answers. Read-only afterwards; every thread reads it. */
struct mh_newsletter_env {
	const struct mh_mail_settings *mail;
	const struct mh_newsletter_settings *settings;
	const struct mh_theme *mail_theme; /* mh_mail_theme_load */
	const char *base_url;              /* [site] base_url: links in mails */
	const char *site_title;
};
void mh_newsletter_configure(const struct mh_newsletter_env *env);
/* NULL until configured. */
const struct mh_newsletter_env *mh_newsletter_env(void);

/* The site's newsletter key (made by the first node that asks). */
enum mh_store_rc mh_newsletter_key(struct mh_store *s, struct mh_auth_key *out);

/* ---- signed links ---- */
/* The confirmation token of address email (lower-cased), valid until
 * expires, into b (replaced). */
void mh_newsletter_confirm_token(const struct mh_auth_key *k, struct mh_str email, int64_t expires, struct mh_buf *b);
/* MH_SIGNED_OK with the address in *email (arena), EXPIRED, or BAD. */
enum mh_auth_signed mh_newsletter_confirm_check(const struct mh_auth_key *k, struct mh_arena *a, struct mh_str token,
						int64_t now, const char **email);
/* A subscriber's unsubscribe token (the same every time: it goes in every
 * newsletter and works without logging in). */
void mh_newsletter_unsubscribe_token(const struct mh_auth_key *k, int64_t subscriber_id, struct mh_buf *b);
bool mh_newsletter_unsubscribe_check(const struct mh_auth_key *k, struct mh_str token, int64_t *subscriber_id);
/* A timestamp signed for the sign-up form (the CSRF token of a cached
 * public page), and its check: made within max_age_s, not in the future. */
void mh_newsletter_form_token(const struct mh_auth_key *k, int64_t now, struct mh_buf *b);
bool mh_newsletter_form_check(const struct mh_auth_key *k, struct mh_str token, int64_t now, int64_t max_age_s);

/* ---- mail ---- */
/* Sends the confirmation mail for a sign-up of email (already checked
 * with mh_mail_address_valid). The result as mh_mail_send's. */
enum mh_mail_result mh_newsletter_send_confirmation(struct mh_store *s, struct mh_arena *a, struct mh_str email,
						    struct mh_buf *err);
/* A one-time account link by mail (not newsletter business, but the same
 * configured relay and mail theme): what is "reset" or "invite" (the
 * templates), url the link, hours how long it works, role the invitee's
 * (NULL for a reset). MH_MAIL_REFUSED when no relay is set: the caller
 * prints or shows the link instead. */
enum mh_mail_result mh_newsletter_mail_link(const char *to, const char *what, const char *url, int hours,
					    const char *role, struct mh_buf *err);
/* Renders article art (read with its body) as a newsletter and queues it
 * to every confirmed subscriber with its sending jobs; *nl_id and
 * *recipients set. created_by: who asked ("cli", an account's email). */
enum mh_store_rc mh_newsletter_queue_article(struct mh_store *s, struct mh_arena *a, const struct mh_article *art,
					     const char *created_by, int64_t *nl_id, int64_t *recipients,
					     struct mh_buf *err);
/* The digest ([newsletter] digest): the next time one is due after now,
 * 00:00 UTC the next day (daily) or the next Monday (weekly). */
int64_t mh_newsletter_next_digest(int digest, int64_t now);
/* Queues a digest of the articles published since the last digest (or one
 * period back) to every confirmed subscriber; MH_NOT_FOUND when there is
 * none (no digest then). */
enum mh_store_rc mh_newsletter_queue_digest(struct mh_store *s, struct mh_arena *a, int64_t now, int64_t *nl_id,
					    int64_t *recipients, struct mh_buf *err);
/* Queues the sending jobs of newsletter id (dedupe "newsletter:ID:K"). */
enum mh_store_rc mh_newsletter_queue_jobs(struct mh_store *s, int64_t id, int64_t run_at);

/* Sends due deliveries of newsletter id as owner until none is due or
 * deadline (unix seconds) passes, at [newsletter] rate. *sent counts the
 * relay's acceptances. MH_OK also when some deliveries wait for later
 * (deferred): mh_store_newsletter_pending says when. */
enum mh_store_rc mh_newsletter_run(struct mh_store *s, int64_t id, const char *owner, int64_t deadline,
				   int64_t *sent, struct mh_buf *err);

/* ---- CSV (newsletter_csv.c): the subscribers' import ----
 * Parses RFC 4180 text a record at a time: cb gets the record's first
 * line number and its fields (n = 0 when it has more than 32), valid
 * during the call; it returns false to stop. Blank lines are skipped.
 * False with "line N: ..." in err when the quoting is malformed (records
 * before it were given to cb). */
typedef bool mh_newsletter_csv_fn(void *ctx, size_t line, const struct mh_str *fields, size_t n);
bool mh_newsletter_csv_parse(struct mh_str in, mh_newsletter_csv_fn *cb, void *ctx, struct mh_buf *err);

/* A newsletter's state from its counts: "sending" while any delivery is
 * queued, deferred or sending, else "done". Never done before it is. */
const char *mh_newsletter_state(const int64_t counts[MH_DELIVERY__COUNT]);

#endif
