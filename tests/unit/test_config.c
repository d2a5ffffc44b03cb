/* test_config.c - the configuration file: values, defaults, and one test per
 * class of error, each pinning FILE:LINE:COLUMN and what the message says. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "error.h"
#include "paths.h"
#include "util.h"

static char *tmpdir;

/* ------------------------------------------------------------------ helpers */

static char *write_file(const char *name, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static char *write_config(const char *text)
{
	return write_file("case.yaml", text, strlen(text));
}

/* Loads text, which must fail with status; returns the message. */
static char *load_fails(const char *text, enum up_status status)
{
	char *path = write_config(text);
	struct config *cfg = (struct config *)1;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(config_load(path, &cfg, &err), -1);
	assert_null(cfg);
	assert_int_equal(err.status, status);
	assert_non_null(err.msg);
	char *msg = err.msg;
	free(path);
	return msg;
}

static struct config *load_ok(const char *path)
{
	struct config *cfg = NULL;
	struct up_error err = UP_ERROR_INIT;
	int rc = config_load(path, &cfg, &err);
	if (rc != 0)
		print_error("unexpected errors:\n%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(cfg);
	err_clear(&err);
	return cfg;
}

static struct config *load_text_ok(const char *text)
{
	char *path = write_config(text);
	struct config *cfg = load_ok(path);
	free(path);
	return cfg;
}

/* Asserts that one line of msg is "CASE:LINE:COL: ..." containing part, CASE
 * being the file load_fails writes. */
static void assert_case_error(const char *msg, int line, int col, const char *part)
{
	char *prefix = xasprintf("%s/case.yaml:%d:%d: ", tmpdir, line, col);
	bool found = false;
	for (const char *l = msg; l && *l && !found; ) {
		const char *nl = strchr(l, '\n');
		char *one = xstrndup(l, nl ? (size_t)(nl - l) : strlen(l));
		found = !strncmp(one, prefix, strlen(prefix)) && strstr(one, part);
		free(one);
		l = nl ? nl + 1 : NULL;
	}
	if (!found)
		print_error("no line \"%s...%s...\" in:\n%s\n", prefix, part, msg);
	free(prefix);
	assert_true(found);
}

static size_t count_lines(const char *msg)
{
	size_t n = 1;
	for (const char *p = msg; *p; p++)
		n += *p == '\n';
	return n;
}

/* Every error line has the documented shape. */
static void assert_all_lines_shaped(const char *msg)
{
	char *file = xasprintf("%s/case.yaml:", tmpdir);
	for (const char *l = msg; l; ) {
		int line, col, n = 0;
		assert_int_equal(strncmp(l, file, strlen(file)), 0);
		assert_int_equal(sscanf(l + strlen(file), "%d:%d: %n", &line, &col, &n), 2);
		assert_true(n > 0 && line >= 1 && col >= 1);
		const char *nl = strchr(l, '\n');
		l = nl ? nl + 1 : NULL;
	}
	free(file);
}

#define GIT "    source: { git: https://example.org/app.git }\n"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/test_config.XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	tmpdir = xstrdup(tmpl);
	return 0;
}

static int group_teardown(void **state)
{
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	FREE(tmpdir);
	return 0;
}

/* ------------------------------------------------------------------ valid files */

static void test_full_config(void **state)
{
	struct config *cfg = load_ok(TEST_DATADIR "/full.yaml");
	assert_string_equal(cfg->file, TEST_DATADIR "/full.yaml");
	assert_string_equal(cfg->state_dir, "/srv/upkeep/state");
	assert_string_equal(cfg->cache_dir, "/srv/upkeep/cache");
	assert_int_equal(cfg->n_targets, 2);

	const struct target_cfg *w = config_find_target(cfg, "wiki");
	assert_ptr_equal(w, &cfg->targets[0]);
	assert_int_equal(w->line, 20);
	assert_int_equal(w->column, 3);
	assert_string_equal(w->source.git, "https://git.example.org/wiki.git");
	assert_int_equal(w->source.scheme, SCHEME_DATE);
	assert_string_equal(w->source.tags, "release-*");
	assert_null(w->source.prefix);
	assert_string_equal(w->path, "/var/www/wiki");
	assert_int_equal(w->layout, LAYOUT_PLAIN);
	assert_int_equal(w->keep_releases, 3);
	assert_string_equal(w->channel, "beta");             /* from defaults */
	assert_int_equal(w->n_preserve, 2);
	assert_string_equal(w->preserve[0], "data/");
	assert_string_equal(w->preserve[1], "conf/local.php"); /* normalised */
	assert_string_equal(w->hooks.pre_install, "systemctl stop php-fpm");
	assert_string_equal(w->hooks.post_install, "systemctl start php-fpm");
	assert_null(w->hooks.pre_restore);
	assert_string_equal(w->health.url, "http://127.0.0.1/wiki/");
	assert_int_equal(w->health.expect_status, 204);
	assert_string_equal(w->health.expect_body, "ok");
	assert_int_equal(w->health.timeout_ms, 60000);        /* defaults */
	assert_int_equal(w->health.retries, 4);
	assert_int_equal(w->health.interval_ms, 500);
	assert_int_equal(w->policy.auto_install, AUTO_SECURITY | AUTO_PATCH);
	assert_string_equal(w->policy.window, "Sun 02:00-04:00");
	assert_int_equal(w->verify.signatures, VERIFY_OFF);
	assert_string_equal(w->verify.keyring, "/etc/upkeep/keys.gpg");
	assert_null(w->verify.allowed_signers);
	assert_int_equal(w->retention.keep_last, 7);
	assert_int_equal(w->retention.keep_daily, 14);
	assert_int_equal(w->retention.keep_weekly, -1);
	assert_int_equal(w->retention.keep_hourly, -1);
	assert_false(w->backup.before_install);
	assert_int_equal(w->backup.every_ms, 86400000);
	assert_int_equal(w->backup.compression, 5);
	assert_int_equal(w->flags.n_security, 2);
	assert_string_equal(w->flags.security[1], "CVE");
	assert_int_equal(w->flags.n_hotfix, 2);
	assert_int_equal(w->limits.fetch_bytes, 1LL << 30);
	assert_int_equal(w->limits.fetch_ms, 300000);
	assert_int_equal(w->limits.timeout_ms, 45000);        /* defaults.timeout */
	assert_string_equal(w->notify.webhook.url, "https://hooks.example.org/x");
	assert_string_equal(w->notify.webhook.secret, "s3cret");
	assert_int_equal(w->notify.webhook.timeout_ms, 10000);
	assert_string_equal(w->notify.mail.to, "ops@example.org");
	assert_int_equal(w->notify.on, NOTIFY_FAILURE | NOTIFY_SECURITY);

	const struct target_cfg *a = config_find_target(cfg, "app");
	assert_ptr_equal(a, &cfg->targets[1]);
	assert_int_equal(a->line, 26);
	/* a relative repository path is relative to the file's directory */
	assert_string_equal(a->source.git, TEST_DATADIR "/repos/app.git");
	assert_int_equal(a->source.scheme, SCHEME_REGEX);
	assert_string_equal(a->source.regex, "^r([0-9]+)\\.([0-9]+)$");
	assert_string_equal(a->source.asset.url, "https://dl.example.org/app-{version}.tgz");
	assert_string_equal(a->source.asset.checksums, "SHA256SUMS");
	assert_string_equal(a->source.asset.pin, "sha256//abc=");
	assert_int_equal(a->layout, LAYOUT_RELEASES);
	assert_int_equal(a->keep_releases, 5);
	assert_string_equal(a->channel, "stable");            /* the target wins */
	assert_int_equal(a->n_preserve, 0);
	/* sections merge key by key: the target's keys win, the rest inherit */
	assert_int_equal(a->retention.keep_weekly, 2);
	assert_int_equal(a->retention.keep_last, 7);
	assert_int_equal(a->retention.keep_daily, 14);
	assert_int_equal(a->policy.auto_install, 0);          /* lists are replaced whole */
	assert_null(a->policy.window);                        /* "any" */
	assert_int_equal(a->verify.signatures, VERIFY_REQUIRED);
	assert_string_equal(a->verify.allowed_signers, "/etc/upkeep/app.signers");
	assert_string_equal(a->verify.keyring, "/etc/upkeep/keys.gpg");
	assert_false(a->backup.before_install);
	assert_int_equal(a->backup.every_ms, 86400000);
	assert_int_equal(a->backup.compression, 19);
	assert_int_equal(a->flags.n_security, 2);
	assert_int_equal(a->flags.n_hotfix, 1);
	assert_string_equal(a->flags.hotfix[0], "Fix");
	assert_int_equal(a->limits.timeout_ms, 5000);
	assert_int_equal(a->limits.fetch_bytes, 1LL << 30);
	assert_int_equal(a->notify.on, NOTIFY_SUCCESS);
	assert_string_equal(a->notify.mail.to, "dev@example.org");
	assert_string_equal(a->notify.mail.sendmail, "/usr/sbin/sendmail");
	assert_string_equal(a->notify.webhook.url, "https://hooks.example.org/x");
	assert_string_equal(a->health.command, "/srv/app/current/bin/check --quick");
	assert_int_equal(a->health.retries, 0);
	assert_int_equal(a->health.timeout_ms, 60000);
	assert_int_equal(a->health.expect_status, 200);

	assert_null(config_find_target(cfg, "nosuch"));
	assert_null(config_find_target(cfg, NULL));
	assert_null(config_find_target(NULL, "app"));
	config_free(&cfg);
	assert_null(cfg);
	config_free(&cfg);
	config_free(NULL);
}

static void test_builtin_defaults(void **state)
{
	struct config *cfg = load_text_ok("targets:\n  app:\n" GIT "    path: /srv/app\n");
	char *st = paths_default_state_dir(), *ca = paths_default_cache_dir();
	assert_string_equal(cfg->state_dir, st);
	assert_string_equal(cfg->cache_dir, ca);
	free(st);
	free(ca);
	assert_int_equal(cfg->n_targets, 1);
	const struct target_cfg *t = &cfg->targets[0];
	assert_string_equal(t->name, "app");
	assert_int_equal(t->line, 2);
	assert_int_equal(t->column, 3);
	assert_string_equal(t->channel, "stable");
	assert_int_equal(t->source.scheme, SCHEME_SEMVER);
	assert_null(t->source.tags);
	assert_null(t->source.regex);
	assert_int_equal(t->layout, LAYOUT_PLAIN);
	assert_int_equal(t->keep_releases, 3);
	assert_true(t->backup.before_install);
	assert_int_equal(t->backup.every_ms, 0);
	assert_int_equal(t->backup.compression, 3);
	assert_int_equal(t->health.expect_status, 200);
	assert_int_equal(t->health.timeout_ms, 30000);
	assert_int_equal(t->health.retries, 3);
	assert_int_equal(t->health.interval_ms, 2000);
	assert_null(t->health.command);
	assert_null(t->health.url);
	assert_int_equal(t->limits.fetch_bytes, 512LL << 20);
	assert_int_equal(t->limits.fetch_ms, 600000);
	assert_int_equal(t->limits.timeout_ms, 30000);
	assert_int_equal(t->verify.signatures, VERIFY_IF_SIGNED);
	assert_int_equal(t->retention.keep_last, 5);
	assert_int_equal(t->retention.keep_hourly, -1);
	assert_int_equal(t->retention.keep_daily, -1);
	assert_int_equal(t->retention.keep_weekly, -1);
	assert_int_equal(t->retention.keep_monthly, -1);
	assert_int_equal(t->retention.keep_yearly, -1);
	assert_int_equal(t->flags.n_security, 1);
	assert_string_equal(t->flags.security[0], "Security");
	assert_int_equal(t->flags.n_hotfix, 1);
	assert_string_equal(t->flags.hotfix[0], "Hotfix");
	assert_int_equal(t->policy.auto_install, 0);
	assert_null(t->policy.window);
	assert_int_equal(t->notify.on, NOTIFY_FAILURE | NOTIFY_ROLLBACK | NOTIFY_SECURITY |
			 NOTIFY_BACKUP_FAILURE | NOTIFY_DRILL_FAILURE);
	config_free(&cfg);
}

static void test_example_loads(void **state)
{
	struct config *cfg = load_ok(TEST_DATADIR "/../../../data/upkeep.yaml.example");
	assert_int_equal(cfg->n_targets, 3);
	assert_non_null(config_find_target(cfg, "wiki"));
	assert_non_null(config_find_target(cfg, "notekeeper"));
	assert_non_null(config_find_target(cfg, "tool"));
	config_free(&cfg);
}

static void test_empty_files(void **state)
{
	static const char *const texts[] = { "", "# only a comment\n", "---\n", "targets:\n",
					     "targets: {}\ndefaults:\nnotify: ~\n" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct config *cfg = load_text_ok(texts[i]);
		assert_int_equal(cfg->n_targets, 0);
		assert_non_null(cfg->state_dir);
		config_free(&cfg);
	}
}

static void test_values_accepted(void **state)
{
	struct config *cfg = load_text_ok(
		"targets:\n"
		"  a.b_c-1:\n"
		"    source: { git: \"git@example.org:team/app.git\", prefix: \"\" }\n"
		"    path: /srv/a\n"
		"    policy: { window: \"Mon,Wed 22:00-02:00\" }\n"
		"    backup: { before_install: yes }\n"
		"  b:\n"
		"    source: { git: \"file:///srv/git/b.git\" }\n"
		"    path: /srv/b\n"
		"    policy: { window: \"daily 01:00-05:00\" }\n"
		"  c:\n"
		"    source: { git: \"/srv/git/c.git\" }\n"
		"    path: /srv/c\n"
		"    policy: { window: \"Mon-Fri 00:00-24:00\" }\n"
		"  d:\n"
		"    source: { git: \"./repos/d\" }\n"
		"    path: /srv/d\n"
		"  e:\n"
		"    source: { git: \"git://example.org/e.git\" }\n"
		"    path: /srv/e\n"
		"  f:\n"
		"    source: { git: \"ssh://git@example.org:2222/f.git\" }\n"
		"    path: /srv/f\n");
	assert_int_equal(cfg->n_targets, 6);
	const struct target_cfg *t = &cfg->targets[0];
	assert_string_equal(t->name, "a.b_c-1");
	assert_string_equal(t->source.git, "git@example.org:team/app.git");
	assert_string_equal(t->source.prefix, "");           /* "" kept: no prefix */
	assert_string_equal(t->policy.window, "Mon,Wed 22:00-02:00");
	assert_true(t->backup.before_install);
	assert_string_equal(cfg->targets[1].source.git, "file:///srv/git/b.git");
	assert_string_equal(cfg->targets[2].source.git, "/srv/git/c.git");
	char *d = xasprintf("%s/repos/d", tmpdir);
	assert_string_equal(cfg->targets[3].source.git, d);
	free(d);
	assert_string_equal(cfg->targets[4].source.git, "git://example.org/e.git");
	assert_string_equal(cfg->targets[5].source.git, "ssh://git@example.org:2222/f.git");
	config_free(&cfg);
}

/* ------------------------------------------------------------------ one test per error class */

static void test_error_file_missing(void **state)
{
	char *path = xasprintf("%s/nosuch.yaml", tmpdir);
	struct config *cfg = NULL;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(config_load(path, &cfg, &err), -1);
	assert_null(cfg);
	assert_int_equal(err.status, UP_ERR_IO);
	char *want = xasprintf("cannot read %s: %s", path, strerror(ENOENT));
	assert_string_equal(err.msg, want);
	free(want);
	err_clear(&err);
	/* a directory cannot be read either */
	assert_int_equal(config_load(tmpdir, &cfg, &err), -1);
	assert_int_equal(err.status, UP_ERR_IO);
	want = xasprintf("cannot read %s: %s", tmpdir, strerror(EISDIR));
	assert_string_equal(err.msg, want);
	free(want);
	err_clear(&err);
	free(path);
	assert_int_equal(config_load(NULL, &cfg, &err), -1);
	assert_int_equal(err.status, UP_ERR_USAGE);
	err_clear(&err);
}

static void test_error_too_large(void **state)
{
	size_t len = 1024 * 1024 + 1;
	char *big = xmalloc(len);
	memset(big, '#', len);
	char *path = write_file("case.yaml", big, len);
	struct config *cfg = NULL;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(config_load(path, &cfg, &err), -1);
	assert_int_equal(err.status, UP_ERR_CONFIG);
	assert_case_error(err.msg, 1, 1, "larger than 1 MiB");
	err_clear(&err);
	/* exactly 1 MiB of comment is fine */
	big[len - 2] = '\n';
	free(path);
	path = write_file("case.yaml", big, len - 1);
	cfg = load_ok(path);
	config_free(&cfg);
	free(path);
	free(big);
}

static void test_error_syntax(void **state)
{
	char *msg = load_fails("targets:\n  app:\n" GIT "    path: /x: y\n", UP_ERR_CONFIG);
	assert_case_error(msg, 4, 13, "YAML syntax error: mapping values are not allowed");
	assert_int_equal(count_lines(msg), 1);
	free(msg);
	/* an unclosed quote: the problem is at the end, the context names the start */
	msg = load_fails("targets:\n  app:\n    channel: \"stable\n", UP_ERR_CONFIG);
	assert_case_error(msg, 4, 1, "found unexpected end of stream (while scanning a quoted "
			  "scalar at line 3, column 14)");
	free(msg);
	/* a second document */
	msg = load_fails("targets: {}\n---\ntargets: {}\n", UP_ERR_CONFIG);
	assert_case_error(msg, 2, 1, "a second YAML document");
	free(msg);
}

static void test_error_wrong_type(void **state)
{
	char *msg = load_fails(
		"defaults: [a, b]\n"
		"targets:\n"
		"  app:\n"
		GIT
		"    path: [ /a, /b ]\n"
		"    backup: { compression: abc, before_install: maybe }\n"
		"    limits: { fetch_size: lots, timeout: soon }\n"
		"    flags: { security: Security }\n", UP_ERR_CONFIG);
	assert_case_error(msg, 1, 11, "defaults: got a list (expected a mapping)");
	assert_case_error(msg, 5, 11, "targets.app.path: got a list (expected an absolute path)");
	assert_case_error(msg, 6, 28, "targets.app.backup.compression: \"abc\" is not an integer "
			  "(expected an integer from 1 to 19)");
	assert_case_error(msg, 6, 49, "\"maybe\" is not a boolean (expected true, false, yes or no)");
	assert_case_error(msg, 7, 27, "\"lots\" is not a size");
	assert_case_error(msg, 7, 42, "\"soon\" is not a duration");
	assert_case_error(msg, 8, 24, "got \"Security\" (expected a list of strings)");
	assert_int_equal(count_lines(msg), 7);
	assert_all_lines_shaped(msg);
	free(msg);
	msg = load_fails("- a\n- b\n", UP_ERR_CONFIG);
	assert_case_error(msg, 1, 1, "top level: got a list (expected a mapping with the keys "
			  "state_dir, cache_dir, defaults, notify, targets)");
	free(msg);
	msg = load_fails("targets: 5\n", UP_ERR_CONFIG);
	assert_case_error(msg, 1, 10, "targets: got \"5\" (expected a mapping of target names");
	free(msg);
}

static void test_error_unknown_key(void **state)
{
	char *msg = load_fails(
		"stat_dir: /var/lib/x\n"
		"targets:\n"
		"  app:\n"
		GIT
		"    path: /srv/app\n"
		"    colour: red\n"
		"    health: { urll: \"http://x/\" }\n", UP_ERR_CONFIG);
	assert_case_error(msg, 1, 1, "top level: unknown key \"stat_dir\" (expected one of: "
			  "state_dir, cache_dir, defaults, notify, targets)");
	assert_case_error(msg, 6, 5, "targets.app: unknown key \"colour\" (expected one of: "
			  "source, path, layout, keep_releases, channel, preserve, data, hooks, health, "
			  "policy, verify, retention, backup, drill, flags, limits, notify)");
	assert_case_error(msg, 7, 15, "targets.app.health: unknown key \"urll\" (expected one of: "
			  "command, url, expect, body, timeout, retries, interval)");
	assert_int_equal(count_lines(msg), 3);
	free(msg);
	/* defaults take fewer keys than a target */
	msg = load_fails("defaults:\n  path: /srv\n", UP_ERR_CONFIG);
	assert_case_error(msg, 2, 3, "defaults: unknown key \"path\" (expected one of: timeout, "
			  "channel, retention, policy, verify, backup, drill, health, hooks, flags, limits)");
	free(msg);
}

static void test_error_duplicate_key(void **state)
{
	char *msg = load_fails(
		"targets:\n"
		"  app:\n"
		GIT
		"    path: /srv/app\n"
		"    health: { retries: 1, retries: 2 }\n"
		"    path: /srv/other\n", UP_ERR_CONFIG);
	assert_case_error(msg, 5, 27, "targets.app.health: duplicate key \"retries\", first given "
			  "at line 5, column 15 (expected each key once)");
	assert_case_error(msg, 6, 5, "targets.app: duplicate key \"path\", first given at line 4, "
			  "column 5");
	assert_int_equal(count_lines(msg), 2);
	free(msg);
}

static void test_error_duplicate_target(void **state)
{
	char *msg = load_fails(
		"targets:\n"
		"  app:\n"
		GIT
		"    path: /srv/app\n"
		"  app:\n"
		GIT
		"    path: /srv/app2\n", UP_ERR_CONFIG);
	assert_case_error(msg, 5, 3, "targets: duplicate target \"app\", first defined at line 2, "
			  "column 3 (expected unique target names)");
	assert_int_equal(count_lines(msg), 1);
	free(msg);
}

static void test_error_missing_required(void **state)
{
	char *msg = load_fails(
		"targets:\n"
		"  nopath:\n"
		GIT
		"  nogit:\n"
		"    source: { scheme: date }\n"
		"    path: /srv/nogit\n"
		"  nosource:\n"
		"    path: /srv/nosource\n"
		"  empty:\n", UP_ERR_CONFIG);
	assert_case_error(msg, 2, 3, "targets.nopath: missing required key \"path\" (expected an "
			  "absolute path)");
	assert_case_error(msg, 5, 5, "targets.nogit.source: missing required key \"git\" "
			  "(expected a repository URL or path)");
	assert_case_error(msg, 7, 3, "targets.nosource: missing required key \"source\"");
	assert_case_error(msg, 9, 3, "targets.empty: missing required key \"source\"");
	assert_case_error(msg, 9, 3, "targets.empty: missing required key \"path\"");
	assert_int_equal(count_lines(msg), 5);
	free(msg);
}

static void test_error_relative_path(void **state)
{
	char *msg = load_fails(
		"state_dir: state\n"
		"cache_dir: ./cache\n"
		"defaults:\n"
		"  verify: { keyring: keys.gpg }\n"
		"targets:\n"
		"  app:\n"
		GIT
		"    path: apps/app\n"
		"    verify: { allowed_signers: signers }\n"
		"  root:\n"
		GIT
		"    path: //\n", UP_ERR_CONFIG);
	assert_case_error(msg, 1, 12, "state_dir: \"state\" is a relative path (expected an "
			  "absolute path starting with /)");
	assert_case_error(msg, 2, 12, "cache_dir: \"./cache\" is a relative path");
	assert_case_error(msg, 4, 22, "defaults.verify.keyring: \"keys.gpg\" is a relative path");
	assert_case_error(msg, 8, 11, "targets.app.path: \"apps/app\" is a relative path");
	assert_case_error(msg, 9, 32, "targets.app.verify.allowed_signers: \"signers\" is a "
			  "relative path");
	assert_case_error(msg, 12, 11, "targets.root.path: \"//\" is the root directory");
	assert_int_equal(count_lines(msg), 6);
	free(msg);
}

static void test_error_url_scheme(void **state)
{
	char *msg = load_fails(
		"notify:\n"
		"  webhook: { url: \"gopher://example.org/\" }\n"
		"targets:\n"
		"  ftp:\n"
		"    source: { git: \"ftp://example.invalid/x.git\" }\n"
		"    path: /srv/ftp\n"
		"  typo:\n"
		"    source: { git: \"https:/example.org/x.git\" }\n"
		"    path: /srv/typo\n"
		"  home:\n"
		"    source: { git: \"~/repos/x.git\" }\n"
		"    path: /srv/home\n"
		"  web:\n"
		GIT
		"    path: /srv/web\n"
		"    health: { url: \"file:///etc/passwd\" }\n", UP_ERR_CONFIG);
	assert_case_error(msg, 2, 19, "notify.webhook.url: unsupported URL scheme \"gopher://\" "
			  "(expected an http:// or https:// URL)");
	assert_case_error(msg, 5, 20, "targets.ftp.source.git: unsupported URL scheme \"ftp://\" "
			  "(expected a repository: file://, http://, https://, ssh://, git:// URL, "
			  "user@host:path or a directory path)");
	assert_case_error(msg, 8, 20, "targets.typo.source.git: \"https:/example.org/x.git\" is "
			  "not a valid URL");
	assert_case_error(msg, 11, 20, "starts with ~, which is not expanded");
	assert_case_error(msg, 16, 20, "targets.web.health.url: unsupported URL scheme \"file://\"");
	assert_int_equal(count_lines(msg), 5);
	free(msg);
}

static void test_error_bad_enum(void **state)
{
	char *msg = load_fails(
		"defaults:\n"
		"  verify: { signatures: maybe }\n"
		"  policy: { auto_install: [security, everything] }\n"
		"notify: { on: [success, explosion] }\n"
		"targets:\n"
		"  app:\n"
		"    source: { git: /srv/git/app, scheme: calver }\n"
		"    path: /srv/app\n"
		"    layout: stacked\n", UP_ERR_CONFIG);
	assert_case_error(msg, 2, 25, "defaults.verify.signatures: unknown value \"maybe\" "
			  "(expected one of: required, if-signed, off)");
	assert_case_error(msg, 3, 38, "defaults.policy.auto_install: unknown value \"everything\" "
			  "(expected one of: major, minor, patch, pre-release, security, hotfix)");
	assert_case_error(msg, 4, 25, "notify.on: unknown value \"explosion\" (expected one of: "
			  "success, failure, rollback, security, backup_failure, drill_failure)");
	assert_case_error(msg, 7, 42, "targets.app.source.scheme: unknown value \"calver\" "
			  "(expected one of: semver, date, regex)");
	assert_case_error(msg, 9, 13, "targets.app.layout: unknown value \"stacked\"");
	assert_int_equal(count_lines(msg), 5);
	free(msg);
}

static void test_error_out_of_range(void **state)
{
	char *msg = load_fails(
		"defaults:\n"
		"  backup: { compression: 20 }\n"
		"  retention: { keep_last: -1 }\n"
		"  limits: { fetch_time: 0 }\n"
		"targets:\n"
		"  app:\n"
		GIT
		"    path: /srv/app\n"
		"    health: { expect: 99, retries: 99999999999999999999 }\n"
		"    keep_releases: 0\n", UP_ERR_CONFIG);
	assert_case_error(msg, 2, 26, "defaults.backup.compression: 20 is out of range (expected "
			  "an integer from 1 to 19)");
	assert_case_error(msg, 3, 27, "defaults.retention.keep_last: -1 is out of range");
	assert_case_error(msg, 4, 25, "defaults.limits.fetch_time: 0 is out of range (expected a "
			  "non-zero duration");
	assert_case_error(msg, 9, 23, "targets.app.health.expect: 99 is out of range (expected an "
			  "integer from 100 to 599)");
	assert_case_error(msg, 9, 36, "\"99999999999999999999\" is not an integer");
	assert_case_error(msg, 10, 20, "targets.app.keep_releases: 0 is out of range");
	assert_int_equal(count_lines(msg), 6);
	free(msg);
}

static void test_error_alias(void **state)
{
	char *msg = load_fails(
		"defaults:\n"
		"  limits: &lim { timeout: 5s }\n"
		"targets:\n"
		"  app:\n"
		GIT
		"    path: /srv/app\n"
		"    limits: *lim\n"
		"    colour: red\n", UP_ERR_CONFIG);
	assert_case_error(msg, 7, 13, "YAML alias \"*lim\" is not allowed");
	/* the rest of the file is still checked */
	assert_case_error(msg, 8, 5, "unknown key \"colour\"");
	assert_int_equal(count_lines(msg), 2);
	free(msg);
}

static void test_error_not_utf8(void **state)
{
	static const char text[] = "targets:\n  app:\n    channel: caf\xff\n";
	char *path = write_file("case.yaml", text, sizeof(text) - 1);
	struct config *cfg = NULL;
	struct up_error err = UP_ERROR_INIT;
	assert_int_equal(config_load(path, &cfg, &err), -1);
	assert_int_equal(err.status, UP_ERR_CONFIG);
	assert_case_error(err.msg, 3, 17, "invalid text: invalid leading UTF-8 octet #FF "
			  "(expected UTF-8 text)");
	err_clear(&err);
	free(path);
	/* a NUL character written as an escape */
	char *msg = load_fails("targets:\n  app:\n    channel: \"a\\0b\"\n", UP_ERR_CONFIG);
	assert_case_error(msg, 3, 14, "contains a NUL character");
	free(msg);
}

static void test_error_target_name(void **state)
{
	char *msg = load_fails(
		"targets:\n"
		"  \"my app\":\n"
		GIT
		"    path: /srv/a\n"
		"  ..:\n"
		GIT
		"    path: /srv/b\n"
		"  [x]: {}\n", UP_ERR_CONFIG);
	assert_case_error(msg, 2, 3, "targets: invalid target name \"my app\" (expected 1 to 64 "
			  "letters, digits, '.', '_' or '-': it names a directory)");
	assert_case_error(msg, 5, 3, "invalid target name \"..\"");
	assert_case_error(msg, 8, 3, "invalid target name a list");
	assert_int_equal(count_lines(msg), 3);
	free(msg);
}

static void test_error_window(void **state)
{
	static const char *const bad[] = {
		"Sun", "Sun 2:00-04:00", "Sun 02:00-02:00", "Sun 02:00-25:00", "Sun 02:60-03:00",
		"Sunday 02:00-04:00", "Mon, Wed 02:00-04:00", "Mon,,Wed 02:00-04:00",
		"Mon, 02:00-04:00", "weekly 02:00-04:00", "Sun 24:00-02:00", "Sun 02:00-04:00 ",
		"Sun 02:00 - 04:00", "Mon-Fri-Sat 01:00-02:00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = xasprintf("defaults:\n  policy: { window: \"%s\" }\n", bad[i]);
		char *msg = load_fails(text, UP_ERR_CONFIG);
		char *part = xasprintf("defaults.policy.window: \"%s\" is not a time window "
				       "(expected DAYS HH:MM-HH:MM", bad[i]);
		assert_case_error(msg, 2, 21, part);
		free(part);
		free(msg);
		free(text);
	}
}

static void test_error_preserve(void **state)
{
	char *msg = load_fails(
		"targets:\n"
		"  app:\n"
		GIT
		"    path: /srv/app\n"
		"    preserve: [data/, ../etc, /etc/passwd, ./, \"\", conf/../../x, {a: b}]\n",
		UP_ERR_CONFIG);
	assert_case_error(msg, 5, 23, "targets.app.preserve: \"../etc\" leaves the target "
			  "directory (expected a path relative to the target directory");
	assert_case_error(msg, 5, 31, "\"/etc/passwd\" is an absolute path");
	assert_case_error(msg, 5, 44, "\"./\" names the target directory itself");
	assert_case_error(msg, 5, 48, "got \"\" (expected a path relative to the target directory)");
	assert_case_error(msg, 5, 52, "\"conf/../../x\" leaves the target directory");
	assert_case_error(msg, 5, 66, "got a mapping");
	assert_int_equal(count_lines(msg), 6);
	free(msg);
}

static void test_data_and_hook_timeout(void **state)
{
	(void)state;
	struct config *cfg = load_text_ok(
		"defaults:\n"
		"  hooks: { timeout: 90s }\n"
		"targets:\n"
		"  app:\n"
		GIT
		"    path: /srv/app\n"
		"    data:\n"
		"      - { name: db, dump: \"sqlite3 /srv/app.db .dump\", restore: /bin/load }\n"
		"      - { name: pg.main, dump: pg_dump, restore: pg_restore, timeout: 30m }\n"
		"  other:\n"
		GIT
		"    path: /srv/other\n"
		"    hooks: { timeout: 2s }\n");
	const struct target_cfg *t = config_find_target(cfg, "app");
	assert_int_equal(t->hooks.timeout_ms, 90000);
	assert_int_equal(t->n_data, 2);
	assert_string_equal(t->data[0].name, "db");
	assert_string_equal(t->data[0].dump, "sqlite3 /srv/app.db .dump");
	assert_string_equal(t->data[0].restore, "/bin/load");
	assert_int_equal(t->data[0].timeout_ms, 0);
	assert_int_equal(t->data[1].timeout_ms, 30 * 60 * 1000);
	assert_int_equal(config_find_target(cfg, "other")->hooks.timeout_ms, 2000);
	assert_int_equal(config_find_target(cfg, "other")->n_data, 0);
	config_free(&cfg);
}

static void test_error_data(void **state)
{
	(void)state;
	char *msg = load_fails(
		"targets:\n"
		"  app:\n"
		GIT
		"    path: /srv/app\n"
		"    hooks: { timeout: 0s }\n"
		"    data:\n"
		"      - { name: db, dump: x }\n"
		"      - { name: \"../x\", dump: x, restore: y }\n"
		"      - { name: a, dump: x, restore: y, when: always }\n"
		"      - just a string\n",
		UP_ERR_CONFIG);
	assert_case_error(msg, 5, 23, "targets.app.hooks.timeout: 0s is out of range");
	assert_case_error(msg, 7, 9, "targets.app.data[0]: missing required key \"restore\"");
	assert_case_error(msg, 8, 17, "targets.app.data[1].name: invalid name \"../x\"");
	assert_case_error(msg, 9, 41, "targets.app.data[2]: unknown key \"when\"");
	assert_case_error(msg, 10, 9, "targets.app.data[3]: expected a mapping");
	assert_int_equal(count_lines(msg), 5);
	free(msg);
}

static void test_error_regex(void **state)
{
	char *msg = load_fails(
		"targets:\n"
		"  noregex:\n"
		"    source: { git: /srv/git/a, scheme: regex }\n"
		"    path: /srv/a\n"
		"  stray:\n"
		"    source: { git: /srv/git/b, regex: \"v([0-9]+)\" }\n"
		"    path: /srv/b\n"
		"  broken:\n"
		"    source: { git: /srv/git/c, scheme: regex, regex: \"v([0-9]+\" }\n"
		"    path: /srv/c\n"
		"  nogroup:\n"
		"    source: { git: /srv/git/d, scheme: regex, regex: \"v[0-9]+\" }\n"
		"    path: /srv/d\n", UP_ERR_CONFIG);
	assert_case_error(msg, 3, 32, "targets.noregex.source: missing required key \"regex\" "
			  "for scheme regex");
	assert_case_error(msg, 6, 32, "targets.stray.source.regex: only used with scheme regex "
			  "(expected no regex with scheme semver)");
	assert_case_error(msg, 9, 54, "targets.broken.source.regex: regex \"v([0-9]+\" is "
			  "invalid");
	assert_case_error(msg, 12, 54, "targets.nogroup.source.regex: regex \"v[0-9]+\" has no "
			  "capture group");
	assert_int_equal(count_lines(msg), 4);
	free(msg);
}

static void test_error_conflicts(void **state)
{
	char *msg = load_fails(
		"defaults:\n"
		"  timeout: 10s\n"
		"  limits: { timeout: 20s }\n"
		"targets:\n"
		"  a:\n"
		GIT
		"    path: /srv/same\n"
		"    verify: { signatures: required }\n"
		"  b:\n"
		GIT
		"    path: /srv/same/\n", UP_ERR_CONFIG);
	assert_case_error(msg, 3, 13, "defaults: both timeout and limits.timeout are given");
	assert_case_error(msg, 5, 3, "targets.a: verify.signatures is required but neither "
			  "allowed_signers nor keyring is set");
	assert_case_error(msg, 9, 3, "targets.b.path: same directory as target a at line 5");
	assert_int_equal(count_lines(msg), 3);
	free(msg);
}

static void test_error_too_deep(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "targets: ");
	for (int i = 0; i < 100; i++)
		strbuf_addch(&sb, '[');
	for (int i = 0; i < 100; i++)
		strbuf_addch(&sb, ']');
	strbuf_addch(&sb, '\n');
	char *msg = load_fails(sb.buf, UP_ERR_CONFIG);
	assert_case_error(msg, 1, 73, "nesting deeper than 64 levels");
	free(msg);
	strbuf_release(&sb);
}

/* ------------------------------------------------------------------ many errors */

static void test_all_errors_reported(void **state)
{
	/* targets come first: the sections are checked in another order than
	 * they appear, and the messages are still sorted by position */
	char *msg = load_fails(
		"targets:\n"                                 /* 1 */
		"  app:\n"                                   /* 2 */
		"    source: { git: \"ftp://x/y\" }\n"       /* 3 */
		"    path: apps/app\n"                       /* 4 */
		"    colour: red\n"                          /* 5 */
		"  other:\n"                                 /* 6 */
		"    path: /srv/other\n"                     /* 7 */
		"defaults:\n"                                /* 8 */
		"  backup: { compression: 0 }\n"             /* 9 */
		"state_dir: relative\n", UP_ERR_CONFIG);     /* 10 */
	assert_int_equal(count_lines(msg), 6);
	assert_all_lines_shaped(msg);
	char *file = xasprintf("%s/case.yaml", tmpdir);
	char *want = xasprintf(
		"%1$s:3:20: targets.app.source.git: unsupported URL scheme \"ftp://\" (expected a "
		"repository: file://, http://, https://, ssh://, git:// URL, user@host:path or a "
		"directory path)\n"
		"%1$s:4:11: targets.app.path: \"apps/app\" is a relative path (expected an absolute "
		"path starting with /)\n"
		"%1$s:5:5: targets.app: unknown key \"colour\" (expected one of: source, path, layout, "
		"keep_releases, channel, preserve, data, hooks, health, policy, verify, retention, backup, drill, "
		"flags, limits, notify)\n"
		"%1$s:6:3: targets.other: missing required key \"source\" (expected a mapping with "
		"git: URL)\n"
		"%1$s:9:26: defaults.backup.compression: 0 is out of range (expected an integer from 1 "
		"to 19)\n"
		"%1$s:10:12: state_dir: \"relative\" is a relative path (expected an absolute path "
		"starting with /)",
		file);
	assert_string_equal(msg, want);
	free(want);
	free(file);
	free(msg);
}

static void test_error_cap(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 150; i++)
		strbuf_addf(&sb, "k%d: 1\n", i);
	char *msg = load_fails(sb.buf, UP_ERR_CONFIG);
	assert_int_equal(count_lines(msg), 101);
	assert_case_error(msg, 100, 1, "unknown key \"k99\"");
	assert_non_null(strstr(msg, "case.yaml: 50 more errors not shown"));
	free(msg);
	strbuf_release(&sb);
}

/* ------------------------------------------------------------------ paths */

/* The non-root rules; NULL or what is wrong. Plain checks, no cmocka
 * assertions: it also runs in a forked child. */
static char *user_paths_problem(void)
{
	char *empty = xasprintf("%s/xdg-empty", tmpdir), *xdg = xasprintf("%s/xdg", tmpdir);
	char *user = xasprintf("%s/upkeep/upkeep.yaml", xdg);
	setenv("HOME", "/home/u", 1);
	setenv("XDG_STATE_HOME", "/x/state", 1);
	setenv("XDG_CACHE_HOME", "relative/cache", 1); /* ignored: not absolute */
	setenv("XDG_CONFIG_HOME", empty, 1);           /* holds no upkeep/upkeep.yaml */
	const char *want[] = { "/x/state/upkeep", "/home/u/.cache/upkeep",
			       SYSCONFDIR "/upkeep/upkeep.yaml", "/home/u/.local/state/upkeep",
			       user, "/home/u/.config/upkeep/upkeep.yaml" };
	char *got[6];
	got[0] = paths_default_state_dir();
	got[1] = paths_default_cache_dir();
	got[2] = paths_default_config();
	unsetenv("XDG_STATE_HOME");
	got[3] = paths_default_state_dir();
	setenv("XDG_CONFIG_HOME", xdg, 1);             /* the user's file exists */
	got[4] = paths_default_config();
	/* no XDG_CONFIG_HOME: ~/.config; HOME points at the same tree */
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", tmpdir, 1);
	char *home_cfg = xasprintf("%s/.config/upkeep/upkeep.yaml", tmpdir);
	want[5] = home_cfg;
	got[5] = paths_default_config();
	char *problem = NULL;
	for (size_t i = 0; i < 6; i++) {
		if (!problem && strcmp(got[i], want[i]) != 0)
			problem = xasprintf("case %zu: got %s, expected %s", i, got[i], want[i]);
		free(got[i]);
	}
	free(home_cfg);
	free(user);
	free(xdg);
	free(empty);
	return problem;
}

static void test_paths(void **state)
{
	/* user files the rules must find; readable by the unprivileged child */
	char *dir = xasprintf("%s/xdg/upkeep", tmpdir), *home = xasprintf("%s/.config/upkeep", tmpdir);
	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	assert_int_equal(util_mkdir_p(home, 0755), 0);
	assert_int_equal(chmod(tmpdir, 0755), 0);
	free(write_file("xdg/upkeep/upkeep.yaml", "", 0));
	free(write_file(".config/upkeep/upkeep.yaml", "", 0));
	free(dir);
	free(home);
	if (geteuid() != 0) {
		char *problem = user_paths_problem();
		if (problem)
			print_error("%s\n", problem);
		assert_null(problem);
		return;
	}
	char *s = paths_default_state_dir(), *c = paths_default_cache_dir();
	assert_string_equal(s, "/var/lib/upkeep");
	assert_string_equal(c, "/var/cache/upkeep");
	free(s);
	free(c);
	/* root ignores the user's files */
	char *xdg = xasprintf("%s/xdg", tmpdir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	free(xdg);
	s = paths_default_config();
	assert_string_equal(s, SYSCONFDIR "/upkeep/upkeep.yaml");
	free(s);
	/* as an ordinary user, in a child */
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		char *problem = user_paths_problem();
		if (problem)
			fprintf(stderr, "user paths: %s\n", problem);
		_exit(problem ? 1 : 0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_builtin_defaults),
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_empty_files),
		cmocka_unit_test(test_values_accepted),
		cmocka_unit_test(test_error_file_missing),
		cmocka_unit_test(test_error_too_large),
		cmocka_unit_test(test_error_syntax),
		cmocka_unit_test(test_error_wrong_type),
		cmocka_unit_test(test_error_unknown_key),
		cmocka_unit_test(test_error_duplicate_key),
		cmocka_unit_test(test_error_duplicate_target),
		cmocka_unit_test(test_error_missing_required),
		cmocka_unit_test(test_error_relative_path),
		cmocka_unit_test(test_error_url_scheme),
		cmocka_unit_test(test_error_bad_enum),
		cmocka_unit_test(test_error_out_of_range),
		cmocka_unit_test(test_error_alias),
		cmocka_unit_test(test_error_not_utf8),
		cmocka_unit_test(test_error_target_name),
		cmocka_unit_test(test_error_window),
		cmocka_unit_test(test_error_preserve),
		cmocka_unit_test(test_error_regex),
		cmocka_unit_test(test_data_and_hook_timeout),
		cmocka_unit_test(test_error_data),
		cmocka_unit_test(test_error_conflicts),
		cmocka_unit_test(test_error_too_deep),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
