import Replication

extension SessionError {
    /// The store's "cannot know" as the API's 503.
    static func unavailable(_ error: StoreUnavailable) -> SessionError {
        .unavailable(error.message, retryAfterSeconds: error.retryAfterSeconds)
    }
}

extension RecordStorage {
    /// `load`, with the store's "cannot know" as the API's 503.
    func loadOrUnavailable(_ key: String) async throws(SessionError) -> LoadedRecord? {
        do { return try await load(key) } catch { throw .unavailable(error) }
    }

    /// `write`, with the store's "cannot know" as the API's 503.
    func writeOrUnavailable(_ record: Record, key: String, expected: LoadedRecord?) async throws(SessionError) -> WriteOutcome {
        do { return try await write(record, key: key, expected: expected) } catch { throw .unavailable(error) }
    }
}
