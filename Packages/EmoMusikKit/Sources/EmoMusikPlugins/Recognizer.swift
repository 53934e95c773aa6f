import EmoMusikCore

/// One video frame's facial landmarks, as a recognizer receives them.
public struct LandmarkFrame: Sendable, Equatable {
    /// Seconds since the start of the stream.
    public var time: Double
    /// 68 points in iBUG 300-W / dlib order (jaw 0–16, brows 17–26, nose 27–35, eyes 36–47,
    /// mouth 48–67), in pixels or normalised; empty when no face was found in this frame.
    public var points: [SIMD2<Float>]
    /// The tracker's confidence in 0...1 (0 for a missing face).
    public var confidence: Double

    public init(time: Double, points: [SIMD2<Float>], confidence: Double) {
        self.time = time
        self.points = points
        self.confidence = confidence
    }

    /// A frame in which the tracker found no face.
    public static func missing(at time: Double) -> LandmarkFrame {
        LandmarkFrame(time: time, points: [], confidence: 0)
    }

    /// True when the tracker found no face in this frame.
    public var isMissing: Bool { points.isEmpty }
}

/// What a recognizer believes about one moment: a probability per emotion class and an affect point.
public struct EmotionEstimate: Sendable, Equatable {
    /// Seconds since the start of the stream (the time of the frame that produced it).
    public var time: Double
    /// One probability per class, in ``Emotion/allCases`` order, summing to 1.
    public var probabilities: [Double]
    /// How much to trust this estimate, in 0...1.
    public var confidence: Double
    /// The estimate as a point on the circumplex: the probabilities' expected affect unless the
    /// recognizer knows the point more precisely (a therapist typing `0.4,-0.2`).
    public var affect: Affect

    /// `affect` defaults to ``Emotion/expectedAffect(probabilities:)``.
    public init(time: Double, probabilities: [Double], confidence: Double, affect: Affect? = nil) {
        precondition(
            probabilities.count == Emotion.allCases.count,
            "an EmotionEstimate needs \(Emotion.allCases.count) probabilities (one per Emotion case), got \(probabilities.count)")
        self.time = time
        self.probabilities = probabilities
        self.confidence = confidence
        self.affect = affect ?? Emotion.expectedAffect(probabilities: probabilities)
    }

    /// A certain estimate of one class.
    public init(time: Double, emotion: Emotion, confidence: Double = 1) {
        self.init(
            time: time, probabilities: Emotion.allCases.map { $0 == emotion ? 1 : 0 }, confidence: confidence)
    }

    /// The class with the highest probability (the first one on ties).
    public var mostLikely: Emotion {
        var best = 0
        for index in probabilities.indices where probabilities[index] > probabilities[best] { best = index }
        return Emotion.allCases[best]
    }
}

/// Landmark frames in, emotion estimates out. One instance serves one session; the host creates it
/// on the control thread, then calls ``process(_:)`` and ``reset()`` from the recognition thread only.
///
/// Implement `descriptor`, `init(options:)` and `process(_:)`; `reset()` has a default that does nothing.
public protocol EmotionRecognizer: AnyObject {
    /// [any thread] Who the plugin is and which options it takes; read without creating an instance.
    static var descriptor: PluginDescriptor { get }

    /// [control thread] Creates the recognizer from options already resolved against ``descriptor``.
    /// Keep it cheap; throw an ``EmoMusikError`` that says what to fix when the options cannot work.
    init(options: PluginOptions) throws

    /// [recognition thread] Called once per frame, in time order, at camera rate. Returns nil while it
    /// has nothing to say (a window still filling up, a missing face it will not guess about).
    func process(_ frame: LandmarkFrame) throws -> EmotionEstimate?

    /// [recognition thread] Forgets everything learnt from earlier frames (a new session starts).
    func reset()
}

extension EmotionRecognizer {
    public func reset() {}
    public var descriptor: PluginDescriptor { Self.descriptor }
}
