import Foundation
import XCTest

@testable import StudyServer

/// A small study directory written for a test: a manifest, short synthesised WAVs (one per clip,
/// all the same size, a different tone each) and a key.csv with distinctive condition labels the
/// server must never reveal.
struct StudyFixture {
    static let emotions = ["neutral", "happiness", "sadness", "anger", "fear", "surprise", "disgust"]
    /// Condition labels written to key.csv; none may appear in anything a rater receives.
    static let strategies = ["zzstrategyalpha", "zzstrategybeta"]
    static let presetName = "zzpresetcalmroom"

    let directory: URL
    let manifest: StudyManifest
    /// Clip id → (intended emotion, strategy, seed), as key.csv has it.
    let key: [String: (emotion: String, strategy: String, seed: Int)]

    var keyStrings: [String] {
        key.values.flatMap { [$0.strategy, String($0.seed)] } + Self.strategies + [Self.presetName, "key.csv"]
    }

    static func hex(_ count: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in "0123456789abcdef".randomElement(using: &g)! })
    }

    /// `clips` clips of `seconds` at 8 kHz mono 16-bit, and `raters` raters r01, r02, ….
    static func make(clips: Int = 4, raters: Int = 2, seconds: Double = 0.25) throws -> StudyFixture {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("emomusik-study-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("clips"), withIntermediateDirectories: true)
        var clipEntries: [StudyManifest.Clip] = []
        var key: [String: (String, String, Int)] = [:]
        var keyCSV = "clip,emotion,strategy,preset,seed\n"
        for index in 0..<clips {
            let id = hex(16)
            let emotion = emotions[index % emotions.count]
            let strategy = strategies[index % strategies.count]
            let seed = 900_000_001 + index * 7919
            key[id] = (emotion, strategy, seed)
            keyCSV += "\(id),\(emotion),\(strategy),\(presetName),\(seed)\n"
            let wav = wavBytes(frequency: 220 * Double(index + 1), seconds: seconds)
            try wav.write(to: directory.appendingPathComponent("clips/\(id).wav"))
            clipEntries.append(.init(id: id, file: "clips/\(id).wav", seconds: seconds))
        }
        let manifest = StudyManifest(
            study: "fixture", scale: .init(min: 1, max: 7), emotions: emotions, clips: clipEntries,
            raters: (1...raters).map { .init(id: String(format: "r%02d", $0), token: hex(32)) }, adminToken: hex(32))
        try writeManifest(manifest, to: directory)
        try Data(keyCSV.utf8).write(to: directory.appendingPathComponent("key.csv"))
        return StudyFixture(directory: directory, manifest: manifest, key: key)
    }

    static func writeManifest(_ manifest: StudyManifest, to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: directory.appendingPathComponent("manifest.json"))
    }

    /// A canonical 44-byte-header PCM WAV (RIFF, `fmt `, `data` only) with a sine tone.
    static func wavBytes(frequency: Double, seconds: Double, sampleRate: Int = 8000, extraChunk: (String, [UInt8])? = nil) -> Data {
        let frames = Int(Double(sampleRate) * seconds)
        var samples = Data(capacity: frames * 2)
        for n in 0..<frames {
            let v = Int16(8000 * sin(2 * Double.pi * frequency * Double(n) / Double(sampleRate)))
            withUnsafeBytes(of: v.littleEndian) { samples.append(contentsOf: $0) }
        }
        func u32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(v).littleEndian) { Array($0) } }
        func u16(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt16(v).littleEndian) { Array($0) } }
        var chunks = Data()
        chunks += Array("fmt ".utf8) + u32(16) + u16(1) + u16(1) + u32(sampleRate) + u32(sampleRate * 2) + u16(2) + u16(16)
        if let (id, payload) = extraChunk {
            chunks += Array(id.utf8) + u32(payload.count) + payload + (payload.count % 2 == 1 ? [0] : [])
        }
        chunks += Array("data".utf8) + u32(samples.count)
        chunks += samples
        return Data(Array("RIFF".utf8) + u32(4 + chunks.count) + Array("WAVE".utf8)) + chunks
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
