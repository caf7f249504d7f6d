/* fuzz_wizard_config — config_wizard_load_file on an arbitrary file: the
 * input is written to a private temporary directory, loaded, and removed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config_wizard.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_cluster(const struct config_cluster *c)
{
	size_t i;

	for (i = 0; i < c->n_admin_urls; i++)
		if (c->admin_urls[i] == NULL)
			fuzz_fail("admin_urls[%zu] is NULL", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dir = fuzz_mkdtemp();
	char *path = NULL;
	struct config_wizard *cw = NULL;
	struct core_error err = {{0}};
	size_t i;

	fuzz_write_file(dir, "upgrade-wizard.conf", data, size);
	if (asprintf(&path, "%s/upgrade-wizard.conf", dir) < 0)
		fuzz_fail("fuzz: out of memory");
	if (config_wizard_load_file(path, false, &cw, &err) == 0) {
		if (cw == NULL || cw->kong_binary == NULL || cw->state_dir == NULL ||
		    cw->backup_dir == NULL || cw->pg_dump == NULL || cw->pg_restore == NULL)
			fuzz_fail("a loaded config lacks a value that has a default");
		fuzz_cluster(&cw->old_cluster);
		fuzz_cluster(&cw->new_cluster);
		for (i = 0; i < cw->n_waive; i++)
			if (cw->waive[i] == NULL)
				fuzz_fail("waive[%zu] is NULL", i);
	} else if (err.msg[0] == '\0') {
		fuzz_fail("config_wizard_load_file failed without a message");
	}
	config_wizard_free(cw);
	free(path);
	fuzz_rmdir(dir);
	return 0;
}
