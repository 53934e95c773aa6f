import EmoMusikCore
import EmotionNet
import FaceLandmarks
import Foundation
import Recognition
import Testing

@Suite("Feature-level expression augmentation and the ceiling study")
struct ExpressionAugmentationTests {
    /// Ten frames of the canonical face in pixels, the mouth (points 48–67, which normalisation
    /// does not use) opening by `amount` × t/9 face units, and frames 0–2 neutral.
    static func sequence(amount: Double) -> LandmarkSequence {
        // A generated sequence as the container; every frame's points are replaced.
        var sequence = SyntheticExpressions(domain: .posedAdult, frames: 10).generate(count: 1, seed: 1).sequences[0]
        for t in 0..<10 {
            let k = t < 3 ? 0 : amount * Double(t - 2) / 7
            sequence.frames[t].points = CanonicalFace.points.enumerated().map { i, p -> SIMD2<Float> in
                var q = p
                if i >= 48 { q += SIMD2(0.3 * Double(i - 58) / 10, 1) * k }
                return SIMD2(Float(300 + 100 * q.x), Float(200 + 100 * q.y))
            }
            sequence.frames[t].confidence = 1
        }
        return sequence
    }

    static func sample(_ sequence: LandmarkSequence) -> TrainingSample {
        let tensor = NodeFeatures.tensor(sequence)
        return TrainingSample(features: tensor.values, frames: tensor.frames, label: 0, validFrames: tensor.mask)
    }

    @Test("scaling the intensity gives the features of the weaker expression itself")
    func intensityMatchesAWeakerExpression() {
        let strong = Self.sample(Self.sequence(amount: 0.2))
        let weak = Self.sample(Self.sequence(amount: 0.1))
        for augmentation in [
            ExpressionAugmentation(intensity: 0.5...0.5),
            ExpressionAugmentation(regionIntensity: 0.5...0.5),
            ExpressionAugmentation(intensity: 0.25...0.25, regionIntensity: 2...2),
        ] {
            var augmented = strong
            var rng = SplitMix64(seed: 3)
            augmentation.apply(&augmented, rng: &rng)
            let largest = zip(augmented.features, weak.features).map { abs($0 - $1) }.max()!
            #expect(largest < 1e-5, "\(augmentation): largest difference \(largest)")
        }
        // And it changes something: the strong and weak expressions differ.
        #expect(zip(strong.features, weak.features).map { abs($0 - $1) }.max()! > 0.05)
    }

    @Test("every augmentation keeps velocity = the change of position, and displacement moving with position")
    func channelsStayConsistent() {
        var sequence = Self.sequence(amount: 0.15)
        sequence.frames[6].points = []  // a dropped frame: it carries the previous frame, with zero velocity
        sequence.frames[6].confidence = 0
        let base = Self.sample(sequence)
        #expect(base.validFrames![6] == false)
        let frameSize = 68 * 6
        let all = ExpressionAugmentation(
            intensity: 0.3...1, regionIntensity: 0.5...1.2, shapeSD: 0.05, jitter: 0.01, aspectDrift: 0.1)
        for seed in 1...5 as ClosedRange<UInt64> {
            var sample = base
            var rng = SplitMix64(seed: seed)
            all.apply(&sample, rng: &rng)
            #expect(sample.features != base.features)
            let f = sample.features
            func value(_ t: Int, _ node: Int, _ c: Int) -> Float { f[t * frameSize + node * 6 + c] }
            for node in [0, 8, 19, 37, 48, 57] {
                for axis in 0..<2 {
                    var previous = 0
                    for t in 1..<10 {
                        let observed = sample.validFrames![t]
                        let velocity = value(t, node, 2 + axis)
                        if observed {
                            let change = value(t, node, axis) - value(previous, node, axis)
                            #expect(abs(velocity - change) < 1e-5, "seed \(seed) node \(node) frame \(t)")
                            previous = t
                        } else {
                            #expect(velocity == 0)
                        }
                        let displacementChange = value(t, node, 4 + axis) - value(0, node, 4 + axis)
                        let positionChange = value(t, node, axis) - value(0, node, axis)
                        #expect(abs(displacementChange - positionChange) < 1e-5)
                    }
                }
            }
        }
    }

    @Test("the aspect drift stretches y only, growing over the window")
    func aspectDriftStretchesY() {
        let base = Self.sample(Self.sequence(amount: 0))
        var sample = base
        var rng = SplitMix64(seed: 9)
        ExpressionAugmentation(aspectDrift: 0.05).apply(&sample, rng: &rng)
        let frameSize = 68 * 6
        var ratios: [Float] = []
        for t in 0..<10 {
            for node in 0..<68 {
                let o = t * frameSize + node * 6
                #expect(sample.features[o] == base.features[o])  // x untouched
                if node == 8 { ratios.append(sample.features[o + 1] / base.features[o + 1]) }  // the chin, far below the nasion
            }
        }
        #expect(ratios[0] == 1)
        let steps = zip(ratios.dropFirst(), ratios).map { $0 - $1 }
        #expect(steps.allSatisfy { abs($0 - steps[0]) < 1e-5 } && abs(steps[0]) > 1e-4)
        #expect(ExpressionAugmentation().isIdentity && !ExpressionAugmentation.pretraining.isIdentity)
    }

    @Test("the generator's latents are the sequences' truth: labels, ambiguous share, intensities")
    func latentsMatchTheGenerator() {
        for domain in SyntheticDomain.allCases {
            let generator = SyntheticExpressions(domain: domain, frames: 24)
            let latents = generator.latents(count: 700, seed: 31)
            let small = generator.generate(count: 21, seed: 31)
            #expect(generator.latents(count: 21, seed: 31).map(\.label) == small.samples.map(\.sequence.label!))
            let share = Double(latents.filter(\.ambiguous).count) / Double(latents.count)
            let expected = domain.parameters.ambiguousFraction
            #expect(abs(share - expected) < 0.04, "\(domain): ambiguous share \(share)")
            for latent in latents {
                let peaks = latent.peakIntensities
                #expect(peaks.count == ActionUnit.allCases.count)
                if let key = latent.label.keyActionUnit {
                    #expect(peaks[ActionUnit.allCases.firstIndex(of: key)!] > 0)
                } else {
                    #expect(latent.units.allSatisfy { !latent.label.actionUnits.contains($0.unit) })
                }
            }
        }
    }

    @Test("a sequence's latent drives its landmarks: with no noise, the apex displacement is the sum of the AU fields")
    func latentDrivesTheLandmarks() {
        var parameters = CeilingStudy.parameters(SyntheticDomain.child.parameters, jitter: false, pose: false, drops: false)
        parameters.identitySD = 0
        parameters.pointSD = 0
        parameters.proportions = FaceProportions()
        parameters.offsetProbability = 0  // the expression holds its apex to the end
        let generator = SyntheticExpressions(domain: .child, parameters: parameters, frames: 48)
        let dataset = generator.generate(count: 14, seed: 8)
        let latents = generator.latents(count: 14, seed: 8)
        let neutral = LandmarkNormalisation.normalise(CanonicalFace.points.map { SIMD2<Float>(Float($0.x), Float($0.y)) })
        let iod = CanonicalFace.points[45].x - CanonicalFace.points[36].x
        for (sample, latent) in zip(dataset.samples, latents) {
            // No unit moves the nasion or the outer eye corners, so the normalised last frame (the
            // apex, held) is the canonical face plus Σ intensity × field, over the inter-ocular distance.
            let last = LandmarkNormalisation.normalise(sample.sequence.frames.last!.points)
            var expected = [SIMD2<Double>](repeating: .zero, count: 68)
            for unit in latent.units {
                for (i, d) in unit.unit.field.enumerated() { expected[i] += unit.intensity * d }
            }
            for i in [8, 19, 24, 37, 48, 54, 57] {
                let measured = last[i] - neutral[i]
                #expect(abs(Double(measured.x) - expected[i].x / iod) < 1e-4 && abs(Double(measured.y) - expected[i].y / iod) < 1e-4,
                        "\(latent.label) point \(i): \(measured) vs \(expected[i] / iod)")
            }
        }
    }

    @Test("the latent oracle separates posed adults perfectly and children nearly so")
    func oracleOnLatents() {
        for (domain, floor) in [(SyntheticDomain.posedAdult, 0.97), (.child, 0.85)] {
            let generator = SyntheticExpressions(domain: domain, frames: 24)
            let train = generator.latents(count: 700, seed: 1), test = generator.latents(count: 280, seed: 2)
            let model = LogisticRegression(
                inputs: train.map { $0.peakIntensities.map(Float.init) },
                labels: train.map { Emotion.allCases.firstIndex(of: $0.label)! }, classes: 7)
            let right = test.filter { model.predict($0.peakIntensities.map(Float.init)) == Emotion.allCases.firstIndex(of: $0.label)! }.count
            let accuracy = Double(right) / Double(test.count)
            #expect(accuracy >= floor, "\(domain): oracle accuracy \(accuracy)")
        }
    }
}
