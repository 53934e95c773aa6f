// swift-tools-version: 6.0
// An external EmoMusik recognizer plugin: a dynamic library that links the shared plugin API.
// Build: emomusik plugins build manual   (or: swift build -c release --package-path plugins/manual)
import PackageDescription

let package = Package(
    name: "Manual",
    products: [
        // .dynamic: the host dlopens libManual.so.
        .library(name: "Manual", type: .dynamic, targets: ["Manual"]),
    ],
    dependencies: [
        // The plugin API, linked dynamically (libEmoMusikPluginAPI.so), never copied into the plugin.
        .package(path: "../../Packages/EmoMusikKit"),
    ],
    targets: [
        .target(name: "Manual", dependencies: [.product(name: "EmoMusikPluginAPI", package: "EmoMusikKit")]),
    ]
)
