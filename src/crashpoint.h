/* crashpoint.h - named points where a test makes upkeep die or wait.
 *
 * Crash tests need to stop the process at exact moments of its on-disk
 * protocols. Two environment variables, read once:
 *   UPKEEP_CRASH_AT=NAME[:NTH]  the NTH time (default 1) the process passes
 *                               point NAME it kills itself with SIGKILL;
 *   UPKEEP_PAUSE_AT=NAME[:NTH]  there it writes its PID into the file named
 *                               by UPKEEP_PAUSE_FILE (when set) and waits
 *                               until that file is removed (or forever
 *                               without one), so that a harness can cut the
 *                               power, or start a second process, first.
 * Every point is listed in one table (crashpoint_count/name/what, printed
 * by `upkeep --list-crash-points` and documented in upkeep(1)); passing a
 * point missing from it aborts when either variable is set, so the list
 * cannot fall behind the code. Without the variables a point costs one
 * comparison.
 */
#ifndef UPKEEP_CRASHPOINT_H
#define UPKEEP_CRASHPOINT_H

#include <stddef.h>

/* Passes point NAME ("install.after-swap"). */
void crashpoint(const char *name);
/* Passes point KIND.POINT ("restore" + "after-swap"). */
void crashpoint_at(const char *kind, const char *point);

/* The table of points, in protocol order. */
size_t crashpoint_count(void);
const char *crashpoint_name(size_t i);
const char *crashpoint_what(size_t i);

#endif
