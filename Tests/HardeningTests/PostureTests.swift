import Foundation
import Testing
import TestSupport

extension Hardening {
    /// Issue 17, posture: gossip without a keyring, keyring file modes.
    @Suite(.serialized) struct PostureTests {
        /// Runs `sessionmesh run` with `arguments` until it exits (or 10 s); its exit status and log.
        static func runToExit(_ dir: TempDir, _ arguments: [String]) async throws -> (status: Int32?, log: String) {
            let process = try ManagedProcess(SidecarProcess.defaultBinary, ["run"] + arguments, logPath: dir.file("exit-\(UUID().uuidString.prefix(6)).log"))
            let exited = await eventually(seconds: 10) { !process.process.isRunning }
            let log = process.log
            process.killNow()
            return (exited ? process.process.terminationStatus : nil, log)
        }

        @Test func gossipWithoutKeyringRefusesToStartUnlessInsecure() async throws {
            let dir = TempDir("posture")
            let memcached = try MemcachedServer(dir: dir)
            let keyring = try SidecarProcess.makeKeyring(in: dir)
            let port = freeLoopbackPort()
            let base = ["--socket", dir.file("p.sock"), "--memcached", memcached.address, "--replicas", "1", "--keyring", keyring,
                        "--gossip-bind", "127.0.0.1:\(port)"]
            let refused = try await Self.runToExit(dir, base)
            #expect(refused.status != nil && refused.status != 0)
            #expect(refused.log.contains("gossip without a keyring"))
            let insecure = try SidecarProcess(dir: dir, name: "insecure", memcached: [memcached.address], keyring: keyring,
                                              extra: ["--replicas", "1", "--gossip-bind", "127.0.0.1:\(freeLoopbackPort())", "--gossip-insecure"])
            #expect(insecure.process.log.contains("gossip runs WITHOUT a keyring"))
            insecure.process.killNow()
            memcached.kill()
        }

        @Test func keyringReadableByOthersIsWarnedOrRefused() async throws {
            let dir = TempDir("posture")
            let memcached = try MemcachedServer(dir: dir)
            let keyring = try SidecarProcess.makeKeyring(in: dir)
            for mode in [0o644, 0o666, 0o640] {
                chmod(keyring, mode_t(mode))
                let warned = try SidecarProcess(dir: dir, name: "warned", memcached: [memcached.address], keyring: keyring,
                                                extra: ["--replicas", "1"])
                #expect(warned.process.log.contains("group or others can access it"), "mode \(String(mode, radix: 8))")
                warned.process.killNow()
                let strict = try await Self.runToExit(dir, ["--socket", dir.file("s.sock"), "--memcached", memcached.address, "--replicas", "1",
                                                      "--keyring", keyring, "--strict-keyring-permissions"])
                #expect(strict.status != nil && strict.status != 0)
                #expect(strict.log.contains("refused"))
            }
            chmod(keyring, 0o600)
            let fine = try SidecarProcess(dir: dir, name: "fine", memcached: [memcached.address], keyring: keyring,
                                          extra: ["--replicas", "1", "--strict-keyring-permissions"])
            #expect(!fine.process.log.contains("group or others"))
            fine.process.killNow()
            memcached.kill()
        }
    }
}
