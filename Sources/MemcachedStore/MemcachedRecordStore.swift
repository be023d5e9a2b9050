import Logging
import NIOPosix
import Replication
import StoreShell

extension ReplicatedRecordStore {
    /// The replicated store over memcached nodes: `MemcachedNodeIO` under the replication core.
    public static func memcached(config: MemcachedStoreConfig, sealing: any RecordSealing, threadPool: NIOThreadPool,
                                 logger: Logger, clock: any StoreClock = SystemStoreClock()) throws -> ReplicatedRecordStore {
        ReplicatedRecordStore(io: try MemcachedNodeIO(config: config, handlesPerNode: config.handlesPerNode, clock: clock), nodeNames: config.nodes,
                              settings: config.replication, retryIntervalMs: config.retryIntervalMs,
                              rememberedVersions: config.rememberedVersions, readThreads: config.readThreads,
                              sealing: sealing, threadPool: threadPool, logger: logger, clock: clock)
    }
}
