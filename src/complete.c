/* complete.c - listings for shell completion and scripts that change
 * nothing: no recovery at start, no state database, no archive created. */
#include "config.h"

#include "complete.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "archive_snap.h"
#include "escape.h"

void complete_print_targets(const struct config *cfg, FILE *out)
{
	/* Target names are restricted to [A-Za-z0-9._-] by the configuration. */
	for (size_t i = 0; i < cfg->n_targets; i++)
		fprintf(out, "%s\n", cfg->targets[i].name);
}

int complete_print_snapshots(const struct config *cfg, FILE *out, struct up_error *err)
{
	struct snapshot_info *v = NULL;
	size_t n = 0;
	if (archive_snapshots_of(cfg->state_dir, NULL, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char when[32] = "-";
		time_t t = (time_t)v[i].time;
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		/* The version comes from a tag name: untrusted. */
		char *version = escape_text(v[i].version ? v[i].version : "-", (size_t)-1, 40, 0);
		fprintf(out, "%lld\t%s\t%s\t%s\t%s\n", (long long)v[i].id, v[i].target, when, version,
			v[i].reason ? v[i].reason : "-");
		free(version);
	}
	snapshot_infos_free(&v, n);
	return 0;
}
