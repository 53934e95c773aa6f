import EmoMusikCore
import EmoMusikPlugins
import Strategies
import Testing

func samples(_ points: [(Double, Double, Double)], confidence: Double = 1) -> [AffectSample] {
    points.map { AffectSample(time: $0.0, affect: Affect(valence: $0.1, arousal: $0.2), confidence: confidence) }
}

@Suite struct MirrorTests {
    let goal = SessionGoal(target: Affect(valence: 0.5, arousal: -0.5), neutral: Affect(valence: 0.1, arousal: 0), leadRate: 0.2)

    @Test func followsTheChildsRecentAffect() throws {
        let mirror = try MirrorStrategy(options: .resolve(["window": .number(0)], for: MirrorStrategy.descriptor))
        let history = samples([(0, -0.5, 0.8), (1, -0.4, 0.7)])
        let target = mirror.recommend(StrategyContext(now: 1, history: history, goal: goal))
        #expect(target.affect == Affect(valence: -0.4, arousal: 0.7))
        #expect(target.palette == .diatonic)
        #expect(target.percussion == nil)
    }

    @Test func averagesOverTheWindowByConfidence() throws {
        let mirror = try MirrorStrategy(options: .resolve(["window": .number(2), "palette": .string("pentatonic")], for: MirrorStrategy.descriptor))
        var history = samples([(0, 1, 1)])  // outside the window
        history += [AffectSample(time: 9, affect: Affect(valence: 0.2, arousal: 0), confidence: 1),
                    AffectSample(time: 10, affect: Affect(valence: -0.4, arousal: 0.6), confidence: 0.5)]
        let target = mirror.recommend(StrategyContext(now: 10, history: history, goal: goal))
        #expect(abs(target.affect.valence - 0.0) < 1e-12)
        #expect(abs(target.affect.arousal - 0.2) < 1e-12)
        #expect(target.palette == .pentatonic)
    }

    @Test func restsAtNeutralWithoutAFace() throws {
        let mirror = try MirrorStrategy(options: .defaults(for: MirrorStrategy.descriptor))
        let target = mirror.recommend(StrategyContext(now: 3, history: [], goal: goal))
        #expect(target.affect == goal.neutral)
        #expect(target.reason == "no face seen yet: resting at neutral")
    }
}

@Suite struct IsoPrincipleTests {
    let goal = SessionGoal(target: Affect(valence: 0.4, arousal: -0.6), leadRate: 0.3)

    func iso(_ options: [String: PluginOptionValue] = [:]) throws -> IsoPrincipleStrategy {
        try IsoPrincipleStrategy(options: .resolve(options, for: IsoPrincipleStrategy.descriptor))
    }

    @Test func startsAtTheChildsAffect() throws {
        let strategy = try iso()
        let child = Affect(valence: -0.5, arousal: 0.7)
        let first = strategy.recommend(StrategyContext(now: 12, history: [AffectSample(time: 12, affect: child)], goal: goal))
        #expect(first.affect == child)
        #expect(first.reason == "matching the child")
    }

    @Test func leadsTowardTheTargetNoFasterThanTheLeadRate() throws {
        let strategy = try iso(["max-lead": .number(3)])
        let child = Affect(valence: -0.5, arousal: 0.7)
        var history: [AffectSample] = []
        var previous: Affect?
        var now = 0.0
        var steps: [Double] = []
        // A child who sits still: the music must walk from them to the target at ≤ 0.3 units/minute.
        while now <= 600 {
            history.append(AffectSample(time: now, affect: child))
            let target = strategy.recommend(StrategyContext(now: now, history: history, goal: goal))
            if let previous {
                steps.append(previous.distance(to: target.affect))
                #expect(previous.distance(to: target.affect) <= goal.leadRate * 2.0 / 60 + 1e-9)
                #expect(target.affect.distance(to: goal.target) <= previous.distance(to: goal.target) + 1e-12)
            } else {
                #expect(target.affect == child)
            }
            previous = target.affect
            now += 2
        }
        // It did lead (at the full rate while on the way) and arrived.
        #expect(abs(steps[0] - goal.leadRate * 2 / 60) < 1e-9)
        #expect(previous == goal.target)
        let distance = child.distance(to: goal.target)  // about 1.6: about 5.3 minutes at 0.3 per minute
        #expect(steps.filter { $0 > 1e-9 }.count == Int((distance / (goal.leadRate * 2 / 60)).rounded(.up)))
    }

    @Test func holdsWhileTheChildMovesAwayThenResumes() throws {
        let strategy = try iso(["hold-threshold": .number(0.05), "window": .number(4), "max-lead": .number(3)])
        var history = samples([(0, 0, 0)])
        let start = strategy.recommend(StrategyContext(now: 0, history: history, goal: goal)).affect
        #expect(start == .neutral)
        // The child calms toward the target for a while: the music leads.
        for t in stride(from: 2.0, through: 20, by: 2) {
            history += samples([(t, 0.005 * t, -0.005 * t)])
            _ = strategy.recommend(StrategyContext(now: t, history: history, goal: goal))
        }
        let beforeAway = try #require(strategy.position)
        #expect(beforeAway.distance(to: .neutral) > 0.05)
        // The child gets agitated, moving away from the target: the music holds still.
        var held = 0
        for t in stride(from: 22.0, through: 40, by: 2) {
            history += samples([(t, 0.1 - 0.03 * (t - 20), 0.03 * (t - 20))])
            let target = strategy.recommend(StrategyContext(now: t, history: history, goal: goal))
            if target.reason == "holding: child moving away from target" {
                #expect(target.affect == beforeAway)
                held += 1
            }
        }
        #expect(held >= 8)
        #expect(strategy.position == beforeAway)
        // The child settles again (stays put): leading resumes.
        let settled = history.last!.affect
        for t in stride(from: 42.0, through: 60, by: 2) {
            history.append(AffectSample(time: t, affect: settled))
            _ = strategy.recommend(StrategyContext(now: t, history: history, goal: goal))
        }
        let after = try #require(strategy.position)
        #expect(after.distance(to: goal.target) < beforeAway.distance(to: goal.target))
    }

    @Test func waitsWhenTooFarAheadOfTheChild() throws {
        let strategy = try iso(["max-lead": .number(0.1)])
        let child = Affect(valence: -0.5, arousal: 0.7)
        var history: [AffectSample] = []
        var last: MusicalTarget?
        for t in stride(from: 0.0, through: 120, by: 2) {
            history.append(AffectSample(time: t, affect: child))
            last = strategy.recommend(StrategyContext(now: t, history: history, goal: goal))
        }
        let position = try #require(strategy.position)
        #expect(position.distance(to: child) <= 0.1 + 1e-9)
        #expect(position.distance(to: child) > 0.09)
        #expect(last?.reason == "holding: waiting for the child to follow")
    }

    @Test func holdsWhenTheFaceIsLostAndResetStartsOver() throws {
        let strategy = try iso()
        let child = Affect(valence: 0.2, arousal: 0.2)
        _ = strategy.recommend(StrategyContext(now: 0, history: [AffectSample(time: 0, affect: child)], goal: goal))
        let lost = strategy.recommend(StrategyContext(now: 30, history: [], goal: goal))
        #expect(lost.affect == child)
        #expect(lost.reason == "face lost: holding")
        strategy.reset()
        let other = Affect(valence: -0.3, arousal: 0.1)
        #expect(strategy.recommend(StrategyContext(now: 31, history: [AffectSample(time: 31, affect: other)], goal: goal)).affect == other)
    }
}
