import Hummingbird
import NIOCore
import SessionCore

/// Validation of what a request carries: ids, media types, bodies, If-Match.
enum RequestParsing {
    static func sessionID(_ context: some RequestContext) throws(SessionError) -> SessionID {
        guard let text = context.parameters.get("id"), let id = SessionID(text) else {
            throw .badRequest("ill-formed session id (expected 43 base64url characters)")
        }
        return id
    }

    static func requireMediaType(_ request: Request, _ allowed: [String]) throws(SessionError) {
        try requireMediaType(request.headers, allowed)
    }

    static func requireMediaType(_ headers: HTTPFields, _ allowed: [String]) throws(SessionError) {
        let value = headers[.contentType] ?? ""
        guard allowed.contains(where: { mediaType(of: value, is: $0) }) else {
            throw .unsupportedMediaType("Content-Type must be \(allowed.joined(separator: " or ")), got '\(value)'")
        }
    }

    /// Whether a `Content-Type` value names `expected` (lowercase ASCII): the part before any
    /// parameters, without the blanks around it, compared ignoring ASCII case. On the bytes: it runs
    /// for every merge patch, and Foundation's trimming and lowercasing cost more than the rest of
    /// the patch's classification.
    static func mediaType(of value: String, is expected: String) -> Bool {
        var type = value.utf8[...]
        if let semicolon = type.firstIndex(of: UInt8(ascii: ";")) { type = type[..<semicolon] }
        while let first = type.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { type = type.dropFirst() }
        while let last = type.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { type = type.dropLast() }
        guard type.count == expected.utf8.count else { return false }
        return zip(type, expected.utf8).allSatisfy { byte, wanted in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 == wanted : byte == wanted
        }
    }

    /// Collects the body up to `limit` bytes (413 beyond) and parses it as a JSON object (400 otherwise).
    static func jsonObject(_ request: Request, limit: Int) async throws -> [String: JSONValue] {
        var buffer = try await request.body.collect(upTo: limit)
        return try jsonObject(buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    /// A request body parsed as a JSON object (400 otherwise).
    static func jsonObject(_ bytes: [UInt8]) throws(SessionError) -> [String: JSONValue] {
        guard case .object(let members) = try JSONValue.parse(bytes) else {
            throw SessionError.badRequest("body must be a JSON object")
        }
        return members
    }

    /// `If-Match: "7"` (or `W/"7"`, or `7`). `*` means "whatever the current version is".
    static func ifMatch(_ request: Request) throws(SessionError) -> UInt64?? {
        try ifMatch(request.headers)
    }

    static func ifMatch(_ headers: HTTPFields) throws(SessionError) -> UInt64?? {
        try ifMatch(headers[.ifMatch])
    }

    static func ifMatch(_ value: String?) throws(SessionError) -> UInt64?? {
        guard let raw = value else { return .none }
        var text = raw.trimmingCharacters(in: .whitespaces)
        if text == "*" { return .some(nil) }
        if text.hasPrefix("W/") { text.removeFirst(2) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
        guard let version = UInt64(text) else { throw .badRequest("If-Match must be an ETag such as \"3\"") }
        return .some(version)
    }

    static func optionalSeconds(_ members: [String: JSONValue], _ name: String) throws(SessionError) -> Int? {
        switch members[name] {
        case nil, .null?: return nil
        case let value?:
            guard let v = value.integer else { throw .unprocessable("\(name) must be an integer number of seconds") }
            return Int(exactly: v) ?? 0
        }
    }
}
