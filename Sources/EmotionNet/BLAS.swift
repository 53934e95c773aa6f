import COpenBLAS

/// The only doorway to OpenBLAS. Every matrix is row-major; `transposeA`/`transposeB` select op(X) = Xᵀ.
public enum BLAS {
    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, all row-major, with leading dimensions
    /// `lda`, `ldb`, `ldc` (the row stride of each matrix as stored).
    @inlinable
    static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Array form of ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` for dense
    /// matrices (leading dimension = stored column count).
    static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        _ a: [Float], _ b: [Float], beta: Float, into c: inout [Float]
    ) {
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n, "gemm: operand sizes do not match m=\(m) n=\(n) k=\(k)")
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                        a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta,
                        c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// How many threads OpenBLAS uses for one call.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets how many threads OpenBLAS may use (1 for the one-core streaming figure).
    public static func setThreads(_ count: Int) {
        precondition(count >= 1, "BLAS.setThreads needs at least one thread, got \(count)")
        openblas_set_num_threads(Int32(count))
    }
}
