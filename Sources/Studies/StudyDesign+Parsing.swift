import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Yams

extension StudyDesign {
    /// Reads and validates a study file. Throws ``StudyValidationError`` with every problem found,
    /// each with file, line, column and field (problems inside a named preset carry the preset's
    /// own file and line).
    ///
    /// - Parameters:
    ///   - strategies: the strategy plugins available; strategy ids and presets' strategies are
    ///     checked against them.
    ///   - presetDirectory: where a preset given by name (`calm-down`) is looked up as
    ///     `<presetDirectory>/<name>.yaml`; a preset given as a path (containing `/` or ending in
    ///     `.yaml`) is relative to the study file's folder.
    public static func load(path: String, strategies: [PluginDescriptor], presetDirectory: String = "presets") throws -> StudyDesign {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw StudyValidationError(issues: [PresetIssue(
                location: SourceLocation(file: path), message: exists ? "cannot read the file; check its permissions" : "no such file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StudyValidationError(issues: [PresetIssue(
                location: SourceLocation(file: path), message: "the file is not UTF-8 text; save it as UTF-8")])
        }
        return try parse(yaml: text, file: path, strategies: strategies, presetDirectory: presetDirectory)
    }

    /// Parses and validates study YAML; `file` is used in messages and to resolve relative paths.
    public static func parse(
        yaml: String, file: String, strategies: [PluginDescriptor], presetDirectory: String = "presets"
    ) throws -> StudyDesign {
        var parser = StudyParser(file: file, strategies: strategies, presetDirectory: presetDirectory)
        let design = parser.parseDocument(yaml)
        guard parser.issues.isEmpty, let design else { throw StudyValidationError(issues: parser.sortedIssues) }
        return design
    }
}

/// Walks the YAML node tree of a study file, collecting every issue (the same conventions as
/// preset files: unknown keys with the closest known key, values with their range).
struct StudyParser {
    let file: String
    let strategies: [PluginDescriptor]
    let presetDirectory: String
    var issues: [PresetIssue] = []

    var sortedIssues: [PresetIssue] {
        // The study file's own issues by position; a preset's issues (another file) after them.
        issues.enumerated().sorted { a, b in
            let ka = (a.element.location.file == file ? 0 : 1, a.element.location.line ?? 0, a.element.location.column ?? 0, a.offset)
            let kb = (b.element.location.file == file ? 0 : 1, b.element.location.line ?? 0, b.element.location.column ?? 0, b.offset)
            return ka < kb
        }.map(\.element)
    }

    mutating func report(_ message: String, at node: Node?, field: String?) {
        issues.append(PresetIssue(
            location: SourceLocation(file: file, line: node?.mark?.line, column: node?.mark?.column, field: field),
            message: message))
    }

    mutating func parseDocument(_ yaml: String) -> StudyDesign? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            reportSyntax(error)
            return nil
        } catch {
            issues.append(PresetIssue(location: SourceLocation(file: file, line: 1, column: 1), message: "cannot read the YAML (\(error))"))
            return nil
        }
        guard let root, !root.isYAMLNull else {
            issues.append(PresetIssue(
                location: SourceLocation(file: file, line: 1, column: 1),
                message: "the file is empty; a study needs name, clip-length, conditions and raters (see examples/study.yaml)"))
            return nil
        }
        guard let top = fields(root, path: nil, allowed: StudyDesign.Keys.top) else { return nil }

        var name = ""
        if let node = required(top, "name", in: root, example: "name: Emotion matching pilot"),
            let value = text(node, path: "name")
        {
            if value.trimmingCharacters(in: .whitespaces).isEmpty {
                report("the name is empty; give the study a name", at: node, field: "name")
            }
            name = value
        }
        let description = top["description"].flatMap { text($0, path: "description") } ?? ""
        var clipSeconds = 0.0
        if let node = required(top, "clip-length", in: root, example: "clip-length: 20s"),
            let value = duration(node, path: "clip-length", range: StudyDesign.Limits.clipSeconds)
        {
            clipSeconds = value
        }
        var raters = 0
        if let node = required(top, "raters", in: root, example: "raters: 6"),
            let value = integer(node, path: "raters", range: StudyDesign.Limits.raters)
        {
            raters = value
        }
        var scale = 1...7
        if let node = top["scale"] { scale = parseScale(node) ?? scale }
        var soundfont: String?
        if let node = top["soundfont"], let value = text(node, path: "soundfont") {
            soundfont = resolve(value)
            if !FileManager.default.fileExists(atPath: soundfont!) {
                report("soundfont \"\(value)\" not found (a relative path starts at the study file's folder)", at: node, field: "soundfont")
            }
        }
        var sampleRate = 44100
        if let node = top["sample-rate"], let value = integer(node, path: "sample-rate", range: 1...1_000_000) {
            if [44100, 48000].contains(value) {
                sampleRate = value
            } else {
                report("sample-rate \(value) is not supported; use 44100 or 48000", at: node, field: "sample-rate")
            }
        }
        var loudnessTarget = -23.0
        if let node = top["loudness-target"],
            let value = number(node, path: "loudness-target", range: StudyDesign.Limits.loudnessTarget, unit: "LUFS")
        {
            loudnessTarget = value
        }
        var emotions: [Emotion] = []
        var arms: [StudyArm] = []
        var seeds: [UInt64] = []
        if let node = required(top, "conditions", in: root, example: "conditions: {emotions: all, strategies: [mirror], seeds: [1, 2]}") {
            parseConditions(node, emotions: &emotions, arms: &arms, seeds: &seeds)
            let count = emotions.count * arms.count * seeds.count
            if count > StudyDesign.Limits.clips.upperBound {
                report(
                    "the conditions make \(count) clips, more than \(StudyDesign.Limits.clips.upperBound); use fewer seeds or arms",
                    at: node, field: "conditions")
            }
        }
        return StudyDesign(
            file: file, name: name, description: description, clipSeconds: clipSeconds, emotions: emotions, arms: arms,
            seeds: seeds, raters: raters, scale: scale, soundfont: soundfont, sampleRate: sampleRate,
            loudnessTarget: loudnessTarget)
    }

    mutating func required(_ map: Fields, _ key: String, in root: Node, example: String) -> Node? {
        if let node = map[key] { return node }
        report("the study has no \(key); add a line such as: \(example)", at: root, field: key)
        return nil
    }

    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(path).path
    }

    mutating func parseScale(_ node: Node) -> ClosedRange<Int>? {
        guard let map = fields(node, path: "scale", allowed: StudyDesign.Keys.scale) else { return nil }
        let low = map["min"].map { integer($0, path: "scale.min", range: StudyDesign.Limits.scaleBounds) } ?? 1
        let high = map["max"].map { integer($0, path: "scale.max", range: StudyDesign.Limits.scaleBounds) } ?? 7
        guard let low, let high else { return nil }
        guard high - low >= 1 else {
            report("scale max \(high) must be above scale min \(low) (a Likert scale such as 1 to 7)", at: map["max"] ?? map["min"] ?? node, field: "scale.max")
            return nil
        }
        return low...high
    }

    mutating func parseConditions(_ node: Node, emotions: inout [Emotion], arms: inout [StudyArm], seeds: inout [UInt64]) {
        guard let map = fields(node, path: "conditions", allowed: StudyDesign.Keys.conditions) else { return }
        if let list = map["emotions"] {
            if let word = list.scalar?.string, !list.isYAMLNull, word.lowercased() == "all" {
                emotions = Emotion.allCases
            } else {
                for (item, value) in items(list, path: "conditions.emotions", what: "a list of emotions, or all") {
                    guard let name = scalar(item, path: "conditions.emotions", what: "an emotion name") else { continue }
                    guard let emotion = Emotion(name: name) else {
                        let known = Emotion.allCases.map(\.rawValue)
                        report(
                            "unknown emotion \"\(name)\"\(didYouMean(name, known + emotionAdjectives)) (emotions: \(known.joined(separator: ", ")))",
                            at: item, field: "conditions.emotions[\(value)]")
                        continue
                    }
                    if emotions.contains(emotion) {
                        report("emotion \(emotion) is listed twice; list each once", at: item, field: "conditions.emotions[\(value)]")
                    } else {
                        emotions.append(emotion)
                    }
                }
            }
        } else {
            report("conditions has no emotions; add e.g. emotions: [happiness, sadness] (or emotions: all)", at: node, field: "conditions.emotions")
        }
        let strategyIDs = strategies.filter { $0.kind == .strategy }.map(\.id)
        if let list = map["strategies"] {
            for (item, index) in items(list, path: "conditions.strategies", what: "a list of strategy ids") {
                let field = "conditions.strategies[\(index)]"
                guard let id = scalar(item, path: field, what: "a strategy id") else { continue }
                guard strategyIDs.contains(id) else {
                    report(
                        "unknown strategy \"\(id)\"\(didYouMean(id, strategyIDs)) (strategies: \(strategyIDs.joined(separator: ", ")))",
                        at: item, field: field)
                    continue
                }
                if arms.contains(.strategy(id: id)) {
                    report("strategy \(id) is listed twice; list each once", at: item, field: field)
                } else {
                    arms.append(.strategy(id: id))
                }
            }
        }
        if let list = map["presets"] {
            for (item, index) in items(list, path: "conditions.presets", what: "a list of preset names or files") {
                let field = "conditions.presets[\(index)]"
                guard let name = scalar(item, path: field, what: "a preset name or file") else { continue }
                if let arm = loadPreset(name, node: item, field: field) {
                    if arms.contains(where: { $0.presetName == name }) {
                        report("preset \(name) is listed twice; list each once", at: item, field: field)
                    } else {
                        arms.append(arm)
                    }
                }
            }
        }
        if map["strategies"] == nil && map["presets"] == nil {
            report(
                "conditions has neither strategies nor presets; add e.g. strategies: [mirror] or presets: [calm-down]",
                at: node, field: "conditions.strategies")
        }
        if let list = map["seeds"] {
            for (item, index) in items(list, path: "conditions.seeds", what: "a list of seeds (whole numbers)") {
                let field = "conditions.seeds[\(index)]"
                guard let seed = integer(item, path: field, range: 0...Int.max) else { continue }
                if seeds.contains(UInt64(seed)) {
                    report("seed \(seed) is listed twice; list each once", at: item, field: field)
                } else {
                    seeds.append(UInt64(seed))
                }
            }
        } else {
            report("conditions has no seeds; add e.g. seeds: [1, 2]", at: node, field: "conditions.seeds")
        }
    }

    /// A preset by name (`presets/<name>.yaml`) or by path, validated; its own issues are kept
    /// with its own file and line.
    mutating func loadPreset(_ name: String, node: Node, field: String) -> StudyArm? {
        let isPath = name.contains("/") || name.hasSuffix(".yaml") || name.hasSuffix(".yml")
        let path = isPath ? resolve(name) : (presetDirectory as NSString).appendingPathComponent(name + ".yaml")
        guard FileManager.default.fileExists(atPath: path) else {
            var hint = ""
            if !isPath, let names = try? FileManager.default.contentsOfDirectory(atPath: presetDirectory) {
                let known = names.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
                hint = didYouMean(name, known) + (known.isEmpty ? "" : " (presets: \(known.joined(separator: ", ")))")
            }
            report(
                "preset \"\(name)\" not found (looked for \(path); a name is looked up in \(presetDirectory)/, a path starts at the study file's folder)\(hint)",
                at: node, field: field)
            return nil
        }
        do {
            let preset = try Preset.load(path: path, strategies: strategies)
            return .preset(name: name, path: path, preset: preset)
        } catch let error as PresetValidationError {
            report("preset \"\(name)\" is not valid (\(error.issues.count) problem(s) in \(path), listed below)", at: node, field: field)
            issues.append(contentsOf: error.issues)
        } catch {
            report("preset \"\(name)\" cannot be read: \(error)", at: node, field: field)
        }
        return nil
    }

    // MARK: Typed values

    /// The entries of a mapping in document order; unknown keys are reported with the closest known key.
    mutating func fields(_ node: Node, path: String?, allowed: [String]) -> Fields? {
        guard let mapping = node.mapping else {
            if let path {
                report("\(path) must be a mapping (key: value lines), not \(node.messageDescription)", at: node, field: path)
            } else {
                report("the top level of a study must be a mapping of fields (name:, clip-length:, conditions:, ...), not \(node.messageDescription)", at: node, field: nil)
            }
            return nil
        }
        var result = Fields()
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                report("keys must be plain words, not \(key.messageDescription)", at: key, field: path)
                continue
            }
            let keyPath = path.map { "\($0).\(name)" } ?? name
            guard allowed.contains(name) else {
                let within = path.map { " in \($0)" } ?? ""
                let hint = didYouMean(name, allowed)
                report(
                    "unknown key \"\(name)\"\(within)\(hint)\(hint.isEmpty ? " (known keys: \(allowed.joined(separator: ", ")))" : "")",
                    at: key, field: keyPath)
                continue
            }
            result.entries.append((name, value))
        }
        return result
    }

    /// A list's items with their 0-based positions; a single scalar counts as a one-item list.
    mutating func items(_ node: Node, path: String, what: String) -> [(Node, Int)] {
        if let sequence = node.sequence {
            if sequence.isEmpty { report("\(path) is empty; it must be \(what)", at: node, field: path) }
            return sequence.enumerated().map { ($1, $0) }
        }
        if node.scalar != nil, !node.isYAMLNull { return [(node, 0)] }
        report("\(path) must be \(what), not \(node.messageDescription)", at: node, field: path)
        return []
    }

    mutating func scalar(_ node: Node, path: String, what: String) -> String? {
        guard let scalar = node.scalar, !node.isYAMLNull else {
            report("\(label(path)) must be \(what), not \(node.messageDescription)", at: node, field: path)
            return nil
        }
        return scalar.string
    }

    mutating func text(_ node: Node, path: String) -> String? {
        scalar(node, path: path, what: "text")
    }

    mutating func number(_ node: Node, path: String, range: ClosedRange<Double>, unit: String) -> Double? {
        guard node.scalar != nil, !node.isYAMLNull, node.isPlainNumber, let x = node.float, x.isFinite else {
            report("\(label(path)) must be a number, not \(node.messageDescription)", at: node, field: path)
            return nil
        }
        guard range.contains(x) else {
            report("\(label(path)) \(format(x)) is out of range \(format(range.lowerBound))...\(format(range.upperBound)) \(unit)", at: node, field: path)
            return nil
        }
        return x
    }

    mutating func integer(_ node: Node, path: String, range: ClosedRange<Int>) -> Int? {
        guard node.scalar != nil, !node.isYAMLNull, node.isPlainNumber else {
            report("\(label(path)) must be a whole number, not \(node.messageDescription)", at: node, field: path)
            return nil
        }
        guard let n = node.int else {
            report("\(label(path)) must be a whole number, not \(node.messageDescription)", at: node, field: path)
            return nil
        }
        guard range.contains(n) else {
            let upper = range.upperBound == Int.max ? "" : "\(range.upperBound)"
            report("\(label(path)) \(n) is out of range \(range.lowerBound)...\(upper)", at: node, field: path)
            return nil
        }
        return n
    }

    mutating func duration(_ node: Node, path: String, range: ClosedRange<Double>) -> Double? {
        guard let text = scalar(node, path: path, what: "a duration such as 20 or 20s") else { return nil }
        guard let seconds = parseDuration(text) else {
            report("duration \"\(text)\" is not understood; write seconds (20 or 20s) or minutes (1m)", at: node, field: path)
            return nil
        }
        guard range.contains(seconds) else {
            report("\(label(path)) \(text) is outside \(format(range.lowerBound))...\(format(range.upperBound)) seconds", at: node, field: path)
            return nil
        }
        return seconds
    }

    mutating func reportSyntax(_ error: YamlError) {
        func add(_ message: String, line: Int, column: Int) {
            issues.append(PresetIssue(location: SourceLocation(file: file, line: line, column: column), message: message))
        }
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            add("invalid YAML: \(problem)", line: mark.line, column: mark.column)
        case let .duplicatedKeysInMapping(duplicates, context):
            let names = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            add("the key \(names) is written more than once in the same mapping; keep one", line: context.mark.line, column: context.mark.column)
        default:
            add("invalid YAML: \(error)", line: 1, column: 1)
        }
    }

    // MARK: Helpers

    func label(_ path: String) -> String {
        let last = path.split(separator: ".").last.map(String.init) ?? path
        return path.hasPrefix("scale.") ? "scale " + last : last
    }




    func didYouMean(_ value: String, _ candidates: [String]) -> String {
        closestMatch(to: value, among: candidates).map { "; did you mean \"\($0)\"?" } ?? ""
    }

    func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}

/// The adjective forms ``Emotion/init(name:)`` accepts in study files, offered as suggestions too.
let emotionAdjectives = ["happy", "sad", "angry", "afraid", "surprised", "disgusted", "calm"]

/// A mapping's entries in document order, looked up by key.
struct Fields {
    var entries: [(name: String, value: Node)] = []
    subscript(name: String) -> Node? { entries.first { $0.name == name }?.value }
}
