import EmoMusikPlugins
import FaceLandmarks

/// Node features frame by frame, for live recognition: the same six channels as
/// ``NodeFeatures/tensor(_:neutralFrames:)`` (position, velocity, displacement from neutral), where
/// the neutral face is the mean of the first `neutralFrames` observed frames (the mean so far
/// until that many have been seen).
///
/// A training sequence lasts a few seconds, so its first frames are a fair neutral face for all
/// of it. A session lasts many minutes, in which the child leaves the camera and comes back
/// elsewhere, turned, nearer or farther; a neutral face taken once at the start stops matching,
/// and what is left over reads as an expression. So the neutral face is **taken again when the
/// face returns** after at least ``retakeAfter`` seconds without one (the smoother's face-lost
/// delay). On ten synthetic demo recordings this lifted frame-level agreement with their scripts
/// from 0.769 to 0.847, most in the neutral stretches (docs/recognition-ceiling.md, section 4).
///
/// [recognition thread] One instance per session; `reset()` between sessions.
public struct StreamingFeatures: Sendable {
    public let neutralFrames: Int
    /// Seconds without a face after which the neutral face is taken again (∞: never).
    public let retakeAfter: Double

    private var neutralSum = [SIMD2<Float>](repeating: .zero, count: FaceLayout.count)
    private var neutralCount = 0
    private var previous: [SIMD2<Float>]?
    private var lastFaceTime: Double?
    /// How many times the neutral face was taken again after the face came back.
    public private(set) var retakes = 0

    public init(neutralFrames: Int = 3, retakeAfter: Double = 2) {
        self.neutralFrames = max(1, neutralFrames)
        self.retakeAfter = retakeAfter
    }

    /// The features of `frame` ([68 × 6], row-major), or nil for a frame without a face.
    public mutating func features(for frame: LandmarkFrame) -> [Float]? {
        guard !frame.isMissing else { return nil }
        if let last = lastFaceTime, frame.time - last >= retakeAfter {
            let kept = retakes + 1
            reset()
            retakes = kept
        }
        let p = LandmarkNormalisation.normalise(frame.points)
        if neutralCount < neutralFrames {
            for i in 0..<FaceLayout.count { neutralSum[i] += p[i] }
            neutralCount += 1
        }
        let neutralScale = 1 / Float(neutralCount)
        var values = [Float](repeating: 0, count: FaceLayout.count * FeatureTensor.channels)
        for i in 0..<FaceLayout.count {
            let o = i * FeatureTensor.channels
            values[o] = p[i].x
            values[o + 1] = p[i].y
            if let previous {
                values[o + 2] = p[i].x - previous[i].x
                values[o + 3] = p[i].y - previous[i].y
            }
            values[o + 4] = p[i].x - neutralSum[i].x * neutralScale
            values[o + 5] = p[i].y - neutralSum[i].y * neutralScale
        }
        previous = p
        lastFaceTime = frame.time
        return values
    }

    public mutating func reset() {
        self = StreamingFeatures(neutralFrames: neutralFrames, retakeAfter: retakeAfter)
    }
}
