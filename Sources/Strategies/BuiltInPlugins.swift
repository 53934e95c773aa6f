import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// The plugins compiled into emomusik.
public enum BuiltInPlugins {
    /// Strategy types, in the order they are registered.
    public static var strategies: [any RecommenderStrategy.Type] { [MirrorStrategy.self, IsoPrincipleStrategy.self, RegulateStrategy.self, AdaptiveStrategy.self] }

    /// [control thread] Registers every built-in plugin with source `.builtIn`.
    public static func register(into registry: PluginRegistry) throws {
        for strategy in strategies {
            try registry.register(strategy: strategy, source: .builtIn)
        }
    }
}

extension PluginRegistry {
    /// [control thread] The registry a session starts with: the built-in plugins, then every external
    /// plugin library the ``PluginLoader`` finds under `projectDirectory/plugins`, in
    /// `$EMOMUSIK_PLUGIN_PATH` and in the per-user directory. Libraries that cannot be used are
    /// listed in ``failures``.
    ///
    /// `recognizers` are further built-in recognizers from modules this one does not depend on
    /// (the host passes `emomusik-net`).
    public static func standard(
        projectDirectory: String? = FileManager.default.currentDirectoryPath,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        recognizers: [any EmotionRecognizer.Type] = []
    ) -> PluginRegistry {
        let registry = PluginRegistry()
        do {
            try BuiltInPlugins.register(into: registry)
            for recognizer in recognizers { try registry.register(recognizer: recognizer, source: .builtIn) }
        } catch {
            preconditionFailure("built-in plugins must register cleanly: \(error)")
        }
        PluginLoader.loadAll(into: registry, projectDirectory: projectDirectory, environment: environment)
        return registry
    }
}

/// The palette option both built-in strategies take.
let paletteOption = PluginOption(
    name: "palette", type: .choice, help: "Pitch material: the full mode, or pentatonic (no semitone clashes)",
    defaultValue: .string(ScalePalette.diatonic.rawValue), choices: ScalePalette.allCases.map(\.rawValue))

extension Affect {
    /// Moves toward `goal` by at most `step` (Euclidean distance), landing on it when closer.
    func stepped(toward goal: Affect, by step: Double) -> Affect {
        let distance = self.distance(to: goal)
        guard distance > step, distance > 0 else { return goal }
        return interpolated(to: goal, by: step / distance)
    }
}
