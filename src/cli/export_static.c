/*
 * masthead export static (issue 11): not built yet; the next change does.
 */
#include <stdio.h>

#include "cli/cli.h"

int mh_cli_export_static(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "masthead export static: not available in this build yet\n");
	return 1;
}
