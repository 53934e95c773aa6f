// swift-tools-version: 6.0
// An external EmoMusik strategy plugin: a dynamic library that links the shared plugin API.
// Build: emomusik plugins build lullaby   (or: swift build -c release --package-path plugins/lullaby)
import PackageDescription

let package = Package(
    name: "Lullaby",
    products: [
        // .dynamic: the host dlopens libLullaby.so.
        .library(name: "Lullaby", type: .dynamic, targets: ["Lullaby"]),
    ],
    dependencies: [
        // The plugin API, linked dynamically (libEmoMusikPluginAPI.so), never copied into the plugin.
        .package(path: "../../Packages/EmoMusikKit"),
    ],
    targets: [
        .target(name: "Lullaby", dependencies: [.product(name: "EmoMusikPluginAPI", package: "EmoMusikKit")]),
    ]
)
