#ifndef UPKEEP_BATCH_H
#define UPKEEP_BATCH_H
#endif
