import Foundation
import Studies
import Testing

/// A stereo sine, both channels identical, as EBU Tech 3341's test signals are: `segments` of
/// (peak level in dBFS, seconds) one after the other.
func stereoSine(frequency: Double = 1000, segments: [(dBFS: Double, seconds: Double)], sampleRate: Int) -> [Float] {
    var samples: [Float] = []
    var n = 0
    for segment in segments {
        let amplitude = pow(10, segment.dBFS / 20)
        let frames = Int((segment.seconds * Double(sampleRate)).rounded())
        samples.reserveCapacity(samples.count + 2 * frames)
        for _ in 0..<frames {
            let x = Float(amplitude * sin(2 * Double.pi * frequency * Double(n) / Double(sampleRate)))
            samples.append(x)
            samples.append(x)
            n += 1
        }
    }
    return samples
}

@Suite struct LoudnessTests {
    /// ITU-R BS.1770-4, Tables 1 and 2: the two K-weighting stages at 48 kHz.
    @Test func kWeightingAt48kHzReproducesTheStandardsCoefficients() {
        let (shelf, highPass) = LoudnessMeter.kWeighting(sampleRate: 48000)
        let expectedShelf = [1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241, 0.73248077421585]
        let expectedHighPass = [1.0, -2.0, 1.0, -1.99004745483398, 0.99007225036621]
        for (got, want) in zip([shelf.b0, shelf.b1, shelf.b2, shelf.a1, shelf.a2], expectedShelf) {
            #expect(abs(got - want) < 1e-9, "shelf \(got) vs \(want)")
        }
        for (got, want) in zip([highPass.b0, highPass.b1, highPass.b2, highPass.a1, highPass.a2], expectedHighPass) {
            #expect(abs(got - want) < 1e-9, "high-pass \(got) vs \(want)")
        }
        // The filters' purpose: about +4 dB at high frequencies, a steep cut below 40 Hz, ~0.7 dB at 1 kHz.
        for rate in [44100.0, 48000.0] {
            let (s, h) = LoudnessMeter.kWeighting(sampleRate: rate)
            let at1k = s.gainDB(at: 997, sampleRate: rate) + h.gainDB(at: 997, sampleRate: rate)
            #expect(abs(at1k - 0.691) < 0.01, "K-weighting at 997 Hz is \(at1k) dB at \(rate) Hz")
            #expect(abs(s.gainDB(at: 10000, sampleRate: rate) - 4.0) < 0.1)
            #expect(h.gainDB(at: 20, sampleRate: rate) < -5)
        }
    }

    /// EBU Tech 3341 (2016), test cases 1-5: each must read the stated loudness ±0.1 LU.
    @Test(arguments: [44100, 48000])
    func ebuTech3341TestSignals(sampleRate: Int) {
        let cases: [(name: String, segments: [(dBFS: Double, seconds: Double)], expected: Double)] = [
            ("1: -23 dBFS, 20 s", [(-23, 20)], -23),
            ("2: -33 dBFS, 20 s", [(-33, 20)], -33),
            ("3: -36/-23/-36 dBFS (relative gate)", [(-36, 10), (-23, 60), (-36, 10)], -23),
            ("4: -72/-36/-23/-36/-72 dBFS (both gates)", [(-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)], -23),
            ("5: -26/-20/-26 dBFS", [(-26, 20), (-20, 20.1), (-26, 20)], -23),
        ]
        for c in cases {
            let samples = stereoSine(segments: c.segments, sampleRate: sampleRate)
            let measured = LoudnessMeter.integratedLoudness(samples: samples, channels: 2, sampleRate: sampleRate)
            #expect(abs(measured - c.expected) <= 0.1, "case \(c.name) at \(sampleRate) Hz read \(measured) LUFS")
        }
    }

    @Test func monoReadsThreeDecibelsBelowTheSameSignalOnBothChannels() {
        let stereo = stereoSine(segments: [(-20, 5)], sampleRate: 48000)
        let mono = stride(from: 0, to: stereo.count, by: 2).map { stereo[$0] }
        let s = LoudnessMeter.integratedLoudness(samples: stereo, channels: 2, sampleRate: 48000)
        let m = LoudnessMeter.integratedLoudness(samples: mono, channels: 1, sampleRate: 48000)
        #expect(abs(s - (-20)) < 0.1)
        #expect(abs((s - m) - 10 * log10(2.0)) < 0.01)
    }

    @Test func silenceAndTooShortAudioHaveNoLoudness() {
        #expect(LoudnessMeter.integratedLoudness(samples: [Float](repeating: 0, count: 2 * 48000), channels: 2, sampleRate: 48000) == -.infinity)
        // Below the absolute gate (-80 dBFS sine reads about -80 LUFS).
        #expect(LoudnessMeter.integratedLoudness(samples: stereoSine(segments: [(-80, 2)], sampleRate: 48000), channels: 2, sampleRate: 48000) == -.infinity)
        // Shorter than one 400 ms block.
        #expect(LoudnessMeter.integratedLoudness(samples: stereoSine(segments: [(-10, 0.3)], sampleRate: 48000), channels: 2, sampleRate: 48000) == -.infinity)
        #expect(LoudnessMeter.blockPowers(samples: stereoSine(segments: [(-10, 1)], sampleRate: 44100), channels: 2, sampleRate: 44100).count == 7)
    }

    @Test func gainMovesLoudnessByTheSameNumberOfDecibels() {
        let signal = stereoSine(frequency: 440, segments: [(-30, 3), (-12, 2)], sampleRate: 44100)
        let before = LoudnessMeter.integratedLoudness(samples: signal, channels: 2, sampleRate: 44100)
        let gain = Float(pow(10, 7.5 / 20))
        let after = LoudnessMeter.integratedLoudness(samples: signal.map { $0 * gain }, channels: 2, sampleRate: 44100)
        #expect(abs(after - before - 7.5) < 1e-6)
        #expect(abs(LoudnessMeter.samplePeakDBFS(signal) - (-12)) < 0.01)
    }
}
