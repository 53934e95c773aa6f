import EmoMusikCore
import EmoMusikPlugins

/// `lullaby`: a bedtime wind-down. Starts where the child is, then lowers arousal toward
/// `arousal` and brings valence toward `valence`, each by at most `rate` per minute, on a
/// pentatonic palette without drums.
public final class LullabyStrategy: RecommenderStrategy {
    public static let descriptor = PluginDescriptor(
        id: "lullaby", displayName: "Lullaby wind-down", version: "1.0.0", kind: .strategy,
        summary: "Leads arousal down and valence to mildly positive, pentatonic, no drums.",
        options: [
            PluginOption(
                name: "rate", type: .number, help: "How fast arousal and valence move toward their targets",
                unit: "affect units per minute", defaultValue: .number(0.25), range: 0.01...2),
            PluginOption(
                name: "arousal", type: .number, help: "Where arousal ends", defaultValue: .number(-0.8), range: -1...0),
            PluginOption(
                name: "valence", type: .number, help: "Where valence ends", defaultValue: .number(0.3), range: -1...1),
        ])

    let rate: Double
    let end: Affect
    private var position: Affect?
    private var lastTime: Double?

    public init(options: PluginOptions) throws {
        rate = options.number("rate")
        end = Affect(valence: options.number("valence"), arousal: options.number("arousal"))
    }

    public func reset() {
        position = nil
        lastTime = nil
    }

    public func recommend(_ context: StrategyContext) -> MusicalTarget {
        let step = rate * max(0, context.now - (lastTime ?? context.now)) / 60
        lastTime = context.now
        func toward(_ from: Double, _ to: Double) -> Double {
            from + max(-step, min(step, to - from))
        }
        let start = position ?? context.current ?? context.goal.neutral
        let next = Affect(valence: toward(start.valence, end.valence), arousal: toward(start.arousal, end.arousal))
        position = next
        return MusicalTarget(
            affect: next, palette: .pentatonic, percussion: false,
            reason: next == end ? "lullaby: settled" : "lullaby: winding down")
    }
}

/// The one symbol emomusik looks for. It reports the plugin ABI version and the Swift toolchain
/// this library was built with; the host registers the plugin only if both match its own.
@_cdecl("emomusik_plugin_entry")
public func emomusikPluginEntry() -> UnsafeRawPointer {
    EmoMusikPluginABI.header { registrar in
        PluginRegistrar.with(registrar) { $0.register(strategy: LullabyStrategy.self) }
    }
}
