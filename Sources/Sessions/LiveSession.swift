import EmoMusikCore
import EmoMusikPlugins
import FaceLandmarks
import Foundation
import Synchronization
import Synth

/// Where a live session's landmark frames come from, read on the real clock.
///
/// [session thread] ``frames(upTo:)`` only.
public protocol LiveLandmarkSource: AnyObject {
    /// The frames that have arrived by `time` (seconds since the session started) and were not
    /// returned before, in time order; nil once the source has ended and all were returned.
    func frames(upTo time: Double) -> [LandmarkFrame]?
    /// Lines the source could not read since the last call (`file:line: reason`), to be logged.
    func takeProblems() -> [String]
}

/// A recording replayed in real time: each frame is due at its own time.
public final class RecordedLandmarkSource: LiveLandmarkSource {
    private let frames: [LandmarkFrame]
    private var next = 0

    public init(frames: [LandmarkFrame]) {
        self.frames = frames.sorted { $0.time < $1.time }
    }

    public func frames(upTo time: Double) -> [LandmarkFrame]? {
        guard next < frames.count else { return nil }
        let start = next
        while next < frames.count && frames[next].time <= time { next += 1 }
        return Array(frames[start..<next])
    }

    public func takeProblems() -> [String] { [] }
}

/// JSON lines (`{"t": …, "points": [[x, y] × 68], "confidence": …}`) read from a file descriptor
/// (standard input) by a reader thread. Each frame is stamped with its arrival time, so the
/// sender's clock does not matter; a line that does not parse is reported and skipped.
public final class LineLandmarkSource: LiveLandmarkSource, @unchecked Sendable {
    private struct Shared {
        var frames: [LandmarkFrame] = []
        var problems: [String] = []
        var ended = false
    }
    private let shared = Mutex(Shared())
    private let name: String
    private let started: Double

    /// Starts reading `handle` at once; times count from now.
    public init(handle: FileHandle, name: String = "<stdin>") {
        self.name = name
        started = Self.now()
        let thread = Thread { [self] in self.read(handle) }
        thread.name = "emomusik.landmarks"
        thread.start()
    }

    public func frames(upTo time: Double) -> [LandmarkFrame]? {
        shared.withLock { state in
            if state.frames.isEmpty { return state.ended ? nil : [] }
            defer { state.frames.removeAll(keepingCapacity: true) }
            return state.frames
        }
    }

    public func takeProblems() -> [String] {
        shared.withLock { state in
            defer { state.problems.removeAll() }
            return state.problems
        }
    }

    private func read(_ handle: FileHandle) {
        var pending = Data()
        var number = 0
        func take(_ line: Data) {
            number += 1
            guard let text = String(data: line, encoding: .utf8) else {
                shared.withLock { $0.problems.append("\(name):\(number): not UTF-8 text") }
                return
            }
            if text.allSatisfy(\.isWhitespace) { return }
            do {
                guard var frame = try JSONLinesFormat.decode(line: Substring(text), file: name, lineNumber: number) else { return }
                frame.time = Self.now() - started
                shared.withLock { $0.frames.append(frame) }
            } catch {
                shared.withLock { $0.problems.append("\(error)") }
            }
        }
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                take(pending[pending.startIndex..<newline])
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        if !pending.isEmpty { take(pending) }
        shared.withLock { $0.ended = true }
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// A session on the real clock: frames from a ``LiveLandmarkSource`` go through the loop; beats
/// are committed ``SessionConductor/lead`` seconds before they are due on the audio device's
/// clock (the frames the ``LiveEngine`` has rendered) and their events queued to the audio thread
/// through its lock-free ring. Underruns and source problems are logged as warnings. The same
/// ``SessionConductor`` as an offline session: only the clock differs, so the log replays.
///
/// If the output fails mid-session (a USB interface unplugged), the fault is logged and the
/// session goes on, on the system clock, with the music composed and logged but silent; the
/// output is reopened every ``Configuration/reopenInterval`` seconds and, once it is back, the
/// music resumes at the next bar line.
///
/// Ends when the source ends (the music closes on the tonic, rings, and fades), or when `stop`
/// says so (a two-second fade).
///
/// With an external MIDI output (an ALSA sequencer port driving an outboard synthesiser), the
/// same events are sent there as they are queued to the audio thread, each stamped with the time
/// on the MIDI output's clock at which the audio output plays it, so both sound together; the
/// mapping between the two clocks is re-measured at every poll and smoothed, so it follows a
/// sound card whose crystal drifts from the system clock. If the MIDI output fails, the fault is
/// logged, the audio goes on, and the MIDI output is reopened like the audio output (from the
/// next bar line, its programs and controllers sent again). If the audio output fails, the MIDI
/// output goes on, on the system clock.
///
/// [session thread] ``run(source:stop:progress:)`` once.
public final class LiveSession {
    public struct Configuration: Sendable {
        /// Seconds between polls of the source and the clock.
        public var pollInterval: Double = 0.005
        /// Fade when stopped (SIGINT/SIGTERM).
        public var stopFadeSeconds: Double = 2
        /// Seconds the final chord rings before the closing fade, and that fade.
        public var ringSeconds: Double = 1.5
        public var closingFadeSeconds: Double = 1
        /// Underruns (and samples held at the level ceiling) are logged at most once per this many
        /// seconds, with the count since the last report.
        public var underrunLogInterval: Double = 5
        /// Seconds between attempts to reopen a failed output.
        public var reopenInterval: Double = 2

        public init() {}
    }

    /// How a live session ended.
    public struct Outcome: Sendable {
        public var summary: SessionLoop.Summary
        public var reason: String
        /// The statistics of every output the session used, summed (worst values: the maximum).
        public var engine: LiveEngine.Statistics
        public var eventsQueued: Int
        /// Times the output failed, and times it was reopened.
        public var outputFailures: Int
        public var outputReopened: Int
        /// The least time, in seconds, by which a beat's first frame was still ahead of the audio
        /// thread when the beat was queued (nil if none was queued while the output ran): how
        /// much of ``SessionConductor/lead`` the session needed.
        public var closestQueueing: Double?
        /// For every decision that changed the music (as ``SessionLoop/Summary/responseDelays``),
        /// on the wall clock: seconds from the poll that made it to the poll that found the beat it
        /// took effect at rendered and handed to the output (to within
        /// ``Configuration/pollInterval``). Add the output's queued latency for the time until it
        /// is heard. Unlike the summary's delays, these stay true after underruns have set the
        /// music behind the wall clock.
        public var responseDelays: [Double]
        /// For each of ``responseDelays``, the length in seconds of the beat the decision took
        /// effect at (the beat before it, when that was the last of the music).
        public var responseBeats: [Double]
        /// For each of ``responseDelays``, on the wall clock: seconds from the poll that made the
        /// decision before it to the poll that found it handed to the output. An estimate that
        /// changed the decision arrived after that earlier decision, so this bounds the time from
        /// the estimate to the music (the smoother's own settling aside).
        public var estimateDelays: [Double] = []
        /// Seconds the output's clock was behind the wall clock at the end: the time underruns (or
        /// a stalled machine) took from the music, which then plays that much later than the
        /// landmarks it follows.
        public var outputLag: Double
        /// Events sent to the external MIDI output (0 without one), times it failed, and times it
        /// was reopened.
        public var midiEventsSent: Int = 0
        public var midiFailures: Int = 0
        public var midiReopened: Int = 0
    }

    public let conductor: SessionConductor
    public let configuration: Configuration
    private let openOutput: () throws -> LiveEngine
    private let openMIDI: (() throws -> any ExternalMIDIOutput)?
    /// The external MIDI output while it works, and the first tick of the music not yet sent to it.
    private var midi: (any ExternalMIDIOutput)?
    private var midiTick = 0
    /// MIDI clock − session clock, smoothed: the music's second S is stamped S + offset there.
    private var midiOffset: Double?
    private var midiReadings = 0
    private var midiSent = 0
    /// A failure sending to the MIDI output, kept until the poll logs it.
    private var midiFailure: (any Error)?
    private var engine: LiveEngine?
    /// The session frame at which the current engine's frame 0 plays.
    private var engineOffset: Int64 = 0
    private var sampleRate: Int = 0
    /// The first tick of the music not yet queued.
    private var scheduledTick = 0
    /// Per track, the first note that can still sound in a window starting at `tick` or later: the
    /// notes before it end before `tick`. Windows move on, except after a reopened output goes back
    /// to an earlier bar, which starts the search over.
    private var soundingNotes: (tick: Int, first: [Int]) = (0, [])
    private var queued = 0
    private var closestQueueing: Int64?
    private var finishedEngines: [LiveEngine.Statistics] = []

    /// `openOutput` makes a fresh engine on the output (called once at the start, and again to
    /// reopen an output that failed); `openMIDI`, if given, likewise opens the external MIDI output.
    /// The first calls' errors are thrown by ``run(source:stop:progress:)``.
    public init(
        conductor: SessionConductor, configuration: Configuration = Configuration(),
        openMIDI: (() throws -> any ExternalMIDIOutput)? = nil, openOutput: @escaping () throws -> LiveEngine
    ) {
        self.conductor = conductor
        self.configuration = configuration
        self.openMIDI = openMIDI
        self.openOutput = openOutput
    }

    /// One engine, opened already (it cannot be reopened if it fails).
    public convenience init(conductor: SessionConductor, engine: LiveEngine, configuration: Configuration = Configuration()) {
        var given: LiveEngine? = engine
        self.init(conductor: conductor, configuration: configuration) {
            guard let engine = given else { throw EmoMusikError(.audioOutput, "the audio output cannot be reopened") }
            given = nil
            return engine
        }
    }

    /// Runs the session until the source ends or `stop()` returns true. `progress` is called about
    /// once a second with the session time. Throws only if the output cannot be opened at the start.
    public func run(source: any LiveLandmarkSource, stop: () -> Bool, progress: (Double) -> Void = { _ in }) throws -> Outcome {
        let loop = conductor.loop
        let first = try openOutput()
        sampleRate = first.sampleRate
        midi = try openMIDI?()
        let rate = Double(sampleRate)
        // The first bar is queued before the audio starts.
        let firstFrames = source.frames(upTo: 0)
        for frame in firstFrames ?? [] { loop.process(frame) }
        conductor.tick(0)
        engine = first
        updateMIDIClock(0)
        queueCommittedBeats()
        try first.start()

        let began = Self.monotonic()
        var reason = "source-ended"
        var underrunReports = CountReports()
        var ceilingReports = CountReports()
        var reportedUnpaced = false
        var nextProgress = 1.0
        var nextReopen = 0.0
        var failures = 0, reopened = 0
        var midiFailures = 0, midiReopened = 0, nextMIDIReopen = 0.0
        var latest = 0.0
        // Changed decisions waiting to be heard: when made, and their beat on the session's frames.
        var awaited: [(decided: Double, previous: Double, frame: Int64)] = []
        var responseDelays: [Double] = [], responseBeats: [Double] = [], estimateDelays: [Double] = []
        var seenDecisions = loop.decisionsSoFar.count
        var lastDecision = loop.decisionsSoFar.last
        var lastDecided = 0.0
        // The session clock: the output's, never ahead of the wall clock (an output that does not
        // pace, like ALSA's null device, would otherwise run the composer ahead of the child);
        // the wall clock while there is no output.
        func clock(_ now: Double) -> Double {
            guard let engine else { return now }
            return min(Double(engineOffset + engine.framesRendered) / rate, now)
        }
        // Decisions made since the last call that change the music: awaited from `now`.
        func awaitNewDecisions(_ now: Double) {
            let decisions = loop.decisionsSoFar
            for decision in decisions[seenDecisions...] {
                if let last = lastDecision, decision.changesMusic(after: last) {
                    awaited.append((now, lastDecided, Int64((decision.effectiveTime * rate).rounded())))
                }
                lastDecision = decision
                lastDecided = now
            }
            seenDecisions = decisions.count
        }
        // If the audio output has failed: retires it and logs the fault (true), else false.
        func retireFailedOutput(_ now: Double) -> Bool {
            guard let failed = engine, let code = failed.sinkFailure else { return false }
            failed.waitUntilFinished()
            finishedEngines.append(failed.statistics)
            engine = nil
            failures += 1
            let silent = midi == nil ? "silently" : "on the MIDI output alone"
            loop.record(.fault(Notice(
                t: now, code: "audio-output",
                message: "the audio output failed (error \(code)); the session goes on \(silent) and the output is reopened every \(Self.format(configuration.reopenInterval)) s")))
            return true
        }
        // A failure of the MIDI output since the last poll: logged, the output closed.
        func retireFailedMIDI(_ now: Double) {
            guard let error = midiFailure else { return }
            midiFailure = nil
            midiFailures += 1
            midi?.close(channels: channels())
            midi = nil
            nextMIDIReopen = now + configuration.reopenInterval
            loop.record(.fault(Notice(
                t: now, code: "midi-output",
                message: "the MIDI output failed (\(Self.describe(error))); the music goes on and the MIDI output is reopened every \(Self.format(configuration.reopenInterval)) s")))
        }
        // The changed decisions whose beats the output has now rendered.
        func hear(_ now: Double) {
            guard let engine else { return }
            let rendered = engineOffset + engine.framesRendered
            while let first = awaited.first, first.frame <= rendered {
                responseDelays.append(now - first.decided)
                estimateDelays.append(now - first.previous)
                responseBeats.append(beatLength(at: Double(first.frame) / rate))
                awaited.removeFirst()
            }
        }
        while true {
            let now = Self.monotonic() - began
            if stop() {
                reason = "interrupted"
                break
            }
            if retireFailedOutput(now) {
                nextReopen = now + configuration.reopenInterval
                underrunReports = CountReports()  // a new output counts from zero
                ceilingReports = CountReports()
            }
            if midi == nil, openMIDI != nil, now >= nextMIDIReopen {
                nextMIDIReopen = now + configuration.reopenInterval
                if reopenMIDI(now) {
                    midiReopened += 1
                    loop.record(.warning(Notice(
                        t: now, code: "midi-restored", message: "the MIDI output is back; its music resumes at the next bar line")))
                }
            }
            if engine == nil, now >= nextReopen {
                nextReopen = now + configuration.reopenInterval
                if let reopenedEngine = try? openOutput() {
                    // Frame 0 of the new output plays at the next block of the session clock;
                    // the music resumes at the first bar line after that.
                    engineOffset = EventSchedule.quantise(Int64((now * rate).rounded(.up))) + EventSchedule.blockSize
                    let resumeTick = conductor.music.bars.first { $0.startSeconds * rate >= Double(engineOffset) }?.startTick
                    engine = reopenedEngine
                    // The state as the resuming bar begins (the next bar to begin, if none begun yet does).
                    scheduledTick = resumeTick ?? conductor.music.nextBarTick
                    queueState(atTick: scheduledTick)
                    queueCommittedBeats()
                    do {
                        try reopenedEngine.start()
                        reopened += 1
                        loop.record(.warning(Notice(
                            t: now, code: "audio-restored", message: "the audio output is back; the music resumes at the next bar line")))
                    } catch {
                        engine = nil
                    }
                }
            }
            guard firstFrames != nil, let frames = source.frames(upTo: now) else { break }
            for frame in frames {
                loop.process(frame)
                latest = frame.time
            }
            for problem in source.takeProblems() {
                loop.record(.warning(Notice(t: latest, code: "bad-landmarks", message: "skipped a landmark line: \(problem)")))
            }
            if let engine, Double(engineOffset + engine.framesRendered) / rate > now + 1, !reportedUnpaced {
                loop.record(.warning(Notice(
                    t: now, code: "unpaced-output",
                    message: "the audio output runs \(Self.format(Double(engineOffset + engine.framesRendered) / rate - now)) s ahead of the clock (it does not pace, like ALSA's null device); the music follows the system clock")))
                reportedUnpaced = true
            }
            conductor.tick(clock(now))
            if engine == nil { scheduledTick = conductor.music.score?.endTick ?? 0 }
            updateMIDIClock(now)
            queueCommittedBeats()
            retireFailedMIDI(now)
            awaitNewDecisions(now)
            hear(now)
            if let engine {
                let statistics = engine.statistics
                let interval = configuration.underrunLogInterval
                if let count = underrunReports.due(total: statistics.underruns, at: now, interval: interval) {
                    loop.record(.warning(Notice(
                        t: now, code: "underrun",
                        message: "\(count) audio underrun(s) (worst \(Self.format(Double(statistics.maxLateNanoseconds) / 1e6)) ms late); the output recovered")))
                }
                if let count = ceilingReports.due(total: statistics.clippedSamples, at: now, interval: interval) {
                    loop.record(.warning(Notice(
                        t: now, code: "level-ceiling", message: "\(count) sample(s) held at the level ceiling; lower the gain")))
                }
            }
            if now >= nextProgress {
                progress(now)
                nextProgress = now.rounded(.down) + 1
            }
            usleep(UInt32(configuration.pollInterval * 1e6))
        }

        let stopped = Self.monotonic() - began
        let outputLag = max(0, stopped - clock(stopped))
        let end = max(latest, clock(stopped))
        let summary = conductor.finish(at: end, reason: reason)
        awaitNewDecisions(stopped)
        var fade = configuration.stopFadeSeconds
        if reason == "source-ended" {
            queueCommittedBeats(flush: true)
            retireFailedMIDI(stopped)
            // Let the closing bars play and the last chord ring, then fade (or fade now if stopped).
            let musicEnd = conductor.music.score.map { $0.duration } ?? 0
            while engine != nil || midi != nil, !stop() {
                let now = Self.monotonic() - began
                if retireFailedOutput(now) { continue }
                guard clock(now) < musicEnd + configuration.ringSeconds else { break }
                usleep(UInt32(configuration.pollInterval * 1e6))
                updateMIDIClock(Self.monotonic() - began)
                retireFailedMIDI(Self.monotonic() - began)
                hear(Self.monotonic() - began)
            }
            if !stop() { fade = configuration.closingFadeSeconds }
        }
        // The MIDI output fades on its own clock while the audio thread fades; then it is closed
        // once the fade has sounded there (closing drops whatever is still queued).
        var midiFadeEnd: Double?
        if let midi {
            do {
                try midi.fadeOut(seconds: fade, channels: channels())
                midiFadeEnd = try midi.currentTime() + fade
            } catch {
                midiFailure = error
                retireFailedMIDI(Self.monotonic() - began)
            }
        }
        engine?.stop(fadeSeconds: fade)
        if let engine { finishedEngines.append(engine.statistics) }
        if let midi, let midiFadeEnd {
            let waitUntil = Self.monotonic() + fade + 1
            while Self.monotonic() < waitUntil, let time = try? midi.currentTime(), time < midiFadeEnd + 0.05 {
                usleep(UInt32(configuration.pollInterval * 1e6))
            }
            midi.close(channels: channels())
            self.midi = nil
        }
        return Outcome(
            summary: summary, reason: reason, engine: Self.combined(finishedEngines), eventsQueued: queued,
            outputFailures: failures, outputReopened: reopened,
            closestQueueing: closestQueueing.map { Double($0) / rate }, responseDelays: responseDelays,
            responseBeats: responseBeats, estimateDelays: estimateDelays, outputLag: outputLag,
            midiEventsSent: midiSent, midiFailures: midiFailures, midiReopened: midiReopened)
    }

    // MARK: - The external MIDI output

    /// The MIDI channels the music uses (what a fade and a close silence).
    private func channels() -> [UInt8] {
        Array(Set(conductor.music.score?.tracks.map(\.channel) ?? [])).sorted()
    }

    /// Re-measures the MIDI output's clock against the session's at wall time `now`: the music's
    /// second S is rendered when the session clock reaches S and heard the audio output's queued
    /// latency later, so on the MIDI clock it is due at S − session clock + latency + MIDI time.
    /// One reading is off by up to a period (the audio clock moves a period at a time), so the
    /// offset is the mean of the readings, then follows them slowly (a time constant of 500 polls,
    /// 2.5 s at the default poll); a jump of more than 20 ms (an output reopened, a stall) is
    /// taken at once.
    private func updateMIDIClock(_ now: Double) {
        guard let midi else { return }
        var (session, latency) = (now, 0.0)
        if let engine {
            let rate = Double(sampleRate)
            let rendered = Double(engineOffset + engine.framesRendered) / rate
            // An output that does not pace (ALSA's null device) says nothing of when music sounds:
            // then the MIDI output follows the system clock, as the session does.
            if rendered <= now + 1 {
                session = rendered
                latency = Double(engine.sink.outputLatencyFrames) / rate
            }
        }
        do {
            let reading = try midi.currentTime() - session + latency
            if let offset = midiOffset, abs(reading - offset) <= 0.02 {
                // The mean of the readings so far, then an exponential average over the last ~500.
                midiReadings += 1
                midiOffset = offset + (reading - offset) / Double(min(midiReadings, 500))
            } else {
                (midiOffset, midiReadings) = (reading, 1)
            }
        } catch {
            midiFailure = error
        }
    }

    /// Opens the MIDI output again: its music resumes at the next bar line not yet begun, with
    /// each channel's program and controllers sent first. False if it could not be opened (or
    /// failed at once).
    private func reopenMIDI(_ now: Double) -> Bool {
        guard let openMIDI, let output = try? openMIDI() else { return false }
        midiTick = conductor.music.nextBarTick
        do {
            let state = stateEvents(atTick: midiTick)
            try output.send(state, at: Array(repeating: try output.currentTime(), count: state.count))
            midiSent += state.count
        } catch {
            output.close(channels: [])
            return false
        }
        midi = output
        midiOffset = nil
        updateMIDIClock(now)
        return true
    }

    /// The length in seconds of the music's beat that starts at `seconds` (or is under way then).
    private func beatLength(at seconds: Double) -> Double {
        guard let score = conductor.music.score else { return 0 }
        let quarters = 4 / Double(score.timeSignatures.first?.meter.beatUnit ?? 4)
        let tick = min(score.tempoMap.tick(atSeconds: seconds + 1e-6), max(score.endTick - 1, 0))
        return 60 / score.tempoMap.bpm(atTick: tick) * quarters
    }

    /// Queues the events of the beats committed since the last call (from ``scheduledTick`` for
    /// the audio output, from ``midiTick`` for the MIDI output): everything that falls on their
    /// frames (their notes, and the releases of earlier notes that end in them), shifted onto the
    /// current audio output's frames, or stamped with the MIDI output's time for them; with
    /// `flush`, also every release after the last beat.
    private func queueCommittedBeats(flush: Bool = false) {
        guard engine != nil || midi != nil, let score = conductor.music.score else { return }
        let starts = [engine.map { _ in scheduledTick }, midi.map { _ in midiTick }].compactMap { $0 }
        let firstTick = min(starts.min() ?? score.endTick, score.endTick)
        guard firstTick < score.endTick || flush else { return }
        let margin = 8 * score.ticksPerQuarter  // a released note's off can be rounded a block later
        let tempoMap = score.tempoMap
        let rate = sampleRate
        func frame(_ tick: Int) -> Int64 {
            EventSchedule.quantise(Int64((tempoMap.microseconds(atTick: tick) * Double(rate) / 1_000_000).rounded()))
        }
        let lastTick = score.endTick
        let end = flush ? Int64.max : frame(lastTick)
        // The notes that can have an event in the window: those still sounding near its start
        // (searched from the first that could, so the cost does not grow with the session).
        let from = firstTick - margin
        if from < soundingNotes.tick || soundingNotes.first.count != score.tracks.count {
            soundingNotes = (from, Array(repeating: 0, count: score.tracks.count))
        }
        var part = score
        for t in part.tracks.indices {
            let notes = score.tracks[t].notes
            var first = soundingNotes.first[t]
            while first < notes.count && notes[first].endTick < from { first += 1 }
            soundingNotes.first[t] = first
            part.tracks[t].notes = notes[first...].filter { $0.endTick >= from && $0.tick < lastTick }
            part.tracks[t].programChanges = score.tracks[t].programChanges.filter { $0.tick >= firstTick }
            part.tracks[t].controls = score.tracks[t].controls.filter { $0.tick >= firstTick }
        }
        soundingNotes.tick = from
        let events = EventSchedule(score: part, sampleRate: rate).events
        // Header program changes and controls sit at frame 0: only the first window holds them.
        if let engine {
            let start = min(scheduledTick, lastTick)
            if start < lastTick, engine.framesRendered > 0 {
                // Once the audio runs: how far ahead of it this beat is queued.
                let ahead = frame(start) - engineOffset - engine.framesRendered
                closestQueueing = min(closestQueueing ?? ahead, ahead)
            }
            let window = frame(start)..<end
            for var event in events where window.contains(event.sampleTime) {
                event.sampleTime -= engineOffset
                if engine.schedule(event) { queued += 1 }
            }
            scheduledTick = max(scheduledTick, lastTick)
        }
        if let midi, let offset = midiOffset, midiFailure == nil {
            let window = frame(min(midiTick, lastTick))..<end
            let chosen = events.filter { window.contains($0.sampleTime) }
            do {
                try midi.send(chosen, at: chosen.map { Double($0.sampleTime) / Double(rate) + offset })
                midiSent += chosen.count
            } catch {
                midiFailure = error
            }
            midiTick = max(midiTick, lastTick)
        }
    }

    /// A growing count (underruns, held samples) reported at most once per interval, with what
    /// was added since the last report.
    private struct CountReports {
        private var reported = 0
        private var lastReport = -Double.infinity

        /// The count to report now, or nil if nothing new or the last report is too recent.
        mutating func due(total: Int, at time: Double, interval: Double) -> Int? {
            guard total > reported, time - lastReport >= interval else { return nil }
            defer { (reported, lastReport) = (total, time) }
            return total - reported
        }
    }

    /// A reopened output has a fresh synthesiser: gives it, at its frame 0, each channel's program
    /// and controllers as the score has them at `tick`.
    private func queueState(atTick tick: Int) {
        guard let engine else { return }
        for event in stateEvents(atTick: tick) where engine.schedule(event) { queued += 1 }
    }

    /// Each channel's program and controllers as the score has them at `tick`, at frame 0.
    private func stateEvents(atTick tick: Int) -> [ScheduledEvent] {
        guard let score = conductor.music.score else { return [] }
        var events: [ScheduledEvent] = []
        for track in score.tracks {
            let program = track.programChanges.last { $0.tick <= tick }?.program ?? track.program
            events.append(ScheduledEvent(sampleTime: 0, channel: track.channel, kind: .programChange, data1: program & 0x7F, data2: 0))
            var latest: [UInt8: UInt8] = [:]
            for control in track.controls where control.tick <= tick { latest[control.controller] = control.value }
            for (controller, value) in latest.sorted(by: { $0.key < $1.key }) {
                events.append(ScheduledEvent(sampleTime: 0, channel: track.channel, kind: .controlChange, data1: controller & 0x7F, data2: value & 0x7F))
            }
        }
        return events
    }

    private static func describe(_ error: any Error) -> String {
        (error as? EmoMusikError)?.message ?? "\(error)"
    }

    private static func combined(_ all: [LiveEngine.Statistics]) -> LiveEngine.Statistics {
        precondition(!all.isEmpty, "a session that ran had an output")
        var total = all[0]
        for next in all.dropFirst() {
            total.periodsRendered += next.periodsRendered
            total.framesRendered += next.framesRendered
            total.underruns += next.underruns
            total.maxLateNanoseconds = max(total.maxLateNanoseconds, next.maxLateNanoseconds)
            total.eventsDropped += next.eventsDropped
            total.eventsLate += next.eventsLate
            if next.maxRenderNanoseconds > total.maxRenderNanoseconds {
                total.maxRenderNanoseconds = next.maxRenderNanoseconds
                total.worstRenderCPUNanoseconds = next.worstRenderCPUNanoseconds
            }
            if next.maxRenderCPUNanoseconds > total.maxRenderCPUNanoseconds {
                total.maxRenderCPUNanoseconds = next.maxRenderCPUNanoseconds
                total.maxRenderCPUFrame = next.maxRenderCPUFrame
                total.maxRenderCPUEvents = next.maxRenderCPUEvents
            }
            if let waited = next.runQueueWaitNanoseconds {
                total.runQueueWaitNanoseconds = (total.runQueueWaitNanoseconds ?? 0) + waited
            }
            total.totalRenderNanoseconds += next.totalRenderNanoseconds
            total.audioThreadCPUNanoseconds += next.audioThreadCPUNanoseconds
            total.clippedSamples += next.clippedSamples
        }
        return total
    }

    private static func format(_ x: Double) -> String { String(format: "%.1f", x) }

    private static func monotonic() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
