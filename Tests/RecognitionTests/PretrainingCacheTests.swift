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

    @Test("a pre-training speed-up changes the key; without one the key is as before it existed")
    func speedUpKey() {
        let c = TransferExperiment.Configuration()
        let key = TransferExperiment.pretrainingKey(c)
        #expect(!key.contains("speedUp"))
        var fast = c
        fast.pretrainSpeedUp = 2
        #expect(TransferExperiment.pretrainingKey(fast) != key)
        #expect(TransferExperiment.pretrainingKey(fast).contains("\"speedUp\":2"))
    }

    @Test("a pre-training checkpoint other than the best epoch changes the key; the best epoch's is as before")
    func checkpointKey() {
        let c = TransferExperiment.Configuration()
        let key = TransferExperiment.pretrainingKey(c)
        #expect(!key.contains("checkpoint"))
        var last = c
        last.pretrainCheckpoint = .averageOfLastEpochs(1)
        var average = c
        average.pretrainCheckpoint = .averageOfLastEpochs(10)
        #expect(TransferExperiment.pretrainingKey(last).contains("\"checkpoint\":\"last\""))
        #expect(TransferExperiment.pretrainingKey(average).contains("\"checkpoint\":\"average-last-10\""))
        #expect(Set([key, TransferExperiment.pretrainingKey(last), TransferExperiment.pretrainingKey(average)]).count == 3)
    }

    @Test("sped-up source sequences: seeded, each by its own factor within the range")
    func spedUpSources() {
        let sequences = SyntheticExpressions(domain: .posedAdult, frames: 48).generate(count: 20, seed: 4).sequences
        #expect(TransferExperiment.spedUp(sequences, upTo: 1, seed: 1) == sequences)
        let fast = TransferExperiment.spedUp(sequences, upTo: 2, seed: 1)
        #expect(fast == TransferExperiment.spedUp(sequences, upTo: 2, seed: 1))
        #expect(fast.allSatisfy { $0.frames.count >= 24 && $0.frames.count <= 48 })
        #expect(Set(fast.map(\.frames.count)).count > 3)
        #expect(zip(fast, sequences).allSatisfy { $0.label == $1.label && $0.subject == $1.subject })
    }

    @Test("training and the benchmark default to the network without position inputs")
    func positionFreeDefault() {
        #expect(RecognitionTraining().network.inputChannels == [false, false, true, true, true, true])
        #expect(TransferExperiment.Configuration().network == RecognitionTraining.defaultNetwork)
        #expect(RecognitionTraining.defaultNetwork.problems.isEmpty)
    }
}
