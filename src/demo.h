#ifndef UPKEEP_DEMO_H
#define UPKEEP_DEMO_H
#endif
