#include "tui/tui.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

/* Everything the handlers need is prepared at init so they only write(). */
static struct {
	SCREEN *screen;
	bool active;
	bool atexit_done;
	int out_fd;
	int in_fd;
	bool have_termios;
	struct termios termios;
	char reset[256];
	size_t reset_len;
	int saved_stderr;
	int pipe[2];
	struct sigaction old_stop[3];
	struct sigaction old_crash[5];
	struct sigaction old_winch;
	struct sigaction curses_winch;
} tui = {.saved_stderr = -1, .pipe = {-1, -1}};

static volatile sig_atomic_t tui_pending;

static const int tui_stop_signals[3] = {SIGINT, SIGTERM, SIGHUP};
static const int tui_crash_signals[5] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

bool tui_have_terminal(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

bool tui_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

bool tui_active(void)
{
	return tui.active;
}

int tui_signal_pending(void)
{
	return (int)tui_pending;
}

int tui_signal_fd(void)
{
	return tui.active ? tui.pipe[0] : -1;
}

static void tui_wake(void)
{
	int saved = errno;

	if (tui.pipe[1] >= 0 && write(tui.pipe[1], "", 1) < 0)
		errno = saved;
	errno = saved;
}

static void tui_on_stop(int sig)
{
	tui_pending = sig;
	tui_wake();
}

/* ncurses' own SIGWINCH handler records the resize (KEY_RESIZE); ours also
 * wakes the loop, which poll() alone would miss if the signal came just
 * before it. */
static void tui_on_winch(int sig)
{
	if ((tui.curses_winch.sa_flags & SA_SIGINFO) == 0 &&
	    tui.curses_winch.sa_handler != SIG_DFL && tui.curses_winch.sa_handler != SIG_IGN)
		tui.curses_winch.sa_handler(sig);
	tui_wake();
}

/* Async-signal-safe restoration: only write(), tcsetattr() and dup2(). */
static void tui_restore_raw(void)
{
	if (tui.reset_len > 0 && write(tui.out_fd, tui.reset, tui.reset_len) < 0)
		tui.reset_len = 0;
	if (tui.have_termios)
		tcsetattr(tui.in_fd, TCSANOW, &tui.termios);
	if (tui.saved_stderr >= 0)
		dup2(tui.saved_stderr, STDERR_FILENO);
}

static void tui_on_crash(int sig)
{
	tui_restore_raw();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void tui_reset_add(const char *cap)
{
	char *s = tigetstr(cap);
	size_t n;

	if (s == NULL || s == (char *)-1)
		return;
	n = strlen(s);
	if (tui.reset_len + n < sizeof(tui.reset)) {
		memcpy(tui.reset + tui.reset_len, s, n);
		tui.reset_len += n;
	}
}

static void tui_reset_add_raw(const char *s)
{
	size_t n = strlen(s);

	if (tui.reset_len + n < sizeof(tui.reset)) {
		memcpy(tui.reset + tui.reset_len, s, n);
		tui.reset_len += n;
	}
}

static void tui_atexit(void)
{
	tui_done();
}

/* The dispositions from before newterm() (which installs its own), so that
 * tui_done() leaves the process as it found it. */
static void tui_save_signals(void)
{
	size_t i;

	for (i = 0; i < 3; i++)
		sigaction(tui_stop_signals[i], NULL, &tui.old_stop[i]);
	for (i = 0; i < 5; i++)
		sigaction(tui_crash_signals[i], NULL, &tui.old_crash[i]);
	sigaction(SIGWINCH, NULL, &tui.old_winch);
}

static int tui_install_signals(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = tui_on_stop;
	for (i = 0; i < 3; i++)
		if (sigaction(tui_stop_signals[i], &sa, NULL) < 0)
			return -1;
	sa.sa_handler = tui_on_crash;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (i = 0; i < 5; i++)
		if (sigaction(tui_crash_signals[i], &sa, NULL) < 0)
			return -1;
	sa.sa_handler = tui_on_winch;
	sa.sa_flags = 0;
	return sigaction(SIGWINCH, &sa, &tui.curses_winch);
}

static void tui_restore_signals(void)
{
	size_t i;

	for (i = 0; i < 3; i++)
		sigaction(tui_stop_signals[i], &tui.old_stop[i], NULL);
	for (i = 0; i < 5; i++)
		sigaction(tui_crash_signals[i], &tui.old_crash[i], NULL);
	sigaction(SIGWINCH, &tui.old_winch, NULL);
}

static int tui_open_pipe(void)
{
	int i;

	if (pipe(tui.pipe) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (fcntl(tui.pipe[i], F_SETFL, O_NONBLOCK) < 0 ||
		    fcntl(tui.pipe[i], F_SETFD, FD_CLOEXEC) < 0)
			return -1;
	}
	return 0;
}

static void tui_close_pipe(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (tui.pipe[i] >= 0)
			close(tui.pipe[i]);
		tui.pipe[i] = -1;
	}
}

int tui_init(const struct tui_options *opt, char *err, size_t errlen)
{
	int log_fd = -1;
	int rc = -1;

	if (tui.active) {
		snprintf(err, errlen, "the terminal is already in use by the wizard");
		return -1;
	}
	tui_pending = 0;
	tui.out_fd = STDOUT_FILENO;
	tui.in_fd = STDIN_FILENO;
	tui.have_termios = tcgetattr(tui.in_fd, &tui.termios) == 0;
	if (tui_open_pipe() < 0) {
		snprintf(err, errlen, "cannot create the signal pipe: %s", strerror(errno));
		goto out;
	}
	log_fd = opt->log_fd >= 0 ? opt->log_fd : open("/dev/null", O_WRONLY | O_CLOEXEC);
	tui.saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (log_fd < 0 || tui.saved_stderr < 0 || dup2(log_fd, STDERR_FILENO) < 0) {
		snprintf(err, errlen, "cannot redirect stderr to the log: %s", strerror(errno));
		goto out;
	}
	tui_save_signals();
	tui.screen = newterm(NULL, stdout, stdin);
	if (tui.screen == NULL) {
		snprintf(err, errlen, "cannot initialise the terminal (TERM unknown or unusable?)");
		goto out;
	}
	set_term(tui.screen);
	tui.reset_len = 0;
	tui_reset_add("sgr0");
	tui_reset_add("cnorm");
	tui_reset_add("rmkx");
	if (opt->mouse)
		tui_reset_add_raw("\033[?1000l\033[?1002l\033[?1006l");
	tui_reset_add("rmcup");
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(100);
	curs_set(0);
	if (opt->mouse) {
		mousemask(BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
		mouseinterval(0);
	}
	tui_theme_init(opt->colour, opt->utf8);
	if (tui_install_signals() < 0) {
		snprintf(err, errlen, "cannot install signal handlers: %s", strerror(errno));
		goto out;
	}
	if (!tui.atexit_done && atexit(tui_atexit) == 0)
		tui.atexit_done = true;
	tui.active = true;
	rc = 0;
out:
	if (rc < 0) {
		if (tui.screen != NULL) {
			tui_restore_signals();
			endwin();
			delscreen(tui.screen);
			tui.screen = NULL;
		}
		if (tui.saved_stderr >= 0) {
			dup2(tui.saved_stderr, STDERR_FILENO);
			close(tui.saved_stderr);
			tui.saved_stderr = -1;
		}
		tui_close_pipe();
	}
	if (log_fd >= 0 && log_fd != opt->log_fd)
		close(log_fd);
	return rc;
}

void tui_done(void)
{
	if (!tui.active)
		return;
	tui.active = false;
	endwin();
	fflush(stdout);
	delscreen(tui.screen);
	tui.screen = NULL;
	tui_restore_signals();
	fflush(stderr);
	if (tui.saved_stderr >= 0) {
		dup2(tui.saved_stderr, STDERR_FILENO);
		close(tui.saved_stderr);
		tui.saved_stderr = -1;
	}
	tui_close_pipe();
}

_Noreturn void tui_exit_by_signal(int sig)
{
	struct sigaction sa;
	sigset_t set;

	tui_done();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

_Noreturn void tui_fatal(int status, const char *msg)
{
	tui_done();
	fprintf(stderr, "kong-upgrade-wizard: %s\n", msg);
	exit(status);
}
