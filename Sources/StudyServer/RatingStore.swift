import CSQLite
import Foundation

/// One stored rating, as the export CSV has it.
public struct Rating: Sendable, Equatable {
    public var rater: String
    public var clip: String
    public var position: Int
    public var rhythmMatch: Int
    public var emotionMatch: Int
    public var heardEmotion: String
    public var submittedAt: String
}

/// What a submission is, before it is stored.
public struct RatingSubmission: Sendable, Equatable {
    public var position: Int
    public var rhythmMatch: Int
    public var emotionMatch: Int
    public var heardEmotion: String
}

/// Why a submission was refused (each maps to a 4xx with this message).
public enum SubmissionRefusal: Error, Equatable, Sendable {
    /// The position was rated already: ratings are final (409).
    case alreadyRated(position: Int)
    /// A later position while an earlier one is unrated (409).
    case notCurrent(position: Int, current: Int)
    /// Every clip is rated (409).
    case finished
}

/// The ratings database (`DIR/ratings.sqlite`): a server secret, each rater's clip order, and the
/// ratings. Every write is one `BEGIN IMMEDIATE` transaction committed (WAL, fsync) before the
/// call returns; one connection behind a lock, so calls from concurrent requests serialise.
public final class RatingStore: @unchecked Sendable {
    private let db: SQLiteDatabase
    private let lock = NSLock()

    public static let csvHeader = "rater,clip,position,rhythm_match,emotion_match,heard_emotion,submitted_at"

    public init(path: String) throws {
        do {
            db = try SQLiteDatabase(path: path)
            try db.transaction {
                try db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
                try db.execute(
                    """
                    CREATE TABLE IF NOT EXISTS rater_order (
                        rater TEXT NOT NULL, position INTEGER NOT NULL, clip TEXT NOT NULL,
                        PRIMARY KEY (rater, position), UNIQUE (rater, clip))
                    """)
                try db.execute(
                    """
                    CREATE TABLE IF NOT EXISTS ratings (
                        rater TEXT NOT NULL, position INTEGER NOT NULL, clip TEXT NOT NULL,
                        rhythm_match INTEGER NOT NULL, emotion_match INTEGER NOT NULL,
                        heard_emotion TEXT NOT NULL, submitted_at TEXT NOT NULL,
                        PRIMARY KEY (rater, position), UNIQUE (rater, clip),
                        FOREIGN KEY (rater, position) REFERENCES rater_order (rater, position))
                    """)
                if try db.query("SELECT value FROM meta WHERE key = 'secret'").isEmpty {
                    try db.execute("INSERT INTO meta (key, value) VALUES ('secret', ?)", [.blob(Self.randomBytes(32))])
                }
            }
        } catch let error as SQLiteError {
            throw StudyError.storage("\(path): \(error)")
        }
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        do { return try body() } catch let error as SQLiteError { throw StudyError.storage(error.description) }
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The server secret (random, made once with the database).
    func secret() throws -> [UInt8] {
        try locked {
            guard case .blob(let bytes)? = try db.query("SELECT value FROM meta WHERE key = 'secret'").first?.first else {
                throw StudyError.storage("the server secret is missing")
            }
            return bytes
        }
    }

    /// Makes sure every rater in `manifest` has a stored order: a permutation of the clips seeded
    /// by the server secret and the rater id. Stored orders are kept as they are (so a restart
    /// changes nothing); if they no longer name exactly the manifest's clips, opening fails.
    public func prepareOrders(for manifest: StudyManifest) throws {
        let secret = try secret()
        let clipIDs = manifest.clips.map(\.id)
        let clipSet = Set(clipIDs)
        try locked {
            try db.transaction {
                for rater in manifest.raters {
                    let stored = try db.query("SELECT clip FROM rater_order WHERE rater = ? ORDER BY position", [.text(rater.id)])
                        .compactMap { $0.first?.string }
                    if !stored.isEmpty {
                        guard stored.count == clipIDs.count, Set(stored) == clipSet else {
                            throw StudyError.invalidStudy(
                                "rater \(rater.id)'s stored clip order does not match the manifest's clips "
                                    + "(was the study changed after rating began?)")
                        }
                        continue
                    }
                    let order = ClipOrder.permutation(of: clipIDs, secret: secret, rater: rater.id)
                    for (index, clip) in order.enumerated() {
                        try db.execute(
                            "INSERT INTO rater_order (rater, position, clip) VALUES (?, ?, ?)",
                            [.text(rater.id), .integer(Int64(index + 1)), .text(clip)])
                    }
                }
            }
        }
    }

    /// The rater's clip ids in the order they hear them (position 1 first).
    public func order(rater: String) throws -> [String] {
        try locked {
            try db.query("SELECT clip FROM rater_order WHERE rater = ? ORDER BY position", [.text(rater)]).compactMap { $0.first?.string }
        }
    }

    /// The number of positions the rater has rated. Ratings are stored strictly in order, so the
    /// first unrated position is this plus one.
    public func ratedCount(rater: String) throws -> Int {
        try locked {
            try db.query("SELECT COUNT(*) FROM ratings WHERE rater = ?", [.text(rater)]).first?.first?.int ?? 0
        }
    }

    /// Stores a rating for the rater's current position, committed before this returns.
    public func submit(rater: String, _ submission: RatingSubmission, now: Date = Date()) throws -> Result<Rating, SubmissionRefusal> {
        let submittedAt = Self.iso8601(now)
        return try locked {
            try db.transaction { () throws -> Result<Rating, SubmissionRefusal> in
                let total = try db.query("SELECT COUNT(*) FROM rater_order WHERE rater = ?", [.text(rater)]).first?.first?.int ?? 0
                let rated = try db.query("SELECT COUNT(*) FROM ratings WHERE rater = ?", [.text(rater)]).first?.first?.int ?? 0
                let current = rated + 1
                if submission.position < current { return .failure(.alreadyRated(position: submission.position)) }
                if rated >= total { return .failure(.finished) }
                if submission.position != current {
                    return .failure(.notCurrent(position: submission.position, current: current))
                }
                guard
                    let clip = try db.query(
                        "SELECT clip FROM rater_order WHERE rater = ? AND position = ?",
                        [.text(rater), .integer(Int64(current))]
                    ).first?.first?.string
                else { throw StudyError.storage("rater \(rater) has no clip at position \(current)") }
                try db.execute(
                    """
                    INSERT INTO ratings (rater, position, clip, rhythm_match, emotion_match, heard_emotion, submitted_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(rater), .integer(Int64(current)), .text(clip), .integer(Int64(submission.rhythmMatch)),
                        .integer(Int64(submission.emotionMatch)), .text(submission.heardEmotion), .text(submittedAt),
                    ])
                return .success(
                    Rating(
                        rater: rater, clip: clip, position: current, rhythmMatch: submission.rhythmMatch,
                        emotionMatch: submission.emotionMatch, heardEmotion: submission.heardEmotion, submittedAt: submittedAt))
            }
        }
    }

    /// Every rating, by rater then position.
    public func allRatings() throws -> [Rating] {
        try locked {
            try db.query(
                """
                SELECT rater, clip, position, rhythm_match, emotion_match, heard_emotion, submitted_at
                FROM ratings ORDER BY rater, position
                """
            ).map { row in
                Rating(
                    rater: row[0].string ?? "", clip: row[1].string ?? "", position: row[2].int ?? 0,
                    rhythmMatch: row[3].int ?? 0, emotionMatch: row[4].int ?? 0, heardEmotion: row[5].string ?? "",
                    submittedAt: row[6].string ?? "")
            }
        }
    }

    /// The export CSV: ``csvHeader`` then one line per rating.
    public func exportCSV() throws -> String {
        var out = Self.csvHeader + "\n"
        for r in try allRatings() {
            out += [
                CSV.field(r.rater), r.clip, String(r.position), String(r.rhythmMatch), String(r.emotionMatch),
                CSV.field(r.heardEmotion), r.submittedAt,
            ].joined(separator: ",") + "\n"
        }
        return out
    }

    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

enum CSV {
    /// Quotes a field if it holds a comma, quote or line break (RFC 4180).
    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// The per-rater clip order: a Fisher–Yates shuffle driven by SplitMix64, seeded from a keyed
/// FNV-1a hash of the server secret and the rater id. Without the secret the order cannot be
/// predicted from the rater id; the order is stored, so the derivation only matters once.
public enum ClipOrder {
    public static func seed(secret: [UInt8], rater: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        for b in secret { mix(b) }
        mix(0)
        for b in rater.utf8 { mix(b) }
        mix(0)
        for b in secret.reversed() { mix(b) }
        return hash
    }

    public static func permutation(of items: [String], secret: [UInt8], rater: String) -> [String] {
        var state = seed(secret: secret, rater: rater)
        func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        var result = items
        guard result.count > 1 else { return result }
        for i in stride(from: result.count - 1, to: 0, by: -1) {
            // Lemire-free modulo: the bias at these sizes (≤ thousands of clips) is below 2⁻⁵⁰.
            let j = Int(next() % UInt64(i + 1))
            result.swapAt(i, j)
        }
        return result
    }
}
