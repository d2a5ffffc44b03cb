/* recover.c - finishing or undoing jobs whose process died (recover.h). */
#include "config.h"

#include "recover.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_index.h"
#include "crashpoint.h"
#include "install.h"
#include "intent.h"
#include "jobsnap.h"
#include "lockfile.h"
#include "preflight.h"
#include "stage.h"
#include "store.h"
#include "swap.h"
#include "switchover.h"
#include "upkeep.h"
#include "util.h"

const char *recover_action_name(enum recover_action a)
{
	static const char *const names[] = {
		[RECOVER_MARKED] = "marked", [RECOVER_ROLLED_BACK] = "rolled back",
		[RECOVER_ROLLED_FORWARD] = "rolled forward", [RECOVER_UNHEALTHY] = "unhealthy",
		[RECOVER_INCONSISTENT] = "inconsistent",
	};
	return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "unknown";
}

void recover_result_clear(struct recover_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct recover_item *it = &r->items[i];
		free(it->kind);
		free(it->target);
		free(it->phase);
		free(it->from);
		free(it->to);
		free(it->summary);
		free(it->advice);
	}
	free(r->items);
	strvec_clear(&r->removed);
	*r = (struct recover_result){ 0 };
}

int recover_exit_code(const struct recover_result *r)
{
	int code = EXIT_OK;
	for (size_t i = 0; i < r->n; i++) {
		if (r->items[i].action == RECOVER_INCONSISTENT)
			return EXIT_RECOVER_INCONSISTENT;
		if (r->items[i].action == RECOVER_UNHEALTHY)
			code = EXIT_RECOVER_UNHEALTHY;
	}
	return code;
}

/* ---- finding interrupted jobs ---- */

struct job_ref {
	int64_t id;
	char *kind, *target;
	long pid;
};

static int running_jobs(struct store *s, struct job_ref **out, size_t *n, struct up_error *err)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	int rc = sqlite3_prepare_v2(db, "SELECT id, kind, target, pid FROM jobs"
				    " WHERE state = 'running' ORDER BY id", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		const unsigned char *target = sqlite3_column_text(st, 2);
		(*out)[(*n)++] = (struct job_ref){
			.id = sqlite3_column_int64(st, 0),
			.kind = xstrdup((const char *)sqlite3_column_text(st, 1)),
			.target = target ? xstrdup((const char *)target) : NULL,
			.pid = (long)sqlite3_column_int64(st, 3),
		};
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return err_set(err, UP_ERR_STATE, "reading the running jobs: %s", sqlite3_errmsg(db));
	return 0;
}

static bool still_running(struct store *s, int64_t job)
{
	sqlite3_stmt *st = NULL;
	bool running = false;
	if (sqlite3_prepare_v2(store_db(s), "SELECT state FROM jobs WHERE id = ?", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, job);
		running = sqlite3_step(st) == SQLITE_ROW &&
			  strcmp((const char *)sqlite3_column_text(st, 0), "running") == 0;
	}
	sqlite3_finalize(st);
	return running;
}

/* A process with that PID exists (maybe another one reusing it: then the
 * job waits for a later recovery). */
static bool pid_alive(long pid)
{
	return pid > 0 && pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* ---- one job ---- */

struct ctx {
	const struct config *cfg;
	struct store *s;
	struct recover_result *r;
	int lock_fd;
	const struct job_ref *ref;
	struct recover_item *it;
	const struct target_cfg *t;
	struct target_cfg stub;  /* a target no longer configured: no hooks, no health */
	const struct intent *in; /* the job's intent, while acting on it */
};

static struct recover_item *new_item(struct recover_result *r, const struct job_ref *ref)
{
	r->items = xrealloc(r->items, (r->n + 1) * sizeof(*r->items));
	struct recover_item *it = &r->items[r->n++];
	*it = (struct recover_item){ .job = ref->id, .kind = xstrdup(ref->kind),
				     .target = ref->target ? xstrdup(ref->target) : NULL };
	return it;
}

static void summary(struct recover_item *it, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void summary(struct recover_item *it, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(it->summary);
	it->summary = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Records the outcome: the interrupted job is "recovered" (or "failed" when
 * nothing could be done), and a recover job says what was done. */
static void record(struct ctx *c)
{
	struct recover_item *it = c->it;
	struct store *s = c->s;
	struct up_error e = UP_ERROR_INIT;
	bool failed = it->action == RECOVER_INCONSISTENT;
	char *text = xasprintf("%s%s%s", it->summary, it->advice ? ": " : "",
			       it->advice ? it->advice : "");
	if (store_job_create(s, "recover", it->target, &it->recover_job, &e) == 0 &&
	    store_job_set_state(s, it->recover_job, JOB_RUNNING, NULL, &e) == 0) {
		char *line = xasprintf("job %lld (%s): %s", (long long)it->job, it->kind, text);
		store_job_event(s, it->recover_job, failed ? "error" : "info", line, &e);
		free(line);
		bool bad = failed || it->action == RECOVER_UNHEALTHY;
		store_job_set_state(s, it->recover_job, bad ? JOB_FAILED : JOB_OK, bad ? text : NULL, &e);
	}
	err_clear(&e);
	char *line = xasprintf("interrupted; recover job %lld: %s", (long long)it->recover_job, text);
	store_job_event(s, it->job, failed ? "error" : "warning", line, &e);
	err_clear(&e);
	store_job_set_state(s, it->job, failed ? JOB_FAILED : JOB_RECOVERED, line, &e);
	err_clear(&e);
	if (it->target && it->action != RECOVER_MARKED) {
		char *outcome = xasprintf("recovered: %s", recover_action_name(it->action));
		store_target_record_outcome(s, it->target, failed ? "recovery failed" : outcome, &e);
		err_clear(&e);
		free(outcome);
	}
	free(line);
	free(text);
}

/* Which tree the path names (SIDE_SOME: some of the single paths were
 * exchanged, not all). */
enum side { SIDE_OLD, SIDE_NEW, SIDE_NEITHER, SIDE_SOME };

/* INTENT_PATH: whether one pair was exchanged (1), not (0), or the live
 * path is neither side (-1, *seen says what it is). */
static int pair_swapped(const struct intent_pair *p, char **seen)
{
	struct up_error e = UP_ERROR_INIT;
	struct intent_id id;
	int rc = -1;
	if (intent_id_of(p->live, &id, &e) < 0)
		*seen = xstrdup(e.msg);
	else if (intent_id_equal(&id, &p->staged_id))
		rc = 1;
	else if (p->existed ? intent_id_equal(&id, &p->live_id) : id.ino == 0)
		rc = 0;
	else
		*seen = xasprintf("%s is %s", p->live, id.ino ? "another file (inode changed)"
							    : "missing");
	err_clear(&e);
	return rc;
}

static enum side pairs_side(const struct intent *in, char **seen)
{
	if (!in->n_pairs) { /* an older upkeep's intent */
		*seen = xasprintf("single paths of %s were being exchanged (which ones is not "
				  "recorded; the other side of each is under %s)", in->path, in->staging);
		return SIDE_NEITHER;
	}
	size_t swapped = 0;
	for (size_t i = 0; i < in->n_pairs; i++) {
		int rc = pair_swapped(&in->pairs[i], seen);
		if (rc < 0)
			return SIDE_NEITHER;
		swapped += (size_t)rc;
	}
	return swapped == in->n_pairs ? SIDE_NEW : swapped ? SIDE_SOME : SIDE_OLD;
}

static enum side which_side(const struct intent *in, char **seen)
{
	*seen = NULL;
	if (in->phase < INTENT_SWAPPING)
		return SIDE_OLD; /* the swap never began */
	if (in->mode == INTENT_PATH)
		return pairs_side(in, seen);
	struct up_error e = UP_ERROR_INIT;
	enum side side = SIDE_NEITHER;
	if (in->mode == INTENT_RELEASES) {
		char *link = NULL;
		if (swap_link_read(in->path, &link, &e) < 0)
			*seen = xstrdup(e.msg);
		else if (link && in->new_link && strcmp(link, in->new_link) == 0)
			side = SIDE_NEW;
		else if (link ? in->old_link && strcmp(link, in->old_link) == 0 : !in->old_link)
			side = SIDE_OLD;
		else
			*seen = xasprintf("%s points at %s", in->path, link ? link : "nothing");
		free(link);
	} else {
		struct intent_id id;
		if (intent_id_of(in->path, &id, &e) < 0)
			*seen = xstrdup(e.msg);
		else if (intent_id_equal(&id, &in->new_id))
			side = SIDE_NEW;
		else if (in->live_existed ? intent_id_equal(&id, &in->old_id) : id.ino == 0)
			side = SIDE_OLD;
		else
			*seen = xasprintf("%s is %s", in->path, id.ino ? "another tree (inode changed)"
								  : "missing");
	}
	err_clear(&e);
	return side;
}

/* The staged tree may go: in the releases layout it may be the release
 * the link pointed at before. */
static bool staging_is_spare(const struct intent *in)
{
	const char *o = in->old_link ? strrchr(in->old_link, '/') : NULL;
	const char *n = in->new_link ? strrchr(in->new_link, '/') : NULL;
	return in->mode != INTENT_RELEASES || !o || !n || strcmp(o, n) != 0;
}

/* Removes a tree durably; a missing one is fine. */
static int remove_durably(const char *dir, struct up_error *err)
{
	struct stat st;
	if (lstat(dir, &st) < 0 && errno == ENOENT)
		return 0;
	char *parent = swap_parent_dir(dir);
	int rc = stage_remove_tree(dir, err);
	if (rc == 0)
		rc = stage_fsync_dir(parent, err);
	free(parent);
	return rc;
}

/* The releases layout's temporary link, PARENT/.upkeep-link-PID. */
static void remove_temp_link(const struct intent *in, long pid)
{
	if (in->mode != INTENT_RELEASES || pid <= 0)
		return;
	char *parent = swap_parent_dir(in->path);
	char *tmp = xasprintf("%s/.upkeep-link-%ld", parent, pid);
	struct stat st;
	if (lstat(tmp, &st) == 0 && S_ISLNK(st.st_mode))
		unlink(tmp);
	free(tmp);
	free(parent);
}

static void inconsistent(struct ctx *c, const struct intent *in, const char *seen)
{
	struct recover_item *it = c->it;
	it->action = RECOVER_INCONSISTENT;
	summary(it, "not recovered: interrupted at phase %s, and %s", intent_phase_name(in->phase),
		seen ? seen : "the path holds neither tree");
	it->advice = xasprintf(
		"nothing was touched. %s should hold %s (%s) or %s (%s, staged at %s). Put the right "
		"tree in place by hand, record its version with `upkeep --batch adopt %s VERSION`, "
		"and remove the other",
		in->path, in->from ? in->from : "nothing", "the old release", in->to ? in->to : "?",
		"the new one", in->staging, in->target);
}

/* Before the pre hook: only the staging tree exists. */
static void drop_staging(struct ctx *c, const struct intent *in)
{
	struct up_error e = UP_ERROR_INIT;
	if (staging_is_spare(in) && remove_durably(in->staging, &e) < 0) {
		c->it->action = RECOVER_INCONSISTENT;
		summary(c->it, "removing the staging tree failed: %s", e.msg);
		c->it->advice = xasprintf("remove %s by hand", in->staging);
	} else {
		c->it->action = RECOVER_ROLLED_BACK;
		summary(c->it, "interrupted at phase %s, before anything was switched: the target is "
			"untouched (%s); the staging tree is removed", intent_phase_name(in->phase),
			in->from ? in->from : "nothing installed");
	}
	err_clear(&e);
}

/* The rollback's data step: the dumps of the snapshot the job took, out of
 * the archive (the job's scratch copy may not have survived a power cut). */
static int data_back(struct switchover *sw, void *ctx, bool back)
{
	struct ctx *c = ctx;
	const struct intent *in = c->in;
	if (c->t == &c->stub) {
		switchover_journal(sw, "warning", "rollback:data: %s is no longer configured: its data "
				   "restores are unknown; snapshot %lld holds the dumps", in->target,
				   (long long)in->data_snapshot);
		return 0;
	}
	char *dir = archive_dir_for(c->cfg->state_dir);
	struct archive_index *idx = NULL;
	struct jobsnap js = { 0 };
	char *dumps = NULL;
	int rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &idx, &sw->err);
	if (rc == 0)
		rc = jobsnap_scratch(&js, c->cfg->state_dir, "recover", in->job, &sw->err);
	if (rc == 0)
		rc = jobsnap_extract_dumps(idx, in->data_snapshot, js.scratch, NULL, &dumps,
					   &sw->err);
	archive_index_close(&idx);
	free(dir);
	if (rc == 0 && !dumps)
		switchover_journal(sw, "warning", "rollback:data: snapshot %lld holds no data dumps",
				   (long long)in->data_snapshot);
	js.dumps = dumps;
	if (rc == 0)
		rc = jobsnap_data_restore(sw, &js, back);
	else
		switchover_journal(sw, "error", "rollback:data: %s", sw->err.msg);
	jobsnap_clear(&js);
	return rc;
}

/* INTENT_PATH: the pairs, each marked as the process left it. */
static void add_pairs(struct switchover *sw, const struct intent *in)
{
	for (size_t i = 0; i < in->n_pairs; i++) {
		const struct intent_pair *p = &in->pairs[i];
		char *seen = NULL;
		switchover_add_path(sw, p->live, p->staged, p->existed);
		sw->paths[i].swapped = pair_swapped(p, &seen) == 1;
		free(seen);
	}
}

/* From the pre hook on: the rollback of a failed step, with the hooks. */
static void roll_back(struct ctx *c, const struct intent *in, bool swapped)
{
	static const enum switchover_mode modes[] = {
		[INTENT_PLAIN] = SWITCH_PLAIN, [INTENT_RELEASES] = SWITCH_RELEASES,
		[INTENT_PATH] = SWITCH_PATH,
	};
	struct install_result ir = { 0 };
	char *action = xasprintf("job %lld (%s %s)", (long long)in->job, in->kind,
				 in->to ? in->to : "");
	struct switchover sw = {
		.t = c->t, .s = c->s, .job = in->job, .lock_fd = c->lock_fd, .kind = in->kind,
		.action = action, .from = in->from, .to = in->to,
		.snapshot_reason = strcmp(in->kind, "restore") == 0 ? "pre-restore" : "pre-update",
		.mode = modes[in->mode], .live = xstrdup(in->path), .staging = xstrdup(in->staging),
		.releases = in->releases ? xstrdup(in->releases) : NULL,
		.old_link = in->old_link ? xstrdup(in->old_link) : NULL,
		.new_link = in->new_link ? xstrdup(in->new_link) : NULL,
		.live_existed = in->live_existed, .r = &ir, .swapped = swapped,
	};
	if (in->mode == INTENT_PATH)
		add_pairs(&sw, in);
	if (in->data_snapshot) {
		sw.data_back = data_back;
		sw.data_ctx = c;
	}
	char *phase = xasprintf("phase %s", intent_phase_name(in->phase));
	err_set(&sw.err, UP_ERR_CANCELLED, "the process died");
	switchover_rollback(&sw, phase);
	struct recover_item *it = c->it;
	const char *old = in->from ? in->from : "nothing installed";
	if (sw.swapped) {
		it->action = RECOVER_INCONSISTENT;
		summary(it, "interrupted at %s; swapping back to %s failed", phase, old);
		it->advice = xstrdup(ir.advice ? ir.advice : sw.err.msg);
	} else if (ir.outcome == INSTALL_BROKEN) {
		it->action = RECOVER_UNHEALTHY;
		summary(it, "interrupted at %s (before %s was proved healthy): rolled back to %s, "
			"which is unhealthy or whose hook failed", phase, in->to ? in->to : "?", old);
		it->advice = xstrdup(ir.advice ? ir.advice : sw.err.msg);
	} else {
		it->action = RECOVER_ROLLED_BACK;
		summary(it, "interrupted at %s (before %s was proved healthy): rolled back to %s%s",
			phase, in->to ? in->to : "?", old,
			swapped ? ", the swap undone" : ", nothing had been swapped");
	}
	free(phase);
	switchover_clear(&sw);
	install_result_clear(&ir);
	free(action);
}

/* After the health check passed: what the finish step does. */
static void roll_forward(struct ctx *c, const struct intent *in)
{
	struct up_error e = UP_ERROR_INIT;
	int rc = 0;
	if (in->record_version && in->to) {
		rc = store_target_set_installed(c->s, in->target, in->to, in->to_tag, in->to_commit, &e);
		struct target_state ts = { 0 };
		if (rc == 0)
			rc = store_target_get(c->s, in->target, &ts, &e) < 0 ? -1 : 0;
		if (rc == 0 && c->t != &c->stub && ts.highest_version &&
		    preflight_compare_versions(c->t, in->to, ts.highest_version) == 1)
			rc = store_target_set_highest(c->s, in->target, in->to, &e);
		store_target_state_free(&ts);
	}
	if (rc == 0 && in->mode != INTENT_RELEASES && in->live_existed)
		rc = remove_durably(in->staging, &e); /* the old tree, after the swap */
	if (rc == 0 && in->mode == INTENT_RELEASES) {
		const char *protect[] = { switchover_base_name(in->new_link),
					  switchover_base_name(in->old_link) };
		rc = swap_prune_releases(in->releases, in->keep_releases, protect, 2, &e);
	}
	struct recover_item *it = c->it;
	if (rc < 0) {
		it->action = RECOVER_INCONSISTENT;
		summary(it, "interrupted after %s was proved healthy; finishing failed: %s",
			in->to ? in->to : "?", e.msg);
		it->advice = xasprintf("%s holds %s; fix the cause and run `upkeep --batch recover` "
				       "again", in->path, in->to ? in->to : "the new release");
	} else {
		it->action = RECOVER_ROLLED_FORWARD;
		summary(it, "interrupted at phase %s, after %s was proved healthy: rolled forward, %s "
			"is installed", intent_phase_name(in->phase), in->to ? in->to : "?",
			in->to ? in->to : "the new release");
	}
	err_clear(&e);
}

/* The rule (recover.h): roll forward only from the commit point on. */
static void act(struct ctx *c, const struct intent *in)
{
	c->it->phase = xstrdup(intent_phase_name(in->phase));
	c->it->from = in->from ? xstrdup(in->from) : NULL;
	c->it->to = in->to ? xstrdup(in->to) : NULL;
	c->in = in;
	remove_temp_link(in, c->ref->pid);
	char *seen = NULL;
	enum side side = which_side(in, &seen);
	bool committed = in->phase == INTENT_HEALTHY || in->phase == INTENT_DONE;
	if (side == SIDE_NEITHER || (committed && side != SIDE_NEW))
		inconsistent(c, in, seen);
	else if (committed)
		roll_forward(c, in);
	else if (in->phase < INTENT_HOOKS)
		drop_staging(c, in);
	else
		roll_back(c, in, side == SIDE_NEW || side == SIDE_SOME);
	free(seen);
}

static void lock_note(int fd, int64_t job)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char *note = xasprintf("recovering job %lld, host %s", (long long)job, host);
	lockfile_note(fd, note);
	free(note);
}

/* A job that may have changed a target: under the target's lock. */
static void recover_target_job(struct ctx *c)
{
	const struct job_ref *ref = c->ref;
	struct up_error e = UP_ERROR_INIT;
	if (install_lock_target(c->cfg->state_dir, ref->target, &c->lock_fd, &e) < 0) {
		if (e.status == UP_ERR_STATE_LOCKED)
			c->r->alive++; /* its process holds the lock: it is running */
		err_clear(&e);
		return;
	}
	struct intent in;
	int has = still_running(c->s, ref->id) ? intent_get(c->s, ref->id, &in, &e) : -2;
	if (has == 0 && pid_alive(ref->pid))
		has = -2; /* not a lock holder (restore --to DIR): alive */
	if (has == -2) {
		if (still_running(c->s, ref->id))
			c->r->alive++;
	} else {
		lock_note(c->lock_fd, ref->id);
		c->it = new_item(c->r, ref);
		c->t = config_find_target(c->cfg, ref->target);
		if (!c->t) {
			c->stub = (struct target_cfg){ .name = ref->target,
						       .path = has == 1 ? in.path : NULL };
			c->t = &c->stub;
		}
		crashpoint("recover.before-undo");
		if (has < 0) {
			c->it->action = RECOVER_INCONSISTENT;
			summary(c->it, "its intent cannot be read: %s", e.msg);
			c->it->advice = xstrdup("check the state database with a newer upkeep");
		} else if (has == 0) {
			c->it->action = RECOVER_MARKED;
			summary(c->it, "interrupted before it changed anything: nothing to undo");
		} else {
			act(c, &in);
		}
		crashpoint("recover.after-undo");
		record(c);
		crashpoint("recover.after-record");
	}
	if (has == 1)
		intent_clear(&in);
	err_clear(&e);
	lockfile_release(c->lock_fd);
	close(c->lock_fd);
	c->lock_fd = -1;
}

/* A job without a target lock: dead when its process is. */
static void recover_other_job(struct ctx *c)
{
	if (pid_alive(c->ref->pid)) {
		c->r->alive++;
		return;
	}
	c->it = new_item(c->r, c->ref);
	c->it->action = RECOVER_MARKED;
	summary(c->it, "its process (PID %ld) is gone; nothing to undo%s", c->ref->pid,
		strcmp(c->ref->kind, "backup") == 0 || strcmp(c->ref->kind, "prune") == 0 ?
		" (the archive's unreferenced data is removed by the next backup or prune)" : "");
	record(c);
}

static bool switches_trees(const struct job_ref *ref)
{
	return ref->target && (strcmp(ref->kind, "install") == 0 || strcmp(ref->kind, "restore") == 0);
}

/* ---- scratch directories ---- */

/* The job of a scratch directory's name, KIND-JOB (0 for another name). */
static int64_t scratch_job(const char *name)
{
	const char *dash = strrchr(name, '-');
	if (!dash || dash == name || !dash[1])
		return 0;
	for (const char *p = name; p < dash; p++)
		if (!(*p >= 'a' && *p <= 'z') && *p != '_')
			return 0;
	char *end;
	errno = 0;
	long long id = strtoll(dash + 1, &end, 10);
	return *end || errno || id <= 0 ? 0 : (int64_t)id;
}

/* Removes STATE_DIR/tmp/KIND-JOB of every job not running (any more). */
static void remove_dead_scratch(const char *state_dir, struct store *s, struct recover_result *r)
{
	char *tmp = xasprintf("%s/tmp", state_dir);
	DIR *d = opendir(tmp);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int64_t job = scratch_job(de->d_name);
		if (!job || still_running(s, job))
			continue;
		char *path = xasprintf("%s/%s", tmp, de->d_name);
		struct up_error e = UP_ERROR_INIT;
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && stage_remove_tree(path, &e) == 0)
			strvec_push_owned(&r->removed, path);
		else
			free(path); /* gone meanwhile (its job closed), or not removable: left */
		err_clear(&e);
	}
	if (d)
		closedir(d);
	free(tmp);
}

int recover_run(const struct config *cfg, struct recover_result *r, struct up_error *err)
{
	*r = (struct recover_result){ 0 };
	char *db = xasprintf("%s/state.db", cfg->state_dir);
	struct stat st;
	bool exists = stat(db, &st) == 0;
	free(db);
	if (!exists)
		return 0;
	struct store *s = NULL;
	struct job_ref *refs = NULL;
	size_t n = 0;
	if (store_open(cfg->state_dir, UPKEEP_LOCK_TIMEOUT_MS, &s, err) < 0 ||
	    running_jobs(s, &refs, &n, err) < 0) {
		store_close(&s);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct ctx c = { .cfg = cfg, .s = s, .r = r, .lock_fd = -1, .ref = &refs[i] };
		if (switches_trees(&refs[i]))
			recover_target_job(&c);
		else
			recover_other_job(&c);
		free(refs[i].kind);
		free(refs[i].target);
	}
	free(refs);
	remove_dead_scratch(cfg->state_dir, s, r);
	store_close(&s);
	return 0;
}
