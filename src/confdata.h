/* confdata.h - a target's `data:` list: the dumps taken with its code.
 *
 *   data:
 *     - { name: db, dump: "sqlite3 /srv/app/app.db .dump", restore: "/srv/bin/load-db" }
 *
 * Each entry needs a name (letters, digits, '.', '_', '-'; it names the dump
 * file .upkeep-data/NAME in a snapshot), a dump command (its standard output
 * is the dump) and a restore command (it reads the dump on standard input;
 * UPKEEP_DUMP names the file too). `timeout:` is optional (default: the
 * target's hooks.timeout). Commands are split on spaces and run without a
 * shell, as hooks are.
 */
#ifndef UPKEEP_CONFDATA_H
#define UPKEEP_CONFDATA_H

#include <stddef.h>

struct yamltree_errors;
struct yamltree_node;

struct data_cfg {
	char *name;
	char *dump;
	char *restore;
	long long timeout_ms;  /* 0 = the target's hooks.timeout */
};

/* Parses the list at v (key path `path` for messages), reporting problems
 * to errs. Replaces *out (n entries) only when the list is valid. */
void confdata_parse(struct yamltree_errors *errs, const struct yamltree_node *v,
		    const char *path, struct data_cfg **out, size_t *n);
void confdata_free(struct data_cfg **v, size_t *n);

#endif
