import Foundation

/// A second-order IIR section, normalised so that a0 = 1:
/// y[n] = b0 x[n] + b1 x[n−1] + b2 x[n−2] − a1 y[n−1] − a2 y[n−2].
public struct Biquad: Sendable, Equatable {
    public var b0: Double, b1: Double, b2: Double, a1: Double, a2: Double

    public init(b0: Double, b1: Double, b2: Double, a1: Double, a2: Double) {
        self.b0 = b0
        self.b1 = b1
        self.b2 = b2
        self.a1 = a1
        self.a2 = a2
    }

    /// The magnitude response at `frequency` Hz, in dB.
    public func gainDB(at frequency: Double, sampleRate: Double) -> Double {
        let w = 2 * Double.pi * frequency / sampleRate
        // H(e^{jw}) = (b0 + b1 e^{-jw} + b2 e^{-2jw}) / (1 + a1 e^{-jw} + a2 e^{-2jw})
        let numRe = b0 + b1 * cos(w) + b2 * cos(2 * w)
        let numIm = -(b1 * sin(w) + b2 * sin(2 * w))
        let denRe = 1 + a1 * cos(w) + a2 * cos(2 * w)
        let denIm = -(a1 * sin(w) + a2 * sin(2 * w))
        return 10 * log10((numRe * numRe + numIm * numIm) / (denRe * denRe + denIm * denIm))
    }
}

/// Integrated loudness after ITU-R BS.1770-4 (EBU R 128): K-weighting (a high-shelf "pre-filter"
/// for the head's acoustic effect, then the RLB high-pass), mean square per channel over 400 ms
/// blocks that overlap by 75 % (a block every 100 ms), block loudness
/// l = −0.691 + 10 log10(Σ G_i z_i) with G = 1 for the left, right (and centre) channels, an
/// absolute gate at −70 LUFS, then a relative gate 10 LU below the loudness of the blocks that
/// passed the absolute gate; the integrated loudness is that of the blocks passing both gates.
///
/// The standard tabulates the two filters at 48 kHz only. Here they are made at any sample rate
/// from their analogue prototypes (a shelf at f0 ≈ 1681.97 Hz, +4.00 dB, Q ≈ 0.7072; a high-pass
/// at f0 ≈ 38.135 Hz, Q ≈ 0.5003) by the bilinear transform with pre-warping; at 48 kHz this
/// reproduces the standard's coefficients (see the tests).
///
/// [any] Stateless.
public enum LoudnessMeter {
    /// Block length and hop, in seconds.
    public static let blockSeconds = 0.4
    public static let hopSeconds = 0.1
    public static let absoluteGateLUFS = -70.0
    public static let relativeGateLU = -10.0

    /// The K-weighting filters at `sampleRate`: stage 1 (pre-filter, high shelf) and stage 2 (RLB high-pass).
    public static func kWeighting(sampleRate: Double) -> (shelf: Biquad, highPass: Biquad) {
        // Stage 1: a second-order high shelf. V_h is the high-frequency gain, V_b the band gain.
        let f0 = 1681.974450955533
        let gainDB = 3.999843853973347
        let q = 0.7071752369554196
        let k = tan(Double.pi * f0 / sampleRate)
        let vh = pow(10, gainDB / 20)
        let vb = pow(vh, 0.4996667741545416)
        let a0 = 1 + k / q + k * k
        let shelf = Biquad(
            b0: (vh + vb * k / q + k * k) / a0, b1: 2 * (k * k - vh) / a0, b2: (vh - vb * k / q + k * k) / a0,
            a1: 2 * (k * k - 1) / a0, a2: (1 - k / q + k * k) / a0)
        // Stage 2: a second-order high-pass; the standard gives its numerator as 1, −2, 1.
        let f1 = 38.13547087602444
        let q1 = 0.5003270373238773
        let k1 = tan(Double.pi * f1 / sampleRate)
        let d = 1 + k1 / q1 + k1 * k1
        let highPass = Biquad(b0: 1, b1: -2, b2: 1, a1: 2 * (k1 * k1 - 1) / d, a2: (1 - k1 / q1 + k1 * k1) / d)
        return (shelf, highPass)
    }

    /// The mean squares z of each gating block, summed over channels (all weights 1: mono,
    /// stereo, or L, R, C), for interleaved `samples`.
    public static func blockPowers(samples: [Float], channels: Int, sampleRate: Int) -> [Double] {
        precondition(channels >= 1 && channels <= 3, "the meter weights mono, stereo and L/R/C audio only")
        precondition(samples.count % channels == 0, "samples must hold whole frames")
        let frames = samples.count / channels
        let hop = Int((hopSeconds * Double(sampleRate)).rounded())
        let blockHops = Int((blockSeconds / hopSeconds).rounded())
        let blockFrames = hop * blockHops
        guard frames >= blockFrames, hop > 0 else { return [] }
        let (shelf, highPass) = kWeighting(sampleRate: Double(sampleRate))
        // Σ over channels of the K-weighted squares in each 100 ms hop.
        let hops = frames / hop
        var hopEnergy = [Double](repeating: 0, count: hops)
        samples.withUnsafeBufferPointer { x in
            for c in 0..<channels {
                // Direct form I, both stages, state per channel.
                var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0  // shelf
                var u1 = 0.0, u2 = 0.0, v1 = 0.0, v2 = 0.0  // high-pass
                var index = c
                for h in 0..<hops {
                    var sum = 0.0
                    for _ in 0..<hop {
                        let input = Double(x[index])
                        index += channels
                        let y = shelf.b0 * input + shelf.b1 * x1 + shelf.b2 * x2 - shelf.a1 * y1 - shelf.a2 * y2
                        x2 = x1; x1 = input; y2 = y1; y1 = y
                        let v = highPass.b0 * y + highPass.b1 * u1 + highPass.b2 * u2 - highPass.a1 * v1 - highPass.a2 * v2
                        u2 = u1; u1 = y; v2 = v1; v1 = v
                        sum += v * v
                    }
                    hopEnergy[h] += sum
                }
            }
        }
        let blocks = hops - blockHops + 1
        return (0..<blocks).map { j in
            var sum = 0.0
            for h in j..<(j + blockHops) { sum += hopEnergy[h] }
            return sum / Double(blockFrames)
        }
    }

    /// Loudness of a summed mean square, in LUFS.
    public static func loudness(power: Double) -> Double {
        power > 0 ? -0.691 + 10 * log10(power) : -.infinity
    }

    /// The gated integrated loudness in LUFS; `-infinity` when no block passes the absolute gate
    /// (silence, or audio shorter than one 400 ms block).
    public static func integratedLoudness(samples: [Float], channels: Int, sampleRate: Int) -> Double {
        let powers = blockPowers(samples: samples, channels: channels, sampleRate: sampleRate)
        let absolute = powers.filter { loudness(power: $0) > absoluteGateLUFS }
        guard !absolute.isEmpty else { return -.infinity }
        let relativeGate = loudness(power: absolute.reduce(0, +) / Double(absolute.count)) + relativeGateLU
        let gated = absolute.filter { loudness(power: $0) > relativeGate }
        guard !gated.isEmpty else { return -.infinity }
        return loudness(power: gated.reduce(0, +) / Double(gated.count))
    }

    /// The highest absolute sample value, in dBFS (`-infinity` for silence).
    public static func samplePeakDBFS(_ samples: [Float]) -> Double {
        var peak: Float = 0
        for x in samples { peak = max(peak, abs(x)) }
        return peak > 0 ? 20 * log10(Double(peak)) : -.infinity
    }
}
