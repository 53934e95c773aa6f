import EmoMusikCore
import Foundation
import Testing
@testable import EmotionNet

/// Finite-difference checks of every layer's backward pass (input and parameter gradients).
@Suite struct LayerGradientTests {
    static let tolerance = 1e-2
    let checker = GradientChecker()

    /// Every tensor's relative error is under the tolerance and its gradient is not trivially zero;
    /// tensors in `knownZero` have an exactly zero true gradient, so both norms must be tiny instead.
    func expectPasses(_ result: GradientChecker.Result, _ layer: String, knownZero: Set<String> = []) {
        for (name, error) in result.errors.sorted(by: { $0.key < $1.key }) {
            if knownZero.contains(name) {
                #expect(result.numericNorms[name]! < 1e-4 && result.analyticNorms[name]! < 1e-5, "\(layer) \(name) should have a zero gradient")
                continue
            }
            #expect(error < Self.tolerance, "\(layer) \(name): relative error \(error), numeric norm \(result.numericNorms[name]!)")
            #expect(result.numericNorms[name]! > 1e-3, "\(layer) \(name): gradient is (numerically) zero, so the check proves nothing")
        }
    }

    @Test func linear() {
        var rng = SplitMix64(seed: 1)
        let layer = Linear(inputWidth: 5, outputWidth: 4, rng: &rng)
        layer.bias.value = TestSupport.randomTensor([4], seed: 2, scale: 0.5)
        let x = TestSupport.randomTensor([2, 3, 5], seed: 3)
        let result = checker.check(input: x, parameters: layer.parameters, forward: layer.forward, backward: layer.backward)
        expectPasses(result, "Linear")
    }

    @Test(arguments: [Activation.gelu, .relu, .identity])
    func graphConvolution(activation: Activation) {
        var rng = SplitMix64(seed: 4)
        let nodes = 7
        let layer = GraphConvolution(
            adjacency: TestSupport.normalisedAdjacency(nodes: nodes), nodes: nodes, inputWidth: 3, outputWidth: 5,
            activation: activation, rng: &rng)
        layer.bias.value = TestSupport.randomTensor([5], seed: 5, scale: 0.3)
        let x = TestSupport.randomTensor([3, nodes, 3], seed: 6)
        // ReLU has kinks: a smaller step keeps the finite difference on one side of them.
        var checker = self.checker
        if activation == .relu { checker.epsilon = 1e-3 }
        let result = checker.check(input: x, parameters: layer.parameters, forward: layer.forward, backward: layer.backward)
        expectPasses(result, "GraphConvolution(\(activation))")
    }

    @Test func graphConvolutionSingleFrameMatchesBatch() {
        var rng = SplitMix64(seed: 4)
        let nodes = 9
        let layer = GraphConvolution(
            adjacency: TestSupport.normalisedAdjacency(nodes: nodes), nodes: nodes, inputWidth: 3, outputWidth: 4,
            activation: .gelu, rng: &rng)
        let x = TestSupport.randomTensor([3, nodes, 3], seed: 8)
        let all = layer.forward(x)
        for t in 0..<3 {
            let frame = Tensor(shape: [1, nodes, 3], storage: Array(x.storage[(t * nodes * 3)..<((t + 1) * nodes * 3)]))
            let one = layer.forward(frame).storage
            let slice = Array(all.storage[(t * nodes * 4)..<((t + 1) * nodes * 4)])
            for i in one.indices { #expect(abs(one[i] - slice[i]) < 1e-5) }
        }
    }

    @Test(arguments: [NodePoolingMode.mean, .meanMax, .flatten])
    func nodePooling(mode: NodePoolingMode) {
        let layer = NodePooling(mode: mode)
        let x = TestSupport.randomTensor([3, 6, 4], seed: 9)
        // Max pooling has kinks where two nodes tie: 1e-3 stays clear of the random inputs' gaps.
        var checker = self.checker
        checker.epsilon = 1e-3
        let result = checker.check(input: x, parameters: [], forward: layer.forward, backward: layer.backward)
        expectPasses(result, "NodePooling(\(mode))")
        #expect(layer.forward(x).shape == [3, [NodePoolingMode.mean: 4, .meanMax: 8, .flatten: 24][mode]!])
    }

    @Test func layerNorm() {
        let layer = LayerNorm(width: 6)
        layer.weight.value = TestSupport.randomTensor([6], seed: 10, scale: 1.5)
        layer.bias.value = TestSupport.randomTensor([6], seed: 11)
        let x = TestSupport.randomTensor([4, 6], seed: 12, scale: 2)
        let result = checker.check(input: x, parameters: layer.parameters, forward: layer.forward, backward: layer.backward)
        expectPasses(result, "LayerNorm")
    }

    @Test func positionalEncoding() {
        let x = TestSupport.randomTensor([5, 6], seed: 13)
        let result = checker.check(input: x, parameters: [], forward: PositionalEncoding.forward, backward: PositionalEncoding.backward)
        expectPasses(result, "PositionalEncoding")
        let y = PositionalEncoding.forward(Tensor(zeros: [3, 4]))
        // t = 1, i = 0: sin(1), cos(1); i = 2: sin(1/100), cos(1/100)
        #expect(abs(y[1, 0] - 0.841_470_98) < 1e-6 && abs(y[1, 1] - 0.540_302_3) < 1e-6)
        #expect(abs(y[1, 2] - 0.009_999_833) < 1e-6 && abs(y[0, 1] - 1) < 1e-7)
    }

    @Test(arguments: [false, true])
    func multiHeadSelfAttention(masked: Bool) {
        var rng = SplitMix64(seed: 14)
        let layer = MultiHeadSelfAttention(width: 8, heads: 2, rng: &rng)
        for (i, (_, p)) in layer.parameters.enumerated() where p.value.rank == 1 {
            p.value = TestSupport.randomTensor(p.shape, seed: 100 + UInt64(i), scale: 0.3)
        }
        let x = TestSupport.randomTensor([5, 8], seed: 15)
        let mask: [Bool]? = masked ? [true, true, false, true, false] : nil
        let result = checker.check(
            input: x, parameters: layer.parameters, forward: { layer.forward($0, validFrames: mask) },
            backward: layer.backward)
        // Adding a constant to every key shifts each score row uniformly: softmax ignores it, so the
        // key bias's true gradient is zero.
        expectPasses(result, "MultiHeadSelfAttention", knownZero: ["k.bias"])
        if masked {
            // A masked frame must not influence the others' outputs.
            var x2 = x
            for c in 0..<8 { x2[2, c] += 3 }
            let y1 = layer.forward(x, validFrames: mask)
            let y2 = layer.forward(x2, validFrames: mask)
            for t in [0, 1, 3, 4] { for c in 0..<8 { #expect(abs(y1[t, c] - y2[t, c]) < 1e-5) } }
        }
    }

    @Test func feedForward() {
        var rng = SplitMix64(seed: 16)
        let layer = FeedForward(width: 6, hiddenWidth: 10, rng: &rng)
        let x = TestSupport.randomTensor([3, 6], seed: 17)
        let result = checker.check(input: x, parameters: layer.parameters, forward: layer.forward, backward: layer.backward)
        expectPasses(result, "FeedForward")
    }

    @Test func transformerBlock() {
        var rng = SplitMix64(seed: 18)
        let block = TransformerBlock(width: 8, heads: 2, feedForwardWidth: 12, rng: &rng)
        for (i, (_, p)) in block.parameters.enumerated() where p.value.rank == 1 {
            p.value.storage = p.value.storage.map { $0 + 0.2 * Float((i * 7) % 5 - 2) }  // move γ, β and biases off their defaults
        }
        let x = TestSupport.randomTensor([4, 8], seed: 19)
        let result = checker.check(
            input: x, parameters: block.parameters, forward: { block.forward($0) }, backward: block.backward)
        expectPasses(result, "TransformerBlock", knownZero: ["attn.k.bias"])
    }

    @Test func dropoutWithFixedMask() {
        let layer = Dropout(rate: 0.4)
        let x = TestSupport.randomTensor([4, 5], seed: 20)
        // The same generator state before every call gives the same mask.
        let result = checker.check(
            input: x, parameters: [],
            forward: { var rng = SplitMix64(seed: 3); return layer.forward($0, training: true, rng: &rng) },
            backward: layer.backward)
        expectPasses(result, "Dropout")
        var rng = SplitMix64(seed: 3)
        let y = layer.forward(Tensor(repeating: 1, shape: [1000]), training: true, rng: &rng)
        let dropped = y.storage.filter { $0 == 0 }.count
        #expect(dropped > 330 && dropped < 470, "dropped \(dropped) of 1000 at rate 0.4")
        #expect(y.storage.allSatisfy { $0 == 0 || abs($0 - 1 / 0.6) < 1e-6 })
        #expect(layer.forward(x, training: false, rng: &rng) == x)
    }

    @Test func temporalMeanPooling() {
        let layer = TemporalMeanPooling()
        let x = TestSupport.randomTensor([5, 3], seed: 21)
        for mask in [nil, [true, false, true, true, false]] as [[Bool]?] {
            let result = checker.check(
                input: x, parameters: [], forward: { layer.forward($0, validFrames: mask) }, backward: layer.backward)
            expectPasses(result, "TemporalMeanPooling")
        }
    }

    @Test(arguments: [Float(0), 0.1])
    func softmaxCrossEntropy(smoothing: Float) {
        let logits = TestSupport.randomTensor([7], seed: 22, scale: 2).storage
        let weights: [Float] = [1, 2, 0.5, 1, 3, 1, 0.7]
        let (_, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, label: 4, classWeights: weights, labelSmoothing: smoothing)
        let eps: Float = 1e-2
        var numeric: [Double] = []
        for k in 0..<7 {
            var up = logits, down = logits
            up[k] += eps
            down[k] -= eps
            let lu = SoftmaxCrossEntropy.lossAndGradient(logits: up, label: 4, classWeights: weights, labelSmoothing: smoothing).loss
            let ld = SoftmaxCrossEntropy.lossAndGradient(logits: down, label: 4, classWeights: weights, labelSmoothing: smoothing).loss
            numeric.append((lu - ld) / Double(2 * eps))
        }
        #expect(TestSupport.relativeError(gradient.map(Double.init), numeric) < Self.tolerance)
        // Uniform logits: loss = w·log K whatever the smoothing.
        let uniform = SoftmaxCrossEntropy.lossAndGradient(logits: [Float](repeating: 0.3, count: 7), label: 1, classWeights: weights, labelSmoothing: smoothing)
        #expect(abs(uniform.loss - 2 * log(7.0)) < 1e-6)
    }

    /// The check is not vacuous: damaged gradients of the kinds a backward pass gets wrong are caught.
    @Test func checkerDetectsWrongGradients() {
        var rng = SplitMix64(seed: 23)
        let layer = LayerNorm(width: 6)
        layer.weight.value = TestSupport.randomTensor([6], seed: 24, scale: 1.5)
        let x = TestSupport.randomTensor([4, 6], seed: 25, scale: 2)
        _ = rng.next()
        // 1. An input gradient off by 3 % everywhere.
        let scaled = checker.check(
            input: x, parameters: layer.parameters, forward: layer.forward, backward: layer.backward,
            corruptAnalytic: { g in g["input"] = g["input"]!.map { $0 * 1.03 } })
        #expect(scaled.errors["input"]! > Self.tolerance)
        // 2. LayerNorm's backward without the mean-subtraction term (a classic mistake).
        let naive = checker.check(
            input: x, parameters: layer.parameters, forward: layer.forward,
            backward: { dy in
                _ = layer.backward(dy)
                var dx = dy
                for i in 0..<dx.count { dx.storage[i] *= layer.weight.value.storage[i % 6] }
                return dx
            })
        #expect(naive.errors["input"]! > Self.tolerance)
        // 3. A transposed weight gradient.
        var rng2 = SplitMix64(seed: 26)
        let linear = Linear(inputWidth: 4, outputWidth: 4, rng: &rng2)
        let transposed = checker.check(
            input: TestSupport.randomTensor([3, 4], seed: 27), parameters: linear.parameters,
            forward: linear.forward, backward: linear.backward,
            corruptAnalytic: { g in
                let w = g["weight"]!
                g["weight"] = (0..<16).map { w[($0 % 4) * 4 + $0 / 4] }
            })
        #expect(transposed.errors["weight"]! > Self.tolerance)
        // And the undamaged check has a large margin under the tolerance.
        let clean = checker.check(input: x, parameters: layer.parameters, forward: layer.forward, backward: layer.backward)
        #expect(clean.worst < Self.tolerance / 10, "clean LayerNorm check error \(clean.worst)")
    }
}
