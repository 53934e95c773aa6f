import EmoMusikCore
import EmoMusikPlugins
import Strategies
import Testing

@Suite struct RegulateTests {
    let goal = SessionGoal(target: Affect(valence: 0.4, arousal: -0.5), neutral: Affect(valence: 0.1, arousal: 0), leadRate: 0.2)

    func regulate(_ options: [String: PluginOptionValue] = [:]) throws -> RegulateStrategy {
        try RegulateStrategy(options: .resolve(options, for: RegulateStrategy.descriptor))
    }

    func mirror() throws -> MirrorStrategy {
        try MirrorStrategy(options: .resolve(["window": .number(0)], for: MirrorStrategy.descriptor))
    }

    /// Feeds a child who sits at `child` for `seconds`, asking every 2 s; returns the last targets of both.
    func run(_ child: Affect, seconds: Double) throws -> (regulate: MusicalTarget, mirror: MusicalTarget) {
        let strategy = try regulate()
        let mirror = try mirror()
        var history: [AffectSample] = []
        var now = 0.0
        var last: (MusicalTarget, MusicalTarget)!
        while now <= seconds {
            history.append(AffectSample(time: now, affect: child))
            let context = StrategyContext(now: now, history: history, goal: goal)
            last = (strategy.recommend(context), mirror.recommend(context))
            now += 2
        }
        return last
    }

    @Test func calmsAHighArousalChild() throws {
        let child = Affect(valence: 0.1, arousal: 0.9)
        for seconds in [0.0, 30, 120] {
            let (target, mirrored) = try run(child, seconds: seconds)
            #expect(mirrored.affect == child)
            // 0.9 + 0.5 × (-0.5 - 0.9) = 0.2: well below what mirror gives.
            #expect(abs(target.affect.arousal - 0.2) < 1e-9)
            #expect(target.affect.arousal < mirrored.affect.arousal - 0.5)
            #expect(target.affect.valence == child.valence)
            #expect(target.percussion == false)
            #expect(target.palette == .pentatonic)
            #expect(target.reason == "calming: child over-aroused")
        }
    }

    @Test func brightensASadChild() throws {
        let child = Affect(valence: -0.7, arousal: -0.3)
        let (target, mirrored) = try run(child, seconds: 10)
        // -0.7 + 0.3 × (0.4 + 0.7) = -0.37: brighter than the child, arousal left as it is.
        #expect(abs(target.affect.valence - -0.37) < 1e-9)
        #expect(target.affect.valence > mirrored.affect.valence + 0.3)
        #expect(target.affect.arousal == child.arousal)
        #expect(target.percussion == nil)
        #expect(target.reason == "brightening: child's mood low")
    }

    @Test func calmsTowardTheThresholdWhenThePresetIsExcited() throws {
        // An energising preset still never gets a calming target above the threshold.
        let strategy = try regulate(["arousal-threshold": .number(0.2), "calming": .number(1)])
        let excited = SessionGoal(target: Affect(valence: 0.6, arousal: 0.8))
        let target = strategy.recommend(
            StrategyContext(now: 0, history: [AffectSample(time: 0, affect: Affect(valence: 0.5, arousal: 1))], goal: excited))
        #expect(abs(target.affect.arousal - 0.2) < 1e-9)
    }

    @Test func followsAChildInsideTheThresholds() throws {
        let child = Affect(valence: 0.2, arousal: 0.1)
        let (target, mirrored) = try run(child, seconds: 6)
        #expect(target.affect == mirrored.affect)
        #expect(target.reason == "following the child")
    }

    @Test func stepsAreBoundedByTheLeadRate() throws {
        let strategy = try regulate()
        // A child who swings between agitation, sadness and contentment every 20 s.
        let states = [Affect(valence: -0.5, arousal: 0.9), Affect(valence: -0.8, arousal: -0.6), Affect(valence: 0.6, arousal: 0.1)]
        var history: [AffectSample] = []
        var previous: Affect?
        var moved = 0.0
        var now = 0.0
        while now <= 300 {
            history.append(AffectSample(time: now, affect: states[Int(now / 20) % states.count]))
            let target = strategy.recommend(StrategyContext(now: now, history: history, goal: goal))
            if let previous {
                let step = previous.distance(to: target.affect)
                #expect(step <= goal.leadRate * 1.5 / 60 + 1e-12)
                moved += step
            }
            previous = target.affect
            now += 1.5
        }
        // It did move (it is not stuck), at up to the full rate.
        #expect(moved > 0.5 * goal.leadRate * 300 / 60)
    }

    @Test func isDeclaredAsAStrategy() throws {
        #expect(RegulateStrategy.descriptor.id == "regulate" && RegulateStrategy.descriptor.kind == .strategy)
        #expect(RegulateStrategy.descriptor.options.map(\.name) == ["arousal-threshold", "valence-threshold", "calming", "lift", "palette"])
        #expect(throws: EmoMusikError.self) { try regulate(["calming": .number(2)]) }
    }

    @Test func holdsWhenTheFaceIsLostAndRestsAtNeutralBeforeAnyFace() throws {
        let strategy = try regulate()
        let first = strategy.recommend(StrategyContext(now: 0, history: [], goal: goal))
        #expect(first.affect == goal.neutral)
        let seen = strategy.recommend(
            StrategyContext(now: 2, history: [AffectSample(time: 2, affect: Affect(valence: 0, arousal: 0.8))], goal: goal))
        let lost = strategy.recommend(StrategyContext(now: 30, history: [], goal: goal))
        #expect(lost.affect == seen.affect)
        #expect(lost.reason == "face lost: holding")
    }
}
