import EmoMusikCore
import Testing

@Suite("Timeline CSV")
struct AffectTimelineTests {
    @Test("reads emotion names, valence/arousal pairs and probability rows, skipping comments and a header")
    func readsAllRowForms() throws {
        let csv = """
            # comment
            time,target
            0,sad
            10.5,0.6,-0.2

            20,0,0.7,0.1,0,0,0.2,0
            30,Happiness
            """
        let timeline = try AffectTimeline.parseCSV(csv, file: "t.csv")
        #expect(timeline.keyframes.map(\.time) == [0, 10.5, 20, 30])
        #expect(timeline.keyframes[0].emotion == .sadness)
        #expect(timeline.keyframes[0].affect == Emotion.sadness.affect)
        #expect(timeline.keyframes[1].affect == Affect(valence: 0.6, arousal: -0.2))
        #expect(timeline.keyframes[2].emotion == .happiness)
        let expected = Emotion.expectedAffect(probabilities: [0, 0.7, 0.1, 0, 0, 0.2, 0])
        #expect(abs(timeline.keyframes[2].affect.valence - expected.valence) < 1e-12)
        #expect(timeline.duration == 30)
        #expect(timeline.affect(at: 15) == Affect(valence: 0.6, arousal: -0.2))
        #expect(timeline.affect(at: 99) == Emotion.happiness.affect)
    }

    /// Each malformed row and the exact message the user sees.
    @Test(
        "malformed rows are refused with the file, line, column and field",
        arguments: [
            ("0,neutral\n5,hapiness\n", "t.csv:2:2 (emotion): unknown emotion 'hapiness'\n  hint: did you mean 'happiness'? Known: neutral, happiness, sadness, anger, fear, surprise, disgust"),
            ("0,neutral\n5,1.5,0\n", "t.csv:2:2 (valence): valence 1.5 is out of range\n  hint: valence and arousal go from -1 to 1"),
            ("0,neutral\n5,0,x\n", "t.csv:2:3 (arousal): arousal 'x' is not a number"),
            ("0,neutral\nsoon,0,0\n", "t.csv:2:1 (time): time 'soon' is not a number of seconds"),
            ("0,neutral\n5,0,0,0\n", "t.csv:2:1: expected `time,emotion`, `time,valence,arousal` or `time` and 7 probabilities, got 4 fields"),
            ("0,neutral\n5,happy\n4,sad\n", "t.csv:3:1 (time): time 4 does not come after the previous row's 5.0"),
            ("3,neutral\n", "t.csv:1:1 (time): the first row must be at time 0, not 3"),
            ("0,0.5,0.3,0,0,0,0,0\n", "t.csv:1:2 (probabilities): the seven probabilities sum to 0.8, not 1\n  hint: give probabilities in the order neutral, happiness, sadness, anger, fear, surprise, disgust"),
            ("# only a comment\n", "t.csv: the timeline has no rows\n  hint: add rows such as `0,neutral` and `30,happiness`"),
        ])
    func malformedRows(csv: String, message: String) {
        #expect {
            try AffectTimeline.parseCSV(csv, file: "t.csv")
        } throws: { error in
            String(describing: error) == message
        }
    }
}

@Suite("Affect and emotions")
struct AffectTests {
    @Test("validated affect refuses values outside -1...1 and non-finite values")
    func validation() throws {
        #expect(throws: EmoMusikError.self) { try Affect.validated(valence: 1.2, arousal: 0) }
        #expect(throws: EmoMusikError.self) { try Affect.validated(valence: 0, arousal: .nan) }
        #expect(try Affect.validated(valence: -1, arousal: 1) == Affect(valence: -1, arousal: 1))
    }

    @Test("a one-hot probability vector gives the class's circumplex point")
    func expectedAffectOfOneHot() {
        for (index, emotion) in Emotion.allCases.enumerated() {
            var p = [Double](repeating: 0, count: 7)
            p[index] = 1
            #expect(Emotion.expectedAffect(probabilities: p) == emotion.affect)
        }
    }

    @Test("names parse case-insensitively with adjective aliases; near misses get a suggestion")
    func names() {
        #expect(Emotion(name: "Angry") == .anger)
        #expect(Emotion(name: " SAD ") == .sadness)
        #expect(Emotion(name: "joyful") == nil)
        #expect(Emotion.closest(to: "suprise") == .surprise)
    }
}
