#include "tui/tui_widgets.h"

#include <limits.h>
#include <string.h>
#include <wchar.h>

bool tui_text_append(char *buf, size_t size, int ch)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t len = strlen(buf), n;

	if (ch < 0x20 || ch == 0x7f)
		return false;
	if (ch < 0x80) {
		mb[0] = (char)ch;
		n = 1;
	} else {
		memset(&st, 0, sizeof(st));
		n = wcrtomb(mb, (wchar_t)ch, &st);
		if (n == (size_t)-1)
			return false;
	}
	if (len + n + 1 > size)
		return false;
	memcpy(buf + len, mb, n);
	buf[len + n] = '\0';
	return true;
}

void tui_text_erase(char *buf)
{
	size_t len = strlen(buf);

	while (len > 0) {
		len--;
		if ((((unsigned char)buf[len]) & 0xc0) != 0x80)
			break;
	}
	buf[len] = '\0';
}
