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
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "actions.h"
#include "draw.h"
#include "escape.h"
#include "i18n.h"
#include "pane.h"
#include "store.h"
#include "ui.h"
#include "upkeep.h"
#include "util.h"
#include "worker.h"

/* How long to wait for another process's write lock on the state. */
#define STORE_LOCK_MS 3000

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

static void drain_events(struct ui *ui)
{
	struct event ev;
	unsigned changed = 0;

	while (ui->worker && worker_next_event(ui->worker, &ev)) {
		changed |= model_apply_event(&ui->model, &ev);
		event_free(&ev);
	}
	if (changed & MODEL_TARGETS)
		ui->dirty |= DIRTY_STATUS | (ui->pane == PANE_UPDATES ? DIRTY_BODY : 0);
	if (changed & MODEL_JOBS)
		ui->dirty |= DIRTY_TABS | (ui->pane == PANE_PROGRESS ? DIRTY_BODY : 0);
	if (changed & MODEL_HISTORY)
		ui_refresh_history(ui);
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

static int console_loop(struct ui *ui)
{
	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
			{ .fd = ui->worker ? worker_event_fd(ui->worker) : -1, .events = POLLIN },
		};

		if (quit_signal)
			return 128 + quit_signal;
		if (winch_pending)
			apply_resize(ui);
		frame_render(ui);

		int n = poll(fds, 3, frame_timeout_ms(ui));
		if (n < 0 && errno != EINTR)
			ui_die(_("waiting for input: %s"), strerror(errno));
		if (n == 0)
			ui->dirty |= DIRTY_BODY; /* "5m ago" moved on */
		if (n > 0 && (fds[1].revents & POLLIN))
			sig_pipe_drain();
		if (n > 0 && fds[2].revents)
			drain_events(ui);
		if (n > 0 && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)))
			return 128 + SIGHUP; /* the terminal went away */
		if (drain_keys(ui) == ACT_QUIT)
			return EXIT_OK;
	}
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
	rc = worker_start(ui->cfg, &ui->worker, err);
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
	if (start_worker(ui, &err) < 0)
		report(ui, _("Worker"), &err);
}

static void console_close(struct ui *ui)
{
	if (ui->worker)
		worker_stop(&ui->worker);
	store_close(&ui->store);
	model_free(&ui->model);
	free(ui->message);
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
	memset(&ui, 0, sizeof ui);
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
