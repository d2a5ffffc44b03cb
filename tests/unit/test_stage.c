/* test_stage.c - staging untrusted release trees: the escape rules, against
 * hostile trees written as raw git objects (libgit2's tree builder would
 * refuse most of them), and the preserved-path copy. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <git2.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "stage.h"
#include "util.h"

struct fx {
	char *dir;       /* temporary directory */
	char *repo_dir;  /* bare repository */
	char *stage;     /* staging directory (not created) */
	git_repository *repo;
	git_odb *odb;
	struct stat like;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test_stage.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	f->dir = xstrdup(tmpl);
	f->repo_dir = xasprintf("%s/repo.git", f->dir);
	f->stage = xasprintf("%s/.upkeep-stage-t-1", f->dir);
	git_libgit2_init();
	assert_int_equal(git_repository_init(&f->repo, f->repo_dir, 1), 0);
	assert_int_equal(git_repository_odb(&f->odb, f->repo), 0);
	assert_int_equal(stat(f->dir, &f->like), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct up_error e = UP_ERROR_INIT;
	git_odb_free(f->odb);
	git_repository_free(f->repo);
	stage_remove_tree(f->dir, &e);
	err_clear(&e);
	free(f->dir);
	free(f->repo_dir);
	free(f->stage);
	free(f);
	git_libgit2_shutdown();
	return 0;
}

static git_oid blob(struct fx *f, const char *data)
{
	git_oid id;
	assert_int_equal(git_odb_write(&id, f->odb, data, strlen(data), GIT_OBJECT_BLOB), 0);
	return id;
}

struct ent {
	const char *mode;  /* "100644", "40000", ... */
	const char *name;
	git_oid id;
};

/* Writes a tree object byte by byte: no name or mode is validated. */
static git_oid raw_tree(struct fx *f, const struct ent *e, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&sb, "%s %s", e[i].mode, e[i].name);
		strbuf_addch(&sb, '\0');
		strbuf_add(&sb, (const char *)e[i].id.id, GIT_OID_RAWSZ);
	}
	git_oid id;
	assert_int_equal(git_odb_write(&id, f->odb, sb.buf ? sb.buf : "", sb.len, GIT_OBJECT_TREE), 0);
	strbuf_release(&sb);
	return id;
}

/* Stages tree id; returns the result, with the error message in *msg. */
static int stage(struct fx *f, git_oid id, const struct stage_limits *lim, char **msg)
{
	struct up_error e = UP_ERROR_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, &id);
	int rc = stage_write_tree(f->repo_dir, hex, f->stage, &f->like, lim, NULL, &e);
	*msg = e.msg ? xstrdup(e.msg) : NULL;
	err_clear(&e);
	return rc;
}

/* The tree is refused with a message containing why, and leaves nothing. */
static void refused(struct fx *f, git_oid id, const struct stage_limits *lim, const char *why)
{
	char *msg = NULL;
	assert_int_equal(stage(f, id, lim, &msg), -1);
	assert_non_null(msg);
	if (!strstr(msg, why))
		fail_msg("message \"%s\" lacks \"%s\"", msg, why);
	free(msg);
	struct stat st;
	assert_int_equal(lstat(f->stage, &st), -1);
}

static void test_name_rules(void **state)
{
	(void)state;
	const char *bad[] = { "", ".", "..", "a/b", "../x", ".git", ".GIT", ".Git", ".git.", ".git ",
			      ".git. .", ".git::$INDEX_ALLOCATION", "git~1", "GIT~1", "...", " " };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (!stage_name_problem(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	const char *good[] = { "a", ".gitignore", ".github", "git~2", "x.git", "..a", "a..", "readme" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (stage_name_problem(good[i]))
			fail_msg("\"%s\" refused: %s", good[i], stage_name_problem(good[i]));
	assert_non_null(stage_name_problem(NULL));
}

static void link_ok(const char *t, int depth)
{
	const char *why = stage_link_problem(t, strlen(t), depth);
	if (why)
		fail_msg("\"%s\" at depth %d refused: %s", t, depth, why);
}

static void link_bad(const char *t, int depth)
{
	if (!stage_link_problem(t, strlen(t), depth))
		fail_msg("\"%s\" at depth %d accepted", t, depth);
}

static void test_link_rules(void **state)
{
	(void)state;
	link_ok("index.html", 0);
	link_ok("./a/b", 0);
	link_ok("../x", 1);
	link_ok("../../x/y", 2);
	link_ok("..", 1);
	link_bad("", 0);
	link_bad("/etc/passwd", 3);
	link_bad("../x", 0);
	link_bad("../../x", 1);
	link_bad("a/../../x", 1);   /* ".." after a name: a symlink "a" could go anywhere */
	link_bad("a/..", 0);
	link_bad("./../x", 0);
	assert_non_null(stage_link_problem("a\0b", 3, 0));
}

static void test_good_tree(void **state)
{
	struct fx *f = *state;
	struct ent sub[] = { { "100644", "core.txt", blob(f, "core\n") } };
	struct ent top[] = {
		{ "100644", "README", blob(f, "hello\n") },
		{ "100755", "run.sh", blob(f, "#!/bin/sh\n") },
		{ "120000", "latest", blob(f, "lib/core.txt") },
		{ "40000", "lib", raw_tree(f, sub, 1) },
	};
	char *msg = NULL;
	struct stage_stats ss;
	struct up_error e = UP_ERROR_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id = raw_tree(f, top, 4);
	git_oid_tostr(hex, sizeof hex, &id);
	assert_int_equal(stage_write_tree(f->repo_dir, hex, f->stage, &f->like, NULL, &ss, &e), 0);
	assert_int_equal(ss.files, 3);
	assert_int_equal(ss.dirs, 1);
	assert_int_equal(ss.links, 1);
	char *p = xasprintf("%s/run.sh", f->stage);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	free(p);
	p = xasprintf("%s/README", f->stage);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 6);
	free(p);
	p = xasprintf("%s/latest", f->stage);
	char buf[64] = "";
	assert_int_equal(readlink(p, buf, sizeof buf - 1), 12);
	assert_string_equal(buf, "lib/core.txt");
	free(p);
	assert_int_equal(stat(f->stage, &st), 0);
	assert_int_equal(st.st_mode & 07777, f->like.st_mode & 07777);
	/* the staging directory must be fresh */
	assert_int_equal(stage(f, id, NULL, &msg), -1);
	assert_non_null(strstr(msg, "mkdir"));
	free(msg);
	err_clear(&e);
}

static void test_hostile_names(void **state)
{
	struct fx *f = *state;
	git_oid b = blob(f, "x\n");
	struct ent dotdot[] = { { "100644", "../x", b } };
	refused(f, raw_tree(f, dotdot, 1), NULL, "name with a slash");
	struct ent parent[] = { { "40000", "..", raw_tree(f, dotdot, 0) } };
	refused(f, raw_tree(f, parent, 1), NULL, "\"..\"");
	struct ent cfg[] = { { "100644", "config", b } };
	struct ent dotgit[] = { { "40000", ".GIT", raw_tree(f, cfg, 1) } };
	refused(f, raw_tree(f, dotgit, 1), NULL, ".git name");
	struct ent short8[] = { { "40000", "git~1", raw_tree(f, cfg, 1) } };
	refused(f, raw_tree(f, short8, 1), NULL, ".git name");
	struct ent trailing[] = { { "100644", ".git ", b } };
	refused(f, raw_tree(f, trailing, 1), NULL, ".git name");
	/* deep inside a directory too */
	struct ent inner[] = { { "40000", ".git", raw_tree(f, cfg, 1) } };
	struct ent outer[] = { { "40000", "a", raw_tree(f, inner, 1) } };
	refused(f, raw_tree(f, outer, 1), NULL, "a/.git");
	struct ent twins[] = { { "100644", "README", b }, { "100644", "readme", b } };
	refused(f, raw_tree(f, twins, 2), NULL, "differ only in case");
}

static void test_hostile_links(void **state)
{
	struct fx *f = *state;
	struct ent abs[] = { { "120000", "etc", blob(f, "/etc") } };
	refused(f, raw_tree(f, abs, 1), NULL, "absolute symlink");
	struct ent up[] = { { "120000", "up", blob(f, "../outside") } };
	refused(f, raw_tree(f, up, 1), NULL, "leads outside");
	struct ent deeper[] = { { "120000", "l", blob(f, "../../x") } };
	struct ent dir1[] = { { "40000", "d", raw_tree(f, deeper, 1) } };
	refused(f, raw_tree(f, dir1, 1), NULL, "d/l refused: symlink target leads outside");
	/* a chain: s points up to the root (fine), l climbs again after s */
	struct ent chain[] = { { "120000", "l", blob(f, "s/../../x") }, { "120000", "s", blob(f, "..") } };
	struct ent dir2[] = { { "40000", "d", raw_tree(f, chain, 2) } };
	refused(f, raw_tree(f, dir2, 1), NULL, "after a name");
	struct ent nul[] = { { "120000", "n", { { 0 } } } };
	assert_int_equal(git_odb_write(&nul[0].id, f->odb, "a\0b", 3, GIT_OBJECT_BLOB), 0);
	refused(f, raw_tree(f, nul, 1), NULL, "NUL");
}

static void test_odd_modes(void **state)
{
	struct fx *f = *state;
	git_oid b = blob(f, "x\n");
	struct ent group[] = { { "100664", "f", b } };
	refused(f, raw_tree(f, group, 1), NULL, "unsupported mode 100664");
	struct ent setuid[] = { { "104755", "f", b } };
	refused(f, raw_tree(f, setuid, 1), NULL, "unsupported mode");
	struct ent gitlink[] = { { "160000", "sub", b } };
	refused(f, raw_tree(f, gitlink, 1), NULL, "submodule");
}

static void test_limits(void **state)
{
	struct fx *f = *state;
	git_oid b = blob(f, "0123456789\n");
	struct ent three[] = { { "100644", "a", b }, { "100644", "b", b }, { "100644", "c", b } };
	struct stage_limits entries = { 2, 10, 1000 };
	refused(f, raw_tree(f, three, 3), &entries, "more entries");
	struct stage_limits bytes = { 100, 10, 25 };
	refused(f, raw_tree(f, three, 3), &bytes, "size limit");
	struct ent leaf[] = { { "100644", "a", b } };
	git_oid t = raw_tree(f, leaf, 1);
	for (int i = 0; i < 5; i++) {
		struct ent d[] = { { "40000", "d", t } };
		t = raw_tree(f, d, 1);
	}
	struct stage_limits depth = { 100, 3, 1000 };
	refused(f, t, &depth, "deeper");
	char *msg = NULL;
	struct stage_limits enough = { 100, 6, 1000 };
	assert_int_equal(stage(f, t, &enough, &msg), 0);
	free(msg);
}

static void write_file(const char *path, const char *data)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(data, fp);
	fclose(fp);
}

static char *read_all(const char *path)
{
	char buf[256] = "";
	FILE *fp = fopen(path, "r");
	if (!fp)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return xstrdup(buf);
}

static void test_carry_preserved(void **state)
{
	struct fx *f = *state;
	char *live = xasprintf("%s/live", f->dir);
	char *p = xasprintf("%s/data/sub", live);
	assert_int_equal(util_mkdir_p(p, 0750), 0);
	free(p);
	p = xasprintf("%s/conf", live);
	assert_int_equal(util_mkdir_p(p, 0755), 0);
	free(p);
	p = xasprintf("%s/data/sub/users.db", live);
	write_file(p, "users\n");
	assert_int_equal(chmod(p, 0600), 0);
	free(p);
	p = xasprintf("%s/conf/local.php", live);
	write_file(p, "production\n");
	free(p);
	p = xasprintf("%s/data/link", live);
	assert_int_equal(symlink("sub/users.db", p), 0);
	free(p);
	/* the release ships its own conf/local.php */
	struct ent conf[] = { { "100644", "local.php", blob(f, "default\n") } };
	struct ent top[] = { { "40000", "conf", raw_tree(f, conf, 1) } };
	char *msg = NULL;
	assert_int_equal(stage(f, raw_tree(f, top, 1), NULL, &msg), 0);
	char *paths[] = { (char *)"data/", (char *)"conf/local.php", (char *)"missing/x" };
	struct up_error e = UP_ERROR_INIT;
	assert_int_equal(stage_carry_preserved(live, f->stage, paths, 3, &e), 0);
	p = xasprintf("%s/conf/local.php", f->stage);
	char *got = read_all(p);
	assert_string_equal(got, "production\n");
	free(got);
	free(p);
	p = xasprintf("%s/data/sub/users.db", f->stage);
	got = read_all(p);
	assert_string_equal(got, "users\n");
	free(got);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	free(p);
	p = xasprintf("%s/data/sub", f->stage);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	free(p);
	p = xasprintf("%s/data/link", f->stage);
	char buf[64] = "";
	assert_int_equal(readlink(p, buf, sizeof buf - 1), 12);
	free(p);
	/* copies: the live tree still has everything */
	p = xasprintf("%s/data/sub/users.db", live);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
	/* a release that makes a preserved parent a symlink is not followed */
	assert_int_equal(stage_remove_tree(f->stage, &e), 0);
	struct ent evil[] = { { "120000", "data", blob(f, "conf") } };
	assert_int_equal(stage(f, raw_tree(f, evil, 1), NULL, &msg), 0);
	char *deep[] = { (char *)"data/sub/users.db" };
	assert_int_equal(stage_carry_preserved(live, f->stage, deep, 1, &e), -1);
	assert_non_null(strstr(e.msg, "staging"));
	err_clear(&e);
	free(live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_link_rules),
		cmocka_unit_test_setup_teardown(test_good_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_carry_preserved, setup, teardown),
	};
	return cmocka_run_group_tests_name("stage", tests, NULL, NULL);
}
