import ArgumentParser
import Dispatch
import Foundation
import StudyServer

/// `emomusik study serve DIR`: the blind rating web server for a study made by `study create`.
struct StudyServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a study's blind rating page to its raters (ratings stored in DIR/ratings.sqlite).",
        discussion: """
            Each rater opens the invite link printed at start-up (http://HOST:PORT/r/TOKEN). The
            page plays one clip at a time, in an order randomised per rater (stored, so it survives
            restarts), asks which emotion the rater hears and how well rhythm and music match it on
            the manifest's scale, and resumes at the first unrated clip. Each rating is committed to
            SQLite (WAL, fsync) before the next clip is served. Ratings are final: sending a rated
            clip again is refused (409).

            Raters only ever see positions (clip 3 of 40), never clip ids; key.csv is never read.
            The admin export is at /admin/ADMINTOKEN/export.csv (or use `emomusik study export`).
            --port 0 binds a free port; the port in use is printed.

            Examples:
              emomusik study serve study1
              emomusik study serve study1 --host 0.0.0.0 --port 8080
            """)

    @Argument(help: ArgumentHelp("The study directory (manifest.json, clips/).", valueName: "DIR"))
    var directory: String

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
    }

    func run() throws {
        let server = try StudyServer(directory: URL(fileURLWithPath: directory))
        let manifest = server.study.manifest
        let host = host, port = port
        let onRunning: @Sendable (Int) async -> Void = { port in
            let base = "http://\(host):\(port)"
            var lines = [
                "study \(manifest.study): \(manifest.clips.count) clips, \(manifest.raters.count) raters",
                "listening on \(base)",
            ]
            lines += manifest.raters.map { "  invite \($0.id): \(base)/r/\($0.token)" }
            lines.append("  export: \(base)/admin/\(manifest.adminToken)/export.csv")
            // Unbuffered, so a supervisor (or a test) reading the pipe sees the port at once.
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        let done = DispatchSemaphore(value: 0)
        let failure = LockedBox<(any Error)?>(nil)
        Task {
            do { try await server.run(host: host, port: port, onRunning: onRunning) } catch { failure.set(error) }
            done.signal()
        }
        done.wait()
        if let error = failure.get() { throw error }
    }
}

/// `emomusik study export DIR`: the ratings CSV, read from DIR/ratings.sqlite directly.
struct StudyExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a study's ratings as CSV (works while the server runs).",
        discussion: """
            Columns: rater,clip,position,rhythm_match,emotion_match,heard_emotion,submitted_at
            (position is the order in which the rater heard the clip; submitted_at is ISO 8601 UTC).
            `emomusik study analyze` reads this file.

            Examples:
              emomusik study export study1 -o ratings.csv
              emomusik study export study1 > ratings.csv
            """)

    @Argument(help: ArgumentHelp("The study directory.", valueName: "DIR"))
    var directory: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output CSV file (default: standard output).", valueName: "FILE"))
    var output: String?

    func run() throws {
        let path = Study.databasePath(directory: URL(fileURLWithPath: directory))
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no ratings yet: \(path) does not exist (start `emomusik study serve \(directory)` first)")
        }
        let csv = try RatingStore(path: path).exportCSV()
        if let output {
            do { try Data(csv.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                throw ValidationError("cannot write \(output): \(error.localizedDescription)")
            }
            let count = csv.split(separator: "\n").count - 1
            FileHandle.standardError.write(Data("wrote \(count) ratings to \(output)\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data(csv.utf8))
        }
    }
}

/// A value shared between the waiting thread and the server task.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func get() -> Value { lock.withLock { value } }
    func update(_ change: (inout Value) -> Void) { lock.withLock { change(&value) } }
}
