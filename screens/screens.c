#include "screens/screens.h"

int screens_run(const struct screens_env *env, struct core_error *err)
{
	(void)env;
	return core_error_set(err, "the interactive wizard is not built yet; see 'check', "
				   "'status', 'backup', 'up', 'finish' in --help");
}
