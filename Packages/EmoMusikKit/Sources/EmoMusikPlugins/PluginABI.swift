import EmoMusikCore

/// The binary contract between emomusik and a plugin library, checked before any Swift type
/// crosses the library boundary.
///
/// A plugin library exports one C function, `emomusik_plugin_entry`, taking nothing and returning
/// a pointer to this header (C layout, 24 bytes on 64-bit platforms):
///
/// ```c
/// struct emomusik_plugin_header {             // offset
///     uint32_t magic;                         //  0: 0x4B4D4D45 ("EMMK" in memory)
///     uint32_t abi_version;                   //  4: EmoMusikPluginABI.version when built
///     const char *toolchain;                  //  8: "swift-6.3": the compiler that built the plugin
///     void (*register_plugins)(void *registrar); // 16: called only if the three above match
/// };
/// ```
///
/// The host reads `magic` and `abi_version` first, then `toolchain`, and calls `register_plugins`
/// only when all three match its own; `registrar` is an opaque pointer to a ``PluginRegistrar``
/// (`Unmanaged`, unretained), valid only during the call. The header must stay valid while the
/// library is loaded; the host never frees it. Libraries are never unloaded (Swift cannot unload
/// type metadata).
///
/// Plugins do not write this by hand; in Swift:
///
/// ```swift
/// @_cdecl("emomusik_plugin_entry")
/// public func emomusikPluginEntry() -> UnsafeRawPointer {
///     EmoMusikPluginABI.header { registrar in
///         PluginRegistrar.with(registrar) { $0.register(strategy: LullabyStrategy.self) }
///     }
/// }
/// ```
///
/// `version`, `magic` and `toolchain` are emitted into the client (`@_alwaysEmitIntoClient`), so
/// the values in a plugin binary are those of the compiler and API sources it was built with, not
/// those of the `libEmoMusikPluginAPI.so` it happens to be loaded with.
public enum EmoMusikPluginABI {
    /// The plugin ABI version. Bump it whenever a change to EmoMusikKit breaks plugins built
    /// against the previous sources (a protocol requirement, a public struct's stored properties).
    @_alwaysEmitIntoClient public static var version: UInt32 { 1 }

    /// Marks the header as an EmoMusik plugin header (bytes "EMMK" in little-endian memory).
    @_alwaysEmitIntoClient public static var magic: UInt32 { 0x4B4D_4D45 }

    /// The Swift compiler that built this code, to major.minor (`swift-6.3`). Swift's ABI is only
    /// stable within one toolchain on Linux, so host and plugin must agree. Derived from
    /// `#if compiler(...)`; extend the ladder when a newer toolchain arrives (anything newer than
    /// the top rung reports that rung with `-or-later`, which still refuses a mixed pair).
    @_alwaysEmitIntoClient public static var toolchain: StaticString {
        #if compiler(>=6.6)
        "swift-6.6-or-later"
        #elseif compiler(>=6.5)
        "swift-6.5"
        #elseif compiler(>=6.4)
        "swift-6.4"
        #elseif compiler(>=6.3)
        "swift-6.3"
        #elseif compiler(>=6.2)
        "swift-6.2"
        #elseif compiler(>=6.1)
        "swift-6.1"
        #else
        "swift-6.0-or-earlier"
        #endif
    }

    /// The C symbol every plugin library exports.
    public static let entrySymbol = "emomusik_plugin_entry"

    /// `emomusik_plugin_entry`'s type.
    public typealias EntryFunction = @convention(c) () -> UnsafeRawPointer?
    /// `register_plugins`'s type: receives an opaque, unretained ``PluginRegistrar``.
    public typealias RegisterFunction = @convention(c) (UnsafeMutableRawPointer) -> Void

    /// Byte offsets of the header's fields (C layout on 64-bit platforms).
    public enum Offset {
        public static let magic = 0
        public static let abiVersion = 4
        public static let toolchain = 8
        public static let registerPlugins = 16
        public static let headerSize = 24
    }

    /// Builds a header for this plugin: call it from `emomusik_plugin_entry`. `register` must not
    /// capture anything (it is a C function pointer); use ``PluginRegistrar/with(_:_:)`` in it.
    /// Each call allocates 24 bytes that are never freed (the host calls the entry once per load).
    @_alwaysEmitIntoClient
    public static func header(register: RegisterFunction) -> UnsafeRawPointer {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Offset.headerSize, alignment: 8)
        raw.storeBytes(of: magic, toByteOffset: Offset.magic, as: UInt32.self)
        raw.storeBytes(of: version, toByteOffset: Offset.abiVersion, as: UInt32.self)
        raw.storeBytes(of: UnsafeRawPointer(toolchain.utf8Start), toByteOffset: Offset.toolchain, as: UnsafeRawPointer.self)
        raw.storeBytes(of: register, toByteOffset: Offset.registerPlugins, as: RegisterFunction.self)
        return UnsafeRawPointer(raw)
    }
}

/// What a plugin library's `register_plugins` receives: it collects the library's plugin types,
/// which the host then adds to the registry all together (or, if one is refused, none of them).
/// Used on the control thread, during one `register_plugins` call only.
public final class PluginRegistrar {
    /// The library being registered (its plugins' ``PluginSource``).
    public let source: PluginSource
    private(set) var types: [PluginType] = []
    /// What the plugin threw while registering, if anything.
    var error: (any Error)?

    init(source: PluginSource) {
        self.source = source
    }

    /// Adds a strategy type.
    public func register(strategy type: any RecommenderStrategy.Type) {
        types.append(.strategy(type))
    }

    /// Adds a recognizer type.
    public func register(recognizer type: any EmotionRecognizer.Type) {
        types.append(.recognizer(type))
    }

    /// Turns `register_plugins`' opaque argument back into the registrar and runs `body` with it;
    /// whatever `body` throws is reported by the host as this library's failure.
    public static func with(_ opaque: UnsafeMutableRawPointer, _ body: (PluginRegistrar) throws -> Void) {
        let registrar = Unmanaged<PluginRegistrar>.fromOpaque(opaque).takeUnretainedValue()
        do {
            try body(registrar)
        } catch {
            registrar.error = error
        }
    }
}
