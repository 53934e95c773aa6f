/// How node pooling summarises the 68 nodes of a frame.
public enum NodePoolingMode: String, Codable, Sendable, CaseIterable {
    /// Mean over nodes: C features per frame.
    case mean
    /// Mean then max over nodes, concatenated: 2C features per frame.
    case meanMax
    /// Every node's features in node order, concatenated: N·C features per frame. Unlike the
    /// symmetric poolings it keeps which landmark carried which feature (a raised brow and a
    /// dropped lip corner stay apart); the input projection that follows learns the weighting.
    case flatten
}

/// Pools the nodes of every frame. `[T, N, C] → [T, C]` (mean), `[T, N, C] → [T, 2C]` (mean ‖ max)
/// or `[T, N, C] → [T, N·C]` (flatten). No parameters.
public final class NodePooling {
    public let mode: NodePoolingMode
    private var cachedShape: [Int] = []
    private var argmax: [Int32] = []  // [T, C] node index of each maximum

    public init(mode: NodePoolingMode) { self.mode = mode }

    /// Output width for `nodes` nodes of `channels` channels.
    public func outputWidth(nodes: Int, channels: Int) -> Int {
        switch mode {
        case .mean: channels
        case .meanMax: 2 * channels
        case .flatten: nodes * channels
        }
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 && x.shape[1] > 0, "NodePooling expects [T, N, C], got \(x.shape)")
        let (frames, nodes, channels) = (x.shape[0], x.shape[1], x.shape[2])
        cachedShape = x.shape
        if mode == .flatten { return Tensor(shape: [frames, nodes * channels], storage: x.storage) }
        let width = outputWidth(nodes: nodes, channels: channels)
        var y = [Float](repeating: 0, count: frames * width)
        if mode == .meanMax { argmax = [Int32](repeating: 0, count: frames * channels) }
        let scale = 1 / Float(nodes)
        x.storage.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                for t in 0..<frames {
                    let out = t * width
                    for n in 0..<nodes {
                        let base = (t * nodes + n) * channels
                        for c in 0..<channels { py[out + c] += px[base + c] }
                    }
                    for c in 0..<channels { py[out + c] *= scale }
                    if mode == .meanMax {
                        for c in 0..<channels {
                            var best = px[t * nodes * channels + c]
                            var bestNode = 0
                            for n in 1..<max(nodes, 1) {
                                let v = px[(t * nodes + n) * channels + c]
                                if v > best { best = v; bestNode = n }
                            }
                            py[out + channels + c] = best
                            argmax[t * channels + c] = Int32(bestNode)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [frames, width], storage: y)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// `[T, C, 2C or N·C] → [T, N, C]`.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        precondition(cachedShape.count == 3, "NodePooling.backward called before forward")
        let (frames, nodes, channels) = (cachedShape[0], cachedShape[1], cachedShape[2])
        let width = outputWidth(nodes: nodes, channels: channels)
        precondition(gradOutput.shape == [frames, width], "NodePooling.backward expects [\(frames), \(width)], got \(gradOutput.shape)")
        if mode == .flatten { return Tensor(shape: cachedShape, storage: gradOutput.storage) }
        var dx = [Float](repeating: 0, count: frames * nodes * channels)
        let scale = 1 / Float(nodes)
        gradOutput.storage.withUnsafeBufferPointer { g in
            dx.withUnsafeMutableBufferPointer { d in
                for t in 0..<frames {
                    for n in 0..<nodes {
                        let base = (t * nodes + n) * channels
                        for c in 0..<channels { d[base + c] = g[t * width + c] * scale }
                    }
                    if mode == .meanMax {
                        for c in 0..<channels {
                            let n = Int(argmax[t * channels + c])
                            d[(t * nodes + n) * channels + c] += g[t * width + channels + c]
                        }
                    }
                }
            }
        }
        return Tensor(shape: cachedShape, storage: dx)
    }
}

/// Mean over the valid frames of a sequence. `[T, D] → [D]`. No parameters.
public final class TemporalMeanPooling {
    private var cachedShape: [Int] = []
    private var cachedMask: [Bool]?

    public init() {}

    /// `validFrames` (length T, true = keep) excludes padded or missing frames from the mean.
    public func forward(_ x: Tensor, validFrames: [Bool]? = nil) -> Tensor {
        precondition(x.rank == 2 && x.shape[0] > 0, "TemporalMeanPooling expects [T, D] with T ≥ 1, got \(x.shape)")
        let (frames, width) = (x.shape[0], x.shape[1])
        if let validFrames { precondition(validFrames.count == frames, "TemporalMeanPooling: mask has \(validFrames.count) entries for \(frames) frames") }
        cachedShape = x.shape
        cachedMask = validFrames
        let kept = validFrames.map { $0.filter { $0 }.count } ?? frames
        precondition(kept > 0, "TemporalMeanPooling: every frame is masked")
        var y = [Float](repeating: 0, count: width)
        for t in 0..<frames where validFrames?[t] ?? true {
            for d in 0..<width { y[d] += x.storage[t * width + d] }
        }
        let scale = 1 / Float(kept)
        for d in 0..<width { y[d] *= scale }
        return Tensor(shape: [width], storage: y)
    }

    /// `[D] → [T, D]`.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        precondition(cachedShape.count == 2, "TemporalMeanPooling.backward called before forward")
        let (frames, width) = (cachedShape[0], cachedShape[1])
        precondition(gradOutput.shape == [width], "TemporalMeanPooling.backward expects [\(width)], got \(gradOutput.shape)")
        let kept = cachedMask.map { $0.filter { $0 }.count } ?? frames
        let scale = 1 / Float(kept)
        var dx = [Float](repeating: 0, count: frames * width)
        for t in 0..<frames where cachedMask?[t] ?? true {
            for d in 0..<width { dx[t * width + d] = gradOutput.storage[d] * scale }
        }
        return Tensor(shape: cachedShape, storage: dx)
    }
}
