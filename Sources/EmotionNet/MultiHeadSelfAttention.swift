import EmoMusikCore
import Foundation

/// Multi-head scaled dot-product self-attention (Vaswani et al. 2017) over the frames of one sequence.
///
/// `[T, D] → [T, D]`. With H heads of width d = D/H: Q = X·Wqᵀ + bq (likewise K, V);
/// per head, P = softmax(Qₕ·Kₕᵀ/√d) with masked keys excluded; Oₕ = P·Vₕ; Y = O·Woᵀ + bo.
/// Parameters: `q`, `k`, `v`, `out`, each a ``Linear`` D → D.
public final class MultiHeadSelfAttention {
    public let width: Int
    public let heads: Int
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let output: Linear
    private var cachedQ: [Float] = []
    private var cachedK: [Float] = []
    private var cachedV: [Float] = []
    private var cachedProbabilities: [Float] = []  // [H, T, T]
    private var cachedFrames = 0

    public init(width: Int, heads: Int, rng: inout SplitMix64) {
        precondition(heads > 0 && width % heads == 0, "MultiHeadSelfAttention: width \(width) is not divisible by \(heads) heads")
        self.width = width
        self.heads = heads
        query = Linear(inputWidth: width, outputWidth: width, rng: &rng)
        key = Linear(inputWidth: width, outputWidth: width, rng: &rng)
        value = Linear(inputWidth: width, outputWidth: width, rng: &rng)
        output = Linear(inputWidth: width, outputWidth: width, rng: &rng)
    }

    public var parameters: [(String, Parameter)] {
        [("q", query), ("k", key), ("v", value), ("out", output)].flatMap { name, layer in
            layer.parameters.map { ("\(name).\($0.0)", $0.1) }
        }
    }

    /// `validFrames` (length T, true = may be attended to) is the key padding mask.
    public func forward(_ x: Tensor, validFrames: [Bool]? = nil) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == width, "MultiHeadSelfAttention expects [T, \(width)], got \(x.shape)")
        let frames = x.shape[0]
        if let validFrames {
            precondition(validFrames.count == frames, "attention mask has \(validFrames.count) entries for \(frames) frames")
            precondition(validFrames.contains(true), "attention mask hides every frame")
        }
        let q = query.forward(x).storage
        let k = key.forward(x).storage
        let v = value.forward(x).storage
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        var probabilities = [Float](repeating: 0, count: heads * frames * frames)
        var o = [Float](repeating: 0, count: frames * width)
        q.withUnsafeBufferPointer { pq in
            k.withUnsafeBufferPointer { pk in
                v.withUnsafeBufferPointer { pv in
                    probabilities.withUnsafeMutableBufferPointer { pp in
                        o.withUnsafeMutableBufferPointer { po in
                            for h in 0..<heads {
                                let p = pp.baseAddress! + h * frames * frames
                                // S = scale · Qₕ Kₕᵀ  [T, T]
                                BLAS.gemm(transposeB: true, m: frames, n: frames, k: headWidth, alpha: scale,
                                          a: pq.baseAddress! + h * headWidth, lda: width,
                                          b: pk.baseAddress! + h * headWidth, ldb: width, beta: 0, c: p, ldc: frames)
                                for row in 0..<frames {
                                    Self.softmaxRow(p + row * frames, count: frames, mask: validFrames)
                                }
                                // Oₕ = P Vₕ  [T, d] into columns h·d ..< (h+1)·d of O
                                BLAS.gemm(m: frames, n: headWidth, k: frames, a: p, lda: frames,
                                          b: pv.baseAddress! + h * headWidth, ldb: width, beta: 0,
                                          c: po.baseAddress! + h * headWidth, ldc: width)
                            }
                        }
                    }
                }
            }
        }
        cachedQ = q
        cachedK = k
        cachedV = v
        cachedProbabilities = probabilities
        cachedFrames = frames
        return output.forward(Tensor(shape: [frames, width], storage: o))
    }

    public func callAsFunction(_ x: Tensor, validFrames: [Bool]? = nil) -> Tensor { forward(x, validFrames: validFrames) }

    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int, mask: [Bool]?) {
        var peak = -Float.infinity
        for j in 0..<count where mask?[j] ?? true { peak = max(peak, row[j]) }
        var total: Float = 0
        for j in 0..<count {
            if mask?[j] ?? true {
                let e = expf(row[j] - peak)
                row[j] = e
                total += e
            } else {
                row[j] = 0
            }
        }
        let inv = 1 / total
        for j in 0..<count { row[j] *= inv }
    }

    /// `[T, D] → [T, D]`; adds into all projection gradients.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        let frames = cachedFrames
        precondition(frames > 0 && gradOutput.shape == [frames, width],
                     "MultiHeadSelfAttention.backward expects [\(frames), \(width)], got \(gradOutput.shape)")
        let dO = output.backward(gradOutput).storage
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        var dQ = [Float](repeating: 0, count: frames * width)
        var dK = [Float](repeating: 0, count: frames * width)
        var dV = [Float](repeating: 0, count: frames * width)
        var dP = [Float](repeating: 0, count: frames * frames)
        dO.withUnsafeBufferPointer { pdo in
            cachedQ.withUnsafeBufferPointer { pq in
                cachedK.withUnsafeBufferPointer { pk in
                    cachedV.withUnsafeBufferPointer { pv in
                        cachedProbabilities.withUnsafeBufferPointer { pp in
                            dQ.withUnsafeMutableBufferPointer { dq in
                                dK.withUnsafeMutableBufferPointer { dk in
                                    dV.withUnsafeMutableBufferPointer { dv in
                                        dP.withUnsafeMutableBufferPointer { dp in
                                            for h in 0..<heads {
                                                let p = pp.baseAddress! + h * frames * frames
                                                let off = h * headWidth
                                                // dVₕ = Pᵀ dOₕ
                                                BLAS.gemm(transposeA: true, m: frames, n: headWidth, k: frames,
                                                          a: p, lda: frames, b: pdo.baseAddress! + off, ldb: width,
                                                          beta: 0, c: dv.baseAddress! + off, ldc: width)
                                                // dP = dOₕ Vₕᵀ
                                                BLAS.gemm(transposeB: true, m: frames, n: frames, k: headWidth,
                                                          a: pdo.baseAddress! + off, lda: width, b: pv.baseAddress! + off, ldb: width,
                                                          beta: 0, c: dp.baseAddress!, ldc: frames)
                                                // dS = P ⊙ (dP − rowsum(dP ⊙ P)), then the 1/√d scale
                                                for row in 0..<frames {
                                                    var dot: Float = 0
                                                    for j in 0..<frames { dot += dp[row * frames + j] * p[row * frames + j] }
                                                    for j in 0..<frames {
                                                        dp[row * frames + j] = p[row * frames + j] * (dp[row * frames + j] - dot) * scale
                                                    }
                                                }
                                                // dQₕ = dS Kₕ ; dKₕ = dSᵀ Qₕ
                                                BLAS.gemm(m: frames, n: headWidth, k: frames,
                                                          a: dp.baseAddress!, lda: frames, b: pk.baseAddress! + off, ldb: width,
                                                          beta: 0, c: dq.baseAddress! + off, ldc: width)
                                                BLAS.gemm(transposeA: true, m: frames, n: headWidth, k: frames,
                                                          a: dp.baseAddress!, lda: frames, b: pq.baseAddress! + off, ldb: width,
                                                          beta: 0, c: dk.baseAddress! + off, ldc: width)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var dx = query.backward(Tensor(shape: [frames, width], storage: dQ)).storage
        Kernels.add(&dx, key.backward(Tensor(shape: [frames, width], storage: dK)).storage)
        Kernels.add(&dx, value.backward(Tensor(shape: [frames, width], storage: dV)).storage)
        return Tensor(shape: [frames, width], storage: dx)
    }
}
