/// Layer normalisation over the last dimension (Ba, Kiros and Hinton 2016):
/// y = γ ⊙ (x − μ)/√(σ² + ε) + β, μ and σ² (biased) over each row.
///
/// `[rows, D] → [rows, D]` (leading dimensions flattened). Parameters: `weight` γ [D] (ones),
/// `bias` β [D] (zeros).
public final class LayerNorm {
    public let width: Int
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter
    private var cachedNormalised: [Float] = []
    private var cachedInverseStd: [Float] = []
    private var cachedShape: [Int] = []

    public init(width: Int, epsilon: Float = 1e-5) {
        precondition(width > 0, "LayerNorm needs a positive width, got \(width)")
        self.width = width
        self.epsilon = epsilon
        weight = Parameter(Tensor(repeating: 1, shape: [width]))
        bias = Parameter(Tensor(zeros: [width]))
    }

    public var parameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.last == width, "LayerNorm expects last dimension \(width), got \(x.shape)")
        let rows = x.count / width
        cachedShape = x.shape
        var xhat = [Float](repeating: 0, count: x.count)
        var inv = [Float](repeating: 0, count: rows)
        var y = [Float](repeating: 0, count: x.count)
        let n = Float(width)
        x.storage.withUnsafeBufferPointer { px in
            for r in 0..<rows {
                let base = r * width
                var mean: Float = 0
                for j in 0..<width { mean += px[base + j] }
                mean /= n
                var variance: Float = 0
                for j in 0..<width {
                    let d = px[base + j] - mean
                    variance += d * d
                }
                variance /= n
                let s = 1 / (variance + epsilon).squareRoot()
                inv[r] = s
                for j in 0..<width {
                    let h = (px[base + j] - mean) * s
                    xhat[base + j] = h
                    y[base + j] = h * weight.value.storage[j] + bias.value.storage[j]
                }
            }
        }
        cachedNormalised = xhat
        cachedInverseStd = inv
        return Tensor(shape: x.shape, storage: y)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// dx = (1/σ)·(g − mean(g) − x̂·mean(g ⊙ x̂)) with g = dy ⊙ γ.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        precondition(gradOutput.shape == cachedShape, "LayerNorm.backward expects \(cachedShape), got \(gradOutput.shape)")
        let rows = gradOutput.count / width
        var dx = [Float](repeating: 0, count: gradOutput.count)
        let n = Float(width)
        var g = [Float](repeating: 0, count: width)
        for r in 0..<rows {
            let base = r * width
            var meanG: Float = 0
            var meanGX: Float = 0
            for j in 0..<width {
                let dy = gradOutput.storage[base + j]
                let h = cachedNormalised[base + j]
                weight.grad.storage[j] += dy * h
                bias.grad.storage[j] += dy
                g[j] = dy * weight.value.storage[j]
                meanG += g[j]
                meanGX += g[j] * h
            }
            meanG /= n
            meanGX /= n
            let s = cachedInverseStd[r]
            for j in 0..<width {
                dx[base + j] = s * (g[j] - meanG - cachedNormalised[base + j] * meanGX)
            }
        }
        return Tensor(shape: cachedShape, storage: dx)
    }
}
