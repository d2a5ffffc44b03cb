/* error.h - errors are values: a status and a message naming the thing at fault. */
#ifndef UPKEEP_ERROR_H
#define UPKEEP_ERROR_H

enum up_status {
	UP_OK = 0,
	UP_ERR_USAGE,        /* the caller asked for something impossible */
	UP_ERR_CONFIG,       /* the configuration is invalid */
	UP_ERR_IO,           /* a file system operation failed */
	UP_ERR_STATE,        /* the state database failed */
	UP_ERR_STATE_LOCKED, /* another process holds the state or a target */
	UP_ERR_STATE_CORRUPT,/* the state database is damaged or from the future */
	UP_ERR_SOURCE,       /* a release source (git remote) failed */
	UP_ERR_TIMEOUT,      /* an operation ran out of time */
	UP_ERR_MISMATCH,     /* data differs from what was expected */
	UP_ERR_NOT_FOUND,    /* a named thing does not exist */
	UP_ERR_CANCELLED,    /* the user cancelled */
	UP_ERR_INTERNAL
};

struct up_error {
	enum up_status status;
	char *msg; /* owned; NULL when status is UP_OK */
};
#define UP_ERROR_INIT { UP_OK, NULL }

/* Sets *e (replacing any earlier message) and returns -1, so that callers can
 * write `return err_set(e, UP_ERR_IO, "%s: %s", path, strerror(errno));`.
 * e may be NULL. */
int err_set(struct up_error *e, enum up_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "context: ". Returns -1. */
int err_prefix(struct up_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err_clear(struct up_error *e);
const char *err_status_name(enum up_status status);
/* The exit code (upkeep.h) that a front should use for this status. */
int err_exit_code(enum up_status status);

#endif
