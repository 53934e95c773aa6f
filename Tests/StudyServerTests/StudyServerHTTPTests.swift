import Foundation
import XCTest

@testable import StudyServer

/// The server in this process on a free port, spoken to over real sockets.
final class StudyServerHTTPTests: XCTestCase {
    var fixture: StudyFixture!
    var running: RunningServer!

    func start(clips: Int = 4, raters: Int = 2) throws {
        fixture = try StudyFixture.make(clips: clips, raters: raters)
        running = try RunningServer(directory: fixture.directory)
    }

    override func tearDown() {
        running?.stop()
        fixture?.remove()
        super.tearDown()
    }

    var r1: StudyManifest.Rater { fixture.manifest.raters[0] }
    var r2: StudyManifest.Rater { fixture.manifest.raters[1] }

    func rating(_ position: Int, rhythm: Int = 4, emotion: Int = 5, heard: String = "happiness") -> [String: Any] {
        ["position": position, "rhythm_match": rhythm, "emotion_match": emotion, "heard_emotion": heard]
    }

    func clipBytes(rater: String, position: Int) throws -> Data {
        let id = running.server.orders[rater]![position - 1]
        return try Data(contentsOf: fixture.directory.appendingPathComponent("clips/\(id).wav"))
    }

    // MARK: The rater's flow

    func testRaterRatesEveryClipByFormAndJSONResumingWhereTheyLeftOff() throws {
        try start(clips: 4, raters: 2)
        let token = r1.token
        var page = try running.get("/r/\(token)")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.header("content-type"), "text/html; charset=utf-8")
        XCTAssertTrue(page.text.contains("<span id=\"position\">1</span> of <span id=\"total\">4</span>"))
        XCTAssertTrue(page.text.contains("src=\"/r/\(token)/clip/1\""))
        for value in 1...7 { XCTAssertTrue(page.text.contains("name=\"rhythm_match\" value=\"\(value)\"")) }
        for emotion in StudyFixture.emotions { XCTAssertTrue(page.text.contains("value=\"\(emotion)\"")) }

        let audio = try running.get("/r/\(token)/clip/1")
        XCTAssertEqual(audio.status, 200)
        XCTAssertEqual(audio.header("content-type"), "audio/wav")
        XCTAssertEqual(audio.body, try clipBytes(rater: "r01", position: 1), "the rater's first clip, byte for byte")

        // A form post (the page's own submit) redirects back to the page.
        let form = try running.postForm(
            "/r/\(token)/rating", "position=1&heard_emotion=sadness&rhythm_match=2&emotion_match=6")
        XCTAssertEqual(form.status, 303, form.text)
        XCTAssertEqual(form.header("location"), "/r/\(token)")
        page = try running.get("/r/\(token)")
        XCTAssertTrue(page.text.contains("<span id=\"position\">2</span>"), "resumes at the first unrated clip")

        // JSON, and a restart of the server in between: the page still resumes at clip 3.
        let json = try running.post("/r/\(token)/rating", json: rating(2, rhythm: 7, emotion: 1, heard: "fear"))
        XCTAssertEqual(json.status, 200, json.text)
        XCTAssertEqual(json.text, "{\"rated\":2,\"next\":3,\"total\":4}")
        running.stop()
        running = try RunningServer(directory: fixture.directory)
        page = try running.get("/r/\(token)")
        XCTAssertTrue(page.text.contains("<span id=\"position\">3</span>"))
        XCTAssertEqual(try running.post("/r/\(token)/rating", json: rating(3)).status, 200)
        let last = try running.post("/r/\(token)/rating", json: rating(4))
        XCTAssertEqual(last.text, "{\"rated\":4,\"next\":null,\"total\":4}")

        page = try running.get("/r/\(token)")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("id=\"done\""), "a thank-you page")
        XCTAssertFalse(page.text.contains("<audio"))
        XCTAssertEqual(try running.post("/r/\(token)/rating", json: rating(4)).status, 409, "ratings are final")
        XCTAssertEqual(try running.get("/r/\(token)/clip/4").status, 409)
        XCTAssertTrue(try running.get("/r/\(r2.token)").text.contains("<span id=\"position\">1</span>"), "r02 untouched")

        let export = try running.get("/admin/\(fixture.manifest.adminToken)/export.csv")
        XCTAssertEqual(export.status, 200)
        XCTAssertEqual(export.header("content-type"), "text/csv; charset=utf-8")
        let lines = export.text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, RatingStore.csvHeader)
        XCTAssertEqual(lines.count, 5)
        let order = running.server.orders["r01"]!
        XCTAssertTrue(lines[1].hasPrefix("r01,\(order[0]),1,2,6,sadness,"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("r01,\(order[1]),2,7,1,fear,"), lines[2])
        XCTAssertTrue(lines[4].hasPrefix("r01,\(order[3]),4,4,5,happiness,"), lines[4])
    }

    // MARK: Blinding

    func testNothingARaterReceivesRevealsACondition() throws {
        try start(clips: 6, raters: 3)
        let clipIDs = fixture.manifest.clips.map(\.id)
        let forbidden = clipIDs + fixture.keyStrings + [".wav", "clips/", "manifest", fixture.manifest.adminToken]
        var everything: [(String, RawResponse)] = []
        var pagesByPosition: [String: [Int: String]] = [:]
        var clipSizes: Set<Int> = []
        for rater in fixture.manifest.raters {
            let token = rater.token
            for position in 1...6 {
                let page = try running.get("/r/\(token)")
                everything.append(("page", page))
                pagesByPosition[rater.id, default: [:]][position] = page.text.replacingOccurrences(of: token, with: "TOKEN")
                // Every URL in the page names the token and a position, nothing else.
                let urls = page.text.matches(of: /(?:src|action|href)="([^"]*)"/).map { String($0.1) }
                XCTAssertEqual(Set(urls), ["/r/\(token)/clip/\(position)", "/r/\(token)/rating"])

                let audio = try running.get("/r/\(token)/clip/\(position)")
                XCTAssertEqual(audio.status, 200)
                XCTAssertEqual(audio.body, try clipBytes(rater: rater.id, position: position), "served as-is")
                XCTAssertNoThrow(try WAVCheck.checkNoMetadata(audio.body, name: "served clip"), "no metadata in what is served")
                clipSizes.insert(audio.body.count)
                XCTAssertEqual(Int(audio.header("content-length") ?? ""), audio.body.count)
                let partial = try running.get("/r/\(token)/clip/\(position)", headers: ["Range": "bytes=0-99"])
                XCTAssertEqual(partial.status, 206)
                XCTAssertEqual(partial.body, audio.body.prefix(100))
                everything.append(("clip headers", RawResponse(status: audio.status, headers: audio.headers, body: Data())))
                everything.append(("range headers", RawResponse(status: partial.status, headers: partial.headers, body: Data())))

                if position > 1 { everything.append(("rated clip", try running.get("/r/\(token)/clip/\(position - 1)"))) }
                if position < 6 { everything.append(("future clip", try running.get("/r/\(token)/clip/\(position + 1)"))) }
                everything.append(("bad rating", try running.post("/r/\(token)/rating", json: rating(position, rhythm: 9))))
                let posted = try running.post("/r/\(token)/rating", json: rating(position))
                XCTAssertEqual(posted.status, 200)
                everything.append(("rating", posted))
                everything.append(("again", try running.post("/r/\(token)/rating", json: rating(position))))
            }
            everything.append(("thanks", try running.get("/r/\(token)")))
        }
        XCTAssertEqual(clipSizes.count, 1, "every clip has the same size")
        XCTAssertGreaterThan(everything.count, 60)
        for (what, response) in everything {
            let text = response.everything
            for secret in forbidden {
                XCTAssertFalse(text.contains(secret), "\(what) reveals '\(secret)':\n\(text.prefix(400))")
            }
            for name in ["content-disposition", "etag", "last-modified", "server", "x-powered-by"] {
                XCTAssertNil(response.header(name), "\(what) has a \(name) header")
            }
            XCTAssertEqual(response.header("cache-control"), "no-store", what)
            XCTAssertEqual(response.header("referrer-policy"), "no-referrer", what)
            XCTAssertFalse((400..<600).contains(response.status) && response.status >= 500, "\(what): \(response.status)")
        }
        // The page at a position is the same for both raters (token aside) although they hear
        // different clips there: it cannot depend on the clip.
        // Two raters share an order with probability 1/720 (the secret is random per study), so
        // compare r01 with a rater whose order differs: all three alike is a 2e-6 event.
        let other = try XCTUnwrap(["r02", "r03"].first { running.server.orders[$0] != running.server.orders["r01"] })
        for position in 1...6 {
            XCTAssertEqual(pagesByPosition["r01"]![position], pagesByPosition[other]![position], "page \(position)")
        }
        XCTAssertFalse(pagesByPosition["r01"]![1]!.contains("<script"), "no script")
        XCTAssertFalse(pagesByPosition["r01"]![1]!.contains("http"), "no external resource")
    }

    // MARK: Access

    func testTokensAreCheckedAndNoPathReachesAFile() throws {
        try start(clips: 3, raters: 2)
        let token = r1.token
        let admin = fixture.manifest.adminToken
        let id = fixture.manifest.clips[0].id
        var wrong = Array(token)
        wrong[31] = wrong[31] == "0" ? "1" : "0"
        let badTokens = [String(wrong), String(token.dropLast()), token.uppercased(), token + "0", admin, "..", "%2e%2e", ""]
        for bad in badTokens {
            for target in ["/r/\(bad)", "/r/\(bad)/clip/1"] {
                let response = try running.get(target)
                XCTAssertEqual(response.status, 404, "\(target) → \(response.status)")
            }
            let posted = try running.post("/r/\(bad)/rating", json: rating(1))
            XCTAssertEqual(posted.status, 404, "POST with token '\(bad)'")
        }
        XCTAssertTrue(try running.get("/r/\(String(wrong))").text.contains("unknown invitation link"))
        for bad in [token, r2.token, String(admin.dropLast()) + (admin.hasSuffix("0") ? "1" : "0"), admin.uppercased()] {
            XCTAssertEqual(try running.get("/admin/\(bad)/export.csv").status, 404, "a rater cannot export")
        }
        let escapes = [
            "/r/\(token)/clip/../../key.csv", "/r/\(token)/clip/..%2f..%2fkey.csv", "/r/\(token)/clip/%2e%2e%2f%2e%2e%2fkey.csv",
            "/r/\(token)/clip/%2E%2E/%2E%2E/key.csv", "/r/\(token)/clip/%252e%252e%252fkey.csv", "/r/\(token)/clip/..%5c..%5ckey.csv",
            "/r/\(token)/clip//etc/passwd", "/r/\(token)/clip/%2fetc%2fpasswd", "/r/\(token)/clip/\(id)",
            "/r/\(token)/clip/clips%2f\(id).wav", "/r/\(token)/clip/1%00", "/r/\(token)/clip/1%2f..%2f..%2fkey.csv",
            "/r/\(token)/../../key.csv", "/r/\(token)/key.csv", "/r/\(token)/clip/0", "/r/\(token)/clip/-1", "/r/\(token)/clip/4",
            "/r/\(token)/clip/99999999999999999999", "/r/\(token)/clip/1.0", "/r/\(token)/clip/0x1", "/r/\(token)/clip/+1",
            "/key.csv", "/../key.csv", "//key.csv", "/manifest.json", "/ratings.sqlite", "/clips/\(id).wav", "/clips/",
            "/admin/\(admin)/../key.csv", "/admin/\(admin)/key.csv", "/admin/\(admin)/export.csv/../../key.csv",
            "/admin/\(admin)/%2e%2e/key.csv", "/\(fixture.directory.path)/key.csv", "/r/\(token)/clip/\(fixture.directory.path)/key.csv",
            "http://127.0.0.1/key.csv", "/",
        ]
        for target in escapes {
            let response = try running.get(target)
            XCTAssertTrue((400..<500).contains(response.status), "\(target) → \(response.status)")
            XCTAssertFalse(response.body.starts(with: Array("RIFF".utf8)), "\(target) served audio")
            for secret in fixture.keyStrings + [id] { XCTAssertFalse(response.text.contains(secret), "\(target) leaks \(secret)") }
        }
        XCTAssertEqual(try running.get("/r/\(token)/clip/2").status, 403, "a later clip is not served before this one is rated")
        XCTAssertEqual(try running.get("/r/\(token)/clip/1", headers: ["Range": "bytes=999999-"]).status, 416)
        // There is no endpoint for anyone's ratings but the admin export: r02's rating is invisible to r01.
        XCTAssertEqual(try running.post("/r/\(r2.token)/rating", json: rating(1, heard: "disgust")).status, 200)
        for target in ["/r/\(token)/ratings", "/r/\(token)/rating", "/r/\(token)/export.csv", "/r/\(r2.token)/rating"] {
            let response = try running.get(target)
            XCTAssertTrue((400..<500).contains(response.status), "\(target) → \(response.status)")
            XCTAssertFalse(response.text.contains("disgust"))
        }
    }

    // MARK: Validation

    func testEveryBadInputGetsAClear4xxAndStoresNothing() throws {
        try start(clips: 3, raters: 1)
        let target = "/r/\(r1.token)/rating"
        let json = ["Content-Type": "application/json"]
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        func body(_ object: [String: Any]) -> Data { RawHTTP.json(object) }
        var withoutPosition = rating(1)
        withoutPosition["position"] = nil
        var extra = rating(1)
        extra["clip"] = fixture.manifest.clips[0].id
        let cases: [(String, [String: String], Data, Int, String)] = [
            ("Likert above", json, body(rating(1, rhythm: 8)), 400, "rhythm_match 8 is outside 1…7"),
            ("Likert below", json, body(rating(1, emotion: 0)), 400, "emotion_match 0 is outside 1…7"),
            ("Likert negative", json, body(rating(1, rhythm: -3)), 400, "outside 1…7"),
            ("Likert fraction", json, Data(#"{"position":1,"rhythm_match":3.5,"emotion_match":4,"heard_emotion":"fear"}"#.utf8), 400, "integer"),
            ("Likert text", json, body(["position": 1, "rhythm_match": "three", "emotion_match": 4, "heard_emotion": "fear"]), 400, "must be an integer"),
            ("Likert bool", json, Data(#"{"position":1,"rhythm_match":true,"emotion_match":4,"heard_emotion":"fear"}"#.utf8), 400, "integer"),
            ("Likert huge", json, body(rating(1, rhythm: 99_999_999_999)), 400, "rhythm_match"),
            ("unknown emotion", json, body(rating(1, heard: "joy")), 400, "heard_emotion must be one of neutral, happiness"),
            ("emotion case", json, body(rating(1, heard: "Happiness")), 400, "heard_emotion must be one of"),
            ("emotion injection", json, body(rating(1, heard: "fear'); DROP TABLE ratings; --")), 400, "heard_emotion must be one of"),
            ("position word", json, body(["position": "one", "rhythm_match": 1, "emotion_match": 1, "heard_emotion": "fear"]), 400, "position must be an integer"),
            ("position fraction", json, Data(#"{"position":1.5,"rhythm_match":1,"emotion_match":1,"heard_emotion":"fear"}"#.utf8), 400, "integer"),
            ("position zero", json, body(rating(0)), 400, "position 0 is outside 1…3"),
            ("position beyond", json, body(rating(4)), 400, "position 4 is outside 1…3"),
            ("position missing", json, body(withoutPosition), 400, "missing field 'position'"),
            ("position not current", json, body(rating(2)), 409, "clip 2 is not the current clip; rate clip 1 first"),
            ("unknown field", json, body(extra), 400, "unknown field 'clip'"),
            ("not JSON", json, Data("{position:1".utf8), 400, "not a JSON object"),
            ("JSON array", json, Data("[1,2,3]".utf8), 400, "not a JSON object"),
            ("empty", json, Data(), 400, "not a JSON object"),
            ("form missing", form, Data("position=1&rhythm_match=3".utf8), 400, "missing field 'emotion_match'"),
            ("form twice", form, Data("position=1&position=1&rhythm_match=3&emotion_match=3&heard_emotion=fear".utf8), 400, "given twice"),
            ("form bad escape", form, Data("position=%zz&rhythm_match=3&emotion_match=3&heard_emotion=fear".utf8), 400, "not valid"),
            ("form not integer", form, Data("position=1&rhythm_match=3.0&emotion_match=3&heard_emotion=fear".utf8), 400, "rhythm_match must be an integer"),
            ("form spaces", form, Data("position=+1&rhythm_match=3&emotion_match=3&heard_emotion=fear".utf8), 400, "position must be an integer"),
            ("content type", ["Content-Type": "text/plain"], Data("position=1".utf8), 415, "send the rating as application"),
            ("no content type", [:], body(rating(1)), 415, "send the rating as application"),
            ("oversized", json, Data(repeating: 0x20, count: 1 << 20) + body(rating(1)), 413, "larger than 4096 bytes"),
            ("oversized form", form, Data(("position=1&heard_emotion=" + String(repeating: "a", count: 5000)).utf8), 413, "larger than 4096 bytes"),
        ]
        for (name, headers, data, status, message) in cases {
            let response = try RawHTTP.request(port: running.port, method: "POST", target: target, headers: headers, body: data)
            XCTAssertEqual(response.status, status, "\(name): \(response.text)")
            XCTAssertTrue(response.text.contains(message), "\(name): '\(response.text)' lacks '\(message)'")
        }
        XCTAssertEqual(try running.server.store.ratedCount(rater: "r01"), 0, "nothing was stored")
        XCTAssertEqual(try running.post(target, json: rating(1)).status, 200, "the server is still fine")
        let again = try running.post(target, json: rating(1, rhythm: 1))
        XCTAssertEqual(again.status, 409)
        XCTAssertTrue(again.text.contains("clip 1 is already rated; ratings are final"))
        XCTAssertEqual(try running.server.store.allRatings().map(\.rhythmMatch), [4], "the first rating stands")
    }

    func testConcurrentSubmissionsForOnePositionStoreExactlyOne() throws {
        try start(clips: 3, raters: 1)
        let port = running.port
        let token = r1.token
        let statuses = Box<[Int]>([])
        let bodies = (0..<8).map { RawHTTP.json(rating(1, rhythm: 1 + $0 % 7)) }
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let response = try? RawHTTP.request(
                port: port, method: "POST", target: "/r/\(token)/rating", headers: ["Content-Type": "application/json"],
                body: bodies[i])
            statuses.mutate { $0.append(response?.status ?? -1) }
        }
        XCTAssertEqual(statuses.value.sorted(), [200] + Array(repeating: 409, count: 7))
        XCTAssertEqual(try running.server.store.allRatings().count, 1)
    }
}
