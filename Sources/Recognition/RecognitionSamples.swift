import EmoMusikCore
import EmotionNet
import FaceLandmarks

/// From landmark sequences to the network's input: one window of node features per sequence.
public enum RecognitionSamples {
    /// Frames in the network's window (the Transformer's context).
    public static let windowLength = 32
    /// Frames of the window before the apex: the onset leads into the expression.
    public static let framesBeforeApex = 20

    /// The window of `sequence` that holds its expression: `windowLength` frames starting
    /// ``framesBeforeApex`` before the apex (the observed frame farthest from the neutral face),
    /// moved to lie inside the sequence; shorter sequences are padded by repeating their first frame.
    public static func window(_ sequence: LandmarkSequence) -> FeatureTensor {
        let tensor = NodeFeatures.tensor(sequence)
        guard tensor.frames > windowLength else {
            return tensor.window(length: windowLength, stride: windowLength)[0]
        }
        let apex = NodeFeatures.filledPositions(sequence).map {
            BaselineFeatures.apexIndex(positions: $0.positions, observed: $0.observed)
        } ?? 0
        let start = min(max(apex - framesBeforeApex, 0), tensor.frames - windowLength)
        let perFrame = FeatureTensor.nodes * FeatureTensor.channels
        return FeatureTensor(
            frames: windowLength,
            values: Array(tensor.values[(start * perFrame)..<((start + windowLength) * perFrame)]),
            mask: Array(tensor.mask[start..<(start + windowLength)]))
    }

    /// A training sample for a labelled sequence (label index in ``Emotion/allCases`` order).
    public static func sample(_ sequence: LandmarkSequence) -> TrainingSample {
        let window = window(sequence)
        let label = sequence.label.flatMap { Emotion.allCases.firstIndex(of: $0) } ?? 0
        return TrainingSample(features: window.values, frames: window.frames, label: label, validFrames: window.mask)
    }

    /// Every `windowLength`-frame window of `sequence` that contains its apex, `stride` frames
    /// apart (at least the apex-centred one): more training samples from few labelled sequences.
    public static func samples(_ sequence: LandmarkSequence, stride: Int) -> [TrainingSample] {
        precondition(stride > 0, "the window stride must be positive")
        let tensor = NodeFeatures.tensor(sequence)
        guard tensor.frames > windowLength, let filled = NodeFeatures.filledPositions(sequence) else { return [sample(sequence)] }
        let apex = BaselineFeatures.apexIndex(positions: filled.positions, observed: filled.observed)
        let label = sequence.label.flatMap { Emotion.allCases.firstIndex(of: $0) } ?? 0
        let perFrame = FeatureTensor.nodes * FeatureTensor.channels
        let first = max(0, apex - windowLength + 1), last = min(apex, tensor.frames - windowLength)
        return Swift.stride(from: first, through: last, by: stride).map { start in
            TrainingSample(
                features: Array(tensor.values[(start * perFrame)..<((start + windowLength) * perFrame)]),
                frames: windowLength, label: label, validFrames: Array(tensor.mask[start..<(start + windowLength)]))
        }
    }

    /// The class index of each labelled sequence.
    public static func labels(_ sequences: [LandmarkSequence]) -> [Int] {
        sequences.map { $0.label.flatMap { Emotion.allCases.firstIndex(of: $0) } ?? 0 }
    }
}
