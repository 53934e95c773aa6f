import Foundation
import Testing
@testable import EmotionNet

@Suite struct StreamingTests {
    static let adjacency = TestSupport.normalisedAdjacency(nodes: 68)

    /// The default architecture (GCN 32-32, mean‖max, d=64, 4 heads, 2 blocks, window 32).
    static func model() -> EmotionNetModel {
        let model = EmotionNetModel(config: EmotionNetConfig(dropout: 0, seed: 21), adjacency: adjacency)
        for (i, (_, p)) in model.namedParameters.enumerated() where p.value.rank == 1 {
            p.value = TestSupport.randomTensor(p.shape, seed: 900 + UInt64(i), scale: 0.3)
        }
        // Sharper outputs, so that equal probabilities are a strong statement.
        model.classifier.weight.value.storage = model.classifier.weight.value.storage.map { $0 * 6 }
        return model
    }

    /// Random frames plus a slow per-frame drift, so successive windows really differ.
    static func stream(frames: Int, seed: UInt64) -> [Float] {
        var x = TestSupport.randomTensor([frames, 68, 6], seed: seed).storage
        for t in 0..<frames {
            for i in 0..<(68 * 6) { x[t * 68 * 6 + i] += 1.5 * sin(Float(t) / 6 + Float(i % 6)) }
        }
        return x
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test func matchesAFullForwardOverTheSameWindow() {
        let model = Self.model()
        let recognizer = StreamingRecognizer(model: model)
        let frameSize = 68 * 6
        let stream = Self.stream(frames: 40, seed: 77)
        var worst: Float = 0
        for t in 0..<40 {
            let frame = Array(stream[(t * frameSize)..<((t + 1) * frameSize)])
            let streamed = recognizer.push(frame: frame)
            #expect(recognizer.framesInWindow == min(t + 1, 32))
            if [0, 1, 15, 31, 32, 36, 39].contains(t) {
                let first = max(0, t + 1 - 32)
                let full = model.probabilities(sequence: Array(stream[(first * frameSize)..<((t + 1) * frameSize)]))
                worst = max(worst, Self.maxDifference(streamed, full))
            }
        }
        #expect(worst < 1e-4, "largest difference \(worst)")
        // The probabilities vary with the input (by 100× the tolerance): the comparison is not between constants.
        let a = model.probabilities(sequence: Array(stream[0..<(32 * frameSize)]))
        let b = model.probabilities(sequence: Array(stream[(8 * frameSize)..<(40 * frameSize)]))
        #expect(Self.maxDifference(a, b) > 0.01, "windows differ by only \(Self.maxDifference(a, b))")
        recognizer.reset()
        #expect(recognizer.framesInWindow == 0 && recognizer.currentProbabilities() == nil)
    }

    @Test func missingFramesAreMaskedLikeTheFullForward() {
        let model = Self.model()
        let recognizer = StreamingRecognizer(model: model, windowLength: 6)
        let frameSize = 68 * 6
        let stream = Self.stream(frames: 9, seed: 78)
        let missing: Set<Int> = [2, 5, 6]
        var last: [Float]?
        for t in 0..<9 {
            last = missing.contains(t)
                ? recognizer.pushMissingFrame()
                : recognizer.push(frame: Array(stream[(t * frameSize)..<((t + 1) * frameSize)]))
        }
        // Window = frames 3...8, of which 5 and 6 are missing.
        let window = Array(stream[(3 * frameSize)..<(9 * frameSize)])
        let full = model.probabilities(sequence: window, validFrames: [true, true, false, false, true, true])
        #expect(Self.maxDifference(last!, full) < 1e-4)
        let empty = StreamingRecognizer(model: model)
        #expect(empty.pushMissingFrame() == nil)
    }

    @Test func flopCountsAndSgemmRate() {
        let model = EmotionNetModel(config: EmotionNetConfig(), adjacency: Self.adjacency)
        let count = model.flops(frames: 32)
        // GCN: 2·32·68·(6·32 + 32·32) + 2·68²·32·(32 + 32); projection of the flattened nodes
        // 2·32·(68·32)·64; blocks: 2·(8·32·64² + 4·32·64·128 + 4·32²·64); classifier 2·64·7.
        let gcn = 2 * 32 * 68 * (6 * 32 + 32 * 32) + 2 * 68 * 68 * 32 * 64
        let expected = gcn + 2 * 32 * (68 * 32) * 64 + 2 * (8 * 32 * 64 * 64 + 4 * 32 * 64 * 128 + 4 * 32 * 32 * 64) + 2 * 64 * 7
        #expect(count.forward == expected)
        #expect(count.backward > count.forward && count.backward < 2 * count.forward)
        #expect(model.streamingFLOPsPerFrame() < count.forward)
        let rate = Throughput.sgemmGFLOPS(size: 64, minimumSeconds: 0.02)
        #expect(rate > 0.1 && rate < 10_000)
    }
}
