/* batch_recover.c - `upkeep --batch recover` and recovery at start. */
#include "config.h"

#include "batch_recover.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "cancel.h"
#include "escape.h"
#include "i18n.h"
#include "recover.h"
#include "upkeep.h"

static json_object *json_str(const char *s)
{
	if (!s)
		return NULL;
	char *safe = escape_text(s, (size_t)-1, 0, 0);
	json_object *o = json_object_new_string(safe);
	free(safe);
	return o;
}

static void print_item_json(const struct recover_item *it)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "job", json_object_new_int64(it->job));
	json_object_object_add(o, "recover_job", json_object_new_int64(it->recover_job));
	json_object_object_add(o, "kind", json_str(it->kind));
	json_object_object_add(o, "target", json_str(it->target));
	json_object_object_add(o, "phase", json_str(it->phase));
	json_object_object_add(o, "from", json_str(it->from));
	json_object_object_add(o, "to", json_str(it->to));
	json_object_object_add(o, "action", json_str(recover_action_name(it->action)));
	json_object_object_add(o, "summary", json_str(it->summary));
	json_object_object_add(o, "advice", json_str(it->advice));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static bool is_problem(const struct recover_item *it)
{
	return it->action == RECOVER_INCONSISTENT || it->action == RECOVER_UNHEALTHY;
}

static void print_item_text(FILE *out, const struct recover_item *it)
{
	char *s = escape_text(it->summary ? it->summary : "", (size_t)-1, 0, 0);
	fprintf(out, _("%s: job %lld (%s) %s: %s (recover job %lld)\n"),
		it->target ? it->target : "-", (long long)it->job, it->kind,
		recover_action_name(it->action), s, (long long)it->recover_job);
	free(s);
	if (it->advice) {
		char *a = escape_text(it->advice, (size_t)-1, 0, 0);
		fprintf(out, _("upkeep: *** %s NEEDS ATTENTION *** %s\n"),
			it->target ? it->target : "-", a);
		free(a);
	}
}

/* A signal never cuts a recovery short (it is a rollback or a roll
 * forward): it is said, and the command after it is cancelled. */
static int guarded_recover(const struct config *cfg, struct recover_result *r,
			   struct up_error *err)
{
	enum cancel_guard g = cancel_guard_enter(CANCEL_GUARD_RECOVERY);
	int rc = recover_run(cfg, r, err);
	cancel_guard_leave(g);
	return rc;
}

static void print_removed(FILE *out, const char *dir)
{
	char *s = escape_text(dir, (size_t)-1, 0, 0);
	fprintf(out, _("upkeep: removed %s (the scratch directory of a job that is not running)\n"), s);
	free(s);
}

int batch_cmd_recover(const struct config *cfg, int argc, char **argv,
		      const struct batch_options *o)
{
	(void)argv;
	if (argc != 1) {
		fputs(_("usage: upkeep --batch recover [--json]\n"), stderr);
		return EXIT_USAGE;
	}
	struct recover_result r;
	struct up_error err = UP_ERROR_INIT;
	if (guarded_recover(cfg, &r, &err) < 0) {
		fprintf(stderr, "upkeep: recover: %s\n", err.msg);
		int code = err_exit_code(err.status);
		err_clear(&err);
		return code;
	}
	for (size_t i = 0; !o->json && !o->quiet && i < r.removed.n; i++)
		print_removed(stdout, r.removed.items[i]);
	for (size_t i = 0; i < r.n; i++) {
		if (o->json)
			print_item_json(&r.items[i]);
		else if (!o->quiet || is_problem(&r.items[i]))
			print_item_text(is_problem(&r.items[i]) ? stderr : stdout, &r.items[i]);
	}
	if (o->json) {
		json_object *s = json_object_new_object();
		json_object_object_add(s, "recovered", json_object_new_int64((int64_t)r.n));
		json_object_object_add(s, "running", json_object_new_int64((int64_t)r.alive));
		json_object *rm = json_object_new_array();
		for (size_t i = 0; i < r.removed.n; i++)
			json_object_array_add(rm, json_str(r.removed.items[i]));
		json_object_object_add(s, "removed", rm);
		puts(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN));
		json_object_put(s);
	} else if (!o->quiet && r.n == 0 && r.removed.n == 0) {
		printf(ngettext("nothing to recover (%zu job running)\n",
				"nothing to recover (%zu jobs running)\n", r.alive), r.alive);
	}
	fflush(stdout);
	int code = recover_exit_code(&r);
	recover_result_clear(&r);
	return code;
}

void batch_recover_at_start(const struct config *cfg, bool quiet)
{
	struct recover_result r;
	struct up_error err = UP_ERROR_INIT;
	if (guarded_recover(cfg, &r, &err) < 0) {
		err_clear(&err);
		return;
	}
	for (size_t i = 0; !quiet && i < r.removed.n; i++)
		print_removed(stderr, r.removed.items[i]);
	for (size_t i = 0; i < r.n; i++)
		if (!quiet || is_problem(&r.items[i])) {
			fputs(_("upkeep: recovered an interrupted job: "), stderr);
			print_item_text(stderr, &r.items[i]);
		}
	recover_result_clear(&r);
}
