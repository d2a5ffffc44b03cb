/* fetch_guard.c - a fetch of tags on its own thread, abandoned at its deadline. */
#include "config.h"

#include "fetch_guard.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "i18n.h"
#include "util.h"

/* Everything the thread uses is its own: an abandoned thread frees it. */
struct guard {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done, abandoned;
	bool list;              /* list the remote's tags rather than fetch */
	char *dir, *url;
	struct strvec tags;
	struct tag_list listed;
	struct source_limits lim;
	volatile int cancel;
	int rc;
	struct up_error err;
};

static void guard_free(struct guard *g)
{
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g->dir);
	free(g->url);
	strvec_clear(&g->tags);
	tag_list_free(&g->listed);
	err_clear(&g->err);
	free(g);
}

static void *guard_main(void *arg)
{
	struct guard *g = arg;
	struct source_cache *cache = NULL;
	int rc;
	if (g->list) {
		rc = source_ls_tags(g->url, &g->lim, &g->listed, &g->err);
	} else {
		rc = source_cache_open(g->dir, &cache, &g->err);
		if (rc == 0)
			rc = source_fetch_tags(cache, g->url, (const char *const *)g->tags.items,
					       g->tags.n, &g->lim, &g->err);
		source_cache_close(&cache);
	}
	pthread_mutex_lock(&g->mu);
	g->rc = rc;
	g->done = true;
	bool abandoned = g->abandoned;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (abandoned)
		guard_free(g);
	return NULL;
}

static int start_thread(struct guard *g)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t tid;
	int rc = pthread_create(&tid, &attr, guard_main, g);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Starts g's thread and waits for it until lim's deadline plus the grace
 * period. Returns the operation's result (a listing moved to *listed), or
 * -1 with a message naming the limit when it was abandoned. Either way g
 * is no longer the caller's: freed here, or by the abandoned thread. */
static int guard_run(struct guard *g, const struct source_limits *lim, const char *limit,
		     long long limit_ms, struct tag_list *listed, struct up_error *err)
{
	g->lim = *lim;
	g->lim.cancel = &g->cancel;
	if (start_thread(g) != 0) {
		guard_free(g);
		return err_set(err, UP_ERR_INTERNAL, "cannot start a thread");
	}
	long long until = lim->deadline_ms + FETCH_GUARD_GRACE_MS;
	pthread_mutex_lock(&g->mu);
	while (!g->done && !(lim->cancel && *lim->cancel) && util_monotonic_ms() < until) {
		/* wake at least every 100 ms to see the caller's cancel flag */
		long long next = util_monotonic_ms() + 100;
		if (next > until)
			next = until;
		struct timespec ts = { (time_t)(next / 1000), (long)(next % 1000) * 1000000L };
		pthread_cond_timedwait(&g->cv, &g->mu, &ts);
	}
	if (g->done) {
		pthread_mutex_unlock(&g->mu);
		int rc = g->rc;
		if (rc < 0 && err) {
			err_clear(err);
			*err = g->err;
			g->err = (struct up_error)UP_ERROR_INIT;
		}
		if (rc == 0 && listed) {
			*listed = g->listed;
			memset(&g->listed, 0, sizeof(g->listed));
		}
		guard_free(g);
		return rc;
	}
	bool cancelled = lim->cancel && *lim->cancel;
	g->abandoned = true;
	g->cancel = 1;
	pthread_mutex_unlock(&g->mu);
	char *safe = escape_text(g->url, (size_t)-1, 200, 0);
	int rc;
	if (cancelled)
		rc = err_set(err, UP_ERR_CANCELLED, "%s: cancelled", safe);
	else if (strcmp(limit, "limits.fetch_time") == 0)
		rc = err_set(err, UP_ERR_TIMEOUT,
			     _("%s: fetching the tags took longer than limits.fetch_time (%lld s)"),
			     safe, limit_ms / 1000);
	else
		rc = err_set(err, UP_ERR_TIMEOUT,
			     _("%s: no answer within the time limit (limits.timeout %lld s)"), safe,
			     limit_ms / 1000);
	free(safe);
	return rc;
}

static struct guard *guard_new(const char *url)
{
	struct guard *g = xcalloc(1, sizeof(*g));
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	g->url = xstrdup(url);
	return g;
}

int fetch_guard_ls_tags(const char *url, const struct source_limits *lim, long long limit_ms,
			struct tag_list *out, struct up_error *err)
{
	struct guard *g = guard_new(url);
	g->list = true;
	memset(out, 0, sizeof(*out));
	return guard_run(g, lim, "limits.timeout", limit_ms, out, err);
}

int fetch_guard_tags(const char *cache_dir, const char *url, const char *const *tags, size_t n,
		     const struct source_limits *lim, long long limit_ms, struct up_error *err)
{
	struct guard *g = guard_new(url);
	g->dir = xstrdup(cache_dir);
	for (size_t i = 0; i < n; i++)
		strvec_push(&g->tags, tags[i]);
	return guard_run(g, lim, "limits.fetch_time", limit_ms, NULL, err);
}
