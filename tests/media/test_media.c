/* media: the type sniffer and libvips' checks on real images made here by
 * libvips (JPEG, PNG, WebP, GIF), and on what must be refused: truncated
 * and corrupt files, polyglots, SVG with script, files over the size limit,
 * decompression bombs; sizes made and never upscaled; names and addresses. */
#include <criterion/criterion.h>
#include <string.h>
#include <vips/vips.h>
#include <zlib.h>

#include "media/media.h"

#define LIMIT (20u * 1024 * 1024)

/* A w x h image with some detail (a gradient), encoded as t by libvips. */
static struct mh_buf make_image(int w, int h, enum mh_media_type t)
{
	cr_assert_eq(VIPS_INIT("test"), 0);
	VipsImage *x = NULL, *rgb = NULL;
	cr_assert_eq(vips_xyz(&x, w, h, NULL), 0);
	cr_assert_eq(vips_cast_uchar(x, &rgb, NULL), 0);
	g_object_unref(x);
	VipsImage *band = NULL;
	cr_assert_eq(vips_bandjoin_const1(rgb, &band, 128, NULL), 0);
	g_object_unref(rgb);
	void *buf = NULL;
	size_t len = 0;
	int rc = -1;
	switch (t) {
	case MH_MEDIA_JPEG: rc = vips_jpegsave_buffer(band, &buf, &len, NULL); break;
	case MH_MEDIA_PNG: rc = vips_pngsave_buffer(band, &buf, &len, NULL); break;
	case MH_MEDIA_WEBP: rc = vips_webpsave_buffer(band, &buf, &len, NULL); break;
	case MH_MEDIA_GIF: rc = vips_gifsave_buffer(band, &buf, &len, NULL); break;
	default: break;
	}
	g_object_unref(band);
	cr_assert_eq(rc, 0, "%s", vips_error_buffer());
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append(&b, buf, len);
	g_free(buf);
	return b;
}

static struct mh_str S(const struct mh_buf *b)
{
	return (struct mh_str){ b->ptr, b->len };
}

Test(media, each_type_is_known_from_its_bytes_with_its_dimensions)
{
	const enum mh_media_type types[] = { MH_MEDIA_JPEG, MH_MEDIA_PNG, MH_MEDIA_WEBP, MH_MEDIA_GIF };
	const char *mimes[] = { "image/jpeg", "image/png", "image/webp", "image/gif" };
	for (int i = 0; i < 4; i++) {
		struct mh_buf img = make_image(300, 200, types[i]);
		cr_assert_eq(mh_media_sniff(img.ptr, img.len), types[i], "type %d", i);
		cr_assert_str_eq(mh_media_type_mime(types[i]), mimes[i]);
		struct mh_media_info info;
		struct mh_buf err = MH_BUF_INIT;
		cr_assert_eq(mh_media_inspect(S(&img), LIMIT, &info, &err), MH_MEDIA_FINE, "%s: %s", mimes[i],
			     mh_buf_cstr(&err));
		cr_assert_eq(info.type, types[i]);
		cr_assert_eq(info.width, 300);
		cr_assert_eq(info.height, 200);
		mh_buf_free(&err);
		mh_buf_free(&img);
	}
}

Test(media, svg_html_text_and_empty_input_are_not_images)
{
	const char *not_images[] = {
		"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
		"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
		"<!doctype html><img src=x onerror=alert(1)>",
		"just text",
		"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0", /* RIFF, but not WebP */
		"",
	};
	for (size_t i = 0; i < sizeof(not_images) / sizeof(not_images[0]); i++) {
		size_t n = i == 4 ? 20 : strlen(not_images[i]);
		cr_assert_eq(mh_media_sniff(not_images[i], n), MH_MEDIA_NONE, "input %zu", i);
		struct mh_media_info info;
		struct mh_buf err = MH_BUF_INIT;
		cr_assert_eq(mh_media_inspect((struct mh_str){ not_images[i], n }, LIMIT, &info, &err),
			     MH_MEDIA_NOT_IMAGE, "input %zu", i);
		cr_assert(strstr(mh_buf_cstr(&err), "not a JPEG, PNG, WebP or GIF image") != NULL, "%s",
			  mh_buf_cstr(&err));
		mh_buf_free(&err);
	}
	cr_assert_eq(mh_media_sniff(NULL, 0), MH_MEDIA_NONE);
}

Test(media, truncated_and_corrupt_images_are_refused)
{
	const enum mh_media_type types[] = { MH_MEDIA_JPEG, MH_MEDIA_PNG, MH_MEDIA_WEBP, MH_MEDIA_GIF };
	for (int i = 0; i < 4; i++) {
		struct mh_buf img = make_image(400, 300, types[i]);
		/* cut in half: the magic is there, the pixels are not */
		struct mh_media_info info;
		struct mh_buf err = MH_BUF_INIT;
		struct mh_str half = { img.ptr, img.len / 2 };
		cr_assert_eq(mh_media_sniff(half.ptr, half.len), types[i]);
		cr_assert_eq(mh_media_inspect(half, LIMIT, &info, &err), MH_MEDIA_DAMAGED, "type %d", i);
		cr_assert(strstr(mh_buf_cstr(&err), "could not be") != NULL, "%s", mh_buf_cstr(&err));
		mh_buf_free(&err);
		mh_buf_free(&img);
	}
	/* the right magic followed by noise */
	const char noise[] = "\xff\xd8\xff\xe0 this is not a JPEG at all, only its first bytes are";
	struct mh_media_info info;
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_eq(mh_media_inspect((struct mh_str){ noise, sizeof(noise) - 1 }, LIMIT, &info, &err),
		     MH_MEDIA_DAMAGED);
	mh_buf_free(&err);
}

Test(media, polyglots_are_refused_or_stay_images)
{
	/* a GIF header carrying HTML: claims to be an image, decodes as none */
	const char poly[] = "GIF89a\x01\x00\x01\x00<html><script>alert(document.cookie)</script></html>";
	struct mh_media_info info;
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_eq(mh_media_sniff(poly, sizeof(poly) - 1), MH_MEDIA_GIF);
	cr_assert_eq(mh_media_inspect((struct mh_str){ poly, sizeof(poly) - 1 }, LIMIT, &info, &err),
		     MH_MEDIA_DAMAGED);
	mh_buf_free(&err);
	/* a real PNG with a script after its end: an image, and only ever one
	 * (stored and served as image/png with nosniff, see the e2e test) */
	struct mh_buf img = make_image(64, 64, MH_MEDIA_PNG);
	mh_buf_append_c(&img, "<script>alert(1)</script>");
	err = (struct mh_buf)MH_BUF_INIT;
	cr_assert_eq(mh_media_inspect(S(&img), LIMIT, &info, &err), MH_MEDIA_FINE, "%s", mh_buf_cstr(&err));
	cr_assert_eq(info.type, MH_MEDIA_PNG);
	mh_buf_free(&err);
	mh_buf_free(&img);
}

Test(media, over_the_limit_is_too_big)
{
	struct mh_buf img = make_image(300, 200, MH_MEDIA_JPEG);
	struct mh_media_info info;
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_eq(mh_media_inspect(S(&img), img.len - 1, &info, &err), MH_MEDIA_TOO_BIG);
	cr_assert(strstr(mh_buf_cstr(&err), "max_upload") != NULL, "%s", mh_buf_cstr(&err));
	mh_buf_free(&err);
	err = (struct mh_buf)MH_BUF_INIT;
	cr_assert_eq(mh_media_inspect(S(&img), img.len, &info, &err), MH_MEDIA_FINE, "%s", mh_buf_cstr(&err));
	mh_buf_free(&err);
	mh_buf_free(&img);
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

Test(media, decompression_bombs_are_refused_from_the_header)
{
	/* a real image longer than a side may be (compresses to almost nothing) */
	struct mh_buf wide = make_image(MH_MEDIA_MAX_SIDE + 1, 2, MH_MEDIA_PNG);
	struct mh_media_info info;
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_eq(mh_media_inspect(S(&wide), LIMIT, &info, &err), MH_MEDIA_TOO_MANY_PIXELS, "%s",
		     mh_buf_cstr(&err));
	cr_assert(strstr(mh_buf_cstr(&err), "pixels") != NULL);
	mh_buf_free(&err);
	mh_buf_free(&wide);
	/* a PNG whose header claims 15000 x 15000 (225 million pixels) with
	 * almost no data: refused before any pixel is decoded */
	unsigned char png[8 + 25 + 12 + 64 + 12] = "\x89PNG\r\n\x1a\n";
	unsigned char *ihdr = png + 8;
	put_be32(ihdr, 13);
	memcpy(ihdr + 4, "IHDR", 4);
	put_be32(ihdr + 8, 15000);
	put_be32(ihdr + 12, 15000);
	ihdr[16] = 8; /* depth */
	ihdr[17] = 2; /* RGB */
	put_be32(ihdr + 21, (uint32_t)crc32(0, ihdr + 4, 17));
	/* the first row's worth of zeros, deflated: the rest is missing */
	unsigned char *idat = ihdr + 25, zeros[256] = { 0 };
	uLongf zlen = 64;
	cr_assert_eq(compress(idat + 8, &zlen, zeros, sizeof(zeros)), Z_OK);
	put_be32(idat, (uint32_t)zlen);
	memcpy(idat + 4, "IDAT", 4);
	put_be32(idat + 8 + zlen, (uint32_t)crc32(0, idat + 4, 4 + (uInt)zlen));
	unsigned char *iend = idat + 12 + zlen;
	put_be32(iend, 0);
	memcpy(iend + 4, "IEND", 4);
	put_be32(iend + 8, (uint32_t)crc32(0, iend + 4, 4));
	size_t png_len = (size_t)(iend + 12 - png);
	err = (struct mh_buf)MH_BUF_INIT;
	cr_assert_eq(mh_media_sniff(png, png_len), MH_MEDIA_PNG);
	cr_assert_eq(mh_media_inspect((struct mh_str){ (const char *)png, png_len }, LIMIT, &info, &err),
		     MH_MEDIA_TOO_MANY_PIXELS, "%s", mh_buf_cstr(&err));
	cr_assert(strstr(mh_buf_cstr(&err), "15000 x 15000") != NULL, "%s", mh_buf_cstr(&err));
	mh_buf_free(&err);
}

Test(media, sizes_are_made_in_each_format_at_the_width_asked)
{
	struct mh_buf img = make_image(1000, 500, MH_MEDIA_JPEG);
	const enum mh_media_type to[] = { MH_MEDIA_WEBP, MH_MEDIA_JPEG, MH_MEDIA_PNG, MH_MEDIA_GIF };
	for (int i = 0; i < 4; i++) {
		struct mh_buf out = MH_BUF_INIT, err = MH_BUF_INIT;
		cr_assert(mh_media_resize(S(&img), MH_MEDIA_JPEG, 480, to[i], &out, &err), "%s", mh_buf_cstr(&err));
		struct mh_media_info info;
		cr_assert_eq(mh_media_inspect(S(&out), LIMIT, &info, &err), MH_MEDIA_FINE, "%s", mh_buf_cstr(&err));
		cr_assert_eq(info.type, to[i]);
		cr_assert_eq(info.width, 480);
		cr_assert_eq(info.height, 240);
		mh_buf_free(&out);
		mh_buf_free(&err);
	}
	/* the bytes must be what they are said to be */
	struct mh_buf out = MH_BUF_INIT, err = MH_BUF_INIT;
	cr_assert_not(mh_media_resize(S(&img), MH_MEDIA_PNG, 480, MH_MEDIA_WEBP, &out, &err));
	mh_buf_free(&err);
	mh_buf_free(&out);
	mh_buf_free(&img);
}

Test(media, which_sizes_an_item_has)
{
	struct mh_media m = { .name = "0123456789abcdef0123456789abcdef.png", .width = 1000, .height = 800 };
	cr_assert(mh_media_size_exists(&m, 480, MH_MEDIA_WEBP));
	cr_assert(mh_media_size_exists(&m, 960, MH_MEDIA_PNG));
	cr_assert_not(mh_media_size_exists(&m, 1600, MH_MEDIA_WEBP)); /* never upscaled */
	cr_assert_not(mh_media_size_exists(&m, 480, MH_MEDIA_JPEG));  /* neither WebP nor its own */
	cr_assert_not(mh_media_size_exists(&m, 500, MH_MEDIA_WEBP));  /* not a size we make */
	m.width = 480;
	cr_assert_not(mh_media_size_exists(&m, 480, MH_MEDIA_WEBP));
}

Test(media, names_are_content_addressed)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_buf img = make_image(40, 30, MH_MEDIA_PNG);
	const char *n1 = mh_media_name(a, S(&img), MH_MEDIA_PNG);
	const char *n2 = mh_media_name(a, S(&img), MH_MEDIA_PNG);
	cr_assert_str_eq(n1, n2);
	cr_assert_eq(strlen(n1), 32 + 4);
	cr_assert(strcmp(n1 + 32, ".png") == 0);
	img.ptr[img.len - 1] ^= 1;
	cr_assert_str_neq(mh_media_name(a, S(&img), MH_MEDIA_PNG), n1);
	mh_buf_free(&img);
	mh_arena_free(a);
}

Test(media, addresses_of_originals_and_sizes)
{
	struct mh_str stem;
	int w;
	enum mh_media_type f;
	cr_assert(mh_media_parse_path(MH_STR("0123456789abcdef0123456789abcdef.jpg"), &stem, &w, &f));
	cr_assert_eq(w, 0);
	cr_assert_eq(f, MH_MEDIA_JPEG);
	cr_assert(mh_str_eq_c(stem, "0123456789abcdef0123456789abcdef.jpg"));
	cr_assert(mh_media_parse_path(MH_STR("w960/0123456789abcdef0123456789abcdef.webp"), &stem, &w, &f));
	cr_assert_eq(w, 960);
	cr_assert_eq(f, MH_MEDIA_WEBP);
	cr_assert(mh_str_eq_c(stem, "0123456789abcdef0123456789abcdef"));
	const char *not_ours[] = { "demo/illustration-01.svg", "w960/../x.jpg", "w/abc.jpg", "wx1/abc.jpg",
				   "ABC.jpg", "abc.svg", "abc", ".jpg", "w960/abc.jpg/x", "w0/abc.jpg" };
	for (size_t i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++)
		cr_assert_not(mh_media_parse_path(mh_str_c(not_ours[i]), &stem, &w, &f), "%s", not_ours[i]);
}

Test(media, a_photo_turned_by_its_exif_orientation_is_measured_and_sized_upright)
{
	cr_assert_eq(VIPS_INIT("test"), 0);
	VipsImage *x = NULL, *u = NULL;
	cr_assert_eq(vips_xyz(&x, 400, 200, NULL), 0);
	cr_assert_eq(vips_cast_uchar(x, &u, NULL), 0);
	vips_image_set_int(u, VIPS_META_ORIENTATION, 6); /* stored sideways: shown 200 x 400 */
	void *buf = NULL;
	size_t len = 0;
	cr_assert_eq(vips_jpegsave_buffer(u, &buf, &len, NULL), 0);
	g_object_unref(x);
	g_object_unref(u);
	struct mh_str jpeg = { buf, len };
	struct mh_media_info info;
	struct mh_buf err = MH_BUF_INIT, out = MH_BUF_INIT;
	cr_assert_eq(mh_media_inspect(jpeg, LIMIT, &info, &err), MH_MEDIA_FINE, "%s", mh_buf_cstr(&err));
	cr_assert_eq(info.width, 200);
	cr_assert_eq(info.height, 400);
	cr_assert(mh_media_resize(jpeg, MH_MEDIA_JPEG, 100, MH_MEDIA_WEBP, &out, &err), "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_media_inspect((struct mh_str){ out.ptr, out.len }, LIMIT, &info, &err), MH_MEDIA_FINE);
	cr_assert_eq(info.width, 100);
	cr_assert_eq(info.height, 200);
	g_free(buf);
	mh_buf_free(&out);
	mh_buf_free(&err);
}
