import Hummingbird
import HummingbirdTesting
import Testing

/// `PUT` (replace, If-Match required) and `PATCH` (merge patch) on `/v1/sessions/{id}`, in process.
@Suite struct SessionUpdateTests {
    @Test func replaceWithTheCurrentVersionIs200AndANewVersion() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession(#"{"a":1}"#)
            let r = try await client.send(.put, "/v1/sessions/\(id)", Headers.json(ifMatch: "\"1\""), #"{"data":{"b":2}}"#)
            #expect(r.status == .ok)
            #expect(r.headers[.eTag] == "\"2\"")
            #expect(r.object["data"] == .object(["b": .int(2)]))
            // Weak and bare ETags name the same version.
            let weak = try await client.send(.put, "/v1/sessions/\(id)", Headers.json(ifMatch: "W/\"2\""), #"{"data":{"c":3}}"#)
            #expect(weak.headers[.eTag] == "\"3\"")
        }
    }

    @Test func replaceWithoutIfMatchIs428() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            let r = try await client.send(.put, "/v1/sessions/\(id)", Headers.json, #"{"data":{}}"#)
            #expect(r.status == .preconditionRequired)
            #expect(r.errorCode == "if_match_required")
        }
    }

    @Test func aStaleIfMatchIs412WithTheCurrentETag() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession(#"{"a":1}"#)
            let put = try await client.send(.put, "/v1/sessions/\(id)", Headers.json(ifMatch: "\"9\""), #"{"data":{}}"#)
            #expect(put.status == .preconditionFailed)
            #expect(put.errorCode == "version_mismatch")
            #expect(put.headers[.eTag] == "\"1\"")
            let patch = try await client.send(.patch, "/v1/sessions/\(id)", Headers.mergePatch(ifMatch: "\"5\""), #"{"a":2}"#)
            #expect(patch.status == .preconditionFailed)
            #expect(patch.errorCode == "version_mismatch")
            let read = try await client.send(.get, "/v1/sessions/\(id)")
            #expect(read.object["data"] == .object(["a": .int(1)]))
        }
    }

    @Test func anIfMatchThatIsNotAnETagIs400() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            let r = try await client.send(.put, "/v1/sessions/\(id)", Headers.json(ifMatch: "bogus"), #"{"data":{}}"#)
            #expect(r.status == .badRequest)
            #expect(r.errorCode == "bad_request")
        }
    }

    @Test func replaceWithoutDataOrWithNonObjectDataIs422() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            for body in [#"{"other":{}}"#, #"{"data":"text"}"#] {
                let r = try await client.send(.put, "/v1/sessions/\(id)", Headers.json(ifMatch: "\"1\""), body)
                #expect(r.status == .unprocessableContent, "\(body)")
                #expect(r.errorCode == "unprocessable")
            }
        }
    }

    @Test func replaceAndPatchCheckTheirMediaTypes() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            let put = try await client.send(.put, "/v1/sessions/\(id)", Headers.mergePatch(ifMatch: "\"1\""), #"{"data":{}}"#)
            #expect(put.status == .unsupportedMediaType)
            #expect(put.errorCode == "unsupported_media_type")
            let patch = try await client.send(.patch, "/v1/sessions/\(id)", Headers.json, #"{"a":1}"#)
            #expect(patch.status == .unsupportedMediaType)
            #expect(patch.errorCode == "unsupported_media_type")
            #expect(try await client.send(.get, "/v1/sessions/\(id)").headers[.eTag] == "\"1\"")
        }
    }

    @Test func mergePatchIs200AndAppliesRFC7396() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession(#"{"a":1,"b":{"c":2,"d":3}}"#)
            let r = try await client.send(.patch, "/v1/sessions/\(id)", Headers.mergePatch, #"{"a":null,"b":{"c":5},"e":true}"#)
            #expect(r.status == .ok)
            #expect(r.headers[.eTag] == "\"2\"")
            #expect(r.object["data"] == .object(["b": .object(["c": .int(5), "d": .int(3)]), "e": .bool(true)]))
        }
    }

    @Test func aMalformedPatchIs400() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            let r = try await client.send(.patch, "/v1/sessions/\(id)", Headers.mergePatch, #"{"a":"#)
            #expect(r.status == .badRequest)
            #expect(r.errorCode == "bad_request")
        }
    }

    @Test func dataGrownOverThePolicyLimitIs413() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            let big = String(repeating: "a", count: RouteHarness.maxDataBytes)
            let put = try await client.send(.put, "/v1/sessions/\(id)", Headers.json(ifMatch: "\"1\""), #"{"data":{"x":""# + big + #""}}"#)
            #expect(put.status == .contentTooLarge)
            #expect(put.errorCode == "payload_too_large")
            let patch = try await client.send(.patch, "/v1/sessions/\(id)", Headers.mergePatch, #"{"x":""# + big + #""}"#)
            #expect(patch.status == .contentTooLarge)
            #expect(patch.errorCode == "payload_too_large")
        }
    }

    @Test func updatesOfAnUnknownOrLoggedOutSessionAre404() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let put = try await client.send(.put, "/v1/sessions/\(unknownID)", Headers.json(ifMatch: "\"1\""), #"{"data":{}}"#)
            #expect(put.status == .notFound)
            #expect(put.errorCode == "expired_or_evicted")
            let id = try await client.createSession()
            _ = try await client.send(.delete, "/v1/sessions/\(id)")
            let patch = try await client.send(.patch, "/v1/sessions/\(id)", Headers.mergePatch, #"{"a":1}"#)
            #expect(patch.status == .notFound)
            #expect(patch.errorCode == "logged_out")
        }
    }

    @Test func writesThatKeepLosingTheirRaceAre409() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            h.storage.setWritesConflict(true)
            let put = try await client.send(.put, "/v1/sessions/\(id)", Headers.json(ifMatch: "\"1\""), #"{"data":{}}"#)
            #expect(put.status == .conflict)
            #expect(put.errorCode == "conflict")
            let patch = try await client.send(.patch, "/v1/sessions/\(id)", Headers.mergePatch, #"{"a":1}"#)
            #expect(patch.status == .conflict)
            #expect(patch.errorCode == "conflict")
        }
    }
}
