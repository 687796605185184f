/* Logging (captured through a pipe on stderr) and file helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

/* Runs fn with stderr redirected and returns what it wrote (malloc'd). */
static char *capture_stderr(void (*fn)(void))
{
	char path[] = "/tmp/mh-log-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	struct mh_buf b = MH_BUF_INIT;
	cr_assert(mh_file_read(path, &b));
	close(fd);
	unlink(path);
	char *s = strdup(mh_buf_cstr(&b));
	mh_buf_free(&b);
	return s;
}

static void log_basic(void)
{
	mh_log(MH_LOG_WARN, "disk %d%% full", 93);
}

Test(log, line_format)
{
	char *out = capture_stderr(log_basic);
	/* 2026-11-29T06:21:00Z WARN disk 93% full\n */
	cr_assert_eq(strlen(out), 20 + 1 + 4 + 1 + 13 + 1, "got \"%s\"", out);
	cr_assert_eq(out[4], '-');
	cr_assert_eq(out[10], 'T');
	cr_assert_eq(out[19], 'Z');
	cr_assert_str_eq(out + 20, " WARN disk 93% full\n");
	free(out);
}

static void log_filtered(void)
{
	mh_log_set_level(MH_LOG_WARN);
	mh_log(MH_LOG_INFO, "hidden");
	mh_log(MH_LOG_DEBUG, "hidden too");
	mh_log(MH_LOG_ERROR, "shown");
}

Test(log, level_filter)
{
	char *out = capture_stderr(log_filtered);
	cr_assert_null(strstr(out, "hidden"));
	cr_assert_not_null(strstr(out, " ERROR shown\n"));
	free(out);
}

static void log_newlines(void)
{
	mh_log(MH_LOG_INFO, "evil %s", "a\nFAKE ERROR b\r");
}

Test(log, message_stays_one_line)
{
	char *out = capture_stderr(log_newlines);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "got \"%s\"", out);
	cr_assert_not_null(strstr(out, "a\\x0aFAKE ERROR b\\x0d"));
	free(out);
}

Test(log, errno_preserved)
{
	errno = ENOENT;
	mh_log(MH_LOG_DEBUG, "x");
	mh_log(MH_LOG_ERROR, "y");
	cr_assert_eq(errno, ENOENT);
}

Test(log, sanitize)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_log_sanitize(&b, (struct mh_str){ "GET /\x1b[31m\xc3\xa9\0ok", 15 });
	cr_assert_str_eq(mh_buf_cstr(&b), "GET /\\x1b[31m\\xc3\\xa9\\x00ok");
	mh_buf_reset(&b);
	mh_log_sanitize(&b, MH_STR(""));
	cr_assert_eq(b.len, 0);
	mh_buf_free(&b);
}

Test(file, read_missing_sets_errno)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, "keep");
	errno = 0;
	cr_assert_not(mh_file_read("/nonexistent/mh/file", &b));
	cr_assert_eq(errno, ENOENT);
	cr_assert_str_eq(mh_buf_cstr(&b), "keep");
	mh_buf_free(&b);
}

Test(file, write_atomic_then_read_appends)
{
	char dir[] = "/tmp/mh-file-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/f.txt", dir);
	cr_assert(mh_file_write_atomic(path, "first", 5));
	chmod(path, 0600);
	cr_assert(mh_file_write_atomic(path, "second version", 14));
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "permissions kept across rewrite");
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, ">");
	cr_assert(mh_file_read(path, &b));
	cr_assert_str_eq(mh_buf_cstr(&b), ">second version");
	mh_buf_free(&b);
	/* no temp files left behind */
	char cmd[128];
	snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
	cr_assert_eq(system(cmd), 0);
	unlink(path);
	rmdir(dir);
}

Test(file, write_atomic_fails_in_missing_dir)
{
	errno = 0;
	cr_assert_not(mh_file_write_atomic("/nonexistent/mh/dir/f", "x", 1));
	cr_assert_eq(errno, ENOENT);
}

Test(file, big_file)
{
	char path[] = "/tmp/mh-big-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	size_t n = 300000;
	char *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7);
	cr_assert(mh_file_write_atomic(path, data, n));
	struct mh_buf b = MH_BUF_INIT;
	cr_assert(mh_file_read(path, &b));
	cr_assert_eq(b.len, n);
	cr_assert(memcmp(b.ptr, data, n) == 0);
	mh_buf_free(&b);
	free(data);
	unlink(path);
}

static void log_json(void)
{
	mh_log_set_level(MH_LOG_INFO);
	mh_log_set_format(MH_LOG_JSON);
	mh_log(MH_LOG_WARN, "evil \"%s\"", "a\nb\x1b<c>");
	mh_log_set_format(MH_LOG_TEXT);
}

Test(log, json_line)
{
	char *out = capture_stderr(log_json);
	/* {"time":"2026-11-29T06:21:00Z","level":"warn","msg":"..."}\n */
	cr_assert_eq(strncmp(out, "{\"time\":\"", 9), 0, "got \"%s\"", out);
	cr_assert_eq(out[9 + 19], 'Z', "got \"%s\"", out);
	cr_assert_str_eq(out + 9 + 20,
			 "\",\"level\":\"warn\",\"msg\":\"evil \\\"a\\\\x0ab\\\\x1b\\u003cc\\u003e\\\"\"}\n");
	free(out);
}

static struct mh_log_buf access_buf;

static void log_access_lines(void)
{
	mh_log_set_level(MH_LOG_INFO);
	struct mh_log_access a = { .method = MH_STR("GET"), .path = MH_STR("/a\nb"), .status = 200, .bytes = 12,
				   .duration_us = 34, .cache = "hit" };
	for (int i = 0; i < 200; i++) /* ~11 kB: batches are written as they fill */
		cr_assert(mh_log_access(&access_buf, &a));
	mh_log_buf_flush(&access_buf);
	mh_log_set_format(MH_LOG_JSON);
	mh_log_access(&access_buf, &a);
	mh_log_set_format(MH_LOG_TEXT);
	mh_log_buf_free(&access_buf);
}

Test(log, access_lines_buffered_and_whole)
{
	char *out = capture_stderr(log_access_lines);
	int lines = 0;
	for (char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	cr_assert_eq(lines, 201, "got %d lines", lines);
	cr_assert_not_null(strstr(out, "Z INFO GET /a\\x0ab 200 12 34us hit\n"));
	cr_assert_not_null(strstr(out, "\"type\":\"access\",\"method\":\"GET\",\"path\":\"/a\\\\x0ab\",\"status\":200,"
				       "\"bytes\":12,\"duration_us\":34,\"cache\":\"hit\"}\n"));
	/* every line whole: each text line starts with the time stamp */
	for (char *p = out; *p != '\0' && *p != '{'; p = strchr(p, '\n') + 1)
		cr_assert(strncmp(p + 19, "Z INFO GET", 10) == 0, "line: %.60s", p);
	free(out);
}

Test(addr, lists)
{
	struct mh_str bad = MH_STR_NULL;
	cr_assert(mh_addr_list_valid("127.0.0.1 ::1  10.0.0.0/8 fd00::/8", &bad));
	cr_assert(mh_addr_list_valid("", &bad));
	cr_assert_not(mh_addr_list_valid("127.0.0.1 localhost", &bad));
	cr_assert_eq(bad.len, 9);
	cr_assert_not(mh_addr_list_valid("10.0.0.0/33", NULL));
	cr_assert_not(mh_addr_list_valid("10.0.0.0/", NULL));
	cr_assert_not(mh_addr_list_valid("::1/129", NULL));
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	inet_pton(AF_INET, "10.1.2.3", &v4.sin_addr);
	cr_assert(mh_addr_list_match("127.0.0.1 10.0.0.0/8", (struct sockaddr *)&v4));
	cr_assert(mh_addr_list_match("10.1.2.0/23", (struct sockaddr *)&v4));
	cr_assert_not(mh_addr_list_match("10.1.4.0/23 127.0.0.1 ::1", (struct sockaddr *)&v4));
	cr_assert(mh_addr_list_match("0.0.0.0/0", (struct sockaddr *)&v4));
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &v6.sin6_addr);
	cr_assert(mh_addr_list_match("10.0.0.0/8", (struct sockaddr *)&v6), "v4-mapped counts as v4");
	inet_pton(AF_INET6, "fd00::5", &v6.sin6_addr);
	cr_assert(mh_addr_list_match("127.0.0.1 fd00::/8", (struct sockaddr *)&v6));
	cr_assert_not(mh_addr_list_match("127.0.0.1 ::1", (struct sockaddr *)&v6));
}

/* The client behind trusted proxies, as text ("" when out is not an address). */
static const char *client_of(const char *trusted, const char *peer, const char *xff, bool *from_xff)
{
	static char buf[INET6_ADDRSTRLEN];
	struct sockaddr_storage p = { 0 }, out;
	if (strchr(peer, ':') != NULL) {
		p.ss_family = AF_INET6;
		inet_pton(AF_INET6, peer, &((struct sockaddr_in6 *)&p)->sin6_addr);
	} else {
		p.ss_family = AF_INET;
		inet_pton(AF_INET, peer, &((struct sockaddr_in *)&p)->sin_addr);
	}
	*from_xff = mh_addr_forwarded_client(trusted, &p, mh_str_c(xff), &out);
	buf[0] = '\0';
	if (out.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&out)->sin_addr, buf, sizeof(buf));
	else if (out.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&out)->sin6_addr, buf, sizeof(buf));
	return buf;
}

Test(addr, forwarded_client_only_through_trusted_proxies)
{
	static const struct {
		const char *trusted, *peer, *xff, *want;
		bool from_xff;
	} cases[] = {
		/* no proxy trusted, or the peer is not one: the header is the client's word, ignored */
		{ "", "127.0.0.1", "9.9.9.9", "127.0.0.1", false },
		{ "10.0.0.0/8", "203.0.113.7", "9.9.9.9", "203.0.113.7", false },
		/* through one proxy */
		{ "127.0.0.1", "127.0.0.1", "198.51.100.4", "198.51.100.4", true },
		{ "127.0.0.1", "127.0.0.1", " 198.51.100.4 ", "198.51.100.4", true },
		/* a client sending its own header: only the hop our proxy added counts */
		{ "127.0.0.1", "127.0.0.1", "6.6.6.6, 198.51.100.4", "198.51.100.4", true },
		/* two proxies of ours: the first address not ours */
		{ "127.0.0.1 10.0.0.0/8", "127.0.0.1", "198.51.100.4, 10.1.1.1", "198.51.100.4", true },
		/* every hop ours: the leftmost */
		{ "127.0.0.1 10.0.0.0/8", "127.0.0.1", "10.2.2.2, 10.1.1.1", "10.2.2.2", true },
		/* a token that is not an address stops the walk at the last hop trusted */
		{ "127.0.0.1 10.0.0.0/8", "127.0.0.1", "198.51.100.4, unknown, 10.1.1.1", "10.1.1.1", true },
		{ "127.0.0.1", "127.0.0.1", "198.51.100.4, ", "127.0.0.1", false },
		{ "127.0.0.1", "127.0.0.1", "", "127.0.0.1", false },
		{ "127.0.0.1", "127.0.0.1", ",,,", "127.0.0.1", false },
		{ "127.0.0.1", "127.0.0.1", "198.51.100.4:5000", "127.0.0.1", false },
		/* IPv6 */
		{ "::1", "::1", "2001:db8::7", "2001:db8::7", true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool from = !cases[i].from_xff;
		const char *got = client_of(cases[i].trusted, cases[i].peer, cases[i].xff, &from);
		cr_assert_str_eq(got, cases[i].want, "case %zu (%s via %s, XFF '%s')", i, cases[i].trusted,
				 cases[i].peer, cases[i].xff);
		cr_assert_eq(from, cases[i].from_xff, "case %zu", i);
	}
}
