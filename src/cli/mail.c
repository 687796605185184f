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
