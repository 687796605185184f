/*
 * masthead export (issue 11): the site out of the database. Two forms, one
 * file each: `export json FILE` (export_json.c, read back by `import json`)
 * and `export static DIR` (export_static.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: masthead export json FILE [--site DIR] ...\n"
		   "       masthead export static DIR [--site DIR] ...\n\n"
		   "  json FILE     the whole site as JSON (read back with `masthead import json FILE`)\n"
		   "  static DIR    the public site as static files any web server can serve\n"
		   "'masthead export json --help' and 'masthead export static --help' say more.\n");
}

int mh_cli_export(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "json") == 0)
		return mh_cli_export_json(argc - 1, argv + 1);
	if (strcmp(argv[1], "static") == 0)
		return mh_cli_export_static(argc - 1, argv + 1);
	fprintf(stderr, "masthead export: unknown form '%s' (json or static)\n", argv[1]);
	usage(stderr);
	return 2;
}
