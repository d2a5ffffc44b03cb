/* health.h - is the application healthy after a switch?
 *
 * A target's health: section names a command (healthy when it exits 0
 * within the time left), a URL (healthy when the response status equals
 * expect_status and, when expect_body is set, the body contains it), or
 * both (both must pass). Attempts are repeated up to `retries` more times,
 * waiting interval_ms, then twice that, and so on, all within timeout_ms
 * overall. The last failure's evidence (command output, HTTP status and a
 * body excerpt) is kept for the job's record.
 * URLs: http and https only, no redirects followed, certificates verified
 * (SSL_CERT_FILE trusts a private CA, as elsewhere in upkeep).
 */
#ifndef UPKEEP_HEALTH_H
#define UPKEEP_HEALTH_H

#include <stdbool.h>

#include "conf.h"
#include "error.h"
#include "hooks.h"

#define HEALTH_BODY_EXCERPT 200

struct health_result {
	bool checked;         /* false when the target has no health check */
	int attempts;
	long http_status;     /* 0 when no response */
	char *evidence;       /* one line per failed attempt's reason (owned) */
};
void health_result_clear(struct health_result *r);

/* One HTTP probe: 0 when healthy; -1 with err describing the failure
 * (status, curl error, body excerpt). *status gets the response code. */
int health_probe_url(const char *url, int expect_status, const char *expect_body,
		     long long timeout_ms, long *status, struct up_error *err);

/* Runs the check with retries. 0 = healthy (or nothing to check). */
int health_check(const struct health_cfg *h, const struct hook_env *env,
		 struct health_result *res, struct up_error *err);

#endif
