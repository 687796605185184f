/*
 * mail/mail.c: building a message and handing it to the relay.
 * The SMTP dialogue, TLS and dot-stuffing are libcurl's; base64 is
 * libsodium's. Written here, because no Debian C library does it for a
 * message built in memory: the header checks, the 76-column wrapping of
 * base64 bodies, RFC 2047 encoded words and the multipart layout (curl's
 * own MIME API would build the body, but not let us check and test the
 * exact bytes, nor give the newsletter its fixed Message-ID and headers).
 */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mail/mail.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	/* not thread-safe in older libcurl: once, before any handle */
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool mh_mail_enabled(const struct mh_mail_settings *set)
{
	return set != NULL && set->smtp_url != NULL && set->smtp_url[0] != '\0';
}

const char *mh_mail_result_name(enum mh_mail_result r)
{
	switch (r) {
	case MH_MAIL_SENT:
		return "sent";
	case MH_MAIL_TEMPORARY:
		return "temporary failure";
	case MH_MAIL_PERMANENT:
		return "permanent failure";
	case MH_MAIL_REFUSED:
		return "refused";
	}
	return "?";
}

bool mh_mail_address_valid(struct mh_str addr)
{
	if (addr.len < 3 || addr.len > 254)
		return false;
	size_t at = 0, n_at = 0;
	for (size_t i = 0; i < addr.len; i++) {
		unsigned char c = (unsigned char)addr.ptr[i];
		if (c <= 0x20 || c >= 0x7f || strchr("\"<>(),;:\\[]", c) != NULL)
			return false;
		if (c == '@') {
			at = i;
			n_at++;
		}
	}
	if (n_at != 1 || at == 0 || at == addr.len - 1 || at > 64)
		return false;
	const char *dom = addr.ptr + at + 1;
	size_t dlen = addr.len - at - 1;
	const char *dot = memchr(dom, '.', dlen);
	return dot != NULL && dom[0] != '.' && dom[dlen - 1] != '.' && memmem(dom, dlen, "..", 2) == NULL;
}

/* The bare address of a From value ("Name <a@b>" or "a@b"). */
static struct mh_str from_address(const char *from)
{
	const char *lt = strchr(from, '<'), *gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (lt != NULL && gt != NULL)
		return (struct mh_str){ lt + 1, (size_t)(gt - lt - 1) };
	return mh_str_c(from);
}

static bool header_safe(const char *v)
{
	return v != NULL && strpbrk(v, "\r\n") == NULL;
}

static bool ascii_printable(struct mh_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.ptr[i] < 0x20 || (unsigned char)s.ptr[i] >= 0x7f)
			return false;
	return true;
}

/* RFC 2047 B encoded words for text with non-ASCII bytes, each at most 75
 * characters, folded onto continuation lines; never splits a UTF-8
 * sequence. Printable ASCII is written as it is. */
static void encode_words(struct mh_buf *out, struct mh_str s)
{
	if (ascii_printable(s)) {
		mh_buf_append_str(out, s);
		return;
	}
	size_t i = 0;
	bool first = true;
	while (i < s.len) {
		/* 45 bytes -> 60 base64 chars + 12 of "=?UTF-8?B?" "?=" = 72 */
		size_t end = i + 45 < s.len ? i + 45 : s.len;
		while (end < s.len && end > i + 1 && ((unsigned char)s.ptr[end] & 0xc0) == 0x80)
			end--;
		char b64[128];
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s.ptr + i, end - i,
				  sodium_base64_VARIANT_ORIGINAL);
		if (!first)
			mh_buf_append_c(out, "\r\n ");
		mh_buf_printf(out, "=?UTF-8?B?%s?=", b64);
		first = false;
		i = end;
	}
}

/* Text with its line ends made CRLF, then base64 in 76-column lines. */
static void base64_body(struct mh_buf *out, struct mh_str text)
{
	struct mh_buf crlf = MH_BUF_INIT;
	for (size_t i = 0; i < text.len; i++) {
		char c = text.ptr[i];
		if (c == '\r')
			continue;
		if (c == '\n')
			mh_buf_append_c(&crlf, "\r\n");
		else
			mh_buf_append_ch(&crlf, c);
	}
	for (size_t i = 0; i < crlf.len; i += 57) {
		size_t n = crlf.len - i < 57 ? crlf.len - i : 57;
		char line[80];
		sodium_bin2base64(line, sizeof(line), (const unsigned char *)crlf.ptr + i, n,
				  sodium_base64_VARIANT_ORIGINAL);
		mh_buf_append_c(out, line);
		mh_buf_append_c(out, "\r\n");
	}
	mh_buf_free(&crlf);
}

static void rfc5322_date(struct mh_buf *out, int64_t now)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	mh_buf_printf(out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		      tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void random_hex(char *out, size_t bytes)
{
	unsigned char r[32];
	MH_ASSERT(bytes <= sizeof(r));
	randombytes_buf(r, bytes);
	sodium_bin2hex(out, bytes * 2 + 1, r, bytes);
}

bool mh_mail_build(const struct mh_mail_settings *set, const struct mh_mail *m, int64_t now, struct mh_buf *out,
		   struct mh_buf *err)
{
	mh_buf_reset(out);
	if (m->to == NULL || !mh_mail_address_valid(mh_str_c(m->to))) {
		mh_buf_printf(err, "to: not a mail address");
		return false;
	}
	struct mh_str from = from_address(set->from);
	if (!header_safe(set->from) || !mh_mail_address_valid(from)) {
		mh_buf_printf(err, "[mail] from: not a mail address");
		return false;
	}
	const struct {
		const char *name, *v;
	} checks[] = { { "subject", m->subject },
		       { "unsubscribe_url", m->unsubscribe_url },
		       { "unsubscribe_mailto", m->unsubscribe_mailto },
		       { "message_id", m->message_id } };
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (checks[i].v != NULL && !header_safe(checks[i].v)) {
			mh_buf_printf(err, "%s: a header value must not hold a line break", checks[i].name);
			return false;
		}
	}
	if (m->unsubscribe_url != NULL && (strncmp(m->unsubscribe_url, "https://", 8) != 0 &&
					    strncmp(m->unsubscribe_url, "http://", 7) != 0)) {
		mh_buf_printf(err, "unsubscribe_url: expected an http(s) URL");
		return false;
	}
	const char *lt = strchr(set->from, '<');
	mh_buf_append_c(out, "From: ");
	if (lt != NULL) {
		struct mh_str name = { set->from, (size_t)(lt - set->from) };
		while (name.len > 0 && name.ptr[name.len - 1] == ' ')
			name.len--;
		if (name.len > 0) {
			/* a display name is quoted (it may hold '.' or ',') or encoded */
			if (ascii_printable(name) && memchr(name.ptr, '"', name.len) == NULL &&
			    memchr(name.ptr, '\\', name.len) == NULL) {
				mh_buf_append_ch(out, '"');
				mh_buf_append_str(out, name);
				mh_buf_append_c(out, "\" ");
			} else {
				encode_words(out, name);
				mh_buf_append_ch(out, ' ');
			}
		}
	}
	mh_buf_append_ch(out, '<');
	mh_buf_append_str(out, from);
	mh_buf_append_c(out, ">\r\nTo: <");
	mh_buf_append_c(out, m->to);
	mh_buf_append_c(out, ">\r\nSubject: ");
	encode_words(out, mh_str_c(m->subject));
	mh_buf_append_c(out, "\r\nDate: ");
	rfc5322_date(out, now);
	const char *at = memchr(from.ptr, '@', from.len);
	struct mh_str domain = { at + 1, (size_t)(from.ptr + from.len - at - 1) };
	mh_buf_append_c(out, "\r\nMessage-ID: <");
	if (m->message_id != NULL) {
		mh_buf_append_c(out, m->message_id);
	} else {
		char hex[33];
		random_hex(hex, 16);
		mh_buf_append_c(out, hex);
		mh_buf_append_ch(out, '@');
		mh_buf_append_str(out, domain);
	}
	mh_buf_append_c(out, ">\r\nMIME-Version: 1.0\r\n");
	if (m->unsubscribe_url != NULL) {
		mh_buf_printf(out, "List-Unsubscribe: <%s>", m->unsubscribe_url);
		if (m->unsubscribe_mailto != NULL)
			mh_buf_printf(out, ",\r\n <mailto:%s>", m->unsubscribe_mailto);
		mh_buf_append_c(out, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	}
	if (m->html.len == 0) {
		mh_buf_append_c(out, "Content-Type: text/plain; charset=utf-8\r\n"
				     "Content-Transfer-Encoding: base64\r\n\r\n");
		base64_body(out, m->text);
		return true;
	}
	/* a boundary cannot occur in base64 text: it holds '=' and '_' twice */
	char hex[25];
	random_hex(hex, 12);
	char boundary[64];
	snprintf(boundary, sizeof(boundary), "=_mh_%s_=", hex);
	mh_buf_printf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
	mh_buf_printf(out, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			   "Content-Transfer-Encoding: base64\r\n\r\n",
		      boundary);
	base64_body(out, m->text);
	mh_buf_printf(out, "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
			   "Content-Transfer-Encoding: base64\r\n\r\n",
		      boundary);
	base64_body(out, m->html);
	mh_buf_printf(out, "--%s--\r\n", boundary);
	return true;
}

/* ---- sending ---- */

struct mh_mailer {
	const struct mh_mail_settings *set;
	CURL *h;
};

struct reader {
	const char *p;
	size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct reader *rd = arg;
	size_t n = size * nmemb < rd->left ? size * nmemb : rd->left;
	memcpy(dst, rd->p, n);
	rd->p += n;
	rd->left -= n;
	return n;
}

struct mh_mailer *mh_mailer_new(const struct mh_mail_settings *set)
{
	pthread_once(&curl_once, curl_init_once);
	struct mh_mailer *m = calloc(1, sizeof(*m));
	MH_ASSERT(m != NULL);
	m->set = set;
	return m;
}

void mh_mailer_free(struct mh_mailer *m)
{
	if (m == NULL)
		return;
	if (m->h != NULL)
		curl_easy_cleanup(m->h);
	free(m);
}

enum mh_mail_result mh_mailer_send(struct mh_mailer *mr, const struct mh_mail *m, int *code, struct mh_buf *err)
{
	if (code != NULL)
		*code = 0;
	if (!mh_mail_enabled(mr->set)) {
		mh_buf_append_c(err, "no relay: [mail] smtp_url is not set");
		return MH_MAIL_REFUSED;
	}
	struct mh_buf msg = MH_BUF_INIT;
	if (!mh_mail_build(mr->set, m, mh_time_now(), &msg, err)) {
		mh_buf_free(&msg);
		return MH_MAIL_REFUSED;
	}
	if (mr->h == NULL) {
		mr->h = curl_easy_init();
		MH_ASSERT(mr->h != NULL);
	} else {
		/* the same handle keeps the relay's connection for the next message */
		curl_easy_reset(mr->h);
	}
	CURL *h = mr->h;
	struct mh_str from = from_address(mr->set->from);
	char *mail_from = calloc(1, from.len + 3);
	MH_ASSERT(mail_from != NULL);
	snprintf(mail_from, from.len + 3, "<%.*s>", (int)from.len, from.ptr);
	char rcpt_buf[300];
	snprintf(rcpt_buf, sizeof(rcpt_buf), "<%s>", m->to);
	struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_buf);
	struct reader rd = { msg.ptr, msg.len };
	curl_easy_setopt(h, CURLOPT_URL, mr->set->smtp_url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	curl_easy_setopt(h, CURLOPT_USE_SSL, mr->set->require_starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)mr->set->timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)mr->set->timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	CURLcode cc = curl_easy_perform(h);
	long reply = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(rcpt);
	free(mail_from);
	mh_buf_free(&msg);
	if (code != NULL)
		*code = (int)reply;
	if (cc == CURLE_OK)
		return MH_MAIL_SENT;
	mh_buf_printf(err, "%s", curl_err[0] != '\0' ? curl_err : curl_easy_strerror(cc));
	if (reply > 0)
		mh_buf_printf(err, " (SMTP %ld)", reply);
	/* a failed dialogue may leave the connection in any state: start anew */
	curl_easy_cleanup(mr->h);
	mr->h = NULL;
	if (reply >= 500 && reply <= 599 && cc != CURLE_USE_SSL_FAILED)
		return MH_MAIL_PERMANENT;
	return MH_MAIL_TEMPORARY;
}

enum mh_mail_result mh_mail_send(const struct mh_mail_settings *set, const struct mh_mail *m, int *code,
				 struct mh_buf *err)
{
	struct mh_mailer *mr = mh_mailer_new(set);
	enum mh_mail_result r = mh_mailer_send(mr, m, code, err);
	mh_mailer_free(mr);
	return r;
}

/* ---- templates ---- */

struct mh_theme *mh_mail_theme_load(const char *themes_dir, const char *site_theme_dir, struct mh_buf *err)
{
	struct mh_buf def = MH_BUF_INIT, over = MH_BUF_INIT;
	mh_buf_printf(&def, "%s/default/mail", themes_dir);
	if (site_theme_dir != NULL)
		mh_buf_printf(&over, "%s/mail", site_theme_dir);
	struct mh_theme *t = mh_theme_load(mh_buf_cstr(&def), site_theme_dir != NULL ? mh_buf_cstr(&over) : NULL, err);
	mh_buf_free(&def);
	mh_buf_free(&over);
	return t;
}

/* A copy of v in which every string is trusted text, for the plain-text
 * part: Mustache's HTML escaping has no meaning in a text/plain body. */
static const struct mh_val *plain(struct mh_arena *a, const struct mh_val *v)
{
	switch (v->type) {
	case MH_VAL_STRING:
		return mh_val_html(a, v->u.s);
	case MH_VAL_LIST: {
		struct mh_val *l = mh_val_list(a);
		for (size_t i = 0; i < v->u.list.len; i++)
			mh_val_push(a, l, (struct mh_val *)plain(a, v->u.list.items[i]));
		return l;
	}
	case MH_VAL_MAP: {
		struct mh_val *m = mh_val_map(a);
		for (size_t i = 0; i < v->u.map.len; i++)
			mh_val_set(a, m, v->u.map.pairs[i].key, (struct mh_val *)plain(a, v->u.map.pairs[i].val));
		return m;
	}
	default:
		return v;
	}
}

bool mh_mail_render(const struct mh_theme *t, const char *name, struct mh_arena *a, const struct mh_val *ctx,
		    struct mh_buf *text, struct mh_buf *html)
{
	char tn[96];
	mh_buf_reset(text);
	mh_buf_reset(html);
	snprintf(tn, sizeof(tn), "%s_text", name);
	if (!mh_theme_render(t, tn, plain(a, ctx), text))
		return false;
	snprintf(tn, sizeof(tn), "%s_html", name);
	return mh_theme_render(t, tn, ctx, html);
}
