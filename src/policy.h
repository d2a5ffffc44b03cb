/* policy.h - what the unattended run (`upkeep --batch` alone) may do: which
 * release of a target it installs, whether the maintenance window is open,
 * and whether a scheduled backup or restore drill is due.
 *
 * Nothing here touches the disk or the network: the batch front feeds in a
 * check result and the time, so every rule can be tested on its own.
 *
 * A release is allowed when its kind (major, minor, patch, pre-release)
 * is listed in policy.auto_install, or when it carries a listed flag
 * (security, hotfix). The run installs the newest release the channel
 * offers that is allowed, and only while the window is open. The signature
 * policy (verify.signatures) holds a release whose verdict the install's
 * preflight would refuse, so the run reports it as pending instead of
 * failing on it.
 */
#ifndef UPKEEP_POLICY_H
#define UPKEEP_POLICY_H

#include <stdbool.h>

#include "check.h"
#include "conf.h"

/* True when `now` (unix seconds) lies in the window, read in local time
 * (TZ). NULL = any time. A window whose end is before its start runs past
 * midnight and belongs to the day it starts on: "Fri 22:00-02:00" is open
 * on Saturday at 01:00. A window that does not parse is never open. */
bool policy_window_open(const char *window, long long now);

enum policy_verdict {
	POLICY_NOTHING,   /* nothing newer is offered */
	POLICY_INSTALL,   /* install releases[install] now */
	POLICY_HELD       /* something is offered but policy does not allow it now */
};

struct policy_decision {
	enum policy_verdict verdict;
	long install;      /* index into the check result's releases, or -1 */
	long held;         /* the newest offered release not installed, or -1 */
	char *why;         /* why `held` stays pending (owned), or NULL */
};
void policy_decision_clear(struct policy_decision *d);

/* Decides for one target from its check result (which must be ok). After
 * an install decision, `held` still names a newer offered release that the
 * policy does not allow, so the run can report it as pending. */
void policy_decide(const struct target_cfg *t, const struct check_result *r, long long now,
		   struct policy_decision *d);

/* Due when `every_ms` is set and the last time (unix seconds, 0 = never)
 * lies `every_ms` or more before now. */
bool policy_due(long long every_ms, long long last, long long now);

#endif
