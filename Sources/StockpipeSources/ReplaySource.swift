import StockpipeCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An NDJSON file of raw Finnhub WebSocket messages, one per line.
///
/// Lines longer than ``maxLineBytes`` are not read whole: their first ``keptPrefixBytes`` are kept
/// as the payload to quarantine and the rest is skipped. Reading resumes at a byte offset, checked
/// against the file's identity and the digest of its start (``SourceMark``): a file replaced at the
/// same path, rewritten in place or truncated is read again from its start, with a line on stderr
/// saying so. A UTF-8 byte order mark at the start of the file is skipped.
///
/// Followed (`follow`), the reader is like `tail -F`: at the end of the file it polls for growth
/// every ``pollInterval``, waits for the newline of an unterminated last line (a writer still
/// writing) without moving the position past it, and notices a replaced or truncated file, which
/// it then reads from the start. Not followed (`--drain`), it stops at the end; an unterminated last
/// line is taken as it is (staged as a message if it is one, quarantined as `malformed` if cut).
public struct ReplaySource: FeedSource {
    public static let maxLineBytes = 1 << 20
    public static let keptPrefixBytes = QuarantineRecord.keptPayloadBytes
    /// The start of the file whose digest identifies it (or less, when the position is smaller).
    public static let headBytes = 4096
    public static let pollInterval: Duration = .milliseconds(200)

    public let path: String
    public let follow: Bool
    public var name: String { "replay:\(path)" }

    public var replayable: Bool { true }

    /// `path` should be absolute so the checkpoint name is stable.
    public init(path: String, follow: Bool = false) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SourceError.cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SourceError.notARegularFile(path: path)
        }
        guard access(path, R_OK) == 0 else {
            throw SourceError.permissionDenied(path: path)
        }
        self.path = path
        self.follow = follow
    }

    public func open(at position: Int64?) throws -> any FeedReader {
        try open(at: position, mark: nil)
    }

    /// Without a mark (a checkpoint from before marks existed), the offset is trusted when the file
    /// is at least that long.
    public func open(at position: Int64?, mark: SourceMark?) throws -> any FeedReader {
        try ReplayReader(path: path, offset: position ?? 0, mark: mark, follow: follow)
    }
}

/// Reads lines with a fixed buffer; labels them with their byte offset.
final class ReplayReader: FeedReader {
    private let path: String
    private let follow: Bool
    private var descriptor: Int32 = -1
    private var identity: (device: UInt64, inode: UInt64) = (0, 0)
    /// Files read from their start again after a replacement or truncation (see ``SourceMark/generation``).
    private var generation = 0
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// Where in the file the next line starts: the checkpoint.
    private(set) var position: Int64 = 0
    /// Bytes read from the descriptor so far (the file offset it is at).
    private var readOffset: Int64 = 0
    /// The file's first bytes, up to ``ReplaySource/headBytes`` and never past `position`.
    private var head: [UInt8] = []
    /// The file's first bytes as read from the descriptor, up to ``ReplaySource/headBytes`` (past
    /// `position` when a line is pending): while followed, checked again after each read, so that
    /// a file rewritten in place (`cp` over it) is never read on from the old offset.
    private var readHeadBytes: [UInt8] = []
    /// Bytes of an oversized line already skipped, and its kept beginning.
    private var oversized: (skipped: Int, prefix: [UInt8])?

    init(path: String, offset: Int64, mark: SourceMark?, follow: Bool) throws {
        self.path = path
        self.follow = follow
        buffer = [UInt8](repeating: 0, count: 4 << 20)
        let size = try openFile()
        guard offset > 0 else {
            generation = mark?.generation ?? 0
            return
        }
        if let why = Self.whyNotResume(offset: offset, mark: mark, size: size, identity: identity, descriptor: descriptor) {
            // Never skip silently: the records before `offset` of this file were never staged.
            FileHandleStderr.write("stockpipe: replay file \(path): reading it from the start, as \(why)\n")
            generation = (mark?.generation ?? 0) + 1
            return
        }
        generation = mark?.generation ?? 0
        head = try Self.readHead(descriptor, count: Int(min(Int64(ReplaySource.headBytes), offset)))
        readHeadBytes = head
        position = offset
        readOffset = offset
    }

    deinit { close(descriptor) }

    var mark: SourceMark? {
        SourceMark(
            device: identity.device, inode: identity.inode, headBytes: head.count, head: Self.digest(head),
            generation: generation)
    }

    /// Why `offset` cannot be trusted in the open file, or nil when it can.
    private static func whyNotResume(
        offset: Int64, mark: SourceMark?, size: Int64, identity: (device: UInt64, inode: UInt64),
        descriptor: Int32
    ) -> String? {
        if let mark, mark.device != identity.device || mark.inode != identity.inode {
            return "it is another file than the one read up to byte \(offset) (it was replaced: inode \(mark.inode) before, \(identity.inode) now)"
        }
        if size < offset {
            return "it is shorter (\(size) bytes) than where the last run stopped (byte \(offset)): it was truncated"
        }
        if let mark {
            let now = (try? readHead(descriptor, count: mark.headBytes)) ?? []
            if now.count != mark.headBytes || digest(now) != mark.head {
                return "its first \(mark.headBytes) bytes are not the ones read before (it was rewritten in place)"
            }
        }
        return nil
    }

    /// Opens `path` at its start; returns its size.
    @discardableResult
    private func openFile() throws -> Int64 {
        let opened = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else {
            throw SourceError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        if descriptor >= 0 { close(descriptor) }
        descriptor = opened
        var info = stat()
        fstat(descriptor, &info)
        identity = (UInt64(info.st_dev), UInt64(info.st_ino))
        (start, end, atEOF, position, readOffset, head, readHeadBytes, oversized) = (0, 0, false, 0, 0, [], [], nil)
        return Int64(info.st_size)
    }

    private static func readHead(_ descriptor: Int32, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(done)) }
            if got < 0 { throw SourceError.readFailed(reason: String(cString: strerror(errno))) }
            if got == 0 { break }
            done += got
        }
        return Array(bytes[..<done])
    }

    private static func digest(_ bytes: [UInt8]) -> String {
        let value = bytes.withUnsafeBytes { StableHasher.hash64(bytes: $0) }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Line numbers are not known when resuming mid-file, so labels are byte offsets: stable,
    /// and `sed`/`tail -c` can find the line from them. After the file was replaced, they name
    /// which file too (`file2@0`).
    func next(maxMessages: Int) async throws -> [FeedMessageText]? {
        var messages: [FeedMessageText] = []
        while messages.count < maxMessages {
            if let newline = findNewline() {
                emitLine(upTo: newline, into: &messages)
                continue
            }
            if atEOF {
                let pending = end > start || oversized != nil
                guard follow else {
                    // Draining: nothing more will be waited for.
                    if pending { emitLine(upTo: end, into: &messages, final: true) }
                    break
                }
                if !messages.isEmpty { break }
                if let why = changedOnDisk() {
                    if pending {
                        // The old file's last line will not be completed: taken as it is.
                        emitLine(upTo: end, into: &messages, final: true)
                        break
                    }
                    let next = generation + 1
                    if (try? openFile()) != nil {
                        FileHandleStderr.write("stockpipe: replay file \(path): reading it from the start, as \(why)\n")
                        generation = next
                        continue
                    }
                    // Not readable yet (being created): the old file stays open, and the next poll tries again.
                }
                // An unterminated last line stays in the buffer, and the position before it.
                try? await Task.sleep(for: ReplaySource.pollInterval)
                atEOF = false
                return []
            }
            if end - start >= ReplayReader.lineLimit && oversized == nil {
                oversized = (0, Array(buffer[start..<(start + ReplaySource.keptPrefixBytes)]))
            }
            if var skipping = oversized {
                noteConsumed(at: position + Int64(skipping.skipped), start..<end)
                skipping.skipped += end - start
                oversized = skipping
                start = 0
                end = 0
            }
            try fill()
        }
        if messages.isEmpty && atEOF && end == start && !follow { return nil }
        return messages
    }

    /// While followed, at the end of the file: whether the path now names another file, or the
    /// file was truncated or rewritten in place. A path that is gone (moved away, not yet
    /// replaced) is waited for, reading on what is open.
    private func changedOnDisk() -> String? {
        var named = stat()
        guard stat(path, &named) == 0 else { return nil }
        if UInt64(named.st_dev) != identity.device || UInt64(named.st_ino) != identity.inode {
            return "another file is at that path now (it was replaced: inode \(identity.inode) before, \(named.st_ino) now)"
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        if Int64(info.st_size) < readOffset {
            return "it became shorter (\(info.st_size) bytes) than what was read (\(readOffset)): it was truncated"
        }
        if headChanged() {
            return "its first \(readHeadBytes.count) bytes changed (it was rewritten in place)"
        }
        return nil
    }

    /// Whether the file's first bytes are no longer the ones read from it.
    private func headChanged() -> Bool {
        guard !readHeadBytes.isEmpty else { return false }
        guard let now = try? Self.readHead(descriptor, count: readHeadBytes.count) else { return false }
        return now != readHeadBytes
    }

    static let lineLimit = ReplaySource.maxLineBytes
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private func findNewline() -> Int? {
        guard end > start else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            memchr(bytes.baseAddress! + start, 0x0A, end - start).map {
                UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - bytes.baseAddress!
            }
        }
    }

    private var label: String {
        generation == 0 ? "@\(position)" : "file\(generation + 1)@\(position)"
    }

    private func emitLine(upTo newline: Int, into messages: inout [FeedMessageText], final: Bool = false) {
        let label = label
        let consumed = newline - start + (final ? 0 : 1)
        var lineStart = start
        var lineEnd = newline
        if lineEnd > lineStart, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }  // CRLF files
        if position == 0, oversized == nil, lineEnd - lineStart >= 3, Array(buffer[lineStart..<(lineStart + 3)]) == Self.byteOrderMark {
            lineStart += 3
        }
        if let skipping = oversized {
            messages.append(
                FeedMessageText(
                    bytes: skipping.prefix, label: label,
                    originalSize: skipping.skipped + (newline - start)))
            position += Int64(skipping.skipped)
            oversized = nil
        } else if newline - start > ReplayReader.lineLimit {
            messages.append(
                FeedMessageText(
                    bytes: Array(buffer[start..<(start + ReplaySource.keptPrefixBytes)]),
                    label: label, originalSize: newline - start))
        } else if lineEnd > lineStart {
            messages.append(FeedMessageText(bytes: Array(buffer[lineStart..<lineEnd]), label: label))
        }
        noteConsumed(at: position, start..<(start + consumed))
        position += Int64(consumed)
        start += consumed
    }

    /// Keeps the file's first bytes as they go by, for ``mark``.
    private func noteConsumed(at offset: Int64, _ range: Range<Int>) {
        guard head.count < ReplaySource.headBytes, offset == Int64(head.count) else { return }
        head += buffer[range.prefix(ReplaySource.headBytes - head.count)]
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
            pread(descriptor, bytes.baseAddress! + end, bytes.count - end, off_t(readOffset))
        }
        if count < 0 { throw SourceError.readFailed(reason: String(cString: strerror(errno))) }
        if count == 0 { atEOF = true }
        // Followed, the file can be rewritten in place between two reads (`cp` truncates it and
        // writes the new bytes from the start): the bytes just read at the old offset may be the
        // new file's. Its first bytes tell; checked after the read, as a writer writes them first.
        // Then the bytes are dropped, and the end-of-file check reopens the file from its start.
        if follow, count > 0, headChanged() {
            atEOF = true
            return
        }
        if readOffset < Int64(ReplaySource.headBytes) {
            let kept = min(count, ReplaySource.headBytes - Int(readOffset))
            readHeadBytes += buffer[end..<(end + kept)]
        }
        end += count
        readOffset += Int64(count)
    }
}

enum FileHandleStderr {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
