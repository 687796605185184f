/* site.ini: defaults, every kind of value, and a clear error for each kind
 * of mistake; mh_config_set keeps the rest of the file. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "helpers.h"

static struct mh_config cfg;
static struct mh_buf err;

static bool parse(const char *text)
{
	mh_config_free(&cfg);
	mh_buf_reset(&err);
	return mh_config_parse(&cfg, "site.ini", text, strlen(text), &err);
}

/* Asserts text fails with an error that starts with want_prefix. */
static void parse_fails(const char *text, const char *want_prefix)
{
	cr_assert_not(parse(text), "accepted: %s", text);
	cr_assert(strncmp(mh_buf_cstr(&err), want_prefix, strlen(want_prefix)) == 0, "error \"%s\" lacks \"%s\"",
		  err.ptr, want_prefix);
}

static void teardown(void)
{
	mh_config_free(&cfg);
	mh_buf_free(&err);
}

TestSuite(config, .fini = teardown);

Test(config, defaults)
{
	mh_config_defaults(&cfg);
	cr_assert_str_eq(cfg.site.title, "Masthead");
	cr_assert_str_eq(cfg.site.tagline, "");
	cr_assert_str_eq(cfg.site.base_url, "http://127.0.0.1:8080");
	cr_assert_str_eq(cfg.site.timezone, "UTC");
	cr_assert_str_eq(cfg.site.language, "en");
	cr_assert_str_eq(cfg.store.url, "masthead.db");
	cr_assert_str_eq(cfg.server.listen, "127.0.0.1:8080");
	cr_assert_str_eq(cfg.site.theme_dir, "theme");
	cr_assert_null(cfg.server.tls_cert);
	cr_assert_null(cfg.dir);
	cr_assert_eq(cfg.server.threads, 0);
	cr_assert_not(cfg.server.http2);
	cr_assert_eq(cfg.server.max_connections, 1024);
	cr_assert_eq(cfg.server.max_body_bytes, 21 << 20);
	cr_assert_eq(cfg.server.max_header_bytes, 16 << 10);
	cr_assert_eq(cfg.server.header_timeout_s, 10);
	cr_assert_eq(cfg.server.idle_timeout_s, 60);
	cr_assert(cfg.server.access_log);
	cr_assert(cfg.cache.enabled);
	cr_assert_eq(cfg.cache.max_bytes, 256u << 20);
	cr_assert_eq(cfg.cache.max_age_s, 60);
	cr_assert_eq(cfg.cache.s_maxage_s, 300);
	cr_assert_eq(cfg.cache.stale_while_revalidate_s, 600);
	cr_assert_eq(cfg.store.schema_version, 0);
}

Test(config, empty_text_is_defaults)
{
	cr_assert(parse(""), "%s", err.ptr);
	cr_assert_str_eq(cfg.site.title, "Masthead");
	cr_assert(parse("; only a comment\n# another\n\n"));
}

Test(config, every_setting)
{
	const char *ini = "\xEF\xBB\xBF; site.ini\n"
			  "[site]\n"
			  "title = The Daily Planet\n"
			  "tagline = News; all of it\n"
			  "base_url = https://news.example.com/\n"
			  "timezone = Europe/Berlin\n"
			  "language = de-DE\n"
			  "video_channel_url = https://video.example.com/c/planet\n"
			  "social = Mastodon=https://m.example/@p;Bluesky=https://bsky.app/p\n"
			  "[database]\n"
			  "url = postgres://db/planet\n"
			  "[server]\n"
			  "listen = [::1]:9000\n"
			  "threads = 8\n"
			  "http2 = on\n"
			  "tls_cert = cert.pem\n"
			  "tls_key = key.pem\n"
			  "max_connections = 500\n"
			  "max_body = 8m\n"
			  "max_header_bytes = 32k\n"
			  "header_timeout = 5\n"
			  "idle_timeout = 120\n"
			  "access_log = no\n"
			  "[cache]\n"
			  "enabled = FALSE\n"
			  "max_bytes = 1g\n"
			  "max_age = 0\n"
			  "s_maxage = 30\n"
			  "stale_while_revalidate = 86400\n"
			  "[theme]\n"
			  "dir = mytheme\n"
			  "[schema]\n"
			  "version = 3\n";
	cr_assert(parse(ini), "%s", err.ptr);
	cr_assert_str_eq(cfg.site.title, "The Daily Planet");
	cr_assert_str_eq(cfg.site.tagline, "News; all of it", "';' is not a comment inside a value");
	cr_assert_str_eq(cfg.site.base_url, "https://news.example.com", "trailing slash dropped");
	cr_assert_str_eq(cfg.site.timezone, "Europe/Berlin");
	cr_assert_str_eq(cfg.site.language, "de-DE");
	cr_assert_str_eq(cfg.site.video_channel_url, "https://video.example.com/c/planet");
	cr_assert_str_eq(cfg.site.social_links, "Mastodon=https://m.example/@p;Bluesky=https://bsky.app/p");
	cr_assert_str_eq(cfg.store.url, "postgres://db/planet");
	cr_assert_str_eq(cfg.server.listen, "[::1]:9000");
	cr_assert_eq(cfg.server.threads, 8);
	cr_assert(cfg.server.http2);
	cr_assert_str_eq(cfg.server.tls_cert, "cert.pem");
	cr_assert_str_eq(cfg.server.tls_key, "key.pem");
	cr_assert_eq(cfg.server.max_connections, 500);
	cr_assert_eq(cfg.server.max_body_bytes, 8u << 20);
	cr_assert_eq(cfg.server.max_header_bytes, 32u << 10);
	cr_assert_eq(cfg.server.header_timeout_s, 5);
	cr_assert_eq(cfg.server.idle_timeout_s, 120);
	cr_assert_not(cfg.server.access_log);
	cr_assert_not(cfg.cache.enabled);
	cr_assert_eq(cfg.cache.max_bytes, 1u << 30);
	cr_assert_eq(cfg.cache.max_age_s, 0);
	cr_assert_eq(cfg.cache.s_maxage_s, 30);
	cr_assert_eq(cfg.cache.stale_while_revalidate_s, 86400);
	cr_assert_str_eq(cfg.site.theme_dir, "mytheme");
	cr_assert_eq(cfg.store.schema_version, 3);
}

Test(config, booleans)
{
	const char *t[] = { "true", "yes", "on", "1", "TRUE", "Yes" }, *f[] = { "false", "no", "off", "0", "Off" };
	char ini[64];
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(ini, sizeof ini, "[server]\nhttp2 = %s\n", t[i]);
		cr_assert(parse(ini), "%s", err.ptr);
		cr_assert(cfg.server.http2, "%s", t[i]);
	}
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		snprintf(ini, sizeof ini, "[server]\naccess_log = %s\n", f[i]);
		cr_assert(parse(ini), "%s", err.ptr);
		cr_assert_not(cfg.server.access_log, "%s", f[i]);
	}
	parse_fails("[server]\nhttp2 = maybe\n", "site.ini:2: [server] http2: \"maybe\" is not a boolean (expected");
	parse_fails("[server]\nhttp2 =\n", "site.ini:2: [server] http2:");
}

Test(config, sizes)
{
	cr_assert(parse("[server]\nmax_body = 1048576\n"));
	cr_assert_eq(cfg.server.max_body_bytes, 1048576);
	cr_assert(parse("[server]\nmax_body = 1m\n"));
	cr_assert_eq(cfg.server.max_body_bytes, 1048576);
	cr_assert(parse("[server]\nmax_body = 512K\n"));
	cr_assert_eq(cfg.server.max_body_bytes, 512 * 1024);
	cr_assert(parse("[cache]\nmax_bytes = 2G\n"));
	cr_assert_eq(cfg.cache.max_bytes, (size_t)2 << 30);
	parse_fails("[server]\nmax_body = 1t\n", "site.ini:2: [server] max_body: \"1t\" is not a valid size (expected");
	parse_fails("[server]\nmax_body = m\n", "site.ini:2: [server] max_body:");
	parse_fails("[server]\nmax_body = -1\n", "site.ini:2: [server] max_body:");
	parse_fails("[server]\nmax_body = 1 m\n", "site.ini:2: [server] max_body:");
	parse_fails("[server]\nmax_body = 0\n", "site.ini:2: [server] max_body:");
	parse_fails("[server]\nmax_body = 99999999999999999999999\n", "site.ini:2: [server] max_body:");
	parse_fails("[server]\nmax_body = 99999999999g\n", "site.ini:2: [server] max_body:");
	parse_fails("[server]\nmax_header_bytes = 10\n", "site.ini:2: [server] max_header_bytes:");
}

Test(config, integers_in_range)
{
	parse_fails("[server]\nthreads = 99999\n",
		    "site.ini:2: [server] threads: \"99999\" is out of range (expected a whole number from 0 to 1024)");
	parse_fails("[server]\nthreads = -1\n", "site.ini:2: [server] threads:");
	parse_fails("[server]\nthreads = 4k\n", "site.ini:2: [server] threads:");
	parse_fails("[server]\nmax_connections = 0\n", "site.ini:2: [server] max_connections:");
	parse_fails("[server]\nheader_timeout = 0x10\n", "site.ini:2: [server] header_timeout:");
	parse_fails("[schema]\nversion = 3.5\n", "site.ini:2: [schema] version:");
	parse_fails("[schema]\nversion = 99999999999\n", "site.ini:2: [schema] version:");
}

Test(config, unknown_section_and_key)
{
	parse_fails("[site]\ntitle = x\n[bogus]\nkey = 1\n",
		    "site.ini:4: [bogus] key: unknown section (expected one of site, database, server");
	parse_fails("[cache]\nenabled = yes\n\nmaxbytes = 1m\n",
		    "site.ini:4: [cache] maxbytes: unknown setting (expected one of enabled, max_bytes");
	parse_fails("title = x\n", "site.ini:1: [] title: setting outside any section");
	parse_fails("[Site]\ntitle = x\n", "site.ini:2: [Site] title: unknown section");
}

Test(config, syntax_errors)
{
	parse_fails("[site]\ntitle = ok\njust some words\n", "site.ini:3: syntax error (expected");
	parse_fails("[site\ntitle = x\n", "site.ini:1: syntax error");
	parse_fails("[site]\n  indented continuation\n", "site.ini:2: syntax error");
}

Test(config, first_error_wins)
{
	parse_fails("[site]\nbad line\n[nope]\nx = 1\n", "site.ini:2: syntax error");
	parse_fails("[nope]\nx = 1\nbad line\n", "site.ini:2: [nope] x: unknown section");
}

Test(config, line_numbers_with_crlf_and_no_final_newline)
{
	parse_fails("[site]\r\n\r\ntitle = a\r\n[server]\r\nthreads = x", "site.ini:5: [server] threads:");
}

Test(config, values)
{
	parse_fails("[site]\ntitle =\n", "site.ini:2: [site] title: empty value (expected some text)");
	parse_fails("[site]\nbase_url = ftp://x\n", "site.ini:2: [site] base_url: \"ftp://x\" is not a web address");
	parse_fails("[site]\nbase_url = https://\n", "site.ini:2: [site] base_url:");
	parse_fails("[site]\ntimezone = Mars/Base\n",
		    "site.ini:2: [site] timezone: unknown time zone \"Mars/Base\" (expected an IANA name");
	parse_fails("[site]\ntimezone = ../../etc/passwd\n", "site.ini:2: [site] timezone:");
	parse_fails("[site]\nlanguage = en_US!\n", "site.ini:2: [site] language:");
	parse_fails("[site]\nsocial = Mastodon\n", "site.ini:2: [site] social: bad link list");
	parse_fails("[site]\nsocial = M=javascript:alert(1)\n", "site.ini:2: [site] social:");
	parse_fails("[site]\nsocial = M=https://a.b;\n", "site.ini:2: [site] social:");
	cr_assert(parse("[site]\nsocial = A=https://a.example ; B=https://b.example\n"), "%s", err.ptr);
	parse_fails("[site]\nvideo_channel_url = nope\n", "site.ini:2: [site] video_channel_url:");
	parse_fails("[server]\nlisten = 8080\n", "site.ini:2: [server] listen: bad address \"8080\"");
	parse_fails("[server]\nlisten = host:99999\n", "site.ini:2: [server] listen:");
	parse_fails("[server]\nlisten = ::1:80\n", "site.ini:2: [server] listen:");
	parse_fails("[server]\nlisten = :\n", "site.ini:2: [server] listen:");
	cr_assert(parse("[server]\nlisten = :8080\n"), "every address: %s", err.ptr);
	parse_fails("[site]\ntitle = a\x01" "b\n", "site.ini:2: [site] title: control character");
	cr_assert(parse("[server]\nlisten = 0.0.0.0:8080\ntls_cert =\n"), "%s", err.ptr);
	cr_assert_null(cfg.server.tls_cert);
	cr_assert(parse("[site]\nvideo_channel_url =\nsocial =\n"), "%s", err.ptr);
	cr_assert_str_eq(cfg.site.video_channel_url, "");
}

Test(config, colon_separator_and_last_wins)
{
	cr_assert(parse("[site]\ntitle: One\ntitle = Two\n"), "%s", err.ptr);
	cr_assert_str_eq(cfg.site.title, "Two");
}

Test(config, nul_and_long_lines_rejected)
{
	mh_config_free(&cfg);
	mh_buf_reset(&err);
	cr_assert_not(mh_config_parse(&cfg, "x.ini", "[site]\ntitle = a\0b\n", 17, &err));
	cr_assert_str_eq(mh_buf_cstr(&err), "x.ini:2: NUL byte in file (expected text)");
	struct mh_buf big = MH_BUF_INIT;
	mh_buf_append_c(&big, "[site]\ntagline = ");
	for (int i = 0; i < 5000; i++)
		mh_buf_append_ch(&big, 'x');
	parse_fails(mh_buf_cstr(&big), "site.ini:2: line too long");
	mh_buf_free(&big);
}

Test(config, long_line_within_limit_not_truncated)
{
	struct mh_buf big = MH_BUF_INIT;
	mh_buf_append_c(&big, "[site]\ntagline = ");
	for (int i = 0; i < 3000; i++)
		mh_buf_append_ch(&big, (char)('a' + i % 26));
	mh_buf_append_c(&big, "\n[server]\nthreads = 2\n");
	cr_assert(parse(mh_buf_cstr(&big)), "%s", err.ptr);
	cr_assert_eq(strlen(cfg.site.tagline), 3000);
	cr_assert_eq(cfg.server.threads, 2);
	mh_buf_free(&big);
}

Test(config, defaults_then_parse_then_free_does_not_leak)
{
	/* Under ASan/LSan a leak here fails the run. */
	struct mh_config c;
	mh_config_defaults(&c);
	cr_assert(mh_config_parse(&c, "a", "[site]\ntitle = x\ntitle = y\n", 26, NULL));
	mh_config_free(&c);
	cr_assert_null(c.site.title);
}

static char *make_site(const char *ini)
{
	static char dir[] = "/tmp/mh-site-XXXXXX";
	strcpy(dir, "/tmp/mh-site-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	if (ini) {
		char path[64];
		snprintf(path, sizeof path, "%s/site.ini", dir);
		cr_assert(mh_file_write_atomic(path, ini, strlen(ini)));
	}
	return dir;
}

Test(config, load_makes_dir_absolute)
{
	char *dir = make_site("[site]\ntitle = Loaded\n");
	char cwd[256];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	cr_assert_eq(chdir("/tmp"), 0);
	mh_config_free(&cfg);
	cr_assert(mh_config_load(&cfg, dir + 5, &err), "%s", mh_buf_cstr(&err)); /* relative: "mh-site-..." */
	cr_assert_str_eq(cfg.dir, dir);
	char want[80];
	snprintf(want, sizeof want, "%s/site.ini", dir);
	cr_assert_str_eq(cfg.path, want);
	cr_assert_str_eq(cfg.site.title, "Loaded");
	cr_assert_eq(chdir(cwd), 0);
	unlink(want);
	rmdir(dir);
}

Test(config, load_errors_name_the_file)
{
	mh_config_free(&cfg);
	cr_assert_not(mh_config_load(&cfg, "/nonexistent/site", &err));
	cr_assert(strstr(mh_buf_cstr(&err), "/nonexistent/site: cannot open site folder") == err.ptr, "%s", err.ptr);

	char *dir = make_site(NULL);
	mh_buf_reset(&err);
	cr_assert_not(mh_config_load(&cfg, dir, &err));
	cr_assert_not_null(strstr(mh_buf_cstr(&err), "/site.ini: cannot read: No such file"), "%s", err.ptr);
	rmdir(dir);

	dir = make_site("[server]\nthreads = lots\n");
	mh_buf_reset(&err);
	cr_assert_not(mh_config_load(&cfg, dir, &err));
	char want[96];
	snprintf(want, sizeof want, "%s/site.ini:2: [server] threads:", dir);
	cr_assert(strncmp(mh_buf_cstr(&err), want, strlen(want)) == 0, "%s", err.ptr);
	cr_assert_str_eq(cfg.site.title, "Masthead", "config left at defaults after a failed load");
	snprintf(want, sizeof want, "%s/site.ini", dir);
	unlink(want);
	rmdir(dir);
}

static char *read_text(const char *path)
{
	static struct mh_buf b;
	mh_buf_reset(&b);
	cr_assert(mh_file_read(path, &b));
	return (char *)mh_buf_cstr(&b);
}

Test(config, set_replaces_in_place_keeping_comments)
{
	char *dir = make_site("; The site\n[site]\n# the name\ntitle = Old  \ntagline = keep\n\n[server]\nthreads = 2\n");
	char path[64];
	snprintf(path, sizeof path, "%s/site.ini", dir);
	cr_assert(mh_config_set(path, "site", "title", "New Name", &err), "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(read_text(path),
			 "; The site\n[site]\n# the name\ntitle = New Name\ntagline = keep\n\n[server]\nthreads = 2\n");
	unlink(path);
	rmdir(dir);
}

Test(config, set_adds_key_to_existing_section)
{
	char *dir = make_site("[site]\ntitle = T\n\n[server]\nthreads = 2\n");
	char path[64];
	snprintf(path, sizeof path, "%s/site.ini", dir);
	cr_assert(mh_config_set(path, "site", "timezone", "Europe/Berlin", &err), "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(read_text(path), "[site]\ntitle = T\ntimezone = Europe/Berlin\n\n[server]\nthreads = 2\n");
	cr_assert(mh_config_set(path, "server", "http2", "yes", &err), "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(read_text(path),
			 "[site]\ntitle = T\ntimezone = Europe/Berlin\n\n[server]\nthreads = 2\nhttp2 = yes\n");
	unlink(path);
	rmdir(dir);
}

Test(config, set_adds_section_and_creates_file)
{
	char *dir = make_site("[site]\ntitle = T");
	char path[64];
	snprintf(path, sizeof path, "%s/site.ini", dir);
	cr_assert(mh_config_set(path, "schema", "version", "4", &err), "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(read_text(path), "[site]\ntitle = T\n\n[schema]\nversion = 4\n");
	unlink(path);
	cr_assert(mh_config_set(path, "site", "title", "Fresh", &err), "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(read_text(path), "[site]\ntitle = Fresh\n");
	unlink(path);
	rmdir(dir);
}

Test(config, set_refuses_bad_values_and_keeps_file)
{
	const char *orig = "[server]\nthreads = 2\n";
	char *dir = make_site(orig);
	char path[64];
	snprintf(path, sizeof path, "%s/site.ini", dir);
	cr_assert_not(mh_config_set(path, "server", "threads", "many", &err));
	cr_assert_not_null(strstr(mh_buf_cstr(&err), "site.ini:2: [server] threads:"), "%s", err.ptr);
	mh_buf_reset(&err);
	cr_assert_not(mh_config_set(path, "server", "colour", "red", &err));
	cr_assert_not_null(strstr(mh_buf_cstr(&err), "[server] colour: unknown setting"), "%s", err.ptr);
	mh_buf_reset(&err);
	cr_assert_not(mh_config_set(path, "site", "title", "two\nlines", &err));
	cr_assert_not_null(strstr(mh_buf_cstr(&err), "line break"), "%s", err.ptr);
	cr_assert_str_eq(read_text(path), orig);
	unlink(path);
	rmdir(dir);
}

/* ---- [jobs] and [purge] ---- */

Test(config, jobs_and_purge_defaults)
{
	mh_config_defaults(&cfg);
	cr_assert_eq(cfg.jobs.workers, 1);
	cr_assert_eq(cfg.jobs.lease_s, 60);
	cr_assert_str_eq(cfg.purge.varnish, "");
	cr_assert_str_eq(cfg.purge.url_template, "");
	cr_assert_str_eq(cfg.purge.method, "POST");
	cr_assert_str_eq(cfg.purge.header, "");
	cr_assert_eq(cfg.purge.timeout_s, 5);
}

Test(config, jobs_and_purge_settings)
{
	cr_assert(parse("[jobs]\nworkers = 0\nlease = 3\n"
			"[purge]\n"
			"varnish = http://127.0.0.1:6081  http://10.0.0.2:6081/\n"
			"url_template = https://cdn.example/purge?key={key}\n"
			"method = PURGE\n"
			"header = Authorization: Bearer s3cret\n"
			"timeout = 2\n"),
		  "%s", err.ptr);
	cr_assert_eq(cfg.jobs.workers, 0);
	cr_assert_eq(cfg.jobs.lease_s, 3);
	cr_assert_str_eq(cfg.purge.varnish, "http://127.0.0.1:6081  http://10.0.0.2:6081/");
	cr_assert_str_eq(cfg.purge.url_template, "https://cdn.example/purge?key={key}");
	cr_assert_str_eq(cfg.purge.method, "PURGE");
	cr_assert_str_eq(cfg.purge.header, "Authorization: Bearer s3cret");
	cr_assert_eq(cfg.purge.timeout_s, 2);
	/* empty values switch a target off again */
	cr_assert(parse("[purge]\nvarnish =\nurl_template =\nheader =\n"), "%s", err.ptr);
	cr_assert_str_eq(cfg.purge.varnish, "");
}

Test(config, jobs_and_purge_errors)
{
	parse_fails("[jobs]\nworkers = 65\n", "site.ini:2: [jobs] workers: \"65\" is out of range");
	parse_fails("[jobs]\nlease = 0\n", "site.ini:2: [jobs] lease: \"0\" is out of range");
	parse_fails("[jobs]\nqueue = x\n", "site.ini:2: [jobs] queue: unknown setting");
	parse_fails("[purge]\nvarnish = http://a:1 ftp://b\n",
		    "site.ini:2: [purge] varnish: \"http://a:1 ftp://b\" is not a list of web addresses");
	parse_fails("[purge]\nurl_template = https://cdn.example/purge\n",
		    "site.ini:2: [purge] url_template: \"https://cdn.example/purge\" is not a purge address");
	parse_fails("[purge]\nurl_template = cdn.example/{key}\n", "site.ini:2: [purge] url_template:");
	parse_fails("[purge]\nmethod = post\n", "site.ini:2: [purge] method: \"post\" is not an HTTP method");
	parse_fails("[purge]\nmethod = PO ST\n", "site.ini:2: [purge] method:");
	parse_fails("[purge]\nheader = Authorization\n", "site.ini:2: [purge] header: \"Authorization\" is not a header");
	parse_fails("[purge]\nheader = X Key: 1\n", "site.ini:2: [purge] header:");
	parse_fails("[purge]\nheader = X-Key:   \n", "site.ini:2: [purge] header:");
	parse_fails("[purge]\ntimeout = 0\n", "site.ini:2: [purge] timeout:");
}

/* ---- the registry: every module's table, and the file init writes ---- */

/* The value of row in values, as text, for comparing two loads. */
static void value_text(struct mh_buf *b, const struct mh_setting *row, const void *values)
{
	const char *field = (const char *)values + row->offset;
	switch (row->type) {
	case MH_SETTING_BOOL:
		mh_buf_printf(b, "%d", *(const bool *)field);
		break;
	case MH_SETTING_INT:
	case MH_SETTING_CHOICE:
		mh_buf_printf(b, "%d", *(const int *)field);
		break;
	case MH_SETTING_SIZE:
		mh_buf_printf(b, "%zu", *(const size_t *)field);
		break;
	default: {
		const char *s = *(const char *const *)field;
		mh_buf_printf(b, "%s", s ? s : "(null)");
	}
	}
}

/* Asserts a and b hold the same value for every row of every slot. */
static void assert_same_values(const struct mh_settings_slot *a, const struct mh_settings_slot *b, size_t n)
{
	struct mh_buf x = MH_BUF_INIT, y = MH_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		for (size_t r = 0; r < a[i].table->n_rows; r++) {
			const struct mh_setting *row = &a[i].table->rows[r];
			mh_buf_reset(&x);
			mh_buf_reset(&y);
			value_text(&x, row, a[i].values);
			value_text(&y, row, b[i].values);
			cr_assert_str_eq(mh_buf_cstr(&x), mh_buf_cstr(&y), "[%s] %s", a[i].table->section, row->key);
		}
	}
	mh_buf_free(&x);
	mh_buf_free(&y);
}

Test(config, registry_has_one_table_per_section_and_a_comment_per_key)
{
	struct mh_settings_slot slots[MH_CONFIG_SLOTS];
	size_t n = mh_config_slots(NULL, slots);
	const char *want[] = { "site", "database", "server", "cache", "jobs", "purge", "media", "auth", "views", "comments", "feeds", "trending", "ads",
			       "mail", "newsletter", /* issue 10's newsletter */
			       "donations", "paypal", "stripe", /* issue 10's donations */
			       "theme", "schema" };
	cr_assert_eq(n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < n; i++) {
		const struct mh_settings_table *t = slots[i].table;
		cr_assert_str_eq(t->section, want[i], "the file's order");
		cr_assert_gt(t->n_rows, 0, "[%s]", t->section);
		for (size_t r = 0; r < t->n_rows; r++) {
			const struct mh_setting *row = &t->rows[r];
			cr_assert(row->comment != NULL && row->comment[0] != '\0', "[%s] %s has no comment", t->section,
				  row->key);
			cr_assert_lt(row->offset, t->size, "[%s] %s", t->section, row->key);
			for (size_t k = 0; k < r; k++)
				cr_assert_str_neq(t->rows[k].key, row->key, "[%s] %s twice", t->section, row->key);
		}
	}
}

Test(config, generated_file_holds_every_setting_and_parses_to_the_defaults)
{
	struct mh_buf text = MH_BUF_INIT, line = MH_BUF_INIT;
	mh_config_write_defaults(&text);
	const char *ini = mh_buf_cstr(&text);
	struct mh_settings_slot slots[MH_CONFIG_SLOTS];
	size_t n = mh_config_slots(NULL, slots);
	size_t rows = 0;
	for (size_t i = 0; i < n; i++) {
		const struct mh_settings_table *t = slots[i].table;
		mh_buf_reset(&line);
		mh_buf_printf(&line, "\n[%s]\n", t->section);
		const char *sec = strstr(ini, mh_buf_cstr(&line));
		cr_assert_not_null(sec, "no %s", mh_buf_cstr(&line));
		const char *next = strstr(sec + 1, "\n[");
		for (size_t r = 0; r < t->n_rows; r++, rows++) {
			const struct mh_setting *row = &t->rows[r];
			/* the comment's last line, then the key at its default */
			const char *last = strrchr(row->comment, '\n');
			last = last ? last + 1 : row->comment;
			mh_buf_reset(&line);
			mh_buf_printf(&line, "\n; %s\n%s =%s%s\n", last, row->key, row->def[0] ? " " : "", row->def);
			const char *at = strstr(sec, mh_buf_cstr(&line));
			cr_assert(at != NULL && (next == NULL || at < next), "[%s] lacks \"%s\"", t->section,
				  mh_buf_cstr(&line) + 1);
		}
	}
	cr_assert_geq(rows, 33, "every setting there was before the tables, at least");
	cr_assert_not_null(strstr(ini, "\n[jobs]\n"));
	cr_assert_not_null(strstr(ini, "\n[purge]\n"));

	/* read back: exactly the defaults, each string read from the file */
	struct mh_config defaults;
	mh_config_defaults(&defaults);
	cr_assert(parse(ini), "%s", mh_buf_cstr(&err));
	struct mh_settings_slot from_file[MH_CONFIG_SLOTS], from_defaults[MH_CONFIG_SLOTS];
	mh_config_slots(&cfg, from_file);
	mh_config_slots(&defaults, from_defaults);
	assert_same_values(from_defaults, from_file, n);
	cr_assert_neq(cfg.site.title, defaults.site.title, "title was read, not defaulted");
	cr_assert_neq(cfg.purge.method, defaults.purge.method, "[purge] method was read, not defaulted");
	mh_buf_free(&text);
	mh_buf_free(&line);
}

/* A module's table alone: a section no other file knows of. */
struct widget_settings {
	const char *colour, *home;
	int size, mode;
	size_t cap;
	bool shiny;
};

static bool check_colour(const char *v, struct mh_buf *why)
{
	if (strcmp(v, "mauve") != 0)
		return true;
	mh_buf_append_c(why, "mauve is not a colour (expected red, blue, ...)");
	return false;
}

static const char *const widget_modes[] = { "fast", "careful", NULL };
#define W(field) offsetof(struct widget_settings, field)
static const struct mh_setting widget_rows[] = {
	{ .key = "colour", .type = MH_SETTING_TEXT, .offset = W(colour), .def = "blue", .check = check_colour,
	  .comment = "the widget's colour" },
	{ .key = "size", .type = MH_SETTING_INT, .offset = W(size), .min = 1, .max = 10, .def = "3",
	  .comment = "how big" },
	{ .key = "mode", .type = MH_SETTING_CHOICE, .offset = W(mode), .choices = widget_modes, .def = "careful",
	  .comment = "fast or careful" },
	{ .key = "cap", .type = MH_SETTING_SIZE, .offset = W(cap), .min = 1, .max = 1 << 20, .def = "2k",
	  .comment = "bytes at most" },
	{ .key = "shiny", .type = MH_SETTING_BOOL, .offset = W(shiny), .def = "yes", .comment = "polished" },
	{ .key = "home", .type = MH_SETTING_URL, .flags = MH_SETTING_OPTIONAL, .offset = W(home), .def = "",
	  .comment = "where it lives (empty: nowhere)" },
};
#undef W
static const struct mh_settings_table widget_table =
	MH_SETTINGS_TABLE("widget", "a test-only module's section", widget_rows, struct widget_settings);

Test(config, a_modules_table_alone_defines_its_settings)
{
	struct widget_settings w;
	struct mh_settings_slot slots[MH_CONFIG_SLOTS + 1];
	mh_config_free(&cfg);
	size_t n = mh_config_slots(&cfg, slots);
	slots[n++] = (struct mh_settings_slot){ &widget_table, &w };

	/* written out with its comments and defaults, after the others */
	struct mh_buf text = MH_BUF_INIT;
	mh_settings_write_defaults(slots, n, &text);
	cr_assert_not_null(strstr(mh_buf_cstr(&text), "\n\n[schema]\n"));
	cr_assert_not_null(strstr(mh_buf_cstr(&text), "\n\n[widget]\n; a test-only module's section\n"
							"; the widget's colour\ncolour = blue\n; how big\nsize = 3\n"
							"; fast or careful\nmode = careful\n; bytes at most\ncap = 2k\n"
							"; polished\nshiny = yes\n; where it lives (empty: nowhere)\nhome =\n"),
			   "%s", text.ptr);

	/* defaults, and read back from the file (a parse starts from the
	 * defaults: what the last one read is freed first) */
	mh_buf_reset(&err);
	cr_assert(mh_settings_parse(slots, n, "site.ini", text.ptr, text.len, &err), "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(w.colour, "blue");
	cr_assert_eq(w.size, 3);
	cr_assert_eq(w.mode, 1);
	cr_assert_eq(w.cap, 2048);
	cr_assert(w.shiny);
	cr_assert_str_eq(w.home, "");
	cr_assert_str_eq(cfg.site.title, "Masthead", "the others are read too");

	const char *good = "[site]\ntitle = T\n[widget]\ncolour = red\nmode = fast\ncap = 1m\nshiny = off\n"
			   "home = https://w.example/\n";
	mh_settings_free(slots, n);
	cr_assert(mh_settings_parse(slots, n, "site.ini", good, strlen(good), &err), "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(w.colour, "red");
	cr_assert_eq(w.mode, 0);
	cr_assert_eq(w.cap, 1 << 20);
	cr_assert_not(w.shiny);
	cr_assert_str_eq(w.home, "https://w.example");
	cr_assert_str_eq(cfg.site.title, "T");

	/* its checks, with the same error contract as every other section */
	struct {
		const char *ini, *want;
	} bad[] = {
		{ "[widget]\nmode = slow\n",
		  "site.ini:2: [widget] mode: \"slow\" is not a choice here (expected one of fast, careful)" },
		{ "[widget]\ncolour = mauve\n", "site.ini:2: [widget] colour: mauve is not a colour (expected red, blue, ...)" },
		{ "[widget]\nsize = 11\n",
		  "site.ini:2: [widget] size: \"11\" is out of range (expected a whole number from 1 to 10)" },
		{ "[widget]\nweight = 1\n",
		  "site.ini:2: [widget] weight: unknown setting (expected one of colour, size, mode, cap, shiny, home)" },
		{ "[gadget]\nx = 1\n",
		  "site.ini:2: [gadget] x: unknown section (expected one of site, database, server, cache, jobs, "
		  "purge, media, auth, views, comments, feeds, trending, ads, mail, newsletter, donations, paypal, stripe, theme, schema, "
		  "widget)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		mh_buf_reset(&err);
		mh_settings_free(slots, n);
		cr_assert_not(mh_settings_parse(slots, n, "site.ini", bad[i].ini, strlen(bad[i].ini), &err), "%s",
			      bad[i].ini);
		cr_assert_str_eq(mh_buf_cstr(&err), bad[i].want);
		cr_assert_str_eq(w.colour, "blue", "left at the defaults after an error");
	}

	/* rewriting one of its keys in a file, checked */
	char *dir = make_site("[widget]\nsize = 2\n");
	char path[64];
	snprintf(path, sizeof path, "%s/site.ini", dir);
	mh_buf_reset(&err);
	cr_assert(mh_settings_set(slots, n, path, "widget", "mode", "fast", &err), "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(read_text(path), "[widget]\nsize = 2\nmode = fast\n");
	cr_assert_not(mh_settings_set(slots, n, path, "widget", "mode", "slow", &err));
	cr_assert_str_eq(read_text(path), "[widget]\nsize = 2\nmode = fast\n");

	/* and without its table the section does not exist */
	cr_assert_not(parse("[widget]\nsize = 2\n"));
	cr_assert_not_null(strstr(mh_buf_cstr(&err), "[widget] size: unknown section"), "%s", err.ptr);
	mh_settings_free(slots, n);
	unlink(path);
	rmdir(dir);
	mh_buf_free(&text);
}

Test(config, environment_database_url_wins_and_is_checked)
{
	char *dir = make_site("[database]\nurl = from-file.db\n");
	char path[64];
	snprintf(path, sizeof path, "%s/site.ini", dir);
	setenv("MASTHEAD_DATABASE_URL", "postgres://env/db", 1);
	mh_config_free(&cfg);
	cr_assert(mh_config_load(&cfg, dir, &err), "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(cfg.store.url, "postgres://env/db");
	mh_config_free(&cfg);
	setenv("MASTHEAD_DATABASE_URL", "postgres://env/\x01", 1);
	cr_assert_not(mh_config_load(&cfg, dir, &err));
	cr_assert_str_eq(mh_buf_cstr(&err),
			 "MASTHEAD_DATABASE_URL: [database] url: control character in value (expected printable text)");
	cr_assert_str_eq(cfg.store.url, "masthead.db", "left at the defaults");
	unsetenv("MASTHEAD_DATABASE_URL");
	unlink(path);
	rmdir(dir);
}

Test(config, log_format_and_metrics_allow)
{
	cr_assert(parse("[server]\n"));
	cr_assert_eq(cfg.server.log_format, MH_LOG_TEXT);
	cr_assert_str_eq(cfg.server.metrics_allow, "127.0.0.1 ::1");
	cr_assert(parse("[server]\nlog_format = json\nmetrics_allow = 10.0.0.0/8 fd00::/8\n"), "%s", err.ptr);
	cr_assert_eq(cfg.server.log_format, MH_LOG_JSON);
	cr_assert_str_eq(cfg.server.metrics_allow, "10.0.0.0/8 fd00::/8");
	cr_assert(parse("[server]\nmetrics_allow =\n"), "empty: nobody may read /metrics");
	parse_fails("[server]\nlog_format = xml\n", "site.ini:2: [server] log_format: \"xml\" is not a choice here");
	parse_fails("[server]\n\nmetrics_allow = 127.0.0.1 prometheus.lan\n",
		    "site.ini:3: [server] metrics_allow: \"prometheus.lan\" is not an address");
}
