/* batch.h - the headless front: `upkeep --batch COMMAND ...`. It submits
 * the same jobs as the console and prints their results as text or JSON
 * lines; it never prompts. */
#ifndef UPKEEP_BATCH_H
#define UPKEEP_BATCH_H

#include <stdbool.h>

#include "conf.h"

struct batch_options {
	bool json;     /* one JSON object per line on stdout */
	bool quiet;    /* no progress on stderr */
	/* archive commands */
	const char *note;  /* backup --note TEXT */
	const char *to;    /* restore --to DIR */
	bool force;        /* restore: DIR may be non-empty */
	bool read_data;    /* verify: re-read and re-hash every chunk */
	bool all;          /* verify: every snapshot */
	bool dry_run;      /* prune: say what would go, change nothing */
	bool yes;          /* forget: really delete */
	bool current;      /* diff: against the live tree */
	const char *output; /* export --output FILE */
	bool rebuild_index; /* repair --rebuild-index */
	/* install */
	bool allow_downgrade; /* a release older than the installed one */
	bool force_drift;     /* overwrite files changed locally */
};

/* Runs one command (argv[0]) and returns the exit code (upkeep.h). */
int batch_run(const struct config *cfg, int argc, char **argv, const struct batch_options *o);

#endif
