import Foundation

/// A pointwise nonlinearity with its derivative.
public enum Activation: String, Codable, Sendable, CaseIterable {
    /// max(0, x).
    case relu
    /// GELU, tanh approximation (Hendrycks and Gimpel 2016):
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    case gelu
    /// The identity (a linear layer).
    case identity

    private static let geluC: Float = 0.797_884_56  // √(2/π)
    private static let geluA: Float = 0.044715

    /// act(x) elementwise.
    func apply(_ x: [Float]) -> [Float] {
        switch self {
        case .identity: return x
        case .relu: return x.map { $0 > 0 ? $0 : 0 }
        case .gelu:
            return x.map { v in
                let u = Self.geluC * (v + Self.geluA * v * v * v)
                return 0.5 * v * (1 + tanhf(u))
            }
        }
    }

    /// dL/dx = dL/dy · act'(x), given the pre-activation x.
    func backward(preActivation x: [Float], gradOutput: [Float]) -> [Float] {
        precondition(x.count == gradOutput.count, "activation backward: \(x.count) vs \(gradOutput.count) elements")
        switch self {
        case .identity: return gradOutput
        case .relu:
            var out = gradOutput
            for i in out.indices where x[i] <= 0 { out[i] = 0 }
            return out
        case .gelu:
            var out = gradOutput
            x.withUnsafeBufferPointer { px in
                out.withUnsafeMutableBufferPointer { po in
                    for i in 0..<po.count {
                        let v = px[i]
                        let u = Self.geluC * (v + Self.geluA * v * v * v)
                        let t = tanhf(u)
                        let du = Self.geluC * (1 + 3 * Self.geluA * v * v)
                        po[i] *= 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du
                    }
                }
            }
            return out
        }
    }
}
