/* restore_plan.c - a restore's paths, sizes and changes. */
#include "config.h"

#include "restore_plan.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive_tree.h"
#include "confvalue.h"
#include "datadump.h"
#include "escape.h"
#include "i18n.h"

/* a is b or lies below it. */
static bool under(const char *a, const char *b)
{
	size_t n = strlen(b);
	if (n && b[n - 1] == '/')
		n--;
	return !strncmp(a, b, n) && (a[n] == '\0' || a[n] == '/');
}

static int bad_path(const char *p, const char *why, struct up_error *err)
{
	char *safe = escape_text(p, (size_t)-1, 200, 0);
	err_set(err, UP_ERR_USAGE, "path \"%s\": %s", safe, why);
	free(safe);
	return -1;
}

int restore_plan_paths(const char *const *paths, size_t n, struct strvec *out,
		       struct up_error *err)
{
	for (size_t i = 0; i < n; i++) {
		/* L10N: a problem with a --path value, after the quoted path */
		const char *why = *paths[i] ? confvalue_preserve_problem(paths[i]) : _("is empty");
		if (why)
			return bad_path(paths[i], why, err);
		char *norm = confvalue_preserve_normalize(paths[i]);
		size_t len = strlen(norm);
		if (len && norm[len - 1] == '/')
			norm[len - 1] = '\0';
		if (under(norm, DATADUMP_DIR)) {
			free(norm);
			return bad_path(paths[i], _("is the data dumps' directory (restored with the "
					"whole tree only)"), err);
		}
		for (size_t j = 0; j < out->n; j++)
			if (under(norm, out->items[j]) || under(out->items[j], norm)) {
				int rc = bad_path(paths[i], _("overlaps another --path"), err);
				free(norm);
				return rc;
			}
		strvec_push_owned(out, norm);
	}
	return 0;
}

/* Sum of the file sizes below listing tree. */
static int tree_bytes(struct sqlite3 *db, int64_t tree, long long *bytes, long long *entries,
		      int depth, struct up_error *err)
{
	struct archive_entry *v = NULL;
	size_t n = 0;
	if (depth > 256)
		return err_set(err, UP_ERR_MISMATCH, _("the snapshot's tree is nested too deeply"));
	if (archive_tree_load(db, tree, &v, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		++*entries;
		if (v[i].type == ARCHIVE_FILE)
			*bytes += (long long)v[i].size;
		else if (v[i].type == ARCHIVE_DIR && v[i].subtree)
			rc = tree_bytes(db, v[i].subtree, bytes, entries, depth + 1, err);
	}
	archive_entries_free(&v, n);
	return rc;
}

/* The live parent of path: every component a directory, none a link. */
static int check_parent(const char *live, const char *path, struct up_error *err)
{
	char *dir = xstrdup(path);
	int rc = 0;
	for (char *slash = strchr(dir, '/'); slash && rc == 0; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		char *full = xasprintf("%s/%s", live, dir);
		struct stat st;
		bool missing = lstat(full, &st) < 0;
		if (missing || !S_ISDIR(st.st_mode)) {
			char *safe = escape_text(dir, (size_t)-1, 200, 0);
			rc = err_set(err, UP_ERR_USAGE,
				     _("%s in the live tree is %s; restore \"%s\" (or the whole tree) instead"),
				     safe, missing ? "missing" :
				/* L10N: what the live path is instead: "PATH in the live tree is a symbolic link" */
				     S_ISLNK(st.st_mode) ? _("a symbolic link") : _("not a directory"), safe);
			free(safe);
		}
		free(full);
		*slash = '/';
	}
	free(dir);
	return rc;
}

int restore_plan_has(struct sqlite3 *db, int64_t root, const char *path, struct up_error *err)
{
	struct archive_entry e = { 0 };
	int found = archive_tree_lookup(db, root, path, &e, err);
	archive_entry_release(&e);
	return found;
}

int restore_plan_check(struct sqlite3 *db, int64_t root, int64_t snapshot, const char *live,
		       const struct strvec *paths, long long *bytes, long long *entries,
		       struct up_error *err)
{
	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->items[i];
		struct archive_entry e = { 0 };
		int found = archive_tree_lookup(db, root, p, &e, err);
		int rc = found < 0 ? -1 : 0;
		if (found == 0) {
			char *safe = escape_text(p, (size_t)-1, 200, 0);
			rc = err_set(err, UP_ERR_NOT_FOUND, _("path \"%s\" is not in snapshot %lld"), safe,
				     (long long)snapshot);
			free(safe);
		}
		if (rc == 0)
			++*entries;
		if (rc == 0 && e.type == ARCHIVE_FILE)
			*bytes += (long long)e.size;
		else if (rc == 0 && e.type == ARCHIVE_DIR && e.subtree)
			rc = tree_bytes(db, e.subtree, bytes, entries, 0, err);
		archive_entry_release(&e);
		if (rc == 0)
			rc = check_parent(live, p, err);
		if (rc < 0)
			return -1;
	}
	return 0;
}

struct plan_diff {
	const struct strvec *only;
	char *const *skip;
	size_t n_skip;
	void (*fn)(void *, const struct diff_item *);
	void *ctx;
	struct restore_changes *out;
};

static bool wanted(const struct plan_diff *d, const char *path)
{
	if (under(path, DATADUMP_DIR))
		return false;
	for (size_t i = 0; i < d->n_skip; i++)
		if (under(path, d->skip[i]))
			return false;
	if (!d->only || !d->only->n)
		return true;
	for (size_t i = 0; i < d->only->n; i++)
		if (under(path, d->only->items[i]))
			return true;
	return false;
}

/* From "snapshot to live" to "live to snapshot": what the restore does. */
static void plan_item(void *ctx, const struct diff_item *it)
{
	struct plan_diff *d = ctx;
	if (!wanted(d, it->path))
		return;
	struct diff_item r = *it;
	r.change = it->change == DIFF_ADDED ? DIFF_REMOVED :
		   it->change == DIFF_REMOVED ? DIFF_ADDED : DIFF_CHANGED;
	r.size_delta = -it->size_delta;
	d->out->added += r.change == DIFF_ADDED;
	d->out->removed += r.change == DIFF_REMOVED;
	d->out->changed += r.change == DIFF_CHANGED;
	if (d->fn)
		d->fn(d->ctx, &r);
}

int restore_plan_diff(struct sqlite3 *db, int64_t root, const char *live,
		      const struct strvec *only, char *const *skip, size_t n_skip,
		      void (*fn)(void *, const struct diff_item *), void *ctx,
		      struct restore_changes *out, struct up_error *err)
{
	*out = (struct restore_changes){ 0 };
	struct plan_diff d = { only, skip, n_skip, fn, ctx, out };
	if (live)
		return archive_diff_live(db, root, live, plan_item, &d, err);
	/* nothing live: the trees' diff from the snapshot to nothing, inverted */
	return archive_diff_trees(db, root, 0, plan_item, &d, err);
}
