#ifndef UPKEEP_CHECK_H
#define UPKEEP_CHECK_H
#endif
