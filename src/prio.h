/* prio.h - CPU scheduling of the console's threads: heavy engine work runs
 * below the thread that owns the terminal, so a key gets its screen while
 * a backup keeps every core busy. Best effort: what the kernel refuses is
 * left as it is. */
#ifndef UPKEEP_PRIO_H
#define UPKEEP_PRIO_H

/* How much nicer than its creator a background thread runs. */
#define PRIO_BACKGROUND_NICE 10

/* The calling thread (and the threads it creates from now on, which
 * inherit it) becomes SCHED_BATCH, PRIO_BACKGROUND_NICE nicer than now. */
void prio_background(void);
/* The calling thread asks for a short time slice (Linux 6.12's EEVDF
 * custom slice), so that it preempts CPU-bound threads when it wakes up. */
void prio_interactive(void);

#endif
