import CLibMemcached
import Replication

/// The memcached commands the store uses, on a checked-out handle. All blocking.
enum MemcachedCommands {
    /// One multi-key `gets` per handle, all sent before any reply is read: a batch of reads costs
    /// about one round trip. Keys absent from a node are absent from its dictionary.
    static func getsMany(_ keys: [[String]], handles: [UnsafeMutablePointer<memcached_st>]) -> [Result<[String: StoredItem], NodeFailure>] {
        var sent = [MemcachedOutcome](repeating: .ok, count: handles.count)
        for (i, handle) in handles.enumerated() {
            // The keys of this handle, NUL-terminated, back to back in one buffer.
            let lengths = keys[i].map { $0.utf8.count }
            var buffer = [UInt8]()
            buffer.reserveCapacity(lengths.reduce(keys[i].count, +))
            for key in keys[i] {
                buffer.append(contentsOf: key.utf8)
                buffer.append(0)
            }
            sent[i] = buffer.withUnsafeBytes { raw in
                let base = raw.bindMemory(to: CChar.self)
                var pointers = [UnsafePointer<CChar>?]()
                pointers.reserveCapacity(lengths.count)
                var offset = 0
                for length in lengths {
                    pointers.append(base.baseAddress! + offset)
                    offset += length + 1
                }
                var lengths = lengths
                return classify(memcached_mget(handle, &pointers, &lengths, lengths.count))
            }
        }
        return handles.enumerated().map { i, handle in
            guard sent[i] == .ok else { return .failure(NodeFailure(sent[i].nodeOutcome)) }
            return fetchAll(handle)
        }
    }

    /// The items of one `mget`, drained until END so the handle is clean for its next command.
    private static func fetchAll(_ handle: UnsafeMutablePointer<memcached_st>) -> Result<[String: StoredItem], NodeFailure> {
        var rc = MEMCACHED_SUCCESS
        var items = [String: StoredItem]()
        while let result = memcached_fetch_result(handle, nil, &rc) {
            let keyLength = memcached_result_key_length(result)
            if keyLength > 0, let k = memcached_result_key_value(result) {
                let key = k.withMemoryRebound(to: UInt8.self, capacity: keyLength) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: keyLength), as: UTF8.self)
                }
                items[key] = StoredItem(value: value(of: result), cas: memcached_result_cas(result))
            }
            memcached_result_free(result)
        }
        switch classify(rc) {
        case .ok, .miss: return .success(items)
        case let other: return .failure(NodeFailure(other.nodeOutcome))
        }
    }

    private static func value(of result: UnsafeMutablePointer<memcached_result_st>) -> [UInt8] {
        let length = memcached_result_length(result)
        guard length > 0, let p = memcached_result_value(result) else { return [] }
        return p.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    static func add(_ handle: UnsafeMutablePointer<memcached_st>, key: String, value: [UInt8], ttl: Int) -> MemcachedOutcome {
        store(key, value) { k, kl, v, vl in memcached_add(handle, k, kl, v, vl, time_t(ttl), 0) }
    }

    static func cas(_ handle: UnsafeMutablePointer<memcached_st>, key: String, value: [UInt8], ttl: Int, cas: UInt64) -> MemcachedOutcome {
        store(key, value, miss: .notStored) { k, kl, v, vl in memcached_cas(handle, k, kl, v, vl, time_t(ttl), 0, cas) }
    }

    static func delete(_ handle: UnsafeMutablePointer<memcached_st>, key: String) -> MemcachedOutcome {
        key.withCString { classify(memcached_delete(handle, $0, key.utf8.count, 0), miss: .notStored) }
    }

    private static func store(
        _ key: String, _ value: [UInt8], miss: MemcachedOutcome = .miss,
        _ call: (UnsafePointer<CChar>, Int, UnsafePointer<CChar>, Int) -> memcached_return_t
    ) -> MemcachedOutcome {
        key.withCString { k in
            value.withUnsafeBytes { v in
                // An empty buffer may have no base address; memcached takes a zero-length value anyway.
                let vp = v.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer(k)
                return classify(call(k, key.utf8.count, vp, v.count), miss: miss)
            }
        }
    }
}

