/* check.c - which releases of a target are newer than the installed one. */
#include "config.h"

#include "check.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "source.h"

/* Tag objects of at most this many newest releases are fetched per check:
 * enough for any realistic backlog, bounded for a first check of a
 * repository with thousands of tags. */
#define CHECK_MAX_FETCH 100

void check_result_free(struct check_result *r)
{
	for (size_t i = 0; i < r->n_releases; i++) {
		struct release *rel = &r->releases[i];
		free(rel->tag);
		version_free(&rel->version);
		free(rel->message);
		free(rel->tagger);
		strvec_clear(&rel->subjects);
		tag_trust_clear(&rel->trust);
	}
	free(r->releases);
	free(r->target);
	free(r->error);
	free(r->installed);
	memset(r, 0, sizeof(*r));
}

bool check_offered(const struct release *rel)
{
	return rel->in_channel && !rel->below_highest;
}

long check_newest_offered(const struct check_result *r)
{
	for (size_t i = 0; i < r->n_releases; i++)
		if (check_offered(&r->releases[i]))
			return (long)i;
	return -1;
}

size_t check_count_offered(const struct check_result *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_releases; i++)
		n += check_offered(&r->releases[i]);
	return n;
}

static int compare_releases_desc(const void *a, const void *b)
{
	const struct release *ra = a, *rb = b;
	return version_compare(&rb->version, &ra->version);
}

static void fail(struct check_result *out, struct up_error *err)
{
	out->ok = false;
	free(out->error);
	out->error = xstrdup(err->msg ? err->msg : "unknown error");
	err_clear(err);
}

/* A recorded version text, parsed (with the scheme's prefix if needed). */
static bool parse_recorded(const struct version_parser *p, const char *text, struct version *out)
{
	if (!text)
		return false;
	if (version_parse(p, text, out))
		return true;
	if (p->prefix) {
		char *tag = xasprintf("%s%s", p->prefix, text);
		bool ok = version_parse(p, tag, out);
		free(tag);
		return ok;
	}
	return false;
}

/* The installed version, parsed from the recorded tag or version text. */
static bool parse_installed(const struct version_parser *p, const struct target_state *st,
			    struct version *out)
{
	if (!st)
		return false;
	if (st->installed_tag && version_parse(p, st->installed_tag, out))
		return true;
	return parse_recorded(p, st->installed_version, out);
}

/* Turns the remote's tags into releases newer than `installed`. */
static void collect_releases(const struct target_cfg *t, const struct version_parser *p,
			     const struct version *installed, const struct version *highest,
			     const struct tag_list *tags, struct check_result *out)
{
	out->n_tags = tags->n;
	out->releases = xcalloc(tags->n ? tags->n : 1, sizeof(*out->releases));
	for (size_t i = 0; i < tags->n; i++) {
		const struct remote_tag *rt = &tags->items[i];
		if (t->source.tags && fnmatch(t->source.tags, rt->name, 0) != 0)
			continue;
		struct version v;
		/* A name git would not accept as a ref is never fetched: skip it
		 * like any other tag that is not a release. */
		if (!source_tag_name_ok(rt->name) || !version_parse(p, rt->name, &v)) {
			out->n_skipped++;
			continue;
		}
		enum release_kind kind = classify_kind(installed, &v);
		if (installed && version_compare(&v, installed) <= 0) {
			version_free(&v);
			continue;
		}
		struct release *rel = &out->releases[out->n_releases++];
		rel->tag = xstrdup(rt->name);
		rel->version = v;
		rel->kind = kind;
		memcpy(rel->object, rt->object, sizeof(rel->object));
		memcpy(rel->commit, rt->peeled[0] ? rt->peeled : rt->object, sizeof(rel->commit));
		rel->in_channel = classify_channel_accepts(t->channel, rel->tag, &rel->version);
		rel->flags = classify_flags(NULL, &rel->version, &t->flags);
		rel->below_highest = highest && version_compare(&v, highest) < 0;
	}
	qsort(out->releases, out->n_releases, sizeof(*out->releases), compare_releases_desc);
}

/* Fetches what the cache lacks of the newest releases and the installed
 * tag, then reads their messages, dates and commit subjects. */
static int read_details(const struct config *cfg, const struct target_cfg *t,
			const struct target_state *st, const struct source_limits *lim,
			struct check_result *out, struct up_error *err)
{
	size_t n = out->n_releases < CHECK_MAX_FETCH ? out->n_releases : CHECK_MAX_FETCH;
	char *dir = source_cache_dir(cfg, t);
	struct source_cache *cache = NULL;
	int rc = source_cache_open(dir, &cache, err);
	free(dir);
	if (rc < 0)
		return -1;

	const char **want = xcalloc(n + 1, sizeof(*want));
	size_t n_want = 0;
	for (size_t i = 0; i < n; i++)
		if (!source_cache_has_tag(cache, out->releases[i].tag, out->releases[i].object))
			want[n_want++] = out->releases[i].tag;
	rc = source_fetch_tags(cache, t->source.git, want, n_want, lim, err);
	free(want);

	const char *from = st && st->installed_commit ? st->installed_commit : NULL;
	struct tagverify *tv = tagverify_new(t);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct release *rel = &out->releases[i];
		struct tag_details d;
		/* the verdict and the details come from the same object */
		char *raw = NULL;
		size_t raw_len = 0;
		if (source_tag_raw(cache, rel->tag, rel->object, &raw, &raw_len, err) < 0 ||
		    source_object_details(cache, rel->object, &d, err) < 0) {
			free(raw);
			rc = -1;
			break;
		}
		tagverify_object(tv, rel->tag, raw, raw_len, &rel->trust);
		rel->verified = true;
		free(raw);
		rel->message = d.message;
		rel->tagger = d.tagger;
		rel->date = d.date;
		memcpy(rel->commit, d.commit, sizeof(rel->commit));
		rel->flags = classify_flags(rel->message, &rel->version, &t->flags);
		rc = source_commit_subjects(cache, from, rel->commit, CHECK_MAX_SUBJECTS,
					    &rel->subjects, &rel->n_commits, err);
	}
	tagverify_free(&tv);
	source_cache_close(&cache);
	return rc;
}

void check_target(const struct config *cfg, const struct target_cfg *t,
		  const struct target_state *st, const struct check_control *ctl,
		  struct check_result *out)
{
	static const struct check_control no_control;
	if (!ctl)
		ctl = &no_control;
	struct up_error err = UP_ERROR_INIT;
	long long start = util_monotonic_ms();
	memset(out, 0, sizeof(*out));
	out->target = xstrdup(t->name);
	out->ok = true;
	out->checked_at = util_now();

	struct version_parser parser;
	if (version_parser_init(&parser, t->source.scheme, t->source.prefix, t->source.regex,
				&err) < 0) {
		fail(out, &err);
		return;
	}
	struct version installed;
	bool has_installed = parse_installed(&parser, st, &installed);
	struct version highest;
	bool has_highest = st && parse_recorded(&parser, st->highest_version, &highest);
	if (has_installed)
		out->installed = xstrdup(installed.text);
	else if (st && st->installed_version)
		out->installed = escape_text(st->installed_version, (size_t)-1, 64, 0);

	struct source_limits lim = {
		.deadline_ms = start + t->limits.timeout_ms,
		.max_bytes = t->limits.fetch_bytes,
		.cancel = ctl->cancel,
	};
	if (ctl->on_phase)
		ctl->on_phase(ctl->arg, CHECK_PHASE_LIST, lim.deadline_ms);
	struct tag_list tags;
	if (source_ls_tags(t->source.git, &lim, &tags, &err) < 0) {
		fail(out, &err);
	} else {
		collect_releases(t, &parser, has_installed ? &installed : NULL,
				 has_highest ? &highest : NULL, &tags, out);
		tag_list_free(&tags);
		lim.deadline_ms = util_monotonic_ms() + t->limits.fetch_ms;
		if (ctl->on_phase)
			ctl->on_phase(ctl->arg, CHECK_PHASE_FETCH, lim.deadline_ms);
		if (read_details(cfg, t, st, &lim, out, &err) < 0)
			fail(out, &err);
	}
	if (has_installed)
		version_free(&installed);
	if (has_highest)
		version_free(&highest);
	version_parser_free(&parser);
	out->duration_ms = util_monotonic_ms() - start;
}

/* Marks releases whose tag pointed at another object when first seen. */
static int mark_moved(struct store *s, struct check_result *r, struct up_error *err)
{
	struct release_seen *seen = NULL;
	size_t n = 0;
	if (store_releases_list(s, r->target, &seen, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_releases; i++) {
		struct release *rel = &r->releases[i];
		for (size_t j = 0; j < n; j++) {
			if (strcmp(seen[j].tag, rel->tag) != 0 || !seen[j].first_object)
				continue;
			rel->moved = seen[j].moved || strcmp(seen[j].first_object, rel->object) != 0;
			snprintf(rel->first_object, sizeof rel->first_object, "%s", seen[j].first_object);
			break;
		}
	}
	for (size_t j = 0; j < n; j++)
		store_release_seen_free(&seen[j]);
	free(seen);
	return 0;
}

int check_record(struct store *s, struct check_result *r, struct up_error *err)
{
	if (store_target_record_check(s, r->target, r->checked_at, r->ok, r->error, err) < 0)
		return -1;
	if (r->n_releases == 0)
		return 0;
	if (mark_moved(s, r, err) < 0)
		return -1;
	struct release_seen *rows = xcalloc(r->n_releases, sizeof(*rows));
	for (size_t i = 0; i < r->n_releases; i++) {
		const struct release *rel = &r->releases[i];
		rows[i].tag = rel->tag;
		rows[i].version = rel->version.text;
		rows[i].object = (char *)rel->object;
		rows[i].kind = (char *)classify_kind_name(rel->kind);
		rows[i].flags = rel->flags;
		rows[i].tag_time = rel->date;
		if (rel->verified) {
			rows[i].verdict = (char *)tagverify_verdict_name(rel->trust.verdict);
			rows[i].trust = tagverify_describe(&rel->trust);
		}
	}
	int rc = store_releases_record(s, r->target, rows, r->n_releases, err);
	for (size_t i = 0; i < r->n_releases; i++)
		free(rows[i].trust);
	free(rows);
	return rc;
}
