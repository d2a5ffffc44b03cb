/* confvalue.h - the configuration's values, each parsed and validated on
 * its own: integers, booleans, names, time windows, absolute paths, URLs,
 * repository locations and preserve paths.
 *
 * Nothing here knows the schema (config.c holds it). The functions that take
 * a node report what is wrong to errs, at the node, as "KEY.PATH: what is
 * wrong (what was expected)", and return NULL; otherwise they return the
 * value to keep, which the caller frees.
 */
#ifndef UPKEEP_CONFVALUE_H
#define UPKEEP_CONFVALUE_H

#include <stdbool.h>

struct yamltree_errors;
struct yamltree_node;

/* Untrusted text for a message: quoted, escaped, cut short. The caller
 * frees the result. */
char *confvalue_quote(const char *s);

/* A decimal integer with an optional '-', nothing around it. */
bool confvalue_parse_int(const char *s, long long *out);
/* true, yes, false or no, in any case. */
bool confvalue_parse_bool(const char *s, bool *out);

/* A table of names, ended by { NULL, 0 }. */
struct confvalue_name {
	const char *name;
	int value;
};

/* The index of s in names, or -1. */
int confvalue_name_lookup(const struct confvalue_name *names, const char *s);
/* "a, b, c"; the caller frees the result. */
char *confvalue_names_list(const struct confvalue_name *names);

/* "DAYS HH:MM-HH:MM": DAYS is "daily" or a comma-separated list of days
 * and day ranges (Mon,Wed-Fri); the window may run past midnight. */
bool confvalue_window_valid(const char *s);

/* v's text as an absolute path, trailing slashes removed; "/" is refused
 * when not_root. */
char *confvalue_abspath(struct yamltree_errors *errs, const struct yamltree_node *v,
			const char *path, bool not_root);
/* An http:// or https:// URL with a host; file:// too when file_ok. */
char *confvalue_http_url(struct yamltree_errors *errs, const struct yamltree_node *v,
			 const char *path, const char *expect, bool file_ok);
/* A source repository: an allowed URL, scp-like, or a path that is made
 * absolute against dir (the configuration file's directory, "" for /). */
char *confvalue_git_url(struct yamltree_errors *errs, const struct yamltree_node *v,
			const char *path, const char *expect, const char *dir);

/* Why a preserve entry is unusable, or NULL. */
const char *confvalue_preserve_problem(const char *s);
/* "./data//x/" -> "data/x/": the form callers compare against. s is one
 * that confvalue_preserve_problem() accepts. */
char *confvalue_preserve_normalize(const char *s);

#endif
