import EmoMusikPlugins

/// Per-frame normalisation: removes where the face is, how large it is and how it is tilted.
///
/// 1. Centre: the nasion (point 27, the top of the nose bridge between the eyes) moves to the
///    origin. It is chosen over the mean of all points because expressions barely move it, while a
///    dropped jaw or raised brows would shift the mean.
/// 2. Scale: divide by the inter-ocular distance, |p45 − p36| (outer eye corners).
/// 3. Rotation: rotate so that the eye line p36 → p45 points along +x.
///
/// The result is invariant to in-plane translation, scale and rotation of the input. Axes keep
/// the image convention: x to the image right, **y downwards**, so a raised brow has a smaller y.
public enum LandmarkNormalisation {
    /// The normalised points of a 68-point face.
    public static func normalise(_ points: [SIMD2<Float>]) -> [SIMD2<Float>] {
        precondition(points.count == FaceLayout.count, "normalisation needs \(FaceLayout.count) points, got \(points.count)")
        let centre = points[FaceLayout.nasion]
        let eyeLine = points[FaceLayout.leftEyeOuter] - points[FaceLayout.rightEyeOuter]
        let distance = (eyeLine.x * eyeLine.x + eyeLine.y * eyeLine.y).squareRoot()
        precondition(distance > 0, "the outer eye corners (36 and 45) coincide; cannot normalise")
        // Rotation by −angle of the eye line: [c s; −s c] with c = cos, s = sin of the angle.
        let c = eyeLine.x / distance
        let s = eyeLine.y / distance
        return points.map { p in
            let d = (p - centre) / distance
            return SIMD2(c * d.x + s * d.y, -s * d.x + c * d.y)
        }
    }

    /// A frame with normalised points (missing frames stay missing).
    public static func normalise(_ frame: LandmarkFrame) -> LandmarkFrame {
        if frame.isMissing { return frame }
        return LandmarkFrame(time: frame.time, points: normalise(frame.points), confidence: frame.confidence)
    }
}

/// Node features for the network: `[frames][68 landmarks][6 channels]`, row-major, Float.
///
/// Channels per landmark, in order:
/// 0–1 normalised position (x, y); 2–3 velocity, the difference to the previous valid frame
/// (0 at the first); 4–5 displacement from the neutral face, the mean normalised position of the
/// first `neutralFrames` valid frames.
///
/// Missing frames carry the last valid frame forward (the first valid frame backward, before it),
/// with zero velocity, and `mask[t]` is false for them: `mask[t]` is true where a face was observed.
public struct FeatureTensor: Sendable, Equatable {
    public static let nodes = FaceLayout.count
    public static let channels = 6

    public var frames: Int
    public var nodes: Int { Self.nodes }
    public var channels: Int { Self.channels }
    /// Row-major [frames][nodes][channels].
    public var values: [Float]
    /// One entry per frame: true where the face was observed, false where carried over or padded from one that was not.
    public var mask: [Bool]

    public init(frames: Int, values: [Float], mask: [Bool]) {
        precondition(values.count == frames * Self.nodes * Self.channels, "values must hold frames × 68 × 6 floats")
        precondition(mask.count == frames, "mask needs one entry per frame")
        self.frames = frames
        self.values = values
        self.mask = mask
    }

    /// Index of `values` for (frame, node, channel).
    @inline(__always) public func offset(frame: Int, node: Int, channel: Int) -> Int {
        (frame * Self.nodes + node) * Self.channels + channel
    }

    public subscript(frame: Int, node: Int, channel: Int) -> Float {
        values[offset(frame: frame, node: node, channel: channel)]
    }

    /// The slice of `values` for one frame: 68 × 6 floats.
    public func frameValues(_ t: Int) -> ArraySlice<Float> {
        values[(t * Self.nodes * Self.channels)..<((t + 1) * Self.nodes * Self.channels)]
    }

    /// Fixed-length windows. Starts at 0, `stride`, 2·`stride`, …, plus one window ending on the
    /// last frame when the stride does not land there. Shorter inputs are padded at the front by
    /// repeating the first frame (its values and its mask entry), giving one window.
    public func window(length: Int = 32, stride: Int = 16) -> [FeatureTensor] {
        precondition(length > 0 && stride > 0, "window length and stride must be positive")
        precondition(frames > 0, "cannot window an empty feature tensor")
        let perFrame = Self.nodes * Self.channels
        if frames <= length {
            let pad = length - frames
            var values = [Float]()
            values.reserveCapacity(length * perFrame)
            for _ in 0..<pad { values.append(contentsOf: frameValues(0)) }
            values.append(contentsOf: self.values)
            return [FeatureTensor(frames: length, values: values, mask: Array(repeating: mask[0], count: pad) + mask)]
        }
        var starts = Array(Swift.stride(from: 0, through: frames - length, by: stride))
        if starts.last != frames - length { starts.append(frames - length) }
        return starts.map { start in
            FeatureTensor(
                frames: length, values: Array(values[(start * perFrame)..<((start + length) * perFrame)]),
                mask: Array(mask[start..<(start + length)]))
        }
    }
}

/// Node features of a sequence; see ``FeatureTensor``.
public enum NodeFeatures {
    /// Normalised positions per frame with missing frames filled (last valid carried forward, the
    /// first valid carried backward before it), and which frames were observed. Nil when no frame has a face.
    public static func filledPositions(_ sequence: LandmarkSequence) -> (positions: [[SIMD2<Float>]], observed: [Bool])? {
        let observed = sequence.frames.map { !$0.isMissing }
        guard let firstValid = observed.firstIndex(of: true) else { return nil }
        var positions: [[SIMD2<Float>]] = []
        positions.reserveCapacity(sequence.frames.count)
        var last = LandmarkNormalisation.normalise(sequence.frames[firstValid].points)
        for frame in sequence.frames {
            if !frame.isMissing { last = LandmarkNormalisation.normalise(frame.points) }
            positions.append(last)
        }
        return (positions, observed)
    }

    /// The neutral face: mean normalised position over the first `neutralFrames` observed frames.
    public static func neutral(positions: [[SIMD2<Float>]], observed: [Bool], neutralFrames: Int = 3) -> [SIMD2<Float>] {
        var sum = [SIMD2<Float>](repeating: .zero, count: FaceLayout.count)
        var n = 0
        for t in positions.indices where observed[t] && n < max(1, neutralFrames) {
            for i in 0..<FaceLayout.count { sum[i] += positions[t][i] }
            n += 1
        }
        return n == 0 ? sum : sum.map { $0 / Float(n) }
    }

    /// The model input for a sequence. A sequence with no observed frame gives zeros and an all-false mask.
    public static func tensor(_ sequence: LandmarkSequence, neutralFrames: Int = 3) -> FeatureTensor {
        let frames = sequence.frames.count
        let perFrame = FeatureTensor.nodes * FeatureTensor.channels
        guard let (positions, observed) = filledPositions(sequence) else {
            return FeatureTensor(frames: frames, values: [Float](repeating: 0, count: frames * perFrame), mask: observed(sequence))
        }
        let neutral = neutral(positions: positions, observed: observed, neutralFrames: neutralFrames)
        var values = [Float](repeating: 0, count: frames * perFrame)
        var previous: [SIMD2<Float>]?
        for t in 0..<frames {
            let p = positions[t]
            let base = t * perFrame
            for i in 0..<FaceLayout.count {
                let o = base + i * FeatureTensor.channels
                values[o] = p[i].x
                values[o + 1] = p[i].y
                if observed[t], let previous {
                    values[o + 2] = p[i].x - previous[i].x
                    values[o + 3] = p[i].y - previous[i].y
                }
                values[o + 4] = p[i].x - neutral[i].x
                values[o + 5] = p[i].y - neutral[i].y
            }
            if observed[t] { previous = p }
        }
        return FeatureTensor(frames: frames, values: values, mask: observed)
    }

    private static func observed(_ sequence: LandmarkSequence) -> [Bool] { sequence.frames.map { !$0.isMissing } }
}

/// Features for the logistic-regression baseline.
public enum BaselineFeatures {
    /// The normalised positions (x0, y0, x1, y1, … x67, y67: 136 values) of the observed frame whose
    /// mean displacement from the neutral face (first `neutralFrames` observed frames) is largest.
    /// All zeros for a sequence without an observed frame.
    public static func apexVector(_ sequence: LandmarkSequence, neutralFrames: Int = 3) -> [Float] {
        guard let (positions, observed) = NodeFeatures.filledPositions(sequence) else {
            return [Float](repeating: 0, count: 2 * FaceLayout.count)
        }
        let apex = apexIndex(positions: positions, observed: observed, neutralFrames: neutralFrames)
        return positions[apex].flatMap { [$0.x, $0.y] }
    }

    /// Index of the observed frame farthest (mean point distance) from the neutral face.
    public static func apexIndex(positions: [[SIMD2<Float>]], observed: [Bool], neutralFrames: Int = 3) -> Int {
        let neutral = NodeFeatures.neutral(positions: positions, observed: observed, neutralFrames: neutralFrames)
        var best = observed.firstIndex(of: true) ?? 0
        var bestDistance: Float = -1
        for t in positions.indices where observed[t] {
            var d: Float = 0
            for i in 0..<FaceLayout.count {
                let v = positions[t][i] - neutral[i]
                d += (v.x * v.x + v.y * v.y).squareRoot()
            }
            if d > bestDistance {
                bestDistance = d
                best = t
            }
        }
        return best
    }
}

/// `apexVector(sequence)`: see ``BaselineFeatures/apexVector(_:neutralFrames:)``.
public func apexVector(_ sequence: LandmarkSequence, neutralFrames: Int = 3) -> [Float] {
    BaselineFeatures.apexVector(sequence, neutralFrames: neutralFrames)
}
