/* fuzz_util.h — small helpers shared by the libFuzzer targets.
 *
 * Each target is one file fuzz_<name>.c defining LLVMFuzzerTestOneInput and
 * built by kuw_add_fuzzer() in CMakeLists.txt; its seeds live in
 * corpus/fuzz_<name>/. Helpers abort on a failure of the test harness itself
 * (not of the code under test), so that it shows up as a crash. */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The input as a NUL-terminated string (it stops at the first NUL byte
 * inside). Owned by the caller (free). */
char *fuzz_cstring(const uint8_t *data, size_t size);

/* Creates a fresh private directory (mkdtemp, 0700) under $TMPDIR or /tmp
 * and returns its path, owned by the caller. */
char *fuzz_mkdtemp(void);

/* Writes data to dir/name with mode 0600. */
void fuzz_write_file(const char *dir, const char *name, const uint8_t *data, size_t size);

/* Removes dir and the regular files directly in it, then frees dir. */
void fuzz_rmdir(char *dir);

/* Prints what went wrong and aborts: a finding for libFuzzer. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
