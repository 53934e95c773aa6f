import EmoMusikPlugins
import FaceLandmarks

/// Node features frame by frame, for live recognition: the same six channels as
/// ``NodeFeatures/tensor(_:neutralFrames:)`` (position, velocity, displacement from neutral), where
/// the neutral face is the mean of the first `neutralFrames` observed frames (the mean so far
/// until that many have been seen).
///
/// [recognition thread] One instance per session; `reset()` between sessions.
public struct StreamingFeatures: Sendable {
    public let neutralFrames: Int
    private var neutralSum = [SIMD2<Float>](repeating: .zero, count: FaceLayout.count)
    private var neutralCount = 0
    private var previous: [SIMD2<Float>]?

    public init(neutralFrames: Int = 3) {
        self.neutralFrames = max(1, neutralFrames)
    }

    /// The features of `frame` ([68 × 6], row-major), or nil for a frame without a face.
    public mutating func features(for frame: LandmarkFrame) -> [Float]? {
        guard !frame.isMissing else { return nil }
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
        return values
    }

    public mutating func reset() {
        self = StreamingFeatures(neutralFrames: neutralFrames)
    }
}
