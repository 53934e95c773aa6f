import ArgumentParser

@main
struct EmoMusikCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emomusik",
        abstract: "Emotion-responsive music for therapy: affect in, music out.",
        discussion: """
            EmoMusik composes music at the MIDI level from an emotional target (one of
            seven emotion classes, a valence/arousal point, or a child's face) and renders
            it through FluidSynth.

            Start here:
              emomusik demo                    # a recorded child session → music
              emomusik compose --emotion happiness -o happy.wav -o happy.mid
              emomusik render --timeline examples/timeline.csv --out out
              emomusik analyze out/timeline.mid

            Every subcommand explains itself: emomusik help <subcommand>.
            """,
        version: "0.1.0",
        subcommands: [
            DemoCommand.self, SessionCommand.self, ComposeCommand.self, RenderCommand.self, AnalyzeCommand.self,
            PresetCommand.self, PluginsCommand.self, DatasetCommand.self, TrainCommand.self, EvaluateCommand.self,
            RecognizeCommand.self, StatsCommand.self, ExperimentCommand.self, BenchCommand.self,
            StudyCommand.self,
        ]
    )
}
