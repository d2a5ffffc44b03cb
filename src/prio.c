/* prio.c - scheduling classes of threads; see prio.h. */
#include "config.h"

#include "prio.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The slice an interactive thread asks for: the UI needs well under a
 * millisecond of CPU per key. */
#define PRIO_SLICE_NS 500000ULL

/* struct sched_attr of <linux/sched/types.h>, first published size. */
struct prio_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

void prio_interactive(void)
{
#ifdef SYS_sched_setattr
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int policy = sched_getscheduler(0);
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, (id_t)tid);
	if (errno != 0 || (policy != SCHED_OTHER && policy != SCHED_BATCH))
		return;
	/* SCHED_OTHER with sched_runtime: the custom slice; older kernels
	 * ignore it, or refuse and nothing changes. */
	struct prio_attr a = { .size = sizeof a, .policy = (uint32_t)policy, .nice = nice,
			       .runtime = PRIO_SLICE_NS };
	syscall(SYS_sched_setattr, tid, &a, 0);
#endif
}

void prio_background(void)
{
	/* Nice values are per thread on Linux: the thread's own id changes
	 * only this thread. */
	pid_t tid = (pid_t)syscall(SYS_gettid);
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, (id_t)tid);
	if (errno != 0)
		return;
	nice = nice + PRIO_BACKGROUND_NICE > 19 ? 19 : nice + PRIO_BACKGROUND_NICE;
#ifdef SYS_sched_setattr
	/* Batch threads do not preempt others when they wake up; runtime 0
	 * drops a short slice inherited from an interactive creator. */
	struct prio_attr a = { .size = sizeof a, .policy = SCHED_BATCH, .nice = nice };
	if (syscall(SYS_sched_setattr, tid, &a, 0) == 0)
		return;
#endif
	setpriority(PRIO_PROCESS, (id_t)tid, nice);
	struct sched_param p;
	memset(&p, 0, sizeof p);
	pthread_setschedparam(pthread_self(), SCHED_BATCH, &p);
}
