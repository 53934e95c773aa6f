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
    static func randomChild(_ random: inout SplitMix64) throws -> AffectTimeline {
        let duration = 6 + 18 * random.nextUnit()
        var keyframes = [AffectTimeline.Keyframe(time: 0, affect: random.affect())]
        let changes = Int(random.next() % 4) + 1
        for time in (0..<changes).map({ _ in 0.5 + (duration - 1) * random.nextUnit() }).sorted() where time > keyframes.last!.time {
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
        var random = SplitMix64(seed: UInt64(strategyID.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
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

    @Test(
        "sessions fixed a beat at a time, their bars re-aimed from a beat within, stay inside the envelope",
        arguments: ["mirror", "iso-principle"], [2.0, 0.5])
    func beatByBeatSessionsKeepTheEnvelope(strategyID: String, decisionInterval: Double) throws {
        let registry = PluginRegistry()
        try BuiltInPlugins.register(into: registry)
        // Decisions every 2 s, or every half second: about one per beat, as sessions decide.
        var random = SplitMix64(seed: UInt64(strategyID.utf8.count) &* 977 &+ (decisionInterval < 2 ? 1 : 0))
        var revisions = 0
        for preset in try Self.shippedPresets() {
            for trial in 0..<40 {
                let child = try Self.randomChild(&random)
                let strategy = try registry.makeStrategy(id: strategyID, options: [:])
                let planned = OfflineSession(decisionInterval: decisionInterval).decisions(following: child, strategy: strategy, goal: preset.goal)
                // As a session makes them: each decision takes effect at the first beat not yet
                // fixed, the music fixed a quarter of a second ahead.
                let music = SessionComposer(preset: preset, seed: UInt64(trial))
                var decisions: [DecisionRecord] = []
                var time = 0.0
                while time < child.duration {
                    for decision in planned.dropFirst(decisions.count) where decision.time <= time {
                        decisions.append(DecisionRecord(
                            t: decision.time, child: decision.child, target: decision.target,
                            effective: music.nextBeatStart > decision.time ? music.nextBeatStart : nil))
                    }
                    music.advance(to: time + 0.25, decisions: decisions)
                    time += 0.1
                }
                music.close(decisions: decisions)
                revisions += music.bars.map(\.revisions.count).reduce(0, +)
                let score = try #require(music.score)
                let outside = preset.safety.check(score)
                #expect(outside.isEmpty, "\(preset.name) / \(strategyID) trial \(trial): \(outside.prefix(3))")
            }
        }
        #expect(revisions >= 50, "the decisions re-aimed bars from within (\(revisions))")
    }
}

extension SplitMix64 {
    /// A point anywhere in the circumplex.
    mutating func affect() -> Affect { Affect(valence: 2 * nextUnit() - 1, arousal: 2 * nextUnit() - 1) }
}
