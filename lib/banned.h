/*
 * Functions we never call: unbounded string writes and the time functions
 * that use a shared static buffer or the local zone (docs/ARCHITECTURE.md,
 * "Conventions").  Included last by every file in lib/ and tools/.
 */
#ifndef TK_BANNED_H
#define TK_BANNED_H

#define BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef ctime
#define ctime(x) BANNED(ctime)
#undef localtime
#define localtime(x) BANNED(localtime)
#undef gmtime
#define gmtime(x) BANNED(gmtime)

#endif
