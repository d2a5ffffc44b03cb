/* install.c - the guarded install job: journal, lock, steps, rollback. */
#include "config.h"

#include "install.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_backup.h"
#include "archive_index.h"
#include "escape.h"
#include "health.h"
#include "hooks.h"
#include "lockfile.h"
#include "stage.h"
#include "store.h"
#include "swap.h"
#include "upkeep.h"

/* Hooks have no timeout of their own in the configuration: five minutes. */
#define INSTALL_HOOK_TIMEOUT_MS (5 * 60 * 1000LL)

const char *install_outcome_name(enum install_outcome o)
{
	static const char *const names[] = { "failed", "installed", "already installed",
					     "rolled back", "rollback failed" };
	return names[o];
}

void install_result_clear(struct install_result *r)
{
	free(r->from);
	free(r->to);
	free(r->tag);
	free(r->failed_step);
	free(r->evidence);
	free(r->advice);
	strvec_clear(&r->drift);
	strvec_clear(&r->log);
	*r = (struct install_result){ 0 };
}

int install_exit_code(const struct install_result *r, const struct up_error *err)
{
	switch (r->outcome) {
	case INSTALL_DONE:
	case INSTALL_CURRENT: return EXIT_OK;
	case INSTALL_ROLLED_BACK: return EXIT_ROLLED_BACK;
	case INSTALL_BROKEN: return EXIT_BROKEN;
	case INSTALL_FAILED: break;
	}
	if (r->drift.n && err->status == UP_ERR_MISMATCH)
		return EXIT_MISMATCH;
	if (err->status == UP_ERR_STATE_LOCKED || err->status == UP_ERR_STATE ||
	    err->status == UP_ERR_STATE_CORRUPT || err->status == UP_ERR_CONFIG)
		return err_exit_code(err->status);
	return EXIT_FAILED;
}

/* ---- the target lock ---- */

void install_lock_note(int fd, int64_t job, const char *step)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char *note = xasprintf("install job %lld, step %s, host %s", (long long)job, step ? step : "-",
			       host);
	lockfile_note(fd, note);
	free(note);
}

int install_lock_target(const char *state_dir, const char *target, int *fd,
			struct up_error *err)
{
	char *dir = xasprintf("%s/locks", state_dir);
	char *path = xasprintf("%s/%s.lock", dir, target);
	char *what = xasprintf("target %s", target);
	int rc = 0;
	*fd = -1;
	if (util_mkdir_p(dir, 0700) < 0)
		rc = err_set(err, UP_ERR_IO, "%s: %s", dir, strerror(errno));
	else if ((*fd = lockfile_open(path, err)) < 0)
		rc = -1;
	else if (lockfile_acquire(*fd, what, 0, "install job 0, step preflight", err) < 0) {
		close(*fd);
		*fd = -1;
		rc = -1;
	}
	free(what);
	free(path);
	free(dir);
	return rc;
}

/* ---- the job ---- */

struct job {
	const struct config *cfg;
	const struct target_cfg *t;
	struct store *s;
	int64_t id;
	int lock_fd;
	unsigned flags;
	struct release_plan plan;
	struct install_result *r;
	char *staging;        /* plain: beside path; releases: releases/VERSION */
	char *releases;       /* releases layout: the releases directory */
	char *old_link;       /* releases layout: the previous link target, or NULL */
	bool live_existed;
	bool swapped;
	struct up_error err;
};

static void journal(struct job *j, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void journal(struct job *j, const char *level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	struct up_error e = UP_ERROR_INIT;
	if (j->id)
		store_job_event(j->s, j->id, level, text, &e);
	err_clear(&e);
	strvec_push_owned(&j->r->log, text);
}

/* Records the step before it runs. A journal that cannot be written stops
 * the job: nothing runs unrecorded. */
static int step_begin(struct job *j, const char *name, int64_t *step)
{
	install_lock_note(j->lock_fd, j->id, name);
	if (store_job_step_begin(j->s, j->id, name, step, &j->err) < 0)
		return err_prefix(&j->err, "journal");
	return 0;
}

static void step_end(struct job *j, int64_t step, int rc)
{
	struct up_error e = UP_ERROR_INIT;
	store_job_step_end(j->s, step, rc == 0, rc == 0 ? NULL : j->err.msg, &e);
	err_clear(&e);
}

static struct hook_env job_env(const struct job *j, const char *phase, bool back)
{
	const char *from = j->plan.from_version, *to = j->plan.version;
	return (struct hook_env){ .target = j->t->name, .path = j->t->path, .phase = phase,
				  .from = back ? to : from, .to = back ? from : to };
}

static int run_hook(struct job *j, const char *cmd, const char *phase, bool back)
{
	if (!cmd)
		return 0;
	struct hook_env env = job_env(j, phase, back);
	struct hook_result hr;
	int rc = hooks_run_command(cmd, &env, INSTALL_HOOK_TIMEOUT_MS, &hr, &j->err);
	if (rc < 0 && hr.output && hr.output[0]) {
		free(j->r->evidence);
		j->r->evidence = xstrdup(hr.output);
	}
	journal(j, rc < 0 ? "error" : "info", "%s: %s", phase, rc < 0 ? j->err.msg : "ok");
	hook_result_clear(&hr);
	return rc;
}

static int do_health(struct job *j, bool back)
{
	struct hook_env env = job_env(j, back ? "rollback:health" : "health", back);
	struct health_result hr;
	int rc = health_check(&j->t->health, &env, &hr, &j->err);
	if (rc < 0) {
		free(j->r->evidence);
		j->r->evidence = xstrdup(hr.evidence ? hr.evidence : "");
	}
	journal(j, rc < 0 ? "error" : "info", "%s: %s", env.phase,
		rc < 0 ? j->err.msg : hr.checked ? "healthy" : "no health check configured");
	health_result_clear(&hr);
	return rc;
}

/* ---- the steps before the switch ---- */

static int do_snapshot(struct job *j)
{
	if (!j->t->backup.before_install) {
		journal(j, "warning", "snapshot: skipped (backup.before_install is false)");
		return 0;
	}
	if (!j->live_existed) {
		journal(j, "info", "snapshot: nothing installed yet");
		return 0;
	}
	char *dir = archive_dir_for(j->cfg->state_dir);
	struct archive_index *idx = NULL;
	int rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &idx, &j->err);
	free(dir);
	struct backup_opts bo = { .target = j->t->name, .path = j->t->path,
				  .version = j->plan.from_version, .reason = "pre-update",
				  .level = j->t->backup.compression };
	struct backup_result br = { 0 };
	if (rc == 0)
		rc = archive_backup(idx, &bo, &br, &j->err);
	if (rc == 0)
		journal(j, "info", "snapshot: %lld (%lld files, %lld bytes)", (long long)br.id, br.files,
			br.bytes);
	else
		err_prefix(&j->err, "pre-update snapshot");
	for (size_t i = 0; rc == 0 && i < br.warnings.n; i++)
		journal(j, "warning", "snapshot: %s", br.warnings.items[i]);
	backup_result_clear(&br);
	archive_index_close(&idx);
	return rc;
}

static int release_dirs(struct job *j)
{
	if (j->t->layout == LAYOUT_PLAIN) {
		j->staging = stage_dir_for(j->t->path, j->t->name);
		return 0;
	}
	const char *why = stage_name_problem(j->plan.version);
	if (why)
		return err_set(&j->err, UP_ERR_MISMATCH, "version %s cannot name a release directory: %s",
			       j->plan.version, why);
	char *parent = swap_parent_dir(j->t->path);
	j->releases = xasprintf("%s/releases", parent);
	j->staging = xasprintf("%s/%s", j->releases, j->plan.version);
	free(parent);
	if (util_mkdir_p(j->releases, 0755) < 0)
		return err_set(&j->err, UP_ERR_IO, "%s: %s", j->releases, strerror(errno));
	return swap_link_read(j->t->path, &j->old_link, &j->err);
}

static int do_stage(struct job *j)
{
	struct stat like;
	if (stat(j->t->path, &like) < 0) {
		like = (struct stat){ .st_mode = S_IFDIR | 0755, .st_uid = geteuid(), .st_gid = getegid() };
	}
	struct stat st;
	if (lstat(j->staging, &st) == 0) {
		/* a leftover of an earlier run of upkeep's own (the name says so) */
		journal(j, "warning", "stage: removing leftover %s", j->staging);
		if (stage_remove_tree(j->staging, &j->err) < 0)
			return -1;
	}
	struct stage_stats ss;
	if (stage_write_tree(j->plan.cache_dir, j->plan.tree, j->staging, &like, NULL, &ss, &j->err) < 0)
		return err_prefix(&j->err, "stage %s", j->plan.version);
	journal(j, "info", "stage: %s (tree %s): %zu files, %zu directories, %zu links, %lld bytes",
		j->staging, j->plan.tree, ss.files, ss.dirs, ss.links, ss.bytes);
	return 0;
}

static int do_preserve(struct job *j)
{
	if (!j->t->n_preserve || !j->live_existed)
		return 0;
	if (stage_carry_preserved(j->t->path, j->staging, j->t->preserve, j->t->n_preserve,
				  &j->err) < 0)
		return -1;
	journal(j, "info", "preserve: %zu path%s copied from the live tree", j->t->n_preserve,
		j->t->n_preserve == 1 ? "" : "s");
	return 0;
}

static int do_swap(struct job *j)
{
	int rc;
	if (j->t->layout == LAYOUT_RELEASES) {
		char *target = xasprintf("releases/%s", j->plan.version);
		rc = swap_link_switch(j->t->path, target, &j->err);
		free(target);
	} else if (j->live_existed) {
		rc = swap_exchange_dirs(j->t->path, j->staging, &j->err);
	} else {
		rc = swap_install_first(j->staging, j->t->path, &j->err);
	}
	if (rc == 0) {
		j->swapped = true;
		journal(j, "info", "swap: %s is now %s", j->t->path, j->plan.version);
	}
	return rc;
}

/* Undoes do_swap(). */
static int swap_back(struct job *j)
{
	int rc;
	if (j->t->layout == LAYOUT_RELEASES) {
		if (j->old_link)
			rc = swap_link_switch(j->t->path, j->old_link, &j->err);
		else if ((rc = unlink(j->t->path)) < 0)
			rc = err_set(&j->err, UP_ERR_IO, "%s: %s", j->t->path, strerror(errno));
	} else if (j->live_existed) {
		rc = swap_exchange_dirs(j->t->path, j->staging, &j->err);
	} else {
		rc = swap_install_first(j->t->path, j->staging, &j->err);
	}
	if (rc == 0)
		j->swapped = false;
	return rc;
}

/* ---- steps as a table ---- */

static int step_pre_install(struct job *j)
{
	return run_hook(j, j->t->hooks.pre_install, "pre_install", false);
}

static int step_post_install(struct job *j)
{
	return run_hook(j, j->t->hooks.post_install, "post_install", false);
}

static int step_health(struct job *j)
{
	return do_health(j, false);
}

typedef int (*step_fn)(struct job *j);

static int run_step(struct job *j, const char *name, step_fn fn)
{
	int64_t id;
	if (step_begin(j, name, &id) < 0)
		return -1;
	int rc = fn(j);
	step_end(j, id, rc);
	return rc;
}

/* ---- outcome ---- */

static void remove_quietly(struct job *j, const char *dir, const char *what)
{
	struct up_error e = UP_ERROR_INIT;
	if (stage_remove_tree(dir, &e) < 0)
		journal(j, "warning", "%s: %s", what, e.msg);
	err_clear(&e);
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static int step_finish(struct job *j)
{
	const struct release_plan *p = &j->plan;
	if (store_target_set_installed(j->s, j->t->name, p->version, p->tag, p->commit, &j->err) < 0)
		return -1;
	struct target_state ts = { 0 };
	int rc = store_target_get(j->s, j->t->name, &ts, &j->err);
	if (rc >= 0 && ts.highest_version &&
	    preflight_compare_versions(j->t, p->version, ts.highest_version) == 1)
		rc = store_target_set_highest(j->s, j->t->name, p->version, &j->err);
	store_target_state_free(&ts);
	if (rc < 0)
		return -1;
	if (j->t->layout == LAYOUT_PLAIN && j->live_existed) {
		remove_quietly(j, j->staging, "removing the old tree");
	} else if (j->t->layout == LAYOUT_RELEASES) {
		const char *protect[] = { p->version, base_name(j->old_link) };
		struct up_error e = UP_ERROR_INIT;
		if (swap_prune_releases(j->releases, j->t->keep_releases, protect, 2, &e) < 0)
			journal(j, "warning", "pruning releases: %s", e.msg);
		err_clear(&e);
	}
	journal(j, "info", "finish: %s installed", p->version);
	return 0;
}

static void broken_advice(struct job *j, const char *why)
{
	free(j->r->advice);
	const char *old = j->plan.from_version ? j->plan.from_version : "nothing";
	j->r->advice = xasprintf(
		"%s. Both trees are kept: %s holds %s (%s) and %s holds %s. "
		"Check the application by hand, fix it, and run the hooks or switch the trees "
		"yourself; `upkeep --batch snapshots %s` lists the pre-update snapshot.",
		why, j->t->path, j->swapped ? "the NEW release" : "the OLD release",
		j->swapped ? j->plan.version : old, j->staging, j->swapped ? old : j->plan.version,
		j->t->name);
}

/* Swaps back, runs the hooks again, checks the old release's health. */
static void rollback(struct job *j, const char *failed)
{
	struct install_result *r = j->r;
	r->failed_step = xstrdup(failed);
	char *cause = xstrdup(j->err.msg ? j->err.msg : "failed");
	char *evidence = r->evidence ? xstrdup(r->evidence) : NULL;
	int64_t id = 0;
	struct up_error jerr = UP_ERROR_INIT;
	store_job_step_begin(j->s, j->id, "rollback", &id, &jerr); /* best effort: roll back anyway */
	err_clear(&jerr);
	install_lock_note(j->lock_fd, j->id, "rollback");
	journal(j, "error", "%s failed: %s; rolling back", failed, cause);
	bool ok = true;
	if (j->swapped) {
		run_hook(j, j->t->hooks.pre_install, "rollback:pre_install", true);
		if (swap_back(j) < 0) {
			ok = false;
			journal(j, "error", "rollback: swapping back failed: %s", j->err.msg);
			broken_advice(j, "Swapping back to the old release failed");
		} else {
			journal(j, "info", "rollback: %s is the old release again", j->t->path);
		}
	}
	if (ok && run_hook(j, j->t->hooks.post_install, "rollback:post_install", true) < 0) {
		ok = false;
		broken_advice(j, "The post_install hook failed for the old release");
	}
	if (ok && j->live_existed && do_health(j, true) < 0) {
		ok = false;
		broken_advice(j, "The old release is unhealthy too");
	}
	if (ok && !j->swapped && (j->t->layout == LAYOUT_PLAIN || !j->old_link ||
				  strcmp(base_name(j->old_link), j->plan.version) != 0))
		remove_quietly(j, j->staging, "removing the new tree");
	r->outcome = ok ? INSTALL_ROLLED_BACK : INSTALL_BROKEN;
	free(r->evidence);
	r->evidence = evidence;
	if (ok)
		err_set(&j->err, UP_ERR_MISMATCH, "%s: installing %s failed at %s (%s); rolled back to %s",
			j->t->name, j->plan.version, failed, cause,
			j->plan.from_version ? j->plan.from_version : "nothing installed");
	else
		err_set(&j->err, UP_ERR_MISMATCH,
			"%s: installing %s failed at %s (%s) AND THE ROLLBACK FAILED: %s", j->t->name,
			j->plan.version, failed, cause, r->advice);
	struct up_error e = UP_ERROR_INIT;
	if (id)
		store_job_step_end(j->s, id, ok, ok ? NULL : j->err.msg, &e);
	err_clear(&e);
	free(cause);
}

/* ---- the job ---- */

static int step_preflight(struct job *j)
{
	struct target_state ts = { 0 };
	int rc = store_target_get(j->s, j->t->name, &ts, &j->err) < 0 ? -1 : 0;
	if (rc == 0)
		rc = preflight_resolve(j->cfg, j->t, &ts, j->r->to, &j->plan, &j->err);
	store_target_state_free(&ts);
	if (rc < 0)
		return -1;
	free(j->r->to);
	j->r->to = xstrdup(j->plan.version);
	j->r->tag = xstrdup(j->plan.tag);
	j->r->from = j->plan.from_version ? xstrdup(j->plan.from_version) : NULL;
	if (j->plan.same)
		return 0;
	rc = preflight_check(j->t, j->flags, &j->plan, &j->err);
	for (size_t i = 0; i < j->plan.drift.n; i++)
		strvec_push(&j->r->drift, j->plan.drift.items[i]);
	for (size_t i = 0; i < j->plan.notes.n; i++)
		journal(j, "info", "%s", j->plan.notes.items[i]);
	if (rc == 0)
		rc = release_dirs(j);
	if (rc == 0)
		journal(j, "info", "intent: layout=%s path=%s staging=%s from=%s to=%s tag=%s tree=%s",
			j->t->layout == LAYOUT_PLAIN ? "plain" : "releases", j->t->path, j->staging,
			j->plan.from_version ? j->plan.from_version : "-", j->plan.version, j->plan.tag,
			j->plan.tree);
	return rc;
}

/* Steps 3 to 7; on failure from the pre_install hook on, rolls back. */
static int run_switch(struct job *j)
{
	static const struct {
		const char *name;
		step_fn fn;
		bool rolls_back;
	} steps[] = {
		{ "snapshot", do_snapshot, false },
		{ "stage", do_stage, false },
		{ "pre_install", step_pre_install, true },
		{ "preserve", do_preserve, true },
		{ "swap", do_swap, true },
		{ "post_install", step_post_install, true },
		{ "health", step_health, true },
		{ "finish", step_finish, false },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		if (run_step(j, steps[i].name, steps[i].fn) == 0)
			continue;
		if (steps[i].rolls_back) {
			rollback(j, steps[i].name);
		} else {
			free(j->r->failed_step);
			j->r->failed_step = xstrdup(steps[i].name);
			if (strcmp(steps[i].name, "finish") == 0)
				j->r->outcome = INSTALL_BROKEN; /* switched and healthy, not recorded */
		}
		return -1;
	}
	j->r->outcome = INSTALL_DONE;
	return 0;
}

static void job_close(struct job *j, int rc)
{
	static const enum job_state states[] = {
		[INSTALL_FAILED] = JOB_FAILED, [INSTALL_DONE] = JOB_OK, [INSTALL_CURRENT] = JOB_OK,
		[INSTALL_ROLLED_BACK] = JOB_ROLLED_BACK, [INSTALL_BROKEN] = JOB_FAILED,
	};
	struct up_error e = UP_ERROR_INIT;
	if (j->s && j->id) {
		store_job_set_state(j->s, j->id, states[j->r->outcome], rc < 0 ? j->err.msg : NULL, &e);
		err_clear(&e);
		store_target_record_outcome(j->s, j->t->name, install_outcome_name(j->r->outcome), &e);
		err_clear(&e);
	}
	store_close(&j->s);
	release_plan_clear(&j->plan);
	free(j->staging);
	free(j->releases);
	free(j->old_link);
	if (j->lock_fd >= 0) {
		lockfile_release(j->lock_fd);
		close(j->lock_fd);
	}
}

int install_run(const struct config *cfg, const struct target_cfg *t, const char *version,
		unsigned flags, struct install_result *r, struct up_error *err)
{
	*r = (struct install_result){ .outcome = INSTALL_FAILED };
	struct job j = { .cfg = cfg, .t = t, .flags = flags, .r = r, .lock_fd = -1 };
	r->to = version ? xstrdup(version) : NULL;
	struct stat st;
	int rc = install_lock_target(cfg->state_dir, t->name, &j.lock_fd, &j.err);
	if (rc == 0)
		rc = store_open(cfg->state_dir, UPKEEP_LOCK_TIMEOUT_MS, &j.s, &j.err);
	if (rc == 0)
		rc = store_job_create(j.s, "install", t->name, &j.id, &j.err);
	if (rc == 0)
		rc = store_job_set_state(j.s, j.id, JOB_RUNNING, NULL, &j.err);
	r->job = j.id;
	j.live_existed = rc == 0 && stat(t->path, &st) == 0 && S_ISDIR(st.st_mode);
	if (rc == 0)
		rc = run_step(&j, "preflight", step_preflight);
	if (rc == 0 && j.plan.same) {
		r->outcome = INSTALL_CURRENT;
		journal(&j, "info", "%s is already installed", j.plan.version);
	} else if (rc == 0) {
		rc = run_switch(&j);
	}
	job_close(&j, rc);
	if (rc < 0) {
		err_set(err, j.err.status, "%s", j.err.msg ? j.err.msg : "install failed");
	}
	err_clear(&j.err);
	return rc;
}
