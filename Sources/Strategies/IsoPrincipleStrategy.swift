import EmoMusikCore
import EmoMusikPlugins

/// `iso-principle`: first match the child, then lead toward the goal.
///
/// The music starts at the child's affect when the first face is seen, then moves toward
/// `goal.target` by at most `goal.leadRate` affect units per minute of session time. It holds
/// still (does not lead) while the child is moving away from the target — their distance to it
/// grew by more than `hold-threshold` over the last `window` seconds — and while the music is
/// already `max-lead` or more ahead of the child. When the face is lost it holds where it is.
public final class IsoPrincipleStrategy: RecommenderStrategy {
    public static let descriptor = PluginDescriptor(
        id: "iso-principle", displayName: "Iso principle", version: "1.0.0", kind: .strategy,
        summary: "Start at the child's affect, lead toward the target at a bounded rate, pause while the child moves away.",
        options: [
            PluginOption(
                name: "hold-threshold", type: .number,
                help: "Pause leading when the child's distance to the target grew by more than this over the window",
                unit: "affect units", defaultValue: .number(0.05), range: 0...2),
            PluginOption(
                name: "window", type: .number, help: "How far back to look when judging whether the child moves away",
                unit: "s", defaultValue: .number(4), range: 0.1...120),
            PluginOption(
                name: "max-lead", type: .number, help: "Never lead further than this ahead of the child",
                unit: "affect units", defaultValue: .number(0.6), range: 0.05...3),
            paletteOption,
        ])

    let holdThreshold: Double
    let window: Double
    let maxLead: Double
    let palette: ScalePalette

    /// Where the music is now; nil until the first face.
    public private(set) var position: Affect?
    private var lastTime: Double?

    public init(options: PluginOptions) throws {
        holdThreshold = options.number("hold-threshold")
        window = options.number("window")
        maxLead = options.number("max-lead")
        palette = ScalePalette(rawValue: options.string("palette"))!
    }

    public func reset() {
        position = nil
        lastTime = nil
    }

    public func recommend(_ context: StrategyContext) -> MusicalTarget {
        let elapsed = max(0, context.now - (lastTime ?? context.now))
        lastTime = context.now
        func target(_ affect: Affect, _ reason: String) -> MusicalTarget {
            position = affect
            return MusicalTarget(affect: affect, palette: palette, reason: reason)
        }

        guard let child = context.current else {
            if let position { return target(position, "face lost: holding") }
            return MusicalTarget(affect: context.goal.neutral, palette: palette, reason: "no face seen yet: resting at neutral")
        }
        guard let position else { return target(child, "matching the child") }

        let goal = context.goal.target
        if position == goal { return target(goal, "at target") }

        // Is the child moving away from the target? Compare with the sample `window` seconds ago.
        let reference = context.history.last { $0.time <= context.now - window } ?? context.history[0]
        let drift = child.distance(to: goal) - reference.affect.distance(to: goal)
        if drift > holdThreshold {
            return target(position, "holding: child moving away from target")
        }

        let next = position.stepped(toward: goal, by: max(0, context.goal.leadRate) * elapsed / 60)
        if next.distance(to: child) > maxLead && next.distance(to: child) > position.distance(to: child) {
            return target(position, "holding: waiting for the child to follow")
        }
        return target(next, next == goal ? "at target" : "leading toward target")
    }
}
