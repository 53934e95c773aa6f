// swift-tools-version: 6.0
// EmoMusik: emotion-responsive music for therapy. See README.md and docs/.
import PackageDescription

/// A Debian system library exposed through a module map in `Sources/<name>`.
func systemLibrary(_ name: String, pkgConfig: String, debian: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([debian])])
}

let package = Package(
    name: "EmoMusik",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "emomusik", targets: ["emomusik"]),
        .library(name: "EmoMusikCore", targets: ["EmoMusikCore"]),
        .library(name: "Composer", targets: ["Composer"]),
        .library(name: "MIDIFile", targets: ["MIDIFile"]),
        .library(name: "MusicAnalysis", targets: ["MusicAnalysis"]),
        .library(name: "Synth", targets: ["Synth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System-library shims: module maps only.
        systemLibrary("CFluidSynth", pkgConfig: "fluidsynth", debian: "libfluidsynth-dev"),
        systemLibrary("CSndFile", pkgConfig: "sndfile", debian: "libsndfile1-dev"),
        systemLibrary("COpenBLAS", pkgConfig: "openblas", debian: "libopenblas-dev"),
        systemLibrary("CALSA", pkgConfig: "alsa", debian: "libasound2-dev"),
        systemLibrary("CV4L2", pkgConfig: "libv4l2", debian: "libv4l-dev"),

        // Shared value types: emotions, affect, musical intent, the score (event timeline), errors.
        .target(name: "EmoMusikCore"),
        // Emotion → music: affect mapping, harmony, melody, bass, pad, drums, transitions.
        .target(name: "Composer", dependencies: ["EmoMusikCore"]),
        // Standard MIDI File reading and writing.
        .target(name: "MIDIFile", dependencies: ["EmoMusikCore"]),
        // What a listener hears: tempo, key and mode, density, dynamics, register, articulation.
        .target(name: "MusicAnalysis", dependencies: ["EmoMusikCore"]),
        // FluidSynth rendering on the 64-frame grid; audio files through libsndfile.
        .target(name: "Synth", dependencies: ["EmoMusikCore", "CFluidSynth", "CSndFile"]),

        .executableTarget(
            name: "emomusik",
            dependencies: [
                "EmoMusikCore", "Composer", "MIDIFile", "MusicAnalysis", "Synth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "EmoMusikCoreTests", dependencies: ["EmoMusikCore"]),
        .testTarget(name: "ComposerTests", dependencies: ["Composer", "MusicAnalysis", "MIDIFile"]),
        .testTarget(name: "MIDIFileTests", dependencies: ["MIDIFile", "MusicAnalysis"]),
        .testTarget(name: "SynthTests", dependencies: ["Synth"]),
        .testTarget(
            name: "EmoMusikCLITests",
            dependencies: ["emomusik", "Composer", "MIDIFile", "MusicAnalysis", "Synth"]
        ),
    ]
)
