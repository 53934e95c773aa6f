import ArgumentParser
import Composer
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Recognition
import Sessions
import Strategies

/// `--strategy` and its options: when given, a timeline is the child's affect and the strategy
/// decides what the music expresses.
struct StrategyOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A strategy plugin (see 'emomusik plugins list'); the timeline then describes the child, and the strategy leads the music.",
            valueName: "id"))
    var strategy: String?

    @Option(
        name: .customLong("strategy-option"),
        help: ArgumentHelp("An option of the strategy, as name=value; repeatable.", valueName: "name=value"))
    var strategyOptions: [String] = []

    func validate() throws {
        _ = try parsedOptions()
        if !strategyOptions.isEmpty && strategy == nil {
            throw ValidationError("--strategy-option needs --strategy (or a preset naming a strategy).")
        }
    }

    /// `name=value` pairs as typed values: integers, numbers, true/false, or text.
    func parsedOptions() throws -> [String: PluginOptionValue] {
        var options: [String: PluginOptionValue] = [:]
        for pair in strategyOptions {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--strategy-option '\(pair)' must look like name=value, e.g. hold-threshold=0.1.")
            }
            options[parts[0]] = Self.value(parts[1])
        }
        return options
    }

    static func value(_ text: String) -> PluginOptionValue {
        if let n = Int(text) { return .integer(n) }
        if let x = Double(text) { return .number(x) }
        if text == "true" || text == "false" { return .boolean(text == "true") }
        return .string(text)
    }
}

/// The plugins this run can use: built-ins, then libraries under the project's `plugins/`, then
/// `$EMOMUSIK_PLUGIN_PATH` and the per-user directory.
func standardRegistry() -> PluginRegistry {
    PluginRegistry.standard(
        projectDirectory: FileManager.default.currentDirectoryPath, recognizers: [EmoMusikNetRecognizer.self])
}

/// The composer's targets when a strategy leads: the strategy's decisions while the child shows `child`.
func strategyTargets(
    child: AffectTimeline, strategyID: String, options: [String: PluginOptionValue], goal: SessionGoal,
    registry: PluginRegistry
) throws -> [TargetKeyframe] {
    let strategy = try registry.makeStrategy(id: strategyID, options: options)
    let session = OfflineSession()
    let decisions = session.decisions(following: child, strategy: strategy, goal: goal)
    return OfflineSession.targets(for: decisions, duration: child.duration)
}
