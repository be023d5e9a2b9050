import Logging
import NIOPosix
import Replication
import StoreShell

extension ReplicatedRecordStore {
    /// The replicated store over independent Redis nodes: `RedisNodeIO` under the replication core
    /// (no Redis replication between the nodes: the core replicates, as over memcached).
    public static func redis(config: RedisStoreConfig, sealing: any RecordSealing, threadPool: NIOThreadPool,
                             logger: Logger, clock: any StoreClock = SystemStoreClock()) throws -> ReplicatedRecordStore {
        ReplicatedRecordStore(io: try RedisNodeIO(config: config, connectionsPerNode: config.threads + config.readThreads, clock: clock), nodeNames: config.nodes,
                              settings: config.replication, retryIntervalMs: config.retryIntervalMs,
                              rememberedVersions: config.rememberedVersions, readThreads: config.readThreads,
                              sealing: sealing, threadPool: threadPool, logger: logger, clock: clock)
    }
}
