/* asset.c - the checksum from the tag, the download, the verification. */
#include "config.h"

#include "asset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asset_fetch.h"
#include "escape.h"
#include "hash.h"
#include "i18n.h"
#include "source.h"
#include "stage.h"
#include "util.h"

#define CHECKSUMS_MAX (1 << 20)
#define ASSET_MAX_REDIRECTS 5

void asset_plan_clear(struct asset_plan *ap)
{
	free(ap->url);
	free(ap->name);
	free(ap->origin);
	free(ap->file);
	*ap = (struct asset_plan){ 0 };
}

/* ------------------------------------------------------------------ */
/* URL template and name                                                */
/* ------------------------------------------------------------------ */

static void add_encoded(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~+", *p)) {
			strbuf_addch(sb, (char)*p);
		} else {
			strbuf_addch(sb, '%');
			strbuf_addch(sb, hex[*p >> 4]);
			strbuf_addch(sb, hex[*p & 15]);
		}
	}
}

int asset_url_expand(const char *tmpl, const char *tag, const char *version, char **out,
		     struct up_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	*out = NULL;
	for (const char *p = tmpl; *p;) {
		if (*p != '{') {
			strbuf_addch(&sb, *p++);
			continue;
		}
		const char *end = strchr(p, '}');
		size_t n = end ? (size_t)(end - p - 1) : 0;
		if (end && n == 7 && strncmp(p + 1, "version", 7) == 0)
			add_encoded(&sb, version);
		else if (end && n == 3 && strncmp(p + 1, "tag", 3) == 0)
			add_encoded(&sb, tag);
		else {
			char *safe = escape_text(p, end ? (size_t)(end - p + 1) : (size_t)-1, 40, 0);
			err_set(err, UP_ERR_CONFIG, _("asset.url: unknown placeholder %s (expected {version} "
				"or {tag})"), safe);
			free(safe);
			strbuf_release(&sb);
			return -1;
		}
		p = end + 1;
	}
	*out = strbuf_detach(&sb);
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *asset_url_name(const char *url)
{
	const char *start = strstr(url, "://");
	start = start ? start + 3 : url;
	size_t len = strcspn(start, "?#");
	const char *slash = memrchr(start, '/', len);
	if (!slash)
		return NULL; /* only a host */
	const char *seg = slash + 1;
	size_t n = (size_t)(start + len - seg);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		int hi = -1, lo = -1;
		if (seg[i] == '%' && i + 2 < n) {
			hi = hexval(seg[i + 1]);
			lo = hexval(seg[i + 2]);
		}
		if (hi >= 0 && lo >= 0) {
			strbuf_addch(&sb, (char)(hi * 16 + lo));
			i += 2;
		} else {
			strbuf_addch(&sb, seg[i]);
		}
	}
	size_t got = sb.len;
	char *name = strbuf_detach(&sb);
	if (!got || strlen(name) != got || stage_name_problem(name)) {
		free(name);
		return NULL;
	}
	return name;
}

/* ------------------------------------------------------------------ */
/* Checksums                                                            */
/* ------------------------------------------------------------------ */

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return false;
	return true;
}

/* One line: "HEX  NAME", "HEX *NAME" or "SHA256 (NAME) = HEX". Sets the
 * pointers into line; false when the line is none of these. */
static bool parse_line(const char *line, size_t len, const char **hex, const char **name,
		       size_t *name_len)
{
	if (len > 66 && all_hex(line, 64) && line[64] == ' ' && (line[65] == ' ' || line[65] == '*')) {
		*hex = line;
		*name = line + 66;
		*name_len = len - 66;
		return true;
	}
	static const char bsd[] = "SHA256 (";
	if (len > sizeof bsd - 1 + 68 && strncmp(line, bsd, sizeof bsd - 1) == 0 &&
	    strncmp(line + len - 68, ") = ", 4) == 0 && all_hex(line + len - 64, 64)) {
		*hex = line + len - 64;
		*name = line + sizeof bsd - 1;
		*name_len = len - 68 - (sizeof bsd - 1);
		return true;
	}
	return false;
}

int asset_checksum_find(const char *text, size_t len, const char *name, char hex[65],
			struct up_error *err)
{
	size_t want = strlen(name);
	int found = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - text - i) : len - i;
		const char *line = text + i;
		i += n + 1;
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		while (n && (*line == ' ' || *line == '\t'))
			line++, n--;
		const char *h, *nm;
		size_t nl_len;
		if (!parse_line(line, n, &h, &nm, &nl_len))
			continue;
		if (nl_len > 2 && nm[0] == '.' && nm[1] == '/')
			nm += 2, nl_len -= 2;
		if (nl_len != want || memcmp(nm, name, want) != 0)
			continue;
		char got[65];
		for (int k = 0; k < 64; k++)
			got[k] = (char)(h[k] >= 'A' && h[k] <= 'F' ? h[k] - 'A' + 'a' : h[k]);
		got[64] = '\0';
		if (found && strcmp(got, hex) != 0) {
			char *safe = escape_text(name, (size_t)-1, 100, 0);
			err_set(err, UP_ERR_MISMATCH, _("two different SHA-256 entries for %s"), safe);
			free(safe);
			return -1;
		}
		memcpy(hex, got, 65);
		found = 1;
	}
	return found;
}

/* The checksums text: the file of the tree, or the tag's message. */
static int checksums_text(const struct target_cfg *t, const struct asset_release *rel,
			  char **text, size_t *len, char **origin, struct up_error *err)
{
	const char *path = t->source.asset.checksums;
	if (path) {
		int rc = stage_read_file(rel->repo_dir, rel->tree, path, CHECKSUMS_MAX, text, len, err);
		if (rc == 0)
			err_set(err, UP_ERR_MISMATCH, _("the tree of tag %s has no file %s (asset.checksums)"),
				rel->tag, path);
		*origin = xasprintf(_("%s in the tree of tag %s"), path, rel->tag);
		return rc == 1 ? 0 : -1;
	}
	struct source_cache *cache = NULL;
	struct tag_details d = { 0 };
	int rc = source_cache_open(rel->repo_dir, &cache, err);
	if (rc == 0)
		rc = rel->object ? source_object_details(cache, rel->object, &d, err)
				 : source_tag_details(cache, rel->tag, &d, err);
	if (rc == 0 && (strcmp(d.commit, rel->commit) != 0 || strcmp(d.tree, rel->tree) != 0))
		rc = err_set(err, UP_ERR_MISMATCH, _("tag %s changed while installing (now commit %s, "
			     "was %s)"), rel->tag, d.commit, rel->commit);
	if (rc == 0 && !d.message)
		rc = err_set(err, UP_ERR_MISMATCH, _("tag %s is not annotated: without asset.checksums the "
			     "asset's SHA-256 must be in the tag message"), rel->tag);
	if (rc == 0) {
		*len = strlen(d.message);
		*text = xstrdup(d.message);
		*origin = xasprintf(_("the message of tag %s"), rel->tag);
	}
	tag_details_free(&d);
	source_cache_close(&cache);
	return rc;
}

static int expected_hash(const struct target_cfg *t, const struct asset_release *rel,
			 struct asset_plan *ap, struct up_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = checksums_text(t, rel, &text, &len, &ap->origin, err);
	if (rc == 0)
		rc = asset_checksum_find(text, len, ap->name, ap->sha256, err);
	free(text);
	if (rc == 0) {
		char *safe = escape_text(ap->name, (size_t)-1, 100, 0);
		err_set(err, UP_ERR_MISMATCH, _("%s lists no SHA-256 for %s"), ap->origin, safe);
		free(safe);
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The download                                                         */
/* ------------------------------------------------------------------ */

static void note(const struct asset_events *ev, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(const struct asset_events *ev, const char *level, const char *fmt, ...)
{
	if (!ev || !ev->note)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	ev->note(ev->ctx, level, text);
	free(text);
}

static void on_progress(void *ctx, long long bytes, long long total, long long rate)
{
	const struct asset_events *ev = ctx;
	if (total > 0)
		note(ev, "progress", "download: %lld of %lld bytes (%lld%%), %lld KiB/s", bytes, total,
		     bytes * 100 / total, rate / 1024);
	else
		note(ev, "progress", "download: %lld bytes, %lld KiB/s", bytes, rate / 1024);
}

static void remove_others(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, keep, 64) == 0)
			continue;
		char *p = xasprintf("%s/%s", dir, e->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
}

static int mismatch(struct asset_plan *ap, const char *got, struct up_error *err)
{
	char *shown = asset_url_for_display(ap->url);
	err_set(err, UP_ERR_MISMATCH, "%s: refused: SHA-256 mismatch: expected %s (from %s), got %s",
		shown, ap->sha256, ap->origin, got);
	free(shown);
	return -1;
}

static int download(const struct target_cfg *t, const struct asset_events *ev,
		    struct asset_plan *ap, const char *part, struct up_error *err)
{
	struct asset_fetch_opts o = {
		.url = ap->url, .part = part, .ca_file = t->source.asset.ca_file,
		.pin = t->source.asset.pin, .max_bytes = t->limits.fetch_bytes,
		.total_ms = t->limits.fetch_ms, .stall_ms = t->limits.timeout_ms,
		.max_redirects = ASSET_MAX_REDIRECTS, .progress = on_progress,
		.progress_ctx = (void *)ev, .cancel = ev ? ev->cancel : NULL,
	};
	char *shown = asset_url_for_display(ap->url);
	int rc = -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct asset_fetch_result r;
		if (asset_fetch(&o, &r, err) < 0)
			break;
		ap->bytes = r.bytes;
		if (strcmp(r.sha256, ap->sha256) == 0) {
			note(ev, "info", "asset: %s: %lld bytes%s, SHA-256 %s verified (%s)", shown, r.bytes,
			     r.resumed_from ? " (download resumed)" : "", ap->sha256, ap->origin);
			rc = 0;
			break;
		}
		unlink(part);
		if (r.resumed_from == 0 || attempt == 1) {
			mismatch(ap, r.sha256, err);
			break;
		}
		note(ev, "warning", "asset: %s: the resumed download (%lld bytes kept) does not verify; "
		     "downloading it again from the start", shown, r.resumed_from);
	}
	free(shown);
	return rc;
}

static int fetch_verified(const struct config *cfg, const struct target_cfg *t,
			  const struct asset_events *ev, struct asset_plan *ap, struct up_error *err)
{
	char *dir = xasprintf("%s/assets/%s", cfg->cache_dir, t->name);
	char *part = xasprintf("%s/%s.part", dir, ap->sha256);
	ap->file = xasprintf("%s/%s", dir, ap->sha256);
	int rc = 0;
	struct stat st;
	if (util_mkdir_p(dir, 0700) < 0)
		rc = err_set(err, UP_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
	if (rc == 0 && lstat(ap->file, &st) == 0) {
		char got[65];
		rc = asset_hash_file(ap->file, got, &ap->bytes, err);
		if (rc == 0 && strcmp(got, ap->sha256) == 0) {
			ap->cached = true;
			note(ev, "info", "asset: %s from the cache, SHA-256 %s verified (%s)", ap->file,
			     ap->sha256, ap->origin);
		} else if (rc == 0) {
			note(ev, "warning", "asset: cached %s does not verify; downloading again", ap->file);
			unlink(ap->file);
		}
	}
	if (rc == 0 && !ap->cached) {
		rc = download(t, ev, ap, part, err);
		if (rc == 0 && rename(part, ap->file) < 0)
			rc = err_set(err, UP_ERR_IO, "%s: rename: %s", part, strerror(errno));
		if (rc == 0)
			rc = stage_fsync_dir(dir, err);
	}
	if (rc == 0)
		remove_others(dir, ap->sha256);
	free(part);
	free(dir);
	return rc;
}

/* The URL, the file name and the SHA-256 the tag holds for it. */
static int plan_expected(const struct target_cfg *t, const struct asset_release *rel,
			 struct asset_plan *ap, struct up_error *err)
{
	*ap = (struct asset_plan){ 0 };
	if (asset_url_expand(t->source.asset.url, rel->tag, rel->version, &ap->url, err) < 0)
		return err_prefix(err, "%s", t->name);
	ap->name = asset_url_name(ap->url);
	if (!ap->name) {
		char *shown = asset_url_for_display(ap->url);
		err_set(err, UP_ERR_CONFIG, _("%s: asset URL %s names no file (expected a path ending in "
			"the asset's file name)"), t->name, shown);
		free(shown);
		return -1;
	}
	if (expected_hash(t, rel, ap, err) < 0)
		return err_prefix(err, _("%s: asset of %s"), t->name, rel->tag);
	return 0;
}

int asset_release_sha256(const struct target_cfg *t, const struct asset_release *rel,
			 char sha256[65], struct up_error *err)
{
	struct asset_plan ap;
	int rc = plan_expected(t, rel, &ap, err);
	if (rc == 0)
		memcpy(sha256, ap.sha256, 65);
	asset_plan_clear(&ap);
	return rc;
}

int asset_prepare(const struct config *cfg, const struct target_cfg *t,
		  const struct asset_release *rel, const struct asset_events *ev,
		  struct asset_plan *ap, struct up_error *err)
{
	if (plan_expected(t, rel, ap, err) < 0)
		return -1;
	if (fetch_verified(cfg, t, ev, ap, err) < 0)
		return err_prefix(err, _("%s: asset of %s"), t->name, rel->tag);
	return 0;
}
