import EmoMusikCore
import Foundation

/// What a model file says about itself (its `__metadata__`).
public struct ModelFileMetadata: Sendable, Equatable {
    public var config: EmotionNetConfig
    /// Class names in output order.
    public var classNames: [String]
    public var landmarkLayout: String
    public var normalisation: String
    public var featureLayout: String
    /// ``TrainingSample/fingerprint(_:)`` of the training data ("" when unknown).
    public var trainingDataHash: String
    public var version: String
    /// Every metadata entry, including ones EmoMusik does not interpret.
    public var raw: [String: String]
}

extension EmotionNetModel {
    /// The `architecture` metadata value.
    public static let architectureName = "emomusik-net"
    /// Model-file format version written by this code.
    public static let fileFormatVersion = "1"
    /// Landmark layout the network's nodes follow (iBUG 300-W / dlib 68 points, 0-based).
    public static let landmarkLayout = "ibug-68"
    /// Landmark normalisation applied before features.
    public static let normalisation = "centre+interocular+roll"
    /// Per-node feature channels, in order.
    public static let featureLayout = "position.x,position.y,velocity.x,velocity.y,displacement.x,displacement.y"

    /// Writes the weights, the adjacency and the metadata as a safetensors file.
    public func save(
        to url: URL, trainingDataHash: String = "", classNames: [String]? = nil,
        landmarkLayout: String = EmotionNetModel.landmarkLayout, normalisation: String = EmotionNetModel.normalisation,
        featureLayout: String = EmotionNetModel.featureLayout, extraMetadata: [String: String] = [:]
    ) throws {
        let names = classNames ?? (config.classes == Emotion.allCases.count ? Emotion.allCases.map(\.rawValue) : (0..<config.classes).map { "class\($0)" })
        precondition(names.count == config.classes, "save: \(names.count) class names for \(config.classes) classes")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configJSON = String(decoding: try encoder.encode(config), as: UTF8.self)
        let classesJSON = String(decoding: try encoder.encode(names), as: UTF8.self)
        var metadata = extraMetadata
        metadata["architecture"] = Self.architectureName
        metadata["config"] = configJSON
        metadata["classes"] = classesJSON
        metadata["landmark_layout"] = landmarkLayout
        metadata["normalisation"] = normalisation
        metadata["feature_layout"] = featureLayout
        metadata["training_data_hash"] = trainingDataHash
        metadata["version"] = Self.fileFormatVersion
        var tensors = Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.parameter.value) })
        tensors[Self.adjacencyTensorName] = Tensor(shape: [config.nodes, config.nodes], storage: adjacency)
        try SafeTensorsFile(metadata: metadata, tensors: tensors).write(to: url)
    }

    /// Reads only the metadata of a model file (checks the header; does not check tensors against a network).
    public static func readMetadata(contentsOf url: URL) throws -> ModelFileMetadata {
        try metadata(of: SafeTensorsFile.read(contentsOf: url), name: url.path)
    }

    /// Builds the network a model file describes and loads its weights.
    ///
    /// Refuses a file for another architecture, landmark layout or feature layout than the caller
    /// provides, and reports missing tensors, unused tensors and shape mismatches by name.
    public static func load(
        contentsOf url: URL, expectedLandmarkLayout: String = EmotionNetModel.landmarkLayout,
        expectedFeatureLayout: String = EmotionNetModel.featureLayout
    ) throws -> EmotionNetModel {
        let file = try SafeTensorsFile.read(contentsOf: url)
        let name = url.path
        let info = try metadata(of: file, name: name)
        guard info.landmarkLayout == expectedLandmarkLayout else {
            throw EmoMusikError(
                .incompatibleModel,
                "Model file '\(name)' was trained on landmark layout '\(info.landmarkLayout)', but the input uses '\(expectedLandmarkLayout)'",
                hint: "Use a model trained on '\(expectedLandmarkLayout)' landmarks, or convert the landmarks to '\(info.landmarkLayout)'.")
        }
        guard info.featureLayout == expectedFeatureLayout else {
            throw EmoMusikError(
                .incompatibleModel,
                "Model file '\(name)' expects node features '\(info.featureLayout)', but the input provides '\(expectedFeatureLayout)'",
                hint: "Use a model trained with this version's features, or retrain it.")
        }
        let nodes = info.config.nodes
        guard let adjacency = file.tensors[adjacencyTensorName] else {
            throw EmoMusikError(.incompatibleModel, "Model file '\(name)' does not fit this network: missing tensors: \(adjacencyTensorName)",
                                hint: "The file was not written by EmotionNetModel.save; re-export it.")
        }
        guard adjacency.shape == [nodes, nodes] else {
            throw EmoMusikError(
                .incompatibleModel,
                "Model file '\(name)' does not fit this network: tensor '\(adjacencyTensorName)' has shape \(adjacency.shape) in the file but the network expects \([nodes, nodes])",
                hint: "The file's config and tensors disagree; re-export it.")
        }
        guard adjacency.storage.allSatisfy(\.isFinite) else {
            throw EmoMusikError(.malformedFile, "Model file '\(name)': tensor '\(adjacencyTensorName)' contains NaN or infinity")
        }
        let model = EmotionNetModel(config: info.config, adjacency: adjacency.storage)
        try model.assignWeights(from: file, name: name)
        return model
    }

    /// Loads the weights of a model file into this network, whose architecture must match: reports
    /// missing tensors, unused tensors and shape mismatches, all at once.
    public func loadWeights(contentsOf url: URL) throws {
        try assignWeights(from: SafeTensorsFile.read(contentsOf: url), name: url.path)
    }

    func assignWeights(from file: SafeTensorsFile, name: String) throws {
        let parameters = namedParameters
        let expected = Set(parameters.map(\.name))
        var problems: [String] = []
        for (tensorName, parameter) in parameters {
            guard let tensor = file.tensors[tensorName] else { continue }
            if tensor.shape != parameter.shape {
                problems.append("tensor '\(tensorName)' has shape \(tensor.shape) in the file but the network expects \(parameter.shape)")
            } else if !tensor.storage.allSatisfy(\.isFinite) {
                problems.append("tensor '\(tensorName)' contains NaN or infinity")
            }
        }
        let missing = parameters.map(\.name).filter { file.tensors[$0] == nil }
        if !missing.isEmpty { problems.append("missing tensors: \(missing.joined(separator: ", "))") }
        let unused = file.tensors.keys.filter { !expected.contains($0) && $0 != Self.adjacencyTensorName }.sorted()
        if !unused.isEmpty { problems.append("unused tensors: \(unused.joined(separator: ", "))") }
        guard problems.isEmpty else {
            throw EmoMusikError(
                .incompatibleModel, "Model file '\(name)' does not fit this network: \(problems.joined(separator: "; "))",
                hint: "The file was saved from a different architecture; load it with EmotionNetModel.load(contentsOf:) or retrain.")
        }
        for (tensorName, parameter) in parameters { parameter.value = file.tensors[tensorName]! }
    }

    static func metadata(of file: SafeTensorsFile, name: String) throws -> ModelFileMetadata {
        let raw = file.metadata
        func required(_ key: String) throws -> String {
            guard let value = raw[key] else {
                throw EmoMusikError(.malformedFile, "Model file '\(name)' has no '\(key)' in its metadata",
                                    hint: "The file was not written by EmoMusik; re-export it with EmotionNetModel.save.")
            }
            return value
        }
        let architecture = try required("architecture")
        guard architecture == architectureName else {
            throw EmoMusikError(.incompatibleModel, "Model file '\(name)' holds architecture '\(architecture)', not '\(architectureName)'")
        }
        let config: EmotionNetConfig
        do {
            config = try JSONDecoder().decode(EmotionNetConfig.self, from: Data(try required("config").utf8))
        } catch let error as EmoMusikError {
            throw error
        } catch {
            throw EmoMusikError(.malformedFile, "Model file '\(name)': the metadata's config is not a valid EmotionNetConfig (\(error))")
        }
        guard config.problems.isEmpty else {
            throw EmoMusikError(.malformedFile, "Model file '\(name)': invalid config: \(config.problems.joined(separator: "; "))")
        }
        let classNames: [String]
        do {
            classNames = try JSONDecoder().decode([String].self, from: Data(try required("classes").utf8))
        } catch let error as EmoMusikError {
            throw error
        } catch {
            throw EmoMusikError(.malformedFile, "Model file '\(name)': the metadata's classes are not a JSON list of names")
        }
        guard classNames.count == config.classes else {
            throw EmoMusikError(.malformedFile, "Model file '\(name)' names \(classNames.count) classes but its config has \(config.classes)")
        }
        return ModelFileMetadata(
            config: config, classNames: classNames, landmarkLayout: try required("landmark_layout"),
            normalisation: try required("normalisation"), featureLayout: try required("feature_layout"),
            trainingDataHash: raw["training_data_hash"] ?? "", version: try required("version"), raw: raw)
    }
}
