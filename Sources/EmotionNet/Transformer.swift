import EmoMusikCore
/// Position-wise feed-forward network: Linear(D → F) – GELU – Linear(F → D).
///
/// `[T, D] → [T, D]`. Parameters: `fc1` (weight [F, D], bias [F]), `fc2` (weight [D, F], bias [D]).
public final class FeedForward {
    public let fc1: Linear
    public let fc2: Linear
    private var cachedHidden: [Float] = []

    public init(width: Int, hiddenWidth: Int, rng: inout SplitMix64) {
        fc1 = Linear(inputWidth: width, outputWidth: hiddenWidth, rng: &rng)
        fc2 = Linear(inputWidth: hiddenWidth, outputWidth: width, rng: &rng)
    }

    public var parameters: [(String, Parameter)] {
        fc1.parameters.map { ("fc1.\($0.0)", $0.1) } + fc2.parameters.map { ("fc2.\($0.0)", $0.1) }
    }

    public func forward(_ x: Tensor) -> Tensor {
        let h = fc1.forward(x)
        cachedHidden = h.storage
        return fc2.forward(Tensor(shape: h.shape, storage: Activation.gelu.apply(h.storage)))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        let dh = fc2.backward(gradOutput)
        let da = Activation.gelu.backward(preActivation: cachedHidden, gradOutput: dh.storage)
        return fc1.backward(Tensor(shape: dh.shape, storage: da))
    }
}

/// Inverted dropout: in training, zeroes each element with probability `rate` and scales the rest by
/// 1/(1 − rate); the identity at inference. `[*] → [*]`; no parameters.
public final class Dropout {
    public let rate: Float
    private var cachedMask: [Float]?

    public init(rate: Float) {
        precondition(rate >= 0 && rate < 1, "Dropout rate must be in [0, 1), got \(rate)")
        self.rate = rate
    }

    /// `rng` is consulted only when training with a positive rate.
    public func forward(_ x: Tensor, training: Bool, rng: inout SplitMix64) -> Tensor {
        guard training && rate > 0 else {
            cachedMask = nil
            return x
        }
        let keep = 1 / (1 - rate)
        var mask = [Float](repeating: 0, count: x.count)
        for i in 0..<mask.count { mask[i] = rng.nextUnitFloat() < rate ? 0 : keep }
        cachedMask = mask
        var y = x
        for i in 0..<mask.count { y.storage[i] *= mask[i] }
        return y
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let mask = cachedMask else { return gradOutput }
        var dx = gradOutput
        for i in 0..<mask.count { dx.storage[i] *= mask[i] }
        return dx
    }
}

/// A pre-norm Transformer encoder block (Xiong et al. 2020):
/// x₁ = x + Dropout(Attn(LN₁(x))); y = x₁ + Dropout(FF(LN₂(x₁))).
///
/// `[T, D] → [T, D]`. Parameters: `norm1`, `attn.{q,k,v,out}`, `norm2`, `ff.{fc1,fc2}`.
public final class TransformerBlock {
    public let norm1: LayerNorm
    public let attention: MultiHeadSelfAttention
    public let norm2: LayerNorm
    public let feedForward: FeedForward
    public let dropout1: Dropout
    public let dropout2: Dropout

    public init(width: Int, heads: Int, feedForwardWidth: Int, dropout: Float = 0, rng: inout SplitMix64) {
        norm1 = LayerNorm(width: width)
        attention = MultiHeadSelfAttention(width: width, heads: heads, rng: &rng)
        norm2 = LayerNorm(width: width)
        feedForward = FeedForward(width: width, hiddenWidth: feedForwardWidth, rng: &rng)
        dropout1 = Dropout(rate: dropout)
        dropout2 = Dropout(rate: dropout)
    }

    public var parameters: [(String, Parameter)] {
        norm1.parameters.map { ("norm1.\($0.0)", $0.1) }
            + attention.parameters.map { ("attn.\($0.0)", $0.1) }
            + norm2.parameters.map { ("norm2.\($0.0)", $0.1) }
            + feedForward.parameters.map { ("ff.\($0.0)", $0.1) }
    }

    public func forward(_ x: Tensor, validFrames: [Bool]? = nil, training: Bool = false, rng: inout SplitMix64) -> Tensor {
        var x1 = dropout1.forward(attention.forward(norm1.forward(x), validFrames: validFrames), training: training, rng: &rng)
        Kernels.add(&x1.storage, x.storage)
        var y = dropout2.forward(feedForward.forward(norm2.forward(x1)), training: training, rng: &rng)
        Kernels.add(&y.storage, x1.storage)
        return y
    }

    /// Inference (no dropout).
    public func forward(_ x: Tensor, validFrames: [Bool]? = nil) -> Tensor {
        var unused = SplitMix64(seed: 0)
        return forward(x, validFrames: validFrames, training: false, rng: &unused)
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        var dx1 = norm2.backward(feedForward.backward(dropout2.backward(gradOutput)))
        Kernels.add(&dx1.storage, gradOutput.storage)
        var dx = norm1.backward(attention.backward(dropout1.backward(dx1)))
        Kernels.add(&dx.storage, dx1.storage)
        return dx
    }
}
