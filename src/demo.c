/* demo.c - builds the demo with libgit2: two applications with a history of
 * tagged releases, each installed at an old release and adopted. */
#include "config.h"

#include "demo.h"

#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "conf.h"
#include "source.h"
#include "store.h"
#include "upkeep.h"
#include "util.h"

#define DEMO_MARKER ".upkeep-demo"
#define DEMO_EPOCH 1704880800LL /* 2024-01-10 10:00 UTC */
#define DAY 86400LL

struct demo_file {
	const char *path;
	const char *content; /* NULL deletes the file */
	unsigned mode;       /* 0100644 or 0100755 */
};

struct demo_commit {
	int day;             /* days after DEMO_EPOCH */
	const char *subject;
	struct demo_file files[4];
	const char *tag;     /* NULL = no tag */
	const char *tag_message;
};

#define SCRIPT(v) "#!/bin/sh\n# notekeeper - a tiny note service\n" \
	"case \"$1\" in --health) echo ok ;; *) echo \"notekeeper " v "\" ;; esac\n"

static const struct demo_commit notekeeper[] = {
	{ 0, "Initial import", { { "README.md", "# notekeeper\n\nKeeps notes.\n", 0100644 },
	  { "bin/notekeeper", SCRIPT("1.0.0"), 0100755 },
	  { "conf/defaults.conf", "listen = 127.0.0.1:8080\n", 0100644 } }, NULL, NULL },
	{ 2, "Add the search page", { { "lib/search.sh", "search() { grep -r \"$1\" data/; }\n", 0100644 } },
	  "v1.0.0", "notekeeper 1.0.0\n\nFirst stable release.\n" },
	{ 9, "Fix a crash on empty notes", { { "bin/notekeeper", SCRIPT("1.0.1"), 0100755 } },
	  "v1.0.1", "notekeeper 1.0.1\n\nFixes a crash when a note is empty.\n" },
	{ 20, "Escape note titles in the index page", { { "lib/render.sh", "render() { printf '%s' \"$1\" | sed 's/</\\&lt;/g'; }\n", 0100644 } }, NULL, NULL },
	{ 21, "Add tags to notes", { { "bin/notekeeper", SCRIPT("1.1.0"), 0100755 } },
	  "v1.1.0", "notekeeper 1.1.0\n\nNotes can carry tags. Titles are escaped in the index\npage (stored XSS).\n\nSecurity: CVE-2024-31337\n" },
	{ 40, "Switch the storage format to one file per note", { { "lib/store.sh", "store() { cat > \"data/$1.md\"; }\n", 0100644 },
	  { "bin/notekeeper", SCRIPT("2.0.0-rc1"), 0100755 } },
	  "v2.0.0-rc1", "notekeeper 2.0.0-rc1\n\nRelease candidate for 2.0.\n" },
	{ 48, "Migrate notes on first start", { { "bin/notekeeper", SCRIPT("2.0.0"), 0100755 },
	  { "README.md", "# notekeeper\n\nKeeps notes, one file each.\n", 0100644 } },
	  "v2.0.0", "notekeeper 2.0.0\n\nOne file per note; notes are migrated on first start.\n" },
};

static const struct demo_commit wiki[] = {
	{ 5, "Import the wiki engine", { { "doku.php", "<?php echo 'wiki';\n", 0100644 },
	  { "conf/dokuwiki.php", "<?php $conf['title'] = 'Wiki';\n", 0100644 } },
	  "release-2024-01-15", "Wiki release 2024-01-15\n" },
	{ 30, "New editor toolbar", { { "lib/toolbar.js", "export const toolbar = [];\n", 0100644 } },
	  "release-2024-02-09", "Wiki release 2024-02-09\n\nA new editor toolbar.\n" },
	{ 33, "Fix the toolbar in old browsers", { { "lib/toolbar.js", "export const toolbar = [] ;\n", 0100644 } },
	  "release-2024-02-09a", "Wiki release 2024-02-09a\n\nHotfix for the toolbar.\n" },
};

struct demo_app {
	const char *name;
	const struct demo_commit *commits;
	size_t n_commits;
	const char *installed_tag;
	const char *yaml_source;  /* the source: line's scheme part */
	const char *data_file;    /* a file under data/ (preserved) */
	const char *health;       /* health command relative to the app, or NULL */
};

static const struct demo_app apps[] = {
	{ "notekeeper", notekeeper, sizeof(notekeeper) / sizeof(notekeeper[0]), "v1.0.0",
	  "scheme: semver", "data/shopping.md", "bin/notekeeper --health" },
	{ "wiki", wiki, sizeof(wiki) / sizeof(wiki[0]), "release-2024-01-15",
	  "scheme: date, tags: \"release-*\"", "data/pages/start.txt", NULL },
};

static int git_err(struct up_error *err, const char *what)
{
	const git_error *e = git_error_last();
	return err_set(err, UP_ERR_IO, "demo: %s: %s", what, e && e->message ? e->message : "libgit2 error");
}

/* The working state of a demo application's files as commits are replayed. */
struct file_set {
	struct demo_file files[16];
	size_t n;
};

static void file_set_apply(struct file_set *fs, const struct demo_file *f)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(fs->files[i].path, f->path) == 0) {
			if (f->content)
				fs->files[i] = *f;
			else
				fs->files[i] = fs->files[--fs->n];
			return;
		}
	}
	if (f->content && fs->n < sizeof(fs->files) / sizeof(fs->files[0]))
		fs->files[fs->n++] = *f;
}

static int write_tree(git_repository *repo, const struct file_set *fs, git_oid *tree,
		      struct up_error *err)
{
	git_index *idx = NULL;
	if (git_index_new(&idx) < 0)
		return git_err(err, "index");
	for (size_t i = 0; i < fs->n; i++) {
		git_index_entry e;
		memset(&e, 0, sizeof(e));
		e.path = fs->files[i].path;
		e.mode = fs->files[i].mode;
		if (git_blob_create_from_buffer(&e.id, repo, fs->files[i].content,
						strlen(fs->files[i].content)) < 0 ||
		    git_index_add(idx, &e) < 0) {
			git_index_free(idx);
			return git_err(err, "add file");
		}
	}
	int rc = git_index_write_tree_to(tree, idx, repo);
	git_index_free(idx);
	return rc < 0 ? git_err(err, "write tree") : 0;
}

static int write_file(const char *root, const struct demo_file *f, struct up_error *err)
{
	char *path = xasprintf("%s/%s", root, f->path);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	int rc = util_mkdir_p(path, 0755);
	*slash = '/';
	FILE *fp = rc == 0 ? fopen(path, "w") : NULL;
	if (!fp) {
		rc = err_set(err, UP_ERR_IO, "demo: %s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	fputs(f->content, fp);
	rc = fclose(fp) == 0 && chmod(path, f->mode & 0777) == 0 ? 0
		: err_set(err, UP_ERR_IO, "demo: %s: %s", path, strerror(errno));
	free(path);
	return rc;
}

/* Creates the app's bare repository and writes its installed tree. */
static int build_app(const char *dir, const struct demo_app *app, struct up_error *err)
{
	char *repo_dir = xasprintf("%s/%s.git", dir, app->name);
	git_repository *repo = NULL;
	int rc = git_repository_init(&repo, repo_dir, 1);
	free(repo_dir);
	if (rc < 0)
		return git_err(err, "init repository");
	struct file_set fs = { .n = 0 }, installed = { .n = 0 };
	git_oid parent, commit, tree, tag;
	bool has_parent = false;
	for (size_t i = 0; rc == 0 && i < app->n_commits; i++) {
		const struct demo_commit *c = &app->commits[i];
		for (size_t f = 0; f < 4 && c->files[f].path; f++)
			file_set_apply(&fs, &c->files[f]);
		git_signature *sig = NULL;
		git_tree *t = NULL;
		git_commit *p = NULL;
		rc = write_tree(repo, &fs, &tree, err);
		if (rc == 0 && (git_signature_new(&sig, "Demo Maintainer", "maintainer@demo.invalid",
						   DEMO_EPOCH + c->day * DAY, 0) < 0 ||
				git_tree_lookup(&t, repo, &tree) < 0 ||
				(has_parent && git_commit_lookup(&p, repo, &parent) < 0)))
			rc = git_err(err, "prepare commit");
		const git_commit *parents[1] = { p };
		if (rc == 0 && git_commit_create(&commit, repo, "refs/heads/main", sig, sig, NULL,
						 c->subject, t, has_parent ? 1 : 0, parents) < 0)
			rc = git_err(err, "commit");
		git_object *obj = NULL;
		if (rc == 0 && c->tag &&
		    (git_object_lookup(&obj, repo, &commit, GIT_OBJECT_COMMIT) < 0 ||
		     git_tag_create(&tag, repo, c->tag, obj, sig, c->tag_message, 0) < 0))
			rc = git_err(err, "tag");
		if (rc == 0 && c->tag && strcmp(c->tag, app->installed_tag) == 0)
			installed = fs;
		git_object_free(obj);
		git_commit_free(p);
		git_tree_free(t);
		git_signature_free(sig);
		parent = commit;
		has_parent = true;
	}
	if (rc == 0 && git_repository_set_head(repo, "refs/heads/main") < 0)
		rc = git_err(err, "set HEAD");
	git_repository_free(repo);

	char *app_dir = xasprintf("%s/%s", dir, app->name);
	for (size_t i = 0; rc == 0 && i < installed.n; i++)
		rc = write_file(app_dir, &installed.files[i], err);
	struct demo_file data = { app->data_file, "Local data: kept across every update.\n", 0100644 };
	if (rc == 0)
		rc = write_file(app_dir, &data, err);
	free(app_dir);
	return rc;
}

static int write_config(const char *dir, const char *path, struct up_error *err)
{
	FILE *fp = fopen(path, "w");
	if (!fp)
		return err_set(err, UP_ERR_IO, "demo: %s: %s", path, strerror(errno));
	fprintf(fp, "# upkeep demo configuration, written by `upkeep --demo`.\n"
		"state_dir: %s/state\ncache_dir: %s/cache\n\ntargets:\n", dir, dir);
	for (size_t i = 0; i < sizeof(apps) / sizeof(apps[0]); i++) {
		fprintf(fp, "  %s:\n    source: { git: \"file://%s/%s.git\", %s }\n"
			"    path: %s/%s\n    channel: stable\n    preserve: [data/]\n",
			apps[i].name, dir, apps[i].name, apps[i].yaml_source, dir, apps[i].name);
		if (apps[i].health)
			fprintf(fp, "    health: { command: \"%s/%s/%s\", timeout: 10s }\n", dir,
				apps[i].name, apps[i].health);
	}
	return fclose(fp) == 0 ? 0 : err_set(err, UP_ERR_IO, "demo: %s: %s", path, strerror(errno));
}

/* The directory must be new, empty, or an earlier demo (then replaced). */
static int prepare_dir(const char *dir, struct up_error *err)
{
	if (mkdir(dir, 0755) == 0 || (errno == EEXIST && rmdir(dir) == 0 && mkdir(dir, 0755) == 0))
		return 0;
	char *marker = xasprintf("%s/" DEMO_MARKER, dir);
	bool earlier = access(marker, F_OK) == 0;
	free(marker);
	if (!earlier)
		return err_set(err, UP_ERR_USAGE, "demo: %s exists and is not empty (and not an earlier demo); "
			       "choose a new directory", dir);
	char *cmd = xasprintf("rm -rf -- '%s'", dir);
	int rc = strchr(dir, '\'') ? -1 : system(cmd);
	free(cmd);
	if (rc != 0 || mkdir(dir, 0755) < 0)
		return err_set(err, UP_ERR_IO, "demo: cannot replace the earlier demo in %s", dir);
	return 0;
}

int demo_create(const char *dir_arg, char **config_path, struct up_error *err)
{
	source_global_init();
	if (prepare_dir(dir_arg, err) < 0)
		return -1;
	char dir[PATH_MAX];
	if (!realpath(dir_arg, dir))
		return err_set(err, UP_ERR_IO, "demo: %s: %s", dir_arg, strerror(errno));
	char *marker = xasprintf("%s/" DEMO_MARKER, dir);
	FILE *fp = fopen(marker, "w");
	free(marker);
	if (fp)
		fclose(fp);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(apps) / sizeof(apps[0]); i++)
		rc = build_app(dir, &apps[i], err);
	char *path = xasprintf("%s/upkeep.yaml", dir);
	if (rc == 0)
		rc = write_config(dir, path, err);

	struct config *cfg = NULL;
	struct store *s = NULL;
	if (rc == 0 && (rc = config_load(path, &cfg, err)) == 0)
		rc = store_open(cfg->state_dir, UPKEEP_LOCK_TIMEOUT_MS, &s, err);
	for (size_t i = 0; rc == 0 && i < cfg->n_targets; i++) {
		struct strvec diffs = STRVEC_INIT;
		rc = adopt_target(cfg, &cfg->targets[i], s, apps[i].installed_tag, &diffs, err);
		strvec_clear(&diffs);
	}
	store_close(&s);
	config_free(&cfg);
	if (rc < 0) {
		free(path);
		return -1;
	}
	*config_path = path;
	return 0;
}
