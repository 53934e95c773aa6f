import Composer
import EmoMusikCore
import EmoMusikPlugins
import Sessions
import Strategies
import Testing

@Suite("Offline sessions: child's affect → strategy → composer")
struct OfflineSessionTests {
    static func strategy(_ id: String) throws -> any RecommenderStrategy {
        let registry = PluginRegistry()
        try BuiltInPlugins.register(into: registry)
        return try registry.makeStrategy(id: id, options: [:])
    }

    @Test("iso-principle starts at the child's affect and leads toward the goal no faster than the lead rate")
    func isoPrincipleLeads() throws {
        // A child who is upset at first and then settles a little.
        let child = try AffectTimeline(keyframes: [
            .init(time: 0, affect: Emotion.anger.affect), .init(time: 30, affect: Affect(valence: -0.3, arousal: 0.4)),
            .init(time: 120, affect: Affect(valence: -0.3, arousal: 0.4)),
        ])
        let goal = SessionGoal(target: Affect(valence: 0.3, arousal: -0.5), leadRate: 0.4)
        let decisions = OfflineSession().decisions(following: child, strategy: try Self.strategy("iso-principle"), goal: goal)
        #expect(decisions.first?.target.affect == Emotion.anger.affect)
        for (a, b) in zip(decisions, decisions.dropFirst()) {
            let step = a.target.affect.distance(to: b.target.affect)
            #expect(step <= goal.leadRate * (b.time - a.time) / 60 + 1e-9, "moved \(step) in \(b.time - a.time) s")
        }
        let last = try #require(decisions.last).target.affect
        #expect(last.distance(to: goal.target) < Emotion.anger.affect.distance(to: goal.target) - 0.3)

        // The music that follows the decisions starts aroused and minor and ends calmer.
        let targets = OfflineSession.targets(for: decisions, duration: child.duration)
        let composition = Composer(configuration: ComposerConfiguration(seed: 3)).compose(targets: targets)
        let first = try #require(composition.bars.first), final = try #require(composition.bars.last)
        #expect(!first.intent.key.mode.isMajor)
        #expect(final.intent.tempo < first.intent.tempo - 10, "tempo \(first.intent.tempo) → \(final.intent.tempo)")
        #expect(abs(composition.score.duration - child.duration) < 10)
    }

    @Test("mirror follows the child; unchanged decisions make no extra keyframes")
    func mirrorFollows() throws {
        let child = try AffectTimeline(keyframes: [
            .init(time: 0, affect: Emotion.sadness.affect), .init(time: 10, affect: Emotion.happiness.affect),
            .init(time: 20, affect: Emotion.happiness.affect),
        ])
        let decisions = OfflineSession().decisions(
            following: child, strategy: try Self.strategy("mirror"), goal: SessionGoal(target: .neutral))
        let targets = OfflineSession.targets(for: decisions, duration: child.duration)
        #expect(targets.first?.affect == Emotion.sadness.affect)
        #expect(targets.last?.time == 20)
        #expect(targets.last?.affect == Emotion.happiness.affect)
        #expect(targets.count < decisions.count)
    }
}
