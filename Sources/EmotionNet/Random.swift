import Foundation

import EmoMusikCore

/// The draws this module takes from the shared seeded generator (initialisation, shuffling,
/// dropout, augmentation), so a seed reproduces a run bit for bit.
extension SplitMix64 {
    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Standard normal by Box–Muller.
    public mutating func nextGaussian() -> Float {
        let u1 = max(nextUnit(), 1e-300)
        let u2 = nextUnit()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

