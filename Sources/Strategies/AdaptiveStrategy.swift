import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// `adaptive`: a contextual bandit, per child, over a small set of musical choices.
///
/// **Arms.** Eight: palette {diatonic, pentatonic} × percussion {on, off} × lead {gentle, medium},
/// where the lead is how far ahead of the child the music may go on its way to the target
/// (`gentle-lead` / `medium-lead` affect units, as iso-principle's `max-lead`).
///
/// **Context.** The quadrant of the circumplex the child is in when the decision is made:
/// `q1` pleasant-excited (valence ≥ 0, arousal ≥ 0), `q2` unpleasant-excited, `q3`
/// unpleasant-calm, `q4` pleasant-calm.
///
/// **Reward.** A decision at the child's sample time `t₀`, distance `d₀` to `goal.target`, is held
/// for `reward-delay` seconds. At the first ``recommend(_:)`` with `now ≥ t₀ + reward-delay` the
/// reward is read from the history: the latest sample at or before `t₀ + reward-delay` (at time
/// `t₁`, distance `d₁`) gives `(d₀ − d₁) · 60 / (t₁ − t₀)`, the decrease in distance to the target
/// in affect units per minute; then the next decision is made.
///
/// **Algorithm.** Thompson sampling with a Normal–Gamma posterior per context × arm (unknown mean
/// and variance; Murphy 2007, "Conjugate Bayesian analysis of the Gaussian distribution", §3).
/// Prior μ₀ = 0, κ₀ = 1, α₀ = 2, β₀ = `prior-sd`². After n rewards with mean x̄ and sum of squared
/// deviations S: κₙ = κ₀ + n, μₙ = (κ₀μ₀ + n x̄)/κₙ, αₙ = α₀ + n/2,
/// βₙ = β₀ + S/2 + κ₀ n (x̄ − μ₀)² / (2κₙ). Each decision draws τ ~ Gamma(αₙ, rate βₙ) and
/// θ ~ N(μₙ, `exploration`² / (κₙ τ)) for every arm and plays the largest θ (ties: the lower arm).
/// `exploration` 0 is greedy on μₙ. Random draws come from SplitMix64 seeded with `seed` mixed
/// with the number of rewards the profile holds, so a session is reproducible from the seed and
/// the profile it started with.
///
/// **Music.** Between decisions the music's affect behaves like iso-principle: it starts at the
/// child, walks toward `goal.target` at `goal.leadRate` per minute, and holds while it would be
/// more than the arm's lead ahead of the child. The arm's palette and percussion go to the composer.
///
/// **Profile.** Statistics live in ``ChildProfile/values`` under
/// `adaptive.<context>.arm<k>.n`, `.sum`, `.sumsq` (k = index in ``arms``). They are read from the
/// context's profile at the first ``recommend(_:)`` of a session; ``learnedProfile`` is that
/// profile with every reward of this session added. **The host saves it at session end**, after the
/// last `recommend` and before `reset()` or dropping the strategy:
/// `try ChildProfileStore().save((strategy as! AdaptiveStrategy).learnedProfile)`, and loads it
/// with `ChildProfileStore().load(id:)` into ``StrategyContext/profile`` at the next session.
public final class AdaptiveStrategy: LearningStrategy {
    public static let descriptor = PluginDescriptor(
        id: "adaptive", displayName: "Adaptive", version: "1.0.0", kind: .strategy,
        summary: "Learns per child which musical choices move them toward the target (a contextual bandit).",
        options: [
            PluginOption(
                name: "exploration", type: .number,
                help: "Width of the posterior draws (Thompson sampling): 0 is greedy, 1 is standard, more explores more",
                defaultValue: .number(1), range: 0...10),
            PluginOption(
                name: "reward-delay", type: .number,
                help: "Hold each choice this long, then reward it by how much the child moved toward the target",
                unit: "s", defaultValue: .number(8), range: 0.5...300),
            PluginOption(
                name: "seed", type: .integer, help: "Seed of the random draws (a session is reproducible from it and the profile)",
                defaultValue: .integer(1), range: 0...Double(Int32.max)),
            PluginOption(
                name: "prior-sd", type: .number,
                help: "Prior spread of an arm's reward before it was tried", unit: "affect units per minute",
                defaultValue: .number(0.5), range: 0.001...10),
            PluginOption(
                name: "gentle-lead", type: .number, help: "How far ahead of the child a gentle-lead arm may take the music",
                unit: "affect units", defaultValue: .number(0.3), range: 0.01...3),
            PluginOption(
                name: "medium-lead", type: .number, help: "How far ahead of the child a medium-lead arm may take the music",
                unit: "affect units", defaultValue: .number(0.6), range: 0.01...3),
        ])

    /// One musical choice.
    public struct Arm: Sendable, Hashable, CustomStringConvertible {
        public enum Lead: String, Sendable, Hashable { case gentle, medium }
        public var palette: ScalePalette
        public var percussion: Bool
        public var lead: Lead

        public var description: String { "\(palette), \(percussion ? "drums" : "no drums"), \(lead) lead" }
    }

    /// The arms, indexed as in the profile keys.
    public static let arms: [Arm] = ScalePalette.allCases.flatMap { palette in
        [true, false].flatMap { percussion in
            [Arm.Lead.gentle, .medium].map { Arm(palette: palette, percussion: percussion, lead: $0) }
        }
    }

    /// The child's affect region a decision is made in.
    public enum Region: String, Sendable, Hashable, CaseIterable {
        case q1, q2, q3, q4

        public init(_ affect: Affect) {
            switch (affect.valence >= 0, affect.arousal >= 0) {
            case (true, true): self = .q1
            case (false, true): self = .q2
            case (false, false): self = .q3
            case (true, false): self = .q4
            }
        }
    }

    /// Sufficient statistics of one context × arm's rewards.
    public struct Statistics: Sendable, Equatable {
        public var n: Double = 0
        public var sum: Double = 0
        public var sumsq: Double = 0
        public var mean: Double { n > 0 ? sum / n : 0 }

        mutating func add(_ reward: Double) {
            n += 1
            sum += reward
            sumsq += reward * reward
        }
    }

    /// The profile key of one statistic (`field` is `n`, `sum` or `sumsq`).
    public static func key(_ region: Region, arm: Int, _ field: String) -> String {
        "adaptive.\(region.rawValue).arm\(arm).\(field)"
    }

    let exploration: Double
    let rewardDelay: Double
    let seed: UInt64
    let priorSD: Double
    let leads: [Arm.Lead: Double]

    /// The statistics as learnt so far, by context and arm index.
    public private(set) var statistics: [Region: [Statistics]] = [:]
    /// The profile this session started from, with every reward of the session added. Save it at
    /// session end (see the type's documentation).
    public private(set) var learnedProfile: ChildProfile = .anonymous
    /// The arm being played; nil before the first decision.
    public private(set) var currentArm: Int?
    /// Where the music is now; nil until the first face.
    public private(set) var position: Affect?

    private struct Pending {
        var time: Double
        var distance: Double
        var region: Region
        var arm: Int
    }

    private var loaded = false
    private var random = SplitMix64(seed: 0)
    private var pending: Pending?
    private var lastTime: Double?

    public init(options: PluginOptions) throws {
        exploration = options.number("exploration")
        rewardDelay = options.number("reward-delay")
        seed = UInt64(options.integer("seed"))
        priorSD = options.number("prior-sd")
        leads = [.gentle: options.number("gentle-lead"), .medium: options.number("medium-lead")]
    }

    /// Forgets the session (music position, pending decision). The learnt statistics are read
    /// again from the next context's profile; ``learnedProfile`` keeps its value until then.
    public func reset() {
        loaded = false
        pending = nil
        currentArm = nil
        position = nil
        lastTime = nil
    }

    /// Reads the statistics from `profile` (entries that are missing, not finite or negative
    /// counts count as untried) and seeds the random draws.
    private func load(_ profile: ChildProfile) {
        learnedProfile = profile
        var total = 0.0
        for region in Region.allCases {
            statistics[region] = Self.arms.indices.map { arm in
                let n = profile.values[Self.key(region, arm: arm, "n")] ?? 0
                let sum = profile.values[Self.key(region, arm: arm, "sum")] ?? 0
                let sumsq = profile.values[Self.key(region, arm: arm, "sumsq")] ?? 0
                guard n.isFinite, sum.isFinite, sumsq.isFinite, n >= 1, sumsq >= 0 else { return Statistics() }
                total += n
                return Statistics(n: n.rounded(.down), sum: sum, sumsq: sumsq)
            }
        }
        random = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(total))
        loaded = true
    }

    private func record(_ reward: Double, region: Region, arm: Int) {
        statistics[region]![arm].add(reward)
        let s = statistics[region]![arm]
        learnedProfile.values[Self.key(region, arm: arm, "n")] = s.n
        learnedProfile.values[Self.key(region, arm: arm, "sum")] = s.sum
        learnedProfile.values[Self.key(region, arm: arm, "sumsq")] = s.sumsq
    }

    /// One Thompson draw of an arm's mean reward.
    private func draw(_ s: Statistics) -> Double {
        let (mu0, kappa0, alpha0, beta0) = (0.0, 1.0, 2.0, priorSD * priorSD)
        let mean = s.mean
        let squares = max(0, s.sumsq - s.n * mean * mean)
        let kappa = kappa0 + s.n
        let mu = (kappa0 * mu0 + s.n * mean) / kappa
        let alpha = alpha0 + s.n / 2
        let beta = beta0 + squares / 2 + kappa0 * s.n * (mean - mu0) * (mean - mu0) / (2 * kappa)
        guard exploration > 0 else { return mu }
        let tau = random.gamma(shape: alpha) / beta
        return mu + exploration * random.gaussian() / (kappa * tau).squareRoot()
    }

    private func choose(in region: Region) -> Int {
        var best = 0
        var bestValue = -Double.infinity
        for (arm, s) in statistics[region]!.enumerated() {
            let value = draw(s)
            if value > bestValue {
                best = arm
                bestValue = value
            }
        }
        return best
    }

    public func recommend(_ context: StrategyContext) -> MusicalTarget {
        if !loaded || learnedProfile.id != context.profile.id { load(context.profile) }
        let elapsed = max(0, context.now - (lastTime ?? context.now))
        lastTime = context.now
        let goal = context.goal.target

        guard let latest = context.history.last else {
            if let position, let arm = currentArm.map({ Self.arms[$0] }) {
                return MusicalTarget(affect: position, palette: arm.palette, percussion: arm.percussion, reason: "face lost: holding")
            }
            return MusicalTarget(affect: context.goal.neutral, reason: "no face seen yet: resting at neutral")
        }
        let child = latest.affect

        // Settle the pending decision, then decide again.
        if let decision = pending, context.now >= decision.time + rewardDelay {
            let end = context.history.last { $0.time <= decision.time + rewardDelay } ?? latest
            if end.time > decision.time {
                let reward = (decision.distance - end.affect.distance(to: goal)) * 60 / (end.time - decision.time)
                if reward.isFinite { record(reward, region: decision.region, arm: decision.arm) }
            }
            pending = nil
        }
        var decided = false
        if pending == nil {
            let region = Region(child)
            let arm = choose(in: region)
            pending = Pending(time: latest.time, distance: child.distance(to: goal), region: region, arm: arm)
            currentArm = arm
            decided = true
        }
        let arm = Self.arms[currentArm!]
        let region = pending!.region.rawValue

        guard let position else {
            self.position = child
            return MusicalTarget(
                affect: child, palette: arm.palette, percussion: arm.percussion,
                reason: "matching the child; trying \(arm) (\(region))")
        }
        var next = position.stepped(toward: goal, by: max(0, context.goal.leadRate) * elapsed / 60)
        let maxLead = leads[arm.lead]!
        var holding = false
        if next.distance(to: child) > maxLead && next.distance(to: child) > position.distance(to: child) {
            next = position
            holding = true
        }
        self.position = next
        let motion = next == goal ? "at target" : holding ? "holding for the child" : "leading toward target"
        return MusicalTarget(
            affect: next, palette: arm.palette, percussion: arm.percussion,
            reason: "\(motion); \(decided ? "trying" : "playing") \(arm) (\(region))")
    }
}

extension SplitMix64 {
    /// A standard normal draw (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = max(nextUnit(), 0x1.0p-53)
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A Gamma(shape, scale 1) draw for shape ≥ 1 (Marsaglia & Tsang 2000, "A simple method for
    /// generating gamma variables").
    mutating func gamma(shape: Double) -> Double {
        precondition(shape >= 1, "gamma(shape:) needs shape ≥ 1")
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = gaussian()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextUnit()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
