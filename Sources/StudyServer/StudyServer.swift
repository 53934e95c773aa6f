import Foundation
import Hummingbird
import Logging
import NIOCore

/// The blind rating server for one study directory.
///
/// Routes (nothing else is served; no route maps a request path to a file):
/// - `GET  /r/<token>`                 the rating page at the rater's first unrated position, or a thank-you page
/// - `GET  /r/<token>/clip/<position>` the audio of the rater's *current* position (positions, never clip ids)
/// - `POST /r/<token>/rating`          a rating for the current position, as a form (→ 303 to the page) or JSON (→ 200 JSON)
/// - `GET  /admin/<adminToken>/export.csv` every rating as CSV
///
/// Ratings are final: re-submitting a rated position is refused with 409 (the stored rating is kept
/// as it is), and so is a position after the current one. A rating is committed (WAL, fsync) before
/// the response that leads to the next clip is sent. Tokens are compared in constant time; a bad
/// token is 404. Every bad input gets a 4xx with a message saying what was wrong.
public final class StudyServer: Sendable {
    public let study: Study
    public let store: RatingStore
    /// Rater ids and their clip orders (clip ids, position 1 first), fixed once the store is prepared.
    let orders: [String: [String]]
    let raterTokens: [(id: String, token: [UInt8])]
    let adminToken: [UInt8]

    /// The largest request body accepted (a rating is well under 200 bytes).
    public static let maxBodyBytes = 4096

    /// Opens the study in `directory` and its ratings store (`ratings.sqlite` there, created if
    /// needed), making each rater's order if it is not stored yet.
    public convenience init(directory: URL) throws {
        let study = try Study(directory: directory)
        let store = try RatingStore(path: Study.databasePath(directory: study.directory))
        try self.init(study: study, store: store)
    }

    public init(study: Study, store: RatingStore) throws {
        self.study = study
        self.store = store
        try store.prepareOrders(for: study.manifest)
        var orders: [String: [String]] = [:]
        for rater in study.manifest.raters {
            orders[rater.id] = try store.order(rater: rater.id)
        }
        self.orders = orders
        raterTokens = study.manifest.raters.map { ($0.id, Array($0.token.utf8)) }
        adminToken = Array(study.manifest.adminToken.utf8)
    }

    var clipCount: Int { study.manifest.clips.count }

    // MARK: Access

    /// Constant-time equality of two byte strings of equal length (length is not secret: every
    /// token has 32 characters, and a string of another length is refused before any comparison).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// The rater whose token this is; every rater's token is compared (no early exit), so the time
    /// taken does not depend on which token, or how much of one, matched.
    func rater(forToken token: String?) throws -> String {
        guard let token, StudyManifest.isHex(token, count: 32) else { throw Self.unknownToken }
        let bytes = Array(token.utf8)
        var found: String?
        for rater in raterTokens {
            if Self.constantTimeEqual(bytes, rater.token), found == nil { found = rater.id }
        }
        guard let found else { throw Self.unknownToken }
        return found
    }

    static let unknownToken = HTTPError(.notFound, message: "unknown invitation link: check the address you were sent")

    func checkAdmin(_ token: String?) throws {
        guard let token, StudyManifest.isHex(token, count: 32), Self.constantTimeEqual(Array(token.utf8), adminToken) else {
            throw HTTPError(.notFound, message: "not found")
        }
    }

    /// A position from a path or a form: decimal digits only, 1 … clip count.
    func parsePosition(_ text: String?) throws -> Int {
        guard let text, !text.isEmpty, text.count <= 6, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let position = Int(text), (1...clipCount).contains(position)
        else {
            throw HTTPError(.badRequest, message: "position must be an integer from 1 to \(clipCount)")
        }
        return position
    }

    // MARK: Handlers

    func page(token: String?) throws -> Response {
        let rater = try rater(forToken: token)
        let rated = try store.ratedCount(rater: rater)
        let html: String
        if rated >= clipCount {
            html = RatingPage.thankYou(clips: clipCount)
        } else {
            html = RatingPage.rating(
                token: token!, position: rated + 1, of: clipCount, scale: study.manifest.scale, emotions: study.manifest.emotions)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = RatingPage.contentSecurityPolicy
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func clip(token: String?, position positionText: String?, range: String?) throws -> Response {
        let rater = try rater(forToken: token)
        let position = try parsePosition(positionText)
        let current = try store.ratedCount(rater: rater) + 1
        if position < current {
            throw HTTPError(.conflict, message: "clip \(position) is already rated; ratings are final")
        }
        if position > current {
            throw HTTPError(.forbidden, message: "clip \(position) is not available yet: rate clip \(current) first")
        }
        guard let clipID = orders[rater]?[position - 1], let path = study.clipPaths[clipID],
            let bytes = FileManager.default.contents(atPath: path)
        else { throw StudyError.storage("the audio for a position could not be read") }
        var headers = HTTPFields()
        headers[.contentType] = "audio/wav"
        headers[.acceptRanges] = "bytes"
        // Served as-is: the file carries no metadata (checked when the study was opened). No
        // Content-Disposition, Last-Modified or ETag: nothing derived from the file or its name.
        switch ByteRange.parse(range, size: bytes.count) {
        case .none:
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(bytes.count)"
            throw HTTPError(.rangeNotSatisfiable, headers: headers, message: "the requested byte range is outside the clip")
        case .range(let r):
            headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(bytes.count)"
            return Response(status: .partialContent, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes[r])))
        }
    }

    func submit(token: String?, contentType: String?, body: ByteBuffer) throws -> Response {
        let rater = try rater(forToken: token)
        let kind = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let isJSON: Bool
        let fields: [String: String]
        switch kind {
        case "application/json":
            isJSON = true
            fields = try RatingInput.jsonFields(body)
        case "application/x-www-form-urlencoded":
            isJSON = false
            fields = try RatingInput.formFields(body)
        default:
            throw HTTPError(
                .unsupportedMediaType, message: "send the rating as application/json or application/x-www-form-urlencoded")
        }
        let submission = try RatingInput.submission(
            from: fields, clips: clipCount, scale: study.manifest.scale, emotions: study.manifest.emotions)
        switch try store.submit(rater: rater, submission) {
        case .failure(.alreadyRated(let p)):
            throw HTTPError(.conflict, message: "clip \(p) is already rated; ratings are final and cannot be changed")
        case .failure(.notCurrent(let p, let current)):
            throw HTTPError(.conflict, message: "clip \(p) is not the current clip; rate clip \(current) first")
        case .failure(.finished):
            throw HTTPError(.conflict, message: "every clip is already rated; thank you")
        case .success(let rating):
            if isJSON {
                let next = rating.position < clipCount ? String(rating.position + 1) : "null"
                let json = "{\"rated\":\(rating.position),\"next\":\(next),\"total\":\(clipCount)}"
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
            }
            var headers = HTTPFields()
            headers[.location] = "/r/\(token!)"
            return Response(status: .seeOther, headers: headers)
        }
    }

    func export(token: String?) throws -> Response {
        try checkAdmin(token)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: try store.exportCSV())))
    }

    // MARK: Application

    /// The router with every route, behind ``HeadersMiddleware``.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(HeadersMiddleware())
        router.get("/r/:token") { _, context in try self.page(token: context.parameters.get("token")) }
        router.get("/r/:token/clip/:position") { request, context in
            try self.clip(
                token: context.parameters.get("token"), position: context.parameters.get("position"),
                range: request.headers[.range])
        }
        router.post("/r/:token/rating") { request, context in
            let token = context.parameters.get("token")
            _ = try self.rater(forToken: token)  // a bad token is 404 before the body is read
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: Self.maxBodyBytes) } catch is NIOTooManyBytesError {
                throw HTTPError(.contentTooLarge, message: "the request body is larger than \(Self.maxBodyBytes) bytes")
            }
            return try self.submit(token: token, contentType: request.headers[.contentType], body: body)
        }
        router.get("/admin/:token/export.csv") { _, context in try self.export(token: context.parameters.get("token")) }
        return router
    }

    /// The Hummingbird application on `host:port` (port 0: any free port; `onRunning` gets the
    /// port actually bound). Logs warnings and errors only; `quiet` logs nothing but critical
    /// errors (tests stop servers by cancellation, which Hummingbird reports as errors).
    public func application(
        host: String, port: Int, quiet: Bool = false, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        var logger = Logger(label: "emomusik.study")
        logger.logLevel = quiet ? .critical : .warning
        return Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Runs the server until SIGINT or SIGTERM (a graceful shutdown) or until the task is cancelled.
    public func run(
        host: String, port: Int, quiet: Bool = false, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        try await application(host: host, port: port, quiet: quiet, onRunning: onRunning).runService()
    }
}

/// Headers on every response: no caching, no sniffing, no referrer (the token is in the URL), and
/// any error that is not already an HTTP error becomes a plain 500 that reveals nothing.
struct HeadersMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    static let referrerPolicy = HTTPFields.Element.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPFields.Element.Name("X-Frame-Options")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("request failed: \(error)")
            response = try HTTPError(.internalServerError, message: "internal error; the rating was not stored")
                .response(from: request, context: context)
        }
        response.headers[.cacheControl] = "no-store"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.referrerPolicy] = "no-referrer"
        response.headers[Self.xFrameOptions] = "DENY"
        return response
    }
}

/// A single `Range: bytes=…` request; several ranges or another unit are ignored (a full 200).
enum ByteRange: Equatable {
    case none
    case unsatisfiable
    case range(Range<Int>)

    static func parse(_ header: String?, size: Int) -> ByteRange {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .none }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .none }
        let digits: (Substring) -> Bool = { !$0.isEmpty && $0.count <= 18 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        if parts[0].isEmpty {
            guard digits(parts[1]), let suffix = Int(parts[1]), suffix > 0 else { return .unsatisfiable }
            return size == 0 ? .unsatisfiable : .range(max(0, size - suffix)..<size)
        }
        guard digits(parts[0]), let start = Int(parts[0]), start < size else { return .unsatisfiable }
        if parts[1].isEmpty { return .range(start..<size) }
        guard digits(parts[1]), let end = Int(parts[1]), end >= start else { return .unsatisfiable }
        return .range(start..<min(end + 1, size))
    }
}
