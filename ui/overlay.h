/* overlay.h - the console's one modal box over the panes: a scrollable text
 * (release details, a job's log, errors) or a question (a confirm dialog
 * that says what will happen and waits for its key). Curses-free: the text
 * is kept as lines with a theme role each, and drawn by overlay_draw(). */
#ifndef UPKEEP_OVERLAY_H
#define UPKEEP_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct ui;

enum overlay_kind { OVERLAY_VIEW, OVERLAY_ASK };

/* What the box is about, so that a late result lands in the right one. */
enum overlay_purpose {
	OV_RELEASE,    /* release details of a target */
	OV_INSTALL,    /* install confirmation */
	OV_JOBLOG,     /* a job's steps and journal */
	OV_CANCEL,     /* cancel a job */
	OV_FORGET,     /* forget a snapshot */
	OV_RESTORE,    /* restore confirmation */
	OV_CONFIG,     /* the edited configuration has errors */
	OV_MESSAGE
};

struct overlay {
	enum overlay_kind kind;
	enum overlay_purpose purpose;
	char *title;                 /* trusted (escaped) */
	struct strvec lines;         /* trusted (escaped) text, one line each */
	unsigned char *roles;        /* enum theme_role per line */
	size_t top;                  /* first wrapped row shown */
	bool at_end;                 /* End was pressed (or j reached it): lines
				      * that arrive later (a plan) stay in view */
	int page;                    /* rows visible, set when drawn */
	size_t rows;                 /* wrapped rows in all, set when drawn */
	/* A question: the key that says yes (0 = none yet: still computing)
	 * and the prompt naming it. */
	int yes_key;
	char *prompt;
	/* Run on yes; ctx is freed with ctx_free when the box closes. */
	void (*on_yes)(struct ui *ui, void *ctx);
	void *ctx;
	void (*ctx_free)(void *ctx);
	/* A job whose result will fill this box, or 0; and a target. */
	int64_t wait_job;
	char *target;
	int64_t snapshot;
};

struct overlay *overlay_new(enum overlay_kind kind, enum overlay_purpose purpose, const char *title);
void overlay_free(struct overlay **ov);
/* Drops the lines (to fill them again when a result arrives). */
void overlay_clear_lines(struct overlay *ov);
/* A line of trusted text. */
void overlay_add(struct overlay *ov, int role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Untrusted text (tag messages, paths): escaped, newlines kept as lines,
 * each line indented by `indent` spaces. */
void overlay_add_untrusted(struct overlay *ov, int role, int indent, const char *text);
void overlay_set_prompt(struct overlay *ov, int yes_key, const char *prompt);

/* Opens ov as the console's box (closing any other one). */
void ui_overlay_open(struct ui *ui, struct overlay *ov);
void ui_overlay_close(struct ui *ui);
/* Scrolls by delta rows; to_end as ui_move(). */
void ui_overlay_move(struct ui *ui, long delta, int to_end);
/* Draws the box (curses; overlay_draw.c). */
void overlay_draw(struct ui *ui);

#endif
