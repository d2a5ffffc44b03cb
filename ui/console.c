/* console.c - the console's main loop: poll() on the terminal, the worker's
 * event fd and a self-pipe for signals; drain events and keys; redraw what
 * is dirty with one doupdate() per turn. Signal handlers only set flags
 * (and ring the self-pipe). Every exit path restores the terminal through
 * one hook, terminal_restore(); fatal errors go through ui_die(). */
#include "config.h"

#include "console.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "actions.h"
#include "browse.h"
#include "draw.h"
#include "handlers.h"
#include "joblog.h"
#include "overlay.h"
#include "escape.h"
#include "i18n.h"
#include "pane.h"
#include "prio.h"
#include "store.h"
#include "ui.h"
#include "upkeep.h"
#include "util.h"
#include "worker.h"

/* How long to wait for another process's write lock on the state. */
#define STORE_LOCK_MS 3000
/* Jobs are read from the state database at most this often. */
#define DB_READ_MS 1000
/* Rows of history read from the store at start-up (later: deferred.c). */
#define HISTORY_ROWS 500
/* The second worker's job ids start here. */
#define QUICK_FIRST_ID (1LL << 40)

/* ------------------------------------------------------------------ */
/* Signals: flags and a self-pipe, nothing else in the handlers.       */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t quit_signal;
static volatile sig_atomic_t winch_pending;
static int sig_pipe[2] = { -1, -1 };

static const int quit_signals[] = { SIGINT, SIGTERM, SIGHUP };
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#define N_QUIT (sizeof quit_signals / sizeof quit_signals[0])
#define N_CRASH (sizeof crash_signals / sizeof crash_signals[0])

static struct sigaction old_quit[N_QUIT], old_winch, old_crash[N_CRASH];
static bool signals_on;

/* The terminal, for the one restore hook. */
static struct {
	SCREEN *screen;
	bool on;                /* curses owns the terminal */
	bool have_tios;
	struct termios tios;    /* the tty modes before curses */
	char seq[512];          /* rmcup, cnorm, sgr0, rmkx: for crashes */
	size_t seq_len;
} term;

static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGWINCH)
		winch_pending = 1;
	else
		quit_signal = sig;
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], "", 1) < 0) {
		/* full pipe: a wake-up is already pending */
	}
	errno = saved;
}

/* A crash: put the terminal back with async-signal-safe calls only, then
 * let the previous handler (the default, or a sanitizer's) have it. */
static void on_crash(int sig, siginfo_t *info, void *ctx)
{
	if (term.on) {
		if (write(STDOUT_FILENO, term.seq, term.seq_len) < 0) {
			/* nothing more can be done */
		}
		if (term.have_tios)
			tcsetattr(STDIN_FILENO, TCSANOW, &term.tios);
		term.on = false;
	}
	for (size_t i = 0; i < N_CRASH; i++)
		if (crash_signals[i] == sig)
			sigaction(sig, &old_crash[i], NULL);
	/* A fault happens again when the handler returns; a sent signal not. */
	if (info->si_code <= 0 || sig == SIGABRT)
		raise(sig);
}

static int signals_install(void)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	/* Installed before curses starts, so that curses keeps its hands off
	 * SIGINT, SIGTERM and SIGWINCH and the loop decides. */
	for (size_t i = 0; i < N_QUIT; i++)
		sigaction(quit_signals[i], &sa, &old_quit[i]);
	sigaction(SIGWINCH, &sa, &old_winch);

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	for (size_t i = 0; i < N_CRASH; i++)
		sigaction(crash_signals[i], &sa, &old_crash[i]);
	signals_on = true;
	return 0;
}

static void signals_restore(void)
{
	if (!signals_on)
		return;
	for (size_t i = 0; i < N_QUIT; i++)
		sigaction(quit_signals[i], &old_quit[i], NULL);
	sigaction(SIGWINCH, &old_winch, NULL);
	for (size_t i = 0; i < N_CRASH; i++)
		sigaction(crash_signals[i], &old_crash[i], NULL);
	for (int i = 0; i < 2; i++) {
		if (sig_pipe[i] >= 0)
			close(sig_pipe[i]);
		sig_pipe[i] = -1;
	}
	signals_on = false;
}

static void sig_pipe_drain(void)
{
	char buf[64];
	while (read(sig_pipe[0], buf, sizeof buf) > 0)
		;
}

/* ------------------------------------------------------------------ */
/* The terminal.                                                        */
/* ------------------------------------------------------------------ */

/* The one hook that gives the terminal back; safe to call twice. */
static void terminal_restore(void)
{
	if (!term.screen)
		return;
	term.on = false;
	if (!isendwin())
		endwin();
	delscreen(term.screen);
	term.screen = NULL;
}

static void seq_add(const char *capname)
{
	char *s = tigetstr(capname);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (term.seq_len + n < sizeof term.seq) {
		memcpy(term.seq + term.seq_len, s, n);
		term.seq_len += n;
	}
}

static int terminal_start(const struct console_options *o)
{
	static bool hooked;

	term.have_tios = tcgetattr(STDIN_FILENO, &term.tios) == 0;
	term.screen = newterm(NULL, stdout, stdin);
	if (!term.screen)
		return -1;
	if (!hooked) {
		atexit(terminal_restore);
		hooked = true;
	}
	set_term(term.screen);
	term.on = true;
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	leaveok(stdscr, TRUE);
	curs_set(0);
	draw_init(o->ascii, !o->no_color);
	term.seq_len = 0;
	seq_add("rmkx");
	seq_add("sgr0");
	seq_add("cnorm");
	seq_add("rmcup");
	return 0;
}

void ui_die(const char *fmt, ...)
{
	va_list ap;

	terminal_restore();
	fputs("upkeep: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILED);
}

static bool locale_is_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

static void apply_resize(struct ui *ui)
{
	struct winsize ws;

	winch_pending = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	ui->dirty |= DIRTY_ALL;
}

/* ------------------------------------------------------------------ */
/* The loop.                                                            */
/* ------------------------------------------------------------------ */

/* The state database changed (or a second passed): read the queued and
 * running jobs of every process again. */
static void read_db_jobs(struct ui *ui)
{
	struct up_error e = UP_ERROR_INIT;
	struct job_row *v = NULL;
	size_t n = 0, before = ui->n_db_active;
	ui->db_pending = false;
	ui->db_read_ms = util_monotonic_ms();
	if (!ui->store || joblog_active(ui->store, &v, &n, &e) < 0) {
		err_clear(&e);
		return;
	}
	/* A job that records itself (an install) gets its row while it runs:
	 * tie the row to this console's job of that kind and target. */
	for (size_t i = 0; i < n; i++) {
		if (v[i].pid != (int)getpid())
			continue;
		for (size_t k = 0; k < ui->model.n_jobs; k++) {
			struct job_view *j = ui->model.jobs[k];
			if (!j->store_id && j->phase != JOB_PHASE_DONE && j->kind && j->target &&
			    v[i].target && strcmp(j->kind, v[i].kind) == 0 &&
			    strcmp(j->target, v[i].target) == 0)
				j->store_id = v[i].id;
		}
	}
	for (size_t i = 0; i < ui->n_db_active; i++)
		store_job_row_free(&ui->db_active[i]);
	free(ui->db_active);
	ui->db_active = v;
	ui->n_db_active = n;
	if (n < before || n > 0)
		ui->model.history_stale = true;
	ui->dirty |= DIRTY_TABS | (ui->pane == PANE_PROGRESS ? DIRTY_BODY : 0);
	/* Another process's steps and log lines may have moved on too. */
	if (n > 0 || n < before)
		deferred_joblog_stale(ui);
	ui_refresh_history(ui);
}

static void after_jobs(struct ui *ui, unsigned changed)
{
	if (changed & MODEL_INSTALL) {
		struct up_error e = UP_ERROR_INIT;
		if (model_load_state(&ui->model, ui->store, &e) < 0)
			err_clear(&e);
	}
	if (changed & MODEL_ARCHIVE) {
		model_load_backups(&ui->model);
		if (ui->model.snapshots_target)
			deferred_want(ui, READ_SNAPSHOTS);
		ui->dirty |= DIRTY_BODY;
	}
	if (changed & MODEL_HISTORY) {
		/* Read after drawing: Updates' last-job column comes from it too. */
		ui->model.history_stale = true;
		deferred_want(ui, READ_HISTORY);
		ui->db_pending = true;
	}
}

static bool next_event(struct ui *ui, struct event *ev)
{
	return (ui->worker && worker_next_event(ui->worker, ev)) ||
	       (ui->quick && worker_next_event(ui->quick, ev));
}

static void drain_events(struct ui *ui)
{
	struct event ev;
	unsigned changed = 0;
	struct strvec recheck = STRVEC_INIT;

	while (next_event(ui, &ev)) {
		enum event_type type = ev.type;
		int64_t id = ev.job_id;
		unsigned c = model_apply_event(&ui->model, &ev);
		changed |= c;
		event_free(&ev);
		struct job_view *j = model_job_find(&ui->model, id);
		if (type == EV_JOB_STEP || type == EV_JOB_LOG || type == EV_JOB_FINISHED)
			deferred_joblog_stale(ui);
		if (j && type == EV_JOB_RESULT)
			ui_job_result(ui, j);
		if (j && type == EV_JOB_FINISHED) {
			ui_job_finished(ui, j);
			if ((c & MODEL_INSTALL) && j->target)
				strvec_push(&recheck, j->target);
		}
	}
	after_jobs(ui, changed);
	/* After an install, check the target again: its newest release moved. */
	for (size_t i = 0; i < recheck.n; i++) {
		size_t row = model_find_row(&ui->model, recheck.items[i]);
		if (row != (size_t)-1)
			ui_submit_check(ui, row);
	}
	strvec_clear(&recheck);
	if (changed & MODEL_TARGETS)
		ui->dirty |= DIRTY_STATUS | (ui->pane == PANE_UPDATES ? DIRTY_BODY : 0);
	if (changed & (MODEL_JOBS | MODEL_RESULT))
		ui->dirty |= DIRTY_TABS | DIRTY_STATUS | (ui->pane == PANE_PROGRESS ? DIRTY_BODY : 0);
}

/* Reads every key curses has, so a burst is handled in one turn. */
static enum act_result drain_keys(struct ui *ui)
{
	int ch;

	while ((ch = getch()) != ERR) {
		enum act_result r;
		if (ch == KEY_RESIZE) {
			r = ACT_RESIZE;
		} else {
			ui_message_clear(ui);
			r = actions_dispatch(ui, ch);
		}
		switch (r) {
		case ACT_QUIT:
			return ACT_QUIT;
		case ACT_RESIZE:
			ui->dirty |= DIRTY_ALL;
			break;
		case ACT_REDRAW:
			clearok(curscr, TRUE);
			ui->dirty |= DIRTY_ALL;
			break;
		case ACT_HANDLED:
			break;
		}
	}
	return ACT_HANDLED;
}

/* Watches the state directory: any write there (another process's job,
 * this console's worker) makes the jobs worth reading again. Without
 * inotify the console reads them once a second while jobs run. */
static int watch_state(const struct ui *ui)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd >= 0 && inotify_add_watch(fd, ui->cfg->state_dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void watch_close(struct ui *ui)
{
	if (ui->watch_fd >= 0)
		close(ui->watch_fd);
	ui->watch_fd = -1;
}

static void drain_fd(int fd)
{
	char buf[4096];
	while (read(fd, buf, sizeof buf) > 0)
		;
}

/* Milliseconds until the loop must wake up by itself, -1 = never. */
static int loop_timeout(const struct ui *ui, bool watching)
{
	int t = frame_timeout_ms(ui);
	bool busy = model_jobs_running(&ui->model) > 0 || ui->n_db_active > 0;
	if (ui->db_pending || (!watching && busy) || (busy && ui->pane == PANE_PROGRESS)) {
		long long wait = ui->db_read_ms + DB_READ_MS - util_monotonic_ms();
		int w = wait < 0 ? 0 : (int)wait;
		if (t < 0 || w < t)
			t = w;
	}
	return t;
}

static int console_loop(struct ui *ui)
{
	int rc;
	for (;;) {
		struct pollfd fds[5] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
			{ .fd = ui->worker ? worker_event_fd(ui->worker) : -1, .events = POLLIN },
			{ .fd = ui->watch_fd, .events = POLLIN },
			{ .fd = ui->quick ? worker_event_fd(ui->quick) : -1, .events = POLLIN },
		};

		if (quit_signal) {
			rc = 128 + quit_signal;
			break;
		}
		if (winch_pending)
			apply_resize(ui);
		frame_render(ui);
		/* What a key asked for is on the screen: now the reads it wants,
		 * then draw again before sleeping. */
		if (deferred_pending(ui)) {
			deferred_run(ui);
			continue;
		}

		int n = poll(fds, 5, loop_timeout(ui, ui->watch_fd >= 0));
		if (n < 0 && errno != EINTR)
			ui_die(_("waiting for input: %s"), strerror(errno));
		if (n == 0)
			ui->dirty |= DIRTY_BODY; /* "5m ago" moved on */
		if (n > 0 && (fds[1].revents & POLLIN))
			sig_pipe_drain();
		if (n > 0 && (fds[2].revents || fds[4].revents))
			drain_events(ui);
		if (n > 0 && (fds[3].revents & POLLIN) && fds[3].fd == ui->watch_fd) {
			drain_fd(ui->watch_fd);
			/* Another process may have recorded (and finished) a job. */
			ui->db_pending = true;
			ui->model.history_stale = true;
		}
		bool busy = model_jobs_running(&ui->model) > 0 || ui->n_db_active > 0;
		if ((ui->db_pending || busy) && util_monotonic_ms() - ui->db_read_ms >= DB_READ_MS)
			read_db_jobs(ui);
		if (n > 0 && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
			rc = 128 + SIGHUP; /* the terminal went away */
			break;
		}
		if (drain_keys(ui) == ACT_QUIT) {
			rc = EXIT_OK;
			break;
		}
	}
	return rc;
}

int console_run_editor(struct ui *ui, const char *file, struct up_error *err)
{
	const char *editor = getenv("VISUAL");
	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	struct sigaction ign, old_int, old_qt;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	def_prog_mode();
	endwin();
	/* ^C in the editor is the editor's, not a request to quit upkeep. */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_qt);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGWINCH, SIG_DFL);
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", editor, file, (char *)NULL);
		_exit(127);
	}
	int status = 0, rc = 0;
	if (pid < 0)
		rc = err_set(err, UP_ERR_IO, "fork: %s", strerror(errno));
	else
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_qt, NULL);
	reset_prog_mode();
	clearok(curscr, TRUE);
	ui->dirty |= DIRTY_ALL;
	winch_pending = 1; /* the size may have changed meanwhile */
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = err_set(err, UP_ERR_USAGE, _("%s exited with status %d; nothing was changed"), editor,
			     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return rc;
}

/* Starts the worker with the console's signals blocked, so they are
 * delivered to the main thread's handlers, never to the worker. */
static int start_worker(struct ui *ui, struct up_error *err)
{
	sigset_t set, old;
	int rc;

	sigemptyset(&set);
	for (size_t i = 0; i < N_QUIT; i++)
		sigaddset(&set, quit_signals[i]);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTSTP);
	sigaddset(&set, SIGCONT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	/* Engine work runs below this thread: keys keep their screen while
	 * a backup keeps every core busy. */
	rc = worker_start_flags(ui->cfg, WORKER_BACKGROUND, &ui->worker, err);
	if (rc == 0 && worker_start_flags(ui->cfg, WORKER_BACKGROUND, &ui->quick, err) == 0)
		worker_set_first_id(ui->quick, QUICK_FIRST_ID);
	else
		ui->quick = NULL;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		ui->worker = NULL;
	return rc;
}

static void report(struct ui *ui, const char *what, struct up_error *err)
{
	char *msg = escape_text(err->msg ? err->msg : err_status_name(err->status), (size_t)-1, 0,
				ui->opts.ascii ? ESCAPE_ASCII : 0);
	ui_message(ui, true, "%s: %s", what, msg);
	free(msg);
	err_clear(err);
}

static void console_open(struct ui *ui)
{
	struct up_error err = UP_ERROR_INIT;

	if (store_open(ui->cfg->state_dir, STORE_LOCK_MS, &ui->store, &err) < 0) {
		ui->store = NULL;
		report(ui, _("State database"), &err);
	} else if (model_load_state(&ui->model, ui->store, &err) < 0) {
		report(ui, _("Reading the state"), &err);
	}
	model_load_history(&ui->model, ui->store, HISTORY_ROWS);
	model_load_backups(&ui->model);
	ui->history_target = ui->history_outcome = -1;
	if (start_worker(ui, &err) < 0)
		report(ui, _("Worker"), &err);
	/* After `e` the state directory may be another one: watch that. */
	ui->watch_fd = watch_state(ui);
	read_db_jobs(ui);
}

/* Everything that depends on the configuration. */
static void console_close_model(struct ui *ui)
{
	if (ui->worker)
		worker_stop(&ui->worker);
	if (ui->quick)
		worker_stop(&ui->quick);
	overlay_free(&ui->overlay);
	if (ui->browse)
		browse_close(ui);
	store_close(&ui->store);
	deferred_free(ui);
	watch_close(ui);
	model_free(&ui->model);
	for (size_t i = 0; i < ui->n_db_active; i++)
		store_job_row_free(&ui->db_active[i]);
	FREE(ui->db_active);
	ui->n_db_active = 0;
}

static void console_close(struct ui *ui)
{
	console_close_model(ui);
	for (int p = 0; p < PANE_COUNT; p++)
		FREE(ui->filter[p]);
	free(ui->message);
	/* A check thread abandoned after its deadline may still read one. */
	for (size_t i = 0; i < ui->n_cfg_owned && !worker_abandoned_tasks(); i++)
		config_free(&ui->cfg_owned[i]);
}

void console_reload(struct ui *ui, struct config *cfg)
{
	console_close_model(ui);
	if (ui->n_cfg_owned == sizeof ui->cfg_owned / sizeof ui->cfg_owned[0]) {
		/* Keep the newest few: an older one that no thread reads any more goes. */
		if (!worker_abandoned_tasks())
			config_free(&ui->cfg_owned[0]);
		memmove(ui->cfg_owned, ui->cfg_owned + 1, (ui->n_cfg_owned - 1) * sizeof *ui->cfg_owned);
		ui->n_cfg_owned--;
	}
	ui->cfg_owned[ui->n_cfg_owned++] = cfg;
	ui->cfg = cfg;
	model_init(&ui->model, cfg);
	memset(ui->ps, 0, sizeof ui->ps);
	console_open(ui);
	if (ui->worker && ui->model.n_rows > 0)
		ui_submit_check(ui, (size_t)-1);
	ui->dirty |= DIRTY_ALL;
}

int console_run(const struct config *cfg, const struct console_options *opts)
{
	struct ui ui;
	int rc;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s\n",
			_("upkeep: the console needs a terminal; use --batch in scripts"));
		return EXIT_USAGE;
	}
	setlocale(LC_ALL, "");
	prio_interactive();
	memset(&ui, 0, sizeof ui);
	ui.watch_fd = -1;
	ui.cfg = cfg;
	ui.opts = *opts;
	if (!locale_is_utf8())
		ui.opts.ascii = true;
	if (getenv("NO_COLOR"))
		ui.opts.no_color = true;
	model_init(&ui.model, cfg);
	quit_signal = 0;
	winch_pending = 0;
	if (signals_install() < 0) {
		fprintf(stderr, "upkeep: %s\n", strerror(errno));
		model_free(&ui.model);
		return EXIT_FAILED;
	}
	console_open(&ui);
	if (terminal_start(&ui.opts) < 0) {
		const char *t = getenv("TERM");
		console_close(&ui);
		signals_restore();
		fprintf(stderr, _("upkeep: cannot use the terminal (TERM=%s)\n"), t ? t : "");
		return EXIT_FAILED;
	}
	if (ui.worker && ui.model.n_rows > 0)
		ui_submit_check(&ui, (size_t)-1);
	ui.dirty = DIRTY_ALL;

	rc = console_loop(&ui);

	terminal_restore();
	console_close(&ui);
	signals_restore();
	return rc;
}
