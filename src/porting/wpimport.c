/*
 * wpimport.c: a WordPress export brought into the store, in two streamed
 * passes over the file (wxr.c) so memory stays flat: first the
 * attachments (images into the media library, downloaded with libcurl or
 * read from --uploads), then posts and pages, whose bodies then find every
 * image already brought. Each item is recorded in wp_import_items (keyed by
 * the WordPress site and the item's id) in the transaction that saves it,
 * and items go in batches: a second run skips what is done, an interrupted
 * one redoes at most its last batch. A failed download is recorded as
 * failed, with the post that shows it: the next run tries both again.
 * Nothing downloads inside a transaction (the batch is committed first),
 * so a slow server never holds the database's write lock.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>

#include "content/content.h"
#include "media/media.h"
#include "porting/porting.h"

#define FAILED_MAX 4096 /* failed downloads remembered in one run (not retried within it) */

struct imp {
	struct mh_store *s;
	const struct mh_wp_options *o;
	struct mh_wp_report *rep;
	struct mh_buf *err;
	int pass; /* 1: attachments, 2: posts and pages */
	char *source, *host;
	struct mh_wxr_author *authors; /* the channel's (copied) */
	size_t n_authors;
	struct mh_arena *keep;  /* what lives for the whole run (authors) */
	struct mh_arena *a;     /* per item */
	bool in_tx;
	int in_batch;
	bool fatal;
	bool item_failed_image; /* the current post shows an image not brought */
	const struct mh_wxr_item *cur; /* the item being brought, for the report */
	CURL *curl;
	uint64_t failed[FAILED_MAX];
	size_t n_failed;
	int64_t seen, default_section, pages_section;
};

/* ---- the report ---- */

static void skipped(struct imp *im, const struct mh_wxr_item *it, const char *why)
{
	im->rep->skipped++;
	mh_buf_printf(&im->rep->lines, "line %d: %s %lld '%.80s': %s\n", it->line,
		      it->post_type[0] ? it->post_type : "item", (long long)it->post_id, it->title, why);
}

static void progress(struct imp *im)
{
	im->seen++;
	if (im->o->progress && im->seen % 200 == 0)
		fprintf(stderr, "\r%s: %lld items read, %lld posts, %lld pages, %lld images", im->pass == 0 ? "checking" : im->pass == 1 ? "images" : "posts",
			(long long)im->seen, (long long)im->rep->posts, (long long)im->rep->pages,
			(long long)im->rep->images);
}

/* ---- batches ---- */

static enum mh_store_rc batch_commit(struct imp *im)
{
	if (!im->in_tx)
		return MH_OK;
	im->in_tx = false;
	im->in_batch = 0;
	/* every node drops its pages (settings reloaded, whole cache) and
	 * loads the redirects again: one log entry per batch, not per post */
	enum mh_store_rc rc = mh_content_change_log(im->s, mh_str_c(MH_CONTENT_SITE_KEY " " MH_CONTENT_REDIRECTS_KEY));
	if (rc == MH_OK)
		rc = mh_store_commit(im->s);
	else
		mh_store_rollback(im->s);
	return rc;
}

static enum mh_store_rc batch_open(struct imp *im)
{
	if (im->in_tx)
		return MH_OK;
	enum mh_store_rc rc = mh_store_begin(im->s);
	im->in_tx = rc == MH_OK;
	return rc;
}

/* ---- downloads ---- */

static uint64_t url_hash(const char *u)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *u != '\0'; u++)
		h = (h ^ (unsigned char)*u) * 1099511628211ULL;
	return h >> 1; /* fits a signed 64-bit id */
}

struct sink {
	struct mh_buf *b;
	size_t max;
	bool over;
};

static size_t sink_write(char *p, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;
	if (k->b->len + size * n > k->max) {
		k->over = true;
		return 0; /* ends the transfer */
	}
	mh_buf_append(k->b, p, size * n);
	return size * n;
}

/* --uploads DIR: the part of url after "/wp-content/uploads/" (or after a
 * files.wordpress.com host) under DIR. */
static bool read_upload(struct imp *im, const char *url, struct mh_buf *out, struct mh_buf *why)
{
	const char *rest = strstr(url, "/wp-content/uploads/");
	if (rest != NULL) {
		rest += strlen("/wp-content/uploads/");
	} else if ((rest = strstr(url, "files.wordpress.com/")) != NULL) {
		rest += strlen("files.wordpress.com/");
	} else {
		mh_buf_printf(why, "not under wp-content/uploads");
		return false;
	}
	size_t n = strcspn(rest, "?#");
	if (memmem(rest, n, "..", 2) != NULL) {
		mh_buf_printf(why, "a path with '..'");
		return false;
	}
	char *path = mh_arena_printf(im->a, "%s/%.*s", im->o->uploads_dir, (int)n, rest);
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		mh_buf_printf(why, "not in --uploads (%s)", path);
		return false;
	}
	if ((size_t)st.st_size > im->o->media->max_upload) {
		mh_buf_printf(why, "larger than [media] max_upload");
		return false;
	}
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		mh_buf_printf(why, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mh_buf_append(out, chunk, got);
	fclose(f);
	return true;
}

static bool download(struct imp *im, const char *url, struct mh_buf *out, struct mh_buf *why)
{
	if (im->o->uploads_dir != NULL)
		return read_upload(im, url, out, why);
	if (im->curl == NULL && (im->curl = curl_easy_init()) == NULL) {
		mh_buf_printf(why, "libcurl did not start");
		return false;
	}
	CURL *c = im->curl;
	curl_easy_reset(c);
	struct sink k = { out, im->o->media->max_upload, false };
	long timeout = im->o->download_timeout_s > 0 ? im->o->download_timeout_s : 30;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)im->o->media->max_upload);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "masthead-import/" MH_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
	CURLcode cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		return true;
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (k.over || cc == CURLE_FILESIZE_EXCEEDED)
		mh_buf_printf(why, "larger than [media] max_upload");
	else if (code >= 400)
		mh_buf_printf(why, "HTTP %ld", code);
	else
		mh_buf_printf(why, "%s", curl_easy_strerror(cc));
	return false;
}

static bool failed_before(struct imp *im, uint64_t h)
{
	for (size_t i = 0; i < im->n_failed; i++)
		if (im->failed[i] == h)
			return true;
	return false;
}

/* Brings the image at url into the media library (once: by its address's
 * record, then by its bytes' name). Its /media/ address in a, or NULL with
 * why; not_image when the bytes are no image (then not worth a retry). */
static const char *bring(struct imp *im, struct mh_arena *a, const char *url, const char *alt, const char *kind,
			 int64_t wp_id, bool *not_image, struct mh_buf *why)
{
	*not_image = false;
	struct mh_wp_item rec;
	enum mh_store_rc rc = mh_store_wp_item_get(im->s, a, im->source, kind, wp_id, &rec);
	if (rc == MH_OK && strcmp(rec.state, "done") == 0 && rec.target_id > 0 &&
	    (strcmp(kind, "attachment") == 0 || strcmp(rec.detail, url) == 0)) {
		struct mh_media *m = NULL;
		if (mh_store_media_by_id(im->s, a, rec.target_id, &m) == MH_OK)
			return mh_arena_printf(a, "/media/%s", m->name);
	}
	if (rc == MH_OK && strcmp(rec.state, "done") == 0 && rec.target_id == 0) {
		*not_image = true;
		mh_buf_printf(why, "%s", rec.detail);
		return NULL;
	}
	uint64_t h = url_hash(url);
	if (failed_before(im, h)) {
		mh_buf_printf(why, "its download failed earlier in this run");
		return NULL;
	}
	if (batch_commit(im) != MH_OK) { /* never download inside a transaction */
		mh_buf_printf(why, "the database did not answer");
		im->fatal = true;
		return NULL;
	}
	struct mh_buf bytes = MH_BUF_INIT;
	const char *out = NULL;
	struct mh_wp_item put = { 0, "failed", "" };
	if (!download(im, url, &bytes, why)) {
		put.detail = mh_arena_printf(a, "%s: %s", url, mh_buf_cstr(why));
		if (im->n_failed < FAILED_MAX)
			im->failed[im->n_failed++] = h;
	} else {
		struct mh_media *m = NULL;
		enum mh_media_problem problem = MH_MEDIA_FINE;
		struct mh_buf merr = MH_BUF_INIT;
		rc = mh_media_add(im->s, im->o->media, a, mh_buf_str(&bytes), alt, 0, &m, &problem, &merr);
		if (rc == MH_OK) {
			out = mh_arena_printf(a, "/media/%s", m->name);
			put = (struct mh_wp_item){ m->id, "done", url };
		} else if (rc == MH_INVALID) {
			mh_buf_printf(why, "%s", mh_buf_cstr(&merr));
			/* not an image, too big, damaged: the same next time */
			put = (struct mh_wp_item){ 0, "done", mh_arena_strdup(a, mh_buf_cstr(why)) };
			*not_image = true;
		} else {
			mh_buf_printf(why, "the database did not answer");
			im->fatal = true;
		}
		mh_buf_free(&merr);
	}
	mh_buf_free(&bytes);
	if (!im->fatal && mh_store_wp_item_put(im->s, im->source, kind, wp_id, &put) != MH_OK)
		im->fatal = true;
	return out;
}

/* ---- pass 1: attachments ---- */

static const char *meta(const struct mh_wxr_item *it, const char *key)
{
	for (size_t i = 0; i < it->n_meta; i++)
		if (strcmp(it->meta[i].key, key) == 0)
			return it->meta[i].value;
	return NULL;
}

static int attachment(struct imp *im, const struct mh_wxr_item *it)
{
	struct mh_wp_item rec;
	if (mh_store_wp_item_get(im->s, im->a, im->source, "attachment", it->post_id, &rec) == MH_OK &&
	    strcmp(rec.state, "done") == 0) {
		im->rep->unchanged++;
		return 0;
	}
	if (it->attachment_url[0] == '\0') {
		skipped(im, it, "an attachment without wp:attachment_url");
		return 0;
	}
	const char *alt = meta(it, "_wp_attachment_image_alt");
	if (alt == NULL || alt[0] == '\0')
		alt = it->title;
	if (mh_media_alt_problem(mh_str_c(alt)) != NULL)
		alt = "";
	struct mh_buf why = MH_BUF_INIT;
	bool not_image;
	const char *got = bring(im, im->a, it->attachment_url, alt, "attachment", it->post_id, &not_image, &why);
	if (got != NULL) {
		im->rep->attachments++;
		/* the body's links to it lead to the same item */
		struct mh_wp_item rec2;
		if (mh_store_wp_item_get(im->s, im->a, im->source, "attachment", it->post_id, &rec2) == MH_OK) {
			struct mh_wp_item put = { rec2.target_id, "done", it->attachment_url };
			mh_store_wp_item_put(im->s, im->source, "image-url", (int64_t)url_hash(it->attachment_url), &put);
		}
	} else if (!im->fatal) {
		if (!not_image)
			im->rep->failed_downloads++;
		char *msg = mh_arena_printf(im->a, "%s (%s)%s", mh_buf_cstr(&why), it->attachment_url,
					    not_image ? "" : "; tried again on the next run");
		skipped(im, it, msg);
	}
	mh_buf_free(&why);
	return im->fatal ? 1 : 0;
}

/* ---- pass 2: posts and pages ---- */

/* Whether url is an image of the old site (its host, wp-content/uploads or
 * WordPress.com's files): only those are brought; others stay where they are. */
static bool ours(struct imp *im, const char *url)
{
	if (strstr(url, "/wp-content/uploads/") != NULL || strstr(url, ".files.wordpress.com/") != NULL)
		return true;
	const char *h = strstr(url, "://");
	if (h == NULL || im->host == NULL)
		return false;
	h += 3;
	size_t n = strlen(im->host);
	return strncasecmp(h, im->host, n) == 0 && (h[n] == '/' || h[n] == ':' || h[n] == '\0');
}

static const char *image_cb(void *arg, struct mh_arena *a, const char *url)
{
	struct imp *im = arg;
	if (im->fatal || url[0] == '/' || !ours(im, url))
		return NULL;
	/* a link to a page of the old site is not an image: only files with an
	 * image's extension are fetched */
	size_t n = strcspn(url, "?#");
	static const char *const exts[] = { ".jpg", ".jpeg", ".png", ".gif", ".webp", NULL };
	bool img = false;
	for (size_t i = 0; exts[i] != NULL; i++) {
		size_t el = strlen(exts[i]);
		if (n > el && strncasecmp(url + n - el, exts[i], el) == 0)
			img = true;
	}
	if (!img)
		return NULL;
	struct mh_buf why = MH_BUF_INIT;
	bool not_image;
	const char *got = bring(im, a, url, "", "image-url", (int64_t)url_hash(url), &not_image, &why);
	if (got != NULL) {
		im->rep->images++;
	} else if (!not_image && !im->fatal) {
		im->item_failed_image = true;
		if (strstr(mh_buf_cstr(&why), "earlier in this run") == NULL)
			im->rep->failed_downloads++;
		mh_buf_printf(&im->rep->lines, "line %d: %s %lld '%.80s': image %s: %s; tried again on the next run\n",
			      im->cur->line, im->cur->post_type, (long long)im->cur->post_id, im->cur->title, url,
			      mh_buf_cstr(&why));
	}
	mh_buf_free(&why);
	return got;
}

static const char *attachment_cb(void *arg, struct mh_arena *a, int64_t id)
{
	struct imp *im = arg;
	struct mh_wp_item rec;
	struct mh_media *m = NULL;
	if (mh_store_wp_item_get(im->s, a, im->source, "attachment", id, &rec) != MH_OK || rec.target_id <= 0 ||
	    mh_store_media_by_id(im->s, a, rec.target_id, &m) != MH_OK)
		return NULL;
	return mh_arena_printf(a, "/media/%s", m->name);
}

static const char *slug_of(struct mh_arena *a, const char *want, const char *fallback)
{
	if (want != NULL && mh_content_slug_valid(mh_str_c(want)))
		return want;
	/* WordPress keeps a non-ASCII post_name percent-encoded */
	struct mh_buf dec = MH_BUF_INIT, b = MH_BUF_INIT;
	for (const char *p = want != NULL ? want : ""; *p != '\0'; p++) {
		unsigned hi, lo;
		if (p[0] == '%' && sscanf(p + 1, "%1x%1x", &hi, &lo) == 2) {
			mh_buf_append_ch(&dec, (char)(hi * 16 + lo));
			p += 2;
		} else {
			mh_buf_append_ch(&dec, *p);
		}
	}
	mh_content_slugify(&b, dec.len > 0 ? mh_buf_str(&dec) : mh_str_c(fallback));
	mh_buf_free(&dec);
	const char *s = mh_arena_strdup(a, mh_buf_cstr(&b));
	mh_buf_free(&b);
	return s;
}

static enum mh_store_rc section_for(struct imp *im, const char *slug, const char *name, int64_t *id)
{
	struct mh_section *sec = NULL;
	enum mh_store_rc rc = mh_store_section_by_slug(im->s, im->a, mh_str_c(slug), &sec);
	if (rc == MH_OK) {
		*id = sec->id;
		return MH_OK;
	}
	if (rc != MH_NOT_FOUND)
		return rc;
	struct mh_section *all = NULL;
	size_t n = 0;
	struct mh_section ns = { .slug = slug, .name = name[0] ? name : slug, .description = "" };
	if (mh_store_sections(im->s, im->a, &all, &n) == MH_OK && n > 0)
		ns.position = all[n - 1].position + 1;
	rc = mh_store_section_save(im->s, &ns, im->err);
	if (rc == MH_OK) {
		*id = ns.id;
		im->rep->sections++;
	}
	return rc;
}

static enum mh_store_rc default_section(struct imp *im, int64_t *id)
{
	if (im->default_section != 0) {
		*id = im->default_section;
		return MH_OK;
	}
	struct mh_section *all = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_sections(im->s, im->a, &all, &n);
	for (size_t i = 0; rc == MH_OK && i < n; i++)
		if (all[i].kind == MH_SECTION_PLAIN) {
			*id = im->default_section = all[i].id;
			return MH_OK;
		}
	if (rc != MH_OK)
		return rc;
	rc = section_for(im, "news", "News", id);
	if (rc == MH_OK)
		im->default_section = *id;
	return rc;
}

static enum mh_store_rc author_for(struct imp *im, const char *login, int64_t *id)
{
	const char *name = login;
	for (size_t i = 0; i < im->n_authors; i++)
		if (strcmp(im->authors[i].login, login) == 0 && im->authors[i].display_name[0] != '\0')
			name = im->authors[i].display_name;
	const char *slug = slug_of(im->a, login, name);
	struct mh_author *au = NULL;
	enum mh_store_rc rc = mh_store_author_by_slug(im->s, im->a, mh_str_c(slug), &au);
	if (rc == MH_OK) {
		*id = au->id;
		return MH_OK;
	}
	if (rc != MH_NOT_FOUND)
		return rc;
	struct mh_author na = { .slug = slug, .name = name, .bio = "", .avatar_url = "" };
	rc = mh_store_author_save(im->s, &na, im->err);
	if (rc == MH_OK) {
		*id = na.id;
		im->rep->authors++;
	}
	return rc;
}

/* A UTC time "YYYY-MM-DD HH:MM:SS"; 0 for WordPress's "0000-00-00 00:00:00". */
static int64_t gmt_time(const char *s)
{
	struct tm tm = { 0 };
	if (sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6 ||
	    tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

static const char *path_of(struct mh_arena *a, const char *url)
{
	const char *p = strstr(url, "://");
	if (p == NULL)
		return url[0] == '/' ? url : NULL;
	p = strchr(p + 3, '/');
	while (p != NULL && p[1] == '/')
		p++; /* "https://host//greek/x": browsers ask for "//greek/x", the lookup takes it as "/greek/x" */
	return p != NULL ? mh_arena_strdup(a, p) : NULL;
}

/* The post's address under the --permalink structure: %year% %monthnum%
 * %day% %hour% %minute% %second% (of wp:post_date, the site's own time),
 * %postname% %post_id% %category% %author%. */
static const char *permalink(struct imp *im, const struct mh_wxr_item *it, const char *category)
{
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
	sscanf(it->post_date, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s);
	struct mh_buf b = MH_BUF_INIT;
	for (const char *p = im->o->permalink; *p != '\0';) {
		const char *e = *p == '%' ? strchr(p + 1, '%') : NULL;
		if (e == NULL) {
			mh_buf_append_ch(&b, *p++);
			continue;
		}
		struct mh_str tag = { p + 1, (size_t)(e - p - 1) };
		if (mh_str_eq_c(tag, "year"))
			mh_buf_printf(&b, "%04d", y);
		else if (mh_str_eq_c(tag, "monthnum"))
			mh_buf_printf(&b, "%02d", mo);
		else if (mh_str_eq_c(tag, "day"))
			mh_buf_printf(&b, "%02d", d);
		else if (mh_str_eq_c(tag, "hour"))
			mh_buf_printf(&b, "%02d", h);
		else if (mh_str_eq_c(tag, "minute"))
			mh_buf_printf(&b, "%02d", mi);
		else if (mh_str_eq_c(tag, "second"))
			mh_buf_printf(&b, "%02d", s);
		else if (mh_str_eq_c(tag, "postname"))
			mh_buf_append_c(&b, it->post_name);
		else if (mh_str_eq_c(tag, "post_id"))
			mh_buf_printf(&b, "%lld", (long long)it->post_id);
		else if (mh_str_eq_c(tag, "category"))
			mh_buf_append_c(&b, category);
		else if (mh_str_eq_c(tag, "author"))
			mh_buf_append_c(&b, it->creator);
		else
			mh_buf_append(&b, p, (size_t)(e - p + 1));
		p = e + 1;
	}
	const char *out = mh_arena_strdup(im->a, mh_buf_cstr(&b));
	mh_buf_free(&b);
	return out;
}

static void old_address(struct imp *im, const struct mh_wxr_item *it, const char *from, const char *to)
{
	if (from == NULL || from[0] != '/' || strcmp(from, to) == 0)
		return;
	struct mh_redirect r = { .from = from, .to = to, .status = 301 };
	const char *field, *why = mh_store_redirect_problem(&r, &field);
	if (why != NULL) {
		mh_buf_printf(&im->rep->lines, "line %d: old address %.200s of '%.80s' not kept: %s: %s\n", it->line, from,
			      it->title, field, why);
		return;
	}
	if (mh_store_redirect_put(im->s, &r, NULL) == MH_OK)
		im->rep->redirects++;
}

static int post(struct imp *im, const struct mh_wxr_item *it, bool page)
{
	const char *kind = page ? "page" : "post";
	struct mh_wp_item rec;
	enum mh_store_rc rc = mh_store_wp_item_get(im->s, im->a, im->source, kind, it->post_id, &rec);
	if (rc == MH_OK && strcmp(rec.state, "done") == 0) {
		im->rep->unchanged++;
		return 0;
	}
	if (rc != MH_OK && rc != MH_NOT_FOUND)
		return 1;
	int64_t target = rc == MH_OK ? rec.target_id : 0;
	enum mh_article_status status;
	if (strcmp(it->status, "publish") == 0)
		status = MH_ARTICLE_PUBLISHED;
	else if (strcmp(it->status, "future") == 0)
		status = MH_ARTICLE_SCHEDULED;
	else if (strcmp(it->status, "draft") == 0 || strcmp(it->status, "pending") == 0 ||
		 strcmp(it->status, "private") == 0)
		status = MH_ARTICLE_DRAFT;
	else {
		skipped(im, it, mh_arena_printf(im->a, "status '%.40s' (trash, auto-draft and revisions stay behind)",
						it->status));
		return 0;
	}

	/* the body first: its images are downloaded outside any transaction */
	im->item_failed_image = false;
	struct mh_wphtml cv = { .image = image_cb, .attachment = attachment_cb, .arg = im };
	struct mh_buf md = MH_BUF_INIT;
	mh_wphtml_to_markdown(im->a, mh_str_c(it->content), &cv, &md);
	if (im->fatal) {
		mh_buf_free(&md);
		return 1;
	}
	for (size_t i = 0; i < cv.n_notes; i++)
		mh_buf_printf(&im->rep->lines, "line %d: %s %lld '%.80s': %s\n", it->line, kind, (long long)it->post_id,
			      it->title, cv.notes[i]);

	struct mh_article art = { .id = target };
	art.headline = it->title[0] ? it->title : "Untitled";
	struct mh_buf dek = MH_BUF_INIT;
	const char *ex = it->excerpt[0] ? it->excerpt : meta(it, "_yoast_wpseo_metadesc");
	mh_wphtml_text(mh_str_c(ex != NULL ? ex : ""), &dek);
	if (dek.len > 480) { /* at a character's start, under the dek's bound */
		size_t n = 480;
		while (n > 0 && ((unsigned char)dek.ptr[n] & 0xc0) == 0x80)
			n--;
		dek.len = n;
		mh_buf_append_c(&dek, "…");
	}
	art.dek = mh_arena_strdup(im->a, mh_buf_cstr(&dek));
	mh_buf_free(&dek);
	art.body_md = mh_arena_strndup(im->a, md.ptr != NULL ? md.ptr : "", md.len);
	mh_buf_free(&md);
	art.slug = it->post_name[0] ? slug_of(im->a, it->post_name, it->title) : "";
	art.status = status;
	art.published_at = status == MH_ARTICLE_DRAFT ? 0 : gmt_time(it->post_date_gmt);
	if (art.published_at == 0 && status != MH_ARTICLE_DRAFT)
		art.published_at = gmt_time(it->post_date); /* no GMT date: the site's time, as UTC */
	art.created_at = art.updated_at = art.published_at > 0 ? art.published_at : mh_time_now();
	art.image_url = art.image_alt = art.via_name = art.via_url = "";

	const char *thumb = meta(it, "_thumbnail_id");
	int64_t thumb_id = 0;
	if (thumb != NULL && mh_str_to_i64(mh_str_c(thumb), &thumb_id) && thumb_id > 0) {
		const char *u = attachment_cb(im, im->a, thumb_id);
		struct mh_media *m = NULL;
		if (u != NULL) {
			art.image_url = u;
			if (mh_store_media_by_name(im->s, im->a, mh_str_c(u + 7), &m) == MH_OK && m->alt[0] != '\0')
				art.image_alt = m->alt;
			else
				art.image_alt = art.headline;
		} else {
			mh_buf_printf(&im->rep->lines, "line %d: %s %lld '%.80s': featured image %lld not brought\n", it->line,
				      kind, (long long)it->post_id, it->title, (long long)thumb_id);
		}
	}

	if (batch_open(im) != MH_OK)
		return 1;
	/* section, tags, author */
	const char *first_cat = "uncategorized";
	int64_t tag_ids[64];
	size_t n_tags = 0;
	art.section_id = 0;
	for (size_t i = 0; i < it->n_terms; i++) {
		const struct mh_wxr_term *t = &it->terms[i];
		bool cat = strcmp(t->domain, "category") == 0;
		if (!cat && strcmp(t->domain, "post_tag") != 0)
			continue;
		const char *slug = slug_of(im->a, t->slug, t->name);
		if (cat && art.section_id == 0)
			first_cat = slug;
		if (cat && im->o->categories == MH_WP_CATEGORIES_SECTIONS && !page) {
			if (art.section_id == 0 && (rc = section_for(im, slug, t->name, &art.section_id)) != MH_OK)
				goto failed;
			continue;
		}
		struct mh_tag tag = { .slug = slug, .name = t->name[0] ? t->name : slug };
		struct mh_tag *had = NULL;
		bool is_new = mh_store_tag_by_slug(im->s, im->a, mh_str_c(slug), &had) == MH_NOT_FOUND;
		if ((rc = mh_store_tag_ensure(im->s, &tag, im->err)) != MH_OK)
			goto failed;
		if (is_new)
			im->rep->tags++;
		bool dup = false;
		for (size_t k = 0; k < n_tags; k++)
			dup |= tag_ids[k] == tag.id;
		if (!dup && n_tags < sizeof(tag_ids) / sizeof(tag_ids[0]))
			tag_ids[n_tags++] = tag.id;
	}
	if (page && im->pages_section == 0 && (rc = section_for(im, "pages", "Pages", &im->pages_section)) != MH_OK)
		goto failed;
	if (page)
		art.section_id = im->pages_section;
	if (art.section_id == 0 && (rc = default_section(im, &art.section_id)) != MH_OK)
		goto failed;
	struct mh_tag *tags = mh_arena_alloc(im->a, (n_tags + 1) * sizeof(*tags));
	for (size_t k = 0; k < n_tags; k++)
		tags[k] = (struct mh_tag){ .id = tag_ids[k], .slug = "", .name = "" };
	art.tags = tags;
	art.n_tags = n_tags;
	if (it->creator[0] != '\0') {
		art.authors = MH_NEW(im->a, struct mh_author);
		if ((rc = author_for(im, it->creator, &art.authors[0].id)) != MH_OK)
			goto failed;
		art.n_authors = 1;
	}

	if (art.status != MH_ARTICLE_DRAFT && strspn(art.body_md, " \n") == strlen(art.body_md)) {
		/* WordPress publishes an empty post; we do not: kept as a draft */
		art.status = MH_ARTICLE_DRAFT;
		art.published_at = 0;
		mh_buf_printf(&im->rep->lines, "line %d: %s %lld '%.80s': no content: brought as a draft\n", it->line, kind,
			      (long long)it->post_id, it->title);
	}
	struct mh_buf why = MH_BUF_INIT;
	if (mh_content_prepare_article(im->a, &art, &why) != MH_OK) {
		struct mh_wp_item put = { 0, "done", mh_arena_strdup(im->a, mh_buf_cstr(&why)) };
		skipped(im, it, mh_buf_cstr(&why));
		mh_buf_free(&why);
		return mh_store_wp_item_put(im->s, im->source, kind, it->post_id, &put) == MH_OK ? 0 : 1;
	}
	rc = mh_store_article_save(im->s, &art, &why);
	if (rc == MH_CONFLICT) {
		/* another article has the slug: the WordPress id makes it unique */
		art.slug = mh_arena_printf(im->a, "%.60s-wp%lld", art.slug, (long long)it->post_id);
		mh_buf_reset(&why);
		rc = mh_store_article_save(im->s, &art, &why);
	}
	if (rc == MH_NOT_FOUND && art.id != 0) {
		art.id = 0; /* removed since the last run: made again */
		rc = mh_store_article_save(im->s, &art, &why);
	}
	if (rc == MH_INVALID || rc == MH_CONFLICT) {
		struct mh_wp_item put = { 0, "done", mh_arena_strdup(im->a, mh_buf_cstr(&why)) };
		skipped(im, it, mh_buf_cstr(&why));
		mh_buf_free(&why);
		return mh_store_wp_item_put(im->s, im->source, kind, it->post_id, &put) == MH_OK ? 0 : 1;
	}
	mh_buf_free(&why);
	if (rc != MH_OK)
		goto failed;
	if (status == MH_ARTICLE_SCHEDULED) {
		char payload[32], dedupe[48];
		snprintf(payload, sizeof(payload), "%lld", (long long)art.id);
		snprintf(dedupe, sizeof(dedupe), "publish:%lld", (long long)art.id);
		if ((rc = mh_store_job_add(im->s, "publish", mh_str_c(payload), art.published_at, dedupe, NULL)) != MH_OK)
			goto failed;
	}
	/* old addresses: its link, ?p=ID (and ?page_id=ID), the permalink structure */
	const char *to = mh_arena_printf(im->a, "/articles/%s", art.slug);
	if (art.status != MH_ARTICLE_DRAFT) {
		old_address(im, it, path_of(im->a, it->link), to);
		old_address(im, it, mh_arena_printf(im->a, page ? "/?page_id=%lld" : "/?p=%lld", (long long)it->post_id), to);
		if (im->o->permalink != NULL && !page)
			old_address(im, it, permalink(im, it, first_cat), to);
	}
	struct mh_wp_item put = { art.id, im->item_failed_image ? "failed" : "done",
				  im->item_failed_image ? "an image was not brought" : "" };
	if ((rc = mh_store_wp_item_put(im->s, im->source, kind, it->post_id, &put)) != MH_OK)
		goto failed;
	if (page)
		im->rep->pages++;
	else
		im->rep->posts++;
	if (++im->in_batch >= (im->o->batch > 0 ? im->o->batch : 100) && batch_commit(im) != MH_OK)
		return 1;
	return 0;
failed:
	if (im->err->len == 0)
		mh_buf_printf(im->err, "line %d: the database did not answer", it->line);
	return 1;
}

/* ---- the reader's callbacks ---- */

static int on_channel(void *ctx, const struct mh_wxr_channel *ch)
{
	struct imp *im = ctx;
	if (im->source != NULL)
		return 0;
	const char *src = ch->base_blog_url[0] ? ch->base_blog_url : ch->link;
	im->source = strdup(src[0] ? src : "wordpress");
	const char *h = strstr(im->source, "://");
	if (h != NULL) {
		h += 3;
		im->host = strndup(h, strcspn(h, "/:?#"));
	}
	im->authors = mh_arena_alloc(im->keep, (ch->n_authors + 1) * sizeof(*im->authors));
	for (size_t i = 0; i < ch->n_authors; i++)
		im->authors[i] = (struct mh_wxr_author){ mh_arena_strdup(im->keep, ch->authors[i].login),
							 mh_arena_strdup(im->keep, ch->authors[i].display_name) };
	im->n_authors = ch->n_authors;
	MH_ASSERT(im->source != NULL);
	return 0;
}

static int on_item(void *ctx, const struct mh_wxr_item *it)
{
	struct imp *im = ctx;
	mh_arena_reset(im->a);
	im->cur = it;
	progress(im);
	bool att = strcmp(it->post_type, "attachment") == 0;
	if (im->pass == 0)
		return 0;
	if (im->pass == 1)
		return att ? attachment(im, it) : 0;
	if (att)
		return 0;
	if (it->post_id <= 0) {
		skipped(im, it, "no wp:post_id");
		return 0;
	}
	if (strcmp(it->post_type, "post") == 0)
		return post(im, it, false);
	if (strcmp(it->post_type, "page") == 0) {
		if (im->o->pages)
			return post(im, it, true);
		skipped(im, it, "a page (pages come with --pages)");
		return 0;
	}
	skipped(im, it, mh_arena_printf(im->a, "a %.40s, not a post, page or attachment",
					it->post_type[0] ? it->post_type : "item without wp:post_type"));
	return 0;
}

int mh_wp_import(struct mh_store *s, const struct mh_wp_options *o, struct mh_wp_report *rep, struct mh_buf *err)
{
	struct imp im = { .s = s, .o = o, .rep = rep, .err = err };
	im.a = mh_arena_new();
	im.keep = mh_arena_new();
	struct mh_wxr_handler h = { on_channel, on_item, &im };
	int rc = 0;
	/* pass 0 reads the whole file and changes nothing: a malformed file is
	 * refused before anything is brought */
	/* commits not flushed one by one (a crash of the process loses
	 * nothing; a power cut may lose the last batches, which the next run
	 * brings again: each batch and its bookkeeping go together) */
	bool bulk = mh_store_bulk_load(s, true) == MH_OK;
	for (im.pass = 0; rc == 0 && im.pass <= 2; im.pass++) {
		im.seen = 0;
		rc = mh_wxr_read(o->file, NULL, 0, &h, err);
		if (rc != 0) {
			/* malformed input or a failure: the open batch is undone
			 * whole; every batch committed before stays */
			if (im.in_tx)
				mh_store_rollback(s);
			im.in_tx = false;
			if (err->len == 0)
				mh_buf_printf(err, "the database did not answer");
		} else if (im.pass > 0 && batch_commit(&im) != MH_OK) {
			mh_buf_printf(err, "the database did not answer");
			rc = 1;
		}
		if (o->progress && im.seen >= 200)
			fprintf(stderr, "\n");
	}
	if (bulk && mh_store_bulk_load(s, false) != MH_OK && rc == 0) {
		mh_buf_printf(err, "the database did not confirm the last writes");
		rc = 1;
	}
	if (im.curl != NULL)
		curl_easy_cleanup(im.curl);
	free(im.source);
	free(im.host);
	mh_arena_free(im.a);
	mh_arena_free(im.keep);
	return rc == 0 ? 0 : 1;
}
