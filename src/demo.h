/* demo.h - a self-contained demo: local release repositories with tagged
 * versions, installed targets, a configuration and a state directory. */
#ifndef UPKEEP_DEMO_H
#define UPKEEP_DEMO_H

#include "error.h"

/* Creates the demo in dir (which must not exist, be empty, or hold an
 * earlier demo) and returns the path of its configuration file. */
int demo_create(const char *dir, char **config_path, struct up_error *err);

#endif
