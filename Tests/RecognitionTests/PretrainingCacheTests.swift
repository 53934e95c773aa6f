import EmotionNet
import FaceLandmarks
import Foundation
@testable import Recognition
import Testing

@Suite("The transfer experiment's pre-training cache and the default network")
struct PretrainingCacheTests {
    @Test("a cached pre-trained network is reused only when written for the same pre-training")
    func cacheKey() throws {
        var c = TransferExperiment.Configuration()
        let key = TransferExperiment.pretrainingKey(c)
        var other = c
        other.network.inputChannels = nil
        #expect(TransferExperiment.pretrainingKey(other) != key)
        other = c
        other.pretrainAugmentation.aspectDrift = 0
        #expect(TransferExperiment.pretrainingKey(other) != key)
        other = c
        other.fineTuneEpochs = 3  // fine-tuning settings do not touch the pre-trained network
        other.reinitialiseClassifier = true
        #expect(TransferExperiment.pretrainingKey(other) == key)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pretraining-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("pre.safetensors").path
        #expect(TransferExperiment.cachedPretraining(path, key: key) == nil)
        let model = EmotionNetModel(config: c.network, adjacency: FaceGraph.standard.normalisedAdjacency)
        try model.save(to: URL(fileURLWithPath: path), extraMetadata: ["pretraining_key": key])
        let loaded = try #require(TransferExperiment.cachedPretraining(path, key: key))
        let x = [Float](repeating: 0.01, count: 4 * 68 * 6)
        #expect(loaded.forward(sequence: x) == model.forward(sequence: x))
        c.seed += 1
        #expect(TransferExperiment.cachedPretraining(path, key: TransferExperiment.pretrainingKey(c)) == nil)
    }

    @Test("training and the benchmark default to the network without position inputs")
    func positionFreeDefault() {
        #expect(RecognitionTraining().network.inputChannels == [false, false, true, true, true, true])
        #expect(TransferExperiment.Configuration().network == RecognitionTraining.defaultNetwork)
        #expect(RecognitionTraining.defaultNetwork.problems.isEmpty)
    }
}
