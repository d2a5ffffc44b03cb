/* batch.c - `upkeep --batch`: check and adopt, printed as a table or JSON. */
#include "config.h"

#include "batch.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt.h"
#include "batch_archive.h"
#include "batch_policy.h"
#include "batch_recover.h"
#include "cancel.h"
#include "escape.h"
#include "i18n.h"
#include "install.h"
#include "log.h"
#include "store.h"
#include "tagverify.h"
#include "upkeep.h"
#include "worker.h"

static void print_error(const char *what, const struct up_error *err)
{
	fprintf(stderr, "upkeep: %s%s%s\n", what ? what : "", what ? ": " : "",
		err->msg ? err->msg : _("unknown error"));
}

void batch_say_cancelled(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	const char *sig = cancel_signal_name();
	if (sig)
		fprintf(stderr, _("upkeep: cancelled by %s: %s\n"), sig, text);
	else
		fprintf(stderr, _("upkeep: cancelled: %s\n"), text);
	free(text);
}

/* ---- check ---- */

/* Flags of every release the channel offers: one security release in the
 * backlog makes the whole update a security update. */
static unsigned offered_flags(const struct check_result *r)
{
	unsigned flags = 0;
	for (size_t i = 0; i < r->n_releases; i++)
		if (r->releases[i].in_channel)
			flags |= r->releases[i].flags;
	return flags;
}

static json_object *json_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* Untrusted text becomes valid UTF-8 with control characters visible. */
static json_object *json_untrusted(const char *s, unsigned flags)
{
	if (!s)
		return NULL;
	char *safe = escape_text(s, (size_t)-1, 0, flags);
	json_object *o = json_object_new_string(safe);
	free(safe);
	return o;
}

static json_object *json_flags(unsigned flags)
{
	json_object *arr = json_object_new_array();
	if (flags & FLAG_SECURITY)
		json_object_array_add(arr, json_object_new_string("security"));
	if (flags & FLAG_HOTFIX)
		json_object_array_add(arr, json_object_new_string("hotfix"));
	return arr;
}

static json_object *json_release(const struct release *rel)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "tag", json_untrusted(rel->tag, 0));
	json_object_object_add(o, "version", json_str(rel->version.text));
	json_object_object_add(o, "kind", json_str(classify_kind_name(rel->kind)));
	json_object_object_add(o, "flags", json_flags(rel->flags));
	json_object_object_add(o, "in_channel", json_object_new_boolean(rel->in_channel));
	json_object_object_add(o, "date", json_object_new_int64(rel->date));
	json_object_object_add(o, "commits", json_object_new_int64((int64_t)rel->n_commits));
	json_object_object_add(o, "notes", json_untrusted(rel->message, ESCAPE_KEEP_NEWLINES));
	json_object_object_add(o, "verdict",
			       rel->verified ? json_str(tagverify_verdict_name(rel->trust.verdict)) : NULL);
	char *trust = rel->verified ? tagverify_describe(&rel->trust) : NULL;
	json_object_object_add(o, "trust", json_str(trust));
	free(trust);
	json_object_object_add(o, "signer", json_untrusted(rel->trust.principal, 0));
	json_object_object_add(o, "fingerprint", json_untrusted(rel->trust.fingerprint, 0));
	json_object_object_add(o, "moved", json_object_new_boolean(rel->moved));
	json_object_object_add(o, "first_object", rel->moved ? json_str(rel->first_object) : NULL);
	json_object_object_add(o, "object", json_str(rel->object));
	json_object_object_add(o, "below_highest", json_object_new_boolean(rel->below_highest));
	return o;
}

static void print_check_json(const struct check_result *r)
{
	long newest = check_newest_offered(r);
	const struct release *top = newest >= 0 ? &r->releases[newest] : NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "target", json_str(r->target));
	json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
	json_object_object_add(o, "installed", json_str(r->installed));
	json_object_object_add(o, "newest", top ? json_str(top->version.text) : NULL);
	json_object_object_add(o, "newest_tag", top ? json_untrusted(top->tag, 0) : NULL);
	json_object_object_add(o, "kind", top ? json_str(classify_kind_name(top->kind)) : NULL);
	json_object_object_add(o, "verdict", top && top->verified
					     ? json_str(tagverify_verdict_name(top->trust.verdict)) : NULL);
	json_object_object_add(o, "moved", json_object_new_boolean(top && top->moved));
	json_object_object_add(o, "flags", json_flags(offered_flags(r)));
	json_object_object_add(o, "newer", json_object_new_int64((int64_t)check_count_offered(r)));
	json_object_object_add(o, "skipped", json_object_new_int64((int64_t)r->n_skipped));
	json_object_object_add(o, "tags", json_object_new_int64((int64_t)r->n_tags));
	json_object_object_add(o, "error", json_untrusted(r->error, 0));
	json_object_object_add(o, "checked_at", json_object_new_int64(r->checked_at));
	json_object *rels = json_object_new_array();
	for (size_t i = 0; i < r->n_releases; i++)
		json_object_array_add(rels, json_release(&r->releases[i]));
	json_object_object_add(o, "releases", rels);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* The TRUST column: the newest offered release's verdict, "moved" first
 * when its tag moved. */
static char *trust_cell(const struct release *top)
{
	if (!top)
		return xstrdup("-");
	char *d = top->verified ? tagverify_describe(&top->trust) : xstrdup("-");
	char *cell = top->moved ? xasprintf("MOVED TAG, %s", d) : xstrdup(d);
	free(d);
	return cell;
}

/* Every moved tag, named on stderr: it is never installed without
 * --allow-moved-tag. */
static void warn_moved(const struct check_result *r)
{
	for (size_t i = 0; i < r->n_releases; i++) {
		const struct release *rel = &r->releases[i];
		if (!rel->moved)
			continue;
		char *tag = escape_text(rel->tag, (size_t)-1, 80, 0);
		fprintf(stderr, _("upkeep: %s: tag %s moved: first seen at %s, now %s\n"), r->target, tag,
			rel->first_object, rel->object);
		free(tag);
	}
}

static void print_check_table(struct check_result **results, size_t n)
{
	printf("%-20s %-14s %-14s %-12s %-16s %-5s %s\n", _("TARGET"), _("INSTALLED"), _("AVAILABLE"),
	       _("KIND"), _("FLAGS"), _("NEWER"), _("TRUST"));
	for (size_t i = 0; i < n; i++) {
		const struct check_result *r = results[i];
		long newest = check_newest_offered(r);
		const struct release *top = newest >= 0 ? &r->releases[newest] : NULL;
		const char *flags = classify_flags_text(offered_flags(r));
		char *installed = escape_text(r->installed ? r->installed : "-", (size_t)-1, 14, 0);
		char *trust = trust_cell(top);
		printf("%-20s %-14s %-14s %-12s %-16s %-5zu %s\n", r->target, installed,
		       !r->ok && !top ? _("error") : top ? top->version.text : "-",
		       top ? classify_kind_name(top->kind) : "-", flags && *flags ? flags : "-",
		       check_count_offered(r), trust);
		free(trust);
		free(installed);
	}
	for (size_t i = 0; i < n; i++) {
		warn_moved(results[i]);
		if (!results[i]->ok)
			fprintf(stderr, "upkeep: %s: %s\n", results[i]->target, results[i]->error);
	}
}

/* Waits on the worker's event fd and files each result under its target. */
static void collect_results(struct worker *w, const struct config *cfg,
			    struct check_result **results, int64_t *job,
			    const struct batch_options *o)
{
	bool progress = !o->quiet && isatty(STDERR_FILENO), cancelled = false;
	for (;;) {
		struct pollfd pfd[2] = { { worker_event_fd(w), POLLIN, 0 }, { cancel_fd(), POLLIN, 0 } };
		if (poll(pfd, cancelled || pfd[1].fd < 0 ? 1 : 2, -1) < 0 && errno != EINTR)
			return;
		if (!cancelled && cancel_requested(cancel_flag())) {
			cancelled = true; /* the worker stops the checks; their results say so */
			worker_cancel(w, 0);
		}
		struct event ev;
		while (worker_next_event(w, &ev)) {
			bool finished = ev.type == EV_JOB_FINISHED;
			if (ev.store_id)
				*job = ev.store_id;
			if (ev.type == EV_CHECK_RESULT) {
				for (size_t i = 0; i < cfg->n_targets; i++)
					if (strcmp(cfg->targets[i].name, ev.result->target) == 0 && !results[i]) {
						results[i] = ev.result;
						ev.result = NULL;
						break;
					}
			} else if (ev.type == EV_JOB_PROGRESS && progress) {
				fputs("\r", stderr);
				fprintf(stderr, _("checking: %lld/%lld"), ev.done, ev.total);
			} else if (ev.type == EV_JOB_LOG && ev.text) {
				log_job(*job, LOG_LVL_ERROR, "check: %s", ev.text);
				if (ev.status != UP_ERR_SOURCE && !o->verbose)
					fprintf(stderr, "upkeep: %s\n", ev.text);
			}
			event_free(&ev);
			if (finished) {
				if (progress)
					fputs("\r\033[K", stderr);
				return;
			}
		}
	}
}

/* A check records its results: make sure the state database is usable and
 * writable before any network work, so a damaged or locked database gives
 * its own exit code instead of a half-recorded check. */
int batch_probe_store(const struct config *cfg, struct up_error *err)
{
	struct store *s = NULL;
	int rc = store_open(cfg->state_dir, UPKEEP_LOCK_TIMEOUT_MS, &s, err);
	if (rc == 0 && (rc = store_write_begin(s, err)) == 0)
		rc = store_write_commit(s, err);
	store_close(&s);
	return rc;
}

int batch_check(const struct config *cfg, const char *const *targets, size_t n, unsigned flags,
		const struct batch_options *o, struct check_result ***results, int64_t *job)
{
	struct up_error err = UP_ERROR_INIT;
	struct worker *w = NULL;
	*results = NULL;
	*job = 0;
	if (worker_start_flags(cfg, flags & WORKER_CHECK_NO_RECORD ? WORKER_READ_ONLY : 0, &w,
			       &err) < 0) {
		print_error(NULL, &err);
		err_clear(&err);
		return EXIT_FAILED;
	}
	if (worker_submit_check_flags(w, targets, n, flags, &err) < 0) {
		print_error(NULL, &err);
		err_clear(&err);
		worker_stop(&w);
		return EXIT_USAGE;
	}
	*results = xcalloc(cfg->n_targets ? cfg->n_targets : 1, sizeof(**results));
	collect_results(w, cfg, *results, job, o);
	worker_stop(&w);
	for (size_t i = 0; i < cfg->n_targets; i++) {
		const struct check_result *r = (*results)[i];
		if (!r)
			continue;
		long newest = check_newest_offered(r);
		if (!r->ok)
			log_job(*job, LOG_LVL_ERROR, "%s: check failed", r->target);
		else
			log_job(*job, LOG_LVL_INFO, "%s: checked: installed %s, %zu newer%s%s",
				r->target, r->installed ? r->installed : "unknown",
				check_count_offered(r), newest >= 0 ? ", newest " : "",
				newest >= 0 ? r->releases[newest].version.text : "");
	}
	return EXIT_OK;
}

void batch_check_free(const struct config *cfg, struct check_result ***results)
{
	for (size_t i = 0; *results && i < cfg->n_targets; i++)
		if ((*results)[i]) {
			check_result_free((*results)[i]);
			free((*results)[i]);
		}
	FREE(*results);
}

static int cmd_check(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	struct up_error err = UP_ERROR_INIT;
	if (batch_probe_store(cfg, &err) < 0) {
		print_error(NULL, &err);
		int code = err_exit_code(err.status);
		err_clear(&err);
		return code;
	}
	struct check_result **results = NULL;
	int64_t job = 0;
	int code = batch_check(cfg, (const char *const *)argv + 1, (size_t)argc - 1, 0, o, &results,
			       &job);
	if (code != EXIT_OK)
		return code;
	if (cancel_requested(cancel_flag())) {
		batch_check_free(cfg, &results);
		batch_say_cancelled(_("the check (job %lld) stopped; what it found so far is recorded, "
				      "nothing else was changed"), (long long)job);
		return EXIT_CANCELLED;
	}
	struct check_result **shown = xcalloc(cfg->n_targets ? cfg->n_targets : 1, sizeof(*shown));
	size_t n = 0;
	bool failed = false, newer = false;
	for (size_t i = 0; i < cfg->n_targets; i++) {
		if (!results[i])
			continue;
		shown[n++] = results[i];
		failed |= !results[i]->ok;
		newer |= check_count_offered(results[i]) > 0;
	}
	if (o->json)
		for (size_t i = 0; i < n; i++)
			print_check_json(shown[i]);
	else
		print_check_table(shown, n);
	batch_check_free(cfg, &results);
	free(shown);
	fflush(stdout);
	return failed ? EXIT_FAILED : newer ? EXIT_UPDATES : EXIT_OK;
}

/* ---- adopt ---- */

static int cmd_adopt(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	if (argc != 3) {
		fputs(_("usage: upkeep --batch adopt TARGET VERSION\n"), stderr);
		return EXIT_USAGE;
	}
	struct up_error err = UP_ERROR_INIT;
	const struct target_cfg *t = config_find_target(cfg, argv[1]);
	if (!t) {
		char *name = escape_text(argv[1], (size_t)-1, 64, 0);
		fprintf(stderr, _("upkeep: no target named \"%s\" in %s\n"), name, cfg->file);
		free(name);
		return EXIT_USAGE;
	}
	struct store *s = NULL;
	if (store_open(cfg->state_dir, UPKEEP_LOCK_TIMEOUT_MS, &s, &err) < 0) {
		print_error(NULL, &err);
		int code = err_exit_code(err.status);
		err_clear(&err);
		return code;
	}
	struct strvec diffs = STRVEC_INIT;
	int rc = adopt_target(cfg, t, s, argv[2], &diffs, &err);
	int code = EXIT_OK;
	if (rc < 0) {
		for (size_t i = 0; i < diffs.n; i++)
			printf("%s\n", diffs.items[i]);
		print_error("adopt", &err);
		code = err.status == UP_ERR_NOT_FOUND ? EXIT_FAILED : err_exit_code(err.status);
	} else if (!o->quiet) {
		char *v = escape_text(argv[2], (size_t)-1, 64, 0);
		printf(_("%s: recorded %s as installed\n"), t->name, v);
		free(v);
	}
	strvec_clear(&diffs);
	err_clear(&err);
	store_close(&s);
	return code;
}

/* ---- install ---- */

void batch_say_switch_cancel(const char *target, const struct install_result *r)
{
	const char *old = r->from ? r->from : _("nothing installed");
	if (r->outcome == INSTALL_CANCELLED)
		batch_say_cancelled(_("%s is as it was (%s); nothing was changed, nothing staged is left"),
				    target, old);
	else if (r->outcome == INSTALL_CANCELLED_BACK)
		batch_say_cancelled(_("%s was rolled back to %s, which passed its health check"), target,
				    old);
	else if (r->outcome == INSTALL_DONE && cancel_requested(cancel_flag()))
		fprintf(stderr, _("upkeep: %s: the signal came after the health check passed: too late "
				  "to cancel; %s is kept\n"), target, r->to ? r->to : "?");
}

static json_object *json_strvec(const struct strvec *v)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < v->n; i++)
		json_object_array_add(arr, json_untrusted(v->items[i], 0));
	return arr;
}

static void print_install_json(const char *target, const struct install_result *r,
			       const struct up_error *err)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "target", json_str(target));
	json_object_object_add(o, "outcome", json_str(install_outcome_name(r->outcome)));
	json_object_object_add(o, "job", r->job ? json_object_new_int64(r->job) : NULL);
	json_object_object_add(o, "from", json_untrusted(r->from, 0));
	json_object_object_add(o, "to", json_untrusted(r->to, 0));
	json_object_object_add(o, "tag", json_untrusted(r->tag, 0));
	json_object_object_add(o, "failed_step", json_str(r->failed_step));
	json_object_object_add(o, "verdict", json_str(r->verdict));
	json_object_object_add(o, "trust", json_str(r->trust));
	json_object_object_add(o, "error", json_untrusted(err->msg, 0));
	json_object_object_add(o, "evidence", json_untrusted(r->evidence, ESCAPE_KEEP_NEWLINES));
	json_object_object_add(o, "advice", json_untrusted(r->advice, 0));
	json_object_object_add(o, "drift", json_strvec(&r->drift));
	json_object_object_add(o, "log", json_strvec(&r->log));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_install_text(const char *target, const struct install_result *r,
			       const struct up_error *err, const struct batch_options *o)
{
	for (size_t i = 0; i < r->drift.n; i++)
		printf("%s\n", r->drift.items[i]);
	if (r->outcome == INSTALL_DONE && !o->quiet)
		printf(_("%s: installed %s (was %s), job %lld\n"), target, r->to,
		       r->from ? r->from : _("nothing"), (long long)r->job);
	else if (r->outcome == INSTALL_CURRENT && !o->quiet)
		printf(_("%s: %s is already installed\n"), target, r->to);
	if (err->msg)
		print_error("install", err);
	if (r->evidence && r->evidence[0]) {
		char *safe = escape_text(r->evidence, (size_t)-1, 0, ESCAPE_KEEP_NEWLINES);
		fprintf(stderr, _("upkeep: evidence from %s:\n%s\n"), r->failed_step ? r->failed_step : "?",
			safe);
		free(safe);
	}
	if (r->outcome == INSTALL_BROKEN)
		fprintf(stderr, _("upkeep: *** %s NEEDS ATTENTION *** %s\n"), target,
			r->advice ? r->advice : "");
}

static int cmd_install(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	if (argc < 2 || argc > 3) {
		fputs(_("usage: upkeep --batch install TARGET [VERSION] [--allow-downgrade] "
			"[--allow-moved-tag] [--force-drift]\n"),
		      stderr);
		return EXIT_USAGE;
	}
	const struct target_cfg *t = config_find_target(cfg, argv[1]);
	if (!t) {
		char *name = escape_text(argv[1], (size_t)-1, 64, 0);
		fprintf(stderr, _("upkeep: no target named \"%s\" in %s\n"), name, cfg->file);
		free(name);
		return EXIT_USAGE;
	}
	unsigned flags = (o->allow_downgrade ? INSTALL_ALLOW_DOWNGRADE : 0) |
			 (o->allow_moved_tag ? INSTALL_ALLOW_MOVED : 0) |
			 (o->force_drift ? INSTALL_FORCE_DRIFT : 0);
	struct up_error err = UP_ERROR_INIT;
	struct install_result r;
	install_run(cfg, t, argc == 3 ? argv[2] : NULL, flags, cancel_flag(), &r, &err);
	batch_notify_install(t, &r, &err);
	if (o->json)
		print_install_json(t->name, &r, &err);
	else
		print_install_text(t->name, &r, &err, o);
	fflush(stdout);
	batch_say_switch_cancel(t->name, &r);
	int code = install_exit_code(&r, &err);
	install_result_clear(&r);
	err_clear(&err);
	return code;
}

int batch_run(const struct config *cfg, int argc, char **argv, const struct batch_options *o)
{
	static const struct {
		const char *name;
		int (*run)(const struct config *, int, char **, const struct batch_options *);
	} commands[] = {
		{ "check", cmd_check },
		{ "adopt", cmd_adopt },
		{ "backup", batch_cmd_backup },
		{ "snapshots", batch_cmd_snapshots },
		{ "restore", batch_cmd_restore },
		{ "verify", batch_cmd_verify },
		{ "files", batch_cmd_files },
		{ "pin", batch_cmd_pin },
		{ "unpin", batch_cmd_unpin },
		{ "forget", batch_cmd_forget },
		{ "prune", batch_cmd_prune },
		{ "diff", batch_cmd_diff },
		{ "export", batch_cmd_export },
		{ "repair", batch_cmd_repair },
		{ "install", cmd_install },
		{ "run", batch_cmd_run },
		{ "drill", batch_cmd_drill },
		{ "recover", batch_cmd_recover },
	};
	if (argc == 0)
		return batch_cmd_run(cfg, 0, argv, o);
	const char *name = argv[0];
	if (o->dry_run && strcmp(name, "run") != 0 && strcmp(name, "prune") != 0) {
		fputs(_("upkeep: --dry-run goes with the policy run and prune only\n"), stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(cfg, argc, argv, o);
	char *safe = escape_text(name, (size_t)-1, 40, 0);
	fprintf(stderr, _("upkeep: unknown batch command \"%s\" (available: run, check, adopt, install, backup, snapshots, restore, verify, files, pin, unpin, forget, prune, diff, export, repair, drill, recover)\n"), safe);
	free(safe);
	return EXIT_USAGE;
}
