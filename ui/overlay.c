/* overlay.c - the modal box's content and its life (drawing: overlay_draw.c). */
#include "config.h"

#include "overlay.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "escape.h"
#include "ui.h"

struct overlay *overlay_new(enum overlay_kind kind, enum overlay_purpose purpose, const char *title)
{
	struct overlay *ov = xcalloc(1, sizeof(*ov));
	ov->kind = kind;
	ov->purpose = purpose;
	ov->title = xstrdup(title ? title : "");
	return ov;
}

void overlay_clear_lines(struct overlay *ov)
{
	strvec_clear(&ov->lines);
	FREE(ov->roles);
	ov->top = 0;
}

void overlay_free(struct overlay **ovp)
{
	struct overlay *ov = *ovp;
	if (!ov)
		return;
	overlay_clear_lines(ov);
	free(ov->title);
	free(ov->prompt);
	free(ov->target);
	if (ov->ctx && ov->ctx_free)
		ov->ctx_free(ov->ctx);
	FREE(*ovp);
}

static void push(struct overlay *ov, int role, char *line)
{
	strvec_push_owned(&ov->lines, line);
	ov->roles = xrealloc(ov->roles, ov->lines.n);
	ov->roles[ov->lines.n - 1] = (unsigned char)role;
}

void overlay_add(struct overlay *ov, int role, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	push(ov, role, line);
}

void overlay_add_untrusted(struct overlay *ov, int role, int indent, const char *text)
{
	char *e = escape_text(text ? text : "", (size_t)-1, 0,
			      ESCAPE_KEEP_NEWLINES | (draw_is_ascii() ? ESCAPE_ASCII : 0));
	char *p = e;
	size_t len = strlen(e);
	while (len > 0 && e[len - 1] == '\n')
		e[--len] = '\0';
	for (;;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		for (char *q = p; *q; q++)
			if (*q == '\t')
				*q = ' ';
		push(ov, role, xasprintf("%*s%s", indent, "", p));
		if (!nl)
			break;
		p = nl + 1;
	}
	free(e);
}

void overlay_set_prompt(struct overlay *ov, int yes_key, const char *prompt)
{
	ov->yes_key = yes_key;
	free(ov->prompt);
	ov->prompt = prompt ? xstrdup(prompt) : NULL;
}

void ui_overlay_open(struct ui *ui, struct overlay *ov)
{
	overlay_free(&ui->overlay);
	ui->overlay = ov;
	ui->dirty |= DIRTY_OVERLAY | DIRTY_BODY | DIRTY_STATUS;
}

void ui_overlay_close(struct ui *ui)
{
	overlay_free(&ui->overlay);
	ui->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

void ui_overlay_move(struct ui *ui, long delta, int to_end)
{
	struct overlay *ov = ui->overlay;
	if (!ov)
		return;
	size_t page = ov->page > 0 ? (size_t)ov->page : 1;
	size_t max_top = ov->rows > page ? ov->rows - page : 0;
	size_t top = ov->top;
	if (to_end > 0)
		top = max_top;
	else if (to_end < 0)
		top = 0;
	else if (delta < 0)
		top = (size_t)-delta > top ? 0 : top - (size_t)-delta;
	else
		top = top + (size_t)delta > max_top ? max_top : top + (size_t)delta;
	ov->at_end = to_end > 0 || (delta > 0 && top == max_top);
	if (top != ov->top) {
		ov->top = top;
		ui->dirty |= DIRTY_OVERLAY;
	}
}
