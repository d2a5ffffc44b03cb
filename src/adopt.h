#ifndef UPKEEP_ADOPT_H
#define UPKEEP_ADOPT_H
#endif
