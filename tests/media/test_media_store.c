/* media on each backend: the store's media tables (bytes kept exactly,
 * names unique, sizes kept once, removal with its sizes), adding through
 * mh_media_add (refusals store nothing; the same bytes twice are one item;
 * its media_sizes job queued), removal refused while an article shows the
 * image, the media_sizes job (every size made, idempotent, finished by
 * another node after one died mid-way), and the alt-text rule of saving.
 * MH_TEST_BACKEND=postgres uses a fresh database on the cluster named by
 * MASTHEAD_TEST_PG_URL and FAILS without one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "../test_pg.h"
#include "content/content.h"
#include "jobs/jobs.h"
#include "media/media.h"
#include "site/site.h"
#include "store/store.h"

static char dir[64], url[512], admin_url[512], db_name[64];
static bool on_pg;
static struct mh_store *st;
static struct mh_arena *ar;
static struct mh_buf err;
static int64_t sec_news;
static const struct mh_media_settings settings = { .max_upload = 20u * 1024 * 1024 };


static void setup(void)
{
	strcpy(dir, "/tmp/mh-media-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	on_pg = mh_test_pg_wanted();
	if (on_pg)
		mh_test_pg_create("mh_media", url, admin_url, db_name);
	else
		strcpy(url, "site.db");
	err = (struct mh_buf)MH_BUF_INIT;
	int version = 0;
	cr_assert_eq(mh_store_open(url, dir, true, &st, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_migrate(st, &version, &err), MH_OK, "%s", mh_buf_cstr(&err));
	ar = mh_arena_new();
	struct mh_section s = { .slug = "news", .name = "News", .position = 1 };
	cr_assert_eq(mh_store_section_save(st, &s, &err), MH_OK, "%s", mh_buf_cstr(&err));
	sec_news = s.id;
}

static void teardown(void)
{
	mh_store_close(st);
	mh_arena_free(ar);
	mh_buf_free(&err);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	if (on_pg)
		mh_test_pg_drop(admin_url, db_name);
}

TestSuite(media_store, .init = setup, .fini = teardown, .timeout = 90);

/* A w x h JPEG or PNG with a gradient, made by libvips. */
static struct mh_str make_image(int w, int h, bool png)
{
	cr_assert_eq(VIPS_INIT("test"), 0);
	VipsImage *x = NULL, *u = NULL, *rgb = NULL;
	cr_assert_eq(vips_xyz(&x, w, h, NULL), 0);
	cr_assert_eq(vips_cast_uchar(x, &u, NULL), 0);
	cr_assert_eq(vips_bandjoin_const1(u, &rgb, 77, NULL), 0);
	void *buf = NULL;
	size_t len = 0;
	cr_assert_eq(png ? vips_pngsave_buffer(rgb, &buf, &len, NULL) : vips_jpegsave_buffer(rgb, &buf, &len, NULL), 0);
	g_object_unref(x);
	g_object_unref(u);
	g_object_unref(rgb);
	char *copy = mh_arena_alloc(ar, len);
	memcpy(copy, buf, len);
	g_free(buf);
	return (struct mh_str){ copy, len };
}

static int64_t count(const char *table)
{
	int64_t n = -1;
	cr_assert_eq(mh_store_count(st, table, &n), MH_OK);
	return n;
}

Test(media_store, items_keep_their_bytes_exactly_and_names_are_unique)
{
	/* bytes with NULs and every byte value, as a blob must keep them */
	char raw[512];
	for (int i = 0; i < 512; i++)
		raw[i] = (char)(i * 7);
	struct mh_media m = { .name = "00ff.png", .type = "image/png", .width = 3, .height = 2, .alt = "A <b> & c",
			      .uploader_id = 42, .bytes = { raw, sizeof(raw) } };
	cr_assert_eq(mh_store_media_add(st, &m, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_gt(m.id, 0);
	cr_assert_eq(m.size, 512);
	struct mh_media *got = NULL;
	cr_assert_eq(mh_store_media_by_name(st, ar, MH_STR("00ff.png"), &got), MH_OK);
	cr_assert_eq(got->id, m.id);
	cr_assert_str_eq(got->type, "image/png");
	cr_assert_eq(got->width, 3);
	cr_assert_eq(got->height, 2);
	cr_assert_eq(got->size, 512);
	cr_assert_str_eq(got->alt, "A <b> & c");
	cr_assert_eq(got->uploader_id, 42);
	cr_assert_eq(got->bytes.len, 0, "reads leave the bytes out");
	struct mh_str bytes;
	cr_assert_eq(mh_store_media_bytes(st, ar, m.id, &bytes), MH_OK);
	cr_assert_eq(bytes.len, 512);
	cr_assert_eq(memcmp(bytes.ptr, raw, 512), 0);
	cr_assert_eq(mh_store_media_by_stem(st, ar, MH_STR("00ff"), &got), MH_OK);
	cr_assert_eq(got->id, m.id);
	cr_assert_eq(mh_store_media_by_stem(st, ar, MH_STR("00fe"), &got), MH_NOT_FOUND);

	/* the same name again: a conflict naming it; nothing added */
	struct mh_media again = m;
	again.id = 0;
	again.uploader_id = 0;
	cr_assert_eq(mh_store_media_add(st, &again, &err), MH_CONFLICT);
	cr_assert(strstr(mh_buf_cstr(&err), "'00ff.png' is already used") != NULL, "%s", mh_buf_cstr(&err));
	cr_assert_eq(count("media"), 1);

	/* bad fields, each named */
	const struct {
		struct mh_media m;
		const char *field;
	} bad[] = {
		{ { .name = "../x.png", .type = "image/png", .width = 1, .height = 1, .bytes = { raw, 1 } }, "name" },
		{ { .name = "ab.svg", .type = "image/png", .width = 1, .height = 1, .bytes = { raw, 1 } }, "name" },
		{ { .name = "ab.png", .type = "image/svg+xml", .width = 1, .height = 1, .bytes = { raw, 1 } }, "type" },
		{ { .name = "ab.png", .type = "image/png", .width = 0, .height = 1, .bytes = { raw, 1 } }, "width" },
		{ { .name = "ab.png", .type = "image/png", .width = 1, .height = 1, .bytes = { raw, 0 } }, "bytes" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mh_media b = bad[i].m;
		cr_assert_eq(mh_store_media_add(st, &b, &err), MH_INVALID, "case %zu", i);
		cr_assert(strncmp(mh_buf_cstr(&err), bad[i].field, strlen(bad[i].field)) == 0, "%s", mh_buf_cstr(&err));
	}
	cr_assert_eq(count("media"), 1);
	struct mh_media *list = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_media_list(st, ar, 10, &list, &n), MH_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(list[0].name, "00ff.png");
	cr_assert_eq(mh_store_media_list(st, ar, 0, &list, &n), MH_INVALID);
}

Test(media_store, sizes_are_kept_once_and_go_with_their_item)
{
	char raw[] = "\x89PNG\0\1\2";
	struct mh_media m = { .name = "ab.png", .type = "image/png", .width = 2000, .height = 1000,
			      .bytes = { raw, sizeof(raw) } };
	cr_assert_eq(mh_store_media_add(st, &m, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_media_size_put(st, m.id, 480, "webp", MH_STR("first\0bytes"), &err), MH_OK, "%s",
		     mh_buf_cstr(&err));
	cr_assert_eq(mh_store_media_size_put(st, m.id, 480, "webp", MH_STR("second"), &err), MH_OK);
	cr_assert_eq(mh_store_media_size_put(st, m.id, 480, "png", MH_STR("png bytes"), &err), MH_OK);
	struct mh_str b;
	cr_assert_eq(mh_store_media_size_get(st, ar, m.id, 480, "webp", &b), MH_OK);
	cr_assert_eq(b.len, sizeof("first\0bytes") - 1, "the first one stays");
	cr_assert_eq(memcmp(b.ptr, "first\0bytes", b.len), 0);
	cr_assert_eq(mh_store_media_size_get(st, ar, m.id, 960, "webp", &b), MH_NOT_FOUND);
	struct mh_media_size *sizes = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_media_sizes(st, ar, m.id, &sizes, &n), MH_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(sizes[0].format, "png");
	cr_assert_eq(sizes[0].size, 9);
	cr_assert_eq(mh_store_media_size_put(st, m.id + 100, 480, "webp", MH_STR("x"), &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "media_id") != NULL, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_media_size_put(st, m.id, 480, "svg", MH_STR("x"), &err), MH_INVALID);
	cr_assert_eq(mh_store_media_remove(st, m.id), MH_OK);
	cr_assert_eq(count("media"), 0);
	cr_assert_eq(count("media_sizes"), 0, "its sizes went with it");
	cr_assert_eq(mh_store_media_remove(st, m.id), MH_NOT_FOUND);
}

/* A new article saved the one way (mh_content_article_commit). */
static int save_article(const char *slug, enum mh_article_status status, const char *image, const char *alt,
			const char *body)
{
	struct mh_article a = { .slug = slug, .headline = slug, .body_md = body ? body : "Body.",
				.section_id = sec_news, .status = status, .image_url = image, .image_alt = alt };
	cr_assert_eq(mh_content_prepare_article(ar, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	return mh_content_article_commit(st, ar, NULL, &a, &err);
}

Test(media_store, adding_checks_the_bytes_names_them_and_queues_their_sizes)
{
	struct mh_str jpeg = make_image(1200, 600, false);
	struct mh_media *m = NULL;
	enum mh_media_problem why = MH_MEDIA_FINE;
	cr_assert_eq(mh_media_add(st, &settings, ar, jpeg, "A gradient", 0, &m, &why, &err), MH_OK, "%s",
		     mh_buf_cstr(&err));
	cr_assert_str_eq(m->name, mh_media_name(ar, jpeg, MH_MEDIA_JPEG));
	cr_assert_str_eq(m->type, "image/jpeg");
	cr_assert_eq(m->width, 1200);
	cr_assert_eq(m->height, 600);
	cr_assert_eq(m->size, (int64_t)jpeg.len);
	struct mh_job *jobs = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_jobs(st, ar, -1, 10, &jobs, &n), MH_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(jobs[0].kind, "media_sizes");
	cr_assert_eq(strtoll(jobs[0].payload, NULL, 10), m->id);

	/* the same bytes again: the same item, no second job */
	struct mh_media *again = NULL;
	cr_assert_eq(mh_media_add(st, &settings, ar, jpeg, "other words", 0, &again, &why, &err), MH_OK);
	cr_assert_eq(again->id, m->id);
	cr_assert_str_eq(again->alt, "A gradient");
	cr_assert_eq(count("media"), 1);
	cr_assert_eq(count("jobs"), 1);

	/* refusals store nothing */
	const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
	cr_assert_eq(mh_media_add(st, &settings, ar, MH_STR(svg), "x", 0, &again, &why, &err), MH_INVALID);
	cr_assert_eq(why, MH_MEDIA_NOT_IMAGE);
	struct mh_media_settings tiny = { .max_upload = 200 };
	struct mh_str other = make_image(50, 50, true);
	cr_assert_eq(mh_media_add(st, &tiny, ar, make_image(640, 480, false), "x", 0, &again, &why, &err),
		     MH_INVALID);
	cr_assert_eq(why, MH_MEDIA_TOO_BIG);
	struct mh_str cut = { other.ptr, other.len / 2 };
	cr_assert_eq(mh_media_add(st, &settings, ar, cut, "x", 0, &again, &why, &err), MH_INVALID);
	cr_assert_eq(why, MH_MEDIA_DAMAGED);
	cr_assert_eq(count("media"), 1);
	cr_assert_eq(count("jobs"), 1);
}

Test(media_store, removal_is_refused_while_an_article_shows_the_image)
{
	struct mh_media *m = NULL;
	cr_assert_eq(mh_media_add(st, &settings, ar, make_image(300, 200, true), "", 0, &m, NULL, &err), MH_OK, "%s",
		     mh_buf_cstr(&err));
	const char *addr = mh_arena_printf(ar, "/media/%s", m->name);
	cr_assert_eq(save_article("lead-image", MH_ARTICLE_DRAFT, addr, "", NULL), 0, "%s", mh_buf_cstr(&err));
	cr_assert_eq(save_article("in-body", MH_ARTICLE_PUBLISHED, NULL, NULL,
				  mh_arena_printf(ar, "Look: ![a chart](%s)", addr)),
		     0, "%s", mh_buf_cstr(&err));
	cr_assert_eq(save_article("unrelated", MH_ARTICLE_PUBLISHED, NULL, NULL, NULL), 0);
	cr_assert_eq(mh_media_remove(st, ar, mh_str_c(m->name), &err), MH_CONFLICT);
	const char *msg = mh_buf_cstr(&err);
	cr_assert(strstr(msg, "used by 2 articles") != NULL, "%s", msg);
	cr_assert(strstr(msg, "lead-image") != NULL && strstr(msg, "in-body") != NULL, "%s", msg);
	cr_assert(strstr(msg, "unrelated") == NULL, "%s", msg);
	cr_assert_eq(count("media"), 1);
	cr_assert_eq(mh_media_remove(st, ar, MH_STR("ffff.png"), &err), MH_NOT_FOUND);
	cr_assert(strstr(mh_buf_cstr(&err), "no media item 'ffff.png'") != NULL, "%s", mh_buf_cstr(&err));

	/* once no article shows it, it goes, sizes and all */
	cr_assert_eq(mh_media_make_sizes(st, m->id, NULL, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_article *a = NULL;
	cr_assert_eq(mh_store_article_by_slug(st, ar, MH_STR("lead-image"), &a), MH_OK);
	a->image_url = "";
	cr_assert_eq(mh_store_article_save(st, a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_article_by_slug(st, ar, MH_STR("in-body"), &a), MH_OK);
	a->body_md = "No image now.";
	cr_assert_eq(mh_store_article_save(st, a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_media_remove(st, ar, mh_str_c(m->name), &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(count("media"), 0);
	cr_assert_eq(count("media_sizes"), 0);
}

/* Claims and runs one due job as owner at now. */
static void run_job(const char *owner, int64_t now)
{
	struct mh_purge_settings purge = { .varnish = "", .url_template = "", .method = "POST", .header = "",
					   .timeout_s = 1 };
	int64_t ran = 0;
	cr_assert_eq(mh_jobs_run_one(st, &purge, NULL, owner, 60, now, &ran), MH_OK);
	cr_assert_gt(ran, 0);
}

Test(media_store, the_sizes_job_makes_every_size_once)
{
	struct mh_media *m = NULL;
	cr_assert_eq(mh_media_add(st, &settings, ar, make_image(1200, 900, false), "A", 0, &m, NULL, &err), MH_OK,
		     "%s", mh_buf_cstr(&err));
	run_job("node-a:1:1", mh_time_now() + 1);
	/* 1200 wide: 480 and 960 (never 1600), each as WebP and JPEG */
	struct mh_media_size *sizes = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_media_sizes(st, ar, m->id, &sizes, &n), MH_OK);
	cr_assert_eq(n, 4);
	const struct {
		int w;
		const char *f;
		enum mh_media_type t;
	} want[] = { { 480, "jpg", MH_MEDIA_JPEG }, { 480, "webp", MH_MEDIA_WEBP }, { 960, "jpg", MH_MEDIA_JPEG },
		     { 960, "webp", MH_MEDIA_WEBP } };
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(sizes[i].width, want[i].w);
		cr_assert_str_eq(sizes[i].format, want[i].f);
		struct mh_str b;
		cr_assert_eq(mh_store_media_size_get(st, ar, m->id, want[i].w, want[i].f, &b), MH_OK);
		struct mh_media_info info;
		cr_assert_eq(mh_media_inspect(b, settings.max_upload, &info, &err), MH_MEDIA_FINE);
		cr_assert_eq(info.type, want[i].t);
		cr_assert_eq(info.width, want[i].w);
		cr_assert_eq(info.height, want[i].w * 3 / 4);
	}
	struct mh_job *jobs = NULL;
	cr_assert_eq(mh_store_jobs(st, ar, MH_JOB_DONE, 10, &jobs, &n), MH_OK);
	cr_assert_eq(n, 1, "the job is done");
	/* run again (a lost "done"): nothing made, nothing doubled */
	int made = -1;
	cr_assert_eq(mh_media_make_sizes(st, m->id, &made, &err), MH_OK);
	cr_assert_eq(made, 0);
	cr_assert_eq(count("media_sizes"), 4);
}

Test(media_store, a_node_dying_mid_job_leaves_the_rest_to_the_next)
{
	struct mh_media *m = NULL;
	cr_assert_eq(mh_media_add(st, &settings, ar, make_image(2000, 1000, true), "A", 0, &m, NULL, &err), MH_OK,
		     "%s", mh_buf_cstr(&err));
	int64_t now = mh_time_now() + 1;
	/* node A claims the job, makes two of its six sizes, and dies */
	struct mh_job *job = NULL;
	cr_assert_eq(mh_store_job_claim(st, ar, "node-a:1:1", now, 60, &job), MH_OK);
	cr_assert_str_eq(job->kind, "media_sizes");
	struct mh_str s;
	cr_assert_eq(mh_media_size(st, ar, m, 480, MH_MEDIA_WEBP, &s, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_media_size(st, ar, m, 1600, MH_MEDIA_PNG, &s, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_str kept;
	cr_assert_eq(mh_store_media_size_get(st, ar, m->id, 480, "webp", &kept), MH_OK);
	cr_assert_eq(count("media_sizes"), 2);
	/* its lease runs out; node B takes the job over and finishes it */
	run_job("node-b:2:2", now + 61);
	cr_assert_eq(count("media_sizes"), 6);
	struct mh_str after;
	cr_assert_eq(mh_store_media_size_get(st, ar, m->id, 480, "webp", &after), MH_OK);
	cr_assert(after.len == kept.len && memcmp(after.ptr, kept.ptr, kept.len) == 0, "what A made is kept");
	struct mh_job *jobs = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_jobs(st, ar, MH_JOB_DONE, 10, &jobs, &n), MH_OK);
	cr_assert_eq(n, 1);
	/* node A's late "done" is refused: the job is B's */
	cr_assert_eq(mh_store_job_done(st, job->id, "node-a:1:1"), MH_CONFLICT);
	/* a size asked for that is none of the item's */
	cr_assert_eq(mh_media_size(st, ar, m, 480, MH_MEDIA_JPEG, &s, &err), MH_NOT_FOUND);
	cr_assert_eq(mh_media_size(st, ar, m, 500, MH_MEDIA_WEBP, &s, &err), MH_NOT_FOUND);
}

Test(media_store, an_article_with_an_image_needs_its_description_to_go_out)
{
	const enum mh_article_status out[] = { MH_ARTICLE_PUBLISHED, MH_ARTICLE_SCHEDULED };
	for (int i = 0; i < 2; i++) {
		struct mh_article a = { .slug = i ? "scheduled" : "published", .headline = "H", .section_id = sec_news,
					.status = out[i], .image_url = "/media/x.jpg", .image_alt = "",
					.published_at = mh_time_now() + 3600 };
		cr_assert_eq(mh_store_article_save(st, &a, &err), MH_INVALID);
		cr_assert(strncmp(mh_buf_cstr(&err), "image_alt:", 10) == 0, "%s", mh_buf_cstr(&err));
		cr_assert_eq(a.id, 0);
	}
	cr_assert_eq(count("articles"), 0);
	/* a draft may wait for its description; once given, it goes out */
	struct mh_article a = { .slug = "draft", .headline = "H", .section_id = sec_news, .status = MH_ARTICLE_DRAFT,
				.image_url = "/media/x.jpg", .image_alt = "" };
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	a.status = MH_ARTICLE_PUBLISHED;
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_INVALID);
	a.image_alt = "A tram at dusk";
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	/* no image, no description needed */
	struct mh_article b = { .slug = "plain", .headline = "H", .section_id = sec_news,
				.status = MH_ARTICLE_PUBLISHED };
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_OK, "%s", mh_buf_cstr(&err));
}

/* A multipart body holding file (named filename, may be NULL for none)
 * and an alt field. */
static struct mh_str multipart(struct mh_str file, const char *filename, const char *alt)
{
	struct mh_buf b = MH_BUF_INIT;
	if (filename != NULL) {
		mh_buf_printf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
				  "Content-Type: image/png\r\n\r\n", filename);
		mh_buf_append(&b, file.ptr, file.len);
		mh_buf_append_c(&b, "\r\n");
	}
	if (alt != NULL)
		mh_buf_printf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\n%s\r\n", alt);
	mh_buf_append_c(&b, "--XyZ--\r\n");
	char *copy = mh_arena_strndup(ar, b.ptr, b.len);
	struct mh_str out = { copy, b.len };
	mh_buf_free(&b);
	return out;
}

static int upload(struct mh_str body, const struct mh_media_settings *s, struct mh_buf *json)
{
	mh_buf_free(json);
	return mh_site_media_upload(st, s, ar, MH_STR("multipart/form-data; boundary=XyZ"), body, 7, json);
}

Test(media_store, the_upload_handler_answers_json_and_the_right_status)
{
	struct mh_buf json = MH_BUF_INIT;
	struct mh_str png = make_image(640, 480, true);
	/* the client's name and Content-Type say SVG/PNG: only the bytes count */
	cr_assert_eq(upload(multipart(png, "photo.svg", "Harbour at dawn"), &settings, &json), 201, "%s",
		     mh_buf_cstr(&json));
	const char *name = mh_media_name(ar, png, MH_MEDIA_PNG);
	char want[256];
	snprintf(want, sizeof(want), "{\"name\":\"%s\",\"url\":\"/media/%s\",\"width\":640,\"height\":480}", name, name);
	cr_assert_str_eq(mh_buf_cstr(&json), want);
	struct mh_media *m = NULL;
	cr_assert_eq(mh_store_media_by_name(st, ar, mh_str_c(name), &m), MH_OK);
	cr_assert_str_eq(m->alt, "Harbour at dawn");
	cr_assert_eq(m->uploader_id, 7);

	const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
	cr_assert_eq(upload(multipart(MH_STR(svg), "x.png", NULL), &settings, &json), 415);
	cr_assert(strstr(mh_buf_cstr(&json), "{\"error\":\"This file is not an image") != NULL, "%s",
		  mh_buf_cstr(&json));
	cr_assert(strstr(mh_buf_cstr(&json), "JPEG, PNG, WebP or GIF") != NULL, "%s", mh_buf_cstr(&json));
	struct mh_media_settings tiny = { .max_upload = 1024 };
	cr_assert_eq(upload(multipart(make_image(800, 600, false), "big.jpg", NULL), &tiny, &json), 413);
	cr_assert(strstr(mh_buf_cstr(&json), "max_upload") != NULL, "%s", mh_buf_cstr(&json));
	cr_assert_eq(upload(multipart(MH_STR(""), NULL, "only alt"), &settings, &json), 400);
	cr_assert(strstr(mh_buf_cstr(&json), "\\\"file\\\"") != NULL, "%s", mh_buf_cstr(&json));
	struct mh_str cut = { png.ptr, png.len / 3 };
	cr_assert_eq(upload(multipart(cut, "cut.png", NULL), &settings, &json), 415);
	/* a body cut off before its closing boundary */
	struct mh_str body = multipart(png, "p.png", NULL);
	body.len -= 12;
	cr_assert_eq(upload(body, &settings, &json), 400);
	cr_assert_eq(mh_site_media_upload(st, &settings, ar, MH_STR("image/png"), png, 0, &json), 415);
	int64_t n = 0;
	cr_assert_eq(mh_store_count(st, "media", &n), MH_OK);
	cr_assert_eq(n, 1, "only the good upload was stored");
	mh_buf_free(&json);
}

Test(media_store, the_library_pages_by_keyset_and_descriptions_are_edited_checked)
{
	/* five items, two of them at the same second: the keyset is (created_at, id) */
	int64_t at[] = { 1000, 2000, 2000, 3000, 4000 };
	int64_t ids[5];
	for (int i = 0; i < 5; i++) {
		char name[40];
		snprintf(name, sizeof(name), "%032d.png", i);
		struct mh_media m = { .name = name, .type = "image/png", .width = 10, .height = 10, .alt = "",
				      .created_at = at[i], .bytes = MH_STR("png bytes") };
		cr_assert_eq(mh_store_media_add(st, &m, &err), MH_OK, "%s", mh_buf_cstr(&err));
		ids[i] = m.id;
	}
	struct mh_media *page = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_media_page(st, ar, 0, 0, 2, &page, &n), MH_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(page[0].id, ids[4]);
	cr_assert_eq(page[1].id, ids[3]);
	cr_assert_eq(mh_store_media_page(st, ar, page[1].created_at, page[1].id, 2, &page, &n), MH_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(page[0].id, ids[2], "the later id of the same second first");
	cr_assert_eq(page[1].id, ids[1]);
	cr_assert_eq(mh_store_media_page(st, ar, page[1].created_at, page[1].id, 2, &page, &n), MH_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(page[0].id, ids[0]);
	cr_assert_eq(mh_store_media_page(st, ar, 0, 0, 0, &page, &n), MH_INVALID);

	struct mh_str name = mh_str_c(mh_arena_printf(ar, "%032d.png", 1));
	cr_assert_eq(mh_media_set_alt(st, ar, name, MH_STR("Gulls over the pier"), &err), MH_OK, "%s",
		     mh_buf_cstr(&err));
	struct mh_media *m = NULL;
	cr_assert_eq(mh_store_media_by_name(st, ar, name, &m), MH_OK);
	cr_assert_str_eq(m->alt, "Gulls over the pier");
	mh_buf_reset(&err);
	cr_assert_eq(mh_media_set_alt(st, ar, name, MH_STR("two\nlines"), &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "one line") != NULL, "%s", mh_buf_cstr(&err));
	char long_alt[600];
	memset(long_alt, 'a', sizeof(long_alt) - 1);
	long_alt[sizeof(long_alt) - 1] = '\0';
	cr_assert_eq(mh_media_set_alt(st, ar, name, mh_str_c(long_alt), &err), MH_INVALID);
	cr_assert_eq(mh_media_set_alt(st, ar, MH_STR("ffff.png"), MH_STR("x"), &err), MH_NOT_FOUND);
	cr_assert_eq(mh_store_media_by_name(st, ar, name, &m), MH_OK);
	cr_assert_str_eq(m->alt, "Gulls over the pier", "a refused description changes nothing");
}
