/* notify_lasting.c - failures that last. A check, a scheduled backup or a
 * restore drill that fails run after run (an hourly timer) is notified when
 * it starts failing, then again only once notify.repeat has passed since
 * the last notice; when it works again, a "recovered" notice says so.
 *
 * Two rows of the notices table hold a failure that was notified: subject
 * "failing since" (the time of the first notice) and "failing notified"
 * (the time of the latest one). No rows: nothing is failing, or nobody was
 * told (a notice that no channel delivered is tried again next run).
 */
#include "config.h"

#include "notify.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define SUBJECT_SINCE "failing since"
#define SUBJECT_NOTIFIED "failing notified"

/* The time of a notices row; false when there is none. */
static bool notice_time(struct store *s, const char *target, enum notify_event ev,
			const char *subject, long long *when)
{
	sqlite3_stmt *st = NULL;
	bool found = false;
	if (sqlite3_prepare_v2(store_db(s), "SELECT time FROM notices WHERE target = ?1 AND "
			       "event = ?2 AND subject = ?3", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, notify_event_name(ev), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
		if (found)
			*when = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return found;
}

/* "2024-03-10 03:00 UTC", local time. */
static void time_text(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M %Z", &tm))
		snprintf(buf, size, "@%lld", t);
}

static void mark(struct store *s, const struct target_cfg *t, enum notify_event ev,
		 const char *subject, long long now, int64_t job)
{
	struct up_error e = UP_ERROR_INIT;
	if (notify_mark_sent(s, t->name, ev, subject, now, &e) < 0)
		log_job(job, LOG_LVL_WARNING, "%s", e.msg);
	err_clear(&e);
}

int notify_lasting_failure(struct store *s, const struct target_cfg *t, const struct notice *n,
			   long long now, int64_t job)
{
	if (!notify_wanted(t, n->event))
		return 0;
	long long since = 0, last = 0, repeat = t->notify.repeat_ms / 1000;
	bool failing = notice_time(s, t->name, n->event, SUBJECT_SINCE, &since) &&
		notice_time(s, t->name, n->event, SUBJECT_NOTIFIED, &last);
	char since_text[64];
	time_text(since, since_text, sizeof since_text);
	if (failing && now - last < repeat) {
		char next[64];
		time_text(last + repeat, next, sizeof next);
		log_job(job, LOG_LVL_INFO, "notify: %s of %s not sent again: failing since %s, "
			"next reminder from %s (notify.repeat)", notify_event_name(n->event), t->name,
			since_text, next);
		return 0;
	}
	struct notice copy = *n;
	char *summary = NULL;
	if (failing) {
		summary = xasprintf("%s (still failing since %s)", n->summary, since_text);
		copy.summary = summary;
		copy.since = since;
	}
	int sent = notify_send(t, &copy, job, NULL);
	if (sent > 0) {
		if (!failing)
			mark(s, t, n->event, SUBJECT_SINCE, now, job);
		mark(s, t, n->event, SUBJECT_NOTIFIED, now, job);
	}
	free(summary);
	return sent;
}

int notify_lasting_ok(struct store *s, const struct target_cfg *t, enum notify_event ev,
		      const char *what, int64_t job)
{
	long long since;
	if (!notice_time(s, t->name, ev, SUBJECT_SINCE, &since))
		return 0;
	char since_text[64];
	time_text(since, since_text, sizeof since_text);
	char *summary = xasprintf("%s: %s recovered (failing since %s)", t->name, what, since_text);
	struct notice n = { .event = NOTIFY_RECOVERED, .target = t->name, .job = job,
			    .summary = summary, .since = since, .ended = ev };
	int sent = notify_send(t, &n, job, NULL);
	if (sent > 0 || !(t->notify.webhook.url || t->notify.mail.to)) {
		struct up_error e = UP_ERROR_INIT;
		if (store_exec(s, &e, "DELETE FROM notices WHERE target = ? AND event = ? AND "
			       "subject IN (?, ?)", "ssss", t->name, notify_event_name(ev),
			       SUBJECT_SINCE, SUBJECT_NOTIFIED) < 0)
			log_job(job, LOG_LVL_WARNING, "%s", e.msg);
		err_clear(&e);
	}
	free(summary);
	return sent;
}
