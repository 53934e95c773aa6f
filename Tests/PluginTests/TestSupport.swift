import Foundation
import Testing

/// The repository root (the directory holding Package.swift and plugins/).
let projectRoot: String = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
            && FileManager.default.fileExists(atPath: url.appendingPathComponent("plugins").path)
        {
            return url.path
        }
        url.deleteLastPathComponent()
    }
    fatalError("no Package.swift with plugins/ above \(#filePath)")
}()

/// The first executable called `name` on PATH.
func executableOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

struct CommandFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs a program to completion and returns what it printed (stdout and stderr together).
@discardableResult
func runCommand(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CommandFailure(description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus):\n\(output)")
    }
    return output
}

/// A fresh empty directory under the system temporary directory.
func makeTemporaryDirectory(_ label: String) throws -> String {
    let path = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("plugin-tests-\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Builds an example plugin in `plugins/NAME` once per test run (debug, for speed) and gives the
/// directory holding its library.
enum ExamplePlugin {
    static let swift = executableOnPath("swift")

    static let lullaby = build("lullaby")
    static let manual = build("manual")

    private static func build(_ name: String) -> Result<String, CommandFailure> {
        guard let swift else { return .failure(CommandFailure(description: "swift is not on PATH")) }
        let package = "\(projectRoot)/plugins/\(name)"
        do {
            try runCommand(swift, ["build", "--package-path", package])
            let bin = try runCommand(swift, ["build", "--package-path", package, "--show-bin-path"])
            return .success(bin.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "\n").last!)
        } catch let failure as CommandFailure {
            return .failure(failure)
        } catch {
            return .failure(CommandFailure(description: "\(error)"))
        }
    }
}
