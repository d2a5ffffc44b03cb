/* words.c - see words.h. Each table row holds the engine's word and the
 * same word with a gettext context (msgctxt), because German needs other
 * words for a job kind ("Sicherung") than for the hint verb of the same
 * English word ("sichern"). */
#include "config.h"

#include "words.h"

#include <string.h>

#include "i18n.h"

struct word {
	const char *word;
	const char *msg;  /* NC_(context, word) */
};

static const char *pgettext_word(const struct word *w)
{
	return i18n_pgettext(w->msg, w->word);
}

static const char *lookup(const struct word *table, size_t n, const char *word)
{
	if (!word)
		return "";
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].word, word) == 0)
			return pgettext_word(&table[i]);
	return word;
}

#define LOOKUP(table, word) lookup(table, sizeof table / sizeof table[0], word)

/* L10N: job kinds, shown in History, Progress and the step log. */
static const struct word kinds[] = {
	{ "check", NC_("job kind", "check") },
	{ "install", NC_("job kind", "install") },
	{ "backup", NC_("job kind", "backup") },
	{ "restore", NC_("job kind", "restore") },
	{ "verify", NC_("job kind", "verify") },
	{ "prune", NC_("job kind", "prune") },
	{ "recover", NC_("job kind", "recover") },
	{ "forget", NC_("job kind", "forget") },
	{ "pin", NC_("job kind", "pin") },
	{ "unpin", NC_("job kind", "unpin") },
	{ "plan", NC_("job kind", "plan") },
	{ "diff", NC_("job kind", "diff") },
	{ "drill", NC_("job kind", "drill") },
	{ "policy", NC_("job kind", "policy") },
	{ "repair", NC_("job kind", "repair") },
};

const char *words_job_kind(const char *kind)
{
	return LOOKUP(kinds, kind);
}

/* L10N: job outcomes and states (History's Outcome column). */
static const struct word states[] = {
	[JOB_QUEUED] = { "queued", NC_("job state", "queued") },
	[JOB_RUNNING] = { "running", NC_("job state", "running") },
	[JOB_OK] = { "ok", NC_("job state", "ok") },
	[JOB_FAILED] = { "failed", NC_("job state", "failed") },
	[JOB_CANCELLED] = { "cancelled", NC_("job state", "cancelled") },
	[JOB_ROLLED_BACK] = { "rolled back", NC_("job state", "rolled back") },
	[JOB_RECOVERED] = { "recovered", NC_("job state", "recovered") },
};

const char *words_job_state(enum job_state st)
{
	if ((unsigned)st >= sizeof states / sizeof states[0])
		return store_job_state_name(st);
	return pgettext_word(&states[st]);
}

const char *words_outcome(const char *name)
{
	enum job_state st;
	return name && store_job_state_parse(name, &st) ? words_job_state(st) : name ? name : "";
}

/* L10N: the steps of jobs (Progress, the step log in History). */
static const struct word steps[] = {
	{ "preflight", NC_("step", "preflight") },
	{ "intent", NC_("step", "intent") },
	{ "download", NC_("step", "download") },
	{ "snapshot", NC_("step", "snapshot") },
	{ "stage", NC_("step", "stage") },
	{ "preserve", NC_("step", "preserve") },
	{ "swap", NC_("step", "swap") },
	{ "data", NC_("step", "data") },
	{ "health", NC_("step", "health") },
	{ "finish", NC_("step", "finish") },
	{ "rollback", NC_("step", "rollback") },
	{ "verify", NC_("step", "verify") },
	{ "diff", NC_("step", "diff") },
	{ "restore", NC_("step", "restore") },
	{ "compare", NC_("step", "compare") },
	{ "check", NC_("step", "check") },
	{ "install", NC_("step", "install") },
	{ "forget", NC_("step", "forget") },
};

const char *words_step(const char *step)
{
	return LOOKUP(steps, step);
}

/* L10N: the level of a log line in a job's log. */
static const struct word levels[] = {
	{ "info", NC_("log level", "info") },
	{ "warning", NC_("log level", "warning") },
	{ "error", NC_("log level", "error") },
};

const char *words_level(const char *level)
{
	return LOOKUP(levels, level);
}

/* L10N: release kinds in full (release details, the Progress log). */
static const struct word release_kinds[] = {
	[KIND_NONE] = { "", "" },
	[KIND_MAJOR] = { "major", NC_("release kind", "major") },
	[KIND_MINOR] = { "minor", NC_("release kind", "minor") },
	[KIND_PATCH] = { "patch", NC_("release kind", "patch") },
	[KIND_PRERELEASE] = { "pre-release", NC_("release kind", "pre-release") },
};

const char *words_release_kind(enum release_kind k)
{
	if ((unsigned)k >= sizeof release_kinds / sizeof release_kinds[0] || k == KIND_NONE)
		return "";
	return pgettext_word(&release_kinds[k]);
}

/* L10N: why a snapshot was taken (Backups' Reason column, 11 columns). */
static const struct word reasons[] = {
	{ "manual", NC_("snapshot reason", "manual") },
	{ "scheduled", NC_("snapshot reason", "scheduled") },
	{ "pre-update", NC_("snapshot reason", "pre-update") },
	{ "pre-restore", NC_("snapshot reason", "pre-restore") },
};

const char *words_reason(const char *reason)
{
	return LOOKUP(reasons, reason);
}
