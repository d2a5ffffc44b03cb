#ifndef UPKEEP_WORKER_H
#define UPKEEP_WORKER_H
#endif
