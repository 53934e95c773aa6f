import Foundation

/// A small dense matrix of doubles, row-major, for the MMRM fit (a few dozen rows at most).
/// Only what the fit needs: products, the Cholesky factorisation and what follows from it.
struct MMRMMatrix: Equatable {
    var rows: Int
    var columns: Int
    var values: [Double]

    init(rows: Int, columns: Int, repeating value: Double = 0) {
        self.rows = rows
        self.columns = columns
        values = Array(repeating: value, count: rows * columns)
    }

    init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "\(values.count) values for a \(rows)×\(columns) matrix")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    init(_ nested: [[Double]]) {
        rows = nested.count
        columns = nested.first?.count ?? 0
        values = nested.flatMap { $0 }
        precondition(values.count == rows * columns, "ragged matrix")
    }

    static func identity(_ n: Int) -> MMRMMatrix {
        var m = MMRMMatrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    subscript(i: Int, j: Int) -> Double {
        get { values[i * columns + j] }
        set { values[i * columns + j] = newValue }
    }

    var nested: [[Double]] { (0..<rows).map { i in Array(values[i * columns..<(i + 1) * columns]) } }

    var transposed: MMRMMatrix {
        var t = MMRMMatrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { t[j, i] = self[i, j] } }
        return t
    }

    static func * (a: MMRMMatrix, b: MMRMMatrix) -> MMRMMatrix {
        precondition(a.columns == b.rows, "matrix product \(a.rows)×\(a.columns) · \(b.rows)×\(b.columns)")
        var c = MMRMMatrix(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows {
            for k in 0..<a.columns {
                let aik = a[i, k]
                if aik == 0 { continue }
                for j in 0..<b.columns { c.values[i * b.columns + j] += aik * b.values[k * b.columns + j] }
            }
        }
        return c
    }

    static func * (a: MMRMMatrix, x: [Double]) -> [Double] {
        precondition(a.columns == x.count, "matrix–vector product \(a.rows)×\(a.columns) · \(x.count)")
        return (0..<a.rows).map { i in
            var s = 0.0
            for j in 0..<a.columns { s += a.values[i * a.columns + j] * x[j] }
            return s
        }
    }

    static func + (a: MMRMMatrix, b: MMRMMatrix) -> MMRMMatrix {
        precondition(a.rows == b.rows && a.columns == b.columns)
        var c = a
        for i in c.values.indices { c.values[i] += b.values[i] }
        return c
    }

    static func - (a: MMRMMatrix, b: MMRMMatrix) -> MMRMMatrix {
        precondition(a.rows == b.rows && a.columns == b.columns)
        var c = a
        for i in c.values.indices { c.values[i] -= b.values[i] }
        return c
    }

    /// The lower-triangular L with L Lᵀ = self, or nil when self is not (numerically) positive definite.
    func cholesky() -> MMRMMatrix? {
        precondition(rows == columns, "Cholesky needs a square matrix")
        let n = rows
        var l = MMRMMatrix(rows: n, columns: n)
        for j in 0..<n {
            var d = self[j, j]
            for k in 0..<j { d -= l[j, k] * l[j, k] }
            guard d > 0, d.isFinite else { return nil }
            let ljj = d.squareRoot()
            l[j, j] = ljj
            for i in (j + 1)..<max(n, j + 1) {
                var s = self[i, j]
                for k in 0..<j { s -= l[i, k] * l[j, k] }
                l[i, j] = s / ljj
            }
        }
        return l
    }
}

/// A symmetric positive definite matrix through its Cholesky factor: solves, inverse, log-determinant.
struct MMRMCholesky {
    let factor: MMRMMatrix

    init?(_ matrix: MMRMMatrix) {
        guard let l = matrix.cholesky() else { return nil }
        factor = l
    }

    var size: Int { factor.rows }

    /// log |A| = 2 Σ log L_ii.
    var logDeterminant: Double { (0..<size).reduce(0.0) { $0 + 2 * log(factor[$1, $1]) } }

    /// x with A x = b (forward then back substitution).
    func solve(_ b: [Double]) -> [Double] {
        let n = size
        var y = b
        for i in 0..<n {
            var s = y[i]
            for k in 0..<i { s -= factor[i, k] * y[k] }
            y[i] = s / factor[i, i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<max(n, i + 1) { s -= factor[k, i] * y[k] }
            y[i] = s / factor[i, i]
        }
        return y
    }

    /// A⁻¹, symmetrised.
    var inverse: MMRMMatrix {
        let n = size
        var inv = MMRMMatrix(rows: n, columns: n)
        for j in 0..<n {
            var e = [Double](repeating: 0, count: n)
            e[j] = 1
            let column = solve(e)
            for i in 0..<n { inv[i, j] = column[i] }
        }
        for i in 0..<n {
            for j in 0..<i {
                let m = 0.5 * (inv[i, j] + inv[j, i])
                inv[i, j] = m
                inv[j, i] = m
            }
        }
        return inv
    }
}

/// xᵀ y.
func mmrmDot(_ x: [Double], _ y: [Double]) -> Double {
    var s = 0.0
    for i in x.indices { s += x[i] * y[i] }
    return s
}
