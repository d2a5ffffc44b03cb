/* health.c - health checks by command and by HTTP(S), with retries. */
#include "config.h"

#include "health.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "i18n.h"

#define BODY_CAP (64 * 1024)

void health_result_clear(struct health_result *r)
{
	FREE(r->evidence);
	*r = (struct health_result){ 0 };
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct body {
	struct strbuf sb;
};

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	struct body *b = user;
	size_t len = size * n;
	if (b->sb.len < BODY_CAP)
		strbuf_add(&b->sb, data, len < BODY_CAP - b->sb.len ? len : BODY_CAP - b->sb.len);
	return len;
}

/* Aborts the transfer once the job is cancelled. */
static int on_xfer(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		   curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	const volatile int *cancel = user;
	return cancel && *cancel;
}

static CURL *make_handle(const char *url, long long timeout_ms, const volatile int *cancel,
			 struct body *b, char *errbuf)
{
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? (long)timeout_ms : 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms > 0 ? (long)timeout_ms : 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "upkeep/" PACKAGE_VERSION " health");
	if (cancel) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)cancel);
	}
	const char *ca = getenv("SSL_CERT_FILE");
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	return c;
}

static int probe(const char *url, int expect_status, const char *expect_body,
		 long long timeout_ms, const volatile int *cancel, long *status, struct up_error *err)
{
	pthread_once(&curl_once, curl_init);
	struct body b = { STRBUF_INIT };
	char errbuf[CURL_ERROR_SIZE] = "";
	*status = 0;
	CURL *c = make_handle(url, timeout_ms, cancel, &b, errbuf);
	if (!c)
		return err_set(err, UP_ERR_INTERNAL, _("health: cannot create an HTTP handle"));
	CURLcode rc = curl_easy_perform(c);
	char *safe_url = escape_text(url, (size_t)-1, 200, 0);
	int ret = 0;
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		ret = err_set(err, UP_ERR_CANCELLED, _("health URL %s: cancelled"), safe_url);
	} else if (rc != CURLE_OK) {
		ret = err_set(err, rc == CURLE_OPERATION_TIMEDOUT ? UP_ERR_TIMEOUT : UP_ERR_MISMATCH,
			      "health URL %s: %s", safe_url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		strbuf_addch(&b.sb, '\0'); /* never NULL below */
		b.sb.len--;
		bool body_ok = !expect_body || (memmem(b.sb.buf, b.sb.len, expect_body, strlen(expect_body)));
		if (*status != expect_status || !body_ok) {
			char *excerpt = escape_text(b.sb.buf, b.sb.len, HEALTH_BODY_EXCERPT, 0);
			char *want = expect_body ? escape_text(expect_body, (size_t)-1, 80, 0) : NULL;
			if (*status != expect_status)
				ret = err_set(err, UP_ERR_MISMATCH,
					      "health URL %s: HTTP status %ld (expected %d); body: %s", safe_url,
					      *status, expect_status, excerpt);
			else
				ret = err_set(err, UP_ERR_MISMATCH,
					      _("health URL %s: HTTP status %ld but the body lacks \"%s\"; body: %s"),
					      safe_url, *status, want, excerpt);
			free(want);
			free(excerpt);
		}
	}
	free(safe_url);
	strbuf_release(&b.sb);
	curl_easy_cleanup(c);
	return ret;
}

int health_probe_url(const char *url, int expect_status, const char *expect_body,
		     long long timeout_ms, long *status, struct up_error *err)
{
	return probe(url, expect_status, expect_body, timeout_ms, NULL, status, err);
}

/* One attempt: the command, then the URL. */
static int attempt(const struct health_cfg *h, const struct hook_env *env, long long deadline,
		   struct health_result *res, struct up_error *err)
{
	long long left = deadline - util_monotonic_ms();
	if (left <= 0)
		return err_set(err, UP_ERR_TIMEOUT, _("health: out of time"));
	if (h->command) {
		struct hook_result hr;
		struct hook_env e = *env;
		e.phase = "health";
		int rc = hooks_run_command(h->command, &e, left, &hr, err);
		hook_result_clear(&hr);
		if (rc < 0)
			return -1;
		left = deadline - util_monotonic_ms();
		if (left <= 0)
			return err_set(err, UP_ERR_TIMEOUT, _("health: out of time"));
	}
	if (h->url)
		return probe(h->url, h->expect_status, h->expect_body, left, env->cancel,
			     &res->http_status, err);
	return 0;
}

/* Sleeps ms, in slices so that a cancel is seen at once; -1 when
 * cancelled. */
static int pause_unless_cancelled(long long ms, const volatile int *cancel)
{
	long long end = util_monotonic_ms() + ms;
	for (long long left = ms; left > 0; left = end - util_monotonic_ms()) {
		if (cancel && *cancel)
			return -1;
		usleep((useconds_t)((left < 50 ? left : 50) * 1000));
	}
	return cancel && *cancel ? -1 : 0;
}

int health_check(const struct health_cfg *h, const struct hook_env *env,
		 struct health_result *res, struct up_error *err)
{
	*res = (struct health_result){ 0 };
	if (!h->command && !h->url)
		return 0;
	res->checked = true;
	long long start = util_monotonic_ms();
	long long deadline = start + (h->timeout_ms > 0 ? h->timeout_ms : 30000);
	long long wait = h->interval_ms > 0 ? h->interval_ms : 0;
	struct strbuf ev = STRBUF_INIT;
	int rc = -1;
	for (int i = 0; i <= (h->retries > 0 ? h->retries : 0); i++) {
		res->attempts++;
		rc = attempt(h, env, deadline, res, err);
		if (rc == 0 || err->status == UP_ERR_CANCELLED)
			break;
		strbuf_addf(&ev, "attempt %d: %s\n", res->attempts, err->msg ? err->msg : "failed");
		long long left = deadline - util_monotonic_ms();
		if (left <= 0 || i == h->retries)
			break;
		if (pause_unless_cancelled(wait < left ? wait : left, env->cancel) < 0) {
			rc = err_set(err, UP_ERR_CANCELLED, _("health: cancelled while waiting to retry"));
			break;
		}
		wait *= 2;
	}
	res->evidence = strbuf_detach(&ev);
	if (rc < 0 && err->status != UP_ERR_CANCELLED)
		err_prefix(err, ngettext("unhealthy after %d attempt", "unhealthy after %d attempts",
					 (unsigned long)res->attempts), res->attempts);
	return rc;
}
