/* log.c - syslog, or the UPKEEP_LOG_FILE test hook, and --verbose. */
#include "config.h"

#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "escape.h"
#include "util.h"

static struct {
	bool on;
	bool use_syslog;
	int fd;             /* UPKEEP_LOG_FILE, or -1 */
	enum log_echo echo;
} sink = { .fd = -1 };

void log_setup(enum log_echo echo)
{
	log_close();
	sink.echo = echo;
	const char *file = getenv("UPKEEP_LOG_FILE");
	if (file && *file) {
		sink.fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
		if (sink.fd < 0)
			fprintf(stderr, "upkeep: UPKEEP_LOG_FILE %s cannot be opened; logging to syslog\n",
				file);
	}
	if (sink.fd < 0) {
		openlog("upkeep", LOG_PID, LOG_DAEMON);
		sink.use_syslog = true;
	}
	sink.on = true;
}

void log_close(void)
{
	if (sink.fd >= 0)
		close(sink.fd);
	if (sink.use_syslog)
		closelog();
	sink.fd = -1;
	sink.use_syslog = false;
	sink.on = false;
}

const char *log_level_name(enum log_level level)
{
	static const char *const names[] = { "error", "warning", "info", "step" };
	return names[level];
}

enum log_level log_level_parse(const char *name)
{
	if (name && !strcmp(name, "error"))
		return LOG_LVL_ERROR;
	if (name && !strcmp(name, "warning"))
		return LOG_LVL_WARNING;
	return LOG_LVL_INFO;
}

static int syslog_priority(enum log_level level)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	return prio[level];
}

void log_job(int64_t job, enum log_level level, const char *fmt, ...)
{
	if (!sink.on)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	/* One event, one line, nothing a terminal or log viewer would act on:
	 * escaping again what a caller already escaped changes nothing. */
	char *text = escape_text(raw, (size_t)-1, 0, 0);
	free(raw);
	char *id = job > 0 ? xasprintf("%lld", (long long)job) : xstrdup("-");
	if (sink.fd >= 0) {
		char *line = xasprintf("%s [job %s] %s\n", log_level_name(level), id, text);
		ssize_t w = write(sink.fd, line, strlen(line)); /* O_APPEND: whole lines */
		(void)w;
		free(line);
	} else if (sink.use_syslog) {
		syslog(syslog_priority(level), "[job %s] %s", id, text);
	}
	if (sink.echo == LOG_ECHO_VERBOSE)
		fprintf(stderr, "upkeep: [job %s] %s\n", id, text);
	free(id);
	free(text);
}
