/*
 * mail: outgoing mail over SMTP (libcurl) to the relay [mail] smtp_url names,
 * for every mail the site sends (newsletters, confirmations, password
 * resets, invitations; later receipts and comment notices). A message is
 * built here: headers checked (a CR or LF in any value is refused, so no
 * header can be injected), multipart/alternative text + HTML, base64 bodies,
 * RFC 2047 subjects, CRLF line ends; libcurl does the SMTP dialogue and the
 * dot-stuffing. Memory: nothing is kept from a struct mh_mail; a struct
 * mh_mailer is one caller's (one thread's) until mh_mailer_free.
 */
#ifndef MH_MAIL_H
#define MH_MAIL_H

#include "render/render.h"
#include "util/util.h"

/* [mail] in site.ini (settings.c); every field is a row there. */
struct mh_mail_settings {
	const char *smtp_url;  /* "" = no relay: mail is not sent (links are printed/shown instead) */
	const char *from;      /* "Name <addr@host>" or "addr@host" */
	bool require_starttls; /* smtp://: refuse to send unless the relay offers STARTTLS */
	int timeout_s;         /* per message, connecting included */
};
extern const struct mh_settings_table mh_mail_settings_table;

/* True when [mail] smtp_url is set: mail goes out. */
bool mh_mail_enabled(const struct mh_mail_settings *set);

/* One message to one address. Strings are UTF-8; none may hold CR or LF
 * except the bodies (whose line ends become CRLF). */
struct mh_mail {
	const char *to;      /* a bare address */
	const char *subject;
	struct mh_str text;  /* the plain-text part */
	struct mh_str html;  /* the HTML part ("" = text only) */
	/* NULL, or an https URL: List-Unsubscribe <URL> (plus mailto when
	 * unsubscribe_mailto is set) and List-Unsubscribe-Post:
	 * List-Unsubscribe=One-Click (RFC 8058) */
	const char *unsubscribe_url;
	const char *unsubscribe_mailto;
	/* NULL: a random one. A newsletter gives "nl-ID-SUB@host", so a copy
	 * sent twice would be seen as the same message */
	const char *message_id;
};

/* The message's bytes as sent (headers, blank line, body; CRLF) into out
 * (replaced). False with a sentence naming the field in err when an
 * address is malformed or a header value holds CR, LF or NUL. */
bool mh_mail_build(const struct mh_mail_settings *set, const struct mh_mail *m, int64_t now, struct mh_buf *out,
		   struct mh_buf *err);

/* How one message went. */
enum mh_mail_result {
	MH_MAIL_SENT = 0,   /* the relay took it (2xx after DATA) */
	MH_MAIL_TEMPORARY,  /* a 4xx, or no relay reached / no answer: try again later */
	MH_MAIL_PERMANENT,  /* a 5xx: this address will not take mail */
	MH_MAIL_REFUSED,    /* our own check failed (a bad header, no relay set): never sent */
};
const char *mh_mail_result_name(enum mh_mail_result r);

/* A sender keeping its connection to the relay between messages. */
struct mh_mailer;
struct mh_mailer *mh_mailer_new(const struct mh_mail_settings *set);
void mh_mailer_free(struct mh_mailer *m); /* NULL is fine */
/* Sends m to m->to. *code (may be NULL) is the relay's last SMTP reply
 * code (CURLINFO_RESPONSE_CODE: the RCPT's or DATA's refusal, 250 when
 * sent, 0 when no relay answered); err says why when not sent. */
enum mh_mail_result mh_mailer_send(struct mh_mailer *mr, const struct mh_mail *m, int *code, struct mh_buf *err);
/* One message with a sender of its own. */
enum mh_mail_result mh_mail_send(const struct mh_mail_settings *set, const struct mh_mail *m, int *code,
				 struct mh_buf *err);

/* ---- templates: themes/default/mail/, overridden by SITE/THEME/mail/ ----
 * Each mail NAME is two templates, NAME_text and NAME_html (inline CSS, no
 * script), rendered with the same context; the text one gets every string
 * unescaped (plain text has no markup). */
struct mh_theme *mh_mail_theme_load(const char *themes_dir, const char *site_theme_dir, struct mh_buf *err);
/* Renders NAME_text into text and NAME_html into html (both replaced);
 * false if the theme lacks either. */
bool mh_mail_render(const struct mh_theme *t, const char *name, struct mh_arena *a, const struct mh_val *ctx,
		    struct mh_buf *text, struct mh_buf *html);

/* An address as the site takes one: local@domain, printable ASCII, no
 * spaces, quotes, angle brackets, commas or semicolons, one '@', a dot in
 * the domain, at most 254 bytes. */
bool mh_mail_address_valid(struct mh_str addr);

#endif
