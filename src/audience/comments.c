/*
 * audience/comments.c: what a comment must pass before it is stored, the
 * signed form token and the address hash (audience.h), and the [comments]
 * section of site.ini.
 *
 * The token is what lets a cached, session-less page carry a form: it says
 * when the page's form was made (a signed timestamp, so the minimum time
 * between loading and sending holds) and for which article; it is made with
 * a site secret every node shares (site_secrets "comments_key"), so any
 * node checks any node's token. Keys come from the caller.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "audience/audience.h"

static const char *const moderation_choices[] = { "hold_all", "hold_first", "open", NULL };

#define F(field) offsetof(struct mh_comments_settings, field)
static const struct mh_setting rows[] = {
	{ .key = "enabled", .type = MH_SETTING_BOOL, .offset = F(enabled), .def = "true",
	  .comment = "readers may comment under articles" },
	{ .key = "moderation", .type = MH_SETTING_CHOICE, .offset = F(moderation), .def = "hold_first",
	  .choices = moderation_choices,
	  .comment = "hold_all: every comment waits for a moderator; hold_first: a commenter's first waits,\n"
		     "then theirs appear at once; open: every comment appears at once (the admin's setting wins)" },
	{ .key = "close_after_days", .type = MH_SETTING_INT, .offset = F(close_after_days), .min = 0, .max = 36500,
	  .def = "0", .comment = "days after publication when an article stops taking comments (0: never)" },
	{ .key = "max_length", .type = MH_SETTING_INT, .offset = F(max_length), .min = 100, .max = 50000,
	  .def = "5000", .comment = "characters a comment may hold" },
	{ .key = "max_links", .type = MH_SETTING_INT, .offset = F(max_links), .min = 0, .max = 100, .def = "2",
	  .comment = "links a comment may hold" },
	{ .key = "min_seconds", .type = MH_SETTING_INT, .offset = F(min_seconds), .min = 0, .max = 3600, .def = "3",
	  .comment = "seconds between loading the form and sending it (faster is a robot)" },
	{ .key = "per_minute", .type = MH_SETTING_INT, .offset = F(per_minute), .min = 1, .max = 100000, .def = "3",
	  .comment = "comments one address may send per minute (more get 429)" },
	{ .key = "burst", .type = MH_SETTING_INT, .offset = F(burst), .min = 1, .max = 100000, .def = "5",
	  .comment = "comments one address may send at once" },
};
#undef F

const struct mh_settings_table mh_comments_settings_table =
	MH_SETTINGS_TABLE("comments", NULL, rows, struct mh_comments_settings);

const char *mh_comments_moderation_name(int m)
{
	return m >= 0 && m <= MH_COMMENTS_OPEN ? moderation_choices[m] : "hold_first";
}

bool mh_comments_moderation_parse(struct mh_str s, int *out)
{
	for (int i = 0; moderation_choices[i] != NULL; i++) {
		if (mh_str_eq_c(s, moderation_choices[i])) {
			*out = i;
			return true;
		}
	}
	return false;
}

const char *mh_comment_text_problem(struct mh_arena *a, struct mh_str text, const struct mh_comments_settings *set)
{
	size_t chars = 0;
	bool blank = true;
	for (size_t i = 0; i < text.len;) {
		uint32_t cp;
		size_t n = mh_utf8_decode((const unsigned char *)text.ptr + i, text.len - i, &cp);
		if (n == 0)
			return "The comment holds bytes that are not UTF-8 text.";
		if (cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t')
			return "The comment holds control characters; only text, newlines and tabs are taken.";
		if (cp > 0x20)
			blank = false;
		chars++;
		i += n;
	}
	if (blank)
		return "The comment is empty: write something in Comment.";
	if (chars > (size_t)set->max_length)
		return mh_arena_printf(a, "The comment is too long: %zu characters, at most %d are taken.", chars,
				       set->max_length);
	struct mh_buf html = MH_BUF_INIT;
	int links = mh_comment_text_render(&html, text);
	mh_buf_free(&html);
	if (links > set->max_links)
		return mh_arena_printf(a, "The comment holds %d links; at most %d are taken.", links, set->max_links);
	return NULL;
}

static void token_mac(unsigned char mac[crypto_auth_BYTES], const unsigned char key[MH_COMMENTS_KEY_BYTES],
		      int64_t article_id, int64_t t)
{
	char msg[64];
	int n = snprintf(msg, sizeof msg, "comment:%lld:%lld", (long long)article_id, (long long)t);
	MH_ASSERT(n > 0 && (size_t)n < sizeof msg);
	MH_ASSERT(crypto_auth_KEYBYTES == MH_COMMENTS_KEY_BYTES);
	crypto_auth(mac, (const unsigned char *)msg, (unsigned long long)n, key);
}

void mh_comments_token_make(struct mh_buf *out, const unsigned char key[MH_COMMENTS_KEY_BYTES], int64_t article_id,
			    int64_t now)
{
	unsigned char mac[crypto_auth_BYTES];
	token_mac(mac, key, article_id, now);
	char hex[2 * crypto_auth_BYTES + 1];
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	mh_buf_printf(out, "%lld.%s", (long long)now, hex);
}

enum mh_comments_token mh_comments_token_check(const unsigned char key[MH_COMMENTS_KEY_BYTES], int64_t article_id,
					       struct mh_str token, int64_t now, int min_seconds, int64_t *age)
{
	*age = 0;
	const char *dot = token.ptr != NULL ? memchr(token.ptr, '.', token.len) : NULL;
	if (dot == NULL)
		return MH_TOKEN_BAD;
	struct mh_str ts = { token.ptr, (size_t)(dot - token.ptr) };
	struct mh_str hex = { dot + 1, token.len - ts.len - 1 };
	int64_t t = 0;
	if (ts.len == 0 || ts.len > 12 || !mh_str_to_i64(ts, &t) || t <= 0 || hex.len != 2 * crypto_auth_BYTES)
		return MH_TOKEN_BAD;
	for (size_t i = 0; i < ts.len; i++)
		if (ts.ptr[i] < '0' || ts.ptr[i] > '9')
			return MH_TOKEN_BAD;
	unsigned char got[crypto_auth_BYTES], want[crypto_auth_BYTES];
	size_t bin_len = 0;
	if (sodium_hex2bin(got, sizeof got, hex.ptr, hex.len, NULL, &bin_len, NULL) != 0 || bin_len != sizeof got)
		return MH_TOKEN_BAD;
	token_mac(want, key, article_id, t);
	if (sodium_memcmp(got, want, sizeof got) != 0)
		return MH_TOKEN_BAD;
	if (t > now + 60)
		return MH_TOKEN_BAD; /* from the future: another node's clock may be a little ahead, no more */
	*age = now - t;
	return *age < min_seconds ? MH_TOKEN_TOO_FAST : MH_TOKEN_OK;
}

void mh_comments_address_hash(struct mh_buf *out, const unsigned char key[MH_COMMENTS_KEY_BYTES], struct mh_str address)
{
	unsigned char h[16];
	MH_ASSERT(MH_COMMENTS_KEY_BYTES >= crypto_generichash_KEYBYTES_MIN &&
		  MH_COMMENTS_KEY_BYTES <= crypto_generichash_KEYBYTES_MAX);
	crypto_generichash(h, sizeof h, (const unsigned char *)address.ptr, address.len, key, MH_COMMENTS_KEY_BYTES);
	char hex[33];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	mh_buf_reset(out);
	mh_buf_append_c(out, hex);
}
