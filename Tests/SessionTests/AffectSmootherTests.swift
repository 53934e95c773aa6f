import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Sessions
import Testing

@Suite("Smoother: confidence gating, exponential smoothing, hysteresis, drift when the face is lost")
struct AffectSmootherTests {
    static func estimate(_ t: Double, _ affect: Affect, confidence: Double = 0.9) -> EmotionEstimate {
        EmotionEstimate(time: t, probabilities: [1, 0, 0, 0, 0, 0, 0], confidence: confidence, affect: affect)
    }

    @Test("estimates below the confidence threshold are ignored")
    func gating() {
        var smoother = AffectSmoother(configuration: .init(confidenceThreshold: 0.5, deadBand: 0))
        #expect(smoother.update(time: 0, estimate: Self.estimate(0, Emotion.anger.affect, confidence: 0.2)) == nil)
        let first = smoother.update(time: 0.1, estimate: Self.estimate(0.1, Emotion.sadness.affect, confidence: 0.8))
        #expect(first?.affect == Emotion.sadness.affect)
        // A confident-looking jump at low confidence does not move it.
        let after = smoother.update(time: 0.2, estimate: Self.estimate(0.2, Emotion.happiness.affect, confidence: 0.1))
        #expect(after?.smoothed == Emotion.sadness.affect)
    }

    @Test("a step is followed exponentially: 63 % of the way after one time constant")
    func exponential() throws {
        var smoother = AffectSmoother(configuration: .init(timeConstant: 2, deadBand: 0))
        _ = smoother.update(time: 0, estimate: Self.estimate(0, Affect(valence: 0, arousal: 0)))
        var output: AffectSmoother.Output?
        for i in 1...30 {  // 2 s at 15 fps
            let t = Double(i) / 15
            output = smoother.update(time: t, estimate: Self.estimate(t, Affect(valence: 1, arousal: 0)))
        }
        let valence = try #require(output).smoothed.valence
        #expect(abs(valence - (1 - exp(-1))) < 1e-9, "valence \(valence)")
    }

    @Test("hysteresis: jitter inside the dead band never moves the reported affect; a real change does")
    func hysteresis() throws {
        var smoother = AffectSmoother(configuration: .init(timeConstant: 0.5, deadBand: 0.1))
        var reported: Set<Affect> = []
        for i in 0..<300 {
            let t = Double(i) / 15
            let jitter = (i % 2 == 0 ? 1.0 : -1.0) * 0.06
            let output = smoother.update(time: t, estimate: Self.estimate(t, Affect(valence: jitter, arousal: -jitter)))
            reported.insert(try #require(output).affect)
        }
        #expect(reported.count == 1, "the reported affect flapped: \(reported.count) values")
        var last: Affect?
        for i in 300..<360 {
            let t = Double(i) / 15
            last = smoother.update(time: t, estimate: Self.estimate(t, Emotion.happiness.affect))?.affect
        }
        #expect(try #require(last).distance(to: Emotion.happiness.affect) <= 0.1 + 1e-9)
    }

    @Test("face lost: nothing changes during the grace period, then a bounded drift to neutral")
    func driftToNeutral() throws {
        let configuration = AffectSmoother.Configuration(timeConstant: 0.5, deadBand: 0.05, lostGrace: 2, driftRate: 0.1)
        var smoother = AffectSmoother(configuration: configuration, neutral: Affect(valence: 0.1, arousal: -0.1))
        for i in 0...45 {
            let t = Double(i) / 15
            _ = smoother.update(time: t, estimate: Self.estimate(t, Emotion.anger.affect))
        }
        let beforeOutput = smoother.update(time: 3, estimate: nil)
        let before = try #require(beforeOutput)
        #expect(!before.faceLost)
        let graceOutput = smoother.update(time: 5, estimate: nil)
        let graceEnd = try #require(graceOutput)
        #expect(!graceEnd.faceLost && graceEnd.affect == before.affect)
        var previous = graceEnd.affect
        var output = graceEnd
        for i in 1...300 {  // 20 s at 15 fps
            let t = 5 + Double(i) / 15
            let next = smoother.update(time: t, estimate: nil)
            output = try #require(next)
            #expect(output.faceLost)
            #expect(output.affect.distance(to: previous) <= 0.1 / 15 + 1e-9, "a jump while drifting at \(t)")
            previous = output.affect
        }
        #expect(output.affect == Affect(valence: 0.1, arousal: -0.1))
        #expect(output.confidence < 0.1)
        // A face again: back to following the estimates, no longer lost.
        let foundOutput = smoother.update(time: 25.1, estimate: Self.estimate(25.1, Emotion.sadness.affect))
        let found = try #require(foundOutput)
        #expect(!found.faceLost)
    }

    @Test("deterministic: the same estimates give the same outputs")
    func deterministic() {
        func run() -> [AffectSmoother.Output?] {
            var smoother = AffectSmoother()
            return (0..<200).map { i in
                let t = Double(i) / 15
                let affect = Affect(valence: sin(t), arousal: cos(t / 3))
                return smoother.update(time: t, estimate: i % 17 == 0 ? nil : Self.estimate(t, affect, confidence: i % 5 == 0 ? 0.1 : 0.9))
            }
        }
        #expect(run() == run())
    }
}
