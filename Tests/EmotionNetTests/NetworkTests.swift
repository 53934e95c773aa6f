import Testing
import Foundation
@testable import EmotionNet

/// The whole network: finite-difference gradients, transfer helpers.
@Suite struct NetworkGradientTests {
    static func smallConfig(activation: Activation = .gelu, pooling: NodePoolingMode = .meanMax) -> EmotionNetConfig {
        EmotionNetConfig(
            nodes: 68, channels: 6, gcnWidths: [8, 8], gcnActivation: activation, pooling: pooling, dModel: 16, heads: 2,
            layers: 2, ffWidth: 24, windowLength: 8, classes: 7, dropout: 0, seed: 5)
    }

    /// GCN ×2 → pool → linear → PE → 2 Transformer blocks → temporal pool → classifier → weighted,
    /// smoothed cross-entropy: every parameter tensor and the input checked.
    @Test(arguments: [(Activation.gelu, NodePoolingMode.meanMax), (.relu, .mean), (.gelu, .flatten)])
    func wholeNetwork(activation: Activation, pooling: NodePoolingMode) {
        let model = EmotionNetModel(config: Self.smallConfig(activation: activation, pooling: pooling), adjacency: TestSupport.normalisedAdjacency(nodes: 68))
        // Move biases, γ and β off their initial values so their gradients are generic.
        for (i, (_, p)) in model.namedParameters.enumerated() where p.value.rank == 1 {
            p.value.storage = p.value.storage.enumerated().map { j, v in v + 0.1 * Float(((i + j) * 7) % 5 - 2) }
        }
        let frames = 4
        let x = TestSupport.randomTensor([frames, 68, 6], seed: 31)
        let weights: [Float] = [1, 1.5, 0.5, 1, 2, 1, 0.8]
        func loss(_ input: Tensor) -> (Double, [Float]) {
            let logits = model.forward(sequence: input.storage, validFrames: nil, training: true)
            return SoftmaxCrossEntropy.lossAndGradient(logits: logits, label: 3, classWeights: weights, labelSmoothing: 0.1)
        }
        // The checked output is the loss minus its value at x, so the Float32 output keeps the
        // small differences finite differences need.
        let baseline = loss(x).0
        var checker = GradientChecker()
        checker.samplesPerTensor = 12
        // ReLU's kinks and the tiny per-entry gradients of a mean over 68 nodes put the finite
        // differences between two error sources (kink crossings for large steps, Float32 round-off for
        // small ones): the ReLU network gets 2e-2 at a 5e-3 step; the GELU network is the strict check.
        var tolerance = LayerGradientTests.tolerance
        if activation == .relu {
            checker.epsilon = 5e-3
            tolerance = 2e-2
        }
        let result = checker.check(
            input: x, parameters: model.namedParameters.map { ($0.name, $0.parameter) },
            forward: { Tensor(shape: [1], storage: [Float(loss($0).0 - baseline)]) },
            backward: { dy in
                let (_, gradient) = loss(x)
                return Tensor(shape: x.shape, storage: model.backward(gradLogits: gradient.map { $0 * dy.storage[0] }))
            })
        #expect(result.errors.count == model.namedParameters.count + 1)
        for (name, error) in result.errors.sorted(by: { $0.key < $1.key }) {
            if name.hasSuffix("attn.k.bias") {
                #expect(result.numericNorms[name]! < 1e-4 && result.analyticNorms[name]! < 1e-5, "\(name) should have a zero gradient")
            } else {
                #expect(error < tolerance, "\(name): relative error \(error), numeric norm \(result.numericNorms[name]!)")
                #expect(result.numericNorms[name]! > 1e-5, "\(name): zero gradient, the check proves nothing")
            }
        }
    }

    @Test func deterministicInitialisationAndNames() {
        let adjacency = TestSupport.normalisedAdjacency(nodes: 68)
        let a = EmotionNetModel(config: Self.smallConfig(), adjacency: adjacency)
        let b = EmotionNetModel(config: Self.smallConfig(), adjacency: adjacency)
        var other = Self.smallConfig()
        other.seed = 6
        let c = EmotionNetModel(config: other, adjacency: adjacency)
        #expect(a.namedParameters.map(\.parameter.value) == b.namedParameters.map(\.parameter.value))
        #expect(a.namedParameters.map(\.parameter.value) != c.namedParameters.map(\.parameter.value))
        let names = a.namedParameters.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.first == "gcn.0.weight" && names.last == "classifier.bias")
        #expect(names.contains("transformer.1.attn.q.weight") && names.contains("transformer.0.ff.fc2.bias") && names.contains("input_proj.weight"))
        #expect(a.namedParameters.first { $0.name == "gcn.1.weight" }!.parameter.shape == [8, 8])
        #expect(a.namedParameters.first { $0.name == "input_proj.weight" }!.parameter.shape == [16, 16])
        let probabilities = a.probabilities(sequence: TestSupport.randomTensor([3, 68, 6], seed: 1).storage)
        #expect(probabilities.count == 7 && abs(probabilities.reduce(0, +) - 1) < 1e-5)
    }

    @Test func copyWeightsSelectsByName() {
        let adjacency = TestSupport.normalisedAdjacency(nodes: 68)
        let source = EmotionNetModel(config: Self.smallConfig(), adjacency: adjacency)
        var config = Self.smallConfig()
        config.seed = 77
        let target = EmotionNetModel(config: config, adjacency: adjacency)
        let copied = target.copyWeights(from: source, where: EmotionNetModel.isGraphParameter)
        #expect(copied == ["gcn.0.weight", "gcn.0.bias", "gcn.1.weight", "gcn.1.bias"])
        let s = Dictionary(uniqueKeysWithValues: source.namedParameters.map { ($0.name, $0.parameter.value) })
        for (name, p) in target.namedParameters where p.value.rank >= 2 {  // biases start equal anyway
            #expect((p.value == s[name]!) == copied.contains(name), "\(name)")
        }
        target.copyWeights(from: source)
        let x = TestSupport.randomTensor([5, 68, 6], seed: 2).storage
        #expect(target.forward(sequence: x) == source.forward(sequence: x))
    }

    @Test("averageWeights: every tensor is the mean of the models' tensors; one model's average is that model")
    func averageWeightsIsTheMean() {
        let adjacency = TestSupport.normalisedAdjacency(nodes: 68)
        let models = [3, 4, 5].map { seed -> EmotionNetModel in
            var config = Self.smallConfig()
            config.seed = UInt64(seed)
            return EmotionNetModel(config: config, adjacency: adjacency)
        }
        let soup = EmotionNetModel(config: Self.smallConfig(), adjacency: adjacency)
        soup.averageWeights(of: models)
        let tensors = models.map { Dictionary(uniqueKeysWithValues: $0.namedParameters.map { ($0.name, $0.parameter.value) }) }
        for (name, p) in soup.namedParameters {
            for i in p.value.storage.indices {
                let mean = tensors.map { $0[name]!.storage[i] }.reduce(0, +) / 3
                #expect(abs(p.value.storage[i] - mean) <= 1e-6 * max(1, abs(mean)), "\(name)[\(i)]")
            }
        }
        // The weights of different initialisations differ, so the mean is none of them.
        #expect(soup.namedParameters[0].parameter.value != models[0].namedParameters[0].parameter.value)
        let single = EmotionNetModel(config: Self.smallConfig(), adjacency: adjacency)
        single.averageWeights(of: [models[1]])
        let x = TestSupport.randomTensor([5, 68, 6], seed: 2).storage
        #expect(single.forward(sequence: x) == models[1].forward(sequence: x))
    }

    @Test("averageWeights with weights: each tensor is the weighted sum; [1, 0] and [0, 1] give either model exactly")
    func weightedAverageInterpolates() {
        let adjacency = TestSupport.normalisedAdjacency(nodes: 68)
        let models = [3, 4].map { seed -> EmotionNetModel in
            var config = Self.smallConfig()
            config.seed = UInt64(seed)
            return EmotionNetModel(config: config, adjacency: adjacency)
        }
        let between = EmotionNetModel(config: Self.smallConfig(), adjacency: adjacency)
        between.averageWeights(of: models, weights: [0.25, 0.75])
        let tensors = models.map { Dictionary(uniqueKeysWithValues: $0.namedParameters.map { ($0.name, $0.parameter.value) }) }
        for (name, p) in between.namedParameters {
            for i in p.value.storage.indices {
                let expected = 0.25 * tensors[0][name]!.storage[i] + 0.75 * tensors[1][name]!.storage[i]
                #expect(abs(p.value.storage[i] - expected) <= 1e-6 * max(1, abs(expected)), "\(name)[\(i)]")
            }
        }
        let x = TestSupport.randomTensor([5, 68, 6], seed: 2).storage
        for (weights, model) in [([Float(1), 0], models[0]), ([0, 1], models[1])] {
            let end = EmotionNetModel(config: Self.smallConfig(), adjacency: adjacency)
            end.averageWeights(of: models, weights: weights)
            #expect(end.forward(sequence: x) == model.forward(sequence: x), "\(weights)")
        }
    }

    @Test("inputChannels: the channels left out do not change the output, and files of full-input models do not mention it")
    func inputChannelMask() throws {
        let adjacency = TestSupport.normalisedAdjacency(nodes: 68)
        var config = Self.smallConfig(pooling: .flatten)
        config.inputChannels = [false, false, true, true, true, true]
        #expect(config.problems.isEmpty)
        let model = EmotionNetModel(config: config, adjacency: adjacency)
        let x = TestSupport.randomTensor([5, 68, 6], seed: 3).storage
        var moved = x
        for i in stride(from: 0, to: moved.count, by: 6) { moved[i] += 0.5; moved[i + 1] -= 0.3 }
        #expect(model.forward(sequence: moved) == model.forward(sequence: x))
        var displaced = x
        displaced[4] += 0.5
        #expect(model.forward(sequence: displaced) != model.forward(sequence: x))
        _ = model.forward(sequence: x, validFrames: nil, training: true)
        let gradient = model.backward(gradLogits: [1, 0, 0, 0, 0, 0, -1])
        #expect(stride(from: 0, to: gradient.count, by: 6).allSatisfy { gradient[$0] == 0 && gradient[$0 + 1] == 0 })

        config.inputChannels = [false, false, false, false, false, false]
        #expect(!config.problems.isEmpty)
        config.inputChannels = [true]
        #expect(!config.problems.isEmpty)
        let json = String(decoding: try JSONEncoder().encode(Self.smallConfig()), as: UTF8.self)
        #expect(!json.contains("inputChannels"))
        #expect(try JSONDecoder().decode(EmotionNetConfig.self, from: Data(json.utf8)) == Self.smallConfig())
    }
}
