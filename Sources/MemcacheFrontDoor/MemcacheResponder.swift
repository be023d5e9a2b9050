import MemcacheProtocol
import Replication

/// Answers one decoded request on the record store, in the protocol it came in (text, meta or
/// binary), appending the answer's bytes. No write quorum (or no way to know) is `SERVER_ERROR`
/// in text and meta, "temporary failure" (0x0086) in binary: never a miss, never a silent
/// partial write.
struct MemcacheResponder: Sendable {
    let items: MemcacheItems
    let stats: FrontDoorStats
    /// What `version` answers: the memcached release whose protocol this speaks.
    static let version = "1.6.21"

    /// Appends the answer to `request` to `out`; returns true when the connection closes after it.
    func respond(to request: MemcacheRequest, into out: inout [UInt8]) async -> Bool {
        do {
            try await answer(request, into: &out)
        } catch {
            unavailable(request, error, into: &out)
        }
        return request.closesConnection
    }

    /// Text and binary gets without a task: `keys` is the request's keys, `found` what the
    /// store answered for each (in order). Returns true when the connection closes after it.
    func respond(toGet request: MemcacheRequest, keys: [[UInt8]], withCAS: Bool,
                 found: Result<[MemcacheItems.Item?], StoreUnavailable>, into out: inout [UInt8]) -> Bool {
        stats.gets.add(keys.count, ordering: .relaxed)
        switch found {
        case .success(let items): retrieval(request, keys: keys, found: items, withCAS: withCAS, into: &out)
        case .failure(let error): unavailable(request, error, into: &out)
        }
        return request.closesConnection
    }

    /// No quorum, or no way to know: the request's protocol's failure, never a miss.
    private func unavailable(_ request: MemcacheRequest, _ error: StoreUnavailable, into out: inout [UInt8]) {
        stats.unavailable.add(1, ordering: .relaxed)
        if let binary = request.binary {
            let response = BinaryResponse.failure(.temporaryFailure, for: binary, message: "store unavailable: \(error.message)")
            if request.shouldRespond(status: .temporaryFailure) { response.encode(into: &out) }
        } else if request.shouldRespondText {
            // Meta requests get their errors even when quiet. A text `noreply` gets none (memcached
            // sends none: the client is not reading); the failure is counted in `stats`.
            TextResponse.serverError("store unavailable: \(error.message)").encode(into: &out)
        }
    }

    private func answer(_ request: MemcacheRequest, into out: inout [UInt8]) async throws(StoreUnavailable) {
        switch request.command {
        case .get(let keys, _) where request.meta != nil:
            stats.gets.add(keys.count, ordering: .relaxed)
            try await metaGet(request, key: keys[0], touchExptime: nil, into: &out)
        case .getAndTouch(let keys, let exptime, _) where request.meta != nil:
            stats.touches.add(keys.count, ordering: .relaxed)
            try await metaGet(request, key: keys[0], touchExptime: exptime, into: &out)
        case .get(let keys, let withCAS):
            stats.gets.add(keys.count, ordering: .relaxed)
            let found = try await getAll(keys)
            retrieval(request, keys: keys, found: found, withCAS: withCAS, into: &out)
        case .getAndTouch(let keys, let exptime, let withCAS):
            stats.touches.add(keys.count, ordering: .relaxed)
            var found = [MemcacheItems.Item?]()
            for key in keys { found.append(try await items.touch(key, exptime: exptime)) }
            retrieval(request, keys: keys, found: found, withCAS: withCAS, into: &out)
        case .store(let mode, let key, let flags, let exptime, let value, let cas):
            stats.sets.add(1, ordering: .relaxed)
            let result = try await items.store(mode, key: key, flags: flags, exptime: exptime, value: value, cas: cas,
                                               invalidate: request.meta?.lease.invalidate ?? false)
            switch result {
            case .stored(let cas): reply(request, text: .stored, meta: .done(cas: cas), binary: .success, cas: cas, into: &out)
            case .notStored: reply(request, text: .notStored, meta: .notStored, binary: mode == .add ? .keyExists : mode == .replace ? .keyNotFound : .itemNotStored, into: &out)
            case .exists: reply(request, text: .exists, meta: .exists, binary: .keyExists, into: &out)
            case .notFound: reply(request, text: .notFound, meta: .notFound, binary: .keyNotFound, into: &out)
            }
        case .delete(let key, let cas):
            let lease = request.meta?.lease
            let result = lease?.invalidate == true
                ? try await items.invalidate(key, cas: cas, staleExptime: lease?.staleExptime)
                : try await items.delete(key, cas: cas)
            switch result {
            case .deleted: reply(request, text: .deleted, meta: .done(cas: 0), binary: .success, into: &out)
            case .notFound: reply(request, text: .notFound, meta: .notFound, binary: .keyNotFound, into: &out)
            case .exists: reply(request, text: .exists, meta: .exists, binary: .keyExists, into: &out)
            }
        case .touch(let key, let exptime):
            stats.touches.add(1, ordering: .relaxed)
            let item = try await items.touch(key, exptime: exptime)
            if let binary = request.binary {
                let response = item.map { BinaryResponse.touched(for: binary, flags: $0.flags, cas: $0.cas) } ?? .miss(for: binary, key: key)
                if request.shouldRespond(status: response.status) { response.encode(into: &out) }
            } else if request.shouldRespondText {
                (item == nil ? TextResponse.notFound : .touched).encode(into: &out)
            }
        case .arithmetic(let op, let key, let delta, let initial, let exptime, let cas):
            let result = try await items.arithmetic(op, key: key, delta: delta, initial: initial, exptime: exptime, compareCAS: cas)
            switch result {
            case .value(let value, let cas, _, _):
                if let binary = request.binary {
                    if request.shouldRespond(status: .success) { BinaryResponse.counter(value, cas: cas, for: binary).encode(into: &out) }
                } else if request.shouldRespondText {
                    TextResponse.number(value).encode(into: &out)
                }
            case .notFound: reply(request, text: .notFound, meta: .notFound, binary: .keyNotFound, into: &out)
            case .nonNumeric:
                let failure = MemcacheArithmetic.Failure.nonNumericValue
                reply(request, text: failure.textResponse, meta: .notStored, binary: failure.binaryStatus, into: &out)
            case .exists:
                reply(request, text: .exists, meta: .exists, binary: .keyExists, into: &out)
            }
        case .metaArithmetic(let counter):
            guard let meta = request.meta else { return }
            let result = try await items.arithmetic(counter.operation, key: counter.key, delta: counter.delta,
                                                    initial: counter.vivifyExptime == nil ? nil : counter.initial,
                                                    exptime: counter.vivifyExptime ?? 0,
                                                    compareCAS: counter.cas, touchExptime: counter.touchExptime)
            let response: MetaResponse
            switch result {
            case .value(let value, let cas, let expiresAt, let created):
                response = .counter(value, cas: cas, ttlSeconds: max(0, (expiresAt - items.now()) / 1000), created: created)
            case .notFound: response = .notFound
            case .exists: response = .exists
            case .nonNumeric:
                // memcached answers ma on a non-number with the text error, quiet or not.
                MemcacheArithmetic.Failure.nonNumericValue.textResponse.encode(into: &out)
                return
            }
            if response.shouldRespond(for: meta) { response.encode(for: meta, into: &out) }
        case .noop:
            if let meta = request.meta { MetaResponse.noop.encode(for: meta, into: &out) }
            else if let binary = request.binary { BinaryResponse.success(for: binary).encode(into: &out) }
        case .version:
            if let binary = request.binary { BinaryResponse.version(Self.version, for: binary).encode(into: &out) }
            else { TextResponse.version(Self.version).encode(into: &out) }
        case .stats:
            let figures = stats.figures()
            if let binary = request.binary {
                for (name, value) in figures { BinaryResponse.stat(name: name, value: value, for: binary).encode(into: &out) }
                BinaryResponse.statsEnd(for: binary).encode(into: &out)
            } else {
                for (name, value) in figures { TextResponse.stat(name: name, value: value).encode(into: &out) }
                TextResponse.end.encode(into: &out)
            }
        case .verbosity:
            reply(request, text: .ok, meta: .noop, binary: .success, into: &out)
        case .flushAll:
            // One app must not wipe everyone's sessions: refused, as memcached -F refuses it.
            if let binary = request.binary {
                BinaryResponse.failure(.authError, for: binary, message: "flush_all is disabled on SessionMesh").encode(into: &out)
            } else {
                TextResponse.flushAllNotAllowed.encode(into: &out)
            }
        case .quit:
            if let binary = request.binary, request.shouldRespond(status: .success) { BinaryResponse.success(for: binary).encode(into: &out) }
        }
    }

    /// A meta get (`mg`), with its lease flags: a hit, a created item or a miss.
    private func metaGet(_ request: MemcacheRequest, key: [UInt8], touchExptime: Int64?, into out: inout [UInt8]) async throws(StoreUnavailable) {
        guard let meta = request.meta else { return }
        let found = try await items.leaseGet(key, vivifyExptime: meta.lease.vivifyExptime, recacheBelow: meta.lease.recacheBelow,
                                             touchExptime: touchExptime)
        stats.hits.add(found == nil ? 0 : 1, ordering: .relaxed)
        stats.misses.add(found == nil ? 1 : 0, ordering: .relaxed)
        let now = items.now()
        let response = found.map { item, lease in
            MetaResponse.hit(value: item.value, flags: item.flags, cas: item.cas, ttlSeconds: max(0, (item.expiresAt - now) / 1000), lease: lease)
        } ?? .miss
        if response.shouldRespond(for: meta) { response.encode(for: meta, into: &out) }
    }

    /// Reads every key concurrently, so they share the store's coalesced multi-key `gets`.
    private func getAll(_ keys: [[UInt8]]) async throws(StoreUnavailable) -> [MemcacheItems.Item?] {
        if keys.count == 1 { return [try await items.get(keys[0])] }
        let results = await withTaskGroup(of: (Int, Result<MemcacheItems.Item?, StoreUnavailable>).self) { group in
            for (i, key) in keys.enumerated() {
                group.addTask { [items] in
                    do throws(StoreUnavailable) { return (i, .success(try await items.get(key))) } catch { return (i, .failure(error)) }
                }
            }
            var results = [Result<MemcacheItems.Item?, StoreUnavailable>](repeating: .success(nil), count: keys.count)
            for await (i, result) in group { results[i] = result }
            return results
        }
        var found = [MemcacheItems.Item?]()
        found.reserveCapacity(results.count)
        for result in results {
            switch result {
            case .success(let item): found.append(item)
            case .failure(let error): throw error
            }
        }
        return found
    }

    /// Text and binary reads (meta gets are answered by `metaGet`).
    private func retrieval(_ request: MemcacheRequest, keys: [[UInt8]], found: [MemcacheItems.Item?], withCAS: Bool, into out: inout [UInt8]) {
        let hits = found.count { $0 != nil }
        stats.hits.add(hits, ordering: .relaxed)
        stats.misses.add(found.count - hits, ordering: .relaxed)
        if let binary = request.binary {
            let response = found[0].map { BinaryResponse.hit(for: binary, key: keys[0], flags: $0.flags, value: $0.value, cas: $0.cas) }
                ?? .miss(for: binary, key: keys[0])
            if request.shouldRespond(status: response.status) { response.encode(into: &out) }
        } else {
            for (key, item) in zip(keys, found) {
                if let item { TextResponse.value(key: key, flags: item.flags, data: item.value, cas: withCAS ? item.cas : nil).encode(into: &out) }
            }
            TextResponse.end.encode(into: &out)
        }
    }

    /// One status answer in the request's protocol, if its quiet rules let it through.
    private func reply(_ request: MemcacheRequest, text: TextResponse, meta: MetaResponse, binary: BinaryStatus, cas: UInt64 = 0, into out: inout [UInt8]) {
        if let context = request.meta {
            if meta.shouldRespond(for: context) { meta.encode(for: context, into: &out) }
        } else if let context = request.binary {
            guard request.shouldRespond(status: binary) else { return }
            let response = binary == .success ? BinaryResponse.success(for: context, cas: cas) : .failure(binary, for: context)
            response.encode(into: &out)
        } else if request.shouldRespondText {
            text.encode(into: &out)
        }
    }
}
