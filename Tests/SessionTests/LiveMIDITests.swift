import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Glibc
import Sessions
import Synth
import Testing

/// An external MIDI output that records what it is sent, on a clock that starts when it is
/// opened (as an ALSA queue's does); it can be told to fail at its `failAtSend`-th send.
final class RecordingMIDIOutput: ExternalMIDIOutput {
    struct Sent: Equatable {
        var event: ScheduledEvent
        var time: Double
        /// The output's clock when it was sent.
        var sentAt: Double
    }

    let name = "a recording MIDI output"
    let opened = RecordingMIDIOutput.monotonic()
    private(set) var sent: [Sent] = []
    private(set) var fades: [(seconds: Double, at: Double, channels: [UInt8])] = []
    private(set) var closedAt: Double?
    private(set) var closedChannels: [UInt8] = []
    var failAtSend: Int?
    private var sends = 0

    func currentTime() throws -> Double {
        guard closedAt == nil else { throw EmoMusikError(.midiOutput, "closed") }
        return Self.monotonic() - opened
    }

    func send(_ events: [ScheduledEvent], at times: [Double]) throws {
        sends += 1
        if let failAtSend, sends >= failAtSend { throw EmoMusikError(.midiOutput, "the port went away") }
        let now = try currentTime()
        sent += zip(events, times).map { Sent(event: $0, time: $1, sentAt: now) }
    }

    func fadeOut(seconds: Double, channels: [UInt8]) throws {
        fades.append((seconds, try currentTime(), channels))
    }

    func close(channels: [UInt8]) {
        closedAt = (try? currentTime()) ?? -1
        closedChannels = channels
    }

    static func monotonic() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

@Suite("Live sessions with an external MIDI output")
struct LiveMIDITests {
    func session(seed: UInt64, emotion: Emotion = .happiness) throws -> (SessionConductor, MemoryLogSink) {
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { _ in emotion.affect }),
            strategy: try SessionFixtures.strategy("mirror"), goal: SessionGoal(target: .neutral), log: log)
        return (SessionConductor(loop: loop, music: SessionComposer(preset: nil, seed: seed), log: log), log)
    }

    func engine(_ sink: any AudioSink) throws -> LiveEngine {
        try LiveEngine(soundfontPath: try LiveSessionTests.soundfont(), settings: RenderSettings(sampleRate: 44100), sink: sink)
    }

    @Test("the MIDI output gets every event the sound card gets, stamped to sound with it, then a fade and all notes off")
    func midiFollowsTheAudio() throws {
        let (conductor, _) = try session(seed: 3)
        let midi = RecordingMIDIOutput()
        let sink = MemorySink(capacityFrames: 44100 * 30, realTime: true)
        let first = try engine(sink)
        var opened = 0
        let outcome = try LiveSession(conductor: conductor, openMIDI: { opened += 1; return midi }) { first }
            .run(source: RecordedLandmarkSource(frames: SessionFixtures.frames(duration: 6)), stop: { false })
        #expect(outcome.reason == "source-ended" && opened == 1)
        let score = try #require(conductor.music.score)
        let schedule = EventSchedule(score: score, sampleRate: 44100).events

        // The same events as the audio, in the same order, once each.
        let musical = midi.sent.prefix(schedule.count)
        #expect(outcome.midiEventsSent == midi.sent.count)
        #expect(musical.map { ScheduledEvent(sampleTime: 0, channel: $0.event.channel, kind: $0.event.kind, data1: $0.event.data1, data2: $0.event.data2) }
            == schedule.map { ScheduledEvent(sampleTime: 0, channel: $0.channel, kind: $0.kind, data1: $0.data1, data2: $0.data2) })
        #expect(outcome.eventsQueued == schedule.count, "the audio got them all too")

        // Each stamped at its time in the music plus one offset (the clocks' difference and the
        // audio's queued latency), to within a few milliseconds of smoothing, unless underruns
        // on a loaded machine set the audio back: then the MIDI output follows it.
        let offsets = zip(musical, schedule).map { $0.time - Double($1.sampleTime) / 44100 }
        let sorted = offsets.sorted()
        let median = sorted[sorted.count / 2]
        let lost = outcome.outputLag
        let context = "offsets \(sorted.first!)...\(sorted.last!) s, \(outcome.engine.underruns) underruns, \(lost) s lost"
        #expect(median > -0.01 && median < 0.15 + lost, "the music's time 0 is at \(median) s on the MIDI clock; \(context)")
        #expect(sorted.last! - sorted.first! < 0.03 + lost, "\(context)")
        // Sent ahead of time: all but a few events (a loaded machine) before they were due.
        let early = musical.filter { $0.sentAt <= $0.time }.count
        #expect(early >= musical.count * 9 / 10, "\(early) of \(musical.count) sent before they were due")

        // The closing fade was sent to every channel, and the output closed once it had sounded.
        let fade = try #require(midi.fades.first)
        #expect(midi.fades.count == 1 && fade.seconds == LiveSession.Configuration().closingFadeSeconds)
        let channels = Set(score.tracks.map(\.channel))
        #expect(Set(fade.channels) == channels && Set(midi.closedChannels) == channels)
        let closed = try #require(midi.closedAt)
        #expect(closed >= fade.at + fade.seconds, "closed at \(closed) s, the fade ended at \(fade.at + fade.seconds) s")
        #expect(fade.at >= (musical.last?.time ?? 0), "the fade began after the music's last event was due")
    }

    @Test("the MIDI port goes away mid-session: the fault is logged, the audio goes on, and the port is reopened at a bar line")
    func midiFailsAndComesBack() throws {
        let (conductor, log) = try session(seed: 5)
        let broken = RecordingMIDIOutput()
        broken.failAtSend = 3
        let second = RecordingMIDIOutput()
        var attempts = 0
        var configuration = LiveSession.Configuration()
        configuration.reopenInterval = 1
        let first = try engine(MemorySink(capacityFrames: 44100 * 30, realTime: true))
        let session = LiveSession(conductor: conductor, configuration: configuration, openMIDI: {
            attempts += 1
            switch attempts {
            case 1: return broken
            case 2: throw EmoMusikError(.midiOutput, "still unplugged")
            default: return second
            }
        }) { first }
        let outcome = try session.run(source: RecordedLandmarkSource(frames: SessionFixtures.frames(duration: 7)), stop: { false })
        #expect(outcome.reason == "source-ended")
        #expect(outcome.midiFailures == 1 && outcome.midiReopened == 1 && attempts == 3)
        let events = log.events
        let fault = events.firstIndex { if case .fault(let n) = $0 { n.code == "midi-output" } else { false } }
        let restored = events.firstIndex { if case .warning(let n) = $0 { n.code == "midi-restored" } else { false } }
        #expect(fault != nil && restored != nil && fault! < restored!, "the failure, then the return, are logged")
        #expect(broken.closedAt != nil, "the failed output was closed")

        // The audio did not notice.
        let score = try #require(conductor.music.score)
        #expect(outcome.eventsQueued == EventSchedule(score: score, sampleRate: 44100).events.count)
        #expect(outcome.outputFailures == 0)

        // The reopened output got each channel's program first (at once), then the music from a
        // bar line to the end: the schedule's events from that bar line on.
        let sent = second.sent
        let state = sent.prefix { $0.time == sent.first?.time && $0.event.kind != .noteOn }
        #expect(Set(state.filter { $0.event.kind == .programChange }.map(\.event.channel)) == Set(score.tracks.map(\.channel)))
        func bare(_ e: ScheduledEvent) -> ScheduledEvent { ScheduledEvent(sampleTime: 0, channel: e.channel, kind: e.kind, data1: e.data1, data2: e.data2) }
        let music = sent.dropFirst(state.count).map { bare($0.event) }
        let schedule = EventSchedule(score: score, sampleRate: 44100).events
        #expect(music.count > 20 && music.count < schedule.count, "\(music.count) events after reopening")
        let resume = schedule.count - music.count
        #expect(music == schedule[resume...].map(bare), "a suffix of the music")
        let barFrames = conductor.music.bars.map {
            EventSchedule.quantise(Int64((score.tempoMap.microseconds(atTick: $0.startTick) * 44100 / 1_000_000).rounded()))
        }
        #expect(barFrames.contains { resume > 0 && schedule[resume - 1].sampleTime < $0 && $0 <= schedule[resume].sampleTime },
                "resumed at frame \(schedule[resume].sampleTime), bar lines at \(barFrames)")
        #expect(second.closedAt != nil && second.fades.count == 1)
    }

    @Test("the sound card goes away and does not come back: the MIDI output plays on to the end, on the system clock")
    func audioFailsMIDIPlaysOn() throws {
        let (conductor, log) = try session(seed: 8)
        let midi = RecordingMIDIOutput()
        var attempts = 0
        let session = LiveSession(conductor: conductor, openMIDI: { midi }) {
            attempts += 1
            guard attempts == 1 else { throw EmoMusikError(.audioOutput, "still unplugged") }
            return try self.engine(LiveSessionTests.VanishingSink(periods: 44100 / 256))  // ~1 s
        }
        let began = RecordingMIDIOutput.monotonic()
        let outcome = try session.run(source: RecordedLandmarkSource(frames: SessionFixtures.frames(duration: 6)), stop: { false })
        let took = RecordingMIDIOutput.monotonic() - began
        #expect(outcome.reason == "source-ended" && outcome.outputFailures == 1 && outcome.outputReopened == 0)
        let fault = log.events.compactMap { if case .fault(let n) = $0, n.code == "audio-output" { n } else { nil } }.first
        #expect(fault?.message.contains("on the MIDI output alone") == true, "\(fault?.message ?? "no fault")")

        // Every note of the music reached the MIDI output, the closing ones included.
        let score = try #require(conductor.music.score)
        let notes = EventSchedule(score: score, sampleRate: 44100).events.filter { $0.kind == .noteOn }
        let sentNotes = midi.sent.filter { $0.event.kind == .noteOn }
        #expect(sentNotes.map(\.event.data1) == notes.map(\.data1))
        // The session waited for the music to ring out there before fading and closing.
        let lastNote = try #require(sentNotes.last)
        let fade = try #require(midi.fades.first)
        #expect(fade.at >= lastNote.time, "faded at \(fade.at) s, the last note at \(lastNote.time) s")
        #expect(took >= score.duration, "the session lasted \(took) s for \(score.duration) s of music")
    }

    @Test("stopped mid-session: the MIDI output fades over the stop fade and is closed after it")
    func stopFadesTheMIDIOutput() throws {
        let (conductor, _) = try session(seed: 9)
        let midi = RecordingMIDIOutput()
        let first = try engine(MemorySink(capacityFrames: 44100 * 30, realTime: true))
        let began = RecordingMIDIOutput.monotonic()
        let outcome = try LiveSession(conductor: conductor, openMIDI: { midi }) { first }
            .run(source: RecordedLandmarkSource(frames: SessionFixtures.frames(duration: 60)),
                 stop: { RecordingMIDIOutput.monotonic() - began > 2 })
        #expect(outcome.reason == "interrupted")
        let fade = try #require(midi.fades.first)
        #expect(midi.fades.count == 1 && fade.seconds == LiveSession.Configuration().stopFadeSeconds)
        let closed = try #require(midi.closedAt)
        #expect(closed >= fade.at + fade.seconds && closed < fade.at + fade.seconds + 1.5)
    }
}
