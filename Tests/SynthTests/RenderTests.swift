import EmoMusikCore
import Foundation
import Testing
@testable import Synth

@Suite struct RenderTests {
    @Test func oneNoteSoundsInTheBlockTheScheduleGivesAndNotBefore() throws {
        let score = singleNoteScore(tick: 500)  // 22968.75 frames → block at 22976
        let onset = EventSchedule(score: score, sampleRate: 44100).events.first { $0.kind == .noteOn }!.sampleTime
        #expect(onset == 22976)
        let renderer = try OfflineRenderer(soundfontPath: try testSoundfont(), settings: RenderSettings(reverb: false, chorus: false))
        let audio = try renderer.render(score)
        #expect(audio.sampleRate == 44100 && audio.channels == 2)
        #expect(audio.frames == Int(EventSchedule(score: score, sampleRate: 44100).frameCount(tailSeconds: 2)))

        let samples = audio.samples
        let start = Int(onset) * 2
        // Silent well before the note (and in fact exactly zero up to its block).
        #expect(dBFS(peak(samples[0..<20000 * 2])) < -60)
        #expect(peak(samples[0..<start]) == 0)
        // Sounding around the note.
        #expect(dBFS(peak(samples[start..<start + 44100])) > -30)
        // The first sample above -60 dBFS lies in the note's block plus a short attack (5 ms).
        let threshold = Float(0.001)
        let first = samples.firstIndex { abs($0) > threshold }! / 2
        #expect(first >= Int(onset))
        #expect(first < Int(onset) + 64 + 220, "first audible frame \(first), block starts at \(onset)")
    }

    @Test func renderingIsBitIdenticalAndIndependentOfEarlierRenders() throws {
        let soundfont = try testSoundfont()
        let renderer = try OfflineRenderer(soundfontPath: soundfont)
        let first = try renderer.render(phraseScore())
        _ = try renderer.render(loudDenseScore())  // leaves voices, reverb and chorus state behind
        let second = try renderer.render(phraseScore())
        let fresh = try OfflineRenderer(soundfontPath: soundfont).render(phraseScore())
        #expect(first.samples.count == second.samples.count)
        #expect(first.samples == second.samples)
        #expect(first.samples == fresh.samples)
        #expect(first.peakDBFS > -40)

        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, format) in [("a.wav", AudioSampleFormat.pcm16), ("a24.wav", .pcm24), ("af.wav", .float32), ("a.flac", .pcm16)] {
            let one = "\(directory)/1-\(name)", two = "\(directory)/2-\(name)"
            try AudioFileWriter.write(first, to: one, sampleFormat: format)
            try AudioFileWriter.write(second, to: two, sampleFormat: format)
            let bytesOne = try Data(contentsOf: URL(fileURLWithPath: one))
            let bytesTwo = try Data(contentsOf: URL(fileURLWithPath: two))
            #expect(bytesOne.count > 1000)
            #expect(bytesOne == bytesTwo, "\(name) differs between two writes of the same render")
        }
    }

    @Test func renderersOnParallelTasksAgreeWithEachOther() async throws {
        let soundfont = try testSoundfont()
        let results = try await withThrowingTaskGroup(of: [Float].self) { group in
            for _ in 0..<2 {
                group.addTask { try OfflineRenderer(soundfontPath: soundfont).render(phraseScore()).samples }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 2)
        #expect(results[0] == results[1])
    }

    @Test func loudDenseScoreStaysUnderTheCeiling() throws {
        let settings = RenderSettings(gain: 3, tailSeconds: 0.5)
        let audio = try OfflineRenderer(soundfontPath: try testSoundfont(), settings: settings).render(loudDenseScore())
        let measured = peak(audio.samples[...])
        #expect(audio.appliedGainDB < 0, "this score at gain 3 should need limiting")
        #expect(measured <= Float(pow(10, -1.0 / 20)))
        #expect(audio.peakDBFS <= -1)
        #expect(audio.peakDBFS > -1.001)
        #expect(abs(dBFS(measured) - audio.peakDBFS) < 1e-6)
    }

    @Test func gainStagingScalesDownToTheCeilingAndNeverBoosts() {
        var loud: [Float] = [0.25, -2.0, 1.5, 0]
        let loudResult = OfflineRenderer.stage(&loud, ceilingDBFS: -1)
        let ceiling = Float(pow(10, -1.0 / 20))
        #expect(peak(loud[...]) <= ceiling)
        #expect(peak(loud[...]) > ceiling * 0.99999)
        #expect(abs(loudResult.gainDB - (-1 - 20 * log10(2.0))) < 1e-4)

        var quiet: [Float] = [0.1, -0.2]
        let quietResult = OfflineRenderer.stage(&quiet, ceilingDBFS: -1)
        #expect(quiet == [0.1, -0.2])
        #expect(quietResult.gainDB == 0)
        #expect(abs(quietResult.peakDBFS - 20 * log10(0.2)) < 1e-5)

        var silence = [Float](repeating: 0, count: 8)
        let silentResult = OfflineRenderer.stage(&silence, ceilingDBFS: -1)
        #expect(silence.allSatisfy { $0 == 0 })
        #expect(silentResult.peakDBFS == -.infinity && silentResult.gainDB == 0)
    }

    @Test func renders48kHzAndReportsProgress() throws {
        var fractions: [Double] = []
        let renderer = try OfflineRenderer(soundfontPath: try testSoundfont(), settings: RenderSettings(sampleRate: 48000, tailSeconds: 1))
        let audio = try renderer.render(phraseScore()) { fractions.append($0) }
        #expect(audio.sampleRate == 48000)
        #expect(audio.frames == Int(EventSchedule(score: phraseScore(), sampleRate: 48000).frameCount(tailSeconds: 1)))
        #expect(abs(audio.duration - (phraseScore().duration + 1)) < 0.01)
        #expect(fractions.first == 0 && fractions.last == 1)
        #expect(fractions == fractions.sorted())
        #expect(fractions.count <= 2 + Int(audio.duration * 20))
    }

    @Test func settingsReachFluidSynth() throws {
        let soundfont = try testSoundfont()
        let score = singleNoteScore(tick: 0, duration: 240)
        func render(_ settings: RenderSettings) throws -> RenderedAudio {
            try OfflineRenderer(soundfontPath: soundfont, settings: settings).render(score)
        }
        let dry = try render(RenderSettings(reverb: false, chorus: false, gain: 0.2))
        let louder = try render(RenderSettings(reverb: false, chorus: false, gain: 0.4))
        let wet = try render(RenderSettings(reverb: true, reverbRoomSize: 1, reverbLevel: 1, chorus: false, gain: 0.2))
        // FluidSynth's gain is linear: doubling it adds 6.02 dB.
        #expect(abs(louder.peakDBFS - dry.peakDBFS - 20 * log10(2.0)) < 0.05)
        // A large room keeps sounding after the dry note has died away (1.5 s in, 1.25 s after release).
        let late = 66150 * 2..<(66150 + 4410) * 2
        #expect(dBFS(peak(wet.samples[late])) > dBFS(peak(dry.samples[late])) + 10)
        #expect(wet.samples != dry.samples)
    }

    @Test func anEmptyScoreRendersItsTailAsSilence() throws {
        let renderer = try OfflineRenderer(soundfontPath: try testSoundfont(), settings: RenderSettings(tailSeconds: 0.5))
        let audio = try renderer.render(Score(tempoMap: TempoMap(bpm: 90)))
        #expect(audio.frames == 22080)  // 22050 rounded up to whole 64-frame blocks
        // FluidSynth's reverb adds a tiny anti-denormal offset (about -150 dBFS); never boosted.
        #expect(audio.peakDBFS < -120)
        #expect(audio.appliedGainDB == 0)
        let nothing = try OfflineRenderer(soundfontPath: try testSoundfont(), settings: RenderSettings(tailSeconds: 0))
            .render(Score(tempoMap: TempoMap(bpm: 90)))
        #expect(nothing.frames == 0)
    }

    @Test func badSettingsAreRefusedWithTheAllowedValues() {
        let rate = emoError { _ = try OfflineRenderer(soundfontPath: "/unused.sf2", settings: RenderSettings(sampleRate: 22050)) }
        #expect(rate?.code == .invalidValue)
        #expect(rate?.message.contains("22050") == true)
        #expect(rate?.hint?.contains("44100 or 48000") == true)
        let gain = emoError { try RenderSettings(gain: 11).validate() }
        #expect(gain?.message == "gain 11 is out of range")
        #expect(gain?.hint?.contains("allowed 0...10") == true)
        let tail = emoError { try RenderSettings(tailSeconds: -1).validate() }
        #expect(tail?.message == "tail -1 s is out of range")
        #expect(emoError { try RenderSettings().validate() } == nil)
    }
}
