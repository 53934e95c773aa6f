import EmoMusikCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds plugin libraries and loads them into a ``PluginRegistry``. Runs on the control thread at
/// start-up.
///
/// Where it looks, in order:
/// 1. `<project>/plugins/*/.build/release/`, or `.build/debug/` for a plugin with no release build;
/// 2. each directory in `$EMOMUSIK_PLUGIN_PATH` (colon-separated);
/// 3. `$XDG_DATA_HOME/emomusik/plugins`, else `~/.local/share/emomusik/plugins`.
///
/// In each directory it takes the files named `lib*.so` (`*.dylib` on macOS), except the plugin
/// API library itself. A library that is not a plugin, was built for another plugin ABI version or
/// Swift toolchain, throws while registering or offers an id that is taken is recorded in
/// ``PluginRegistry/failures`` and skipped; the host carries on.
///
/// Pitfall: a plugin must link the same `libEmoMusikPluginAPI` as the host, by name. The host has
/// already loaded it, so the dynamic linker reuses that copy for the plugin, and the plugin's types
/// conform to the host's protocols. A plugin that links the API statically would not.
public enum PluginLoader {
    /// The file name of the shared plugin API library, never loaded as a plugin.
    public static let apiLibraryName = "libEmoMusikPluginAPI" + libraryExtension

    #if canImport(Darwin)
    static let libraryExtension = ".dylib"
    #else
    static let libraryExtension = ".so"
    #endif

    /// A directory to scan, and whether its absence is worth reporting.
    public struct SearchDirectory: Sendable, Equatable {
        public var path: String
        /// True for directories the user named (`$EMOMUSIK_PLUGIN_PATH`); a missing default
        /// directory is not an error.
        public var explicit: Bool
    }

    /// The directories to scan, in order (see the type's documentation).
    public static func searchDirectories(projectDirectory: String?, environment: [String: String]) -> [SearchDirectory] {
        var directories: [SearchDirectory] = []
        let files = FileManager.default
        if let projectDirectory {
            let pluginsRoot = URL(fileURLWithPath: projectDirectory).appendingPathComponent("plugins")
            let names = ((try? files.contentsOfDirectory(atPath: pluginsRoot.path)) ?? []).sorted()
            for name in names where !name.hasPrefix(".") {
                let build = pluginsRoot.appendingPathComponent(name).appendingPathComponent(".build")
                // Release if it has been built, else debug: loading both would register every id twice.
                for configuration in ["release", "debug"] {
                    let directory = build.appendingPathComponent(configuration).path
                    if !libraries(in: directory).isEmpty {
                        directories.append(SearchDirectory(path: directory, explicit: false))
                        break
                    }
                }
            }
        }
        for path in (environment["EMOMUSIK_PLUGIN_PATH"] ?? "").split(separator: ":") where !path.isEmpty {
            directories.append(SearchDirectory(path: String(path), explicit: true))
        }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            directories.append(SearchDirectory(path: data + "/emomusik/plugins", explicit: false))
        } else if let home = environment["HOME"], !home.isEmpty {
            directories.append(SearchDirectory(path: home + "/.local/share/emomusik/plugins", explicit: false))
        }
        return directories
    }

    /// The plugin candidates in one directory, sorted by name.
    public static func libraries(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("lib") && $0.hasSuffix(libraryExtension) && $0 != apiLibraryName }
            .sorted()
            .map { URL(fileURLWithPath: directory).appendingPathComponent($0).path }
    }

    /// Scans every search directory and loads what it finds into `registry`.
    public static func loadAll(into registry: PluginRegistry, projectDirectory: String?, environment: [String: String]) {
        for directory in searchDirectories(projectDirectory: projectDirectory, environment: environment) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                if directory.explicit {
                    registry.recordFailure(
                        path: directory.path, reason: "directory in EMOMUSIK_PLUGIN_PATH does not exist")
                }
                continue
            }
            for path in libraries(in: directory.path) {
                load(libraryAt: path, into: registry)
            }
        }
    }

    /// Loads one library; returns true if it registered its plugins, false if it was skipped (the
    /// reason is in `registry.failures`) or had been loaded before.
    @discardableResult
    public static func load(libraryAt path: String, into registry: PluginRegistry) -> Bool {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard registry.claimLibrary(resolved) else { return false }
        if let reason = open(path) { registry.recordFailure(path: path, reason: reason); return false }
        return true

        func open(_ path: String) -> String? {
            // RTLD_LOCAL: the plugin's own symbols stay private to it; the shared API library it
            // needs is found already loaded (by name) and reused.
            guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
                return "cannot be loaded: " + lastDynamicLinkerError()
            }
            // Never dlclose: a Swift library's type metadata cannot be unloaded safely.
            guard let symbol = dlsym(handle, EmoMusikPluginABI.entrySymbol) else {
                return "not an EmoMusik plugin: no \(EmoMusikPluginABI.entrySymbol) symbol"
            }
            let entry = unsafeBitCast(symbol, to: EmoMusikPluginABI.EntryFunction.self)
            guard let header = entry() else {
                return "not an EmoMusik plugin: \(EmoMusikPluginABI.entrySymbol) returned NULL"
            }
            return install(header: header, source: .library(path), into: registry)
        }
    }

    /// Checks a plugin header and, if it matches this host, runs its registration and adds what it
    /// registered to `registry`. Returns the reason it was refused, or nil.
    public static func install(header: UnsafeRawPointer, source: PluginSource, into registry: PluginRegistry) -> String? {
        typealias Offset = EmoMusikPluginABI.Offset
        let magic = header.load(fromByteOffset: Offset.magic, as: UInt32.self)
        guard magic == EmoMusikPluginABI.magic else {
            return "not an EmoMusik plugin: \(EmoMusikPluginABI.entrySymbol) returned a header without the EmoMusik magic number"
                + " (0x\(String(magic, radix: 16)), expected 0x\(String(EmoMusikPluginABI.magic, radix: 16)))"
        }
        let version = header.load(fromByteOffset: Offset.abiVersion, as: UInt32.self)
        guard version == EmoMusikPluginABI.version else {
            return "built for plugin ABI version \(version), but this emomusik uses version \(EmoMusikPluginABI.version);"
                + " rebuild the plugin against this emomusik's sources ('emomusik plugins build')"
        }
        let host = EmoMusikPluginABI.toolchain.description
        guard let toolchainPointer = header.load(fromByteOffset: Offset.toolchain, as: UnsafePointer<CChar>?.self) else {
            return "plugin header has no toolchain string"
        }
        let toolchain = String(cString: toolchainPointer)
        guard toolchain == host else {
            return "built with \(toolchain), but this emomusik was built with \(host) (Swift's ABI is only stable"
                + " within one toolchain); rebuild the plugin with the same toolchain ('emomusik plugins build')"
        }
        guard
            let register = header.load(
                fromByteOffset: Offset.registerPlugins, as: Optional<EmoMusikPluginABI.RegisterFunction>.self)
        else {
            return "plugin header has no register function"
        }
        // From here on Swift types cross the boundary: the versions and toolchains match.
        let registrar = PluginRegistrar(source: source)
        withExtendedLifetime(registrar) {
            register(Unmanaged.passUnretained(registrar).toOpaque())
        }
        if let error = registrar.error {
            return "failed while registering: \(error)"
        }
        guard !registrar.types.isEmpty else {
            return "registered no plugins"
        }
        do {
            try registry.register(registrar.types, source: source)
        } catch let error as EmoMusikError {
            return error.message
        } catch {
            return "\(error)"
        }
        return nil
    }

    private static func lastDynamicLinkerError() -> String {
        guard let message = dlerror() else { return "unknown dynamic linker error" }
        return String(cString: message)
    }
}
