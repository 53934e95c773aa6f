import Foundation

/// A dense row-major tensor of `Float`: a shape and contiguous storage. A value type (copy on write).
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    /// Sizes of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `storage.count == shape.reduce(1, *)`.
    public var storage: [Float]

    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        precondition(
            storage.count == shape.reduce(1, *),
            "Tensor of shape \(shape) needs \(shape.reduce(1, *)) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, storage: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// A tensor filled with one value.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, storage: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Number of elements.
    public var count: Int { storage.count }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// The same elements seen with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// Element access by a full index (slow; for tests and small code).
    public subscript(_ index: Int...) -> Float {
        get { storage[flatIndex(index)] }
        set { storage[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor index \(index) does not match shape \(shape)")
        var flat = 0
        for (i, size) in zip(index, shape) {
            precondition(i >= 0 && i < size, "Tensor index \(index) out of range for shape \(shape)")
            flat = flat * size + i
        }
        return flat
    }

    /// Sets every element to zero, keeping the shape.
    public mutating func zero() {
        storage.withUnsafeMutableBufferPointer { p in
            p.update(repeating: 0)
        }
    }

    /// Euclidean norm, accumulated in Double.
    public var norm: Double {
        var sum = 0.0
        for v in storage { sum += Double(v) * Double(v) }
        return sum.squareRoot()
    }

    public var description: String { "Tensor\(shape)" }
}

// MARK: - Small kernels used by the layers

enum Kernels {
    /// out[t][n][c] = x[n][t][c]: swaps the two outer axes of a [a, b, c] array.
    static func swapOuterAxes(_ x: [Float], _ a: Int, _ b: Int, _ c: Int) -> [Float] {
        precondition(x.count == a * b * c, "swapOuterAxes: \(x.count) elements is not \(a)×\(b)×\(c)")
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<a {
                    for j in 0..<b {
                        let from = (i * b + j) * c
                        let to = (j * a + i) * c
                        for k in 0..<c { dst[to + k] = src[from + k] }
                    }
                }
            }
        }
        return out
    }

    /// Adds `bias` (length `width`) to every row of a [rows, width] array.
    static func addRowBias(_ x: inout [Float], _ bias: [Float]) {
        let width = bias.count
        precondition(width > 0 && x.count % width == 0, "addRowBias: \(x.count) is not a multiple of \(width)")
        let rows = x.count / width
        bias.withUnsafeBufferPointer { b in
            x.withUnsafeMutableBufferPointer { p in
                for r in 0..<rows {
                    let base = r * width
                    for j in 0..<width { p[base + j] += b[j] }
                }
            }
        }
    }

    /// grad[j] += Σ_rows x[row][j].
    static func accumulateColumnSums(_ x: [Float], into grad: inout [Float]) {
        let width = grad.count
        precondition(width > 0 && x.count % width == 0, "accumulateColumnSums: \(x.count) is not a multiple of \(width)")
        let rows = x.count / width
        x.withUnsafeBufferPointer { p in
            grad.withUnsafeMutableBufferPointer { g in
                for r in 0..<rows {
                    let base = r * width
                    for j in 0..<width { g[j] += p[base + j] }
                }
            }
        }
    }

    /// a += b elementwise.
    static func add(_ a: inout [Float], _ b: [Float]) {
        precondition(a.count == b.count, "add: \(a.count) vs \(b.count) elements")
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                for i in 0..<pa.count { pa[i] += pb[i] }
            }
        }
    }

    /// Numerically stable softmax of one vector.
    static func softmax(_ x: [Float]) -> [Float] {
        guard let peak = x.max() else { return [] }
        var out = x.map { expf($0 - peak) }
        let total = out.reduce(0, +)
        for i in out.indices { out[i] /= total }
        return out
    }
}
