import EmoMusikCore
import EmoMusikPlugins
import EmotionNet
import FaceLandmarks
import Foundation

/// `emomusik-net`: the built-in recognizer. A graph convolutional network over the 68-point face
/// graph per frame, then a Transformer over the last 32 frames (see `EmotionNet`), loaded from a
/// safetensors model file. Each new frame costs one frame's graph convolution plus one pass of the
/// Transformer over cached frame embeddings.
public final class EmoMusikNetRecognizer: EmotionRecognizer {
    /// Where the shipped model lives, relative to the project directory.
    public static let defaultModelPath = "models/emomusik-net.safetensors"

    public static let descriptor = PluginDescriptor(
        id: "emomusik-net", displayName: "EmoMusik-Net (GCN + Transformer)", version: "1.0.0", kind: .recognizer,
        summary: "Emotion probabilities from 68-point facial landmark sequences: graph convolution per frame, a Transformer over time.",
        options: [
            PluginOption(
                name: "model", type: .string, help: "The safetensors model file",
                defaultValue: .string(defaultModelPath)),
        ])

    private let recognizer: StreamingRecognizer
    private var features = StreamingFeatures()

    public init(options: PluginOptions) throws {
        let path = options.string("model")
        let model = try EmotionNetModel.load(
            contentsOf: URL(fileURLWithPath: path), expectedLandmarkLayout: EmotionNetModel.landmarkLayout,
            expectedFeatureLayout: EmotionNetModel.featureLayout)
        recognizer = StreamingRecognizer(model: model)
    }

    /// [recognition thread] The estimate after `frame`; nil until the first face, and for frames
    /// without a face (the window keeps their place, masked).
    public func process(_ frame: LandmarkFrame) throws -> EmotionEstimate? {
        guard let values = features.features(for: frame) else {
            _ = recognizer.pushMissingFrame()
            return nil
        }
        let probabilities = recognizer.push(frame: values).map(Double.init)
        return EmotionEstimate(time: frame.time, probabilities: probabilities, confidence: frame.confidence)
    }

    public func reset() {
        recognizer.reset()
        features.reset()
    }
}
