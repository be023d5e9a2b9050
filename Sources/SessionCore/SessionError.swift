/// Everything a session operation can fail with, each mapped to one precise HTTP status by the API.
public enum SessionError: Error, Equatable, Sendable {
    /// 400: malformed JSON, a body of the wrong shape, a bad header.
    case badRequest(String)
    /// 404 `expired_or_evicted`: no live copy and no tombstone: the session expired, memcached
    /// evicted it, or it never existed (the three cannot be told apart). Not a logout.
    case notFound
    /// 404 `logged_out`: the session was deleted (or rotated away); its tombstone says so.
    case loggedOut
    /// 412: `If-Match` did not match the current version.
    case preconditionFailed(currentVersion: UInt64)
    /// 409: a server-side retry loop gave up under contention.
    case conflict(String)
    /// 413: the body is over the configured limit.
    case payloadTooLarge(limit: Int)
    /// 415: wrong Content-Type.
    case unsupportedMediaType(String)
    /// 422: well-formed but unacceptable (e.g. data not an object, timeout out of range).
    case unprocessable(String)
    /// 503: fewer live memcached nodes than the write quorum, or the outcome stayed unknown.
    case unavailable(String, retryAfterSeconds: Int)
}
