import Foundation
import Testing

/// External plugins reach a render: the example `lullaby` strategy, built as a dynamic library,
/// is found at start-up and leads the music.
@Suite("CLI: external plugins")
struct CLIPluginTests {
    static let swift: String? = ["/opt/swift/usr/bin/swift", "/usr/bin/swift", "/usr/local/bin/swift"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    struct Summary: Decodable {
        struct TempoPoint: Decodable { var time: Double; var bpm: Double }
        var tempoMap: [TempoPoint]
        var noteCount: Int
    }

    @Test(.enabled(if: swift != nil, "swift is not installed: cannot build plugins/lullaby"), .timeLimit(.minutes(10)))
    func renderUsesExternalStrategy() throws {
        let build = Process()
        build.executableURL = URL(fileURLWithPath: Self.swift!)
        build.arguments = ["build", "--package-path", CLI.packageRoot.appendingPathComponent("plugins/lullaby").path]
        build.standardOutput = FileHandle.nullDevice
        build.standardError = FileHandle.nullDevice
        try build.run()
        build.waitUntilExit()
        try #require(build.terminationStatus == 0, "building plugins/lullaby failed")

        let listed = try CLI.run(["plugins", "list", "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("\"lullaby\""))

        // An agitated child throughout: the lullaby strategy still winds the music down.
        let dir = try TemporaryDirectory()
        let timeline = try dir.write("child.csv", "0,anger\n90,anger\n")
        let plain = try CLI.run(["render", "--timeline", timeline, "--json", "-o", dir.path("plain.mid")])
        let lullaby = try CLI.run(["render", "--timeline", timeline, "--strategy", "lullaby", "--strategy-option", "rate=1", "--json", "-o", dir.path("lullaby.mid")])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(lullaby.status == 0, "\(lullaby.stderr)")
        let plainTempo = try JSONDecoder().decode(Summary.self, from: Data(plain.stdout.utf8)).tempoMap
        let lullabyTempo = try JSONDecoder().decode(Summary.self, from: Data(lullaby.stdout.utf8)).tempoMap
        // Without a strategy the timeline is the music's target: anger's tempo all along.
        #expect(Set(plainTempo.map(\.bpm)).count == 1)
        // With lullaby winding down at 1 affect unit per minute the tempo falls, bar by bar, far below anger's.
        let first = try #require(lullabyTempo.first).bpm, last = try #require(lullabyTempo.last).bpm
        #expect(last < first - 50, "lullaby tempo \(first) → \(last) BPM")
        #expect(zip(lullabyTempo, lullabyTempo.dropFirst()).allSatisfy { $0.bpm >= $1.bpm })
    }
}
