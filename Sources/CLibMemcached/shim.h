#ifndef SESSIONMESH_CLIBMEMCACHED_SHIM_H
#define SESSIONMESH_CLIBMEMCACHED_SHIM_H
#include <libmemcached/memcached.h>
#include <libmemcachedutil-1.0/util.h>
#endif
