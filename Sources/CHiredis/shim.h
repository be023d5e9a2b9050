#ifndef SESSIONMESH_CHIREDIS_SHIM_H
#define SESSIONMESH_CHIREDIS_SHIM_H
#include <errno.h>
#include <hiredis/hiredis.h>

/// The context's error text (a fixed char array, awkward to read from Swift).
static inline const char *sm_redis_errstr(const redisContext *c) { return c->errstr; }
/// errno right after a failed call (Swift's view of errno is a macro).
static inline int sm_redis_errno(void) { return errno; }
static inline void sm_redis_clear_errno(void) { errno = 0; }
#endif
