import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

@testable import StudyServer

/// `emomusik study serve` and `study export` as separate processes: a server killed with SIGKILL
/// mid-study and restarted has lost no rating it had acknowledged.
final class StudyServeProcessTests: XCTestCase {
    /// The build products directory, where `emomusik` is built beside the test bundle.
    static let emomusik: URL? = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            let candidate = url.appendingPathComponent("emomusik")
            if FileManager.default.isExecutableFile(atPath: candidate.path) && !url.lastPathComponent.hasSuffix(".xctest") {
                return candidate
            }
            url.deleteLastPathComponent()
        }
        return nil
    }()

    func executable() throws -> URL {
        guard let url = Self.emomusik else {
            throw XCTSkip("the emomusik executable is not built beside the tests (swift build --build-tests builds it)")
        }
        return url
    }

    /// A running `emomusik study serve DIR --port 0`, its port read from what it prints.
    final class ServerProcess {
        let process = Process()
        let port: Int
        let banner: String

        init(executable: URL, directory: URL) throws {
            process.executableURL = executable
            process.arguments = ["study", "serve", directory.path, "--port", "0"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            let deadline = Date().addingTimeInterval(30)
            let handle = out.fileHandleForReading
            while !text.contains("export: "), Date() < deadline, process.isRunning {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            banner = text
            guard let match = text.firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/), let port = Int(match.1) else {
                process.terminate()
                throw RawHTTP.Failure(description: "the server did not report its port; it printed: \(text)")
            }
            self.port = port
        }

        func kill9() -> Int32 {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return process.terminationStatus
        }

        func terminate() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
    }

    func post(_ port: Int, _ token: String, _ position: Int, _ rhythm: Int, _ emotion: Int, _ heard: String) throws -> RawResponse {
        try RawHTTP.request(
            port: port, method: "POST", target: "/r/\(token)/rating", headers: ["Content-Type": "application/json"],
            body: RawHTTP.json(["position": position, "rhythm_match": rhythm, "emotion_match": emotion, "heard_emotion": heard]))
    }

    func testKilledMidStudyAndRestartedLosesNoRating() throws {
        let emomusik = try executable()
        let fixture = try StudyFixture.make(clips: 5, raters: 2)
        defer { fixture.remove() }
        let (r1, r2) = (fixture.manifest.raters[0].token, fixture.manifest.raters[1].token)
        var expected: [String] = []

        var server = try ServerProcess(executable: emomusik, directory: fixture.directory)
        XCTAssertTrue(server.banner.contains("invite r01: http://127.0.0.1:\(server.port)/r/\(r1)"), server.banner)
        let emotions = StudyFixture.emotions
        for position in 1...3 {
            let response = try post(server.port, r1, position, position, 8 - position, emotions[position])
            XCTAssertEqual(response.status, 200, response.text)
            expected.append("r01,\(position),\(position),\(8 - position),\(emotions[position])")
        }
        for position in 1...2 {
            XCTAssertEqual(try post(server.port, r2, position, 7, 7, "anger").status, 200)
            expected.append("r02,\(position),7,7,anger")
        }
        // The last acknowledged rating is in the WAL (not yet checkpointed) when the server dies.
        XCTAssertTrue(FileManager.default.fileExists(atPath: Study.databasePath(directory: fixture.directory) + "-wal"))
        let status = server.kill9()
        XCTAssertEqual(status, SIGKILL, "killed by SIGKILL")

        server = try ServerProcess(executable: emomusik, directory: fixture.directory)
        defer { server.terminate() }
        let page = try RawHTTP.request(port: server.port, target: "/r/\(r1)")
        XCTAssertTrue(page.text.contains("<span id=\"position\">4</span>"), "r01 resumes at clip 4")
        XCTAssertEqual(try post(server.port, r1, 3, 1, 1, "fear").status, 409, "clip 3 was stored before the kill")
        XCTAssertEqual(try post(server.port, r1, 4, 2, 3, "disgust").status, 200)
        expected.append("r01,4,2,3,disgust")

        // Both exports hold every acknowledged rating, in each rater's order.
        let http = try RawHTTP.request(port: server.port, target: "/admin/\(fixture.manifest.adminToken)/export.csv")
        let out = fixture.directory.appendingPathComponent("export.csv")
        let cli = Process()
        cli.executableURL = emomusik
        cli.arguments = ["study", "export", fixture.directory.path, "-o", out.path]
        cli.standardError = FileHandle.nullDevice
        try cli.run()
        cli.waitUntilExit()
        XCTAssertEqual(cli.terminationStatus, 0)
        let file = try String(contentsOf: out, encoding: .utf8)
        XCTAssertEqual(file, http.text, "the CLI reads the same ratings from SQLite while the server runs")
        let rows = file.split(separator: "\n").dropFirst().map { line -> String in
            let f = line.split(separator: ",").map(String.init)
            return [f[0], f[2], f[3], f[4], f[5]].joined(separator: ",")
        }
        XCTAssertEqual(rows, expected.sorted(), "by rater, then position")
        let store = try RatingStore(path: Study.databasePath(directory: fixture.directory))
        let order = try store.order(rater: "r01")
        XCTAssertEqual(try store.allRatings().filter { $0.rater == "r01" }.map(\.clip), Array(order.prefix(4)))
    }

    func testBadStudyDirectoryAndMissingRatingsAreClearErrors() throws {
        let emomusik = try executable()
        let fixture = try StudyFixture.make(clips: 2, raters: 1)
        defer { fixture.remove() }
        func run(_ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = emomusik
            process.arguments = arguments
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let data = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        var (status, message) = try run(["study", "export", fixture.directory.path])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(message.contains("no ratings yet"), message)
        try FileManager.default.removeItem(at: fixture.directory.appendingPathComponent("clips/\(fixture.manifest.clips[1].id).wav"))
        (status, message) = try run(["study", "serve", fixture.directory.path, "--port", "0"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(message.contains("clip \(fixture.manifest.clips[1].id): cannot read"), message)
        (status, message) = try run(["study", "serve", "/nonexistent-study", "--port", "0"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(message.contains("manifest.json"), message)
    }
}
