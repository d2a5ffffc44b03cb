/* source.h - release sources: git remotes through libgit2.
 *
 * Listing tags costs one round trip and fetches no objects. Candidate tags
 * are then fetched into a per-target bare cache repository, from which tag
 * messages, dates, trees and commit subjects are read. Remote strings are
 * never given to revparse: tag names are validated and looked up as
 * references. */
#ifndef UPKEEP_SOURCE_H
#define UPKEEP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "error.h"
#include "util.h"

/* Initialises libgit2 once per process (idempotent, thread-safe). */
void source_global_init(void);

/* Longest tag name upkeep handles; longer ones are skipped like names that
 * do not parse (libgit2 fails on ref names past 1 KiB). */
#define SOURCE_MAX_TAG_NAME 255

/* True when refs/tags/NAME is a valid ref name that upkeep will fetch. */
bool source_tag_name_ok(const char *name);

struct remote_tag {
	char *name;        /* short name, untrusted */
	char object[41];   /* what the tag ref points at */
	char peeled[41];   /* the commit of an annotated tag ("" if lightweight) */
};

struct tag_list {
	struct remote_tag *items;
	size_t n;
};
void tag_list_free(struct tag_list *l);

/* Network limits and cancellation for one operation. */
struct source_limits {
	long long deadline_ms;          /* util_monotonic_ms() deadline, 0 = none */
	long long max_bytes;            /* fetch size cap, 0 = none */
	const volatile int *cancel;     /* non-zero = abort, may be NULL */
};

/* Lists refs/tags/ of the remote at url. */
int source_ls_tags(const char *url, const struct source_limits *lim, struct tag_list *out,
		   struct up_error *err);

struct source_cache;

/* Opens (creating if needed) the bare cache repository at dir. */
int source_cache_open(const char *dir, struct source_cache **out, struct up_error *err);
void source_cache_close(struct source_cache **c);

/* True when refs/tags/TAG exists in the cache and points at object. */
bool source_cache_has_tag(struct source_cache *c, const char *tag, const char *object);

/* Fetches the named tags (and their history) from url into the cache. */
int source_fetch_tags(struct source_cache *c, const char *url, const char *const *tags, size_t n,
		      const struct source_limits *lim, struct up_error *err);

struct tag_details {
	char *message;     /* without a trailing signature block; NULL if lightweight */
	char *tagger;      /* "Name <email>", or NULL */
	long long date;    /* tagger time, else commit time */
	char commit[41];
	char tree[41];
};
void tag_details_free(struct tag_details *d);

/* Reads refs/tags/TAG from the cache. */
int source_tag_details(struct source_cache *c, const char *tag, struct tag_details *out,
		       struct up_error *err);

/* Like source_tag_details() for an object id (a tag object or a commit):
 * what was verified is what gets installed, with no second ref lookup. */
int source_object_details(struct source_cache *c, const char *object, struct tag_details *out,
			  struct up_error *err);

/* The object refs/tags/TAG points at: its id, and for a tag object its raw
 * bytes (headers, message and any appended signature; *data NUL-terminated
 * after len bytes). A lightweight tag gives *data NULL. */
int source_tag_raw(struct source_cache *c, const char *tag, char object[41], char **data,
		   size_t *len, struct up_error *err);

/* Subjects of the commits reachable from `to` but not from `from` (from may
 * be NULL or ""), newest first, at most max; *total gets the full count. */
int source_commit_subjects(struct source_cache *c, const char *from, const char *to, size_t max,
			   struct strvec *out, size_t *total, struct up_error *err);

/* Callback for each entry of a tree: path relative to the root, git mode
 * (0100644, 0100755, 0120000, 040000, 0160000) and blob id. Return 0 to go
 * on, a positive value to skip a directory's contents, negative to stop. */
typedef int (*source_tree_cb)(const char *path, unsigned mode, const char *blob, void *data);
/* Walks the tree of refs/tags/TAG (pre-order). Returns 0, 1 when the
 * callback stopped the walk, or -1 on error. */
int source_walk_tag_tree(struct source_cache *c, const char *tag, source_tree_cb cb, void *data,
			 struct up_error *err);
/* Reads a blob (symlink targets, small files). */
int source_read_blob(struct source_cache *c, const char *blob, char **data, size_t *len,
		     struct up_error *err);
/* git's blob id of a file on disk ("" on error), for comparing trees. */
int source_hash_file(const char *path, bool is_symlink, char out[41], struct up_error *err);

/* Where a target's cache repository lives: CACHE_DIR/repos/NAME.git */
char *source_cache_dir(const struct config *cfg, const struct target_cfg *t);

#endif
