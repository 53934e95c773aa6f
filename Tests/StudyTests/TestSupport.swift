import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Strategies
import Studies
import Synth

/// The package root: the nearest directory above this file with a Package.swift.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        url.deleteLastPathComponent()
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

let presetDirectory = packageRoot + "/presets"

/// The built-in strategies only (no external plugins), as a registry.
func builtInRegistry() -> PluginRegistry {
    let registry = PluginRegistry()
    try! BuiltInPlugins.register(into: registry)
    return registry
}

let builtInStrategies: [PluginDescriptor] = BuiltInPlugins.strategies.map { $0.descriptor }

func testSoundfont() throws -> String {
    try SoundfontLocator(explicit: nil, environment: [:], projectDirectories: []).resolve()
}

/// A fresh empty directory under the system temporary directory.
func makeTemporaryDirectory() throws -> String {
    let path = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("study-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func write(_ text: String, to path: String) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// The chunk ids of a RIFF/WAVE file after the `WAVE` form type.
func riffChunks(_ data: Data) -> [String] {
    let bytes = [UInt8](data)
    guard bytes.count >= 12, String(decoding: bytes[0..<4], as: UTF8.self) == "RIFF",
        String(decoding: bytes[8..<12], as: UTF8.self) == "WAVE"
    else { return [] }
    var chunks: [String] = []
    var offset = 12
    while offset + 8 <= bytes.count {
        chunks.append(String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self))
        let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
        offset += 8 + size + (size & 1)
    }
    return chunks
}

/// A study directory without audio, for the analysis: a manifest and a key for `clips`
/// (id → intended emotion, strategy, preset, seed), raters r01..., the given scale.
func makeStudyDirectory(
    clips: [(id: String, emotion: Emotion, strategy: String, preset: String, seed: UInt64)], raters: Int,
    scale: ClosedRange<Int> = 1...7
) throws -> String {
    let directory = try makeTemporaryDirectory()
    let manifest = StudyManifest(
        format: 1, study: "synthetic", scale: .init(min: scale.lowerBound, max: scale.upperBound),
        emotions: Emotion.allCases.map(\.rawValue),
        clips: clips.map { .init(id: $0.id, file: "clips/\($0.id).wav", seconds: 4) }.sorted { $0.id < $1.id },
        raters: (1...raters).map { .init(id: String(format: "r%02d", $0), token: StudySecrets.token()) },
        adminToken: StudySecrets.token())
    try manifest.jsonData().write(to: URL(fileURLWithPath: directory + "/manifest.json"))
    let key = clips.map {
        StudyKeyEntry(clipID: $0.id, intended: $0.emotion, strategy: $0.strategy, preset: $0.preset, seed: $0.seed, loudnessBeforeLUFS: -20, gainDB: -3)
    }
    try write(StudyKey.csv(key), to: directory + "/key.csv")
    return directory
}

/// A rating line as the server exports it.
func rating(_ rater: String, _ clip: String, _ position: Int, _ rhythm: Int, _ emotion: Int, _ heard: Emotion) -> StudyRating {
    StudyRating(
        rater: rater, clip: clip, position: position, rhythmMatch: rhythm, emotionMatch: emotion, heard: heard,
        submittedAt: "2026-03-01T10:\(String(format: "%02d", position % 60)):00Z")
}
