#include "screens/screens.h"

size_t screens_count(void)
{
	return 0;
}
