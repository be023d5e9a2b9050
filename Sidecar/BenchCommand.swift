import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmark (see README).")
    func run() async throws { throw ValidationError("not built yet") }
}
