/* cancel.h - stopping a running command at a signal.
 *
 * In batch mode SIGINT, SIGTERM and SIGHUP do not kill upkeep: the handler
 * (async-signal-safe: it stores to a flag, writes one prepared line to
 * stderr and a byte to a pipe) sets the process's cancel flag, which the
 * engine polls at every step boundary and inside its long steps, exactly
 * as it polls a console job's flag (worker.h). The command then stops at
 * its next safe point, undoes what it started (an install before its
 * health check passed is rolled back) and ends with EXIT_CANCELLED.
 *
 * Work that must not be cut short - a rollback, the finish of an install
 * whose health check passed, a recovery - runs inside a guard: a signal
 * that arrives then only says so ("finishing the rollback") and the work
 * goes on. No signal ever aborts upkeep; SIGKILL (systemd's last resort
 * after TimeoutStopSec) leaves the job to recovery, as a crash would.
 */
#ifndef UPKEEP_CANCEL_H
#define UPKEEP_CANCEL_H

#include <stdbool.h>

/* Installs the handlers (batch mode; once). Messages are translated here,
 * not in the handler. */
void cancel_signals_install(void);

/* The process's flag (non-zero once a signal arrived), for the engine's
 * `const volatile int *cancel` fields; never NULL. */
const volatile int *cancel_flag(void);
/* Whether cancel (may be NULL) is set. */
bool cancel_requested(const volatile int *cancel);
/* The first signal's name ("SIGTERM"), or NULL when none arrived. */
const char *cancel_signal_name(void);
/* Readable once a signal arrived (a self-pipe), for poll loops; -1
 * before cancel_signals_install(). */
int cancel_fd(void);

/* What a signal would interrupt: its message names it. */
enum cancel_guard {
	CANCEL_GUARD_NONE,
	CANCEL_GUARD_ROLLBACK,   /* "finishing the rollback" */
	CANCEL_GUARD_FINISH,     /* health passed: "too late to cancel, finishing" */
	CANCEL_GUARD_RECOVERY    /* "finishing the recovery" */
};
/* Enters a guard; returns the previous one, for cancel_guard_leave(). */
enum cancel_guard cancel_guard_enter(enum cancel_guard g);
void cancel_guard_leave(enum cancel_guard previous);

#endif
