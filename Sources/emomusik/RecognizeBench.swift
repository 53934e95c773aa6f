import ArgumentParser
import EmotionNet
import FaceLandmarks
import Foundation
import Recognition

struct RecognizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recognize",
        abstract: "Recognizer speed: streaming, batch, training, and GFLOP/s beside cblas_sgemm's.",
        discussion: """
            Uses the default network architecture (weights do not change the cost) on
            synthetic child landmark sequences. Prints: the time to take one new frame
            into a 32-frame window (median and 99th percentile, one thread; target ≤ 1
            ms), full-window forward throughput, training samples per second (forward +
            backward + AdamW), and the GFLOP/s those achieve next to cblas_sgemm's at
            64×64 and 1024×1024 measured in the same run. Build with `swift build -c
            release` first.

            Example:
              .build/release/emomusik bench recognize
            """
    )

    @Option(help: "OpenBLAS threads for the batch and training figures (streaming always uses 1).") var threads = 2
    @Option(help: "Seconds to spend on each throughput figure.") var seconds = 3.0

    func run() throws {
        let clock = ContinuousClock()
        func elapsed(_ body: () -> Void) -> Double {
            let d = clock.measure(body)
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let config = RecognitionTraining.defaultNetwork  // the shipped architecture, channel mask included
        let model = EmotionNetModel(config: config, adjacency: FaceGraph.standard.normalisedAdjacency)
        let data = SyntheticExpressions(domain: .child, frames: 64).generate(count: 56, seed: 3)
        let samples = data.sequences.map(RecognitionSamples.sample)
        print("model: \(model.parameterCount) parameters, window \(config.windowLength) frames, d_model \(config.dModel), \(config.layers) Transformer layers")

        // Streaming: one frame at a time through the features and the cached window.
        BLAS.setThreads(1)
        let streaming = StreamingRecognizer(model: model)
        var features = StreamingFeatures()
        var times: [Double] = []
        for sequence in data.sequences {
            for frame in sequence.frames {
                times.append(elapsed {
                    if let values = features.features(for: frame) { _ = streaming.push(frame: values) } else { _ = streaming.pushMissingFrame() }
                })
            }
        }
        times.sort()
        let perFrameFLOPs = Double(model.streamingFLOPsPerFrame())
        let median = times[times.count / 2], p99 = times[min(times.count - 1, times.count * 99 / 100)]
        print(String(format: "streaming, 1 thread: one new frame into the 32-frame window: median %.3f ms, p99 %.3f ms over %d frames (%.1f GFLOP/s)",
                     median * 1000, p99 * 1000, times.count, perFrameFLOPs / median / 1e9))

        BLAS.setThreads(threads)
        var windows = 0
        let batchTime = elapsed {
            let start = clock.now
            while clock.now - start < .seconds(seconds) {
                let sample = samples[windows % samples.count]
                _ = model.forward(sequence: sample.features, validFrames: sample.validFrames)
                windows += 1
            }
        }
        let forwardFLOPs = Double(model.flops(frames: config.windowLength).forward)
        print(String(format: "full-window forward, %d threads: %.0f windows/s (%.1f GFLOP/s)",
                     threads, Double(windows) / batchTime, Double(windows) * forwardFLOPs / batchTime / 1e9))

        let trainer = Trainer(model: model, config: TrainerConfig(epochs: 1, batchSize: 16))
        var trained = 0
        let trainTime = elapsed {
            let start = clock.now
            var offset = 0
            while clock.now - start < .seconds(seconds) {
                let batch = (0..<16).map { samples[(offset + $0) % samples.count] }
                trainer.trainStep(batch: batch, classWeights: nil, learningRate: 1e-4)
                offset += 16
                trained += 16
            }
        }
        let trainingFLOPs = Double(model.flops(frames: config.windowLength).training)
        print(String(format: "training, %d threads: %.0f samples/s (%.1f GFLOP/s)",
                     threads, Double(trained) / trainTime, Double(trained) * trainingFLOPs / trainTime / 1e9))
        for size in [64, 1024] {
            print(String(format: "cblas_sgemm %d×%d, %d threads: %.1f GFLOP/s", size, size, threads, Throughput.sgemmGFLOPS(size: size, minimumSeconds: 0.5)))
        }
        print("FLOPs count matrix products only (weights, graph adjacency, attention); elementwise work is not counted.")
    }
}
