// The tests start real processes through LocalCluster (the same code `sessionmesh demo` uses).
@_exported import LocalCluster
