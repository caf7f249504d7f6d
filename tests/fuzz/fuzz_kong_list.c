/* fuzz_kong_list — core_kong_list_parse on arbitrary `kong migrations list`
 * output, then lookups in each table and core_kong_list_done. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_kong.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_table(const struct core_kong_table *t)
{
	size_t i, j;

	if (t->n > 0 && t->subs == NULL)
		fuzz_fail("a table of %zu subsystems without an array", t->n);
	for (i = 0; i < t->n; i++) {
		const struct core_kong_migs *m = &t->subs[i];

		if (m->subsystem == NULL || m->subsystem[0] == '\0')
			fuzz_fail("subsystem %zu has no name", i);
		if (core_kong_table_find(t, m->subsystem) == NULL)
			fuzz_fail("subsystem '%s' is not found in its own table", m->subsystem);
		for (j = 0; j < m->n; j++)
			if (m->names[j] == NULL || strchr(m->names[j], '\n') != NULL)
				fuzz_fail("subsystem '%s': migration %zu is NULL or spans lines",
					  m->subsystem, j);
	}
	core_kong_table_find(t, "core");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	struct core_kong_list l;

	memset(&l, 0, sizeof(l));
	if (core_kong_list_parse(text, &l) == 0) {
		fuzz_table(&l.executed);
		fuzz_table(&l.pending);
		fuzz_table(&l.fresh);
	}
	core_kong_list_done(&l);
	free(text);
	return 0;
}
