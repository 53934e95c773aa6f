import EmoMusikCore
import EmoMusikPlugins

/// Drives a session from one clock: the loop (recognizer → smoother → strategy) and the music
/// (``SessionComposer``), with every bar logged as it is committed. An offline session's clock is
/// the frames' times; a live session's is the audio device's. Nothing else differs.
///
/// [session thread] Call ``tick(_:)`` as the clock advances (``process(_:)`` does it for each
/// frame), then ``finish(at:reason:)`` once.
public final class SessionConductor {
    public let loop: SessionLoop
    public let music: SessionComposer
    /// Seconds before its start that a bar is committed: room for the audio path to take it.
    public let lead: Double
    private let log: any SessionLogSink
    private var loggedAdjustments = 0
    private var loggedBeats = 0

    public init(loop: SessionLoop, music: SessionComposer, log: any SessionLogSink, lead: Double = 0.5) {
        precondition(lead >= 0, "the lead must not be negative")
        self.loop = loop
        self.music = music
        self.log = log
        self.lead = lead
    }

    /// The clock reads `time` (seconds from the start): commits and logs every beat that starts
    /// before `time + lead` (asking the loop to decide first, if it decides at beats), and tells
    /// the loop where a new decision can take effect (the next beat). Returns the records of the
    /// bars begun now.
    @discardableResult
    public func tick(_ time: Double) -> [MusicRecord] {
        if loop.settings.decidesAtBeats, !loop.isFinished, music.nextBeatStart < time + lead {
            loop.decide(beforeBeatAt: time)
        }
        let committed = music.advance(to: time + lead, decisions: loop.decisionsSoFar)
        record(committed)
        return committed
    }

    /// One frame, on the frames' own clock: the loop first (its decisions take effect at the
    /// first beat not yet committed), then the beats now due.
    public func process(_ frame: LandmarkFrame) {
        loop.process(frame)
        tick(frame.time)
    }

    /// The source ended (`source-ended`: the music closes with ``SessionComposer/closingBars``
    /// bars ending on the tonic) or the session was stopped (any other reason: no more bars).
    /// Logs the end and returns the loop's summary.
    public func finish(at time: Double? = nil, reason: String = "source-ended") -> SessionLoop.Summary {
        let summary = loop.finish(at: time, reason: reason)
        if reason == "source-ended" {
            tick(summary.duration)
            record(music.close(decisions: loop.decisionsSoFar))
        } else {
            // The music stops at a bar line, as a replay of the log rebuilds it.
            music.completeBar()
        }
        SessionLoop.logEnd(summary, reason: reason, to: log)
        return summary
    }

    private func record(_ bars: [MusicRecord]) {
        // Replay finds a beat's record by its bar and beat, not by its place in the log.
        for bar in bars { log.record(.music(bar)) }
        let beats = music.beatRecords
        for beat in beats[loggedBeats...] { log.record(.beat(beat)) }
        loggedBeats = beats.count
        let adjustments = music.adjustments
        for adjustment in adjustments[loggedAdjustments...] {
            let seconds = adjustment.tick.flatMap { tick in music.score.map { $0.tempoMap.seconds(atTick: tick) } } ?? 0
            loop.record(.warning(Notice(t: seconds, code: "envelope", message: "safety envelope: \(adjustment)")))
        }
        loggedAdjustments = adjustments.count
        loop.earliestEffect = music.nextBeatStart
    }
}

extension SessionLoop.Summary {
    /// For every decision that changed the music's target: seconds from the decision to the bar
    /// line from which the music follows it (its effective time). Add the output's queued latency
    /// for the time until it is heard. Both times are the session's clock; a live session whose
    /// output lost time to underruns measures the same on the wall clock as
    /// ``LiveSession/Outcome/responseDelays``.
    public var responseDelays: [Double] {
        var delays: [Double] = []
        var previous: DecisionRecord?
        for decision in decisions {
            if let previous, !decision.changesMusic(after: previous) { continue }
            if previous != nil { delays.append(decision.effectiveTime - decision.t) }
            previous = decision
        }
        return delays
    }
}

extension DecisionRecord {
    /// Whether the music follows this decision differently from `previous`: another target,
    /// palette or percussion.
    public func changesMusic(after previous: DecisionRecord) -> Bool {
        target != previous.target || palette != previous.palette || percussion != previous.percussion
    }
}
