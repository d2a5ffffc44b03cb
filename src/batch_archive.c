/* batch_archive.c - `upkeep --batch backup|snapshots|restore|verify|files|
 * pin|unpin|forget|prune|diff|export|repair`. Backup, restore, verify,
 * forget, prune and repair are recorded as jobs in the state database. */
#include "config.h"

#include "batch_archive.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_backup.h"
#include "archive_diff.h"
#include "archive_export.h"
#include "archive_index.h"
#include "archive_prune.h"
#include "archive_repair.h"
#include "archive_restore.h"
#include "archive_snap.h"
#include "archive_tree.h"
#include "archive_verify.h"
#include "batch.h"
#include "batch_restore.h"
#include "cancel.h"
#include "escape.h"
#include "i18n.h"
#include "jobsnap.h"
#include "log.h"
#include "store.h"
#include "upkeep.h"
#include "util.h"

/* A command's state: the state database with its job, the archive index. */
struct session {
	struct store *store;
	int64_t job;
	const char *kind, *target;   /* of the job, for the log */
	struct archive_index *idx;
	struct up_error err;
};

static int fail(struct session *s, const char *what)
{
	fprintf(stderr, "upkeep: %s%s%s\n", what ? what : "", what ? ": " : "",
		s->err.msg ? s->err.msg : _("unknown error"));
	/* Damaged data is a failed job here, not adopt's "tree differs". */
	return s->err.status == UP_ERR_MISMATCH ? EXIT_FAILED : err_exit_code(s->err.status);
}

/* Opens the state database (and a job of `kind` when kind is given), then
 * the archive index. */
static int session_open(struct session *s, const struct config *cfg, const char *kind,
			const char *target)
{
	memset(s, 0, sizeof(*s));
	if (kind) {
		if (store_open(cfg->state_dir, UPKEEP_LOCK_TIMEOUT_MS, &s->store, &s->err) < 0 ||
		    store_job_create(s->store, kind, target, &s->job, &s->err) < 0 ||
		    store_job_set_state(s->store, s->job, JOB_RUNNING, NULL, &s->err) < 0)
			return -1;
		s->kind = kind;
		s->target = target;
		log_job(s->job, LOG_LVL_INFO, "%s%s%s: started", target ? target : "", target ? ": " : "",
			kind);
	}
	char *dir = archive_dir_for(cfg->state_dir);
	int rc = archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &s->idx, &s->err);
	free(dir);
	if (rc == 0)
		archive_index_set_cancel(s->idx, cancel_flag());
	return rc;
}

/* Ends the job (failed with the session's error when rc < 0), closes all. */
static void session_close(struct session *s, int rc)
{
	if (s->store && s->job) {
		struct up_error e = UP_ERROR_INIT;
		bool cancelled = rc < 0 && s->err.status == UP_ERR_CANCELLED;
		store_job_set_state(s->store, s->job, cancelled ? JOB_CANCELLED : rc < 0 ? JOB_FAILED : JOB_OK,
				    rc < 0 ? s->err.msg : NULL, &e);
		err_clear(&e);
		char *why = rc < 0 ? escape_text(s->err.msg ? s->err.msg : "?", (size_t)-1, 0, 0) : NULL;
		log_job(s->job, rc < 0 ? LOG_LVL_ERROR : LOG_LVL_INFO, "%s%s%s: %s%s",
			s->target ? s->target : "", s->target ? ": " : "", s->kind ? s->kind : "job",
			rc < 0 ? "failed: " : "done", why ? why : "");
		free(why);
	}
	archive_index_close(&s->idx);
	store_close(&s->store);
	err_clear(&s->err);
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static json_object *jstr(const char *s)
{
	if (!s)
		return NULL;
	char *safe = escape_text(s, (size_t)-1, 0, 0);
	json_object *o = json_object_new_string(safe);
	free(safe);
	return o;
}

static void add_int(json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static const char *human_size(long long b, char *buf, size_t len)
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

static const struct target_cfg *find_target(const struct config *cfg, const char *name)
{
	const struct target_cfg *t = config_find_target(cfg, name);
	if (!t) {
		char *safe = escape_text(name, (size_t)-1, 64, 0);
		fprintf(stderr, _("upkeep: no target named \"%s\" in %s\n"), safe, cfg->file);
		free(safe);
	}
	return t;
}

/* ---- backup */

static void print_backup(const struct backup_opts *bo, const struct backup_result *r,
			 const struct batch_options *o)
{
	for (size_t i = 0; i < r->warnings.n; i++)
		fprintf(stderr, _("upkeep: warning: %s\n"), r->warnings.items[i]);
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "target", jstr(bo->target));
		add_int(j, "snapshot", r->id);
		json_object_object_add(j, "version", jstr(bo->version));
		json_object_object_add(j, "reason", jstr(bo->reason));
		add_int(j, "time", r->time);
		add_int(j, "files", r->files);
		add_int(j, "dirs", r->dirs);
		add_int(j, "bytes", r->bytes);
		add_int(j, "new_bytes", r->new_bytes);
		add_int(j, "files_read", r->files_read);
		add_int(j, "duration_ms", r->duration_ms);
		add_int(j, "garbage_removed", r->garbage_removed);
		/* Skipped or changed files do not fail the job: they make it
		 * "completed with warnings" (upkeep(1), backup). */
		json_object_object_add(j, "status", json_object_new_string(
			r->warnings.n ? "completed with warnings" : "completed"));
		json_object *w = json_object_new_array();
		for (size_t i = 0; i < r->warnings.n; i++)
			json_object_array_add(w, json_object_new_string(r->warnings.items[i]));
		json_object_object_add(j, "warnings", w);
		print_json(j);
	} else if (!o->quiet) {
		char a[32], b[32];
		printf(_("%s: snapshot %lld: %lld files, %s, %s new, %lld files read, %.1f s%s\n"),
		       bo->target, (long long)r->id, r->files, human_size(r->bytes, a, sizeof(a)),
		       human_size(r->new_bytes, b, sizeof(b)), r->files_read, (double)r->duration_ms / 1000,
		       r->warnings.n ? _(" (with warnings)") : "");
	}
}

struct progress {
	const char *target;
	long long t0;
	bool shown;
};

/* On a terminal: files, bytes and rate so far, on one line of stderr. */
static void backup_progress(void *ctx, const struct backup_result *r)
{
	struct progress *p = ctx;
	double secs = (double)(util_monotonic_ms() - p->t0) / 1000;
	char a[32], b[32];
	fputs("\r\033[K", stderr);
	fprintf(stderr, _("backup %s: %lld files, %s, %lld read, %s/s"), p->target, r->files,
		human_size(r->bytes, a, sizeof(a)), r->files_read,
		human_size(secs > 0 ? (long long)((double)r->bytes / secs) : 0, b, sizeof(b)));
	p->shown = true;
}

/* "12 MiB of 80 MiB, 5.0 MiB/s, ETA 0:14"; no ETA in the first second or
 * without a total. */
static void progress_bytes(long long done, long long total, long long t0, char *buf, size_t len)
{
	double secs = (double)(util_monotonic_ms() - t0) / 1000;
	double rate = secs > 0 ? (double)done / secs : 0;
	char a[32], b[32], c[32];
	human_size(done, a, sizeof(a));
	human_size((long long)rate, c, sizeof(c));
	if (total > 0 && done <= total && rate > 0 && secs >= 1) {
		long long eta = (long long)((double)(total - done) / rate + 0.5);
		snprintf(buf, len, _("%s of %s, %s/s, ETA %lld:%02lld"), a, human_size(total, b, sizeof(b)), c,
			 eta / 60, eta % 60);
	} else if (total > 0) {
		snprintf(buf, len, _("%s of %s, %s/s"), a, human_size(total, b, sizeof(b)), c);
	} else {
		snprintf(buf, len, _("%s, %s/s"), a, c);
	}
}

/* A backup's data dumps go to its job's journal. */
static void dump_note(void *ctx, const char *level, const char *text)
{
	struct session *s = ctx;
	store_job_event(s->store, s->job, level, text, NULL);
}

int batch_cmd_backup(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	if (argc != 2) {
		fputs(_("usage: upkeep --batch backup TARGET [--note TEXT]\n"), stderr);
		return EXIT_USAGE;
	}
	const struct target_cfg *t = find_target(cfg, argv[1]);
	if (!t)
		return EXIT_USAGE;
	struct session s;
	if (session_open(&s, cfg, "backup", t->name) < 0) {
		int code = fail(&s, "backup");
		session_close(&s, -1);
		return code;
	}
	struct target_state ts = { 0 };
	store_target_get(s.store, t->name, &ts, NULL);
	struct backup_opts bo = { .target = t->name, .path = t->path, .version = ts.installed_version,
				  .reason = "manual", .note = o->note, .level = t->backup.compression,
				  .cancel = cancel_flag() };
	struct progress prog = { t->name, util_monotonic_ms(), false };
	if (!o->quiet && isatty(STDERR_FILENO)) {
		bo.progress = backup_progress;
		bo.progress_ctx = &prog;
	}
	struct backup_result r = { 0 };
	struct jobsnap js = { 0 };
	int rc = jobsnap_backup_dumps(&js, cfg->state_dir, t, "backup", s.job, &bo, dump_note, &s,
				      &s.err);
	if (rc == 0)
		rc = archive_backup(s.idx, &bo, &r, &s.err);
	jobsnap_clear(&js);
	if (prog.shown)
		fputs("\r\033[K", stderr);
	int code = rc < 0 ? fail(&s, "backup") : EXIT_OK;
	if (code == EXIT_CANCELLED)
		batch_say_cancelled(_("the backup of %s stored no snapshot; the archive is as it was"),
				    t->name);
	if (rc == 0) {
		print_backup(&bo, &r, o);
		for (size_t i = 0; i < r.warnings.n; i++)
			store_job_event(s.store, s.job, "warning", r.warnings.items[i], NULL);
	}
	backup_result_clear(&r);
	store_target_state_free(&ts);
	session_close(&s, rc);
	return code;
}

/* ---- snapshots */

static void local_minute(long long t, const char *fmt, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (localtime_r(&tt, &tm))
		strftime(buf, size, fmt, &tm);
}

/* The last verification (null fields: never verified). */
static void add_verified_json(json_object *j, const struct snapshot_info *si)
{
	bool done = si->verified_at > 0;
	json_object_object_add(j, "verified_at", done ? json_object_new_int64(si->verified_at) : NULL);
	json_object_object_add(j, "verified_data", done ? json_object_new_boolean(si->verified_data) : NULL);
	json_object_object_add(j, "verify_ok", done ? json_object_new_boolean(!si->verify_error) : NULL);
	json_object_object_add(j, "verify_error", jstr(si->verify_error));
}

/* "2026-12-06 05:20 data ok", "... index FAILED", "-" when never. */
static void verified_text(const struct snapshot_info *si, char *buf, size_t size)
{
	char when[32] = "-";
	if (si->verified_at <= 0) {
		snprintf(buf, size, "-");
		return;
	}
	local_minute(si->verified_at, "%Y-%m-%d %H:%M", when, sizeof(when));
	/* L10N: how a snapshot was last verified: chunk data read back ("data")
	 * or only the index and archive files' presence ("index"); one word each */
	snprintf(buf, size, "%s %s %s", when, si->verified_data ? _("data") : _("index"),
		 si->verify_error ? _("FAILED") : _("ok"));
}

static void print_snapshot(const struct snapshot_info *si, const struct batch_options *o)
{
	if (o->json) {
		json_object *j = json_object_new_object();
		add_int(j, "snapshot", si->id);
		json_object_object_add(j, "target", jstr(si->target));
		json_object_object_add(j, "version", jstr(si->version));
		json_object_object_add(j, "reason", jstr(si->reason));
		json_object_object_add(j, "note", jstr(si->note));
		add_int(j, "time", si->time);
		add_int(j, "files", si->files);
		add_int(j, "bytes", si->bytes);
		add_int(j, "new_bytes", si->new_bytes);
		add_int(j, "files_read", si->files_read);
		add_int(j, "duration_ms", si->duration_ms);
		json_object_object_add(j, "pinned", json_object_new_boolean(si->pinned));
		add_verified_json(j, si);
		print_json(j);
		return;
	}
	char when[32] = "-", verified[96], a[32], b[32];
	local_minute(si->time, "%Y-%m-%d %H:%M:%S", when, sizeof(when));
	verified_text(si, verified, sizeof(verified));
	char *version = escape_text(si->version ? si->version : "-", (size_t)-1, 14, 0);
	char *note = escape_text(si->note ? si->note : "", (size_t)-1, 40, 0);
	printf("%-6lld %-19s %-14s %-11s %8lld %10s %10s %-24s %-3s %s\n", (long long)si->id, when,
	       version, si->reason, si->files, human_size(si->bytes, a, sizeof(a)),
	       human_size(si->new_bytes, b, sizeof(b)), verified, si->pinned ? _("yes") : "", note);
	free(version);
	free(note);
}

int batch_cmd_snapshots(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	if (argc != 2) {
		fputs(_("usage: upkeep --batch snapshots TARGET\n"), stderr);
		return EXIT_USAGE;
	}
	const struct target_cfg *t = find_target(cfg, argv[1]);
	if (!t)
		return EXIT_USAGE;
	struct session s;
	struct snapshot_info *v = NULL;
	size_t n = 0;
	int rc = session_open(&s, cfg, NULL, NULL);
	if (rc == 0)
		rc = archive_snapshots_list(s.idx, t->name, &v, &n, &s.err);
	int code = rc < 0 ? fail(&s, "snapshots") : EXIT_OK;
	if (rc == 0 && !o->json)
		printf("%-6s %-19s %-14s %-11s %8s %10s %10s %-24s %-3s %s\n", _("ID"), _("TIME"),
		       _("VERSION"), _("REASON"), _("FILES"), _("SIZE"), _("NEW"), _("VERIFIED"), _("PIN"),
		       _("NOTE"));
	for (size_t i = 0; i < n; i++)
		print_snapshot(&v[i], o);
	snapshot_infos_free(&v, n);
	session_close(&s, rc);
	return code;
}

/* ---- restore */

static int bad_snapshot_id(const char *arg)
{
	char *safe = escape_text(arg, (size_t)-1, 40, 0);
	fprintf(stderr, _("upkeep: \"%s\" is not a snapshot id (a positive number)\n"), safe);
	free(safe);
	return EXIT_USAGE;
}

/* The snapshot must exist and belong to target. */
static int check_owner(struct session *s, int64_t id, const char *target)
{
	struct snapshot_info si;
	if (archive_snapshot_get(s->idx, id, &si, &s->err) < 0)
		return -1;
	int rc = 0;
	if (strcmp(si.target, target) != 0)
		rc = err_set(&s->err, UP_ERR_NOT_FOUND, _("snapshot %lld belongs to target %s, not %s"),
			     (long long)id, si.target, target);
	snapshot_info_clear(&si);
	return rc;
}

/* On a terminal: files and bytes so far (of the totals), rate, ETA. */
static void restore_progress(void *ctx, const struct restore_result *r, long long total_files,
			     long long total_bytes)
{
	struct progress *p = ctx;
	char bytes[128];
	progress_bytes(r->bytes, total_bytes, p->t0, bytes, sizeof(bytes));
	fputs("\r\033[K", stderr);
	if (total_files > 0)
		fprintf(stderr, _("restore %s: %lld of %lld files, %s"), p->target, r->files,
			total_files, bytes);
	else
		fprintf(stderr, _("restore %s: %lld files, %s"), p->target, r->files, bytes);
	p->shown = true;
}

int batch_cmd_restore(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	int64_t id;
	if (!o->to)
		return batch_cmd_restore_in_place(cfg, argc, argv, o);
	if (argc < 3 || o->n_paths || o->keep_preserved) {
		fputs(_("usage: upkeep --batch restore TARGET SNAPSHOT --to DIR [PATH]... [--force]\n"), stderr);
		return EXIT_USAGE;
	}
	if (!archive_snapshot_parse_id(argv[2], &id))
		return bad_snapshot_id(argv[2]);
	const struct target_cfg *t = find_target(cfg, argv[1]);
	if (!t)
		return EXIT_USAGE;
	struct session s;
	struct restore_result r;
	struct restore_opts ro = { .snapshot = id, .dest = o->to, .force = o->force,
				   .paths = (const char *const *)argv + 3, .n_paths = (size_t)argc - 3,
				   .cancel = cancel_flag() };
	struct progress prog = { t->name, util_monotonic_ms(), false };
	if (!o->quiet && isatty(STDERR_FILENO)) {
		ro.progress = restore_progress;
		ro.progress_ctx = &prog;
	}
	int rc = session_open(&s, cfg, "restore", t->name);
	if (rc == 0)
		rc = check_owner(&s, id, t->name);
	if (rc == 0)
		rc = archive_restore(s.idx, &ro, &r, &s.err);
	if (prog.shown)
		fputs("\r\033[K", stderr);
	int code = rc < 0 ? fail(&s, "restore") : EXIT_OK;
	if (code == EXIT_CANCELLED)
		batch_say_cancelled(_("%s holds a partial copy of snapshot %lld; remove it or restore "
				      "again with --force"), o->to, (long long)id);
	if (rc == 0 && o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "target", jstr(t->name));
		add_int(j, "snapshot", id);
		json_object_object_add(j, "to", jstr(o->to));
		add_int(j, "files", r.files);
		add_int(j, "dirs", r.dirs);
		add_int(j, "symlinks", r.symlinks);
		add_int(j, "bytes", r.bytes);
		print_json(j);
	} else if (rc == 0 && !o->quiet) {
		char *to = escape_text(o->to, (size_t)-1, 0, 0);
		printf(_("%s: snapshot %lld restored into %s: %lld files, %lld directories, %lld symlinks\n"),
		       t->name, (long long)id, to, r.files, r.dirs, r.symlinks);
		free(to);
	}
	session_close(&s, rc);
	return code;
}

/* ---- verify */

static void print_verify(const struct verify_result *r, const struct batch_options *o)
{
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "ok", json_object_new_boolean(r->n_problems == 0));
		add_int(j, "snapshots", r->snapshots);
		add_int(j, "packs", r->packs);
		add_int(j, "blocks_read", r->blocks_read);
		add_int(j, "chunks_checked", r->chunks_checked);
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < r->n_problems; i++) {
			json_object *p = json_object_new_object();
			if (r->problems[i].snapshot)
				add_int(p, "snapshot", r->problems[i].snapshot);
			json_object_object_add(p, "path", jstr(r->problems[i].path));
			json_object_object_add(p, "error", jstr(r->problems[i].what));
			json_object_array_add(a, p);
		}
		json_object_object_add(j, "problems", a);
		print_json(j);
		return;
	}
	for (size_t i = 0; i < r->n_problems; i++) {
		char *what = escape_text(r->problems[i].what, (size_t)-1, 0, 0);
		if (r->problems[i].snapshot && r->problems[i].path)
			printf(_("snapshot %lld: %s: %s\n"), (long long)r->problems[i].snapshot,
			       r->problems[i].path, what);
		else if (r->problems[i].snapshot)
			printf(_("snapshot %lld: %s\n"), (long long)r->problems[i].snapshot, what);
		else
			printf("%s\n", what);
		free(what);
	}
	if (!o->quiet)
		printf(_("verified %lld snapshots in %lld archive files (%lld chunks re-hashed): %s\n"),
		       r->snapshots, r->packs, r->chunks_checked,
		       r->n_problems ? _("DAMAGED") : _("ok"));
}

/* On a terminal: archive files and bytes checked (of the totals), rate, ETA. */
static void verify_progress(void *ctx, const struct verify_result *r)
{
	struct progress *p = ctx;
	char bytes[128];
	progress_bytes(r->bytes, r->total_bytes, p->t0, bytes, sizeof(bytes));
	fputs("\r\033[K", stderr);
	fprintf(stderr, _("verify: %lld of %lld archive files, %s"), r->packs, r->total_packs, bytes);
	p->shown = true;
}

int batch_cmd_verify(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	struct verify_opts vo = { .read_data = o->read_data, .record = true, .cancel = cancel_flag() };
	if (argc > 2 || (argc == 2 && o->all) || (argc == 1 && !o->all)) {
		fputs(_("usage: upkeep --batch verify (SNAPSHOT | --all) [--read-data]\n"), stderr);
		return EXIT_USAGE;
	}
	if (argc == 2 && !archive_snapshot_parse_id(argv[1], &vo.snapshot))
		return bad_snapshot_id(argv[1]);
	struct session s;
	struct verify_result r = { 0 };
	struct progress prog = { "", util_monotonic_ms(), false };
	if (!o->quiet && isatty(STDERR_FILENO)) {
		vo.progress = verify_progress;
		vo.progress_ctx = &prog;
	}
	int rc = session_open(&s, cfg, "verify", NULL);
	if (rc == 0)
		rc = archive_verify(s.idx, &vo, &r, &s.err);
	if (prog.shown)
		fputs("\r\033[K", stderr);
	int code = rc < 0 ? fail(&s, "verify") : r.n_problems ? EXIT_FAILED : EXIT_OK;
	if (code == EXIT_CANCELLED)
		batch_say_cancelled(_("the verification stopped before its end; nothing was changed"));
	if (rc == 0) {
		print_verify(&r, o);
		if (r.n_problems)
			rc = err_set(&s.err, UP_ERR_MISMATCH, _("%zu problems found"), r.n_problems);
	}
	verify_result_clear(&r);
	session_close(&s, rc);
	return code;
}

/* ---- files */

static void print_entry(const struct archive_entry *e, const struct batch_options *o)
{
	char *name = escape_text(e->name, e->name_len, 0, 0);
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "name", json_object_new_string(name));
		json_object_object_add(j, "type", json_object_new_string(archive_type_name(e->type)));
		add_int(j, "mode", e->mode);
		add_int(j, "uid", e->uid);
		add_int(j, "gid", e->gid);
		add_int(j, "mtime", e->mtime_ns / 1000000000);
		add_int(j, "mtime_ns", e->mtime_ns);
		add_int(j, "size", (long long)e->size);
		json_object_object_add(j, "link", e->link ? jstr(e->link) : NULL);
		print_json(j);
	} else {
		char *link = e->link ? escape_text(e->link, e->link_len, 0, 0) : NULL;
		printf("%-7s %04o %12llu %s%s%s\n", archive_type_name(e->type), (unsigned)e->mode,
		       (unsigned long long)e->size, name, link ? " -> " : "", link ? link : "");
		free(link);
	}
	free(name);
}

int batch_cmd_files(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	int64_t id;
	if (argc < 2 || argc > 3) {
		fputs(_("usage: upkeep --batch files SNAPSHOT [PATH]\n"), stderr);
		return EXIT_USAGE;
	}
	if (!archive_snapshot_parse_id(argv[1], &id))
		return bad_snapshot_id(argv[1]);
	struct session s;
	struct snapshot_info si = { 0 };
	struct archive_entry e = { 0 };
	int rc = session_open(&s, cfg, NULL, NULL);
	if (rc == 0)
		rc = archive_snapshot_get(s.idx, id, &si, &s.err);
	if (rc == 0) {
		int found = archive_tree_lookup(archive_index_db(s.idx), si.root, argc == 3 ? argv[2] : "",
						&e, &s.err);
		if (found == 0)
			rc = err_set(&s.err, UP_ERR_NOT_FOUND, _("%s: not in snapshot %lld"), argv[2],
				     (long long)id);
		rc = found < 0 ? -1 : rc;
	}
	if (rc == 0 && e.type == ARCHIVE_DIR) {
		struct archive_entry *v;
		size_t n;
		rc = archive_tree_load(archive_index_db(s.idx), e.subtree, &v, &n, &s.err);
		for (size_t i = 0; rc == 0 && i < n; i++)
			print_entry(&v[i], o);
		if (rc == 0)
			archive_entries_free(&v, n);
	} else if (rc == 0) {
		print_entry(&e, o);
	}
	int code = rc < 0 ? fail(&s, "files") : EXIT_OK;
	archive_entry_release(&e);
	snapshot_info_clear(&si);
	session_close(&s, rc);
	return code;
}

/* ---- pin, unpin */

static int set_pin(const struct config *cfg, int argc, char **argv, const struct batch_options *o,
		   bool pinned)
{
	int64_t id;
	if (argc != 2) {
		fprintf(stderr, _("usage: upkeep --batch %s SNAPSHOT\n"), pinned ? "pin" : "unpin");
		return EXIT_USAGE;
	}
	if (!archive_snapshot_parse_id(argv[1], &id))
		return bad_snapshot_id(argv[1]);
	struct session s;
	int rc = session_open(&s, cfg, NULL, NULL);
	if (rc == 0)
		rc = archive_snapshot_set_pinned(s.idx, id, pinned, &s.err);
	int code = rc < 0 ? fail(&s, pinned ? "pin" : "unpin") : EXIT_OK;
	if (rc == 0 && o->json) {
		json_object *j = json_object_new_object();
		add_int(j, "snapshot", id);
		json_object_object_add(j, "pinned", json_object_new_boolean(pinned));
		print_json(j);
	} else if (rc == 0 && !o->quiet) {
		printf(pinned ? _("snapshot %lld pinned\n") : _("snapshot %lld unpinned\n"), (long long)id);
	}
	session_close(&s, rc);
	return code;
}

int batch_cmd_pin(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	return set_pin(cfg, argc, argv, o, true);
}

int batch_cmd_unpin(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	return set_pin(cfg, argc, argv, o, false);
}

/* ---- forget, prune */

static void print_prune_result(const struct prune_result *r, bool dry_run,
			       const struct batch_options *o)
{
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "dry_run", json_object_new_boolean(dry_run));
		add_int(j, "snapshots_removed", r->snapshots);
		add_int(j, "trees_removed", r->trees);
		add_int(j, "chunks_removed", r->chunks);
		add_int(j, "packs_removed", r->packs);
		add_int(j, "bytes_freed", r->pack_bytes);
		add_int(j, "garbage_removed", r->garbage_removed);
		add_int(j, "packs_repacked", r->repack.packs);
		add_int(j, "repack_bytes_before", r->repack.bytes_before);
		add_int(j, "repack_bytes_after", r->repack.bytes_after);
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < r->repack.skipped.n; i++)
			json_object_array_add(a, jstr(r->repack.skipped.items[i]));
		json_object_object_add(j, "repack_skipped", a);
		print_json(j);
	} else if (!o->quiet) {
		char a[32], b[32], c[32];
		printf(dry_run ? _("would remove %lld snapshots, %lld chunks and %lld archive files (%s)\n")
			       : _("removed %lld snapshots, %lld chunks and %lld archive files (%s freed)\n"),
		       r->snapshots, r->chunks, r->packs, human_size(r->pack_bytes, a, sizeof(a)));
		if (r->repack.packs)
			printf(dry_run ? _("would rewrite %lld mostly unused archive files (%s)\n")
				       : _("rewrote %lld mostly unused archive files: %s -> %s\n"),
			       r->repack.packs, human_size(r->repack.bytes_before, b, sizeof(b)),
			       human_size(r->repack.bytes_after, c, sizeof(c)));
	}
	for (size_t i = 0; i < r->repack.skipped.n; i++) {
		char *msg = escape_text(r->repack.skipped.items[i], (size_t)-1, 0, 0);
		fprintf(stderr, _("upkeep: warning: not rewritten: %s\n"), msg);
		free(msg);
	}
}

int batch_cmd_forget(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	int64_t id;
	if (argc != 2) {
		fputs(_("usage: upkeep --batch forget SNAPSHOT --yes\n"), stderr);
		return EXIT_USAGE;
	}
	if (!archive_snapshot_parse_id(argv[1], &id))
		return bad_snapshot_id(argv[1]);
	struct session s;
	struct snapshot_info si = { 0 };
	int rc = session_open(&s, cfg, o->yes ? "forget" : NULL, NULL);
	if (rc == 0)
		rc = archive_snapshot_get(s.idx, id, &si, &s.err);
	if (rc == 0 && si.pinned)
		rc = err_set(&s.err, UP_ERR_USAGE, _("snapshot %lld is pinned; unpin it first"),
			     (long long)id);
	int code = rc < 0 ? fail(&s, "forget") : EXIT_OK;
	if (rc == 0 && !o->yes) {
		char a[32];
		fprintf(stderr, _("upkeep: forget would delete snapshot %lld of %s (%lld files, %s);"
				  " run again with --yes to delete it\n"), (long long)id, si.target, si.files,
			human_size(si.bytes, a, sizeof(a)));
		code = EXIT_USAGE;
	} else if (rc == 0) {
		struct prune_result r;
		rc = archive_prune(s.idx, &id, 1, false, &r, &s.err);
		code = rc < 0 ? fail(&s, "forget") : EXIT_OK;
		if (rc == 0)
			print_prune_result(&r, false, o);
		prune_result_clear(&r);
	}
	snapshot_info_clear(&si);
	session_close(&s, rc);
	return code;
}

static void print_decision(const struct snapshot_info *si, unsigned keep, bool dry_run,
			   const struct batch_options *o)
{
	struct strbuf why = STRBUF_INIT;
	archive_keep_reasons(keep, &why);
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "target", jstr(si->target));
		add_int(j, "snapshot", si->id);
		add_int(j, "time", si->time);
		json_object_object_add(j, "keep", json_object_new_boolean(keep != 0));
		json_object_object_add(j, "reasons", json_object_new_string(why.buf ? why.buf : ""));
		print_json(j);
	} else if (!o->quiet) {
		char when[32] = "-";
		time_t tt = (time_t)si->time;
		struct tm tm;
		if (localtime_r(&tt, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%s %-6lld %s %s%s%s\n", keep ? _("keep  ") : dry_run ? _("would remove") : _("remove"),
		       (long long)si->id, when, si->target, keep ? "  " : "", keep ? why.buf : "");
	}
	strbuf_release(&why);
}

/* Applies the target's retention; the ids to remove are appended to *ids. */
static int prune_target(struct session *s, const struct target_cfg *t, bool dry_run,
			int64_t **ids, size_t *n_ids, const struct batch_options *o)
{
	struct snapshot_info *v = NULL;
	size_t n = 0;
	if (archive_snapshots_list(s->idx, t->name, &v, &n, &s->err) < 0)
		return -1;
	struct target_state ts = { 0 };
	if (s->store)
		store_target_get(s->store, t->name, &ts, NULL);
	unsigned *keep = xcalloc(n + 1, sizeof(*keep));
	archive_retention_apply(v, n, &t->retention, archive_rollback_snapshot(v, n, ts.installed_at),
				keep);
	for (size_t i = 0; i < n; i++) {
		print_decision(&v[i], keep[i], dry_run, o);
		if (!keep[i]) {
			*ids = xrealloc(*ids, (*n_ids + 1) * sizeof(**ids));
			(*ids)[(*n_ids)++] = v[i].id;
		}
	}
	free(keep);
	store_target_state_free(&ts);
	snapshot_infos_free(&v, n);
	return 0;
}

/* Whether the archive index exists (a dry run must not create it). */
static bool archive_exists(const struct config *cfg)
{
	char *dir = archive_dir_for(cfg->state_dir), *db = xasprintf("%s/index.db", dir);
	bool yes = access(db, F_OK) == 0;
	free(db);
	free(dir);
	return yes;
}

int batch_cmd_prune(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	if (argc > 2) {
		fputs(_("usage: upkeep --batch prune [TARGET] [--dry-run]\n"), stderr);
		return EXIT_USAGE;
	}
	const struct target_cfg *only = NULL;
	if (argc == 2 && !(only = find_target(cfg, argv[1])))
		return EXIT_USAGE;
	if (o->dry_run && !archive_exists(cfg)) { /* nothing backed up: create nothing */
		struct prune_result none = { 0 };
		print_prune_result(&none, true, o);
		return EXIT_OK;
	}
	struct session s;
	int rc = session_open(&s, cfg, o->dry_run ? NULL : "prune", only ? only->name : NULL);
	if (rc == 0 && !s.store) /* a dry run: a private copy, nothing written */
		rc = store_open_copy(cfg->state_dir, UPKEEP_LOCK_TIMEOUT_MS, &s.store, &s.err);
	int64_t *ids = NULL;
	size_t n_ids = 0;
	for (size_t i = 0; rc == 0 && i < cfg->n_targets; i++)
		if (!only || only == &cfg->targets[i])
			rc = prune_target(&s, &cfg->targets[i], o->dry_run, &ids, &n_ids, o);
	struct prune_result r;
	if (rc == 0)
		rc = archive_prune(s.idx, ids, n_ids, o->dry_run, &r, &s.err);
	int code = rc < 0 ? fail(&s, "prune") : EXIT_OK;
	if (code == EXIT_CANCELLED)
		batch_say_cancelled(_("no snapshot was removed; the archive is as it was"));
	if (rc == 0) {
		print_prune_result(&r, o->dry_run, o);
		if (r.repack.cancelled) {
			batch_say_cancelled(_("the snapshots above were removed; rewriting archive files "
					      "stopped between two files; the archive is consistent"));
			rc = err_set(&s.err, UP_ERR_CANCELLED, _("repacking cancelled"));
			code = EXIT_CANCELLED;
		}
		prune_result_clear(&r);
	}
	free(ids);
	session_close(&s, rc);
	return code;
}

/* ---- diff */

struct diff_out {
	const struct batch_options *o;
	long long added, removed, changed, delta;
};

static void print_diff_item(void *ctx, const struct diff_item *it)
{
	struct diff_out *d = ctx;
	static const char *const names[] = { "added", "removed", "changed" };
	d->added += it->change == DIFF_ADDED;
	d->removed += it->change == DIFF_REMOVED;
	d->changed += it->change == DIFF_CHANGED;
	d->delta += it->size_delta;
	char *path = escape_text(it->path, (size_t)-1, 0, 0);
	if (d->o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "change", json_object_new_string(names[it->change]));
		json_object_object_add(j, "path", json_object_new_string(path));
		json_object_object_add(j, "type", json_object_new_string(archive_type_name(it->type)));
		add_int(j, "size_delta", it->size_delta);
		json_object_object_add(j, "what", it->what ? json_object_new_string(it->what) : NULL);
		print_json(j);
	} else {
		printf("%c %+12lld %s%s%s%s\n", "+-M"[it->change], it->size_delta, path,
		       it->type == ARCHIVE_DIR ? "/" : "", it->what ? "  " : "", it->what ? it->what : "");
	}
	free(path);
}

int batch_cmd_diff(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	int64_t a, b = 0;
	if (argc != (o->current ? 2 : 3)) {
		fputs(_("usage: upkeep --batch diff SNAPSHOT (SNAPSHOT | --current)\n"), stderr);
		return EXIT_USAGE;
	}
	if (!archive_snapshot_parse_id(argv[1], &a))
		return bad_snapshot_id(argv[1]);
	if (!o->current && !archive_snapshot_parse_id(argv[2], &b))
		return bad_snapshot_id(argv[2]);
	struct session s;
	struct snapshot_info sa = { 0 }, sb = { 0 };
	struct diff_out d = { .o = o };
	const struct target_cfg *t = NULL;
	int rc = session_open(&s, cfg, NULL, NULL);
	if (rc == 0)
		rc = archive_snapshot_get(s.idx, a, &sa, &s.err);
	if (rc == 0 && !o->current)
		rc = archive_snapshot_get(s.idx, b, &sb, &s.err);
	if (rc == 0 && o->current && !(t = config_find_target(cfg, sa.target)))
		rc = err_set(&s.err, UP_ERR_NOT_FOUND, _("snapshot %lld: target %s is not configured"),
			     (long long)a, sa.target);
	if (rc == 0)
		rc = o->current ? archive_diff_live(archive_index_db(s.idx), sa.root, t->path,
						    print_diff_item, &d, &s.err)
				: archive_diff_trees(archive_index_db(s.idx), sa.root, sb.root,
						     print_diff_item, &d, &s.err);
	int code = rc < 0 ? fail(&s, "diff") : EXIT_OK;
	if (rc == 0 && o->json) {
		json_object *j = json_object_new_object();
		add_int(j, "added", d.added);
		add_int(j, "removed", d.removed);
		add_int(j, "changed", d.changed);
		add_int(j, "size_delta", d.delta);
		print_json(j);
	} else if (rc == 0 && !o->quiet) {
		printf(_("%lld added, %lld removed, %lld changed, %+lld bytes\n"), d.added, d.removed,
		       d.changed, d.delta);
	}
	snapshot_info_clear(&sa);
	snapshot_info_clear(&sb);
	session_close(&s, rc);
	return code;
}

/* ---- export */

/* FILE is written as a temporary file beside it, fsynced and renamed into
 * place: a failed export leaves no partial FILE. */
static int export_to_file(struct session *s, int64_t id, const char *file,
			  struct export_result *r)
{
	char *tmp = xasprintf("%s.upkeep-XXXXXX", file);
	int fd = mkstemp(tmp);
	int rc = fd < 0 ? err_set(&s->err, UP_ERR_IO, _("cannot create %s: %s"), tmp, strerror(errno)) : 0;
	if (rc == 0)
		rc = archive_export(s->idx, id, fd, file, r, &s->err);
	if (rc == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		rc = err_set(&s->err, UP_ERR_IO, "%s: %s", tmp, strerror(errno));
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = err_set(&s->err, UP_ERR_IO, "%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, file) < 0)
		rc = err_set(&s->err, UP_ERR_IO, _("cannot rename %s to %s: %s"), tmp, file, strerror(errno));
	if (rc < 0 && fd >= 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int batch_cmd_export(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	int64_t id;
	if (argc != 2) {
		fputs(_("usage: upkeep --batch export SNAPSHOT [--output FILE]\n"), stderr);
		return EXIT_USAGE;
	}
	if (!archive_snapshot_parse_id(argv[1], &id))
		return bad_snapshot_id(argv[1]);
	if (!o->output && isatty(STDOUT_FILENO)) {
		fputs(_("upkeep: export: refusing to write a tar stream to a terminal (use --output FILE)\n"),
		      stderr);
		return EXIT_USAGE;
	}
	struct session s;
	struct export_result r;
	int rc = session_open(&s, cfg, NULL, NULL);
	if (rc == 0 && o->output) {
		rc = export_to_file(&s, id, o->output, &r);
	} else if (rc == 0) {
		fflush(stdout);
		rc = archive_export(s.idx, id, STDOUT_FILENO, _("standard output"), &r, &s.err);
	}
	int code = rc < 0 ? fail(&s, "export") : EXIT_OK;
	/* With the stream on stdout, the summary goes to stderr. */
	FILE *out = o->output ? stdout : stderr;
	if (rc == 0 && o->json) {
		json_object *j = json_object_new_object();
		add_int(j, "snapshot", id);
		json_object_object_add(j, "output", o->output ? jstr(o->output) : NULL);
		add_int(j, "files", r.files);
		add_int(j, "dirs", r.dirs);
		add_int(j, "symlinks", r.symlinks);
		add_int(j, "bytes", r.bytes);
		fprintf(out, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else if (rc == 0 && !o->quiet && o->output) {
		char a[32];
		char *file = escape_text(o->output, (size_t)-1, 0, 0);
		printf(_("snapshot %lld exported to %s: %lld files, %lld directories, %lld symlinks, %s\n"),
		       (long long)id, file, r.files, r.dirs, r.symlinks, human_size(r.bytes, a, sizeof(a)));
		free(file);
	}
	session_close(&s, rc);
	return code;
}

/* ---- repair */

int batch_cmd_repair(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	(void)argv;
	if (argc != 1 || !o->rebuild_index) {
		fputs(_("usage: upkeep --batch repair --rebuild-index\n"), stderr);
		return EXIT_USAGE;
	}
	struct session s;
	memset(&s, 0, sizeof(s));
	s.kind = "repair";
	struct repair_result r;
	int rc = store_open(cfg->state_dir, UPKEEP_LOCK_TIMEOUT_MS, &s.store, &s.err);
	if (rc == 0)
		rc = store_job_create(s.store, "repair", NULL, &s.job, &s.err);
	if (rc == 0)
		rc = store_job_set_state(s.store, s.job, JOB_RUNNING, NULL, &s.err);
	char *dir = archive_dir_for(cfg->state_dir);
	if (rc == 0)
		rc = archive_repair_rebuild(dir, UPKEEP_LOCK_TIMEOUT_MS, &r, &s.err);
	free(dir);
	int code = rc < 0 ? fail(&s, "repair") : r.problems.n ? EXIT_FAILED : EXIT_OK;
	if (rc == 0 && o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "moved_aside", jstr(r.moved_aside));
		add_int(j, "packs", r.packs);
		add_int(j, "records", r.records);
		add_int(j, "chunks", r.chunks);
		add_int(j, "trees", r.trees);
		add_int(j, "snapshots", r.snapshots);
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < r.problems.n; i++)
			json_object_array_add(a, jstr(r.problems.items[i]));
		json_object_object_add(j, "problems", a);
		print_json(j);
	} else if (rc == 0) {
		for (size_t i = 0; i < r.problems.n; i++) {
			char *p = escape_text(r.problems.items[i], (size_t)-1, 0, 0);
			printf(_("problem: %s\n"), p);
			free(p);
		}
		if (!o->quiet)
			printf(_("index rebuilt from %lld archive files: %lld snapshots, %lld listings, %lld chunks%s%s\n"),
			       r.packs, r.snapshots, r.trees, r.chunks, r.moved_aside ? _("; old index kept as ") : "",
			       r.moved_aside ? r.moved_aside : "");
	}
	if (rc == 0) {
		for (size_t i = 0; i < r.problems.n; i++)
			store_job_event(s.store, s.job, "warning", r.problems.items[i], NULL);
		if (r.problems.n)
			rc = err_set(&s.err, UP_ERR_MISMATCH, _("%zu problems found"), r.problems.n);
		repair_result_clear(&r);
	}
	session_close(&s, rc);
	return code;
}
