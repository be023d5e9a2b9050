/// What a call to the sidecar can fail with, one case per API error class.
public enum SessionMeshError: Error, Equatable, Sendable {
    /// 404: missing, expired or deleted.
    case notFound
    /// 412: If-Match did not match; `currentVersion` is the session's version now.
    case versionMismatch(currentVersion: UInt64?)
    /// 413: the body is larger than the sidecar accepts.
    case payloadTooLarge
    /// 503: the store cannot reach its write quorum; retry after the given seconds.
    case unavailable(retryAfterSeconds: Int?, message: String)
    /// Any other error status, with the API's `{error:{code,message}}`.
    case http(status: Int, code: String, message: String)
    /// The socket could not be reached or the connection broke.
    case transport(String)
    /// No response within the client's timeout.
    case timeout
    /// The response was not what the API promises.
    case badResponse(String)
}
