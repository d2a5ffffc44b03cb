#ifndef UPKEEP_CONSOLE_H
#define UPKEEP_CONSOLE_H
#endif
