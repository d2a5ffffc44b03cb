/* browse.c - the snapshot file browser's data: listings from the archive
 * index (read-only, one directory at a time) and the live-tree marks. */
#include "config.h"

#include "browse.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "archive_snap.h"
#include "upkeep.h"
#include "worker.h"

static void browse_free(struct browse **bp)
{
	struct browse *b = *bp;
	if (!b)
		return;
	archive_entries_free(&b->entries, b->n);
	archive_index_close(&b->idx);
	free(b->target);
	free(b->path);
	free(b->error);
	free(b->diff_error);
	FREE(*bp);
}

/* Reads the listing of b->path into b->entries. */
static void load_dir(struct browse *b)
{
	struct up_error e = UP_ERROR_INIT;
	struct archive_entry dir = { 0 };
	archive_entries_free(&b->entries, b->n);
	b->n = 0;
	FREE(b->error);
	b->ps = (struct pane_state){ 0 };
	int found = archive_tree_lookup(archive_index_db(b->idx), b->root, b->path, &dir, &e);
	if (found > 0 && dir.type == ARCHIVE_DIR)
		archive_tree_load(archive_index_db(b->idx), dir.subtree, &b->entries, &b->n, &e);
	else if (found == 0)
		err_set(&e, UP_ERR_NOT_FOUND, _("%s: not in the snapshot"), b->path);
	if (e.status != UP_OK)
		b->error = xstrdup(e.msg ? e.msg : err_status_name(e.status));
	err_clear(&e);
	archive_entry_release(&dir);
}

void browse_open(struct ui *ui, int64_t snapshot, const char *target)
{
	struct browse *b = xcalloc(1, sizeof(*b));
	struct up_error e = UP_ERROR_INIT;
	struct snapshot_info si = { 0 };
	b->snapshot = snapshot;
	b->target = xstrdup(target);
	b->path = xstrdup("");
	char *dir = archive_dir_for(ui->cfg->state_dir);
	if (archive_index_open(dir, UPKEEP_LOCK_TIMEOUT_MS, &b->idx, &e) < 0 ||
	    archive_snapshot_get(b->idx, snapshot, &si, &e) < 0) {
		b->error = xstrdup(e.msg ? e.msg : err_status_name(e.status));
	} else {
		b->root = si.root;
		load_dir(b);
		b->diff_job = jobs_submit_diff(ui->quick, target, snapshot, &e);
		if (b->diff_job < 0) {
			b->diff_job = 0;
			b->diff_error = xstrdup(e.msg ? e.msg : err_status_name(e.status));
		} else {
			char *label = xasprintf(_("compare snapshot %lld"), (long long)snapshot);
			model_task_add(&ui->model, b->diff_job, "diff", target, label);
			free(label);
		}
	}
	err_clear(&e);
	free(dir);
	snapshot_info_clear(&si);
	browse_free(&ui->browse);
	ui->browse = b;
	ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

void browse_close(struct ui *ui)
{
	browse_free(&ui->browse);
	ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

char *browse_selected_path(const struct browse *b)
{
	if (!b || b->ps.sel >= b->n)
		return NULL;
	const char *name = b->entries[b->ps.sel].name;
	return *b->path ? xasprintf("%s/%s", b->path, name) : xstrdup(name);
}

void browse_enter(struct ui *ui)
{
	struct browse *b = ui->browse;
	if (!b || b->ps.sel >= b->n || b->entries[b->ps.sel].type != ARCHIVE_DIR)
		return;
	char *path = browse_selected_path(b);
	free(b->path);
	b->path = path;
	load_dir(b);
	ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

void browse_up(struct ui *ui)
{
	struct browse *b = ui->browse;
	if (!b || !*b->path)
		return;
	char *slash = strrchr(b->path, '/');
	char *child = xstrdup(slash ? slash + 1 : b->path);
	if (slash)
		*slash = '\0';
	else
		b->path[0] = '\0';
	load_dir(b);
	long i = archive_tree_find(b->entries, b->n, child, strlen(child));
	if (i >= 0)
		b->ps.sel = (size_t)i;
	free(child);
	ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

void browse_move(struct ui *ui, long delta, int to_end)
{
	struct browse *b = ui->browse;
	if (!b || b->n == 0)
		return;
	size_t sel = b->ps.sel;
	if (to_end > 0)
		sel = b->n - 1;
	else if (to_end < 0)
		sel = 0;
	else if (delta < 0)
		sel = (size_t)-delta > sel ? 0 : sel - (size_t)-delta;
	else
		sel = sel + (size_t)delta >= b->n ? b->n - 1 : sel + (size_t)delta;
	if (sel != b->ps.sel) {
		b->ps.sel = sel;
		ui->dirty |= DIRTY_BODY;
	}
}

void browse_diff_result(struct ui *ui, int64_t job, const struct diff_view *d, const char *error)
{
	struct browse *b = ui->browse;
	if (!b || job != b->diff_job)
		return;
	b->diff = d;
	if (d && d->error)
		error = d->error;
	if (error) {
		free(b->diff_error);
		b->diff_error = xstrdup(error);
	}
	ui->dirty |= DIRTY_BODY;
}

/* path equals p, or lies under it. */
static bool under(const char *path, const char *p, size_t len)
{
	return len == 0 || (strncmp(path, p, len) == 0 && (path[len] == '\0' || path[len] == '/'));
}

static bool any_under(const struct strvec *v, const char *p, size_t len, bool strict)
{
	for (size_t i = 0; i < v->n; i++)
		if (under(v->items[i], p, len) && !(strict && v->items[i][len] == '\0'))
			return true;
	return false;
}

static bool contains(const struct strvec *v, const char *p)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->items[i], p) == 0)
			return true;
	return false;
}

enum browse_mark browse_mark_of(const struct browse *b, const char *path)
{
	const struct diff_view *d = b->diff;
	if (!d || d->error)
		return MARK_UNKNOWN;
	size_t len = strlen(path);
	if (contains(&d->removed, path))
		return MARK_MISSING;
	if (contains(&d->changed, path))
		return MARK_CHANGED;
	if (any_under(&d->added, path, len, true) || any_under(&d->removed, path, len, true) ||
	    any_under(&d->changed, path, len, true))
		return MARK_INSIDE;
	return MARK_SAME;
}

static size_t count_under(const struct strvec *v, const char *p)
{
	size_t n = 0, len = strlen(p);
	for (size_t i = 0; i < v->n; i++)
		n += under(v->items[i], p, len);
	return n;
}

void browse_diff_counts(const struct browse *b, const char *path, size_t *added,
			size_t *removed, size_t *changed)
{
	const struct diff_view *d = b->diff;
	*added = *removed = *changed = 0;
	if (!d)
		return;
	*added = count_under(&d->added, path);
	*removed = count_under(&d->removed, path);
	*changed = count_under(&d->changed, path);
}
