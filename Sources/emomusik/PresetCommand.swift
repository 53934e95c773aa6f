import ArgumentParser
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Strategies

/// `emomusik preset validate|show|list|new|instruments`: therapist presets (YAML).
struct PresetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preset",
        abstract: "Check, show, list and create therapist presets (YAML).",
        discussion: """
            A preset sets the instruments, home key and modes, tempo range, target mood,
            strategy, session length, and a safety envelope that no strategy or plugin can
            exceed: loudest note, output ceiling, largest tempo and loudness change per
            bar, and switches for sudden dynamics, percussion and dissonance.
            presets/README.md describes every field.

            Examples:
              emomusik preset new "Calm after lunch" -o presets/calm-after-lunch.yaml
              emomusik preset validate presets/*.yaml
              emomusik preset show presets/bedtime.yaml
              emomusik preset show presets/bedtime.yaml --json
              emomusik preset list
              emomusik preset instruments
            """,
        subcommands: [Validate.self, Show.self, List.self, New.self, Instruments.self]
    )
}

/// Where strategy ids are checked against: the plugin registry, unless turned off.
struct StrategyCheckOptions: ParsableArguments {
    @Flag(help: "Do not check the strategy id and options against the installed strategy plugins.")
    var noStrategyCheck = false

    /// The installed strategies (built-in and external plugins found from the current directory),
    /// or nil to skip the check.
    func strategies() -> [PluginDescriptor]? {
        if noStrategyCheck { return nil }
        return standardRegistry().entries.filter { $0.kind == .strategy }.map(\.descriptor)
    }
}

private func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

extension PresetCommand {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check preset files and report every problem with its line, column and field.",
            discussion: """
                Prints "ok FILE" for each valid preset, and every problem of every invalid one
                as file:line:column (field): what is wrong, with the closest valid value.
                Exits non-zero when any file has a problem. Strategy ids and options are
                checked against the installed strategies (emomusik plugins list); external
                ones such as lullaby need 'emomusik plugins build' first.

                Examples:
                  emomusik preset validate presets/calm-down.yaml
                  emomusik preset validate presets/*.yaml
                """)

        @Argument(help: ArgumentHelp("Preset files.", valueName: "file.yaml"))
        var files: [String]

        @OptionGroup var strategyCheck: StrategyCheckOptions

        func validate() throws {
            if files.isEmpty { throw ValidationError("Give at least one preset file, e.g. emomusik preset validate presets/*.yaml") }
        }

        func run() throws {
            let strategies = strategyCheck.strategies()
            var failed = 0
            var unknownStrategy = false
            for file in files {
                do {
                    _ = try Preset.load(path: file, strategies: strategies)
                    print("ok \(file)")
                } catch let error as PresetValidationError {
                    failed += 1
                    printError(error.description)
                    unknownStrategy = unknownStrategy
                        || error.issues.contains { ["strategy", "strategy.id"].contains($0.location.field) }
                }
            }
            if unknownStrategy, let strategies {
                printError(
                    "strategies checked against the installed ones: \(strategies.map(\.id).joined(separator: ", ")) "
                        + "(external plugins need 'emomusik plugins build'; --no-strategy-check skips this check)")
            }
            if failed > 0 {
                printError("\(failed) of \(files.count) preset\(files.count == 1 ? "" : "s") invalid")
                throw ExitCode.failure
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a preset with every default filled in.",
            discussion: """
                The text form is YAML that reads back as the same preset, so it can start a
                new one. Instruments show their General MIDI program number (1...128) as a
                comment.

                Examples:
                  emomusik preset show presets/bedtime.yaml
                  emomusik preset show presets/bedtime.yaml --json
                """)

        @Argument(help: ArgumentHelp("A preset file.", valueName: "file.yaml"))
        var file: String

        @Flag(help: "Print JSON instead of YAML.")
        var json = false

        @OptionGroup var strategyCheck: StrategyCheckOptions

        func run() throws {
            let preset: Preset
            do {
                preset = try Preset.load(path: file, strategies: strategyCheck.strategies())
            } catch let error as PresetValidationError {
                printError(error.description)
                throw ExitCode.failure
            }
            if json {
                print(preset.resolvedJSON, terminator: "")
            } else {
                print("# \(file), with defaults filled in")
                print(preset.resolvedYAML, terminator: "")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the presets in a directory: name, file and description.",
            discussion: """
                Examples:
                  emomusik preset list
                  emomusik preset list ~/my-presets
                """)

        @Argument(help: ArgumentHelp("The directory to list.", valueName: "dir"))
        var directory: String = "presets"

        func validate() throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("Directory '\(directory)' not found. Run from the project directory or give the presets directory.")
            }
        }

        func run() throws {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            if names.isEmpty {
                print("No presets in \(directory)/. Create one with: emomusik preset new NAME")
                return
            }
            for name in names {
                let path = (directory as NSString).appendingPathComponent(name)
                do {
                    let preset = try Preset.load(path: path, strategies: nil)
                    print("\(preset.name)  (\(path))")
                    if !preset.description.isEmpty { print("    \(preset.description)") }
                } catch let error as PresetValidationError {
                    let count = error.issues.count
                    print("?  (\(path))")
                    print("    invalid: \(count) problem\(count == 1 ? "" : "s"); run 'emomusik preset validate \(path)'")
                }
            }
        }
    }

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a commented preset template to edit.",
            discussion: """
                Every field is set to a gentle starting point and explained in plain words.
                The file goes to presets/NAME.yaml (NAME.yaml when there is no presets/
                directory) unless -o says otherwise; an existing file is never overwritten.

                Examples:
                  emomusik preset new "Calm after lunch"
                  emomusik preset new "Sam bedtime" -o presets/sam-bedtime.yaml
                """)

        @Argument(help: "The preset's name, as lists show it.")
        var name: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the preset.", valueName: "file.yaml"))
        var output: String?

        func validate() throws {
            if name.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("The preset name is empty.") }
            if FileManager.default.fileExists(atPath: destination) {
                throw ValidationError("\(destination) already exists; choose another file with -o, or remove it first.")
            }
        }

        /// `presets/calm-after-lunch.yaml` for "Calm after lunch".
        var destination: String {
            if let output { return output }
            let slug = PresetFileName.make(name)
            var isDirectory: ObjCBool = false
            let hasPresets = FileManager.default.fileExists(atPath: "presets", isDirectory: &isDirectory) && isDirectory.boolValue
            return hasPresets ? "presets/\(slug).yaml" : "\(slug).yaml"
        }

        func run() throws {
            let path = destination
            guard FileManager.default.createFile(atPath: path, contents: Data(Preset.template(name: name).utf8)) else {
                throw ValidationError("Cannot write \(path); check that its directory exists and is writable.")
            }
            print("wrote \(path)")
            print("edit it, then check it with: emomusik preset validate \(path)")
        }
    }

    struct Instruments: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the 128 General MIDI instruments with the numbers presets use (1...128).",
            discussion: """
                Examples:
                  emomusik preset instruments
                  emomusik preset instruments | grep -i flute
                """)

        func run() {
            for (index, name) in GeneralMIDI.names.enumerated() {
                print("\(String(repeating: " ", count: 3 - String(index + 1).count))\(index + 1)  \(name)")
            }
        }
    }
}

/// File names from preset names.
enum PresetFileName {
    /// Lower-case letters and digits joined by hyphens: "Sam's bedtime!" → "sam-s-bedtime".
    static func make(_ name: String) -> String {
        let words = name.lowercased().split { !($0.isLetter || $0.isNumber) || !$0.isASCII }
        return words.isEmpty ? "preset" : words.joined(separator: "-")
    }
}
