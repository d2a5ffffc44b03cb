#ifndef UPKEEP_SOURCE_H
#define UPKEEP_SOURCE_H
#endif
