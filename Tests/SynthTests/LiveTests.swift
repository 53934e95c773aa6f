import EmoMusikCore
import Foundation
import Testing
@testable import Synth

@Suite struct LiveRingTests {
    @Test func pushAndPopAreFIFOAndRefuseWhenFull() {
        let ring = SPSCRing<Int64>(minimumCapacity: 3)
        #expect(ring.capacity == 4)
        #expect(ring.pop() == nil)
        for value in 0..<4 { #expect(ring.push(Int64(value))) }
        #expect(!ring.push(99), "a full ring refuses")
        #expect(ring.count == 4)
        #expect(ring.peek() == 0)
        for value in 0..<4 { #expect(ring.pop() == Int64(value)) }
        #expect(ring.pop() == nil)
    }

    @Test func wrapsAroundManyTimes() {
        let ring = SPSCRing<Int>(minimumCapacity: 8)
        var next = 0, expected = 0
        for round in 0..<1000 {
            for _ in 0..<(round % 7 + 1) where ring.push(next) { next += 1 }
            while let value = ring.pop() {
                #expect(value == expected)
                expected += 1
            }
        }
        #expect(expected == next && next > 3000)
    }

    @Test func popUpToTakesOnlyDueEvents() {
        let ring = SPSCRing<ScheduledEvent>(minimumCapacity: 16)
        for time in [0, 64, 64, 128] as [Int64] {
            ring.push(ScheduledEvent(sampleTime: time, channel: 0, kind: .noteOn, data1: 60, data2: 100))
        }
        #expect(ring.pop(upTo: 0) == nil)
        #expect(ring.pop(upTo: 1)?.sampleTime == 0)
        #expect(ring.pop(upTo: 64) == nil)
        #expect(ring.pop(upTo: 65)?.sampleTime == 64)
        #expect(ring.pop(upTo: 65)?.sampleTime == 64)
        #expect(ring.pop(upTo: 65) == nil)
        #expect(ring.pop(upTo: .max)?.sampleTime == 128)
    }

    @Test func twoThreadsPassAMillionElementsInOrder() async {
        let ring = SPSCRing<ScheduledEvent>(minimumCapacity: 1024)
        let total = 1_000_000
        async let produced: Int = Task.detached {
            var pushed = 0, fullSpins = 0
            while pushed < total {
                let event = ScheduledEvent(sampleTime: Int64(pushed), channel: UInt8(pushed & 15), kind: .noteOn,
                                           data1: UInt8(pushed & 127), data2: UInt8((pushed >> 7) & 127))
                if ring.push(event) { pushed += 1 } else { fullSpins += 1; if fullSpins & 255 == 0 { sched_yield() } }
            }
            return pushed
        }.value
        let consumed: (count: Int, ordered: Bool) = await Task.detached {
            var count = 0, ordered = true, spins = 0
            while count < total {
                if let event = ring.pop() {
                    ordered = ordered && event.sampleTime == Int64(count) && event.channel == UInt8(count & 15)
                        && event.data1 == UInt8(count & 127) && event.data2 == UInt8((count >> 7) & 127)
                    count += 1
                } else {
                    spins += 1
                    if spins & 255 == 0 { sched_yield() }
                }
            }
            return (count, ordered)
        }.value
        #expect(await produced == total)
        #expect(consumed.count == total)
        #expect(consumed.ordered)
        #expect(ring.pop() == nil)
    }
}

@Suite struct LiveEngineTests {
    /// Live with a virtual clock (a MemorySink that never waits) renders exactly what the offline
    /// renderer renders, on the same 64-frame grid.
    @Test func liveOutputEqualsOfflineRenderSampleForSample() throws {
        let soundfont = try testSoundfont()
        let settings = RenderSettings(sampleRate: 44100)
        let score = phraseScore()
        let offline = try OfflineRenderer(soundfontPath: soundfont, settings: settings).render(score)
        #expect(offline.appliedGainDB == 0, "compare before gain staging: this score must not be limited")
        let sink = MemorySink(capacityFrames: offline.frames)
        let engine = try LiveEngine(
            soundfontPath: soundfont, settings: settings, sink: sink,
            configuration: .init(periodFrames: 256, maxFrames: Int64(offline.frames)))
        let queued = engine.schedule(score: score)
        #expect(queued == EventSchedule(score: score, sampleRate: 44100).events.count)
        try engine.start()
        engine.waitUntilFinished()
        #expect(sink.framesRecorded == offline.frames)
        let live = sink.samples
        #expect(live.count == offline.samples.count)
        let firstDifference = zip(live, offline.samples).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        let maxDifference = zip(live, offline.samples).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(firstDifference == nil, "live and offline differ first at sample \(firstDifference ?? -1)")
        #expect(engine.statistics.eventsDropped == 0 && engine.statistics.eventsLate == 0)
        #expect(peak(live[...]) > 0.01)
    }

    @Test func nullSinkPacesPeriodsInRealTime() throws {
        let sink = NullSink()
        #expect(sink.playTime(ofFrame: 0) == nil, "no device clock before the first period")
        let periods = 200  // 256 frames at 48 kHz: 5.33 ms each, about 1.07 s
        let engine = try LiveEngine(
            soundfontPath: try testSoundfont(), settings: RenderSettings(sampleRate: 48000), sink: sink,
            configuration: .init(periodFrames: 256, maxFrames: Int64(periods * 256)))
        engine.schedule(score: singleNoteScore(tick: 0))
        let clock = ContinuousClock()
        let start = clock.now
        try engine.start()
        engine.waitUntilFinished()
        let elapsed = (clock.now - start) / .seconds(1)
        let nominal = Double(periods) * 256 / 48000
        // The first bufferPeriods - 1 periods go out at once; the rest wait for the clock.
        #expect(elapsed >= 0.9 * (nominal - 256.0 / 48000), "\(periods) periods took \(elapsed) s, nominal \(nominal) s")
        #expect(elapsed < nominal * 3 + 1)
        #expect(engine.statistics.periodsRendered == periods)
        #expect(sink.statistics.periods == periods)
        let stats = engine.statistics
        #expect(stats.maxRenderNanoseconds > 0)
        // Where a slow period went: its time on the CPU is part of its wall time, and the
        // kernel's run-queue figure for the audio thread was read as it ended.
        #expect(stats.maxRenderCPUNanoseconds > 0)
        #expect(stats.worstRenderCPUNanoseconds <= stats.maxRenderNanoseconds)
        #expect(stats.worstRenderCPUNanoseconds <= stats.maxRenderCPUNanoseconds)
        let waited = try #require(stats.runQueueWaitNanoseconds, "Linux publishes /proc/thread-self/schedstat")
        #expect(waited >= 0 && Double(waited) < elapsed * 1e9)
        #expect(sink.maxOversleepNanoseconds >= 0 && Double(sink.maxOversleepNanoseconds) < elapsed * 1e9)
        // The device clock: frame 0 played within the run, frames follow at the sample rate.
        let zero = try #require(sink.playTime(ofFrame: 0))
        #expect(sink.playTime(ofFrame: 48000).map { $0 - zero } == 1_000_000_000)
    }

    @Test func stopFadesOutToSilence() throws {
        // Paced like a device, so this thread can ask for the stop while it plays; 20 s of room
        // leaves this thread 19.5 s to be scheduled, however loaded the machine is.
        let sink = MemorySink(capacityFrames: 48000 * 20, realTime: true)
        let engine = try LiveEngine(
            soundfontPath: try testSoundfont(), settings: RenderSettings(sampleRate: 48000), sink: sink,
            configuration: .init(periodFrames: 256))
        // A loud sustained chord from the start: the fade is what silences it.
        engine.schedule(score: loudDenseScore())
        try engine.start()
        while sink.framesRecorded < 48000 / 2 { usleep(1000) }
        engine.stop(fadeSeconds: 0.05)
        #expect(sink.framesDropped == 0)
        let samples = sink.samples
        #expect(samples.count / 2 % 256 == 0)
        // Sounding before the fade, silent at its end.
        #expect(peak(samples[0..<(48000 / 2 * 2)]) > 0.05)
        let lastPeriod = samples[(samples.count - 512)...]
        #expect(peak(lastPeriod.suffix(2)) == 0, "the fade ends on exact silence")
        // The last 32 frames have a gain of at most 32/2400.
        #expect(peak(lastPeriod.suffix(64)) < 0.02)
        // The fade is a ramp: the last period is quieter than the audio 50 ms before the end.
        let beforeFade = samples[(samples.count - 2 * 2400 - 512)..<(samples.count - 2 * 2400)]
        #expect(peak(lastPeriod) <= peak(beforeFade))
    }

    @Test func fixedLengthRunEndsWithAFadeThatMatchesTheRampExactly() throws {
        // Virtual clock: the same events rendered with and without the end fade; the faded run is
        // the plain one times the linear ramp over the last 2400 frames, sample for sample.
        let frames = 48000 / 2
        let fade = 2400
        func run(endFade: Int) throws -> (samples: [Float], frames: Int64) {
            let sink = MemorySink(capacityFrames: frames)
            let engine = try LiveEngine(
                soundfontPath: try testSoundfont(), settings: RenderSettings(sampleRate: 48000), sink: sink,
                configuration: .init(periodFrames: 256, maxFrames: Int64(frames), endFadeFrames: endFade))
            engine.schedule(score: loudDenseScore())
            try engine.start()
            engine.waitUntilFinished()
            return (sink.samples, engine.framesRendered)
        }
        let plain = try run(endFade: 0)
        let faded = try run(endFade: fade)
        // 24000 frames is not a whole number of 256-frame periods: the run rounds up, and the fade
        // ends on the run's last frame.
        let total = Int((Int64(frames) + 255) / 256 * 256)
        #expect(faded.frames == Int64(total) && plain.frames == faded.frames)
        #expect(faded.samples.count == frames * 2, "the sink keeps its capacity")
        #expect(peak(plain.samples[((frames - fade) * 2)...]) > 0.05, "sounding where the fade happens")
        var worst: Float = 0
        for frame in 0..<frames {
            let gain: Float = frame < total - fade ? 1 : Float(total - frame) / Float(fade)
            for channel in 0..<2 {
                let index = frame * 2 + channel
                worst = max(worst, abs(faded.samples[index] - plain.samples[index] * gain))
            }
        }
        #expect(worst < 1e-6, "faded = plain × ramp; worst difference \(worst)")
    }

    @Test func ceilingHoldsEverySampleAndCountsWhatItHeld() throws {
        // The loud chord at a high gain goes well over -12 dBFS; with the ceiling nothing does.
        func run(ceiling: Double?) throws -> (peak: Float, clipped: Int) {
            let sink = MemorySink(capacityFrames: 48000 / 2)
            let engine = try LiveEngine(
                soundfontPath: try testSoundfont(), settings: RenderSettings(sampleRate: 48000, gain: 1.5), sink: sink,
                configuration: .init(periodFrames: 256, maxFrames: 48000 / 2, ceilingDBFS: ceiling))
            engine.schedule(score: loudDenseScore())
            try engine.start()
            engine.waitUntilFinished()
            return (peak(sink.samples[...]), engine.statistics.clippedSamples)
        }
        let open = try run(ceiling: nil)
        let limited = try run(ceiling: -12)
        let ceiling = Float(pow(10, -12.0 / 20))
        #expect(open.peak > ceiling * 1.2 && open.clipped == 0)
        #expect(limited.peak <= ceiling && limited.peak > ceiling * 0.99)
        #expect(limited.clipped > 0)
    }

    @Test func markersReportTheBlockThatAppliedThem() throws {
        let sink = MemorySink(capacityFrames: 4096)
        let engine = try LiveEngine(
            soundfontPath: try testSoundfont(), sink: sink, configuration: .init(periodFrames: 256, maxFrames: 4096))
        for frame in [100, 640, 1000] as [Int64] {
            engine.schedule(ScheduledEvent(sampleTime: frame, channel: 0, kind: .controlChange,
                                           data1: LiveEngine.markerController, data2: 0))
        }
        try engine.start()
        engine.waitUntilFinished()
        var markers: [LiveEngine.Marker] = []
        while let marker = engine.popMarker() { markers.append(marker) }
        #expect(markers.map(\.appliedFrame) == [128, 640, 1024])
        #expect(markers.map(\.periodStartFrame) == [0, 512, 1024])
        #expect(markers.allSatisfy { $0.handedNanoseconds > 0 })
    }

    @Test func badPeriodIsRefusedWithAReason() throws {
        let error = emoError {
            _ = try LiveEngine(soundfontPath: try testSoundfont(), sink: NullSink(), configuration: .init(periodFrames: 100))
        }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.contains("100") == true)
    }
}

@Suite struct LiveALSATests {
    @Test func nullPCMOpensAndAcceptsAFewHundredPeriods() throws {
        for format in ALSASink.SampleFormat.allCases {
            let sink = ALSASink(device: "null", format: format, periodFrames: 256, bufferFrames: 1024)
            do {
                try sink.prepare(sampleRate: 48000, channels: 2, periodFrames: 256)
            } catch {
                Issue.record("ALSA null PCM did not open (is alsa-lib's alsa.conf installed?): \(error)")
                return
            }
            #expect(sink.negotiated.sampleRate == 48000)
            var buffer = [Float](repeating: 0, count: 512)
            for i in 0..<256 { buffer[2 * i] = sin(Float(i) * 0.1); buffer[2 * i + 1] = buffer[2 * i] * 2 }  // int16 clips
            for _ in 0..<300 {
                let result = buffer.withUnsafeBufferPointer { sink.write($0, frames: 256) }
                #expect(result != .failed(code: 0))
                if case .failed = result { Issue.record("write failed: \(result)"); break }
            }
            #expect(sink.statistics.periods == 300)
            sink.close()
        }
    }

    @Test func liveEngineDrivesTheNullPCM() throws {
        let sink = ALSASink(device: "null")
        let engine = try LiveEngine(
            soundfontPath: try testSoundfont(), settings: RenderSettings(sampleRate: 48000), sink: sink,
            configuration: .init(periodFrames: 256, maxFrames: 256 * 300))
        engine.schedule(score: singleNoteScore(tick: 0))
        try engine.start()
        engine.waitUntilFinished()
        #expect(engine.sinkFailure == nil)
        #expect(engine.statistics.periodsRendered == 300)
    }

    /// ALSA's `file` plugin (in every alsa.conf) tees what the device receives into a raw file:
    /// what reached ALSA is the offline render of the same score, sample for sample (float) or
    /// to half a 16-bit step (s16, rounded to nearest).
    @Test(arguments: ALSASink.SampleFormat.allCases)
    func alsaReceivesTheOfflineRender(format: ALSASink.SampleFormat) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let raw = "\(directory)/alsa.raw"
        let settings = RenderSettings(sampleRate: 44100)
        let score = phraseScore()
        let offline = try OfflineRenderer(soundfontPath: try testSoundfont(), settings: settings).render(score)
        #expect(offline.appliedGainDB == 0)
        let frames = offline.frames / 256 * 256
        let sink = ALSASink(device: "file:'\(raw)',raw", format: format, periodFrames: 256, bufferFrames: 1024)
        let engine = try LiveEngine(
            soundfontPath: try testSoundfont(), settings: settings, sink: sink,
            configuration: .init(periodFrames: 256, maxFrames: Int64(frames)))
        engine.schedule(score: score)
        try engine.start()
        engine.waitUntilFinished()
        #expect(engine.sinkFailure == nil)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: raw))
        var received: [Float] = []
        switch format {
        case .float32:
            received = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        case .int16:
            received = bytes.withUnsafeBytes { $0.bindMemory(to: Int16.self).map { Float($0) / 32767 } }
        }
        #expect(received.count == frames * 2, "ALSA got \(received.count / 2) frames of \(frames)")
        let tolerance: Float = format == .float32 ? 0 : 0.5 / 32767 + 1e-7  // rounded to the nearest step
        let worst = zip(received, offline.samples).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(worst <= tolerance, "worst difference \(worst)")
        #expect(peak(received[...]) > 0.01)
    }

    @Test func missingDeviceFailsWithAReadableError() {
        let error = emoError { try ALSASink(device: "no-such-device-emomusik").prepare(sampleRate: 48000, channels: 2, periodFrames: 256) }
        #expect(error?.code == .audioOutput)
        #expect(error?.message.contains("no-such-device-emomusik") == true)
    }
}
