// swift-tools-version: 6.0
// EmoMusik: emotion-responsive music for therapy. See README.md and docs/.
import PackageDescription

/// A Debian system library exposed through a module map in `Sources/<name>`.
func systemLibrary(_ name: String, pkgConfig: String, debian: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([debian])])
}

/// Core types and plugin protocols, from the shared dynamic library (Packages/EmoMusikKit).
let core: Target.Dependency = .product(name: "EmoMusikPluginAPI", package: "EmoMusikKit")

let package = Package(
    name: "EmoMusik",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "emomusik", targets: ["emomusik"]),
        .library(name: "Composer", targets: ["Composer"]),
        .library(name: "MIDIFile", targets: ["MIDIFile"]),
        .library(name: "MusicAnalysis", targets: ["MusicAnalysis"]),
        .library(name: "Synth", targets: ["Synth"]),
        .library(name: "Presets", targets: ["Presets"]),
        .library(name: "Strategies", targets: ["Strategies"]),
        .library(name: "Sessions", targets: ["Sessions"]),
        .library(name: "FaceLandmarks", targets: ["FaceLandmarks"]),
        .library(name: "EmotionNet", targets: ["EmotionNet"]),
        .library(name: "Statistics", targets: ["Statistics"]),
        .library(name: "Recognition", targets: ["Recognition"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Core types and the plugin API: a separate package so that it is one shared dynamic library.
        .package(path: "Packages/EmoMusikKit"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // System-library shims: module maps only.
        systemLibrary("CFluidSynth", pkgConfig: "fluidsynth", debian: "libfluidsynth-dev"),
        systemLibrary("CSndFile", pkgConfig: "sndfile", debian: "libsndfile1-dev"),
        systemLibrary("COpenBLAS", pkgConfig: "openblas", debian: "libopenblas-dev"),
        systemLibrary("CALSA", pkgConfig: "alsa", debian: "libasound2-dev"),
        systemLibrary("CV4L2", pkgConfig: "libv4l2", debian: "libv4l-dev"),
        systemLibrary("CSQLite", pkgConfig: "sqlite3", debian: "libsqlite3-dev"),
        // glibc's heap statistics (part of libc), for the benchmarks' memory figures.
        .systemLibrary(name: "CMalloc"),

        // Emotion → music: affect mapping, harmony, melody, bass, pad, drums, transitions.
        .target(name: "Composer", dependencies: [core]),
        // Standard MIDI File reading and writing.
        .target(name: "MIDIFile", dependencies: [core]),
        // What a listener hears: tempo, key and mode, density, dynamics, register, articulation.
        .target(name: "MusicAnalysis", dependencies: [core]),
        // FluidSynth rendering on the 64-frame grid; audio files through libsndfile.
        .target(name: "Synth", dependencies: [core, "CFluidSynth", "CSndFile", "CALSA"]),
        // Therapist presets (YAML) with validation and the safety envelope.
        .target(name: "Presets", dependencies: [core, .product(name: "Yams", package: "Yams")]),
        // Built-in recommender strategies and the start-up plugin registry.
        .target(name: "Strategies", dependencies: [core]),
        // Blind rating studies: design files, parallel rendering with loudness matching, the key, the analysis.
        .target(
            name: "Studies",
            dependencies: [
                core, "Composer", "Synth", "Presets", "Strategies", "Sessions", "Statistics", "StudyFormat",
                .product(name: "Yams", package: "Yams"),
            ]),
        // Facial landmarks: formats, normalisation, node features, the face graph, synthetic expressions.
        .target(name: "FaceLandmarks", dependencies: [core]),
        // Tensors on OpenBLAS, GCN and Transformer layers with backpropagation, Adam, model files.
        .target(name: "EmotionNet", dependencies: [core, "COpenBLAS"]),
        // Classification metrics, bootstrap intervals, intraclass correlation (no third-party code).
        .target(name: "Statistics", dependencies: [core]),
        // Landmark datasets → network training with transfer, the baseline, evaluation, the recognizer plugin.
        .target(name: "Recognition", dependencies: [core, "FaceLandmarks", "EmotionNet", "Statistics"]),
        // The closed loop: landmarks → recognizer → strategy → composer → (live) synth, presets applied.
        .target(name: "Sessions", dependencies: [core, "Composer", "Strategies", "Presets", "Synth", "FaceLandmarks"]),

        // The blind rating web server (Hummingbird) over a study directory; ratings in SQLite (WAL).
        // The study directory's manifest format, shared by the study builder and the server.
        .target(name: "StudyFormat"),
        .target(name: "StudyServer", dependencies: ["StudyFormat", "CSQLite", .product(name: "Hummingbird", package: "hummingbird")]),

        .executableTarget(
            name: "emomusik",
            dependencies: [
                core, "Composer", "MIDIFile", "MusicAnalysis", "Synth", "Presets", "Strategies", "Sessions",
                "FaceLandmarks", "EmotionNet", "Statistics", "Recognition", "StudyServer",
                "Studies", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "EmoMusikCoreTests", dependencies: [core]),
        .testTarget(name: "ComposerTests", dependencies: [core, "Composer", "MusicAnalysis", "MIDIFile"]),
        .testTarget(name: "MIDIFileTests", dependencies: [core, "MIDIFile", "MusicAnalysis"]),
        .testTarget(name: "SynthTests", dependencies: [core, "Synth"]),
        .testTarget(name: "PresetTests", dependencies: [core, "Presets", "Composer", "Strategies"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PluginTests", dependencies: [core, "Strategies"]),
        .testTarget(name: "StudyTests", dependencies: [core, "Studies", "Statistics", "Synth", "Presets", "Strategies"]),
        .testTarget(
            name: "SessionTests",
            dependencies: [core, "Sessions", "Composer", "Presets", "Strategies", "Synth", "Recognition", "FaceLandmarks"]),
        .testTarget(name: "FaceLandmarksTests", dependencies: [core, "FaceLandmarks"], exclude: ["Fixtures"]),
        .testTarget(name: "EmotionNetTests", dependencies: [core, "EmotionNet"]),
        .testTarget(name: "StatisticsTests", dependencies: [core, "Statistics"], exclude: ["Fixtures"]),
        .testTarget(name: "RecognitionTests", dependencies: [core, "Recognition", "FaceLandmarks", "EmotionNet", "Statistics"]),
        .testTarget(
            name: "StudyServerTests",
            dependencies: ["StudyServer", "CSQLite"]),
        .testTarget(
            name: "EmoMusikCLITests",
            dependencies: [core, "emomusik", "Composer", "MIDIFile", "MusicAnalysis", "Synth"]
        ),
    ]
)
