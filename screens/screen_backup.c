/* screen_backup.c — step 4: a proven backup (SPEC §2.4, §5). The backup
 * runs synchronously (core_upgrade_backup blocks while pg_dump runs); its
 * progress callback redraws the gauge and reads Esc without blocking, so
 * the operator sees it move and can cancel. */
#include <stdio.h>
#include <string.h>

#include "screens/screens_internal.h"

#define BACKUP_GAUGE_ROW 12

static struct {
	bool cancelled;
	char msg[1024];
	enum tui_role msg_role;
} backup;

static bool backup_applies(const struct screen_ctx *ctx)
{
	(void)ctx;
	return true;
}

static void backup_enter(struct screen_ctx *ctx)
{
	(void)ctx;
	backup.msg[0] = '\0';
}

static void backup_draw(struct screen_ctx *ctx, WINDOW *w)
{
	const struct core_pg_params *pg = core_upgrade_pg_params(ctx->u);
	const struct core_backup_info *b;
	int cols = getmaxx(w), rows = getmaxy(w);
	char why[1024], buf[1200], size[32], when[64];
	bool fresh;
	int y = 1;

	snprintf(buf, sizeof(buf),
		 "A backup of database '%s': pg_dump -Fc into the backup directory (0600), "
		 "verified with pg_restore, its size and SHA-256 recorded in the journal. It is "
		 "offered before 'up' (you may skip it with >) and demanded, or typed away, before "
		 "an irreversible step.",
		 pg->dbname != NULL ? pg->dbname : "?");
	y += tui_wrap(w, y, 2, 4, cols - 4, TUI_ROLE_NORMAL, buf) + 1;
	b = core_upgrade_last_backup(ctx->u, &fresh, why, sizeof(why));
	tui_put(w, y++, 1, cols - 2, TUI_ROLE_TITLE, false, "Last backup");
	if (b == NULL) {
		screen_kv(w, y++, "State", TUI_ROLE_WARN, "none recorded yet");
	} else {
		screen_kv(w, y++, "Path", TUI_ROLE_NORMAL, b->path);
		screen_bytes(b->size, size, sizeof(size));
		screen_time_ms(b->time_ms, when, sizeof(when));
		snprintf(buf, sizeof(buf), "%s, taken %s", size, when);
		screen_kv(w, y++, "Size", TUI_ROLE_NORMAL, buf);
		screen_kv(w, y++, "SHA-256", TUI_ROLE_NORMAL, b->sha256);
		snprintf(buf, sizeof(buf), "%s (%d tables, %d with data)",
			 b->verified ? "verified" : "NOT verified", b->tables, b->table_data);
		screen_kv(w, y++, "Verified", b->verified ? TUI_ROLE_OK : TUI_ROLE_FAIL, buf);
		screen_kv(w, y++, "Fresh", fresh ? TUI_ROLE_OK : TUI_ROLE_WARN,
			  fresh ? "yes: it may stand behind an irreversible step" : why);
	}
	if (backup.msg[0] != '\0')
		tui_wrap(w, BACKUP_GAUGE_ROW + 2, 2, 4, cols - 4, backup.msg_role, backup.msg);
	tui_put(w, rows - 2, 2, cols - 4, TUI_ROLE_DIM, false,
		"Enter: take a backup now (Esc cancels it)   >: go on");
}

/* Called while pg_dump runs: draws the gauge straight onto the terminal
 * (the event loop is blocked) and cancels on Esc. */
static int backup_progress(void *arg, long long written, long long estimate)
{
	char label[96], a[32], b[32];
	wint_t wch;
	int rc;

	(void)arg;
	while ((rc = wget_wch(stdscr, &wch)) != ERR)
		if (rc == OK && tui_key_to_action((int)wch, TUI_CTX_DIALOG) == TUI_ACT_CANCEL)
			backup.cancelled = true;
	screen_bytes(written, a, sizeof(a));
	screen_bytes(estimate, b, sizeof(b));
	snprintf(label, sizeof(label), "%s of about %s written (Esc cancels)", a, b);
	tui_gauge_draw(stdscr, 1 + BACKUP_GAUGE_ROW, 1, COLS - 2, (long)(written / 1024),
		       (long)(estimate / 1024), label);
	wrefresh(stdscr);
	return backup.cancelled ? 1 : 0;
}

static enum tui_result backup_action(struct screen_ctx *ctx, enum tui_action a, int ch)
{
	struct core_backup_info info;
	struct core_error err = { { 0 } };

	(void)ch;
	if (a != TUI_ACT_SELECT)
		return TUI_IGNORED;
	backup.cancelled = false;
	tui_put(stdscr, 1 + BACKUP_GAUGE_ROW + 2, 2, COLS - 4, TUI_ROLE_NORMAL, true,
		"Taking the backup: pg_dump, then pg_restore verifies it...");
	tui_put(stdscr, 1 + BACKUP_GAUGE_ROW + 3, 2, COLS - 4, TUI_ROLE_NORMAL, true, "");
	wrefresh(stdscr);
	if (core_upgrade_backup(ctx->u, backup_progress, NULL, &info, &err) < 0) {
		snprintf(backup.msg, sizeof(backup.msg), "%s: %s",
			 backup.cancelled ? "Backup cancelled" : "Backup FAILED", err.msg);
		backup.msg_role = backup.cancelled ? TUI_ROLE_WARN : TUI_ROLE_FAIL;
		return TUI_HANDLED;
	}
	screen_inspect(ctx);
	snprintf(backup.msg, sizeof(backup.msg), "Backup taken and verified: %s", info.path);
	backup.msg_role = TUI_ROLE_OK;
	return TUI_HANDLED;
}

static const char *backup_help(const struct screen_ctx *ctx)
{
	(void)ctx;
	return "Backup: pg_dump -Fc of the Kong database with progress, verified with "
	       "pg_restore (schema_meta and the Kong tables present, every block read), recorded "
	       "with size, SHA-256 and the database's identity. The status bar always shows the "
	       "last backup. Finish and migrate-community-to-enterprise demand a fresh one or a "
	       "typed reason to go without.";
}

const struct screen_ops screen_backup = {
	.name = "backup",
	.title = "Backup",
	.applies = backup_applies,
	.enter = backup_enter,
	.draw = backup_draw,
	.action = backup_action,
	.help = backup_help,
};
