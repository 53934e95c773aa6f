import EmoMusikCore
/// Measurements for `emomusik bench recognize`: what sgemm achieves here, and how much arithmetic
/// the network does, so achieved GFLOP/s can be reported beside it.
public enum Throughput {
    /// GFLOP/s of `cblas_sgemm` multiplying two `size`×`size` matrices (2·size³ FLOPs per call),
    /// repeated for at least `minimumSeconds` after one warm-up call, with the current thread setting
    /// (see ``BLAS/setThreads(_:)``).
    public static func sgemmGFLOPS(size: Int, minimumSeconds: Double = 0.25) -> Double {
        precondition(size >= 1, "sgemmGFLOPS needs a positive size, got \(size)")
        var rng = SplitMix64(seed: 42)
        let a = (0..<(size * size)).map { _ in rng.nextUnitFloat() - 0.5 }
        let b = (0..<(size * size)).map { _ in rng.nextUnitFloat() - 0.5 }
        var c = [Float](repeating: 0, count: size * size)
        BLAS.gemm(m: size, n: size, k: size, a, b, beta: 0, into: &c)
        let clock = ContinuousClock()
        let start = clock.now
        var calls = 0
        var elapsed = 0.0
        repeat {
            for _ in 0..<max(1, 1 << 20 / (size * size)) {
                BLAS.gemm(m: size, n: size, k: size, a, b, beta: 0, into: &c)
                calls += 1
            }
            elapsed = (clock.now - start).seconds
        } while elapsed < minimumSeconds
        return 2 * Double(size) * Double(size) * Double(size) * Double(calls) / elapsed / 1e9
    }
}

/// Floating-point operations of the network's matrix products (2 per multiply-add: the graph
/// products, every linear layer, and attention's two products per head). Elementwise work
/// (activations, normalisation, softmax, pooling) is left out: it is a few per cent of the total.
public struct FLOPCount: Sendable, Equatable {
    /// Products with weight matrices (graph convolutions' X·Wᵀ, linear layers).
    public var weightProducts: Int
    /// Â·(XWᵀ) in the graph convolutions.
    public var adjacencyProducts: Int
    /// Q·Kᵀ and P·V.
    public var attentionProducts: Int

    public var forward: Int { weightProducts + adjacencyProducts + attentionProducts }
    /// Backward pass: two products per weight product (dX, dW), one per adjacency product (Âᵀ·dR),
    /// two per attention product (e.g. dP and dV for P·V).
    public var backward: Int { 2 * weightProducts + adjacencyProducts + 2 * attentionProducts }
    /// One training sample: forward + backward.
    public var training: Int { forward + backward }
}

extension EmotionNetModel {
    /// Matrix-product FLOPs of the per-frame part (graph convolutions, input projection) for `frames`
    /// frames and of the sequence part over `sequenceFrames` frames.
    func flops(perFrameFrames frames: Int, sequenceFrames s: Int) -> FLOPCount {
        let c = config
        var count = FLOPCount(weightProducts: 0, adjacencyProducts: 0, attentionProducts: 0)
        var width = c.channels
        for out in c.gcnWidths {
            count.weightProducts += 2 * frames * c.nodes * width * out
            count.adjacencyProducts += 2 * c.nodes * c.nodes * frames * out
            width = out
        }
        count.weightProducts += 2 * frames * c.pooledWidth * c.dModel
        count.weightProducts += c.layers * (4 * 2 * s * c.dModel * c.dModel + 2 * 2 * s * c.dModel * c.ffWidth)
        count.attentionProducts += c.layers * 2 * 2 * s * s * c.dModel
        count.weightProducts += 2 * c.dModel * c.classes
        return count
    }

    /// FLOPs of one forward (and backward) pass over a `frames`-frame sequence.
    public func flops(frames: Int) -> FLOPCount { flops(perFrameFrames: frames, sequenceFrames: frames) }

    /// Forward FLOPs of one ``StreamingRecognizer/push(frame:)`` with a full window: the new frame's
    /// graph part plus the Transformer over the window.
    public func streamingFLOPsPerFrame(windowLength: Int? = nil) -> Int {
        flops(perFrameFrames: 1, sequenceFrames: windowLength ?? config.windowLength).forward
    }
}
