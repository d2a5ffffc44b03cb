/* actions.h - every action of the console, declared once: its keys, help
 * text, status-line hint, where it applies, its precondition and handler.
 * The help overlay and the status-line hints are generated from this table. */
#ifndef UPKEEP_ACTIONS_H
#define UPKEEP_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "ui.h"

/* What a handler tells the loop. */
enum act_result {
	ACT_HANDLED,  /* done; the handler marked what it changed dirty */
	ACT_REDRAW,   /* draw the whole screen again */
	ACT_RESIZE,   /* the terminal size changed: lay out and draw again */
	ACT_QUIT      /* leave the console */
};

#define ACTION_MAX_KEYS 6

struct action {
	const char *name;                 /* stable name, for docs: "check-all" */
	int keys[ACTION_MAX_KEYS];        /* curses key codes, 0-terminated */
	const char *key_label;            /* "j/Down", "1-4" */
	const char *hint;                 /* N_() status-line word, NULL = help only */
	const char *help;                 /* N_() help overlay text */
	unsigned context;                 /* enum ui_context bits */
	bool (*can)(const struct ui *ui); /* precondition, NULL = always */
	const char *cannot;               /* N_() why the precondition fails */
	enum act_result (*run)(struct ui *ui, int key);
};

extern const struct action actions[];
extern const size_t actions_count;

/* The action bound to key in the given context, or NULL. */
const struct action *actions_find(unsigned context, int key);
/* Whether the action is offered now (context and precondition). */
bool actions_available(const struct action *a, const struct ui *ui);
/* Runs the action bound to key in the current context; reports unbound
 * keys and failed preconditions in the status line. */
enum act_result actions_dispatch(struct ui *ui, int key);

#endif
