// swift-tools-version: 6.0
// The types EmoMusik shares with its plugins: core value types and the plugin protocols.
//
// This is a package of its own, built as one dynamic library (`libEmoMusikPluginAPI.so`) that the
// host and every external plugin link. Were it a target of the main package, it would be linked
// statically into the host and into each plugin: two copies of every type, two registries, and
// `as?` casts across the library boundary would fail.
import PackageDescription

let package = Package(
    name: "EmoMusikKit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "EmoMusikPluginAPI", type: .dynamic, targets: ["EmoMusikCore", "EmoMusikPlugins"]),
    ],
    targets: [
        // Shared value types: emotions, affect, musical intent, the score (event timeline), errors.
        .target(name: "EmoMusikCore"),
        // Plugin protocols, descriptors, the registry and the dynamic-library loader.
        .target(name: "EmoMusikPlugins", dependencies: ["EmoMusikCore"]),
    ]
)
