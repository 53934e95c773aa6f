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
        // About 2.5 s of music plus the 2 s fade; the end is silent, the fade a ramp.
        #expect(frames > Int(4.3 * 44100) && frames < Int(6.5 * 44100), "\(frames) frames")
        #expect(samples.suffix(2).allSatisfy { $0 == 0 })
        func peak(_ range: Range<Int>) -> Float { samples[(range.lowerBound * 2)..<(range.upperBound * 2)].map(abs).max() ?? 0 }
        let fadeStart = frames - 2 * 44100
        #expect(peak((frames - 4410)..<frames) < peak((fadeStart - 22050)..<fadeStart) * 0.3, "the last 0.1 s is well below the music before the fade")
    }
}
