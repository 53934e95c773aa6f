import EmoMusikCore
/// EmoMusik-Net: shared graph convolutions per frame → node pooling → linear projection →
/// positional encoding → pre-norm Transformer encoder → final LayerNorm → temporal mean →
/// linear classifier.
///
/// Input: one sequence as row-major `[Float]` of shape [T, nodes, channels]. Output: logits [classes]
/// in ``EmoMusikCore/Emotion`` `allCases` order. A reference type holding layers with cached
/// activations: use one instance per thread.
///
/// Tensor names (model files, ``namedParameters``), with shapes for the default configuration:
///
/// | name | shape |
/// | --- | --- |
/// | `gcn.{i}.weight`, `gcn.{i}.bias` | [gcnWidths[i], in], [gcnWidths[i]] |
/// | `input_proj.weight`, `input_proj.bias` | [dModel, pooledWidth], [dModel] |
/// | `transformer.{l}.norm1.weight`, `.norm1.bias` | [dModel] |
/// | `transformer.{l}.attn.{q,k,v,out}.weight`, `.bias` | [dModel, dModel], [dModel] |
/// | `transformer.{l}.norm2.weight`, `.norm2.bias` | [dModel] |
/// | `transformer.{l}.ff.fc1.weight`, `.ff.fc1.bias` | [ffWidth, dModel], [ffWidth] |
/// | `transformer.{l}.ff.fc2.weight`, `.ff.fc2.bias` | [dModel, ffWidth], [dModel] |
/// | `norm.weight`, `norm.bias` | [dModel] |
/// | `classifier.weight`, `classifier.bias` | [classes, dModel], [classes] |
/// | `graph.adjacency` (a fixed buffer, not trained) | [nodes, nodes] |
///
/// Weights are stored [out, in] (PyTorch's layout): y = x·Wᵀ + b.
public final class EmotionNetModel {
    public let config: EmotionNetConfig
    /// Â = D^-½(A+I)D^-½, [nodes, nodes] row-major.
    public let adjacency: [Float]
    public let graphLayers: [GraphConvolution]
    public let nodePooling: NodePooling
    public let inputProjection: Linear
    public let embeddingDropout: Dropout
    public let blocks: [TransformerBlock]
    public let finalNorm: LayerNorm
    public let temporalPooling = TemporalMeanPooling()
    public let classifier: Linear
    /// Draws dropout masks in training; seeded from `config.seed`.
    var dropoutRNG: SplitMix64
    private var positionTable: [Float] = []
    private var positionTableFrames = 0
    private var cachedFrames = 0

    /// A freshly initialised network (He-uniform graph weights, Xavier-uniform linear weights, zero
    /// biases, LayerNorm γ = 1), deterministic for a given `config.seed`.
    public init(config: EmotionNetConfig, adjacency: [Float]) {
        precondition(config.problems.isEmpty, "EmotionNetConfig is invalid: \(config.problems.joined(separator: "; "))")
        precondition(adjacency.count == config.nodes * config.nodes,
                     "EmotionNetModel needs an adjacency of \(config.nodes)×\(config.nodes) values, got \(adjacency.count)")
        precondition(adjacency.allSatisfy { $0.isFinite }, "EmotionNetModel: the adjacency contains NaN or infinity")
        self.config = config
        self.adjacency = adjacency
        var rng = SplitMix64(seed: config.seed)
        var width = config.channels
        var graphLayers: [GraphConvolution] = []
        for out in config.gcnWidths {
            graphLayers.append(GraphConvolution(adjacency: adjacency, nodes: config.nodes, inputWidth: width, outputWidth: out,
                                                activation: config.gcnActivation, rng: &rng))
            width = out
        }
        self.graphLayers = graphLayers
        nodePooling = NodePooling(mode: config.pooling)
        inputProjection = Linear(inputWidth: config.pooledWidth, outputWidth: config.dModel, rng: &rng)
        embeddingDropout = Dropout(rate: config.dropout)
        blocks = (0..<config.layers).map { _ in
            TransformerBlock(width: config.dModel, heads: config.heads, feedForwardWidth: config.ffWidth, dropout: config.dropout, rng: &rng)
        }
        finalNorm = LayerNorm(width: config.dModel)
        classifier = Linear(inputWidth: config.dModel, outputWidth: config.classes, rng: &rng)
        dropoutRNG = SplitMix64(seed: config.seed ^ 0xD0_0D0E)
    }

    /// Every trainable tensor under its documented name, in a fixed order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var all: [(String, Parameter)] = []
        for (i, layer) in graphLayers.enumerated() { all += layer.parameters.map { ("gcn.\(i).\($0.0)", $0.1) } }
        all += inputProjection.parameters.map { ("input_proj.\($0.0)", $0.1) }
        for (l, block) in blocks.enumerated() { all += block.parameters.map { ("transformer.\(l).\($0.0)", $0.1) } }
        all += finalNorm.parameters.map { ("norm.\($0.0)", $0.1) }
        all += classifier.parameters.map { ("classifier.\($0.0)", $0.1) }
        return all.map { (name: $0.0, parameter: $0.1) }
    }

    /// Name of the fixed adjacency buffer in model files.
    public static let adjacencyTensorName = "graph.adjacency"

    /// True for the parameters of the graph layers (those frozen or slowed in fine-tuning).
    public static func isGraphParameter(_ name: String) -> Bool { name.hasPrefix("gcn.") }

    /// Number of trainable scalars.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.value.count } }

    /// Frames in a feature array of shape [T, nodes, channels].
    public func frameCount(of features: [Float]) -> Int {
        let perFrame = config.nodes * config.channels
        precondition(!features.isEmpty && features.count % perFrame == 0,
                     "sequence features must be [T, \(config.nodes), \(config.channels)] (a multiple of \(perFrame) values, T ≥ 1), got \(features.count) values")
        return features.count / perFrame
    }

    // MARK: Inference

    /// Logits [classes] for one sequence [T, nodes, channels]. `validFrames` (length T) masks
    /// frames without a face out of attention and pooling.
    public func forward(sequence features: [Float], validFrames: [Bool]? = nil) -> [Float] {
        forward(sequence: features, validFrames: validFrames, training: false)
    }

    /// Class probabilities (softmax of ``forward(sequence:validFrames:)``), summing to 1.
    public func probabilities(sequence features: [Float], validFrames: [Bool]? = nil) -> [Float] {
        Kernels.softmax(forward(sequence: features, validFrames: validFrames))
    }

    /// The most probable class index (the first on ties).
    public func predict(sequence features: [Float], validFrames: [Bool]? = nil) -> Int {
        let logits = forward(sequence: features, validFrames: validFrames)
        var best = 0
        for k in logits.indices where logits[k] > logits[best] { best = k }
        return best
    }

    /// The per-frame part of the network: graph convolutions, node pooling and the input projection.
    /// `[T, nodes, channels] → [T, dModel]`. Each frame's row depends on that frame only, which is
    /// what lets ``StreamingRecognizer`` cache it.
    public func frameEmbeddings(_ features: [Float]) -> Tensor {
        let frames = frameCount(of: features)
        var h = Tensor(shape: [frames, config.nodes, config.channels], storage: features)
        if let mask = config.inputChannels { Self.zeroUnread(&h.storage, mask: mask) }
        for layer in graphLayers { h = layer.forward(h) }
        return inputProjection.forward(nodePooling.forward(h))
    }

    /// The sequence part: positional encoding, Transformer blocks, final norm, temporal mean and
    /// classifier. `[T, dModel] → logits [classes]`.
    public func logits(embeddings: Tensor, validFrames: [Bool]? = nil) -> [Float] {
        sequenceForward(embeddings, validFrames: validFrames, training: false)
    }

    // MARK: Training

    /// Forward pass that caches activations for ``backward(gradLogits:throughGraphLayers:)``;
    /// `training` turns dropout on.
    public func forward(sequence features: [Float], validFrames: [Bool]?, training: Bool) -> [Float] {
        let frames = frameCount(of: features)
        if let validFrames { precondition(validFrames.count == frames, "validFrames has \(validFrames.count) entries for \(frames) frames") }
        cachedFrames = frames
        return sequenceForward(frameEmbeddings(features), validFrames: validFrames, training: training)
    }

    private func sequenceForward(_ embeddings: Tensor, validFrames: [Bool]?, training: Bool) -> [Float] {
        precondition(embeddings.rank == 2 && embeddings.shape[1] == config.dModel, "embeddings must be [T, \(config.dModel)], got \(embeddings.shape)")
        let frames = embeddings.shape[0]
        var x = embeddings
        Kernels.add(&x.storage, Array(positions(frames: frames)))
        x = embeddingDropout.forward(x, training: training, rng: &dropoutRNG)
        for block in blocks { x = block.forward(x, validFrames: validFrames, training: training, rng: &dropoutRNG) }
        x = finalNorm.forward(x)
        return classifier.forward(temporalPooling.forward(x, validFrames: validFrames)).storage
    }

    /// The sinusoidal table for `frames` positions, [frames, dModel], cached.
    private func positions(frames: Int) -> ArraySlice<Float> {
        if frames > positionTableFrames {
            positionTableFrames = max(frames, config.windowLength)
            positionTable = PositionalEncoding.table(frames: positionTableFrames, width: config.dModel)
        }
        return positionTable[0..<(frames * config.dModel)]
    }

    /// Backpropagates dL/dlogits through the last training forward, adding into every parameter's
    /// gradient. `throughGraphLayers: false` stops at the graph layers (frozen: saves their cost).
    /// Returns dL/d(input features) [T, nodes, channels], or an empty array when stopped early.
    @discardableResult
    public func backward(gradLogits: [Float], throughGraphLayers: Bool = true) -> [Float] {
        precondition(cachedFrames > 0, "EmotionNetModel.backward called before a training forward")
        precondition(gradLogits.count == config.classes, "gradLogits has \(gradLogits.count) entries for \(config.classes) classes")
        var g = classifier.backward(Tensor(shape: [config.classes], storage: gradLogits))
        g = finalNorm.backward(temporalPooling.backward(g))
        for block in blocks.reversed() { g = block.backward(g) }
        g = embeddingDropout.backward(g)  // positional encoding passes the gradient through
        g = nodePooling.backward(inputProjection.backward(g))
        guard throughGraphLayers else { return [] }
        for layer in graphLayers.reversed() { g = layer.backward(g) }
        if let mask = config.inputChannels { Self.zeroUnread(&g.storage, mask: mask) }
        return g.storage
    }

    /// Sets the channels `mask` leaves out to zero in `values` ([…, channels] row-major).
    static func zeroUnread(_ values: inout [Float], mask: [Bool]) {
        let channels = mask.count
        for c in 0..<channels where !mask[c] {
            for i in stride(from: c, to: values.count, by: channels) { values[i] = 0 }
        }
    }

    /// Clears every parameter gradient.
    public func zeroGradients() {
        for (_, p) in namedParameters { p.zeroGrad() }
    }

    // MARK: Transfer

    /// Copies the values of `other`'s parameters whose names pass `include` (all by default) into
    /// this model — for pre-train → fine-tune. Returns the copied names. The architectures must
    /// agree on every copied tensor's shape.
    @discardableResult
    public func copyWeights(from other: EmotionNetModel, where include: (String) -> Bool = { _ in true }) -> [String] {
        let source = Dictionary(uniqueKeysWithValues: other.namedParameters.map { ($0.name, $0.parameter) })
        var copied: [String] = []
        for (name, parameter) in namedParameters where include(name) {
            guard let from = source[name] else { preconditionFailure("copyWeights: the source model has no tensor '\(name)'") }
            precondition(from.shape == parameter.shape, "copyWeights: '\(name)' is \(from.shape) in the source but \(parameter.shape) here")
            parameter.value = from.value
            copied.append(name)
        }
        return copied
    }

    /// Sets every parameter to the mean of the same parameter in `models` (a uniform "model soup",
    /// Wortsman et al. 2022): networks fine-tuned from one pre-trained start with different data
    /// orders usually lie in one basin, and their average is often better than each of them while
    /// costing one network at run time. With `weights` (one per model, summing to 1 for a mean)
    /// it is their weighted sum instead: `[1 − α, α]` for a pre-trained and a fine-tuned network
    /// puts the weights α of the way from one to the other. The architectures must agree on every
    /// tensor's shape.
    public func averageWeights(of models: [EmotionNetModel], weights: [Float]? = nil) {
        precondition(!models.isEmpty, "averageWeights needs at least one model")
        precondition(weights.map { $0.count == models.count } ?? true, "averageWeights: \(weights?.count ?? 0) weights for \(models.count) models")
        let sources = models.map { Dictionary(uniqueKeysWithValues: $0.namedParameters.map { ($0.name, $0.parameter) }) }
        // The uniform mean sums (× 1 is exact) and scales once, as it always has: its figures stay
        // bit for bit.
        let coefficients = weights ?? [Float](repeating: 1, count: models.count)
        let scale = weights == nil ? 1 / Float(models.count) : 1
        for (name, parameter) in namedParameters {
            var sum = [Float](repeating: 0, count: parameter.value.storage.count)
            for (source, weight) in zip(sources, coefficients) {
                guard let from = source[name] else { preconditionFailure("averageWeights: a model has no tensor '\(name)'") }
                precondition(from.shape == parameter.shape, "averageWeights: '\(name)' is \(from.shape) in a model but \(parameter.shape) here")
                for i in sum.indices { sum[i] += weight * from.value.storage[i] }
            }
            if scale != 1 { for i in sum.indices { sum[i] *= scale } }
            parameter.value = Tensor(shape: parameter.shape, storage: sum)
        }
    }
}
