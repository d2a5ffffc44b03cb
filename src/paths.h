/* paths.h - where upkeep finds its configuration and keeps its state. */
#ifndef UPKEEP_PATHS_H
#define UPKEEP_PATHS_H

/* The configuration file to use when --config is not given:
 * $XDG_CONFIG_HOME/upkeep/upkeep.yaml (or ~/.config/...) for a user who has
 * one, else SYSCONFDIR/upkeep/upkeep.yaml. Newly allocated. */
char *paths_default_config(void);
/* Default state and cache directories: /var/lib/upkeep and /var/cache/upkeep
 * for root, $XDG_STATE_HOME/upkeep and $XDG_CACHE_HOME/upkeep otherwise.
 * Newly allocated. */
char *paths_default_state_dir(void);
char *paths_default_cache_dir(void);

#endif
