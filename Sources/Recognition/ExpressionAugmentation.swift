import EmoMusikCore
import EmotionNet
import FaceLandmarks

/// Training-time augmentation of node features (``FeatureTensor`` layout: position, velocity,
/// displacement from the neutral face per landmark), for the trainer's augmentation hook. Each
/// draw is consistent across the three channel pairs, so the result is what the feature extractor
/// would give for a different (plausible) sequence:
///
/// - **intensity**: the expression is scaled by s ∈ `intensity` — displacement × s, velocity × s,
///   position = neutral + s × displacement. A posed adult's full expression then also appears at a
///   child's weaker intensities (domain generalisation without target labels);
/// - **regions**: each face region (jaw, brows, nose, eyes, mouth) scales its displacement by its
///   own factor in `regionIntensity` on top of that, as velocity and position — partial
///   expressions, where one part of the face moves less than the rest (no knowledge of action
///   units: the regions are the iBUG layout's);
/// - **out-of-plane head turn**: after in-plane normalisation a yaw or pitch that changes during
///   the sequence shows as a change of the face's aspect ratio. Every position's y (the axis
///   across the eye line) is scaled by 1 + a·t/(T−1) over the window's T frames, a ~ N(0,
///   `aspectDrift`); displacement and velocity take the same change (the neutral face is taken as
///   unchanged);
/// - **shape**: the subject's face changes — every landmark's position moves by a per-sequence
///   Gaussian offset (`shapeSD` face units); displacement and velocity are unchanged;
/// - **jitter**: tracker noise — every observed frame's landmarks move by Gaussian noise (`jitter`
///   face units), which enters position and displacement, and velocity as the difference from the
///   previous observed frame's noise.
public struct ExpressionAugmentation: Sendable, Codable, Equatable {
    public var intensity: ClosedRange<Float>
    public var regionIntensity: ClosedRange<Float>
    public var shapeSD: Float
    public var jitter: Float
    public var aspectDrift: Float

    public init(intensity: ClosedRange<Float> = 1...1, regionIntensity: ClosedRange<Float> = 1...1, shapeSD: Float = 0, jitter: Float = 0, aspectDrift: Float = 0) {
        precondition(intensity.lowerBound >= 0 && regionIntensity.lowerBound >= 0 && shapeSD >= 0 && jitter >= 0,
                     "augmentation sizes must not be negative")
        self.intensity = intensity
        self.regionIntensity = regionIntensity
        self.shapeSD = shapeSD
        self.jitter = jitter
        self.aspectDrift = aspectDrift
    }

    /// The pre-training default of the transfer experiment and of ``RecognitionTraining``: the
    /// source's expressions at 25–100 % of their intensity, each face region at 30–120 % of that,
    /// per-landmark shape offsets of 0.02, tracker jitter of 0.002 and an aspect drift of 3 % (face
    /// units). Chosen by the ablation in docs/recognition-ceiling.md.
    public static let pretraining = ExpressionAugmentation(
        intensity: 0.25...1, regionIntensity: 0.3...1.2, shapeSD: 0.02, jitter: 0.002, aspectDrift: 0.03)

    /// No change at all.
    public var isIdentity: Bool { intensity == 1...1 && regionIntensity == 1...1 && shapeSD == 0 && jitter == 0 && aspectDrift == 0 }

    /// The region of every landmark: 0 jaw, 1 brows, 2 nose, 3 eyes, 4 mouth.
    static let regions: [Int] = (0..<FaceLayout.count).map { i in
        switch i {
        case 0...16: 0
        case 17...26: 1
        case 27...35: 2
        case 36...47: 3
        default: 4
        }
    }

    /// Augments `sample` in place with draws from `rng`.
    public func apply(_ sample: inout TrainingSample, rng: inout SplitMix64) {
        let nodes = FeatureTensor.nodes, channels = FeatureTensor.channels
        let perFrame = nodes * channels
        precondition(sample.features.count == sample.frames * perFrame, "ExpressionAugmentation needs [T, 68, 6] node features")
        let global = intensity.lowerBound + (intensity.upperBound - intensity.lowerBound) * rng.nextUnitFloat()
        let factors = (0..<5).map { _ in
            global * (regionIntensity.lowerBound + (regionIntensity.upperBound - regionIntensity.lowerBound) * rng.nextUnitFloat())
        }
        var shape = [Float](repeating: 0, count: 2 * nodes)
        if shapeSD > 0 { for i in shape.indices { shape[i] = shapeSD * rng.nextGaussian() } }
        let aspect = aspectDrift > 0 ? aspectDrift * rng.nextGaussian() : 0
        var previousStretch: Float = 0
        var previousNoise = [Float](repeating: 0, count: 2 * nodes)
        var noise = previousNoise
        var seenObserved = false
        sample.features.withUnsafeMutableBufferPointer { f in
            for t in 0..<sample.frames {
                let observed = sample.validFrames?[t] ?? true
                if jitter > 0 && observed {
                    for i in noise.indices { noise[i] = jitter * rng.nextGaussian() }
                }
                for n in 0..<nodes {
                    let s = factors[Self.regions[n]]
                    let o = t * perFrame + n * channels
                    for axis in 0..<2 {
                        let displacement = f[o + 4 + axis]
                        let extra = shape[2 * n + axis] + (jitter > 0 ? noise[2 * n + axis] : 0)
                        f[o + axis] += (s - 1) * displacement + extra
                        f[o + 4 + axis] = s * displacement + (jitter > 0 ? noise[2 * n + axis] : 0)
                        if observed {
                            f[o + 2 + axis] *= s
                            if jitter > 0 && seenObserved { f[o + 2 + axis] += noise[2 * n + axis] - previousNoise[2 * n + axis] }
                        }
                    }
                }
                if aspect != 0 {
                    // y of every landmark, scaled by 1 + stretch; the carried (unobserved) frames take it too.
                    let stretch = aspect * Float(t) / Float(max(1, sample.frames - 1))
                    for n in 0..<nodes {
                        let o = t * perFrame + n * channels
                        let y = f[o + 1]
                        f[o + 1] += stretch * y
                        f[o + 5] += stretch * y
                        // new y(t) − new y(t') = y(t)(s − s') + (y(t) − y(t'))(1 + s'), t' the previous observed frame.
                        if observed && seenObserved { f[o + 3] = (stretch - previousStretch) * y + (1 + previousStretch) * f[o + 3] }
                    }
                    if observed { previousStretch = stretch }
                }
                if observed && jitter > 0 {
                    previousNoise = noise
                }
                if observed { seenObserved = true }
            }
        }
    }
}
