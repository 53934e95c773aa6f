import CSQLite
import Foundation
import XCTest

@testable import StudyServer

final class RatingStoreTests: XCTestCase {
    func submission(_ position: Int, _ rhythm: Int = 4, _ emotion: Int = 5, _ heard: String = "sadness") -> RatingSubmission {
        RatingSubmission(position: position, rhythmMatch: rhythm, emotionMatch: emotion, heardEmotion: heard)
    }

    func testOrdersArePermutationsPerRaterAndSurviveReopening() throws {
        let fixture = try StudyFixture.make(clips: 12, raters: 3)
        defer { fixture.remove() }
        let study = try Study(directory: fixture.directory)
        let path = Study.databasePath(directory: fixture.directory)
        var orders: [String: [String]] = [:]
        do {
            let store = try RatingStore(path: path)
            try store.prepareOrders(for: study.manifest)
            for rater in study.manifest.raters {
                let order = try store.order(rater: rater.id)
                XCTAssertEqual(order.sorted(), study.manifest.clips.map(\.id).sorted(), "a permutation of the clips")
                orders[rater.id] = order
            }
        }
        // 12! orders: three raters sharing one, or one matching the manifest's order, would be a bug.
        XCTAssertEqual(Set(orders.values).count, 3, "each rater has an order of their own")
        XCTAssertFalse(orders.values.contains(study.manifest.clips.map(\.id)), "not the manifest's order")
        // Reopening (a restart) keeps the stored orders and the secret.
        let reopened = try RatingStore(path: path)
        try reopened.prepareOrders(for: study.manifest)
        for rater in study.manifest.raters { XCTAssertEqual(try reopened.order(rater: rater.id), orders[rater.id]) }
        // The order is the seeded permutation of the stored secret and the rater id.
        let secret = try reopened.secret()
        XCTAssertEqual(secret.count, 32)
        XCTAssertEqual(ClipOrder.permutation(of: study.manifest.clips.map(\.id), secret: secret, rater: "r01"), orders["r01"])
        XCTAssertNotEqual(
            ClipOrder.permutation(of: study.manifest.clips.map(\.id), secret: RatingStore.randomBytes(32), rater: "r01"),
            orders["r01"], "another secret gives another order")
    }

    func testChangedClipsAfterRatingBeganRefuseToOpen() throws {
        let fixture = try StudyFixture.make(clips: 3, raters: 1)
        defer { fixture.remove() }
        _ = try StudyServer(directory: fixture.directory)
        var manifest = fixture.manifest
        manifest.clips.removeLast()
        try StudyFixture.writeManifest(manifest, to: fixture.directory)
        XCTAssertThrowsError(try StudyServer(directory: fixture.directory)) { error in
            XCTAssertTrue("\(error)".contains("stored clip order does not match"), "\(error)")
        }
    }

    func testSubmissionsAreInOrderFinalAndExported() throws {
        let fixture = try StudyFixture.make(clips: 3, raters: 2)
        defer { fixture.remove() }
        let server = try StudyServer(directory: fixture.directory)
        let store = server.store
        XCTAssertEqual(try store.submit(rater: "r01", submission(2)), .failure(.notCurrent(position: 2, current: 1)))
        guard case .success(let first) = try store.submit(rater: "r01", submission(1, 7, 1, "fear")) else {
            return XCTFail("position 1 refused")
        }
        XCTAssertEqual(first.clip, server.orders["r01"]![0])
        XCTAssertEqual(try store.submit(rater: "r01", submission(1)), .failure(.alreadyRated(position: 1)))
        XCTAssertEqual(try store.ratedCount(rater: "r01"), 1)
        for p in 2...3 { guard case .success = try store.submit(rater: "r01", submission(p)) else { return XCTFail() } }
        XCTAssertEqual(try store.submit(rater: "r01", submission(3)), .failure(.alreadyRated(position: 3)))
        XCTAssertEqual(try store.ratedCount(rater: "r02"), 0, "raters are independent")

        let csv = try store.exportCSV().split(separator: "\n").map(String.init)
        XCTAssertEqual(csv[0], "rater,clip,position,rhythm_match,emotion_match,heard_emotion,submitted_at")
        XCTAssertEqual(csv.count, 4)
        let fields = csv[1].split(separator: ",").map(String.init)
        XCTAssertEqual(Array(fields[0..<6]), ["r01", first.clip, "1", "7", "1", "fear"])
        XCTAssertNotNil(ISO8601DateFormatter().date(from: fields[6].replacingOccurrences(of: #"\.\d+"#, with: "", options: .regularExpression)))
        XCTAssertTrue(fields[6].hasSuffix("Z"), "UTC")
    }

    func testDatabaseIsWALWithFullSync() throws {
        let fixture = try StudyFixture.make(clips: 2, raters: 1)
        defer { fixture.remove() }
        _ = try StudyServer(directory: fixture.directory)
        let db = try SQLiteDatabase(path: Study.databasePath(directory: fixture.directory))
        XCTAssertEqual(try db.query("PRAGMA journal_mode").first?.first, .text("wal"), "WAL is persistent in the file")
        XCTAssertEqual(try db.query("PRAGMA synchronous").first?.first, .integer(2), "FULL")
        // Bound parameters carry any text, quotes included, as data.
        try db.execute("CREATE TABLE t (v TEXT)")
        try db.execute("INSERT INTO t (v) VALUES (?)", [.text("x'); DROP TABLE t; --")])
        XCTAssertEqual(try db.query("SELECT v FROM t").first?.first, .text("x'); DROP TABLE t; --"))
        // A failed transaction rolls back.
        XCTAssertThrowsError(
            try db.transaction {
                try db.execute("INSERT INTO t (v) VALUES (?)", [.text("rolled back")])
                try db.execute("INSERT INTO no_such_table (v) VALUES (1)")
            })
        XCTAssertEqual(try db.query("SELECT COUNT(*) FROM t").first?.first, .integer(1))
    }

    func testManifestValidation() throws {
        let fixture = try StudyFixture.make(clips: 2, raters: 1)
        defer { fixture.remove() }
        func refused(_ change: (inout StudyManifest) -> Void, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
            var manifest = fixture.manifest
            change(&manifest)
            XCTAssertThrowsError(try manifest.validate(), file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)", file: file, line: line)
            }
        }
        XCTAssertNoThrow(try fixture.manifest.validate())
        refused({ $0.clips[0].file = "../key.csv" }, "file must be")
        refused({ $0.clips[0].file = "/etc/passwd" }, "file must be")
        refused({ $0.clips[0].id = "../../key" }, "not 16 lowercase hex")
        refused({ $0.raters[0].token = "short" }, "token is not 32")
        refused({ $0.adminToken = $0.raters[0].token }, "not unique")
        refused({ $0.scale = .init(min: 5, max: 5) }, "scale")
        refused({ $0.format = 2 }, "format 2")
        refused({ $0.emotions = ["happy", "happy"] }, "distinct")
    }

    func testClipsWithMetadataOrDifferentSizesAreRefused() throws {
        let fixture = try StudyFixture.make(clips: 2, raters: 1)
        defer { fixture.remove() }
        let clip = fixture.directory.appendingPathComponent(fixture.manifest.clips[0].file)
        let original = try Data(contentsOf: clip)
        XCTAssertNoThrow(try WAVCheck.checkNoMetadata(original, name: "clip"))
        // A LIST/INFO chunk naming the condition.
        let tagged = StudyFixture.wavBytes(frequency: 220, seconds: 0.25, extraChunk: ("LIST", Array("INFOINAM\u{8}\0\0\0sadness\0".utf8)))
        try tagged.write(to: clip)
        XCTAssertThrowsError(try Study(directory: fixture.directory)) { XCTAssertTrue("\($0)".contains("'LIST' chunk"), "\($0)") }
        // A longer clip: its size would stand out.
        try StudyFixture.wavBytes(frequency: 220, seconds: 0.5).write(to: clip)
        XCTAssertThrowsError(try Study(directory: fixture.directory)) { XCTAssertTrue("\($0)".contains("differ in size"), "\($0)") }
        try original.write(to: clip)
        XCTAssertNoThrow(try Study(directory: fixture.directory))
    }

    func testByteRanges() {
        XCTAssertEqual(ByteRange.parse(nil, size: 100), .none)
        XCTAssertEqual(ByteRange.parse("bytes=0-", size: 100), .range(0..<100))
        XCTAssertEqual(ByteRange.parse("bytes=10-19", size: 100), .range(10..<20))
        XCTAssertEqual(ByteRange.parse("bytes=90-200", size: 100), .range(90..<100))
        XCTAssertEqual(ByteRange.parse("bytes=-10", size: 100), .range(90..<100))
        XCTAssertEqual(ByteRange.parse("bytes=100-", size: 100), .unsatisfiable)
        XCTAssertEqual(ByteRange.parse("bytes=20-10", size: 100), .unsatisfiable)
        XCTAssertEqual(ByteRange.parse("bytes=a-b", size: 100), .unsatisfiable)
        XCTAssertEqual(ByteRange.parse("bytes=0-1,5-6", size: 100), .none)
        XCTAssertEqual(ByteRange.parse("items=0-1", size: 100), .none)
    }
}
