import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Testing

@Suite("Preset parsing")
struct PresetParsingTests {
    static let complete = """
        name: Calm down
        description: For an over-aroused child.
        ensemble:
          melody: {instrument: flute, register: high}
          pad: 90
          bass: {instrument: Acoustic Bass, register: -2}
          percussion: false
        key: Bb
        modes: [dorian, minor, dorian]
        tempo: {min: 60, max: 96}
        target: {valence: 0.3, arousal: -0.5}
        strategy:
          id: iso-principle
          options: {patience: 20, start: match, smoothing: 0.5, pause-when-away: true}
        lead: {rate: 0.25}
        session: {length: 1h, fade: 1m30s}
        safety:
          max-velocity: 90
          max-level-dbfs: -12
          max-tempo-change-per-bar: 4
          max-loudness-step: 6
          sudden-dynamics: false
          percussion: false
          dissonance: false
        """

    @Test("A complete preset reads every field")
    func complete() throws {
        let preset = try Preset.parse(yaml: Self.complete, file: "calm.yaml", strategies: testStrategies)
        #expect(preset.name == "Calm down")
        #expect(preset.description == "For an over-aroused child.")
        #expect(preset.ensemble.melody == Voice(program: 73, registerOctaves: 1))
        #expect(preset.ensemble.pad == Voice(program: 89))
        #expect(preset.ensemble.pad.instrumentName == "Pad 2 (warm)")
        #expect(preset.ensemble.bass == Voice(program: 32, registerOctaves: -2))
        #expect(preset.ensemble.percussion == false)
        #expect(preset.tonic == PitchClass(10))
        #expect(preset.modes == [.dorian, .aeolian])
        #expect(preset.tempo == 60...96)
        #expect(preset.target == .affect(Affect(valence: 0.3, arousal: -0.5)))
        #expect(preset.strategy == StrategyChoice(id: "iso-principle", options: [
            "patience": .integer(20), "start": .string("match"), "smoothing": .number(0.5), "pause-when-away": .boolean(true),
        ]))
        #expect(preset.leadRate == 0.25)
        #expect(preset.sessionLength == 3600 && preset.fade == 90)
        #expect(preset.safety == SafetyEnvelope(
            maxVelocity: 90, maxLevelDBFS: -12, maxTempoChangePerBar: 4, maxLoudnessStep: 6, suddenDynamics: false,
            percussion: false, dissonance: false, tempoRange: 60...96))
    }

    @Test("Only a name: every other field takes its documented default")
    func defaults() throws {
        let preset = try Preset.parse(yaml: "name: Plain\n", file: "p.yaml", strategies: testStrategies)
        #expect(preset == Preset(name: "Plain"))
        #expect(preset.ensemble.melody.instrumentName == "Acoustic Grand Piano")
        #expect(preset.ensemble.pad.instrumentName == "String Ensemble 1")
        #expect(preset.ensemble.bass.instrumentName == "Acoustic Bass")
        #expect(preset.tonic == PitchClass(0) && preset.modes == [.ionian, .dorian, .aeolian])
        #expect(preset.tempo == 60...120 && preset.target == .emotion(.neutral))
        #expect(preset.strategy.id == "iso-principle" && preset.leadRate == 0.2)
        #expect(preset.sessionLength == 1200 && preset.fade == 30)
        #expect(preset.safety == SafetyEnvelope())
    }

    @Test("Short forms: voice as a name, tempo as one BPM, target and strategy as words, one mode")
    func shortForms() throws {
        let yaml = "name: Short\nensemble: {melody: Marimba}\ntempo: 72\ntarget: happy\nstrategy: mirror\nmodes: major\n"
        let preset = try Preset.parse(yaml: yaml, file: "s.yaml", strategies: testStrategies)
        #expect(preset.ensemble.melody.program == 12)
        #expect(preset.tempo == 72...72)
        #expect(preset.target == .emotion(.happiness))
        #expect(preset.strategy == StrategyChoice(id: "mirror"))
        #expect(preset.modes == [.ionian])
    }

    @Test("Durations", arguments: [
        ("45", 45.0), ("90s", 90), ("20m", 1200), ("1h", 3600), ("1.5m", 90), ("1m30s", 90), ("1h 5m", 3900),
    ])
    func durations(text: String, seconds: Double) {
        #expect(parseDuration(text) == seconds)
    }

    @Test("Malformed durations", arguments: ["", "m", "20 minutes", "5s3m", "1x", "--3", "nan"])
    func malformedDurations(text: String) {
        #expect(parseDuration(text) == nil)
    }

    @Test("General MIDI: 128 distinct names, found case-insensitively, numbered 1...128 in YAML")
    func generalMIDI() throws {
        #expect(GeneralMIDI.names.count == 128)
        #expect(Set(GeneralMIDI.names.map { $0.lowercased() }).count == 128)
        #expect(GeneralMIDI.program(named: "ACOUSTIC GRAND PIANO") == 0)
        #expect(GeneralMIDI.program(named: "honky tonk piano") == 3)
        #expect(GeneralMIDI.program(named: "Gunshot") == 127)
        #expect(GeneralMIDI.closestName(to: "Pianno") == "Acoustic Grand Piano")
        #expect(GeneralMIDI.closestName(to: "Flut") == "Flute")
        #expect(GeneralMIDI.closestName(to: "xqzw") == nil)
        for (number, name) in [(1, "Acoustic Grand Piano"), (41, "Violin"), (74, "Flute"), (128, "Gunshot")] {
            let preset = try Preset.parse(yaml: "name: n\nensemble: {melody: \(number)}\n", file: "n.yaml", strategies: nil)
            #expect(preset.ensemble.melody.instrumentName == name)
            #expect(preset.ensemble.melody.program == UInt8(number - 1))
        }
    }

    @Test("show's YAML reads back to the same preset")
    func resolvedRoundTrip() throws {
        let preset = try Preset.parse(yaml: Self.complete, file: "calm.yaml", strategies: testStrategies)
        let again = try Preset.parse(yaml: preset.resolvedYAML, file: "shown.yaml", strategies: testStrategies)
        #expect(again == preset)
        let emotion = try Preset.parse(yaml: "name: \"Quote \\\" and: colon\"\ntarget: sad\n", file: "e.yaml", strategies: nil)
        #expect(try Preset.parse(yaml: emotion.resolvedYAML, file: "e2.yaml", strategies: nil) == emotion)
    }

    @Test("show's JSON is valid JSON with the 1-based program beside each instrument")
    func resolvedJSON() throws {
        let preset = try Preset.parse(yaml: Self.complete, file: "calm.yaml", strategies: testStrategies)
        let object = try JSONSerialization.jsonObject(with: Data(preset.resolvedJSON.utf8)) as! [String: Any]
        let melody = (object["ensemble"] as! [String: Any])["melody"] as! [String: Any]
        #expect(melody["instrument"] as? String == "Flute")
        #expect(melody["program"] as? Int == 74)
        #expect((object["safety"] as! [String: Any])["max-velocity"] as? Int == 90)
    }

    @Test("The template that 'preset new' writes is valid and explains every field")
    func template() throws {
        let text = Preset.template(name: "Tom's \"quiet\" mornings")
        let preset = try Preset.parse(yaml: text, file: "new.yaml", strategies: testStrategies)
        #expect(preset.name == "Tom's \"quiet\" mornings")
        for key in Preset.Keys.top + Preset.Keys.safety where key != "soundfont" {
            #expect(text.contains("\n\(key):") || text.contains("  \(key):") || text.contains("{\(key):") || text.contains(" \(key):"), "\(key)")
        }
        #expect(text.contains("# soundfont:"))
    }

    @Test("Every preset in presets/ validates", arguments: presetFiles())
    func shippedPresets(file: String) throws {
        let preset = try Preset.load(path: packageRoot.appendingPathComponent("presets/\(file)").path, strategies: builtInStrategies)
        #expect(!preset.description.isEmpty)
        #expect(preset.safety.suddenDynamics == false)
    }

    @Test("presets/ has the five situations")
    func fivePresets() {
        #expect(Set(["calm-down.yaml", "social-play.yaml", "morning-circle.yaml", "bedtime.yaml", "low-stimulation.yaml"])
            .isSubset(of: Set(presetFiles())))
    }

    @Test("The low-stimulation preset is the softest and strictest")
    func lowStimulation() throws {
        let preset = try Preset.load(path: packageRoot.appendingPathComponent("presets/low-stimulation.yaml").path, strategies: builtInStrategies)
        #expect(preset.safety.percussion == false && preset.safety.dissonance == false)
        #expect(preset.safety.maxVelocity <= 64 && preset.safety.maxLoudnessStep <= 3)
        #expect(preset.safety.maxTempoChangePerBar <= 1 && preset.safety.maxLevelDBFS <= -18)
        #expect(preset.ensemble.percussion == false)
    }
}

func presetFiles() -> [String] {
    let directory = packageRoot.appendingPathComponent("presets").path
    return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
}
