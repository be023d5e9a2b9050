import Logging

/// swift-log's `StreamLogHandler`, with its metadata formatted when a line is written rather
/// than whenever it changes.
///
/// `StreamLogHandler` re-renders all its metadata as text on every change, to make each log
/// call cheap. Hummingbird sets a request id on the request's logger for every request, so the
/// sidecar paid that rendering ~once per request (1.6% of the API loop's CPU in a profile) for
/// lines it almost never writes. This handler keeps the metadata as a dictionary and hands it to
/// the stream handler only with a line that is actually logged; the output is the same.
public struct LazyMetadataLogHandler: LogHandler {
    private var base: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(_ base: StreamLogHandler) {
        self.base = base
    }

    public var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            // As in StreamLogHandler: a call's own metadata wins over the handler's.
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        }
        base.log(event: event)
    }
}
