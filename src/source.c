/* source.c - git remotes through libgit2: ls-remote, fetch into a cache,
 * and reading tags, commits and trees from that cache. */
#include "config.h"

#include "source.h"

#include <git2.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "i18n.h"

struct source_cache {
	git_repository *repo;
	char *dir;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_once_t certs_once = PTHREAD_ONCE_INIT;

/* Why SSL_CERT_FILE / SSL_CERT_DIR could not be loaded (NULL: no error);
 * https sources fail with it rather than quietly using the default bundle. */
static char *cert_locations_error;

/* libgit2's last error as text, escaped: it may quote remote data. */
static char *git_reason(int rc)
{
	const git_error *e = git_error_last();
	if (e && e->message)
		return escape_text(e->message, (size_t)-1, 300, 0);
	return xasprintf("libgit2 error %d", rc);
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* SSL_CERT_FILE and SSL_CERT_DIR replace the CA certificates compiled into
 * libgit2's TLS library (mbedTLS on Debian), as they do for OpenSSL-based
 * tools: how an admin trusts a private CA. */
static void load_cert_locations(void)
{
	const char *file = env_nonempty("SSL_CERT_FILE"), *dir = env_nonempty("SSL_CERT_DIR");
	if (!file && !dir)
		return;
	int rc = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, dir);
	if (rc < 0) {
		char *reason = git_reason(rc);
		char *where = file && dir ? xasprintf("SSL_CERT_FILE=%s, SSL_CERT_DIR=%s", file, dir)
			      : file ? xasprintf("SSL_CERT_FILE=%s", file)
				     : xasprintf("SSL_CERT_DIR=%s", dir);
		char *safe = escape_text(where, (size_t)-1, 400, 0);
		cert_locations_error = xasprintf(_("cannot load the CA certificates of %s: %s"), safe, reason);
		free(safe);
		free(where);
		free(reason);
	}
}

static void global_init(void)
{
	git_libgit2_init();
	/* The remote may belong to another user (a shared /srv/git): libgit2's
	 * owner check would fail with a misleading safe.directory error. */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
}

void source_global_init(void)
{
	pthread_once(&init_once, global_init);
}

static int git_fail(struct up_error *err, enum up_status st, int rc, const char *what,
		    const char *url)
{
	char *reason = git_reason(rc);
	char *safe_url = escape_text(url, (size_t)-1, 200, 0);
	err_set(err, st, "%s: %s: %s", safe_url, what, reason);
	free(reason);
	free(safe_url);
	return -1;
}

/* Loads SSL_CERT_FILE/DIR before the first https source only: mbedTLS
 * parses a whole CA bundle slowly (~200M instructions for Debian's file and
 * directory, 4x the rest of a check), and other transports never need it.
 * An https source cannot be trusted when they failed to load. */
static int check_cert_locations(const char *url, const char *what, struct up_error *err)
{
	if (strncasecmp(url, "https://", 8) != 0)
		return 0;
	pthread_once(&certs_once, load_cert_locations);
	if (!cert_locations_error)
		return 0;
	char *safe_url = escape_text(url, (size_t)-1, 200, 0);
	err_set(err, UP_ERR_SOURCE, "%s: %s: %s", safe_url, what, cert_locations_error);
	free(safe_url);
	return -1;
}

void tag_list_free(struct tag_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].name);
	FREE(l->items);
	l->n = 0;
}

void tag_details_free(struct tag_details *d)
{
	FREE(d->message);
	FREE(d->tagger);
}

/* ---- callbacks shared by ls and fetch ---- */

struct net_state {
	const struct source_limits *lim;
	int cred_attempts;
	bool over_size, over_time, cancelled;
	/* ssh credentials: what was offered, for the error message */
	bool tried_agent;
	size_t next_key;          /* next of ssh_keys[] to try */
	char tried[160];          /* "ssh-agent, ~/.ssh/id_ed25519" */
	bool no_more_creds;       /* the callback had nothing left to offer */
	bool password_asked;      /* a server wanted a password (not supported) */
	/* the server's certificate or host key, as libgit2 judged it */
	bool cert_seen, cert_valid, cert_ssh;
	char cert_host[256];
};

static int check_limits(struct net_state *st, size_t received)
{
	const struct source_limits *lim = st->lim;
	if (!lim)
		return 0;
	if (lim->cancel && *lim->cancel) {
		st->cancelled = true;
		return -1;
	}
	if (lim->deadline_ms && util_monotonic_ms() > lim->deadline_ms) {
		st->over_time = true;
		return -1;
	}
	if (lim->max_bytes && (long long)received > lim->max_bytes) {
		st->over_size = true;
		return -1;
	}
	return 0;
}

static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	return check_limits(payload, stats->received_bytes);
}

static int on_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return check_limits(payload, 0);
}

static void note_tried(struct net_state *st, const char *what)
{
	size_t len = strlen(st->tried);
	snprintf(st->tried + len, sizeof(st->tried) - len, "%s%s", len ? ", " : "", what);
}

static const char *const ssh_keys[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
#define N_SSH_KEYS (sizeof(ssh_keys) / sizeof(ssh_keys[0]))

/* SSH: the agent first, then each of the usual key files once; libgit2 asks
 * again after every refusal, so each call offers the next one, and the
 * number of rounds is capped. A URL without a user name logs in as "git". */
static int on_credentials(git_credential **out, const char *url, const char *user,
			  unsigned int allowed, void *payload)
{
	struct net_state *st = payload;
	(void)url;
	if (++st->cred_attempts > (int)N_SSH_KEYS + 2)
		goto none;
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user ? user : "git");
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY)) {
		/* HTTP authentication or ssh passwords: not supported. */
		st->password_asked = true;
		return GIT_EUSER;
	}
	const char *name = user ? user : "git";
	if (!st->tried_agent && getenv("SSH_AUTH_SOCK")) {
		st->tried_agent = true;
		note_tried(st, "ssh-agent");
		return git_credential_ssh_key_from_agent(out, name);
	}
	st->tried_agent = true;
	const char *home = getenv("HOME");
	while (home && st->next_key < N_SSH_KEYS) {
		const char *key = ssh_keys[st->next_key++];
		char *priv = xasprintf("%s/.ssh/%s", home, key);
		char *pub = xasprintf("%s.pub", priv);
		int rc = GIT_EUSER;
		if (access(priv, R_OK) == 0)
			rc = git_credential_ssh_key_new(out, name, pub, priv, NULL);
		free(priv);
		free(pub);
		if (rc == 0) {
			char *shown = xasprintf("~/.ssh/%s", key);
			note_tried(st, shown);
			free(shown);
			return 0;
		}
	}
none:
	st->no_more_creds = true;
	return GIT_EUSER;
}

/* Lets libgit2's verdict stand (GIT_PASSTHROUGH) and notes it, so that the
 * error can say what was wrong with which host. */
static int on_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	struct net_state *st = payload;
	st->cert_seen = true;
	st->cert_valid = valid != 0;
	st->cert_ssh = cert && cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2;
	snprintf(st->cert_host, sizeof(st->cert_host), "%s", host ? host : "");
	return GIT_PASSTHROUGH;
}

static void init_callbacks(git_remote_callbacks *cb, struct net_state *st)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->transfer_progress = on_transfer;
	cb->sideband_progress = on_sideband;
	cb->credentials = on_credentials;
	cb->certificate_check = on_certificate;
	cb->payload = st;
}

/* libgit2's last error on one line (mbedTLS lists one problem per line). */
static char *one_line_reason(int rc)
{
	const git_error *e = git_error_last();
	if (!e || !e->message)
		return xasprintf("libgit2 error %d", rc);
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = e->message; *p; p++) {
		if (*p == '\n' || *p == '\r') {
			if (p[1] && p[1] != '\n' && p[1] != '\r')
				strbuf_addstr(&sb, "; ");
		} else {
			strbuf_addch(&sb, *p);
		}
	}
	char *r = escape_text(sb.buf, sb.len, 300, 0);
	strbuf_release(&sb);
	return r;
}

/* True when host is an IP address literal, which mbedTLS never matches
 * against a certificate's IP subjectAltNames. */
static bool is_ip_literal(const char *host)
{
	return *host && (strchr(host, ':') || strspn(host, "0123456789.") == strlen(host));
}

/* A TLS certificate libgit2 refused, in plain words. */
static int tls_fail(struct up_error *err, struct net_state *st, int rc, const char *safe_url,
		    const char *what, const char *safe_host)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "";
	char *reason = one_line_reason(rc);
	int ret;
	if (strstr(m, "Common Name") || strstr(m, "does not match") || strstr(m, "hostname"))
		ret = err_set(err, UP_ERR_SOURCE,
			      _("%s: %s: TLS certificate does not match the host name %s%s (%s)"),
			      safe_url, what, safe_host,
			      is_ip_literal(st->cert_host)
				      ? _("; libgit2 does not match IP addresses in certificates, use a host name")
				      : "",
			      reason);
	else if (strstr(m, "not correctly signed") || strstr(m, "trusted CA") || strstr(m, "issuer") ||
		 strstr(m, "self signed") || strstr(m, "self-signed") || strstr(m, "verify failed"))
		ret = err_set(err, UP_ERR_SOURCE,
			      _("%s: %s: TLS certificate not trusted (set SSL_CERT_FILE to trust a private CA) (%s)"),
			      safe_url, what, reason);
	else
		ret = err_set(err, UP_ERR_SOURCE, _("%s: %s: TLS certificate of %s rejected (%s)"),
			      safe_url, what, safe_host, reason);
	free(reason);
	return ret;
}

static int net_fail(struct up_error *err, struct net_state *st, int rc, const char *what,
		    const char *url)
{
	char *safe_url = escape_text(url, (size_t)-1, 200, 0);
	char *safe_host = escape_text(st->cert_host, (size_t)-1, 100, 0);
	int ret;
	if (st->cancelled)
		ret = err_set(err, UP_ERR_CANCELLED, "%s: %s: cancelled", safe_url, what);
	else if (st->over_time)
		ret = err_set(err, UP_ERR_TIMEOUT, _("%s: %s: took longer than the limit"), safe_url, what);
	else if (st->over_size)
		ret = err_set(err, UP_ERR_SOURCE, _("%s: %s: more data than the fetch size limit (%lld bytes)"),
			      safe_url, what, st->lim->max_bytes);
	else if (rc == GIT_ECERTIFICATE && st->cert_seen && !st->cert_valid && st->cert_ssh)
		ret = err_set(err, UP_ERR_SOURCE,
			      _("%s: %s: unknown or changed ssh host key for %s (add it to ~/.ssh/known_hosts)"),
			      safe_url, what, safe_host);
	else if (rc == GIT_ECERTIFICATE && st->cert_seen && !st->cert_valid) {
		ret = tls_fail(err, st, rc, safe_url, what, safe_host);
	} else if (rc == GIT_EUSER && st->password_asked && !st->tried[0]) {
		ret = err_set(err, UP_ERR_SOURCE,
			      _("%s: %s: the server asks for a password (upkeep authenticates with ssh keys only)"),
			      safe_url, what);
	} else if (rc == GIT_EAUTH || (rc == GIT_EUSER && st->no_more_creds)) {
		if (st->tried[0])
			ret = err_set(err, UP_ERR_SOURCE, _("%s: %s: ssh authentication failed (tried %s)"),
				      safe_url, what, st->tried);
		else
			ret = err_set(err, UP_ERR_SOURCE,
				      _("%s: %s: ssh authentication failed (no ssh-agent and no key in "
				      "~/.ssh: id_ed25519, id_ecdsa or id_rsa)"), safe_url, what);
	} else
		ret = git_fail(err, UP_ERR_SOURCE, rc, what, url);
	free(safe_host);
	free(safe_url);
	return ret;
}

/* ---- ls-remote ---- */

/* libgit2 calls a missing local repository an "unsupported URL protocol":
 * say what is really wrong. */
static int check_local_repository(const char *url, struct up_error *err)
{
	const char *path = NULL;
	if (url[0] == '/')
		path = url;
	else if (strncmp(url, "file://", 7) == 0)
		path = url + 7;
	struct stat st;
	if (!path || stat(path, &st) == 0)
		return 0;
	char *safe = escape_text(url, (size_t)-1, 200, 0);
	err_set(err, UP_ERR_SOURCE, _("%s: repository not found: %s"), safe, strerror(errno));
	free(safe);
	return -1;
}

int source_ls_tags(const char *url, const struct source_limits *lim, struct tag_list *out,
		   struct up_error *err)
{
	source_global_init();
	memset(out, 0, sizeof(*out));
	git_remote *remote = NULL;
	struct net_state st = { .lim = lim };
	git_remote_callbacks cb;
	init_callbacks(&cb, &st);

	if (check_local_repository(url, err) < 0 ||
	    check_cert_locations(url, _("cannot list tags"), err) < 0)
		return -1;
	int rc = git_remote_create_detached(&remote, url);
	if (rc < 0)
		return git_fail(err, UP_ERR_SOURCE, rc, _("invalid remote"), url);
	rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL);
	if (rc < 0) {
		net_fail(err, &st, rc, _("cannot list tags"), url);
		git_remote_free(remote);
		return -1;
	}
	const git_remote_head **heads;
	size_t n;
	rc = git_remote_ls(&heads, &n, remote);
	if (rc < 0) {
		git_fail(err, UP_ERR_SOURCE, rc, _("cannot list tags"), url);
		git_remote_free(remote);
		return -1;
	}
	out->items = xcalloc(n ? n : 1, sizeof(*out->items));
	for (size_t i = 0; i < n; i++) {
		const char *name = heads[i]->name;
		if (strncmp(name, "refs/tags/", 10) != 0)
			continue;
		name += 10;
		size_t len = strlen(name);
		bool peeled = len > 3 && strcmp(name + len - 3, "^{}") == 0;
		if (peeled) {
			/* git lists "T^{}" right after "T". */
			if (out->n && strncmp(out->items[out->n - 1].name, name, len - 3) == 0 &&
			    out->items[out->n - 1].name[len - 3] == '\0')
				git_oid_tostr(out->items[out->n - 1].peeled, 41, &heads[i]->oid);
			continue;
		}
		struct remote_tag *t = &out->items[out->n++];
		t->name = xstrdup(name);
		git_oid_tostr(t->object, sizeof(t->object), &heads[i]->oid);
		t->peeled[0] = '\0';
	}
	git_remote_disconnect(remote);
	git_remote_free(remote);
	return 0;
}

/* ---- the cache repository ---- */

char *source_cache_dir(const struct config *cfg, const struct target_cfg *t)
{
	return xasprintf("%s/repos/%s.git", cfg->cache_dir, t->name);
}

int source_cache_open(const char *dir, struct source_cache **out, struct up_error *err)
{
	source_global_init();
	git_repository *repo = NULL;
	int rc = git_repository_open_bare(&repo, dir);
	if (rc == GIT_ENOTFOUND) {
		if (util_mkdir_p(dir, 0755) < 0)
			return err_set(err, UP_ERR_IO, _("cannot create cache %s: %s"), dir, strerror(errno));
		rc = git_repository_init(&repo, dir, 1);
	}
	if (rc < 0)
		return git_fail(err, UP_ERR_IO, rc, _("cannot open cache repository"), dir);
	struct source_cache *c = xcalloc(1, sizeof(*c));
	c->repo = repo;
	c->dir = xstrdup(dir);
	*out = c;
	return 0;
}

void source_cache_close(struct source_cache **c)
{
	if (!*c)
		return;
	git_repository_free((*c)->repo);
	free((*c)->dir);
	FREE(*c);
}

/* Only names that make valid refs reach libgit2 as ref names. */
static char *tag_ref(const char *tag)
{
	char *ref = xasprintf("refs/tags/%s", tag);
	int valid = 0;
	if (git_reference_name_is_valid(&valid, ref) < 0 || !valid)
		FREE(ref);
	return ref;
}

bool source_tag_name_ok(const char *name)
{
	if (strlen(name) > SOURCE_MAX_TAG_NAME)
		return false;
	char *ref = tag_ref(name);
	free(ref);
	return ref != NULL;
}

bool source_cache_has_tag(struct source_cache *c, const char *tag, const char *object)
{
	char *ref = tag_ref(tag);
	if (!ref)
		return false;
	git_oid oid;
	bool has = git_reference_name_to_id(&oid, c->repo, ref) == 0 &&
		   strcmp(git_oid_tostr_s(&oid), object) == 0;
	free(ref);
	return has;
}

int source_fetch_tags(struct source_cache *c, const char *url, const char *const *tags, size_t n,
		      const struct source_limits *lim, struct up_error *err)
{
	if (n == 0)
		return 0;
	if (check_cert_locations(url, _("cannot fetch tags"), err) < 0)
		return -1;
	struct net_state st = { .lim = lim };
	git_fetch_options opts;
	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	init_callbacks(&opts.callbacks, &st);
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	opts.update_fetchhead = 0;

	char **specs = xcalloc(n, sizeof(*specs));
	size_t nspecs = 0;
	for (size_t i = 0; i < n; i++) {
		char *ref = tag_ref(tags[i]);
		if (ref) {
			specs[nspecs++] = xasprintf("+%s:%s", ref, ref);
			free(ref);
		}
	}
	git_strarray refspecs = { specs, nspecs };
	git_remote *remote = NULL;
	int rc = git_remote_create_anonymous(&remote, c->repo, url);
	if (rc == 0)
		rc = git_remote_fetch(remote, &refspecs, &opts, NULL);
	int ret = 0;
	if (rc < 0)
		ret = net_fail(err, &st, rc, _("cannot fetch tags"), url);
	git_remote_free(remote);
	for (size_t i = 0; i < nspecs; i++)
		free(specs[i]);
	free(specs);
	return ret;
}

/* Drops an appended signature block (git's rule: the last line that starts
 * a PGP or SSH signature begins it). */
static char *strip_signature(const char *msg)
{
	const char *cut = NULL;
	for (const char *p = msg; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "-----BEGIN PGP SIGNATURE-----", 29) == 0 ||
		    strncmp(p, "-----BEGIN SSH SIGNATURE-----", 29) == 0)
			cut = p;
	}
	return cut ? xstrndup(msg, (size_t)(cut - msg)) : xstrdup(msg);
}

static int lookup_tag_object(struct source_cache *c, const char *tag, git_object **obj,
			     struct up_error *err)
{
	char *ref = tag_ref(tag);
	if (!ref)
		return err_set(err, UP_ERR_SOURCE, _("invalid tag name"));
	git_oid oid;
	int rc = git_reference_name_to_id(&oid, c->repo, ref);
	if (rc == 0)
		rc = git_object_lookup(obj, c->repo, &oid, GIT_OBJECT_ANY);
	free(ref);
	if (rc < 0)
		return git_fail(err, UP_ERR_SOURCE, rc, _("cannot read tag"), c->dir);
	return 0;
}

/* Details of an object that is a tag object or a commit. Takes obj. */
static int object_details(struct source_cache *c, git_object *obj, struct tag_details *out,
			  struct up_error *err)
{
	git_object *peeled = NULL;
	if (git_object_type(obj) == GIT_OBJECT_TAG) {
		git_tag *t = (git_tag *)obj;
		const char *msg = git_tag_message(t);
		out->message = strip_signature(msg ? msg : "");
		const git_signature *sig = git_tag_tagger(t);
		if (sig) {
			out->tagger = xasprintf("%s <%s>", sig->name, sig->email);
			out->date = (long long)sig->when.time;
		}
	}
	int rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (rc < 0) {
		git_object_free(obj);
		tag_details_free(out);
		return git_fail(err, UP_ERR_SOURCE, rc, _("tag does not point at a commit"), c->dir);
	}
	git_commit *commit = (git_commit *)peeled;
	git_oid_tostr(out->commit, sizeof(out->commit), git_commit_id(commit));
	git_oid_tostr(out->tree, sizeof(out->tree), git_commit_tree_id(commit));
	if (!out->date)
		out->date = (long long)git_commit_time(commit);
	git_object_free(peeled);
	git_object_free(obj);
	return 0;
}

int source_tag_details(struct source_cache *c, const char *tag, struct tag_details *out,
		       struct up_error *err)
{
	memset(out, 0, sizeof(*out));
	git_object *obj = NULL;
	if (lookup_tag_object(c, tag, &obj, err) < 0)
		return -1;
	return object_details(c, obj, out, err);
}

int source_object_details(struct source_cache *c, const char *object, struct tag_details *out,
			  struct up_error *err)
{
	memset(out, 0, sizeof(*out));
	git_oid oid;
	git_object *obj = NULL;
	int rc = git_oid_fromstr(&oid, object);
	if (rc == 0)
		rc = git_object_lookup(&obj, c->repo, &oid, GIT_OBJECT_ANY);
	if (rc < 0)
		return git_fail(err, UP_ERR_SOURCE, rc, "cannot read object", c->dir);
	return object_details(c, obj, out, err);
}

int source_tag_raw(struct source_cache *c, const char *tag, char object[41], char **data,
		   size_t *len, struct up_error *err)
{
	*data = NULL;
	*len = 0;
	char *ref = tag_ref(tag);
	if (!ref)
		return err_set(err, UP_ERR_SOURCE, "invalid tag name");
	git_oid oid;
	git_odb *odb = NULL;
	git_odb_object *o = NULL;
	int rc = git_reference_name_to_id(&oid, c->repo, ref);
	free(ref);
	if (rc == 0)
		rc = git_repository_odb(&odb, c->repo);
	if (rc == 0)
		rc = git_odb_read(&o, odb, &oid);
	if (rc < 0) {
		git_odb_free(odb);
		return git_fail(err, UP_ERR_SOURCE, rc, "cannot read tag", c->dir);
	}
	git_oid_tostr(object, 41, &oid);
	if (git_odb_object_type(o) == GIT_OBJECT_TAG) {
		*len = git_odb_object_size(o);
		*data = xmalloc(*len + 1);
		memcpy(*data, git_odb_object_data(o), *len);
		(*data)[*len] = '\0';
	}
	git_odb_object_free(o);
	git_odb_free(odb);
	return 0;
}

int source_commit_subjects(struct source_cache *c, const char *from, const char *to, size_t max,
			   struct strvec *out, size_t *total, struct up_error *err)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	*total = 0;
	int rc = git_revwalk_new(&walk, c->repo);
	if (rc == 0)
		rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	if (rc == 0 && (rc = git_oid_fromstr(&oid, to)) == 0)
		rc = git_revwalk_push(walk, &oid);
	if (rc == 0 && from && *from && git_oid_fromstr(&oid, from) == 0) {
		/* An installed commit the cache lacks just means "all history". */
		git_commit *probe = NULL;
		if (git_commit_lookup(&probe, c->repo, &oid) == 0) {
			rc = git_revwalk_hide(walk, &oid);
			git_commit_free(probe);
		}
	}
	while (rc == 0 && git_revwalk_next(&oid, walk) == 0) {
		(*total)++;
		if (out->n >= max)
			continue;
		git_commit *commit = NULL;
		if (git_commit_lookup(&commit, c->repo, &oid) == 0) {
			const char *s = git_commit_summary(commit);
			strvec_push(out, s ? s : "");
			git_commit_free(commit);
		}
	}
	git_revwalk_free(walk);
	if (rc < 0)
		return git_fail(err, UP_ERR_SOURCE, rc, _("cannot walk history"), c->dir);
	return 0;
}

struct walk_ctx {
	source_tree_cb cb;
	void *data;
	struct strbuf path;
};

static int walk_entry(const char *root, const git_tree_entry *entry, void *payload)
{
	struct walk_ctx *w = payload;
	w->path.len = 0;
	strbuf_addstr(&w->path, root);
	strbuf_addstr(&w->path, git_tree_entry_name(entry));
	char blob[41];
	git_oid_tostr(blob, sizeof(blob), git_tree_entry_id(entry));
	int r = w->cb(w->path.buf, (unsigned)git_tree_entry_filemode(entry), blob, w->data);
	return r < 0 ? -1 : r > 0 ? 1 : 0;
}

int source_walk_tag_tree(struct source_cache *c, const char *tag, source_tree_cb cb, void *data,
			 struct up_error *err)
{
	git_object *obj = NULL, *tree = NULL;
	if (lookup_tag_object(c, tag, &obj, err) < 0)
		return -1;
	int rc = git_object_peel(&tree, obj, GIT_OBJECT_TREE);
	git_object_free(obj);
	if (rc < 0)
		return git_fail(err, UP_ERR_SOURCE, rc, _("cannot read the release tree"), c->dir);
	struct walk_ctx w = { cb, data, STRBUF_INIT };
	rc = git_tree_walk((git_tree *)tree, GIT_TREEWALK_PRE, walk_entry, &w);
	strbuf_release(&w.path);
	git_object_free(tree);
	if (rc < 0 && rc != GIT_EUSER)
		return git_fail(err, UP_ERR_SOURCE, rc, _("cannot walk the release tree"), c->dir);
	return rc < 0 ? 1 : 0;
}

int source_read_blob(struct source_cache *c, const char *blob_id, char **data, size_t *len,
		     struct up_error *err)
{
	git_oid oid;
	git_blob *blob = NULL;
	int rc = git_oid_fromstr(&oid, blob_id);
	if (rc == 0)
		rc = git_blob_lookup(&blob, c->repo, &oid);
	if (rc < 0)
		return git_fail(err, UP_ERR_SOURCE, rc, _("cannot read blob"), c->dir);
	*len = (size_t)git_blob_rawsize(blob);
	*data = xmalloc(*len + 1);
	memcpy(*data, git_blob_rawcontent(blob), *len);
	(*data)[*len] = '\0';
	git_blob_free(blob);
	return 0;
}

int source_hash_file(const char *path, bool is_symlink, char out[41], struct up_error *err)
{
	source_global_init();
	git_oid oid;
	int rc;
	if (is_symlink) {
		char buf[4096];
		ssize_t n = readlink(path, buf, sizeof(buf));
		if (n < 0)
			return err_set(err, UP_ERR_IO, "%s: %s", path, strerror(errno));
		rc = git_odb_hash(&oid, buf, (size_t)n, GIT_OBJECT_BLOB);
	} else {
		rc = git_odb_hashfile(&oid, path, GIT_OBJECT_BLOB);
	}
	if (rc < 0)
		return git_fail(err, UP_ERR_IO, rc, _("cannot hash"), path);
	git_oid_tostr(out, 41, &oid);
	return 0;
}
