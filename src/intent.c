/* intent.c - the intents table of the state database (intent.h). */
#include "config.h"

#include "intent.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "i18n.h"
#include "util.h"

static const char *const phase_names[] = {
	[INTENT_PREPARED] = "prepared",       [INTENT_STAGING] = "staging",
	[INTENT_HOOKS] = "hooks",             [INTENT_PRESERVING] = "preserving",
	[INTENT_SWAPPING] = "swapping",       [INTENT_SWAPPED] = "swapped",
	[INTENT_HEALTHY] = "healthy",         [INTENT_ROLLING_BACK] = "rolling-back",
	[INTENT_DONE] = "done",
};

static const char *const mode_names[] = {
	[INTENT_PLAIN] = "plain", [INTENT_RELEASES] = "releases", [INTENT_PATH] = "path",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *intent_phase_name(enum intent_phase p)
{
	return (unsigned)p < COUNT(phase_names) ? phase_names[p] : "unknown";
}

const char *intent_mode_name(enum intent_mode m)
{
	return (unsigned)m < COUNT(mode_names) ? mode_names[m] : "unknown";
}

/* An unknown name (a newer upkeep's) is an error, never a guess. */
static bool parse_name(const char *const *names, size_t n, const char *text, int *out)
{
	for (size_t i = 0; text && i < n; i++)
		if (names[i] && strcmp(names[i], text) == 0) {
			*out = (int)i;
			return true;
		}
	return false;
}

void intent_clear(struct intent *in)
{
	free(in->kind);
	free(in->target);
	free(in->path);
	free(in->staging);
	free(in->releases);
	free(in->old_link);
	free(in->new_link);
	free(in->from);
	free(in->to);
	free(in->to_tag);
	free(in->to_commit);
	for (size_t i = 0; i < in->n_pairs; i++) {
		free(in->pairs[i].live);
		free(in->pairs[i].staged);
	}
	free(in->pairs);
	*in = (struct intent){ 0 };
}

int intent_begin(struct store *s, const struct intent *in, struct up_error *err)
{
	int changes = store_exec(
		s, err,
		"INSERT OR REPLACE INTO intents (job_id, kind, target, mode, path, staging, releases,"
		" old_link, new_link, live_existed, from_version, to_version, to_tag, to_commit,"
		" record_version, keep_releases, phase, preserved, updated)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
		"IssssssssIssssIIsI", (long long)in->job, in->kind, in->target,
		intent_mode_name(in->mode), in->path, in->staging, in->releases, in->old_link,
		in->new_link, in->live_existed ? 1LL : 0LL, in->from, in->to, in->to_tag, in->to_commit,
		in->record_version ? 1LL : 0LL, (long long)in->keep_releases,
		intent_phase_name(in->phase), util_now());
	return changes < 0 ? -1 : 0;
}

static int one_row(int changes, int64_t job, struct up_error *err)
{
	if (changes == 0)
		return err_set(err, UP_ERR_NOT_FOUND, _("job %lld has no intent recorded"), (long long)job);
	return changes < 0 ? -1 : 0;
}

int intent_set_phase(struct store *s, int64_t job, enum intent_phase p, struct up_error *err)
{
	return one_row(store_exec(s, err, "UPDATE intents SET phase = ?2, updated = ?3"
				  " WHERE job_id = ?1", "IsI", (long long)job, intent_phase_name(p),
				  util_now()), job, err);
}

int intent_set_swapping(struct store *s, int64_t job, const struct intent_id *old_id,
			const struct intent_id *new_id, struct up_error *err)
{
	return one_row(store_exec(s, err, "UPDATE intents SET phase = ?2, old_dev = ?3, old_ino = ?4,"
				  " new_dev = ?5, new_ino = ?6, updated = ?7 WHERE job_id = ?1",
				  "IsIIIII", (long long)job, intent_phase_name(INTENT_SWAPPING),
				  old_id->dev, old_id->ino, new_id->dev, new_id->ino, util_now()),
		       job, err);
}

int intent_set_swapping_pairs(struct store *s, int64_t job, const struct intent_pair *pairs,
			      size_t n, struct up_error *err)
{
	bool own = !store_in_group(s);
	if (own && store_group_begin(s, err) < 0)
		return -1;
	int rc = store_exec(s, err, "DELETE FROM intent_pairs WHERE job_id = ?", "I",
			    (long long)job) < 0 ? -1 : 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (store_exec(s, err, "INSERT INTO intent_pairs (job_id, seq, live, staged, existed,"
			       " live_ino, staged_ino) VALUES (?, ?, ?, ?, ?, ?, ?)", "IIssIII",
			       (long long)job, (long long)i, pairs[i].live, pairs[i].staged,
			       pairs[i].existed ? 1LL : 0LL, pairs[i].live_id.ino,
			       pairs[i].staged_id.ino) < 0)
			rc = -1;
	struct intent_id none = { 0, 0 };
	if (rc == 0)
		rc = intent_set_swapping(s, job, &none, &none, err);
	if (own && rc == 0)
		return store_group_end(s, err);
	if (own) {
		struct up_error e = UP_ERROR_INIT;
		store_group_end(s, &e); /* pairs without the phase are never read */
		err_clear(&e);
	}
	return rc;
}

int intent_set_data_snapshot(struct store *s, int64_t job, int64_t snapshot, struct up_error *err)
{
	return one_row(store_exec(s, err, "UPDATE intents SET data_snapshot = ?2, updated = ?3"
				  " WHERE job_id = ?1", "III", (long long)job, (long long)snapshot,
				  util_now()), job, err);
}

int intent_set_preserved(struct store *s, int64_t job, struct up_error *err)
{
	return one_row(store_exec(s, err, "UPDATE intents SET preserved = 1, updated = ?2"
				  " WHERE job_id = ?1", "II", (long long)job, util_now()), job, err);
}

static char *col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? xstrdup((const char *)t) : NULL;
}

static int fill(sqlite3_stmt *st, struct intent *in, struct up_error *err)
{
	int mode = 0, phase = 0;
	const char *mode_text = (const char *)sqlite3_column_text(st, 3);
	const char *phase_text = (const char *)sqlite3_column_text(st, 20);
	if (!parse_name(mode_names, COUNT(mode_names), mode_text, &mode) ||
	    !parse_name(phase_names, COUNT(phase_names), phase_text, &phase))
		return err_set(err, UP_ERR_STATE, _("job %lld: intent with unknown mode or phase (%s, %s)"),
			       (long long)sqlite3_column_int64(st, 0), mode_text ? mode_text : "NULL",
			       phase_text ? phase_text : "NULL");
	*in = (struct intent){
		.job = sqlite3_column_int64(st, 0), .kind = col_text(st, 1), .target = col_text(st, 2),
		.mode = (enum intent_mode)mode, .path = col_text(st, 4), .staging = col_text(st, 5),
		.releases = col_text(st, 6), .old_link = col_text(st, 7), .new_link = col_text(st, 8),
		.live_existed = sqlite3_column_int(st, 9) != 0, .from = col_text(st, 10),
		.to = col_text(st, 11), .to_tag = col_text(st, 12), .to_commit = col_text(st, 13),
		.record_version = sqlite3_column_int(st, 14) != 0,
		.keep_releases = sqlite3_column_int(st, 15),
		.old_id = { sqlite3_column_int64(st, 16), sqlite3_column_int64(st, 17) },
		.new_id = { sqlite3_column_int64(st, 18), sqlite3_column_int64(st, 19) },
		.phase = (enum intent_phase)phase, .preserved = sqlite3_column_int(st, 21) != 0,
		.updated = sqlite3_column_int64(st, 22), .data_snapshot = sqlite3_column_int64(st, 23),
	};
	return 0;
}

static int get_pairs(struct store *s, struct intent *in, struct up_error *err)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT live, staged, existed, live_ino, staged_ino"
				    " FROM intent_pairs WHERE job_id = ? ORDER BY seq", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, in->job);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		in->pairs = xrealloc(in->pairs, (in->n_pairs + 1) * sizeof(*in->pairs));
		in->pairs[in->n_pairs++] = (struct intent_pair){
			.live = col_text(st, 0), .staged = col_text(st, 1),
			.existed = sqlite3_column_int(st, 2) != 0,
			.live_id = { 0, sqlite3_column_int64(st, 3) },
			.staged_id = { 0, sqlite3_column_int64(st, 4) },
		};
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return err_set(err, UP_ERR_STATE, _("reading the intent of job %lld: %s"),
			       (long long)in->job, sqlite3_errmsg(db));
	return 0;
}

int intent_get(struct store *s, int64_t job, struct intent *out, struct up_error *err)
{
	*out = (struct intent){ 0 };
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT job_id, kind, target, mode, path, staging, releases, old_link,"
				    " new_link, live_existed, from_version, to_version, to_tag, to_commit,"
				    " record_version, keep_releases, old_dev, old_ino, new_dev, new_ino,"
				    " phase, preserved, updated, data_snapshot FROM intents WHERE job_id = ?",
				    -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, job);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	int result;
	if (rc == SQLITE_ROW)
		result = fill(st, out, err) < 0 ? -1 : 1;
	else if (rc == SQLITE_DONE)
		result = 0;
	else
		result = err_set(err, UP_ERR_STATE, _("reading the intent of job %lld: %s"),
				 (long long)job, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (result == 1 && get_pairs(s, out, err) < 0) {
		intent_clear(out);
		result = -1;
	}
	return result;
}

int intent_id_of(const char *path, struct intent_id *id, struct up_error *err)
{
	struct stat st;
	*id = (struct intent_id){ 0, 0 };
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(err, UP_ERR_IO, "%s: %s", path, strerror(errno));
	}
	*id = (struct intent_id){ (long long)st.st_dev, (long long)st.st_ino };
	return 0;
}

/* Inodes only: both trees live on one file system, and its device number
 * may differ after a remount (a loop device, another boot's numbering). */
bool intent_id_equal(const struct intent_id *a, const struct intent_id *b)
{
	return a->ino != 0 && a->ino == b->ino;
}
