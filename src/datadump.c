/* datadump.c - running the data dump and restore commands. */
#include "config.h"

#include "datadump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"

static long long timeout_of(const struct target_cfg *t, const struct data_cfg *d)
{
	return d->timeout_ms > 0 ? d->timeout_ms : t->hooks.timeout_ms;
}

static void keep_evidence(char **evidence, const struct hook_result *hr)
{
	if (evidence && hr->output && hr->output[0]) {
		free(*evidence);
		*evidence = xstrdup(hr->output);
	}
}

static int dump_one(const struct target_cfg *t, const struct data_cfg *d, struct hook_env env,
		    const char *dir, datadump_note_fn note, void *ctx, char **evidence,
		    struct up_error *err)
{
	char *file = xasprintf("%s/%s", dir, d->name);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	int rc = 0;
	if (fd < 0) {
		rc = err_set(err, UP_ERR_IO, _("data %s: cannot create %s: %s"), d->name, file,
			     strerror(errno));
		free(file);
		return rc;
	}
	env.phase = "dump";
	env.data = d->name;
	env.dump = file;
	struct hook_result hr;
	rc = hooks_run_io(d->dump, &env, timeout_of(t, d), -1, fd, &hr, err);
	if (rc < 0)
		keep_evidence(evidence, &hr);
	struct stat st;
	if (rc == 0 && (fsync(fd) < 0 || fstat(fd, &st) < 0))
		rc = err_set(err, UP_ERR_IO, "data %s: %s: %s", d->name, file, strerror(errno));
	close(fd);
	if (rc == 0) {
		char *text = xasprintf("dump %s: %lld bytes", d->name, (long long)st.st_size);
		note(ctx, "info", text);
		free(text);
	} else {
		err_prefix(err, "data %s", d->name);
	}
	hook_result_clear(&hr);
	free(file);
	return rc;
}

int datadump_capture(const struct target_cfg *t, const struct hook_env *env, const char *dir,
		     datadump_note_fn note, void *ctx, char **evidence, struct up_error *err)
{
	if (util_mkdir_p(dir, 0700) < 0)
		return err_set(err, UP_ERR_IO, "%s: %s", dir, strerror(errno));
	for (size_t i = 0; i < t->n_data; i++)
		if (dump_one(t, &t->data[i], *env, dir, note, ctx, evidence, err) < 0)
			return -1;
	return 0;
}

static int restore_one(const struct target_cfg *t, const struct data_cfg *d, struct hook_env env,
		       const char *dir, datadump_note_fn note, void *ctx, char **evidence,
		       struct up_error *err)
{
	char *file = xasprintf("%s/%s", dir, d->name);
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		char *text = xasprintf("%s %s: no dump of it in the snapshot; its data is left as it is",
				       env.phase, d->name);
		note(ctx, "warning", text);
		free(text);
		free(file);
		return 0;
	}
	int rc = 0;
	if (fd < 0) {
		rc = err_set(err, UP_ERR_IO, "data %s: %s: %s", d->name, file, strerror(errno));
		free(file);
		return rc;
	}
	env.data = d->name;
	env.dump = file;
	struct hook_result hr;
	rc = hooks_run_io(d->restore, &env, timeout_of(t, d), fd, -1, &hr, err);
	close(fd);
	char *text = rc == 0 ? xasprintf("%s %s: restored", env.phase, d->name) :
		     xasprintf("%s %s: %s", env.phase, d->name, err->msg);
	note(ctx, rc == 0 ? "info" : "error", text);
	free(text);
	if (rc < 0) {
		keep_evidence(evidence, &hr);
		err_prefix(err, "data %s", d->name);
	}
	hook_result_clear(&hr);
	free(file);
	return rc;
}

int datadump_restore(const struct target_cfg *t, const struct hook_env *env, const char *dir,
		     const char *phase, datadump_note_fn note, void *ctx, char **evidence,
		     struct up_error *err)
{
	struct hook_env e = *env;
	e.phase = phase;
	for (size_t i = 0; i < t->n_data; i++)
		if (restore_one(t, &t->data[i], e, dir, note, ctx, evidence, err) < 0)
			return -1;
	return 0;
}
