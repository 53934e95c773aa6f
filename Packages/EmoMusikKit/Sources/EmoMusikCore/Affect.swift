/// A point on Russell's circumplex: valence (unpleasant → pleasant) and arousal (calm → excited),
/// each in -1...1.
public struct Affect: Sendable, Hashable, Codable, CustomStringConvertible {
    public static let range: ClosedRange<Double> = -1...1
    public static let neutral = Affect(valence: 0, arousal: 0)

    public var valence: Double
    public var arousal: Double

    /// Clamps both coordinates into -1...1 (use ``validated(valence:arousal:)`` for user input).
    public init(valence: Double, arousal: Double) {
        self.valence = min(max(valence, -1), 1)
        self.arousal = min(max(arousal, -1), 1)
    }

    /// Refuses coordinates outside -1...1 or not finite, naming the bad one.
    public static func validated(valence: Double, arousal: Double) throws -> Affect {
        for (name, value) in [("valence", valence), ("arousal", arousal)]
        where !value.isFinite || !range.contains(value) {
            throw EmoMusikError(
                .invalidValue,
                "\(name) \(value) is out of range",
                hint: "valence and arousal go from -1 to 1 (for example --valence 0.6 --arousal -0.3)"
            )
        }
        return Affect(valence: valence, arousal: arousal)
    }

    /// Straight-line interpolation: `t = 0` gives `self`, `t = 1` gives `other`.
    public func interpolated(to other: Affect, by t: Double) -> Affect {
        Affect(valence: valence + (other.valence - valence) * t, arousal: arousal + (other.arousal - arousal) * t)
    }

    public func distance(to other: Affect) -> Double {
        ((valence - other.valence) * (valence - other.valence) + (arousal - other.arousal) * (arousal - other.arousal)).squareRoot()
    }

    public var description: String {
        func format(_ x: Double) -> String {
            let scaled = (x * 100).rounded() / 100
            return scaled == 0 ? "0" : "\(scaled)"
        }
        return "(valence \(format(valence)), arousal \(format(arousal)))"
    }
}
