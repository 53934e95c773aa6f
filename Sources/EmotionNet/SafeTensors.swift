import EmoMusikCore
import Foundation

extension EmoMusikError.Code {
    /// A model file is readable but does not fit the network or the input it would be used with.
    public static let incompatibleModel = EmoMusikError.Code(rawValue: "incompatible-model")
}

/// A safetensors file of float32 tensors (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length N, N bytes of JSON (`__metadata__`: string → string, then
/// per tensor `dtype`, `shape`, `data_offsets` [begin, end) relative to the data section), then the
/// raw little-endian data. The header is padded with spaces to a multiple of 8 bytes; tensors are
/// written in name order, contiguously.
public struct SafeTensorsFile: Sendable, Equatable {
    public var metadata: [String: String]
    public var tensors: [String: Tensor]

    public init(metadata: [String: String] = [:], tensors: [String: Tensor] = [:]) {
        self.metadata = metadata
        self.tensors = tensors
    }

    // MARK: Writing

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        let names = tensors.keys.sorted()
        var entries: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted().map { "\(Self.jsonString($0)):\(Self.jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let end = offset + 4 * tensor.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(Self.jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        var length = UInt64(header.count).littleEndian
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for name in names {
            for value in tensors[name]!.storage {
                var bits = value.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
            }
        }
        return bytes
    }

    /// Writes the file atomically.
    public func write(to url: URL) throws {
        do {
            try Data(encoded()).write(to: url, options: .atomic)
        } catch {
            throw EmoMusikError(.writeFailed, "Could not write model file '\(url.path)'", hint: "Check that the directory exists and is writable.", cause: error)
        }
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: Reading

    /// Reads and checks a file; errors name the file (its path) and the offending tensor.
    public static func read(contentsOf url: URL) throws -> SafeTensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw EmoMusikError(.fileNotFound, "Cannot read model file '\(url.path)'", hint: "Check the path.", cause: error)
        }
        return try decode([UInt8](data), name: url.path)
    }

    /// Parses a file's bytes; `name` is used in error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws -> SafeTensorsFile {
        func malformed(_ what: String) -> EmoMusikError {
            EmoMusikError(.malformedFile, "Model file '\(name)' is not a valid safetensors file: \(what)",
                          hint: "Write model files with EmoMusik or Python's safetensors package.")
        }
        func truncated(_ what: String) -> EmoMusikError {
            EmoMusikError(.malformedFile, "Model file '\(name)' is truncated: \(what)",
                          hint: "The file was cut short (an interrupted copy or download?); copy or export it again.")
        }
        guard bytes.count >= 8 else {
            throw truncated("it has \(bytes.count) bytes, fewer than the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for i in (0..<8).reversed() { headerLength = headerLength << 8 | UInt64(bytes[i]) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw truncated("the header claims \(headerLength) bytes but only \(bytes.count - 8) follow the 8-byte length")
        }
        let headerEnd = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw malformed("the header is not JSON (\(error.localizedDescription))")
        }
        guard let header = json as? [String: Any] else { throw malformed("the header is not a JSON object") }
        let dataSize = bytes.count - headerEnd
        var file = SafeTensorsFile()
        if let metadata = header["__metadata__"] {
            guard let map = metadata as? [String: String] else { throw malformed("__metadata__ is not a map of strings to strings") }
            file.metadata = map
        }
        for key in header.keys.sorted() where key != "__metadata__" {
            guard let entry = header[key] as? [String: Any] else { throw malformed("the entry of tensor '\(key)' is not an object") }
            guard let dtype = entry["dtype"] as? String else { throw malformed("tensor '\(key)' has no dtype") }
            guard dtype == "F32" else {
                throw EmoMusikError(.malformedFile, "Model file '\(name)': tensor '\(key)' has dtype \(dtype); only F32 is supported",
                                    hint: "Convert the tensors to float32 before saving.")
            }
            guard let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  shape.count == (entry["shape"] as? [Any])?.count, shape.allSatisfy({ $0 >= 0 })
            else { throw malformed("tensor '\(key)' has no valid shape") }
            guard let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), offsets.count == 2,
                  offsets[0] >= 0, offsets[1] >= offsets[0]
            else { throw malformed("tensor '\(key)' has no valid data_offsets") }
            let count = shape.reduce(1, *)
            guard offsets[1] - offsets[0] == 4 * count else {
                throw malformed("tensor '\(key)' of shape \(shape) needs \(4 * count) bytes but its data_offsets span \(offsets[1] - offsets[0])")
            }
            guard offsets[1] <= dataSize else {
                throw truncated("tensor '\(key)' needs bytes \(offsets[0])..<\(offsets[1]) of the data section but only \(dataSize) are present")
            }
            var values = [Float](repeating: 0, count: count)
            let base = headerEnd + offsets[0]
            for i in 0..<count {
                let p = base + 4 * i
                let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
                values[i] = Float(bitPattern: bits)
            }
            file.tensors[key] = Tensor(shape: shape, storage: values)
        }
        return file
    }
}
