/* i18n.h - gettext shorthands: _() translates now, N_() marks for later. */
#ifndef UPKEEP_I18N_H
#define UPKEEP_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)
/* A message with a context (gettext's msgctxt, for a word that needs
 * another translation elsewhere): NC_("job kind", "backup") marks it for
 * xgettext (--keyword=NC_:1c,2); i18n_pgettext(NC_(...), "backup")
 * translates it, or gives the plain word. libintl.h has no pgettext. */
#define NC_(ctx, s) ctx "\004" s
static inline const char *i18n_pgettext(const char *ctx_msgid, const char *msgid)
{
	const char *t = gettext(ctx_msgid);
	return t == ctx_msgid ? msgid : t;
}

#endif
