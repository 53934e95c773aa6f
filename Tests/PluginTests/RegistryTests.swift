import EmoMusikCore
import EmoMusikPlugins
import Strategies
import Testing

/// A strategy with options of every type, for option resolution.
final class ProbeStrategy: RecommenderStrategy {
    static let descriptor = PluginDescriptor(
        id: "probe", displayName: "Probe", version: "0.1.0", kind: .strategy, summary: "Test strategy.",
        options: [
            PluginOption(name: "rate", type: .number, help: "Lead rate", unit: "per minute", defaultValue: .number(0.2), range: 0...1),
            PluginOption(name: "steps", type: .integer, help: "Steps", defaultValue: .integer(4), range: 1...16),
            PluginOption(name: "gentle", type: .boolean, help: "Gentle", defaultValue: .boolean(true)),
            PluginOption(name: "mode", type: .choice, help: "Mode", defaultValue: .string("calm"), choices: ["calm", "bright"]),
            PluginOption(name: "label", type: .string, help: "A label the probe needs"),
        ])
    let options: PluginOptions
    init(options: PluginOptions) throws { self.options = options }
    func recommend(_ context: StrategyContext) -> MusicalTarget { MusicalTarget(affect: .neutral, reason: "probe") }
}

/// A recognizer that always reports happiness.
final class HappyRecognizer: EmotionRecognizer {
    static let descriptor = PluginDescriptor(
        id: "always-happy", displayName: "Always happy", version: "2.0.0", kind: .recognizer, summary: "Test recognizer.")
    init(options: PluginOptions) throws {}
    func process(_ frame: LandmarkFrame) throws -> EmotionEstimate? {
        frame.isMissing ? nil : EmotionEstimate(time: frame.time, emotion: .happiness, confidence: 0.9)
    }
}

/// A strategy that claims the built-in `mirror` id.
final class FakeMirror: RecommenderStrategy {
    static let descriptor = PluginDescriptor(
        id: "mirror", displayName: "Fake mirror", version: "9.9.9", kind: .strategy, summary: "Clashes with the built-in.")
    init(options: PluginOptions) throws {}
    func recommend(_ context: StrategyContext) -> MusicalTarget { MusicalTarget(affect: .neutral, reason: "fake") }
}

/// A strategy whose default is outside its own range.
final class BrokenDefault: RecommenderStrategy {
    static let descriptor = PluginDescriptor(
        id: "broken", displayName: "Broken", version: "0.0.1", kind: .strategy, summary: "Bad default.",
        options: [PluginOption(name: "rate", type: .number, help: "Rate", defaultValue: .number(5), range: 0...1)])
    init(options: PluginOptions) throws {}
    func recommend(_ context: StrategyContext) -> MusicalTarget { MusicalTarget(affect: .neutral, reason: "broken") }
}

func message(of body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as EmoMusikError {
        return error.message
    } catch {
        return "unexpected error type: \(error)"
    }
}

@Suite struct RegistryTests {
    func builtIns() throws -> PluginRegistry {
        let registry = PluginRegistry()
        try BuiltInPlugins.register(into: registry)
        return registry
    }

    @Test func builtInsAreListed() throws {
        let registry = try builtIns()
        try registry.register(recognizer: HappyRecognizer.self)
        #expect(registry.entries.map(\.id) == ["always-happy", "adaptive", "iso-principle", "mirror", "regulate"])
        #expect(registry.entries.map(\.kind) == [.recognizer, .strategy, .strategy, .strategy, .strategy])
        #expect(registry.entries.allSatisfy { $0.source == .builtIn && $0.status == "ready" })
        #expect(registry.failures.isEmpty)
    }

    @Test func duplicateIdIsRefusedNamingBothSources() throws {
        let registry = try builtIns()
        let text = message { try registry.register(strategy: FakeMirror.self, source: .library("/opt/plugins/libfake.so")) }
        #expect(text == "plugin id 'mirror' from /opt/plugins/libfake.so is already registered by built-in")
        // The original stays.
        #expect(registry.entry(id: "mirror")?.version == MirrorStrategy.descriptor.version)
        #expect(registry.entries.count == 4)
    }

    @Test func batchIsAllOrNothing() throws {
        let registry = try builtIns()
        #expect(throws: EmoMusikError.self) {
            try registry.register([.recognizer(HappyRecognizer.self), .strategy(FakeMirror.self)], source: .library("/x/libboth.so"))
        }
        #expect(registry.entry(id: "always-happy") == nil)
    }

    @Test func invalidDefaultIsRefused() throws {
        let registry = PluginRegistry()
        let text = message { try registry.register(strategy: BrokenDefault.self) }
        #expect(text == "plugin 'broken' from built-in has an invalid default: rate 5.0 is outside 0...1")
    }

    @Test func unknownIdGetsDidYouMean() throws {
        let registry = try builtIns()
        #expect(message { _ = try registry.makeStrategy(id: "iso-principal") } == "no strategy plugin 'iso-principal'; did you mean 'iso-principle'?")
        #expect(message { _ = try registry.makeStrategy(id: "miror") } == "no strategy plugin 'miror'; did you mean 'mirror'?")
        #expect(message { _ = try registry.makeRecognizer(id: "gcn") } == "no recognizer plugin 'gcn'")
        #expect(message { _ = try registry.makeRecognizer(id: "mirror") } == "'mirror' is a strategy plugin, not a recognizer")
    }

    @Test func makesInstancesWithResolvedOptions() throws {
        let registry = try builtIns()
        try registry.register(strategy: ProbeStrategy.self)
        try registry.register(recognizer: HappyRecognizer.self)
        let probe = try #require(try registry.makeStrategy(id: "probe", options: ["label": .string("x"), "rate": .integer(1)]) as? ProbeStrategy)
        #expect(probe.options.number("rate") == 1)
        #expect(probe.options.integer("steps") == 4)
        #expect(probe.options.bool("gentle") == true)
        #expect(probe.options.string("mode") == "calm")
        #expect(probe.options.string("label") == "x")
        let recognizer = try registry.makeRecognizer(id: "always-happy")
        let estimate = try #require(try recognizer.process(LandmarkFrame(time: 1.5, points: [SIMD2(0, 0)], confidence: 1)))
        #expect(estimate.mostLikely == .happiness)
        #expect(estimate.affect == Emotion.happiness.affect)
        #expect(try recognizer.process(.missing(at: 2)) == nil)
    }
}

@Suite struct OptionResolutionTests {
    let descriptor = ProbeStrategy.descriptor

    @Test func unknownOptionNameIsRefusedWithDidYouMean() {
        let error = #expect(throws: EmoMusikError.self) {
            try PluginOptions.resolve(["rtae": .number(0.5), "label": .string("a")], for: descriptor)
        }
        #expect(error?.message == "unknown option 'rtae' for strategy 'probe'; did you mean 'rate'?")
        #expect(error?.hint == "probe takes: rate, steps, gentle, mode, label")
        #expect(error?.code == .plugin)
    }

    @Test func optionsForAPluginWithoutOptions() {
        #expect(message { _ = try PluginOptions.resolve(["x": .integer(1)], for: HappyRecognizer.descriptor) }
            == "recognizer 'always-happy' takes no options, but 'x' was given")
    }

    @Test func outOfRangeAndWrongTypeAreRefused() {
        func text(_ given: [String: PluginOptionValue]) -> String? {
            message { _ = try PluginOptions.resolve(given.merging(["label": .string("a")]) { a, _ in a }, for: descriptor) }
        }
        #expect(text(["rate": .number(1.5)]) == "strategy 'probe': rate 1.5 is outside 0...1")
        #expect(text(["rate": .number(-0.1)]) == "strategy 'probe': rate -0.1 is outside 0...1")
        #expect(text(["steps": .integer(17)]) == "strategy 'probe': steps 17 is outside 1...16")
        #expect(text(["steps": .number(2.5)]) == "strategy 'probe': steps must be an integer, not 2.5")
        #expect(text(["gentle": .string("yes")]) == "strategy 'probe': gentle must be true or false, not \"yes\"")
        #expect(text(["mode": .string("brigt")]) == "strategy 'probe': mode \"brigt\" is not one of calm, bright; did you mean \"bright\"?")
        #expect(text(["rate": .number(.nan)]) == "strategy 'probe': rate must be a finite number")
        #expect(text(["rate": .number(1)]) == nil)
    }

    @Test func missingOptionWithoutDefaultIsRefused() {
        #expect(message { _ = try PluginOptions.resolve([:], for: descriptor) }
            == "strategy 'probe' needs option 'label' (text): A label the probe needs")
    }

    @Test func integerGivenForNumberBecomesNumber() throws {
        let options = try PluginOptions.resolve(["rate": .integer(0), "label": .string("a")], for: descriptor)
        #expect(options.values["rate"] == .number(0))
        #expect(options.values.count == descriptor.options.count)
    }
}
