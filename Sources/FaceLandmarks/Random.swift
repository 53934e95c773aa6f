import EmoMusikCore

/// xoshiro256** (Blackman and Vigna 2018), seeded through SplitMix64. The same seed gives the same
/// numbers on every machine; the helpers below use only IEEE arithmetic and ``DeterministicMath``.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        s = (mixer.next(), mixer.next(), mixer.next(), mixer.next())
    }

    /// A generator for item `index` of a stream seeded with `seed`, independent of the other items.
    public init(seed: UInt64, stream: UInt64, index: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        let base = mixer.next()
        self.init(seed: base ^ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    public mutating func next() -> UInt64 {
        let result = rotate(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotate(s.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// Uniform integer in `range`, without modulo bias worth mentioning (64-bit multiply-shift).
    public mutating func integer(_ range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound + 1)
        return range.lowerBound + Int(next().multipliedFullWidth(by: width).high)
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Standard normal (Marsaglia's polar method; square root and ``DeterministicMath/log(_:)`` only).
    public mutating func gaussian() -> Double {
        while true {
            let u = 2 * unit() - 1
            let v = 2 * unit() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * DeterministicMath.log(s) / s).squareRoot()
            }
        }
    }

    /// Normal with the given mean and standard deviation.
    public mutating func gaussian(mean: Double, sd: Double) -> Double { mean + sd * gaussian() }

    /// Fisher–Yates shuffle.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, integer(0...i))
        }
    }
}

/// Sine, cosine and logarithm from IEEE arithmetic alone, so that generated data does not depend on
/// the platform's libm. Accurate to about 1e-15 on the ranges the generator uses.
public enum DeterministicMath {
    public static func sin(_ x: Double) -> Double {
        let (r, quadrant) = reduce(x)
        switch quadrant {
        case 0: return sinKernel(r)
        case 1: return cosKernel(r)
        case 2: return -sinKernel(r)
        default: return -cosKernel(r)
        }
    }

    public static func cos(_ x: Double) -> Double {
        let (r, quadrant) = reduce(x)
        switch quadrant {
        case 0: return cosKernel(r)
        case 1: return -sinKernel(r)
        case 2: return -cosKernel(r)
        default: return sinKernel(r)
        }
    }

    /// Natural logarithm of a positive finite number.
    public static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "log needs a positive finite number, got \(x)")
        // x = m · 2^e with m in [sqrt(1/2), sqrt(2)); log m by the atanh series of (m-1)/(m+1).
        var e = Double(x.exponent)
        var m = x.significand  // [1, 2)
        if m > 1.4142135623730951 {
            m /= 2
            e += 1
        }
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var term = t
        var sum = 0.0
        var k = 1.0
        while k < 60 {
            sum += term / k
            term *= t2
            k += 2
        }
        return 2 * sum + e * 0.6931471805599453
    }

    private static func reduce(_ x: Double) -> (Double, Int) {
        let halfPi = 1.5707963267948966
        let n = (x / halfPi).rounded()
        let r = (x - n * 1.5707963267948966) - n * 6.123233995736766e-17
        let quadrant = ((Int(n) % 4) + 4) % 4
        return (r, quadrant)
    }

    private static func sinKernel(_ r: Double) -> Double {
        let r2 = r * r
        var term = r
        var sum = r
        for k in stride(from: 2.0, through: 26, by: 2) {
            term *= -r2 / (k * (k + 1))
            sum += term
        }
        return sum
    }

    private static func cosKernel(_ r: Double) -> Double {
        let r2 = r * r
        var term = 1.0
        var sum = 1.0
        for k in stride(from: 1.0, through: 25, by: 2) {
            term *= -r2 / (k * (k + 1))
            sum += term
        }
        return sum
    }
}
