import EmoMusikCore
@testable import EmotionNet

/// Helpers shared by the EmotionNet tests.
enum TestSupport {
    /// A deterministic random tensor with entries in (−scale, scale).
    static func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var rng = SplitMix64(seed: seed)
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<count).map { _ in (2 * rng.nextUnitFloat() - 1) * scale })
    }

    /// D^-½(A + I)D^-½ for a ring over `nodes` nodes plus a few seeded chords: symmetric, like the face graph.
    static func normalisedAdjacency(nodes: Int, seed: UInt64 = 7) -> [Float] {
        var a = [Float](repeating: 0, count: nodes * nodes)
        func connect(_ i: Int, _ j: Int) { a[i * nodes + j] = 1; a[j * nodes + i] = 1 }
        for i in 0..<nodes { connect(i, i); if nodes > 1 { connect(i, (i + 1) % nodes) } }
        var rng = SplitMix64(seed: seed)
        for _ in 0..<nodes { connect(Int(rng.next() % UInt64(nodes)), Int(rng.next() % UInt64(nodes))) }
        let degree = (0..<nodes).map { i in (0..<nodes).reduce(Float(0)) { $0 + a[i * nodes + $1] } }
        for i in 0..<nodes {
            for j in 0..<nodes { a[i * nodes + j] /= (degree[i] * degree[j]).squareRoot() }
        }
        return a
    }

    /// ‖a − b‖ / max(‖a‖, ‖b‖, floor): the norm-based relative error of two gradient vectors.
    static func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-3) -> Double {
        precondition(a.count == b.count)
        var diff = 0.0, na = 0.0, nb = 0.0
        for i in a.indices {
            diff += (a[i] - b[i]) * (a[i] - b[i])
            na += a[i] * a[i]
            nb += b[i] * b[i]
        }
        return diff.squareRoot() / max(na.squareRoot(), nb.squareRoot(), floor)
    }
}

/// Central finite differences of a scalar function against analytic gradients.
///
/// The checked scalar is L = Σᵢ yᵢ·Rᵢ for a fixed random R (accumulated in Double), so dL/dy = R and
/// a single backward pass gives every analytic gradient.
struct GradientChecker {
    /// Perturbation size. Float32 forward passes: 1e-2 keeps round-off noise (≈1e-6/ε) well below the
    /// 1e-2 tolerance while the O(ε²) truncation error of central differences stays ≈1e-4.
    var epsilon: Float = 1e-2
    /// Entries checked per tensor (chosen at random without replacement when the tensor is larger).
    var samplesPerTensor = 24
    var seed: UInt64 = 99

    struct Result {
        /// Relative error per checked tensor ("input" and parameter names).
        var errors: [String: Double]
        /// Norm of the numeric gradient per tensor, to show a check was not vacuous.
        var numericNorms: [String: Double]
        /// Norm of the analytic gradient (at the checked entries) per tensor.
        var analyticNorms: [String: Double] = [:]
        var worst: Double { errors.values.max() ?? 0 }
    }

    /// - Parameters:
    ///   - input: the layer input; its gradient is checked unless `checkInput` is false.
    ///   - parameters: parameters whose gradients the backward pass accumulates.
    ///   - forward: runs the layer (must be deterministic).
    ///   - backward: given dL/dy, returns dL/dx and accumulates parameter gradients.
    ///   - corruptAnalytic: lets a test damage the analytic gradients to prove the check can fail.
    func check(
        input: Tensor, parameters: [(String, Parameter)], checkInput: Bool = true,
        forward: (Tensor) -> Tensor, backward: (Tensor) -> Tensor,
        corruptAnalytic: ((inout [String: [Float]]) -> Void)? = nil
    ) -> Result {
        var rng = SplitMix64(seed: seed)
        let y0 = forward(input)
        let r = (0..<y0.count).map { _ in 2 * rng.nextUnitFloat() - 1 }
        func loss(_ y: Tensor) -> Double {
            var s = 0.0
            for i in 0..<y.count { s += Double(y.storage[i]) * Double(r[i]) }
            return s
        }
        for (_, p) in parameters { p.zeroGrad() }
        _ = forward(input)
        let dx = backward(Tensor(shape: y0.shape, storage: r))
        var analytic: [String: [Float]] = [:]
        if checkInput { analytic["input"] = dx.storage }
        for (name, p) in parameters { analytic[name] = p.grad.storage }
        corruptAnalytic?(&analytic)

        func indices(_ count: Int) -> [Int] {
            if count <= samplesPerTensor { return Array(0..<count) }
            var all = Array(0..<count)
            for i in 0..<samplesPerTensor {
                let j = i + Int(rng.next() % UInt64(count - i))
                all.swapAt(i, j)
            }
            return Array(all[0..<samplesPerTensor])
        }

        var result = Result(errors: [:], numericNorms: [:])
        if checkInput {
            var x = input
            var numeric: [Double] = []
            var exact: [Double] = []
            for i in indices(x.count) {
                let saved = x.storage[i]
                x.storage[i] = saved + epsilon
                let up = loss(forward(x))
                x.storage[i] = saved - epsilon
                let down = loss(forward(x))
                x.storage[i] = saved
                numeric.append((up - down) / (2 * Double(epsilon)))
                exact.append(Double(analytic["input"]![i]))
            }
            result.errors["input"] = TestSupport.relativeError(exact, numeric)
            result.numericNorms["input"] = numeric.reduce(0) { $0 + $1 * $1 }.squareRoot()
            result.analyticNorms["input"] = exact.reduce(0) { $0 + $1 * $1 }.squareRoot()
        }
        for (name, p) in parameters {
            var numeric: [Double] = []
            var exact: [Double] = []
            for i in indices(p.value.count) {
                let saved = p.value.storage[i]
                p.value.storage[i] = saved + epsilon
                let up = loss(forward(input))
                p.value.storage[i] = saved - epsilon
                let down = loss(forward(input))
                p.value.storage[i] = saved
                numeric.append((up - down) / (2 * Double(epsilon)))
                exact.append(Double(analytic[name]![i]))
            }
            result.errors[name] = TestSupport.relativeError(exact, numeric)
            result.numericNorms[name] = numeric.reduce(0) { $0 + $1 * $1 }.squareRoot()
            result.analyticNorms[name] = exact.reduce(0) { $0 + $1 * $1 }.squareRoot()
        }
        return result
    }
}
