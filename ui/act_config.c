/* act_config.c - `e`: the configuration edited like visudo does it. The
 * file is copied beside itself (so relative paths in it mean the same),
 * $EDITOR (else vi) edits the copy, the engine's parser checks it, and only
 * a valid copy replaces the file (by rename) and is loaded. On errors the
 * console shows them and offers to edit again or to discard the copy. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "draw.h"
#include "handlers.h"
#include "i18n.h"
#include "overlay.h"
#include "ui.h"
#include "worker.h"

struct edit_ctx {
	char *tmp;      /* the copy being edited */
	bool keep;      /* handed on to the next edit: do not remove */
};

static void edit_ctx_free(void *p)
{
	struct edit_ctx *c = p;
	if (!c->keep)
		unlink(c->tmp);
	free(c->tmp);
	free(c);
}

/* Copies file to a new temporary file beside it (same mode). */
static char *copy_beside(const char *file, struct up_error *err)
{
	const char *slash = strrchr(file, '/');
	char *tmp = slash ? xasprintf("%.*s/.%s.edit-XXXXXX", (int)(slash - file), file, slash + 1)
			  : xasprintf(".%s.edit-XXXXXX", file);
	int in = open(file, O_RDONLY | O_CLOEXEC), out = -1;
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0 || (out = mkstemp(tmp)) < 0) {
		err_set(err, UP_ERR_IO, "%s: %s", out < 0 && in >= 0 ? tmp : file, strerror(errno));
		goto fail;
	}
	char buf[8192];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	if (n < 0 || fchmod(out, st.st_mode & 07777) < 0 || close(out) < 0) {
		err_set(err, UP_ERR_IO, "%s: %s", tmp, strerror(errno));
		out = -1;
		unlink(tmp);
		goto fail;
	}
	close(in);
	return tmp;
fail:
	if (in >= 0)
		close(in);
	if (out >= 0) {
		close(out);
		unlink(tmp);
	}
	free(tmp);
	return NULL;
}

static bool same_content(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	bool same = fa && fb;
	while (same) {
		int ca = getc(fa), cb = getc(fb);
		if (ca != cb)
			same = false;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* A copy of s with every `from` replaced by `to`. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(from);
	const char *p;
	while (n && (p = strstr(s, from))) {
		strbuf_add(&sb, s, (size_t)(p - s));
		strbuf_addstr(&sb, to);
		s = p + n;
	}
	strbuf_addstr(&sb, s);
	return strbuf_detach(&sb);
}

static void edit_loop(struct ui *ui, struct edit_ctx *c);

static void edit_again(struct ui *ui, void *p)
{
	struct edit_ctx *old = p, *c = xcalloc(1, sizeof(*c));
	c->tmp = xstrdup(old->tmp);
	old->keep = true;
	edit_loop(ui, c);
}

/* Edits c->tmp, then checks it; takes c. */
static void edit_loop(struct ui *ui, struct edit_ctx *c)
{
	struct up_error err = UP_ERROR_INIT;
	if (console_run_editor(ui, c->tmp, &err) < 0) {
		ui_error(ui, _("Editor"), &err);
		edit_ctx_free(c);
		return;
	}
	if (same_content(c->tmp, ui->cfg->file)) {
		ui_message(ui, false, "%s", _("Configuration unchanged"));
		edit_ctx_free(c);
		return;
	}
	struct config *cfg = NULL;
	if (config_load(c->tmp, &cfg, &err) < 0) {
		struct overlay *ov = overlay_new(OVERLAY_ASK, OV_CONFIG, _("The configuration has errors"));
		overlay_add(ov, ROLE_NORMAL, "%s", _("Nothing was changed. The errors:"));
		/* The copy's lines are the file's: name the file. */
		char *msg = replace_all(err.msg ? err.msg : err_status_name(err.status), c->tmp,
					ui->cfg->file);
		overlay_add_untrusted(ov, ROLE_ERROR, 2, msg);
		free(msg);
		err_clear(&err);
		overlay_set_prompt(ov, 'e', _("e: edit again   Esc/n: discard the changes"));
		ov->ctx = c;
		ov->ctx_free = edit_ctx_free;
		ov->on_yes = edit_again;
		ui_overlay_open(ui, ov);
		return;
	}
	/* The copy took the real file's name in the messages: load it again
	 * from the real path after the rename. */
	config_free(&cfg);
	if (rename(c->tmp, ui->cfg->file) < 0) {
		err_set(&err, UP_ERR_IO, _("cannot replace %s: %s"), ui->cfg->file, strerror(errno));
		ui_error(ui, _("Configuration"), &err);
		edit_ctx_free(c);
		return;
	}
	c->keep = true;
	edit_ctx_free(c);
	if (config_load(ui->cfg->file, &cfg, &err) < 0) {
		ui_error(ui, _("Configuration"), &err);
		return;
	}
	console_reload(ui, cfg);
	ui_message(ui, false, "%s", _("Configuration saved and loaded"));
}

enum act_result run_edit_config(struct ui *ui, int key)
{
	struct up_error err = UP_ERROR_INIT;
	if (ui->worker && worker_busy(ui->worker)) {
		ui_message(ui, true, "%s", _("Wait for the running jobs to finish before editing the configuration"));
		return ACT_HANDLED;
	}
	char *tmp = copy_beside(ui->cfg->file, &err);
	if (!tmp) {
		ui_error(ui, _("Cannot edit the configuration"), &err);
		return ACT_HANDLED;
	}
	struct edit_ctx *c = xcalloc(1, sizeof(*c));
	c->tmp = tmp;
	edit_loop(ui, c);
	return ACT_REDRAW;
}
