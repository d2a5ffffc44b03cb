/* batch_restore.c - the in-place restore from the command line. */
#include "config.h"

#include "batch_restore.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_snap.h"
#include "batch.h"
#include "cancel.h"
#include "escape.h"
#include "i18n.h"
#include "install.h"
#include "restore.h"
#include "upkeep.h"

struct changes {
	const struct batch_options *o;
	long long added, removed, changed;
};

static json_object *jtext(const char *s, unsigned flags)
{
	if (!s)
		return NULL;
	char *safe = escape_text(s, (size_t)-1, 0, flags);
	json_object *o = json_object_new_string(safe);
	free(safe);
	return o;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* Each change, printed before the restore acts (as `diff` prints them). */
static void print_change(void *ctx, const struct diff_item *it)
{
	struct changes *c = ctx;
	static const char *const names[] = { "added", "removed", "changed" };
	c->added += it->change == DIFF_ADDED;
	c->removed += it->change == DIFF_REMOVED;
	c->changed += it->change == DIFF_CHANGED;
	if (c->o->quiet && !c->o->json)
		return;
	char *path = escape_text(it->path, (size_t)-1, 0, 0);
	if (c->o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "change", json_object_new_string(names[it->change]));
		json_object_object_add(j, "path", json_object_new_string(path));
		json_object_object_add(j, "type", json_object_new_string(archive_type_name(it->type)));
		json_object_object_add(j, "size_delta", json_object_new_int64(it->size_delta));
		json_object_object_add(j, "what", it->what ? json_object_new_string(it->what) : NULL);
		print_json(j);
	} else {
		printf("%c %+12lld %s%s%s%s\n", "+-M"[it->change], it->size_delta, path,
		       it->type == ARCHIVE_DIR ? "/" : "", it->what ? "  " : "", it->what ? it->what : "");
	}
	free(path);
	fflush(stdout);
}

static json_object *jlog(const struct strvec *v)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < v->n; i++)
		json_object_array_add(arr, jtext(v->items[i], 0));
	return arr;
}

static void print_result_json(const char *target, int64_t snap, const struct changes *c,
			      const struct install_result *r, const struct up_error *err)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "target", jtext(target, 0));
	json_object_object_add(o, "snapshot", json_object_new_int64(snap));
	json_object_object_add(o, "outcome", json_object_new_string(
		r->outcome == INSTALL_DONE ? "restored" : install_outcome_name(r->outcome)));
	json_object_object_add(o, "job", r->job ? json_object_new_int64(r->job) : NULL);
	json_object_object_add(o, "from", jtext(r->from, 0));
	json_object_object_add(o, "to", jtext(r->to, 0));
	json_object_object_add(o, "added", json_object_new_int64(c->added));
	json_object_object_add(o, "removed", json_object_new_int64(c->removed));
	json_object_object_add(o, "changed", json_object_new_int64(c->changed));
	json_object_object_add(o, "failed_step", r->failed_step ? json_object_new_string(r->failed_step) : NULL);
	json_object_object_add(o, "error", jtext(err->msg, 0));
	json_object_object_add(o, "evidence", jtext(r->evidence, ESCAPE_KEEP_NEWLINES));
	json_object_object_add(o, "advice", jtext(r->advice, 0));
	json_object_object_add(o, "log", jlog(&r->log));
	print_json(o);
}

static void print_result_text(const char *target, int64_t snap, size_t n_paths,
			      const struct changes *c, const struct install_result *r,
			      const struct up_error *err, const struct batch_options *o)
{
	if (r->outcome == INSTALL_DONE && !o->quiet) {
		printf(_("%lld added, %lld removed, %lld changed\n"), c->added, c->removed, c->changed);
		if (n_paths)
			printf(ngettext("%s: %zu path restored from snapshot %lld, job %lld\n",
					"%s: %zu paths restored from snapshot %lld, job %lld\n", n_paths),
			       target, n_paths, (long long)snap, (long long)r->job);
		else
			printf(_("%s: snapshot %lld restored (version %s, was %s), job %lld\n"), target,
			       (long long)snap, r->to ? r->to : _("unknown"),
			       r->from ? r->from : _("nothing"), (long long)r->job);
	}
	if (err->msg)
		fprintf(stderr, "upkeep: restore: %s\n", err->msg);
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

static int exit_code(const struct install_result *r, const struct up_error *err)
{
	if (r->outcome != INSTALL_FAILED)
		return install_exit_code(r, err);
	if (err->status == UP_ERR_USAGE)
		return EXIT_USAGE;
	if (err->status == UP_ERR_NOT_FOUND)
		return EXIT_NOT_FOUND;
	return install_exit_code(r, err);
}

int batch_cmd_restore_in_place(const struct config *cfg, int argc, char **argv,
			       const struct batch_options *o)
{
	int64_t id;
	if (argc != 3) {
		fputs(_("usage: upkeep --batch restore TARGET SNAPSHOT [--path P]... [--keep-preserved]\n"
			"       upkeep --batch restore TARGET SNAPSHOT --to DIR [PATH]... [--force]\n"),
		      stderr);
		return EXIT_USAGE;
	}
	if (!archive_snapshot_parse_id(argv[2], &id)) {
		char *safe = escape_text(argv[2], (size_t)-1, 40, 0);
		fprintf(stderr, _("upkeep: \"%s\" is not a snapshot id (a positive number)\n"), safe);
		free(safe);
		return EXIT_USAGE;
	}
	const struct target_cfg *t = config_find_target(cfg, argv[1]);
	if (!t) {
		char *safe = escape_text(argv[1], (size_t)-1, 64, 0);
		fprintf(stderr, _("upkeep: no target named \"%s\" in %s\n"), safe, cfg->file);
		free(safe);
		return EXIT_USAGE;
	}
	struct changes c = { .o = o };
	struct restore_request rq = { .snapshot = id, .paths = o->paths, .n_paths = o->n_paths,
				      .flags = o->keep_preserved ? RESTORE_KEEP_PRESERVED : 0,
				      .on_change = print_change, .ctx = &c, .cancel = cancel_flag() };
	struct install_result r;
	struct up_error err = UP_ERROR_INIT;
	restore_run(cfg, t, &rq, &r, &err);
	if (o->json)
		print_result_json(t->name, id, &c, &r, &err);
	else
		print_result_text(t->name, id, o->n_paths, &c, &r, &err, o);
	fflush(stdout);
	batch_say_switch_cancel(t->name, &r);
	int code = exit_code(&r, &err);
	install_result_clear(&r);
	err_clear(&err);
	return code;
}
