/*
 * masthead user: the newsroom's accounts from the command line — add,
 * list, passwd, role, disable, and reset (a one-time link to set a new
 * password, printed until the site sends mail). Passwords come from
 * standard input when it is not a terminal, are asked for without echo on
 * a terminal, or are generated (--generate) and printed once.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

#define RESET_LINK_HOURS 24

static void user_usage(FILE *f)
{
	fprintf(f, "usage: masthead user COMMAND [--site DIR] ...\n\n"
		   "  add EMAIL --name NAME --role ROLE [--author SLUG] [--generate]\n"
		   "                        a new account; ROLE: contributor, author, editor, owner;\n"
		   "                        --author links the account to an author's byline\n"
		   "  list                  every account: email, role, name, state\n"
		   "  passwd EMAIL [--generate]  a new password (the account's sessions end)\n"
		   "  role EMAIL ROLE       another role\n"
		   "  disable EMAIL         no more logins; the account's sessions end\n"
		   "  reset EMAIL           a one-time link, valid 24 hours, to set a new password: mailed\n"
		   "                        when [mail] smtp_url is set, else printed\n"
		   "  --site DIR            the site folder (default: the current folder)\n"
		   "The password is read from standard input (one line) when it is not a terminal,\n"
		   "asked for twice without echo on a terminal, or made up and printed with --generate.\n"
		   "It needs %d characters or more and must not be one of the commonest passwords.\n",
		MH_PASSWORD_MIN_CHARS);
}

/* One line from f without its line ending; false at EOF before any byte. */
static bool read_line(FILE *f, struct mh_buf *out)
{
	mh_buf_reset(out);
	int c;
	bool any = false;
	while ((c = fgetc(f)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		mh_buf_append_ch(out, (char)c);
	}
	if (out->len > 0 && out->ptr[out->len - 1] == '\r')
		out->len--;
	return any;
}

/* Asks on the terminal without echo. */
static bool ask_hidden(const char *prompt, struct mh_buf *out)
{
	FILE *tty = fopen("/dev/tty", "r+");
	if (tty == NULL)
		return false;
	struct termios old, quiet;
	bool restore = tcgetattr(fileno(tty), &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	fputs(prompt, tty);
	fflush(tty);
	bool ok = read_line(tty, out);
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	return ok;
}

int mh_cli_read_password(const char *email, bool generate, struct mh_buf *out, struct mh_buf *err)
{
	mh_buf_reset(out);
	if (generate) {
		mh_auth_password_generate(out);
		return 0;
	}
	if (!isatty(STDIN_FILENO)) {
		if (!read_line(stdin, out) || out->len == 0) {
			mh_buf_printf(err, "password: expected one line on standard input (or use --generate)");
			return 2;
		}
	} else {
		struct mh_buf again = MH_BUF_INIT;
		bool ok = ask_hidden("Password: ", out) && ask_hidden("Password again: ", &again);
		bool same = ok && again.len == out->len && memcmp(again.ptr, out->ptr, out->len) == 0;
		mh_buf_free(&again);
		if (!ok) {
			mh_buf_printf(err, "password: could not read it from the terminal");
			return 1;
		}
		if (!same) {
			mh_buf_printf(err, "password: the two passwords differ; nothing was changed");
			return 2;
		}
	}
	struct mh_buf why = MH_BUF_INIT;
	if (!mh_auth_password_acceptable(mh_buf_str(out), mh_str_c(email), &why)) {
		mh_buf_printf(err, "password: %s", mh_buf_cstr(&why));
		mh_buf_free(&why);
		return 2;
	}
	mh_buf_free(&why);
	return 0;
}

static int store_problem(enum mh_store_rc rc, struct mh_buf *err)
{
	if (rc == MH_INVALID || rc == MH_CONFLICT)
		return 1;
	if (err->len == 0)
		mh_buf_printf(err, "the database did not answer");
	return 1;
}

int mh_cli_user_create(struct mh_store *s, const char *email, const char *name, const char *role,
		       const char *author_slug, struct mh_str password, struct mh_buf *err)
{
	struct mh_user u = { .email = email, .name = name };
	if (!mh_role_parse(mh_str_c(role), &u.role)) {
		mh_buf_printf(err, "--role: expected contributor, author, editor or owner, got '%s'", role);
		return 2;
	}
	if (name == NULL || name[0] == '\0') {
		mh_buf_printf(err, "--name: required (the person's name as colleagues see it)");
		return 2;
	}
	struct mh_arena *a = mh_arena_new();
	int rc = 0;
	if (author_slug != NULL) {
		struct mh_author *au = NULL;
		enum mh_store_rc r = mh_store_author_by_slug(s, a, mh_str_c(author_slug), &au);
		if (r == MH_NOT_FOUND) {
			mh_buf_printf(err, "--author: no author with slug '%s' (see 'masthead author list')", author_slug);
			rc = 1;
			goto out;
		}
		if (r != MH_OK) {
			rc = store_problem(r, err);
			goto out;
		}
		u.author_id = au->id;
	}
	struct mh_buf hash = MH_BUF_INIT;
	if (!mh_auth_password_hash(password, &hash)) {
		mh_buf_printf(err, "password: could not be hashed (out of memory)");
		mh_buf_free(&hash);
		rc = 1;
		goto out;
	}
	u.password_hash = mh_buf_cstr(&hash);
	enum mh_store_rc r = mh_store_user_save(s, &u, err);
	mh_buf_free(&hash);
	if (r != MH_OK)
		rc = store_problem(r, err);
out:
	mh_arena_free(a);
	return rc;
}

/* The account named on the command line, or 1 with a message. */
static int find_user(struct mh_store *s, struct mh_arena *a, const char *email, struct mh_user **u,
		     struct mh_buf *err)
{
	enum mh_store_rc r = mh_store_user_by_email(s, a, mh_str_c(email), u);
	if (r == MH_NOT_FOUND) {
		mh_buf_printf(err, "EMAIL: no account '%s' (see 'masthead user list')", email);
		return 1;
	}
	return r == MH_OK ? 0 : store_problem(r, err);
}

static int list_users(struct mh_store *s, struct mh_buf *err)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_user *us = NULL;
	size_t n = 0;
	enum mh_store_rc r = mh_store_users(s, a, &us, &n);
	int rc = r == MH_OK ? 0 : store_problem(r, err);
	for (size_t i = 0; i < n && rc == 0; i++)
		printf("%s\t%s\t%s\t%s\n", us[i].email, mh_role_name(us[i].role), us[i].name,
		       us[i].disabled ? "disabled" : "active");
	if (rc == 0 && n == 0)
		fprintf(stderr, "no accounts yet: add one with 'masthead user add EMAIL --name NAME --role owner'\n");
	mh_arena_free(a);
	return rc;
}

static int reset_link(struct mh_store *s, const struct mh_config *cfg, const char *email, struct mh_buf *err)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_user *u = NULL;
	int rc = find_user(s, a, email, &u, err);
	if (rc == 0 && u->disabled) {
		mh_buf_printf(err, "EMAIL: the account '%s' is disabled; a reset link would not let it in", email);
		rc = 1;
	}
	if (rc == 0) {
		char token[MH_TOKEN_CHARS + 1], hash[MH_TOKEN_HASH_CHARS + 1];
		mh_auth_token_new(token);
		mh_auth_token_hash(mh_str_c(token), hash);
		int64_t expires = mh_time_now() + RESET_LINK_HOURS * 3600;
		enum mh_store_rc r = mh_store_auth_token_add(s, hash, u->id, "reset", expires);
		const char *url = mh_arena_printf(a, "%s/admin/reset?token=%s", cfg->site.base_url, token);
		if (r != MH_OK) {
			rc = store_problem(r, err);
		} else if (mh_mail_enabled(&cfg->mail)) {
			/* [mail] smtp_url set: the link goes to the account's inbox only */
			struct mh_buf why = MH_BUF_INIT;
			enum mh_mail_result mr = MH_MAIL_REFUSED;
			if (mh_cli_mail_setup(cfg, &why) == 0)
				mr = mh_newsletter_mail_link(u->email, "reset", url, RESET_LINK_HOURS, NULL, &why);
			mh_cli_mail_teardown();
			if (mr == MH_MAIL_SENT) {
				printf("a reset link (one use, valid %d hours) was mailed to %s\n", RESET_LINK_HOURS,
				       u->email);
			} else {
				mh_buf_printf(err, "the reset mail to %s was not sent (%s: %s); the link is unused",
					      u->email, mh_mail_result_name(mr), mh_buf_cstr(&why));
				rc = 1;
			}
			mh_buf_free(&why);
		} else {
			printf("%s\n(one use, valid %d hours)\n", url, RESET_LINK_HOURS);
		}
	}
	mh_arena_free(a);
	return rc;
}

int mh_cli_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' },
		{ "author", required_argument, NULL, 'a' },
		{ "generate", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = ".", *name = NULL, *role = NULL, *author = NULL;
	bool generate = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'a':
			author = optarg;
			break;
		case 'g':
			generate = true;
			break;
		case 'h':
			user_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead user: unknown or incomplete option '%s'\n", argv[optind - 1]);
			user_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "masthead user: missing command (add, list, passwd, role, disable, reset)\n");
		user_usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	static const struct {
		const char *name;
		int nargs;
	} cmds[] = { { "add", 1 }, { "list", 0 }, { "passwd", 1 }, { "role", 2 }, { "disable", 1 }, { "reset", 1 } };
	int which = -1;
	for (int i = 0; i < (int)(sizeof(cmds) / sizeof(cmds[0])); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			which = i;
	if (which < 0) {
		fprintf(stderr, "masthead user: unknown command '%s' (add, list, passwd, role, disable, reset)\n", cmd);
		return 2;
	}
	if (nargs != cmds[which].nargs) {
		fprintf(stderr, "masthead user %s: expected %d argument%s, got %d\n", cmd, cmds[which].nargs,
			cmds[which].nargs == 1 ? "" : "s", nargs);
		user_usage(stderr);
		return 2;
	}
	bool is_add = which == 0, is_passwd = which == 2;
	if (!is_add && (name != NULL || role != NULL || author != NULL)) {
		fprintf(stderr, "masthead user %s: --name, --role and --author go with add\n", cmd);
		return 2;
	}
	if (generate && !is_add && !is_passwd) {
		fprintf(stderr, "masthead user %s: --generate goes with add or passwd\n", cmd);
		return 2;
	}
	if (is_add && (name == NULL || role == NULL)) {
		fprintf(stderr, "masthead user add: %s is required\n", name == NULL ? "--name NAME" : "--role ROLE");
		return 2;
	}
	if (!mh_auth_init()) {
		fprintf(stderr, "masthead user: libsodium could not start (no randomness source)\n");
		return 1;
	}
	struct mh_config cfg;
	struct mh_store *store = NULL;
	struct mh_buf err = MH_BUF_INIT, pw = MH_BUF_INIT;
	if (mh_cli_site_open(dir, &cfg, &store, &err) != 0) {
		fprintf(stderr, "masthead user: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return 1;
	}
	const char *email = nargs > 0 ? argv[optind] : NULL;
	struct mh_arena *a = mh_arena_new();
	struct mh_user *u = NULL;
	int rc = 0;
	enum mh_store_rc r;
	switch (which) {
	case 0: /* add */
		if ((rc = mh_cli_read_password(email, generate, &pw, &err)) != 0)
			break;
		if ((rc = mh_cli_user_create(store, email, name, role, author, mh_buf_str(&pw), &err)) != 0)
			break;
		printf("added %s (%s)\n", email, role);
		if (generate)
			printf("password: %s\n", mh_buf_cstr(&pw));
		break;
	case 1:
		rc = list_users(store, &err);
		break;
	case 2: /* passwd */
		if ((rc = find_user(store, a, email, &u, &err)) != 0)
			break;
		if ((rc = mh_cli_read_password(email, generate, &pw, &err)) != 0)
			break;
		struct mh_buf hash = MH_BUF_INIT; /* only this case uses it: freed below */
		if (!mh_auth_password_hash(mh_buf_str(&pw), &hash)) {
			mh_buf_printf(&err, "password: could not be hashed (out of memory)");
			rc = 1;
		} else if ((r = mh_store_user_set_password(store, u->id, mh_buf_cstr(&hash), true)) != MH_OK) {
			rc = store_problem(r, &err);
		} else {
			printf("%s: password changed; the account's sessions have ended\n", u->email);
			if (generate)
				printf("password: %s\n", mh_buf_cstr(&pw));
		}
		mh_buf_free(&hash);
		break;
	case 3: /* role */
		if ((rc = find_user(store, a, email, &u, &err)) != 0)
			break;
		if (!mh_role_parse(mh_str_c(argv[optind + 1]), &u->role)) {
			mh_buf_printf(&err, "ROLE: expected contributor, author, editor or owner, got '%s'",
				      argv[optind + 1]);
			rc = 2;
			break;
		}
		if ((r = mh_store_user_save(store, u, &err)) != MH_OK)
			rc = store_problem(r, &err);
		else
			printf("%s: now %s\n", u->email, mh_role_name(u->role));
		break;
	case 4: /* disable */
		if ((rc = find_user(store, a, email, &u, &err)) != 0)
			break;
		u->disabled = true;
		if ((r = mh_store_user_save(store, u, &err)) != MH_OK)
			rc = store_problem(r, &err);
		else
			printf("%s: disabled; its sessions have ended\n", u->email);
		break;
	case 5:
		rc = reset_link(store, &cfg, email, &err);
		break;
	}
	if (rc != 0)
		fprintf(stderr, "masthead user %s: %s\n", cmd, mh_buf_cstr(&err));
	mh_arena_free(a);
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	mh_buf_free(&pw);
	return rc;
}
