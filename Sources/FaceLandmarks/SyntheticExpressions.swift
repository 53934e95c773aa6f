import EmoMusikCore
import EmoMusikPlugins

/// The two synthetic domains: posed adult faces (the source) and child faces (the target).
public enum SyntheticDomain: String, CaseIterable, Sendable, CustomStringConvertible {
    case posedAdult = "posed-adult"
    case child

    public var description: String { rawValue }

    /// Short prefix of subject ids (`adult-s001`, `child-s001`).
    var subjectPrefix: String { self == .posedAdult ? "adult" : "child" }

    /// The generator's parameters for this domain.
    public var parameters: SyntheticParameters {
        switch self {
        case .posedAdult:
            SyntheticParameters(
                intensity: 0.85...1.1, ambiguousFraction: 0, ambiguousIntensity: 0.15...0.3, perUnitIntensity: 0.85...1.15,
                dropUnitProbability: 0, distractorProbability: 0.1, distractorIntensity: 0...0.1,
                onsetStart: 4...10, onsetFrames: 10...18, apexFrames: 10...30, offsetProbability: 0.3,
                offsetFrames: 8...14, offsetLevel: 0.4...0.7, unitDelay: 1,
                proportions: FaceProportions(), identitySD: 0.03, pointSD: 0.005,
                scale: 110...140, yawSD: 4, rollSD: 3, poseDrift: 0.3, translationSD: 25,
                jitter: 0.002, dropProbability: 0.01, dropBurstProbability: 0, confidence: 0.9...0.99)
        case .child:
            SyntheticParameters(
                intensity: 0.35...0.85, ambiguousFraction: 0.12, ambiguousIntensity: 0.15...0.3, perUnitIntensity: 0.5...1.3,
                dropUnitProbability: 0.2, distractorProbability: 0.2, distractorIntensity: 0...0.15,
                onsetStart: 2...12, onsetFrames: 4...10, apexFrames: 4...14, offsetProbability: 0.7,
                offsetFrames: 4...10, offsetLevel: 0.1...0.5, unitDelay: 3,
                proportions: FaceProportions(
                    eyeSize: 0.15, browHeight: -0.03, noseLength: -0.12, mouthHeight: -0.05, faceLength: -0.08,
                    chinWidth: -0.12, faceWidth: 0.03),
                identitySD: 0.05, pointSD: 0.007,
                scale: 80...130, yawSD: 10, rollSD: 8, poseDrift: 0.5, translationSD: 40,
                jitter: 0.0025, dropProbability: 0.03, dropBurstProbability: 0.012, confidence: 0.7...0.98)
        }
    }
}

/// Mean shape differences of a domain from the canonical face, as coefficients of the shape modes
/// (``SyntheticExpressions/shapeModes``): relative changes (0.15 = 15 % larger) or, for heights,
/// offsets in face units.
public struct FaceProportions: Sendable, Equatable {
    public var eyeSize = 0.0, browHeight = 0.0, noseLength = 0.0, mouthHeight = 0.0, faceLength = 0.0
    public var chinWidth = 0.0, faceWidth = 0.0, eyeSpacing = 0.0, mouthWidth = 0.0

    public init(
        eyeSize: Double = 0, browHeight: Double = 0, noseLength: Double = 0, mouthHeight: Double = 0,
        faceLength: Double = 0, chinWidth: Double = 0, faceWidth: Double = 0, eyeSpacing: Double = 0,
        mouthWidth: Double = 0
    ) {
        self.eyeSize = eyeSize
        self.browHeight = browHeight
        self.noseLength = noseLength
        self.mouthHeight = mouthHeight
        self.faceLength = faceLength
        self.chinWidth = chinWidth
        self.faceWidth = faceWidth
        self.eyeSpacing = eyeSpacing
        self.mouthWidth = mouthWidth
    }

    var coefficients: [Double] {
        [faceWidth, faceLength, eyeSize, eyeSpacing, browHeight, noseLength, mouthWidth, mouthHeight, chinWidth]
    }
}

/// Everything that makes a domain: expression intensities and dynamics (in frames at 30 fps),
/// face shape, head pose and tracker behaviour. Lengths in face units (inter-ocular distance 1)
/// unless marked as pixels; angles in degrees.
public struct SyntheticParameters: Sendable, Equatable {
    /// Overall expression intensity of a sequence (1 = the full AU fields).
    public var intensity: ClosedRange<Double>
    /// Fraction of sequences shown at a low, genuinely ambiguous intensity instead.
    public var ambiguousFraction: Double
    public var ambiguousIntensity: ClosedRange<Double>
    /// Each unit's intensity relative to the sequence's.
    public var perUnitIntensity: ClosedRange<Double>
    /// Probability of leaving out each non-key unit of the class (partial expressions).
    public var dropUnitProbability: Double
    /// Probability that each unit outside the class shows up weakly (a distractor), and how strongly.
    public var distractorProbability: Double
    public var distractorIntensity: ClosedRange<Double>
    /// Dynamics: neutral frames before onset; onset length; apex hold; offset (probability, length,
    /// level it falls to relative to the apex); each unit's start varies by ±`unitDelay` frames.
    public var onsetStart: ClosedRange<Int>
    public var onsetFrames: ClosedRange<Int>
    public var apexFrames: ClosedRange<Int>
    public var offsetProbability: Double
    public var offsetFrames: ClosedRange<Int>
    public var offsetLevel: ClosedRange<Double>
    public var unitDelay: Int
    /// The domain's mean face proportions, and per-subject variation: standard deviation of each
    /// shape-mode coefficient and of independent per-point offsets.
    public var proportions: FaceProportions
    public var identitySD: Double
    public var pointSD: Double
    /// Pose: pixels per face unit; yaw (as horizontal compression) and roll standard deviations;
    /// drift over a sequence as a fraction of those; translation standard deviation in pixels
    /// around (320, 240).
    public var scale: ClosedRange<Double>
    public var yawSD: Double
    public var rollSD: Double
    public var poseDrift: Double
    public var translationSD: Double
    /// Tracker: Gaussian jitter per coordinate (face units, so × scale in pixels); per-frame drop
    /// probability; probability per frame that a burst of 2–5 drops starts; confidence of found faces.
    public var jitter: Double
    public var dropProbability: Double
    public var dropBurstProbability: Double
    public var confidence: ClosedRange<Double>
}

/// Seeded synthetic facial-expression sequences built on FACS action units.
///
/// A sequence: a subject's face (the domain's proportions plus per-subject shape modes and point
/// offsets), expression = Σ intensity(t) × AU field, with intensity(t) neutral → raised-cosine onset
/// → apex → optional raised-cosine offset, then head pose (yaw as horizontal compression, roll,
/// scale, translation, all drifting slowly), tracker jitter and dropped frames. Deterministic for a
/// seed on every machine (``Xoshiro256`` and ``DeterministicMath`` only).
public struct SyntheticExpressions: Sendable {
    public var domain: SyntheticDomain
    public var parameters: SyntheticParameters
    /// Frames per sequence and frame rate.
    public var frames: Int
    public var fps: Double
    /// Sequences per subject (subjects = ⌈count / this⌉, at least 2).
    public var sequencesPerSubject: Int

    public init(
        domain: SyntheticDomain, parameters: SyntheticParameters? = nil, frames: Int = 48, fps: Double = 30,
        sequencesPerSubject: Int = 7
    ) {
        precondition(frames >= 8, "a synthetic sequence needs at least 8 frames")
        self.domain = domain
        self.parameters = parameters ?? domain.parameters
        self.frames = frames
        self.fps = fps
        self.sequencesPerSubject = max(1, sequencesPerSubject)
    }

    /// How many sequences of each class `count` gives for `proportions` (one weight per
    /// ``Emotion/allCases`` entry, default equal): largest remainders, ties to the earlier class.
    public static func classCounts(count: Int, proportions: [Double]? = nil) -> [Int] {
        let weights = proportions ?? [Double](repeating: 1, count: Emotion.allCases.count)
        precondition(weights.count == Emotion.allCases.count, "give one class proportion per emotion (\(Emotion.allCases.count))")
        precondition(weights.allSatisfy { $0 >= 0 } && weights.reduce(0, +) > 0, "class proportions must be ≥ 0 and not all 0")
        let total = weights.reduce(0, +)
        let exact = weights.map { Double(count) * $0 / total }
        var counts = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { (exact[$0] - Double(counts[$0]), -$0) > (exact[$1] - Double(counts[$1]), -$1) }
        var left = count - counts.reduce(0, +)
        for i in order where left > 0 {
            counts[i] += 1
            left -= 1
        }
        return counts
    }

    /// The label of each of the `count` sequences ``generate(count:seed:classProportions:)`` makes, in order.
    public static func labels(count: Int, seed: UInt64, classProportions: [Double]? = nil) -> [Emotion] {
        precondition(count >= 0, "count must be ≥ 0")
        var labels: [Emotion] = []
        for (emotion, n) in zip(Emotion.allCases, Self.classCounts(count: count, proportions: classProportions)) {
            labels += Array(repeating: emotion, count: n)
        }
        var shuffler = Xoshiro256(seed: seed, stream: 1, index: 0)
        shuffler.shuffle(&labels)
        return labels
    }

    /// `count` labelled sequences, ids `<domain>-00001`…, subjects `<adult|child>-s001`…
    public func generate(count: Int, seed: UInt64, classProportions: [Double]? = nil) -> LandmarkDataset {
        let labels = Self.labels(count: count, seed: seed, classProportions: classProportions)
        let subjects = max(2, (count + sequencesPerSubject - 1) / sequencesPerSubject)
        let shapes = (0..<subjects).map { subjectShape(seed: seed, subject: $0) }
        let samples = labels.enumerated().map { i, label in
            let subject = i % subjects
            return LandmarkDataset.Sample(
                id: "\(domain.rawValue)-\(zeroPadded(i + 1, width: 5))",
                sequence: sequence(
                    label: label, subjectShape: shapes[subject],
                    subject: "\(domain.subjectPrefix)-s\(zeroPadded(subject + 1, width: 3))", seed: seed, index: i))
        }
        return LandmarkDataset(samples: samples)
    }

    /// A subject's neutral face in face units: the domain's proportions plus random shape modes and point offsets.
    public func subjectShape(seed: UInt64, subject: Int) -> [SIMD2<Double>] {
        var rng = Xoshiro256(seed: seed, stream: domain == .posedAdult ? 2 : 3, index: UInt64(subject))
        let mean = parameters.proportions.coefficients
        let coefficients = mean.map { $0 + rng.gaussian(mean: 0, sd: parameters.identitySD) }
        var points = Self.applyShapeModes(CanonicalFace.points, coefficients)
        for i in points.indices {
            points[i] += SIMD2(rng.gaussian(mean: 0, sd: parameters.pointSD), rng.gaussian(mean: 0, sd: parameters.pointSD))
        }
        return points
    }

    /// Names of the shape modes, in the order of their coefficients.
    public static let shapeModes = [
        "faceWidth", "faceLength", "eyeSize", "eyeSpacing", "browHeight", "noseLength", "mouthWidth", "mouthHeight",
        "chinWidth",
    ]

    /// Applies the shape modes (a hand-made stand-in for a PCA shape model) to a face.
    public static func applyShapeModes(_ face: [SIMD2<Double>], _ c: [Double]) -> [SIMD2<Double>] {
        var p = face
        let (faceWidth, faceLength, eyeSize, eyeSpacing, browHeight) = (c[0], c[1], c[2], c[3], c[4])
        let (noseLength, mouthWidth, mouthHeight, chinWidth) = (c[5], c[6], c[7], c[8])
        for i in FaceLayout.jaw {
            p[i].x *= 1 + faceWidth
            if p[i].y > 0 { p[i].y *= 1 + faceLength }
            // The chin: the lower jaw points, weighted by how low they are.
            let lowness = max(0, (face[i].y - 0.5) / 0.8)
            p[i].x *= 1 + chinWidth * lowness
        }
        for i in FaceLayout.outerLips + FaceLayout.innerLips {
            p[i].x *= 1 + mouthWidth
            p[i].y = p[i].y * (1 + faceLength * 0.7) + mouthHeight
        }
        for i in FaceLayout.noseBridge.dropFirst() + FaceLayout.noseBase {
            p[i].y = face[27].y + (p[i].y - face[27].y) * (1 + noseLength)
        }
        for eye in [FaceLayout.rightEye, FaceLayout.leftEye] {
            let centre = eye.map { face[$0] }.reduce(.zero, +) / Double(eye.count)
            let shift = SIMD2(centre.x < 0 ? -eyeSpacing / 2 : eyeSpacing / 2, 0)
            for i in eye { p[i] = centre + (face[i] - centre) * (1 + eyeSize) + shift }
        }
        for i in FaceLayout.rightBrow + FaceLayout.leftBrow { p[i].y += browHeight }
        return p
    }

    /// Intensity over time: 0 until `start`, raised-cosine rise over `onset` frames, hold for `apex`
    /// frames, then (if `offset` > 0) a raised-cosine fall to `level` over `offset` frames.
    public static func profile(frame t: Double, start: Double, onset: Double, apex: Double, offset: Double, level: Double) -> Double {
        if t <= start { return 0 }
        if t < start + onset { return 0.5 * (1 - DeterministicMath.cos(Double.pi * (t - start) / onset)) }
        let fallStart = start + onset + apex
        if offset <= 0 || t <= fallStart { return 1 }
        if t < fallStart + offset {
            let u = 0.5 * (1 - DeterministicMath.cos(Double.pi * (t - fallStart) / offset))
            return 1 - (1 - level) * u
        }
        return level
    }

    /// The hidden truth of one sequence's expression: what the generator drew before drawing the
    /// face, pose and tracker noise. The ground truth for ceiling studies (how well could anything
    /// classify these sequences?).
    public struct ExpressionLatent: Sendable, Equatable {
        /// One unit shown: its peak intensity (× the full AU field) and its start delay in frames.
        public struct Unit: Sendable, Equatable {
            public var unit: ActionUnit
            public var intensity: Double
            public var delay: Double
        }

        public var label: Emotion
        /// Whether the sequence was drawn at the domain's low, ambiguous intensity.
        public var ambiguous: Bool
        /// The sequence's overall intensity (each class unit is this × its own factor).
        public var intensity: Double
        /// The class's units that were shown, then the distractors.
        public var units: [Unit]
        /// Dynamics in frames: neutral frames before the onset, onset, apex hold, offset (0: none)
        /// and the level the offset falls to.
        public var start: Double, onset: Double, apex: Double, offset: Double, level: Double

        /// The peak intensity of every unit, in ``ActionUnit/allCases`` order (0 for units not shown).
        public var peakIntensities: [Double] {
            ActionUnit.allCases.map { unit in units.filter { $0.unit == unit }.map(\.intensity).reduce(0, +) }
        }
    }

    /// The latent expression of sequence `index` (as ``generate(count:seed:classProportions:)``
    /// draws it for that label).
    public func latent(label: Emotion, seed: UInt64, index: Int) -> ExpressionLatent {
        var rng = Xoshiro256(seed: seed, stream: domain == .posedAdult ? 4 : 5, index: UInt64(index))
        return drawLatent(label: label, rng: &rng)
    }

    /// The latents of the `count` sequences ``generate(count:seed:classProportions:)`` makes, in order.
    public func latents(count: Int, seed: UInt64, classProportions: [Double]? = nil) -> [ExpressionLatent] {
        Self.labels(count: count, seed: seed, classProportions: classProportions).enumerated().map { i, label in
            latent(label: label, seed: seed, index: i)
        }
    }

    private func drawLatent(label: Emotion, rng: inout Xoshiro256) -> ExpressionLatent {
        let p = parameters
        // Which units, how strongly.
        let ambiguous = rng.chance(p.ambiguousFraction)
        let global = rng.uniform(ambiguous ? p.ambiguousIntensity : p.intensity)
        var units: [ExpressionLatent.Unit] = []
        for unit in label.actionUnits {
            if unit != label.keyActionUnit && rng.chance(p.dropUnitProbability) { continue }
            units.append(.init(unit: unit, intensity: global * rng.uniform(p.perUnitIntensity), delay: Double(rng.integer(-p.unitDelay...p.unitDelay))))
        }
        for unit in ActionUnit.allCases where !label.actionUnits.contains(unit) {
            if rng.chance(p.distractorProbability) {
                units.append(.init(unit: unit, intensity: rng.uniform(p.distractorIntensity), delay: Double(rng.integer(-p.unitDelay...p.unitDelay))))
            }
        }
        // Dynamics.
        let start = Double(rng.integer(p.onsetStart))
        let onset = Double(rng.integer(p.onsetFrames))
        let apex = Double(rng.integer(p.apexFrames))
        let hasOffset = rng.chance(p.offsetProbability)
        let offset = hasOffset ? Double(rng.integer(p.offsetFrames)) : 0
        let level = rng.uniform(p.offsetLevel)
        return ExpressionLatent(
            label: label, ambiguous: ambiguous, intensity: global, units: units, start: start, onset: onset, apex: apex,
            offset: offset, level: level)
    }

    /// One sequence; `index` selects its independent random stream.
    public func sequence(label: Emotion, subjectShape: [SIMD2<Double>], subject: String, seed: UInt64, index: Int) -> LandmarkSequence {
        var rng = Xoshiro256(seed: seed, stream: domain == .posedAdult ? 4 : 5, index: UInt64(index))
        let p = parameters
        let latent = drawLatent(label: label, rng: &rng)
        let units = latent.units.map { ($0.unit, $0.intensity, $0.delay) }
        let (start, onset, apex, offset, level) = (latent.start, latent.onset, latent.apex, latent.offset, latent.level)
        // Pose: a base value and a slow drift (linear plus half a sine period) per quantity.
        let degrees = Double.pi / 180
        let yaw0 = rng.gaussian(mean: 0, sd: p.yawSD) * degrees
        let roll0 = rng.gaussian(mean: 0, sd: p.rollSD) * degrees
        let yawDrift = rng.gaussian(mean: 0, sd: p.yawSD * p.poseDrift) * degrees
        let rollDrift = rng.gaussian(mean: 0, sd: p.rollSD * p.poseDrift) * degrees
        let scale0 = rng.uniform(p.scale)
        let scaleDrift = rng.gaussian(mean: 0, sd: 0.03 * p.poseDrift)
        let centre0 = SIMD2(320 + rng.gaussian(mean: 0, sd: p.translationSD), 240 + rng.gaussian(mean: 0, sd: p.translationSD))
        let centreDrift = SIMD2(rng.gaussian(mean: 0, sd: 8 * p.poseDrift), rng.gaussian(mean: 0, sd: 8 * p.poseDrift))
        let phase = rng.uniform(0...(2 * Double.pi))
        // Dropped frames.
        var dropped = [Bool](repeating: false, count: frames)
        var t = 0
        while t < frames {
            if rng.chance(p.dropBurstProbability) {
                let length = rng.integer(2...5)
                for k in t..<min(frames, t + length) { dropped[k] = true }
                t += length
                continue
            }
            if rng.chance(p.dropProbability) { dropped[t] = true }
            t += 1
        }
        let fields = ActionUnit.fields
        let rotationCentre = SIMD2(0.0, 0.45)
        var result: [LandmarkFrame] = []
        result.reserveCapacity(frames)
        for f in 0..<frames {
            let time = Double(f) / fps
            // Jitter and confidence are drawn for every frame so that drops do not shift the stream.
            let confidence = rng.uniform(p.confidence)
            var noise: [SIMD2<Double>] = []
            noise.reserveCapacity(FaceLayout.count)
            for _ in 0..<FaceLayout.count {
                noise.append(SIMD2(rng.gaussian(mean: 0, sd: p.jitter), rng.gaussian(mean: 0, sd: p.jitter)))
            }
            if dropped[f] {
                result.append(LandmarkFrame(time: time, points: [], confidence: 0))
                continue
            }
            var face = subjectShape
            for (unit, intensity, delay) in units {
                let a = intensity * Self.profile(
                    frame: Double(f), start: start + delay, onset: onset, apex: apex, offset: offset, level: level)
                if a == 0 { continue }
                let field = fields[unit]!
                for i in 0..<FaceLayout.count { face[i] += a * field[i] }
            }
            let u = Double(f) / Double(max(1, frames - 1))
            let slow = u + 0.5 * DeterministicMath.sin(Double.pi * u + phase) - 0.5 * DeterministicMath.sin(phase)
            let yaw = yaw0 + yawDrift * slow
            let roll = roll0 + rollDrift * slow
            let scale = scale0 * (1 + scaleDrift * slow)
            let centre = centre0 + centreDrift * slow
            let (c, s) = (DeterministicMath.cos(roll), DeterministicMath.sin(roll))
            let compression = DeterministicMath.cos(yaw)
            let points = face.enumerated().map { i, q -> SIMD2<Float> in
                var d = q - rotationCentre
                d.x *= compression
                let rotated = SIMD2(c * d.x - s * d.y, s * d.x + c * d.y)
                let pixel = centre + scale * (rotated + noise[i])
                return SIMD2(Float(pixel.x), Float(pixel.y))
            }
            result.append(LandmarkFrame(time: time, points: points, confidence: confidence))
        }
        return LandmarkSequence(frames: result, label: label, subject: subject, domain: domain.rawValue)
    }
}
