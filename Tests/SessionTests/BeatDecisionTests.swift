import EmoMusikCore
import EmoMusikPlugins
import Sessions
import Testing

@Suite("Sessions decide before every beat")
struct BeatDecisionTests {
    /// A child happy for 13 s (between two points of a 2 s grid), then sad, for 24 s; offline, on the frames' clock (15 per second).
    static func run(settings: SessionLoop.Settings) throws -> (SessionConductor, MemoryLogSink, SessionLoop.Summary) {
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { $0 < 13 ? Emotion.happiness.affect : Emotion.sadness.affect }),
            strategy: try SessionFixtures.strategy("mirror"), goal: SessionGoal(target: .neutral), settings: settings, log: log)
        let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: nil, seed: 11), log: log)
        for frame in SessionFixtures.frames(duration: 24) { conductor.process(frame) }
        let summary = conductor.finish()
        return (conductor, log, summary)
    }

    /// The first decision after `time` whose target is sadder (lower valence) than the one before.
    static func firstSadderDecision(after time: Double, in decisions: [DecisionRecord]) -> DecisionRecord? {
        zip(decisions, decisions.dropFirst()).first { $1.t >= time && $1.target.valence < $0.target.valence }?.1
    }

    @Test("one decision just before each beat is fixed: it takes effect at that beat, at most the lead after it is taken")
    func oneDecisionPerBeat() throws {
        let (conductor, log, summary) = try Self.run(settings: SessionLoop.Settings(decidesAtBeats: true))
        let decisions = summary.decisions
        let lead = conductor.lead, frame = 1.0 / 15
        let score = try #require(conductor.music.score)
        // The start of every beat the music has, on the score's clock.
        let beatTicks = score.ticksPerQuarter * 4 / (score.timeSignatures.first?.meter.beatUnit ?? 4)
        let beatStarts = Set(stride(from: 0, through: score.endTick, by: beatTicks).map {
            (score.tempoMap.seconds(atTick: $0) * 1e6).rounded()
        })
        #expect(decisions.count > 30, "\(decisions.count) decisions in 24 s")
        for decision in decisions.dropFirst() {
            let effective = decision.effectiveTime
            #expect(beatStarts.contains((effective * 1e6).rounded()), "decision at \(decision.t) s takes effect at \(effective) s, not a beat")
            #expect(effective - decision.t < lead + 1e-9 && effective - decision.t > lead - frame - 1e-9,
                    "decision at \(decision.t) s takes effect \(effective - decision.t) s later; lead \(lead) s")
        }
        // Each beat gets its own decision, so none waits longer than a beat (≤ 1 s at 60 BPM) for
        // the next: that is how late an estimate can be taken up.
        let effectiveTimes = decisions.dropFirst().map(\.effectiveTime)
        #expect(zip(effectiveTimes, effectiveTimes.dropFirst()).allSatisfy { $0 < $1 }, "one decision per beat")
        let gaps = zip(decisions, decisions.dropFirst()).map { $1.t - $0.t }
        #expect(gaps.max()! <= 1 + frame + 1e-9, "the longest wait between decisions was \(gaps.max()!) s")

        // The log says how the session decided, and replays to the same score.
        let contents = SessionLog.Contents(events: log.events)
        #expect(contents.decisions.count == decisions.count)
        let replayed = try SessionMusic.replay(contents, duration: summary.duration, preset: nil, seed: 11)
        #expect(replayed.score == score)
    }

    @Test("the child turns sad: deciding before every beat, the music turns sooner than deciding every 2 s")
    func soonerThanTheGrid() throws {
        let (_, _, atBeats) = try Self.run(settings: SessionLoop.Settings(decidesAtBeats: true))
        let (_, _, onGrid) = try Self.run(settings: SessionLoop.Settings(decisionInterval: 2))
        #expect(onGrid.decisions.map(\.t) == (0...12).map { Double($0) * 2 }, "the grid: every 2 s")
        let beat = try #require(Self.firstSadderDecision(after: 13, in: atBeats.decisions))
        let grid = try #require(Self.firstSadderDecision(after: 13, in: onGrid.decisions))
        // The smoother's settling is the same in both; what differs is the wait for a decision.
        #expect(beat.effectiveTime <= grid.effectiveTime, "at beats \(beat.effectiveTime) s, on the grid \(grid.effectiveTime) s")
        #expect(beat.t < grid.t, "the first sadder decision: \(beat.t) s at beats, \(grid.t) s on the grid")
    }
}
