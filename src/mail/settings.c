/*
 * mail/settings.c: the [mail] section of site.ini, owned here.
 */
#include <stddef.h>
#include <string.h>

#include "mail/mail.h"

static bool check_smtp_url(const char *v, struct mh_buf *why)
{
	if (strncmp(v, "smtp://", 7) == 0 || strncmp(v, "smtps://", 8) == 0) {
		const char *host = strchr(v, ':') + 3;
		if (*host != '\0' && *host != '/' && strpbrk(v, " \t") == NULL)
			return true;
	}
	mh_buf_append_c(why, "not an SMTP relay (expected smtp://[user:password@]host:port or smtps://...)");
	return false;
}

static bool check_from(const char *v, struct mh_buf *why)
{
	const char *lt = strchr(v, '<');
	struct mh_str addr = mh_str_c(v);
	if (lt != NULL) {
		const char *gt = strchr(lt, '>');
		if (gt == NULL || gt[1] != '\0') {
			mh_buf_append_c(why, "unbalanced <...> (expected Name <addr@host> or addr@host)");
			return false;
		}
		addr = (struct mh_str){ lt + 1, (size_t)(gt - lt - 1) };
	}
	if (!mh_mail_address_valid(addr)) {
		mh_buf_append_c(why, "not a mail address (expected Name <addr@host> or addr@host)");
		return false;
	}
	return true;
}

#define F(field) offsetof(struct mh_mail_settings, field)
static const struct mh_setting rows[] = {
	{ .key = "smtp_url", .type = MH_SETTING_TEXT, .flags = MH_SETTING_OPTIONAL, .offset = F(smtp_url), .def = "",
	  .check = check_smtp_url,
	  .comment = "the relay every mail goes through: smtp://[user:password@]host:port (STARTTLS when\n"
		     "offered), smtps://host:465 for TLS from the start; empty = no mail is sent (reset and\n"
		     "invitation links are printed or shown instead)" },
	{ .key = "from", .type = MH_SETTING_TEXT, .offset = F(from), .def = "Masthead <newsroom@example.com>",
	  .check = check_from, .comment = "the sender of every mail: Name <addr@host> or addr@host" },
	{ .key = "require_starttls", .type = MH_SETTING_BOOL, .offset = F(require_starttls), .def = "false",
	  .comment = "with smtp://, send nothing unless the relay offers STARTTLS" },
	{ .key = "timeout", .type = MH_SETTING_INT, .offset = F(timeout_s), .min = 1, .max = 300, .def = "30",
	  .comment = "seconds per message, connecting included" },
};
#undef F

const struct mh_settings_table mh_mail_settings_table =
	MH_SETTINGS_TABLE("mail", NULL, rows, struct mh_mail_settings);
