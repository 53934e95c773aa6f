/// Frame-by-frame recognition over a sliding window, for live input.
///
/// Each pushed frame goes through the per-frame part of the network (graph convolutions, node
/// pooling, input projection) once; its embedding is kept in a ring of the last `windowLength`
/// frames, and only the sequence part (positional encoding, Transformer, classifier) runs over the
/// cached window. The result equals ``EmotionNetModel/probabilities(sequence:validFrames:)`` over
/// the same frames (up to float rounding). Not thread-safe: one recognizer per stream.
public final class StreamingRecognizer {
    public let model: EmotionNetModel
    public let windowLength: Int
    private var ring: [Float]
    private var ringValid: [Bool]
    private var next = 0
    /// Frames currently in the window (≤ `windowLength`).
    public private(set) var framesInWindow = 0
    private let width: Int
    private let frameSize: Int

    /// `windowLength` defaults to the model's `config.windowLength` (32).
    public init(model: EmotionNetModel, windowLength: Int? = nil) {
        let length = windowLength ?? model.config.windowLength
        precondition(length >= 1, "StreamingRecognizer needs a window of at least one frame, got \(length)")
        self.model = model
        self.windowLength = length
        width = model.config.dModel
        frameSize = model.config.nodes * model.config.channels
        ring = [Float](repeating: 0, count: length * width)
        ringValid = [Bool](repeating: false, count: length)
    }

    /// Takes one frame's node features [nodes, channels] (row-major) and returns the class
    /// probabilities over the window ending with it.
    @discardableResult
    public func push(frame features: [Float]) -> [Float] {
        precondition(features.count == frameSize,
                     "StreamingRecognizer.push expects one frame of \(model.config.nodes)×\(model.config.channels) = \(frameSize) features, got \(features.count)")
        let embedding = model.frameEmbeddings(features)
        ring.withUnsafeMutableBufferPointer { r in
            embedding.storage.withUnsafeBufferPointer { e in
                (r.baseAddress! + next * width).update(from: e.baseAddress!, count: width)
            }
        }
        ringValid[next] = true
        advance()
        return currentProbabilities()!
    }

    /// Records a frame in which no face was tracked: it keeps its place in time but is masked out.
    /// Returns the probabilities over the window's remaining frames, or nil when none has a face.
    @discardableResult
    public func pushMissingFrame() -> [Float]? {
        ringValid[next] = false
        advance()
        return currentProbabilities()
    }

    private func advance() {
        next = (next + 1) % windowLength
        framesInWindow = min(framesInWindow + 1, windowLength)
    }

    /// Probabilities over the current window without taking a frame (nil when no frame has a face).
    public func currentProbabilities() -> [Float]? {
        let count = framesInWindow
        guard count > 0 else { return nil }
        let first = (next - count + windowLength) % windowLength
        var window = [Float](repeating: 0, count: count * width)
        var valid = [Bool](repeating: false, count: count)
        ring.withUnsafeBufferPointer { r in
            window.withUnsafeMutableBufferPointer { w in
                for i in 0..<count {
                    let slot = (first + i) % windowLength
                    (w.baseAddress! + i * width).update(from: r.baseAddress! + slot * width, count: width)
                    valid[i] = ringValid[slot]
                }
            }
        }
        guard valid.contains(true) else { return nil }
        let logits = model.logits(embeddings: Tensor(shape: [count, width], storage: window), validFrames: valid.allSatisfy { $0 } ? nil : valid)
        return Kernels.softmax(logits)
    }

    /// Empties the window (a new stream).
    public func reset() {
        next = 0
        framesInWindow = 0
        for i in ringValid.indices { ringValid[i] = false }
    }
}
