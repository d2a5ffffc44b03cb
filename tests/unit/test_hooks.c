/* test_hooks.c - hook commands: splitting, clean environment, exit status,
 * captured output (capped), timeout with the process group killed. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "hooks.h"
#include "stage.h"
#include "util.h"

static char *tmpdir;

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/test_hooks.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	tmpdir = xstrdup(tmpl);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	struct up_error e = UP_ERROR_INIT;
	stage_remove_tree(tmpdir, &e);
	err_clear(&e);
	FREE(tmpdir);
	return 0;
}

/* Writes an executable script and returns its path. */
static char *script(const char *name, const char *body)
{
	char *p = xasprintf("%s/%s", tmpdir, name);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\n%s\n", body);
	fclose(fp);
	assert_int_equal(chmod(p, 0755), 0);
	return p;
}

static const struct hook_env env = { .target = "wiki", .path = "/srv/wiki", .phase = "post_install",
				     .from = "1.0.0", .to = "1.1.0" };

static void test_split(void **state)
{
	(void)state;
	struct strvec v = STRVEC_INIT;
	struct up_error e = UP_ERROR_INIT;
	assert_int_equal(hooks_split_command("  /bin/app  reload\t--now ", &v, &e), 0);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.items[0], "/bin/app");
	assert_string_equal(v.items[1], "reload");
	assert_string_equal(v.items[2], "--now");
	strvec_clear(&v);
	/* quotes are not interpreted */
	assert_int_equal(hooks_split_command("a \"b c\"", &v, &e), 0);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.items[1], "\"b");
	strvec_clear(&v);
	assert_int_equal(hooks_split_command(" \t ", &v, &e), -1);
	assert_int_equal(e.status, UP_ERR_CONFIG);
	assert_int_equal(hooks_split_command(NULL, &v, &e), -1);
	err_clear(&e);
}

static void test_find_executable(void **state)
{
	(void)state;
	struct up_error e = UP_ERROR_INIT;
	char *found = NULL;
	assert_int_equal(hooks_find_executable("sh -c true", &found, &e), 0);
	assert_non_null(strstr(found, "/sh"));
	free(found);
	assert_int_equal(hooks_find_executable("/nonexistent/upkeep-hook x", NULL, &e), -1);
	assert_int_equal(e.status, UP_ERR_NOT_FOUND);
	char *p = xasprintf("%s/plain", tmpdir);
	FILE *fp = fopen(p, "w");
	fclose(fp);
	assert_int_equal(hooks_find_executable(p, NULL, &e), -1); /* not executable */
	free(p);
	err_clear(&e);
}

static void test_environment(void **state)
{
	(void)state;
	char *out = xasprintf("%s/env.txt", tmpdir);
	char *body = xasprintf("env > %s", out);
	char *s = script("env.sh", body);
	setenv("UPKEEP_TEST_LEAK", "secret", 1);
	struct hook_result r;
	struct up_error e = UP_ERROR_INIT;
	assert_int_equal(hooks_run_command(s, &env, 5000, &r, &e), 0);
	assert_int_equal(r.exit_code, 0);
	hook_result_clear(&r);
	unsetenv("UPKEEP_TEST_LEAK");
	char buf[4096] = "";
	FILE *fp = fopen(out, "r");
	assert_non_null(fp);
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "UPKEEP_TARGET=wiki\n"));
	assert_non_null(strstr(buf, "UPKEEP_PATH=/srv/wiki\n"));
	assert_non_null(strstr(buf, "UPKEEP_PHASE=post_install\n"));
	assert_non_null(strstr(buf, "UPKEEP_FROM=1.0.0\n"));
	assert_non_null(strstr(buf, "UPKEEP_TO=1.1.0\n"));
	assert_non_null(strstr(buf, "UPKEEP_OLD_VERSION=1.0.0\n"));
	assert_non_null(strstr(buf, "UPKEEP_VERSION=1.1.0\n"));
	assert_non_null(strstr(buf, "PATH="));
	assert_null(strstr(buf, "UPKEEP_TEST_LEAK"));
	free(s);
	free(body);
	free(out);
	err_clear(&e);
}

static void test_failure_evidence(void **state)
{
	(void)state;
	char *s = script("fail.sh", "echo first line; echo 'database \033[2J locked' >&2; exit 3");
	char *cmd = xasprintf("%s arg", s);
	struct hook_result r;
	struct up_error e = UP_ERROR_INIT;
	assert_int_equal(hooks_run_command(cmd, &env, 5000, &r, &e), -1);
	assert_int_equal(r.exit_code, 3);
	assert_false(r.timed_out);
	assert_non_null(strstr(r.output, "first line\n"));
	assert_non_null(strstr(e.msg, "post_install command"));
	assert_non_null(strstr(e.msg, "exited with status 3"));
	assert_non_null(strstr(e.msg, "database \\e[2J locked")); /* escaped, last line */
	assert_null(strchr(e.msg, '\033'));
	hook_result_clear(&r);
	free(cmd);
	free(s);
	err_clear(&e);
}

static void test_output_cap(void **state)
{
	(void)state;
	char *s = script("loud.sh", "i=0; while [ $i -lt 3000 ]; do echo \"line $i of noise\"; "
				    "i=$((i+1)); done; echo LAST");
	struct hook_result r;
	struct up_error e = UP_ERROR_INIT;
	assert_int_equal(hooks_run_command(s, &env, 10000, &r, &e), 0);
	assert_true(strlen(r.output) <= 2 * HOOKS_OUTPUT_CAP);
	assert_true(strlen(r.output) >= HOOKS_OUTPUT_CAP);
	assert_non_null(strstr(r.output, "LAST\n"));
	assert_null(strstr(r.output, "line 0 of"));
	hook_result_clear(&r);
	free(s);
	err_clear(&e);
}

static bool process_alive(long pid)
{
	if (kill((pid_t)pid, 0) < 0)
		return false;
	char *p = xasprintf("/proc/%ld/stat", pid);
	FILE *fp = fopen(p, "r");
	free(p);
	if (!fp)
		return false;
	char state = '?';
	int n = fscanf(fp, "%*d (%*[^)]) %c", &state);
	fclose(fp);
	return n == 1 && state != 'Z' && state != 'X';
}

/* Polls until pid is gone (or a zombie); false after 30 s. */
static bool process_ends(long pid)
{
	for (int i = 0; i < 3000; i++) {
		if (!process_alive(pid))
			return true;
		usleep(10000);
	}
	return false;
}

static void test_timeout_kills_group(void **state)
{
	(void)state;
	char *pidfile = xasprintf("%s/child.pid", tmpdir);
	char *body = xasprintf("sleep 600 & echo $! > %s.tmp; mv %s.tmp %s; wait",
			       pidfile, pidfile, pidfile);
	char *s = script("hang.sh", body);
	struct hook_result r = { 0 };
	struct up_error e = UP_ERROR_INIT;
	/* The group must be killed after the script started its child: on a
	 * loaded machine the shell may not get that far in 300 ms, so the
	 * timeout doubles until it does (the kill is what is tested). */
	long long timeout = 300, t0;
	FILE *fp = NULL;
	for (; !fp && timeout <= 300 * 64; timeout *= 2) {
		hook_result_clear(&r);
		err_clear(&e);
		t0 = util_monotonic_ms();
		assert_int_equal(hooks_run_command(s, &env, timeout, &r, &e), -1);
		assert_true(r.timed_out);
		/* the timeout, not the 600 s sleep, ended it */
		assert_true(util_monotonic_ms() - t0 < timeout + 60000);
		char *want = xasprintf("timed out after %lld ms", timeout);
		assert_non_null(strstr(e.msg, want));
		free(want);
		fp = fopen(pidfile, "r");
	}
	assert_non_null(fp);
	long pid = 0;
	assert_int_equal(fscanf(fp, "%ld", &pid), 1);
	fclose(fp);
	/* the background child died with the group (gone, or a zombie not yet
	 * reaped by whoever inherited it) */
	assert_true(process_ends(pid));
	hook_result_clear(&r);
	free(s);
	free(body);
	free(pidfile);
	err_clear(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test_setup_teardown(test_find_executable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup, teardown),
	};
	return cmocka_run_group_tests_name("hooks", tests, NULL, NULL);
}
