/*
 * Roles, random tokens and keyed MACs. Tokens are libsodium's randombytes in
 * base64url; their stored form is a BLAKE2b hash; MACs are crypto_auth
 * (HMAC-SHA-512-256) over a purpose label and the value, compared in
 * constant time.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"

bool mh_auth_init(void)
{
	return sodium_init() >= 0; /* 1 = already done, also fine */
}

/* ---- roles ---- */

static const char *const role_names[] = { "contributor", "author", "editor", "owner" };

const char *mh_role_name(enum mh_role r)
{
	return (unsigned)r < sizeof role_names / sizeof role_names[0] ? role_names[r] : "?";
}

bool mh_role_parse(struct mh_str s, enum mh_role *out)
{
	for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
		if (mh_str_eq_c(s, role_names[i])) {
			*out = (enum mh_role)i;
			return true;
		}
	return false;
}

bool mh_role_may(enum mh_role r, enum mh_permission p)
{
	/* the least role holding each permission */
	static const enum mh_role least[] = {
		[MH_PERM_WRITE_OWN] = MH_ROLE_CONTRIBUTOR,
		[MH_PERM_PUBLISH_OWN] = MH_ROLE_AUTHOR,
		[MH_PERM_EDIT_ANY] = MH_ROLE_EDITOR,
		[MH_PERM_CURATE] = MH_ROLE_EDITOR,
		[MH_PERM_MODERATE] = MH_ROLE_EDITOR,
		[MH_PERM_MANAGE_USERS] = MH_ROLE_OWNER,
		[MH_PERM_SETTINGS] = MH_ROLE_OWNER,
	};
	if ((unsigned)p >= sizeof least / sizeof least[0] || (unsigned)r > MH_ROLE_OWNER)
		return false;
	return r >= least[p];
}

/* ---- tokens ---- */

static void base64url(const unsigned char *p, size_t n, char *out, size_t out_size)
{
	sodium_bin2base64(out, out_size, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void mh_auth_token_new(char out[MH_TOKEN_CHARS + 1])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	base64url(raw, sizeof raw, out, MH_TOKEN_CHARS + 1);
	sodium_memzero(raw, sizeof raw);
}

bool mh_auth_token_valid(struct mh_str s)
{
	if (s.len != MH_TOKEN_CHARS)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

void mh_auth_token_hash(struct mh_str token, char out[MH_TOKEN_HASH_CHARS + 1])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)token.ptr, token.len, NULL, 0);
	sodium_bin2hex(out, MH_TOKEN_HASH_CHARS + 1, h, sizeof h);
}

/* ---- keys and MACs ---- */

bool mh_auth_key_from_hex(struct mh_str hex, struct mh_auth_key *out)
{
	size_t got = 0;
	const char *end = NULL;
	if (hex.len != 2 * MH_AUTH_KEY_BYTES)
		return false;
	if (sodium_hex2bin(out->k, sizeof out->k, hex.ptr, hex.len, NULL, &got, &end) != 0)
		return false;
	return got == MH_AUTH_KEY_BYTES && end == hex.ptr + hex.len;
}

void mh_auth_key_generate_hex(struct mh_buf *b)
{
	unsigned char k[MH_AUTH_KEY_BYTES];
	char hex[2 * MH_AUTH_KEY_BYTES + 1];
	randombytes_buf(k, sizeof k);
	sodium_bin2hex(hex, sizeof hex, k, sizeof k);
	mh_buf_reset(b);
	mh_buf_append_c(b, hex);
	sodium_memzero(k, sizeof k);
}

/* MAC over "purpose\0value\0expires": the NULs keep ("a", "b.c") and
 * ("a.b", "c") apart. */
static void mac(const struct mh_auth_key *key, const char *purpose, struct mh_str value, int64_t expires,
		unsigned char out[crypto_auth_BYTES])
{
	crypto_auth_hmacsha512256_state st;
	char exp[24];
	int n = snprintf(exp, sizeof exp, "%lld", (long long)expires);
	crypto_auth_hmacsha512256_init(&st, key->k, sizeof key->k);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)purpose, strlen(purpose) + 1);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)value.ptr, value.len);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)"", 1);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)exp, (size_t)n);
	crypto_auth_hmacsha512256_final(&st, out);
}

#define MAC_CHARS 43 /* 32 bytes in base64url without padding */

void mh_auth_csrf_token(const struct mh_auth_key *key, struct mh_str session_hash, struct mh_buf *b)
{
	unsigned char m[crypto_auth_BYTES];
	char out[MAC_CHARS + 1];
	mac(key, "csrf", session_hash, 0, m);
	base64url(m, sizeof m, out, sizeof out);
	mh_buf_reset(b);
	mh_buf_append_c(b, out);
}

bool mh_auth_csrf_check(const struct mh_auth_key *key, struct mh_str session_hash, struct mh_str token)
{
	if (token.len != MAC_CHARS)
		return false;
	unsigned char m[crypto_auth_BYTES];
	char want[MAC_CHARS + 1];
	mac(key, "csrf", session_hash, 0, m);
	base64url(m, sizeof m, want, sizeof want);
	return sodium_memcmp(want, token.ptr, MAC_CHARS) == 0;
}

void mh_auth_sign(const struct mh_auth_key *key, const char *purpose, struct mh_str value, int64_t expires,
		  struct mh_buf *b)
{
	MH_ASSERT(memchr(value.ptr == NULL ? "" : value.ptr, '.', value.len) == NULL);
	unsigned char m[crypto_auth_BYTES];
	char out[MAC_CHARS + 1];
	mac(key, purpose, value, expires, m);
	base64url(m, sizeof m, out, sizeof out);
	mh_buf_reset(b);
	mh_buf_append_str(b, value);
	mh_buf_printf(b, ".%lld.%s", (long long)expires, out);
}

enum mh_auth_signed mh_auth_verify(const struct mh_auth_key *key, const char *purpose, struct mh_str s, int64_t now,
				   struct mh_str *value, int64_t *expires)
{
	/* VALUE.EXPIRES.MAC: the MAC is the last MAC_CHARS, the expiry the
	 * digits before it, the value everything before that */
	if (s.len < MAC_CHARS + 3 || s.ptr[s.len - MAC_CHARS - 1] != '.')
		return MH_SIGNED_BAD;
	struct mh_str mac_s = { s.ptr + s.len - MAC_CHARS, MAC_CHARS };
	struct mh_str head = { s.ptr, s.len - MAC_CHARS - 1 };
	const char *dot = NULL;
	for (size_t i = head.len; i > 0; i--)
		if (head.ptr[i - 1] == '.') {
			dot = head.ptr + i - 1;
			break;
		}
	if (dot == NULL)
		return MH_SIGNED_BAD;
	struct mh_str v = { head.ptr, (size_t)(dot - head.ptr) };
	struct mh_str exp_s = { dot + 1, (size_t)(head.ptr + head.len - dot - 1) };
	int64_t exp;
	if (exp_s.len == 0 || exp_s.len > 19 || exp_s.ptr[0] == '-' || exp_s.ptr[0] == '+' ||
	    (exp_s.ptr[0] == '0' && exp_s.len > 1) ||
	    !mh_str_to_i64(exp_s, &exp) || memchr(v.ptr, '.', v.len) != NULL)
		return MH_SIGNED_BAD;
	unsigned char m[crypto_auth_BYTES];
	char want[MAC_CHARS + 1];
	mac(key, purpose, v, exp, m);
	base64url(m, sizeof m, want, sizeof want);
	if (sodium_memcmp(want, mac_s.ptr, MAC_CHARS) != 0)
		return MH_SIGNED_BAD;
	*value = v;
	*expires = exp;
	return now < exp ? MH_SIGNED_OK : MH_SIGNED_EXPIRED;
}
