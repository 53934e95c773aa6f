import EmoMusikCore
import EmoMusikPlugins
import FaceLandmarks
import Foundation
import Testing

@Suite("Landmark formats: round trips")
struct FormatRoundTripTests {
    @Test func ptsRoundTrip() throws {
        let frame = LandmarkFrame(time: 0, points: sampleFace(offset: 0.123_456), confidence: 1)
        let text = PTSFormat.write(frame)
        #expect(text.hasPrefix("version: 1\nn_points: 68\n{\n"))
        #expect(text.hasSuffix("}\n"))
        #expect(try PTSFormat.read(text: text, file: "face.pts") == frame)
        let dir = temporaryDirectory()
        defer { cleanUp(dir) }
        try PTSFormat.write(frame, to: dir + "/face.pts")
        #expect(try PTSFormat.read(path: dir + "/face.pts") == frame)
    }

    @Test func ckPlusRoundTrip() throws {
        var sequence = sampleSequence(frames: 5, missingAt: nil)
        let dir = temporaryDirectory()
        defer { cleanUp(dir) }
        try CKPlusFormat.writeSequence(sequence, directory: dir, prefix: "S005_001")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names.first == "S005_001_00000001_landmarks.txt")
        #expect(names.count == 5)
        let read = try CKPlusFormat.readSequence(directory: dir)
        // The format keeps neither time nor confidence: frames are 1/30 s apart with confidence 1.
        for t in sequence.frames.indices {
            sequence.frames[t].time = Double(t) / 30
            sequence.frames[t].confidence = 1
        }
        #expect(read == sequence)
        // The CK+ scientific notation reads as well.
        let frame = try CKPlusFormat.readFrame(
            text: (0..<68).map { "   \(String(format: "%.7e", 100.0 + Double($0)))   2.3500000e+02\n" }.joined(), file: "f.txt")
        #expect(frame.points[3] == SIMD2(103, 235))
    }

    @Test func ckPlusRefusesMissingFrames() throws {
        let dir = temporaryDirectory()
        defer { cleanUp(dir) }
        let error = landmarkError { try CKPlusFormat.writeSequence(sampleSequence(), directory: dir) }
        #expect(error?.message == "frame 3 has 0 points; CK+ frame files need 68 in every frame")
    }

    @Test func openFaceRoundTrip() throws {
        let sequence = sampleSequence()
        let text = OpenFaceCSV.write(sequence)
        #expect(text.hasPrefix("frame, face_id, timestamp, confidence, success, x_0, x_1,"))
        let read = try OpenFaceCSV.read(text: text, file: "seq.csv")
        #expect(read.frames.count == 6)
        #expect(read.frames[3].isMissing)
        #expect(read == LandmarkSequence(frames: sequence.frames.enumerated().map { t, f in
            t == 3 ? LandmarkFrame(time: f.time, points: [], confidence: 0) : f
        }))
    }

    @Test func openFaceFindsColumnsByNameAmongShuffledExtras() throws {
        let sequence = try OpenFaceCSV.read(path: fixture("openface_shuffled.csv"))
        #expect(sequence.frames.count == 3)
        #expect(sequence.frames.map(\.isMissing) == [false, true, false])
        #expect(sequence.frames[0].points.count == 68)
        // The fixture's point i is (100 + 3.5 i + shift, 200 + 2.25 (i mod 7) + shift), shift = 0.5 × row.
        for (row, shift) in [(0, Float(0)), (2, Float(1))] {
            for i in 0..<68 {
                #expect(abs(sequence.frames[row].points[i].x - (100 + 3.5 * Float(i) + shift)) < 1e-3)
                #expect(abs(sequence.frames[row].points[i].y - (200 + 2.25 * Float(i % 7) + shift)) < 1e-3)
            }
        }
        #expect(sequence.frames[2].time == 0.066)
        #expect(sequence.frames[0].confidence == 0.98)
    }

    @Test func jsonLinesRoundTrip() throws {
        let sequence = sampleSequence()
        let text = JSONLinesFormat.write(sequence)
        #expect(text.split(separator: "\n")[3] == "{\"t\": 0.1, \"points\": [], \"confidence\": 0.0}")
        #expect(try JSONLinesFormat.read(text: text, file: "live.jsonl") == sequence)
        // Lost faces as null, optional confidence, extra keys ignored, blank lines skipped.
        let pairs = sampleFace().map { "[\($0.x), \($0.y)]" }.joined(separator: ",")
        let live = "{\"t\": 0, \"points\": [\(pairs)], \"id\": \"cam0\"}\n\n{\"t\": 0.04, \"points\": null}\n"
        let read = try JSONLinesFormat.read(text: live, file: "live.jsonl")
        #expect(read.frames.map(\.isMissing) == [false, true])
        #expect(read.frames.map(\.confidence) == [1, 0])
        #expect(read.frames[0].points == sampleFace())
    }

    @Test func jsonLinesReadsTheFixtureUpToTheBadLine() throws {
        let lines = try String(contentsOfFile: fixture("bad_nonnumeric.jsonl"), encoding: .utf8).split(separator: "\n")
        let first = try JSONLinesFormat.decode(line: lines[0], file: "x", lineNumber: 1)
        let second = try JSONLinesFormat.decode(line: lines[1], file: "x", lineNumber: 2)
        #expect(first?.points.count == 68)
        #expect(second?.isMissing == true)
    }
}

@Suite("Landmark formats: bad input")
struct BadInputTests {
    @Test func ptsWithSixtySevenPoints() {
        let path = fixture("bad_67_points.pts")
        let error = landmarkError { _ = try PTSFormat.read(path: path) }
        #expect(error?.description == "\(path):71: expected 68 points, found 67")
        #expect(error?.location?.line == 71)
    }

    @Test func jsonWithSixtySevenPoints() {
        let pairs = sampleFace().dropLast().map { "[\($0.x), \($0.y)]" }.joined(separator: ", ")
        let error = landmarkError { _ = try JSONLinesFormat.read(text: "\n{\"t\": 1.25, \"points\": [\(pairs)]}\n", file: "live.jsonl") }
        #expect(error?.description == "live.jsonl:2:23 (points): expected 68 points, found 67")
    }

    @Test func ckPlusWithSixtySevenLines() {
        let text = sampleFace().dropLast().map { "\($0.x) \($0.y)\n" }.joined()
        let error = landmarkError { _ = try CKPlusFormat.readFrame(text: text, file: "f.txt") }
        #expect(error?.description == "f.txt:67: expected 68 points (one 'x y' pair per line), found 67")
    }

    @Test func nanCoordinate() {
        let path = fixture("bad_nan_landmarks.txt")
        let error = landmarkError { _ = try CKPlusFormat.readFrame(text: try String(contentsOfFile: path, encoding: .utf8), file: path) }
        #expect(error?.description == "\(path):5:20 (y): y is not finite: 'nan'")
    }

    @Test func nanInOpenFaceAndJSON() {
        var text = OpenFaceCSV.write(sampleSequence(frames: 2, missingAt: nil))
        text = text.replacingOccurrences(of: ", \(sampleFace(offset: 0.731)[5].x),", with: ", NaN,")
        let error = landmarkError { _ = try OpenFaceCSV.read(text: text, file: "s.csv") }
        #expect(error?.message == "x_5 is not finite: 'NaN'")
        #expect(error?.location?.line == 3)
        #expect(error?.location?.field == "x_5")
        let json = "{\"t\": 0, \"points\": [" + (0..<68).map { $0 == 7 ? "[NaN, 1]" : "[1, 2]" }.joined(separator: ", ") + "]}"
        let jsonError = landmarkError { _ = try JSONLinesFormat.read(text: json, file: "l.jsonl") }
        #expect(jsonError?.description == "l.jsonl:1:78 (points[7][0]): points[7][0] is not finite: 'NaN'")
    }

    @Test func missingColumnIsListed() {
        let path = fixture("bad_missing_x12.csv")
        let error = landmarkError { _ = try OpenFaceCSV.read(path: path) }
        #expect(error?.message == "missing column: x_12")
        #expect(error?.location == EmoMusikCore.SourceLocation(file: path, line: 1))
        #expect(error?.description.hasPrefix("\(path):1: missing column: x_12\n  hint: ") == true)
        // Several missing columns are all listed, in the order of the format.
        let header = "frame, timestamp, success, " + (0..<68).filter { $0 != 3 }.map { "x_\($0), y_\($0)" }.joined(separator: ", ")
        let several = landmarkError { _ = try OpenFaceCSV.read(text: header + "\n", file: "h.csv") }
        #expect(several?.message == "missing columns: confidence, x_3, y_3")
    }

    @Test func truncatedFiles() {
        let path = fixture("truncated.csv")
        let error = landmarkError { _ = try OpenFaceCSV.read(path: path) }
        #expect(error?.description == "\(path):3: truncated file: the last row has 40 of 141 fields")
        let pts = String(PTSFormat.write(LandmarkFrame(time: 0, points: sampleFace(), confidence: 1)).prefix(300))
        let ptsError = landmarkError { _ = try PTSFormat.read(text: pts, file: "cut.pts") }
        #expect(ptsError?.message.hasPrefix("truncated file: expected 68 points and a closing '}', found ") == true)
        let json = String(JSONLinesFormat.encode(LandmarkFrame(time: 0, points: sampleFace(), confidence: 1)).prefix(120))
        let jsonError = landmarkError { _ = try JSONLinesFormat.read(text: json, file: "cut.jsonl") }
        #expect(jsonError?.description == "cut.jsonl:1:121: truncated line: the JSON value ends early")
    }

    @Test func nonNumericValue() {
        let path = fixture("bad_nonnumeric.jsonl")
        let error = landmarkError { _ = try JSONLinesFormat.read(path: path) }
        #expect(error?.description == "\(path):3:66 (points[2][1]): points[2][1] is not a number")
        var text = OpenFaceCSV.write(sampleSequence(frames: 1, missingAt: nil))
        text = text.replacingOccurrences(of: ", 0.9, 1,", with: ", 0.9, yes,")
        let csvError = landmarkError { _ = try OpenFaceCSV.read(text: text, file: "s.csv") }
        #expect(csvError?.description == "s.csv:2:17 (success): success must be 0 or 1, found 'yes'")
        let ck = landmarkError { _ = try CKPlusFormat.readFrame(text: "1 2\n3 four\n", file: "f.txt") }
        #expect(ck?.description == "f.txt:2:3 (y): y is not a number: 'four'")
    }

    @Test func openFaceIgnoresExtraColumnsEvenWhenTheyAreNotNumbers() throws {
        // The fixture's AU45_c column holds 'abc': not ours to read, so not ours to refuse.
        #expect(try OpenFaceCSV.read(path: fixture("openface_shuffled.csv")).frames.count == 3)
    }

    @Test func unreadableFileIsNamed() {
        let error = landmarkError { _ = try OpenFaceCSV.read(path: "/nonexistent/x.csv") }
        #expect(error?.code == .fileNotFound)
        #expect(error?.message == "cannot read /nonexistent/x.csv")
    }
}
