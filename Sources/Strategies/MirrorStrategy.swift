import EmoMusikCore
import EmoMusikPlugins

/// `mirror`: the music follows the child. The target is the confidence-weighted mean of the
/// child's affect over the last `window` seconds (the latest sample alone when `window` is 0), or
/// the goal's neutral point before any face has been seen.
public final class MirrorStrategy: RecommenderStrategy {
    public static let descriptor = PluginDescriptor(
        id: "mirror", displayName: "Mirror", version: "1.0.0", kind: .strategy,
        summary: "The music follows the child's current affect.",
        options: [
            PluginOption(
                name: "window", type: .number, help: "Average the child's affect over this many recent seconds (0: latest only)",
                unit: "s", defaultValue: .number(2), range: 0...60),
            paletteOption,
        ])

    let window: Double
    let palette: ScalePalette

    public init(options: PluginOptions) throws {
        window = options.number("window")
        palette = ScalePalette(rawValue: options.string("palette"))!
    }

    public func recommend(_ context: StrategyContext) -> MusicalTarget {
        guard let latest = context.history.last else {
            return MusicalTarget(affect: context.goal.neutral, palette: palette, reason: "no face seen yet: resting at neutral")
        }
        let recent = context.history.filter { $0.time >= latest.time - window }
        let weight = recent.reduce(0) { $0 + max($1.confidence, 0) }
        guard weight > 0 else {
            return MusicalTarget(affect: latest.affect, palette: palette, reason: "mirroring the child")
        }
        let valence = recent.reduce(0) { $0 + max($1.confidence, 0) * $1.affect.valence } / weight
        let arousal = recent.reduce(0) { $0 + max($1.confidence, 0) * $1.affect.arousal } / weight
        return MusicalTarget(affect: Affect(valence: valence, arousal: arousal), palette: palette, reason: "mirroring the child")
    }
}
