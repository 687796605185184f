/*
 * util/file.c: whole-file read and atomic replace.
 */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool mh_file_read(const char *path, struct mh_buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t start = b->len;
	for (;;) {
		mh_buf_reserve(b, 65536);
		ssize_t n = read(fd, b->ptr + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			b->len = start;
			close(fd);
			errno = e;
			return false;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	close(fd);
	return true;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* The temp file sits next to the target (same file system, so rename is
 * atomic) and keeps the target's permission bits when it exists. The
 * directory is fsynced too, so the rename survives a crash. */
bool mh_file_write_atomic(const char *path, const void *p, size_t n)
{
	struct mh_buf tmp = MH_BUF_INIT;
	mh_buf_printf(&tmp, "%s.tmp-XXXXXX", path);
	char *tpath = (char *)mh_buf_cstr(&tmp);
	int fd = mkostemp(tpath, O_CLOEXEC);
	if (fd < 0) {
		mh_buf_free(&tmp);
		return false;
	}
	struct stat st;
	mode_t mode = 0644;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	int e = 0;
	if (fchmod(fd, mode) != 0 || !write_all(fd, p, n) || fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e && rename(tpath, path) != 0)
		e = errno;
	if (e) {
		unlink(tpath);
		mh_buf_free(&tmp);
		errno = e;
		return false;
	}
	/* dirname() may modify its argument: give it a copy. */
	char *dcopy = strdup(path);
	MH_ASSERT(dcopy != NULL);
	int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	mh_buf_free(&tmp);
	return true;
}
