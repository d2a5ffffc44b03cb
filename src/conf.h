/* conf.h - the configuration file (YAML), parsed and validated in full.
 *
 * Every field of the schema is parsed now, including those that later
 * features act on, so the schema is settled. Defaults from the `defaults:`
 * section are merged into each target, so callers read targets only.
 * The schema is documented in upkeep.yaml(5) and data/upkeep.yaml.example.
 */
#ifndef UPKEEP_CONF_H
#define UPKEEP_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "classify.h"
#include "confdata.h"
#include "error.h"
#include "version.h"

/* Counts are -1 when not set. */
struct retention_cfg {
	int keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly, keep_yearly;
};

/* Which update kinds and flags batch mode may install unattended. */
enum auto_install {
	AUTO_MAJOR = 1 << 0,
	AUTO_MINOR = 1 << 1,
	AUTO_PATCH = 1 << 2,
	AUTO_PRERELEASE = 1 << 3,
	AUTO_SECURITY = 1 << 4,
	AUTO_HOTFIX = 1 << 5
};

struct policy_cfg {
	unsigned auto_install; /* enum auto_install bits; 0 = never */
	char *window;          /* "Sun 02:00-04:00", "daily 01:00-05:00", NULL = any time */
};

enum verify_mode { VERIFY_OFF, VERIFY_IF_SIGNED, VERIFY_REQUIRED };

struct verify_cfg {
	enum verify_mode signatures;
	char *allowed_signers; /* OpenSSH allowed-signers file, or NULL */
	char *keyring;         /* OpenPGP keyring for gpgv, or NULL */
};

struct backup_cfg {
	bool before_install;     /* pre-update snapshot (default true) */
	long long every_ms;      /* scheduled backup interval, 0 = none */
	int compression;         /* zstd level, default 3 */
};

/* Restore drills: the latest snapshot restored into a scratch directory,
 * checked, timed and recorded. */
struct drill_cfg {
	long long every_ms;      /* scheduled drill interval, 0 = none */
	char *check;             /* run against the restored tree (no shell), or NULL */
	long long timeout_ms;    /* the check's limit, default 10 min */
	long long tolerance_ms;  /* slowdowns smaller than this are not alerts, default 1 s */
	char *dir;               /* where scratch directories go, NULL = STATE_DIR/drills */
};

struct health_cfg {
	char *command;           /* run without a shell (split on spaces), or NULL */
	char *url;               /* http(s) URL, or NULL */
	int expect_status;       /* default 200 */
	char *expect_body;       /* substring, or NULL */
	long long timeout_ms;    /* overall, default 30 s */
	int retries;             /* default 3 */
	long long interval_ms;   /* first backoff, default 2 s */
};

struct hooks_cfg {
	char *pre_install, *post_install, *pre_restore, *post_restore;
	long long timeout_ms;    /* each hook and data command, default 5 min */
};

struct limits_cfg {
	long long fetch_bytes;   /* default 512 MiB */
	long long fetch_ms;      /* default 10 min */
	long long timeout_ms;    /* connect / ls-remote, default 30 s */
};

/* A release archive instead of the git tree (asset.h). */
struct asset_cfg {
	char *url;               /* template with {version} and {tag}, or NULL */
	char *checksums;         /* sha256sum file in the tagged tree; NULL = the tag message */
	char *pin;               /* CURLOPT_PINNEDPUBLICKEY value, or NULL */
	char *ca_file;           /* trust only these CAs, or NULL */
	int strip_components;    /* leading path components dropped, default 0 */
};

struct source_cfg {
	char *git;               /* URL: file://, /path, http(s)://, ssh://, user@host:path */
	enum version_scheme scheme;
	char *tags;              /* glob over tag names, NULL = all */
	char *prefix;            /* semver prefix, NULL = optional "v" */
	char *regex;             /* regex scheme */
	struct asset_cfg asset;
};

struct webhook_cfg {
	char *url;               /* may hold a token: never logged whole */
	char *secret;            /* HMAC-SHA256 key for X-Upkeep-Signature, or NULL */
	char *token;             /* sent as "Authorization: Bearer TOKEN", or NULL */
	long long timeout_ms;    /* per attempt, default 10 s */
	int retries;             /* further attempts after a failure, default 3 */
};
struct mail_cfg {
	char *to;                /* recipients, as a To: header takes them */
	char *sendmail;          /* the program, default /usr/sbin/sendmail */
	char *from;              /* From: header, or NULL (sendmail's default) */
};

enum notify_event {
	NOTIFY_SUCCESS = 1 << 0,
	NOTIFY_FAILURE = 1 << 1,
	NOTIFY_ROLLBACK = 1 << 2,
	NOTIFY_SECURITY = 1 << 3,
	NOTIFY_BACKUP_FAILURE = 1 << 4,
	NOTIFY_DRILL_FAILURE = 1 << 5,
	/* a failure notified before has ended; sent whenever that failure's
	 * notice was (not a key of notify.on) */
	NOTIFY_RECOVERED = 1 << 6
};

struct notify_cfg {
	struct webhook_cfg webhook;
	struct mail_cfg mail;
	unsigned on;             /* enum notify_event bits */
	long long repeat_ms;     /* a failure that lasts is notified again after this, default 24 h */
};

enum layout { LAYOUT_PLAIN, LAYOUT_RELEASES };

struct target_cfg {
	char *name;
	int line, column;        /* where the target is defined, for messages */
	struct source_cfg source;
	char *channel;           /* "stable" (default), "beta" or a tag glob */
	char *path;              /* absolute */
	enum layout layout;
	int keep_releases;       /* releases layout, default 3 */
	char **preserve; size_t n_preserve;
	struct data_cfg *data; size_t n_data;  /* dumps taken with the code (confdata.h) */
	struct hooks_cfg hooks;
	struct health_cfg health;
	struct policy_cfg policy;
	struct verify_cfg verify;
	struct retention_cfg retention;
	struct backup_cfg backup;
	struct drill_cfg drill;
	struct limits_cfg limits;
	struct flag_markers flags;
	struct notify_cfg notify;
};

struct config {
	char *file;              /* the path it was read from */
	char *state_dir;         /* absolute; default per paths.h */
	char *cache_dir;
	struct target_cfg *targets; size_t n_targets;
};

/* Reads and validates path. On failure returns -1 and sets err (status
 * UP_ERR_CONFIG, or UP_ERR_IO when the file cannot be read) with one message
 * per line, each "FILE:LINE:COLUMN: what is wrong (what was expected)";
 * every error found is reported, not only the first. Relative paths in the
 * file (path, state_dir, allowed_signers...) are errors, except `git:` URLs
 * and plain repository paths, which may be relative to the config file's
 * directory. */
int config_load(const char *path, struct config **out, struct up_error *err);
void config_free(struct config **cfg);

const struct target_cfg *config_find_target(const struct config *cfg, const char *name);

#endif
