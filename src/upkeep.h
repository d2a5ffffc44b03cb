/* upkeep.h - project-wide constants shared by the engine and the fronts. */
#ifndef UPKEEP_H
#define UPKEEP_H

/* Documented exit codes (upkeep(1), EXIT STATUS). */
enum upkeep_exit {
	EXIT_OK = 0,              /* nothing to do / success */
	EXIT_FAILED = 1,          /* a target or job failed; others still reported */
	EXIT_USAGE = 2,           /* bad command line or configuration */
	EXIT_LOCKED = 3,          /* state or target locked by another process */
	EXIT_STATE = 4,           /* the state database is unusable (corrupt, newer schema) */
	EXIT_MISMATCH = 5,        /* adopt: the tree differs; install: local drift */
	EXIT_ROLLED_BACK = 6,     /* install: failed after the switch, old release back */
	EXIT_BROKEN = 7,          /* install: rollback failed or old release unhealthy */
	EXIT_UNTRUSTED = 8,       /* install: refused by the signature policy or a moved tag */
	EXIT_RECOVER_INCONSISTENT = 10, /* recover: a target holds neither tree; untouched */
	EXIT_RECOVER_UNHEALTHY = 11,    /* recover: rolled back, but a hook or health failed */
	EXIT_NOT_FOUND = 13,      /* restore: no such snapshot of the target, or path in it */
	EXIT_CANCELLED = 14,      /* cancelled (signal, console x): nothing changed, or rolled back */
	EXIT_UPDATES = 100,       /* check: updates are available */
	EXIT_PENDING = 101,       /* policy run: updates pending that the policy did not allow */
	EXIT_DRILL_SLOWER = 102   /* drill: passed, but more than 1.5x slower than the last one */
};

/* How long to wait for another process's hold on the state database. */
#define UPKEEP_LOCK_TIMEOUT_MS 5000

#endif
