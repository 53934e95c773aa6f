import EmoMusikCore
/// A trainable tensor with its accumulated gradient.
///
/// Layers own their parameters; backward passes *add* into `grad`, so gradients of several samples
/// accumulate until the optimiser (or ``zeroGrad()``) clears them.
public final class Parameter {
    public var value: Tensor
    public var grad: Tensor

    public init(_ value: Tensor) {
        self.value = value
        self.grad = Tensor(zeros: value.shape)
    }

    public var shape: [Int] { value.shape }

    public func zeroGrad() { grad.zero() }
}

/// Weight initialisers drawing from ``SplitMix64``.
enum Initializer {
    /// Xavier/Glorot uniform: U(−a, a), a = √(6 / (fanIn + fanOut)).
    static func xavierUniform(shape: [Int], fanIn: Int, fanOut: Int, rng: inout SplitMix64) -> Tensor {
        let bound = (6.0 / Float(fanIn + fanOut)).squareRoot()
        return uniform(shape: shape, bound: bound, rng: &rng)
    }

    /// He/Kaiming uniform for ReLU-like layers: U(−a, a), a = √(6 / fanIn).
    static func heUniform(shape: [Int], fanIn: Int, rng: inout SplitMix64) -> Tensor {
        let bound = (6.0 / Float(fanIn)).squareRoot()
        return uniform(shape: shape, bound: bound, rng: &rng)
    }

    static func uniform(shape: [Int], bound: Float, rng: inout SplitMix64) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = (2 * rng.nextUnitFloat() - 1) * bound }
        return Tensor(shape: shape, storage: values)
    }
}
