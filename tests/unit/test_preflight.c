/* test_preflight.c - the release's own requirements file (.upkeep.yaml). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "preflight.h"
#include "util.h"

/* Runs the check; returns rc and leaves the message in *msg. */
static int req(const char *yaml, long long *min_free, struct strvec *notes, char **msg)
{
	struct up_error e = UP_ERROR_INIT;
	struct release_reqs rq;
	int rc = preflight_requirements(yaml, strlen(yaml), &rq, notes, &e);
	*min_free = rq.min_free;
	*msg = e.msg ? xstrdup(e.msg) : NULL;
	err_clear(&e);
	return rc;
}

static void refused(const char *yaml, const char *why)
{
	long long mf;
	struct strvec notes = STRVEC_INIT;
	char *msg = NULL;
	assert_int_equal(req(yaml, &mf, &notes, &msg), -1);
	assert_non_null(msg);
	if (!strstr(msg, why))
		fail_msg("message \"%s\" lacks \"%s\"", msg, why);
	free(msg);
	strvec_clear(&notes);
}

static void test_accepted(void **state)
{
	(void)state;
	long long mf = -1;
	struct strvec notes = STRVEC_INIT;
	char *msg = NULL;
	assert_int_equal(req("min_upkeep: \"0.0.1\"\ncommands: [sh]\nmin_free: 10M\nfuture: x\n", &mf,
			     &notes, &msg), 0);
	assert_null(msg);
	assert_int_equal(mf, 10LL << 20);
	assert_int_equal(notes.n, 1);
	assert_non_null(strstr(notes.items[0], "\"future\" ignored"));
	strvec_clear(&notes);
	assert_int_equal(req("", &mf, &notes, &msg), 0); /* empty file: no requirements */
	assert_int_equal(mf, 0);
	strvec_clear(&notes);
	struct release_reqs rq = { .irreversible = true };
	struct up_error e = UP_ERROR_INIT;
	assert_int_equal(preflight_requirements("min_free: 1k\n", 12, &rq, &notes, &e), 0);
	assert_false(rq.irreversible);
	const char *irr = "irreversible_migration: yes\n";
	assert_int_equal(preflight_requirements(irr, strlen(irr), &rq, &notes, &e), 0);
	assert_true(rq.irreversible);
	assert_int_equal(notes.n, 0);
	strvec_clear(&notes);
}

static void test_refused(void **state)
{
	(void)state;
	refused("min_upkeep: \"999.0.0\"\n", "needs upkeep 999.0.0 or later");
	refused("min_upkeep: soon\n", "not a version");
	refused("commands: [upkeep-no-such-command-xyz]\n", "needs the command");
	refused("commands: sh\n", "must be a list");
	refused("commands: [\"sh -c\"]\n", "needs the command");
	refused("min_free: lots\n", "not a size");
	refused("irreversible_migration: maybe\n", "is not true or false");
	refused("irreversible_migration: [true]\n", "must be a string");
	refused("- a\n- b\n", "must be a mapping");
	refused("min_upkeep: [1]\n", "must be a string");
	refused("a: [\n", "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests_name("preflight", tests, NULL, NULL);
}
