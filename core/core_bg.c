#include "core/core_bg.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct core_bg {
	pthread_t thread;
	void (*fn)(void *arg);
	void *arg;
	int pipe[2];
	atomic_bool done;
};

static atomic_int bg_running;

/* The worker keeps the signal mask of its creator: the tui's handlers only
 * set a flag and write to a self-pipe, from whichever thread, and libpq and
 * core_exec retry on EINTR. Blocking signals here would also block them in
 * the `kong` commands the worker starts (exec keeps the mask). */
static void *bg_main(void *arg)
{
	struct core_bg *bg = arg;
	char c = 1;

	bg->fn(bg->arg);
	atomic_store(&bg->done, true);
	atomic_fetch_sub(&bg_running, 1);
	while (write(bg->pipe[1], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

int core_bg_start(void (*fn)(void *arg), void *arg, struct core_bg **out, struct core_error *err)
{
	struct core_bg *bg = calloc(1, sizeof(*bg));
	int e;

	*out = NULL;
	if (bg == NULL)
		return core_error_set(err, "out of memory starting a worker thread");
	bg->fn = fn;
	bg->arg = arg;
	atomic_init(&bg->done, false);
	if (pipe2(bg->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		core_error_errno(err, errno, "cannot start a worker thread: pipe");
		free(bg);
		return -1;
	}
	atomic_fetch_add(&bg_running, 1);
	e = pthread_create(&bg->thread, NULL, bg_main, bg);
	if (e != 0) {
		atomic_fetch_sub(&bg_running, 1);
		close(bg->pipe[0]);
		close(bg->pipe[1]);
		free(bg);
		return core_error_errno(err, e, "cannot start a worker thread");
	}
	*out = bg;
	return 0;
}

int core_bg_fd(const struct core_bg *bg)
{
	return bg->pipe[0];
}

bool core_bg_done(const struct core_bg *bg)
{
	return atomic_load(&bg->done);
}

void core_bg_free(struct core_bg *bg)
{
	if (bg == NULL)
		return;
	pthread_join(bg->thread, NULL);
	close(bg->pipe[0]);
	close(bg->pipe[1]);
	free(bg);
}

int core_bg_running(void)
{
	return atomic_load(&bg_running);
}
