import ArgumentParser
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Recognition
import Strategies

/// `emomusik plugins list|build`: what recognizers and strategies are available, and building the
/// external ones in plugins/.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the recognizer and strategy plugins, and build the external ones.",
        discussion: """
            Built-in plugins are compiled into emomusik. External plugins are dynamic
            libraries, found in plugins/*/.build/release (or .build/debug) under the
            project directory, in each directory of $EMOMUSIK_PLUGIN_PATH
            (colon-separated), and in $XDG_DATA_HOME/emomusik/plugins (default
            ~/.local/share/emomusik/plugins). A library built for another plugin ABI
            version or Swift toolchain is listed as skipped, with the reason.

            Examples:
              emomusik plugins build                 # every package in plugins/
              emomusik plugins build lullaby
              emomusik plugins list
              emomusik plugins list --json
              EMOMUSIK_PLUGIN_PATH=/opt/emomusik/plugins emomusik plugins list
            """,
        subcommands: [List.self, Build.self],
        defaultSubcommand: List.self
    )
}

/// The project directory option both subcommands share.
struct ProjectOptions: ParsableArguments {
    @Option(
        name: .customLong("project"),
        help: ArgumentHelp("The project directory whose plugins/ to use.", valueName: "dir"))
    var directory: String = FileManager.default.currentDirectoryPath

    /// `path` relative to the project directory when it lies inside it.
    func display(_ path: String) -> String {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

extension PluginsCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every plugin (id, kind, version, source, status) and the libraries that were skipped.",
            discussion: """
                Examples:
                  emomusik plugins list
                  emomusik plugins list --json
                """)

        @OptionGroup var project: ProjectOptions

        @Flag(help: "Print JSON (plugins with their descriptors and options, then failures).")
        var json = false

        struct Listing: Encodable {
            struct Plugin: Encodable {
                var id, kind, version, displayName, summary, source, status: String
                var options: [Option]
            }
            /// An option as plain JSON: the default as a JSON number, boolean or string.
            struct Option: Encodable {
                var name, type, help: String
                var unit: String?
                var defaultValue: Value?
                var range: [Double]?
                var choices: [String]?

                init(_ option: PluginOption) {
                    name = option.name
                    type = option.type.rawValue
                    help = option.help
                    unit = option.unit
                    defaultValue = option.defaultValue.map { Value(value: $0) }
                    range = option.range.map { [$0.lowerBound, $0.upperBound] }
                    choices = option.choices.isEmpty ? nil : option.choices
                }
            }
            struct Value: Encodable {
                var value: PluginOptionValue
                func encode(to encoder: any Encoder) throws {
                    var container = encoder.singleValueContainer()
                    switch value {
                    case .number(let x): try container.encode(x)
                    case .integer(let n): try container.encode(n)
                    case .boolean(let b): try container.encode(b)
                    case .string(let s): try container.encode(s)
                    }
                }
            }
            var plugins: [Plugin]
            var failures: [[String: String]]
        }

        func run() throws {
            let registry = PluginRegistry.standard(
                projectDirectory: project.directory, recognizers: [EmoMusikNetRecognizer.self])
            let entries = registry.entries
            let failures = registry.failures
            if json {
                printJSON(Listing(
                    plugins: entries.map {
                        .init(
                            id: $0.id, kind: $0.kind.rawValue, version: $0.version, displayName: $0.descriptor.displayName,
                            summary: $0.descriptor.summary, source: $0.source.description, status: $0.status,
                            options: $0.descriptor.options.map(Listing.Option.init))
                    },
                    failures: failures.map { ["path": $0.path, "reason": $0.reason] }))
                return
            }
            let rows = [["ID", "KIND", "VERSION", "SOURCE", "STATUS"]]
                + entries.map { [$0.id, $0.kind.rawValue, $0.version, project.display($0.source.description), $0.status] }
            let widths = (0..<5).map { column in rows.map { $0[column].count }.max()! }
            for row in rows {
                let cells = row.enumerated().map { index, cell in
                    index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }
                print(cells.joined(separator: "  "))
            }
            if !failures.isEmpty {
                print("\nSkipped \(failures.count == 1 ? "1 library" : "\(failures.count) libraries"):")
                for failure in failures {
                    print("  \(project.display(failure.path)): \(failure.reason)")
                }
            }
        }
    }

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build the plugin packages in plugins/ with this machine's Swift toolchain.",
            discussion: """
                Runs `swift build -c release --package-path plugins/NAME` for each plugin
                package (every directory of plugins/ with a Package.swift, or the ones named),
                showing the compiler's output as it comes. Plugins must be built with the
                toolchain that built emomusik; `emomusik plugins list` shows any that were
                not.

                Examples:
                  emomusik plugins build
                  emomusik plugins build lullaby manual
                  emomusik plugins build --configuration debug
                """)

        @Argument(help: ArgumentHelp("Plugin directories under plugins/ to build (default: all).", valueName: "name"))
        var names: [String] = []

        @Option(name: [.customShort("c"), .long], help: "Build configuration: release or debug.")
        var configuration: Configuration = .release

        @OptionGroup var project: ProjectOptions

        enum Configuration: String, ExpressibleByArgument, CaseIterable {
            case release, debug
        }

        /// Plugin package directories (names) under plugins/.
        func packages() -> [String] {
            let root = URL(fileURLWithPath: project.directory).appendingPathComponent("plugins")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
            return names.filter {
                FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("Package.swift").path)
            }.sorted()
        }

        func validate() throws {
            let available = packages()
            guard !available.isEmpty else {
                throw ValidationError("No plugin packages in \(project.directory)/plugins (a directory with a Package.swift each). Use --project to name the project directory.")
            }
            for name in names where !available.contains(name) {
                let suggestion = closestMatch(to: name, among: available).map { " Did you mean '\($0)'?" } ?? ""
                throw ValidationError("No plugin package 'plugins/\(name)'.\(suggestion) Available: \(available.joined(separator: ", ")).")
            }
        }

        func run() throws {
            guard let swift = Self.swiftExecutable() else {
                throw EmoMusikError(
                    .plugin, "swift is not on PATH", hint: "put the toolchain that built emomusik on PATH (for example /opt/swift/usr/bin)")
            }
            var failed: [String] = []
            for name in names.isEmpty ? packages() : names {
                let package = URL(fileURLWithPath: project.directory).appendingPathComponent("plugins").appendingPathComponent(name).path
                let arguments = ["build", "-c", configuration.rawValue, "--package-path", package]
                FileHandle.standardError.write(Data("==> swift \(arguments.joined(separator: " "))\n".utf8))
                // Output goes straight to our stdout and stderr, as the compiler writes it.
                let process = Process()
                process.executableURL = URL(fileURLWithPath: swift)
                process.arguments = arguments
                try process.run()
                process.waitUntilExit()
                if process.terminationStatus != 0 {
                    failed.append(name)
                    FileHandle.standardError.write(Data("==> \(name): swift build failed (exit status \(process.terminationStatus))\n".utf8))
                }
            }
            if !failed.isEmpty {
                throw EmoMusikError(.plugin, "could not build \(failed.joined(separator: ", "))", hint: "see the compiler's messages above")
            }
            print("Built. Run 'emomusik plugins list' to check they load.")
        }

        static func swiftExecutable() -> String? {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
            return path.split(separator: ":").map { "\($0)/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
    }
}
