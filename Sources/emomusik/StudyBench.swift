import ArgumentParser
import Dispatch
import EmoMusikCore
import Foundation
import Glibc
import StudyServer
import Studies

/// `emomusik bench study`: a 40-clip study rendered on one core and on all cores, and the ratings
/// per second the rating server sustains under a bounded loopback load.
struct StudyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Study figures: clip rendering on one core and on all, and the rating server's throughput.",
        discussion: """
            Renders a 40-clip study (5 emotions × mirror and calm-down × 4
            seeds, --clip-seconds each) into temporary directories, alternating
            one worker and all cores --repeat times, and prints the best time of
            each and the speed-up (the design target is at least 1.8× on 2
            cores). Then serves that study on a loopback port: --raters
            concurrent raters, one keep-alive connection each (the load is
            bounded), rate every clip, each rating committed to SQLite before the
            reply; it prints ratings per second and checks the store holds every
            one. Run it on a quiet machine: other work lowers the speed-up.

            Examples:
              .build/release/emomusik bench study
              .build/release/emomusik bench study --clip-seconds 20 --raters 40
            """)

    @Option(help: "Seconds per clip.")
    var clipSeconds: Double = 10

    @Option(help: "Runs of each (the best is kept).")
    var `repeat`: Int = 2

    @Option(help: "Concurrent raters in the server load test.")
    var raters: Int = 20

    func validate() throws {
        guard (1...10).contains(`repeat`) else { throw ValidationError("--repeat must be in 1...10.") }
        guard clipSeconds >= 1, clipSeconds <= 120 else { throw ValidationError("--clip-seconds must be in 1...120.") }
        guard (1...200).contains(raters) else { throw ValidationError("--raters must be in 1...200.") }
    }

    func run() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("emomusik-bench-study-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let studyFile = "\(scratch)/study.yaml"
        try """
            name: bench
            clip-length: \(clipSeconds)s
            conditions:
              emotions: [happiness, sadness, anger, fear, neutral]
              strategies: [mirror]
              presets: [calm-down]
              seeds: [1, 2, 3, 4]
            raters: \(raters)
            """.write(toFile: studyFile, atomically: true, encoding: .utf8)
        let registry = standardRegistry()
        let design = try StudyDesign.load(path: studyFile, strategies: registry.entries.filter { $0.kind == .strategy }.map(\.descriptor))
        let soundfont = try AudioOptions.locateSoundfont(explicit: nil)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let audio = Double(design.conditions.count) * design.clipSeconds
        print("study: \(design.conditions.count) clips × \(formatTime(design.clipSeconds)) = \(formatTime(audio)) of audio; \(cores) core(s)")
        var best: [Int: Double] = [:]
        var served: String?
        for run in 1...`repeat` {
            for workers in Set([1, cores]).sorted() {
                let directory = "\(scratch)/run-\(run)-\(workers)"
                let result = try StudyBuilder.create(
                    design: design, directory: directory, registry: registry, defaultSoundfont: soundfont, workers: workers)
                best[workers] = min(best[workers] ?? .infinity, result.totalSeconds)
                print(String(format: "  run %d, %d worker(s): %.2f s", run, workers, result.totalSeconds))
                if served == nil { served = directory } else { try? FileManager.default.removeItem(atPath: directory) }
            }
        }
        let one = best[1]!, all = best[cores]!
        print(String(format: "render: one core %.2f s (%.0f× real time, %.1f clips/s); %d cores %.2f s (%.0f× real time, %.1f clips/s); speed-up %.2f× (target ≥ 1.8× on 2 cores)",
                     one, audio / one, Double(design.conditions.count) / one, cores, all, audio / all,
                     Double(design.conditions.count) / all, one / all))
        try loadTest(directory: served!)
    }

    /// Every rater rates every clip over loopback HTTP, `raters` at a time.
    private func loadTest(directory: String) throws {
        let server = try StudyServer(directory: URL(fileURLWithPath: directory))
        let manifest = server.study.manifest
        let port = LockedBox<Int?>(nil)
        let listening = DispatchSemaphore(value: 0)
        let serverTask = Task {
            try await server.run(host: "127.0.0.1", port: 0, quiet: true) { bound in
                port.set(bound)
                listening.signal()
            }
        }
        defer { serverTask.cancel() }
        guard listening.wait(timeout: .now() + 30) == .success, let bound = port.get() else {
            throw EmoMusikError(.invalidValue, "the rating server did not start on a loopback port")
        }
        let clips = manifest.clips.count
        let emotions = manifest.emotions
        let outcome = LockedBox<(ok: Int, refused: Int, failed: Int, worst: Double)>((0, 0, 0, 0))
        let group = DispatchGroup()
        let clock = ContinuousClock()
        let start = clock.now
        for (index, rater) in manifest.raters.enumerated() {
            group.enter()
            // One thread and one keep-alive connection per rater: the load is bounded by the raters.
            Thread {
                defer { group.leave() }
                guard let connection = LoopbackHTTP(port: bound) else {
                    outcome.update { $0.failed += clips }
                    return
                }
                for position in 1...clips {
                    let body = "{\"position\": \(position), \"rhythm_match\": \(1 + (index + position) % 7), "
                        + "\"emotion_match\": \(1 + position % 7), \"heard_emotion\": \"\(emotions[(index * 3 + position) % emotions.count])\"}"
                    let sent = clock.now
                    let status = connection.post("/r/\(rater.token)/rating", json: body)
                    let seconds = (clock.now - sent) / .seconds(1)
                    outcome.update { value in
                        switch status {
                        case 200: value.ok += 1
                        case 400..<500: value.refused += 1
                        default: value.failed += 1
                        }
                        value.worst = max(value.worst, seconds)
                    }
                }
            }.start()
        }
        group.wait()
        let elapsed = (clock.now - start) / .seconds(1)
        let result = outcome.get()
        let stored = try server.store.allRatings().count
        print(String(format: "server: %d raters × %d clips over loopback, %d at a time: %d ratings in %.2f s = %.0f ratings/s (slowest %.1f ms); %d refused, %d failed; %d in the store",
                     manifest.raters.count, clips, manifest.raters.count, result.ok, elapsed, Double(result.ok) / elapsed,
                     result.worst * 1000, result.refused, result.failed, stored))
        if stored != manifest.raters.count * clips || result.ok != stored {
            throw EmoMusikError(.invalidValue, "the store holds \(stored) ratings; \(result.ok) were accepted of \(manifest.raters.count * clips) sent")
        }
    }
}

/// A minimal HTTP/1.1 client on one loopback TCP connection (keep-alive), for the load test:
/// POST a JSON body, read the status line, the headers and the Content-Length body.
private final class LoopbackHTTP {
    private let socket: Int32

    init?(port: Int) {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            return nil
        }
    }

    deinit { close(socket) }

    /// The response's status, or 0 if the connection failed.
    func post(_ path: String, json: String) -> Int {
        let request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(json.utf8.count)\r\n\r\n\(json)"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return 0 }
            sent += n
        }
        // Read until the headers are complete, then the body by its length.
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        var total = Int.max
        while received.count < total {
            let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return 0 }
            received += buffer[0..<n]
            if headerEnd == nil, let end = Self.find([13, 10, 13, 10], in: received) {
                headerEnd = end + 4
                let head = String(decoding: received[0..<end], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                total = end + 4 + length
            }
        }
        let statusLine = String(decoding: received.prefix(while: { $0 != 13 }), as: UTF8.self)
        return statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
