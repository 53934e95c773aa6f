import EmoMusikCore
import Foundation
import Statistics
import Studies
import Testing

/// Shrout & Fleiss (1979), Table 2: six targets rated by four judges.
let shroutFleiss: [[Int]] = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]

@Suite struct StudyAnalysisTests {
    /// 2 emotions × 1 strategy × 2 seeds.
    static let fourClips: [(id: String, emotion: Emotion, strategy: String, preset: String, seed: UInt64)] = [
        ("9f2c61aa03b4e7d0", .happiness, "mirror", "", 1), ("03d5e8c2a9f1b476", .happiness, "mirror", "", 2),
        ("c7a1e9f04b2d6853", .sadness, "mirror", "", 1), ("5b8d0f3e2c9a4716", .sadness, "mirror", "", 2),
    ]

    @Test func ratersWhoAlwaysHearTheIntendedEmotionScoreOne() throws {
        let directory = try makeStudyDirectory(clips: Self.fourClips, raters: 3)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // rhythm_match per clip (rows) and rater (columns); emotion_match is 2, 3, 4, 5 by clip for everyone.
        let rhythm = [[3, 4, 3], [4, 5, 5], [5, 5, 6], [3, 2, 3]]
        var ratings: [StudyRating] = []
        for r in 1...3 {
            for (i, clip) in Self.fourClips.enumerated() {
                ratings.append(rating(String(format: "r%02d", r), clip.id, i + 1, rhythm[i][r - 1], 2 + i, clip.emotion))
            }
        }
        try write(StudyRatings.csv(ratings), to: directory + "/ratings.csv")
        let analysis = try StudyAnalysis.analyze(directory: directory)
        #expect(analysis.design.complete && analysis.design.missing.isEmpty)
        #expect(analysis.counts.clips == 4 && analysis.counts.raters == 3 && analysis.counts.ratings == 12)
        let overall = analysis.matching.overall
        #expect(overall.accuracy.value == 1 && overall.accuracy.lower == 1 && overall.accuracy.upper == 1)
        #expect(overall.matches == 12 && overall.ratings == 12)
        #expect(analysis.matching.byIntendedEmotion.map(\.group) == ["happiness", "sadness"])
        #expect(analysis.matching.byIntendedEmotion.allSatisfy { $0.accuracy.value == 1 && $0.ratings == 6 })
        #expect(analysis.matching.byStrategy.map(\.group) == ["mirror"])
        #expect(analysis.matching.byPreset.map(\.group) == ["(none)"])
        // Perfect agreement on emotion_match leaves no residual: F is infinite, so no ICC table, and a reason.
        let emotionItem = try #require(analysis.items.first { $0.item == "emotion_match" })
        #expect(emotionItem.icc == nil && emotionItem.iccUnavailable!.contains("no residual variance"))
        let rhythmICC = try #require(analysis.items.first { $0.item == "rhythm_match" }?.icc)
        let direct = try IntraclassCorrelation.analyze(RatingMatrix(values: rhythm.map { $0.map(Double.init) }))
        #expect(rhythmICC.results == direct.results)
        #expect(rhythmICC.targets == 4 && rhythmICC.raters == 3)
        #expect(analysis.conditions.map(\.intendedEmotion) == ["happiness", "sadness"])
        #expect(analysis.conditions.allSatisfy { $0.clips == 2 && $0.ratings == 6 && $0.accuracy?.value == 1 })
        let happy = analysis.conditions[0]
        #expect(happy.emotionMatch?.value == 2.5)
        #expect(abs(happy.rhythmMatch!.value - (3 + 4 + 3 + 4 + 5 + 5) / 6.0) < 1e-12)
        #expect(analysis.confusion.counts[1][1] == 6 && analysis.confusion.counts[2][2] == 6)
        #expect(analysis.confusion.counts.joined().reduce(0, +) == 12)
        let text = analysis.text()
        #expect(text.contains("Design: complete"))
        #expect(text.contains("ICC3k"))
    }

    @Test func matchingAccuracyPerGroupCountsTheRightAnswers() throws {
        // Two raters hear the intended emotion; the third always answers neutral.
        let directory = try makeStudyDirectory(clips: Self.fourClips, raters: 3)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var ratings: [StudyRating] = []
        for r in 1...3 {
            for (i, clip) in Self.fourClips.enumerated() {
                ratings.append(rating(String(format: "r%02d", r), clip.id, i + 1, 4, 4, r == 3 ? .neutral : clip.emotion))
            }
        }
        try write(StudyRatings.csv(ratings), to: directory + "/export.csv")
        let analysis = try StudyAnalysis.analyze(directory: directory, ratingsPath: directory + "/export.csv")
        #expect(analysis.matching.overall.matches == 8)
        #expect(abs(analysis.matching.overall.accuracy.value - 2.0 / 3) < 1e-12)
        #expect(analysis.matching.byIntendedEmotion.allSatisfy { $0.matches == 4 && $0.ratings == 6 })
        #expect(analysis.confusion.counts[1][0] == 2 && analysis.confusion.counts[2][0] == 2)
        // All ratings equal: no variance to attribute; the report says so instead of an ICC.
        #expect(analysis.items.allSatisfy { $0.icc == nil && $0.iccUnavailable!.contains("are equal") })
        let json = try analysis.jsonText()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys).isSuperset(of: ["study", "design", "items", "matching", "conditions", "confusion"]))
    }

    /// The Shrout & Fleiss example as a study: 6 clips rated 1–10 by 4 raters reproduces the published ICCs.
    @Test func shroutFleissThroughAStudy() throws {
        let clips = (0..<6).map { i in
            (id: String(format: "%016llx", UInt64(0xa1b2c3d4) &* UInt64(i + 7)), emotion: Emotion.allCases[i], strategy: "mirror", preset: "", seed: UInt64(1))
        }
        let directory = try makeStudyDirectory(clips: clips, raters: 4, scale: 1...10)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var ratings: [StudyRating] = []
        for (i, clip) in clips.enumerated() {
            for j in 0..<4 {
                ratings.append(rating("r0\(j + 1)", clip.id, i + 1, shroutFleiss[i][j], 5, clip.emotion))
            }
        }
        try write(StudyRatings.csv(ratings.shuffled()), to: directory + "/ratings.csv")
        let analysis = try StudyAnalysis.analyze(directory: directory)
        let icc = try #require(analysis.items.first { $0.item == "rhythm_match" }?.icc)
        let published: [(ICCForm, Double)] = [(.icc1, 0.17), (.icc2, 0.29), (.icc3, 0.71), (.icc1k, 0.44), (.icc2k, 0.62), (.icc3k, 0.91)]
        for (form, value) in published {
            #expect((icc[form].icc * 100).rounded() / 100 == value, "\(form.rawValue) = \(icc[form].icc)")
        }
        #expect(icc.targets == 6 && icc.raters == 4 && icc[.icc2].df2 == 15)
        // Identical to the Statistics module on the same table.
        let direct = try IntraclassCorrelation.analyze(RatingMatrix(values: shroutFleiss.map { $0.map(Double.init) }))
        #expect(icc.results == direct.results)

        // Drop one rating and add a rater who never rated: the report names the gaps and analyses the complete subset.
        let incompleteDirectory = try makeStudyDirectory(clips: clips, raters: 5, scale: 1...10)
        defer { try? FileManager.default.removeItem(atPath: incompleteDirectory) }
        let partial = ratings.filter { !($0.clip == clips[2].id && $0.rater == "r03") }
        try write(StudyRatings.csv(partial), to: incompleteDirectory + "/ratings.csv")
        let incomplete = try StudyAnalysis.analyze(directory: incompleteDirectory)
        #expect(!incomplete.design.complete)
        #expect(incomplete.design.ratersWithoutRatings == ["r05"])
        #expect(incomplete.design.missing.contains(.init(clip: clips[2].id, rater: "r03")))
        #expect(incomplete.design.missing.count == 1 + 6)
        #expect(incomplete.design.clipsDropped == [clips[2].id] && incomplete.design.ratersDropped == ["r05"])
        #expect(incomplete.design.clipsAnalysed == 5 && incomplete.design.ratersAnalysed == 4)
        let subset = try #require(incomplete.items.first { $0.item == "rhythm_match" }?.icc)
        var rows = shroutFleiss.map { $0.map(Double.init) }
        rows.remove(at: 2)
        let expected = try IntraclassCorrelation.analyze(RatingMatrix(values: rows))
        #expect(subset.results == expected.results)
        #expect(incomplete.matching.overall.ratings == 23)
        let text = incomplete.text()
        #expect(text.contains("INCOMPLETE") && text.contains("\(clips[2].id) by r03") && text.contains("5 clip(s) × 4 rater(s)"))
    }

    @Test func oneRaterGivesNoICCButStillAccuracy() throws {
        let directory = try makeStudyDirectory(clips: Self.fourClips, raters: 1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ratings = Self.fourClips.enumerated().map { rating("r01", $1.id, $0 + 1, 4, 5, $1.emotion) }
        try write(StudyRatings.csv(ratings), to: directory + "/ratings.csv")
        let analysis = try StudyAnalysis.analyze(directory: directory)
        #expect(analysis.items.allSatisfy { $0.icc == nil && $0.iccUnavailable!.contains("1 rater(s)") })
        #expect(analysis.matching.overall.accuracy.value == 1)
    }

    /// Bad ratings are refused with file, line, column and field for every problem.
    @Test func badRatingsAreRefusedWithTheirLocation() throws {
        let directory = try makeStudyDirectory(clips: Self.fourClips, raters: 2)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let a = Self.fourClips[0].id, b = Self.fourClips[1].id
        let csv = """
            rater,clip,position,rhythm_match,emotion_match,heard_emotion,submitted_at
            r01,\(a),1,4,5,happiness,2026-03-01T10:00:00Z
            r01,ffffffffffffffff,2,4,5,happiness,2026-03-01T10:01:00Z
            r01,\(b),3,9,5,happiness,2026-03-01T10:02:00Z
            r02,\(a),1,4,5,hapiness,2026-03-01T10:03:00Z
            r02,\(b),2,4,x,sadness,2026-03-01T10:04:00.123Z
            r07,\(b),1,4,5,sadness,2026-03-01T10:05:00Z
            r01,\(a),4,4,5,happiness,yesterday
            r02,\(Self.fourClips[2].id),0,4,5,sadness,2026-03-01T10:06:00+01:00
            r01,\(a),5,4,5,happiness,2026-03-01T10:07:00Z
            """
        let path = directory + "/ratings.csv"
        try write(csv, to: path)
        let error = try #require(throws: StudyValidationError.self) { try StudyAnalysis.analyze(directory: directory) }
        let expected: [(line: Int, column: Int, field: String, text: String)] = [
            (3, 2, "clip", "unknown clip id 'ffffffffffffffff'"),
            (4, 4, "rhythm_match", "rating 9 is out of the scale 1...7"),
            (5, 6, "heard_emotion", "did you mean 'happiness'?"),
            (6, 5, "emotion_match", "'x' is not a whole number"),
            (7, 1, "rater", "unknown rater 'r07'"),
            (8, 7, "submitted_at", "not an ISO 8601 time"),
            (9, 3, "position", "must be a whole number from 1"),
            (10, 2, "clip", "rated clip '\(a)' twice (first on line 2)"),
        ]
        #expect(error.issues.count == expected.count, "\(error)")
        for (issue, e) in zip(error.issues, expected) {
            #expect(issue.location == .init(file: path, line: e.line, column: e.column, field: e.field), "\(issue)")
            #expect(issue.message.contains(e.text), "\(issue)")
        }
        #expect(error.description.contains("ratings.csv:3:2 (clip): unknown clip id"))

        // A missing column, and a missing file.
        try write("rater,clip,position,rhythm_match,emotion_match,submitted_at\n", to: path)
        let header = try #require(throws: StudyValidationError.self) { try StudyAnalysis.analyze(directory: directory) }
        #expect(header.issues.count == 1 && header.issues[0].location.field == "heard_emotion" && header.issues[0].location.line == 1)
        #expect(throws: EmoMusikError.self) { try StudyAnalysis.analyze(directory: directory, ratingsPath: directory + "/nope.csv") }
    }

    @Test func aBadKeyIsRefusedWithItsLocation() throws {
        let directory = try makeStudyDirectory(clips: Self.fourClips, raters: 2)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            clip_id,intended_emotion,strategy,preset,seed,loudness_before_lufs,gain_db
            aaaa,joyful,mirror,,1,-20,-3
            aaaa,sadness,mirror,,one,-20,-3
            """, to: directory + "/key.csv")
        let error = try #require(throws: StudyValidationError.self) { try StudyKey.load(directory: directory) }
        #expect(error.issues.map(\.location.line) == [2, 3, 3])
        #expect(error.issues.map(\.location.field) == ["intended_emotion", "clip_id", "seed"])
    }
}
