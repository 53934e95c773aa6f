import EmoMusikCore

/// The architecture's hyper-parameters. Stored as JSON in a model file's metadata (`config`).
public struct EmotionNetConfig: Codable, Sendable, Equatable {
    /// Graph nodes per frame (68 for the iBUG layout).
    public var nodes: Int
    /// Feature channels per node (6: position, velocity, displacement from neutral; 2 each).
    public var channels: Int
    /// Output width of each graph convolution, in order.
    public var gcnWidths: [Int]
    /// Nonlinearity after each graph convolution.
    public var gcnActivation: Activation
    /// How the nodes of a frame are pooled into one vector.
    public var pooling: NodePoolingMode
    /// Transformer width.
    public var dModel: Int
    /// Attention heads (must divide `dModel`).
    public var heads: Int
    /// Transformer encoder blocks.
    public var layers: Int
    /// Hidden width of each block's feed-forward network.
    public var ffWidth: Int
    /// Frames in the sliding window the streaming recognizer keeps.
    public var windowLength: Int
    /// Output classes (7: ``Emotion/allCases`` order).
    public var classes: Int
    /// Dropout rate on the embeddings and inside each block, in training only.
    public var dropout: Float
    /// Seed of the weight initialisation and of dropout.
    public var seed: UInt64
    /// Which of the `channels` input channels the network reads (nil: all of them). The others are
    /// set to zero before the graph layers, e.g. to leave out the positions, which carry each
    /// face's shape. Absent from the files of models that read every channel.
    public var inputChannels: [Bool]?

    public init(
        nodes: Int = 68, channels: Int = 6, gcnWidths: [Int] = [32, 32], gcnActivation: Activation = .relu,
        pooling: NodePoolingMode = .flatten, dModel: Int = 64, heads: Int = 4, layers: Int = 2, ffWidth: Int = 128,
        windowLength: Int = 32, classes: Int = Emotion.allCases.count, dropout: Float = 0.1, seed: UInt64 = 1,
        inputChannels: [Bool]? = nil
    ) {
        self.nodes = nodes
        self.channels = channels
        self.gcnWidths = gcnWidths
        self.gcnActivation = gcnActivation
        self.pooling = pooling
        self.dModel = dModel
        self.heads = heads
        self.layers = layers
        self.ffWidth = ffWidth
        self.windowLength = windowLength
        self.classes = classes
        self.dropout = dropout
        self.seed = seed
        self.inputChannels = inputChannels
    }

    /// Width of the pooled frame vector fed to the input projection.
    public var pooledWidth: Int {
        let last = gcnWidths.last ?? channels
        switch pooling {
        case .mean: return last
        case .meanMax: return 2 * last
        case .flatten: return nodes * last
        }
    }

    /// The reasons this configuration cannot build a network (empty when it can).
    public var problems: [String] {
        var problems: [String] = []
        if nodes < 1 { problems.append("nodes must be positive (got \(nodes))") }
        if channels < 1 { problems.append("channels must be positive (got \(channels))") }
        if gcnWidths.isEmpty || gcnWidths.contains(where: { $0 < 1 }) { problems.append("gcnWidths must be one or more positive widths (got \(gcnWidths))") }
        if dModel < 1 || heads < 1 || dModel % heads != 0 { problems.append("dModel (\(dModel)) must be a positive multiple of heads (\(heads))") }
        if layers < 0 { problems.append("layers must not be negative (got \(layers))") }
        if ffWidth < 1 { problems.append("ffWidth must be positive (got \(ffWidth))") }
        if windowLength < 1 { problems.append("windowLength must be positive (got \(windowLength))") }
        if classes < 2 { problems.append("classes must be at least 2 (got \(classes))") }
        if let mask = inputChannels, mask.count != channels || !mask.contains(true) {
            problems.append("inputChannels must name \(channels) channels, at least one of them read (got \(mask))")
        }
        if !(dropout >= 0 && dropout < 1) { problems.append("dropout must be in [0, 1) (got \(dropout))") }
        return problems
    }
}
