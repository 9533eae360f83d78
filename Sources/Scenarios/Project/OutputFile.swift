import Foundation

/// A child process's output captured in a temporary file and read once the child has exited.
///
/// Why not a pipe: a pipe read with a readability handler can lose the last chunk (the handler may
/// hold data it has not yet appended when it is removed), which once made a psql answer read as
/// empty; and a blocking read to end-of-file waits for every process holding the write end — a
/// crashed worker's backtracer, an app's forked child — however long they live. A file has neither
/// problem: whatever was written is there when the child has exited, and nobody waits for anyone.
public final class OutputFile: Sendable {
    /// The file's path (in the temporary folder, unique to this capture).
    public let path: String
    /// The handle a child writes to; pass it as its standard output and error.
    public let handle: FileHandle

    /// Makes an empty file to capture into.
    public init() throws {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("effinity-out-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        self.path = path
        self.handle = handle
    }

    /// Everything written so far.
    public func text() -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}
