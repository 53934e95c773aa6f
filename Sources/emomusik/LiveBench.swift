import ArgumentParser
import Composer
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Sessions
import Strategies
import Synth

struct LiveBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Live output: decision-to-sound latency, underruns, audio-thread load and memory.",
        discussion: """
            Composes a piece whose affect moves through happiness, surprise and
            anger and plays it through the live engine into a null sink paced by
            the real clock (no sound card needed): the audio thread renders
            --period frames per period and pulls events from the lock-free ring.
            A control thread feeds the score no further ahead than the next beat
            (so a decision can still land on it) and, at seeded random moments,
            schedules a change (a marker controller) on the next beat. Prints the
            latency from scheduling a change to hearing it (the period that
            renders it, plus the sink's queued output), the underruns over the
            paced session, the audio thread's worst block time against the
            period, CPU share of one core, and resident memory at start and end.
            The issue's figure is a 30-minute session; --minutes shortens it.

            To tell a slow audio thread from one that was not running, it also
            prints the worst block's time on the CPU, the thread's wait for a CPU
            (schedstat), its latest wake-up, and the machine's steal time: on a
            virtual machine, most underruns are the host's.

            With --session it runs a whole live session instead: a scripted child
            whose emotion changes every 20 s, the mirror strategy deciding before
            every beat (or every --decision-interval seconds), the session composer
            (a decision takes effect at the next beat not yet committed, which is
            --lead ahead of the audio) and the engine, on the null sink; it prints
            how soon each changed decision is heard on the wall clock against its
            beat, the same from the decision before it (what bounds the time from
            an estimate to the music), how close to the audio thread beats were
            queued against --lead, and the same engine figures.

            Examples:
              .build/release/emomusik bench live --minutes 30
              .build/release/emomusik bench live --session --minutes 10
            """
    )

    @Option(help: "Length of the paced session in minutes.")
    var minutes: Double = 1

    @Option(help: "Frames per audio period (a multiple of 64).")
    var period: Int = 256

    @Option(help: ArgumentHelp(
        "Periods the null sink buffers, like a sound card's buffer (2: double buffering).",
        discussion: "The default matches `session live`. A period arriving more than this many periods minus one late is an underrun."))
    var bufferPeriods: Int = 4

    @Option(help: "With --session: seconds before its start that a beat is composed and queued.")
    var lead: Double = 0.1

    @Option(help: ArgumentHelp(
        "With --session: decide every this many seconds, not before every beat.", valueName: "seconds"))
    var decisionInterval: Double?

    @Option(help: "Seconds between scripted changes, on average.")
    var changeInterval: Double = 1.3

    @Flag(help: "Run a whole live session (scripted child → strategy → composer → engine).")
    var session = false

    @OptionGroup(title: "Audio") var audio: AudioOptions

    func validate() throws {
        guard minutes > 0, minutes <= 120 else { throw ValidationError("--minutes must be in 0...120.") }
        guard period >= 64, period <= 8192, period % 64 == 0 else { throw ValidationError("--period must be a multiple of 64 in 64...8192.") }
        guard (2...16).contains(bufferPeriods) else { throw ValidationError("--buffer-periods must be in 2...16.") }
        guard lead >= 0.05, lead <= 5 else { throw ValidationError("--lead must be in 0.05...5 seconds.") }
        guard changeInterval >= 0.1 else { throw ValidationError("--change-interval must be at least 0.1 s.") }
        if let decisionInterval, !(0.25...60).contains(decisionInterval) {
            throw ValidationError("--decision-interval must be in 0.25...60 seconds.")
        }
    }

    func run() throws {
        if session { return try runSession() }
        let seconds = minutes * 60
        let timeline = try AffectTimeline(keyframes: [
            .init(time: 0, affect: Emotion.happiness.affect),
            .init(time: seconds / 3, affect: Emotion.surprise.affect),
            .init(time: 2 * seconds / 3, affect: Emotion.anger.affect),
            .init(time: seconds, affect: Emotion.anger.affect),
        ])
        let score = Composer(configuration: ComposerConfiguration(seed: 1)).compose(timeline: timeline).score
        let settings = audio.settings
        let sampleRate = settings.sampleRate
        let schedule = EventSchedule(score: score, sampleRate: sampleRate)
        let totalFrames = Int64(seconds * Double(sampleRate))
        let beats = beatFrames(score, sampleRate: sampleRate, until: totalFrames + Int64(sampleRate) * 4)

        let sink = NullSink(bufferPeriods: bufferPeriods)
        let engine = try LiveEngine(
            soundfontPath: try audio.resolveSoundfont(), settings: settings, sink: sink,
            configuration: .init(periodFrames: period, maxFrames: totalFrames))
        let periodSeconds = Double(period) / Double(sampleRate)
        print(String(format: "live: %@ of music, %d events, %d Hz, period %d frames (%.2f ms), null sink of %d periods paced by the real clock",
                     formatTime(seconds), schedule.events.count, sampleRate, period, periodSeconds * 1000, bufferPeriods))

        var random = SystemRandomNumberGenerator.Seeded(seed: 5)
        var pushed: [Int64: (at: Int64, beat: Double)] = [:]  // scheduled frame → when, and the length of its beat (s)
        var worstOverBound = -Double.infinity  // latency minus that change's own bound, worst case
        var latencies: [Double] = []
        var beatIndex = 0, eventIndex = 0
        let rssStart = residentSetBytes()
        let usageStart = processCPUSeconds()
        let steal = StealTime()
        let wallStart = monotonic()
        var nextChange = wallStart + Int64(random.exponential(mean: changeInterval) * 1e9)
        try engine.start()

        func drainMarkers() {
            while let marker = engine.popMarker() {
                guard let (scheduled, beat) = pushed.removeValue(forKey: marker.scheduledFrame) else { continue }
                // When the simulated device plays the frame that applied the change, by its own
                // clock (not by when the audio thread handed the period over, which a preempted
                // audio thread would report late).
                let audibleFrames = sink.outputLatencyFrames + Int(marker.appliedFrame - marker.periodStartFrame)
                let audible = sink.playTime(ofFrame: marker.appliedFrame)
                    ?? marker.handedNanoseconds + Int64(Double(audibleFrames) / Double(sampleRate) * 1e9)
                let latency = Double(audible - scheduled) / 1e9
                latencies.append(latency)
                // The bound for this change: the beat it waited for (the tempo moves), one period
                // (the one the audio thread may be rendering), and the whole buffer: when the
                // rendered count moves on, the period just handed over is queued too, so the
                // frames after it are up to `bufferPeriods` periods from being heard, not
                // `bufferPeriods - 1` (the latency of a period's first frame).
                let bound = beat + Double(period * (1 + sink.bufferPeriods)) / Double(sampleRate)
                worstOverBound = max(worstOverBound, latency - bound)
            }
        }
        while engine.framesRendered < totalFrames && engine.sinkFailure == nil {
            // Feed the score up to the first beat at least one period past the audio clock (the
            // audio thread may be rendering the current period), no further.
            let rendered = engine.framesRendered
            while beatIndex + 1 < beats.count && beats[beatIndex] < rendered + Int64(period) { beatIndex += 1 }
            let horizon = beats[beatIndex]
            while eventIndex < schedule.events.count && schedule.events[eventIndex].sampleTime <= horizon {
                engine.schedule(schedule.events[eventIndex])
                eventIndex += 1
            }
            let now = monotonic()
            if now >= nextChange {
                // A decision now sounds on the next beat.
                if pushed[horizon] == nil {
                    let beat = beatIndex > 0 ? Double(horizon - beats[beatIndex - 1]) / Double(sampleRate) : 0
                    pushed[horizon] = (now, beat)
                    engine.schedule(ScheduledEvent(sampleTime: horizon, channel: 15, kind: .controlChange,
                                                   data1: LiveEngine.markerController, data2: 0))
                }
                nextChange = now + Int64(random.exponential(mean: changeInterval) * 1e9)
            }
            drainMarkers()
            usleep(2000)
        }
        engine.waitUntilFinished()
        drainMarkers()
        let wall = Double(monotonic() - wallStart) / 1e9
        let cpu = processCPUSeconds() - usageStart
        let rssEnd = residentSetBytes()
        let stats = engine.statistics

        let beatSeconds = beats.count > 1 ? Double(beats[1] - beats[0]) / Double(sampleRate) : 0
        latencies.sort()
        if latencies.isEmpty {
            print("latency: no changes were scheduled (session too short for --change-interval)")
        } else {
            let median = latencies[latencies.count / 2]
            let worst = latencies.last!
            // The target is beat + period; the sink's buffer comes on top of any
            // scheduling policy. Each change is held to the length of the beat it waited for,
            // since the tempo moves.
            let queued = Double(period * sink.bufferPeriods) / Double(sampleRate)
            print(String(format: "latency decision → audible: median %.1f ms, max %.1f ms over %d changes (first beat %.0f ms); each within its beat + period + %.1f ms of buffered output: %@ (closest %+.1f ms)",
                         median * 1000, worst * 1000, latencies.count, beatSeconds * 1000, queued * 1000,
                         worstOverBound <= 0 ? "met" : "MISSED", worstOverBound * 1000))
        }
        print(String(format: "underruns: %d in %d periods (%@ paced); worst lateness %.2f ms; events dropped %d, late %d",
                     stats.underruns, stats.periodsRendered, formatTime(wall), Double(stats.maxLateNanoseconds) / 1e6,
                     stats.eventsDropped, stats.eventsLate))
        printAudioThread(stats, periodSeconds: periodSeconds, wall: wall, processCPU: cpu, sink: sink, steal: steal)
        print(String(format: "memory (RSS): %.1f MB at start, %.1f MB at end (%+.1f MB)",
                     Double(rssStart) / 1e6, Double(rssEnd) / 1e6, Double(rssEnd - rssStart) / 1e6))
        if let failure = engine.sinkFailure { throw EmoMusikError(.audioOutput, "the sink failed with code \(failure)") }
    }

    /// A live session end to end with a scripted child, on the null sink.
    private func runSession() throws {
        let seconds = minutes * 60
        let settings = audio.settings
        let registry = PluginRegistry()
        try BuiltInPlugins.register(into: registry)
        let strategy = try registry.makeStrategy(id: "mirror", options: [:])
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("emomusik-bench-\(getpid()).log.jsonl").path
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let writer = try SessionLogWriter(path: logPath)
        let decisions = decisionInterval.map { SessionLoop.Settings(decisionInterval: $0) } ?? SessionLoop.Settings(decidesAtBeats: true)
        let loop = SessionLoop(
            recognizer: ScriptedChild(), strategy: strategy, goal: SessionGoal(target: .neutral), settings: decisions, log: writer)
        let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: nil, seed: 1), log: writer, lead: lead)
        let face = [SIMD2<Float>](repeating: .zero, count: 68)
        let frames = (0...Int(seconds * 15)).map { LandmarkFrame(time: Double($0) / 15, points: face, confidence: 0.9) }
        let soundfont = try audio.resolveSoundfont()
        var sink = NullSink(bufferPeriods: bufferPeriods)
        let session = LiveSession(conductor: conductor) {
            sink = NullSink(bufferPeriods: bufferPeriods)
            return try LiveEngine(soundfontPath: soundfont, settings: settings, sink: sink, configuration: .init(periodFrames: period))
        }
        let periodSeconds = Double(period) / Double(settings.sampleRate)
        let cadence = decisionInterval.map { String(format: "deciding every %.2f s", $0) } ?? "deciding before every beat"
        print(String(format: "live session: %@ of a scripted child (emotion changes every 20 s), mirror strategy %@, %d Hz, period %d frames (%.2f ms), null sink of %d periods paced by the real clock",
                     formatTime(seconds), cadence, settings.sampleRate, period, periodSeconds * 1000, bufferPeriods))
        let rssBefore = residentSetBytes()
        var rssStart = 0  // once the synth and the first bars are in memory
        let usageStart = processCPUSeconds()
        let steal = StealTime()
        let wallStart = monotonic()
        let outcome = try session.run(source: RecordedLandmarkSource(frames: frames), stop: { false }) { time in
            if rssStart == 0 && time >= min(15, seconds / 2) { rssStart = residentSetBytes() }
        }
        writer.close()
        let wall = Double(monotonic() - wallStart) / 1e9
        let cpu = processCPUSeconds() - usageStart
        let rssEnd = residentSetBytes()
        let stats = outcome.engine
        let queued = Double(sink.outputLatencyFrames) / Double(settings.sampleRate)
        let heard = zip(outcome.responseDelays, outcome.responseBeats).map { (delay: $0 + queued, beat: $1) }
        let delays = heard.map(\.delay).sorted()
        let bars = conductor.music.bars
        if let worst = delays.last {
            // A decision takes effect at the first beat that starts more than the lead ahead of
            // the audio thread: at most the lead and that beat after it, plus the queued output.
            let withinBeat = heard.filter { $0.delay <= $0.beat + periodSeconds + queued }.count
            let withinLead = heard.filter { $0.delay <= conductor.lead + $0.beat + periodSeconds + queued }.count
            print(String(format: "decision → audible (wall clock): median %.2f s, max %.2f s over %d changed decisions; beats %.2f–%.2f s long",
                         delays[delays.count / 2], worst, delays.count, heard.map(\.beat).min() ?? 0, heard.map(\.beat).max() ?? 0))
            print(String(format: "  within their beat + one period + %.1f ms queued output: %d of %d; within the %.2f s lead + beat + period + queued output: %d of %d",
                         queued * 1000, withinBeat, heard.count, conductor.lead, withinLead, heard.count))
            // An estimate that changed a decision came after the decision before it.
            let fromEstimate = zip(outcome.estimateDelays, outcome.responseBeats).map { (delay: $0 + queued, beat: $1) }
            let bound = fromEstimate.map(\.delay).sorted()
            let estimateWithin = fromEstimate.filter { $0.delay <= conductor.lead + $0.beat + periodSeconds + queued }.count
            print(String(format: "estimate → audible, at most (from the decision before): median %.2f s, max %.2f s; within the lead + beat + period + queued output: %d of %d",
                         bound[bound.count / 2], bound.last ?? 0, estimateWithin, bound.count))
        }
        if outcome.outputLag >= 0.01 {
            print(String(format: "clock: underruns took %.2f s from the output, so the music ended that much behind the landmarks it follows",
                         outcome.outputLag))
        }
        print("music: \(bars.count) bars, \(conductor.music.beatRecords.count) re-aimed from a beat within; \(outcome.eventsQueued) events queued, \(stats.eventsLate) late, \(stats.eventsDropped) dropped"
              + (outcome.closestQueueing.map { String(format: "; every beat queued at least %.0f ms before the audio thread reached it (lead %.2f s)", $0 * 1000, conductor.lead) } ?? ""))
        print(String(format: "underruns: %d in %d periods (%@ paced); worst lateness %.2f ms",
                     stats.underruns, stats.periodsRendered, formatTime(wall), Double(stats.maxLateNanoseconds) / 1e6))
        printAudioThread(stats, periodSeconds: periodSeconds, wall: wall, processCPU: cpu, sink: sink, steal: steal)
        print(String(format: "memory (RSS): %.1f MB before the session, %.1f MB once it plays (%.0f s in), %.1f MB at the end (%+.1f MB while playing)",
                     Double(rssBefore) / 1e6, Double(rssStart) / 1e6, min(15, seconds / 2), Double(rssEnd) / 1e6,
                     Double(rssEnd - rssStart) / 1e6))
    }

    /// The audio thread's lines: its worst and mean period against the period length, whether the
    /// worst was work or time off the CPU, how it was scheduled, and its CPU share.
    private func printAudioThread(_ stats: LiveEngine.Statistics, periodSeconds: Double, wall: Double, processCPU: Double,
                                  sink: NullSink, steal: StealTime) {
        let worst = Double(stats.maxRenderNanoseconds) / 1e6
        let worstOnCPU = Double(stats.worstRenderCPUNanoseconds) / 1e6
        print(String(format: "audio thread: worst block %.3f ms against a %.3f ms period (%.1f %%), %.3f ms of it on the CPU%@; longest on the CPU %.3f ms (at %@, %d events applied in it); mean %.3f ms",
                     worst, periodSeconds * 1000, worst / 1000 / periodSeconds * 100, worstOnCPU,
                     worstOnCPU < worst / 2 ? " (the thread was off the CPU for the rest)" : "",
                     Double(stats.maxRenderCPUNanoseconds) / 1e6,
                     formatTime(Double(stats.maxRenderCPUFrame) * periodSeconds / Double(period)), stats.maxRenderCPUEvents,
                     Double(stats.totalRenderNanoseconds) / 1e6 / Double(max(stats.periodsRendered, 1))))
        print(steal.schedulingSummary(stats, worstWakeNanoseconds: sink.maxOversleepNanoseconds, wallSeconds: wall))
        print(String(format: "CPU: audio thread %.1f %% of one core, whole process %.1f %%",
                     Double(stats.audioThreadCPUNanoseconds) / 1e9 / wall * 100, processCPU / wall * 100))
    }

    /// Frames of every beat (quarter note) on the 64-frame grid, extended at the last tempo until `frames`.
    private func beatFrames(_ score: Score, sampleRate: Int, until frames: Int64) -> [Int64] {
        var beats: [Int64] = []
        var tick = 0
        while true {
            let frame = EventSchedule.quantise(Int64((score.tempoMap.microseconds(atTick: tick) * Double(sampleRate) / 1e6).rounded()))
            beats.append(frame)
            if frame >= frames { return beats }
            tick += score.ticksPerQuarter
        }
    }

    private func monotonic() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    private func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

extension SystemRandomNumberGenerator {
    /// A small seeded generator (SplitMix64) for the bench's scripted moments.
    fileprivate struct Seeded {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func exponential(mean: Double) -> Double {
            let u = (Double(next() >> 11) + 0.5) / Double(1 << 53)
            return -log(u) * mean
        }
    }
}

/// The bench's child: an emotion that changes every 20 s, whatever the face.
final class ScriptedChild: EmotionRecognizer {
    static let descriptor = PluginDescriptor(
        id: "bench-scripted-child", displayName: "Scripted child (bench)", version: "1.0.0", kind: .recognizer,
        summary: "an emotion that changes every 20 s", options: [])
    private static let script: [Emotion] = [.happiness, .sadness, .anger, .neutral, .surprise, .fear]

    init() {}
    init(options: PluginOptions) throws {}

    func process(_ frame: LandmarkFrame) throws -> EmotionEstimate? {
        let emotion = Self.script[Int(frame.time / 20) % Self.script.count]
        var probabilities = [Double](repeating: 0.02, count: Emotion.allCases.count)
        probabilities[Emotion.allCases.firstIndex(of: emotion)!] = 0.88
        return EmotionEstimate(time: frame.time, probabilities: probabilities, confidence: frame.confidence, affect: emotion.affect)
    }
}
