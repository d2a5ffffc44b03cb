/* model.c - the console's data: targets, jobs and history, fed by the store
 * at startup and by worker events afterwards. No curses here. */
#include "config.h"

#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "words.h"

void model_init(struct model *m, const struct config *cfg)
{
	memset(m, 0, sizeof *m);
	m->cfg = cfg;
	m->n_rows = cfg ? cfg->n_targets : 0;
	m->rows = xcalloc(m->n_rows, sizeof *m->rows);
	for (size_t i = 0; i < m->n_rows; i++)
		m->rows[i].cfg = &cfg->targets[i];
	m->history_stale = true;
}

static void job_view_free(struct job_view **jp)
{
	struct job_view *j = *jp;
	if (!j)
		return;
	free(j->label);
	free(j->kind);
	free(j->target);
	if (j->payload && j->payload_free)
		j->payload_free(j->payload);
	free(j->step);
	free(j->error);
	free(j->pending);
	strvec_clear(&j->log);
	FREE(*jp);
}

static void history_free(struct model *m)
{
	for (size_t i = 0; i < m->n_history; i++)
		store_job_row_free(&m->history[i]);
	FREE(m->history);
	m->n_history = 0;
	FREE(m->history_error);
}

static void row_set_result(struct target_row *row, struct check_result *r)
{
	if (row->result) {
		check_result_free(row->result);
		free(row->result);
	}
	row->result = r;
}

static void snapshots_free(struct model *m);

void model_free(struct model *m)
{
	for (size_t i = 0; i < m->n_rows; i++) {
		free(m->rows[i].installed);
		free(m->rows[i].error);
		free(m->rows[i].last_outcome);
		free(m->rows[i].last_job);
		row_set_result(&m->rows[i], NULL);
	}
	FREE(m->rows);
	for (size_t i = 0; i < m->n_jobs; i++)
		job_view_free(&m->jobs[i]);
	FREE(m->jobs);
	history_free(m);
	snapshots_free(m);
	memset(m, 0, sizeof *m);
}

static void replace(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

int model_load_state(struct model *m, struct store *s, struct up_error *err)
{
	int rc = 0;

	if (!s)
		return 0;
	for (size_t i = 0; i < m->n_rows; i++) {
		struct target_row *row = &m->rows[i];
		struct target_state ts;
		struct up_error e = UP_ERROR_INIT;

		memset(&ts, 0, sizeof ts);
		int got = store_target_get(s, row->cfg->name, &ts, &e);
		if (got < 0) {
			if (rc == 0 && err) {
				err_clear(err);
				*err = e;
				e.msg = NULL;
			}
			err_clear(&e);
			rc = -1;
			continue;
		}
		if (got > 0) {
			replace(&row->installed, ts.installed_version);
			row->last_check = ts.last_check;
			row->checked_ok = ts.last_check_ok;
			replace(&row->error, ts.last_check_ok ? NULL : ts.last_check_error);
			replace(&row->last_outcome, ts.last_outcome);
			row->last_outcome_at = ts.last_outcome_at;
		}
		store_target_state_free(&ts);
	}
	return rc;
}

static void snapshots_free(struct model *m)
{
	snapshot_infos_free(&m->snapshots, m->n_snapshots);
	m->n_snapshots = 0;
	FREE(m->snapshots_target);
	FREE(m->snapshots_error);
}

void model_load_snapshots(struct model *m, const char *target)
{
	struct up_error e = UP_ERROR_INIT;
	snapshots_free(m);
	m->snapshots_target = xstrdup(target);
	m->snapshots_reading = false;
	if (archive_snapshots_of(m->cfg->state_dir, target, &m->snapshots, &m->n_snapshots, &e) < 0) {
		m->snapshots_error = xstrdup(e.msg ? e.msg : err_status_name(e.status));
		err_clear(&e);
		return;
	}
	/* newest first, as the pane lists them */
	for (size_t i = 0; i < m->n_snapshots / 2; i++) {
		struct snapshot_info t = m->snapshots[i];
		m->snapshots[i] = m->snapshots[m->n_snapshots - 1 - i];
		m->snapshots[m->n_snapshots - 1 - i] = t;
	}
}

void model_expect_snapshots(struct model *m, const char *target)
{
	if (m->snapshots_target && strcmp(m->snapshots_target, target) == 0)
		return;
	snapshots_free(m);
	m->snapshots_target = xstrdup(target);
	m->snapshots_reading = true;
}

void model_load_history(struct model *m, struct store *s, size_t limit)
{
	struct up_error e = UP_ERROR_INIT;
	struct job_row *rows = NULL;
	size_t n = 0;

	history_free(m);
	m->history_stale = false;
	if (!s)
		return;
	if (store_jobs_list(s, limit, &rows, &n, &e) < 0) {
		m->history_error = xstrdup(e.msg ? e.msg : err_status_name(e.status));
		err_clear(&e);
		return;
	}
	m->history = rows;
	m->n_history = n;
	for (size_t r = 0; r < m->n_rows; r++) {
		FREE(m->rows[r].last_job);
		for (size_t i = 0; i < n; i++) {
			const struct job_row *j = &rows[i];
			/* Checks have their own column (Status). */
			if (!j->target || strcmp(j->target, m->rows[r].cfg->name) != 0 ||
			    j->state == JOB_QUEUED || j->state == JOB_RUNNING ||
			    strcmp(j->kind, "check") == 0)
				continue;
			m->rows[r].last_job = xasprintf("%s %s", words_job_kind(j->kind),
							words_job_state(j->state));
			m->rows[r].last_job_ok = j->state == JOB_OK;
			break;
		}
	}
}

void model_load_backups(struct model *m)
{
	for (size_t r = 0; r < m->n_rows; r++) {
		struct snapshot_info *v = NULL;
		size_t n = 0;
		struct up_error e = UP_ERROR_INIT;
		m->rows[r].last_backup = 0;
		if (archive_snapshots_of(m->cfg->state_dir, m->rows[r].cfg->name, &v, &n, &e) == 0)
			for (size_t i = 0; i < n; i++)
				if (v[i].time > m->rows[r].last_backup)
					m->rows[r].last_backup = v[i].time;
		err_clear(&e);
		snapshot_infos_free(&v, n);
	}
}

size_t model_find_row(const struct model *m, const char *name)
{
	if (!name)
		return (size_t)-1;
	for (size_t i = 0; i < m->n_rows; i++)
		if (strcmp(m->rows[i].cfg->name, name) == 0)
			return i;
	return (size_t)-1;
}

struct job_view *model_job_find(const struct model *m, int64_t id)
{
	for (size_t i = 0; i < m->n_jobs; i++)
		if (m->jobs[i]->id == id)
			return m->jobs[i];
	return NULL;
}

static struct job_view *job_get(struct model *m, int64_t id, const char *label)
{
	struct job_view *j = model_job_find(m, id);

	if (!j) {
		if (m->n_jobs == m->cap_jobs) {
			m->cap_jobs = m->cap_jobs ? 2 * m->cap_jobs : 8;
			m->jobs = xrealloc(m->jobs, m->cap_jobs * sizeof *m->jobs);
		}
		j = xcalloc(1, sizeof *j);
		j->id = id;
		j->pending = xcalloc(m->n_rows, sizeof *j->pending);
		m->jobs[m->n_jobs++] = j;
	}
	if (label)
		replace(&j->label, label);
	return j;
}

struct job_view *model_task_add(struct model *m, int64_t id, const char *kind, const char *target,
				const char *label)
{
	struct job_view *j = job_get(m, id, label);
	replace(&j->kind, kind);
	replace(&j->target, target);
	return j;
}

struct job_view *model_job_add(struct model *m, int64_t id, const char *label, size_t row)
{
	struct job_view *j = job_get(m, id, label);
	replace(&j->kind, "check");

	for (size_t i = 0; i < m->n_rows; i++) {
		if ((row == (size_t)-1 || row == i) && !j->pending[i]) {
			j->pending[i] = true;
			m->rows[i].checking++;
		}
	}
	if (j->total == 0)
		j->total = row == (size_t)-1 ? (long long)m->n_rows : 1;
	return j;
}

size_t model_jobs_running(const struct model *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_jobs; i++)
		if (m->jobs[i]->phase != JOB_PHASE_DONE)
			n++;
	return n;
}

static void job_settle(struct model *m, struct job_view *j, size_t row)
{
	if (j && row < m->n_rows && j->pending[row]) {
		j->pending[row] = false;
		if (m->rows[row].checking > 0)
			m->rows[row].checking--;
	}
}

static void job_log(struct job_view *j, const char *line)
{
	if (j->log.n >= MODEL_LOG_LINES) {
		free(j->log.items[0]);
		memmove(j->log.items, j->log.items + 1, (j->log.n - 1) * sizeof *j->log.items);
		j->log.n--;
	}
	strvec_push(&j->log, line ? line : "");
}

static unsigned apply_result(struct model *m, struct event *ev, struct job_view *j)
{
	struct check_result *r = ev->result;
	ev->result = NULL;
	if (!r)
		return 0;

	size_t i = model_find_row(m, r->target ? r->target : ev->target);
	if (i == (size_t)-1) {
		check_result_free(r);
		free(r);
		return 0;
	}
	struct target_row *row = &m->rows[i];
	if (r->installed)
		replace(&row->installed, r->installed);
	row->last_check = r->checked_at;
	row->checked_ok = r->ok;
	replace(&row->error, r->ok ? NULL : (r->error ? r->error : ""));
	if (j && r->ok) {
		long newest = check_newest_offered(r);
		char *line = newest < 0
			? xasprintf(_("%s: up to date"), row->cfg->name)
			: xasprintf(_("%s: %zu newer, newest %s (%s)"), row->cfg->name,
				    check_count_offered(r), r->releases[newest].version.text,
				    words_release_kind(r->releases[newest].kind));
		job_log(j, line);
		free(line);
	}
	row_set_result(row, r);
	job_settle(m, j, i);
	return MODEL_TARGETS | (j ? MODEL_JOBS : 0);
}

static struct job_view *job_for_event(struct model *m, const struct event *ev)
{
	struct job_view *j = model_job_find(m, ev->job_id);
	if (!j && ev->job_id > 0 && ev->type != EV_CHECK_RESULT) {
		/* A job someone else submitted: show it with its kind. */
		j = job_get(m, ev->job_id, ev->text ? words_job_kind(ev->text) : _("job"));
	}
	return j;
}

unsigned model_apply_event(struct model *m, struct event *ev)
{
	struct job_view *j = job_for_event(m, ev);
	if (j && ev->store_id)
		j->store_id = ev->store_id;

	switch (ev->type) {
	case EV_JOB_STARTED:
		if (!j)
			return 0;
		j->phase = JOB_PHASE_RUNNING;
		j->started = util_now();
		j->step_ms = util_monotonic_ms();
		return MODEL_JOBS;
	case EV_JOB_STEP:
		if (!j)
			return 0;
		replace(&j->step, ev->text);
		j->step_ms = util_monotonic_ms();
		if (j->kind && strcmp(j->kind, "check") != 0)
			j->done = j->total = j->files = j->files_total = 0;
		if (j->phase == JOB_PHASE_QUEUED)
			j->phase = JOB_PHASE_RUNNING;
		return MODEL_JOBS;
	case EV_JOB_PROGRESS:
		if (!j)
			return 0;
		j->done = ev->done;
		j->total = ev->total;
		j->files = ev->files;
		j->files_total = ev->files_total;
		return MODEL_JOBS;
	case EV_JOB_RESULT:
		if (!j)
			return 0;
		if (j->payload && j->payload_free)
			j->payload_free(j->payload);
		j->payload = ev->payload;
		j->payload_free = ev->payload_free;
		ev->payload = NULL;
		return MODEL_RESULT;
	case EV_JOB_LOG:
		if (!j)
			return 0;
		job_log(j, ev->text);
		return MODEL_JOBS;
	case EV_CHECK_RESULT:
		return apply_result(m, ev, j);
	case EV_JOB_FINISHED: {
		unsigned changed = MODEL_HISTORY;
		m->history_stale = true;
		if (!j)
			return changed;
		j->phase = JOB_PHASE_DONE;
		j->status = ev->status;
		if (j->kind && (strcmp(j->kind, "install") == 0 || strcmp(j->kind, "restore") == 0))
			changed |= MODEL_INSTALL | MODEL_ARCHIVE;
		else if (j->kind && strcmp(j->kind, "check") != 0 && strcmp(j->kind, "plan") != 0 &&
			 strcmp(j->kind, "diff") != 0)
			changed |= MODEL_ARCHIVE;
		j->finished = util_now();
		replace(&j->error, ev->status == UP_OK ? NULL : ev->text);
		for (size_t i = 0; i < m->n_rows; i++) {
			if (j->pending[i]) {
				job_settle(m, j, i);
				changed |= MODEL_TARGETS;
			}
		}
		return changed | MODEL_JOBS;
	}
	}
	return 0;
}

const struct release *model_beta_hint(const struct check_result *r)
{
	if (!r || !r->ok)
		return NULL;
	long newest = check_newest_offered(r);
	size_t end = newest < 0 ? r->n_releases : (size_t)newest;
	/* Releases are newest first: anything before the newest offered one is
	 * newer than it. */
	for (size_t i = 0; i < end && i < r->n_releases; i++)
		if (!r->releases[i].in_channel && r->releases[i].kind == KIND_PRERELEASE)
			return &r->releases[i];
	return NULL;
}

unsigned model_offered_flags(const struct check_result *r)
{
	unsigned f = 0;
	if (!r)
		return 0;
	for (size_t i = 0; i < r->n_releases; i++)
		if (r->releases[i].in_channel)
			f |= r->releases[i].flags;
	return f;
}
