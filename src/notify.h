/* notify.h - telling a human what an unattended run did: a webhook (one
 * JSON document POSTed through libcurl) and mail through sendmail(8).
 *
 * Each target has its own `notify:` section (the top-level one is merged
 * into every target); a notice goes out only for the events listed in
 * `notify.on`. The document:
 *
 *   {"source": "upkeep", "upkeep": "0.1.0", "host": "web1", "event": "rollback",
 *    "target": "wiki", "job": 42, "time": 1764990000, "summary": "...",
 *    "from": "1.1.0", "to": "1.2.0", "details": "...", "since": null, "ended": null}
 *
 * "since" (unix seconds) is set on a reminder of a failure that lasts and
 * on "recovered"; "ended" names the event a "recovered" notice ends.
 *
 * Webhook: Content-Type application/json, X-Upkeep-Event, with `secret`
 * an X-Upkeep-Signature header "sha256=HEX" (HMAC-SHA256 of the body), with
 * `token` an "Authorization: Bearer" header. Redirects are not followed.
 * A connection failure, a timeout, HTTP 408, 429 or 5xx is retried
 * `retries` times after 1, 2, 4... seconds (at most 30 s); other answers
 * are final. Only 2xx counts as delivered.
 *
 * Mail: `SENDMAIL -t -oi` (no shell), the message on its standard input,
 * with To, Subject ("[upkeep] HOST: SUMMARY") and optionally From headers.
 *
 * Secrets never reach a log, the terminal or an error message: a webhook is
 * named by its scheme, host and port only, and error texts have the URL,
 * the token and the secret cut out.
 */
#ifndef UPKEEP_NOTIFY_H
#define UPKEEP_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"

struct store;

struct notice {
	enum notify_event event;
	const char *target;
	int64_t job;            /* the job it is about, 0 = none */
	const char *summary;    /* one line (escaped) */
	const char *from, *to;  /* versions, or NULL */
	const char *details;    /* error, evidence... (escaped), or NULL */
	long long since;        /* a lasting failure: when it was first notified, else 0 */
	enum notify_event ended; /* NOTIFY_RECOVERED: the failure that ended */
};

/* "success", "failure", "rollback", "security", "backup_failure", "drill_failure" */
const char *notify_event_name(enum notify_event ev);

/* Sends n through t's channels when t->notify.on lists its event. log_job
 * names the job lines go under. Returns the number of channels that
 * delivered it; *failed (may be NULL) counts the channels that did not.
 * Every attempt and failure is logged. */
int notify_send(const struct target_cfg *t, const struct notice *n, int64_t log_job_id,
		int *failed);

/* True when t has a channel for ev. */
bool notify_wanted(const struct target_cfg *t, enum notify_event ev);

/* Notices sent once per subject (a security release per tag): whether one
 * was sent, and recording that it was. */
bool notify_already_sent(struct store *s, const char *target, enum notify_event ev,
			 const char *subject);
int notify_mark_sent(struct store *s, const char *target, enum notify_event ev,
		     const char *subject, long long when, struct up_error *err);

/* Failures that last (notify_lasting.c): a check (NOTIFY_FAILURE), a
 * scheduled backup or a drill failing run after run. notify_lasting_failure
 * sends n when the failure is new or notify.repeat has passed since its
 * last notice (a reminder says since when it fails), else only logs that
 * it did not. notify_lasting_ok sends "recovered" when a failure of ev was
 * notified; `what` names the thing ("check"). Both return the channels that
 * delivered. */
int notify_lasting_failure(struct store *s, const struct target_cfg *t, const struct notice *n,
			   long long now, int64_t job);
int notify_lasting_ok(struct store *s, const struct target_cfg *t, enum notify_event ev,
		      const char *what, int64_t job);

/* "https://host:port" of a URL, for messages. The caller frees it. */
char *notify_url_origin(const char *url);

#endif
