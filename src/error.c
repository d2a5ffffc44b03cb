/* error.c - error values with messages. */
#include "config.h"

#include "error.h"

#include <stdarg.h>
#include <stdlib.h>

#include "upkeep.h"
#include "util.h"

int err_set(struct up_error *e, enum up_status status, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(e->msg);
	e->msg = msg;
	e->status = status;
	return -1;
}

int err_prefix(struct up_error *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *prefix = xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = xasprintf("%s: %s", prefix, e->msg ? e->msg : "unknown error");
	free(prefix);
	free(e->msg);
	e->msg = msg;
	if (e->status == UP_OK)
		e->status = UP_ERR_INTERNAL;
	return -1;
}

void err_clear(struct up_error *e)
{
	if (!e)
		return;
	FREE(e->msg);
	e->status = UP_OK;
}

const char *err_status_name(enum up_status status)
{
	static const char *const names[] = {
		[UP_OK] = "ok",
		[UP_ERR_USAGE] = "usage",
		[UP_ERR_CONFIG] = "config",
		[UP_ERR_IO] = "io",
		[UP_ERR_STATE] = "state",
		[UP_ERR_STATE_LOCKED] = "locked",
		[UP_ERR_STATE_CORRUPT] = "state-corrupt",
		[UP_ERR_SOURCE] = "source",
		[UP_ERR_TIMEOUT] = "timeout",
		[UP_ERR_MISMATCH] = "mismatch",
		[UP_ERR_NOT_FOUND] = "not-found",
		[UP_ERR_CANCELLED] = "cancelled",
		[UP_ERR_INTERNAL] = "internal",
	};
	if ((unsigned)status < sizeof(names) / sizeof(names[0]) && names[status])
		return names[status];
	return "unknown";
}

int err_exit_code(enum up_status status)
{
	switch (status) {
	case UP_OK: return EXIT_OK;
	case UP_ERR_USAGE:
	case UP_ERR_CONFIG: return EXIT_USAGE;
	case UP_ERR_STATE_LOCKED: return EXIT_LOCKED;
	case UP_ERR_STATE:
	case UP_ERR_STATE_CORRUPT: return EXIT_STATE;
	case UP_ERR_MISMATCH: return EXIT_MISMATCH;
	case UP_ERR_CANCELLED: return EXIT_CANCELLED;
	default: return EXIT_FAILED;
	}
}
