/*
 * masthead export json (issue 11): not built yet; the next change does.
 */
#include <stdio.h>

#include "cli/cli.h"

int mh_cli_export_json(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "masthead export json: not available in this build yet\n");
	return 1;
}
