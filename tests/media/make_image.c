/* make_image W H FORMAT OUT: writes a W x H gradient image as FORMAT
 * (jpg, png, webp, gif) to OUT with libvips, for the e2e tests (Python's
 * standard library cannot write these formats). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

int main(int argc, char **argv)
{
	if (argc != 5 || VIPS_INIT(argv[0]) != 0) {
		fprintf(stderr, "usage: make_image W H jpg|png|webp|gif OUT\n");
		return 2;
	}
	VipsImage *x = NULL, *u = NULL, *rgb = NULL;
	if (vips_xyz(&x, atoi(argv[1]), atoi(argv[2]), NULL) != 0 || vips_cast_uchar(x, &u, NULL) != 0 ||
	    vips_bandjoin_const1(u, &rgb, 90, NULL) != 0) {
		fprintf(stderr, "make_image: %s\n", vips_error_buffer());
		return 1;
	}


	int rc;
	const char *f = argv[3];
	void *buf = NULL;
	size_t len = 0;
	if (strcmp(f, "jpg") == 0)
		rc = vips_jpegsave_buffer(rgb, &buf, &len, NULL);
	else if (strcmp(f, "png") == 0)
		rc = vips_pngsave_buffer(rgb, &buf, &len, NULL);
	else if (strcmp(f, "webp") == 0)
		rc = vips_webpsave_buffer(rgb, &buf, &len, NULL);
	else if (strcmp(f, "gif") == 0)
		rc = vips_gifsave_buffer(rgb, &buf, &len, NULL);
	else
		rc = -1;

	FILE *fp = rc == 0 ? fopen(argv[4], "wb") : NULL;
	if (fp == NULL || fwrite(buf, 1, len, fp) != len || fclose(fp) != 0) {
		fprintf(stderr, "make_image: cannot write %s as %s: %s\n", argv[4], f, vips_error_buffer());
		return 1;
	}
	g_free(buf);
	g_object_unref(x);
	g_object_unref(u);
	g_object_unref(rgb);
	return 0;
}
