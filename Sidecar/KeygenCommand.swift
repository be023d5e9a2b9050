import ArgumentParser
import SessionCore

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a new random 256-bit key (base64) for a keyring file.",
        discussion: "Rotate by putting the new key on the first line of every sidecar's keyring, keeping the old ones below until the longest session lifetime has passed."
    )

    func run() {
        print(SessionKeyring.generateKey())
    }
}
