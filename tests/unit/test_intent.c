/* test_intent.c - the intents table (written before each irreversible step
 * of a switch) and the table of crash points. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashpoint.h"
#include "error.h"
#include "intent.h"
#include "store.h"
#include "util.h"

struct fixture {
	char base[64];
	struct store *s;
	int64_t job;
};

#define CHECK_OK(call)                                                                \
	do {                                                                          \
		struct up_error ck_err = UP_ERROR_INIT;                               \
		if ((call) < 0)                                                       \
			fail_msg("%s: %s", #call, ck_err.msg ? ck_err.msg : "(no message)"); \
		err_clear(&ck_err);                                                   \
	} while (0)

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	strcpy(f->base, "/tmp/upkeep-test-intent-XXXXXX");
	if (!mkdtemp(f->base))
		return -1;
	char *dir = xasprintf("%s/state", f->base);
	CHECK_OK(store_open(dir, 1000, &f->s, &ck_err));
	CHECK_OK(store_job_create(f->s, "install", "wiki", &f->job, &ck_err));
	free(dir);
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(&f->s);
	nftw(f->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct intent in = {
		.job = f->job, .kind = "install", .target = "wiki", .mode = INTENT_RELEASES,
		.path = "/srv/wiki", .staging = "/srv/releases/2.0.0", .releases = "/srv/releases",
		.old_link = "releases/1.0.0", .new_link = "releases/2.0.0", .live_existed = true,
		.from = "1.0.0", .to = "2.0.0", .to_tag = "v2.0.0", .to_commit = "abc",
		.record_version = true, .keep_releases = 3, .phase = INTENT_PREPARED,
	};
	CHECK_OK(intent_begin(f->s, &in, &ck_err));
	struct intent got;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(intent_get(f->s, f->job, &got, &err), 1);
	assert_int_equal(got.mode, INTENT_RELEASES);
	assert_string_equal(got.path, "/srv/wiki");
	assert_string_equal(got.staging, "/srv/releases/2.0.0");
	assert_string_equal(got.old_link, "releases/1.0.0");
	assert_string_equal(got.to_tag, "v2.0.0");
	assert_null(got.old_id.ino ? "set" : NULL);
	assert_true(got.live_existed && got.record_version && !got.preserved);
	assert_int_equal(got.keep_releases, 3);
	assert_int_equal(got.phase, INTENT_PREPARED);
	intent_clear(&got);

	struct intent_id o = { 5, 100 }, n = { 5, 200 };
	CHECK_OK(intent_set_preserved(f->s, f->job, &ck_err));
	CHECK_OK(intent_set_swapping(f->s, f->job, &o, &n, &ck_err));
	assert_int_equal(intent_get(f->s, f->job, &got, &err), 1);
	assert_int_equal(got.phase, INTENT_SWAPPING);
	assert_true(got.preserved);
	assert_true(intent_id_equal(&got.old_id, &o) && intent_id_equal(&got.new_id, &n));
	assert_false(intent_id_equal(&got.old_id, &n));
	intent_clear(&got);
	CHECK_OK(intent_set_phase(f->s, f->job, INTENT_HEALTHY, &ck_err));
	assert_int_equal(intent_get(f->s, f->job, &got, &err), 1);
	assert_int_equal(got.phase, INTENT_HEALTHY);
	assert_string_equal(intent_phase_name(got.phase), "healthy");
	intent_clear(&got);
}

static void test_missing_and_unknown(void **state)
{
	struct fixture *f = *state;
	struct intent got;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(intent_get(f->s, f->job, &got, &err), 0);
	assert_int_equal(intent_set_phase(f->s, f->job, INTENT_DONE, &err), -1);
	assert_int_equal(err.status, UP_ERR_NOT_FOUND);
	err_clear(&err);

	struct intent in = { .job = f->job, .kind = "install", .target = "wiki", .path = "/a",
			     .staging = "/b" };
	CHECK_OK(intent_begin(f->s, &in, &ck_err));
	/* a phase this binary does not know (a newer upkeep's) is refused */
	CHECK_OK(store_exec(f->s, &ck_err, "UPDATE intents SET phase = 'teleporting'", ""));
	assert_int_equal(intent_get(f->s, f->job, &got, &err), -1);
	assert_non_null(strstr(err.msg, "teleporting"));
	err_clear(&err);
}

static void test_id_of(void **state)
{
	struct fixture *f = *state;
	char *a = xasprintf("%s/a", f->base), *b = xasprintf("%s/b", f->base);
	assert_int_equal(mkdir(a, 0755), 0);
	struct intent_id ia, ib, gone;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(intent_id_of(a, &ia, &err), 0);
	assert_int_equal(intent_id_of(b, &gone, &err), 0);
	assert_true(gone.ino == 0 && !intent_id_equal(&gone, &gone));
	assert_int_equal(rename(a, b), 0); /* a rename keeps the identity */
	assert_int_equal(intent_id_of(b, &ib, &err), 0);
	assert_true(intent_id_equal(&ia, &ib));
	free(a);
	free(b);
}

/* Names are MODULE.POINT, unique, each with a description. */
static void test_crashpoint_table(void **state)
{
	(void)state;
	size_t n = crashpoint_count();
	assert_true(n > 5);
	for (size_t i = 0; i < n; i++) {
		const char *name = crashpoint_name(i);
		assert_non_null(strchr(name, '.'));
		assert_true(strlen(crashpoint_what(i)) > 10);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(name, crashpoint_name(j));
	}
	assert_null(crashpoint_name(n));
	crashpoint("install.no-such-point"); /* without the variables: nothing happens */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_of, setup, teardown),
		cmocka_unit_test(test_crashpoint_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
