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

/// A session on the real clock: frames from a ``LiveLandmarkSource`` go through the loop; bars
/// are committed ``SessionConductor/lead`` seconds before they are due on the audio device's
/// clock (the frames the ``LiveEngine`` has rendered) and their events queued to the audio thread
/// through its lock-free ring. Underruns and source problems are logged as warnings. The same
/// ``SessionConductor`` as an offline session: only the clock differs, so the log replays.
///
/// Ends when the source ends (the music closes on the tonic, rings, and fades), when `stop`
/// says so (a two-second fade), or when the output fails (a fault).
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

        public init() {}
    }

    /// How a live session ended.
    public struct Outcome: Sendable {
        public var summary: SessionLoop.Summary
        public var reason: String
        public var engine: LiveEngine.Statistics
        public var eventsQueued: Int
    }

    public let conductor: SessionConductor
    public let engine: LiveEngine
    public let configuration: Configuration
    private var scheduledBars = 0
    private var queued = 0

    public init(conductor: SessionConductor, engine: LiveEngine, configuration: Configuration = Configuration()) {
        self.conductor = conductor
        self.engine = engine
        self.configuration = configuration
    }

    /// Runs the session until the source ends, `stop()` returns true, or the output fails.
    /// `progress` is called about once a second with the session time. Throws only if the output
    /// cannot be started.
    public func run(source: any LiveLandmarkSource, stop: () -> Bool, progress: (Double) -> Void = { _ in }) throws -> Outcome {
        let loop = conductor.loop
        let sampleRate = Double(engine.sampleRate)
        // The first bar is queued before the audio starts.
        let first = source.frames(upTo: 0)
        for frame in first ?? [] { loop.process(frame) }
        conductor.tick(0)
        queueCommittedBars()
        try engine.start()

        let began = Self.monotonic()
        var reason = "source-ended"
        var reportedUnderruns = 0
        var lastUnderrunLog = -Double.infinity
        var reportedClipped = 0
        var reportedUnpaced = false
        var lastClipLog = -Double.infinity
        var nextProgress = 1.0
        var latest = 0.0
        while true {
            let now = Self.monotonic() - began
            let audio = Double(engine.framesRendered) / sampleRate
            if stop() {
                reason = "interrupted"
                break
            }
            if let code = engine.sinkFailure {
                loop.record(.fault(Notice(t: audio, code: "audio-output", message: "the audio output failed (error \(code)); the session stops")))
                reason = "audio-failed"
                break
            }
            guard first != nil, let frames = source.frames(upTo: now) else { break }
            for frame in frames {
                loop.process(frame)
                latest = frame.time
            }
            for problem in source.takeProblems() {
                loop.record(.warning(Notice(t: latest, code: "bad-landmarks", message: "skipped a landmark line: \(problem)")))
            }
            // The device's clock, but never ahead of the wall clock: an output that does not pace
            // (ALSA's null device) would otherwise run the composer ahead of the child.
            if audio > now + 1, !reportedUnpaced {
                loop.record(.warning(Notice(
                    t: now, code: "unpaced-output",
                    message: "the audio output runs \(String(format: "%.1f", audio - now)) s ahead of the clock (it does not pace, like ALSA's null device); the music follows the system clock")))
                reportedUnpaced = true
            }
            conductor.tick(min(audio, now))
            queueCommittedBars()
            let underruns = engine.statistics.underruns
            if underruns > reportedUnderruns && audio - lastUnderrunLog >= configuration.underrunLogInterval {
                let worst = Double(engine.statistics.maxLateNanoseconds) / 1e6
                loop.record(.warning(Notice(
                    t: audio, code: "underrun",
                    message: "\(underruns - reportedUnderruns) audio underrun(s) (worst \(String(format: "%.1f", worst)) ms late); the output recovered")))
                reportedUnderruns = underruns
                lastUnderrunLog = audio
            }
            let clipped = engine.statistics.clippedSamples
            if clipped > reportedClipped && audio - lastClipLog >= configuration.underrunLogInterval {
                loop.record(.warning(Notice(
                    t: audio, code: "level-ceiling",
                    message: "\(clipped - reportedClipped) sample(s) held at the level ceiling; lower the gain")))
                reportedClipped = clipped
                lastClipLog = audio
            }
            if now >= nextProgress {
                progress(now)
                nextProgress = now.rounded(.down) + 1
            }
            usleep(UInt32(configuration.pollInterval * 1e6))
        }

        let end = max(latest, min(Double(engine.framesRendered) / sampleRate, Self.monotonic() - began))
        let summary = conductor.finish(at: end, reason: reason)
        if reason == "source-ended" {
            queueCommittedBars(flush: true)
            // Let the closing bars play and the last chord ring, then fade (or fade now if stopped).
            let musicEnd = conductor.music.score.map { $0.duration } ?? 0
            while min(Double(engine.framesRendered) / sampleRate, Self.monotonic() - began) < musicEnd + configuration.ringSeconds
                && !stop() && engine.sinkFailure == nil
            {
                usleep(UInt32(configuration.pollInterval * 1e6))
            }
            engine.stop(fadeSeconds: stop() ? configuration.stopFadeSeconds : configuration.closingFadeSeconds)
        } else {
            engine.stop(fadeSeconds: reason == "interrupted" ? configuration.stopFadeSeconds : 0)
        }
        return Outcome(summary: summary, reason: reason, engine: engine.statistics, eventsQueued: queued)
    }

    /// Queues the events of the bars committed since the last call: everything that falls on
    /// their frames (their notes, and the releases of earlier notes that end in them); with
    /// `flush`, also every release after the last bar.
    private func queueCommittedBars(flush: Bool = false) {
        guard let score = conductor.music.score else { return }
        let bars = conductor.music.bars
        guard scheduledBars < bars.count || flush else { return }
        let margin = 8 * score.ticksPerQuarter  // a released note's off can be rounded a block later
        let sampleRate = engine.sampleRate
        let tempoMap = score.tempoMap
        func frame(_ tick: Int) -> Int64 {
            EventSchedule.quantise(Int64((tempoMap.microseconds(atTick: tick) * Double(sampleRate) / 1_000_000).rounded()))
        }
        let firstTick = bars.indices.contains(scheduledBars) ? bars[scheduledBars].startTick : score.endTick
        let lastTick = score.endTick
        let window = frame(firstTick)..<(flush ? Int64.max : frame(lastTick))
        // The notes that can have an event in the window: those still sounding near its start.
        var part = score
        for t in part.tracks.indices {
            part.tracks[t].notes = score.tracks[t].notes.filter { $0.endTick >= firstTick - margin && $0.tick < lastTick }
            part.tracks[t].programChanges = score.tracks[t].programChanges.filter { $0.tick >= firstTick }
            part.tracks[t].controls = score.tracks[t].controls.filter { $0.tick >= firstTick }
        }
        for event in EventSchedule(score: part, sampleRate: sampleRate).events where window.contains(event.sampleTime) {
            // Header program changes sit at frame 0: only the first window holds them.
            if engine.schedule(event) { queued += 1 }
        }
        scheduledBars = bars.count
    }

    private static func monotonic() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
