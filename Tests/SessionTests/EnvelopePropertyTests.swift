import Composer
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Sessions
import Strategies
import Testing

/// Thousands of random child trajectories, through every built-in strategy and every shipped
/// preset: the events that reach the synthesiser never leave the preset's safety envelope.
@Suite("Safety envelope holds for every built-in strategy")
struct EnvelopePropertyTests {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()

    static func shippedPresets() throws -> [Preset] {
        let directory = packageRoot.appendingPathComponent("presets")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        let strategies = BuiltInPlugins.strategies.map { $0.descriptor }
        return try files.map { try Preset.load(path: directory.appendingPathComponent($0).path, strategies: strategies) }
    }

    /// A seeded random child: 2–6 affect keyframes over 6–24 seconds, anywhere in the circumplex.
    static func randomChild(_ random: inout SplitMix) throws -> AffectTimeline {
        let duration = 6 + 18 * random.unit()
        var keyframes = [AffectTimeline.Keyframe(time: 0, affect: random.affect())]
        let changes = Int(random.next() % 4) + 1
        for time in (0..<changes).map({ _ in 0.5 + (duration - 1) * random.unit() }).sorted() where time > keyframes.last!.time {
            keyframes.append(.init(time: time, affect: random.affect()))
        }
        keyframes.append(.init(time: duration, affect: random.affect()))
        return try AffectTimeline(keyframes: keyframes)
    }

    @Test(
        "random trajectories never produce an event outside the envelope (velocity, tempo, per-bar change)",
        arguments: BuiltInPlugins.strategies.map { $0.descriptor.id })
    func envelopeHolds(strategyID: String) throws {
        let presets = try Self.shippedPresets()
        #expect(presets.count >= 5)
        let registry = PluginRegistry()
        try BuiltInPlugins.register(into: registry)
        var random = SplitMix(seed: UInt64(strategyID.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
        let trajectoriesPerPreset = 400
        var checkedEvents = 0
        for preset in presets {
            for trial in 0..<trajectoriesPerPreset {
                let child = try Self.randomChild(&random)
                let strategy = try registry.makeStrategy(id: strategyID, options: [:])
                let decisions = OfflineSession().decisions(following: child, strategy: strategy, goal: preset.goal)
                let targets = OfflineSession.targets(for: decisions, duration: child.duration)
                let composition = Composer(configuration: preset.composerConfiguration(seed: UInt64(trial)))
                    .compose(targets: targets)

                // The composer already keeps to the preset's velocity, tempo range and percussion ...
                let before = preset.safety.check(composition.score).filter {
                    [.velocity, .tempoRange, .percussion].contains($0.kind)
                }
                #expect(before.isEmpty, "\(preset.name) / \(strategyID) trial \(trial): \(before.prefix(3))")
                // ... and after the envelope, applied last, nothing at all is outside it.
                let (score, _) = preset.enforce(composition)
                let after = preset.safety.check(score)
                #expect(after.isEmpty, "\(preset.name) / \(strategyID) trial \(trial): \(after.prefix(3))")
                checkedEvents += score.noteCount + score.tempoMap.changes.count
            }
        }
        #expect(checkedEvents > 10_000)
    }
}

/// SplitMix64: a small seeded generator for reproducible random inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<1.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    mutating func affect() -> Affect { Affect(valence: 2 * unit() - 1, arousal: 2 * unit() - 1) }
}
