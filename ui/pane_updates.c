/* pane_updates.c - the Updates pane: one row per target (installed and
 * newest version, kind badge, flags, how many newer, last check and its
 * outcome), and below it the selected target's details: its error in full,
 * a beta hint, and the newer releases. */
#include "config.h"

#include <curses.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "escape.h"
#include "i18n.h"
#include "pane.h"
#include "words.h"
#include "tagverify.h"
#include "util.h"

/* Rows kept for the details under the list, when there is room. */
#define DETAIL_MIN 7

enum col { COL_NAME, COL_INST, COL_NEWEST, COL_KIND, COL_FLAGS, COL_NEWER, COL_CHECKED,
	   COL_STATUS, COL_BACKUP, COL_LASTJOB, COL_COUNT };

/* Columns that give way (hidden) before the others shrink. */
#define OPTIONAL_COLS ((1u << COL_BACKUP) | (1u << COL_LASTJOB))

struct columns {
	int x[COL_COUNT], w[COL_COUNT];
	unsigned hidden;   /* 1 << col */
};

/* The numbers a row shows, from its latest check. */
struct row_view {
	const struct release *newest;  /* newest offered, or NULL */
	size_t offered;
	unsigned flags;
	const char *trust;             /* the newest's trust mark, or NULL */
	bool trust_bad;
};

/* A short word for a release's signature verdict (upkeep(1), TRUST), shown
 * after the flags; NULL for the common cases (unsigned, not checked), which
 * get no mark. *bad: install would refuse it. */
static const char *trust_mark(const struct release *rel, bool *bad)
{
	*bad = rel->moved;
	if (rel->moved)
		/* L10N: the release's tag moved since first seen; keep short. */
		return _("moved");
	if (!rel->verified)
		return NULL;
	switch (rel->trust.verdict) {
	/* L10N: signature verdicts, short forms of upkeep(1)'s TRUST section. */
	case VERDICT_SIGNED: return _("signed");
	case VERDICT_UNSIGNED:
	case VERDICT_NOT_CHECKED: return NULL;
	case VERDICT_BAD: *bad = true; return _("bad sig");
	case VERDICT_UNKNOWN_KEY: *bad = true; return _("unknown key");
	case VERDICT_EXPIRED: *bad = true; return _("key expired");
	case VERDICT_WRONG_TAG: *bad = true; return _("wrong tag");
	case VERDICT_ERROR: *bad = true; return _("unverifiable");
	}
	return NULL;
}

static const char *const headings[COL_COUNT] = {
	[COL_NAME] = N_("Target"), [COL_INST] = N_("Installed"), [COL_NEWEST] = N_("Newest"),
	[COL_KIND] = N_("Kind"), [COL_FLAGS] = N_("Flags"),
	/* L10N: column of how many newer releases the channel offers; keep short. */
	[COL_NEWER] = N_("New"),
	[COL_CHECKED] = N_("Checked"), [COL_STATUS] = N_("Status"),
	/* L10N: column: age of the target's newest snapshot. */
	[COL_BACKUP] = N_("Backup"),
	/* L10N: column: the target's newest finished job and its outcome. */
	[COL_LASTJOB] = N_("Last job"),
};

static struct row_view row_view(const struct target_row *row)
{
	struct row_view v = { NULL, 0, 0, NULL, false };
	const struct check_result *r = row->result;

	if (!r || !r->ok)
		return v;
	long i = check_newest_offered(r);
	if (i >= 0 && (size_t)i < r->n_releases)
		v.newest = &r->releases[i];
	v.offered = check_count_offered(r);
	v.flags = model_offered_flags(r);
	if (v.newest)
		v.trust = trust_mark(v.newest, &v.trust_bad);
	return v;
}

static int untrusted_width(const char *s)
{
	char *e = draw_escape(s);
	int w = draw_width(e);
	free(e);
	return w;
}

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int flags_width(unsigned flags)
{
	int w = 0;
	if (flags & FLAG_SECURITY)
		w += draw_width(_("security"));
	if (flags & FLAG_HOTFIX)
		w += (w ? 1 : 0) + draw_width(_("hotfix"));
	return w;
}

/* Wanted widths from the content; the optional columns are dropped when
 * the rest does not fit, then columns shrink in a fixed order; whatever is
 * left goes to the last column shown. */
static void layout_compute(const struct ui *ui, int width, struct columns *L)
{
	static const enum col shrink[] = { COL_FLAGS, COL_NAME, COL_STATUS, COL_INST,
					   COL_NEWEST, COL_KIND, COL_CHECKED };
	int want[COL_COUNT], min[COL_COUNT];

	for (int c = 0; c < COL_COUNT; c++)
		want[c] = draw_width(_(headings[c]));
	for (size_t i = 0; i < ui->model.n_rows; i++) {
		const struct target_row *row = &ui->model.rows[i];
		struct row_view v = row_view(row);
		int w;
		if ((w = untrusted_width(row->cfg->name)) > want[COL_NAME])
			want[COL_NAME] = w;
		if ((w = untrusted_width(row->installed)) > want[COL_INST])
			want[COL_INST] = w;
		if (v.newest && (w = untrusted_width(v.newest->version.text)) > want[COL_NEWEST])
			want[COL_NEWEST] = w;
		w = flags_width(v.flags);
		if (v.trust)
			w += (w ? 1 : 0) + draw_width(v.trust);
		if (w > want[COL_FLAGS])
			want[COL_FLAGS] = w;
		if (row->last_job && (w = untrusted_width(row->last_job)) > want[COL_LASTJOB])
			want[COL_LASTJOB] = w;
	}
	want[COL_NAME] = clamp(want[COL_NAME], 8, 24);
	want[COL_INST] = clamp(want[COL_INST], 7, 16);
	want[COL_NEWEST] = clamp(want[COL_NEWEST], 7, 16);
	want[COL_KIND] = clamp(want[COL_KIND], 8, 12);
	want[COL_CHECKED] = clamp(want[COL_CHECKED], 8, 12);
	want[COL_STATUS] = clamp(want[COL_STATUS], 10, 10);
	want[COL_BACKUP] = clamp(want[COL_BACKUP], 8, 10);
	want[COL_LASTJOB] = clamp(want[COL_LASTJOB], 8, 22);
	for (int c = 0; c < COL_COUNT; c++)
		min[c] = want[c];
	min[COL_FLAGS] = 3;
	min[COL_NAME] = 8;
	min[COL_STATUS] = 8;
	min[COL_INST] = min[COL_NEWEST] = 7;
	min[COL_KIND] = 3;
	min[COL_CHECKED] = 7;
	min[COL_NEWER] = 3;

	L->hidden = 0;
	int total = 2 + (COL_COUNT - 1);
	for (int c = 0; c < COL_COUNT; c++)
		total += want[c];
	for (int c = COL_LASTJOB; c >= COL_BACKUP && total > width; c--) {
		L->hidden |= 1u << c;
		total -= want[c] + 1;
		want[c] = 0;
	}
	for (size_t s = 0; s < sizeof shrink / sizeof shrink[0] && total > width; s++) {
		enum col c = shrink[s];
		int cut = want[c] - min[c];
		if (cut > total - width)
			cut = total - width;
		want[c] -= cut;
		total -= cut;
	}
	int last = COL_COUNT - 1;
	while (last > 0 && (L->hidden & (1u << last)))
		last--;
	if (total < width)
		want[last] += width - total;
	int x = 2;
	for (int c = 0; c < COL_COUNT; c++) {
		L->x[c] = x;
		if (L->hidden & (1u << c)) {
			L->w[c] = 0;
			continue;
		}
		L->w[c] = x + want[c] > width ? width - x : want[c];
		if (L->w[c] < 0)
			L->w[c] = 0;
		x += want[c] + 1;
	}
}

static void draw_status_cell(const struct target_row *row, int y, int x, int w, attr_t extra)
{
	int used;

	if (row->checking > 0) {
		used = draw_text(y, x, w, _("checking"), A_BOLD | extra);
		draw_text(y, x + used, w - used, draw_glyph(GLYPH_ELLIPSIS), A_BOLD | extra);
	} else if (row->last_check == 0 && !row->result) {
		draw_text(y, x, w, "-", extra);
	} else if (row->checked_ok) {
		draw_text(y, x, w, _("ok"), draw_attr(ROLE_OK) | extra);
	} else {
		/* L10N: start of the status of a failed check, before its message. */
		used = draw_text(y, x, w, _("error"), draw_attr(ROLE_ERROR) | extra);
		if (row->error && row->error[0]) {
			used += draw_text(y, x + used, w - used, ": ", draw_attr(ROLE_ERROR) | extra);
			draw_untrusted(y, x + used, w - used, row->error, draw_attr(ROLE_ERROR) | extra);
		}
	}
}

static void draw_row(const struct ui *ui, const struct columns *L, int y, size_t i,
		     bool selected, long long now)
{
	const struct target_row *row = &ui->model.rows[i];
	struct row_view v = row_view(row);
	attr_t extra = selected ? draw_attr(ROLE_SELECTED) : 0;
	char buf[64];

	draw_fill(y, 0, COLS, extra);
	if (selected)
		draw_text(y, 0, 2, draw_glyph(GLYPH_POINTER), extra | A_BOLD);
	draw_untrusted(y, L->x[COL_NAME], L->w[COL_NAME], row->cfg->name, extra | A_BOLD);
	draw_untrusted(y, L->x[COL_INST], L->w[COL_INST], row->installed ? row->installed : "-",
		       extra);
	if (v.newest) {
		draw_untrusted(y, L->x[COL_NEWEST], L->w[COL_NEWEST], v.newest->version.text, extra);
		draw_badge(y, L->x[COL_KIND], L->w[COL_KIND], v.newest->kind, extra);
	} else if (row->result) {
		draw_text(y, L->x[COL_NEWEST], L->w[COL_NEWEST], row->result->ok ? "-" : "?", extra);
	}
	draw_flags(y, L->x[COL_FLAGS], L->w[COL_FLAGS], v.flags, extra);
	int fw = flags_width(v.flags), tx = fw ? fw + 1 : 0;
	if (v.trust && draw_width(v.trust) <= L->w[COL_FLAGS] - tx)
		draw_text(y, L->x[COL_FLAGS] + tx, L->w[COL_FLAGS] - tx, v.trust,
			  draw_attr(v.trust_bad ? ROLE_ERROR : ROLE_OK) | extra);
	if (row->result && row->result->ok) {
		snprintf(buf, sizeof buf, "%zu", v.offered);
		draw_text(y, L->x[COL_NEWER], L->w[COL_NEWER], buf,
			  (v.offered ? A_BOLD : A_NORMAL) | extra);
	}
	draw_text(y, L->x[COL_CHECKED], L->w[COL_CHECKED],
		  draw_time_ago(row->last_check, now, buf, sizeof buf), extra);
	draw_status_cell(row, y, L->x[COL_STATUS], L->w[COL_STATUS], extra);
	if (L->w[COL_BACKUP] > 0)
		draw_text(y, L->x[COL_BACKUP], L->w[COL_BACKUP],
			  row->last_backup ? draw_time_ago(row->last_backup, now, buf, sizeof buf) : _("none"),
			  (row->last_backup ? A_NORMAL : draw_attr(ROLE_DIM)) | extra);
	if (L->w[COL_LASTJOB] > 0 && row->last_job)
		draw_untrusted(y, L->x[COL_LASTJOB], L->w[COL_LASTJOB], row->last_job,
			       (row->last_job_ok ? A_NORMAL : draw_attr(ROLE_ERROR)) | extra);
}

/* Lines of the detail area, filled top to bottom. */
struct lines {
	int y, bottom, x, w;
};

static bool lines_full(const struct lines *ln)
{
	return ln->y >= ln->bottom;
}

/* Writes already escaped text, wrapped at spaces. */
static void lines_wrap(struct lines *ln, const char *text, attr_t a)
{
	char *copy = xstrdup(text);
	char *para = copy, *next;

	for (char *p = copy; *p; p++)
		if (*p == '\t')
			*p = ' ';
	for (; para && !lines_full(ln); para = next) {
		next = strchr(para, '\n');
		if (next)
			*next++ = '\0';
		const char *s = para;
		do {
			size_t n = draw_fit(s, ln->w, NULL);
			if (s[n] != '\0') {
				size_t cut = n;
				while (cut > 0 && s[cut - 1] != ' ')
					cut--;
				if (cut > 0)
					n = cut;
			}
			if (n == 0 && s[0])
				n = 1; /* never loop on a too narrow area */
			char *piece = xstrndup(s, n);
			draw_text(ln->y++, ln->x, ln->w, piece, a);
			free(piece);
			s += n;
		} while (*s && !lines_full(ln));
	}
	free(copy);
}

static void detail_heading(struct lines *ln, const struct target_row *row, long long now)
{
	int x = ln->x, used;

	used = draw_untrusted(ln->y, x, ln->w, row->cfg->name, draw_attr(ROLE_HEADER));
	char *chan = draw_escape(row->cfg->channel ? row->cfg->channel : "stable");
	char *path = draw_escape(row->cfg->path);
	/* L10N: detail heading after the target name. */
	char *rest = xasprintf(_("  channel %s  path %s"), chan, path ? path : "-");
	used += draw_text(ln->y, x + used, ln->w - used, rest, A_NORMAL);
	free(rest);
	free(chan);
	free(path);
	if (row->last_outcome) {
		char ago[64];
		char *outcome = draw_escape(words_outcome(row->last_outcome));
		/* L10N: detail heading: the outcome of the last job, "failed, 3d ago". */
		rest = xasprintf(_("  last job %s, %s"), outcome,
				 draw_time_ago(row->last_outcome_at, now, ago, sizeof ago));
		draw_text(ln->y, x + used, ln->w - used, rest, A_NORMAL);
		free(rest);
		free(outcome);
	}
	ln->y++;
}

/* One line per newer release: tag, badge, flags, date, note. */
static void detail_releases(struct lines *ln, const struct check_result *r)
{
	int tag_w = 8, flag_w = 0;

	for (size_t i = 0; i < r->n_releases; i++) {
		int w = untrusted_width(r->releases[i].tag);
		if (w > tag_w)
			tag_w = w;
		if ((w = flags_width(r->releases[i].flags)) > flag_w)
			flag_w = w;
	}
	tag_w = clamp(tag_w, 8, ln->w / 4 > 8 ? ln->w / 4 : 8);
	for (size_t i = 0; i < r->n_releases; i++) {
		const struct release *rel = &r->releases[i];
		char date[32];
		int x = ln->x + 2, end = ln->x + ln->w;

		if (ln->y == ln->bottom - 1 && i + 1 < r->n_releases) {
			char *more = xasprintf(_("... and %zu more"), r->n_releases - i);
			draw_text(ln->y++, x, end - x, more, draw_attr(ROLE_DIM));
			free(more);
			return;
		}
		if (lines_full(ln))
			return;
		draw_untrusted(ln->y, x, tag_w, rel->tag, rel->in_channel ? A_BOLD : draw_attr(ROLE_DIM));
		x += tag_w + 1;
		draw_badge(ln->y, x, end - x < 8 ? end - x : 8, rel->kind, 0);
		x += 9;
		if (flag_w > 0 && x < end) {
			draw_flags(ln->y, x, flag_w < end - x ? flag_w : end - x, rel->flags, 0);
			x += flag_w + 1;
		}
		if (x + 10 < end && rel->date > 0) {
			draw_text(ln->y, x, 10, draw_date(rel->date, date, sizeof date), A_NORMAL);
			x += 11;
		}
		bool bad;
		const char *mark = trust_mark(rel, &bad);
		if (mark && x + draw_width(mark) < end) {
			draw_text(ln->y, x, end - x, mark, draw_attr(bad ? ROLE_ERROR : ROLE_DIM));
			x += draw_width(mark) + 1;
		}
		if (!rel->in_channel && x < end)
			/* L10N: after a release the channel does not offer. */
			x += draw_text(ln->y, x, end - x, _("(not in channel) "), draw_attr(ROLE_DIM));
		if (rel->message && x < end) {
			size_t len = strcspn(rel->message, "\n");
			char *first = escape_text(rel->message, len, 0,
						  draw_is_ascii() ? ESCAPE_ASCII : 0);
			draw_text(ln->y, x, end - x, first, draw_attr(ROLE_DIM));
			free(first);
		}
		ln->y++;
	}
}

static void detail_result(struct lines *ln, const struct target_row *row)
{
	const struct check_result *r = row->result;
	const struct release *beta = model_beta_hint(r);
	size_t offered = check_count_offered(r);
	char *s;

	if (beta && !lines_full(ln)) {
		char *v = draw_escape(beta->version.text);
		/* L10N: a pre-release newer than anything the stable channel offers. */
		s = xasprintf(_("beta: %s (pre-release, not in this channel)"), v);
		draw_text(ln->y++, ln->x, ln->w, s, draw_attr(ROLE_PRE));
		free(s);
		free(v);
	}
	if (lines_full(ln))
		return;
	if (r->n_releases == 0) {
		draw_text(ln->y++, ln->x, ln->w, _("Up to date: no newer release."), draw_attr(ROLE_OK));
		return;
	}
	/* L10N: "Newer releases: 4, 3 offered by the channel" */
	s = xasprintf(_("Newer releases: %zu, %zu offered by the channel"), r->n_releases, offered);
	draw_text(ln->y++, ln->x, ln->w, s, A_BOLD);
	free(s);
	detail_releases(ln, r);
}

static void draw_detail(const struct ui *ui, const struct target_row *row, struct lines *ln,
			long long now)
{
	char ago[64];

	detail_heading(ln, row, now);
	if (row->checking > 0 && !lines_full(ln))
		draw_text(ln->y++, ln->x, ln->w, _("A check is running..."), A_BOLD);
	if (row->error && !row->checked_ok && !lines_full(ln)) {
		char *e = escape_text(row->error, (size_t)-1, 0,
				      ESCAPE_KEEP_NEWLINES | (draw_is_ascii() ? ESCAPE_ASCII : 0));
		char *s = xasprintf(_("Last check failed (%s):"),
				    draw_time_ago(row->last_check, now, ago, sizeof ago));
		draw_text(ln->y++, ln->x, ln->w, s, draw_attr(ROLE_ERROR));
		free(s);
		struct lines inner = { ln->y, ln->bottom, ln->x + 2, ln->w - 2 };
		lines_wrap(&inner, e[0] ? e : "?", A_NORMAL);
		ln->y = inner.y;
		free(e);
	}
	if (lines_full(ln))
		return;
	if (row->result && row->result->ok)
		detail_result(ln, row);
	else if (!row->result && row->checking == 0)
		draw_text(ln->y++, ln->x, ln->w,
			  row->last_check ? _("Not checked in this session yet: press c to check.")
					  : _("Never checked: press c to check."),
			  draw_attr(ROLE_DIM));
}

static size_t updates_count(const struct ui *ui)
{
	return ui->model.n_rows;
}

static void updates_row_text(const struct ui *ui, size_t i, struct strbuf *out)
{
	const struct target_row *row = &ui->model.rows[i];
	struct row_view v = row_view(row);
	strbuf_addf(out, "%s %s %s %s", row->cfg->name, row->installed ? row->installed : "",
		    v.newest ? v.newest->version.text : "", row->last_job ? row->last_job : "");
}

static void updates_draw(struct ui *ui, const struct rect *area)
{
	struct pane_state *ps = &ui->ps[PANE_UPDATES];
	long long now = util_now();
	struct columns L;
	size_t n;
	size_t *rows = pane_rows(ui, PANE_UPDATES, &n);

	if (n == 0) {
		draw_text(area->y + 1, 2, area->w - 2, ui->model.n_rows
			  ? _("No target matches the filter.") : _("No targets in the configuration."), A_BOLD);
		ps->page = 1;
		free(rows);
		return;
	}
	int list_h = area->h - 2 - DETAIL_MIN;
	if (list_h > (int)n)
		list_h = (int)n;
	if (list_h < 3)
		list_h = (int)n < 3 ? (int)n : 3;
	if (list_h > area->h - 1)
		list_h = area->h - 1 > 0 ? area->h - 1 : 1;
	pane_list_layout(ps, n, list_h);

	layout_compute(ui, area->w, &L);
	for (int c = 0; c < COL_COUNT; c++)
		draw_cell(area->y, L.x[c], L.w[c], _(headings[c]), draw_attr(ROLE_HEADER));
	for (int r = 0; r < list_h && ps->top + (size_t)r < n; r++) {
		size_t i = ps->top + (size_t)r;
		draw_row(ui, &L, area->y + 1 + r, rows[i], i == ps->sel, now);
	}
	free(rows);

	int sep = area->y + 1 + list_h;
	if (sep >= area->y + area->h)
		return;
	draw_hline(sep, 0, area->w, draw_attr(ROLE_DIM));
	if (n > (size_t)list_h) {
		char pos[48];
		snprintf(pos, sizeof pos, " %zu/%zu ", ps->sel + 1, n);
		draw_text(sep, area->w - draw_width(pos) - 2, draw_width(pos), pos, draw_attr(ROLE_DIM));
	}
	struct lines ln = { sep + 1, area->y + area->h, 1, area->w - 2 };
	const struct target_row *row = ui_selected_target(ui);
	if (row && !lines_full(&ln))
		draw_detail(ui, row, &ln, now);
}

static long long updates_next_tick(const struct ui *ui, long long now)
{
	long long best = -1;
	for (size_t i = 0; i < ui->model.n_rows; i++) {
		long long t = draw_time_ago_next(ui->model.rows[i].last_check, now);
		if (t > 0 && (best < 0 || t < best))
			best = t;
		t = draw_time_ago_next(ui->model.rows[i].last_backup, now);
		if (t > 0 && (best < 0 || t < best))
			best = t;
	}
	return best;
}

const struct pane_ops pane_updates = {
	.title = N_("Updates"),
	.context = CTX_UPDATES,
	.count = updates_count,
	.row_text = updates_row_text,
	.draw = updates_draw,
	.next_tick = updates_next_tick,
};
