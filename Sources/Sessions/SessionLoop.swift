import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// The closed loop up to the composer's targets: landmark frames → recognizer → smoother → the
/// strategy's decisions (at a fixed interval, or before every beat the music commits: see
/// ``Settings/decidesAtBeats``), every step written to a session log. Offline and live
/// sessions run this same code; only the clock that delivers the frames differs (the frames' own
/// times are the only clock it reads).
///
/// Faults never stop it: a recognizer that throws has its last estimate held and a fault logged;
/// a lost face makes the smoothed affect drift toward neutral while decisions go on; a source that
/// ends is closed by ``finish(reason:)``, which holds the last decision to the end.
///
/// [session thread] Call ``process(_:)`` with frames in time order, then ``finish(reason:)`` once.
public final class SessionLoop {
    public struct Settings: Sendable, Equatable {
        /// Seconds between the strategy's decisions, unless ``decidesAtBeats``.
        public var decisionInterval: Double
        /// Decide once just before each beat of the music is committed (``SessionConductor``
        /// asks, through ``SessionLoop/decide(beforeBeatAt:)``), so what the child shows reaches
        /// the music at the next beat; nothing is decided on the ``decisionInterval`` grid then.
        public var decidesAtBeats: Bool
        /// Seconds of smoothed affect history the strategy sees.
        public var historyWindow: Double
        /// Seconds between the smoothed samples kept in that history.
        public var sampleInterval: Double
        /// Seconds between logged `estimate` and `smoothed` events (2 per second by default).
        public var logInterval: Double
        /// A recognizer that keeps failing is logged at most once per this many seconds.
        public var faultLogInterval: Double

        public init(
            decisionInterval: Double = 2, historyWindow: Double = 30, sampleInterval: Double = 0.5,
            logInterval: Double = 0.5, faultLogInterval: Double = 5, decidesAtBeats: Bool = false
        ) {
            precondition(
                [decisionInterval, historyWindow, sampleInterval, logInterval, faultLogInterval].allSatisfy { $0 > 0 },
                "session intervals must be positive")
            self.decisionInterval = decisionInterval
            self.historyWindow = historyWindow
            self.sampleInterval = sampleInterval
            self.logInterval = logInterval
            self.faultLogInterval = faultLogInterval
            self.decidesAtBeats = decidesAtBeats
        }
    }

    /// How a finished session went.
    public struct Summary: Sendable, Equatable {
        public var duration: Double
        public var frames: Int
        public var decisions: [DecisionRecord]
        public var faults: Int
        public var warnings: Int
        /// Seconds during which the face counted as lost.
        public var faceLostSeconds: Double
    }

    public let settings: Settings
    public let goal: SessionGoal
    public let profile: ChildProfile

    private let recognizer: (any EmotionRecognizer)?
    private let strategy: any RecommenderStrategy
    private var smoother: AffectSmoother
    private let log: any SessionLogSink

    private var history: [AffectSample] = []
    private var decisions: [DecisionRecord] = []
    private var nextDecision = 0.0
    private var lastTime: Double?
    private var frames = 0
    private var faults = 0
    private var warnings = 0
    private var lastEstimate: EmotionEstimate?
    /// Estimates and smoothed affect are logged at the first frame on or after each point of a
    /// grid of ``Settings/logInterval``, so the rate does not depend on the camera's.
    private var nextEstimateLog = 0.0
    private var nextSmoothedLog = 0.0
    private var lastLoggedFault: Double?
    private var faultsSinceLogged = 0
    private var lostSince: Double?
    private var faceLostSeconds = 0.0
    private var latest: AffectSmoother.Output?
    private var lastKeptSample: Double?
    private var finished = false

    /// The earliest time a new decision can take effect in the music (the first beat the composer
    /// has not committed yet, set by ``SessionConductor``); later than the decision's own time,
    /// it is logged as the decision's `effective` time.
    public var earliestEffect = 0.0

    /// The decisions taken so far, in time order.
    public var decisionsSoFar: [DecisionRecord] { decisions }
    /// Whether ``finish(at:reason:)`` has been called (no decisions are taken after it).
    public var isFinished: Bool { finished }

    /// `recognizer` may be nil when the loop is fed estimates directly (``process(estimate:at:)``).
    /// The strategy is reset; `start`, when given, is logged first.
    public init(
        recognizer: (any EmotionRecognizer)?, strategy: any RecommenderStrategy, goal: SessionGoal,
        profile: ChildProfile = .anonymous, smoother: AffectSmoother.Configuration = .standard,
        settings: Settings = Settings(), log: any SessionLogSink, start: SessionStart? = nil
    ) {
        self.recognizer = recognizer
        self.strategy = strategy
        self.goal = goal
        self.profile = profile
        self.smoother = AffectSmoother(configuration: smoother, neutral: goal.neutral)
        self.settings = settings
        self.log = log
        strategy.reset()
        recognizer?.reset()
        if let start { log.record(.start(start)) }
    }

    /// [session thread] One camera frame: through the recognizer (a throw holds the last estimate
    /// and logs a fault), then as ``process(estimate:at:)``.
    public func process(_ frame: LandmarkFrame) {
        precondition(recognizer != nil, "process(_: LandmarkFrame) needs a recognizer")
        var estimate: EmotionEstimate?
        do {
            estimate = try recognizer!.process(frame)
        } catch {
            faultsSinceLogged += 1
            faults += 1
            if lastLoggedFault.map({ frame.time - $0 >= settings.faultLogInterval }) ?? true {
                let repeated = faultsSinceLogged > 1 ? " (\(faultsSinceLogged) failures since the last report)" : ""
                let held = lastEstimate == nil ? "no estimate yet to hold" : "holding the last estimate"
                record(.fault(Notice(t: frame.time, code: "recognizer-threw", message: "the recognizer failed: \(error)\(repeated); \(held)")))
                lastLoggedFault = frame.time
                faultsSinceLogged = 0
            }
            if var held = lastEstimate {
                held.time = frame.time
                estimate = held
            }
        }
        process(estimate: estimate, at: frame.time)
    }

    /// [session thread] One moment's estimate (nil: no face, or nothing yet from the recognizer):
    /// decisions due before `time` are taken first, then the estimate is smoothed, then a decision
    /// due exactly at `time` is taken.
    public func process(estimate: EmotionEstimate?, at time: Double) {
        precondition(!finished, "the session has finished")
        let time = max(time, lastTime ?? time)
        lastTime = time
        frames += 1
        while !settings.decidesAtBeats, nextDecision < time { decide(at: nextDecision) }

        if let estimate {
            lastEstimate = estimate
            if time >= nextEstimateLog - 1e-9 {
                record(.estimate(EstimateRecord(estimate)))
                nextEstimateLog = nextLogTime(after: time)
            }
        }
        if let output = smoother.update(time: time, estimate: estimate) {
            latest = output
            if output.faceLost, lostSince == nil {
                lostSince = max(0, time - smoother.configuration.lostGrace)  // lost since the grace began
                record(.warning(Notice(
                    t: time, code: "face-lost",
                    message: "no usable face for \(format(smoother.configuration.lostGrace)) s: drifting toward neutral")))
            } else if !output.faceLost, let since = lostSince {
                faceLostSeconds += time - since
                lostSince = nil
                record(.warning(Notice(t: time, code: "face-found", message: "face found again after \(format(time - since)) s")))
            }
            if lastKeptSample.map({ time - $0 >= settings.sampleInterval - 1e-9 }) ?? true || history.isEmpty {
                history.append(output.sample)
                lastKeptSample = time
            } else {
                history[history.count - 1] = output.sample  // keep the newest as the child's current affect
            }
            if time >= nextSmoothedLog - 1e-9 {
                record(.smoothed(SmoothedRecord(t: time, affect: output.affect, confidence: output.confidence, faceLost: output.faceLost)))
                nextSmoothedLog = nextLogTime(after: time)
            }
        }
        if !settings.decidesAtBeats, nextDecision <= time { decide(at: nextDecision) }
    }

    /// [session thread] With ``Settings/decidesAtBeats``: a beat of the music is about to be
    /// committed while the clock reads `time`; takes a decision then (at the last frame's time if
    /// that is later), unless one was already taken at that time.
    public func decide(beforeBeatAt time: Double) {
        precondition(settings.decidesAtBeats, "decisions at beats need Settings.decidesAtBeats")
        precondition(!finished, "the session has finished")
        let now = max(time, lastTime ?? time)
        if let last = decisions.last, last.t >= now { return }
        decide(at: now)
    }

    /// [session thread] The source has ended (or the session was stopped) at the last frame's time,
    /// or at `time` if later: takes the decisions still due, logs the end, and returns the summary.
    /// The caller composes the music from ``Summary/decisions`` and logs its bars.
    public func finish(at time: Double? = nil, reason: String = "source-ended") -> Summary {
        precondition(!finished, "finish() called twice")
        finished = true
        let end = max(time ?? 0, lastTime ?? 0)
        while !settings.decidesAtBeats, nextDecision <= end { decide(at: nextDecision) }
        if let since = lostSince { faceLostSeconds += end - since }
        if reason == "source-ended" {
            record(.warning(Notice(t: end, code: "source-ended", message: "the landmark source ended: the last decision holds to the end")))
        }
        return Summary(
            duration: end, frames: frames, decisions: decisions, faults: faults, warnings: warnings,
            faceLostSeconds: faceLostSeconds)
    }

    /// Logs the session's last line; call after the music's events (see ``SessionMusic``).
    public static func logEnd(_ summary: Summary, reason: String = "source-ended", to log: any SessionLogSink) {
        log.record(.end(SessionEnd(
            duration: summary.duration, reason: reason, frames: summary.frames, decisions: summary.decisions.count,
            faults: summary.faults)))
    }

    /// Records a warning or fault from outside the loop (the composer, the safety envelope).
    public func record(_ event: SessionEvent) {
        if case .warning = event { warnings += 1 }
        log.record(event)
    }

    private func decide(at now: Double) {
        history.removeAll { $0.time < now - settings.historyWindow }
        let visible = history.filter { $0.time <= now + 1e-9 }
        let context = StrategyContext(now: now, history: visible, goal: goal, profile: profile)
        let target = strategy.recommend(context)
        let decision = DecisionRecord(
            t: now, child: visible.last?.affect, target: target, effective: earliestEffect > now ? earliestEffect : nil)
        decisions.append(decision)
        log.record(.decision(decision))
        nextDecision = Double(decisions.count) * settings.decisionInterval
    }

    private func nextLogTime(after time: Double) -> Double {
        ((time + 1e-9) / settings.logInterval).rounded(.down) * settings.logInterval + settings.logInterval
    }

    private func format(_ x: Double) -> String { String(format: "%.1f", x) }
}
