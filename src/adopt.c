/* adopt.c - comparing a live tree with a release's tree, and recording it
 * as installed when they match. */
#include "config.h"

#include "adopt.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "asset.h"
#include "asset_tree.h"
#include "cancel.h"
#include "classify.h"
#include "escape.h"
#include "fetch_guard.h"
#include "i18n.h"
#include "source.h"
#include "version.h"

bool adopt_is_preserved(const struct target_cfg *t, const char *rel)
{
	for (size_t i = 0; i < t->n_preserve; i++) {
		const char *p = t->preserve[i];
		size_t len = strlen(p);
		while (len && p[len - 1] == '/')
			len--;
		if (len && strncmp(rel, p, len) == 0 && (rel[len] == '\0' || rel[len] == '/'))
			return true;
	}
	return false;
}

/* Is tag a better pick than the best so far? With want (a version or a
 * tag): it names it. Without: the highest version the channel accepts. */
static bool tag_matches(const struct target_cfg *t, const char *version, bool want_ok,
			const struct version *want, const char *tag, const struct version *v)
{
	if (version)
		return (want_ok && version_compare(v, want) == 0) || strcmp(v->text, version) == 0;
	return classify_channel_accepts(t->channel ? t->channel : "stable", tag, v);
}

static void pick_release(const struct target_cfg *t, const struct version_parser *p,
			 const struct tag_list *tags, const char *version, char **tag)
{
	struct version want, best = { 0 };
	bool want_ok = version && version_parse(p, version, &want), have_best = false;
	for (size_t i = 0; i < tags->n; i++) {
		struct version v;
		if (version && strcmp(tags->items[i].name, version) == 0) {
			free(*tag);
			*tag = xstrdup(version);
			break;
		}
		if (!version_parse(p, tags->items[i].name, &v))
			continue;
		if (tag_matches(t, version, want_ok, &want, tags->items[i].name, &v) &&
		    (!have_best || (!version && version_compare(&v, &best) > 0))) {
			if (have_best)
				version_free(&best);
			version_copy(&best, &v);
			have_best = true;
			free(*tag);
			*tag = xstrdup(tags->items[i].name);
		}
		version_free(&v);
	}
	if (have_best)
		version_free(&best);
	if (want_ok)
		version_free(&want);
}

char *adopt_version_of(const struct target_cfg *t, const char *tag)
{
	struct version_parser vp;
	struct version v;
	char *text = NULL;
	if (version_parser_init(&vp, t->source.scheme, t->source.prefix, t->source.regex, NULL) == 0) {
		if (version_parse(&vp, tag, &v)) {
			text = xstrdup(v.text);
			version_free(&v);
		}
		version_parser_free(&vp);
	}
	return text ? text : xstrdup(tag);
}

int adopt_find_release(const struct target_cfg *t, const char *version, char **tag,
		       struct up_error *err)
{
	struct version_parser p;
	*tag = NULL;
	if (version_parser_init(&p, t->source.scheme, t->source.prefix, t->source.regex, err) < 0)
		return -1;
	struct source_limits lim = { .deadline_ms = util_monotonic_ms() + t->limits.timeout_ms };
	struct tag_list tags;
	if (fetch_guard_ls_tags(t->source.git, &lim, t->limits.timeout_ms, &tags, err) < 0) {
		version_parser_free(&p);
		return -1;
	}
	pick_release(t, &p, &tags, version, tag);
	tag_list_free(&tags);
	version_parser_free(&p);
	if (!*tag) {
		char *safe = escape_text(version ? version : "", (size_t)-1, 80, 0);
		if (version)
			err_set(err, UP_ERR_NOT_FOUND, _("%s: no release %s in %s"), t->name, safe,
				t->source.git);
		else
			err_set(err, UP_ERR_NOT_FOUND, _("%s: no release in channel %s in %s"), t->name,
				t->channel ? t->channel : "stable", t->source.git);
		free(safe);
		return -1;
	}
	return 0;
}

struct compare {
	const struct target_cfg *t;
	struct strvec expected;  /* paths in the release, sorted after the walk */
	struct strvec *diffs;
	struct up_error *err;
	int failed;
};

static void add_diff(struct compare *c, const char *what, const char *path)
{
	char *safe = escape_text(path, (size_t)-1, 0, 0);
	strvec_push_owned(c->diffs, xasprintf("%s: %s", what, safe));
	free(safe);
}

static int compare_entry(const char *rel, unsigned mode, const char *blob, void *data)
{
	struct compare *c = data;
	if (adopt_is_preserved(c->t, rel))
		return 1;
	strvec_push(&c->expected, rel);
	char *full = xasprintf("%s/%s", c->t->path, rel);
	struct stat st;
	int skip = 0;
	if (lstat(full, &st) < 0) {
		add_diff(c, "missing", rel);
		skip = 1;
	} else if (mode == 040000) {
		if (!S_ISDIR(st.st_mode)) {
			add_diff(c, "type", rel);
			skip = 1;
		}
	} else if (mode == 0120000 || mode == 0100644 || mode == 0100755) {
		bool link = mode == 0120000;
		char id[41];
		if (link ? !S_ISLNK(st.st_mode) : !S_ISREG(st.st_mode)) {
			add_diff(c, "type", rel);
		} else if (source_hash_file(full, link, id, c->err) < 0) {
			c->failed = 1;
			free(full);
			return -1;
		} else if (strcmp(id, blob) != 0) {
			add_diff(c, "modified", rel);
		} else if (!link && ((st.st_mode & 0100) != 0) != (mode == 0100755)) {
			add_diff(c, "mode", rel);
		}
	}
	free(full);
	return skip;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists live paths that the release does not have. */
static int find_extras(struct compare *c, const char *rel)
{
	char *dir = rel[0] ? xasprintf("%s/%s", c->t->path, rel) : xstrdup(c->t->path);
	DIR *d = opendir(dir);
	if (!d) {
		int ret = err_set(c->err, UP_ERR_IO, "%s: %s", dir, strerror(errno));
		free(dir);
		return ret;
	}
	free(dir);
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!rel[0] && strcmp(e->d_name, ".git") == 0)
			continue;
		char *child = rel[0] ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		const char *key = child;
		if (adopt_is_preserved(c->t, child)) {
			/* kept across updates: not part of the comparison */
		} else if (!bsearch(&key, c->expected.items, c->expected.n, sizeof(char *), cmp_str)) {
			add_diff(c, "extra", child);
		} else if (e->d_type == DT_DIR) {
			rc = find_extras(c, child);
		} else if (e->d_type == DT_UNKNOWN) {
			struct stat st;
			char *full = xasprintf("%s/%s", c->t->path, child);
			if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode))
				rc = find_extras(c, child);
			free(full);
		}
		free(child);
	}
	closedir(d);
	return rc;
}

/* After the walk over the release (walked < 0: it failed): the live paths
 * that the release does not have. */
static int compare_finish(struct compare *c, int walked)
{
	int rc = walked < 0 || c->failed ? -1 : 0;
	if (rc == 0) {
		qsort(c->expected.items, c->expected.n, sizeof(char *), cmp_str);
		rc = find_extras(c, "");
	}
	strvec_clear(&c->expected);
	return rc;
}

int adopt_compare_tree(struct source_cache *cache, const struct target_cfg *t, const char *tag,
		       struct strvec *diffs, struct up_error *err)
{
	struct compare c = { .t = t, .diffs = diffs, .err = err };
	return compare_finish(&c, source_walk_tag_tree(cache, tag, compare_entry, &c, err));
}

int adopt_compare_listing(const struct target_cfg *t, const char *listing, struct strvec *diffs,
			  struct up_error *err)
{
	struct compare c = { .t = t, .diffs = diffs, .err = err };
	return compare_finish(&c, asset_tree_walk(listing, compare_entry, &c, err));
}

/* The live tree against the release's verified asset: downloaded (or
 * taken from the cache), verified, listed once per archive. */
static int compare_asset(const struct config *cfg, const struct target_cfg *t, const char *tag,
			 const char *version, const struct tag_details *d, struct strvec *diffs,
			 struct up_error *err)
{
	char *repo = source_cache_dir(cfg, t);
	struct asset_release rel = { .tag = tag, .version = version, .repo_dir = repo,
				     .commit = d->commit, .tree = d->tree };
	struct asset_plan ap;
	struct asset_events ev = { .cancel = cancel_flag() };
	int rc = asset_prepare(cfg, t, &rel, &ev, &ap, err);
	char *trees = asset_tree_dir(cfg, t), *listing = NULL;
	struct stat like;
	if (rc == 0 && stat(t->path, &like) == 0)
		rc = asset_tree_of_archive(trees, ap.file, ap.sha256, t->source.asset.strip_components,
					   &like, &listing, err);
	if (rc == 0)
		rc = adopt_compare_listing(t, listing, diffs, err);
	free(listing);
	free(trees);
	asset_plan_clear(&ap);
	free(repo);
	return rc;
}

int adopt_target(const struct config *cfg, const struct target_cfg *t, struct store *s,
		 const char *version, struct strvec *diffs, struct up_error *err)
{
	struct stat st;
	if (stat(t->path, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, UP_ERR_NOT_FOUND, _("%s: path %s is not a directory"), t->name, t->path);
	char *tag = NULL;
	if (adopt_find_release(t, version, &tag, err) < 0)
		return -1;
	char *dir = source_cache_dir(cfg, t);
	struct source_cache *cache = NULL;
	int rc = source_cache_open(dir, &cache, err);
	struct source_limits lim = {
		.deadline_ms = util_monotonic_ms() + t->limits.fetch_ms,
		.max_bytes = t->limits.fetch_bytes,
	};
	const char *want[] = { tag };
	if (rc == 0)
		rc = fetch_guard_tags(dir, t->source.git, want, 1, &lim, t->limits.fetch_ms, err);
	free(dir);
	struct tag_details d = { 0 };
	char *text = adopt_version_of(t, tag);
	if (rc == 0)
		rc = source_tag_details(cache, tag, &d, err);
	if (rc == 0)
		rc = t->source.asset.url
			? compare_asset(cfg, t, tag, text, &d, diffs, err)
			: adopt_compare_tree(cache, t, tag, diffs, err);
	if (rc == 0 && diffs->n) {
		rc = err_set(err, UP_ERR_MISMATCH, ngettext("%s: the tree at %s differs from release %s in %zu place",
				      "%s: the tree at %s differs from release %s in %zu places",
				      diffs->n),
			     t->name, t->path, version, diffs->n);
	}
	if (rc == 0)
		rc = store_target_set_installed(s, t->name, text, tag, d.commit, err);
	free(text);
	tag_details_free(&d);
	source_cache_close(&cache);
	free(tag);
	return rc;
}
