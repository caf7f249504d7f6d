#include "tests/fuzz/fuzz_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("FUZZ-FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		fuzz_fail("fuzz: out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

char *fuzz_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = NULL;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (asprintf(&dir, "%s/kuw-fuzz-XXXXXX", base) < 0)
		fuzz_fail("fuzz: out of memory");
	if (mkdtemp(dir) == NULL)
		fuzz_fail("fuzz: cannot create a temporary directory under %s", base);
	return dir;
}

void fuzz_write_file(const char *dir, const char *name, const uint8_t *data, size_t size)
{
	char *path = NULL;
	size_t done = 0;
	int fd;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		fuzz_fail("fuzz: out of memory");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fuzz_fail("fuzz: cannot create %s", path);
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);

		if (w <= 0)
			fuzz_fail("fuzz: cannot write %s", path);
		done += (size_t)w;
	}
	close(fd);
	free(path);
}

void fuzz_rmdir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		fuzz_fail("fuzz: cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    unlinkat(dirfd(d), e->d_name, 0) < 0)
			fuzz_fail("fuzz: cannot remove %s/%s", dir, e->d_name);
	}
	closedir(d);
	if (rmdir(dir) < 0)
		fuzz_fail("fuzz: cannot remove %s", dir);
	free(dir);
}
