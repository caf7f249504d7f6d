#include "core/core_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int core_error_set(struct core_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int core_error_errno(struct core_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
	return -1;
}

void core_error_prefix(struct core_error *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	va_list ap;
	int len;

	if (err == NULL)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	len = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(err->msg) - 2)
		return;
	memcpy(err->msg + len, ": ", 2);
	len += 2;
	memcpy(err->msg + len, old, sizeof(err->msg) - (size_t)len - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
}

void core_error_clear(struct core_error *err)
{
	if (err != NULL)
		err->msg[0] = '\0';
}
