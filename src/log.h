/* log.h - the log of batch runs: syslog (ident "upkeep", facility daemon,
 * so the journal has it too), one line per event, each starting with the
 * job it belongs to: "[job 42] wiki: install: step stage".
 *
 * Nothing is logged until log_setup() is called (the console never calls
 * it). The sink is process-wide; lines are written whole, so threads may
 * log at once. log_job() escapes the text (escape.h: controls, newlines
 * included, become visible escapes), so a line is one line and holds no
 * control character whatever a path, tag or message contained.
 *
 * Test hook: when UPKEEP_LOG_FILE names a file, lines are appended to it
 * ("LEVEL [job N] text") instead of going to syslog, so tests can read them.
 */
#ifndef UPKEEP_LOG_H
#define UPKEEP_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_STEP };

enum log_echo {
	LOG_ECHO_NONE,     /* --quiet: nothing on stderr */
	LOG_ECHO_DEFAULT,  /* errors and warnings are printed by the fronts themselves */
	LOG_ECHO_VERBOSE   /* --verbose: every line on stderr too */
};

/* Opens the sink (syslog, or UPKEEP_LOG_FILE). */
void log_setup(enum log_echo echo);
void log_close(void);

/* One line for job (0 = no job: "[job -]"). */
void log_job(int64_t job, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "error", "warning", "info", "step" */
const char *log_level_name(enum log_level level);
/* The level of a journal level name ("error", "warning", else info). */
enum log_level log_level_parse(const char *name);

#endif
