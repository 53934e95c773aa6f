import EmoMusikCore
/// Graph convolution (Kipf and Welling 2017) applied to every frame with one shared weight:
/// H'ₜ = act(Â · Hₜ · Wᵀ + b), with Â the fixed normalised adjacency D^-½(A+I)D^-½.
///
/// `[T, N, in] → [T, N, out]`. Parameters: `weight` [out, in], `bias` [out]. All frames go through
/// two sgemm calls: X[T·N, in]·Wᵀ, then Â[N, N] times the result seen as [N, T·out].
public final class GraphConvolution {
    public let nodes: Int
    public let inputWidth: Int
    public let outputWidth: Int
    public let activation: Activation
    /// Â, [N, N] row-major.
    public let adjacency: [Float]
    public let weight: Parameter
    public let bias: Parameter
    private var cachedInput: Tensor?
    private var cachedPreActivation: [Float] = []

    /// He-uniform weights for ReLU/GELU, Xavier for identity; zero bias.
    public init(adjacency: [Float], nodes: Int, inputWidth: Int, outputWidth: Int, activation: Activation, rng: inout SplitMix64) {
        precondition(adjacency.count == nodes * nodes, "GraphConvolution needs an adjacency of \(nodes)×\(nodes) = \(nodes * nodes) values, got \(adjacency.count)")
        precondition(inputWidth > 0 && outputWidth > 0, "GraphConvolution needs positive widths, got \(inputWidth)→\(outputWidth)")
        self.nodes = nodes
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        self.activation = activation
        self.adjacency = adjacency
        let shape = [outputWidth, inputWidth]
        weight = Parameter(
            activation == .identity
                ? Initializer.xavierUniform(shape: shape, fanIn: inputWidth, fanOut: outputWidth, rng: &rng)
                : Initializer.heUniform(shape: shape, fanIn: inputWidth, rng: &rng))
        bias = Parameter(Tensor(zeros: [outputWidth]))
    }

    public var parameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    /// `[T, N, in] → [T, N, out]`.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 && x.shape[1] == nodes && x.shape[2] == inputWidth,
                     "GraphConvolution expects [T, \(nodes), \(inputWidth)], got \(x.shape)")
        let frames = x.shape[0]
        cachedInput = x
        // P[T·N, out] = X[T·N, in] · Wᵀ
        var p = [Float](repeating: 0, count: frames * nodes * outputWidth)
        BLAS.gemm(transposeB: true, m: frames * nodes, n: outputWidth, k: inputWidth, x.storage, weight.value.storage, beta: 0, into: &p)
        // Node-major view [N, T·out], one sgemm with Â for all frames, back to frame-major.
        let q = frames == 1 ? p : Kernels.swapOuterAxes(p, frames, nodes, outputWidth)
        var r = [Float](repeating: 0, count: q.count)
        BLAS.gemm(m: nodes, n: frames * outputWidth, k: nodes, adjacency, q, beta: 0, into: &r)
        var s = frames == 1 ? r : Kernels.swapOuterAxes(r, nodes, frames, outputWidth)
        Kernels.addRowBias(&s, bias.value.storage)
        cachedPreActivation = s
        return Tensor(shape: [frames, nodes, outputWidth], storage: activation.apply(s))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// `[T, N, out] → [T, N, in]`; adds into the weight and bias gradients.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let x = cachedInput else { preconditionFailure("GraphConvolution.backward called before forward") }
        let frames = x.shape[0]
        precondition(gradOutput.shape == [frames, nodes, outputWidth],
                     "GraphConvolution.backward expects [\(frames), \(nodes), \(outputWidth)], got \(gradOutput.shape)")
        let ds = activation.backward(preActivation: cachedPreActivation, gradOutput: gradOutput.storage)
        Kernels.accumulateColumnSums(ds, into: &bias.grad.storage)
        let dr = frames == 1 ? ds : Kernels.swapOuterAxes(ds, frames, nodes, outputWidth)
        var dq = [Float](repeating: 0, count: dr.count)
        BLAS.gemm(transposeA: true, m: nodes, n: frames * outputWidth, k: nodes, adjacency, dr, beta: 0, into: &dq)
        let dp = frames == 1 ? dq : Kernels.swapOuterAxes(dq, nodes, frames, outputWidth)
        // dW[out, in] += dPᵀ · X
        BLAS.gemm(transposeA: true, m: outputWidth, n: inputWidth, k: frames * nodes, dp, x.storage, beta: 1, into: &weight.grad.storage)
        var dx = [Float](repeating: 0, count: x.count)
        BLAS.gemm(m: frames * nodes, n: inputWidth, k: outputWidth, dp, weight.value.storage, beta: 0, into: &dx)
        return Tensor(shape: x.shape, storage: dx)
    }
}
