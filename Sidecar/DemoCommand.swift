import ArgumentParser

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Demo (see README).")
    func run() async throws { throw ValidationError("not built yet") }
}
