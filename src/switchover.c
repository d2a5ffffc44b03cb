/* switchover.c - the guarded switch: hooks, swap, health, rollback. */
#include "config.h"

#include "switchover.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cancel.h"
#include "crashpoint.h"
#include "escape.h"
#include "health.h"
#include "hooks.h"
#include "i18n.h"
#include "intent.h"
#include "lockfile.h"
#include "log.h"
#include "stage.h"
#include "swap.h"

void switchover_add_path(struct switchover *sw, const char *live, const char *staged, bool existed)
{
	sw->paths = xrealloc(sw->paths, (sw->n_paths + 1) * sizeof(*sw->paths));
	sw->paths[sw->n_paths++] = (struct switchover_path){ .live = xstrdup(live),
							     .staged = xstrdup(staged),
							     .existed = existed };
}

void switchover_clear(struct switchover *sw)
{
	if (sw->healthy) /* the job is finished: signals cancel again */
		cancel_guard_leave(CANCEL_GUARD_NONE);
	sw->healthy = false;
	for (size_t i = 0; i < sw->n_paths; i++) {
		free(sw->paths[i].live);
		free(sw->paths[i].staged);
	}
	FREE(sw->paths);
	sw->n_paths = 0;
	strbuf_release(&sw->timing);
	free(sw->live);
	free(sw->staging);
	free(sw->releases);
	free(sw->old_link);
	free(sw->new_link);
	err_clear(&sw->err);
	sw->live = sw->staging = sw->releases = sw->old_link = sw->new_link = NULL;
}

const char *switchover_base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

void switchover_journal(struct switchover *sw, const char *level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	struct up_error e = UP_ERROR_INIT;
	if (sw->job)
		store_job_event(sw->s, sw->job, level, text, &e);
	err_clear(&e);
	char *safe = escape_text(text, (size_t)-1, 0, 0);
	log_job(sw->job, log_level_parse(level), "%s: %s: %s", sw->t->name,
		sw->kind ? sw->kind : "install", safe);
	free(safe);
	strvec_push_owned(&sw->r->log, text);
}

static void lock_note(struct switchover *sw, const char *step)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char *note = xasprintf("%s job %lld, step %s, host %s", sw->kind ? sw->kind : "install",
			       (long long)sw->job, step ? step : "-", host);
	lockfile_note(sw->lock_fd, note);
	free(note);
}

/* ---- the intent ---- */

int switchover_intent_begin(struct switchover *sw, const char *to_tag, const char *to_commit,
			    bool record_version, int keep_releases)
{
	static const enum intent_mode modes[] = {
		[SWITCH_PLAIN] = INTENT_PLAIN, [SWITCH_RELEASES] = INTENT_RELEASES,
		[SWITCH_PATH] = INTENT_PATH,
	};
	struct intent in = {
		.job = sw->job, .kind = (char *)(sw->kind ? sw->kind : "install"),
		.target = (char *)sw->t->name, .mode = modes[sw->mode], .path = sw->live,
		.staging = sw->staging, .releases = sw->releases, .old_link = sw->old_link,
		.new_link = sw->new_link, .live_existed = sw->live_existed, .from = (char *)sw->from,
		.to = (char *)sw->to, .to_tag = (char *)to_tag, .to_commit = (char *)to_commit,
		.record_version = record_version, .keep_releases = keep_releases,
		.phase = INTENT_PREPARED,
	};
	if (intent_begin(sw->s, &in, &sw->err) < 0)
		return err_prefix(&sw->err, _("recording the job's intent"));
	sw->intent = true;
	switchover_journal(sw, "info", "intent: %s %s, staging %s, from %s to %s",
			   intent_mode_name(in.mode), sw->live, sw->staging,
			   sw->from ? sw->from : "-", sw->to ? sw->to : "-");
	return 0;
}

/* The phase a step moves the intent to before it runs (before) or once it
 * succeeded (!before); -1 for none. */
static int step_phase(const struct switchover *sw, const char *name, bool before)
{
	static const struct {
		const char *step;
		int before, after;
	} map[] = {
		{ "stage", INTENT_STAGING, -1 },    { "extract", INTENT_STAGING, -1 },
		{ "pre_install", INTENT_HOOKS, -1 }, { "pre_restore", INTENT_HOOKS, -1 },
		{ "preserve", INTENT_PRESERVING, -1 }, { "swap", INTENT_SWAPPING, INTENT_SWAPPED },
		{ "health", -1, INTENT_HEALTHY },   { "finish", -1, INTENT_DONE },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].step, name) == 0)
			return before ? map[i].before : map[i].after;
	return -1;
}

/* SWITCH_PATH: the pairs and both sides' identities, so that recovery
 * swaps exactly those back. */
static int write_pairs(struct switchover *sw)
{
	struct intent_pair *v = xcalloc(sw->n_paths ? sw->n_paths : 1, sizeof(*v));
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sw->n_paths; i++) {
		const struct switchover_path *p = &sw->paths[i];
		v[i] = (struct intent_pair){ .live = p->live, .staged = p->staged, .existed = p->existed };
		rc = intent_id_of(p->live, &v[i].live_id, &sw->err);
		if (rc == 0)
			rc = intent_id_of(p->staged, &v[i].staged_id, &sw->err);
	}
	if (rc == 0)
		rc = intent_set_swapping_pairs(sw->s, sw->job, v, sw->n_paths, &sw->err);
	free(v);
	return rc;
}

/* Before the swap, the identities of both roots: recovery tells from them
 * which tree the path names. */
static int write_phase(struct switchover *sw, int phase)
{
	if (!sw->intent || phase < 0)
		return 0;
	int rc;
	if (phase == INTENT_SWAPPING && sw->mode == SWITCH_PATH) {
		rc = write_pairs(sw);
	} else if (phase == INTENT_SWAPPING) {
		struct intent_id old_id, new_id;
		rc = intent_id_of(sw->live, &old_id, &sw->err);
		if (rc == 0)
			rc = intent_id_of(sw->staging, &new_id, &sw->err);
		if (rc == 0)
			rc = intent_set_swapping(sw->s, sw->job, &old_id, &new_id, &sw->err);
	} else {
		rc = intent_set_phase(sw->s, sw->job, (enum intent_phase)phase, &sw->err);
	}
	return rc < 0 ? err_prefix(&sw->err, _("recording the job's intent")) : 0;
}

static void step_point(const struct switchover *sw, const char *when, const char *name)
{
	char *point = xasprintf("%s-%s", when, name);
	crashpoint_at(sw->kind ? sw->kind : "install", point);
	free(point);
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void switchover_journal_timing(struct switchover *sw)
{
	if (sw->timing.len)
		switchover_journal(sw, "info", "timing: %s", sw->timing.buf);
}

/* The time the application was stopped: from the pre hook's return to the
 * post hook's start; journaled once the post hook is done, so that the
 * journal write is not part of it. */
static void journal_downtime(struct switchover *sw, long long post_start_us, bool back)
{
	if (!sw->pre_end_us)
		return;
	switchover_journal(sw, "info", "%sdowntime: %.1f ms from the end of %s to the start of %s",
			   back ? "rollback: " : "", (double)(post_start_us - sw->pre_end_us) / 1000.0,
			   sw->pre_name, sw->post_name);
	sw->pre_end_us = 0;
}

const volatile int *switchover_cancel(const struct switchover *sw)
{
	return sw->healthy ? NULL : sw->cancel;
}

/* Before a step: a job cancelled until its health check passed stops here;
 * later it is too late, and that is said once. */
static bool stop_before(struct switchover *sw, const char *name)
{
	if (!cancel_requested(sw->cancel))
		return false;
	if (!sw->healthy) {
		err_set(&sw->err, UP_ERR_CANCELLED, _("cancelled before step %s"), name);
		switchover_journal(sw, "warning", "cancel: %s", sw->err.msg);
		return true;
	}
	if (!sw->late_noted)
		switchover_journal(sw, "warning", "cancel: requested after the health check passed: too "
				   "late, %s is finished", sw->to ? sw->to : "the job");
	sw->late_noted = true;
	return false;
}

bool switchover_cancelled(struct switchover *sw, const char *step)
{
	if (sw->err.status != UP_ERR_CANCELLED)
		return false;
	free(sw->r->failed_step);
	sw->r->failed_step = xstrdup(step);
	sw->r->outcome = INSTALL_CANCELLED;
	err_set(&sw->err, UP_ERR_CANCELLED, _("%s: %s cancelled at %s; nothing was changed"),
		sw->t->name, sw->action ? sw->action : sw->kind, step);
	return true;
}

int switchover_step(struct switchover *sw, const char *name, switchover_step_fn fn, void *ctx)
{
	if (stop_before(sw, name))
		return -2;
	int64_t id;
	long long t0 = now_us();
	lock_note(sw, name);
	log_job(sw->job, LOG_LVL_STEP, "%s: %s: step %s", sw->t->name, sw->kind ? sw->kind : "install",
		name);
	if (store_job_step_begin(sw->s, sw->job, name, &id, &sw->err) < 0)
		return err_prefix(&sw->err, "journal");
	int rc = write_phase(sw, step_phase(sw, name, true));
	/* in the downtime window the step's records commit together, here:
	 * durable before the step runs */
	if (rc == 0 && store_group_end(sw->s, &sw->err) < 0)
		rc = err_prefix(&sw->err, "journal");
	if (rc == 0) {
		step_point(sw, "before", name);
		rc = fn(sw, ctx);
	}
	if (sw->batching && store_group_begin(sw->s, &sw->err) < 0 && rc == 0)
		rc = err_prefix(&sw->err, "journal");
	if (rc == 0)
		rc = write_phase(sw, step_phase(sw, name, false));
	struct up_error e = UP_ERROR_INIT;
	store_job_step_end(sw->s, id, rc == 0, rc == 0 ? NULL : sw->err.msg, &e);
	err_clear(&e);
	/* a phase the step reached (swapped, healthy...) is durable at once */
	if (step_phase(sw, name, false) >= 0 && store_group_end(sw->s, &e) < 0 && rc == 0)
		rc = err_set(&sw->err, e.status, "journal: %s", e.msg);
	err_clear(&e);
	strbuf_addf(&sw->timing, "%s%s %.1f ms", sw->timing.len ? ", " : "", name,
		    (double)(now_us() - t0) / 1000.0);
	step_point(sw, "after", name);
	return rc;
}

void switchover_remove_quietly(struct switchover *sw, const char *dir, const char *what)
{
	struct up_error e = UP_ERROR_INIT;
	char *parent = swap_parent_dir(dir);
	if (stage_remove_tree(dir, &e) < 0 || stage_fsync_dir(parent, &e) < 0)
		switchover_journal(sw, "warning", "%s: %s", what, e.msg);
	err_clear(&e);
	free(parent);
}

/* ---- hooks and health ---- */

static struct hook_env job_env(const struct switchover *sw, const char *phase, bool back)
{
	return (struct hook_env){ .target = sw->t->name, .path = sw->t->path, .phase = phase,
				  .from = back ? sw->to : sw->from, .to = back ? sw->from : sw->to,
				  .cancel = back ? NULL : switchover_cancel(sw) };
}

static int run_hook(struct switchover *sw, const char *cmd, const char *phase, bool back)
{
	if (!cmd)
		return 0;
	struct hook_env env = job_env(sw, phase, back);
	struct hook_result hr;
	int rc = hooks_run_command(cmd, &env, sw->hook_timeout_ms, &hr, &sw->err);
	if (rc < 0 && hr.output && hr.output[0]) {
		free(sw->r->evidence);
		sw->r->evidence = xstrdup(hr.output);
	}
	switchover_journal(sw, rc < 0 ? "error" : "info", "%s: %s", phase,
			   rc < 0 ? sw->err.msg : "ok");
	hook_result_clear(&hr);
	return rc;
}

static int do_health(struct switchover *sw, bool back)
{
	struct hook_env env = job_env(sw, back ? "rollback:health" : "health", back);
	struct health_result hr;
	int rc = health_check(&sw->t->health, &env, &hr, &sw->err);
	if (rc < 0) {
		free(sw->r->evidence);
		sw->r->evidence = xstrdup(hr.evidence ? hr.evidence : "");
	}
	switchover_journal(sw, rc < 0 ? "error" : "info", "%s: %s", env.phase,
			   rc < 0 ? sw->err.msg : hr.checked ? "healthy" : "no health check configured");
	health_result_clear(&hr);
	return rc;
}

/* ---- preserve and swap ---- */

static int do_preserve(struct switchover *sw, void *ctx)
{
	(void)ctx;
	if (!sw->carry_preserved || !sw->t->n_preserve || !sw->live_existed)
		return 0;
	if (stage_carry_preserved(sw->live, sw->staging, sw->t->preserve, sw->t->n_preserve,
				  &sw->err) < 0)
		return -1;
	switchover_journal(sw, "info", "preserve: %zu path%s copied from the live tree",
			   sw->t->n_preserve, sw->t->n_preserve == 1 ? "" : "s");
	return 0;
}

/* SWITCH_PATH: exchanges (or renames into place) each pair in order;
 * back undoes those swapped, in reverse. A failure undoes what it did. */
static int swap_pairs(struct switchover *sw, bool back)
{
	size_t n = sw->n_paths;
	for (size_t k = 0; k < n; k++) {
		struct switchover_path *p = &sw->paths[back ? n - 1 - k : k];
		if (p->swapped != back)
			continue;
		int rc = p->existed ? swap_exchange_paths(p->live, p->staged, &sw->err)
				    : back ? swap_place_path(p->live, p->staged, &sw->err)
					   : swap_place_path(p->staged, p->live, &sw->err);
		if (rc < 0) {
			if (!back) {
				struct up_error keep = sw->err;
				sw->err = (struct up_error)UP_ERROR_INIT;
				swap_pairs(sw, true);
				err_clear(&sw->err);
				sw->err = keep;
			}
			return -1;
		}
		p->swapped = !back;
		if (!back)
			crashpoint_at(sw->kind ? sw->kind : "install", "after-path");
	}
	return 0;
}

static int do_swap(struct switchover *sw, void *ctx)
{
	(void)ctx;
	int rc;
	if (sw->mode == SWITCH_RELEASES)
		rc = swap_link_switch(sw->live, sw->new_link, &sw->err);
	else if (sw->mode == SWITCH_PATH)
		rc = swap_pairs(sw, false);
	else if (sw->live_existed)
		rc = swap_exchange_dirs(sw->live, sw->staging, &sw->err);
	else
		rc = swap_install_first(sw->staging, sw->live, &sw->err);
	if (rc == 0) {
		sw->swapped = true;
		if (sw->batching) /* the line joins the step's records */
			store_group_begin(sw->s, NULL);
		if (sw->mode == SWITCH_PATH)
			switchover_journal(sw, "info", "swap: %zu path%s of %s replaced", sw->n_paths,
					   sw->n_paths == 1 ? "" : "s", sw->live);
		else
			switchover_journal(sw, "info", "swap: %s is now %s", sw->live, sw->to);
	}
	return rc;
}

/* Undoes do_swap(). */
static int swap_back(struct switchover *sw)
{
	int rc;
	if (sw->mode == SWITCH_RELEASES) {
		if (sw->old_link)
			rc = swap_link_switch(sw->live, sw->old_link, &sw->err);
		else if ((rc = unlink(sw->live)) < 0)
			rc = err_set(&sw->err, UP_ERR_IO, "%s: %s", sw->live, strerror(errno));
	} else if (sw->mode == SWITCH_PATH) {
		rc = swap_pairs(sw, true);
	} else if (sw->live_existed) {
		rc = swap_exchange_dirs(sw->live, sw->staging, &sw->err);
	} else {
		rc = swap_install_first(sw->live, sw->staging, &sw->err);
	}
	if (rc == 0)
		sw->swapped = false;
	return rc;
}

static int step_data(struct switchover *sw, void *ctx)
{
	(void)ctx;
	return sw->data_forward(sw, sw->data_ctx, false);
}

static int step_pre_install(struct switchover *sw, void *ctx)
{
	(void)ctx;
	int rc = run_hook(sw, sw->pre_hook, sw->pre_name, false);
	sw->pre_end_us = rc == 0 ? now_us() : 0;
	sw->batching = rc == 0; /* the application is stopped: one commit per step */
	return rc;
}

/* Commits what the downtime window grouped; from here writes commit alone. */
static int end_batching(struct switchover *sw)
{
	sw->batching = false;
	return store_group_end(sw->s, &sw->err) < 0 ? err_prefix(&sw->err, "journal") : 0;
}

static int step_post_install(struct switchover *sw, void *ctx)
{
	(void)ctx;
	if (end_batching(sw) < 0)
		return -1;
	long long start = now_us();
	int rc = run_hook(sw, sw->post_hook, sw->post_name, false);
	journal_downtime(sw, start, false);
	return rc;
}

static int step_health(struct switchover *sw, void *ctx)
{
	(void)ctx;
	return do_health(sw, false);
}

/* ---- rollback ---- */

static void broken_advice(struct switchover *sw, const char *why)
{
	free(sw->r->advice);
	const char *old = sw->from ? sw->from : "nothing";
	sw->r->advice = xasprintf(
		_("%s. Both trees are kept: %s holds %s (%s) and %s holds %s. "
		"Check the application by hand, fix it, and run the hooks or switch the trees "
		"yourself; `upkeep --batch snapshots %s` lists the %s snapshot."),
		why, sw->live, sw->swapped ? "the NEW release" : "the OLD release",
		sw->swapped ? sw->to : old, sw->staging, sw->swapped ? old : sw->to, sw->t->name,
		sw->snapshot_reason ? sw->snapshot_reason : "pre-update");
}

/* Whether the staged tree may go once the switch is undone: in the releases
 * layout it may be the release the link pointed at before. */
static bool staging_is_spare(const struct switchover *sw)
{
	return sw->mode != SWITCH_RELEASES || !sw->old_link ||
	       strcmp(switchover_base_name(sw->old_link), switchover_base_name(sw->new_link)) != 0;
}

/* The hooks of the job's kind unless the caller chose them: an install's,
 * and for a restore pre_restore and post_restore, else an install's. */
static void fill_hooks(struct switchover *sw)
{
	const struct hooks_cfg *h = &sw->t->hooks;
	bool restore = sw->kind && strcmp(sw->kind, "restore") == 0;
	if (!sw->pre_name) {
		sw->pre_name = restore ? "pre_restore" : "pre_install";
		sw->pre_hook = restore && h->pre_restore ? h->pre_restore : h->pre_install;
	}
	if (!sw->post_name) {
		sw->post_name = restore ? "post_restore" : "post_install";
		sw->post_hook = restore && h->post_restore ? h->post_restore : h->post_install;
	}
	if (!sw->hook_timeout_ms)
		sw->hook_timeout_ms = h->timeout_ms;
}

/* Swaps back, runs the hooks again, checks the old tree's health. */
static void rollback(struct switchover *sw, const char *failed)
{
	enum cancel_guard guard = cancel_guard_enter(CANCEL_GUARD_ROLLBACK);
	bool cancelled = sw->err.status == UP_ERR_CANCELLED;
	fill_hooks(sw);
	end_batching(sw);
	struct up_error ierr = UP_ERROR_INIT;
	if (sw->intent) /* best effort: roll back anyway; recovery would too */
		intent_set_phase(sw->s, sw->job, INTENT_ROLLING_BACK, &ierr);
	err_clear(&ierr);
	step_point(sw, "rollback", "begin");
	struct install_result *r = sw->r;
	r->failed_step = xstrdup(failed);
	char *cause = xstrdup(sw->err.msg ? sw->err.msg : "failed");
	char *evidence = r->evidence ? xstrdup(r->evidence) : NULL;
	int64_t id = 0;
	struct up_error jerr = UP_ERROR_INIT;
	store_job_step_begin(sw->s, sw->job, "rollback", &id, &jerr); /* best effort: roll back anyway */
	err_clear(&jerr);
	lock_note(sw, "rollback");
	switchover_journal(sw, "error", "%s failed: %s; rolling back", failed, cause);
	bool ok = true;
	char *pre = xasprintf("rollback:%s", sw->pre_name), *post = xasprintf("rollback:%s", sw->post_name);
	bool was_swapped = sw->swapped;
	sw->pre_end_us = 0;
	if (sw->swapped) {
		run_hook(sw, sw->pre_hook, pre, true);
		sw->pre_end_us = now_us();
		if (swap_back(sw) < 0) {
			ok = false;
			switchover_journal(sw, "error", "rollback: swapping back failed: %s", sw->err.msg);
			broken_advice(sw, _("Swapping back to the old release failed"));
		} else {
			switchover_journal(sw, "info", "rollback: %s is the old release again", sw->live);
			step_point(sw, "rollback", "swapped-back");
		}
	}
	/* the new tree ran (or its data was replaced): the data goes back too */
	if (ok && was_swapped && sw->data_back && sw->data_back(sw, sw->data_ctx, true) < 0) {
		ok = false;
		broken_advice(sw, _("Restoring the data of the old release failed"));
	}
	long long post_start = now_us();
	int post_rc = ok ? run_hook(sw, sw->post_hook, post, true) : 0;
	if (ok)
		journal_downtime(sw, post_start, true);
	if (ok && post_rc < 0) {
		ok = false;
		broken_advice(sw, _("The post_install hook failed for the old release"));
	}
	if (ok && sw->live_existed && do_health(sw, true) < 0) {
		ok = false;
		broken_advice(sw, _("The old release is unhealthy too"));
	}
	if (ok && !sw->swapped && staging_is_spare(sw))
		switchover_remove_quietly(sw, sw->staging, _("removing the new tree"));
	step_point(sw, "rollback", "end");
	r->outcome = !ok ? INSTALL_BROKEN : cancelled ? INSTALL_CANCELLED_BACK : INSTALL_ROLLED_BACK;
	free(r->evidence);
	r->evidence = cancelled ? NULL : evidence;
	if (cancelled)
		free(evidence);
	if (ok && cancelled)
		err_set(&sw->err, UP_ERR_CANCELLED, _("%s: %s cancelled at %s; rolled back to %s"),
			sw->t->name, sw->action, failed, sw->from ? sw->from : _("nothing installed"));
	else if (ok)
		err_set(&sw->err, UP_ERR_MISMATCH, _("%s: %s failed at %s (%s); rolled back to %s"),
			sw->t->name, sw->action, failed, cause,
			sw->from ? sw->from : _("nothing installed"));
	else
		err_set(&sw->err, UP_ERR_MISMATCH,
			_("%s: %s failed at %s (%s) AND THE ROLLBACK FAILED: %s"), sw->t->name,
			sw->action, failed, cause, r->advice);
	struct up_error e = UP_ERROR_INIT;
	if (id)
		store_job_step_end(sw->s, id, ok, ok ? NULL : sw->err.msg, &e);
	err_clear(&e);
	free(cause);
	free(pre);
	free(post);
	cancel_guard_leave(guard);
}

void switchover_rollback(struct switchover *sw, const char *failed)
{
	rollback(sw, failed);
}

int switchover_run(struct switchover *sw)
{
	fill_hooks(sw);
	const struct {
		const char *name;
		switchover_step_fn fn;
	} steps[] = {
		{ sw->pre_name, step_pre_install },
		{ "preserve", do_preserve },
		{ "swap", do_swap },
		{ "data", sw->data_forward ? step_data : NULL },
		{ sw->post_name, step_post_install },
		{ "health", step_health },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		if (!steps[i].fn)
			continue;
		int rc = switchover_step(sw, steps[i].name, steps[i].fn, NULL);
		if (rc == 0)
			continue;
		if (rc == -2 && i == 0) { /* cancelled before the pre hook: nothing touched */
			if (staging_is_spare(sw))
				switchover_remove_quietly(sw, sw->staging, _("removing the new tree"));
			switchover_cancelled(sw, steps[i].name);
			return -1;
		}
		rollback(sw, steps[i].name);
		return -1;
	}
	/* the commit point: from here a cancel is too late */
	sw->healthy = true;
	cancel_guard_enter(CANCEL_GUARD_FINISH);
	return end_batching(sw);
}
