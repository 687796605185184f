/* auth: roles, password rules and hashing, tokens, CSRF tokens and signed,
 * expiring values. Real libsodium throughout. */
#include <criterion/criterion.h>
#include <string.h>

#include "auth/auth.h"

static void setup(void)
{
	cr_assert(mh_auth_init());
}

TestSuite(auth, .init = setup);

#define S(lit) MH_STR(lit)

static bool acceptable(const char *pw, const char *email, struct mh_buf *why)
{
	return mh_auth_password_acceptable(mh_str_c(pw), mh_str_c(email), why);
}

Test(auth, roles_names_round_trip)
{
	for (int r = MH_ROLE_CONTRIBUTOR; r <= MH_ROLE_OWNER; r++) {
		enum mh_role got;
		cr_assert(mh_role_parse(mh_str_c(mh_role_name((enum mh_role)r)), &got));
		cr_assert_eq((int)got, r);
	}
	enum mh_role x;
	cr_assert_not(mh_role_parse(S("admin"), &x));
	cr_assert_not(mh_role_parse(S("Owner"), &x));
	cr_assert_not(mh_role_parse(S(""), &x));
}

Test(auth, roles_permissions_as_news_desks_use_them)
{
	/* contributor: own drafts only */
	cr_assert(mh_role_may(MH_ROLE_CONTRIBUTOR, MH_PERM_WRITE_OWN));
	cr_assert_not(mh_role_may(MH_ROLE_CONTRIBUTOR, MH_PERM_PUBLISH_OWN));
	cr_assert_not(mh_role_may(MH_ROLE_CONTRIBUTOR, MH_PERM_EDIT_ANY));
	/* author: publishes their own, nobody else's */
	cr_assert(mh_role_may(MH_ROLE_AUTHOR, MH_PERM_PUBLISH_OWN));
	cr_assert_not(mh_role_may(MH_ROLE_AUTHOR, MH_PERM_EDIT_ANY));
	cr_assert_not(mh_role_may(MH_ROLE_AUTHOR, MH_PERM_CURATE));
	/* editor: every article, curation, moderation; not users or settings */
	cr_assert(mh_role_may(MH_ROLE_EDITOR, MH_PERM_EDIT_ANY));
	cr_assert(mh_role_may(MH_ROLE_EDITOR, MH_PERM_CURATE));
	cr_assert(mh_role_may(MH_ROLE_EDITOR, MH_PERM_MODERATE));
	cr_assert_not(mh_role_may(MH_ROLE_EDITOR, MH_PERM_MANAGE_USERS));
	cr_assert_not(mh_role_may(MH_ROLE_EDITOR, MH_PERM_SETTINGS));
	/* owner: everything */
	cr_assert(mh_role_may(MH_ROLE_OWNER, MH_PERM_MANAGE_USERS));
	cr_assert(mh_role_may(MH_ROLE_OWNER, MH_PERM_SETTINGS));
	/* out of range is refused, never allowed */
	cr_assert_not(mh_role_may((enum mh_role)7, MH_PERM_WRITE_OWN));
	cr_assert_not(mh_role_may(MH_ROLE_OWNER, (enum mh_permission)99));
}

Test(auth, password_rules)
{
	struct mh_buf why = MH_BUF_INIT;
	cr_assert(acceptable("correct horse battery", "mara@example.org", &why));
	cr_assert_not(acceptable("short1!", "mara@example.org", &why));
	cr_assert(strstr(mh_buf_cstr(&why), "at least 10") != NULL, "%s", why.ptr);
	/* ten code points, fewer than... more bytes: counted as characters */
	cr_assert(acceptable("\xc3\xa9t\xc3\xa9-\xc3\xa0-Li\xc3\xa8ge", "x@example.org", &why), "%s", why.ptr);
	cr_assert_not(acceptable("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "x@example.org", &why)); /* 5 chars, 10 bytes */
	/* the commonest passwords, in any case and with digits added */
	cr_assert_not(acceptable("1234567890", "x@example.org", &why));
	cr_assert(strstr(mh_buf_cstr(&why), "most common") != NULL, "%s", why.ptr);
	cr_assert_not(acceptable("PASSWORD2026!", "x@example.org", &why));
	cr_assert_not(acceptable("qwertyuiop", "x@example.org", &why));
	/* the account's email, or its local part */
	cr_assert_not(acceptable("mara.kestrel@example.org", "Mara.Kestrel@example.org", &why));
	cr_assert(strstr(mh_buf_cstr(&why), "email") != NULL, "%s", why.ptr);
	cr_assert_not(acceptable("mara.kestrel", "mara.kestrel@example.org", &why));
	/* control characters and bad UTF-8 */
	cr_assert_not(acceptable("tab\there is bad", "x@example.org", &why));
	cr_assert_not(mh_auth_password_acceptable((struct mh_str){ "abcdefghij\0kl", 13 }, S("x@y"), &why));
	cr_assert_not(acceptable("abcdefghij\xff", "x@example.org", &why));
	cr_assert(strstr(mh_buf_cstr(&why), "UTF-8") != NULL);
	/* too long: bounded work for a login */
	char big[MH_PASSWORD_MAX_BYTES + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	cr_assert_not(acceptable(big, "x@example.org", &why));
	big[MH_PASSWORD_MAX_BYTES] = 0;
	cr_assert(acceptable(big, "x@example.org", &why));
	mh_buf_free(&why);
}

Test(auth, common_list_is_loaded_and_searched)
{
	cr_assert(mh_auth_password_is_common(S("123456")));
	cr_assert(mh_auth_password_is_common(S("password")));
	cr_assert(mh_auth_password_is_common(S("Password")));
	cr_assert(mh_auth_password_is_common(S("letmein")));
	cr_assert(mh_auth_password_is_common(S("letmein99")));
	cr_assert_not(mh_auth_password_is_common(S("ferry timetable corran")));
	cr_assert_not(mh_auth_password_is_common(S("")));
	cr_assert_not(mh_auth_password_is_common(S("99")));
}

Test(auth, hash_and_verify)
{
	struct mh_buf h = MH_BUF_INIT;
	cr_assert(mh_auth_password_hash(S("correct horse battery"), &h));
	const char *hash = mh_buf_cstr(&h);
	cr_assert(strncmp(hash, "$argon2id$", 10) == 0, "%s", hash);
	cr_assert(mh_auth_password_verify(hash, S("correct horse battery")));
	cr_assert_not(mh_auth_password_verify(hash, S("correct horse batterY")));
	cr_assert_not(mh_auth_password_verify(hash, S("")));
	cr_assert_not(mh_auth_password_needs_rehash(hash));
	/* salted: the same password hashes differently */
	struct mh_buf h2 = MH_BUF_INIT;
	cr_assert(mh_auth_password_hash(S("correct horse battery"), &h2));
	cr_assert_str_neq(hash, mh_buf_cstr(&h2));
	/* malformed or foreign hashes never verify */
	cr_assert_not(mh_auth_password_verify(NULL, S("x")));
	cr_assert_not(mh_auth_password_verify("", S("")));
	cr_assert_not(mh_auth_password_verify("$argon2i$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA", S("x")));
	cr_assert(mh_auth_password_needs_rehash("$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo"));
	mh_buf_free(&h);
	mh_buf_free(&h2);
}

Test(auth, generated_passwords_meet_the_rules)
{
	struct mh_buf pw = MH_BUF_INIT, prev = MH_BUF_INIT, why = MH_BUF_INIT;
	for (int i = 0; i < 50; i++) {
		mh_auth_password_generate(&pw);
		cr_assert_eq(pw.len, 29, "%s", mh_buf_cstr(&pw));
		cr_assert(mh_auth_password_acceptable(mh_buf_str(&pw), S("a@b.c"), &why), "%s", why.ptr);
		cr_assert_str_neq(mh_buf_cstr(&pw), mh_buf_cstr(&prev));
		mh_buf_reset(&prev);
		mh_buf_append_str(&prev, mh_buf_str(&pw));
	}
	mh_buf_free(&pw);
	mh_buf_free(&prev);
	mh_buf_free(&why);
}

Test(auth, tokens)
{
	char a[MH_TOKEN_CHARS + 1], b[MH_TOKEN_CHARS + 1];
	mh_auth_token_new(a);
	mh_auth_token_new(b);
	cr_assert_eq(strlen(a), MH_TOKEN_CHARS);
	cr_assert_str_neq(a, b);
	cr_assert(mh_auth_token_valid(mh_str_c(a)));
	cr_assert_not(mh_auth_token_valid(S("short")));
	char bad[MH_TOKEN_CHARS + 1];
	memcpy(bad, a, sizeof bad);
	bad[5] = '=';
	cr_assert_not(mh_auth_token_valid(mh_str_c(bad)));
	char ha[MH_TOKEN_HASH_CHARS + 1], ha2[MH_TOKEN_HASH_CHARS + 1], hb[MH_TOKEN_HASH_CHARS + 1];
	mh_auth_token_hash(mh_str_c(a), ha);
	mh_auth_token_hash(mh_str_c(a), ha2);
	mh_auth_token_hash(mh_str_c(b), hb);
	cr_assert_eq(strlen(ha), MH_TOKEN_HASH_CHARS);
	cr_assert_str_eq(ha, ha2);
	cr_assert_str_neq(ha, hb);
	cr_assert(strstr(ha, a) == NULL);
	/* BLAKE2b-256 of "abc" (RFC 7693's test input, 32-byte output) */
	char abc[MH_TOKEN_HASH_CHARS + 1];
	mh_auth_token_hash(S("abc"), abc);
	cr_assert_str_eq(abc, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

static struct mh_auth_key key_of(char fill)
{
	char hex[65];
	memset(hex, fill, 64);
	hex[64] = 0;
	struct mh_auth_key k;
	cr_assert(mh_auth_key_from_hex(mh_str_c(hex), &k));
	return k;
}

Test(auth, keys)
{
	struct mh_buf hex = MH_BUF_INIT;
	mh_auth_key_generate_hex(&hex);
	cr_assert_eq(hex.len, 64);
	struct mh_auth_key k;
	cr_assert(mh_auth_key_from_hex(mh_buf_str(&hex), &k));
	cr_assert_not(mh_auth_key_from_hex(S("abcd"), &k));
	cr_assert_not(mh_auth_key_from_hex(S("zz00000000000000000000000000000000000000000000000000000000000000"), &k));
	mh_buf_free(&hex);
}

Test(auth, csrf_tokens)
{
	struct mh_auth_key k1 = key_of('1'), k2 = key_of('2');
	struct mh_buf t = MH_BUF_INIT, t2 = MH_BUF_INIT;
	mh_auth_csrf_token(&k1, S("session-a"), &t);
	mh_auth_csrf_token(&k1, S("session-a"), &t2);
	cr_assert_str_eq(mh_buf_cstr(&t), mh_buf_cstr(&t2)); /* stable per session */
	cr_assert(mh_auth_csrf_check(&k1, S("session-a"), mh_buf_str(&t)));
	cr_assert_not(mh_auth_csrf_check(&k1, S("session-b"), mh_buf_str(&t)));
	cr_assert_not(mh_auth_csrf_check(&k2, S("session-a"), mh_buf_str(&t)));
	cr_assert_not(mh_auth_csrf_check(&k1, S("session-a"), S("")));
	struct mh_str cut = mh_buf_str(&t);
	cut.len--;
	cr_assert_not(mh_auth_csrf_check(&k1, S("session-a"), cut));
	mh_buf_free(&t);
	mh_buf_free(&t2);
}

Test(auth, signed_values_expire_and_keep_their_purpose)
{
	struct mh_auth_key k = key_of('a'), other = key_of('b');
	struct mh_buf s = MH_BUF_INIT;
	mh_auth_sign(&k, "reset", S("42"), 1000, &s);
	struct mh_str v;
	int64_t exp;
	cr_assert_eq(mh_auth_verify(&k, "reset", mh_buf_str(&s), 999, &v, &exp), MH_SIGNED_OK);
	cr_assert(mh_str_eq_c(v, "42"));
	cr_assert_eq(exp, 1000);
	cr_assert_eq(mh_auth_verify(&k, "reset", mh_buf_str(&s), 1000, &v, &exp), MH_SIGNED_EXPIRED);
	cr_assert_eq(mh_auth_verify(&k, "confirm", mh_buf_str(&s), 999, &v, &exp), MH_SIGNED_BAD);
	cr_assert_eq(mh_auth_verify(&other, "reset", mh_buf_str(&s), 999, &v, &exp), MH_SIGNED_BAD);
	/* tampering with the value or the time breaks the MAC */
	const char *orig = mh_buf_cstr(&s);
	char *t = strdup(orig);
	t[0] = '3';
	cr_assert_eq(mh_auth_verify(&k, "reset", mh_str_c(t), 999, &v, &exp), MH_SIGNED_BAD);
	free(t);
	struct mh_buf later = MH_BUF_INIT;
	mh_buf_printf(&later, "42.9999%s", strchr(orig + 3, '.'));
	cr_assert_eq(mh_auth_verify(&k, "reset", mh_buf_str(&later), 999, &v, &exp), MH_SIGNED_BAD);
	mh_buf_reset(&later);
	mh_buf_printf(&later, "42.01000%s", strchr(orig + 3, '.'));
	cr_assert_eq(mh_auth_verify(&k, "reset", mh_buf_str(&later), 999, &v, &exp), MH_SIGNED_BAD);
	/* malformed input */
	const char *bad[] = { "", ".", "..", "42", "42.1000", "42.x." "0123456789012345678901234567890123456789012",
			      "a.b.1000.0123456789012345678901234567890123456789012" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(mh_auth_verify(&k, "reset", mh_str_c(bad[i]), 0, &v, &exp), MH_SIGNED_BAD, "%s", bad[i]);
	/* an empty value is a value */
	mh_auth_sign(&k, "x", S(""), 50, &s);
	cr_assert_eq(mh_auth_verify(&k, "x", mh_buf_str(&s), 1, &v, &exp), MH_SIGNED_OK);
	cr_assert_eq(v.len, 0);
	mh_buf_free(&s);
	mh_buf_free(&later);
}
