/* notify.c - webhook (libcurl) and sendmail notifications. */
#include "config.h"

#include "notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "archive_snap.h"
#include "i18n.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define NOTIFY_BACKOFF_FIRST_MS 1000
#define NOTIFY_BACKOFF_MAX_MS 30000
#define NOTIFY_SENDMAIL_DEFAULT "/usr/sbin/sendmail"
#define NOTIFY_SENDMAIL_TIMEOUT_MS 60000

const char *notify_event_name(enum notify_event ev)
{
	switch (ev) {
	case NOTIFY_SUCCESS: return "success";
	case NOTIFY_FAILURE: return "failure";
	case NOTIFY_ROLLBACK: return "rollback";
	case NOTIFY_SECURITY: return "security";
	case NOTIFY_BACKUP_FAILURE: return "backup_failure";
	case NOTIFY_DRILL_FAILURE: return "drill_failure";
	case NOTIFY_RECOVERED: return "recovered";
	}
	return "unknown";
}

bool notify_wanted(const struct target_cfg *t, enum notify_event ev)
{
	return (t->notify.on & ev) && (t->notify.webhook.url || t->notify.mail.to);
}

/* ---- secrets stay out of messages ---- */

char *notify_url_origin(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return xstrdup("(webhook)");
	const char *host = p + 3, *end = host + strcspn(host, "/?#");
	const char *at = memchr(host, '@', (size_t)(end - host)); /* user:password@ */
	if (at)
		host = at + 1;
	return xasprintf("%.*s%.*s", (int)(p + 3 - url), url, (int)(end - host), host);
}

/* Cuts every occurrence of secret out of s (in place). */
static void redact(char *s, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	if (n < 4) /* "" or a tiny value would cut ordinary words */
		return;
	char *hit;
	while ((hit = strstr(s, secret))) {
		memcpy(hit, "***", 3);
		memmove(hit + 3, hit + n, strlen(hit + n) + 1);
	}
}

static char *redacted(const struct webhook_cfg *w, const char *msg)
{
	char *s = xstrdup(msg ? msg : "");
	redact(s, w->url);
	redact(s, w->token);
	redact(s, w->secret);
	return s;
}

/* ---- the document ---- */

static char *notice_json(const struct notice *n)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "source", json_object_new_string("upkeep"));
	json_object_object_add(o, "upkeep", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "event", json_object_new_string(notify_event_name(n->event)));
	json_object_object_add(o, "target", n->target ? json_object_new_string(n->target) : NULL);
	json_object_object_add(o, "job", n->job ? json_object_new_int64(n->job) : NULL);
	json_object_object_add(o, "time", json_object_new_int64(archive_now()));
	json_object_object_add(o, "summary", json_object_new_string(n->summary ? n->summary : ""));
	json_object_object_add(o, "from", n->from ? json_object_new_string(n->from) : NULL);
	json_object_object_add(o, "to", n->to ? json_object_new_string(n->to) : NULL);
	json_object_object_add(o, "details", n->details ? json_object_new_string(n->details) : NULL);
	json_object_object_add(o, "since", n->since ? json_object_new_int64(n->since) : NULL);
	json_object_object_add(o, "ended", n->ended ? json_object_new_string(notify_event_name(n->ended))
			       : NULL);
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* ---- webhook ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t discard_body(char *data, size_t size, size_t n, void *user)
{
	(void)data;
	(void)user;
	return size * n;
}

static char *signature_header(const char *secret, const char *body)
{
	unsigned char mac[32];
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, strlen(secret), body, strlen(body), mac) < 0)
		return NULL;
	char hex[65];
	for (size_t i = 0; i < sizeof mac; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return xasprintf("X-Upkeep-Signature: sha256=%s", hex);
}

/* One POST. Returns 0 when delivered, 1 when worth retrying, -1 when final;
 * *why says what went wrong (secrets not yet cut out). */
static int webhook_post_once(const struct webhook_cfg *w, const char *event, const char *body,
			     char **why)
{
	CURL *c = curl_easy_init();
	if (!c) {
		*why = xstrdup("cannot create a libcurl handle");
		return -1;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char *line = xasprintf("X-Upkeep-Event: %s", event);
	h = curl_slist_append(h, line);
	free(line);
	if (w->token) {
		line = xasprintf("Authorization: Bearer %s", w->token);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (w->secret && (line = signature_header(w->secret, body))) {
		h = curl_slist_append(h, line);
		free(line);
	}
	long ms = w->timeout_ms > 0 ? (long)w->timeout_ms : 10000L;
	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "upkeep/" PACKAGE_VERSION " notify");
	const char *ca = getenv("SSL_CERT_FILE");
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		*why = xstrdup(errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return 1;
	}
	if (status >= 200 && status < 300)
		return 0;
	*why = xasprintf("HTTP status %ld", status);
	return status == 408 || status == 429 || status >= 500 ? 1 : -1;
}

static int webhook_send(const struct webhook_cfg *w, const char *event, const char *body,
			int64_t job)
{
	pthread_once(&curl_once, curl_init);
	char *origin = notify_url_origin(w->url);
	long long backoff = NOTIFY_BACKOFF_FIRST_MS;
	int rc = -1;
	for (int attempt = 0; attempt <= w->retries; attempt++) {
		char *why = NULL;
		rc = webhook_post_once(w, event, body, &why);
		if (rc == 0) {
			log_job(job, LOG_LVL_INFO, "notify: %s sent to webhook %s", event, origin);
			break;
		}
		char *safe = redacted(w, why);
		bool again = rc > 0 && attempt < w->retries;
		log_job(job, again ? LOG_LVL_WARNING : LOG_LVL_ERROR,
			"notify: webhook %s, attempt %d of %d: %s%s", origin, attempt + 1, w->retries + 1,
			safe, again ? "; trying again" : "");
		free(safe);
		free(why);
		if (!again)
			break;
		struct timespec ts = { backoff / 1000, (backoff % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		backoff = backoff * 2 > NOTIFY_BACKOFF_MAX_MS ? NOTIFY_BACKOFF_MAX_MS : backoff * 2;
	}
	free(origin);
	return rc == 0 ? 0 : -1;
}

/* ---- mail ---- */

/* A header value on one line. */
static char *header_value(const char *s)
{
	char *v = xstrdup(s ? s : "");
	for (char *p = v; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return v;
}

static char *mail_message(const struct mail_cfg *m, const struct notice *n, const char *json)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char *to = header_value(m->to), *summary = header_value(n->summary);
	struct strbuf sb = STRBUF_INIT;
	if (m->from) {
		char *from = header_value(m->from);
		strbuf_addf(&sb, "From: %s\n", from);
		free(from);
	}
	strbuf_addf(&sb, "To: %s\nSubject: [upkeep] %s: %s\n", to, host, summary);
	strbuf_addstr(&sb, "Content-Type: text/plain; charset=UTF-8\nMIME-Version: 1.0\n"
		      "Auto-Submitted: auto-generated\n\n");
	strbuf_addf(&sb, "%s\n\nevent: %s\n", n->summary ? n->summary : "",
		    notify_event_name(n->event));
	if (n->target)
		strbuf_addf(&sb, "target: %s\n", n->target);
	if (n->job)
		strbuf_addf(&sb, "job: %lld\n", (long long)n->job);
	if (n->from || n->to)
		strbuf_addf(&sb, "versions: %s -> %s\n", n->from ? n->from : "-", n->to ? n->to : "-");
	if (n->details)
		strbuf_addf(&sb, "\n%s\n", n->details);
	strbuf_addf(&sb, "\n-- \n%s\n", json);
	free(to);
	free(summary);
	return strbuf_detach(&sb);
}

static int wait_child(pid_t pid, long long timeout_ms, int *status)
{
	long long deadline = util_monotonic_ms() + timeout_ms;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (util_monotonic_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return 1;
		}
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int mail_send(const struct mail_cfg *m, const struct notice *n, const char *json,
		     int64_t job)
{
	const char *prog = m->sendmail ? m->sendmail : NOTIFY_SENDMAIL_DEFAULT;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		log_job(job, LOG_LVL_ERROR, "notify: mail: pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[0], 0);
	const char *path = getenv("PATH"), *home = getenv("HOME");
	char *env_path = xasprintf("PATH=%s", path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	char *env_home = xasprintf("HOME=%s", home ? home : "/");
	char *envp[] = { env_path, env_home, (char *)"LANG=C.UTF-8", NULL };
	char *argv[] = { (char *)prog, (char *)"-t", (char *)"-oi", NULL };
	pid_t pid;
	sigset_t old, pipe_only;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &old); /* no SIGPIPE while writing to it */
	int rc = posix_spawnp(&pid, prog, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[0]);
	free(env_path);
	free(env_home);
	if (rc != 0) {
		close(pfd[1]);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		log_job(job, LOG_LVL_ERROR, "notify: mail: cannot run %s: %s", prog, strerror(rc));
		return -1;
	}
	char *msg = mail_message(m, n, json);
	int wrc = write_all(pfd[1], msg, strlen(msg));
	close(pfd[1]);
	free(msg);
	int status = 0;
	int wait = wait_child(pid, NOTIFY_SENDMAIL_TIMEOUT_MS, &status);
	/* a SIGPIPE that arrived meanwhile is pending: drop it before unblocking */
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&pipe_only, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (wait == 0 && wrc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_job(job, LOG_LVL_INFO, "notify: %s mailed through %s", notify_event_name(n->event),
			prog);
		return 0;
	}
	log_job(job, LOG_LVL_ERROR, "notify: mail through %s failed: %s", prog,
		wait == 1 ? "no exit within 60 s" : wrc < 0 ? "it did not read the message" :
		WIFEXITED(status) ? "non-zero exit status" : "killed by a signal");
	return -1;
}

int notify_send(const struct target_cfg *t, const struct notice *n, int64_t log_job_id,
		int *failed)
{
	int sent = 0, bad = 0;
	if (n->event != NOTIFY_RECOVERED && !(t->notify.on & n->event)) {
		if (failed)
			*failed = 0;
		return 0;
	}
	char *json = notice_json(n);
	if (t->notify.webhook.url) {
		if (webhook_send(&t->notify.webhook, notify_event_name(n->event), json, log_job_id) == 0)
			sent++;
		else
			bad++;
	}
	if (t->notify.mail.to) {
		if (mail_send(&t->notify.mail, n, json, log_job_id) == 0)
			sent++;
		else
			bad++;
	}
	free(json);
	if (failed)
		*failed = bad;
	return sent;
}

/* ---- notices sent once ---- */

bool notify_already_sent(struct store *s, const char *target, enum notify_event ev,
			 const char *subject)
{
	sqlite3_stmt *st = NULL;
	bool found = false;
	if (sqlite3_prepare_v2(store_db(s), "SELECT 1 FROM notices WHERE target = ?1 AND "
			       "event = ?2 AND subject = ?3", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, notify_event_name(ev), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}

int notify_mark_sent(struct store *s, const char *target, enum notify_event ev,
		     const char *subject, long long when, struct up_error *err)
{
	if (store_write_begin(s, err) < 0)
		return -1;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(store_db(s), "INSERT OR REPLACE INTO notices (target, event, "
				    "subject, time) VALUES (?1, ?2, ?3, ?4)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, notify_event_name(ev), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, when);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_write_rollback(s);
		return err_set(err, UP_ERR_STATE, _("state database: recording a notice: %s"),
			       sqlite3_errmsg(store_db(s)));
	}
	return store_write_commit(s, err);
}
