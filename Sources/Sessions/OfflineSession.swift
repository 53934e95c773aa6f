import Composer
import EmoMusikCore
import EmoMusikPlugins

/// The closed loop on a virtual clock, for renders: the child's affect over time (a timeline, or
/// later a recognizer's smoothed estimates) goes to a strategy at regular decision points, and the
/// strategy's decisions become the composer's targets.
///
/// [control] Runs on the calling thread, as fast as it can; deterministic for a deterministic strategy.
public struct OfflineSession {
    /// Seconds between the strategy's decisions (the composer then moves at bar lines).
    public var decisionInterval: Double
    /// Seconds of affect history the strategy sees.
    public var historyWindow: Double
    /// Seconds between the child's affect samples given to the strategy.
    public var sampleInterval: Double

    public init(decisionInterval: Double = 2, historyWindow: Double = 30, sampleInterval: Double = 0.5) {
        precondition(decisionInterval > 0 && historyWindow > 0 && sampleInterval > 0, "intervals must be positive")
        self.decisionInterval = decisionInterval
        self.historyWindow = historyWindow
        self.sampleInterval = sampleInterval
    }

    /// One decision of the strategy, for summaries and (later) the session log.
    public struct Decision: Sendable, Equatable {
        public var time: Double
        public var child: Affect
        public var target: MusicalTarget
    }

    /// Asks `strategy` what the music should express while the child shows `child`, from time 0 to
    /// the timeline's end, and returns the decisions in time order. The strategy is reset first.
    public func decisions(
        following child: AffectTimeline, strategy: any RecommenderStrategy, goal: SessionGoal,
        profile: ChildProfile = .anonymous
    ) -> [Decision] {
        strategy.reset()
        var history: [AffectSample] = []
        var decisions: [Decision] = []
        var nextSample = 0.0
        var now = 0.0
        while now <= child.duration {
            while nextSample <= now {
                history.append(AffectSample(time: nextSample, affect: child.affect(at: nextSample)))
                nextSample += sampleInterval
            }
            history.removeAll { $0.time < now - historyWindow }
            let context = StrategyContext(now: now, history: history, goal: goal, profile: profile)
            decisions.append(Decision(time: now, child: child.affect(at: now), target: strategy.recommend(context)))
            now += decisionInterval
        }
        return decisions
    }

    /// The composer's targets for `decisions`: one keyframe per change of target, plus one at the
    /// end so the piece lasts as long as the child's timeline.
    public static func targets(for decisions: [Decision], duration: Double) -> [TargetKeyframe] {
        var keyframes: [TargetKeyframe] = []
        for decision in decisions {
            keyframes.appendIfTargetChanges(TargetKeyframe(
                time: decision.time, affect: decision.target.affect, palette: decision.target.palette,
                percussion: decision.target.percussion))
        }
        if let last = keyframes.last, last.time < duration {
            keyframes.append(
                TargetKeyframe(time: duration, affect: last.affect, palette: last.palette, percussion: last.percussion))
        }
        return keyframes
    }
}

extension Array where Element == TargetKeyframe {
    /// Appends `keyframe` unless it asks for what the last one already does (same affect, palette
    /// and percussion): an unchanged decision makes no keyframe.
    mutating func appendIfTargetChanges(_ keyframe: TargetKeyframe) {
        if let last, last.asksForTheSame(as: keyframe) { return }
        append(keyframe)
    }
}

extension TargetKeyframe {
    /// Whether `other` asks for what this keyframe does: the same affect, palette and percussion.
    func asksForTheSame(as other: TargetKeyframe) -> Bool {
        affect == other.affect && palette == other.palette && percussion == other.percussion
    }
}
