/*
 * cli/mail.c: the mail set-up every command that sends mail makes first
 * (serve, jobs run-due, user reset, newsletter send): the mail theme and
 * the newsletter module's configuration. Built into the library (as
 * config.c is), so the tests that link cli/user.c find it.
 */
#include <string.h>

#include "cli/cli.h"

/* ---- the process's mail set-up ---- */

static struct mh_newsletter_env mail_env;
static struct mh_theme *mail_theme;

int mh_cli_mail_setup(const struct mh_config *cfg, struct mh_buf *err)
{
	if (mail_theme == NULL) {
		struct mh_buf over = MH_BUF_INIT;
		if (cfg->site.theme_dir[0] == '/')
			mh_buf_append_c(&over, cfg->site.theme_dir);
		else
			mh_buf_printf(&over, "%s/%s", cfg->dir, cfg->site.theme_dir);
		mail_theme = mh_mail_theme_load(mh_site_default_themes_dir(), mh_buf_cstr(&over), err);
		mh_buf_free(&over);
		if (mail_theme == NULL)
			return 1;
	}
	mail_env = (struct mh_newsletter_env){
		.mail = &cfg->mail,
		.settings = &cfg->newsletter,
		.mail_theme = mail_theme,
		.base_url = cfg->site.base_url,
		.site_title = cfg->site.title,
	};
	mh_newsletter_configure(&mail_env);
	return 0;
}

void mh_cli_mail_teardown(void)
{
	mh_newsletter_configure(NULL);
	mh_theme_free(mail_theme);
	mail_theme = NULL;
}

enum mh_mail_result mh_cli_mail_link(const char *to, const char *what, const char *url, int hours, const char *role,
				     struct mh_buf *err)
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
