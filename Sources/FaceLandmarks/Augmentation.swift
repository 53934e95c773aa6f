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

extension LandmarkSequence {
    /// The sequence played `speed` (≥ 1) times faster at the same frame rate: `T / speed` frames
    /// (rounded, at least 2 when T ≥ 2), frame i taken at source frame i·(T−1)/(n−1) by linear
    /// interpolation of the points, so the first and last frames are the source's. A frame between
    /// a face and a missing one takes the nearer of the two. Times keep the source's mean frame
    /// interval; the label, subject and domain are kept. Slow posed expressions then have the
    /// quicker onsets and shorter apexes of spontaneous ones (a pre-training augmentation).
    public func spedUp(by speed: Double) -> LandmarkSequence {
        precondition(speed >= 1, "spedUp needs a speed of at least 1, not \(speed)")
        let count = frames.count
        guard count >= 2, speed > 1 else { return self }
        let n = max(2, Int((Double(count) / speed).rounded()))
        let step = Double(count - 1) / Double(n - 1)
        let t0 = frames[0].time
        let interval = (frames[count - 1].time - t0) / Double(count - 1)
        var result = self
        result.frames = (0..<n).map { i in
            let u = i == n - 1 ? Double(count - 1) : Double(i) * step
            let lower = min(Int(u), count - 1), upper = min(lower + 1, count - 1)
            let w = Float(u - Double(lower))
            let time = t0 + Double(i) * interval
            let a = frames[lower], b = frames[upper]
            var frame: LandmarkFrame
            if w == 0 || lower == upper {
                frame = a
            } else if !a.isMissing && !b.isMissing && a.points.count == b.points.count {
                frame = LandmarkFrame(
                    time: time, points: zip(a.points, b.points).map { $0 + w * ($1 - $0) },
                    confidence: a.confidence + Double(w) * (b.confidence - a.confidence))
            } else {
                frame = w < 0.5 ? a : b
            }
            frame.time = time
            return frame
        }
        return result
    }
}
