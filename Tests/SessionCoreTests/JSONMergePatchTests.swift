import Testing
@testable import SessionCore

@Suite struct JSONMergePatchTests {
    // RFC 7396 Appendix A.
    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func rfc7396Examples(_ original: String, _ patch: String, _ expected: String) throws {
        let result = try JSONValue.parse(Array(original.utf8)).mergePatched(with: try JSONValue.parse(Array(patch.utf8)))
        #expect(result == (try JSONValue.parse(Array(expected.utf8))))
    }

    @Test func integersStayIntegers() throws {
        let v = try JSONValue.parse(Array(#"{"n":1000,"x":1.5,"big":9007199254740993}"#.utf8))
        #expect(String(decoding: v.serialized(), as: UTF8.self) == #"{"big":9007199254740993,"n":1000,"x":1.5}"#)
    }

    @Test func malformedJSONIsABadRequest() {
        #expect(throws: SessionError.badRequest("body is not valid JSON")) { try JSONValue.parse(Array(#"{"a":"#.utf8)) }
    }
}
