import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Strategies
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Loads real dynamic libraries: the example plugins built with `swift build`, and small C
/// libraries that are not plugins or were built for another ABI.
@Suite(.serialized) struct DynamicLoadingTests {
    func registry(pluginPath: String) -> PluginRegistry {
        PluginRegistry.standard(projectDirectory: nil, environment: ["EMOMUSIK_PLUGIN_PATH": pluginPath])
    }

    @Test(.enabled(if: ExamplePlugin.swift != nil, "swift is not on PATH: cannot build plugins/lullaby"),
          .timeLimit(.minutes(10)))
    func lullabyPluginLoadsAndWindsDown() throws {
        let bin = try ExamplePlugin.lullaby.get()
        let registry = registry(pluginPath: bin)
        #expect(registry.failures == [])
        let entry = try #require(registry.entry(id: "lullaby"))
        #expect(entry.source == .library("\(bin)/libLullaby.so"))
        #expect(entry.kind == .strategy)
        #expect(entry.version == "1.0.0")
        #expect(registry.entries.map(\.id) == ["adaptive", "iso-principle", "lullaby", "mirror", "regulate"])
        // The plugin reuses the host's libEmoMusikPluginAPI.so (by name) instead of loading the copy
        // beside it: one copy of every type, so its conformances are the host's protocols.
        let maps = try #require(FileHandle(forReadingAtPath: "/proc/self/maps")).readDataToEndOfFile()  // size 0 in stat
        let mapped = String(decoding: maps, as: UTF8.self).split(separator: "\n")
            .compactMap { line in line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) }
            .filter { $0.hasSuffix("/" + PluginLoader.apiLibraryName) }
        #expect(Set(mapped).count == 1)
        #expect(!Set(mapped).contains("\(bin)/\(PluginLoader.apiLibraryName)"))
        #expect(Set(mapped).contains { !$0.contains("/plugins/lullaby/") })

        // Options are checked against the plugin's descriptor, which crossed the boundary.
        #expect(message { _ = try registry.makeStrategy(id: "lullaby", options: ["rate": .number(5)]) }
            == "strategy 'lullaby': rate 5.0 is outside 0.01...2")
        #expect(message { _ = try registry.makeStrategy(id: "lulaby") } == "no strategy plugin 'lulaby'; did you mean 'lullaby'?")

        let lullaby = try registry.makeStrategy(id: "lullaby", options: ["rate": .number(0.6)])
        #expect(type(of: lullaby).descriptor.displayName == "Lullaby wind-down")
        let goal = SessionGoal(target: .neutral, leadRate: 0.2)
        let child = Affect(valence: -0.2, arousal: 0.7)
        var history: [AffectSample] = []
        var arousal: [Double] = []
        for t in stride(from: 0.0, through: 60, by: 5) {
            history.append(AffectSample(time: t, affect: child))
            let target = lullaby.recommend(StrategyContext(now: t, history: history, goal: goal))
            #expect(target.palette == .pentatonic)
            #expect(target.percussion == false)
            arousal.append(target.affect.arousal)
        }
        #expect(arousal.first == child.arousal)
        #expect(zip(arousal, arousal.dropFirst()).allSatisfy { $1 < $0 })
        #expect(abs(arousal.last! - (0.7 - 0.6)) < 1e-9)  // 0.6 per minute for one minute

        // Loading the same directory again registers nothing twice and reports nothing.
        PluginLoader.loadAll(into: registry, projectDirectory: nil, environment: ["EMOMUSIK_PLUGIN_PATH": bin])
        #expect(registry.failures == [])
        #expect(registry.entries.count == 5)
    }

    @Test(.enabled(if: ExamplePlugin.swift != nil, "swift is not on PATH: cannot build plugins/manual"),
          .timeLimit(.minutes(10)))
    func manualRecognizerReadsTheTherapistsLines() throws {
        let bin = try ExamplePlugin.manual.get()
        let registry = registry(pluginPath: bin)
        #expect(registry.failures == [])
        #expect(registry.entry(id: "manual")?.kind == .recognizer)

        let directory = try makeTemporaryDirectory("manual")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = "\(directory)/input.txt"
        try "happy\n# the therapist's note\n0.4,-0.2\n".write(toFile: input, atomically: true, encoding: .utf8)
        let recognizer = try registry.makeRecognizer(id: "manual", options: ["input": .string(input)])
        let frame = LandmarkFrame.missing(at: 3.5)
        var estimate: EmotionEstimate?
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            estimate = try recognizer.process(frame)
            if estimate?.affect == Affect(valence: 0.4, arousal: -0.2) { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        let last = try #require(estimate)
        #expect(last.affect == Affect(valence: 0.4, arousal: -0.2))
        #expect(last.confidence == 1)
        #expect(last.time == 3.5)
        #expect(last.mostLikely == .neutral)  // the class nearest (0.4, -0.2)

        #expect(message { _ = try registry.makeRecognizer(id: "manual", options: ["input": .string("\(directory)/missing")]) }
            == "manual recognizer: cannot open input '\(directory)/missing'")
    }

    @Test(.enabled(if: cCompiler != nil, "no C compiler (cc or clang) on PATH"))
    func nonPluginsAndWrongABIsAreReportedAndSkipped() throws {
        let directory = try makeTemporaryDirectory("c-libraries")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try buildC("libaaa_not_a_plugin.so", in: directory, source: "int emomusik_test_answer(void) { return 42; }\n")
        try buildC("libbbb_abi999.so", in: directory, source: header(version: 999, toolchain: EmoMusikPluginABI.toolchain.description))
        try buildC("libccc_old_swift.so", in: directory, source: header(version: 1, toolchain: "swift-5.9"))
        try buildC("libddd_empty.so", in: directory, source: header(version: 1, toolchain: EmoMusikPluginABI.toolchain.description))
        try buildC("libeee_bad_magic.so", in: directory, source: header(version: 1, toolchain: "swift-6.3", magic: "0x12345678u"))
        try "not an ELF file".write(toFile: "\(directory)/libfff_garbage.so", atomically: true, encoding: .utf8)
        try "ignored".write(toFile: "\(directory)/notes.txt", atomically: true, encoding: .utf8)
        try buildC(PluginLoader.apiLibraryName, in: directory, source: "int emomusik_test_api(void) { return 1; }\n")

        let registry = registry(pluginPath: directory + ":" + directory + "/does-not-exist")
        let failures = registry.failures
        let host = EmoMusikPluginABI.toolchain.description
        #expect(failures.map(\.path) == [
            "\(directory)/libaaa_not_a_plugin.so", "\(directory)/libbbb_abi999.so", "\(directory)/libccc_old_swift.so",
            "\(directory)/libddd_empty.so", "\(directory)/libeee_bad_magic.so", "\(directory)/libfff_garbage.so",
            "\(directory)/does-not-exist",
        ])
        guard failures.count == 7 else { return }
        #expect(failures[0].reason == "not an EmoMusik plugin: no emomusik_plugin_entry symbol")
        #expect(failures[1].reason == "built for plugin ABI version 999, but this emomusik uses version 1;"
            + " rebuild the plugin against this emomusik's sources ('emomusik plugins build')")
        #expect(failures[2].reason == "built with swift-5.9, but this emomusik was built with \(host) (Swift's ABI is only"
            + " stable within one toolchain); rebuild the plugin with the same toolchain ('emomusik plugins build')")
        #expect(failures[3].reason == "registered no plugins")
        #expect(failures[4].reason == "not an EmoMusik plugin: emomusik_plugin_entry returned a header without the"
            + " EmoMusik magic number (0x12345678, expected 0x4b4d4d45)")
        #expect(failures[5].reason.hasPrefix("cannot be loaded: "))
        #expect(failures[6].reason == "directory in EMOMUSIK_PLUGIN_PATH does not exist")

        // register_plugins ran only where magic, version and toolchain matched, with a registrar.
        #expect(registerCalls("\(directory)/libbbb_abi999.so") == 0)
        #expect(registerCalls("\(directory)/libccc_old_swift.so") == 0)
        #expect(registerCalls("\(directory)/libddd_empty.so") == 1)

        // The host keeps working.
        #expect(registry.entries.map(\.id) == ["adaptive", "iso-principle", "mirror", "regulate"])
        let mirror = try registry.makeStrategy(id: "mirror", options: ["window": .number(0)])
        let child = Affect(valence: 0.3, arousal: 0.3)
        #expect(mirror.recommend(StrategyContext(now: 1, history: [AffectSample(time: 1, affect: child)], goal: SessionGoal(target: .neutral))).affect == child)
    }

    @Test func headerFromSwiftIsInstalledWhenItMatches() throws {
        let registry = PluginRegistry()
        try BuiltInPlugins.register(into: registry)
        let good = EmoMusikPluginABI.header { registrar in
            PluginRegistrar.with(registrar) { $0.register(recognizer: HappyRecognizer.self) }
        }
        #expect(good.load(fromByteOffset: 0, as: UInt32.self) == 0x4B4D_4D45)
        #expect(good.load(fromByteOffset: 4, as: UInt32.self) == 1)
        #expect(String(cString: good.load(fromByteOffset: 8, as: UnsafePointer<CChar>.self)) == EmoMusikPluginABI.toolchain.description)
        #expect(PluginLoader.install(header: good, source: .library("/in/process.so"), into: registry) == nil)
        #expect(registry.entry(id: "always-happy")?.source == .library("/in/process.so"))
    }

    @Test func throwingWhileRegisteringAndDuplicateIdsAreRefused() throws {
        let registry = PluginRegistry()
        try BuiltInPlugins.register(into: registry)
        let throwing = EmoMusikPluginABI.header { registrar in
            PluginRegistrar.with(registrar) { registrar in
                registrar.register(recognizer: HappyRecognizer.self)
                throw EmoMusikError(.fileNotFound, "model file happy.bin is missing")
            }
        }
        #expect(PluginLoader.install(header: throwing, source: .library("/p/libthrows.so"), into: registry)
            == "failed while registering: model file happy.bin is missing")
        let clashing = EmoMusikPluginABI.header { registrar in
            PluginRegistrar.with(registrar) {
                $0.register(recognizer: HappyRecognizer.self)
                $0.register(strategy: FakeMirror.self)
            }
        }
        #expect(PluginLoader.install(header: clashing, source: .library("/p/libclash.so"), into: registry)
            == "plugin id 'mirror' from /p/libclash.so is already registered by built-in")
        // Neither library registered anything; the built-ins are untouched.
        #expect(registry.entries.map(\.id) == ["adaptive", "iso-principle", "mirror", "regulate"])
        #expect(registry.entry(id: "mirror")?.source == .builtIn)
    }

    @Test func searchOrderPrefersReleaseBuildsThenPathThenUserDirectory() throws {
        let root = try makeTemporaryDirectory("search")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let files = FileManager.default
        for path in ["plugins/a/.build/release/liba.so", "plugins/a/.build/debug/liba.so", "plugins/b/.build/debug/libb.so",
                     "plugins/c/.build/release/\(PluginLoader.apiLibraryName)", "plugins/c/.build/release/notes.so"] {
            let full = "\(root)/\(path)"
            try files.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            #expect(files.createFile(atPath: full, contents: Data()))
        }
        let found = PluginLoader.searchDirectories(
            projectDirectory: root, environment: ["EMOMUSIK_PLUGIN_PATH": "/x:/y", "HOME": "/home/t"])
        #expect(found.map(\.path) == [
            "\(root)/plugins/a/.build/release", "\(root)/plugins/b/.build/debug", "/x", "/y", "/home/t/.local/share/emomusik/plugins",
        ])
        #expect(found.map(\.explicit) == [false, false, true, true, false])
        let xdg = PluginLoader.searchDirectories(projectDirectory: nil, environment: ["XDG_DATA_HOME": "/d", "HOME": "/home/t"])
        #expect(xdg.map(\.path) == ["/d/emomusik/plugins"])
        #expect(PluginLoader.libraries(in: "\(root)/plugins/c/.build/release") == [])
    }
}

let cCompiler = executableOnPath("cc") ?? executableOnPath("clang")

/// C source for a library exporting `emomusik_plugin_entry` with the given header, and a counter
/// of how often the host called its register function with a registrar.
func header(version: UInt32, toolchain: String, magic: String = "0x4B4D4D45u") -> String {
    """
    #include <stdint.h>
    struct emomusik_plugin_header {
        uint32_t magic;
        uint32_t abi_version;
        const char *toolchain;
        void (*register_plugins)(void *registrar);
    };
    int emomusik_test_register_calls = 0;
    static void register_plugins(void *registrar) { if (registrar) emomusik_test_register_calls += 1; }
    static const struct emomusik_plugin_header header = { \(magic), \(version)u, "\(toolchain)", register_plugins };
    const struct emomusik_plugin_header *emomusik_plugin_entry(void) { return &header; }

    """
}

func buildC(_ name: String, in directory: String, source: String) throws {
    let file = "\(directory)/\(name).c"
    try source.write(toFile: file, atomically: true, encoding: .utf8)
    try runCommand(cCompiler!, ["-shared", "-fPIC", "-o", "\(directory)/\(name)", file])
    try FileManager.default.removeItem(atPath: file)
}

/// The C test library's register counter (the library is already loaded; dlopen finds it again).
func registerCalls(_ path: String) -> Int32? {
    guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL), let symbol = dlsym(handle, "emomusik_test_register_calls") else { return nil }
    return symbol.assumingMemoryBound(to: Int32.self).pointee
}
