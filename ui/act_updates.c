/* act_updates.c - the Updates pane's actions: release details (tag
 * message, signer, date, commits since the installed release, the plan of
 * an install) and installing through the worker after a confirmation that
 * shows the plan and any local changes it would overwrite. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "browse.h"
#include "draw.h"
#include "handlers.h"
#include "i18n.h"
#include "jobs.h"
#include "overlay.h"
#include "tagverify.h"
#include "ui.h"
#include "words.h"

/* What an install job needs from the confirmation. */
struct install_ask {
	char *target, *version;
	bool force_drift;
};

static void install_ask_free(void *p)
{
	struct install_ask *a = p;
	free(a->target);
	free(a->version);
	free(a);
}

/* The release of a row that details and install are about: the newest the
 * channel offers, or NULL. */
static const struct release *row_release(const struct target_row *row)
{
	if (!row || !row->result || !row->result->ok)
		return NULL;
	long i = check_newest_offered(row->result);
	return i >= 0 ? &row->result->releases[i] : NULL;
}

/* A job of any kind on this target that has not finished. */
bool ui_target_busy(const struct ui *ui, const char *target)
{
	for (size_t i = 0; i < ui->model.n_jobs; i++) {
		const struct job_view *j = ui->model.jobs[i];
		if (j->phase != JOB_PHASE_DONE && j->target && strcmp(j->target, target) == 0 &&
		    j->kind && strcmp(j->kind, "plan") != 0 && strcmp(j->kind, "diff") != 0)
			return true;
	}
	return false;
}

bool can_details(const struct ui *ui)
{
	return ui_selected_target(ui) != NULL;
}

bool can_install(const struct ui *ui)
{
	const struct target_row *row = ui_selected_target(ui);
	if (ui->overlay && (ui->overlay->purpose != OV_RELEASE || !ui->overlay->target))
		return false;
	if (ui->overlay)
		row = &ui->model.rows[model_find_row(&ui->model, ui->overlay->target)];
	return ui->worker && row_release(row) && !ui_target_busy(ui, row->cfg->name);
}

static const char *size_text(long long b, char *buf, size_t len)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* The plan's lines, shared by the details and the confirmation. */
static void plan_lines(struct overlay *ov, const struct plan_view *p)
{
	char a[32], b[32];
	char *from = draw_escape(p->from ? p->from : _("nothing"));
	char *to = draw_escape(p->version);
	overlay_add(ov, ROLE_HEADER, _("Install plan: %s -> %s"), from, to);
	free(from);
	free(to);
	if (p->same) {
		overlay_add(ov, ROLE_OK, "  %s", _("This release is already installed: nothing to do."));
		return;
	}
	if (p->downgrade)
		overlay_add(ov, ROLE_ERROR, "  %s", _("This is a downgrade."));
	overlay_add(ov, ROLE_NORMAL, _("  Disk needed: %s for the staged release (%zu entries); free: %s"),
		    size_text(p->bytes, a, sizeof a), p->entries,
		    p->free_bytes >= 0 ? size_text(p->free_bytes, b, sizeof b) : _("unknown"));
	for (size_t i = 0; i < p->steps.n; i++)
		overlay_add_untrusted(ov, ROLE_NORMAL, 2, p->steps.items[i]);
	for (size_t i = 0; i < p->notes.n; i++)
		overlay_add_untrusted(ov, ROLE_DIM, 2, p->notes.items[i]);
	if (p->drift.n) {
		overlay_add(ov, ROLE_ERROR, _("  Changed locally since the installed release (%zu), overwritten by an install:"),
			    p->drift.n);
		for (size_t i = 0; i < p->drift.n; i++)
			overlay_add_untrusted(ov, ROLE_ERROR, 4, p->drift.items[i]);
	}
	if (p->refusal && !p->drift_only) {
		overlay_add(ov, ROLE_ERROR, "  %s", _("Preflight refuses this install:"));
		overlay_add_untrusted(ov, ROLE_ERROR, 4, p->refusal);
	}
}

static void release_lines(struct overlay *ov, const struct target_row *row,
			  const struct release *rel)
{
	char date[32];
	char *v;
	overlay_add(ov, ROLE_NORMAL, _("Kind: [%c] %s%s%s%s"), classify_kind_letter(rel->kind),
		    words_release_kind(rel->kind), rel->flags & FLAG_SECURITY ? _(", security") : "",
		    rel->flags & FLAG_HOTFIX ? _(", hotfix") : "", rel->in_channel ? "" : _(" (not in channel)"));
	overlay_add(ov, ROLE_NORMAL, _("Date: %s"), rel->date ? draw_date(rel->date, date, sizeof date) : "-");
	v = draw_escape(rel->tagger ? rel->tagger : _("(lightweight tag: no tagger)"));
	overlay_add(ov, ROLE_NORMAL, _("Tagger: %s"), v);
	free(v);
	if (rel->verified) {
		/* the verdict text holds escaped untrusted parts (signer, detail) */
		char *trust = tagverify_describe_text(&rel->trust);
		enum tag_verdict vd = rel->trust.verdict;
		int role = vd == VERDICT_SIGNED ? ROLE_OK
			   : vd == VERDICT_UNSIGNED || vd == VERDICT_NOT_CHECKED ? ROLE_DIM : ROLE_ERROR;
		/* L10N: the signature verdict (upkeep(1), TRUST). */
		overlay_add(ov, role, _("Signature: %s"), trust);
		free(trust);
	} else {
		overlay_add(ov, ROLE_DIM, "%s", _("Signature: not checked (the tag was not fetched)"));
	}
	if (rel->moved)
		/* L10N: the tag points at another object than when first seen. */
		overlay_add(ov, ROLE_ERROR, _("Tag moved: first seen at %s, now %s"), rel->first_object,
			    rel->object);
	overlay_add(ov, ROLE_NORMAL, "%s", "");
	if (rel->message) {
		overlay_add(ov, ROLE_HEADER, "%s", _("Tag message:"));
		overlay_add_untrusted(ov, ROLE_NORMAL, 2, rel->message);
	} else {
		overlay_add(ov, ROLE_DIM, "%s", _("No tag message (lightweight tag)."));
	}
	overlay_add(ov, ROLE_NORMAL, "%s", "");
	v = draw_escape(row->installed ? row->installed : _("nothing"));
	overlay_add(ov, ROLE_HEADER, _("Commits since %s: %zu"), v, rel->n_commits);
	free(v);
	for (size_t i = 0; i < rel->subjects.n; i++)
		overlay_add_untrusted(ov, ROLE_NORMAL, 2, rel->subjects.items[i]);
	if (rel->n_commits > rel->subjects.n)
		overlay_add(ov, ROLE_DIM, _("  ... and %zu more"), rel->n_commits - rel->subjects.n);
	overlay_add(ov, ROLE_NORMAL, "%s", "");
}

/* Starts the plan job whose result fills ov; 0 when it could not. */
static int64_t start_plan(struct ui *ui, const char *target, const char *version)
{
	struct up_error err = UP_ERROR_INIT;
	int64_t id = jobs_submit_plan(ui->quick, target, version, &err);
	if (id < 0) {
		ui_error(ui, _("Cannot plan the install"), &err);
		return 0;
	}
	char *label = xasprintf(_("plan %s"), target);
	model_task_add(&ui->model, id, "plan", target, label);
	free(label);
	ui->dirty |= DIRTY_TABS;
	return id;
}

enum act_result run_details(struct ui *ui, int key)
{
	const struct target_row *row = ui_selected_target(ui);
	const struct release *rel = row_release(row);
	char *name = draw_escape(row->cfg->name);
	char *ver = rel ? draw_escape(rel->tag) : NULL;
	char *title = rel ? xasprintf(_("%s: release %s"), name, ver) : xasprintf("%s", name);
	struct overlay *ov = overlay_new(OVERLAY_VIEW, OV_RELEASE, title);
	ov->target = xstrdup(row->cfg->name);
	free(title);
	free(name);
	free(ver);
	if (!rel) {
		overlay_add(ov, ROLE_NORMAL, "%s", row->result && row->result->ok
			    ? _("Nothing newer in the channel: the installed release is the newest.")
			    : _("No check result in this session yet: press c to check."));
	} else {
		release_lines(ov, row, rel);
		ov->wait_job = start_plan(ui, row->cfg->name, rel->version.text);
		overlay_add(ov, ROLE_DIM, "%s", ov->wait_job ? _("Install plan: working it out...")
						       : _("Install plan: not available"));
	}
	ui_overlay_open(ui, ov);
	return ACT_HANDLED;
}

enum act_result run_install(struct ui *ui, int key)
{
	const struct target_row *row = ui_selected_target(ui);
	if (ui->overlay && ui->overlay->target)
		row = &ui->model.rows[model_find_row(&ui->model, ui->overlay->target)];
	const struct release *rel = row_release(row);
	char *name = draw_escape(row->cfg->name);
	char *ver = draw_escape(rel->version.text);
	char *title = xasprintf(_("Install %s %s?"), name, ver);
	struct overlay *ov = overlay_new(OVERLAY_ASK, OV_INSTALL, title);
	free(title);
	free(name);
	free(ver);
	ov->target = xstrdup(row->cfg->name);
	struct install_ask *a = xcalloc(1, sizeof(*a));
	a->target = xstrdup(row->cfg->name);
	a->version = xstrdup(rel->version.text);
	ov->ctx = a;
	ov->ctx_free = install_ask_free;
	ov->wait_job = start_plan(ui, row->cfg->name, rel->version.text);
	overlay_add(ov, ROLE_DIM, "%s", _("Working out the plan (preflight: fetch, refusals, local changes)..."));
	overlay_set_prompt(ov, 0, ov->wait_job ? NULL : _("The plan is not available. Esc closes."));
	ui_overlay_open(ui, ov);
	return ACT_HANDLED;
}

static void do_install(struct ui *ui, void *ctx)
{
	struct install_ask *a = ctx;
	struct up_error err = UP_ERROR_INIT;
	int64_t id = jobs_submit_install(ui->worker, a->target, a->version,
					 a->force_drift ? JOBS_FORCE_DRIFT : 0, &err);
	if (id < 0) {
		ui_error(ui, _("Cannot install"), &err);
		return;
	}
	char *label = xasprintf(_("install %s %s"), a->target, a->version);
	model_task_add(&ui->model, id, "install", a->target, label);
	free(label);
	ui_switch_pane(ui, PANE_PROGRESS);
	ui->ps[PANE_PROGRESS].sel = 0;
	char *t = draw_escape(a->target);
	ui_message(ui, false, _("Installing %s; Progress shows its steps"), t);
	free(t);
}

/* The plan arrived for the install question: ask, with the drift spelled out. */
static void ask_fill(struct ui *ui, struct overlay *ov, const struct plan_view *p)
{
	struct install_ask *a = ov->ctx;
	overlay_clear_lines(ov);
	plan_lines(ov, p);
	ov->on_yes = do_install;
	if (p->same) {
		overlay_set_prompt(ov, 0, _("Nothing to install. Esc closes."));
	} else if (p->refusal && !p->drift_only) {
		overlay_set_prompt(ov, 0, _("Refused by preflight. Esc closes."));
	} else if (p->drift_only) {
		a->force_drift = true;
		/* L10N: the console's --force-drift: the key f is fixed. */
		overlay_set_prompt(ov, 'f', _("f: install anyway and overwrite these local changes (the pre-update snapshot keeps them)   Esc/n: cancel"));
	} else {
		overlay_set_prompt(ov, 'y', _("y: install   Esc/n: cancel"));
	}
	ui->dirty |= DIRTY_OVERLAY;
}

void ui_job_result(struct ui *ui, struct job_view *j)
{
	struct overlay *ov = ui->overlay;
	if (j->kind && strcmp(j->kind, "diff") == 0) {
		if (ov && ov->purpose == OV_RESTORE && ov->wait_job == j->id)
			restore_ask_fill(ui, j);
		else
			browse_diff_result_job(ui, j);
		return;
	}
	if (!ov || ov->wait_job != j->id || !j->payload || strcmp(j->kind, "plan") != 0)
		return;
	const struct plan_view *p = j->payload;
	if (ov->purpose == OV_INSTALL) {
		ask_fill(ui, ov, p);
	} else if (ov->purpose == OV_RELEASE) {
		/* Replace the "working it out" line with the plan. */
		if (ov->lines.n) {
			free(ov->lines.items[--ov->lines.n]);
		}
		plan_lines(ov, p);
		ui->dirty |= DIRTY_OVERLAY;
	}
	ov->wait_job = 0;
}

void ui_job_finished(struct ui *ui, struct job_view *j)
{
	struct overlay *ov = ui->overlay;
	/* A comparison that failed before it had a result (the archive index
	 * could not be opened): whoever waits for it must hear so, or it
	 * would say "comparing..." for ever. */
	if (j->kind && strcmp(j->kind, "diff") == 0 && !j->payload) {
		if (ov && ov->purpose == OV_RESTORE && ov->wait_job == j->id)
			restore_ask_fill(ui, j);
		else
			browse_diff_result(ui, j->id, NULL,
					   j->error ? j->error : _("the comparison with the live tree failed"));
		return;
	}
	if (!ov || ov->wait_job != j->id)
		return;
	ov->wait_job = 0;
	if (ov->lines.n)
		free(ov->lines.items[--ov->lines.n]);
	overlay_add(ov, ROLE_ERROR, "%s", _("The plan could not be worked out:"));
	overlay_add_untrusted(ov, ROLE_ERROR, 2, j->error ? j->error : _("unknown error"));
	if (ov->kind == OVERLAY_ASK)
		overlay_set_prompt(ov, 0, _("Esc closes."));
	ui->dirty |= DIRTY_OVERLAY;
}

bool can_yes(const struct ui *ui)
{
	return ui->overlay && ui->overlay->kind == OVERLAY_ASK && ui->overlay->yes_key;
}

enum act_result run_yes(struct ui *ui, int key)
{
	struct overlay *ov = ui->overlay;
	if (key != ov->yes_key) {
		ui_message(ui, true, _("Press %c to answer yes to this question"), ov->yes_key);
		return ACT_HANDLED;
	}
	void (*fn)(struct ui *, void *) = ov->on_yes;
	void *ctx = ov->ctx;
	void (*ctx_free)(void *) = ov->ctx_free;
	ov->ctx = NULL;
	ui_overlay_close(ui);
	if (fn)
		fn(ui, ctx);
	if (ctx && ctx_free)
		ctx_free(ctx);
	return ACT_HANDLED;
}

enum act_result run_box_close(struct ui *ui, int key)
{
	ui_overlay_close(ui);
	return ACT_HANDLED;
}
