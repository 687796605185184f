/*
 * Password rules, hashing and generation. Hashing is libsodium's
 * crypto_pwhash_str (argon2id); the commonest-passwords list is generated at
 * build time from Debian's john-data (common_passwords.py).
 */
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"

extern const char *const mh_auth_common_passwords[];
extern const size_t mh_auth_n_common_passwords;

#define OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

static void set_why(struct mh_buf *why, const char *msg)
{
	if (why == NULL)
		return;
	mh_buf_reset(why);
	mh_buf_append_c(why, msg);
}

static int cmp_lower(const char *entry, const char *s, size_t n)
{
	size_t el = strlen(entry);
	int c = memcmp(entry, s, el < n ? el : n);
	if (c != 0)
		return c;
	return el < n ? -1 : el > n ? 1 : 0;
}

/* Binary search of the sorted, lower-case list for s[0..n) lower-cased. */
static bool common_exact(const char *lower, size_t n)
{
	size_t lo = 0, hi = mh_auth_n_common_passwords;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_lower(mh_auth_common_passwords[mid], lower, n);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool mh_auth_password_is_common(struct mh_str s)
{
	if (s.len == 0 || s.len > 256)
		return false;
	char lower[257];
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		lower[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (common_exact(lower, s.len))
		return true;
	/* "password2026", "qwerty123!": the same word with digits or
	 * punctuation added at the end */
	size_t n = s.len;
	while (n > 0 && (strchr("0123456789!?.*#@$", lower[n - 1]) != NULL))
		n--;
	return n > 0 && n < s.len && common_exact(lower, n);
}

bool mh_auth_password_acceptable(struct mh_str password, struct mh_str email, struct mh_buf *why)
{
	if (password.len > MH_PASSWORD_MAX_BYTES) {
		set_why(why, "The password is too long: at most 1024 bytes.");
		return false;
	}
	size_t chars = 0;
	const unsigned char *p = (const unsigned char *)password.ptr;
	for (size_t i = 0; i < password.len;) {
		uint32_t cp;
		size_t n = mh_utf8_decode(p + i, password.len - i, &cp);
		if (n == 0) {
			set_why(why, "The password is not valid UTF-8 text.");
			return false;
		}
		if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
			set_why(why, "The password holds a control character (a tab, a line break, ...).");
			return false;
		}
		i += n;
		chars++;
	}
	if (chars < MH_PASSWORD_MIN_CHARS) {
		set_why(why, "The password is too short: use at least 10 characters (a few words make a good one).");
		return false;
	}
	if (mh_auth_password_is_common(password)) {
		set_why(why, "This password is one of the most common ones, which are tried first: choose another.");
		return false;
	}
	const char *at = memchr(email.ptr == NULL ? "" : email.ptr, '@', email.len);
	struct mh_str local = at == NULL ? email : (struct mh_str){ email.ptr, (size_t)(at - email.ptr) };
	if ((email.len > 0 && password.len == email.len && strncasecmp(password.ptr, email.ptr, email.len) == 0) ||
	    (local.len > 0 && password.len == local.len && strncasecmp(password.ptr, local.ptr, local.len) == 0)) {
		set_why(why, "The password must not be the account's email address.");
		return false;
	}
	return true;
}

bool mh_auth_password_hash(struct mh_str password, struct mh_buf *b)
{
	char out[crypto_pwhash_STRBYTES];
	if (crypto_pwhash_str(out, password.ptr == NULL ? "" : password.ptr, password.len, OPSLIMIT, MEMLIMIT) != 0)
		return false;
	mh_buf_reset(b);
	mh_buf_append_c(b, out);
	sodium_memzero(out, sizeof out);
	return true;
}

bool mh_auth_password_verify(const char *hash, struct mh_str password)
{
	if (hash == NULL || strlen(hash) >= crypto_pwhash_STRBYTES || strncmp(hash, "$argon2id$", 10) != 0)
		return false;
	return crypto_pwhash_str_verify(hash, password.ptr == NULL ? "" : password.ptr, password.len) == 0;
}

bool mh_auth_password_needs_rehash(const char *hash)
{
	if (hash == NULL || strlen(hash) >= crypto_pwhash_STRBYTES)
		return true;
	return crypto_pwhash_str_needs_rehash(hash, OPSLIMIT, MEMLIMIT) != 0;
}

void mh_auth_password_generate(struct mh_buf *b)
{
	/* no 0/o, 1/l/i: read aloud or copied by hand without mistakes */
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
	mh_buf_reset(b);
	for (int g = 0; g < 5; g++) {
		if (g > 0)
			mh_buf_append_ch(b, '-');
		for (int i = 0; i < 5; i++)
			mh_buf_append_ch(b, alphabet[randombytes_uniform(sizeof alphabet - 1)]);
	}
}
