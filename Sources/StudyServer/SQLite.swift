import CSQLite
import Foundation

/// An error from SQLite: the operation, SQLite's result code and its message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var message: String
    public var description: String { "SQLite error \(code): \(message)" }
}

/// A value bound to a `?` parameter of a prepared statement. SQL text is never built from values:
/// every value goes through `sqlite3_bind_*`.
public enum SQLiteValue: Sendable, Equatable {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null
}

/// One SQLite connection: WAL journal, `synchronous=FULL` (a commit is fsynced before it returns),
/// a busy timeout, prepared statements with bound parameters, and transactions.
///
/// Not thread-safe by itself; ``RatingStore`` serialises access with a lock.
public final class SQLiteDatabase {
    private var handle: OpaquePointer?
    public let path: String

    /// Opens (creating if needed) the database at `path`, in WAL mode with `synchronous=FULL`.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw SQLiteError(code: status, message: "cannot open '\(path)': \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(db, 1)
        let mode = try query("PRAGMA journal_mode=WAL").first?.first
        guard case .text(let journal)? = mode, journal.lowercased() == "wal" else {
            throw SQLiteError(code: SQLITE_ERROR, message: "cannot switch '\(path)' to WAL mode (got \(String(describing: mode)))")
        }
        try execute("PRAGMA synchronous=FULL")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        if let handle { sqlite3_close_v2(handle) }
    }

    private var errorMessage: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed" }

    /// Prepares `sql` (a constant: values go in `parameters`), binds and runs it to completion,
    /// and returns every row.
    @discardableResult
    public func query(_ sql: StaticString, _ parameters: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        for (index, value) in parameters.enumerated() {
            try bind(value, at: Int32(index + 1), in: statement)
        }
        var rows: [[SQLiteValue]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else {
                throw SQLiteError(code: status, message: "\(errorMessage) (in \(sql))")
            }
            let columns = sqlite3_column_count(statement)
            var row: [SQLiteValue] = []
            row.reserveCapacity(Int(columns))
            for column in 0..<columns {
                row.append(Self.value(of: statement, column: column))
            }
            rows.append(row)
        }
        return rows
    }

    /// Runs `sql` (a constant) with bound `parameters`, discarding any rows.
    public func execute(_ sql: StaticString, _ parameters: [SQLiteValue] = []) throws {
        try query(sql, parameters)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT` (the write lock is taken at the start, so a
    /// check and the write that depends on it cannot interleave with another writer). A thrown
    /// error rolls back. With WAL and `synchronous=FULL` the commit is on disk when this returns.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func prepare(_ sql: StaticString) throws -> OpaquePointer {
        var statement: OpaquePointer?
        let status = sql.withUTF8Buffer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_prepare_v2(handle, chars.baseAddress, Int32(chars.count), &statement, nil)
            }
        }
        guard status == SQLITE_OK, let statement else {
            throw SQLiteError(code: status, message: "\(errorMessage) (preparing \(sql))")
        }
        return statement
    }

    /// SQLite copies bound text and blobs (SQLITE_TRANSIENT), so the Swift buffers may go away.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func bind(_ value: SQLiteValue, at index: Int32, in statement: OpaquePointer) throws {
        let status: Int32
        switch value {
        case .integer(let v): status = sqlite3_bind_int64(statement, index, v)
        case .text(let s): status = sqlite3_bind_text(statement, index, s, -1, Self.transient)
        case .blob(let bytes):
            status = bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), Self.transient) }
        case .null: status = sqlite3_bind_null(statement, index)
        }
        guard status == SQLITE_OK else { throw SQLiteError(code: status, message: errorMessage) }
    }

    private static func value(of statement: OpaquePointer, column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, column)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        case SQLITE_NULL: return .null
        default:  // SQLITE_FLOAT: not used by this schema; kept as text so nothing is lost.
            return .text(String(sqlite3_column_double(statement, column)))
        }
    }
}

extension SQLiteValue {
    var int: Int? { if case .integer(let v) = self { Int(v) } else { nil } }
    var string: String? { if case .text(let s) = self { s } else { nil } }
}
