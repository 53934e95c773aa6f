import Composer
import EmoMusikCore

/// Krumhansl–Schmuckler key finding, local to the tests until `MusicAnalysis` lands: Pearson
/// correlation of the duration-weighted pitch-class histogram of the non-percussion notes with
/// the Krumhansl–Kessler profiles in all 24 rotations.
enum KeyFinder {
    static let major = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
    static let minor = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]

    struct Estimate: Equatable, CustomStringConvertible {
        var tonic: PitchClass
        var family: ModeFamily
        var correlation: Double
        var description: String { "\(tonic) \(family) (r = \(correlation))" }
    }

    static func histogram(_ score: Score) -> [Double] {
        var weights = [Double](repeating: 0, count: 12)
        for track in score.tracks where !track.isPercussion {
            for note in track.notes { weights[Int(note.pitch) % 12] += Double(note.duration) }
        }
        return weights
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count)
        let my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }

    /// All 24 candidates, best first.
    static func ranking(_ score: Score) -> [Estimate] {
        let weights = histogram(score)
        var estimates: [Estimate] = []
        for tonic in 0..<12 {
            for (family, profile) in [(ModeFamily.major, major), (.minor, minor)] {
                let rotated = (0..<12).map { profile[($0 - tonic + 12) % 12] }
                estimates.append(Estimate(tonic: PitchClass(tonic), family: family, correlation: pearson(weights, rotated)))
            }
        }
        return estimates.sorted { $0.correlation > $1.correlation }
    }
}

/// The points every cue test composes: the seven emotions and a 5 × 5 valence/arousal grid.
enum AffectGrid {
    static let steps = [-1.0, -0.5, 0.0, 0.5, 1.0]
    static let grid: [Affect] = steps.flatMap { v in steps.map { a in Affect(valence: v, arousal: a) } }
    static let emotions: [(String, Affect)] = Emotion.allCases.map { ($0.rawValue, $0.affect) }
    static let all: [(String, Affect)] = emotions + grid.map { ("\($0)", $0) }
}

extension Score {
    func track(channel: UInt8) -> Track? { tracks.first { $0.channel == channel } }

    var melody: [Note] { track(channel: Composer.melodyChannel)?.notes ?? [] }
}

/// Sixteen bars at a constant affect with the default configuration.
func compose16(_ affect: Affect, seed: UInt64 = 1) -> Composition {
    Composer(configuration: ComposerConfiguration(seed: seed)).compose(affect: affect, bars: 16)
}
