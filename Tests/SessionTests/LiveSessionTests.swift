import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Sessions
import Synth
import Testing

@Suite("Live sessions: the same loop on the audio device's clock")
struct LiveSessionTests {
    static func soundfont() throws -> String {
        try SoundfontLocator(explicit: nil, environment: [:], projectDirectories: []).resolve()
    }

    /// A 6-second recording of an angry child, played in real time into a paced memory sink.
    @Test("a recording in real time: the music plays as composed, closes, rings and fades; the log replays to the same score")
    func realTimeSessionPlaysWhatItComposed() throws {
        let preset = try SessionFixtures.preset("calm-down")
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { _ in Emotion.anger.affect }),
            strategy: try SessionFixtures.strategy("iso-principle"), goal: preset.goal, log: log,
            start: try SessionFixtures.start(preset: preset, presetFile: SessionFixtures.presetPath("calm-down"), strategy: "iso-principle"))
        let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: preset, seed: 2), log: log)
        let settings = RenderSettings(sampleRate: 44100, gain: 0.2)
        let sink = MemorySink(capacityFrames: 44100 * 40, realTime: true)
        let engine = try LiveEngine(soundfontPath: try Self.soundfont(), settings: settings, sink: sink)
        let session = LiveSession(conductor: conductor, engine: engine)
        let outcome = try session.run(source: RecordedLandmarkSource(frames: SessionFixtures.frames(duration: 6)), stop: { false })

        #expect(outcome.reason == "source-ended")
        #expect(outcome.engine.eventsLate == 0 && outcome.engine.eventsDropped == 0, "every bar was queued before it was due")
        // Bars after the first were queued while the audio ran, ahead of it but no more than the
        // lead (plus a poll) ahead.
        let closest = try #require(outcome.closestQueueing)
        #expect(closest > 0 && closest <= conductor.lead + 0.05, "closest queueing \(closest) s, lead \(conductor.lead) s")
        #expect(sink.framesDropped == 0)
        let score = try #require(conductor.music.score)
        #expect(conductor.music.isClosed)
        #expect(outcome.eventsQueued == EventSchedule(score: score, sampleRate: 44100).events.count, "every event of the score was queued once")

        // Until the closing fade the device got exactly the offline render of the committed score.
        let offline = try OfflineRenderer(soundfontPath: try Self.soundfont(), settings: settings).render(score)
        #expect(offline.appliedGainDB == 0, "compare before gain staging")
        let live = sink.samples
        let compared = min(Int((score.duration + 1.0) * 44100), offline.frames) * 2
        #expect(live.count >= compared)
        let firstDifference = zip(live.prefix(compared), offline.samples.prefix(compared)).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "live and offline differ first at sample \(firstDifference ?? -1) of \(compared)")
        // Then it fades to silence.
        #expect(live.suffix(2).allSatisfy { $0 == 0 })

        // The log replays to the same score.
        let contents = SessionLog.Contents(events: log.events)
        let replayed = try SessionMusic.replay(contents, duration: outcome.summary.duration, preset: preset, seed: 2)
        #expect(replayed.score == score)
        #expect(contents.end?.reason == "source-ended")
    }

    @Test("stopped mid-session: a two-second fade, the session end logged as interrupted")
    func stopFadesOut() throws {
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { _ in Emotion.happiness.affect }),
            strategy: try SessionFixtures.strategy("mirror"), goal: SessionGoal(target: .neutral), log: log)
        let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: nil, seed: 2), log: log)
        let sink = MemorySink(capacityFrames: 44100 * 60, realTime: true)
        let engine = try LiveEngine(soundfontPath: try Self.soundfont(), settings: RenderSettings(sampleRate: 44100), sink: sink)
        let session = LiveSession(conductor: conductor, engine: engine)
        let began = Date()
        let outcome = try session.run(source: RecordedLandmarkSource(frames: SessionFixtures.frames(duration: 60)),
                                      stop: { Date().timeIntervalSince(began) > 2.5 })
        #expect(outcome.reason == "interrupted")
        #expect(SessionLog.Contents(events: log.events).end?.reason == "interrupted")
        let samples = sink.samples
        let frames = samples.count / 2
        // About 2.5 s of music plus the 2 s fade (less if a loaded machine starved the audio
        // thread); the end is silent, the fade a ramp.
        #expect(frames > Int(3.0 * 44100) && frames < Int(6.5 * 44100), "\(frames) frames")
        #expect(samples.suffix(2).allSatisfy { $0 == 0 })
        func peak(_ range: Range<Int>) -> Float { samples[(range.lowerBound * 2)..<(range.upperBound * 2)].map(abs).max() ?? 0 }
        let fadeStart = frames - 2 * 44100
        #expect(peak((frames - 4410)..<frames) < peak((fadeStart - 22050)..<fadeStart) * 0.3, "the last 0.1 s is well below the music before the fade")
    }

    /// A device that plays for `periods` periods and then is gone (like an unplugged USB interface).
    final class VanishingSink: AudioSink, @unchecked Sendable {
        let inner = MemorySink(capacityFrames: 44100 * 10, realTime: true)
        let periods: Int
        private var written = 0
        init(periods: Int) { self.periods = periods }
        func prepare(sampleRate: Int, channels: Int, periodFrames: Int) throws {
            try inner.prepare(sampleRate: sampleRate, channels: channels, periodFrames: periodFrames)
        }
        var outputLatencyFrames: Int { inner.outputLatencyFrames }
        func write(_ buffer: UnsafeBufferPointer<Float>, frames: Int) -> SinkWriteResult {
            written += 1
            return written > periods ? .failed(code: 19) : inner.write(buffer, frames: frames)  // ENODEV
        }
        func close() {}
    }

    @Test("the output disappears mid-session: the session goes on silently, reopens it, and the music resumes at a bar line")
    func outputVanishesAndComesBack() throws {
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { _ in Emotion.happiness.affect }),
            strategy: try SessionFixtures.strategy("mirror"), goal: SessionGoal(target: .neutral), log: log)
        let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: nil, seed: 4), log: log)
        let soundfont = try Self.soundfont()
        let settings = RenderSettings(sampleRate: 44100)
        let second = MemorySink(capacityFrames: 44100 * 30, realTime: true)
        var attempts = 0
        var configuration = LiveSession.Configuration()
        configuration.reopenInterval = 1
        let session = LiveSession(conductor: conductor, configuration: configuration) {
            attempts += 1
            switch attempts {
            case 1: return try LiveEngine(soundfontPath: soundfont, settings: settings, sink: VanishingSink(periods: 44100 / 256))  // ~1 s
            case 2: throw EmoMusikError(.audioOutput, "still unplugged")
            default: return try LiveEngine(soundfontPath: soundfont, settings: settings, sink: second)
            }
        }
        let outcome = try session.run(source: RecordedLandmarkSource(frames: SessionFixtures.frames(duration: 8)), stop: { false })
        #expect(outcome.reason == "source-ended")
        #expect(outcome.outputFailures == 1 && outcome.outputReopened == 1 && attempts == 3)
        let events = log.events
        let fault = events.firstIndex { if case .fault(let n) = $0 { n.code == "audio-output" } else { false } }
        let restored = events.firstIndex { if case .warning(let n) = $0 { n.code == "audio-restored" } else { false } }
        #expect(fault != nil && restored != nil && fault! < restored!, "the failure, then the return, are logged")
        // The session ran to the end of the source and the music closed.
        #expect(abs(outcome.summary.duration - 8) < 0.5)
        #expect(conductor.music.isClosed)
        // The reopened output played music from a bar line on, into the closing fade.
        let resumed = second.samples
        #expect(resumed.count > 44100 * 2 * 4, "the second output played \(resumed.count / 2) frames")
        #expect(peak(resumed) > 0.01)
        #expect(outcome.engine.eventsLate == 0)
        // The log still replays to the whole score (the silent stretch included).
        let replayed = try SessionMusic.replay(SessionLog.Contents(events: events), duration: outcome.summary.duration, preset: nil, seed: 4)
        #expect(replayed.score == conductor.music.score)
    }

    /// A device that reports every 20th period as late (an xrun it recovered from).
    final class StutteringSink: AudioSink, @unchecked Sendable {
        let inner = MemorySink(capacityFrames: 44100 * 30, realTime: true)
        private var written = 0
        func prepare(sampleRate: Int, channels: Int, periodFrames: Int) throws {
            try inner.prepare(sampleRate: sampleRate, channels: channels, periodFrames: periodFrames)
        }
        var outputLatencyFrames: Int { inner.outputLatencyFrames }
        func write(_ buffer: UnsafeBufferPointer<Float>, frames: Int) -> SinkWriteResult {
            written += 1
            let result = inner.write(buffer, frames: frames)
            return written % 20 == 0 ? .underrun(lateNanoseconds: 3_000_000) : result
        }
        func close() {}
    }

    @Test("underruns are counted, logged at most once per interval with the count since the last report, and the music goes on")
    func underrunsAreLogged() throws {
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { _ in Emotion.sadness.affect }),
            strategy: try SessionFixtures.strategy("mirror"), goal: SessionGoal(target: .neutral), log: log)
        let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: nil, seed: 6), log: log)
        let engine = try LiveEngine(soundfontPath: try Self.soundfont(), settings: RenderSettings(sampleRate: 44100), sink: StutteringSink())
        var configuration = LiveSession.Configuration()
        configuration.underrunLogInterval = 2
        let outcome = try LiveSession(conductor: conductor, engine: engine, configuration: configuration)
            .run(source: RecordedLandmarkSource(frames: SessionFixtures.frames(duration: 5)), stop: { false })
        #expect(outcome.reason == "source-ended")
        // Every 20th period reports late; a loaded machine can make the paced sink itself late too.
        #expect(outcome.engine.underruns >= outcome.engine.periodsRendered / 20)
        let reports = log.events.compactMap { if case .warning(let n) = $0, n.code == "underrun" { n } else { nil } }
        #expect(reports.count >= 2)
        // Reports are at least the interval apart, and their counts never exceed what happened.
        for (a, b) in zip(reports, reports.dropFirst()) { #expect(b.t - a.t >= 2 - 1e-9) }
        let counted = reports.compactMap { Int($0.message.prefix { $0.isNumber }) }.reduce(0, +)
        #expect(counted > 0 && counted <= outcome.engine.underruns)
        #expect(reports.first?.message.contains("ms late") == true)
    }

    /// A device whose host freezes once for `stall` seconds after `periods` periods (a virtual
    /// machine descheduled by its hypervisor): that period arrives late and the device clock
    /// restarts, so the music plays from then on `stall` seconds behind the wall clock.
    final class StallingSink: AudioSink, @unchecked Sendable {
        let inner = MemorySink(capacityFrames: 44100 * 30, realTime: true)
        let periods: Int
        let stall: Double
        private var written = 0
        init(periods: Int, stall: Double) {
            self.periods = periods
            self.stall = stall
        }
        func prepare(sampleRate: Int, channels: Int, periodFrames: Int) throws {
            try inner.prepare(sampleRate: sampleRate, channels: channels, periodFrames: periodFrames)
        }
        var outputLatencyFrames: Int { inner.outputLatencyFrames }
        func write(_ buffer: UnsafeBufferPointer<Float>, frames: Int) -> SinkWriteResult {
            written += 1
            if written == periods { usleep(UInt32(stall * 1e6)) }  // a test double: the real audio thread never sleeps here
            return inner.write(buffer, frames: frames)
        }
        func close() {}
    }

    @Test("a stalled output: the lost time is reported, and the response is measured on the wall clock, not the music's")
    func stalledOutputLagsTheMusic() throws {
        let log = MemoryLogSink()
        // Happy, then sad from 3 s: one changed decision, made after the stall at about 1 s.
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { $0 < 3 ? Emotion.happiness.affect : Emotion.sadness.affect }),
            strategy: try SessionFixtures.strategy("mirror"), goal: SessionGoal(target: .neutral), log: log)
        let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: nil, seed: 7), log: log)
        let sink = StallingSink(periods: 44100 / 256, stall: 1)
        let engine = try LiveEngine(soundfontPath: try Self.soundfont(), settings: RenderSettings(sampleRate: 44100), sink: sink)
        let outcome = try LiveSession(conductor: conductor, engine: engine)
            .run(source: RecordedLandmarkSource(frames: SessionFixtures.frames(duration: 9)), stop: { false })
        #expect(outcome.reason == "source-ended")
        #expect(outcome.engine.underruns >= 1)
        // The music lost the stall (a loaded machine can add its own late periods).
        #expect(outcome.outputLag >= 0.9 && outcome.outputLag < 3, "output lag \(outcome.outputLag) s")
        // On the session's clock the change looks a stall sooner than it was heard.
        let musicClock = outcome.summary.responseDelays
        let wallClock = outcome.responseDelays
        #expect(!musicClock.isEmpty && wallClock.count == musicClock.count, "\(wallClock) against \(musicClock)")
        // Each change is paired with the beat it took effect at (the composer's beats: 60–160 BPM).
        #expect(outcome.responseBeats.count == wallClock.count)
        // From the decision before each change (what bounds an estimate's wait) is longer still.
        #expect(outcome.estimateDelays.count == wallClock.count)
        #expect(zip(outcome.estimateDelays, wallClock).allSatisfy { $0 >= $1 }, "\(outcome.estimateDelays) against \(wallClock)")
        #expect(outcome.responseBeats.allSatisfy { $0 >= 60.0 / 160 - 1e-6 && $0 <= 1 + 1e-6 }, "\(outcome.responseBeats)")
        if let heard = wallClock.last, let logged = musicClock.last {
            #expect(heard - logged >= 0.8, "heard after \(heard) s, logged as \(logged) s")
            #expect(heard > 0 && heard <= conductor.lead + 3.2 + 0.1, "within the lead and the longest bar")
        }
    }

    func peak(_ samples: [Float]) -> Float { samples.map(abs).max() ?? 0 }
}
