/* policy.c - install decisions, maintenance windows and schedules. */
#include "config.h"

#include "policy.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "classify.h"
#include "i18n.h"
#include "tagverify.h"
#include "util.h"

/* ---- windows: "DAYS HH:MM-HH:MM" (syntax checked by confvalue.c) ---- */

/* 0 = Sunday ... 6 = Saturday, as struct tm; -1 when s is no day name. */
static int day_index(const char *s)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	for (int i = 0; i < 7; i++)
		if (!strncasecmp(s, days[i], 3))
			return i;
	return -1;
}

/* Sets bit d of *mask for every day the list names. */
static bool window_day_mask(const char *s, size_t len, unsigned *mask)
{
	*mask = 0;
	if (len == 5 && !strncasecmp(s, "daily", 5)) {
		*mask = 0x7f;
		return true;
	}
	size_t i = 0;
	while (i + 3 <= len) {
		int from = day_index(s + i), to = from;
		i += 3;
		if (i < len && s[i] == '-') {
			if (i + 4 > len)
				return false;
			to = day_index(s + i + 1);
			i += 4;
		}
		if (from < 0 || to < 0)
			return false;
		/* Mon-Fri, also Fri-Mon across the week's end */
		for (int d = from;; d = (d + 1) % 7) {
			*mask |= 1u << d;
			if (d == to)
				break;
		}
		if (i < len && s[i] == ',')
			i++;
	}
	return i == len && *mask;
}

static bool window_minutes(const char *s, int *out)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return false;
	*out = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
	return true;
}

bool policy_window_open(const char *window, long long now)
{
	if (!window)
		return true;
	const char *sp = strchr(window, ' ');
	unsigned days;
	if (!sp || !window_day_mask(window, (size_t)(sp - window), &days))
		return false;
	while (*sp == ' ')
		sp++;
	int from, to;
	if (strlen(sp) != 11 || sp[5] != '-' || !window_minutes(sp, &from) ||
	    !window_minutes(sp + 6, &to))
		return false;
	time_t tt = (time_t)now;
	struct tm tm;
	if (!localtime_r(&tt, &tm))
		return false;
	int minute = tm.tm_hour * 60 + tm.tm_min, today = tm.tm_wday, yesterday = (today + 6) % 7;
	if (from < to)
		return (days & (1u << today)) && minute >= from && minute < to;
	/* past midnight: the evening part today, the morning part of a window
	 * that started yesterday */
	return ((days & (1u << today)) && minute >= from) ||
	       ((days & (1u << yesterday)) && minute < to);
}

/* ---- decisions ---- */

void policy_decision_clear(struct policy_decision *d)
{
	free(d->why);
	*d = (struct policy_decision){ .install = -1, .held = -1 };
}

static unsigned kind_bit(enum release_kind k)
{
	switch (k) {
	case KIND_MAJOR: return AUTO_MAJOR;
	case KIND_MINOR: return AUTO_MINOR;
	case KIND_PATCH: return AUTO_PATCH;
	case KIND_PRERELEASE: return AUTO_PRERELEASE;
	default: return 0;
	}
}

static bool release_allowed(const struct target_cfg *t, const struct release *rel)
{
	unsigned allow = t->policy.auto_install;
	return (allow & kind_bit(rel->kind)) ||
	       ((rel->flags & FLAG_SECURITY) && (allow & AUTO_SECURITY)) ||
	       ((rel->flags & FLAG_HOTFIX) && (allow & AUTO_HOTFIX));
}

/* Why rel is not allowed by kind and flags. */
static char *kind_reason(const struct release *rel)
{
	const char *flags = classify_flags_text(rel->flags);
	return xasprintf(_("%s is a %s release%s%s%s, not in policy.auto_install"), rel->version.text,
			 classify_kind_name(rel->kind), flags && *flags ? " (" : "",
			 flags && *flags ? flags : "", flags && *flags ? ")" : "");
}

/* Why the signature policy holds rel (the install preflight would refuse
 * it), or NULL. */
static char *trust_reason(const struct target_cfg *t, const struct release *rel)
{
	const char *mode = t->verify.signatures == VERIFY_REQUIRED ? "required"
			   : t->verify.signatures == VERIFY_OFF    ? "off"
								   : "if-signed";
	if (!rel->verified)
		return t->verify.signatures == VERIFY_OFF
			? NULL
			: xasprintf(_("%s is not verified (its tag was not fetched) and "
				      "verify.signatures is %s"), rel->version.text, mode);
	if (rel->moved)
		return xasprintf(_("%s: its tag moved since upkeep first saw it (install it by hand "
				   "with --allow-moved-tag if that was intended)"), rel->version.text);
	struct up_error err = UP_ERROR_INIT;
	if (tagverify_allows(t, rel->version.text, &rel->trust, &err) == 0)
		return NULL;
	char *what = tagverify_describe(&rel->trust);
	char *why = xasprintf(_("%s is not verified: %s (verify.signatures: %s)"),
			      rel->version.text, what, mode);
	free(what);
	err_clear(&err);
	return why;
}

void policy_decide(const struct target_cfg *t, const struct check_result *r, long long now,
		   struct policy_decision *d)
{
	*d = (struct policy_decision){ .install = -1, .held = -1 };
	long newest = check_newest_offered(r);
	if (newest < 0)
		return;
	d->verdict = POLICY_HELD;
	if (!r->installed) {
		d->held = newest;
		d->why = xstrdup("no installed version is recorded (record it with adopt)");
		return;
	}
	long pick = -1;
	for (size_t i = 0; i < r->n_releases && pick < 0; i++)
		if (check_offered(&r->releases[i]) && release_allowed(t, &r->releases[i]))
			pick = (long)i;
	if (pick < 0) {
		d->held = newest;
		d->why = t->policy.auto_install ? kind_reason(&r->releases[newest])
			: xstrdup("policy.auto_install is empty");
		return;
	}
	if ((d->why = trust_reason(t, &r->releases[pick]))) {
		d->held = newest;
		return;
	}
	if (!policy_window_open(t->policy.window, now)) {
		d->held = newest;
		d->why = xasprintf(_("outside the maintenance window \"%s\""), t->policy.window);
		return;
	}
	d->verdict = POLICY_INSTALL;
	d->install = pick;
	if (pick != newest) {
		d->held = newest;
		d->why = kind_reason(&r->releases[newest]);
	}
}

bool policy_due(long long every_ms, long long last, long long now)
{
	if (every_ms <= 0)
		return false;
	return last <= 0 || (now - last) * 1000 >= every_ms;
}
