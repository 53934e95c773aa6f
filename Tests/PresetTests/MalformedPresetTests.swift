import EmoMusikCore
import Foundation
import Presets
import Testing

/// Each `Fixtures/malformed/NAME.yaml` must produce exactly the text in `NAME.expected`: every
/// issue, one per line, in file order.
@Suite("Malformed presets")
struct MalformedPresetTests {
    @Test("The corpus has at least 20 malformed presets, each with its expected errors")
    func corpusIsComplete() throws {
        let names = malformedFixtureNames()
        #expect(names.count >= 20)
        for name in names {
            let expected = fixtures.appendingPathComponent("malformed/\(name).expected")
            #expect(FileManager.default.fileExists(atPath: expected.path), "missing \(name).expected")
        }
    }

    @Test("Each malformed preset produces its exact errors", arguments: malformedFixtureNames())
    func exactErrors(name: String) throws {
        let directory = fixtures.appendingPathComponent("malformed")
        let yaml = try read(directory.appendingPathComponent("\(name).yaml"))
        let expected = try read(directory.appendingPathComponent("\(name).expected"))
            .trimmingCharacters(in: .newlines)
        let error = #expect(throws: PresetValidationError.self) {
            try Preset.parse(yaml: yaml, file: "malformed/\(name).yaml", strategies: testStrategies)
        }
        #expect(error?.description == expected)
    }

    @Test("Every issue names the file, a line and a column")
    func issuesHavePositions() throws {
        for name in malformedFixtureNames() {
            let yaml = try read(fixtures.appendingPathComponent("malformed/\(name).yaml"))
            let issues = Preset.issues(yaml: yaml, file: "x.yaml", strategies: testStrategies)
            #expect(!issues.isEmpty, "\(name) has no issues")
            for issue in issues {
                #expect(issue.location.file == "x.yaml")
                #expect(issue.location.line != nil && issue.location.column != nil, "\(name): \(issue)")
            }
        }
    }

    @Test("Issues come in file order")
    func issuesAreOrdered() throws {
        let yaml = try read(fixtures.appendingPathComponent("malformed/several-errors.yaml"))
        let issues = Preset.issues(yaml: yaml, file: "x.yaml", strategies: testStrategies)
        #expect(issues.count >= 6)
        let positions = issues.map { [$0.location.line!, $0.location.column!] }
        #expect(positions == positions.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) })
    }

    @Test("Load reports a missing file with its path")
    func missingFile() {
        let error = #expect(throws: PresetValidationError.self) {
            try Preset.load(path: "/nonexistent/calm.yaml", strategies: nil)
        }
        #expect(error?.description == "/nonexistent/calm.yaml: no such file")
    }

    @Test("Without a strategy list, strategy ids and options are read but not checked")
    func strategiesSkippedWhenNil() throws {
        let yaml = try read(fixtures.appendingPathComponent("malformed/strategy-option-out-of-range.yaml"))
        let preset = try Preset.parse(yaml: yaml, file: "x.yaml", strategies: nil)
        #expect(preset.strategy.id == "iso-principle")
        #expect(preset.strategy.options == ["patience": .integer(600), "start": .string("matched")])
    }
}
