import Metrics

/// The store's metric handles, created once (label lookups stay off the hot path).
struct StoreMetrics: Sendable {
    let loads = Counter(label: "sessionmesh_store_operations_total", dimensions: [("op", "load")])
    /// Coalesced read batches (one multi-key `gets` per node each): loads over batches is the batch size.
    let readBatches = Counter(label: "sessionmesh_store_read_batches_total")
    let writes = Counter(label: "sessionmesh_store_operations_total", dimensions: [("op", "write")])
    let conflicts = Counter(label: "sessionmesh_store_cas_conflicts_total")
    let failovers = Counter(label: "sessionmesh_store_failovers_total")
    let nodeErrors = Counter(label: "sessionmesh_store_node_errors_total")
    let readRepairs = Counter(label: "sessionmesh_store_read_repairs_total")
    let repairsDropped = Counter(label: "sessionmesh_store_read_repairs_dropped_total")
    let integrityFailures = Counter(label: "sessionmesh_store_integrity_failures_total")
    let rollbacksRefused = Counter(label: "sessionmesh_store_rollbacks_refused_total")
    let unavailable = Counter(label: "sessionmesh_store_unavailable_total")
    let loadLatency = Timer(label: "sessionmesh_store_operation_duration_seconds", dimensions: [("op", "load")])
    let writeLatency = Timer(label: "sessionmesh_store_operation_duration_seconds", dimensions: [("op", "write")])
}
