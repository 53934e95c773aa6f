import EmoMusikCore
import EmoMusikPlugins

/// `regulate`: counter what the child shows. High arousal is met with calmer music, low mood with
/// gently brighter music; otherwise the music follows the child.
///
/// From the child's latest affect `c` it computes a regulated point `r`:
/// - when `c.arousal > arousal-threshold`, `r.arousal = c.arousal + calming × (A − c.arousal)` with
///   `A = min(goal.target.arousal, arousal-threshold)` (always calmer than the child);
/// - when `c.valence < valence-threshold`, `r.valence = c.valence + lift × (V − c.valence)` with
///   `V = max(goal.target.valence, valence-threshold)` (always brighter than the child);
/// - each other coordinate is the child's own.
///
/// The first target after a face is seen is `r` itself; after that the music moves toward the
/// current `r` by at most `goal.leadRate` affect units per minute of session time, so it never
/// jumps. When the face is lost it holds; before any face it rests at the goal's neutral point.
/// While calming, percussion is switched off. Deterministic: the same contexts give the same targets.
public final class RegulateStrategy: RecommenderStrategy {
    public static let descriptor = PluginDescriptor(
        id: "regulate", displayName: "Regulate", version: "1.0.0", kind: .strategy,
        summary: "Counter high arousal with calming music, low mood with gentle brightening.",
        options: [
            PluginOption(
                name: "arousal-threshold", type: .number,
                help: "Calm the music when the child's arousal is above this", unit: "arousal",
                defaultValue: .number(0.3), range: -1...1),
            PluginOption(
                name: "valence-threshold", type: .number,
                help: "Brighten the music when the child's valence is below this", unit: "valence",
                defaultValue: .number(-0.2), range: -1...1),
            PluginOption(
                name: "calming", type: .number,
                help: "How far toward the calm arousal to set the music (0: mirror, 1: all the way)",
                defaultValue: .number(0.5), range: 0...1),
            PluginOption(
                name: "lift", type: .number,
                help: "How far toward the brighter valence to set the music (0: mirror, 1: all the way)",
                defaultValue: .number(0.3), range: 0...1),
            PluginOption(
                name: "palette", type: .choice,
                help: "Pitch material: the full mode, or pentatonic (no semitone clashes)",
                defaultValue: .string(ScalePalette.pentatonic.rawValue), choices: ScalePalette.allCases.map(\.rawValue)),
        ])

    let arousalThreshold: Double
    let valenceThreshold: Double
    let calming: Double
    let lift: Double
    let palette: ScalePalette

    /// Where the music is now; nil until the first face.
    public private(set) var position: Affect?
    private var lastTime: Double?
    private var lastPercussion: Bool?

    public init(options: PluginOptions) throws {
        arousalThreshold = options.number("arousal-threshold")
        valenceThreshold = options.number("valence-threshold")
        calming = options.number("calming")
        lift = options.number("lift")
        palette = ScalePalette(rawValue: options.string("palette"))!
    }

    public func reset() {
        position = nil
        lastTime = nil
        lastPercussion = nil
    }

    /// The point the music aims for while the child shows `child`, and why.
    public func regulatedPoint(for child: Affect, goal: SessionGoal) -> (affect: Affect, calming: Bool, brightening: Bool) {
        var point = child
        let calm = child.arousal > arousalThreshold
        let brighten = child.valence < valenceThreshold
        if calm {
            let aim = min(goal.target.arousal, arousalThreshold)
            point.arousal = child.arousal + calming * (aim - child.arousal)
        }
        if brighten {
            let aim = max(goal.target.valence, valenceThreshold)
            point.valence = child.valence + lift * (aim - child.valence)
        }
        return (Affect(valence: point.valence, arousal: point.arousal), calm, brighten)
    }

    public func recommend(_ context: StrategyContext) -> MusicalTarget {
        let elapsed = max(0, context.now - (lastTime ?? context.now))
        lastTime = context.now
        guard let child = context.current else {
            if let position {
                return MusicalTarget(affect: position, palette: palette, percussion: lastPercussion, reason: "face lost: holding")
            }
            return MusicalTarget(affect: context.goal.neutral, palette: palette, reason: "no face seen yet: resting at neutral")
        }
        let (point, calm, brighten) = regulatedPoint(for: child, goal: context.goal)
        let next = position.map { $0.stepped(toward: point, by: max(0, context.goal.leadRate) * elapsed / 60) } ?? point
        position = next
        lastPercussion = calm ? false : nil
        let reason =
            switch (calm, brighten) {
            case (true, true): "calming and brightening: child over-aroused and low"
            case (true, false): "calming: child over-aroused"
            case (false, true): "brightening: child's mood low"
            case (false, false): "following the child"
            }
        return MusicalTarget(affect: next, palette: palette, percussion: lastPercussion, reason: reason)
    }
}
