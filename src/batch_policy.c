/* batch_policy.c - `upkeep --batch` alone (or `run`): the unattended policy
 * run over every target, and `upkeep --batch drill TARGET`.
 *
 * Per target, in this order: the check (all targets at once, through the
 * worker); a scheduled backup when one is due; the install the policy
 * allows (the guarded install of install.c); a notice of a security release
 * left pending; prune per retention; a restore drill when one is due. One
 * summary at the end. The run is a job of kind "policy" of its own, so
 * that every log line names a job. A dry run does the check without
 * recording it and only reads the state database and the archive.
 */
#include "config.h"

#include "batch_policy.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_backup.h"
#include "archive_index.h"
#include "archive_prune.h"
#include "archive_snap.h"
#include "cancel.h"
#include "drill.h"
#include "escape.h"
#include "i18n.h"
#include "install.h"
#include "jobsnap.h"
#include "log.h"
#include "notify.h"
#include "policy.h"
#include "store.h"
#include "upkeep.h"
#include "util.h"
#include "worker.h"

struct trun {
	const struct target_cfg *t;
	const struct check_result *check;
	struct policy_decision dec;
	struct target_state ts;
	bool failed, pending;
	bool cancelled;                  /* a step stopped at a signal, or none ran */
	/* scheduled backup */
	bool backup_due, backup_ran;
	long long backup_last;           /* newest snapshot's time, 0 = none */
	int64_t backup_job, backup_snapshot;
	char *backup_error;
	/* install */
	bool install_ran;
	struct install_result inst;
	char *install_error;
	/* security notice */
	const char *security_tag;        /* a pending security release, or NULL */
	bool security_notified;
	/* prune */
	int64_t *prune_ids;
	size_t n_prune;
	bool prune_ran;
	int64_t prune_job;
	char *prune_error;
	/* drill */
	bool drill_due, drill_ran;
	struct drill_result drill;
	char *drill_error;
};

struct run {
	const struct config *cfg;
	const struct batch_options *o;
	struct store *s;
	int64_t job;                     /* the run's own job; 0 in a dry run */
	long long now;
	struct trun *v;
	size_t n;
};

static json_object *jstr(const char *s)
{
	if (!s)
		return NULL;
	char *safe = escape_text(s, (size_t)-1, 0, 0);
	json_object *o = json_object_new_string(safe);
	free(safe);
	return o;
}

static char *safe_text(const char *s)
{
	return escape_text(s ? s : "", (size_t)-1, 0, 0);
}

/* ---- notices ---- */

/* run: a failure of the policy run that may last (a check, a scheduled
 * backup, a drill): notified when new and then every notify.repeat only
 * (notify_lasting.c). NULL: sent every time. */
static void send_notice(const struct run *run, const struct target_cfg *t, enum notify_event ev,
			int64_t job, const char *from, const char *to, const char *details,
			const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

static void send_notice(const struct run *run, const struct target_cfg *t, enum notify_event ev,
			int64_t job, const char *from, const char *to, const char *details,
			const char *fmt, ...)
{
	if (!notify_wanted(t, ev))
		return;
	va_list ap;
	va_start(ap, fmt);
	char *summary = xvasprintf(fmt, ap);
	va_end(ap);
	char *s1 = safe_text(summary), *f = from ? safe_text(from) : NULL, *tt = to ? safe_text(to) : NULL;
	char *d = details ? escape_text(details, (size_t)-1, 0, ESCAPE_KEEP_NEWLINES) : NULL;
	struct notice n = { .event = ev, .target = t->name, .job = job, .summary = s1, .from = f,
			    .to = tt, .details = d };
	if (run)
		notify_lasting_failure(run->s, t, &n, run->now, job);
	else
		notify_send(t, &n, job, NULL);
	free(summary);
	free(s1);
	free(f);
	free(tt);
	free(d);
}

void batch_notify_install(const struct target_cfg *t, const struct install_result *r,
			  const struct up_error *err)
{
	switch (r->outcome) {
	case INSTALL_DONE:
		send_notice(NULL, t, NOTIFY_SUCCESS, r->job, r->from, r->to, NULL, "%s: installed %s (was %s)",
			    t->name, r->to, r->from ? r->from : "nothing");
		break;
	case INSTALL_ROLLED_BACK:
		send_notice(NULL, t, NOTIFY_ROLLBACK, r->job, r->from, r->to, r->evidence ? r->evidence : err->msg,
			    "%s: installing %s failed at %s and was rolled back to %s", t->name, r->to,
			    r->failed_step ? r->failed_step : "?", r->from ? r->from : "nothing");
		break;
	case INSTALL_BROKEN:
	case INSTALL_FAILED:
		send_notice(NULL, t, NOTIFY_FAILURE, r->job, r->from, r->to,
			    r->outcome == INSTALL_BROKEN ? r->advice : r->evidence,
			    "%s: installing %s failed%s: %s", t->name, r->to ? r->to : "a release",
			    r->outcome == INSTALL_BROKEN ? " AND NEEDS ATTENTION" : "",
			    err->msg ? err->msg : "?");
		break;
	case INSTALL_CURRENT:
	case INSTALL_CANCELLED:      /* the admin's own doing: nothing to tell */
	case INSTALL_CANCELLED_BACK:
		break;
	}
}

/* ---- the steps of one target ---- */

static long long newest_snapshot_time(const struct run *run, const struct target_cfg *t,
				      struct snapshot_info **v, size_t *n)
{
	struct up_error e = UP_ERROR_INIT;
	if (archive_snapshots_of(run->cfg->state_dir, t->name, v, n, &e) < 0) {
		log_job(run->job, LOG_LVL_WARNING, "%s: cannot list snapshots: %s", t->name, e.msg);
		*v = NULL;
		*n = 0;
	}
	err_clear(&e);
	return *n ? (*v)[*n - 1].time : 0;
}

/* A scheduled backup's data dumps go to the run's log. */
static void dump_note(void *ctx, const char *level, const char *text)
{
	const struct trun *tr = ctx;
	log_job(tr->backup_job, log_level_parse(level), "%s: backup: %s", tr->t->name, text);
}

static void step_backup(struct run *run, struct trun *tr)
{
	const struct target_cfg *t = tr->t;
	struct snapshot_info *v = NULL;
	size_t n = 0;
	tr->backup_last = newest_snapshot_time(run, t, &v, &n);
	snapshot_infos_free(&v, n);
	tr->backup_due = policy_due(t->backup.every_ms, tr->backup_last, run->now);
	if (!tr->backup_due || run->o->dry_run)
		return;
	struct up_error err = UP_ERROR_INIT;
	struct archive_index *idx = NULL;
	char *dir = archive_dir_for(run->cfg->state_dir);
	int rc = store_job_create(run->s, "backup", t->name, &tr->backup_job, &err);
	if (rc == 0)
		rc = store_job_set_state(run->s, tr->backup_job, JOB_RUNNING, NULL, &err);
	if (rc == 0)
		rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &idx, &err);
	free(dir);
	struct backup_opts bo = { .target = t->name, .path = t->path,
				  .version = tr->ts.installed_version, .reason = "scheduled",
				  .level = t->backup.compression, .cancel = cancel_flag() };
	struct backup_result br = { 0 };
	log_job(tr->backup_job, LOG_LVL_STEP, "%s: scheduled backup of %s", t->name, t->path);
	struct jobsnap js = { 0 };
	if (rc == 0)
		rc = jobsnap_backup_dumps(&js, run->cfg->state_dir, t, "backup", tr->backup_job, &bo,
					  dump_note, tr, &err);
	if (rc == 0)
		rc = archive_backup(idx, &bo, &br, &err);
	jobsnap_clear(&js);
	archive_index_close(&idx);
	tr->backup_ran = true;
	for (size_t i = 0; rc == 0 && i < br.warnings.n; i++) {
		store_job_event(run->s, tr->backup_job, "warning", br.warnings.items[i], NULL);
		log_job(tr->backup_job, LOG_LVL_WARNING, "%s: backup: %s", t->name, br.warnings.items[i]);
	}
	bool cancelled = rc < 0 && err.status == UP_ERR_CANCELLED;
	if (rc == 0) {
		tr->backup_snapshot = br.id;
		notify_lasting_ok(run->s, t, NOTIFY_BACKUP_FAILURE, "scheduled backup", tr->backup_job);
		log_job(tr->backup_job, LOG_LVL_INFO, "%s: backup: snapshot %lld (%lld files, %lld bytes)",
			t->name, (long long)br.id, br.files, br.bytes);
	} else if (cancelled) {
		tr->cancelled = true;
		tr->backup_error = safe_text(err.msg);
		log_job(tr->backup_job, LOG_LVL_WARNING, "%s: backup cancelled", t->name);
	} else {
		tr->failed = true;
		tr->backup_error = safe_text(err.msg);
		log_job(tr->backup_job, LOG_LVL_ERROR, "%s: backup failed: %s", t->name, tr->backup_error);
		send_notice(run, t, NOTIFY_BACKUP_FAILURE, tr->backup_job, NULL, NULL, err.msg,
			    "%s: scheduled backup failed", t->name);
	}
	if (tr->backup_job)
		store_job_set_state(run->s, tr->backup_job,
				    rc == 0 ? JOB_OK : cancelled ? JOB_CANCELLED : JOB_FAILED,
				    rc == 0 ? NULL : err.msg, NULL);
	backup_result_clear(&br);
	err_clear(&err);
}

static void step_install(struct run *run, struct trun *tr)
{
	const struct target_cfg *t = tr->t;
	const struct check_result *c = tr->check;
	policy_decide(t, c, run->now, &tr->dec);
	if (tr->dec.held >= 0) {
		tr->pending = true;
		log_job(run->job, LOG_LVL_INFO, "%s: pending %s: %s", t->name,
			c->releases[tr->dec.held].version.text, tr->dec.why);
	}
	if (tr->dec.verdict != POLICY_INSTALL || run->o->dry_run)
		return;
	const char *version = c->releases[tr->dec.install].version.text;
	log_job(run->job, LOG_LVL_INFO, "%s: installing %s (policy allows it)", t->name, version);
	struct up_error err = UP_ERROR_INIT;
	install_run(run->cfg, t, version, 0, cancel_flag(), &tr->inst, &err);
	tr->install_ran = true;
	bool cancelled = tr->inst.outcome == INSTALL_CANCELLED ||
			 tr->inst.outcome == INSTALL_CANCELLED_BACK;
	tr->cancelled |= cancelled;
	if (tr->inst.outcome != INSTALL_DONE && tr->inst.outcome != INSTALL_CURRENT) {
		tr->failed = !cancelled;
		tr->install_error = safe_text(err.msg ? err.msg : _("install failed"));
		log_job(tr->inst.job, LOG_LVL_ERROR, "%s: install %s: %s", t->name,
			install_outcome_name(tr->inst.outcome), tr->install_error);
	} else {
		log_job(tr->inst.job, LOG_LVL_INFO, "%s: install: %s %s", t->name,
			install_outcome_name(tr->inst.outcome), version);
	}
	batch_notify_install(t, &tr->inst, &err);
	err_clear(&err);
}

/* A security release the run leaves pending: one notice per release. */
static void step_security(struct run *run, struct trun *tr)
{
	const struct check_result *c = tr->check;
	long sec = -1;
	for (size_t i = 0; i < c->n_releases && sec < 0; i++)
		if (c->releases[i].in_channel && (c->releases[i].flags & FLAG_SECURITY))
			sec = (long)i;
	if (sec < 0)
		return;
	bool covered = tr->install_ran && tr->inst.outcome == INSTALL_DONE && tr->dec.install <= sec;
	if (covered)
		return;
	tr->security_tag = c->releases[sec].tag;
	if (run->o->dry_run || !notify_wanted(tr->t, NOTIFY_SECURITY) ||
	    notify_already_sent(run->s, tr->t->name, NOTIFY_SECURITY, tr->security_tag))
		return;
	const struct release *rel = &c->releases[sec];
	char *notes = rel->message ? escape_text(rel->message, (size_t)-1, 4000, ESCAPE_KEEP_NEWLINES)
		: NULL;
	struct notice n = { .event = NOTIFY_SECURITY, .target = tr->t->name, .job = run->job,
			    .from = c->installed, .to = rel->version.text, .details = notes };
	char *summary = xasprintf("%s: security release %s is available (installed: %s)",
				  tr->t->name, rel->version.text, c->installed ? c->installed : "unknown");
	n.summary = summary;
	int failed = 0;
	if (notify_send(tr->t, &n, run->job, &failed) > 0) {
		struct up_error e = UP_ERROR_INIT;
		if (notify_mark_sent(run->s, tr->t->name, NOTIFY_SECURITY, tr->security_tag, run->now,
				     &e) < 0)
			log_job(run->job, LOG_LVL_WARNING, "%s", e.msg);
		err_clear(&e);
		tr->security_notified = true;
	}
	free(summary);
	free(notes);
}

static void step_prune(struct run *run, struct trun *tr)
{
	const struct target_cfg *t = tr->t;
	struct snapshot_info *v = NULL;
	size_t n = 0;
	newest_snapshot_time(run, t, &v, &n);
	unsigned *keep = xcalloc(n + 1, sizeof(*keep));
	struct target_state ts = { 0 };
	store_target_get(run->s, t->name, &ts, NULL); /* installed_at may have just changed */
	archive_retention_apply(v, n, &t->retention, archive_rollback_snapshot(v, n, ts.installed_at),
				keep);
	store_target_state_free(&ts);
	for (size_t i = 0; i < n; i++)
		if (!keep[i]) {
			tr->prune_ids = xrealloc(tr->prune_ids, (tr->n_prune + 1) * sizeof(*tr->prune_ids));
			tr->prune_ids[tr->n_prune++] = v[i].id;
		}
	free(keep);
	snapshot_infos_free(&v, n);
	if (!tr->n_prune || run->o->dry_run)
		return;
	struct up_error err = UP_ERROR_INIT;
	struct archive_index *idx = NULL;
	char *dir = archive_dir_for(run->cfg->state_dir);
	int rc = store_job_create(run->s, "prune", t->name, &tr->prune_job, &err);
	if (rc == 0)
		rc = store_job_set_state(run->s, tr->prune_job, JOB_RUNNING, NULL, &err);
	if (rc == 0)
		rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &idx, &err);
	free(dir);
	struct prune_result pr = { 0 };
	if (rc == 0)
		rc = archive_prune(idx, tr->prune_ids, tr->n_prune, false, &pr, &err);
	archive_index_close(&idx);
	tr->prune_ran = true;
	if (rc == 0) {
		log_job(tr->prune_job, LOG_LVL_INFO, "%s: prune: %lld snapshots removed, %lld bytes of "
			"archive files freed", t->name, pr.snapshots, pr.pack_bytes);
		prune_result_clear(&pr);
	} else {
		tr->failed = true;
		tr->prune_error = safe_text(err.msg);
		log_job(tr->prune_job, LOG_LVL_ERROR, "%s: prune failed: %s", t->name, tr->prune_error);
	}
	if (tr->prune_job)
		store_job_set_state(run->s, tr->prune_job, rc == 0 ? JOB_OK : JOB_FAILED,
				    rc == 0 ? NULL : err.msg, NULL);
	err_clear(&err);
}

/* run: NULL for `drill TARGET`, whose notices are sent every time. */
static void notify_drill(const struct run *run, const struct target_cfg *t,
			 const struct drill_result *d, const struct up_error *err)
{
	if (d->cancelled) /* the admin's own doing */
		return;
	if (run && d->ok && !d->slower)
		notify_lasting_ok(run->s, t, NOTIFY_DRILL_FAILURE, "restore drill", d->job);
	else if (!d->ok)
		send_notice(run, t, NOTIFY_DRILL_FAILURE, d->job, NULL, d->version,
			    d->evidence ? d->evidence : err->msg,
			    "%s: restore drill of snapshot %lld failed at %s: %s", t->name,
			    (long long)d->snapshot, d->failed_step ? d->failed_step : "start",
			    err->msg ? err->msg : "?");
	else if (d->slower)
		send_notice(run, t, NOTIFY_DRILL_FAILURE, d->job, NULL, d->version, NULL,
			    "%s: restore drill of snapshot %lld took %lld ms, more than 1.5 times the "
			    "previous drill's %lld ms", t->name, (long long)d->snapshot, d->restore_ms,
			    d->previous_ms);
}

static void step_drill(struct run *run, struct trun *tr)
{
	const struct target_cfg *t = tr->t;
	struct snapshot_info *v = NULL;
	size_t n = 0;
	newest_snapshot_time(run, t, &v, &n);
	snapshot_infos_free(&v, n);
	tr->drill_due = n > 0 && policy_due(t->drill.every_ms, drill_last_time(run->s, t->name),
					    run->now);
	if (!tr->drill_due || run->o->dry_run)
		return;
	struct up_error err = UP_ERROR_INIT;
	tr->drill_ran = true;
	if (drill_run(run->cfg, t, cancel_flag(), &tr->drill, &err) < 0) {
		tr->failed = !tr->drill.cancelled;
		tr->cancelled |= tr->drill.cancelled;
		tr->drill_error = safe_text(err.msg);
	}
	notify_drill(run, t, &tr->drill, &err);
	err_clear(&err);
}

static void run_target(struct run *run, struct trun *tr)
{
	const struct target_cfg *t = tr->t;
	store_target_get(run->s, t->name, &tr->ts, NULL);
	if (*cancel_flag()) { /* not reached: its check may have been cut short too */
		tr->cancelled = true;
		return;
	}
	if (!tr->check || !tr->check->ok) {
		tr->failed = true;
		const char *why = tr->check ? tr->check->error : "not checked";
		log_job(run->job, LOG_LVL_ERROR, "%s: check failed: %s", t->name, why);
		if (!run->o->dry_run)
			send_notice(run, t, NOTIFY_FAILURE, run->job, NULL, NULL, why, "%s: check failed",
				    t->name);
	} else if (!run->o->dry_run) {
		notify_lasting_ok(run->s, t, NOTIFY_FAILURE, "check", run->job);
	}
	/* a signal stops the run between steps (and inside them) */
	const volatile int *cancel = cancel_flag();
	if (!*cancel)
		step_backup(run, tr);
	if (!*cancel && tr->check && tr->check->ok) {
		step_install(run, tr);
		step_security(run, tr);
	}
	if (!*cancel)
		step_prune(run, tr);
	if (!*cancel)
		step_drill(run, tr);
	tr->cancelled |= *cancel != 0;
}

/* ---- the summary ---- */

static int run_exit_code(const struct run *run)
{
	bool failed = false, slower = false, pending = false, cancelled = false;
	for (size_t i = 0; i < run->n; i++) {
		failed |= run->v[i].failed;
		slower |= run->v[i].drill_ran && run->v[i].drill.slower;
		pending |= run->v[i].pending;
		cancelled |= run->v[i].cancelled;
	}
	return failed ? EXIT_FAILED : cancelled ? EXIT_CANCELLED : slower ? EXIT_DRILL_SLOWER : pending ? EXIT_PENDING : EXIT_OK;
}

static json_object *jint_or_null(long long v)
{
	return v ? json_object_new_int64(v) : NULL;
}

static json_object *json_ids(const int64_t *ids, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int64(ids[i]));
	return a;
}

static json_object *json_trun_install(const struct run *run, const struct trun *tr)
{
	const struct check_result *c = tr->check;
	json_object *o = json_object_new_object();
	const char *decision = tr->dec.verdict == POLICY_INSTALL ? "install"
		: tr->dec.verdict == POLICY_HELD ? "held" : "none";
	json_object_object_add(o, "decision", json_object_new_string(decision));
	json_object_object_add(o, "version", tr->dec.install >= 0 ?
			       jstr(c->releases[tr->dec.install].version.text) : NULL);
	json_object_object_add(o, "outcome", tr->install_ran ?
			       json_object_new_string(install_outcome_name(tr->inst.outcome)) :
			       json_object_new_string(run->o->dry_run && tr->dec.install >= 0 ?
						      "would install" : "not run"));
	json_object_object_add(o, "job", jint_or_null(tr->inst.job));
	json_object_object_add(o, "error", jstr(tr->install_error));
	return o;
}

static json_object *json_trun(const struct run *run, const struct trun *tr)
{
	const struct check_result *c = tr->check;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "target", json_object_new_string(tr->t->name));
	json_object_object_add(o, "failed", json_object_new_boolean(tr->failed));
	json_object *ck = json_object_new_object();
	json_object_object_add(ck, "ok", json_object_new_boolean(c && c->ok));
	json_object_object_add(ck, "installed", c ? jstr(c->installed) : NULL);
	long newest = c ? check_newest_offered(c) : -1;
	json_object_object_add(ck, "newest", newest >= 0 ? jstr(c->releases[newest].version.text)
			       : NULL);
	json_object_object_add(ck, "newer", json_object_new_int64(c ? (int64_t)check_count_offered(c) : 0));
	json_object_object_add(ck, "error", c ? jstr(c->error) : jstr("not checked"));
	json_object_object_add(o, "check", ck);
	if (c && c->ok)
		json_object_object_add(o, "install", json_trun_install(run, tr));
	json_object *pend = NULL;
	if (tr->pending) {
		pend = json_object_new_object();
		json_object_object_add(pend, "version", jstr(c->releases[tr->dec.held].version.text));
		json_object_object_add(pend, "why", jstr(tr->dec.why));
	}
	json_object_object_add(o, "pending", pend);
	json_object_object_add(o, "security", jstr(tr->security_tag));
	json_object *b = json_object_new_object();
	json_object_object_add(b, "due", json_object_new_boolean(tr->backup_due));
	json_object_object_add(b, "last", jint_or_null(tr->backup_last));
	json_object_object_add(b, "snapshot", jint_or_null(tr->backup_snapshot));
	json_object_object_add(b, "job", jint_or_null(tr->backup_job));
	json_object_object_add(b, "error", jstr(tr->backup_error));
	json_object_object_add(o, "backup", b);
	json_object *p = json_object_new_object();
	json_object_object_add(p, "snapshots", json_ids(tr->prune_ids, tr->n_prune));
	json_object_object_add(p, "job", jint_or_null(tr->prune_job));
	json_object_object_add(p, "error", jstr(tr->prune_error));
	json_object_object_add(o, "prune", p);
	json_object *d = json_object_new_object();
	json_object_object_add(d, "due", json_object_new_boolean(tr->drill_due));
	if (tr->drill_ran) {
		json_object_object_add(d, "job", jint_or_null(tr->drill.job));
		json_object_object_add(d, "snapshot", jint_or_null(tr->drill.snapshot));
		json_object_object_add(d, "ok", json_object_new_boolean(tr->drill.ok));
		json_object_object_add(d, "slower", json_object_new_boolean(tr->drill.slower));
		json_object_object_add(d, "restore_ms", json_object_new_int64(tr->drill.restore_ms));
		json_object_object_add(d, "previous_ms", tr->drill.previous_ms >= 0 ?
				       json_object_new_int64(tr->drill.previous_ms) : NULL);
		json_object_object_add(d, "error", jstr(tr->drill_error));
	}
	json_object_object_add(o, "drill", d);
	return o;
}

static void print_run_json(const struct run *run, int code)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "job", jint_or_null(run->job));
	json_object_object_add(o, "dry_run", json_object_new_boolean(run->o->dry_run));
	json_object_object_add(o, "time", json_object_new_int64(run->now));
	json_object_object_add(o, "exit", json_object_new_int(code));
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < run->n; i++)
		json_object_array_add(a, json_trun(run, &run->v[i]));
	json_object_object_add(o, "targets", a);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_ids(FILE *f, const int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%lld", i ? ", " : "", (long long)ids[i]);
}

static void print_trun_install(const struct run *run, const struct trun *tr)
{
	const char *name = tr->t->name;
	const struct check_result *c = tr->check;
	if (tr->dec.install >= 0 && run->o->dry_run)
		printf(_("%s: would install %s (installed: %s)\n"), name,
		       c->releases[tr->dec.install].version.text, c->installed);
	else if (tr->install_ran && !tr->install_error)
		printf(_("%s: %s %s (was %s), job %lld\n"), name, install_outcome_name(tr->inst.outcome),
		       tr->inst.to, tr->inst.from ? tr->inst.from : "-", (long long)tr->inst.job);
	else if (tr->dec.verdict == POLICY_NOTHING)
		printf(_("%s: %s is the newest release\n"), name, c->installed ? c->installed : "-");
	if (tr->pending) {
		char *why = safe_text(tr->dec.why);
		printf(_("%s: pending %s: %s\n"), name, c->releases[tr->dec.held].version.text, why);
		free(why);
	}
}

static void print_trun_text(const struct run *run, const struct trun *tr)
{
	const char *name = tr->t->name;
	bool dry = run->o->dry_run;
	if (tr->check && tr->check->ok)
		print_trun_install(run, tr);
	if (tr->backup_due && dry)
		printf(_("%s: would take a scheduled backup\n"), name);
	else if (tr->backup_snapshot)
		printf(_("%s: backup: snapshot %lld, job %lld\n"), name, (long long)tr->backup_snapshot,
		       (long long)tr->backup_job);
	if (tr->n_prune && (dry || !tr->prune_error)) {
		printf(dry ? _("%s: would prune snapshots ") : _("%s: pruned snapshots "), name);
		print_ids(stdout, tr->prune_ids, tr->n_prune);
		putchar('\n');
	}
	if (tr->drill_due && dry)
		printf(_("%s: would run a restore drill\n"), name);
	else if (tr->drill_ran && tr->drill.ok)
		printf(_("%s: drill: snapshot %lld restored and checked in %lld ms%s, job %lld\n"), name,
		       (long long)tr->drill.snapshot, tr->drill.restore_ms,
		       tr->drill.slower ? _(" (SLOWER than the previous drill)") : "",
		       (long long)tr->drill.job);
}

/* Failures go to stderr, also with --quiet. */
static void print_trun_errors(const struct trun *tr)
{
	const char *name = tr->t->name;
	if (!tr->check || !tr->check->ok) {
		char *e = safe_text(tr->check ? tr->check->error : "not checked");
		fprintf(stderr, _("upkeep: %s: check failed: %s\n"), name, e);
		free(e);
	}
	if (tr->backup_error)
		fprintf(stderr, _("upkeep: %s: backup failed: %s\n"), name, tr->backup_error);
	if (tr->install_error)
		fprintf(stderr, _("upkeep: %s: install %s: %s\n"), name,
			install_outcome_name(tr->inst.outcome), tr->install_error);
	if (tr->prune_error)
		fprintf(stderr, _("upkeep: %s: prune failed: %s\n"), name, tr->prune_error);
	if (tr->drill_error)
		fprintf(stderr, _("upkeep: %s: drill failed at %s: %s\n"), name,
			tr->drill.failed_step ? tr->drill.failed_step : "start", tr->drill_error);
}

static void print_run_text(const struct run *run, int code)
{
	size_t installed = 0, pending = 0, failed = 0, backups = 0, drills = 0;
	for (size_t i = 0; i < run->n; i++) {
		const struct trun *tr = &run->v[i];
		if (!run->o->quiet)
			print_trun_text(run, tr);
		print_trun_errors(tr);
		installed += tr->install_ran && tr->inst.outcome == INSTALL_DONE;
		pending += tr->pending;
		failed += tr->failed;
		backups += tr->backup_snapshot != 0;
		drills += tr->drill_ran;
	}
	if (run->o->quiet)
		return;
	if (run->o->dry_run)
		printf(_("dry run: %zu targets, nothing changed (exit %d)\n"), run->n, code);
	else
		printf(_("policy run, job %lld: %zu targets, %zu installed, %zu pending, %zu failed, "
			 "%zu backups, %zu drills (exit %d)\n"), (long long)run->job, run->n, installed,
		       pending, failed, backups, drills, code);
}

/* ---- the run ---- */

static void trun_clear(struct trun *tr)
{
	policy_decision_clear(&tr->dec);
	store_target_state_free(&tr->ts);
	install_result_clear(&tr->inst);
	drill_result_clear(&tr->drill);
	free(tr->backup_error);
	free(tr->install_error);
	free(tr->prune_ids);
	free(tr->prune_error);
	free(tr->drill_error);
}

static int run_open(struct run *run)
{
	struct up_error err = UP_ERROR_INIT;
	int rc = run->o->dry_run ? 0 : batch_probe_store(run->cfg, &err);
	if (rc == 0)
		rc = (run->o->dry_run ? store_open_copy : store_open)(run->cfg->state_dir,
								      UPKEEP_LOCK_TIMEOUT_MS, &run->s,
								      &err);
	if (rc == 0 && !run->o->dry_run &&
	    (rc = store_job_create(run->s, "policy", NULL, &run->job, &err)) == 0)
		rc = store_job_set_state(run->s, run->job, JOB_RUNNING, NULL, &err);
	if (rc < 0) {
		fprintf(stderr, "upkeep: %s\n", err.msg);
		log_job(0, LOG_LVL_ERROR, "policy run: %s", err.msg);
		int code = err_exit_code(err.status);
		err_clear(&err);
		return code;
	}
	return EXIT_OK;
}

int batch_cmd_run(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	(void)argv;
	if (argc > 1) {
		fputs(_("usage: upkeep --batch [run] [--dry-run] [--json]\n"), stderr);
		return EXIT_USAGE;
	}
	struct run run = { .cfg = cfg, .o = o, .now = archive_now() };
	int code = run_open(&run);
	if (code != EXIT_OK) {
		store_close(&run.s);
		return code;
	}
	log_job(run.job, LOG_LVL_INFO, "policy run%s: %zu targets, config %s",
		o->dry_run ? " (dry run)" : "", cfg->n_targets, cfg->file);
	struct check_result **results = NULL;
	int64_t check_job = 0;
	code = batch_check(cfg, NULL, 0, o->dry_run ? WORKER_CHECK_NO_RECORD : 0, o, &results,
			   &check_job);
	if (code == EXIT_OK) {
		run.n = cfg->n_targets;
		run.v = xcalloc(run.n + 1, sizeof(*run.v));
		for (size_t i = 0; i < run.n; i++) {
			run.v[i].t = &cfg->targets[i];
			run.v[i].check = results[i];
			run.v[i].dec = (struct policy_decision){ .install = -1, .held = -1 };
			run_target(&run, &run.v[i]);
		}
		code = run_exit_code(&run);
		if (o->json)
			print_run_json(&run, code);
		else
			print_run_text(&run, code);
		fflush(stdout);
	}
	if (cancel_requested(cancel_flag())) {
		batch_say_cancelled(_("the policy run stopped; every target is on the release it had or "
				      "on one that passed its health check, see above"));
		if (code == EXIT_OK)
			code = EXIT_CANCELLED;
	}
	size_t failed = 0;
	for (size_t i = 0; i < run.n; i++) {
		failed += run.v[i].failed;
		trun_clear(&run.v[i]);
	}
	if (run.job) {
		char *summary = failed ? xasprintf("%zu of %zu targets failed", failed, run.n) : NULL;
		store_job_set_state(run.s, run.job, failed || code == EXIT_USAGE ? JOB_FAILED
				    : code == EXIT_CANCELLED ? JOB_CANCELLED : JOB_OK, summary, NULL);
		free(summary);
	}
	log_job(run.job, code == EXIT_FAILED ? LOG_LVL_ERROR : LOG_LVL_INFO,
		"policy run finished: exit %d", code);
	free(run.v);
	batch_check_free(cfg, &results);
	store_close(&run.s);
	return code;
}

/* ---- drill TARGET ---- */

static void print_drill(const struct target_cfg *t, const struct drill_result *d,
			const struct up_error *err, const struct batch_options *o)
{
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "target", json_object_new_string(t->name));
		json_object_object_add(j, "job", jint_or_null(d->job));
		json_object_object_add(j, "snapshot", jint_or_null(d->snapshot));
		json_object_object_add(j, "version", jstr(d->version));
		json_object_object_add(j, "ok", json_object_new_boolean(d->ok));
		json_object_object_add(j, "slower", json_object_new_boolean(d->slower));
		json_object_object_add(j, "restore_ms", json_object_new_int64(d->restore_ms));
		json_object_object_add(j, "previous_ms", d->previous_ms >= 0 ?
				       json_object_new_int64(d->previous_ms) : NULL);
		json_object_object_add(j, "files", json_object_new_int64(d->files));
		json_object_object_add(j, "bytes", json_object_new_int64(d->bytes));
		json_object_object_add(j, "differences", json_object_new_int64(d->differences));
		json_object_object_add(j, "failed_step", jstr(d->failed_step));
		json_object_object_add(j, "error", jstr(err->msg));
		json_object_object_add(j, "evidence", d->evidence ? json_object_new_string(d->evidence)
				       : NULL);
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		return;
	}
	if (d->ok && !o->quiet) {
		printf(_("%s: drill: snapshot %lld restored (%lld files, %lld bytes) in %lld ms"), t->name,
		       (long long)d->snapshot, d->files, d->bytes, d->restore_ms);
		if (d->previous_ms >= 0)
			printf(_(", previous drill %lld ms"), d->previous_ms);
		printf(_("; matches the index%s; job %lld\n"), t->drill.check ? _(", check passed") : "",
		       (long long)d->job);
	}
	if (d->ok && d->slower)
		fprintf(stderr, _("upkeep: %s: the restore drill is SLOWER: %lld ms against %lld ms "
				  "last time\n"), t->name, d->restore_ms, d->previous_ms);
	if (!d->ok) {
		char *e = safe_text(err->msg);
		fprintf(stderr, _("upkeep: %s: drill failed at %s: %s\n"), t->name,
			d->failed_step ? d->failed_step : "start", e);
		if (d->evidence)
			fprintf(stderr, "%s\n", d->evidence);
		free(e);
	}
}

int batch_cmd_drill(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	if (argc != 2) {
		fputs(_("usage: upkeep --batch drill TARGET [--json]\n"), stderr);
		return EXIT_USAGE;
	}
	const struct target_cfg *t = config_find_target(cfg, argv[1]);
	if (!t) {
		char *name = escape_text(argv[1], (size_t)-1, 64, 0);
		fprintf(stderr, _("upkeep: no target named \"%s\" in %s\n"), name, cfg->file);
		free(name);
		return EXIT_USAGE;
	}
	struct up_error err = UP_ERROR_INIT;
	struct drill_result d;
	int rc = drill_run(cfg, t, cancel_flag(), &d, &err);
	print_drill(t, &d, &err, o);
	notify_drill(NULL, t, &d, &err);
	fflush(stdout);
	int code = rc == 0 ? (d.slower ? EXIT_DRILL_SLOWER : EXIT_OK)
		: err.status == UP_ERR_STATE_LOCKED || err.status == UP_ERR_STATE_CORRUPT
		? err_exit_code(err.status) : d.cancelled ? EXIT_CANCELLED : EXIT_FAILED;
	if (d.cancelled)
		batch_say_cancelled(_("the drill of %s stopped; its scratch tree is removed and no "
				      "drill time was recorded"), t->name);
	drill_result_clear(&d);
	err_clear(&err);
	return code;
}
