/* preflight.c - resolving the release and the checks before an install. */
#include "config.h"

#include "preflight.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "adopt.h"
#include "asset.h"
#include "asset_tree.h"
#include "confvalue.h"
#include "escape.h"
#include "fetch_guard.h"
#include "hooks.h"
#include "i18n.h"
#include "source.h"
#include "stage.h"
#include "swap.h"
#include "version.h"
#include "yamltree.h"

#define REQUIREMENTS_FILE ".upkeep.yaml"
#define REQUIREMENTS_MAX (64 * 1024)

void release_plan_clear(struct release_plan *p)
{
	free(p->tag);
	free(p->version);
	free(p->commit);
	free(p->tree);
	free(p->cache_dir);
	free(p->asset_trees);
	free(p->from_version);
	free(p->archive_dir);
	free(p->from_tag);
	free(p->first_object);
	free(p->highest);
	tag_trust_clear(&p->trust);
	strvec_clear(&p->drift);
	strvec_clear(&p->notes);
	*p = (struct release_plan){ 0 };
}

int preflight_compare_versions(const struct target_cfg *t, const char *a, const char *b)
{
	struct version_parser vp;
	if (version_parser_init(&vp, t->source.scheme, t->source.prefix, t->source.regex, NULL) < 0)
		return 2;
	struct version va, vb;
	int rc = 2;
	if (version_parse(&vp, a, &va)) {
		if (version_parse(&vp, b, &vb)) {
			rc = version_compare(&va, &vb);
			rc = rc < 0 ? -1 : rc > 0;
			version_free(&vb);
		}
		version_free(&va);
	}
	version_parser_free(&vp);
	return rc;
}

static int fetch_release(const struct target_cfg *t, const char *cache_dir, const char *tag,
			 const char *from_tag, struct up_error *err)
{
	struct source_limits lim = {
		.deadline_ms = util_monotonic_ms() + t->limits.fetch_ms,
		.max_bytes = t->limits.fetch_bytes,
	};
	const char *want[2] = { tag, from_tag };
	size_t n = from_tag && strcmp(from_tag, tag) != 0 && source_tag_name_ok(from_tag) ? 2 : 1;
	return fetch_guard_tags(cache_dir, t->source.git, want, n, &lim, t->limits.fetch_ms, err);
}

/* Reads the tag's object once: verifies it and peels that same object to
 * its commit and tree, so that what is installed is what was verified. */
static int read_verified(const struct target_cfg *t, struct source_cache *cache,
			 struct release_plan *p, struct tag_details *d, struct up_error *err)
{
	char *raw = NULL;
	size_t len = 0;
	if (source_tag_raw(cache, p->tag, p->object, &raw, &len, err) < 0)
		return -1;
	struct tagverify *tv = tagverify_new(t);
	tagverify_object(tv, p->tag, raw, len, &p->trust);
	tagverify_free(&tv);
	free(raw);
	return source_object_details(cache, p->object, d, err);
}

int preflight_resolve(const struct config *cfg, const struct target_cfg *t,
		      const struct target_state *ts, const char *version, struct release_plan *p,
		      struct up_error *err)
{
	if (ts->installed_version)
		p->from_version = xstrdup(ts->installed_version);
	if (ts->installed_tag)
		p->from_tag = xstrdup(ts->installed_tag);
	if (adopt_find_release(t, version, &p->tag, err) < 0)
		return -1;
	p->version = adopt_version_of(t, p->tag);
	p->cache_dir = source_cache_dir(cfg, t);
	if (t->source.asset.url)
		p->asset_trees = asset_tree_dir(cfg, t);
	struct source_cache *cache = NULL;
	struct tag_details d = { 0 };
	int rc = source_cache_open(p->cache_dir, &cache, err);
	if (rc == 0)
		rc = fetch_release(t, p->cache_dir, p->tag, p->from_tag, err);
	if (rc == 0)
		rc = read_verified(t, cache, p, &d, err);
	if (rc == 0) {
		p->commit = xstrdup(d.commit);
		p->tree = xstrdup(d.tree);
		rc = stage_tree_size(p->cache_dir, p->tree, NULL, &p->bytes, &p->entries, err);
	}
	tag_details_free(&d);
	source_cache_close(&cache);
	if (rc == 0 && p->from_version) {
		int c = preflight_compare_versions(t, p->version, p->from_version);
		p->same = c == 0 || (c == 2 && p->from_tag && strcmp(p->from_tag, p->tag) == 0);
		p->downgrade = c < 0;
	}
	if (rc == 0 && ts->highest_version) {
		p->highest = xstrdup(ts->highest_version);
		p->below_highest = preflight_compare_versions(t, p->version, p->highest) < 0;
	}
	return rc;
}

static int check_hooks(const struct target_cfg *t, struct up_error *err)
{
	const char *cmds[] = { t->hooks.pre_install, t->hooks.post_install, t->health.command };
	const char *names[] = { "hooks.pre_install", "hooks.post_install", "health.command" };
	for (size_t i = 0; i < 3; i++)
		if (cmds[i] && hooks_find_executable(cmds[i], NULL, err) < 0)
			return err_prefix(err, "%s: %s", t->name, names[i]);
	return 0;
}

int preflight_free_space(const char *path, long long *bytes, struct up_error *err)
{
	struct statvfs vfs;
	if (statvfs(path, &vfs) < 0)
		return err_set(err, UP_ERR_IO, "%s: statvfs: %s", path, strerror(errno));
	*bytes = (long long)vfs.f_bavail * (long long)vfs.f_frsize;
	return 0;
}

int preflight_need_space(const char *name, const char *dir, long long need, const char *what,
			 struct up_error *err)
{
	long long avail = 0;
	if (preflight_free_space(dir, &avail, err) < 0)
		return -1;
	if (avail < need)
		return err_set(err, UP_ERR_IO,
			       _("%s: not enough free space in %s for %s: %lld bytes needed, %lld available"),
			       name, dir, what, need, avail);
	return 0;
}

/* Where the file system of dir is mounted: the highest directory above it
 * on the same device. */
static char *mount_point(const char *dir)
{
	char *cur = realpath(dir, NULL);
	struct stat st, up;
	if (!cur || stat(cur, &st) < 0)
		return cur ? cur : xstrdup(dir);
	while (strcmp(cur, "/") != 0) {
		char *parent = swap_parent_dir(cur);
		if (stat(parent, &up) < 0 || up.st_dev != st.st_dev) {
			free(parent);
			break;
		}
		free(cur);
		cur = parent;
	}
	return cur;
}

int preflight_need_inodes(const char *name, const char *dir, long long files, const char *what,
			  struct up_error *err)
{
	struct statvfs vfs;
	if (statvfs(dir, &vfs) < 0)
		return err_set(err, UP_ERR_IO, "%s: statvfs: %s", dir, strerror(errno));
	/* f_files 0: inodes are made as needed (btrfs...), there is no count */
	if (vfs.f_files == 0 || (long long)vfs.f_favail >= files)
		return 0;
	char *mnt = mount_point(dir);
	err_set(err, UP_ERR_IO,
		_("%s: not enough free inodes on the file system mounted at %s for %s: %lld files "
		"to create, %lld inodes available"), name, mnt, what, files, (long long)vfs.f_favail);
	free(mnt);
	return -1;
}

/* Staging needs the release plus 1% and whatever the release asks to be
 * left free; the pre-update snapshot its new bytes, on the same file system
 * or on the archive's. */
static int check_space(const struct target_cfg *t, const struct release_plan *p,
		       struct up_error *err)
{
	char *parent = swap_parent_dir(t->path);
	long long need = p->bytes + p->bytes / 100 + p->min_free;
	struct stat a, b;
	bool same = p->archive_dir && stat(p->archive_dir, &a) == 0 && stat(parent, &b) == 0 &&
		    a.st_dev == b.st_dev;
	int rc = preflight_need_space(t->name, parent,
				      need + (same ? p->snapshot_bytes : 0),
				/* L10N: what needs the space, after "not enough free space in DIR for ..." */
				      same ? _("staging and the snapshot") : _("staging"), err);
	if (rc == 0)
		rc = preflight_need_inodes(t->name, parent, (long long)p->entries, _("staging"), err);
	if (rc == 0 && !same && p->archive_dir && p->snapshot_bytes)
		rc = preflight_need_space(t->name, p->archive_dir, p->snapshot_bytes, _("the snapshot"), err);
	free(parent);
	return rc;
}

/* The listing of the installed release: its tree, or for a target with an
 * asset the listing kept when that asset was extracted. NULL with a note
 * when there is none to compare with. */
static char *installed_listing(const struct target_cfg *t, struct release_plan *p,
			       struct source_cache *cache)
{
	struct tag_details d = { 0 };
	struct up_error e = UP_ERROR_INIT;
	char *file = NULL;
	if (source_tag_details(cache, p->from_tag, &d, &e) < 0) {
		strvec_push(&p->notes, _("drift: not checked, the installed release is not in the cache"));
	} else if (!p->asset_trees) {
		file = xstrdup(""); /* the tag's tree */
	} else {
		struct asset_release rel = { .tag = p->from_tag, .version = p->from_version,
					     .repo_dir = p->cache_dir, .commit = d.commit,
					     .tree = d.tree };
		char sha[65];
		if (asset_release_sha256(t, &rel, sha, &e) < 0) {
			strvec_push_owned(&p->notes, xasprintf(_("drift: not checked: %s"), e.msg));
		} else {
			file = asset_tree_file(p->asset_trees, sha);
			if (access(file, F_OK) != 0) {
				strvec_push_owned(&p->notes, xasprintf(
					_("drift: not checked, no listing of the installed asset (%s); "
					  "one is kept from the next install on"), file));
				FREE(file);
			}
		}
	}
	err_clear(&e);
	tag_details_free(&d);
	return file;
}

static int check_drift(const struct target_cfg *t, unsigned flags, struct release_plan *p,
		       struct up_error *err)
{
	struct stat st;
	if (!p->from_tag || stat(t->path, &st) < 0)
		return 0;
	struct source_cache *cache = NULL;
	int rc = source_cache_open(p->cache_dir, &cache, err);
	char *listing = rc == 0 ? installed_listing(t, p, cache) : NULL;
	if (listing)
		rc = *listing ? adopt_compare_listing(t, listing, &p->drift, err)
			      : adopt_compare_tree(cache, t, p->from_tag, &p->drift, err);
	free(listing);
	source_cache_close(&cache);
	if (rc < 0)
		return err_prefix(err, _("%s: comparing the live tree with %s"), t->name, p->from_version);
	if (p->drift.n && !(flags & PREFLIGHT_FORCE_DRIFT))
		return err_set(err, UP_ERR_MISMATCH,
			       ngettext("%s: %zu path changed locally since %s was installed would be "
					"overwritten (use --force-drift to install anyway; the pre-update "
					"snapshot keeps them)",
					"%s: %zu paths changed locally since %s was installed would be "
					"overwritten (use --force-drift to install anyway; the pre-update "
					"snapshot keeps them)", p->drift.n),
			       t->name, p->drift.n, p->from_version);
	if (p->drift.n)
		strvec_push_owned(&p->notes, xasprintf(ngettext("drift: %zu local change overwritten (--force-drift)",
								  "drift: %zu local changes overwritten (--force-drift)",
								  p->drift.n), p->drift.n));
	return 0;
}

/* The signature verdict under the policy, then a moved tag. */
static int check_trust(const struct target_cfg *t, unsigned flags, struct release_plan *p,
		       struct up_error *err)
{
	char *what = tagverify_describe_text(&p->trust);
	strvec_push_owned(&p->notes, xasprintf(_("verification: %s (tag object %s)"), what, p->object));
	free(what);
	if (tagverify_allows(t, p->version, &p->trust, err) < 0) {
		p->untrusted = true;
		return -1;
	}
	if (!p->moved)
		return 0;
	if (!(flags & PREFLIGHT_ALLOW_MOVED)) {
		p->untrusted = true;
		return err_set(err, UP_ERR_MISMATCH,
			       _("%s: refusing to install %s: its tag moved (first seen at %s, now %s; "
				 "use --allow-moved-tag if the project re-tagged it on purpose)"),
			       t->name, p->version, p->first_object ? p->first_object : "?", p->object);
	}
	strvec_push_owned(&p->notes, xasprintf(_("moved tag: allowed (--allow-moved-tag), first "
						 "seen at %s, now %s"), p->first_object ? p->first_object : "?",
					       p->object));
	return 0;
}

int preflight_check(const struct target_cfg *t, unsigned flags, struct release_plan *p,
		    struct up_error *err)
{
	if (check_trust(t, flags, p, err) < 0)
		return -1;
	if (p->downgrade && !(flags & PREFLIGHT_ALLOW_DOWNGRADE))
		return err_set(err, UP_ERR_USAGE,
			       _("%s: %s is older than the installed %s (use --allow-downgrade to install it)"),
			       t->name, p->version, p->from_version);
	if (p->below_highest && !(flags & PREFLIGHT_ALLOW_DOWNGRADE))
		return err_set(err, UP_ERR_USAGE,
			       _("%s: %s is older than %s, the highest version ever installed "
				 "(use --allow-downgrade to install it)"),
			       t->name, p->version, p->highest);
	if (p->downgrade || p->below_highest)
		strvec_push_owned(&p->notes, xasprintf(_("downgrade: allowed (--allow-downgrade), "
							 "highest ever installed %s"),
						       p->highest ? p->highest : p->from_version));
	if (check_hooks(t, err) < 0)
		return -1;
	char *req = NULL;
	size_t len = 0;
	int rc = stage_read_file(p->cache_dir, p->tree, REQUIREMENTS_FILE, REQUIREMENTS_MAX, &req, &len,
				 err);
	struct release_reqs rq = { 0 };
	if (rc == 1)
		rc = preflight_requirements(req, len, &rq, &p->notes, err);
	p->min_free = rq.min_free;
	p->irreversible = rq.irreversible;
	free(req);
	if (rc < 0)
		return err_prefix(err, "%s: release %s: %s", t->name, p->version, REQUIREMENTS_FILE);
	if (check_space(t, p, err) < 0)
		return -1;
	return check_drift(t, flags, p, err);
}

/* ---- .upkeep.yaml ---- */

static int need_scalar(const struct yamltree_node *n, const char *key, struct up_error *err)
{
	if (n->kind != YAMLTREE_SCALAR)
		return err_set(err, UP_ERR_MISMATCH, _("line %d: %s must be a string"), n->line, key);
	return 0;
}

static int req_min_upkeep(const struct yamltree_node *n, struct up_error *err)
{
	if (need_scalar(n, "min_upkeep", err) < 0)
		return -1;
	struct version_parser vp;
	struct version want, have;
	if (version_parser_init(&vp, SCHEME_SEMVER, NULL, NULL, err) < 0)
		return -1;
	int rc = 0;
	if (!version_parse(&vp, n->text, &want)) {
		char *safe = escape_text(n->text, (size_t)-1, 40, 0);
		rc = err_set(err, UP_ERR_MISMATCH, _("line %d: min_upkeep \"%s\" is not a version"), n->line,
			     safe);
		free(safe);
	} else {
		if (version_parse(&vp, PACKAGE_VERSION, &have)) {
			if (version_compare(&have, &want) < 0)
				rc = err_set(err, UP_ERR_MISMATCH,
					     _("the release needs upkeep %s or later (this is %s)"), want.text,
					     PACKAGE_VERSION);
			version_free(&have);
		}
		version_free(&want);
	}
	version_parser_free(&vp);
	return rc;
}

static int req_commands(const struct yamltree_node *n, struct up_error *err)
{
	if (n->kind != YAMLTREE_SEQ)
		return err_set(err, UP_ERR_MISMATCH, _("line %d: commands must be a list"), n->line);
	for (size_t i = 0; i < n->n; i++) {
		const struct yamltree_node *c = n->items[i];
		/* L10N: the subject of "%s must be a string" in a release's .upkeep.yaml */
		if (need_scalar(c, _("each command"), err) < 0)
			return -1;
		if (strchr(c->text, ' ') || hooks_find_executable(c->text, NULL, err) < 0) {
			char *safe = escape_text(c->text, (size_t)-1, 60, 0);
			err_set(err, UP_ERR_MISMATCH, _("the release needs the command \"%s\", not found in PATH"),
				safe);
			free(safe);
			return -1;
		}
	}
	return 0;
}

static int req_key(const struct yamltree_node *k, const struct yamltree_node *v,
		   struct release_reqs *req, struct strvec *notes, struct up_error *err)
{
	long long *min_free = &req->min_free;
	if (strcmp(k->text, "min_upkeep") == 0)
		return req_min_upkeep(v, err);
	if (strcmp(k->text, "commands") == 0)
		return req_commands(v, err);
	if (strcmp(k->text, "min_free") == 0) {
		if (need_scalar(v, "min_free", err) < 0)
			return -1;
		if (!util_parse_size(v->text, min_free) || *min_free < 0)
			return err_set(err, UP_ERR_MISMATCH, _("line %d: min_free is not a size (like 500M)"),
				       v->line);
		return 0;
	}
	if (strcmp(k->text, "irreversible_migration") == 0) {
		if (need_scalar(v, "irreversible_migration", err) < 0)
			return -1;
		if (!confvalue_parse_bool(v->text, &req->irreversible))
			return err_set(err, UP_ERR_MISMATCH,
				       _("line %d: irreversible_migration is not true or false"), v->line);
		return 0;
	}
	char *safe = escape_text(k->text, (size_t)-1, 40, 0);
	strvec_push_owned(notes, xasprintf(".upkeep.yaml: key \"%s\" ignored", safe));
	free(safe);
	return 0;
}

int preflight_requirements(const char *buf, size_t len, struct release_reqs *req,
			   struct strvec *notes, struct up_error *err)
{
	struct yamltree_errors errs = { 0 };
	bool fatal = false;
	struct yamltree_node *root = yamltree_parse(buf, len, &errs, &fatal);
	int rc = 0;
	*req = (struct release_reqs){ 0 };
	if (fatal || yamltree_has_errors(&errs)) {
		char *msg = yamltree_format_errors(&errs, REQUIREMENTS_FILE);
		rc = err_set(err, UP_ERR_MISMATCH, "invalid: %s", msg);
		free(msg);
	} else if (root && root->kind != YAMLTREE_MAP) {
		rc = err_set(err, UP_ERR_MISMATCH, _("must be a mapping"));
	}
	for (size_t i = 0; rc == 0 && root && i + 1 < root->n; i += 2) {
		const struct yamltree_node *k = root->items[i], *v = root->items[i + 1];
		if (k->kind != YAMLTREE_SCALAR)
			rc = err_set(err, UP_ERR_MISMATCH, _("line %d: keys must be strings"), k->line);
		else
			rc = req_key(k, v, req, notes, err);
	}
	yamltree_free(&root);
	yamltree_release_errors(&errs);
	return rc;
}
