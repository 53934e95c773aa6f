import Foundation
import Testing

/// `session live`: the real clock, signals, a crash, and landmarks on stdin.
@Suite("CLI: live sessions")
struct CLILiveSessionTests {
    /// The first `seconds` of the bundled demo recording.
    static func recording(_ dir: TemporaryDirectory, seconds: Double) throws -> String {
        let text = try String(contentsOf: CLI.packageRoot.appendingPathComponent("examples/demo-session.jsonl"), encoding: .utf8)
        let lines = text.split(separator: "\n").prefix(Int(seconds * 15))
        return try dir.write("rec.jsonl", lines.joined(separator: "\n") + "\n")
    }

    static func start(_ arguments: [String], stdin: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = CLI.productsDirectory.appendingPathComponent("emomusik")
        process.arguments = arguments
        process.currentDirectoryURL = CLI.packageRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if let stdin { process.standardInput = stdin }
        try process.run()
        return process
    }

    /// Waits until `path` holds `text` (the session has started), up to a minute.
    static func waitFor(_ text: String, in path: String) throws -> Date {
        let limit = Date().addingTimeInterval(60)
        while Date() < limit {
            if let contents = try? String(contentsOfFile: path, encoding: .utf8), contents.contains(text) { return Date() }
            usleep(20_000)
        }
        throw CancellationError()
    }

    static func events(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test("SIGINT: the session fades out, logs its end as interrupted, writes the report, and the log replays", .timeLimit(.minutes(3)))
    func sigintEndsCleanly() throws {
        let dir = try TemporaryDirectory()
        let recording = try Self.recording(dir, seconds: 60)
        let process = try Self.start(["session", "live", recording, "--no-sound-card", "--out", dir.path("out"), "--name", "s"])
        _ = try Self.waitFor("\"decision\"", in: dir.path("out/s.log.jsonl"))
        usleep(2_500_000)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let events = try Self.events(dir.path("out/s.log.jsonl"))
        let end = try #require(events.last)
        #expect(end["type"] as? String == "session-end")
        #expect(end["reason"] as? String == "interrupted")
        #expect(FileManager.default.fileExists(atPath: dir.path("out/s.html")))
        let replay = try CLI.run(["session", "replay", dir.path("out/s.log.jsonl"), "-o", dir.path("s.mid")])
        #expect(replay.status == 0, "\(replay.stderr)")
    }

    @Test("kill -9 mid-session: the log reads back with at most the last second missing", .timeLimit(.minutes(3)))
    func killNineLosesAtMostASecond() throws {
        let dir = try TemporaryDirectory()
        let recording = try Self.recording(dir, seconds: 60)
        let log = dir.path("out/k.log.jsonl")
        let process = try Self.start(["session", "live", recording, "--no-sound-card", "--out", dir.path("out"), "--name", "k"])
        let started = try Self.waitFor("\"decision\"", in: log)
        usleep(4_000_000)
        kill(process.processIdentifier, SIGKILL)
        let killedAfter = Date().timeIntervalSince(started)
        process.waitUntilExit()
        // The log reads back (a cut-off last line is tolerated) and reaches the last second.
        let read = try CLI.run(["session", "report", log, "-o", dir.path("k.html")])
        #expect(read.status == 0, "\(read.stderr)")
        let times = try Self.events(log).compactMap { $0["t"] as? Double }
        let last = try #require(times.max())
        #expect(last >= killedAfter - 1, "the log ends at \(last) s; the session was killed \(killedAfter) s after its first decision")
        #expect(!(try Self.events(log)).contains { $0["type"] as? String == "session-end" })
    }

    @Test("a sound card that cannot be opened: a clear error naming the way out, and no half-written log")
    func missingDeviceIsRefused() throws {
        let dir = try TemporaryDirectory()
        let recording = try Self.recording(dir, seconds: 2)
        let result = try CLI.run(["session", "live", recording, "--device", "no-such-device-emomusik", "--out", dir.path("out"), "--name", "x"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no-such-device-emomusik") && result.stderr.contains("--no-sound-card"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("out/x.log.jsonl")))
    }

    @Test("sessions decide before every beat unless --decision-interval asks for a grid; the log and the report say which")
    func decisionCadence() throws {
        let dir = try TemporaryDirectory()
        let recording = try Self.recording(dir, seconds: 20)
        let atBeats = try CLI.run(["session", "run", recording, "--out", dir.path("out"), "--name", "beats"])
        #expect(atBeats.status == 0, "\(atBeats.stderr)")
        let beatLog = try Self.events(dir.path("out/beats.log.jsonl"))
        #expect(beatLog.first?["decidesAtBeats"] as? Bool == true)
        let beatTimes = beatLog.filter { $0["type"] as? String == "decision" }.compactMap { $0["t"] as? Double }
        #expect(beatTimes.count >= 20, "\(beatTimes.count) decisions in 20 s")
        #expect(try String(contentsOfFile: dir.path("out/beats.html"), encoding: .utf8).contains("one before every beat"))

        let grid = try CLI.run(["session", "run", recording, "--decision-interval", "2", "--out", dir.path("out"), "--name", "grid"])
        #expect(grid.status == 0, "\(grid.stderr)")
        let gridLog = try Self.events(dir.path("out/grid.log.jsonl"))
        #expect(gridLog.first?["decidesAtBeats"] == nil)
        let gridTimes = gridLog.filter { $0["type"] as? String == "decision" }.compactMap { $0["t"] as? Double }
        #expect(gridTimes == (0..<gridTimes.count).map { Double($0) * 2 } && gridTimes.count >= 10)

        let refused = try CLI.run(["session", "run", recording, "--decision-interval", "0.1", "--out", dir.path("out")])
        #expect(refused.status != 0 && refused.stderr.contains("--decision-interval must be in 0.25...60 seconds"), "\(refused.stderr)")
    }

    @Test("a MIDI port that cannot be opened: refused before the session starts, naming the sequencer, and no log left")
    func missingMIDIPortIsRefused() throws {
        let dir = try TemporaryDirectory()
        let recording = try Self.recording(dir, seconds: 2)
        let result = try CLI.run([
            "session", "live", recording, "--no-sound-card", "--midi-out", "no-such-port-emomusik",
            "--out", dir.path("out"), "--name", "x",
        ])
        #expect(result.status != 0)
        // Without /dev/snd/seq the sequencer is what fails; with one, the port is unknown.
        #expect(result.stderr.contains("ALSA sequencer") && result.stderr.contains("hint:"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("out/x.log.jsonl")))
    }

    @Test("landmarks on stdin: frames are taken as they arrive, a bad line is logged and skipped, the end of input closes the music", .timeLimit(.minutes(3)))
    func stdinSource() throws {
        let dir = try TemporaryDirectory()
        let recording = try Self.recording(dir, seconds: 3)
        let lines = try String(contentsOfFile: recording, encoding: .utf8).split(separator: "\n")
        let input = Pipe()
        let process = try Self.start(["session", "live", "-", "--no-sound-card", "--out", dir.path("out"), "--name", "in"], stdin: input)
        for (index, line) in lines.enumerated() {
            input.fileHandleForWriting.write(Data((line + "\n").utf8))
            if index == 10 { input.fileHandleForWriting.write(Data("{\"t\": 1, \"points\": [[1, 2]]}\n".utf8)) }
            usleep(1_000_000 / 15)
        }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let events = try Self.events(dir.path("out/in.log.jsonl"))
        let end = try #require(events.last)
        #expect(end["type"] as? String == "session-end")
        #expect(end["reason"] as? String == "source-ended")
        #expect(end["frames"] as? Int == lines.count)
        let bad = events.first { $0["code"] as? String == "bad-landmarks" }
        #expect((bad?["message"] as? String)?.contains("<stdin>:12") == true, "\(String(describing: bad))")
        #expect(events.contains { $0["type"] as? String == "music" })
    }
}

/// `--child`: a learning strategy starts from the child's saved profile and saves what it learned.
@Suite("CLI: child profiles across sessions")
struct CLIChildProfileTests {
    static func rewards(_ path: String) throws -> Double {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let values = object?["values"] as? [String: Double] ?? [:]
        return values.filter { $0.key.hasPrefix("adaptive.") && $0.key.hasSuffix(".n") }.values.reduce(0, +)
    }

    @Test("adaptive: the first session creates the profile, the second starts from it and adds to it", .timeLimit(.minutes(3)))
    func profileCarriesOver() throws {
        let dir = try TemporaryDirectory()
        let recording = try CLILiveSessionTests.recording(dir, seconds: 40)
        let profiles = dir.path("profiles")
        func session(_ name: String, strategy: String = "adaptive") throws -> CLIResult {
            try CLI.run(["session", "run", recording, "--strategy", strategy, "--child", "kim", "--profiles", profiles,
                         "--out", dir.path("out"), "--name", name])
        }
        let first = try session("one")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("saved child profile \(profiles)/kim.json"))
        let afterFirst = try Self.rewards("\(profiles)/kim.json")
        #expect(afterFirst > 0, "the first session recorded rewards")
        let second = try session("two")
        #expect(second.status == 0, "\(second.stderr)")
        let afterSecond = try Self.rewards("\(profiles)/kim.json")
        #expect(afterSecond > afterFirst, "the second session added to the first's \(afterFirst) rewards: \(afterSecond)")
        let log = try String(contentsOfFile: dir.path("out/two.log.jsonl"), encoding: .utf8)
        #expect(log.contains("\"child\":\"kim\""))
        // A strategy that does not learn leaves the profile as it was.
        let third = try session("three", strategy: "mirror")
        #expect(third.stdout.contains("unchanged"))
        #expect(try Self.rewards("\(profiles)/kim.json") == afterSecond)
        // A bad id is refused before anything runs.
        let bad = try CLI.run(["session", "run", recording, "--child", "../x", "--profiles", profiles, "--out", dir.path("out")])
        #expect(bad.status != 0 && bad.stderr.contains("not usable as a file name"))
    }
}
