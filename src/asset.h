/* asset.h - a release's payload taken from a release asset (an archive
 * downloaded over HTTPS) instead of the tag's git tree.
 *
 * The release is still the tag: its version, its `.upkeep.yaml`, its
 * signature. The asset is trusted only through the SHA-256 that the tag
 * itself holds, so that signing the tag covers the payload:
 *   - `asset: { checksums: PATH }`: the file PATH of the tag's tree (the
 *     pinned tree id, never the ref looked up again), in sha256sum format;
 *   - without `checksums:`, the tag's message (an annotated tag), which
 *     holds sha256sum lines among its text.
 * The entry is the one whose name is the last segment of the asset's URL
 * path ("HEX  NAME", "HEX *NAME" or BSD's "SHA256 (NAME) = HEX"; "./NAME"
 * too). No entry, or two entries for the name that disagree: refused.
 *
 * The download lives in CACHE_DIR/assets/TARGET/ named by its expected
 * SHA-256 (".part" while incomplete, resumed by a later run); a file is
 * re-hashed whenever it is used, never trusted because it is there. A
 * resumed download whose hash does not match is discarded and fetched once
 * more from the start (the server's file may have changed under the
 * resumption). Other files of that directory (earlier releases) are
 * removed once a new asset verifies.
 */
#ifndef UPKEEP_ASSET_H
#define UPKEEP_ASSET_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "error.h"

struct asset_plan {
	char *url;                /* the template expanded (may hold credentials) */
	char *name;               /* the name looked up in the checksums */
	char *origin;             /* where the checksum came from, for messages */
	char sha256[65];          /* expected, and verified */
	char *file;               /* the verified file in the cache */
	long long bytes;
	bool cached;              /* used from the cache, not downloaded */
};
void asset_plan_clear(struct asset_plan *ap);

/* Replaces {version} and {tag} in tmpl; the values are percent-encoded
 * except for unreserved characters and '+'. Unknown {words} are errors. */
int asset_url_expand(const char *tmpl, const char *tag, const char *version, char **out,
		     struct up_error *err);

/* The file name a URL names: its path's last segment, percent-decoded.
 * NULL when it has none ("https://host/" or ".../dir/"). */
char *asset_url_name(const char *url);

/* Looks NAME up in checksums text. Returns 1 and fills hex (lowercase),
 * 0 when there is no entry, -1 when entries disagree. */
int asset_checksum_find(const char *text, size_t len, const char *name, char hex[65],
			struct up_error *err);

/* What the job reports while an asset is prepared: level "info" or
 * "progress" (download progress, about once a second). */
struct asset_events {
	void (*note)(void *ctx, const char *level, const char *text);
	void *ctx;
	const volatile int *cancel;  /* stops the download (cancel.h), or NULL */
};

/* The release: tag, version, the cache repository and the pinned commit
 * and tree ids; object: the tag object that was verified (its message is
 * read from that object, never from the ref again), or NULL. */
struct asset_release {
	const char *tag, *version, *repo_dir, *commit, *tree;
	const char *object;
};

/* The SHA-256 that the release's tag holds for its asset, without
 * downloading anything (the tree's checksums file or the tag message). */
int asset_release_sha256(const struct target_cfg *t, const struct asset_release *rel,
			 char sha256[65], struct up_error *err);

/* Looks the checksum up, downloads (or reuses) the asset and verifies it.
 * A mismatch names the URL, the expected and the actual SHA-256. */
int asset_prepare(const struct config *cfg, const struct target_cfg *t,
		  const struct asset_release *rel, const struct asset_events *ev,
		  struct asset_plan *ap, struct up_error *err);

#endif
