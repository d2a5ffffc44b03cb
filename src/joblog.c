/* joblog.c - read-only queries over the jobs, job_steps and job_events
 * tables of the state database. */
#include "config.h"

#include "joblog.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

static char *col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? xstrdup((const char *)t) : NULL;
}

static enum job_state col_state(sqlite3_stmt *st, int col)
{
	enum job_state js;
	return store_job_state_parse((const char *)sqlite3_column_text(st, col), &js) ? js : JOB_FAILED;
}

static int fail(struct store *s, sqlite3_stmt *st, struct up_error *err)
{
	sqlite3_finalize(st);
	return err_set(err, UP_ERR_STATE, _("state database: reading jobs: %s"),
		       sqlite3_errmsg(store_db(s)));
}

static int prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct up_error *err)
{
	*st = NULL;
	if (!s)
		return err_set(err, UP_ERR_STATE, _("the state database is not open"));
	if (sqlite3_prepare_v2(store_db(s), sql, -1, st, NULL) != SQLITE_OK)
		return fail(s, *st, err);
	return 0;
}

#define JOB_COLUMNS "id, kind, target, state, pid, created, started, finished, error"

static void fill_job(sqlite3_stmt *st, struct job_row *j)
{
	j->id = (int64_t)sqlite3_column_int64(st, 0);
	j->kind = col_text(st, 1);
	j->target = col_text(st, 2);
	j->state = col_state(st, 3);
	j->pid = sqlite3_column_int(st, 4);
	j->created = sqlite3_column_int64(st, 5);
	j->started = sqlite3_column_int64(st, 6);
	j->finished = sqlite3_column_int64(st, 7);
	j->error = col_text(st, 8);
}

int joblog_active(struct store *s, struct job_row **out, size_t *n, struct up_error *err)
{
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	if (prepare(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE state IN ('queued', 'running')"
		    " ORDER BY id", &st, err) < 0)
		return -1;
	int rc;
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		memset(&(*out)[*n], 0, sizeof(**out));
		fill_job(st, &(*out)[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < *n; i++)
			store_job_row_free(&(*out)[i]);
		FREE(*out);
		*n = 0;
		return fail(s, st, err);
	}
	sqlite3_finalize(st);
	return 0;
}

int joblog_job(struct store *s, int64_t id, struct job_row *out, struct up_error *err)
{
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	if (prepare(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fill_job(st, out);
	else if (rc != SQLITE_DONE)
		return fail(s, st, err);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

void joblog_steps_free(struct job_step_row **v, size_t n)
{
	for (size_t i = 0; *v && i < n; i++) {
		free((*v)[i].name);
		free((*v)[i].error);
	}
	FREE(*v);
}

int joblog_steps(struct store *s, int64_t job, struct job_step_row **out, size_t *n,
		 struct up_error *err)
{
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	if (prepare(s, "SELECT name, state, started, finished, error FROM job_steps"
		    " WHERE job_id = ? ORDER BY seq", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, job);
	int rc;
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		struct job_step_row *r = &(*out)[(*n)++];
		r->name = col_text(st, 0);
		r->state = col_state(st, 1);
		r->started = sqlite3_column_int64(st, 2);
		r->finished = sqlite3_column_int64(st, 3);
		r->error = col_text(st, 4);
	}
	if (rc != SQLITE_DONE) {
		joblog_steps_free(out, *n);
		*n = 0;
		return fail(s, st, err);
	}
	sqlite3_finalize(st);
	return 0;
}

void joblog_events_free(struct job_event_row **v, size_t n)
{
	for (size_t i = 0; *v && i < n; i++) {
		free((*v)[i].level);
		free((*v)[i].text);
	}
	FREE(*v);
}

int joblog_events(struct store *s, int64_t job, size_t limit, struct job_event_row **out,
		  size_t *n, struct up_error *err)
{
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	if (prepare(s, "SELECT time, level, text FROM (SELECT id, time, level, text FROM job_events"
		    " WHERE job_id = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, job);
	sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
	int rc;
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		struct job_event_row *r = &(*out)[(*n)++];
		r->time = sqlite3_column_int64(st, 0);
		r->level = col_text(st, 1);
		r->text = col_text(st, 2);
	}
	if (rc != SQLITE_DONE) {
		joblog_events_free(out, *n);
		*n = 0;
		return fail(s, st, err);
	}
	sqlite3_finalize(st);
	return 0;
}
