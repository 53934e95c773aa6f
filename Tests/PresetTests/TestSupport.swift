import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Strategies

/// Strategy descriptors standing in for the plugin registry: the four ids presets use, with
/// options of every kind so the option checks have something to check.
let testStrategies: [PluginDescriptor] = [
    PluginDescriptor(
        id: "iso-principle", displayName: "Iso principle", version: "1.0.0", kind: .strategy,
        summary: "Meet the child's affect, then lead toward the target.",
        options: [
            PluginOption(name: "patience", type: .integer, help: "Seconds to wait", unit: "s", defaultValue: .integer(10), range: 0...120),
            PluginOption(name: "start", type: .choice, help: "Where to start", choices: ["match", "target"]),
            PluginOption(name: "smoothing", type: .number, help: "Smoothing", range: 0...1),
            PluginOption(name: "pause-when-away", type: .boolean, help: "Pause leading while the child moves away"),
        ]),
    PluginDescriptor(id: "mirror", displayName: "Mirror", version: "1.0.0", kind: .strategy, summary: "Follow the child."),
    PluginDescriptor(id: "regulate", displayName: "Regulate", version: "1.0.0", kind: .strategy, summary: "Counter extremes."),
    PluginDescriptor(id: "lullaby", displayName: "Lullaby", version: "1.0.0", kind: .strategy, summary: "Wind down."),
    PluginDescriptor(id: "manual", displayName: "Manual", version: "1.0.0", kind: .recognizer, summary: "Keyboard input."),
]

/// The strategies compiled into emomusik: what the shipped presets must validate against.
let builtInStrategies: [PluginDescriptor] = BuiltInPlugins.strategies.map { $0.descriptor }

/// The directory of the fixtures copied into the test bundle.
let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

/// The package root: the nearest directory above this file with a Package.swift.
let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        url.deleteLastPathComponent()
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

/// The names (without extension) of the malformed fixtures.
func malformedFixtureNames() -> [String] {
    let directory = fixtures.appendingPathComponent("malformed")
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
}

func read(_ url: URL) throws -> String {
    try String(contentsOf: url, encoding: .utf8)
}
