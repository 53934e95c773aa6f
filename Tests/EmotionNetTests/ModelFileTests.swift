import EmoMusikCore
import Foundation
import Testing
@testable import EmotionNet

@Suite struct ModelFileTests {
    static let adjacency = TestSupport.normalisedAdjacency(nodes: 68)

    static func config(gcnWidths: [Int] = [8, 8]) -> EmotionNetConfig {
        EmotionNetConfig(gcnWidths: gcnWidths, dModel: 16, heads: 2, layers: 2, ffWidth: 24, windowLength: 8, dropout: 0, seed: 8)
    }

    static func temporaryFile(_ name: String) -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emotionnet-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name)
    }

    func message(of body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as EmoMusikError {
            return error.message
        } catch {
            return "unexpected error \(error)"
        }
    }

    @Test func roundTripGivesIdenticalOutputs() throws {
        let model = EmotionNetModel(config: Self.config(), adjacency: Self.adjacency)
        for (i, (_, p)) in model.namedParameters.enumerated() where p.value.rank == 1 {
            p.value = TestSupport.randomTensor(p.shape, seed: 500 + UInt64(i), scale: 0.2)
        }
        let url = Self.temporaryFile("model.safetensors")
        try model.save(to: url, trainingDataHash: "0123456789abcdef", extraMetadata: ["note": "test \"quoted\" \\ ünïcode"])
        let loaded = try EmotionNetModel.load(contentsOf: url)
        #expect(loaded.config == model.config && loaded.adjacency == model.adjacency)
        #expect(loaded.namedParameters.map(\.parameter.value) == model.namedParameters.map(\.parameter.value))
        let x = TestSupport.randomTensor([6, 68, 6], seed: 3).storage
        #expect(loaded.forward(sequence: x) == model.forward(sequence: x))
        let info = try EmotionNetModel.readMetadata(contentsOf: url)
        #expect(info.classNames == Emotion.allCases.map(\.rawValue))
        #expect(info.landmarkLayout == "ibug-68" && info.normalisation == "centre+interocular+roll")
        #expect(info.featureLayout == EmotionNetModel.featureLayout && info.trainingDataHash == "0123456789abcdef" && info.version == "1")
        #expect(info.raw["note"] == "test \"quoted\" \\ ünïcode")
        // Header is padded to 8 bytes and the data section holds exactly the tensors.
        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(headerLength % 8 == 0)
        #expect(bytes.count - 8 - headerLength == 4 * (model.parameterCount + 68 * 68))
    }

    @Test func truncatedFilesAreReportedWithTheTensor() throws {
        let model = EmotionNetModel(config: Self.config(), adjacency: Self.adjacency)
        let url = Self.temporaryFile("cut.safetensors")
        try model.save(to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let dataSize = bytes.count - 8 - headerLength
        try Data(bytes.dropLast(10)).write(to: url)
        // The last tensor in the file (name order) is transformer.1.norm2.weight, 16 floats.
        #expect(message { _ = try EmotionNetModel.load(contentsOf: url) } ==
            "Model file '\(url.path)' is truncated: tensor 'transformer.1.norm2.weight' needs bytes \(dataSize - 64)..<\(dataSize) of the data section but only \(dataSize - 10) are present")
        try Data(bytes.prefix(20)).write(to: url)
        #expect(message { _ = try EmotionNetModel.load(contentsOf: url) } ==
            "Model file '\(url.path)' is truncated: the header claims \(headerLength) bytes but only 12 follow the 8-byte length")
        try Data(bytes.prefix(5)).write(to: url)
        #expect(message { _ = try EmotionNetModel.load(contentsOf: url) } ==
            "Model file '\(url.path)' is truncated: it has 5 bytes, fewer than the 8-byte header length")
        do {
            _ = try EmotionNetModel.load(contentsOf: url)
        } catch let error as EmoMusikError {
            #expect(error.code == .malformedFile && error.hint != nil)
        }
    }

    @Test func shapeMismatchMissingAndUnusedTensors() throws {
        let small = EmotionNetModel(config: Self.config(), adjacency: Self.adjacency)
        let url = Self.temporaryFile("small.safetensors")
        try small.save(to: url)
        let wider = EmotionNetModel(config: Self.config(gcnWidths: [8, 12]), adjacency: Self.adjacency)
        #expect(message { try wider.loadWeights(contentsOf: url) } ==
            "Model file '\(url.path)' does not fit this network: tensor 'gcn.1.weight' has shape [8, 8] in the file but the network expects [12, 8]; tensor 'gcn.1.bias' has shape [8] in the file but the network expects [12]; tensor 'input_proj.weight' has shape [16, 544] in the file but the network expects [16, 816]")

        var file = try SafeTensorsFile.read(contentsOf: url)
        file.tensors["transformer.0.attn.q.weight"] = nil
        file.tensors["norm.bias"] = nil
        file.tensors["extra.scale"] = Tensor(repeating: 1, shape: [2])
        try file.write(to: url)
        #expect(message { _ = try EmotionNetModel.load(contentsOf: url) } ==
            "Model file '\(url.path)' does not fit this network: missing tensors: transformer.0.attn.q.weight, norm.bias; unused tensors: extra.scale")
        // Nothing was half-loaded into the target.
        let before = wider.namedParameters.map(\.parameter.value)
        _ = message { try wider.loadWeights(contentsOf: url) }
        #expect(wider.namedParameters.map(\.parameter.value) == before)
    }

    @Test func refusesOtherLandmarkOrFeatureLayouts() throws {
        let model = EmotionNetModel(config: Self.config(), adjacency: Self.adjacency)
        let url = Self.temporaryFile("mediapipe.safetensors")
        try model.save(to: url, landmarkLayout: "mediapipe-468")
        #expect(message { _ = try EmotionNetModel.load(contentsOf: url) } ==
            "Model file '\(url.path)' was trained on landmark layout 'mediapipe-468', but the input uses 'ibug-68'")
        #expect(try EmotionNetModel.load(contentsOf: url, expectedLandmarkLayout: "mediapipe-468").config == model.config)
        try model.save(to: url, featureLayout: "position.x,position.y")
        #expect(message { _ = try EmotionNetModel.load(contentsOf: url) } ==
            "Model file '\(url.path)' expects node features 'position.x,position.y', but the input provides '\(EmotionNetModel.featureLayout)'")
        var file = try SafeTensorsFile.read(contentsOf: url)
        file.metadata["architecture"] = "resnet"
        try file.write(to: url)
        #expect(message { _ = try EmotionNetModel.load(contentsOf: url) } == "Model file '\(url.path)' holds architecture 'resnet', not 'emomusik-net'")
        let missing = url.deletingLastPathComponent().appendingPathComponent("none.safetensors")
        #expect(message { _ = try EmotionNetModel.load(contentsOf: missing) } == "Cannot read model file '\(missing.path)'")
    }

    /// `python3` as found on PATH (through /usr/bin/env).
    static func pythonProcess(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        return process
    }

    static func pythonHas(_ module: String) -> Bool {
        let process = pythonProcess(["-c", "import \(module)"])
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Python reads the file: with `safetensors.numpy.load_file` when installed, else with numpy from
    /// the format's definition (header length, JSON, little-endian float32).
    @Test(.enabled(if: pythonHas("numpy"), "needs python3 with numpy (pip install numpy safetensors)"))
    func pythonReadsTheFile() throws {
        let model = EmotionNetModel(config: Self.config(), adjacency: Self.adjacency)
        let url = Self.temporaryFile("python.safetensors")
        try model.save(to: url, trainingDataHash: "feed")
        let script = """
            import json, struct, sys
            import numpy as np
            path = sys.argv[1]
            try:
                from safetensors.numpy import load_file
                from safetensors import safe_open
                tensors = load_file(path)
                with safe_open(path, framework="np") as f:
                    meta = f.metadata()
                reader = "safetensors"
            except ImportError:
                raw = open(path, "rb").read()
                n = struct.unpack("<Q", raw[:8])[0]
                header = json.loads(raw[8:8 + n])
                meta = header.pop("__metadata__")
                data = raw[8 + n:]
                tensors = {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype="<f4").reshape(v["shape"]) for k, v in header.items()}
                reader = "numpy"
            out = {"reader": reader, "meta": meta,
                   "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype), "sum": float(np.asarray(v, dtype=np.float64).sum()), "first": float(v.reshape(-1)[0])} for k, v in tensors.items()}}
            print(json.dumps(out))
            """
        let process = Self.pythonProcess(["-c", script, url.path])
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        let meta = try #require(json["meta"] as? [String: String])
        #expect(meta["landmark_layout"] == "ibug-68" && meta["training_data_hash"] == "feed" && meta["architecture"] == "emomusik-net")
        let tensors = try #require(json["tensors"] as? [String: [String: Any]])
        var expected = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value) })
        expected[EmotionNetModel.adjacencyTensorName] = Tensor(shape: [68, 68], storage: model.adjacency)
        #expect(Set(tensors.keys) == Set(expected.keys))
        for (name, tensor) in expected {
            let entry = try #require(tensors[name])
            #expect((entry["shape"] as? [Int]) == tensor.shape, "\(name)")
            #expect((entry["dtype"] as? String) == "float32")
            let sum = tensor.storage.reduce(0.0) { $0 + Double($1) }
            #expect(abs((entry["sum"] as! Double) - sum) < 1e-9 * max(1, abs(sum)) + 1e-12, "\(name)")
            #expect(Float(entry["first"] as! Double) == tensor.storage[0], "\(name)")
        }
        print("python read the model file with \(json["reader"] as? String ?? "?")")
    }
}
