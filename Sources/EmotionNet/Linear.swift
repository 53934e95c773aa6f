import EmoMusikCore
/// A fully connected layer, y = x·Wᵀ + b, applied to every row.
///
/// `[rows, in] → [rows, out]` (any leading dimensions are flattened into rows and kept in the
/// output shape). Parameters: `weight` [out, in] (PyTorch layout), `bias` [out].
public final class Linear {
    public let inputWidth: Int
    public let outputWidth: Int
    public let weight: Parameter
    public let bias: Parameter
    private var cachedInput: Tensor?

    /// Xavier-uniform weights, zero bias.
    public init(inputWidth: Int, outputWidth: Int, rng: inout SplitMix64) {
        precondition(inputWidth > 0 && outputWidth > 0, "Linear needs positive widths, got \(inputWidth)→\(outputWidth)")
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        weight = Parameter(
            Initializer.xavierUniform(shape: [outputWidth, inputWidth], fanIn: inputWidth, fanOut: outputWidth, rng: &rng))
        bias = Parameter(Tensor(zeros: [outputWidth]))
    }

    public var parameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    /// `[..., in] → [..., out]`.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.last == inputWidth, "Linear expects last dimension \(inputWidth), got shape \(x.shape)")
        cachedInput = x
        let rows = x.count / inputWidth
        var y = [Float](repeating: 0, count: rows * outputWidth)
        BLAS.gemm(transposeB: true, m: rows, n: outputWidth, k: inputWidth, x.storage, weight.value.storage, beta: 0, into: &y)
        Kernels.addRowBias(&y, bias.value.storage)
        return Tensor(shape: Array(x.shape.dropLast()) + [outputWidth], storage: y)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// `[..., out] → [..., in]`; adds dL/dW and dL/db into the parameters' gradients.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let x = cachedInput else { preconditionFailure("Linear.backward called before forward") }
        precondition(gradOutput.shape.last == outputWidth && gradOutput.count / outputWidth == x.count / inputWidth,
                     "Linear.backward: gradient shape \(gradOutput.shape) does not match output of input \(x.shape)")
        let rows = x.count / inputWidth
        // dW[out, in] += dYᵀ[out, rows] · X[rows, in]
        BLAS.gemm(transposeA: true, m: outputWidth, n: inputWidth, k: rows, gradOutput.storage, x.storage, beta: 1, into: &weight.grad.storage)
        Kernels.accumulateColumnSums(gradOutput.storage, into: &bias.grad.storage)
        // dX[rows, in] = dY[rows, out] · W[out, in]
        var dx = [Float](repeating: 0, count: rows * inputWidth)
        BLAS.gemm(m: rows, n: inputWidth, k: outputWidth, gradOutput.storage, weight.value.storage, beta: 0, into: &dx)
        return Tensor(shape: x.shape, storage: dx)
    }
}
