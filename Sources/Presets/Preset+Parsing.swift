import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Yams

extension Preset {
    /// Reads and validates a preset file. Throws ``PresetValidationError`` with every problem found.
    ///
    /// - Parameter strategies: the strategy plugins available (from the plugin registry); the
    ///   preset's strategy id and options are checked against them. Pass nil to skip that check
    ///   (the id and options are still read and type-checked).
    public static func load(path: String, strategies: [PluginDescriptor]?) throws -> Preset {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw PresetValidationError(issues: [PresetIssue(
                location: SourceLocation(file: path),
                message: exists ? "cannot read the file; check its permissions" : "no such file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PresetValidationError(issues: [PresetIssue(
                location: SourceLocation(file: path), message: "the file is not UTF-8 text; save it as UTF-8")])
        }
        return try parse(yaml: text, file: path, strategies: strategies)
    }

    /// Parses and validates preset YAML; `file` is used in messages and to resolve a relative
    /// soundfont path. Throws ``PresetValidationError`` with every problem found.
    public static func parse(yaml: String, file: String, strategies: [PluginDescriptor]?) throws -> Preset {
        var parser = PresetParser(file: file, strategies: strategies)
        let preset = parser.parseDocument(yaml)
        guard parser.issues.isEmpty, let preset else {
            throw PresetValidationError(issues: parser.sortedIssues)
        }
        return preset
    }

    /// Every problem in preset YAML, in order of position; empty when it is valid.
    public static func issues(yaml: String, file: String, strategies: [PluginDescriptor]?) -> [PresetIssue] {
        do {
            _ = try parse(yaml: yaml, file: file, strategies: strategies)
            return []
        } catch let error as PresetValidationError {
            return error.issues
        } catch {
            preconditionFailure("parse throws only PresetValidationError, not \(error)")
        }
    }

    /// The YAML keys of each mapping, as documented in `presets/README.md`.
    public enum Keys {
        public static let top = [
            "name", "description", "soundfont", "ensemble", "key", "modes", "tempo", "target", "strategy", "lead",
            "session", "safety",
        ]
        public static let ensemble = ["melody", "pad", "bass", "percussion"]
        public static let voice = ["instrument", "register"]
        public static let tempo = ["min", "max"]
        public static let target = ["emotion", "valence", "arousal"]
        public static let strategy = ["id", "options"]
        public static let lead = ["rate"]
        public static let session = ["length", "fade"]
        public static let safety = [
            "max-velocity", "max-level-dbfs", "max-tempo-change-per-bar", "max-loudness-step", "sudden-dynamics",
            "percussion", "dissonance",
        ]
    }

    /// Allowed ranges, shared by the parser, the template and the documentation.
    public enum Limits {
        public static let tempo: ClosedRange<Double> = 40...200
        public static let velocity: ClosedRange<Int> = 1...127
        public static let levelDBFS: ClosedRange<Double> = -60...0
        public static let tempoChangePerBar: ClosedRange<Double> = 0.1...40
        public static let loudnessStep: ClosedRange<Double> = 1...127
        public static let leadRate: ClosedRange<Double> = 0...2
        public static let sessionLength: ClosedRange<Double> = 10...(4 * 3600)
        public static let registerOctaves: ClosedRange<Int> = -2...2
        public static let program: ClosedRange<Int> = 1...128
    }
}

/// Parses a duration: `45` or `45s` seconds, `20m`, `1h`, `1.5m`, `1m30s`. Nil when malformed.
public func parseDuration(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
    let compact = text.lowercased().filter { !$0.isWhitespace }
    guard !compact.isEmpty else { return nil }
    if let seconds = Double(compact) { return seconds.isFinite ? seconds : nil }
    var total = 0.0
    var number = ""
    var lastUnit = Double.infinity
    for c in compact {
        if c.isNumber || c == "." {
            number.append(c)
        } else if let unit = units[c], let value = Double(number), unit < lastUnit {
            total += value * unit
            number = ""
            lastUnit = unit
        } else {
            return nil
        }
    }
    return number.isEmpty ? total : nil
}

/// Walks the YAML node tree, collecting every issue.
struct PresetParser {
    let file: String
    let strategies: [PluginDescriptor]?
    var issues: [PresetIssue] = []

    init(file: String, strategies: [PluginDescriptor]?) {
        self.file = file
        self.strategies = strategies
    }

    var sortedIssues: [PresetIssue] {
        issues.enumerated().sorted { a, b in
            let ka = (a.element.location.line ?? 0, a.element.location.column ?? 0, a.offset)
            let kb = (b.element.location.line ?? 0, b.element.location.column ?? 0, b.offset)
            return ka < kb
        }.map(\.element)
    }

    // MARK: Reporting

    mutating func report(_ message: String, at node: Node?, field: String?) {
        report(message, line: node?.mark?.line, column: node?.mark?.column, field: field)
    }

    mutating func report(_ message: String, line: Int?, column: Int?, field: String?) {
        issues.append(PresetIssue(
            location: SourceLocation(file: file, line: line, column: column, field: field), message: message))
    }

    // MARK: Document

    mutating func parseDocument(_ yaml: String) -> Preset? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            reportSyntax(error)
            return nil
        } catch {
            report("cannot read the YAML (\(error))", line: 1, column: 1, field: nil)
            return nil
        }
        guard let root, !root.isYAMLNull else {
            report(
                "the file is empty; a preset needs at least a name (name: My preset); run 'emomusik preset new' for a template",
                line: 1, column: 1, field: nil)
            return nil
        }
        guard let top = fields(of: root, path: nil, what: "the preset", allowed: Preset.Keys.top) else { return nil }
        return parseTop(top, root: root)
    }

    mutating func reportSyntax(_ error: YamlError) {
        func context(_ c: YamlError.Context?) -> String {
            c.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
        }
        switch error {
        case let .scanner(c, problem, mark, _), let .parser(c, problem, mark, _), let .composer(c, problem, mark, _):
            report("invalid YAML: \(problem)\(context(c))", line: mark.line, column: mark.column, field: nil)
        case let .duplicatedKeysInMapping(duplicates, c):
            let names = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            report(
                "the key \(names) is written more than once in the same mapping; keep one",
                line: c.mark.line, column: c.mark.column, field: nil)
        case let .reader(problem, _, _, _):
            report("cannot read the text: \(problem)", line: 1, column: 1, field: nil)
        default:
            report("invalid YAML: \(error)", line: 1, column: 1, field: nil)
        }
    }

    // MARK: Top level

    mutating func parseTop(_ top: Fields, root: Node) -> Preset {
        var preset = Preset(name: "")
        if let node = top["name"] {
            if let name = text(node, path: "name"), !name.trimmingCharacters(in: .whitespaces).isEmpty {
                preset.name = name
            } else if node.isYAMLNull || node.scalar?.string.trimmingCharacters(in: .whitespaces).isEmpty == true {
                report("the name is empty; give the preset a name (name: Calm down)", at: node, field: "name")
            }
        } else {
            report("the preset has no name; add a line such as: name: Calm down", at: root, field: "name")
        }
        if let node = top["description"], let value = text(node, path: "description") { preset.description = value }
        if let node = top["soundfont"], let value = text(node, path: "soundfont") {
            preset.soundfont = value
            checkSoundfont(value, node: node)
        }
        var explicitPercussion: (Bool, Node)?
        if let node = top["ensemble"] { explicitPercussion = parseEnsemble(node, into: &preset.ensemble) }
        if let node = top["key"] { parseKey(node, into: &preset) }
        if let node = top["modes"] { parseModes(node, into: &preset) }
        if let node = top["tempo"] { parseTempo(node, into: &preset) }
        if let node = top["target"] { parseTarget(node, into: &preset) }
        if let node = top["strategy"] { parseStrategy(node, into: &preset) }
        if let node = top["lead"], let lead = fields(of: node, path: "lead", what: "lead", allowed: Preset.Keys.lead) {
            if let rate = lead["rate"], let value = number(rate, path: "lead.rate", range: Preset.Limits.leadRate, unit: "affect units per minute") {
                preset.leadRate = value
            }
        }
        if let node = top["session"] { parseSession(node, into: &preset) }
        if let node = top["safety"] { parseSafety(node, into: &preset) }
        if let (on, node) = explicitPercussion, on, !preset.safety.percussion {
            report(
                "percussion is on here but the safety envelope forbids it (safety.percussion: false); set percussion: false",
                at: node, field: "ensemble.percussion")
        }
        return preset
    }

    mutating func checkSoundfont(_ path: String, node: Node) {
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        let resolved = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
        if !FileManager.default.fileExists(atPath: resolved.path) {
            report(
                "soundfont \"\(path)\" not found (a relative path starts at the preset's folder); remove the line to use the default soundfont",
                at: node, field: "soundfont")
        }
    }

    // MARK: Ensemble

    /// Returns the explicit percussion switch and its node, to check against the safety envelope.
    mutating func parseEnsemble(_ node: Node, into ensemble: inout PresetEnsemble) -> (Bool, Node)? {
        guard let map = fields(of: node, path: "ensemble", what: "ensemble", allowed: Preset.Keys.ensemble) else { return nil }
        if let voice = map["melody"] { parseVoice(voice, path: "ensemble.melody", into: &ensemble.melody) }
        if let voice = map["pad"] { parseVoice(voice, path: "ensemble.pad", into: &ensemble.pad) }
        if let voice = map["bass"] { parseVoice(voice, path: "ensemble.bass", into: &ensemble.bass) }
        if let switchNode = map["percussion"], let on = boolean(switchNode, path: "ensemble.percussion") {
            ensemble.percussion = on
            return (on, switchNode)
        }
        return nil
    }

    mutating func parseVoice(_ node: Node, path: String, into voice: inout Voice) {
        if node.scalar != nil {
            if let program = instrument(node, path: path) { voice.program = program }
            return
        }
        guard let map = fields(
            of: node, path: path, what: path.split(separator: ".").last.map(String.init) ?? path, allowed: Preset.Keys.voice,
            alternative: "an instrument name or number")
        else { return }
        if let value = map["instrument"], let program = instrument(value, path: path + ".instrument") {
            voice.program = program
        }
        if let value = map["register"] { parseRegister(value, path: path + ".register", into: &voice) }
    }

    /// A GM instrument by name or 1-based number, as a 0-based program.
    mutating func instrument(_ node: Node, path: String) -> UInt8? {
        guard let scalar = scalarText(node, path: path, what: "an instrument name or a program number 1...128") else { return nil }
        if node.isPlainNumber {
            guard let number = node.int else {
                report("program \(scalar) must be a whole number 1...128", at: node, field: path)
                return nil
            }
            guard Preset.Limits.program.contains(number) else {
                report(
                    "program \(number) is out of range; General MIDI programs are numbered 1...128 (1 is Acoustic Grand Piano)",
                    at: node, field: path)
                return nil
            }
            return UInt8(number - 1)
        }
        if let program = GeneralMIDI.program(named: scalar) { return program }
        if let suggestion = GeneralMIDI.closestName(to: scalar) {
            report("unknown instrument \"\(scalar)\"; did you mean \"\(suggestion)\"?", at: node, field: path)
        } else {
            report(
                "unknown instrument \"\(scalar)\"; use a General MIDI name (run 'emomusik preset instruments' for the list) or a program number 1...128",
                at: node, field: path)
        }
        return nil
    }

    mutating func parseRegister(_ node: Node, path: String, into voice: inout Voice) {
        let words = ["low": -1, "middle": 0, "high": 1]
        guard let scalar = scalarText(node, path: path, what: "low, middle, high or a number of octaves") else { return }
        if node.isPlainNumber {
            guard let octaves = node.int, Preset.Limits.registerOctaves.contains(octaves) else {
                report("register \(scalar) must be a whole number of octaves from -2 to 2, or low, middle, high", at: node, field: path)
                return
            }
            voice.registerOctaves = octaves
        } else if let octaves = words[scalar.lowercased()] {
            voice.registerOctaves = octaves
        } else {
            report(
                "unknown register \"\(scalar)\"\(suggestion(for: scalar, among: ["low", "middle", "high"])) (use low, middle, high or a number of octaves from -2 to 2)",
                at: node, field: path)
        }
    }

    // MARK: Key, modes, tempo

    mutating func parseKey(_ node: Node, into preset: inout Preset) {
        guard let value = scalarText(node, path: "key", what: "a note name such as D or Bb") else { return }
        if let tonic = PitchClass(name: value.trimmingCharacters(in: .whitespaces)) {
            preset.tonic = tonic
        } else if let first = value.split(separator: " ").first, value.contains(" "), PitchClass(name: String(first)) != nil {
            report("key \"\(value)\" should be the home note only (key: \(first)); list the modes under modes:", at: node, field: "key")
        } else {
            report("\"\(value)\" is not a note name; write the home key as C, D, Eb, F#, Bb, ...", at: node, field: "key")
        }
    }

    static let modeAliases: [String: Mode] = ["major": .ionian, "minor": .aeolian]

    mutating func parseModes(_ node: Node, into preset: inout Preset) {
        let items: [(Node, String)]
        if let sequence = node.sequence {
            items = sequence.enumerated().map { ($1, "modes[\($0)]") }
        } else if node.scalar != nil && !node.isYAMLNull {
            items = [(node, "modes")]
        } else {
            report("modes must be a list such as [dorian, aeolian], not \(node.messageDescription)", at: node, field: "modes")
            return
        }
        guard !items.isEmpty else {
            report("modes is empty; allow at least one mode, e.g. [ionian]", at: node, field: "modes")
            return
        }
        var modes: [Mode] = []
        var valid = true
        for (item, path) in items {
            guard let name = scalarText(item, path: path, what: "a mode name") else {
                valid = false
                continue
            }
            let key = name.lowercased().trimmingCharacters(in: .whitespaces)
            if let mode = Mode(rawValue: key) ?? Self.modeAliases[key] {
                if !modes.contains(mode) { modes.append(mode) }
            } else {
                valid = false
                let known = Mode.allCases.map(\.rawValue)
                report(
                    "unknown mode \"\(name)\"\(suggestion(for: key, among: known + Self.modeAliases.keys.sorted())) "
                        + "(modes: \(known.joined(separator: ", ")); major = ionian, minor = aeolian)",
                    at: item, field: path)
            }
        }
        if valid { preset.modes = modes }
    }

    mutating func parseTempo(_ node: Node, into preset: inout Preset) {
        let unit = "BPM"
        if node.scalar != nil, !node.isYAMLNull {
            if let bpm = number(node, path: "tempo", range: Preset.Limits.tempo, unit: unit) { preset.tempo = bpm...bpm }
            return
        }
        guard let map = fields(of: node, path: "tempo", what: "tempo", allowed: Preset.Keys.tempo, alternative: "a single BPM")
        else { return }
        let low = map["min"].map { number($0, path: "tempo.min", range: Preset.Limits.tempo, unit: unit) } ?? preset.tempo.lowerBound
        let high = map["max"].map { number($0, path: "tempo.max", range: Preset.Limits.tempo, unit: unit) } ?? preset.tempo.upperBound
        guard let low, let high else { return }
        guard low <= high else {
            report(
                "tempo min \(format(low)) is above max \(format(high)); min is the slowest tempo allowed, max the fastest",
                at: map["min"] ?? node, field: "tempo.min")
            return
        }
        preset.tempo = low...high
    }

    // MARK: Target, strategy, session

    mutating func parseTarget(_ node: Node, into preset: inout Preset) {
        if node.scalar != nil, !node.isYAMLNull {
            if let emotion = emotion(node, path: "target") { preset.target = .emotion(emotion) }
            return
        }
        guard let map = fields(
            of: node, path: "target", what: "target", allowed: Preset.Keys.target, alternative: "an emotion name")
        else { return }
        let hasEmotion = map["emotion"] != nil
        let hasPoint = map["valence"] != nil || map["arousal"] != nil
        if hasEmotion && hasPoint {
            report(
                "give the target either as an emotion or as valence and arousal, not both",
                at: map["valence"] ?? map["arousal"], field: map["valence"] != nil ? "target.valence" : "target.arousal")
            return
        }
        if let emotionNode = map["emotion"] {
            if let emotion = emotion(emotionNode, path: "target.emotion") { preset.target = .emotion(emotion) }
            return
        }
        guard hasPoint else {
            report("target is empty; write {emotion: neutral} or {valence: 0.3, arousal: -0.5}", at: node, field: "target")
            return
        }
        for (name, other) in [("valence", "arousal"), ("arousal", "valence")] where map[name] == nil {
            report("target has \(other) but no \(name); give both (valence and arousal go from -1 to 1)", at: map[other], field: "target." + other)
        }
        let valence = map["valence"].flatMap { number($0, path: "target.valence", range: Affect.range, unit: nil) }
        let arousal = map["arousal"].flatMap { number($0, path: "target.arousal", range: Affect.range, unit: nil) }
        if let valence, let arousal { preset.target = .affect(Affect(valence: valence, arousal: arousal)) }
    }

    mutating func emotion(_ node: Node, path: String) -> Emotion? {
        guard let name = scalarText(node, path: path, what: "an emotion name") else { return nil }
        if let emotion = Emotion(name: name) { return emotion }
        let known = Emotion.allCases.map(\.rawValue)
        let adjectives = ["happy", "sad", "angry", "afraid", "surprised", "disgusted", "calm"]
        report(
            "unknown emotion \"\(name)\"\(suggestion(for: name.lowercased(), among: known + adjectives)) "
                + "(emotions: \(known.joined(separator: ", ")))",
            at: node, field: path)
        return nil
    }

    mutating func parseStrategy(_ node: Node, into preset: inout Preset) {
        var idNode: Node?
        var optionsNode: Node?
        if node.scalar != nil, !node.isYAMLNull {
            idNode = node
        } else {
            guard let map = fields(
                of: node, path: "strategy", what: "strategy", allowed: Preset.Keys.strategy, alternative: "a strategy id")
            else { return }
            idNode = map["id"]
            optionsNode = map["options"]
            if idNode == nil {
                report("strategy has no id; write id: iso-principle (or another strategy)", at: node, field: "strategy.id")
                return
            }
        }
        let idPath = optionsNode == nil && node.scalar != nil ? "strategy" : "strategy.id"
        guard let idNode, let id = scalarText(idNode, path: idPath, what: "a strategy id") else { return }
        preset.strategy.id = id
        var descriptor: PluginDescriptor?
        if let strategies {
            let known = strategies.filter { $0.kind == .strategy }
            descriptor = known.first { $0.id == id }
            if descriptor == nil {
                let ids = known.map(\.id)
                report(
                    "unknown strategy \"\(id)\"\(suggestion(for: id, among: ids)) "
                        + (ids.isEmpty ? "(no strategies are installed)" : "(strategies: \(ids.joined(separator: ", ")))"),
                    at: idNode, field: idPath)
            }
        }
        guard let optionsNode else { return }
        guard let options = fields(
            of: optionsNode, path: "strategy.options", what: "strategy options", allowed: descriptor?.options.map(\.name),
            noun: "option", owner: descriptor?.id)
        else { return }
        for (name, key, value) in options.entries {
            let path = "strategy.options." + name
            guard let scalar = scalarText(value, path: path, what: "a number, true/false or text") else { continue }
            let optionValue: PluginOptionValue
            if value.isPlainNumber, let n = value.int {
                optionValue = .integer(n)
            } else if value.isPlainNumber, let x = value.float {
                optionValue = .number(x)
            } else if value.scalar?.style == .plain, let b = value.bool {
                optionValue = .boolean(b)
            } else {
                optionValue = .string(scalar)
            }
            preset.strategy.options[name] = optionValue
            if let descriptor, let option = descriptor.option(named: name), let problem = option.check(optionValue) {
                report(problem, at: value, field: path)
            }
            _ = key
        }
    }

    mutating func parseSession(_ node: Node, into preset: inout Preset) {
        guard let map = fields(of: node, path: "session", what: "session", allowed: Preset.Keys.session) else { return }
        let length = map["length"].flatMap { duration($0, path: "session.length", range: Preset.Limits.sessionLength) }
        let fade = map["fade"].flatMap { duration($0, path: "session.fade", range: 0...Preset.Limits.sessionLength.upperBound) }
        if let length { preset.sessionLength = length }
        if let fade { preset.fade = fade }
        if (length != nil || map["length"] == nil) && (fade != nil || map["fade"] == nil), preset.fade > preset.sessionLength {
            report(
                "the fade (\(formatDuration(preset.fade))) is longer than the session (\(formatDuration(preset.sessionLength)))",
                at: map["fade"] ?? node, field: "session.fade")
        }
    }

    mutating func duration(_ node: Node, path: String, range: ClosedRange<Double>) -> Double? {
        guard let text = scalarText(node, path: path, what: "a duration such as 90s, 20m or 1h") else { return nil }
        guard let seconds = parseDuration(text), seconds >= 0 else {
            report("duration \"\(text)\" is not understood; write seconds (45 or 45s), minutes (20m) or hours (1h)", at: node, field: path)
            return nil
        }
        guard range.contains(seconds) else {
            report(
                "duration \(text) is outside \(formatDuration(range.lowerBound))...\(formatDuration(range.upperBound))",
                at: node, field: path)
            return nil
        }
        return seconds
    }

    // MARK: Safety

    mutating func parseSafety(_ node: Node, into preset: inout Preset) {
        guard let map = fields(of: node, path: "safety", what: "safety", allowed: Preset.Keys.safety) else { return }
        var safety = preset.safety
        if let value = map["max-velocity"], let v = integer(value, path: "safety.max-velocity", range: Preset.Limits.velocity, unit: "MIDI velocity") {
            safety.maxVelocity = v
        }
        if let value = map["max-level-dbfs"], let x = number(value, path: "safety.max-level-dbfs", range: nil, unit: nil) {
            if x > 0 {
                report("max-level-dbfs \(format(x)) must be 0 or below (0 dBFS is full scale; -12 is a soft ceiling)", at: value, field: "safety.max-level-dbfs")
            } else if x < Preset.Limits.levelDBFS.lowerBound {
                report("max-level-dbfs \(format(x)) is below -60, which would be silent", at: value, field: "safety.max-level-dbfs")
            } else {
                safety.maxLevelDBFS = x
            }
        }
        if let value = map["max-tempo-change-per-bar"],
            let x = number(value, path: "safety.max-tempo-change-per-bar", range: Preset.Limits.tempoChangePerBar, unit: "BPM")
        {
            safety.maxTempoChangePerBar = x
        }
        if let value = map["max-loudness-step"],
            let x = number(value, path: "safety.max-loudness-step", range: Preset.Limits.loudnessStep, unit: "velocity units")
        {
            safety.maxLoudnessStep = x
        }
        if let value = map["sudden-dynamics"], let b = boolean(value, path: "safety.sudden-dynamics") { safety.suddenDynamics = b }
        if let value = map["percussion"], let b = boolean(value, path: "safety.percussion") { safety.percussion = b }
        if let value = map["dissonance"], let b = boolean(value, path: "safety.dissonance") { safety.dissonance = b }
        preset.safety = safety
    }

    // MARK: Typed values

    /// The keys of a mapping node, in order, each known key once; reports unknown keys (with the
    /// closest known key) and a non-mapping node. `allowed` nil accepts any key.
    mutating func fields(
        of node: Node, path: String?, what: String, allowed: [String]?, alternative: String? = nil,
        noun: String = "key", owner: String? = nil
    ) -> Fields? {
        guard let mapping = node.mapping else {
            let expected = alternative.map { "a mapping (key: value lines) or \($0)" } ?? "a mapping (key: value lines)"
            if path == nil {
                report(
                    "the top level of a preset must be a mapping of fields (name:, ensemble:, tempo:, ...), not \(node.messageDescription)",
                    at: node, field: nil)
            } else {
                report("\(what) must be \(expected), not \(node.messageDescription)", at: node, field: path)
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
            if let allowed, !allowed.contains(name) {
                let within = owner.map { " of \($0)" } ?? path.map { " in \($0)" } ?? ""
                let hint = suggestion(for: name, among: allowed)
                let known = allowed.isEmpty ? " (\(owner ?? path ?? "it") takes no \(noun)s)" : " (known \(noun)s: \(allowed.joined(separator: ", ")))"
                report("unknown \(noun) \"\(name)\"\(within)\(hint)\(hint.isEmpty ? known : "")", at: key, field: keyPath)
                continue
            }
            result.entries.append((name, key, value))
        }
        return result
    }

    /// A scalar's text, or nil (reported) for a mapping, a list or an empty value.
    mutating func scalarText(_ node: Node, path: String, what: String) -> String? {
        guard let scalar = node.scalar, !node.isYAMLNull else {
            report("\(path.split(separator: ".").last!) must be \(what), not \(node.messageDescription)", at: node, field: path)
            return nil
        }
        return scalar.string
    }

    mutating func text(_ node: Node, path: String) -> String? {
        guard let scalar = node.scalar, !node.isYAMLNull else {
            report("\(path) must be text, not \(node.messageDescription)", at: node, field: path)
            return nil
        }
        return scalar.string
    }

    mutating func number(_ node: Node, path: String, range: ClosedRange<Double>?, unit: String?) -> Double? {
        let name = label(path)
        guard node.scalar != nil, !node.isYAMLNull, node.isPlainNumber || node.float != nil, let x = node.float, x.isFinite else {
            report("\(name) must be a number, not \(node.messageDescription)", at: node, field: path)
            return nil
        }
        if let range, !range.contains(x) {
            report(
                "\(name) \(format(x)) is out of range \(format(range.lowerBound))...\(format(range.upperBound))\(unit.map { " \($0)" } ?? "")",
                at: node, field: path)
            return nil
        }
        return x
    }

    mutating func integer(_ node: Node, path: String, range: ClosedRange<Int>, unit: String) -> Int? {
        let name = label(path)
        guard let x = number(node, path: path, range: nil, unit: nil) else { return nil }
        guard let n = node.int else {
            report("\(name) must be a whole number, not \(format(x))", at: node, field: path)
            return nil
        }
        guard range.contains(n) else {
            report("\(name) \(n) is out of range \(range.lowerBound)...\(range.upperBound) \(unit)", at: node, field: path)
            return nil
        }
        return n
    }

    mutating func boolean(_ node: Node, path: String) -> Bool? {
        let name = String(path.split(separator: ".").last!)
        guard node.scalar != nil, !node.isYAMLNull, let b = node.bool else {
            report("\(name) must be true or false, not \(node.messageDescription)", at: node, field: path)
            return nil
        }
        return b
    }

    // MARK: Helpers

    /// How a field is named in a message: its key, with the parent for the short keys
    /// (`tempo min`, `lead rate`, `target valence`).
    func label(_ path: String) -> String {
        let parts = path.split(separator: ".").map(String.init)
        if parts.count >= 2, ["tempo", "lead", "target"].contains(parts[0]) { return parts[0] + " " + parts.last! }
        return parts.last!
    }




    /// `; did you mean "x"?` for the closest candidate within a plausible edit distance (a
    /// candidate that starts the value, or that the value starts, counts as one edit), else "".
    func suggestion(for value: String, among candidates: [String]) -> String {
        let value = value.lowercased()
        let scored = candidates.map { candidate -> (String, Int) in
            let c = candidate.lowercased()
            let prefix = c.count >= 3 && value.count >= 3 && (value.hasPrefix(c) || c.hasPrefix(value))
            return (candidate, prefix ? 1 : editDistance(c, value))
        }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, value.count / 3) else { return "" }
        return "; did you mean \"\(best.0)\"?"
    }
}

/// A mapping's entries in document order, looked up by key.
struct Fields {
    var entries: [(name: String, key: Node, value: Node)] = []
    subscript(name: String) -> Node? { entries.first { $0.name == name }?.value }
}

func formatDuration(_ seconds: Double) -> String {
    if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
    if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
    return "\(format(seconds))s"
}
