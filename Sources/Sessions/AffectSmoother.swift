import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// Turns a recognizer's jumpy per-frame estimates into the child's affect as the strategy should
/// see it: estimates below a confidence threshold are ignored; the rest are smoothed exponentially
/// with a time constant; the reported affect moves only when the smoothed one has moved more than a
/// dead band from it (hysteresis, so the music does not flap); and when no usable estimate has come
/// for a grace period (the face is lost), the affect drifts toward the preset's neutral at a bounded
/// rate.
///
/// [session thread] Deterministic: time comes only from the frames (a virtual clock offline, the
/// camera's clock live), never from the wall clock.
public struct AffectSmoother: Sendable {
    public struct Configuration: Sendable, Equatable, Codable {
        /// Estimates whose confidence is below this are ignored (as if the frame had no face). 0...1.
        public var confidenceThreshold: Double
        /// Seconds for the smoothed affect to cover 63 % of a step in the estimates.
        public var timeConstant: Double
        /// The reported affect moves only when the smoothed affect is further than this from it
        /// (affect units, Euclidean distance on the circumplex).
        public var deadBand: Double
        /// Seconds without a usable estimate before the face counts as lost and the drift starts.
        public var lostGrace: Double
        /// How fast the affect drifts toward neutral while the face is lost, in affect units per second.
        public var driftRate: Double

        public init(
            confidenceThreshold: Double = 0.3, timeConstant: Double = 1.5, deadBand: Double = 0.08,
            lostGrace: Double = 2, driftRate: Double = 0.05
        ) {
            precondition((0...1).contains(confidenceThreshold), "the confidence threshold must be in 0...1")
            precondition(timeConstant > 0 && deadBand >= 0 && lostGrace >= 0 && driftRate > 0, "smoother settings must be positive")
            self.confidenceThreshold = confidenceThreshold
            self.timeConstant = timeConstant
            self.deadBand = deadBand
            self.lostGrace = lostGrace
            self.driftRate = driftRate
        }

        public static let standard = Configuration()
    }

    /// What the smoother says after one frame.
    public struct Output: Sendable, Equatable {
        public var time: Double
        /// The affect to report to the strategy (moves in dead-band steps, or drifts while lost).
        public var affect: Affect
        /// The exponentially smoothed affect before the dead band.
        public var smoothed: Affect
        /// A smoothed confidence in 0...1: falls while the face is lost.
        public var confidence: Double
        /// True once no usable estimate has come for longer than the grace period.
        public var faceLost: Bool

        /// As the strategy sees it.
        public var sample: AffectSample { AffectSample(time: time, affect: affect, confidence: confidence) }
    }

    public var configuration: Configuration
    /// Where to drift when the face is lost (the preset's neutral).
    public var neutral: Affect

    private var smoothed: Affect?
    private var reported: Affect?
    private var confidence = 0.0
    private var lastTime: Double?
    private var lastAccepted: Double?

    public init(configuration: Configuration = .standard, neutral: Affect = .neutral) {
        self.configuration = configuration
        self.neutral = neutral
    }

    /// True when an estimate this confident is used.
    public func accepts(_ estimate: EmotionEstimate) -> Bool {
        estimate.confidence >= configuration.confidenceThreshold
    }

    /// Advances to `time` with this frame's estimate (nil: no face, or nothing from the recognizer).
    /// Returns nil until the first usable estimate: before it, nothing is known about the child.
    /// Times must not go backwards (an earlier time is treated as no time passing).
    public mutating func update(time: Double, estimate: EmotionEstimate?) -> Output? {
        let dt = max(0, time - (lastTime ?? time))
        lastTime = max(time, lastTime ?? time)
        let now = lastTime!
        let usable = estimate.flatMap { accepts($0) ? $0 : nil }

        if let usable {
            lastAccepted = now
            if let current = smoothed {
                let alpha = 1 - exp(-dt / configuration.timeConstant)
                smoothed = current.interpolated(to: usable.affect, by: alpha)
                confidence += (min(max(usable.confidence, 0), 1) - confidence) * alpha
            } else {
                smoothed = usable.affect
                confidence = min(max(usable.confidence, 0), 1)
            }
        }
        guard let current = smoothed, let seen = lastAccepted else { return nil }

        let lost = now - seen > configuration.lostGrace
        if lost {
            // Drift only for the time spent past the grace period in this step.
            let driftTime = min(dt, now - seen - configuration.lostGrace)
            let drifted = current.moved(toward: neutral, by: configuration.driftRate * driftTime)
            smoothed = drifted
            confidence *= exp(-dt / configuration.timeConstant)
            // The drift is already slow and bounded: report it directly, so the music reaches neutral.
            reported = drifted
        } else if let shown = reported {
            if current.distance(to: shown) > configuration.deadBand { reported = current }
        } else {
            reported = current
        }
        return Output(time: now, affect: reported!, smoothed: smoothed!, confidence: confidence, faceLost: lost)
    }

    /// Forgets everything (a new session starts).
    public mutating func reset() {
        smoothed = nil
        reported = nil
        confidence = 0
        lastTime = nil
        lastAccepted = nil
    }
}

extension Affect {
    /// Moves toward `goal` by at most `step` (Euclidean distance), landing on it when closer.
    func moved(toward goal: Affect, by step: Double) -> Affect {
        let distance = self.distance(to: goal)
        guard distance > step, distance > 0 else { return goal }
        return interpolated(to: goal, by: step / distance)
    }
}
