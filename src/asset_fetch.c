/* asset_fetch.c - one asset download: TLS, limits, resume, redirects. */
#include "config.h"

#include "asset_fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "hash.h"
#include "i18n.h"
#include "util.h"

/* A transfer slower than this for stall_ms is a stall. */
#define STALL_BYTES_PER_S 1024L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ------------------------------------------------------------------ */
/* URLs                                                                 */
/* ------------------------------------------------------------------ */

struct url_parts {
	char *scheme, *host, *port, *user, *password;
	char *bare;               /* the URL without user:password@ */
};

static void url_parts_clear(struct url_parts *u)
{
	curl_free(u->scheme);
	curl_free(u->host);
	curl_free(u->port);
	curl_free(u->user);
	curl_free(u->password);
	curl_free(u->bare);
	*u = (struct url_parts){ 0 };
}

static int url_split(const char *url, struct url_parts *u)
{
	*u = (struct url_parts){ 0 };
	CURLU *h = curl_url();
	if (!h)
		return -1;
	int rc = -1;
	if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_SCHEME, &u->scheme, 0) == CURLUE_OK) {
		curl_url_get(h, CURLUPART_HOST, &u->host, 0);
		curl_url_get(h, CURLUPART_PORT, &u->port, CURLU_DEFAULT_PORT);
		curl_url_get(h, CURLUPART_USER, &u->user, 0);
		curl_url_get(h, CURLUPART_PASSWORD, &u->password, 0);
		curl_url_set(h, CURLUPART_USER, NULL, 0);
		curl_url_set(h, CURLUPART_PASSWORD, NULL, 0);
		if (curl_url_get(h, CURLUPART_URL, &u->bare, 0) == CURLUE_OK)
			rc = 0;
	}
	curl_url_cleanup(h);
	if (rc < 0)
		url_parts_clear(u);
	return rc;
}

char *asset_url_for_display(const char *url)
{
	struct url_parts u;
	char *s = escape_text(url_split(url, &u) == 0 ? u.bare : _("(an invalid URL)"), (size_t)-1, 300,
			      0);
	url_parts_clear(&u);
	return s;
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcasecmp(a, b) == 0);
}

/* Whether a redirect from `from` (the first URL) to `to` is allowed. */
static const char *redirect_problem(const struct url_parts *from, const struct url_parts *to)
{
	if (strcasecmp(from->scheme, "file") == 0)
		return _("file:// does not redirect");
	if (strcasecmp(to->scheme, "https") != 0 && strcasecmp(to->scheme, "http") != 0)
		return _("only http(s) redirects are followed");
	if (strcasecmp(from->scheme, "https") == 0 && strcasecmp(to->scheme, "https") != 0)
		return _("an https URL may not redirect to plain http");
	if ((from->user || from->password) &&
	    (!same_text(from->scheme, to->scheme) || !same_text(from->host, to->host) ||
	     !same_text(from->port, to->port)))
		return _("the URL carries credentials, which are never sent to another host");
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The transfer                                                         */
/* ------------------------------------------------------------------ */

struct xfer {
	const struct asset_fetch_opts *o;
	CURL *c;
	int fd;
	gnutls_hash_hd_t hash;
	long long offset;         /* bytes in the file before this request */
	long long written;        /* bytes written by this request */
	bool too_big;
	bool write_failed;
	int write_errno;
	long long start_ms, last_report_ms;
	char errbuf[CURL_ERROR_SIZE];
};

static bool discard_status(long code)
{
	return (code >= 300 && code < 400) || code == 416;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
	struct xfer *x = user;
	size_t len = size * n;
	long code = 0;
	curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &code);
	if (discard_status(code))
		return len; /* a redirect's or a 416's body is not the asset */
	long long room = x->o->max_bytes - x->offset - x->written;
	size_t take = len;
	if ((long long)len > room) {
		x->too_big = true;
		take = room > 0 ? (size_t)room : 0;
	}
	if (take && write_all(x->fd, data, take) < 0) {
		x->write_failed = true;
		x->write_errno = errno;
		return 0;
	}
	gnutls_hash(x->hash, data, take);
	x->written += (long long)take;
	return take == len ? len : 0; /* short: libcurl stops the transfer */
}

static void report(struct xfer *x, long long total)
{
	if (!x->o->progress)
		return;
	long long now = util_monotonic_ms();
	long long elapsed = now - x->start_ms;
	long long rate = elapsed > 0 ? x->written * 1000 / elapsed : 0;
	x->last_report_ms = now;
	x->o->progress(x->o->progress_ctx, x->offset + x->written, total, rate);
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dlnow, (void)ultotal, (void)ulnow;
	struct xfer *x = user;
	if (util_monotonic_ms() - x->last_report_ms >= 1000)
		report(x, dltotal > 0 ? x->offset + (long long)dltotal : -1);
	return x->o->cancel && *x->o->cancel; /* non-zero aborts the transfer */
}

static long ms_arg(long long ms)
{
	return ms < 1 ? 1L : ms > 0x7fffffffLL ? 0x7fffffffL : (long)ms;
}

static void set_tls(CURL *c, const struct asset_fetch_opts *o)
{
	const char *file = o->ca_file, *dir = NULL;
	if (!file) {
		const char *f = getenv("SSL_CERT_FILE"), *d = getenv("SSL_CERT_DIR");
		file = f && *f ? f : NULL;
		dir = d && *d ? d : NULL;
	}
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o->pin ? 0L : 1L);
	if (o->pin)
		curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, o->pin);
	if (file || dir) {
		/* CAINFO alone would add to the default CAPATH */
		curl_easy_setopt(c, CURLOPT_CAINFO, file);
		curl_easy_setopt(c, CURLOPT_CAPATH, dir);
	}
}

static CURL *make_handle(struct xfer *x, const struct url_parts *u)
{
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
			 strcasecmp(u->scheme, "file") == 0 ? "file" : "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "upkeep/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL); /* the bytes as stored: they are hashed */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms_arg(x->o->stall_ms));
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, STALL_BYTES_PER_S);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, ms_arg((x->o->stall_ms + 999) / 1000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	if (u->user)
		curl_easy_setopt(c, CURLOPT_USERNAME, u->user);
	if (u->password)
		curl_easy_setopt(c, CURLOPT_PASSWORD, u->password);
	set_tls(c, x->o);
	return c;
}

/* ------------------------------------------------------------------ */
/* The partial file                                                     */
/* ------------------------------------------------------------------ */

/* Feeds the first len bytes of fd to the hash. */
static int hash_fd(int fd, long long len, gnutls_hash_hd_t h, const char *path,
		   struct up_error *err)
{
	char *buf = xmalloc(1 << 20);
	off_t pos = 0;
	int rc = 0;
	while (len > 0 && rc == 0) {
		ssize_t k = pread(fd, buf, len < (1 << 20) ? (size_t)len : (1 << 20), pos);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = err_set(err, UP_ERR_IO, "%s: read: %s", path, k < 0 ? strerror(errno) : _("short file"));
		} else {
			gnutls_hash(h, buf, (size_t)k);
			len -= k;
			pos += k;
		}
	}
	free(buf);
	return rc;
}

/* Opens the partial file for appending and hashes what it holds. */
static int part_open(struct xfer *x, struct up_error *err)
{
	const char *path = x->o->part;
	x->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (x->fd < 0)
		return err_set(err, UP_ERR_IO, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(x->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return err_set(err, UP_ERR_IO, _("%s: not a regular file"), path);
	if (st.st_size > x->o->max_bytes && ftruncate(x->fd, 0) < 0)
		return err_set(err, UP_ERR_IO, "%s: truncate: %s", path, strerror(errno));
	x->offset = st.st_size > x->o->max_bytes ? 0 : (long long)st.st_size;
	if (gnutls_hash_init(&x->hash, GNUTLS_DIG_SHA256) < 0)
		return err_set(err, UP_ERR_INTERNAL, "SHA-256 unavailable");
	return hash_fd(x->fd, x->offset, x->hash, path, err);
}

int asset_hash_file(const char *path, char hex[65], long long *size, struct up_error *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, UP_ERR_IO, "%s: %s", path, strerror(errno));
	struct stat st;
	gnutls_hash_hd_t h = NULL;
	int rc = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		rc = err_set(err, UP_ERR_IO, _("%s: not a regular file"), path);
	else if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		rc = err_set(err, UP_ERR_INTERNAL, "SHA-256 unavailable");
	else
		rc = hash_fd(fd, (long long)st.st_size, h, path, err);
	if (h) {
		uint8_t out[HASH_LEN];
		gnutls_hash_deinit(h, out);
		hash_to_hex(out, hex);
	}
	*size = (long long)st.st_size;
	close(fd);
	return rc;
}

/* Back to an empty file and a fresh hash (a server without ranges). */
static int part_restart(struct xfer *x, struct up_error *err)
{
	if (ftruncate(x->fd, 0) < 0)
		return err_set(err, UP_ERR_IO, "%s: truncate: %s", x->o->part, strerror(errno));
	uint8_t ignore[HASH_LEN];
	gnutls_hash_output(x->hash, ignore);
	x->offset = 0;
	x->written = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* One download                                                         */
/* ------------------------------------------------------------------ */

static int tls_error(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
	       rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
	       rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CIPHER || rc == CURLE_SSL_ISSUER_ERROR;
}

static int fail(struct xfer *x, CURLcode rc, const char *errbuf, const char *shown,
		struct up_error *err)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
	if (x->write_failed)
		return err_set(err, UP_ERR_IO, "%s: writing %s: %s", shown, x->o->part,
			       strerror(x->write_errno));
	if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return err_set(err, UP_ERR_MISMATCH,
			       _("%s: refused: the body is larger than the size limit of %lld bytes "
			       "(limits.fetch_size); stopped with %lld bytes in the file"), shown,
			       x->o->max_bytes, x->offset + x->written);
	if (rc == CURLE_ABORTED_BY_CALLBACK && x->o->cancel && *x->o->cancel)
		return err_set(err, UP_ERR_CANCELLED, _("%s: download cancelled with %lld bytes in the "
			       "file"), shown, x->offset + x->written);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return err_set(err, UP_ERR_TIMEOUT, _("%s: download stopped after %lld of the bytes: %s "
			       "(limits.fetch_time, limits.timeout)"), shown, x->offset + x->written, why);
	if (tls_error(rc))
		return err_set(err, UP_ERR_SOURCE, "%s: TLS: %s (%s)", shown, why,
			       rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ? _("the server's key is not the pinned one")
			       : x->o->pin ? _("with asset.pin set")
				       : _("trust the server with asset.ca_file or asset.pin"));
	return err_set(err, UP_ERR_SOURCE, "%s: %s", shown, why);
}

/* Follows a 3xx: *next gets the new URL when allowed. */
static int next_hop(struct xfer *x, const struct url_parts *first, const char *shown,
		    int hops, char **next, struct up_error *err)
{
	char *loc = NULL;
	curl_easy_getinfo(x->c, CURLINFO_REDIRECT_URL, &loc);
	if (!loc)
		return err_set(err, UP_ERR_SOURCE, _("%s: a redirect without a location"), shown);
	if (hops >= x->o->max_redirects)
		return err_set(err, UP_ERR_SOURCE, _("%s: more than %d redirects"), shown, x->o->max_redirects);
	struct url_parts to;
	if (url_split(loc, &to) < 0)
		return err_set(err, UP_ERR_SOURCE, _("%s: redirect to an invalid URL"), shown);
	const char *why = redirect_problem(first, &to);
	if (why) {
		char *where = escape_text(to.bare, (size_t)-1, 300, 0);
		err_set(err, UP_ERR_SOURCE, _("%s: redirect to %s refused: %s"), shown, where, why);
		free(where);
	} else {
		*next = xstrdup(loc);
	}
	url_parts_clear(&to);
	return why ? -1 : 0;
}

static int transfer(struct xfer *x, const struct url_parts *first, const char *shown,
		    struct asset_fetch_result *r, struct up_error *err)
{
	char *errbuf = x->errbuf;
	long long deadline = util_monotonic_ms() + x->o->total_ms;
	char *url = xstrdup(first->bare);
	bool restarted = false;
	int rc = -1;
	for (int hops = 0;;) {
		errbuf[0] = '\0';
		curl_easy_setopt(x->c, CURLOPT_URL, url);
		curl_easy_setopt(x->c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)x->offset);
		curl_easy_setopt(x->c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(x->o->max_bytes - x->offset));
		curl_easy_setopt(x->c, CURLOPT_TIMEOUT_MS, ms_arg(deadline - util_monotonic_ms()));
		CURLcode cr = curl_easy_perform(x->c);
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &r->http_status);
		if (cr == CURLE_RANGE_ERROR && x->offset > 0 && !restarted) {
			/* the server cannot resume: from the start, once */
			restarted = true;
			if (part_restart(x, err) < 0)
				break;
			r->resumed_from = 0;
			continue;
		}
		if (cr != CURLE_OK || x->too_big) {
			fail(x, cr, errbuf, shown, err);
			break;
		}
		if (r->http_status >= 300 && r->http_status < 400) {
			char *next = NULL;
			if (next_hop(x, first, shown, hops++, &next, err) < 0)
				break;
			free(url);
			url = next;
			continue;
		}
		r->was_complete = x->offset > 0 && (r->http_status == 416 || x->written == 0);
		rc = 0;
		break;
	}
	free(url);
	return rc;
}

int asset_fetch(const struct asset_fetch_opts *o, struct asset_fetch_result *r,
		struct up_error *err)
{
	pthread_once(&curl_once, curl_init);
	*r = (struct asset_fetch_result){ 0 };
	struct url_parts first;
	if (url_split(o->url, &first) < 0) {
		char *safe = escape_text(o->url, (size_t)-1, 200, 0);
		err_set(err, UP_ERR_CONFIG, _("%s: not a valid URL"), safe);
		free(safe);
		return -1;
	}
	char *shown = escape_text(first.bare, (size_t)-1, 300, 0);
	struct xfer x = { .o = o, .fd = -1, .start_ms = util_monotonic_ms() };
	x.last_report_ms = x.start_ms;
	int rc = part_open(&x, err);
	if (rc == 0) {
		r->resumed_from = x.offset;
		x.c = make_handle(&x, &first);
		if (!x.c)
			rc = err_set(err, UP_ERR_INTERNAL, _("cannot create an HTTP handle"));
	}
	if (rc == 0)
		rc = transfer(&x, &first, shown, r, err);
	if (rc == 0 && fsync(x.fd) < 0)
		rc = err_set(err, UP_ERR_IO, "%s: fsync: %s", o->part, strerror(errno));
	if (x.hash) {
		uint8_t h[HASH_LEN];
		gnutls_hash_deinit(x.hash, h);
		hash_to_hex(h, r->sha256);
	}
	r->bytes = x.offset + x.written;
	if (rc == 0)
		report(&x, r->bytes);
	if (x.c)
		curl_easy_cleanup(x.c);
	if (x.fd >= 0)
		close(x.fd);
	if (rc < 0 && x.too_big)
		unlink(o->part); /* never resume a body that was too long */
	free(shown);
	url_parts_clear(&first);
	return rc;
}
