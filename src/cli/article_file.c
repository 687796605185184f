/* placeholder until article add|update lands: refuses clearly */
#include <stdio.h>

#include "cli/cli.h"

int mh_cli_article_files(struct mh_store *s, const struct mh_config *cfg, bool add, const char *from_dir,
			 const char *file)
{
	(void)s;
	(void)cfg;
	(void)from_dir;
	(void)file;
	fprintf(stderr, "masthead article %s: not available in this build yet\n", add ? "add" : "update");
	return 1;
}
