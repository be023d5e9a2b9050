import Foundation

extension SidecarConfig {
    /// Every setting for `sessionmesh run --help`, laid out as swift-argument-parser lays out its
    /// options: the flag and its value, then the help and the default, in lines shorter than
    /// `width` (swift-argument-parser breaks a line of `width` characters again).
    public static func settingsHelp(width: Int = 80) -> String {
        let labelWidth = 26
        var lines = [String]()
        for setting in settings {
            let label = "  " + setting.flag + (setting.isSwitch ? "" : " <\(setting.placeholderText)>")
            var help = setting.help
            if let value = setting.defaultText { help += " (default: \(value))" }
            let wrapped = wrap(help, width: width - 1 - labelWidth)
            if label.count < labelWidth {
                lines.append(label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + wrapped[0])
            } else {
                lines.append(label)
                lines.append(String(repeating: " ", count: labelWidth) + wrapped[0])
            }
            lines += wrapped.dropFirst().map { String(repeating: " ", count: labelWidth) + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// `text` in lines of at most `width` characters, broken at spaces.
    private static func wrap(_ text: String, width: Int) -> [String] {
        var lines = [String](), line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return lines + [line]
    }
}
