#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An NDJSON file of raw Finnhub WebSocket messages, one per line.
///
/// Lines longer than ``maxLineBytes`` are not read whole: their first ``keptPrefixBytes`` are kept
/// as the payload to quarantine and the rest is skipped. Reading resumes at a byte offset, so a
/// file that grows is followed where it was left.
public struct ReplaySource: FeedSource {
    public static let maxLineBytes = 1 << 20
    public static let keptPrefixBytes = 4096

    public let path: String
    public var name: String { "replay:\(path)" }

    /// `path` should be absolute so the checkpoint name is stable.
    public init(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SourceError("cannot read replay file \(path): \(String(cString: strerror(errno))); check the path given to --file")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SourceError("replay file \(path) is not a regular file; give an NDJSON file to --file")
        }
        guard access(path, R_OK) == 0 else {
            throw SourceError("cannot read replay file \(path): permission denied")
        }
        self.path = path
    }

    public func open(at position: Int64?) throws -> any FeedReader {
        try ReplayReader(path: path, offset: position ?? 0)
    }
}

/// Reads lines with a fixed buffer; counts line numbers from the start offset's line.
final class ReplayReader: FeedReader {
    private let descriptor: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEOF = false
    private(set) var position: Int64
    /// Bytes of an oversized line already skipped, and its kept beginning.
    private var oversized: (skipped: Int, prefix: [UInt8])?

    init(path: String, offset: Int64) throws {
        descriptor = Glibc.open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw SourceError("cannot open replay file \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        fstat(descriptor, &info)
        if offset > Int64(info.st_size) {
            FileHandleStderr.write("stockpipe: \(path) is shorter than where the last run stopped; reading it from the start\n")
            position = 0
        } else {
            position = offset
        }
        lseek(descriptor, off_t(position), SEEK_SET)
        buffer = [UInt8](repeating: 0, count: 4 << 20)
    }

    deinit { close(descriptor) }

    /// Line numbers are not known when resuming mid-file, so labels are byte offsets: stable,
    /// and `sed`/`tail -c` can find the line from them.
    func next(maxMessages: Int) async throws -> [FeedMessageText]? {
        var messages: [FeedMessageText] = []
        while messages.count < maxMessages {
            if let newline = findNewline() {
                emitLine(upTo: newline, into: &messages)
                continue
            }
            if atEOF {
                if end > start || oversized != nil { emitLine(upTo: end, into: &messages, final: true) }
                break
            }
            if end - start >= ReplayReader.lineLimit && oversized == nil {
                oversized = (0, Array(buffer[start..<(start + ReplaySource.keptPrefixBytes)]))
            }
            if var skipping = oversized {
                skipping.skipped += end - start
                oversized = skipping
                start = 0
                end = 0
            }
            try fill()
        }
        if messages.isEmpty && atEOF && end == start { return nil }
        return messages
    }

    static let lineLimit = ReplaySource.maxLineBytes

    private func findNewline() -> Int? {
        guard end > start else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            memchr(bytes.baseAddress! + start, 0x0A, end - start).map {
                UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - bytes.baseAddress!
            }
        }
    }

    private func emitLine(upTo newline: Int, into messages: inout [FeedMessageText], final: Bool = false) {
        let lineStart = position
        let consumed = newline - start + (final ? 0 : 1)
        var lineEnd = newline
        if lineEnd > start, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }  // CRLF files
        if let skipping = oversized {
            messages.append(FeedMessageText(bytes: skipping.prefix, label: "@\(lineStart)",
                                            originalSize: skipping.skipped + (newline - start)))
            position += Int64(skipping.skipped)
            oversized = nil
        } else if newline - start > ReplayReader.lineLimit {
            messages.append(FeedMessageText(bytes: Array(buffer[start..<(start + ReplaySource.keptPrefixBytes)]),
                                            label: "@\(lineStart)", originalSize: newline - start))
        } else if lineEnd > start {
            messages.append(FeedMessageText(bytes: Array(buffer[start..<lineEnd]), label: "@\(lineStart)"))
        }
        position += Int64(consumed)
        start += consumed
    }

    private func fill() throws {
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { bytes in
                _ = memmove(bytes.baseAddress!, bytes.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        let count = buffer.withUnsafeMutableBytes { bytes in
            read(descriptor, bytes.baseAddress! + end, bytes.count - end)
        }
        if count < 0 { throw SourceError("reading the replay file failed: \(String(cString: strerror(errno)))") }
        if count == 0 { atEOF = true }
        end += count
    }
}

enum FileHandleStderr {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
