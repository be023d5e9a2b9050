import Testing
@testable import SidecarAPI

/// `Content-Type` matching, compared on the bytes: the media type before any parameters, blanks
/// around it ignored, ASCII case ignored, nothing else.
struct MediaTypeTests {
    @Test(arguments: [
        ("application/json", true),
        ("Application/JSON", true),
        ("application/json; charset=utf-8", true),
        (" \tapplication/json \t;charset=utf-8", true),
        ("application/json;", true),
        ("application/jsonx", false),
        ("application/jso", false),
        ("application/ json", false),
        ("text/plain", false),
        ("", false),
        (";application/json", false),
        ("application/json\u{00A0}", false),
    ])
    func aContentTypeNamesTheMediaTypeItStartsWith(_ value: String, _ matches: Bool) {
        #expect(RequestParsing.mediaType(of: value, is: "application/json") == matches)
    }
}
