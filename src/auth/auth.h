/*
 * auth: the newsroom's accounts without the database — roles and what each
 * may do, password rules and hashing (argon2id through libsodium), random
 * tokens (sessions, reset links) stored only as their hash, and keyed MACs
 * for CSRF tokens and signed, expiring values. Pure: uses util/ and
 * libsodium only. Memory: results go into caller buffers; nothing is kept.
 * mh_auth_init() must have run (it calls sodium_init) before anything else.
 */
#ifndef MH_AUTH_H
#define MH_AUTH_H

#include "util/util.h"

/* False if libsodium cannot start (no randomness source). Idempotent and
 * thread-safe. */
bool mh_auth_init(void);

/* [auth] in site.ini (settings.c); every field is a row there. */
struct mh_auth_settings {
	int session_idle_hours;     /* a session unused this long ends */
	int session_max_days;       /* absolute lifetime of a session */
	int login_attempts_address; /* burst of login attempts per client address */
	int login_attempts_account; /* burst per account and client address */
	int login_refill_seconds;   /* one attempt comes back every this many seconds */
};
extern const struct mh_settings_table mh_auth_settings_table;

/* ---- roles, as news desks use them; higher includes lower ---- */
enum mh_role {
	MH_ROLE_CONTRIBUTOR = 0, /* own drafts, submits them for review */
	MH_ROLE_AUTHOR,          /* own articles, may publish them */
	MH_ROLE_EDITOR,          /* every article, sections, tags, Staff Picks, comments */
	MH_ROLE_OWNER,           /* everything: users and site settings too */
};
const char *mh_role_name(enum mh_role r); /* "contributor", ... */
bool mh_role_parse(struct mh_str s, enum mh_role *out);

enum mh_permission {
	MH_PERM_WRITE_OWN,      /* create articles and edit one's own drafts */
	MH_PERM_PUBLISH_OWN,    /* publish, schedule and unpublish one's own */
	MH_PERM_EDIT_ANY,       /* edit, publish and schedule anyone's */
	MH_PERM_CURATE,         /* sections, tags, Staff Picks */
	MH_PERM_MODERATE,       /* comments */
	MH_PERM_MANAGE_USERS,   /* invite, change roles, disable */
	MH_PERM_SETTINGS,       /* site settings */
};
bool mh_role_may(enum mh_role r, enum mh_permission p);

/* ---- passwords ---- */
#define MH_PASSWORD_MIN_CHARS 10   /* code points */
#define MH_PASSWORD_MAX_BYTES 1024 /* bounds the work a login can ask for */
/* The rules a new password must meet: MH_PASSWORD_MIN_CHARS code points or
 * more, at most MH_PASSWORD_MAX_BYTES bytes, valid UTF-8 without control
 * characters, not one of the commonest passwords (Openwall's list, as
 * Debian's john-data ships it; compared case-insensitively, and also with
 * trailing digits removed), and not the account's email or its local part.
 * False with a sentence a person can act on in why (replaced). */
bool mh_auth_password_acceptable(struct mh_str password, struct mh_str email, struct mh_buf *why);
/* True if s (any case) is on the commonest-passwords list. */
bool mh_auth_password_is_common(struct mh_str s);
/* The argon2id hash string (libsodium's crypto_pwhash_str, with its
 * "interactive" limits: 64 MiB, 2 passes) into b (replaced). False if the
 * memory could not be had; the password is not checked against the rules. */
bool mh_auth_password_hash(struct mh_str password, struct mh_buf *b);
/* True if password matches hash (a string from mh_auth_password_hash).
 * False for a malformed hash, too. */
bool mh_auth_password_verify(const char *hash, struct mh_str password);
/* True when hash was made with other limits than today's: rehash it on the
 * next successful login. */
bool mh_auth_password_needs_rehash(const char *hash);
/* A random password that meets the rules: 5 groups of 5 letters and digits
 * (about 124 bits), "xxxxx-xxxxx-xxxxx-xxxxx-xxxxx", into b (replaced). */
void mh_auth_password_generate(struct mh_buf *b);

/* ---- tokens: 256 random bits, given out once, stored as their hash ---- */
#define MH_TOKEN_CHARS 43      /* base64url, no padding */
#define MH_TOKEN_HASH_CHARS 64 /* lower-case hex of a 256-bit BLAKE2b */
/* A new token into out (NUL-terminated). */
void mh_auth_token_new(char out[MH_TOKEN_CHARS + 1]);
/* True if s has a token's shape (43 base64url characters). */
bool mh_auth_token_valid(struct mh_str s);
/* The hash a token is stored and looked up by (NUL-terminated hex): a
 * database leak then gives no usable session or reset link. */
void mh_auth_token_hash(struct mh_str token, char out[MH_TOKEN_HASH_CHARS + 1]);

/* ---- keyed MACs (HMAC-SHA-512-256) with a site secret ---- */
#define MH_AUTH_KEY_BYTES 32
struct mh_auth_key {
	unsigned char k[MH_AUTH_KEY_BYTES];
};
/* Parses a key from 64 hex digits; false on anything else. */
bool mh_auth_key_from_hex(struct mh_str hex, struct mh_auth_key *out);
/* A new random key as 64 hex digits into b (replaced). */
void mh_auth_key_generate_hex(struct mh_buf *b);
/* The CSRF token of a session (synchronizer pattern, derived so that nothing
 * more is stored): a MAC of the session's token hash, base64url, into b
 * (replaced). The same session always gets the same token. */
void mh_auth_csrf_token(const struct mh_auth_key *key, struct mh_str session_hash, struct mh_buf *b);
/* Compares in constant time; false when the token is absent or wrong. */
bool mh_auth_csrf_check(const struct mh_auth_key *key, struct mh_str session_hash, struct mh_str token);
/* A signed value that stops being valid at expires (unix seconds):
 * "VALUE.EXPIRES.MAC" into b (replaced); value must not contain '.'.
 * purpose keeps a value signed for one use (a reset link) from passing
 * for another (a newsletter confirmation). */
void mh_auth_sign(const struct mh_auth_key *key, const char *purpose, struct mh_str value, int64_t expires,
		  struct mh_buf *b);
enum mh_auth_signed {
	MH_SIGNED_OK = 0,
	MH_SIGNED_BAD,     /* malformed, or not signed by this key for this purpose */
	MH_SIGNED_EXPIRED, /* genuine, but past its time */
};
/* Checks a string from mh_auth_sign at time now; on MH_SIGNED_OK (and
 * MH_SIGNED_EXPIRED) sets *value (pointing into s) and *expires. */
enum mh_auth_signed mh_auth_verify(const struct mh_auth_key *key, const char *purpose, struct mh_str s, int64_t now,
				   struct mh_str *value, int64_t *expires);

#endif
