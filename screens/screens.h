/* screens.h — the wizard's steps, one file per step, one ordered registry.
 * The screens arrive with the wizard issue; this header holds the registry's
 * shape so that main.c can be wired already. */
#ifndef SCREENS_H
#define SCREENS_H

#include <stddef.h>

/* Number of screens in the registry (0 until the wizard lands). */
size_t screens_count(void);

#endif
