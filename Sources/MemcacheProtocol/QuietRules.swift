/// When memcached answers a request at all.
///
/// Binary (protocol_binary.h, memcached's proto_bin.c):
/// - GETQ, GETKQ, GATQ, GATKQ: a miss (0x0001) is not answered; a hit or any other error is.
/// - SETQ, ADDQ, REPLACEQ, APPENDQ, PREPENDQ, DELETEQ, INCREMENTQ, DECREMENTQ, FLUSHQ: success is not
///   answered; every error is (NOT_FOUND of a DELETEQ included).
/// - QUITQ: never answered; the connection closes. QUIT: answered, then closed.
/// - NOOP is always answered. Clients end a run of quiet requests (a multi-get of GETKQs) with a NOOP;
///   a server that answers requests in order has written every pending quiet answer before the
///   NOOP's, which is all "NOOP flushes" means.
/// - Errors the decoder finds (bad lengths, unknown opcode, too large) are always answered.
///
/// Text: a command ending in `noreply` gets no answer, errors included (memcached suppresses them
/// too, so the client's next read is not an old error); retrieval commands have no `noreply`.
/// Meta: `q` hides EN (mg) and HD (ms, md) only; see `MetaResponse.shouldRespond(for:)`.
public enum MemcacheQuietRules {
    public static func shouldRespond(opcode: BinaryOpcode, status: BinaryStatus) -> Bool {
        if opcode == .quitq { return false }
        guard opcode.isQuiet else { return true }
        if opcode.isRetrieval { return status != .keyNotFound }
        return status != .success
    }
}

extension MemcacheRequest {
    /// Binary: whether a response with `status` is written (see `MemcacheQuietRules`).
    /// Text requests: `shouldRespondText` (the status does not matter).
    public func shouldRespond(status: BinaryStatus) -> Bool {
        guard let binary else { return shouldRespondText }
        return MemcacheQuietRules.shouldRespond(opcode: binary.opcode, status: status)
    }

    /// Text: whether the answer (success or failure) to this request is written. For meta
    /// commands (`meta` set) the answer decides: `MetaResponse.shouldRespond(for:)`.
    public var shouldRespondText: Bool { meta != nil || !noreply }

    /// After this request (and its answer, if any) the connection closes: text `quit`, binary QUIT and QUITQ.
    public var closesConnection: Bool {
        if case .quit = command { return true }
        return false
    }
}
