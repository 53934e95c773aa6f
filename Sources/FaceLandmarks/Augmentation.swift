import EmoMusikPlugins

/// Training-time augmentation of landmark sequences, seeded.
///
/// Per sequence: one rotation in ±`maxRotationDegrees` and one scale factor in 1 ± `maxScale`
/// about the sequence's mean point; per frame and point: Gaussian jitter with standard deviation
/// `jitter` × the frame's inter-ocular distance; per frame: dropped (made missing) with probability
/// `dropProbability`. Note that ``LandmarkNormalisation`` removes a whole-frame rotation and scale,
/// so those two only matter to inputs that are not normalised, or together with the jitter.
public struct LandmarkAugmentation: Sendable, Equatable {
    public var jitter: Float
    public var maxRotationDegrees: Double
    public var maxScale: Double
    public var dropProbability: Double

    public init(jitter: Float = 0.01, maxRotationDegrees: Double = 10, maxScale: Double = 0.1, dropProbability: Double = 0.05) {
        self.jitter = jitter
        self.maxRotationDegrees = maxRotationDegrees
        self.maxScale = maxScale
        self.dropProbability = dropProbability
    }

    /// An augmented copy of `sequence`; the same seed gives the same copy.
    public func apply(to sequence: LandmarkSequence, seed: UInt64) -> LandmarkSequence {
        var rng = Xoshiro256(seed: seed, stream: 11, index: 0)
        let angle = rng.uniform(-maxRotationDegrees...maxRotationDegrees) * Double.pi / 180
        let scale = Float(rng.uniform((1 - maxScale)...(1 + maxScale)))
        let (c, s) = (Float(DeterministicMath.cos(angle)), Float(DeterministicMath.sin(angle)))
        var sum = SIMD2<Float>.zero
        var n: Float = 0
        for frame in sequence.frames where !frame.isMissing {
            for p in frame.points { sum += p }
            n += Float(frame.points.count)
        }
        let centre = n > 0 ? sum / n : .zero
        var result = sequence
        for t in result.frames.indices {
            let frame = result.frames[t]
            let drop = rng.chance(dropProbability)
            if frame.isMissing { continue }
            if drop {
                result.frames[t] = LandmarkFrame.missing(at: frame.time)
                continue
            }
            var iod: Float = 1
            if frame.points.count == FaceLayout.count {
                let e = frame.points[FaceLayout.leftEyeOuter] - frame.points[FaceLayout.rightEyeOuter]
                iod = (e.x * e.x + e.y * e.y).squareRoot()
            }
            result.frames[t].points = frame.points.map { p in
                let d = (p - centre) * scale
                let rotated = SIMD2(c * d.x - s * d.y, s * d.x + c * d.y)
                let noise = SIMD2(Float(rng.gaussian()), Float(rng.gaussian())) * (jitter * iod)
                return centre + rotated + noise
            }
        }
        return result
    }
}
