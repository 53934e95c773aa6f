import Foundation

/// Sinusoidal positional encoding (Vaswani et al. 2017), added to a sequence of embeddings:
/// PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(t / 10000^(2i/D)).
///
/// `[T, D] → [T, D]`; no parameters; the gradient passes through unchanged.
public enum PositionalEncoding {
    /// The table [T, D].
    public static func table(frames: Int, width: Int) -> [Float] {
        var pe = [Float](repeating: 0, count: frames * width)
        for t in 0..<frames {
            for i in stride(from: 0, to: width, by: 2) {
                let angle = Double(t) / pow(10_000, Double(i) / Double(width))
                pe[t * width + i] = Float(sin(angle))
                if i + 1 < width { pe[t * width + i + 1] = Float(cos(angle)) }
            }
        }
        return pe
    }

    /// x + PE.
    public static func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2, "PositionalEncoding expects [T, D], got \(x.shape)")
        var y = x
        Kernels.add(&y.storage, table(frames: x.shape[0], width: x.shape[1]))
        return y
    }

    /// The identity: d(x + PE)/dx = I.
    public static func backward(_ gradOutput: Tensor) -> Tensor { gradOutput }
}
