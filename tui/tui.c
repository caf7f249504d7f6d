#include "tui/tui.h"

#include <unistd.h>

bool tui_have_terminal(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}
