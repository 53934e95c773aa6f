import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Sessions
import Strategies

/// A recognizer for tests: the estimate at each frame's time comes from a script; frames without
/// a face give nil; inside `failing` it throws.
final class ScriptedRecognizer: EmotionRecognizer {
    static let descriptor = PluginDescriptor(
        id: "scripted", displayName: "Scripted", version: "1.0.0", kind: .recognizer, summary: "test double", options: [])

    var script: (Double) -> Affect = { _ in .neutral }
    var failing: ClosedRange<Double>?
    private(set) var calls = 0

    init(options: PluginOptions) throws {}

    init(script: @escaping (Double) -> Affect, failing: ClosedRange<Double>? = nil) {
        self.script = script
        self.failing = failing
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "scripted failure" }
    }

    func process(_ frame: LandmarkFrame) throws -> EmotionEstimate? {
        calls += 1
        if let failing, failing.contains(frame.time) { throw Failure() }
        guard !frame.isMissing else { return nil }
        let affect = script(frame.time)
        return EmotionEstimate(
            time: frame.time, probabilities: [1, 0, 0, 0, 0, 0, 0], confidence: frame.confidence, affect: affect)
    }
}

enum SessionFixtures {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()

    static func presetPath(_ name: String) -> String {
        packageRoot.appendingPathComponent("presets/\(name).yaml").path
    }

    static func preset(_ name: String) throws -> Preset {
        try Preset.load(path: presetPath(name), strategies: BuiltInPlugins.strategies.map { $0.descriptor })
    }

    static func strategy(_ id: String) throws -> any RecommenderStrategy {
        let registry = PluginRegistry()
        try BuiltInPlugins.register(into: registry)
        return try registry.makeStrategy(id: id, options: [:])
    }

    /// Frames at `fps` from 0 to `duration`, with no face inside `lost`.
    static func frames(duration: Double, fps: Double = 15, lost: ClosedRange<Double>? = nil) -> [LandmarkFrame] {
        let count = Int((duration * fps).rounded())
        let face = [SIMD2<Float>](repeating: SIMD2(0, 0), count: 68)
        return (0...count).map { i in
            let t = Double(i) / fps
            if let lost, lost.contains(t) { return .missing(at: t) }
            return LandmarkFrame(time: t, points: face, confidence: 0.9)
        }
    }

    /// Anger for 15 s, then settling over 30 s to calm, then calm.
    static func angerToCalm(_ t: Double) -> Affect {
        let calm = Affect(valence: 0.2, arousal: -0.5)
        if t < 15 { return Emotion.anger.affect }
        if t > 45 { return calm }
        return Emotion.anger.affect.interpolated(to: calm, by: (t - 15) / 30)
    }

    static func start(preset: Preset?, presetFile: String?, strategy: String, seed: UInt64 = 1) throws -> SessionStart {
        let yaml = try presetFile.map { try String(contentsOfFile: $0, encoding: .utf8) }
        return SessionStart(
            clock: "offline", source: "test", seed: seed, presetName: preset?.name, presetFile: presetFile, presetYAML: yaml,
            strategy: strategy, strategyOptions: [:], recognizer: "scripted", recognizerOptions: [:], soundfont: nil,
            audio: SessionAudioSettings(
                sampleRate: 44100, reverb: true, reverbRoomSize: 0.2, reverbLevel: 0.9, chorus: true, gain: 0.2,
                ceilingDBFS: -1, tailSeconds: 2, bitDepth: "16"),
            decisionInterval: 2, smoother: .standard, goal: preset?.goal ?? SessionGoal(target: .neutral))
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("emomusik-\(UUID().uuidString)-\(name)").path
    }
}
