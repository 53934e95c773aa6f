import EmoMusikCore

/// Bootstrap draws from the shared seeded generator (the same stream on every platform and
/// toolchain, so a seed reproduces an interval exactly).
extension SplitMix64 {
    /// A uniform integer in 0..<bound without modulo bias (Lemire's multiply-and-reject), written
    /// here rather than taken from `Int.random(in:using:)` so the stream cannot change with the
    /// standard library.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "nextIndex needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }
}
