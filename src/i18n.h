/* i18n.h - gettext shorthands: _() translates now, N_() marks for later. */
#ifndef UPKEEP_I18N_H
#define UPKEEP_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

#endif
