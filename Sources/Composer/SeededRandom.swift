import EmoMusikCore
/// The composer's seeded generator: the shared ``SplitMix64`` with independent streams.
///
/// The composer never uses the system generator: every random choice comes from a
/// `SeededRandom` derived from the configuration's seed, the voice and the bar, so the same seed
/// and input give the same score on every run and platform, and changing one voice's generator
/// does not disturb the choices of the others.
struct SeededRandom: RandomNumberGenerator, Sendable {
    /// Independent streams of choices, one per concern.
    enum Stream: UInt64, Sendable {
        case harmony = 1, melody, bass, pad, drums, phrase
    }

    private var base: SplitMix64

    init(seed: UInt64) {
        base = SplitMix64(seed: seed)
    }

    /// A generator for one concern (`stream`) at one position (`index`, usually the bar).
    init(seed: UInt64, stream: Stream, index: Int) {
        var mixer = SeededRandom(seed: seed ^ (stream.rawValue &* 0x9E37_79B9_7F4A_7C15))
        let a = mixer.next()
        var second = SeededRandom(seed: a ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
        base = SplitMix64(seed: second.next())
    }

    mutating func next() -> UInt64 { base.next() }

    /// A uniform value in 0..<1 with 53 random bits (platform-independent, unlike `Double.random`).
    mutating func unit() -> Double { base.nextUnit() }

    /// A uniform value in `range`.
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// A uniform integer in 0..<`bound` (`bound` > 0).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(unit() * Double(bound))
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        unit() < p
    }

    /// One element, uniformly; `nil` for an empty collection.
    mutating func pick<C: RandomAccessCollection>(_ items: C) -> C.Element? where C.Index == Int {
        items.isEmpty ? nil : items[items.startIndex + below(items.count)]
    }

    /// One element chosen with probability proportional to its weight (weights ≥ 0, not all 0).
    mutating func weighted<T>(_ choices: [(T, Double)]) -> T? {
        let total = choices.reduce(0) { $0 + max($1.1, 0) }
        guard total > 0 else { return choices.first?.0 }
        var x = unit() * total
        for (value, weight) in choices {
            x -= max(weight, 0)
            if x < 0 { return value }
        }
        return choices.last?.0
    }
}
