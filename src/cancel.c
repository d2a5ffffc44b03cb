/* cancel.c - the batch mode's signal handling. See cancel.h. */
#include "config.h"

#include "cancel.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"

_Static_assert(sizeof(sig_atomic_t) == sizeof(int), "the engine's cancel flags are ints");

static volatile sig_atomic_t flag, first_signal, guard;
static int pipe_fd[2] = { -1, -1 };

/* The handler's lines, translated beforehand (gettext is not
 * async-signal-safe). */
enum { MSG_CANCEL, MSG_AGAIN, MSG_ROLLBACK, MSG_FINISH, MSG_RECOVERY, N_MSG };
static char messages[N_MSG][256];

static void say(const char *line)
{
	ssize_t k = write(STDERR_FILENO, line, strlen(line));
	(void)k;
}

static void on_signal(int sig)
{
	int saved = errno;
	bool again = flag != 0;
	flag = 1;
	if (!first_signal)
		first_signal = sig;
	switch (guard) {
	case CANCEL_GUARD_ROLLBACK: say(messages[MSG_ROLLBACK]); break;
	case CANCEL_GUARD_FINISH: say(messages[MSG_FINISH]); break;
	case CANCEL_GUARD_RECOVERY: say(messages[MSG_RECOVERY]); break;
	default: say(messages[again ? MSG_AGAIN : MSG_CANCEL]); break;
	}
	if (pipe_fd[1] >= 0) {
		ssize_t k = write(pipe_fd[1], "x", 1);
		(void)k;
	}
	errno = saved;
}

static void prepare(int i, const char *text)
{
	snprintf(messages[i], sizeof messages[i], "upkeep: %s\n", text);
}

void cancel_signals_install(void)
{
	if (pipe_fd[0] >= 0)
		return;
	prepare(MSG_CANCEL, _("signal received: cancelling at the next safe point (the target is "
			      "left on the old release, or rolled back to it)"));
	prepare(MSG_AGAIN, _("still cancelling: waiting for the current step to stop"));
	prepare(MSG_ROLLBACK, _("finishing the rollback: it is not interrupted"));
	prepare(MSG_FINISH, _("too late to cancel: the new release passed its health check; "
			      "finishing"));
	prepare(MSG_RECOVERY, _("finishing the recovery: it is not interrupted"));
	if (pipe2(pipe_fd, O_CLOEXEC | O_NONBLOCK) < 0)
		pipe_fd[0] = pipe_fd[1] = -1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

const volatile int *cancel_flag(void)
{
	return (const volatile int *)&flag;
}

bool cancel_requested(const volatile int *cancel)
{
	return cancel && *cancel;
}

const char *cancel_signal_name(void)
{
	switch (first_signal) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return NULL;
	}
}

int cancel_fd(void)
{
	return pipe_fd[0];
}

enum cancel_guard cancel_guard_enter(enum cancel_guard g)
{
	enum cancel_guard previous = (enum cancel_guard)guard;
	guard = g;
	return previous;
}

void cancel_guard_leave(enum cancel_guard previous)
{
	guard = previous;
}
