/* paths.c - where upkeep finds its configuration and keeps its state.
 *
 * root uses the system locations (/etc, /var/lib, /var/cache); anybody else
 * follows the XDG base directory specification, which says to ignore a
 * variable that is unset, empty or not an absolute path. */
#include "config.h"

#include "paths.h"

#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* The user's home directory: $HOME, else the password database, else "/". */
static const char *paths_home(void)
{
	const char *home = getenv("HOME");
	if (home && home[0] == '/')
		return home;
	struct passwd *pw = getpwuid(geteuid());
	if (pw && pw->pw_dir && pw->pw_dir[0] == '/')
		return pw->pw_dir;
	return "/";
}

/* $var/upkeep[/leaf] when var is an absolute path, else ~/fallback/upkeep[/leaf]. */
static char *paths_xdg(const char *var, const char *fallback, const char *leaf)
{
	const char *base = getenv(var);
	const char *sep = leaf ? "/" : "";
	leaf = leaf ? leaf : "";
	if (base && base[0] == '/')
		return xasprintf("%s/upkeep%s%s", base, sep, leaf);
	const char *home = paths_home();
	/* Avoid "//.config" when home is "/". */
	if (home[0] == '/' && home[1] == '\0')
		home = "";
	return xasprintf("%s/%s/upkeep%s%s", home, fallback, sep, leaf);
}

char *paths_default_config(void)
{
	if (geteuid() != 0) {
		char *user = paths_xdg("XDG_CONFIG_HOME", ".config", "upkeep.yaml");
		struct stat st;
		if (stat(user, &st) == 0)
			return user;
		free(user);
	}
	return xstrdup(SYSCONFDIR "/upkeep/upkeep.yaml");
}

char *paths_default_state_dir(void)
{
	if (geteuid() == 0)
		return xstrdup("/var/lib/upkeep");
	return paths_xdg("XDG_STATE_HOME", ".local/state", NULL);
}

char *paths_default_cache_dir(void)
{
	if (geteuid() == 0)
		return xstrdup("/var/cache/upkeep");
	return paths_xdg("XDG_CACHE_HOME", ".cache", NULL);
}
