import Logging
import NIOPosix
import Replication
import StoreShell

extension ReplicatedRecordStore {
    /// The replicated store over independent Redis nodes: `RedisNodeIO` under the replication core
    /// (no Redis replication between the nodes: the core replicates, as over memcached).
    public static func redis(config: RedisStoreConfig, sealing: any RecordSealing, threadPool: NIOThreadPool,
                             logger: Logger, clock: any StoreClock = SystemStoreClock()) throws -> ReplicatedRecordStore {
        let io = try RedisNodeIO(config: config, connectionsPerNode: config.threads + config.readThreads, clock: clock)
        return ReplicatedRecordStore(nodeNames: config.nodes, readThreads: config.readThreads, threadPool: threadPool,
                                     logger: logger) { observer in
            ReplicaDriver(io: io, ring: PlacementRing(nodes: config.nodes),
                          health: NodeHealth(nodeCount: config.nodes.count, retryIntervalMs: config.retryIntervalMs),
                          settings: config.replication, sealing: sealing, clock: clock, observer: observer,
                          seen: SeenVersions(capacity: config.rememberedVersions))
        }
    }
}
