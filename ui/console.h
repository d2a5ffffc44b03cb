/* console.h - the full-screen console (ncurses). The only entry point of ui/. */
#ifndef UPKEEP_CONSOLE_H
#define UPKEEP_CONSOLE_H

#include <stdbool.h>

#include "conf.h"

struct console_options {
	bool ascii;      /* --ascii, or automatic when the locale is not UTF-8 */
	bool no_color;   /* --no-color, or NO_COLOR set (any value) */
};

/* Runs the console until the user quits. Starts its own worker, opens the
 * state database read side, and restores the terminal on every exit path
 * (quit, SIGTERM/SIGINT/SIGHUP, fatal errors). Returns an exit code. */
int console_run(const struct config *cfg, const struct console_options *opts);

#endif
