/* hooks.c - running hook and health commands without a shell. */
#include "config.h"

#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape.h"
#include "i18n.h"

void hook_result_clear(struct hook_result *r)
{
	FREE(r->output);
	*r = (struct hook_result){ 0 };
}

int hooks_split_command(const char *cmd, struct strvec *argv, struct up_error *err)
{
	const char *p = cmd ? cmd : "";
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (p > s)
			strvec_push_owned(argv, xstrndup(s, (size_t)(p - s)));
	}
	if (!argv->n)
		return err_set(err, UP_ERR_CONFIG, _("empty command"));
	return 0;
}

static const char *env_path(void)
{
	const char *p = getenv("PATH");
	return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

static bool executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static char *search_path(const char *word)
{
	if (strchr(word, '/'))
		return executable(word) ? xstrdup(word) : NULL;
	const char *p = env_path();
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char *cand = xasprintf("%.*s/%s", (int)n, n ? p : ".", word);
		if (executable(cand))
			return cand;
		free(cand);
		p += n + (colon ? 1 : 0);
	}
	return NULL;
}

int hooks_find_executable(const char *cmd, char **found, struct up_error *err)
{
	struct strvec argv = STRVEC_INIT;
	if (hooks_split_command(cmd, &argv, err) < 0)
		return -1;
	char *exe = search_path(argv.items[0]);
	int rc = 0;
	if (!exe) {
		char *safe = escape_text(argv.items[0], (size_t)-1, 200, 0);
		rc = err_set(err, UP_ERR_NOT_FOUND, _("%s: no such executable%s"), safe,
			     strchr(argv.items[0], '/') ? "" : " in PATH");
		free(safe);
	}
	if (found)
		*found = exe;
	else
		free(exe);
	strvec_clear(&argv);
	return rc;
}

static void build_env(const struct hook_env *env, struct strvec *out)
{
	strvec_push_owned(out, xasprintf("PATH=%s", env_path()));
	const char *home = getenv("HOME"), *lang = getenv("LANG");
	if (home)
		strvec_push_owned(out, xasprintf("HOME=%s", home));
	if (lang)
		strvec_push_owned(out, xasprintf("LANG=%s", lang));
	const char *from = env->from ? env->from : "", *to = env->to ? env->to : "";
	strvec_push_owned(out, xasprintf("UPKEEP_TARGET=%s", env->target ? env->target : ""));
	strvec_push_owned(out, xasprintf("UPKEEP_PATH=%s", env->path ? env->path : ""));
	strvec_push_owned(out, xasprintf("UPKEEP_PHASE=%s", env->phase ? env->phase : ""));
	strvec_push_owned(out, xasprintf("UPKEEP_FROM=%s", from));
	strvec_push_owned(out, xasprintf("UPKEEP_TO=%s", to));
	strvec_push_owned(out, xasprintf("UPKEEP_OLD_VERSION=%s", from));
	strvec_push_owned(out, xasprintf("UPKEEP_VERSION=%s", to));
	if (env->data)
		strvec_push_owned(out, xasprintf("UPKEEP_DATA=%s", env->data));
	if (env->dump)
		strvec_push_owned(out, xasprintf("UPKEEP_DUMP=%s", env->dump));
	strvec_push_owned(out, NULL);
	out->n--; /* keep the NULL terminator out of the count */
}

static void keep_tail(struct strbuf *sb, const char *data, size_t n)
{
	strbuf_add(sb, data, n);
	if (sb->len > 2 * HOOKS_OUTPUT_CAP) {
		size_t drop = sb->len - HOOKS_OUTPUT_CAP;
		memmove(sb->buf, sb->buf + drop, sb->len - drop + 1);
		sb->len -= drop;
	}
}

/* Reads output until the child exits (or the deadline passes, or cancel
 * is set), then drains what is buffered. Returns 0 when it exited, -1 on
 * timeout, -2 when cancelled. */
static int collect(pid_t pid, int fd, long long deadline, const volatile int *cancel,
		   struct strbuf *out, int *status)
{
	bool exited = false, eof = false;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait_ms = 50;
		if (!eof && poll(&p, 1, wait_ms) > 0) {
			char buf[4096];
			ssize_t k = read(fd, buf, sizeof buf);
			if (k > 0)
				keep_tail(out, buf, (size_t)k);
			else if (k == 0 || errno != EINTR)
				eof = true;
		} else if (eof) {
			usleep(1000); /* the output is closed: the exit is near (and inside downtime) */
		}
		if (!exited && waitpid(pid, status, WNOHANG) == pid)
			exited = true;
		if (exited) {
			/* a background child may keep the pipe open: read what is there */
			fcntl(fd, F_SETFL, O_NONBLOCK);
			char buf[4096];
			ssize_t k;
			while (!eof && (k = read(fd, buf, sizeof buf)) > 0)
				keep_tail(out, buf, (size_t)k);
			return 0;
		}
		if (deadline && util_monotonic_ms() >= deadline)
			return -1;
		if (cancel && *cancel)
			return -2;
	}
}

static void kill_group(pid_t pid, int *status)
{
	kill(-pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, status, 0);
}

/* in_fd and out_fd: the child's stdin and stdout, or -1 for /dev/null and
 * the capture pipe. stderr always goes to the pipe. */
static int spawn(const char *exe, struct strvec *argv, struct strvec *envv, int in_fd, int out_fd,
		 int *fd_out, pid_t *pid)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd >= 0 ? out_fd : pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	sigset_t dfl;
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	strvec_push_owned(argv, NULL);
	argv->n--;
	int rc = posix_spawn(pid, exe, &fa, &at, argv->items, envv->items);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		errno = rc;
		return -1;
	}
	*fd_out = pfd[0];
	return 0;
}

static int describe_failure(const char *cmd, const struct hook_env *env, long long timeout_ms,
			    const struct hook_result *res, struct up_error *err)
{
	char how[96];
	if (res->cancelled)
		snprintf(how, sizeof how, "%s", _("was cancelled"));
	else if (res->timed_out)
		snprintf(how, sizeof how, _("timed out after %lld ms"), timeout_ms);
	else if (res->signal)
		snprintf(how, sizeof how, _("killed by signal %d"), res->signal);
	else
		snprintf(how, sizeof how, _("exited with status %d"), res->exit_code);
	/* the last non-empty line of output, made safe for terminals */
	const char *o = res->output;
	size_t end = strlen(o);
	while (end && (o[end - 1] == '\n' || o[end - 1] == '\r'))
		end--;
	size_t start = end;
	while (start && o[start - 1] != '\n')
		start--;
	char *line = escape_text(o + start, end - start, 300, 0);
	char *safe_cmd = escape_text(cmd, (size_t)-1, 200, 0);
	int rc = err_set(err, res->cancelled ? UP_ERR_CANCELLED : UP_ERR_MISMATCH,
			 _("%s command \"%s\" %s%s%s"), env->phase ? env->phase : "hook",
			 safe_cmd, how, line[0] ? ": " : "", line);
	free(safe_cmd);
	free(line);
	return rc;
}

int hooks_run_command(const char *cmd, const struct hook_env *env, long long timeout_ms,
		      struct hook_result *res, struct up_error *err)
{
	return hooks_run_io(cmd, env, timeout_ms, -1, -1, res, err);
}

int hooks_run_io(const char *cmd, const struct hook_env *env, long long timeout_ms, int in_fd,
		 int out_fd, struct hook_result *res, struct up_error *err)
{
	*res = (struct hook_result){ .exit_code = -1 };
	struct strvec argv = STRVEC_INIT, envv = STRVEC_INIT;
	char *exe = NULL;
	if (hooks_split_command(cmd, &argv, err) < 0 || hooks_find_executable(cmd, &exe, err) < 0) {
		strvec_clear(&argv);
		res->output = xstrdup("");
		return err_prefix(err, "%s", env->phase ? env->phase : "hook");
	}
	build_env(env, &envv);
	long long start = util_monotonic_ms();
	int fd = -1, status = 0, rc = 0;
	pid_t pid;
	struct strbuf out = STRBUF_INIT;
	if (spawn(exe, &argv, &envv, in_fd, out_fd, &fd, &pid) < 0) {
		rc = err_set(err, UP_ERR_IO, "%s: cannot run %s: %s", env->phase ? env->phase : "hook",
			     exe, strerror(errno));
		res->output = xstrdup("");
		goto out;
	}
	int how = collect(pid, fd, timeout_ms > 0 ? start + timeout_ms : 0, env->cancel, &out, &status);
	if (how < 0) {
		res->timed_out = how == -1;
		res->cancelled = how == -2;
		kill_group(pid, &status);
	}
	close(fd);
	res->output = strbuf_detach(&out);
	res->duration_ms = util_monotonic_ms() - start;
	if (WIFEXITED(status) && !res->timed_out && !res->cancelled)
		res->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	if (res->exit_code != 0)
		rc = describe_failure(cmd, env, timeout_ms, res, err);
out:
	free(exe);
	strvec_clear(&argv);
	strvec_clear(&envv);
	return rc;
}
