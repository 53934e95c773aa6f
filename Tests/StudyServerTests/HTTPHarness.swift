import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

@testable import StudyServer

/// An HTTP response as it came off the wire.
struct RawResponse {
    var status: Int
    /// Header names lowercased, in order.
    var headers: [(name: String, value: String)]
    var body: Data

    func header(_ name: String) -> String? { headers.first { $0.name == name.lowercased() }?.value }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// Everything a client receives but the status line: headers and body, as text.
    var everything: String { headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n") + "\n\n" + text }
}

/// A minimal HTTP/1.1 client over a blocking POSIX socket: the request target is sent exactly as
/// given (no normalisation of `..` or percent escapes, unlike URLSession), with `Connection: close`.
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func request(
        port: Int, method: String = "GET", target: String, headers: [String: String] = [:], body: Data = Data(),
        timeout: Int = 20
    ) throws -> RawResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to port \(port) failed (errno \(errno))") }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try sendAll(fd, Data(head.utf8) + body)
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        // Until the peer closes, or the response is complete (some peers, chromedriver among them,
        // keep the connection open despite `Connection: close`).
        while !isComplete(received) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                received.append(contentsOf: buffer[0..<n])
            } else if n == 0 {
                break
            } else if errno == EINTR {
                continue
            } else if errno == ECONNRESET && !received.isEmpty {
                break
            } else {
                throw Failure(description: "recv failed (errno \(errno)) after \(received.count) bytes")
            }
        }
        return try parse(received)
    }

    private static func sendAll(_ fd: Int32, _ data: Data) throws {
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                // The server may answer (413) and close before reading a large body.
                if errno == EPIPE || errno == ECONNRESET { return }
                throw Failure(description: "send failed (errno \(errno))")
            }
            offset += n
        }
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }
    }

    /// True once the head and a body of the announced Content-Length (or a last chunk) are in.
    private static func isComplete(_ data: Data) -> Bool {
        let bytes = [UInt8](data)
        guard let end = headEnd(bytes) else { return false }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).lowercased()
        let bodyCount = bytes.count - end - 4
        if let match = head.firstMatch(of: /\r\ncontent-length:\s*(\d+)/), let length = Int(match.1) {
            return bodyCount >= length
        }
        if head.contains("transfer-encoding: chunked") { return bytes.suffix(5).elementsEqual(Array("0\r\n\r\n".utf8)) }
        return false
    }

    static func parse(_ data: Data) throws -> RawResponse {
        let bytes = [UInt8](data)
        guard let end = headEnd(bytes) else {
            throw Failure(description: "no complete response head in \(bytes.count) bytes")
        }
        let lines = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Data(bytes[(end + 4)...])
        if headers.contains(where: { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            body = try dechunk(body)
        }
        return RawResponse(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: Data) throws -> Data {
        let b = [UInt8](data)
        var out = Data()
        var i = 0
        while i < b.count {
            guard let lineEnd = (i..<b.count - 1).first(where: { b[$0] == 13 && b[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: b[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure(description: "bad chunk size")
            }
            if size == 0 { break }
            out.append(contentsOf: b[(lineEnd + 2)..<(lineEnd + 2 + size)])
            i = lineEnd + 2 + size + 2
        }
        return out
    }

    static func json(_ object: [String: Any]) -> Data { try! JSONSerialization.data(withJSONObject: object) }
}

/// A ``StudyServer`` running in this process on a free port, for one test.
final class RunningServer {
    let server: StudyServer
    let port: Int
    private let task: Task<Void, Never>
    private let stopped = DispatchSemaphore(value: 0)

    init(directory: URL) throws {
        server = try StudyServer(directory: directory)
        let started = DispatchSemaphore(value: 0)
        let portBox = Box<Int>(0)
        let server = server
        let stopped = stopped
        task = Task {
            do {
                try await server.run(host: "127.0.0.1", port: 0, quiet: true) { port in
                    portBox.value = port
                    started.signal()
                }
            } catch {
                print("server stopped: \(error)")
            }
            started.signal()
            stopped.signal()
        }
        guard started.wait(timeout: .now() + 30) == .success, portBox.value > 0 else {
            throw RawHTTP.Failure(description: "the server did not start")
        }
        port = portBox.value
    }

    func stop() {
        task.cancel()
        _ = stopped.wait(timeout: .now() + 10)
    }

    func get(_ target: String, headers: [String: String] = [:]) throws -> RawResponse {
        try RawHTTP.request(port: port, target: target, headers: headers)
    }

    func post(_ target: String, json: [String: Any]) throws -> RawResponse {
        try RawHTTP.request(
            port: port, method: "POST", target: target, headers: ["Content-Type": "application/json"], body: RawHTTP.json(json))
    }

    func postForm(_ target: String, _ form: String) throws -> RawResponse {
        try RawHTTP.request(
            port: port, method: "POST", target: target, headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: Data(form.utf8))
    }
}

final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: T
    init(_ value: T) { _value = value }
    var value: T {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
    func mutate(_ body: (inout T) -> Void) { lock.withLock { body(&_value) } }
}

/// A free TCP port on the loopback (bound to port 0, read, released).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
