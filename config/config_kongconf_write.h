/* config_kongconf_write.h — set one key of kong.conf, keeping everything else.
 *
 * A change is planned first (config_kongconf_edit_plan): the new text is
 * computed in memory and read back with the kong.conf reader
 * (config_kongconf.h), which must give exactly the requested value for the
 * key and the same value for every other entry. The plan can be shown as a
 * unified diff, secrets masked, and then applied: the file changed since the
 * plan is refused; a timestamped backup copy is kept; the new text goes to a
 * temporary file in the same directory (same mode and owner), is fsync'd and
 * renamed over the original, and the directory is fsync'd.
 *
 * Where the line goes: the last line Kong applies for the key has its value
 * replaced (key spelling, indentation and a trailing `# comment` are kept; a
 * value continued with `\` is replaced by a one-line value, the continuation
 * lines are removed, comment lines between them stay). Without such a line,
 * the new `key = value` line goes after the commented default `#key = ...`
 * (and the indented comment lines that document it) as in kong.conf.default;
 * else before the first `[section]` line (Kong ignores keys after one); else
 * at the end. Earlier lines for the key, which Kong overrides, are left. */
#ifndef CONFIG_KONGCONF_WRITE_H
#define CONFIG_KONGCONF_WRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_error.h"

struct config_kongconf_edit;

/* Plans setting key to value in the kong.conf at path. key must be a key
 * Kong 1.3 knows, spelled as Kong normalises it (letters, digits, `_`).
 * value is written so Kong reads it back unchanged (`#` becomes `\#`);
 * values Kong would read differently are refused: empty, a newline or
 * carriage return, whitespace at either end, a trailing `\`, "_blank_",
 * numbers Lua re-prints ("05", "1e3", "10 kB"). Files with NUL bytes, that
 * are not regular files, have several hard links, or that the reader rejects
 * are refused. A symbolic link is followed: its target is what is edited.
 * KONG_* environment overrides are not considered. On success *out is owned
 * by the caller (config_kongconf_edit_free); error messages never contain
 * the value of a secret-bearing key (see config_kongconf_edit_diff). */
int config_kongconf_edit_plan(const char *path, const char *key, const char *value,
			      struct config_kongconf_edit **out, struct core_error *err);

/* True when the plan changes the file (false when the value is already
 * written exactly so). */
bool config_kongconf_edit_changed(const struct config_kongconf_edit *e);

/* The new text of the file; lives as long as e. */
const char *config_kongconf_edit_text(const struct config_kongconf_edit *e);

/* Line number (1-based) of the key's line in the new text. */
int config_kongconf_edit_line(const struct config_kongconf_edit *e);

/* A unified diff of the file before and after (--- / +++ with the path, one
 * @@ hunk, 3 lines of context); "" when nothing changes. With redact != 0
 * the values of secret-bearing keys (admin_gui_session_conf,
 * portal_session_conf, admin_gui_auth_conf, admin_gui_auth_header,
 * pg_password, cassandra_password, and any key containing "password",
 * "secret" or "token"), in active or commented lines and their `\`
 * continuations, read "******", as Kong masks them. Returns a malloc'd
 * string owned by the caller, or NULL when out of memory. */
char *config_kongconf_edit_diff(const struct config_kongconf_edit *e, int redact);

/* Writes the planned text. Refused when the file's content differs from what
 * was planned on. The original is copied first to <file>.bak-<stamp> (or
 * <file>.bak-<stamp>.<n> when that exists; never overwritten) with the same
 * mode and owner, fsync'd; stamp is letters, digits, `-`, `_` (NULL = now in
 * UTC, "YYYYmmdd-HHMMSS"). The backup path is written to backup_path ("" when
 * nothing changes; it may be NULL when size is 0). Mode and owner of the file
 * are kept; when they cannot be (not root and a different owner), nothing is
 * written. Errors name the file and the failing step; on any failure before
 * the rename the original is untouched and the temporary file and the
 * backup are removed. A failing fsync of the directory after the rename is
 * reported although the file has been replaced (the backup is kept). */
int config_kongconf_edit_apply(const struct config_kongconf_edit *e, const char *stamp,
			       char *backup_path, size_t size, struct core_error *err);

/* Frees e; NULL is a no-op. */
void config_kongconf_edit_free(struct config_kongconf_edit *e);

#endif
