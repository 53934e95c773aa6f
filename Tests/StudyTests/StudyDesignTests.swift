import EmoMusikCore
import Foundation
import Presets
import Studies
import Testing

@Suite struct StudyDesignTests {
    @Test func theExampleStudyParses() throws {
        let design = try StudyDesign.load(
            path: packageRoot + "/examples/study.yaml", strategies: builtInStrategies, presetDirectory: presetDirectory)
        #expect(design.name == "Emotion matching pilot")
        #expect(design.clipSeconds == 20)
        #expect(design.emotions == [.happiness, .sadness, .anger, .neutral])
        #expect(design.arms.map(\.strategyID) == ["mirror", "mirror"])  // social-play leads with mirror
        #expect(design.arms.map(\.presetName) == ["", "social-play"])
        #expect(design.seeds == [1, 2])
        #expect(design.raters == 6 && design.scale == 1...7 && design.sampleRate == 44100 && design.loudnessTarget == -23)
        #expect(design.conditions.count == 4 * 2 * 2)
        #expect(Set(design.conditions).count == 16)
    }

    @Test func defaultsAndAllEmotions() throws {
        let yaml = """
            name: tiny
            clip-length: 4
            conditions: {emotions: all, strategies: mirror, seeds: 7}
            raters: 2
            """
        let design = try StudyDesign.parse(yaml: yaml, file: "tiny.yaml", strategies: builtInStrategies)
        #expect(design.emotions == Emotion.allCases)
        #expect(design.seeds == [7] && design.scale == 1...7 && design.soundfont == nil)
        #expect(design.conditions.count == 7)
    }

    /// Every problem at once, each with file, line, column and the field, with did-you-mean hints.
    @Test func badStudyIsRefusedWithEveryProblemLocated() throws {
        let yaml = """
            name: bad
            clip-length: soon
            rater: 4
            conditions:
              emotions: [happiness, hapiness, happiness]
              strategies: [mirror, mirorr]
              presets: [calm-dwn]
              seeds: [1, x, 1]
            scale: {min: 5, max: 3}
            sample-rate: 22050
            loudness-target: 0
            """
        let error = try #require(throws: StudyValidationError.self) {
            try StudyDesign.parse(yaml: yaml, file: "bad.yaml", strategies: builtInStrategies, presetDirectory: presetDirectory)
        }
        func issue(_ field: String) -> PresetIssue? { error.issues.first { $0.location.field == field } }
        let expected: [(field: String, line: Int, column: Int, text: String)] = [
            ("clip-length", 2, 14, "duration \"soon\""),
            ("rater", 3, 1, "did you mean \"raters\""),
            ("conditions.emotions[1]", 5, 25, "did you mean \"happiness\""),
            ("conditions.emotions[2]", 5, 35, "listed twice"),
            ("conditions.strategies[1]", 6, 24, "did you mean \"mirror\""),
            ("conditions.presets[0]", 7, 13, "did you mean \"calm-down\""),
            ("conditions.seeds[1]", 8, 14, "whole number"),
            ("conditions.seeds[2]", 8, 17, "listed twice"),
            ("scale.max", 9, 22, "must be above scale min 5"),
            ("sample-rate", 10, 14, "not supported"),
            ("loudness-target", 11, 18, "out of range"),
        ]
        for e in expected {
            let found = try #require(issue(e.field), "no issue for \(e.field) in:\n\(error)")
            #expect(found.location.file == "bad.yaml")
            #expect(found.location.line == e.line && found.location.column == e.column, "\(found)")
            #expect(found.message.contains(e.text), "\(found)")
        }
        // raters is missing because of the typo: that is reported too.
        #expect(issue("raters") != nil)
        #expect(error.description.contains("bad.yaml:3:1 (rater): unknown key \"rater\""))
    }

    @Test func adjectivesAreAcceptedAndSuggested() throws {
        let ok = try StudyDesign.parse(
            yaml: "name: a\nclip-length: 1m\nconditions: {emotions: [happy, sad], strategies: [mirror], seeds: [3]}\nraters: 12\n",
            file: "a.yaml", strategies: builtInStrategies)
        #expect(ok.emotions == [.happiness, .sadness] && ok.clipSeconds == 60 && ok.raters == 12)
        let error = try #require(throws: StudyValidationError.self) {
            try StudyDesign.parse(
                yaml: "name: a\nclip-length: 4\nconditions: {emotions: [hapy], strategies: [mirror], seeds: [1]}\nraters: 2\n",
                file: "a.yaml", strategies: builtInStrategies)
        }
        #expect(error.description == "a.yaml:3:25 (conditions.emotions[0]): unknown emotion \"hapy\"; did you mean \"happy\"? "
            + "(emotions: neutral, happiness, sadness, anger, fear, surprise, disgust)")
    }

    @Test func missingPartsAndSyntaxErrors() throws {
        let empty = try #require(throws: StudyValidationError.self) {
            try StudyDesign.parse(yaml: "", file: "e.yaml", strategies: builtInStrategies)
        }
        #expect(empty.issues.count == 1 && empty.issues[0].message.contains("empty"))

        let partial = try #require(throws: StudyValidationError.self) {
            try StudyDesign.parse(yaml: "name: x\nconditions: {emotions: [sad]}\n", file: "p.yaml", strategies: builtInStrategies)
        }
        let fields = Set(partial.issues.compactMap(\.location.field))
        #expect(fields.isSuperset(of: ["clip-length", "raters", "conditions.strategies", "conditions.seeds"]), "\(partial)")

        let syntax = try #require(throws: StudyValidationError.self) {
            try StudyDesign.parse(yaml: "name: x\nconditions: [a, b\nraters: 2\n", file: "s.yaml", strategies: builtInStrategies)
        }
        #expect(syntax.issues[0].location.line != nil && syntax.issues[0].message.contains("invalid YAML"))
    }

    /// A preset with its own errors: the study points at it, and the preset's issues keep their own file and line.
    @Test func anInvalidPresetIsReportedInItsOwnFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("name: broken\ntempo: {min: 300}\n", to: directory + "/broken.yaml")
        try write("""
            name: s
            clip-length: 4
            conditions: {emotions: [happy], presets: [./broken.yaml, calm-down], seeds: [1]}
            raters: 2
            """, to: directory + "/study.yaml")
        let error = try #require(throws: StudyValidationError.self) {
            try StudyDesign.load(path: directory + "/study.yaml", strategies: builtInStrategies, presetDirectory: presetDirectory)
        }
        #expect(error.issues[0].location.file == directory + "/study.yaml")
        #expect(error.issues[0].location.field == "conditions.presets[0]")
        #expect(error.issues.contains { $0.location.file.hasSuffix("/broken.yaml") && $0.location.line == 2 }, "\(error)")
    }
}
