/* tui.h — the terminal layer (ncursesw). Knows nothing of Kong.
 * The widgets, key map and event loop arrive with the wizard issue; for now it
 * offers the one thing main needs: whether we have a usable terminal. */
#ifndef TUI_H
#define TUI_H

#include <stdbool.h>

/* True when stdin and stdout are terminals (the wizard needs one). */
bool tui_have_terminal(void);

#endif
