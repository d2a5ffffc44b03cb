/* words.h - the engine's data words in the user's language, at display
 * time: job kinds, job outcomes, step names, log levels, release kinds and
 * snapshot reasons. The state database, the JSON and the logs keep the
 * English words; only what the console draws is translated. A word the
 * tables do not know (a newer engine's) is shown as it is. */
#ifndef UPKEEP_WORDS_H
#define UPKEEP_WORDS_H

#include "classify.h"
#include "store.h"

/* "backup" -> "Sicherung". */
const char *words_job_kind(const char *kind);
/* JOB_ROLLED_BACK -> "zurückgerollt". */
const char *words_job_state(enum job_state st);
/* A stored outcome or state name ("rolled back") -> words_job_state. */
const char *words_outcome(const char *name);
/* A step of a job ("preflight", "swap"); hook names (config keys such as
 * pre_install) stay as they are. */
const char *words_step(const char *step);
/* A log line's level ("warning", "error"). */
const char *words_level(const char *level);
/* KIND_PRERELEASE -> "Vorabversion" (the long name; badges are shorter). */
const char *words_release_kind(enum release_kind k);
/* Why a snapshot was taken ("pre-update"). */
const char *words_reason(const char *reason);
/* Signature verdicts: tagverify_verdict_text(), tagverify_describe_text(). */

#endif
