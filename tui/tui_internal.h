/* tui_internal.h — helpers shared by the widget files; not for screens. */
#ifndef TUI_INTERNAL_H
#define TUI_INTERNAL_H

#include <stddef.h>

#include "tui/tui_widgets.h"

/* Moves a selection over n rows by an action and keeps top so that sel is in
 * a view of page rows. TUI_IGNORED for actions that do not move. */
enum tui_result tui_list_move(size_t *sel, size_t *top, size_t n, enum tui_action a, int page);

#endif
