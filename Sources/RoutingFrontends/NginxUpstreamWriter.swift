import LoadSampling
import MeshMembers
import MeshRouting
import Foundation
import Logging
import ServiceLifecycle

/// Renders the nginx `upstream` block every `interval`; when it changes, writes it atomically
/// (temp file + rename) and runs the optional reload command (e.g. `nginx -s reload`).
public final class NginxUpstreamWriter: Service, Sendable {
    private let path: String
    private let reloadCommand: String?
    private let interval: Duration
    private let render: @Sendable () -> String?
    private let logger: Logger

    public init(path: String, reloadCommand: String?, interval: Duration = .seconds(1), logger: Logger,
                render: @escaping @Sendable () -> String?) {
        self.path = path
        self.reloadCommand = reloadCommand
        self.interval = interval
        self.render = render
        self.logger = logger
    }

    public func run() async throws {
        let initial = try? String(contentsOfFile: path, encoding: .utf8)
        try? await cancelWhenGracefulShutdown {
            var last = initial
            while !Task.isCancelled {
                if let text = self.render(), text != last {
                    do {
                        try self.writeAtomically(text)
                        last = text
                        self.logger.info("nginx upstream file updated", metadata: ["path": "\(self.path)"])
                        if let command = self.reloadCommand { await self.runReload(command) }
                    } catch {
                        self.logger.error("cannot write nginx upstream file", metadata: ["path": "\(self.path)", "error": "\(error)"])
                    }
                }
                try await Task.sleep(for: self.interval)
            }
        }
    }

    func writeAtomically(_ text: String) throws {
        let temp = path + ".tmp"
        try text.write(toFile: temp, atomically: false, encoding: .utf8)
        // nginx reads it as another user; the sidecar's umask (0177, for its socket) would hide it.
        chmod(temp, 0o644)
        if rename(temp, path) != 0 { throw CocoaError(.fileWriteUnknown) }
    }

    /// Runs `/bin/sh -c command` off the cooperative pool and logs a non-zero exit.
    private func runReload(_ command: String) async {
        let logger = self.logger
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/sh")
                p.arguments = ["-c", command]
                do {
                    try p.run()
                    p.waitUntilExit()
                    if p.terminationStatus != 0 {
                        logger.error("nginx reload command failed", metadata: ["status": "\(p.terminationStatus)"])
                    }
                } catch {
                    logger.error("cannot run nginx reload command", metadata: ["error": "\(error)"])
                }
                done.resume()
            }
        }
    }
}
